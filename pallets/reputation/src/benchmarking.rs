//! Benchmarks of pallet-reputation (frame-benchmarking v2).

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::EnsureOrigin;
use frame_system::RawOrigin;

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn set_half_life() -> Result<(), BenchmarkError> {
        let origin =
            T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, 1_000u32.into());
        assert_eq!(HalfLife::<T>::get(), 1_000u32.into());
        Ok(())
    }

    #[benchmark]
    fn set_max_score() -> Result<(), BenchmarkError> {
        let origin =
            T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, 1_000);
        assert_eq!(MaxScore::<T>::get(), 1_000);
        Ok(())
    }

    #[benchmark]
    fn reap() {
        let caller: T::AccountId = whitelisted_caller();
        let who: T::AccountId = account("who", 0, 0);
        // A record from an old snapshot point, fully decayed: the path that reads most.
        Scores::<T>::insert(
            &who,
            Role::Witness,
            ScoreRecord {
                value: 1,
                updated_at: 0u32.into(),
                snapshot_index: 0,
                snapshot_value: 0,
            },
        );
        let far = HalfLife::<T>::get() * 100u32.into();
        frame_system::Pallet::<T>::set_block_number(far);
        <Pallet<T> as ReputationScores<T::AccountId>>::take_snapshot();
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), who.clone(), Role::Witness);
        assert!(Scores::<T>::get(&who, Role::Witness).is_none());
    }

    #[benchmark]
    fn report() {
        let who: T::AccountId = account("who", 0, 0);
        <Pallet<T> as ReputationHandler<T::AccountId>>::reward(&who, Role::Witness, 10);
        frame_system::Pallet::<T>::set_block_number(10u32.into());
        // A stale snapshot index makes the write save the snapshot value too.
        <Pallet<T> as ReputationScores<T::AccountId>>::take_snapshot();
        #[block]
        {
            <Pallet<T> as ReputationHandler<T::AccountId>>::reward(&who, Role::Witness, 10);
        }
        assert!(Scores::<T>::get(&who, Role::Witness).is_some());
    }

    #[benchmark]
    fn take_snapshot() {
        #[block]
        {
            <Pallet<T> as ReputationScores<T::AccountId>>::take_snapshot();
        }
        assert_eq!(CurrentSnapshot::<T>::get().index, 1);
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
