//! Peers: connections, the status handshake that makes a peer ready, reputation and bans
//! (through the [`Peerset`](crate::peerset::Peerset) behaviour), blocking, and the list of
//! peers the node asks for.
//!
//! A peer is *ready* once its handshake is recorded and `PeerConnected` is delivered; only
//! then are its gossip and our requests to it let through, so that the node never hears of
//! a peer it was not told about.

use super::{
    requests::{Protocol, RequestBehaviour},
    Worker,
};
use crate::{
    behaviour::Behaviour,
    codec::Incoming,
    peerset::{rep, ReputationChange, TokenBucket},
    protocol::{Handshake, Refusal},
    NetworkEvent, PeerInfo,
};
use libp2p::{
    core::ConnectedPoint,
    request_response::{OutboundFailure, OutboundRequestId, ResponseChannel},
    swarm::ConnectionError,
    PeerId,
};
use std::{
    collections::HashSet,
    io,
    time::{Duration, Instant},
};

/// A peer that has not completed the status handshake by then is disconnected.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What we know of a connected peer beyond the connection itself.
pub(super) struct PeerData {
    connected_at: Instant,
    pub(super) handshake: Option<Handshake>,
    /// `PeerConnected` was (or is queued to be) delivered.
    pub(super) announced: bool,
    pub(super) requests: TokenBucket,
    pub(super) gossip: TokenBucket,
}

/// The status protocol: each side sends its [`Handshake`] as the request and answers with
/// its own, so the first handshake either way makes the peer ready.
pub(super) struct StatusProtocol;

impl Protocol for StatusProtocol {
    type Request = Handshake;
    type Response = Handshake;
    type Codec = crate::codec::ScaleCodec<Self::Request, Self::Response>;
    const LABEL: &'static str = "status";

    fn behaviour(b: &mut Behaviour) -> &mut RequestBehaviour<Self> {
        &mut b.status
    }

    /// A handshake has no refusal: a request over the rate is dropped, which closes the
    /// stream unanswered.
    fn refusal(_: Refusal) -> Option<Handshake> {
        None
    }

    fn answer(
        w: &mut Worker,
        peer: PeerId,
        request: Handshake,
        channel: ResponseChannel<Handshake>,
    ) {
        if w.on_handshake(peer, request) {
            let ours = w.handshake();
            let _ = w.swarm.behaviour_mut().status.send_response(channel, ours);
        }
    }

    fn on_response(w: &mut Worker, peer: PeerId, _: OutboundRequestId, response: Handshake) {
        if let Some(m) = w.metrics() {
            m.request(Self::LABEL, false, "ok");
        }
        w.on_handshake(peer, response);
    }

    fn on_outbound_failure(
        w: &mut Worker,
        peer: PeerId,
        _: OutboundRequestId,
        error: OutboundFailure,
    ) {
        if let Some(m) = w.metrics() {
            m.request(Self::LABEL, false, "failed");
        }
        match error {
            OutboundFailure::UnsupportedProtocols => {
                // Not a node of our chain (protocol names carry the genesis hash).
                w.report(peer, rep::GENESIS_MISMATCH);
                let _ = w.swarm.disconnect_peer_id(peer);
            }
            OutboundFailure::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
                w.report(peer, rep::MALFORMED_MESSAGE);
                let _ = w.swarm.disconnect_peer_id(peer);
            }
            // Without a handshake the peer is dropped at the handshake timeout.
            e => tracing::debug!(target: "network", "Status request to {peer}: {e}"),
        }
    }
}

impl Worker {
    /// Ours, as we send it.
    pub(super) fn handshake(&self) -> Handshake {
        Handshake {
            role: self.role,
            status: self.status,
        }
    }

    /// Whether the node knows the peer (its `PeerConnected` is delivered or queued).
    pub(super) fn is_ready(&self, peer: &PeerId) -> bool {
        self.peers
            .get(peer)
            .is_some_and(|p| p.handshake.is_some() && p.announced)
    }

    /// Applies a reputation change; bans and disconnects a peer that falls below the
    /// threshold.
    pub(super) fn report(&mut self, peer: PeerId, change: ReputationChange) {
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

    /// The ready peers, for [`NetworkHandle::peers`](crate::NetworkHandle::peers).
    pub(super) fn peer_infos(&self) -> Vec<PeerInfo> {
        let ps = &self.swarm.behaviour().peerset;
        self.peers
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
            .collect()
    }

    /// Our first connection with a peer starts its handshake; later ones add nothing.
    pub(super) fn on_connection_established(
        &mut self,
        peer: PeerId,
        endpoint: &ConnectedPoint,
        num_established: u32,
    ) {
        let inbound = endpoint.is_listener();
        if let Some(m) = self.metrics() {
            m.connection_opened(inbound);
        }
        self.discovery.dial_ended(&peer);
        if num_established != 1 {
            return;
        }
        tracing::debug!(
            target: "network",
            "Connected to {peer} at {} ({})",
            endpoint.get_remote_address(),
            if inbound { "inbound" } else { "outbound" }
        );
        self.peers.insert(
            peer,
            PeerData {
                connected_at: Instant::now(),
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
            .send_request(&peer, Incoming::Valid(handshake));
    }

    pub(super) fn on_connection_closed(
        &mut self,
        peer: PeerId,
        inbound: bool,
        num_established: u32,
        cause: Option<ConnectionError>,
    ) {
        if let Some(m) = self.metrics() {
            m.connection_closed(inbound);
        }
        if num_established == 0 {
            tracing::trace!(target: "network", "Connection with {peer} closed: {cause:?}");
            self.peer_disconnected(peer);
        }
    }

    fn peer_disconnected(&mut self, peer: PeerId) {
        let Some(data) = self.peers.remove(&peer) else {
            return;
        };
        if !data.announced {
            return;
        }
        self.deliver_disconnected(peer);
        tracing::debug!(target: "network", "Peer {peer} disconnected");
        self.update_peer_count();
    }

    fn update_peer_count(&self) {
        if let Some(m) = self.metrics() {
            m.set_peers(self.peers.values().filter(|p| p.announced).count());
        }
    }

    /// Records a peer's handshake; a peer of another chain is banned. Returns whether the
    /// peer is (still) ours to answer.
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

    /// The peer-set side of the worker's tick: bans lifted, refusals counted, peers without
    /// a handshake dropped, free slots dialed.
    pub(super) fn maintain_peers(&mut self, now: Instant) {
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
    }

    pub(super) fn on_blocked(&mut self, blocked: HashSet<PeerId>) {
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
}
