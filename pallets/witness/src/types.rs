//! The types pallet-witness stores and the traits it offers other pallets.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::__private::serde;
use frame_support::{pallet_prelude::*, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Perbill;

/// An era: `SessionsPerEra` sessions with one validator set.
pub type EraIndex = u32;
/// A session, as pallet-session counts them.
pub type SessionIndex = u32;
/// A randomness epoch, as the runtime's randomness source counts them.
pub type EpochIndex = u64;
/// An event submitted for validation is known by the hash of its class and payload hash.
pub type EventId = H256;

/// Funds that stop being bonded at the start of `era`, when they can be withdrawn.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct UnlockChunk<Balance> {
    /// The amount.
    pub value: Balance,
    /// The first era in which it can be withdrawn.
    pub era: EraIndex,
}

/// The bond of one account. The account is both stash and controller: one key fewer to
/// manage, at the cost of keeping the bonding key online (documented choice).
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
#[scale_info(skip_type_params(MaxChunks))]
pub struct StakingLedger<Balance, MaxChunks: Get<u32>> {
    /// Everything on hold for staking: `active` plus the unlocking chunks.
    pub total: Balance,
    /// What counts for elections, committees and slashing.
    pub active: Balance,
    /// Funds on their way out, oldest first.
    pub unlocking: BoundedVec<UnlockChunk<Balance>, MaxChunks>,
}

/// A validator candidate's preferences.
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
pub struct ValidatorPrefs {
    /// The share of the validator's reward that it keeps before the rest is split
    /// pro-rata between itself and its nominators.
    pub commission: Perbill,
}

/// One nominator's backing of a validator in an era.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct IndividualExposure<AccountId, Balance> {
    /// The nominator.
    pub who: AccountId,
    /// The part of its active bond assigned to this validator.
    pub value: Balance,
}

/// An elected validator's backing in an era: what rewards are split by and what a slash
/// of that era takes from.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
#[scale_info(skip_type_params(MaxBackers))]
pub struct Exposure<AccountId, Balance, MaxBackers: Get<u32>> {
    /// `own` plus all of `others`.
    pub total: Balance,
    /// The validator's own active bond.
    pub own: Balance,
    /// Its nominators, largest first.
    pub others: BoundedVec<IndividualExposure<AccountId, Balance>, MaxBackers>,
}

/// The era being validated now and where it started.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct ActiveEraInfo<BlockNumber> {
    /// The era.
    pub index: EraIndex,
    /// The block in which its first session started.
    pub start_block: BlockNumber,
}

/// An era's reward, waiting to be paid out a few earners per block.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct EraPayout<Balance> {
    /// Inflation plus the fee share collected during the era.
    pub reward: Balance,
    /// The era's total points; each earner gets `reward × points / total_points`.
    pub total_points: u32,
}

/// The kind of misbehaviour a slash punishes. Each has its own slash fraction.
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
pub enum OffenceKind {
    /// Two blocks for one Aura slot.
    AuraEquivocation,
    /// Two GRANDPA votes in one round and step.
    GrandpaEquivocation,
}

/// A slash decided but not yet applied: governance can cancel it until its era starts.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
#[scale_info(skip_type_params(MaxBackers))]
pub struct UnappliedSlash<AccountId, Balance, MaxBackers: Get<u32>> {
    /// The offending validator.
    pub validator: AccountId,
    /// The offence.
    pub kind: OffenceKind,
    /// The era in which the offence happened (whose exposure is slashed).
    pub offence_era: EraIndex,
    /// Taken from the validator's own bond.
    pub own: Balance,
    /// Taken from each nominator that backed it in the offence era.
    pub others: BoundedVec<(AccountId, Balance), MaxBackers>,
}

/// The classes of network events that committees validate. Each has its own committee.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
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
pub enum EventClass {
    /// A piece of content was published.
    ContentPublication,
    /// A user interacted with content.
    Interaction,
    /// A storage provider answered a proof-of-storage challenge.
    StorageProof,
    /// A user interacted with an ad.
    AdInteraction,
    /// Engagement counted for proof-of-engagement rewards.
    Engagement,
}

impl EventClass {
    /// Every class, in a fixed order.
    pub const ALL: [EventClass; 5] = [
        EventClass::ContentPublication,
        EventClass::Interaction,
        EventClass::StorageProof,
        EventClass::AdInteraction,
        EventClass::Engagement,
    ];
}

/// The number of event classes: the bound of a witness's class list.
pub type MaxEventClasses = ConstU32<5>;

/// A committee member's vote on an event.
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
pub enum Verdict {
    /// The event happened as described.
    Valid,
    /// It did not.
    Invalid,
}

/// The committee of one event class for one epoch.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
#[scale_info(skip_type_params(MaxMembers))]
pub struct Committee<AccountId, Balance, MaxMembers: Get<u32>> {
    /// The members, in draw order. At most `size`: seats stay empty when the pool was
    /// smaller, when a drawn witness had left or fallen below the minimum stake by the
    /// draw, or when a member left since.
    pub members: BoundedVec<AccountId, MaxMembers>,
    /// The minimum witness stake when it was drawn: every member had at least this.
    pub min_stake: Balance,
    /// K: the committee size in force when it was drawn, its number of seats.
    pub size: u32,
    /// M: the quorum in force when it was drawn (`2M > K`, `M ≤ K`). Its events resolve
    /// when M votes agree, whatever governance sets later, and members that leave do not
    /// lower it.
    pub quorum: u32,
}

/// One witness of a [`WitnessPoolSnapshot`]: what sortition draws from.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct PoolEntry<AccountId> {
    /// The witness.
    pub who: AccountId,
    /// Its sortition weight when the snapshot was taken (see `witness_weight`).
    pub weight: u128,
    /// The classes it was registered for then.
    pub classes: BoundedVec<EventClass, MaxEventClasses>,
}

/// The witness pool as it was one epoch before the committees it draws: registered
/// witnesses with at least the minimum stake, and their weights.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
#[scale_info(skip_type_params(MaxEntries))]
pub struct WitnessPoolSnapshot<AccountId, MaxEntries: Get<u32>> {
    /// The epoch at whose draw it was taken. It draws the next epoch drawn after that.
    pub taken_at: EpochIndex,
    /// The witnesses, in storage iteration order (fixed by their keys).
    pub entries: BoundedVec<PoolEntry<AccountId>, MaxEntries>,
}

/// An event waiting for (or collecting late) committee votes.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
#[scale_info(skip_type_params(MaxMembers))]
pub struct PendingEvent<AccountId, BlockNumber, MaxMembers: Get<u32>> {
    /// Its class.
    pub class: EventClass,
    /// The hash of what is claimed (the payload lives off-chain).
    pub payload_hash: H256,
    /// Who paid the fee.
    pub submitter: AccountId,
    /// The epoch whose committee votes on it.
    pub epoch: EpochIndex,
    /// The block from which it is expired (unresolved) or closed (resolved).
    pub expires_at: BlockNumber,
    /// The votes so far, one per member.
    pub votes: BoundedVec<(AccountId, Verdict), MaxMembers>,
    /// Set when M votes agreed. Later votes are recorded (the voter is not absent) but
    /// earn nothing; a later vote that disagrees is penalized.
    pub outcome: Option<Verdict>,
}

/// The proof that a committee validated an event: what other pallets consume.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Receipt<BlockNumber> {
    /// The event's class.
    pub class: EventClass,
    /// The event's payload hash.
    pub payload_hash: H256,
    /// What the committee decided.
    pub verdict: Verdict,
    /// The epoch of the committee.
    pub epoch: EpochIndex,
    /// The block in which M votes agreed.
    pub resolved_at: BlockNumber,
    /// How many members agreed when it resolved (M).
    pub agreeing: u32,
}

/// Governance parameters. Set as a whole by [`crate::Pallet::set_params`], which checks
/// them against the pallet's storage bounds.
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
    /// How many validators each era elects (at most `MaxValidators`).
    pub validator_count: u32,
    /// An era keeps the previous validators if fewer than this many can be elected.
    pub minimum_validator_count: u32,
    /// The active bond a validator candidate needs.
    pub min_validator_bond: Balance,
    /// The active bond a nominator needs.
    pub min_nominator_bond: Balance,
    /// The active bond a witness needs to register and to be drawn.
    pub min_witness_stake: Balance,
    /// How many eras unbonded funds wait before they can be withdrawn.
    pub unbonding_eras: EraIndex,
    /// How many eras a slash waits, cancellable by governance, before it is applied.
    /// Must be below `unbonding_eras` so that offenders cannot unbond first.
    pub slash_defer_eras: EraIndex,
    /// The fraction of the exposure an Aura equivocation slashes.
    pub aura_slash: Perbill,
    /// The fraction of the exposure a GRANDPA equivocation slashes.
    pub grandpa_slash: Perbill,
    /// Yearly inflation, as a fraction of total issuance, paid out per era.
    pub annual_inflation: Perbill,
    /// Era points for authoring a block.
    pub points_per_block: u32,
    /// Era points for an attestation that agrees with the outcome (and lost for one that
    /// disagrees, or for absence). A vote cast after the outcome is known earns none: it
    /// only spares the voter the absence penalty, and loses them if it disagrees.
    pub points_per_attestation: u32,
    /// Committee size K (at most `MaxCommitteeSize`). Each committee keeps the K it was
    /// drawn with: a change applies to committees drawn afterwards.
    pub committee_size: u32,
    /// Agreeing votes M that resolve an event. `2M > K`, so two outcomes cannot both reach it.
    /// Each committee keeps the M it was drawn with: a change applies to committees drawn
    /// afterwards, so no committee ever counts votes against a K and M that do not match.
    pub quorum: u32,
    /// The fee to submit an event, paid into the reward pot.
    pub event_fee: Balance,
    /// How many blocks an event waits for its quorum.
    pub event_ttl: BlockNumber,
    /// How many blocks a receipt is kept after it resolved.
    pub receipt_retention: BlockNumber,
    /// Selection weight is `stake × (reputation_base + snapshot reputation)`: this gives a
    /// newcomer with no reputation a fair chance.
    pub reputation_base: u64,
    /// Reputation for an attestation that agrees with the outcome, cast before the
    /// outcome was known (a late vote earns nothing: copying a known outcome is no work).
    pub reputation_reward: u64,
    /// Reputation lost for one that disagrees (late or not), or for absence.
    pub reputation_penalty: u64,
}

/// How other pallets (ads, PoE, DDS) consume receipts.
pub trait ReceiptProvider<BlockNumber> {
    /// The receipt of (`class`, `payload_hash`), while it is retained.
    fn receipt(class: EventClass, payload_hash: &H256) -> Option<Receipt<BlockNumber>>;
    /// Whether the committee validated it as `Valid`.
    fn is_validated(class: EventClass, payload_hash: &H256) -> bool {
        Self::receipt(class, payload_hash).is_some_and(|r| r.verdict == Verdict::Valid)
    }
}

/// Disables a validator for the rest of its session set (pallet-session in the runtime).
pub trait DisableValidator<AccountId> {
    /// Disables `who`; false if it is not in the current set.
    fn disable(who: &AccountId, severity: Perbill) -> bool;
}

impl<AccountId> DisableValidator<AccountId> for () {
    fn disable(_: &AccountId, _: Perbill) -> bool {
        false
    }
}

/// The randomness epoch the runtime is in: committees are redrawn when it changes.
pub trait EpochInfo {
    /// The current epoch.
    fn current_epoch() -> EpochIndex;
}
