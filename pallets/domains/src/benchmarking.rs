//! Benchmarks of pallet-domains (frame-benchmarking v2).
//!
//! Sizes are the design's: pools of `MaxEvaluatorsPerDomain` (10,000) members with
//! `MaxDomains` (1,000) domains registered for the draw; the epoch end over up to
//! `MaxDomains` active domains; commit, reveal and round closing with quorums up to
//! `MaxQuorum` (2K = 200) and, for closing, up to `2 × MaxQuorum` ballots.
//!
//! Large pools are written directly into storage (slots, members, Fenwick nodes of equal
//! weights: node `i` holds `lowbit(i) × w`), which is the state `join_pool` would leave;
//! the accounts measured by a call that moves their bond are joined for real.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::{
    traits::{
        fungible::{Inspect, Mutate},
        EnsureOrigin, Get, Hooks,
    },
    weights::Weight,
    BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_core::H256;
use sp_runtime::{
    traits::{One, Saturating, UniqueSaturatedFrom, Zero},
    Perbill,
};

/// Registers domains until `n` exist; returns domain 0.
fn domains<T: Config>(n: u32) -> DomainId {
    while NextDomainId::<T>::get() < n {
        Pallet::<T>::do_register_domain(
            BoundedVec::truncate_from(b"benchmark domain".to_vec()),
            Direction::LowerIsBetter,
            H256::repeat_byte(1),
            10,
            1,
            Perbill::from_parts(1_000),
        )
        .expect("below MaxDomains");
    }
    0
}

/// Pool member `i` of `domain`.
fn member<T: Config>(domain: DomainId, i: u32) -> T::AccountId {
    account("evaluator", i, domain)
}

/// Fills `domain`'s pool up to `n` members with the minimum bond (not held: only calls
/// that move a bond need a real hold, and they join their account for real).
fn fill_pool<T: Config>(domain: DomainId, n: u32) {
    let bond = Pallet::<T>::params().min_bond;
    let mut pool = Pools::<T>::get(domain);
    let w = Pallet::<T>::weight_of(&member::<T>(domain, 0), bond);
    while pool.size < n {
        let slot = pool.size;
        let who = member::<T>(domain, slot);
        let node = slot + 1;
        let lowbit = node & node.wrapping_neg();
        Fenwick::<T>::insert(domain, node, w.saturating_mul(u128::from(lowbit)));
        PoolSlots::<T>::insert(
            domain,
            slot,
            Slot {
                who: who.clone(),
                weight: w,
            },
        );
        Members::<T>::insert(
            domain,
            &who,
            Member {
                slot,
                bond,
                serving: 0,
            },
        );
        pool.size = node;
        pool.total = pool.total.saturating_add(w);
    }
    Pools::<T>::insert(domain, pool);
}

/// An account with plenty of funds.
fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
    let who: T::AccountId = account(name, i, 0);
    let params = Pallet::<T>::params();
    let amount = params
        .min_bond
        .saturating_add(params.optimum_deposit)
        .saturating_add(T::Currency::minimum_balance())
        .saturating_mul(1_000u32.into());
    T::Currency::set_balance(&who, amount);
    who
}

/// An optimum of `domain` waiting for its round-`round` draw now.
fn awaiting<T: Config>(domain: DomainId, round: Round) -> (OptimumId, OptimumOf<T>) {
    let optimizer = funded::<T>("optimizer", 0);
    let now = frame_system::Pallet::<T>::block_number();
    let o = Optimum {
        domain,
        optimizer,
        content_hash: H256::repeat_byte(2),
        claimed: 1_000,
        deposit: Zero::zero(),
        round,
        phase: Phase::AwaitingDraw { at: now },
        quorum: 0,
    };
    let id = NextOptimumId::<T>::get();
    NextOptimumId::<T>::put(id + 1);
    Optimums::<T>::insert(id, o.clone());
    Domains::<T>::mutate(domain, |d| {
        if let Some(d) = d {
            d.open += 1;
        }
    });
    (id, o)
}

/// An optimum of `domain` in round 0 with members `0..k` of its pool as quorum; returns it
/// with its windows.
fn voting<T: Config>(
    domain: DomainId,
    k: u32,
) -> (OptimumId, BlockNumberFor<T>, BlockNumberFor<T>) {
    let (id, o) = awaiting::<T>(domain, 0);
    let now = frame_system::Pallet::<T>::block_number();
    let commit_until = now.saturating_add(10u32.into());
    let reveal_until = commit_until.saturating_add(10u32.into());
    for i in 0..k {
        let who = member::<T>(domain, i);
        Ballots::<T>::insert((id, 0u8), &who, Ballot::default());
        Members::<T>::mutate(domain, &who, |m| {
            if let Some(m) = m {
                m.serving += 1;
            }
        });
    }
    Optimums::<T>::insert(
        id,
        Optimum {
            phase: Phase::Voting {
                commit_until,
                reveal_until,
            },
            quorum: k,
            ..o
        },
    );
    (id, commit_until, reveal_until)
}

/// Funds the pot with `amount` above its existential deposit.
fn fund_pot<T: Config>(amount: BalanceOf<T>) {
    T::Currency::set_balance(
        &Pallet::<T>::account_id(),
        T::Currency::minimum_balance().saturating_add(amount),
    );
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn register_domain() -> Result<(), BenchmarkError> {
        let origin =
            T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        domains::<T>(T::MaxDomains::get() - 1);
        let name = BoundedVec::truncate_from(alloc::vec![b'n'; T::MaxNameLen::get() as usize]);
        #[extrinsic_call]
        _(
            origin as T::RuntimeOrigin,
            name,
            Direction::HigherIsBetter,
            H256::zero(),
            5u64,
            1u32,
            Perbill::from_percent(1),
        );
        assert_eq!(NextDomainId::<T>::get(), T::MaxDomains::get());
        Ok(())
    }

    #[benchmark]
    fn update_domain() -> Result<(), BenchmarkError> {
        let origin =
            T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let d = domains::<T>(1);
        #[extrinsic_call]
        _(
            origin as T::RuntimeOrigin,
            d,
            7u64,
            2u32,
            Perbill::from_percent(2),
        );
        assert_eq!(Domains::<T>::get(d).expect("registered").tolerance, 7);
        Ok(())
    }

    #[benchmark]
    fn join_pool() {
        let d = domains::<T>(1);
        fill_pool::<T>(d, T::MaxEvaluatorsPerDomain::get() - 1);
        let who = funded::<T>("joiner", 0);
        let bond = Pallet::<T>::params().min_bond;
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), d, bond);
        assert_eq!(Pools::<T>::get(d).size, T::MaxEvaluatorsPerDomain::get());
    }

    #[benchmark]
    fn bond_more() {
        let d = domains::<T>(1);
        let who = funded::<T>("joiner", 0);
        let bond = Pallet::<T>::params().min_bond;
        Pallet::<T>::do_join(who.clone(), d, bond).expect("joins");
        fill_pool::<T>(d, T::MaxEvaluatorsPerDomain::get());
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), d, bond);
        assert_eq!(
            Members::<T>::get(d, &who).expect("member").bond,
            bond.saturating_mul(2u32.into())
        );
    }

    #[benchmark]
    fn unbond() {
        let d = domains::<T>(1);
        let who = funded::<T>("joiner", 0);
        let bond = Pallet::<T>::params().min_bond;
        Pallet::<T>::do_join(who.clone(), d, bond.saturating_mul(2u32.into())).expect("joins");
        fill_pool::<T>(d, T::MaxEvaluatorsPerDomain::get());
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), d, bond);
        assert_eq!(Members::<T>::get(d, &who).expect("member").bond, bond);
    }

    #[benchmark]
    fn leave_pool() {
        let d = domains::<T>(1);
        let who = funded::<T>("joiner", 0);
        let bond = Pallet::<T>::params().min_bond;
        // Slot 0: leaving moves the last slot into it.
        Pallet::<T>::do_join(who.clone(), d, bond).expect("joins");
        fill_pool::<T>(d, T::MaxEvaluatorsPerDomain::get());
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), d);
        assert!(!Members::<T>::contains_key(d, &who));
        assert_eq!(
            Pools::<T>::get(d).size,
            T::MaxEvaluatorsPerDomain::get() - 1
        );
    }

    #[benchmark]
    fn refresh_weight() {
        let d = domains::<T>(1);
        let who = funded::<T>("joiner", 0);
        let bond = Pallet::<T>::params().min_bond;
        Pallet::<T>::do_join(who.clone(), d, bond).expect("joins");
        fill_pool::<T>(d, T::MaxEvaluatorsPerDomain::get());
        T::BenchmarkHelper::set_reputation(&who, 1_000);
        // Make the stored weight stale whatever the reputation reads.
        Pallet::<T>::pool_set_weight(d, 0, 1);
        let caller: T::AccountId = whitelisted_caller();
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), d, who.clone());
        assert_eq!(
            PoolSlots::<T>::get(d, 0).expect("slot").weight,
            Pallet::<T>::weight_of(&who, bond)
        );
    }

    #[benchmark]
    fn submit_optimum() {
        let d = domains::<T>(1);
        let who = funded::<T>("optimizer", 1);
        Domains::<T>::mutate(d, |dom| {
            if let Some(dom) = dom {
                dom.best = Some(2_000);
            }
        });
        #[extrinsic_call]
        _(RawOrigin::Signed(who), d, H256::repeat_byte(3), 1_000i64);
        assert_eq!(Domains::<T>::get(d).expect("registered").open, 1);
    }

    #[benchmark]
    fn commit() {
        let d = domains::<T>(1);
        fill_pool::<T>(d, T::MaxQuorum::get());
        let (id, _, _) = voting::<T>(d, T::MaxQuorum::get());
        let who = member::<T>(d, 0);
        let hash = commit_hash(id, 0, 1_000, &[7u8; 32], &who);
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), id, hash);
        assert_eq!(
            Ballots::<T>::get((id, 0u8), &who).expect("seat").commit,
            Some(hash)
        );
    }

    #[benchmark]
    fn reveal() {
        let d = domains::<T>(1);
        fill_pool::<T>(d, T::MaxQuorum::get());
        let (id, commit_until, _) = voting::<T>(d, T::MaxQuorum::get());
        let who = member::<T>(d, 0);
        let salt = [7u8; 32];
        Pallet::<T>::do_commit(who.clone(), id, commit_hash(id, 0, 1_000, &salt, &who))
            .expect("commits");
        frame_system::Pallet::<T>::set_block_number(commit_until);
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), id, 1_000i64, salt);
        assert_eq!(
            Ballots::<T>::get((id, 0u8), &who).expect("seat").revealed,
            Some(1_000)
        );
    }

    /// Closing a round of `n` seats, all revealed and agreeing: the verdict rewards,
    /// credits points to and refreshes the weight of every one, in a pool of 10,000.
    #[benchmark]
    fn finalize(n: Linear<1, { T::MaxQuorum::get() * 2 }>) {
        let d = domains::<T>(1);
        fill_pool::<T>(d, T::MaxEvaluatorsPerDomain::get());
        let (id, _, reveal_until) = voting::<T>(d, n);
        for i in 0..n {
            Ballots::<T>::insert(
                (id, 0u8),
                member::<T>(d, i),
                Ballot {
                    commit: Some(H256::zero()),
                    revealed: Some(1_000),
                },
            );
        }
        frame_system::Pallet::<T>::set_block_number(reveal_until);
        let caller: T::AccountId = whitelisted_caller();
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), id);
        assert!(!Optimums::<T>::contains_key(id));
        assert_eq!(CurrentEpoch::<T>::get().contributions, 1);
    }

    #[benchmark]
    fn fund() {
        let who = funded::<T>("funder", 0);
        let amount = Pallet::<T>::params().min_bond;
        #[extrinsic_call]
        _(RawOrigin::Signed(who), amount);
        assert!(T::Currency::balance(&Pallet::<T>::account_id()) >= amount);
    }

    #[benchmark]
    fn claim_rewards() {
        let who: T::AccountId = account("claimer", 0, 0);
        let amount = Pallet::<T>::params().min_bond;
        fund_pot::<T>(amount);
        Claimable::<T>::insert(&who, amount);
        Owed::<T>::put(amount);
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));
        assert_eq!(T::Currency::balance(&who), amount);
    }

    #[benchmark]
    fn set_params() -> Result<(), BenchmarkError> {
        let origin =
            T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let mut params = Pallet::<T>::params();
        params.far_factor = params.far_factor.saturating_add(1);
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, params.clone());
        assert_eq!(Pallet::<T>::params(), params);
        Ok(())
    }

    #[benchmark]
    fn on_initialize_idle() {
        let now: BlockNumberFor<T> = One::one();
        assert!(CurrentEpoch::<T>::get().ends_at > now);
        #[block]
        {
            Pallet::<T>::on_initialize(now);
        }
        assert_eq!(CurrentEpoch::<T>::get().index, 0);
    }

    /// The quorum draw of `k` seats from a pool of `MaxEvaluatorsPerDomain` (10,000) with
    /// `MaxDomains` (1,000) domains registered, excluding the optimizer: O(k log N) reads,
    /// then the ballots, members and event.
    #[benchmark]
    fn draw_quorum(k: Linear<3, { T::MaxQuorum::get() }>) {
        let d = domains::<T>(T::MaxDomains::get());
        fill_pool::<T>(d, T::MaxEvaluatorsPerDomain::get());
        let (id, o) = awaiting::<T>(d, 0);
        let now = frame_system::Pallet::<T>::block_number();
        #[block]
        {
            Pallet::<T>::draw_quorum_of(id, o, now, k);
        }
        assert_eq!(Ballots::<T>::iter_prefix((id, 0u8)).count() as u32, k);
    }

    #[benchmark]
    fn skip_stale() {
        // A draw queue entry whose optimum was closed by `finalize` meanwhile.
        DrawQueueItems::<T>::insert(0, (7u64, 0u8));
        DrawQueue::<T>::put(Queue { head: 0, tail: 1 });
        let now: BlockNumberFor<T> = One::one();
        #[block]
        {
            Pallet::<T>::draw_hook(now, Weight::MAX);
        }
        assert_eq!(DrawQueue::<T>::get().head, 1);
    }

    #[benchmark]
    fn extend_epoch() {
        let now = CurrentEpoch::<T>::get().ends_at;
        #[block]
        {
            Pallet::<T>::epoch_hook(now);
        }
        assert_eq!(CurrentEpoch::<T>::get().index, 0);
        assert!(CurrentEpoch::<T>::get().ends_at > now);
    }

    /// The epoch end over `d` active domains (each with a contribution, points and a
    /// carry to fold in).
    #[benchmark]
    fn release_epoch(d: Linear<1, { T::MaxDomains::get() }>) {
        domains::<T>(d);
        let params = Pallet::<T>::params();
        fund_pot::<T>(params.epoch_reward.saturating_mul(2u32.into()));
        let optimizer: T::AccountId = account("optimizer", 0, 0);
        for domain in 0..d {
            let dom = Domains::<T>::get(domain).expect("registered");
            Pallet::<T>::record_contribution(domain, &dom, &optimizer);
            Pallet::<T>::add_points(domain, &member::<T>(domain, 0), 0, 1);
            Carry::<T>::insert(domain, BalanceOf::<T>::unique_saturated_from(1_000u128));
        }
        let carried = BalanceOf::<T>::unique_saturated_from(1_000u128 * u128::from(d));
        Owed::<T>::put(carried);
        let epoch = CurrentEpoch::<T>::get();
        let now = epoch.ends_at;
        #[block]
        {
            Pallet::<T>::release_epoch(now, epoch);
        }
        assert_eq!(CurrentEpoch::<T>::get().index, 1);
        assert_eq!(DomainPayouts::<T>::iter_prefix(0).count() as u32, d);
    }

    /// Crediting `n` payout entries of a released epoch.
    #[benchmark]
    fn payout_entries(n: Linear<1, 1_000>) {
        let d = domains::<T>(1);
        let mut params = Pallet::<T>::params();
        params.max_payouts_per_block = n;
        ActiveParams::<T>::put(&params);
        fund_pot::<T>(params.epoch_reward.saturating_mul(2u32.into()));
        for i in 0..n {
            Pallet::<T>::add_points(d, &member::<T>(d, i), 1, 1);
        }
        let dom = Domains::<T>::get(d).expect("registered");
        Pallet::<T>::record_contribution(d, &dom, &member::<T>(d, 0));
        let epoch = CurrentEpoch::<T>::get();
        Pallet::<T>::release_epoch(epoch.ends_at, epoch);
        #[block]
        {
            Pallet::<T>::payout_hook();
        }
        assert_eq!(PayoutQueue::<T>::get().head, u64::from(n));
        assert!(!Claimable::<T>::get(member::<T>(d, 0)).is_zero());
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
