//! Weights for `pallet_proxy`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-04. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_proxy --steps 20 --repeat 10 --output runtime/src/weights/pallet_proxy.rs`
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

/// Measured weights of `pallet_proxy`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_proxy::WeightInfo for WeightInfo<T> {
    /// The range of component `p` is `[1, 31]`.
    fn proxy(p: u32) -> Weight {
        Weight::from_parts(6_102_699, 0)
            .saturating_add(Weight::from_parts(73_946, 0).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
    }
    /// The range of component `a` is `[0, 31]`, `p` is `[1, 31]`.
    fn proxy_announced(a: u32, p: u32) -> Weight {
        Weight::from_parts(18_381_531, 0)
            .saturating_add(Weight::from_parts(113_749, 0).saturating_mul(a.into()))
            .saturating_add(Weight::from_parts(71_703, 0).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    /// The range of component `a` is `[0, 31]`, `p` is `[1, 31]`.
    fn remove_announcement(a: u32, p: u32) -> Weight {
        Weight::from_parts(13_445_117, 0)
            .saturating_add(Weight::from_parts(81_549, 0).saturating_mul(a.into()))
            .saturating_add(Weight::from_parts(39_643, 0).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    /// The range of component `a` is `[0, 31]`, `p` is `[1, 31]`.
    fn reject_announcement(a: u32, p: u32) -> Weight {
        Weight::from_parts(14_212_178, 0)
            .saturating_add(Weight::from_parts(81_783, 0).saturating_mul(a.into()))
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    /// The range of component `a` is `[0, 31]`, `p` is `[1, 31]`.
    fn announce(a: u32, p: u32) -> Weight {
        Weight::from_parts(17_783_085, 0)
            .saturating_add(Weight::from_parts(110_345, 0).saturating_mul(a.into()))
            .saturating_add(Weight::from_parts(111_207, 0).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    /// The range of component `p` is `[1, 31]`.
    fn add_proxy(p: u32) -> Weight {
        Weight::from_parts(16_966_812, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `p` is `[1, 31]`.
    fn remove_proxy(p: u32) -> Weight {
        Weight::from_parts(14_701_925, 0)
            .saturating_add(Weight::from_parts(57_360, 0).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `p` is `[1, 31]`.
    fn remove_proxies(p: u32) -> Weight {
        Weight::from_parts(12_393_910, 0)
            .saturating_add(Weight::from_parts(1_555_827, 0).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `p` is `[1, 31]`.
    fn create_pure(p: u32) -> Weight {
        Weight::from_parts(17_451_548, 0)
            .saturating_add(Weight::from_parts(3_997, 0).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `p` is `[0, 30]`.
    fn kill_pure(p: u32) -> Weight {
        Weight::from_parts(13_775_251, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn poke_deposit() -> Weight {
        Weight::from_parts(30_456_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
}
