//! GRANDPA justifications: the commit that finalized a block, with the headers that link
//! its precommits to the committed block.
//!
//! The format is `sp_consensus_grandpa::GrandpaJustification<Header>` (SCALE):
//! `{ round: u64, commit: { target_hash, target_number, precommits: [{ precommit, signature,
//! id }] }, votes_ancestries: [Header] }`, the same bytes a Substrate node stores under
//! engine id `FRNK`. Precommit signatures are ed25519 over
//! `(Message::Precommit(precommit), round, set_id).encode()`.

use crate::{
    authorities::AuthoritySet,
    messages::{check_signature, Commit},
};
use codec::{DecodeLimit, Encode};
use echonet_client::Client;
use echonet_runtime::Header;
use finality_grandpa::{voter_set::VoterSet, Chain, Message};
use sp_consensus_grandpa::{AuthorityId, GrandpaJustification};
use sp_core::H256;
use std::collections::{HashMap, HashSet};

/// A justification as stored and served.
pub type Justification = GrandpaJustification<Header>;

/// Largest encoded justification accepted (the network's justification response limit).
pub const MAX_JUSTIFICATION_SIZE: usize = 1024 * 1024;
/// Most ancestry headers a justification may carry. Honest voters precommit to the commit
/// target or a few blocks past it; this leaves room for a long stall.
pub const MAX_VOTES_ANCESTRIES: usize = 4096;
/// Decoding depth limit for messages and justifications (they nest a few levels).
pub(crate) const DECODE_DEPTH_LIMIT: u32 = 32;

/// Why a justification is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JustificationError {
    /// The encoding is longer than [`MAX_JUSTIFICATION_SIZE`]; it was not decoded.
    #[error("justification of {size} bytes exceeds {MAX_JUSTIFICATION_SIZE}")]
    TooLarge {
        /// Its length in bytes.
        size: usize,
    },
    /// Not a SCALE `GrandpaJustification`, nested deeper than the decoder allows, or with
    /// bytes left over.
    #[error("undecodable justification: {0}")]
    Undecodable(String),
    /// The commit finalizes another block than the one it was offered for.
    #[error("justification commits to {got:?} (#{got_number}), not the block {expected:?} (#{expected_number})")]
    WrongTarget {
        /// The block the justification was offered for.
        expected: H256,
        /// Its number.
        expected_number: u32,
        /// The commit's target.
        got: H256,
        /// The commit's target number.
        got_number: u32,
    },
    /// More precommits (the count given) than twice the set's size: even with every voter
    /// equivocating once there cannot be that many.
    #[error("justification carries {0} precommits, more than twice the authorities")]
    TooManyPrecommits(usize),
    /// More ancestry headers (the count given) than [`MAX_VOTES_ANCESTRIES`].
    #[error("justification carries {0} ancestry headers, more than {MAX_VOTES_ANCESTRIES}")]
    TooManyAncestries(usize),
    /// A precommit's signer is not in the authority set whose id is given: a justification
    /// of another set, or forged.
    #[error("precommit signed by {0}, which is not an authority of set {1}")]
    NotAVoter(AuthorityId, u64),
    /// A precommit's ed25519 signature does not verify for the round and set id given.
    #[error("bad signature on the precommit of {0} for set {1}")]
    BadSignature(AuthorityId, u64),
    /// A precommit's target cannot be linked to the committed block through the
    /// justification's ancestry headers.
    #[error("a precommit targets {0:?}, which does not descend from the committed block through the ancestry headers")]
    PrecommitNotDescendant(H256),
    /// An ancestry header that no precommit needs: padding, refused so that a justification
    /// cannot carry arbitrary data.
    #[error("ancestry header {0:?} is not used by any precommit")]
    UnusedAncestry(H256),
    /// The valid precommits for the committed block (or its descendants) weigh less than
    /// the supermajority of the set.
    #[error("the precommits do not reach the 2/3+1 threshold for the committed block")]
    NotEnoughVotes,
    /// The authority set to verify against is empty, so nothing can be verified.
    #[error("the authority set has no voters")]
    EmptySet,
    /// The block lies past the effective block of the earliest change pending on its chain
    /// (the hand-off): the current set's mandate ends there, and the next set's starts only
    /// once the hand-off block itself is finalized. Signed by the current set, it is proof
    /// that its signers voted past their mandate; signed by the next set, it came before
    /// the hand-off's own justification, which must be imported first.
    #[error(
        "justification of #{number} lies past #{hand_off}, where set {set_id} hands over to \
         the next set: the justification of #{hand_off} must be imported first"
    )]
    PastHandOff {
        /// The number of the block the justification is for.
        number: u32,
        /// The effective block of the earliest pending change on its chain.
        hand_off: u32,
        /// The current set, whose mandate ends at `hand_off`.
        set_id: u64,
    },
}

/// The ancestry headers of a justification as a [`Chain`].
struct AncestryChain {
    headers: HashMap<H256, Header>,
}

impl Chain<H256, u32> for AncestryChain {
    fn ancestry(&self, base: H256, block: H256) -> Result<Vec<H256>, finality_grandpa::Error> {
        let mut route = Vec::new();
        let mut current = block;
        while current != base {
            let header = self
                .headers
                .get(&current)
                .ok_or(finality_grandpa::Error::NotDescendent)?;
            current = header.parent_hash;
            route.push(current);
            if route.len() > self.headers.len() {
                // A cycle cannot happen with real hashes; stay bounded anyway.
                return Err(finality_grandpa::Error::NotDescendent);
            }
        }
        route.pop();
        Ok(route)
    }
}

/// The voter set of an authority set.
pub(crate) fn voter_set(set: &AuthoritySet) -> Option<VoterSet<AuthorityId>> {
    VoterSet::new(set.authorities.iter().cloned())
}

/// Checks that `encoded` justifies block `hash` (#`number`) for the authority set `set`:
/// size and decoding, the target, every precommit's signer (in the set) and signature (for
/// the set's id), that every precommit targets a descendant of the block through the
/// ancestry headers (each of which is used), and that the precommits reach the 2/3+1
/// threshold by weight for the block. Returns the decoded justification.
pub fn verify_justification(
    set: &AuthoritySet,
    hash: H256,
    number: u32,
    encoded: &[u8],
) -> Result<Justification, JustificationError> {
    if encoded.len() > MAX_JUSTIFICATION_SIZE {
        return Err(JustificationError::TooLarge {
            size: encoded.len(),
        });
    }
    let justification =
        Justification::decode_all_with_depth_limit(DECODE_DEPTH_LIMIT, &mut &encoded[..])
            .map_err(|e| JustificationError::Undecodable(e.to_string()))?;
    let commit = &justification.commit;
    if commit.target_hash != hash || commit.target_number != number {
        return Err(JustificationError::WrongTarget {
            expected: hash,
            expected_number: number,
            got: commit.target_hash,
            got_number: commit.target_number,
        });
    }
    let voters = voter_set(set).ok_or(JustificationError::EmptySet)?;
    if commit.precommits.len() > 2 * voters.len().get() {
        return Err(JustificationError::TooManyPrecommits(
            commit.precommits.len(),
        ));
    }
    if justification.votes_ancestries.len() > MAX_VOTES_ANCESTRIES {
        return Err(JustificationError::TooManyAncestries(
            justification.votes_ancestries.len(),
        ));
    }
    for signed in &commit.precommits {
        if !voters.contains(&signed.id) {
            return Err(JustificationError::NotAVoter(signed.id.clone(), set.set_id));
        }
        let message = Message::Precommit(signed.precommit.clone());
        if !check_signature(
            &message,
            &signed.id,
            &signed.signature,
            justification.round,
            set.set_id,
        ) {
            return Err(JustificationError::BadSignature(
                signed.id.clone(),
                set.set_id,
            ));
        }
    }
    let chain = AncestryChain {
        headers: justification
            .votes_ancestries
            .iter()
            .map(|h| (h.hash(), h.clone()))
            .collect(),
    };
    let mut used = HashSet::new();
    for signed in &commit.precommits {
        let target = signed.precommit.target_hash;
        if target == hash {
            continue;
        }
        let route = chain
            .ancestry(hash, target)
            .map_err(|_| JustificationError::PrecommitNotDescendant(target))?;
        used.insert(target);
        used.extend(route);
    }
    if let Some(unused) = chain.headers.keys().find(|h| !used.contains(*h)) {
        return Err(JustificationError::UnusedAncestry(*unused));
    }
    let result = finality_grandpa::validate_commit(commit, &voters, &chain)
        .map_err(|_| JustificationError::NotEnoughVotes)?;
    if !result.is_valid() {
        return Err(JustificationError::NotEnoughVotes);
    }
    Ok(justification)
}

/// Builds the justification of a commit from the local chain: the headers from each
/// precommit's target down to (not including) the committed block.
pub(crate) fn from_commit(
    client: &Client,
    round: u64,
    commit: Commit,
) -> Result<Justification, crate::Error> {
    let mut seen = HashSet::new();
    let mut ancestries = Vec::new();
    for signed in &commit.precommits {
        let mut current = signed.precommit.target_hash;
        while current != commit.target_hash && seen.insert(current) {
            let header = client
                .header(current)?
                .ok_or(echonet_client::Error::UnknownBlock(current))?;
            if header.number <= commit.target_number || ancestries.len() >= MAX_VOTES_ANCESTRIES {
                return Err(crate::Error::Safety(format!(
                    "precommit for {:?} does not descend from the commit target {:?}",
                    signed.precommit.target_hash, commit.target_hash
                )));
            }
            current = header.parent_hash;
            ancestries.push(header);
        }
    }
    Ok(Justification {
        round,
        commit,
        votes_ancestries: ancestries,
    })
}

/// Encodes a justification.
pub fn encode(justification: &Justification) -> Vec<u8> {
    justification.encode()
}
