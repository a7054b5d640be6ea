//! Weights for pallet-evidence.
//!
//! PLACEHOLDER until regenerated from `benchmarking.rs` (see the commit that replaces it).

#![allow(unused_parens, unused_imports)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// The weight of each call of this pallet, and of its `on_initialize`.
pub trait WeightInfo {
    /// `report_aura_equivocation` whose offender is found in the `h`-th recorded set.
    fn report_aura_equivocation(h: u32) -> Weight;
    fn report_grandpa_equivocation() -> Weight;
    /// `on_initialize` checking (and, with `r = 1`, recording) the authority sets.
    fn on_initialize_record(r: u32) -> Weight;
    /// `on_initialize` pruning `p` records.
    fn on_initialize_prune(p: u32) -> Weight;
}

/// Weights for a runtime, priced with its `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn report_aura_equivocation(h: u32) -> Weight {
        Weight::from_parts(200_000_000, 3_000)
            .saturating_add(T::DbWeight::get().reads(4_u64.saturating_add(h as u64)))
            .saturating_add(T::DbWeight::get().writes(2))
    }
    fn report_grandpa_equivocation() -> Weight {
        Weight::from_parts(200_000_000, 3_000)
            .saturating_add(T::DbWeight::get().reads(5))
            .saturating_add(T::DbWeight::get().writes(2))
    }
    fn on_initialize_record(r: u32) -> Weight {
        Weight::from_parts(10_000_000, 1_000)
            .saturating_add(T::DbWeight::get().reads(4))
            .saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(r as u64)))
    }
    fn on_initialize_prune(p: u32) -> Weight {
        Weight::from_parts(10_000_000, 1_000)
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_add(p as u64)))
    }
}

/// For tests.
impl WeightInfo for () {
    fn report_aura_equivocation(_h: u32) -> Weight {
        Weight::from_parts(200_000_000, 3_000)
    }
    fn report_grandpa_equivocation() -> Weight {
        Weight::from_parts(200_000_000, 3_000)
    }
    fn on_initialize_record(_r: u32) -> Weight {
        Weight::from_parts(10_000_000, 1_000)
    }
    fn on_initialize_prune(_p: u32) -> Weight {
        Weight::from_parts(10_000_000, 1_000)
    }
}
