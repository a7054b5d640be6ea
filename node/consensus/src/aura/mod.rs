//! Aura: who may author in which slot, and how a block proves it.
//!
//! A block's header carries a `PreRuntime(b"aura", slot)` digest, and, last, a
//! `Seal(b"aura", signature)` over the hash of the header without the seal. The author of
//! slot `s` is `authorities[s % n]`, with the authorities read from the parent's state.
//! Every block also carries its author's sr25519 VRF signature over (the epoch randomness
//! in the parent's state, the slot) as a `PreRuntime(b"EVRF", ..)` digest
//! (`echonet_consensus_primitives::vrf`).
//!
//! - [`standalone`]: the rules themselves, free functions over headers: slot author,
//!   pre-digests, seal, [`check_header`] and [`check_vrf`] with their [`AuraError`]s.
//! - [`verifier`]: [`AuraVerifier`], the rules as block import runs them (the
//!   [`echonet_client::BlockVerifier`] the node opens its client with), and
//!   [`AuraClientExt`], Aura's reads of the chain (authorities, epoch randomness).
//! - [`equivocation`]: two blocks sealed by one author in one slot, noticed at import.
//! - [`evidence`]: such a pair as a pallet-evidence report extrinsic.
//! - [`slot_worker`]: the author's side: slot timing, claiming a slot, building the
//!   block, signing its pre-digest and seal. The node's authoring task drives it.

pub mod equivocation;
pub mod evidence;
pub mod slot_worker;
pub mod standalone;
pub mod verifier;

pub use equivocation::AuraEquivocation;
pub use standalone::{
    check_header, check_vrf, pre_digest, pre_digest_item, pre_digest_items, seal, slot_author,
    slot_now, timestamp_for_slot, vrf_digest_item, vrf_sign_data, vrf_signature, AuraError, AuraId,
    AuraSignature, CheckedHeader,
};
pub use verifier::{AuraClientExt, AuraVerifier};
