//! Weights for `pallet_balances`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-11-23. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_balances --steps 20 --repeat 10 --output runtime/src/weights/pallet_balances.rs`
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

/// Measured weights of `pallet_balances`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_balances::WeightInfo for WeightInfo<T> {
    fn transfer_allow_death() -> Weight {
        Weight::from_parts(29_335_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn transfer_keep_alive() -> Weight {
        Weight::from_parts(22_352_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn force_set_balance_creating() -> Weight {
        Weight::from_parts(13_866_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn force_set_balance_killing() -> Weight {
        Weight::from_parts(12_353_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn force_transfer() -> Weight {
        Weight::from_parts(28_964_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn transfer_all() -> Weight {
        Weight::from_parts(28_142_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn force_unreserve() -> Weight {
        Weight::from_parts(10_069_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `u` is `[1, 1000]`.
    fn upgrade_accounts(u: u32) -> Weight {
        Weight::from_parts(9_989_000, 0)
            .saturating_add(Weight::from_parts(7_842_443, 0).saturating_mul(u.into()))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(u.into())))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(u.into())))
    }
    fn force_adjust_total_issuance() -> Weight {
        Weight::from_parts(6_082_000, 0)
    }
    fn burn_allow_death() -> Weight {
        Weight::from_parts(23_434_000, 0)
    }
    fn burn_keep_alive() -> Weight {
        Weight::from_parts(17_533_000, 0)
    }
}
