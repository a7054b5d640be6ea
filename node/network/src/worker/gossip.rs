//! Gossip: the three gossipsub topics (block announces, transactions, finality messages),
//! what we publish on them, and what we receive.
//!
//! Gossipsub runs with `validate_messages`: a received message is forwarded only once the
//! node has judged it ([`NetworkHandle::report_message`](crate::NetworkHandle::report_message)),
//! so that a node never relays what it would not accept. The network judges only what the
//! node cannot: messages from peers that are not ready, floods, and undecodable bytes.

use super::Worker;
use crate::{
    peerset::rep,
    protocol::{
        decode_all, BlockAnnounce, CompactBody, ProtocolNames, TransactionsMessage,
        MAX_BLOCK_ANNOUNCE_SIZE, MAX_FINALITY_SIZE, MAX_TRANSACTIONS_SIZE,
    },
    MessageId, MessageValidity, NetworkEvent,
};
use codec::Encode;
use echonet_runtime::Header;
use libp2p::{
    gossipsub::{self, IdentTopic, TopicHash},
    PeerId,
};
use schnellru::{ByLength, LruMap};
use std::time::Instant;

/// Gossip messages awaiting the node's verdict that we remember the topic of.
const MAX_PENDING_VALIDATION: u32 = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Topic {
    BlockAnnounces,
    Transactions,
    Finality,
}

impl Topic {
    /// The topic in logs and in the `topic` label of metrics.
    pub(super) fn label(self) -> &'static str {
        match self {
            Topic::BlockAnnounces => "block-announces",
            Topic::Transactions => "transactions",
            Topic::Finality => "finality",
        }
    }
}

/// Our chain's topics (their names carry the genesis hash).
pub(super) struct Topics {
    announces: IdentTopic,
    transactions: IdentTopic,
    finality: IdentTopic,
}

impl Topics {
    pub(super) fn new(names: &ProtocolNames) -> Self {
        Self {
            announces: IdentTopic::new(names.block_announces_topic.clone()),
            transactions: IdentTopic::new(names.transactions_topic.clone()),
            finality: IdentTopic::new(names.finality_topic.clone()),
        }
    }

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

/// The worker's memory of messages awaiting the node's verdict. Bounded: a verdict that
/// never comes must not keep its entry.
pub(super) fn pending_validation() -> LruMap<gossipsub::MessageId, Topic> {
    LruMap::new(ByLength::new(MAX_PENDING_VALIDATION))
}

impl Worker {
    /// Announces a block; a best block also moves our status forward at once, so that the
    /// handshakes we send do not wait for the next status refresh.
    pub(super) fn announce_block(
        &mut self,
        header: Header,
        is_best: bool,
        compact: Option<CompactBody>,
    ) {
        if is_best && header.number >= self.status.best_number {
            self.status.best_number = header.number;
            self.status.best_hash = header.hash();
        }
        let mut announce = BlockAnnounce {
            header,
            is_best,
            compact,
        };
        let mut message = announce.encode();
        if message.len() > MAX_BLOCK_ANNOUNCE_SIZE && announce.compact.is_some() {
            tracing::debug!(
                target: "gossip",
                "Announcing #{} by its header alone: its compact form is {} bytes",
                announce.header.number,
                message.len()
            );
            announce.compact = None;
            message = announce.encode();
        }
        let relay_kind = if announce.compact.is_some() {
            "compact-announce"
        } else {
            "announce"
        };
        if message.len() > MAX_BLOCK_ANNOUNCE_SIZE {
            tracing::warn!(
                target: "gossip",
                "Not announcing a block: its header is {} bytes",
                message.len()
            );
            return;
        }
        let len = message.len();
        if self.publish(Topic::BlockAnnounces, message) {
            if let Some(m) = self.metrics() {
                m.relay_bytes(false, relay_kind, len);
            }
        }
    }

    pub(super) fn propagate_transactions(&mut self, txs: Vec<Vec<u8>>) {
        for chunk in chunk_transactions(txs) {
            let _ = self.publish(Topic::Transactions, chunk.encode());
        }
    }

    pub(super) fn gossip_finality(&mut self, data: Vec<u8>) {
        if data.len() > MAX_FINALITY_SIZE {
            tracing::warn!(
                target: "gossip",
                "Not gossiping a finality message of {} bytes",
                data.len()
            );
            return;
        }
        let _ = self.publish(Topic::Finality, data);
    }

    /// The node's verdict on a message: gossipsub forwards or drops it, and a rejected
    /// message costs the peer that sent it.
    pub(super) fn report_message(
        &mut self,
        id: MessageId,
        peer: PeerId,
        validity: MessageValidity,
    ) {
        let acceptance = match validity {
            MessageValidity::Accept => gossipsub::MessageAcceptance::Accept,
            MessageValidity::Reject => gossipsub::MessageAcceptance::Reject,
            MessageValidity::Ignore => gossipsub::MessageAcceptance::Ignore,
        };
        let topic = self.pending_validation.remove(&id.0);
        self.validate(&id.0, &peer, acceptance);
        if validity == MessageValidity::Reject {
            if let (Some(m), Some(t)) = (self.metrics(), topic) {
                m.gossip(t.label(), "invalid");
            }
            self.report(peer, rep::REJECTED_MESSAGE);
        }
    }

    /// Publishes `data` on `topic`; whether it went out.
    fn publish(&mut self, topic: Topic, data: Vec<u8>) -> bool {
        let len = data.len();
        let hash = self.topics.topic(topic).hash();
        match self.swarm.behaviour_mut().gossipsub.publish(hash, data) {
            Ok(_) => {
                if let Some(m) = self.metrics() {
                    m.gossip(topic.label(), "sent");
                    m.bytes_out(topic.label(), len);
                }
                return true;
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
        false
    }

    pub(super) fn on_gossipsub(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => self.on_gossip(propagation_source, message_id, message),
            gossipsub::Event::GossipsubNotSupported { peer_id } => {
                // Every node of our chain speaks our gossip protocol.
                tracing::debug!(target: "gossip", "{peer_id} does not speak our gossip protocol");
                let _ = self.swarm.disconnect_peer_id(peer_id);
            }
            _ => {}
        }
    }

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
                Ok(BlockAnnounce {
                    header,
                    is_best,
                    compact,
                }) => match compact.as_ref().map(CompactBody::check).transpose() {
                    Err(e) => Err(format!("invalid compact body: {e}")),
                    Ok(_) => {
                        if let Some(m) = self.metrics() {
                            let kind = if compact.is_some() {
                                "compact-announce"
                            } else {
                                "announce"
                            };
                            m.relay_bytes(true, kind, message.data.len());
                        }
                        // The author's best block moved (the forwarder's may not have).
                        if let Some(author) = message.source {
                            self.note_best(&author, &header, is_best);
                        }
                        Ok(NetworkEvent::BlockAnnounce {
                            peer: source,
                            header,
                            is_best,
                            compact,
                            message_id,
                        })
                    }
                },
                Err(e) => Err(e.to_string()),
            },
            Topic::Transactions => match decode_all::<TransactionsMessage>(&message.data) {
                Ok(txs) => Ok(NetworkEvent::Transactions {
                    peer: source,
                    txs,
                    message_id,
                }),
                Err(e) => Err(e.to_string()),
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
}

/// Splits transactions into messages of at most [`MAX_TRANSACTIONS_SIZE`] encoded bytes;
/// a transaction too large for any message is left out.
fn chunk_transactions(txs: Vec<Vec<u8>>) -> Vec<TransactionsMessage> {
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
