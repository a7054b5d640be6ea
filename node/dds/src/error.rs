//! The store's typed errors. Every error from input (content, cids, manifests, shards) is one
//! of these; none panics.

use crate::manifest::Cid;

/// What went wrong in the data store.
#[derive(Debug, thiserror::Error)]
pub enum DdsError {
    /// Content of zero bytes cannot be stored (a manifest needs at least one chunk).
    #[error("empty content")]
    Empty,
    /// The content is larger than this node accepts in one put.
    #[error("content larger than the limit of {max} bytes")]
    TooLarge {
        /// The limit in bytes.
        max: u64,
    },
    /// Storing would exceed the store's capacity (`--dds-capacity`).
    #[error("store capacity exceeded: {needed} more bytes needed, {free} free")]
    CapacityExceeded {
        /// Bytes the write needed.
        needed: u64,
        /// Bytes still free.
        free: u64,
    },
    /// Shard parameters out of bounds.
    #[error("invalid shard parameters: {0}")]
    InvalidParams(String),
    /// A cid that is not `0x` followed by 64 hex digits.
    #[error("malformed cid {0:?}: expected 0x followed by 64 hex digits")]
    MalformedCid(String),
    /// No manifest is known for this cid.
    #[error("unknown cid {0}")]
    UnknownCid(Cid),
    /// A manifest that does not decode or is inconsistent.
    #[error("malformed manifest: {0}")]
    MalformedManifest(String),
    /// Fewer than k shards given to the decoder.
    #[error("not enough shards: {have} of the {need} needed")]
    NotEnoughShards {
        /// Shards present.
        have: usize,
        /// Shards needed (k).
        need: usize,
    },
    /// A chunk of known content cannot be rebuilt from the shards available.
    #[error("chunk {chunk} unavailable: {have} valid shards of the {need} needed")]
    Unavailable {
        /// The chunk index.
        chunk: u32,
        /// Valid shards found.
        have: usize,
        /// Shards needed (k).
        need: usize,
    },
    /// The erasure coder refused its input.
    #[error("erasure coding: {0}")]
    Coding(String),
    /// The RocksDB index failed.
    #[error("index database: {0}")]
    Db(#[from] rocksdb::Error),
    /// A file operation failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}
