//! Integration tests of echonet-rollup-l1: the client against bad RPC data (a fake node),
//! the settler against a scripted node (reorgs, restarts, stale nonces), the whole
//! settlement path against a real dev node, and exodus with the sequencer binary.

mod bad_rpc;
mod exodus;
mod reorg;
mod settlement;
