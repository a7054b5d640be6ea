//! # Payouts pallet: tips, subscriptions and the creators' ledger
//!
//! Direct monetization for EchoNet's creators (issue 15). Everything a creator earns on
//! chain, whatever its source, lands in **one ledger** kept by this pallet, and the
//! ledger pays out in bounded batches. Nothing is paid per like or per impression: money
//! moves into the ledger when it is earned and out of it once a payout period.
//!
//! ## The ledger
//!
//! The ledger is a real account, [`Pallet::account_id`] (from [`Config::PalletId`],
//! `*b"ech/pays"` in the runtime), plus two storage items: [`Owed`] (creator → what it is
//! owed) and [`TotalOwed`] (their sum). A credit moves the funds into the ledger account in
//! the same call that records them, and a payout moves them out in the same call that
//! clears them, so the ledger always equals the funds it holds:
//!
//! ```text
//! TotalOwed == Σ Owed == free balance of the ledger account − existential deposit
//! ```
//!
//! The existential deposit is put in the ledger account at genesis and never leaves it
//! (every transfer out keeps the account alive). `do_try_state` checks the invariant; every
//! mock test ends with it. A transfer *into* the ledger account from outside this pallet
//! (a stray donation) would break the equality: `try_state` then reports a surplus.
//!
//! Other pallets credit the ledger through the [`PayoutLedger`] trait: pallet-ads credits
//! publishers from held campaign budgets ([`PayoutLedger::credit_from_hold`]), pallet-poe
//! credits engagement rewards from its pool ([`PayoutLedger::credit`]). This pallet's own
//! calls credit tips and subscription charges the same way. Each credit emits
//! [`Event::Credited`] with its [`CreditSource`].
//!
//! ## Tips and subscriptions
//!
//! [`Pallet::tip`] credits a creator once. A creator offers subscriptions with
//! [`Pallet::create_plan`] (a price per period; at most `MaxPlansPerCreator` live plans)
//! and stops offering one with [`Pallet::retire_plan`]; its subscribers then lapse at their
//! next charge. [`Pallet::subscribe`] charges the first period at once and lists the
//! subscription in [`Due`] under the block of its next charge; [`Pallet::cancel`] stops
//! further charges. A subscriber has at most one subscription per creator and at most
//! `MaxSubscriptionsPerSubscriber` in all.
//!
//! `on_initialize` charges due subscriptions, at most `max_charges_per_block` per block,
//! oldest due block first ([`ChargeCursor`]); what does not fit waits for the next block.
//! A charge that fails (the subscriber cannot pay) lapses the subscription
//! ([`Event::SubscriptionLapsed`]). The next charge is due one period after the block the
//! charge was due at (not after the block it ran in), so a backlog does not shift anyone's
//! schedule. A due list holds at most `MaxDuePerBlock` subscriptions; when the wanted
//! block is full, the first of the next [`DUE_PROBE`] blocks with room is taken, and when
//! none has room the subscription is refused ([`Error::ScheduleFull`]) or, at a renewal,
//! lapses uncharged ([`LapseReason::ScheduleFull`]).
//!
//! ## Payouts
//!
//! A creator with something owed waits in a FIFO [`PayoutQueue`] (at most `MaxQueue`
//! creators, each at most once: [`Queued`]). At every block divisible by `payout_period`
//! the queue's current back becomes the batch end ([`BatchEnd`]); `on_initialize` then pays
//! up to `max_payouts_per_block` creators per block from the front until the batch end,
//! each everything it is owed, to its [`PayoutDestination`] ([`Destinations`]; by default
//! its own L1 account). A creator whose transfer fails stays owed and goes to the back of
//! the queue (paid in the next batch, [`Event::PayoutFailed`]). A creator owed less than
//! the minimum payout (`min_payout`, at least the existential deposit) leaves the queue
//! and stays owed; its next credit queues it again. (Keeping such dust creators queued
//! would let anyone fill the queue for good with tiny tips to accounts that never claim.)
//! When the queue is full, a credit still succeeds but does not queue its creator; a later
//! credit queues it when there is room.
//!
//! A creator need not wait for a batch: [`Pallet::claim`] pays everything it is owed at
//! once, whatever the minimum payout.
//!
//! Destinations are an L1 account today. A rollup L2 account plugs in through
//! [`Config::L2`] ([`L2Payout`]); [`Pallet::set_destination`] refuses L2 while
//! `L2::available()` is false (the runtime's `()`).
//!
//! ## Storage bounds
//!
//! Every list is bounded by a runtime constant: plans per creator (`MaxPlansPerCreator`),
//! subscriptions per subscriber (`MaxSubscriptionsPerSubscriber`), subscriptions due at one
//! block (`MaxDuePerBlock`), the payout queue (`MaxQueue`). The maps keyed by account
//! ([`Owed`], [`Destinations`], [`Plans`], [`Subscriptions`]) grow one entry per creator or
//! subscription, each created by a signed call that pays its fee and moves funds. Hooks do
//! bounded work: `max_charges_per_block` charges and `max_payouts_per_block` payouts,
//! whose benchmarked weights must fit within [`MAX_HOOK_SHARE`] of a block (checked by
//! `set_params`).
//!
//! ## Parameters
//!
//! Everything governance tunes is one [`Params`] value in [`ActiveParams`], set whole by
//! [`Config::GovernanceOrigin`] with [`Pallet::set_params`] and given at genesis
//! (`"payouts": { "params": { "payoutPeriod": …, "maxPayoutsPerBlock": …, "minPayout": …,
//! "maxChargesPerBlock": …, "minPlanPeriod": …, "minPlanPrice": … } }`, defaults in
//! [`Params`]). The genesis build also gives the ledger account its existential deposit;
//! it refuses a chain spec that endows the ledger account with more.
//!
//! ## Where things are
//!
//! This file declares the pallet (config, storage, genesis, events, errors, hooks, calls);
//! the ledger, the payout queue and the [`PayoutLedger`] implementation are in `ledger.rs`;
//! plans, subscriptions and charging in `subscriptions.rs`; parameter checks in
//! `params.rs`; invariants in `try_state.rs`; stored types in `types.rs`; the shared
//! interfaces in [`traits`].
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod traits;
pub mod types;
pub mod weights;

mod ledger;
mod params;
mod subscriptions;
#[cfg(any(feature = "try-runtime", test))]
mod try_state;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use traits::*;
pub use types::*;
pub use weights::WeightInfo;

use frame_support::{
    pallet_prelude::*,
    traits::fungible::{self, Inspect},
    PalletId,
};
use frame_system::pallet_prelude::*;
use sp_runtime::{traits::Zero, Perbill};

/// The balance type of the currency.
pub type BalanceOf<T> =
    <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// The currency's hold reason type (the runtime's `RuntimeHoldReason`).
pub type HoldReasonOf<T> = <<T as Config>::Currency as fungible::InspectHold<
    <T as frame_system::Config>::AccountId,
>>::Reason;
/// The governance parameters.
pub type ParamsOf<T> = Params<BalanceOf<T>, BlockNumberFor<T>>;
/// A plan as stored.
pub type PlanOf<T> = Plan<BalanceOf<T>, BlockNumberFor<T>>;
/// A subscription as stored.
pub type SubscriptionOf<T> = Subscription<BlockNumberFor<T>>;
/// A payout destination as stored.
pub type DestinationOf<T> = PayoutDestination<<T as frame_system::Config>::AccountId>;
/// The subscriptions due at one block: (subscriber, creator), in subscription order.
pub type DueList<T> = BoundedVec<
    (
        <T as frame_system::Config>::AccountId,
        <T as frame_system::Config>::AccountId,
    ),
    <T as Config>::MaxDuePerBlock,
>;

/// The share of a block's weight this pallet's `on_initialize` may use at its parameters'
/// limits (`max_payouts_per_block` payouts plus `max_charges_per_block` charges):
/// `set_params` refuses parameters beyond it.
pub const MAX_HOOK_SHARE: Perbill = Perbill::from_percent(20);

/// Sets up what the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<Reason> {
    /// A hold reason the benchmark of `credit_from_hold` may hold funds under.
    fn hold_reason() -> Reason;
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
        /// The currency creators are paid in. Credits from held funds (pallet-ads'
        /// campaign budgets) use its holds.
        type Currency: fungible::Mutate<Self::AccountId> + fungible::MutateHold<Self::AccountId>;
        /// The origin that sets [`ActiveParams`] (Root or the `parameters` track).
        type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// The ledger account's id seed (`*b"ech/pays"` in the runtime).
        #[pallet::constant]
        type PalletId: Get<PalletId>;
        /// Pays creators whose destination is an L2 account; `()` while the rollup cannot
        /// take deposits on a creator's behalf (then L2 destinations are refused).
        type L2: L2Payout<Self::AccountId, BalanceOf<Self>>;
        /// How many live (not retired) plans a creator may have.
        #[pallet::constant]
        type MaxPlansPerCreator: Get<u32>;
        /// How many subscriptions one subscriber may have.
        #[pallet::constant]
        type MaxSubscriptionsPerSubscriber: Get<u32>;
        /// How many subscriptions may be due at one block ([`Due`]). At least
        /// `max_charges_per_block` is sensible; the benchmarks assume 1,000.
        #[pallet::constant]
        type MaxDuePerBlock: Get<u32>;
        /// How many creators the payout queue holds.
        #[pallet::constant]
        type MaxQueue: Get<u32>;
        /// Weights of this pallet's calls and hooks.
        type WeightInfo: WeightInfo;
        /// What the benchmarks need from the runtime.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<HoldReasonOf<Self>>;
    }

    // ---------------------------------------------------------------- parameters

    /// The governance parameters in force (set at genesis).
    #[pallet::storage]
    pub type ActiveParams<T: Config> = StorageValue<_, ParamsOf<T>, OptionQuery>;

    // ---------------------------------------------------------------- the ledger

    /// Creator → what the ledger owes it (no entry when nothing).
    #[pallet::storage]
    pub type Owed<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

    /// The sum of [`Owed`]: the ledger account's free balance above its existential deposit.
    #[pallet::storage]
    pub type TotalOwed<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery>;

    /// Creator → where its payouts go, when not to its own L1 account.
    #[pallet::storage]
    pub type Destinations<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, DestinationOf<T>>;

    /// Queue position → creator waiting for a payout. Entries `front..back` of
    /// [`QueueBounds`] exist; at most `MaxQueue`.
    #[pallet::storage]
    pub type PayoutQueue<T: Config> = StorageMap<_, Twox64Concat, u64, T::AccountId>;

    /// (front, back) of [`PayoutQueue`].
    #[pallet::storage]
    pub type QueueBounds<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

    /// Creator → () while it is in [`PayoutQueue`] (so it is queued at most once).
    #[pallet::storage]
    pub type Queued<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, ()>;

    /// The queue position the current payout batch ends at (exclusive): `on_initialize`
    /// pays from the front while the front is below it.
    #[pallet::storage]
    pub type BatchEnd<T: Config> = StorageValue<_, u64, ValueQuery>;

    // ---------------------------------------------------------------- subscriptions

    /// (creator, plan) → a live plan. Retired plans are removed.
    #[pallet::storage]
    pub type Plans<T: Config> =
        StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, PlanId, PlanOf<T>>;

    /// Creator → how many live plans it has (at most `MaxPlansPerCreator`).
    #[pallet::storage]
    pub type PlanCount<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

    /// Creator → the id its next plan gets.
    #[pallet::storage]
    pub type NextPlanId<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, PlanId, ValueQuery>;

    /// (subscriber, creator) → the subscription.
    #[pallet::storage]
    pub type Subscriptions<T: Config> = StorageDoubleMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        Blake2_128Concat,
        T::AccountId,
        SubscriptionOf<T>,
    >;

    /// Subscriber → how many subscriptions it has (at most `MaxSubscriptionsPerSubscriber`).
    #[pallet::storage]
    pub type SubscriptionCount<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

    /// Block → the subscriptions whose next charge is due at it, (subscriber, creator).
    #[pallet::storage]
    pub type Due<T: Config> =
        StorageMap<_, Twox64Concat, BlockNumberFor<T>, DueList<T>, ValueQuery>;

    /// The oldest block whose [`Due`] list may still hold charges; `on_initialize` walks
    /// from it up to the current block. `None` until the first block (then the current
    /// block), so that a chain adding this pallet late does not walk from zero.
    #[pallet::storage]
    pub type ChargeCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, OptionQuery>;

    // ---------------------------------------------------------------- genesis

    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// The parameters at genesis (see [`Params`] for the defaults).
        pub params: ParamsOf<T>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            Pallet::<T>::check_params(&self.params)
                .expect("pallet-payouts genesis params are valid");
            ActiveParams::<T>::put(self.params.clone());
            ChargeCursor::<T>::put(BlockNumberFor::<T>::zero());
            Pallet::<T>::create_ledger_account()
                .expect("pallet-payouts genesis: the ledger account must not be endowed");
        }
    }

    // ---------------------------------------------------------------- events and errors

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// `amount` moved from `payer` into the ledger, owed to `creator`.
        Credited {
            /// Who paid (the tipper, the subscriber, the campaign's advertiser, the pool).
            payer: T::AccountId,
            /// Who is owed it.
            creator: T::AccountId,
            /// How much.
            amount: BalanceOf<T>,
            /// What it pays for.
            source: CreditSource,
        },
        /// `creator` was paid `amount` (everything it was owed) to `destination`.
        PaidOut {
            /// The creator.
            creator: T::AccountId,
            /// Where the funds went.
            destination: DestinationOf<T>,
            /// How much.
            amount: BalanceOf<T>,
        },
        /// A batch payout to `creator` failed; it stays owed and is queued again.
        PayoutFailed {
            /// The creator.
            creator: T::AccountId,
            /// What it is still owed.
            amount: BalanceOf<T>,
        },
        /// A payout batch started: the creators queued now are paid in the next blocks.
        BatchStarted {
            /// How many creators the batch covers (from the queue's front).
            queued: u64,
        },
        /// `creator` offers a new plan.
        PlanCreated {
            /// The creator.
            creator: T::AccountId,
            /// The plan's id.
            plan: PlanId,
            /// Charged each period.
            price: BalanceOf<T>,
            /// In blocks.
            period: BlockNumberFor<T>,
        },
        /// `creator` retired `plan`: no new subscribers; existing ones lapse at their next
        /// charge.
        PlanRetired {
            /// The creator.
            creator: T::AccountId,
            /// The plan.
            plan: PlanId,
        },
        /// `subscriber` subscribed to `creator`'s `plan` and paid the first period.
        Subscribed {
            /// The subscriber.
            subscriber: T::AccountId,
            /// The creator.
            creator: T::AccountId,
            /// The plan.
            plan: PlanId,
            /// The block the next charge is due at.
            next_charge: BlockNumberFor<T>,
        },
        /// A period of a subscription was charged.
        SubscriptionCharged {
            /// The subscriber.
            subscriber: T::AccountId,
            /// The creator.
            creator: T::AccountId,
            /// What was charged (credited to the creator).
            amount: BalanceOf<T>,
            /// The block the next charge is due at.
            next_charge: BlockNumberFor<T>,
        },
        /// A subscription ended without being charged.
        SubscriptionLapsed {
            /// The subscriber.
            subscriber: T::AccountId,
            /// The creator.
            creator: T::AccountId,
            /// Why.
            reason: LapseReason,
        },
        /// `subscriber` cancelled its subscription to `creator`.
        SubscriptionCancelled {
            /// The subscriber.
            subscriber: T::AccountId,
            /// The creator.
            creator: T::AccountId,
        },
        /// `creator`'s payouts now go to `destination`.
        DestinationSet {
            /// The creator.
            creator: T::AccountId,
            /// Its destination.
            destination: DestinationOf<T>,
        },
        /// Governance set new parameters.
        ParamsSet,
    }

    #[pallet::error]
    pub enum Error<T> {
        /// An amount or price of zero.
        ZeroAmount,
        /// Adding the amount would overflow what a creator is owed or the ledger total.
        Overflow,
        /// The ledger account cannot be credited as a creator nor pay into itself.
        LedgerAccount,
        /// The caller is owed nothing.
        NothingOwed,
        /// The transfer to the destination failed (e.g. below the existential deposit to a
        /// new account, or the L2 payout failed); nothing changed.
        PayoutFailed,
        /// The L2 payout moved a different amount than asked.
        L2PaidWrongAmount,
        /// L2 destinations are not available (yet).
        L2Unavailable,
        /// The price is below `min_plan_price` (or zero).
        PriceTooLow,
        /// The period is below `min_plan_period`.
        PeriodTooShort,
        /// The creator has `MaxPlansPerCreator` live plans.
        TooManyPlans,
        /// The creator has used every plan id.
        PlanIdsExhausted,
        /// No such live plan.
        UnknownPlan,
        /// The caller already subscribes to this creator.
        AlreadySubscribed,
        /// The caller has `MaxSubscriptionsPerSubscriber` subscriptions.
        TooManySubscriptions,
        /// The caller does not subscribe to this creator.
        NotSubscribed,
        /// Every block within `DUE_PROBE` blocks of the next charge has
        /// `MaxDuePerBlock` subscriptions due.
        ScheduleFull,
        /// The parameters are out of bounds: `payout_period`, `max_payouts_per_block`,
        /// `max_charges_per_block` and `min_plan_period` must be non-zero, and the hook's
        /// weight at the two per-block limits must fit in [`MAX_HOOK_SHARE`] of a block.
        InvalidParams,
        /// No parameters are set (genesis sets them).
        ParamsNotSet,
    }

    // ---------------------------------------------------------------- hooks

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            let Ok(params) = Self::params() else {
                return T::DbWeight::get().reads(1);
            };
            let charges = Self::charge_due(now, params.max_charges_per_block);
            let payouts = Self::pay_batch(now, &params);
            T::WeightInfo::on_initialize_idle()
                .saturating_add(T::WeightInfo::on_initialize_charges(charges))
                .saturating_add(T::WeightInfo::on_initialize_payouts(payouts))
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    // ---------------------------------------------------------------- calls

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Tips `creator` `amount` from the caller's free balance (keeping the caller
        /// alive), credited to the ledger as [`CreditSource::Tip`].
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::tip())]
        pub fn tip(
            origin: OriginFor<T>,
            creator: T::AccountId,
            #[pallet::compact] amount: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
            Self::do_credit(&who, &creator, amount, CreditSource::Tip, Self::pay_in_free)
        }

        /// Offers a plan: `price` charged every `period` blocks. Its id is the caller's
        /// next plan id ([`Event::PlanCreated`]).
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::create_plan())]
        pub fn create_plan(
            origin: OriginFor<T>,
            #[pallet::compact] price: BalanceOf<T>,
            period: BlockNumberFor<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_create_plan(who, price, period)
        }

        /// Stops offering `plan`: no new subscribers; existing subscriptions lapse at their
        /// next charge.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::retire_plan())]
        pub fn retire_plan(origin: OriginFor<T>, plan: PlanId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_retire_plan(who, plan)
        }

        /// Subscribes to `creator`'s `plan`: charges the first period now and schedules the
        /// next charge one period later.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::subscribe())]
        pub fn subscribe(
            origin: OriginFor<T>,
            creator: T::AccountId,
            plan: PlanId,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_subscribe(who, creator, plan)
        }

        /// Cancels the caller's subscription to `creator`: no further charges (the period
        /// already paid is not refunded).
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::cancel())]
        pub fn cancel(origin: OriginFor<T>, creator: T::AccountId) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_cancel(who, creator)
        }

        /// Pays the caller everything it is owed now, to its destination, whatever the
        /// minimum payout.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::claim())]
        pub fn claim(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let owed = Owed::<T>::get(&who);
            ensure!(!owed.is_zero(), Error::<T>::NothingOwed);
            Self::pay_out(&who, owed)
        }

        /// Sets where the caller's payouts go. `L2` is refused while L2 payouts are not
        /// available; the ledger account itself is refused.
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::set_destination())]
        pub fn set_destination(
            origin: OriginFor<T>,
            destination: DestinationOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_set_destination(who, destination)
        }

        /// Sets all parameters at once (see [`Error::InvalidParams`] for the bounds).
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::set_params())]
        pub fn set_params(origin: OriginFor<T>, params: ParamsOf<T>) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            Self::check_params(&params)?;
            ActiveParams::<T>::put(params);
            Self::deposit_event(Event::ParamsSet);
            Ok(())
        }
    }
}
