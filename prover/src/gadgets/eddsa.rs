//! EdDSA-Poseidon verification gadget, circomlib's `EdDSAPoseidonVerifier` with an `enabled`
//! flag, plus the checks circomlib leaves out (R8 on the curve) and `S < l` done exactly.
//!
//! Enforced (when `enabled = 1`; the curve checks always, so disabled slots use the identity):
//! `A` and `R8` on the curve, `S < l` (251-bit decomposition and comparison with `l − 1`),
//! `c = Poseidon(R8, A, M)` decomposed strictly (`c < p`), `8·A ≠ O`, and
//! `S·Base8 = R8 + c·(8·A)`. With `R8` on the curve the equation forces `R8` into the
//! subgroup, and multiplying `A` by 8 clears its cofactor.
//!
//! Namespaces (`ns!`) name each rule: `key_on_curve`, `r8_on_curve`, `s_below_suborder`,
//! `challenge`, `challenge_bits` (with `below_modulus` for `c < p`), `key_order` and
//! `signature_equation`.

use ark_ff::{Field, PrimeField, Zero};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::ns;
use echonet_rollup_primitives::babyjubjub::suborder;

use super::babyjubjub::{scalar_mul_base8, scalar_mul_var, PointVar};
use super::lc::{lincomb, witness_from};
use super::poseidon::poseidon;
use super::range::{enforce_le_constant, range_check, to_bits_strict};
use super::{Fv, SynthesisError, F};

/// Constraints of [`verify`] (pinned by a test).
pub const EDDSA_CONSTRAINTS: usize = 4_705;

/// Bits of `S` (`l < 2^251`).
pub const S_BITS: usize = 251;

/// Enforces that `(r8, s)` is a valid signature of `msg` under `pk` when `enabled` is 1.
/// `enabled` must be constrained to {0, 1} by the caller.
pub fn verify(
    enabled: &Fv,
    pk: &PointVar,
    msg: &Fv,
    r8: &PointVar,
    s: &Fv,
) -> Result<(), SynthesisError> {
    let cs = enabled.cs().or(pk.x.cs()).or(msg.cs()).or(s.cs());
    {
        let _ns = ns!(cs, "key_on_curve");
        pk.enforce_on_curve()?;
    }
    {
        let _ns = ns!(cs, "r8_on_curve");
        r8.enforce_on_curve()?;
    }

    // S < l: 251 bits, then S ≤ l − 1.
    let s_bits = {
        let _ns = ns!(cs, "s_below_suborder");
        let s_bits = range_check(s, S_BITS)?;
        enforce_le_constant(&s_bits, &(suborder() - 1u32))?;
        s_bits
    };

    let c = {
        let _ns = ns!(cs, "challenge");
        poseidon(&[
            r8.x.clone(),
            r8.y.clone(),
            pk.x.clone(),
            pk.y.clone(),
            msg.clone(),
        ])?
    };
    // c's bits are unique only with c < p: c + p has 254 bits for about a third of the
    // challenges, and (c + p)·8A ≠ c·8A.
    let c_bits = {
        let _ns = ns!(cs, "challenge_bits");
        to_bits_strict(&c)?
    };

    let a8 = {
        let _ns = ns!(cs, "key_order");
        let a8 = pk.double()?.double()?.double()?;
        // 8·A ≠ O: a8.x · inv = enabled (x = 0 only at the identity and the order-2 point).
        let inv = witness_from(&cs, || {
            let x = a8.x.value().ok()?;
            let e = enabled.value().ok()?;
            Some(if e.is_zero() {
                F::zero()
            } else {
                x.inverse().unwrap_or(F::zero())
            })
        })?;
        a8.x.mul_equals(&inv, enabled)?;
        a8
    };

    let _ns = ns!(cs, "signature_equation");
    let right = r8.add(&scalar_mul_var(&c_bits, &a8)?)?;
    let left = scalar_mul_base8(&s_bits)?;
    let dx = lincomb(
        &[(F::from(1u64), &left.x), (-F::from(1u64), &right.x)],
        F::zero(),
    )?;
    let dy = lincomb(
        &[(F::from(1u64), &left.y), (-F::from(1u64), &right.y)],
        F::zero(),
    )?;
    let zero = FpVar::Constant(F::zero());
    enabled.mul_equals(&dx, &zero)?;
    enabled.mul_equals(&dy, &zero)?;
    Ok(())
}

/// `S` as the circuit allocates it: the integer, if it is below `p`.
pub fn s_to_field(s: &num_bigint::BigUint) -> Option<F> {
    let modulus: num_bigint::BigUint = F::MODULUS.into();
    if *s >= modulus {
        None
    } else {
        Some(F::from(s.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_relations::gr1cs::ConstraintSystem;
    use echonet_rollup_primitives::babyjubjub::Point;
    use echonet_rollup_primitives::eddsa::{PrivateKey, Signature};

    #[test]
    fn constraint_count_is_pinned() {
        let k = PrivateKey([3; 32]);
        let sig = k.sign(&F::from(9u64));
        let (ok, n) = run(k.public().0, F::from(9u64), &sig, true);
        assert!(ok);
        assert_eq!(n, EDDSA_CONSTRAINTS);
    }

    fn run(pk: Point, msg: F, sig: &Signature, enabled: bool) -> (bool, usize) {
        let cs = ConstraintSystem::<F>::new_ref();
        let e = FpVar::new_witness(cs.clone(), || Ok(F::from(enabled as u64))).unwrap();
        let pkv = PointVar::new_witness(cs.clone(), || Ok(pk)).unwrap();
        let m = FpVar::new_witness(cs.clone(), || Ok(msg)).unwrap();
        let r8 = PointVar::new_witness(cs.clone(), || Ok(sig.r8)).unwrap();
        let s = FpVar::new_witness(cs.clone(), || {
            s_to_field(&sig.s).ok_or(SynthesisError::AssignmentMissing)
        })
        .unwrap();
        let n0 = cs.num_constraints();
        verify(&e, &pkv, &m, &r8, &s).unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints() - n0)
    }

    #[test]
    fn gadget_agrees_with_native_verification() {
        let mut rng = ark_std::test_rng();
        for i in 0..3u8 {
            let k = PrivateKey([i + 1; 32]);
            let pk = k.public();
            let msg = F::rand(&mut rng);
            let sig = k.sign(&msg);
            assert!(pk.verify(&msg, &sig).is_ok());
            let (ok, _) = run(pk.0, msg, &sig, true);
            assert!(ok);
            // Wrong message, wrong key, tampered R8, S + l: native and gadget both reject.
            let other = msg + F::from(1u64);
            assert!(pk.verify(&other, &sig).is_err());
            assert!(!run(pk.0, other, &sig, true).0);
            let pk2 = PrivateKey([i + 50; 32]).public();
            assert!(!run(pk2.0, msg, &sig, true).0);
            let mut bad_r = sig.clone();
            bad_r.r8 = bad_r
                .r8
                .add(&echonet_rollup_primitives::babyjubjub::base8());
            assert!(!run(pk.0, msg, &bad_r, true).0);
            let mut mall = sig.clone();
            mall.s += suborder();
            assert!(pk.verify(&msg, &mall).is_err());
            assert!(!run(pk.0, msg, &mall, true).0);
            // Disabled: a garbage signature is accepted, so slots without one stay satisfiable.
            assert!(run(pk.0, other, &sig, false).0);
        }
    }

    #[test]
    fn small_order_key_and_off_curve_r_rejected() {
        // A = (0, -1) has order 2: 8A = O, so S·B8 = R8 "verifies" any message.
        let a = Point {
            x: F::zero(),
            y: -F::from(1u64),
        };
        let s = num_bigint::BigUint::from(7u32);
        let sig = Signature {
            r8: echonet_rollup_primitives::babyjubjub::base8().mul(&s),
            s,
        };
        assert!(!run(a, F::from(3u64), &sig, true).0);
        // Same shape with the identity as key and disabled: fine.
        assert!(run(Point::IDENTITY, F::from(3u64), &Signature::empty(), false).0);
        // R8 off the curve.
        let k = PrivateKey([9; 32]);
        let mut sig = k.sign(&F::from(5u64));
        sig.r8.y += F::from(1u64);
        assert!(!run(k.public().0, F::from(5u64), &sig, true).0);
    }
}
