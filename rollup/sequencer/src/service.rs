//! Wiring: opens the store, recovers, and starts admission, the witness pipeline, the
//! deposit poller, the proof and settlement handlers and the RPC server.
//!
//! The service is the only owner of the database. The prover farm and the L1 settler are
//! in-memory actors fed from the store on start (every traced-but-unproven batch to the
//! farm, every proven-but-not-final batch to the settler, in order), which keeps them
//! restart-safe and idempotent without databases of their own. They are reached through
//! [`ProverBackend`], [`DepositSource`] and [`Settlement`], so the core runs (and is
//! tested) without a node or provers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use echonet_rollup_primitives::BatchTrace;
use parking_lot::{Mutex, RwLock};
use sp_core::sr25519;
use tokio::sync::mpsc;

use crate::mempool::{self, AdmissionConfig, AdmissionHandle};
use crate::metrics::Metrics;
use crate::pipeline;
use crate::rpc::{self, RpcConfig, RpcServer};
use crate::shared::{DepositFeed, Progress, ReceiptSigner, Shared};
pub use crate::shared::{DepositSource, ManualDeposits, NoDeposits, NoProver, ProverBackend};
use crate::state::Backlog;
use crate::store::{batch_key, col, meta_key, Store, StoreError};
use crate::types::{now_ms, BatchState, BatchStatus, Hash, Params, StoredAccount};

/// What the L1 settler reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettlementEvent {
    /// Sent to the node.
    Submitted {
        /// Batch.
        number: u64,
    },
    /// In a best-chain block.
    InBlock {
        /// Batch.
        number: u64,
        /// (number, hash) of the block.
        block: (u32, Hash),
    },
    /// Final on L1.
    Final {
        /// Batch.
        number: u64,
        /// (number, hash) of the block.
        block: (u32, Hash),
    },
    /// Sent again (dropped from the pool, or its block was reorged out).
    Resubmitted {
        /// Batch.
        number: u64,
        /// Why.
        why: String,
    },
    /// The bridge is frozen.
    Exodus,
    /// The settler gave up on a batch.
    Failed {
        /// Batch.
        number: u64,
        /// Why.
        error: String,
    },
}

/// Submits proven batches to L1 in order. The real one is `echonet_rollup_l1::Settler`
/// (its `ProvenBatch::from_trace` builds the call's arguments from these two).
#[async_trait::async_trait]
pub trait Settlement: Send + Sync + 'static {
    /// Queues batch `trace.header.batch_number` with its verified `proof` (batches arrive
    /// in order; a repeat is a no-op for the settler). May wait while the settler's bounded
    /// input is full: the proof handler then stops reading proofs, which holds the farm's
    /// workers back, instead of queueing without limit.
    async fn submit(&self, trace: &BatchTrace, proof: [u8; 128]);
}

/// Errors starting the service.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored state cannot be recovered.
    #[error("cannot recover the stored state: {0}")]
    Recover(String),
    /// Parameters differ from the stored ones.
    #[error("{0}")]
    Config(String),
    /// RPC or metrics server.
    #[error("cannot start the {0} server: {1}")]
    Server(&'static str, String),
}

/// How to run a sequencer.
pub struct SequencerConfig {
    /// Directory of the database.
    pub db_path: PathBuf,
    /// Rollup parameters (checked against the store's, or written to a new store).
    pub params: Params,
    /// Smallest fee accepted.
    pub min_fee: u128,
    /// The operator's sr25519 key (signs receipts).
    pub operator: sr25519::Pair,
    /// Admission limits.
    pub admission: AdmissionConfig,
    /// The L2 RPC server; `None`: not served (in-process use).
    pub rpc: Option<RpcConfig>,
    /// Extra methods served on the RPC port (the prover farm's, when on one port).
    pub extra_rpc: Option<jsonrpsee::RpcModule<()>>,
    /// How often L1 is asked for new finalized deposits.
    pub deposit_poll: Duration,
    /// Prometheus registry to register the metrics in.
    pub registry: Option<prometheus_endpoint::Registry>,
    /// Whether the witness pipeline runs (off only for admission benchmarks).
    pub pipeline: bool,
    /// How often the progress line is logged.
    pub informant_every: Duration,
}

/// What the service talks to.
pub struct Deps {
    /// Finalized L1 deposits.
    pub deposits: Arc<dyn DepositSource>,
    /// The prover farm.
    pub prover: Arc<dyn ProverBackend>,
    /// Verified proofs from the farm (any order; `Farm::proofs`, a bounded channel).
    pub proofs: Option<mpsc::Receiver<(u64, [u8; 128])>>,
    /// The L1 settler and its events.
    pub settlement: Option<(Arc<dyn Settlement>, mpsc::Receiver<SettlementEvent>)>,
}

impl Deps {
    /// No L1, no prover.
    pub fn offline(deposits: Arc<dyn DepositSource>) -> Deps {
        Deps {
            deposits,
            prover: Arc::new(NoProver::default()),
            proofs: None,
            settlement: None,
        }
    }
}

/// Writes a new store's parameters and tree checkpoint (a fresh rollup, or the result of a
/// rebuild from L1). Refuses a store that already has parameters.
pub fn init_store(
    store: &Store,
    params: Params,
    accounts: &[(u32, StoredAccount)],
) -> Result<(), ServiceError> {
    if store.params()?.is_some() {
        return Err(ServiceError::Config(
            "the store is already initialised; use a new --base-path".into(),
        ));
    }
    let mut wb = store.batch();
    wb.put_encoded(col::META, meta_key::PARAMS, &params);
    wb.put_meta_u64(meta_key::OPEN_BATCH, params.first_batch);
    wb.put_meta_u64(meta_key::NEXT_DEPOSIT, params.first_deposit_seq);
    wb.put_meta_u64(meta_key::TRACED, params.first_batch - 1);
    for m in [meta_key::PROVEN, meta_key::SETTLED, meta_key::FINAL] {
        wb.put_meta_u64(m, params.first_batch - 1);
    }
    for (i, a) in accounts {
        wb.put_encoded(col::ACCOUNTS, &i.to_be_bytes(), a);
    }
    store.write(wb, true)?;
    Ok(())
}

/// A running sequencer.
pub struct Sequencer {
    shared: Arc<Shared>,
    admission: AdmissionHandle,
    threads: Vec<std::thread::JoinHandle<()>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    rpc: Option<RpcServer>,
    pipeline_stop: Arc<AtomicBool>,
}

impl Sequencer {
    /// Opens the store, recovers and starts every task.
    pub async fn start(cfg: SequencerConfig, deps: Deps) -> Result<Sequencer, ServiceError> {
        if cfg.params.first_batch == 0 {
            return Err(ServiceError::Config("batch numbers start at 1".into()));
        }
        let store = Arc::new(Store::open(&cfg.db_path)?);
        let params = match store.params()? {
            Some(p) => {
                let given = cfg.params;
                if (p.chain_id, p.instance, p.batch_size, p.fee_account)
                    != (
                        given.chain_id,
                        given.instance,
                        given.batch_size,
                        given.fee_account,
                    )
                {
                    return Err(ServiceError::Config(format!(
                        "the store at {} belongs to another rollup or fee account \
                         (stored {p:?}, given {given:?})",
                        cfg.db_path.display()
                    )));
                }
                p
            }
            None => {
                init_store(&store, cfg.params, &[])?;
                cfg.params
            }
        };
        let metrics = Metrics::new(cfg.registry.as_ref())
            .map_err(|e| ServiceError::Server("metrics", e.to_string()))?;
        let (events, _) = tokio::sync::broadcast::channel(4096);
        let meta = |k| -> Result<u64, ServiceError> {
            Ok(store.meta_u64(k)?.unwrap_or(params.first_batch - 1))
        };
        let progress = Progress {
            traced: AtomicU64::new(meta(meta_key::TRACED)?),
            proven: AtomicU64::new(meta(meta_key::PROVEN)?),
            settled: AtomicU64::new(meta(meta_key::SETTLED)?),
            finalized: AtomicU64::new(meta(meta_key::FINAL)?),
        };
        let shared = Arc::new(Shared {
            params,
            min_fee: cfg.min_fee,
            store: store.clone(),
            state: RwLock::new(Default::default()),
            backlog: Backlog::default(),
            open_batch: AtomicU64::new(params.first_batch),
            progress,
            exodus: AtomicBool::new(false),
            halted: Mutex::new(None),
            events,
            signer: ReceiptSigner::new(cfg.operator, params.instance),
            deposits: DepositFeed::default(),
            metrics,
            prover: deps.prover.clone(),
        });
        let mut recovered = mempool::recover(&shared).map_err(ServiceError::Recover)?;
        let next_deposit = recovered.next_deposit_seq;
        let untraced = std::mem::take(&mut recovered.untraced);
        tracing::info!(
            target: "sequencer",
            "Recovered: {} accounts, open batch #{} with {} entries, {} cut batches to trace, {} unproven transactions",
            recovered.state.len(),
            recovered.open.number,
            recovered.open.txs.len(),
            untraced.len(),
            shared.backlog.total()
        );

        // Traced but unproven batches go to the prover again.
        let traced = shared.progress.traced.load(Ordering::Relaxed);
        let proven = shared.progress.proven.load(Ordering::Relaxed);
        for n in (proven + 1)..=traced {
            let done = store
                .batch_state(n)?
                .is_some_and(|s| s.status >= BatchStatus::Proven);
            if done {
                continue;
            }
            match store.trace(n)? {
                Some(t) => deps.prover.add_job(n, Arc::new(t)),
                None => {
                    return Err(ServiceError::Recover(format!(
                        "batch {n} is traced but its trace is missing"
                    )))
                }
            }
        }

        let (pipe_tx, pipe_rx) = std::sync::mpsc::channel();
        let (admission, admission_join) =
            mempool::spawn(shared.clone(), cfg.admission.clone(), recovered, pipe_tx);
        let mut threads = vec![admission_join];
        let pipeline_stop = Arc::new(AtomicBool::new(false));
        if cfg.pipeline {
            let tree = pipeline::load_tree(&shared).map_err(ServiceError::Recover)?;
            let sh = shared.clone();
            let stop = pipeline_stop.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("witness".into())
                    .spawn(move || pipeline::run(sh, tree, untraced, pipe_rx, stop))
                    .map_err(|e| ServiceError::Server("pipeline", e.to_string()))?,
            );
        } else {
            // Admission benchmarks only: cut batches are not traced (they stay cut, and a
            // later start with the pipeline traces them from the store).
            threads.push(
                std::thread::Builder::new()
                    .name("no-witness".into())
                    .spawn(move || pipe_rx.iter().for_each(drop))
                    .map_err(|e| ServiceError::Server("pipeline", e.to_string()))?,
            );
        }

        let mut tasks = Vec::new();
        tasks.push(tokio::spawn(poll_deposits(
            shared.clone(),
            deps.deposits.clone(),
            next_deposit,
            cfg.deposit_poll,
        )));
        tasks.push(tokio::spawn(informant(shared.clone(), cfg.informant_every)));
        let settlement = deps.settlement.as_ref().map(|(s, _)| s.clone());
        // Read before any task runs: the batches to hand the settler again, in order.
        let resubmit = match &settlement {
            Some(_) => proven_unfinal(&shared)?,
            None => Vec::new(),
        };
        // The event handler first: the settler may wait for it to read while it is fed.
        if let Some((_, events)) = deps.settlement {
            tasks.push(tokio::spawn(handle_settlement(shared.clone(), events)));
        }
        // One task feeds the settler, so the restart's batches go before new proofs' (the
        // feed may wait on the settler's bounded input; `start` does not).
        let proof_task = {
            let shared = shared.clone();
            let settlement = settlement.clone();
            async move {
                if let Some(s) = &settlement {
                    for (trace, proof) in resubmit {
                        s.submit(&trace, proof).await;
                    }
                }
                if let Some(proofs) = deps.proofs {
                    handle_proofs(shared, proofs, settlement).await;
                }
            }
        };
        tasks.push(tokio::spawn(proof_task));

        let rpc = match &cfg.rpc {
            None => None,
            Some(rc) => {
                let mut module = rpc::module(shared.clone(), admission.clone(), rc.rate_limit);
                if let Some(extra) = cfg.extra_rpc {
                    module
                        .merge(extra)
                        .map_err(|e| ServiceError::Server("rpc", e.to_string()))?;
                }
                Some(
                    rpc::start(rc, module)
                        .await
                        .map_err(|e| ServiceError::Server("rpc", format!("{}: {e}", rc.listen)))?,
                )
            }
        };
        Ok(Sequencer {
            shared,
            admission,
            threads,
            tasks,
            rpc,
            pipeline_stop,
        })
    }

    /// The shared state (tests, metrics, status).
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Submits transactions in-process.
    pub fn admission(&self) -> AdmissionHandle {
        self.admission.clone()
    }

    /// The RPC server's address.
    pub fn rpc_addr(&self) -> Option<SocketAddr> {
        self.rpc.as_ref().map(|r| r.local_addr())
    }

    /// Stops everything and waits until the database is closed. Nothing is written on the
    /// way out: every round of admission is durable when it ends, so this is also what a
    /// crash leaves behind (tests use it as a simulated crash; the pipeline does not finish
    /// its queue).
    pub async fn stop(self) {
        let Sequencer {
            shared,
            admission,
            threads,
            tasks,
            rpc,
            pipeline_stop,
        } = self;
        if let Some(rpc) = rpc {
            rpc.stop_and_wait(Duration::from_secs(5)).await;
        }
        pipeline_stop.store(true, Ordering::Relaxed);
        admission.shutdown();
        drop(admission);
        for t in tasks {
            t.abort();
            let _ = t.await;
        }
        let _ = tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
        })
        .await;
        // The database closes when the last reference goes (callers may hold some).
        drop(shared);
    }
}

/// Logs a progress line: what an operator watches.
async fn informant(shared: Arc<Shared>, every: Duration) {
    let mut last = shared.metrics.soft_confirmed.get();
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let now = shared.metrics.soft_confirmed.get();
        let p = &shared.progress;
        tracing::info!(
            target: "sequencer",
            "Progress: open #{} · traced #{} · proven #{} · settled #{} · final #{} · {} unproven txs · {} deposits waiting · {:.1} tx/s{}",
            shared.open_batch.load(Ordering::Relaxed),
            p.traced.load(Ordering::Relaxed),
            p.proven.load(Ordering::Relaxed),
            p.settled.load(Ordering::Relaxed),
            p.finalized.load(Ordering::Relaxed),
            shared.backlog.total(),
            shared.deposits.len(),
            (now - last) as f64 / every.as_secs_f64(),
            match shared.halted() {
                Some(why) => format!(" · HALTED: {why}"),
                None if shared.is_exodus() => " · EXODUS".to_string(),
                None => String::new(),
            }
        );
        last = now;
    }
}

async fn poll_deposits(
    shared: Arc<Shared>,
    source: Arc<dyn DepositSource>,
    mut next: u64,
    every: Duration,
) {
    let mut failures = 0u32;
    loop {
        if shared.deposits.len() < 1024 {
            match source.finalized_deposits(next, 256).await {
                Ok(list) => {
                    failures = 0;
                    let list: Vec<_> = list.into_iter().filter(|(s, _)| *s >= next).collect();
                    if let Some((last, _)) = list.last() {
                        next = last + 1;
                        tracing::info!(target: "deposits", "{} finalized L1 deposits queued (up to seq {last})", list.len());
                        shared.deposits.extend(list);
                    }
                }
                Err(e) => {
                    failures += 1;
                    if failures.is_power_of_two() {
                        tracing::warn!(target: "deposits", "cannot read L1 deposits ({failures} failures): {e}");
                    }
                }
            }
        }
        tokio::time::sleep(every).await;
    }
}

fn write_state(shared: &Shared, n: u64, state: &BatchState) -> Result<(), StoreError> {
    let mut wb = shared.store.batch();
    wb.put_encoded(col::STATUS, &batch_key(n), state);
    shared.store.write(wb, false)
}

/// Advances a contiguous pointer (`meta` key and counter) over batches whose state is at
/// least `at_least`.
fn advance(
    shared: &Shared,
    counter: &AtomicU64,
    key: &[u8],
    at_least: BatchStatus,
) -> Result<(), StoreError> {
    let mut p = counter.load(Ordering::Relaxed);
    let cut_below = shared.open_batch.load(Ordering::Relaxed);
    while p + 1 < cut_below {
        match shared.store.batch_state(p + 1)? {
            Some(s) if s.status >= at_least && s.status != BatchStatus::Dropped => p += 1,
            _ => break,
        }
    }
    if p != counter.load(Ordering::Relaxed) {
        counter.store(p, Ordering::Relaxed);
        let mut wb = shared.store.batch();
        wb.put_meta_u64(key, p);
        shared.store.write(wb, false)?;
    }
    Ok(())
}

fn stored_trace(shared: &Shared, n: u64) -> Result<BatchTrace, String> {
    shared
        .store
        .trace(n)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("batch {n}: trace missing"))
}

/// On start: every proven batch not final, in order, to go to the settler again (the
/// settler skips what L1 already has).
fn proven_unfinal(shared: &Shared) -> Result<Vec<(BatchTrace, [u8; 128])>, ServiceError> {
    let fin = shared.progress.finalized.load(Ordering::Relaxed);
    let proven = shared.progress.proven.load(Ordering::Relaxed);
    let mut out = Vec::new();
    for n in (fin + 1)..=proven {
        if let Some(BatchState {
            proof: Some(proof), ..
        }) = shared.store.batch_state(n)?
        {
            out.push((
                stored_trace(shared, n).map_err(ServiceError::Recover)?,
                proof,
            ));
        }
    }
    Ok(out)
}

async fn handle_proofs(
    shared: Arc<Shared>,
    mut proofs: mpsc::Receiver<(u64, [u8; 128])>,
    settlement: Option<Arc<dyn Settlement>>,
) {
    while let Some((n, proof)) = proofs.recv().await {
        // The batches that became settleable, handed to the settler after the closure (the
        // hand-over may wait).
        let mut settle = Vec::new();
        let res: Result<(), String> = (|| {
            let prev = shared.store.batch_state(n).map_err(|e| e.to_string())?;
            if prev
                .as_ref()
                .is_some_and(|s| s.status >= BatchStatus::Proven)
            {
                return Ok(());
            }
            write_state(
                &shared,
                n,
                &BatchState {
                    status: BatchStatus::Proven,
                    l1_block: None,
                    proof: Some(proof),
                    reason: None,
                },
            )
            .map_err(|e| e.to_string())?;
            shared.backlog.release(n);
            if let Ok(Some(r)) = shared.store.batch_record(n) {
                shared
                    .metrics
                    .proof_time
                    .observe(now_ms().saturating_sub(r.cut_at_ms) as f64 / 1000.0);
            }
            shared.publish(n, BatchStatus::Proven);
            tracing::info!(target: "sequencer", "Batch #{n} proven");
            let before = shared.progress.proven.load(Ordering::Relaxed);
            advance(
                &shared,
                &shared.progress.proven,
                meta_key::PROVEN,
                BatchStatus::Proven,
            )
            .map_err(|e| e.to_string())?;
            let after = shared.progress.proven.load(Ordering::Relaxed);
            if settlement.is_some() {
                for m in (before + 1)..=after {
                    let proof = match shared.store.batch_state(m).map_err(|e| e.to_string())? {
                        Some(BatchState { proof: Some(p), .. }) => p,
                        _ => continue,
                    };
                    settle.push((stored_trace(&shared, m)?, proof));
                }
            }
            Ok(())
        })();
        if let Err(e) = res {
            tracing::error!(target: "sequencer", "proof of batch #{n}: {e}");
        }
        if let Some(s) = &settlement {
            for (trace, proof) in settle {
                s.submit(&trace, proof).await;
            }
        }
        update_gauges(&shared);
    }
}

fn update_gauges(shared: &Shared) {
    let open = shared.open_batch.load(Ordering::Relaxed);
    let proven = shared.progress.proven.load(Ordering::Relaxed);
    let fin = shared.progress.finalized.load(Ordering::Relaxed);
    shared
        .metrics
        .batches_awaiting_proof
        .set(open.saturating_sub(proven + 1));
    shared
        .metrics
        .batches_awaiting_settlement
        .set(proven.saturating_sub(fin));
    shared
        .metrics
        .pending_txs
        .set(shared.backlog.total() as u64);
}

async fn handle_settlement(shared: Arc<Shared>, mut events: mpsc::Receiver<SettlementEvent>) {
    while let Some(ev) = events.recv().await {
        let res: Result<(), String> = (|| {
            let set = |n: u64, status: BatchStatus, block: Option<(u32, Hash)>| {
                let prev = shared
                    .store
                    .batch_state(n)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("batch {n} settled before it was proven"))?;
                write_state(
                    &shared,
                    n,
                    &BatchState {
                        status,
                        l1_block: if status == BatchStatus::Proven {
                            None
                        } else {
                            block.or(prev.l1_block)
                        },
                        proof: prev.proof,
                        reason: None,
                    },
                )
                .map_err(|e| e.to_string())?;
                shared.publish(n, status);
                Ok::<(), String>(())
            };
            match ev {
                SettlementEvent::Submitted { number } => {
                    shared.metrics.l1_submissions.inc();
                    tracing::info!(target: "settlement", "Batch #{number} submitted to L1");
                }
                SettlementEvent::InBlock { number, block } => {
                    set(number, BatchStatus::Settled, Some(block))?;
                    tracing::info!(target: "settlement", "Batch #{number} in L1 block #{}", block.0);
                    advance(
                        &shared,
                        &shared.progress.settled,
                        meta_key::SETTLED,
                        BatchStatus::Settled,
                    )
                    .map_err(|e| e.to_string())?;
                }
                SettlementEvent::Final { number, block } => {
                    set(number, BatchStatus::Final, Some(block))?;
                    tracing::info!(target: "settlement", "Batch #{number} final in L1 block #{}", block.0);
                    if let Ok(Some(r)) = shared.store.batch_record(number) {
                        shared
                            .metrics
                            .settlement_lag
                            .observe(now_ms().saturating_sub(r.cut_at_ms) as f64 / 1000.0);
                    }
                    advance(
                        &shared,
                        &shared.progress.settled,
                        meta_key::SETTLED,
                        BatchStatus::Settled,
                    )
                    .map_err(|e| e.to_string())?;
                    advance(
                        &shared,
                        &shared.progress.finalized,
                        meta_key::FINAL,
                        BatchStatus::Final,
                    )
                    .map_err(|e| e.to_string())?;
                }
                SettlementEvent::Resubmitted { number, why } => {
                    shared.metrics.l1_resubmissions.inc();
                    tracing::warn!(target: "settlement", "Batch #{number} resubmitted: {why}");
                    let prev = shared
                        .store
                        .batch_state(number)
                        .map_err(|e| e.to_string())?;
                    if prev.is_some_and(|p| p.status == BatchStatus::Settled) {
                        set(number, BatchStatus::Proven, None)?;
                    }
                }
                SettlementEvent::Exodus => {
                    shared.exodus.store(true, Ordering::Relaxed);
                    tracing::error!(target: "settlement", "The bridge is in EXODUS mode: no more transactions are accepted");
                }
                SettlementEvent::Failed { number, error } => {
                    tracing::error!(target: "settlement", "Batch #{number} cannot be settled: {error}");
                }
            }
            Ok(())
        })();
        if let Err(e) = res {
            tracing::error!(target: "settlement", "{e}");
        }
        update_gauges(&shared);
    }
}
