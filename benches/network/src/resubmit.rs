//! Resubmission of refused transfers for `network-bench load`, in each account's nonce order.
//!
//! A pre-signed transfer refused for a transient reason (the pool full or at a limit, an
//! RPC timeout, a lost connection) would leave a nonce gap: every later transfer of its
//! account would wait in the pool's future queue for ever, and the measured rate would
//! collapse because of the tool, not the chain. So such a transfer is held and sent again
//! after a backoff, and while an account has a transfer held or being resent, its fresh
//! transfers are held behind it: an account's transfers are never sent ahead of a lower
//! nonce of the same account that is refused, waiting, or being resent. A transfer
//! refused for good (invalid), or still refused after the last attempt, is given up; the
//! later transfers of its account then cannot be included, so they are given up too
//! instead of being sent to fill the future queue. Everything here is plain bookkeeping
//! in ticks of the sender, without I/O, so that it can be tested without nodes.
//!
//! Transfer `k` is from account `k mod accounts` with nonce `k div accounts`, so within an
//! account, order by `k` is order by nonce.

use std::collections::{BTreeMap, BTreeSet, HashSet};

/// What a node answered to one submission, as the sender acts on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// In the pool (or, on a resubmission, already in it or already in a block).
    Accepted,
    /// Refused for a reason that passes (pool full, timeout, connection): send it again.
    Transient(&'static str),
    /// Refused for good; `gap` when its nonce stays unused (then the account's later
    /// transfers cannot be included either).
    Permanent { reason: String, gap: bool },
}

/// Classifies a refusal: `code`, `message` and `data` of the JSON-RPC error, or `None`
/// for the code of a transport error (its message in `message`). `retry` says whether
/// this was a resubmission, where "already imported" and a stale nonce mean that an
/// earlier attempt got in after all (e.g. its answer timed out).
pub fn classify(code: Option<i32>, message: &str, data: &str, retry: bool) -> Verdict {
    match code {
        None if message.contains("timed out") || message.contains("timeout") => {
            Verdict::Transient("RPC timeout")
        }
        None => Verdict::Transient("connection error"),
        Some(1013) => Verdict::Accepted,
        Some(1016) if data.contains("future") => {
            Verdict::Transient("pool limit: the sender's future transactions (1016)")
        }
        Some(1016) => Verdict::Transient("pool full (1016)"),
        Some(1012) => Verdict::Transient("temporarily banned (1012)"),
        Some(1011) => Verdict::Transient("unknown validity (1011)"),
        Some(1002) => Verdict::Transient("node verification error (1002)"),
        // JSON-RPC server errors: busy, internal error.
        Some(c) if (-32099..=-32000).contains(&c) || c == -32603 => {
            Verdict::Transient("RPC server error (-32xxx)")
        }
        Some(1010) if data.contains("Stale") && retry => Verdict::Accepted,
        Some(c) => Verdict::Permanent {
            reason: format!("{message} ({c}: {data})"),
            gap: !(c == 1010 && data.contains("Stale")),
        },
    }
}

/// A held transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    /// Refused `attempts` times; may be sent again from tick `ready_at`.
    Refused { attempts: u32, ready_at: u64 },
    /// Never sent: waits behind a lower nonce of its account.
    Fresh,
    /// Sent (again), the answer not yet in; `attempts` refusals before.
    InFlight { attempts: u32 },
}

/// Counters for the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetryStats {
    /// Submissions that were resubmissions.
    pub resubmissions: u64,
    /// Distinct transfers refused at least once for a transient reason.
    pub retried: u64,
    /// Of those, accepted by a later attempt.
    pub recovered: u64,
    /// Fresh transfers that waited behind a lower nonce of their account.
    pub held_fresh: u64,
    /// Transfers given up, by reason.
    pub given_up: BTreeMap<String, u64>,
}

/// The resubmission state of the sender.
pub struct Retries {
    accounts: u32,
    max_attempts: u32,
    max_backoff: u64,
    /// Per account with something held: its held transfers by `k` (nonce order).
    held: BTreeMap<u32, BTreeMap<u32, Held>>,
    /// Accounts with a given-up transfer that leaves a nonce gap.
    dead: HashSet<u32>,
    /// Transfers refused at least once (for `recovered`).
    was_refused: BTreeSet<u32>,
    stats: RetryStats,
}

/// Reason for the later transfers of an account whose nonce gap cannot be filled.
pub const BEHIND_GAP: &str = "behind a given-up nonce of the same account";

impl Retries {
    /// `max_attempts` transient refusals of one transfer before it is given up; the
    /// backoff after the `r`th refusal is `2^(r-1)` ticks, at most `max_backoff`.
    pub fn new(accounts: u32, max_attempts: u32, max_backoff: u64) -> Self {
        Self {
            accounts,
            max_attempts: max_attempts.max(1),
            max_backoff: max_backoff.max(1),
            held: BTreeMap::new(),
            dead: HashSet::new(),
            was_refused: BTreeSet::new(),
            stats: RetryStats::default(),
        }
    }

    fn account(&self, k: u32) -> u32 {
        k % self.accounts
    }

    /// Nothing held, waiting or in flight for a resend.
    pub fn is_idle(&self) -> bool {
        self.held.is_empty()
    }

    /// The counters so far.
    pub fn stats(&self) -> &RetryStats {
        &self.stats
    }

    /// A fresh transfer is due: `true` to send it now; `false` when it is held behind a
    /// lower nonce of its account (sent later by [`Retries::take_due`]) or given up.
    pub fn admit_fresh(&mut self, k: u32) -> bool {
        let a = self.account(k);
        if self.dead.contains(&a) {
            self.give_up_one(BEHIND_GAP);
            return false;
        }
        match self.held.get_mut(&a) {
            Some(q) => {
                q.insert(k, Held::Fresh);
                self.stats.held_fresh += 1;
                false
            }
            None => true,
        }
    }

    /// The held transfers of the accounts `on_node` selects that may go at tick `now`,
    /// each account's in nonce order: an account's run stops at the first transfer still
    /// backing off or in flight. What is returned is marked in flight.
    pub fn take_due(&mut self, now: u64, on_node: impl Fn(u32) -> bool) -> Vec<u32> {
        let mut out = Vec::new();
        for (_, q) in self.held.iter_mut().filter(|(a, _)| on_node(**a)) {
            for (k, h) in q.iter_mut() {
                match *h {
                    Held::Refused { attempts, ready_at } if ready_at <= now => {
                        *h = Held::InFlight { attempts };
                        self.stats.resubmissions += 1;
                    }
                    Held::Fresh => *h = Held::InFlight { attempts: 0 },
                    Held::Refused { .. } | Held::InFlight { .. } => break,
                }
                out.push(*k);
            }
        }
        out.sort_unstable();
        out
    }

    /// Records a node's answer to transfer `k`, sent at tick `now`.
    pub fn answer(&mut self, k: u32, verdict: &Verdict, now: u64) {
        let a = self.account(k);
        let attempts = match self.held.get(&a).and_then(|q| q.get(&k)) {
            Some(Held::InFlight { attempts } | Held::Refused { attempts, .. }) => *attempts,
            _ => 0,
        };
        match verdict {
            Verdict::Accepted => {
                if self.was_refused.contains(&k) {
                    self.stats.recovered += 1;
                }
                self.remove(a, k);
            }
            _ if self.dead.contains(&a) => {
                self.remove(a, k);
                self.give_up_one(BEHIND_GAP);
            }
            Verdict::Transient(reason) => {
                if self.was_refused.insert(k) {
                    self.stats.retried += 1;
                }
                let attempts = attempts + 1;
                if attempts >= self.max_attempts {
                    self.give_up(a, k, &format!("{attempts} attempts, last: {reason}"));
                } else {
                    let backoff = (1u64 << (attempts - 1).min(62)).min(self.max_backoff);
                    self.held.entry(a).or_default().insert(
                        k,
                        Held::Refused {
                            attempts,
                            ready_at: now + backoff,
                        },
                    );
                }
            }
            Verdict::Permanent { reason, gap } => {
                if *gap {
                    self.give_up(a, k, reason);
                } else {
                    self.remove(a, k);
                    self.give_up_one(reason);
                }
            }
        }
    }

    /// Gives up every held transfer not in flight (the run is over), by `reason`. Those
    /// in flight stay until answered: refused again, they are given up by the next call.
    pub fn give_up_all(&mut self, reason: &str) {
        let mut n = 0u64;
        self.held.retain(|_, q| {
            q.retain(|_, h| {
                let in_flight = matches!(h, Held::InFlight { .. });
                n += u64::from(!in_flight);
                in_flight
            });
            !q.is_empty()
        });
        if n > 0 {
            *self.stats.given_up.entry(reason.to_string()).or_default() += n;
        }
    }

    fn remove(&mut self, a: u32, k: u32) {
        if let Some(q) = self.held.get_mut(&a) {
            q.remove(&k);
            if q.is_empty() {
                self.held.remove(&a);
            }
        }
    }

    fn give_up_one(&mut self, reason: &str) {
        *self.stats.given_up.entry(reason.to_string()).or_default() += 1;
    }

    /// Gives up `k`, which leaves a gap in account `a`'s nonces, and with it the account's
    /// later transfers held now or due later; those in flight are counted when answered.
    fn give_up(&mut self, a: u32, k: u32, reason: &str) {
        self.give_up_one(reason);
        self.dead.insert(a);
        if let Some(mut q) = self.held.remove(&a) {
            q.remove(&k);
            q.retain(|_, h| {
                let in_flight = matches!(h, Held::InFlight { .. });
                if !in_flight {
                    *self
                        .stats
                        .given_up
                        .entry(BEHIND_GAP.to_string())
                        .or_default() += 1;
                }
                in_flight
            });
            if !q.is_empty() {
                self.held.insert(a, q);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: Verdict = Verdict::Transient("pool full (1016)");

    /// 10 accounts: transfer `k` is account `k % 10`, nonce `k / 10`.
    fn retries() -> Retries {
        Retries::new(10, 3, 4)
    }

    #[test]
    fn a_refused_transfer_goes_again_before_the_later_nonces_of_its_account() {
        let mut r = retries();
        // Account 3 sends nonces 0 (k 3) and 1 (k 13); nonce 0 is refused (pool full).
        assert!(r.admit_fresh(3));
        assert!(r.admit_fresh(13));
        r.answer(3, &FULL, 0);
        r.answer(13, &Verdict::Accepted, 0); // into the future queue
                                             // Nonce 2 (k 23) and account 4's k 4 are due: account 4 is not held, 23 is.
        assert!(!r.admit_fresh(23));
        assert!(r.admit_fresh(4));
        // Backoff: one tick after the first refusal.
        assert_eq!(r.take_due(0, |_| true), Vec::<u32>::new());
        assert_eq!(r.take_due(1, |_| true), vec![3, 23]);
        // While 3 and 23 are in flight, nonce 3 (k 33) waits behind them.
        assert!(!r.admit_fresh(33));
        assert_eq!(r.take_due(2, |_| true), Vec::<u32>::new());
        // 3 refused again (backoff 2 ticks), 23 accepted: 33 still waits for 3.
        r.answer(3, &FULL, 2);
        r.answer(23, &Verdict::Accepted, 2);
        assert_eq!(r.take_due(3, |_| true), Vec::<u32>::new());
        assert_eq!(r.take_due(4, |_| true), vec![3, 33]);
        r.answer(3, &Verdict::Accepted, 4);
        r.answer(33, &Verdict::Accepted, 4);
        assert!(r.is_idle());
        assert!(r.admit_fresh(43));
        let s = r.stats();
        assert_eq!((s.resubmissions, s.retried, s.recovered), (2, 1, 1));
        assert_eq!(s.held_fresh, 2);
        assert!(s.given_up.is_empty());
    }

    #[test]
    fn nonces_come_out_in_order_per_account_and_only_for_the_node_asked() {
        let mut r = retries();
        // Refusals arrive out of nonce order, for accounts 1 and 2.
        for k in [21, 1, 11, 12, 2] {
            r.answer(k, &FULL, 0);
        }
        assert_eq!(r.take_due(1, |a| a == 1), vec![1, 11, 21]);
        assert_eq!(r.take_due(1, |a| a == 2), vec![2, 12]);
    }

    #[test]
    fn a_run_stops_at_a_nonce_still_backing_off() {
        let mut r = retries();
        r.answer(5, &FULL, 0); // ready at 1
        r.answer(5, &FULL, 0); // second refusal: ready at 2
        r.answer(15, &FULL, 0); // ready at 1, but behind 5
        assert_eq!(r.take_due(1, |_| true), Vec::<u32>::new());
        assert_eq!(r.take_due(2, |_| true), vec![5, 15]);
    }

    #[test]
    fn the_backoff_doubles_up_to_its_bound_and_the_attempts_are_bounded() {
        let mut r = Retries::new(10, 5, 4);
        let mut now = 0;
        let mut waits = Vec::new();
        for _ in 0..4 {
            r.answer(7, &FULL, now);
            let from = now;
            while r.take_due(now, |_| true).is_empty() {
                now += 1;
            }
            waits.push(now - from);
        }
        assert_eq!(waits, vec![1, 2, 4, 4]);
        // The fifth refusal gives it up, and the account's later transfers with it.
        assert!(!r.admit_fresh(17));
        r.answer(7, &FULL, now);
        assert!(r.is_idle());
        assert!(!r.admit_fresh(27));
        let given: Vec<(&str, u64)> = r
            .stats()
            .given_up
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(
            given,
            vec![("5 attempts, last: pool full (1016)", 1), (BEHIND_GAP, 2)]
        );
    }

    #[test]
    fn a_permanent_refusal_is_not_retried() {
        let mut r = retries();
        let bad = classify(Some(1010), "Invalid Transaction", "Payment", false);
        assert!(matches!(bad, Verdict::Permanent { gap: true, .. }));
        r.answer(8, &bad, 0);
        assert!(r.is_idle());
        assert!(r.take_due(100, |_| true).is_empty());
        assert!(!r.admit_fresh(18));
        // A stale nonce leaves no gap: the account goes on.
        let stale = classify(Some(1010), "Invalid Transaction", "Stale", false);
        r.answer(9, &stale, 0);
        assert!(r.admit_fresh(19));
        assert_eq!(r.stats().given_up.values().sum::<u64>(), 3);
    }

    #[test]
    fn at_the_end_what_is_held_is_given_up_once() {
        let mut r = retries();
        r.answer(1, &FULL, 0);
        r.answer(2, &FULL, 0);
        assert_eq!(r.take_due(1, |a| a == 1), vec![1]); // 1 in flight, 2 held
        r.give_up_all("end");
        assert!(!r.is_idle()); // 1 still in flight
        r.answer(1, &FULL, 2);
        r.give_up_all("end");
        assert!(r.is_idle());
        assert_eq!(r.stats().given_up.get("end"), Some(&2));
    }

    #[test]
    fn refusals_are_classified() {
        let limit = "The transaction couldn't enter the pool because of the limit";
        assert_eq!(
            classify(Some(1016), "Immediately Dropped", limit, false),
            FULL
        );
        assert_eq!(
            classify(None, "Request timeout", "", false),
            Verdict::Transient("RPC timeout")
        );
        assert_eq!(
            classify(None, "Networking or low-level protocol error", "", false),
            Verdict::Transient("connection error")
        );
        // After a timeout, the first attempt may have got in.
        assert_eq!(classify(Some(1013), "", "", true), Verdict::Accepted);
        assert_eq!(
            classify(Some(1010), "Invalid Transaction", "Stale", true),
            Verdict::Accepted
        );
        assert!(matches!(
            classify(Some(1010), "Invalid Transaction", "BadProof", true),
            Verdict::Permanent { gap: true, .. }
        ));
    }
}
