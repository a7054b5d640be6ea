//! Weights for pallet-ads.
//!
//! `SubstrateWeight` holds placeholder figures with the shape of the benchmarks in
//! `benchmarking.rs` (storage priced with `T::DbWeight`, generous constants, the witness
//! and ledger calls included as the runtime measures them). EchoNet's runtime replaces
//! them with weights measured by `echonet-node benchmark pallet --pallet pallet_ads`,
//! which runs the benchmarks against the real pallet-witness and pallet-payouts.

#![allow(unused_parens, unused_imports, unused_variables)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// The weight of each call of this pallet.
pub trait WeightInfo {
    /// c: categories (up to `MaxCategories`), each list read and written; the advertiser's
    /// list, the hold, counters, the campaign
    fn create_campaign(c: u32) -> Weight;
    /// the campaign, the hold, `TotalHeld`
    fn top_up() -> Weight;
    /// the campaign read and written
    fn pause() -> Weight;
    /// the campaign read and written
    fn resume() -> Weight;
    /// the campaign read and written
    fn end_campaign() -> Weight;
    /// the campaign, counters, the publisher's entry, the report and its index, plus the
    /// witness `submit_event` (fee and pending event)
    fn report_interactions() -> Weight;
    /// n: reports settled `Valid` and paid, each on its own campaign and advertiser: the
    /// report, the campaign, the receipt consumed, the publisher's entry, the treasury
    /// transfer on hold and the ledger credit from hold
    fn settle_reports(n: u32) -> Weight;
    /// n: reports without a receipt yet: the report, the campaign, the receipt lookup
    fn settle_reports_pending(n: u32) -> Weight;
    /// the worst case: `MaxPendingReportsPerCampaign` reports, `MaxPublishersPerCampaign`
    /// publisher entries and `MaxCategories` category lists of `MaxCampaignsPerCategory`
    /// campaigns removed, the hold released
    fn close_campaign() -> Weight;
    /// one write of `ActiveParams`
    fn set_params() -> Weight;
}

/// Placeholder weights for a runtime, priced with its `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);

impl<T: crate::Config> WeightInfo for SubstrateWeight<T> {
    fn create_campaign(c: u32) -> Weight {
        Weight::from_parts(60_000_000, 6_000)
            .saturating_add(Weight::from_parts(5_000_000, 3_000).saturating_mul(c.into()))
            .saturating_add(T::DbWeight::get().reads(6))
            .saturating_add(T::DbWeight::get().writes(6))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(1, 1)
                    .saturating_mul(c.into()),
            )
    }
    fn top_up() -> Weight {
        Weight::from_parts(50_000_000, 4_000)
            .saturating_add(T::DbWeight::get().reads(4))
            .saturating_add(T::DbWeight::get().writes(4))
    }
    fn pause() -> Weight {
        Weight::from_parts(20_000_000, 2_000)
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn resume() -> Weight {
        Weight::from_parts(20_000_000, 2_000)
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn end_campaign() -> Weight {
        Weight::from_parts(20_000_000, 2_000)
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn report_interactions() -> Weight {
        // Own work plus pallet-witness `submit_event` (13 reads, 8 writes, 50 ms bound).
        Weight::from_parts(90_000_000, 8_000)
            .saturating_add(T::DbWeight::get().reads(19))
            .saturating_add(T::DbWeight::get().writes(14))
    }
    fn settle_reports(n: u32) -> Weight {
        Weight::from_parts(20_000_000, 2_000)
            .saturating_add(Weight::from_parts(60_000_000, 8_000).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(10, 10)
                    .saturating_mul(n.into()),
            )
    }
    fn settle_reports_pending(n: u32) -> Weight {
        Weight::from_parts(20_000_000, 2_000)
            .saturating_add(Weight::from_parts(10_000_000, 3_000).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().reads(3).saturating_mul(n.into()))
    }
    fn close_campaign() -> Weight {
        let reports = u64::from(T::MaxPendingReportsPerCampaign::get());
        let publishers = u64::from(T::MaxPublishersPerCampaign::get());
        let categories = u64::from(T::MaxCategories::get());
        Weight::from_parts(60_000_000, 8_000)
            .saturating_add(
                Weight::from_parts(2_000_000, 100)
                    .saturating_mul(reports.saturating_add(publishers)),
            )
            .saturating_add(Weight::from_parts(10_000_000, 5_000).saturating_mul(categories))
            .saturating_add(T::DbWeight::get().reads_writes(5, 5))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(1, 2)
                    .saturating_mul(reports),
            )
            .saturating_add(T::DbWeight::get().writes(publishers))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(1, 1)
                    .saturating_mul(categories),
            )
    }
    fn set_params() -> Weight {
        Weight::from_parts(15_000_000, 1_000).saturating_add(T::DbWeight::get().writes(1))
    }
}

/// For tests: small constant weights, with the same dependence on the components.
impl WeightInfo for () {
    fn create_campaign(c: u32) -> Weight {
        Weight::from_parts(60_000, 0)
            .saturating_add(Weight::from_parts(5_000, 0).saturating_mul(c.into()))
    }
    fn top_up() -> Weight {
        Weight::from_parts(50_000, 0)
    }
    fn pause() -> Weight {
        Weight::from_parts(20_000, 0)
    }
    fn resume() -> Weight {
        Weight::from_parts(20_000, 0)
    }
    fn end_campaign() -> Weight {
        Weight::from_parts(20_000, 0)
    }
    fn report_interactions() -> Weight {
        Weight::from_parts(90_000, 0)
    }
    fn settle_reports(n: u32) -> Weight {
        Weight::from_parts(20_000, 0)
            .saturating_add(Weight::from_parts(60_000, 0).saturating_mul(n.into()))
    }
    fn settle_reports_pending(n: u32) -> Weight {
        Weight::from_parts(20_000, 0)
            .saturating_add(Weight::from_parts(10_000, 0).saturating_mul(n.into()))
    }
    fn close_campaign() -> Weight {
        Weight::from_parts(500_000, 0)
    }
    fn set_params() -> Weight {
        Weight::from_parts(15_000, 0)
    }
}
