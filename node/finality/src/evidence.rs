//! GRANDPA equivocation evidence from the node to the chain (pallet-evidence).
//!
//! The voter detects two different votes of one authority in one round and stage and
//! calls [`EquivocationReporter::report_grandpa_equivocation`]; [`PoolReporter`] turns it
//! into [`grandpa_report_extrinsic`], an unsigned (bare) `Evidence` extrinsic that the
//! node submits to its own transaction pool (`Pool::submit_one(bytes)`), from where the
//! next author includes it. The runtime checks the proof itself (`ValidateUnsigned`), so
//! a report from any node is as good as another, and the pool keeps one per equivocation
//! (the extrinsics are tagged by offender, kind and round).
//!
//! To make a validator equivocate in tests, set `GrandpaConfig::equivocate`. (Aura's
//! evidence is echonet-consensus's.)

use crate::EquivocationReporter;
use codec::Encode;
use echonet_runtime::{RuntimeCall, UncheckedExtrinsic};
use sp_core::H256;
use std::sync::Arc;

/// Reports GRANDPA equivocations by handing the extrinsic bytes to `submit` (the node
/// passes a closure that spawns `Pool::submit_one`).
pub struct PoolReporter {
    submit: Arc<dyn Fn(Vec<u8>) + Send + Sync>,
}

impl PoolReporter {
    /// A reporter that calls `submit` with each report's extrinsic bytes, on the voter's
    /// thread: `submit` must return at once (spawn the pool submission).
    pub fn new(submit: impl Fn(Vec<u8>) + Send + Sync + 'static) -> Self {
        Self {
            submit: Arc::new(submit),
        }
    }
}

impl EquivocationReporter for PoolReporter {
    fn report_grandpa_equivocation(
        &self,
        proof: sp_consensus_grandpa::EquivocationProof<H256, u32>,
    ) {
        (self.submit)(grandpa_report_extrinsic(proof));
    }
}

/// The SCALE bytes of a bare `Evidence::report_grandpa_equivocation` extrinsic.
pub fn grandpa_report_extrinsic(
    proof: sp_consensus_grandpa::EquivocationProof<H256, u32>,
) -> Vec<u8> {
    let call = RuntimeCall::Evidence(pallet_evidence::Call::report_grandpa_equivocation {
        proof: Box::new(proof),
    });
    UncheckedExtrinsic::new_bare(call).encode()
}
