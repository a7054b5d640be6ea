//! Integration tests of echonet-rpc: a real node's RPC server on 127.0.0.1, method family by method
//! family.
//!
//! One test binary per crate (linking the node's dependencies once, not once per file);
//! one module per area.

mod common;

mod author;
mod chain;
mod deep;
mod methods;
mod server;
mod state;
mod system;
mod transaction;
