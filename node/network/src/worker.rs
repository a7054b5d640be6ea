//! The network task: owns the swarm and every piece of network state, serves commands from
//! [`NetworkHandle`](crate::NetworkHandle)s, answers peers' requests (through the
//! [`ChainProvider`] on blocking threads) and delivers events to the node.

use crate::{
    behaviour::{Behaviour, BehaviourEvent},
    chain::ChainProvider,
    codec::Incoming,
    config::RateLimit,
    discovery::Discovery,
    metrics::Metrics,
    peerset::{rep, ReputationChange, TokenBucket},
    protocol::*,
    MessageId, MessageValidity, NetworkEvent, PeerInfo, RequestError,
};
use codec::Encode;
use echonet_runtime::Header;
use futures::StreamExt;
use libp2p::{
    gossipsub::{self, IdentTopic, TopicHash},
    identify, kad, mdns, ping,
    request_response::{self, InboundFailure, OutboundFailure, OutboundRequestId, ResponseChannel},
    swarm::{
        dial_opts::{DialOpts, PeerCondition},
        SwarmEvent,
    },
    Multiaddr, PeerId, Swarm,
};
use schnellru::{ByLength, LruMap};
use sp_core::H256;
use sp_runtime::Justifications;
use std::{
    collections::{HashMap, HashSet, VecDeque},
    io,
    panic::AssertUnwindSafe,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::{mpsc, oneshot, watch};

/// Most [`ChainProvider`] calls in progress at once; more requests are refused as busy.
const MAX_SERVING: usize = 8;
/// A peer that has not completed the status handshake by then is disconnected.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often our own status is re-read from the chain.
const STATUS_REFRESH: Duration = Duration::from_secs(2);
/// Most gossip events held back (behind connection events) while the node's queue is full.
const MAX_HELD_GOSSIP: usize = 1024;
/// Gossip messages awaiting the node's verdict that we remember the topic of.
const MAX_PENDING_VALIDATION: u32 = 16 * 1024;

pub(crate) type BlocksReply = oneshot::Sender<Result<Vec<BlockData>, RequestError>>;
pub(crate) type JustificationReply = oneshot::Sender<Result<Option<Justifications>, RequestError>>;

pub(crate) enum Command {
    ListenAddresses(oneshot::Sender<Vec<Multiaddr>>),
    AnnounceBlock {
        header: Header,
        is_best: bool,
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
    ReportPeer {
        peer: PeerId,
        change: ReputationChange,
    },
    Peers(oneshot::Sender<Vec<PeerInfo>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    BlockAnnounces,
    Transactions,
    Finality,
}

impl Topic {
    fn label(self) -> &'static str {
        match self {
            Topic::BlockAnnounces => "block-announces",
            Topic::Transactions => "transactions",
            Topic::Finality => "finality",
        }
    }
}

struct Topics {
    announces: IdentTopic,
    transactions: IdentTopic,
    finality: IdentTopic,
}

impl Topics {
    fn of(&self, hash: &TopicHash) -> Option<Topic> {
        if *hash == self.announces.hash() {
            Some(Topic::BlockAnnounces)
        } else if *hash == self.transactions.hash() {
            Some(Topic::Transactions)
        } else if *hash == self.finality.hash() {
            Some(Topic::Finality)
        } else {
            None
        }
    }

    fn topic(&self, topic: Topic) -> &IdentTopic {
        match topic {
            Topic::BlockAnnounces => &self.announces,
            Topic::Transactions => &self.transactions,
            Topic::Finality => &self.finality,
        }
    }
}

/// What we know of a connected peer beyond the connection itself.
struct PeerData {
    connected_at: Instant,
    handshake: Option<Handshake>,
    /// `PeerConnected` was (or is queued to be) delivered.
    announced: bool,
    requests: TokenBucket,
    gossip: TokenBucket,
}

/// The result of a [`ChainProvider`] call, back from its blocking thread.
enum Served {
    Blocks {
        peer: PeerId,
        channel: ResponseChannel<BlockResponse>,
        max: u32,
        blocks: Vec<BlockData>,
    },
    Justification {
        peer: PeerId,
        channel: ResponseChannel<JustificationResponse>,
        justifications: Option<Justifications>,
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

pub(crate) struct Worker {
    swarm: Swarm<Behaviour>,
    local: PeerId,
    chain: Arc<dyn ChainProvider>,
    names: ProtocolNames,
    topics: Topics,
    role: Role,
    status: Status,
    commands: mpsc::Receiver<Command>,
    blocked: watch::Receiver<HashSet<PeerId>>,
    shutdown: watch::Receiver<bool>,
    events: mpsc::Sender<NetworkEvent>,
    /// Events waiting for room in `events`, in order. Connection events are never dropped;
    /// gossip waits here only behind them (so that a peer's `PeerConnected` always comes
    /// before its messages), up to `MAX_HELD_GOSSIP`.
    held: VecDeque<NetworkEvent>,
    metrics: Option<Arc<Metrics>>,
    discovery: Discovery,
    peers: HashMap<PeerId, PeerData>,
    listen_addresses: Vec<Multiaddr>,
    pending_validation: LruMap<gossipsub::MessageId, Topic>,
    /// Our block requests in flight: the most blocks asked for, and who waits.
    pending_blocks: HashMap<OutboundRequestId, (u32, BlocksReply)>,
    pending_justifications: HashMap<OutboundRequestId, JustificationReply>,
    served_tx: mpsc::Sender<Served>,
    served_rx: mpsc::Receiver<Served>,
    serving: usize,
    status_tx: mpsc::Sender<Status>,
    status_rx: mpsc::Receiver<Status>,
    refreshing_status: bool,
    last_status_refresh: Instant,
    request_rate: RateLimit,
    gossip_rate: RateLimit,
    ban_duration: Duration,
}

impl Worker {
    pub(crate) fn new(p: WorkerParams) -> Self {
        let (served_tx, served_rx) = mpsc::channel(MAX_SERVING);
        let (status_tx, status_rx) = mpsc::channel(1);
        let topics = Topics {
            announces: IdentTopic::new(p.names.block_announces_topic.clone()),
            transactions: IdentTopic::new(p.names.transactions_topic.clone()),
            finality: IdentTopic::new(p.names.finality_topic.clone()),
        };
        Self {
            local: *p.swarm.local_peer_id(),
            swarm: p.swarm,
            chain: p.chain,
            names: p.names,
            topics,
            role: p.role,
            status: p.status,
            commands: p.commands,
            blocked: p.blocked,
            shutdown: p.shutdown,
            events: p.events,
            held: VecDeque::new(),
            metrics: p.metrics,
            discovery: p.discovery,
            peers: HashMap::new(),
            listen_addresses: Vec::new(),
            pending_validation: LruMap::new(ByLength::new(MAX_PENDING_VALIDATION)),
            pending_blocks: HashMap::new(),
            pending_justifications: HashMap::new(),
            served_tx,
            served_rx,
            serving: 0,
            status_tx,
            status_rx,
            refreshing_status: false,
            last_status_refresh: Instant::now(),
            request_rate: p.request_rate,
            gossip_rate: p.gossip_rate,
            ban_duration: p.ban_duration,
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

    // ------------------------------------------------------------------ helpers

    fn metrics(&self) -> Option<&Metrics> {
        self.metrics.as_deref()
    }

    fn handshake(&self) -> Handshake {
        Handshake {
            role: self.role,
            status: self.status,
        }
    }

    fn is_ready(&self, peer: &PeerId) -> bool {
        self.peers
            .get(peer)
            .is_some_and(|p| p.handshake.is_some() && p.announced)
    }

    /// Applies a reputation change; bans and disconnects a peer that falls below the
    /// threshold.
    fn report(&mut self, peer: PeerId, change: ReputationChange) {
        if let Some(m) = self.metrics() {
            m.reputation_change(change.reason);
        }
        let banned = self.swarm.behaviour_mut().peerset.report(peer, change);
        tracing::debug!(
            target: "peerset",
            "Reputation of {peer} {:+} ({}): now {}",
            change.value,
            change.reason,
            self.swarm.behaviour().peerset.reputation(&peer)
        );
        if banned {
            tracing::info!(
                target: "peerset",
                "🚫 Banned peer {peer} for {}s: {}",
                self.ban_duration.as_secs(),
                change.reason
            );
            if let Some(m) = self.metrics() {
                m.banned();
            }
            let _ = self.swarm.disconnect_peer_id(peer);
        }
    }

    /// Hands an event to the node. Connection events are never dropped. Gossip is dropped
    /// (and returned) when the node's queue is full; the caller tells gossipsub to ignore it.
    fn deliver(&mut self, event: NetworkEvent) -> Option<NetworkEvent> {
        let droppable = event.message_id().is_some();
        if self.held.is_empty() {
            match self.events.try_send(event) {
                Ok(()) => None,
                Err(mpsc::error::TrySendError::Full(event)) if droppable => Some(event),
                Err(mpsc::error::TrySendError::Full(event)) => {
                    self.held.push_back(event);
                    None
                }
                Err(mpsc::error::TrySendError::Closed(event)) => droppable.then_some(event),
            }
        } else if droppable && self.held.len() >= MAX_HELD_GOSSIP {
            Some(event)
        } else {
            self.held.push_back(event);
            None
        }
    }

    /// A gossip event that will not reach the node.
    fn dropped_gossip(&mut self, event: NetworkEvent) {
        if let (Some(id), Some(peer)) = (event.message_id().cloned(), event.peer()) {
            if let Some(topic) = self.pending_validation.remove(&id.0) {
                if let Some(m) = self.metrics() {
                    m.gossip(topic.label(), "dropped");
                }
            }
            if let Some(m) = self.metrics() {
                m.event_dropped();
            }
            self.swarm
                .behaviour_mut()
                .gossipsub
                .report_message_validation_result(
                    &id.0,
                    &peer,
                    gossipsub::MessageAcceptance::Ignore,
                );
        }
    }

    fn drop_held(&mut self) {
        for event in std::mem::take(&mut self.held) {
            self.dropped_gossip(event);
        }
    }

    fn peer_disconnected(&mut self, peer: PeerId) {
        let Some(data) = self.peers.remove(&peer) else {
            return;
        };
        if !data.announced {
            return;
        }
        // If the node has not even seen the peer connect, it need not see it leave (this
        // keeps `held` bounded by the number of peers however fast they churn).
        let queued = self
            .held
            .iter()
            .position(|e| matches!(e, NetworkEvent::PeerConnected { peer: p, .. } if *p == peer));
        if let Some(index) = queued {
            self.held.remove(index);
            let mut stale = Vec::new();
            self.held.retain(|e| {
                if e.message_id().is_some() && e.peer() == Some(peer) {
                    stale.push(e.clone());
                    false
                } else {
                    true
                }
            });
            for event in stale {
                self.dropped_gossip(event);
            }
        } else {
            self.deliver(NetworkEvent::PeerDisconnected { peer });
        }
        tracing::debug!(target: "network", "Peer {peer} disconnected");
        self.update_peer_count();
    }

    fn update_peer_count(&self) {
        if let Some(m) = self.metrics() {
            m.set_peers(self.peers.values().filter(|p| p.announced).count());
        }
    }

    fn dial(&mut self, peer: PeerId, now: Instant) {
        let addresses = self.discovery.addresses(&peer);
        let opts = DialOpts::peer_id(peer)
            .addresses(addresses)
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build();
        self.discovery.dialed(peer, now);
        if let Err(e) = self.swarm.dial(opts) {
            tracing::debug!(target: "network", "Cannot dial {peer}: {e}");
            self.discovery.dial_ended(&peer);
        }
    }

    fn may_dial(&self, peer: &PeerId, now: Instant) -> bool {
        let ps = &self.swarm.behaviour().peerset;
        *peer != self.local
            && ps.connected(peer).is_none()
            && !ps.is_blocked(peer)
            && !ps.is_banned(peer)
            && self.discovery.may_dial(peer, now)
    }

    /// Keeps reserved peers connected and fills free outbound slots with known peers.
    fn dial_peers(&mut self, now: Instant) {
        let reserved: Vec<PeerId> = self.swarm.behaviour().peerset.reserved().copied().collect();
        for peer in reserved {
            if self.may_dial(&peer, now) {
                self.dial(peer, now);
            }
        }
        if self.swarm.behaviour().peerset.reserved_only() {
            return;
        }
        let dialing = {
            let ps = &self.swarm.behaviour().peerset;
            self.discovery
                .dialing()
                .filter(|p| !ps.is_reserved(p))
                .count()
        };
        let free = self.swarm.behaviour().peerset.free_out_slots(dialing);
        if free == 0 {
            return;
        }
        let candidates: Vec<PeerId> = self
            .discovery
            .known_peers()
            .filter(|p| self.may_dial(p, now))
            .take(free)
            .copied()
            .collect();
        for peer in candidates {
            self.dial(peer, now);
        }
        if self.discovery.walk_due(now) {
            self.swarm
                .behaviour_mut()
                .kad
                .get_closest_peers(PeerId::random());
        }
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        for peer in self.swarm.behaviour_mut().peerset.tick(now) {
            tracing::debug!(target: "peerset", "Ban of {peer} lifted");
        }
        for (peer, reason) in self.swarm.behaviour_mut().peerset.take_denials() {
            tracing::debug!(target: "peerset", "Refused a connection with {peer:?}: {reason}");
            if let Some(m) = self.metrics() {
                m.connection_denied(reason);
            }
        }
        let late: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, p)| {
                p.handshake.is_none()
                    && now.saturating_duration_since(p.connected_at) > HANDSHAKE_TIMEOUT
            })
            .map(|(peer, _)| *peer)
            .collect();
        for peer in late {
            tracing::debug!(target: "network", "No handshake from {peer}: disconnecting");
            self.report(peer, rep::HANDSHAKE_TIMEOUT);
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        self.dial_peers(now);
        if !self.refreshing_status
            && now.saturating_duration_since(self.last_status_refresh) >= STATUS_REFRESH
        {
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
        if let Some(m) = self.metrics() {
            m.set_discovered(self.discovery.num_known());
        }
        let kbuckets: usize = self
            .swarm
            .behaviour_mut()
            .kad
            .kbuckets()
            .map(|b| b.num_entries())
            .sum();
        if let Some(m) = self.metrics() {
            m.set_kbuckets(kbuckets);
        }
    }

    fn on_blocked(&mut self, blocked: HashSet<PeerId>) {
        let unblocked = self
            .swarm
            .behaviour_mut()
            .peerset
            .set_blocked(blocked.clone());
        for peer in unblocked {
            self.discovery.reset_backoff(&peer);
        }
        for peer in blocked {
            if self.swarm.is_connected(&peer) {
                tracing::debug!(target: "network", "Blocking {peer}: disconnecting");
                let _ = self.swarm.disconnect_peer_id(peer);
            }
        }
        // Reconnect to unblocked peers now rather than at the next tick.
        self.dial_peers(Instant::now());
    }

    // ------------------------------------------------------------------ commands

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
            Command::AnnounceBlock { header, is_best } => {
                if is_best && header.number >= self.status.best_number {
                    self.status.best_number = header.number;
                    self.status.best_hash = header.hash();
                }
                let message = BlockAnnounce { header, is_best }.encode();
                if message.len() > MAX_BLOCK_ANNOUNCE_SIZE {
                    tracing::warn!(
                        target: "gossip",
                        "Not announcing a block: its header is {} bytes",
                        message.len()
                    );
                    return;
                }
                self.publish(Topic::BlockAnnounces, message);
            }
            Command::PropagateTransactions(txs) => {
                for chunk in chunk_transactions(txs) {
                    self.publish(Topic::Transactions, chunk.encode());
                }
            }
            Command::GossipFinality(data) => {
                if data.len() > MAX_FINALITY_SIZE {
                    tracing::warn!(
                        target: "gossip",
                        "Not gossiping a finality message of {} bytes",
                        data.len()
                    );
                    return;
                }
                self.publish(Topic::Finality, data);
            }
            Command::ReportMessage { id, peer, validity } => {
                let acceptance = match validity {
                    MessageValidity::Accept => gossipsub::MessageAcceptance::Accept,
                    MessageValidity::Reject => gossipsub::MessageAcceptance::Reject,
                    MessageValidity::Ignore => gossipsub::MessageAcceptance::Ignore,
                };
                let topic = self.pending_validation.remove(&id.0);
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&id.0, &peer, acceptance);
                if validity == MessageValidity::Reject {
                    if let (Some(m), Some(t)) = (self.metrics(), topic) {
                        m.gossip(t.label(), "invalid");
                    }
                    self.report(peer, rep::REJECTED_MESSAGE);
                }
            }
            Command::RequestBlocks {
                peer,
                request,
                reply,
            } => {
                if !self.is_ready(&peer) {
                    let _ = reply.send(Err(RequestError::NotConnected));
                    return;
                }
                let id = self
                    .swarm
                    .behaviour_mut()
                    .blocks
                    .send_request(&peer, Incoming::Valid(request));
                self.pending_blocks
                    .insert(id, (request.effective_max(), reply));
            }
            Command::RequestJustification { peer, hash, reply } => {
                if !self.is_ready(&peer) {
                    let _ = reply.send(Err(RequestError::NotConnected));
                    return;
                }
                let id = self
                    .swarm
                    .behaviour_mut()
                    .justifications
                    .send_request(&peer, Incoming::Valid(hash));
                self.pending_justifications.insert(id, reply);
            }
            Command::ReportPeer { peer, change } => self.report(peer, change),
            Command::Peers(reply) => {
                let ps = &self.swarm.behaviour().peerset;
                let peers = self
                    .peers
                    .iter()
                    .filter(|(_, d)| d.announced)
                    .filter_map(|(peer, d)| {
                        let hs = d.handshake?;
                        let conn = ps.connected(peer)?;
                        Some(PeerInfo {
                            peer_id: *peer,
                            role: hs.role,
                            status: hs.status,
                            reputation: ps.reputation(peer),
                            address: conn.address.clone(),
                            inbound: conn.inbound,
                        })
                    })
                    .collect();
                let _ = reply.send(peers);
            }
        }
    }

    fn publish(&mut self, topic: Topic, data: Vec<u8>) {
        let len = data.len();
        let hash = self.topics.topic(topic).hash();
        match self.swarm.behaviour_mut().gossipsub.publish(hash, data) {
            Ok(_) => {
                if let Some(m) = self.metrics() {
                    m.gossip(topic.label(), "sent");
                    m.bytes_out(topic.label(), len);
                }
            }
            Err(gossipsub::PublishError::Duplicate) => {
                tracing::trace!(target: "gossip", "Already published this {} message", topic.label());
            }
            Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => {
                tracing::debug!(target: "gossip", "No peer to send a {} message to", topic.label());
            }
            Err(e) => {
                tracing::warn!(target: "gossip", "Cannot publish a {} message: {e}", topic.label());
            }
        }
    }

    // ------------------------------------------------------------------ swarm events

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
            } => {
                let inbound = endpoint.is_listener();
                if let Some(m) = self.metrics() {
                    m.connection_opened(inbound);
                }
                self.discovery.dial_ended(&peer_id);
                if num_established.get() == 1 {
                    tracing::debug!(
                        target: "network",
                        "Connected to {peer_id} at {} ({})",
                        endpoint.get_remote_address(),
                        if inbound { "inbound" } else { "outbound" }
                    );
                    let now = Instant::now();
                    self.peers.insert(
                        peer_id,
                        PeerData {
                            connected_at: now,
                            handshake: None,
                            announced: false,
                            requests: TokenBucket::new(self.request_rate),
                            gossip: TokenBucket::new(self.gossip_rate),
                        },
                    );
                    let handshake = self.handshake();
                    self.swarm
                        .behaviour_mut()
                        .status
                        .send_request(&peer_id, Incoming::Valid(handshake));
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                endpoint,
                num_established,
                cause,
                ..
            } => {
                if let Some(m) = self.metrics() {
                    m.connection_closed(endpoint.is_listener());
                }
                if num_established == 0 {
                    tracing::trace!(target: "network", "Connection with {peer_id} closed: {cause:?}");
                    self.peer_disconnected(peer_id);
                }
            }
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
    }

    fn on_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Peerset(never) => match never {},
            BehaviourEvent::Limits(never) => match never {},
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                if info.protocol_version != self.names.identify_version {
                    tracing::debug!(
                        target: "network",
                        "{peer_id} speaks {:?}, not {:?}: disconnecting",
                        info.protocol_version,
                        self.names.identify_version
                    );
                    self.report(peer_id, rep::GENESIS_MISMATCH);
                    let _ = self.swarm.disconnect_peer_id(peer_id);
                    return;
                }
                let speaks_kad = info.protocols.iter().any(|p| p.as_ref() == self.names.kad);
                for addr in info.listen_addrs {
                    self.discovery.add(peer_id, addr.clone());
                    if speaks_kad {
                        self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                    }
                }
            }
            BehaviourEvent::Identify(_) => {}
            BehaviourEvent::Ping(ping::Event {
                peer,
                connection,
                result: Err(e @ ping::Failure::Timeout),
            }) => {
                tracing::debug!(target: "network", "Ping of {peer} failed: {e}; closing the connection");
                self.swarm.close_connection(connection);
            }
            BehaviourEvent::Ping(_) => {}
            BehaviourEvent::Kad(kad::Event::RoutingUpdated {
                peer, addresses, ..
            }) => {
                for addr in addresses.iter() {
                    self.discovery.add(peer, addr.clone());
                }
            }
            BehaviourEvent::Kad(event) => {
                tracing::trace!(target: "network", "Kademlia: {event:?}");
            }
            BehaviourEvent::Mdns(mdns::Event::Discovered(list)) => {
                if self.swarm.behaviour().peerset.reserved_only() {
                    return;
                }
                for (peer, addr) in list {
                    if peer != self.local && self.discovery.add(peer, addr.clone()) {
                        tracing::debug!(target: "network", "mDNS discovered {peer} at {addr}");
                    }
                }
            }
            BehaviourEvent::Mdns(mdns::Event::Expired(_)) => {}
            BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            }) => self.on_gossip(propagation_source, message_id, message),
            BehaviourEvent::Gossipsub(gossipsub::Event::GossipsubNotSupported { peer_id }) => {
                // Every node of our chain speaks our gossip protocol.
                tracing::debug!(target: "gossip", "{peer_id} does not speak our gossip protocol");
                let _ = self.swarm.disconnect_peer_id(peer_id);
            }
            BehaviourEvent::Gossipsub(_) => {}
            BehaviourEvent::Status(event) => self.on_status_event(event),
            BehaviourEvent::Blocks(event) => self.on_blocks_event(event),
            BehaviourEvent::Justifications(event) => self.on_justifications_event(event),
        }
    }

    // ------------------------------------------------------------------ gossip

    fn on_gossip(&mut self, source: PeerId, id: gossipsub::MessageId, message: gossipsub::Message) {
        let Some(topic) = self.topics.of(&message.topic) else {
            self.validate(&id, &source, gossipsub::MessageAcceptance::Ignore);
            return;
        };
        if let Some(m) = self.metrics() {
            m.gossip(topic.label(), "received");
            m.bytes_in(topic.label(), message.data.len());
        }
        let now = Instant::now();
        let blocked = self.swarm.behaviour().peerset.is_blocked(&source);
        let allowed = match self.peers.get_mut(&source) {
            Some(p) if p.handshake.is_some() && p.announced && !blocked => {
                if p.gossip.try_take(now) {
                    Ok(())
                } else {
                    Err(true)
                }
            }
            _ => Err(false),
        };
        if let Err(flood) = allowed {
            if let Some(m) = self.metrics() {
                m.gossip(topic.label(), "ignored");
            }
            self.validate(&id, &source, gossipsub::MessageAcceptance::Ignore);
            if flood {
                self.report(source, rep::GOSSIP_FLOOD);
            }
            return;
        }
        let message_id = MessageId(id.clone());
        let event = match topic {
            Topic::BlockAnnounces => match decode_all::<BlockAnnounce>(&message.data) {
                Ok(BlockAnnounce { header, is_best }) => {
                    // The author's best block moved (the forwarder's may not have).
                    if let Some(author) = message.source {
                        self.note_best(&author, &header, is_best);
                    }
                    Ok(NetworkEvent::BlockAnnounce {
                        peer: source,
                        header,
                        is_best,
                        message_id,
                    })
                }
                Err(e) => Err(e),
            },
            Topic::Transactions => match decode_all::<TransactionsMessage>(&message.data) {
                Ok(txs) => Ok(NetworkEvent::Transactions {
                    peer: source,
                    txs,
                    message_id,
                }),
                Err(e) => Err(e),
            },
            Topic::Finality => Ok(NetworkEvent::Finality {
                peer: source,
                data: message.data,
                message_id,
            }),
        };
        match event {
            Ok(event) => {
                self.pending_validation.insert(id, topic);
                if let Some(event) = self.deliver(event) {
                    self.dropped_gossip(event);
                }
            }
            Err(e) => {
                tracing::debug!(
                    target: "gossip",
                    "Undecodable {} message from {source}: {e}",
                    topic.label()
                );
                if let Some(m) = self.metrics() {
                    m.gossip(topic.label(), "invalid");
                }
                self.validate(&id, &source, gossipsub::MessageAcceptance::Reject);
                self.report(source, rep::MALFORMED_MESSAGE);
            }
        }
    }

    fn validate(
        &mut self,
        id: &gossipsub::MessageId,
        source: &PeerId,
        acceptance: gossipsub::MessageAcceptance,
    ) {
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(id, source, acceptance);
    }

    fn note_best(&mut self, peer: &PeerId, header: &Header, is_best: bool) {
        if !is_best {
            return;
        }
        if let Some(hs) = self.peers.get_mut(peer).and_then(|p| p.handshake.as_mut()) {
            if header.number >= hs.status.best_number {
                hs.status.best_number = header.number;
                hs.status.best_hash = header.hash();
            }
        }
    }

    // ------------------------------------------------------------------ requests

    /// Takes a request token from `peer`; refuses (and penalises) a peer over its rate.
    fn admit_request(&mut self, peer: &PeerId, protocol: &'static str) -> bool {
        let now = Instant::now();
        let admitted = self
            .peers
            .get_mut(peer)
            .is_some_and(|p| p.requests.try_take(now));
        if !admitted {
            if let Some(m) = self.metrics() {
                m.request(protocol, true, "refused");
            }
            tracing::debug!(target: "network", "Refusing a {protocol} request of {peer}: over its rate");
            self.report(*peer, rep::TOO_MANY_REQUESTS);
        }
        admitted
    }

    /// Records a peer's handshake; a peer of another chain is banned.
    fn on_handshake(&mut self, peer: PeerId, handshake: Handshake) -> bool {
        if handshake.status.genesis_hash != self.status.genesis_hash {
            tracing::debug!(
                target: "network",
                "{peer} is on another chain (genesis {:?}): disconnecting",
                handshake.status.genesis_hash
            );
            self.report(peer, rep::GENESIS_MISMATCH);
            let _ = self.swarm.disconnect_peer_id(peer);
            return false;
        }
        let Some(data) = self.peers.get_mut(&peer) else {
            return false;
        };
        data.handshake = Some(handshake);
        if !data.announced {
            data.announced = true;
            self.discovery.reset_backoff(&peer);
            tracing::debug!(
                target: "network",
                "Peer {peer} ({}) at #{} ({:?})",
                handshake.role,
                handshake.status.best_number,
                handshake.status.best_hash
            );
            self.deliver(NetworkEvent::PeerConnected {
                peer,
                role: handshake.role,
                status: handshake.status,
            });
            self.update_peer_count();
        }
        true
    }

    fn on_status_event(&mut self, event: request_response::Event<Incoming<Handshake>, Handshake>) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                if let Some(m) = self.metrics() {
                    m.request("status", true, "received");
                }
                if self.swarm.behaviour().peerset.is_blocked(&peer) {
                    // In flight when the peer was blocked: no answer, no penalty.
                    return;
                }
                let request = match request {
                    Incoming::Valid(request) => request,
                    Incoming::Malformed(reason) => {
                        // Dropping the channel closes the stream without an answer.
                        self.malformed_request(peer, "status", &reason);
                        return;
                    }
                };
                if !self.admit_request(&peer, "status") {
                    return;
                }
                if self.on_handshake(peer, request) {
                    let ours = self.handshake();
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .status
                        .send_response(channel, ours);
                }
            }
            request_response::Event::Message {
                peer,
                message: request_response::Message::Response { response, .. },
                ..
            } => {
                if let Some(m) = self.metrics() {
                    m.request("status", false, "ok");
                }
                self.on_handshake(peer, response);
            }
            request_response::Event::OutboundFailure { peer, error, .. } => {
                if let Some(m) = self.metrics() {
                    m.request("status", false, "failed");
                }
                match error {
                    OutboundFailure::UnsupportedProtocols => {
                        // Not a node of our chain (protocol names carry the genesis hash).
                        self.report(peer, rep::GENESIS_MISMATCH);
                        let _ = self.swarm.disconnect_peer_id(peer);
                    }
                    OutboundFailure::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
                        self.report(peer, rep::MALFORMED_MESSAGE);
                        let _ = self.swarm.disconnect_peer_id(peer);
                    }
                    // Without a handshake the peer is dropped at the handshake timeout.
                    e => tracing::debug!(target: "network", "Status request to {peer}: {e}"),
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                self.on_inbound_failure(peer, "status", error)
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn malformed_request(&mut self, peer: PeerId, protocol: &'static str, reason: &str) {
        tracing::debug!(target: "network", "Malformed {protocol} request from {peer}: {reason}");
        if let Some(m) = self.metrics() {
            m.request(protocol, true, "malformed");
        }
        self.report(peer, rep::MALFORMED_MESSAGE);
    }

    fn on_inbound_failure(&mut self, peer: PeerId, protocol: &'static str, error: InboundFailure) {
        if let Some(m) = self.metrics() {
            m.request(protocol, true, "failed");
        }
        match error {
            InboundFailure::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
                tracing::debug!(target: "network", "Bad {protocol} request from {peer}: {e}");
                self.report(peer, rep::MALFORMED_MESSAGE);
            }
            e => tracing::debug!(target: "network", "Inbound {protocol} request from {peer}: {e}"),
        }
    }

    fn outbound_error(
        &mut self,
        peer: PeerId,
        protocol: &'static str,
        e: OutboundFailure,
    ) -> RequestError {
        if let Some(m) = self.metrics() {
            m.request(protocol, false, "failed");
        }
        match e {
            OutboundFailure::DialFailure | OutboundFailure::ConnectionClosed => {
                RequestError::Disconnected
            }
            OutboundFailure::Timeout => {
                self.report(peer, rep::REQUEST_TIMEOUT);
                RequestError::Timeout
            }
            OutboundFailure::UnsupportedProtocols => RequestError::UnsupportedProtocol,
            OutboundFailure::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
                self.report(peer, rep::MALFORMED_MESSAGE);
                RequestError::InvalidResponse(e.to_string())
            }
            OutboundFailure::Io(e) => RequestError::Io(e.to_string()),
        }
    }

    fn on_blocks_event(
        &mut self,
        event: request_response::Event<Incoming<BlockRequest>, BlockResponse>,
    ) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                if let Some(m) = self.metrics() {
                    m.request("blocks", true, "received");
                }
                if self.swarm.behaviour().peerset.is_blocked(&peer) {
                    // In flight when the peer was blocked: no answer, no penalty.
                    return;
                }
                let request = match request {
                    Incoming::Valid(request) => request,
                    Incoming::Malformed(reason) => {
                        // Dropping the channel closes the stream without an answer.
                        self.malformed_request(peer, "blocks", &reason);
                        return;
                    }
                };
                if !self.admit_request(&peer, "blocks") {
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .blocks
                        .send_response(channel, Err(Refusal::TooManyRequests));
                    return;
                }
                if self.serving >= MAX_SERVING {
                    if let Some(m) = self.metrics() {
                        m.request("blocks", true, "busy");
                    }
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .blocks
                        .send_response(channel, Err(Refusal::Busy));
                    return;
                }
                self.serving += 1;
                let chain = self.chain.clone();
                let tx = self.served_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let blocks = std::panic::catch_unwind(AssertUnwindSafe(|| chain.blocks(&request)))
                        .unwrap_or_else(|_| {
                            tracing::error!(target: "network", "ChainProvider::blocks panicked on {request:?}");
                            Vec::new()
                        });
                    let _ = tx.blocking_send(Served::Blocks {
                        peer,
                        channel,
                        max: request.effective_max(),
                        blocks,
                    });
                });
            }
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                let Some((max, reply)) = self.pending_blocks.remove(&request_id) else {
                    return;
                };
                let result = match response {
                    Ok(blocks) if blocks.len() > max as usize => {
                        self.report(peer, rep::MALFORMED_MESSAGE);
                        Err(RequestError::InvalidResponse(format!(
                            "{} blocks for a request of at most {max}",
                            blocks.len()
                        )))
                    }
                    Ok(blocks) => Ok(blocks),
                    Err(refusal) => Err(RequestError::Refused(refusal)),
                };
                if let Some(m) = self.metrics() {
                    m.request(
                        "blocks",
                        false,
                        if result.is_ok() { "ok" } else { "refused" },
                    );
                }
                let _ = reply.send(result);
            }
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                let error = self.outbound_error(peer, "blocks", error);
                if let Some((_, reply)) = self.pending_blocks.remove(&request_id) {
                    let _ = reply.send(Err(error));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                self.on_inbound_failure(peer, "blocks", error)
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn on_justifications_event(
        &mut self,
        event: request_response::Event<Incoming<H256>, JustificationResponse>,
    ) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                if let Some(m) = self.metrics() {
                    m.request("justifications", true, "received");
                }
                if self.swarm.behaviour().peerset.is_blocked(&peer) {
                    // In flight when the peer was blocked: no answer, no penalty.
                    return;
                }
                let request = match request {
                    Incoming::Valid(request) => request,
                    Incoming::Malformed(reason) => {
                        // Dropping the channel closes the stream without an answer.
                        self.malformed_request(peer, "justifications", &reason);
                        return;
                    }
                };
                if !self.admit_request(&peer, "justifications") {
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .justifications
                        .send_response(channel, Err(Refusal::TooManyRequests));
                    return;
                }
                if self.serving >= MAX_SERVING {
                    if let Some(m) = self.metrics() {
                        m.request("justifications", true, "busy");
                    }
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .justifications
                        .send_response(channel, Err(Refusal::Busy));
                    return;
                }
                self.serving += 1;
                let chain = self.chain.clone();
                let tx = self.served_tx.clone();
                tokio::task::spawn_blocking(move || {
                    let justifications =
                        std::panic::catch_unwind(AssertUnwindSafe(|| chain.justification(request)))
                            .unwrap_or_else(|_| {
                                tracing::error!(target: "network", "ChainProvider::justification panicked on {request:?}");
                                None
                            });
                    let _ = tx.blocking_send(Served::Justification {
                        peer,
                        channel,
                        justifications,
                    });
                });
            }
            request_response::Event::Message {
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                if let Some(m) = self.metrics() {
                    m.request(
                        "justifications",
                        false,
                        if response.is_ok() { "ok" } else { "refused" },
                    );
                }
                if let Some(reply) = self.pending_justifications.remove(&request_id) {
                    let _ = reply.send(response.map_err(RequestError::Refused));
                }
            }
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                let error = self.outbound_error(peer, "justifications", error);
                if let Some(reply) = self.pending_justifications.remove(&request_id) {
                    let _ = reply.send(Err(error));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                self.on_inbound_failure(peer, "justifications", error)
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn on_served(&mut self, served: Served) {
        self.serving = self.serving.saturating_sub(1);
        match served {
            Served::Blocks {
                peer,
                channel,
                max,
                mut blocks,
            } => {
                // The provider is ours, but the limits are the protocol's: enforce them here.
                blocks.truncate(max as usize);
                // Result tag and the vector's compact length: at most 6 bytes.
                let mut size = 6 + blocks.iter().map(Encode::encoded_size).sum::<usize>();
                while size > MAX_BLOCK_RESPONSE_SIZE {
                    match blocks.pop() {
                        Some(block) => size -= block.encoded_size(),
                        None => break,
                    }
                }
                let response: BlockResponse = Ok(blocks);
                let sent = self
                    .swarm
                    .behaviour_mut()
                    .blocks
                    .send_response(channel, response)
                    .is_ok();
                if let Some(m) = self.metrics() {
                    m.request("blocks", true, if sent { "served" } else { "failed" });
                }
                if !sent {
                    tracing::debug!(target: "network", "{peer} left before its blocks were ready");
                }
            }
            Served::Justification {
                peer,
                channel,
                justifications,
            } => {
                let mut response: JustificationResponse = Ok(justifications);
                if response.encoded_size() > MAX_JUSTIFICATION_RESPONSE_SIZE {
                    tracing::warn!(target: "network", "Justifications too large to serve to {peer}");
                    response = Ok(None);
                }
                let sent = self
                    .swarm
                    .behaviour_mut()
                    .justifications
                    .send_response(channel, response)
                    .is_ok();
                if let Some(m) = self.metrics() {
                    m.request(
                        "justifications",
                        true,
                        if sent { "served" } else { "failed" },
                    );
                }
            }
        }
    }
}

/// Splits transactions into messages of at most [`MAX_TRANSACTIONS_SIZE`] encoded bytes;
/// a transaction too large for any message is left out.
pub(crate) fn chunk_transactions(txs: Vec<Vec<u8>>) -> Vec<TransactionsMessage> {
    // Room for the vector's length prefix (a compact u32 takes at most 5 bytes).
    const BUDGET: usize = MAX_TRANSACTIONS_SIZE - 5;
    let mut chunks = Vec::new();
    let mut current: TransactionsMessage = Vec::new();
    let mut size = 0usize;
    for tx in txs {
        let tx_size = tx.encoded_size();
        if tx_size > BUDGET {
            tracing::warn!(target: "gossip", "Not gossiping a transaction of {} bytes", tx.len());
            continue;
        }
        if size + tx_size > BUDGET {
            chunks.push(std::mem::take(&mut current));
            size = 0;
        }
        size += tx_size;
        current.push(tx);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transactions_are_chunked_under_the_limit() {
        let tx = vec![7u8; 300 * 1024];
        let chunks = chunk_transactions(vec![tx.clone(); 7]);
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 7);
        assert!(chunks.len() >= 3);
        for chunk in &chunks {
            assert!(chunk.encoded_size() <= MAX_TRANSACTIONS_SIZE);
        }
        // Too large for any message: left out.
        assert!(chunk_transactions(vec![vec![0u8; MAX_TRANSACTIONS_SIZE]]).is_empty());
        assert!(chunk_transactions(Vec::new()).is_empty());
    }
}
