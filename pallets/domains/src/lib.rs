//! # pallet-domains: verified optimization work
//!
//! An **optimizer** publishes an optimum (a model or parameters, by content hash) for a
//! **domain** with the score it claims; a quorum of **evaluators**, drawn from the domain's
//! bonded pool weighted by stake × reputation, re-evaluates it off chain and reports by
//! commit-reveal; the median decides. Epoch rewards go to the domains that contributed,
//! each active domain first getting its minimum share, and inside a domain they split
//! between optimizers, evaluators and the treasury by a ratio that moves toward the scarce
//! role.
//!
//! ## Domains and pools
//!
//! Governance registers domains with [`Pallet::register_domain`] (name, [`Direction`],
//! spec hash, tolerance, reward weight, minimum share) and changes them with
//! [`Pallet::update_domain`]. Evaluators [`Pallet::join_pool`] of a domain with a bond
//! (held as [`HoldReason::EvaluatorBond`]), [`Pallet::bond_more`], [`Pallet::unbond`] part
//! of it and [`Pallet::leave_pool`]. **Bonds are released at once, but only while the
//! member serves in no open quorum** (`Member::serving == 0`, else `StillServing`): the only
//! slash is for a seat not revealed, and it is taken when that seat's round ends, so no
//! unbonding delay is needed to keep a bond slashable.
//!
//! Each pool is a Fenwick (binary indexed) tree over member slots ([`PoolSlots`],
//! [`Fenwick`], [`Pools`]): a member's weight is `bond × (reputation_base +
//! Role::Evaluator reputation)`. Joining appends a slot (O(log N) reads, one node write);
//! leaving moves the last slot into the freed one (O(log N) writes). Weights are refreshed
//! whenever this pallet changes a member's bond (join, bond more, unbond, slash); after a
//! verdict's reputation change only when the weight moved by more than 1/16 (a tree update
//! per seat would dominate the verdict's cost). Smaller drifts, and reputation decay, leave
//! a weight stale until the next refresh (anyone may call [`Pallet::refresh_weight`]).
//!
//! ## An optimum's life
//!
//! 1. [`Pallet::submit_optimum`]`(domain, content_hash, claimed_score)` holds
//!    `optimum_deposit` ([`HoldReason::OptimumDeposit`]). The claim must beat the domain's
//!    best accepted score.
//! 2. `draw_delay` blocks later, `on_initialize` (at most `max_draws_per_block` per block)
//!    draws its quorum of `K = max(3, ceil(sqrt(N)))` members ([`quorum_size`]) without
//!    replacement, weighted, in O(K log N) storage reads, from [`QuorumRandomness`] (the
//!    epoch's VRF randomness in the runtime, unknown at submission so that an optimizer
//!    cannot grind its submission). The optimizer and its [`LinkedAccounts`] are excluded.
//!    Accounts an optimizer controls without declaring them cannot be detected on chain:
//!    stake weighting is the defence there. [`Event::QuorumDrawn`] lists the members: the
//!    evaluator client watches it.
//! 3. Members [`Pallet::commit`] [`commit_hash`]`(optimum, round, score, salt, evaluator)`
//!    within `commit_window` blocks, then [`Pallet::reveal`] `(score, salt)` within
//!    `reveal_window` blocks.
//! 4. After the reveal window, `on_initialize` (at most `max_verdicts_per_block` per block)
//!    or anyone with [`Pallet::finalize`] closes the round. Members that did not reveal lose
//!    `Role::Evaluator` reputation and `no_reveal_slash` of their bond (to the treasury).
//!    In round 0, if the revealed scores spread over more than 2 × tolerance, or the claimed
//!    gain over the best exceeds `large_gain`, or fewer than `min_reveals` revealed, a
//!    second quorum of 2K is drawn (round 1) before any verdict. Otherwise (or after the
//!    second round) the lower median of the deciding round's scores decides: within
//!    tolerance of the claim is [`Outcome::Accepted`] (deposit returned, best updated,
//!    contribution and optimizer reputation recorded), else [`Outcome::Refused`] (deposit to
//!    the treasury, optimizer reputation lost). Too few reveals in round 1 is [`Outcome::Undecided`]
//!    (deposit returned). Every revealer (both rounds) within tolerance of the verdict gains
//!    reputation and an evaluator point; farther than `far_factor × tolerance` loses
//!    reputation. A colluding minority cannot move the median out of the honest range.
//!
//! ## Epoch rewards
//!
//! Anyone [`Pallet::fund`]s the pot ([`Pallet::account_id`]). Every `epoch_length` blocks
//! the epoch ends: if its accepted contributions reach `release_threshold` it releases
//! `accrued` (at most what the pot holds beyond what it owes), otherwise it is extended and
//! its reward carries over. The released reward splits over the active domains
//! (≥ 1 accepted contribution): each gets its `min_share` first (all minimums scaled down
//! if they add up to more than 100%), and the rest by weight (`Σ reward_weight` of its
//! contributions), so a flooding domain never takes more than `1 − Σ others' minimums`. A
//! domain below `min_contributions` keeps its share in its [`Carry`] for its next paid
//! epoch. A paid domain's amount (with its carry) gives `treasury_share` to the treasury,
//! `eval_share` to evaluators (by points) and the rest to optimizers (by points); then its
//! `eval_share` moves by `split_step` within bounds: up when evaluations demanded per pool
//! member exceeded `target_load`, down when below half of it. Evaluators earn a point for
//! every revealed score within tolerance of a verdict, accepted or refused; points pay only
//! in an epoch in which their domain is paid. Accounts' shares are credited to
//! [`Claimable`] by `on_initialize` (`max_payouts_per_block` per block) and paid by
//! [`Pallet::claim_rewards`].
//!
//! ## Bounds
//!
//! Every hook does a bounded amount of work per block: at most `max_draws_per_block` draws
//! and `max_verdicts_per_block` verdicts, each kind stopping early once it used a quarter of
//! the block's weight; `max_payouts_per_block` payout entries; the epoch end reads at most
//! `MaxDomains` active domains. Invariants (`do_try_state`): held
//! deposits and bonds match storage, every Fenwick tree sums to its pool's total and its
//! slots' weights, and the pot holds at least what it owes.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod types;
pub mod weights;

mod fenwick;
mod impls;
mod rewards;
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

use alloc::vec::Vec;
use frame_support::traits::fungible;

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
    <<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// The parameters of a runtime.
pub type ParamsOf<T> = Params<BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>;
/// A domain of a runtime.
pub type DomainOf<T> = Domain<<T as Config>::MaxNameLen>;
/// An optimum of a runtime.
pub type OptimumOf<T> = Optimum<
    <T as frame_system::Config>::AccountId,
    BalanceOf<T>,
    frame_system::pallet_prelude::BlockNumberFor<T>,
>;
/// A member of a runtime.
pub type MemberOf<T> = Member<BalanceOf<T>>;
/// The epoch record of a runtime.
pub type EpochInfoOf<T> = EpochInfo<BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>;

/// Where quorum draws get their randomness. The runtime derives it from pallet-randomness
/// (the VRF outputs of the epoch so far), which the submitter of an optimum could not know.
pub trait QuorumRandomness {
    /// 32 random bytes for `subject` (the pallet passes a tag, the optimum and the round).
    fn seed(subject: &[u8]) -> [u8; 32];
}

/// Accounts linked to an optimizer, excluded from its quorums. The runtime returns the
/// account's proxies; `()` returns none.
pub trait LinkedAccounts<AccountId> {
    /// At most `MaxLinked` accounts linked to `who` (more are ignored).
    fn linked(who: &AccountId) -> Vec<AccountId>;
}

impl<AccountId> LinkedAccounts<AccountId> for () {
    fn linked(_: &AccountId) -> Vec<AccountId> {
        Vec::new()
    }
}

/// What benchmarks need from the runtime to reach the paths they measure.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
    /// Gives `who` `Role::Evaluator` reputation `score` (may do nothing).
    fn set_reputation(who: &AccountId, score: u64);
}

#[cfg(feature = "runtime-benchmarks")]
impl<AccountId> BenchmarkHelper<AccountId> for () {
    fn set_reputation(_: &AccountId, _: u64) {}
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use frame_support::{
        pallet_prelude::*,
        traits::{
            fungible::{Inspect, Mutate, MutateHold},
            tokens::{Precision, Preservation},
        },
        PalletId,
    };
    use frame_system::pallet_prelude::*;
    use pallet_reputation::{ReputationHandler, ReputationScores};
    use sp_core::H256;
    use sp_runtime::{
        traits::{AccountIdConversion, Zero},
        Perbill,
    };

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// An evaluator's bonds, over all the pools it is in.
        EvaluatorBond,
        /// An optimizer's deposits of optimums not yet closed.
        OptimumDeposit,
    }

    /// The pallet's configuration.
    #[pallet::config]
    pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
        /// The currency of bonds, deposits and rewards (pallet-balances).
        type Currency: fungible::Mutate<Self::AccountId>
            + fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        /// The runtime's hold reasons, which include this pallet's.
        type RuntimeHoldReason: From<HoldReason>;
        /// The origin of `set_params`, `register_domain` and `update_domain` (Root or the
        /// `parameters` track).
        type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// The pot account is this id's account (`*b"ech/domn"` in the runtime).
        #[pallet::constant]
        type PalletId: Get<PalletId>;
        /// Receives refused deposits, slashes and the treasury share of rewards.
        type TreasuryAccount: Get<Self::AccountId>;
        /// Randomness for quorum draws.
        type Randomness: QuorumRandomness;
        /// Accounts excluded from an optimizer's quorums besides itself.
        type Linked: LinkedAccounts<Self::AccountId>;
        /// Reputation changes (`Role::Optimizer`, `Role::Evaluator`).
        type Reputation: ReputationHandler<Self::AccountId>;
        /// Reputation reads (`Role::Evaluator`, for weights).
        type ReputationScores: ReputationScores<Self::AccountId>;
        /// The most domains (1,000).
        #[pallet::constant]
        type MaxDomains: Get<u32>;
        /// The most members of one pool (10,000).
        #[pallet::constant]
        type MaxEvaluatorsPerDomain: Get<u32>;
        /// The most pools one evaluator is in (8).
        #[pallet::constant]
        type MaxDomainsPerEvaluator: Get<u32>;
        /// The largest quorum (200: 2K for N = 10,000).
        #[pallet::constant]
        type MaxQuorum: Get<u32>;
        /// The most open optimums of one domain (64).
        #[pallet::constant]
        type MaxOpenOptimums: Get<u32>;
        /// The longest domain name (64).
        #[pallet::constant]
        type MaxNameLen: Get<u32>;
        /// The most linked accounts excluded (32).
        #[pallet::constant]
        type MaxLinked: Get<u32>;
        /// Weights of the calls and hooks.
        type WeightInfo: WeightInfo;
        /// Sets up what benchmarks need.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
    }

    /// The parameters in force (governance sets them whole).
    #[pallet::storage]
    pub type ActiveParams<T: Config> = StorageValue<_, ParamsOf<T>, ValueQuery>;

    /// The id the next domain gets (= the number of domains).
    #[pallet::storage]
    pub type NextDomainId<T: Config> = StorageValue<_, DomainId, ValueQuery>;

    /// Registered domains.
    #[pallet::storage]
    pub type Domains<T: Config> = StorageMap<_, Twox64Concat, DomainId, DomainOf<T>>;

    /// Domain → its pool's size and total weight.
    #[pallet::storage]
    pub type Pools<T: Config> = StorageMap<_, Twox64Concat, DomainId, Pool, ValueQuery>;

    /// (domain, slot) → the member in that slot and its weight; slots `0..size` are taken.
    #[pallet::storage]
    pub type PoolSlots<T: Config> =
        StorageDoubleMap<_, Twox64Concat, DomainId, Twox64Concat, u32, Slot<T::AccountId>>;

    /// (domain, node) → Fenwick tree node `node` (1-based, `1..=size`): the sum of the
    /// weights of slots `node − lowbit(node) .. node` (0-based, half-open).
    #[pallet::storage]
    pub type Fenwick<T: Config> =
        StorageDoubleMap<_, Twox64Concat, DomainId, Twox64Concat, u32, u128, ValueQuery>;

    /// (domain, evaluator) → its membership (slot, bond, open seats).
    #[pallet::storage]
    pub type Members<T: Config> =
        StorageDoubleMap<_, Twox64Concat, DomainId, Blake2_128Concat, T::AccountId, MemberOf<T>>;

    /// Evaluator → the domains whose pools it is in.
    #[pallet::storage]
    pub type EvaluatorDomains<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<DomainId, T::MaxDomainsPerEvaluator>,
        ValueQuery,
    >;

    /// The id the next optimum gets.
    #[pallet::storage]
    pub type NextOptimumId<T: Config> = StorageValue<_, OptimumId, ValueQuery>;

    /// Optimums not yet closed (removed at their verdict).
    #[pallet::storage]
    pub type Optimums<T: Config> = StorageMap<_, Twox64Concat, OptimumId, OptimumOf<T>>;

    /// ((optimum, round), member) → its ballot. The entries of a round are its quorum.
    #[pallet::storage]
    pub type Ballots<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        (OptimumId, Round),
        Blake2_128Concat,
        T::AccountId,
        Ballot,
    >;

    /// The draw queue's bounds.
    #[pallet::storage]
    pub type DrawQueue<T: Config> = StorageValue<_, Queue, ValueQuery>;

    /// Draw queue index → (optimum, round) to draw once its `AwaitingDraw { at }` is due.
    /// An entry whose optimum moved on is skipped.
    #[pallet::storage]
    pub type DrawQueueItems<T: Config> = StorageMap<_, Twox64Concat, u64, (OptimumId, Round)>;

    /// The verdict queue's bounds.
    #[pallet::storage]
    pub type VerdictQueue<T: Config> = StorageValue<_, Queue, ValueQuery>;

    /// Verdict queue index → (optimum, round) to decide once its reveal window is over.
    #[pallet::storage]
    pub type VerdictQueueItems<T: Config> = StorageMap<_, Twox64Concat, u64, (OptimumId, Round)>;

    /// The running epoch.
    #[pallet::storage]
    pub type CurrentEpoch<T: Config> = StorageValue<_, EpochInfoOf<T>, ValueQuery>;

    /// The domains active (≥ 1 accepted contribution) in the running epoch.
    #[pallet::storage]
    pub type ActiveDomains<T: Config> =
        StorageValue<_, BoundedVec<DomainId, T::MaxDomains>, ValueQuery>;

    /// Domain → its tally (valid for the epoch it names).
    #[pallet::storage]
    pub type Tallies<T: Config> = StorageMap<_, Twox64Concat, DomainId, Tally, ValueQuery>;

    /// Domain → the rewards it kept from epochs in which it was below `min_contributions`.
    #[pallet::storage]
    pub type Carry<T: Config> = StorageMap<_, Twox64Concat, DomainId, BalanceOf<T>, ValueQuery>;

    /// (epoch, domain, account) → its points, until its payout entry is processed.
    #[pallet::storage]
    pub type AccountPoints<T: Config> = StorageNMap<
        _,
        (
            NMapKey<Twox64Concat, EpochIndex>,
            NMapKey<Twox64Concat, DomainId>,
            NMapKey<Blake2_128Concat, T::AccountId>,
        ),
        Points,
    >;

    /// The payout queue's bounds.
    #[pallet::storage]
    pub type PayoutQueue<T: Config> = StorageValue<_, Queue, ValueQuery>;

    /// Payout queue index → (epoch, domain, account) whose points to credit once the epoch
    /// is released. Entries are in epoch order.
    #[pallet::storage]
    pub type PayoutQueueItems<T: Config> =
        StorageMap<_, Twox64Concat, u64, (EpochIndex, DomainId, T::AccountId)>;

    /// (epoch, domain) → what the domain distributes for that epoch, until its last entry
    /// is processed.
    #[pallet::storage]
    pub type DomainPayouts<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        EpochIndex,
        Twox64Concat,
        DomainId,
        DomainPayout<BalanceOf<T>>,
    >;

    /// Account → rewards credited and not yet claimed.
    #[pallet::storage]
    pub type Claimable<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

    /// What the pot owes: `Σ Claimable + Σ DomainPayouts.remaining + Σ Carry`.
    #[pallet::storage]
    pub type Owed<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// The parameters at genesis (the defaults of [`Params`] if not given).
        pub params: ParamsOf<T>,
        /// Domains registered at genesis, ids from 0 in this order.
        pub domains: Vec<GenesisDomain>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            Pallet::<T>::check_params(&self.params)
                .expect("pallet-domains genesis params are valid");
            ActiveParams::<T>::put(&self.params);
            CurrentEpoch::<T>::put(EpochInfo {
                index: 0,
                ends_at: self.params.epoch_length,
                accrued: self.params.epoch_reward,
                ..Default::default()
            });
            for d in &self.domains {
                let name = BoundedVec::try_from(d.name.clone())
                    .expect("pallet-domains genesis domain name fits MaxNameLen");
                Pallet::<T>::do_register_domain(
                    name,
                    d.direction,
                    d.spec_hash,
                    d.tolerance,
                    d.reward_weight,
                    d.min_share,
                )
                .expect("pallet-domains genesis domains are valid");
            }
            // The pot exists from genesis, so that funding below the existential deposit
            // is not lost.
            let pot = Pallet::<T>::account_id();
            let ed = T::Currency::minimum_balance();
            let have = T::Currency::balance(&pot);
            if have < ed {
                T::Currency::mint_into(&pot, ed - have).expect("pot account can be created");
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
        /// Governance registered a domain.
        DomainRegistered {
            /// Its id.
            domain: DomainId,
            /// Its name.
            name: BoundedVec<u8, T::MaxNameLen>,
            /// Its metric direction.
            direction: Direction,
            /// Its spec hash.
            spec_hash: H256,
            /// Its tolerance.
            tolerance: u64,
        },
        /// Governance changed a domain's tolerance, reward weight or minimum share.
        DomainUpdated {
            /// The domain.
            domain: DomainId,
            /// The new tolerance.
            tolerance: u64,
            /// The new reward weight.
            reward_weight: u32,
            /// The new minimum share.
            min_share: Perbill,
        },
        /// An evaluator joined a pool.
        Joined {
            /// The domain.
            domain: DomainId,
            /// The evaluator.
            who: T::AccountId,
            /// Its bond.
            bond: BalanceOf<T>,
        },
        /// An evaluator's bond changed (bond more, unbond, slash).
        BondChanged {
            /// The domain.
            domain: DomainId,
            /// The evaluator.
            who: T::AccountId,
            /// Its bond now.
            bond: BalanceOf<T>,
        },
        /// An evaluator left a pool; its bond was released.
        Left {
            /// The domain.
            domain: DomainId,
            /// The evaluator.
            who: T::AccountId,
            /// What was released.
            released: BalanceOf<T>,
        },
        /// An optimum was submitted; its quorum is drawn from block `draw_at`.
        OptimumSubmitted {
            /// Its id.
            optimum: OptimumId,
            /// Its domain.
            domain: DomainId,
            /// Its optimizer.
            optimizer: T::AccountId,
            /// Its content hash.
            content_hash: H256,
            /// The claimed score.
            claimed_score: i64,
            /// The first block of the draw.
            draw_at: BlockNumberFor<T>,
        },
        /// A quorum was drawn: its members commit (`commit_hash`) before `commit_until`
        /// and reveal before `reveal_until`. The event the evaluator client watches.
        QuorumDrawn {
            /// The optimum.
            optimum: OptimumId,
            /// Its domain.
            domain: DomainId,
            /// Its content hash (what to fetch and evaluate).
            content_hash: H256,
            /// The round (0, or 1 when escalated).
            round: Round,
            /// The members, in draw order.
            members: BoundedVec<T::AccountId, T::MaxQuorum>,
            /// The first block in which commits are refused and reveals accepted.
            commit_until: BlockNumberFor<T>,
            /// The first block in which reveals are refused.
            reveal_until: BlockNumberFor<T>,
        },
        /// A member committed.
        Committed {
            /// The optimum.
            optimum: OptimumId,
            /// The round.
            round: Round,
            /// The member.
            who: T::AccountId,
        },
        /// A member revealed.
        Revealed {
            /// The optimum.
            optimum: OptimumId,
            /// The round.
            round: Round,
            /// The member.
            who: T::AccountId,
            /// Its score.
            score: i64,
        },
        /// A member did not reveal: it lost reputation and `slashed` of its bond.
        NonRevealerPenalized {
            /// The optimum.
            optimum: OptimumId,
            /// The member.
            who: T::AccountId,
            /// What was slashed to the treasury.
            slashed: BalanceOf<T>,
        },
        /// Round 0 escalated: a quorum of 2K is drawn from block `draw_at`.
        Escalated {
            /// The optimum.
            optimum: OptimumId,
            /// Why.
            reason: EscalationReason,
            /// The first block of the draw.
            draw_at: BlockNumberFor<T>,
        },
        /// An optimum closed.
        OptimumClosed {
            /// The optimum.
            optimum: OptimumId,
            /// Its domain.
            domain: DomainId,
            /// The verdict.
            outcome: Outcome,
            /// The deciding median (none when undecided).
            median: Option<i64>,
            /// The claimed score.
            claimed_score: i64,
        },
        /// The pot was funded.
        Funded {
            /// Who paid.
            who: T::AccountId,
            /// How much.
            amount: BalanceOf<T>,
        },
        /// An epoch did not reach `release_threshold`: it runs on until `ends_at` and its
        /// reward carries over.
        EpochExtended {
            /// The epoch.
            epoch: EpochIndex,
            /// Its accepted contributions.
            contributions: u32,
            /// Its new end.
            ends_at: BlockNumberFor<T>,
        },
        /// An epoch released its reward over its active domains.
        EpochReleased {
            /// The epoch.
            epoch: EpochIndex,
            /// What it released.
            released: BalanceOf<T>,
            /// Its active domains.
            domains: u32,
            /// What went to the treasury.
            treasury: BalanceOf<T>,
        },
        /// A domain's share of a released epoch (with its carry) was set out.
        DomainRewarded {
            /// The epoch.
            epoch: EpochIndex,
            /// The domain.
            domain: DomainId,
            /// Its share of the release (before the carry).
            share: BalanceOf<T>,
            /// To its optimizers.
            optimizers: BalanceOf<T>,
            /// To its evaluators.
            evaluators: BalanceOf<T>,
            /// Its evaluators' share for the next epochs.
            eval_share: Perbill,
        },
        /// A domain was below `min_contributions`: its share went to its carry.
        DomainCarried {
            /// The epoch.
            epoch: EpochIndex,
            /// The domain.
            domain: DomainId,
            /// Its share of the release.
            share: BalanceOf<T>,
            /// Its carry now.
            carry: BalanceOf<T>,
        },
        /// Rewards were paid out of `Claimable`.
        RewardsClaimed {
            /// The account.
            who: T::AccountId,
            /// How much.
            amount: BalanceOf<T>,
        },
    }

    /// Errors.
    #[pallet::error]
    pub enum Error<T> {
        /// A window, delay, epoch length or per-block bound is zero.
        ZeroParam,
        /// `min_bond` is zero.
        ZeroMinBond,
        /// `min_eval_share ≤ initial_eval_share ≤ max_eval_share` and `max_eval_share +
        /// treasury_share ≤ 100%` do not hold.
        BadShares,
        /// `MaxDomains` domains are registered.
        TooManyDomains,
        /// A domain's reward weight is zero.
        ZeroRewardWeight,
        /// No such domain.
        UnknownDomain,
        /// The caller is already in this pool.
        AlreadyMember,
        /// The caller is not in this pool.
        NotMember,
        /// The pool has `MaxEvaluatorsPerDomain` members.
        PoolFull,
        /// The caller is in `MaxDomainsPerEvaluator` pools.
        TooManyPools,
        /// The bond would be below `min_bond` (leave the pool instead).
        BondTooLow,
        /// The member sits in an open quorum: its bond stays until the round ends.
        StillServing,
        /// An amount of zero.
        ZeroAmount,
        /// The domain has `MaxOpenOptimums` open optimums.
        TooManyOpenOptimums,
        /// The claim does not beat the domain's best accepted score.
        NotAnImprovement,
        /// No such open optimum.
        UnknownOptimum,
        /// The optimum's quorum is not drawn yet.
        NotVoting,
        /// The commit window is over.
        CommitWindowClosed,
        /// The reveal window has not opened yet.
        RevealWindowNotOpen,
        /// The reveal window is over.
        RevealWindowClosed,
        /// The caller is not in this round's quorum.
        NotInQuorum,
        /// The caller already committed in this round.
        AlreadyCommitted,
        /// The caller did not commit in this round.
        NotCommitted,
        /// The caller already revealed in this round.
        AlreadyRevealed,
        /// The revealed score and salt do not hash to the commit.
        CommitMismatch,
        /// The reveal window is not over yet.
        VotingNotOver,
        /// Nothing to claim.
        NothingToClaim,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            let mut weight = T::WeightInfo::on_initialize_idle();
            weight.saturating_accrue(Self::epoch_hook(now));
            weight.saturating_accrue(Self::payout_hook());
            // Draws and verdicts each stop (after at least one, so that queues progress)
            // once they used a quarter of the block.
            let budget = T::BlockWeights::get().max_block / 4;
            weight.saturating_accrue(Self::draw_hook(now, budget));
            weight.saturating_accrue(Self::verdict_hook(now, budget));
            weight
        }

        fn integrity_test() {
            assert!(
                T::MaxQuorum::get() >= 6,
                "MaxQuorum must allow 2K for K = 3"
            );
            assert!(T::MaxDomains::get() > 0, "MaxDomains must not be zero");
            assert!(
                T::MaxEvaluatorsPerDomain::get() > 0,
                "MaxEvaluatorsPerDomain must not be zero"
            );
            assert!(
                T::MaxDomainsPerEvaluator::get() > 0,
                "MaxDomainsPerEvaluator must not be zero"
            );
            assert!(
                T::MaxOpenOptimums::get() > 0,
                "MaxOpenOptimums must not be zero"
            );
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Registers a domain (GovernanceOrigin). Its id is [`NextDomainId`].
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::register_domain())]
        pub fn register_domain(
            origin: OriginFor<T>,
            name: BoundedVec<u8, T::MaxNameLen>,
            direction: Direction,
            spec_hash: H256,
            tolerance: u64,
            reward_weight: u32,
            min_share: Perbill,
        ) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            Self::do_register_domain(
                name,
                direction,
                spec_hash,
                tolerance,
                reward_weight,
                min_share,
            )?;
            Ok(())
        }

        /// Changes a domain's tolerance, reward weight and minimum share (GovernanceOrigin).
        /// Open optimums are judged with the tolerance in force at their verdict.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::update_domain())]
        pub fn update_domain(
            origin: OriginFor<T>,
            domain: DomainId,
            tolerance: u64,
            reward_weight: u32,
            min_share: Perbill,
        ) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            ensure!(reward_weight > 0, Error::<T>::ZeroRewardWeight);
            Domains::<T>::try_mutate(domain, |d| -> DispatchResult {
                let d = d.as_mut().ok_or(Error::<T>::UnknownDomain)?;
                d.tolerance = tolerance;
                d.reward_weight = reward_weight;
                d.min_share = min_share;
                Ok(())
            })?;
            Self::deposit_event(Event::DomainUpdated {
                domain,
                tolerance,
                reward_weight,
                min_share,
            });
            Ok(())
        }

        /// Joins `domain`'s evaluator pool with `bond` (held; at least `min_bond`).
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::join_pool())]
        pub fn join_pool(
            origin: OriginFor<T>,
            domain: DomainId,
            bond: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_join(who, domain, bond)
        }

        /// Adds `amount` to the caller's bond in `domain` (held).
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::bond_more())]
        pub fn bond_more(
            origin: OriginFor<T>,
            domain: DomainId,
            amount: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_bond_more(who, domain, amount)
        }

        /// Releases `amount` of the caller's bond in `domain` at once; refused while it
        /// serves in an open quorum, or below `min_bond`.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::unbond())]
        pub fn unbond(
            origin: OriginFor<T>,
            domain: DomainId,
            amount: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_unbond(who, domain, amount)
        }

        /// Leaves `domain`'s pool and releases the whole bond at once; refused while the
        /// caller serves in an open quorum.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::leave_pool())]
        pub fn leave_pool(origin: OriginFor<T>, domain: DomainId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_leave(who, domain)
        }

        /// Submits an optimum of `domain`: `content_hash` of the model, `claimed_score` its
        /// score under the domain's spec. Holds `optimum_deposit`.
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::submit_optimum())]
        pub fn submit_optimum(
            origin: OriginFor<T>,
            domain: DomainId,
            content_hash: H256,
            claimed_score: i64,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_submit(who, domain, content_hash, claimed_score)
        }

        /// Commits `hash` = [`commit_hash`]`(optimum, round, score, salt, caller)` for the
        /// current round of `optimum` (quorum members, once, in the commit window).
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::commit())]
        pub fn commit(origin: OriginFor<T>, optimum: OptimumId, hash: H256) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_commit(who, optimum, hash)
        }

        /// Reveals the committed `score` and `salt` (in the reveal window).
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::reveal())]
        pub fn reveal(
            origin: OriginFor<T>,
            optimum: OptimumId,
            score: i64,
            salt: [u8; 32],
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_reveal(who, optimum, score, salt)
        }

        /// Closes the current round of `optimum` once its reveal window is over (anyone),
        /// as `on_initialize` would: verdict or escalation.
        #[pallet::call_index(9)]
        #[pallet::weight(T::WeightInfo::finalize(T::MaxQuorum::get().saturating_mul(2)))]
        pub fn finalize(origin: OriginFor<T>, optimum: OptimumId) -> DispatchResultWithPostInfo {
            ensure_signed(origin)?;
            let o = Optimums::<T>::get(optimum).ok_or(Error::<T>::UnknownOptimum)?;
            let Phase::Voting { reveal_until, .. } = o.phase else {
                return Err(Error::<T>::NotVoting.into());
            };
            ensure!(
                frame_system::Pallet::<T>::block_number() >= reveal_until,
                Error::<T>::VotingNotOver
            );
            let seats = Self::close_round(optimum, o);
            Ok(Some(T::WeightInfo::finalize(seats)).into())
        }

        /// Moves `amount` of the caller's free balance into the reward pot (keeping the
        /// caller alive).
        #[pallet::call_index(10)]
        #[pallet::weight(T::WeightInfo::fund())]
        pub fn fund(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
            T::Currency::transfer(&who, &Self::account_id(), amount, Preservation::Preserve)?;
            Self::deposit_event(Event::Funded { who, amount });
            Ok(())
        }

        /// Pays the caller its [`Claimable`] rewards from the pot.
        #[pallet::call_index(11)]
        #[pallet::weight(T::WeightInfo::claim_rewards())]
        pub fn claim_rewards(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_claim(who)
        }

        /// Sets all parameters (GovernanceOrigin).
        #[pallet::call_index(12)]
        #[pallet::weight(T::WeightInfo::set_params())]
        pub fn set_params(origin: OriginFor<T>, params: ParamsOf<T>) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            Self::check_params(&params)?;
            ActiveParams::<T>::put(&params);
            Self::deposit_event(Event::ParamsSet { params });
            Ok(())
        }

        /// Sets `who`'s weight in `domain`'s pool to its current bond and reputation (anyone:
        /// it only corrects staleness from reputation decay).
        #[pallet::call_index(13)]
        #[pallet::weight(T::WeightInfo::refresh_weight())]
        pub fn refresh_weight(
            origin: OriginFor<T>,
            domain: DomainId,
            who: T::AccountId,
        ) -> DispatchResult {
            ensure_signed(origin)?;
            ensure!(
                Members::<T>::contains_key(domain, &who),
                Error::<T>::NotMember
            );
            Self::refresh(domain, &who);
            Ok(())
        }
    }

    impl<T: Config> Pallet<T> {
        /// The reward pot: where funding goes and rewards are paid from.
        pub fn account_id() -> T::AccountId {
            T::PalletId::get().into_account_truncating()
        }

        /// The parameters in force.
        pub fn params() -> ParamsOf<T> {
            ActiveParams::<T>::get()
        }

        /// Refuses parameters that would stall the pallet or break the split.
        pub fn check_params(p: &ParamsOf<T>) -> Result<(), Error<T>> {
            ensure!(
                !p.draw_delay.is_zero()
                    && !p.commit_window.is_zero()
                    && !p.reveal_window.is_zero()
                    && !p.epoch_length.is_zero()
                    && p.max_draws_per_block > 0
                    && p.max_verdicts_per_block > 0
                    && p.max_payouts_per_block > 0
                    && p.min_reveals > 0
                    && p.far_factor > 0
                    && p.reputation_base > 0,
                Error::<T>::ZeroParam
            );
            ensure!(!p.min_bond.is_zero(), Error::<T>::ZeroMinBond);
            ensure!(
                p.min_eval_share <= p.initial_eval_share
                    && p.initial_eval_share <= p.max_eval_share
                    && p.max_eval_share.deconstruct() as u64
                        + p.treasury_share.deconstruct() as u64
                        <= Perbill::one().deconstruct() as u64,
                Error::<T>::BadShares
            );
            Ok(())
        }

        /// Holds `amount` of `who` for `reason`.
        pub(crate) fn hold(
            reason: HoldReason,
            who: &T::AccountId,
            amount: BalanceOf<T>,
        ) -> DispatchResult {
            T::Currency::hold(&reason.into(), who, amount)
        }

        /// Releases `amount` of `who`'s hold for `reason` (exactly).
        pub(crate) fn release(
            reason: HoldReason,
            who: &T::AccountId,
            amount: BalanceOf<T>,
        ) -> DispatchResult {
            T::Currency::release(&reason.into(), who, amount, Precision::Exact).map(|_| ())
        }
    }
}
