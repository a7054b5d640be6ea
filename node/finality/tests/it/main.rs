//! Integration tests of echonet-finality: GRANDPA voters in one process.
//!
//! One test binary per crate (linking the node's dependencies once, not once per file);
//! one module per area.

mod gossip;
mod own_votes;
mod set_changes;
mod voters;
