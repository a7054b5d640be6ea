//! Weights for `pallet_witness`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-11-23. Machine: AMD EPYC, 2 cores.
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
        Weight::from_parts(55_324_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    fn bond_extra() -> Weight {
        Weight::from_parts(54_823_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn unbond() -> Weight {
        Weight::from_parts(22_682_000, 0)
            .saturating_add(T::DbWeight::get().reads(6_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn withdraw_unbonded() -> Weight {
        Weight::from_parts(45_385_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
    }
    fn rebond() -> Weight {
        Weight::from_parts(15_669_000, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `e` is `[0, 1]`.
    // hand-written until regenerated: e = 1 scans 256 candidates (key, ledger, exposure:
    // 768 reads; up to 100 exposures of 256 backers decoded, 20 µs per candidate) and
    // chills one.
    fn validate(e: u32) -> Weight {
        Weight::from_parts(28_053_000, 0)
            // One more read (the caller's session keys): hand-written until regenerated.
            .saturating_add(T::DbWeight::get().reads(7_u64))
            .saturating_add(T::DbWeight::get().writes(4_u64))
            .saturating_add(Weight::from_parts(5_120_000, 0).saturating_mul(e.into()))
            .saturating_add(T::DbWeight::get().reads((770_u64).saturating_mul(e.into())))
            .saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(e.into())))
    }
    /// The range of component `n` is `[1, 16]`.
    /// The range of component `e` is `[0, 1]`.
    // hand-written until regenerated: e = 1 scans 1,024 nominators (key, ledger: 2,048
    // reads, 10 µs each) and chills one.
    fn nominate(n: u32, e: u32) -> Weight {
        Weight::from_parts(26_707_633, 0)
            .saturating_add(Weight::from_parts(2_602_912, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(n.into())))
            .saturating_add(T::DbWeight::get().writes(3_u64))
            .saturating_add(Weight::from_parts(10_240_000, 0).saturating_mul(e.into()))
            .saturating_add(T::DbWeight::get().reads((2_050_u64).saturating_mul(e.into())))
            .saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(e.into())))
    }
    fn chill() -> Weight {
        Weight::from_parts(20_789_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(3_u64))
    }
    /// The range of component `e` is `[0, 1]`.
    // hand-written until regenerated: e = 1 scans 1,024 witnesses (key, ledger: 2,048
    // reads, 10 µs each) and deregisters one from the 10 committees in use.
    fn register_witness(e: u32) -> Weight {
        Weight::from_parts(22_422_000, 0)
            .saturating_add(T::DbWeight::get().reads(4_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
            .saturating_add(Weight::from_parts(10_240_000, 0).saturating_mul(e.into()))
            .saturating_add(T::DbWeight::get().reads((2_062_u64).saturating_mul(e.into())))
            .saturating_add(T::DbWeight::get().writes((13_u64).saturating_mul(e.into())))
    }
    fn deregister_witness() -> Weight {
        Weight::from_parts(17_112_000, 0)
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    fn submit_event() -> Weight {
        Weight::from_parts(132_759_000, 0)
            .saturating_add(T::DbWeight::get().reads(8_u64))
            .saturating_add(T::DbWeight::get().writes(5_u64))
    }
    /// The range of component `v` is `[1, 256]`.
    fn attest(v: u32) -> Weight {
        Weight::from_parts(230_722_000, 0)
            .saturating_add(Weight::from_parts(168_255_569, 0).saturating_mul(v.into()))
            .saturating_add(T::DbWeight::get().reads(75_u64))
            .saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(v.into())))
            .saturating_add(T::DbWeight::get().writes(69_u64))
            .saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(v.into())))
    }
    fn set_params() -> Weight {
        Weight::from_parts(5_640_000, 0).saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `s` is `[1, 64]`.
    fn cancel_deferred_slash(s: u32) -> Weight {
        Weight::from_parts(14_069_637, 0)
            .saturating_add(T::DbWeight::get().reads(1_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    fn on_initialize_idle() -> Weight {
        Weight::from_parts(3_747_000, 0)
            .saturating_add(T::DbWeight::get().reads(5_u64))
            .saturating_add(T::DbWeight::get().writes(1_u64))
    }
    /// The range of component `c` is `[1, 256]`, `n` is `[0, 1024]`.
    fn elect(c: u32, n: u32) -> Weight {
        Weight::from_parts(1_917_155_000, 0)
            .saturating_add(Weight::from_parts(13_371_920, 0).saturating_mul(c.into()))
            .saturating_add(Weight::from_parts(10_466_299, 0).saturating_mul(n.into()))
            .saturating_add(T::DbWeight::get().reads(5_u64))
            // One more read per candidate (its session keys): hand-written until regenerated.
            .saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(c.into())))
            .saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(n.into())))
    }
    /// The range of component `w` is `[1, 1024]`.
    // hand-written until regenerated: the measured figures of the draw before the pool
    // snapshot (31.7 µs + 9.72 µs·w), doubled per witness for decoding the old snapshot,
    // encoding the new one and the eligibility map, plus the snapshot's read and write.
    fn draw_committees(w: u32) -> Weight {
        Weight::from_parts(31_709_000, 0)
            .saturating_add(Weight::from_parts(19_440_420, 0).saturating_mul(w.into()))
            .saturating_add(T::DbWeight::get().reads(8_u64))
            .saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(w.into())))
            .saturating_add(T::DbWeight::get().writes(7_u64))
    }
    /// The range of component `b` is `[0, 256]`.
    fn payout_earner(b: u32) -> Weight {
        Weight::from_parts(19_016_000, 0)
            .saturating_add(Weight::from_parts(14_606_762, 0).saturating_mul(b.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().reads((1_u64).saturating_mul(b.into())))
            .saturating_add(T::DbWeight::get().writes(1_u64))
            .saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(b.into())))
    }
    /// The range of component `e` is `[0, 64]`.
    fn expire_events(e: u32) -> Weight {
        Weight::from_parts(12_724_000, 0)
            .saturating_add(Weight::from_parts(405_385_261, 0).saturating_mul(e.into()))
            .saturating_add(T::DbWeight::get().reads(112_u64))
            // hand-written until regenerated: + the receipt an `Invalid` event removes
            .saturating_add(T::DbWeight::get().reads((5_u64).saturating_mul(e.into())))
            .saturating_add(T::DbWeight::get().writes(107_u64))
            // hand-written until regenerated: + the receipt an `Invalid` event removes
            .saturating_add(T::DbWeight::get().writes((5_u64).saturating_mul(e.into())))
    }
    /// The range of component `r` is `[0, 64]`.
    fn prune_receipts(r: u32) -> Weight {
        Weight::from_parts(15_077_794, 0)
            .saturating_add(Weight::from_parts(7_267_934, 0).saturating_mul(r.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(r.into())))
            .saturating_add(T::DbWeight::get().writes(2_u64))
            .saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(r.into())))
    }
    /// The range of component `s` is `[0, 64]`.
    fn start_era(s: u32) -> Weight {
        Weight::from_parts(41_682_497, 0)
            .saturating_add(Weight::from_parts(29_574_438, 0).saturating_mul(s.into()))
            .saturating_add(T::DbWeight::get().reads(9_u64))
            .saturating_add(T::DbWeight::get().reads((4_u64).saturating_mul(s.into())))
            .saturating_add(T::DbWeight::get().writes(5_u64))
            .saturating_add(T::DbWeight::get().writes((3_u64).saturating_mul(s.into())))
    }
    // hand-written until regenerated: a conservative bound of two reads (settled,
    // receipt) and two writes (settled record, event) around a 50 µs call.
    fn consume_receipt() -> Weight {
        Weight::from_parts(50_000_000, 0)
            .saturating_add(T::DbWeight::get().reads(2_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
    }
    /// The range of component `a` is `[0, 256]`.
    // hand-written until regenerated: the per-account cost of `payout_earner`'s backers
    // doubled, with a ledger, a hold, the total stake and a witness entry per account.
    fn apply_slash_chunk(a: u32) -> Weight {
        Weight::from_parts(20_000_000, 0)
            .saturating_add(Weight::from_parts(30_000_000, 0).saturating_mul(a.into()))
            .saturating_add(T::DbWeight::get().reads(3_u64))
            .saturating_add(T::DbWeight::get().writes(2_u64))
            .saturating_add(T::DbWeight::get().reads((6_u64).saturating_mul(a.into())))
            .saturating_add(T::DbWeight::get().writes((5_u64).saturating_mul(a.into())))
    }
}
