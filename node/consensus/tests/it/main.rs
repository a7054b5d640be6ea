//! Integration tests of echonet-consensus: Aura equivocation evidence, from import to the chain.
//!
//! One test binary per crate (linking the node's dependencies once, not once per file);
//! one module per area.

mod aura_evidence;
