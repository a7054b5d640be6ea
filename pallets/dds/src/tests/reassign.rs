//! Reassignment of a leaving or slashed-out provider's shards.

use super::*;
use crate::{Assignments, Error, ProviderShards, Providers, Reassigning};
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
                Event::ShardReassigned { shard: sh, from, to: Some(t), .. }
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

#[test]
fn a_shard_with_no_room_anywhere_is_left_without_a_provider() {
    test(|| {
        no_challenges();
        register(0, 100 * u64::from(MIB), None);
        register(1, 1, None);
        let c = Content::new(4_096, 4_096, 1, 1, 2);
        let deal = open(OWNER, &c, 10, 1_000);
        assert_ok!(Dds::deregister(signed(provider(0))));
        run_to(2);
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
