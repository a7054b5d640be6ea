//! Weights for `pallet_multisig`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-04. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_multisig --steps 20 --repeat 10 --output runtime/src/weights/pallet_multisig.rs`
//!
//! Generated: do not edit by hand; run the command again.

#![allow(
    unused_parens,
    unused_imports,
    unused_variables,
    missing_docs,
    clippy::all
)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// Measured weights of `pallet_multisig`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_multisig::WeightInfo for WeightInfo<T> {
    /// The range of component `z` is `[0, 10000]`.
    fn as_multi_threshold_1(z: u32) -> Weight {
        Weight::from_parts(21_499_985, 0)
            .saturating_add(Weight::from_parts(821, 0).saturating_mul(z.into()))
    }
    /// The range of component `s` is `[2, 100]`, `z` is `[0, 10000]`.
    fn as_multi_create(s: u32, z: u32) -> Weight {
        Weight::from_parts(6_176_263, 0)
            .saturating_add(Weight::from_parts(200_152, 0).saturating_mul(s.into()))
            .saturating_add(Weight::from_parts(1_788, 0).saturating_mul(z.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `s` is `[3, 100]`, `z` is `[0, 10000]`.
    fn as_multi_approve(s: u32, z: u32) -> Weight {
        Weight::from_parts(18_525_879, 0)
            .saturating_add(Weight::from_parts(853, 0).saturating_mul(z.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `s` is `[2, 100]`, `z` is `[0, 10000]`.
    fn as_multi_complete(s: u32, z: u32) -> Weight {
        Weight::from_parts(13_098_181, 0)
            .saturating_add(Weight::from_parts(161_732, 0).saturating_mul(s.into()))
            .saturating_add(Weight::from_parts(1_064, 0).saturating_mul(z.into()))
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    /// The range of component `s` is `[2, 100]`.
    fn approve_as_multi_create(s: u32) -> Weight {
        Weight::from_parts(16_269_800, 0)
            .saturating_add(Weight::from_parts(93_374, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `s` is `[2, 100]`.
    fn approve_as_multi_approve(s: u32) -> Weight {
        Weight::from_parts(7_345_239, 0)
            .saturating_add(Weight::from_parts(76_597, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `s` is `[2, 100]`.
    fn cancel_as_multi(s: u32) -> Weight {
        Weight::from_parts(14_027_546, 0)
            .saturating_add(Weight::from_parts(126_703, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `s` is `[2, 100]`.
    fn poke_deposit(s: u32) -> Weight {
        Weight::from_parts(16_976_413, 0)
            .saturating_add(Weight::from_parts(90_445, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
}
