//! The block VRF digest.
//!
//! Every block carries a pre-runtime digest with engine id [`VRF_ENGINE_ID`] whose payload
//! is the SCALE encoding of an sr25519 [`VrfSignature`] (32-byte pre-output and 64-byte
//! proof) by the block's Aura author, over the transcript [`vrf_transcript`] of (the epoch
//! randomness stored in the parent block's state, the block's slot). Its verified output
//! ([`verify_vrf`]) is 32 bytes made from the pre-output with [`VRF_OUTPUT_CONTEXT`].

use codec::Encode;
use sp_core::sr25519::{
    self,
    vrf::{VrfSignData, VrfSignature, VrfTranscript},
};
use sp_runtime::{ConsensusEngineId, DigestItem};

/// The engine id of the VRF pre-runtime digest.
pub const VRF_ENGINE_ID: ConsensusEngineId = *b"EVRF";
/// The transcript label of a block's VRF.
pub const VRF_TRANSCRIPT_LABEL: &[u8] = b"echonet-block-vrf";
/// The context with which a VRF pre-output becomes 32 bytes of output.
pub const VRF_OUTPUT_CONTEXT: &[u8] = b"echonet-vrf-output";

/// The VRF transcript a block author signs for `slot` under `randomness` (the epoch
/// randomness stored in the parent block's state).
pub fn vrf_transcript(randomness: &[u8; 32], slot: u64) -> VrfTranscript {
    VrfTranscript::new(
        VRF_TRANSCRIPT_LABEL,
        &[
            (b"epoch randomness", &randomness[..]),
            (b"slot", &slot.to_le_bytes()[..]),
        ],
    )
}

/// The data an author signs with `vrf_sign` (`sp_core::crypto::VrfSecret`).
pub fn vrf_sign_data(randomness: &[u8; 32], slot: u64) -> VrfSignData {
    vrf_transcript(randomness, slot).into()
}

/// The digest item that carries `signature`.
pub fn vrf_digest_item(signature: &VrfSignature) -> DigestItem {
    DigestItem::PreRuntime(VRF_ENGINE_ID, signature.encode())
}

/// Verifies `signature` by `author` for (`randomness`, `slot`) and returns its 32-byte
/// output, or `None` if it does not verify.
pub fn verify_vrf(
    author: &sr25519::Public,
    randomness: &[u8; 32],
    slot: u64,
    signature: &VrfSignature,
) -> Option<[u8; 32]> {
    use sp_core::crypto::VrfPublic;
    let transcript = vrf_transcript(randomness, slot);
    if !author.vrf_verify(&transcript.clone().into(), signature) {
        return None;
    }
    author
        .make_bytes::<32>(VRF_OUTPUT_CONTEXT, &transcript, &signature.pre_output)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sp_core::{crypto::VrfSecret, Pair as _};

    /// The digest's bytes are part of every block: pin them.
    #[test]
    fn the_digest_item_is_the_scale_signature_under_evrf() {
        let pair = sr25519::Pair::from_seed(&[7u8; 32]);
        let signature = pair.vrf_sign(&vrf_sign_data(&[1u8; 32], 42));
        let item = vrf_digest_item(&signature);
        let DigestItem::PreRuntime(id, data) = &item else {
            panic!("not a pre-runtime digest: {item:?}");
        };
        assert_eq!(id, b"EVRF");
        assert_eq!(data.len(), 96, "32-byte pre-output and 64-byte proof");
        assert_eq!(data[..], signature.encode()[..]);
        assert!(verify_vrf(&pair.public(), &[1u8; 32], 42, &signature).is_some());
        assert!(verify_vrf(&pair.public(), &[1u8; 32], 43, &signature).is_none());
    }
}
