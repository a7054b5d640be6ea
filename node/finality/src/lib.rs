//! # echonet-finality
//!
//! GRANDPA finality for `echonet-node`: the `finality-grandpa` crate's `Voter` driven over
//! our [`Client`], keystore and gossip network; justifications (built, stored, verified and
//! imported); the authority set and the changes pallet-grandpa schedules in header
//! digests; and detection of GRANDPA double votes, reported as evidence on-chain.
//!
//! ## Wiring it into the node
//!
//! 1. Implement [`FinalityNetwork`] over the network handle:
//!    - `type Peer = echonet_network::PeerId; type MessageId = echonet_network::MessageId;`
//!    - `gossip(data)` → `NetworkHandle::gossip_finality(data)`;
//!    - `report(peer, id, verdict)` → `report_message(id, peer, v)` with `v` = `Accept`,
//!      `Ignore` (also for `NoNewVotes`) or `Reject` as [`MessageVerdict`] says, and when
//!      [`MessageVerdict::reputation`] is `Some((cost, reason))` also
//!      `report_peer(peer, ReputationChange::new(cost, reason))`.
//!
//!    Every message handed in gets exactly one `report` call.
//! 2. Create a bounded channel `tokio::sync::mpsc::channel(1024)` of [`FinalityMessage`]s
//!    and route every `NetworkEvent::Finality { peer, data, message_id }` into it with
//!    `try_send` (when it is full, report the message `Ignore`). No other event is needed.
//! 3. Call [`start`] once the client is open (after the keystore has the node's keys):
//!    ```ignore
//!    let grandpa = echonet_finality::start(echonet_finality::GrandpaParams {
//!        client: client.clone(),
//!        keystore: keystore_ptr.clone(),
//!        network: Arc::new(MyFinalityNetwork(network.clone())),
//!        incoming: finality_rx,
//!        reporter: Some(Arc::new(echonet_finality::evidence::PoolReporter::new(submit))),
//!        metrics_registry: registry.clone(),
//!        shutdown: shutdown_rx.clone(),
//!        config: echonet_finality::GrandpaConfig::default(),
//!    }).await?;
//!    ```
//!    Run it on every node: validators whose GRANDPA key (ed25519, key type `gran`) is in
//!    the current set vote; other nodes follow (they check and apply commits).
//!    Authoring must stop finalizing its own blocks (`instant_finality: false`).
//! 4. Sync: for a block that arrives with a justification under engine id
//!    [`GRANDPA_ENGINE_ID`] (`FRNK`), import the block *without* `finalize: true`
//!    and without passing the justification in `ImportBlock`, then call
//!    [`GrandpaHandle::import_justification`]`(hash, bytes)`: it verifies the justification
//!    against the current authority set and finalizes the block (storing the
//!    justification). On `Err(Error::Justification(_))` report the peer
//!    (`rep::BAD_JUSTIFICATION`). Import justifications in block order: one for a block
//!    past the effective block of a pending authority set change is refused
//!    ([`JustificationError::PastHandOff`]) until the justification of that effective
//!    block itself is imported.
//!    Serving: `Client::justifications(hash)` already returns the stored ones.
//!
//! ## Protocol
//!
//! See [`messages`] for the wire format. Timing ([`GrandpaConfig::gossip_duration`],
//! default 400 ms): a round prevotes 2 × 400 ms after it starts (earlier if the round is
//! already completable) and precommits at 4 × 400 ms, so with 2 s slots a block is usually
//! final within one or two slots. A commit goes out after a random delay of up to 800 ms.
//! A node whose round has not moved for 8 × 400 ms re-gossips the round's votes; a node
//! that sees votes more than two rounds ahead asks for a catch-up.
//!
//! ## Safety
//!
//! Nothing from the network is trusted: every vote, commit and catch-up is checked before
//! the voter sees it, cheapest check first (size, depth-limited decoding, set id, round
//! window, vote already seen, signer in the set), and only then its ed25519 signatures, on
//! a thread of their own, so that replayed votes cannot stall the voter; a vote message
//! with no new vote costs its sender ([`MessageVerdict::NoNewVotes`]). The voter checks
//! commits against our chain. A node never
//! finalizes a block that does not descend from its finalized block (that would be a
//! safety fault; it is logged and refused), nor a block past the hand-off of a pending
//! authority set change before the hand-off block itself is final (see [`authorities`]).
//! Own votes are written to disk, with RocksDB's log synced, before they are sent, so a
//! voter restarted after a crash or a power cut repeats them instead of contradicting
//! itself.

pub mod authorities;
mod environment;
pub mod evidence;
pub mod justification;
pub mod messages;
mod metrics;
mod verify;
mod worker;

pub use authorities::{
    reset_after_state_import, set_changes, AuthoritySet, PendingChange, SetChange, SetChanges,
};
pub use environment::Timing;
pub use justification::{verify_justification, Justification, JustificationError};
pub use sp_consensus_grandpa::GRANDPA_ENGINE_ID;

use echonet_client::Client;
use environment::Shared;
use parking_lot::Mutex;
use prometheus_endpoint::Registry;
use sp_core::H256;
use sp_keystore::KeystorePtr;
use std::{sync::Arc, time::Duration};
use tokio::sync::{mpsc, watch};

/// Errors of the finality worker and of justification imports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or finalizing the chain failed. For a justification import this includes
    /// [`echonet_client::Error::UnknownBlock`] (the block is not imported yet) and
    /// [`echonet_client::Error::NotDescendantOfFinalized`] (it is on a fork below the
    /// finalized height).
    #[error("client: {0}")]
    Client(#[from] echonet_client::Error),
    /// finality-grandpa's voter failed, e.g. an ancestry query between blocks that are not
    /// on one chain. The worker restarts the voter after a second.
    #[error("grandpa: {0}")]
    Grandpa(#[from] finality_grandpa::Error),
    /// Finalizing would contradict what is already final (another block at a final
    /// height, or a block off the finalized chain), or a commit's precommits do not link to
    /// its target on our chain. Refused and logged: this signals a bug or a safety fault
    /// of the authorities, never ordinary bad input.
    #[error("safety: {0}")]
    Safety(String),
    /// A finalization enacted an authority set change: the voter of the old set ends with
    /// this and the worker starts one for the new set. Not a failure.
    #[error("the authority set changed")]
    AuthoritySetChanged,
    /// A justification from the network failed verification; the peer that sent it is to
    /// be reported.
    #[error("invalid justification: {0}")]
    Justification(#[from] JustificationError),
    /// At start-up, with no stored authority set, the runtime reports an empty GRANDPA
    /// authority set at the finalized block: a chain spec without GRANDPA keys.
    #[error("{0}")]
    NoAuthorities(String),
    /// The authority set stored in the client's auxiliary storage does not decode.
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// What was being decoded.
        what: &'static str,
        /// The codec's error, as text.
        reason: String,
    },
    /// [`start`] could not register the worker's metrics in the registry it was given (e.g.
    /// a name is already taken).
    #[error("cannot register metrics: {0}")]
    Metrics(#[from] prometheus_endpoint::PrometheusError),
    /// A blocking task of the worker was cancelled or panicked, as happens when the node's
    /// runtime shuts down.
    #[error("the finality worker has stopped")]
    Stopped,
    /// [`start`] could not create the voter's thread or its single-threaded runtime.
    #[error("cannot spawn the finality thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// Why a finality message is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehavior {
    /// Too large or undecodable.
    Malformed,
    /// A vote or precommit with a bad signature.
    BadSignature,
    /// Signed by a key that is not in the authority set.
    NotAVoter,
    /// A commit without enough valid precommits.
    InvalidCommit,
    /// A catch-up with bad votes.
    InvalidCatchUp,
}

impl Misbehavior {
    /// A reputation cost for the peer (Substrate's scale: the network bans below about
    /// -1.5e9).
    pub fn cost(&self) -> i32 {
        match self {
            Misbehavior::Malformed => -(1 << 24),
            Misbehavior::BadSignature | Misbehavior::NotAVoter => -(1 << 16),
            Misbehavior::InvalidCommit | Misbehavior::InvalidCatchUp => -(1 << 16),
        }
    }

    /// A short reason, for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Misbehavior::Malformed => "malformed finality message",
            Misbehavior::BadSignature => "bad GRANDPA signature",
            Misbehavior::NotAVoter => "GRANDPA message from a non-voter",
            Misbehavior::InvalidCommit => "invalid GRANDPA commit",
            Misbehavior::InvalidCatchUp => "invalid GRANDPA catch-up",
        }
    }
}

/// The verdict on a finality message from the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageVerdict {
    /// Valid and new: forward it.
    Accept,
    /// Harmless but not worth forwarding (duplicate, old, other set, meant for direct
    /// peers only).
    Ignore,
    /// Valid, but without a vote that is new to us: its votes were all seen already, or
    /// are of a round behind our window. Not forwarded, and it costs the sender a little
    /// ([`MessageVerdict::reputation`]): honest nodes send such a message now and then (a
    /// stalled round's votes, repeated), a peer that replays votes sends little else.
    NoNewVotes,
    /// Invalid: drop it and lower the sender's reputation by `cost()`.
    Reject(Misbehavior),
}

impl MessageVerdict {
    /// The change of the sender's reputation the verdict calls for, with its reason (for
    /// logs and metrics): a cost for [`MessageVerdict::NoNewVotes`] and
    /// [`MessageVerdict::Reject`], none otherwise.
    pub fn reputation(&self) -> Option<(i32, &'static str)> {
        match self {
            MessageVerdict::Accept | MessageVerdict::Ignore => None,
            // Small next to an honest node's rate of such messages (a stalled round's votes
            // every few seconds), which the decay of reputation absorbs; a peer that
            // replays votes at its gossip rate falls below the ban threshold in about 35 s.
            MessageVerdict::NoNewVotes => Some((-(1 << 17), "GRANDPA message without a new vote")),
            MessageVerdict::Reject(m) => Some((m.cost(), m.reason())),
        }
    }
}

/// A finality message received from a peer.
#[derive(Debug, Clone)]
pub struct FinalityMessage<P, M> {
    /// The peer that sent it, whose reputation a [`MessageVerdict::Reject`] lowers.
    pub peer: P,
    /// The encoded [`messages::GossipMessage`], unchecked.
    pub data: Vec<u8>,
    /// The network's id of the gossip message, handed back in [`FinalityNetwork::report`]
    /// so that the network forwards or drops it.
    pub message_id: M,
}

/// What the finality worker needs from the network. The node implements it over
/// `echonet_network::NetworkHandle`; tests over an in-memory hub.
pub trait FinalityNetwork: Send + Sync + 'static {
    /// Identifies a peer (the node uses libp2p's `PeerId`).
    type Peer: Clone + std::fmt::Debug + Send + Sync + 'static;
    /// Identifies a received gossip message, so that its verdict can be reported.
    type MessageId: Clone + Send + Sync + 'static;

    /// Gossips a finality message (at most [`messages::MAX_MESSAGE_SIZE`] bytes) to all
    /// peers.
    fn gossip(&self, data: Vec<u8>);

    /// The verdict on a message received from `peer`. Called once per message.
    fn report(&self, peer: Self::Peer, message_id: Self::MessageId, verdict: MessageVerdict);
}

/// Where detected GRANDPA equivocations go: the node submits them to its transaction pool
/// ([`evidence::grandpa_report_extrinsic`] builds the extrinsic).
pub trait EquivocationReporter: Send + Sync + 'static {
    /// Called by the voter's thread once per detected equivocation (two different votes of
    /// one authority in one round and stage). Must not block: hand the proof off.
    fn report_grandpa_equivocation(
        &self,
        proof: sp_consensus_grandpa::EquivocationProof<H256, u32>,
    );
}

/// Tunables.
#[derive(Debug, Clone)]
pub struct GrandpaConfig {
    /// The gossip time estimate `T` (see the crate docs). 400 ms for 2 s slots.
    pub gossip_duration: Duration,
    /// Test-only: make this voter equivocate (sign a second, conflicting prevote in every
    /// round), so that end-to-end tests can check that others report it.
    #[doc(hidden)]
    pub equivocate: bool,
}

impl Default for GrandpaConfig {
    fn default() -> Self {
        Self {
            gossip_duration: Duration::from_millis(400),
            equivocate: false,
        }
    }
}

/// What [`start`] needs.
pub struct GrandpaParams<N: FinalityNetwork> {
    /// The chain the worker reads, votes on and finalizes.
    pub client: Arc<Client>,
    /// Where the node's GRANDPA key (ed25519, key type `gran`) is, if it has one.
    pub keystore: KeystorePtr,
    /// Gossips the worker's messages and receives its verdicts on incoming ones.
    pub network: Arc<N>,
    /// Finality messages from the network (see the crate docs, step 2).
    pub incoming: mpsc::Receiver<FinalityMessage<N::Peer, N::MessageId>>,
    /// Where detected equivocations go (`None`: only logged and counted).
    pub reporter: Option<Arc<dyn EquivocationReporter>>,
    /// Where to register the `grandpa_*` Prometheus metrics (`None`: no metrics).
    pub metrics_registry: Option<Registry>,
    /// The worker stops when this turns `true` (or when `incoming` closes).
    pub shutdown: watch::Receiver<bool>,
    /// Timing and test switches.
    pub config: GrandpaConfig,
}

/// The outcome of [`GrandpaHandle::import_justification`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JustificationImport {
    /// The block was already final; nothing changed.
    AlreadyFinal,
    /// The block is final now.
    Finalized,
    /// The block is final and enacted an authority set change; the new set id.
    SetChanged(u64),
}

/// The running finality worker. Cheap to clone.
#[derive(Clone)]
pub struct GrandpaHandle {
    shared: Arc<Shared>,
    stopped: watch::Receiver<bool>,
}

impl GrandpaHandle {
    /// The current authority set.
    pub fn authority_set(&self) -> AuthoritySet {
        self.shared.set.lock().clone()
    }

    /// Verifies a justification of block `hash` (#`number`) against the current set,
    /// without importing it.
    pub fn verify_justification(
        &self,
        hash: H256,
        number: u32,
        encoded: &[u8],
    ) -> Result<Justification, JustificationError> {
        let set = self.shared.set.lock().clone();
        verify_justification(&set, hash, number, encoded)
    }

    /// Verifies `encoded` as the GRANDPA justification of the imported block `hash` and
    /// finalizes the block with it. Blocking: call from `spawn_blocking` (or use
    /// [`GrandpaHandle::import_justification`]).
    pub fn import_justification_blocking(
        &self,
        hash: H256,
        encoded: Vec<u8>,
    ) -> Result<JustificationImport, Error> {
        import_justification(&self.shared, hash, encoded)
    }

    /// [`GrandpaHandle::import_justification_blocking`] on a blocking thread.
    pub async fn import_justification(
        &self,
        hash: H256,
        encoded: Vec<u8>,
    ) -> Result<JustificationImport, Error> {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || import_justification(&shared, hash, encoded))
            .await
            .map_err(|_| Error::Stopped)?
    }

    /// Waits until the worker has stopped.
    pub async fn stopped(&self) {
        let mut stopped = self.stopped.clone();
        let _ = stopped.wait_for(|s| *s).await;
    }
}

fn import_justification(
    shared: &Shared,
    hash: H256,
    encoded: Vec<u8>,
) -> Result<JustificationImport, Error> {
    let header = shared
        .client
        .header(hash)?
        .ok_or(echonet_client::Error::UnknownBlock(hash))?;
    let info = shared.client.info();
    if header.number <= info.finalized_number {
        if shared.client.hash(header.number)? == Some(hash) {
            return Ok(JustificationImport::AlreadyFinal);
        }
        return Err(echonet_client::Error::NotDescendantOfFinalized(hash).into());
    }
    // Hold the set while verifying and finalizing, so a concurrent change cannot slip in.
    let mut set = shared.set.lock();
    verify_justification(&set, hash, header.number, &encoded)?;
    let outcome = authorities::finalize(&shared.client, &mut set, hash, header.number, encoded)?;
    drop(set);
    if let Some(m) = &shared.metrics {
        m.finalized_height
            .set(shared.client.info().finalized_number as u64);
    }
    Ok(match outcome {
        authorities::Outcome::AlreadyFinal => JustificationImport::AlreadyFinal,
        authorities::Outcome::Finalized => {
            tracing::info!(target: "grandpa", "✨ Finalized #{} ({hash:?}) by an imported justification", header.number);
            JustificationImport::Finalized
        }
        authorities::Outcome::SetChanged(id) => {
            shared.set_changed.send_replace(id);
            JustificationImport::SetChanged(id)
        }
    })
}

/// Starts the finality worker on its own thread. See the crate docs for the wiring.
pub async fn start<N: FinalityNetwork>(params: GrandpaParams<N>) -> Result<GrandpaHandle, Error> {
    let metrics = params
        .metrics_registry
        .as_ref()
        .map(metrics::Metrics::register)
        .transpose()?;
    let client = params.client.clone();
    let set = tokio::task::spawn_blocking(move || AuthoritySet::load_or_init(&client))
        .await
        .map_err(|_| Error::Stopped)??;
    tracing::info!(
        target: "grandpa",
        "👴 GRANDPA authority set {} with {} authorities (started at #{})",
        set.set_id,
        set.authorities.len(),
        set.start.1
    );
    let verifier = verify::Verifier::spawn(metrics.clone())?;
    let (set_changed_tx, set_changed_rx) = watch::channel(set.set_id);
    let shared = Arc::new(Shared {
        client: params.client.clone(),
        set: Mutex::new(set),
        set_changed: set_changed_tx,
        metrics,
        reporter: params.reporter,
    });
    let worker = worker::Worker {
        shared: shared.clone(),
        keystore: params.keystore,
        network: params.network,
        incoming: params.incoming,
        imports: params.client.import_notifications(),
        set_changed: set_changed_rx,
        shutdown: params.shutdown,
        timing: Timing {
            gossip_duration: params.config.gossip_duration,
        },
        equivocate: params.config.equivocate,
        verifier,
    };
    let (stopped_tx, stopped_rx) = watch::channel(false);
    // The voter's own single-threaded runtime for its timers: borrowing the node's would
    // make every timer panic once that runtime shuts down (e.g. when start-up fails after
    // GRANDPA started), and the voter would die noisily instead of with the process.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("grandpa")
        .build()
        .map_err(Error::Thread)?;
    std::thread::Builder::new()
        .name("grandpa".into())
        .spawn(move || {
            runtime.block_on(worker.run());
            stopped_tx.send_replace(true);
        })
        .map_err(Error::Thread)?;
    Ok(GrandpaHandle {
        shared,
        stopped: stopped_rx,
    })
}
