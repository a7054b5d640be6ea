//! # echonet-tests
//!
//! End-to-end tests of the real `echonet-node` binary. Every test starts the binary as a
//! child process on 127.0.0.1 with ports picked free for it, talks to it the way wallets
//! and operators do (JSON-RPC over HTTP and WebSocket, Prometheus over HTTP, the command
//! line), and asserts what an outsider can observe. The runtime crate is used to build and
//! decode what crosses the wire (signed extrinsics, storage values, events), as a wallet
//! would. Two helpers link node crates, to do what no outsider could do quickly or at
//! all: [`offline`] writes hundreds of real blocks into a database with the chain client,
//! and [`rogue`] is a peer (the real network crate, in process) that serves forged blocks.
//!
//! ## Where things are
//!
//! - [`node`]: finding the workspace's binaries (the node's, the prover's), free ports, and
//!   [`Node`], a guard over one running node that waits for its RPC to answer, stops or
//!   `kill -9`s it, and prints the tail of its log when a test fails.
//! - [`rpc`]: typed helpers over a jsonrpsee client (headers, storage, accounts, events,
//!   subscriptions), every one bounded in time, and a wallet's actions on top of them: sign
//!   and submit a call with the next nonce ([`rpc::submit_call`]), as sudo ([`rpc::sudo`]),
//!   or until its dispatch result is known ([`rpc::submit_and_dispatch`]); read a decoded
//!   value ([`rpc::value`]).
//! - [`raw`]: HTTP/1.1 and WebSocket spoken by hand, for what a well-behaved client library
//!   refuses to send (oversized bodies, malformed JSON, a thousand handshakes).
//! - [`chain`]: signed extrinsics, sudo calls and storage keys of the EchoNet runtime.
//! - [`testnet`]: networks of validators and full nodes (`--chain local`), restartable on
//!   their base paths, with waits over all nodes and a check that they never finalized
//!   different blocks at one height.
//! - [`offline`]: chains built straight into a base path's database.
//! - [`rogue`]: a peer that announces and serves invalid blocks.
//!
//! ## Rules the tests keep
//!
//! - Never a fixed sleep where a condition can be polled: every wait is a poll or an await
//!   with a deadline ([`within`], [`wait_until`]), so a hung node fails the test instead of
//!   hanging it.
//! - Loopback only; every process and temporary directory is cleaned up on drop.
//! - Tests run in parallel under cargo-nextest on small machines: each keeps its nodes few
//!   and short-lived. The multi-node tests (`network`, `faults`, `sync`) run one at a
//!   time (the `multi-node` test group in `.config/nextest.toml`): their timing
//!   assertions need the CPU that several networks at once would not leave them.
//! - Nodes run with `--no-mdns` and join each other with `--bootnodes`, so that networks
//!   of different tests never meet.
//!
//! Build the binary first (`cargo build -p echonet-node`), or point `ECHONET_NODE_BIN` at one.

pub mod chain;
pub mod node;
pub mod offline;
pub mod raw;
pub mod rogue;
pub mod rpc;
pub mod testnet;
pub mod warp;

pub use node::{node_binary, run_cli, workspace_binary, CliOutput, Node, NodeBuilder};
pub use testnet::Testnet;

use std::time::Duration;

/// Awaits `f`, failing the test with `what` if it takes longer than `limit`.
pub use echonet_test_utils::within;

/// How long one RPC call may take before the test calls the node hung.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(30);

/// How often [`wait_until`] polls: a check is a few RPC calls to nodes that share the
/// machine's cores, and blocks come every 2 s, so four polls a second see every block.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Polls `check` every [`POLL_INTERVAL`] until it returns `Some`, and returns that; fails
/// the test with `what` after `limit`.
pub async fn wait_until<T, F, Fut>(what: &str, limit: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    echonet_test_utils::wait_until_polling(what, limit, POLL_INTERVAL, check).await
}

/// How long we wait for a block that should come within one or two 2 s slots. Generous:
/// tests share two cores with other tests' nodes.
pub const BLOCK_TIMEOUT: Duration = Duration::from_secs(20);
