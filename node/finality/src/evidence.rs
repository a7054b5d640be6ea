//! Equivocation evidence from the node to the chain (pallet-evidence).
//!
//! Detected equivocations become unsigned (bare) `Evidence` extrinsics that the node
//! submits to its own transaction pool (`Pool::submit_one(bytes)`), from where the next
//! author includes them. The runtime checks the proofs itself (`ValidateUnsigned`), so a
//! report from any node is as good as another, and the pool keeps one per equivocation
//! (the extrinsics are tagged by offender, kind and slot or round).
//!
//! - GRANDPA: the voter detects two different votes of one authority in one round and
//!   stage and calls [`EquivocationReporter::report_grandpa_equivocation`];
//!   [`PoolReporter`] turns it into [`grandpa_report_extrinsic`].
//! - Aura: the client's import sees a second block of the same slot by the same author
//!   (`Client::aura_equivocations()`); the node submits [`aura_report_extrinsic`].
//!
//! To make a validator equivocate in tests: GRANDPA, `GrandpaConfig::equivocate`; Aura,
//! [`reseal_for_equivocation`] turns a block the node authored into a second, different
//! block of the same slot, sealed by the same key.

use crate::EquivocationReporter;
use codec::Encode;
use echonet_runtime::{Header, RuntimeCall, UncheckedExtrinsic};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::H256;
use std::sync::Arc;

/// Reports GRANDPA equivocations by handing the extrinsic bytes to `submit` (the node
/// passes a closure that spawns `Pool::submit_one`).
pub struct PoolReporter {
    submit: Arc<dyn Fn(Vec<u8>) + Send + Sync>,
}

impl PoolReporter {
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

/// The SCALE bytes of a bare `Evidence::report_aura_equivocation` extrinsic: `first` and
/// `second` are the two sealed headers of one slot, both sealed by `offender`.
pub fn aura_report_extrinsic(offender: AuraId, first: Header, second: Header) -> Vec<u8> {
    let call = RuntimeCall::Evidence(pallet_evidence::Call::report_aura_equivocation {
        proof: Box::new(pallet_evidence::AuraEquivocationProof {
            offender,
            first,
            second,
        }),
    });
    UncheckedExtrinsic::new_bare(call).encode()
}

/// Test-only building block for "a validator made to equivocate": (re)seals `header` with
/// `sign(hash of the header without its seal)`. To make an Aura equivocation, build two
/// different blocks for the same slot on the same parent (say, one with and one without a
/// transaction) and seal both with the same key; importing both into a node makes its
/// client report them (`Client::aura_equivocations()`).
pub fn reseal_for_equivocation(
    mut header: Header,
    sign: impl FnOnce(&[u8]) -> sp_consensus_aura::sr25519::AuthoritySignature,
) -> Header {
    use sp_consensus_aura::digests::CompatibleDigestItem;
    use sp_runtime::traits::Header as _;
    if header
        .digest()
        .logs()
        .last()
        .and_then(
            CompatibleDigestItem::<sp_consensus_aura::sr25519::AuthoritySignature>::as_aura_seal,
        )
        .is_some()
    {
        header.digest_mut().pop();
    }
    let signature = sign(header.hash().as_bytes());
    header.digest_mut().push(CompatibleDigestItem::<
        sp_consensus_aura::sr25519::AuthoritySignature,
    >::aura_seal(signature));
    header
}
