//! Weights for `pallet_treasury`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-04. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_treasury --steps 20 --repeat 10 --output runtime/src/weights/pallet_treasury.rs`
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

/// Measured weights of `pallet_treasury`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_treasury::WeightInfo for WeightInfo<T> {
    fn spend_local() -> Weight {
        Weight::from_parts(7_351_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn remove_approval() -> Weight {
        Weight::from_parts(2_043_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `p` is `[0, 99]`.
    fn on_initialize_proposals(p: u32) -> Weight {
        Weight::from_parts(8_972_446, 0)
            .saturating_add(Weight::from_parts(26_270, 0).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn spend() -> Weight {
        Weight::from_parts(6_520_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn payout() -> Weight {
        Weight::from_parts(28_743_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn check_status() -> Weight {
        Weight::from_parts(5_989_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn void_spend() -> Weight {
        Weight::from_parts(5_328_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
}
