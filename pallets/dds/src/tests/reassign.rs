//! Reassignment of a leaving or slashed-out provider's shards.

use super::*;
use crate::{
    Assignments, ConfirmDeadlines, Error, OrphanQueue, Orphans, ProviderShards, Providers,
    Reassigning,
};
use frame_support::{assert_noop, assert_ok};

#[test]
fn a_leaving_providers_shards_move_to_providers_outside_their_chunk_over_blocks() {
    test(|| {
        no_challenges();
        register_n(7, 100 * u64::from(MIB));
        let c = Content::new(4 * 65_536, 65_536, 4, 2, 0);
        let deal = open(OWNER, &c, 10, 1_000);
        confirm_all(deal);
        // The provider holding the most shards leaves (placement follows the cid, so
        // which one that is depends on the content).
        let shards_of = |p| -> Vec<u32> {
            ProviderShards::<Test>::iter_key_prefix(p)
                .map(|(_, s)| s)
                .collect()
        };
        let leaver = (0..7)
            .map(provider)
            .max_by_key(|p| shards_of(*p).len())
            .expect("seven providers");
        let mine = shards_of(leaver);
        let per = c.layout.shards_per_chunk();
        let mut chunks: Vec<u32> = mine.iter().map(|s| s / per).collect();
        chunks.sort();
        chunks.dedup();
        // 24 shards on 7 providers, at most one per chunk: the fullest holds one in each
        // of the 4 chunks.
        assert_eq!(
            (mine.len(), chunks.len()),
            (4, 4),
            "one shard per chunk with 7 providers and 6 shards a chunk: {mine:?}"
        );
        assert_ok!(Dds::deregister(signed(leaver)));
        assert!(Reassigning::<Test>::get().contains(&leaver));
        // max_reassign_per_block is 4: one block moves them all.
        run_to(2);
        assert_eq!(Providers::<Test>::get(leaver).unwrap().shards, 0);
        assert_eq!(Providers::<Test>::get(leaver).unwrap().used, 0);
        for shard in mine {
            let a = Assignments::<Test>::get(deal, shard).unwrap();
            let to = a.provider.expect("the spare provider had room");
            assert_ne!(to, leaver);
            assert!(!a.confirmed, "the new holder must fetch and confirm");
            let first = shard - shard % per;
            for s in first..first + per {
                if s != shard {
                    assert_ne!(
                        Assignments::<Test>::get(deal, s).unwrap().provider,
                        Some(to)
                    );
                }
            }
            assert!(events().iter().any(|e| matches!(
                e,
                Event::ShardReassigned { shard: sh, from, to: t, .. }
                    if *sh == shard && *from == leaver && *t == to
            )));
        }
        run_to(3);
        assert!(Reassigning::<Test>::get().is_empty());
        run_to(2 + UNBONDING);
        assert_ok!(Dds::withdraw_bond(signed(leaver)));
    });
}

#[test]
fn reassignment_is_bounded_per_block() {
    test(|| {
        no_challenges();
        register_n(2, 100 * u64::from(MIB));
        let c = Content::new(10 * 4_096, 4_096, 2, 1, 1);
        let deal = open(OWNER, &c, 10, 1_000);
        let leaver = provider(0);
        let n = ProviderShards::<Test>::iter_key_prefix(leaver).count() as u32;
        assert!(n > 4);
        assert_ok!(Dds::deregister(signed(leaver)));
        run_to(2);
        assert_eq!(Providers::<Test>::get(leaver).unwrap().shards, n - 4);
        run_to(1 + n.div_ceil(4) as u64);
        assert_eq!(Providers::<Test>::get(leaver).unwrap().shards, 0);
        // With one provider left, every shard is on it.
        for shard in 0..c.layout.shard_count() {
            assert_eq!(
                Assignments::<Test>::get(deal, shard).unwrap().provider,
                Some(provider(1))
            );
        }
    });
}

/// How many `ShardOrphaned` events were emitted.
fn orphaned_events() -> usize {
    events()
        .iter()
        .filter(|e| matches!(e, Event::ShardOrphaned { .. }))
        .count()
}

/// Provider 0 (100 MiB) holds both shards of a 1 + 1 deal of 4 KiB and leaves; provider 1
/// has 1 byte. After block 2 both shards are orphans. Returns the content and the deal.
fn orphaned_deal() -> (Content, u64) {
    no_challenges();
    register(0, 100 * u64::from(MIB), None);
    register(1, 1, None);
    let c = Content::new(4_096, 4_096, 1, 1, 2);
    let deal = open(OWNER, &c, 10, 1_000);
    assert_ok!(Dds::deregister(signed(provider(0))));
    run_to(2);
    (c, deal)
}

#[test]
fn a_shard_with_no_room_anywhere_waits_and_is_placed_when_a_provider_registers() {
    test(|| {
        let (c, deal) = orphaned_deal();
        for shard in 0..2 {
            assert_eq!(
                Assignments::<Test>::get(deal, shard).unwrap().provider,
                None
            );
        }
        assert!(Dds::api_assignments(c.cid)
            .iter()
            .all(|h| h.provider.is_none() && h.peer_id.is_empty()));
        // Such a shard cannot be confirmed or checked.
        assert_noop!(
            Dds::request_retrieval_check(signed(STRANGER), deal, 0),
            Error::<Test>::NotAssigned
        );
        assert_eq!(Orphans::<Test>::iter().count(), 2);
        assert_eq!(orphaned_events(), 2);
        assert!(events().iter().any(|e| matches!(
            e,
            Event::ShardOrphaned { deal: d, shard: 0, from, .. }
                if *d == deal && *from == provider(0)
        )));
        // Nothing changed: the orphans wait without being retried, and the event is not
        // repeated.
        run_to(20);
        let q = OrphanQueue::<Test>::get();
        assert_eq!((q.head, q.tail, q.retry_until), (0, 2, 0));
        assert_eq!(orphaned_events(), 2);
        Dds::do_try_state().unwrap();

        // A provider with room registers: the next block places both.
        register(2, 100 * u64::from(MIB), None);
        run_to(21);
        for shard in 0..2 {
            let a = Assignments::<Test>::get(deal, shard).unwrap();
            assert_eq!(a.provider, Some(provider(2)));
            assert!(!a.confirmed);
            assert_eq!(
                ConfirmDeadlines::<Test>::get(deal, shard),
                Some(21 + CONFIRM)
            );
            assert!(events().iter().any(|e| matches!(
                e,
                Event::ShardReassigned { deal: d, shard: s, from, to, .. }
                    if *d == deal && *s == shard && *from == provider(0) && *to == provider(2)
            )));
        }
        assert_eq!(Orphans::<Test>::iter().count(), 0);
        assert_eq!(Providers::<Test>::get(provider(2)).unwrap().shards, 2);
        assert_eq!(orphaned_events(), 2);
        confirm_all(deal);
        // The leaver holds nothing now and can go.
        run_to(2 + UNBONDING);
        assert_ok!(Dds::withdraw_bond(signed(provider(0))));
    });
}

#[test]
fn an_orphan_is_placed_when_a_provider_raises_its_capacity() {
    test(|| {
        let (_, deal) = orphaned_deal();
        // Raising it too little wakes the orphans for one attempt each: they fail, go to
        // the back, and are not tried again in the next blocks.
        assert_ok!(Dds::update_provider(signed(provider(1)), 4_095, no_addrs()));
        run_to(3);
        let q = OrphanQueue::<Test>::get();
        assert_eq!((q.head, q.tail, q.retry_until), (2, 4, 2));
        assert_eq!(orphaned_events(), 2, "a failed retry emits nothing");
        run_to(10);
        assert_eq!(OrphanQueue::<Test>::get(), q);
        // Lowering it wakes nothing.
        assert_ok!(Dds::update_provider(signed(provider(1)), 4_000, no_addrs()));
        assert_eq!(OrphanQueue::<Test>::get(), q);
        // Room for one shard: one is placed, the other waits.
        assert_ok!(Dds::update_provider(signed(provider(1)), 4_096, no_addrs()));
        run_to(11);
        let placed: Vec<u32> = (0..2)
            .filter(|s| Assignments::<Test>::get(deal, *s).unwrap().provider == Some(provider(1)))
            .collect();
        assert_eq!(placed.len(), 1);
        assert_eq!(Orphans::<Test>::iter().count(), 1);
        assert_eq!(orphaned_events(), 2);
    });
}

#[test]
fn an_orphan_is_placed_when_a_closed_deal_frees_capacity() {
    test(|| {
        no_challenges();
        // Provider 1 is filled by a one-epoch deal, then provider 0 takes a second deal.
        register(1, 8_192, None);
        let first = open(OWNER2, &Content::new(4_096, 4_096, 1, 1, 6), 1, 1_000);
        assert_eq!(Providers::<Test>::get(provider(1)).unwrap().used, 8_192);
        register(0, 100 * u64::from(MIB), None);
        let deal = open(OWNER, &Content::new(4_096, 4_096, 1, 1, 7), 10, 1_000);
        assert_ok!(Dds::deregister(signed(provider(0))));
        run_to(2);
        assert_eq!(Orphans::<Test>::iter().count(), 2);
        // The first deal ends with epoch 1 and is closed: provider 1 has room again.
        run_to(EPOCH);
        assert_ok!(Dds::close_deal(signed(STRANGER), first));
        run_to(EPOCH + 1);
        assert!((0..2)
            .all(|s| Assignments::<Test>::get(deal, s).unwrap().provider == Some(provider(1))));
        assert_eq!(Orphans::<Test>::iter().count(), 0);
    });
}

#[test]
fn the_reassignment_budget_is_shared_and_orphans_do_not_starve_the_rest() {
    test(|| {
        no_challenges();
        register(0, 100 * u64::from(MIB), None);
        register(1, 100 * u64::from(MIB), None);
        register(2, 1, None);
        // 32 chunks of 1 + 1 (64 shards) on providers 0 and 1.
        let c = Content::new(32 * 4_096, 4_096, 1, 1, 8);
        let deal = open(OWNER, &c, 10, 1_000);
        confirm_all(deal);
        let on_0 = Providers::<Test>::get(provider(0)).unwrap().shards;
        let on_1 = Providers::<Test>::get(provider(1)).unwrap().shards;
        assert_eq!(on_0 + on_1, 64);
        // Both leave: no room anywhere, every shard becomes an orphan, four a block.
        assert_ok!(Dds::deregister(signed(provider(0))));
        assert_ok!(Dds::deregister(signed(provider(1))));
        let cap = test_params().max_reassign_per_block as usize;
        let moved = || {
            events()
                .iter()
                .filter(|e| {
                    matches!(
                        e,
                        Event::ShardOrphaned { .. } | Event::ShardReassigned { .. }
                    )
                })
                .count()
        };
        for block in 2..=17u64 {
            run_to(block);
            assert_eq!(moved(), cap * (block as usize - 1));
        }
        assert_eq!(Orphans::<Test>::iter().count(), 64);
        // A big provider comes: the 64 orphans are placed, still four a block.
        register(3, 100 * u64::from(MIB), None);
        for block in 18..=33u64 {
            run_to(block);
            assert_eq!(moved(), 64 + cap * (block as usize - 17));
            Dds::do_try_state().unwrap();
        }
        assert_eq!(Orphans::<Test>::iter().count(), 0);
        assert!(Reassigning::<Test>::get().is_empty());
        assert!((0..64)
            .all(|s| Assignments::<Test>::get(deal, s).unwrap().provider == Some(provider(3))));
    });
}

#[test]
fn a_slashed_out_providers_shards_are_reassigned() {
    test(|| {
        let (c, deal) = standard_deal();
        register(6, 100 * u64::from(MIB), None);
        let mut p = test_params();
        p.slash = sp_runtime::Perbill::from_percent(90);
        assert_ok!(Dds::set_params(RuntimeOrigin::root(), p));
        into_epoch_1(0);
        let (_, ch) = challenges().into_iter().next().unwrap();
        // The provider misses: the hook slashes it out and then moves its shards.
        run_to(ch.deadline + 2);
        assert_eq!(Providers::<Test>::get(ch.provider).unwrap().shards, 0);
        for shard in 0..c.layout.shard_count() {
            assert_ne!(
                Assignments::<Test>::get(deal, shard).unwrap().provider,
                Some(ch.provider)
            );
        }
    });
}
