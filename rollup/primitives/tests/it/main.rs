//! Integration tests of echonet-rollup-primitives: our Poseidon and EdDSA-Poseidon against
//! circomlibjs.
//!
//! One test binary per crate (linking the node's dependencies once, not once per file);
//! one module per area.

mod circomlibjs_vectors;
