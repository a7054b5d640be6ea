//! # echonet-tests
//!
//! End-to-end tests of the real `echonet-node` binary. Every test starts the binary as a
//! child process on 127.0.0.1 with ports picked free for it, talks to it the way wallets
//! and operators do (JSON-RPC over HTTP and WebSocket, Prometheus over HTTP, the command
//! line), and asserts what an outsider can observe. Nothing here links the node's crates:
//! the runtime crate is used only to build and decode what crosses the wire (signed
//! extrinsics, storage values, events), as a wallet would.
//!
//! ## Where things are
//!
//! - [`node`]: finding the binary, free ports, and [`Node`], a guard over one running node
//!   that waits for its RPC to answer, stops or `kill -9`s it, and prints the tail of its log
//!   when a test fails.
//! - [`rpc`]: typed helpers over a jsonrpsee client (headers, storage, accounts, events,
//!   subscriptions), every one bounded in time.
//! - [`raw`]: HTTP/1.1 and WebSocket spoken by hand, for what a well-behaved client library
//!   refuses to send (oversized bodies, malformed JSON, a thousand handshakes).
//! - [`chain`]: signed extrinsics and storage keys of the EchoNet runtime.
//!
//! ## Rules the tests keep
//!
//! - Never a fixed sleep where a condition can be polled: every wait is a poll or an await
//!   with a deadline ([`within`]), so a hung node fails the test instead of hanging it.
//! - Loopback only; every process and temporary directory is cleaned up on drop.
//! - Tests run in parallel under cargo-nextest on small machines: each keeps its nodes few
//!   and short-lived.
//!
//! Build the binary first (`cargo build -p echonet-node`), or point `ECHONET_NODE_BIN` at one.

pub mod chain;
pub mod node;
pub mod raw;
pub mod rpc;

pub use node::{node_binary, run_cli, CliOutput, Node, NodeBuilder};

use std::{future::Future, time::Duration};

/// How long one RPC call may take before the test calls the node hung.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(30);

/// How long we wait for a block that should come within one or two 2 s slots. Generous:
/// tests share two cores with other tests' nodes.
pub const BLOCK_TIMEOUT: Duration = Duration::from_secs(20);

/// Awaits `f`, failing the test with `what` if it takes longer than `limit`.
pub async fn within<T>(limit: Duration, what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {limit:?}: {what}"),
    }
}
