//! # echonet-consensus
//!
//! The consensus engines of `echonet-node` that are not finality. Today that is Aura,
//! which orders blocks in slots: [`aura`] holds its every rule in one place, from the
//! header checks that block import runs to the slot worker's logic that authoring runs.
//!
//! GRANDPA finality, its own evidence included, lives in `echonet-finality`; the
//! formats the runtime shares with the node (the block VRF digest) live in
//! `echonet-consensus-primitives`.
//!
//! This crate sits above `echonet-client`: the client knows no consensus engine and
//! checks a block from elsewhere through the [`echonet_client::BlockVerifier`] it was
//! opened with, which for EchoNet is [`aura::AuraVerifier`].

pub mod aura;
