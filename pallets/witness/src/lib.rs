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
//! either intention.
//!
//! ## Elections
//!
//! An era is `SessionsPerEra` sessions. This pallet is pallet-session's `SessionManager`:
//! when pallet-session plans the first session of a new era, the pallet elects
//! `validator_count` validators, the candidates with the largest total backing (own
//! active bond plus nominations). A nominator's active bond is split equally between those
//! of its targets that are candidates; a validator counts at most `MaxBackersPerValidator`
//! nominators (the largest). The result is the era's [`ErasStakers`] exposures, and the
//! validator list goes to pallet-session, so Aura's and GRANDPA's authorities follow one
//! session later, as pallet-session always works.
//!
//! ## Rewards
//!
//! Validators earn era points for each block they author (pallet-authorship's
//! `EventHandler`); witnesses earn points for each attestation that agrees with its event's
//! outcome and lose them for a disagreeing vote or an absence. When an era ends, its payout
//! is `total_issuance × annual_inflation / ErasPerYear` (minted) plus everything the reward
//! pot collected (the fee share and event fees). The payout is split by points: an
//! elected validator's share first pays its commission, then the rest is split pro-rata to
//! its exposure between itself and its nominators; a witness that is not an elected
//! validator keeps its whole share. Payouts are paid `MaxPayoutsPerBlock` earners per
//! block in `on_initialize`, so no block does unbounded work.
//!
//! ## Slashing
//!
//! Verified equivocation evidence (Aura and GRANDPA, verified on-chain by pallet-evidence)
//! arrives through [`Pallet::report_offence`]. The offender's exposure in the era of the
//! offence is slashed by the fraction set for that offence, but only `slash_defer_eras`
//! eras later: until then governance can cancel it with [`Pallet::cancel_deferred_slash`].
//! The offender is disabled at once (through [`Config::ValidatorDisabler`]) and chilled, so
//! the next election leaves it out. Slashed funds go to [`Config::Slash`]; the EchoNet
//! runtime burns them (there is no treasury yet).
//!
//! ## Witness committees
//!
//! A bonded account with at least `min_witness_stake` registers as a witness for some
//! [`EventClass`]es ([`Pallet::register_witness`]). When the randomness epoch changes, the
//! pallet draws, for each class, a committee of `committee_size` (K) witnesses without
//! replacement, each draw weighted by `stake × (reputation_base + reputation snapshot)`,
//! from [`Config::Randomness`], which the runtime feeds with the accumulated VRF outputs of
//! block authors: nothing an author can grind, such as a parent hash. Anyone may
//! [`Pallet::submit_event`] for a fee; the committee of the current epoch votes with
//! [`Pallet::attest`], many events per call. When `quorum` (M) votes agree the event is
//! resolved: a [`Receipt`] is stored and [`Event::EventValidated`] emitted. Late votes are
//! still counted until the event closes `event_ttl` blocks after submission; then members
//! that never voted lose reputation and points. An event that never reaches M expires.
//! Receipts are kept `receipt_retention` blocks (and at most `MaxReceipts`), and other
//! pallets read them through [`ReceiptProvider`].
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
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

use alloc::{collections::btree_map::BTreeMap, vec::Vec};
use codec::Encode;
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{self, Balanced, Credit, Inspect, Mutate, MutateHold},
        tokens::{Fortitude, Precision, Preservation},
        Imbalance, OnUnbalanced, Randomness,
    },
    PalletId,
};
use frame_system::pallet_prelude::*;
use pallet_reputation::{ReputationHandler, ReputationScores, Role};
use sp_core::H256;
use sp_runtime::{
    traits::{AccountIdConversion, Saturating, Zero},
    Perbill,
};

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
/// Candidate → (own bond, preferences, nominations) while an election runs.
type Backing<T> = BTreeMap<
    <T as frame_system::Config>::AccountId,
    (
        BalanceOf<T>,
        ValidatorPrefs,
        Vec<IndividualExposure<<T as frame_system::Config>::AccountId, BalanceOf<T>>>,
    ),
>;
/// The governance parameters.
pub type ParamsOf<T> = Params<BalanceOf<T>, BlockNumberFor<T>>;

/// The id of an event: blake2-256 of its (class, payload hash).
pub fn event_id(class: EventClass, payload_hash: &H256) -> EventId {
    H256(sp_io::hashing::blake2_256(&(class, payload_hash).encode()))
}

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
        /// Eras per year, to turn the yearly inflation into a per-era payout.
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
        /// How many events may be pending at once.
        #[pallet::constant]
        type MaxPendingEvents: Get<u32>;
        /// How many verdicts one `attest` call may carry.
        #[pallet::constant]
        type MaxVerdictsPerAttest: Get<u32>;
        /// How many receipts are kept at most; the oldest is evicted first.
        #[pallet::constant]
        type MaxReceipts: Get<u32>;
        /// How many expired events and old receipts one block removes.
        #[pallet::constant]
        type MaxCleanupPerBlock: Get<u32>;
        /// Weights of this pallet's calls and hooks.
        type WeightInfo: WeightInfo;
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

    /// (era, earner) → era points. Earners are elected validators and registered
    /// witnesses, so an era has at most `MaxValidators + MaxWitnesses` entries.
    #[pallet::storage]
    pub type ErasPoints<T: Config> =
        StorageDoubleMap<_, Twox64Concat, EraIndex, Twox64Concat, T::AccountId, u32, ValueQuery>;

    /// Era → the sum of its [`ErasPoints`].
    #[pallet::storage]
    pub type ErasTotalPoints<T: Config> = StorageMap<_, Twox64Concat, EraIndex, u32, ValueQuery>;

    /// Era → its payout, while it is being paid.
    #[pallet::storage]
    pub type PayoutQueue<T: Config> =
        StorageMap<_, Twox64Concat, EraIndex, EraPayout<BalanceOf<T>>>;

    /// The oldest era whose payout may still be in [`PayoutQueue`].
    #[pallet::storage]
    pub type NextPayoutEra<T: Config> = StorageValue<_, EraIndex, ValueQuery>;

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

    /// Event id → the event, from submission until it expires or closes.
    #[pallet::storage]
    pub type PendingEvents<T: Config> = CountedStorageMap<_, Identity, EventId, PendingEventOf<T>>;

    /// Submission order: sequence number → event id. Expiry pops from the front.
    #[pallet::storage]
    pub type EventQueue<T: Config> = StorageMap<_, Twox64Concat, u64, EventId>;

    /// (front, back) of [`EventQueue`]: entries `front..back` exist.
    #[pallet::storage]
    pub type EventQueueBounds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

    /// Event id → receipt, while retained.
    #[pallet::storage]
    pub type Receipts<T: Config> =
        CountedStorageMap<_, Identity, EventId, Receipt<BlockNumberFor<T>>>;

    /// Resolution order: sequence number → event id. Pruning pops from the front.
    #[pallet::storage]
    pub type ReceiptQueue<T: Config> = StorageMap<_, Twox64Concat, u64, EventId>;

    /// (front, back) of [`ReceiptQueue`].
    #[pallet::storage]
    pub type ReceiptQueueBounds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

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
            let mut elected = Pallet::<T>::elect().expect("genesis validators can be elected");
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
            who: T::AccountId,
            amount: BalanceOf<T>,
        },
        /// `who` started unbonding `amount`, withdrawable from `era`.
        Unbonded {
            who: T::AccountId,
            amount: BalanceOf<T>,
            era: EraIndex,
        },
        /// `who` moved `amount` from unlocking back to active.
        Rebonded {
            who: T::AccountId,
            amount: BalanceOf<T>,
        },
        /// `who` withdrew `amount` of unlocked funds.
        Withdrawn {
            who: T::AccountId,
            amount: BalanceOf<T>,
        },
        /// `who` became a validator candidate.
        ValidatorPrefsSet {
            who: T::AccountId,
            prefs: ValidatorPrefs,
        },
        /// `who` nominated `targets`.
        Nominated {
            who: T::AccountId,
            targets: Vec<T::AccountId>,
        },
        /// `who` stopped validating or nominating.
        Chilled { who: T::AccountId },
        /// Era `era` was elected, to start with session `start_session`.
        EraElected {
            era: EraIndex,
            start_session: SessionIndex,
            validators: u32,
        },
        /// An election found fewer than `minimum_validator_count` candidates: the
        /// validator set stays as it was.
        ElectionFailed { era: EraIndex },
        /// Era `era` started.
        EraStarted { era: EraIndex },
        /// Era `era` ended with `reward` to pay out.
        EraPaid {
            era: EraIndex,
            reward: BalanceOf<T>,
            total_points: u32,
        },
        /// `who` received `amount` of an era's reward.
        Rewarded {
            who: T::AccountId,
            era: EraIndex,
            amount: BalanceOf<T>,
        },
        /// An offence was reported; its slash applies at the start of `apply_era`.
        SlashDeferred {
            validator: T::AccountId,
            kind: OffenceKind,
            offence_era: EraIndex,
            apply_era: EraIndex,
        },
        /// Governance cancelled deferred slashes of `era`.
        SlashesCancelled { era: EraIndex, count: u32 },
        /// `who` lost `amount` of its bond.
        Slashed {
            who: T::AccountId,
            amount: BalanceOf<T>,
        },
        /// `who` was disabled for the rest of its session set.
        ValidatorDisabled { who: T::AccountId },
        /// `who` registered as a witness.
        WitnessRegistered {
            who: T::AccountId,
            classes: Vec<EventClass>,
        },
        /// `who` is no longer a witness.
        WitnessDeregistered { who: T::AccountId },
        /// The committees of `epoch` were drawn.
        CommitteesDrawn { epoch: EpochIndex },
        /// An event was submitted for validation.
        EventSubmitted {
            id: EventId,
            class: EventClass,
            payload_hash: H256,
            submitter: T::AccountId,
        },
        /// `who` attested `count` events (some may have been already closed: `skipped`).
        Attested {
            who: T::AccountId,
            count: u32,
            skipped: u32,
        },
        /// M members agreed: a receipt is stored.
        EventValidated {
            id: EventId,
            class: EventClass,
            payload_hash: H256,
            verdict: Verdict,
        },
        /// An event never reached its quorum.
        EventExpired { id: EventId },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// The parameters break a bound: K or the validator count above its maximum,
        /// `2M ≤ K`, M or K zero, a zero validator count, or slash deferral not below the
        /// unbonding period.
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
        /// `MaxCandidates` accounts already validate.
        TooManyCandidates,
        /// `MaxNominators` accounts already nominate.
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
        /// `MaxWitnesses` accounts already witness.
        TooManyWitnesses,
        /// The class list is empty or names a class twice.
        BadClasses,
        /// No committee is drawn for this class in this epoch.
        NoCommittee,
        /// This event is already pending or has a retained receipt.
        DuplicateEvent,
        /// `MaxPendingEvents` events are already pending.
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
    }

    // ---------------------------------------------------------------- hooks

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            let mut weight = T::WeightInfo::on_initialize_idle();
            let epoch = T::Epochs::current_epoch();
            if CommitteeEpoch::<T>::get().is_none_or(|drawn| drawn < epoch) {
                weight.saturating_accrue(Self::draw_committees(epoch));
            }
            weight.saturating_accrue(Self::process_payouts());
            weight.saturating_accrue(Self::expire_events(now));
            weight.saturating_accrue(Self::prune_receipts(now));
            weight
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
        /// withdrawn `unbonding_eras` eras from the active era. The active bond that stays
        /// must meet the minimum of the caller's roles; chill (and deregister as a
        /// witness) first to unbond everything.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::unbond())]
        pub fn unbond(
            origin: OriginFor<T>,
            #[pallet::compact] value: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let params = Self::params()?;
            let mut ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
            ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
            let value = value.min(ledger.active);
            ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
            let remaining = ledger.active.saturating_sub(value);
            ensure!(
                remaining >= Self::role_minimum(&who, &params),
                Error::<T>::InsufficientBond
            );
            let era = Self::active_era().saturating_add(params.unbonding_eras);
            // Merge with a chunk of the same era so repeated unbonds in one era use one chunk.
            if let Some(last) = ledger.unlocking.last_mut().filter(|c| c.era == era) {
                last.value = last.value.saturating_add(value);
            } else {
                ledger
                    .unlocking
                    .try_push(UnlockChunk { value, era })
                    .map_err(|_| Error::<T>::NoMoreChunks)?;
            }
            ledger.active = remaining;
            Ledger::<T>::insert(&who, ledger);
            Self::deposit_event(Event::Unbonded {
                who,
                amount: value,
                era,
            });
            Ok(())
        }

        /// Releases every unlocking chunk whose era has come. A ledger left empty is removed.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::withdraw_unbonded())]
        pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
            let active_era = Self::active_era();
            let mut amount = BalanceOf::<T>::zero();
            ledger.unlocking.retain(|chunk| {
                if chunk.era <= active_era {
                    amount = amount.saturating_add(chunk.value);
                    false
                } else {
                    true
                }
            });
            ensure!(!amount.is_zero(), Error::<T>::NothingToWithdraw);
            let released = T::Currency::release(
                &HoldReason::Staking.into(),
                &who,
                amount,
                Precision::BestEffort,
            )?;
            ledger.total = ledger.total.saturating_sub(released);
            TotalStaked::<T>::mutate(|t| *t = t.saturating_sub(released));
            if ledger.total.is_zero() {
                Ledger::<T>::remove(&who);
            } else {
                Ledger::<T>::insert(&who, ledger);
            }
            Self::deposit_event(Event::Withdrawn {
                who,
                amount: released,
            });
            Ok(())
        }

        /// Moves up to `value` from the unlocking chunks (newest first) back to active.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::rebond())]
        pub fn rebond(
            origin: OriginFor<T>,
            #[pallet::compact] value: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
            ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
            ensure!(!ledger.unlocking.is_empty(), Error::<T>::NothingToRebond);
            let mut left = value;
            while let Some(last) = ledger.unlocking.last_mut() {
                if left.is_zero() {
                    break;
                }
                let take = left.min(last.value);
                last.value = last.value.saturating_sub(take);
                left = left.saturating_sub(take);
                if last.value.is_zero() {
                    ledger.unlocking.pop();
                }
            }
            let moved = value.saturating_sub(left);
            ledger.active = ledger.active.saturating_add(moved);
            Ledger::<T>::insert(&who, ledger);
            Self::deposit_event(Event::Rebonded { who, amount: moved });
            Ok(())
        }

        /// Offers to validate from the next election on, keeping `commission` of the
        /// reward. Replaces a nomination. Needs `min_validator_bond` active.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::validate())]
        pub fn validate(origin: OriginFor<T>, commission: Perbill) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let params = Self::params()?;
            let ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
            ensure!(
                ledger.active >= params.min_validator_bond,
                Error::<T>::InsufficientBond
            );
            ensure!(
                Validators::<T>::contains_key(&who)
                    || Validators::<T>::count() < T::MaxCandidates::get(),
                Error::<T>::TooManyCandidates
            );
            Nominators::<T>::remove(&who);
            let prefs = ValidatorPrefs { commission };
            Validators::<T>::insert(&who, prefs);
            Self::deposit_event(Event::ValidatorPrefsSet { who, prefs });
            Ok(())
        }

        /// Backs `targets` (validator candidates) from the next election on. Replaces a
        /// validator intention. Needs `min_nominator_bond` active.
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::nominate(targets.len() as u32))]
        pub fn nominate(
            origin: OriginFor<T>,
            targets: BoundedVec<T::AccountId, T::MaxNominations>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let params = Self::params()?;
            let ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
            ensure!(
                ledger.active >= params.min_nominator_bond,
                Error::<T>::InsufficientBond
            );
            ensure!(!targets.is_empty(), Error::<T>::EmptyTargets);
            for (i, target) in targets.iter().enumerate() {
                ensure!(
                    Validators::<T>::contains_key(target),
                    Error::<T>::NotAValidator
                );
                ensure!(!targets[..i].contains(target), Error::<T>::DuplicateTarget);
            }
            ensure!(
                Nominators::<T>::contains_key(&who)
                    || Nominators::<T>::count() < T::MaxNominators::get(),
                Error::<T>::TooManyNominators
            );
            Validators::<T>::remove(&who);
            Nominators::<T>::insert(&who, targets.clone());
            Self::deposit_event(Event::Nominated {
                who,
                targets: targets.into_inner(),
            });
            Ok(())
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
        /// active; the caller is drawn into committees from the next epoch.
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::register_witness())]
        pub fn register_witness(
            origin: OriginFor<T>,
            classes: BoundedVec<EventClass, MaxEventClasses>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let params = Self::params()?;
            ensure!(
                !Witnesses::<T>::contains_key(&who),
                Error::<T>::AlreadyWitness
            );
            let ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
            ensure!(
                ledger.active >= params.min_witness_stake,
                Error::<T>::InsufficientBond
            );
            ensure!(!classes.is_empty(), Error::<T>::BadClasses);
            for (i, class) in classes.iter().enumerate() {
                ensure!(!classes[..i].contains(class), Error::<T>::BadClasses);
            }
            ensure!(
                Witnesses::<T>::count() < T::MaxWitnesses::get(),
                Error::<T>::TooManyWitnesses
            );
            Witnesses::<T>::insert(&who, classes.clone());
            Self::deposit_event(Event::WitnessRegistered {
                who,
                classes: classes.into_inner(),
            });
            Ok(())
        }

        /// Stops witnessing: the caller leaves the committees in use now (votes it already
        /// cast still count) and is not drawn again. It may then unbond below the witness
        /// minimum.
        #[pallet::call_index(9)]
        #[pallet::weight(T::WeightInfo::deregister_witness())]
        pub fn deregister_witness(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(Witnesses::<T>::contains_key(&who), Error::<T>::NotWitness);
            Witnesses::<T>::remove(&who);
            Self::remove_from_committees(&who);
            Self::deposit_event(Event::WitnessDeregistered { who });
            Ok(())
        }

        /// Submits an event of `class` (described off-chain by `payload_hash`) to the
        /// current epoch's committee, paying `event_fee` into the reward pot.
        #[pallet::call_index(10)]
        #[pallet::weight(T::WeightInfo::submit_event())]
        pub fn submit_event(
            origin: OriginFor<T>,
            class: EventClass,
            payload_hash: H256,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let params = Self::params()?;
            let id = event_id(class, &payload_hash);
            ensure!(
                !PendingEvents::<T>::contains_key(id) && !Receipts::<T>::contains_key(id),
                Error::<T>::DuplicateEvent
            );
            ensure!(
                PendingEvents::<T>::count() < T::MaxPendingEvents::get(),
                Error::<T>::TooManyPendingEvents
            );
            let epoch = CommitteeEpoch::<T>::get().ok_or(Error::<T>::NoCommittee)?;
            let committee = Committees::<T>::get(epoch, class).ok_or(Error::<T>::NoCommittee)?;
            ensure!(!committee.members.is_empty(), Error::<T>::NoCommittee);
            if !params.event_fee.is_zero() {
                T::Currency::transfer(
                    &who,
                    &Self::pot_account(),
                    params.event_fee,
                    Preservation::Preserve,
                )
                .map_err(|_| Error::<T>::InsufficientBalance)?;
            }
            let now = frame_system::Pallet::<T>::block_number();
            PendingEvents::<T>::insert(
                id,
                PendingEvent {
                    class,
                    payload_hash,
                    submitter: who.clone(),
                    epoch,
                    expires_at: now.saturating_add(params.event_ttl),
                    votes: BoundedVec::new(),
                    outcome: None,
                },
            );
            EventQueueBounds::<T>::mutate(|(_, back)| {
                EventQueue::<T>::insert(*back, id);
                *back = back.saturating_add(1);
            });
            Self::deposit_event(Event::EventSubmitted {
                id,
                class,
                payload_hash,
                submitter: who,
            });
            Ok(())
        }

        /// Votes on many events at once. The caller must be in the committee of each
        /// event's epoch and class and must not have voted on it. Events that are no
        /// longer pending (expired or closed) are skipped. When `quorum` votes agree, the
        /// event is resolved and a receipt stored.
        #[pallet::call_index(11)]
        #[pallet::weight(T::WeightInfo::attest(verdicts.len() as u32))]
        pub fn attest(
            origin: OriginFor<T>,
            verdicts: BoundedVec<(EventId, Verdict), T::MaxVerdictsPerAttest>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let params = Self::params()?;
            ensure!(!verdicts.is_empty(), Error::<T>::NoVerdicts);
            let now = frame_system::Pallet::<T>::block_number();
            // Check everything before writing anything.
            let mut updates = Vec::with_capacity(verdicts.len());
            let mut skipped = 0u32;
            for (i, (id, verdict)) in verdicts.iter().enumerate() {
                ensure!(
                    !verdicts[..i].iter().any(|(other, _)| other == id),
                    Error::<T>::AlreadyAttested
                );
                let Some(event) = PendingEvents::<T>::get(id).filter(|e| e.expires_at > now) else {
                    skipped.saturating_inc();
                    continue;
                };
                // A committee two epochs old is gone: nobody can vote any more and the
                // event will expire, so the verdict is skipped like a closed event's.
                let Some(committee) = Committees::<T>::get(event.epoch, event.class) else {
                    skipped.saturating_inc();
                    continue;
                };
                ensure!(
                    committee.members.contains(&who),
                    Error::<T>::NotCommitteeMember
                );
                ensure!(
                    !event.votes.iter().any(|(voter, _)| voter == &who),
                    Error::<T>::AlreadyAttested
                );
                updates.push((*id, *verdict, event));
            }
            let count = updates.len() as u32;
            for (id, verdict, mut event) in updates {
                // Cannot fail: a member votes once and the committee has at most
                // MaxCommitteeSize members.
                if event.votes.try_push((who.clone(), verdict)).is_err() {
                    continue;
                }
                match event.outcome {
                    Some(outcome) => Self::judge_vote(&who, verdict == outcome, &params),
                    None => {
                        let agreeing =
                            event.votes.iter().filter(|(_, v)| *v == verdict).count() as u32;
                        if agreeing >= params.quorum {
                            event.outcome = Some(verdict);
                            for (voter, vote) in event.votes.iter() {
                                Self::judge_vote(voter, *vote == verdict, &params);
                            }
                            Self::store_receipt(id, &event, verdict, agreeing, now);
                        }
                    }
                }
                PendingEvents::<T>::insert(id, event);
            }
            Self::deposit_event(Event::Attested {
                who,
                count,
                skipped,
            });
            Ok(())
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
            ensure!(!indices.is_empty(), Error::<T>::BadSlashIndices);
            ensure!(
                indices.windows(2).all(|w| w[0] < w[1]),
                Error::<T>::BadSlashIndices
            );
            let mut slashes = UnappliedSlashes::<T>::get(era);
            let last = *indices.last().ok_or(Error::<T>::BadSlashIndices)?;
            ensure!((last as usize) < slashes.len(), Error::<T>::NoSuchSlash);
            for index in indices.iter().rev() {
                slashes.remove(*index as usize);
            }
            if slashes.is_empty() {
                UnappliedSlashes::<T>::remove(era);
            } else {
                UnappliedSlashes::<T>::insert(era, slashes);
            }
            Self::deposit_event(Event::SlashesCancelled {
                era,
                count: indices.len() as u32,
            });
            Ok(())
        }
    }

    // ---------------------------------------------------------------- internals

    impl<T: Config> Pallet<T> {
        /// The parameters in force.
        pub fn params() -> Result<ParamsOf<T>, Error<T>> {
            ActiveParams::<T>::get().ok_or(Error::<T>::ParamsNotSet)
        }

        /// The reward pot: fee shares and event fees collect here until an era ends.
        pub fn pot_account() -> T::AccountId {
            T::PalletId::get().into_account_truncating()
        }

        /// The active era's index (0 before genesis set it).
        pub fn active_era() -> EraIndex {
            ActiveEra::<T>::get().map_or(0, |e| e.index)
        }

        pub(crate) fn check_params(p: &ParamsOf<T>) -> Result<(), Error<T>> {
            let ok = p.validator_count != 0
                && p.validator_count <= T::MaxValidators::get()
                && p.minimum_validator_count <= p.validator_count
                && p.committee_size != 0
                && p.committee_size <= T::MaxCommitteeSize::get()
                && p.quorum != 0
                && p.quorum <= p.committee_size
                && p.quorum.saturating_mul(2) > p.committee_size
                && p.slash_defer_eras < p.unbonding_eras
                && p.unbonding_eras < T::HistoryDepth::get()
                && !p.event_ttl.is_zero();
            ensure!(ok, Error::<T>::InvalidParams);
            Ok(())
        }

        /// The least active bond `who` must keep: the highest minimum of its roles.
        fn role_minimum(who: &T::AccountId, p: &ParamsOf<T>) -> BalanceOf<T> {
            let mut min = BalanceOf::<T>::zero();
            if Validators::<T>::contains_key(who) {
                min = min.max(p.min_validator_bond);
            }
            if Nominators::<T>::contains_key(who) {
                min = min.max(p.min_nominator_bond);
            }
            if Witnesses::<T>::contains_key(who) {
                min = min.max(p.min_witness_stake);
            }
            min
        }

        pub(crate) fn do_bond(who: &T::AccountId, value: BalanceOf<T>) -> DispatchResult {
            T::Currency::hold(&HoldReason::Staking.into(), who, value)
                .map_err(|_| Error::<T>::InsufficientBalance)?;
            Ledger::<T>::mutate(who, |maybe| {
                let ledger = maybe.get_or_insert_with(|| StakingLedger {
                    total: Zero::zero(),
                    active: Zero::zero(),
                    unlocking: BoundedVec::new(),
                });
                ledger.total = ledger.total.saturating_add(value);
                ledger.active = ledger.active.saturating_add(value);
            });
            TotalStaked::<T>::mutate(|t| *t = t.saturating_add(value));
            Self::deposit_event(Event::Bonded {
                who: who.clone(),
                amount: value,
            });
            Ok(())
        }

        fn do_chill(who: &T::AccountId) {
            Validators::<T>::remove(who);
            Nominators::<T>::remove(who);
            Self::deposit_event(Event::Chilled { who: who.clone() });
        }

        // ------------------------------------------------------------ election

        /// Elects the next validator set from the candidates and nominations, or `None`
        /// if fewer than `minimum_validator_count` candidates qualify. Work is bounded by
        /// `MaxCandidates + MaxNominators × MaxNominations`.
        pub fn elect() -> Option<Elected<T>> {
            let params = ActiveParams::<T>::get()?;
            let mut backing: Backing<T> = BTreeMap::new();
            for (who, prefs) in Validators::<T>::iter() {
                let own = Ledger::<T>::get(&who).map_or_else(Zero::zero, |l| l.active);
                if own >= params.min_validator_bond {
                    backing.insert(who, (own, prefs, Vec::new()));
                }
            }
            for (who, targets) in Nominators::<T>::iter() {
                let stake = Ledger::<T>::get(&who).map_or_else(Zero::zero, |l| l.active);
                if stake < params.min_nominator_bond {
                    continue;
                }
                let valid: Vec<_> = targets
                    .iter()
                    .filter(|t| backing.contains_key(*t))
                    .collect();
                let Ok(n) = BalanceOf::<T>::try_from(valid.len()) else {
                    continue;
                };
                if n.is_zero() {
                    continue;
                }
                let share = stake / n;
                let mut remainder = stake.saturating_sub(share.saturating_mul(n));
                for target in valid {
                    let value = share.saturating_add(core::mem::take(&mut remainder));
                    if let Some(entry) = backing.get_mut(target) {
                        if !value.is_zero() {
                            entry.2.push(IndividualExposure {
                                who: who.clone(),
                                value,
                            });
                        }
                    }
                }
            }
            let max_backers = T::MaxBackersPerValidator::get() as usize;
            let mut candidates: Elected<T> = backing
                .into_iter()
                .map(|(who, (own, prefs, mut others))| {
                    others.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.who.cmp(&b.who)));
                    others.truncate(max_backers);
                    let total = others
                        .iter()
                        .fold(own, |acc, e| acc.saturating_add(e.value));
                    let others = BoundedVec::truncate_from(others);
                    (who, Exposure { total, own, others }, prefs)
                })
                .collect();
            candidates.sort_by(|a, b| b.1.total.cmp(&a.1.total).then_with(|| a.0.cmp(&b.0)));
            candidates.truncate(params.validator_count as usize);
            if candidates.is_empty() || (candidates.len() as u32) < params.minimum_validator_count {
                return None;
            }
            Some(candidates)
        }

        /// Stores an elected era's exposures and returns its validators.
        pub(crate) fn store_era(era: EraIndex, elected: Elected<T>) -> Vec<T::AccountId> {
            let validators: Vec<T::AccountId> = elected.iter().map(|e| e.0.clone()).collect();
            for (who, exposure, prefs) in elected {
                ErasStakers::<T>::insert(era, &who, exposure);
                ErasValidatorPrefs::<T>::insert(era, &who, prefs);
            }
            ErasValidators::<T>::insert(era, BoundedVec::truncate_from(validators.clone()));
            validators
        }

        /// Called by pallet-session's `new_session`: elects when `new_index` is the first
        /// session of the next era.
        fn plan_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
            let current = CurrentEra::<T>::get();
            let start = ErasStartSessionIndex::<T>::get(current).unwrap_or(0);
            if new_index < start.saturating_add(T::SessionsPerEra::get()) {
                return None;
            }
            let era = current.saturating_add(1);
            let weight = T::WeightInfo::elect(Validators::<T>::count(), Nominators::<T>::count());
            frame_system::Pallet::<T>::register_extra_weight_unchecked(
                weight,
                DispatchClass::Mandatory,
            );
            // Whether or not the election succeeds, the era moves on so that unbonding,
            // payouts and slashes keep their schedule; a failed election keeps the set.
            CurrentEra::<T>::put(era);
            ErasStartSessionIndex::<T>::insert(era, new_index);
            match Self::elect() {
                Some(elected) => {
                    let count = elected.len() as u32;
                    let validators = Self::store_era(era, elected);
                    Self::deposit_event(Event::EraElected {
                        era,
                        start_session: new_index,
                        validators: count,
                    });
                    Some(validators)
                }
                None => {
                    // Carry the previous era's exposures over, so that the validators
                    // that keep validating are still paid and slashable.
                    let previous = ErasValidators::<T>::get(current);
                    for who in previous.iter() {
                        if let Some(exposure) = ErasStakers::<T>::get(current, who) {
                            ErasStakers::<T>::insert(era, who, exposure);
                        }
                        if let Some(prefs) = ErasValidatorPrefs::<T>::get(current, who) {
                            ErasValidatorPrefs::<T>::insert(era, who, prefs);
                        }
                    }
                    ErasValidators::<T>::insert(era, previous);
                    Self::deposit_event(Event::ElectionFailed { era });
                    None
                }
            }
        }

        /// Called by pallet-session's `start_session`: activates the planned era when its
        /// first session starts.
        pub(crate) fn start_session(index: SessionIndex) {
            let planned = CurrentEra::<T>::get();
            if ErasStartSessionIndex::<T>::get(planned) != Some(index) {
                return;
            }
            if ActiveEra::<T>::get().is_some_and(|a| a.index >= planned) {
                return;
            }
            let now = frame_system::Pallet::<T>::block_number();
            if let Some(ended) = ActiveEra::<T>::get() {
                Self::end_era(ended.index);
            }
            ActiveEra::<T>::put(ActiveEraInfo {
                index: planned,
                start_block: now,
            });
            T::Reputation::take_snapshot();
            let applied = Self::apply_slashes(planned);
            Self::prune_era(planned);
            frame_system::Pallet::<T>::register_extra_weight_unchecked(
                T::WeightInfo::start_era(applied),
                DispatchClass::Mandatory,
            );
            Self::deposit_event(Event::EraStarted { era: planned });
        }

        /// Computes an ended era's payout and queues it.
        fn end_era(era: EraIndex) {
            let Ok(params) = Self::params() else { return };
            let issuance = T::Currency::total_issuance();
            let eras_per_year = BalanceOf::<T>::from(T::ErasPerYear::get().max(1));
            let inflation = (params.annual_inflation * issuance) / eras_per_year;
            // The pot's fees are burned here and minted again with the payout, so that
            // every reward is a plain mint.
            let pot = Self::pot_account();
            let fees =
                T::Currency::reducible_balance(&pot, Preservation::Preserve, Fortitude::Polite);
            let burned = T::Currency::burn_from(
                &pot,
                fees,
                Preservation::Preserve,
                Precision::BestEffort,
                Fortitude::Polite,
            )
            .unwrap_or_else(|_| Zero::zero());
            let reward = inflation.saturating_add(burned);
            let total_points = ErasTotalPoints::<T>::get(era);
            if total_points != 0 && !reward.is_zero() {
                PayoutQueue::<T>::insert(
                    era,
                    EraPayout {
                        reward,
                        total_points,
                    },
                );
            }
            Self::deposit_event(Event::EraPaid {
                era,
                reward,
                total_points,
            });
        }

        /// Pays up to `MaxPayoutsPerBlock` earners of the oldest queued era.
        pub(crate) fn process_payouts() -> Weight {
            let mut weight = Weight::zero();
            let active = Self::active_era();
            let mut budget = T::MaxPayoutsPerBlock::get();
            while budget > 0 {
                let era = NextPayoutEra::<T>::get();
                if era >= active {
                    break;
                }
                let Some(payout) = PayoutQueue::<T>::get(era) else {
                    NextPayoutEra::<T>::put(era.saturating_add(1));
                    weight.saturating_accrue(T::DbWeight::get().reads_writes(1, 1));
                    continue;
                };
                let mut drained = ErasPoints::<T>::drain_prefix(era);
                let mut done = true;
                for (who, points) in drained.by_ref() {
                    let backers = Self::pay_earner(era, &who, points, &payout);
                    weight.saturating_accrue(T::WeightInfo::payout_earner(backers));
                    budget = budget.saturating_sub(1);
                    if budget == 0 {
                        done = false;
                        break;
                    }
                }
                if done {
                    PayoutQueue::<T>::remove(era);
                    ErasTotalPoints::<T>::remove(era);
                    NextPayoutEra::<T>::put(era.saturating_add(1));
                }
            }
            weight
        }

        /// Pays one earner its share of an era's reward; returns how many backers it had.
        pub(crate) fn pay_earner(
            era: EraIndex,
            who: &T::AccountId,
            points: u32,
            payout: &EraPayout<BalanceOf<T>>,
        ) -> u32 {
            let share = Perbill::from_rational(points, payout.total_points) * payout.reward;
            if share.is_zero() {
                return 0;
            }
            let Some(exposure) = ErasStakers::<T>::get(era, who) else {
                Self::mint_reward(who, era, share);
                return 0;
            };
            let commission =
                ErasValidatorPrefs::<T>::get(era, who).map_or_else(Perbill::zero, |p| p.commission);
            let commission_part = commission * share;
            let rest = share.saturating_sub(commission_part);
            let own_part = if exposure.total.is_zero() {
                rest
            } else {
                Perbill::from_rational(exposure.own, exposure.total) * rest
            };
            Self::mint_reward(who, era, commission_part.saturating_add(own_part));
            for backer in exposure.others.iter() {
                let part = Perbill::from_rational(backer.value, exposure.total) * rest;
                Self::mint_reward(&backer.who, era, part);
            }
            exposure.others.len() as u32
        }

        fn mint_reward(who: &T::AccountId, era: EraIndex, amount: BalanceOf<T>) {
            if amount.is_zero() {
                return;
            }
            // A share below the existential deposit to an account that does not exist
            // cannot be minted; it is lost (not minted), which is documented dust.
            if let Ok(amount) = T::Currency::mint_into(who, amount) {
                Self::deposit_event(Event::Rewarded {
                    who: who.clone(),
                    era,
                    amount,
                });
            }
        }

        /// Adds (or, with `add == false`, removes) era points of the active era.
        pub(crate) fn note_points(who: &T::AccountId, points: u32, add: bool) {
            let era = Self::active_era();
            let mut delta = 0u32;
            ErasPoints::<T>::mutate(era, who, |p| {
                let before = *p;
                *p = if add {
                    p.saturating_add(points)
                } else {
                    p.saturating_sub(points)
                };
                delta = before.abs_diff(*p);
            });
            ErasTotalPoints::<T>::mutate(era, |t| {
                *t = if add {
                    t.saturating_add(delta)
                } else {
                    t.saturating_sub(delta)
                };
            });
        }

        /// Removes eras older than `HistoryDepth` from `era`. Bounded: one era's
        /// validators (`MaxValidators`) and its offence records (`MaxSlashesPerEra`).
        fn prune_era(era: EraIndex) {
            let Some(old) = era.checked_sub(T::HistoryDepth::get()) else {
                return;
            };
            let limit = T::MaxValidators::get();
            let _ = ErasStakers::<T>::clear_prefix(old, limit, None);
            let _ = ErasValidatorPrefs::<T>::clear_prefix(old, limit, None);
            let _ = OffencesReported::<T>::clear_prefix(old, T::MaxSlashesPerEra::get(), None);
            ErasValidators::<T>::remove(old);
            ErasStartSessionIndex::<T>::remove(old);
        }

        // ------------------------------------------------------------ slashing

        /// Reports a verified offence by `offender` in session `session`. Defers a slash of
        /// its exposure in that era, disables it now and chills it. Called by the runtime's
        /// evidence handler, never by a user.
        pub fn report_offence(
            offender: &T::AccountId,
            session: SessionIndex,
            kind: OffenceKind,
        ) -> DispatchResult {
            let params = Self::params()?;
            let active = Self::active_era();
            let offence_era =
                Self::era_of_session(session, active).ok_or(Error::<T>::OffenceTooOld)?;
            ensure!(
                !OffencesReported::<T>::contains_key(offence_era, (offender, kind)),
                Error::<T>::DuplicateOffence
            );
            let exposure =
                ErasStakers::<T>::get(offence_era, offender).ok_or(Error::<T>::NotExposed)?;
            let fraction = match kind {
                OffenceKind::AuraEquivocation => params.aura_slash,
                OffenceKind::GrandpaEquivocation => params.grandpa_slash,
            };
            let apply_era = active
                .saturating_add(params.slash_defer_eras)
                .max(active.saturating_add(1));
            let slash = UnappliedSlash {
                validator: offender.clone(),
                kind,
                offence_era,
                own: fraction * exposure.own,
                others: BoundedVec::truncate_from(
                    exposure
                        .others
                        .iter()
                        .map(|e| (e.who.clone(), fraction * e.value))
                        .collect(),
                ),
            };
            UnappliedSlashes::<T>::try_mutate(apply_era, |slashes| slashes.try_push(slash))
                .map_err(|_| Error::<T>::TooManySlashes)?;
            OffencesReported::<T>::insert(offence_era, (offender, kind), ());
            if T::ValidatorDisabler::disable(offender, fraction) {
                Self::deposit_event(Event::ValidatorDisabled {
                    who: offender.clone(),
                });
            }
            if Validators::<T>::contains_key(offender) {
                Self::do_chill(offender);
            }
            // An equivocation costs the validator's reputation what ten missed votes cost.
            T::Reputation::penalize(
                offender,
                Role::Validator,
                params.reputation_penalty.saturating_mul(10),
            );
            Self::deposit_event(Event::SlashDeferred {
                validator: offender.clone(),
                kind,
                offence_era,
                apply_era,
            });
            Ok(())
        }

        /// The era that `session` belonged to, searching back from `active` within the
        /// history kept.
        fn era_of_session(session: SessionIndex, active: EraIndex) -> Option<EraIndex> {
            let oldest = active.saturating_sub(T::HistoryDepth::get().saturating_sub(1));
            let mut era = CurrentEra::<T>::get().max(active);
            loop {
                if let Some(start) = ErasStartSessionIndex::<T>::get(era) {
                    if start <= session {
                        return Some(era);
                    }
                }
                if era <= oldest {
                    return None;
                }
                era = era.saturating_sub(1);
            }
        }

        /// Applies the slashes deferred to `era`; returns how many accounts were touched.
        fn apply_slashes(era: EraIndex) -> u32 {
            let slashes = UnappliedSlashes::<T>::take(era);
            let mut touched = 0u32;
            for slash in slashes {
                Self::slash_account(&slash.validator, slash.own);
                touched.saturating_inc();
                for (who, amount) in slash.others {
                    Self::slash_account(&who, amount);
                    touched.saturating_inc();
                }
            }
            touched
        }

        /// Takes up to `amount` from `who`'s bond: active first, then unlocking chunks
        /// newest first (they were exposed too). Witnesses left below the minimum are
        /// deregistered.
        fn slash_account(who: &T::AccountId, amount: BalanceOf<T>) {
            if amount.is_zero() {
                return;
            }
            let Some(mut ledger) = Ledger::<T>::get(who) else {
                return;
            };
            let amount = amount.min(ledger.total);
            let from_active = amount.min(ledger.active);
            ledger.active = ledger.active.saturating_sub(from_active);
            let mut left = amount.saturating_sub(from_active);
            while let Some(last) = ledger.unlocking.last_mut() {
                if left.is_zero() {
                    break;
                }
                let take = left.min(last.value);
                last.value = last.value.saturating_sub(take);
                left = left.saturating_sub(take);
                if last.value.is_zero() {
                    ledger.unlocking.pop();
                }
            }
            let (credit, _missing) = <T::Currency as fungible::hold::Balanced<T::AccountId>>::slash(
                &HoldReason::Staking.into(),
                who,
                amount.saturating_sub(left),
            );
            let taken = credit.peek();
            T::Slash::on_unbalanced(credit);
            ledger.total = ledger.total.saturating_sub(taken);
            TotalStaked::<T>::mutate(|t| *t = t.saturating_sub(taken));
            let remaining_active = ledger.active;
            if ledger.total.is_zero() {
                Ledger::<T>::remove(who);
            } else {
                Ledger::<T>::insert(who, ledger);
            }
            if let Ok(params) = Self::params() {
                if Witnesses::<T>::contains_key(who) && remaining_active < params.min_witness_stake
                {
                    Witnesses::<T>::remove(who);
                    Self::remove_from_committees(who);
                    Self::deposit_event(Event::WitnessDeregistered { who: who.clone() });
                }
            }
            Self::deposit_event(Event::Slashed {
                who: who.clone(),
                amount: taken,
            });
        }

        /// Takes `who` out of the committees still in use (the current and the previous
        /// epoch): a member under the minimum stake must not vote.
        fn remove_from_committees(who: &T::AccountId) {
            let Some(epoch) = CommitteeEpoch::<T>::get() else {
                return;
            };
            for e in [epoch.saturating_sub(1), epoch] {
                for class in EventClass::ALL {
                    Committees::<T>::mutate_exists(e, class, |maybe| {
                        if let Some(c) = maybe {
                            c.members.retain(|m| m != who);
                        }
                    });
                }
            }
        }

        // ------------------------------------------------------------ committees

        /// Draws every class's committee for `epoch`; drops the committees two epochs old.
        /// Bounded by `MaxWitnesses × MaxCommitteeSize` per class.
        pub fn draw_committees(epoch: EpochIndex) -> Weight {
            CommitteeEpoch::<T>::put(epoch);
            let Ok(params) = Self::params() else {
                return T::DbWeight::get().reads_writes(1, 1);
            };
            if let Some(old) = epoch.checked_sub(2) {
                for class in EventClass::ALL {
                    Committees::<T>::remove(old, class);
                }
            }
            // One pass over the witnesses: (account, weight, classes).
            let mut pool: Vec<(T::AccountId, u128, BoundedVec<EventClass, MaxEventClasses>)> =
                Vec::new();
            let mut witnesses = 0u32;
            for (who, classes) in Witnesses::<T>::iter() {
                witnesses.saturating_inc();
                let stake = Ledger::<T>::get(&who).map_or_else(Zero::zero, |l| l.active);
                if stake < params.min_witness_stake {
                    continue;
                }
                let reputation = T::Reputation::snapshot_score(&who, Role::Witness);
                let stake: u128 = stake.try_into().unwrap_or(u128::MAX);
                let weight = stake.saturating_mul(
                    u128::from(params.reputation_base.saturating_add(reputation)).max(1),
                );
                pool.push((who, weight, classes));
            }
            let (seed, _) = T::Randomness::random(&(b"witness/committees", epoch).encode());
            for class in EventClass::ALL {
                let mut candidates: Vec<(T::AccountId, u128)> = pool
                    .iter()
                    .filter(|(_, _, classes)| classes.contains(&class))
                    .map(|(who, w, _)| (who.clone(), *w))
                    .collect();
                let members = Self::sortition(
                    &mut candidates,
                    params.committee_size,
                    &(seed, class).encode(),
                );
                Committees::<T>::insert(
                    epoch,
                    class,
                    Committee {
                        members: BoundedVec::truncate_from(members),
                        min_stake: params.min_witness_stake,
                    },
                );
            }
            Self::deposit_event(Event::CommitteesDrawn { epoch });
            T::WeightInfo::draw_committees(witnesses)
        }

        /// Draws `k` distinct candidates, each draw with probability proportional to
        /// weight among those left. The random numbers are blake2-256 of (seed, draw).
        pub(crate) fn sortition(
            candidates: &mut Vec<(T::AccountId, u128)>,
            k: u32,
            seed: &[u8],
        ) -> Vec<T::AccountId> {
            let mut chosen = Vec::new();
            let mut total: u128 = candidates
                .iter()
                .fold(0u128, |a, (_, w)| a.saturating_add(*w));
            for draw in 0..k {
                if candidates.is_empty() || total == 0 {
                    break;
                }
                let hash = sp_io::hashing::blake2_256(&(seed, draw).encode());
                let mut bytes = [0u8; 16];
                bytes.copy_from_slice(&hash[..16]);
                // Modulo bias is below total / 2^128: negligible for any real stake.
                let mut point = u128::from_le_bytes(bytes) % total;
                let mut pick = candidates.len() - 1;
                for (i, (_, w)) in candidates.iter().enumerate() {
                    if point < *w {
                        pick = i;
                        break;
                    }
                    point -= *w;
                }
                let (who, w) = candidates.swap_remove(pick);
                total = total.saturating_sub(w);
                chosen.push(who);
            }
            chosen
        }

        /// Rewards or penalizes a vote once the outcome is known.
        fn judge_vote(who: &T::AccountId, agrees: bool, params: &ParamsOf<T>) {
            if agrees {
                T::Reputation::reward(who, Role::Witness, params.reputation_reward);
                Self::note_points(who, params.points_per_attestation, true);
            } else {
                T::Reputation::penalize(who, Role::Witness, params.reputation_penalty);
                Self::note_points(who, params.points_per_attestation, false);
            }
        }

        fn store_receipt(
            id: EventId,
            event: &PendingEventOf<T>,
            verdict: Verdict,
            agreeing: u32,
            now: BlockNumberFor<T>,
        ) {
            // Evict the oldest receipt first if the store is full.
            if Receipts::<T>::count() >= T::MaxReceipts::get() {
                Self::pop_receipt();
            }
            Receipts::<T>::insert(
                id,
                Receipt {
                    class: event.class,
                    payload_hash: event.payload_hash,
                    verdict,
                    epoch: event.epoch,
                    resolved_at: now,
                    agreeing,
                },
            );
            ReceiptQueueBounds::<T>::mutate(|(_, back)| {
                ReceiptQueue::<T>::insert(*back, id);
                *back = back.saturating_add(1);
            });
            Self::deposit_event(Event::EventValidated {
                id,
                class: event.class,
                payload_hash: event.payload_hash,
                verdict,
            });
        }

        fn pop_receipt() {
            ReceiptQueueBounds::<T>::mutate(|(front, back)| {
                if *front < *back {
                    if let Some(id) = ReceiptQueue::<T>::take(*front) {
                        Receipts::<T>::remove(id);
                    }
                    *front = front.saturating_add(1);
                }
            });
        }

        /// Closes up to `MaxCleanupPerBlock` events whose time is up, in submission order:
        /// unresolved ones expire; members that never voted lose reputation and points.
        pub(crate) fn expire_events(now: BlockNumberFor<T>) -> Weight {
            let (mut front, back) = EventQueueBounds::<T>::get();
            let params = Self::params().ok();
            let mut done = 0u32;
            while front < back && done < T::MaxCleanupPerBlock::get() {
                let Some(id) = EventQueue::<T>::get(front) else {
                    front = front.saturating_add(1);
                    continue;
                };
                let Some(event) = PendingEvents::<T>::get(id) else {
                    EventQueue::<T>::remove(front);
                    front = front.saturating_add(1);
                    continue;
                };
                if event.expires_at > now {
                    break;
                }
                if let (Some(committee), Some(params)) = (
                    Committees::<T>::get(event.epoch, event.class),
                    params.as_ref(),
                ) {
                    for member in committee.members.iter() {
                        if !event.votes.iter().any(|(v, _)| v == member) {
                            T::Reputation::penalize(
                                member,
                                Role::Witness,
                                params.reputation_penalty,
                            );
                            Self::note_points(member, params.points_per_attestation, false);
                        }
                    }
                }
                if event.outcome.is_none() {
                    Self::deposit_event(Event::EventExpired { id });
                }
                PendingEvents::<T>::remove(id);
                EventQueue::<T>::remove(front);
                front = front.saturating_add(1);
                done.saturating_inc();
            }
            EventQueueBounds::<T>::mutate(|b| b.0 = front);
            T::WeightInfo::expire_events(done)
        }

        /// Removes up to `MaxCleanupPerBlock` receipts older than `receipt_retention`.
        pub(crate) fn prune_receipts(now: BlockNumberFor<T>) -> Weight {
            let Ok(params) = Self::params() else {
                return Weight::zero();
            };
            let mut done = 0u32;
            while done < T::MaxCleanupPerBlock::get() {
                let (front, back) = ReceiptQueueBounds::<T>::get();
                if front >= back {
                    break;
                }
                let stale = ReceiptQueue::<T>::get(front)
                    .and_then(Receipts::<T>::get)
                    .is_none_or(|r| r.resolved_at.saturating_add(params.receipt_retention) <= now);
                if !stale {
                    break;
                }
                Self::pop_receipt();
                done.saturating_inc();
            }
            T::WeightInfo::prune_receipts(done)
        }

        /// Invariants: the staked total is the sum of the ledgers and what is on hold;
        /// every ledger's total is its active plus its chunks; the candidate, nominator
        /// and witness sets respect their bounds; no committee member of the epochs in use
        /// has less than the minimum stake its committee was drawn with.
        #[cfg(any(feature = "try-runtime", test))]
        pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
            let mut sum = BalanceOf::<T>::zero();
            for (who, ledger) in Ledger::<T>::iter() {
                let chunks = ledger
                    .unlocking
                    .iter()
                    .fold(Zero::zero(), |a: BalanceOf<T>, c| a.saturating_add(c.value));
                ensure!(
                    ledger.total == ledger.active.saturating_add(chunks),
                    "ledger total is not active + unlocking"
                );
                ensure!(
                    <T::Currency as fungible::InspectHold<T::AccountId>>::balance_on_hold(
                        &HoldReason::Staking.into(),
                        &who,
                    ) == ledger.total,
                    "held balance differs from the ledger"
                );
                sum = sum.saturating_add(ledger.total);
            }
            ensure!(
                sum == TotalStaked::<T>::get(),
                "total stake is not the sum of the ledgers"
            );
            ensure!(
                Validators::<T>::count() <= T::MaxCandidates::get(),
                "too many candidates"
            );
            ensure!(
                Nominators::<T>::count() <= T::MaxNominators::get(),
                "too many nominators"
            );
            ensure!(
                Witnesses::<T>::count() <= T::MaxWitnesses::get(),
                "too many witnesses"
            );
            ensure!(
                PendingEvents::<T>::count() <= T::MaxPendingEvents::get(),
                "too many events"
            );
            ensure!(
                Receipts::<T>::count() <= T::MaxReceipts::get(),
                "too many receipts"
            );
            // A member keeps at least the lower of the minimum it was drawn with and the
            // minimum in force (governance may have lowered it since).
            let min_now = Self::params().map_or_else(|_| Zero::zero(), |p| p.min_witness_stake);
            if let Some(epoch) = CommitteeEpoch::<T>::get() {
                for e in [epoch.saturating_sub(1), epoch] {
                    for class in EventClass::ALL {
                        let Some(committee) = Committees::<T>::get(e, class) else {
                            continue;
                        };
                        for member in committee.members.iter() {
                            let stake =
                                Ledger::<T>::get(member).map_or_else(Zero::zero, |l| l.active);
                            ensure!(
                                stake >= committee.min_stake.min(min_now),
                                "committee member below the minimum stake"
                            );
                        }
                    }
                }
            }
            Ok(())
        }
    }

    // ---------------------------------------------------------------- trait impls

    impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
        fn new_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
            Self::plan_session(new_index)
        }

        fn new_session_genesis(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
            if new_index == 0 {
                let validators = ErasValidators::<T>::get(0);
                (!validators.is_empty()).then(|| validators.into_inner())
            } else {
                Self::plan_session(new_index)
            }
        }

        fn end_session(_: SessionIndex) {}

        fn start_session(index: SessionIndex) {
            Self::start_session(index)
        }
    }

    impl<T: Config> pallet_authorship::EventHandler<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
        fn note_author(author: T::AccountId) {
            if let Ok(params) = Self::params() {
                Self::note_points(&author, params.points_per_block, true);
            }
        }
    }

    impl<T: Config> ReceiptProvider<BlockNumberFor<T>> for Pallet<T> {
        fn receipt(class: EventClass, payload_hash: &H256) -> Option<Receipt<BlockNumberFor<T>>> {
            Receipts::<T>::get(event_id(class, payload_hash))
        }
    }
}

/// Routes a share of transaction fees into the reward pot and burns the rest: the
/// runtime's `OnChargeTransaction` handler. `Share` is the pot's part.
pub struct FeeShareToPot<T, Share>(core::marker::PhantomData<(T, Share)>);

impl<T: Config, Share: Get<Perbill>> OnUnbalanced<CreditOf<T>> for FeeShareToPot<T, Share> {
    fn on_nonzero_unbalanced(credit: CreditOf<T>) {
        let to_pot = Share::get() * credit.peek();
        let (pot_part, _burned) = credit.split(to_pot);
        // If the pot cannot take it (it would stay below the existential deposit), the
        // credit comes back and is dropped: burned.
        let _ = T::Currency::resolve(&Pallet::<T>::pot_account(), pot_part);
    }
}
