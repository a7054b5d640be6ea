//! Weights for `pallet_sudo`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-11-23. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_sudo --steps 20 --repeat 10 --output runtime/src/weights/pallet_sudo.rs`
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

/// Measured weights of `pallet_sudo`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_sudo::WeightInfo for WeightInfo<T> {
    fn set_key() -> Weight {
        Weight::from_parts(5_390_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn sudo() -> Weight {
        Weight::from_parts(5_570_000, 0).saturating_add(T::DbWeight::get().reads(1_u64))
    }
    fn sudo_as() -> Weight {
        Weight::from_parts(5_691_000, 0).saturating_add(T::DbWeight::get().reads(1_u64))
    }
    fn remove_key() -> Weight {
        Weight::from_parts(4_959_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn check_only_sudo_account() -> Weight {
        Weight::from_parts(1_022_000, 0).saturating_add(T::DbWeight::get().reads(1_u64))
    }
}
