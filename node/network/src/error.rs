//! The network's errors: why it could not start, and why a request failed.

use crate::protocol::Refusal;
use libp2p::Multiaddr;
use sp_core::H256;

/// Why a request to a peer failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("peer not connected")]
    NotConnected,
    #[error("the peer refused: {0}")]
    Refused(Refusal),
    #[error("no answer in time")]
    Timeout,
    #[error("the peer disconnected")]
    Disconnected,
    #[error("the peer does not support the protocol")]
    UnsupportedProtocol,
    #[error("invalid response: {0}")]
    InvalidResponse(String),
    #[error("i/o error: {0}")]
    Io(String),
    #[error("the network is shut down")]
    NetworkStopped,
}

/// Why the network could not start.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("boot node address {0} must end in /p2p/<peer id>")]
    InvalidBootNode(Multiaddr),
    #[error("reserved node address {0} must end in /p2p/<peer id>")]
    InvalidReservedNode(Multiaddr),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: Multiaddr, reason: String },
    #[error("the chain's genesis {chain:?} is not the configured {config:?}")]
    GenesisMismatch { chain: H256, config: H256 },
    #[error("cannot register network metrics: {0}")]
    Metrics(#[from] prometheus_endpoint::PrometheusError),
    #[error("network setup: {0}")]
    Setup(String),
}
