//! Aura as block import runs it, and Aura's reads of the chain.

use super::{
    equivocation::{AuraEquivocation, EquivocationTracker},
    standalone::{self, AuraId},
};
use codec::Decode;
use echonet_client::{state::StateBackend, BlockVerifier, Client, Error, Result};
use echonet_runtime::Header;
use sp_consensus_aura::Slot;
use sp_core::{sr25519, H256};
use sp_runtime::generic::Digest;
use sp_state_machine::Backend as _;
use tokio::sync::broadcast;

/// Checks blocks from elsewhere (the network, a file) before the client executes them:
/// the seal and slot ([`standalone::check_header`]) against the authorities of the
/// parent's state, then the VRF ([`standalone::check_vrf`]) against the parent's epoch
/// randomness. Every header whose seal checks out is noted, so that a second block of
/// the same slot and author is reported ([`AuraVerifier::equivocations`]), whether or not
/// the block itself goes on to execute.
pub struct AuraVerifier {
    max_slot_drift: u64,
    equivocations: EquivocationTracker,
}

impl AuraVerifier {
    /// How many slots ahead of the local clock a block's slot may be, by default.
    pub const DEFAULT_MAX_SLOT_DRIFT: u64 = 1;

    /// A verifier that accepts slots up to `max_slot_drift` slots ahead of the local clock.
    pub fn new(max_slot_drift: u64) -> Self {
        Self {
            max_slot_drift,
            equivocations: EquivocationTracker::default(),
        }
    }

    /// Subscribes to Aura equivocations seen at import: a second validly sealed header for
    /// a (slot, author) pair already seen among the last few thousand. The node reports
    /// them on-chain (pallet-evidence).
    pub fn equivocations(&self) -> broadcast::Receiver<AuraEquivocation> {
        self.equivocations.subscribe()
    }
}

impl Default for AuraVerifier {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_SLOT_DRIFT)
    }
}

impl BlockVerifier for AuraVerifier {
    fn verify(
        &self,
        client: &Client,
        parent: &Header,
        header: &Header,
        parent_state: &StateBackend,
    ) -> Result<Header> {
        let hash = header.hash();
        let authorities = client.aura_authorities(header.parent_hash)?;
        let parent_slot = if parent.number == 0 {
            None
        } else {
            standalone::pre_digest(parent).ok()
        };
        let now = standalone::slot_now(client.slot_duration_ms());
        let checked = standalone::check_header(
            header.clone(),
            parent_slot,
            &authorities,
            now,
            self.max_slot_drift,
        )
        .map_err(|e| Error::invalid(hash, e.to_string()))?;
        // A valid seal is what makes a second block of the slot evidence, whether or not
        // the block itself executes.
        self.equivocations
            .note(header, *checked.slot, &checked.author);
        let randomness = epoch_randomness_in(parent_state)?;
        standalone::check_vrf(&checked, &randomness)
            .map_err(|e| Error::invalid(hash, e.to_string()))?;
        Ok(checked.pre_header)
    }
}

/// Aura's reads of the chain, on the client.
pub trait AuraClientExt {
    /// Aura's authorities at a block.
    fn aura_authorities(&self, at: H256) -> Result<Vec<AuraId>>;
    /// The epoch randomness in a block's state: the VRF input of its children.
    fn epoch_randomness(&self, at: H256) -> Result<[u8; 32]>;
    /// The pre-runtime digest of a block on `parent` that `pair` authors in `slot`: the
    /// Aura slot and the VRF signature over the parent's epoch randomness. For block
    /// builders that hold the author's key (tests, benchmarks, offline chains).
    fn pre_digest(&self, parent: H256, slot: Slot, pair: &sr25519::Pair) -> Result<Digest>;
    /// Aura's slot duration in milliseconds.
    fn slot_duration_ms(&self) -> u64;
}

impl AuraClientExt for Client {
    fn aura_authorities(&self, at: H256) -> Result<Vec<AuraId>> {
        self.call_decoded(at, "AuraApi_authorities", &[])
    }

    fn epoch_randomness(&self, at: H256) -> Result<[u8; 32]> {
        epoch_randomness_in(&self.state_at(at)?)
    }

    fn pre_digest(&self, parent: H256, slot: Slot, pair: &sr25519::Pair) -> Result<Digest> {
        let randomness = self.epoch_randomness(parent)?;
        Ok(Digest {
            logs: standalone::pre_digest_items(slot, &randomness, pair),
        })
    }

    fn slot_duration_ms(&self) -> u64 {
        echonet_runtime::SLOT_DURATION
    }
}

/// The epoch randomness in `state` (zero before the first epoch rotation).
fn epoch_randomness_in(state: &StateBackend) -> Result<[u8; 32]> {
    let key = echonet_runtime::storage_keys::vrf_randomness();
    match state
        .storage(&key)
        .map_err(|e| Error::State(e.to_string()))?
    {
        None => Ok([0; 32]),
        Some(raw) => {
            <[u8; 32]>::decode(&mut &raw[..]).map_err(|e| Error::decode("the epoch randomness", e))
        }
    }
}
