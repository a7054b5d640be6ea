//! Errors of the chain client.

use sp_core::H256;

/// Everything that can go wrong in the client. Input-caused failures (bad blocks, bad
/// runtime call data) are ordinary variants: the node reports them and carries on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// RocksDB refused an operation (open, read, write, flush), or the database on disk has a
    /// schema version this node does not support. The text says which and what to do.
    #[error("database error: {0}")]
    Db(String),
    /// The database opened but breaks an invariant the client relies on: a missing column
    /// family, no best or finalized pointer, a header without its body, a value that does
    /// not decode. Not caused by input; the node must be resynced.
    #[error("database is corrupt: {0}")]
    Corrupt(String),
    /// A filesystem operation on the path in the first field failed (creating the database
    /// directory).
    #[error("I/O error on {0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// No header with this hash is stored: never imported, or a hash from a caller (RPC,
    /// a peer) that names nothing.
    #[error("unknown block {0:?}")]
    UnknownBlock(H256),
    /// The block is known but its state is gone: pruned (`--state-pruning N`, the block is
    /// more than N blocks below the finalized one), discarded with a fork that finality
    /// excluded, or older than a snapshot the node started from. RPC reports it as
    /// Substrate does: "UnknownBlock: State already discarded for 0x…".
    #[error("state of block {0:?} is not available")]
    StateUnavailable(H256),
    /// A runtime call failed: the runtime panicked or returned an error, or its output
    /// does not decode as the caller's type.
    #[error("runtime call {method} failed: {reason}")]
    RuntimeCall {
        /// The runtime API function, e.g. `Core_execute_block`, or `native call` for
        /// [`executor::with_state`](crate::executor::with_state).
        method: String,
        /// The panic message or the executor's error, as text.
        reason: String,
    },
    /// The native runtime has no API function of this name (e.g. `Benchmark_*` in a
    /// runtime built without the `runtime-benchmarks` feature).
    #[error("runtime does not provide {0}")]
    MethodNotFound(String),
    /// A SCALE value read from the chain or returned by the runtime does not decode. Built
    /// with [`Error::decode`].
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// What was being decoded, for the message (e.g. `"finalized header"`).
        what: &'static str,
        /// The codec's error, as text.
        reason: String,
    },
    /// A chain spec could not be loaded or written: unknown built-in name, unreadable
    /// file, bad JSON, bad hex in the raw genesis, or a genesis preset the runtime lacks.
    #[error("invalid chain spec: {0}")]
    ChainSpec(String),
    /// The database was created for another chain: its genesis hash differs from the one
    /// the chain spec builds. Returned by [`Client::open`](crate::Client::open).
    #[error("genesis mismatch: database holds {db:?}, chain spec gives {spec:?}")]
    GenesisMismatch {
        /// The genesis hash stored in the database.
        db: H256,
        /// The genesis hash built from the chain spec.
        spec: H256,
    },
    /// A block offered for import breaks a rule: its seal or header fails the
    /// [`BlockVerifier`](crate::BlockVerifier), its number does not follow its parent's, or
    /// executing it fails or gives another state root. Caused by input: sync penalises the
    /// peer that sent it. Built with [`Error::invalid`].
    #[error("invalid block {hash:?}: {reason}")]
    InvalidBlock {
        /// Hash of the refused block's sealed header.
        hash: H256,
        /// Which rule it breaks, as text for logs; callers match on the variant, not on
        /// this.
        reason: String,
    },
    /// A block offered for import whose parent is not stored yet; sync keeps it as an orphan
    /// and fetches the parent first.
    #[error("block {hash:?} builds on unknown parent {parent:?}")]
    UnknownParent {
        /// The block that could not be imported.
        hash: H256,
        /// Its parent's hash, which the client does not have.
        parent: H256,
    },
    /// Importing or finalizing this block would revert finality: it is not on the chain
    /// that extends the last finalized block (a stale fork, or a lower finality target).
    #[error("block {0:?} is not a descendant of the last finalized block")]
    NotDescendantOfFinalized(H256),
    /// A state snapshot was refused: unreadable, truncated, malformed, of another block
    /// than the trusted one or of another chain, or its entries do not give the header's
    /// state root; or the database cannot take one (it already holds blocks). The text
    /// says which.
    #[error("state snapshot: {0}")]
    Snapshot(String),
    /// Reading or changing state failed outside a runtime call: a trie read, an overlay
    /// transaction that was not open, a built block whose state root differs from the
    /// overlay's, a block number that overflows, or a keystore-dependent call on a node
    /// without a keystore.
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

/// The client's result type: [`Error`] unless another is given.
pub type Result<T, E = Error> = std::result::Result<T, E>;
