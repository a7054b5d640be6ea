//! Errors of the chain client.

use sp_core::H256;

/// Everything that can go wrong in the client. Input-caused failures (bad blocks, bad
/// runtime call data) are ordinary variants: the node reports them and carries on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Db(String),
    #[error("database is corrupt: {0}")]
    Corrupt(String),
    #[error("I/O error on {0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("unknown block {0:?}")]
    UnknownBlock(H256),
    #[error("state of block {0:?} is not available")]
    StateUnavailable(H256),
    #[error("runtime call {method} failed: {reason}")]
    RuntimeCall { method: String, reason: String },
    #[error("runtime does not provide {0}")]
    MethodNotFound(String),
    #[error("cannot decode {what}: {reason}")]
    Decode { what: &'static str, reason: String },
    #[error("invalid chain spec: {0}")]
    ChainSpec(String),
    #[error("genesis mismatch: database holds {db:?}, chain spec gives {spec:?}")]
    GenesisMismatch { db: H256, spec: H256 },
    #[error("invalid block {hash:?}: {reason}")]
    InvalidBlock { hash: H256, reason: String },
    #[error("block {hash:?} builds on unknown parent {parent:?}")]
    UnknownParent { hash: H256, parent: H256 },
    #[error("block {0:?} is not a descendant of the last finalized block")]
    NotDescendantOfFinalized(H256),
    #[error("state error: {0}")]
    State(String),
}

impl Error {
    /// A value read from the chain that does not decode.
    pub fn decode(what: &'static str, err: codec::Error) -> Self {
        Error::Decode {
            what,
            reason: err.to_string(),
        }
    }

    /// A block that breaks a rule, and why.
    pub fn invalid(hash: H256, reason: impl Into<String>) -> Self {
        Error::InvalidBlock {
            hash,
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
