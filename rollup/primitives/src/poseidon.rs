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
//!
//! ## Speed
//!
//! Both entry points run one implementation ([`poseidon`] is `poseidon_tagged(0, ..)`) with the
//! constants of `light-poseidon` (circom's), rearranged once per width into the optimised form
//! of the Poseidon paper's appendix B (circomlib's `poseidon_opt`, neptune):
//!
//! * in a partial round only `state[0]` goes through the S-box, so the round constants of the
//!   other elements are pushed through the linear layer into the next round: a partial round
//!   adds one constant, and the first full round after the partial rounds absorbs the rest;
//! * the MDS matrix of each partial round is factored as `S·D`, `D = diag(1, D̂)` and `S`
//!   sparse (first row, first column and the identity); `D` commutes with the partial S-box,
//!   so it moves into the round before, and a partial round costs `2t − 1` multiplications
//!   instead of `t²` (the last full round before the partial rounds takes the dense product);
//! * matrix rows are applied with `Fr::sum_of_products` (one Montgomery reduction per three
//!   products), the state is a fixed-size array (no allocation per call), and the tables are
//!   built once per width and shared by all threads.
//!
//! The rearrangement is exact field arithmetic, so outputs are bit-for-bit circomlib's: the
//! circomlibjs vectors (tests/it) and a seeded random test against a textbook permutation
//! (and against `light-poseidon` itself) pin them.

use std::any::Any;
use std::sync::OnceLock;

use ark_ff::{Field, Zero};
use light_poseidon::parameters::bn254_x5::get_poseidon_parameters;

use crate::field::Fr;

/// Capacity tag of the deposits hash chain: `"echonet.deposits"` read as a big-endian integer.
pub const DEPOSITS_TAG: u128 = u128::from_be_bytes(*b"echonet.deposits");
/// Capacity tag of the withdrawals hash chain: `"echonet.withdraw"`.
pub const WITHDRAWALS_TAG: u128 = u128::from_be_bytes(*b"echonet.withdraw");
/// Capacity tag of the DA hash chain: `"echonet.da.chain"`.
pub const DA_TAG: u128 = u128::from_be_bytes(*b"echonet.da.chain");

/// Largest number of inputs we use (the batch commitment hashes 7 values).
pub const MAX_INPUTS: usize = 12;

/// Poseidon hash of `N` field elements, `1 <= N <= 12`, as circomlib's `Poseidon(N)`.
///
/// The arity is a compile-time constant at every call site of this crate, so a wrong input
/// count cannot happen; that is asserted statically.
pub fn poseidon<const N: usize>(inputs: &[Fr; N]) -> Fr {
    poseidon_tagged(0, inputs)
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
    hash_any_width(Fr::from(tag), inputs)
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
    Ok(hash_any_width(Fr::zero(), inputs))
}

/// Dispatches to the permutation of width `inputs.len() + 1`; callers have checked
/// `1 <= inputs.len() <= MAX_INPUTS` (statically for the const-generic entry points).
fn hash_any_width(capacity: Fr, inputs: &[Fr]) -> Fr {
    macro_rules! widths {
        ($($w:literal)*) => {
            match inputs.len() + 1 {
                $($w => hash_width::<$w>(capacity, inputs),)*
                _ => unreachable!("callers check 1 <= inputs <= MAX_INPUTS"),
            }
        };
    }
    widths!(2 3 4 5 6 7 8 9 10 11 12 13)
}

fn hash_width<const W: usize>(capacity: Fr, inputs: &[Fr]) -> Fr {
    let mut state = [Fr::zero(); W];
    state[0] = capacity;
    state[1..].copy_from_slice(inputs);
    tables::<W>().permute(&mut state);
    state[0]
}

/// `x^5`, the S-box.
#[inline(always)]
fn sbox(x: &mut Fr) {
    let x2 = x.square();
    let x4 = x2.square();
    *x *= x4;
}

/// `state <- m · state` for a dense `m` (row `i` gives output `i`).
#[inline(always)]
fn dense<const W: usize>(m: &[[Fr; W]; W], state: &mut [Fr; W]) {
    let input = *state;
    for (out, row) in state.iter_mut().zip(m) {
        *out = Fr::sum_of_products(row, &input);
    }
}

/// A partial round's sparse matrix `[[m00, row], [col, I]]`.
struct Sparse<const W: usize> {
    /// First row, `m00` included.
    row: [Fr; W],
    /// First column below `m00` (`col[0]` unused, zero).
    col: [Fr; W],
}

/// The optimised constants of one width (see the module docs).
struct Tables<const W: usize> {
    /// Round constants of the full rounds, in order; the first full round after the partial
    /// rounds carries the constants pushed out of them.
    full_constants: Vec<[Fr; W]>,
    /// The MDS matrix.
    mds: [[Fr; W]; W],
    /// `D · MDS`: the matrix of the last full round before the partial rounds.
    pre_sparse: [[Fr; W]; W],
    /// The one constant each partial round adds to `state[0]`.
    partial_constants: Vec<Fr>,
    /// The sparse matrix of each partial round.
    sparse: Vec<Sparse<W>>,
}

/// One table per width, built on first use and shared by all threads. Index `w` always holds
/// a `Tables<w>`.
static TABLES: [OnceLock<Box<dyn Any + Send + Sync>>; MAX_INPUTS + 2] =
    [const { OnceLock::new() }; MAX_INPUTS + 2];

fn tables<const W: usize>() -> &'static Tables<W> {
    TABLES[W]
        .get_or_init(|| Box::new(Tables::<W>::build()))
        .downcast_ref::<Tables<W>>()
        .expect("slot W holds Tables<W>")
}

impl<const W: usize> Tables<W> {
    /// Rearranges circom's constants for width `W` (called for `2 <= W <= 13` only).
    fn build() -> Self {
        let p = get_poseidon_parameters::<Fr>(W as u8)
            .expect("circom parameters exist for widths 2..=13");
        assert!(
            p.width == W && p.alpha == 5 && p.full_rounds.is_multiple_of(2),
            "circom's Poseidon parameters have width W and x^5"
        );
        let half = p.full_rounds / 2;
        let rounds = p.full_rounds + p.partial_rounds;
        let constant = |r: usize| -> [Fr; W] { std::array::from_fn(|i| p.ark[r * W + i]) };
        let mds: [[Fr; W]; W] = std::array::from_fn(|i| std::array::from_fn(|j| p.mds[i][j]));

        // Partial-round constants: keep `c[0]`, push the rest through the MDS matrix.
        let mut partial_constants = Vec::with_capacity(p.partial_rounds);
        let mut carry = [Fr::zero(); W];
        for r in half..half + p.partial_rounds {
            let c = constant(r);
            let mut v: [Fr; W] = std::array::from_fn(|i| c[i] + carry[i]);
            partial_constants.push(v[0]);
            v[0] = Fr::zero();
            carry = mat_vec(&mds, &v);
        }
        let mut full_constants: Vec<[Fr; W]> = (0..half)
            .chain(half + p.partial_rounds..rounds)
            .map(constant)
            .collect();
        for (c, k) in full_constants[half].iter_mut().zip(carry) {
            *c += k;
        }

        // Partial-round matrices, from the last round back: factor `A = S · diag(1, Â)` and
        // move `diag(1, Â)` into the round before (`A_prev = diag(1, Â) · MDS`).
        let mut sparse = Vec::with_capacity(p.partial_rounds);
        let mut a = mds;
        for _ in 0..p.partial_rounds {
            let hat: Vec<Vec<Fr>> = (1..W).map(|i| a[i][1..].to_vec()).collect();
            let inv =
                invert(&hat).expect("the MDS submatrices of circom's Poseidon are invertible");
            let mut row = [Fr::zero(); W];
            row[0] = a[0][0];
            for j in 1..W {
                row[j] = (1..W).map(|k| a[0][k] * inv[k - 1][j - 1]).sum();
            }
            let mut col = [Fr::zero(); W];
            for i in 1..W {
                col[i] = a[i][0];
            }
            sparse.push(Sparse { row, col });
            let mut d = [[Fr::zero(); W]; W];
            d[0][0] = Fr::ONE;
            for i in 1..W {
                d[i][1..].copy_from_slice(&a[i][1..]);
            }
            a = mat_mul(&d, &mds);
        }
        sparse.reverse();
        Tables {
            full_constants,
            mds,
            pre_sparse: a,
            partial_constants,
            sparse,
        }
    }

    fn permute(&self, state: &mut [Fr; W]) {
        let half = self.full_constants.len() / 2;
        for (r, c) in self.full_constants[..half].iter().enumerate() {
            for (s, c) in state.iter_mut().zip(c) {
                *s += c;
                sbox(s);
            }
            let m = if r + 1 == half {
                &self.pre_sparse
            } else {
                &self.mds
            };
            dense(m, state);
        }
        for (k, m) in self.partial_constants.iter().zip(&self.sparse) {
            state[0] += k;
            sbox(&mut state[0]);
            let x0 = state[0];
            state[0] = Fr::sum_of_products(&m.row, state);
            for (s, c) in state.iter_mut().zip(&m.col).skip(1) {
                *s += *c * x0;
            }
        }
        for c in &self.full_constants[half..] {
            for (s, c) in state.iter_mut().zip(c) {
                *s += c;
                sbox(s);
            }
            dense(&self.mds, state);
        }
    }
}

fn mat_vec<const W: usize>(m: &[[Fr; W]; W], v: &[Fr; W]) -> [Fr; W] {
    std::array::from_fn(|i| (0..W).map(|j| m[i][j] * v[j]).sum())
}

fn mat_mul<const W: usize>(a: &[[Fr; W]; W], b: &[[Fr; W]; W]) -> [[Fr; W]; W] {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..W).map(|k| a[i][k] * b[k][j]).sum()))
}

/// Inverse of a square matrix by Gauss-Jordan elimination; `None` if it is singular.
fn invert(m: &[Vec<Fr>]) -> Option<Vec<Vec<Fr>>> {
    let n = m.len();
    let mut a: Vec<Vec<Fr>> = m
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut r = row.clone();
            r.extend((0..n).map(|j| if i == j { Fr::ONE } else { Fr::zero() }));
            r
        })
        .collect();
    for col in 0..n {
        let pivot = (col..n).find(|&r| !a[r][col].is_zero())?;
        a.swap(col, pivot);
        let inv = a[col][col].inverse()?;
        for x in a[col].iter_mut() {
            *x *= inv;
        }
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col && !row[col].is_zero() {
                let f = row[col];
                for (x, p) in row.iter_mut().zip(&pivot_row) {
                    *x -= f * p;
                }
            }
        }
    }
    Some(a.into_iter().map(|r| r[n..].to_vec()).collect())
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

    /// `poseidon` is `poseidon_tagged(0, ..)` at every arity, on random inputs.
    #[test]
    fn untagged_is_tag_zero_on_random_inputs() {
        use ark_ff::UniformRand;
        let mut rng = ark_std::test_rng();
        macro_rules! check {
            ($($n:literal)*) => {$(
                for _ in 0..4 {
                    let x: [Fr; $n] = std::array::from_fn(|_| Fr::rand(&mut rng));
                    assert_eq!(poseidon(&x), poseidon_tagged(0, &x), "arity {}", $n);
                }
            )*};
        }
        check!(1 2 3 4 5 6 7 8 9 10 11 12);
    }

    /// The textbook permutation, straight from circom's constants: every round adds its
    /// constants, applies the S-box (to every element in a full round, to `state[0]` in a
    /// partial one) and multiplies by the dense MDS matrix.
    fn reference(capacity: Fr, inputs: &[Fr]) -> Fr {
        let p = get_poseidon_parameters::<Fr>((inputs.len() + 1) as u8).unwrap();
        let w = p.width;
        let mut state = vec![capacity];
        state.extend_from_slice(inputs);
        let half = p.full_rounds / 2;
        for r in 0..p.full_rounds + p.partial_rounds {
            for (i, s) in state.iter_mut().enumerate() {
                *s += p.ark[r * w + i];
            }
            let full = r < half || r >= half + p.partial_rounds;
            for s in state.iter_mut().take(if full { w } else { 1 }) {
                *s = s.pow([5u64]);
            }
            state = (0..w)
                .map(|i| (0..w).map(|j| p.mds[i][j] * state[j]).sum())
                .collect();
        }
        state[0]
    }

    /// The optimised permutation against the textbook one and against `light-poseidon`, at
    /// every arity, untagged and tagged, on seeded random inputs.
    #[test]
    fn fast_path_matches_reference_on_random_inputs() {
        use ark_ff::UniformRand;
        use light_poseidon::{Poseidon, PoseidonHasher};
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x9051_d0e5);
        for n in 1..=MAX_INPUTS {
            for round in 0..6 {
                let x: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
                let tag: u128 = if round % 2 == 0 { 0 } else { rng.gen() };
                let want = reference(Fr::from(tag), &x);
                assert_eq!(
                    hash_any_width(Fr::from(tag), &x),
                    want,
                    "arity {n}, tag {tag}"
                );
                let mut lp = Poseidon::<Fr>::with_domain_tag_circom(n, Fr::from(tag)).unwrap();
                assert_eq!(lp.hash(&x).unwrap(), want, "light-poseidon, arity {n}");
                if tag == 0 {
                    assert_eq!(poseidon_slice(&x).unwrap(), want);
                }
            }
        }
        // The const-generic entry points at the arities the rollup uses.
        let x: [Fr; 7] = std::array::from_fn(|_| Fr::rand(&mut rng));
        assert_eq!(poseidon(&[x[0], x[1]]), reference(Fr::zero(), &x[..2]));
        assert_eq!(
            poseidon(&[x[0], x[1], x[2], x[3]]),
            reference(Fr::zero(), &x[..4])
        );
        assert_eq!(
            poseidon_tagged(DA_TAG, &[x[0], x[1], x[2], x[3], x[4]]),
            reference(Fr::from(DA_TAG), &x[..5])
        );
        assert_eq!(poseidon(&x), reference(Fr::zero(), &x));
    }
}
