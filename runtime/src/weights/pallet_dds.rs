//! Weights for `pallet_dds`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-04. Machine: AMD EPYC, 2 cores.
//! Steps: 10, repeat: 3. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `./.bin/echonet-node-rb benchmark pallet --pallet pallet_dds --steps 10 --repeat 3 --output runtime/src/weights/pallet_dds.rs`
//!
//! Generated: do not edit by hand; run the command again.

#![allow(
    unused_parens,
    unused_imports,
    unused_variables,
    missing_docs,
    clippy::all
)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// Measured weights of `pallet_dds`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_dds::WeightInfo for WeightInfo<T> {
    fn register_provider() -> Weight {
        Weight::from_parts(168_551_000, 0)
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().writes(5_u64))
    }
    fn update_provider() -> Weight {
        Weight::from_parts(130_294_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn deregister() -> Weight {
        Weight::from_parts(134_360_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn withdraw_bond() -> Weight {
        Weight::from_parts(26_760_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    /// The range of component `s` is `[2, 1024]`, `p` is `[1, 1000]`.
    fn open_deal(s: u32, p: u32) -> Weight {
        Weight::from_parts(336_371_000, 0)
            .saturating_add(Weight::from_parts(15_112_351, 0).saturating_mul(s.into()))
            .saturating_add(Weight::from_parts(12_582_849, 0).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads(11_u64))
            .saturating_add(T::DbWeight::get().writes(14_u64))
            .saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(s.into())))
    }
    /// The range of component `n` is `[1, 1024]`.
    fn confirm_stored(n: u32) -> Weight {
        Weight::from_parts(616_444_040, 0)
            .saturating_add(Weight::from_parts(8_618_852, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
    }
    fn answer_challenge() -> Weight {
        Weight::from_parts(248_761_000, 0)
            .saturating_add(T::DbWeight::get().reads(11_u64))
            .saturating_add(T::DbWeight::get().writes(7_u64))
    }
    fn answer_challenge_wrong() -> Weight {
        Weight::from_parts(4_629_975_000, 0)
            .saturating_add(T::DbWeight::get().reads(14_u64))
            .saturating_add(T::DbWeight::get().writes(9_u64))
    }
    /// The range of component `s` is `[2, 1024]`.
    fn close_deal(s: u32) -> Weight {
        Weight::from_parts(88_061_000, 0)
            .saturating_add(Weight::from_parts(10_764_055, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(11_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(s.into())))
            .saturating_add(T::DbWeight::get().writes(12_u64))
            .saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(s.into())))
    }
    fn request_retrieval_check() -> Weight {
        Weight::from_parts(75_342_000, 0)
            .saturating_add(T::DbWeight::get().reads(18_u64))
            .saturating_add(T::DbWeight::get().writes(11_u64))
    }
    fn settle_retrieval() -> Weight {
        Weight::from_parts(272_235_000, 0)
            .saturating_add(T::DbWeight::get().reads(18_u64))
            .saturating_add(T::DbWeight::get().writes(11_u64))
    }
    fn set_params() -> Weight {
        Weight::from_parts(11_187_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(5_358_000, 0).saturating_add(T::DbWeight::get().reads(5_u64))
    }
    fn start_epoch() -> Weight {
        Weight::from_parts(7_050_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn draw_challenge() -> Weight {
        Weight::from_parts(216_572_000, 0)
            .saturating_add(T::DbWeight::get().reads(8_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn expire_challenge() -> Weight {
        Weight::from_parts(239_597_000, 0)
            .saturating_add(T::DbWeight::get().reads(16_u64))
            .saturating_add(T::DbWeight::get().writes(11_u64))
    }
    fn reassign_shard() -> Weight {
        Weight::from_parts(351_583_000, 0)
            .saturating_add(T::DbWeight::get().reads(41_u64))
            .saturating_add(T::DbWeight::get().writes(7_u64))
    }
    // Not measured yet (added with the confirmation deadline and orphan retry, 2026-12-05):
    // `reassign_shard`'s figure with the extra accesses, until the command above is run
    // again and replaces this file.
    fn expire_confirmation() -> Weight {
        Weight::from_parts(400_000_000, 0)
            .saturating_add(T::DbWeight::get().reads(45_u64))
            .saturating_add(T::DbWeight::get().writes(12_u64))
    }
    fn retry_orphan() -> Weight {
        Weight::from_parts(351_583_000, 0)
            .saturating_add(T::DbWeight::get().reads(41_u64))
            .saturating_add(T::DbWeight::get().writes(8_u64))
    }
}
