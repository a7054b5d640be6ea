//! # echonet-consensus-primitives
//!
//! The consensus formats that both sides of EchoNet must agree on byte for byte: the
//! runtime (pallet-randomness verifies and accumulates block VRFs) and the node
//! (echonet-consensus checks them at import and signs them when authoring). Keeping them
//! here, rather than in the pallet, lets the node use the format without depending on a
//! pallet, and keeps one definition of it.
//!
//! - [`vrf`]: the block author's sr25519 VRF pre-runtime digest (engine id `EVRF`).
//!
//! Aura's own digests (the slot pre-digest and the seal) are sp-consensus-aura's.
#![cfg_attr(not(feature = "std"), no_std)]

pub mod vrf;
