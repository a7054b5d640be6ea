//! Weights for pallet-randomness.
//!
//! PLACEHOLDER: these numbers are NOT generated yet. They are hand-written upper bounds
//! until `echonet-node benchmark pallet` lands and regenerates this file from the
//! benchmarks in `benchmarking.rs`. The VRF verification dominates: schnorrkel's
//! `dleq_verify` takes about 100 µs natively, priced here at 200 µs.

#![allow(unused_parens, unused_imports)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// The weight of this pallet's hook.
pub trait WeightInfo {
    /// `v`: 1 if the block carried a VRF digest to verify; `e`: 1 if an epoch started.
    fn on_initialize(v: u32, e: u32) -> Weight;
}

/// Weights for a runtime, priced with its `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn on_initialize(v: u32, e: u32) -> Weight {
        Weight::from_parts(10_000_000, 0)
            .saturating_add(Weight::from_parts(200_000_000, 0).saturating_mul(v.into()))
            .saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(e.into()))
            .saturating_add(T::DbWeight::get().reads(4))
            .saturating_add(T::DbWeight::get().writes(2))
            .saturating_add(T::DbWeight::get().writes(5).saturating_mul(e.into()))
    }
}

impl WeightInfo for () {
    fn on_initialize(v: u32, e: u32) -> Weight {
        Weight::from_parts(10_000_000, 0)
            .saturating_add(Weight::from_parts(200_000_000, 0).saturating_mul(v.into()))
            .saturating_add(Weight::from_parts(10_000_000, 0).saturating_mul(e.into()))
    }
}
