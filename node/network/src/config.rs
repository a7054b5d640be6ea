//! The network's configuration, filled by the node from its CLI. Defaults are Substrate's.

use crate::protocol::Role;
use libp2p::{identity::Keypair, multiaddr::Protocol, Multiaddr, PeerId};
use sp_core::H256;
use std::time::Duration;

/// A rate: `per_second` on average, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Tokens refilled per second: the sustained rate.
    pub per_second: u32,
    /// Bucket size: how many may come at once after a quiet spell.
    pub burst: u32,
}

/// Everything the network needs to start.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// Namespaces every protocol name and topic: nodes of other chains are never peers.
    pub genesis_hash: H256,
    /// The node's identity (`<base>/chains/<id>/network/secret_ed25519`).
    pub keypair: Keypair,
    /// Where to listen, e.g. `/ip4/0.0.0.0/tcp/30333`.
    pub listen_addresses: Vec<Multiaddr>,
    /// Addresses to advertise besides the listen addresses (e.g. behind NAT).
    pub public_addresses: Vec<Multiaddr>,
    /// Where discovery starts: multiaddrs ending in `/p2p/<peer id>`.
    pub boot_nodes: Vec<Multiaddr>,
    /// Peers always kept connected and exempt from the slot limits
    /// (multiaddrs ending in `/p2p/<peer id>`).
    pub reserved_nodes: Vec<Multiaddr>,
    /// Refuse every peer that is not reserved.
    pub reserved_only: bool,
    /// Most peers that dialed us (reserved peers not counted).
    pub in_peers: u32,
    /// Most peers we dialed (reserved peers not counted).
    pub out_peers: u32,
    /// Discover peers on the local network (dev and local chains).
    pub enable_mdns: bool,
    /// What our handshake announces; peers only show it (logs, `system_peers`).
    pub role: Role,
    /// Shown to peers in identify's agent version.
    pub node_name: String,
    /// How long a peer whose reputation fell below the threshold stays banned.
    pub ban_duration: Duration,
    /// Per-peer rate of inbound requests (all request protocols together). A request over
    /// the rate is refused and costs the peer reputation.
    pub request_rate: RateLimit,
    /// Per-peer rate of gossip messages received from a peer. A message over the rate is
    /// ignored (not delivered, not forwarded) and costs the peer reputation.
    pub gossip_rate: RateLimit,
}

impl NetworkConfig {
    /// A configuration with Substrate's defaults that listens on `/ip4/0.0.0.0/tcp/30333`.
    pub fn new(genesis_hash: H256, keypair: Keypair) -> Self {
        Self {
            genesis_hash,
            keypair,
            listen_addresses: vec!["/ip4/0.0.0.0/tcp/30333"
                .parse()
                .expect("a valid multiaddr literal")],
            public_addresses: Vec::new(),
            boot_nodes: Vec::new(),
            reserved_nodes: Vec::new(),
            reserved_only: false,
            in_peers: 32,
            out_peers: 8,
            enable_mdns: false,
            role: Role::Full,
            node_name: "echonet".into(),
            ban_duration: Duration::from_secs(60),
            request_rate: RateLimit {
                per_second: 20,
                burst: 50,
            },
            gossip_rate: RateLimit {
                per_second: 500,
                burst: 2000,
            },
        }
    }
}

/// The peer id at the end of a multiaddr (`.../p2p/<id>`).
pub fn peer_id_of(addr: &Multiaddr) -> Option<PeerId> {
    match addr.iter().last() {
        Some(Protocol::P2p(peer)) => Some(peer),
        _ => None,
    }
}

/// A multiaddr without its trailing `/p2p/<id>`.
pub(crate) fn strip_peer_id(addr: &Multiaddr) -> Multiaddr {
    let mut addr = addr.clone();
    if let Some(Protocol::P2p(_)) = addr.iter().last() {
        addr.pop();
    }
    addr
}
