//! The interfaces other pallets use to pay creators through this pallet's ledger.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::dispatch::DispatchResult;
use scale_info::TypeInfo;

/// Where a credit to the ledger came from: shown in events, so that a creator's wallet
/// can say what it was paid for.
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
pub enum CreditSource {
    /// A one-off tip.
    Tip,
    /// A subscription charge.
    Subscription,
    /// Ad revenue (pallet-ads).
    Ads,
    /// A proof-of-engagement reward (pallet-poe).
    Engagement,
}

/// One ledger of what each creator is owed. Other pallets credit it; the payouts pallet
/// pays it out in bounded batches each payout period, or when the creator claims.
///
/// A credit moves real funds into the ledger's account in the same call, so the ledger
/// always equals the funds it holds: the caller never credits without paying.
pub trait PayoutLedger<AccountId, Balance> {
    /// Moves `amount` from `payer`'s free balance into the ledger (keeping `payer`
    /// alive) and records it as owed to `creator`. Fails, changing nothing, when `payer`
    /// cannot pay or the ledger cannot take another creator.
    fn credit(
        payer: &AccountId,
        creator: &AccountId,
        amount: Balance,
        source: CreditSource,
    ) -> DispatchResult;

    /// The runtime's hold reason type (`RuntimeHoldReason`).
    type HoldReason;

    /// Moves `amount` held on `payer` under `reason` into the ledger and records it as
    /// owed to `creator` (pallet-ads pays from held campaign budgets this way). Fails,
    /// changing nothing, when less than `amount` is held.
    fn credit_from_hold(
        reason: &Self::HoldReason,
        payer: &AccountId,
        creator: &AccountId,
        amount: Balance,
        source: CreditSource,
    ) -> DispatchResult;

    /// The weight of one [`PayoutLedger::credit`] or [`PayoutLedger::credit_from_hold`]:
    /// callers add it to their own.
    fn credit_weight() -> frame_support::weights::Weight;
}

/// Where a creator's payouts go. An L1 account today; a rollup L2 account plugs in through
/// [`L2Payout`] without changing this pallet's storage.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum PayoutDestination<AccountId> {
    /// An account on this chain.
    L1(AccountId),
    /// An account on the rollup, by its L2 address (32 bytes), paid through [`L2Payout`].
    L2([u8; 32]),
}

/// Pays a creator's earnings into a rollup L2 account. The runtime plugs in the bridge
/// when it can deposit on a creator's behalf; `()` refuses, so `L2` destinations are
/// refused by `set_destination` until then.
pub trait L2Payout<AccountId, Balance> {
    /// Whether L2 payouts are available at all.
    fn available() -> bool;
    /// Moves `amount` from `from` (the ledger account) to the L2 account `to`.
    fn pay(from: &AccountId, to: &[u8; 32], amount: Balance) -> DispatchResult;
}

impl<AccountId, Balance> L2Payout<AccountId, Balance> for () {
    fn available() -> bool {
        false
    }
    fn pay(_: &AccountId, _: &[u8; 32], _: Balance) -> DispatchResult {
        Err(sp_runtime::DispatchError::Other(
            "L2 payouts are not available",
        ))
    }
}
