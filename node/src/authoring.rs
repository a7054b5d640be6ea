//! Aura block authoring: at each slot boundary, if a local key owns the slot, build a
//! block on the best block from the pool's ready transactions, seal it and import it.

use crate::metrics::Metrics;
use echonet_client::{
    aura::{self, AuraId},
    BlockOrigin, Client, ImportBlock, PushError,
};
use echonet_sync::{SyncHandle, SyncStatus};
use echonet_txpool::Pool;
use sp_consensus_aura::Slot;
use sp_core::{crypto::ByteArray, crypto::KeyTypeId, sr25519};
use sp_keystore::KeystorePtr;
use sp_runtime::{
    generic::Digest,
    transaction_validity::{InvalidTransaction, TransactionValidityError},
};
use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio::sync::watch;

const AURA: KeyTypeId = sp_core::crypto::key_types::AURA;
/// Share of the slot spent pushing transactions; the rest is for sealing, import and
/// propagation. Substrate's Aura uses two thirds as well.
const PROPOSAL_PORTION: f64 = 2.0 / 3.0;
/// After this many transactions that do not fit, the block is considered full.
const MAX_SKIPPED_WHEN_FULL: usize = 8;

/// What the slot worker needs.
pub struct AuthoringParams {
    pub client: Arc<Client>,
    pub pool: Arc<Pool>,
    pub keystore: KeystorePtr,
    pub metrics: Option<Metrics>,
    /// No finality gadget runs: on a single-authority chain (a dev chain) every authored
    /// block is then final as soon as it is imported; a chain of several authorities has
    /// no finality without the gadget.
    pub instant_finality: bool,
    /// The network's sync, if the node has a network: authoring waits while the node is
    /// behind its peers.
    pub sync: Option<SyncHandle>,
    /// Author even when offline or syncing.
    pub force_authoring: bool,
    /// Test-only (`--dev-equivocate aura`): seal a second, different block in each slot.
    pub equivocate: bool,
}

/// Why a validator should not author in its slot now, if it should not: Substrate's rules
/// (not while major syncing; not offline when there are other authorities), and not on a
/// tip that it knows a peer's chain is ahead of (it would fork the chain).
pub fn skip_reason(
    sync: &SyncStatus,
    authorities: usize,
    best_number: u32,
    force: bool,
) -> Option<&'static str> {
    if force {
        return None;
    }
    if sync.is_offline() && authorities > 1 {
        return Some("waiting for the network");
    }
    if sync.is_major_syncing() {
        return Some("major syncing");
    }
    if sync.importing_above_best {
        return Some("a better block is being imported");
    }
    if sync.best_seen.is_some_and(|seen| seen > best_number) {
        return Some("a peer is ahead of our best block");
    }
    None
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// Runs until `shutdown` turns true.
pub async fn run(params: AuthoringParams, mut shutdown: watch::Receiver<bool>) {
    let slot_ms = params.client.slot_duration_ms();
    let mut last_slot = 0u64;
    loop {
        // Sleep to the next slot boundary.
        let now = now_ms();
        let next_slot_start = (now / slot_ms + 1) * slot_ms;
        let wait = Duration::from_millis(next_slot_start.saturating_sub(now));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
        let slot = *aura::slot_now(slot_ms);
        if slot <= last_slot {
            continue;
        }
        last_slot = slot;
        let deadline = Instant::now()
            + Duration::from_millis(((slot_ms as f64) * PROPOSAL_PORTION) as u64).saturating_sub(
                Duration::from_millis(now_ms().saturating_sub(slot * slot_ms)),
            );
        if let Err(e) = author_slot(&params, Slot::from(slot), deadline).await {
            tracing::warn!(target: "aura", "slot {slot}: could not author: {e}");
        }
    }
    tracing::debug!(target: "aura", "slot worker stopped");
}

async fn author_slot(
    params: &AuthoringParams,
    slot: Slot,
    deadline: Instant,
) -> Result<(), String> {
    let client = params.client.clone();
    let info = client.info();
    let parent = info.best_hash;
    let parent_header = client
        .header(parent)
        .map_err(|e| e.to_string())?
        .ok_or("best block has no header")?;
    if parent_header.number > 0 {
        if let Ok(parent_slot) = aura::pre_digest(&parent_header) {
            if parent_slot >= slot {
                return Ok(()); // The best block is from this slot already.
            }
        }
    }
    let authorities = {
        let client = client.clone();
        tokio::task::spawn_blocking(move || client.aura_authorities(parent))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?
    };
    let Some(author) = aura::slot_author(slot, &authorities).cloned() else {
        return Err("no Aura authorities".into());
    };
    if !params.keystore.has_keys(&[(author.to_raw_vec(), AURA)]) {
        return Ok(()); // Not our slot.
    }
    if let Some(sync) = &params.sync {
        let status = sync.status();
        if let Some(reason) = skip_reason(
            &status,
            authorities.len(),
            info.best_number,
            params.force_authoring,
        ) {
            tracing::info!(target: "aura", "⏳ Skipping slot {slot}: {reason}");
            return Ok(());
        }
    }

    // The VRF over (the parent's epoch randomness, slot), signed with the Aura key.
    let public = sr25519::Public::from_slice(author.as_slice()).map_err(|_| "bad author key")?;
    let randomness = client.epoch_randomness(parent).map_err(|e| e.to_string())?;
    let vrf = params
        .keystore
        .sr25519_vrf_sign(AURA, &public, &aura::vrf_sign_data(&randomness, slot))
        .map_err(|e| e.to_string())?
        .ok_or("the keystore lost the author key")?;
    let digest = Digest {
        logs: vec![aura::pre_digest_item(slot), aura::vrf_digest_item(&vrf)],
    };
    // Test-only: the same pre-digest for a second block of this slot.
    let equivocation_digest = params.equivocate.then(|| digest.clone());

    let started = Instant::now();
    let ready = params.pool.ready_for_block();
    let build_client = client.clone();
    let built = tokio::task::spawn_blocking(move || {
        build_block(&build_client, parent, slot, digest, ready, deadline)
    })
    .await
    .map_err(|e| e.to_string())??;
    params.pool.report_invalid(&built.invalid);
    let proposal_ms = started.elapsed().as_millis();
    if let Some(m) = &params.metrics {
        m.proposal_time.observe(started.elapsed().as_secs_f64());
    }

    let mut header = built.block.header;
    let pre_hash = header.hash();
    let signature = params
        .keystore
        .sr25519_sign(AURA, &public, pre_hash.as_bytes())
        .map_err(|e| e.to_string())?
        .ok_or("the keystore lost the author key")?;
    aura::seal(&mut header, signature.into());
    let hash = header.hash();
    let number = header.number;
    let extrinsics = built.block.body.len();
    tracing::info!(
        target: "aura",
        "🎁 Prepared block for proposing at {number} ({proposal_ms} ms) hash: {hash:?}; parent_hash: {parent:?}; extrinsics: {extrinsics}"
    );
    let import = ImportBlock {
        header,
        body: built.block.body,
        justifications: None,
        origin: BlockOrigin::Own,
        changes: Some(built.block.changes),
        finalize: params.instant_finality && authorities.len() == 1,
    };
    let import_client = client.clone();
    tokio::task::spawn_blocking(move || import_client.import_block(import))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    tracing::info!(target: "aura", "🏆 Imported #{number} ({hash:?})");
    if let Some(digest) = equivocation_digest {
        equivocate(params, parent, slot, digest, &public).await?;
    }
    Ok(())
}

/// Test-only: authors a second block for `slot` on `parent` (empty, with a marker digest
/// so that it differs), seals it with the same key and imports and announces it as its
/// own. Every peer that imports both blocks holds a proof of the equivocation.
async fn equivocate(
    params: &AuthoringParams,
    parent: sp_core::H256,
    slot: Slot,
    mut digest: Digest,
    public: &sr25519::Public,
) -> Result<(), String> {
    digest
        .logs
        .push(sp_runtime::DigestItem::Other(b"dev-equivocate".to_vec()));
    let client = params.client.clone();
    let deadline = Instant::now() + Duration::from_millis(500);
    let built = tokio::task::spawn_blocking(move || {
        build_block(&client, parent, slot, digest, Vec::new(), deadline)
    })
    .await
    .map_err(|e| e.to_string())??;
    let mut header = built.block.header;
    let signature = params
        .keystore
        .sr25519_sign(AURA, public, header.hash().as_bytes())
        .map_err(|e| e.to_string())?
        .ok_or("the keystore lost the author key")?;
    aura::seal(&mut header, signature.into());
    let hash = header.hash();
    let import = ImportBlock {
        header,
        body: built.block.body,
        justifications: None,
        origin: BlockOrigin::Own,
        changes: Some(built.block.changes),
        finalize: false,
    };
    let client = params.client.clone();
    tokio::task::spawn_blocking(move || client.import_block(import))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    tracing::warn!(target: "aura", "😈 --dev-equivocate: sealed a second block {hash:?} in slot {slot}");
    Ok(())
}

struct Built {
    block: echonet_client::BuiltBlock,
    invalid: Vec<echonet_txpool::TxHash>,
}

fn build_block(
    client: &Client,
    parent: sp_core::H256,
    slot: Slot,
    digest: Digest,
    ready: Vec<echonet_txpool::PoolTransaction>,
    deadline: Instant,
) -> Result<Built, String> {
    let mut builder = client
        .new_block_builder(parent, digest)
        .map_err(|e| e.to_string())?;
    let mut inherent_data = sp_inherents::InherentData::new();
    let timestamp = aura::timestamp_for_slot(slot, client.slot_duration_ms());
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

/// The Aura key this node would author with, if any.
pub fn local_authority(keystore: &KeystorePtr, authorities: &[AuraId]) -> Option<AuraId> {
    authorities
        .iter()
        .find(|a| keystore.has_keys(&[(a.to_raw_vec(), AURA)]))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use echonet_sync::{SyncPeer, SyncState};

    fn status(peers: usize, state: SyncState, best_seen: Option<u32>) -> SyncStatus {
        SyncStatus {
            state,
            best_seen,
            starting_block: 0,
            peers: (0..peers)
                .map(|_| SyncPeer {
                    peer_id: echonet_network::PeerId::random(),
                    role: echonet_network::Role::Authority,
                    best_number: best_seen.unwrap_or(0),
                    best_hash: Default::default(),
                })
                .collect(),
            queued_blocks: 0,
            importing_above_best: false,
        }
    }

    #[test]
    fn validators_wait_for_the_network_and_for_sync_unless_forced() {
        let idle = |peers, seen| status(peers, SyncState::Idle, seen);
        // Alone: fine with one authority (a dev chain), not with several.
        assert_eq!(skip_reason(&idle(0, None), 1, 10, false), None);
        assert!(skip_reason(&idle(0, None), 4, 10, false).is_some());
        assert_eq!(skip_reason(&idle(0, None), 4, 10, true), None);
        // In step with peers.
        assert_eq!(skip_reason(&idle(3, Some(10)), 4, 10, false), None);
        // Behind: a peer has a longer chain.
        assert!(skip_reason(&idle(3, Some(11)), 4, 10, false).is_some());
        let syncing = status(3, SyncState::Downloading, Some(500));
        assert_eq!(skip_reason(&syncing, 4, 10, false), Some("major syncing"));
        assert_eq!(skip_reason(&syncing, 4, 10, true), None);
        let mut importing = idle(3, Some(10));
        importing.importing_above_best = true;
        assert!(skip_reason(&importing, 4, 10, false).is_some());
    }
}
