//! # echonet-client
//!
//! The part of `echonet-node` that owns the chain: the RocksDB database ([`db`]), the
//! state backend ([`state`]), native execution of the FRAME runtime ([`executor`]),
//! genesis from chain specs ([`chain_spec`]), block building ([`block_builder`]), and
//! import, fork choice and finality ([`client`]). Consensus is not here: import checks
//! blocks from elsewhere through the [`BlockVerifier`] the client is opened with
//! (echonet-consensus's Aura).
//!
//! Everything here is synchronous. Async callers go through `spawn_blocking`: runtime
//! externalities are thread-local and must never be held across an `.await`.

pub mod block_builder;
pub mod chain_spec;
pub mod client;
pub mod db;
pub mod error;
pub mod executor;
pub mod state;
pub mod state_db;
pub mod verified;

pub use block_builder::{BlockBuilder, BuiltBlock, PushError};
pub use chain_spec::{ChainSpec, ChainType};
pub use client::{
    Block, BlockImportNotification, BlockOrigin, BlockVerifier, ChainInfo, Client, ClientConfig,
    FinalityNotification, ImportBlock, ImportResult, StateBuilder, StateDbStats, TreeRoute,
};
pub use error::{Error, Result};
pub use state_db::{BlocksPruning, StatePruning};
pub use verified::VerifiedCache;
