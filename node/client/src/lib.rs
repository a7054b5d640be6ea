//! # echonet-client
//!
//! The part of `echonet-node` that owns the chain: the RocksDB database ([`db`]), the
//! state backend ([`state`]), native execution of the FRAME runtime ([`executor`]),
//! genesis from chain specs ([`chain_spec`]), block building ([`block_builder`]), Aura's
//! header rules ([`aura`]), and import, fork choice and finality ([`client`]).
//!
//! Everything here is synchronous. Async callers go through `spawn_blocking`: runtime
//! externalities are thread-local and must never be held across an `.await`.

pub mod aura;
pub mod block_builder;
pub mod chain_spec;
pub mod client;
pub mod db;
pub mod error;
pub mod executor;
pub mod state;

pub use block_builder::{BlockBuilder, BuiltBlock, PushError};
pub use chain_spec::{ChainSpec, ChainType};
pub use client::{
    AuraEquivocation, Block, BlockImportNotification, BlockOrigin, ChainInfo, Client, ClientConfig,
    FinalityNotification, ImportBlock, ImportResult, TreeRoute,
};
pub use error::{Error, Result};
