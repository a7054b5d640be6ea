//! Confirmation deadlines: a shard not confirmed within `confirm_window` is taken from its
//! provider and reassigned, within the per-block budget.

use super::*;
use crate::{
    Assignments, ConfirmCursor, ConfirmDeadlines, Error, FailureReason, HoldReason, ProviderSet,
    ProviderShards, Providers,
};
use frame_support::{assert_noop, assert_ok, traits::Hooks};

/// Opens a one-chunk 4 + 2 deal over `n` providers of 100 MiB at block 1 (shards confirmed
/// by no one yet); returns the content, the deal and the shards' deadline.
fn unconfirmed_deal(n: u64) -> (Content, u64, u64) {
    no_challenges();
    register_n(n, 100 * u64::from(MIB));
    let c = Content::new(65_536, 65_536, 4, 2, 3);
    let deal = open(OWNER, &c, 10, 1_000);
    (c, deal, System::block_number() + CONFIRM)
}

/// The holder of `shard` of `deal`.
fn holder(deal: u64, shard: u32) -> Option<AccountId> {
    Assignments::<Test>::get(deal, shard).and_then(|a| a.provider)
}

/// Every provider confirms its shards of `deal` except `except`.
fn confirm_all_but(deal: u64, except: AccountId) {
    let mut by: std::collections::BTreeMap<AccountId, Vec<u32>> = Default::default();
    for (shard, a) in Assignments::<Test>::iter_prefix(deal) {
        match a.provider {
            Some(p) if p != except => by.entry(p).or_default().push(shard),
            _ => {}
        }
    }
    for (p, shards) in by {
        assert_ok!(Dds::confirm_stored(
            signed(p),
            deal,
            BoundedVec::truncate_from(shards)
        ));
    }
}

/// How many `Unconfirmed` penalties were emitted.
fn unconfirmed_penalties() -> usize {
    events()
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::ProviderPenalized {
                    reason: FailureReason::Unconfirmed,
                    ..
                }
            )
        })
        .count()
}

#[test]
fn an_unconfirmed_shard_past_its_deadline_moves_to_another_provider_and_frees_the_late_ones_capacity(
) {
    test(|| {
        // 7 providers, 6 shards: one provider holds nothing of the chunk.
        let (c, deal, deadline) = unconfirmed_deal(7);
        let late = holder(deal, 0).unwrap();
        let late_shards: Vec<u32> = ProviderShards::<Test>::iter_key_prefix(late)
            .map(|(_, s)| s)
            .collect();
        assert_eq!(late_shards, vec![0], "one shard per provider in a chunk");
        confirm_all_but(deal, late);
        let shard_len = u64::from(c.layout.shard_len(0).unwrap());
        assert_eq!(Providers::<Test>::get(late).unwrap().used, shard_len);

        // The deadline block itself still counts.
        run_to(deadline);
        assert_eq!(holder(deal, 0), Some(late));
        Dds::do_try_state().unwrap();
        run_to(deadline + 1);

        let to = holder(deal, 0).expect("the spare provider has room");
        assert_ne!(to, late);
        for s in 1..6 {
            assert_ne!(holder(deal, s), Some(to), "outside the shard's chunk");
        }
        let a = Assignments::<Test>::get(deal, 0).unwrap();
        assert!(!a.confirmed);
        // The late provider's capacity is free again, in its record and in the set.
        let p = Providers::<Test>::get(late).unwrap();
        assert_eq!((p.used, p.shards), (0, 0));
        let slot = ProviderSet::<Test>::get()
            .into_iter()
            .find(|s| s.who == late)
            .unwrap();
        assert_eq!(slot.free, p.capacity);
        assert!(!ProviderShards::<Test>::contains_key(late, (deal, 0)));
        // Reputation as for a missed challenge, and no slash.
        assert_eq!(reputation(late), 100 - test_params().points.failed);
        assert_eq!(p.bond, 5 * MIN_BOND);
        assert_eq!(held(late, HoldReason::ProviderBond), 5 * MIN_BOND);
        let evs = events();
        assert!(evs.iter().any(|e| matches!(
            e,
            Event::ProviderPenalized {
                provider,
                deal: d,
                shard: 0,
                reason: FailureReason::Unconfirmed,
                slashed: 0,
            } if *provider == late && *d == deal
        )));
        assert!(evs.iter().any(|e| matches!(
            e,
            Event::ShardReassigned { deal: d, shard: 0, from, to: t, .. }
                if *d == deal && *from == late && *t == to
        )));
        // The new holder has its own window, and confirms within it.
        assert_eq!(
            ConfirmDeadlines::<Test>::get(deal, 0),
            Some(deadline + 1 + CONFIRM)
        );
        assert_ok!(Dds::confirm_stored(
            signed(to),
            deal,
            BoundedVec::truncate_from(vec![0])
        ));
        assert_eq!(ConfirmDeadlines::<Test>::get(deal, 0), None);
        assert_eq!(ConfirmCursor::<Test>::get(), deadline + 1);
    });
}

#[test]
fn a_shard_confirmed_in_time_is_not_touched() {
    test(|| {
        let (_, deal, deadline) = unconfirmed_deal(6);
        let before: Vec<_> = (0..6).map(|s| holder(deal, s)).collect();
        // Confirmed in the deadline block, the last that counts.
        run_to(deadline);
        confirm_all(deal);
        assert_eq!(ConfirmDeadlines::<Test>::iter().count(), 0);
        run_to(deadline + 3 * CONFIRM);
        let after: Vec<_> = (0..6).map(|s| holder(deal, s)).collect();
        assert_eq!(before, after);
        assert!((0..6).all(|s| Assignments::<Test>::get(deal, s).unwrap().confirmed));
        assert_eq!(unconfirmed_penalties(), 0);
        assert!(!events()
            .iter()
            .any(|e| matches!(e, Event::ShardReassigned { .. })));
        assert!((0..6).all(|i| reputation(provider(i)) == 0));
    });
}

#[test]
fn a_confirmation_after_the_deadline_is_refused() {
    test(|| {
        let (_, deal, deadline) = unconfirmed_deal(7);
        let late = holder(deal, 0).unwrap();
        let other = holder(deal, 1).unwrap();
        confirm_all_but(deal, late);
        // Past the deadline, before the hook has taken the shard (as with a backlog).
        run_to(deadline);
        System::set_block_number(deadline + 1);
        assert_noop!(
            Dds::confirm_stored(signed(late), deal, BoundedVec::truncate_from(vec![0])),
            Error::<Test>::ConfirmationExpired
        );
        // A batch with one late shard confirms nothing.
        // (Shard 1 is made the late provider's too, unconfirmed, with a later deadline.)
        Assignments::<Test>::mutate(deal, 1, |a| {
            let a = a.as_mut().unwrap();
            a.provider = Some(late);
            a.confirmed = false;
        });
        ProviderShards::<Test>::remove(other, (deal, 1));
        ProviderShards::<Test>::insert(late, (deal, 1), ());
        let len = Providers::<Test>::get(other).unwrap().used;
        Providers::<Test>::mutate(other, |p| {
            let p = p.as_mut().unwrap();
            p.used = 0;
            p.shards = 0;
        });
        Providers::<Test>::mutate(late, |p| {
            let p = p.as_mut().unwrap();
            p.used += len;
            p.shards += 1;
        });
        ProviderSet::<Test>::mutate(|set| {
            for s in set.iter_mut() {
                if s.who == other {
                    s.free += len;
                } else if s.who == late {
                    s.free -= len;
                }
            }
        });
        ConfirmDeadlines::<Test>::insert(deal, 1, deadline + 5);
        crate::ConfirmQueue::<Test>::insert(deadline + 5, (deal, 1), ());
        Dds::do_try_state().unwrap();
        assert_noop!(
            Dds::confirm_stored(signed(late), deal, BoundedVec::truncate_from(vec![1, 0])),
            Error::<Test>::ConfirmationExpired
        );
        assert_ok!(Dds::confirm_stored(
            signed(late),
            deal,
            BoundedVec::truncate_from(vec![1])
        ));
        // Once the hook has moved it, the shard is no longer the late provider's.
        Dds::on_initialize(deadline + 1);
        assert_ne!(holder(deal, 0), Some(late));
        assert_noop!(
            Dds::confirm_stored(signed(late), deal, BoundedVec::truncate_from(vec![0])),
            Error::<Test>::NotAssigned
        );
    });
}

#[test]
fn a_late_provider_gets_its_shard_back_only_when_no_other_has_room() {
    test(|| {
        no_challenges();
        register(0, 100 * u64::from(MIB), None);
        let c = Content::new(4_096, 4_096, 1, 1, 4);
        let deal = open(OWNER, &c, 10, 1_000);
        let deadline = 1 + CONFIRM;
        run_to(deadline + 1);
        for shard in 0..2 {
            assert_eq!(holder(deal, shard), Some(provider(0)));
            assert_eq!(
                ConfirmDeadlines::<Test>::get(deal, shard),
                Some(deadline + 1 + CONFIRM)
            );
        }
        assert_eq!(unconfirmed_penalties(), 2);
        // Another provider with room gets the next late shard.
        register(1, 100 * u64::from(MIB), None);
        run_to(deadline + 2 + CONFIRM);
        assert!((0..2).all(|s| holder(deal, s) == Some(provider(1))));
        assert_eq!(Providers::<Test>::get(provider(0)).unwrap().used, 0);
    });
}

#[test]
fn expiries_are_capped_per_block_with_a_large_queue() {
    test(|| {
        no_challenges();
        register_n(3, 100 * u64::from(MIB));
        // 32 chunks of 1 + 1: 64 shards, all due in the same block.
        let c = Content::new(32 * 4_096, 4_096, 1, 1, 5);
        let deal = open(OWNER, &c, 10, 1_000);
        assert_eq!(c.layout.shard_count(), 64);
        let deadline = 1 + CONFIRM;
        let cap = test_params().max_reassign_per_block as usize;
        run_to(deadline);
        assert_eq!(unconfirmed_penalties(), 0);
        for block in 1..=16u64 {
            run_to(deadline + block);
            assert_eq!(unconfirmed_penalties(), cap * block as usize);
            let moved = events()
                .iter()
                .filter(|e| matches!(e, Event::ShardReassigned { .. }))
                .count();
            assert_eq!(moved, cap * block as usize);
            // The cursor stays on the deadline until its shards are all handled.
            assert_eq!(ConfirmCursor::<Test>::get(), deadline, "block {block}");
            Dds::do_try_state().unwrap();
        }
        // Then it moves on, a few empty blocks at a time, and catches up.
        run_to(deadline + 17);
        assert_eq!(ConfirmCursor::<Test>::get(), deadline + 4);
        run_to(deadline + 25);
        assert_eq!(ConfirmCursor::<Test>::get(), deadline + 25);
        assert_eq!(unconfirmed_penalties(), 64);
        // Every shard has a holder, which has a fresh window.
        assert!((0..64).all(|s| holder(deal, s).is_some()
            && ConfirmDeadlines::<Test>::get(deal, s).is_some_and(|d| d > deadline + CONFIRM)));
    });
}

#[test]
fn a_zero_confirm_window_is_refused() {
    test(|| {
        let mut p = test_params();
        p.confirm_window = 0;
        assert_noop!(
            Dds::set_params(RuntimeOrigin::root(), p),
            Error::<Test>::ZeroParam
        );
    });
}
