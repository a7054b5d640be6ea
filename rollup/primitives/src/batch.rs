//! Native batch execution and the batch commitment (the circuit's single public input).
//!
//! [`execute_batch`] applies a batch to the account tree exactly as the circuit checks it and
//! records everything the prover needs ([`BatchTrace`]). On any error the tree is left as it
//! was. The sequencer calls it to build batches; the prover consumes the trace.
//!
//! Public input: `Poseidon(chain_id + instance·2^32, batch_number, old_root, new_root,
//! deposits_hash, withdrawals_hash, da_hash)`; see [`batch_commitment`]. The circuit takes
//! `chain_id` and `instance` from the same witnesses it packs into every signed message, so a
//! proof for one rollup instance cannot carry a signature made for another.
//!
//! * `deposits_hash`: `h₀ = 0`, `h ← Poseidon_D(h, to + 2^24·is_new, amount, pk.x, pk.y)`
//!   over the deposits the batch consumes, in queue order (`pk = (0, 0)` when crediting an
//!   existing account).
//! * `withdrawals_hash`: `h₀ = 0`, `h ← Poseidon_W(h, from, amount, recipient_hi,
//!   recipient_lo)` over the withdrawals in slot order (`amount` is the decoded value).
//!
//! `Poseidon_D` and `Poseidon_W` are Poseidon(5) with the capacity element set to
//! [`DEPOSITS_TAG`] and [`WITHDRAWALS_TAG`] instead of circomlib's 0 (the EdDSA challenge keeps
//! 0, the DA chain has its own tag; see [`crate::poseidon`]). Every step is tagged, not only
//! the first: a chain value can then never be read as a step of another chain or as a
//! signature challenge, whatever the inputs.
//! * `da_hash`: see [`crate::da`].
//!
//! Fees: each transfer and withdrawal pays `fee` on top of `amount`. Fees are summed over the
//! batch and credited once, after the last slot, to the operator's account (named in the DA
//! header). Crediting once per batch instead of once per slot saves two Merkle updates per slot.

use ark_ff::Zero;
use serde::{Deserialize, Serialize};

use crate::da::{self, DaError, DaRecord};
use crate::eddsa::{PublicKey, SignatureError};
use crate::field::{split_bytes32, Fr};
use crate::float::FloatError;
use crate::poseidon::{poseidon, poseidon_tagged, DEPOSITS_TAG, WITHDRAWALS_TAG};
use crate::tree::{check_index, Account, AccountTree, MerkleProof, TreeError};
use crate::tx::{Deposit, Tx, MAX_NONCE};

/// What identifies a batch besides its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchHeader {
    /// The EchoNet chain this rollup settles on (signed by every user).
    pub chain_id: u32,
    /// The rollup instance on that chain (set by the bridge instance, signed by every user),
    /// so that two rollups on one chain do not accept each other's signatures.
    pub instance: u64,
    /// Sequence number of this batch on L1.
    pub batch_number: u64,
    /// Account index that receives the batch's fees.
    pub operator: u32,
}

/// Why a batch could not be executed. Slot numbers are 0-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// More transactions than the circuit (keyed for `batch_size`) has slots.
    #[error("batch has {txs} transactions but only {batch_size} slots")]
    TooManyTxs {
        /// Transactions given.
        txs: usize,
        /// Slots in the batch.
        batch_size: usize,
    },
    /// A batch needs at least one slot (the operator's fee credit follows the last).
    #[error("batch size must be at least 1")]
    ZeroBatchSize,
    /// A transaction names an index outside the tree or the reserved index.
    #[error("slot {slot}: {source}")]
    Index {
        /// The failing slot.
        slot: usize,
        /// What was wrong with the index.
        source: TreeError,
    },
    /// The slot debits or credits an index that holds no account (only a deposit with
    /// `new_account` may target an empty leaf).
    #[error("slot {slot}: account {index} does not exist")]
    NoAccount {
        /// The failing slot.
        slot: usize,
        /// The empty index.
        index: u32,
    },
    /// A deposit that creates an account at an index that already holds one.
    #[error("slot {slot}: account {index} already exists")]
    AccountExists {
        /// The failing slot.
        slot: usize,
        /// The occupied index.
        index: u32,
    },
    /// `from == to`; refused so that DA records cannot be confused (see [`crate::da`]).
    #[error("slot {slot}: self-transfer")]
    SelfTransfer {
        /// The failing slot.
        slot: usize,
    },
    /// The signed nonce is not the account's current one (a replay, or out of order).
    #[error("slot {slot}: nonce {got}, account nonce is {expected}")]
    BadNonce {
        /// The failing slot.
        slot: usize,
        /// The nonce in the transaction.
        got: u64,
        /// The account's nonce.
        expected: u64,
    },
    /// The account has signed [`crate::tx::MAX_NONCE`] transactions and can sign no more.
    #[error("slot {slot}: account nonce exhausted")]
    NonceExhausted {
        /// The failing slot.
        slot: usize,
    },
    /// The sender's signature does not verify.
    #[error("slot {slot}: bad signature: {source}")]
    Signature {
        /// The failing slot.
        slot: usize,
        /// Why it did not verify.
        source: SignatureError,
    },
    /// The amount code decodes to more than `u128::MAX`.
    #[error("slot {slot}: {source}")]
    Amount {
        /// The failing slot.
        slot: usize,
        /// The decoding error.
        source: FloatError,
    },
    /// The sender's balance is below `amount + fee`.
    #[error("slot {slot}: insufficient balance")]
    InsufficientBalance {
        /// The failing slot.
        slot: usize,
    },
    /// Crediting would push the receiver's balance past `u128::MAX`.
    #[error("slot {slot}: balance overflow")]
    BalanceOverflow {
        /// The failing slot.
        slot: usize,
    },
    /// The header's operator index holds no account (or is not a valid index) to receive the
    /// fees after the last slot.
    #[error("operator account {0} does not exist at the end of the batch")]
    NoOperator(u32),
    /// Crediting the batch's fees would push the operator's balance past `u128::MAX`.
    #[error("operator balance overflow")]
    OperatorOverflow,
    /// The batch cannot be DA-encoded (an index does not fit 24 bits).
    #[error(transparent)]
    Da(#[from] DaError),
}

/// The debit side of a slot: the account before and its path under the slot's input root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebitTrace {
    /// The sender's account before the debit.
    pub account: Account,
    /// Its path under the slot's input root.
    pub proof: MerkleProof,
}

/// The credit side: the account before (`None` when a deposit creates it) and its path under
/// the root after the debit side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditTrace {
    /// The receiver's account before the credit; `None` when a deposit creates it.
    pub account: Option<Account>,
    /// Its path under the root after the slot's debit side.
    pub proof: MerkleProof,
}

/// Everything the prover needs about one slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotTrace {
    /// The slot's transaction (a no-op for padding).
    pub tx: Tx,
    /// The sender's side, for transfers and withdrawals.
    pub debit: Option<DebitTrace>,
    /// The receiver's side, for transfers and deposits.
    pub credit: Option<CreditTrace>,
}

/// A withdrawal as the bridge records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalRecord {
    /// The L2 account that paid it.
    pub from: u32,
    /// The decoded amount the bridge releases (fee not included).
    #[serde(with = "crate::serde_fr::u128_dec")]
    pub amount: u128,
    /// The L1 account that receives it.
    pub recipient: [u8; 32],
}

/// The executed batch: witness for the prover and data for L1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchTrace {
    /// Chain, batch number and operator, as given to [`execute_batch`].
    pub header: BatchHeader,
    /// Slots in the batch; the proving key must be for this size.
    pub batch_size: usize,
    /// The state root before the batch.
    #[serde(with = "crate::serde_fr")]
    pub old_root: Fr,
    /// The state root after the batch, operator's fee credit included.
    #[serde(with = "crate::serde_fr")]
    pub new_root: Fr,
    /// Exactly `batch_size` slots.
    pub slots: Vec<SlotTrace>,
    /// Operator account before the fee credit, and its path under the root after the last slot.
    pub operator_account: Account,
    /// See `operator_account`.
    pub operator_proof: MerkleProof,
    /// Sum of the slots' fees, credited to the operator.
    #[serde(with = "crate::serde_fr::u128_dec")]
    pub total_fee: u128,
    /// The deposits consumed from the L1 queue, in order.
    pub deposits: Vec<Deposit>,
    /// The withdrawals for the bridge to pay, in slot order.
    pub withdrawals: Vec<WithdrawalRecord>,
    /// Hash chain of `deposits` ([`deposits_hash`]).
    #[serde(with = "crate::serde_fr")]
    pub deposits_hash: Fr,
    /// Hash chain of `withdrawals` ([`withdrawals_hash`]).
    #[serde(with = "crate::serde_fr")]
    pub withdrawals_hash: Fr,
    /// The DA payload to post.
    pub da: Vec<u8>,
    /// Hash of the DA records ([`crate::da::hash`]).
    #[serde(with = "crate::serde_fr")]
    pub da_hash: Fr,
    /// The public input.
    #[serde(with = "crate::serde_fr")]
    pub commitment: Fr,
}

/// One step of the deposits hash chain.
pub fn deposit_hash_step(h: Fr, d: &Deposit) -> Fr {
    let (is_new, pk) = match &d.new_account {
        Some(pk) => (1u64, pk.0),
        None => (
            0,
            crate::babyjubjub::Point {
                x: Fr::zero(),
                y: Fr::zero(),
            },
        ),
    };
    poseidon_tagged(
        DEPOSITS_TAG,
        &[
            h,
            Fr::from(d.to as u64) + Fr::from(is_new << 24),
            Fr::from(d.amount),
            pk.x,
            pk.y,
        ],
    )
}

/// Hash of the deposits a batch consumes, in queue order.
pub fn deposits_hash(deposits: &[Deposit]) -> Fr {
    deposits.iter().fold(Fr::zero(), deposit_hash_step)
}

/// One step of the withdrawals hash chain.
pub fn withdrawal_hash_step(h: Fr, w: &WithdrawalRecord) -> Fr {
    let (hi, lo) = split_bytes32(&w.recipient);
    poseidon_tagged(
        WITHDRAWALS_TAG,
        &[h, Fr::from(w.from as u64), Fr::from(w.amount), hi, lo],
    )
}

/// Hash of a batch's withdrawals, in slot order.
pub fn withdrawals_hash(withdrawals: &[WithdrawalRecord]) -> Fr {
    withdrawals.iter().fold(Fr::zero(), withdrawal_hash_step)
}

/// The first element of the public input: `chain_id + instance·2^32` (96 bits, one value
/// per pair).
pub fn rollup_id(chain_id: u32, instance: u64) -> Fr {
    Fr::from(chain_id as u64) + Fr::from(instance) * Fr::from(1u64 << 32)
}

/// The public input of a batch proof.
#[allow(clippy::too_many_arguments)]
pub fn batch_commitment(
    chain_id: u32,
    instance: u64,
    batch_number: u64,
    old_root: Fr,
    new_root: Fr,
    deposits_hash: Fr,
    withdrawals_hash: Fr,
    da_hash: Fr,
) -> Fr {
    poseidon(&[
        rollup_id(chain_id, instance),
        Fr::from(batch_number),
        old_root,
        new_root,
        deposits_hash,
        withdrawals_hash,
        da_hash,
    ])
}

/// What the bridge does in `submit_batch`: rebuild the public input from L1 data.
///
/// The deposits are not a list the caller supplies: `deposit_at(i)` returns the `i`-th entry
/// from the head of the bridge's own queue, and exactly as many entries are read as the DA
/// has deposit records (an amount is whatever the queue holds, so no extrinsic can choose
/// it). Each entry must go to the index its DA record names. `withdrawals` must be one per
/// withdrawal record, in order, with the same `from` and amount (the recipient is only in the
/// withdrawal list, bound by the hash).
///
/// Returns the public input and the number of deposits the batch consumes (for the bridge to
/// pop from its queue once the proof has verified).
#[allow(clippy::too_many_arguments)]
pub fn commitment_from_l1_data(
    header: &BatchHeader,
    batch_size: usize,
    old_root: Fr,
    new_root: Fr,
    mut deposit_at: impl FnMut(usize) -> Option<Deposit>,
    withdrawals: &[WithdrawalRecord],
    da_bytes: &[u8],
) -> Result<(Fr, usize), DaError> {
    let decoded = da::decode(da_bytes, batch_size)?;
    let da_deposits: Vec<u32> = decoded
        .records
        .iter()
        .filter_map(|r| match r {
            DaRecord::Deposit { to } => Some(*to),
            _ => None,
        })
        .collect();
    let mut deposits_hash = Fr::zero();
    for (i, to) in da_deposits.iter().enumerate() {
        let d = deposit_at(i).ok_or(DaError::DepositQueueTooShort {
            da: da_deposits.len(),
            queued: i,
        })?;
        if d.to != *to {
            return Err(DaError::DepositMismatch(i));
        }
        deposits_hash = deposit_hash_step(deposits_hash, &d);
    }
    let da_withdrawals: Vec<(u32, crate::float::Amount40)> = decoded
        .records
        .iter()
        .filter_map(|r| match r {
            DaRecord::Withdraw { from, amount, .. } => Some((*from, *amount)),
            _ => None,
        })
        .collect();
    if da_withdrawals.len() != withdrawals.len() {
        return Err(DaError::CountMismatch {
            kind: "withdrawal",
            da: da_withdrawals.len(),
            given: withdrawals.len(),
        });
    }
    for (i, ((from, code), w)) in da_withdrawals.iter().zip(withdrawals).enumerate() {
        if *from != w.from || code.value().ok() != Some(w.amount) {
            return Err(DaError::WithdrawalMismatch(i));
        }
    }
    let commitment = batch_commitment(
        header.chain_id,
        header.instance,
        header.batch_number,
        old_root,
        new_root,
        deposits_hash,
        withdrawals_hash(withdrawals),
        da::hash_records(decoded.operator, &decoded.records),
    );
    Ok((commitment, da_deposits.len()))
}

/// Applies `txs` (padded with no-ops to `batch_size`) to `tree`. On error the tree is unchanged.
pub fn execute_batch(
    tree: &mut AccountTree,
    header: &BatchHeader,
    txs: &[Tx],
    batch_size: usize,
) -> Result<BatchTrace, BatchError> {
    let mut undo: Vec<(u32, Option<Account>)> = Vec::new();
    let result = execute_inner(tree, header, txs, batch_size, &mut undo);
    if result.is_err() {
        for (idx, prev) in undo.into_iter().rev() {
            // Indices in the undo log were accepted by `set` before, so this cannot fail.
            let _ = tree.set(idx, prev);
        }
    }
    result
}

fn set_logged(
    tree: &mut AccountTree,
    undo: &mut Vec<(u32, Option<Account>)>,
    slot: usize,
    index: u32,
    account: Account,
) -> Result<(), BatchError> {
    let prev = tree.get(index).copied();
    tree.set(index, Some(account))
        .map_err(|source| BatchError::Index { slot, source })?;
    undo.push((index, prev));
    Ok(())
}

fn execute_inner(
    tree: &mut AccountTree,
    header: &BatchHeader,
    txs: &[Tx],
    batch_size: usize,
    undo: &mut Vec<(u32, Option<Account>)>,
) -> Result<BatchTrace, BatchError> {
    if batch_size == 0 {
        return Err(BatchError::ZeroBatchSize);
    }
    if txs.len() > batch_size {
        return Err(BatchError::TooManyTxs {
            txs: txs.len(),
            batch_size,
        });
    }
    let mut all: Vec<Tx> = txs.to_vec();
    all.resize(batch_size, Tx::Noop);
    let da_bytes = da::encode(header.operator, &all)?;
    let old_root = tree.root();
    let mut slots = Vec::with_capacity(batch_size);
    let mut total_fee: u128 = 0;
    let mut deposits = Vec::new();
    let mut withdrawals = Vec::new();

    for (slot, tx) in all.iter().enumerate() {
        let idx_err = |source| BatchError::Index { slot, source };
        let trace = match tx {
            Tx::Noop => SlotTrace {
                tx: tx.clone(),
                debit: None,
                credit: None,
            },
            Tx::Transfer(t) => {
                check_index(t.from).map_err(idx_err)?;
                check_index(t.to).map_err(idx_err)?;
                if t.from == t.to {
                    return Err(BatchError::SelfTransfer { slot });
                }
                let amount = t
                    .amount
                    .value()
                    .map_err(|source| BatchError::Amount { slot, source })?;
                let fee = t.fee.value();
                let (debit, _) = debit(
                    tree,
                    undo,
                    slot,
                    t.from,
                    t.nonce,
                    amount,
                    fee,
                    &t.message(header.chain_id, header.instance),
                    &t.signature,
                )?;
                let credit = credit_existing(tree, undo, slot, t.to, amount)?;
                total_fee += fee;
                SlotTrace {
                    tx: tx.clone(),
                    debit: Some(debit),
                    credit: Some(credit),
                }
            }
            Tx::Withdraw(w) => {
                check_index(w.from).map_err(idx_err)?;
                let amount = w
                    .amount
                    .value()
                    .map_err(|source| BatchError::Amount { slot, source })?;
                let fee = w.fee.value();
                let (debit, _) = debit(
                    tree,
                    undo,
                    slot,
                    w.from,
                    w.nonce,
                    amount,
                    fee,
                    &w.message(header.chain_id, header.instance),
                    &w.signature,
                )?;
                total_fee += fee;
                withdrawals.push(WithdrawalRecord {
                    from: w.from,
                    amount,
                    recipient: w.recipient,
                });
                SlotTrace {
                    tx: tx.clone(),
                    debit: Some(debit),
                    credit: None,
                }
            }
            Tx::Deposit(d) => {
                check_index(d.to).map_err(idx_err)?;
                let credit = match &d.new_account {
                    None => credit_existing(tree, undo, slot, d.to, d.amount)?,
                    Some(pk) => create_account(tree, undo, slot, d.to, *pk, d.amount)?,
                };
                deposits.push(d.clone());
                SlotTrace {
                    tx: tx.clone(),
                    debit: None,
                    credit: Some(credit),
                }
            }
        };
        slots.push(trace);
    }

    // Fees go to the operator once, after the last slot.
    check_index(header.operator).map_err(|_| BatchError::NoOperator(header.operator))?;
    let operator_account = *tree
        .get(header.operator)
        .ok_or(BatchError::NoOperator(header.operator))?;
    let operator_proof = tree
        .proof(header.operator)
        .map_err(|_| BatchError::NoOperator(header.operator))?;
    let mut op = operator_account;
    op.balance = op
        .balance
        .checked_add(total_fee)
        .ok_or(BatchError::OperatorOverflow)?;
    set_logged(tree, undo, batch_size, header.operator, op)?;

    let new_root = tree.root();
    let records: Vec<DaRecord> = all.iter().map(DaRecord::of_tx).collect();
    let da_hash = da::hash_records(header.operator, &records);
    let dh = deposits_hash(&deposits);
    let wh = withdrawals_hash(&withdrawals);
    let commitment = batch_commitment(
        header.chain_id,
        header.instance,
        header.batch_number,
        old_root,
        new_root,
        dh,
        wh,
        da_hash,
    );
    Ok(BatchTrace {
        header: *header,
        batch_size,
        old_root,
        new_root,
        slots,
        operator_account,
        operator_proof,
        total_fee,
        deposits,
        withdrawals,
        deposits_hash: dh,
        withdrawals_hash: wh,
        da: da_bytes,
        da_hash,
        commitment,
    })
}

#[allow(clippy::too_many_arguments)]
fn debit(
    tree: &mut AccountTree,
    undo: &mut Vec<(u32, Option<Account>)>,
    slot: usize,
    from: u32,
    nonce: u64,
    amount: u128,
    fee: u128,
    msg: &Fr,
    sig: &crate::eddsa::Signature,
) -> Result<(DebitTrace, Account), BatchError> {
    let account = *tree
        .get(from)
        .ok_or(BatchError::NoAccount { slot, index: from })?;
    if account.nonce > MAX_NONCE {
        return Err(BatchError::NonceExhausted { slot });
    }
    if nonce != account.nonce {
        return Err(BatchError::BadNonce {
            slot,
            got: nonce,
            expected: account.nonce,
        });
    }
    account
        .pubkey
        .verify(msg, sig)
        .map_err(|source| BatchError::Signature { slot, source })?;
    let cost = amount
        .checked_add(fee)
        .ok_or(BatchError::InsufficientBalance { slot })?;
    let balance = account
        .balance
        .checked_sub(cost)
        .ok_or(BatchError::InsufficientBalance { slot })?;
    let proof = tree
        .proof(from)
        .map_err(|source| BatchError::Index { slot, source })?;
    let updated = Account {
        pubkey: account.pubkey,
        balance,
        nonce: account.nonce + 1,
    };
    set_logged(tree, undo, slot, from, updated)?;
    Ok((DebitTrace { account, proof }, updated))
}

fn credit_existing(
    tree: &mut AccountTree,
    undo: &mut Vec<(u32, Option<Account>)>,
    slot: usize,
    to: u32,
    amount: u128,
) -> Result<CreditTrace, BatchError> {
    let account = *tree
        .get(to)
        .ok_or(BatchError::NoAccount { slot, index: to })?;
    let balance = account
        .balance
        .checked_add(amount)
        .ok_or(BatchError::BalanceOverflow { slot })?;
    let proof = tree
        .proof(to)
        .map_err(|source| BatchError::Index { slot, source })?;
    set_logged(tree, undo, slot, to, Account { balance, ..account })?;
    Ok(CreditTrace {
        account: Some(account),
        proof,
    })
}

fn create_account(
    tree: &mut AccountTree,
    undo: &mut Vec<(u32, Option<Account>)>,
    slot: usize,
    to: u32,
    pubkey: PublicKey,
    amount: u128,
) -> Result<CreditTrace, BatchError> {
    if tree.get(to).is_some() {
        return Err(BatchError::AccountExists { slot, index: to });
    }
    let proof = tree
        .proof(to)
        .map_err(|source| BatchError::Index { slot, source })?;
    set_logged(
        tree,
        undo,
        slot,
        to,
        Account {
            pubkey,
            balance: amount,
            nonce: 0,
        },
    )?;
    Ok(CreditTrace {
        account: None,
        proof,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eddsa::PrivateKey;
    use crate::float::{Amount40, Fee8};
    use crate::tx::{Transfer, Withdraw};

    #[test]
    fn executes_mixed_batch_and_rolls_back_on_error() {
        let k: Vec<PrivateKey> = (1..=3u8).map(|i| PrivateKey([i; 32])).collect();
        let mut tree = AccountTree::new();
        let header = BatchHeader {
            chain_id: 42,
            instance: 5,
            batch_number: 1,
            operator: 0,
        };
        let deps: Vec<Tx> = (0..3)
            .map(|i| {
                Tx::Deposit(Deposit {
                    to: i,
                    new_account: Some(k[i as usize].public()),
                    amount: 1_000,
                })
            })
            .collect();
        let t1 = execute_batch(&mut tree, &header, &deps, 4).unwrap();
        assert_eq!(t1.old_root, crate::tree::empty_subtree_roots()[24]);
        assert_eq!(t1.new_root, tree.root());
        assert_eq!(tree.get(1).unwrap().balance, 1_000);

        let h2 = BatchHeader {
            batch_number: 2,
            ..header
        };
        let a = Amount40::from_value(100).unwrap();
        let f = Fee8::from_value(2).unwrap();
        let txs = vec![
            Tx::Transfer(Transfer::signed(&k[1], 42, 5, 1, 2, a, f, 0)),
            Tx::Withdraw(Withdraw::signed(&k[2], 42, 5, 2, a, f, 0, [9; 32])),
            Tx::Deposit(Deposit {
                to: 1,
                new_account: None,
                amount: 5,
            }),
        ];
        let root_before = tree.root();
        // A bad batch (replayed transfer) leaves the tree untouched.
        let mut bad = txs.clone();
        bad.push(txs[0].clone());
        assert!(matches!(
            execute_batch(&mut tree, &h2, &bad, 4),
            Err(BatchError::BadNonce { slot: 3, .. })
        ));
        assert_eq!(tree.root(), root_before);

        let t2 = execute_batch(&mut tree, &h2, &txs, 4).unwrap();
        assert_eq!(tree.get(1).unwrap().balance, 1_000 - 102 + 5);
        assert_eq!(tree.get(2).unwrap().balance, 1_000 + 100 - 102);
        assert_eq!(tree.get(0).unwrap().balance, 1_000 + 4);
        assert_eq!(t2.total_fee, 4);
        assert_eq!(t2.withdrawals.len(), 1);
        // The bridge's recomputation from the head of its queue agrees, and reads exactly
        // the deposits the DA records (the queue may hold more).
        let l1 = |queue: &[Deposit], wds: &[WithdrawalRecord]| {
            commitment_from_l1_data(
                &h2,
                4,
                t2.old_root,
                t2.new_root,
                |i| queue.get(i).cloned(),
                wds,
                &t2.da,
            )
        };
        let mut queue = t2.deposits.clone();
        queue.push(Deposit {
            to: 2,
            new_account: None,
            amount: 1,
        });
        assert_eq!(l1(&queue, &t2.withdrawals), Ok((t2.commitment, 1)));
        // Inconsistent L1 data is refused before hashing.
        assert_eq!(
            l1(&[], &t2.withdrawals),
            Err(DaError::DepositQueueTooShort { da: 1, queued: 0 })
        );
        assert_eq!(
            l1(&queue[1..], &t2.withdrawals),
            Err(DaError::DepositMismatch(0))
        );
        assert!(matches!(
            l1(&t2.deposits, &[]),
            Err(DaError::CountMismatch { .. })
        ));
        let mut wrong = t2.withdrawals.clone();
        wrong[0].amount += 1;
        assert!(matches!(
            l1(&t2.deposits, &wrong),
            Err(DaError::WithdrawalMismatch(0))
        ));
        // Traces go through JSON between sequencer and prover.
        let json = serde_json::to_string(&t2).unwrap();
        assert_eq!(serde_json::from_str::<BatchTrace>(&json).unwrap(), t2);
        // Same transfer signed for another chain is rejected.
        let other_chain = Tx::Transfer(Transfer::signed(&k[1], 43, 5, 1, 2, a, f, 1));
        assert!(matches!(
            execute_batch(&mut tree, &h2, &[other_chain], 4),
            Err(BatchError::Signature { .. })
        ));
        // ... and so is one signed for another rollup instance on the same chain.
        let other_instance = Tx::Transfer(Transfer::signed(&k[1], 42, 6, 1, 2, a, f, 1));
        let root = tree.root();
        assert!(matches!(
            execute_batch(&mut tree, &h2, &[other_instance], 4),
            Err(BatchError::Signature { slot: 0, .. })
        ));
        assert_eq!(tree.root(), root);
        let h6 = BatchHeader { instance: 6, ..h2 };
        let other_instance = Tx::Withdraw(Withdraw::signed(&k[1], 42, 5, 1, a, f, 1, [9; 32]));
        assert!(matches!(
            execute_batch(&mut tree, &h6, &[other_instance], 4),
            Err(BatchError::Signature { slot: 0, .. })
        ));
        // The public input binds the instance.
        assert_ne!(
            batch_commitment(42, 5, 1, root, root, root, root, root),
            batch_commitment(42, 6, 1, root, root, root, root, root)
        );
        assert_eq!(rollup_id(42, 5), Fr::from(42u64 + (5u64 << 32)));
    }
}
