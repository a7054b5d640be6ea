//! The types the pallet stores and takes as call arguments, and the pure functions of the
//! protocol (quorum size, commit hash, median) that clients recompute.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::__private::serde;
use frame_support::{pallet_prelude::*, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::{traits::AtLeast32BitUnsigned, Perbill};

/// A domain, numbered from 0 in registration order.
pub type DomainId = u32;
/// An optimum, numbered from 0 in submission order over all domains.
pub type OptimumId = u64;
/// A reward epoch, counted from 0 at genesis. An epoch that does not release its reward
/// keeps its index (it is extended), so indices count released epochs.
pub type EpochIndex = u32;
/// A verification round of an optimum: 0, then 1 for the escalated quorum of 2K.
pub type Round = u8;

/// The commit an evaluator sends for its score: `blake2_256(SCALE((optimum, round, score,
/// salt, evaluator)))` with `optimum: u64`, `round: u8`, `score: i64` (little-endian),
/// `salt: [u8; 32]` (raw) and `evaluator` the account's SCALE encoding (32 raw bytes for an
/// `AccountId32`). Binding the evaluator and the round stops an evaluator from replaying
/// another's commit, or its own from round 0, as its own.
pub fn commit_hash<AccountId: Encode>(
    optimum: OptimumId,
    round: Round,
    score: i64,
    salt: &[u8; 32],
    evaluator: &AccountId,
) -> H256 {
    H256(sp_io::hashing::blake2_256(
        &(optimum, round, score, salt, evaluator).encode(),
    ))
}

/// `ceil(sqrt(n))`, in integers.
pub fn ceil_sqrt(n: u32) -> u32 {
    // The smallest r with r² ≥ n, by bisection (no floats in the runtime): 65,536² ≥ 2³².
    let n = u64::from(n);
    let (mut lo, mut hi) = (0u64, 65_536u64);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if mid * mid >= n {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo as u32
}

/// The quorum a domain whose pool has `pool` members draws for round `round`:
/// `K = max(3, ceil(sqrt(pool)))` for round 0 and `2K` for the escalated round 1, at most
/// `max_quorum`. The draw takes fewer when fewer members are eligible.
pub fn quorum_size(pool: u32, round: Round, max_quorum: u32) -> u32 {
    let k = ceil_sqrt(pool).max(3);
    let k = if round == 0 { k } else { k.saturating_mul(2) };
    k.min(max_quorum)
}

/// The lower median of `sorted` (ascending, not empty): the middle element, or the lower of
/// the two middle ones for an even count. A minority of fewer than half the revealers
/// cannot move it outside the honest scores' range.
pub fn lower_median(sorted: &[i64]) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    sorted.get((sorted.len() - 1) / 2).copied()
}

/// `|a − b|` without overflow.
pub fn distance(a: i64, b: i64) -> u64 {
    (i128::from(a) - i128::from(b)).unsigned_abs() as u64
}

/// Which way a domain's metric improves.
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
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(crate = "frame_support::__private::serde")]
pub enum Direction {
    /// A higher score is better (accuracy, reward).
    HigherIsBetter,
    /// A lower score is better (loss, cost).
    LowerIsBetter,
}

impl Direction {
    /// Whether `a` is strictly better than `b`.
    pub fn better(self, a: i64, b: i64) -> bool {
        match self {
            Direction::HigherIsBetter => a > b,
            Direction::LowerIsBetter => a < b,
        }
    }

    /// How much better `a` is than `b` (negative if worse), in i128 so that it never
    /// overflows.
    pub fn gain(self, a: i64, b: i64) -> i128 {
        match self {
            Direction::HigherIsBetter => i128::from(a) - i128::from(b),
            Direction::LowerIsBetter => i128::from(b) - i128::from(a),
        }
    }
}

/// A registered domain.
#[derive(
    CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxNameLen))]
pub struct Domain<MaxNameLen: Get<u32>> {
    /// A human-readable name (UTF-8 by convention, not checked).
    pub name: BoundedVec<u8, MaxNameLen>,
    /// Which way the metric improves.
    pub direction: Direction,
    /// The content hash of the evaluation spec (data, metric, command): what evaluators
    /// run. `blake2_256` of the spec file for the example domain.
    pub spec_hash: H256,
    /// The absolute tolerance, in score units: a claim is accepted when the median revealed
    /// score is within it, and an evaluator agrees when its score is.
    pub tolerance: u64,
    /// The domain's weight in the epoch reward, per accepted contribution (not zero).
    pub reward_weight: u32,
    /// The share of each released epoch reward the domain gets first when it is active.
    pub min_share: Perbill,
    /// The best accepted score so far (the verdict's median), if any.
    pub best: Option<i64>,
    /// Optimums submitted and not yet closed.
    pub open: u32,
    /// The evaluators' share of the domain's epoch reward; moves each released epoch by
    /// `split_step` toward the scarce role, within `[min_eval_share, max_eval_share]`.
    pub eval_share: Perbill,
    /// The epoch `demanded` counts for.
    pub demand_epoch: EpochIndex,
    /// Evaluations demanded (quorum seats drawn) in `demand_epoch`.
    pub demanded: u32,
}

/// A domain's evaluator pool: its slots `0..size` and the Fenwick tree over their weights.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct Pool {
    /// Members (slots `0..size` are taken).
    pub size: u32,
    /// The sum of the members' weights (the Fenwick tree's total).
    pub total: u128,
}

/// A pool slot: who holds it and its weight in the Fenwick tree.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Slot<AccountId> {
    /// The member.
    pub who: AccountId,
    /// Its weight as the tree has it: `bond × (reputation_base + Evaluator reputation)` when
    /// it was last refreshed.
    pub weight: u128,
}

/// An evaluator's membership of one domain's pool.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Member<Balance> {
    /// Its slot in the pool.
    pub slot: u32,
    /// Its bond, held as `HoldReason::EvaluatorBond`.
    pub bond: Balance,
    /// Open quorum rounds it sits in: while not zero its bond cannot be released, since
    /// not revealing there is slashed.
    pub serving: u32,
}

/// Where an optimum is.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub enum Phase<BlockNumber> {
    /// Its quorum for the current round is drawn in `on_initialize` of block `at` or later.
    AwaitingDraw {
        /// The first block the draw may happen in.
        at: BlockNumber,
    },
    /// Its quorum is drawn: commits in `[drawn, commit_until)`, reveals in
    /// `[commit_until, reveal_until)`, verdict from `reveal_until`.
    Voting {
        /// The first block in which commits are refused and reveals accepted.
        commit_until: BlockNumber,
        /// The first block in which reveals are refused and the verdict is due.
        reveal_until: BlockNumber,
    },
}

/// An optimum not yet closed.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Optimum<AccountId, Balance, BlockNumber> {
    /// Its domain.
    pub domain: DomainId,
    /// Who submitted it.
    pub optimizer: AccountId,
    /// The content hash of the model or parameters (evaluators fetch it by this hash).
    pub content_hash: H256,
    /// The score the optimizer claims.
    pub claimed: i64,
    /// Its deposit, held as `HoldReason::OptimumDeposit`.
    pub deposit: Balance,
    /// The current round (0, or 1 once escalated).
    pub round: Round,
    /// Where it is.
    pub phase: Phase<BlockNumber>,
    /// The size of the current round's quorum (0 before its draw).
    pub quorum: u32,
}

/// One quorum member's ballot in one round.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct Ballot {
    /// Its commit, once sent.
    pub commit: Option<H256>,
    /// Its revealed score, once revealed.
    pub revealed: Option<i64>,
}

/// Why an optimum went to a second, larger quorum.
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
pub enum EscalationReason {
    /// The revealed scores spread over more than twice the tolerance.
    Disagreement,
    /// The claimed gain over the domain's best exceeds `large_gain`.
    LargeGain,
    /// Fewer than `min_reveals` members revealed.
    TooFewReveals,
}

/// How an optimum closed.
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
pub enum Outcome {
    /// The median was within tolerance of the claim: deposit returned, contribution
    /// recorded.
    Accepted,
    /// It was not: deposit to the treasury.
    Refused,
    /// No verdict possible (too few reveals after escalation, or no eligible evaluator):
    /// deposit returned, nothing recorded.
    Undecided,
}

/// Reputation points the pallet gives and takes.
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
pub struct ReputationPoints {
    /// `Role::Optimizer` gain for an accepted optimum.
    pub accepted: u64,
    /// `Role::Optimizer` loss for a refused one.
    pub refused: u64,
    /// `Role::Evaluator` gain for a revealed score within tolerance of the verdict.
    pub agree: u64,
    /// `Role::Evaluator` loss for a revealed score farther than `far_factor × tolerance`.
    pub far: u64,
    /// `Role::Evaluator` loss for a quorum seat not revealed.
    pub no_reveal: u64,
}

/// Governance parameters, set whole by `set_params` and checked by
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
    /// Blocks between a submission (or an escalation) and its quorum draw (≥ 1): the
    /// randomness the draw uses is not known when the optimum is submitted. Default 2.
    pub draw_delay: BlockNumber,
    /// Blocks in which the quorum commits (≥ 1). Default 10.
    pub commit_window: BlockNumber,
    /// Blocks in which it reveals, after the commit window (≥ 1). Default 10.
    pub reveal_window: BlockNumber,
    /// Most quorum draws `on_initialize` makes per block (≥ 1); the rest wait. Default 4.
    pub max_draws_per_block: u32,
    /// Most verdicts `on_initialize` makes per block (≥ 1); the rest wait (or anyone calls
    /// `finalize`). Default 4.
    pub max_verdicts_per_block: u32,
    /// Most epoch reward entries credited to claimable balances per block (≥ 1).
    /// Default 256.
    pub max_payouts_per_block: u32,
    /// Fewest revealed scores for a verdict (≥ 1; capped at the quorum size): fewer
    /// escalates once, then closes the optimum undecided. Default 3.
    pub min_reveals: u32,
    /// A claimed gain over the domain's best above this share of `|best|` escalates to 2K.
    /// Default 10%.
    pub large_gain: Perbill,
    /// An evaluator farther than `far_factor × tolerance` from the verdict loses
    /// reputation (≥ 1). Default 3.
    pub far_factor: u32,
    /// Held from the optimizer per submission; lost to the treasury if refused.
    pub optimum_deposit: Balance,
    /// The smallest bond of a pool member (not zero).
    pub min_bond: Balance,
    /// Share of a member's bond slashed (to the treasury) per quorum seat it did not
    /// reveal. Default 1%.
    pub no_reveal_slash: Perbill,
    /// Added to the `Role::Evaluator` reputation in a member's weight
    /// `bond × (reputation_base + reputation)` (≥ 1, so that a new member can be drawn).
    /// Default 100.
    pub reputation_base: u64,
    /// Reputation points given and taken.
    pub points: ReputationPoints,
    /// Blocks per reward epoch (≥ 1). Default 14,400 (a day of 6 s blocks).
    pub epoch_length: BlockNumber,
    /// What each epoch may release from the pot (if the pot holds it).
    pub epoch_reward: Balance,
    /// Accepted contributions over all domains an epoch needs to release its reward;
    /// below it the epoch is extended by `epoch_length` and its reward carries over.
    /// Default 1.
    pub release_threshold: u32,
    /// Accepted contributions an active domain needs in an epoch to be paid; below it its
    /// share goes to its carry (paid with its next paid epoch). Default 1.
    pub min_contributions: u32,
    /// The treasury's share of each domain's epoch reward. Default 5%.
    pub treasury_share: Perbill,
    /// The evaluators' share a new domain starts with. Default 30% (65/30/5).
    pub initial_eval_share: Perbill,
    /// The lowest evaluators' share. Default 10%.
    pub min_eval_share: Perbill,
    /// The highest evaluators' share (`+ treasury_share ≤ 100%`). Default 60%.
    pub max_eval_share: Perbill,
    /// How far the evaluators' share moves per released epoch. Default 2%.
    pub split_step: Perbill,
    /// Target evaluations (quorum seats) per pool member per epoch: above it the
    /// evaluators' share rises, below half of it it falls. Default 10.
    pub target_load: u32,
}

impl<Balance: AtLeast32BitUnsigned, BlockNumber: From<u32>> Default
    for Params<Balance, BlockNumber>
{
    fn default() -> Self {
        let unit = Balance::from(1_000_000u32).saturating_mul(Balance::from(1_000_000u32));
        Params {
            draw_delay: 2u32.into(),
            commit_window: 10u32.into(),
            reveal_window: 10u32.into(),
            max_draws_per_block: 4,
            max_verdicts_per_block: 4,
            max_payouts_per_block: 256,
            min_reveals: 3,
            large_gain: Perbill::from_percent(10),
            far_factor: 3,
            optimum_deposit: unit.clone().saturating_mul(Balance::from(10u32)),
            min_bond: unit.clone().saturating_mul(Balance::from(100u32)),
            no_reveal_slash: Perbill::from_percent(1),
            reputation_base: 100,
            points: ReputationPoints {
                accepted: 10,
                refused: 20,
                agree: 1,
                far: 5,
                no_reveal: 10,
            },
            epoch_length: 14_400u32.into(),
            epoch_reward: unit.saturating_mul(Balance::from(1_000u32)),
            release_threshold: 1,
            min_contributions: 1,
            treasury_share: Perbill::from_percent(5),
            initial_eval_share: Perbill::from_percent(30),
            min_eval_share: Perbill::from_percent(10),
            max_eval_share: Perbill::from_percent(60),
            split_step: Perbill::from_percent(2),
            target_load: 10,
        }
    }
}

/// A domain registered at genesis.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(crate = "frame_support::__private::serde", rename_all = "camelCase")]
pub struct GenesisDomain {
    /// Its name.
    pub name: alloc::vec::Vec<u8>,
    /// Which way its metric improves.
    pub direction: Direction,
    /// The content hash of its evaluation spec.
    pub spec_hash: H256,
    /// Its absolute tolerance.
    pub tolerance: u64,
    /// Its reward weight (not zero).
    pub reward_weight: u32,
    /// Its minimum share of a released epoch reward.
    pub min_share: Perbill,
}

/// The running epoch.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct EpochInfo<Balance, BlockNumber> {
    /// Its index.
    pub index: EpochIndex,
    /// The block whose `on_initialize` closes it (or extends it).
    pub ends_at: BlockNumber,
    /// The reward it may release: `epoch_reward` per `epoch_length` it ran (it grows when
    /// the epoch is extended).
    pub accrued: Balance,
    /// Accepted contributions so far, over all domains.
    pub contributions: u32,
    /// `Σ reward_weight` over those contributions.
    pub total_weight: u128,
    /// `Σ min_share` over the active domains, in parts per billion (may exceed 10⁹).
    pub min_share_sum: u64,
}

/// A domain's record of the running epoch (it is active once `contributions > 0`).
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct Tally {
    /// The epoch it counts.
    pub epoch: EpochIndex,
    /// Accepted contributions.
    pub contributions: u32,
    /// `Σ reward_weight` over them.
    pub weight: u128,
    /// The domain's `min_share` when it became active this epoch.
    pub min_share: Perbill,
    /// Optimizer points (one per accepted optimum).
    pub optimizer_points: u64,
    /// Evaluator points (one per revealed score within tolerance of a verdict).
    pub evaluator_points: u64,
    /// Accounts with points in this domain and epoch (payout entries to process).
    pub accounts: u32,
}

/// What a paid domain distributes for one epoch, entry by entry.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct DomainPayout<Balance> {
    /// The optimizers' part.
    pub optimizer_pot: Balance,
    /// Their points.
    pub optimizer_points: u64,
    /// The evaluators' part.
    pub evaluator_pot: Balance,
    /// Their points.
    pub evaluator_points: u64,
    /// Not yet credited (rounding dust is freed when the last entry is processed).
    pub remaining: Balance,
    /// Entries not yet processed.
    pub entries: u32,
}

/// An account's points in one domain and epoch.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct Points {
    /// As an optimizer.
    pub optimizer: u32,
    /// As an evaluator.
    pub evaluator: u32,
}

/// The FIFO queues of the hooks: `head..tail` are waiting.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct Queue {
    /// The next entry to look at.
    pub head: u64,
    /// The next free index.
    pub tail: u64,
}
