//! [`NetworkHandle`]: the node's side of the network, which turns calls into commands for
//! the worker.

use crate::{
    metrics::Metrics,
    peerset::ReputationChange,
    protocol::{BlockData, BlockRequest, BlockTransactionsRequest, CompactBody},
    worker::Command,
    MessageId, MessageValidity, PeerInfo, RequestError,
};
use echonet_runtime::Header;
use libp2p::{Multiaddr, PeerId};
use sp_core::H256;
use sp_runtime::{Justifications, OpaqueExtrinsic};
use std::{collections::HashSet, sync::Arc};
use tokio::sync::{mpsc, oneshot, watch};

struct HandleInner {
    local_peer_id: PeerId,
    commands: mpsc::Sender<Command>,
    blocked: watch::Sender<HashSet<PeerId>>,
    shutdown: watch::Sender<bool>,
    metrics: Option<Arc<Metrics>>,
}

/// The node's side of the network. Cheap to clone; the worker stops when the last clone is
/// dropped.
#[derive(Clone)]
pub struct NetworkHandle {
    inner: Arc<HandleInner>,
}

impl NetworkHandle {
    pub(crate) fn new(
        local_peer_id: PeerId,
        commands: mpsc::Sender<Command>,
        blocked: watch::Sender<HashSet<PeerId>>,
        shutdown: watch::Sender<bool>,
        metrics: Option<Arc<Metrics>>,
    ) -> Self {
        Self {
            inner: Arc::new(HandleInner {
                local_peer_id,
                commands,
                blocked,
                shutdown,
                metrics,
            }),
        }
    }

    /// Our peer id, derived from [`NetworkConfig::keypair`](crate::NetworkConfig::keypair).
    pub fn local_peer_id(&self) -> PeerId {
        self.inner.local_peer_id
    }

    /// Addresses we listen on, each ending in `/p2p/<our peer id>` (usable as a boot node).
    /// Empty once the network has stopped.
    pub async fn listen_addresses(&self) -> Vec<Multiaddr> {
        self.ask(Command::ListenAddresses).await.unwrap_or_default()
    }

    /// Gossips a block announcement (and, if `is_best`, updates the status we send).
    /// Peers fetch the whole block (`--block-relay full`).
    pub fn announce_block(&self, header: Header, is_best: bool) {
        self.send(Command::AnnounceBlock {
            header,
            is_best,
            compact: None,
        });
    }

    /// Gossips a compact block announcement: the header and the short ids of `body`'s
    /// extrinsics ([`CompactBody`]), from which peers rebuild the block out of their pools.
    /// Hashes every extrinsic: call it off the async threads for large blocks.
    pub fn announce_compact_block(&self, header: Header, is_best: bool, body: &[OpaqueExtrinsic]) {
        let compact = CompactBody::new(&header.hash(), body);
        self.send(Command::AnnounceBlock {
            header,
            is_best,
            compact: Some(compact),
        });
    }

    /// Gossips encoded extrinsics (split into messages of at most
    /// [`MAX_TRANSACTIONS_SIZE`](crate::MAX_TRANSACTIONS_SIZE)).
    pub fn propagate_transactions(&self, txs: Vec<Vec<u8>>) {
        if !txs.is_empty() {
            self.send(Command::PropagateTransactions(txs));
        }
    }

    /// Gossips a finality (GRANDPA) message of at most
    /// [`MAX_FINALITY_SIZE`](crate::MAX_FINALITY_SIZE) bytes.
    pub fn gossip_finality(&self, data: Vec<u8>) {
        self.send(Command::GossipFinality(data));
    }

    /// The node's verdict on a gossip message it received from `peer`.
    pub fn report_message(&self, id: MessageId, peer: PeerId, validity: MessageValidity) {
        self.send(Command::ReportMessage { id, peer, validity });
    }

    /// Blocks from a connected peer.
    pub async fn request_blocks(
        &self,
        peer: PeerId,
        request: BlockRequest,
    ) -> Result<Vec<BlockData>, RequestError> {
        self.ask(|reply| Command::RequestBlocks {
            peer,
            request,
            reply,
        })
        .await
        .unwrap_or(Err(RequestError::NetworkStopped))
    }

    /// The justifications of a block from a connected peer (`None`: it has none).
    pub async fn request_justification(
        &self,
        peer: PeerId,
        hash: H256,
    ) -> Result<Option<Justifications>, RequestError> {
        self.ask(|reply| Command::RequestJustification { peer, hash, reply })
            .await
            .unwrap_or(Err(RequestError::NetworkStopped))
    }

    /// Some extrinsics of a block, by position, from a connected peer (`None`: it does not
    /// have the block, or not those positions). Checked to be as many as asked for.
    pub async fn request_block_transactions(
        &self,
        peer: PeerId,
        request: BlockTransactionsRequest,
    ) -> Result<Option<Vec<OpaqueExtrinsic>>, RequestError> {
        self.ask(|reply| Command::RequestBlockTransactions {
            peer,
            request,
            reply,
        })
        .await
        .unwrap_or(Err(RequestError::NetworkStopped))
    }

    /// Sends a data store request (`/echo/<genesis>/dds/1`, at most
    /// [`MAX_DDS_REQUEST_SIZE`](crate::MAX_DDS_REQUEST_SIZE) bytes) to a connected peer and
    /// returns its answer's bytes (at most
    /// [`MAX_DDS_RESPONSE_SIZE`](crate::MAX_DDS_RESPONSE_SIZE); the caller decodes them).
    pub async fn request_dds(
        &self,
        peer: PeerId,
        request: Vec<u8>,
    ) -> Result<Vec<u8>, RequestError> {
        self.ask(|reply| Command::RequestDds {
            peer,
            request,
            reply,
        })
        .await
        .unwrap_or(Err(RequestError::NetworkStopped))
    }

    /// Sets what answers peers' data store requests; until it is set they are refused as
    /// busy.
    pub fn set_dds_handler(&self, handler: Arc<dyn crate::DdsHandler>) {
        self.send(Command::SetDdsHandler(handler));
    }

    /// Announces this node as a provider of `keys` in Kademlia (data store content:
    /// [`dds_provider_key`](crate::dds_provider_key)), and keeps announcing them: the keys
    /// are queued and announced a batch per second, and all of them again every 12 h, in
    /// the same batches. Keys already provided are ignored; at most
    /// [`MAX_PROVIDED_KEYS`](crate::MAX_PROVIDED_KEYS) are kept.
    pub fn start_providing(&self, keys: Vec<Vec<u8>>) {
        if !keys.is_empty() {
            self.send(Command::StartProviding(keys));
        }
    }

    /// Stops announcing `key` (peers forget our record when it expires, within 24 h).
    pub fn stop_providing(&self, key: Vec<u8>) {
        self.send(Command::StopProviding(key));
    }

    /// The providers of `key` that a Kademlia lookup finds (at most 20, not us; connected
    /// ones first). Those we were not connected to are dialed, and the answer waits for
    /// those dials, all within 5 s. Empty once the network has stopped.
    pub async fn get_providers(&self, key: Vec<u8>) -> Vec<PeerId> {
        self.ask(|reply| Command::GetProviders { key, reply })
            .await
            .unwrap_or_default()
    }

    /// Warp sync: the GRANDPA hand-off proofs after authority set `request.set_id` from a
    /// connected peer (`None`: it cannot prove from that set). Unverified: the caller
    /// checks every justification.
    pub async fn request_warp_proof(
        &self,
        peer: PeerId,
        request: crate::warp::WarpProofRequest,
    ) -> Result<Option<crate::warp::WarpProof>, RequestError> {
        self.ask(|reply| Command::RequestWarpProof {
            peer,
            request,
            reply,
        })
        .await
        .unwrap_or(Err(RequestError::NetworkStopped))
    }

    /// Warp sync: a chunk of a block's state from a connected peer (`None`: it does not
    /// have that state). Unverified: the caller checks it against the state root.
    pub async fn request_state(
        &self,
        peer: PeerId,
        request: crate::warp::StateRequest,
    ) -> Result<Option<crate::warp::StateChunk>, RequestError> {
        self.ask(|reply| Command::RequestState {
            peer,
            request,
            reply,
        })
        .await
        .unwrap_or(Err(RequestError::NetworkStopped))
    }

    /// Changes a peer's reputation (see [`rep`](crate::rep) for the usual values).
    pub fn report_peer(&self, peer: PeerId, change: ReputationChange) {
        self.send(Command::ReportPeer { peer, change });
    }

    /// The connected peers (handshake done). Empty once the network has stopped.
    pub async fn peers(&self) -> Vec<PeerInfo> {
        self.ask(Command::Peers).await.unwrap_or_default()
    }

    /// Drops all traffic with these peers (replacing the previous set): they are
    /// disconnected, and no connection with them is accepted or dialed until they leave the
    /// set. For partition tests and operators.
    pub fn set_blocked_peers(&self, peers: HashSet<PeerId>) {
        self.inner.blocked.send_replace(peers);
    }

    /// Stops the worker (the task returned by [`start`](crate::start) then ends).
    pub fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    fn send(&self, command: Command) {
        if let Err(e) = self.inner.commands.try_send(command) {
            if matches!(e, mpsc::error::TrySendError::Full(_)) {
                tracing::warn!(target: "network", "Network command queue full: dropping a command");
                if let Some(m) = &self.inner.metrics {
                    m.command_dropped();
                }
            }
        }
    }

    async fn ask<R>(&self, make: impl FnOnce(oneshot::Sender<R>) -> Command) -> Option<R> {
        let (tx, rx) = oneshot::channel();
        self.inner.commands.send(make(tx)).await.ok()?;
        rx.await.ok()
    }
}
