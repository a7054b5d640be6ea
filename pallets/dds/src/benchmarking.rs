//! Benchmarks of pallet-dds (frame-benchmarking v2).
//!
//! Sizes are the bounds: provider sets of up to `MaxProviders`, deals of up to
//! `MaxShardsPerDeal` shards, chunks of 32 shards for reassignment. Penalties are measured
//! on their dearest path, a slash that takes the provider out of the set (the set is
//! rewritten and the provider queued). Large provider sets are written straight into
//! storage (records and set entries, bonds not held), the state registrations would leave;
//! the accounts whose bond a call moves are registered for real.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::{
    traits::{fungible::Mutate, EnsureOrigin, Get, Hooks},
    BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use merkle::{Hash, Layout, ManifestHeader};
use sp_runtime::{traits::Saturating, Perbill};

/// An account with plenty of funds.
fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
    let who: T::AccountId = account(name, i, 0);
    let p = Pallet::<T>::params();
    let amount = p
        .min_bond
        .saturating_add(p.min_price)
        .saturating_mul(1_000_000u32.into());
    T::Currency::set_balance(&who, amount);
    who
}

/// Adds providers until `n` are in the set, each with `capacity` bytes (bonds not held).
fn fill_providers<T: Config>(n: u32, capacity: u64) {
    let mut set = ProviderSet::<T>::get().into_inner();
    let bond = Pallet::<T>::params().min_bond;
    let mut i = set.len() as u32;
    while (set.len() as u32) < n {
        let who: T::AccountId = account("filler", i, 0);
        i += 1;
        Providers::<T>::insert(
            &who,
            Provider {
                bond,
                capacity,
                used: 0,
                shards: 0,
                open_challenges: 0,
                operator: who.clone(),
                peer_id: BoundedVec::truncate_from(
                    alloc::vec![1u8; T::MaxPeerIdLen::get() as usize],
                ),
                addresses: BoundedVec::new(),
                status: ProviderStatus::Active,
            },
        );
        set.push(ProviderSlot {
            who: who.clone(),
            id: Pallet::<T>::provider_id(&who),
            operator: who,
            free: capacity,
        });
    }
    ProviderCount::<T>::put(set.len() as u32);
    ProviderSet::<T>::put(BoundedVec::<_, T::MaxProviders>::truncate_from(set));
}

/// Registers `who` for real (its bond held), with room for anything.
fn register<T: Config>(who: &T::AccountId) {
    Pallet::<T>::do_register(
        who.clone(),
        Pallet::<T>::params().min_bond.saturating_mul(2u32.into()),
        u64::MAX / 2,
        BoundedVec::truncate_from(alloc::vec![1u8; T::MaxPeerIdLen::get() as usize]),
        BoundedVec::truncate_from(alloc::vec![2u8; T::MaxAddressesLen::get() as usize]),
        None,
    )
    .expect("registers");
}

/// A layout of `shards` shards (rounded up to even): 4 MiB chunks of one data and one
/// parity shard, so that every shard has 1,024 segments.
fn layout(shards: u32) -> Layout {
    let chunks = u64::from(shards.max(2).div_ceil(2));
    Layout::new(chunks * (4 << 20), 4 << 20, 1, 1).expect("valid layout")
}

/// Opens a deal of `layout` by a funded owner with `root`; returns its id and owner.
fn deal<T: Config>(layout: &Layout, root: Hash, salt: u32) -> (DealId, T::AccountId) {
    let owner = funded::<T>("owner", salt);
    let header = layout.header();
    let cid = merkle::cid(&header, &root);
    let id = NextDealId::<T>::get();
    Pallet::<T>::do_open(
        owner.clone(),
        cid,
        root,
        header,
        Pallet::<T>::params().max_duration,
        Pallet::<T>::params().min_price,
    )
    .expect("opens");
    (id, owner)
}

/// Confirms every shard of `deal`.
fn confirm<T: Config>(deal: DealId) {
    let mut by: alloc::collections::BTreeMap<T::AccountId, alloc::vec::Vec<u32>> =
        Default::default();
    for (shard, a) in Assignments::<T>::iter_prefix(deal) {
        if let Some(p) = a.provider {
            by.entry(p).or_default().push(shard);
        }
    }
    for (p, shards) in by {
        Pallet::<T>::do_confirm(p, deal, BoundedVec::truncate_from(shards)).expect("confirms");
    }
}

/// Makes `who` (registered) the holder of shard 0 of `deal`, keeping every record in step.
fn hold_shard_0<T: Config>(deal: DealId, layout: &Layout, who: &T::AccountId) {
    let a = Assignments::<T>::get(deal, 0).expect("assigned");
    let old = a.provider.clone().expect("a provider");
    if &old == who {
        return;
    }
    let len = u64::from(layout.shard_len(0).expect("shard 0"));
    ProviderShards::<T>::remove(&old, (deal, 0));
    Providers::<T>::mutate(&old, |p| {
        if let Some(p) = p {
            p.used -= len;
            p.shards -= 1;
        }
    });
    ProviderSet::<T>::mutate(|set| {
        for s in set.iter_mut() {
            if &s.who == who {
                s.free -= len;
            } else if s.who == old {
                s.free += len;
            }
        }
    });
    ProviderShards::<T>::insert(who, (deal, 0), ());
    Providers::<T>::mutate(who, |p| {
        if let Some(p) = p {
            p.used += len;
            p.shards += 1;
        }
    });
    Assignments::<T>::insert(
        deal,
        0,
        Assignment {
            provider: Some(who.clone()),
            ..a
        },
    );
}

/// Sets `max_reassign_per_block` to one, so that a hook run measures one shard.
fn one_per_block<T: Config>() {
    let mut p = Pallet::<T>::params();
    p.max_reassign_per_block = 1;
    ActiveParams::<T>::put(p);
}

/// Makes every penalty slash the provider out (the dearest path).
fn slash_out_params<T: Config>() {
    let mut p = Pallet::<T>::params();
    p.slash = Perbill::from_percent(99);
    ActiveParams::<T>::put(p);
}

/// A challenge answer: segment bytes and the two paths, for the last segment of shard 0
/// of a deal of `shards` shards whose other shards have made-up segment roots.
struct Answer {
    root: Hash,
    segment: alloc::vec::Vec<u8>,
    segment_path: alloc::vec::Vec<Hash>,
    shard_path: alloc::vec::Vec<Hash>,
    segment_index: u32,
}

fn answer_for(layout: &Layout) -> Answer {
    let len = layout.shard_len(0).expect("shard 0") as usize;
    let shard: alloc::vec::Vec<u8> = (0..len).map(|i| i as u8).collect();
    let mut roots: alloc::vec::Vec<Hash> = (0..layout.shard_count())
        .map(|s| {
            let mut h = [7u8; 32];
            h[..4].copy_from_slice(&s.to_le_bytes());
            h
        })
        .collect();
    roots[0] = merkle::segment_root(&shard);
    let segment_index = layout.segment_count(0).expect("shard 0") - 1;
    let (segment, segment_path) = merkle::segment_proof(&shard, segment_index).expect("in range");
    Answer {
        root: merkle::content_root(&roots).expect("shards"),
        segment,
        segment_path,
        shard_path: merkle::content_path(&roots, 0).expect("shard 0"),
        segment_index,
    }
}

/// Writes an open challenge of shard 0, segment `segment` of `deal` for its holder, with
/// deadline `deadline`; returns its id and provider.
fn challenge<T: Config>(
    deal: DealId,
    segment: u32,
    deadline: BlockNumberFor<T>,
) -> (ChallengeId, T::AccountId) {
    let d = Deals::<T>::get(deal).expect("deal");
    let provider = Assignments::<T>::get(deal, 0)
        .and_then(|a| a.provider)
        .expect("assigned");
    let id = NextChallengeId::<T>::get();
    Challenges::<T>::insert(
        id,
        Challenge {
            deal,
            shard: 0,
            segment,
            provider: provider.clone(),
            root: d.root,
            header: d.header,
            epoch: CurrentEpoch::<T>::get().index,
            deadline,
            status: ChallengeStatus::Open,
        },
    );
    ProviderChallenges::<T>::insert(&provider, id, ());
    Providers::<T>::mutate(&provider, |p| {
        if let Some(p) = p {
            p.open_challenges += 1;
        }
    });
    NextChallengeId::<T>::put(id + 1);
    (id, provider)
}

/// Moves the epoch on by `n` (payments then cover `n` epochs).
fn advance_epochs<T: Config>(n: u32) {
    CurrentEpoch::<T>::mutate(|e| e.index = e.index.saturating_add(n));
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn register_provider() {
        fill_providers::<T>(T::MaxProviders::get() - 1, 1 << 40);
        let who = funded::<T>("provider", 0);
        let bond = Pallet::<T>::params().min_bond;
        let peer = BoundedVec::truncate_from(alloc::vec![1u8; T::MaxPeerIdLen::get() as usize]);
        let addrs = BoundedVec::truncate_from(alloc::vec![2u8; T::MaxAddressesLen::get() as usize]);
        #[extrinsic_call]
        _(
            RawOrigin::Signed(who.clone()),
            bond,
            1u64 << 40,
            peer,
            addrs,
            None,
        );
        assert!(Providers::<T>::contains_key(&who));
    }

    #[benchmark]
    fn update_provider() {
        fill_providers::<T>(T::MaxProviders::get() - 1, 1 << 40);
        let who = funded::<T>("provider", 0);
        register::<T>(&who);
        let addrs = BoundedVec::truncate_from(alloc::vec![3u8; T::MaxAddressesLen::get() as usize]);
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), 1u64 << 41, addrs);
        assert_eq!(Providers::<T>::get(&who).map(|p| p.capacity), Some(1 << 41));
    }

    #[benchmark]
    fn deregister() {
        fill_providers::<T>(T::MaxProviders::get() - 1, 1 << 40);
        let who = funded::<T>("provider", 0);
        register::<T>(&who);
        Providers::<T>::mutate(&who, |p| {
            if let Some(p) = p {
                p.shards = 1;
            }
        });
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));
        assert!(Reassigning::<T>::get().contains(&who));
    }

    #[benchmark]
    fn withdraw_bond() {
        let who = funded::<T>("provider", 0);
        register::<T>(&who);
        Pallet::<T>::start_leaving(&who, false);
        let delay = Pallet::<T>::params().unbonding_delay;
        frame_system::Pallet::<T>::set_block_number(
            frame_system::Pallet::<T>::block_number().saturating_add(delay),
        );
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));
        assert!(!Providers::<T>::contains_key(&who));
    }

    /// Placing `s` shards over `p` providers.
    #[benchmark]
    fn open_deal(
        s: Linear<2, { T::MaxShardsPerDeal::get() }>,
        p: Linear<1, { T::MaxProviders::get() }>,
    ) {
        fill_providers::<T>(p, u64::MAX / 2);
        let layout = layout(s);
        let owner = funded::<T>("owner", 0);
        let root = [9u8; 32];
        let header: ManifestHeader = layout.header();
        let cid = merkle::cid(&header, &root);
        let params = Pallet::<T>::params();
        #[extrinsic_call]
        _(
            RawOrigin::Signed(owner),
            cid,
            root,
            header,
            params.max_duration,
            params.min_price,
        );
        assert_eq!(DealCount::<T>::get(), 1);
    }

    #[benchmark]
    fn confirm_stored(n: Linear<1, { T::MaxShardsPerDeal::get() }>) {
        let who = funded::<T>("provider", 0);
        register::<T>(&who);
        let layout = layout(T::MaxShardsPerDeal::get());
        let (id, _) = deal::<T>(&layout, [9u8; 32], 0);
        let shards: BoundedVec<u32, T::MaxShardsPerDeal> =
            BoundedVec::truncate_from((0..n).collect());
        #[extrinsic_call]
        _(RawOrigin::Signed(who), id, shards);
        assert!(Assignments::<T>::get(id, 0).is_some_and(|a| a.confirmed));
    }

    /// A valid answer with the deepest paths of the largest deal, paid for many epochs.
    #[benchmark]
    fn answer_challenge() {
        let who = funded::<T>("provider", 0);
        register::<T>(&who);
        let layout = layout(T::MaxShardsPerDeal::get());
        let a = answer_for(&layout);
        let (id, _) = deal::<T>(&layout, a.root, 0);
        confirm::<T>(id);
        advance_epochs::<T>(5);
        let now = frame_system::Pallet::<T>::block_number();
        let (cid, provider) = challenge::<T>(id, a.segment_index, now.saturating_add(10u32.into()));
        #[extrinsic_call]
        _(
            RawOrigin::Signed(provider),
            cid,
            BoundedVec::truncate_from(a.segment),
            BoundedVec::truncate_from(a.segment_path),
            BoundedVec::truncate_from(a.shard_path),
        );
        assert_eq!(
            Challenges::<T>::get(cid).map(|c| c.status),
            Some(ChallengeStatus::Answered)
        );
    }

    /// A wrong answer that slashes the provider out of a full set.
    #[benchmark]
    fn answer_challenge_wrong() {
        fill_providers::<T>(T::MaxProviders::get() - 1, 1);
        let who = funded::<T>("provider", 0);
        register::<T>(&who);
        slash_out_params::<T>();
        let layout = layout(T::MaxShardsPerDeal::get());
        let a = answer_for(&layout);
        let (id, _) = deal::<T>(&layout, a.root, 0);
        confirm::<T>(id);
        let now = frame_system::Pallet::<T>::block_number();
        let (cid, provider) = challenge::<T>(id, a.segment_index, now.saturating_add(10u32.into()));
        let mut segment = a.segment;
        segment[0] ^= 1;
        #[extrinsic_call]
        answer_challenge(
            RawOrigin::Signed(provider.clone()),
            cid,
            BoundedVec::truncate_from(segment),
            BoundedVec::truncate_from(a.segment_path),
            BoundedVec::truncate_from(a.shard_path),
        );
        assert!(Reassigning::<T>::get().contains(&provider));
    }

    /// Closing a deal of `s` confirmed shards.
    #[benchmark]
    fn close_deal(s: Linear<2, { T::MaxShardsPerDeal::get() }>) {
        // Two real providers, so that payments go to more than one account.
        for i in 0..2 {
            register::<T>(&funded::<T>("provider", i));
        }
        let layout = layout(s);
        let (id, _) = deal::<T>(&layout, [9u8; 32], 0);
        confirm::<T>(id);
        advance_epochs::<T>(Pallet::<T>::params().max_duration);
        let caller = funded::<T>("caller", 0);
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), id);
        assert_eq!(DealCount::<T>::get(), 0);
    }

    #[benchmark]
    fn request_retrieval_check() {
        let who = funded::<T>("provider", 0);
        register::<T>(&who);
        let layout = layout(2);
        let (id, _) = deal::<T>(&layout, [9u8; 32], 0);
        confirm::<T>(id);
        let caller = funded::<T>("caller", 0);
        T::BenchmarkHelper::prepare_submitter(&caller);
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), id, 0);
        assert_eq!(RetrievalCount::<T>::get(), 1);
    }

    /// An invalid receipt that slashes the provider out of a full set.
    #[benchmark]
    fn settle_retrieval() {
        fill_providers::<T>(T::MaxProviders::get() - 1, 1);
        let who = funded::<T>("provider", 0);
        register::<T>(&who);
        let layout = layout(2);
        let (id, _) = deal::<T>(&layout, [9u8; 32], 0);
        confirm::<T>(id);
        let caller = funded::<T>("caller", 0);
        T::BenchmarkHelper::prepare_submitter(&caller);
        Pallet::<T>::do_request_check(caller.clone(), id, 0).expect("requests");
        let (hash, _) = RetrievalChecks::<T>::iter().next().expect("a check");
        T::BenchmarkHelper::resolve(hash, pallet_witness::Verdict::Invalid);
        slash_out_params::<T>();
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), hash);
        assert!(Reassigning::<T>::get().contains(&who));
    }

    #[benchmark]
    fn set_params() -> Result<(), BenchmarkError> {
        let origin =
            T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let mut p = Pallet::<T>::params();
        p.challenges_per_epoch = 7;
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, p);
        assert_eq!(Pallet::<T>::params().challenges_per_epoch, 7);
        Ok(())
    }

    /// `on_initialize` with nothing due.
    #[benchmark]
    fn on_initialize_idle() {
        let now = frame_system::Pallet::<T>::block_number();
        #[block]
        {
            Pallet::<T>::on_initialize(now);
        }
    }

    /// An epoch starting (no deals to draw from).
    #[benchmark]
    fn start_epoch() {
        let now = frame_system::Pallet::<T>::block_number()
            .saturating_add(Pallet::<T>::params().epoch_length);
        let before = CurrentEpoch::<T>::get().index;
        #[block]
        {
            Pallet::<T>::epoch_hook(now);
        }
        assert_eq!(CurrentEpoch::<T>::get().index, before + 1);
    }

    /// One challenge drawn from an open deal of confirmed shards.
    #[benchmark]
    fn draw_challenge() {
        let who = funded::<T>("provider", 0);
        register::<T>(&who);
        let layout = layout(T::MaxShardsPerDeal::get());
        let (id, _) = deal::<T>(&layout, [9u8; 32], 0);
        confirm::<T>(id);
        let now = frame_system::Pallet::<T>::block_number();
        let p = Pallet::<T>::params();
        let drawn;
        #[block]
        {
            drawn = Pallet::<T>::draw_challenge(now, 0, 1, &p);
        }
        assert!(drawn.is_some());
    }

    /// One missed challenge closed, slashing its provider out of a full set.
    #[benchmark]
    fn expire_challenge() {
        fill_providers::<T>(T::MaxProviders::get() - 1, 1);
        let who = funded::<T>("provider", 0);
        register::<T>(&who);
        slash_out_params::<T>();
        let mut p = Pallet::<T>::params();
        p.max_expiries_per_block = 1;
        ActiveParams::<T>::put(p);
        let layout = layout(2);
        let (id, _) = deal::<T>(&layout, [9u8; 32], 0);
        confirm::<T>(id);
        let now = frame_system::Pallet::<T>::block_number();
        let (cid, _) = challenge::<T>(id, 0, now);
        let later = now.saturating_add(1u32.into());
        #[block]
        {
            Pallet::<T>::expiry_hook(later);
        }
        assert!(Challenges::<T>::get(cid).is_none());
        assert!(Reassigning::<T>::get().contains(&who));
    }

    /// One shard of a 32-shard chunk moved off a leaving provider, over a full set.
    #[benchmark]
    fn reassign_shard() {
        fill_providers::<T>(T::MaxProviders::get() - 1, u64::MAX / 2);
        let who = funded::<T>("provider", 0);
        register::<T>(&who);
        one_per_block::<T>();
        let layout = Layout::new(4 << 20, 4 << 20, 16, 16).expect("valid layout");
        let (id, _) = deal::<T>(&layout, [9u8; 32], 0);
        hold_shard_0::<T>(id, &layout, &who);
        Pallet::<T>::start_leaving(&who, false);
        let before = Providers::<T>::get(&who)
            .map(|p| p.shards)
            .unwrap_or_default();
        let now = frame_system::Pallet::<T>::block_number();
        #[block]
        {
            Pallet::<T>::reassign_hook(now);
        }
        assert_eq!(
            Providers::<T>::get(&who).map(|p| p.shards),
            Some(before - 1)
        );
    }

    /// One shard of a 32-shard chunk not confirmed in time, taken from its (active)
    /// provider and moved, over a full set.
    #[benchmark]
    fn expire_confirmation() {
        fill_providers::<T>(T::MaxProviders::get() - 1, u64::MAX / 2);
        let who = funded::<T>("provider", 0);
        register::<T>(&who);
        one_per_block::<T>();
        let layout = Layout::new(4 << 20, 4 << 20, 16, 16).expect("valid layout");
        let (id, _) = deal::<T>(&layout, [9u8; 32], 0);
        hold_shard_0::<T>(id, &layout, &who);
        // Every shard but 0 confirmed: shard 0 alone is due, at the cursor.
        confirm::<T>(id);
        let now = frame_system::Pallet::<T>::block_number();
        Assignments::<T>::mutate(id, 0, |a| {
            if let Some(a) = a {
                a.confirmed = false;
            }
        });
        ConfirmDeadlines::<T>::insert(id, 0, now);
        ConfirmQueue::<T>::insert(now, (id, 0), ());
        ConfirmCursor::<T>::put(now);
        let before = Providers::<T>::get(&who)
            .map(|p| p.shards)
            .unwrap_or_default();
        let later = now.saturating_add(1u32.into());
        frame_system::Pallet::<T>::set_block_number(later);
        #[block]
        {
            Pallet::<T>::reassign_hook(later);
        }
        let holder = Assignments::<T>::get(id, 0).and_then(|a| a.provider);
        assert!(holder.is_some() && holder != Some(who.clone()));
        assert_eq!(
            Providers::<T>::get(&who).map(|p| p.shards),
            Some(before - 1)
        );
    }

    /// One orphan of a 32-shard chunk placed after capacity appeared, over a full set.
    #[benchmark]
    fn retry_orphan() {
        fill_providers::<T>(T::MaxProviders::get() - 1, u64::MAX / 2);
        let who = funded::<T>("provider", 0);
        register::<T>(&who);
        one_per_block::<T>();
        let layout = Layout::new(4 << 20, 4 << 20, 16, 16).expect("valid layout");
        let (id, _) = deal::<T>(&layout, [9u8; 32], 0);
        hold_shard_0::<T>(id, &layout, &who);
        // `who` leaves and shard 0 finds no room anywhere: an orphan.
        ProviderSet::<T>::mutate(|set| {
            for s in set.iter_mut() {
                s.free = 0;
            }
        });
        Pallet::<T>::start_leaving(&who, false);
        let mut set = ProviderSet::<T>::get().into_inner();
        Pallet::<T>::reassign_one(&who, id, 0, &mut set, false);
        assert!(Assignments::<T>::get(id, 0).is_some_and(|a| a.provider.is_none()));
        // Its other shards (if placement gave it any) would take the budget first.
        Reassigning::<T>::kill();
        // Capacity comes back (as free as the records say) and wakes the orphan.
        ProviderSet::<T>::mutate(|set| {
            for s in set.iter_mut() {
                let p = Providers::<T>::get(&s.who).expect("a provider");
                s.free = p.capacity - p.used;
            }
        });
        Pallet::<T>::wake_orphans();
        let now = frame_system::Pallet::<T>::block_number();
        #[block]
        {
            Pallet::<T>::reassign_hook(now);
        }
        assert!(Assignments::<T>::get(id, 0).is_some_and(|a| a.provider.is_some()));
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
