//! Weights for pallet-witness.
//!
//! PLACEHOLDER: these numbers are NOT generated yet. They are hand-written upper bounds
//! (each call's storage reads and writes priced with `T::DbWeight`, plus a generous
//! constant per component) until `echonet-node benchmark pallet` lands and regenerates
//! this file from the benchmarks in `benchmarking.rs`.

#![allow(unused_parens, unused_imports, unused_variables)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// The weight of each call and hook of this pallet.
pub trait WeightInfo {
    /// bond: ledger, hold, total stake
    fn bond() -> Weight;
    fn bond_extra() -> Weight;
    fn unbond() -> Weight;
    fn withdraw_unbonded() -> Weight;
    fn rebond() -> Weight;
    fn validate() -> Weight;
    /// n: number of targets
    fn nominate(n: u32) -> Weight;
    fn chill() -> Weight;
    fn register_witness() -> Weight;
    fn deregister_witness() -> Weight;
    fn submit_event() -> Weight;
    /// v: number of verdicts in the batch
    fn attest(v: u32) -> Weight;
    fn set_params() -> Weight;
    /// s: number of slashes cancelled
    fn cancel_deferred_slash(s: u32) -> Weight;
    /// the hook's fixed cost when there is nothing to do
    fn on_initialize_idle() -> Weight;
    /// c: validator candidates, n: nominators
    fn elect(c: u32, n: u32) -> Weight;
    /// s: accounts slashed at the era start
    fn start_era(s: u32) -> Weight;
    /// b: backers of the earner
    fn payout_earner(b: u32) -> Weight;
    /// w: registered witnesses
    fn draw_committees(w: u32) -> Weight;
    /// e: events closed
    fn expire_events(e: u32) -> Weight;
    /// r: receipts removed
    fn prune_receipts(r: u32) -> Weight;
}

/// Weights for a runtime, priced with its `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn bond() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(3))
            .saturating_add(T::DbWeight::get().writes(4))
    }
    fn bond_extra() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(3))
            .saturating_add(T::DbWeight::get().writes(4))
    }
    fn unbond() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(5))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn withdraw_unbonded() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(4))
            .saturating_add(T::DbWeight::get().writes(4))
    }
    fn rebond() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(2))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn validate() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(5))
            .saturating_add(T::DbWeight::get().writes(3))
    }
    fn nominate(n: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(5))
            .saturating_add(T::DbWeight::get().writes(3))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(2, 2)
                    .saturating_mul(n.into()),
            )
    }
    fn chill() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(2))
            .saturating_add(T::DbWeight::get().writes(3))
    }
    fn register_witness() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(4))
            .saturating_add(T::DbWeight::get().writes(2))
    }
    fn deregister_witness() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().writes(2))
    }
    fn submit_event() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(8))
            .saturating_add(T::DbWeight::get().writes(6))
    }
    fn attest(v: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(v.into()))
            .saturating_add(T::DbWeight::get().reads(3))
            .saturating_add(T::DbWeight::get().writes(2))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(6, 6)
                    .saturating_mul(v.into()),
            )
    }
    fn set_params() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(0))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn cancel_deferred_slash(s: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().writes(1))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(3, 3)
                    .saturating_mul(s.into()),
            )
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(6))
            .saturating_add(T::DbWeight::get().writes(0))
    }
    fn elect(c: u32, n: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(c.into()))
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(4))
            .saturating_add(T::DbWeight::get().writes(4))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(3, 3)
                    .saturating_mul(c.into()),
            )
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(2, 2)
                    .saturating_mul(n.into()),
            )
    }
    fn start_era(s: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(10))
            .saturating_add(T::DbWeight::get().writes(8))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(3, 3)
                    .saturating_mul(s.into()),
            )
    }
    fn payout_earner(b: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(b.into()))
            .saturating_add(T::DbWeight::get().reads(5))
            .saturating_add(T::DbWeight::get().writes(3))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(2, 2)
                    .saturating_mul(b.into()),
            )
    }
    fn draw_committees(w: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(w.into()))
            .saturating_add(T::DbWeight::get().reads(6))
            .saturating_add(T::DbWeight::get().writes(6))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(4, 4)
                    .saturating_mul(w.into()),
            )
    }
    fn expire_events(e: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(e.into()))
            .saturating_add(T::DbWeight::get().reads(3))
            .saturating_add(T::DbWeight::get().writes(3))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(4, 4)
                    .saturating_mul(e.into()),
            )
    }
    fn prune_receipts(r: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(r.into()))
            .saturating_add(T::DbWeight::get().reads(3))
            .saturating_add(T::DbWeight::get().writes(3))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(3, 3)
                    .saturating_mul(r.into()),
            )
    }
}

/// For tests: computation only.
impl WeightInfo for () {
    fn bond() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
    }
    fn bond_extra() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
    }
    fn unbond() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
    }
    fn withdraw_unbonded() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
    }
    fn rebond() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
    }
    fn validate() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
    }
    fn nominate(n: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(n.into()))
    }
    fn chill() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
    }
    fn register_witness() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
    }
    fn deregister_witness() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
    }
    fn submit_event() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
    }
    fn attest(v: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(v.into()))
    }
    fn set_params() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
    }
    fn cancel_deferred_slash(s: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(s.into()))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
    }
    fn elect(c: u32, n: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(c.into()))
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(n.into()))
    }
    fn start_era(s: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(s.into()))
    }
    fn payout_earner(b: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(b.into()))
    }
    fn draw_committees(w: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(w.into()))
    }
    fn expire_events(e: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(e.into()))
    }
    fn prune_receipts(r: u32) -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(Weight::from_parts(10_000_000, 1_000).saturating_mul(r.into()))
    }
}
