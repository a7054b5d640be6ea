//! The network's errors: why it could not start, and why a request failed.

use crate::protocol::Refusal;
use libp2p::Multiaddr;
use sp_core::H256;

/// Why a request to a peer failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The peer is not connected or has not completed the status handshake; nothing was
    /// sent.
    #[error("peer not connected")]
    NotConnected,
    /// The peer answered with a refusal instead of data; [`Refusal::Busy`] is worth
    /// retrying elsewhere.
    #[error("the peer refused: {0}")]
    Refused(Refusal),
    /// No answer within the protocol's timeout (20 s for blocks, 10 s for
    /// justifications); the peer lost [`rep::REQUEST_TIMEOUT`](crate::rep::REQUEST_TIMEOUT).
    #[error("no answer in time")]
    Timeout,
    /// The connection closed (or could not be dialed) before the answer came.
    #[error("the peer disconnected")]
    Disconnected,
    /// The peer does not speak this request protocol (e.g. another chain's names).
    #[error("the peer does not support the protocol")]
    UnsupportedProtocol,
    /// The answer was undecodable, over the size limit, or held more blocks than asked
    /// for; the peer lost [`rep::MALFORMED_MESSAGE`](crate::rep::MALFORMED_MESSAGE).
    /// Holds the reason.
    #[error("invalid response: {0}")]
    InvalidResponse(String),
    /// Another I/O error on the stream; holds its text.
    #[error("i/o error: {0}")]
    Io(String),
    /// The worker has stopped (shutdown, or every other handle dropped): no request can be
    /// made any more.
    #[error("the network is shut down")]
    NetworkStopped,
}

/// Why the network could not start.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// A [`NetworkConfig::boot_nodes`](crate::NetworkConfig::boot_nodes) entry has no
    /// trailing `/p2p/<peer id>`.
    #[error("boot node address {0} must end in /p2p/<peer id>")]
    InvalidBootNode(Multiaddr),
    /// A [`NetworkConfig::reserved_nodes`](crate::NetworkConfig::reserved_nodes) entry has
    /// no trailing `/p2p/<peer id>`.
    #[error("reserved node address {0} must end in /p2p/<peer id>")]
    InvalidReservedNode(Multiaddr),
    /// A listen address could not be bound: not an IP/TCP address, port in use, or an
    /// address this machine does not have.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The listen address that failed.
        addr: Multiaddr,
        /// libp2p's error text.
        reason: String,
    },
    /// The [`ChainProvider`](crate::ChainProvider)'s genesis differs from
    /// [`NetworkConfig::genesis_hash`](crate::NetworkConfig::genesis_hash): the protocol
    /// names would not match the chain served.
    #[error("the chain's genesis {chain:?} is not the configured {config:?}")]
    GenesisMismatch {
        /// The genesis hash the chain provider reports.
        chain: H256,
        /// The genesis hash in the configuration.
        config: H256,
    },
    /// The network's metrics could not be registered (e.g. registered twice in one
    /// registry).
    #[error("cannot register network metrics: {0}")]
    Metrics(#[from] prometheus_endpoint::PrometheusError),
    /// Building the swarm failed (transport, DNS, gossipsub or protocol configuration), or
    /// the chain status could not be read; holds what failed.
    #[error("network setup: {0}")]
    Setup(String),
}
