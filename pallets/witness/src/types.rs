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

/// Era points, one count per reward pool: what an earner holds in an era, or an era's
/// totals.
#[derive(
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    Debug,
)]
pub struct EraPoints {
    /// Points for authored blocks: they split the validator pool.
    pub block: u32,
    /// Points for attestations that agreed with their event's outcome (less those lost
    /// for dissent and absence): they split the witness pool.
    pub attestation: u32,
}

impl EraPoints {
    /// No points in either pool.
    pub fn is_zero(&self) -> bool {
        self.block == 0 && self.attestation == 0
    }
}

/// An era's reward, waiting to be paid out a few earners per block. It is split into two
/// fixed pools so that neither kind of earner can take the other's share by earning
/// more points.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct EraPayout<Balance> {
    /// The validator pool: each block author gets `validator_reward × block points /
    /// total block points`, split by commission and exposure with its nominators.
    pub validator_reward: Balance,
    /// The witness pool: each witness gets `witness_reward × attestation points / total
    /// attestation points`, paid to itself.
    pub witness_reward: Balance,
    /// The era's total points per pool.
    pub total_points: EraPoints,
}

/// What a witness point was worth in the last era that had any: the witness pool and the
/// attestation points that split it. The event fee's floor is priced from it.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct PointValue<Balance> {
    /// The witness pool paid out.
    pub pool: Balance,
    /// The attestation points it was split by (never zero).
    pub points: u32,
}

/// What a witness gained from its votes in one randomness epoch, so that the gains can
/// be capped per epoch.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct EpochGain {
    /// The epoch these gains belong to; gains of an older epoch count as zero.
    pub epoch: EpochIndex,
    /// Reputation gained (at most `max_reputation_gain_per_epoch`).
    pub reputation: u64,
    /// Attestation points gained (at most `max_points_gain_per_epoch`).
    pub points: u32,
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

impl OffenceKind {
    /// Every kind: an era holds at most one offence record per elected validator and kind.
    pub const ALL: [OffenceKind; 2] = [
        OffenceKind::AuraEquivocation,
        OffenceKind::GrandpaEquivocation,
    ];
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
    /// Whether the submitter was a member of the event's committee when it submitted:
    /// then no vote on the event earns reputation or points (a committee must not pay
    /// itself for its own events).
    pub submitter_in_committee: bool,
}

/// The proof that a committee validated an event: what other pallets consume.
///
/// A `Valid` receipt is retained `receipt_retention` blocks after it resolved; an
/// `Invalid` one only while its event is open (until `event_ttl` after submission).
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
    /// How many eras unbonded funds wait, counted from the elected next era, before they
    /// can be withdrawn.
    pub unbonding_eras: EraIndex,
    /// How many eras after the offence's era a slash waits, cancellable by governance,
    /// before it is applied. At most `unbonding_eras - 2`: a report that lands in the era
    /// after the offence and a slash spilled past a full era still apply before the
    /// exposed funds unlock.
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
    /// How many blocks a `Valid` receipt is kept after it resolved (at least
    /// `event_ttl`). An `Invalid` receipt pays nobody: it is kept only until its event
    /// closes, `event_ttl` after submission, so that junk rejected by the committee does
    /// not hold its class's receipt share for this long.
    pub receipt_retention: BlockNumber,
    /// Selection weight is `stake × (reputation_base + counted reputation)` (see
    /// `reputation_weight_cap`): this gives a newcomer with no reputation a fair chance.
    /// Not zero: it is the floor weight of a witness whose reputation was driven to zero.
    pub reputation_base: u64,
    /// Reputation for an attestation that agrees with the outcome, cast before the
    /// outcome was known (a late vote earns nothing: copying a known outcome is no work).
    pub reputation_reward: u64,
    /// Reputation lost for one that disagrees (late or not), or for absence.
    pub reputation_penalty: u64,
    /// The most snapshot reputation that counts in sortition weight. A witness at or above
    /// it weighs at most `(reputation_base + reputation_weight_cap) / reputation_base`
    /// times a witness of equal stake with no reputation, so a quorum that votes its own
    /// events through cannot multiply its seats beyond that.
    pub reputation_weight_cap: u64,
    /// The most reputation a witness gains from its votes in one randomness epoch.
    pub max_reputation_gain_per_epoch: u64,
    /// The most attestation points a witness gains from its votes in one randomness epoch.
    pub max_points_gain_per_epoch: u32,
    /// The witness pool's share of every era's payout; the rest is the validator pool.
    /// Attestation points split only the witness pool, block points only the validator
    /// pool. `witness_reward_share × (1 + event_fee_margin)` must stay below 100%, or the
    /// event fee floor (which feeds the pool it is priced from) would grow without end.
    pub witness_reward_share: Perbill,
    /// The event fee is at least the value of the points an event can earn (last era's
    /// witness pool / its attestation points × K × `points_per_attestation`) plus this
    /// margin of it, so that events bought to be voted through do not pay for themselves.
    pub event_fee_margin: Perbill,
}

/// How other pallets (ads, PoE, storage, domains) read and settle receipts.
///
/// A `Valid` receipt is retained `receipt_retention` blocks, an `Invalid` one only until
/// its event closes (`event_ttl` after submission); after that the same (class, payload
/// hash) could be submitted and judged again. A consumer that pays, credits or registers
/// something on a receipt must therefore settle it with [`ReceiptProvider::consume`], in
/// the same transactional call that pays: `consume` records the event id as settled for
/// good, refuses a second `consume`, and makes [`crate::Pallet::submit_event`] refuse
/// that event forever, so a payload is paid once even after its receipt is pruned.
/// `receipt` and `is_validated` only read: never pay on them alone. An event is settled
/// for every consumer at once, so pallets that pay on the same class must agree on which
/// of them settles it.
///
/// `consume` settles whatever the verdict: the caller checks [`Receipt::verdict`] and
/// settles an `Invalid` receipt too if it must not be judged again, which it can do only
/// while the event is open: an `Invalid` receipt is gone once its event closes, and its
/// payload is then simply not validated (submitting it again costs a new fee and a new
/// judgement). Settled ids are kept forever (a store that forgets would let a forgotten
/// id be paid again); each was paid for by an `event_fee` at submission, which
/// `check_params` keeps above zero. A consumer that wants its records to expire puts a
/// time in its payload (an epoch, a deadline) and refuses stale payloads itself. The
/// weight of `consume` is [`crate::WeightInfo::consume_receipt`]: add it to the calling
/// call's weight.
pub trait ReceiptProvider<BlockNumber> {
    /// The receipt of (`class`, `payload_hash`), while it is retained.
    fn receipt(class: EventClass, payload_hash: &H256) -> Option<Receipt<BlockNumber>>;
    /// Whether the committee validated it as `Valid`.
    fn is_validated(class: EventClass, payload_hash: &H256) -> bool {
        Self::receipt(class, payload_hash).is_some_and(|r| r.verdict == Verdict::Valid)
    }
    /// Settles (`class`, `payload_hash`): returns its retained receipt and records the
    /// event as settled, once. Fails if it is already settled or has no retained receipt.
    fn consume(
        class: EventClass,
        payload_hash: &H256,
    ) -> Result<Receipt<BlockNumber>, ConsumeError>;
    /// Whether (`class`, `payload_hash`) was settled by some consumer.
    fn is_settled(class: EventClass, payload_hash: &H256) -> bool;
}

/// How other pallets submit events for a committee to validate, on behalf of an account
/// that pays the submission fee: the same checks and fee as [`crate::Pallet::submit_event`]
/// (whose weight, [`crate::WeightInfo::submit_event`], the calling call adds to its own).
///
/// A consumer that submits on a user's behalf (pallet-ads' `report_interactions`,
/// pallet-poe's `submit_scores`) commits in `payload_hash` to everything it will pay on,
/// and settles the receipt later with [`ReceiptProvider::consume`].
pub trait EventSubmitter<AccountId> {
    /// Queues (`class`, `payload_hash`) for the current committee of `class`, charging
    /// `who` the occupancy fee. Fails as `submit_event` does: the event is pending, has a
    /// receipt or was settled; the class's share is full; `who` cannot pay; no committee.
    fn submit(
        who: &AccountId,
        class: EventClass,
        payload_hash: H256,
    ) -> frame_support::dispatch::DispatchResult;
}

/// Why [`ReceiptProvider::consume`] refused to settle an event.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub enum ConsumeError {
    /// No receipt is retained: the event was never resolved, or its receipt was pruned
    /// before anyone settled it (a `Valid` one after `receipt_retention`, an `Invalid`
    /// one when its event closed).
    NoReceipt,
    /// The event was already settled: it must not be paid twice.
    AlreadySettled,
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

/// Whether an account has session keys for the next session (pallet-session's `NextKeys`
/// in the runtime). pallet-session leaves a validator without keys out of the set it gives
/// Aura and GRANDPA, so the election skips such candidates and `validate` requires keys.
pub trait HasSessionKeys<AccountId> {
    /// Whether `who` has session keys. One storage read.
    fn has_keys(who: &AccountId) -> bool;
    /// Gives `who` session keys, so that benchmarks can elect it.
    #[cfg(feature = "runtime-benchmarks")]
    fn set_keys_for_benchmark(who: &AccountId);
}

/// The randomness epoch the runtime is in: committees are redrawn when it changes.
pub trait EpochInfo {
    /// The current epoch.
    fn current_epoch() -> EpochIndex;
}

/// A bounded set of stakers that a larger bond can enter by evicting the smallest member
/// once it is full.
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
pub enum StakerSet {
    /// Validator candidates ([`crate::Validators`], at most `MaxCandidates`).
    Candidates,
    /// Nominators ([`crate::Nominators`], at most `MaxNominators`).
    Nominators,
    /// Registered witnesses ([`crate::Witnesses`], at most `MaxWitnesses`).
    Witnesses,
}
