//! Weights for pallet-poe.
//!
//! `SubstrateWeight` here is a hand-written upper bound shaped after `benchmarking.rs`
//! (storage priced with `T::DbWeight`, generous constants) for runtimes that have not
//! measured this pallet, and for the mock runtime. The runtime's figures come from
//! `echonet-node benchmark pallet --pallet pallet_poe`.
//!
//! The calls into other pallets are part of what the benchmarks measure, since they run
//! the runtime's own `Submitter`, `Receipts`, `Reputation` and `Ledger`: `submit_scores`
//! includes pallet-witness's `submit_event`, `accept_scores` its `consume_receipt`, each
//! claim one `Reputation::score` read and one `PayoutLedger::credit`. Nothing is added on
//! top at dispatch.

#![allow(unused_parens, unused_imports)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// The weight of each call and hook of this pallet.
pub trait WeightInfo {
    /// `submit_scores`, including the witness event submission.
    fn submit_scores() -> Weight;
    /// `accept_scores` of a `Valid` receipt (the heavier verdict), including the consume.
    fn accept_scores() -> Weight;
    /// `claim` with a proof of `d` siblings, including the reputation read and the credit.
    fn claim(d: u32) -> Weight;
    /// `claim_many` of `n` claims whose longest proof has `d` siblings.
    fn claim_many(n: u32, d: u32) -> Weight;
    /// `fund`: one transfer.
    fn fund() -> Weight;
    /// `set_params`: one write.
    fn set_params() -> Weight;
    /// `on_initialize` when nothing is due: the schedule read, the parameters read for
    /// the expiry check.
    fn on_initialize_idle() -> Weight;
    /// Closing a period (added to the idle weight).
    fn close_period() -> Weight;
    /// Expiring a period (added to the idle weight).
    fn expire_period() -> Weight;
    /// One purge step that removed `n` keys (claim-bitmap words or proposals).
    fn purge_claimed(n: u32) -> Weight;
}

/// Weights for a runtime, priced with its `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn submit_scores() -> Weight {
        // Own reads: schedule, period, proposal, count; the witness submission: ~12 reads
        // and ~8 writes with its fee transfer.
        Weight::from_parts(80_000_000, 12_000)
            .saturating_add(T::DbWeight::get().reads(16))
            .saturating_add(T::DbWeight::get().writes(10))
    }
    fn accept_scores() -> Weight {
        Weight::from_parts(40_000_000, 6_000)
            .saturating_add(T::DbWeight::get().reads(6))
            .saturating_add(T::DbWeight::get().writes(5))
    }
    fn claim(d: u32) -> Weight {
        // Per sibling one blake2_256 of 64 bytes (~1 µs with margin).
        Weight::from_parts(40_000_000, 8_000)
            .saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(d.into()))
            .saturating_add(T::DbWeight::get().reads(8))
            .saturating_add(T::DbWeight::get().writes(6))
    }
    fn claim_many(n: u32, d: u32) -> Weight {
        Weight::from_parts(20_000_000, 4_000)
            .saturating_add(Weight::from_parts(25_000_000, 6_000).saturating_mul(n.into()))
            .saturating_add(
                Weight::from_parts(1_000_000, 0)
                    .saturating_mul((n as u64).saturating_mul(d.into())),
            )
            .saturating_add(T::DbWeight::get().reads(3))
            .saturating_add(T::DbWeight::get().reads(5_u64.saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(2))
            .saturating_add(T::DbWeight::get().writes(4_u64.saturating_mul(n.into())))
    }
    fn fund() -> Weight {
        Weight::from_parts(40_000_000, 6_000)
            .saturating_add(T::DbWeight::get().reads(2))
            .saturating_add(T::DbWeight::get().writes(2))
    }
    fn set_params() -> Weight {
        Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(3_000_000, 1_500).saturating_add(T::DbWeight::get().reads(2))
    }
    fn close_period() -> Weight {
        Weight::from_parts(20_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(4))
            .saturating_add(T::DbWeight::get().writes(3))
    }
    fn expire_period() -> Weight {
        Weight::from_parts(15_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(3))
            .saturating_add(T::DbWeight::get().writes(3))
    }
    fn purge_claimed(n: u32) -> Weight {
        Weight::from_parts(20_000_000, 4_000)
            .saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(3))
            .saturating_add(T::DbWeight::get().writes(5))
            .saturating_add(T::DbWeight::get().writes(n.into()))
    }
}

/// For tests: the same shape without storage costs.
impl WeightInfo for () {
    fn submit_scores() -> Weight {
        Weight::from_parts(80_000_000, 12_000)
    }
    fn accept_scores() -> Weight {
        Weight::from_parts(40_000_000, 6_000)
    }
    fn claim(d: u32) -> Weight {
        Weight::from_parts(40_000_000, 8_000)
            .saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(d.into()))
    }
    fn claim_many(n: u32, d: u32) -> Weight {
        Weight::from_parts(20_000_000, 4_000)
            .saturating_add(Weight::from_parts(25_000_000, 6_000).saturating_mul(n.into()))
            .saturating_add(
                Weight::from_parts(1_000_000, 0)
                    .saturating_mul((n as u64).saturating_mul(d.into())),
            )
    }
    fn fund() -> Weight {
        Weight::from_parts(40_000_000, 6_000)
    }
    fn set_params() -> Weight {
        Weight::from_parts(10_000_000, 0)
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(3_000_000, 1_500)
    }
    fn close_period() -> Weight {
        Weight::from_parts(20_000_000, 4_000)
    }
    fn expire_period() -> Weight {
        Weight::from_parts(15_000_000, 4_000)
    }
    fn purge_claimed(n: u32) -> Weight {
        Weight::from_parts(20_000_000, 4_000)
            .saturating_add(Weight::from_parts(1_000_000, 0).saturating_mul(n.into()))
    }
}
