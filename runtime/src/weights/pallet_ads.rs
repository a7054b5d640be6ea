//! Weights for `pallet_ads`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-04. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `/work/notes/echonet-node-rb benchmark pallet --pallet pallet_ads --steps 20 --repeat 10 --output runtime/src/weights/pallet_ads.rs`
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

/// Measured weights of `pallet_ads`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_ads::WeightInfo for WeightInfo<T> {
    /// The range of component `c` is `[1, 8]`.
    fn create_campaign(c: u32) -> Weight {
        Weight::from_parts(32_680_125, 0)
            .saturating_add(Weight::from_parts(2_757_125, 0).saturating_mul(c.into()))
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(c.into())))
            .saturating_add(T::DbWeight::get().writes(6_u64))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(c.into())))
    }
    fn top_up() -> Weight {
        Weight::from_parts(29_494_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn pause() -> Weight {
        Weight::from_parts(6_440_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn resume() -> Weight {
        Weight::from_parts(6_209_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn end_campaign() -> Weight {
        Weight::from_parts(6_540_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn report_interactions() -> Weight {
        Weight::from_parts(61_682_000, 0)
            .saturating_add(T::DbWeight::get().reads(18_u64))
            .saturating_add(T::DbWeight::get().writes(14_u64))
    }
    /// The range of component `n` is `[1, 1000]`.
    fn settle_reports(n: u32) -> Weight {
        Weight::from_parts(80_160_000, 0)
            .saturating_add(Weight::from_parts(135_884_553, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(10_u64))
            .saturating_add(T::DbWeight::get().reads((10_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(6_u64))
            .saturating_add(T::DbWeight::get().writes((11_u64).saturating_mul(n.into())))
    }
    /// The range of component `n` is `[1, 1000]`.
    fn settle_reports_pending(n: u32) -> Weight {
        Weight::from_parts(12_919_000, 0)
            .saturating_add(Weight::from_parts(16_608_926, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(n.into())))
    }
    fn close_campaign() -> Weight {
        Weight::from_parts(35_115_473_000, 0)
            .saturating_add(T::DbWeight::get().reads(4112_u64))
            .saturating_add(T::DbWeight::get().writes(6158_u64))
    }
    fn set_params() -> Weight {
        Weight::from_parts(8_612_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
}
