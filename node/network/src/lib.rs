//! # echonet-network
//!
//! The node's peer-to-peer layer, on rust-libp2p. [`start`] spawns one task (the worker)
//! that owns the libp2p swarm; the node talks to it through a cloneable [`NetworkHandle`]
//! and receives [`NetworkEvent`]s on a bounded channel. The chain is reached only through
//! [`ChainProvider`], on blocking threads.
//!
//! ## Transport and identity
//!
//! TCP (with DNS resolution) secured by Noise and multiplexed by Yamux. The identity is the
//! node's ed25519 key; the worker logs `🏷  Local node identity is: <peer id>` and
//! `📡 Listening on /ip4/.../tcp/.../p2p/<peer id>` for each listen address. `identify`
//! exchanges listen addresses; `ping` closes connections that stop answering.
//!
//! ## Protocol names
//!
//! Every protocol and topic is namespaced by the genesis hash (hex, no `0x`), so that two
//! chains never agree on any protocol ([`ProtocolNames`]):
//!
//! | what | name |
//! |---|---|
//! | identify protocol version | `/echo/<genesis>/1` (another value: disconnect and ban) |
//! | Kademlia | `/echo/<genesis>/kad/1` |
//! | gossipsub | `/echo/<genesis>/meshsub/1.1.0` (and `/1.0.0`) |
//! | status handshake | `/echo/<genesis>/status/1` |
//! | block requests | `/echo/<genesis>/blocks/1` |
//! | justification requests | `/echo/<genesis>/justifications/1` |
//! | gossip topics | `/echo/<genesis>/block-announces/1`, `.../transactions/1`, `.../finality/1` |
//!
//! A node of another chain fails the status handshake with "unsupported protocol": it is
//! disconnected and banned, and has exchanged none of our messages.
//!
//! ## Peers
//!
//! Discovery: Kademlia (server mode) seeded with the boot nodes, random walks (every second
//! at first, slowing to once a minute), and mDNS when enabled. The worker dials known peers
//! while outbound slots are free, with a per-peer backoff (1 s doubling to 60 s, reset by a
//! successful handshake).
//!
//! The peer set accepts a connection unless the peer is blocked, banned, not reserved in
//! reserved-only mode, or its direction's slots are full (`in_peers`, default 32;
//! `out_peers`, default 8; reserved peers take no slot and are redialed when they drop).
//! An accepted connection is kept open until the worker closes it. On each new connection
//! both sides send a status request carrying their [`Handshake`] (role and [`Status`]); the
//! first handshake either way makes the peer ready: [`NetworkEvent::PeerConnected`] goes
//! to the node, and only then are the peer's gossip messages delivered. No handshake within
//! 10 s: disconnect.
//!
//! ## Gossip
//!
//! Gossipsub with signed messages, content-addressed message ids (so the same transaction or
//! vote from two nodes is one message), and `validate_messages`: a received message is not
//! forwarded until the node reports it with [`NetworkHandle::report_message`] (`Accept`
//! forwards, `Reject` drops it and costs the forwarder [`rep::REJECTED_MESSAGE`], `Ignore`
//! drops it). Undecodable messages are rejected by the network itself. Size limits:
//! [`MAX_BLOCK_ANNOUNCE_SIZE`], [`MAX_TRANSACTIONS_SIZE`] (larger batches are split),
//! [`MAX_FINALITY_SIZE`]. Message formats: [`BlockAnnounce`] (SCALE), [`TransactionsMessage`]
//! (SCALE `Vec<Vec<u8>>`), finality messages are the node's bytes as they are.
//!
//! ## Requests
//!
//! Request-response, one SCALE value each way, read to the end of the stream with a cap:
//! status ([`Handshake`] ↔ [`Handshake`], 1 KiB, 10 s), blocks ([`BlockRequest`] (1 KiB) →
//! [`BlockResponse`] (16 MiB; at most [`MAX_BLOCKS_PER_RESPONSE`] blocks and about
//! [`BLOCK_RESPONSE_BYTE_BUDGET`] bytes), 20 s) and justifications (`H256` →
//! [`JustificationResponse`], 1 MiB, 10 s). At most 16 concurrent streams per connection
//! and protocol, 8 [`ChainProvider`] calls at once (more are refused as [`Refusal::Busy`]).
//!
//! ## Reputation
//!
//! Each peer has an `i32` reputation, starting at 0 and decaying towards 0 by 2% a second.
//! The node reports with [`NetworkHandle::report_peer`] (see [`rep`] for values: a bad block
//! costs 2^29); the network lowers it itself for protocol violations: undecodable or
//! oversized messages and requests ([`rep::MALFORMED_MESSAGE`], 2^24), requests over the
//! per-peer rate ([`rep::TOO_MANY_REQUESTS`], 2^20; the request is refused with
//! [`Refusal::TooManyRequests`]), gossip over the per-peer rate ([`rep::GOSSIP_FLOOD`], 2^16;
//! ignored), another chain ([`rep::GENESIS_MISMATCH`], fatal). Below
//! [`rep::BANNED_THRESHOLD`] (71% of `i32::MIN`, Substrate's value) the peer is disconnected
//! and refused for [`NetworkConfig::ban_duration`], after which it starts again from 0.
//!
//! ## Back-pressure and shutdown
//!
//! Commands travel on a bounded channel: the async calls wait for room, the others drop the
//! command (counted in `echonet_network_commands_dropped_total`) when it is full. Events
//! travel on a bounded channel too: when it is full, gossip is dropped (counted, and
//! reported to gossipsub as ignored) while `PeerConnected`/`PeerDisconnected` wait in order,
//! never dropped. The worker stops when every handle is dropped or on
//! [`NetworkHandle::shutdown`].
//!
//! ## Metrics
//!
//! `substrate_sub_libp2p_peers_count`, `substrate_sub_libp2p_network_bytes_total{direction,
//! protocol}` (payload bytes of our protocols), `substrate_sub_libp2p_connections_{opened,
//! closed}_total`, `substrate_sub_libp2p_peerset_num_discovered`,
//! `substrate_sub_libp2p_kbuckets_num_nodes`, `echonet_network_gossip_messages_total{topic,
//! kind}`, `echonet_network_requests_total{protocol, direction, result}`,
//! `echonet_network_connections_denied_total{reason}`,
//! `echonet_network_reputation_changes_total{reason}`, `echonet_network_peers_banned_total`,
//! `echonet_network_events_dropped_total`, `echonet_network_commands_dropped_total`.

mod behaviour;
mod chain;
mod codec;
mod config;
mod discovery;
mod metrics;
mod peerset;
mod protocol;
mod worker;

pub use chain::{serve_block_request, BlockSource, ChainProvider};
pub use config::{peer_id_of, NetworkConfig, RateLimit};
pub use libp2p::{identity::Keypair, Multiaddr, PeerId};
pub use peerset::{rep, ReputationChange};
pub use protocol::{
    BlockAnnounce, BlockData, BlockFields, BlockId, BlockRequest, BlockResponse, Direction,
    Handshake, JustificationResponse, ProtocolNames, Refusal, Role, Status, TransactionsMessage,
    BLOCK_RESPONSE_BYTE_BUDGET, MAX_BLOCKS_PER_RESPONSE, MAX_BLOCK_ANNOUNCE_SIZE,
    MAX_BLOCK_REQUEST_SIZE, MAX_BLOCK_RESPONSE_SIZE, MAX_FINALITY_SIZE, MAX_HANDSHAKE_SIZE,
    MAX_JUSTIFICATION_REQUEST_SIZE, MAX_JUSTIFICATION_RESPONSE_SIZE, MAX_TRANSACTIONS_SIZE,
};

use crate::{
    behaviour::{Behaviour, BehaviourParams},
    config::strip_peer_id,
    discovery::Discovery,
    metrics::Metrics,
    peerset::PeersetConfig,
    worker::{Command, Worker, WorkerParams},
};
use echonet_runtime::Header;
use libp2p::{noise, tcp, yamux, SwarmBuilder};
use prometheus_endpoint::Registry;
use sp_core::H256;
use sp_runtime::Justifications;
use std::{collections::HashSet, sync::Arc, time::Duration};
use tokio::{
    sync::{mpsc, oneshot, watch},
    task::JoinHandle,
};
use tracing::Instrument;

/// Capacity of the command channel (handle → worker).
const COMMAND_QUEUE: usize = 1024;
/// Capacity of the event channel (worker → node).
const EVENT_QUEUE: usize = 1024;
/// How long a connection no protocol uses stays open. Every connection the peer set accepts
/// is kept open by its handler until the worker closes it, so this is only a backstop.
const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// Identifies a gossip message for [`NetworkHandle::report_message`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageId(pub(crate) libp2p::gossipsub::MessageId);

/// The node's verdict on a gossip message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageValidity {
    /// Valid: deliver and forward it.
    Accept,
    /// Invalid: drop it and penalise the peer that sent it.
    Reject,
    /// Neither (e.g. already known or too old): drop it without penalty.
    Ignore,
}

/// What the network tells the node.
#[derive(Debug, Clone)]
pub enum NetworkEvent {
    /// A peer completed the status handshake. Comes before any of its messages.
    PeerConnected {
        peer: PeerId,
        role: Role,
        status: Status,
    },
    /// A peer announced by `PeerConnected` is gone.
    PeerDisconnected { peer: PeerId },
    /// A block announcement. `peer` sent it to us (and is accountable for it); report it
    /// with [`NetworkHandle::report_message`].
    BlockAnnounce {
        peer: PeerId,
        header: Header,
        is_best: bool,
        message_id: MessageId,
    },
    /// Encoded extrinsics to validate; report them with [`NetworkHandle::report_message`].
    Transactions {
        peer: PeerId,
        txs: Vec<Vec<u8>>,
        message_id: MessageId,
    },
    /// A finality (GRANDPA) message, as the sender's node gossiped it.
    Finality {
        peer: PeerId,
        data: Vec<u8>,
        message_id: MessageId,
    },
}

impl NetworkEvent {
    /// The peer the event is about.
    pub fn peer(&self) -> Option<PeerId> {
        match self {
            NetworkEvent::PeerConnected { peer, .. }
            | NetworkEvent::PeerDisconnected { peer }
            | NetworkEvent::BlockAnnounce { peer, .. }
            | NetworkEvent::Transactions { peer, .. }
            | NetworkEvent::Finality { peer, .. } => Some(*peer),
        }
    }

    /// The gossip message id, for gossip events.
    pub fn message_id(&self) -> Option<&MessageId> {
        match self {
            NetworkEvent::BlockAnnounce { message_id, .. }
            | NetworkEvent::Transactions { message_id, .. }
            | NetworkEvent::Finality { message_id, .. } => Some(message_id),
            _ => None,
        }
    }
}

/// A connected peer (handshake done).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    pub peer_id: PeerId,
    pub role: Role,
    /// From its handshake; best block updated by its announcements.
    pub status: Status,
    pub reputation: i32,
    /// The remote address of our first connection with it.
    pub address: Multiaddr,
    /// Whether it dialed us.
    pub inbound: bool,
}

/// Why a request to a peer failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("peer not connected")]
    NotConnected,
    #[error("the peer refused: {0}")]
    Refused(Refusal),
    #[error("no answer in time")]
    Timeout,
    #[error("the peer disconnected")]
    Disconnected,
    #[error("the peer does not support the protocol")]
    UnsupportedProtocol,
    #[error("invalid response: {0}")]
    InvalidResponse(String),
    #[error("i/o error: {0}")]
    Io(String),
    #[error("the network is shut down")]
    NetworkStopped,
}

/// Why the network could not start.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("boot node address {0} must end in /p2p/<peer id>")]
    InvalidBootNode(Multiaddr),
    #[error("reserved node address {0} must end in /p2p/<peer id>")]
    InvalidReservedNode(Multiaddr),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: Multiaddr, reason: String },
    #[error("the chain's genesis {chain:?} is not the configured {config:?}")]
    GenesisMismatch { chain: H256, config: H256 },
    #[error("cannot register network metrics: {0}")]
    Metrics(#[from] prometheus_endpoint::PrometheusError),
    #[error("network setup: {0}")]
    Setup(String),
}

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
    pub fn local_peer_id(&self) -> PeerId {
        self.inner.local_peer_id
    }

    /// Addresses we listen on, each ending in `/p2p/<our peer id>` (usable as a boot node).
    /// Empty once the network has stopped.
    pub async fn listen_addresses(&self) -> Vec<Multiaddr> {
        self.ask(Command::ListenAddresses).await.unwrap_or_default()
    }

    /// Gossips a block announcement (and, if `is_best`, updates the status we send).
    pub fn announce_block(&self, header: Header, is_best: bool) {
        self.send(Command::AnnounceBlock { header, is_best });
    }

    /// Gossips encoded extrinsics (split into messages of at most
    /// [`MAX_TRANSACTIONS_SIZE`]).
    pub fn propagate_transactions(&self, txs: Vec<Vec<u8>>) {
        if !txs.is_empty() {
            self.send(Command::PropagateTransactions(txs));
        }
    }

    /// Gossips a finality (GRANDPA) message of at most [`MAX_FINALITY_SIZE`] bytes.
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

    /// Changes a peer's reputation (see [`rep`] for the usual values).
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

    /// Stops the worker (the task returned by [`start`] then ends).
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

fn parse_peer_addresses(
    addrs: &[Multiaddr],
    error: fn(Multiaddr) -> NetworkError,
) -> Result<Vec<(PeerId, Multiaddr)>, NetworkError> {
    addrs
        .iter()
        .map(|a| match peer_id_of(a) {
            Some(peer) => Ok((peer, strip_peer_id(a))),
            None => Err(error(a.clone())),
        })
        .collect()
}

/// Starts the network: listens, dials the boot and reserved nodes, and spawns the worker.
/// Returns the handle, the node's event receiver, and the worker task.
pub async fn start(
    config: NetworkConfig,
    chain: Arc<dyn ChainProvider>,
    registry: Option<&Registry>,
) -> Result<(NetworkHandle, mpsc::Receiver<NetworkEvent>, JoinHandle<()>), NetworkError> {
    let metrics = registry.map(Metrics::register).transpose()?.map(Arc::new);
    let names = ProtocolNames::new(config.genesis_hash);
    let boot_nodes = parse_peer_addresses(&config.boot_nodes, NetworkError::InvalidBootNode)?;
    let reserved = parse_peer_addresses(&config.reserved_nodes, NetworkError::InvalidReservedNode)?;

    let status_chain = chain.clone();
    let status = tokio::task::spawn_blocking(move || status_chain.status())
        .await
        .map_err(|e| NetworkError::Setup(format!("reading the chain status: {e}")))?;
    if status.genesis_hash != config.genesis_hash {
        return Err(NetworkError::GenesisMismatch {
            chain: status.genesis_hash,
            config: config.genesis_hash,
        });
    }

    let local = config.keypair.public().to_peer_id();
    tracing::info!(target: "network", "🏷  Local node identity is: {local}");

    let params = BehaviourParams {
        keypair: &config.keypair,
        names: &names,
        peerset: PeersetConfig {
            reserved: reserved.iter().map(|(p, _)| *p).collect(),
            reserved_only: config.reserved_only,
            in_peers: config.in_peers as usize,
            out_peers: config.out_peers as usize,
            ban_duration: config.ban_duration,
        },
        enable_mdns: config.enable_mdns,
        agent_version: format!(
            "echonet-node/{} ({})",
            env!("CARGO_PKG_VERSION"),
            config.node_name
        ),
        metrics: metrics.clone(),
    };
    let behaviour = Behaviour::new(params)?;
    let mut swarm = SwarmBuilder::with_existing_identity(config.keypair.clone())
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| NetworkError::Setup(format!("transport: {e}")))?
        .with_dns()
        .map_err(|e| NetworkError::Setup(format!("dns: {e}")))?
        .with_behaviour(|_| behaviour)
        .map_err(|e| NetworkError::Setup(format!("behaviour: {e}")))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
        .build();

    for addr in &config.listen_addresses {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| NetworkError::Listen {
                addr: addr.clone(),
                reason: e.to_string(),
            })?;
    }
    for addr in &config.public_addresses {
        swarm.add_external_address(strip_peer_id(addr));
    }

    let mut discovery = Discovery::new();
    for (peer, addr) in boot_nodes.iter().chain(reserved.iter()) {
        if *peer == local {
            continue;
        }
        discovery.add(*peer, addr.clone());
        swarm.behaviour_mut().kad.add_address(peer, addr.clone());
    }
    if !boot_nodes.is_empty() && !config.reserved_only {
        // Fails only without known peers, which the boot nodes just provided.
        let _ = swarm.behaviour_mut().kad.bootstrap();
    }

    let (command_tx, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (event_tx, event_rx) = mpsc::channel(EVENT_QUEUE);
    let (blocked_tx, blocked_rx) = watch::channel(HashSet::new());
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let worker = Worker::new(WorkerParams {
        swarm,
        chain,
        names,
        role: config.role,
        status,
        commands: command_rx,
        blocked: blocked_rx,
        shutdown: shutdown_rx,
        events: event_tx,
        metrics: metrics.clone(),
        discovery,
        request_rate: config.request_rate,
        gossip_rate: config.gossip_rate,
        ban_duration: config.ban_duration,
    });
    let task = tokio::spawn(
        worker
            .run()
            .instrument(tracing::info_span!(target: "network", "network")),
    );
    let handle = NetworkHandle {
        inner: Arc::new(HandleInner {
            local_peer_id: local,
            commands: command_tx,
            blocked: blocked_tx,
            shutdown: shutdown_tx,
            metrics,
        }),
    };
    Ok((handle, event_rx, task))
}
