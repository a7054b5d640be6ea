//! Weights for `pallet_evidence`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-03. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_evidence --steps 20 --repeat 10 --output runtime/src/weights/pallet_evidence.rs`
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

/// Measured weights of `pallet_evidence`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_evidence::WeightInfo for WeightInfo<T> {
    /// The range of component `h` is `[0, 1]`.
    fn report_aura_equivocation(h: u32) -> Weight {
        Weight::from_parts(125_334_666, 0)
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn report_grandpa_equivocation() -> Weight {
        Weight::from_parts(93_980_000, 0)
            .saturating_add(T::DbWeight::get().reads(8_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    /// The range of component `r` is `[0, 1]`.
    fn on_initialize_record(r: u32) -> Weight {
        Weight::from_parts(8_085_333, 0)
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(r.into())))
            .saturating_add(T::DbWeight::get().writes(5_u64))
    }
    /// The range of component `p` is `[0, 16]`.
    fn on_initialize_prune(p: u32) -> Weight {
        Weight::from_parts(1_325_189, 0)
            .saturating_add(Weight::from_parts(577_576, 0).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(p.into())))
    }
}
