//! The types the pallet stores and takes as call arguments.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::__private::serde;
use frame_support::{pallet_prelude::*, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Perbill;

/// A reward period, counted from 0 at genesis.
pub type PeriodIndex = u32;

/// The domain tag of a score proposal's payload hash.
pub const SCORES_TAG: &[u8] = b"echonet/poe/scores";

/// The payload hash of a score proposal, the witness `Engagement` event the committee
/// attests: `blake2_256(("echonet/poe/scores", period, root, total_score, leaves)
/// .encode())` with `period: u32`, `root: H256`, `total_score: u128`, `leaves: u32`
/// (SCALE). The committee recomputes the tree from the period's attested engagement
/// events and votes `Valid` only if it gets this hash.
pub fn scores_payload_hash(
    period: PeriodIndex,
    root: &H256,
    total_score: u128,
    leaves: u32,
) -> H256 {
    H256(sp_io::hashing::blake2_256(
        &(SCORES_TAG, period, root, total_score, leaves).encode(),
    ))
}

/// Governance parameters, set whole by `set_params`.
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
pub struct Params<BlockNumber> {
    /// The length of a reward period in blocks (not zero). A change applies from the next
    /// period: the running one ends where it was due to end.
    pub period_length: BlockNumber,
    /// How many periods after its close a period can be claimed (not zero). Its
    /// unclaimed remainder then returns to the pool.
    pub claim_window: u32,
    /// The `Role::Creator` reputation an account needs, when it claims, to be paid.
    pub reputation_floor: u64,
    /// The largest score one account may have in a period (not zero). The aggregator
    /// caps scores at it; the pallet refuses a leaf above the cap the period closed with.
    pub score_cap: u128,
    /// The share of transaction fees the runtime routes into the pool account (read by
    /// the runtime's fee split, not by this pallet).
    pub fee_share: Perbill,
}

impl<BlockNumber: From<u32>> Default for Params<BlockNumber> {
    /// One day of 6-second blocks per period, a week to claim, a reputation floor of 1
    /// (an account the committee never saw behave earns nothing), a cap of 10¹² score
    /// points per account, 10% of fees.
    fn default() -> Self {
        Params {
            period_length: 14_400u32.into(),
            claim_window: 7,
            reputation_floor: 1,
            score_cap: 1_000_000_000_000,
            fee_share: Perbill::from_percent(10),
        }
    }
}

/// Where a closed period is.
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
pub enum PeriodState {
    /// Closed, waiting for an accepted score root.
    AwaitingScores,
    /// A root was accepted: accounts claim against it.
    Scored,
    /// Its claim window passed: nothing more is paid, its remainder went back to the
    /// pool. Its claim bitmap is being removed.
    Expired,
}

/// A closed period.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct PeriodInfo<Balance, BlockNumber> {
    /// The first block of the period.
    pub start: BlockNumber,
    /// The block at which it closed (the first block after it).
    pub end: BlockNumber,
    /// What the period pays out in total: the pool account's free balance, less its
    /// existential deposit and what older open periods still owe, when it closed.
    pub pool: Balance,
    /// The score cap in force when it closed: a leaf above it is refused.
    pub score_cap: u128,
    /// The accepted root, once accepted.
    pub root: Option<H256>,
    /// The accepted total score (the divisor of every share).
    pub total_score: u128,
    /// The accepted number of leaves.
    pub leaves: u32,
    /// What its claims paid so far (never above `pool`).
    pub paid: Balance,
    /// Where it is.
    pub state: PeriodState,
}

/// One claim: leaf `index` of a period's tree says `account` scored `score`.
#[derive(
    CloneNoBound,
    PartialEqNoBound,
    EqNoBound,
    DebugNoBound,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
#[scale_info(skip_type_params(MaxDepth))]
// The bounds let the `NoBound` derives (which need no `MaxDepth: Clone`, etc.) compile;
// clippy sees them again in the derives' expansion.
#[allow(clippy::multiple_bound_locations)]
pub struct Claim<AccountId: Clone + PartialEq + Eq + core::fmt::Debug, MaxDepth: Get<u32>> {
    /// The leaf's index (its position in the aggregator's account order).
    pub index: u32,
    /// The account paid.
    pub account: AccountId,
    /// Its score in the period.
    pub score: u128,
    /// The Merkle proof, siblings bottom-up (see [`crate::merkle`]).
    pub proof: BoundedVec<H256, MaxDepth>,
}
