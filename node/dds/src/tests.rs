//! Tests of the whole put/get path over a temporary store.

use super::*;
use rand::{Rng, SeedableRng};
use std::sync::Arc;

const SMALL: Params = Params {
    chunk_size: 4096,
    k: 4,
    m: 2,
};

fn open(dir: &Path, capacity: u64) -> Dds {
    let config = DdsConfig {
        capacity,
        cache_bytes: 0,
        max_put_size: 1 << 16,
        params: SMALL,
    };
    Dds::open(dir, config).unwrap()
}

fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.gen()).collect()
}

#[test]
fn put_then_get_returns_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let dds = open(dir.path(), 1 << 30);
    for len in [1usize, 4095, 4096, 4097, 3 * 4096 + 17] {
        let data = content(len, len as u64);
        let mut seen = Vec::new();
        let m = dds.put(&data[..], SMALL, |n| seen.push(n)).unwrap();
        assert_eq!(
            seen.last().copied(),
            Some(len as u64),
            "progress reaches the size"
        );
        let mut out = Vec::new();
        assert_eq!(dds.get(&m.cid(), &mut out, |_| {}).unwrap(), len as u64);
        assert_eq!(out, data, "len {len}");
        let stat = dds.stat(&m.cid()).unwrap();
        assert_eq!(stat.local_shards, u64::from(m.header().shard_count));
        assert_eq!(stat.header.size, len as u64);
    }
}

#[test]
fn get_survives_any_two_lost_or_corrupt_shards_per_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let dds = open(dir.path(), 1 << 30);
    let data = content(5 * 4096, 1);
    let m = dds.put(&data[..], SMALL, |_| {}).unwrap();
    for chunk in 0..5u32 {
        // Chunk c loses data shard c % 4 and has data shard (c + 1) % 4 corrupted on disk
        // (data shards are read first, so both losses force a decode from parity).
        let lost = m.segment_root(chunk, chunk % 4).unwrap();
        dds.store().remove_shard(lost).unwrap();
        let bad = m.segment_root(chunk, (chunk + 1) % 4).unwrap();
        std::fs::write(dds.store().shard_file(bad), b"rotten").unwrap();
    }
    let mut out = Vec::new();
    dds.get(&m.cid(), &mut out, |_| {}).unwrap();
    assert_eq!(out, data);
    assert_eq!(
        dds.usage().corrupt_shards,
        5,
        "each corrupt shard was detected"
    );
    // A third loss in one chunk makes it unavailable, with a clear error.
    dds.store()
        .remove_shard(m.segment_root(0, 4).unwrap())
        .unwrap();
    let err = dds.get(&m.cid(), std::io::sink(), |_| {}).unwrap_err();
    assert!(
        matches!(
            err,
            DdsError::Unavailable {
                chunk: 0,
                have: 3,
                need: 4
            }
        ),
        "{err}"
    );
}

#[test]
fn oversized_put_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dds = open(dir.path(), 1 << 30);
    let data = content((1 << 16) + 1, 2);
    let err = dds.put(&data[..], SMALL, |_| {}).unwrap_err();
    assert!(
        matches!(err, DdsError::TooLarge { max } if max == 1 << 16),
        "{err}"
    );
    assert_eq!(
        dds.usage().used,
        0,
        "shards of the failed put were rolled back"
    );
    assert!(
        !dir.path()
            .join("shards")
            .read_dir()
            .unwrap()
            .any(|d| { d.unwrap().path().read_dir().unwrap().next().is_some() }),
        "no shard file left behind"
    );
    assert!(matches!(
        dds.check_put_size((1 << 16) + 1, &SMALL),
        Err(DdsError::TooLarge { .. })
    ));
}

#[test]
fn put_beyond_capacity_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dds = open(dir.path(), 20_000);
    let first = content(4096, 3);
    let m = dds.put(&first[..], SMALL, |_| {}).unwrap();
    let used = dds.usage().used;
    assert_eq!(used, 6 * 1024);
    let big = content(4 * 4096, 4);
    assert!(matches!(
        dds.check_put_size(big.len() as u64, &SMALL),
        Err(DdsError::CapacityExceeded { .. })
    ));
    let err = dds.put(&big[..], SMALL, |_| {}).unwrap_err();
    assert!(matches!(err, DdsError::CapacityExceeded { .. }), "{err}");
    assert_eq!(dds.usage().used, used);
    let mut out = Vec::new();
    dds.get(&m.cid(), &mut out, |_| {}).unwrap();
    assert_eq!(out, first, "earlier content untouched");
}

#[test]
fn unknown_cid_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let dds = open(dir.path(), 1 << 20);
    let cid = Cid([7; 32]);
    assert!(matches!(dds.get(&cid, Vec::new(), |_| {}), Err(DdsError::UnknownCid(c)) if c == cid));
    assert!(matches!(dds.stat(&cid), Err(DdsError::UnknownCid(_))));
}

#[test]
fn identical_content_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let dds = open(dir.path(), 1 << 30);
    let data = content(10_000, 5);
    let a = dds.put(&data[..], SMALL, |_| {}).unwrap();
    let used = dds.usage().used;
    let b = dds.put(&data[..], SMALL, |_| {}).unwrap();
    assert_eq!(a.cid(), b.cid());
    assert_eq!(dds.usage().used, used);
}

#[test]
fn cache_serves_chunks_after_their_shards_are_gone() {
    let dir = tempfile::tempdir().unwrap();
    let config = DdsConfig {
        capacity: 1 << 30,
        cache_bytes: 1 << 20,
        max_put_size: 1 << 20,
        params: SMALL,
    };
    let dds = Dds::open(dir.path(), config).unwrap();
    let data = content(2 * 4096, 6);
    let m = dds.put(&data[..], SMALL, |_| {}).unwrap();
    dds.get(&m.cid(), std::io::sink(), |_| {}).unwrap();
    assert_eq!(dds.usage().cache_bytes, data.len() as u64);
    for root in m.segment_roots() {
        dds.store().remove_shard(root).unwrap();
    }
    let mut out = Vec::new();
    dds.get(&m.cid(), &mut out, |_| {}).unwrap();
    assert_eq!(out, data);
}

#[test]
fn failed_put_keeps_the_shards_a_concurrent_finished_put_uses() {
    use std::sync::mpsc;
    let dir = tempfile::tempdir().unwrap();
    let dds = Arc::new(open(dir.path(), 1 << 30));
    let first = content(4096, 7);

    /// Gives one chunk, reports it, waits for the go-ahead, then fails.
    struct Failing {
        chunk: Option<Vec<u8>>,
        stored: mpsc::Sender<()>,
        go: mpsc::Receiver<()>,
    }
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if let Some(chunk) = self.chunk.take() {
                buf[..chunk.len()].copy_from_slice(&chunk);
                return Ok(chunk.len());
            }
            let _ = self.stored.send(());
            let _ = self.go.recv();
            Err(std::io::Error::other("connection reset"))
        }
    }
    let (stored_tx, stored_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel();
    let reader = Failing {
        chunk: Some(first.clone()),
        stored: stored_tx,
        go: go_rx,
    };
    let failing = {
        let dds = dds.clone();
        std::thread::spawn(move || dds.put(reader, SMALL, |_| {}))
    };
    stored_rx.recv().unwrap();
    // Meanwhile another put of content that starts with the same chunk finishes.
    let mut second = first.clone();
    second.extend(content(100, 8));
    let m = dds.put(&second[..], SMALL, |_| {}).unwrap();
    go_tx.send(()).unwrap();
    assert!(failing.join().unwrap().is_err());
    let stat = dds.stat(&m.cid()).unwrap();
    assert_eq!(
        stat.local_shards,
        u64::from(m.header().shard_count),
        "shards were rolled back"
    );
    let mut out = Vec::new();
    dds.get(&m.cid(), &mut out, |_| {}).unwrap();
    assert_eq!(out, second);
}
