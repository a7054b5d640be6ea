//! Weights for pallet-bridge.
//!
//! EchoNet's runtime uses the weights `benchmarking.rs` measures, generated into
//! `runtime/src/weights/pallet_bridge.rs` by `echonet-node benchmark pallet --pallet
//! pallet_bridge --values 8,32,64` (the command is in that file's header and in
//! BENCHMARKS.md; `submit_batch` verifies the checked-in proof fixtures of 8, 32 and 64
//! slots). `SubstrateWeight` is a hand-written, conservative upper bound (storage priced
//! with `T::DbWeight`, computation rounded up) for runtimes that have not measured this
//! pallet, and `()` is the mock runtime's; each is at least the measured compute of every
//! call (a runtime test compares them with the generated weights).

#![allow(unused_parens, unused_imports, unused_variables)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// The weight of each call and hook of this pallet.
pub trait WeightInfo {
    /// set_verifying_key: SHA-256 and full decoding of the key, `process_vk` (a pairing),
    /// one write of the prepared key (~34 KB)
    fn set_verifying_key() -> Weight;
    /// set_batch_size: the key's existence, one write
    fn set_batch_size() -> Weight;
    /// set_params: the checks in memory, one write
    fn set_params() -> Weight;
    /// add_operator: the operator count, a hold, one write
    fn add_operator() -> Weight;
    /// remove_operator: a release (or burn) of the hold, one write
    fn remove_operator() -> Weight;
    /// deposit: key decompression and subgroup check, a transfer, the queue entry
    fn deposit() -> Weight;
    /// s: slots of the batch (its size), each a deposit consumed from the queue (the most
    /// expensive record for the bridge): DA decoding and hashing, the deposits and
    /// withdrawals hashes, reading the prepared key, decoding and verifying the proof,
    /// and the writes
    fn submit_batch(s: u32) -> Weight;
    /// claim_withdrawal: the entry, a transfer, the total
    fn claim_withdrawal() -> Weight;
    /// trigger_exodus: the head of the queue, the last batch time, one write
    fn trigger_exodus() -> Weight;
    /// exit: 24 Poseidon hashes of the Merkle path, the EdDSA-Poseidon check, a transfer
    fn exit() -> Weight;
    /// refund_deposit: the entry, a transfer, the total
    fn refund_deposit() -> Weight;
    /// on_initialize of the block that computes the instance id
    fn set_instance() -> Weight;
}

/// Conservative hand-written weights (see the module docs).
pub struct SubstrateWeight<T>(PhantomData<T>);

const MS: u64 = 1_000_000_000;
const US: u64 = 1_000_000;

impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn set_verifying_key() -> Weight {
        Weight::from_parts(10 * MS, 40_000).saturating_add(T::DbWeight::get().writes(1))
    }
    fn set_batch_size() -> Weight {
        Weight::from_parts(50 * US, 100).saturating_add(T::DbWeight::get().reads_writes(1, 1))
    }
    fn set_params() -> Weight {
        Weight::from_parts(50 * US, 100).saturating_add(T::DbWeight::get().writes(1))
    }
    fn add_operator() -> Weight {
        Weight::from_parts(200 * US, 1_000).saturating_add(T::DbWeight::get().reads_writes(4, 3))
    }
    fn remove_operator() -> Weight {
        Weight::from_parts(200 * US, 1_000).saturating_add(T::DbWeight::get().reads_writes(3, 3))
    }
    fn deposit() -> Weight {
        Weight::from_parts(MS, 2_000).saturating_add(T::DbWeight::get().reads_writes(8, 6))
    }
    fn submit_batch(s: u32) -> Weight {
        Weight::from_parts(15 * MS, 40_000)
            .saturating_add(Weight::from_parts(300 * US, 200).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads_writes(10, 10))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(1, 2)
                    .saturating_mul(s.into()),
            )
    }
    fn claim_withdrawal() -> Weight {
        Weight::from_parts(300 * US, 1_000).saturating_add(T::DbWeight::get().reads_writes(4, 4))
    }
    fn trigger_exodus() -> Weight {
        Weight::from_parts(100 * US, 500).saturating_add(T::DbWeight::get().reads_writes(5, 1))
    }
    fn exit() -> Weight {
        Weight::from_parts(10 * MS, 2_000).saturating_add(T::DbWeight::get().reads_writes(7, 5))
    }
    fn refund_deposit() -> Weight {
        Weight::from_parts(300 * US, 1_000).saturating_add(T::DbWeight::get().reads_writes(4, 4))
    }
    fn set_instance() -> Weight {
        Weight::from_parts(100 * US, 100).saturating_add(T::DbWeight::get().reads_writes(3, 2))
    }
}

impl WeightInfo for () {
    fn set_verifying_key() -> Weight {
        Weight::from_parts(10 * MS, 40_000)
    }
    fn set_batch_size() -> Weight {
        Weight::from_parts(50 * US, 100)
    }
    fn set_params() -> Weight {
        Weight::from_parts(50 * US, 100)
    }
    fn add_operator() -> Weight {
        Weight::from_parts(200 * US, 1_000)
    }
    fn remove_operator() -> Weight {
        Weight::from_parts(200 * US, 1_000)
    }
    fn deposit() -> Weight {
        Weight::from_parts(MS, 2_000)
    }
    fn submit_batch(s: u32) -> Weight {
        Weight::from_parts(15 * MS, 40_000)
            .saturating_add(Weight::from_parts(300 * US, 200).saturating_mul(s.into()))
    }
    fn claim_withdrawal() -> Weight {
        Weight::from_parts(300 * US, 1_000)
    }
    fn trigger_exodus() -> Weight {
        Weight::from_parts(100 * US, 500)
    }
    fn exit() -> Weight {
        Weight::from_parts(10 * MS, 2_000)
    }
    fn refund_deposit() -> Weight {
        Weight::from_parts(300 * US, 1_000)
    }
    fn set_instance() -> Weight {
        Weight::from_parts(100 * US, 100)
    }
}
