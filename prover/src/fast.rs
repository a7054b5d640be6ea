//! The prover for long-running provers: the R1CS matrices are built once per batch size and
//! kept, and each proof only computes the witness.
//!
//! [`crate::prove_with`] lets arkworks synthesize the whole circuit for every proof: it
//! allocates every linear combination, builds the A, B, C matrices and inlines them, although
//! they are the same for every batch of a given size (and the proving key is made from
//! them). [`PreparedProver`] builds them once ([`CircuitMatrices::build`], setup-mode
//! synthesis, exactly what the key was made from) and stores them compactly (row offsets,
//! `u32` variable indices and interned coefficients). A proof then:
//!
//! 1. synthesizes the circuit witness-only (`construct_matrices: false`): gadgets compute
//!    values, arkworks records no linear combination and no constraint;
//! 2. evaluates the cached rows on the assignment and checks `a·b = c` on every row, so an
//!    unsatisfied witness is [`ProverError::Unsatisfied`] before any multi-scalar
//!    multiplication (the check costs one field multiplication per constraint on top of the
//!    evaluations the QAP needs anyway);
//! 3. computes the QAP's H term for the key's [`QapReduction`] from those evaluations;
//! 4. computes the Groth16 proof `(A, B, C)` with arkworks' multi-scalar multiplications;
//! 5. verifies the proof against the key's verifying key before returning it, as
//!    [`crate::prove_with`] does.
//!
//! A farm worker loads the key once and calls [`PreparedProver::new`], then
//! [`PreparedProver::prove`] per batch. The matrices are the one extra memory cost: 8 bytes
//! per non-zero entry (inlined linear combinations make about 24 per constraint), about
//! 0.4 GB for a batch of 64, roughly the size of its proving key file.
//!
//! A one-off proof is cheaper through [`crate::prove_with`] (one synthesis instead of a
//! matrix build plus a witness synthesis).

use std::collections::HashMap;

use ark_bn254::{G1Projective, G2Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{FftField, Field, One, PrimeField, UniformRand, Zero};
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisError,
    SynthesisMode, R1CS_PREDICATE_LABEL,
};
use echonet_rollup_primitives::batch::BatchTrace;
use rayon::prelude::*;

use crate::{
    BatchCircuit, BatchWitness, Fr, Proof, ProverError, ProvingKey, QapReduction, VerifyingKey,
};

/// One sparse matrix: row `i`'s terms are `terms[starts[i]..starts[i + 1]]`, each a variable
/// index (arkworks' order: `one`, instance, witness) and an index into the coefficient table.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SparseRows {
    starts: Vec<usize>,
    terms: Vec<(u32, u32)>,
}

/// Coefficient table index of 1 (a term is then the variable's value).
const COEFF_ONE: u32 = 0;
/// Coefficient table index of −1.
const COEFF_MINUS_ONE: u32 = 1;

impl SparseRows {
    fn from_matrix(
        m: &Matrix<Fr>,
        num_vars: usize,
        coeffs: &mut Vec<Fr>,
        interned: &mut HashMap<Fr, u32>,
    ) -> Result<Self, ProverError> {
        let mut starts = Vec::with_capacity(m.len() + 1);
        let mut terms = Vec::with_capacity(m.iter().map(Vec::len).sum());
        starts.push(0);
        for row in m {
            for &(coeff, var) in row {
                if var >= num_vars {
                    return Err(ProverError::KeyCheck(format!(
                        "constraint matrix names variable {var} of {num_vars}"
                    )));
                }
                let var = u32::try_from(var).map_err(|_| too_large())?;
                let c = match interned.get(&coeff) {
                    Some(&c) => c,
                    None => {
                        let c = u32::try_from(coeffs.len()).map_err(|_| too_large())?;
                        coeffs.push(coeff);
                        interned.insert(coeff, c);
                        c
                    }
                };
                terms.push((var, c));
            }
            starts.push(terms.len());
        }
        Ok(SparseRows { starts, terms })
    }

    fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    /// `⟨row i, z⟩`. Callers guarantee `i < rows()` and that `z` covers every variable
    /// (checked when the matrices are built and before each evaluation).
    #[inline]
    fn eval(&self, i: usize, coeffs: &[Fr], z: &[Fr]) -> Fr {
        let mut sum = Fr::zero();
        for &(var, c) in &self.terms[self.starts[i]..self.starts[i + 1]] {
            let v = z[var as usize];
            match c {
                COEFF_ONE => sum += v,
                COEFF_MINUS_ONE => sum -= v,
                _ => sum += v * coeffs[c as usize],
            }
        }
        sum
    }
}

fn too_large() -> ProverError {
    ProverError::KeyCheck("constraint system too large for the prepared prover".into())
}

/// The batch circuit's R1CS for one batch size, as Groth16 uses it (setup-mode synthesis,
/// constraint-count optimisation, linear combinations inlined: the matrices the proving key
/// was made from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitMatrices {
    batch_size: usize,
    num_instance: usize,
    num_witness: usize,
    coeffs: Vec<Fr>,
    a: SparseRows,
    b: SparseRows,
    c: SparseRows,
}

impl CircuitMatrices {
    /// Synthesizes the circuit for `batch_size` in setup mode and keeps its matrices. Takes
    /// about as long as one synthesis for proving (6 s for 64 slots).
    pub fn build(batch_size: usize) -> Result<Self, ProverError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        BatchCircuit::new(BatchWitness::blank(batch_size)).generate_constraints(cs.clone())?;
        cs.finalize();
        for (label, count) in cs.get_all_predicates_num_constraints() {
            if label != R1CS_PREDICATE_LABEL && count > 0 {
                return Err(ProverError::KeyCheck(format!(
                    "circuit has {count} constraints of predicate {label}"
                )));
            }
        }
        let num_instance = cs.num_instance_variables();
        let num_witness = cs.num_witness_variables();
        let num_vars = num_instance + num_witness;
        let matrices = cs.to_matrices()?;
        drop(cs);
        let Some([a, b, c]) = matrices.get(R1CS_PREDICATE_LABEL).map(Vec::as_slice) else {
            return Err(SynthesisError::PredicateNotFound.into());
        };
        let mut coeffs = vec![Fr::one(), -Fr::one()];
        let mut interned = HashMap::from([(Fr::one(), COEFF_ONE), (-Fr::one(), COEFF_MINUS_ONE)]);
        let a = SparseRows::from_matrix(a, num_vars, &mut coeffs, &mut interned)?;
        let b = SparseRows::from_matrix(b, num_vars, &mut coeffs, &mut interned)?;
        let c = SparseRows::from_matrix(c, num_vars, &mut coeffs, &mut interned)?;
        if a.rows() != b.rows() || a.rows() != c.rows() {
            return Err(SynthesisError::ArityMismatch.into());
        }
        Ok(CircuitMatrices {
            batch_size,
            num_instance,
            num_witness,
            coeffs,
            a,
            b,
            c,
        })
    }

    /// The batch size these matrices are for.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Number of constraints.
    pub fn num_constraints(&self) -> usize {
        self.a.rows()
    }

    /// Instance variables, `one` included.
    pub fn num_instance(&self) -> usize {
        self.num_instance
    }

    /// Witness variables.
    pub fn num_witness(&self) -> usize {
        self.num_witness
    }

    /// Non-zero entries of A, B and C together.
    pub fn num_terms(&self) -> usize {
        self.a.terms.len() + self.b.terms.len() + self.c.terms.len()
    }

    /// Size of the evaluation domain (constraints plus instance rows, rounded up to a power
    /// of two).
    fn domain(&self) -> Result<GeneralEvaluationDomain<Fr>, ProverError> {
        GeneralEvaluationDomain::new(self.num_constraints() + self.num_instance).ok_or(
            ProverError::Synthesis(SynthesisError::PolynomialDegreeTooLarge),
        )
    }

    /// Checks that `pk` was made for a circuit of this shape and for `reduction`.
    fn check_key(&self, pk: &ProvingKey, reduction: QapReduction) -> Result<(), ProverError> {
        let vars = self.num_instance + self.num_witness;
        let fail = |m: String| Err(ProverError::KeyCheck(m));
        if pk.vk.gamma_abc_g1.len() != self.num_instance {
            return fail(format!(
                "key has {} instance variables, the circuit for batch size {} has {}",
                pk.vk.gamma_abc_g1.len(),
                self.batch_size,
                self.num_instance
            ));
        }
        if pk.a_query.len() != vars || pk.b_g1_query.len() != vars || pk.b_g2_query.len() != vars {
            return fail(format!(
                "key has {} variables, the circuit for batch size {} has {vars}",
                pk.a_query.len(),
                self.batch_size
            ));
        }
        if pk.l_query.len() != self.num_witness {
            return fail(format!(
                "key has {} witness variables, the circuit for batch size {} has {}",
                pk.l_query.len(),
                self.batch_size,
                self.num_witness
            ));
        }
        if !reduction.fits_h_query(pk.h_query.len()) {
            return Err(ProverError::WrongReduction {
                reduction,
                h_query_len: pk.h_query.len(),
            });
        }
        let n = self.domain()?.size();
        if pk.h_query.len() != reduction.h_query_len(n) {
            return fail(format!(
                "key's H query has {} points, the circuit's domain needs {}",
                pk.h_query.len(),
                reduction.h_query_len(n)
            ));
        }
        Ok(())
    }

    /// Evaluates A, B, C on the assignment `z` over the whole domain (instance rows: `A =
    /// x_i`, `B = C = 0`). Returns `None` if some constraint has `a·b ≠ c`.
    fn evaluate(&self, z: &[Fr], n: usize) -> Option<[Vec<Fr>; 3]> {
        let m = self.num_constraints();
        let mut a = vec![Fr::zero(); n];
        let mut b = vec![Fr::zero(); n];
        let mut c = vec![Fr::zero(); n];
        const CHUNK: usize = 4096;
        let satisfied = a[..m]
            .par_chunks_mut(CHUNK)
            .zip(b[..m].par_chunks_mut(CHUNK))
            .zip(c[..m].par_chunks_mut(CHUNK))
            .enumerate()
            .all(|(k, ((a, b), c))| {
                let first = k * CHUNK;
                let mut ok = true;
                for (j, ((a, b), c)) in a.iter_mut().zip(b).zip(c).enumerate() {
                    let i = first + j;
                    *a = self.a.eval(i, &self.coeffs, z);
                    *b = self.b.eval(i, &self.coeffs, z);
                    *c = self.c.eval(i, &self.coeffs, z);
                    ok &= *a * *b == *c;
                }
                ok
            });
        if !satisfied {
            return None;
        }
        a[m..m + self.num_instance].copy_from_slice(&z[..self.num_instance]);
        Some([a, b, c])
    }
}

/// The H scalars for `reduction` from the evaluations of A, B, C on the domain `h`.
fn h_scalars(
    reduction: QapReduction,
    domain: GeneralEvaluationDomain<Fr>,
    [mut a, mut b, mut c]: [Vec<Fr>; 3],
) -> Result<Vec<Fr>, ProverError> {
    let degree = || ProverError::Synthesis(SynthesisError::PolynomialDegreeTooLarge);
    let n = domain.size();
    // Both reductions evaluate A, B, C on a coset of H, where the vanishing polynomial
    // `Xⁿ − 1` is the constant `gⁿ − 1`.
    let offset = match reduction {
        // Any coset gives the same quotient polynomial; the field's generator is not in H.
        QapReduction::Libsnark => Fr::GENERATOR,
        // circom: the odd powers of a 2n-th root of unity (see `crate::qap`).
        QapReduction::Circom => GeneralEvaluationDomain::<Fr>::new(2 * n)
            .ok_or_else(degree)?
            .group_gen(),
    };
    let coset = domain.get_coset(offset).ok_or_else(degree)?;
    for v in [&mut a, &mut b, &mut c] {
        domain.ifft_in_place(v);
        coset.fft_in_place(v);
    }
    match reduction {
        QapReduction::Libsnark => {
            // h = (A·B − C) / (Xⁿ − 1), as coefficients (degree ≤ n − 2).
            let z_inv = (offset.pow([n as u64]) - Fr::one())
                .inverse()
                .ok_or_else(degree)?;
            a.par_iter_mut()
                .zip(&b)
                .zip(&c)
                .for_each(|((a, b), c)| *a = (*a * b - c) * z_inv);
            coset.ifft_in_place(&mut a);
        }
        QapReduction::Circom => {
            // snarkjs' key takes A·B − C on the coset as is.
            a.par_iter_mut()
                .zip(&b)
                .zip(&c)
                .for_each(|((a, b), c)| *a = *a * b - c);
        }
    }
    Ok(a)
}

/// A proving key with its circuit's matrices, for proving many batches of one size.
#[derive(Debug, Clone)]
pub struct PreparedProver {
    pk: ProvingKey,
    reduction: QapReduction,
    matrices: CircuitMatrices,
}

impl PreparedProver {
    /// Builds the matrices for `batch_size` ([`CircuitMatrices::build`]) and checks that `pk`
    /// (made for `reduction`) fits them.
    pub fn new(
        pk: ProvingKey,
        reduction: QapReduction,
        batch_size: usize,
    ) -> Result<Self, ProverError> {
        let matrices = CircuitMatrices::build(batch_size)?;
        Self::with_matrices(pk, reduction, batch_size, matrices)
    }

    /// Like [`PreparedProver::new`] with matrices already built (e.g. shared by provers with
    /// different keys). Matrices for another batch size are refused.
    pub fn with_matrices(
        pk: ProvingKey,
        reduction: QapReduction,
        batch_size: usize,
        matrices: CircuitMatrices,
    ) -> Result<Self, ProverError> {
        if matrices.batch_size != batch_size {
            return Err(ProverError::BatchSizeMismatch {
                got: matrices.batch_size,
                expected: batch_size,
            });
        }
        matrices.check_key(&pk, reduction)?;
        Ok(PreparedProver {
            pk,
            reduction,
            matrices,
        })
    }

    /// The batch size this prover proves.
    pub fn batch_size(&self) -> usize {
        self.matrices.batch_size
    }

    /// The QAP reduction the key was made for.
    pub fn reduction(&self) -> QapReduction {
        self.reduction
    }

    /// The proving key.
    pub fn proving_key(&self) -> &ProvingKey {
        &self.pk
    }

    /// The verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.pk.vk
    }

    /// The cached matrices.
    pub fn matrices(&self) -> &CircuitMatrices {
        &self.matrices
    }

    /// Gives the proving key back (the matrices are dropped).
    pub fn into_proving_key(self) -> ProvingKey {
        self.pk
    }

    /// Proves an executed batch. Returns the proof, already verified, and its public input.
    pub fn prove(
        &self,
        trace: &BatchTrace,
        rng: &mut (impl rand::RngCore + rand::CryptoRng),
    ) -> Result<(Proof, Fr), ProverError> {
        if trace.batch_size != self.batch_size() {
            return Err(ProverError::BatchSizeMismatch {
                got: trace.batch_size,
                expected: self.batch_size(),
            });
        }
        self.prove_witness(BatchWitness::from_trace(trace)?, rng)
    }

    /// Proves a witness. Returns the proof, already verified, and its public input.
    pub fn prove_witness(
        &self,
        witness: BatchWitness,
        rng: &mut (impl rand::RngCore + rand::CryptoRng),
    ) -> Result<(Proof, Fr), ProverError> {
        if witness.slots.len() != self.batch_size() {
            return Err(ProverError::BatchSizeMismatch {
                got: witness.slots.len(),
                expected: self.batch_size(),
            });
        }
        let public = witness.commitment;
        let z = self.assignment(witness)?;
        let proof = self.prove_assignment(&z, rng)?;
        // As in `crate::prove_with`: never hand out a proof that does not verify.
        if !crate::verify(&self.pk.vk, &[public], &proof)? {
            return Err(ProverError::Unsatisfied);
        }
        Ok((proof, public))
    }

    /// Witness-only synthesis: the full assignment `(one, instance…, witness…)`.
    pub fn assignment(&self, witness: BatchWitness) -> Result<Vec<Fr>, ProverError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: false,
            generate_lc_assignments: false,
        });
        BatchCircuit::new(witness).generate_constraints(cs.clone())?;
        let cs = cs
            .into_inner()
            .ok_or(ProverError::Synthesis(SynthesisError::MissingCS))?;
        let m = &self.matrices;
        if cs.num_instance_variables() != m.num_instance
            || cs.num_witness_variables() != m.num_witness
        {
            return Err(ProverError::KeyCheck(format!(
                "witness synthesis made {} instance and {} witness variables, the matrices have {} and {}",
                cs.num_instance_variables(),
                cs.num_witness_variables(),
                m.num_instance,
                m.num_witness
            )));
        }
        let mut z = cs.assignments.instance_assignment;
        z.extend_from_slice(&cs.assignments.witness_assignment);
        if z.len() != m.num_instance + m.num_witness {
            return Err(ProverError::Synthesis(SynthesisError::AssignmentMissing));
        }
        Ok(z)
    }

    /// Groth16 with the cached matrices, for a full assignment `z` (`z[0] = 1`). Errors with
    /// [`ProverError::Unsatisfied`] if `z` breaks a constraint.
    fn prove_assignment(
        &self,
        z: &[Fr],
        rng: &mut (impl rand::RngCore + rand::CryptoRng),
    ) -> Result<Proof, ProverError> {
        let m = &self.matrices;
        let pk = &self.pk;
        if z.len() != m.num_instance + m.num_witness || z.first() != Some(&Fr::one()) {
            return Err(ProverError::Synthesis(SynthesisError::AssignmentMissing));
        }
        let domain = m.domain()?;
        let evals = m
            .evaluate(z, domain.size())
            .ok_or(ProverError::Unsatisfied)?;
        let h = h_scalars(self.reduction, domain, evals)?;

        let r = Fr::rand(rng);
        let s = Fr::rand(rng);
        let h: Vec<_> = h.into_par_iter().map(|x| x.into_bigint()).collect();
        let h_acc = G1Projective::msm_bigint(&pk.h_query, &h);
        drop(h);
        let z: Vec<_> = z.par_iter().map(|x| x.into_bigint()).collect();
        let l_acc = G1Projective::msm_bigint(&pk.l_query, &z[m.num_instance..]);
        // A = α + Σ zᵢ·Aᵢ(τ) + r·δ, B = β + Σ zᵢ·Bᵢ(τ) + s·δ (in G1 and G2),
        // C = s·A + r·B − r·s·δ + Σ_witness wⱼ·Lⱼ + H.
        let g_a = G1Projective::msm_bigint(&pk.a_query, &z) + pk.vk.alpha_g1 + pk.delta_g1 * r;
        let g1_b = G1Projective::msm_bigint(&pk.b_g1_query, &z) + pk.beta_g1 + pk.delta_g1 * s;
        let g2_b =
            G2Projective::msm_bigint(&pk.b_g2_query, &z) + pk.vk.beta_g2 + pk.vk.delta_g2 * s;
        let g_c = g_a * s + g1_b * r - pk.delta_g1 * (r * s) + l_acc + h_acc;
        Ok(Proof {
            a: g_a.into_affine(),
            b: g2_b.into_affine(),
            c: g_c.into_affine(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fused evaluation and both H computations agree with arkworks' and our
    /// `CircomReduction`'s witness maps on the same matrices and assignment.
    #[test]
    fn h_matches_arkworks_reductions() {
        use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
        let trace =
            crate::sample::sample_batch(1, crate::sample::SampleKind::Transfers).expect("sample");
        let witness = BatchWitness::from_trace(&trace).expect("witness");
        let (pk, _) = crate::keys::setup_dev(1, 0).expect("setup");
        let prover = PreparedProver::new(pk, QapReduction::Libsnark, 1).expect("prepare");
        let z = prover.assignment(witness.clone()).expect("assignment");

        // arkworks' own matrices, from a proving-mode synthesis of the same witness.
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: true,
            generate_lc_assignments: false,
        });
        BatchCircuit::new(witness)
            .generate_constraints(cs.clone())
            .expect("synthesis");
        cs.finalize();
        let ark = cs.to_matrices().expect("matrices")[R1CS_PREDICATE_LABEL].clone();
        let full = {
            let cs = cs.borrow().expect("cs");
            [
                cs.instance_assignment().expect("instance").to_vec(),
                cs.witness_assignment().expect("witness").to_vec(),
            ]
            .concat()
        };
        assert_eq!(z, full, "witness-only synthesis assigns the same values");
        let m = prover.matrices();
        let (inputs, constraints) = (m.num_instance(), m.num_constraints());
        assert_eq!(constraints, cs.num_constraints());

        let domain = m.domain().expect("domain");
        for (reduction, expected) in [
            (
                QapReduction::Libsnark,
                LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(
                    &ark,
                    inputs,
                    constraints,
                    &full,
                )
                .expect("libsnark"),
            ),
            (
                QapReduction::Circom,
                crate::qap::CircomReduction::witness_map_from_matrices::<
                    Fr,
                    GeneralEvaluationDomain<Fr>,
                >(&ark, inputs, constraints, &full)
                .expect("circom"),
            ),
        ] {
            let evals = m.evaluate(&z, domain.size()).expect("satisfied");
            let ours = h_scalars(reduction, domain, evals).expect("h");
            let len = reduction.h_query_len(domain.size());
            assert_eq!(ours[..len], expected[..len], "{reduction:?}");
            assert!(ours[len..].iter().all(Zero::is_zero), "{reduction:?}");
        }

        // The row check catches a changed witness value before any MSM, and a changed public
        // input (through the instance row and the constraint enforcing it).
        for i in [1, inputs, z.len() - 1] {
            let mut bad = z.clone();
            bad[i] += Fr::one();
            assert!(m.evaluate(&bad, domain.size()).is_none(), "variable {i}");
        }
    }
}
