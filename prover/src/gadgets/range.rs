//! Range checks: `x < 2^n` by an `n`-bit decomposition (`n + 1` constraints).

use ark_r1cs_std::prelude::*;

use super::{Fv, SynthesisError, F};

/// Enforces `x < 2^n` and returns its little-endian bits (`n + 1` constraints).
pub fn range_check(x: &Fv, n: usize) -> Result<Vec<Boolean<F>>, SynthesisError> {
    let (bits, _rest) = x.to_bits_le_with_top_bits_zero(n)?;
    Ok(bits)
}

/// Allocates `n` witness bits of `value` (`n` constraints, booleanity only).
pub fn alloc_bits(
    cs: &ark_relations::gr1cs::ConstraintSystemRef<F>,
    value: u64,
    n: usize,
) -> Result<Vec<Boolean<F>>, SynthesisError> {
    (0..n)
        .map(|i| Boolean::new_witness(cs.clone(), || Ok((value >> i) & 1 == 1)))
        .collect()
}

/// Enforces `Σ 2^i·bits[i] ≤ c` for a constant `c` (bits little-endian; `bits.len()` must be
/// `c`'s bit length). Walking from the top, `eq` says "equal to `c` so far":
/// a run of zeros in `c` costs 1 constraint (`eq · Σ bits = 0`); a run of ones of length `k`
/// costs `min(k, 3)` (`eq ← eq ∧ bits`, with a k-ary AND by an is-zero test for long runs).
/// About 190 constraints for a random 251-bit constant, against ~365 for ark-r1cs-std's
/// `enforce_smaller_or_equal_than_le`.
pub fn enforce_le_constant(
    bits: &[Boolean<F>],
    c: &num_bigint::BigUint,
) -> Result<(), SynthesisError> {
    use super::lc::{bool_to_fv, lincomb, witness_from};
    use ark_ff::{Field, Zero};
    use ark_r1cs_std::fields::fp::FpVar;

    let n = c.bits() as usize;
    if bits.len() != n || n == 0 {
        return Err(SynthesisError::Unsatisfiable);
    }
    let cs = bits
        .iter()
        .fold(ark_relations::gr1cs::ConstraintSystemRef::None, |a, b| {
            a.or(b.cs())
        });
    // Runs of equal bits of c, from the top.
    let mut runs: Vec<(bool, Vec<usize>)> = Vec::new();
    for i in (0..n).rev() {
        let bit = c.bit(i as u64);
        match runs.last_mut() {
            Some((b, idx)) if *b == bit => idx.push(i),
            _ => runs.push((bit, vec![i])),
        }
    }
    let one = F::from(1u64);
    let mut eq: Fv = FpVar::Constant(one);
    for (bit, idx) in runs {
        let vars: Vec<Fv> = idx.iter().map(|&i| bool_to_fv(&bits[i])).collect();
        if bit {
            if vars.len() <= 3 {
                for v in &vars {
                    eq = &eq * v;
                }
            } else {
                // all = 1 iff k − Σ bits = 0.
                let terms: Vec<(F, &Fv)> = vars.iter().map(|v| (-one, v)).collect();
                let s = lincomb(&terms, F::from(vars.len() as u64))?;
                let all = witness_from(&cs, || Some(F::from(s.value().ok()?.is_zero() as u64)))?;
                let inv =
                    witness_from(&cs, || Some(s.value().ok()?.inverse().unwrap_or(F::zero())))?;
                all.mul_equals(&s, &FpVar::Constant(F::zero()))?;
                let not_all = lincomb(&[(-one, &all)], one)?;
                s.mul_equals(&inv, &not_all)?;
                eq = &eq * &all;
            }
        } else {
            let terms: Vec<(F, &Fv)> = vars.iter().map(|v| (one, v)).collect();
            let sum = lincomb(&terms, F::zero())?;
            eq.mul_equals(&sum, &FpVar::Constant(F::zero()))?;
        }
    }
    Ok(())
}

/// Strict little-endian decomposition of `x` into `F::MODULUS_BIT_SIZE` bits (the integer
/// is below the modulus, so the bits are unique). The comparison with `p − 1` is in the
/// namespace `below_modulus`.
pub fn to_bits_strict(x: &Fv) -> Result<Vec<Boolean<F>>, SynthesisError> {
    use ark_ff::PrimeField;
    let n = F::MODULUS_BIT_SIZE as usize;
    let bits = x.to_non_unique_bits_le()?;
    let p_minus_1: num_bigint::BigUint = F::MODULUS_MINUS_ONE_DIV_TWO.into();
    let p_minus_1 = p_minus_1 * 2u32;
    let _ns = ark_relations::ns!(x.cs(), "below_modulus");
    enforce_le_constant(&bits[..n], &p_minus_1)?;
    Ok(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{PrimeField, UniformRand};
    use ark_r1cs_std::fields::fp::FpVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use num_bigint::BigUint;
    use rand::Rng;

    fn check(value: &BigUint, c: &BigUint) -> (bool, usize) {
        let cs = ConstraintSystem::<F>::new_ref();
        let bits: Vec<Boolean<F>> = (0..c.bits())
            .map(|i| Boolean::new_witness(cs.clone(), || Ok(value.bit(i))).unwrap())
            .collect();
        let n0 = cs.num_constraints();
        enforce_le_constant(&bits, c).unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints() - n0)
    }

    #[test]
    fn le_constant_matches_integer_comparison() {
        let mut rng = ark_std::test_rng();
        let l = echonet_rollup_primitives::babyjubjub::suborder();
        let lm1 = &l - 1u32;
        assert!(check(&lm1, &lm1).0);
        assert!(!check(&l, &lm1).0);
        assert!(check(&BigUint::from(0u32), &lm1).0);
        for _ in 0..50 {
            let c = BigUint::from(rng.gen::<u64>() | (1 << 63)) << rng.gen_range(0..40u32);
            let c = c + BigUint::from(rng.gen::<u32>());
            let v = BigUint::from(rng.gen::<u64>()) % (BigUint::from(1u32) << c.bits());
            assert_eq!(check(&v, &c).0, v <= c, "v={v} c={c}");
            // Near the boundary.
            assert!(check(&c, &c).0);
            if c.bits() == (&c + 1u32).bits() {
                assert!(!check(&(&c + 1u32), &c).0);
            }
        }
        let (_, cost) = check(&lm1, &lm1);
        assert!(cost <= 200, "cost {cost}");
    }

    #[test]
    fn strict_bits_roundtrip_and_cost() {
        let mut rng = ark_std::test_rng();
        let cs = ConstraintSystem::<F>::new_ref();
        let x = F::rand(&mut rng);
        let v = FpVar::new_witness(cs.clone(), || Ok(x)).unwrap();
        let n0 = cs.num_constraints();
        let bits = to_bits_strict(&v).unwrap();
        let cost = cs.num_constraints() - n0;
        assert!(cs.is_satisfied().unwrap());
        let xb: BigUint = x.into_bigint().into();
        for (i, b) in bits.iter().enumerate() {
            assert_eq!(b.value().unwrap(), xb.bit(i as u64));
        }
        assert!(cost < 460, "cost {cost}");
    }
}
