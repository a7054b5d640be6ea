//! What the evaluator needs from the chain: the [`Chain`] trait, the events it reads and
//! the commitment it signs.
//!
//! The protocol logic ([`crate::runner`]) is written against this trait only, so that it
//! can be tested with a fake chain and bound to the real one in one place
//! (`rpc_chain.rs`, feature `chain`). The types mirror pallet-domains' (issue 16 design):
//! an optimum is a `u64`, a round a `u8` (0, then 1 after an escalation), a domain a `u32`,
//! block numbers `u32`, accounts 32 bytes (`AccountId32` encodes as its 32 bytes).

use std::future::Future;

use codec::Encode;

/// An account: the 32 bytes of an `AccountId32`.
pub type AccountId = [u8; 32];
/// `pallet_domains::OptimumId`.
pub type OptimumId = u64;
/// The verification round of an optimum: 0, or 1 after an escalation to 2K.
pub type Round = u8;
/// A domain's id.
pub type DomainId = u32;
/// A block number.
pub type BlockNumber = u32;

/// A quorum drawn for an optimum (`pallet_domains::Event::QuorumDrawn`, completed with the
/// optimum's domain, content hash and windows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumDrawn {
    /// The optimum to evaluate.
    pub optimum: OptimumId,
    /// Its verification round.
    pub round: Round,
    /// The accounts drawn.
    pub members: Vec<AccountId>,
    /// The optimum's domain.
    pub domain: DomainId,
    /// blake2_256 of the optimum's content (the file in the store).
    pub content_hash: [u8; 32],
    /// The first block in which commits are refused and reveals accepted: commits land in
    /// `[drawn, commit_until)`.
    pub commit_until: BlockNumber,
    /// The first block in which reveals are refused: reveals land in
    /// `[commit_until, reveal_until)`.
    pub reveal_until: BlockNumber,
}

/// One block of the chain as the evaluator sees it: its number and the quorum events in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The block's number.
    pub number: BlockNumber,
    /// The `QuorumDrawn` events of the block, every domain and member set.
    pub quorums: Vec<QuorumDrawn>,
}

/// A failure of the chain binding. The runner treats [`Rejected`](ChainError::Rejected) as
/// "not submitted" (it may try again) and [`Uncertain`](ChainError::Uncertain) as "maybe
/// submitted" (it never sends a second commit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The node refused the transaction: it is not in the pool and will not be included.
    #[error("transaction refused: {0}")]
    Rejected(String),
    /// The transaction may or may not have reached the pool (timeout, dropped connection).
    #[error("transaction outcome unknown: {0}")]
    Uncertain(String),
    /// The block stream ended (the node went away for good, or a test chain ran out).
    #[error("the chain's block stream ended")]
    Closed,
    /// The chain could not be read.
    #[error("chain: {0}")]
    Other(String),
}

/// The chain as the evaluator uses it. Submissions return once the node accepted the
/// transaction into its pool; inclusion is not awaited (a transaction submitted while the
/// best block is `n` lands in block `n + 1` at the earliest). The futures are `Send`, so
/// that a [`Runner`](crate::Runner) can be `tokio::spawn`ed.
pub trait Chain: Send {
    /// The account that signs this evaluator's commits and reveals.
    fn account(&self) -> AccountId;

    /// The next block on the chain, in order, each once: after block `n` comes `n + 1`
    /// (a binding that falls behind catches up block by block). `Err(Closed)` ends the run.
    fn next_block(&mut self) -> impl Future<Output = Result<Block, ChainError>> + Send;

    /// `Domains::commit(optimum, hash)`; `round` is the round the commitment binds (the
    /// pallet knows it from the optimum; a binding may ignore it).
    fn commit(
        &mut self,
        optimum: OptimumId,
        round: Round,
        hash: [u8; 32],
    ) -> impl Future<Output = Result<(), ChainError>> + Send;

    /// `Domains::reveal(optimum, score, salt)`.
    fn reveal(
        &mut self,
        optimum: OptimumId,
        score: i64,
        salt: [u8; 32],
    ) -> impl Future<Output = Result<(), ChainError>> + Send;
}

/// The commitment of `evaluator` to `score` for `optimum` in `round`:
/// `blake2_256((optimum, round, score, salt, evaluator).encode())`, the SCALE encoding
/// being the concatenation of `optimum` (u64 LE), `round` (one byte), `score` (i64 LE),
/// `salt` and `evaluator` (32 bytes each).
pub fn commitment(
    optimum: OptimumId,
    round: Round,
    score: i64,
    salt: &[u8; 32],
    evaluator: &AccountId,
) -> [u8; 32] {
    sp_crypto_hashing::blake2_256(&(optimum, round, score, salt, evaluator).encode())
}

/// When the evaluator may act on an optimum at best block `now`. The pallet accepts commits
/// in blocks `[drawn, commit_until)` and reveals in `[commit_until, reveal_until)`; a
/// transaction sent at best block `now` lands in block `now + 1` at the earliest, so the
/// evaluator commits while `now + 1 < commit_until` and reveals while
/// `commit_until ≤ now + 1 < reveal_until`. It acts at the first block it may, so a window
/// boundary only matters to an evaluator that starts late.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// A commit sent now can still be included in the commit window.
    Commit,
    /// A reveal sent now lands in the reveal window.
    Reveal,
    /// Both windows are over.
    Closed,
}

impl QuorumDrawn {
    /// The window open for a transaction sent at best block `now`.
    pub fn window(&self, now: BlockNumber) -> Window {
        window(now, self.commit_until, self.reveal_until)
    }
}

/// [`QuorumDrawn::window`] from the bare numbers.
pub fn window(now: BlockNumber, commit_until: BlockNumber, reveal_until: BlockNumber) -> Window {
    let lands = u64::from(now) + 1;
    if lands < u64::from(commit_until) {
        Window::Commit
    } else if lands < u64::from(reveal_until) {
        Window::Reveal
    } else {
        Window::Closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_hashes_the_documented_byte_layout() {
        let salt = [7u8; 32];
        let who = [9u8; 32];
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&5u64.to_le_bytes());
        bytes.push(1);
        bytes.extend_from_slice(&(-3i64).to_le_bytes());
        bytes.extend_from_slice(&salt);
        bytes.extend_from_slice(&who);
        assert_eq!(bytes.len(), 8 + 1 + 8 + 32 + 32);
        assert_eq!(
            commitment(5, 1, -3, &salt, &who),
            sp_crypto_hashing::blake2_256(&bytes)
        );
        assert_ne!(
            commitment(5, 0, -3, &salt, &who),
            commitment(5, 1, -3, &salt, &who)
        );
    }

    #[test]
    fn windows_count_the_block_a_transaction_lands_in() {
        // Commits land in [.., 13), reveals in [13, 16).
        assert_eq!(window(10, 13, 16), Window::Commit);
        assert_eq!(window(11, 13, 16), Window::Commit);
        assert_eq!(window(12, 13, 16), Window::Reveal);
        assert_eq!(window(14, 13, 16), Window::Reveal);
        assert_eq!(window(15, 13, 16), Window::Closed);
        assert_eq!(window(10, 11, 11), Window::Closed);
        assert_eq!(window(u32::MAX, u32::MAX, u32::MAX), Window::Closed);
    }
}
