//! What the sequencer stores and signs: slot entries, batch records, the transaction hash and
//! the soft-confirmation receipt.
//!
//! Stored records are SCALE-encoded with fixed-size byte arrays for keys and signatures, so a
//! record has a small known bound and decodes without parsing curve points; points are
//! decompressed only when a transaction is needed as a [`Tx`] (replay after a restart, the
//! witness pipeline).

use codec::{Decode, Encode};
use echonet_rollup_primitives::{
    babyjubjub::Point,
    float::{Amount40, Fee8},
    Deposit, PublicKey, Signature, Transfer, Tx, Withdraw,
};
use sp_core::{sr25519, Pair};

/// A 32-byte hash (transaction hash, L1 block hash).
pub type Hash = [u8; 32];

/// What the receipt signature covers starts with this tag, so the operator key's signature
/// of a receipt can never be mistaken for an L1 extrinsic or anything else it signs.
pub const RECEIPT_TAG: &[u8] = b"echonet/l2-receipt";

/// The transaction hash clients see (defined once, in the primitives).
pub use echonet_rollup_primitives::tx::tx_hash;

/// The bytes the operator signs for a receipt:
/// `RECEIPT_TAG ‖ instance u64 LE ‖ hash ‖ batch u64 LE ‖ slot u32 LE`.
pub fn receipt_message(instance: u64, hash: &Hash, batch: u64, slot: u32) -> Vec<u8> {
    let mut m = Vec::with_capacity(RECEIPT_TAG.len() + 52);
    m.extend_from_slice(RECEIPT_TAG);
    m.extend_from_slice(&instance.to_le_bytes());
    m.extend_from_slice(hash);
    m.extend_from_slice(&batch.to_le_bytes());
    m.extend_from_slice(&slot.to_le_bytes());
    m
}

/// Checks a receipt signature (what a wallet does with a receipt).
pub fn verify_receipt(
    operator: &[u8; 32],
    instance: u64,
    hash: &Hash,
    batch: u64,
    slot: u32,
    signature: &[u8; 64],
) -> bool {
    let public = sr25519::Public::from_raw(*operator);
    let sig = sr25519::Signature::from_raw(*signature);
    sr25519::Pair::verify(&sig, receipt_message(instance, hash, batch, slot), &public)
}

/// The soft-confirmation receipt: the transaction's place, signed by the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The transaction hash ([`tx_hash`]).
    pub hash: Hash,
    /// The batch the transaction is in.
    pub batch: u64,
    /// Its 0-based slot in that batch.
    pub slot: u32,
    /// The operator's sr25519 public key.
    pub operator: [u8; 32],
    /// sr25519 signature of [`receipt_message`].
    pub signature: [u8; 64],
}

/// A user transaction as stored: codes and raw signature bytes.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum StoredTx {
    /// A [`Transfer`].
    Transfer {
        /// Sender index.
        from: u32,
        /// Receiver index.
        to: u32,
        /// Amount code.
        amount: u64,
        /// Fee code.
        fee: u8,
        /// Sender nonce.
        nonce: u64,
        /// Packed signature.
        signature: [u8; 64],
    },
    /// A [`Withdraw`].
    Withdraw {
        /// Sender index.
        from: u32,
        /// Amount code.
        amount: u64,
        /// Fee code.
        fee: u8,
        /// Sender nonce.
        nonce: u64,
        /// L1 recipient.
        recipient: [u8; 32],
        /// Packed signature.
        signature: [u8; 64],
    },
}

/// An L1 deposit as stored, with its queue sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct StoredDeposit {
    /// Position in the bridge's deposit queue.
    pub seq: u64,
    /// Credited (or created) account.
    pub to: u32,
    /// Compressed key of the account to create, if any.
    pub new_account: Option<[u8; 32]>,
    /// Amount.
    pub amount: u128,
}

/// One used slot of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum SlotEntry {
    /// An L1 deposit (deposits take a batch's first slots).
    Deposit(StoredDeposit),
    /// A soft-confirmed user transaction.
    Tx {
        /// Its hash.
        hash: Hash,
        /// The transaction.
        tx: StoredTx,
    },
}

/// A stored record that does not decode into a valid transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored entry is invalid: {0}")]
pub struct EntryError(pub String);

impl StoredTx {
    /// From a parsed transaction and its raw signature bytes.
    pub fn from_tx(tx: &Tx, signature: [u8; 64]) -> Option<StoredTx> {
        match tx {
            Tx::Transfer(t) => Some(StoredTx::Transfer {
                from: t.from,
                to: t.to,
                amount: t.amount.code(),
                fee: t.fee.code(),
                nonce: t.nonce,
                signature,
            }),
            Tx::Withdraw(w) => Some(StoredTx::Withdraw {
                from: w.from,
                amount: w.amount.code(),
                fee: w.fee.code(),
                nonce: w.nonce,
                recipient: w.recipient,
                signature,
            }),
            _ => None,
        }
    }

    /// Back to a [`Tx`] (decompresses the signature's `R8`).
    pub fn to_tx(&self) -> Result<Tx, EntryError> {
        let err = |e: &dyn std::fmt::Display| EntryError(e.to_string());
        Ok(match self {
            StoredTx::Transfer {
                from,
                to,
                amount,
                fee,
                nonce,
                signature,
            } => Tx::Transfer(Transfer {
                from: *from,
                to: *to,
                amount: Amount40::from_code(*amount).map_err(|e| err(&e))?,
                fee: Fee8(*fee),
                nonce: *nonce,
                signature: Signature::from_bytes(signature).map_err(|e| err(&e))?,
            }),
            StoredTx::Withdraw {
                from,
                amount,
                fee,
                nonce,
                recipient,
                signature,
            } => Tx::Withdraw(Withdraw {
                from: *from,
                amount: Amount40::from_code(*amount).map_err(|e| err(&e))?,
                fee: Fee8(*fee),
                nonce: *nonce,
                recipient: *recipient,
                signature: Signature::from_bytes(signature).map_err(|e| err(&e))?,
            }),
        })
    }

    /// The sending account.
    pub fn from(&self) -> u32 {
        match self {
            StoredTx::Transfer { from, .. } | StoredTx::Withdraw { from, .. } => *from,
        }
    }
}

impl StoredDeposit {
    /// From a queue entry.
    pub fn new(seq: u64, d: &Deposit) -> StoredDeposit {
        StoredDeposit {
            seq,
            to: d.to,
            new_account: d.new_account.map(|pk| pk.0.compress()),
            amount: d.amount,
        }
    }

    /// Back to a [`Deposit`].
    pub fn to_deposit(&self) -> Result<Deposit, EntryError> {
        let new_account = match &self.new_account {
            None => None,
            Some(b) => Some(PublicKey(
                Point::decompress(b).map_err(|e| EntryError(e.to_string()))?,
            )),
        };
        Ok(Deposit {
            to: self.to,
            new_account,
            amount: self.amount,
        })
    }
}

impl SlotEntry {
    /// The slot's transaction.
    pub fn to_tx(&self) -> Result<Tx, EntryError> {
        match self {
            SlotEntry::Deposit(d) => Ok(Tx::Deposit(d.to_deposit()?)),
            SlotEntry::Tx { tx, .. } => tx.to_tx(),
        }
    }
}

/// Rollup parameters fixed when the store is created; a restart with different ones is
/// refused (they are signed into every transaction or name the DA's fee account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct Params {
    /// The L1 chain id.
    pub chain_id: u32,
    /// The bridge's rollup instance.
    pub instance: u64,
    /// Slots per batch (the proving key's size).
    pub batch_size: u32,
    /// The account that receives the fees.
    pub fee_account: u32,
    /// The number of the first batch this store cuts.
    pub first_batch: u64,
    /// The deposit queue position the first batch starts from.
    pub first_deposit_seq: u64,
}

/// A cut batch, written once when it is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct BatchRecord {
    /// Used slots (deposits and transactions); the rest are no-ops.
    pub entries: u32,
    /// Deposits among them.
    pub deposits: u32,
    /// Withdrawals among them.
    pub withdrawals: u32,
    /// When it was cut (ms since the Unix epoch).
    pub cut_at_ms: u64,
}

/// Where a batch is after it was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Encode, Decode)]
pub enum BatchStatus {
    /// Still filling; its transactions are soft-confirmed.
    Open,
    /// Cut, being traced and proven.
    InBatch,
    /// A verified proof exists.
    Proven,
    /// In an L1 block that is not final yet.
    Settled,
    /// Final on L1.
    Final,
    /// Will never settle (invariant breach or exodus).
    Dropped,
}

impl BatchStatus {
    /// The status name used by the RPC.
    pub fn rpc_name(self) -> &'static str {
        match self {
            BatchStatus::Open => "softConfirmed",
            BatchStatus::InBatch => "inBatch",
            BatchStatus::Proven => "proven",
            BatchStatus::Settled => "settled",
            BatchStatus::Final => "final",
            BatchStatus::Dropped => "dropped",
        }
    }

    /// Whether nothing follows this status.
    pub fn is_terminal(self) -> bool {
        matches!(self, BatchStatus::Final | BatchStatus::Dropped)
    }
}

/// The mutable part of a batch's life after the cut (written by the service only).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct BatchState {
    /// Current status.
    pub status: BatchStatus,
    /// The L1 block (number, hash) that holds it, once settled.
    pub l1_block: Option<(u32, Hash)>,
    /// The verified proof, as the bridge takes it.
    pub proof: Option<[u8; 128]>,
    /// Why it was dropped.
    pub reason: Option<String>,
}

/// An account of the tree checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct StoredAccount {
    /// Compressed public key.
    pub pubkey: [u8; 32],
    /// Balance.
    pub balance: u128,
    /// Nonce.
    pub nonce: u64,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The largest `Amount40` value `<= v` and the smallest `>= v` (either may not exist).
pub fn nearest_amounts(v: u128) -> (Option<u128>, Option<u128>) {
    nearest(v, 35, 31)
}

/// The largest `Fee8` value `<= v` and the smallest `>= v`.
pub fn nearest_fees(v: u128) -> (Option<u128>, Option<u128>) {
    nearest(v, 4, 15)
}

fn nearest(v: u128, mantissa_bits: u32, max_e: u32) -> (Option<u128>, Option<u128>) {
    let max_m = (1u128 << mantissa_bits) - 1;
    let mut below: Option<u128> = None;
    let mut above: Option<u128> = None;
    for e in 0..=max_e {
        let Some(p) = 10u128.checked_pow(e) else {
            break;
        };
        // The largest multiple of 10^e with a mantissa that fits, not above v.
        if let Some(x) = (v / p).min(max_m).checked_mul(p) {
            below = Some(below.map_or(x, |b| b.max(x)));
        }
        // The smallest one not below v.
        let m_up = v.div_ceil(p);
        if m_up <= max_m {
            if let Some(x) = m_up.checked_mul(p) {
                above = Some(above.map_or(x, |a| a.min(x)));
            }
        }
    }
    (below, above)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_values_are_representable_and_bracket() {
        for v in [0u128, 7, 17, 1 << 35, (1 << 35) + 1, 123_456_789_123_456] {
            let (lo, hi) = nearest_amounts(v);
            let lo = lo.unwrap();
            assert!(lo <= v && Amount40::from_value(lo).is_ok(), "{v}");
            if let Some(hi) = hi {
                assert!(hi >= v && Amount40::from_value(hi).is_ok(), "{v}");
            }
        }
        assert_eq!(nearest_fees(17), (Some(15), Some(20)));
        assert_eq!(nearest_fees(15), (Some(15), Some(15)));
    }

    #[test]
    fn receipt_signature_roundtrip() {
        let pair = sr25519::Pair::from_string("//Alice", None).unwrap();
        let msg = receipt_message(3, &[7; 32], 5, 2);
        let sig = pair.sign(&msg);
        assert!(verify_receipt(&pair.public().0, 3, &[7; 32], 5, 2, &sig.0));
        assert!(!verify_receipt(&pair.public().0, 3, &[7; 32], 5, 3, &sig.0));
    }
}
