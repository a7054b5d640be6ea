//! # Bridge pallet: settlement of the EchoNet rollup
//!
//! This pallet makes the chain the rollup's L1. ECHO goes into L2 through [`Pallet::deposit`],
//! moves there in batches whose validity proofs [`Pallet::submit_batch`] verifies on chain,
//! and comes back through withdrawals that [`Pallet::claim_withdrawal`] pays. If the operators
//! stop, anyone may open the escape hatch ([`Pallet::trigger_exodus`]) and every account
//! leaves with exactly its L2 balance ([`Pallet::exit`]). The pallet account
//! ([`Config::PalletId`]) holds every locked unit; nothing pays out more than was locked.
//!
//! ## Verifying keys and the batch size
//!
//! The admin origin ([`Config::AdminOrigin`]; Root until governance) registers the Groth16
//! verifying key of each batch size with [`Pallet::set_verifying_key`], giving the key's
//! SHA-256 (what `echonet-prover setup` prints, `echonet_prover::keys::vk_hash`) as a check
//! of what it votes on. The key is decoded with full checks once, must have exactly one
//! public input, and is stored *prepared* (`verifier.rs`), so verifying a batch never
//! prepares a key. Which size batches have is the bridge's own configuration
//! ([`Pallet::set_batch_size`], [`BatchSize`]), never the submitter's: the DA hash pads the
//! records to a multiple of 8, so only the verifying key binds the size (settlement rule 6).
//! Sizes are at most [`Config::MaxBatchSize`].
//!
//! ## Operators
//!
//! The admin origin adds the accounts that may submit batches ([`Pallet::add_operator`]);
//! each puts `operator_bond` on hold ([`HoldReason::OperatorBond`]). A batch from anyone
//! else is refused. [`Pallet::remove_operator`] releases the bond, or burns it when the admin
//! origin says so. Exodus does not touch bonds by itself: it can follow a chain halt (time
//! passes, no block is made) as much as an operator's failure, and an automatic slash
//! would punish operators for the first. Bonds stay held in exodus mode until the admin
//! origin removes the operator and decides whether to burn its bond (there is no treasury
//! yet, so a slash burns).
//!
//! ## Deposits
//!
//! [`Pallet::deposit`] moves `amount` (at least `min_deposit`) from the caller into the
//! pallet account and appends an entry to the deposit queue ([`DepositQueue`], at most
//! [`Config::MaxQueuedDeposits`] entries): the depositor, the L2 index, the key of a new
//! account and the time it was queued. A deposit either creates an account
//! ([`DepositTarget::NewAccount`]: the key is decompressed and must be on the curve, in the
//! prime-order subgroup and not the identity, settlement rule 3; the pallet assigns the
//! index itself from [`NextIndex`] and stops before the reserved index `2^24 − 1`) or
//! credits one ([`DepositTarget::Existing`], whose index must be below [`NextIndex`]). The
//! queue is consumed in order, so a deposit the circuit could not include would block
//! every later one forever: these checks make every queued deposit includable (settlement
//! rule 1). Queued deposits are refunded only in exodus mode ([`Pallet::refund_deposit`]).
//!
//! ## Batches
//!
//! [`Pallet::submit_batch`] checks, in this order, and changes nothing unless all pass:
//!
//! 1. the caller is an operator and the bridge is not in exodus mode;
//! 2. the batch number is the next one ([`LastBatch`] + 1); the old root is not an argument,
//!    it is [`CurrentRoot`];
//! 3. the DA bytes (at most `3 + 12·MaxBatchSize`) decode for the configured batch size;
//! 4. the DA's deposit records are exactly `deposits_consumed`, the queue holds that many,
//!    and each record names the index of the queue entry it consumes, in queue order;
//! 5. the withdrawals match the DA's withdrawal records (sender and amount, in order);
//! 6. the public input is rebuilt from chain data only: the chain id ([`Config::ChainId`]),
//!    the rollup instance id ([`InstanceId`]), the batch number, the current and new roots,
//!    the deposits hash of the queue head (amounts as `u128` from the queue, never from the
//!    extrinsic: settlement rule 2), the withdrawals hash and the DA hash;
//! 7. the proof's encoding: canonical coordinates, points on the curve and in the subgroup;
//! 8. the proof verifies against the prepared key of the configured size.
//!
//! Then the root moves, the consumed deposits leave the queue, each withdrawal becomes
//! claimable by its L1 recipient ([`Withdrawals`]), the L2 total is updated and
//! [`Event::BatchVerified`] carries the batch number and both roots. The DA bytes stay in
//! the extrinsic, so anyone can rebuild the L2 state from chain data alone. A batch refused
//! at any step, a failed proof included, costs its submitter the fee and nothing else.
//!
//! The public input is rebuilt in one function, `batches.rs`'s `rebuild_public_input`: it
//! hands `commitment_from_l1_data` an accessor of the queue itself, which reads exactly as
//! many entries as the DA has deposit records, each once, and records their amounts for
//! the settlement (so checks 4 and 6 are one pass over the queue, and the writes pop and
//! subtract exactly the entries the proof was checked against).
//!
//! ## Withdrawals
//!
//! A verified withdrawal is paid once to its recipient by [`Pallet::claim_withdrawal`],
//! which anyone may call (the recipient is fixed). There is no automatic payment in a hook:
//! a claim is one transfer, any relayer can batch them, and the pallet keeps no per-block
//! work to bound.
//!
//! ## Escape hatch (exodus mode)
//!
//! Anyone may call [`Pallet::trigger_exodus`] when the oldest queued deposit has waited
//! longer than `deposit_timeout_ms`, or when no batch has been verified for
//! `batch_timeout_ms` since the last one (before the first batch there are no L2 balances,
//! only queued deposits, which the deposit timeout covers). Time is the timestamp pallet's
//! ([`Config::UnixTime`]), not blocks. From then on no batch is accepted; [`CurrentRoot`] is
//! final. Each L2 account exits once with [`Pallet::exit`]: its leaf, the leaf's Merkle
//! proof against the last verified root and its key's EdDSA-Poseidon signature of the exit
//! message for an L1 recipient (`echonet_rollup_primitives::exit`, verified natively).
//! Unprocessed deposits are refunded to their depositors with [`Pallet::refund_deposit`].
//! Unclaimed withdrawals stay claimable.
//!
//! ## Genesis and the instance id
//!
//! The root starts as the empty tree's ([`EMPTY_TREE_ROOT`]) and genesis cannot set another
//! (settlement rule 4: a pre-populated leaf could hold a crafted nonce; the circuit now also
//! range-checks nonces to 40 bits). The rollup instance id is `blake2_256("echonet/rollup-instance"
//! ‖ pallet name ‖ pallet index ‖ genesis hash)`, first 8 bytes little-endian; the genesis
//! hash is not known while genesis is built, so the first block's `on_initialize` computes
//! and stores it once ([`InstanceId`]). It is signed by every L2 user (in the
//! packed message word), bound by every batch proof (in the public input) and signed by every
//! exit, so signatures for one rollup are worthless on another.
//!
//! ## Invariant
//!
//! The pallet account's balance is at least the queued deposits ([`QueuedTotal`]) + the L2
//! total ([`L2Total`]: deposits consumed − withdrawals recorded − exits paid) + the
//! unclaimed withdrawals ([`UnclaimedTotal`]) + the existential deposit the account is
//! created with at genesis (it keeps the account alive, so no payout can dust it). The
//! circuit guarantees an L2 total that only falls by recorded withdrawals, and the pallet
//! refuses a batch or an exit that would take the L2 total below zero. `try_state.rs`
//! checks it and the totals against the stored entries.
//!
//! ## Where things are
//!
//! This file declares the pallet (config, storage, genesis, events, errors, hooks, calls);
//! calls check their origin and hand over to their concern: keys, batch size, parameters
//! and operators in `admin.rs`; deposits and refunds in `deposits.rs`; batches and the
//! public input in `batches.rs`; claims in `withdrawals.rs`; exodus and exits in
//! `exodus.rs`; proof and key decoding in `verifier.rs`; stored types in `types.rs`;
//! invariants in `try_state.rs`; weights in `weights.rs`, benchmarks in `benchmarking.rs`
//! with the proof fixtures of `fixtures.rs` (checked in under `bridge/fixtures/`,
//! regenerated by the `bench-fixtures` example); the mock runtime and tests in `mock.rs`
//! and `tests/`.

extern crate alloc;

pub mod fixtures;
pub mod types;
pub mod verifier;
pub mod weights;

mod admin;
mod batches;
mod deposits;
mod exodus;
#[cfg(any(feature = "try-runtime", test))]
mod try_state;
mod withdrawals;

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
use frame_support::{
    pallet_prelude::*,
    traits::{fungible, UnixTime},
    PalletId,
};
use frame_system::pallet_prelude::*;

/// The root of the empty depth-24 account tree (big-endian): the bridge's genesis root.
/// A test checks it against `echonet_rollup_primitives::AccountTree::new().root()`.
pub const EMPTY_TREE_ROOT: FieldBytes = [
    0x27, 0x17, 0x1f, 0xb4, 0xa9, 0x7b, 0x6c, 0xc0, 0xe9, 0xe8, 0xf5, 0x43, 0xb5, 0x29, 0x4d, 0xe8,
    0x66, 0xa2, 0xaf, 0x2c, 0x9c, 0x8d, 0x0b, 0x1d, 0x96, 0xe6, 0x73, 0xe4, 0x52, 0x9e, 0xd5, 0x40,
];

/// What [`InstanceId`] is derived from, before the pallet's name and index and the genesis
/// hash.
pub const INSTANCE_TAG: &[u8] = b"echonet/rollup-instance";

/// The largest DA payload for a batch size: a 3-byte header and a 12-byte record per slot.
pub struct MaxDaBytes<T>(PhantomData<T>);
impl<T: Config> Get<u32> for MaxDaBytes<T> {
    fn get() -> u32 {
        T::MaxBatchSize::get().saturating_mul(12).saturating_add(3)
    }
}

/// What the benchmarks need from the runtime: the exodus timeouts are measured with
/// [`Config::UnixTime`], which a benchmark cannot advance by itself.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper {
    /// Sets the time [`Config::UnixTime`] reports to `ms` unix milliseconds.
    fn set_time(ms: u64);
}

/// The depth of the account tree: an exit's Merkle proof has this many siblings.
pub const TREE_DEPTH: u32 = echonet_rollup_primitives::TREE_DEPTH as u32;

/// A Merkle proof as [`Pallet::exit`] takes it: the siblings from the leaf level up.
pub type MerkleSiblings = BoundedVec<FieldBytes, ConstU32<TREE_DEPTH>>;

/// The DA payload as [`Pallet::submit_batch`] takes it.
pub type DaBytesOf<T> = BoundedVec<u8, MaxDaBytes<T>>;

/// A batch's withdrawals as [`Pallet::submit_batch`] takes them.
pub type WithdrawalsOf<T> = BoundedVec<WithdrawalArg, <T as Config>::MaxBatchSize>;

#[frame_support::pallet]
pub mod pallet {
    use super::*;

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// An operator's bond.
        OperatorBond,
    }

    #[pallet::config]
    pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
        /// The L1 currency. Its balance is `u128`, the L2's amount type, so that no amount
        /// is ever converted with a loss.
        type Currency: fungible::Mutate<Self::AccountId, Balance = u128>
            + fungible::MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        /// The runtime's hold reasons, which include this pallet's.
        type RuntimeHoldReason: From<HoldReason>;
        /// Registers keys, sets the batch size and parameters, adds and removes operators.
        type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// The wall clock (the timestamp pallet) the exodus timeouts are measured with.
        type UnixTime: UnixTime;
        /// The account that holds every locked unit.
        #[pallet::constant]
        type PalletId: Get<PalletId>;
        /// The chain id every L2 signature and every batch proof binds.
        #[pallet::constant]
        type ChainId: Get<u32>;
        /// The largest batch size a key may be registered for (at least 64).
        #[pallet::constant]
        type MaxBatchSize: Get<u32>;
        /// Deposits that may wait in the queue at once.
        #[pallet::constant]
        type MaxQueuedDeposits: Get<u32>;
        /// Operators at once.
        #[pallet::constant]
        type MaxOperators: Get<u32>;
        /// Weights of the calls.
        type WeightInfo: WeightInfo;
        /// What the benchmarks need from the runtime (setting the wall clock).
        #[cfg(feature = "runtime-benchmarks")]
        type BenchmarkHelper: BenchmarkHelper;
    }

    /// The governance parameters: timeouts, the minimum deposit, the operator bond.
    #[pallet::storage]
    pub type ActiveParams<T: Config> = StorageValue<_, Params, ValueQuery>;

    /// The verifying key of each batch size (key: the batch size).
    #[pallet::storage]
    pub type VerifyingKeys<T: Config> = StorageMap<_, Twox64Concat, u32, VerifyingKeyEntry>;

    /// The batch size every batch has, chosen by the admin origin among the sizes with a
    /// key. `None` until set: no batch is accepted then.
    #[pallet::storage]
    pub type BatchSize<T: Config> = StorageValue<_, u32>;

    /// The operators and the bond each holds.
    #[pallet::storage]
    pub type Operators<T: Config> = CountedStorageMap<_, Blake2_128Concat, T::AccountId, u128>;

    /// The index the next account-creating deposit gets.
    #[pallet::storage]
    pub type NextIndex<T: Config> = StorageValue<_, L2Index, ValueQuery>;

    /// The deposit queue, keyed by sequence number; entries `QueueHead..QueueTail` are
    /// waiting (in exodus mode, refunds leave holes).
    #[pallet::storage]
    pub type DepositQueue<T: Config> =
        StorageMap<_, Twox64Concat, u64, QueuedDeposit<T::AccountId>>;

    /// The sequence number of the oldest waiting deposit.
    #[pallet::storage]
    pub type QueueHead<T: Config> = StorageValue<_, u64, ValueQuery>;

    /// The sequence number the next deposit gets.
    #[pallet::storage]
    pub type QueueTail<T: Config> = StorageValue<_, u64, ValueQuery>;

    /// The sum of the queued deposits' amounts.
    #[pallet::storage]
    pub type QueuedTotal<T: Config> = StorageValue<_, u128, ValueQuery>;

    /// The root of the L2 account tree after the last verified batch (big-endian).
    #[pallet::storage]
    pub type CurrentRoot<T: Config> = StorageValue<_, FieldBytes, ValueQuery, EmptyRoot>;

    /// The number of the last verified batch; 0 before the first. Batch `n + 1` comes next.
    #[pallet::storage]
    pub type LastBatch<T: Config> = StorageValue<_, u64, ValueQuery>;

    /// When the last batch was verified (unix milliseconds); `None` before the first.
    #[pallet::storage]
    pub type LastBatchAt<T: Config> = StorageValue<_, u64>;

    /// The total balance on L2: deposits consumed − withdrawals recorded − exits paid.
    #[pallet::storage]
    pub type L2Total<T: Config> = StorageValue<_, u128, ValueQuery>;

    /// Verified withdrawals not yet claimed, keyed by (batch number, position in the
    /// batch's withdrawal list).
    #[pallet::storage]
    pub type Withdrawals<T: Config> =
        StorageDoubleMap<_, Twox64Concat, u64, Twox64Concat, u32, PendingWithdrawal<T::AccountId>>;

    /// The sum of the unclaimed withdrawals.
    #[pallet::storage]
    pub type UnclaimedTotal<T: Config> = StorageValue<_, u128, ValueQuery>;

    /// Set when exodus mode began: when (unix milliseconds) and why.
    #[pallet::storage]
    pub type Exodus<T: Config> = StorageValue<_, (u64, ExodusReason)>;

    /// The L2 accounts that have exited (key: the L2 index; at most `2^24 − 1` entries,
    /// each paid for by its exit).
    #[pallet::storage]
    pub type Exited<T: Config> = StorageMap<_, Twox64Concat, L2Index, ()>;

    /// The rollup instance id (see the module docs); set once, in block 1.
    #[pallet::storage]
    pub type InstanceId<T: Config> = StorageValue<_, u64>;

    /// The default of [`CurrentRoot`]: the empty tree.
    pub struct EmptyRoot;
    impl Get<FieldBytes> for EmptyRoot {
        fn get() -> FieldBytes {
            EMPTY_TREE_ROOT
        }
    }

    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// The parameters; the defaults of [`Params`] when `None`.
        pub params: Option<Params>,
        /// Operators added at genesis (each bonds `operator_bond`).
        pub operators: Vec<T::AccountId>,
        /// (batch size, compressed verifying key) registered at genesis.
        pub verifying_keys: Vec<(u32, Vec<u8>)>,
        /// The batch size at genesis; it needs one of `verifying_keys`.
        pub batch_size: Option<u32>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            use frame_support::traits::fungible::{Inspect, Mutate};
            if let Some(params) = &self.params {
                Pallet::<T>::check_params(params).expect("pallet-bridge genesis params are valid");
                ActiveParams::<T>::put(params);
            }
            // The root is the empty tree's and nothing else (rule 4).
            CurrentRoot::<T>::put(EMPTY_TREE_ROOT);
            // The pallet account exists from genesis with the existential deposit, which
            // no obligation counts: payouts keep it alive and can never dust it.
            let account = Pallet::<T>::account_id();
            T::Currency::mint_into(&account, T::Currency::minimum_balance())
                .expect("pallet-bridge genesis: minting the existential deposit");
            for (size, key) in &self.verifying_keys {
                let entry = Pallet::<T>::checked_key(*size, key, sp_io::hashing::sha2_256(key))
                    .expect("pallet-bridge genesis verifying key is valid");
                VerifyingKeys::<T>::insert(size, entry);
            }
            if let Some(size) = self.batch_size {
                assert!(
                    VerifyingKeys::<T>::contains_key(size),
                    "pallet-bridge genesis: the batch size has no verifying key"
                );
                BatchSize::<T>::put(size);
            }
            for who in &self.operators {
                Pallet::<T>::do_add_operator(who).expect("pallet-bridge genesis operator bonds");
            }
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// The verifying key for `batch_size` was set; `hash` is its SHA-256.
        VerifyingKeySet {
            /// The batch size.
            batch_size: u32,
            /// SHA-256 of the compressed key.
            hash: [u8; 32],
        },
        /// Batches have `batch_size` slots from now on.
        BatchSizeSet {
            /// The batch size.
            batch_size: u32,
        },
        /// The admin origin set new parameters.
        ParamsSet,
        /// An operator was added with its bond on hold.
        OperatorAdded {
            /// The operator.
            who: T::AccountId,
            /// The bond held.
            bond: u128,
        },
        /// An operator was removed; its bond was released or burnt.
        OperatorRemoved {
            /// The operator.
            who: T::AccountId,
            /// The bond.
            bond: u128,
            /// Whether the bond was burnt.
            slashed: bool,
        },
        /// A deposit was queued.
        Deposited {
            /// Its sequence number in the queue.
            seq: u64,
            /// Who paid it.
            depositor: T::AccountId,
            /// The credited or created L2 index.
            to: L2Index,
            /// The amount.
            amount: u128,
            /// Whether it creates the account.
            creates: bool,
        },
        /// A batch was verified and applied.
        BatchVerified {
            /// Its number.
            batch_number: u64,
            /// The root before it.
            old_root: FieldBytes,
            /// The root after it.
            new_root: FieldBytes,
            /// Deposits it consumed.
            deposits: u32,
            /// Withdrawals it recorded.
            withdrawals: u32,
        },
        /// A withdrawal was paid.
        WithdrawalClaimed {
            /// The batch that recorded it.
            batch_number: u64,
            /// Its position in that batch's withdrawal list.
            position: u32,
            /// Who received it.
            recipient: T::AccountId,
            /// How much.
            amount: u128,
        },
        /// The rollup is frozen; accounts exit and deposits are refunded from now on.
        ExodusTriggered {
            /// Which timeout passed.
            reason: ExodusReason,
            /// When (unix milliseconds).
            at: u64,
        },
        /// An L2 account exited.
        Exited {
            /// The L2 index.
            index: L2Index,
            /// The L1 account paid.
            recipient: T::AccountId,
            /// Its L2 balance, paid.
            amount: u128,
        },
        /// A queued deposit was refunded in exodus mode.
        DepositRefunded {
            /// Its sequence number.
            seq: u64,
            /// Who was refunded.
            depositor: T::AccountId,
            /// How much.
            amount: u128,
        },
        /// The rollup instance id was computed.
        InstanceIdSet {
            /// The id.
            instance: u64,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// The batch size is 0 or above `MaxBatchSize`.
        BatchSizeOutOfRange,
        /// The key's SHA-256 is not the hash given with it.
        KeyHashMismatch,
        /// The key does not decode with full checks (a point off its curve or outside the
        /// subgroup, a non-canonical coordinate, trailing bytes).
        MalformedKey,
        /// The key (or proof system) has another number of public inputs than one.
        WrongInputCount,
        /// No verifying key is registered for the batch size.
        NoVerifyingKey,
        /// No batch size is configured yet.
        NoBatchSize,
        /// A timeout is 0 or longer than a year, the minimum deposit is below the
        /// existential deposit, or the bond is below it while not zero.
        InvalidParams,
        /// The account is an operator already.
        AlreadyOperator,
        /// `MaxOperators` operators exist.
        TooManyOperators,
        /// The account is not an operator.
        NotOperator,
        /// The bridge is in exodus mode: no deposit or batch is accepted.
        ExodusActive,
        /// The call needs exodus mode.
        NotInExodus,
        /// The deposit is below `min_deposit`.
        BelowMinimumDeposit,
        /// `MaxQueuedDeposits` deposits are waiting.
        DepositQueueFull,
        /// The new account's key does not decompress, is not in the prime-order subgroup,
        /// or is the identity.
        InvalidPublicKey,
        /// A credit deposit names an index no deposit has created.
        UnknownL2Account,
        /// Every index below the reserved one has been assigned.
        L2AccountsExhausted,
        /// The batch number is not the next one.
        BadBatchNumber,
        /// The new root is not a canonical field element.
        NonCanonicalRoot,
        /// The DA bytes do not decode for the configured batch size.
        MalformedDa,
        /// `deposits_consumed` is not the DA's number of deposit records.
        DepositCountMismatch,
        /// The queue has fewer deposits than the batch consumes.
        NotEnoughDeposits,
        /// A DA deposit record names another index than the queue entry it consumes.
        DepositOutOfOrder,
        /// The withdrawals do not match the DA's withdrawal records.
        WithdrawalMismatch,
        /// A proof coordinate is not canonical or its flags are inconsistent.
        ProofNotCanonical,
        /// A proof point is not on the curve.
        ProofNotOnCurve,
        /// A proof point is not in the prime-order subgroup.
        ProofNotInSubgroup,
        /// The proof does not verify for the public input rebuilt from chain data.
        InvalidProof,
        /// The batch's withdrawals (or an exit) exceed the L2 total: the proof system
        /// would be broken; refused rather than paying out more than was locked.
        L2TotalExceeded,
        /// No unclaimed withdrawal at that batch and position.
        WithdrawalNotFound,
        /// Neither timeout has passed.
        ExodusNotDue,
        /// The L2 account has exited already.
        AlreadyExited,
        /// The leaf and its Merkle proof do not give the last verified root.
        ExitNotInTree,
        /// The signature is not the account key's signature of the exit message.
        ExitSignatureInvalid,
        /// The exit's proof does not have 24 canonical siblings, its key does not
        /// decompress, or its index cannot hold an account.
        MalformedExit,
        /// No queued deposit with that sequence number.
        DepositNotFound,
        /// The instance id is computed in block 1; this call needs it.
        InstanceNotSet,
        /// The recipient's account id does not fit 32 bytes.
        RecipientTooLong,
        /// An arithmetic overflow (impossible while the invariant holds).
        Overflow,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        /// Computes the instance id once, in the first block (the genesis hash is known
        /// from then on); afterwards one read.
        fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
            if InstanceId::<T>::exists() {
                return T::DbWeight::get().reads(1);
            }
            let instance = Self::compute_instance();
            InstanceId::<T>::put(instance);
            Self::deposit_event(Event::InstanceIdSet { instance });
            T::WeightInfo::set_instance()
        }

        fn integrity_test() {
            assert!(T::MaxBatchSize::get() >= 64, "MaxBatchSize below 64");
            assert!(T::MaxQueuedDeposits::get() > 0, "MaxQueuedDeposits is 0");
            assert!(
                T::AccountId::max_encoded_len() <= 32,
                "account ids must fit the 32-byte L1 recipient of L2 withdrawals"
            );
        }

        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Registers (or replaces) the verifying key for `batch_size`. `key_hash` must be
        /// the SHA-256 of `key` (what `echonet-prover setup` prints). The key is checked and
        /// prepared here, once.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::set_verifying_key())]
        pub fn set_verifying_key(
            origin: OriginFor<T>,
            batch_size: u32,
            key: BoundedVec<u8, ConstU32<MAX_KEY_BYTES>>,
            key_hash: [u8; 32],
        ) -> DispatchResult {
            T::AdminOrigin::ensure_origin(origin)?;
            Self::do_set_verifying_key(batch_size, &key, key_hash)
        }

        /// Sets the batch size of every batch from now on; it needs a registered key.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::set_batch_size())]
        pub fn set_batch_size(origin: OriginFor<T>, batch_size: u32) -> DispatchResult {
            T::AdminOrigin::ensure_origin(origin)?;
            Self::do_set_batch_size(batch_size)
        }

        /// Sets the governance parameters (checked: see [`Error::InvalidParams`]).
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::set_params())]
        pub fn set_params(origin: OriginFor<T>, params: Params) -> DispatchResult {
            T::AdminOrigin::ensure_origin(origin)?;
            Self::check_params(&params)?;
            ActiveParams::<T>::put(params);
            Self::deposit_event(Event::ParamsSet);
            Ok(())
        }

        /// Makes `who` an operator, putting `operator_bond` of its balance on hold.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::add_operator())]
        pub fn add_operator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
            T::AdminOrigin::ensure_origin(origin)?;
            Self::do_add_operator(&who)
        }

        /// Removes operator `who`, releasing its bond, or burning it when `slash`.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::remove_operator())]
        pub fn remove_operator(
            origin: OriginFor<T>,
            who: T::AccountId,
            slash: bool,
        ) -> DispatchResult {
            T::AdminOrigin::ensure_origin(origin)?;
            Self::do_remove_operator(&who, slash)
        }

        /// Locks `amount` in the bridge and queues it for L2 (see the module docs).
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::deposit())]
        pub fn deposit(
            origin: OriginFor<T>,
            target: DepositTarget,
            #[pallet::compact] amount: u128,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            Self::do_deposit(who, target, amount)
        }

        /// Verifies and applies batch `batch_number` (see the module docs for the checks).
        /// Charged for `MaxBatchSize` slots, refunded to the configured size.
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::submit_batch(T::MaxBatchSize::get()))]
        pub fn submit_batch(
            origin: OriginFor<T>,
            batch_number: u64,
            new_root: FieldBytes,
            da: DaBytesOf<T>,
            deposits_consumed: u32,
            withdrawals: WithdrawalsOf<T>,
            proof: [u8; PROOF_BYTES],
        ) -> DispatchResultWithPostInfo {
            let who = ensure_signed(origin)?;
            let size = Self::do_submit_batch(
                &who,
                batch_number,
                new_root,
                &da,
                deposits_consumed,
                &withdrawals,
                &proof,
            )?;
            Ok(Some(T::WeightInfo::submit_batch(size)).into())
        }

        /// Pays the withdrawal at (`batch_number`, `position`) to its recipient, once.
        /// Anyone may call it.
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::claim_withdrawal())]
        pub fn claim_withdrawal(
            origin: OriginFor<T>,
            batch_number: u64,
            position: u32,
        ) -> DispatchResult {
            ensure_signed(origin)?;
            Self::do_claim_withdrawal(batch_number, position)
        }

        /// Freezes the rollup when a timeout has passed. Anyone may call it.
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::trigger_exodus())]
        pub fn trigger_exodus(origin: OriginFor<T>) -> DispatchResult {
            ensure_signed(origin)?;
            Self::do_trigger_exodus()
        }

        /// In exodus mode: pays L2 account `index` its balance under the last verified root,
        /// to `recipient`, once. `leaf` and `siblings` prove the balance; `signature` is the
        /// account key's signature of the exit message for `recipient`. Anyone may submit
        /// it (a relayer cannot change the recipient).
        #[pallet::call_index(9)]
        #[pallet::weight(T::WeightInfo::exit())]
        pub fn exit(
            origin: OriginFor<T>,
            index: L2Index,
            leaf: ExitLeaf,
            siblings: MerkleSiblings,
            recipient: T::AccountId,
            signature: [u8; 64],
        ) -> DispatchResult {
            ensure_signed(origin)?;
            Self::do_exit(index, &leaf, &siblings, recipient, &signature)
        }

        /// In exodus mode: refunds queued deposit `seq` to its depositor. Anyone may call it.
        #[pallet::call_index(10)]
        #[pallet::weight(T::WeightInfo::refund_deposit())]
        pub fn refund_deposit(origin: OriginFor<T>, seq: u64) -> DispatchResult {
            ensure_signed(origin)?;
            Self::do_refund_deposit(seq)
        }
    }
}

impl<T: Config> Pallet<T> {
    /// The account holding every locked unit.
    pub fn account_id() -> T::AccountId {
        use sp_runtime::traits::AccountIdConversion;
        T::PalletId::get().into_account_truncating()
    }

    /// Now, in unix milliseconds.
    pub(crate) fn now_ms() -> u64 {
        u64::try_from(T::UnixTime::now().as_millis()).unwrap_or(u64::MAX)
    }

    /// The instance id from its inputs (see the module docs).
    pub(crate) fn compute_instance() -> u64 {
        use frame_support::traits::PalletInfoAccess;
        let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::default());
        let mut input = Vec::new();
        input.extend_from_slice(INSTANCE_TAG);
        input.extend_from_slice(Self::name().as_bytes());
        input.extend_from_slice(&(Self::index() as u32).to_le_bytes());
        input.extend_from_slice(genesis.as_ref());
        let h = sp_io::hashing::blake2_256(&input);
        let mut first = [0u8; 8];
        first.copy_from_slice(&h[..8]);
        u64::from_le_bytes(first)
    }

    /// The rollup instance id every exit and every L2 transaction signs and every batch
    /// proof binds. `None` before block 1.
    pub fn rollup_instance() -> Option<u64> {
        InstanceId::<T>::get()
    }

    /// An L1 account id as the 32 bytes an L2 withdrawal or exit names (its SCALE
    /// encoding, zero-padded).
    pub fn recipient_bytes(who: &T::AccountId) -> Result<[u8; 32], Error<T>> {
        let enc = who.encode();
        if enc.len() > 32 {
            return Err(Error::<T>::RecipientTooLong);
        }
        let mut out = [0u8; 32];
        out[..enc.len()].copy_from_slice(&enc);
        Ok(out)
    }

    /// The L1 account 32 recipient bytes name (the inverse of [`Self::recipient_bytes`]).
    pub fn recipient_account(bytes: &[u8; 32]) -> Option<T::AccountId> {
        T::AccountId::decode(&mut sp_runtime::traits::TrailingZeroInput::new(bytes)).ok()
    }
}
