//! Signature checks of finality messages from the network, on a thread of their own.
//!
//! The worker ([`crate::worker`]) first runs every cheap check on a message (decoding, set
//! id, round window, votes already seen, signers in the set, commit weight), so only votes
//! that would be new to the voter, commits of unfinalized blocks and catch-ups of later
//! rounds come here. Checking them on the voter's thread would let a peer that replays
//! valid messages stall the voter; here a flood of them only fills this thread's bounded
//! queue, and the worker ignores what does not fit.
//!
//! The thread ends when the worker drops its end of either channel.

use crate::{
    messages::{check_signature, CatchUp, Commit, SignedMessage},
    metrics::Metrics,
    Error,
};
use finality_grandpa::Message;
use sp_consensus_grandpa::{AuthorityId, AuthoritySignature};
use sp_core::H256;
use tokio::sync::mpsc;

/// Messages waiting for their signature checks (beyond these, the worker ignores them).
const QUEUE: usize = 256;

/// What a message asks to be checked.
pub(crate) enum Work {
    /// Votes of one round, new to the voter: one `Vote` (`forward`) or the new votes of a
    /// `RoundVotes`.
    Votes {
        round: u64,
        votes: Vec<SignedMessage>,
        forward: bool,
    },
    /// A commit of a block above the finalized one, whose signers carry the threshold.
    Commit { round: u64, commit: Commit },
    /// A catch-up to a round later than the voter's.
    CatchUp { catch_up: CatchUp },
}

impl Work {
    /// Every signature the work carries, in order: (message, signer, signature, round).
    fn signatures(&self) -> Vec<(Message<H256, u32>, &AuthorityId, &AuthoritySignature, u64)> {
        match self {
            Work::Votes { round, votes, .. } => votes
                .iter()
                .map(|v| (v.message.clone(), &v.id, &v.signature, *round))
                .collect(),
            Work::Commit { round, commit } => commit
                .precommits
                .iter()
                .map(|p| {
                    (
                        Message::Precommit(p.precommit.clone()),
                        &p.id,
                        &p.signature,
                        *round,
                    )
                })
                .collect(),
            Work::CatchUp { catch_up } => {
                let round = catch_up.round_number;
                let prevotes = catch_up.prevotes.iter().map(|p| {
                    (
                        Message::Prevote(p.prevote.clone()),
                        &p.id,
                        &p.signature,
                        round,
                    )
                });
                let precommits = catch_up.precommits.iter().map(|p| {
                    (
                        Message::Precommit(p.precommit.clone()),
                        &p.id,
                        &p.signature,
                        round,
                    )
                });
                prevotes.chain(precommits).collect()
            }
        }
    }

    /// The index of the first invalid signature, if any. Stops there: a sender of one bad
    /// signature gets no more checks out of its message.
    fn first_bad(&self, set_id: u64, metrics: Option<&Metrics>) -> Option<usize> {
        self.signatures()
            .into_iter()
            .position(|(message, id, signature, round)| {
                if let Some(m) = metrics {
                    m.signature_checks.inc();
                }
                !check_signature(&message, id, signature, round, set_id)
            })
    }
}

/// A message handed to the verification thread, with what its verdict needs.
pub(crate) struct Job<P, M> {
    /// The peer to report.
    pub peer: P,
    /// The gossip message to report.
    pub message_id: M,
    /// The set whose voters signed it.
    pub set_id: u64,
    pub work: Work,
}

/// A job back from the verification thread.
pub(crate) struct Checked<P, M> {
    pub job: Job<P, M>,
    /// The index of the first invalid signature (in [`Work`]'s order), if any; the ones
    /// before it are valid, the ones after it unchecked.
    pub first_bad: Option<usize>,
}

/// The worker's ends of the verification thread's channels.
pub(crate) struct Verifier<P, M> {
    pub jobs: mpsc::Sender<Job<P, M>>,
    pub checked: mpsc::Receiver<Checked<P, M>>,
}

impl<P: Send + 'static, M: Send + 'static> Verifier<P, M> {
    /// Starts the verification thread.
    pub(crate) fn spawn(metrics: Option<Metrics>) -> Result<Self, Error> {
        let (jobs_tx, mut jobs) = mpsc::channel::<Job<P, M>>(QUEUE);
        let (checked, checked_rx) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("grandpa-verify".into())
            .spawn(move || {
                while let Some(job) = jobs.blocking_recv() {
                    let first_bad = job.work.first_bad(job.set_id, metrics.as_ref());
                    if checked.blocking_send(Checked { job, first_bad }).is_err() {
                        break;
                    }
                }
            })
            .map_err(Error::Thread)?;
        Ok(Self {
            jobs: jobs_tx,
            checked: checked_rx,
        })
    }
}
