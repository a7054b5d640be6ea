//! Poseidon gadget with circom's parameters (taken from `light-poseidon`, so the constants are
//! the same ones the native hash uses). Cost: 3 constraints per S-box; the capacity element's
//! first S-box is a constant and free. Poseidon(2) = 240, Poseidon(4) = 297,
//! Poseidon(5) = 321 constraints.

use std::sync::OnceLock;

use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use light_poseidon::parameters::bn254_x5::get_poseidon_parameters;

use super::lc::lincomb;
use super::{Fv, SynthesisError, F};

struct Params {
    ark: Vec<F>,
    mds: Vec<Vec<F>>,
    full: usize,
    partial: usize,
    width: usize,
}

fn params(width: usize) -> Result<&'static Params, SynthesisError> {
    static CACHE: [OnceLock<Option<Params>>; 14] = [const { OnceLock::new() }; 14];
    let cell = CACHE.get(width).ok_or(SynthesisError::Unsatisfiable)?;
    cell.get_or_init(|| {
        let p = get_poseidon_parameters::<F>(width as u8).ok()?;
        if p.alpha != 5 {
            return None;
        }
        Some(Params {
            ark: p.ark,
            mds: p.mds,
            full: p.full_rounds,
            partial: p.partial_rounds,
            width: p.width,
        })
    })
    .as_ref()
    .ok_or(SynthesisError::Unsatisfiable)
}

fn sbox(x: &Fv) -> Result<Fv, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

/// circomlib's `Poseidon(n)` of `inputs` (1 ≤ n ≤ 12).
pub fn poseidon(inputs: &[Fv]) -> Result<Fv, SynthesisError> {
    poseidon_with_first_sboxes(inputs, &[])
}

/// Poseidon with `capacity` as the initial capacity element (circomlib's `PoseidonEx`
/// `initialState`; native twin `echonet_rollup_primitives::poseidon::poseidon_tagged`). A
/// constant capacity costs nothing; a variable one costs its first-round S-box (3).
pub fn poseidon_tagged(capacity: &Fv, inputs: &[Fv]) -> Result<Fv, SynthesisError> {
    permute(Some(capacity), inputs, &[])
}

/// The first-round S-box of input `i` of a Poseidon with `n` inputs: `(xᵢ + c)^5`. Two hashes
/// that share an input at the same position can share this (3 constraints saved each time),
/// e.g. a leaf's public key before and after an update.
pub fn first_round_sbox(n: usize, i: usize, x: &Fv) -> Result<Fv, SynthesisError> {
    let p = params(n + 1)?;
    let c = *p.ark.get(i + 1).ok_or(SynthesisError::Unsatisfiable)?;
    sbox(&lincomb(&[(F::from(1u64), x)], c)?)
}

/// Poseidon where some first-round S-boxes are supplied (`first[i]` for input `i`, from
/// [`first_round_sbox`] on the same input); the rest are computed.
pub fn poseidon_with_first_sboxes(
    inputs: &[Fv],
    first: &[Option<Fv>],
) -> Result<Fv, SynthesisError> {
    permute(None, inputs, first)
}

fn permute(
    capacity: Option<&Fv>,
    inputs: &[Fv],
    first: &[Option<Fv>],
) -> Result<Fv, SynthesisError> {
    let p = params(inputs.len() + 1)?;
    let t = p.width;
    let mut state: Vec<Fv> = Vec::with_capacity(t);
    state.push(match capacity {
        None => FpVar::Constant(p.ark[0]),
        Some(c) => lincomb(&[(F::from(1u64), c)], p.ark[0])?,
    });
    for (i, x) in inputs.iter().enumerate() {
        state.push(lincomb(&[(F::from(1u64), x)], p.ark[i + 1])?);
    }
    let rounds = p.full + p.partial;
    let half = p.full / 2;
    for r in 0..rounds {
        // `state` already includes this round's constants.
        let full = r < half || r >= half + p.partial;
        if full {
            for (i, s) in state.iter_mut().enumerate() {
                let given = if r == 0 && i > 0 {
                    first.get(i - 1).cloned().flatten()
                } else {
                    None
                };
                *s = match given {
                    Some(v) => v,
                    None => sbox(s)?,
                };
            }
        } else {
            state[0] = sbox(&state[0])?;
        }
        // MDS mixing, folding in the next round's constants.
        let next: Vec<F> = if r + 1 < rounds {
            p.ark[(r + 1) * t..(r + 2) * t].to_vec()
        } else {
            vec![F::from(0u64); t]
        };
        // The last round only needs output 0.
        let outputs = if r + 1 == rounds { 1 } else { t };
        let mut new_state = Vec::with_capacity(t);
        for (i, c) in next.iter().enumerate().take(outputs) {
            let terms: Vec<(F, &Fv)> = p.mds[i].iter().copied().zip(state.iter()).collect();
            new_state.push(lincomb(&terms, *c)?);
        }
        state = new_state;
    }
    Ok(state.swap_remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_relations::gr1cs::ConstraintSystem;
    use echonet_rollup_primitives::poseidon::poseidon_slice;

    #[test]
    fn gadget_matches_light_poseidon_on_random_inputs() {
        let mut rng = ark_std::test_rng();
        for n in 1..=7 {
            let cs = ConstraintSystem::<F>::new_ref();
            let vals: Vec<F> = (0..n).map(|_| F::rand(&mut rng)).collect();
            let vars: Vec<Fv> = vals
                .iter()
                .map(|v| FpVar::new_witness(cs.clone(), || Ok(*v)).unwrap())
                .collect();
            let out = poseidon(&vars).unwrap();
            assert_eq!(
                out.value().unwrap(),
                poseidon_slice(&vals).unwrap(),
                "arity {n}"
            );
            assert!(cs.is_satisfied().unwrap());
            // Cost pin: 3 per S-box minus the free capacity S-box of round 0.
            let p = params(n + 1).unwrap();
            let expected = 3 * (p.full * p.width + p.partial) - 3;
            assert_eq!(cs.num_constraints(), expected, "arity {n}");
            // A wrong output is caught.
            let claimed = FpVar::new_witness(cs.clone(), || Ok(F::rand(&mut rng))).unwrap();
            out.enforce_equal(&claimed).unwrap();
            assert!(!cs.is_satisfied().unwrap());
        }
    }

    #[test]
    fn shared_first_round_gives_the_same_hash() {
        let mut rng = ark_std::test_rng();
        let cs = ConstraintSystem::<F>::new_ref();
        let vals: Vec<F> = (0..4).map(|_| F::rand(&mut rng)).collect();
        let vars: Vec<Fv> = vals
            .iter()
            .map(|v| FpVar::new_witness(cs.clone(), || Ok(*v)).unwrap())
            .collect();
        let s0 = first_round_sbox(4, 0, &vars[0]).unwrap();
        let s1 = first_round_sbox(4, 1, &vars[1]).unwrap();
        let n0 = cs.num_constraints();
        let out = poseidon_with_first_sboxes(&vars, &[Some(s0), Some(s1)]).unwrap();
        assert_eq!(cs.num_constraints() - n0, 297 - 6);
        assert_eq!(out.value().unwrap(), poseidon_slice(&vals).unwrap());
        assert!(cs.is_satisfied().unwrap());
    }

    #[test]
    fn tagged_gadget_matches_native_on_random_inputs() {
        use echonet_rollup_primitives::poseidon::{poseidon_tagged as native, DA_TAG};
        let mut rng = ark_std::test_rng();
        for tag in [0u128, DA_TAG, u128::rand(&mut rng)] {
            let vals: [F; 5] = std::array::from_fn(|_| F::rand(&mut rng));
            // Constant tag: free; variable tag: one more S-box.
            for (variable, extra) in [(false, 0), (true, 3)] {
                let cs = ConstraintSystem::<F>::new_ref();
                let vars: Vec<Fv> = vals
                    .iter()
                    .map(|v| FpVar::new_witness(cs.clone(), || Ok(*v)).unwrap())
                    .collect();
                let cap = if variable {
                    FpVar::new_witness(cs.clone(), || Ok(F::from(tag))).unwrap()
                } else {
                    FpVar::Constant(F::from(tag))
                };
                let out = poseidon_tagged(&cap, &vars).unwrap();
                assert_eq!(out.value().unwrap(), native(tag, &vals));
                assert!(cs.is_satisfied().unwrap());
                assert_eq!(cs.num_constraints(), 321 + extra);
            }
        }
    }

    #[test]
    fn constraint_counts() {
        for (n, c) in [(2usize, 240usize), (3, 261), (4, 297), (5, 321), (7, 381)] {
            let p = params(n + 1).unwrap();
            assert_eq!(3 * (p.full * p.width + p.partial) - 3, c, "arity {n}");
        }
    }
}
