//! Integration tests of echonet-txpool: the pool against the real runtime, and through
//! reorganisations.
//!
//! One test binary per crate (linking the node's dependencies once, not once per file);
//! one module per area.

mod deep;
mod pool;
mod priority;
mod reorg;
mod spam;
