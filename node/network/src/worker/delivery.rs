//! Handing events to the node over its bounded channel.
//!
//! Two rules shape this: the node must see a peer's `PeerConnected` before any of its
//! messages and its `PeerDisconnected` after them, and a slow node must not make the worker
//! buffer without bound. So connection events wait in order (their number is bounded by
//! the number of peers), while gossip is dropped once the queue is full, and gossipsub is
//! told to ignore it (so it is neither forwarded nor held against the sender).

use super::Worker;
use crate::NetworkEvent;
use libp2p::{gossipsub, PeerId};
use tokio::sync::mpsc;

/// Most gossip events held back (behind connection events) while the node's queue is full.
pub(super) const MAX_HELD_GOSSIP: usize = 1024;

impl Worker {
    /// Hands an event to the node. Connection events are never dropped. Gossip is dropped
    /// (and returned) when the node's queue is full; the caller tells gossipsub to ignore it.
    pub(super) fn deliver(&mut self, event: NetworkEvent) -> Option<NetworkEvent> {
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
    pub(super) fn dropped_gossip(&mut self, event: NetworkEvent) {
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

    pub(super) fn drop_held(&mut self) {
        for event in std::mem::take(&mut self.held) {
            self.dropped_gossip(event);
        }
    }

    /// Tells the node that an announced peer is gone. If the node has not even seen the
    /// peer connect, it need not see it leave: the queued `PeerConnected` and the peer's
    /// queued gossip are withdrawn instead (this keeps `held` bounded by the number of
    /// peers however fast they churn).
    pub(super) fn deliver_disconnected(&mut self, peer: PeerId) {
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
    }
}
