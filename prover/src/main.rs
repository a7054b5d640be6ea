//! `echonet-prover`: key setup, proving, verification and snarkjs export for the EchoNet
//! rollup's batch circuit. See `echonet_prover` (the library) for the design.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use clap::{Parser, Subcommand};
use echonet_prover::{
    keys, sample, snarkjs, vectors, BatchCircuit, Proof, ProverError, ProvingKey, QapReduction,
};
use echonet_rollup_primitives::{
    batch::BatchTrace,
    field::{fr_from_decimal, fr_to_decimal},
    Fr,
};
use serde::{Deserialize, Serialize};

#[derive(Parser)]
#[command(
    name = "echonet-prover",
    version,
    about = "EchoNet rollup prover (Groth16 / BN254)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate (INSECURE dev) or import (ceremony) keys for a batch size.
    Setup {
        #[arg(long)]
        batch_size: usize,
        #[arg(long)]
        out: PathBuf,
        /// Seed of the INSECURE deterministic dev setup.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Import a proving key from an external ceremony (arkworks compressed encoding)
        /// instead of generating one; it is checked against the circuit.
        #[arg(long, conflicts_with = "import_zkey")]
        import_pk: Option<PathBuf>,
        /// Import a snarkjs Groth16 key (`.zkey`, the result of a ceremony) instead of
        /// generating one; it is checked against the circuit's R1CS and must prove. Verify it
        /// with `snarkjs zkey verify` against `export-r1cs` and the powers of tau as well.
        #[arg(long)]
        import_zkey: Option<PathBuf>,
    },
    /// Write the circuit's R1CS in circom's binary `.r1cs` format, for a snarkjs ceremony
    /// (`snarkjs groth16 setup`) and for `snarkjs zkey verify`.
    ExportR1cs {
        #[arg(long)]
        batch_size: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a deterministic sample batch trace (JSON) to prove.
    SampleBatch {
        #[arg(long)]
        batch_size: usize,
        #[arg(long, value_enum, default_value = "mixed")]
        kind: sample::SampleKind,
        #[arg(long)]
        out: PathBuf,
    },
    /// Prove a batch trace (JSON, as written by the sequencer or `sample-batch`).
    Prove {
        #[arg(long)]
        keys: PathBuf,
        #[arg(long)]
        trace: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a proof file; exits 0 if valid, 1 if not.
    Verify {
        #[arg(long)]
        keys: PathBuf,
        #[arg(long)]
        proof: PathBuf,
    },
    /// Constraint counts (total and per slot) for a batch size.
    Info {
        #[arg(long)]
        batch_size: usize,
    },
    /// Write verification_key.json, proof.json and public.json in snarkjs' layout.
    ExportSnarkjs {
        #[arg(long)]
        keys: PathBuf,
        #[arg(long)]
        proof: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Cross-check vectors (Poseidon, EdDSA) for independent implementations.
    Vectors {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Measure constraints, setup, proving (and raw Groth16 on a same-size circuit), verifying.
    Benchmark {
        #[arg(long)]
        batch_size: usize,
        /// Skip the raw Groth16 baseline.
        #[arg(long)]
        no_raw: bool,
        /// Verification repetitions.
        #[arg(long, default_value_t = 200)]
        verify_runs: usize,
    },
}

/// Prefix of the line `setup` prints with the verifying key's hash.
const VK_HASH_LABEL: &str = "verifying key hash (sha256):";

/// A proof file.
#[derive(Serialize, Deserialize)]
struct ProofFile {
    batch_size: usize,
    /// Decimal field elements.
    public_inputs: Vec<String>,
    /// arkworks compressed proof, hex.
    proof: String,
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Prover(#[from] ProverError),
    #[error("{0}")]
    Msg(String),
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, CliError> {
    let bytes = std::fs::read(path).map_err(|source| ProverError::Io {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| {
        ProverError::Json {
            path: path.display().to_string(),
            source,
        }
        .into()
    })
}

fn write_json(path: &Path, v: &impl Serialize) -> Result<(), CliError> {
    let bytes = serde_json::to_vec_pretty(v).map_err(|source| ProverError::Json {
        path: path.display().to_string(),
        source,
    })?;
    std::fs::write(path, bytes).map_err(|source| {
        ProverError::Io {
            path: path.display().to_string(),
            source,
        }
        .into()
    })
}

fn load_proof(path: &Path) -> Result<(ProofFile, Vec<Fr>, Proof), CliError> {
    let pf: ProofFile = read_json(path)?;
    let inputs = pf
        .public_inputs
        .iter()
        .map(|s| fr_from_decimal(s).map_err(|_| ProverError::NonCanonicalInput))
        .collect::<Result<Vec<_>, _>>()?;
    let bytes = hex::decode(&pf.proof)
        .map_err(|e| CliError::Msg(format!("{}: proof is not hex: {e}", path.display())))?;
    let proof = Proof::deserialize_compressed(bytes.as_slice()).map_err(ProverError::from)?;
    Ok((pf, inputs, proof))
}

fn load_pk(dir: &Path) -> Result<(keys::KeyMeta, ProvingKey), CliError> {
    let meta = keys::load_meta(dir)?;
    if meta.insecure {
        eprintln!("WARNING: {}", keys::INSECURE_BANNER);
    }
    let pk = keys::load_proving_key(&dir.join(keys::PK_FILE))?;
    Ok((meta, pk))
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.cmd {
        Cmd::Setup {
            batch_size,
            out,
            seed,
            import_pk,
            import_zkey,
        } => {
            if batch_size == 0 {
                return Err(CliError::Msg("--batch-size must be at least 1".into()));
            }
            let start = Instant::now();
            let meta = match (import_pk, import_zkey) {
                (Some(path), _) => {
                    let pk = keys::import_proving_key(&path, batch_size)?;
                    keys::save_keys(&out, &pk, batch_size, false)?
                }
                (None, Some(path)) => {
                    let pk = keys::import_zkey(&path, batch_size)?;
                    let note = format!(
                        "snarkjs ceremony key from {} (circom QAP reduction), checked against the circuit's R1CS coefficients; verify it with `snarkjs zkey verify` against `echonet-prover export-r1cs` and the ceremony's powers of tau",
                        path.display()
                    );
                    keys::save_keys_with(&out, &pk, batch_size, false, QapReduction::Circom, &note)?
                }
                (None, None) => {
                    eprintln!("WARNING: {}", keys::INSECURE_BANNER);
                    let pk = keys::setup_dev(batch_size, seed)?.0;
                    keys::save_keys(&out, &pk, batch_size, true)?
                }
            };
            let insecure = meta.insecure;
            eprintln!(
                "setup for batch size {batch_size} done in {:.1}s ({} constraints)",
                start.elapsed().as_secs_f64(),
                meta.constraints
            );
            // What governance registers and the bridge's `set_verifying_key` checks: SHA-256
            // of verifying_key.bin's bytes (`keys::vk_hash`). Alone on its line, so scripts
            // can take it; the insecure warning is a line of its own.
            println!("{VK_HASH_LABEL} 0x{}", meta.vk_sha256);
            if insecure {
                println!("INSECURE dev keys: never register this hash on a public network");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::SampleBatch {
            batch_size,
            kind,
            out,
        } => {
            if batch_size == 0 {
                return Err(CliError::Msg("--batch-size must be at least 1".into()));
            }
            let trace = sample::sample_batch(batch_size, kind)?;
            write_json(&out, &trace)?;
            println!("commitment {}", fr_to_decimal(&trace.commitment));
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Prove {
            keys: dir,
            trace,
            out,
        } => {
            let (meta, pk) = load_pk(&dir)?;
            let trace: BatchTrace = read_json(&trace)?;
            let start = Instant::now();
            let (proof, public) = echonet_prover::prove_with(
                &pk,
                meta.reduction,
                meta.batch_size,
                &trace,
                &mut rand::rngs::OsRng,
            )?;
            eprintln!("proved in {:.2}s", start.elapsed().as_secs_f64());
            let pf = ProofFile {
                batch_size: meta.batch_size,
                public_inputs: vec![fr_to_decimal(&public)],
                proof: hex::encode(echonet_prover::proof_to_bytes(&proof)?),
            };
            write_json(&out, &pf)?;
            println!("public_input {}", fr_to_decimal(&public));
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Verify { keys: dir, proof } => {
            let meta = keys::load_meta(&dir)?;
            if meta.insecure {
                eprintln!("WARNING: {}", keys::INSECURE_BANNER);
            }
            let vk = keys::load_verifying_key(&dir.join(keys::VK_FILE))?;
            let (pf, inputs, proof) = load_proof(&proof)?;
            if pf.batch_size != meta.batch_size {
                return Err(ProverError::BatchSizeMismatch {
                    got: pf.batch_size,
                    expected: meta.batch_size,
                }
                .into());
            }
            if echonet_prover::verify(&vk, &inputs, &proof)? {
                println!("valid");
                Ok(ExitCode::SUCCESS)
            } else {
                println!("invalid");
                Ok(ExitCode::from(1))
            }
        }
        Cmd::Info { batch_size } => {
            let p = keys::profile(batch_size)?;
            println!("batch_size {}", p.batch_size);
            println!("constraints_total {}", p.total);
            println!("constraints_per_slot {}", p.per_slot);
            println!("constraints_fixed {}", p.fixed);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::ExportR1cs { batch_size, out } => {
            if batch_size == 0 {
                return Err(CliError::Msg("--batch-size must be at least 1".into()));
            }
            let r1cs = keys::export_r1cs(batch_size)?;
            std::fs::write(&out, r1cs.to_bytes()).map_err(|source| ProverError::Io {
                path: out.display().to_string(),
                source,
            })?;
            println!(
                "wrote {}: {} constraints, {} wires, {} public input(s)",
                out.display(),
                r1cs.constraints.len(),
                r1cs.num_wires,
                r1cs.num_pub_in
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::ExportSnarkjs {
            keys: dir,
            proof,
            out,
        } => {
            let vk = keys::load_verifying_key(&dir.join(keys::VK_FILE))?;
            let (_, inputs, proof) = load_proof(&proof)?;
            std::fs::create_dir_all(&out).map_err(|source| ProverError::Io {
                path: out.display().to_string(),
                source,
            })?;
            write_json(
                &out.join("verification_key.json"),
                &snarkjs::verification_key_json(&vk),
            )?;
            write_json(&out.join("proof.json"), &snarkjs::proof_json(&proof))?;
            write_json(&out.join("public.json"), &snarkjs::public_json(&inputs))?;
            println!("wrote {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Vectors { out, seed } => {
            let v = vectors::vectors(seed).map_err(|e| CliError::Msg(e.to_string()))?;
            write_json(&out, &v)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Benchmark {
            batch_size,
            no_raw,
            verify_runs,
        } => benchmark(batch_size, no_raw, verify_runs),
    }
}

fn benchmark(batch_size: usize, no_raw: bool, verify_runs: usize) -> Result<ExitCode, CliError> {
    use echonet_prover::bench;
    if batch_size == 0 {
        return Err(CliError::Msg("--batch-size must be at least 1".into()));
    }
    eprintln!("WARNING: benchmark uses {}", keys::INSECURE_BANNER);
    let profile = BatchCircuit::profile(batch_size).map_err(ProverError::from)?;
    let r = bench::run(batch_size, !no_raw, verify_runs)?;
    let mut pk_bytes = Vec::new();
    r.pk.serialize_compressed(&mut pk_bytes)
        .map_err(ProverError::from)?;
    let report = serde_json::json!({
        "batch_size": batch_size,
        "constraints_total": profile.total,
        "constraints_per_slot": profile.per_slot,
        "setup_s": r.setup_s,
        "witness_s": r.witness_s,
        "synthesis_s": r.synthesis_s,
        "prove_s": r.prove_s,
        "tx_per_s": batch_size as f64 / r.prove_s,
        "prepare_s": r.prepare_s,
        "prepared_matrix_terms": r.matrix_terms,
        "prepared_witness_synthesis_s": r.witness_synthesis_s,
        "prepared_prove_s": r.prepared_prove_s,
        "prepared_tx_per_s": batch_size as f64 / r.prepared_prove_s,
        "raw_groth16_constraints": r.raw_constraints,
        "raw_groth16_prove_s": r.raw_prove_s,
        "ratio_vs_raw": r.raw_prove_s.map(|raw| r.prove_s / raw),
        "verify_ms": r.verify_ms,
        "proving_key_bytes": pk_bytes.len(),
        "peak_rss_kib": peak_rss_kib(),
        "threads": rayon_threads(),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&report).map_err(|e| CliError::Msg(e.to_string()))?
    );
    Ok(ExitCode::SUCCESS)
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
