//! Weights for `pallet_scheduler`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-04. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_scheduler --steps 20 --repeat 10 --output runtime/src/weights/pallet_scheduler.rs`
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

/// Measured weights of `pallet_scheduler`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_scheduler::WeightInfo for WeightInfo<T> {
    fn service_agendas_base() -> Weight {
        Weight::from_parts(3_676_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `s` is `[0, 50]`.
    fn service_agenda_base(s: u32) -> Weight {
        Weight::from_parts(1_688_508, 0)
            .saturating_add(Weight::from_parts(198_311, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn service_task_base() -> Weight {
        Weight::from_parts(2_914_000, 0)
    }
    /// The range of component `s` is `[128, 4194304]`.
    fn service_task_fetched(s: u32) -> Weight {
        Weight::from_parts(8_522_000, 0)
            .saturating_add(Weight::from_parts(437, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn service_task_named() -> Weight {
        Weight::from_parts(3_475_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn service_task_periodic() -> Weight {
        Weight::from_parts(2_874_000, 0)
    }
    fn execute_dispatch_signed() -> Weight {
        Weight::from_parts(1_082_000, 0)
    }
    fn execute_dispatch_unsigned() -> Weight {
        Weight::from_parts(1_081_000, 0)
    }
    /// The range of component `s` is `[0, 49]`.
    fn schedule(s: u32) -> Weight {
        Weight::from_parts(5_879_809, 0)
            .saturating_add(Weight::from_parts(250_954, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `s` is `[1, 50]`.
    fn cancel(s: u32) -> Weight {
        Weight::from_parts(6_405_748, 0)
            .saturating_add(Weight::from_parts(374_102, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    /// The range of component `s` is `[0, 49]`.
    fn schedule_named(s: u32) -> Weight {
        Weight::from_parts(10_972_759, 0)
            .saturating_add(Weight::from_parts(245_569, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    /// The range of component `s` is `[1, 50]`.
    fn cancel_named(s: u32) -> Weight {
        Weight::from_parts(7_166_083, 0)
            .saturating_add(Weight::from_parts(375_558, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    /// The range of component `s` is `[1, 50]`.
    fn schedule_retry(s: u32) -> Weight {
        Weight::from_parts(4_496_260, 0)
            .saturating_add(Weight::from_parts(20_611, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn set_retry() -> Weight {
        Weight::from_parts(23_025_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn set_retry_named() -> Weight {
        Weight::from_parts(26_088_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn cancel_retry() -> Weight {
        Weight::from_parts(22_834_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn cancel_retry_named() -> Weight {
        Weight::from_parts(22_533_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
}
