//! Repair: storing the shards this node should hold and lacks, within a throttle.
//!
//! A storage provider (the node's `dds_chain` task) runs one [`repair_round`] every few
//! seconds over the shards the chain assigned to it and it has not confirmed yet, least
//! redundant chunk first: a new deal, or a shard reassigned after its provider left or lost
//! it. Each shard is fetched from a peer that has it, or else rebuilt from any k shards of
//! its chunk, and checked against its segment root ([`Dds::ensure_shard`]).
//!
//! A round works on [`Throttle::concurrency`] shards at once, taking them in the order
//! given, and takes no new shard once the bytes it moved over the network reach
//! [`Throttle::bytes_per_round`]. A fetched shard costs its size; a rebuilt one costs k
//! shards (what was fetched to decode its chunk), so the same budget rebuilds k times fewer
//! shards than it fetches; a shard already here costs nothing. The shards in flight when
//! the budget is reached still finish, so a round may go over it by up to `concurrency`
//! shards; the shards not reached wait for the next round.
//!
//! `benches/repair.rs` times this path over the in-memory network of `mem_net`.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use parking_lot::Mutex;

use crate::{Dds, Manifest};

/// Time between a provider's repair rounds (its chain task's round).
pub const ROUND: Duration = Duration::from_secs(3);
/// Shards a provider fetches or rebuilds at once by default (`--dds-repair-concurrency`).
pub const DEFAULT_CONCURRENCY: usize = 2;
/// Network bandwidth a provider's repair may use by default, in MiB/s
/// (`--dds-repair-bandwidth`).
pub const DEFAULT_BANDWIDTH_MIB: u64 = 32;

/// How much one repair round may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttle {
    /// Shards fetched or rebuilt at once (at least one).
    pub concurrency: usize,
    /// Bytes moved over the network after which the round takes no new shard.
    pub bytes_per_round: u64,
}

impl Throttle {
    /// `concurrency` shards at once and `bytes_per_second` of network, for rounds every
    /// `round` (counted in whole seconds, at least one): the node's
    /// `--dds-repair-concurrency` and `--dds-repair-bandwidth`.
    pub fn per_round(concurrency: usize, bytes_per_second: u64, round: Duration) -> Self {
        Throttle {
            concurrency,
            bytes_per_round: bytes_per_second.saturating_mul(round.as_secs().max(1)),
        }
    }

    /// `concurrency` shards at once, without a byte budget.
    pub fn unlimited(concurrency: usize) -> Self {
        Throttle {
            concurrency,
            bytes_per_round: u64::MAX,
        }
    }
}

/// Stores the `pending` shards (a manifest, a shard index, and the caller's tag for it)
/// that are here, can be fetched, or can be rebuilt, within `throttle` (see the module
/// documentation). Returns the tags of the shards now held, in `pending`'s order; a shard
/// that could not be had is left out (and logged at debug level), to be tried again in a
/// later round.
pub fn repair_round<T: Send>(
    dds: &Dds,
    pending: Vec<(Arc<Manifest>, u32, T)>,
    throttle: &Throttle,
) -> Vec<T> {
    let jobs = pending
        .into_iter()
        .map(|(manifest, shard, tag)| ((manifest, shard), tag))
        .collect();
    throttled(jobs, throttle, |(manifest, shard)| {
        match dds.ensure_shard(manifest, *shard) {
            Ok(moved) => Some(moved),
            Err(e) => {
                tracing::debug!(
                    target: "dds",
                    cid = %manifest.cid(),
                    shard,
                    error = %e,
                    "an assigned shard is not available yet"
                );
                None
            }
        }
    })
}

/// Runs `work` over `jobs` in order, `throttle.concurrency` at once, until the bytes it
/// reports reach the budget; `None` is a job that failed (it costs nothing). Returns the
/// tags of the jobs that succeeded, in `jobs`' order.
fn throttled<J: Send, T: Send>(
    jobs: Vec<(J, T)>,
    throttle: &Throttle,
    work: impl Fn(&J) -> Option<u64> + Sync,
) -> Vec<T> {
    let budget = throttle.bytes_per_round;
    let threads = throttle.concurrency.max(1).min(jobs.len());
    let queue = Mutex::new(jobs.into_iter().enumerate());
    let spent = AtomicU64::new(0);
    let done = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                if spent.load(Ordering::Relaxed) >= budget {
                    break;
                }
                let Some((i, (job, tag))) = queue.lock().next() else {
                    break;
                };
                if let Some(moved) = work(&job) {
                    // Never fails: the closure always returns `Some`.
                    let _ = spent.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
                        Some(s.saturating_add(moved))
                    });
                    done.lock().push((i, tag));
                }
            });
        }
    });
    let mut done = done.into_inner();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, tag)| tag).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{mem_net::Cluster, DdsConfig, Params};
    use rand::{RngCore, SeedableRng};
    use std::{
        path::Path,
        sync::atomic::AtomicUsize,
        time::{Duration, Instant},
    };

    const SMALL: Params = Params {
        chunk_size: 4096,
        k: 4,
        m: 2,
    };
    /// A shard of [`SMALL`] content.
    const SHARD: u64 = 1024;

    fn config() -> DdsConfig {
        DdsConfig {
            capacity: 1 << 30,
            cache_bytes: 0,
            max_put_size: 1 << 20,
            params: SMALL,
        }
    }

    fn content(len: usize, seed: u64) -> Vec<u8> {
        let mut data = vec![0; len];
        rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut data);
        data
    }

    /// A store alone (no network) holding `chunks` chunks of content, without the shards
    /// at `lost`.
    fn store_missing(dir: &Path, chunks: usize, lost: &[u32]) -> (Dds, Arc<Manifest>) {
        let dds = Dds::open(dir, config()).unwrap();
        let data = content(chunks * 4096, chunks as u64);
        let m = Arc::new(dds.put(&data[..], SMALL, |_| {}).unwrap());
        for &i in lost {
            dds.store()
                .remove_shard(&m.segment_roots()[i as usize])
                .unwrap();
        }
        (dds, m)
    }

    fn has(dds: &Dds, m: &Manifest, i: u32) -> bool {
        dds.store()
            .get_shard(&m.segment_roots()[i as usize])
            .unwrap()
            .is_some()
    }

    /// Jobs 0..n, each tagged with its index.
    fn jobs(n: usize) -> Vec<(usize, usize)> {
        (0..n).map(|i| (i, i)).collect()
    }

    #[test]
    fn a_round_takes_no_new_shard_once_its_budget_is_spent() {
        let calls = AtomicUsize::new(0);
        let cost = |_: &usize| {
            calls.fetch_add(1, Ordering::SeqCst);
            Some(10)
        };
        let one = |bytes_per_round| Throttle {
            concurrency: 1,
            bytes_per_round,
        };
        // 10, 20 are under 25; the third shard reaches it.
        assert_eq!(throttled(jobs(10), &one(25), cost), vec![0, 1, 2]);
        assert_eq!(calls.swap(0, Ordering::SeqCst), 3);
        assert_eq!(throttled(jobs(10), &one(30), cost), vec![0, 1, 2]);
        assert_eq!(throttled(jobs(10), &one(31), cost), vec![0, 1, 2, 3]);
        calls.store(0, Ordering::SeqCst);
        // No budget: nothing is even tried.
        assert!(throttled(jobs(10), &one(0), cost).is_empty());
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn shards_already_held_and_failed_ones_cost_nothing() {
        let throttle = Throttle {
            concurrency: 1,
            bytes_per_round: 1,
        };
        // Held (0 bytes) and failed shards leave the budget whole; the first one that
        // moves bytes spends it.
        let work = |&i: &usize| match i {
            0 | 2 => Some(0),
            1 | 3 => None,
            _ => Some(SHARD),
        };
        assert_eq!(throttled(jobs(8), &throttle, work), vec![0, 2, 4]);
    }

    #[test]
    fn no_more_than_concurrency_shards_are_worked_on_at_once() {
        const AT_ONCE: usize = 3;
        let in_flight = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let full = (Mutex::new(false), parking_lot::Condvar::new());
        let work = |_: &usize| {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            // The first jobs wait for each other, so that the peak reaches the limit if
            // the round allows it (bounded, should it not).
            let mut reached = full.0.lock();
            if now >= AT_ONCE {
                *reached = true;
                full.1.notify_all();
            }
            let deadline = Instant::now() + Duration::from_secs(2);
            while !*reached && !full.1.wait_until(&mut reached, deadline).timed_out() {}
            drop(reached);
            in_flight.fetch_sub(1, Ordering::SeqCst);
            Some(SHARD)
        };
        let throttle = Throttle::unlimited(AT_ONCE);
        assert_eq!(
            throttled(jobs(12), &throttle, work),
            (0..12).collect::<Vec<_>>()
        );
        assert_eq!(peak.load(Ordering::SeqCst), AT_ONCE);
    }

    #[test]
    fn shards_are_taken_and_returned_in_pending_order() {
        let started = Mutex::new(Vec::new());
        let one = Throttle::unlimited(1);
        let work = |&i: &usize| {
            started.lock().push(i);
            Some(SHARD)
        };
        assert_eq!(throttled(jobs(6), &one, work), (0..6).collect::<Vec<_>>());
        assert_eq!(*started.lock(), (0..6).collect::<Vec<_>>());
        // At once, the early jobs slowest: they finish last, yet come back first.
        let slow_first = |&i: &usize| {
            std::thread::sleep(Duration::from_millis(2 * (6 - i as u64)));
            Some(SHARD)
        };
        let tags = throttled(jobs(6), &Throttle::unlimited(4), slow_first);
        assert_eq!(tags, (0..6).collect::<Vec<_>>());
    }

    #[test]
    fn a_shard_that_cannot_be_had_is_skipped_and_the_others_repaired() {
        let dir = tempfile::tempdir().unwrap();
        // Chunk 0 keeps 3 shards of the 4 needed; chunks 1 and 2 lose one each.
        let (dds, m) = store_missing(dir.path(), 3, &[0, 1, 2, 7, 12]);
        let pending = [(0, "a"), (7, "b"), (1, "c"), (12, "d"), (13, "held")]
            .into_iter()
            .map(|(i, tag)| (m.clone(), i, tag))
            .collect();
        let held = repair_round(&dds, pending, &Throttle::unlimited(2));
        assert_eq!(held, vec!["b", "d", "held"]);
        // Rebuilt, and valid against its segment root (get_shard checks).
        assert!(has(&dds, &m, 7) && has(&dds, &m, 12));
        assert!(!has(&dds, &m, 0) && !has(&dds, &m, 1));
    }

    #[test]
    fn a_rebuilt_shard_costs_k_shards_of_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let (dds, m) = store_missing(dir.path(), 3, &[1, 7, 13]);
        let pending = || {
            [1, 7, 13]
                .into_iter()
                .map(|i| (m.clone(), i, i))
                .collect::<Vec<_>>()
        };
        // A budget of one rebuild (k shards) takes one shard a round, in order.
        let throttle = Throttle {
            concurrency: 1,
            bytes_per_round: 4 * SHARD,
        };
        assert_eq!(repair_round(&dds, pending(), &throttle), vec![1]);
        assert!(!has(&dds, &m, 7));
        // The shard now held costs nothing: the next round reaches the next one.
        assert_eq!(repair_round(&dds, pending(), &throttle), vec![1, 7]);
        assert_eq!(repair_round(&dds, pending(), &throttle), vec![1, 7, 13]);
    }

    #[test]
    fn a_wiped_provider_gets_every_shard_back_over_throttled_rounds() {
        let dirs: Vec<_> = (0..6).map(|_| tempfile::tempdir().unwrap()).collect();
        let paths: Vec<&Path> = dirs.iter().map(|d| d.path()).collect();
        let c = Cluster::open(&paths, config(), 6).unwrap();
        let data = content(8 * 4096, 17);
        let m = Arc::new(c.nodes[0].put(&data[..], SMALL, |_| {}).unwrap());
        // Placement puts each shard on one node: node 3's can only be rebuilt.
        let victim = &c.nodes[3];
        let lost: Vec<u32> = (0..m.segment_roots().len() as u32)
            .filter(|&i| has(victim, &m, i))
            .collect();
        assert_eq!(lost.len(), 8, "one shard of each chunk");
        for &i in &lost {
            victim
                .store()
                .remove_shard(&m.segment_roots()[i as usize])
                .unwrap();
        }
        let fetched_before = victim.usage().fetched_shards;
        // Three rebuilds a round (four when the second thread's is in flight as the third
        // one reaches the budget).
        let throttle = Throttle {
            concurrency: 2,
            bytes_per_round: 3 * 4 * SHARD,
        };
        let mut left = lost.clone();
        let mut rounds = 0;
        while !left.is_empty() {
            rounds += 1;
            assert!(rounds <= 8, "no progress: {left:?} left");
            let pending = left.iter().map(|&i| (m.clone(), i, i)).collect();
            let held = repair_round(victim, pending, &throttle);
            assert!(held.len() <= 3 + 1, "within the budget: {held:?}");
            left.retain(|i| !held.contains(i));
        }
        assert!(rounds >= 2, "throttled: {rounds} rounds");
        assert!(lost.iter().all(|&i| has(victim, &m, i)));
        // Each was rebuilt from k shards fetched from peers.
        assert_eq!(victim.usage().fetched_shards - fetched_before, 4 * 8);
    }
}
