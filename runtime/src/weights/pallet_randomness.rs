//! Weights for `pallet_randomness`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-11-23. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_randomness --steps 20 --repeat 10 --output runtime/src/weights/pallet_randomness.rs`
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

/// Measured weights of `pallet_randomness`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_randomness::WeightInfo for WeightInfo<T> {
    /// The range of component `v` is `[0, 1]`, `e` is `[0, 1]`.
    fn on_initialize(v: u32, e: u32) -> Weight {
        Weight::from_parts(11_372_333, 0)
            .saturating_add(Weight::from_parts(211_468_833, 0).saturating_mul(v.into()))
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
            .saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(e.into())))
    }
}
