//! Aura block authoring, the task: at each slot boundary, if a local key owns the slot,
//! build a block on the best block from the pool's ready transactions, seal it and import
//! it. The slot logic (timing, claiming, building, signing) is echonet-consensus's
//! `aura::slot_worker`; this task adds the node's side: sync status, metrics, import.

use crate::metrics::Metrics;
use echonet_client::{BlockOrigin, Client, ImportBlock};
use echonet_consensus::aura::{slot_worker, AuraClientExt as _};
use echonet_sync::{SyncHandle, SyncStatus};
use echonet_txpool::Pool;
use sp_consensus_aura::Slot;
use sp_core::sr25519;
use sp_keystore::KeystorePtr;
use sp_runtime::generic::Digest;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::watch;

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
/// tip that a peer has shown its chain to be ahead of (it would fork the chain). A peer's
/// mere word that it is ahead holds authoring back only for sync's short grace
/// ([`SyncStatus::claimed_ahead`]): one peer's word must not stop block production.
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
    if sync.claimed_ahead {
        return Some("a peer claims a block above ours, not shown yet");
    }
    None
}

/// Runs until `shutdown` turns true.
pub async fn run(params: AuthoringParams, mut shutdown: watch::Receiver<bool>) {
    let slot_ms = params.client.slot_duration_ms();
    let mut last_slot = 0u64;
    loop {
        // Sleep to the next slot boundary.
        let wait = slot_worker::until_next_slot(slot_worker::now_ms(), slot_ms);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
        let slot = *echonet_consensus::aura::slot_now(slot_ms);
        if slot <= last_slot {
            continue;
        }
        last_slot = slot;
        let deadline = slot_worker::proposal_deadline(slot, slot_ms, slot_worker::now_ms());
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
    if slot_worker::parent_is_from_slot(&parent_header, slot) {
        return Ok(()); // The best block is from this slot already.
    }
    let authorities = {
        let client = client.clone();
        tokio::task::spawn_blocking(move || client.aura_authorities(parent))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?
    };
    let Some(author) = slot_worker::claim_slot(&params.keystore, slot, &authorities)? else {
        return Ok(()); // Not our slot.
    };
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
    let public = slot_worker::author_public(&author)?;
    let randomness = client.epoch_randomness(parent).map_err(|e| e.to_string())?;
    let digest = slot_worker::sign_pre_digest(&params.keystore, &public, &randomness, slot)?;
    // Test-only: the same pre-digest for a second block of this slot.
    let equivocation_digest = params.equivocate.then(|| digest.clone());

    let started = Instant::now();
    let ready = params.pool.ready_for_block();
    let build_client = client.clone();
    let built = tokio::task::spawn_blocking(move || {
        slot_worker::build_block(&build_client, parent, slot, digest, ready, deadline)
    })
    .await
    .map_err(|e| e.to_string())??;
    params.pool.report_invalid(&built.invalid);
    let proposal_ms = started.elapsed().as_millis();
    if let Some(m) = &params.metrics {
        m.proposal_time.observe(started.elapsed().as_secs_f64());
    }

    let mut header = built.block.header;
    slot_worker::seal_with_keystore(&params.keystore, &public, &mut header)?;
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
        slot_worker::build_block(&client, parent, slot, digest, Vec::new(), deadline)
    })
    .await
    .map_err(|e| e.to_string())??;
    let mut header: echonet_runtime::Header = built.block.header;
    slot_worker::seal_with_keystore(&params.keystore, public, &mut header)?;
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
            claimed_ahead: false,
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
        // A claim not shown yet: held back while sync says so (its short grace), not after.
        let mut claimed = idle(3, Some(10));
        claimed.claimed_ahead = true;
        assert!(skip_reason(&claimed, 4, 10, false).is_some());
        claimed.claimed_ahead = false;
        assert_eq!(skip_reason(&claimed, 4, 10, false), None);
    }
}
