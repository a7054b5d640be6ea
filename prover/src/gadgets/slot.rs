//! The parts of a batch slot that have a native twin, factored out of
//! `crate::circuit`'s slot so that each is tested alone against it on random inputs:
//!
//! * [`TypeFlags`]: the one-hot flags of the transaction type code (3 constraints);
//! * [`l1_chain_step`]: one step of the deposit chain or of the withdrawal chain
//!   (`batch::deposit_hash_step`, `batch::withdrawal_hash_step`), one tagged Poseidon for
//!   both;
//! * [`da_record`]: the slot's DA record as the 96-bit integer the DA hash absorbs
//!   (`da::DaRecord::to_fr`), 4 constraints.
//!
//! Each names its constraints (`ns!`), so a test can tell which rule a witness breaks.

use ark_ff::{Field, Zero};
use ark_r1cs_std::prelude::*;
use ark_relations::ns;
use echonet_rollup_primitives::{
    poseidon::{DEPOSITS_TAG, WITHDRAWALS_TAG},
    tree::RESERVED_INDEX,
};

use super::babyjubjub::PointVar;
use super::lc::{bool_to_fv, lincomb};
use super::poseidon::poseidon_tagged;
use super::range::alloc_bits;
use super::{ConstraintSystemRef, Fv, SynthesisError, F};

fn one() -> F {
    F::from(1u64)
}

fn pow2(k: u64) -> F {
    F::from(2u64).pow([k])
}

/// The one-hot flags of a slot's type code (`tx_type`): two bits `b0, b1`, then
/// `w = b0·b1`, `t = b0 − w`, `d = b1 − w`; no-op is all zero.
#[derive(Clone, Debug)]
pub struct TypeFlags {
    /// Transfer.
    pub transfer: Fv,
    /// Deposit.
    pub deposit: Fv,
    /// Withdrawal.
    pub withdraw: Fv,
    /// The slot debits a sender and carries a signature: `t + w`.
    pub debit: Fv,
    /// The slot credits a receiver: `t + d`.
    pub credit: Fv,
}

impl TypeFlags {
    /// Allocates the two bits of `ty` (only its low two bits are used) and derives the flags
    /// (3 constraints: two booleanity checks and one product).
    pub fn alloc(cs: &ConstraintSystemRef<F>, ty: u64) -> Result<Self, SynthesisError> {
        let _ns = ns!(cs, "tx_type");
        let bits = alloc_bits(cs, ty, 2)?;
        let (b0, b1) = (bool_to_fv(&bits[0]), bool_to_fv(&bits[1]));
        let withdraw = &b0 * &b1;
        let transfer = lincomb(&[(one(), &b0), (-one(), &withdraw)], F::zero())?;
        let deposit = lincomb(&[(one(), &b1), (-one(), &withdraw)], F::zero())?;
        let debit = lincomb(&[(one(), &transfer), (one(), &withdraw)], F::zero())?;
        let credit = lincomb(&[(one(), &transfer), (one(), &deposit)], F::zero())?;
        Ok(TypeFlags {
            transfer,
            deposit,
            withdraw,
            debit,
            credit,
        })
    }
}

/// What one slot feeds the L1 hash chains. Only the fields its flag selects reach the chain;
/// `deposit_credit` and `recipient` must already be multiplied by their flag (the slot makes
/// those products once, for the balance credit and for the signed message).
#[derive(Clone, Debug)]
pub struct ChainInputs<'a> {
    /// The slot's type flags.
    pub flags: &'a TypeFlags,
    /// The deposit creates its account (constrained to imply `deposit` by the caller).
    pub create: &'a Fv,
    /// The deposit's receiver index.
    pub to: &'a Fv,
    /// The withdrawal's sender index.
    pub from: &'a Fv,
    /// The withdrawal's decoded amount.
    pub amount: &'a Fv,
    /// `deposit · deposit amount`.
    pub deposit_credit: &'a Fv,
    /// The created account's key (its coordinates enter the chain only when `create`).
    pub new_key: &'a PointVar,
    /// `withdraw · (recipient_hi, recipient_lo)`.
    pub recipient: (&'a Fv, &'a Fv),
}

/// One step of the deposit and withdrawal chains: `x = Poseidon_tag(h, a, b, c, d)` with
/// `h` the selected chain, then the selected chain becomes `x` and the other one stays.
/// For a deposit `(a, b, c, d) = (to + create·2^24, amount, create·pk)` under
/// `DEPOSITS_TAG`; for a withdrawal `(from, amount, recipient)` under `WITHDRAWALS_TAG`.
/// The tag is selected by the flags, so it is a variable and its first S-box costs 3
/// constraints. Returns the new `(deposits_hash, withdrawals_hash)`.
pub fn l1_chain_step(
    deposits_hash: &Fv,
    withdrawals_hash: &Fv,
    i: &ChainInputs<'_>,
) -> Result<(Fv, Fv), SynthesisError> {
    let (d, wd) = (&i.flags.deposit, &i.flags.withdraw);
    let cs = d.cs().or(wd.cs());
    let _ns = ns!(cs, "l1_chains");
    let h_dep = d * deposits_hash;
    let h_wd = wd * withdrawals_hash;
    let h_in = lincomb(&[(one(), &h_dep), (one(), &h_wd)], F::zero())?;
    let d_to = d * i.to;
    let wd_from = wd * i.from;
    let a = lincomb(
        &[(one(), &d_to), (pow2(24), i.create), (one(), &wd_from)],
        F::zero(),
    )?;
    let wd_amount = wd * i.amount;
    let b = lincomb(&[(one(), i.deposit_credit), (one(), &wd_amount)], F::zero())?;
    let c_pk_x = i.create * &i.new_key.x;
    let c_pk_y = i.create * &i.new_key.y;
    let c = lincomb(&[(one(), &c_pk_x), (one(), i.recipient.0)], F::zero())?;
    let dd = lincomb(&[(one(), &c_pk_y), (one(), i.recipient.1)], F::zero())?;
    // Each chain's own capacity tag (see `echonet_rollup_primitives::poseidon`).
    let tag = lincomb(
        &[(F::from(DEPOSITS_TAG), d), (F::from(WITHDRAWALS_TAG), wd)],
        F::zero(),
    )?;
    let x = poseidon_tagged(&tag, &[h_in, a, b, c, dd])?;
    Ok((
        advance(deposits_hash, &x, d)?,
        advance(withdrawals_hash, &x, wd)?,
    ))
}

/// `cur + enabled·(new − cur)` (1 constraint).
pub(crate) fn advance(cur: &Fv, new: &Fv, enabled: &Fv) -> Result<Fv, SynthesisError> {
    let delta = lincomb(&[(one(), new), (-one(), cur)], F::zero())?;
    let step = enabled * delta;
    lincomb(&[(one(), cur), (one(), &step)], F::zero())
}

/// The slot's DA record `(d ? 0xFFFFFF : debit·from, w ? 0xFFFFFF : credit·to,
/// debit·amount_code, debit·fee_code)` packed big-endian into 96 bits (3, 3, 5 and 1 bytes),
/// so a no-op publishes 0 whatever its other witnesses (4 constraints).
pub fn da_record(
    flags: &TypeFlags,
    from: &Fv,
    to: &Fv,
    amount_code: &Fv,
    fee_code: &Fv,
) -> Result<Fv, SynthesisError> {
    let _ns = ns!(flags.debit.cs(), "da_record");
    let rec_from = &flags.debit * from;
    let rec_to = &flags.credit * to;
    let rec_amount = &flags.debit * amount_code;
    let rec_fee = &flags.debit * fee_code;
    let r = F::from(RESERVED_INDEX as u64);
    lincomb(
        &[
            (pow2(72), &rec_from),
            (pow2(72) * r, &flags.deposit),
            (pow2(48), &rec_to),
            (pow2(48) * r, &flags.withdraw),
            (pow2(8), &rec_amount),
            (one(), &rec_fee),
        ],
        F::zero(),
    )
}

#[cfg(test)]
mod tests {
    //! Twins: each gadget against its native function on random inputs (seeded), including
    //! garbage in the fields its flags switch off.

    use super::*;
    use ark_ff::UniformRand;
    use ark_r1cs_std::fields::fp::FpVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use echonet_rollup_primitives::{
        babyjubjub::Point,
        batch::{deposit_hash_step, withdrawal_hash_step, WithdrawalRecord},
        da::DaRecord,
        field::split_bytes32,
        tx::tx_type,
        Amount40, Deposit, Fee8, PrivateKey,
    };
    use rand::{rngs::StdRng, Rng, SeedableRng};

    const ROUNDS: usize = 64;

    fn w(cs: &ConstraintSystemRef<F>, v: F) -> Fv {
        FpVar::new_witness(cs.clone(), || Ok(v)).unwrap()
    }

    fn random_point(rng: &mut StdRng) -> Point {
        PrivateKey(rng.gen()).public().0
    }

    /// The raw witness values of one slot that the chain step reads.
    struct Raw {
        ty: u64,
        create: bool,
        to: u32,
        from: u32,
        amount: F,
        deposit_amount: F,
        key: Point,
        recipient: [u8; 32],
    }

    impl Raw {
        fn random(rng: &mut StdRng, ty: u64) -> Self {
            Raw {
                ty,
                create: false,
                to: rng.gen_range(0..(1 << 24) - 1),
                from: rng.gen_range(0..(1 << 24) - 1),
                amount: F::from(rng.gen::<u128>()),
                deposit_amount: F::from(rng.gen::<u128>()),
                key: random_point(rng),
                recipient: rng.gen(),
            }
        }
    }

    /// Runs [`l1_chain_step`] as the slot does (the same pre-masked products) and returns the
    /// new chains; the constraint system must be satisfied.
    fn chain_step(h: (F, F), r: &Raw) -> (F, F) {
        let cs = ConstraintSystem::<F>::new_ref();
        let flags = TypeFlags::alloc(&cs, r.ty).unwrap();
        let create = bool_to_fv(&Boolean::new_witness(cs.clone(), || Ok(r.create)).unwrap());
        let (hi, lo) = split_bytes32(&r.recipient);
        let deposit_credit = &flags.deposit * &w(&cs, r.deposit_amount);
        let rec_hi = &flags.withdraw * &w(&cs, hi);
        let rec_lo = &flags.withdraw * &w(&cs, lo);
        let key = PointVar::new_witness(cs.clone(), || Ok(r.key)).unwrap();
        let (dh, wh) = l1_chain_step(
            &w(&cs, h.0),
            &w(&cs, h.1),
            &ChainInputs {
                flags: &flags,
                create: &create,
                to: &w(&cs, F::from(r.to as u64)),
                from: &w(&cs, F::from(r.from as u64)),
                amount: &w(&cs, r.amount),
                deposit_credit: &deposit_credit,
                new_key: &key,
                recipient: (&rec_hi, &rec_lo),
            },
        )
        .unwrap();
        assert!(cs.is_satisfied().unwrap());
        (dh.value().unwrap(), wh.value().unwrap())
    }

    #[test]
    fn deposit_chain_step_matches_native() {
        let mut rng = StdRng::seed_from_u64(0xd3);
        for _ in 0..ROUNDS {
            let h = (F::rand(&mut rng), F::rand(&mut rng));
            let mut r = Raw::random(&mut rng, tx_type::DEPOSIT);
            r.create = rng.gen();
            // The withdrawal-side fields (`from`, `amount`, recipient) are garbage here.
            let amount: u128 = rng.gen();
            r.deposit_amount = F::from(amount);
            let dep = Deposit {
                to: r.to,
                new_account: r
                    .create
                    .then_some(echonet_rollup_primitives::PublicKey(r.key)),
                amount,
            };
            assert_eq!(chain_step(h, &r), (deposit_hash_step(h.0, &dep), h.1));
        }
    }

    #[test]
    fn withdrawal_chain_step_matches_native() {
        let mut rng = StdRng::seed_from_u64(0x3d);
        for _ in 0..ROUNDS {
            let h = (F::rand(&mut rng), F::rand(&mut rng));
            // The deposit-side fields (`to`, deposit amount, key) are garbage here.
            let mut r = Raw::random(&mut rng, tx_type::WITHDRAW);
            let amount: u128 = rng.gen();
            r.amount = F::from(amount);
            let rec = WithdrawalRecord {
                from: r.from,
                amount,
                recipient: r.recipient,
            };
            assert_eq!(chain_step(h, &r), (h.0, withdrawal_hash_step(h.1, &rec)));
        }
    }

    #[test]
    fn transfers_and_noops_leave_both_chains() {
        let mut rng = StdRng::seed_from_u64(0x70);
        for i in 0..ROUNDS {
            let h = (F::rand(&mut rng), F::rand(&mut rng));
            let ty = [tx_type::TRANSFER, tx_type::NOOP][i % 2];
            assert_eq!(chain_step(h, &Raw::random(&mut rng, ty)), h);
        }
    }

    #[test]
    fn da_record_packing_matches_native() {
        let mut rng = StdRng::seed_from_u64(0xda);
        for i in 0..4 * ROUNDS {
            let idx = |rng: &mut StdRng| rng.gen_range(0..(1u32 << 24) - 1);
            let amount = Amount40::from_code(rng.gen_range(0..1u64 << 40)).unwrap();
            let fee = Fee8(rng.gen());
            let (from, to) = (idx(&mut rng), idx(&mut rng));
            let native = match i % 4 {
                0 => DaRecord::Transfer {
                    from,
                    to,
                    amount,
                    fee,
                },
                1 => DaRecord::Withdraw { from, amount, fee },
                2 => DaRecord::Deposit { to },
                _ => DaRecord::Noop,
            };
            let ty = [
                tx_type::TRANSFER,
                tx_type::WITHDRAW,
                tx_type::DEPOSIT,
                tx_type::NOOP,
            ][i % 4];
            // Every field is set, also those the type does not publish: they must not leak.
            let cs = ConstraintSystem::<F>::new_ref();
            let flags = TypeFlags::alloc(&cs, ty).unwrap();
            let record = da_record(
                &flags,
                &w(&cs, F::from(from as u64)),
                &w(&cs, F::from(to as u64)),
                &w(&cs, F::from(amount.code())),
                &w(&cs, F::from(fee.code() as u64)),
            )
            .unwrap();
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(record.value().unwrap(), native.to_fr(), "{native:?}");
        }
    }

    #[test]
    fn type_flags_are_one_hot() {
        let cs = ConstraintSystem::<F>::new_ref();
        let v = |f: &Fv| f.value().unwrap();
        let (zero, one) = (F::zero(), F::from(1u64));
        for (ty, t, d, wd) in [
            (tx_type::NOOP, zero, zero, zero),
            (tx_type::TRANSFER, one, zero, zero),
            (tx_type::DEPOSIT, zero, one, zero),
            (tx_type::WITHDRAW, zero, zero, one),
        ] {
            let f = TypeFlags::alloc(&cs, ty).unwrap();
            assert_eq!((v(&f.transfer), v(&f.deposit), v(&f.withdraw)), (t, d, wd));
            assert_eq!(v(&f.debit), t + wd);
            assert_eq!(v(&f.credit), t + d);
        }
        assert!(cs.is_satisfied().unwrap());
    }
}
