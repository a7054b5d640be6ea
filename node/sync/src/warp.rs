//! Warp sync (`--sync warp`): a fresh node joins at the latest finalized block instead of
//! replaying the chain from genesis.
//!
//! 1. **Hand-off proofs.** From the genesis authority set, peers are asked for the
//!    justifications of the blocks where each set handed over to the next
//!    ([`WarpProofRequest`]). Each fragment is checked against the set known so far: its
//!    headers link, the first signals pallet-grandpa's `ScheduledChange` taking effect at
//!    the last, and the last's justification is signed by 2/3+ of the set
//!    ([`echonet_finality::verify_justification`]); the next set comes from the signal.
//!    The proof ends with the peer's latest finalized block (the target), justified by the
//!    last set.
//! 2. **State.** The target's state is downloaded in chunks ([`StateRequest`]), each a
//!    range proof checked against the target's state root
//!    ([`echonet_client::client::verify_state_chunk`]): the entries are read out of the proof's
//!    trie nodes, so a peer can neither change a value nor leave a key out.
//! 3. **Import.** The state becomes the block's ([`Client::import_built_state`]) with
//!    GRANDPA's set at the target, in one write; normal sync continues from there.
//!
//! A peer whose proof or chunk fails its check loses [`BAD_WARP_PROOF`] or
//! [`BAD_STATE_CHUNK`] (a ban) and is not asked again; the work continues with the others.
//! Nothing is written before the import, so a node killed mid-warp restarts the warp.
//! Blocks below the target are not downloaded (no backfill): see docs/warp-sync.md.

use echonet_client::{
    client::{next_key, verify_state_chunk},
    Client, StateBuilder,
};
use echonet_finality::{
    authorities::{pending_change_from_storage, pending_change_key, scheduled_change},
    verify_justification, AuthoritySet,
};
use echonet_network::{
    NetworkHandle, PeerId, ReputationChange, RequestError, StateChunk, StateRequest, WarpFragment,
    WarpProof, WarpProofRequest,
};
use echonet_runtime::Header;
use futures::future::BoxFuture;
use parking_lot::RwLock;
use sp_consensus_grandpa::{AuthorityList, SetId, GRANDPA_ENGINE_ID};
use sp_core::H256;
use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::watch;

/// A hand-off proof that does not verify (forged or of another chain): a ban.
pub const BAD_WARP_PROOF: ReputationChange = ReputationChange::new_fatal("bad warp proof");
/// A state chunk that does not verify against the state root: a ban.
pub const BAD_STATE_CHUNK: ReputationChange = ReputationChange::new_fatal("bad state chunk");

/// How long a peer that failed or refused a request rests before it is asked again.
const REST: Duration = Duration::from_secs(2);
/// How often progress is logged.
const LOG_EVERY: Duration = Duration::from_secs(2);
/// How long a warp sync waits for a peer with a finalized block past genesis before it
/// gives up and lets normal sync run ([`WarpOptions::default`]).
const NOTHING_TO_WARP_TO: Duration = Duration::from_secs(30);

/// Knobs of [`warp_sync_with`].
#[derive(Debug, Clone, Copy)]
pub struct WarpOptions {
    /// How long to wait for a peer with a finalized block past genesis before giving up
    /// with [`WarpError::NothingToWarpTo`] (30 s).
    pub nothing_to_warp_to: Duration,
}

impl Default for WarpOptions {
    fn default() -> Self {
        WarpOptions {
            nothing_to_warp_to: NOTHING_TO_WARP_TO,
        }
    }
}

/// Where a warp sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WarpPhase {
    /// Waiting for a peer with a finalized block to warp to.
    #[default]
    AwaitingPeers,
    /// Downloading and checking hand-off proofs.
    DownloadingProofs {
        /// Authority set hand-offs verified so far.
        sets: u64,
        /// Bytes of proofs received.
        bytes: u64,
    },
    /// Downloading the target's state.
    DownloadingState {
        /// The target block's number.
        target: u32,
        /// Progress through the key space, in percent (keys are hashed, so it is close to
        /// the share of entries downloaded).
        percent: u8,
        /// Bytes of keys and values downloaded.
        bytes: u64,
    },
    /// Writing the state to the database.
    ImportingState {
        /// The target block's number.
        target: u32,
    },
    /// Done: the node is at the target; normal sync goes on.
    Done {
        /// The target block's number.
        target: u32,
    },
}

/// A cheap, cloneable view of a warp sync's phase (for RPC and the informant).
#[derive(Clone, Default)]
pub struct WarpProgress(Arc<RwLock<Option<WarpPhase>>>);

impl WarpProgress {
    /// The current phase; `None` when the node does not warp.
    pub fn phase(&self) -> Option<WarpPhase> {
        *self.0.read()
    }

    fn set(&self, phase: WarpPhase) {
        *self.0.write() = Some(phase);
    }
}

/// Why a warp sync stopped without reaching its target.
#[derive(Debug, thiserror::Error)]
pub enum WarpError {
    /// The database already holds blocks past genesis: warp sync is for a fresh node.
    #[error("the database is not fresh (best block #{0})")]
    NotFresh(u32),
    /// The node was told to stop.
    #[error("stopped")]
    Stopped,
    /// For a while no peer had a finalized block past genesis (a chain at its start, or
    /// no peers): there is nothing to warp to, and normal sync runs instead.
    #[error("no peer has a finalized block to warp to")]
    NothingToWarpTo,
    /// A local failure (database, runtime).
    #[error("{0}")]
    Local(String),
}

/// What warp sync needs from the network. [`NetworkHandle`] is the real one.
pub trait WarpNetwork: Send + Sync + 'static {
    /// Connected peers with the number of their finalized block (from their handshakes).
    fn peers(&self) -> BoxFuture<'static, Vec<(PeerId, u32)>>;
    /// Asks `peer` for hand-off proofs.
    fn request_warp_proof(
        &self,
        peer: PeerId,
        request: WarpProofRequest,
    ) -> BoxFuture<'static, Result<Option<WarpProof>, RequestError>>;
    /// Asks `peer` for a chunk of state.
    fn request_state(
        &self,
        peer: PeerId,
        request: StateRequest,
    ) -> BoxFuture<'static, Result<Option<StateChunk>, RequestError>>;
    /// Changes `peer`'s reputation.
    fn report_peer(&self, peer: PeerId, change: ReputationChange);
}

impl WarpNetwork for NetworkHandle {
    fn peers(&self) -> BoxFuture<'static, Vec<(PeerId, u32)>> {
        let handle = self.clone();
        Box::pin(async move {
            handle
                .peers()
                .await
                .into_iter()
                .map(|p| (p.peer_id, p.status.finalized_number))
                .collect()
        })
    }
    fn request_warp_proof(
        &self,
        peer: PeerId,
        request: WarpProofRequest,
    ) -> BoxFuture<'static, Result<Option<WarpProof>, RequestError>> {
        let handle = self.clone();
        Box::pin(async move { handle.request_warp_proof(peer, request).await })
    }
    fn request_state(
        &self,
        peer: PeerId,
        request: StateRequest,
    ) -> BoxFuture<'static, Result<Option<StateChunk>, RequestError>> {
        let handle = self.clone();
        Box::pin(async move { handle.request_state(peer, request).await })
    }
    fn report_peer(&self, peer: PeerId, change: ReputationChange) {
        NetworkHandle::report_peer(self, peer, change)
    }
}

/// Why a fragment or target was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// The fragment's headers do not form a chain.
    #[error("fragment headers do not link")]
    Unlinked,
    /// The first header signals no change, or one that does not take effect at the last.
    #[error("fragment signals no change taking effect at its last block")]
    NoChange,
    /// The fragment does not move past the set's start.
    #[error("fragment does not move forward")]
    Backwards,
    /// The justification does not verify against the set.
    #[error("justification: {0}")]
    Justification(#[from] echonet_finality::JustificationError),
}

/// Checks one hand-off fragment against `set`; returns the next set.
pub fn verify_fragment(
    set: &AuthoritySet,
    fragment: &WarpFragment,
) -> Result<AuthoritySet, ProofError> {
    let (Some(first), Some(last)) = (fragment.headers.first(), fragment.headers.last()) else {
        return Err(ProofError::Unlinked);
    };
    for pair in fragment.headers.windows(2) {
        if pair[1].parent_hash != pair[0].hash()
            || Some(pair[1].number) != pair[0].number.checked_add(1)
        {
            return Err(ProofError::Unlinked);
        }
    }
    if last.number <= set.start.1 {
        return Err(ProofError::Backwards);
    }
    let change = scheduled_change(first).ok_or(ProofError::NoChange)?;
    if first.number.checked_add(change.delay) != Some(last.number)
        || change.next_authorities.is_empty()
    {
        return Err(ProofError::NoChange);
    }
    let hash = last.hash();
    verify_justification(set, hash, last.number, &fragment.justification)?;
    Ok(AuthoritySet {
        set_id: set.set_id.saturating_add(1),
        authorities: change.next_authorities,
        start: (hash, last.number),
        pending: Vec::new(),
    })
}

/// The target once hand-off proofs reach it.
struct Target {
    header: Header,
    justification: Vec<u8>,
    set: AuthoritySet,
}

/// Peers' standing during one warp sync.
#[derive(Default)]
struct Peers {
    /// Refused for good (a bad proof or chunk).
    bad: HashSet<PeerId>,
    /// Resting after a failure, until then.
    resting: HashMap<PeerId, Instant>,
    /// Said they lack the target's state.
    lacking: HashSet<PeerId>,
}

impl Peers {
    /// The usable peer with the highest finalized block, first unasked-about state if
    /// `for_state`.
    async fn pick(&mut self, net: &dyn WarpNetwork, for_state: bool) -> Option<(PeerId, u32)> {
        let now = Instant::now();
        self.resting.retain(|_, until| *until > now);
        let mut peers: Vec<(PeerId, u32)> = net
            .peers()
            .await
            .into_iter()
            .filter(|(p, finalized)| {
                let lacking = for_state && self.lacking.contains(p);
                *finalized > 0 && !self.bad.contains(p) && !self.resting.contains_key(p) && !lacking
            })
            .collect();
        peers.sort_by_key(|(_, finalized)| std::cmp::Reverse(*finalized));
        peers.into_iter().next()
    }

    fn rest(&mut self, peer: PeerId) {
        self.resting.insert(peer, Instant::now() + REST);
    }
}

/// Runs a warp sync to the latest finalized block the peers prove, and imports its state.
/// Returns the block it warped to. [`WarpError::NotFresh`] on a database past genesis.
pub async fn warp_sync(
    client: Arc<Client>,
    net: Arc<dyn WarpNetwork>,
    progress: WarpProgress,
    shutdown: watch::Receiver<bool>,
) -> Result<(H256, u32), WarpError> {
    warp_sync_with(client, net, progress, shutdown, WarpOptions::default()).await
}

/// [`warp_sync`] with other [`WarpOptions`].
pub async fn warp_sync_with(
    client: Arc<Client>,
    net: Arc<dyn WarpNetwork>,
    progress: WarpProgress,
    mut shutdown: watch::Receiver<bool>,
    options: WarpOptions,
) -> Result<(H256, u32), WarpError> {
    let info = client.info();
    if info.best_number != 0 {
        return Err(WarpError::NotFresh(info.best_number));
    }
    progress.set(WarpPhase::AwaitingPeers);
    let genesis = info.genesis_hash;
    let c = client.clone();
    let genesis_set = tokio::task::spawn_blocking(move || -> Result<AuthoritySet, String> {
        let authorities: AuthorityList = c
            .call_decoded(genesis, "GrandpaApi_grandpa_authorities", &[])
            .map_err(|e| e.to_string())?;
        let set_id: SetId = c
            .call_decoded(genesis, "GrandpaApi_current_set_id", &[])
            .map_err(|e| e.to_string())?;
        Ok(AuthoritySet {
            set_id,
            authorities,
            start: (genesis, 0),
            pending: Vec::new(),
        })
    })
    .await
    .map_err(|e| WarpError::Local(e.to_string()))?
    .map_err(WarpError::Local)?;
    if genesis_set.authorities.is_empty() {
        return Err(WarpError::Local(
            "the chain has no GRANDPA authorities at genesis: nothing to warp with".into(),
        ));
    }
    let mut peers = Peers::default();
    let stopped = |s: &watch::Receiver<bool>| *s.borrow();
    loop {
        let target = proofs(
            &*net,
            &genesis_set,
            &mut peers,
            &progress,
            &mut shutdown,
            options.nothing_to_warp_to,
        )
        .await?;
        let number = target.header.number;
        match state(&*net, &target, &mut peers, &progress, &mut shutdown).await? {
            Some(built) => {
                progress.set(WarpPhase::ImportingState { target: number });
                tracing::info!(target: "sync", "⏩ Warping, importing state of #{number}");
                let hash = import(&client, target, built).await?;
                progress.set(WarpPhase::Done { target: number });
                tracing::info!(target: "sync", "⏩ Warp sync done: at #{number} ({hash:?}); syncing blocks from there");
                return Ok((hash, number));
            }
            None => {
                // No peer has the target's state any more (pruned): prove a newer one.
                if stopped(&shutdown) {
                    return Err(WarpError::Stopped);
                }
                peers.lacking.clear();
                tracing::info!(target: "sync", "⏩ No peer serves the state of #{number} any more: proving a newer target");
            }
        }
    }
}

async fn pause(shutdown: &mut watch::Receiver<bool>, d: Duration) -> Result<(), WarpError> {
    tokio::select! {
        _ = tokio::time::sleep(d) => Ok(()),
        r = shutdown.wait_for(|s| *s) => { let _ = r; Err(WarpError::Stopped) }
    }
}

/// Phase 1: hand-off proofs from `genesis_set` to a target.
async fn proofs(
    net: &dyn WarpNetwork,
    genesis_set: &AuthoritySet,
    peers: &mut Peers,
    progress: &WarpProgress,
    shutdown: &mut watch::Receiver<bool>,
    give_up_after: Duration,
) -> Result<Target, WarpError> {
    let mut set = genesis_set.clone();
    let mut sets = 0u64;
    let mut bytes = 0u64;
    let mut last_fragment: Option<(Header, Vec<u8>)> = None;
    let mut last_log = Instant::now();
    let waiting_since = Instant::now();
    progress.set(WarpPhase::DownloadingProofs { sets, bytes });
    loop {
        if *shutdown.borrow() {
            return Err(WarpError::Stopped);
        }
        let Some((peer, _)) = peers.pick(net, false).await else {
            // Nobody to warp from: a chain still at genesis finality (its first validators
            // all started with `--sync warp`), or no peer at all. Sync normally rather than
            // wait forever.
            if sets == 0
                && peers.bad.is_empty()
                && peers.resting.is_empty()
                && waiting_since.elapsed() >= give_up_after
            {
                return Err(WarpError::NothingToWarpTo);
            }
            if last_log.elapsed() >= LOG_EVERY {
                tracing::info!(target: "sync", "⏩ Warping, waiting for peers with a finalized block");
                last_log = Instant::now();
            }
            pause(shutdown, Duration::from_millis(250)).await?;
            continue;
        };
        let request = WarpProofRequest { set_id: set.set_id };
        let proof = match net.request_warp_proof(peer, request).await {
            Ok(Some(proof)) => proof,
            Ok(None) => {
                peers.rest(peer);
                continue;
            }
            Err(e) => {
                tracing::debug!(target: "sync", "Warp proof request to {peer} failed: {e}");
                peers.rest(peer);
                continue;
            }
        };
        bytes = bytes.saturating_add(codec::Encode::encoded_size(&proof) as u64);
        let mut refused: Option<String> = None;
        let progress_before = sets;
        for fragment in &proof.fragments {
            match verify_fragment(&set, fragment) {
                Ok(next) => {
                    set = next;
                    sets += 1;
                    if let Some(last) = fragment.headers.last() {
                        last_fragment = Some((last.clone(), fragment.justification.clone()));
                    }
                }
                Err(e) => {
                    refused = Some(format!("hand-off to set {}: {e}", set.set_id + 1));
                    break;
                }
            }
        }
        let mut target = None;
        if refused.is_none() && proof.is_finished {
            match &proof.target {
                Some((header, justification)) => {
                    let hash = header.hash();
                    match verify_justification(&set, hash, header.number, justification) {
                        Ok(_) if header.number >= set.start.1 => {
                            target = Some((header.clone(), justification.clone()))
                        }
                        Ok(_) => refused = Some("target below the last hand-off".into()),
                        Err(e) => refused = Some(format!("target #{}: {e}", header.number)),
                    }
                }
                None => target = last_fragment.clone(),
            }
            if refused.is_none() && target.is_none() {
                refused = Some("a finished proof without a target".into());
            }
        } else if refused.is_none() && sets == progress_before {
            refused = Some("an unfinished proof without hand-offs".into());
        }
        // A peer that proves no hand-off and whose target the set we reached (through
        // another peer's proofs) did not sign may merely be behind us: rest it, no penalty.
        let behind = proof.fragments.is_empty() && sets > 0;
        match refused {
            Some(reason) if behind => {
                tracing::debug!(target: "sync", "Warp proof of {peer} does not reach our set: {reason}");
                peers.rest(peer);
            }
            Some(reason) => {
                tracing::warn!(target: "sync", "⏩ Refusing the warp proof of {peer}: {reason}; penalising it");
                net.report_peer(peer, BAD_WARP_PROOF);
                peers.bad.insert(peer);
            }
            None => {}
        }
        progress.set(WarpPhase::DownloadingProofs { sets, bytes });
        if last_log.elapsed() >= LOG_EVERY || target.is_some() {
            tracing::info!(
                target: "sync",
                "⏩ Warping, downloading finality proofs, {sets} sets ({:.2} MiB)",
                bytes as f64 / (1024.0 * 1024.0)
            );
            last_log = Instant::now();
        }
        if let Some((header, justification)) = target {
            tracing::info!(target: "sync", "⏩ Warp target #{} ({:?}), authority set {}", header.number, header.hash(), set.set_id);
            return Ok(Target {
                header,
                justification,
                set,
            });
        }
    }
}

/// Phase 2: the target's state, chunk by chunk. `None` when no peer has it any more.
async fn state(
    net: &dyn WarpNetwork,
    target: &Target,
    peers: &mut Peers,
    progress: &WarpProgress,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<Option<(StateBuilder, Option<Vec<u8>>)>, WarpError> {
    let number = target.header.number;
    let block = target.header.hash();
    let root = target.header.state_root;
    let pending_key = pending_change_key();
    let mut pending_value = None;
    let mut builder = Some(StateBuilder::new());
    let mut start = Vec::new();
    let mut last_log = Instant::now();
    let mut idle_since: Option<Instant> = None;
    progress.set(WarpPhase::DownloadingState {
        target: number,
        percent: 0,
        bytes: 0,
    });
    loop {
        if *shutdown.borrow() {
            return Err(WarpError::Stopped);
        }
        let Some((peer, _)) = peers.pick(net, true).await else {
            let since = *idle_since.get_or_insert_with(Instant::now);
            if since.elapsed() > Duration::from_secs(10) && peers.resting.is_empty() {
                return Ok(None);
            }
            pause(shutdown, Duration::from_millis(250)).await?;
            continue;
        };
        idle_since = None;
        let request = StateRequest {
            block,
            start: start.clone(),
        };
        let chunk = match net.request_state(peer, request).await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => {
                peers.lacking.insert(peer);
                continue;
            }
            Err(e) => {
                tracing::debug!(target: "sync", "State request to {peer} failed: {e}");
                peers.rest(peer);
                continue;
            }
        };
        let from = start.clone();
        let checked =
            tokio::task::spawn_blocking(move || verify_state_chunk(root, &from, chunk.proof))
                .await
                .map_err(|e| WarpError::Local(e.to_string()))?;
        let (entries, complete) = match checked {
            Ok((entries, complete)) if !entries.is_empty() || complete => (entries, complete),
            Ok(_) => {
                tracing::warn!(target: "sync", "⏩ Refusing a state chunk of {peer}: it proves no entry; penalising it");
                net.report_peer(peer, BAD_STATE_CHUNK);
                peers.bad.insert(peer);
                continue;
            }
            Err(e) => {
                tracing::warn!(target: "sync", "⏩ Refusing a state chunk of {peer}: {e}; penalising it");
                net.report_peer(peer, BAD_STATE_CHUNK);
                peers.bad.insert(peer);
                continue;
            }
        };
        if let Some((_, value)) = entries.iter().find(|(k, _)| *k == pending_key) {
            pending_value = Some(value.clone());
        }
        if let Some((last, _)) = entries.last() {
            start = next_key(last);
        }
        let mut b = builder.take().unwrap_or_default();
        let b = tokio::task::spawn_blocking(move || b.insert_sorted(entries).map(|()| b))
            .await
            .map_err(|e| WarpError::Local(e.to_string()))?
            .map_err(|e| WarpError::Local(format!("building the state: {e}")))?;
        let bytes = b.bytes();
        let percent = if complete {
            100
        } else {
            let k = b.last_key().unwrap_or(&[]);
            let pos = (u32::from(k.first().copied().unwrap_or(0)) << 8)
                | u32::from(k.get(1).copied().unwrap_or(0));
            (pos * 100 / 65536) as u8
        };
        builder = Some(b);
        progress.set(WarpPhase::DownloadingState {
            target: number,
            percent,
            bytes,
        });
        if last_log.elapsed() >= LOG_EVERY || complete {
            tracing::info!(
                target: "sync",
                "⏩ Warping, downloading state of #{number}, {percent}% ({:.2} MiB)",
                bytes as f64 / (1024.0 * 1024.0)
            );
            last_log = Instant::now();
        }
        if complete {
            return Ok(builder.map(|b| (b, pending_value)));
        }
    }
}

/// Phase 3: the state and GRANDPA's set written in one batch.
async fn import(
    client: &Arc<Client>,
    target: Target,
    (state, pending): (StateBuilder, Option<Vec<u8>>),
) -> Result<H256, WarpError> {
    let client = client.clone();
    tokio::task::spawn_blocking(move || {
        let Target {
            header,
            justification,
            mut set,
        } = target;
        let hash = header.hash();
        let number = header.number;
        set.pending = pending
            .and_then(|raw| pending_change_from_storage(&raw, number))
            .into_iter()
            .collect();
        set.start = (hash, number);
        let aux = echonet_finality::authorities::aux_after_state_import(&set);
        let justifications = sp_runtime::Justifications::from((GRANDPA_ENGINE_ID, justification));
        client
            .import_built_state(header, Some(justifications), state, &aux)
            .map_err(|e| WarpError::Local(format!("importing the state: {e}")))?;
        Ok(hash)
    })
    .await
    .map_err(|e| WarpError::Local(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use codec::Encode;
    use finality_grandpa::{Message, Precommit, SignedPrecommit};
    use sp_consensus_grandpa::{ConsensusLog, ScheduledChange};
    use sp_core::Pair as _;
    use sp_keyring::Ed25519Keyring as K;
    use sp_runtime::{generic::Digest, DigestItem};

    fn header(number: u32, parent: H256, change: Option<(K, u32)>) -> Header {
        let mut digest = Digest::default();
        if let Some((next, delay)) = change {
            let log = ConsensusLog::<u32>::ScheduledChange(ScheduledChange {
                next_authorities: vec![(next.public().into(), 1)],
                delay,
            });
            digest.push(DigestItem::Consensus(GRANDPA_ENGINE_ID, log.encode()));
        }
        <Header as sp_runtime::traits::Header>::new(
            number,
            H256::zero(),
            H256::repeat_byte(number as u8),
            parent,
            digest,
        )
    }

    fn justification(signer: K, set_id: u64, header: &Header) -> Vec<u8> {
        let precommit = Precommit::new(header.hash(), header.number);
        let payload = sp_consensus_grandpa::localized_payload(
            1,
            set_id,
            &Message::<H256, u32>::Precommit(precommit.clone()),
        );
        echonet_finality::Justification {
            round: 1,
            commit: finality_grandpa::Commit {
                target_hash: header.hash(),
                target_number: header.number,
                precommits: vec![SignedPrecommit {
                    precommit,
                    signature: signer.pair().sign(&payload).into(),
                    id: signer.public().into(),
                }],
            },
            votes_ancestries: vec![],
        }
        .encode()
    }

    fn genesis_set() -> AuthoritySet {
        AuthoritySet {
            set_id: 0,
            authorities: vec![(K::Alice.public().into(), 1)],
            start: (H256::zero(), 0),
            pending: Vec::new(),
        }
    }

    /// Set 0 {Alice} hands over to {Bob} at #5 (delay 0), set 1 {Bob} to {Charlie} at #10
    /// (signalled at #8).
    fn fragments() -> (WarpFragment, WarpFragment) {
        let h5 = header(5, H256::repeat_byte(4), Some((K::Bob, 0)));
        let first = WarpFragment {
            justification: justification(K::Alice, 0, &h5),
            headers: vec![h5],
        };
        let h8 = header(8, H256::repeat_byte(7), Some((K::Charlie, 2)));
        let h9 = header(9, h8.hash(), None);
        let h10 = header(10, h9.hash(), None);
        let second = WarpFragment {
            justification: justification(K::Bob, 1, &h10),
            headers: vec![h8, h9, h10],
        };
        (first, second)
    }

    #[test]
    fn hand_offs_verify_from_set_to_set() {
        let (first, second) = fragments();
        let set1 = verify_fragment(&genesis_set(), &first).unwrap();
        assert_eq!(set1.set_id, 1);
        assert_eq!(set1.authorities, vec![(K::Bob.public().into(), 1)]);
        let set2 = verify_fragment(&set1, &second).unwrap();
        assert_eq!(set2.set_id, 2);
        assert_eq!(set2.authorities, vec![(K::Charlie.public().into(), 1)]);
        assert_eq!(set2.start.1, 10);
        // The second hand-off is not the first set's to prove.
        assert!(matches!(
            verify_fragment(&genesis_set(), &second),
            Err(ProofError::Justification(_))
        ));
    }

    #[test]
    fn forged_or_malformed_hand_offs_are_refused() {
        let (first, second) = fragments();
        let set1 = verify_fragment(&genesis_set(), &first).unwrap();
        // Signed by someone outside the set.
        let mut forged = first.clone();
        forged.justification = justification(K::Charlie, 0, &first.headers[0]);
        assert!(verify_fragment(&genesis_set(), &forged).is_err());
        // A flipped signature byte.
        let mut flipped = first.clone();
        let len = flipped.justification.len();
        flipped.justification[len - 60] ^= 0xff;
        assert!(verify_fragment(&genesis_set(), &flipped).is_err());
        // Signed by the right key for another set id.
        let mut replayed = first.clone();
        replayed.justification = justification(K::Alice, 1, &first.headers[0]);
        assert!(verify_fragment(&genesis_set(), &replayed).is_err());
        // Headers that do not link.
        let mut unlinked = second.clone();
        unlinked.headers.remove(1);
        assert!(matches!(
            verify_fragment(&set1, &unlinked),
            Err(ProofError::Unlinked)
        ));
        // No change signalled, or one taking effect elsewhere.
        let plain = header(5, H256::repeat_byte(4), None);
        let no_change = WarpFragment {
            justification: justification(K::Alice, 0, &plain),
            headers: vec![plain],
        };
        assert!(matches!(
            verify_fragment(&genesis_set(), &no_change),
            Err(ProofError::NoChange)
        ));
        let mut wrong_delay = second.clone();
        wrong_delay.headers.truncate(2);
        wrong_delay.justification = justification(K::Bob, 1, &wrong_delay.headers[1]);
        assert!(matches!(
            verify_fragment(&set1, &wrong_delay),
            Err(ProofError::NoChange)
        ));
        // No headers at all.
        let empty = WarpFragment {
            headers: vec![],
            justification: vec![],
        };
        assert!(verify_fragment(&genesis_set(), &empty).is_err());
    }
}
