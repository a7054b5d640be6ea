//! Weights for `pallet_utility`, measured natively by `echonet-node benchmark pallet`.
//!
//! Date: 2026-12-04. Machine: AMD EPYC, 2 cores.
//! Steps: 20, repeat: 10. Times are the runtime's own clock around each call, on an
//! in-memory trie; storage accesses are charged per read and write through `DbWeight`.
//!
//! Command: `target/release/echonet-node benchmark pallet --pallet pallet_utility --steps 20 --repeat 10 --output runtime/src/weights/pallet_utility.rs`
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

/// Measured weights of `pallet_utility`.
pub struct WeightInfo<T>(PhantomData<T>);

impl<T: frame_system::Config> pallet_utility::WeightInfo for WeightInfo<T> {
    /// The range of component `c` is `[0, 1000]`.
    fn batch(c: u32) -> Weight {
        Weight::from_parts(3_986_000, 0)
            .saturating_add(Weight::from_parts(2_139_319, 0).saturating_mul(c.into()))
    }
    fn as_derivative() -> Weight {
        Weight::from_parts(2_243_000, 0)
    }
    /// The range of component `c` is `[0, 1000]`.
    fn batch_all(c: u32) -> Weight {
        Weight::from_parts(3_906_000, 0)
            .saturating_add(Weight::from_parts(2_205_219, 0).saturating_mul(c.into()))
    }
    fn dispatch_as() -> Weight {
        Weight::from_parts(7_862_000, 0)
    }
    /// The range of component `c` is `[0, 1000]`.
    fn force_batch(c: u32) -> Weight {
        Weight::from_parts(5_809_000, 0)
            .saturating_add(Weight::from_parts(3_137_555, 0).saturating_mul(c.into()))
    }
    fn dispatch_as_fallible() -> Weight {
        Weight::from_parts(9_004_000, 0)
    }
    fn if_else() -> Weight {
        Weight::from_parts(9_575_000, 0)
    }
}
