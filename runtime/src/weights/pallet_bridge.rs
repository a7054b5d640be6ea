//! Weights for `pallet_bridge`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-03. Machine: AMD EPYC, 2 cores.
//! Component values: 8, 32, 64, repeat: 50. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_bridge --values 8,32,64 --repeat 50 --output runtime/src/weights/pallet_bridge.rs`
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

/// Measured weights of `pallet_bridge`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_bridge::WeightInfo for WeightInfo<T> {
    fn set_verifying_key() -> Weight {
        Weight::from_parts(2_366_316_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn set_batch_size() -> Weight {
        Weight::from_parts(17_466_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn set_params() -> Weight {
        Weight::from_parts(7_752_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn add_operator() -> Weight {
        Weight::from_parts(47_080_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn remove_operator() -> Weight {
        Weight::from_parts(35_372_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn deposit() -> Weight {
        Weight::from_parts(181_971_000, 0)
            .saturating_add(T::DbWeight::get().reads(9_u64))
            .saturating_add(T::DbWeight::get().writes(6_u64))
    }
    /// The range of component `s` is `[8, 64]`.
    fn submit_batch(s: u32) -> Weight {
        Weight::from_parts(2_514_384_818, 0)
            .saturating_add(Weight::from_parts(75_348_628, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(12_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(s.into())))
            .saturating_add(T::DbWeight::get().writes(7_u64))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(s.into())))
    }
    fn claim_withdrawal() -> Weight {
        Weight::from_parts(38_858_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn trigger_exodus() -> Weight {
        Weight::from_parts(12_298_000, 0)
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn exit() -> Weight {
        Weight::from_parts(1_222_797_000, 0)
            .saturating_add(T::DbWeight::get().reads(7_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn refund_deposit() -> Weight {
        Weight::from_parts(33_009_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn set_instance() -> Weight {
        Weight::from_parts(4_707_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
}
