//! Opening (placement, payment, impossible parameters), confirming and closing deals.

use super::*;
use crate::{
    merkle, place, Assignments, DealByCid, DealCount, DealSlots, Deals, Error, HoldReason,
    ProviderSet, ProviderShards, ProviderSlot, Providers,
};
use frame_support::{assert_noop, assert_ok};
use std::collections::BTreeSet;

/// A manifest header with the shard count its parameters give (0 if they are invalid).
fn hdr(size: u64, chunk_size: u32, k: u8, m: u8) -> merkle::ManifestHeader {
    merkle::ManifestHeader {
        size,
        chunk_size,
        k,
        m,
        shard_count: merkle::Layout::new(size, chunk_size, k, m)
            .map(|l| l.shard_count())
            .unwrap_or(0),
    }
}

/// The providers of each chunk of `deal`.
fn chunk_providers(deal: u64, c: &Content) -> Vec<Vec<AccountId>> {
    let per = c.layout.shards_per_chunk();
    (0..c.layout.chunk_count())
        .map(|chunk| {
            (0..per)
                .map(|pos| {
                    Assignments::<Test>::get(deal, chunk * per + pos)
                        .unwrap()
                        .provider
                        .unwrap()
                })
                .collect()
        })
        .collect()
}

#[test]
fn a_deal_holds_its_payment_and_places_each_chunk_on_distinct_providers() {
    test(|| {
        register_n(8, 100 * u64::from(MIB));
        let c = Content::new(5 * 65_536, 65_536, 4, 2, 1);
        let before = free(OWNER);
        let deal = open(OWNER, &c, 10, 1_000);
        // 320 KiB rounds up to 1 GiB: 1,000 × 1 × 10 epochs.
        assert_eq!(held(OWNER, HoldReason::DealPayment), 10_000);
        assert_eq!(free(OWNER), before - 10_000);
        let d = Deals::<Test>::get(deal).unwrap();
        assert_eq!(d.per_shard_epoch, 1_000 / 30);
        assert_eq!(d.end_epoch, 10);
        assert_eq!(DealByCid::<Test>::get(c.cid), Some(deal));
        for chunk in chunk_providers(deal, &c) {
            let distinct: BTreeSet<_> = chunk.iter().collect();
            assert_eq!(distinct.len(), 6, "a chunk's shards on distinct providers");
        }
        // Every provider's used bytes are the sizes of its shards.
        let total: u64 = Providers::<Test>::iter().map(|(_, p)| p.used).sum();
        assert_eq!(total, 30 * 65_536 / 4);
        let holders = Dds::api_assignments(c.cid);
        assert_eq!(holders.len(), 30);
        assert!(holders
            .iter()
            .all(|h| !h.confirmed && !h.peer_id.is_empty()));
        assert!(events().iter().any(|e| matches!(
            e,
            Event::DealOpened {
                deal: 0,
                shard_count: 30,
                payment: 10_000,
                ..
            }
        )));
        assert!(Dds::api_assignments([9; 32]).is_empty());
    });
}

#[test]
fn placement_prefers_distinct_operators() {
    test(|| {
        // Five providers of one operator and one of another: k + m = 3, so every chunk
        // must include the lone operator's provider.
        for i in 0..5 {
            register(i, 100 * u64::from(MIB), Some(7_777));
        }
        register(5, 100 * u64::from(MIB), None);
        let c = Content::new(8 * 4_096, 4_096, 2, 1, 2);
        let deal = open(OWNER, &c, 10, 1_000);
        for chunk in chunk_providers(deal, &c) {
            assert!(chunk.contains(&provider(5)), "chunk {chunk:?}");
            let distinct: BTreeSet<_> = chunk.iter().collect();
            assert_eq!(distinct.len(), 3);
        }
    });
}

#[test]
fn one_provider_stores_every_shard() {
    test(|| {
        register(0, 100 * u64::from(MIB), None);
        let c = Content::new(100_000, 65_536, 4, 2, 3);
        let deal = open(OWNER, &c, 10, 1_000);
        for shard in 0..c.layout.shard_count() {
            assert_eq!(
                Assignments::<Test>::get(deal, shard).unwrap().provider,
                Some(provider(0))
            );
        }
    });
}

#[test]
fn placement_is_deterministic_and_follows_xor_distance() {
    let slot = |i: u8, free: u64| ProviderSlot::<u64> {
        who: u64::from(i),
        id: [i; 32],
        operator: u64::from(i),
        free,
    };
    let layout = merkle::Layout::new(10_000, 10_000, 1, 1).unwrap();
    let seed = [5u8; 32];
    let cid = [6u8; 32];
    let mut a: Vec<_> = (1..=4).map(|i| slot(i, 1 << 20)).collect();
    let mut b = a.clone();
    let pa = place(&mut a, &seed, &cid, &layout).unwrap();
    let pb = place(&mut b, &seed, &cid, &layout).unwrap();
    assert_eq!(pa, pb);
    // Shard 0 goes to the nearest id by XOR distance.
    let key = merkle::placement_key(&seed, &cid, 0);
    let nearest = (1..=4u8)
        .min_by_key(|i| merkle::xor_distance(&key, &[*i; 32]))
        .unwrap();
    assert_eq!(pa[0], u32::from(nearest) - 1);
    // The chosen provider's free space went down by the shard length.
    assert_eq!(a[pa[0] as usize].free, (1 << 20) - 10_000);
    // A full provider is skipped.
    let mut c: Vec<_> = (1..=4)
        .map(|i| slot(i, if i == nearest { 0 } else { 1 << 20 }))
        .collect();
    let pc = place(&mut c, &seed, &cid, &layout).unwrap();
    assert_ne!(pc[0], u32::from(nearest) - 1);
}

#[test]
fn impossible_deals_are_refused_and_change_nothing() {
    test(|| {
        register_n(2, 1 << 20);
        let c = Content::new(10_000, 4_096, 2, 1, 4);
        let try_open =
            |cid: [u8; 32], size: u64, chunk: u32, k: u8, m: u8, duration: u32, price: u128| {
                Dds::open_deal(
                    signed(OWNER),
                    cid,
                    c.root,
                    hdr(size, chunk, k, m),
                    duration,
                    price,
                )
            };
        let cid_of = |size: u64, chunk: u32, k: u8, m: u8| {
            merkle::Layout::new(size, chunk, k, m)
                .map(|l| merkle::cid(&l.header(), &c.root))
                .unwrap_or([0; 32])
        };
        assert_noop!(
            try_open(c.cid, 0, 4_096, 2, 1, 10, 1),
            Error::<Test>::EmptyContent
        );
        assert_noop!(
            try_open(c.cid, 10_000, 4_096, 0, 1, 10, 1),
            Error::<Test>::NoDataShards
        );
        assert_noop!(
            try_open(c.cid, 10_000, 4_096, 2, 0, 10, 1),
            Error::<Test>::NoParityShards
        );
        assert_noop!(
            try_open(c.cid, 10_000, 4_096, 30, 3, 10, 1),
            Error::<Test>::TooManyShardsPerChunk
        );
        assert_noop!(
            try_open(c.cid, 10_000, 0, 2, 1, 10, 1),
            Error::<Test>::BadChunkSize
        );
        // 100 chunks × 3 shards is above the mock's 64 shards per deal.
        assert_noop!(
            try_open(cid_of(409_600, 4_096, 2, 1), 409_600, 4_096, 2, 1, 10, 1),
            Error::<Test>::TooManyShards
        );
        assert_noop!(
            try_open([1; 32], 10_000, 4_096, 2, 1, 10, 1),
            Error::<Test>::CidMismatch
        );
        // Parameters that do not match the cid are a mismatch too.
        assert_noop!(
            try_open(c.cid, 10_001, 4_096, 2, 1, 10, 1),
            Error::<Test>::CidMismatch
        );
        let mut miscounted = c.layout.header();
        miscounted.shard_count += 3;
        assert_noop!(
            Dds::open_deal(signed(OWNER), c.cid, c.root, miscounted, 10, 1),
            Error::<Test>::ShardCountMismatch
        );
        assert_noop!(
            try_open(c.cid, 10_000, 4_096, 2, 1, 0, 1),
            Error::<Test>::ZeroDuration
        );
        assert_noop!(
            try_open(c.cid, 10_000, 4_096, 2, 1, 101, 1),
            Error::<Test>::DurationTooLong
        );
        assert_noop!(
            try_open(c.cid, 10_000, 4_096, 2, 1, 10, 0),
            Error::<Test>::PriceTooLow
        );
        assert_noop!(
            try_open(c.cid, 10_000, 4_096, 2, 1, 10, u128::MAX / 2),
            Error::<Test>::PriceOverflow
        );
        // More than the owner has.
        assert!(try_open(c.cid, 10_000, 4_096, 2, 1, 10, FUNDS).is_err());
        // Too little capacity: 3 chunks of shards of 2,048 bytes on two 1 MiB providers
        // fit; a 64 KiB-chunk deal with 1 MiB shards does not.
        let big = Content::new(4 << 20, 4 << 20, 1, 1, 5);
        assert_noop!(
            Dds::open_deal(signed(OWNER), big.cid, big.root, big.layout.header(), 10, 1),
            Error::<Test>::NotEnoughCapacity
        );
        assert_eq!(DealCount::<Test>::get(), 0);
        // The valid deal opens once; the same content again is refused.
        open(OWNER, &c, 10, 1);
        assert_noop!(
            try_open(c.cid, 10_000, 4_096, 2, 1, 10, 1),
            Error::<Test>::DealExists
        );
    });
}

#[test]
fn no_providers_means_no_capacity() {
    test(|| {
        let c = Content::new(10_000, 4_096, 2, 1, 6);
        assert_noop!(
            Dds::open_deal(signed(OWNER), c.cid, c.root, c.layout.header(), 10, 1),
            Error::<Test>::NotEnoughCapacity
        );
    });
}

#[test]
fn only_the_assigned_provider_confirms_a_shard() {
    test(|| {
        register_n(6, 100 * u64::from(MIB));
        let c = Content::new(65_536, 65_536, 4, 2, 0);
        let deal = open(OWNER, &c, 10, 1_000);
        let holder = Assignments::<Test>::get(deal, 0).unwrap().provider.unwrap();
        let other = (0..6).map(provider).find(|p| *p != holder).unwrap();
        assert_noop!(
            Dds::confirm_stored(signed(other), deal, BoundedVec::truncate_from(vec![0])),
            Error::<Test>::NotAssigned
        );
        assert_noop!(
            Dds::confirm_stored(signed(holder), deal, BoundedVec::truncate_from(vec![99])),
            Error::<Test>::NotAssigned
        );
        assert_noop!(
            Dds::confirm_stored(signed(holder), 7, BoundedVec::truncate_from(vec![0])),
            Error::<Test>::UnknownDeal
        );
        assert_ok!(Dds::confirm_stored(
            signed(holder),
            deal,
            BoundedVec::truncate_from(vec![0])
        ));
        assert!(Assignments::<Test>::get(deal, 0).unwrap().confirmed);
        assert!(Dds::api_assignments(c.cid)[0].confirmed);
    });
}

#[test]
fn closing_pays_confirmed_shards_refunds_the_rest_and_frees_capacity() {
    test(|| {
        no_challenges();
        register_n(6, 100 * u64::from(MIB));
        let c = Content::new(65_536, 65_536, 4, 2, 0);
        let deal = open(OWNER, &c, 3, 600);
        // Shard 0 is never confirmed: its pay goes back to the owner.
        let mut by: std::collections::BTreeMap<AccountId, Vec<u32>> = Default::default();
        for s in 1..6 {
            by.entry(Assignments::<Test>::get(deal, s).unwrap().provider.unwrap())
                .or_default()
                .push(s);
        }
        for (p, shards) in by {
            assert_ok!(Dds::confirm_stored(
                signed(p),
                deal,
                BoundedVec::truncate_from(shards)
            ));
        }
        let c2 = Content::new(65_536, 65_536, 4, 2, 9);
        let deal2 = open(OWNER2, &c2, 50, 600);
        assert_noop!(
            Dds::close_deal(signed(STRANGER), deal),
            Error::<Test>::DealNotEnded
        );
        run_to(1 + 3 * EPOCH);
        let owner_before = free(OWNER);
        let providers_before: u128 = (0..6).map(|i| free(provider(i))).sum();
        assert_ok!(Dds::close_deal(signed(STRANGER), deal));
        // 600 per epoch over 6 shards: 100 per shard-epoch; 5 confirmed shards × 3 epochs.
        let providers_after: u128 = (0..6).map(|i| free(provider(i))).sum();
        assert_eq!(providers_after - providers_before, 5 * 3 * 100);
        assert_eq!(free(OWNER) - owner_before, 1_800 - 1_500);
        assert_eq!(held(OWNER, HoldReason::DealPayment), 0);
        assert!(!Deals::<Test>::contains_key(deal));
        assert!(Assignments::<Test>::iter_prefix(deal).next().is_none());
        // The second deal moved into slot 0.
        assert_eq!(DealSlots::<Test>::get(0), Some(deal2));
        assert_eq!(Deals::<Test>::get(deal2).unwrap().slot, 0);
        assert_eq!(DealCount::<Test>::get(), 1);
        // Only the second deal's shards are left on the providers.
        assert_eq!(ProviderShards::<Test>::iter().count(), 6);
        let free_sum: u64 = ProviderSet::<Test>::get().iter().map(|s| s.free).sum();
        assert_eq!(free_sum, 6 * 100 * u64::from(MIB) - 6 * 16_384);
        assert_noop!(
            Dds::close_deal(signed(STRANGER), deal),
            Error::<Test>::UnknownDeal
        );
    });
}
