//! Weights for `pallet_witness`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-03. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_witness --steps 20 --repeat 10 --output runtime/src/weights/pallet_witness.rs`
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

/// Measured weights of `pallet_witness`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_witness::WeightInfo for WeightInfo<T> {
    fn bond() -> Weight {
        Weight::from_parts(45_448_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn bond_extra() -> Weight {
        Weight::from_parts(45_117_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn unbond() -> Weight {
        Weight::from_parts(19_749_000, 0)
            .saturating_add(T::DbWeight::get().reads(7_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn withdraw_unbonded() -> Weight {
        Weight::from_parts(36_485_000, 0)
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn rebond() -> Weight {
        Weight::from_parts(10_115_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `e` is `[0, 1]`.
    fn validate(e: u32) -> Weight {
        Weight::from_parts(26_719_666, 0)
            .saturating_add(Weight::from_parts(2_823_062_000, 0).saturating_mul(e.into()))
            .saturating_add(T::DbWeight::get().reads(7_u64))
            .saturating_add(T::DbWeight::get().reads((771_u64).saturating_mul(e.into())))
            .saturating_add(T::DbWeight::get().writes(4_u64))
            .saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(e.into())))
    }
    /// The range of component `n` is `[1, 16]`, `e` is `[0, 1]`.
    fn nominate(n: u32, e: u32) -> Weight {
        Weight::from_parts(43_745_000, 0)
            .saturating_add(Weight::from_parts(76_869_577, 0).saturating_mul(n.into()))
            .saturating_add(Weight::from_parts(7_752_671_297, 0).saturating_mul(e.into()))
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().reads((2050_u64).saturating_mul(e.into())))
            .saturating_add(T::DbWeight::get().writes(3_u64))
            .saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(e.into())))
    }
    fn chill() -> Weight {
        Weight::from_parts(15_543_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    /// The range of component `e` is `[0, 1]`.
    fn register_witness(e: u32) -> Weight {
        Weight::from_parts(17_592_833, 0)
            .saturating_add(Weight::from_parts(7_655_678_666, 0).saturating_mul(e.into()))
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().reads((2060_u64).saturating_mul(e.into())))
            .saturating_add(T::DbWeight::get().writes(2_u64))
            .saturating_add(T::DbWeight::get().writes((12_u64).saturating_mul(e.into())))
    }
    fn deregister_witness() -> Weight {
        Weight::from_parts(12_629_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn submit_event() -> Weight {
        Weight::from_parts(135_702_000, 0)
            .saturating_add(T::DbWeight::get().reads(13_u64))
            .saturating_add(T::DbWeight::get().writes(7_u64))
    }
    /// The range of component `v` is `[1, 256]`.
    fn attest(v: u32) -> Weight {
        Weight::from_parts(793_159_000, 0)
            .saturating_add(Weight::from_parts(480_121_177, 0).saturating_mul(v.into()))
            .saturating_add(T::DbWeight::get().reads(154_u64))
            .saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(v.into())))
            .saturating_add(T::DbWeight::get().writes(111_u64))
            .saturating_add(T::DbWeight::get().writes((4_u64).saturating_mul(v.into())))
    }
    fn set_params() -> Weight {
        Weight::from_parts(7_772_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `s` is `[1, 64]`.
    fn cancel_deferred_slash(s: u32) -> Weight {
        Weight::from_parts(12_226_729, 0)
            .saturating_add(Weight::from_parts(19_197, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(13_470_000, 0)
            .saturating_add(T::DbWeight::get().reads(7_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    /// The range of component `c` is `[1, 256]`, `n` is `[0, 1024]`.
    fn elect(c: u32, n: u32) -> Weight {
        Weight::from_parts(3_986_314_000, 0)
            .saturating_add(Weight::from_parts(10_260_178, 0).saturating_mul(c.into()))
            .saturating_add(Weight::from_parts(14_918_418, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(c.into())))
            .saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(n.into())))
    }
    /// The range of component `w` is `[1, 1024]`.
    fn draw_committees(w: u32) -> Weight {
        Weight::from_parts(56_344_000, 0)
            .saturating_add(Weight::from_parts(16_435_876, 0).saturating_mul(w.into()))
            .saturating_add(T::DbWeight::get().reads(8_u64))
            .saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(w.into())))
            .saturating_add(T::DbWeight::get().writes(7_u64))
    }
    /// The range of component `b` is `[0, 256]`.
    fn payout_earner(b: u32) -> Weight {
        Weight::from_parts(35_052_000, 0)
            .saturating_add(Weight::from_parts(25_660_062, 0).saturating_mul(b.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(b.into())))
            .saturating_add(T::DbWeight::get().writes(1_u64))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(b.into())))
    }
    /// The range of component `e` is `[0, 64]`.
    fn expire_events(e: u32) -> Weight {
        Weight::from_parts(15_994_000, 0)
            .saturating_add(Weight::from_parts(590_204_075, 0).saturating_mul(e.into()))
            .saturating_add(T::DbWeight::get().reads(119_u64))
            .saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(e.into())))
            .saturating_add(T::DbWeight::get().writes(111_u64))
            .saturating_add(T::DbWeight::get().writes((4_u64).saturating_mul(e.into())))
    }
    /// The range of component `r` is `[0, 64]`.
    fn prune_receipts(r: u32) -> Weight {
        Weight::from_parts(1_081_000, 0)
            .saturating_add(Weight::from_parts(16_268_285, 0).saturating_mul(r.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(r.into())))
            .saturating_add(T::DbWeight::get().writes(2_u64))
            .saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(r.into())))
    }
    fn consume_receipt() -> Weight {
        Weight::from_parts(12_088_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `s` is `[0, 64]`.
    fn start_era(s: u32) -> Weight {
        Weight::from_parts(63_118_501, 0)
            .saturating_add(Weight::from_parts(13_150_331, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(11_u64))
            .saturating_add(T::DbWeight::get().writes(8_u64))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(s.into())))
    }
    /// The range of component `a` is `[0, 256]`.
    fn apply_slash_chunk(a: u32) -> Weight {
        Weight::from_parts(1_822_000, 0)
            .saturating_add(Weight::from_parts(44_381_824, 0).saturating_mul(a.into()))
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(a.into())))
            .saturating_add(T::DbWeight::get().writes(3_u64))
            .saturating_add(T::DbWeight::get().writes((5_u64).saturating_mul(a.into())))
    }
}
