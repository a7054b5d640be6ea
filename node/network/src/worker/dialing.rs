//! Finding peers and keeping the outbound slots filled: addresses learnt from identify,
//! Kademlia and mDNS go into the address book ([`Discovery`](crate::discovery::Discovery)),
//! from which the tick dials reserved peers and known peers while slots are free, with a
//! per-peer backoff. Identify also tells us early that a peer is of another chain, and ping
//! closes connections that stopped answering.

use super::Worker;
use crate::peerset::rep;
use libp2p::{
    identify, kad, mdns, ping,
    swarm::dial_opts::{DialOpts, PeerCondition},
    PeerId,
};
use std::time::Instant;

impl Worker {
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
    pub(super) fn dial_peers(&mut self, now: Instant) {
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

    pub(super) fn update_discovery_metrics(&mut self) {
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

    pub(super) fn on_identify(&mut self, event: identify::Event) {
        let identify::Event::Received { peer_id, info, .. } = event else {
            return;
        };
        // The protocol version carries the genesis hash: the earliest sign of another chain.
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

    pub(super) fn on_ping(&mut self, event: ping::Event) {
        if let ping::Event {
            peer,
            connection,
            result: Err(e @ ping::Failure::Timeout),
        } = event
        {
            tracing::debug!(target: "network", "Ping of {peer} failed: {e}; closing the connection");
            self.swarm.close_connection(connection);
        }
    }

    pub(super) fn on_kad(&mut self, event: kad::Event) {
        match event {
            kad::Event::RoutingUpdated {
                peer, addresses, ..
            } => {
                for addr in addresses.iter() {
                    self.discovery.add(peer, addr.clone());
                }
            }
            kad::Event::InboundRequest {
                request:
                    kad::InboundRequest::AddProvider {
                        record: Some(record),
                    },
            } => self.on_provider_record(record),
            kad::Event::OutboundQueryProgressed {
                id, result, step, ..
            } => self.on_kad_query(id, result, step.last),
            event => tracing::trace!(target: "network", "Kademlia: {event:?}"),
        }
    }

    pub(super) fn on_mdns(&mut self, event: mdns::Event) {
        let mdns::Event::Discovered(list) = event else {
            return;
        };
        if self.swarm.behaviour().peerset.reserved_only() {
            return;
        }
        for (peer, addr) in list {
            if peer != self.local && self.discovery.add(peer, addr.clone()) {
                tracing::debug!(target: "network", "mDNS discovered {peer} at {addr}");
            }
        }
    }
}
