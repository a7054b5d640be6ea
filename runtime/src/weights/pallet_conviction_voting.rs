//! Weights for `pallet_conviction_voting`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-04. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_conviction_voting --steps 20 --repeat 10 --output runtime/src/weights/pallet_conviction_voting.rs`
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

/// Measured weights of `pallet_conviction_voting`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_conviction_voting::WeightInfo for WeightInfo<T> {
    fn vote_new() -> Weight {
        Weight::from_parts(137_815_000, 0)
            .saturating_add(T::DbWeight::get().reads(7_u64))
            .saturating_add(T::DbWeight::get().writes(5_u64))
    }
    fn vote_existing() -> Weight {
        Weight::from_parts(155_051_000, 0)
            .saturating_add(T::DbWeight::get().reads(8_u64))
            .saturating_add(T::DbWeight::get().writes(7_u64))
    }
    fn remove_vote() -> Weight {
        Weight::from_parts(123_624_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(5_u64))
    }
    fn remove_other_vote() -> Weight {
        Weight::from_parts(70_806_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `r` is `[0, 10]`.
    fn delegate(r: u32) -> Weight {
        Weight::from_parts(116_965_318, 0)
            .saturating_add(Weight::from_parts(13_253_654, 0).saturating_mul(r.into()))
            .saturating_add(T::DbWeight::get().reads(7_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(r.into())))
            .saturating_add(T::DbWeight::get().writes(5_u64))
            .saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(r.into())))
    }
    /// The range of component `r` is `[0, 10]`.
    fn undelegate(r: u32) -> Weight {
        Weight::from_parts(69_329_734, 0)
            .saturating_add(Weight::from_parts(19_919_650, 0).saturating_mul(r.into()))
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(r.into())))
            .saturating_add(T::DbWeight::get().writes(3_u64))
            .saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(r.into())))
    }
    fn unlock() -> Weight {
        Weight::from_parts(135_001_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
}
