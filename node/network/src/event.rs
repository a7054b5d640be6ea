//! What the network tells the node: [`NetworkEvent`]s, and the types they carry.

use crate::protocol::{CompactBody, Role, Status};
use echonet_runtime::Header;
use libp2p::{Multiaddr, PeerId};

/// Identifies a gossip message for
/// [`NetworkHandle::report_message`](crate::NetworkHandle::report_message).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageId(pub(crate) libp2p::gossipsub::MessageId);

impl MessageId {
    /// A message id made of `bytes`, for code that feeds a node's services
    /// [`NetworkEvent`]s without a network (engine-level tests and tools). Reporting it to a
    /// real network does nothing: no pending message has that id.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Self(libp2p::gossipsub::MessageId::new(&bytes.into()))
    }
}

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
        /// The peer now ready.
        peer: PeerId,
        /// Whether it says it is a validator.
        role: Role,
        /// Its genesis (always ours), best and finalized blocks at the handshake.
        status: Status,
    },
    /// A peer announced by `PeerConnected` is gone.
    PeerDisconnected {
        /// The peer; no connection with it remains (it left, or was banned, blocked or
        /// dropped for a missing handshake).
        peer: PeerId,
    },
    /// A block announcement. `peer` sent it to us (and is accountable for it); report it
    /// with [`NetworkHandle::report_message`](crate::NetworkHandle::report_message).
    BlockAnnounce {
        /// The peer that forwarded the message to us, not necessarily its author.
        peer: PeerId,
        /// The announced block's header (no body: fetch it with a block request).
        header: Header,
        /// Whether the block is its author's new best block.
        is_best: bool,
        /// The block's body in compact form (short ids), when the author sent it so; checked
        /// to describe a block ([`CompactBody::check`]).
        compact: Option<CompactBody>,
        /// For the verdict, which decides whether gossipsub forwards it.
        message_id: MessageId,
    },
    /// Encoded extrinsics to validate; report them with
    /// [`NetworkHandle::report_message`](crate::NetworkHandle::report_message).
    Transactions {
        /// The peer that forwarded the message to us, not necessarily its author.
        peer: PeerId,
        /// SCALE-encoded extrinsics, undecoded: the pool decodes and validates them.
        txs: Vec<Vec<u8>>,
        /// For the verdict, which decides whether gossipsub forwards it.
        message_id: MessageId,
    },
    /// A finality (GRANDPA) message, as the sender's node gossiped it.
    Finality {
        /// The peer that forwarded the message to us, not necessarily its author.
        peer: PeerId,
        /// The message as the finality gadget encoded it; the network never decodes it.
        data: Vec<u8>,
        /// For the verdict, which decides whether gossipsub forwards it.
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
    /// The peer's libp2p id.
    pub peer_id: PeerId,
    /// The role from its handshake.
    pub role: Role,
    /// From its handshake; best block updated by its announcements.
    pub status: Status,
    /// Its current reputation: 0 is neutral, it decays towards 0, and below
    /// [`rep::BANNED_THRESHOLD`](crate::rep::BANNED_THRESHOLD) the peer is banned.
    pub reputation: i32,
    /// The remote address of our first connection with it.
    pub address: Multiaddr,
    /// Whether it dialed us.
    pub inbound: bool,
}
