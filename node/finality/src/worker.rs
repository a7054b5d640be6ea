//! The finality thread: runs the finality-grandpa `Voter` of the current authority set and
//! routes the network's finality messages to it.
//!
//! Everything here runs on one dedicated OS thread (`block_on`), so the blocking client
//! calls of the voter's environment and of message validation never stall the async
//! runtime. Per authority set, the worker builds an [`Environment`] and a `Voter`; it
//! restarts them when the set changes (finalization of a change's effective block, by the
//! voter or by a justification import) or when the voter fails.
//!
//! Incoming messages are checked in full before anything reaches the voter, cheapest check
//! first: size, duplicate message (by hash), decoding (depth-limited), set id, round window,
//! votes already seen (by digest), signers in the set, commit weight. Only what passes, and
//! would be new to the voter, has its signatures checked, on the verification thread
//! ([`crate::verify`]), never on this one: a peer that replays valid votes costs this thread
//! a hash per vote, not a signature check. A vote message that holds no new vote costs its
//! sender reputation ([`MessageVerdict::NoNewVotes`]). A vote or commit whose blocks are not
//! imported yet waits (bounded, 60 s) and is released on import.

use crate::{
    environment::{CompletedRound, Environment, OutgoingCommits, Shared, Timing, VoterProgress},
    justification::{voter_set, DECODE_DEPTH_LIMIT},
    messages::{stage, CatchUp, Commit, GossipMessage, SignedMessage, MAX_MESSAGE_SIZE},
    verify::{Checked, Job, Verifier, Work},
    Error, FinalityMessage, FinalityNetwork, MessageVerdict, Misbehavior,
};
use codec::{DecodeLimit, Encode};
use echonet_client::Client;
use finality_grandpa::{
    voter::{Callback, CommunicationIn, Voter},
    voter_set::VoterSet,
    Message, SignedPrecommit, SignedPrevote,
};
use futures::{channel::mpsc as fmpsc, StreamExt};
use parking_lot::Mutex;
use schnellru::{ByLength, LruMap};
use sp_consensus_grandpa::{AuthorityId, AuthoritySignature};
use sp_core::{crypto::key_types::GRANDPA, H256};
use sp_keystore::KeystorePtr;
use std::{
    collections::{BTreeMap, HashMap, HashSet, VecDeque},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::{
    broadcast,
    mpsc::{self, error::TrySendError},
    watch,
};

/// Votes kept per round: every authority's three stages, twice (an equivocation).
fn max_round_votes(voters: usize) -> usize {
    voters.saturating_mul(6)
}
/// Messages waiting for their blocks to be imported.
const MAX_WAITING: usize = 2048;
/// How long a message waits for its blocks.
const WAITING_TTL: Duration = Duration::from_secs(60);
/// Rounds kept behind the current one (background rounds still take votes).
const ROUNDS_BEHIND: u64 = 3;
/// Rounds ahead of the current one whose votes are kept for when it starts.
const ROUNDS_AHEAD: u64 = 2;
/// Size of the duplicate filter.
const SEEN_MESSAGES: u32 = 8192;
/// Capacity of the per-round and commit channels into the voter.
const GLOBAL_QUEUE: usize = 256;
/// Commits remembered as checked, so that copies (from other voters, or replayed) are not
/// checked again.
const CHECKED_COMMITS: usize = 16;

type GlobalIn = CommunicationIn<H256, u32, AuthoritySignature, AuthorityId>;

enum Waiting {
    Vote {
        round: u64,
        message: SignedMessage,
        since: Instant,
    },
    Commit {
        round: u64,
        commit: Commit,
        since: Instant,
    },
}

impl Waiting {
    fn since(&self) -> Instant {
        match self {
            Waiting::Vote { since, .. } | Waiting::Commit { since, .. } => *since,
        }
    }
}

#[derive(Default)]
struct RoundSlot {
    senders: Vec<fmpsc::Sender<SignedMessage>>,
    log: Vec<SignedMessage>,
    known: HashSet<[u8; 32]>,
    per_stage: HashMap<(AuthorityId, u8), u8>,
}

/// Routes checked votes and commits of the current set into the voter's streams.
pub(crate) struct Router {
    set_id: u64,
    voters: Arc<VoterSet<AuthorityId>>,
    current_round: u64,
    round_started: Instant,
    rounds: BTreeMap<u64, RoundSlot>,
    completed: Option<CompletedRound>,
    global: fmpsc::Sender<GlobalIn>,
    waiting: VecDeque<Waiting>,
    /// When we last saw a vote too far ahead of us (we are behind).
    behind_since: Option<Instant>,
    /// The commits (round, target) whose signatures were found valid, latest last.
    checked_commits: VecDeque<(u64, H256)>,
    /// A catch-up is having its signatures checked: others wait for their turn (they are
    /// ignored), so that copies of one catch-up cannot keep the verification thread busy.
    catch_up_pending: bool,
}

/// What the cheap checks made of a vote.
enum Precheck {
    /// New to this node: its signature is to be checked. Known from now on.
    New,
    /// Already seen (or its signer already equivocated in that stage and round).
    Known,
    /// Of a round behind the window.
    Stale,
    /// Of a round ahead of the window: this node may be behind.
    Ahead,
}

impl Router {
    fn new(
        set_id: u64,
        voters: Arc<VoterSet<AuthorityId>>,
        global: fmpsc::Sender<GlobalIn>,
    ) -> Self {
        Self {
            set_id,
            voters,
            current_round: 0,
            round_started: Instant::now(),
            rounds: BTreeMap::new(),
            completed: None,
            global,
            waiting: VecDeque::new(),
            behind_since: None,
            checked_commits: VecDeque::new(),
            catch_up_pending: false,
        }
    }

    /// A new stream of the votes of `round`, starting with those already received.
    pub(crate) fn register_round(&mut self, round: u64) -> fmpsc::Receiver<SignedMessage> {
        let capacity = max_round_votes(self.voters.len().get()) + 16;
        let (mut tx, rx) = fmpsc::channel(capacity);
        if round > self.current_round {
            self.current_round = round;
            self.round_started = Instant::now();
            let keep_from = round.saturating_sub(ROUNDS_BEHIND);
            self.rounds = self.rounds.split_off(&keep_from);
        }
        let slot = self.rounds.entry(round).or_default();
        for vote in &slot.log {
            let _ = tx.try_send(vote.clone());
        }
        slot.senders.push(tx);
        rx
    }

    /// Our own signed vote, looped back into its round.
    pub(crate) fn deliver_local(&mut self, round: u64, vote: SignedMessage) {
        let digest = vote_digest(&vote);
        if self.rounds.entry(round).or_default().known.insert(digest) {
            self.push(round, vote);
        }
    }

    pub(crate) fn note_completed(&mut self, completed: CompletedRound) {
        if self
            .completed
            .as_ref()
            .is_none_or(|c| c.round < completed.round)
        {
            self.completed = Some(completed);
        }
    }

    fn in_window(&self, round: u64) -> bool {
        round.saturating_add(ROUNDS_BEHIND) >= self.current_round
            && round <= self.current_round.saturating_add(ROUNDS_AHEAD)
    }

    /// Appends a vote to its round's log and streams. Callers deduplicate (`known`).
    fn push(&mut self, round: u64, vote: SignedMessage) {
        if !self.in_window(round) {
            return;
        }
        let max = max_round_votes(self.voters.len().get());
        let slot = self.rounds.entry(round).or_default();
        if slot.log.len() >= max {
            return;
        }
        slot.log.push(vote.clone());
        slot.senders
            .retain_mut(|tx| match tx.try_send(vote.clone()) {
                Ok(()) => true,
                Err(e) => !e.is_disconnected(),
            });
    }

    /// The checks of a vote of this set that need no signature check, in order of cost.
    /// A [`Precheck::New`] vote is known from then on: a copy is a duplicate while its
    /// signature is checked, and after (unless [`Router::forget_vote`] takes it back).
    fn precheck_vote(&mut self, round: u64, vote: &SignedMessage) -> Result<Precheck, Misbehavior> {
        if !self.voters.contains(&vote.id) {
            return Err(Misbehavior::NotAVoter);
        }
        if round > self.current_round.saturating_add(ROUNDS_AHEAD) {
            // Unchecked, the vote is only a hint that we are behind: it makes us ask for a
            // catch-up (at most every few seconds), which only nodes that completed a later
            // round answer, with votes that are checked in full.
            self.behind_since.get_or_insert_with(Instant::now);
            return Ok(Precheck::Ahead);
        }
        if !self.in_window(round) {
            return Ok(Precheck::Stale);
        }
        let slot = self.rounds.entry(round).or_default();
        let digest = vote_digest(vote);
        if slot.known.contains(&digest) {
            return Ok(Precheck::Known);
        }
        let key = (vote.id.clone(), stage(&vote.message));
        if slot.per_stage.get(&key).is_some_and(|count| *count >= 2) {
            // Two different votes already show the equivocation; more add nothing.
            return Ok(Precheck::Known);
        }
        slot.known.insert(digest);
        Ok(Precheck::New)
    }

    /// A vote that passed [`Router::precheck_vote`] but not its signature check (or was
    /// not checked): a copy of it is news again.
    fn forget_vote(&mut self, round: u64, vote: &SignedMessage) {
        if let Some(slot) = self.rounds.get_mut(&round) {
            slot.known.remove(&vote_digest(vote));
        }
    }

    /// Routes a vote whose signature is valid into its round, or makes it wait for its
    /// block.
    fn accept_vote(&mut self, client: &Client, round: u64, vote: SignedMessage) {
        if !self.in_window(round) {
            return;
        }
        let key = (vote.id.clone(), stage(&vote.message));
        let count = self
            .rounds
            .entry(round)
            .or_default()
            .per_stage
            .entry(key)
            .or_default();
        if *count >= 2 {
            return;
        }
        *count += 1;
        if is_known(client, *vote.message.target().0) {
            self.push(round, vote);
        } else {
            self.wait(Waiting::Vote {
                round,
                message: vote,
                since: Instant::now(),
            });
        }
    }

    /// The checks of a commit that need no signature check. `Ok(false)`: nothing to do
    /// (its block is final, or the commit was already checked).
    fn precheck_commit(
        &self,
        client: &Client,
        round: u64,
        commit: &Commit,
    ) -> Result<bool, Misbehavior> {
        if commit.target_number <= client.info().finalized_number
            || self.checked_commits.contains(&(round, commit.target_hash))
        {
            return Ok(false);
        }
        if commit.precommits.len() > 2 * self.voters.len().get() {
            return Err(Misbehavior::InvalidCommit);
        }
        let mut weight = 0u64;
        let mut signers = HashSet::new();
        for signed in &commit.precommits {
            let info = self.voters.get(&signed.id).ok_or(Misbehavior::NotAVoter)?;
            if signers.insert(signed.id.clone()) {
                weight = weight.saturating_add(info.weight().get());
            }
        }
        if weight < self.voters.threshold().get() {
            return Err(Misbehavior::InvalidCommit);
        }
        Ok(true)
    }

    /// Hands a commit whose signatures are valid to the voter, or makes it wait for its
    /// blocks.
    fn accept_commit(&mut self, client: &Client, round: u64, commit: Commit) {
        if self.checked_commits.len() >= CHECKED_COMMITS {
            self.checked_commits.pop_front();
        }
        self.checked_commits.push_back((round, commit.target_hash));
        if commit.target_number <= client.info().finalized_number {
            return;
        }
        if commit_blocks_known(client, &commit) {
            self.send_commit(round, commit);
        } else {
            self.wait(Waiting::Commit {
                round,
                commit,
                since: Instant::now(),
            });
        }
    }

    fn send_commit(&mut self, round: u64, commit: Commit) {
        let compact = finality_grandpa::CompactCommit::from(commit);
        if self
            .global
            .try_send(CommunicationIn::Commit(round, compact, Callback::Blank))
            .is_err()
        {
            tracing::debug!(target: "grandpa", "commit queue full: dropping a commit");
        }
    }

    /// The checks of a catch-up that need no signature check. `Ok(false)`: of no use now
    /// (not ahead of us, blocks unknown, or another catch-up is being checked). `Ok(true)`
    /// marks a catch-up as being checked until [`Router::catch_up_checked`].
    fn precheck_catch_up(
        &mut self,
        client: &Client,
        catch_up: &CatchUp,
    ) -> Result<bool, Misbehavior> {
        if catch_up.round_number <= self.current_round || self.catch_up_pending {
            return Ok(false);
        }
        let n = self.voters.len().get();
        if catch_up.prevotes.len() > 2 * n || catch_up.precommits.len() > 2 * n {
            return Err(Misbehavior::InvalidCatchUp);
        }
        let prevoters = catch_up.prevotes.iter().map(|v| &v.id);
        let precommitters = catch_up.precommits.iter().map(|v| &v.id);
        if !prevoters
            .chain(precommitters)
            .all(|id| self.voters.contains(id))
        {
            return Err(Misbehavior::NotAVoter);
        }
        let mut targets = std::iter::once(catch_up.base_hash)
            .chain(catch_up.prevotes.iter().map(|v| v.prevote.target_hash))
            .chain(catch_up.precommits.iter().map(|v| v.precommit.target_hash));
        if !targets.all(|h| is_known(client, h)) {
            return Ok(false);
        }
        self.catch_up_pending = true;
        Ok(true)
    }

    /// The end of a catch-up's check: a valid one (`Some`) goes to the voter if it is still
    /// ahead of it.
    fn catch_up_checked(&mut self, valid: Option<CatchUp>) {
        self.catch_up_pending = false;
        let Some(catch_up) = valid else { return };
        if catch_up.round_number <= self.current_round {
            return;
        }
        tracing::info!(target: "grandpa", "catching up to round {} of set {}", catch_up.round_number, self.set_id);
        let _ = self
            .global
            .try_send(CommunicationIn::CatchUp(catch_up, Callback::Blank));
    }

    /// Takes back what the cheap checks noted of work that will not be checked.
    fn unchecked(&mut self, work: &Work) {
        match work {
            Work::Votes { round, votes, .. } => {
                for vote in votes {
                    self.forget_vote(*round, vote);
                }
            }
            Work::CatchUp { .. } => self.catch_up_pending = false,
            Work::Commit { .. } => {}
        }
    }

    fn catch_up(&self) -> Option<CatchUp> {
        let completed = self.completed.as_ref()?;
        let mut prevotes = Vec::new();
        let mut precommits = Vec::new();
        for vote in &completed.votes {
            match &vote.message {
                Message::Prevote(p) => prevotes.push(SignedPrevote {
                    prevote: p.clone(),
                    signature: vote.signature.clone(),
                    id: vote.id.clone(),
                }),
                Message::Precommit(p) => precommits.push(SignedPrecommit {
                    precommit: p.clone(),
                    signature: vote.signature.clone(),
                    id: vote.id.clone(),
                }),
                Message::PrimaryPropose(_) => {}
            }
        }
        Some(CatchUp {
            round_number: completed.round,
            prevotes,
            precommits,
            base_hash: completed.base.0,
            base_number: completed.base.1,
        })
    }

    fn wait(&mut self, item: Waiting) {
        if self.waiting.len() >= MAX_WAITING {
            self.waiting.pop_front();
        }
        self.waiting.push_back(item);
    }

    /// Releases waiting messages whose blocks are now known; drops expired ones.
    fn release_waiting(&mut self, client: &Client) {
        let now = Instant::now();
        let waiting = std::mem::take(&mut self.waiting);
        for item in waiting {
            if now.duration_since(item.since()) > WAITING_TTL {
                continue;
            }
            match item {
                Waiting::Vote { round, message, .. } if is_known(client, *message.target().0) => {
                    self.push(round, message)
                }
                Waiting::Commit { round, commit, .. } if commit_blocks_known(client, &commit) => {
                    if commit.target_number > client.info().finalized_number {
                        self.send_commit(round, commit)
                    }
                }
                other => self.waiting.push_back(other),
            }
        }
    }
}

fn vote_digest(vote: &SignedMessage) -> [u8; 32] {
    <sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(&vote.encode()).0
}

fn is_known(client: &Client, hash: H256) -> bool {
    matches!(client.header(hash), Ok(Some(_)))
}

fn commit_blocks_known(client: &Client, commit: &Commit) -> bool {
    is_known(client, commit.target_hash)
        && commit
            .precommits
            .iter()
            .all(|p| is_known(client, p.precommit.target_hash))
}

/// The local GRANDPA key that is in `voters`, if any.
pub(crate) fn local_authority(
    keystore: &KeystorePtr,
    voters: &VoterSet<AuthorityId>,
) -> Option<AuthorityId> {
    keystore
        .ed25519_public_keys(GRANDPA)
        .into_iter()
        .map(AuthorityId::from)
        .find(|id| voters.contains(id))
}

/// The finality worker's inputs.
pub(crate) struct Worker<N: FinalityNetwork> {
    pub shared: Arc<Shared>,
    pub keystore: KeystorePtr,
    pub network: Arc<N>,
    pub incoming: mpsc::Receiver<FinalityMessage<N::Peer, N::MessageId>>,
    pub imports: broadcast::Receiver<echonet_client::BlockImportNotification>,
    pub set_changed: watch::Receiver<u64>,
    pub shutdown: watch::Receiver<bool>,
    pub timing: Timing,
    pub equivocate: bool,
    /// Checks the signatures of what passed the cheap checks.
    pub verifier: Verifier<N::Peer, N::MessageId>,
}

/// What [`Worker::process`] made of a message.
enum Step {
    /// Judged: report this verdict.
    Done(MessageVerdict),
    /// Passed the cheap checks: its signatures are to be checked.
    Verify(Work),
}

/// Timers of the worker's housekeeping.
struct Housekeeping {
    last_rebroadcast: Instant,
    last_catch_up_request: Option<Instant>,
    last_catch_up_answer: Option<Instant>,
    nonce: u64,
}

impl<N: FinalityNetwork> Worker<N> {
    /// Runs until shutdown or until the network's message channel closes.
    pub(crate) async fn run(mut self) {
        let client = self.shared.client.clone();
        let mut seen: LruMap<[u8; 32], ()> = LruMap::new(ByLength::new(SEEN_MESSAGES));
        let repeat = (self.timing.gossip_duration * 8).max(Duration::from_millis(500));
        'sets: loop {
            let set = self.shared.set.lock().clone();
            self.set_changed.borrow_and_update();
            let Some(voters) = voter_set(&set) else {
                tracing::error!(target: "grandpa", "authority set {} has no voters: GRANDPA stops", set.set_id);
                return;
            };
            let voters = Arc::new(voters);
            let local_id = local_authority(&self.keystore, &voters);
            match &local_id {
                Some(id) => {
                    tracing::info!(target: "grandpa", "👴 Voting in GRANDPA set {} as {id}", set.set_id)
                }
                None => {
                    tracing::info!(target: "grandpa", "👴 Following GRANDPA set {} (not a voter)", set.set_id)
                }
            }
            let (progress, local_id) = match VoterProgress::load(&client, set.set_id) {
                Ok(p) => (p, local_id),
                Err(e) => {
                    // Voting without our earlier votes could contradict them.
                    tracing::error!(target: "grandpa", "cannot read the voter's state: {e}; following set {} without voting", set.set_id);
                    let fresh = VoterProgress {
                        set_id: set.set_id,
                        ..Default::default()
                    };
                    (fresh, None)
                }
            };
            let (global_tx, global_rx) = fmpsc::channel(GLOBAL_QUEUE);
            let router = Arc::new(Mutex::new(Router::new(
                set.set_id,
                voters.clone(),
                global_tx,
            )));
            let (last_round, last_votes, last_base) = match &progress.completed {
                Some(c) => {
                    router.lock().note_completed(c.clone());
                    (c.round, c.votes.clone(), c.base)
                }
                None => (0, Vec::new(), set.start),
            };
            let env = Arc::new(Environment {
                shared: self.shared.clone(),
                set_id: set.set_id,
                local_id,
                keystore: self.keystore.clone(),
                network: self.network.clone(),
                router: router.clone(),
                progress: Arc::new(Mutex::new(progress)),
                timing: self.timing,
                equivocate: self.equivocate,
            });
            let info = client.info();
            let mut voter = Voter::new(
                env,
                (*voters).clone(),
                (
                    global_rx.map(Ok::<_, Error>),
                    OutgoingCommits {
                        set_id: set.set_id,
                        network: self.network.clone(),
                    },
                ),
                last_round,
                last_votes,
                last_base,
                (info.finalized_hash, info.finalized_number),
            );
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            let mut house = Housekeeping {
                last_rebroadcast: Instant::now(),
                last_catch_up_request: None,
                last_catch_up_answer: None,
                nonce: 0,
            };
            loop {
                tokio::select! {
                    result = &mut voter => {
                        match result {
                            Err(Error::AuthoritySetChanged) | Ok(()) => {}
                            Err(e) => {
                                tracing::warn!(target: "grandpa", "GRANDPA voter stopped: {e}; restarting it");
                                let pause = tokio::time::sleep(Duration::from_secs(1));
                                let gone = tokio::select! {
                                    _ = pause => false,
                                    changed = self.shutdown.changed() => changed.is_err(),
                                };
                                if gone || *self.shutdown.borrow() {
                                    break 'sets;
                                }
                            }
                        }
                        continue 'sets;
                    }
                    message = self.incoming.recv() => {
                        let Some(FinalityMessage { peer, data, message_id }) = message else { break 'sets };
                        match self.process(&router, &mut seen, &data, &mut house, repeat) {
                            Step::Done(verdict) => self.network.report(peer, message_id, verdict),
                            Step::Verify(work) => self.verify(&router, Job {
                                peer,
                                message_id,
                                set_id: set.set_id,
                                work,
                            }),
                        }
                    }
                    checked = self.verifier.checked.recv() => {
                        let Some(checked) = checked else {
                            tracing::error!(target: "grandpa", "the signature verification thread has stopped: GRANDPA stops");
                            break 'sets;
                        };
                        let (peer, message_id) = (checked.job.peer.clone(), checked.job.message_id.clone());
                        let verdict = self.on_checked(&router, checked);
                        self.network.report(peer, message_id, verdict);
                    }
                    imported = self.imports.recv() => {
                        match imported {
                            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                                router.lock().release_waiting(&client);
                            }
                            Err(broadcast::error::RecvError::Closed) => break 'sets,
                        }
                    }
                    changed = self.set_changed.changed() => {
                        if changed.is_err() {
                            break 'sets;
                        }
                        continue 'sets;
                    }
                    _ = tick.tick() => {
                        self.housekeeping(&router, &mut house, repeat);
                    }
                    changed = self.shutdown.changed() => {
                        // A dropped sender is a shutdown too (the node is going away).
                        if changed.is_err() || *self.shutdown.borrow() {
                            break 'sets;
                        }
                    }
                }
            }
        }
        tracing::debug!(target: "grandpa", "finality worker stopped");
    }

    fn housekeeping(
        &self,
        router: &Arc<Mutex<Router>>,
        house: &mut Housekeeping,
        repeat: Duration,
    ) {
        let mut router = router.lock();
        router.release_waiting(&self.shared.client);
        let now = Instant::now();
        // Behind: ask for a catch-up.
        if let Some(since) = router.behind_since.take() {
            if house
                .last_catch_up_request
                .is_none_or(|t| now.duration_since(t) >= repeat)
                && now.duration_since(since) < WAITING_TTL
            {
                house.last_catch_up_request = Some(now);
                tracing::debug!(target: "grandpa", "behind: asking for a catch-up from round {}", router.current_round);
                self.network.gossip(
                    GossipMessage::CatchUpRequest {
                        round: router.current_round,
                        set_id: router.set_id,
                    }
                    .encode(),
                );
            }
        }
        // Stuck: repeat the votes of the current and previous rounds.
        if now.duration_since(router.round_started) >= repeat
            && now.duration_since(house.last_rebroadcast) >= repeat
        {
            house.last_rebroadcast = now;
            let current = router.current_round;
            for round in [current.saturating_sub(1), current] {
                let Some(slot) = router.rounds.get(&round) else {
                    continue;
                };
                if slot.log.is_empty() {
                    continue;
                }
                house.nonce = house.nonce.wrapping_add(1);
                self.network.gossip(
                    GossipMessage::RoundVotes {
                        round,
                        set_id: router.set_id,
                        votes: slot.log.clone(),
                        nonce: house.nonce,
                    }
                    .encode(),
                );
            }
        }
    }

    /// Hands a message that passed the cheap checks to the verification thread; when its
    /// queue is full, the message is ignored (a stalled round's votes are repeated) and
    /// its votes count as new when they come again.
    fn verify(&self, router: &Arc<Mutex<Router>>, job: Job<N::Peer, N::MessageId>) {
        match self.verifier.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(job) | TrySendError::Closed(job)) => {
                tracing::debug!(target: "grandpa", "signature checks saturated: ignoring a message");
                router.lock().unchecked(&job.work);
                self.network
                    .report(job.peer, job.message_id, MessageVerdict::Ignore);
            }
        }
    }

    /// The verdict on a message whose signatures were checked; what is valid goes on to
    /// the voter.
    fn on_checked(
        &self,
        router: &Arc<Mutex<Router>>,
        checked: Checked<N::Peer, N::MessageId>,
    ) -> MessageVerdict {
        let client = &self.shared.client;
        let mut router = router.lock();
        let Checked { job, first_bad } = checked;
        if job.set_id != router.set_id {
            // Checked for a set that has ended meanwhile: of no use.
            return MessageVerdict::Ignore;
        }
        match job.work {
            Work::Votes {
                round,
                votes,
                forward,
            } => {
                // The votes before the first bad one are valid; the rest are not known.
                let valid = first_bad.unwrap_or(votes.len());
                for (i, vote) in votes.into_iter().enumerate() {
                    if i < valid {
                        router.accept_vote(client, round, vote);
                    } else {
                        router.forget_vote(round, &vote);
                    }
                }
                match first_bad {
                    Some(_) => MessageVerdict::Reject(Misbehavior::BadSignature),
                    None if forward => MessageVerdict::Accept,
                    // A `RoundVotes` is meant for direct peers: not forwarded.
                    None => MessageVerdict::Ignore,
                }
            }
            Work::Commit { round, commit } => match first_bad {
                Some(_) => MessageVerdict::Reject(Misbehavior::BadSignature),
                None => {
                    router.accept_commit(client, round, commit);
                    MessageVerdict::Accept
                }
            },
            Work::CatchUp { catch_up } => match first_bad {
                Some(_) => {
                    router.catch_up_checked(None);
                    MessageVerdict::Reject(Misbehavior::BadSignature)
                }
                None => {
                    router.catch_up_checked(Some(catch_up));
                    MessageVerdict::Ignore
                }
            },
        }
    }

    /// The cheap checks of a message, on this thread; see the module docs.
    fn process(
        &self,
        router: &Arc<Mutex<Router>>,
        seen: &mut LruMap<[u8; 32], ()>,
        data: &[u8],
        house: &mut Housekeeping,
        repeat: Duration,
    ) -> Step {
        use MessageVerdict::{Ignore, Reject};
        if data.len() > MAX_MESSAGE_SIZE {
            return Step::Done(Reject(Misbehavior::Malformed));
        }
        let digest = <sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(data).0;
        if seen.get(&digest).is_some() {
            return Step::Done(Ignore);
        }
        seen.insert(digest, ());
        let Ok(message) =
            GossipMessage::decode_all_with_depth_limit(DECODE_DEPTH_LIMIT, &mut &data[..])
        else {
            return Step::Done(Reject(Misbehavior::Malformed));
        };
        let client = &self.shared.client;
        let mut router = router.lock();
        let received = |n: u64| {
            if let Some(m) = &self.shared.metrics {
                m.votes.with_label_values(&["received"]).inc_by(n);
            }
        };
        // Messages of another set are ignored unchecked and cost nothing: of a past set,
        // they come from a voter late across a set change; of a later one, we are behind.
        match message {
            GossipMessage::Vote {
                round,
                set_id,
                message,
            } => {
                if set_id != router.set_id {
                    return Step::Done(Ignore);
                }
                received(1);
                match router.precheck_vote(round, &message) {
                    Ok(Precheck::New) => Step::Verify(Work::Votes {
                        round,
                        votes: vec![message],
                        forward: true,
                    }),
                    Ok(Precheck::Ahead) => Step::Done(Ignore),
                    Ok(Precheck::Known | Precheck::Stale) => Step::Done(MessageVerdict::NoNewVotes),
                    Err(m) => Step::Done(Reject(m)),
                }
            }
            GossipMessage::RoundVotes {
                round,
                set_id,
                votes,
                ..
            } => {
                if set_id != router.set_id {
                    return Step::Done(Ignore);
                }
                if votes.len() > max_round_votes(router.voters.len().get()) {
                    return Step::Done(Reject(Misbehavior::Malformed));
                }
                received(votes.len() as u64);
                let mut new = Vec::new();
                let mut ahead = false;
                for vote in votes {
                    match router.precheck_vote(round, &vote) {
                        Ok(Precheck::New) => new.push(vote),
                        Ok(Precheck::Ahead) => ahead = true,
                        Ok(Precheck::Known | Precheck::Stale) => {}
                        Err(m) => {
                            for vote in &new {
                                router.forget_vote(round, vote);
                            }
                            return Step::Done(Reject(m));
                        }
                    }
                }
                if !new.is_empty() {
                    Step::Verify(Work::Votes {
                        round,
                        votes: new,
                        forward: false,
                    })
                } else if ahead {
                    Step::Done(Ignore)
                } else {
                    Step::Done(MessageVerdict::NoNewVotes)
                }
            }
            GossipMessage::Commit {
                round,
                set_id,
                commit,
            } => {
                if set_id != router.set_id {
                    return Step::Done(Ignore);
                }
                match router.precheck_commit(client, round, &commit) {
                    Ok(true) => Step::Verify(Work::Commit { round, commit }),
                    Ok(false) => Step::Done(Ignore),
                    Err(m) => Step::Done(Reject(m)),
                }
            }
            GossipMessage::CatchUpRequest { round, set_id } => {
                if set_id != router.set_id {
                    return Step::Done(Ignore);
                }
                let now = Instant::now();
                let ahead = router.completed.as_ref().is_some_and(|c| c.round > round);
                if ahead
                    && house
                        .last_catch_up_answer
                        .is_none_or(|t| now.duration_since(t) >= repeat)
                {
                    if let Some(catch_up) = router.catch_up() {
                        house.last_catch_up_answer = Some(now);
                        tracing::debug!(target: "grandpa", "answering a catch-up request for round {round} with round {}", catch_up.round_number);
                        self.network
                            .gossip(GossipMessage::CatchUp { set_id, catch_up }.encode());
                    }
                }
                Step::Done(Ignore)
            }
            GossipMessage::CatchUp { set_id, catch_up } => {
                if set_id != router.set_id {
                    return Step::Done(Ignore);
                }
                match router.precheck_catch_up(client, &catch_up) {
                    Ok(true) => Step::Verify(Work::CatchUp { catch_up }),
                    Ok(false) => Step::Done(Ignore),
                    Err(m) => Step::Done(Reject(m)),
                }
            }
        }
    }
}
