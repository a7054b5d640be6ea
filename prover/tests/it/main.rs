//! Integration tests of echonet-prover: the batch circuit and real Groth16 proofs.
//!
//! One test binary per crate (linking the node's dependencies once, not once per file);
//! one module per area.

mod ceremony;
mod circuit;
mod cli;
mod farm;
mod fast;
mod proof;
