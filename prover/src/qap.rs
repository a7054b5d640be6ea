//! R1CS-to-QAP reductions: which polynomial the prover's H term encodes, and so which H query
//! a proving key carries.
//!
//! Both reductions put the constraints on the rows `0..m` of a multiplicative subgroup `H` of
//! size `n ≥ m + ℓ` (ℓ instance variables, `one` included) and add one row per instance
//! variable with `A = x_i`, `B = C = 0`; `A, B, C` are the polynomials through the rows and
//! `p = A·B − C` vanishes on `H`. They differ in how the prover hands `p(τ)/δ` to the key:
//!
//! * [`QapReduction::Libsnark`] (arkworks' own setup, [`ark_groth16::r1cs_to_qap::LibsnarkReduction`]):
//!   the prover divides by the vanishing polynomial, `h = p / (Xⁿ − 1)`, and the key holds
//!   `[τ^i·(τⁿ − 1)/δ]₁` for `i < n − 1`.
//! * [`QapReduction::Circom`] (snarkjs keys, [`CircomReduction`]): the prover never divides.
//!   Let `ω'` be a primitive `2n`-th root of unity, so that `ω'^{2i+1}` (`i < n`) is the coset
//!   `ω'·H` and `ω'^{2i}` is `H`. `p` has degree `≤ 2n − 2`, so it is fixed by its values on
//!   the `2n` points, and it is 0 on `H`: `p(τ) = Σ_{i<n} p(ω'^{2i+1})·L_{2i+1}(τ)` with
//!   `L_j` the Lagrange basis of the `2n`-point domain. snarkjs' key holds
//!   `[L_{2i+1}(τ)/δ]₁` (the odd entries of the prepared powers of tau for `2n`), and the
//!   prover's scalars are `p` on the coset: `A(ω'ω^i)·B(ω'ω^i) − C(ω'ω^i)`, computed with
//!   one inverse FFT on `H` and one FFT on the coset per polynomial.
//!
//! A key made for one reduction gives proofs that do not verify under the other, so a key
//! directory records its reduction ([`crate::keys::KeyMeta::reduction`]) and the prover picks
//! it from there. The two are also told apart by the H query's length (`n − 1` against `n`),
//! which [`QapReduction::fits_h_query`] checks before proving.

use ark_ff::PrimeField;
use ark_groth16::r1cs_to_qap::{evaluate_constraint, LibsnarkReduction, R1CSToQAP};
use ark_poly::EvaluationDomain;
use ark_relations::gr1cs::{ConstraintSystemRef, Matrix, SynthesisError};
use serde::{Deserialize, Serialize};

/// Which R1CS-to-QAP reduction a proving key was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QapReduction {
    /// arkworks' reduction (keys from [`crate::keys::setup_dev`] or arkworks' setup).
    #[default]
    Libsnark,
    /// circom/snarkjs' reduction (keys from a snarkjs ceremony, imported from a `.zkey`).
    Circom,
}

impl QapReduction {
    /// Whether an H query of `len` points fits this reduction: `n − 1` points for libsnark,
    /// `n` for circom, with `n` the (power of two) domain size.
    pub fn fits_h_query(self, len: usize) -> bool {
        match self {
            QapReduction::Libsnark => len.checked_add(1).is_some_and(usize::is_power_of_two),
            QapReduction::Circom => len.is_power_of_two(),
        }
    }

    /// The H query's length for a domain of `domain_size` points.
    pub fn h_query_len(self, domain_size: usize) -> usize {
        match self {
            QapReduction::Libsnark => domain_size.saturating_sub(1),
            QapReduction::Circom => domain_size,
        }
    }
}

/// circom/snarkjs' R1CS-to-QAP reduction (see the module doc), for proving with keys from a
/// snarkjs ceremony. It can also generate keys (for tests): the instance map is the same as
/// libsnark's, only the H query differs.
pub struct CircomReduction;

impl R1CSToQAP for CircomReduction {
    fn instance_map_with_evaluation<F: PrimeField, D: EvaluationDomain<F>>(
        cs: ConstraintSystemRef<F>,
        t: &F,
    ) -> Result<(Vec<F>, Vec<F>, Vec<F>, F, usize, usize), SynthesisError> {
        // The rows and the domain are the same; the generator gets the domain size back as
        // `m_raw` and passes `m_raw − 1` to `h_query_scalars`.
        LibsnarkReduction::instance_map_with_evaluation::<F, D>(cs, t)
    }

    fn witness_map_from_matrices<F: PrimeField, D: EvaluationDomain<F>>(
        matrices: &[Matrix<F>],
        num_inputs: usize,
        num_constraints: usize,
        full_assignment: &[F],
    ) -> Result<Vec<F>, SynthesisError> {
        let [a_rows, b_rows, c_rows] = matrices else {
            return Err(SynthesisError::ArityMismatch);
        };
        let rows = num_constraints
            .checked_add(num_inputs)
            .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let domain = D::new(rows).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let n = domain.size();
        let double = D::new(2 * n).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        // ω' with ω'² = ω: the odd powers of the 2n-th root are the coset ω'·H.
        let coset = domain
            .get_coset(double.group_gen())
            .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;

        let eval = |rows: &Matrix<F>| -> Vec<F> {
            let mut v = vec![F::zero(); n];
            for (slot, row) in v.iter_mut().zip(rows.iter().take(num_constraints)) {
                *slot = evaluate_constraint(row, full_assignment);
            }
            v
        };
        let mut a = eval(a_rows);
        // The instance rows: A = x_i, B = C = 0.
        let inputs = full_assignment
            .get(..num_inputs)
            .ok_or(SynthesisError::AssignmentMissing)?;
        a[num_constraints..rows].copy_from_slice(inputs);
        let mut b = eval(b_rows);
        let mut c = eval(c_rows);

        for v in [&mut a, &mut b, &mut c] {
            domain.ifft_in_place(v);
            coset.fft_in_place(v);
        }
        for ((a, b), c) in a.iter_mut().zip(&b).zip(&c) {
            *a = *a * b - c;
        }
        Ok(a)
    }

    fn h_query_scalars<F: PrimeField, D: EvaluationDomain<F>>(
        max_power: usize,
        t: F,
        _zt: F,
        delta_inverse: F,
    ) -> Result<Vec<F>, SynthesisError> {
        // `max_power` is the domain size n minus one (see `instance_map_with_evaluation`).
        let n = max_power + 1;
        let double = D::new(2 * n).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let lagrange = double.evaluate_all_lagrange_coefficients(t);
        Ok(lagrange
            .into_iter()
            .skip(1)
            .step_by(2)
            .map(|l| l * delta_inverse)
            .collect())
    }
}
