//! Benchmarks of pallet-payouts (frame-benchmarking v2): every call, the two
//! [`PayoutLedger`] paths other pallets use, and the hook's two loops (payouts and
//! charges, n up to 1,000), each at its worst case.
//!
//! The loop benchmarks assume `MaxQueue ≥ 1,000` and `MaxDuePerBlock ≥ 1,000`.

use super::*;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::traits::{
    fungible::{Mutate, MutateHold},
    EnsureOrigin, Get,
};
use frame_system::RawOrigin;
use sp_runtime::traits::Zero;

const SEED: u32 = 0;
/// The plan period the benchmarks use.
const PERIOD: u32 = 10;

/// An amount every payout can pay (above any existential deposit).
fn unit<T: Config>() -> BalanceOf<T> {
    T::Currency::minimum_balance().max(1u32.into()) * 1_000u32.into()
}

/// Parameters that let every loop run to its component's end.
fn bench_params<T: Config>() -> ParamsOf<T> {
    Params {
        payout_period: 1u32.into(),
        max_payouts_per_block: 1_000,
        min_payout: Zero::zero(),
        max_charges_per_block: 1_000,
        min_plan_period: 1u32.into(),
        min_plan_price: Zero::zero(),
    }
}

fn setup<T: Config>() {
    ActiveParams::<T>::put(bench_params::<T>());
    let _ = Pallet::<T>::create_ledger_account();
}

/// An account with plenty to pay with.
fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
    let who: T::AccountId = account(name, i, SEED);
    T::Currency::set_balance(&who, unit::<T>() * 10_000u32.into());
    who
}

/// Fills the due lists of `DUE_PROBE - 1` blocks from `from` so that a charge wanting
/// `from` probes them all and lands in the last one.
fn fill_probe<T: Config>(from: BlockNumberFor<T>) {
    let dummy: T::AccountId = account("dummy", 0, SEED);
    let full: DueList<T> = BoundedVec::truncate_from(vec![
        (dummy.clone(), dummy);
        T::MaxDuePerBlock::get() as usize
    ]);
    let mut block = from;
    for _ in 1..DUE_PROBE {
        Due::<T>::insert(block, full.clone());
        block += 1u32.into();
    }
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn tip() {
        setup::<T>();
        let caller = funded::<T>("tipper", 0);
        let creator: T::AccountId = account("creator", 0, SEED);
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), creator.clone(), unit::<T>());
        assert_eq!(Owed::<T>::get(&creator), unit::<T>());
    }

    #[benchmark]
    fn create_plan() {
        setup::<T>();
        let creator = funded::<T>("creator", 0);
        PlanCount::<T>::insert(&creator, T::MaxPlansPerCreator::get().saturating_sub(1));
        #[extrinsic_call]
        _(
            RawOrigin::Signed(creator.clone()),
            unit::<T>(),
            PERIOD.into(),
        );
        assert!(Plans::<T>::contains_key(&creator, 0));
    }

    #[benchmark]
    fn retire_plan() {
        setup::<T>();
        let creator = funded::<T>("creator", 0);
        Pallet::<T>::do_create_plan(creator.clone(), unit::<T>(), PERIOD.into()).unwrap();
        #[extrinsic_call]
        _(RawOrigin::Signed(creator.clone()), 0);
        assert!(!Plans::<T>::contains_key(&creator, 0));
    }

    #[benchmark]
    fn subscribe() {
        setup::<T>();
        let creator = funded::<T>("creator", 0);
        let subscriber = funded::<T>("subscriber", 0);
        Pallet::<T>::do_create_plan(creator.clone(), unit::<T>(), PERIOD.into()).unwrap();
        let now = frame_system::Pallet::<T>::block_number();
        fill_probe::<T>(now + PERIOD.into());
        #[extrinsic_call]
        _(RawOrigin::Signed(subscriber.clone()), creator.clone(), 0);
        assert!(Subscriptions::<T>::contains_key(&subscriber, &creator));
    }

    #[benchmark]
    fn cancel() {
        setup::<T>();
        let creator = funded::<T>("creator", 0);
        let subscriber = funded::<T>("subscriber", 0);
        Pallet::<T>::do_create_plan(creator.clone(), unit::<T>(), PERIOD.into()).unwrap();
        let now = frame_system::Pallet::<T>::block_number();
        // Its due list is full, with it last.
        let dummy: T::AccountId = account("dummy", 0, SEED);
        let others: DueList<T> = BoundedVec::truncate_from(vec![
            (dummy.clone(), dummy);
            T::MaxDuePerBlock::get().saturating_sub(1)
                as usize
        ]);
        Due::<T>::insert(now + PERIOD.into(), others);
        Pallet::<T>::do_subscribe(subscriber.clone(), creator.clone(), 0).unwrap();
        #[extrinsic_call]
        _(RawOrigin::Signed(subscriber.clone()), creator.clone());
        assert!(!Subscriptions::<T>::contains_key(&subscriber, &creator));
    }

    #[benchmark]
    fn claim() {
        setup::<T>();
        let payer = funded::<T>("payer", 0);
        let creator: T::AccountId = account("creator", 0, SEED);
        // To another account, which does not exist yet.
        let to: T::AccountId = account("destination", 0, SEED);
        Destinations::<T>::insert(&creator, PayoutDestination::L1(to.clone()));
        Pallet::<T>::credit(&payer, &creator, unit::<T>(), CreditSource::Tip).unwrap();
        #[extrinsic_call]
        _(RawOrigin::Signed(creator.clone()));
        assert_eq!(T::Currency::balance(&to), unit::<T>());
    }

    #[benchmark]
    fn set_destination() {
        setup::<T>();
        let creator: T::AccountId = account("creator", 0, SEED);
        let to: T::AccountId = account("destination", 0, SEED);
        #[extrinsic_call]
        _(
            RawOrigin::Signed(creator.clone()),
            PayoutDestination::L1(to.clone()),
        );
        assert_eq!(
            Destinations::<T>::get(&creator),
            Some(PayoutDestination::L1(to))
        );
    }

    #[benchmark]
    fn set_params() -> Result<(), BenchmarkError> {
        setup::<T>();
        let origin =
            T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let params = Params::default();
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, params.clone());
        assert_eq!(ActiveParams::<T>::get(), Some(params));
        Ok(())
    }

    #[benchmark]
    fn credit() {
        setup::<T>();
        let payer = funded::<T>("payer", 0);
        let creator: T::AccountId = account("creator", 0, SEED);
        #[block]
        {
            Pallet::<T>::credit(&payer, &creator, unit::<T>(), CreditSource::Engagement).unwrap();
        }
        assert_eq!(Owed::<T>::get(&creator), unit::<T>());
    }

    #[benchmark]
    fn credit_from_hold() {
        setup::<T>();
        let payer = funded::<T>("payer", 0);
        let creator: T::AccountId = account("creator", 0, SEED);
        let reason = T::BenchmarkHelper::hold_reason();
        T::Currency::hold(&reason, &payer, unit::<T>()).unwrap();
        #[block]
        {
            Pallet::<T>::credit_from_hold(
                &reason,
                &payer,
                &creator,
                unit::<T>(),
                CreditSource::Ads,
            )
            .unwrap();
        }
        assert_eq!(Owed::<T>::get(&creator), unit::<T>());
    }

    #[benchmark]
    fn on_initialize_idle() {
        setup::<T>();
        let mut params = bench_params::<T>();
        // Not a payout boundary.
        params.payout_period = 1_000u32.into();
        ActiveParams::<T>::put(params);
        let now: BlockNumberFor<T> = 7u32.into();
        ChargeCursor::<T>::put(now);
        #[block]
        {
            Pallet::<T>::on_initialize(now);
        }
        assert_eq!(ChargeCursor::<T>::get(), Some(now + 1u32.into()));
    }

    #[benchmark]
    fn on_initialize_payouts(n: Linear<1, 1_000>) {
        setup::<T>();
        let payer = funded::<T>("payer", 0);
        for i in 0..n {
            // Each creator's account is new: the transfer creates it.
            let creator: T::AccountId = account("creator", i, SEED);
            Pallet::<T>::credit(&payer, &creator, unit::<T>(), CreditSource::Tip).unwrap();
        }
        let params = bench_params::<T>();
        let now: BlockNumberFor<T> = 10u32.into();
        let paid;
        #[block]
        {
            paid = Pallet::<T>::pay_batch(now, &params);
        }
        assert_eq!(paid, n);
        assert!(TotalOwed::<T>::get().is_zero());
    }

    #[benchmark]
    fn on_initialize_charges(n: Linear<1, 1_000>) {
        setup::<T>();
        let now: BlockNumberFor<T> = 10u32.into();
        let mut due = vec![];
        for i in 0..n {
            // A creator each (each credit queues its creator), a subscriber each.
            let creator: T::AccountId = account("creator", i, SEED);
            let subscriber = funded::<T>("subscriber", i);
            Plans::<T>::insert(
                &creator,
                0,
                Plan {
                    price: unit::<T>(),
                    period: PERIOD.into(),
                },
            );
            Subscriptions::<T>::insert(
                &subscriber,
                &creator,
                Subscription {
                    plan: 0,
                    next_charge: now,
                },
            );
            SubscriptionCount::<T>::insert(&subscriber, 1);
            due.push((subscriber, creator));
        }
        Due::<T>::insert(now, DueList::<T>::truncate_from(due));
        // Every charge probes `DUE_PROBE` lists for its next charge.
        fill_probe::<T>(now + PERIOD.into());
        ChargeCursor::<T>::put(now);
        let used;
        #[block]
        {
            used = Pallet::<T>::charge_due(now, n);
        }
        assert_eq!(used, n);
        assert_eq!(TotalOwed::<T>::get(), unit::<T>() * n.into());
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
