//! Poseidon over BN254 `Fr` with circom's parameters and output convention (`state[0]` after
//! the permutation, capacity element initialised to zero), computed by `light-poseidon`.
//!
//! **Domain separation.** Four uses hash five inputs: the EdDSA challenge, and the deposit,
//! withdrawal and DA hash chains. The challenge must stay circomlib's (capacity 0). Each chain
//! step instead starts the permutation with its own constant in the capacity element
//! ([`poseidon_tagged`], circomlib's `PoseidonEx` `initialState`, circomlibjs'
//! `poseidon(inputs, initState)`): the capacity is never an input, so no choice of inputs
//! makes two uses permute the same state, at every step of a chain and not only the first.
//! The tags are [`DEPOSITS_TAG`], [`WITHDRAWALS_TAG`] and [`DA_TAG`] (ASCII, big-endian).
//! Other arities (2 Merkle nodes, 3 the signed message, 4 leaves, 7 the public input) have
//! one use each and a permutation of their own width.
//!
//! The circuit has its own gadget (in `echonet-prover`) built from the same parameters, and a
//! test there checks both agree on random inputs.

use std::cell::RefCell;

use light_poseidon::{Poseidon, PoseidonHasher};

use crate::field::Fr;

/// Capacity tag of the deposits hash chain: `"echonet.deposits"` read as a big-endian integer.
pub const DEPOSITS_TAG: u128 = u128::from_be_bytes(*b"echonet.deposits");
/// Capacity tag of the withdrawals hash chain: `"echonet.withdraw"`.
pub const WITHDRAWALS_TAG: u128 = u128::from_be_bytes(*b"echonet.withdraw");
/// Capacity tag of the DA hash chain: `"echonet.da.chain"`.
pub const DA_TAG: u128 = u128::from_be_bytes(*b"echonet.da.chain");

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

thread_local! {
    static TAGGED: RefCell<Vec<(usize, u128, Poseidon<Fr>)>> = const { RefCell::new(Vec::new()) };
}

/// Poseidon of `N` inputs with `tag` as the initial capacity element (see the module docs);
/// `tag = 0` is [`poseidon`].
pub fn poseidon_tagged<const N: usize>(tag: u128, inputs: &[Fr; N]) -> Fr {
    const {
        assert!(
            N >= 1 && N <= MAX_INPUTS,
            "Poseidon arity must be in 1..=12"
        )
    };
    TAGGED.with(|cell| {
        let mut hashers = cell.borrow_mut();
        let pos = match hashers.iter().position(|(n, t, _)| *n == N && *t == tag) {
            Some(pos) => pos,
            None => {
                let h = Poseidon::<Fr>::with_domain_tag_circom(N, Fr::from(tag))
                    .expect("circom parameters exist for 1..=12 inputs");
                hashers.push((N, tag, h));
                hashers.len() - 1
            }
        };
        hashers[pos]
            .2
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
        // circomlibjs: poseidon([1, 2, 3, 4, 5], 7) (initial state 7).
        let five = [1u64, 2, 3, 4, 5].map(Fr::from);
        assert_eq!(
            poseidon_tagged(7, &five),
            fr_from_decimal(
                "9862141147857124551345875338527839235871266060183969913060284472260840720938"
            )
            .unwrap()
        );
        assert_eq!(poseidon_tagged(0, &five), poseidon(&five));
        assert_ne!(poseidon_tagged(DEPOSITS_TAG, &five), poseidon(&five));
        assert_ne!(
            poseidon_tagged(DEPOSITS_TAG, &five),
            poseidon_tagged(WITHDRAWALS_TAG, &five)
        );
        assert_eq!(
            poseidon_slice(&[Fr::from(1u64), Fr::from(2u64)]).unwrap(),
            poseidon(&[Fr::from(1u64), Fr::from(2u64)])
        );
    }
}
