//! # Prover farm: the sequencer's side
//!
//! The sequencer cuts batches and executes them into [`BatchTrace`]s; proving one takes about a
//! minute per 64 slots, so proofs are made by any number of `echonet-prover worker` processes
//! ([`crate::worker`]) on any machines. A [`Farm`] is the in-memory job queue between the two:
//!
//! * [`Farm::add_job`] queues a batch (idempotent: a number already queued, leased or proven is
//!   ignored, so the sequencer can feed every cut-but-unproven batch again after a restart).
//! * A worker calls `prover_getJob` and gets the **lowest** queued batch number with a lease of
//!   [`FarmConfig::lease`]. It calls `prover_heartbeat` during the proof to keep the lease; a
//!   lease that is not renewed in time expires and the job goes back to the queue for the next
//!   worker (counted in [`FarmStats::reassigned_total`]).
//! * `prover_submitProof` verifies the proof against the trace's `commitment` before it is
//!   accepted. A valid proof is forwarded on [`Farm::proofs`] as the 128 bytes
//!   `pallet_bridge::Call::submit_batch` takes ([`crate::proof_to_bytes`]). That channel is
//!   bounded ([`PROOF_BUFFER`]): when the consumer falls behind, `prover_submitProof` waits for
//!   room before it marks the batch proven, so a slow consumer holds workers back instead of
//!   growing memory, and a submission abandoned while waiting leaves the batch unproven (it
//!   is handed out again) rather than losing its proof. A proof from a job
//!   whose lease expired is still accepted if the batch is still unproven: the work is done, and
//!   throwing it away would only delay settlement. An invalid proof is rejected (error 2101,
//!   [`FarmStats::rejected_total`]) and its job goes back to the queue.
//! * A batch handed out [`FarmConfig::max_attempts`] times without a valid proof is parked as
//!   failed (logged at `error`, [`FarmStats::failed`]) rather than handed out forever: a trace
//!   no worker can prove is a sequencer bug, and retrying it would starve the batches behind it
//!   of workers. [`Farm::retry`] queues it again once the cause is fixed.
//!
//! Expired leases are reclaimed lazily, on every RPC call and on [`Farm::stats`]: nothing
//! observes the queue in between, so no timer task is needed.
//!
//! ## JSON-RPC ([`Farm::rpc_module`], served by [`serve`])
//!
//! * `prover_getJob({"worker":"name"})` (positional or named) → `null` or
//!   `{"jobId","batchNumber","batchSize","vkHash":"0x…","leaseMs","trace":<BatchTrace JSON>}`.
//! * `prover_heartbeat(jobId)` → `true` while the lease is held, `false` once it is lost (the
//!   worker should stop and fetch a new job).
//! * `prover_submitProof(jobId, "0x<128 bytes>")` → `{"accepted":true}`, or error
//!   [`ERR_INVALID_PROOF`] (2101) / [`ERR_UNKNOWN_JOB`] (2102).
//!
//! Malformed parameters are `-32602`. Requests are small (at most [`MAX_REQUEST_BYTES`]); only
//! `prover_getJob` answers are large (a trace, [`max_job_response_bytes`]).

pub mod bench;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ark_serialize::CanonicalDeserialize;
use echonet_rollup_primitives::batch::BatchTrace;
use jsonrpsee::server::{BatchRequestConfig, Server, ServerHandle};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use jsonrpsee::RpcModule;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio::sync::mpsc;

use crate::{Proof, VerifyingKey};

/// Error code: the submitted proof does not verify against the batch's commitment (or does not
/// decode as a proof).
pub const ERR_INVALID_PROOF: i32 = 2101;
/// Error code: the job id was never issued, or its batch is already proven.
pub const ERR_UNKNOWN_JOB: i32 = 2102;
/// JSON-RPC's "invalid params".
pub const ERR_INVALID_PARAMS: i32 = -32602;
/// JSON-RPC's "internal error" (the verification task died).
pub const ERR_INTERNAL: i32 = -32603;

/// Bytes of a proof on the wire and on L1 (arkworks' compressed encoding).
pub const PROOF_BYTES: usize = 128;
/// Longest request body the farm's server accepts: every `prover_*` request is a few hundred
/// bytes; the largest is a proof (256 hex digits).
pub const MAX_REQUEST_BYTES: u32 = 64 * 1024;
/// Longest worker name accepted (longer is `-32602`).
pub const MAX_WORKER_NAME: usize = 64;
/// Longest job id accepted (ids the farm issues are 36 characters).
pub const MAX_JOB_ID: usize = 64;
/// Capacity of the [`Farm::proofs`] channel of [`Farm::new`]: 64 proofs (136 bytes each)
/// absorb a burst from 64 workers finishing at once, while the consumer (one database write
/// per proof) normally keeps it near empty.
pub const PROOF_BUFFER: usize = 64;

/// Upper bound on a `prover_getJob` answer for `batch_size` slots: 1 MiB plus 40 KiB per slot.
/// A slot's trace is about 5 KB of JSON (an 8-slot trace is 40,406 bytes), so this leaves
/// ample room for heavier slot types; a test checks it against real traces. Server and worker
/// both use it.
pub fn max_job_response_bytes(batch_size: usize) -> u32 {
    let bytes = 1024u64 * 1024 + (batch_size as u64).saturating_mul(40 * 1024);
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

/// Tunables of a [`Farm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FarmConfig {
    /// How long a job stays with a worker without a heartbeat.
    pub lease: Duration,
    /// How many times a batch is handed out before it is parked as failed (see the module doc).
    pub max_attempts: u32,
}

impl Default for FarmConfig {
    /// The sequencer's `--job-lease` default (120 s), and 10 attempts.
    fn default() -> Self {
        FarmConfig {
            lease: Duration::from_secs(120),
            max_attempts: 10,
        }
    }
}

/// Counters and queue lengths of a [`Farm`] (for `l2_status` and metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FarmStats {
    /// Jobs waiting for a worker.
    pub queued: usize,
    /// Jobs held by a worker under a live lease.
    pub leased: usize,
    /// Jobs parked after [`FarmConfig::max_attempts`] hand-outs without a valid proof.
    pub failed: usize,
    /// Valid proofs accepted since the farm started.
    pub proven_total: u64,
    /// Leases that expired without a proof (their job went back to the queue, or was parked
    /// if it had used up its attempts).
    pub reassigned_total: u64,
    /// Invalid proofs rejected.
    pub rejected_total: u64,
    /// Verified proofs whose `prover_submitProof` waits for room in [`Farm::proofs`] (the
    /// consumer is behind; their batches are not marked proven yet).
    pub awaiting_room: usize,
}

/// Why [`Farm::try_add_job`] refused a trace.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddJobError {
    /// The trace is for another batch size than the farm's key.
    #[error("batch {number}: trace has {got} slots, the farm's key is for {expected}")]
    BatchSize {
        /// The batch.
        number: u64,
        /// The trace's batch size.
        got: usize,
        /// The farm's batch size.
        expected: usize,
    },
    /// The trace's header names another batch number.
    #[error("job {number} holds the trace of batch {in_trace}")]
    NumberMismatch {
        /// The number the job was queued under.
        number: u64,
        /// The number in the trace's header.
        in_trace: u64,
    },
    /// The trace does not serialize (cannot happen for a trace from `execute_batch`).
    #[error("batch {number}: trace does not serialize: {error}")]
    Serialize {
        /// The batch.
        number: u64,
        /// serde_json's message.
        error: String,
    },
}

/// Errors of [`serve`].
#[derive(Debug, thiserror::Error)]
pub enum FarmServeError {
    /// The address cannot be bound (in use, or not local).
    #[error("cannot serve the prover farm on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// What [`Farm::proofs`] yields: (batch number, the proof as `submit_batch` takes it).
pub type ProvenBatchProof = (u64, [u8; PROOF_BYTES]);

/// The job queue. Cheap to clone (an `Arc` inside); every clone is the same farm.
#[derive(Clone)]
pub struct Farm {
    inner: Arc<Inner>,
}

struct Inner {
    vk: VerifyingKey,
    /// `0x` + SHA-256 of the compressed verifying key, as workers compare it.
    vk_hash: String,
    batch_size: usize,
    cfg: FarmConfig,
    state: Mutex<State>,
    /// Submissions waiting in `reserve` (see [`FarmStats::awaiting_room`]).
    awaiting_room: AtomicUsize,
    proofs_tx: mpsc::Sender<ProvenBatchProof>,
    proofs_rx: Mutex<Option<mpsc::Receiver<ProvenBatchProof>>>,
}

/// How many proven batch numbers are remembered individually; older ones fold into
/// `State::proven_floor`, so memory stays bounded over the rollup's lifetime.
const PROVEN_MEMORY: usize = 4096;

#[derive(Default)]
struct State {
    /// Every unproven batch: queued, leased or failed.
    jobs: BTreeMap<u64, Job>,
    /// Batch numbers ready to be handed out (lowest first).
    queue: BTreeSet<u64>,
    /// Live leases by job id.
    leases: HashMap<String, Lease>,
    /// Every job id handed out for a still-unproven batch (live or expired), for late proofs.
    issued: HashMap<String, u64>,
    /// Recently proven batch numbers.
    proven: BTreeSet<u64>,
    /// Every batch number at or below this one counts as proven (see [`PROVEN_MEMORY`]).
    proven_floor: Option<u64>,
    stats: FarmStats,
}

struct Job {
    trace: Arc<BatchTrace>,
    /// The trace serialized once, sent as is to each worker.
    trace_json: Box<RawValue>,
    /// Hand-outs so far.
    attempts: u32,
    /// The job id of the live lease, if any.
    lease: Option<String>,
    failed: bool,
}

struct Lease {
    number: u64,
    worker: String,
    expires: Instant,
}

/// `prover_getJob`'s answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobDescriptor<T> {
    /// Opaque id of this lease; heartbeat and submit with it.
    pub job_id: String,
    /// The batch to prove.
    pub batch_number: u64,
    /// Slots in the batch (the proving key must be for this size).
    pub batch_size: u32,
    /// `0x` + SHA-256 of the verifying key the proof is checked with.
    pub vk_hash: String,
    /// Lease length: heartbeat well within it.
    pub lease_ms: u64,
    /// The batch trace (raw JSON on the server, parsed by the worker).
    pub trace: T,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GetJobParams {
    worker: String,
}

fn rpc_error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    rpc_error(ERR_INVALID_PARAMS, message)
}

fn check_job_id(id: &str) -> Result<(), ErrorObjectOwned> {
    if id.is_empty() || id.len() > MAX_JOB_ID {
        return Err(invalid_params(format!(
            "job id must be 1 to {MAX_JOB_ID} characters"
        )));
    }
    Ok(())
}

/// A fresh job id: 128 random bits in UUID layout.
fn new_job_id() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Decodes `"0x"` + 256 hex digits.
fn parse_proof_hex(s: &str) -> Result<[u8; PROOF_BYTES], ErrorObjectOwned> {
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| invalid_params("proof must be 0x-prefixed hex"))?;
    if digits.len() != 2 * PROOF_BYTES {
        return Err(invalid_params(format!(
            "proof must be {PROOF_BYTES} bytes ({} hex digits), got {} digits",
            2 * PROOF_BYTES,
            digits.len()
        )));
    }
    let mut out = [0u8; PROOF_BYTES];
    hex::decode_to_slice(digits, &mut out)
        .map_err(|e| invalid_params(format!("proof is not hex: {e}")))?;
    Ok(out)
}

impl State {
    fn is_proven(&self, number: u64) -> bool {
        self.proven.contains(&number) || self.proven_floor.is_some_and(|f| number <= f)
    }

    /// Returns expired leases' jobs to the queue (or parks them after too many attempts).
    fn reap(&mut self, now: Instant, max_attempts: u32) {
        let expired: Vec<String> = self
            .leases
            .iter()
            .filter(|(_, l)| l.expires <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            if let Some(lease) = self.leases.remove(&id) {
                tracing::warn!(
                    target: "farm",
                    "lease {id} of batch #{} (worker {}) expired; the job goes back to the queue",
                    lease.number,
                    lease.worker
                );
                self.stats.reassigned_total += 1;
                self.release(lease.number, max_attempts);
            }
        }
    }

    /// The job of `number` lost its lease: queue it again, or park it.
    fn release(&mut self, number: u64, max_attempts: u32) {
        let Some(job) = self.jobs.get_mut(&number) else {
            return;
        };
        job.lease = None;
        if job.attempts >= max_attempts {
            job.failed = true;
            tracing::error!(
                target: "farm",
                "batch #{number} was handed out {} times without a valid proof; parked (Farm::retry queues it again)",
                job.attempts
            );
        } else {
            self.queue.insert(number);
        }
    }

    fn mark_proven(&mut self, number: u64) {
        if let Some(job) = self.jobs.remove(&number) {
            if let Some(id) = job.lease {
                self.leases.remove(&id);
            }
        }
        self.queue.remove(&number);
        self.issued.retain(|_, n| *n != number);
        self.proven.insert(number);
        while self.proven.len() > PROVEN_MEMORY {
            if let Some(oldest) = self.proven.pop_first() {
                self.proven_floor = Some(self.proven_floor.map_or(oldest, |f| f.max(oldest)));
            }
        }
        self.stats.proven_total += 1;
    }

    fn counts(&self) -> FarmStats {
        FarmStats {
            queued: self.queue.len(),
            leased: self.leases.len(),
            failed: self.jobs.values().filter(|j| j.failed).count(),
            ..self.stats
        }
    }
}

impl Farm {
    /// A farm whose proofs are checked with `vk`, for batches of `batch_size` slots, with a
    /// [`Farm::proofs`] channel of [`PROOF_BUFFER`] proofs.
    pub fn new(vk: VerifyingKey, batch_size: usize, cfg: FarmConfig) -> Farm {
        Farm::with_proof_buffer(vk, batch_size, cfg, PROOF_BUFFER)
    }

    /// [`Farm::new`] with a [`Farm::proofs`] channel of `proof_buffer` proofs (at least 1):
    /// the `proof_buffer + 1`-th unread proof makes `prover_submitProof` wait.
    pub fn with_proof_buffer(
        vk: VerifyingKey,
        batch_size: usize,
        cfg: FarmConfig,
        proof_buffer: usize,
    ) -> Farm {
        let vk_hash = match crate::keys::vk_hash(&vk) {
            Ok(h) => format!("0x{h}"),
            // Serializing a key in memory to a Vec cannot fail; an empty hash would only make
            // every worker refuse the jobs, which is loud.
            Err(e) => {
                tracing::error!(target: "farm", "cannot hash the verifying key: {e}");
                String::new()
            }
        };
        let (proofs_tx, proofs_rx) = mpsc::channel(proof_buffer.max(1));
        Farm {
            inner: Arc::new(Inner {
                vk,
                vk_hash,
                batch_size,
                cfg,
                state: Mutex::new(State::default()),
                awaiting_room: AtomicUsize::new(0),
                proofs_tx,
                proofs_rx: Mutex::new(Some(proofs_rx)),
            }),
        }
    }

    /// `0x` + SHA-256 of the farm's verifying key (what workers check their key against).
    pub fn vk_hash(&self) -> &str {
        &self.inner.vk_hash
    }

    /// Slots per batch.
    pub fn batch_size(&self) -> usize {
        self.inner.batch_size
    }

    /// Queues batch `number` for proving. Idempotent: a number that is queued, leased, failed
    /// or proven already is ignored. A trace that does not fit the farm (see
    /// [`Farm::try_add_job`]) is logged at `error` and not queued.
    pub fn add_job(&self, number: u64, trace: Arc<BatchTrace>) {
        if let Err(e) = self.try_add_job(number, trace) {
            tracing::error!(target: "farm", "not queued: {e}");
        }
    }

    /// [`Farm::add_job`], reporting a trace that no worker could prove with the farm's key.
    /// Returns whether the job was new.
    pub fn try_add_job(&self, number: u64, trace: Arc<BatchTrace>) -> Result<bool, AddJobError> {
        if trace.batch_size != self.inner.batch_size {
            return Err(AddJobError::BatchSize {
                number,
                got: trace.batch_size,
                expected: self.inner.batch_size,
            });
        }
        if trace.header.batch_number != number {
            return Err(AddJobError::NumberMismatch {
                number,
                in_trace: trace.header.batch_number,
            });
        }
        {
            let state = self.inner.state.lock();
            if state.jobs.contains_key(&number) || state.is_proven(number) {
                return Ok(false);
            }
        }
        // Serialize outside the lock (a 64-slot trace is about a megabyte).
        let json = serde_json::to_string(&*trace).map_err(|e| AddJobError::Serialize {
            number,
            error: e.to_string(),
        })?;
        let trace_json = RawValue::from_string(json).map_err(|e| AddJobError::Serialize {
            number,
            error: e.to_string(),
        })?;
        let mut state = self.inner.state.lock();
        if state.jobs.contains_key(&number) || state.is_proven(number) {
            return Ok(false);
        }
        state.jobs.insert(
            number,
            Job {
                trace,
                trace_json,
                attempts: 0,
                lease: None,
                failed: false,
            },
        );
        state.queue.insert(number);
        tracing::debug!(target: "farm", "batch #{number} queued for proving");
        Ok(true)
    }

    /// Queues a batch parked as failed again (with a fresh attempt count). Returns whether it
    /// was parked.
    pub fn retry(&self, number: u64) -> bool {
        let mut state = self.inner.state.lock();
        let Some(job) = state.jobs.get_mut(&number) else {
            return false;
        };
        if !job.failed {
            return false;
        }
        job.failed = false;
        job.attempts = 0;
        state.queue.insert(number);
        true
    }

    /// Verified proofs as they arrive, in any order: (batch number, the 128 bytes
    /// `submit_batch` takes). Each accepted proof is sent exactly once. The channel is bounded
    /// (see [`Farm::with_proof_buffer`]): read it promptly, or workers' submissions wait.
    /// Callable once; later calls get a receiver that is already closed.
    pub fn proofs(&self) -> mpsc::Receiver<ProvenBatchProof> {
        match self.inner.proofs_rx.lock().take() {
            Some(rx) => rx,
            None => {
                tracing::error!(target: "farm", "Farm::proofs called twice; the second receiver gets nothing");
                mpsc::channel(1).1
            }
        }
    }

    /// Queue lengths and counters (expired leases are reclaimed first).
    pub fn stats(&self) -> FarmStats {
        let mut state = self.inner.state.lock();
        state.reap(Instant::now(), self.inner.cfg.max_attempts);
        FarmStats {
            awaiting_room: self.inner.awaiting_room.load(Ordering::Relaxed),
            ..state.counts()
        }
    }

    /// `prover_getJob`: leases the lowest queued batch to `worker`.
    fn get_job(&self, worker: &str) -> Option<JobDescriptor<Box<RawValue>>> {
        let now = Instant::now();
        let mut state = self.inner.state.lock();
        state.reap(now, self.inner.cfg.max_attempts);
        let number = state.queue.pop_first()?;
        let job_id = new_job_id();
        let job = state.jobs.get_mut(&number)?;
        job.attempts += 1;
        job.lease = Some(job_id.clone());
        let attempt = job.attempts;
        let trace = job.trace_json.clone();
        state.leases.insert(
            job_id.clone(),
            Lease {
                number,
                worker: worker.to_string(),
                expires: now + self.inner.cfg.lease,
            },
        );
        state.issued.insert(job_id.clone(), number);
        drop(state);
        tracing::info!(
            target: "farm",
            "batch #{number} leased to worker {worker:?} as job {job_id} (attempt {attempt})"
        );
        Some(JobDescriptor {
            job_id,
            batch_number: number,
            batch_size: u32::try_from(self.inner.batch_size).unwrap_or(u32::MAX),
            vk_hash: self.inner.vk_hash.clone(),
            lease_ms: u64::try_from(self.inner.cfg.lease.as_millis()).unwrap_or(u64::MAX),
            trace,
        })
    }

    /// `prover_heartbeat`: renews a live lease.
    fn heartbeat(&self, job_id: &str) -> bool {
        let now = Instant::now();
        let mut state = self.inner.state.lock();
        state.reap(now, self.inner.cfg.max_attempts);
        match state.leases.get_mut(job_id) {
            Some(lease) => {
                lease.expires = now + self.inner.cfg.lease;
                true
            }
            None => false,
        }
    }

    /// `prover_submitProof`: verifies (on a blocking thread: a pairing check), then accepts or
    /// rejects. An accepted proof waits for room in the [`Farm::proofs`] channel *before* its
    /// batch is marked proven: if this future is dropped while waiting (the worker gave up),
    /// nothing has changed and the batch is handed out again; once marked, the send cannot
    /// fail to happen.
    async fn submit_proof(
        &self,
        job_id: &str,
        bytes: [u8; PROOF_BYTES],
    ) -> Result<serde_json::Value, ErrorObjectOwned> {
        let (number, trace) = {
            let mut state = self.inner.state.lock();
            state.reap(Instant::now(), self.inner.cfg.max_attempts);
            let number = *state.issued.get(job_id).ok_or_else(|| {
                rpc_error(
                    ERR_UNKNOWN_JOB,
                    "unknown job, or its batch is already proven",
                )
            })?;
            let trace = state
                .jobs
                .get(&number)
                .map(|j| Arc::clone(&j.trace))
                .ok_or_else(|| rpc_error(ERR_UNKNOWN_JOB, "the job's batch is already proven"))?;
            (number, trace)
        };
        let farm = self.clone();
        let verified = tokio::task::spawn_blocking(move || farm.verify(number, &trace, &bytes))
            .await
            .map_err(|e| rpc_error(ERR_INTERNAL, format!("verification task failed: {e}")))?;
        let Some(out) = verified else {
            let mut state = self.inner.state.lock();
            if !state.jobs.contains_key(&number) {
                return Err(rpc_error(
                    ERR_UNKNOWN_JOB,
                    "the job's batch was proven meanwhile",
                ));
            }
            state.stats.rejected_total += 1;
            state.issued.remove(job_id);
            let worker = state.leases.remove(job_id).map(|l| l.worker);
            if let Some(worker) = &worker {
                state.release(number, self.inner.cfg.max_attempts);
                tracing::warn!(target: "farm", "invalid proof of batch #{number} from worker {worker:?} (job {job_id}); the job goes back to the queue");
            } else {
                tracing::warn!(target: "farm", "invalid late proof of batch #{number} (job {job_id})");
            }
            return Err(rpc_error(
                ERR_INVALID_PROOF,
                format!("the proof does not verify against batch #{number}'s commitment"),
            ));
        };
        // Back-pressure: wait for room before anything changes (cancel-safe, see above).
        let permit = {
            let _waiting = AwaitingRoom::enter(&self.inner.awaiting_room);
            self.inner.proofs_tx.reserve().await.ok()
        };
        let mut state = self.inner.state.lock();
        if !state.jobs.contains_key(&number) {
            return Err(rpc_error(
                ERR_UNKNOWN_JOB,
                "the job's batch was proven meanwhile",
            ));
        }
        let late = !state.leases.contains_key(job_id);
        state.mark_proven(number);
        drop(state);
        tracing::info!(
            target: "farm",
            "batch #{number} proven (job {job_id}{})",
            if late { ", after its lease" } else { "" }
        );
        match permit {
            Some(permit) => permit.send((number, out)),
            None => {
                tracing::warn!(target: "farm", "batch #{number}: nobody receives proofs (Farm::proofs dropped)")
            }
        }
        Ok(serde_json::json!({ "accepted": true }))
    }

    /// Decodes and verifies a proof of batch `number`; `Some`: its canonical encoding (what
    /// the bridge decodes, not the caller's bytes).
    fn verify(
        &self,
        number: u64,
        trace: &BatchTrace,
        bytes: &[u8; PROOF_BYTES],
    ) -> Option<[u8; PROOF_BYTES]> {
        // Decoding checks the points are on the curve and in the subgroup.
        let proof = Proof::deserialize_compressed(&bytes[..]).ok()?;
        match crate::verify(&self.inner.vk, &[trace.commitment], &proof) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                tracing::warn!(target: "farm", "verifying batch #{number}: {e}");
                return None;
            }
        }
        crate::proof_to_bytes(&proof)
            .ok()
            .and_then(|v| <[u8; PROOF_BYTES]>::try_from(v).ok())
    }

    /// The `prover_*` methods, to serve on their own ([`serve`]) or merged into another server.
    pub fn rpc_module(&self) -> RpcModule<()> {
        let mut module = RpcModule::new(());
        let farm = self.clone();
        // Method names are distinct constants, so registration cannot fail.
        let _ = module.register_method("prover_getJob", move |params, _, _| {
            let p = parse_get_job(&params)?;
            if p.worker.len() > MAX_WORKER_NAME || p.worker.chars().any(char::is_control) {
                return Err(invalid_params(format!(
                    "worker name must be at most {MAX_WORKER_NAME} bytes without control characters"
                )));
            }
            Ok::<_, ErrorObjectOwned>(farm.get_job(&p.worker))
        });
        let farm = self.clone();
        let _ = module.register_method("prover_heartbeat", move |params, _, _| {
            let (id,): (String,) = params
                .parse()
                .map_err(|e| invalid_params(format!("expected [jobId]: {}", e.message())))?;
            check_job_id(&id)?;
            Ok::<_, ErrorObjectOwned>(farm.heartbeat(&id))
        });
        let farm = self.clone();
        let _ = module.register_async_method("prover_submitProof", move |params, _, _| {
            let farm = farm.clone();
            async move {
                let (id, proof): (String, String) = params.parse().map_err(|e| {
                    invalid_params(format!("expected [jobId, \"0x<proof>\"]: {}", e.message()))
                })?;
                check_job_id(&id)?;
                let bytes = parse_proof_hex(&proof)?;
                farm.submit_proof(&id, bytes).await
            }
        });
        module
    }
}

/// Counts a submission in [`FarmStats::awaiting_room`] while alive (also when its future is
/// dropped mid-wait).
struct AwaitingRoom<'a>(&'a AtomicUsize);

impl<'a> AwaitingRoom<'a> {
    fn enter(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        AwaitingRoom(counter)
    }
}

impl Drop for AwaitingRoom<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `{"worker": name}` as the only positional parameter, or as named parameters.
fn parse_get_job(params: &Params<'_>) -> Result<GetJobParams, ErrorObjectOwned> {
    let parsed = if params.is_object() {
        params.parse::<GetJobParams>()
    } else {
        params.parse::<(GetJobParams,)>().map(|(p,)| p)
    };
    parsed.map_err(|e| invalid_params(format!("expected {{\"worker\": name}}: {}", e.message())))
}

/// A running farm server (see [`serve`]). Dropping it does not stop the server; call
/// [`FarmServer::stop`].
pub struct FarmServer {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl FarmServer {
    /// The bound address (the real port when `:0` was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, what `echonet-prover worker --sequencer` takes.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits until it has.
    pub async fn stop(self) {
        let _ = self.handle.stop();
        self.handle.stopped().await;
    }
}

/// Serves `farm`'s [`Farm::rpc_module`] on `addr`, HTTP and WebSocket on the same port, with
/// bounded requests and connections and JSON-RPC batches disabled.
pub async fn serve(farm: &Farm, addr: SocketAddr) -> Result<FarmServer, FarmServeError> {
    let listener = std::net::TcpListener::bind(addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| FarmServeError::Bind(addr, e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| FarmServeError::Bind(addr, e))?;
    let server = Server::builder()
        .max_request_body_size(MAX_REQUEST_BYTES)
        .max_response_body_size(max_job_response_bytes(farm.batch_size()))
        .max_connections(256)
        .set_batch_request_config(BatchRequestConfig::Disabled)
        .build_from_tcp(listener)
        .map_err(|e| FarmServeError::Bind(addr, e))?;
    let handle = server.start(farm.rpc_module());
    tracing::info!(target: "farm", "prover farm listening on {bound} (batch size {}, verifying key {})", farm.batch_size(), farm.vk_hash());
    Ok(FarmServer {
        addr: bound,
        handle,
    })
}
