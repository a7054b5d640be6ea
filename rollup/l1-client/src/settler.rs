//! The settlement actor: submits proven batches to the bridge strictly in batch order and
//! follows each to finality.
//!
//! The sequencer feeds [`ProvenBatch`]es (in any order, repeats allowed) and reads
//! [`SettlementEvent`]s. The actor keeps no database: on a restart the sequencer feeds every
//! proven-but-not-final batch again, and the actor finds out from the chain where each one
//! is. Every tick (`SettlerConfig::poll`) it reads the best and finalized heads and the
//! bridge's state at both, then:
//!
//! 1. **Final.** A batch is final when `LastBatch` at the finalized head is at least its
//!    number and the `BatchVerified` event of the block that settled it carries its root
//!    (found by a binary search on `LastBatch` over the finalized chain). A different root
//!    means another submitter settled that number: [`SettlementEvent::Failed`].
//! 2. **In the best chain.** A batch whose number is at most `LastBatch` at the best block is
//!    located the same way and reported [`SettlementEvent::InBlock`], never submitted. A
//!    batch whose block left the best chain (a reorg) is located again, or, when the new best
//!    chain does not hold it, submitted again ([`SettlementEvent::Resubmitted`]): its
//!    retracted extrinsic is adopted if the node's pool took it back (step 3), else it is
//!    signed again with a fresh nonce.
//! 3. **Submit.** Only batch `LastBatch(best) + 1` is ever submitted, so batches go in order
//!    and each only after the previous one is in the best chain. Before its first submission
//!    in this process, and again after a reorg retracted it, the node's pool is searched for
//!    a `submit_batch` of that number from this signer (left by a previous run, or put back
//!    by the reorg), which is adopted instead of signing a second one. A second one that
//!    lands anyway is refused by the bridge (the number is verified already); the batch is
//!    then settled by the first, and reported as such (steps 1 and 2 look at the chain, not
//!    at the refused extrinsic).
//!    The nonce is always fresh (`system_accountNextIndex`); a "stale nonce" refusal (1010)
//!    refetches it and tries again.
//! 4. **Drops.** A submission that is not in the best chain after
//!    `SettlerConfig::resubmit_after` is checked: if the signer's nonce at the best block
//!    moved past it, its block is looked for among the blocks since the submission (a
//!    dispatch error there is [`SettlementEvent::Failed`]; not found means another
//!    transaction used the nonce); if the pool does not hold it any more it was dropped.
//!    Either way it is signed again with a fresh nonce and resubmitted.
//! 5. **Exodus.** When the bridge is frozen the actor reports [`SettlementEvent::Exodus`]
//!    once and stops: no batch can settle any more.
//!
//! The actor stops when the event receiver is dropped, or when its input is closed and
//! every batch it holds is final or failed. Errors talking to L1 are logged and the tick is
//! retried; the client reconnects by itself.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use echonet_runtime::{AccountId, Nonce, RuntimeCall, RuntimeEvent, UncheckedExtrinsic};
use frame_system::Phase;
use pallet_bridge::FieldBytes;
use sp_core::{sr25519, Pair, H256};
use sp_runtime::generic::Preamble;
use tokio::sync::mpsc;

use crate::client::{decode_all, to_hex, At, L1Client, MAX_DECODE_DEPTH};
use crate::error::L1Error;
use crate::ProvenBatch;

/// What happened to a batch on L1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettlementEvent {
    /// `submit_batch` for `number` entered the node's pool as `tx_hash`.
    Submitted {
        /// The batch.
        number: u64,
        /// The extrinsic's hash.
        tx_hash: H256,
    },
    /// The batch is settled in `block` (number, hash) of the best chain, not yet final.
    InBlock {
        /// The batch.
        number: u64,
        /// The block that verified it.
        block: (u32, H256),
    },
    /// The batch is settled in `block`, which is finalized: it can no longer be undone.
    Final {
        /// The batch.
        number: u64,
        /// The finalized block that verified it.
        block: (u32, H256),
    },
    /// The batch is being submitted again (dropped from the pool, nonce used by another
    /// transaction, or its block left the best chain).
    Resubmitted {
        /// The batch.
        number: u64,
        /// Why.
        why: String,
    },
    /// The bridge is in exodus mode: nothing settles any more. The actor stops after this.
    Exodus,
    /// The batch cannot settle: its extrinsic failed on chain, or another submitter settled
    /// that number with a different root. The actor forgets it.
    Failed {
        /// The batch.
        number: u64,
        /// Why.
        error: String,
    },
}

/// Intervals of the actor.
#[derive(Debug, Clone)]
pub struct SettlerConfig {
    /// How often the chain is read.
    pub poll: Duration,
    /// How long a submission may stay out of the best chain before it is checked for a
    /// drop.
    pub resubmit_after: Duration,
    /// Capacity of the event channel (the actor waits when it is full).
    pub event_buffer: usize,
}

impl Default for SettlerConfig {
    fn default() -> Self {
        SettlerConfig {
            poll: Duration::from_secs(1),
            resubmit_after: Duration::from_secs(30),
            event_buffer: 1024,
        }
    }
}

/// Where a batch is.
#[derive(Debug, Clone)]
enum Stage {
    /// Not submitted (or to be submitted again).
    Waiting,
    /// In the pool as `tx` with `nonce` since `at`; blocks up to `scanned_to` were searched.
    Submitted {
        tx: H256,
        nonce: Nonce,
        at: Instant,
        scanned_to: u32,
    },
    /// Settled in this best-chain block.
    InBlock((u32, H256)),
}

struct Entry {
    batch: ProvenBatch,
    stage: Stage,
    /// Whether the pool was searched for a submission of a previous run.
    adopted_checked: bool,
}

/// The settlement actor (see the module docs).
pub struct Settler {
    l1: L1Client,
    signer: sr25519::Pair,
    me: AccountId,
    config: SettlerConfig,
    entries: BTreeMap<u64, Entry>,
    events: mpsc::Sender<SettlementEvent>,
}

impl Settler {
    /// Starts the actor with the default [`SettlerConfig`]; see [`Settler::spawn_with`].
    pub fn spawn(
        l1: L1Client,
        signer: sr25519::Pair,
        rx: mpsc::Receiver<ProvenBatch>,
    ) -> mpsc::Receiver<SettlementEvent> {
        Self::spawn_with(l1, signer, rx, SettlerConfig::default()).0
    }

    /// Starts the actor on the current tokio runtime. Batches come in on `rx`; events go out
    /// on the returned receiver. The join handle ends when the actor stops (see the module
    /// docs); aborting it is safe at any point (a restart re-feeds the batches).
    pub fn spawn_with(
        l1: L1Client,
        signer: sr25519::Pair,
        rx: mpsc::Receiver<ProvenBatch>,
        config: SettlerConfig,
    ) -> (mpsc::Receiver<SettlementEvent>, tokio::task::JoinHandle<()>) {
        let (tx, events) = mpsc::channel(config.event_buffer.max(1));
        let me: AccountId = signer.public().into();
        let settler = Settler {
            l1,
            signer,
            me,
            config,
            entries: BTreeMap::new(),
            events: tx,
        };
        let task = tokio::spawn(settler.run(rx));
        (events, task)
    }

    async fn run(mut self, mut rx: mpsc::Receiver<ProvenBatch>) {
        let mut ticker = tokio::time::interval(self.config.poll);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut input_open = true;
        loop {
            tokio::select! {
                b = rx.recv(), if input_open => match b {
                    Some(b) => { self.add(b); continue; }
                    None => input_open = false,
                },
                _ = ticker.tick() => {}
            }
            // Take whatever else is waiting, so that a burst is handled in one tick.
            while let Ok(b) = rx.try_recv() {
                self.add(b);
            }
            if self.events.is_closed() || (!input_open && self.entries.is_empty()) {
                break;
            }
            match self.step().await {
                Ok(()) => {}
                Err(StepError::Stop) => break,
                Err(StepError::L1(e)) => {
                    tracing::warn!(target: "rollup::settler", error = %e, "settlement tick failed; retrying");
                }
            }
        }
        tracing::info!(target: "rollup::settler", "settler stopped");
    }

    fn add(&mut self, batch: ProvenBatch) {
        let number = batch.number;
        self.entries.entry(number).or_insert_with(|| {
            tracing::debug!(target: "rollup::settler", number, "batch queued for settlement");
            Entry {
                batch,
                stage: Stage::Waiting,
                adopted_checked: false,
            }
        });
    }

    async fn emit(&self, ev: SettlementEvent) -> Result<(), StepError> {
        self.events.send(ev).await.map_err(|_| StepError::Stop)
    }

    async fn step(&mut self) -> Result<(), StepError> {
        if self.entries.is_empty() {
            return Ok(());
        }
        let l1 = self.l1.clone();
        let (best_n, best_h) = l1.best_head().await?;
        let (fin_n, fin_h) = l1.finalized_head().await?;
        let best = l1.bridge_view(At::Hash(best_h)).await?;
        let fin = l1.bridge_view(At::Hash(fin_h)).await?;
        if best.exodus || fin.exodus {
            tracing::warn!(target: "rollup::settler", "the bridge is in exodus mode; settlement stops");
            self.emit(SettlementEvent::Exodus).await?;
            return Err(StepError::Stop);
        }

        // 1. Final.
        let finals: Vec<u64> = self
            .entries
            .range(..=fin.last_batch)
            .map(|(n, _)| *n)
            .collect();
        for number in finals {
            let (block, root) = locate(&l1, number, 1, fin_n).await?;
            let ours = self.entries.remove(&number).map(|e| e.batch.new_root);
            if ours == Some(root) {
                tracing::info!(target: "rollup::settler", number, block = block.0, "batch final");
                self.emit(SettlementEvent::Final { number, block }).await?;
            } else {
                let error = format!(
                    "batch {number} was settled in block #{} with root {}, not this batch's",
                    block.0,
                    to_hex(&root)
                );
                tracing::error!(target: "rollup::settler", number, "{error}");
                self.emit(SettlementEvent::Failed { number, error }).await?;
            }
        }

        // 2. In the best chain, or reorged out of it.
        let numbers: Vec<u64> = self.entries.keys().copied().collect();
        for number in numbers {
            let Some(entry) = self.entries.get(&number) else {
                continue;
            };
            let stage = entry.stage.clone();
            if let Stage::InBlock(block) = stage {
                if l1.block_hash(block.0).await? == Some(block.1) {
                    continue;
                }
                if number > best.last_batch {
                    let why = format!(
                        "block #{} {:?} that held it left the best chain",
                        block.0, block.1
                    );
                    tracing::warn!(target: "rollup::settler", number, "{why}; resubmitting");
                    self.set_stage(number, Stage::Waiting);
                    // The node's pool takes a retracted extrinsic back: look for it there
                    // before signing a second one, which would take the next nonce, land
                    // after it and fail on chain (a fee for nothing).
                    if let Some(e) = self.entries.get_mut(&number) {
                        e.adopted_checked = false;
                    }
                    self.emit(SettlementEvent::Resubmitted { number, why })
                        .await?;
                    continue;
                }
            }
            if number <= best.last_batch {
                let (block, root) = locate(&l1, number, fin_n.max(1), best_n).await?;
                if Some(root) != self.entries.get(&number).map(|e| e.batch.new_root) {
                    // Not final yet: a reorg may still replace it; report at finality.
                    tracing::warn!(target: "rollup::settler", number, "the best chain settled this number with another root");
                    continue;
                }
                if !matches!(stage, Stage::InBlock(b) if b == block) {
                    tracing::info!(target: "rollup::settler", number, block = block.0, "batch in block");
                    self.set_stage(number, Stage::InBlock(block));
                    self.emit(SettlementEvent::InBlock { number, block })
                        .await?;
                }
            }
        }

        // 3 and 4. The next batch: submit it, or watch its submission.
        let next = best.last_batch + 1;
        let Some(entry) = self.entries.get(&next) else {
            return Ok(());
        };
        match entry.stage.clone() {
            Stage::InBlock(_) => {}
            Stage::Waiting => {
                if !entry.adopted_checked {
                    if let Some(e) = self.entries.get_mut(&next) {
                        e.adopted_checked = true;
                    }
                    if let Some((tx, nonce)) = self.pending_submission(next).await? {
                        tracing::info!(target: "rollup::settler", number = next, ?tx, "adopting a submission already in the pool");
                        self.set_stage(
                            next,
                            Stage::Submitted {
                                tx,
                                nonce,
                                at: Instant::now(),
                                scanned_to: best_n,
                            },
                        );
                        return Ok(());
                    }
                }
                self.submit(next, best_n).await?;
            }
            Stage::Submitted {
                tx,
                nonce,
                at,
                scanned_to,
            } => {
                // Look for it in the new blocks: a dispatch failure shows only there.
                if let Some((block, Some(error))) = find_tx(&l1, tx, scanned_to + 1, best_n).await?
                {
                    {
                        let error = format!("submit_batch failed in block #{}: {error}", block.0);
                        tracing::error!(target: "rollup::settler", number = next, "{error}");
                        self.entries.remove(&next);
                        self.emit(SettlementEvent::Failed {
                            number: next,
                            error,
                        })
                        .await?;
                        return Ok(());
                    }
                }
                self.set_stage(
                    next,
                    Stage::Submitted {
                        tx,
                        nonce,
                        at,
                        scanned_to: best_n,
                    },
                );
                if at.elapsed() < self.config.resubmit_after {
                    return Ok(());
                }
                let chain_nonce = l1.account_nonce(&self.me, best_h).await?;
                let why = if chain_nonce > nonce {
                    // Our nonce is spent but the batch is not settled: our extrinsic failed
                    // (seen above, unless its block was reorged away) or another one used it.
                    format!("nonce {nonce} was used by another transaction")
                } else if l1.next_nonce(&self.me).await? > nonce {
                    tracing::warn!(target: "rollup::settler", number = next, ?tx, "submission still waiting in the pool");
                    // Check again after another `resubmit_after`.
                    self.set_stage(
                        next,
                        Stage::Submitted {
                            tx,
                            nonce,
                            at: Instant::now(),
                            scanned_to: best_n,
                        },
                    );
                    return Ok(());
                } else {
                    format!("dropped from the pool (nonce {nonce} unused)")
                };
                tracing::warn!(target: "rollup::settler", number = next, ?tx, "{why}; resubmitting");
                self.emit(SettlementEvent::Resubmitted { number: next, why })
                    .await?;
                self.submit(next, best_n).await?;
            }
        }
        Ok(())
    }

    fn set_stage(&mut self, number: u64, stage: Stage) {
        if let Some(e) = self.entries.get_mut(&number) {
            e.stage = stage;
        }
    }

    /// Signs and submits batch `number` with a fresh nonce.
    async fn submit(&mut self, number: u64, best_n: u32) -> Result<(), StepError> {
        let Some(entry) = self.entries.get(&number) else {
            return Ok(());
        };
        let call = match L1Client::submit_batch_call(&entry.batch) {
            Ok(c) => c,
            Err(e) => {
                self.entries.remove(&number);
                return self
                    .emit(SettlementEvent::Failed {
                        number,
                        error: e.to_string(),
                    })
                    .await;
            }
        };
        let mut attempts = 0;
        let (tx, nonce) = loop {
            attempts += 1;
            let nonce = self.l1.next_nonce(&self.me).await?;
            let xt = self.l1.sign(&self.signer, call.clone(), nonce);
            match self.l1.submit(&xt).await {
                Ok(tx) => break (tx, nonce),
                Err(e) if e.is_stale_nonce() && attempts < 3 => {
                    tracing::warn!(target: "rollup::settler", number, nonce, "stale nonce; refetching");
                    self.emit(SettlementEvent::Resubmitted {
                        number,
                        why: format!("nonce {nonce} was stale"),
                    })
                    .await?;
                }
                Err(e) => return Err(e.into()),
            }
        };
        tracing::info!(target: "rollup::settler", number, ?tx, nonce, "batch submitted");
        self.set_stage(
            number,
            Stage::Submitted {
                tx,
                nonce,
                at: Instant::now(),
                scanned_to: best_n,
            },
        );
        self.emit(SettlementEvent::Submitted {
            number,
            tx_hash: tx,
        })
        .await
    }

    /// A `submit_batch(number)` signed by this actor's key in the node's pool.
    async fn pending_submission(&self, number: u64) -> Result<Option<(H256, Nonce)>, L1Error> {
        const M: &str = "author_pendingExtrinsics";
        let v = self.l1.request(M, &[]).await?;
        let Some(list) = v.as_array() else {
            return Err(L1Error::BadResponse {
                method: M,
                what: "not an array".into(),
            });
        };
        for x in list {
            let bytes = crate::client::parse_hex(x, M, "extrinsic")?;
            // Other senders' extrinsics need not decode for us; skip what does not.
            let Ok(xt) = decode_all::<UncheckedExtrinsic>(&bytes, "pending extrinsic", None) else {
                continue;
            };
            let Preamble::Signed(addr, _, ext) = &xt.0.preamble else {
                continue;
            };
            if *addr != echonet_runtime::Address::Id(self.me.clone()) {
                continue;
            }
            if find_submit_batch(&xt.0.function, 0).is_some_and(|c| c.batch_number == number) {
                return Ok(Some((
                    <sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(&bytes),
                    ext.5 .0,
                )));
            }
        }
        Ok(None)
    }
}

enum StepError {
    Stop,
    L1(L1Error),
}

impl From<L1Error> for StepError {
    fn from(e: L1Error) -> Self {
        StepError::L1(e)
    }
}

/// The arguments of a `Bridge::submit_batch` that `call` is or holds (through `Sudo`
/// wrappers, which a signed `sudo_as` can dispatch as a signed origin), at most
/// [`MAX_DECODE_DEPTH`] levels down.
pub struct SubmitBatchArgs<'a> {
    /// The batch number.
    pub batch_number: u64,
    /// The new root.
    pub new_root: &'a FieldBytes,
    /// The DA bytes.
    pub da: &'a [u8],
    /// Deposits consumed.
    pub deposits_consumed: u32,
}

/// Finds the `submit_batch` call in `call` (see [`SubmitBatchArgs`]).
pub fn find_submit_batch(call: &RuntimeCall, depth: u32) -> Option<SubmitBatchArgs<'_>> {
    if depth > MAX_DECODE_DEPTH {
        return None;
    }
    match call {
        RuntimeCall::Bridge(pallet_bridge::Call::submit_batch {
            batch_number,
            new_root,
            da,
            deposits_consumed,
            ..
        }) => Some(SubmitBatchArgs {
            batch_number: *batch_number,
            new_root,
            da,
            deposits_consumed: *deposits_consumed,
        }),
        RuntimeCall::Sudo(
            pallet_sudo::Call::sudo { call }
            | pallet_sudo::Call::sudo_as { call, .. }
            | pallet_sudo::Call::sudo_unchecked_weight { call, .. },
        ) => find_submit_batch(call, depth + 1),
        _ => None,
    }
}

/// The block (on the chain of blocks `lo..=hi` by number) where `LastBatch` first reached
/// `number`, and the root its `BatchVerified` event gave that batch.
pub(crate) async fn locate(
    l1: &L1Client,
    number: u64,
    lo: u32,
    hi: u32,
) -> Result<((u32, H256), FieldBytes), L1Error> {
    let key = pallet_bridge::LastBatch::<echonet_runtime::Runtime>::hashed_key();
    let last_at = |n: u32| async move {
        let h = l1.block_hash(n).await?.ok_or_else(|| L1Error::Missing {
            what: format!("block #{n}"),
            at: None,
        })?;
        let last: u64 = l1
            .storage_value(&key, h, "Bridge.LastBatch")
            .await?
            .unwrap_or(0);
        Ok::<_, L1Error>((h, last))
    };
    let mut lo = lo.max(1);
    let (hi_hash, hi_last) = last_at(hi).await?;
    if hi_last < number {
        return Err(L1Error::Inconsistent(format!(
            "batch {number} is not settled at block #{hi}"
        )));
    }
    let mut found = (hi, hi_hash);
    // Invariant: LastBatch at `found` is ≥ number; every block below `lo` has < number.
    while lo < found.0 {
        let mid = lo + (found.0 - lo) / 2;
        let (h, last) = last_at(mid).await?;
        if last >= number {
            found = (mid, h);
        } else {
            lo = mid + 1;
        }
    }
    for record in l1.events(found.1).await? {
        if let RuntimeEvent::Bridge(pallet_bridge::Event::BatchVerified {
            batch_number,
            new_root,
            ..
        }) = record.event
        {
            if batch_number == number {
                return Ok((found, new_root));
            }
        }
    }
    Err(L1Error::Inconsistent(format!(
        "block #{} moved LastBatch to {number} without a BatchVerified event for it",
        found.0
    )))
}

/// Searches blocks `from..=to` of the best chain for extrinsic `tx`; returns its block and,
/// if it failed, its dispatch error.
async fn find_tx(
    l1: &L1Client,
    tx: H256,
    from: u32,
    to: u32,
) -> Result<Option<((u32, H256), Option<String>)>, L1Error> {
    for n in from..=to {
        let Some(h) = l1.block_hash(n).await? else {
            continue;
        };
        let Some(xts) = l1.block_extrinsics(h).await? else {
            continue;
        };
        let Some(index) = xts.iter().position(|x| {
            <sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(x) == tx
        }) else {
            continue;
        };
        let mut failure = None;
        for record in l1.events(h).await? {
            if record.phase != Phase::ApplyExtrinsic(index as u32) {
                continue;
            }
            if let RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
                dispatch_error,
                ..
            }) = record.event
            {
                failure = Some(format!("{dispatch_error:?}"));
            }
        }
        return Ok(Some(((n, h), failure)));
    }
    Ok(None)
}
