//! Quorum sizes, the Fenwick tree and the weighted draw without replacement.

use super::*;
use crate::{ceil_sqrt, quorum_size, Fenwick, Pallet, PoolSlots, Pools};
use pallet_reputation::Role;
use sp_runtime::Perbill;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn ceil_sqrt_is_exact() {
    for n in 0u32..5_000 {
        let r = ceil_sqrt(n);
        assert!(u64::from(r) * u64::from(r) >= u64::from(n), "{n}");
        assert!(
            r == 0 || u64::from(r - 1) * u64::from(r - 1) < u64::from(n),
            "{n}"
        );
    }
    assert_eq!(ceil_sqrt(u32::MAX), 65_536);
    assert_eq!(ceil_sqrt(10_000), 100);
    assert_eq!(ceil_sqrt(10_001), 101);
}

#[test]
fn quorum_sizes_follow_the_issue() {
    // K = max(3, ceil(sqrt(N))): the issue's values.
    assert_eq!(quorum_size(3, 0, 200), 3);
    assert_eq!(quorum_size(4, 0, 200), 3);
    assert_eq!(quorum_size(10, 0, 200), 4);
    assert_eq!(quorum_size(100, 0, 200), 10);
    assert_eq!(quorum_size(10_000, 0, 200), 100);
    // The escalated round is 2K, capped.
    assert_eq!(quorum_size(10_000, 1, 200), 200);
    assert_eq!(quorum_size(3, 1, 200), 6);
    assert_eq!(quorum_size(10_000, 1, 150), 150);
    assert_eq!(quorum_size(0, 0, 200), 3);
}

/// Joins `n` evaluators to a new domain, submits an optimum from `OPTIMIZER` (not a
/// member) and returns the drawn quorum.
fn drawn_at(n: u64) -> Vec<AccountId> {
    let d = add_domain(10, 1, Perbill::zero(), false);
    join_n(d, n);
    let id = submit(OPTIMIZER, d, 100);
    until_voting(id);
    let (_, members) = quorum(id);
    members
}

#[test]
fn drawn_quorum_sizes_at_3_4_10_100_and_10_000_members() {
    for (n, k) in [(3u64, 3usize), (4, 3), (10, 4), (100, 10), (10_000, 100)] {
        new_test_ext().execute_with(|| {
            let members = drawn_at(n);
            assert_eq!(members.len(), k, "N = {n}");
            let distinct: BTreeSet<_> = members.iter().collect();
            assert_eq!(distinct.len(), k, "N = {n}: a member drawn twice");
            assert!(members.iter().all(|m| *m >= eval(0) && *m < eval(n)));
            // The event carries the same members.
            let ev = events()
                .into_iter()
                .find_map(|e| match e {
                    Event::QuorumDrawn { members, .. } => Some(members.into_inner()),
                    _ => None,
                })
                .expect("drawn");
            let mut ev_sorted = ev.clone();
            ev_sorted.sort();
            assert_eq!(ev_sorted, members);
            check();
        });
    }
}

#[test]
fn small_pool_minus_the_excluded_serves_whole() {
    new_test_ext().execute_with(|| {
        let d = add_domain(10, 1, Perbill::zero(), false);
        join_n(d, 4);
        // The optimizer is itself a member and links another: 2 eligible, K = 3.
        set_linked(eval(0), vec![eval(1), 77]);
        let id = submit(eval(0), d, 100);
        until_voting(id);
        assert_eq!(quorum(id).1, vec![eval(2), eval(3)]);
        check();
    });
}

#[test]
fn no_eligible_member_closes_the_optimum_undecided_with_deposit_back() {
    new_test_ext().execute_with(|| {
        let d = add_domain(10, 1, Perbill::zero(), false);
        join_n(d, 1);
        let before = free(eval(0));
        let id = submit(eval(0), d, 100);
        run_to(System::block_number() + DRAW_DELAY);
        assert_eq!(outcome(id), Some((crate::Outcome::Undecided, None)));
        assert_eq!(free(eval(0)), before);
        assert!(Optimums::<Test>::get(id).is_none());
        check();
    });
}

/// Every prefix sum of the tree equals the sum of the slots' weights below it.
fn assert_tree_consistent(d: u32) {
    let pool = Pools::<Test>::get(d);
    let mut sum = 0u128;
    for slot in 0..pool.size {
        sum += PoolSlots::<Test>::get(d, slot).expect("slot").weight;
        assert_eq!(
            Pallet::<Test>::prefix(d, slot + 1),
            sum,
            "prefix {}",
            slot + 1
        );
    }
    assert_eq!(sum, pool.total);
    assert_eq!(Fenwick::<Test>::iter_prefix(d).count() as u32, pool.size);
}

#[test]
fn fenwick_tree_stays_consistent_through_joins_leaves_and_bond_changes() {
    new_test_ext().execute_with(|| {
        let d = add_domain(10, 1, Perbill::zero(), false);
        for i in 0..37u64 {
            join(d, eval(i), MIN_BOND + u128::from(i) * 7);
            assert_tree_consistent(d);
        }
        for i in [0u64, 36, 5, 17, 18, 2] {
            assert_ok!(Domains::leave_pool(signed(eval(i)), d));
            assert_tree_consistent(d);
        }
        assert_ok!(Domains::bond_more(signed(eval(9)), d, 1_000));
        assert_tree_consistent(d);
        assert_ok!(Domains::unbond(signed(eval(9)), d, 500));
        assert_tree_consistent(d);
        // Reputation moves weight once refreshed.
        set_reputation(eval(10), Role::Evaluator, 900);
        assert_ok!(Domains::refresh_weight(signed(OPTIMIZER), d, eval(10)));
        let m = crate::Members::<Test>::get(d, eval(10)).expect("member");
        assert_eq!(
            PoolSlots::<Test>::get(d, m.slot).expect("slot").weight,
            (MIN_BOND + 70) * 1_000
        );
        assert_tree_consistent(d);
        for i in 0..37u64 {
            if crate::Members::<Test>::contains_key(d, eval(i)) {
                assert_ok!(Domains::leave_pool(signed(eval(i)), d));
                assert_tree_consistent(d);
            }
        }
        assert_eq!(Pools::<Test>::get(d).size, 0);
        assert_eq!(Fenwick::<Test>::iter_prefix(d).count(), 0);
        check();
    });
}

/// A seed for draw `i` of the statistical tests.
fn seed(i: u32) -> [u8; 32] {
    sp_io::hashing::blake2_256(&i.to_le_bytes())
}

#[test]
fn heavier_members_are_drawn_more_often_never_twice_and_never_when_excluded() {
    new_test_ext().execute_with(|| {
        let d = add_domain(10, 1, Perbill::zero(), false);
        // Member i has bond (i + 1) × MIN_BOND: weights 1..=10 (same reputation).
        for i in 0..10u64 {
            join(d, eval(i), MIN_BOND * u128::from(i + 1));
        }
        let excluded = [eval(9), eval(4)];
        let tree_before: Vec<_> = Fenwick::<Test>::iter_prefix(d).collect();
        let mut counts: BTreeMap<AccountId, u32> = BTreeMap::new();
        let rounds = 4_000u32;
        for r in 0..rounds {
            let drawn = Pallet::<Test>::draw(d, 4, &excluded, &seed(r));
            assert_eq!(drawn.len(), 4);
            let distinct: BTreeSet<_> = drawn.iter().collect();
            assert_eq!(distinct.len(), 4, "drawn twice in one quorum");
            for who in drawn {
                assert!(!excluded.contains(&who), "an excluded account was drawn");
                *counts.entry(who).or_default() += 1;
            }
        }
        let c = |i: u64| counts.get(&eval(i)).copied().unwrap_or(0);
        // Heavier, more often: strictly increasing in weight among the eligible.
        let eligible = [0u64, 1, 2, 3, 5, 6, 7, 8];
        for w in eligible.windows(2) {
            assert!(
                c(w[0]) < c(w[1]),
                "{} drawn {} ≥ {} drawn {}",
                w[0],
                c(w[0]),
                w[1],
                c(w[1])
            );
        }
        assert_eq!(c(9), 0);
        assert_eq!(c(4), 0);
        // The draws left the stored tree as it was.
        let tree_after: Vec<_> = Fenwick::<Test>::iter_prefix(d).collect();
        assert_eq!(tree_before, tree_after);
        check();
    });
}

#[test]
fn single_draws_follow_the_weights() {
    new_test_ext().execute_with(|| {
        let d = add_domain(10, 1, Perbill::zero(), false);
        for i in 0..5u64 {
            join(d, eval(i), MIN_BOND * u128::from(i + 1));
        }
        // Reputation counts: member 0 gets 100 more (factor 200 instead of 100).
        set_reputation(eval(0), Role::Evaluator, 100);
        assert_ok!(Domains::refresh_weight(signed(OPTIMIZER), d, eval(0)));
        // Weights 2, 2, 3, 4, 5 (in units of MIN_BOND × 100): total 16.
        let expected = [2.0, 2.0, 3.0, 4.0, 5.0].map(|w| w / 16.0);
        let n = 20_000u32;
        let mut counts = [0u32; 5];
        for r in 0..n {
            let drawn = Pallet::<Test>::draw(d, 1, &[], &seed(r));
            counts[(drawn[0] - eval(0)) as usize] += 1;
        }
        for i in 0..5 {
            let f = f64::from(counts[i]) / f64::from(n);
            // 20,000 draws: the standard error is below 0.0035; allow 4 of them.
            assert!(
                (f - expected[i]).abs() < 0.014,
                "member {i}: {f} vs {}",
                expected[i]
            );
        }
        check();
    });
}

#[test]
fn linked_accounts_are_never_drawn_by_the_hook() {
    new_test_ext().execute_with(|| {
        let d = add_domain(10, 1, Perbill::zero(), false);
        join_n(d, 12);
        let linked = vec![eval(0), eval(1), eval(2), eval(3), eval(4)];
        set_linked(OPTIMIZER, linked.clone());
        for s in 0..20 {
            set_seed(s);
            let id = submit(OPTIMIZER, d, 100 + s as i64);
            until_voting(id);
            let (_, members) = quorum(id);
            assert_eq!(members.len(), 4);
            assert!(members.iter().all(|m| !linked.contains(m)));
            // Let it close undecided (nobody votes), twice, to free the members.
            run_to(windows(id).1);
            play_round(id, |_| None);
        }
        check();
    });
}

#[test]
fn lower_median_and_direction() {
    use crate::{distance, lower_median, Direction};
    assert_eq!(lower_median(&[]), None);
    assert_eq!(lower_median(&[5]), Some(5));
    assert_eq!(lower_median(&[1, 9]), Some(1));
    assert_eq!(lower_median(&[1, 2, 9]), Some(2));
    assert_eq!(lower_median(&[1, 2, 8, 9]), Some(2));
    assert_eq!(distance(i64::MIN, i64::MAX), u64::MAX);
    assert!(Direction::LowerIsBetter.better(1, 2));
    assert!(Direction::HigherIsBetter.better(2, 1));
    assert_eq!(
        Direction::LowerIsBetter.gain(i64::MIN, i64::MAX),
        i128::from(u64::MAX)
    );
}
