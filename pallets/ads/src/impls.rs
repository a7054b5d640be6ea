//! The logic behind the calls: campaign creation, reports, settlement, closing, the
//! candidates the runtime API lists, and the invariants.

use super::*;
use frame_support::{
    storage::with_storage_layer,
    traits::tokens::{Fortitude, Restriction},
};
use pallet_payouts::CreditSource;
use pallet_reputation::Role;
use pallet_witness::{ConsumeError, Verdict};
use sp_runtime::{
    helpers_128bit::multiply_by_rational_with_rounding, traits::SaturatedConversion, Rounding,
};

/// What settling one report did: it decides the report's share of the call's weight.
enum Settled {
    /// The receipt was consumed (paid or rejected), the report dropped or expired, or a
    /// payment was attempted and rolled back: the full cost.
    Worked,
    /// Nothing to do (no receipt yet, unknown id): the cheap cost.
    Skipped,
}

impl<T: Config> Pallet<T> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn do_create_campaign(
        advertiser: T::AccountId,
        budget: BalanceOf<T>,
        pricing: Pricing,
        price: BalanceOf<T>,
        categories: BoundedVec<Category, T::MaxCategories>,
        start: BlockNumberFor<T>,
        end: BlockNumberFor<T>,
        per_publisher_cap: BalanceOf<T>,
    ) -> DispatchResult {
        let params = ActiveParams::<T>::get();
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(budget >= params.min_budget, Error::<T>::BudgetTooLow);
        ensure!(!price.is_zero(), Error::<T>::ZeroPrice);
        ensure!(!per_publisher_cap.is_zero(), Error::<T>::ZeroCap);
        ensure!(!categories.is_empty(), Error::<T>::NoCategories);
        let mut sorted = categories.into_inner();
        sorted.sort_unstable();
        ensure!(
            sorted.windows(2).all(|w| w[0] != w[1]),
            Error::<T>::DuplicateCategory
        );
        ensure!(start <= end, Error::<T>::InvalidSchedule);
        ensure!(end >= now, Error::<T>::EndInPast);
        ensure!(
            end.saturating_sub(now) <= params.max_campaign_duration,
            Error::<T>::CampaignTooLong
        );

        let id = NextCampaignId::<T>::get();
        let next = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
        let total = TotalHeld::<T>::get()
            .checked_add(&budget)
            .ok_or(Error::<T>::Overflow)?;
        let mut mine = AdvertiserCampaigns::<T>::get(&advertiser);
        mine.try_push(id)
            .map_err(|_| Error::<T>::TooManyCampaigns)?;
        let mut lists = Vec::with_capacity(sorted.len());
        for category in sorted.iter() {
            let mut list = CategoryCampaigns::<T>::get(category);
            list.try_push(id).map_err(|_| Error::<T>::CategoryFull)?;
            lists.push((*category, list));
        }
        T::Currency::hold(&HoldReason::CampaignBudget.into(), &advertiser, budget)?;

        for (category, list) in lists {
            CategoryCampaigns::<T>::insert(category, list);
        }
        AdvertiserCampaigns::<T>::insert(&advertiser, mine);
        NextCampaignId::<T>::put(next);
        TotalHeld::<T>::put(total);
        Campaigns::<T>::insert(
            id,
            Campaign {
                advertiser: advertiser.clone(),
                pricing,
                price,
                categories: BoundedVec::truncate_from(sorted),
                start,
                end,
                per_publisher_cap,
                remaining: budget,
                spent: Zero::zero(),
                paused: false,
                settled_impressions: 0,
                settled_clicks: 0,
                pending_reports: 0,
                publishers: 0,
            },
        );
        Self::deposit_event(Event::CampaignCreated {
            campaign: id,
            advertiser,
            budget,
            pricing,
            price,
            start,
            end,
        });
        Ok(())
    }

    pub(crate) fn do_report(
        publisher: T::AccountId,
        campaign: CampaignId,
        impressions: u64,
        clicks: u64,
        log_hash: H256,
    ) -> DispatchResult {
        ensure!(impressions > 0 || clicks > 0, Error::<T>::EmptyReport);
        let mut c = Campaigns::<T>::get(campaign).ok_or(Error::<T>::UnknownCampaign)?;
        ensure!(
            publisher != c.advertiser,
            Error::<T>::AdvertiserCannotReport
        );
        ensure!(!c.paused, Error::<T>::CampaignPaused);
        let now = frame_system::Pallet::<T>::block_number();
        ensure!(now >= c.start, Error::<T>::CampaignNotStarted);
        ensure!(now <= c.end, Error::<T>::CampaignEnded);
        ensure!(!c.remaining.is_zero(), Error::<T>::BudgetExhausted);
        let pending = PendingReportCount::<T>::get();
        ensure!(
            pending < T::MaxPendingReports::get(),
            Error::<T>::TooManyPendingReports
        );
        ensure!(
            c.pending_reports < T::MaxPendingReportsPerCampaign::get(),
            Error::<T>::TooManyCampaignReports
        );
        let known = PublisherSpent::<T>::contains_key(campaign, &publisher);
        if known {
            ensure!(
                PublisherSpent::<T>::get(campaign, &publisher) < c.per_publisher_cap,
                Error::<T>::PublisherCapReached
            );
        } else {
            ensure!(
                c.publishers < T::MaxPublishersPerCampaign::get(),
                Error::<T>::TooManyPublishers
            );
        }
        let id = NextReportId::<T>::get();
        let next = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
        let payload_hash =
            report_payload_hash(id, campaign, &publisher, impressions, clicks, &log_hash);
        // Last fallible step: the witness pallet charges the fee and queues the event.
        T::Submitter::submit(&publisher, EVENT_CLASS, payload_hash)?;

        if !known {
            PublisherSpent::<T>::insert(campaign, &publisher, BalanceOf::<T>::zero());
            c.publishers = c.publishers.saturating_add(1);
        }
        c.pending_reports = c.pending_reports.saturating_add(1);
        Campaigns::<T>::insert(campaign, c);
        PendingReportCount::<T>::put(pending.saturating_add(1));
        NextReportId::<T>::put(next);
        CampaignReports::<T>::insert(campaign, id, ());
        Reports::<T>::insert(
            id,
            Report {
                campaign,
                publisher: publisher.clone(),
                impressions,
                clicks,
                log_hash,
                submitted_at: now,
            },
        );
        Self::deposit_event(Event::InteractionsReported {
            report: id,
            campaign,
            publisher,
            impressions,
            clicks,
            payload_hash,
        });
        Ok(())
    }

    /// What a report is worth at its campaign's price (before the budget and cap).
    pub fn due(
        pricing: Pricing,
        price: BalanceOf<T>,
        impressions: u64,
        clicks: u64,
    ) -> BalanceOf<T> {
        let price: u128 = price.saturated_into();
        let due = match pricing {
            Pricing::Cpm => multiply_by_rational_with_rounding(
                impressions as u128,
                price,
                1_000,
                Rounding::Down,
            )
            .unwrap_or(u128::MAX),
            Pricing::Cpc => (clicks as u128).saturating_mul(price),
        };
        due.saturated_into()
    }

    /// Settles the batch; returns (reports worked, reports skipped).
    pub(crate) fn do_settle(ids: &[ReportId]) -> Result<(u32, u32), DispatchError> {
        let params = ActiveParams::<T>::get();
        let now = frame_system::Pallet::<T>::block_number();
        let (mut worked, mut skipped, mut known) = (0u32, 0u32, false);
        for &id in ids {
            let Some(report) = Reports::<T>::get(id) else {
                Self::deposit_event(Event::ReportUnknown { report: id });
                skipped = skipped.saturating_add(1);
                continue;
            };
            known = true;
            match Self::settle_one(id, report, &params, now) {
                Settled::Worked => worked = worked.saturating_add(1),
                Settled::Skipped => skipped = skipped.saturating_add(1),
            }
        }
        ensure!(known, Error::<T>::NoSuchReport);
        Ok((worked, skipped))
    }

    fn settle_one(
        id: ReportId,
        report: ReportOf<T>,
        params: &ParamsOf<T>,
        now: BlockNumberFor<T>,
    ) -> Settled {
        let hash = report_payload_hash(
            id,
            report.campaign,
            &report.publisher,
            report.impressions,
            report.clicks,
            &report.log_hash,
        );
        let Some(campaign) = Campaigns::<T>::get(report.campaign) else {
            // Closing a campaign removes its reports; defensive only.
            Reports::<T>::remove(id);
            PendingReportCount::<T>::mutate(|n| *n = n.saturating_sub(1));
            Self::deposit_event(Event::ReportDropped {
                report: id,
                campaign: report.campaign,
            });
            return Settled::Worked;
        };
        // The receipt is consumed inside the layer: if the payment fails, the consume is
        // rolled back with it and the report can settle later.
        let result = with_storage_layer(|| -> Result<Outcome, DispatchError> {
            match T::Receipts::consume(EVENT_CLASS, &hash) {
                Err(ConsumeError::NoReceipt) => Ok(Outcome::NoReceipt),
                Err(ConsumeError::AlreadySettled) => {
                    Self::remove_report(id, &report, campaign, None);
                    Ok(Outcome::Dropped)
                }
                Ok(receipt) if receipt.verdict == Verdict::Invalid => {
                    Self::remove_report(id, &report, campaign, None);
                    Ok(Outcome::Rejected)
                }
                Ok(_) => Self::pay(id, &report, campaign, params).map(|_| Outcome::Paid),
            }
        });
        match result {
            Ok(Outcome::Paid) => {
                T::Reputation::reward(
                    &report.publisher,
                    Role::Creator,
                    params.report_reputation_reward,
                );
                Settled::Worked
            }
            Ok(Outcome::Rejected) => {
                T::Reputation::penalize(
                    &report.publisher,
                    Role::Creator,
                    params.report_reputation_penalty,
                );
                Self::deposit_event(Event::ReportRejected {
                    report: id,
                    campaign: report.campaign,
                    publisher: report.publisher,
                });
                Settled::Worked
            }
            Ok(Outcome::Dropped) => {
                Self::deposit_event(Event::ReportDropped {
                    report: id,
                    campaign: report.campaign,
                });
                Settled::Worked
            }
            Ok(Outcome::NoReceipt) => {
                if now > report.submitted_at.saturating_add(params.report_ttl) {
                    if let Some(campaign) = Campaigns::<T>::get(report.campaign) {
                        Self::remove_report(id, &report, campaign, None);
                    }
                    Self::deposit_event(Event::ReportExpired {
                        report: id,
                        campaign: report.campaign,
                    });
                    Settled::Worked
                } else {
                    Self::deposit_event(Event::ReportPending { report: id });
                    Settled::Skipped
                }
            }
            Err(error) => {
                Self::deposit_event(Event::ReportFailed { report: id, error });
                // The payment was attempted (and rolled back): charged as worked.
                Settled::Worked
            }
        }
    }

    /// Pays a validated report from its campaign's hold: the treasury's share by a
    /// transfer on hold, the publisher's through the payouts ledger. Fails, for the
    /// caller's storage layer to roll back, when either payment fails.
    fn pay(
        id: ReportId,
        report: &ReportOf<T>,
        campaign: CampaignOf<T>,
        params: &ParamsOf<T>,
    ) -> DispatchResult {
        let due = Self::due(
            campaign.pricing,
            campaign.price,
            report.impressions,
            report.clicks,
        );
        let spent = PublisherSpent::<T>::get(report.campaign, &report.publisher);
        let cap_left = campaign.per_publisher_cap.saturating_sub(spent);
        let paid = due.min(campaign.remaining).min(cap_left);
        let share = params.protocol_share.mul_floor(paid);
        let to_publisher = paid.saturating_sub(share);
        let reason: T::RuntimeHoldReason = HoldReason::CampaignBudget.into();
        if !share.is_zero() {
            // `Force`: the budget is committed; a freeze the advertiser placed since must
            // not stop the payment.
            T::Currency::transfer_on_hold(
                &reason,
                &campaign.advertiser,
                &T::TreasuryAccount::get(),
                share,
                Precision::Exact,
                Restriction::Free,
                Fortitude::Force,
            )?;
        }
        if !to_publisher.is_zero() {
            T::Ledger::credit_from_hold(
                &reason,
                &campaign.advertiser,
                &report.publisher,
                to_publisher,
                CreditSource::Ads,
            )?;
        }
        PublisherSpent::<T>::insert(
            report.campaign,
            &report.publisher,
            spent.saturating_add(paid),
        );
        TotalHeld::<T>::mutate(|t| *t = t.saturating_sub(paid));
        Self::remove_report(id, report, campaign, Some(paid));
        Self::deposit_event(Event::ReportSettled {
            report: id,
            campaign: report.campaign,
            publisher: report.publisher.clone(),
            due,
            paid,
            protocol_share: share,
        });
        Ok(())
    }

    /// Removes a pending report and updates its campaign: `paid` is `Some` when it was
    /// validated (the campaign's budget and settled counts change), `None` when it was
    /// rejected, dropped or expired.
    fn remove_report(
        id: ReportId,
        report: &ReportOf<T>,
        mut campaign: CampaignOf<T>,
        paid: Option<BalanceOf<T>>,
    ) {
        if let Some(paid) = paid {
            campaign.remaining = campaign.remaining.saturating_sub(paid);
            campaign.spent = campaign.spent.saturating_add(paid);
            campaign.settled_impressions = campaign
                .settled_impressions
                .saturating_add(report.impressions);
            campaign.settled_clicks = campaign.settled_clicks.saturating_add(report.clicks);
        }
        campaign.pending_reports = campaign.pending_reports.saturating_sub(1);
        Campaigns::<T>::insert(report.campaign, campaign);
        Reports::<T>::remove(id);
        CampaignReports::<T>::remove(report.campaign, id);
        PendingReportCount::<T>::mutate(|n| *n = n.saturating_sub(1));
    }

    /// The actual weight of a `settle_reports` that worked `worked` reports and skipped
    /// `skipped`.
    pub(crate) fn settle_weight(worked: u32, skipped: u32) -> Weight {
        T::WeightInfo::settle_reports(worked).saturating_add(
            T::WeightInfo::settle_reports_pending(skipped)
                .saturating_sub(T::WeightInfo::settle_reports_pending(0)),
        )
    }

    pub(crate) fn do_close(id: CampaignId) -> DispatchResult {
        let c = Campaigns::<T>::get(id).ok_or(Error::<T>::UnknownCampaign)?;
        let now = frame_system::Pallet::<T>::block_number();
        let window = ActiveParams::<T>::get().settlement_window;
        ensure!(
            now > c.end.saturating_add(window),
            Error::<T>::SettlementWindowOpen
        );
        Self::release_budget(&c.advertiser, c.remaining)?;
        AdvertiserCampaigns::<T>::mutate(&c.advertiser, |list| list.retain(|x| *x != id));
        if AdvertiserCampaigns::<T>::get(&c.advertiser).is_empty() {
            AdvertiserCampaigns::<T>::remove(&c.advertiser);
        }
        for category in c.categories.iter() {
            CategoryCampaigns::<T>::mutate_exists(category, |list| {
                if let Some(l) = list {
                    l.retain(|x| *x != id);
                    if l.is_empty() {
                        *list = None;
                    }
                }
            });
        }
        // Bounded: a campaign has at most MaxPendingReportsPerCampaign reports and
        // MaxPublishersPerCampaign publisher entries.
        let mut dropped = 0u32;
        for (report, ()) in CampaignReports::<T>::drain_prefix(id)
            .take(T::MaxPendingReportsPerCampaign::get() as usize)
        {
            Reports::<T>::remove(report);
            dropped = dropped.saturating_add(1);
        }
        PendingReportCount::<T>::mutate(|n| *n = n.saturating_sub(dropped));
        let _ = PublisherSpent::<T>::clear_prefix(id, T::MaxPublishersPerCampaign::get(), None);
        Campaigns::<T>::remove(id);
        Self::deposit_event(Event::CampaignClosed {
            campaign: id,
            refunded: c.remaining,
            reports_dropped: dropped,
        });
        Ok(())
    }

    /// The campaigns of `category` that can be shown now, highest effective bid per
    /// 1,000 impressions first (ties: lower id first), at most `min(max, 256)`. What the
    /// runtime's `AdsApi::candidates` returns. Reads at most `MaxCampaignsPerCategory`
    /// campaigns.
    pub fn candidates(category: Category, max: u32) -> Vec<CandidateOf<T>> {
        let now = frame_system::Pallet::<T>::block_number();
        let max = max.min(MAX_CANDIDATES) as usize;
        if max == 0 {
            return Vec::new();
        }
        let mut out: Vec<CandidateOf<T>> = CategoryCampaigns::<T>::get(category)
            .into_iter()
            .filter_map(|id| {
                let c = Campaigns::<T>::get(id)?;
                let live = !c.paused && c.start <= now && now <= c.end && !c.remaining.is_zero();
                live.then(|| Candidate {
                    campaign: id,
                    effective_bid: Self::effective_bid(&c),
                    advertiser: c.advertiser,
                    pricing: c.pricing,
                    price: c.price,
                    remaining: c.remaining,
                    per_publisher_cap: c.per_publisher_cap,
                    end: c.end,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.effective_bid
                .cmp(&a.effective_bid)
                .then(a.campaign.cmp(&b.campaign))
        });
        out.truncate(max);
        out
    }

    /// What 1,000 impressions of the campaign are expected to earn: `price` for CPM;
    /// `price × 1000 × (settled_clicks + 1) / (settled_impressions + 100)` for CPC (a CTR
    /// prior of 1% before anything settled), rounded down.
    pub fn effective_bid(c: &CampaignOf<T>) -> BalanceOf<T> {
        match c.pricing {
            Pricing::Cpm => c.price,
            Pricing::Cpc => {
                let price: u128 = c.price.saturated_into();
                let clicks = (c.settled_clicks as u128).saturating_add(1);
                let impressions = (c.settled_impressions as u128).saturating_add(100);
                multiply_by_rational_with_rounding(
                    price,
                    clicks.saturating_mul(1_000),
                    impressions,
                    Rounding::Down,
                )
                .unwrap_or(u128::MAX)
                .saturated_into()
            }
        }
    }

    /// Checks the pallet's invariants:
    /// - every advertiser's balance on hold for `CampaignBudget` equals the sum of its
    ///   campaigns' `remaining`, and every campaign is in its advertiser's list;
    /// - the sum of all campaigns' `remaining` equals [`TotalHeld`];
    /// - [`PendingReportCount`] equals the stored reports, each campaign's
    ///   `pending_reports` its reports, and every report's campaign exists;
    /// - every campaign is listed in each of its categories.
    #[cfg(any(feature = "try-runtime", test))]
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        use sp_runtime::TryRuntimeError;
        let reason: T::RuntimeHoldReason = HoldReason::CampaignBudget.into();
        let mut total = BalanceOf::<T>::zero();
        let mut listed = 0usize;
        for (advertiser, ids) in AdvertiserCampaigns::<T>::iter() {
            let mut sum = BalanceOf::<T>::zero();
            for id in ids.iter() {
                let c = Campaigns::<T>::get(id).ok_or(TryRuntimeError::Other(
                    "advertiser lists an unknown campaign",
                ))?;
                ensure!(
                    c.advertiser == advertiser,
                    TryRuntimeError::Other("campaign listed under another advertiser")
                );
                sum = sum.saturating_add(c.remaining);
            }
            listed = listed.saturating_add(ids.len());
            ensure!(
                <T::Currency as fungible::InspectHold<T::AccountId>>::balance_on_hold(
                    &reason,
                    &advertiser
                ) == sum,
                TryRuntimeError::Other("advertiser's hold differs from its campaigns' remaining")
            );
            total = total.saturating_add(sum);
        }
        let mut campaigns = 0usize;
        for (id, c) in Campaigns::<T>::iter() {
            campaigns = campaigns.saturating_add(1);
            let reports = CampaignReports::<T>::iter_prefix(id).count();
            ensure!(
                reports == c.pending_reports as usize,
                TryRuntimeError::Other("campaign's pending_reports differs from its reports")
            );
            let publishers = PublisherSpent::<T>::iter_prefix(id).count();
            ensure!(
                publishers == c.publishers as usize,
                TryRuntimeError::Other("campaign's publishers differs from its entries")
            );
            for category in c.categories.iter() {
                ensure!(
                    CategoryCampaigns::<T>::get(category).contains(&id),
                    TryRuntimeError::Other("campaign missing from a category list")
                );
            }
        }
        ensure!(
            campaigns == listed,
            TryRuntimeError::Other("a campaign is missing from its advertiser's list")
        );
        ensure!(
            total == TotalHeld::<T>::get(),
            TryRuntimeError::Other("TotalHeld differs from the sum of remaining budgets")
        );
        let mut reports = 0u32;
        for (id, r) in Reports::<T>::iter() {
            reports = reports.saturating_add(1);
            ensure!(
                CampaignReports::<T>::contains_key(r.campaign, id),
                TryRuntimeError::Other("report missing from its campaign's index")
            );
        }
        ensure!(
            reports == PendingReportCount::<T>::get(),
            TryRuntimeError::Other("PendingReportCount differs from the stored reports")
        );
        Ok(())
    }
}

/// What the storage layer of one report's settlement ended with.
enum Outcome {
    /// No receipt yet: nothing changed.
    NoReceipt,
    /// Another consumer had settled the event: the report was removed unpaid.
    Dropped,
    /// `Invalid`: the report was removed unpaid.
    Rejected,
    /// `Valid`: paid and removed.
    Paid,
}
