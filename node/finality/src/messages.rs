//! The finality gossip protocol: what travels on the network's finality topic.
//!
//! Every message is one SCALE-encoded [`GossipMessage`] of at most [`MAX_MESSAGE_SIZE`]
//! bytes. Votes are finality-grandpa's `SignedMessage`s; a signature is ed25519 (key type
//! `gran`) over `(message, round, set_id).encode()` (`sp_consensus_grandpa`'s localized
//! payload), so a vote is only valid in one round of one set.
//!
//! | index | message | sent | receiver does |
//! |---|---|---|---|
//! | 0 | `Vote { round, set_id, message }` | each vote a voter casts | checks signer and signature, feeds the round |
//! | 1 | `Commit { round, set_id, commit }` | when a round finalizes a block (random delay, once per round) | checks every precommit, finalizes through the voter |
//! | 2 | `CatchUpRequest { round, set_id }` | by a node that sees votes more than 2 rounds ahead of it (every 5 s at most) | a node that completed a later round answers with a `CatchUp` (every 5 s at most) |
//! | 3 | `CatchUp { set_id, catch_up }` | answer to a request: the prevotes and precommits that completed a round | checks every vote, the voter jumps to the next round |
//! | 4 | `RoundVotes { round, set_id, votes, nonce }` | when a node's round has not moved for a while: every vote it has of that round | each vote as if received alone |
//!
//! `RoundVotes` repairs lost votes (a voter that restarted, a healed partition): gossip
//! delivers each message once, and the nonce keeps a rebroadcast from being deduplicated
//! as a copy of the previous one. The nonce also makes a replay of old votes a new message,
//! so a receiver judges votes, not messages: a vote it has seen (by digest), or of a round
//! outside its window, is dropped before its signature is checked, and a `Vote` or
//! `RoundVotes` without a new vote costs its sender reputation.

use codec::{Decode, Encode};
use finality_grandpa::Message;
use sp_consensus_grandpa::{AuthorityId, AuthoritySignature};
use sp_core::H256;

/// A signed vote.
pub type SignedMessage =
    finality_grandpa::SignedMessage<H256, u32, AuthoritySignature, AuthorityId>;
/// A commit: a block and the precommits that finalize it.
pub type Commit = finality_grandpa::Commit<H256, u32, AuthoritySignature, AuthorityId>;
/// The votes that completed a round.
pub type CatchUp = finality_grandpa::CatchUp<H256, u32, AuthoritySignature, AuthorityId>;

/// Largest finality message (the network's finality topic limit).
pub const MAX_MESSAGE_SIZE: usize = 1024 * 1024;

/// A message on the finality topic.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum GossipMessage {
    /// One vote (prevote, precommit or primary proposal) cast by a voter.
    #[codec(index = 0)]
    Vote {
        /// The round it was cast in; part of the signed payload.
        round: u64,
        /// The authority set it was cast in; part of the signed payload.
        set_id: u64,
        /// The vote, its signature and its signer.
        message: SignedMessage,
    },
    /// The precommits that finalize a block in a round.
    #[codec(index = 1)]
    Commit {
        /// The round whose precommits these are.
        round: u64,
        /// The set whose voters signed them.
        set_id: u64,
        /// The finalized block and its precommits.
        commit: Commit,
    },
    /// Asks peers that completed a later round for its votes.
    #[codec(index = 2)]
    CatchUpRequest {
        /// The requester's current round; only a node that completed a later round
        /// answers.
        round: u64,
        /// The requester's set; a node of another set ignores the request.
        set_id: u64,
    },
    /// The answer to a [`GossipMessage::CatchUpRequest`].
    #[codec(index = 3)]
    CatchUp {
        /// The set whose voters signed the votes.
        set_id: u64,
        /// The completed round's number, prevotes and precommits, and its base block.
        catch_up: CatchUp,
    },
    /// Every vote a node has of one round, re-gossiped when its round has not moved.
    #[codec(index = 4)]
    RoundVotes {
        /// The round the votes belong to.
        round: u64,
        /// The set whose voters signed them.
        set_id: u64,
        /// The votes, each checked as if received alone.
        votes: Vec<SignedMessage>,
        /// Not signed; only makes each rebroadcast a distinct gossip message.
        nonce: u64,
    },
}

/// Checks a vote's signature for a round of a set (sp-consensus-grandpa's localized
/// payload), natively, without a runtime.
pub fn check_signature(
    message: &Message<H256, u32>,
    id: &AuthorityId,
    signature: &AuthoritySignature,
    round: u64,
    set_id: u64,
) -> bool {
    let payload = sp_consensus_grandpa::localized_payload(round, set_id, message);
    let public: &sp_core::ed25519::Public = id.as_ref();
    let signature: &sp_core::ed25519::Signature = signature.as_ref();
    <sp_core::ed25519::Pair as sp_core::Pair>::verify(signature, &payload, public)
}

/// Which stage a vote belongs to (an authority casts at most one of each per round).
pub(crate) fn stage(message: &Message<H256, u32>) -> u8 {
    match message {
        Message::Prevote(_) => 0,
        Message::Precommit(_) => 1,
        Message::PrimaryPropose(_) => 2,
    }
}
