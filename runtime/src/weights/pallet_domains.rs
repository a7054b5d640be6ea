//! Weights for `pallet_domains`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-04. Machine: AMD EPYC, 2 cores.
//! Steps: 10, repeat: 3. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `./.bin/echonet-node-rb benchmark pallet --pallet pallet_domains --steps 10 --repeat 3 --output runtime/src/weights/pallet_domains.rs`
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

/// Measured weights of `pallet_domains`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_domains::WeightInfo for WeightInfo<T> {
    fn register_domain() -> Weight {
        Weight::from_parts(29_314_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn update_domain() -> Weight {
        Weight::from_parts(6_219_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn join_pool() -> Weight {
        Weight::from_parts(2_501_445_000, 0)
            .saturating_add(T::DbWeight::get().reads(16_u64))
            .saturating_add(T::DbWeight::get().writes(7_u64))
    }
    fn bond_more() -> Weight {
        Weight::from_parts(9_127_212_000, 0)
            .saturating_add(T::DbWeight::get().reads(21_u64))
            .saturating_add(T::DbWeight::get().writes(19_u64))
    }
    fn unbond() -> Weight {
        Weight::from_parts(5_065_734_000, 0)
            .saturating_add(T::DbWeight::get().reads(21_u64))
            .saturating_add(T::DbWeight::get().writes(19_u64))
    }
    fn leave_pool() -> Weight {
        Weight::from_parts(9_094_614_000, 0)
            .saturating_add(T::DbWeight::get().reads(22_u64))
            .saturating_add(T::DbWeight::get().writes(23_u64))
    }
    fn refresh_weight() -> Weight {
        Weight::from_parts(5_399_280_000, 0)
            .saturating_add(T::DbWeight::get().reads(21_u64))
            .saturating_add(T::DbWeight::get().writes(16_u64))
    }
    fn submit_optimum() -> Weight {
        Weight::from_parts(41_642_000, 0)
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().writes(7_u64))
    }
    fn commit() -> Weight {
        Weight::from_parts(60_761_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn reveal() -> Weight {
        Weight::from_parts(65_528_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `n` is `[1, 400]`.
    fn finalize(n: u32) -> Weight {
        Weight::from_parts(9_247_308_133, 0)
            .saturating_add(Weight::from_parts(55_416_072, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(13_u64))
            .saturating_add(T::DbWeight::get().reads((5_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(9_u64))
            .saturating_add(T::DbWeight::get().writes((5_u64).saturating_mul(n.into())))
    }
    fn fund() -> Weight {
        Weight::from_parts(43_474_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn claim_rewards() -> Weight {
        Weight::from_parts(51_427_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn set_params() -> Weight {
        Weight::from_parts(10_966_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(8_022_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    /// The range of component `k` is `[3, 200]`.
    fn draw_quorum(k: u32) -> Weight {
        Weight::from_parts(9_271_907_782, 0)
            .saturating_add(Weight::from_parts(40_468_933, 0).saturating_mul(k.into()))
            .saturating_add(T::DbWeight::get().reads(95_u64))
            .saturating_add(T::DbWeight::get().reads((8_u64).saturating_mul(k.into())))
            .saturating_add(T::DbWeight::get().writes(4_u64))
            .saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(k.into())))
    }
    fn skip_stale() -> Weight {
        Weight::from_parts(3_765_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn extend_epoch() -> Weight {
        Weight::from_parts(6_409_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `d` is `[1, 1000]`.
    fn release_epoch(d: u32) -> Weight {
        Weight::from_parts(43_575_000, 0)
            .saturating_add(Weight::from_parts(20_360_780, 0).saturating_mul(d.into()))
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(d.into())))
            .saturating_add(T::DbWeight::get().writes(5_u64))
            .saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(d.into())))
    }
    /// The range of component `n` is `[1, 1000]`.
    fn payout_entries(n: u32) -> Weight {
        Weight::from_parts(13_230_000, 0)
            .saturating_add(Weight::from_parts(12_927_391, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(3_u64))
            .saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(n.into())))
    }
}
