//! Weights for `pallet_preimage`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-04. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_preimage --steps 20 --repeat 10 --output runtime/src/weights/pallet_preimage.rs`
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

/// Measured weights of `pallet_preimage`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_preimage::WeightInfo for WeightInfo<T> {
    /// The range of component `s` is `[0, 4194304]`.
    fn note_preimage(s: u32) -> Weight {
        Weight::from_parts(26_650_000, 0)
            .saturating_add(Weight::from_parts(2_380, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    /// The range of component `s` is `[0, 4194304]`.
    fn note_requested_preimage(s: u32) -> Weight {
        Weight::from_parts(10_446_000, 0)
            .saturating_add(Weight::from_parts(2_006, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    /// The range of component `s` is `[0, 4194304]`.
    fn note_no_deposit_preimage(s: u32) -> Weight {
        Weight::from_parts(8_012_000, 0)
            .saturating_add(Weight::from_parts(2_558, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn unnote_preimage() -> Weight {
        Weight::from_parts(67_431_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn unnote_no_deposit_preimage() -> Weight {
        Weight::from_parts(40_170_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn request_preimage() -> Weight {
        Weight::from_parts(35_072_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn request_no_deposit_preimage() -> Weight {
        Weight::from_parts(30_165_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn request_unnoted_preimage() -> Weight {
        Weight::from_parts(17_106_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn request_requested_preimage() -> Weight {
        Weight::from_parts(5_969_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn unrequest_preimage() -> Weight {
        Weight::from_parts(38_757_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn unrequest_unnoted_preimage() -> Weight {
        Weight::from_parts(8_483_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn unrequest_multi_referenced_preimage() -> Weight {
        Weight::from_parts(5_208_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `n` is `[1, 1024]`.
    fn ensure_updated(n: u32) -> Weight {
        Weight::from_parts(25_949_000, 0)
            .saturating_add(Weight::from_parts(42_083_481, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes((4_u64).saturating_mul(n.into())))
    }
}
