//! Integration tests of echonet-runtime: the runtime's staking wiring.
//!
//! One test binary per crate (linking the node's dependencies once, not once per file);
//! one module per area.

mod staking;
