//! Weights for pallet-dds.
//!
//! `SubstrateWeight` is a hand-written upper bound shaped after `benchmarking.rs` (storage
//! priced with `T::DbWeight`, generous constants) for runtimes that have not measured this
//! pallet, and for the mock runtime. The runtime's figures come from `echonet-node
//! benchmark pallet --pallet pallet_dds`.

#![allow(unused_parens, unused_imports)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// The weight of each call and hook of this pallet.
pub trait WeightInfo {
    /// `register_provider`: a hold, the provider record and the provider set (up to `MaxProviders` entries).
    fn register_provider() -> Weight;
    /// `update_provider`: the record and the provider set.
    fn update_provider() -> Weight;
    /// `deregister`: the record, the provider set and the reassignment queue.
    fn deregister() -> Weight;
    /// `withdraw_bond`: a release and the record.
    fn withdraw_bond() -> Weight;
    /// `open_deal`: `s` shards placed over `p` providers (O(s × p) distance comparisons), an assignment and an index entry per shard, and a hold.
    fn open_deal(s: u32, p: u32) -> Weight;
    /// `confirm_stored`: `n` shards.
    fn confirm_stored(n: u32) -> Weight;
    /// `answer_challenge`: two Merkle paths of up to 32 levels over a 4 KiB segment, reputation, and a payment from a hold.
    fn answer_challenge() -> Weight;
    /// `answer_challenge` with a wrong proof that slashes the provider out of a full set.
    fn answer_challenge_wrong() -> Weight;
    /// `close_deal`: `s` shards: assignments and index entries removed, payments to providers and a release.
    fn close_deal(s: u32) -> Weight;
    /// `request_retrieval_check`: the witness event submission and the check's record.
    fn request_retrieval_check() -> Weight;
    /// `settle_retrieval`: consuming a receipt and a penalty (the dearer outcome).
    fn settle_retrieval() -> Weight;
    /// `set_params`: one value.
    fn set_params() -> Weight;
    /// `on_initialize_idle`: the epoch, the expiry cursor, the reassignment queue, the confirmation cursor and the orphan queue read.
    fn on_initialize_idle() -> Weight;
    /// `start_epoch`: the epoch record.
    fn start_epoch() -> Weight;
    /// `draw_challenge`: one draw: a deal slot, the deal, an assignment, the challenge written, the provider's count.
    fn draw_challenge() -> Weight;
    /// `expire_challenge`: one expired challenge, missed (the dearer case): a penalty with a slash and a possible slash-out.
    fn expire_challenge() -> Weight;
    /// `reassign_shard`: one shard moved: its chunk's other assignments (up to 31), the deal, two provider records, a placement over the set.
    fn reassign_shard() -> Weight;
    /// `expire_confirmation`: one shard past its confirmation deadline: its deadline entries removed, a reputation penalty, and the shard moved as in `reassign_shard` (its provider's set entry updated too).
    fn expire_confirmation() -> Weight;
    /// `retry_orphan`: one orphan tried again and placed over the set: the queue entry, the deal, its chunk's other assignments, the new holder's records and its confirmation deadline.
    fn retry_orphan() -> Weight;
}

/// Weights for a runtime, priced with its `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn register_provider() -> Weight {
        Weight::from_parts(40_000_000, 4000)
            .saturating_add(T::DbWeight::get().reads(5))
            .saturating_add(T::DbWeight::get().writes(5))
    }
    fn update_provider() -> Weight {
        Weight::from_parts(30_000_000, 4000)
            .saturating_add(T::DbWeight::get().reads(3))
            .saturating_add(T::DbWeight::get().writes(3))
    }
    fn deregister() -> Weight {
        Weight::from_parts(35_000_000, 4000)
            .saturating_add(T::DbWeight::get().reads(3))
            .saturating_add(T::DbWeight::get().writes(3))
    }
    fn withdraw_bond() -> Weight {
        Weight::from_parts(40_000_000, 4000)
            .saturating_add(T::DbWeight::get().reads(2))
            .saturating_add(T::DbWeight::get().writes(3))
    }
    fn open_deal(s: u32, p: u32) -> Weight {
        Weight::from_parts(80_000_000, 8000)
            .saturating_add(T::DbWeight::get().reads(6))
            .saturating_add(T::DbWeight::get().writes(8))
            .saturating_add(Weight::from_parts(40_000_000, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64.saturating_mul(s.into())))
            .saturating_add(T::DbWeight::get().writes(4_u64.saturating_mul(s.into())))
            .saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(p.into()))
    }
    fn confirm_stored(n: u32) -> Weight {
        Weight::from_parts(20_000_000, 4000)
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().writes(0))
            .saturating_add(Weight::from_parts(8_000_000, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64.saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(3_u64.saturating_mul(n.into())))
    }
    fn answer_challenge() -> Weight {
        Weight::from_parts(120_000_000, 8000)
            .saturating_add(T::DbWeight::get().reads(5))
            .saturating_add(T::DbWeight::get().writes(5))
    }
    fn answer_challenge_wrong() -> Weight {
        Weight::from_parts(150_000_000, 120000)
            .saturating_add(T::DbWeight::get().reads(8))
            .saturating_add(T::DbWeight::get().writes(8))
    }
    fn close_deal(s: u32) -> Weight {
        Weight::from_parts(80_000_000, 8000)
            .saturating_add(T::DbWeight::get().reads(4))
            .saturating_add(T::DbWeight::get().writes(5))
            .saturating_add(Weight::from_parts(30_000_000, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64.saturating_mul(s.into())))
            .saturating_add(T::DbWeight::get().writes(4_u64.saturating_mul(s.into())))
    }
    fn request_retrieval_check() -> Weight {
        Weight::from_parts(60_000_000, 6000)
            .saturating_add(T::DbWeight::get().reads(6))
            .saturating_add(T::DbWeight::get().writes(5))
    }
    fn settle_retrieval() -> Weight {
        Weight::from_parts(60_000_000, 6000)
            .saturating_add(T::DbWeight::get().reads(6))
            .saturating_add(T::DbWeight::get().writes(5))
    }
    fn set_params() -> Weight {
        Weight::from_parts(15_000_000, 2000)
            .saturating_add(T::DbWeight::get().reads(0))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(5_000_000, 1000)
            .saturating_add(T::DbWeight::get().reads(5))
            .saturating_add(T::DbWeight::get().writes(0))
    }
    fn start_epoch() -> Weight {
        Weight::from_parts(10_000_000, 1000)
            .saturating_add(T::DbWeight::get().reads(1))
            .saturating_add(T::DbWeight::get().writes(1))
    }
    fn draw_challenge() -> Weight {
        Weight::from_parts(40_000_000, 6000)
            .saturating_add(T::DbWeight::get().reads(6))
            .saturating_add(T::DbWeight::get().writes(5))
    }
    fn expire_challenge() -> Weight {
        Weight::from_parts(80_000_000, 8000)
            .saturating_add(T::DbWeight::get().reads(6))
            .saturating_add(T::DbWeight::get().writes(6))
    }
    fn reassign_shard() -> Weight {
        Weight::from_parts(120_000_000, 10000)
            .saturating_add(T::DbWeight::get().reads(42))
            .saturating_add(T::DbWeight::get().writes(10))
    }
    fn expire_confirmation() -> Weight {
        Weight::from_parts(140_000_000, 10000)
            .saturating_add(T::DbWeight::get().reads(44))
            .saturating_add(T::DbWeight::get().writes(13))
    }
    fn retry_orphan() -> Weight {
        Weight::from_parts(120_000_000, 10000)
            .saturating_add(T::DbWeight::get().reads(40))
            .saturating_add(T::DbWeight::get().writes(8))
    }
}

/// For tests: the same constants without storage costs.
impl WeightInfo for () {
    fn register_provider() -> Weight {
        Weight::from_parts(40_000_000, 4000)
    }
    fn update_provider() -> Weight {
        Weight::from_parts(30_000_000, 4000)
    }
    fn deregister() -> Weight {
        Weight::from_parts(35_000_000, 4000)
    }
    fn withdraw_bond() -> Weight {
        Weight::from_parts(40_000_000, 4000)
    }
    fn open_deal(_s: u32, _p: u32) -> Weight {
        Weight::from_parts(80_000_000, 8000)
    }
    fn confirm_stored(_n: u32) -> Weight {
        Weight::from_parts(20_000_000, 4000)
    }
    fn answer_challenge() -> Weight {
        Weight::from_parts(120_000_000, 8000)
    }
    fn answer_challenge_wrong() -> Weight {
        Weight::from_parts(150_000_000, 120000)
    }
    fn close_deal(_s: u32) -> Weight {
        Weight::from_parts(80_000_000, 8000)
    }
    fn request_retrieval_check() -> Weight {
        Weight::from_parts(60_000_000, 6000)
    }
    fn settle_retrieval() -> Weight {
        Weight::from_parts(60_000_000, 6000)
    }
    fn set_params() -> Weight {
        Weight::from_parts(15_000_000, 2000)
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(5_000_000, 1000)
    }
    fn start_epoch() -> Weight {
        Weight::from_parts(10_000_000, 1000)
    }
    fn draw_challenge() -> Weight {
        Weight::from_parts(40_000_000, 6000)
    }
    fn expire_challenge() -> Weight {
        Weight::from_parts(80_000_000, 8000)
    }
    fn reassign_shard() -> Weight {
        Weight::from_parts(120_000_000, 10000)
    }
    fn expire_confirmation() -> Weight {
        Weight::from_parts(140_000_000, 10000)
    }
    fn retry_orphan() -> Weight {
        Weight::from_parts(120_000_000, 10000)
    }
}
