//! Aura's rules as free functions over headers, in the spirit of Substrate's
//! `sc-consensus-aura` `standalone` module: the slot author, the pre-digests, the seal,
//! and the checks a header must pass ([`check_header`], then [`check_vrf`]).
//!
//! The runtime does not check seals: the node does, at import, before it executes a block.
//! It checks the VRF digest too, so that a bad proof is an import error with a reason
//! rather than a failing runtime hook; the runtime checks it again (pallet-randomness) and
//! folds the output into the next epoch's randomness.

use codec::Decode;
use echonet_consensus_primitives::vrf::{self, VRF_ENGINE_ID};
use echonet_runtime::Header;
pub use sp_consensus_aura::sr25519::{AuthorityId as AuraId, AuthoritySignature as AuraSignature};
use sp_consensus_aura::{digests::CompatibleDigestItem, Slot};
use sp_core::{
    sr25519::{
        self,
        vrf::{VrfSignData, VrfSignature},
    },
    Pair as _, H256,
};
use sp_runtime::{traits::Header as HeaderT, DigestItem};

/// Why a header fails Aura's rules. Each is an import error for the block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuraError {
    /// The last digest item is not an Aura seal: the block is unsealed, or something was
    /// appended after the seal.
    #[error("header has no Aura seal as its last digest item")]
    MissingSeal,
    /// No `PreRuntime(b"aura", slot)` item: the header does not say its slot.
    #[error("header has no Aura pre-runtime digest")]
    MissingPreDigest,
    /// Two Aura slot items: the header's slot would be ambiguous.
    #[error("header has more than one Aura pre-runtime digest")]
    MultiplePreDigests,
    /// The slot starts more than the allowed drift after the local clock's slot: the
    /// author's clock runs ahead (or it is authoring early).
    #[error("slot {slot} is {ahead} slots ahead of the local clock")]
    SlotInFuture {
        /// The slot the header claims.
        slot: u64,
        /// How many slots it is past the local clock's current slot.
        ahead: u64,
    },
    /// The slot is not after the parent's: slots only move forward along a chain.
    #[error("slot {slot} is not after the parent's slot {parent}")]
    SlotNotIncreasing {
        /// The slot the header claims.
        slot: u64,
        /// The parent's slot, which it must exceed.
        parent: u64,
    },
    /// The parent's state names no authorities, so no one owns the slot.
    #[error("there are no Aura authorities")]
    NoAuthorities,
    /// The seal does not verify against the slot owner's key over the hash of the header
    /// without its seal: another key sealed it, or the header changed after sealing.
    #[error("bad seal: not signed by {expected}, the owner of slot {slot}")]
    BadSignature {
        /// The slot the header claims.
        slot: u64,
        /// The slot owner's public key (SS58), which should have sealed it.
        expected: String,
    },
    /// No `PreRuntime(b"EVRF", ..)` item: the block does not carry its author's VRF.
    #[error("header has no VRF pre-runtime digest")]
    MissingVrf,
    /// Two VRF items: which output counts would be ambiguous.
    #[error("header has more than one VRF pre-runtime digest")]
    MultipleVrf,
    /// The VRF item's payload is not a SCALE sr25519 VRF signature.
    #[error("the VRF pre-runtime digest does not decode: {0}")]
    UndecodableVrf(String),
    /// The VRF proof does not verify as the slot owner's over (the epoch randomness in the
    /// parent's state, the slot): another key, other randomness, or another slot.
    #[error(
        "bad VRF proof: not by {expected}, the owner of slot {slot}, over the epoch randomness"
    )]
    BadVrf {
        /// The slot the header claims.
        slot: u64,
        /// The slot owner's public key (SS58), whose VRF proof was expected.
        expected: String,
    },
}

/// The slot a header claims.
pub fn pre_digest(header: &Header) -> Result<Slot, AuraError> {
    let mut found = None;
    for log in header.digest().logs() {
        if let Some(slot) = CompatibleDigestItem::<AuraSignature>::as_aura_pre_digest(log) {
            if found.is_some() {
                return Err(AuraError::MultiplePreDigests);
            }
            found = Some(slot);
        }
    }
    found.ok_or(AuraError::MissingPreDigest)
}

/// The pre-runtime digest for a slot.
pub fn pre_digest_item(slot: Slot) -> DigestItem {
    CompatibleDigestItem::<AuraSignature>::aura_pre_digest(slot)
}

/// The VRF signature a header carries.
pub fn vrf_signature(header: &Header) -> Result<VrfSignature, AuraError> {
    let mut found = None;
    for log in header.digest().logs() {
        if let DigestItem::PreRuntime(id, data) = log {
            if *id == VRF_ENGINE_ID {
                if found.is_some() {
                    return Err(AuraError::MultipleVrf);
                }
                found = Some(
                    VrfSignature::decode(&mut &data[..])
                        .map_err(|e| AuraError::UndecodableVrf(e.to_string()))?,
                );
            }
        }
    }
    found.ok_or(AuraError::MissingVrf)
}

/// Checks the VRF of a header whose seal and slot passed [`check_header`]: it must be
/// `author`'s proof for (`randomness`, `slot`). Returns the 32-byte output.
pub fn check_vrf(checked: &CheckedHeader, randomness: &[u8; 32]) -> Result<[u8; 32], AuraError> {
    let signature = vrf_signature(&checked.pre_header)?;
    let public: sr25519::Public = checked.author.clone().into();
    vrf::verify_vrf(&public, randomness, *checked.slot, &signature).ok_or_else(|| {
        AuraError::BadVrf {
            slot: *checked.slot,
            expected: format!("{}", checked.author),
        }
    })
}

/// The VRF digest item of `signature`.
pub fn vrf_digest_item(signature: &VrfSignature) -> DigestItem {
    vrf::vrf_digest_item(signature)
}

/// What an author signs with its VRF key for `slot` under `randomness`.
pub fn vrf_sign_data(randomness: &[u8; 32], slot: Slot) -> VrfSignData {
    vrf::vrf_sign_data(randomness, *slot)
}

/// Both pre-runtime digest items of a block `pair` authors in `slot` under the epoch
/// `randomness`: the Aura slot and the VRF signature. For authors whose key is at hand
/// (block builders in tests and benchmarks); the node signs through its keystore.
pub fn pre_digest_items(
    slot: Slot,
    randomness: &[u8; 32],
    pair: &sr25519::Pair,
) -> Vec<DigestItem> {
    use sp_core::crypto::VrfSecret;
    let signature = pair.vrf_sign(&vrf_sign_data(randomness, slot));
    vec![pre_digest_item(slot), vrf_digest_item(&signature)]
}

/// The author of `slot`.
pub fn slot_author(slot: Slot, authorities: &[AuraId]) -> Option<&AuraId> {
    if authorities.is_empty() {
        return None;
    }
    let idx = *slot % authorities.len() as u64;
    authorities.get(idx as usize)
}

/// The current slot by the local clock.
pub fn slot_now(slot_duration_ms: u64) -> Slot {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    Slot::from(now / slot_duration_ms.max(1))
}

/// Appends the seal to an unsealed header.
pub fn seal(header: &mut Header, signature: AuraSignature) {
    header
        .digest_mut()
        .push(CompatibleDigestItem::<AuraSignature>::aura_seal(signature));
}

/// A header that passed [`check_header`].
#[derive(Debug, Clone)]
pub struct CheckedHeader {
    /// The header without its seal: what the runtime executes.
    pub pre_header: Header,
    /// The slot the header claims.
    pub slot: Slot,
    /// The slot's owner, whose key sealed the header.
    pub author: AuraId,
}

/// Checks the seal and the slot of `header`:
/// - the last digest is an Aura seal, and there is exactly one Aura pre-digest;
/// - the slot is after `parent_slot` (if the parent is not genesis);
/// - the slot is at most `max_drift` slots ahead of `now`;
/// - the seal is the slot owner's signature of the unsealed header's hash.
pub fn check_header(
    mut header: Header,
    parent_slot: Option<Slot>,
    authorities: &[AuraId],
    now: Slot,
    max_drift: u64,
) -> Result<CheckedHeader, AuraError> {
    let seal_item = header.digest_mut().pop().ok_or(AuraError::MissingSeal)?;
    let signature = CompatibleDigestItem::<AuraSignature>::as_aura_seal(&seal_item)
        .ok_or(AuraError::MissingSeal)?;
    let slot = pre_digest(&header)?;
    if let Some(parent) = parent_slot {
        if slot <= parent {
            return Err(AuraError::SlotNotIncreasing {
                slot: *slot,
                parent: *parent,
            });
        }
    }
    if *slot > (*now).saturating_add(max_drift) {
        return Err(AuraError::SlotInFuture {
            slot: *slot,
            ahead: *slot - *now,
        });
    }
    let author = slot_author(slot, authorities)
        .ok_or(AuraError::NoAuthorities)?
        .clone();
    let pre_hash: H256 = header.hash();
    let public: sr25519::Public = author.clone().into();
    let sig: sr25519::Signature = signature.into();
    if !sr25519::Pair::verify(&sig, pre_hash.as_bytes(), &public) {
        return Err(AuraError::BadSignature {
            slot: *slot,
            expected: format!("{author}"),
        });
    }
    Ok(CheckedHeader {
        pre_header: header,
        slot,
        author,
    })
}

/// Encodes a slot for the `aura` inherent data (the slot inherent is not needed by
/// pallet-aura any more, but the timestamp inherent must match the slot).
pub fn timestamp_for_slot(slot: Slot, slot_duration_ms: u64) -> u64 {
    (*slot).saturating_mul(slot_duration_ms)
}
