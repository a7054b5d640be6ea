//! # EchoNet rollup prover
//!
//! Groth16 over BN254 (arkworks 0.6) for the L2 batch circuit. The sequencer calls this
//! library directly; the `echonet-prover` binary wraps it for operators and CI.
//!
//! ## Flow
//!
//! 1. [`keys::setup_dev`] (INSECURE, deterministic), [`keys::import_proving_key`] (an
//!    arkworks key from an external ceremony) or [`keys::import_zkey`] (a snarkjs ceremony's
//!    `.zkey`), each checked against the circuit, gives a [`ProvingKey`] / [`VerifyingKey`]
//!    for a fixed batch size, and the [`QapReduction`] it was made for.
//! 2. The sequencer executes a batch natively with
//!    [`echonet_rollup_primitives::execute_batch`], which returns a `BatchTrace`.
//! 3. [`prove_with`] (or [`prove`] for arkworks keys) turns the trace into a witness
//!    ([`circuit::BatchWitness`]), synthesizes the [`circuit::BatchCircuit`] and returns the
//!    proof and its public input. A long-running prover (a farm worker) builds a
//!    [`PreparedProver`] once per key instead ([`fast`]: the R1CS matrices are cached and
//!    each proof only computes the witness).
//! 4. [`verify`] (or [`verify_encoded`] for untrusted bytes) checks it. The bridge does the
//!    same with the public input it rebuilds from L1 data
//!    ([`echonet_rollup_primitives::commitment_from_l1_data`]).
//!
//! ## CLI (`echonet-prover`)
//!
//! `setup --batch-size N --out DIR [--seed S | --import-pk FILE | --import-zkey FILE]`
//! (prints `vk_sha256`, the hash governance registers), `export-r1cs --batch-size N --out
//! FILE` (circom `.r1cs`, for a snarkjs ceremony and `snarkjs zkey verify`), `sample-batch`,
//! `prove` (with the reduction the key directory's `meta.json` names), `verify`,
//! `info --batch-size N`, `export-snarkjs`, `vectors`, `benchmark --batch-size N`,
//! `worker --sequencer URL --keys DIR` (a prover farm worker, [`worker`]) and
//! `benchmark-farm` (proofs through the farm, [`farm::bench`]).
//!
//! ## Prover farm
//!
//! [`farm::Farm`] is the sequencer's job queue (leases, heartbeats, verification of every
//! proof before it is accepted) with its `prover_*` JSON-RPC methods; [`worker::Worker`] is
//! `echonet-prover worker`, which pulls jobs, proves them and submits the proofs.
//!
//! ## Ceremony keys
//!
//! A production key comes from a snarkjs ceremony over the circuit's R1CS ([`r1cs`],
//! `export-r1cs`): powers of tau, `groth16 setup`, contributions, then `snarkjs zkey verify`
//! against that R1CS and the powers of tau, which is what binds the key to this circuit
//! ([`keys::check_proving_key`] alone cannot tell a key for another circuit of the same
//! shape). `setup --import-zkey` reads the `.zkey` ([`zkey`]), checks its recorded
//! coefficients against the circuit and that it proves, and prints the hash of its verifying
//! key. snarkjs keys need circom's QAP reduction ([`qap`]); tests/js/rollup/ceremony.test.mjs
//! runs the whole ceremony in CI.
//!
//! ## Design decisions
//!
//! * **Constraint budget**: 30,166 constraints per slot at depth 24 (pinned by a test), plus
//!   about 13,100 per batch (operator fee credit, DA hash, public input, chain id and
//!   instance range checks). Four Merkle paths
//!   (debit old/new, credit old/new: 4 × 24 × 241 = 23,136) dominate; EdDSA costs 4,705 with
//!   2-bit windows for `c·8A`, Zcash-style 3-bit lookups for `S·Base8` and run-length
//!   comparators for `S < l` and `c < p`.
//! * **One public input**, the batch commitment (see `echonet_rollup_primitives::batch`).
//!   ark-groth16 0.6 zips inputs with the key without checking the count, so [`verify`]
//!   rejects any count but 1, and [`verify_encoded`] rejects non-canonical encodings (`≥ p`).
//! * **Slot layout** (details in [`circuit`]): per slot, the type (2 bits → one-hot
//!   transfer/deposit/withdraw flags, no-op = 0); `from`/`to` as 24 bits each, which are at
//!   once the Merkle direction bits, the DA record's indices and part of the signed message;
//!   amount and fee codes decoded in-circuit; the debit update of `from` (old leaf on the path
//!   to the running root, new balance range-checked to 128 bits, nonce range-checked to 40
//!   bits and incremented); the EdDSA check
//!   of the sender's signature; the credit update of `to` under the root after the debit
//!   (or creation of an empty leaf by a deposit), new balance and deposit amount
//!   range-checked to 128 bits; the fee added to the batch total; one Poseidon step of the
//!   deposit or withdrawal hash chain (domain-tagged in the capacity element); the 12-byte
//!   DA record. Every enable is a product with the type flags, so a no-op changes no root, no
//!   chain, no fee and publishes a zero record whatever its other witnesses. After the slots:
//!   the operator's fee credit, the DA hash and the public input.
//! * **Replay**: the signed message binds the chain id and the rollup instance (both also in
//!   the public input, as `chain_id + instance·2^32`, from the same witnesses) and the account
//!   nonce, which the circuit increments.
//! * **Named constraints**: every constraint of the circuit sits in an arkworks namespace
//!   (`ns!`) named after the rule it enforces or the value it computes (list in [`circuit`]),
//!   so each negative test asserts which rule its witness breaks, not only that some
//!   constraint fails. Namespaces are tracing spans and add no constraint: the R1CS, and so
//!   every key, is the same with or without them. arkworks 0.6 records them only while its
//!   `ConstraintLayer` is the tracing subscriber; [`check_witness`] then names the span path
//!   of the first unsatisfied constraint (tests use this), otherwise it returns
//!   `"R1CS - <index>"`.
//! * **Slot pieces with native twins** ([`gadgets::slot`]): the type flags, the deposit /
//!   withdrawal chain step and the DA record packing are functions of their own, each tested
//!   against its native function on seeded random inputs.
//! * **Fees** are accumulated over the slots and credited once to the operator.
//! * **Two QAP reductions** ([`qap`]): arkworks keys divide by the vanishing polynomial
//!   (H query of `n − 1` points), snarkjs keys evaluate on the odd coset of the `2n`-th roots
//!   (H query of `n` points). Supporting snarkjs' lets a ceremony use snarkjs' audited tooling
//!   and published powers of tau; the reduction is recorded with the key and checked against
//!   the H query's length before proving.
//! * **R1CS export** ([`r1cs`]) is generic over any arkworks
//!   [`ConstraintSynthesizer`](ark_relations::gr1cs::ConstraintSynthesizer)
//!   (setup-mode synthesis, LCs inlined, exactly the matrices Groth16 uses); arkworks'
//!   variable order already is circom's wire order (one, public, private), so a circuit change
//!   needs no exporter change.
//! * **Gadgets** ([`gadgets`]) are ours: Poseidon (circom parameters), BabyJubJub arithmetic,
//!   EdDSA-Poseidon, Merkle paths, range checks; each is tested against the native code.

pub mod bench;
pub mod binfile;
pub mod circuit;
pub mod farm;
pub mod fast;
pub mod gadgets;
pub mod keys;
pub mod qap;
pub mod r1cs;
pub mod sample;
pub mod snarkjs;
pub mod vectors;
pub mod worker;
pub mod zkey;

use ark_bn254::Bn254;
use ark_groth16::Groth16;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use echonet_rollup_primitives::{batch::BatchTrace, field::fr_from_be_bytes};

pub use circuit::{BatchCircuit, BatchWitness, ConstraintProfile};
pub use echonet_rollup_primitives::Fr;
pub use fast::{CircuitMatrices, PreparedProver};
pub use qap::QapReduction;

/// Groth16 proving key for the batch circuit.
pub type ProvingKey = ark_groth16::ProvingKey<Bn254>;
/// Groth16 verifying key.
pub type VerifyingKey = ark_groth16::VerifyingKey<Bn254>;
/// Groth16 proof.
pub type Proof = ark_groth16::Proof<Bn254>;

/// Number of public inputs of the batch circuit.
pub const NUM_PUBLIC_INPUTS: usize = 1;

/// Errors of the prover library.
#[derive(Debug, thiserror::Error)]
pub enum ProverError {
    /// The trace does not have the shape the circuit needs.
    #[error("cannot build the witness: {0}")]
    Witness(#[from] circuit::WitnessError),
    /// Native execution of a sample or check batch failed (the message is the
    /// [`echonet_rollup_primitives::BatchError`] or tree error).
    #[error("cannot build a batch trace: {0}")]
    Trace(String),
    /// The witness breaks a constraint, so no valid proof exists for it.
    #[error("the batch does not satisfy the circuit (a bug in the sequencer's execution, or a tampered trace)")]
    Unsatisfied,
    /// arkworks failed while synthesizing or proving.
    #[error("constraint synthesis failed: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
    /// A proof or verifying key with other than [`NUM_PUBLIC_INPUTS`] public inputs.
    #[error("proof has {got} public inputs, the circuit has {expected}")]
    WrongInputCount {
        /// Public inputs given (or in the key).
        got: usize,
        /// Public inputs of the batch circuit.
        expected: usize,
    },
    /// Untrusted public-input bytes encode a value `>= p`.
    #[error("public input is not a canonical field element")]
    NonCanonicalInput,
    /// Proof or key bytes do not decode (or a point is off the curve or the subgroup).
    #[error("malformed proof or key encoding: {0}")]
    Encoding(#[from] ark_serialize::SerializationError),
    /// The trace was executed for a different batch size than the key was made for.
    #[error("batch size {got} does not match the key's batch size {expected}")]
    BatchSizeMismatch {
        /// The trace's batch size.
        got: usize,
        /// The key's batch size.
        expected: usize,
    },
    /// An imported or loaded key does not fit the circuit (the message says how).
    #[error("key check failed: {0}")]
    KeyCheck(String),
    /// The proving key's H query does not fit the reduction it is used with (a snarkjs key
    /// proved with arkworks' reduction, or the reverse): its proofs would not verify.
    #[error("the proving key's H query ({h_query_len} points) does not fit the {reduction:?} QAP reduction")]
    WrongReduction {
        /// The reduction asked for.
        reduction: QapReduction,
        /// The key's H query length.
        h_query_len: usize,
    },
    /// A circuit cannot be exported as, or a file does not parse as, circom's `.r1cs`.
    #[error("R1CS export: {0}")]
    R1cs(#[from] r1cs::R1csError),
    /// A snarkjs `.zkey` does not parse (or is not a BN254 Groth16 key).
    #[error("invalid .zkey: {0}")]
    Zkey(binfile::FormatError),
    /// Reading or writing a key, trace or export file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A JSON file (key metadata, trace) does not parse or does not serialize.
    #[error("invalid JSON in {path}: {source}")]
    Json {
        /// The file.
        path: String,
        /// The underlying error.
        source: serde_json::Error,
    },
}

/// Checks the witness satisfies the circuit, without proving (fast feedback for the sequencer
/// and for tests). Returns the name of the first unsatisfied constraint, if any.
pub fn check_witness(witness: &BatchWitness) -> Result<Option<String>, ProverError> {
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
    let cs = ConstraintSystem::<Fr>::new_ref();
    BatchCircuit::new(witness.clone()).generate_constraints(cs.clone())?;
    if cs.is_satisfied()? {
        Ok(None)
    } else {
        Ok(Some(cs.which_is_unsatisfied()?.unwrap_or_default()))
    }
}

/// Proves an executed batch with an arkworks key (libsnark reduction, e.g. from
/// [`keys::setup_dev`]). Returns the proof and its public input. For a key from a key
/// directory use [`prove_with`] and the directory's [`keys::KeyMeta::reduction`].
pub fn prove(
    pk: &ProvingKey,
    batch_size: usize,
    trace: &BatchTrace,
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<(Proof, Fr), ProverError> {
    prove_with(pk, QapReduction::Libsnark, batch_size, trace, rng)
}

/// Proves an executed batch with a key made for `reduction` (snarkjs keys:
/// [`QapReduction::Circom`]). Returns the proof and its public input.
pub fn prove_with(
    pk: &ProvingKey,
    reduction: QapReduction,
    batch_size: usize,
    trace: &BatchTrace,
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<(Proof, Fr), ProverError> {
    if trace.batch_size != batch_size {
        return Err(ProverError::BatchSizeMismatch {
            got: trace.batch_size,
            expected: batch_size,
        });
    }
    let witness = BatchWitness::from_trace(trace)?;
    prove_witness_with(pk, reduction, witness, rng)
}

/// Proves a witness with an arkworks key (used by benchmarks).
pub fn prove_witness(
    pk: &ProvingKey,
    witness: BatchWitness,
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<(Proof, Fr), ProverError> {
    prove_witness_with(pk, QapReduction::Libsnark, witness, rng)
}

/// Proves a witness with a key made for `reduction` (used by [`prove_with`]).
pub fn prove_witness_with(
    pk: &ProvingKey,
    reduction: QapReduction,
    witness: BatchWitness,
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<(Proof, Fr), ProverError> {
    if !reduction.fits_h_query(pk.h_query.len()) {
        return Err(ProverError::WrongReduction {
            reduction,
            h_query_len: pk.h_query.len(),
        });
    }
    let public = witness.commitment;
    // With debug assertions ark-groth16 asserts satisfiability (a panic); check first so that a
    // bad witness is an error instead.
    if cfg!(debug_assertions) && check_witness(&witness)?.is_some() {
        return Err(ProverError::Unsatisfied);
    }
    let circuit = BatchCircuit::new(witness);
    let proof = match reduction {
        QapReduction::Libsnark => Groth16::<Bn254>::prove(pk, circuit, rng)?,
        QapReduction::Circom => Groth16::<Bn254, qap::CircomReduction>::prove(pk, circuit, rng)?,
    };
    // A proof of an unsatisfied witness does not verify; catching it here (≈2 ms) is much
    // cheaper than a second synthesis to check satisfiability up front.
    if !verify(&pk.vk, &[public], &proof)? {
        return Err(ProverError::Unsatisfied);
    }
    Ok((proof, public))
}

/// Verifies a proof against its public inputs. Any count but one is rejected: ark-groth16
/// 0.6 would silently ignore extra inputs or treat missing ones as zero.
pub fn verify(vk: &VerifyingKey, public_inputs: &[Fr], proof: &Proof) -> Result<bool, ProverError> {
    if public_inputs.len() != NUM_PUBLIC_INPUTS || vk.gamma_abc_g1.len() != NUM_PUBLIC_INPUTS + 1 {
        return Err(ProverError::WrongInputCount {
            got: public_inputs.len(),
            expected: NUM_PUBLIC_INPUTS,
        });
    }
    let pvk = Groth16::<Bn254>::process_vk(vk)?;
    Ok(Groth16::<Bn254>::verify_with_processed_vk(
        &pvk,
        public_inputs,
        proof,
    )?)
}

/// Verifies untrusted bytes: each public input is 32 bytes big-endian and must be canonical
/// (`< p`); the proof is arkworks' compressed encoding (points are checked on the curve and in
/// the subgroup while decoding).
pub fn verify_encoded(
    vk: &VerifyingKey,
    public_inputs: &[[u8; 32]],
    proof_bytes: &[u8],
) -> Result<bool, ProverError> {
    let inputs = public_inputs
        .iter()
        .map(|b| fr_from_be_bytes(b).map_err(|_| ProverError::NonCanonicalInput))
        .collect::<Result<Vec<_>, _>>()?;
    let proof = Proof::deserialize_compressed(proof_bytes)?;
    verify(vk, &inputs, &proof)
}

/// Compressed encoding of a proof (128 bytes).
pub fn proof_to_bytes(proof: &Proof) -> Result<Vec<u8>, ProverError> {
    let mut out = Vec::new();
    proof.serialize_compressed(&mut out)?;
    Ok(out)
}
