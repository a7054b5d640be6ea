//! Addresses of peers we could dial, where they came from (boot nodes, reserved nodes, mDNS,
//! Kademlia, identify), and when we may dial them again.

use libp2p::{Multiaddr, PeerId};
use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

/// Most peers whose addresses we remember.
const MAX_KNOWN_PEERS: usize = 4096;
/// Most addresses remembered per peer.
const MAX_ADDRESSES_PER_PEER: usize = 8;
/// Dial backoff: 1 s, doubling per attempt that did not end in a handshake, up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Random Kademlia walks start this often and slow down to `MAX_WALK_INTERVAL`.
const FIRST_WALK_INTERVAL: Duration = Duration::from_secs(1);
const MAX_WALK_INTERVAL: Duration = Duration::from_secs(60);

struct Backoff {
    attempts: u32,
    next: Instant,
}

pub(crate) struct Discovery {
    known: HashMap<PeerId, Vec<Multiaddr>>,
    backoff: HashMap<PeerId, Backoff>,
    dialing: HashSet<PeerId>,
    walk_interval: Duration,
    next_walk: Instant,
}

impl Discovery {
    pub(crate) fn new() -> Self {
        Self {
            known: HashMap::new(),
            backoff: HashMap::new(),
            dialing: HashSet::new(),
            walk_interval: FIRST_WALK_INTERVAL,
            next_walk: Instant::now(),
        }
    }

    /// Remembers an address of `peer`; returns whether it is new.
    pub(crate) fn add(&mut self, peer: PeerId, addr: Multiaddr) -> bool {
        if !self.known.contains_key(&peer) && self.known.len() >= MAX_KNOWN_PEERS {
            return false;
        }
        let addrs = self.known.entry(peer).or_default();
        if addrs.contains(&addr) {
            return false;
        }
        if addrs.len() >= MAX_ADDRESSES_PER_PEER {
            addrs.remove(0);
        }
        addrs.push(addr);
        true
    }

    pub(crate) fn addresses(&self, peer: &PeerId) -> Vec<Multiaddr> {
        self.known.get(peer).cloned().unwrap_or_default()
    }

    pub(crate) fn num_known(&self) -> usize {
        self.known.len()
    }

    pub(crate) fn dialing(&self) -> impl Iterator<Item = &PeerId> {
        self.dialing.iter()
    }

    pub(crate) fn is_dialing(&self, peer: &PeerId) -> bool {
        self.dialing.contains(peer)
    }

    pub(crate) fn may_dial(&self, peer: &PeerId, now: Instant) -> bool {
        !self.dialing.contains(peer)
            && self.known.contains_key(peer)
            && self.backoff.get(peer).is_none_or(|b| b.next <= now)
    }

    /// Known peers, in no particular order.
    pub(crate) fn known_peers(&self) -> impl Iterator<Item = &PeerId> {
        self.known.keys()
    }

    /// A dial to `peer` started: it may not be dialed again before its backoff.
    pub(crate) fn dialed(&mut self, peer: PeerId, now: Instant) {
        self.dialing.insert(peer);
        let b = self.backoff.entry(peer).or_insert(Backoff {
            attempts: 0,
            next: now,
        });
        let delay = Duration::from_secs(1u64 << b.attempts.min(6)).min(MAX_BACKOFF);
        b.attempts = b.attempts.saturating_add(1);
        b.next = now + delay;
    }

    /// The dial to `peer` ended (connected or failed).
    pub(crate) fn dial_ended(&mut self, peer: &PeerId) {
        self.dialing.remove(peer);
    }

    /// The peer completed a handshake, or was unblocked: dial it again without waiting.
    pub(crate) fn reset_backoff(&mut self, peer: &PeerId) {
        self.backoff.remove(peer);
    }

    /// Whether a random walk is due; if so, schedules the next one later.
    pub(crate) fn walk_due(&mut self, now: Instant) -> bool {
        if now < self.next_walk {
            return false;
        }
        self.next_walk = now + self.walk_interval;
        self.walk_interval = (self.walk_interval * 2).min(MAX_WALK_INTERVAL);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_resets() {
        let mut d = Discovery::new();
        let peer = PeerId::random();
        let t0 = Instant::now();
        assert!(!d.may_dial(&peer, t0), "unknown peers are not dialed");
        d.add(peer, "/ip4/127.0.0.1/tcp/1".parse().unwrap());
        assert!(d.may_dial(&peer, t0));
        d.dialed(peer, t0);
        assert!(!d.may_dial(&peer, t0), "already dialing");
        d.dial_ended(&peer);
        assert!(!d.may_dial(&peer, t0 + Duration::from_millis(500)));
        assert!(d.may_dial(&peer, t0 + Duration::from_secs(1)));
        d.dialed(peer, t0);
        d.dial_ended(&peer);
        assert!(!d.may_dial(&peer, t0 + Duration::from_secs(1)));
        assert!(d.may_dial(&peer, t0 + Duration::from_secs(2)));
        d.reset_backoff(&peer);
        assert!(d.may_dial(&peer, t0));
    }

    #[test]
    fn addresses_are_bounded() {
        let mut d = Discovery::new();
        let peer = PeerId::random();
        for port in 0..20 {
            d.add(peer, format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap());
        }
        assert_eq!(d.addresses(&peer).len(), MAX_ADDRESSES_PER_PEER);
        assert!(!d.add(peer, "/ip4/127.0.0.1/tcp/19".parse().unwrap()));
    }
}
