//! Aura equivocation evidence for the chain (pallet-evidence).
//!
//! Import sees a second block of the same slot by the same author
//! ([`AuraVerifier::equivocations`](super::AuraVerifier::equivocations)); the node submits
//! [`aura_report_extrinsic`], an unsigned (bare) extrinsic, to its own transaction pool,
//! from where the next author includes it. The runtime checks the proof itself
//! (`ValidateUnsigned`), so a report from any node is as good as another, and the pool
//! keeps one per equivocation (tagged by offender, kind and slot).
//!
//! To make a validator equivocate in tests, [`reseal_for_equivocation`] turns a block the
//! node authored into a second, different block of the same slot, sealed by the same key.

use super::{AuraId, AuraSignature};
use codec::Encode;
use echonet_runtime::{Header, RuntimeCall, UncheckedExtrinsic};
use sp_consensus_aura::digests::CompatibleDigestItem;
use sp_runtime::traits::Header as _;

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
/// verifier report them.
pub fn reseal_for_equivocation(
    mut header: Header,
    sign: impl FnOnce(&[u8]) -> AuraSignature,
) -> Header {
    if header
        .digest()
        .logs()
        .last()
        .and_then(CompatibleDigestItem::<AuraSignature>::as_aura_seal)
        .is_some()
    {
        header.digest_mut().pop();
    }
    let signature = sign(header.hash().as_bytes());
    header
        .digest_mut()
        .push(CompatibleDigestItem::<AuraSignature>::aura_seal(signature));
    header
}
