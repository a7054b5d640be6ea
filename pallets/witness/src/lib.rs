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
//! block authors: nothing an author can grind, such as a parent hash. The author of an
//! epoch's last block does know the next epoch's seed, so the draw must not read anything
//! that block can change: epoch `e` is drawn from the [`WitnessPool`] snapshot (accounts,
//! weights, classes) taken when epoch `e - 1` was drawn, before anyone knew `e`'s seed.
//! Drawn witnesses that have left or fallen below the minimum stake since are then
//! dropped and their seats stay empty (see `committees.rs`). Each committee stores its K
//! and M. Anyone may [`Pallet::submit_event`] for a fee; the committee of the current
//! epoch votes with [`Pallet::attest`], many events per call. When the committee's M votes
//! agree the event is resolved: a [`Receipt`] is stored and [`Event::EventValidated`]
//! emitted, and those votes are rewarded. Votes cast once the outcome is known are
//! recorded until the event closes `event_ttl` blocks after submission, but earn nothing
//! (agreeing with a known outcome takes no work); a late vote that disagrees is still
//! penalized. When the event closes, members that never voted lose reputation and points.
//! An event that never reaches M expires.
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
pub use rewards::FeeShareToPot;
pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{self, Credit, Inspect},
        OnUnbalanced, Randomness,
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
            /// The era from whose start `withdraw_unbonded` releases it: the active era
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
            /// The account, by its own call or because it committed an offence.
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
        /// An election found fewer than `minimum_validator_count` candidates: the
        /// validator set stays as it was.
        ElectionFailed {
            /// The era planned anyway (so that unbonding, payouts and slashes keep their
            /// schedule); it keeps the previous era's validators and exposures.
            era: EraIndex,
        },
        /// Era `era` started.
        EraStarted {
            /// The era now in [`ActiveEra`].
            era: EraIndex,
        },
        /// Era `era` ended with `reward` to pay out.
        EraPaid {
            /// The era that ended.
            era: EraIndex,
            /// Inflation for one era plus the fees the pot collected; paid out over the
            /// next blocks, `MaxPayoutsPerBlock` earners at a time.
            reward: BalanceOf<T>,
            /// The era's points, which `reward` is split by. When 0, nothing is paid.
            total_points: u32,
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
        /// An offence was reported; its slash applies at the start of `apply_era`.
        SlashDeferred {
            /// The offender, already disabled and chilled; its nominators are slashed too.
            validator: T::AccountId,
            /// Which equivocation, which sets the slashed fraction.
            kind: OffenceKind,
            /// The era of the offence, whose exposure is slashed.
            offence_era: EraIndex,
            /// The era at whose start the slash applies unless governance cancels it.
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
            /// The account, by its own call or because a slash left it below
            /// `min_witness_stake`; it has left the committees still in use.
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
            /// Who paid the `event_fee`.
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
            Self::do_unbond(who, value)
        }

        /// Releases every unlocking chunk whose era has come. A ledger left empty is removed.
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
        /// reward. Replaces a nomination. Needs `min_validator_bond` active.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::validate())]
        pub fn validate(origin: OriginFor<T>, commission: Perbill) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_validate(who, commission)
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
        /// registered in epoch `e` it can be drawn from epoch `e + 2` on.
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::register_witness())]
        pub fn register_witness(
            origin: OriginFor<T>,
            classes: BoundedVec<EventClass, MaxEventClasses>,
        ) -> DispatchResult {
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
        /// current epoch's committee, paying `event_fee` into the reward pot.
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
