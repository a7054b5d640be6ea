//! # Witness pallet: staking, elections, rewards, slashing and witness committees
//!
//! This pallet makes EchoNet proof-of-stake. It decides who validates blocks, pays them,
//! punishes them, and draws the witness committees that validate network events.
//!
//! ## Staking
//!
//! An account locks funds with [`Pallet::bond`] (a hold with reason [`HoldReason::Staking`];
//! the account is its own stash and controller). It adds more with [`Pallet::bond_extra`],
//! starts taking funds out with [`Pallet::unbond`], which moves them into an unlocking
//! chunk that [`Pallet::withdraw_unbonded`] releases `unbonding_eras` eras later, and can
//! change its mind with [`Pallet::rebond`]. With its active bond it either offers to
//! validate ([`Pallet::validate`], with a commission) or backs validators
//! ([`Pallet::nominate`], at most `MaxNominations` targets); [`Pallet::chill`] withdraws
//! either intention. The candidate, nominator and witness sets are bounded; when one is
//! full, a newcomer whose active bond is larger than the smallest member's stake takes
//! its place ([`Event::Evicted`]), so minimum bonds cannot squat the sets.
//!
//! ## Elections
//!
//! An era is `SessionsPerEra` sessions. This pallet is pallet-session's `SessionManager`:
//! when pallet-session plans the first session of a new era, the pallet elects
//! `validator_count` validators, the candidates with session keys and the largest total
//! backing (own active bond plus nominations). A nominator's active bond is split equally
//! between those of its targets that are candidates; a validator counts at most
//! `MaxBackersPerValidator` nominators (the largest). The result is the era's
//! [`ErasStakers`] exposures, and the validator list goes to pallet-session, so Aura's and
//! GRANDPA's authorities follow one session later, as pallet-session always works. A
//! failed election keeps the validators, exposed to the bonds and nominations of the
//! moment.
//!
//! ## Rewards
//!
//! Validators earn block points for each block they author (pallet-authorship's
//! `EventHandler`); witnesses earn attestation points for each vote that agrees with its
//! event's outcome and lose them for a disagreeing vote or an absence. When an era ends,
//! its payout is `total_issuance × annual_inflation × era length / year` (minted) plus
//! everything the reward pot collected (the fee share and event fees). The era's length
//! is measured with [`Config::UnixTime`] and counts at most `MaxEraDurationFactor`
//! nominal eras (a year over `ErasPerYear`), so that shorter sessions do not mint more per
//! year and a stalled chain does not mint a burst when it restarts. The payout is split
//! into two fixed pools: the witness pool (`witness_reward_share`) is split by
//! attestation points and paid to the witnesses; the validator pool (the rest) is split
//! by block points, and an elected validator's share first pays its commission, then the
//! rest is split pro-rata to its exposure between itself and its nominators. So however
//! many events witnesses vote through, validators and nominators keep the validator pool.
//! A pool that no one earned points in goes to the other; an era without points pays
//! nothing and the pot keeps its fees. Payouts are paid `MaxPayoutsPerBlock` earners per
//! block in `on_initialize`, each from both pools, so no block does unbounded work.
//!
//! ## Slashing
//!
//! Verified equivocation evidence (Aura and GRANDPA, verified on-chain by pallet-evidence)
//! arrives through [`Pallet::report_offence`]. The offender's exposure in the era of the
//! offence (the session pallet-evidence attributes it to, not that of the report) is
//! slashed by the fraction set for that offence, but only `slash_defer_eras` eras after
//! the offence: until then governance can cancel it with [`Pallet::cancel_deferred_slash`].
//! The offender is disabled at once (through [`Config::ValidatorDisabler`]) and chilled, so
//! the next election leaves it out, even when the era's slashes are full (the slash then
//! spills into a later era). Due slashes are applied `MaxSlashApplicationsPerBlock`
//! accounts per block, and withdrawals wait until they are; unbonding counts from the
//! elected next era, at least two eras longer than the deferral, so exposed funds cannot
//! leave before their slash. Slashed funds go to [`Config::Slash`]; the EchoNet
//! runtime burns them (there is no treasury yet).
//!
//! ## Witness committees
//!
//! A bonded account with at least `min_witness_stake` registers as a witness for some
//! [`EventClass`]es ([`Pallet::register_witness`]). When the randomness epoch changes, the
//! pallet draws, for each class, a committee of `committee_size` (K) witnesses without
//! replacement, each draw weighted by `stake × (reputation_base + reputation snapshot)`
//! with reputation counted up to `reputation_weight_cap` ([`Pallet::witness_weight`]),
//! from [`Config::Randomness`], which the runtime feeds with the accumulated VRF outputs of
//! block authors: nothing an author can grind, such as a parent hash. The author of an
//! epoch's last block does know the next epoch's seed, so the draw must not read anything
//! that block can change: epoch `e` is drawn from the [`WitnessPool`] snapshot (accounts,
//! weights, classes) taken when epoch `e - 1` was drawn, before anyone knew `e`'s seed.
//! Drawn witnesses that have left or fallen below the minimum stake since are then
//! dropped and their seats stay empty (see `committees.rs`). Each committee stores its K
//! and M. Anyone may [`Pallet::submit_event`] for a fee: the occupancy fee (see below),
//! or more when what the points an event can earn were worth last era is more
//! ([`Pallet::points_value_fee_floor`]); the committee of the current epoch votes with
//! [`Pallet::attest`], many events per call. When the committee's M votes agree the event is resolved: a [`Receipt`] is stored and [`Event::EventValidated`]
//! emitted, and those votes are rewarded. Votes cast once the outcome is known are
//! recorded until the event closes `event_ttl` blocks after submission, but earn nothing
//! (agreeing with a known outcome takes no work); a late vote that disagrees is still
//! penalized. When the event closes, members that never voted lose reputation and points.
//! An event that never reaches M expires.
//!
//! A committee must not be able to make itself permanent by voting its own business
//! through: reputation lifts a witness's weight at most `(reputation_base +
//! reputation_weight_cap) / reputation_base` times; a witness gains at most
//! `max_reputation_gain_per_epoch` reputation and `max_points_gain_per_epoch` points per
//! epoch ([`EpochGains`]); votes on an event submitted by a member of its committee earn
//! nothing; attestation points only split the witness pool; and events are priced above
//! the points they pay out.
//!
//! `Valid` receipts are kept `receipt_retention` blocks; `Invalid` ones, which nobody
//! pays on, only until their event closes (`event_ttl` after submission). Other pallets
//! read receipts and settle them once through [`ReceiptProvider`].
//!
//! Submitting is priced and capped so that spam cannot block honest submitters nor
//! destroy receipts: each class has its own share of `MaxPendingEvents` unresolved events
//! and of `MaxReceipts`; an account has at most `MaxPendingPerSubmitter` unresolved
//! events; the fee doubles with each eighth of its class's share filled
//! ([`Pallet::occupancy_fee`]); resolved events no longer count; a class whose receipt
//! share is full refuses events instead of evicting receipts; junk that the committee
//! resolves `Invalid` frees its room when its event closes; and an event a consumer
//! settled can never be submitted again.
//!
//! ## Block-start work
//!
//! `on_initialize` draws the committees when the epoch changes, applies due slashes,
//! closes events, prunes receipts and pays era rewards. Each has its per-block bound
//! (`MaxSlashApplicationsPerBlock`, `MaxCleanupPerBlock`, `MaxPayoutsPerBlock`), and
//! together they stay within [`Pallet::block_start_budget`], a tenth of the block's
//! weight ([`BLOCK_START_SHARE`]): the draw first, then the rest in that order as far as
//! the budget left allows, charged at their benchmarked weights; what does not fit waits
//! for the next block.
//!
//! ## Reading receipts over RPC
//!
//! A receipt is the SCALE [`Receipt`] at `state_getStorage` key
//! `twox128("Witness") ++ twox128("Receipts") ++ event_id`, where `event_id` is
//! [`event_id`]`(class, payload_hash)` = blake2-256 of the SCALE (class index byte,
//! 32-byte payload hash); the runtime's `storage_keys::witness_receipt` builds it.
//! [`Event::EventValidated`] in `System::Events` announces it.
//!
//! ## Parameters
//!
//! Everything governance may tune (K, M, validator count, minimum stakes, unbonding and
//! slash deferral periods, slash fractions, inflation, fees, reputation amounts) is one
//! [`Params`] value in [`ActiveParams`], set by [`Config::GovernanceOrigin`] with
//! [`Pallet::set_params`]. Storage bounds (`Max*`) are constants of the runtime.
//!
//! ## Where things are
//!
//! This file declares the pallet: its `Config`, storage, genesis, events, errors, hooks
//! and calls. Calls check their origin and hand over to the file of their concern:
//!
//! - staking (bond, unbond, withdraw, rebond, validate, nominate, chill; the ledger):
//!   see `staking.rs`;
//! - elections (`SessionManager`, era planning and rotation, [`Pallet::elect`], history
//!   pruning): see `election.rs`;
//! - rewards (era points, era payouts, the reward pot, [`FeeShareToPot`]): see
//!   `rewards.rs`;
//! - slashing ([`Pallet::report_offence`], deferred and cancelled slashes): see
//!   `slashing.rs`;
//! - witness committees (registration, sortition, events, attestations, receipts,
//!   [`ReceiptProvider`], [`event_id`]): see `committees.rs`;
//! - governance parameters ([`Pallet::params`] and their checks): see `params.rs`;
//! - invariants across all of them (`do_try_state`): see `try_state.rs`;
//! - stored types: `types.rs`; weights: `weights.rs`; benchmarks: `benchmarking.rs`; the
//!   test runtime and tests: `mock.rs` and `tests/`, one test file per concern.
//!
//! Staking and committees are one FRAME pallet, split into modules rather than into two
//! pallets, on purpose: two pallets would move half the storage under another prefix
//! (`twox128(pallet name)`), renumber calls and events (the pallet index is part of every
//! call's and event's encoding) and change the runtime metadata, all of which existing
//! chains, clients and the `state_getStorage` keys above rely on. The two concerns also
//! share state: a witness's weight is its staking bond, and a slash deregisters witnesses.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod types;
pub mod weights;

mod committees;
mod election;
mod params;
mod rewards;
mod slashing;
mod staking;
#[cfg(any(feature = "try-runtime", test))]
mod try_state;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use committees::event_id;
pub use pallet::*;
pub use rewards::{FeeShareToPot, MILLISECONDS_PER_YEAR};
pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{self, Credit, Inspect},
        OnUnbalanced, Randomness, UnixTime,
    },
    PalletId,
};
use frame_system::pallet_prelude::*;
use pallet_reputation::{ReputationHandler, ReputationScores};
use sp_core::H256;
use sp_runtime::{traits::Zero, Perbill};

/// The balance type of the staking currency.
pub type BalanceOf<T> =
    <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// A negative imbalance of the staking currency (slashed funds, fee shares).
pub type CreditOf<T> = Credit<<T as frame_system::Config>::AccountId, <T as Config>::Currency>;
/// The ledger type as stored.
pub type LedgerOf<T> = StakingLedger<BalanceOf<T>, <T as Config>::MaxUnlockingChunks>;
/// The exposure type as stored.
pub type ExposureOf<T> = Exposure<
    <T as frame_system::Config>::AccountId,
    BalanceOf<T>,
    <T as Config>::MaxBackersPerValidator,
>;
/// A deferred slash as stored.
pub type UnappliedSlashOf<T> = UnappliedSlash<
    <T as frame_system::Config>::AccountId,
    BalanceOf<T>,
    <T as Config>::MaxBackersPerValidator,
>;
/// A committee as stored.
pub type CommitteeOf<T> = Committee<
    <T as frame_system::Config>::AccountId,
    BalanceOf<T>,
    <T as Config>::MaxCommitteeSize,
>;
/// The witness pool snapshot as stored.
pub type WitnessPoolOf<T> =
    WitnessPoolSnapshot<<T as frame_system::Config>::AccountId, <T as Config>::MaxWitnesses>;
/// A pending event as stored.
pub type PendingEventOf<T> = PendingEvent<
    <T as frame_system::Config>::AccountId,
    BlockNumberFor<T>,
    <T as Config>::MaxCommitteeSize,
>;
/// An election's result: (validator, exposure, preferences), best backed first.
pub type Elected<T> = Vec<(
    <T as frame_system::Config>::AccountId,
    ExposureOf<T>,
    ValidatorPrefs,
)>;
/// The governance parameters.
pub type ParamsOf<T> = Params<BalanceOf<T>, BlockNumberFor<T>>;

#[frame_support::pallet]
pub mod pallet {
    use super::*;

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// Bonded for staking (validating, nominating, witnessing), including unlocking funds.
        Staking,
    }

    #[pallet::config]
    pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
        /// The staking currency: bonds are holds on it, rewards are minted in it.
        type Currency: fungible::Mutate<Self::AccountId>
            + fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
            + fungible::BalancedHold<Self::AccountId>
            + fungible::Balanced<Self::AccountId>;
        /// The runtime's hold reasons, which include this pallet's.
        type RuntimeHoldReason: From<HoldReason>;
        /// The origin that sets [`ActiveParams`] and cancels deferred slashes.
        type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// Epoch randomness that no block author can grind (the runtime's VRF accumulator).
        type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;
        /// The current randomness epoch: committees are redrawn when it changes.
        type Epochs: EpochInfo;
        /// Where witnesses' and validators' reputation is reported and read.
        type Reputation: ReputationHandler<Self::AccountId> + ReputationScores<Self::AccountId>;
        /// Disables an offending validator in the current session set.
        type ValidatorDisabler: DisableValidator<Self::AccountId>;
        /// Receives slashed funds. `()` burns them.
        type Slash: OnUnbalanced<CreditOf<Self>>;
        /// The reward pot's account id seed: fees and event fees collect there.
        #[pallet::constant]
        type PalletId: Get<PalletId>;
        /// Sessions per era.
        #[pallet::constant]
        type SessionsPerEra: Get<SessionIndex>;
        /// Eras per year: the nominal era lasts a year (365 days) over this. The era payout
        /// mints inflation for the era's measured length, not for one nominal era; the
        /// nominal era only bounds that length (`MaxEraDurationFactor`) and stands in for
        /// it when an era's start time is unknown.
        #[pallet::constant]
        type ErasPerYear: Get<u32>;
        /// How many eras of exposures and points are kept (for late slashes); older ones
        /// are pruned at era start. Must exceed `slash_defer_eras` and `unbonding_eras`.
        #[pallet::constant]
        type HistoryDepth: Get<u32>;
        /// Upper bound of `validator_count`.
        #[pallet::constant]
        type MaxValidators: Get<u32>;
        /// How many accounts may be validator candidates at once.
        #[pallet::constant]
        type MaxCandidates: Get<u32>;
        /// How many accounts may nominate at once.
        #[pallet::constant]
        type MaxNominators: Get<u32>;
        /// How many targets one nomination may name.
        #[pallet::constant]
        type MaxNominations: Get<u32>;
        /// How many nominators an exposure counts (the largest ones).
        #[pallet::constant]
        type MaxBackersPerValidator: Get<u32>;
        /// How many unlocking chunks a ledger may have.
        #[pallet::constant]
        type MaxUnlockingChunks: Get<u32>;
        /// How many earners are paid per block.
        #[pallet::constant]
        type MaxPayoutsPerBlock: Get<u32>;
        /// How many slashes may be deferred to one era.
        #[pallet::constant]
        type MaxSlashesPerEra: Get<u32>;
        /// How many accounts may be registered witnesses at once.
        #[pallet::constant]
        type MaxWitnesses: Get<u32>;
        /// Upper bound of the committee size K.
        #[pallet::constant]
        type MaxCommitteeSize: Get<u32>;
        /// How many unresolved events may be pending at once. Each event class has an
        /// equal share (`MaxPendingEvents / 5`), so that spam in one class cannot block
        /// the others.
        #[pallet::constant]
        type MaxPendingEvents: Get<u32>;
        /// How many verdicts one `attest` call may carry.
        #[pallet::constant]
        type MaxVerdictsPerAttest: Get<u32>;
        /// How many receipts may be kept at once. Each event class has an equal share
        /// (`MaxReceipts / 5`) that its retained receipts and its unresolved events
        /// (each reserving room for its receipt) fill; a class whose share is full
        /// refuses new events: no receipt is evicted early. `Valid` receipts are kept
        /// `receipt_retention`, `Invalid` ones until their event closes.
        #[pallet::constant]
        type MaxReceipts: Get<u32>;
        /// How many expired events and old receipts one block removes.
        #[pallet::constant]
        type MaxCleanupPerBlock: Get<u32>;
        /// Weights of this pallet's calls and hooks.
        type WeightInfo: WeightInfo;
        /// The wall clock (pallet-timestamp in the runtime): an era's inflation is
        /// scaled by how long it really lasted.
        type UnixTime: UnixTime;
        /// An era's inflation counts at most this many nominal eras (a year over
        /// `ErasPerYear`), however long the era lasted: a chain that stalls for days must
        /// not mint those days' inflation in one payout to whichever validators restart
        /// it. At least 1; the EchoNet runtime allows 2, so that eras stretched by missed
        /// slots (offline authors) still mint their real length.
        #[pallet::constant]
        type MaxEraDurationFactor: Get<u32>;
        /// Who has session keys (pallet-session's `NextKeys` in the runtime): only they
        /// may validate and be elected.
        type SessionKeys: HasSessionKeys<Self::AccountId>;
        /// How many unresolved events one account may have pending at once, in all
        /// classes together: one account cannot take a class's whole share of
        /// `MaxPendingEvents`, and a user with more to submit spreads it over accounts,
        /// each paying the rising fee.
        #[pallet::constant]
        type MaxPendingPerSubmitter: Get<u32>;
        /// Blocks per randomness epoch, as [`Config::Epochs`] counts them. A committee is
        /// kept for its epoch and the next, so `event_ttl` may not exceed one epoch: every
        /// event then closes while its committee exists.
        #[pallet::constant]
        type EpochLength: Get<BlockNumberFor<Self>>;
        /// How many accounts (a slashed validator and each of its nominators count one)
        /// `on_initialize` slashes per block from [`SlashQueue`].
        #[pallet::constant]
        type MaxSlashApplicationsPerBlock: Get<u32>;
    }

    // ---------------------------------------------------------------- parameters

    /// The governance parameters in force.
    #[pallet::storage]
    pub type ActiveParams<T: Config> = StorageValue<_, ParamsOf<T>, OptionQuery>;

    // ---------------------------------------------------------------- staking

    /// Bonds: account → its ledger.
    #[pallet::storage]
    pub type Ledger<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, LedgerOf<T>>;

    /// The sum of all ledgers' `total`: everything on hold for staking.
    #[pallet::storage]
    pub type TotalStaked<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

    /// Validator candidates: account → preferences. At most `MaxCandidates`.
    #[pallet::storage]
    pub type Validators<T: Config> =
        CountedStorageMap<_, Twox64Concat, T::AccountId, ValidatorPrefs>;

    /// Nominators: account → its targets. At most `MaxNominators`.
    #[pallet::storage]
    pub type Nominators<T: Config> = CountedStorageMap<
        _,
        Twox64Concat,
        T::AccountId,
        BoundedVec<T::AccountId, T::MaxNominations>,
    >;

    /// The latest era elected (planned). It becomes active when its first session starts.
    #[pallet::storage]
    pub type CurrentEra<T: Config> = StorageValue<_, EraIndex, ValueQuery>;

    /// The era being validated now.
    #[pallet::storage]
    pub type ActiveEra<T: Config> = StorageValue<_, ActiveEraInfo<BlockNumberFor<T>>>;

    /// Era → the session it starts with.
    #[pallet::storage]
    pub type ErasStartSessionIndex<T: Config> = StorageMap<_, Twox64Concat, EraIndex, SessionIndex>;

    /// Era → its elected validators, in election order.
    #[pallet::storage]
    pub type ErasValidators<T: Config> = StorageMap<
        _,
        Twox64Concat,
        EraIndex,
        BoundedVec<T::AccountId, T::MaxValidators>,
        ValueQuery,
    >;

    /// (era, validator) → its exposure in that era.
    #[pallet::storage]
    pub type ErasStakers<T: Config> =
        StorageDoubleMap<_, Twox64Concat, EraIndex, Twox64Concat, T::AccountId, ExposureOf<T>>;

    /// (era, validator) → its commission in that era (fixed at election).
    #[pallet::storage]
    pub type ErasValidatorPrefs<T: Config> =
        StorageDoubleMap<_, Twox64Concat, EraIndex, Twox64Concat, T::AccountId, ValidatorPrefs>;

    /// (era, earner) → its era points per pool (block points for the validator pool,
    /// attestation points for the witness pool). Earners are elected validators and
    /// registered witnesses, so an era has at most `MaxValidators + MaxWitnesses` entries;
    /// an earner with no points in either pool has no entry.
    #[pallet::storage]
    pub type ErasPoints<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        EraIndex,
        Twox64Concat,
        T::AccountId,
        EraPoints,
        ValueQuery,
    >;

    /// Era → the sum of its [`ErasPoints`], per pool. No entry when both are zero.
    #[pallet::storage]
    pub type ErasTotalPoints<T: Config> =
        StorageMap<_, Twox64Concat, EraIndex, EraPoints, ValueQuery>;

    /// Era → its payout, while it is being paid.
    #[pallet::storage]
    pub type PayoutQueue<T: Config> =
        StorageMap<_, Twox64Concat, EraIndex, EraPayout<BalanceOf<T>>>;

    /// The oldest era whose payout may still be in [`PayoutQueue`].
    #[pallet::storage]
    pub type NextPayoutEra<T: Config> = StorageValue<_, EraIndex, ValueQuery>;

    /// What a witness point was worth in the last era that paid attestation points (its
    /// witness pool and their number), set when an era ends and halved by each era
    /// without any; `submit_event` charges at least the value of the points an event can
    /// earn (see `points_value_fee_floor`). None until an era has paid witnesses.
    #[pallet::storage]
    pub type WitnessPointValue<T: Config> = StorageValue<_, PointValue<BalanceOf<T>>>;

    /// The unix time (ms) at which the active era started, as [`Config::UnixTime`] read it
    /// in the era's first block (pallet-timestamp then holds the parent block's time,
    /// which is also when the previous era ended). `None` while unknown: the genesis era
    /// gets it in block 2, which sees block 1's timestamp.
    #[pallet::storage]
    pub type ActiveEraStartTime<T: Config> = StorageValue<_, u64>;

    // ---------------------------------------------------------------- slashing

    /// Era at whose start they apply → deferred slashes. Governance may cancel them before.
    #[pallet::storage]
    pub type UnappliedSlashes<T: Config> = StorageMap<
        _,
        Twox64Concat,
        EraIndex,
        BoundedVec<UnappliedSlashOf<T>, T::MaxSlashesPerEra>,
        ValueQuery,
    >;

    /// (offence era, (offender, kind)) → () once reported: one slash per offender, kind
    /// and era, whatever the number of reports.
    #[pallet::storage]
    pub type OffencesReported<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        EraIndex,
        Blake2_128Concat,
        (T::AccountId, OffenceKind),
        (),
    >;

    /// Queue position → a due slash (its era has started) and the index of the next
    /// account it takes from (0 the validator, `i` its `i`-th nominator), while
    /// `on_initialize` applies it `MaxSlashApplicationsPerBlock` accounts at a time.
    /// While it is not empty, `withdraw_unbonded` is refused.
    #[pallet::storage]
    pub type SlashQueue<T: Config> = StorageMap<_, Twox64Concat, u64, (UnappliedSlashOf<T>, u32)>;

    /// (front, back) of [`SlashQueue`]: entries `front..back` exist.
    #[pallet::storage]
    pub type SlashQueueBounds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

    // ---------------------------------------------------------------- committees

    /// Registered witnesses: account → the classes it witnesses. At most `MaxWitnesses`.
    #[pallet::storage]
    pub type Witnesses<T: Config> =
        CountedStorageMap<_, Twox64Concat, T::AccountId, BoundedVec<EventClass, MaxEventClasses>>;

    /// The latest epoch whose committees were drawn.
    #[pallet::storage]
    pub type CommitteeEpoch<T: Config> = StorageValue<_, EpochIndex>;

    /// (epoch, class) → committee. The current and the previous epoch are kept.
    #[pallet::storage]
    pub type Committees<T: Config> =
        StorageDoubleMap<_, Twox64Concat, EpochIndex, Twox64Concat, EventClass, CommitteeOf<T>>;

    /// Event id → the event, from submission until it expires or closes. A resolved
    /// event stays until it closes (for late votes) but no longer counts as pending; it
    /// keeps its receipt meanwhile, so there are at most `MaxReceipts` entries.
    #[pallet::storage]
    pub type PendingEvents<T: Config> = CountedStorageMap<_, Identity, EventId, PendingEventOf<T>>;

    /// Submission order: sequence number → event id. Expiry pops from the front.
    #[pallet::storage]
    pub type EventQueue<T: Config> = StorageMap<_, Twox64Concat, u64, EventId>;

    /// (front, back) of [`EventQueue`]: entries `front..back` exist.
    #[pallet::storage]
    pub type EventQueueBounds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

    /// Event id → receipt, while retained: a `Valid` one for `receipt_retention` after
    /// it resolved, an `Invalid` one while its event is in [`PendingEvents`].
    #[pallet::storage]
    pub type Receipts<T: Config> =
        CountedStorageMap<_, Identity, EventId, Receipt<BlockNumberFor<T>>>;

    /// Resolution order of the `Valid` receipts: sequence number → event id. Pruning
    /// pops from the front. `Invalid` receipts are not queued: they go when their event
    /// closes.
    #[pallet::storage]
    pub type ReceiptQueue<T: Config> = StorageMap<_, Twox64Concat, u64, EventId>;

    /// (front, back) of [`ReceiptQueue`].
    #[pallet::storage]
    pub type ReceiptQueueBounds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

    /// Witness → the reputation and attestation points its votes gained in the latest
    /// epoch it gained any, capped per epoch; an entry of an older epoch counts as zero
    /// (reset lazily). Only registered witnesses have entries (at most `MaxWitnesses`):
    /// the entry goes when the witness deregisters.
    #[pallet::storage]
    pub type EpochGains<T: Config> = StorageMap<_, Twox64Concat, T::AccountId, EpochGain>;
    /// Class → how many of its events are pending unresolved: at most its share of
    /// `MaxPendingEvents` ([`Pallet::class_pending_share`]). A resolved event that stays
    /// in [`PendingEvents`] for late votes no longer counts.
    #[pallet::storage]
    pub type PendingPerClass<T: Config> = StorageMap<_, Twox64Concat, EventClass, u32, ValueQuery>;

    /// Submitter → how many of its events are pending unresolved, in all classes: at
    /// most `MaxPendingPerSubmitter`. No entry when zero, so at most `MaxPendingEvents`
    /// entries.
    #[pallet::storage]
    pub type PendingPerSubmitter<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

    /// Class → how many of its receipts are retained. With its unresolved events, each
    /// of which reserved room for the receipt it may resolve into, at most its share of
    /// `MaxReceipts` ([`Pallet::class_receipt_share`]).
    #[pallet::storage]
    pub type ReceiptsPerClass<T: Config> = StorageMap<_, Twox64Concat, EventClass, u32, ValueQuery>;

    /// Event id → () once a consumer settled it with [`ReceiptProvider::consume`]. Kept
    /// for good, so that the event is never submitted, judged or paid again after its
    /// receipt is pruned; each entry was paid for by the event's fee (see
    /// [`ReceiptProvider`]).
    #[pallet::storage]
    pub type Settled<T: Config> = StorageMap<_, Identity, EventId, ()>;

    /// The witness pool (account, weight, classes) that draws the next epoch's committees,
    /// taken when the current epoch's were drawn: before anyone could know the seed it
    /// will be drawn with. At most `MaxWitnesses` entries.
    #[pallet::storage]
    pub type WitnessPool<T: Config> = StorageValue<_, WitnessPoolOf<T>>;

    // ---------------------------------------------------------------- genesis

    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// The parameters at genesis. Required.
        pub params: Option<ParamsOf<T>>,
        /// (account, bond, validates?): bonded at genesis; validators form era 0.
        pub stakers: Vec<(T::AccountId, BalanceOf<T>, bool)>,
        /// Registered witnesses at genesis, with their classes (they must be stakers).
        pub witnesses: Vec<(T::AccountId, Vec<EventClass>)>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            // Without parameters the pallet is inert (a default genesis); stakers then
            // make no sense.
            let Some(params) = self.params.clone() else {
                assert!(
                    self.stakers.is_empty() && self.witnesses.is_empty(),
                    "pallet-witness genesis: stakers need params"
                );
                return;
            };
            Pallet::<T>::check_params(&params).expect("pallet-witness genesis params are valid");
            ActiveParams::<T>::put(params);
            for (who, value, validates) in &self.stakers {
                Pallet::<T>::do_bond(who, *value).expect("genesis staker can bond");
                if *validates {
                    Validators::<T>::insert(
                        who,
                        ValidatorPrefs {
                            commission: Perbill::zero(),
                        },
                    );
                }
            }
            for (who, classes) in &self.witnesses {
                let classes = BoundedVec::try_from(classes.clone()).expect("at most 5 classes");
                Witnesses::<T>::insert(who, classes);
            }
            // Without the session-key check: pallet-session's genesis sets the keys after
            // this one (see `election.rs`).
            let mut elected =
                Pallet::<T>::elect_genesis().expect("genesis validators can be elected");
            // Era 0 keeps the order of the genesis list, so that Aura's slot order at
            // genesis is the one the chain spec names.
            elected.sort_by_key(|(who, _, _)| self.stakers.iter().position(|(s, _, _)| s == who));
            Pallet::<T>::store_era(0, elected);
            ErasStartSessionIndex::<T>::insert(0, 0);
            CurrentEra::<T>::put(0);
            ActiveEra::<T>::put(ActiveEraInfo {
                index: 0,
                start_block: Zero::zero(),
            });
            // Era 0's start time is unknown at genesis: block 2, the first that sees a
            // timestamp, records it (`note_genesis_era_start`).
        }
    }

    // ---------------------------------------------------------------- events and errors

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// Governance set new parameters.
        ParamsSet,
        /// `who` bonded `amount` more.
        Bonded {
            /// The staker (its own stash and controller).
            who: T::AccountId,
            /// Newly put on hold and added to the active bond.
            amount: BalanceOf<T>,
        },
        /// `who` started unbonding `amount`, withdrawable from `era`.
        Unbonded {
            /// The staker.
            who: T::AccountId,
            /// Moved from the active bond to an unlocking chunk (capped at the active bond).
            amount: BalanceOf<T>,
            /// The era from whose start `withdraw_unbonded` releases it: the elected
            /// next era ([`CurrentEra`], whose exposures already count these funds)
            /// plus `unbonding_eras`.
            era: EraIndex,
        },
        /// `who` moved `amount` from unlocking back to active.
        Rebonded {
            /// The staker.
            who: T::AccountId,
            /// What was actually moved: at most the amount asked for and at most what was
            /// unlocking.
            amount: BalanceOf<T>,
        },
        /// `who` withdrew `amount` of unlocked funds.
        Withdrawn {
            /// The staker; its ledger is removed if nothing stays bonded.
            who: T::AccountId,
            /// Released from hold into the free balance.
            amount: BalanceOf<T>,
        },
        /// `who` became a validator candidate.
        ValidatorPrefsSet {
            /// The candidate; a nomination it had is dropped.
            who: T::AccountId,
            /// Its commission, applied from the next election on.
            prefs: ValidatorPrefs,
        },
        /// `who` nominated `targets`.
        Nominated {
            /// The nominator; a validator intention it had is dropped.
            who: T::AccountId,
            /// The validator candidates it now backs, replacing earlier targets.
            targets: Vec<T::AccountId>,
        },
        /// `who` stopped validating or nominating.
        Chilled {
            /// The account, by its own call, because it committed an offence, or because
            /// a larger bond evicted it from a full set ([`Event::Evicted`]).
            who: T::AccountId,
        },
        /// Era `era` was elected, to start with session `start_session`.
        EraElected {
            /// The newly planned era ([`CurrentEra`]).
            era: EraIndex,
            /// The first session of `era`; its validators become authorities then.
            start_session: SessionIndex,
            /// How many validators were elected.
            validators: u32,
        },
        /// An election found fewer than `minimum_validator_count` candidates with session
        /// keys, or none: the validator set stays as it was.
        ElectionFailed {
            /// The era planned anyway (so that unbonding, payouts and slashes keep their
            /// schedule); it keeps the previous era's validators, exposed to the bonds and
            /// nominations at its planning.
            era: EraIndex,
        },
        /// Era `era` started.
        EraStarted {
            /// The era now in [`ActiveEra`].
            era: EraIndex,
        },
        /// Era `era` ended with `validator_reward + witness_reward` to pay out: inflation
        /// for one era plus the fees the pot collected, paid over the next blocks,
        /// `MaxPayoutsPerBlock` earners at a time.
        EraPaid {
            /// The era that ended.
            era: EraIndex,
            /// The validator pool, split by block points (then commission and exposure):
            /// inflation for the era's measured length (at most `MaxEraDurationFactor`
            /// nominal eras) plus the pot's fees, less the witness pool.
            /// It takes the whole payout when no witness earned points.
            validator_reward: BalanceOf<T>,
            /// The witness pool (`witness_reward_share` of the payout), split by
            /// attestation points and paid to the witnesses themselves.
            witness_reward: BalanceOf<T>,
            /// The era's points per pool. When both are zero nothing is paid and the pot
            /// keeps its fees for the next era.
            total_points: EraPoints,
        },
        /// `who` received `amount` of an era's reward.
        Rewarded {
            /// A validator, one of its nominators, or a witness.
            who: T::AccountId,
            /// The era the reward is for.
            era: EraIndex,
            /// Minted into `who`'s free balance (not bonded).
            amount: BalanceOf<T>,
        },
        /// An offence was reported; its slash applies from the start of `apply_era`
        /// (queued then, and applied over the next blocks).
        SlashDeferred {
            /// The offender, already disabled and chilled; its nominators are slashed too.
            validator: T::AccountId,
            /// Which equivocation, which sets the slashed fraction.
            kind: OffenceKind,
            /// The era of the offence, whose exposure is slashed.
            offence_era: EraIndex,
            /// The era at whose start the slash applies unless governance cancels it:
            /// `offence_era + slash_defer_eras`, or the next era if that has started, or
            /// a later one if those were full.
            apply_era: EraIndex,
        },
        /// Governance cancelled deferred slashes of `era`.
        SlashesCancelled {
            /// The era the cancelled slashes were deferred to.
            era: EraIndex,
            /// How many slashes were cancelled.
            count: u32,
        },
        /// `who` lost `amount` of its bond.
        Slashed {
            /// The offender or one of its nominators.
            who: T::AccountId,
            /// Taken from the active bond first, then from unlocking chunks, and sent to
            /// [`Config::Slash`]; may be less than the slash if the bond shrank meanwhile.
            amount: BalanceOf<T>,
        },
        /// `who` was disabled for the rest of its session set.
        ValidatorDisabled {
            /// The offender, found in the current session set and handed to
            /// [`Config::ValidatorDisabler`].
            who: T::AccountId,
        },
        /// `who` registered as a witness.
        WitnessRegistered {
            /// The new witness. The next draw snapshots it, and the draw after that is
            /// the first that can pick it: registered in epoch `e`, it serves from `e + 2`.
            who: T::AccountId,
            /// The event classes it is drawn for.
            classes: Vec<EventClass>,
        },
        /// `who` is no longer a witness.
        WitnessDeregistered {
            /// The account, by its own call, because a slash left it below
            /// `min_witness_stake`, or because a larger bond evicted it
            /// ([`Event::Evicted`]); it has left the committees still in use.
            who: T::AccountId,
        },
        /// The committees of `epoch` were drawn.
        CommitteesDrawn {
            /// The randomness epoch now current; events submitted from now on go to its
            /// committees.
            epoch: EpochIndex,
        },
        /// An event was submitted for validation.
        EventSubmitted {
            /// [`event_id`]`(class, payload_hash)`, the key of its receipt.
            id: EventId,
            /// Which committee votes on it.
            class: EventClass,
            /// Hash of the off-chain description the witnesses check.
            payload_hash: H256,
            /// Who paid the fee ([`Pallet::occupancy_fee`]).
            submitter: T::AccountId,
        },
        /// `who` attested `count` events (some may have been already closed: `skipped`).
        Attested {
            /// The committee member.
            who: T::AccountId,
            /// Votes recorded.
            count: u32,
            /// Verdicts not recorded because their event was no longer pending (expired,
            /// or its committee is gone); not part of `count`.
            skipped: u32,
        },
        /// M members agreed: a receipt is stored.
        EventValidated {
            /// The event, and the key of its [`Receipts`] entry.
            id: EventId,
            /// The event's class.
            class: EventClass,
            /// The event's payload hash.
            payload_hash: H256,
            /// What the quorum agreed on.
            verdict: Verdict,
        },
        /// An event never reached its quorum.
        EventExpired {
            /// The event, removed from [`PendingEvents`] without a receipt.
            id: EventId,
        },
        /// `by` entered the full `set` and pushed out `who`, the member with the smallest
        /// stake, which was smaller than `by`'s active bond.
        Evicted {
            /// The set that was full.
            set: StakerSet,
            /// The evicted member: chilled (candidates, nominators) or deregistered
            /// (witnesses). Its bond stays bonded; it may unbond it. A validator elected
            /// for the active or the planned era keeps validating those eras.
            who: T::AccountId,
            /// The newcomer that took its place.
            by: T::AccountId,
        },
        /// A consumer settled an event's receipt ([`ReceiptProvider::consume`]).
        EventSettled {
            /// The event, now in [`Settled`]: it can never be submitted again.
            id: EventId,
            /// The event's class.
            class: EventClass,
            /// The event's payload hash.
            payload_hash: H256,
            /// The verdict of the receipt the consumer settled on.
            verdict: Verdict,
        },
        /// An offence was reported but every era its slash could spill into was full:
        /// the offender was still disabled and chilled, but is not slashed.
        SlashDropped {
            /// The offender.
            validator: T::AccountId,
            /// Which equivocation.
            kind: OffenceKind,
            /// The era of the offence.
            offence_era: EraIndex,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// The parameters break a bound: K or the validator count above its maximum,
        /// `2M ≤ K`, M or K zero, a zero validator count, a slash deferral without two
        /// eras of slack (`slash_defer_eras + 2 > unbonding_eras`), a zero
        /// `reputation_base`, `witness_reward_share × (1 + event_fee_margin)` of 100% or
        /// more, a zero minimum bond (validator, nominator or witness), an `event_ttl` of
        /// zero or longer than an epoch (`EpochLength`), a `receipt_retention` below
        /// `event_ttl`, or a zero `event_fee`.
        InvalidParams,
        /// Parameters are not set (genesis did not set them).
        ParamsNotSet,
        /// The account is already bonded: use `bond_extra`.
        AlreadyBonded,
        /// The account is not bonded.
        NotBonded,
        /// The amount is zero.
        ZeroAmount,
        /// The free balance cannot cover the hold.
        InsufficientBalance,
        /// The active bond would be below the minimum of the account's role.
        InsufficientBond,
        /// The ledger already has `MaxUnlockingChunks` chunks: withdraw or rebond first.
        NoMoreChunks,
        /// No unlocking chunk has reached its era.
        NothingToWithdraw,
        /// There are no unlocking funds.
        NothingToRebond,
        /// `MaxCandidates` accounts already validate, and none has a smaller stake than
        /// the caller's active bond.
        TooManyCandidates,
        /// `MaxNominators` accounts already nominate, and none has a smaller active bond
        /// than the caller.
        TooManyNominators,
        /// A nomination needs at least one target.
        EmptyTargets,
        /// A target is not a validator candidate.
        NotAValidator,
        /// A target is named twice.
        DuplicateTarget,
        /// The account neither validates nor nominates.
        AlreadyChilled,
        /// No deferred slash is at that era and index.
        NoSuchSlash,
        /// Slash indices must be non-empty, sorted and unique.
        BadSlashIndices,
        /// The account is already a witness.
        AlreadyWitness,
        /// The account is not a witness.
        NotWitness,
        /// `MaxWitnesses` accounts already witness, and none has a smaller active bond than
        /// the caller.
        TooManyWitnesses,
        /// The class list is empty or names a class twice.
        BadClasses,
        /// No committee is drawn for this class in this epoch.
        NoCommittee,
        /// This event is already pending or has a retained receipt.
        DuplicateEvent,
        /// The class's share of `MaxPendingEvents` unresolved events is full.
        TooManyPendingEvents,
        /// The caller is not in the committee that votes on this event.
        NotCommitteeMember,
        /// The caller already voted on this event (or names it twice in one call).
        AlreadyAttested,
        /// The call carries no verdict.
        NoVerdicts,
        /// The offender was not an elected validator in the era of the offence.
        NotExposed,
        /// The offence is older than the history kept (`HistoryDepth`).
        OffenceTooOld,
        /// The same offender, kind and era was already reported.
        DuplicateOffence,
        /// `MaxSlashesPerEra` slashes are already deferred to that era.
        TooManySlashes,
        /// The caller has no session keys: set them with `Session::set_keys` first.
        NoSessionKeys,
        /// The submitter already has `MaxPendingPerSubmitter` unresolved events pending.
        TooManyPendingFromSubmitter,
        /// The class's share of `MaxReceipts` is taken by retained receipts and by the
        /// unresolved events that reserved one: no retained receipt is evicted early, so
        /// the class takes new events again as its `Invalid` receipts' events close and
        /// its oldest `Valid` receipts pass `receipt_retention`.
        ReceiptStoreFull,
        /// A consumer already settled this event ([`ReceiptProvider::consume`]): it can
        /// never be submitted, judged or paid again.
        AlreadySettled,
        /// Due slashes are still being applied (a few blocks after an era start): the
        /// unlocking funds may be among what they take. Try again shortly.
        SlashesPending,
    }

    // ---------------------------------------------------------------- hooks

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        /// Block-start work within [`Pallet::block_start_budget`] (a tenth of the block):
        /// the epoch's committee draw when the epoch changes (bounded by `MaxWitnesses`),
        /// then, as far as the budget left allows, due slashes, event expiry, receipt
        /// pruning and era payouts, each also within its own per-block bound. What does
        /// not fit waits for the next block, in order.
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            let budget = Self::block_start_budget();
            let mut weight = T::WeightInfo::on_initialize_idle();
            let epoch = T::Epochs::current_epoch();
            if CommitteeEpoch::<T>::get().is_none_or(|drawn| drawn < epoch) {
                weight.saturating_accrue(Self::draw_committees(epoch));
            }
            if Self::slashes_pending() {
                let room = budget.saturating_sub(weight);
                let max = fitting(room, T::MaxSlashApplicationsPerBlock::get(), |a| {
                    T::WeightInfo::apply_slash_chunk(a)
                });
                if max > 0 {
                    let touched = Self::apply_queued_slashes(max);
                    weight.saturating_accrue(T::WeightInfo::apply_slash_chunk(touched));
                }
            }
            let room = budget.saturating_sub(weight);
            let max = fitting(room, T::MaxCleanupPerBlock::get(), |e| {
                T::WeightInfo::expire_events(e)
            });
            if max > 0 {
                weight.saturating_accrue(Self::expire_events(now, max));
            }
            let room = budget.saturating_sub(weight);
            let max = fitting(room, T::MaxCleanupPerBlock::get(), |r| {
                T::WeightInfo::prune_receipts(r)
            });
            if max > 0 {
                weight.saturating_accrue(Self::prune_receipts(now, max));
            }
            let room = budget.saturating_sub(weight);
            // Charged at the most backers an earner can have, whatever it has.
            let per_earner = T::WeightInfo::payout_earner(T::MaxBackersPerValidator::get());
            let max = fitting(room, T::MaxPayoutsPerBlock::get(), |n| {
                per_earner.saturating_mul(n.into())
            });
            if max > 0 {
                weight.saturating_accrue(Self::process_payouts(max));
            }
            Self::note_genesis_era_start(now);
            weight
        }

        fn integrity_test() {
            // Every class needs a share of the pending events and of the receipt store.
            let classes = EventClass::ALL.len() as u32;
            assert!(
                T::MaxPendingEvents::get() >= classes,
                "MaxPendingEvents below 5"
            );
            assert!(T::MaxReceipts::get() >= classes, "MaxReceipts below 5");
            assert!(
                T::MaxPendingPerSubmitter::get() > 0,
                "MaxPendingPerSubmitter is 0"
            );
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    // ---------------------------------------------------------------- calls

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Bonds `value` of the caller's free balance (puts it on hold). The caller must
        /// not be bonded yet.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::bond())]
        pub fn bond(
            origin: OriginFor<T>,
            #[pallet::compact] value: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(!Ledger::<T>::contains_key(&who), Error::<T>::AlreadyBonded);
            ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
            Self::do_bond(&who, value)
        }

        /// Bonds `value` more of the caller's free balance.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::bond_extra())]
        pub fn bond_extra(
            origin: OriginFor<T>,
            #[pallet::compact] value: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(Ledger::<T>::contains_key(&who), Error::<T>::NotBonded);
            ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
            Self::do_bond(&who, value)
        }

        /// Starts unbonding `value` of the active bond: it stops counting now and can be
        /// withdrawn `unbonding_eras` eras after the elected next era ([`CurrentEra`]). The active bond that stays
        /// must meet the minimum of the caller's roles; chill (and deregister as a
        /// witness) first to unbond everything.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::unbond())]
        pub fn unbond(
            origin: OriginFor<T>,
            #[pallet::compact] value: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_unbond(who, value)
        }

        /// Releases every unlocking chunk whose era has come. A ledger left empty is removed.
        /// Refused while due slashes are being applied ([`SlashQueue`]).
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::withdraw_unbonded())]
        pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_withdraw_unbonded(who)
        }

        /// Moves up to `value` from the unlocking chunks (newest first) back to active.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::rebond())]
        pub fn rebond(
            origin: OriginFor<T>,
            #[pallet::compact] value: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_rebond(who, value)
        }

        /// Offers to validate from the next election on, keeping `commission` of the
        /// reward. Replaces a nomination. Needs `min_validator_bond` active and session
        /// keys (`Session::set_keys`); a candidate that purges its keys later is skipped
        /// by the elections until it sets keys again. If `MaxCandidates` accounts already
        /// validate, the caller takes the place of the smallest candidate if its active
        /// bond is larger ([`Event::Evicted`]).
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::validate(1))]
        pub fn validate(origin: OriginFor<T>, commission: Perbill) -> DispatchResultWithPostInfo {
            let who = ensure_signed(origin)?;
            Self::do_validate(who, commission)
        }

        /// Backs `targets` (validator candidates) from the next election on. Replaces a
        /// validator intention. Needs `min_nominator_bond` active. If `MaxNominators`
        /// accounts already nominate, the caller takes the place of the smallest
        /// nominator if its active bond is larger ([`Event::Evicted`]).
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::nominate(targets.len() as u32, 1))]
        pub fn nominate(
            origin: OriginFor<T>,
            targets: BoundedVec<T::AccountId, T::MaxNominations>,
        ) -> DispatchResultWithPostInfo {
            let who = ensure_signed(origin)?;
            Self::do_nominate(who, targets)
        }

        /// Stops validating or nominating from the next election on.
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::chill())]
        pub fn chill(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(
                Validators::<T>::contains_key(&who) || Nominators::<T>::contains_key(&who),
                Error::<T>::AlreadyChilled
            );
            Self::do_chill(&who);
            Ok(())
        }

        /// Registers the caller as a witness for `classes`. Needs `min_witness_stake`
        /// active. The caller enters the pool snapshot taken at the next committee draw, so
        /// registered in epoch `e` it can be drawn from epoch `e + 2` on. If `MaxWitnesses`
        /// accounts already witness, the caller takes the place of the one with the
        /// smallest active bond if its own is larger ([`Event::Evicted`]).
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::register_witness(1))]
        pub fn register_witness(
            origin: OriginFor<T>,
            classes: BoundedVec<EventClass, MaxEventClasses>,
        ) -> DispatchResultWithPostInfo {
            let who = ensure_signed(origin)?;
            Self::do_register_witness(who, classes)
        }

        /// Stops witnessing: the caller leaves the committees in use now (votes it already
        /// cast still count) and is not drawn again (if the pool snapshot of the next draw
        /// picks it, its seat stays empty). It may then unbond below the witness minimum.
        #[pallet::call_index(9)]
        #[pallet::weight(T::WeightInfo::deregister_witness())]
        pub fn deregister_witness(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(Witnesses::<T>::contains_key(&who), Error::<T>::NotWitness);
            Self::deregister(&who);
            Ok(())
        }

        /// Submits an event of `class` (described off-chain by `payload_hash`) to the
        /// current epoch's committee, paying [`Pallet::occupancy_fee`] (`event_fee`,
        /// doubled for each eighth of the class's share filled) into the reward pot.
        /// Refused when the class's share of pending events or of receipts is full, when
        /// the caller has `MaxPendingPerSubmitter` unresolved events, and for an event
        /// pending, with a retained receipt, or settled.
        #[pallet::call_index(10)]
        #[pallet::weight(T::WeightInfo::submit_event())]
        pub fn submit_event(
            origin: OriginFor<T>,
            class: EventClass,
            payload_hash: H256,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_submit_event(who, class, payload_hash)
        }

        /// Votes on many events at once. The caller must be in the committee of each
        /// event's epoch and class and must not have voted on it. Events that are no
        /// longer pending (expired or closed) are skipped. When the committee's quorum M
        /// (fixed when it was drawn) agrees, the event is resolved and a receipt stored.
        /// A vote on a resolved event earns nothing; it is penalized if it disagrees.
        #[pallet::call_index(11)]
        #[pallet::weight(T::WeightInfo::attest(verdicts.len() as u32))]
        pub fn attest(
            origin: OriginFor<T>,
            verdicts: BoundedVec<(EventId, Verdict), T::MaxVerdictsPerAttest>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_attest(who, verdicts)
        }

        /// Sets all governance parameters at once, after checking them.
        #[pallet::call_index(12)]
        #[pallet::weight(T::WeightInfo::set_params())]
        pub fn set_params(origin: OriginFor<T>, params: ParamsOf<T>) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            Self::check_params(&params)?;
            ActiveParams::<T>::put(params);
            Self::deposit_event(Event::ParamsSet);
            Ok(())
        }

        /// Cancels the deferred slashes of `era` at `indices` (sorted, unique).
        #[pallet::call_index(13)]
        #[pallet::weight(T::WeightInfo::cancel_deferred_slash(indices.len() as u32))]
        pub fn cancel_deferred_slash(
            origin: OriginFor<T>,
            era: EraIndex,
            indices: BoundedVec<u32, T::MaxSlashesPerEra>,
        ) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            Self::do_cancel_deferred_slash(era, indices)
        }
    }
}

/// The share of a block's weight that this pallet's `on_initialize` may take.
pub const BLOCK_START_SHARE: Perbill = Perbill::from_percent(10);

impl<T: Config> Pallet<T> {
    /// What `on_initialize` may spend in one block: [`BLOCK_START_SHARE`] of the
    /// runtime's maximum block weight. The epoch's committee draw is always done; the
    /// rest of the block-start work takes what is left, so a block that draws, slashes,
    /// expires, prunes and pays at every bound still leaves 90% to the block's
    /// transactions and other hooks.
    pub fn block_start_budget() -> Weight {
        let max = <T as frame_system::Config>::BlockWeights::get().max_block;
        Weight::from_parts(
            BLOCK_START_SHARE * max.ref_time(),
            BLOCK_START_SHARE * max.proof_size(),
        )
    }
}

/// The largest `n` up to `max` whose `cost(n)` fits in `room` (0 if none does), for a cost
/// that grows with `n`: a binary search, a few evaluations of a weight function.
pub(crate) fn fitting(room: Weight, max: u32, cost: impl Fn(u32) -> Weight) -> u32 {
    if !cost(0).all_lte(room) {
        return 0;
    }
    let (mut fits, mut too_many) = (0u32, max.saturating_add(1));
    while too_many - fits > 1 {
        let mid = fits + (too_many - fits) / 2;
        if cost(mid).all_lte(room) {
            fits = mid;
        } else {
            too_many = mid;
        }
    }
    fits
}
