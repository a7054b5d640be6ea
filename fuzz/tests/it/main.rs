//! The fuzz targets, one module per decoder family that a peer or an RPC client reaches.
//! Each test is one target: it feeds arbitrary bytes and mutated valid encodings to the
//! production decoder for `FUZZ_SECONDS` (see the echonet-fuzz crate docs) and checks that
//! nothing panics, that no decode allocates beyond what its input justifies, and the
//! target's own property (round trips, verification of mutated data fails, ...).
//!
//! `scripts/fuzz.sh --minutes N` runs each target for longer.

/// Counts allocations so that targets can bound what a decode reserves.
#[global_allocator]
static ALLOCATOR: echonet_fuzz::alloc::CountingAllocator = echonet_fuzz::alloc::CountingAllocator;

mod common;

mod block_import;
mod extrinsic;
mod grandpa_gossip;
mod justification;
mod network;
mod rollup_da;
mod rpc;
