//! Weights for `pallet_dds`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-05. Machine: AMD EPYC, 2 cores.
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
        Weight::from_parts(263_815_000, 0)
            .saturating_add(T::DbWeight::get().reads(7_u64))
            .saturating_add(T::DbWeight::get().writes(5_u64))
    }
    fn update_provider() -> Weight {
        Weight::from_parts(212_408_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn deregister() -> Weight {
        Weight::from_parts(239_830_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn withdraw_bond() -> Weight {
        Weight::from_parts(43_642_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    /// The range of component `s` is `[2, 1024]`, `p` is `[1, 1000]`.
    fn open_deal(s: u32, p: u32) -> Weight {
        Weight::from_parts(541_846_000, 0)
            .saturating_add(Weight::from_parts(15_613_598, 0).saturating_mul(s.into()))
            .saturating_add(Weight::from_parts(5_027_724, 0).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads(11_u64))
            .saturating_add(T::DbWeight::get().writes(18_u64))
            .saturating_add(T::DbWeight::get().writes((4_u64).saturating_mul(s.into())))
    }
    /// The range of component `n` is `[1, 1024]`.
    fn confirm_stored(n: u32) -> Weight {
        Weight::from_parts(366_859_254, 0)
            .saturating_add(Weight::from_parts(14_283_061, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(n.into())))
    }
    fn answer_challenge() -> Weight {
        Weight::from_parts(815_539_000, 0)
            .saturating_add(T::DbWeight::get().reads(11_u64))
            .saturating_add(T::DbWeight::get().writes(7_u64))
    }
    fn answer_challenge_wrong() -> Weight {
        Weight::from_parts(1_371_202_000, 0)
            .saturating_add(T::DbWeight::get().reads(14_u64))
            .saturating_add(T::DbWeight::get().writes(9_u64))
    }
    /// The range of component `s` is `[2, 1024]`.
    fn close_deal(s: u32) -> Weight {
        Weight::from_parts(135_384_000, 0)
            .saturating_add(Weight::from_parts(9_118_612, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(12_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(s.into())))
            .saturating_add(T::DbWeight::get().writes(12_u64))
            .saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(s.into())))
    }
    fn request_retrieval_check() -> Weight {
        Weight::from_parts(117_891_000, 0)
            .saturating_add(T::DbWeight::get().reads(18_u64))
            .saturating_add(T::DbWeight::get().writes(11_u64))
    }
    fn settle_retrieval() -> Weight {
        Weight::from_parts(548_438_000, 0)
            .saturating_add(T::DbWeight::get().reads(18_u64))
            .saturating_add(T::DbWeight::get().writes(11_u64))
    }
    fn set_params() -> Weight {
        Weight::from_parts(15_650_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(7_914_000, 0).saturating_add(T::DbWeight::get().reads(7_u64))
    }
    fn start_epoch() -> Weight {
        Weight::from_parts(10_419_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn draw_challenge() -> Weight {
        Weight::from_parts(1_278_428_000, 0)
            .saturating_add(T::DbWeight::get().reads(8_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn expire_challenge() -> Weight {
        Weight::from_parts(478_307_000, 0)
            .saturating_add(T::DbWeight::get().reads(16_u64))
            .saturating_add(T::DbWeight::get().writes(11_u64))
    }
    fn reassign_shard() -> Weight {
        Weight::from_parts(691_377_000, 0)
            .saturating_add(T::DbWeight::get().reads(43_u64))
            .saturating_add(T::DbWeight::get().writes(10_u64))
    }
    fn expire_confirmation() -> Weight {
        Weight::from_parts(723_477_000, 0)
            .saturating_add(T::DbWeight::get().reads(46_u64))
            .saturating_add(T::DbWeight::get().writes(10_u64))
    }
    fn retry_orphan() -> Weight {
        Weight::from_parts(603_723_000, 0)
            .saturating_add(T::DbWeight::get().reads(42_u64))
            .saturating_add(T::DbWeight::get().writes(8_u64))
    }
}
