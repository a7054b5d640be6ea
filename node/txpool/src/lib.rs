//! # echonet-txpool
//!
//! The node's transaction pool. A submitted extrinsic is validated by the runtime
//! (`TaggedTransactionQueue_validate_transaction` on the best block), which answers with a
//! priority and two sets of tags: what the transaction *provides* (e.g. "Alice's nonce 5")
//! and what it *requires* (e.g. "Alice's nonce 4", when that is not yet on chain).
//!
//! - A transaction is **ready** when every tag it requires is provided by a ready
//!   transaction in the pool; otherwise it waits in the **future** queue.
//! - Two transactions providing the same tag conflict: the higher priority one stays, the
//!   other is *usurped* (or refused as [`PoolError::TooLowPriority`] if it is the newcomer).
//! - The pool is bounded in count and bytes. When full, the lowest-priority transaction
//!   goes (future ones first); a newcomer that would be that one is refused
//!   ([`PoolError::ImmediatelyDropped`]).
//! - After each new best block, included transactions leave (watchers see `inBlock`), those
//!   of retracted blocks come back, and the rest are revalidated on the new state. When a
//!   block is finalized, watchers of its transactions see `finalized`.
//! - Transactions found invalid are banned for a while ([`PoolError::TemporarilyBanned`] on
//!   resubmission). The ban list is bounded: past [`PoolConfig::max_banned`] the oldest
//!   ban goes.
//! - One sender holds at most [`PoolConfig::max_future_per_sender`] future transactions
//!   ([`PoolError::TooManyFutureFromSender`]), so a nonce gap cannot fill the pool.
//!
//! Readiness is kept incrementally, as Substrate's graph pool does: each transaction
//! counts the tags it requires that no ready transaction provides, and each tag lists the
//! transactions that require it. A transaction that becomes ready promotes those waiting
//! on its tags whose count falls to zero; one that leaves (or stops being ready) demotes
//! its dependants. An insertion or removal costs what it moves, not a pass over the pool.
//!
//! Block authors take transactions from [`Pool::ready_for_block`], which orders them by
//! priority while respecting their dependencies. The ready set reflects the blocks the
//! pool has processed so far: [`Pool::processed_best`] tells which best block that is, so
//! that an author that imports blocks back to back can wait for the pool to catch up
//! instead of pushing a transaction its previous block already holds.

use codec::{Decode, Encode};
use echonet_client::{BlockImportNotification, Client, FinalityNotification};
use echonet_cpu_meter::{measure, Component};
use parking_lot::Mutex;
use serde::ser::{Serialize, SerializeMap, Serializer};
use sp_core::H256;
use sp_runtime::{
    traits::{BlakeTwo256, Hash as _},
    transaction_validity::{
        InvalidTransaction, TransactionSource, TransactionValidity, TransactionValidityError,
        UnknownTransaction,
    },
    OpaqueExtrinsic,
};
use std::{
    cmp::Reverse,
    collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::mpsc;

/// The hash of an extrinsic: blake2-256 of its SCALE encoding.
pub type TxHash = H256;
type Tag = Vec<u8>;

/// How many blocks a transaction may stay in a block without that block being finalized
/// before its watcher is told `finalityTimeout` (Substrate's value).
const FINALITY_TIMEOUT_BLOCKS: u32 = 512;
/// Status updates buffered per watcher; a slower watcher misses updates, not the pool.
const WATCHER_BUFFER: usize = 32;

/// Limits of the pool.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Most transactions held, ready and future together (`--pool-limit`, default 8192).
    pub max_count: usize,
    /// Most bytes of encoded transactions held, ready and future together
    /// (`--pool-kbytes`, default 20 MiB).
    pub max_bytes: usize,
    /// How long a transaction found invalid is refused as
    /// [`PoolError::TemporarilyBanned`] (`--tx-ban-seconds`, default 30 min).
    pub ban_time: Duration,
    /// Most transactions found invalid that are remembered as banned; past it the oldest
    /// ban goes (Substrate's rotator keeps 2 × 2048).
    pub max_banned: usize,
    /// Most future transactions (waiting for an earlier nonce) one sender may hold in the
    /// pool; one more is refused as [`PoolError::TooManyFutureFromSender`].
    pub max_future_per_sender: usize,
    /// Pool transactions revalidated after each new best block besides those of senders
    /// that had a transaction the pool did not know in it (default
    /// [`REVALIDATION_BATCH`]); the pool's own included transactions are pruned by their
    /// tags without a runtime call.
    pub revalidation_batch: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_count: 8192,
            max_bytes: 20 * 1024 * 1024,
            ban_time: Duration::from_secs(1800),
            max_banned: 4096,
            max_future_per_sender: 64,
            revalidation_batch: REVALIDATION_BATCH,
        }
    }
}

/// Where a transaction is in its life, as `author_extrinsicUpdate` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionStatus {
    /// In the pool, waiting for a transaction that provides a tag it requires (an earlier
    /// nonce of its sender).
    Future,
    /// In the pool and includable: everything it requires is on chain or ready.
    Ready,
    /// Included in this block of the best chain; it left the pool.
    InBlock(H256),
    /// The block it was included in left the best chain; it returns to the pool if it is
    /// still valid, and another status follows.
    Retracted(H256),
    /// The finalized height moved more than 512 blocks past its block (given) without
    /// finalizing that block; the pool stops watching it. Final.
    FinalityTimeout(H256),
    /// Its block (given) is finalized. Final.
    Finalized(H256),
    /// Replaced by the given transaction, which provides the same tag (e.g. the same
    /// sender and nonce) at a higher priority. Final.
    Usurped(TxHash),
    /// Evicted to keep the pool within its limits. Final.
    Dropped,
    /// Removed as invalid: revalidation failed on a new best block, a block author found
    /// it invalid, or `author_removeExtrinsic` removed it. Final.
    Invalid,
}

impl TransactionStatus {
    /// Whether no further status follows.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            TransactionStatus::FinalityTimeout(_)
                | TransactionStatus::Finalized(_)
                | TransactionStatus::Usurped(_)
                | TransactionStatus::Dropped
                | TransactionStatus::Invalid
        )
    }
}

impl Serialize for TransactionStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let with_hash = |s: S, key: &str, h: &H256| {
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(key, h)?;
            map.end()
        };
        match self {
            TransactionStatus::Future => s.serialize_str("future"),
            TransactionStatus::Ready => s.serialize_str("ready"),
            TransactionStatus::InBlock(h) => with_hash(s, "inBlock", h),
            TransactionStatus::Retracted(h) => with_hash(s, "retracted", h),
            TransactionStatus::FinalityTimeout(h) => with_hash(s, "finalityTimeout", h),
            TransactionStatus::Finalized(h) => with_hash(s, "finalized", h),
            TransactionStatus::Usurped(h) => with_hash(s, "usurped", h),
            TransactionStatus::Dropped => s.serialize_str("dropped"),
            TransactionStatus::Invalid => s.serialize_str("invalid"),
        }
    }
}

/// Why a submission was refused. The variants are Substrate's pool errors; echonet-rpc
/// words them as Substrate's author RPC does (codes 1001-1019).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The bytes are not one SCALE-encoded extrinsic of the runtime (undecodable, or with
    /// trailing bytes). Checked before the runtime is asked.
    #[error("Extrinsic has invalid format: {0}")]
    BadFormat(String),
    /// The runtime found the transaction invalid (bad signature, stale nonce, cannot pay
    /// fees, ...). Unless it is only `Stale`, its hash is banned for
    /// [`PoolConfig::ban_time`].
    #[error("Invalid Transaction")]
    Invalid(InvalidTransaction),
    /// The runtime cannot tell whether the transaction is valid (e.g. no unsigned validator
    /// for its call). Not banned.
    #[error("Unknown Transaction Validity")]
    Unknown(UnknownTransaction),
    /// The same bytes were found invalid less than [`PoolConfig::ban_time`] ago.
    #[error("Transaction is temporarily banned")]
    TemporarilyBanned,
    /// The same bytes are already in the pool.
    #[error("Transaction Already Imported")]
    AlreadyImported,
    /// A pool transaction provides one of the same tags (e.g. same sender and nonce) at an
    /// equal or higher priority; the newcomer is refused.
    #[error("Priority is too low: ({old} vs {new})")]
    TooLowPriority {
        /// Priority of the transaction already in the pool.
        old: u64,
        /// Priority of the refused newcomer.
        new: u64,
    },
    /// The transaction requires a tag it provides itself, so it could never be ready.
    #[error("Cycle Detected")]
    CycleDetected,
    /// The pool is full and the newcomer would be the first to go (lowest priority, or
    /// future while others are ready), so it was not kept.
    #[error("Immediately Dropped")]
    ImmediatelyDropped,
    /// The sender already holds [`PoolConfig::max_future_per_sender`] future transactions
    /// (nonces past a gap); the newcomer would be one more, so it was not kept. Submit the
    /// missing nonces first.
    #[error("Immediately Dropped: the sender already has {limit} future transactions in the pool")]
    TooManyFutureFromSender {
        /// The per-sender limit.
        limit: usize,
    },
    /// The runtime's validity provides no tag, so the pool cannot order or deduplicate it.
    #[error("Transaction does not provide any tags, so the pool can't identify it")]
    NoTagsProvided,
    /// Validation could not run: the runtime call failed or its blocking task died. Not
    /// the transaction's fault.
    #[error("Verification Error: {0}")]
    Client(String),
}

/// Counts for `system_health`-like reports and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStatus {
    /// Transactions that can go into the next block.
    pub ready: usize,
    /// Transactions waiting for a tag they require.
    pub future: usize,
    /// Encoded size of the ready transactions, in bytes.
    pub ready_bytes: usize,
    /// Encoded size of the future transactions, in bytes.
    pub future_bytes: usize,
    /// Transaction hashes currently banned (at most [`PoolConfig::max_banned`]).
    pub banned: usize,
}

/// A transaction in the pool.
#[derive(Debug, Clone)]
pub struct PoolTransaction {
    /// Its [`TxHash`], the key of the pool.
    pub hash: TxHash,
    /// SCALE bytes, as submitted.
    pub bytes: Arc<Vec<u8>>,
    /// The runtime's priority, refreshed at each revalidation; higher goes first into
    /// blocks and wins tag conflicts.
    pub priority: u64,
    /// Tags (opaque runtime bytes, e.g. SCALE `(account, nonce)`) that other transactions
    /// or the chain must provide before this one is ready; refreshed at revalidation.
    pub requires: Vec<Tag>,
    /// Tags this transaction provides; at most one pool transaction provides each tag.
    pub provides: Vec<Tag>,
    /// The block number after which the transaction is no longer valid: the best number
    /// at its last validation plus the runtime's longevity. Informational: the pool does
    /// not evict on it; revalidation drops what the runtime no longer accepts.
    pub valid_till: u64,
    insertion: u64,
    /// When it was last validated, in the order of `Inner::next_insertion`: revalidation
    /// takes the longest unchecked first.
    last_validated: u64,
    /// How many of `requires` no ready transaction provides; ready when zero.
    missing: usize,
    /// The signer's encoded address, for the per-sender future cap; `None` if unsigned.
    sender: Option<Arc<Vec<u8>>>,
}

impl PoolTransaction {
    /// The extrinsic, for the block builder.
    pub fn extrinsic(&self) -> OpaqueExtrinsic {
        // The bytes were decoded as an extrinsic at submission.
        OpaqueExtrinsic::try_from_encoded_extrinsic(&self.bytes).unwrap_or_default()
    }
}

#[derive(Default)]
struct Inner {
    txs: HashMap<TxHash, PoolTransaction>,
    /// Tag -> the pool transaction providing it.
    provided: HashMap<Tag, TxHash>,
    /// Tag -> the pool transactions that require it (ready or not).
    waiting: HashMap<Tag, HashSet<TxHash>>,
    /// Transactions whose requirements are all met.
    ready: HashSet<TxHash>,
    /// Every transaction, the first to evict first: future before ready, then the lowest
    /// priority, then the newest. Kept in step with readiness and priority so that a full
    /// pool finds its victim in O(log n), not by a pass over the pool per insertion.
    eviction_order: BTreeSet<(bool, u64, Reverse<u64>, TxHash)>,
    bytes: usize,
    ready_bytes: usize,
    /// Future transactions per sender (encoded address); senders with none are absent.
    future_by_sender: HashMap<Arc<Vec<u8>>, usize>,
    next_insertion: u64,
    /// Banned hash -> its entry in `ban_order`.
    banned: HashMap<TxHash, u64>,
    /// Bans in the order they were made: sequence -> (when, hash).
    ban_order: BTreeMap<u64, (Instant, TxHash)>,
    next_ban: u64,
    watchers: HashMap<TxHash, Vec<mpsc::Sender<TransactionStatus>>>,
    /// Watched transactions that are in a block that is not finalized yet:
    /// block hash -> (block number, transactions).
    in_block: HashMap<H256, (u32, Vec<TxHash>)>,
    /// Transactions whose readiness the current operation changed, with their readiness
    /// before it; [`Inner::notify_moves`] tells their watchers about net changes only.
    moved: HashMap<TxHash, bool>,
}

impl Inner {
    fn notify(&mut self, hash: &TxHash, status: TransactionStatus) {
        let final_status = status.is_final();
        if let Some(senders) = self.watchers.get_mut(hash) {
            senders.retain(|tx| match tx.try_send(status.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => true,
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
            if final_status || senders.is_empty() {
                self.watchers.remove(hash);
            }
        }
    }

    fn is_ready_provider(&self, tag: &Tag) -> bool {
        self.provided
            .get(tag)
            .is_some_and(|p| self.ready.contains(p))
    }

    fn count_future(&mut self, sender: &Option<Arc<Vec<u8>>>, up: bool) {
        let Some(sender) = sender else { return };
        if up {
            *self.future_by_sender.entry(sender.clone()).or_default() += 1;
        } else if let Some(n) = self.future_by_sender.get_mut(sender) {
            *n -= 1;
            if *n == 0 {
                self.future_by_sender.remove(sender);
            }
        }
    }

    /// Future transactions `sender` holds.
    fn future_of(&self, sender: &Option<Arc<Vec<u8>>>) -> usize {
        sender
            .as_ref()
            .and_then(|s| self.future_by_sender.get(s))
            .copied()
            .unwrap_or(0)
    }

    /// Moves `hash` between the queues (no cascade), recording its first state.
    fn set_ready(&mut self, hash: TxHash, ready: bool) {
        let Some(tx) = self.txs.get(&hash) else {
            return;
        };
        let (size, sender) = (tx.bytes.len(), tx.sender.clone());
        let was = self.ready.contains(&hash);
        if was == ready {
            return;
        }
        let (priority, insertion) = (tx.priority, tx.insertion);
        self.eviction_order
            .remove(&(was, priority, Reverse(insertion), hash));
        self.eviction_order
            .insert((ready, priority, Reverse(insertion), hash));
        self.moved.entry(hash).or_insert(was);
        if ready {
            self.ready.insert(hash);
            self.ready_bytes += size;
        } else {
            self.ready.remove(&hash);
            self.ready_bytes -= size;
        }
        self.count_future(&sender, !ready);
    }

    /// The tags `hash` provides, as their current provider.
    fn provided_by(&self, hash: &TxHash) -> Vec<Tag> {
        self.txs
            .get(hash)
            .map(|tx| {
                tx.provides
                    .iter()
                    .filter(|t| self.provided.get(*t) == Some(hash))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Makes `start` ready if nothing it requires is missing, then every transaction this
    /// completes, transitively.
    fn promote(&mut self, start: TxHash) {
        let mut stack = vec![start];
        while let Some(hash) = stack.pop() {
            match self.txs.get(&hash) {
                Some(tx) if tx.missing == 0 && !self.ready.contains(&hash) => {}
                _ => continue,
            }
            self.set_ready(hash, true);
            for tag in self.provided_by(&hash) {
                let Some(waiters) = self.waiting.get(&tag) else {
                    continue;
                };
                for w in waiters {
                    if let Some(wtx) = self.txs.get_mut(w) {
                        wtx.missing = wtx.missing.saturating_sub(1);
                        if wtx.missing == 0 {
                            stack.push(*w);
                        }
                    }
                }
            }
        }
    }

    /// `start` is leaving the ready queue (it is demoted or about to be removed): it
    /// stops providing to those that require its tags, and those that were ready go back
    /// to the future queue, transitively.
    fn demote(&mut self, start: TxHash) {
        if !self.ready.contains(&start) {
            return;
        }
        self.set_ready(start, false);
        let mut stack = vec![start];
        while let Some(hash) = stack.pop() {
            let mut newly = Vec::new();
            for tag in self.provided_by(&hash) {
                let Some(waiters) = self.waiting.get(&tag) else {
                    continue;
                };
                for w in waiters {
                    if let Some(wtx) = self.txs.get_mut(w) {
                        wtx.missing += 1;
                        if wtx.missing == 1 && self.ready.contains(w) {
                            newly.push(*w);
                        }
                    }
                }
            }
            for d in newly {
                self.set_ready(d, false);
                stack.push(d);
            }
        }
    }

    /// Adds a validated transaction (its conflicts already removed) and promotes what it
    /// completes.
    fn add(&mut self, mut tx: PoolTransaction) {
        let hash = tx.hash;
        dedup(&mut tx.requires);
        tx.missing = tx
            .requires
            .iter()
            .filter(|t| !self.is_ready_provider(t))
            .count();
        for tag in &tx.requires {
            self.waiting.entry(tag.clone()).or_default().insert(hash);
        }
        for tag in &tx.provides {
            self.provided.insert(tag.clone(), hash);
        }
        self.bytes += tx.bytes.len();
        self.count_future(&tx.sender, true);
        self.moved.entry(hash).or_insert(false);
        self.eviction_order
            .insert((false, tx.priority, Reverse(tx.insertion), hash));
        self.txs.insert(hash, tx);
        self.promote(hash);
    }

    fn remove(&mut self, hash: &TxHash) -> Option<PoolTransaction> {
        if !self.txs.contains_key(hash) {
            return None;
        }
        self.demote(*hash);
        let tx = self.txs.remove(hash)?;
        // Demoted above: it is not ready.
        self.eviction_order
            .remove(&(false, tx.priority, Reverse(tx.insertion), tx.hash));
        self.count_future(&tx.sender, false);
        for tag in &tx.provides {
            if self.provided.get(tag) == Some(hash) {
                self.provided.remove(tag);
            }
        }
        for tag in &tx.requires {
            if let Some(w) = self.waiting.get_mut(tag) {
                w.remove(hash);
                if w.is_empty() {
                    self.waiting.remove(tag);
                }
            }
        }
        self.bytes = self.bytes.saturating_sub(tx.bytes.len());
        self.moved.remove(hash);
        Some(tx)
    }

    /// Recomputes readiness from the requirements alone, in time linear in the pool's
    /// tags: after a revalidation has changed many requirements at once.
    fn rebuild_readiness(&mut self) {
        let ready: Vec<TxHash> = self.ready.iter().copied().collect();
        for h in ready {
            self.set_ready(h, false);
        }
        self.waiting.clear();
        let mut roots = Vec::new();
        for tx in self.txs.values_mut() {
            dedup(&mut tx.requires);
            tx.missing = tx.requires.len();
            for tag in &tx.requires {
                self.waiting.entry(tag.clone()).or_default().insert(tx.hash);
            }
            if tx.missing == 0 {
                roots.push(tx.hash);
            }
        }
        for h in roots {
            self.promote(h);
        }
    }

    /// The chain now provides `tags` (its new best block included the transactions that
    /// provided them): pool transactions that provide one of them too can never be
    /// included (another transaction took that sender's nonce) and go as invalid; those
    /// that require one no longer wait for it. This is what keeps the pool in step with
    /// included transactions without a runtime call per pool transaction.
    fn prune_tags(&mut self, tags: &HashSet<Tag>) {
        if tags.is_empty() {
            return;
        }
        let stale: Vec<TxHash> = self
            .txs
            .values()
            .filter(|t| t.provides.iter().any(|p| tags.contains(p)))
            .map(|t| t.hash)
            .collect();
        for h in stale {
            if self.remove(&h).is_some() {
                self.notify(&h, TransactionStatus::Invalid);
            }
        }
        let mut changed = false;
        for tx in self.txs.values_mut() {
            let before = tx.requires.len();
            tx.requires.retain(|t| !tags.contains(t));
            changed |= tx.requires.len() != before;
        }
        if changed {
            self.rebuild_readiness();
        }
    }

    /// Tells watchers which transactions changed queue during this operation.
    fn notify_moves(&mut self) {
        let moved = std::mem::take(&mut self.moved);
        for (h, was_ready) in moved {
            if !self.txs.contains_key(&h) {
                continue;
            }
            match (was_ready, self.ready.contains(&h)) {
                (false, true) => self.notify(&h, TransactionStatus::Ready),
                (true, false) => self.notify(&h, TransactionStatus::Future),
                _ => {}
            }
        }
    }

    /// The transaction to evict first: future before ready, then lowest priority, then
    /// the newest.
    fn eviction_candidate(&self) -> Option<TxHash> {
        self.eviction_order.first().map(|(_, _, _, hash)| *hash)
    }

    /// Sets a pool transaction's priority, keeping the eviction order.
    fn set_priority(&mut self, hash: &TxHash, priority: u64) {
        let ready = self.ready.contains(hash);
        let Some(tx) = self.txs.get_mut(hash) else {
            return;
        };
        if tx.priority == priority {
            return;
        }
        let old = (ready, tx.priority, Reverse(tx.insertion), *hash);
        tx.priority = priority;
        let new = (ready, priority, Reverse(tx.insertion), *hash);
        self.eviction_order.remove(&old);
        self.eviction_order.insert(new);
    }

    fn status(&self) -> PoolStatus {
        PoolStatus {
            ready: self.ready.len(),
            future: self.txs.len() - self.ready.len(),
            ready_bytes: self.ready_bytes,
            future_bytes: self.bytes.saturating_sub(self.ready_bytes),
            banned: self.banned.len(),
        }
    }

    /// Whether `hash` is banned; an expired ban is lifted.
    fn is_banned(&mut self, hash: &TxHash, ban_time: Duration) -> bool {
        let Some(seq) = self.banned.get(hash).copied() else {
            return false;
        };
        match self.ban_order.get(&seq) {
            Some((since, _)) if since.elapsed() < ban_time => true,
            _ => {
                self.banned.remove(hash);
                self.ban_order.remove(&seq);
                false
            }
        }
    }

    /// Bans `hash` from now on. Expired bans go first; then, past `max`, the oldest.
    fn ban(&mut self, hash: TxHash, ban_time: Duration, max: usize) {
        let now = Instant::now();
        if let Some(old) = self.banned.remove(&hash) {
            self.ban_order.remove(&old);
        }
        self.expire_bans(ban_time);
        if max == 0 {
            return;
        }
        while self.banned.len() >= max {
            let Some((_, (_, oldest))) = self.ban_order.pop_first() else {
                break;
            };
            self.banned.remove(&oldest);
        }
        let seq = self.next_ban;
        self.next_ban += 1;
        self.ban_order.insert(seq, (now, hash));
        self.banned.insert(hash, seq);
    }

    fn expire_bans(&mut self, ban_time: Duration) {
        while let Some((&seq, &(since, hash))) = self.ban_order.first_key_value() {
            if since.elapsed() < ban_time {
                break;
            }
            self.ban_order.remove(&seq);
            self.banned.remove(&hash);
        }
    }
}

/// Drops repeated tags, keeping the first of each: a tag counts once towards readiness.
fn dedup(tags: &mut Vec<Tag>) {
    if tags.len() > 1 {
        let mut seen = HashSet::with_capacity(tags.len());
        tags.retain(|t| seen.insert(t.clone()));
    }
}

/// A transaction that entered the pool from a local submission (RPC), for the node to
/// gossip. Transactions received from peers are not announced here: the network forwards
/// those itself once the node has found them valid.
#[derive(Debug, Clone)]
pub struct ImportedTransaction {
    /// The transaction's [`TxHash`].
    pub hash: TxHash,
    /// SCALE bytes, as submitted.
    pub bytes: Arc<Vec<u8>>,
}

/// Which pool transactions [`Pool::revalidate`] checks again.
enum Revalidation {
    /// Every one (after a reorg, or when blocks were missed).
    All,
    /// Those of `senders`, and the `batch` longest unchecked others.
    Some {
        senders: HashSet<Arc<Vec<u8>>>,
        batch: usize,
    },
}

/// Pool transactions revalidated after each new best block besides those whose sender
/// had a transaction the pool did not know in it: the pool's own included transactions
/// are pruned by their tags, and this batch, the longest unchecked first, catches what
/// else a block may have invalidated (a balance spent by another pallet). At ~100 µs per
/// validation, 512 cost ~50 ms per block; a pool smaller than that is checked in full.
pub const REVALIDATION_BATCH: usize = 512;

/// Local submissions buffered for the gossip task; one that lags skips ahead (the pool
/// never waits for it).
const IMPORT_NOTIFICATION_BUFFER: usize = 4096;

/// The transaction pool.
pub struct Pool {
    client: Arc<Client>,
    config: PoolConfig,
    inner: Mutex<Inner>,
    imports: tokio::sync::broadcast::Sender<ImportedTransaction>,
    /// The last new best block whose import the pool has processed (included transactions
    /// removed, the rest revalidated); the client's best at start.
    processed_best: tokio::sync::watch::Sender<H256>,
    /// Validations of submissions that may run at once: twice the cores, so that the
    /// cores stay busy while one validation waits on the database.
    validation_slots: tokio::sync::Semaphore,
}

/// A decoded, hashed submission.
struct Candidate {
    hash: TxHash,
    bytes: Vec<u8>,
    xt: OpaqueExtrinsic,
    /// The signer's encoded address; `None` for unsigned extrinsics.
    sender: Option<Arc<Vec<u8>>>,
}

fn decode_candidate(bytes: Vec<u8>) -> Result<Candidate, PoolError> {
    let mut input = &bytes[..];
    let decoded = echonet_runtime::UncheckedExtrinsic::decode(&mut input)
        .map_err(|e| PoolError::BadFormat(e.to_string()))?;
    if !input.is_empty() {
        return Err(PoolError::BadFormat(format!(
            "{} trailing bytes",
            input.len()
        )));
    }
    let xt = OpaqueExtrinsic::try_from_encoded_extrinsic(&bytes)
        .map_err(|e| PoolError::BadFormat(e.to_string()))?;
    let sender = match &decoded.into_inner().preamble {
        sp_runtime::generic::Preamble::Signed(address, _, _) => Some(Arc::new(address.encode())),
        _ => None,
    };
    Ok(Candidate {
        hash: BlakeTwo256::hash(&bytes),
        bytes,
        xt,
        sender,
    })
}

/// The pool's format check, the first thing it does with a submission or a gossiped
/// transaction (before any runtime call): `bytes` must be exactly one SCALE-encoded
/// extrinsic of the runtime ([`PoolError::BadFormat`] otherwise). Returns its [`TxHash`].
/// Public for the fuzz targets (echonet-fuzz), which must run the production decoder.
pub fn check_format(bytes: &[u8]) -> Result<TxHash, PoolError> {
    decode_candidate(bytes.to_vec()).map(|candidate| candidate.hash)
}

impl Pool {
    /// An empty pool over `client`. Call [`Pool::run_maintenance`] once (spawned) to keep
    /// it in step with imports and finality.
    pub fn new(config: PoolConfig, client: Arc<Client>) -> Arc<Self> {
        let best = client.info().best_hash;
        Arc::new(Self {
            client,
            config,
            inner: Mutex::new(Inner::default()),
            imports: tokio::sync::broadcast::channel(IMPORT_NOTIFICATION_BUFFER).0,
            processed_best: tokio::sync::watch::channel(best).0,
            validation_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()) * 2,
            ),
        })
    }

    /// The last new best block the pool has caught up with: its transactions left the pool
    /// and the rest were revalidated on its state. Until it equals the client's best block,
    /// [`Pool::ready_for_block`] may still hold transactions that block included.
    pub fn processed_best(&self) -> tokio::sync::watch::Receiver<H256> {
        self.processed_best.subscribe()
    }

    /// Pool counts.
    pub fn status(&self) -> PoolStatus {
        self.inner.lock().status()
    }

    /// Validates `xt` on the best block's state, on a blocking thread.
    async fn validate(
        &self,
        source: TransactionSource,
        xt: &OpaqueExtrinsic,
    ) -> Result<TransactionValidity, PoolError> {
        // A permit per validation running: thousands of submissions at once queue here
        // instead of each taking a blocking thread that then waits for a core.
        let _permit = self
            .validation_slots
            .acquire()
            .await
            .map_err(|e| PoolError::Client(format!("validation slots closed: {e}")))?;
        let client = self.client.clone();
        let best = client.info().best_hash;
        let xt = xt.clone();
        // Through the client's signature cache: a valid transaction's signature is then
        // not verified again when its block is built or imported.
        tokio::task::spawn_blocking(move || {
            measure(Component::Pool, || {
                client.validate_transaction(best, source, &xt)
            })
        })
        .await
        .map_err(|e| PoolError::Client(format!("validation task failed: {e}")))?
        .map_err(|e| PoolError::Client(e.to_string()))
    }

    /// Submits an extrinsic (SCALE bytes). Returns its hash.
    pub async fn submit_one(&self, bytes: Vec<u8>) -> Result<TxHash, PoolError> {
        self.submit(TransactionSource::External, bytes, None).await
    }

    /// Submits an extrinsic and returns a stream of its status updates. The stream ends
    /// after a final status.
    pub async fn submit_and_watch(
        &self,
        bytes: Vec<u8>,
    ) -> Result<(TxHash, mpsc::Receiver<TransactionStatus>), PoolError> {
        let (tx, rx) = mpsc::channel(WATCHER_BUFFER);
        let hash = self
            .submit(TransactionSource::External, bytes, Some(tx))
            .await?;
        Ok((hash, rx))
    }

    /// Submits an extrinsic received from a peer. Unlike local submissions, it is not
    /// announced on [`Pool::import_notifications`].
    pub async fn submit_from_network(&self, bytes: Vec<u8>) -> Result<TxHash, PoolError> {
        let candidate = measure(Component::Pool, || {
            let candidate = decode_candidate(bytes)?;
            self.check_known(&candidate.hash)?;
            Ok::<_, PoolError>(candidate)
        })?;
        let validity = self
            .validate(TransactionSource::External, &candidate.xt)
            .await?;
        measure(Component::Pool, || {
            self.insert_validated(candidate, validity, None)
        })
    }

    /// Subscribes to transactions that enter the pool from local submissions
    /// ([`Pool::submit_one`], [`Pool::submit_and_watch`]).
    pub fn import_notifications(&self) -> tokio::sync::broadcast::Receiver<ImportedTransaction> {
        self.imports.subscribe()
    }

    async fn submit(
        &self,
        source: TransactionSource,
        bytes: Vec<u8>,
        watcher: Option<mpsc::Sender<TransactionStatus>>,
    ) -> Result<TxHash, PoolError> {
        let candidate = measure(Component::Pool, || {
            let candidate = decode_candidate(bytes)?;
            self.check_known(&candidate.hash)?;
            Ok::<_, PoolError>(candidate)
        })?;
        let validity = self.validate(source, &candidate.xt).await?;
        let bytes = Arc::new(candidate.bytes.clone());
        let hash = measure(Component::Pool, || {
            self.insert_validated(candidate, validity, watcher)
        })?;
        // Nobody listening is fine: a node without a network.
        let _ = self.imports.send(ImportedTransaction { hash, bytes });
        Ok(hash)
    }

    fn check_known(&self, hash: &TxHash) -> Result<(), PoolError> {
        let mut inner = self.inner.lock();
        if inner.is_banned(hash, self.config.ban_time) {
            return Err(PoolError::TemporarilyBanned);
        }
        if inner.txs.contains_key(hash) {
            return Err(PoolError::AlreadyImported);
        }
        Ok(())
    }

    fn insert_validated(
        &self,
        candidate: Candidate,
        validity: TransactionValidity,
        watcher: Option<mpsc::Sender<TransactionStatus>>,
    ) -> Result<TxHash, PoolError> {
        let hash = candidate.hash;
        let valid = match validity {
            Ok(v) => v,
            Err(TransactionValidityError::Invalid(e)) => {
                // Stale transactions (an old nonce) are not malicious: do not ban them.
                if !matches!(e, InvalidTransaction::Stale) {
                    self.inner
                        .lock()
                        .ban(hash, self.config.ban_time, self.config.max_banned);
                }
                return Err(PoolError::Invalid(e));
            }
            Err(TransactionValidityError::Unknown(e)) => return Err(PoolError::Unknown(e)),
        };
        if valid.provides.is_empty() {
            return Err(PoolError::NoTagsProvided);
        }
        let best_number = self.client.info().best_number as u64;
        let mut inner = self.inner.lock();
        // Re-check under the lock: another submission of the same bytes may have won.
        if inner.txs.contains_key(&hash) {
            return Err(PoolError::AlreadyImported);
        }
        if valid.requires.iter().any(|t| valid.provides.contains(t)) {
            return Err(PoolError::CycleDetected);
        }
        // Conflicts: a transaction providing one of our tags.
        let mut usurped = Vec::new();
        for tag in &valid.provides {
            if let Some(other) = inner.provided.get(tag) {
                let other = inner.txs.get(other).map(|t| (t.hash, t.priority));
                if let Some((other_hash, other_priority)) = other {
                    if valid.priority <= other_priority {
                        return Err(PoolError::TooLowPriority {
                            old: other_priority,
                            new: valid.priority,
                        });
                    }
                    usurped.push(other_hash);
                }
            }
        }
        // The per-sender future cap, before anything changes: a newcomer that would wait
        // is refused if its sender already has as many waiting, unless it replaces one of
        // them.
        let waits = valid.requires.iter().any(|t| {
            inner
                .provided
                .get(t)
                .is_none_or(|p| usurped.contains(p) || !inner.ready.contains(p))
        });
        if waits {
            let replaced = usurped
                .iter()
                .filter(|u| {
                    !inner.ready.contains(*u)
                        && inner
                            .txs
                            .get(*u)
                            .is_some_and(|t| t.sender == candidate.sender)
                })
                .count();
            let limit = self.config.max_future_per_sender;
            if candidate.sender.is_some()
                && inner.future_of(&candidate.sender).saturating_sub(replaced) >= limit
            {
                tracing::debug!(
                    target: "txpool",
                    "refused {hash:?}: its sender already has {limit} future transactions"
                );
                return Err(PoolError::TooManyFutureFromSender { limit });
            }
        }
        for other in usurped {
            inner.remove(&other);
            inner.notify(&other, TransactionStatus::Usurped(hash));
        }
        let insertion = inner.next_insertion;
        inner.next_insertion += 1;
        let tx = PoolTransaction {
            hash,
            bytes: Arc::new(candidate.bytes),
            priority: valid.priority,
            requires: valid.requires,
            provides: valid.provides,
            valid_till: best_number.saturating_add(valid.longevity),
            insertion,
            last_validated: insertion,
            missing: 0,
            sender: candidate.sender,
        };
        if let Some(w) = watcher {
            inner.watchers.entry(hash).or_default().push(w);
        }
        inner.add(tx);

        // Enforce the limits. Eviction prefers future transactions, and the newcomer may
        // well be ready.
        while inner.txs.len() > self.config.max_count || inner.bytes > self.config.max_bytes {
            let Some(victim) = inner.eviction_candidate() else {
                break;
            };
            inner.remove(&victim);
            if victim == hash {
                inner.watchers.remove(&hash);
                inner.notify_moves();
                return Err(PoolError::ImmediatelyDropped);
            }
            inner.notify(&victim, TransactionStatus::Dropped);
        }
        inner.notify_moves();
        if !inner.ready.contains(&hash) {
            inner.notify(&hash, TransactionStatus::Future);
        }
        tracing::debug!(target: "txpool", "imported {hash:?}");
        Ok(hash)
    }

    /// The hash and bytes of every transaction in the pool, ready or future (a snapshot:
    /// the lock is held only to copy the handles). Compact block relay looks the short ids
    /// of announced blocks up in it.
    pub fn transactions(&self) -> Vec<(TxHash, Arc<Vec<u8>>)> {
        let inner = self.inner.lock();
        inner
            .txs
            .values()
            .map(|tx| (tx.hash, tx.bytes.clone()))
            .collect()
    }

    /// Ready transactions in the order a block should include them: highest priority
    /// first, each after the transactions it requires.
    pub fn ready_for_block(&self) -> Vec<PoolTransaction> {
        measure(Component::Pool, || self.ready_for_block_inner())
    }

    fn ready_for_block_inner(&self) -> Vec<PoolTransaction> {
        let inner = self.inner.lock();
        // How many of its requirements each ready transaction still waits for.
        let mut waiting: HashMap<TxHash, usize> = HashMap::new();
        let mut unlocks: HashMap<TxHash, Vec<TxHash>> = HashMap::new();
        let mut heap = BinaryHeap::new();
        for hash in &inner.ready {
            let Some(tx) = inner.txs.get(hash) else {
                continue;
            };
            let providers: HashSet<TxHash> = tx
                .requires
                .iter()
                .filter_map(|t| inner.provided.get(t).copied())
                .collect();
            if providers.is_empty() {
                heap.push((tx.priority, Reverse(tx.insertion), tx.hash));
            } else {
                waiting.insert(tx.hash, providers.len());
                for p in providers {
                    unlocks.entry(p).or_default().push(tx.hash);
                }
            }
        }
        let mut out = Vec::with_capacity(inner.ready.len());
        while let Some((_, _, hash)) = heap.pop() {
            let Some(tx) = inner.txs.get(&hash) else {
                continue;
            };
            out.push(tx.clone());
            for next in unlocks.remove(&hash).unwrap_or_default() {
                if let Some(n) = waiting.get_mut(&next) {
                    *n -= 1;
                    if *n == 0 {
                        if let Some(t) = inner.txs.get(&next) {
                            heap.push((t.priority, Reverse(t.insertion), t.hash));
                        }
                    }
                }
            }
        }
        out
    }

    /// Every pending extrinsic, ready ones first.
    pub fn pending_extrinsics(&self) -> Vec<Vec<u8>> {
        let ready = self.ready_for_block();
        let inner = self.inner.lock();
        let mut out: Vec<Vec<u8>> = ready.iter().map(|t| t.bytes.to_vec()).collect();
        let mut future: Vec<&PoolTransaction> = inner
            .txs
            .values()
            .filter(|t| !inner.ready.contains(&t.hash))
            .collect();
        future.sort_by_key(|t| t.insertion);
        out.extend(future.into_iter().map(|t| t.bytes.to_vec()));
        out
    }

    /// The nonce the account's next transaction should use, given its nonce on chain:
    /// past every nonce its pool transactions already provide.
    pub fn next_nonce_hint(&self, account: &echonet_runtime::AccountId, chain_nonce: u32) -> u32 {
        let inner = self.inner.lock();
        let mut nonce = chain_nonce;
        while inner.provided.contains_key(&(account, nonce).encode()) {
            nonce = nonce.saturating_add(1);
        }
        nonce
    }

    /// Removes transactions (author_removeExtrinsic). Returns those that were there.
    pub fn remove_extrinsics(&self, hashes: &[TxHash]) -> Vec<TxHash> {
        let mut inner = self.inner.lock();
        let mut removed = Vec::new();
        for h in hashes {
            if inner.remove(h).is_some() {
                inner.notify(h, TransactionStatus::Invalid);
                removed.push(*h);
            }
        }
        inner.notify_moves();
        removed
    }

    /// Drops transactions the block builder found invalid, and bans them.
    pub fn report_invalid(&self, hashes: &[TxHash]) {
        let mut inner = self.inner.lock();
        for h in hashes {
            if inner.remove(h).is_some() {
                inner.notify(h, TransactionStatus::Invalid);
                inner.ban(*h, self.config.ban_time, self.config.max_banned);
            }
        }
        inner.notify_moves();
    }

    /// Updates the pool for an imported block. Only new best blocks matter; once one is
    /// processed, [`Pool::processed_best`] names it.
    pub async fn on_block_imported(&self, notification: &BlockImportNotification) {
        if !notification.is_new_best {
            return;
        }
        self.process_new_best(notification).await;
        self.processed_best.send_replace(notification.hash);
    }

    async fn process_new_best(&self, notification: &BlockImportNotification) {
        let (enacted, retracted): (Vec<H256>, Vec<H256>) = match &notification.tree_route {
            Some(route) => (
                route
                    .enacted
                    .iter()
                    .map(|(h, _)| *h)
                    .chain([notification.hash])
                    .collect(),
                route.retracted.iter().map(|(h, _)| *h).collect(),
            ),
            None => (vec![notification.hash], vec![]),
        };
        let client = self.client.clone();
        let bodies = tokio::task::spawn_blocking(move || {
            measure(Component::Pool, || {
                let read = |hashes: &[H256]| -> Vec<(H256, u32, Vec<OpaqueExtrinsic>)> {
                    hashes
                        .iter()
                        .filter_map(|h| {
                            let header = client.header(*h).ok().flatten()?;
                            let body = client.body(*h).ok().flatten()?;
                            Some((*h, header.number, body))
                        })
                        .collect()
                };
                (read(&enacted), read(&retracted))
            })
        })
        .await;
        let Ok((enacted, retracted)) = bodies else {
            return;
        };

        let mut resubmit = Vec::new();
        // Tags the enacted blocks' known transactions provided: now on chain.
        let mut pruned: HashSet<Tag> = HashSet::new();
        let mut unknown_senders: HashSet<Arc<Vec<u8>>> = HashSet::new();
        let reorg = !retracted.is_empty();
        {
            let mut inner = self.inner.lock();
            for (block, _, body) in &retracted {
                if let Some((_, txs)) = inner.in_block.remove(block) {
                    for h in txs {
                        inner.notify(&h, TransactionStatus::Retracted(*block));
                    }
                }
                for xt in body {
                    resubmit.push(xt.encode());
                }
            }
            for (block, number, body) in &enacted {
                let mut watched = Vec::new();
                for xt in body {
                    let bytes = xt.encode();
                    let hash = BlakeTwo256::hash(&bytes);
                    match inner.remove(&hash) {
                        Some(tx) => pruned.extend(tx.provides),
                        // Not ours: what it provided is unknown, so its sender's pool
                        // transactions are revalidated (inherents have no sender).
                        None => {
                            if let Ok(Candidate {
                                sender: Some(s), ..
                            }) = decode_candidate(bytes)
                            {
                                unknown_senders.insert(s);
                            }
                        }
                    }
                    if inner.watchers.contains_key(&hash) {
                        inner.notify(&hash, TransactionStatus::InBlock(*block));
                        watched.push(hash);
                    }
                }
                if !watched.is_empty() {
                    inner.in_block.insert(*block, (*number, watched));
                }
            }
            inner.prune_tags(&pruned);
            inner.expire_bans(self.config.ban_time);
            inner.notify_moves();
        }

        // Transactions of retracted blocks come back (inherents fail validation and go).
        let included: HashSet<TxHash> = enacted
            .iter()
            .flat_map(|(_, _, body)| body.iter().map(|xt| BlakeTwo256::hash(&xt.encode())))
            .collect();
        for bytes in resubmit {
            if included.contains(&BlakeTwo256::hash(&bytes)) {
                continue;
            }
            if let Ok(candidate) = decode_candidate(bytes) {
                if self.check_known(&candidate.hash).is_ok() {
                    if let Ok(validity) = self
                        .validate(TransactionSource::InBlock, &candidate.xt)
                        .await
                    {
                        let _ = self.insert_validated(candidate, validity, None);
                    }
                }
            }
        }

        if reorg {
            // What the retracted blocks provided is off chain again: start afresh.
            self.revalidate(Revalidation::All).await;
        } else {
            self.revalidate(Revalidation::Some {
                senders: unknown_senders,
                batch: self.config.revalidation_batch,
            })
            .await;
        }
    }

    /// Revalidates pool transactions on the best state, dropping those that are no
    /// longer valid (a nonce used by a transaction the pool did not know, an exhausted
    /// balance): all of them, or those of some senders and the longest unchecked others.
    async fn revalidate(&self, which: Revalidation) {
        let snapshot: Vec<(TxHash, Arc<Vec<u8>>)> = {
            let mut inner = self.inner.lock();
            let chosen: Vec<TxHash> = match which {
                Revalidation::All => inner.txs.keys().copied().collect(),
                Revalidation::Some { senders, batch } => {
                    let (mut chosen, mut others): (Vec<_>, Vec<_>) = inner
                        .txs
                        .values()
                        .map(|t| (t.last_validated, t.hash, t.sender.as_ref()))
                        .partition(|(_, _, s)| s.is_some_and(|s| senders.contains(s)));
                    if others.len() > batch {
                        others.select_nth_unstable_by_key(batch, |(seq, _, _)| *seq);
                        others.truncate(batch);
                    }
                    chosen.append(&mut others);
                    chosen.into_iter().map(|(_, h, _)| h).collect()
                }
            };
            let mut out = Vec::with_capacity(chosen.len());
            for h in chosen {
                let seq = inner.next_insertion;
                inner.next_insertion += 1;
                if let Some(t) = inner.txs.get_mut(&h) {
                    t.last_validated = seq;
                    out.push((h, t.bytes.clone()));
                }
            }
            out
        };
        if snapshot.is_empty() {
            return;
        }
        let client = self.client.clone();
        let best = client.info().best_hash;
        let results = tokio::task::spawn_blocking(move || {
            measure(Component::Pool, || {
                snapshot
                    .into_iter()
                    .map(|(hash, bytes)| {
                        let xt =
                            OpaqueExtrinsic::try_from_encoded_extrinsic(&bytes).unwrap_or_default();
                        // The signature is found in the client's cache: revalidation
                        // re-checks nonces and balances, not signatures.
                        let validity =
                            client.validate_transaction(best, TransactionSource::External, &xt);
                        (hash, validity)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .await;
        let Ok(results) = results else { return };
        let best_number = self.client.info().best_number as u64;
        let mut inner = self.inner.lock();
        for (hash, validity) in results {
            match validity {
                Ok(Ok(valid)) => {
                    inner.set_priority(&hash, valid.priority);
                    if let Some(tx) = inner.txs.get_mut(&hash) {
                        tx.requires = valid.requires;
                        tx.valid_till = best_number.saturating_add(valid.longevity);
                    }
                }
                Ok(Err(TransactionValidityError::Unknown(_))) => {}
                Ok(Err(TransactionValidityError::Invalid(_))) | Err(_) => {
                    if inner.remove(&hash).is_some() {
                        inner.notify(&hash, TransactionStatus::Invalid);
                    }
                }
            }
        }
        // Requirements may have changed anywhere: one linear pass.
        inner.rebuild_readiness();
        inner.notify_moves();
    }

    /// Tells watchers that their transactions are final, and gives up on those that have
    /// waited too long.
    pub fn on_block_finalized(&self, notification: &FinalityNotification) {
        let mut inner = self.inner.lock();
        for block in notification.finalized.iter() {
            if let Some((_, txs)) = inner.in_block.remove(block) {
                for h in txs {
                    inner.notify(&h, TransactionStatus::Finalized(*block));
                }
            }
        }
        let finalized_number = notification.header.number;
        let stale: Vec<(H256, Vec<TxHash>)> = inner
            .in_block
            .iter()
            .filter(|(_, (n, _))| finalized_number.saturating_sub(*n) > FINALITY_TIMEOUT_BLOCKS)
            .map(|(b, (_, txs))| (*b, txs.clone()))
            .collect();
        for (block, txs) in stale {
            inner.in_block.remove(&block);
            for h in txs {
                inner.notify(&h, TransactionStatus::FinalityTimeout(block));
            }
        }
    }

    /// Keeps the pool in step with the chain until the client's notification channels
    /// close. Spawn it once.
    pub async fn run_maintenance(self: Arc<Self>) {
        // Its polls are the pool's work: dropping included transactions, notifying.
        echonet_cpu_meter::metered(Component::Pool, self.maintain()).await
    }

    async fn maintain(self: Arc<Self>) {
        use tokio::sync::broadcast::error::RecvError;
        let mut imports = self.client.import_notifications();
        let mut finality = self.client.finality_notifications();
        loop {
            // Imports first: a block imported and finalized at once sends both
            // notifications, and its transactions must be in a block before they can be
            // final.
            tokio::select! {
                biased;
                n = imports.recv() => match n {
                    Ok(n) => self.on_block_imported(&n).await,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(target: "txpool", "missed {missed} import notifications; revalidating");
                        let best = self.client.info().best_hash;
                        self.revalidate(Revalidation::All).await;
                        self.processed_best.send_replace(best);
                    }
                    Err(RecvError::Closed) => break,
                },
                n = finality.recv() => match n {
                    Ok(n) => self.on_block_finalized(&n),
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(
        n: u8,
        priority: u64,
        requires: &[u8],
        provides: &[u8],
        insertion: u64,
    ) -> PoolTransaction {
        PoolTransaction {
            hash: H256::repeat_byte(n),
            bytes: Arc::new(vec![n; 10]),
            priority,
            requires: requires.iter().map(|t| vec![*t]).collect(),
            provides: provides.iter().map(|t| vec![*t]).collect(),
            valid_till: 0,
            insertion,
            last_validated: insertion,
            missing: 0,
            sender: Some(Arc::new(vec![n % 3])),
        }
    }

    /// The eviction index agrees with a pass over the pool (what it replaced).
    fn check(inner: &Inner) {
        assert_eq!(inner.eviction_order.len(), inner.txs.len());
        for (ready, priority, Reverse(insertion), hash) in &inner.eviction_order {
            let tx = &inner.txs[hash];
            assert_eq!(*ready, inner.ready.contains(hash));
            assert_eq!((*priority, *insertion), (tx.priority, tx.insertion));
        }
        let brute = inner
            .txs
            .values()
            .min_by_key(|tx| {
                (
                    inner.ready.contains(&tx.hash),
                    tx.priority,
                    Reverse(tx.insertion),
                )
            })
            .map(|tx| tx.hash);
        assert_eq!(inner.eviction_candidate(), brute);
    }

    #[test]
    fn the_eviction_order_follows_readiness_priority_and_removal() {
        let mut inner = Inner::default();
        // 1 <- 2 <- 3 by tags; 4 waits for a tag nobody provides; 5 stands alone.
        inner.add(tx(1, 10, &[], &[1], 1));
        check(&inner);
        inner.add(tx(3, 5, &[2], &[3], 2));
        check(&inner);
        assert_eq!(
            inner.eviction_candidate(),
            Some(H256::repeat_byte(3)),
            "future first"
        );
        inner.add(tx(2, 7, &[1], &[2], 3));
        check(&inner);
        inner.add(tx(4, 100, &[9], &[4], 4));
        inner.add(tx(5, 1, &[], &[5], 5));
        check(&inner);
        assert_eq!(
            inner.eviction_candidate(),
            Some(H256::repeat_byte(4)),
            "the only future one"
        );
        inner.set_priority(&H256::repeat_byte(5), 50);
        check(&inner);
        // Removing 1 demotes 2 and 3.
        inner.remove(&H256::repeat_byte(1));
        check(&inner);
        assert_eq!(inner.eviction_candidate(), Some(H256::repeat_byte(3)));
        // The chain provides tag 1 now: 2 and 3 are ready again.
        inner.prune_tags(&[vec![1u8]].into_iter().collect());
        check(&inner);
        assert!(inner.ready.contains(&H256::repeat_byte(3)));
        inner.rebuild_readiness();
        check(&inner);
        // Pruning a tag a pool transaction provides removes it (stale).
        inner.prune_tags(&[vec![5u8]].into_iter().collect());
        check(&inner);
        assert!(!inner.txs.contains_key(&H256::repeat_byte(5)));
        for h in [2, 3, 4] {
            inner.remove(&H256::repeat_byte(h));
            check(&inner);
        }
        assert!(inner.eviction_order.is_empty());
    }
}
