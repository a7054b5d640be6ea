//! The author's side of Aura, without the task around it: slot timing, claiming a slot,
//! the pre-digest and seal signed with the keystore's Aura key, and building a block from
//! the pool's ready transactions within the slot's proposal time.
//!
//! The node's authoring task (echonet-node's `authoring`) drives these at every slot
//! boundary and adds what depends on the rest of the node: sync status, metrics, import.

use super::standalone::{self, AuraId};
use echonet_client::{BuiltBlock, Client, PushError};
use echonet_runtime::Header;
use sp_consensus_aura::Slot;
use sp_core::{
    crypto::{ByteArray, KeyTypeId},
    sr25519, H256,
};
use sp_keystore::KeystorePtr;
use sp_runtime::{
    generic::Digest,
    transaction_validity::{InvalidTransaction, TransactionValidityError},
};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The key type of Aura keys in the keystore.
pub const AURA: KeyTypeId = sp_core::crypto::key_types::AURA;
/// Share of the slot spent pushing transactions; the rest is for sealing, import and
/// propagation. Substrate's Aura uses two thirds as well.
pub const PROPOSAL_PORTION: f64 = 2.0 / 3.0;
/// After this many transactions that do not fit, the block is considered full.
const MAX_SKIPPED_WHEN_FULL: usize = 8;

// ---------------------------------------------------------------- slot timing

/// Milliseconds since the Unix epoch by the local clock.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// How long from `now_ms` to the start of the next slot.
pub fn until_next_slot(now_ms: u64, slot_ms: u64) -> Duration {
    let next_slot_start = (now_ms / slot_ms + 1) * slot_ms;
    Duration::from_millis(next_slot_start.saturating_sub(now_ms))
}

/// When pushing transactions into the block of `slot` must stop: [`PROPOSAL_PORTION`] of
/// the slot after its start (`now_ms` is the local clock now).
pub fn proposal_deadline(slot: u64, slot_ms: u64, now_ms: u64) -> Instant {
    Instant::now()
        + Duration::from_millis(((slot_ms as f64) * PROPOSAL_PORTION) as u64)
            .saturating_sub(Duration::from_millis(now_ms.saturating_sub(slot * slot_ms)))
}

// ---------------------------------------------------------------- claiming

/// Whether the best block (`parent`) is already of `slot` or later: then there is
/// nothing to author on it in `slot`.
pub fn parent_is_from_slot(parent: &Header, slot: Slot) -> bool {
    parent.number > 0 && standalone::pre_digest(parent).is_ok_and(|parent_slot| parent_slot >= slot)
}

/// The owner of `slot`, if the keystore holds its Aura key: the slot is ours to author.
/// `Err` if there are no authorities at all.
pub fn claim_slot(
    keystore: &KeystorePtr,
    slot: Slot,
    authorities: &[AuraId],
) -> Result<Option<AuraId>, String> {
    let Some(author) = standalone::slot_author(slot, authorities).cloned() else {
        return Err("no Aura authorities".into());
    };
    Ok(keystore
        .has_keys(&[(author.to_raw_vec(), AURA)])
        .then_some(author))
}

/// The Aura key this node would author with, if any.
pub fn local_authority(keystore: &KeystorePtr, authorities: &[AuraId]) -> Option<AuraId> {
    authorities
        .iter()
        .find(|a| keystore.has_keys(&[(a.to_raw_vec(), AURA)]))
        .cloned()
}

/// The sr25519 key of an Aura authority.
pub fn author_public(author: &AuraId) -> Result<sr25519::Public, String> {
    sr25519::Public::from_slice(author.as_slice()).map_err(|_| "bad author key".into())
}

// ---------------------------------------------------------------- signing

/// The pre-runtime digest of our block in `slot`: the Aura slot and the VRF over (the
/// parent's epoch `randomness`, slot), signed with the Aura key `public`.
pub fn sign_pre_digest(
    keystore: &KeystorePtr,
    public: &sr25519::Public,
    randomness: &[u8; 32],
    slot: Slot,
) -> Result<Digest, String> {
    let vrf = keystore
        .sr25519_vrf_sign(AURA, public, &standalone::vrf_sign_data(randomness, slot))
        .map_err(|e| e.to_string())?
        .ok_or("the keystore lost the author key")?;
    Ok(Digest {
        logs: vec![
            standalone::pre_digest_item(slot),
            standalone::vrf_digest_item(&vrf),
        ],
    })
}

/// Seals `header` with the Aura key `public`: its signature of the unsealed header's hash.
pub fn seal_with_keystore(
    keystore: &KeystorePtr,
    public: &sr25519::Public,
    header: &mut Header,
) -> Result<(), String> {
    let pre_hash: H256 = header.hash();
    let signature = keystore
        .sr25519_sign(AURA, public, pre_hash.as_bytes())
        .map_err(|e| e.to_string())?
        .ok_or("the keystore lost the author key")?;
    standalone::seal(header, signature.into());
    Ok(())
}

// ---------------------------------------------------------------- building

/// A block built for a slot, not sealed yet.
pub struct Built {
    /// The header with its VRF and slot pre-digests, the body and the storage changes;
    /// the caller seals the header ([`seal_with_keystore`]) and imports it as its own
    /// block.
    pub block: BuiltBlock,
    /// Ready transactions that turned out invalid: the pool should drop them.
    pub invalid: Vec<echonet_txpool::TxHash>,
}

/// Builds a block on `parent` for `slot` with `digest` (from [`sign_pre_digest`]): the
/// inherents (the timestamp of the slot's start), then `ready` transactions in order
/// until `deadline` or until the block is full.
pub fn build_block(
    client: &Client,
    parent: H256,
    slot: Slot,
    digest: Digest,
    ready: Vec<echonet_txpool::PoolTransaction>,
    deadline: Instant,
) -> Result<Built, String> {
    use super::AuraClientExt as _;
    let mut builder = client
        .new_block_builder(parent, digest)
        .map_err(|e| e.to_string())?;
    let mut inherent_data = sp_inherents::InherentData::new();
    let timestamp = standalone::timestamp_for_slot(slot, client.slot_duration_ms());
    inherent_data
        .put_data(sp_timestamp::INHERENT_IDENTIFIER, &timestamp)
        .map_err(|e| e.to_string())?;
    for xt in builder
        .create_inherents(&inherent_data)
        .map_err(|e| e.to_string())?
    {
        builder
            .push(xt)
            .map_err(|e| format!("inherent rejected: {e}"))?;
    }
    let mut invalid = Vec::new();
    let mut skipped = 0;
    for tx in ready {
        if Instant::now() >= deadline {
            tracing::debug!(target: "aura", "proposal deadline reached");
            break;
        }
        match builder.push(tx.extrinsic()) {
            Ok(()) => {}
            Err(PushError::Invalid(TransactionValidityError::Invalid(
                InvalidTransaction::ExhaustsResources,
            ))) => {
                skipped += 1;
                if skipped >= MAX_SKIPPED_WHEN_FULL {
                    break;
                }
            }
            Err(PushError::Invalid(TransactionValidityError::Invalid(e))) => {
                tracing::debug!(target: "aura", "dropping invalid {:?}: {e:?}", tx.hash);
                invalid.push(tx.hash);
            }
            Err(PushError::Invalid(TransactionValidityError::Unknown(_))) => {}
            Err(PushError::Runtime(e)) => {
                tracing::warn!(target: "aura", "transaction {:?} failed in the runtime: {e}", tx.hash);
                invalid.push(tx.hash);
            }
        }
    }
    let block = builder.build().map_err(|e| e.to_string())?;
    Ok(Built { block, invalid })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_slot_starts_at_the_next_multiple_of_the_slot_duration() {
        assert_eq!(until_next_slot(0, 2000), Duration::from_millis(2000));
        assert_eq!(until_next_slot(1999, 2000), Duration::from_millis(1));
        assert_eq!(until_next_slot(2000, 2000), Duration::from_millis(2000));
        assert_eq!(until_next_slot(4500, 2000), Duration::from_millis(1500));
    }
}
