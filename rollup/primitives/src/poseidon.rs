//! Poseidon over BN254 `Fr` with circom's parameters and output convention (`state[0]` after
//! the permutation, capacity element initialised to zero), computed by `light-poseidon`.
//!
//! The circuit has its own gadget (in `echonet-prover`) built from the same parameters, and a
//! test there checks both agree on random inputs.

use std::cell::RefCell;

use light_poseidon::{Poseidon, PoseidonHasher};

use crate::field::Fr;

/// Largest number of inputs we use (the batch commitment hashes 7 values).
pub const MAX_INPUTS: usize = 12;

thread_local! {
    // Building the parameters parses hundreds of constants; keep one hasher per arity.
    static HASHERS: RefCell<Vec<Option<Poseidon<Fr>>>> =
        RefCell::new((0..=MAX_INPUTS).map(|_| None).collect());
}

/// Poseidon hash of `N` field elements, `1 <= N <= 12`, as circomlib's `Poseidon(N)`.
///
/// The arity is a compile-time constant at every call site of this crate, so the only failure
/// of the underlying library (a wrong input count) cannot happen; that is asserted statically.
pub fn poseidon<const N: usize>(inputs: &[Fr; N]) -> Fr {
    const {
        assert!(
            N >= 1 && N <= MAX_INPUTS,
            "Poseidon arity must be in 1..=12"
        )
    };
    HASHERS.with(|cell| {
        let mut hashers = cell.borrow_mut();
        let slot = &mut hashers[N];
        let hasher = slot.get_or_insert_with(|| {
            Poseidon::<Fr>::new_circom(N).expect("circom parameters exist for 1..=12 inputs")
        });
        hasher
            .hash(inputs)
            .expect("input count equals the hasher's arity")
    })
}

/// Poseidon of a runtime-sized slice (for tools and cross-checks).
pub fn poseidon_slice(inputs: &[Fr]) -> Result<Fr, light_poseidon::PoseidonError> {
    if inputs.is_empty() || inputs.len() > MAX_INPUTS {
        return Err(light_poseidon::PoseidonError::InvalidNumberOfInputs {
            inputs: inputs.len(),
            max_limit: MAX_INPUTS,
            width: inputs.len() + 1,
        });
    }
    Poseidon::<Fr>::new_circom(inputs.len())?.hash(inputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::fr_from_decimal;

    #[test]
    fn matches_circomlib_reference_values() {
        // circomlibjs: poseidon([1, 2]) and poseidon([1, 2, 3, 4]).
        assert_eq!(
            poseidon(&[Fr::from(1u64), Fr::from(2u64)]),
            fr_from_decimal(
                "7853200120776062878684798364095072458815029376092732009249414926327459813530"
            )
            .unwrap()
        );
        assert_eq!(
            poseidon(&[
                Fr::from(1u64),
                Fr::from(2u64),
                Fr::from(3u64),
                Fr::from(4u64)
            ]),
            fr_from_decimal(
                "18821383157269793795438455681495246036402687001665670618754263018637548127333"
            )
            .unwrap()
        );
        assert!(poseidon_slice(&[]).is_err());
        assert_eq!(
            poseidon_slice(&[Fr::from(1u64), Fr::from(2u64)]).unwrap(),
            poseidon(&[Fr::from(1u64), Fr::from(2u64)])
        );
    }
}
