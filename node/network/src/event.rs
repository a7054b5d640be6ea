//! What the network tells the node: [`NetworkEvent`]s, and the types they carry.

use crate::protocol::{Role, Status};
use echonet_runtime::Header;
use libp2p::{Multiaddr, PeerId};

/// Identifies a gossip message for
/// [`NetworkHandle::report_message`](crate::NetworkHandle::report_message).
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
    /// with [`NetworkHandle::report_message`](crate::NetworkHandle::report_message).
    BlockAnnounce {
        peer: PeerId,
        header: Header,
        is_best: bool,
        message_id: MessageId,
    },
    /// Encoded extrinsics to validate; report them with
    /// [`NetworkHandle::report_message`](crate::NetworkHandle::report_message).
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
