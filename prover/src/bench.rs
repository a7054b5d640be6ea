//! The `benchmark` subcommand's measurements (run in release mode; never a test).
//!
//! Besides our circuit, it proves a "raw" circuit with the same number of constraints and
//! about the same number of witness variables (a chain of multiplications), with the same
//! arkworks, so that the overhead of our witness generation and synthesis can be stated as a
//! ratio against plain Groth16.

use std::time::Instant;

use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar, GR1CSVar};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, OptimizationGoal, SynthesisError,
    SynthesisMode,
};
use ark_snark::SNARK;
use rand::SeedableRng;

use crate::circuit::{BatchCircuit, BatchWitness};
use crate::sample::{sample_batch, SampleKind};
use crate::{keys, CircuitMatrices, PreparedProver, ProverError, ProvingKey, QapReduction};

/// A circuit of `n` multiplication constraints and one public input.
#[derive(Clone)]
pub struct RawCircuit {
    /// Number of constraints (and about that many witness variables).
    pub n: usize,
}

impl ConstraintSynthesizer<Fr> for RawCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let mut a = FpVar::new_witness(cs.clone(), || Ok(Fr::from(3u64)))?;
        let mut b = FpVar::new_witness(cs.clone(), || Ok(Fr::from(5u64)))?;
        for _ in 0..self.n.saturating_sub(1) {
            let c = &a * &b;
            a = b;
            b = c;
        }
        let public = FpVar::new_input(cs.clone(), || b.value())?;
        b.enforce_equal(&public)?;
        Ok(())
    }
}

/// Results of one benchmark run.
pub struct BenchResult {
    /// The proving key made for the run, so the caller can report its size.
    pub pk: ProvingKey,
    /// Seconds for the dev setup.
    pub setup_s: f64,
    /// Seconds to execute the sample batch natively and build its witness.
    pub witness_s: f64,
    /// Seconds to synthesize the circuit alone, in proving mode.
    pub synthesis_s: f64,
    /// Seconds for one proof through [`crate::prove_witness`], as the sequencer pays it
    /// (synthesis and the verification of its own proof included).
    pub prove_s: f64,
    /// Seconds to build the circuit's matrices once ([`CircuitMatrices::build`]), as a
    /// long-running prover does at start.
    pub prepare_s: f64,
    /// Non-zero entries of the cached A, B, C matrices (8 bytes each in memory).
    pub matrix_terms: usize,
    /// Seconds for the witness-only synthesis of the prepared prover.
    pub witness_synthesis_s: f64,
    /// Seconds for one proof through [`PreparedProver::prove_witness`] (witness-only
    /// synthesis, Groth16 with the cached matrices, verification of the proof).
    pub prepared_prove_s: f64,
    /// Constraints of the raw circuit, when it was run.
    pub raw_constraints: Option<usize>,
    /// Seconds to prove the raw circuit of the same size, when it was run.
    pub raw_prove_s: Option<f64>,
    /// Milliseconds per verification, averaged.
    pub verify_ms: f64,
}

/// Runs the measurements for a batch of `batch_size` transfers.
pub fn run(batch_size: usize, raw: bool, verify_runs: usize) -> Result<BenchResult, ProverError> {
    let t = Instant::now();
    let (pk, vk) = keys::setup_dev(batch_size, 0)?;
    let setup_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let trace = sample_batch(batch_size, SampleKind::Transfers)?;
    let witness = BatchWitness::from_trace(&trace)?;
    let witness_s = t.elapsed().as_secs_f64();

    // Synthesis alone, as the one-off prover does it (matrices + LC inlining).
    let t = Instant::now();
    let cs = ConstraintSystem::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: true,
        generate_lc_assignments: false,
    });
    BatchCircuit::new(witness.clone()).generate_constraints(cs.clone())?;
    cs.finalize();
    let synthesis_s = t.elapsed().as_secs_f64();
    let constraints = cs.num_constraints();
    drop(cs);

    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let t = Instant::now();
    let (proof, public) = crate::prove_witness(&pk, witness.clone(), &mut rng)?;
    let prove_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    for _ in 0..verify_runs.max(1) {
        if !crate::verify(&vk, &[public], &proof)? {
            return Err(ProverError::Unsatisfied);
        }
    }
    let verify_ms = t.elapsed().as_secs_f64() * 1000.0 / verify_runs.max(1) as f64;

    let t = Instant::now();
    let matrices = CircuitMatrices::build(batch_size)?;
    let prepare_s = t.elapsed().as_secs_f64();
    let matrix_terms = matrices.num_terms();
    let prover = PreparedProver::with_matrices(pk, QapReduction::Libsnark, batch_size, matrices)?;
    let t = Instant::now();
    prover.assignment(witness.clone())?;
    let witness_synthesis_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (proof, public) = prover.prove_witness(witness, &mut rng)?;
    let prepared_prove_s = t.elapsed().as_secs_f64();
    if !crate::verify(&vk, &[public], &proof)? {
        return Err(ProverError::Unsatisfied);
    }
    let pk = prover.into_proving_key();

    let (raw_constraints, raw_prove_s) = if raw {
        let circuit = RawCircuit { n: constraints };
        let (rpk, _) = Groth16::<Bn254>::circuit_specific_setup(circuit.clone(), &mut rng)?;
        let t = Instant::now();
        Groth16::<Bn254>::prove(&rpk, circuit, &mut rng)?;
        (Some(constraints), Some(t.elapsed().as_secs_f64()))
    } else {
        (None, None)
    };
    Ok(BenchResult {
        pk,
        setup_s,
        witness_s,
        synthesis_s,
        prove_s,
        prepare_s,
        matrix_terms,
        witness_synthesis_s,
        prepared_prove_s,
        raw_constraints,
        raw_prove_s,
        verify_ms,
    })
}
