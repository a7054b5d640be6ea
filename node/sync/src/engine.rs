//! The sync task: one loop that owns every piece of sync state (see the crate docs for what
//! it does). Client calls run on blocking threads; at most one import job runs at a time,
//! so blocks are imported in the order they were queued.

use crate::{
    ascending_chain,
    compact::{self, RelayOutcome, TransactionSource},
    descending_chain,
    metrics::Metrics,
    orphans::Orphans,
    ranges::Ranges,
    register_metrics, JustificationError, JustificationImport, QueuedBlock, SyncConfig, SyncHandle,
    SyncNetwork, SyncParams, SyncPeer, SyncState, SyncStatus, BAD_RESPONSE, EMPTY_RESPONSE,
    MAJOR_SYNC_BLOCKS,
};
use echonet_client::{
    BlockImportNotification, BlockOrigin, Client, Error as ClientError, ImportBlock, ImportResult,
};
use echonet_network::{
    rep, BlockData, BlockFields, BlockId, BlockRequest, CompactBody, Direction, MessageId,
    MessageValidity, NetworkEvent, PeerId, RequestError, Role,
};
use echonet_runtime::Header;
use futures::{future::BoxFuture, stream::FuturesUnordered, FutureExt, StreamExt};
use prometheus_endpoint::PrometheusError;
use rand::seq::SliceRandom;
use schnellru::{ByLength, LruMap};
use sp_core::H256;
use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{
    sync::{broadcast, mpsc, watch},
    task::JoinHandle,
};

/// How often timeouts, stalls and expiries are looked at.
const TICK: Duration = Duration::from_millis(500);
/// A peer ahead of us with nothing in flight for this long: download from it anyway.
const STALL_AFTER: Duration = Duration::from_secs(1);
/// A peer whose request failed is not asked again for this long.
const PEER_REST: Duration = Duration::from_secs(2);
/// A gossip message waits this long for its verdict at most (gossipsub forgets it anyway).
const VERDICT_TTL: Duration = Duration::from_secs(30);
/// Most announcements waiting for their verdict.
const MAX_VERDICTS: usize = 4096;
/// A fetch of a block above our best counts as "importing above best" this long.
const RECENT_FETCH: Duration = Duration::from_secs(2);
/// Block hashes remembered as in the chain (saves database reads).
const KNOWN_CACHE: u32 = 16 * 1024;
/// Block hashes remembered as bad.
const BAD_CACHE: u32 = 4096;
/// First fetch for an announced block whose parent is unknown: a few ancestors with it.
const ANNOUNCE_ANCESTORS: u32 = 8;
/// A range request unanswered this long is given up on (its numbers go to other peers)
/// and the peer's claim is capped as if it had failed; a never-answering peer would
/// otherwise hold its numbers for the network's whole request timeout (20 s).
const RANGE_PATIENCE: Duration = Duration::from_secs(5);

/// What sync knows of a peer's chain: what it *claims* (its handshake, its announcements),
/// which only decides whom to ask for blocks, and what it has *shown* (a header that passed
/// the consensus checks, blocks it delivered, or a handshake best block that we have),
/// which is all that the published status (major sync, `best_seen`) is made of.
struct Peer {
    role: Role,
    /// The claim: the peer's best block as it says.
    best_number: u32,
    best_hash: H256,
    /// The highest block the peer has shown.
    shown: (u32, H256),
    /// Since when the claim has been above what the peer has shown. Not reset when a
    /// failed request caps the claim, so that a peer that never proves anything gets one
    /// grace ([`SyncConfig::unproven_claim_grace`]) per proof, not one per announcement.
    unproven_since: Option<Instant>,
    /// A range request is in flight: its start, generation, and when it was sent.
    range: Option<(u32, u64, Instant)>,
    /// Fetches by hash in flight.
    fetches: usize,
    /// Not asked anything until then (a request failed).
    rest_until: Option<Instant>,
}

impl Peer {
    /// The peer says it has `number` (`hash`); believed only as a download target.
    fn claim(&mut self, number: u32, hash: H256, now: Instant) {
        if number > self.best_number {
            self.best_number = number;
            self.best_hash = hash;
        }
        if self.best_number > self.shown.0 && self.unproven_since.is_none() {
            self.unproven_since = Some(now);
        }
    }

    /// The peer has shown `number` (`hash`).
    fn show(&mut self, number: u32, hash: H256, now: Instant) {
        if number > self.shown.0 {
            self.shown = (number, hash);
            // Progress: what it claims beyond this gets its grace afresh.
            self.unproven_since = (self.best_number > number).then_some(now);
        }
        if number > self.best_number {
            self.best_number = number;
            self.best_hash = hash;
        }
    }

    /// A request failed or was refused: the claim falls back to what the peer has shown.
    fn cap(&mut self) {
        if self.best_number > self.shown.0 {
            self.best_number = self.shown.0;
            self.best_hash = self.shown.1;
        }
    }

    /// Whether the peer's unproven claim is above `best` and still within its grace.
    fn claims_ahead_of(&self, best: u32, grace: Duration, now: Instant) -> bool {
        self.best_number > best
            && self.best_number > self.shown.0
            && self
                .unproven_since
                .is_some_and(|since| now.saturating_duration_since(since) < grace)
    }
}

enum Request {
    Range { start: u32, generation: u64 },
    Fetch { hash: H256 },
}

struct Response {
    peer: PeerId,
    request: Request,
    result: Result<Vec<BlockData>, RequestError>,
    /// For a fetch of a compactly announced block: how it went.
    relay: Option<RelayOutcome>,
}

struct Fetching {
    number: Option<u32>,
    since: Instant,
    /// The block's header passed the consensus checks (an announcement whose parent we
    /// have): only then does the fetch make us hold back from authoring.
    proven: bool,
}

/// What we know about a block hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    InChain,
    Queued,
    Orphan,
    Bad,
    Unknown,
}

/// What became of one block of an import job.
enum Outcome {
    Imported,
    /// Its parent is not in the database: the block comes back to wait for it.
    UnknownParent(Box<QueuedBlock>),
    Invalid(String),
    NotDescendantOfFinalized,
    /// A local failure (database, a bug): nobody is to blame.
    Failed(String),
}

struct Done {
    hash: H256,
    number: u32,
    origin: BlockOrigin,
    from: PeerId,
    outcome: Outcome,
    justification: Option<Result<(), JustificationError>>,
}

struct JobResult {
    done: Vec<Done>,
    /// Blocks after a failure, not attempted.
    rest: Vec<QueuedBlock>,
}

enum Action {
    Event(NetworkEvent),
    Response(Response),
    Imported(Result<JobResult, tokio::task::JoinError>),
    ChainImport(BlockImportNotification),
    Tick,
    Stop,
}

/// The sync task. Build it with [`SyncEngine::new`], spawn [`SyncEngine::run`].
pub struct SyncEngine {
    client: Arc<Client>,
    network: Arc<dyn SyncNetwork>,
    config: SyncConfig,
    justifications: Option<Arc<dyn JustificationImport>>,
    transactions: Option<Arc<dyn TransactionSource>>,
    metrics: Option<Metrics>,
    handle: SyncHandle,
    events: mpsc::Receiver<NetworkEvent>,
    chain_imports: broadcast::Receiver<BlockImportNotification>,
    peers: HashMap<PeerId, Peer>,
    ranges: Ranges<QueuedBlock>,
    /// Bumped whenever downloaded ranges are thrown away; older answers are dropped.
    generation: u64,
    /// The last block handed to import (or our best block): where ranges continue.
    best_queued: (u32, H256),
    queue: VecDeque<QueuedBlock>,
    queued: HashSet<H256>,
    importing: Option<JoinHandle<JobResult>>,
    /// Highest block number in the running import job.
    importing_top: Option<u32>,
    orphans: Orphans,
    fetching: HashMap<H256, Fetching>,
    requests: FuturesUnordered<BoxFuture<'static, Response>>,
    verdicts: HashMap<H256, Vec<(PeerId, MessageId)>>,
    verdict_times: VecDeque<(Instant, H256)>,
    known: LruMap<H256, u32>,
    bad: LruMap<H256, ()>,
    stalled_since: Option<Instant>,
    starting_block: u32,
}

impl SyncEngine {
    /// The engine, and the handle that shows its status. Registers the metrics.
    pub fn new(params: SyncParams) -> Result<(Self, SyncHandle), PrometheusError> {
        let metrics = register_metrics(params.registry.as_ref())?;
        let info = params.client.info();
        let handle = SyncHandle::new(info.best_number);
        let orphans = Orphans::new(
            params.config.max_orphans,
            params.config.max_orphan_bytes,
            params.config.max_orphans_per_peer,
        );
        let chain_imports = params.client.import_notifications();
        let engine = Self {
            client: params.client,
            network: params.network,
            config: params.config,
            justifications: params.justifications,
            transactions: params.transactions,
            metrics,
            handle: handle.clone(),
            events: params.events,
            chain_imports,
            peers: HashMap::new(),
            ranges: Ranges::new(),
            generation: 0,
            best_queued: (info.best_number, info.best_hash),
            queue: VecDeque::new(),
            queued: HashSet::new(),
            importing: None,
            importing_top: None,
            orphans,
            fetching: HashMap::new(),
            requests: FuturesUnordered::new(),
            verdicts: HashMap::new(),
            verdict_times: VecDeque::new(),
            known: LruMap::new(ByLength::new(KNOWN_CACHE)),
            bad: LruMap::new(ByLength::new(BAD_CACHE)),
            stalled_since: None,
            starting_block: info.best_number,
        };
        Ok((engine, handle))
    }

    /// Runs until `shutdown` turns true or the network's event channel closes.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.schedule_ranges();
            self.schedule_import();
            self.publish();
            let action = {
                let importing = &mut self.importing;
                let has_job = importing.is_some();
                let has_requests = !self.requests.is_empty();
                tokio::select! {
                    changed = shutdown.changed() => {
                        if changed.is_err() || *shutdown.borrow() { Action::Stop } else { Action::Tick }
                    }
                    event = self.events.recv() => match event {
                        Some(event) => Action::Event(event),
                        None => Action::Stop,
                    },
                    Some(response) = self.requests.next(), if has_requests => Action::Response(response),
                    result = async { match importing.as_mut() {
                        Some(job) => job.await,
                        None => std::future::pending().await,
                    } }, if has_job => Action::Imported(result),
                    n = self.chain_imports.recv() => match n {
                        Ok(n) => Action::ChainImport(n),
                        Err(broadcast::error::RecvError::Lagged(_)) => Action::Tick,
                        Err(broadcast::error::RecvError::Closed) => Action::Stop,
                    },
                    _ = tick.tick() => Action::Tick,
                }
            };
            match action {
                Action::Stop => break,
                Action::Event(event) => self.on_event(event).await,
                Action::Response(response) => self.on_response(response).await,
                Action::Imported(result) => {
                    self.importing = None;
                    self.importing_top = None;
                    self.on_imported(result).await;
                }
                Action::ChainImport(n) => {
                    self.known.insert(n.hash, n.header.number);
                }
                Action::Tick => self.on_tick().await,
            }
        }
        // Nobody will give these a verdict any more.
        let pending: Vec<H256> = self.verdicts.keys().copied().collect();
        for hash in pending {
            self.resolve(hash, MessageValidity::Ignore);
        }
        tracing::debug!(target: "sync", "sync stopped");
    }

    // ------------------------------------------------------------------ status

    /// The highest block a peer has shown: the target of the published status.
    fn best_seen(&self) -> Option<u32> {
        self.peers.values().map(|p| p.shown.0).max()
    }

    /// The highest block a peer claims: where downloads go.
    fn best_claimed(&self) -> Option<u32> {
        self.peers.values().map(|p| p.best_number).max()
    }

    fn publish(&mut self) {
        let info = self.client.info();
        let best_seen = self.best_seen();
        let state = match best_seen {
            Some(target) if target > info.best_number.saturating_add(MAJOR_SYNC_BLOCKS) => {
                SyncState::Downloading
            }
            _ => SyncState::Idle,
        };
        let now = Instant::now();
        let importing_above_best = self.importing_top.is_some_and(|n| n > info.best_number)
            || self.queue.iter().any(|b| b.number() > info.best_number)
            || self.fetching.values().any(|f| {
                f.proven
                    && f.number.is_some_and(|n| n > info.best_number)
                    && now.saturating_duration_since(f.since) < RECENT_FETCH
            });
        let grace = self.config.unproven_claim_grace;
        let claimed_ahead = self
            .peers
            .values()
            .any(|p| p.claims_ahead_of(info.best_number, grace, now));
        let mut peers: Vec<SyncPeer> = self
            .peers
            .iter()
            .map(|(id, p)| SyncPeer {
                peer_id: *id,
                role: p.role,
                best_number: p.best_number,
                best_hash: p.best_hash,
            })
            .collect();
        peers.sort_by_key(|p| p.peer_id);
        let queued_blocks = self.queue.len() + self.ranges.ready_blocks();
        if let Some(m) = &self.metrics {
            m.is_major_syncing
                .set(u64::from(state == SyncState::Downloading));
            m.orphans.set(self.orphans.len() as u64);
            m.queued.set(queued_blocks as u64);
        }
        self.handle.publish(SyncStatus {
            state,
            best_seen,
            starting_block: self.starting_block,
            peers,
            queued_blocks,
            importing_above_best,
            claimed_ahead,
        });
    }

    // ------------------------------------------------------------------ verdicts

    fn await_verdict(&mut self, hash: H256, peer: PeerId, id: MessageId) {
        if self.verdicts.len() >= MAX_VERDICTS && !self.verdicts.contains_key(&hash) {
            self.network
                .report_message(id, peer, MessageValidity::Ignore);
            return;
        }
        self.verdicts.entry(hash).or_default().push((peer, id));
        self.verdict_times.push_back((Instant::now(), hash));
    }

    fn resolve(&mut self, hash: H256, validity: MessageValidity) {
        if let Some(waiting) = self.verdicts.remove(&hash) {
            for (peer, id) in waiting {
                self.network.report_message(id, peer, validity);
            }
        }
    }

    // ------------------------------------------------------------------ knowledge

    async fn status_of(&mut self, hash: H256) -> Known {
        if self.bad.get(&hash).is_some() {
            return Known::Bad;
        }
        if self.queued.contains(&hash) {
            return Known::Queued;
        }
        if self.orphans.contains(&hash) {
            return Known::Orphan;
        }
        if self.known.get(&hash).is_some() {
            return Known::InChain;
        }
        let client = self.client.clone();
        match tokio::task::spawn_blocking(move || client.header(hash)).await {
            Ok(Ok(Some(header))) => {
                self.known.insert(hash, header.number);
                Known::InChain
            }
            _ => Known::Unknown,
        }
    }

    /// A peer gave us a bad block: whatever it claimed or showed beyond our chain is not
    /// believed.
    fn distrust(&mut self, peer: &PeerId) {
        let info = self.client.info();
        if let Some(p) = self.peers.get_mut(peer) {
            if p.shown.0 > info.best_number {
                p.shown = (info.best_number, info.best_hash);
            }
            p.cap();
        }
    }

    /// The number of `hash` if it is a block of our database.
    async fn number_in_chain(&mut self, hash: H256) -> Option<u32> {
        match self.status_of(hash).await {
            Known::InChain => self.known.get(&hash).map(|n| *n),
            _ => None,
        }
    }

    /// A request to `peer` failed, was refused or went unanswered: its claim falls back to
    /// what it has shown.
    fn cap_claim(&mut self, peer: &PeerId) {
        if let Some(p) = self.peers.get_mut(peer) {
            if p.best_number > p.shown.0 {
                tracing::debug!(
                    target: "sync",
                    "{peer} did not serve its claimed #{}: believed up to #{} only",
                    p.best_number,
                    p.shown.0
                );
            }
            p.cap();
        }
    }

    fn mark_bad(&mut self, hash: H256) {
        self.bad.insert(hash, ());
        self.resolve(hash, MessageValidity::Reject);
        for block in self.orphans.remove_with_descendants(&hash) {
            self.bad.insert(block.hash, ());
            self.resolve(block.hash, MessageValidity::Reject);
        }
    }

    // ------------------------------------------------------------------ events

    async fn on_event(&mut self, event: NetworkEvent) {
        match event {
            NetworkEvent::PeerConnected { peer, role, status } => {
                tracing::debug!(
                    target: "sync",
                    "Peer {peer} ({role}) with best #{} ({:?})",
                    status.best_number,
                    status.best_hash
                );
                // It has shown what of its status we have ourselves: its best block if we
                // have it (at the height we know it by), else its finalized one.
                let genesis = self.client.info().genesis_hash;
                let shown = match self.number_in_chain(status.best_hash).await {
                    Some(n) => (n.min(status.best_number), status.best_hash),
                    None => match self.number_in_chain(status.finalized_hash).await {
                        Some(n) => (n.min(status.best_number), status.finalized_hash),
                        None => (0, genesis),
                    },
                };
                let mut entry = Peer {
                    role,
                    best_number: shown.0,
                    best_hash: shown.1,
                    shown,
                    unproven_since: None,
                    range: None,
                    fetches: 0,
                    rest_until: None,
                };
                entry.claim(status.best_number, status.best_hash, Instant::now());
                self.peers.insert(peer, entry);
            }
            NetworkEvent::PeerDisconnected { peer } => {
                // Its requests in flight fail on their own and free their ranges.
                self.peers.remove(&peer);
            }
            NetworkEvent::BlockAnnounce {
                peer,
                header,
                is_best,
                compact,
                message_id,
            } => {
                self.on_announce(peer, header, is_best, compact, message_id)
                    .await
            }
            NetworkEvent::Transactions {
                peer, message_id, ..
            }
            | NetworkEvent::Finality {
                peer, message_id, ..
            } => {
                self.network
                    .report_message(message_id, peer, MessageValidity::Ignore);
            }
        }
    }

    async fn on_announce(
        &mut self,
        peer: PeerId,
        header: Header,
        is_best: bool,
        compact: Option<CompactBody>,
        message_id: MessageId,
    ) {
        let hash = header.hash();
        let number = header.number;
        if !self.peers.contains_key(&peer) {
            // Announcements only come from peers that completed the handshake.
            self.network
                .report_message(message_id, peer, MessageValidity::Ignore);
            return;
        }
        tracing::trace!(target: "sync", "{peer} announced #{number} ({hash:?})");
        let status = self.status_of(hash).await;
        // An announcement shows a block if we have it, or if its header passes the
        // consensus checks on a parent we have; otherwise (unknown parent) it is only a
        // claim. A block known to be bad is not even that: it must not make us look
        // behind (a validator would stop authoring).
        // A header that fails the checks is not even a claim; import judges the block
        // (and its sender) once it is fetched.
        let mut proven = status == Known::InChain;
        let mut disproven = false;
        if is_best && status != Known::Bad && self.bad.get(&header.parent_hash).is_none() {
            if !proven && self.status_of(header.parent_hash).await == Known::InChain {
                proven = header_checks_out(self.client.clone(), header.clone()).await;
                disproven = !proven;
            }
            let now = Instant::now();
            if let Some(p) = self.peers.get_mut(&peer) {
                if proven {
                    p.show(number, hash, now);
                } else if !disproven {
                    p.claim(number, hash, now);
                }
            }
        }
        match status {
            Known::InChain => {
                self.network
                    .report_message(message_id, peer, MessageValidity::Accept);
                return;
            }
            Known::Bad => {
                self.network
                    .report_message(message_id, peer, MessageValidity::Reject);
                return;
            }
            Known::Queued | Known::Orphan => {
                self.await_verdict(hash, peer, message_id);
                return;
            }
            Known::Unknown => {}
        }
        let info = self.client.info();
        if number <= info.finalized_number {
            self.network
                .report_message(message_id, peer, MessageValidity::Ignore);
            return;
        }
        if self.fetching.contains_key(&hash) {
            self.await_verdict(hash, peer, message_id);
            return;
        }
        let max = match self.status_of(header.parent_hash).await {
            Known::InChain | Known::Queued | Known::Orphan => 1,
            Known::Bad => {
                self.bad.insert(hash, ());
                self.network
                    .report_message(message_id, peer, MessageValidity::Reject);
                return;
            }
            Known::Unknown => {
                if number
                    > self
                        .best_queued
                        .0
                        .saturating_add(self.config.blocks_per_request)
                {
                    // Far ahead: the range download gets there (the peer's best moved).
                    self.network
                        .report_message(message_id, peer, MessageValidity::Ignore);
                    return;
                }
                ANNOUNCE_ANCESTORS.min(number - info.finalized_number)
            }
        };
        let started = match (compact, &self.transactions) {
            // Its parent is ours or on its way: the block alone will do, rebuilt.
            (Some(compact), Some(_)) if max == 1 && self.available(&peer, Instant::now()) => {
                self.fetch_compact(peer, header, compact);
                true
            }
            _ => self.fetch(peer, hash, Some(number), max),
        };
        if started {
            if let Some(f) = self.fetching.get_mut(&hash) {
                f.proven |= proven;
            }
            self.await_verdict(hash, peer, message_id);
        } else {
            self.network
                .report_message(message_id, peer, MessageValidity::Ignore);
        }
    }

    // ------------------------------------------------------------------ requests

    fn available(&self, peer: &PeerId, now: Instant) -> bool {
        self.peers.get(peer).is_some_and(|p| {
            p.fetches < self.config.max_fetches_per_peer && p.rest_until.is_none_or(|t| t <= now)
        })
    }

    /// Gets the compactly announced block `header` from our pool and `peer` (falling back
    /// to a whole-block fetch from it). The caller checked that `peer` can be asked.
    fn fetch_compact(&mut self, peer: PeerId, header: Header, compact: CompactBody) {
        let Some(source) = self.transactions.clone() else {
            return;
        };
        let hash = header.hash();
        let now = Instant::now();
        if let Some(p) = self.peers.get_mut(&peer) {
            p.fetches += 1;
        }
        self.fetching.insert(
            hash,
            Fetching {
                number: Some(header.number),
                since: now,
                proven: false,
            },
        );
        let network = self.network.clone();
        self.requests.push(
            async move {
                let relayed = compact::fetch(network, source, peer, header, compact).await;
                Response {
                    peer,
                    request: Request::Fetch { hash },
                    result: relayed.result,
                    relay: Some(relayed.outcome),
                }
            }
            .boxed(),
        );
    }

    /// Fetches `hash` and up to `max - 1` ancestors from `peer`, or from another peer that
    /// should have the block if `peer` cannot be asked. False if nobody can.
    fn fetch(&mut self, peer: PeerId, hash: H256, number: Option<u32>, max: u32) -> bool {
        if self.fetching.contains_key(&hash) {
            return true;
        }
        let now = Instant::now();
        let peer = if self.available(&peer, now) {
            peer
        } else {
            let Some(other) = self
                .peers
                .iter()
                .filter(|(id, p)| {
                    number.is_none_or(|n| p.best_number >= n) && self.available(id, now)
                })
                .map(|(id, _)| *id)
                .next()
            else {
                return false;
            };
            other
        };
        if let Some(p) = self.peers.get_mut(&peer) {
            p.fetches += 1;
        }
        self.fetching.insert(
            hash,
            Fetching {
                number,
                since: now,
                proven: false,
            },
        );
        let request = BlockRequest {
            from: BlockId::Hash(hash),
            direction: Direction::Descending,
            max: max.max(1),
            fields: BlockFields::ALL,
        };
        let network = self.network.clone();
        self.requests.push(
            async move {
                let result = network.request_blocks(peer, request).await;
                Response {
                    peer,
                    request: Request::Fetch { hash },
                    result,
                    relay: None,
                }
            }
            .boxed(),
        );
        true
    }

    fn schedule_ranges(&mut self) {
        let info = self.client.info();
        if info.best_number > self.best_queued.0 {
            self.best_queued = (info.best_number, info.best_hash);
        }
        // Downloads follow claims (a claim that is not served is capped soon enough);
        // the published status follows what was shown.
        let Some(target) = self.best_claimed() else {
            return;
        };
        let major = target > info.best_number.saturating_add(MAJOR_SYNC_BLOCKS);
        let stalled = self
            .stalled_since
            .is_some_and(|t| t.elapsed() >= STALL_AFTER);
        if !major && !stalled {
            return;
        }
        if self.queue.len() + self.ranges.ready_blocks() >= self.config.max_blocks_ahead as usize {
            return; // Import is behind: wait for it.
        }
        let limit = info
            .best_number
            .saturating_add(self.config.max_blocks_ahead);
        let now = Instant::now();
        let mut candidates: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, p)| {
                p.range.is_none()
                    && p.best_number > self.best_queued.0
                    && p.rest_until.is_none_or(|t| t <= now)
            })
            .map(|(id, _)| *id)
            .collect();
        candidates.shuffle(&mut rand::thread_rng());
        for peer in candidates {
            let Some(best) = self.peers.get(&peer).map(|p| p.best_number) else {
                continue;
            };
            let Some((start, end)) = self.ranges.next_free(
                self.best_queued.0.saturating_add(1),
                best,
                limit,
                self.config.blocks_per_request,
            ) else {
                continue;
            };
            self.ranges.start(start, end, self.generation);
            if let Some(p) = self.peers.get_mut(&peer) {
                p.range = Some((start, self.generation, now));
            }
            tracing::debug!(target: "sync", "Requesting #{start}..#{} from {peer}", end - 1);
            let request = BlockRequest {
                from: BlockId::Number(start),
                direction: Direction::Ascending,
                max: end - start,
                fields: BlockFields::ALL,
            };
            let network = self.network.clone();
            let generation = self.generation;
            self.requests.push(
                async move {
                    let result = network.request_blocks(peer, request).await;
                    Response {
                        peer,
                        request: Request::Range { start, generation },
                        result,
                        relay: None,
                    }
                }
                .boxed(),
            );
        }
    }

    fn count_request(&self, kind: &str, result: &str) {
        if let Some(m) = &self.metrics {
            m.requests.with_label_values(&[kind, result]).inc();
        }
    }

    fn rest(&mut self, peer: &PeerId) {
        if let Some(p) = self.peers.get_mut(peer) {
            p.rest_until = Some(Instant::now() + PEER_REST);
        }
    }

    async fn on_response(&mut self, response: Response) {
        let Response {
            peer,
            request,
            result,
            relay,
        } = response;
        if let Some(m) = &self.metrics {
            if let Some(outcome) = relay {
                m.relay.with_label_values(&[outcome.label()]).inc();
            }
            // Whole blocks that followed an announcement: the full relay's cost, and the
            // fallback's.
            let whole = match relay {
                Some(RelayOutcome::Rebuilt | RelayOutcome::RebuiltWithFetch) => false,
                Some(_) => true,
                None => matches!(request, Request::Fetch { .. }),
            };
            if whole {
                if let Ok(blocks) = &result {
                    use codec::Encode;
                    m.relay_full_bytes.inc_by(blocks.encoded_size() as u64);
                }
            }
        }
        match request {
            Request::Range { start, generation } => {
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.range = None;
                }
                self.on_range(peer, start, generation, result).await
            }
            Request::Fetch { hash } => {
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.fetches = p.fetches.saturating_sub(1);
                }
                self.on_fetch(peer, hash, result).await
            }
        }
    }

    async fn on_range(
        &mut self,
        peer: PeerId,
        start: u32,
        generation: u64,
        result: Result<Vec<BlockData>, RequestError>,
    ) {
        let blocks = match result {
            Ok(blocks) => blocks,
            Err(e) => {
                tracing::debug!(target: "sync", "Range #{start} from {peer} failed: {e}");
                self.count_request("range", "failed");
                self.ranges.fail(start, generation);
                self.cap_claim(&peer);
                self.rest(&peer);
                return;
            }
        };
        if !self.ranges.is_in_flight(start, generation) {
            return; // Thrown away meanwhile.
        }
        match ascending_chain(start, blocks, peer) {
            Err(reason) => {
                tracing::debug!(target: "sync", "Bad range #{start} from {peer}: {reason}");
                self.count_request("range", "bad");
                self.network.report_peer(peer, BAD_RESPONSE);
                self.distrust(&peer);
                self.ranges.fail(start, generation);
                self.rest(&peer);
            }
            Ok(chain) if chain.is_empty() => {
                // It claimed blocks up to its best: it no longer has them (a reorg) or it
                // lied. Believe what it showed.
                self.count_request("range", "empty");
                self.network.report_peer(peer, EMPTY_RESPONSE);
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.best_number = p.best_number.min(start.saturating_sub(1));
                }
                self.cap_claim(&peer);
                self.ranges.fail(start, generation);
            }
            Ok(chain) => {
                self.count_request("range", "ok");
                if let (Some(p), Some(last)) = (self.peers.get_mut(&peer), chain.last()) {
                    p.show(last.number(), last.hash, Instant::now());
                }
                self.ranges.complete(start, generation, peer, chain);
                self.drain_ranges().await;
            }
        }
    }

    async fn drain_ranges(&mut self) {
        while let Some(range) = self.ranges.pop_ready(self.best_queued.0.saturating_add(1)) {
            let Some(first) = range.blocks.first() else {
                continue;
            };
            let (last_number, last_hash) = range
                .blocks
                .last()
                .map(|b| (b.number(), b.hash))
                .unwrap_or((first.number(), first.hash));
            let links = first.header.parent_hash == self.best_queued.1
                && (self.queued.contains(&self.best_queued.1)
                    || self.known.get(&self.best_queued.1).is_some());
            tracing::trace!(
                target: "sync",
                "Queueing #{}..#{last_number} from {}",
                range.start,
                range.peer
            );
            if links {
                for block in range.blocks {
                    self.queue_block(block);
                }
            } else {
                self.enqueue_chain(range.blocks).await;
            }
            // Whether queued or waiting for ancestors, the next range continues after it.
            if last_number > self.best_queued.0 {
                self.best_queued = (last_number, last_hash);
            }
        }
    }

    async fn on_fetch(
        &mut self,
        peer: PeerId,
        hash: H256,
        result: Result<Vec<BlockData>, RequestError>,
    ) {
        self.fetching.remove(&hash);
        let blocks = match result {
            Ok(blocks) => blocks,
            Err(e) => {
                tracing::debug!(target: "sync", "Fetching {hash:?} from {peer} failed: {e}");
                self.count_request("fetch", "failed");
                self.cap_claim(&peer);
                self.rest(&peer);
                self.resolve(hash, MessageValidity::Ignore);
                return;
            }
        };
        match descending_chain(hash, blocks, peer) {
            Err(reason) => {
                tracing::debug!(target: "sync", "Bad answer for {hash:?} from {peer}: {reason}");
                self.count_request("fetch", "bad");
                self.network.report_peer(peer, BAD_RESPONSE);
                self.distrust(&peer);
                self.rest(&peer);
                self.resolve(hash, MessageValidity::Ignore);
            }
            Ok(chain) if chain.is_empty() => {
                self.count_request("fetch", "empty");
                self.network.report_peer(peer, EMPTY_RESPONSE);
                self.cap_claim(&peer);
                self.resolve(hash, MessageValidity::Ignore);
            }
            Ok(chain) => {
                self.count_request("fetch", "ok");
                if let (Some(p), Some(top)) = (self.peers.get_mut(&peer), chain.last()) {
                    p.show(top.number(), top.hash, Instant::now());
                }
                self.enqueue_chain(chain).await;
            }
        }
    }

    // ------------------------------------------------------------------ queueing

    /// Queues a block for import, and with it every orphan waiting under it.
    fn queue_block(&mut self, block: QueuedBlock) {
        let mut stack = vec![block];
        while let Some(block) = stack.pop() {
            if !self.queued.insert(block.hash) {
                continue;
            }
            let hash = block.hash;
            if block.number() > self.best_queued.0 {
                self.best_queued = (block.number(), hash);
            }
            self.queue.push_back(block);
            stack.extend(self.orphans.take_children(&hash));
        }
    }

    /// Takes a linked chain (oldest first): skips what we have, queues what links to our
    /// chain, holds the rest as orphans and fetches their ancestors.
    async fn enqueue_chain(&mut self, chain: Vec<QueuedBlock>) {
        let mut blocks = chain.into_iter().peekable();
        while let Some(block) = blocks.peek() {
            let hash = block.hash;
            let from = block.from;
            match self.status_of(hash).await {
                Known::InChain => {
                    blocks.next();
                    self.resolve(hash, MessageValidity::Accept);
                    for child in self.orphans.take_children(&hash) {
                        self.queue_block(child);
                    }
                }
                Known::Queued | Known::Orphan => {
                    blocks.next();
                }
                Known::Bad => {
                    // Everything after it descends from a bad block.
                    for block in blocks.by_ref() {
                        self.mark_bad(block.hash);
                    }
                    self.distrust(&from);
                    self.network.report_peer(from, rep::BAD_BLOCK);
                    return;
                }
                Known::Unknown => break,
            }
        }
        let rest: Vec<QueuedBlock> = blocks.collect();
        let Some(first) = rest.first() else {
            return;
        };
        let (parent, from) = (first.header.parent_hash, first.from);
        match self.status_of(parent).await {
            Known::InChain | Known::Queued => {
                for block in rest {
                    self.queue_block(block);
                }
            }
            Known::Orphan => {
                for block in rest {
                    self.hold(block);
                }
            }
            Known::Bad => {
                for block in &rest {
                    self.mark_bad(block.hash);
                }
                self.count_bad();
                self.distrust(&from);
                self.network.report_peer(from, rep::BAD_BLOCK);
            }
            Known::Unknown => {
                let last = rest.last().map(|b| b.hash);
                for block in rest {
                    self.hold(block);
                }
                if let Some(last) = last {
                    self.request_ancestors(&last);
                }
            }
        }
    }

    /// Holds a block whose parent we do not have.
    fn hold(&mut self, block: QueuedBlock) {
        let finalized = self.client.info().finalized_number;
        if block.number() <= finalized.saturating_add(1) {
            // Its parent would be at or below the finalized block, whose chain we have
            // whole: it is on a fork we will never take.
            self.resolve(block.hash, MessageValidity::Ignore);
            return;
        }
        match self.orphans.insert(block, Instant::now()) {
            Ok(evicted) => {
                for block in evicted {
                    self.resolve(block.hash, MessageValidity::Ignore);
                }
            }
            Err(refused) => {
                // Not a penalty: an honest peer's long fork can fill its quota too.
                tracing::debug!(
                    target: "sync",
                    "Not holding #{} ({:?}) from {}: its orphans fill its quota",
                    refused.number(),
                    refused.hash,
                    refused.from
                );
                if let Some(m) = &self.metrics {
                    m.orphans_refused.inc();
                }
                self.resolve(refused.hash, MessageValidity::Ignore);
            }
        }
    }

    /// Fetches the missing parent of the orphan chain `hash` is in.
    fn request_ancestors(&mut self, hash: &H256) {
        let Some(root) = self.orphans.root_of(hash) else {
            return;
        };
        let (root_hash, parent, from) = (root.hash, root.header.parent_hash, root.from);
        let parent_number = root.number().saturating_sub(1);
        if self.fetching.contains_key(&parent) {
            return;
        }
        let finalized = self.client.info().finalized_number;
        if parent_number <= finalized {
            for block in self.orphans.remove_with_descendants(&root_hash) {
                self.resolve(block.hash, MessageValidity::Ignore);
            }
            return;
        }
        let max = self
            .config
            .blocks_per_request
            .min(parent_number - finalized);
        tracing::debug!(
            target: "sync",
            "Fetching up to {max} ancestors of #{} from {from}",
            parent_number + 1
        );
        // If nobody can be asked now, the tick tries again.
        self.fetch(from, parent, Some(parent_number), max);
    }

    // ------------------------------------------------------------------ import

    fn schedule_import(&mut self) {
        if self.importing.is_some() || self.queue.is_empty() {
            return;
        }
        let n = self.config.import_batch.max(1).min(self.queue.len());
        let batch: Vec<QueuedBlock> = self.queue.drain(..n).collect();
        self.importing_top = batch.iter().map(|b| b.number()).max();
        let client = self.client.clone();
        let justifications = self.justifications.clone();
        self.importing = Some(tokio::task::spawn_blocking(move || {
            import_blocks(&client, justifications.as_deref(), batch)
        }));
    }

    fn count_bad(&self) {
        if let Some(m) = &self.metrics {
            m.bad_blocks.inc();
        }
    }

    /// Forgets downloaded ranges and queued initial-sync blocks: the chain being downloaded
    /// did not link up or had a bad block. Ranges start again from our best block.
    fn reset_downloads(&mut self) {
        self.ranges.clear();
        self.generation = self.generation.wrapping_add(1);
        let queued = std::mem::take(&mut self.queue);
        for block in queued {
            if block.origin == BlockOrigin::NetworkInitialSync {
                self.queued.remove(&block.hash);
            } else {
                self.queue.push_back(block);
            }
        }
        let info = self.client.info();
        self.best_queued = (info.best_number, info.best_hash);
        for block in &self.queue {
            if block.number() > self.best_queued.0 {
                self.best_queued = (block.number(), block.hash);
            }
        }
    }

    async fn on_imported(&mut self, result: Result<JobResult, tokio::task::JoinError>) {
        let JobResult { done, rest } = match result {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(target: "sync", "Import job failed: {e}");
                self.queued.clear();
                self.queue.clear();
                self.reset_downloads();
                return;
            }
        };
        let mut reset = false;
        for d in done {
            self.queued.remove(&d.hash);
            if let Some(result) = d.justification {
                let label = match result {
                    Ok(()) => "imported",
                    Err(JustificationError::Bad(reason)) => {
                        tracing::warn!(target: "sync", "Bad justification for #{} from {}: {reason}", d.number, d.from);
                        self.network.report_peer(d.from, rep::BAD_JUSTIFICATION);
                        "bad"
                    }
                    Err(JustificationError::Local(reason)) => {
                        tracing::warn!(target: "sync", "Cannot import the justification of #{}: {reason}", d.number);
                        "failed"
                    }
                };
                if let Some(m) = &self.metrics {
                    m.justifications.with_label_values(&[label]).inc();
                }
            }
            match d.outcome {
                Outcome::Imported => {
                    self.known.insert(d.hash, d.number);
                    if let Some(m) = &self.metrics {
                        let origin = match d.origin {
                            BlockOrigin::NetworkInitialSync => "initial_sync",
                            _ => "broadcast",
                        };
                        m.blocks_imported.with_label_values(&[origin]).inc();
                    }
                    if self.verdicts.contains_key(&d.hash) {
                        self.network.report_peer(d.from, rep::GOOD_BLOCK);
                    }
                    self.resolve(d.hash, MessageValidity::Accept);
                    for child in self.orphans.take_children(&d.hash) {
                        self.queue_block(child);
                    }
                }
                Outcome::UnknownParent(block) => {
                    // Its parent failed or was never ours: wait for it like any orphan.
                    let hash = block.hash;
                    reset |= block.origin == BlockOrigin::NetworkInitialSync;
                    self.hold(*block);
                    if self.orphans.contains(&hash) {
                        self.request_ancestors(&hash);
                    }
                }
                Outcome::Invalid(reason) => {
                    tracing::warn!(
                        target: "sync",
                        "💔 Error importing block #{} ({:?}) from {}: {reason}",
                        d.number,
                        d.hash,
                        d.from
                    );
                    self.count_bad();
                    self.mark_bad(d.hash);
                    self.distrust(&d.from);
                    self.network.report_peer(d.from, rep::BAD_BLOCK);
                    reset |= d.origin == BlockOrigin::NetworkInitialSync;
                }
                Outcome::NotDescendantOfFinalized => {
                    tracing::debug!(target: "sync", "#{} ({:?}) from {} is on a fork below finality", d.number, d.hash, d.from);
                    self.resolve(d.hash, MessageValidity::Ignore);
                    for block in self.orphans.remove_with_descendants(&d.hash) {
                        self.resolve(block.hash, MessageValidity::Ignore);
                    }
                    // Whatever it claims beyond our chain is not for us.
                    self.distrust(&d.from);
                    reset |= d.origin == BlockOrigin::NetworkInitialSync;
                }
                Outcome::Failed(reason) => {
                    tracing::warn!(target: "sync", "Cannot import #{} ({:?}): {reason}", d.number, d.hash);
                    self.resolve(d.hash, MessageValidity::Ignore);
                    reset |= d.origin == BlockOrigin::NetworkInitialSync;
                }
            }
        }
        // Blocks after a failure: those that descend from a block that just went bad or
        // went to wait are handled likewise; the others go back to the front of the queue.
        let mut back = Vec::new();
        for block in rest {
            let parent = block.header.parent_hash;
            if self.bad.get(&parent).is_some() {
                self.queued.remove(&block.hash);
                self.mark_bad(block.hash);
            } else if self.orphans.contains(&parent) {
                self.queued.remove(&block.hash);
                self.hold(block);
            } else {
                back.push(block);
            }
        }
        for block in back.into_iter().rev() {
            self.queue.push_front(block);
        }
        if reset {
            self.reset_downloads();
        }
    }

    // ------------------------------------------------------------------ tick

    async fn on_tick(&mut self) {
        let now = Instant::now();
        // Orphans that waited too long.
        let expired = self.orphans.expire(now, self.config.orphan_ttl);
        if !expired.is_empty() {
            tracing::debug!(target: "sync", "{} blocks waited too long for their ancestors", expired.len());
            for block in expired {
                self.resolve(block.hash, MessageValidity::Ignore);
            }
        }
        // Verdicts nobody will give any more.
        while let Some((since, hash)) = self.verdict_times.front().copied() {
            if now.saturating_duration_since(since) < VERDICT_TTL {
                break;
            }
            self.verdict_times.pop_front();
            if !self.queued.contains(&hash) && !self.fetching.contains_key(&hash) {
                self.resolve(hash, MessageValidity::Ignore);
            }
        }
        if self.verdict_times.len() > 4 * MAX_VERDICTS {
            let verdicts = &self.verdicts;
            self.verdict_times.retain(|(_, h)| verdicts.contains_key(h));
        }
        // Orphan chains whose ancestors nobody is fetching (the fetch failed).
        let roots: Vec<H256> = self
            .orphans
            .roots()
            .into_iter()
            .filter(|b| !self.fetching.contains_key(&b.header.parent_hash))
            .map(|b| b.hash)
            .collect();
        for root in roots {
            self.request_ancestors(&root);
        }
        // Ranges a peer has sat on too long: their numbers go to others, and its claim is
        // capped as if it had refused (its answer, if it ever comes, is dropped).
        let slow: Vec<(PeerId, u32, u64)> = self
            .peers
            .iter()
            .filter_map(|(id, p)| {
                let (start, generation, since) = p.range?;
                (now.saturating_duration_since(since) >= RANGE_PATIENCE)
                    .then_some((*id, start, generation))
            })
            .collect();
        for (peer, start, generation) in slow {
            if self.ranges.is_in_flight(start, generation) {
                tracing::debug!(target: "sync", "Range #{start} from {peer} unanswered: asking others");
                self.count_request("range", "slow");
                self.ranges.fail(start, generation);
                self.cap_claim(&peer);
            }
        }
        // A peer ahead of us while nothing is in flight: fetch from it.
        let best = self.client.info().best_number;
        let behind = self.best_claimed().is_some_and(|t| t > best);
        let idle = self.requests.is_empty() && self.queue.is_empty() && self.importing.is_none();
        if behind && idle {
            self.stalled_since.get_or_insert(now);
        } else {
            self.stalled_since = None;
        }
    }
}

/// Whether `header`, of a block on a parent we have, passes the consensus checks.
async fn header_checks_out(client: Arc<Client>, header: Header) -> bool {
    match tokio::task::spawn_blocking(move || client.verify_header(&header)).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::debug!(target: "sync", "Announced header not believed: {e}");
            false
        }
        Err(_) => false,
    }
}

/// Imports `blocks` in order, stopping at the first that fails. Runs on a blocking thread.
fn import_blocks(
    client: &Client,
    justifications: Option<&dyn JustificationImport>,
    blocks: Vec<QueuedBlock>,
) -> JobResult {
    let mut done = Vec::with_capacity(blocks.len());
    let mut rest = Vec::new();
    let mut failed = false;
    for block in blocks {
        if failed {
            rest.push(block);
            continue;
        }
        let (hash, number, origin, from) = (block.hash, block.number(), block.origin, block.from);
        let outcome = match client.header(block.header.parent_hash) {
            Ok(None) => Err(Outcome::UnknownParent(Box::new(block.clone()))),
            Err(e) => Err(Outcome::Failed(e.to_string())),
            Ok(Some(_)) => Ok(()),
        };
        let (outcome, justification) = match outcome {
            Err(outcome) => (outcome, None),
            Ok(()) => {
                let QueuedBlock {
                    header,
                    body,
                    justifications: proofs,
                    ..
                } = block;
                let import = ImportBlock {
                    header,
                    body,
                    // Unverified: they go to the finality gadget below, never to the database.
                    justifications: None,
                    origin,
                    changes: None,
                    finalize: false,
                };
                let result =
                    echonet_cpu_meter::measure(echonet_cpu_meter::Component::Import, || {
                        client.import_block(import)
                    });
                match result {
                    Ok(ImportResult::Imported { .. }) | Ok(ImportResult::AlreadyInChain) => {
                        let justification = match (proofs, justifications) {
                            (Some(proofs), Some(gadget)) => {
                                Some(gadget.import_justifications(hash, number, proofs))
                            }
                            _ => None,
                        };
                        (Outcome::Imported, justification)
                    }
                    Err(ClientError::InvalidBlock { reason, .. }) => {
                        (Outcome::Invalid(reason), None)
                    }
                    Err(ClientError::NotDescendantOfFinalized(_)) => {
                        (Outcome::NotDescendantOfFinalized, None)
                    }
                    Err(ClientError::UnknownParent { .. }) => {
                        // Checked above; only a concurrent revert could get here.
                        (Outcome::Failed("parent vanished".into()), None)
                    }
                    Err(e) => (Outcome::Failed(e.to_string()), None),
                }
            }
        };
        failed = !matches!(outcome, Outcome::Imported);
        done.push(Done {
            hash,
            number,
            origin,
            from,
            outcome,
            justification,
        });
    }
    JobResult { done, rest }
}
