//! The weight of executing an empty block, measured by `echonet-node benchmark overhead`.
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
    /// Importing an empty block (timestamp inherent only): the median of 20 blocks,
    /// 347562 ns.
    pub const BlockExecutionWeight: Weight =
        Weight::from_parts(WEIGHT_REF_TIME_PER_NANOS.saturating_mul(347562), 0);
}
