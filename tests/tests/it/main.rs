//! Integration tests of echonet-tests: end-to-end tests of the real `echonet-node` binary (see the
//! crate's library docs). The multi-node modules (`network`, `faults`, `sync`, `proof_of_stake`)
//! run one at a time: see the `multi-node` group in `.config/nextest.toml`; so does `sequencer`
//! (the rollup end to end: node, sequencer, two provers and the JS client).
//!
//! One test binary per crate (linking the node's dependencies once, not once per file);
//! one module per area.

mod authoring;
mod bad_input;
mod cli;
mod dds;
mod domains;
mod faults;
mod monetization;
mod network;
mod persistence;
mod prometheus;
mod proof_of_stake;
mod pruning;
mod rollup;
mod rpc_policy;
mod sequencer;
mod subxt;
mod sync;
mod warp;
