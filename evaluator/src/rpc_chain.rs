//! The [`Chain`] binding to a running `echonet-node` over JSON-RPC (feature `chain`).
//!
//! It uses echonet-runtime's own types: `RuntimeCall::Domains(pallet_domains::Call::{commit,
//! reveal})` and `RuntimeEvent::Domains(pallet_domains::Event::QuorumDrawn { .. })`.
//!
//! How it follows the chain: it polls the best block (the node's `chain_getHeader`) and reads
//! every block after the last one processed, in order, by number (`chain_getBlockHash`,
//! then `System.Events` through `state_getStorage`, decoded with the runtime's types and a
//! depth limit by [`echonet_rollup_l1::L1Client`], which also reconnects by itself). Polling
//! by number rather than trusting a head subscription means that a restart, a dropped
//! connection or a burst of blocks never skips one: a restarted evaluator resumes after the
//! block its state file names (at most [`MAX_CATCH_UP`] blocks back).
//!
//! Submissions are signed with the account's sr25519 key and its next nonce
//! (`system_accountNextIndex`, which counts the pool), immortal, no tip. A JSON-RPC error
//! object from `author_submitExtrinsic` (the pool refused the transaction) is
//! [`ChainError::Rejected`]; a timeout or lost connection is [`ChainError::Uncertain`].

use std::time::Duration;

use echonet_rollup_l1::{L1Client, L1Error};
use echonet_runtime::{RuntimeCall, RuntimeEvent};
use sp_core::{sr25519, Pair, H256};

use crate::chain::{
    AccountId, Block, BlockNumber, Chain, ChainError, OptimumId, QuorumDrawn, Round,
};

/// The most blocks a restarted evaluator reads back: quorums older than this have closed
/// their windows under any sane parameters.
pub const MAX_CATCH_UP: u32 = 1_000;

/// How often the best block is polled while the evaluator is caught up.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The account of a secret URI (`//Dave`, a mnemonic, a hex seed).
pub fn account_of(suri: &str) -> Result<AccountId, ChainError> {
    Ok(pair_of(suri)?.public().0)
}

fn pair_of(suri: &str) -> Result<sr25519::Pair, ChainError> {
    sr25519::Pair::from_string(suri, None)
        .map_err(|e| ChainError::Other(format!("--suri is not a valid secret URI: {e:?}")))
}

fn other(e: L1Error) -> ChainError {
    ChainError::Other(e.to_string())
}

fn submission(e: L1Error) -> ChainError {
    match e {
        L1Error::Rpc { .. } => ChainError::Rejected(e.to_string()),
        _ => ChainError::Uncertain(e.to_string()),
    }
}

/// [`Chain`] over an `echonet-node`'s JSON-RPC.
pub struct RpcChain {
    client: L1Client,
    signer: sr25519::Pair,
    /// The next block to read; `None` until the first poll (then: the best block).
    next: Option<BlockNumber>,
}

impl RpcChain {
    /// Connects to `url` as the account of `suri`. `resume_after` is the last block the
    /// state file processed (`None` on a first start: follow from the best block).
    pub async fn connect(
        url: &str,
        suri: &str,
        resume_after: Option<BlockNumber>,
    ) -> Result<RpcChain, ChainError> {
        let signer = pair_of(suri)?;
        let client = L1Client::connect(url).await.map_err(other)?;
        let (best, _) = client.best_head().await.map_err(other)?;
        let next = resume_after.map(|last| {
            let from = last.saturating_add(1);
            from.max(best.saturating_sub(MAX_CATCH_UP))
        });
        Ok(RpcChain {
            client,
            signer,
            next,
        })
    }

    /// The quorum events of block `hash`.
    async fn quorums(&self, hash: H256) -> Result<Vec<QuorumDrawn>, ChainError> {
        let events = self.client.events(hash).await.map_err(other)?;
        let mut out = Vec::new();
        for record in events {
            // The windows are "the first block in which commits / reveals are refused",
            // as `chain::window` expects.
            if let RuntimeEvent::Domains(pallet_domains::Event::QuorumDrawn {
                optimum,
                round,
                members,
                domain,
                content_hash,
                commit_until,
                reveal_until,
            }) = record.event
            {
                out.push(QuorumDrawn {
                    optimum,
                    round,
                    members: members.into_iter().map(<[u8; 32]>::from).collect(),
                    domain,
                    content_hash: content_hash.0,
                    commit_until,
                    reveal_until,
                });
            }
        }
        Ok(out)
    }
}

impl Chain for RpcChain {
    fn account(&self) -> AccountId {
        self.signer.public().0
    }

    async fn next_block(&mut self) -> Result<Block, ChainError> {
        loop {
            let (best, best_hash) = self.client.best_head().await.map_err(other)?;
            let next = *self.next.get_or_insert(best);
            if next <= best {
                let hash = if next == best {
                    best_hash
                } else {
                    self.client
                        .block_hash(next)
                        .await
                        .map_err(other)?
                        .ok_or_else(|| ChainError::Other(format!("block #{next} vanished")))?
                };
                let quorums = self.quorums(hash).await?;
                self.next = Some(next.saturating_add(1));
                return Ok(Block {
                    number: next,
                    quorums,
                });
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    async fn commit(
        &mut self,
        optimum: OptimumId,
        _round: Round,
        hash: [u8; 32],
    ) -> Result<(), ChainError> {
        let call = RuntimeCall::Domains(pallet_domains::Call::commit {
            optimum,
            hash: H256(hash),
        });
        self.client
            .submit_call(&self.signer, call)
            .await
            .map(drop)
            .map_err(submission)
    }

    async fn reveal(
        &mut self,
        optimum: OptimumId,
        score: i64,
        salt: [u8; 32],
    ) -> Result<(), ChainError> {
        let call = RuntimeCall::Domains(pallet_domains::Call::reveal {
            optimum,
            score,
            salt,
        });
        self.client
            .submit_call(&self.signer, call)
            .await
            .map(drop)
            .map_err(submission)
    }
}
