//! The types pallet-ads stores, takes in calls and returns from its runtime API.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::__private::serde;
use frame_support::{pallet_prelude::*, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::{traits::AtLeast32BitUnsigned, Perbill};

/// A campaign's id: a counter, never reused.
pub type CampaignId = u64;
/// A report's id: a counter, never reused (it is part of the report's payload hash, so a
/// report can never be confused with an earlier one).
pub type ReportId = u64;
/// An ad category (a topic the off-chain decisioning matches content against).
pub type Category = u32;

/// The most candidates [`crate::Pallet::candidates`] returns, whatever `max` asks for.
pub const MAX_CANDIDATES: u32 = 256;

/// How a campaign pays publishers.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    Debug,
)]
pub enum Pricing {
    /// Cost per mille: `price` buys 1,000 impressions. A report of `i` impressions is due
    /// `i × price / 1000`, rounded down.
    Cpm,
    /// Cost per click: `price` buys one click. A report of `c` clicks is due `c × price`.
    Cpc,
}

/// An advertiser's campaign. Its `remaining` budget is held on the advertiser's account
/// under `HoldReason::CampaignBudget` (one hold per advertiser: the sum of the remaining
/// budgets of all its campaigns).
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
#[scale_info(skip_type_params(MaxCategories))]
pub struct Campaign<AccountId, Balance, BlockNumber, MaxCategories: Get<u32>> {
    /// Who pays, and gets what is left back when the campaign is closed.
    pub advertiser: AccountId,
    /// CPM or CPC.
    pub pricing: Pricing,
    /// Per 1,000 impressions (CPM) or per click (CPC), in the currency's base units.
    pub price: Balance,
    /// The categories it is shown in (sorted, no duplicates, at least one).
    pub categories: BoundedVec<crate::Category, MaxCategories>,
    /// The first block in which publishers may report.
    pub start: BlockNumber,
    /// The last block in which publishers may report. `end_campaign` moves it to now.
    pub end: BlockNumber,
    /// The most the campaign pays any one publisher over its life.
    pub per_publisher_cap: Balance,
    /// What is still held for it: the budget plus top-ups, less everything paid.
    pub remaining: Balance,
    /// Everything paid so far (publishers and protocol share).
    pub spent: Balance,
    /// Paused campaigns take no reports and are not candidates; pending reports still
    /// settle.
    pub paused: bool,
    /// Impressions of the reports settled `Valid` (for the CTR of CPC campaigns).
    pub settled_impressions: u64,
    /// Clicks of the reports settled `Valid`.
    pub settled_clicks: u64,
    /// Reports stored and not yet settled, expired or dropped.
    pub pending_reports: u32,
    /// Publishers that have reported on it (entries in `PublisherSpent`).
    pub publishers: u32,
}

/// A publisher's report of interactions with a campaign's ads, waiting for the
/// `AdInteraction` committee's receipt.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Report<AccountId, BlockNumber> {
    /// The campaign.
    pub campaign: CampaignId,
    /// Who reported, and is paid.
    pub publisher: AccountId,
    /// Impressions claimed.
    pub impressions: u64,
    /// Clicks claimed.
    pub clicks: u64,
    /// The hash of the off-chain interaction log the committee checks.
    pub log_hash: H256,
    /// The block it was reported in (it expires `report_ttl` later without a receipt).
    pub submitted_at: BlockNumber,
}

/// What [`crate::Pallet::candidates`] (the `AdsApi_candidates` runtime API) returns for
/// each campaign that can be shown now.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Candidate<AccountId, Balance, BlockNumber> {
    /// The campaign.
    pub campaign: CampaignId,
    /// Its advertiser.
    pub advertiser: AccountId,
    /// CPM or CPC.
    pub pricing: Pricing,
    /// Its price (per 1,000 impressions or per click).
    pub price: Balance,
    /// What 1,000 impressions are expected to earn: `price` for CPM; for CPC
    /// `price × 1000 × (settled_clicks + 1) / (settled_impressions + 100)`, rounded down.
    /// Candidates are ordered by it, highest first (ties: lower campaign id first).
    pub effective_bid: Balance,
    /// Budget left.
    pub remaining: Balance,
    /// The most it pays one publisher.
    pub per_publisher_cap: Balance,
    /// Its last reporting block.
    pub end: BlockNumber,
}

/// Governance parameters, set as a whole by `set_params` and checked by
/// [`crate::Pallet::check_params`].
#[derive(
    Clone,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    Debug,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(crate = "frame_support::__private::serde", rename_all = "camelCase")]
pub struct Params<Balance, BlockNumber> {
    /// The share of every settled payment that goes to the treasury. Default 10%.
    pub protocol_share: Perbill,
    /// Blocks after a campaign's end during which its reports can still settle; the
    /// campaign can be closed (and refunded) only after it. At least `report_ttl`, so that
    /// every report made before the end can settle or expire first. Default 14,400 (a day
    /// of 6 s blocks).
    pub settlement_window: BlockNumber,
    /// A report with no receipt this many blocks after it was made is dropped by the next
    /// `settle_reports` that names it (its event expired unresolved, or its `Invalid`
    /// receipt was pruned). Must be at least the witness `event_ttl`. Default 3,600.
    pub report_ttl: BlockNumber,
    /// The furthest a campaign's `end` may lie after the block it is created in (a later
    /// `start` does not extend it): campaigns hold category slots, so none holds one
    /// forever. Default 864,000 (60 days of 6 s blocks).
    pub max_campaign_duration: BlockNumber,
    /// Reputation (`Role::Creator`) a publisher gains per report settled `Valid`.
    /// Default 1.
    pub report_reputation_reward: u64,
    /// Reputation (`Role::Creator`) a publisher loses per report settled `Invalid`.
    /// Default 10.
    pub report_reputation_penalty: u64,
    /// The smallest budget a campaign is created with (not zero): dust campaigns would
    /// crowd the bounded category lists. Default 1,000,000,000,000 base units (1 token of
    /// 12 decimals); runtimes set it in their own units.
    pub min_budget: Balance,
}

impl<Balance: AtLeast32BitUnsigned, BlockNumber: From<u32>> Default
    for Params<Balance, BlockNumber>
{
    fn default() -> Self {
        Params {
            protocol_share: Perbill::from_percent(10),
            settlement_window: 14_400u32.into(),
            report_ttl: 3_600u32.into(),
            max_campaign_duration: 864_000u32.into(),
            report_reputation_reward: 1,
            report_reputation_penalty: 10,
            min_budget: Balance::from(1_000_000u32).saturating_mul(Balance::from(1_000_000u32)),
        }
    }
}

/// The payload hash a report's `AdInteraction` witness event carries: what the committee
/// recomputes from the interaction log before it votes `Valid`.
///
/// `blake2_256(SCALE(("echonet/ads/report", report_id, campaign, publisher, impressions,
/// clicks, log_hash)))`, where the tag is a SCALE `str` (compact length 18, then its
/// bytes), `report_id` and `campaign` are `u64` little-endian, `publisher` is the
/// account's SCALE encoding (32 bytes for an `AccountId32`), `impressions` and `clicks`
/// are `u64` little-endian and `log_hash` is 32 raw bytes.
pub fn report_payload_hash<AccountId: Encode>(
    report_id: ReportId,
    campaign: CampaignId,
    publisher: &AccountId,
    impressions: u64,
    clicks: u64,
    log_hash: &H256,
) -> H256 {
    H256(sp_io::hashing::blake2_256(
        &(
            "echonet/ads/report",
            report_id,
            campaign,
            publisher,
            impressions,
            clicks,
            log_hash,
        )
            .encode(),
    ))
}

/// Makes the witness state a benchmark needs, in the runtime that benchmarks this pallet
/// against its real `Submitter` and `Receipts` (pallet-witness).
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
    /// Makes `Submitter::submit(who, AdInteraction, _)` succeed: a committee for the
    /// class, and `who` funded for the event fee.
    fn prepare_submitter(who: &AccountId);
    /// Gives (`class`, `payload_hash`) a retained receipt with `verdict`.
    fn resolve(
        class: pallet_witness::EventClass,
        payload_hash: H256,
        verdict: pallet_witness::Verdict,
    );
}

/// A [`BenchmarkHelper`] for a runtime whose `Submitter` and `Receipts` are
/// pallet-witness: it seats the publisher alone on a committee for `AdInteraction` when
/// the current epoch has none, funds it, and writes receipts straight into the witness
/// pallet's `Receipts`. The witness pallet's parameters must be set (genesis). Benchmark
/// set-up only: it writes another pallet's storage, which nothing else here does.
#[cfg(feature = "runtime-benchmarks")]
pub struct WitnessBenchmarkHelper<T>(core::marker::PhantomData<T>);

#[cfg(feature = "runtime-benchmarks")]
impl<T: pallet_witness::Config> BenchmarkHelper<T::AccountId> for WitnessBenchmarkHelper<T> {
    fn prepare_submitter(who: &T::AccountId) {
        use frame_support::traits::fungible::{Inspect, Mutate};
        use sp_runtime::traits::{Saturating, Zero};
        type Currency<T> = <T as pallet_witness::Config>::Currency;
        let funds = Currency::<T>::minimum_balance()
            .max(1u32.into())
            .saturating_mul(1_000_000_000u32.into());
        Currency::<T>::set_balance(who, funds);
        let epoch = pallet_witness::CommitteeEpoch::<T>::get().unwrap_or_else(|| {
            pallet_witness::CommitteeEpoch::<T>::put(0);
            0
        });
        let class = pallet_witness::EventClass::AdInteraction;
        if !pallet_witness::Committees::<T>::contains_key(epoch, class) {
            pallet_witness::Committees::<T>::insert(
                epoch,
                class,
                pallet_witness::Committee {
                    members: BoundedVec::truncate_from(alloc::vec![who.clone()]),
                    min_stake: Zero::zero(),
                    size: 1,
                    quorum: 1,
                },
            );
        }
    }

    fn resolve(
        class: pallet_witness::EventClass,
        payload_hash: H256,
        verdict: pallet_witness::Verdict,
    ) {
        pallet_witness::Receipts::<T>::insert(
            pallet_witness::event_id(class, &payload_hash),
            pallet_witness::Receipt {
                class,
                payload_hash,
                verdict,
                epoch: 0,
                resolved_at: frame_system::Pallet::<T>::block_number(),
                agreeing: 1,
            },
        );
    }
}
