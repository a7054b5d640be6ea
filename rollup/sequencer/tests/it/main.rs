//! Integration tests of the sequencer, in-process (no node, no prover): one test binary,
//! one module per area.

mod admission;
mod batching;
mod harness;
mod restart;
mod subscribe;
