//! # echonet-evaluator
//!
//! The reference evaluator of pallet-domains (issue 16), and the example domain's
//! evaluation.
//!
//! An evaluator bonds into a domain's pool (`domains.join_pool`, done by the operator), then
//! runs `echonet-evaluator run`: for every quorum drawn on chain that includes its account
//! it fetches the optimum by content hash from a store directory, scores it with a
//! pluggable command, commits `blake2_256((optimum, round, score, salt, evaluator))` within
//! the commit window and reveals `(score, salt)` in the reveal window. Salts are kept in a
//! state file written atomically, so a restarted evaluator still reveals.
//!
//! ```text
//! Chain::next_block ──QuorumDrawn(…, members ∋ me)──▶ runner ──store::fetch──▶ eval command
//!        ▲                                              │ score, salt → state file
//!        └──────────── Chain::commit / Chain::reveal ◀──┘
//! ```
//!
//! Modules:
//! - [`chain`]: the [`Chain`] trait the loop is written against, its event type and the
//!   commitment hash;
//! - [`runner`]: the protocol state machine ([`Runner`]);
//! - [`state`]: the persistent state file;
//! - [`store`]: the content store (files named by their blake2_256);
//! - [`eval_cmd`]: running the evaluation command with a deadline and output bounds;
//! - [`least_squares`]: the example domain's deterministic fixed-point evaluation
//!   (`examples/domains/least-squares/`);
//! - `rpc_chain` (feature `chain`): the JSON-RPC binding of [`Chain`] to echonet-node.

pub mod chain;
pub mod eval_cmd;
pub mod least_squares;
#[cfg(feature = "chain")]
pub mod rpc_chain;
pub mod runner;
pub mod state;
pub mod store;

pub use chain::{commitment, Block, Chain, ChainError, QuorumDrawn};
pub use eval_cmd::{EvalCommand, EvalLimits};
pub use runner::{RunError, Runner, RunnerConfig};
