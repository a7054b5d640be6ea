//! Admission: the single actor that orders transactions, gives them their (batch, slot) and
//! makes them durable before the receipt is sent; and the batcher that cuts the open batch.
//!
//! ## The open batch
//! Every soft-confirmed transaction has its place at once. When a batch opens, finalized L1
//! deposits take its first slots in queue order (at most `max_deposits_per_batch`, so that
//! transfers are not starved); transactions then fill the slots in arrival order. Deposits
//! keep joining an open batch while it holds no user transaction yet.
//!
//! ## Group commit
//! The actor runs on its own thread. Each round it drains up to `max_group` waiting
//! requests, then:
//! 1. computes messages and hashes and verifies the signatures in parallel
//!    (`eddsa::verify_batch`'s rayon pool);
//! 2. applies the state checks in arrival order on the soft state and assigns slots
//!    (cutting the open batch when it fills);
//! 3. writes every entry, cut record and counter of the round in one RocksDB `WriteBatch`
//!    with `sync`;
//! 4. only then signs (in parallel) and sends the receipts, and hands cut batches to the
//!    witness pipeline.
//!
//! A `kill -9` after a receipt therefore never loses its transaction; on restart
//! [`recover`] rebuilds the soft state, the open batch and the backlog from the store.
//!
//! ## Cutting
//! The open batch is cut when its slots are full, when `max_batch_wait` has passed since its
//! first entry, or (all no-ops) when nothing was cut for `keepalive`, so that the bridge's
//! batch timeout never freezes a quiet rollup. A batch needs the fee account to exist: until
//! it does nothing is cut and transactions get 2013.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use echonet_rollup_primitives::{Fr, Signature, Tx};
use rayon::prelude::*;
use tokio::sync::oneshot;

use crate::shared::Shared;
use crate::state::{SoftState, StateError};
use crate::store::{meta_key, StoreBatch, StoreError};
use crate::types::{
    now_ms, tx_hash, BatchRecord, BatchStatus, Hash, Receipt, SlotEntry, StoredDeposit, StoredTx,
};

/// Admission limits and batching times.
#[derive(Debug, Clone)]
pub struct AdmissionConfig {
    /// Requests taken into one group commit at most.
    pub max_group: usize,
    /// Requests waiting for the actor at most (more get 2007).
    pub queue_capacity: usize,
    /// Unproven soft-confirmed transactions at most (`--pool-limit`).
    pub pool_limit: usize,
    /// Unproven soft-confirmed transactions per sending account (`--per-account-limit`).
    pub per_account_limit: u32,
    /// Cut a batch this long after its first entry (`--max-batch-wait`).
    pub max_batch_wait: Duration,
    /// Cut an all-no-op batch when nothing was cut for this long; `None`: never.
    pub keepalive: Option<Duration>,
    /// Deposits per batch at most.
    pub max_deposits_per_batch: usize,
}

impl AdmissionConfig {
    /// Defaults for `batch_size` slots.
    pub fn new(batch_size: u32) -> AdmissionConfig {
        AdmissionConfig {
            max_group: 1024,
            queue_capacity: 16_384,
            pool_limit: 100_000,
            per_account_limit: 64,
            max_batch_wait: Duration::from_secs(2),
            keepalive: None,
            max_deposits_per_batch: (batch_size as usize / 2).max(1),
        }
    }
}

/// Why a transaction was refused; each has its JSON-RPC code (see [`AdmitError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmitError {
    /// 2001.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// 2002.
    #[error("nonce too low: expected {expected}")]
    NonceTooLow {
        /// The account's pending nonce.
        expected: u64,
    },
    /// 2003.
    #[error("nonce too high: expected {expected}")]
    NonceTooHigh {
        /// The account's pending nonce.
        expected: u64,
    },
    /// 2004.
    #[error("insufficient balance: {balance} available, {needed} needed")]
    InsufficientBalance {
        /// Pending balance.
        balance: u128,
        /// amount + fee.
        needed: u128,
    },
    /// 2005.
    #[error("unknown account {0}")]
    UnknownAccount(u32),
    /// 2006.
    #[error("fee below the minimum {min}")]
    FeeTooLow {
        /// The minimum fee.
        min: u128,
    },
    /// 2007.
    #[error("pool full")]
    PoolFull,
    /// 2008.
    #[error("rate limited")]
    RateLimited,
    /// 2009.
    #[error("too many pending transactions for account {account} (limit {limit})")]
    AccountLimit {
        /// The account.
        account: u32,
        /// The limit.
        limit: u32,
    },
    /// 2010.
    #[error("invalid amount or fee: {0}")]
    InvalidAmount(String),
    /// 2011.
    #[error("rollup frozen (exodus)")]
    Frozen,
    /// 2012.
    #[error("self-transfer")]
    SelfTransfer,
    /// 2013.
    #[error("not ready: {0}")]
    NotReady(String),
}

impl AdmitError {
    /// The JSON-RPC error code.
    pub fn code(&self) -> i32 {
        match self {
            AdmitError::BadSignature(_) => 2001,
            AdmitError::NonceTooLow { .. } => 2002,
            AdmitError::NonceTooHigh { .. } => 2003,
            AdmitError::InsufficientBalance { .. } => 2004,
            AdmitError::UnknownAccount(_) => 2005,
            AdmitError::FeeTooLow { .. } => 2006,
            AdmitError::PoolFull => 2007,
            AdmitError::RateLimited => 2008,
            AdmitError::AccountLimit { .. } => 2009,
            AdmitError::InvalidAmount(_) => 2010,
            AdmitError::Frozen => 2011,
            AdmitError::SelfTransfer => 2012,
            AdmitError::NotReady(_) => 2013,
        }
    }
}

impl From<StateError> for AdmitError {
    fn from(e: StateError) -> AdmitError {
        match e {
            StateError::UnknownAccount(i) => AdmitError::UnknownAccount(i),
            StateError::NonceTooLow { expected } => AdmitError::NonceTooLow { expected },
            StateError::NonceTooHigh { expected } => AdmitError::NonceTooHigh { expected },
            StateError::InsufficientBalance { balance, needed } => {
                AdmitError::InsufficientBalance { balance, needed }
            }
            StateError::SelfTransfer => AdmitError::SelfTransfer,
            StateError::Invalid(s) => AdmitError::InvalidAmount(s),
        }
    }
}

/// A transaction waiting for admission.
pub struct Request {
    /// The parsed transfer or withdrawal.
    pub tx: Tx,
    /// Its signature as sent (hashed and stored as is).
    pub signature: [u8; 64],
    /// When the RPC layer received it.
    pub received: Instant,
    reply: oneshot::Sender<Result<Receipt, AdmitError>>,
}

enum Msg {
    // Boxed: requests are the hot case, but the channel's slots should stay small.
    Admit(Box<Request>),
    Shutdown,
}

/// A cut batch, as the witness pipeline takes it.
#[derive(Debug, Clone)]
pub struct CutBatch {
    /// Batch number.
    pub number: u64,
    /// Its used slots (the pipeline pads with no-ops).
    pub txs: Vec<Tx>,
    /// When it was cut (ms since the epoch).
    pub cut_at_ms: u64,
}

/// Submits transactions to the admission actor; cheap to clone.
#[derive(Clone)]
pub struct AdmissionHandle {
    tx: SyncSender<Msg>,
}

impl AdmissionHandle {
    /// Submits a transaction and waits for its receipt or refusal.
    pub async fn submit(&self, tx: Tx, signature: [u8; 64]) -> Result<Receipt, AdmitError> {
        let (reply, rx) = oneshot::channel();
        let req = Request {
            tx,
            signature,
            received: Instant::now(),
            reply,
        };
        match self.tx.try_send(Msg::Admit(Box::new(req))) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(AdmitError::PoolFull),
            Err(TrySendError::Disconnected(_)) => {
                return Err(AdmitError::NotReady("sequencer is shutting down".into()))
            }
        }
        rx.await
            .unwrap_or_else(|_| Err(AdmitError::NotReady("sequencer is shutting down".into())))
    }

    /// Asks the actor to finish its round and stop.
    pub fn shutdown(&self) {
        let _ = self.tx.try_send(Msg::Shutdown);
    }
}

/// The batch being filled.
#[derive(Debug)]
pub(crate) struct OpenBatch {
    pub(crate) number: u64,
    pub(crate) txs: Vec<Tx>,
    pub(crate) deposits: usize,
    pub(crate) user_txs: usize,
    pub(crate) withdrawals: usize,
    pub(crate) fees: u128,
    pub(crate) first_at: Option<Instant>,
}

impl OpenBatch {
    fn new(number: u64) -> OpenBatch {
        OpenBatch {
            number,
            txs: Vec::new(),
            deposits: 0,
            user_txs: 0,
            withdrawals: 0,
            fees: 0,
            first_at: None,
        }
    }
}

/// What [`recover`] rebuilt from the store.
pub struct Recovered {
    /// Soft state after every stored entry.
    pub state: SoftState,
    pub(crate) open: OpenBatch,
    /// The next deposit queue position to include.
    pub next_deposit_seq: u64,
    /// Cut batches whose trace is not stored yet, in order (for the witness pipeline).
    pub untraced: Vec<CutBatch>,
}

/// Rebuilds the soft state, the open batch and the backlog from the store.
pub fn recover(shared: &Shared) -> Result<Recovered, String> {
    let store = &shared.store;
    let p = shared.params;
    let e = |e: StoreError| e.to_string();
    let traced = store
        .meta_u64(meta_key::TRACED)
        .map_err(e)?
        .unwrap_or(p.first_batch - 1);
    let open_number = store
        .meta_u64(meta_key::OPEN_BATCH)
        .map_err(e)?
        .unwrap_or(p.first_batch);
    let next_deposit_seq = store
        .meta_u64(meta_key::NEXT_DEPOSIT)
        .map_err(e)?
        .unwrap_or(p.first_deposit_seq);
    let proven_floor = store
        .meta_u64(meta_key::PROVEN)
        .map_err(e)?
        .unwrap_or(p.first_batch - 1);
    let mut state = SoftState::from_accounts(&store.accounts().map_err(e)?)?;
    let max = p.batch_size as usize;
    // Backlog: transactions of batches not proven yet.
    for n in (proven_floor + 1)..=open_number {
        if n <= traced
            && store
                .batch_state(n)
                .map_err(e)?
                .is_some_and(|s| s.status >= BatchStatus::Proven)
        {
            continue;
        }
        let entries = store.batch_entries(n, max).map_err(e)?;
        shared.backlog.add_stored(
            n,
            entries.into_iter().filter_map(|en| match en {
                SlotEntry::Tx { tx, .. } => Some(tx),
                SlotEntry::Deposit(_) => None,
            }),
        );
    }
    let mut untraced = Vec::new();
    let mut open = OpenBatch::new(open_number);
    for n in (traced + 1)..=open_number {
        let entries = store.batch_entries(n, max).map_err(e)?;
        let mut txs = Vec::with_capacity(entries.len());
        let mut fees = 0u128;
        for (slot, en) in entries.iter().enumerate() {
            let tx = en
                .to_tx()
                .map_err(|er| format!("batch {n} slot {slot}: {er}"))?;
            match &tx {
                Tx::Deposit(d) => {
                    state
                        .apply_deposit(d)
                        .map_err(|er| format!("batch {n} slot {slot}: {er}"))?;
                    if n == open_number {
                        open.deposits += 1;
                    }
                }
                _ => {
                    fees += state
                        .apply_tx(&tx)
                        .map_err(|er| format!("batch {n} slot {slot}: {er}"))?;
                    if n == open_number {
                        open.user_txs += 1;
                        if matches!(tx, Tx::Withdraw(_)) {
                            open.withdrawals += 1;
                        }
                    }
                }
            }
            txs.push(tx);
        }
        if n < open_number {
            state.cut(&txs, p.fee_account, fees)?;
            let cut_at_ms = store
                .batch_record(n)
                .map_err(e)?
                .map(|r| r.cut_at_ms)
                .unwrap_or(0);
            untraced.push(CutBatch {
                number: n,
                txs,
                cut_at_ms,
            });
        } else {
            open.fees = fees;
            if !txs.is_empty() {
                open.first_at = Some(Instant::now());
            }
            open.txs = txs;
        }
    }
    Ok(Recovered {
        state,
        open,
        next_deposit_seq,
        untraced,
    })
}

/// The admission actor's own state.
struct Actor {
    shared: Arc<Shared>,
    cfg: AdmissionConfig,
    rx: Receiver<Msg>,
    open: OpenBatch,
    next_deposit_seq: u64,
    last_cut: Instant,
    pipeline: std::sync::mpsc::Sender<CutBatch>,
    /// Deposits are no longer taken (the bridge queued one execution would refuse).
    deposits_blocked: bool,
}

/// Starts the admission actor on its own thread; `pipeline` receives cut batches in order.
pub fn spawn(
    shared: Arc<Shared>,
    cfg: AdmissionConfig,
    recovered: Recovered,
    pipeline: std::sync::mpsc::Sender<CutBatch>,
) -> (AdmissionHandle, std::thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::sync_channel(cfg.queue_capacity);
    *shared.state.write() = recovered.state;
    shared
        .open_batch
        .store(recovered.open.number, std::sync::atomic::Ordering::Relaxed);
    let actor = Actor {
        shared,
        cfg,
        rx,
        open: recovered.open,
        next_deposit_seq: recovered.next_deposit_seq,
        last_cut: Instant::now(),
        pipeline,
        deposits_blocked: false,
    };
    let join = std::thread::Builder::new()
        .name("admission".into())
        .spawn(move || actor.run())
        .unwrap_or_else(|e| panic!("cannot start the admission thread: {e}"));
    (AdmissionHandle { tx }, join)
}

/// A request after the parallel step: its message hash, or why it was refused.
struct Prepared {
    hash: Hash,
    from: u32,
    fee: u128,
}

/// A receipt to sign and send once the round is durable.
struct Accepted {
    reply: oneshot::Sender<Result<Receipt, AdmitError>>,
    hash: Hash,
    batch: u64,
    slot: u32,
    received: Instant,
}

impl Actor {
    fn run(mut self) {
        loop {
            let timeout = self
                .next_deadline()
                .saturating_duration_since(Instant::now());
            let mut reqs = Vec::new();
            let mut stop = false;
            match self.rx.recv_timeout(timeout) {
                Ok(Msg::Admit(r)) => reqs.push(*r),
                Ok(Msg::Shutdown) | Err(RecvTimeoutError::Disconnected) => stop = true,
                Err(RecvTimeoutError::Timeout) => {}
            }
            while !stop && reqs.len() < self.cfg.max_group {
                match self.rx.try_recv() {
                    Ok(Msg::Admit(r)) => reqs.push(*r),
                    Ok(Msg::Shutdown) => stop = true,
                    Err(_) => break,
                }
            }
            self.round(reqs);
            if stop {
                tracing::info!(target: "admission", "Admission stopped");
                return;
            }
        }
    }

    /// When the actor must wake up without a request: the open batch's wait, the
    /// keepalive, and a short poll for deposits.
    fn next_deadline(&self) -> Instant {
        let now = Instant::now();
        let mut d = now + Duration::from_millis(100);
        if let Some(first) = self.open.first_at {
            d = d.min(first + self.cfg.max_batch_wait);
        }
        if let Some(k) = self.cfg.keepalive {
            d = d.min(self.last_cut + k);
        }
        d.max(now)
    }

    fn round(&mut self, reqs: Vec<Request>) {
        let shared = self.shared.clone();
        let p = shared.params;
        let started = Instant::now();
        let mut wb = shared.store.batch();
        let mut cuts: Vec<CutBatch> = Vec::new();
        let mut accepted: Vec<Accepted> = Vec::with_capacity(reqs.len());
        let mut refused: Vec<(oneshot::Sender<Result<Receipt, AdmitError>>, AdmitError)> =
            Vec::new();
        // Duplicates: a request equal to one already stored (or admitted this round) gets
        // the original receipt again.
        let mut resend: Vec<Accepted> = Vec::new();
        let n_reqs = reqs.len();

        let mut state = shared.state.write();
        if self.open.user_txs == 0 {
            self.fill_deposits(&mut state, &mut wb);
        }
        let gate = if let Some(why) = shared.halted() {
            Some(AdmitError::NotReady(format!("sequencer halted: {why}")))
        } else if shared.is_exodus() {
            Some(AdmitError::Frozen)
        } else if !state.has_account(p.fee_account) {
            Some(AdmitError::NotReady(format!(
                "the operator's fee account {} does not exist yet",
                p.fee_account
            )))
        } else {
            None
        };
        // Keys of the senders (keys never change once an account exists).
        let keys: Vec<Option<echonet_rollup_primitives::PublicKey>> = reqs
            .iter()
            .map(|r| {
                let from = match &r.tx {
                    Tx::Transfer(t) => t.from,
                    Tx::Withdraw(w) => w.from,
                    _ => return None,
                };
                state.pending(from).map(|a| a.pubkey)
            })
            .collect();
        drop(state);

        // 1. Messages, hashes and signatures, in parallel.
        let prepared: Vec<Result<Prepared, AdmitError>> = reqs
            .par_iter()
            .zip(keys.par_iter())
            .map(|(r, key)| {
                if let Some(g) = &gate {
                    return Err(g.clone());
                }
                prepare(r, key.as_ref(), p.chain_id, p.instance, shared.min_fee)
            })
            .collect();

        // 2. State checks and slots, in arrival order.
        let mut state = shared.state.write();
        let mut round_hashes: std::collections::HashMap<Hash, (u64, u32)> = Default::default();
        for (req, prep) in reqs.into_iter().zip(prepared) {
            let prep = match prep {
                Ok(p) => p,
                Err(e) => {
                    refused.push((req.reply, e));
                    continue;
                }
            };
            if let Some(&(batch, slot)) = round_hashes.get(&prep.hash) {
                resend.push(Accepted {
                    reply: req.reply,
                    hash: prep.hash,
                    batch,
                    slot,
                    received: req.received,
                });
                continue;
            }
            if prep.fee < shared.min_fee {
                refused.push((
                    req.reply,
                    AdmitError::FeeTooLow {
                        min: shared.min_fee,
                    },
                ));
                continue;
            }
            if shared.backlog.total() >= self.cfg.pool_limit {
                refused.push((req.reply, AdmitError::PoolFull));
                continue;
            }
            if shared.backlog.of(prep.from) >= self.cfg.per_account_limit {
                refused.push((
                    req.reply,
                    AdmitError::AccountLimit {
                        account: prep.from,
                        limit: self.cfg.per_account_limit,
                    },
                ));
                continue;
            }
            let fee = match state.apply_tx(&req.tx) {
                Ok(fee) => fee,
                Err(StateError::NonceTooLow { expected }) => {
                    // Maybe a retry of a transaction we already have.
                    match shared.store.tx_location(&prep.hash) {
                        Ok(Some((batch, slot))) => resend.push(Accepted {
                            reply: req.reply,
                            hash: prep.hash,
                            batch,
                            slot,
                            received: req.received,
                        }),
                        _ => refused.push((req.reply, AdmitError::NonceTooLow { expected })),
                    }
                    continue;
                }
                Err(e) => {
                    refused.push((req.reply, e.into()));
                    continue;
                }
            };
            let Some(stored) = StoredTx::from_tx(&req.tx, req.signature) else {
                continue;
            };
            let batch = self.open.number;
            let slot = self.open.txs.len() as u32;
            wb.put_entry(
                batch,
                slot,
                &SlotEntry::Tx {
                    hash: prep.hash,
                    tx: stored,
                },
            );
            shared.backlog.add(batch, prep.from);
            if matches!(req.tx, Tx::Withdraw(_)) {
                self.open.withdrawals += 1;
            }
            self.open.txs.push(req.tx);
            self.open.user_txs += 1;
            self.open.fees += fee;
            self.open.first_at.get_or_insert(req.received);
            round_hashes.insert(prep.hash, (batch, slot));
            accepted.push(Accepted {
                reply: req.reply,
                hash: prep.hash,
                batch,
                slot,
                received: req.received,
            });
            if self.open.txs.len() >= p.batch_size as usize {
                self.cut(&mut state, &mut wb, &mut cuts);
            }
        }

        // Time-based cuts.
        let now = Instant::now();
        if state.has_account(p.fee_account) {
            let waited = self
                .open
                .first_at
                .is_some_and(|f| now >= f + self.cfg.max_batch_wait);
            let quiet = self.cfg.keepalive.is_some_and(|k| now >= self.last_cut + k);
            if waited || quiet {
                self.cut(&mut state, &mut wb, &mut cuts);
            }
        }
        drop(state);

        // 3. Durable before any receipt.
        if !wb.is_empty() {
            if let Err(e) = shared.store.write(wb, true) {
                shared.halt(format!("cannot write to the database: {e}"));
                for a in accepted.into_iter().chain(resend) {
                    let _ = a.reply.send(Err(AdmitError::NotReady(
                        "database write failed; the sequencer halted".into(),
                    )));
                }
                for (r, e) in refused {
                    let _ = r.send(Err(e));
                }
                return;
            }
        }
        shared
            .open_batch
            .store(self.open.number, std::sync::atomic::Ordering::Relaxed);

        // 4. Cut batches to the pipeline, then receipts.
        for c in cuts {
            let n = c.number;
            if self.pipeline.send(c).is_err() {
                shared.halt("the witness pipeline stopped".into());
            }
            shared.metrics.batches_cut.inc();
            shared.publish(n, BatchStatus::InBatch);
        }
        let signer = &shared.signer;
        let n_ok = accepted.len();
        let signed: Vec<(Accepted, Receipt)> = accepted
            .into_par_iter()
            .chain(resend.into_par_iter())
            .map(|a| {
                let r = signer.sign(a.hash, a.batch, a.slot);
                (a, r)
            })
            .collect();
        let done = Instant::now();
        for (a, r) in signed {
            shared
                .metrics
                .soft_confirm_latency
                .observe(done.duration_since(a.received).as_secs_f64());
            let _ = a.reply.send(Ok(r));
        }
        shared.metrics.rejected.inc_by(refused.len() as u64);
        for (r, e) in refused {
            let _ = r.send(Err(e));
        }
        if n_reqs > 0 {
            shared.metrics.group_size.observe(n_reqs as f64);
            shared.metrics.soft_confirmed.inc_by(n_ok as u64);
            tracing::trace!(target: "admission", "round: {n_reqs} requests, {n_ok} admitted in {:?}", started.elapsed());
        }
        shared
            .metrics
            .pending_txs
            .set(shared.backlog.total() as u64);
    }

    /// Puts waiting deposits into the open batch (which holds no user transaction).
    fn fill_deposits(&mut self, state: &mut SoftState, wb: &mut StoreBatch<'_>) {
        if self.deposits_blocked {
            return;
        }
        let room = self
            .cfg
            .max_deposits_per_batch
            .saturating_sub(self.open.deposits);
        if room == 0 {
            return;
        }
        let taken = self.shared.deposits.take(self.next_deposit_seq, room);
        for (seq, d) in taken {
            if let Err(e) = state.apply_deposit(&d) {
                tracing::error!(
                    target: "admission",
                    "L1 deposit {seq} cannot be executed ({e}); no further deposits are taken. \
                     This is an invariant breach on the bridge's side."
                );
                self.deposits_blocked = true;
                return;
            }
            let slot = self.open.txs.len() as u32;
            wb.put_entry(
                self.open.number,
                slot,
                &SlotEntry::Deposit(StoredDeposit::new(seq, &d)),
            );
            self.open.txs.push(Tx::Deposit(d));
            self.open.deposits += 1;
            self.open.first_at.get_or_insert_with(Instant::now);
            self.next_deposit_seq = seq + 1;
            wb.put_meta_u64(meta_key::NEXT_DEPOSIT, self.next_deposit_seq);
        }
    }

    /// Cuts the open batch (padded with no-ops later, by the pipeline) and opens the next.
    fn cut(&mut self, state: &mut SoftState, wb: &mut StoreBatch<'_>, cuts: &mut Vec<CutBatch>) {
        let p = self.shared.params;
        let number = self.open.number;
        if let Err(e) = state.cut(&self.open.txs, p.fee_account, self.open.fees) {
            self.shared
                .halt(format!("batch {number}: soft state cannot cut: {e}"));
            return;
        }
        let cut_at_ms = now_ms();
        wb.put_encoded(
            crate::store::col::BATCHES,
            &crate::store::batch_key(number),
            &BatchRecord {
                entries: self.open.txs.len() as u32,
                deposits: self.open.deposits as u32,
                withdrawals: self.open.withdrawals as u32,
                cut_at_ms,
            },
        );
        wb.put_meta_u64(meta_key::OPEN_BATCH, number + 1);
        let open = std::mem::replace(&mut self.open, OpenBatch::new(number + 1));
        tracing::info!(
            target: "batcher",
            "Cut batch #{number}: {} deposits, {} transactions, {} no-ops",
            open.deposits,
            open.user_txs,
            p.batch_size as usize - open.txs.len()
        );
        cuts.push(CutBatch {
            number,
            txs: open.txs,
            cut_at_ms,
        });
        self.last_cut = Instant::now();
        self.fill_deposits(state, wb);
    }
}

fn prepare(
    r: &Request,
    key: Option<&echonet_rollup_primitives::PublicKey>,
    chain_id: u32,
    instance: u64,
    _min_fee: u128,
) -> Result<Prepared, AdmitError> {
    let (from, fee, message, sig): (u32, u128, Fr, &Signature) = match &r.tx {
        Tx::Transfer(t) => (
            t.from,
            t.fee.value(),
            t.message(chain_id, instance),
            &t.signature,
        ),
        Tx::Withdraw(w) => (
            w.from,
            w.fee.value(),
            w.message(chain_id, instance),
            &w.signature,
        ),
        _ => {
            return Err(AdmitError::NotReady(
                "only transfers and withdrawals are sent".into(),
            ))
        }
    };
    let hash = tx_hash(&message, &r.signature);
    let key = key.ok_or(AdmitError::UnknownAccount(from))?;
    key.verify(&message, sig)
        .map_err(|e| AdmitError::BadSignature(e.to_string()))?;
    Ok(Prepared { hash, from, fee })
}
