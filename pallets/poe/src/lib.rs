//! # pallet-poe: proof-of-engagement rewards
//!
//! Each reward period has a pool. Scores are computed off chain from the period's attested
//! engagement, attested by a witness committee as one Merkle root, and every account
//! claims its own share with a Merkle proof. Nothing is paid per like or per view.
//!
//! ## Flow
//!
//! 1. **Funding.** Anyone calls [`Pallet::fund`]; the runtime also routes `fee_share` of
//!    transaction fees into the pool account ([`Pallet::account_id`]).
//! 2. **A period closes** in `on_initialize` once `period_length` blocks have passed since
//!    it started. Its pool is a snapshot: the pool account's free balance, less its
//!    existential deposit and less what older open periods still owe ([`Reserved`]). The
//!    block range `[start, end)` is in [`Periods`] and in [`Event::PeriodClosed`]: the
//!    aggregator scores the engagement events attested in it.
//! 3. **Scores.** An aggregator (any signed account; the reference one is
//!    [`aggregator::aggregate`]) calls [`Pallet::submit_scores`] with the root, the total
//!    score and the number of leaves. This submits a witness `Engagement` event whose
//!    payload hash is [`scores_payload_hash`] and charges the aggregator the event fee.
//!    Several proposals per period may wait: each paid its event fee, so a junk
//!    proposal cannot block an honest one, and they are removed with the period.
//! 4. **Attestation.** Once the committee has resolved the event, anyone calls
//!    [`Pallet::accept_scores`] with the same arguments: it settles the receipt for good
//!    (`ReceiptProvider::consume`). `Valid` makes the root the period's; `Invalid` drops
//!    the proposal, and another may be submitted.
//! 5. **Claims.** Anyone calls [`Pallet::claim`] (or [`Pallet::claim_many`] for a batch)
//!    for an account with its leaf and proof (rules in [`merkle`]). The account is paid
//!    `pool × score / total_score`, rounded down, credited to it in the payouts ledger
//!    (`PayoutLedger::credit`, `CreditSource::Engagement`) from the pool account. A leaf
//!    is paid once (a bitmap per period, [`Claimed`]); an account whose `Role::Creator`
//!    reputation is below `reputation_floor` is refused (it may claim again once above it,
//!    within the window); a leaf above the period's score cap is refused; a period never
//!    pays more than its pool, whatever the root says.
//! 6. **Expiry.** `claim_window` periods after its close, a period expires in
//!    `on_initialize` (one per block): its unclaimed remainder returns to the pool (the
//!    next period's snapshot takes it), and its bitmap words are removed at most
//!    `MaxClearPerBlock` per block, one period after another (`Schedule::purge_next`).
//!
//! Invariants (`do_try_state`): every open period has `paid ≤ pool`; [`Reserved`] is
//! `Σ (pool − paid)` over the open periods and at most the pool account's free balance
//! less its existential deposit, so every claim the roots allow can be paid.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "std")]
pub mod aggregator;
pub mod merkle;
pub mod types;
pub mod weights;

mod impls;
#[cfg(any(feature = "try-runtime", test))]
mod try_state;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::traits::fungible;
use scale_info::TypeInfo;

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
    <<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// The parameters of a runtime.
pub type ParamsOf<T> = Params<frame_system::pallet_prelude::BlockNumberFor<T>>;

/// A closed period of a runtime.
pub type PeriodInfoOf<T> =
    PeriodInfo<BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>;

/// A claim of a runtime.
pub type ClaimOf<T> = Claim<<T as frame_system::Config>::AccountId, <T as Config>::MaxProofDepth>;

/// Where the periods are: one storage value read by every block's `on_initialize`.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct Schedule<BlockNumber> {
    /// The period running now (not yet closed).
    pub current: PeriodIndex,
    /// The block at which it started.
    pub current_start: BlockNumber,
    /// The block at which it closes.
    pub next_close: BlockNumber,
    /// Periods `oldest_open..current` are closed and open (awaiting scores or claimable);
    /// older ones expired.
    pub oldest_open: PeriodIndex,
    /// Expired periods `purge_next..oldest_open` still have storage to remove; older ones
    /// are gone.
    pub purge_next: PeriodIndex,
}

/// What benchmarks need from the runtime's witness and reputation pallets to reach the
/// successful paths.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
    /// Makes `who` able to submit an `Engagement` event now (a committee exists, `who`
    /// can pay the fee).
    fn prepare_submitter(who: &AccountId);
    /// Makes a retained receipt with `verdict` for the `Engagement` event `payload_hash`
    /// (which may be pending).
    fn set_receipt(payload_hash: sp_core::H256, verdict: pallet_witness::Verdict);
    /// Gives `who` at least `score` reputation as `Role::Creator`.
    fn set_reputation(who: &AccountId, score: u64);
}

#[cfg(feature = "runtime-benchmarks")]
impl<AccountId> BenchmarkHelper<AccountId> for () {
    fn prepare_submitter(_: &AccountId) {}
    fn set_receipt(_: sp_core::H256, _: pallet_witness::Verdict) {}
    fn set_reputation(_: &AccountId, _: u64) {}
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use alloc::vec::Vec;
    use frame_support::{
        pallet_prelude::*,
        traits::{
            fungible::{Inspect, Mutate},
            tokens::Preservation,
        },
        PalletId,
    };
    use frame_system::pallet_prelude::*;
    use pallet_payouts::PayoutLedger;
    use pallet_reputation::ReputationScores;
    use pallet_witness::{EventSubmitter, ReceiptProvider};
    use sp_core::H256;
    use sp_runtime::traits::{AccountIdConversion, Saturating, Zero};

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    /// The pallet's configuration.
    #[pallet::config]
    pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
        /// The currency the pool is held in (pallet-balances).
        type Currency: Inspect<Self::AccountId> + Mutate<Self::AccountId>;
        /// The origin of [`Pallet::set_params`] (Root or the `parameters` track).
        type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// The pool account is this id's account (`*b"ech/poep"` in the runtime).
        #[pallet::constant]
        type PalletId: Get<PalletId>;
        /// The payouts ledger that claims are credited to.
        type Ledger: PayoutLedger<Self::AccountId, BalanceOf<Self>>;
        /// Submits score proposals as witness `Engagement` events (pallet-witness).
        type Submitter: EventSubmitter<Self::AccountId>;
        /// Reads and settles their receipts (pallet-witness).
        type Receipts: ReceiptProvider<BlockNumberFor<Self>>;
        /// Reputation scores: claims need `reputation_floor` as `Role::Creator`.
        type Reputation: ReputationScores<Self::AccountId>;
        /// The longest Merkle proof: a period has at most 2^this leaves (32; 20 covers
        /// 10⁶ accounts).
        #[pallet::constant]
        type MaxProofDepth: Get<u32>;
        /// The most claims in one [`Pallet::claim_many`] (2,000).
        #[pallet::constant]
        type MaxClaimsPerCall: Get<u32>;
        /// The most claim-bitmap words (then proposals) of expired periods removed per
        /// block (1,000).
        #[pallet::constant]
        type MaxClearPerBlock: Get<u32>;
        /// Weights of the calls and hooks.
        type WeightInfo: WeightInfo;
        /// Sets up the witness and reputation state benchmarks need.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
    }

    /// The parameters in force (governance sets them whole).
    #[pallet::storage]
    pub type ActiveParams<T: Config> = StorageValue<_, ParamsOf<T>, ValueQuery>;

    /// Where the periods are.
    #[pallet::storage]
    pub type CurrentSchedule<T: Config> = StorageValue<_, Schedule<BlockNumberFor<T>>, ValueQuery>;

    /// Closed period → its pool, accepted root and what it paid. Removed once its expiry
    /// storage is purged.
    #[pallet::storage]
    pub type Periods<T: Config> = StorageMap<_, Twox64Concat, PeriodIndex, PeriodInfoOf<T>>;

    /// `Σ (pool − paid)` over the open periods: what the pool account owes and the next
    /// snapshot leaves out.
    #[pallet::storage]
    pub type Reserved<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

    /// (period, payload hash) → the aggregator that submitted the proposal, while its
    /// receipt is awaited. Not bounded per period: each entry was paid for with a witness
    /// event fee, and all are removed when the period is purged.
    #[pallet::storage]
    pub type Proposals<T: Config> =
        StorageDoubleMap<_, Twox64Concat, PeriodIndex, Identity, H256, T::AccountId>;

    /// (period, word) → the claim bitmap: bit `i % 128` of word `i / 128` is set once leaf
    /// `i` was paid.
    #[pallet::storage]
    pub type Claimed<T: Config> =
        StorageDoubleMap<_, Twox64Concat, PeriodIndex, Twox64Concat, u32, u128, ValueQuery>;

    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// The parameters at genesis (the defaults of [`Params`] if not given).
        pub params: ParamsOf<T>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            Pallet::<T>::check_params(&self.params).expect("pallet-poe genesis params are valid");
            ActiveParams::<T>::put(&self.params);
            CurrentSchedule::<T>::put(Schedule {
                next_close: self.params.period_length,
                ..Default::default()
            });
            // The pool account exists from genesis, so that the first fee share or
            // funding below the existential deposit is not lost.
            let pool = Pallet::<T>::account_id();
            let ed = T::Currency::minimum_balance();
            let have = T::Currency::balance(&pool);
            if have < ed {
                T::Currency::mint_into(&pool, ed - have).expect("pool account can be created");
            }
        }
    }

    /// Events.
    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// Governance set new parameters.
        ParamsSet {
            /// The new parameters.
            params: ParamsOf<T>,
        },
        /// The pool was funded.
        Funded {
            /// Who paid.
            who: T::AccountId,
            /// How much.
            amount: BalanceOf<T>,
        },
        /// A period closed: its engagement is blocks `[start, end)`.
        PeriodClosed {
            /// The period.
            period: PeriodIndex,
            /// Its first block.
            start: BlockNumberFor<T>,
            /// The first block after it.
            end: BlockNumberFor<T>,
            /// What it pays out in total.
            pool: BalanceOf<T>,
        },
        /// An aggregator proposed the scores of a period; the witness `Engagement` event
        /// `payload_hash` was submitted for it.
        ScoresSubmitted {
            /// The period.
            period: PeriodIndex,
            /// The aggregator (it paid the event fee).
            submitter: T::AccountId,
            /// The proposed root.
            root: H256,
            /// The proposed total score.
            total_score: u128,
            /// The proposed number of leaves.
            leaves: u32,
            /// The event's payload hash ([`scores_payload_hash`]).
            payload_hash: H256,
        },
        /// The committee attested a proposal: the period is claimable against `root`.
        ScoresAccepted {
            /// The period.
            period: PeriodIndex,
            /// The root.
            root: H256,
            /// The total score.
            total_score: u128,
            /// The number of leaves.
            leaves: u32,
        },
        /// The committee rejected a proposal: it was dropped.
        ScoresRejected {
            /// The period.
            period: PeriodIndex,
            /// The rejected root.
            root: H256,
            /// The event's payload hash.
            payload_hash: H256,
        },
        /// A leaf was paid.
        Claimed {
            /// The period.
            period: PeriodIndex,
            /// The leaf.
            index: u32,
            /// The account credited.
            account: T::AccountId,
            /// Its score.
            score: u128,
            /// What it was credited (`pool × score / total_score`, rounded down).
            amount: BalanceOf<T>,
        },
        /// A claim of a [`Pallet::claim_many`] batch was refused; the others went on.
        ClaimSkipped {
            /// The period.
            period: PeriodIndex,
            /// The leaf.
            index: u32,
            /// Why (one of this pallet's errors, or the ledger's).
            error: DispatchError,
        },
        /// A period's claim window passed.
        PeriodExpired {
            /// The period.
            period: PeriodIndex,
            /// Its unclaimed remainder, back in the pool.
            returned: BalanceOf<T>,
        },
        /// An expired period's storage is all removed.
        PeriodPurged {
            /// The period.
            period: PeriodIndex,
        },
    }

    /// Errors.
    #[pallet::error]
    pub enum Error<T> {
        /// `period_length` is zero.
        ZeroPeriodLength,
        /// `claim_window` is zero.
        ZeroClaimWindow,
        /// `score_cap` is zero.
        ZeroScoreCap,
        /// The period has not closed yet.
        PeriodNotClosed,
        /// The period's claim window has passed.
        PeriodExpired,
        /// The period already has an accepted root.
        AlreadyScored,
        /// The period has no accepted root yet.
        NotScored,
        /// This exact proposal already waits for its receipt.
        ProposalExists,
        /// No such proposal waits (submit it first, or it was already decided).
        UnknownProposal,
        /// The committee has not decided the proposal (or its receipt was pruned).
        NoReceipt,
        /// The proposal's receipt was already settled.
        ReceiptAlreadySettled,
        /// A proposal needs at least one leaf.
        NoLeaves,
        /// More leaves than a proof of `MaxProofDepth` siblings can reach.
        TooManyLeaves,
        /// A proposal's total score is zero.
        ZeroTotalScore,
        /// The total score is above `leaves × score_cap`: some leaf must be above the cap.
        TotalAboveCap,
        /// The leaf index is not below the period's number of leaves.
        IndexOutOfRange,
        /// The leaf's score is above the period's score cap.
        ScoreAboveCap,
        /// The Merkle proof does not lead to the period's root.
        InvalidProof,
        /// This leaf was already paid.
        AlreadyClaimed,
        /// The account's `Role::Creator` reputation is below `reputation_floor`.
        BelowReputationFloor,
        /// Paying this leaf would take the period above its pool (a root whose scores add
        /// up to more than its total).
        PoolExhausted,
        /// `fund` of nothing.
        ZeroAmount,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            Self::period_hooks(now)
        }

        fn integrity_test() {
            assert!(
                (1..=32).contains(&T::MaxProofDepth::get()),
                "MaxProofDepth must be 1..=32 (leaf indices are u32)"
            );
            assert!(
                T::MaxClaimsPerCall::get() > 0,
                "MaxClaimsPerCall must not be zero"
            );
            assert!(
                T::MaxClearPerBlock::get() > 0,
                "MaxClearPerBlock must not be zero"
            );
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Proposes the scores of closed `period`: the Merkle `root` of its `leaves` leaves
        /// and their `total_score`. Submits the witness `Engagement` event
        /// [`scores_payload_hash`]`(period, root, total_score, leaves)`; the caller pays
        /// its fee.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::submit_scores())]
        pub fn submit_scores(
            origin: OriginFor<T>,
            period: PeriodIndex,
            root: H256,
            total_score: u128,
            leaves: u32,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_submit_scores(who, period, root, total_score, leaves)
        }

        /// Settles the receipt of a proposal (same arguments as `submit_scores`): `Valid`
        /// makes `root` the period's, `Invalid` drops the proposal. Anyone may call it.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::accept_scores())]
        pub fn accept_scores(
            origin: OriginFor<T>,
            period: PeriodIndex,
            root: H256,
            total_score: u128,
            leaves: u32,
        ) -> DispatchResult {
            ensure_signed(origin)?;
            Self::do_accept_scores(period, root, total_score, leaves)
        }

        /// Pays leaf `index` of `period` (`account` scored `score`) with its Merkle
        /// `proof`. Anyone may call it for anyone: the payment always goes to `account`.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::claim(proof.len() as u32))]
        pub fn claim(
            origin: OriginFor<T>,
            period: PeriodIndex,
            index: u32,
            account: T::AccountId,
            score: u128,
            proof: BoundedVec<H256, T::MaxProofDepth>,
        ) -> DispatchResult {
            ensure_signed(origin)?;
            let mut info = Self::open_period(period)?;
            let paid = Self::try_claim(period, &mut info, index, &account, score, &proof)?;
            Self::commit_claims(period, info, paid);
            Ok(())
        }

        /// Pays a batch of leaves of `period`. A refused claim is skipped
        /// ([`Event::ClaimSkipped`]) and does not fail the others; the call fails only if
        /// the period cannot be claimed at all.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::claim_many(
            claims.len() as u32,
            claims.iter().map(|c| c.proof.len() as u32).max().unwrap_or(0),
        ))]
        pub fn claim_many(
            origin: OriginFor<T>,
            period: PeriodIndex,
            claims: BoundedVec<ClaimOf<T>, T::MaxClaimsPerCall>,
        ) -> DispatchResult {
            ensure_signed(origin)?;
            let mut info = Self::open_period(period)?;
            let mut paid = BalanceOf::<T>::zero();
            for c in claims {
                match Self::try_claim(period, &mut info, c.index, &c.account, c.score, &c.proof) {
                    Ok(amount) => paid = paid.saturating_add(amount),
                    Err(error) => Self::deposit_event(Event::ClaimSkipped {
                        period,
                        index: c.index,
                        error,
                    }),
                }
            }
            Self::commit_claims(period, info, paid);
            Ok(())
        }

        /// Moves `amount` of the caller's free balance into the pool (keeping the caller
        /// alive). It is paid out by the next period that closes.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::fund())]
        pub fn fund(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
            T::Currency::transfer(&who, &Self::account_id(), amount, Preservation::Preserve)?;
            Self::deposit_event(Event::Funded { who, amount });
            Ok(())
        }

        /// Sets all parameters (GovernanceOrigin).
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::set_params())]
        pub fn set_params(origin: OriginFor<T>, params: ParamsOf<T>) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            Self::check_params(&params)?;
            ActiveParams::<T>::put(&params);
            Self::deposit_event(Event::ParamsSet { params });
            Ok(())
        }
    }

    impl<T: Config> Pallet<T> {
        /// The pool account: where funding and the fee share go, and what claims pay from.
        pub fn account_id() -> T::AccountId {
            T::PalletId::get().into_account_truncating()
        }

        /// The parameters in force (the runtime reads `fee_share` here).
        pub fn params() -> ParamsOf<T> {
            ActiveParams::<T>::get()
        }

        /// Refuses parameters that would stall the pallet.
        pub fn check_params(params: &ParamsOf<T>) -> Result<(), Error<T>> {
            ensure!(
                !params.period_length.is_zero(),
                Error::<T>::ZeroPeriodLength
            );
            ensure!(params.claim_window > 0, Error::<T>::ZeroClaimWindow);
            ensure!(params.score_cap > 0, Error::<T>::ZeroScoreCap);
            Ok(())
        }

        /// The periods open now, oldest first (closed, not expired).
        pub fn open_periods() -> Vec<PeriodIndex> {
            let s = CurrentSchedule::<T>::get();
            (s.oldest_open..s.current).collect()
        }
    }
}
