//! Weights for `pallet_payouts`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-04. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `/work/notes/echonet-node-rb benchmark pallet --pallet pallet_payouts --steps 20 --repeat 10 --output runtime/src/weights/pallet_payouts.rs`
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

/// Measured weights of `pallet_payouts`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_payouts::WeightInfo for WeightInfo<T> {
    fn tip() -> Weight {
        Weight::from_parts(34_322_000, 0)
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().writes(7_u64))
    }
    fn create_plan() -> Weight {
        Weight::from_parts(9_184_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn retire_plan() -> Weight {
        Weight::from_parts(7_101_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn subscribe() -> Weight {
        Weight::from_parts(68_733_000, 0)
            .saturating_add(T::DbWeight::get().reads(17_u64))
            .saturating_add(T::DbWeight::get().writes(10_u64))
    }
    fn cancel() -> Weight {
        Weight::from_parts(47_470_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn claim() -> Weight {
        Weight::from_parts(36_664_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn set_destination() -> Weight {
        Weight::from_parts(4_927_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn set_params() -> Weight {
        Weight::from_parts(4_617_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn credit() -> Weight {
        Weight::from_parts(29_023_000, 0)
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().writes(7_u64))
    }
    fn credit_from_hold() -> Weight {
        Weight::from_parts(28_853_000, 0)
            .saturating_add(T::DbWeight::get().reads(7_u64))
            .saturating_add(T::DbWeight::get().writes(8_u64))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(3_635_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    /// The range of component `n` is `[1, 1000]`.
    fn on_initialize_payouts(n: u32) -> Weight {
        Weight::from_parts(37_796_000, 0)
            .saturating_add(Weight::from_parts(51_661_575, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(4_u64))
            .saturating_add(T::DbWeight::get().writes((4_u64).saturating_mul(n.into())))
    }
    /// The range of component `n` is `[1, 1000]`.
    fn on_initialize_charges(n: u32) -> Weight {
        Weight::from_parts(75_012_000, 0)
            .saturating_add(Weight::from_parts(97_572_637, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(13_u64))
            .saturating_add(T::DbWeight::get().reads((5_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(6_u64))
            .saturating_add(T::DbWeight::get().writes((5_u64).saturating_mul(n.into())))
    }
}
