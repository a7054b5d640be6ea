//! Integration tests of echonet-runtime: the runtime's staking and governance wiring, fees
//! and the treasury, and its extrinsic decoder against nested and oversized input.
//!
//! One test binary per crate (linking the node's dependencies once, not once per file);
//! one module per area.

mod bridge_costs;
mod dds;
mod deep_extrinsic;
mod fees;
mod governance;
mod staking;
