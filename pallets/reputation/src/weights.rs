//! Weights for pallet-reputation.
//!
//! PLACEHOLDER: these numbers are NOT generated yet. They are hand-written upper bounds
//! (each call's storage reads and writes priced with `T::DbWeight`, plus a generous
//! constant for computation) until `echonet-node benchmark pallet` lands and regenerates
//! this file from the benchmarks in `benchmarking.rs`.

#![allow(unused_parens, unused_imports)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// The weight of each call of this pallet.
pub trait WeightInfo {
    fn set_half_life() -> Weight;
    fn set_max_score() -> Weight;
    fn reap() -> Weight;
    /// One `ReputationHandler::reward` or `penalize`: what a reporting pallet adds to its
    /// own call's weight per report.
    fn report() -> Weight;
    /// One `ReputationScores::take_snapshot`.
    fn take_snapshot() -> Weight;
}

/// Weights for a runtime, priced with its `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn set_half_life() -> Weight {
        Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1))
    }
    fn set_max_score() -> Weight {
        Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1))
    }
    fn reap() -> Weight {
        Weight::from_parts(20_000_000, 3_600)
            .saturating_add(T::DbWeight::get().reads(4))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn report() -> Weight {
        Weight::from_parts(20_000_000, 3_600)
            .saturating_add(T::DbWeight::get().reads(4))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn take_snapshot() -> Weight {
        Weight::from_parts(10_000_000, 0)
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().writes(1))
    }
}

/// For tests: the same shape with the unit `DbWeight` of a mock runtime.
impl WeightInfo for () {
    fn set_half_life() -> Weight {
        Weight::from_parts(10_000_000, 0)
    }
    fn set_max_score() -> Weight {
        Weight::from_parts(10_000_000, 0)
    }
    fn reap() -> Weight {
        Weight::from_parts(20_000_000, 3_600)
    }
    fn report() -> Weight {
        Weight::from_parts(20_000_000, 3_600)
    }
    fn take_snapshot() -> Weight {
        Weight::from_parts(10_000_000, 0)
    }
}
