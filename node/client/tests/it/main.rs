//! Integration tests of echonet-client: the executor and import path, auxiliary storage and chain
//! specs, against the real runtime and RocksDB.
//!
//! One test binary per crate (linking the node's dependencies once, not once per file);
//! one module per area.

mod aux;
mod chain_specs;
mod deep;
mod executor;
mod pruning;
mod snapshot;
mod verified;
