//! Repair time per GiB lost (issue 17): a storage provider loses its disk and gets its
//! shards back through the same throttled rounds the node runs
//! (`echonet_dds::repair::repair_round`, as `ProviderTask::repair` calls it).
//!
//! Seven stores on the in-memory network of `echonet_dds::mem_net` (the real `Server` and
//! `Remote` client and on-disk stores in temporary directories; only the transport is a
//! map instead of libp2p): nodes 0 to 5 are providers, node 6 is not. Content of S MiB is
//! put on node 0 with the default parameters (1 MiB chunks, 4 + 2) and placed: each of a
//! chunk's six shards goes to a different provider, so every shard exists on exactly one
//! node. Node 3 then loses every shard it held (deleted from its store; it keeps the
//! manifest, as a provider does) and runs repair rounds until each is back and checks
//! against its segment root. Four runs:
//!
//! 1. rebuild, the node's default throttle: no peer has the lost shards, so each is
//!    rebuilt from k = 4 shards of its chunk fetched from peers (the realistic case after
//!    placement); 2 at once, 32 MiB/s of network, rounds every 3 s (the rest of a round is
//!    slept, as the node's provider task does);
//! 2. rebuild, unthrottled (2 at once, no byte budget, no pause): what the machine allows;
//! 3. and 4. the same two with a copy of each lost shard on node 6, so each is fetched
//!    whole (the other repair path: a shard reassigned while its old holder still serves
//!    it).
//!
//! The counts of fetched and rebuilt shards come from node 3's fetch counter
//! (`Usage::fetched_shards`): a fetched shard adds 1, a rebuilt one k.
//!
//! Run: `cargo bench --workspace --bench repair` (release); the content size in MiB is the
//! first numeric argument or `ECHONET_REPAIR_BENCH_MIB` (default 256).

use std::{collections::HashSet, io::Read, path::Path, sync::Arc, time::Instant};

use echonet_dds::{
    mem_net::Cluster,
    repair::{repair_round, Throttle, DEFAULT_BANDWIDTH_MIB, DEFAULT_CONCURRENCY, ROUND},
    Dds, DdsConfig, Manifest, Params,
};
use rand::{RngCore, SeedableRng};

/// `--dds-repair-bandwidth`'s default, in bytes per second.
const DEFAULT_BANDWIDTH: u64 = DEFAULT_BANDWIDTH_MIB << 20;
/// Providers (nodes 0 to 5); node 6 is not one.
const PROVIDERS: usize = 6;
const NODES: usize = 7;
/// The putter is node 0; the node that loses its disk.
const VICTIM: usize = 3;
/// The node that holds copies of the lost shards in the fetch runs.
const SPARE: usize = 6;
const MIB: f64 = (1u64 << 20) as f64;
const GIB: f64 = (1u64 << 30) as f64;

/// `left` bytes of seeded random content, generated as it is read.
struct Random {
    rng: rand::rngs::StdRng,
    left: u64,
}

impl Read for Random {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        self.rng.fill_bytes(&mut buf[..n]);
        self.left -= n as u64;
        Ok(n)
    }
}

/// What one run measured.
struct Outcome {
    name: &'static str,
    path: &'static str,
    lost_bytes: u64,
    shards: usize,
    rounds: u32,
    seconds: f64,
    fetched: u64,
    rebuilt: u64,
    network_bytes: u64,
}

fn size_mib() -> u64 {
    std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .or_else(|| {
            std::env::var("ECHONET_REPAIR_BENCH_MIB")
                .ok()
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(256)
}

fn holds(dds: &Dds, m: &Manifest, i: u32) -> bool {
    dds.store()
        .has_shard(&m.segment_roots()[i as usize])
        .expect("reads the index")
}

/// Deletes the `lost` shards from `dds`'s store.
fn wipe(dds: &Dds, m: &Manifest, lost: &[u32]) {
    for &i in lost {
        dds.store()
            .remove_shard(&m.segment_roots()[i as usize])
            .expect("deletes a shard");
    }
}

/// Repair rounds on `victim` until every `lost` shard is back; with `paced`, one round
/// every [`ROUND`] (a round that overruns is followed at once, as the node's interval
/// does). Timed from the first round's start to the end of the last round's work.
fn run(
    victim: &Dds,
    m: &Arc<Manifest>,
    lost: &[u32],
    throttle: Throttle,
    paced: bool,
    (name, path): (&'static str, &'static str),
) -> Outcome {
    wipe(victim, m, lost);
    let shard_len = m.layout().shard_len(0).expect("a shard") as u64;
    let k = u64::from(m.layout().k());
    let fetched_before = victim.usage().fetched_shards;
    let mut left: Vec<u32> = lost.to_vec();
    let mut rounds = 0u32;
    let mut idle = 0;
    let start = Instant::now();
    loop {
        let round_start = Instant::now();
        rounds += 1;
        let pending = left.iter().map(|&i| (m.clone(), i, i)).collect();
        let held: HashSet<u32> = repair_round(victim, pending, &throttle)
            .into_iter()
            .collect();
        left.retain(|i| !held.contains(i));
        if left.is_empty() {
            break;
        }
        idle = if held.is_empty() { idle + 1 } else { 0 };
        assert!(idle < 5, "{name}: no progress, {} shards left", left.len());
        if paced {
            std::thread::sleep(ROUND.saturating_sub(round_start.elapsed()));
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    // Every shard back, and valid: `get_shard` checks it against its segment root.
    let valid = lost
        .iter()
        .filter(|&&i| {
            victim
                .store()
                .get_shard(&m.segment_roots()[i as usize])
                .expect("reads a shard")
                .is_some()
        })
        .count();
    assert_eq!(valid, lost.len(), "{name}: shards missing after repair");
    // A fetched shard adds 1 to the counter, a rebuilt one k.
    let transfers = victim.usage().fetched_shards - fetched_before;
    let n = lost.len() as u64;
    let rebuilt = transfers.saturating_sub(n) / (k - 1).max(1);
    Outcome {
        name,
        path,
        lost_bytes: n * shard_len,
        shards: lost.len(),
        rounds,
        seconds,
        fetched: n.saturating_sub(rebuilt),
        rebuilt,
        network_bytes: transfers * shard_len,
    }
}

fn main() {
    let mib = size_mib();
    let size = mib << 20;
    let params = Params::default();
    let dirs: Vec<tempfile::TempDir> = (0..NODES)
        .map(|_| tempfile::tempdir().expect("a temporary directory"))
        .collect();
    let paths: Vec<&Path> = dirs.iter().map(|d| d.path()).collect();
    let config = DdsConfig {
        // Node 0 holds every shard until placement moves them.
        capacity: 1 << 40,
        // No chunk cache: each rebuild reads its chunk's shards from the peers.
        cache_bytes: 0,
        max_put_size: size,
        params,
    };
    let c = Cluster::open(&paths, config, PROVIDERS).expect("opens the stores");
    println!(
        "repair bench: {mib} MiB of content, {}+{} shards of {} KiB chunks, {PROVIDERS} providers \
         + 1 spare node, in-memory network, stores in {}",
        params.k,
        params.m,
        params.chunk_size >> 10,
        std::env::temp_dir().display()
    );

    let content = Random {
        rng: rand::rngs::StdRng::seed_from_u64(17),
        left: size,
    };
    let t = Instant::now();
    let m = Arc::new(c.nodes[0].put(content, params, |_| {}).expect("puts"));
    let put_secs = t.elapsed().as_secs_f64();
    println!(
        "put with placement: {:.1} s ({:.0} MiB/s of content)",
        put_secs,
        mib as f64 / put_secs
    );

    let shards = m.segment_roots().len() as u32;
    let copies: Vec<usize> = (0..shards)
        .map(|i| c.nodes.iter().filter(|n| holds(n, &m, i)).count())
        .collect();
    let victim = &c.nodes[VICTIM];
    let lost: Vec<u32> = (0..shards).filter(|&i| holds(victim, &m, i)).collect();
    println!(
        "placement: {} shards, {} held by exactly one node, {} by none; node {VICTIM} holds {} \
         ({} chunks)",
        shards,
        copies.iter().filter(|&&n| n == 1).count(),
        copies.iter().filter(|&&n| n == 0).count(),
        lost.len(),
        m.layout().chunk_count()
    );
    assert!(
        lost.iter().all(|&i| copies[i as usize] == 1),
        "a lost shard has a copy elsewhere: the rebuild runs would fetch it"
    );

    let default = Throttle::per_round(DEFAULT_CONCURRENCY, DEFAULT_BANDWIDTH, ROUND);
    let unthrottled = Throttle::unlimited(DEFAULT_CONCURRENCY);
    // The peers' per-requester buckets (`Limits::default`: 64 MiB burst, 32 MiB/s) refill
    // between runs.
    let settle = || std::thread::sleep(ROUND);
    let mut outcomes = Vec::new();
    outcomes.push(run(
        victim,
        &m,
        &lost,
        default,
        true,
        ("default throttle", "rebuild"),
    ));
    settle();
    outcomes.push(run(
        victim,
        &m,
        &lost,
        unthrottled,
        false,
        ("unthrottled", "rebuild"),
    ));
    // A copy of each lost shard on the spare node, announced as a Kademlia provider.
    let spare = &c.nodes[SPARE];
    for &i in &lost {
        let root = &m.segment_roots()[i as usize];
        let bytes = victim
            .store()
            .get_shard(root)
            .expect("reads a shard")
            .expect("repaired");
        spare
            .store()
            .put_shard(root, &bytes)
            .expect("stores a copy");
    }
    spare.announce(vec![m.cid()]);
    settle();
    outcomes.push(run(
        victim,
        &m,
        &lost,
        default,
        true,
        ("default throttle", "fetch"),
    ));
    settle();
    outcomes.push(run(
        victim,
        &m,
        &lost,
        unthrottled,
        false,
        ("unthrottled", "fetch"),
    ));

    println!(
        "\ndefault throttle: {} at once, {} MiB per {} s round; unthrottled: {} at once, no budget",
        default.concurrency,
        default.bytes_per_round >> 20,
        ROUND.as_secs(),
        unthrottled.concurrency
    );
    println!(
        "{:<17} {:<8} {:>9} {:>7} {:>7} {:>8} {:>9} {:>10} {:>8} {:>8} {:>10}",
        "run",
        "path",
        "GiB lost",
        "shards",
        "rounds",
        "seconds",
        "s per GiB",
        "MiB/s lost",
        "fetched",
        "rebuilt",
        "net MiB/s"
    );
    for o in &outcomes {
        let gib = o.lost_bytes as f64 / GIB;
        println!(
            "{:<17} {:<8} {:>9.4} {:>7} {:>7} {:>8.2} {:>9.1} {:>10.1} {:>8} {:>8} {:>10.1}",
            o.name,
            o.path,
            gib,
            o.shards,
            o.rounds,
            o.seconds,
            o.seconds / gib,
            o.lost_bytes as f64 / MIB / o.seconds,
            o.fetched,
            o.rebuilt,
            o.network_bytes as f64 / MIB / o.seconds
        );
    }
}
