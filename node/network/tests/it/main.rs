//! Integration tests of echonet-network: in-process nodes on 127.0.0.1 (connection, gossip, the
//! peer set, requests).
//!
//! One test binary per crate (linking the node's dependencies once, not once per file);
//! one module per area.

mod common;

mod connect;
mod dds;
mod gossip;
mod peers;
mod providers;
mod requests;
