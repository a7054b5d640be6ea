//! Placement and multi-node get over an in-memory network of stores: every node runs the
//! real [`Server`](crate::protocol::Server) and [`remote`](crate::remote) client; only the
//! transport is a map instead of libp2p.

use super::*;
use crate::{
    mem_net::{Cluster, MemTransport, Net},
    protocol::{Limits, Response, Server},
    remote::{Assigned, PeerKey, Remote, Sources},
};
use codec::Encode;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;

pub(crate) const SMALL: Params = Params {
    chunk_size: 4096,
    k: 4,
    m: 2,
};

/// A [`Cluster`] in temporary directories, removed when it is dropped.
pub(crate) struct TestCluster {
    inner: Cluster,
    _dirs: Vec<tempfile::TempDir>,
}

impl std::ops::Deref for TestCluster {
    type Target = Cluster;

    fn deref(&self) -> &Cluster {
        &self.inner
    }
}

/// `n` connected stores; the first `providers` accept pushed shards.
pub(crate) fn cluster(n: usize, providers: usize) -> TestCluster {
    let dirs: Vec<_> = (0..n).map(|_| tempfile::tempdir().unwrap()).collect();
    let paths: Vec<&Path> = dirs.iter().map(|d| d.path()).collect();
    let config = DdsConfig {
        capacity: 1 << 30,
        cache_bytes: 0,
        max_put_size: 1 << 20,
        params: SMALL,
    };
    TestCluster {
        inner: Cluster::open(&paths, config, providers).unwrap(),
        _dirs: dirs,
    }
}

pub(crate) fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.gen()).collect()
}

fn get(dds: &Dds, cid: &Cid) -> Result<Vec<u8>, DdsError> {
    let mut out = Vec::new();
    dds.get(cid, &mut out, |_| {})?;
    Ok(out)
}

fn local_shards(dds: &Dds, m: &Manifest) -> usize {
    m.segment_roots()
        .iter()
        .filter(|r| dds.store().has_shard(r).unwrap())
        .count()
}

#[test]
fn put_places_one_shard_of_each_chunk_on_each_of_six_providers() {
    let c = cluster(6, 6);
    let data = content(10 * 4096 + 100, 1);
    let m = c.nodes[0].put(&data[..], SMALL, |_| {}).unwrap();
    let chunks = m.layout().chunk_count() as usize;
    // k + m = 6 shards a chunk on 6 distinct nodes: each node holds one of each chunk
    // (identical shards aside, which random content does not have).
    for (i, node) in c.nodes.iter().enumerate() {
        assert_eq!(local_shards(node, &m), chunks, "node {i}");
    }
    assert_eq!(c.nodes[0].usage().pushed_shards as usize, 5 * chunks);
}

#[test]
fn placement_spreads_a_chunks_shards_over_address_ranges() {
    use crate::remote::ip_group;
    // Seven nodes for six shards a chunk: nodes 1 and 2 share a /24, nodes 3 to 6 have one
    // each, and the putter (node 0) does not know its own. Each chunk's six shards then fit
    // on six ranges (the putter counting as one), so 1 and 2 never both get a shard of one
    // chunk. By XOR distance alone they would in most chunks: of seven nodes, six get one.
    let c = cluster(7, 7);
    {
        let mut groups = c.net.ip_groups.lock();
        for (i, ip) in [
            (1, "198.51.100.1"),
            (2, "198.51.100.2"),
            (3, "198.51.101.1"),
            (4, "203.0.113.1"),
            (5, "2001:db8:1::1"),
            (6, "2001:db8:2::1"),
        ] {
            let group = ip_group(ip.parse().unwrap()).unwrap();
            groups.insert(c.net.servers[i].0.clone(), group);
        }
    }
    let data = content(40 * 4096, 7);
    let m = c.nodes[0].put(&data[..], SMALL, |_| {}).unwrap();
    let per = m.layout().shards_per_chunk() as usize;
    let holds = |node: usize, chunk: usize| {
        m.segment_roots()[chunk * per..(chunk + 1) * per]
            .iter()
            .any(|r| c.nodes[node].store().has_shard(r).unwrap())
    };
    for chunk in 0..m.layout().chunk_count() as usize {
        assert!(
            !(holds(1, chunk) && holds(2, chunk)),
            "chunk {chunk}: two shards in 198.51.100.0/24"
        );
        let nodes = (0..7).filter(|&n| holds(n, chunk)).count();
        assert_eq!(nodes, per, "chunk {chunk}: its shards on {nodes} nodes");
    }
    assert_eq!(get(&c.nodes[3], &m.cid()).unwrap(), data);
}

#[test]
fn the_address_range_is_a_slash_24_or_a_slash_48_and_loopback_has_none() {
    use crate::remote::ip_group;
    let g = |s: &str| ip_group(s.parse().unwrap());
    assert_eq!(g("10.1.2.3"), g("10.1.2.254"));
    assert_ne!(g("10.1.2.3"), g("10.1.3.3"));
    assert_eq!(g("2001:db8:abcd:1::1"), g("2001:db8:abcd:ffff::2"));
    assert_ne!(g("2001:db8:abcd::1"), g("2001:db8:abce::1"));
    // An IPv4-mapped IPv6 address is its IPv4 address; a v4 /24 is not a v6 /48.
    assert_eq!(g("::ffff:10.1.2.3"), g("10.1.2.9"));
    assert_ne!(g("10.1.2.3"), g("a01:203::"));
    for none in [
        "127.0.0.1",
        "127.9.9.9",
        "::1",
        "0.0.0.0",
        "::",
        "::ffff:127.0.0.1",
    ] {
        assert_eq!(g(none), None, "{none}");
    }
}

#[test]
fn get_on_another_node_survives_two_stopped_providers() {
    let c = cluster(6, 6);
    let data = content(7 * 4096 + 5, 2);
    let m = c.nodes[0].put(&data[..], SMALL, |_| {}).unwrap();
    let cid = m.cid();
    // The getter has neither the manifest nor the content's other shards.
    assert_eq!(get(&c.nodes[5], &cid).unwrap(), data);
    c.net
        .down
        .lock()
        .extend([c.net.servers[1].0.clone(), c.net.servers[2].0.clone()]);
    assert_eq!(get(&c.nodes[4], &cid).unwrap(), data);
    assert!(c.nodes[4].usage().fetched_shards > 0);
    // A third stopped provider leaves fewer than k shards of each chunk reachable.
    c.net.down.lock().insert(c.net.servers[3].0.clone());
    assert!(matches!(
        get(&c.nodes[0], &cid),
        Err(DdsError::Unavailable {
            have: 3,
            need: 4,
            ..
        })
    ));
}

#[test]
fn a_bad_shard_from_a_peer_is_detected_and_fetched_elsewhere() {
    let c = cluster(6, 6);
    let data = content(5 * 4096, 3);
    let m = c.nodes[0].put(&data[..], SMALL, |_| {}).unwrap();
    // Node 1 sends every shard with a flipped byte.
    c.net.rogue.lock().insert(c.net.servers[1].0.clone());
    assert_eq!(get(&c.nodes[2], &m.cid()).unwrap(), data);
    let usage = c.nodes[2].usage();
    assert!(usage.bad_fetched_shards > 0, "{usage:?}");
}

#[test]
fn a_corrupt_shard_on_disk_is_not_served_and_is_fetched_elsewhere() {
    let c = cluster(6, 6);
    let data = content(3 * 4096, 4);
    let m = c.nodes[0].put(&data[..], SMALL, |_| {}).unwrap();
    // The holder of the first data shard (a get asks for data shards first).
    let root = &m.segment_roots()[0];
    let at = c
        .nodes
        .iter()
        .position(|n| n.store().has_shard(root).unwrap())
        .unwrap();
    let victim = &c.nodes[at];
    let path = victim.store().shard_file(root);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(get(&c.nodes[(at + 1) % 6], &m.cid()).unwrap(), data);
    assert_eq!(victim.usage().corrupt_shards, 1);
}

#[test]
fn without_providers_a_put_keeps_everything_and_others_still_get_it() {
    let c = cluster(3, 0);
    let data = content(2 * 4096, 5);
    let m = c.nodes[0].put(&data[..], SMALL, |_| {}).unwrap();
    assert_eq!(local_shards(&c.nodes[0], &m), m.segment_roots().len());
    assert_eq!(local_shards(&c.nodes[1], &m), 0);
    assert_eq!(get(&c.nodes[1], &m.cid()).unwrap(), data);
}

#[test]
fn pushed_shards_that_do_not_match_the_manifest_are_refused() {
    let c = cluster(2, 2);
    let server = &c.net.servers[1].1;
    let data = content(4096, 6);
    // A manifest for content node 1 has never seen.
    let other = tempfile::tempdir().unwrap();
    let lone = Dds::open(
        other.path(),
        DdsConfig {
            params: SMALL,
            ..Default::default()
        },
    )
    .unwrap();
    let m = lone.put(&data[..], SMALL, |_| {}).unwrap();
    let shard = lone
        .store()
        .get_shard(&m.segment_roots()[0])
        .unwrap()
        .unwrap();
    let now = std::time::Instant::now();
    let me = b"rogue".to_vec();
    let store = |index, shard: Vec<u8>| {
        protocol::Request::StoreShard {
            cid: m.cid(),
            index,
            shard,
        }
        .encode()
    };
    // Without the manifest first: refused.
    assert_eq!(
        server.handle(&me, &store(0, shard.clone()), now),
        Response::Refused(protocol::Refusal::Mismatch)
    );
    let offer = protocol::Request::StoreManifest(m.encode()).encode();
    assert_eq!(server.handle(&me, &offer, now), Response::Stored);
    // The wrong index, or altered bytes: refused; the right one: stored.
    assert_eq!(
        server.handle(&me, &store(1, shard.clone()), now),
        Response::Refused(protocol::Refusal::Mismatch)
    );
    assert_eq!(
        server.handle(&me, &store(99, shard.clone()), now),
        Response::Refused(protocol::Refusal::Mismatch)
    );
    let mut bad = shard.clone();
    bad[0] ^= 1;
    assert_eq!(
        server.handle(&me, &store(0, bad), now),
        Response::Refused(protocol::Refusal::Mismatch)
    );
    assert_eq!(server.handle(&me, &store(0, shard), now), Response::Stored);
    // A node that is not a provider takes nothing.
    let c2 = cluster(2, 0);
    assert_eq!(
        c2.net.servers[1].1.handle(&me, &offer, now),
        Response::Refused(protocol::Refusal::NotProvider)
    );
}

#[test]
fn a_lost_shard_is_fetched_or_rebuilt_from_its_chunk() {
    let c = cluster(6, 6);
    let data = content(4 * 4096, 7);
    let m = c.nodes[0].put(&data[..], SMALL, |_| {}).unwrap();
    let index = 7; // chunk 1, shard 1
    let root = m.segment_roots()[index as usize];
    let at = c
        .nodes
        .iter()
        .position(|n| n.store().has_shard(&root).unwrap())
        .unwrap();
    // Held by a peer: fetched.
    let other = (at + 1) % 6;
    assert!(c.nodes[other].ensure_shard(&m, index).unwrap() > 0);
    assert!(c.nodes[other].store().has_shard(&root).unwrap());
    // Lost everywhere: rebuilt from the chunk's other shards, checked against its root.
    for n in &c.nodes {
        n.store().remove_shard(&root).unwrap();
    }
    assert!(c.nodes[at].ensure_shard(&m, index).unwrap() > 0);
    let rebuilt = c.nodes[at].store().get_shard(&root).unwrap().unwrap();
    assert_eq!(merkle::segment_root(&rebuilt), root);
    // Already here: nothing moves.
    assert_eq!(c.nodes[at].ensure_shard(&m, index).unwrap(), 0);
    // Out of range: a clear error.
    assert!(c.nodes[at].ensure_shard(&m, 10_000).is_err());
}

/// The node index whose transport id is `key`.
fn node_of(c: &Cluster, key: &PeerKey) -> usize {
    c.net.node_of(key).unwrap()
}

#[test]
fn the_chain_assigned_holders_are_asked_first() {
    let c = cluster(6, 6);
    let data = content(6 * 4096, 8);
    let m = c.nodes[0].put(&data[..], SMALL, |_| {}).unwrap();
    let cid = m.cid();
    // The chain assigns every shard to node 4, which gets copies of them all: the XOR
    // order of the peers would spread the requests over the placement's nodes instead.
    let holder = c.net.servers[4].0.clone();
    for (i, root) in m.segment_roots().iter().enumerate() {
        let at = c
            .nodes
            .iter()
            .position(|n| n.store().has_shard(root).unwrap())
            .unwrap();
        let shard = c.nodes[at].store().get_shard(root).unwrap().unwrap();
        c.nodes[4].store().put_shard(root, &shard).unwrap();
        c.net
            .assigned
            .lock()
            .entry(cid)
            .or_default()
            .push(Assigned {
                shard: i as u32,
                peer: holder.clone(),
            });
    }
    c.net.shard_requests.lock().clear();
    assert_eq!(get(&c.nodes[5], &cid).unwrap(), data);
    let asked: Vec<_> = c
        .net
        .shard_requests
        .lock()
        .iter()
        .filter(|(from, _, _)| *from == c.net.servers[5].0)
        .map(|(_, to, _)| node_of(&c, to))
        .collect();
    assert!(!asked.is_empty());
    assert!(
        asked.iter().all(|&n| n == 4),
        "every shard asked of its assigned holder first, got {asked:?}"
    );
}

#[test]
fn an_assigned_holder_that_fails_falls_back_to_the_others() {
    let c = cluster(6, 6);
    let data = content(4 * 4096, 9);
    let m = c.nodes[0].put(&data[..], SMALL, |_| {}).unwrap();
    let cid = m.cid();
    // Node 3 is assigned everything but sends bad bytes: the get still succeeds from the
    // placement's holders, each bad shard counted.
    let rogue = c.net.servers[3].0.clone();
    c.net.rogue.lock().insert(rogue.clone());
    for (i, root) in m.segment_roots().iter().enumerate() {
        let at = c
            .nodes
            .iter()
            .position(|n| n.store().has_shard(root).unwrap())
            .unwrap();
        let shard = c.nodes[at].store().get_shard(root).unwrap().unwrap();
        c.nodes[3].store().put_shard(root, &shard).unwrap();
        c.net
            .assigned
            .lock()
            .entry(cid)
            .or_default()
            .push(Assigned {
                shard: i as u32,
                peer: rogue.clone(),
            });
    }
    assert_eq!(get(&c.nodes[5], &cid).unwrap(), data);
    assert!(c.nodes[5].usage().bad_fetched_shards > 0);
}

#[test]
fn kademlia_providers_are_used_when_the_peer_set_lacks_them() {
    // Nodes 0-3 store; node 4 gets, connected to none of them.
    let c = cluster(5, 4);
    let data = content(5 * 4096, 10);
    let m = c.nodes[0].put(&data[..], SMALL, |_| {}).unwrap();
    let cid = m.cid();
    // The putter and every node that took a shard announced the content.
    let announced: HashSet<usize> = c
        .net
        .providers
        .lock()
        .get(&cid)
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| node_of(&c, p))
        .collect();
    let holders: HashSet<usize> = (0..4)
        .filter(|&i| local_shards(&c.nodes[i], &m) > 0)
        .collect();
    assert!(holders.len() > 1);
    assert!(
        announced.is_superset(&holders),
        "{announced:?} vs {holders:?}"
    );
    assert!(!announced.contains(&4));

    c.net
        .hidden
        .lock()
        .extend((0..4).map(|i| c.net.servers[i].0.clone()));
    // Without Kademlia the content is out of reach.
    c.net
        .kademlia_off
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(matches!(
        get(&c.nodes[4], &cid),
        Err(DdsError::UnknownCid(_))
    ));
    // With it, the providers are found and asked.
    c.net
        .kademlia_off
        .store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(get(&c.nodes[4], &cid).unwrap(), data);
    assert!(c.nodes[4].usage().fetched_shards > 0);
}

/// A get of content nobody announced looks its sources up once, not once per chunk (a
/// Kademlia lookup that finds nothing takes up to its timeout), and the next get asks again.
#[test]
fn an_empty_source_lookup_serves_the_whole_get_and_the_next_get_asks_again() {
    let c = cluster(5, 4);
    let data = content(12 * 4096, 12);
    let m = c.nodes[0].put(&data[..], SMALL, |_| {}).unwrap();
    assert_eq!(m.layout().chunk_count(), 12);
    // No provider records and no assignments: the shards are found among the peers.
    c.net.providers.lock().clear();
    let lookups = || {
        c.net
            .provider_lookups
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    for round in 0..2 {
        let before = lookups();
        assert_eq!(get(&c.nodes[4], &m.cid()).unwrap(), data);
        assert_eq!(
            lookups() - before,
            1,
            "get {round}: one lookup for 12 chunks"
        );
    }
    // Once a provider is known, a get finds it: an empty answer is not kept past its get.
    c.net
        .providers
        .lock()
        .insert(m.cid(), vec![c.net.servers[1].0.clone()]);
    let before = lookups();
    assert_eq!(get(&c.nodes[4], &m.cid()).unwrap(), data);
    assert_eq!(lookups() - before, 1);
}

#[test]
fn content_held_at_start_is_announced() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = DdsConfig {
        params: SMALL,
        ..Default::default()
    };
    let dds = Arc::new(Dds::open(dir.path(), config).unwrap());
    let held = dds.put(&content(4096, 11)[..], SMALL, |_| {}).unwrap();
    // A manifest without any of its shards here (as a provider that took only the
    // manifest has) is not announced.
    let lone = tempfile::tempdir().unwrap();
    let other = Dds::open(
        lone.path(),
        DdsConfig {
            params: SMALL,
            ..Default::default()
        },
    )
    .unwrap()
    .put(&content(4096, 12)[..], SMALL, |_| {})
    .unwrap();
    dds.store().put_manifest(&other).unwrap();

    let me = b"me".to_vec();
    let net = Net::new(vec![(
        me.clone(),
        Arc::new(Server::new(dds.clone(), Limits::default())),
    )]);
    dds.connect(Remote::new(
        Arc::new(MemTransport {
            net: net.clone(),
            me: me.clone(),
        }),
        runtime.handle().clone(),
    ));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !net.providers.lock().contains_key(&held.cid()) {
        assert!(std::time::Instant::now() < deadline, "not announced");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(net.providers.lock().get(&held.cid()), Some(&vec![me]));
    assert!(!net.providers.lock().contains_key(&other.cid()));
}

#[test]
fn candidates_go_assigned_then_providers_then_peers_without_duplicates() {
    let cid = Cid([7; 32]);
    let key = |s: &str| s.as_bytes().to_vec();
    let sources = Sources {
        assigned: vec![
            Assigned {
                shard: 3,
                peer: key("holder"),
            },
            Assigned {
                shard: 4,
                peer: key("other-shard"),
            },
            Assigned {
                shard: 3,
                peer: key("me"),
            },
        ],
        providers: vec![key("p1"), key("holder"), key("p2")],
        peers: vec![key("p2"), key("x"), key("y"), key("me"), key("other-shard")],
        local: key("me"),
    };
    let got = sources.candidates(&cid, 3);
    assert_eq!(got[0], key("holder"));
    let providers: HashSet<_> = got[1..3].iter().cloned().collect();
    assert_eq!(providers, HashSet::from([key("p1"), key("p2")]));
    let peers: HashSet<_> = got[3..].iter().cloned().collect();
    assert_eq!(
        peers,
        HashSet::from([key("x"), key("y"), key("other-shard")])
    );
    assert_eq!(got.len(), 6, "no duplicates, not this node: {got:?}");
}
