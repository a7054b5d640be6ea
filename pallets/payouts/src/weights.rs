//! Weights for pallet-payouts.
//!
//! `SubstrateWeight` is a placeholder in the shape of `benchmarking.rs`: the storage reads
//! and writes each benchmark's path does, priced with `T::DbWeight`, plus execution times.
//! Those of the two hook loops were timed on the mock runtime (in-memory state, this crate
//! at opt-level 2, a shared 2-core AMD EPYC, 2026-12-04): about 80 µs per payout and per
//! charge at n = 1,000; the calls' are estimates of the same order. `()` is the same with
//! `RocksDbWeight`, for the mock. EchoNet's runtime should use weights measured with
//! `echonet-node benchmark pallet --pallet pallet_payouts` on its reference machine.
//!
//! `credit` and `credit_from_hold` are not calls: they are the [`PayoutLedger`] paths
//! other pallets add to their own weights (`PayoutLedger::credit_weight`).
//!
//! [`PayoutLedger`]: crate::PayoutLedger

#![allow(unused_parens, unused_imports, unused_variables)]

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::RocksDbWeight, Weight},
};

/// The weight of each call and hook of this pallet.
pub trait WeightInfo {
    /// tip: the tipper's and the ledger's accounts, `Owed`, `TotalOwed`, the queue push
    fn tip() -> Weight;
    /// create_plan: params, plan count and next id, the plan
    fn create_plan() -> Weight;
    /// retire_plan: the plan and the plan count
    fn retire_plan() -> Weight;
    /// subscribe: the plan, the subscription and count, `DUE_PROBE` full due lists
    /// probed, the first charge (a credit with a queue push), the due entry
    fn subscribe() -> Weight;
    /// cancel: the subscription and count, the due list (full: `MaxDuePerBlock` entries)
    /// rewritten without it
    fn cancel() -> Weight;
    /// claim: `Owed`, the destination, the transfer to a new L1 account, `TotalOwed`
    fn claim() -> Weight;
    /// set_destination: one write
    fn set_destination() -> Weight;
    /// set_params: the checks (in memory) and one write
    fn set_params() -> Weight;
    /// `PayoutLedger::credit`: the same path as `tip`
    fn credit() -> Weight;
    /// `PayoutLedger::credit_from_hold`: a hold transfer into the ledger and the queue push
    fn credit_from_hold() -> Weight;
    /// on_initialize with nothing due and nothing queued
    fn on_initialize_idle() -> Weight;
    /// n: creators paid from the queue by the batch in one block, each to a new L1 account
    fn on_initialize_payouts(n: u32) -> Weight;
    /// n: subscriptions charged in one block, each probing `DUE_PROBE` full due lists for
    /// its next charge
    fn on_initialize_charges(n: u32) -> Weight;
}

/// The placeholder weights with the runtime's `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);

macro_rules! weights {
    ($db:ty) => {
        fn tip() -> Weight {
            Weight::from_parts(80_000_000, 0).saturating_add(<$db>::get().reads_writes(6, 7))
        }
        fn create_plan() -> Weight {
            Weight::from_parts(20_000_000, 0).saturating_add(<$db>::get().reads_writes(3, 3))
        }
        fn retire_plan() -> Weight {
            Weight::from_parts(20_000_000, 0).saturating_add(<$db>::get().reads_writes(2, 2))
        }
        fn subscribe() -> Weight {
            Weight::from_parts(120_000_000, 0).saturating_add(<$db>::get().reads_writes(17, 10))
        }
        fn cancel() -> Weight {
            Weight::from_parts(60_000_000, 0).saturating_add(<$db>::get().reads_writes(3, 3))
        }
        fn claim() -> Weight {
            Weight::from_parts(80_000_000, 0).saturating_add(<$db>::get().reads_writes(5, 4))
        }
        fn set_destination() -> Weight {
            Weight::from_parts(10_000_000, 0).saturating_add(<$db>::get().writes(1))
        }
        fn set_params() -> Weight {
            Weight::from_parts(10_000_000, 0).saturating_add(<$db>::get().writes(1))
        }
        fn credit() -> Weight {
            Weight::from_parts(80_000_000, 0).saturating_add(<$db>::get().reads_writes(6, 7))
        }
        fn credit_from_hold() -> Weight {
            Weight::from_parts(90_000_000, 0).saturating_add(<$db>::get().reads_writes(7, 8))
        }
        fn on_initialize_idle() -> Weight {
            Weight::from_parts(5_000_000, 0).saturating_add(<$db>::get().reads_writes(5, 2))
        }
        fn on_initialize_payouts(n: u32) -> Weight {
            Weight::from_parts(5_000_000, 0)
                .saturating_add(Weight::from_parts(80_000_000, 0).saturating_mul(n.into()))
                .saturating_add(<$db>::get().reads_writes(2, 2))
                .saturating_add(<$db>::get().reads_writes(7, 6).saturating_mul(n.into()))
        }
        fn on_initialize_charges(n: u32) -> Weight {
            Weight::from_parts(5_000_000, 0)
                .saturating_add(Weight::from_parts(80_000_000, 0).saturating_mul(n.into()))
                .saturating_add(<$db>::get().reads_writes(2, 1))
                .saturating_add(<$db>::get().reads_writes(18, 10).saturating_mul(n.into()))
        }
    };
}

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    weights!(T::DbWeight);
}

impl WeightInfo for () {
    weights!(RocksDbWeight);
}
