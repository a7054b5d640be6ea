//! GRANDPA (crate `echonet-finality`) wired to the node: its gossip over the network, the
//! justifications that come with synced blocks, and equivocation evidence (GRANDPA's and
//! Aura's) submitted to the pool so that the next author puts it on-chain.

use echonet_finality::{FinalityNetwork, GrandpaHandle, MessageVerdict, GRANDPA_ENGINE_ID};
use echonet_network::{MessageId, MessageValidity, NetworkHandle, PeerId, ReputationChange};
use echonet_sync::{JustificationError, JustificationImport};
use sp_core::H256;
use sp_runtime::Justifications;

/// Capacity of the queue of finality messages from peers; when it is full, messages are
/// ignored (GRANDPA re-gossips a stalled round's votes).
pub const INCOMING_QUEUE: usize = 1024;

/// Capacity of the queue of GRANDPA equivocation reports on their way to the pool. The
/// voter reports from a synchronous callback on its own runtime, so it cannot wait for room:
/// when the queue is full the report is dropped with a warning. A full queue means the
/// pool has stopped taking reports: one round reports each equivocating voter at most once
/// per vote kind, far fewer than this; Aura's reports are dropped the same way when
/// their broadcast queue lags.
pub const EVIDENCE_QUEUE: usize = 64;

/// GRANDPA's gossip over the node's network.
pub struct NodeFinalityNetwork(pub NetworkHandle);

impl FinalityNetwork for NodeFinalityNetwork {
    type Peer = PeerId;
    type MessageId = MessageId;

    fn gossip(&self, data: Vec<u8>) {
        self.0.gossip_finality(data);
    }

    fn report(&self, peer: PeerId, message_id: MessageId, verdict: MessageVerdict) {
        if let Some((cost, reason)) = verdict.reputation() {
            self.0
                .report_peer(peer, ReputationChange::new(cost, reason));
        }
        let validity = match verdict {
            MessageVerdict::Accept => MessageValidity::Accept,
            MessageVerdict::Ignore | MessageVerdict::NoNewVotes => MessageValidity::Ignore,
            MessageVerdict::Reject(_) => MessageValidity::Reject,
        };
        self.0.report_message(message_id, peer, validity);
    }
}

/// Sync hands GRANDPA the justifications of the blocks it imports.
pub struct GrandpaJustifications(pub GrandpaHandle);

impl JustificationImport for GrandpaJustifications {
    fn import_justifications(
        &self,
        hash: H256,
        _number: u32,
        justifications: Justifications,
    ) -> Result<(), JustificationError> {
        // Other engines' justifications mean nothing to us.
        let Some(encoded) = justifications.get(GRANDPA_ENGINE_ID) else {
            return Ok(());
        };
        match self.0.import_justification_blocking(hash, encoded.to_vec()) {
            Ok(_) => Ok(()),
            Err(echonet_finality::Error::Justification(e)) => {
                Err(JustificationError::Bad(e.to_string()))
            }
            Err(e) => Err(JustificationError::Local(e.to_string())),
        }
    }
}

/// Hands GRANDPA's equivocation reports (SCALE bytes of a bare `Evidence` extrinsic) to
/// [`report_equivocations`]. A channel, because the voter runs on its own runtime; bounded
/// by [`EVIDENCE_QUEUE`], dropping reports when full.
pub struct ChannelReporter(pub tokio::sync::mpsc::Sender<Vec<u8>>);

impl echonet_finality::EquivocationReporter for ChannelReporter {
    fn report_grandpa_equivocation(
        &self,
        proof: sp_consensus_grandpa::EquivocationProof<H256, u32>,
    ) {
        use tokio::sync::mpsc::error::TrySendError;
        match self
            .0
            .try_send(echonet_finality::evidence::grandpa_report_extrinsic(proof))
        {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => tracing::warn!(
                target: "evidence",
                "GRANDPA equivocation report dropped: {EVIDENCE_QUEUE} reports already wait for the pool"
            ),
            // The reporting task has stopped: the node is shutting down.
            Err(TrySendError::Closed(_)) => {}
        }
    }
}

/// Submits equivocation evidence to the pool: GRANDPA's from `grandpa`, and Aura's from
/// `aura`, as import's Aura verifier detects two blocks of one slot by one author. The runtime verifies the proofs
/// (`ValidateUnsigned`); the pool refuses a report of an offence already reported.
pub async fn report_equivocations(
    mut aura: tokio::sync::broadcast::Receiver<echonet_consensus::aura::AuraEquivocation>,
    pool: std::sync::Arc<echonet_txpool::Pool>,
    mut grandpa: tokio::sync::mpsc::Receiver<Vec<u8>>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let (kind, bytes) = tokio::select! {
            _ = shutdown.changed() => break,
            report = grandpa.recv() => match report {
                Some(bytes) => ("GRANDPA", bytes),
                None => break,
            },
            e = aura.recv() => match e {
                Ok(e) => (
                    "Aura",
                    echonet_consensus::aura::evidence::aura_report_extrinsic(
                        e.author.clone(),
                        (*e.first).clone(),
                        (*e.second).clone(),
                    ),
                ),
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(target: "evidence", "missed {n} Aura equivocations (queue full)");
                    continue;
                }
                Err(RecvError::Closed) => break,
            },
        };
        match pool.submit_one(bytes).await {
            Ok(hash) => tracing::warn!(
                target: "evidence",
                "🚨 Reporting a {kind} equivocation on-chain: {hash:?}"
            ),
            Err(e) => tracing::debug!(
                target: "evidence",
                "{kind} equivocation report not submitted: {e}"
            ),
        }
    }
    tracing::debug!(target: "evidence", "equivocation reporter stopped");
}

/// How long finality may stand still while the best block moves on before the node asks
/// its peers for justifications.
const FINALITY_STALL: std::time::Duration = std::time::Duration::from_secs(6);
/// Heights above the finalized block probed per attempt.
const JUSTIFICATION_PROBE: u32 = 16;

/// Gets finality moving again on a node that missed the commit finalizing an authority
/// set change. Such a node cannot check any commit of the next set, so gossip alone never
/// moves it again (a node that was offline or restarted across a set change, or one
/// dropped from the set). When its finalized block has not moved for [`FINALITY_STALL`]
/// while its best chain is ahead, it asks peers, in turn, for the justifications of the
/// blocks above its finalized one, lowest first, and imports the first that checks out:
/// the lowest one is signed by the node's own set. Peers that have none answer empty, so
/// a network-wide stall (too few voters) costs a few requests every few seconds.
pub async fn fetch_missing_justifications(
    client: std::sync::Arc<echonet_client::Client>,
    grandpa: GrandpaHandle,
    network: NetworkHandle,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut finalized = client.info().finalized_number;
    let mut since = std::time::Instant::now();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = tick.tick() => {}
        }
        let info = client.info();
        if info.finalized_number != finalized {
            finalized = info.finalized_number;
            since = std::time::Instant::now();
            continue;
        }
        if since.elapsed() < FINALITY_STALL || info.best_number <= finalized.saturating_add(2) {
            continue;
        }
        since = std::time::Instant::now();
        let peers = network.peers().await;
        if peers.is_empty() {
            continue;
        }
        let top = info
            .best_number
            .min(finalized.saturating_add(JUSTIFICATION_PROBE));
        for (i, number) in (finalized + 1..=top).enumerate() {
            let Ok(Some(hash)) = client.hash(number) else {
                break;
            };
            let peer = peers[i % peers.len()].peer_id;
            let Ok(Some(justifications)) = network.request_justification(peer, hash).await else {
                continue;
            };
            let Some(encoded) = justifications.get(GRANDPA_ENGINE_ID) else {
                continue;
            };
            match grandpa.import_justification(hash, encoded.to_vec()).await {
                Ok(outcome) => {
                    tracing::info!(
                        target: "grandpa",
                        "Finality was stuck at #{finalized}: imported the justification of #{number} from {peer} ({outcome:?})"
                    );
                    break;
                }
                // It does not prove what it claims: the peer that served it pays, as one
                // that sends it with a block does. (Signed by a later set than ours, an
                // honest one fails too: the cost is small and decays.) Try the next height.
                Err(echonet_finality::Error::Justification(e)) => {
                    tracing::debug!(
                        target: "grandpa",
                        "bad justification of #{number} from {peer}: {e}"
                    );
                    network.report_peer(peer, echonet_network::rep::BAD_JUSTIFICATION);
                }
                // Not the peer's fault (the block is not ours yet, a local failure): try
                // the next height.
                Err(e) => tracing::debug!(
                    target: "grandpa",
                    "justification of #{number} from {peer} not imported: {e}"
                ),
            }
        }
    }
    tracing::debug!(target: "grandpa", "justification fetcher stopped");
}
