//! Weights for pallet-domains.
//!
//! `SubstrateWeight` is a hand-written upper bound shaped after `benchmarking.rs` (storage
//! priced with `T::DbWeight`, generous constants) for runtimes that have not measured this
//! pallet, and for the mock runtime. The runtime's figures come from `echonet-node
//! benchmark pallet --pallet pallet_domains`. Pool operations are priced at the largest
//! pool (`MaxEvaluatorsPerDomain` = 10,000: 14 tree levels).

#![allow(unused_parens, unused_imports)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// The weight of each call and hook of this pallet.
pub trait WeightInfo {
    /// `register_domain`.
    fn register_domain() -> Weight;
    /// `update_domain`.
    fn update_domain() -> Weight;
    /// `join_pool`: a hold and a Fenwick append (two prefix sums).
    fn join_pool() -> Weight;
    /// `bond_more`: a hold and a point update.
    fn bond_more() -> Weight;
    /// `unbond`: a release and a point update.
    fn unbond() -> Weight;
    /// `leave_pool`: a release and a slot move (a point update).
    fn leave_pool() -> Weight;
    /// `submit_optimum`.
    fn submit_optimum() -> Weight;
    /// `commit`.
    fn commit() -> Weight;
    /// `reveal`.
    fn reveal() -> Weight;
    /// Closing a round that handles `n` ballots (`finalize`, or a verdict in
    /// `on_initialize`): the round's seats, plus round 0's again when round 1 decides.
    fn finalize(n: u32) -> Weight;
    /// `fund`.
    fn fund() -> Weight;
    /// `claim_rewards`.
    fn claim_rewards() -> Weight;
    /// `set_params`.
    fn set_params() -> Weight;
    /// `refresh_weight`.
    fn refresh_weight() -> Weight;
    /// `on_initialize` with nothing due.
    fn on_initialize_idle() -> Weight;
    /// Drawing a quorum of `k` seats (O(k log N) reads) and writing its ballots.
    fn draw_quorum(k: u32) -> Weight;
    /// Skipping a stale queue entry.
    fn skip_stale() -> Weight;
    /// Extending an epoch below the release threshold.
    fn extend_epoch() -> Weight;
    /// Releasing an epoch over `d` active domains.
    fn release_epoch(d: u32) -> Weight;
    /// Crediting `n` payout entries.
    fn payout_entries(n: u32) -> Weight;
}

/// Weights for a runtime, priced with its `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn register_domain() -> Weight {
        Weight::from_parts(20_000_000, 3_000)
            .saturating_add(T::DbWeight::get().reads(2))
            .saturating_add(T::DbWeight::get().writes(2))
    }
    fn update_domain() -> Weight {
        Weight::from_parts(15_000_000, 3_000)
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn join_pool() -> Weight {
        Weight::from_parts(60_000_000, 8_000)
            .saturating_add(T::DbWeight::get().reads(38))
            .saturating_add(T::DbWeight::get().writes(7))
    }
    fn bond_more() -> Weight {
        Weight::from_parts(60_000_000, 8_000)
            .saturating_add(T::DbWeight::get().reads(22))
            .saturating_add(T::DbWeight::get().writes(20))
    }
    fn unbond() -> Weight {
        Self::bond_more()
    }
    fn leave_pool() -> Weight {
        Weight::from_parts(70_000_000, 8_000)
            .saturating_add(T::DbWeight::get().reads(24))
            .saturating_add(T::DbWeight::get().writes(24))
    }
    fn submit_optimum() -> Weight {
        Weight::from_parts(50_000_000, 6_000)
            .saturating_add(T::DbWeight::get().reads(6))
            .saturating_add(T::DbWeight::get().writes(7))
    }
    fn commit() -> Weight {
        Weight::from_parts(25_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(2))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn reveal() -> Weight {
        Weight::from_parts(30_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(2))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn finalize(n: u32) -> Weight {
        // Per seat: the ballot (read, removed), the member (serving), the reputation, the
        // points entry and its payout queue item, the weight check (no tree update unless
        // the weight moved by more than 1/16: one slash path's refresh is in the margin).
        // Measured in the mock (opt-level 2, no database): 54 µs per seat.
        Weight::from_parts(60_000_000, 8_000)
            .saturating_add(Weight::from_parts(80_000_000, 4_000).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(10))
            .saturating_add(T::DbWeight::get().writes(8))
            .saturating_add(T::DbWeight::get().reads(10_u64.saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(8_u64.saturating_mul(n.into())))
    }
    fn fund() -> Weight {
        Weight::from_parts(40_000_000, 6_000)
            .saturating_add(T::DbWeight::get().reads(2))
            .saturating_add(T::DbWeight::get().writes(2))
    }
    fn claim_rewards() -> Weight {
        Weight::from_parts(40_000_000, 6_000)
            .saturating_add(T::DbWeight::get().reads(4))
            .saturating_add(T::DbWeight::get().writes(4))
    }
    fn set_params() -> Weight {
        Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1))
    }
    fn refresh_weight() -> Weight {
        Weight::from_parts(40_000_000, 6_000)
            .saturating_add(T::DbWeight::get().reads(20))
            .saturating_add(T::DbWeight::get().writes(17))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(5_000_000, 2_000).saturating_add(T::DbWeight::get().reads(6))
    }
    fn draw_quorum(k: u32) -> Weight {
        // Per seat: 14 tree reads, the slot, the ballot and member writes. Measured in the
        // mock (opt-level 2, no database): 25 µs per seat at N = 10,000.
        Weight::from_parts(40_000_000, 6_000)
            .saturating_add(Weight::from_parts(40_000_000, 2_000).saturating_mul(k.into()))
            .saturating_add(T::DbWeight::get().reads(40))
            .saturating_add(T::DbWeight::get().writes(5))
            .saturating_add(T::DbWeight::get().reads(17_u64.saturating_mul(k.into())))
            .saturating_add(T::DbWeight::get().writes(2_u64.saturating_mul(k.into())))
    }
    fn skip_stale() -> Weight {
        Weight::from_parts(3_000_000, 1_000)
            .saturating_add(T::DbWeight::get().reads(2))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn extend_epoch() -> Weight {
        Weight::from_parts(5_000_000, 1_000)
            .saturating_add(T::DbWeight::get().reads(2))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn release_epoch(d: u32) -> Weight {
        // Measured in the mock (opt-level 2, no database): 16 µs per active domain.
        Weight::from_parts(60_000_000, 6_000)
            .saturating_add(Weight::from_parts(30_000_000, 3_000).saturating_mul(d.into()))
            .saturating_add(T::DbWeight::get().reads(6))
            .saturating_add(T::DbWeight::get().writes(6))
            .saturating_add(T::DbWeight::get().reads(4_u64.saturating_mul(d.into())))
            .saturating_add(T::DbWeight::get().writes(3_u64.saturating_mul(d.into())))
    }
    fn payout_entries(n: u32) -> Weight {
        Weight::from_parts(2_000_000, 1_000)
            .saturating_add(Weight::from_parts(15_000_000, 3_000).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(2))
            .saturating_add(T::DbWeight::get().writes(1))
            .saturating_add(T::DbWeight::get().reads(4_u64.saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(4_u64.saturating_mul(n.into())))
    }
}

/// For tests: the same figures priced with no storage cost.
impl WeightInfo for () {
    fn register_domain() -> Weight {
        Weight::from_parts(20_000_000, 3_000)
    }
    fn update_domain() -> Weight {
        Weight::from_parts(15_000_000, 3_000)
    }
    fn join_pool() -> Weight {
        Weight::from_parts(60_000_000, 8_000)
    }
    fn bond_more() -> Weight {
        Weight::from_parts(60_000_000, 8_000)
    }
    fn unbond() -> Weight {
        Weight::from_parts(60_000_000, 8_000)
    }
    fn leave_pool() -> Weight {
        Weight::from_parts(70_000_000, 8_000)
    }
    fn submit_optimum() -> Weight {
        Weight::from_parts(50_000_000, 6_000)
    }
    fn commit() -> Weight {
        Weight::from_parts(25_000_000, 4_000)
    }
    fn reveal() -> Weight {
        Weight::from_parts(30_000_000, 4_000)
    }
    fn finalize(n: u32) -> Weight {
        Weight::from_parts(60_000_000, 8_000)
            .saturating_add(Weight::from_parts(80_000_000, 4_000).saturating_mul(n.into()))
    }
    fn fund() -> Weight {
        Weight::from_parts(40_000_000, 6_000)
    }
    fn claim_rewards() -> Weight {
        Weight::from_parts(40_000_000, 6_000)
    }
    fn set_params() -> Weight {
        Weight::from_parts(10_000_000, 0)
    }
    fn refresh_weight() -> Weight {
        Weight::from_parts(40_000_000, 6_000)
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(5_000_000, 2_000)
    }
    fn draw_quorum(k: u32) -> Weight {
        Weight::from_parts(40_000_000, 6_000)
            .saturating_add(Weight::from_parts(40_000_000, 2_000).saturating_mul(k.into()))
    }
    fn skip_stale() -> Weight {
        Weight::from_parts(3_000_000, 1_000)
    }
    fn extend_epoch() -> Weight {
        Weight::from_parts(5_000_000, 1_000)
    }
    fn release_epoch(d: u32) -> Weight {
        Weight::from_parts(60_000_000, 6_000)
            .saturating_add(Weight::from_parts(30_000_000, 3_000).saturating_mul(d.into()))
    }
    fn payout_entries(n: u32) -> Weight {
        Weight::from_parts(2_000_000, 1_000)
            .saturating_add(Weight::from_parts(15_000_000, 3_000).saturating_mul(n.into()))
    }
}
