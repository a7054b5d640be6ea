//! Key generation, import, storage and hashing.
//!
//! A key directory holds `proving_key.bin` and `verifying_key.bin` (arkworks compressed
//! encoding) and `meta.json` (batch size, whether the setup is insecure, the verifying key's
//! hash and the constraint counts).
//!
//! The dev setup derives Groth16's toxic waste from a public seed: anyone can forge proofs
//! with such keys. It is for tests and local networks only and is marked INSECURE everywhere
//! it appears. Production keys come from a ceremony and are imported with
//! [`import_proving_key`] (arkworks encoding) or [`import_zkey`] (a snarkjs `.zkey`), which
//! check them against this circuit before use.
//!
//! ## Ceremony keys
//!
//! [`check_proving_key`] checks a key's shape (query lengths), its internal consistency (β
//! and δ agree between the proving and verifying key) and that a sample batch proves and
//! verifies. It cannot tell a key made for *another* circuit with the same numbers of
//! variables and constraints: such a key proves nothing about this circuit, and a sample
//! proof made with it still verifies against its own verifying key. What binds a ceremony's
//! key to this circuit is `snarkjs zkey verify` against the circuit's R1CS
//! ([`export_r1cs`], `echonet-prover export-r1cs`) and the ceremony's powers of tau: it
//! recomputes the key from both and checks every contribution. [`import_zkey`] adds a cheap
//! local check on top: the `A` and `B` coefficients a `.zkey` records (its section 4) must be
//! exactly this circuit's, so a key for the wrong circuit or batch size is refused at import.
//!
//! snarkjs keys use circom's R1CS-to-QAP reduction ([`QapReduction::Circom`], see
//! [`crate::qap`]); the key directory's `meta.json` records the reduction and the prover
//! uses it. The verifying key's hash ([`vk_hash`]) is what governance registers with the
//! bridge: for an imported key it is the hash of the ceremony's verifying key (the same
//! points as `snarkjs zkey export verificationkey`), re-encoded by arkworks.

use std::path::Path;

use ark_bn254::Bn254;
use ark_ec::{pairing::Pairing, AffineRepr};
use ark_groth16::Groth16;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::CircuitSpecificSetupSNARK;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::circuit::{sample_noop_trace, BatchCircuit, BatchWitness, ConstraintProfile};
use crate::qap::QapReduction;
use crate::r1cs::R1cs;
use crate::zkey::{Coefficient, Zkey};
use crate::{Fr, ProverError, ProvingKey, VerifyingKey, NUM_PUBLIC_INPUTS};

/// The proving key's file in a key directory.
pub const PK_FILE: &str = "proving_key.bin";
/// The verifying key's file in a key directory (what the bridge is configured with).
pub const VK_FILE: &str = "verifying_key.bin";
/// The [`KeyMeta`] file in a key directory.
pub const META_FILE: &str = "meta.json";

/// Banner printed with every insecure key.
pub const INSECURE_BANNER: &str = "INSECURE: deterministic dev setup; the toxic waste is derived from a public seed and anyone can forge proofs for these keys. Never use them on a public network.";

/// `meta.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMeta {
    /// The batch size the keys are for; a key proves batches of exactly this size.
    pub batch_size: usize,
    /// Made by the deterministic dev setup: anyone can forge proofs for these keys.
    pub insecure: bool,
    /// SHA-256 of the compressed verifying key, hex.
    pub vk_sha256: String,
    /// Constraints of the whole circuit for `batch_size`.
    pub constraints: usize,
    /// Constraints of one slot.
    pub constraints_per_slot: usize,
    /// A line for a human reading the file: the insecure banner, or where the keys came from.
    pub note: String,
    /// The R1CS-to-QAP reduction the proving key was made for (snarkjs keys: `circom`);
    /// `prove` uses it. Missing in files written before ceremony import: `libsnark`.
    #[serde(default)]
    pub reduction: QapReduction,
}

/// SHA-256 of the compressed verifying key, hex (what governance votes on).
pub fn vk_hash(vk: &VerifyingKey) -> Result<String, ProverError> {
    let mut bytes = Vec::new();
    vk.serialize_compressed(&mut bytes)?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// INSECURE deterministic setup for `batch_size` slots from `seed`.
pub fn setup_dev(batch_size: usize, seed: u64) -> Result<(ProvingKey, VerifyingKey), ProverError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let circuit = BatchCircuit::new(BatchWitness::blank(batch_size));
    Ok(Groth16::<Bn254>::setup(circuit, &mut rng)?)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ProverError + '_ {
    move |source| ProverError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes arkworks keys (libsnark reduction) and metadata into `dir` (created if missing).
pub fn save_keys(
    dir: &Path,
    pk: &ProvingKey,
    batch_size: usize,
    insecure: bool,
) -> Result<KeyMeta, ProverError> {
    let note = if insecure {
        INSECURE_BANNER
    } else {
        "imported ceremony keys, checked against the circuit"
    };
    save_keys_with(dir, pk, batch_size, insecure, QapReduction::Libsnark, note)
}

/// Writes keys for `reduction` and metadata (with `note`, unless the keys are insecure: then
/// the insecure banner) into `dir` (created if missing).
pub fn save_keys_with(
    dir: &Path,
    pk: &ProvingKey,
    batch_size: usize,
    insecure: bool,
    reduction: QapReduction,
    note: &str,
) -> Result<KeyMeta, ProverError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let mut pk_bytes = Vec::new();
    pk.serialize_compressed(&mut pk_bytes)?;
    let mut vk_bytes = Vec::new();
    pk.vk.serialize_compressed(&mut vk_bytes)?;
    let p = dir.join(PK_FILE);
    std::fs::write(&p, &pk_bytes).map_err(io_err(&p))?;
    let p = dir.join(VK_FILE);
    std::fs::write(&p, &vk_bytes).map_err(io_err(&p))?;
    let profile = BatchCircuit::profile(batch_size)?;
    let meta = KeyMeta {
        batch_size,
        insecure,
        vk_sha256: vk_hash(&pk.vk)?,
        constraints: profile.total,
        constraints_per_slot: profile.per_slot,
        note: if insecure {
            INSECURE_BANNER.to_string()
        } else {
            note.to_string()
        },
        reduction,
    };
    let p = dir.join(META_FILE);
    let json = serde_json::to_vec_pretty(&meta).map_err(|source| ProverError::Json {
        path: p.display().to_string(),
        source,
    })?;
    std::fs::write(&p, json).map_err(io_err(&p))?;
    Ok(meta)
}

/// Reads `meta.json`.
pub fn load_meta(dir: &Path) -> Result<KeyMeta, ProverError> {
    let p = dir.join(META_FILE);
    let bytes = std::fs::read(&p).map_err(io_err(&p))?;
    serde_json::from_slice(&bytes).map_err(|source| ProverError::Json {
        path: p.display().to_string(),
        source,
    })
}

/// Reads and validates (points on the curve and in the subgroup) a proving key.
pub fn load_proving_key(path: &Path) -> Result<ProvingKey, ProverError> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    Ok(ProvingKey::deserialize_compressed(bytes.as_slice())?)
}

/// Reads and validates a verifying key, and checks it has one public input.
pub fn load_verifying_key(path: &Path) -> Result<VerifyingKey, ProverError> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    let vk = VerifyingKey::deserialize_compressed(bytes.as_slice())?;
    if vk.gamma_abc_g1.len() != NUM_PUBLIC_INPUTS + 1 {
        return Err(ProverError::KeyCheck(format!(
            "verifying key has {} public inputs, the batch circuit has {}",
            vk.gamma_abc_g1.len().saturating_sub(1),
            NUM_PUBLIC_INPUTS
        )));
    }
    Ok(vk)
}

/// Shape of the R1CS instance, to check a key against.
fn circuit_shape(batch_size: usize) -> Result<(usize, usize, usize), ProverError> {
    let cs = ConstraintSystem::new_ref();
    cs.set_optimization_goal(ark_relations::gr1cs::OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    BatchCircuit::new(BatchWitness::blank(batch_size)).generate_constraints(cs.clone())?;
    cs.finalize();
    Ok((
        cs.num_instance_variables(),
        cs.num_witness_variables(),
        cs.num_constraints(),
    ))
}

/// Checks an arkworks proving key (libsnark reduction, e.g. from an external ceremony run with
/// arkworks) against the circuit for `batch_size`; see [`check_proving_key_for`].
pub fn check_proving_key(pk: &ProvingKey, batch_size: usize) -> Result<(), ProverError> {
    check_proving_key_for(pk, batch_size, QapReduction::Libsnark)
}

/// Checks a proving key for `reduction` against the circuit for `batch_size`: query lengths
/// match the circuit's variables and domain, the embedded verifying key is consistent with
/// the proving key (a pairing check on β and δ), and a sample batch proves and verifies.
/// This does not show that the key was made for this circuit rather than another of the same
/// shape (see the module doc).
pub fn check_proving_key_for(
    pk: &ProvingKey,
    batch_size: usize,
    reduction: QapReduction,
) -> Result<(), ProverError> {
    let fail = |m: String| Err(ProverError::KeyCheck(m));
    let (num_instance, num_witness, num_constraints) = circuit_shape(batch_size)?;
    let vars = num_instance + num_witness;
    if pk.vk.gamma_abc_g1.len() != num_instance {
        return fail(format!(
            "key has {} instance variables, circuit has {num_instance}",
            pk.vk.gamma_abc_g1.len()
        ));
    }
    if pk.a_query.len() != vars || pk.b_g1_query.len() != vars || pk.b_g2_query.len() != vars {
        return fail(format!(
            "key has {} variables, circuit for batch size {batch_size} has {vars}",
            pk.a_query.len()
        ));
    }
    if pk.l_query.len() != num_witness {
        return fail(format!(
            "key has {} witness variables, circuit has {num_witness}",
            pk.l_query.len()
        ));
    }
    let domain = (num_constraints + num_instance).next_power_of_two();
    if pk.h_query.len() != reduction.h_query_len(domain) {
        return fail(format!(
            "key's H query has {} elements, expected {} for the {reduction:?} reduction",
            pk.h_query.len(),
            reduction.h_query_len(domain)
        ));
    }
    // The setup may use any generators, so compare ratios: both sides are e(g1, g2)^(β·δ).
    if pk.beta_g1.is_zero()
        || pk.delta_g1.is_zero()
        || Bn254::pairing(pk.beta_g1, pk.vk.delta_g2) != Bn254::pairing(pk.delta_g1, pk.vk.beta_g2)
    {
        return fail("proving key and verifying key disagree on beta or delta".into());
    }
    let trace = sample_noop_trace(batch_size)?;
    let mut rng = rand::rngs::OsRng;
    let (proof, public) = crate::prove_with(pk, reduction, batch_size, &trace, &mut rng)?;
    if !crate::verify(&pk.vk, &[public], &proof)? {
        return fail("a sample batch did not verify with this key".into());
    }
    Ok(())
}

/// Loads a ceremony proving key and checks it against the circuit.
pub fn import_proving_key(path: &Path, batch_size: usize) -> Result<ProvingKey, ProverError> {
    let pk = load_proving_key(path)?;
    check_proving_key(&pk, batch_size)?;
    Ok(pk)
}

/// The batch circuit's R1CS for `batch_size`, in circom's wire numbering (for
/// `snarkjs groth16 setup` and `snarkjs zkey verify`).
pub fn export_r1cs(batch_size: usize) -> Result<R1cs<Fr>, ProverError> {
    Ok(R1cs::from_circuit(BatchCircuit::new(BatchWitness::blank(
        batch_size,
    )))?)
}

/// The `A` and `B` coefficients snarkjs records in a `.zkey` made from `r1cs`: the
/// constraints' `A` and `B` sides, then `A = 1` on one extra row per public wire (`one`
/// included), sorted.
fn expected_coefficients(r1cs: &R1cs<Fr>) -> Vec<Coefficient> {
    let mut out = Vec::new();
    for (row, c) in r1cs.constraints.iter().enumerate() {
        for (matrix, lc) in [(0, &c.a), (1, &c.b)] {
            out.extend(lc.iter().map(|&(signal, value)| Coefficient {
                matrix,
                constraint: row as u32,
                signal,
                value,
            }));
        }
    }
    let rows = r1cs.constraints.len() as u32;
    out.extend((0..=r1cs.num_public()).map(|s| Coefficient {
        matrix: 0,
        constraint: rows.saturating_add(s),
        signal: s,
        value: Fr::from(1u64),
    }));
    out.sort();
    out
}

/// Checks that a parsed `.zkey` was set up for `r1cs` (e.g. [`export_r1cs`]): its wire,
/// public and domain sizes, and its recorded `A`/`B` coefficients, are the R1CS's.
pub fn check_zkey_against(zkey: &Zkey, r1cs: &R1cs<Fr>) -> Result<(), ProverError> {
    let fail = |m: String| Err(ProverError::KeyCheck(m));
    if zkey.num_vars != r1cs.num_wires as usize || zkey.num_public != r1cs.num_public() as usize {
        return fail(format!(
            "zkey has {} wires ({} public), the circuit has {} ({})",
            zkey.num_vars,
            zkey.num_public,
            r1cs.num_wires,
            r1cs.num_public()
        ));
    }
    let domain = (r1cs.constraints.len() + r1cs.num_public() as usize + 1).next_power_of_two();
    if zkey.domain_size != domain {
        return fail(format!(
            "zkey's domain has {} points, the circuit's has {domain}",
            zkey.domain_size
        ));
    }
    let expected = expected_coefficients(r1cs);
    let mut got = zkey.coefficients.clone();
    got.sort();
    if got != expected {
        let at = got
            .iter()
            .zip(&expected)
            .position(|(g, e)| g != e)
            .unwrap_or(got.len().min(expected.len()));
        let row = expected.get(at).or(got.get(at)).map_or(0, |c| c.constraint);
        return fail(format!(
            "the zkey was set up for another circuit: its A/B coefficients differ from this \
             circuit's (first difference at row {row}; {} coefficients, expected {})",
            got.len(),
            expected.len()
        ));
    }
    Ok(())
}

/// Reads a snarkjs Groth16 `.zkey` (the result of a ceremony), checks that it was set up for
/// this circuit's R1CS ([`check_zkey_against`]) and that it proves
/// ([`check_proving_key_for`] with [`QapReduction::Circom`]), and returns the key.
/// Run `snarkjs zkey verify` against [`export_r1cs`] and the ceremony's powers of tau as well:
/// only that checks the key's points against its transcript.
pub fn import_zkey(path: &Path, batch_size: usize) -> Result<ProvingKey, ProverError> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    let zkey = Zkey::from_bytes(&bytes).map_err(ProverError::Zkey)?;
    check_zkey_against(&zkey, &export_r1cs(batch_size)?)?;
    check_proving_key_for(&zkey.pk, batch_size, QapReduction::Circom)?;
    Ok(zkey.pk)
}

/// Constraint counts, re-exported for the CLI.
pub fn profile(batch_size: usize) -> Result<ConstraintProfile, ProverError> {
    Ok(BatchCircuit::profile(batch_size)?)
}
