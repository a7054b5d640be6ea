//! `echonet-prover`: key setup, proving, verification and snarkjs export for the EchoNet
//! rollup's batch circuit. See `echonet_prover` (the library) for the design.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

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
    /// Prove jobs from a sequencer's prover farm until stopped (SIGINT or SIGTERM).
    Worker {
        /// The sequencer's prover farm (its `--prover-rpc-port`).
        #[arg(long, default_value = "http://127.0.0.1:9956")]
        sequencer: String,
        /// Key directory written by `setup` (the keys the sequencer was set up with).
        #[arg(long)]
        keys: PathBuf,
        /// Name shown in the sequencer's logs (default: <hostname>-<pid>).
        #[arg(long)]
        name: Option<String>,
        /// Wait between polls of an empty queue (and first retry delay when the sequencer is
        /// unreachable), e.g. `1s`, `500ms`.
        #[arg(long, default_value = "1s", value_parser = parse_duration)]
        poll: Duration,
        /// Proving threads (default: every core, or RAYON_NUM_THREADS).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Measure proven transfers per second through the prover farm: a farm on loopback and
    /// in-process workers, with INSECURE dev keys (or `--keys`).
    BenchmarkFarm {
        #[arg(long)]
        batch_size: usize,
        /// Batches to prove.
        #[arg(long, default_value_t = 2)]
        batches: u64,
        /// In-process workers.
        #[arg(long, default_value_t = 1)]
        workers: usize,
        /// Proving threads per worker (default: every core).
        #[arg(long)]
        threads: Option<usize>,
        /// Use this key directory (libsnark reduction) instead of a fresh dev setup.
        #[arg(long)]
        keys: Option<PathBuf>,
    },
}

/// `1s`, `500ms`, `2m`, or plain seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((s, "s"), |i| s.split_at(i));
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 1s, 500ms)"))?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" => v * 60.0,
        _ => return Err(format!("{s:?}: unit must be ms, s or m")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{s:?}: {e}"))
}

/// Log directive that keeps arkworks' namespace spans disabled (see `main`).
const GR1CS_OFF: &str = "gr1cs=off";

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
        Cmd::Worker {
            sequencer,
            keys: dir,
            name,
            poll,
            threads,
        } => {
            let key = echonet_prover::worker::WorkerKey::load(&dir)?;
            let mut cfg = echonet_prover::worker::WorkerConfig::new(sequencer);
            if let Some(name) = name {
                cfg.name = name;
            }
            cfg.poll = poll;
            cfg.threads = threads;
            run_async(run_worker(cfg, key))
        }
        Cmd::BenchmarkFarm {
            batch_size,
            batches,
            workers,
            threads,
            keys: dir,
        } => benchmark_farm(batch_size, batches, workers, threads, dir),
    }
}

/// A multi-threaded runtime for the farm's commands. Dropped without waiting for blocking
/// work, so that a stopped worker exits even mid-proof.
fn run_async(
    fut: impl std::future::Future<Output = Result<ExitCode, CliError>>,
) -> Result<ExitCode, CliError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Msg(format!("cannot start the async runtime: {e}")))?;
    let r = rt.block_on(fut);
    rt.shutdown_background();
    r
}

async fn run_worker(
    cfg: echonet_prover::worker::WorkerConfig,
    key: echonet_prover::worker::WorkerKey,
) -> Result<ExitCode, CliError> {
    use tokio::signal::unix::{signal, SignalKind};
    let worker = echonet_prover::worker::Worker::new(cfg, std::sync::Arc::new(key))
        .map_err(|e| CliError::Msg(e.to_string()))?;
    let stop = worker.shutdown_handle();
    let mut term = signal(SignalKind::terminate())
        .map_err(|e| CliError::Msg(format!("cannot listen for SIGTERM: {e}")))?;
    let mut int = signal(SignalKind::interrupt())
        .map_err(|e| CliError::Msg(format!("cannot listen for SIGINT: {e}")))?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!(target: "worker", "SIGTERM: stopping"),
            _ = int.recv() => tracing::info!(target: "worker", "SIGINT: stopping"),
        }
        stop.shutdown();
    });
    let report = worker
        .run()
        .await
        .map_err(|e| CliError::Msg(e.to_string()))?;
    let accepted = report.jobs.iter().filter(|j| j.accepted).count();
    eprintln!(
        "worker stopped: {} proof(s) submitted, {accepted} accepted",
        report.jobs.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn benchmark_farm(
    batch_size: usize,
    batches: u64,
    workers: usize,
    threads: Option<usize>,
    dir: Option<PathBuf>,
) -> Result<ExitCode, CliError> {
    use echonet_prover::farm::bench;
    if batch_size == 0 || batches == 0 || workers == 0 {
        return Err(CliError::Msg(
            "--batch-size, --batches and --workers must be at least 1".into(),
        ));
    }
    let pk = match dir {
        Some(dir) => {
            let (meta, pk) = load_pk(&dir)?;
            if meta.batch_size != batch_size || meta.reduction != QapReduction::Libsnark {
                return Err(CliError::Msg(format!(
                    "{}: keys are for batch size {} ({:?}); the benchmark needs batch size {batch_size} (libsnark)",
                    dir.display(),
                    meta.batch_size,
                    meta.reduction
                )));
            }
            pk
        }
        None => {
            eprintln!("WARNING: benchmark uses {}", keys::INSECURE_BANNER);
            let start = Instant::now();
            let pk = keys::setup_dev(batch_size, 0)?.0;
            eprintln!("setup done in {:.1}s", start.elapsed().as_secs_f64());
            pk
        }
    };
    let cfg = bench::FarmBenchConfig {
        batch_size,
        batches,
        workers,
        threads,
    };
    let report = run_async(async move {
        bench::run(cfg, pk)
            .await
            .map(|r| {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&r).unwrap_or_else(|e| e.to_string())
                );
                ExitCode::SUCCESS
            })
            .map_err(|e| CliError::Msg(e.to_string()))
    })?;
    Ok(report)
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
    // Logs (the worker's progress) on stderr; RUST_LOG overrides the default `info`.
    // arkworks' `ns!` enters an `info` span per namespace and leaks it on purpose, so with
    // target `gr1cs` enabled a synthesis keeps every span alive: gigabytes for one slot.
    // It stays off whatever RUST_LOG says.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
        .add_directive(GR1CS_OFF.parse().expect("a valid static directive"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
