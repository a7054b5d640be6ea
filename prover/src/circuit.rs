//! The batch circuit: a fixed number of slots, each proving one transfer, deposit, withdrawal
//! or no-op, then the operator's fee credit, then the public input.
//!
//! ## Slot layout
//!
//! Every slot has the same constraints, switched by one-hot type flags `t` (transfer),
//! `d` (deposit), `w` (withdraw) derived from the two bits of the type code (no-op is 0).
//! `debit = t + w`, `credit = t + d`.
//!
//! 1. **Type**: two bits `b0, b1`; `w = b0·b1`, `t = b0 − w`, `d = b1 − w`.
//! 2. **Indices**: `from` and `to` as 24 booleans each. They are the Merkle direction bits,
//!    the DA record's index fields and part of the signed message, so one set of bits binds
//!    all three.
//! 3. **Amounts**: the 40-bit amount code (35-bit mantissa, 5-bit exponent) and 8-bit fee code
//!    are allocated as bits and decoded in-circuit (`m·10^e`).
//! 4. **Debit** (sender at `from`): old leaf `H(pk, bal, nonce)` must be on the path to the
//!    running root if `debit`; new leaf `H(pk, bal − amount − fee, nonce + 1)` with the new
//!    balance range-checked to 128 bits (no underflow); the running root becomes the new root
//!    if `debit`, else stays. The sender's nonce is range-checked to 40 bits (41 constraints),
//!    the native rule: every leaf's nonce starts at 0 and grows by one per signature, so this
//!    only matters for a leaf that did not come from the empty genesis tree, but then native
//!    execution and the circuit still agree, and the nonce cannot reach the message word's
//!    higher fields.
//! 5. **Signature** (if `debit`): EdDSA-Poseidon by the sender's `pk` over
//!    `M = H(e, rec_hi·w, rec_lo·w)`, `e` packing chain id, type, `from`, `to·t`, amount code,
//!    fee code, nonce and rollup instance (see `echonet_rollup_primitives::tx`).
//! 6. **Credit** (receiver at `to`, from the root after the debit): old leaf `H(pk, bal,
//!    nonce)`, or 0 when a deposit creates the account (`create ⇒ d`, balance and nonce 0);
//!    new leaf with `bal + t·amount + d·deposit_amount`, range-checked to 128 bits (no
//!    overflow). The deposit amount itself is range-checked to 128 bits, so the circuit alone
//!    rules out a "negative" amount `p − X` that would debit the account by `X`.
//!    `to ≠ 2^24−1` when crediting, and `from ≠ to` for transfers.
//! 7. **Fee**: `debit·fee` is added to the batch's fee total.
//! 8. **Deposit/withdrawal hashes**: one `Poseidon(h, a, b, c, d)` per slot, fed with the
//!    deposit hash chain and the deposit's fields when `d`, or the withdrawal chain and the
//!    withdrawal's fields when `w`; the matching chain advances. Its capacity element is the
//!    chain's domain tag, `d·DEPOSITS_TAG + w·WITHDRAWALS_TAG` (3 constraints for the
//!    variable S-box); the DA chain's tag is a constant (free).
//! 9. **DA record**: `(d ? 0xFFFFFF : debit·from, w ? 0xFFFFFF : credit·to, debit·amount_code,
//!    debit·fee_code)` as a 96-bit integer, so no-op slots publish zeros.
//!
//! A no-op slot has all enables 0: both roots are kept, no chain moves, no fee is added and its
//! DA record is 0, whatever its other witnesses are.
//!
//! ## After the slots
//!
//! The operator's account (index in the DA header) gets the fee total: membership under the
//! running root, new balance range-checked, new root. Then the DA hash over the records, and
//! the public input `Poseidon(chain_id + instance·2^32, batch_number, old_root, new_root,
//! deposits_hash, withdrawals_hash, da_hash)` is enforced equal to the single public input.
//! `chain_id` (32 bits) and `instance` (64 bits, 65 constraints) are range-checked witnesses
//! used both there and in every signed message, so the proof binds the instance users signed.
//!
//! ## Named rules
//!
//! Every constraint is in a namespace (`ns!`), so a test can assert which rule a witness
//! breaks (names appear under arkworks' `ConstraintLayer`, see [`crate::check_witness`]).
//! Namespaces add no constraint. Top level: `chain_id_range`, `instance_range`, one `slot`
//! per slot, then `operator_index`, `operator_balance_range`, `operator_leaves`,
//! `operator_in_tree`, `operator_update`, `da_hash`, `public_input`. In a slot, in order:
//! `tx_type`, `indices`, `amount_decode`, `fee_decode`, `nonce_range`,
//! `sender_balance_range`, `sender_leaves`, `sender_in_tree`, `sender_update`,
//! `signed_message`, `signature` (with the EdDSA rules of [`crate::gadgets::eddsa`]),
//! `create_flag`, `create_only_by_deposit`, `created_balance_zero`, `created_nonce_zero`,
//! `deposit_amount_range`, `receiver_credit`, `receiver_balance_range`, `receiver_leaves`,
//! `receiver_in_tree`, `receiver_update`, `receiver_not_reserved`, `no_self_transfer`,
//! `fee_total`, `l1_chains`, `da_record`. Steps 1, 8 and 9 are the functions of
//! [`crate::gadgets::slot`], tested against their native twins.

use ark_ff::{Field, Zero};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::{
    gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError},
    ns,
};
use echonet_rollup_primitives::{
    babyjubjub::Point,
    batch::BatchTrace,
    da::RECORDS_PER_CHUNK,
    field::split_bytes32,
    float::{AMOUNT_EXPONENT_BITS, AMOUNT_MANTISSA_BITS, FEE_EXPONENT_BITS, FEE_MANTISSA_BITS},
    poseidon::DA_TAG,
    tree::{Account, MerkleProof, RESERVED_INDEX, TREE_DEPTH},
    tx::{tx_type, Tx, NONCE_BITS},
    AccountTree, BatchHeader,
};

use crate::gadgets::{
    babyjubjub::PointVar,
    eddsa,
    lc::{bool_to_fv, lincomb, pack_bits, witness_from},
    merkle::root_from_path,
    poseidon::{first_round_sbox, poseidon, poseidon_tagged, poseidon_with_first_sboxes},
    range::{alloc_bits, range_check},
    slot::{advance, da_record, l1_chain_step, ChainInputs, TypeFlags},
    Fv, F,
};

/// Balances are `u128`.
pub const BALANCE_BITS: usize = 128;
/// Deposit amounts are `u128` (the L1 balance type), range-checked in every slot.
pub const DEPOSIT_AMOUNT_BITS: usize = 128;

/// An account as the circuit sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountWitness {
    /// The account's public key.
    pub pk: Point,
    /// The balance, as a field element (the circuit range-checks new balances).
    pub balance: F,
    /// The nonce, as a field element.
    pub nonce: F,
}

impl AccountWitness {
    /// Placeholder for unused sides of a slot: the identity key (on the curve), zeros.
    pub fn dummy() -> Self {
        AccountWitness {
            pk: Point::IDENTITY,
            balance: F::zero(),
            nonce: F::zero(),
        }
    }

    fn of(a: &Account) -> Self {
        AccountWitness {
            pk: a.pubkey.0,
            balance: F::from(a.balance),
            nonce: F::from(a.nonce),
        }
    }
}

/// All witness values of one slot. Tests corrupt single fields of an honest witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotWitness {
    /// Type code (`tx_type`): 0 no-op, 1 transfer, 2 deposit, 3 withdraw.
    pub ty: u64,
    /// Sender's index (transfers, withdrawals; 0 otherwise).
    pub from: u32,
    /// Receiver's index (transfers, deposits; 0 otherwise).
    pub to: u32,
    /// 40-bit amount code (transfers, withdrawals).
    pub amount_code: u64,
    /// 8-bit fee code (transfers, withdrawals).
    pub fee_code: u8,
    /// A deposit's amount, a full `u128` from the L1 queue.
    pub deposit_amount: F,
    /// The deposit creates the account at `to` (its old leaf must be 0).
    pub create: bool,
    /// High half of a withdrawal's L1 recipient (0 otherwise).
    pub recipient_hi: F,
    /// Low half of a withdrawal's L1 recipient (0 otherwise).
    pub recipient_lo: F,
    /// Signature commitment `R8` (identity when there is no signature).
    pub r8: Point,
    /// Signature response `S`.
    pub s: F,
    /// Sender's account before the debit.
    pub sender: AccountWitness,
    /// Sender's Merkle path under the slot's input root.
    pub sender_path: [F; TREE_DEPTH],
    /// Receiver's account before the credit (for a created account: its key, zeros).
    pub receiver: AccountWitness,
    /// Receiver's Merkle path under the root after the debit.
    pub receiver_path: [F; TREE_DEPTH],
}

impl SlotWitness {
    /// A no-op slot.
    pub fn noop() -> Self {
        SlotWitness {
            ty: tx_type::NOOP,
            from: 0,
            to: 0,
            amount_code: 0,
            fee_code: 0,
            deposit_amount: F::zero(),
            create: false,
            recipient_hi: F::zero(),
            recipient_lo: F::zero(),
            r8: Point::IDENTITY,
            s: F::zero(),
            sender: AccountWitness::dummy(),
            sender_path: [F::zero(); TREE_DEPTH],
            receiver: AccountWitness::dummy(),
            receiver_path: [F::zero(); TREE_DEPTH],
        }
    }
}

/// Witness of a whole batch, plus its public input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchWitness {
    /// The chain users signed for; also part of the public input.
    pub chain_id: F,
    /// The rollup instance users signed for; also part of the public input.
    pub instance: F,
    /// The batch's sequence number on L1.
    pub batch_number: F,
    /// The state root before the batch.
    pub old_root: F,
    /// Index of the fee-receiving account (the DA header).
    pub operator: u32,
    /// The operator's account before the fee credit.
    pub operator_account: AccountWitness,
    /// Its Merkle path under the root after the last slot.
    pub operator_path: [F; TREE_DEPTH],
    /// One witness per slot, `batch_size` of them.
    pub slots: Vec<SlotWitness>,
    /// The public input the proof is for.
    pub commitment: F,
}

/// Why a trace could not be turned into a witness.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// The trace's slot list disagrees with its own batch size.
    #[error("trace has {slots} slots, the circuit has {batch_size}")]
    WrongSize {
        /// Slots in the trace.
        slots: usize,
        /// The trace's batch size.
        batch_size: usize,
    },
    /// Slot `n` lacks the debit or credit side its transaction type needs.
    #[error("slot {0}: trace is missing the account data for this transaction type")]
    Incomplete(usize),
    /// Slot `n`'s signature has `S >= p`, which no field element can carry (and which is
    /// never a valid signature).
    #[error("slot {0}: signature S is not below the field modulus")]
    BadS(usize),
}

impl BatchWitness {
    /// Builds the witness from a native execution trace.
    pub fn from_trace(trace: &BatchTrace) -> Result<Self, WitnessError> {
        if trace.slots.len() != trace.batch_size {
            return Err(WitnessError::WrongSize {
                slots: trace.slots.len(),
                batch_size: trace.batch_size,
            });
        }
        let mut slots = Vec::with_capacity(trace.batch_size);
        for (i, st) in trace.slots.iter().enumerate() {
            let mut w = SlotWitness::noop();
            let debit = |w: &mut SlotWitness| -> Result<(), WitnessError> {
                let d = st.debit.as_ref().ok_or(WitnessError::Incomplete(i))?;
                w.sender = AccountWitness::of(&d.account);
                w.sender_path = d.proof.siblings;
                Ok(())
            };
            let credit = |w: &mut SlotWitness| -> Result<(), WitnessError> {
                let c = st.credit.as_ref().ok_or(WitnessError::Incomplete(i))?;
                if let Some(a) = &c.account {
                    w.receiver = AccountWitness::of(a);
                }
                w.receiver_path = c.proof.siblings;
                Ok(())
            };
            match &st.tx {
                Tx::Noop => {}
                Tx::Transfer(t) => {
                    w.ty = tx_type::TRANSFER;
                    w.from = t.from;
                    w.to = t.to;
                    w.amount_code = t.amount.code();
                    w.fee_code = t.fee.code();
                    w.r8 = t.signature.r8;
                    w.s = eddsa::s_to_field(&t.signature.s).ok_or(WitnessError::BadS(i))?;
                    debit(&mut w)?;
                    credit(&mut w)?;
                }
                Tx::Withdraw(x) => {
                    w.ty = tx_type::WITHDRAW;
                    w.from = x.from;
                    w.amount_code = x.amount.code();
                    w.fee_code = x.fee.code();
                    let (hi, lo) = split_bytes32(&x.recipient);
                    w.recipient_hi = hi;
                    w.recipient_lo = lo;
                    w.r8 = x.signature.r8;
                    w.s = eddsa::s_to_field(&x.signature.s).ok_or(WitnessError::BadS(i))?;
                    debit(&mut w)?;
                }
                Tx::Deposit(d) => {
                    w.ty = tx_type::DEPOSIT;
                    w.to = d.to;
                    w.deposit_amount = F::from(d.amount);
                    credit(&mut w)?;
                    if let Some(pk) = &d.new_account {
                        w.create = true;
                        w.receiver = AccountWitness {
                            pk: pk.0,
                            balance: F::zero(),
                            nonce: F::zero(),
                        };
                    }
                }
            }
            slots.push(w);
        }
        Ok(BatchWitness {
            chain_id: F::from(trace.header.chain_id as u64),
            instance: F::from(trace.header.instance),
            batch_number: F::from(trace.header.batch_number),
            old_root: trace.old_root,
            operator: trace.header.operator,
            operator_account: AccountWitness::of(&trace.operator_account),
            operator_path: trace.operator_proof.siblings,
            slots,
            commitment: trace.commitment,
        })
    }

    /// A witness of the right shape with arbitrary values, for key generation.
    pub fn blank(batch_size: usize) -> Self {
        BatchWitness {
            chain_id: F::zero(),
            instance: F::zero(),
            batch_number: F::zero(),
            old_root: F::zero(),
            operator: 0,
            operator_account: AccountWitness::dummy(),
            operator_path: [F::zero(); TREE_DEPTH],
            slots: vec![SlotWitness::noop(); batch_size],
            commitment: F::zero(),
        }
    }
}

/// The batch circuit (a `ConstraintSynthesizer`).
#[derive(Debug, Clone)]
pub struct BatchCircuit {
    /// The values to synthesize with (a blank witness for key generation).
    pub witness: BatchWitness,
}

/// Constraint counts of a synthesized circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ConstraintProfile {
    /// The batch size counted.
    pub batch_size: usize,
    /// All constraints of the circuit for that size.
    pub total: usize,
    /// Constraints of one slot (all slots are identical).
    pub per_slot: usize,
    /// Everything else: fee credit, DA hash, public input.
    pub fixed: usize,
}

fn fv(cs: &ConstraintSystemRef<F>, v: F) -> Result<Fv, SynthesisError> {
    FpVar::new_witness(cs.clone(), || Ok(v))
}

fn fvs(cs: &ConstraintSystemRef<F>, v: &[F]) -> Result<Vec<Fv>, SynthesisError> {
    v.iter().map(|x| fv(cs, *x)).collect()
}

fn one() -> F {
    F::from(1u64)
}

fn pow2(k: u64) -> F {
    F::from(2u64).pow([k])
}

/// `Π (1 + bᵢ·(10^(2^i) − 1))` = 10^e for the bits of `e` (`len − 1` constraints).
fn pow10(bits: &[Boolean<F>]) -> Result<Fv, SynthesisError> {
    let mut acc: Option<Fv> = None;
    for (i, b) in bits.iter().enumerate() {
        let k = F::from(10u64).pow([1u64 << i]);
        let factor = lincomb(&[(k - one(), &bool_to_fv(b))], one())?;
        acc = Some(match acc {
            None => factor,
            Some(a) => a * factor,
        });
    }
    Ok(acc.unwrap_or(FpVar::Constant(one())))
}

/// Enforces `a ≠ b` when `enabled = 1` (1 constraint: `(a − b)·inv = enabled`).
fn enforce_not_equal_if(
    cs: &ConstraintSystemRef<F>,
    a: &Fv,
    b: &Fv,
    enabled: &Fv,
) -> Result<(), SynthesisError> {
    let diff = lincomb(&[(one(), a), (-one(), b)], F::zero())?;
    let inv = witness_from(cs, || {
        let d = diff.value().ok()?;
        let e = enabled.value().ok()?;
        Some(if e.is_zero() {
            F::zero()
        } else {
            d.inverse().unwrap_or(F::zero())
        })
    })?;
    diff.mul_equals(&inv, enabled)
}

struct AccountVar {
    pk: PointVar,
    balance: Fv,
    nonce: Fv,
}

impl AccountVar {
    fn alloc(cs: &ConstraintSystemRef<F>, a: &AccountWitness) -> Result<Self, SynthesisError> {
        Ok(AccountVar {
            pk: PointVar::new_witness(cs.clone(), || Ok(a.pk))?,
            balance: fv(cs, a.balance)?,
            nonce: fv(cs, a.nonce)?,
        })
    }
}

/// Leaves `H(pk, balance, nonce)` before and after an update of the same account; the
/// first-round S-boxes of `pk.x` and `pk.y` are computed once for both (saves 6 constraints).
fn leaf_pair(
    pk: &PointVar,
    before: (&Fv, &Fv),
    after: (&Fv, &Fv),
) -> Result<(Fv, Fv), SynthesisError> {
    let sx = first_round_sbox(4, 0, &pk.x)?;
    let sy = first_round_sbox(4, 1, &pk.y)?;
    let shared = [Some(sx), Some(sy)];
    let a = poseidon_with_first_sboxes(
        &[
            pk.x.clone(),
            pk.y.clone(),
            before.0.clone(),
            before.1.clone(),
        ],
        &shared,
    )?;
    let b = poseidon_with_first_sboxes(
        &[pk.x.clone(), pk.y.clone(), after.0.clone(), after.1.clone()],
        &shared,
    )?;
    Ok((a, b))
}

/// Enforces `enabled·(a − b) = 0` (1 constraint).
fn enforce_equal_if(a: &Fv, b: &Fv, enabled: &Fv) -> Result<(), SynthesisError> {
    let diff = lincomb(&[(one(), a), (-one(), b)], F::zero())?;
    enabled.mul_equals(&diff, &FpVar::Constant(F::zero()))
}

/// Running values threaded through the slots.
struct BatchState {
    root: Fv,
    deposits_hash: Fv,
    withdrawals_hash: Fv,
    total_fee: Fv,
    records: Vec<Fv>,
}

fn synthesize_slot(
    cs: &ConstraintSystemRef<F>,
    chain_id: &Fv,
    instance: &Fv,
    st: &mut BatchState,
    w: &SlotWitness,
) -> Result<(), SynthesisError> {
    // Every constraint is under a namespace named after the rule it enforces (or the value it
    // computes), so that a test can assert which rule a bad witness breaks.
    let _slot = ns!(cs, "slot");

    // 1. Type: two bits of the type code; the four one-hot flags follow with one product.
    let flags = TypeFlags::alloc(cs, w.ty)?;
    let (t, d, wd) = (&flags.transfer, &flags.deposit, &flags.withdraw);
    let (debit, credit) = (&flags.debit, &flags.credit);

    // 2. Indices.
    let (from_bits, to_bits) = {
        let _ns = ns!(cs, "indices");
        (
            alloc_bits(cs, w.from as u64, TREE_DEPTH)?,
            alloc_bits(cs, w.to as u64, TREE_DEPTH)?,
        )
    };
    let from = pack_bits(&from_bits)?;
    let to = pack_bits(&to_bits)?;

    // 3. Amount and fee codes.
    let am = AMOUNT_MANTISSA_BITS as usize;
    let (amount_code, amount) = {
        let _ns = ns!(cs, "amount_decode");
        let amount_bits = alloc_bits(cs, w.amount_code, am + AMOUNT_EXPONENT_BITS as usize)?;
        let amount_code = pack_bits(&amount_bits)?;
        let amount = pack_bits(&amount_bits[..am])? * pow10(&amount_bits[am..])?;
        (amount_code, amount)
    };
    let fm = FEE_MANTISSA_BITS as usize;
    let (fee_code, fee) = {
        let _ns = ns!(cs, "fee_decode");
        let fee_bits = alloc_bits(cs, w.fee_code as u64, fm + FEE_EXPONENT_BITS as usize)?;
        let fee_code = pack_bits(&fee_bits)?;
        let fee = pack_bits(&fee_bits[..fm])? * pow10(&fee_bits[fm..])?;
        (fee_code, fee)
    };

    // 4. Debit.
    let sender = AccountVar::alloc(cs, &w.sender)?;
    {
        // The native rule (`tx::MAX_NONCE`), so that a leaf with a larger nonce (possible only
        // in a pre-populated genesis) cannot spend, and the nonce cannot spill into the
        // message fields above it.
        let _ns = ns!(cs, "nonce_range");
        range_check(&sender.nonce, NONCE_BITS as usize)?;
    }
    let sender_path = fvs(cs, &w.sender_path)?;
    let new_balance = lincomb(
        &[(one(), &sender.balance), (-one(), &amount), (-one(), &fee)],
        F::zero(),
    )?;
    {
        // No underflow: the sender covers amount + fee.
        let _ns = ns!(cs, "sender_balance_range");
        range_check(&new_balance, BALANCE_BITS)?;
    }
    let new_nonce = lincomb(&[(one(), &sender.nonce)], one())?;
    let (old_leaf, new_leaf) = {
        let _ns = ns!(cs, "sender_leaves");
        leaf_pair(
            &sender.pk,
            (&sender.balance, &sender.nonce),
            (&new_balance, &new_nonce),
        )?
    };
    {
        let _ns = ns!(cs, "sender_in_tree");
        let old_root = root_from_path(&old_leaf, &from_bits, &sender_path)?;
        enforce_equal_if(&old_root, &st.root, debit)?;
    }
    {
        let _ns = ns!(cs, "sender_update");
        let new_root = root_from_path(&new_leaf, &from_bits, &sender_path)?;
        st.root = advance(&st.root, &new_root, debit)?;
    }

    // 5. Signature.
    let (msg, rec_hi, rec_lo) = {
        let _ns = ns!(cs, "signed_message");
        let to_msg = t * &to;
        let rec_hi = wd * &fv(cs, w.recipient_hi)?;
        let rec_lo = wd * &fv(cs, w.recipient_lo)?;
        let e = lincomb(
            &[
                (one(), chain_id),
                (pow2(32), t),
                (pow2(32) * F::from(tx_type::WITHDRAW), wd),
                (pow2(34), &from),
                (pow2(58), &to_msg),
                (pow2(82), &amount_code),
                (pow2(122), &fee_code),
                (pow2(130), &sender.nonce),
                (pow2(170), instance),
            ],
            F::zero(),
        )?;
        let msg = poseidon(&[e, rec_hi.clone(), rec_lo.clone()])?;
        (msg, rec_hi, rec_lo)
    };
    let r8 = PointVar::new_witness(cs.clone(), || Ok(w.r8))?;
    let s = fv(cs, w.s)?;
    {
        let _ns = ns!(cs, "signature");
        eddsa::verify(debit, &sender.pk, &msg, &r8, &s)?;
    }

    // 6. Credit.
    let receiver = AccountVar::alloc(cs, &w.receiver)?;
    let receiver_path = fvs(cs, &w.receiver_path)?;
    let create = {
        let _ns = ns!(cs, "create_flag");
        bool_to_fv(&Boolean::new_witness(cs.clone(), || Ok(w.create))?)
    };
    // create ⇒ deposit, and a created account starts at balance 0, nonce 0.
    {
        let _ns = ns!(cs, "create_only_by_deposit");
        let not_d = lincomb(&[(-one(), d)], one())?;
        create.mul_equals(&not_d, &FpVar::Constant(F::zero()))?;
    }
    {
        let _ns = ns!(cs, "created_balance_zero");
        create.mul_equals(&receiver.balance, &FpVar::Constant(F::zero()))?;
    }
    {
        let _ns = ns!(cs, "created_nonce_zero");
        create.mul_equals(&receiver.nonce, &FpVar::Constant(F::zero()))?;
    }
    let deposit_amount = fv(cs, w.deposit_amount)?;
    {
        // Without it, the amount p − X credits −X: the circuit alone would let an operator
        // debit an account through a deposit slot.
        let _ns = ns!(cs, "deposit_amount_range");
        range_check(&deposit_amount, DEPOSIT_AMOUNT_BITS)?;
    }
    let (dep_credit, new_balance) = {
        let _ns = ns!(cs, "receiver_credit");
        let dep_credit = d * &deposit_amount;
        let transfer_credit = t * &amount;
        let new_balance = lincomb(
            &[
                (one(), &receiver.balance),
                (one(), &dep_credit),
                (one(), &transfer_credit),
            ],
            F::zero(),
        )?;
        (dep_credit, new_balance)
    };
    {
        // No overflow past `u128`.
        let _ns = ns!(cs, "receiver_balance_range");
        range_check(&new_balance, BALANCE_BITS)?;
    }
    let (full_leaf, new_leaf) = {
        let _ns = ns!(cs, "receiver_leaves");
        leaf_pair(
            &receiver.pk,
            (&receiver.balance, &receiver.nonce),
            (&new_balance, &receiver.nonce),
        )?
    };
    {
        // A created account's old leaf is the empty leaf 0.
        let _ns = ns!(cs, "receiver_in_tree");
        let created_part = &create * &full_leaf;
        let old_leaf = lincomb(&[(one(), &full_leaf), (-one(), &created_part)], F::zero())?;
        let old_root = root_from_path(&old_leaf, &to_bits, &receiver_path)?;
        enforce_equal_if(&old_root, &st.root, credit)?;
    }
    {
        let _ns = ns!(cs, "receiver_update");
        let new_root = root_from_path(&new_leaf, &to_bits, &receiver_path)?;
        st.root = advance(&st.root, &new_root, credit)?;
    }
    {
        let _ns = ns!(cs, "receiver_not_reserved");
        let reserved = FpVar::Constant(F::from(RESERVED_INDEX as u64));
        enforce_not_equal_if(cs, &to, &reserved, credit)?;
    }
    {
        let _ns = ns!(cs, "no_self_transfer");
        enforce_not_equal_if(cs, &from, &to, t)?;
    }

    // 7. Fee.
    {
        let _ns = ns!(cs, "fee_total");
        let fee_eff = debit * &fee;
        st.total_fee = lincomb(&[(one(), &st.total_fee), (one(), &fee_eff)], F::zero())?;
    }

    // 8. Deposit / withdrawal hash chains (one Poseidon for both).
    (st.deposits_hash, st.withdrawals_hash) = l1_chain_step(
        &st.deposits_hash,
        &st.withdrawals_hash,
        &ChainInputs {
            flags: &flags,
            create: &create,
            to: &to,
            from: &from,
            amount: &amount,
            deposit_credit: &dep_credit,
            new_key: &receiver.pk,
            recipient: (&rec_hi, &rec_lo),
        },
    )?;

    // 9. DA record.
    st.records
        .push(da_record(&flags, &from, &to, &amount_code, &fee_code)?);
    Ok(())
}

impl BatchCircuit {
    /// The circuit over `witness`; the batch size is its slot count.
    pub fn new(witness: BatchWitness) -> Self {
        BatchCircuit { witness }
    }

    /// Synthesizes into `cs`. Returns the constraint count before the first slot and after
    /// each slot, and the commitment the circuit computes (when values are assigned).
    fn synthesize(
        &self,
        cs: &ConstraintSystemRef<F>,
    ) -> Result<(Vec<usize>, Option<F>), SynthesisError> {
        let w = &self.witness;
        let mut marks = vec![];
        let chain_id = fv(cs, w.chain_id)?;
        {
            let _ns = ns!(cs, "chain_id_range");
            range_check(&chain_id, 32)?;
        }
        // The same witness goes into every signed message and into the public input, so the
        // proof binds the instance users signed for; 64 bits keep both packings injective.
        let instance = fv(cs, w.instance)?;
        {
            let _ns = ns!(cs, "instance_range");
            range_check(&instance, 64)?;
        }
        let rollup_id = lincomb(&[(one(), &chain_id), (pow2(32), &instance)], F::zero())?;
        let batch_number = fv(cs, w.batch_number)?;
        let old_root = fv(cs, w.old_root)?;
        let mut st = BatchState {
            root: old_root.clone(),
            deposits_hash: FpVar::Constant(F::zero()),
            withdrawals_hash: FpVar::Constant(F::zero()),
            total_fee: FpVar::Constant(F::zero()),
            records: Vec::with_capacity(w.slots.len()),
        };
        marks.push(cs.num_constraints());
        for slot in &w.slots {
            synthesize_slot(cs, &chain_id, &instance, &mut st, slot)?;
            marks.push(cs.num_constraints());
        }

        // Operator fee credit.
        let op_bits = {
            let _ns = ns!(cs, "operator_index");
            alloc_bits(cs, w.operator as u64, TREE_DEPTH)?
        };
        let op = AccountVar::alloc(cs, &w.operator_account)?;
        let op_path = fvs(cs, &w.operator_path)?;
        let new_balance = lincomb(&[(one(), &op.balance), (one(), &st.total_fee)], F::zero())?;
        {
            // No overflow past `u128` when the batch's fees are credited.
            let _ns = ns!(cs, "operator_balance_range");
            range_check(&new_balance, BALANCE_BITS)?;
        }
        let (old_leaf, new_leaf) = {
            let _ns = ns!(cs, "operator_leaves");
            leaf_pair(&op.pk, (&op.balance, &op.nonce), (&new_balance, &op.nonce))?
        };
        {
            let _ns = ns!(cs, "operator_in_tree");
            root_from_path(&old_leaf, &op_bits, &op_path)?.enforce_equal(&st.root)?;
        }
        let new_root = {
            let _ns = ns!(cs, "operator_update");
            root_from_path(&new_leaf, &op_bits, &op_path)?
        };

        // DA hash.
        let h = {
            let _ns = ns!(cs, "da_hash");
            let mut h = pack_bits(&op_bits)?;
            let padded = w.slots.len().max(1).div_ceil(RECORDS_PER_CHUNK) * RECORDS_PER_CHUNK;
            let mut records = st.records.clone();
            records.resize(padded, FpVar::Constant(F::zero()));
            let two96 = pow2(96);
            for c in records.chunks(RECORDS_PER_CHUNK) {
                let mut inputs = vec![h];
                for pair in c.chunks(2) {
                    inputs.push(lincomb(&[(two96, &pair[0]), (one(), &pair[1])], F::zero())?);
                }
                h = poseidon_tagged(&FpVar::Constant(F::from(DA_TAG)), &inputs)?;
            }
            h
        };

        let _ns = ns!(cs, "public_input");
        let commitment = poseidon(&[
            rollup_id,
            batch_number,
            old_root,
            new_root,
            st.deposits_hash,
            st.withdrawals_hash,
            h,
        ])?;
        let public = FpVar::new_input(cs.clone(), || Ok(w.commitment))?;
        commitment.enforce_equal(&public)?;
        Ok((marks, commitment.value().ok()))
    }

    /// The commitment this witness leads to, whatever the claimed public input. Tests use it
    /// to aim a corrupted witness at exactly one rule: with the public input set to this
    /// value, only the corrupted rule can be unsatisfied.
    pub fn computed_commitment(witness: &BatchWitness) -> Result<F, SynthesisError> {
        let cs = ark_relations::gr1cs::ConstraintSystem::<F>::new_ref();
        let (_, c) = BatchCircuit::new(witness.clone()).synthesize(&cs)?;
        c.ok_or(SynthesisError::AssignmentMissing)
    }

    /// Constraint counts for a batch size (synthesized in setup mode, no witness needed).
    pub fn profile(batch_size: usize) -> Result<ConstraintProfile, SynthesisError> {
        let cs = ark_relations::gr1cs::ConstraintSystem::<F>::new_ref();
        cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
        let c = BatchCircuit::new(BatchWitness::blank(batch_size));
        let (marks, _) = c.synthesize(&cs)?;
        let total = cs.num_constraints();
        let per_slot = if batch_size > 0 {
            marks[1] - marks[0]
        } else {
            0
        };
        Ok(ConstraintProfile {
            batch_size,
            total,
            per_slot,
            fixed: total - per_slot * batch_size,
        })
    }
}

impl ConstraintSynthesizer<F> for BatchCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<F>) -> Result<(), SynthesisError> {
        self.synthesize(&cs).map(|_| ())
    }
}

/// A satisfiable all-no-op batch over a one-account tree, used to check imported keys.
pub fn sample_noop_trace(batch_size: usize) -> Result<BatchTrace, crate::ProverError> {
    let mut tree = AccountTree::new();
    let key = echonet_rollup_primitives::PrivateKey([1; 32]);
    tree.set(
        0,
        Some(Account {
            pubkey: key.public(),
            balance: 0,
            nonce: 0,
        }),
    )
    .map_err(|e| crate::ProverError::Trace(e.to_string()))?;
    let header = BatchHeader {
        chain_id: 0,
        instance: 0,
        batch_number: 0,
        operator: 0,
    };
    echonet_rollup_primitives::execute_batch(&mut tree, &header, &[], batch_size)
        .map_err(|e| crate::ProverError::Trace(e.to_string()))
}

/// Unused-path helper for tests and tools.
pub fn zero_path() -> MerkleProof {
    MerkleProof::zero()
}
