//! finality-grandpa's `Environment` and `Chain` over our client, keystore and gossip.
//!
//! The voter runs on the finality thread (see [`crate::worker`]), so the client calls made
//! here (headers, tree routes, finalization) block that thread only.

use crate::{
    authorities::{self, Outcome},
    justification,
    messages::{Commit, GossipMessage, SignedMessage},
    metrics::Metrics,
    worker::Router,
    EquivocationReporter, Error, FinalityNetwork,
};
use codec::{Decode, Encode};
use echonet_client::Client;
use finality_grandpa::{
    round::State as RoundState, voter::RoundData, Chain, Equivocation, HistoricalVotes, Message,
    Precommit, Prevote, PrimaryPropose,
};
use futures::{Sink, Stream, StreamExt};
use parking_lot::Mutex;
use sp_consensus_grandpa::{AuthorityId, AuthoritySignature};
use sp_core::H256;
use sp_keystore::KeystorePtr;
use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

/// Aux key of the persisted [`VoterProgress`].
pub(crate) const VOTER_PROGRESS_KEY: &[u8] = b"grandpa:voter";
/// Own votes are kept for at most this many rounds past the last completed one.
const MAX_OWN_VOTE_ROUNDS: usize = 8;

/// State shared by the voter, the message router and justification imports.
pub(crate) struct Shared {
    pub client: Arc<Client>,
    /// Locked for the whole of a finalization (see [`authorities::finalize`]).
    pub set: Mutex<authorities::AuthoritySet>,
    /// Bumped to the new set id when a justification import changes the set.
    pub set_changed: tokio::sync::watch::Sender<u64>,
    pub metrics: Option<Metrics>,
    pub reporter: Option<Arc<dyn EquivocationReporter>>,
}

impl Shared {
    /// Finalizes with an already verified justification; tells the voter when the set
    /// changed.
    pub(crate) fn finalize(
        &self,
        hash: H256,
        number: u32,
        justification: Vec<u8>,
    ) -> Result<Outcome, Error> {
        let mut set = self.set.lock();
        let outcome = authorities::finalize(&self.client, &mut set, hash, number, justification)?;
        match &outcome {
            Outcome::SetChanged(id) => {
                self.set_changed.send_replace(*id);
            }
            Outcome::Finalized => {
                tracing::debug!(target: "grandpa", "finalized #{number} ({hash:?})");
            }
            Outcome::AlreadyFinal => {}
        }
        if let Some(m) = &self.metrics {
            m.finalized_height
                .set(self.client.info().finalized_number as u64);
        }
        Ok(outcome)
    }
}

/// The votes this node cast in one round, persisted before they are sent: after a restart
/// the node sends the same votes again instead of different ones (which would be an
/// equivocation).
#[derive(Debug, Clone, Default, Encode, Decode)]
pub(crate) struct OwnVotes {
    pub propose: Option<PrimaryPropose<H256, u32>>,
    pub prevote: Option<Prevote<H256, u32>>,
    pub precommit: Option<Precommit<H256, u32>>,
}

/// The last completed round and its votes: where a restarted voter resumes, and what a
/// catch-up answer carries.
#[derive(Debug, Clone, Encode, Decode)]
pub(crate) struct CompletedRound {
    pub round: u64,
    pub base: (H256, u32),
    pub votes: Vec<SignedMessage>,
}

/// The voter's persisted progress in the current set.
#[derive(Debug, Clone, Default, Encode, Decode)]
pub(crate) struct VoterProgress {
    pub set_id: u64,
    pub completed: Option<CompletedRound>,
    pub own_votes: Vec<(u64, OwnVotes)>,
}

impl VoterProgress {
    /// The stored progress of `set_id`, or a fresh one if none is stored for that set. A
    /// stored record that does not decode is an error, not a fresh start: it may hold votes
    /// this node must not contradict.
    pub(crate) fn load(client: &Client, set_id: u64) -> Result<Self, Error> {
        let stored = match client.aux_get(VOTER_PROGRESS_KEY)? {
            Some(raw) => Some(
                VoterProgress::decode(&mut &raw[..]).map_err(|e| Error::Decode {
                    what: "the voter's stored progress and own votes",
                    reason: e.to_string(),
                })?,
            ),
            None => None,
        };
        Ok(match stored {
            Some(p) if p.set_id == set_id => p,
            _ => VoterProgress {
                set_id,
                ..Default::default()
            },
        })
    }

    /// Stores the progress; a crash may lose it (the voter then resumes from an earlier
    /// completed round, whose own votes the same record still holds).
    fn save(&self, client: &Client) -> Result<(), Error> {
        client.aux_put(&[(VOTER_PROGRESS_KEY, &self.encode())])?;
        Ok(())
    }

    /// Stores the progress and waits until it is on disk (write-ahead log synced): for a
    /// new own vote, which is broadcast right after. A vote lost to a power cut after its
    /// broadcast could be contradicted by the restarted voter, an equivocation. The sync
    /// also makes every earlier write durable, as RocksDB's log is sequential.
    fn save_synced(&self, client: &Client) -> Result<(), Error> {
        client.aux_put_synced(&[(VOTER_PROGRESS_KEY, &self.encode())])?;
        Ok(())
    }

    fn own(&mut self, round: u64) -> &mut OwnVotes {
        if let Some(i) = self.own_votes.iter().position(|(r, _)| *r == round) {
            return &mut self.own_votes[i].1;
        }
        self.own_votes.push((round, OwnVotes::default()));
        self.own_votes.sort_by_key(|(r, _)| *r);
        while self.own_votes.len() > MAX_OWN_VOTE_ROUNDS {
            self.own_votes.remove(0);
        }
        let i = self
            .own_votes
            .iter()
            .position(|(r, _)| *r == round)
            .unwrap_or(self.own_votes.len() - 1);
        &mut self.own_votes[i].1
    }

    pub(crate) fn own_votes(&self, round: u64) -> Option<&OwnVotes> {
        self.own_votes
            .iter()
            .find(|(r, _)| *r == round)
            .map(|(_, v)| v)
    }
}

/// Timing of rounds.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// The gossip time estimate `T`: prevotes are cast at round start + 2T (or when the
    /// round is completable), precommits at + 4T.
    pub gossip_duration: Duration,
}

/// The environment of one voter run (one authority set).
pub(crate) struct Environment<N: FinalityNetwork> {
    pub shared: Arc<Shared>,
    pub set_id: u64,
    pub local_id: Option<AuthorityId>,
    pub keystore: KeystorePtr,
    pub network: Arc<N>,
    pub router: Arc<Mutex<Router>>,
    pub progress: Arc<Mutex<VoterProgress>>,
    pub timing: Timing,
    /// Test-only: also sign a conflicting prevote each round (see `GrandpaParams`).
    pub equivocate: bool,
}

type Timer = Pin<Box<dyn std::future::Future<Output = Result<(), Error>> + Send>>;

fn timer(after: Duration) -> Timer {
    Box::pin(async move {
        tokio::time::sleep(after).await;
        Ok(())
    })
}

impl<N: FinalityNetwork> Chain<H256, u32> for Environment<N> {
    fn ancestry(&self, base: H256, block: H256) -> Result<Vec<H256>, finality_grandpa::Error> {
        ancestry(&self.shared.client, base, block)
    }
}

/// The hashes strictly between `base` and `block`, from `block`'s parent down, if `block`
/// descends from `base`.
pub(crate) fn ancestry(
    client: &Client,
    base: H256,
    block: H256,
) -> Result<Vec<H256>, finality_grandpa::Error> {
    if base == block {
        return Err(finality_grandpa::Error::NotDescendent);
    }
    let header = |h: H256| {
        client
            .header(h)
            .ok()
            .flatten()
            .ok_or(finality_grandpa::Error::NotDescendent)
    };
    let base_number = header(base)?.number;
    let mut current = header(block)?;
    let mut route = Vec::new();
    while current.number > base_number.saturating_add(1) {
        route.push(current.parent_hash);
        current = header(current.parent_hash)?;
    }
    if current.number != base_number.saturating_add(1) || current.parent_hash != base {
        return Err(finality_grandpa::Error::NotDescendent);
    }
    Ok(route)
}

impl<N: FinalityNetwork> Environment<N> {
    /// The best block containing `base`, limited to the effective block of a pending
    /// authority set change on its chain.
    fn best_chain(&self, base: H256) -> Result<Option<(H256, u32)>, Error> {
        let client = &self.shared.client;
        let Some(base_header) = client.header(base)? else {
            return Ok(None);
        };
        let info = client.info();
        let mut head = None;
        for (number, hash) in
            std::iter::once((info.best_number, info.best_hash)).chain(client.leaves())
        {
            if number < base_header.number {
                continue;
            }
            if hash == base || ancestry(client, base, hash).is_ok() {
                head = Some(hash);
                break;
            }
        }
        let Some(head) = head else {
            // Nothing better known: the base itself.
            return Ok(Some((base, base_header.number)));
        };
        let mut target = client
            .header(head)?
            .ok_or(echonet_client::Error::UnknownBlock(head))?;
        let limit = {
            let set = self.shared.set.lock();
            authorities::vote_limit(client, &set, &target)?
        };
        if let Some(limit) = limit {
            let limit = limit.max(base_header.number);
            while target.number > limit {
                target = client
                    .header(target.parent_hash)?
                    .ok_or(echonet_client::Error::UnknownBlock(target.parent_hash))?;
            }
        }
        Ok(Some((target.hash(), target.number)))
    }

    fn note_own_vote(
        &self,
        round: u64,
        f: impl FnOnce(&mut OwnVotes) -> bool,
    ) -> Result<(), Error> {
        if self.local_id.is_none() {
            return Ok(());
        }
        // finality-grandpa calls this before it hands the vote to `OutgoingVotes`, which
        // signs and broadcasts it: the vote is on disk before anyone can see it.
        let mut progress = self.progress.lock();
        if f(progress.own(round)) {
            progress.save_synced(&self.shared.client)?;
        }
        Ok(())
    }

    fn report_equivocation(&self, equivocation: sp_consensus_grandpa::Equivocation<H256, u32>) {
        let offender = equivocation.offender().clone();
        tracing::warn!(
            target: "grandpa",
            "⚠️ Detected a GRANDPA equivocation by {offender} in round {} of set {}",
            equivocation.round_number(),
            self.set_id
        );
        if let Some(m) = &self.shared.metrics {
            m.equivocations.inc();
        }
        let proof = sp_consensus_grandpa::EquivocationProof::new(self.set_id, equivocation);
        if let Some(reporter) = &self.shared.reporter {
            reporter.report_grandpa_equivocation(proof);
        }
    }
}

impl<N: FinalityNetwork> finality_grandpa::voter::Environment<H256, u32> for Environment<N> {
    type Timer = Timer;
    type BestChain = futures::future::Ready<Result<Option<(H256, u32)>, Error>>;
    type Id = AuthorityId;
    type Signature = AuthoritySignature;
    type In = Pin<Box<dyn Stream<Item = Result<SignedMessage, Error>> + Send>>;
    type Out = Pin<Box<dyn Sink<Message<H256, u32>, Error = Error> + Send>>;
    type Error = Error;

    fn best_chain_containing(&self, base: H256) -> Self::BestChain {
        futures::future::ready(self.best_chain(base))
    }

    fn round_data(&self, round: u64) -> RoundData<AuthorityId, Timer, Self::In, Self::Out> {
        let incoming = self.router.lock().register_round(round);
        if let Some(m) = &self.shared.metrics {
            m.round.set(round);
        }
        let t = self.timing.gossip_duration;
        RoundData {
            voter_id: self.local_id.clone(),
            prevote_timer: timer(t * 2),
            precommit_timer: timer(t * 4),
            incoming: Box::pin(incoming.map(Ok)),
            outgoing: Box::pin(OutgoingVotes {
                round,
                set_id: self.set_id,
                local_id: self.local_id.clone(),
                keystore: self.keystore.clone(),
                network: self.network.clone(),
                router: self.router.clone(),
                progress: self.progress.clone(),
                shared: self.shared.clone(),
                equivocate: self.equivocate,
            }),
        }
    }

    fn round_commit_timer(&self) -> Timer {
        // A random delay, so that usually one voter's commit goes out and the others see
        // it before their own timer fires.
        let max = (self.timing.gossip_duration * 2).as_millis().max(1) as u64;
        timer(Duration::from_millis(rand::random::<u64>() % max))
    }

    fn proposed(&self, round: u64, propose: PrimaryPropose<H256, u32>) -> Result<(), Error> {
        self.note_own_vote(round, |own| {
            own.propose.is_none() && {
                own.propose = Some(propose);
                true
            }
        })
    }

    fn prevoted(&self, round: u64, prevote: Prevote<H256, u32>) -> Result<(), Error> {
        self.note_own_vote(round, |own| {
            own.prevote.is_none() && {
                own.prevote = Some(prevote);
                true
            }
        })
    }

    fn precommitted(&self, round: u64, precommit: Precommit<H256, u32>) -> Result<(), Error> {
        self.note_own_vote(round, |own| {
            own.precommit.is_none() && {
                own.precommit = Some(precommit);
                true
            }
        })
    }

    fn completed(
        &self,
        round: u64,
        _state: RoundState<H256, u32>,
        base: (H256, u32),
        votes: &HistoricalVotes<H256, u32, AuthoritySignature, AuthorityId>,
    ) -> Result<(), Error> {
        tracing::debug!(target: "grandpa", "round {round} of set {} completed", self.set_id);
        let completed = CompletedRound {
            round,
            base,
            votes: votes.seen().to_vec(),
        };
        self.router.lock().note_completed(completed.clone());
        let mut progress = self.progress.lock();
        if progress
            .completed
            .as_ref()
            .is_some_and(|c| c.round >= round)
        {
            return Ok(());
        }
        progress.completed = Some(completed);
        progress.own_votes.retain(|(r, _)| *r > round);
        progress.save(&self.shared.client)
    }

    fn concluded(
        &self,
        _round: u64,
        _state: RoundState<H256, u32>,
        _base: (H256, u32),
        _votes: &HistoricalVotes<H256, u32, AuthoritySignature, AuthorityId>,
    ) -> Result<(), Error> {
        Ok(())
    }

    fn finalize_block(
        &self,
        hash: H256,
        number: u32,
        round: u64,
        commit: finality_grandpa::Commit<H256, u32, AuthoritySignature, AuthorityId>,
    ) -> Result<(), Error> {
        let client = &self.shared.client;
        if number <= client.info().finalized_number {
            return Ok(());
        }
        let justification = justification::from_commit(client, round, commit)?;
        match self.shared.finalize(hash, number, justification.encode())? {
            Outcome::SetChanged(_) => Err(Error::AuthoritySetChanged),
            Outcome::Finalized => {
                tracing::info!(
                    target: "grandpa",
                    "✨ Finalized #{number} ({hash:?}) in round {round} of set {}",
                    self.set_id
                );
                Ok(())
            }
            Outcome::AlreadyFinal => Ok(()),
        }
    }

    fn prevote_equivocation(
        &self,
        _round: u64,
        equivocation: Equivocation<AuthorityId, Prevote<H256, u32>, AuthoritySignature>,
    ) {
        self.report_equivocation(sp_consensus_grandpa::Equivocation::Prevote(equivocation));
    }

    fn precommit_equivocation(
        &self,
        _round: u64,
        equivocation: Equivocation<AuthorityId, Precommit<H256, u32>, AuthoritySignature>,
    ) {
        self.report_equivocation(sp_consensus_grandpa::Equivocation::Precommit(equivocation));
    }
}

/// The voter's outgoing votes of one round: substituted by the vote persisted for the
/// round if there is one, signed, gossiped, and looped back into the round.
struct OutgoingVotes<N: FinalityNetwork> {
    round: u64,
    set_id: u64,
    local_id: Option<AuthorityId>,
    keystore: KeystorePtr,
    network: Arc<N>,
    router: Arc<Mutex<Router>>,
    progress: Arc<Mutex<VoterProgress>>,
    shared: Arc<Shared>,
    equivocate: bool,
}

impl<N: FinalityNetwork> OutgoingVotes<N> {
    fn sign(&self, message: Message<H256, u32>) -> Option<SignedMessage> {
        let id = self.local_id.clone()?;
        let signed = sp_consensus_grandpa::sign_message(
            self.keystore.clone(),
            message,
            id,
            self.round,
            self.set_id,
        );
        if signed.is_none() {
            tracing::warn!(target: "grandpa", "cannot sign a vote: the GRANDPA key is not in the keystore");
        }
        signed
    }

    fn send(&self, signed: SignedMessage) {
        let data = GossipMessage::Vote {
            round: self.round,
            set_id: self.set_id,
            message: signed,
        }
        .encode();
        self.network.gossip(data);
        if let Some(m) = &self.shared.metrics {
            m.votes.with_label_values(&["sent"]).inc();
        }
    }

    /// Test-only equivocation: a second prevote, for the target's parent.
    fn equivocating_prevote(&self, prevote: &Prevote<H256, u32>) -> Option<SignedMessage> {
        let header = self.shared.client.header(prevote.target_hash).ok()??;
        if header.number == 0 {
            return None;
        }
        self.sign(Message::Prevote(Prevote::new(
            header.parent_hash,
            header.number - 1,
        )))
    }
}

impl<N: FinalityNetwork> Sink<Message<H256, u32>> for OutgoingVotes<N> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(self: Pin<&mut Self>, mut message: Message<H256, u32>) -> Result<(), Error> {
        if self.local_id.is_none() {
            return Ok(());
        }
        // After a restart, repeat what we said in this round rather than contradict it.
        if let Some(own) = self.progress.lock().own_votes(self.round) {
            match &mut message {
                Message::PrimaryPropose(v) => {
                    if let Some(p) = &own.propose {
                        *v = p.clone();
                    }
                }
                Message::Prevote(v) => {
                    if let Some(p) = &own.prevote {
                        *v = p.clone();
                    }
                }
                Message::Precommit(v) => {
                    if let Some(p) = &own.precommit {
                        *v = p.clone();
                    }
                }
            }
        }
        let equivocation = match (&message, self.equivocate) {
            (Message::Prevote(p), true) => self.equivocating_prevote(p),
            _ => None,
        };
        let Some(signed) = self.sign(message) else {
            return Ok(());
        };
        self.send(signed.clone());
        self.router.lock().deliver_local(self.round, signed);
        if let Some(second) = equivocation {
            tracing::warn!(target: "grandpa", "equivocating on purpose in round {} (test mode)", self.round);
            self.send(second);
        }
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }
}

/// The voter's outgoing commits: gossiped.
pub(crate) struct OutgoingCommits<N: FinalityNetwork> {
    pub set_id: u64,
    pub network: Arc<N>,
}

impl<N: FinalityNetwork>
    Sink<finality_grandpa::voter::CommunicationOut<H256, u32, AuthoritySignature, AuthorityId>>
    for OutgoingCommits<N>
{
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(
        self: Pin<&mut Self>,
        item: finality_grandpa::voter::CommunicationOut<H256, u32, AuthoritySignature, AuthorityId>,
    ) -> Result<(), Error> {
        let finality_grandpa::voter::CommunicationOut::Commit(round, commit) = item;
        let commit: Commit = commit;
        tracing::debug!(
            target: "grandpa",
            "gossiping the commit of round {round} for #{}",
            commit.target_number
        );
        self.network.gossip(
            GossipMessage::Commit {
                round,
                set_id: self.set_id,
                commit,
            }
            .encode(),
        );
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }
}
