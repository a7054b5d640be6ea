//! Data-availability encoding of a batch: what `submit_batch` posts on L1 so that anyone can
//! rebuild the L2 state from L1 data alone.
//!
//! Layout: a 3-byte header (the operator's fee account index, big-endian), then one 12-byte
//! record per slot, in slot order. Trailing no-op records may be omitted; the reader pads with
//! no-ops up to the batch size. **12 bytes per transfer.**
//!
//! | bytes | 0..3 | 3..6 | 6..11 | 11 |
//! |---|---|---|---|---|
//! | transfer | from | to | amount code (40-bit float) | fee code |
//! | withdraw | from | `0xFFFFFF` | amount code | fee code |
//! | deposit | `0xFFFFFF` | to | 0 | 0 |
//! | no-op | 0 | 0 | 0 | 0 |
//!
//! Index `0xFFFFFF` is never an account ([`crate::tree::RESERVED_INDEX`]), and the circuit
//! forbids self-transfers, so the four shapes cannot be confused. Nonces and signatures are not
//! posted: nonces follow from the state, and the validity proof replaces the signatures. A
//! deposit's amount and key come from the L1 deposit queue, which the batch consumes in order.
//! A withdrawal's L1 recipient is posted separately with the withdrawal list (it does not
//! affect L2 state) and is bound by the withdrawals hash.
//!
//! **DA hash** (part of the public input): reading each record as a 96-bit big-endian integer
//! `r`, padding the records with zeros to a multiple of 8 that covers the batch size, and
//! chaining `h₀ = operator`, `h ← Poseidon_DA(h, r₀·2^96 + r₁, r₂·2^96 + r₃, r₄·2^96 + r₅,
//! r₆·2^96 + r₇)` per group of eight (two records per field element, so the in-circuit cost is
//! about 40 constraints per slot). `Poseidon_DA` is Poseidon(5) with the capacity element set
//! to [`DA_TAG`] at every step (domain separation from the EdDSA challenge and the deposit and
//! withdrawal chains, which hash five inputs too; see [`crate::poseidon`]); the tag is a
//! constant, so it costs no constraint.
//! The circuit computes exactly this from the slot data it proves.

use ark_ff::Zero;

use crate::field::Fr;
use crate::float::{Amount40, Fee8};
use crate::poseidon::{poseidon_tagged, DA_TAG};
use crate::tree::RESERVED_INDEX;
use crate::tx::Tx;

/// Bytes of the header.
pub const HEADER_BYTES: usize = 3;
/// Bytes per slot record.
pub const RECORD_BYTES: usize = 12;
/// Records absorbed per Poseidon call of the DA hash.
pub const RECORDS_PER_CHUNK: usize = 8;

/// One decoded record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaRecord {
    /// `from` paid `amount + fee`, `to` received `amount`.
    Transfer {
        /// Sender's index.
        from: u32,
        /// Receiver's index (never `from`).
        to: u32,
        /// Amount code.
        amount: Amount40,
        /// Fee code.
        fee: Fee8,
    },
    /// `from` paid `amount + fee`; the recipient is in the withdrawal list, not here.
    Withdraw {
        /// Sender's index.
        from: u32,
        /// Amount code.
        amount: Amount40,
        /// Fee code.
        fee: Fee8,
    },
    /// The next queued L1 deposit went to `to`; amount and key come from the L1 queue.
    Deposit {
        /// Credited or created index.
        to: u32,
    },
    /// An empty slot.
    Noop,
}

/// A decoded DA payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaBatch {
    /// The index that receives the batch's fees (the header).
    pub operator: u32,
    /// Exactly `batch_size` records (padded with no-ops).
    pub records: Vec<DaRecord>,
}

/// A DA payload was malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DaError {
    /// The payload's length is not `3 + 12·n`.
    #[error("DA payload of {0} bytes is not a 3-byte header plus 12-byte records")]
    BadLength(usize),
    /// The payload has more records than the batch has slots.
    #[error("DA payload has {records} records but the batch has {batch_size} slots")]
    TooManyRecords {
        /// Records in the payload.
        records: usize,
        /// Slots in the batch.
        batch_size: usize,
    },
    /// Record `n` (0-based) matches none of the four shapes in the table above.
    #[error("DA record {0} is not a valid transfer, withdrawal, deposit or no-op")]
    BadRecord(usize),
    /// A batch needs at least one slot.
    #[error("batch size must be at least 1")]
    ZeroBatchSize,
    /// An index to encode needs more than the 3 bytes a record gives it.
    #[error("account index {0} does not fit in 24 bits")]
    IndexTooLarge(u32),
    /// The withdrawal list given with the payload does not have one entry per withdrawal
    /// record.
    #[error("the DA has {da} {kind} records but {given} {kind}s were given")]
    CountMismatch {
        /// `"withdrawal"`.
        kind: &'static str,
        /// Records of that kind in the payload.
        da: usize,
        /// Entries of that kind given.
        given: usize,
    },
    /// The bridge's deposit queue holds fewer entries than the DA has deposit records.
    #[error("the DA has {da} deposit records but the deposit queue holds only {queued}")]
    DepositQueueTooShort {
        /// Deposit records in the payload.
        da: usize,
        /// Entries the queue could give.
        queued: usize,
    },
    /// Queued deposit `n` (0-based from the queue head) goes to another index than the `n`-th
    /// deposit record of the DA: the batch does not consume the queue in order.
    #[error("queued deposit {0} does not match its DA record")]
    DepositMismatch(usize),
    /// Withdrawal `n` (0-based) has a different sender or amount than its DA record.
    #[error("withdrawal {0} does not match its DA record")]
    WithdrawalMismatch(usize),
}

impl DaRecord {
    /// The 12-byte encoding.
    pub fn to_bytes(&self) -> [u8; RECORD_BYTES] {
        let (from, to, amount, fee) = match *self {
            DaRecord::Transfer {
                from,
                to,
                amount,
                fee,
            } => (from, to, amount.code(), fee.code()),
            DaRecord::Withdraw { from, amount, fee } => {
                (from, RESERVED_INDEX, amount.code(), fee.code())
            }
            DaRecord::Deposit { to } => (RESERVED_INDEX, to, 0, 0),
            DaRecord::Noop => (0, 0, 0, 0),
        };
        let mut out = [0u8; RECORD_BYTES];
        out[0..3].copy_from_slice(&from.to_be_bytes()[1..]);
        out[3..6].copy_from_slice(&to.to_be_bytes()[1..]);
        out[6..11].copy_from_slice(&amount.to_be_bytes()[3..]);
        out[11] = fee;
        out
    }

    /// Parses and validates one record (`index` is only for the error).
    pub fn from_bytes(b: &[u8; RECORD_BYTES], index: usize) -> Result<DaRecord, DaError> {
        let from = u32::from_be_bytes([0, b[0], b[1], b[2]]);
        let to = u32::from_be_bytes([0, b[3], b[4], b[5]]);
        let mut a = [0u8; 8];
        a[3..].copy_from_slice(&b[6..11]);
        let code = u64::from_be_bytes(a);
        let fee = b[11];
        let amount = Amount40::from_code(code).map_err(|_| DaError::BadRecord(index))?;
        let bad = Err(DaError::BadRecord(index));
        if b.iter().all(|x| *x == 0) {
            return Ok(DaRecord::Noop);
        }
        if from == RESERVED_INDEX {
            if to == RESERVED_INDEX || code != 0 || fee != 0 {
                return bad;
            }
            return Ok(DaRecord::Deposit { to });
        }
        if to == RESERVED_INDEX {
            return Ok(DaRecord::Withdraw {
                from,
                amount,
                fee: Fee8(fee),
            });
        }
        if from == to {
            return bad;
        }
        Ok(DaRecord::Transfer {
            from,
            to,
            amount,
            fee: Fee8(fee),
        })
    }

    /// The record as the 96-bit integer the DA hash absorbs.
    pub fn to_fr(&self) -> Fr {
        let b = self.to_bytes();
        let mut hi = [0u8; 16];
        hi[4..].copy_from_slice(&b);
        Fr::from(u128::from_be_bytes(hi))
    }

    /// The record of a transaction.
    pub fn of_tx(tx: &Tx) -> DaRecord {
        match tx {
            Tx::Transfer(t) => DaRecord::Transfer {
                from: t.from,
                to: t.to,
                amount: t.amount,
                fee: t.fee,
            },
            Tx::Withdraw(w) => DaRecord::Withdraw {
                from: w.from,
                amount: w.amount,
                fee: w.fee,
            },
            Tx::Deposit(d) => DaRecord::Deposit { to: d.to },
            Tx::Noop => DaRecord::Noop,
        }
    }
}

/// Encodes a batch's DA payload (trailing no-ops dropped).
pub fn encode(operator: u32, txs: &[Tx]) -> Result<Vec<u8>, DaError> {
    if operator >= 1 << 24 {
        return Err(DaError::IndexTooLarge(operator));
    }
    let used = txs
        .iter()
        .rposition(|t| !matches!(t, Tx::Noop))
        .map_or(0, |i| i + 1);
    let mut out = Vec::with_capacity(HEADER_BYTES + used * RECORD_BYTES);
    out.extend_from_slice(&operator.to_be_bytes()[1..]);
    for tx in &txs[..used] {
        for idx in tx_indices(tx) {
            if idx >= 1 << 24 {
                return Err(DaError::IndexTooLarge(idx));
            }
        }
        out.extend_from_slice(&DaRecord::of_tx(tx).to_bytes());
    }
    Ok(out)
}

fn tx_indices(tx: &Tx) -> Vec<u32> {
    match tx {
        Tx::Transfer(t) => vec![t.from, t.to],
        Tx::Withdraw(w) => vec![w.from],
        Tx::Deposit(d) => vec![d.to],
        Tx::Noop => vec![],
    }
}

/// Decodes and validates a DA payload for a batch of `batch_size` slots.
pub fn decode(bytes: &[u8], batch_size: usize) -> Result<DaBatch, DaError> {
    if batch_size == 0 {
        return Err(DaError::ZeroBatchSize);
    }
    if bytes.len() < HEADER_BYTES || !(bytes.len() - HEADER_BYTES).is_multiple_of(RECORD_BYTES) {
        return Err(DaError::BadLength(bytes.len()));
    }
    let n = (bytes.len() - HEADER_BYTES) / RECORD_BYTES;
    if n > batch_size {
        return Err(DaError::TooManyRecords {
            records: n,
            batch_size,
        });
    }
    let operator = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]);
    let mut records = Vec::with_capacity(batch_size);
    for (i, chunk) in bytes[HEADER_BYTES..].chunks_exact(RECORD_BYTES).enumerate() {
        let mut b = [0u8; RECORD_BYTES];
        b.copy_from_slice(chunk);
        records.push(DaRecord::from_bytes(&b, i)?);
    }
    records.resize(batch_size, DaRecord::Noop);
    Ok(DaBatch { operator, records })
}

/// Number of records the DA hash absorbs for a batch size (a multiple of 8).
pub fn padded_records(batch_size: usize) -> usize {
    batch_size.div_ceil(RECORDS_PER_CHUNK) * RECORDS_PER_CHUNK
}

/// DA hash of a decoded batch (see the module docs).
pub fn hash_records(operator: u32, records: &[DaRecord]) -> Fr {
    let two96 = Fr::from(1u128 << 96);
    let mut vals: Vec<Fr> = records.iter().map(DaRecord::to_fr).collect();
    vals.resize(padded_records(records.len().max(1)), Fr::zero());
    let mut h = Fr::from(operator as u64);
    for c in vals.chunks_exact(RECORDS_PER_CHUNK) {
        h = poseidon_tagged(
            DA_TAG,
            &[
                h,
                c[0] * two96 + c[1],
                c[2] * two96 + c[3],
                c[4] * two96 + c[5],
                c[6] * two96 + c[7],
            ],
        );
    }
    h
}

/// DA hash of a posted payload; what the bridge recomputes.
pub fn hash(bytes: &[u8], batch_size: usize) -> Result<Fr, DaError> {
    let b = decode(bytes, batch_size)?;
    Ok(hash_records(b.operator, &b.records))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eddsa::Signature;
    use crate::tx::{Deposit, Transfer, Withdraw};

    #[test]
    fn roundtrip_and_size() {
        let amount = Amount40::from_value(123_000_000).unwrap();
        let txs = vec![
            Tx::Deposit(Deposit {
                to: 4,
                new_account: None,
                amount: 9,
            }),
            Tx::Transfer(Transfer {
                from: 1,
                to: 0xABCDEF,
                amount,
                fee: Fee8(0x21),
                nonce: 0,
                signature: Signature::empty(),
            }),
            Tx::Withdraw(Withdraw {
                from: 2,
                amount,
                fee: Fee8(3),
                nonce: 0,
                recipient: [7; 32],
                signature: Signature::empty(),
            }),
            Tx::Noop,
            Tx::Noop,
        ];
        let bytes = encode(77, &txs).unwrap();
        assert_eq!(bytes.len(), HEADER_BYTES + 3 * RECORD_BYTES);
        let d = decode(&bytes, 8).unwrap();
        assert_eq!(d.operator, 77);
        assert_eq!(d.records.len(), 8);
        for (r, t) in d.records.iter().zip(txs.iter()) {
            assert_eq!(*r, DaRecord::of_tx(t));
        }
        assert_eq!(d.records[7], DaRecord::Noop);
        assert!(decode(&bytes, 2).is_err());
        assert!(decode(&bytes[..bytes.len() - 1], 8).is_err());
        // Padding explicit no-ops gives the same hash.
        let mut padded = bytes.clone();
        padded.extend_from_slice(&[0u8; 24]);
        assert_eq!(hash(&bytes, 8).unwrap(), hash(&padded, 8).unwrap());
        assert_ne!(hash(&bytes, 8).unwrap(), hash(&bytes, 12).unwrap());
        assert_eq!(padded_records(8), 8);
        assert_eq!(padded_records(9), 16);
    }

    #[test]
    fn rejects_ambiguous_records() {
        let mut b = [0u8; 12];
        b[0..3].copy_from_slice(&[0xff; 3]);
        b[3..6].copy_from_slice(&[0xff; 3]);
        assert!(DaRecord::from_bytes(&b, 0).is_err());
        let mut dep_with_amount = [0u8; 12];
        dep_with_amount[0..3].copy_from_slice(&[0xff; 3]);
        dep_with_amount[10] = 1;
        assert!(DaRecord::from_bytes(&dep_with_amount, 0).is_err());
        let mut self_transfer = [0u8; 12];
        self_transfer[2] = 5;
        self_transfer[5] = 5;
        assert!(DaRecord::from_bytes(&self_transfer, 0).is_err());
    }
}
