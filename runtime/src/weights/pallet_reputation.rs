//! Weights for `pallet_reputation`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-11-23. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_reputation --steps 20 --repeat 10 --output runtime/src/weights/pallet_reputation.rs`
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

/// Measured weights of `pallet_reputation`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_reputation::WeightInfo for WeightInfo<T> {
    fn set_half_life() -> Weight {
        Weight::from_parts(7_003_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn set_max_score() -> Weight {
        Weight::from_parts(7_314_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn reap() -> Weight {
        Weight::from_parts(13_645_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn report() -> Weight {
        Weight::from_parts(4_278_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn take_snapshot() -> Weight {
        Weight::from_parts(4_328_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
}
