//! Weights for `pallet_referenda`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-04. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_referenda --steps 20 --repeat 10 --output runtime/src/weights/pallet_referenda.rs`
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

/// Measured weights of `pallet_referenda`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_referenda::WeightInfo for WeightInfo<T> {
    fn submit() -> Weight {
        Weight::from_parts(20_951_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn place_decision_deposit_preparing() -> Weight {
        Weight::from_parts(28_032_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn place_decision_deposit_queued() -> Weight {
        Weight::from_parts(39_189_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn place_decision_deposit_not_queued() -> Weight {
        Weight::from_parts(37_115_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn place_decision_deposit_passing() -> Weight {
        Weight::from_parts(31_186_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(5_u64))
    }
    fn place_decision_deposit_failing() -> Weight {
        Weight::from_parts(31_587_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(5_u64))
    }
    fn refund_decision_deposit() -> Weight {
        Weight::from_parts(13_129_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn refund_submission_deposit() -> Weight {
        Weight::from_parts(12_729_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn cancel() -> Weight {
        Weight::from_parts(11_087_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn kill() -> Weight {
        Weight::from_parts(43_825_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn one_fewer_deciding_queue_empty() -> Weight {
        Weight::from_parts(3_976_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn one_fewer_deciding_failing() -> Weight {
        Weight::from_parts(30_615_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn one_fewer_deciding_passing() -> Weight {
        Weight::from_parts(35_763_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn nudge_referendum_requeued_insertion() -> Weight {
        Weight::from_parts(14_742_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn nudge_referendum_requeued_slide() -> Weight {
        Weight::from_parts(15_473_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn nudge_referendum_queued() -> Weight {
        Weight::from_parts(14_903_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn nudge_referendum_not_queued() -> Weight {
        Weight::from_parts(17_817_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn nudge_referendum_no_deposit() -> Weight {
        Weight::from_parts(15_944_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn nudge_referendum_preparing() -> Weight {
        Weight::from_parts(15_193_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn nudge_referendum_timed_out() -> Weight {
        Weight::from_parts(8_543_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn nudge_referendum_begin_deciding_failing() -> Weight {
        Weight::from_parts(16_815_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn nudge_referendum_begin_deciding_passing() -> Weight {
        Weight::from_parts(18_567_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn nudge_referendum_begin_confirming() -> Weight {
        Weight::from_parts(16_033_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn nudge_referendum_end_confirming() -> Weight {
        Weight::from_parts(23_995_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn nudge_referendum_continue_not_confirming() -> Weight {
        Weight::from_parts(19_278_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn nudge_referendum_continue_confirming() -> Weight {
        Weight::from_parts(13_179_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn nudge_referendum_approved() -> Weight {
        Weight::from_parts(22_494_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn nudge_referendum_rejected() -> Weight {
        Weight::from_parts(15_282_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn set_some_metadata() -> Weight {
        Weight::from_parts(8_693_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn clear_metadata() -> Weight {
        Weight::from_parts(7_531_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
}
