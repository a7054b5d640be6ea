//! What the sequencer's tasks share: the store, the soft state, counters, the status
//! broadcast, the receipt signer and the deposit feed; and the small traits through which
//! the service reaches L1 and the prover farm (so that the core runs and is tested without
//! either).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use echonet_rollup_primitives::{BatchTrace, Deposit};
use parking_lot::{Mutex, RwLock};
use sp_core::{sr25519, Pair};
use tokio::sync::broadcast;

use crate::metrics::Metrics;
use crate::state::{Backlog, SoftState};
use crate::store::Store;
use crate::types::{receipt_message, BatchStatus, Hash, Params, Receipt};

/// Finalized L1 deposits, in queue order. The real source is
/// `echonet_rollup_l1::L1Client::finalized_deposits`.
#[async_trait::async_trait]
pub trait DepositSource: Send + Sync + 'static {
    /// Finalized queued deposits with `seq >= from_seq`, at most `max`, in order.
    async fn finalized_deposits(
        &self,
        from_seq: u64,
        max: u32,
    ) -> Result<Vec<(u64, Deposit)>, String>;
}

/// No L1: no deposits ever (tests that seed accounts through the checkpoint).
pub struct NoDeposits;

#[async_trait::async_trait]
impl DepositSource for NoDeposits {
    async fn finalized_deposits(&self, _: u64, _: u32) -> Result<Vec<(u64, Deposit)>, String> {
        Ok(Vec::new())
    }
}

/// A deposit source fed by hand (tests, benchmarks).
#[derive(Default, Clone)]
pub struct ManualDeposits {
    queue: Arc<Mutex<Vec<(u64, Deposit)>>>,
}

impl ManualDeposits {
    /// Queues a deposit at the next sequence number and returns that number.
    pub fn push(&self, d: Deposit) -> u64 {
        let mut q = self.queue.lock();
        let seq = q.len() as u64;
        q.push((seq, d));
        seq
    }
}

#[async_trait::async_trait]
impl DepositSource for ManualDeposits {
    async fn finalized_deposits(
        &self,
        from_seq: u64,
        max: u32,
    ) -> Result<Vec<(u64, Deposit)>, String> {
        let q = self.queue.lock();
        Ok(q.iter()
            .filter(|(s, _)| *s >= from_seq)
            .take(max as usize)
            .cloned()
            .collect())
    }
}

/// Where traced batches go to be proven. The real one is `echonet_prover::farm::Farm`.
pub trait ProverBackend: Send + Sync + 'static {
    /// Queues batch `number` (idempotent).
    fn add_job(&self, number: u64, trace: Arc<BatchTrace>);
    /// (queued, leased) job counts for `l2_status`.
    fn jobs(&self) -> (u64, u64);
}

/// No prover attached: jobs are only counted (tests; a sequencer whose farm is elsewhere).
#[derive(Default)]
pub struct NoProver {
    queued: Mutex<Vec<u64>>,
}

impl NoProver {
    /// The batch numbers handed over, in order.
    pub fn jobs_added(&self) -> Vec<u64> {
        self.queued.lock().clone()
    }
}

impl ProverBackend for NoProver {
    fn add_job(&self, number: u64, _trace: Arc<BatchTrace>) {
        self.queued.lock().push(number);
    }
    fn jobs(&self) -> (u64, u64) {
        (self.queued.lock().len() as u64, 0)
    }
}

/// A change of a batch's status (every transaction in it changes with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchEvent {
    /// The batch.
    pub number: u64,
    /// Its new status.
    pub status: BatchStatus,
}

/// Signs receipts with the operator's sr25519 key.
pub struct ReceiptSigner {
    pair: sr25519::Pair,
    /// The public key receipts name.
    pub public: [u8; 32],
    instance: u64,
}

impl ReceiptSigner {
    /// For the rollup `instance`.
    pub fn new(pair: sr25519::Pair, instance: u64) -> ReceiptSigner {
        let public = pair.public().0;
        ReceiptSigner {
            pair,
            public,
            instance,
        }
    }

    /// The receipt of `hash` at (batch, slot).
    pub fn sign(&self, hash: Hash, batch: u64, slot: u32) -> Receipt {
        let sig = self
            .pair
            .sign(&receipt_message(self.instance, &hash, batch, slot));
        Receipt {
            hash,
            batch,
            slot,
            operator: self.public,
            signature: sig.0,
        }
    }
}

/// Deposits fetched from L1 and not yet taken into a batch.
#[derive(Default)]
pub struct DepositFeed {
    queue: Mutex<VecDeque<(u64, Deposit)>>,
}

impl DepositFeed {
    /// Appends fetched deposits (in order).
    pub fn extend(&self, items: Vec<(u64, Deposit)>) {
        self.queue.lock().extend(items);
    }

    /// Deposits waiting.
    pub fn len(&self) -> usize {
        self.queue.lock().len()
    }

    /// Whether none wait.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes up to `max` deposits starting exactly at `next_seq` (older ones are dropped,
    /// a gap stops the take).
    pub fn take(&self, next_seq: u64, max: usize) -> Vec<(u64, Deposit)> {
        let mut q = self.queue.lock();
        while q.front().is_some_and(|(s, _)| *s < next_seq) {
            q.pop_front();
        }
        let mut out = Vec::new();
        let mut want = next_seq;
        while out.len() < max && q.front().is_some_and(|(s, _)| *s == want) {
            if let Some(item) = q.pop_front() {
                out.push(item);
                want += 1;
            }
        }
        out
    }
}

/// Progress pointers of the later stages (highest batch with that status, contiguously).
#[derive(Debug, Default)]
pub struct Progress {
    /// Highest batch traced.
    pub traced: AtomicU64,
    /// Highest batch proven (all below it too).
    pub proven: AtomicU64,
    /// Highest batch settled in an L1 block.
    pub settled: AtomicU64,
    /// Highest batch final on L1.
    pub finalized: AtomicU64,
}

/// The state every task of the sequencer shares.
pub struct Shared {
    /// Fixed rollup parameters.
    pub params: Params,
    /// Smallest fee accepted.
    pub min_fee: u128,
    /// The database.
    pub store: Arc<Store>,
    /// Soft state (written by admission only).
    pub state: RwLock<SoftState>,
    /// Unproven soft-confirmed transactions.
    pub backlog: Backlog,
    /// The open batch's number.
    pub open_batch: AtomicU64,
    /// The later stages' progress.
    pub progress: Progress,
    /// The bridge is frozen: refuse transactions (2011).
    pub exodus: AtomicBool,
    /// Set on an invariant breach or a failed write: the sequencer stops admitting.
    pub halted: Mutex<Option<String>>,
    /// Batch status changes, for subscribers.
    pub events: broadcast::Sender<BatchEvent>,
    /// Signs receipts.
    pub signer: ReceiptSigner,
    /// Deposits waiting for a batch.
    pub deposits: DepositFeed,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// The prover (job counts for `l2_status`).
    pub prover: Arc<dyn ProverBackend>,
}

impl Shared {
    /// Stops admission for good (until a restart), logging why.
    pub fn halt(&self, why: String) {
        tracing::error!(target: "sequencer", "HALTED: {why}");
        let mut h = self.halted.lock();
        if h.is_none() {
            *h = Some(why);
        }
    }

    /// Why admission is stopped, if it is.
    pub fn halted(&self) -> Option<String> {
        self.halted.lock().clone()
    }

    /// Publishes a batch status change.
    pub fn publish(&self, number: u64, status: BatchStatus) {
        // No subscriber is not an error.
        let _ = self.events.send(BatchEvent { number, status });
    }

    /// Whether the bridge is frozen.
    pub fn is_exodus(&self) -> bool {
        self.exodus.load(Ordering::Relaxed)
    }
}
