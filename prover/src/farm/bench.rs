//! Farm benchmark (`echonet-prover benchmark-farm`): proven transfers per second through the
//! real path — a [`Farm`], its JSON-RPC server on loopback, and in-process [`Worker`]s that
//! fetch traces over HTTP, prove and submit — and the farm's overhead per job (everything a
//! job costs besides the proof itself). Also the fixtures the farm's tests use.

use std::sync::Arc;
use std::time::{Duration, Instant};

use echonet_rollup_primitives::{
    batch::BatchTrace, execute_batch, Amount40, BatchHeader, Fee8, Transfer, Tx,
};
use serde::Serialize;

use super::{serve, Farm, FarmConfig};
use crate::sample::{sample_key, sample_tree, SAMPLE_CHAIN_ID, SAMPLE_INSTANCE};
use crate::worker::{Worker, WorkerConfig, WorkerKey};
use crate::{ProverError, ProvingKey, QapReduction};

/// Funded accounts of [`transfer_batches`]' tree (the operator, 0, receives the fees).
const ACCOUNTS: u32 = 9;

/// `count` successive batches, numbered `1..=count`, of `batch_size` signed transfers each,
/// executed one after the other on one tree (each starts at the root the previous one left),
/// as the sequencer would cut them.
pub fn transfer_batches(batch_size: usize, count: u64) -> Result<Vec<BatchTrace>, ProverError> {
    let mut tree = sample_tree(ACCOUNTS)?;
    let mut nonces = vec![0u64; ACCOUNTS as usize];
    let amount = Amount40::from_value(1_000).unwrap_or(Amount40::ZERO);
    let fee = Fee8::from_value(20).unwrap_or(Fee8(0));
    let mut out = Vec::new();
    let mut k = 0u32;
    for number in 1..=count {
        let txs: Vec<Tx> = (0..batch_size)
            .map(|_| {
                let from = 1 + k % (ACCOUNTS - 1);
                let to = 1 + (k + 1) % (ACCOUNTS - 1);
                k = k.wrapping_add(1);
                let nonce = nonces[from as usize];
                nonces[from as usize] += 1;
                Tx::Transfer(Transfer::signed(
                    &sample_key(from),
                    SAMPLE_CHAIN_ID,
                    SAMPLE_INSTANCE,
                    from,
                    to,
                    amount,
                    fee,
                    nonce,
                ))
            })
            .collect();
        let header = BatchHeader {
            chain_id: SAMPLE_CHAIN_ID,
            instance: SAMPLE_INSTANCE,
            batch_number: number,
            operator: 0,
        };
        out.push(
            execute_batch(&mut tree, &header, &txs, batch_size)
                .map_err(|e| ProverError::Trace(e.to_string()))?,
        );
    }
    Ok(out)
}

/// What to measure.
#[derive(Debug, Clone, Copy)]
pub struct FarmBenchConfig {
    /// Slots per batch (all transfers).
    pub batch_size: usize,
    /// Batches to prove.
    pub batches: u64,
    /// In-process workers.
    pub workers: usize,
    /// Proving threads per worker (`None`: all cores each).
    pub threads: Option<usize>,
}

/// One run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct FarmBenchReport {
    /// Slots per batch.
    pub batch_size: usize,
    /// Batches proven.
    pub batches: u64,
    /// Workers.
    pub workers: usize,
    /// Proving threads per worker.
    pub threads_per_worker: usize,
    /// From queuing the first job to receiving the last verified proof.
    pub wall_s: f64,
    /// `batches × batch_size / wall_s`.
    pub proven_transfers_per_s: f64,
    /// Mean time a worker spent proving one batch.
    pub mean_prove_s: f64,
    /// Mean `prover_getJob` round trip with trace download and parse.
    pub mean_fetch_s: f64,
    /// Mean `prover_submitProof` round trip (including the farm's verification).
    pub mean_submit_s: f64,
    /// Mean fetch + submit: the farm's cost per job as a worker sees it.
    pub overhead_per_job_s: f64,
    /// `wall_s × workers / batches − mean_prove_s`: per job, every second a worker was not
    /// proving (RPC, idle waits, queue hand-off, tail when batches do not divide evenly).
    pub wall_overhead_per_job_s: f64,
    /// Size of one job's trace JSON.
    pub trace_json_bytes: usize,
}

/// Errors of [`run`].
#[derive(Debug, thiserror::Error)]
pub enum FarmBenchError {
    /// Key or trace.
    #[error(transparent)]
    Prover(#[from] ProverError),
    /// Server.
    #[error(transparent)]
    Serve(#[from] super::FarmServeError),
    /// Worker.
    #[error(transparent)]
    Worker(#[from] crate::worker::WorkerError),
    /// A worker died or the run did not finish.
    #[error("{0}")]
    Run(String),
}

/// Proves `cfg.batches` transfer batches through a farm served on loopback.
pub async fn run(cfg: FarmBenchConfig, pk: ProvingKey) -> Result<FarmBenchReport, FarmBenchError> {
    let traces = transfer_batches(cfg.batch_size, cfg.batches)?;
    let trace_json_bytes = serde_json::to_vec(&traces[0])
        .map_err(|e| FarmBenchError::Run(e.to_string()))?
        .len();
    let farm = Farm::new(
        pk.vk.clone(),
        cfg.batch_size,
        FarmConfig {
            lease: Duration::from_secs(600),
            max_attempts: 3,
        },
    );
    let mut proofs = farm.proofs();
    let server = serve(&farm, ([127, 0, 0, 1], 0).into()).await?;
    let key = Arc::new(WorkerKey::new(pk, cfg.batch_size, QapReduction::Libsnark)?);
    let mut handles = Vec::new();
    let mut stops = Vec::new();
    let mut threads_per_worker = 0;
    for i in 0..cfg.workers {
        let mut wc = WorkerConfig::new(server.url());
        wc.name = format!("bench-{i}");
        wc.poll = Duration::from_millis(20);
        wc.threads = cfg.threads;
        let w = Worker::new(wc, Arc::clone(&key))?;
        threads_per_worker = w.threads();
        stops.push(w.shutdown_handle());
        handles.push(tokio::spawn(w.run()));
    }
    let start = Instant::now();
    for t in traces {
        farm.add_job(t.header.batch_number, Arc::new(t));
    }
    let mut got = 0;
    while got < cfg.batches {
        match proofs.recv().await {
            Some(_) => got += 1,
            None => return Err(FarmBenchError::Run("proof channel closed".into())),
        }
    }
    let wall_s = start.elapsed().as_secs_f64();
    for s in &stops {
        s.shutdown();
    }
    let mut records = Vec::new();
    for h in handles {
        let report = h
            .await
            .map_err(|e| FarmBenchError::Run(format!("worker task: {e}")))??;
        records.extend(report.jobs.into_iter().filter(|j| j.accepted));
    }
    server.stop().await;
    let n = records.len().max(1) as f64;
    let mean = |f: fn(&crate::worker::JobRecord) -> f64| records.iter().map(f).sum::<f64>() / n;
    let mean_prove_s = mean(|r| r.prove_s);
    let mean_fetch_s = mean(|r| r.fetch_s);
    let mean_submit_s = mean(|r| r.submit_s);
    Ok(FarmBenchReport {
        batch_size: cfg.batch_size,
        batches: cfg.batches,
        workers: cfg.workers,
        threads_per_worker,
        wall_s,
        proven_transfers_per_s: (cfg.batches as f64 * cfg.batch_size as f64) / wall_s,
        mean_prove_s,
        mean_fetch_s,
        mean_submit_s,
        overhead_per_job_s: mean_fetch_s + mean_submit_s,
        wall_overhead_per_job_s: wall_s * cfg.workers as f64 / cfg.batches as f64 - mean_prove_s,
        trace_json_bytes,
    })
}
