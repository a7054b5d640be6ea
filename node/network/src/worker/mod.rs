//! The network task: owns the swarm and every piece of network state, serves commands from
//! [`NetworkHandle`](crate::NetworkHandle)s, answers peers' requests (through the
//! [`ChainProvider`] on blocking threads) and delivers events to the node.
//!
//! One task owns it all so that no state is shared or locked; its concerns live apart:
//! - this module: the task's state, its event loop, and the dispatch of commands and swarm
//!   events to the concern that handles them;
//! - [`peers`]: connections, the status handshake, reputation and bans;
//! - [`dialing`]: finding peers (identify, Kademlia, mDNS) and keeping the slots filled;
//! - [`gossip`]: topics, publishing, received messages and the node's verdicts on them;
//! - [`requests`]: request-response, with one inbound path that every protocol goes through,
//!   answers read from the chain, and our own requests;
//! - [`delivery`]: handing events to the node, in order and with back-pressure.
//! - [`warp`]: warp sync's hand-off proofs and state chunks (served from the chain, through
//!   the common inbound path of [`requests`]).
//! - [`providers`]: the data store's provider records in Kademlia (announcements in
//!   batches, lookups, and the bounded store of the records peers send).

mod dds;
mod delivery;
mod dialing;
mod gossip;
mod peers;
mod providers;
mod requests;
mod warp;

pub(crate) use self::dds::DDS_LABEL;
pub use self::dds::MAX_DDS_SERVING;
use self::warp::{StateProtocol, WarpProofProtocol};
pub(crate) use self::warp::{STATE_LABEL, WARP_PROOF_LABEL};
use self::{
    gossip::{Topic, Topics},
    peers::{PeerData, StatusProtocol},
    requests::{BlockTransactionsProtocol, BlocksProtocol, JustificationsProtocol, Served},
};
use crate::{
    behaviour::{Behaviour, BehaviourEvent},
    chain::ChainProvider,
    config::RateLimit,
    discovery::Discovery,
    metrics::Metrics,
    peerset::ReputationChange,
    protocol::{
        BlockData, BlockRequest, BlockTransactionsRequest, CompactBody, ProtocolNames, Role, Status,
    },
    MessageId, MessageValidity, NetworkEvent, PeerInfo, RequestError,
};
use echonet_runtime::Header;
use futures::StreamExt;
use libp2p::{
    gossipsub, request_response::OutboundRequestId, swarm::SwarmEvent, Multiaddr, PeerId, Swarm,
};
use schnellru::LruMap;
use sp_core::H256;
use sp_runtime::{Justifications, OpaqueExtrinsic};
use std::{
    collections::{HashMap, HashSet, VecDeque},
    panic::AssertUnwindSafe,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::{mpsc, oneshot, watch};

/// How often our own status is re-read from the chain.
const STATUS_REFRESH: Duration = Duration::from_secs(2);

pub(crate) type BlocksReply = oneshot::Sender<Result<Vec<BlockData>, RequestError>>;
pub(crate) type JustificationReply = oneshot::Sender<Result<Option<Justifications>, RequestError>>;
pub(crate) type BlockTransactionsReply =
    oneshot::Sender<Result<Option<Vec<OpaqueExtrinsic>>, RequestError>>;

pub(crate) enum Command {
    ListenAddresses(oneshot::Sender<Vec<Multiaddr>>),
    AnnounceBlock {
        header: Header,
        is_best: bool,
        compact: Option<CompactBody>,
    },
    PropagateTransactions(Vec<Vec<u8>>),
    GossipFinality(Vec<u8>),
    ReportMessage {
        id: MessageId,
        peer: PeerId,
        validity: MessageValidity,
    },
    RequestBlocks {
        peer: PeerId,
        request: BlockRequest,
        reply: BlocksReply,
    },
    RequestJustification {
        peer: PeerId,
        hash: H256,
        reply: JustificationReply,
    },
    RequestBlockTransactions {
        peer: PeerId,
        request: BlockTransactionsRequest,
        reply: BlockTransactionsReply,
    },
    ReportPeer {
        peer: PeerId,
        change: ReputationChange,
    },
    RequestWarpProof {
        peer: PeerId,
        request: crate::warp::WarpProofRequest,
        reply: warp::WarpProofReply,
    },
    RequestState {
        peer: PeerId,
        request: crate::warp::StateRequest,
        reply: warp::StateReply,
    },
    Peers(oneshot::Sender<Vec<PeerInfo>>),
    RequestDds {
        peer: PeerId,
        request: Vec<u8>,
        reply: dds::DdsReply,
    },
    SetDdsHandler(Arc<dyn crate::DdsHandler>),
    StartProviding(Vec<Vec<u8>>),
    StopProviding(Vec<u8>),
    GetProviders {
        key: Vec<u8>,
        reply: providers::ProvidersReply,
    },
}

pub(crate) struct WorkerParams {
    pub(crate) swarm: Swarm<Behaviour>,
    pub(crate) chain: Arc<dyn ChainProvider>,
    pub(crate) names: ProtocolNames,
    pub(crate) role: Role,
    pub(crate) status: Status,
    pub(crate) commands: mpsc::Receiver<Command>,
    pub(crate) blocked: watch::Receiver<HashSet<PeerId>>,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) events: mpsc::Sender<NetworkEvent>,
    pub(crate) metrics: Option<Arc<Metrics>>,
    pub(crate) discovery: Discovery,
    pub(crate) request_rate: RateLimit,
    pub(crate) gossip_rate: RateLimit,
    pub(crate) ban_duration: Duration,
}

/// The task's state. The submodules own the handling of their fields; the fields stay in
/// one struct because most events touch the swarm and the state of more than one concern.
pub(crate) struct Worker {
    swarm: Swarm<Behaviour>,
    local: PeerId,
    chain: Arc<dyn ChainProvider>,
    names: ProtocolNames,
    role: Role,
    /// Ours, sent in handshakes: re-read from the chain every `STATUS_REFRESH`, and moved
    /// forward at once by our own best-block announcements.
    status: Status,
    commands: mpsc::Receiver<Command>,
    blocked: watch::Receiver<HashSet<PeerId>>,
    shutdown: watch::Receiver<bool>,
    metrics: Option<Arc<Metrics>>,
    listen_addresses: Vec<Multiaddr>,
    status_tx: mpsc::Sender<Status>,
    status_rx: mpsc::Receiver<Status>,
    refreshing_status: bool,
    last_status_refresh: Instant,

    // Delivery (`delivery`).
    events: mpsc::Sender<NetworkEvent>,
    /// Events waiting for room in `events`, in order. Connection events are never dropped;
    /// gossip waits here only behind them (so that a peer's `PeerConnected` always comes
    /// before its messages), up to `delivery::MAX_HELD_GOSSIP`.
    held: VecDeque<NetworkEvent>,

    // Peers (`peers`).
    discovery: Discovery,
    peers: HashMap<PeerId, PeerData>,
    request_rate: RateLimit,
    gossip_rate: RateLimit,
    ban_duration: Duration,

    // Gossip (`gossip`).
    topics: Topics,
    /// Messages awaiting the node's verdict, with their topic (for metrics).
    pending_validation: LruMap<gossipsub::MessageId, Topic>,

    // Requests (`requests`).
    /// Our block requests in flight: the most blocks asked for, and who waits.
    pending_blocks: HashMap<OutboundRequestId, (u32, BlocksReply)>,
    pending_justifications: HashMap<OutboundRequestId, JustificationReply>,
    /// Our requests for missing extrinsics in flight: how many were asked, and who waits.
    pending_block_transactions: HashMap<OutboundRequestId, (usize, BlockTransactionsReply)>,
    served_tx: mpsc::Sender<Served>,
    served_rx: mpsc::Receiver<Served>,
    /// Chain reads in progress on blocking threads.
    serving: usize,
    // Warp sync's requests (`warp`).
    pending_warp_proofs: HashMap<OutboundRequestId, warp::WarpProofReply>,
    pending_state: HashMap<OutboundRequestId, warp::StateReply>,

    // The data store protocol (`dds`).
    dds_handler: Option<Arc<dyn crate::DdsHandler>>,
    pending_dds: HashMap<OutboundRequestId, dds::DdsReply>,
    dds_served_tx: mpsc::Sender<Served>,
    dds_served_rx: mpsc::Receiver<Served>,
    /// Data store requests being answered on blocking threads.
    dds_serving: usize,
    /// Provider records (`providers`).
    providing: providers::Providing,
}

impl Worker {
    pub(crate) fn new(p: WorkerParams) -> Self {
        let (served_tx, served_rx) = requests::served_channel();
        let (dds_served_tx, dds_served_rx) = dds::dds_channel();
        let (status_tx, status_rx) = mpsc::channel(1);
        Self {
            local: *p.swarm.local_peer_id(),
            swarm: p.swarm,
            chain: p.chain,
            topics: Topics::new(&p.names),
            names: p.names,
            role: p.role,
            status: p.status,
            commands: p.commands,
            blocked: p.blocked,
            shutdown: p.shutdown,
            metrics: p.metrics,
            listen_addresses: Vec::new(),
            status_tx,
            status_rx,
            refreshing_status: false,
            last_status_refresh: Instant::now(),
            events: p.events,
            held: VecDeque::new(),
            discovery: p.discovery,
            peers: HashMap::new(),
            request_rate: p.request_rate,
            gossip_rate: p.gossip_rate,
            ban_duration: p.ban_duration,
            pending_validation: gossip::pending_validation(),
            pending_blocks: HashMap::new(),
            pending_justifications: HashMap::new(),
            pending_block_transactions: HashMap::new(),
            served_tx,
            served_rx,
            serving: 0,
            pending_warp_proofs: HashMap::new(),
            pending_state: HashMap::new(),
            dds_handler: None,
            pending_dds: HashMap::new(),
            dds_served_tx,
            dds_served_rx,
            dds_serving: 0,
            providing: providers::Providing::new(),
        }
    }

    pub(crate) async fn run(mut self) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // A clone, so that a pending `reserve` does not borrow `self`.
        let events = self.events.clone();
        loop {
            tokio::select! {
                changed = self.shutdown.changed() => {
                    if changed.is_err() || *self.shutdown.borrow() {
                        break;
                    }
                }
                command = self.commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    // Every handle is gone.
                    None => break,
                },
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                Some(served) = self.served_rx.recv() => self.on_served(served),
                Some(served) = self.dds_served_rx.recv() => (served.0)(&mut self),
                Some(status) = self.status_rx.recv() => {
                    self.refreshing_status = false;
                    self.status = status;
                }
                Ok(()) = self.blocked.changed() => {
                    let blocked = self.blocked.borrow_and_update().clone();
                    self.on_blocked(blocked);
                }
                permit = events.reserve(), if !self.held.is_empty() => match permit {
                    Ok(permit) => {
                        if let Some(event) = self.held.pop_front() {
                            permit.send(event);
                        }
                    }
                    // The node dropped its receiver: nothing to deliver to.
                    Err(_) => self.drop_held(),
                },
                _ = tick.tick() => self.on_tick(),
            }
        }
        self.drop_held();
        tracing::info!(target: "network", "Network worker stopped");
    }

    fn metrics(&self) -> Option<&Metrics> {
        self.metrics.as_deref()
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        self.maintain_peers(now);
        self.refresh_status(now);
        self.update_discovery_metrics();
        self.maintain_providers(now);
    }

    /// Re-reads our status on a blocking thread, one read at a time.
    fn refresh_status(&mut self, now: Instant) {
        if self.refreshing_status
            || now.saturating_duration_since(self.last_status_refresh) < STATUS_REFRESH
        {
            return;
        }
        self.refreshing_status = true;
        self.last_status_refresh = now;
        let chain = self.chain.clone();
        let tx = self.status_tx.clone();
        tokio::task::spawn_blocking(move || {
            if let Ok(status) = std::panic::catch_unwind(AssertUnwindSafe(|| chain.status())) {
                let _ = tx.try_send(status);
            }
        });
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::ListenAddresses(reply) => {
                let local = self.local;
                let addrs = self
                    .listen_addresses
                    .iter()
                    .map(|a| a.clone().with_p2p(local).unwrap_or_else(|a| a))
                    .collect();
                let _ = reply.send(addrs);
            }
            Command::AnnounceBlock {
                header,
                is_best,
                compact,
            } => self.announce_block(header, is_best, compact),
            Command::PropagateTransactions(txs) => self.propagate_transactions(txs),
            Command::GossipFinality(data) => self.gossip_finality(data),
            Command::ReportMessage { id, peer, validity } => {
                self.report_message(id, peer, validity)
            }
            Command::RequestBlocks {
                peer,
                request,
                reply,
            } => self.request_blocks(peer, request, reply),
            Command::RequestJustification { peer, hash, reply } => {
                self.request_justification(peer, hash, reply)
            }
            Command::RequestBlockTransactions {
                peer,
                request,
                reply,
            } => self.request_block_transactions(peer, request, reply),
            Command::ReportPeer { peer, change } => self.report(peer, change),
            Command::RequestWarpProof {
                peer,
                request,
                reply,
            } => self.request_warp_proof(peer, request, reply),
            Command::RequestState {
                peer,
                request,
                reply,
            } => self.request_state(peer, request, reply),
            Command::Peers(reply) => {
                let _ = reply.send(self.peer_infos());
            }
            Command::RequestDds {
                peer,
                request,
                reply,
            } => self.request_dds(peer, request, reply),
            Command::SetDdsHandler(handler) => self.dds_handler = Some(handler),
            Command::StartProviding(keys) => self.start_providing(keys),
            Command::StopProviding(key) => self.stop_providing(key),
            Command::GetProviders { key, reply } => self.get_providers(key, reply),
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(
                    target: "network",
                    "📡 Listening on {}",
                    address.clone().with_p2p(self.local).unwrap_or_else(|a| a)
                );
                if !self.listen_addresses.contains(&address) {
                    self.listen_addresses.push(address);
                }
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listen_addresses.retain(|a| *a != address);
            }
            SwarmEvent::ExternalAddrConfirmed { address } => {
                tracing::info!(
                    target: "network",
                    "🔍 Discovered new external address for our node: {}",
                    address.with_p2p(self.local).unwrap_or_else(|a| a)
                );
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                endpoint,
                num_established,
                ..
            } => self.on_connection_established(peer_id, &endpoint, num_established.get()),
            SwarmEvent::ConnectionClosed {
                peer_id,
                endpoint,
                num_established,
                cause,
                ..
            } => self.on_connection_closed(peer_id, endpoint.is_listener(), num_established, cause),
            SwarmEvent::OutgoingConnectionError {
                peer_id: Some(peer),
                error,
                ..
            } => {
                tracing::trace!(target: "network", "Dial to {peer} failed: {error}");
                self.discovery.dial_ended(&peer);
            }
            SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
            _ => {}
        }
        // A lookup may wait for a provider's handshake or failed dial.
        if self.providing.has_lookups() {
            self.settle_lookups(Instant::now());
        }
    }

    fn on_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Peerset(never) => match never {},
            BehaviourEvent::Limits(never) => match never {},
            BehaviourEvent::Identify(event) => self.on_identify(event),
            BehaviourEvent::Ping(event) => self.on_ping(event),
            BehaviourEvent::Kad(event) => self.on_kad(event),
            BehaviourEvent::Mdns(event) => self.on_mdns(event),
            BehaviourEvent::Gossipsub(event) => self.on_gossipsub(event),
            BehaviourEvent::Status(event) => self.on_request_event::<StatusProtocol>(event),
            BehaviourEvent::Blocks(event) => self.on_request_event::<BlocksProtocol>(event),
            BehaviourEvent::Justifications(event) => {
                self.on_request_event::<JustificationsProtocol>(event)
            }
            BehaviourEvent::BlockTransactions(event) => {
                self.on_request_event::<BlockTransactionsProtocol>(event)
            }
            BehaviourEvent::WarpProof(event) => self.on_request_event::<WarpProofProtocol>(event),
            BehaviourEvent::State(event) => self.on_request_event::<StateProtocol>(event),
            BehaviourEvent::Dds(event) => self.on_request_event::<dds::DdsProtocol>(event),
        }
    }
}
