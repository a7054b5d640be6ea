//! Integration tests of echonet-rollup-primitives: our Poseidon and EdDSA-Poseidon against
//! circomlibjs, and the wallet client's committed vectors against this crate.
//!
//! One test binary per crate (linking the node's dependencies once, not once per file);
//! one module per area.

mod circomlibjs_vectors;
mod client_vectors;
