//! Who we stay connected to: connection slots, reserved peers, reputation, bans and the
//! test switch that blocks peers. [`Peerset`] is a `NetworkBehaviour` that owns no
//! protocol; it only accepts or denies connections, and keeps the accepted ones open until
//! the worker closes them (so a peer is a connection we chose to keep, not one that a
//! protocol happens to be using).

use crate::config::RateLimit;
use libp2p::{
    core::{transport::PortUse, upgrade::DeniedUpgrade, Endpoint},
    swarm::{
        handler::ConnectionEvent, ConnectionDenied, ConnectionHandler, ConnectionHandlerEvent,
        ConnectionId, FromSwarm, NetworkBehaviour, SubstreamProtocol, THandler, THandlerInEvent,
        THandlerOutEvent, ToSwarm,
    },
    Multiaddr, PeerId,
};
use std::{
    collections::{HashMap, HashSet},
    convert::Infallible,
    task::{Context, Poll},
    time::{Duration, Instant},
};

/// A change of a peer's reputation, reported by the node or applied by the network itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReputationChange {
    /// Added to the peer's reputation (saturating); negative for misbehaviour.
    pub value: i32,
    /// Why, for logs and the `echonet_network_reputation_changes_total{reason}` metric.
    pub reason: &'static str,
}

impl ReputationChange {
    /// A change of `value`, labelled `reason` in logs and metrics.
    pub const fn new(value: i32, reason: &'static str) -> Self {
        Self { value, reason }
    }

    /// A change that bans the peer at once.
    pub const fn new_fatal(reason: &'static str) -> Self {
        Self {
            value: i32::MIN,
            reason,
        }
    }
}

/// Reputation values. A peer starts at 0; its reputation decays towards 0 by 2% a second;
/// below [`BANNED_THRESHOLD`](rep::BANNED_THRESHOLD) it is disconnected and banned. The values
/// are Substrate's where Substrate has one.
pub mod rep {
    use super::ReputationChange as Rep;

    /// Below this a peer is disconnected and banned (Substrate's value).
    pub const BANNED_THRESHOLD: i32 = 71 * (i32::MIN / 100);

    // Reported by the node.
    /// A block that failed verification or import.
    pub const BAD_BLOCK: Rep = Rep::new(-(1 << 29), "bad block");
    /// A justification that failed verification.
    pub const BAD_JUSTIFICATION: Rep = Rep::new(-(1 << 16), "bad justification");
    /// A finality message (vote, commit) with a bad signature or from a non-voter.
    pub const BAD_FINALITY_MESSAGE: Rep = Rep::new(-(1 << 12), "bad finality message");
    /// An invalid transaction.
    pub const BAD_TRANSACTION: Rep = Rep::new(-(1 << 12), "bad transaction");
    /// One transaction of a message that held no valid transaction (e.g. a well-signed
    /// transfer from an account that cannot pay): charged per transaction, so that a
    /// peer pays for the validations it costs.
    pub const NO_VALID_TRANSACTION: Rep = Rep::new(-(1 << 14), "no valid transaction");
    /// A transaction that was new and valid.
    pub const GOOD_TRANSACTION: Rep = Rep::new(1 << 7, "good transaction");
    /// A block that was new and imported.
    pub const GOOD_BLOCK: Rep = Rep::new(1 << 8, "good block");
    /// Data that was not asked for or not useful, in volume.
    pub const SPAM: Rep = Rep::new(-(1 << 16), "spam");

    // Applied by the network itself.
    /// A peer of another chain (handshake or identify with another genesis).
    pub const GENESIS_MISMATCH: Rep = Rep::new_fatal("genesis mismatch");
    /// An undecodable or oversized message or request: honest nodes never send one.
    pub const MALFORMED_MESSAGE: Rep = Rep::new(-(1 << 24), "malformed message");
    /// An inbound request over the peer's request rate (the request is refused).
    pub const TOO_MANY_REQUESTS: Rep = Rep::new(-(1 << 20), "too many requests");
    /// A gossip message over the peer's gossip rate (the message is ignored).
    pub const GOSSIP_FLOOD: Rep = Rep::new(-(1 << 16), "gossip flood");
    /// A gossip message the node rejected (on top of the node's own report).
    pub const REJECTED_MESSAGE: Rep = Rep::new(-(1 << 12), "rejected gossip message");
    /// No status handshake in time.
    pub const HANDSHAKE_TIMEOUT: Rep = Rep::new(-(1 << 10), "no handshake");
    /// A request of ours that the peer did not answer in time.
    pub const REQUEST_TIMEOUT: Rep = Rep::new(-(1 << 10), "request timeout");
}

/// Most reputations kept for peers we are not connected to.
const MAX_REMEMBERED: usize = 8192;
/// Most connections to one peer (two, so that simultaneous dials in both directions do
/// not end up closing both).
const MAX_CONNECTIONS_PER_PEER: usize = 2;

#[derive(Debug, thiserror::Error)]
#[error("connection refused: {0}")]
pub(crate) struct Denied(pub(crate) &'static str);

#[derive(Debug, Clone)]
pub(crate) struct Connected {
    pub(crate) inbound: bool,
    pub(crate) connections: usize,
    pub(crate) address: Multiaddr,
}

pub(crate) struct PeersetConfig {
    pub(crate) reserved: HashSet<PeerId>,
    pub(crate) reserved_only: bool,
    pub(crate) in_peers: usize,
    pub(crate) out_peers: usize,
    pub(crate) ban_duration: Duration,
}

pub(crate) struct Peerset {
    config: PeersetConfig,
    blocked: HashSet<PeerId>,
    connected: HashMap<PeerId, Connected>,
    reputations: HashMap<PeerId, i32>,
    bans: HashMap<PeerId, Instant>,
    last_decay: Instant,
    /// Reasons of connections denied since the worker last looked (for metrics and logs).
    denials: Vec<(Option<PeerId>, &'static str)>,
}

impl Peerset {
    pub(crate) fn new(config: PeersetConfig) -> Self {
        Self {
            config,
            blocked: HashSet::new(),
            connected: HashMap::new(),
            reputations: HashMap::new(),
            bans: HashMap::new(),
            last_decay: Instant::now(),
            denials: Vec::new(),
        }
    }

    pub(crate) fn is_reserved(&self, peer: &PeerId) -> bool {
        self.config.reserved.contains(peer)
    }

    pub(crate) fn reserved(&self) -> impl Iterator<Item = &PeerId> {
        self.config.reserved.iter()
    }

    pub(crate) fn reserved_only(&self) -> bool {
        self.config.reserved_only
    }

    pub(crate) fn is_blocked(&self, peer: &PeerId) -> bool {
        self.blocked.contains(peer)
    }

    /// Replaces the blocked set; returns the peers that are no longer blocked.
    pub(crate) fn set_blocked(&mut self, blocked: HashSet<PeerId>) -> Vec<PeerId> {
        let unblocked = self.blocked.difference(&blocked).copied().collect();
        self.blocked = blocked;
        unblocked
    }

    pub(crate) fn is_banned(&self, peer: &PeerId) -> bool {
        self.bans.contains_key(peer)
    }

    pub(crate) fn reputation(&self, peer: &PeerId) -> i32 {
        self.reputations.get(peer).copied().unwrap_or(0)
    }

    pub(crate) fn connected(&self, peer: &PeerId) -> Option<&Connected> {
        self.connected.get(peer)
    }

    /// Outbound slots still free (reserved peers take none).
    pub(crate) fn free_out_slots(&self, dialing: usize) -> usize {
        let used = self
            .connected
            .iter()
            .filter(|(p, c)| !c.inbound && !self.is_reserved(p))
            .count();
        self.config.out_peers.saturating_sub(used + dialing)
    }

    /// Applies a reputation change; returns `true` if it got the peer banned just now.
    pub(crate) fn report(&mut self, peer: PeerId, change: ReputationChange) -> bool {
        let rep = self.reputations.entry(peer).or_insert(0);
        *rep = rep.saturating_add(change.value);
        if *rep < rep::BANNED_THRESHOLD && !self.bans.contains_key(&peer) {
            self.bans
                .insert(peer, Instant::now() + self.config.ban_duration);
            return true;
        }
        false
    }

    /// Decays reputations towards zero (2% a second), lifts expired bans (the peer starts
    /// again from 0) and forgets disconnected peers with nothing to remember. Returns the
    /// peers whose ban was lifted.
    pub(crate) fn tick(&mut self, now: Instant) -> Vec<PeerId> {
        let secs = now.saturating_duration_since(self.last_decay).as_secs();
        if secs > 0 {
            self.last_decay += Duration::from_secs(secs);
            for rep in self.reputations.values_mut() {
                for _ in 0..secs.min(600) {
                    *rep = decay(*rep);
                }
            }
        }
        let lifted: Vec<PeerId> = self
            .bans
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(p, _)| *p)
            .collect();
        for peer in &lifted {
            self.bans.remove(peer);
            self.reputations.insert(*peer, 0);
        }
        let connected = &self.connected;
        let bans = &self.bans;
        self.reputations
            .retain(|p, rep| *rep != 0 || connected.contains_key(p) || bans.contains_key(p));
        if self.reputations.len() > MAX_REMEMBERED {
            // Forget the mildest reputations of peers we are not connected to.
            let mut forgettable: Vec<(i32, PeerId)> = self
                .reputations
                .iter()
                .filter(|(p, _)| !connected.contains_key(p) && !bans.contains_key(p))
                .map(|(p, r)| (r.saturating_abs(), *p))
                .collect();
            forgettable.sort_unstable();
            let excess = self.reputations.len() - MAX_REMEMBERED;
            for (_, p) in forgettable.into_iter().take(excess) {
                self.reputations.remove(&p);
            }
        }
        lifted
    }

    pub(crate) fn take_denials(&mut self) -> Vec<(Option<PeerId>, &'static str)> {
        std::mem::take(&mut self.denials)
    }

    fn deny(&mut self, peer: Option<PeerId>, reason: &'static str) -> ConnectionDenied {
        if self.denials.len() < 1024 {
            self.denials.push((peer, reason));
        }
        ConnectionDenied::new(Denied(reason))
    }

    /// Whether a connection with `peer` may be opened (`inbound`: they dialed us).
    fn check(&mut self, peer: PeerId, inbound: bool) -> Result<(), ConnectionDenied> {
        if self.blocked.contains(&peer) {
            return Err(self.deny(Some(peer), "blocked"));
        }
        if self.bans.contains_key(&peer) {
            return Err(self.deny(Some(peer), "banned"));
        }
        if let Some(c) = self.connected.get(&peer) {
            if c.connections >= MAX_CONNECTIONS_PER_PEER {
                return Err(self.deny(Some(peer), "too_many_connections"));
            }
            return Ok(());
        }
        if self.is_reserved(&peer) {
            return Ok(());
        }
        if self.config.reserved_only {
            return Err(self.deny(Some(peer), "reserved_only"));
        }
        let (used, limit, reason) = {
            let used = self
                .connected
                .iter()
                .filter(|(p, c)| c.inbound == inbound && !self.is_reserved(p))
                .count();
            if inbound {
                (used, self.config.in_peers, "in_slots_full")
            } else {
                (used, self.config.out_peers, "out_slots_full")
            }
        };
        if used >= limit {
            return Err(self.deny(Some(peer), reason));
        }
        Ok(())
    }
}

fn decay(rep: i32) -> i32 {
    let diff = match rep / 50 {
        0 => rep.signum(),
        d => d,
    };
    rep.saturating_sub(diff)
}

impl NetworkBehaviour for Peerset {
    type ConnectionHandler = KeepAlive;
    type ToSwarm = Infallible;

    fn handle_pending_outbound_connection(
        &mut self,
        _: ConnectionId,
        peer: Option<PeerId>,
        _: &[Multiaddr],
        _: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        // Other behaviours (Kademlia queries) dial too: never towards a peer we refuse.
        if let Some(peer) = peer {
            if self.blocked.contains(&peer) {
                return Err(self.deny(Some(peer), "blocked"));
            }
            if self.bans.contains_key(&peer) {
                return Err(self.deny(Some(peer), "banned"));
            }
            if self.config.reserved_only && !self.is_reserved(&peer) {
                return Err(self.deny(Some(peer), "reserved_only"));
            }
        }
        Ok(Vec::new())
    }

    fn handle_established_inbound_connection(
        &mut self,
        _: ConnectionId,
        peer: PeerId,
        _: &Multiaddr,
        _: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.check(peer, true)?;
        Ok(KeepAlive)
    }

    fn handle_established_outbound_connection(
        &mut self,
        _: ConnectionId,
        peer: PeerId,
        _: &Multiaddr,
        _: Endpoint,
        _: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.check(peer, false)?;
        Ok(KeepAlive)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::ConnectionEstablished(e) => {
                let entry = self.connected.entry(e.peer_id).or_insert(Connected {
                    inbound: e.endpoint.is_listener(),
                    connections: 0,
                    address: e.endpoint.get_remote_address().clone(),
                });
                entry.connections += 1;
            }
            FromSwarm::ConnectionClosed(e) => {
                if e.remaining_established == 0 {
                    self.connected.remove(&e.peer_id);
                } else if let Some(c) = self.connected.get_mut(&e.peer_id) {
                    c.connections = c.connections.saturating_sub(1);
                }
            }
            _ => {}
        }
    }

    fn on_connection_handler_event(
        &mut self,
        _: PeerId,
        _: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {}
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Infallible, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

/// Keeps an accepted connection open; it speaks no protocol of its own.
pub(crate) struct KeepAlive;

impl ConnectionHandler for KeepAlive {
    type FromBehaviour = Infallible;
    type ToBehaviour = Infallible;
    type InboundProtocol = DeniedUpgrade;
    type OutboundProtocol = DeniedUpgrade;
    type InboundOpenInfo = ();
    type OutboundOpenInfo = ();

    fn listen_protocol(&self) -> SubstreamProtocol<DeniedUpgrade> {
        SubstreamProtocol::new(DeniedUpgrade, ())
    }

    fn connection_keep_alive(&self) -> bool {
        true
    }

    fn poll(
        &mut self,
        _: &mut Context<'_>,
    ) -> Poll<ConnectionHandlerEvent<DeniedUpgrade, (), Infallible>> {
        Poll::Pending
    }

    fn on_behaviour_event(&mut self, event: Infallible) {
        match event {}
    }

    fn on_connection_event(&mut self, _: ConnectionEvent<DeniedUpgrade, DeniedUpgrade>) {}
}

/// A token bucket: `burst` tokens, refilled at `per_second`.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    limit: RateLimit,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            tokens: limit.burst as f64,
            last: Instant::now(),
        }
    }

    /// Takes a token if there is one.
    pub(crate) fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens =
            (self.tokens + elapsed * self.limit.per_second as f64).min(self.limit.burst as f64);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peerset(in_peers: usize, out_peers: usize) -> Peerset {
        Peerset::new(PeersetConfig {
            reserved: HashSet::new(),
            reserved_only: false,
            in_peers,
            out_peers,
            ban_duration: Duration::from_secs(10),
        })
    }

    #[test]
    fn reputation_bans_below_threshold_and_the_ban_expires() {
        let mut ps = peerset(1, 1);
        let peer = PeerId::random();
        assert!(!ps.report(peer, rep::MALFORMED_MESSAGE));
        assert!(ps.reputation(&peer) < 0);
        assert!(ps.report(peer, rep::GENESIS_MISMATCH));
        assert!(ps.is_banned(&peer));
        // Already banned: not banned "again".
        assert!(!ps.report(peer, rep::BAD_BLOCK));
        assert!(ps.check(peer, true).is_err());
        let lifted = ps.tick(Instant::now() + Duration::from_secs(11));
        assert_eq!(lifted, vec![peer]);
        assert!(!ps.is_banned(&peer));
        assert_eq!(ps.reputation(&peer), 0);
        assert!(ps.check(peer, true).is_ok());
    }

    #[test]
    fn reputation_decays_towards_zero() {
        assert_eq!(decay(-100), -98);
        assert_eq!(decay(-3), -2);
        assert_eq!(decay(3), 2);
        assert_eq!(decay(0), 0);
        assert_eq!(decay(i32::MIN), i32::MIN - i32::MIN / 50);
    }

    #[test]
    fn slots_blocked_and_reserved() {
        let reserved = PeerId::random();
        let mut ps = Peerset::new(PeersetConfig {
            reserved: [reserved].into(),
            reserved_only: false,
            in_peers: 0,
            out_peers: 0,
            ban_duration: Duration::from_secs(10),
        });
        let other = PeerId::random();
        assert!(ps.check(other, true).is_err());
        assert!(ps.check(other, false).is_err());
        assert!(ps.check(reserved, true).is_ok());
        ps.set_blocked([reserved].into());
        assert!(ps.check(reserved, true).is_err());
        assert_eq!(ps.set_blocked(HashSet::new()), vec![reserved]);
        let denials: Vec<_> = ps.take_denials().into_iter().map(|(_, r)| r).collect();
        assert_eq!(denials, vec!["in_slots_full", "out_slots_full", "blocked"]);
    }

    #[test]
    fn token_bucket_refills() {
        let mut b = TokenBucket::new(RateLimit {
            per_second: 2,
            burst: 2,
        });
        let t0 = Instant::now();
        assert!(b.try_take(t0));
        assert!(b.try_take(t0));
        assert!(!b.try_take(t0));
        assert!(b.try_take(t0 + Duration::from_millis(600)));
    }
}
