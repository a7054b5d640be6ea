//! # Prover worker (`echonet-prover worker`)
//!
//! The other side of [`crate::farm`]. A [`Worker`] loads the proving key and builds its circuit
//! matrices once ([`WorkerKey::load`]), then loops: `prover_getJob`; check the job's batch size and verifying
//! key hash against its own key (a mismatch stops the worker with [`WorkerError::KeyMismatch`]:
//! every job of that farm would mismatch); prove on its own rayon pool (all cores unless
//! [`WorkerConfig::threads`] says otherwise) while another task heartbeats the lease;
//! `prover_submitProof`; repeat. An empty queue is polled every [`WorkerConfig::poll`].
//!
//! When the sequencer is unreachable the worker retries with exponential backoff (from `poll`
//! up to [`WorkerConfig::max_backoff`]) and logs each failure, so workers can be started before
//! the sequencer and survive its restarts.
//!
//! A Groth16 proof cannot be interrupted, so a lost lease (heartbeat answers `false`) does not
//! stop the proof in progress: the proof is still submitted, since the farm accepts a late
//! valid proof for a batch nobody has proven yet, and a `2102` answer is then logged and
//! ignored. [`ShutdownHandle::shutdown`] (the binary wires SIGINT and SIGTERM to it) makes
//! [`Worker::run`] return at once, even mid-proof: the proving thread is left to finish on its
//! own and its result is dropped; the farm hands the job out again when the lease expires.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use echonet_rollup_primitives::batch::BatchTrace;
use jsonrpsee::core::client::{ClientT, Error as ClientError};
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use serde_json::value::RawValue;
use tokio::sync::{broadcast, oneshot, watch};

use crate::farm::{max_job_response_bytes, JobDescriptor, ERR_INVALID_PROOF, MAX_REQUEST_BYTES};
use crate::fast::PreparedProver;
use crate::{keys, ProverError, ProvingKey, QapReduction};

/// A proving key with what the worker checks jobs against.
pub struct WorkerKey {
    /// The key with its circuit's matrices, built once (see [`crate::fast`]).
    prover: PreparedProver,
    batch_size: usize,
    /// `0x` + SHA-256 of the verifying key.
    vk_hash: String,
}

impl WorkerKey {
    /// Loads a key directory written by `echonet-prover setup` (proving key, `meta.json`).
    pub fn load(dir: &Path) -> Result<WorkerKey, ProverError> {
        let meta = keys::load_meta(dir)?;
        if meta.insecure {
            tracing::warn!(target: "worker", "{}", keys::INSECURE_BANNER);
        }
        let pk = keys::load_proving_key(&dir.join(keys::PK_FILE))?;
        WorkerKey::new(pk, meta.batch_size, meta.reduction)
    }

    /// A key already in memory (tests, benchmarks).
    pub fn new(
        pk: ProvingKey,
        batch_size: usize,
        reduction: QapReduction,
    ) -> Result<WorkerKey, ProverError> {
        let vk_hash = format!("0x{}", keys::vk_hash(&pk.vk)?);
        let prover = PreparedProver::new(pk, reduction, batch_size)?;
        Ok(WorkerKey {
            prover,
            batch_size,
            vk_hash,
        })
    }

    /// `0x` + SHA-256 of the verifying key.
    pub fn vk_hash(&self) -> &str {
        &self.vk_hash
    }

    /// Slots per batch of the key.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
}

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The farm's URL, `http://host:port` (the sequencer's `--prover-rpc-port`).
    pub sequencer: String,
    /// Shown in the sequencer's logs.
    pub name: String,
    /// Wait between `prover_getJob` calls while the queue is empty, and the first retry delay
    /// when the sequencer is unreachable.
    pub poll: Duration,
    /// Longest retry delay when the sequencer is unreachable.
    pub max_backoff: Duration,
    /// Proving threads; `None`: rayon's default (every core, or `RAYON_NUM_THREADS`).
    pub threads: Option<usize>,
    /// Timeout of each RPC call (a job answer carries the whole trace).
    pub request_timeout: Duration,
}

impl WorkerConfig {
    /// Defaults for a sequencer URL: 1 s poll, 30 s longest backoff, all cores.
    pub fn new(sequencer: impl Into<String>) -> WorkerConfig {
        WorkerConfig {
            sequencer: sequencer.into(),
            name: default_name(),
            poll: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            threads: None,
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// `<hostname>-<pid>`.
pub fn default_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let host = if host.is_empty() {
        "worker".into()
    } else {
        host
    };
    format!("{host}-{}", std::process::id())
}

/// Why a worker stopped.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The URL is not one the client can use.
    #[error("cannot use sequencer URL {url:?}: {error} (expected http://host:port)")]
    Url {
        /// The URL given.
        url: String,
        /// The client's message.
        error: String,
    },
    /// The farm's jobs are for another key than this worker's.
    #[error(
        "key mismatch: the sequencer's job for batch #{batch} needs batch size {job_batch_size} and verifying key {job_vk_hash}, \
         but this worker's key is for batch size {key_batch_size} with verifying key {key_vk_hash}; \
         start the worker with the key directory the sequencer was set up with"
    )]
    KeyMismatch {
        /// The job's batch.
        batch: u64,
        /// Batch size the job asks for.
        job_batch_size: u32,
        /// Verifying key hash the job asks for.
        job_vk_hash: String,
        /// This worker's batch size.
        key_batch_size: usize,
        /// This worker's verifying key hash.
        key_vk_hash: String,
    },
    /// The rayon pool could not be built.
    #[error("cannot start {threads} proving threads: {error}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// rayon's message.
        error: String,
    },
}

/// What a worker reports as it goes (for tests, benchmarks and monitoring in-process).
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerEvent {
    /// A job was leased.
    Leased {
        /// The job id.
        job_id: String,
        /// The batch.
        batch: u64,
    },
    /// A proof was made.
    Proved {
        /// The batch.
        batch: u64,
        /// Seconds spent proving.
        prove_s: f64,
    },
    /// The farm accepted the proof.
    Accepted {
        /// The batch.
        batch: u64,
    },
    /// The farm did not take the proof (its code and message).
    Refused {
        /// The batch.
        batch: u64,
        /// JSON-RPC error code (2101 invalid, 2102 already proven or unknown job).
        code: i32,
    },
    /// Proving failed (the trace does not satisfy the circuit, or is malformed).
    ProveFailed {
        /// The batch.
        batch: u64,
        /// The error.
        error: String,
    },
    /// The sequencer could not be reached; retrying after the delay.
    Unreachable {
        /// Delay before the next try.
        retry_in: Duration,
    },
}

/// One job's timings, for [`WorkerReport`].
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    /// The batch.
    pub batch: u64,
    /// `prover_getJob` round trip, trace download and parse.
    pub fetch_s: f64,
    /// Witness, synthesis and Groth16 (and the prover's own check of the proof).
    pub prove_s: f64,
    /// `prover_submitProof` round trip (including the farm's verification).
    pub submit_s: f64,
    /// The farm accepted the proof.
    pub accepted: bool,
}

/// What a worker did before it stopped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkerReport {
    /// Jobs that reached a submission, in order.
    pub jobs: Vec<JobRecord>,
}

/// Stops a [`Worker`] (cheap to clone).
#[derive(Clone)]
pub struct ShutdownHandle(Arc<watch::Sender<bool>>);

impl ShutdownHandle {
    /// Makes [`Worker::run`] return as soon as it can (at once, even mid-proof).
    pub fn shutdown(&self) {
        self.0.send_replace(true);
    }
}

/// A prover worker (see the module doc).
pub struct Worker {
    cfg: WorkerConfig,
    key: Arc<WorkerKey>,
    client: HttpClient,
    pool: Arc<rayon::ThreadPool>,
    shutdown_tx: Arc<watch::Sender<bool>>,
    shutdown_rx: watch::Receiver<bool>,
    events: broadcast::Sender<WorkerEvent>,
}

/// A call's outcome, as the loop cares about it.
enum CallError {
    /// Transport failure, timeout: the sequencer is (for now) unreachable.
    Unreachable(String),
    /// The farm answered with an error.
    Rpc(i32, String),
}

impl From<ClientError> for CallError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Call(obj) => CallError::Rpc(obj.code(), obj.message().to_string()),
            other => CallError::Unreachable(other.to_string()),
        }
    }
}

impl Worker {
    /// A worker for `cfg.sequencer` with `key` (shared, so several in-process workers can use
    /// one loaded key).
    pub fn new(cfg: WorkerConfig, key: Arc<WorkerKey>) -> Result<Worker, WorkerError> {
        let client = HttpClientBuilder::default()
            .max_request_size(MAX_REQUEST_BYTES)
            .max_response_size(max_job_response_bytes(key.batch_size))
            .request_timeout(cfg.request_timeout)
            .build(&cfg.sequencer)
            .map_err(|e| WorkerError::Url {
                url: cfg.sequencer.clone(),
                error: e.to_string(),
            })?;
        let threads = cfg.threads.unwrap_or(0);
        let name = cfg.name.clone();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(move |i| format!("prove-{name}-{i}"))
            .build()
            .map_err(|e| WorkerError::Threads {
                threads,
                error: e.to_string(),
            })?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (events, _) = broadcast::channel(256);
        Ok(Worker {
            cfg,
            key,
            client,
            pool: Arc::new(pool),
            shutdown_tx: Arc::new(shutdown_tx),
            shutdown_rx,
            events,
        })
    }

    /// A handle that stops [`Worker::run`].
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(Arc::clone(&self.shutdown_tx))
    }

    /// Progress events from now on (a slow receiver misses old ones, it never blocks the
    /// worker).
    pub fn subscribe(&self) -> broadcast::Receiver<WorkerEvent> {
        self.events.subscribe()
    }

    /// Proving threads of this worker's pool.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    fn emit(&self, e: WorkerEvent) {
        let _ = self.events.send(e);
    }

    /// Sleeps for `d`; false if shut down meanwhile.
    async fn sleep(&self, d: Duration) -> bool {
        let mut rx = self.shutdown_rx.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = rx.wait_for(|s| *s) => {}
        }
        !self.stopped()
    }

    fn stopped(&self) -> bool {
        *self.shutdown_rx.borrow()
    }

    /// Runs until shut down ([`ShutdownHandle::shutdown`]) or until the farm's key does not
    /// match this worker's ([`WorkerError::KeyMismatch`]).
    pub async fn run(self) -> Result<WorkerReport, WorkerError> {
        let mut report = WorkerReport::default();
        let mut backoff = self.cfg.poll;
        tracing::info!(
            target: "worker",
            "worker {:?} polling {} (batch size {}, verifying key {}, {} proving threads)",
            self.cfg.name,
            self.cfg.sequencer,
            self.key.batch_size,
            self.key.vk_hash,
            self.threads()
        );
        while !self.stopped() {
            let fetch_start = Instant::now();
            let job = match self.get_job().await {
                Ok(job) => job,
                Err(CallError::Unreachable(e)) => {
                    tracing::warn!(target: "worker", "sequencer {} unreachable ({e}); retrying in {:.1}s", self.cfg.sequencer, backoff.as_secs_f64());
                    self.emit(WorkerEvent::Unreachable { retry_in: backoff });
                    if !self.sleep(backoff).await {
                        break;
                    }
                    backoff = (backoff * 2).min(self.cfg.max_backoff.max(self.cfg.poll));
                    continue;
                }
                Err(CallError::Rpc(code, msg)) => {
                    tracing::warn!(target: "worker", "prover_getJob failed ({code}: {msg}); retrying in {:.1}s", backoff.as_secs_f64());
                    if !self.sleep(backoff).await {
                        break;
                    }
                    backoff = (backoff * 2).min(self.cfg.max_backoff.max(self.cfg.poll));
                    continue;
                }
            };
            backoff = self.cfg.poll;
            let Some(job) = job else {
                if !self.sleep(self.cfg.poll).await {
                    break;
                }
                continue;
            };
            let fetch_s = fetch_start.elapsed().as_secs_f64();
            if let Some(record) = self.work(job, fetch_s).await? {
                report.jobs.push(record);
            }
        }
        tracing::info!(target: "worker", "worker {:?} stopped after {} job(s)", self.cfg.name, report.jobs.len());
        Ok(report)
    }

    async fn get_job(&self) -> Result<Option<JobDescriptor<Box<RawValue>>>, CallError> {
        let params = rpc_params![serde_json::json!({ "worker": self.cfg.name })];
        Ok(self.client.request("prover_getJob", params).await?)
    }

    /// Proves and submits one job. `Ok(None)`: no submission (proof failed, or shut down).
    async fn work(
        &self,
        job: JobDescriptor<Box<RawValue>>,
        fetch_s: f64,
    ) -> Result<Option<JobRecord>, WorkerError> {
        let batch = job.batch_number;
        if usize::try_from(job.batch_size).ok() != Some(self.key.batch_size)
            || !job.vk_hash.eq_ignore_ascii_case(&self.key.vk_hash)
        {
            return Err(WorkerError::KeyMismatch {
                batch,
                job_batch_size: job.batch_size,
                job_vk_hash: job.vk_hash,
                key_batch_size: self.key.batch_size,
                key_vk_hash: self.key.vk_hash.clone(),
            });
        }
        // Parsed here rather than with the answer, so that a bad trace costs one job, not the
        // worker's loop (the answer's size is bounded by the client).
        let trace: BatchTrace = match serde_json::from_str(job.trace.get()) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(target: "worker", "job {}: batch #{batch}'s trace does not parse: {e}", job.job_id);
                self.emit(WorkerEvent::ProveFailed {
                    batch,
                    error: format!("trace does not parse: {e}"),
                });
                return Ok(None);
            }
        };
        tracing::info!(target: "worker", "job {}: proving batch #{batch} ({} slots)", job.job_id, job.batch_size);
        self.emit(WorkerEvent::Leased {
            job_id: job.job_id.clone(),
            batch,
        });

        let lease_lost = Arc::new(AtomicBool::new(false));
        let heartbeat = tokio::spawn(heartbeat_loop(
            self.client.clone(),
            job.job_id.clone(),
            Duration::from_millis(job.lease_ms),
            Arc::clone(&lease_lost),
        ));

        // A plain thread, not `spawn_blocking`: a shut-down worker must not keep its runtime
        // alive until the proof ends.
        let (tx, rx) = oneshot::channel();
        let key = Arc::clone(&self.key);
        let pool = Arc::clone(&self.pool);
        let started = Instant::now();
        let spawned = std::thread::Builder::new()
            .name(format!("prove-batch-{batch}"))
            .spawn(move || {
                let result = pool.install(|| key.prover.prove(&trace, &mut rand::rngs::OsRng));
                let _ = tx.send(result);
            });
        if let Err(e) = spawned {
            heartbeat.abort();
            tracing::error!(target: "worker", "cannot start a proving thread: {e}");
            self.sleep(self.cfg.poll).await;
            return Ok(None);
        }
        let mut stop = self.shutdown_rx.clone();
        let result = tokio::select! {
            r = rx => r,
            _ = stop.wait_for(|s| *s) => {
                heartbeat.abort();
                tracing::info!(target: "worker", "shutting down mid-proof of batch #{batch}; the farm hands it out again when the lease expires");
                return Ok(None);
            }
        };
        heartbeat.abort();
        let prove_s = started.elapsed().as_secs_f64();
        let proof = match result {
            Ok(Ok((proof, _public))) => proof,
            Ok(Err(e)) => {
                tracing::error!(target: "worker", "job {}: cannot prove batch #{batch}: {e}", job.job_id);
                self.emit(WorkerEvent::ProveFailed {
                    batch,
                    error: e.to_string(),
                });
                return Ok(None);
            }
            Err(_) => {
                tracing::error!(target: "worker", "job {}: the proving thread died on batch #{batch}", job.job_id);
                self.emit(WorkerEvent::ProveFailed {
                    batch,
                    error: "proving thread died".into(),
                });
                return Ok(None);
            }
        };
        tracing::info!(target: "worker", "job {}: batch #{batch} proved in {prove_s:.2}s", job.job_id);
        self.emit(WorkerEvent::Proved { batch, prove_s });
        if lease_lost.load(Ordering::Relaxed) {
            tracing::info!(target: "worker", "job {}: lease was lost; submitting anyway (accepted if batch #{batch} is still unproven)", job.job_id);
        }
        let bytes = match crate::proof_to_bytes(&proof) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(target: "worker", "cannot encode the proof of batch #{batch}: {e}");
                return Ok(None);
            }
        };
        let proof_hex = format!("0x{}", hex::encode(bytes));
        let submit_start = Instant::now();
        let accepted = self.submit(&job.job_id, batch, &proof_hex).await;
        let Some(accepted) = accepted else {
            return Ok(None);
        };
        Ok(Some(JobRecord {
            batch,
            fetch_s,
            prove_s,
            submit_s: submit_start.elapsed().as_secs_f64(),
            accepted,
        }))
    }

    /// Submits with retries while the sequencer is unreachable. `None`: shut down first.
    async fn submit(&self, job_id: &str, batch: u64, proof_hex: &str) -> Option<bool> {
        let mut backoff = self.cfg.poll;
        loop {
            let r: Result<serde_json::Value, ClientError> = self
                .client
                .request("prover_submitProof", rpc_params![job_id, proof_hex])
                .await;
            match r.map_err(CallError::from) {
                Ok(_) => {
                    tracing::info!(target: "worker", "job {job_id}: proof of batch #{batch} accepted");
                    self.emit(WorkerEvent::Accepted { batch });
                    return Some(true);
                }
                Err(CallError::Rpc(code, msg)) => {
                    if code == ERR_INVALID_PROOF {
                        tracing::error!(target: "worker", "job {job_id}: the farm rejected the proof of batch #{batch} as invalid ({msg})");
                    } else {
                        tracing::info!(target: "worker", "job {job_id}: proof of batch #{batch} not taken ({code}: {msg})");
                    }
                    self.emit(WorkerEvent::Refused { batch, code });
                    return Some(false);
                }
                Err(CallError::Unreachable(e)) => {
                    tracing::warn!(target: "worker", "job {job_id}: cannot submit the proof of batch #{batch} ({e}); retrying in {:.1}s", backoff.as_secs_f64());
                    self.emit(WorkerEvent::Unreachable { retry_in: backoff });
                    if !self.sleep(backoff).await {
                        return None;
                    }
                    backoff = (backoff * 2).min(self.cfg.max_backoff.max(self.cfg.poll));
                }
            }
        }
    }
}

/// Renews the lease every third of its length until aborted or the lease is lost.
async fn heartbeat_loop(
    client: HttpClient,
    job_id: String,
    lease: Duration,
    lost: Arc<AtomicBool>,
) {
    let every = (lease / 3).max(Duration::from_millis(50));
    loop {
        tokio::time::sleep(every).await;
        let r: Result<bool, ClientError> = client
            .request("prover_heartbeat", rpc_params![job_id.as_str()])
            .await;
        match r {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(target: "worker", "job {job_id}: lease lost; finishing the proof anyway");
                lost.store(true, Ordering::Relaxed);
                return;
            }
            Err(e) => {
                tracing::warn!(target: "worker", "job {job_id}: heartbeat failed ({e}); will retry");
            }
        }
    }
}
