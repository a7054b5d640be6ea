//! # EchoNet rollup sequencer
//!
//! Takes signed L2 transfers and withdrawals over JSON-RPC, orders them and answers each at
//! once with a signed soft-confirmation receipt (its batch and slot), cuts batches, computes
//! their witnesses, hands them to the prover farm and settles the proofs on L1.
//!
//! ```text
//! rpc ──▶ mempool (admission actor: soft state, group commit) ──receipt──▶ user
//!              │ cut (slots full / --max-batch-wait / keepalive)
//!              ▼
//!         pipeline (execute_batch on the AccountTree → BatchTrace, stored)
//!              ▼
//!         prover farm ──proofs──▶ service ──in order──▶ L1 settler ──events──▶ store, subscribers
//! ```
//!
//! Public modules: [`service`] (start a sequencer), [`rpc`] (the `l2_*` API), [`cli`],
//! [`types`] (records, hashes, receipts), [`store`], [`state`], [`mempool`], [`pipeline`],
//! [`shared`], [`metrics`], [`limits`].

pub mod bench;
pub mod cli;
pub mod limits;
pub mod mempool;
pub mod metrics;
pub mod node;
pub mod pipeline;
pub mod rpc;
pub mod service;
pub mod shared;
pub mod state;
pub mod store;
pub mod types;

pub use mempool::{AdmissionConfig, AdmitError};
pub use service::{Sequencer, SequencerConfig};
pub use types::{Params, Receipt};
