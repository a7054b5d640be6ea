//! The sliding window of [`Dds::stream_chunks`] over an in-memory network of stores.

use super::*;
use crate::{
    mem_net::Cluster,
    tests_remote::{cluster, content, TestCluster, SMALL},
};
use std::collections::HashSet;

/// Six connected providers (`tests_remote::cluster`), and `chunks` chunks of random content
/// put on the first (so each node holds one shard of every chunk).
fn setup(chunks: usize) -> (TestCluster, Manifest, Vec<u8>) {
    let c = cluster(6, 6);
    let data = content(chunks * 4096 - 7, chunks as u64);
    let m = c.nodes[0].put(&data[..], SMALL, |_| {}).unwrap();
    (c, m, data)
}

/// The chunks whose shards `from` asked peers for.
fn chunks_fetched_by(c: &Cluster, m: &Manifest, from: &[u8]) -> HashSet<u32> {
    let per = m.params().shards_per_chunk() as u32;
    let roots = m.segment_roots();
    c.net
        .shard_requests
        .lock()
        .iter()
        .filter(|(f, _, _)| f == from)
        .filter_map(|(_, _, root)| roots.iter().position(|r| r == root))
        .map(|i| i as u32 / per)
        .collect()
}

#[test]
fn chunks_from_peers_are_handed_over_in_order_and_whole() {
    let (c, m, data) = setup(23);
    let getter = &c.nodes[5];
    let mut got = Vec::new();
    let mut indices = Vec::new();
    getter.stream_chunks(&m.cid(), &m, 0, |index, chunk| {
        indices.push(index);
        got.extend_from_slice(&chunk.unwrap());
        true
    });
    assert_eq!(indices, (0..23).collect::<Vec<u32>>());
    assert_eq!(got, data);
    // Each chunk needed three shards from peers.
    assert_eq!(chunks_fetched_by(&c, &m, b"peer-5").len(), 23);
    // From a later chunk on, as the gateway does after reading the first.
    let mut from_five = Vec::new();
    getter.stream_chunks(&m.cid(), &m, 5, |index, _| {
        from_five.push(index);
        true
    });
    assert_eq!(from_five, (5..23).collect::<Vec<u32>>());
}

#[test]
fn a_reader_that_stops_leaves_the_rest_unread() {
    let (c, m, _) = setup(40);
    let getter = &c.nodes[4];
    let mut handed = 0;
    getter.stream_chunks(&m.cid(), &m, 0, |index, chunk| {
        assert!(chunk.is_ok());
        handed += 1;
        index < 2
    });
    assert_eq!(handed, 3);
    // Chunks 0..=2 were handed over; reads start only within the window after them.
    let fetched = chunks_fetched_by(&c, &m, b"peer-4");
    assert!(
        fetched.iter().all(|&i| i < 3 + READ_AHEAD),
        "read beyond the window: {fetched:?}"
    );
    assert!(fetched.len() as u32 <= 3 + READ_AHEAD);
}

#[test]
fn an_unavailable_chunk_is_handed_over_as_its_error_and_get_fails_with_it() {
    let (c, m, _) = setup(9);
    // Three providers down: fewer than k shards of every chunk are within reach.
    c.net
        .down
        .lock()
        .extend([1, 2, 3].map(|i| c.net.servers[i].0.clone()));
    let mut results = Vec::new();
    c.nodes[5].stream_chunks(&m.cid(), &m, 0, |index, chunk| {
        results.push((index, chunk.is_err()));
        true
    });
    assert_eq!(results, (0..9).map(|i| (i, true)).collect::<Vec<_>>());
    // Dds::get stops at the first and returns it.
    let mut out = Vec::new();
    assert!(matches!(
        c.nodes[5].get(&m.cid(), &mut out, |_| {}),
        Err(DdsError::Unavailable { chunk: 0, .. })
    ));
    assert!(out.is_empty());
}
