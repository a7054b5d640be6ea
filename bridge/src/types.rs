//! Types the bridge stores or takes in its calls.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::__private::serde;
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;

/// An L2 account index (a leaf of the depth-24 account tree).
pub type L2Index = u32;

/// A BN254 scalar field element (the L2's field) as 32 big-endian bytes, always canonical
/// (`< p`) when the bridge wrote it.
pub type FieldBytes = [u8; 32];

/// Where a deposit goes on L2.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub enum DepositTarget {
    /// Create a new L2 account owned by this BabyJubJub key (circomlib's 32-byte packed
    /// form). The bridge assigns the index (`NextIndex`), never the depositor.
    NewAccount([u8; 32]),
    /// Credit an existing L2 account, which must have an index below `NextIndex`.
    Existing(L2Index),
}

/// An L2 public key in circomlib's coordinates, as it enters the deposits hash.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Debug,
)]
pub struct L2PublicKey {
    /// `x`, canonical big-endian.
    pub x: FieldBytes,
    /// `y`, canonical big-endian.
    pub y: FieldBytes,
}

/// A deposit waiting in the queue for a batch to consume it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen, Debug)]
pub struct QueuedDeposit<AccountId> {
    /// Who paid it, and who gets it back if it is refunded in exodus mode.
    pub depositor: AccountId,
    /// The credited or created L2 index.
    pub to: L2Index,
    /// The key of the account it creates, or `None` when it credits an existing one.
    pub new_account: Option<L2PublicKey>,
    /// The amount locked in the bridge's account.
    pub amount: u128,
    /// When it was queued (unix milliseconds): `deposit_timeout` counts from here.
    pub queued_at: u64,
}

/// The governance parameters ([`crate::Pallet::set_params`]).
#[derive(
    Clone,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Debug,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(crate = "frame_support::__private::serde")]
pub struct Params {
    /// Exodus may be triggered when the oldest queued deposit has waited longer than this
    /// (milliseconds).
    pub deposit_timeout_ms: u64,
    /// Exodus may be triggered when no batch has been verified for longer than this since
    /// the last one (milliseconds).
    pub batch_timeout_ms: u64,
    /// The smallest deposit: the queue is bounded, so each entry costs at least this much.
    pub min_deposit: u128,
    /// What an operator puts on hold when the admin origin adds it.
    pub operator_bond: u128,
}

/// The longest timeout [`Params`] may have: a year. The escape hatch must stay reachable.
pub const MAX_TIMEOUT_MS: u64 = 365 * 24 * 60 * 60 * 1_000;

impl Default for Params {
    /// A day for a deposit, a week without batches, no minimum beyond one unit, no bond.
    fn default() -> Self {
        Params {
            deposit_timeout_ms: 24 * 60 * 60 * 1_000,
            batch_timeout_ms: 7 * 24 * 60 * 60 * 1_000,
            min_deposit: 1,
            operator_bond: 0,
        }
    }
}

/// Bytes of a prepared verifying key (arkworks' uncompressed `PreparedVerifyingKey<Bn254>`
/// for one public input: 34,394 bytes; see `verifier.rs`). The bound leaves room.
pub const MAX_PREPARED_KEY_BYTES: u32 = 40_000;
/// Bytes of a compressed verifying key as `set_verifying_key` takes it (296 for one public
/// input; larger keys are refused by their input count anyway).
pub const MAX_KEY_BYTES: u32 = 1_024;
/// Bytes of a compressed Groth16 proof over BN254: `A` (32), `B` (64), `C` (32).
pub const PROOF_BYTES: usize = 128;

/// A registered verifying key.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen, Debug)]
pub struct VerifyingKeyEntry {
    /// SHA-256 of the compressed key, as `echonet-prover setup` prints it.
    pub hash: [u8; 32],
    /// The checked key, prepared for verification (see `verifier.rs`).
    pub prepared: BoundedVec<u8, ConstU32<MAX_PREPARED_KEY_BYTES>>,
}

/// A withdrawal as `submit_batch` takes it: the DA names `from` and the amount code, the
/// recipient comes only here and is bound by the withdrawals hash.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Debug,
)]
pub struct WithdrawalArg {
    /// The L2 account that paid it.
    pub from: L2Index,
    /// The decoded amount (fee not included).
    pub amount: u128,
    /// The L1 recipient's 32-byte account id, as signed on L2.
    pub recipient: [u8; 32],
}

/// A verified withdrawal waiting to be claimed.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, MaxEncodedLen, Debug)]
pub struct PendingWithdrawal<AccountId> {
    /// Who receives it.
    pub recipient: AccountId,
    /// How much.
    pub amount: u128,
}

/// An L2 leaf as an exit presents it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct ExitLeaf {
    /// The account's key, circomlib-packed.
    pub public_key: [u8; 32],
    /// Its balance under the last verified root: what the exit pays.
    pub balance: u128,
    /// Its nonce (part of the leaf).
    pub nonce: u64,
}

/// Why exodus mode began.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    TypeInfo,
    MaxEncodedLen,
    Debug,
)]
pub enum ExodusReason {
    /// The oldest queued deposit waited longer than `deposit_timeout_ms`.
    DepositTimeout,
    /// No batch for longer than `batch_timeout_ms` since the last one.
    BatchTimeout,
}
