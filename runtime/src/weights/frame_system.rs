//! Weights for `frame_system`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-11-23. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet frame_system --steps 20 --repeat 10 --output runtime/src/weights/frame_system.rs`
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

/// Measured weights of `frame_system`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> frame_system::WeightInfo for WeightInfo<T> {
    /// The range of component `b` is `[0, 3932160]`.
    fn remark(b: u32) -> Weight {
        Weight::from_parts(1_673_000, 0)
            .saturating_add(Weight::from_parts(445, 0).saturating_mul(b.into()))
    }
    /// The range of component `b` is `[0, 3932160]`.
    fn remark_with_event(b: u32) -> Weight {
        Weight::from_parts(4_268_000, 0)
            .saturating_add(Weight::from_parts(1_495, 0).saturating_mul(b.into()))
    }
    fn set_heap_pages() -> Weight {
        Weight::from_parts(3_857_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn set_code() -> Weight {
        // Not measurable natively (runtime call Benchmark_dispatch_benchmark failed: runtime panicked: No `ReadRuntimeVersionExt` associated for the current context!): the pallet's reference weight.
        <() as frame_system::WeightInfo>::set_code()
    }
    /// The range of component `i` is `[0, 1000]`.
    fn set_storage(i: u32) -> Weight {
        Weight::from_parts(1_614_000, 0)
            .saturating_add(Weight::from_parts(661_001, 0).saturating_mul(i.into()))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(i.into())))
    }
    /// The range of component `i` is `[0, 1000]`.
    fn kill_storage(i: u32) -> Weight {
        Weight::from_parts(1_663_000, 0)
            .saturating_add(Weight::from_parts(645_862, 0).saturating_mul(i.into()))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(i.into())))
    }
    /// The range of component `p` is `[0, 1000]`.
    fn kill_prefix(p: u32) -> Weight {
        Weight::from_parts(3_587_000, 0)
            .saturating_add(Weight::from_parts(2_121_670, 0).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(p.into())))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(p.into())))
    }
    fn authorize_upgrade() -> Weight {
        Weight::from_parts(20_989_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn apply_authorized_upgrade() -> Weight {
        // Not measurable natively (runtime call Benchmark_dispatch_benchmark failed: runtime panicked: No `ReadRuntimeVersionExt` associated for the current context!): the pallet's reference weight.
        <() as frame_system::WeightInfo>::apply_authorized_upgrade()
    }
}
