//! # pallet-dds: storage deals and proof-of-storage for the distributed data store
//!
//! Content lives off chain, erasure coded into shards on storage providers' nodes
//! (`echonet-dds`); the chain records who stores what, pays for it, and checks that it is
//! still stored. The content addressing (shard layout, blake3 segment and content trees,
//! content ids) is [`merkle`], re-exported from `echonet-dds-primitives`, which the node
//! uses too.
//!
//! ## Providers
//!
//! A provider [`Pallet::register_provider`]s with a bond (held as
//! [`HoldReason::ProviderBond`], at least `min_bond`), a declared capacity in bytes, its
//! libp2p peer id and addresses, and optionally an operator (placement spreads a chunk's
//! shards over distinct operators where it can). [`Pallet::update_provider`] changes
//! capacity (never below what is assigned) and addresses. [`Pallet::deregister`] takes it
//! out of the provider set: its shards are reassigned (below) and its bond can be
//! withdrawn with [`Pallet::withdraw_bond`] after `unbonding_delay`, once it holds no
//! shard and no challenge of its is open.
//!
//! ## Deals and assignments
//!
//! An owner [`Pallet::open_deal`]s with the content id, content root, size, chunk size,
//! `k` and `m`, a duration in epochs and a price per GiB per epoch. Impossible parameters
//! are refused with a typed error, and the content id must be the one the parameters and
//! root give. The whole payment, `price × ceil(size / GiB) × duration`, is held from the
//! owner ([`HoldReason::DealPayment`]). The shards are then placed at once, with
//! [`types::place`]: each on the provider nearest by XOR distance to a key derived from the
//! runtime's fresh randomness, the content id and the shard index, with free capacity,
//! preferring distinct providers and operators within a chunk. Providers
//! [`Pallet::confirm_stored`] the shards they fetched, within `confirm_window` blocks of the
//! assignment; only confirmed shards are challenged and paid. A confirmation after the
//! deadline is refused ([`Error::ConfirmationExpired`]). Nodes read assignments through the
//! [`DdsApi`] runtime API.
//!
//! ## Proof of storage
//!
//! Every `epoch_length` blocks an epoch starts and `on_initialize` draws
//! `challenges_per_epoch` challenges (at most `max_challenges_per_block` per block): a
//! random deal, shard and 4 KiB segment, from the runtime's randomness. The shard's
//! provider answers with [`Pallet::answer_challenge`] by the deadline (`response_window`
//! blocks) with the segment and its two Merkle paths ([`merkle::verify_segment`]).
//! - A valid answer earns reputation (`Role::StorageProvider`) and the shard's pay for the
//!   epochs since it was last paid, moved from the owner's held payment.
//! - A wrong proof, or no answer by the deadline (closed by `on_initialize`, at most
//!   `max_expiries_per_block` per block), costs reputation, forfeits the unpaid epochs and
//!   slashes `slash` of the bond to the treasury. A wrong proof is not a dispatch error:
//!   the penalty must stick. A provider whose bond falls below `min_bond` is slashed out.
//! - A second answer, a late one, or one from another account is refused and changes
//!   nothing.
//!
//! Retrieval is checked too: anyone may [`Pallet::request_retrieval_check`] of a confirmed
//! shard (paying the witness event fee); the `StorageProof` committee of pallet-witness
//! fetches it off chain and attests; [`Pallet::settle_retrieval`] consumes the receipt once
//! and rewards or penalizes (with a slash) the provider.
//!
//! ## Reassignment
//!
//! A shard moves to another provider in three cases, all handled by `on_initialize` within
//! one budget of `max_reassign_per_block` shards per block, in this order:
//! 1. **Missed confirmation.** A shard still unconfirmed after its deadline is taken from
//!    its provider, which loses `points.failed` reputation, as for a missed challenge
//!    ([`Event::ProviderPenalized`] with [`FailureReason::Unconfirmed`]). It is not
//!    slashed: it never claimed to hold the shard and was never paid for it, and a fetch
//!    can fail for reasons not its own (the shard's sources offline); its bond answers for
//!    what it confirmed. Its capacity is freed. Deadlines are indexed by block
//!    ([`ConfirmQueue`]), so the hook reads only the shards due.
//! 2. **Leaving providers.** A provider that deregisters or is slashed out leaves the
//!    provider set at once and is queued ([`Reassigning`]); its shards are moved, oldest
//!    leaver first.
//! 3. **Orphans.** Shards that found no provider with room ([`Orphans`]), retried only
//!    after capacity appeared: a provider registers, raises its capacity, or has shards
//!    taken off it (a closed deal, a missed confirmation). Each such change makes every
//!    waiting orphan due for one more attempt; one that fails again goes to the back of
//!    the queue, so that orphans never take the budget while nothing has changed and never
//!    starve the two cases above.
//!
//! The new provider is the nearest to a fresh key with room that holds no other shard of
//! the same chunk (and, if it can, no shard of the chunk's operators); a provider that
//! missed the confirmation gets the shard back only if no other has room. It has
//! `confirm_window` blocks to confirm in turn. Each move emits [`Event::ShardReassigned`],
//! which the node's repair task follows; a shard that cannot be placed emits
//! [`Event::ShardOrphaned`] once and has no provider until it is placed.
//!
//! ## Closing
//!
//! From its end epoch, anyone may [`Pallet::close_deal`]: every confirmed shard still
//! assigned is paid for its remaining epochs, the rest of the payment is released to the
//! owner, and the deal's assignments are removed.
//!
//! ## Bounds
//!
//! At most `MaxProviders` providers and `MaxDeals` open deals, `MaxShardsPerDeal` shards
//! per deal; every hook's work is capped by the parameters above. Invariants
//! (`do_try_state`): holds match bonds and escrows, every provider's `used` and `shards`
//! match its assignments, the provider set's free space matches, deal slots are dense, open
//! challenge counts match, every unconfirmed assigned shard has one deadline (indexed once,
//! not below the cursor), and every shard without a provider is queued once as an orphan.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use echonet_dds_primitives as merkle;

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

use alloc::vec::Vec;
use frame_support::traits::fungible;

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
    <<T as Config>::Currency as fungible::Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// The parameters of a runtime.
pub type ParamsOf<T> = Params<BalanceOf<T>, frame_system::pallet_prelude::BlockNumberFor<T>>;
/// A provider of a runtime.
pub type ProviderOf<T> = Provider<
    <T as frame_system::Config>::AccountId,
    BalanceOf<T>,
    frame_system::pallet_prelude::BlockNumberFor<T>,
    <T as Config>::MaxPeerIdLen,
    <T as Config>::MaxAddressesLen,
>;
/// A deal of a runtime.
pub type DealOf<T> = Deal<<T as frame_system::Config>::AccountId, BalanceOf<T>>;
/// A challenge of a runtime.
pub type ChallengeOf<T> = Challenge<
    <T as frame_system::Config>::AccountId,
    frame_system::pallet_prelude::BlockNumberFor<T>,
>;

/// Where assignments and challenges get their randomness. The runtime derives it from
/// pallet-randomness (the VRF outputs of the epoch so far), as pallet-domains does.
pub trait DdsRandomness {
    /// 32 random bytes for `subject` (the pallet passes a tag and what it draws for).
    fn seed(subject: &[u8]) -> [u8; 32];
}

/// What benchmarks need from the runtime to reach the paths they measure.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
    /// Makes `Submitter::submit(who, StorageProof, _)` succeed (a committee, funds).
    fn prepare_submitter(who: &AccountId);
    /// Gives (`StorageProof`, `payload_hash`) a retained receipt with `verdict`.
    fn resolve(payload_hash: sp_core::H256, verdict: pallet_witness::Verdict);
}

sp_api::decl_runtime_apis! {
    /// What storage nodes read: who holds which shard, who the providers are, and which
    /// challenges a provider must answer.
    pub trait DdsApi<AccountId, BlockNumber>
    where
        AccountId: codec::Codec,
        BlockNumber: codec::Codec,
    {
        /// The holders of every shard of the open deal of `cid` (empty if none), in shard
        /// order.
        fn assignments(cid: [u8; 32]) -> Vec<ShardHolder<AccountId>>;
        /// Every registered provider.
        fn providers() -> Vec<ProviderInfo<AccountId>>;
        /// The open challenges of `provider`, with their deal's content id.
        fn challenges(provider: AccountId) -> Vec<(ChallengeId, [u8; 32], Challenge<AccountId, BlockNumber>)>;
    }
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use frame_support::pallet_prelude::*;
    use frame_system::pallet_prelude::*;
    use pallet_reputation::ReputationHandler;
    use pallet_witness::{EventSubmitter, ReceiptProvider};
    use sp_core::H256;

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// A storage provider's bond.
        ProviderBond,
        /// A deal owner's payment not yet paid out, over all its deals.
        DealPayment,
    }

    /// The pallet's configuration.
    #[pallet::config]
    pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
        /// The currency of bonds and payments (pallet-balances).
        type Currency: fungible::Mutate<Self::AccountId>
            + fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        /// The runtime's hold reasons, which include this pallet's.
        type RuntimeHoldReason: From<HoldReason>;
        /// The origin of `set_params` (Root or the `parameters` track).
        type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// Receives slashes.
        type TreasuryAccount: Get<Self::AccountId>;
        /// Randomness for placement and challenges.
        type Randomness: DdsRandomness;
        /// Reputation changes (`Role::StorageProvider`).
        type Reputation: ReputationHandler<Self::AccountId>;
        /// Queues retrieval checks for the `StorageProof` committee (pallet-witness).
        type Submitter: EventSubmitter<Self::AccountId>;
        /// Reads and consumes their receipts (pallet-witness).
        type Receipts: ReceiptProvider<BlockNumberFor<Self>>;
        /// The most providers, active or leaving (1,000).
        #[pallet::constant]
        type MaxProviders: Get<u32>;
        /// The most open deals (100,000).
        #[pallet::constant]
        type MaxDeals: Get<u32>;
        /// The most shards of one deal (1,024).
        #[pallet::constant]
        type MaxShardsPerDeal: Get<u32>;
        /// The longest peer id (64 bytes: a multihash of an ed25519 key is 38).
        #[pallet::constant]
        type MaxPeerIdLen: Get<u32>;
        /// The longest encoded address list (512 bytes).
        #[pallet::constant]
        type MaxAddressesLen: Get<u32>;
        /// The most retrieval checks waiting for receipts (4,096).
        #[pallet::constant]
        type MaxPendingRetrievals: Get<u32>;
        /// Weights of the calls and hooks.
        type WeightInfo: WeightInfo;
        /// Sets up what benchmarks need.
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
    }

    /// The parameters in force (governance sets them whole).
    #[pallet::storage]
    pub type ActiveParams<T: Config> = StorageValue<_, ParamsOf<T>, ValueQuery>;

    /// Provider account → its record (active or leaving).
    #[pallet::storage]
    pub type Providers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, ProviderOf<T>>;

    /// How many providers are registered (active or leaving).
    #[pallet::storage]
    pub type ProviderCount<T: Config> = StorageValue<_, u32, ValueQuery>;

    /// The active providers as placement reads them, in registration order.
    #[pallet::storage]
    pub type ProviderSet<T: Config> =
        StorageValue<_, BoundedVec<ProviderSlot<T::AccountId>, T::MaxProviders>, ValueQuery>;

    /// Providers that left or were slashed out and still hold shards to reassign, oldest
    /// first.
    #[pallet::storage]
    pub type Reassigning<T: Config> =
        StorageValue<_, BoundedVec<T::AccountId, T::MaxProviders>, ValueQuery>;

    /// (deal, shard) → the last block in which its provider may confirm it: one entry per
    /// shard that is assigned and not confirmed.
    #[pallet::storage]
    pub type ConfirmDeadlines<T: Config> =
        StorageDoubleMap<_, Twox64Concat, DealId, Twox64Concat, ShardIndex, BlockNumberFor<T>>;

    /// (deadline, (deal, shard)) → (): `ConfirmDeadlines` by deadline, so that
    /// `on_initialize` finds the shards due without scanning the others.
    #[pallet::storage]
    pub type ConfirmQueue<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        BlockNumberFor<T>,
        Twox64Concat,
        (DealId, ShardIndex),
        (),
    >;

    /// The lowest deadline whose `ConfirmQueue` entries may not have been handled yet.
    #[pallet::storage]
    pub type ConfirmCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

    /// Sequence number → a shard without a provider, waiting for capacity (see
    /// [`OrphanCursor`]). Entries whose deal has closed meanwhile are dropped when reached.
    #[pallet::storage]
    pub type Orphans<T: Config> = StorageMap<_, Twox64Concat, u64, Orphan<T::AccountId>>;

    /// The orphan queue's head, tail and retry mark.
    #[pallet::storage]
    pub type OrphanQueue<T: Config> = StorageValue<_, OrphanCursor, ValueQuery>;

    /// The id the next deal gets.
    #[pallet::storage]
    pub type NextDealId<T: Config> = StorageValue<_, DealId, ValueQuery>;

    /// Open deals.
    #[pallet::storage]
    pub type Deals<T: Config> = StorageMap<_, Twox64Concat, DealId, DealOf<T>>;

    /// Content id → its open deal (one open deal per content id).
    #[pallet::storage]
    pub type DealByCid<T: Config> = StorageMap<_, Identity, [u8; 32], DealId>;

    /// Slot → open deal; slots `0..DealCount` are taken (challenge draws pick a slot).
    #[pallet::storage]
    pub type DealSlots<T: Config> = StorageMap<_, Twox64Concat, u32, DealId>;

    /// How many deals are open.
    #[pallet::storage]
    pub type DealCount<T: Config> = StorageValue<_, u32, ValueQuery>;

    /// (deal, shard) → who holds it.
    #[pallet::storage]
    pub type Assignments<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        DealId,
        Twox64Concat,
        ShardIndex,
        Assignment<T::AccountId>,
    >;

    /// (provider, (deal, shard)) → (): the shards assigned to a provider.
    #[pallet::storage]
    pub type ProviderShards<T: Config> =
        StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, (DealId, ShardIndex), ()>;

    /// The running epoch: its index, first block, and challenges still to draw.
    #[pallet::storage]
    pub type CurrentEpoch<T: Config> = StorageValue<_, EpochInfo<BlockNumberFor<T>>, ValueQuery>;

    /// The id the next challenge gets.
    #[pallet::storage]
    pub type NextChallengeId<T: Config> = StorageValue<_, ChallengeId, ValueQuery>;

    /// The lowest challenge id that may still be stored (expiry works upwards from it).
    #[pallet::storage]
    pub type ExpiryCursor<T: Config> = StorageValue<_, ChallengeId, ValueQuery>;

    /// Challenges until their deadline has passed (answered ones too, so that a second
    /// answer is told apart).
    #[pallet::storage]
    pub type Challenges<T: Config> = StorageMap<_, Twox64Concat, ChallengeId, ChallengeOf<T>>;

    /// (provider, challenge) → (): the stored challenges of a provider.
    #[pallet::storage]
    pub type ProviderChallenges<T: Config> =
        StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, ChallengeId, ()>;

    /// The nonce of the next retrieval check.
    #[pallet::storage]
    pub type NextRetrievalNonce<T: Config> = StorageValue<_, u64, ValueQuery>;

    /// Payload hash → a retrieval check waiting for its receipt.
    #[pallet::storage]
    pub type RetrievalChecks<T: Config> =
        StorageMap<_, Identity, H256, RetrievalCheck<T::AccountId>>;

    /// How many retrieval checks wait.
    #[pallet::storage]
    pub type RetrievalCount<T: Config> = StorageValue<_, u32, ValueQuery>;

    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// The parameters at genesis (the defaults of [`Params`] if not given).
        pub params: ParamsOf<T>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            Pallet::<T>::check_params(&self.params).expect("pallet-dds genesis params are valid");
            ActiveParams::<T>::put(&self.params);
            CurrentEpoch::<T>::put(EpochInfo {
                index: 0,
                started_at: frame_system::Pallet::<T>::block_number(),
                draws_left: 0,
            });
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
        /// A provider registered.
        ProviderRegistered {
            /// The provider.
            who: T::AccountId,
            /// Its bond.
            bond: BalanceOf<T>,
            /// Its capacity in bytes.
            capacity: u64,
            /// Its peer id.
            peer_id: BoundedVec<u8, T::MaxPeerIdLen>,
        },
        /// A provider changed its capacity or addresses.
        ProviderUpdated {
            /// The provider.
            who: T::AccountId,
            /// Its capacity now.
            capacity: u64,
        },
        /// A provider left the provider set; its shards are being reassigned.
        ProviderLeaving {
            /// The provider.
            who: T::AccountId,
            /// When its bond can be withdrawn.
            unbond_at: BlockNumberFor<T>,
            /// Whether a slash took it below the minimum bond.
            slashed_out: bool,
        },
        /// A provider withdrew its bond and is gone.
        BondWithdrawn {
            /// The provider.
            who: T::AccountId,
            /// What was released.
            amount: BalanceOf<T>,
        },
        /// A deal was opened and its shards assigned (read them with `DdsApi_assignments`).
        DealOpened {
            /// Its id.
            deal: DealId,
            /// Its owner.
            owner: T::AccountId,
            /// The content id.
            cid: [u8; 32],
            /// The number of shards.
            shard_count: u32,
            /// The payment held.
            payment: BalanceOf<T>,
            /// The first epoch after it.
            end_epoch: EpochIndex,
        },
        /// A provider confirmed it holds shards.
        ShardsConfirmed {
            /// The deal.
            deal: DealId,
            /// The provider.
            provider: T::AccountId,
            /// How many shards it confirmed.
            count: u32,
        },
        /// A shard moved off a leaving provider, or off one that did not confirm it in
        /// time, possibly after waiting as an orphan: the repair task rebuilds it on `to`.
        ShardReassigned {
            /// The deal.
            deal: DealId,
            /// The content id.
            cid: [u8; 32],
            /// The shard.
            shard: ShardIndex,
            /// The provider it was taken from.
            from: T::AccountId,
            /// The new provider.
            to: T::AccountId,
        },
        /// A shard taken from `from` found no provider with room: it has no provider until
        /// capacity appears, when it is placed (`ShardReassigned`). Emitted once per
        /// shard, not on each failed retry.
        ShardOrphaned {
            /// The deal.
            deal: DealId,
            /// The content id.
            cid: [u8; 32],
            /// The shard.
            shard: ShardIndex,
            /// The provider it was taken from.
            from: T::AccountId,
        },
        /// A challenge epoch started.
        EpochStarted {
            /// Its index.
            epoch: EpochIndex,
        },
        /// A challenge was issued: `provider` answers by `deadline`.
        ChallengeIssued {
            /// Its id.
            id: ChallengeId,
            /// The deal.
            deal: DealId,
            /// The content id.
            cid: [u8; 32],
            /// The shard.
            shard: ShardIndex,
            /// The segment.
            segment: u32,
            /// The provider.
            provider: T::AccountId,
            /// The last block of the answer.
            deadline: BlockNumberFor<T>,
        },
        /// A challenge was answered with a valid proof.
        ChallengeAnswered {
            /// Its id.
            id: ChallengeId,
            /// The provider.
            provider: T::AccountId,
            /// What it was paid from the deal's payment.
            paid: BalanceOf<T>,
        },
        /// A provider failed a challenge or a retrieval check: it lost reputation, the
        /// shard's unpaid epochs and `slashed` of its bond. For a shard not confirmed in
        /// time (`Unconfirmed`) it lost reputation only (`slashed` is zero) and the shard.
        ProviderPenalized {
            /// The provider.
            provider: T::AccountId,
            /// The deal.
            deal: DealId,
            /// The shard.
            shard: ShardIndex,
            /// Why.
            reason: FailureReason,
            /// What was slashed to the treasury.
            slashed: BalanceOf<T>,
        },
        /// A deal was closed.
        DealClosed {
            /// The deal.
            deal: DealId,
            /// What its providers were paid at closing.
            paid: BalanceOf<T>,
            /// What was released to the owner.
            refunded: BalanceOf<T>,
        },
        /// A retrieval check was queued for the `StorageProof` committee.
        RetrievalCheckRequested {
            /// The witness event's payload hash ([`retrieval_payload`]).
            payload_hash: H256,
            /// Its nonce.
            nonce: u64,
            /// The deal.
            deal: DealId,
            /// The content id.
            cid: [u8; 32],
            /// The shard.
            shard: ShardIndex,
            /// The provider to fetch from.
            provider: T::AccountId,
        },
        /// A retrieval check's receipt was consumed.
        RetrievalSettled {
            /// The payload hash.
            payload_hash: H256,
            /// The provider.
            provider: T::AccountId,
            /// Whether the committee got the shard.
            retrieved: bool,
        },
    }

    /// Errors.
    #[pallet::error]
    pub enum Error<T> {
        /// A parameter that must be at least 1 (or not zero) is zero.
        ZeroParam,
        /// The caller is already a provider.
        AlreadyRegistered,
        /// The account is not a provider.
        NotProvider,
        /// The bond is below `min_bond`.
        BondTooLow,
        /// `MaxProviders` providers are registered.
        TooManyProviders,
        /// The capacity is zero.
        ZeroCapacity,
        /// The capacity is below the bytes already assigned.
        CapacityBelowUsed,
        /// The provider is leaving.
        NotActive,
        /// The provider has not deregistered.
        NotLeaving,
        /// The unbonding delay has not passed.
        StillUnbonding,
        /// Shards are still assigned to the provider (reassignment is under way).
        StillHoldingShards,
        /// Challenges of the provider are still open.
        OpenChallenges,
        /// The content is empty.
        EmptyContent,
        /// `k` is 0.
        NoDataShards,
        /// `m` is 0.
        NoParityShards,
        /// `k + m` is above 32.
        TooManyShardsPerChunk,
        /// The chunk size is 0 or above 64 MiB.
        BadChunkSize,
        /// The content has more than `MaxShardsPerDeal` shards.
        TooManyShards,
        /// The header's shard count is not the one its size and parameters give.
        ShardCountMismatch,
        /// The content id is not the one the parameters and root give.
        CidMismatch,
        /// The duration is 0.
        ZeroDuration,
        /// The duration is above `max_duration`.
        DurationTooLong,
        /// The price is below `min_price`.
        PriceTooLow,
        /// The payment overflows.
        PriceOverflow,
        /// An open deal stores this content id already.
        DealExists,
        /// The providers have too little free capacity for the shards.
        NotEnoughCapacity,
        /// `MaxDeals` deals are open.
        TooManyDeals,
        /// No open deal has this id.
        UnknownDeal,
        /// The shard is not the caller's.
        NotAssigned,
        /// The deal has not reached its end epoch.
        DealNotEnded,
        /// No challenge has this id yet.
        UnknownChallenge,
        /// The challenge is closed: its deadline passed and it was settled.
        ChallengeClosed,
        /// The challenge was answered already.
        AlreadyAnswered,
        /// The challenge's deadline has passed.
        TooLate,
        /// The challenge is another provider's.
        NotChallenged,
        /// The shard is not confirmed by its provider.
        NotConfirmed,
        /// The shard's confirmation deadline (`confirm_window` after its assignment) has
        /// passed: it is being reassigned.
        ConfirmationExpired,
        /// `MaxPendingRetrievals` checks wait for receipts.
        TooManyChecks,
        /// No retrieval check waits with this payload hash.
        UnknownCheck,
        /// The committee has not decided the check yet.
        NoReceipt,
        /// The receipt was settled already.
        AlreadySettled,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            let mut weight = T::WeightInfo::on_initialize_idle();
            weight.saturating_accrue(Self::epoch_hook(now));
            weight.saturating_accrue(Self::expiry_hook(now));
            weight.saturating_accrue(Self::reassign_hook(now));
            weight
        }

        fn integrity_test() {
            assert!(T::MaxProviders::get() > 0, "MaxProviders must not be zero");
            assert!(T::MaxDeals::get() > 0, "MaxDeals must not be zero");
            assert!(
                T::MaxShardsPerDeal::get() >= 2,
                "MaxShardsPerDeal must allow k = m = 1"
            );
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Registers the caller as a provider with `bond` (held; at least `min_bond`),
        /// `capacity` bytes, its libp2p `peer_id` and `addresses`, and `operator` (itself if
        /// none).
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::register_provider())]
        pub fn register_provider(
            origin: OriginFor<T>,
            bond: BalanceOf<T>,
            capacity: u64,
            peer_id: BoundedVec<u8, T::MaxPeerIdLen>,
            addresses: BoundedVec<u8, T::MaxAddressesLen>,
            operator: Option<T::AccountId>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_register(who, bond, capacity, peer_id, addresses, operator)
        }

        /// Changes the caller's capacity (not below what is assigned) and addresses.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::update_provider())]
        pub fn update_provider(
            origin: OriginFor<T>,
            capacity: u64,
            addresses: BoundedVec<u8, T::MaxAddressesLen>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_update(who, capacity, addresses)
        }

        /// Leaves the provider set: the caller's shards are reassigned and its bond can be
        /// withdrawn after `unbonding_delay`.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::deregister())]
        pub fn deregister(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let p = Providers::<T>::get(&who).ok_or(Error::<T>::NotProvider)?;
            ensure!(p.status == ProviderStatus::Active, Error::<T>::NotActive);
            Self::start_leaving(&who, false);
            Ok(())
        }

        /// Releases the caller's bond and removes its record, once the unbonding delay has
        /// passed, its shards are reassigned and its challenges closed.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::withdraw_bond())]
        pub fn withdraw_bond(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_withdraw(who)
        }

        /// Opens a deal for content `cid` with content root `root` and the manifest
        /// `header` (size, chunk size, `k`, `m`, shard count), for `duration` epochs at
        /// `price` per GiB per epoch; holds the payment and assigns the shards.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::open_deal(
            T::MaxShardsPerDeal::get(),
            T::MaxProviders::get()
        ))]
        pub fn open_deal(
            origin: OriginFor<T>,
            cid: [u8; 32],
            root: [u8; 32],
            header: merkle::ManifestHeader,
            duration: EpochIndex,
            price: BalanceOf<T>,
        ) -> DispatchResultWithPostInfo {
            let who = ensure_signed(origin)?;
            let (shards, providers) = Self::do_open(who, cid, root, header, duration, price)?;
            Ok(Some(T::WeightInfo::open_deal(shards, providers)).into())
        }

        /// Confirms that the caller holds `shards` of `deal` (each must be assigned to it
        /// and, if not yet confirmed, within its confirmation deadline; confirming twice is
        /// harmless).
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::confirm_stored(shards.len() as u32))]
        pub fn confirm_stored(
            origin: OriginFor<T>,
            deal: DealId,
            shards: BoundedVec<ShardIndex, T::MaxShardsPerDeal>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_confirm(who, deal, shards)
        }

        /// Answers challenge `id` with the segment's bytes, its path in the shard's segment
        /// tree and the shard's path in the content tree. A wrong proof penalizes the caller
        /// and closes the challenge (the call succeeds, so that the penalty stands).
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::answer_challenge().max(T::WeightInfo::answer_challenge_wrong()))]
        pub fn answer_challenge(
            origin: OriginFor<T>,
            id: ChallengeId,
            segment: BoundedVec<u8, ConstU32<{ merkle::SEGMENT_SIZE }>>,
            segment_path: BoundedVec<[u8; 32], ConstU32<{ merkle::MAX_PATH_LEN as u32 }>>,
            shard_path: BoundedVec<[u8; 32], ConstU32<{ merkle::MAX_PATH_LEN as u32 }>>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_answer(who, id, &segment, &segment_path, &shard_path)
        }

        /// Closes `deal` from its end epoch (anyone): pays the confirmed shards' remaining
        /// epochs, releases the rest to the owner, removes the assignments.
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::close_deal(T::MaxShardsPerDeal::get()))]
        pub fn close_deal(origin: OriginFor<T>, deal: DealId) -> DispatchResultWithPostInfo {
            ensure_signed(origin)?;
            let shards = Self::do_close(deal)?;
            Ok(Some(T::WeightInfo::close_deal(shards)).into())
        }

        /// Queues a retrieval check of `shard` of `deal` for the `StorageProof` committee;
        /// the caller pays the witness event fee.
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::request_retrieval_check())]
        pub fn request_retrieval_check(
            origin: OriginFor<T>,
            deal: DealId,
            shard: ShardIndex,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_request_check(who, deal, shard)
        }

        /// Settles a retrieval check on its receipt (anyone, once).
        #[pallet::call_index(9)]
        #[pallet::weight(T::WeightInfo::settle_retrieval())]
        pub fn settle_retrieval(origin: OriginFor<T>, payload_hash: H256) -> DispatchResult {
            ensure_signed(origin)?;
            Self::do_settle_check(payload_hash)
        }

        /// Sets all parameters (GovernanceOrigin).
        #[pallet::call_index(10)]
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
        /// The parameters in force.
        pub fn params() -> ParamsOf<T> {
            ActiveParams::<T>::get()
        }

        /// Refuses parameters that would stall the pallet.
        pub fn check_params(p: &ParamsOf<T>) -> Result<(), Error<T>> {
            use sp_runtime::traits::Zero;
            ensure!(
                !p.min_bond.is_zero()
                    && !p.unbonding_delay.is_zero()
                    && !p.epoch_length.is_zero()
                    && !p.response_window.is_zero()
                    && p.max_challenges_per_block > 0
                    && p.max_expiries_per_block > 0
                    && p.max_reassign_per_block > 0
                    && !p.confirm_window.is_zero()
                    && !p.min_price.is_zero()
                    && p.max_duration > 0,
                Error::<T>::ZeroParam
            );
            Ok(())
        }
    }
}
