//! # pallet-ads: the ad marketplace
//!
//! Advertisers fund campaigns; publishers report the impressions and clicks they served; a
//! witness committee checks each report against its off-chain interaction log; reports
//! the committee validated are paid from the campaign's budget in batches. Ad decisioning
//! (which ad to show) happens off chain, from the candidates the [`AdsApi`] runtime API
//! lists.
//!
//! ## Campaigns
//!
//! [`Pallet::create_campaign`]`(budget, pricing, price, categories, start, end,
//! per_publisher_cap)` puts `budget` on hold on the advertiser's account
//! ([`HoldReason::CampaignBudget`]). Pricing units:
//! - [`Pricing::Cpm`]: `price` is per **thousand** impressions; a report of `i`
//!   impressions is due `i × price / 1000`, rounded down (clicks are ignored);
//! - [`Pricing::Cpc`]: `price` is per click; a report of `c` clicks is due `c × price`
//!   (impressions are ignored, except for the CTR that ranks candidates).
//!
//! The advertiser can [`Pallet::top_up`] (hold more), [`Pallet::pause`] /
//! [`Pallet::resume`], and [`Pallet::end_campaign`] (reporting stops now). After `end +
//! settlement_window` anyone can [`Pallet::close_campaign`]: the remaining budget is
//! released to the advertiser, and the campaign, its index entries, its per-publisher
//! records and its unsettled reports are removed.
//!
//! ## Reports and settlement
//!
//! 1. A publisher calls [`Pallet::report_interactions`]`(campaign, impressions, clicks,
//!    log_hash)` while `start ≤ now ≤ end` and the campaign is not paused. The report gets
//!    a fresh [`ReportId`] and a witness event of class `AdInteraction` is submitted (the
//!    publisher pays the witness event fee) with the payload hash of
//!    [`report_payload_hash`]:
//!    `blake2_256(SCALE(("echonet/ads/report", report_id, campaign, publisher,
//!    impressions, clicks, log_hash)))`. The committee recomputes it from the log named by
//!    `log_hash` and votes.
//! 2. Anyone calls [`Pallet::settle_reports`]`(report_ids)` (up to `MaxSettlePerCall`).
//!    For each report whose receipt exists, the receipt is consumed (a receipt settles
//!    once, ever) and:
//!    - `Valid`: the campaign pays `min(remaining, due, per-publisher cap left)`;
//!      `protocol_share` of it goes to the treasury and the rest is credited to the
//!      publisher in the payouts ledger (`PayoutLedger::credit_from_hold`, source `Ads`);
//!      the publisher gains `report_reputation_reward` as `Role::Creator`;
//!    - `Invalid`: nothing is paid; the publisher loses `report_reputation_penalty`.
//!
//!    A report without a receipt yet stays pending (event `ReportPending`), unless it is
//!    older than `report_ttl`: then it can never get one and is dropped (`ReportExpired`).
//!    Each report settles inside its own storage layer: a payment that fails (the ledger
//!    refuses the creator, the treasury cannot receive) rolls back that report alone,
//!    receipt included, and it stays pending (`ReportFailed`).
//!
//! ## Storage bounds
//!
//! - campaigns per advertiser: `MaxCampaignsPerAdvertiser` (closing frees a slot);
//! - campaigns per category: `MaxCampaignsPerCategory`, categories per campaign:
//!   `MaxCategories`;
//! - pending reports: `MaxPendingReports` in total and `MaxPendingReportsPerCampaign` per
//!   campaign; each costs its publisher a witness event fee;
//! - publishers per campaign: `MaxPublishersPerCampaign` (one `PublisherSpent` entry
//!   each);
//! - so `close_campaign` removes at most `MaxPendingReportsPerCampaign` reports,
//!   `MaxPublishersPerCampaign` publisher entries and `MaxCategories` index entries.
//!
//! There are no hooks. Invariants (`do_try_state`): for every advertiser, the sum of its
//! campaigns' `remaining` equals its balance on hold for `CampaignBudget`; the sum over all
//! campaigns equals [`TotalHeld`]; the report counters match the stored reports.
//!
//! ## Runtime wiring
//!
//! `Currency` is pallet-balances; `Ledger` is pallet-payouts; `Submitter` and `Receipts`
//! are pallet-witness; `Reputation` is pallet-reputation. Keep `report_ttl` at least the
//! witness `event_ttl` (a report must not expire while its event can still resolve), and
//! settle reports before their `Valid` receipt is pruned (`receipt_retention`). The
//! runtime implements [`AdsApi`] by calling [`Pallet::candidates`]:
//!
//! ```text
//! impl pallet_ads::AdsApi<Block, AccountId, Balance, BlockNumber> for Runtime {
//!     fn candidates(category: u32, max: u32)
//!         -> Vec<pallet_ads::Candidate<AccountId, Balance, BlockNumber>> {
//!         Ads::candidates(category, max)
//!     }
//! }
//! ```
//!
//! ## Weights
//!
//! The calls' weights include the work of the traits they call: `report_interactions`
//! includes `EventSubmitter::submit` (pallet-witness `submit_event`), `settle_reports`
//! includes per report `ReceiptProvider::consume` (`consume_receipt`), a treasury
//! transfer and `PayoutLedger::credit_from_hold`. They are measured against the real
//! pallets when the runtime benchmarks this pallet: with the `runtime-benchmarks`
//! feature, `Config::BenchmarkHelper` makes a committee and receipts
//! (`WitnessBenchmarkHelper<Runtime>` does it for pallet-witness). `SubstrateWeight`
//! carries placeholder figures of the same shape.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod impls;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{self, Inspect, MutateHold},
        tokens::Precision,
    },
};
use frame_system::pallet_prelude::*;
use pallet_payouts::PayoutLedger;
use pallet_reputation::ReputationHandler;
use pallet_witness::{EventClass, EventSubmitter, ReceiptProvider};
use sp_core::H256;
use sp_runtime::traits::{CheckedAdd, Saturating, Zero};

/// The balance type of the currency budgets are held in.
pub type BalanceOf<T> =
    <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// A campaign as stored.
pub type CampaignOf<T> = Campaign<
    <T as frame_system::Config>::AccountId,
    BalanceOf<T>,
    BlockNumberFor<T>,
    <T as Config>::MaxCategories,
>;
/// A report as stored.
pub type ReportOf<T> = Report<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
/// A candidate as the runtime API returns it.
pub type CandidateOf<T> =
    Candidate<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;
/// The governance parameters.
pub type ParamsOf<T> = Params<BalanceOf<T>, BlockNumberFor<T>>;

sp_api::decl_runtime_apis! {
    /// What clients and edge nodes read to run the ad auction locally.
    pub trait AdsApi<AccountId, Balance, BlockNumber>
    where
        AccountId: codec::Codec,
        Balance: codec::Codec,
        BlockNumber: codec::Codec,
    {
        /// The campaigns of `category` that can be shown now (started, not ended, not
        /// paused, budget left), highest effective bid per 1,000 impressions first; at
        /// most `max`, and never more than 256.
        fn candidates(category: Category, max: u32) -> Vec<Candidate<AccountId, Balance, BlockNumber>>;
    }
}

// `create_campaign` takes the eight arguments the design names; the macro-generated call
// constructor inherits them.
#[allow(clippy::too_many_arguments)]
#[frame_support::pallet]
pub mod pallet {
    use super::*;

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// The remaining budgets of the account's campaigns.
        CampaignBudget,
    }

    #[pallet::config]
    pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
        /// The currency budgets are held in and paid from.
        type Currency: fungible::Mutate<Self::AccountId>
            + fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        /// The runtime's hold reasons, which include this pallet's.
        type RuntimeHoldReason: From<HoldReason>;
        /// The origin of `set_params` (Root or the `parameters` track).
        type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// The payouts ledger publishers are credited in (pallet-payouts).
        type Ledger: PayoutLedger<
            Self::AccountId,
            BalanceOf<Self>,
            HoldReason = Self::RuntimeHoldReason,
        >;
        /// Submits the `AdInteraction` witness events (pallet-witness).
        type Submitter: EventSubmitter<Self::AccountId>;
        /// Reads and consumes their receipts (pallet-witness).
        type Receipts: ReceiptProvider<BlockNumberFor<Self>>;
        /// Where publishers' reputation (`Role::Creator`) is rewarded and penalized.
        type Reputation: ReputationHandler<Self::AccountId>;
        /// Receives the protocol share of every payment.
        type TreasuryAccount: Get<Self::AccountId>;
        /// The most categories one campaign is shown in.
        #[pallet::constant]
        type MaxCategories: Get<u32>;
        /// The most campaigns (not yet closed) listed in one category.
        #[pallet::constant]
        type MaxCampaignsPerCategory: Get<u32>;
        /// The most campaigns (not yet closed) one advertiser has.
        #[pallet::constant]
        type MaxCampaignsPerAdvertiser: Get<u32>;
        /// The most reports waiting for settlement, over all campaigns.
        #[pallet::constant]
        type MaxPendingReports: Get<u32>;
        /// The most reports waiting for settlement on one campaign: what `close_campaign`
        /// removes at worst.
        #[pallet::constant]
        type MaxPendingReportsPerCampaign: Get<u32>;
        /// The most distinct publishers that report on one campaign.
        #[pallet::constant]
        type MaxPublishersPerCampaign: Get<u32>;
        /// The most reports one `settle_reports` names (at least 1,000).
        #[pallet::constant]
        type MaxSettlePerCall: Get<u32>;
        /// Weights of this pallet's calls.
        type WeightInfo: WeightInfo;
        /// Makes a witness committee and receipts for the benchmarks.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
    }

    /// The governance parameters.
    #[pallet::storage]
    pub type ActiveParams<T: Config> = StorageValue<_, ParamsOf<T>, ValueQuery>;

    /// The id the next campaign gets.
    #[pallet::storage]
    pub type NextCampaignId<T: Config> = StorageValue<_, CampaignId, ValueQuery>;

    /// The id the next report gets.
    #[pallet::storage]
    pub type NextReportId<T: Config> = StorageValue<_, ReportId, ValueQuery>;

    /// Campaigns that are not closed yet, by id.
    #[pallet::storage]
    pub type Campaigns<T: Config> = StorageMap<_, Twox64Concat, CampaignId, CampaignOf<T>>;

    /// Each advertiser's campaigns that are not closed yet.
    #[pallet::storage]
    pub type AdvertiserCampaigns<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<CampaignId, T::MaxCampaignsPerAdvertiser>,
        ValueQuery,
    >;

    /// Each category's campaigns that are not closed yet (active or not), in creation
    /// order.
    #[pallet::storage]
    pub type CategoryCampaigns<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        Category,
        BoundedVec<CampaignId, T::MaxCampaignsPerCategory>,
        ValueQuery,
    >;

    /// Reports waiting for settlement, by id.
    #[pallet::storage]
    pub type Reports<T: Config> = StorageMap<_, Twox64Concat, ReportId, ReportOf<T>>;

    /// (campaign, report): the pending reports of each campaign, so that closing it can
    /// remove them.
    #[pallet::storage]
    pub type CampaignReports<T: Config> =
        StorageDoubleMap<_, Twox64Concat, CampaignId, Twox64Concat, ReportId, ()>;

    /// (campaign, publisher) → what the campaign has paid the publisher (including the
    /// protocol share): the per-publisher cap is checked against it. An entry exists for
    /// every publisher that reported on the campaign.
    #[pallet::storage]
    pub type PublisherSpent<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        CampaignId,
        Blake2_128Concat,
        T::AccountId,
        BalanceOf<T>,
        ValueQuery,
    >;

    /// How many reports are pending, over all campaigns.
    #[pallet::storage]
    pub type PendingReportCount<T: Config> = StorageValue<_, u32, ValueQuery>;

    /// The sum of all campaigns' `remaining`: what this pallet holds in total.
    #[pallet::storage]
    pub type TotalHeld<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// The parameters at genesis (defaults: see [`Params`]).
        pub params: ParamsOf<T>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            Pallet::<T>::check_params(&self.params).expect("pallet-ads genesis params are valid");
            ActiveParams::<T>::put(self.params.clone());
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A campaign was created and its budget put on hold.
        CampaignCreated {
            /// The new campaign.
            campaign: CampaignId,
            /// Its advertiser.
            advertiser: T::AccountId,
            /// The budget held.
            budget: BalanceOf<T>,
            /// CPM or CPC.
            pricing: Pricing,
            /// Its price.
            price: BalanceOf<T>,
            /// First reporting block.
            start: BlockNumberFor<T>,
            /// Last reporting block.
            end: BlockNumberFor<T>,
        },
        /// More budget was put on hold for a campaign.
        CampaignToppedUp {
            /// The campaign.
            campaign: CampaignId,
            /// Added.
            amount: BalanceOf<T>,
            /// Its remaining budget now.
            remaining: BalanceOf<T>,
        },
        /// A campaign was paused.
        CampaignPaused {
            /// The campaign.
            campaign: CampaignId,
        },
        /// A campaign was resumed.
        CampaignResumed {
            /// The campaign.
            campaign: CampaignId,
        },
        /// The advertiser ended a campaign early.
        CampaignEnded {
            /// The campaign.
            campaign: CampaignId,
            /// Its new last reporting block (now).
            end: BlockNumberFor<T>,
        },
        /// A campaign was closed after its settlement window: its remaining budget was
        /// released to the advertiser and its records removed.
        CampaignClosed {
            /// The campaign.
            campaign: CampaignId,
            /// Released to the advertiser.
            refunded: BalanceOf<T>,
            /// Unsettled reports removed with it.
            reports_dropped: u32,
        },
        /// A publisher reported interactions; the witness event was submitted.
        InteractionsReported {
            /// The new report.
            report: ReportId,
            /// The campaign.
            campaign: CampaignId,
            /// The publisher.
            publisher: T::AccountId,
            /// Impressions claimed.
            impressions: u64,
            /// Clicks claimed.
            clicks: u64,
            /// The witness event's payload hash.
            payload_hash: H256,
        },
        /// A report was validated and paid.
        ReportSettled {
            /// The report.
            report: ReportId,
            /// The campaign.
            campaign: CampaignId,
            /// The publisher.
            publisher: T::AccountId,
            /// What the report was worth at the campaign's price.
            due: BalanceOf<T>,
            /// What the campaign paid (at most `due`, the remaining budget and the cap
            /// left), protocol share included.
            paid: BalanceOf<T>,
            /// The part of `paid` that went to the treasury.
            protocol_share: BalanceOf<T>,
        },
        /// The committee rejected a report: nothing paid, the publisher was penalized.
        ReportRejected {
            /// The report.
            report: ReportId,
            /// The campaign.
            campaign: CampaignId,
            /// The publisher.
            publisher: T::AccountId,
        },
        /// A report has no receipt yet; it stays pending.
        ReportPending {
            /// The report.
            report: ReportId,
        },
        /// A report had no receipt `report_ttl` after it was made: dropped unpaid.
        ReportExpired {
            /// The report.
            report: ReportId,
            /// The campaign.
            campaign: CampaignId,
        },
        /// A report's witness event had already been settled by another consumer:
        /// dropped unpaid (a receipt never pays twice).
        ReportDropped {
            /// The report.
            report: ReportId,
            /// The campaign.
            campaign: CampaignId,
        },
        /// No pending report has this id (never made, already settled, or removed).
        ReportUnknown {
            /// The id.
            report: ReportId,
        },
        /// Paying a validated report failed; it was rolled back (receipt included) and
        /// stays pending.
        ReportFailed {
            /// The report.
            report: ReportId,
            /// Why the payment failed.
            error: DispatchError,
        },
        /// Governance set new parameters.
        ParamsSet {
            /// The new parameters.
            params: ParamsOf<T>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// No open campaign has this id.
        UnknownCampaign,
        /// Only the campaign's advertiser may do this.
        NotAdvertiser,
        /// The campaign is paused.
        CampaignPaused,
        /// The campaign is not paused.
        CampaignNotPaused,
        /// The campaign's start block has not come yet.
        CampaignNotStarted,
        /// The campaign's last reporting block has passed.
        CampaignEnded,
        /// The campaign cannot be closed before `end + settlement_window`.
        SettlementWindowOpen,
        /// The budget is below `min_budget`.
        BudgetTooLow,
        /// The amount is zero.
        ZeroAmount,
        /// The price is zero.
        ZeroPrice,
        /// The per-publisher cap is zero.
        ZeroCap,
        /// A campaign needs at least one category.
        NoCategories,
        /// A category is listed twice.
        DuplicateCategory,
        /// `start` is after `end`.
        InvalidSchedule,
        /// `end` is before the current block.
        EndInPast,
        /// `end` lies more than `max_campaign_duration` blocks after now.
        CampaignTooLong,
        /// One of the categories already lists `MaxCampaignsPerCategory` campaigns.
        CategoryFull,
        /// The advertiser already has `MaxCampaignsPerAdvertiser` open campaigns.
        TooManyCampaigns,
        /// `MaxPendingReports` reports are pending.
        TooManyPendingReports,
        /// The campaign has `MaxPendingReportsPerCampaign` reports pending.
        TooManyCampaignReports,
        /// `MaxPublishersPerCampaign` publishers already report on the campaign.
        TooManyPublishers,
        /// The report claims no impressions and no clicks.
        EmptyReport,
        /// The campaign has no budget left.
        BudgetExhausted,
        /// The campaign has paid this publisher its per-publisher cap.
        PublisherCapReached,
        /// An advertiser cannot report on its own campaign.
        AdvertiserCannotReport,
        /// No report id in the batch names a pending report.
        NoSuchReport,
        /// The batch is empty.
        EmptyBatch,
        /// A counter or a sum would overflow.
        Overflow,
        /// Parameters: `report_ttl` is zero.
        ZeroReportTtl,
        /// Parameters: `settlement_window` is shorter than `report_ttl`.
        WindowShorterThanReportTtl,
        /// Parameters: `max_campaign_duration` is zero.
        ZeroCampaignDuration,
        /// Parameters: `min_budget` is zero.
        ZeroMinBudget,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn integrity_test() {
            assert!(
                T::MaxSettlePerCall::get() >= 1,
                "pallet-ads: MaxSettlePerCall is 0"
            );
            assert!(
                T::MaxCategories::get() >= 1,
                "pallet-ads: MaxCategories is 0"
            );
            assert!(
                T::MaxPendingReportsPerCampaign::get() <= T::MaxPendingReports::get(),
                "pallet-ads: MaxPendingReportsPerCampaign above MaxPendingReports"
            );
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Creates a campaign and holds `budget` on the caller (the advertiser).
        ///
        /// `price` is per 1,000 impressions for CPM, per click for CPC. `categories`:
        /// at least one, no duplicates. Reports are taken from `start` to `end`
        /// inclusive; `end` must lie between now and now + `max_campaign_duration`. `per_publisher_cap` bounds what any one
        /// publisher is paid over the campaign's life.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::create_campaign(categories.len() as u32))]
        pub fn create_campaign(
            origin: OriginFor<T>,
            budget: BalanceOf<T>,
            pricing: Pricing,
            price: BalanceOf<T>,
            categories: BoundedVec<Category, T::MaxCategories>,
            start: BlockNumberFor<T>,
            end: BlockNumberFor<T>,
            per_publisher_cap: BalanceOf<T>,
        ) -> DispatchResult {
            let advertiser = ensure_signed(origin)?;
            Self::do_create_campaign(
                advertiser,
                budget,
                pricing,
                price,
                categories,
                start,
                end,
                per_publisher_cap,
            )
        }

        /// Holds `amount` more for a campaign that has not ended. Advertiser only.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::top_up())]
        pub fn top_up(
            origin: OriginFor<T>,
            campaign: CampaignId,
            amount: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
            let mut c = Self::owned_campaign(campaign, &who)?;
            ensure!(
                frame_system::Pallet::<T>::block_number() <= c.end,
                Error::<T>::CampaignEnded
            );
            let remaining = c
                .remaining
                .checked_add(&amount)
                .ok_or(Error::<T>::Overflow)?;
            let total = TotalHeld::<T>::get()
                .checked_add(&amount)
                .ok_or(Error::<T>::Overflow)?;
            T::Currency::hold(&HoldReason::CampaignBudget.into(), &who, amount)?;
            c.remaining = remaining;
            Campaigns::<T>::insert(campaign, c);
            TotalHeld::<T>::put(total);
            Self::deposit_event(Event::CampaignToppedUp {
                campaign,
                amount,
                remaining,
            });
            Ok(())
        }

        /// Pauses a campaign that has not ended: it takes no reports and is no candidate
        /// until resumed. Pending reports still settle. Advertiser only.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::pause())]
        pub fn pause(origin: OriginFor<T>, campaign: CampaignId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut c = Self::owned_campaign(campaign, &who)?;
            ensure!(!c.paused, Error::<T>::CampaignPaused);
            ensure!(
                frame_system::Pallet::<T>::block_number() <= c.end,
                Error::<T>::CampaignEnded
            );
            c.paused = true;
            Campaigns::<T>::insert(campaign, c);
            Self::deposit_event(Event::CampaignPaused { campaign });
            Ok(())
        }

        /// Resumes a paused campaign. Advertiser only.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::resume())]
        pub fn resume(origin: OriginFor<T>, campaign: CampaignId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut c = Self::owned_campaign(campaign, &who)?;
            ensure!(c.paused, Error::<T>::CampaignNotPaused);
            c.paused = false;
            Campaigns::<T>::insert(campaign, c);
            Self::deposit_event(Event::CampaignResumed { campaign });
            Ok(())
        }

        /// Ends a campaign now: no report is taken after this block. Its pending reports
        /// still settle; it can be closed (refunded) `settlement_window` blocks later.
        /// Advertiser only.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::end_campaign())]
        pub fn end_campaign(origin: OriginFor<T>, campaign: CampaignId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut c = Self::owned_campaign(campaign, &who)?;
            let now = frame_system::Pallet::<T>::block_number();
            ensure!(now <= c.end, Error::<T>::CampaignEnded);
            c.end = now;
            Campaigns::<T>::insert(campaign, c);
            Self::deposit_event(Event::CampaignEnded { campaign, end: now });
            Ok(())
        }

        /// Reports `impressions` and `clicks` served for a campaign, logged off chain in
        /// the log whose hash is `log_hash`. Submits the `AdInteraction` witness event
        /// (the caller pays its fee) with [`report_payload_hash`] as payload hash.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::report_interactions())]
        pub fn report_interactions(
            origin: OriginFor<T>,
            campaign: CampaignId,
            impressions: u64,
            clicks: u64,
            log_hash: H256,
        ) -> DispatchResult {
            let publisher = ensure_signed(origin)?;
            Self::do_report(publisher, campaign, impressions, clicks, log_hash)
        }

        /// Settles reports whose witness receipt exists (permissionless). See the crate
        /// docs. Ids that name no pending report are skipped (`ReportUnknown`); the call
        /// fails only when none of them does. The weight is refunded to the work done.
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::settle_reports(report_ids.len() as u32))]
        pub fn settle_reports(
            origin: OriginFor<T>,
            report_ids: BoundedVec<ReportId, T::MaxSettlePerCall>,
        ) -> DispatchResultWithPostInfo {
            ensure_signed(origin)?;
            ensure!(!report_ids.is_empty(), Error::<T>::EmptyBatch);
            let (worked, skipped) = Self::do_settle(&report_ids)?;
            Ok(Some(Self::settle_weight(worked, skipped)).into())
        }

        /// Closes a campaign after `end + settlement_window` (anyone may): releases its
        /// remaining budget to the advertiser and removes it, its index entries, its
        /// per-publisher records and its unsettled reports (which expire).
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::close_campaign())]
        pub fn close_campaign(origin: OriginFor<T>, campaign: CampaignId) -> DispatchResult {
            ensure_signed(origin)?;
            Self::do_close(campaign)
        }

        /// Sets the parameters (GovernanceOrigin).
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::set_params())]
        pub fn set_params(origin: OriginFor<T>, params: ParamsOf<T>) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            Self::check_params(&params)?;
            ActiveParams::<T>::put(params.clone());
            Self::deposit_event(Event::ParamsSet { params });
            Ok(())
        }
    }
}

/// The class of every event this pallet submits.
pub const EVENT_CLASS: EventClass = EventClass::AdInteraction;

impl<T: Config> Pallet<T> {
    /// The campaign, if `who` is its advertiser.
    fn owned_campaign(
        campaign: CampaignId,
        who: &T::AccountId,
    ) -> Result<CampaignOf<T>, DispatchError> {
        let c = Campaigns::<T>::get(campaign).ok_or(Error::<T>::UnknownCampaign)?;
        ensure!(&c.advertiser == who, Error::<T>::NotAdvertiser);
        Ok(c)
    }

    /// Refuses parameters that make no sense, with a typed error.
    pub fn check_params(params: &ParamsOf<T>) -> DispatchResult {
        ensure!(!params.report_ttl.is_zero(), Error::<T>::ZeroReportTtl);
        ensure!(
            params.settlement_window >= params.report_ttl,
            Error::<T>::WindowShorterThanReportTtl
        );
        ensure!(
            !params.max_campaign_duration.is_zero(),
            Error::<T>::ZeroCampaignDuration
        );
        ensure!(!params.min_budget.is_zero(), Error::<T>::ZeroMinBudget);
        Ok(())
    }

    /// Releases `amount` of `advertiser`'s campaign hold (closing a campaign).
    fn release_budget(advertiser: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
        if amount.is_zero() {
            return Ok(());
        }
        T::Currency::release(
            &HoldReason::CampaignBudget.into(),
            advertiser,
            amount,
            Precision::Exact,
        )?;
        TotalHeld::<T>::mutate(|t| *t = t.saturating_sub(amount));
        Ok(())
    }
}
