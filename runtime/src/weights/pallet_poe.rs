//! Weights for `pallet_poe`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-04. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `/work/notes/echonet-node-rb benchmark pallet --pallet pallet_poe --steps 20 --repeat 10 --output runtime/src/weights/pallet_poe.rs`
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

/// Measured weights of `pallet_poe`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_poe::WeightInfo for WeightInfo<T> {
    fn submit_scores() -> Weight {
        Weight::from_parts(57_014_000, 0)
            .saturating_add(T::DbWeight::get().reads(16_u64))
            .saturating_add(T::DbWeight::get().writes(8_u64))
    }
    fn accept_scores() -> Weight {
        Weight::from_parts(13_830_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    /// The range of component `d` is `[0, 32]`.
    fn claim(d: u32) -> Weight {
        Weight::from_parts(48_798_355, 0)
            .saturating_add(Weight::from_parts(217_554, 0).saturating_mul(d.into()))
            .saturating_add(T::DbWeight::get().reads(14_u64))
            .saturating_add(T::DbWeight::get().writes(10_u64))
    }
    /// The range of component `n` is `[1, 1000]`, `d` is `[0, 32]`.
    fn claim_many(n: u32, d: u32) -> Weight {
        Weight::from_parts(54_942_000, 0)
            .saturating_add(Weight::from_parts(53_619_224, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(11_u64))
            .saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(7_u64))
            .saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(n.into())))
    }
    fn fund() -> Weight {
        Weight::from_parts(29_184_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn set_params() -> Weight {
        Weight::from_parts(5_227_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(3_154_000, 0).saturating_add(T::DbWeight::get().reads(2_u64))
    }
    fn close_period() -> Weight {
        Weight::from_parts(8_092_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn expire_period() -> Weight {
        Weight::from_parts(7_672_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    /// The range of component `n` is `[0, 512]`.
    fn purge_claimed(n: u32) -> Weight {
        Weight::from_parts(9_093_000, 0)
            .saturating_add(Weight::from_parts(2_547_437, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(2_u64))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
    }
}
