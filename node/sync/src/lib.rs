//! # echonet-sync
//!
//! Keeps the node's chain up with its peers'. One task (the engine, [`SyncEngine::run`]) owns
//! all sync state; it learns about peers and blocks from the network's events, asks peers
//! for blocks through [`SyncNetwork`], imports them through the chain client on blocking
//! threads, and publishes what it knows in a [`SyncHandle`] (for RPC, the informant and the
//! slot worker).
//!
//! ## Peers
//!
//! Each peer *claims* a best block in its handshake ([`NetworkEvent::PeerConnected`]) and
//! raises the claim with the blocks it announces; claims decide whom blocks are asked of.
//! A claim is believed only once the peer has *shown* the block: announced a header that
//! passes the consensus (Aura) checks on a parent we have, delivered the blocks, or named
//! in its handshake a best block we have. A request the peer fails, refuses or sits on
//! (a range unanswered for 5 s) caps its claim at what it has shown. The highest
//! shown block is the *target* (`best_seen`). The node is *major syncing* while the target
//! is more than [`MAJOR_SYNC_BLOCKS`] blocks above its own best block (Substrate's rule); a
//! validator does not author then, nor while a peer has shown a block above its best. An
//! unshown claim holds a validator back only for [`SyncConfig::unproven_claim_grace`], once
//! per proof ([`SyncStatus::claimed_ahead`]), so that one peer's word cannot stop block
//! production.
//!
//! ## Two ways blocks arrive
//!
//! - **Ranges.** While major syncing (or when a peer has stayed ahead of us for a moment
//!   without announcing anything we could fetch), the engine downloads the blocks after the
//!   last one it has queued, in ranges of up to [`SyncConfig::blocks_per_request`] numbers,
//!   ascending, one request per peer at a time and from every peer that has them, at most
//!   [`SyncConfig::max_blocks_ahead`] beyond the best block. Ranges arrive in any order and
//!   are imported in order (origin `NetworkInitialSync`).
//! - **Announcements.** A [`NetworkEvent::BlockAnnounce`] of a block we do not have makes the
//!   engine fetch it by hash from the peer that sent it (with a few ancestors if its parent
//!   is unknown too), and import it (origin `NetworkBroadcast`). The gossip message gets its
//!   verdict once the block's fate is known: accepted (and so forwarded) when the block is
//!   imported, rejected when it is invalid, ignored otherwise.
//!
//!
//!   An announcement that carries its block's body in compact form (short ids, see
//!   [`echonet_network::CompactBody`]) of a block whose parent we have is rebuilt from the
//!   node's pool ([`TransactionSource`]) instead: only the extrinsics the pool lacks are
//!   asked of the peer, the body is checked against the header's extrinsics root, and any
//!   failure falls back to fetching the whole block (see the `compact` module).
//!
//! ## Orphans and forks
//!
//! A block whose parent we do not have (a fork that left our chain below our best block, or
//! a range that does not link to the previous one) is held in a bounded buffer
//! ([`SyncConfig::max_orphans`] blocks, at most [`SyncConfig::max_orphans_per_peer`] of them
//! from one peer, [`SyncConfig::orphan_ttl`]) while its ancestors are fetched by hash, descending, from the peer that gave it, until they reach a block we
//! have. Then the whole branch is imported in order, and the client's fork choice (longest
//! chain containing the finalized block) decides whether it becomes the best chain.
//!
//! ## Peers that lie or vanish
//!
//! - A response that is not what was asked for (wrong hash or number, blocks that do not
//!   link, missing header or body) costs the peer [`BAD_RESPONSE`] and the blocks are asked
//!   of someone else.
//! - A block that fails verification or execution costs the peer that sent it
//!   [`rep::BAD_BLOCK`] (three of them ban it); the block and its descendants are remembered
//!   as bad and never fetched again. A block whose parent is merely unknown costs nothing.
//! - A peer that answers a range it claimed to have with no blocks is no longer believed:
//!   its best block is lowered to what it showed.
//! - Failed or timed-out requests free their range for another peer; the peer rests
//!   for a moment before it is asked again.
//!
//! ## Justifications
//!
//! Blocks are requested with their justifications. Unverified justifications are never
//! stored: after a block is imported, its justifications go to the [`JustificationImport`]
//! (the finality gadget) if there is one, which verifies them and finalizes the block.
//!
//! ## Warp sync
//!
//! Before the engine starts, a fresh node started with `--sync warp` runs [`warp_sync`]
//! (module [`warp`]): GRANDPA hand-off proofs from genesis to a peer's latest finalized
//! block, that block's state in chunks checked against its state root, and one import;
//! the engine then syncs from there. [`ClientChain`] serves both to peers.
//!
//! ## Restart
//!
//! The engine keeps nothing on disk: it starts from the database's best block, so a node
//! that stopped mid-sync resumes from where its import got to.

mod client_chain;
mod compact;
mod engine;
mod metrics;
mod orphans;
mod ranges;
pub mod warp;

pub use client_chain::ClientChain;
pub use compact::{extrinsics_root, TransactionSource, MAX_MISSING_PER_REQUEST};
pub use engine::SyncEngine;
pub use warp::{
    warp_sync, warp_sync_with, WarpError, WarpNetwork, WarpOptions, WarpPhase, WarpProgress,
};

use echonet_client::{BlockOrigin, Client};
use echonet_network::{
    BlockData, BlockRequest, BlockTransactionsRequest, MessageId, MessageValidity, NetworkEvent,
    NetworkHandle, PeerId, ReputationChange, RequestError, Role,
};
use echonet_runtime::Header;
use futures::future::BoxFuture;
use parking_lot::RwLock;
use prometheus_endpoint::{PrometheusError, Registry};
use sp_core::H256;
use sp_runtime::{Justifications, OpaqueExtrinsic};
use std::{sync::Arc, time::Duration};
use tokio::sync::mpsc;

pub use echonet_network::rep;

/// A node is major syncing while its best block is more than this many blocks below the
/// best block a peer has shown (Substrate's value).
pub const MAJOR_SYNC_BLOCKS: u32 = 5;

/// A response that is not an answer to the request (wrong blocks, unlinked blocks,
/// missing fields). Honest nodes never send one.
pub const BAD_RESPONSE: ReputationChange = ReputationChange::new(-(1 << 24), "bad block response");
/// A peer claimed blocks it then did not serve.
pub const EMPTY_RESPONSE: ReputationChange =
    ReputationChange::new(-(1 << 12), "claimed blocks it did not serve");

/// Limits of the sync.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Blocks per range request (the network serves at most 128).
    pub blocks_per_request: u32,
    /// How far beyond our best block ranges are downloaded (bounds the memory that
    /// downloaded, not yet imported blocks take).
    pub max_blocks_ahead: u32,
    /// Most blocks held while their ancestors are fetched.
    pub max_orphans: usize,
    /// Most bytes of blocks held while their ancestors are fetched.
    pub max_orphan_bytes: usize,
    /// Most of those blocks one peer may have sent: beyond, its orphans are refused, so
    /// that one peer cannot fill the buffer (and evict other peers' orphans).
    pub max_orphans_per_peer: usize,
    /// How long a block may wait for its ancestors.
    pub orphan_ttl: Duration,
    /// Most blocks imported in one blocking job (between two looks at the network).
    pub import_batch: usize,
    /// Most block fetches by hash in flight per peer.
    pub max_fetches_per_peer: usize,
    /// How long a peer's claim to a block above ours that it has not shown yet (a
    /// handshake, or an announcement whose header cannot be checked) holds a validator back
    /// from authoring ([`SyncStatus::claimed_ahead`]): a few slots, once per proof.
    pub unproven_claim_grace: Duration,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            blocks_per_request: echonet_network::MAX_BLOCKS_PER_RESPONSE,
            max_blocks_ahead: 2048,
            max_orphans: 1024,
            max_orphan_bytes: 128 * 1024 * 1024,
            max_orphans_per_peer: 256,
            orphan_ttl: Duration::from_secs(30),
            import_batch: 64,
            max_fetches_per_peer: 8,
            unproven_claim_grace: Duration::from_secs(4),
        }
    }
}

/// What the engine needs from the network. [`NetworkHandle`] is the real one.
pub trait SyncNetwork: Send + Sync + 'static {
    /// Sends a block request (a range by number, or a block and its ancestors by hash) to
    /// `peer`. The engine polls the future on its own task, so it must not borrow `self`.
    fn request_blocks(
        &self,
        peer: PeerId,
        request: BlockRequest,
    ) -> BoxFuture<'static, Result<Vec<BlockData>, RequestError>>;
    /// Asks `peer` for some extrinsics of a block (those missing from a compact block we
    /// rebuilt); `None`: it does not have them. Like `request_blocks`, the future must not
    /// borrow `self`.
    fn request_block_transactions(
        &self,
        peer: PeerId,
        request: BlockTransactionsRequest,
    ) -> BoxFuture<'static, Result<Option<Vec<OpaqueExtrinsic>>, RequestError>>;
    /// Changes `peer`'s reputation: [`BAD_RESPONSE`], [`EMPTY_RESPONSE`], or one of
    /// [`rep`]'s block and justification changes.
    fn report_peer(&self, peer: PeerId, change: ReputationChange);
    /// The verdict on a gossip message `peer` sent (a block announcement, or any other
    /// message the engine ignores). Called exactly once per message received as a
    /// [`NetworkEvent`], possibly after the announced block's import.
    fn report_message(&self, id: MessageId, peer: PeerId, validity: MessageValidity);
}

impl SyncNetwork for NetworkHandle {
    fn request_blocks(
        &self,
        peer: PeerId,
        request: BlockRequest,
    ) -> BoxFuture<'static, Result<Vec<BlockData>, RequestError>> {
        let handle = self.clone();
        Box::pin(async move { handle.request_blocks(peer, request).await })
    }

    fn request_block_transactions(
        &self,
        peer: PeerId,
        request: BlockTransactionsRequest,
    ) -> BoxFuture<'static, Result<Option<Vec<OpaqueExtrinsic>>, RequestError>> {
        let handle = self.clone();
        Box::pin(async move { handle.request_block_transactions(peer, request).await })
    }

    fn report_peer(&self, peer: PeerId, change: ReputationChange) {
        NetworkHandle::report_peer(self, peer, change)
    }

    fn report_message(&self, id: MessageId, peer: PeerId, validity: MessageValidity) {
        NetworkHandle::report_message(self, id, peer, validity)
    }
}

/// Why a justification was not imported.
#[derive(Debug, thiserror::Error)]
pub enum JustificationError {
    /// It does not prove what it claims (bad signatures, wrong set, wrong block): the peer
    /// that sent it is penalised.
    #[error("bad justification: {0}")]
    Bad(String),
    /// A local failure (database); nobody is to blame.
    #[error("{0}")]
    Local(String),
}

/// The finality gadget's side of sync: verifies the justifications that come with synced
/// blocks and finalizes what they prove. Called on a blocking thread, after the block is
/// imported.
pub trait JustificationImport: Send + Sync + 'static {
    /// Checks `justifications` of the imported block `hash` (#`number`) and finalizes the
    /// block if one of them proves it. Justifications of engines the gadget does not know
    /// are to be ignored (`Ok`). [`JustificationError::Bad`] costs the sending peer
    /// [`rep::BAD_JUSTIFICATION`].
    fn import_justifications(
        &self,
        hash: H256,
        number: u32,
        justifications: Justifications,
    ) -> Result<(), JustificationError>;
}

/// Whether the node is catching up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// At (or within [`MAJOR_SYNC_BLOCKS`] of) the best block peers have shown.
    Idle,
    /// Downloading a long way behind the target.
    Downloading,
}

/// A peer as sync sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPeer {
    /// The peer's libp2p identity.
    pub peer_id: PeerId,
    /// What the peer said it is in its handshake (full node or authority).
    pub role: Role,
    /// The height of the peer's best block as it claims it: from its handshake, raised by
    /// its announcements, lowered to what it has shown when it fails to serve blocks it
    /// claimed.
    pub best_number: u32,
    /// The hash of that block, as the peer last showed it.
    pub best_hash: H256,
}

/// What the engine publishes after every step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    /// Whether the node is major syncing.
    pub state: SyncState,
    /// The highest best block a connected peer has shown.
    pub best_seen: Option<u32>,
    /// Our best block when the node started.
    pub starting_block: u32,
    /// Every connected peer that completed the sync handshake.
    pub peers: Vec<SyncPeer>,
    /// Blocks downloaded and not imported yet (ready ranges and the import queue).
    pub queued_blocks: usize,
    /// A block above our best block is being fetched or imported right now (announced in
    /// the last couple of seconds with a header that passed the consensus checks, or
    /// delivered): a validator that authored now would fork.
    pub importing_above_best: bool,
    /// A peer claims a block above our best that it has not shown yet, and is still within
    /// [`SyncConfig::unproven_claim_grace`]: a validator waits for it a few slots at most.
    pub claimed_ahead: bool,
}

impl SyncStatus {
    /// Whether the node is more than [`MAJOR_SYNC_BLOCKS`] behind its best peer; a
    /// validator does not author then.
    pub fn is_major_syncing(&self) -> bool {
        self.state == SyncState::Downloading
    }

    /// How many peers sync knows.
    pub fn num_peers(&self) -> usize {
        self.peers.len()
    }

    /// Whether sync knows no peer (the authoring loop waits then, unless it is the chain's
    /// only authority).
    pub fn is_offline(&self) -> bool {
        self.peers.is_empty()
    }
}

/// A cheap, cloneable view of the sync's status.
#[derive(Clone)]
pub struct SyncHandle {
    status: Arc<RwLock<SyncStatus>>,
}

impl SyncHandle {
    fn new(starting_block: u32) -> Self {
        Self {
            status: Arc::new(RwLock::new(SyncStatus {
                state: SyncState::Idle,
                best_seen: None,
                starting_block,
                peers: Vec::new(),
                queued_blocks: 0,
                importing_above_best: false,
                claimed_ahead: false,
            })),
        }
    }

    /// A copy of the latest status.
    pub fn status(&self) -> SyncStatus {
        self.status.read().clone()
    }

    /// [`SyncStatus::is_major_syncing`] of the latest status, without copying it.
    pub fn is_major_syncing(&self) -> bool {
        self.status.read().is_major_syncing()
    }

    /// [`SyncStatus::num_peers`] of the latest status, without copying it.
    pub fn num_peers(&self) -> usize {
        self.status.read().peers.len()
    }

    /// [`SyncStatus::is_offline`] of the latest status, without copying it.
    pub fn is_offline(&self) -> bool {
        self.status.read().peers.is_empty()
    }

    fn publish(&self, status: SyncStatus) {
        let mut current = self.status.write();
        if *current != status {
            *current = status;
        }
    }
}

/// What [`SyncEngine::new`] needs.
pub struct SyncParams {
    /// The chain that blocks are imported into, and whose best block sync starts from.
    pub client: Arc<Client>,
    /// Block requests and peer and message reports.
    pub network: Arc<dyn SyncNetwork>,
    /// The network's events (the engine uses connections and block announcements and
    /// reports every other gossip message as ignored).
    pub events: mpsc::Receiver<NetworkEvent>,
    /// Limits of downloads, orphans and imports.
    pub config: SyncConfig,
    /// The finality gadget, once there is one.
    pub justifications: Option<Arc<dyn JustificationImport>>,
    /// Where compact block announcements are rebuilt from (the pool). `None`: announced
    /// blocks are always fetched whole (`--block-relay full`).
    pub transactions: Option<Arc<dyn TransactionSource>>,
    /// Where to register the sync's Prometheus metrics (`None`: no metrics).
    pub registry: Option<Registry>,
}

/// A block on its way to import.
#[derive(Clone, Debug)]
pub(crate) struct QueuedBlock {
    pub(crate) hash: H256,
    pub(crate) header: Header,
    pub(crate) body: Vec<OpaqueExtrinsic>,
    pub(crate) justifications: Option<Justifications>,
    pub(crate) origin: BlockOrigin,
    /// Who sent it: accountable if it is bad.
    pub(crate) from: PeerId,
    /// Roughly its encoded size, for the orphan buffer's byte bound.
    pub(crate) size: usize,
}

impl QueuedBlock {
    pub(crate) fn number(&self) -> u32 {
        self.header.number
    }
}

/// Turns a block of a response into a block to import, checking that it has what import
/// needs and that its hash is its header's.
pub(crate) fn to_queued(
    data: BlockData,
    from: PeerId,
    origin: BlockOrigin,
) -> Result<QueuedBlock, String> {
    use codec::Encode;
    let size = data.encoded_size();
    let header = data
        .header
        .ok_or_else(|| format!("block {:?} came without its header", data.hash))?;
    let body = data
        .body
        .ok_or_else(|| format!("block {:?} came without its body", data.hash))?;
    let hash = header.hash();
    if hash != data.hash {
        return Err(format!(
            "block claimed to be {:?} hashes to {hash:?}",
            data.hash
        ));
    }
    Ok(QueuedBlock {
        hash,
        header,
        body,
        justifications: data.justifications,
        origin,
        from,
        size,
    })
}

/// Checks an ascending range response: starts at `start`, consecutive numbers, each block
/// the child of the one before.
pub(crate) fn ascending_chain(
    start: u32,
    blocks: Vec<BlockData>,
    from: PeerId,
) -> Result<Vec<QueuedBlock>, String> {
    let mut out: Vec<QueuedBlock> = Vec::with_capacity(blocks.len());
    for (i, data) in blocks.into_iter().enumerate() {
        let block = to_queued(data, from, BlockOrigin::NetworkInitialSync)?;
        let expected = start.saturating_add(i as u32);
        if block.number() != expected {
            return Err(format!(
                "block #{} where #{expected} was expected",
                block.number()
            ));
        }
        if let Some(prev) = out.last() {
            if block.header.parent_hash != prev.hash {
                return Err(format!(
                    "#{} is not the child of #{}",
                    expected,
                    prev.number()
                ));
            }
        }
        out.push(block);
    }
    Ok(out)
}

/// Checks a descending response to a fetch of `hash`: it starts at `hash` and walks down
/// parent links. Returns the blocks oldest first.
pub(crate) fn descending_chain(
    hash: H256,
    blocks: Vec<BlockData>,
    from: PeerId,
) -> Result<Vec<QueuedBlock>, String> {
    let mut out: Vec<QueuedBlock> = Vec::with_capacity(blocks.len());
    for data in blocks {
        let block = to_queued(data, from, BlockOrigin::NetworkBroadcast)?;
        let expected = match out.last() {
            None => hash,
            Some(child) => {
                if block.number().checked_add(1) != Some(child.number()) {
                    return Err(format!(
                        "#{} is not the parent of #{}",
                        block.number(),
                        child.number()
                    ));
                }
                child.header.parent_hash
            }
        };
        if block.hash != expected {
            return Err(format!("got {:?} instead of {expected:?}", block.hash));
        }
        out.push(block);
    }
    out.reverse();
    Ok(out)
}

/// Registers the metrics if there is a registry.
fn register_metrics(
    registry: Option<&Registry>,
) -> Result<Option<metrics::Metrics>, PrometheusError> {
    registry.map(metrics::Metrics::register).transpose()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use echonet_network::BlockData;
    use sp_runtime::generic::Digest;

    /// A chain of `len` blocks (genesis included) with made-up contents.
    pub(crate) fn fake_chain(len: u32) -> Vec<QueuedBlock> {
        let from = PeerId::random();
        let mut parent = H256::zero();
        (0..len)
            .map(|number| {
                let header = <Header as sp_runtime::traits::Header>::new(
                    number,
                    H256::zero(),
                    H256::repeat_byte(number as u8),
                    parent,
                    Digest::default(),
                );
                parent = header.hash();
                QueuedBlock {
                    hash: parent,
                    header,
                    body: Vec::new(),
                    justifications: None,
                    origin: BlockOrigin::NetworkBroadcast,
                    from,
                    size: 100,
                }
            })
            .collect()
    }

    fn data(b: &QueuedBlock) -> BlockData {
        BlockData {
            hash: b.hash,
            header: Some(b.header.clone()),
            body: Some(Vec::new()),
            justifications: None,
        }
    }

    #[test]
    fn ranges_must_be_consecutive_linked_and_start_where_asked() {
        let chain = fake_chain(6);
        let peer = PeerId::random();
        let ok: Vec<BlockData> = chain[2..5].iter().map(data).collect();
        let got = ascending_chain(2, ok.clone(), peer).unwrap();
        assert_eq!(got.len(), 3);
        assert!(got
            .iter()
            .all(|b| b.origin == BlockOrigin::NetworkInitialSync));
        assert!(ascending_chain(1, ok.clone(), peer).is_err());
        let gap = vec![data(&chain[2]), data(&chain[4])];
        assert!(ascending_chain(2, gap, peer).is_err());
        let mut lying = data(&chain[3]);
        lying.hash = chain[4].hash;
        assert!(ascending_chain(3, vec![lying], peer).is_err());
        let mut headless = data(&chain[3]);
        headless.header = None;
        assert!(ascending_chain(3, vec![headless], peer).is_err());
        let mut bodiless = data(&chain[3]);
        bodiless.body = None;
        assert!(ascending_chain(3, vec![bodiless], peer).is_err());
        assert!(ascending_chain(3, vec![], peer).unwrap().is_empty());
    }

    #[test]
    fn fetched_chains_walk_down_from_the_hash_and_come_back_oldest_first() {
        let chain = fake_chain(6);
        let peer = PeerId::random();
        let down: Vec<BlockData> = chain[1..5].iter().rev().map(data).collect();
        let got = descending_chain(chain[4].hash, down.clone(), peer).unwrap();
        let numbers: Vec<u32> = got.iter().map(|b| b.number()).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4]);
        assert!(descending_chain(chain[5].hash, down, peer).is_err());
        let skip = vec![data(&chain[4]), data(&chain[2])];
        assert!(descending_chain(chain[4].hash, skip, peer).is_err());
    }
}
