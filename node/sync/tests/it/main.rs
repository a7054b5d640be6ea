//! Integration tests of echonet-sync: sync between in-process nodes.
//!
//! One test binary per crate (linking the node's dependencies once, not once per file);
//! one module per area.

mod claims;
mod relay;
mod sync;
mod warp;
