//! The types pallet-payouts stores: its governance parameters, plans and subscriptions.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::__private::serde;
use scale_info::TypeInfo;
use sp_runtime::traits::Zero;

/// A plan's number, per creator: `0, 1, 2, …` in creation order, never reused (a retired
/// plan's number stays retired, so an old subscription can never be charged for a new
/// plan).
pub type PlanId = u32;

/// How many blocks past a wanted charge block a subscription may be scheduled when that
/// block's [`crate::Due`] list is full: the first block in `wanted..wanted + DUE_PROBE`
/// with room is taken. A subscriber gains at most this many blocks of free service.
pub const DUE_PROBE: u32 = 8;

/// Everything governance tunes, set whole by `set_params`.
///
/// The defaults suit EchoNet's 2-second blocks: a payout batch a day, up to 1,000
/// transfers and 250 subscription charges per block (together about 250 ms of the 1.5 s
/// block at the placeholder weights and EchoNet's `DbWeight`), plans of at least a day.
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
    /// Blocks between payout batches: at every block number divisible by it, everyone
    /// queued so far is paid (at most `max_payouts_per_block` per block). Non-zero.
    /// Default 43,200 (a day).
    pub payout_period: BlockNumber,
    /// How many creators `on_initialize` pays per block. At least 1; together with
    /// `max_charges_per_block` the hook must fit in a fifth of the block
    /// ([`crate::MAX_HOOK_SHARE`]). Default 1,000.
    pub max_payouts_per_block: u32,
    /// A creator owed less than this is not paid by a batch (it waits until a later
    /// credit queues it again, or claims). The existential deposit applies when it is
    /// lower: a smaller transfer to a new account would fail. Default 0 (so the
    /// existential deposit).
    pub min_payout: Balance,
    /// How many subscription charges (and empty schedule blocks walked) `on_initialize`
    /// does per block; the rest carry over to the next block. At least 1. Default 250.
    pub max_charges_per_block: u32,
    /// The shortest period a plan may have, in blocks. At least 1. Default 43,200 (a
    /// day): short periods multiply the charging work.
    pub min_plan_period: BlockNumber,
    /// The lowest price a plan may have (1 when lower). Default 0.
    pub min_plan_price: Balance,
}

/// A day of 2-second blocks.
const DAY: u32 = 43_200;

impl<Balance: Zero, BlockNumber: From<u32>> Default for Params<Balance, BlockNumber> {
    fn default() -> Self {
        Self {
            payout_period: DAY.into(),
            max_payouts_per_block: 1_000,
            min_payout: Zero::zero(),
            max_charges_per_block: 250,
            min_plan_period: DAY.into(),
            min_plan_price: Zero::zero(),
        }
    }
}

/// A creator's subscription plan: `price` charged every `period` blocks.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Plan<Balance, BlockNumber> {
    /// Charged each period, credited to the creator.
    pub price: Balance,
    /// Blocks between charges.
    pub period: BlockNumber,
}

/// A subscriber's subscription to one creator.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Subscription<BlockNumber> {
    /// The creator's plan it pays for.
    pub plan: PlanId,
    /// The block at whose start the next charge is due; the subscription is listed in
    /// [`crate::Due`] under it.
    pub next_charge: BlockNumber,
}

/// Why a subscription lapsed.
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
pub enum LapseReason {
    /// The subscriber could not pay the charge (keeping its account alive).
    ChargeFailed,
    /// The creator retired the plan.
    PlanRetired,
    /// No block within [`DUE_PROBE`] blocks of the next charge had room in its due list;
    /// the subscription lapses uncharged.
    ScheduleFull,
}
