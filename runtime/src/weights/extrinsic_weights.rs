//! The base weight of an extrinsic, measured by `echonet-node benchmark overhead`.
//!
//! Date: 2026-11-23. Machine: AMD EPYC, 2 cores.
//! Command: `target/release/echonet-node benchmark overhead --output runtime/src/weights`
//!
//! Generated: do not edit by hand; run the command again.

use frame_support::{
    parameter_types,
    weights::{constants::WEIGHT_REF_TIME_PER_NANOS, Weight},
};

parameter_types! {
    /// One signed `System::remark` with an empty remark, signature checked in execution:
    /// 101305 ns, from the median import of blocks of 2000 remarks minus an empty block.
    pub const ExtrinsicBaseWeight: Weight =
        Weight::from_parts(WEIGHT_REF_TIME_PER_NANOS.saturating_mul(101305), 0);
}
