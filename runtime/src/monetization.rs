//! Monetization (issue 15): creator payouts (pallet-payouts, index 24), the ad marketplace
//! (pallet-ads, 25) and proof-of-engagement rewards (pallet-poe, 26).
//!
//! All three settle in batches and pay creators through one ledger, pallet-payouts'
//! [`pallet_payouts::PayoutLedger`]: ad revenue (from held campaign budgets) and engagement
//! rewards (from the PoE pool) are credited to it, tips and subscriptions too, and the
//! ledger pays out each payout period in bounded batches or when a creator claims. Ads and
//! PoE results are computed off chain and attested by pallet-witness's committees (event
//! classes `AdInteraction` and `Engagement`); each receipt is settled once, with
//! `ReceiptProvider::consume`, in the call that pays on it. Every tunable is set by the
//! `parameters` track (or Root).

use super::*;
use frame_support::{parameter_types, traits::ConstU32, PalletId};

parameter_types! {
    /// Derives the payouts ledger's account. Changing it moves the ledger: never do that
    /// on a live chain.
    pub const PayoutsPalletId: PalletId = PalletId(*b"ech/pays");
}

/// Benchmarks of `credit_from_hold` hold funds under pallet-witness's staking reason.
#[cfg(feature = "runtime-benchmarks")]
pub struct PayoutsBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_payouts::BenchmarkHelper<RuntimeHoldReason> for PayoutsBenchmarkHelper {
    fn hold_reason() -> RuntimeHoldReason {
        pallet_witness::HoldReason::Staking.into()
    }
}

impl pallet_payouts::Config for Runtime {
    type Currency = Balances;
    /// The `parameters` track (or Root).
    type GovernanceOrigin = crate::configs::ParametersOrRoot;
    type PalletId = PayoutsPalletId;
    /// No L2 payouts yet: `set_destination(L2)` is refused until the bridge can deposit on
    /// a creator's behalf.
    type L2 = ();
    /// A creator offers at most 16 plans at once.
    type MaxPlansPerCreator = ConstU32<16>;
    /// A subscriber holds at most 64 subscriptions.
    type MaxSubscriptionsPerSubscriber = ConstU32<64>;
    /// At most 1,000 subscriptions are due at one block (a full block's list moves a new
    /// one to a later block).
    type MaxDuePerBlock = ConstU32<1_000>;
    /// At most 100,000 creators wait in the payout queue (a hundred full blocks of
    /// payouts at the default 1,000 a block).
    type MaxQueue = ConstU32<100_000>;
    /// Measured natively (`benchmark pallet --pallet pallet_payouts`).
    type WeightInfo = crate::weights::pallet_payouts::WeightInfo<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = PayoutsBenchmarkHelper;
}

impl pallet_ads::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    /// The `parameters` track (or Root).
    type GovernanceOrigin = crate::configs::ParametersOrRoot;
    /// Publishers are credited in the payouts ledger, from the campaign's held budget.
    type Ledger = Payouts;
    /// Reports are attested by the `AdInteraction` committee.
    type Submitter = Witness;
    type Receipts = Witness;
    type Reputation = Reputation;
    /// The protocol share of every settled report goes to the treasury.
    type TreasuryAccount = crate::fees::TreasuryAccount;
    /// A campaign targets at most 8 categories.
    type MaxCategories = ConstU32<8>;
    /// At most 512 live campaigns per category: `AdsApi_candidates` sorts at most that.
    type MaxCampaignsPerCategory = ConstU32<512>;
    /// An advertiser runs at most 64 campaigns at once.
    type MaxCampaignsPerAdvertiser = ConstU32<64>;
    /// At most 16,384 reports wait for their receipts (the witness pallet's receipt share
    /// for `AdInteraction` is 13,107).
    type MaxPendingReports = ConstU32<16_384>;
    /// At most 2,048 unsettled reports and publishers per campaign: what `close_campaign`
    /// removes in one call.
    type MaxPendingReportsPerCampaign = ConstU32<2_048>;
    type MaxPublishersPerCampaign = ConstU32<2_048>;
    /// `settle_reports` takes up to 1,000 reports (the goal: 1,000 a block).
    type MaxSettlePerCall = ConstU32<1_000>;
    /// Measured natively (`benchmark pallet --pallet pallet_ads`).
    type WeightInfo = crate::weights::pallet_ads::WeightInfo<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = pallet_ads::WitnessBenchmarkHelper<Runtime>;
}

parameter_types! {
    /// Derives the proof-of-engagement pool's account. Changing it moves the pool: never
    /// do that on a live chain.
    pub const PoePalletId: PalletId = PalletId(*b"ech/poep");
}

impl pallet_poe::Config for Runtime {
    type Currency = Balances;
    /// The `parameters` track (or Root).
    type GovernanceOrigin = crate::configs::ParametersOrRoot;
    type PalletId = PoePalletId;
    /// Rewards are credited to the payouts ledger from the pool.
    type Ledger = Payouts;
    /// Score roots are attested by the `Engagement` committee.
    type Submitter = Witness;
    type Receipts = Witness;
    /// The reputation floor reads `Role::Creator` scores.
    type Reputation = Reputation;
    /// 32 levels: periods of up to 2^32 accounts (a million is 20).
    type MaxProofDepth = ConstU32<32>;
    /// `claim_many` pays up to 1,000 claims at once.
    type MaxClaimsPerCall = ConstU32<1_000>;
    /// Expired periods' claim bitmaps are removed 512 keys a block.
    type MaxClearPerBlock = ConstU32<512>;
    /// Measured natively (`benchmark pallet --pallet pallet_poe`).
    type WeightInfo = crate::weights::pallet_poe::WeightInfo<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = PoeBenchmarkHelper;
}

/// Benchmark set-up for pallet-poe against the real witness and reputation pallets: it
/// seats the submitter alone on the `Engagement` committee, writes receipts into
/// pallet-witness's `Receipts` and rewards reputation through pallet-reputation.
#[cfg(feature = "runtime-benchmarks")]
pub struct PoeBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_poe::BenchmarkHelper<AccountId> for PoeBenchmarkHelper {
    fn prepare_submitter(who: &AccountId) {
        use frame_support::traits::fungible::Mutate;
        let _ = <Balances as Mutate<AccountId>>::set_balance(who, 1_000_000 * UNITS);
        let epoch = pallet_witness::CommitteeEpoch::<Runtime>::get().unwrap_or_else(|| {
            pallet_witness::CommitteeEpoch::<Runtime>::put(0);
            0
        });
        let class = pallet_witness::EventClass::Engagement;
        if !pallet_witness::Committees::<Runtime>::contains_key(epoch, class) {
            pallet_witness::Committees::<Runtime>::insert(
                epoch,
                class,
                pallet_witness::Committee {
                    members: frame_support::BoundedVec::truncate_from(alloc::vec![who.clone()]),
                    min_stake: 0,
                    size: 1,
                    quorum: 1,
                },
            );
        }
    }

    fn set_receipt(payload_hash: sp_core::H256, verdict: pallet_witness::Verdict) {
        let class = pallet_witness::EventClass::Engagement;
        pallet_witness::Receipts::<Runtime>::insert(
            pallet_witness::event_id(class, &payload_hash),
            pallet_witness::Receipt {
                class,
                payload_hash,
                verdict,
                epoch: 0,
                resolved_at: System::block_number(),
                agreeing: 1,
            },
        );
    }

    fn set_reputation(who: &AccountId, score: u64) {
        use pallet_reputation::ReputationHandler;
        <Reputation as ReputationHandler<AccountId>>::reward(
            who,
            pallet_reputation::Role::Creator,
            score,
        );
    }
}
