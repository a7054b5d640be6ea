//! The crate's error type.

use echonet_rollup_primitives::BatchError;
use sp_core::H256;

/// What went wrong talking to L1 or making sense of its data.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The node could not be reached (or the connection dropped and did not come back within
    /// the reconnect timeout).
    #[error("L1 node {url} unreachable during {method}: {message}")]
    Unreachable {
        /// The node's URL.
        url: String,
        /// The JSON-RPC method that was being called.
        method: &'static str,
        /// The transport error.
        message: String,
    },
    /// The node did not answer within the request timeout.
    #[error("L1 node did not answer {method} in time")]
    Timeout {
        /// The JSON-RPC method.
        method: &'static str,
    },
    /// The node answered with a JSON-RPC error object (e.g. 1010 for an invalid transaction).
    #[error("{method} failed: {code} {message}{}", data.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Rpc {
        /// The JSON-RPC method.
        method: &'static str,
        /// The error code.
        code: i32,
        /// The error message.
        message: String,
        /// The error's `data`, as JSON text.
        data: Option<String>,
    },
    /// The answer does not have the shape the method documents (not hex, wrong length, not
    /// a number...).
    #[error("malformed answer to {method}: {what}")]
    BadResponse {
        /// The JSON-RPC method.
        method: &'static str,
        /// What was wrong.
        what: String,
    },
    /// A storage value or an extrinsic did not decode as the runtime's type (or had bytes
    /// left over).
    #[error("{what} at {at:?} does not decode: {error}")]
    Decode {
        /// Which value.
        what: String,
        /// The block whose state (or body) it came from.
        at: Option<H256>,
        /// The codec's message.
        error: String,
    },
    /// A value the bridge always has was missing, or a block the node should know.
    #[error("{what} is missing at {at:?}")]
    Missing {
        /// What was missing.
        what: String,
        /// The block.
        at: Option<H256>,
    },
    /// A block is not on the finalized chain any more, or chain data contradict each other.
    #[error("inconsistent chain data: {0}")]
    Inconsistent(String),
    /// Rebuilding: a batch replayed from its DA and deposits does not reach the root the
    /// bridge recorded for it.
    #[error("batch {batch} (block #{block}): replayed root 0x{replayed} differs from the bridge's 0x{recorded}")]
    RootMismatch {
        /// The batch number.
        batch: u64,
        /// The block that verified it.
        block: u32,
        /// The root the replay reached (hex).
        replayed: String,
        /// The root of its `BatchVerified` event (hex).
        recorded: String,
    },
    /// Rebuilding: a batch's DA and deposits could not be replayed at all.
    #[error("batch {batch} (block #{block}) does not replay: {source}")]
    Replay {
        /// The batch number.
        batch: u64,
        /// The block that verified it.
        block: u32,
        /// Why.
        source: BatchError,
    },
}

impl L1Error {
    /// Whether the node refused a transaction because its nonce was already used (code 1010,
    /// "Transaction is outdated").
    pub fn is_stale_nonce(&self) -> bool {
        matches!(self, L1Error::Rpc { code: 1010, data: Some(d), .. } if d.contains("outdated"))
    }

    /// Whether the node already has these exact bytes in its pool (code 1013).
    pub fn is_already_imported(&self) -> bool {
        matches!(self, L1Error::Rpc { code: 1013, .. })
    }

    /// Whether the error says the connection, not the request, failed (worth retrying).
    pub fn is_transient(&self) -> bool {
        matches!(self, L1Error::Unreachable { .. } | L1Error::Timeout { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc(code: i32, data: Option<&str>) -> L1Error {
        L1Error::Rpc {
            method: "author_submitExtrinsic",
            code,
            message: "x".into(),
            data: data.map(str::to_string),
        }
    }

    #[test]
    fn submission_errors_are_classified() {
        assert!(rpc(1010, Some("\"Transaction is outdated\"")).is_stale_nonce());
        assert!(!rpc(1010, Some("\"Transaction has a bad signature\"")).is_stale_nonce());
        assert!(!rpc(1014, Some("outdated")).is_stale_nonce());
        assert!(rpc(1013, None).is_already_imported());
        assert!(!rpc(1010, None).is_transient());
        assert!(L1Error::Timeout { method: "m" }.is_transient());
    }
}
