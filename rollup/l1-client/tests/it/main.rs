//! Integration tests of echonet-rollup-l1: the client against bad RPC data (a fake node),
//! and the whole settlement path against a real dev node.

mod bad_rpc;
mod settlement;
