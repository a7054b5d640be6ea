//! Benchmarks of pallet-randomness (frame-benchmarking v2): the hook with a VRF to verify
//! and an epoch to rotate, its most expensive path.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{Get, Hooks};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_core::crypto::VrfSecret;

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn on_initialize(v: Linear<0, 1>, e: Linear<0, 1>) {
        use sp_core::Pair as _;
        // A fixed key, named as the slot author through `BenchmarkableSlotAuthor`.
        let pair = sp_core::sr25519::Pair::from_seed(&[7u8; 32]);
        let randomness = Randomness::<T>::get();
        let slot = 42u64;
        let mut digest = sp_runtime::Digest::default();
        if v == 1 {
            digest.push(vrf_digest_item(
                &pair.vrf_sign(&vrf_sign_data(&randomness, slot)),
            ));
        }
        let length: BlockNumberFor<T> = T::EpochLength::get();
        let now: BlockNumberFor<T> = if e == 1 {
            length + 1u32.into()
        } else {
            1u32.into()
        };
        frame_system::Pallet::<T>::set_block_number(now - 1u32.into());
        frame_system::Pallet::<T>::initialize(&now, &Default::default(), &digest);
        EpochIndex::<T>::put(0);
        bench_author::set(Some((slot, pair.public())));
        #[block]
        {
            Pallet::<T>::on_initialize(now);
        }
        assert_eq!(EpochIndex::<T>::get(), e as u64);
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
