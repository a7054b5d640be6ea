//! Benchmarks of pallet-ads (frame-benchmarking v2): every call, each at its worst case
//! within the storage bounds. `settle_reports` is measured with `n` reports up to
//! `MaxSettlePerCall` (≥ 1,000), each on its own campaign, advertiser and publisher and
//! each paid (treasury transfer and ledger credit): the goal is ≥ 1,000 reports
//! settled per block. The witness state (a committee to submit to, receipts) comes from
//! `Config::BenchmarkHelper` (feature `runtime-benchmarks`), so that in the runtime the real pallet-witness and
//! pallet-payouts run inside the measured calls.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::{Inspect, Mutate};
use frame_system::RawOrigin;
use pallet_witness::Verdict;
use sp_runtime::{traits::One, Perbill};

const SEED: u32 = 0;

/// A unit of currency: large enough that every share of it is above the existential
/// deposit.
fn unit<T: Config>() -> BalanceOf<T> {
    T::Currency::minimum_balance()
        .max(One::one())
        .saturating_mul(1_000u32.into())
}

fn setup<T: Config>() {
    ActiveParams::<T>::put(Params {
        // A share is paid: the treasury transfer is part of the worst case.
        protocol_share: Perbill::from_percent(10),
        settlement_window: 10u32.into(),
        report_ttl: 10u32.into(),
        max_campaign_duration: 1_000_000u32.into(),
        report_reputation_reward: 1,
        report_reputation_penalty: 1,
        min_budget: unit::<T>(),
    });
    let treasury = T::TreasuryAccount::get();
    if T::Currency::balance(&treasury).is_zero() {
        T::Currency::set_balance(&treasury, T::Currency::minimum_balance());
    }
}

fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
    let who: T::AccountId = account(name, i, SEED);
    T::Currency::set_balance(&who, unit::<T>().saturating_mul(1_000_000u32.into()));
    who
}

/// A CPM campaign of `advertiser` in `categories`, running from now for 100 blocks,
/// budget 1,000 units, price 1 unit per 1,000 impressions, cap 1,000 units.
fn campaign<T: Config>(advertiser: &T::AccountId, categories: Vec<Category>) -> CampaignId {
    let id = NextCampaignId::<T>::get();
    let now = frame_system::Pallet::<T>::block_number();
    let unit = unit::<T>();
    Pallet::<T>::do_create_campaign(
        advertiser.clone(),
        unit.saturating_mul(1_000u32.into()),
        Pricing::Cpm,
        unit,
        BoundedVec::truncate_from(categories),
        now,
        now.saturating_add(100u32.into()),
        unit.saturating_mul(1_000u32.into()),
    )
    .expect("benchmark campaign");
    id
}

/// `n` reports, each on its own campaign (own advertiser, own category) by its own
/// publisher, each due one unit. The reports are written directly, not through
/// `report_interactions`: the witness pallet bounds the events pending per class (819 in
/// EchoNet's runtime), below the 1,000 reports one settlement must handle; their
/// receipts come from `BenchmarkHelper::resolve`.
fn reports<T: Config>(n: u32) -> Vec<ReportId> {
    let now = frame_system::Pallet::<T>::block_number();
    (0..n)
        .map(|i| {
            let advertiser = funded::<T>("advertiser", i);
            let publisher: T::AccountId = account("publisher", i, SEED);
            let c = campaign::<T>(&advertiser, vec![i]);
            let id = NextReportId::<T>::get();
            NextReportId::<T>::put(id + 1);
            PublisherSpent::<T>::insert(c, &publisher, BalanceOf::<T>::zero());
            Campaigns::<T>::mutate(c, |c| {
                if let Some(c) = c {
                    c.pending_reports = 1;
                    c.publishers = 1;
                }
            });
            Reports::<T>::insert(
                id,
                Report {
                    campaign: c,
                    publisher,
                    impressions: 1_000,
                    clicks: 10,
                    log_hash: H256::repeat_byte(7),
                    submitted_at: now,
                },
            );
            CampaignReports::<T>::insert(c, id, ());
            PendingReportCount::<T>::mutate(|p| *p += 1);
            id
        })
        .collect()
}

fn hash_of<T: Config>(id: ReportId) -> H256 {
    let r = Reports::<T>::get(id).expect("report");
    report_payload_hash(
        id,
        r.campaign,
        &r.publisher,
        r.impressions,
        r.clicks,
        &r.log_hash,
    )
}

#[benchmarks]
mod benchmarks {
    use super::*;

    /// c categories, each list one short of full; the advertiser's list one short of full.
    #[benchmark]
    fn create_campaign(c: Linear<1, { T::MaxCategories::get() }>) {
        setup::<T>();
        let advertiser = funded::<T>("advertiser", 0);
        let fill = |n: u32| {
            (0..n.saturating_sub(1))
                .map(|i| u64::MAX - i as u64)
                .collect::<Vec<_>>()
        };
        for category in 0..c {
            CategoryCampaigns::<T>::insert(
                category,
                BoundedVec::truncate_from(fill(T::MaxCampaignsPerCategory::get())),
            );
        }
        AdvertiserCampaigns::<T>::insert(
            &advertiser,
            BoundedVec::truncate_from(fill(T::MaxCampaignsPerAdvertiser::get())),
        );
        let unit = unit::<T>();
        let categories: Vec<Category> = (0..c).collect();
        let now = frame_system::Pallet::<T>::block_number();
        #[extrinsic_call]
        _(
            RawOrigin::Signed(advertiser),
            unit.saturating_mul(1_000u32.into()),
            Pricing::Cpc,
            unit,
            BoundedVec::truncate_from(categories),
            now,
            now.saturating_add(100u32.into()),
            unit,
        );
        assert!(Campaigns::<T>::contains_key(NextCampaignId::<T>::get() - 1));
    }

    #[benchmark]
    fn top_up() {
        setup::<T>();
        let advertiser = funded::<T>("advertiser", 0);
        let id = campaign::<T>(&advertiser, vec![0]);
        #[extrinsic_call]
        _(RawOrigin::Signed(advertiser), id, unit::<T>());
        assert_eq!(
            Campaigns::<T>::get(id).expect("campaign").remaining,
            unit::<T>().saturating_mul(1_001u32.into())
        );
    }

    #[benchmark]
    fn pause() {
        setup::<T>();
        let advertiser = funded::<T>("advertiser", 0);
        let id = campaign::<T>(&advertiser, vec![0]);
        #[extrinsic_call]
        _(RawOrigin::Signed(advertiser), id);
        assert!(Campaigns::<T>::get(id).expect("campaign").paused);
    }

    #[benchmark]
    fn resume() {
        setup::<T>();
        let advertiser = funded::<T>("advertiser", 0);
        let id = campaign::<T>(&advertiser, vec![0]);
        Campaigns::<T>::mutate(id, |c| {
            if let Some(c) = c {
                c.paused = true
            }
        });
        #[extrinsic_call]
        _(RawOrigin::Signed(advertiser), id);
        assert!(!Campaigns::<T>::get(id).expect("campaign").paused);
    }

    #[benchmark]
    fn end_campaign() {
        setup::<T>();
        let advertiser = funded::<T>("advertiser", 0);
        let id = campaign::<T>(&advertiser, vec![0]);
        #[extrinsic_call]
        _(RawOrigin::Signed(advertiser), id);
        assert_eq!(
            Campaigns::<T>::get(id).expect("campaign").end,
            frame_system::Pallet::<T>::block_number()
        );
    }

    /// A publisher new to the campaign (its entry is created), the witness event
    /// submitted.
    #[benchmark]
    fn report_interactions() {
        setup::<T>();
        let advertiser = funded::<T>("advertiser", 0);
        let publisher = funded::<T>("publisher", 0);
        T::BenchmarkHelper::prepare_submitter(&publisher);
        let id = campaign::<T>(&advertiser, vec![0]);
        #[extrinsic_call]
        _(
            RawOrigin::Signed(publisher),
            id,
            1_000,
            10,
            H256::repeat_byte(7),
        );
        assert_eq!(PendingReportCount::<T>::get(), 1);
    }

    /// n reports validated and paid, each on its own campaign, advertiser and publisher.
    #[benchmark]
    fn settle_reports(n: Linear<1, { T::MaxSettlePerCall::get() }>) {
        setup::<T>();
        let ids = reports::<T>(n);
        for id in &ids {
            T::BenchmarkHelper::resolve(EVENT_CLASS, hash_of::<T>(*id), Verdict::Valid);
        }
        let caller = funded::<T>("settler", 0);
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), BoundedVec::truncate_from(ids));
        assert_eq!(PendingReportCount::<T>::get(), 0);
    }

    /// n reports without a receipt yet: each stays pending.
    #[benchmark]
    fn settle_reports_pending(n: Linear<1, { T::MaxSettlePerCall::get() }>) {
        setup::<T>();
        let ids = reports::<T>(n);
        let caller = funded::<T>("settler", 0);
        #[block]
        {
            Pallet::<T>::settle_reports(
                RawOrigin::Signed(caller).into(),
                BoundedVec::truncate_from(ids),
            )
            .expect("pending reports are no error");
        }
        assert_eq!(PendingReportCount::<T>::get(), n);
    }

    /// The worst case: every bound of the campaign's records reached, every category list
    /// full.
    #[benchmark]
    fn close_campaign() {
        setup::<T>();
        let advertiser = funded::<T>("advertiser", 0);
        let categories: Vec<Category> = (0..T::MaxCategories::get()).collect();
        let id = campaign::<T>(&advertiser, categories.clone());
        // Full category lists (this campaign last) and a full advertiser list.
        let others = |n: u32| (1..n).map(|i| u64::MAX - i as u64).collect::<Vec<_>>();
        for category in &categories {
            let mut list = others(T::MaxCampaignsPerCategory::get());
            list.push(id);
            CategoryCampaigns::<T>::insert(category, BoundedVec::truncate_from(list));
        }
        // Pending reports and publisher entries, written directly (their content does not
        // change the cost of removing them).
        let reports = T::MaxPendingReportsPerCampaign::get().min(T::MaxPendingReports::get());
        let publishers = T::MaxPublishersPerCampaign::get();
        let now = frame_system::Pallet::<T>::block_number();
        for i in 0..publishers {
            let publisher: T::AccountId = account("publisher", i, SEED);
            PublisherSpent::<T>::insert(id, &publisher, unit::<T>());
        }
        let publisher: T::AccountId = account("publisher", 0, SEED);
        for r in 0..reports as u64 {
            Reports::<T>::insert(
                r,
                Report {
                    campaign: id,
                    publisher: publisher.clone(),
                    impressions: 1,
                    clicks: 0,
                    log_hash: H256::zero(),
                    submitted_at: now,
                },
            );
            CampaignReports::<T>::insert(id, r, ());
        }
        NextReportId::<T>::put(reports as u64);
        PendingReportCount::<T>::put(reports);
        Campaigns::<T>::mutate(id, |c| {
            if let Some(c) = c {
                c.pending_reports = reports;
                c.publishers = publishers;
            }
        });
        let end = Campaigns::<T>::get(id).expect("campaign").end;
        frame_system::Pallet::<T>::set_block_number(end.saturating_add(11u32.into()));
        let caller = funded::<T>("closer", 0);
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), id);
        assert!(!Campaigns::<T>::contains_key(id));
        assert_eq!(PendingReportCount::<T>::get(), 0);
    }

    #[benchmark]
    fn set_params() -> Result<(), BenchmarkError> {
        let params = ParamsOf::<T>::default();
        let origin =
            T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, params.clone());
        assert_eq!(ActiveParams::<T>::get(), params);
        Ok(())
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
