//! The evaluator's protocol loop, generic over [`Chain`].
//!
//! For every block, in order:
//! 1. each `QuorumDrawn` that names this account (and, with `--domain`, that domain) and
//!    whose commit window is still open opens an [`Entry`];
//! 2. each open entry moves on as far as the block allows:
//!    - `AwaitingContent` → the optimum is fetched from the store by content hash (a file not
//!      there yet is looked for again at the next block), checked, and scored by the
//!      evaluation command; a random 32-byte salt is drawn → `Evaluated`;
//!    - `Evaluated` → the stage becomes `CommitSent` and is saved, *then* the commit
//!      `blake2_256((optimum, round, score, salt, account).encode())` is sent: a crash
//!      between the two never leads to a second commit. Only a refusal by the node
//!      ([`ChainError::Rejected`]) returns the entry to `Evaluated` for another try at the
//!      next block (at most [`RunnerConfig::max_refusals`] times);
//!    - `CommitSent` → once the commit window is over, the reveal is sent (a refused reveal
//!      is sent again at the next block while the reveal window lasts) → `Revealed`;
//!    - an evaluation that fails or times out, or content that does not match its hash,
//!      ends the entry as `Failed`: nothing is committed (the pallet will count this
//!      evaluator as a non-revealer: an evaluator that cannot evaluate loses its stake's
//!      edge, never the chain's trust in a made-up score);
//!    - a window that closes first ends it as `Missed`;
//! 3. entries whose reveal window is over are dropped, and the state (with the block's
//!    number) is saved. A block at or below the saved number is skipped, so a restart or a
//!    replay never acts twice.
//!
//! "Window open" counts the block a transaction lands in: see [`crate::chain::window`].

use std::path::PathBuf;

use crate::chain::{commitment, window, AccountId, Block, Chain, ChainError, DomainId, Window};
use crate::eval_cmd::{EvalCommand, EvalLimits};
use crate::state::{Entry, Stage, State, StateError, MAX_ENTRIES};
use crate::store::{self, StoreError};

const TARGET: &str = "evaluator";

/// How the runner evaluates and where it keeps things.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Serve only this domain's quorums (`None`: every domain this account is drawn in).
    pub domain: Option<DomainId>,
    /// The content store directory.
    pub store: PathBuf,
    /// The evaluation command.
    pub eval: EvalCommand,
    /// Its bounds.
    pub limits: EvalLimits,
    /// The largest optimum fetched.
    pub max_content_bytes: u64,
    /// The state file.
    pub state_path: PathBuf,
    /// How many refusals of a commit by the node end the entry.
    pub max_refusals: u32,
}

/// Why the runner stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The state file could not be read or written.
    #[error(transparent)]
    State(#[from] StateError),
    /// The chain could not be followed.
    #[error(transparent)]
    Chain(#[from] ChainError),
}

/// The evaluator loop over a [`Chain`].
pub struct Runner<C> {
    chain: C,
    cfg: RunnerConfig,
    state: State,
    account: AccountId,
}

impl<C: Chain> Runner<C> {
    /// A runner for `chain`'s account, resuming from the state file if there is one.
    pub fn new(chain: C, cfg: RunnerConfig) -> Result<Runner<C>, RunError> {
        let account = chain.account();
        let state = State::load(&cfg.state_path, account)?;
        tracing::info!(
            target: TARGET,
            account = %hex::encode(account),
            last_block = ?state.last_block,
            open = state.entries.len(),
            "evaluator state loaded"
        );
        Ok(Runner {
            chain,
            cfg,
            state,
            account,
        })
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The chain binding.
    pub fn chain(&self) -> &C {
        &self.chain
    }

    /// Follows the chain until its block stream ends ([`ChainError::Closed`]: `Ok`) or
    /// fails.
    pub async fn run(&mut self) -> Result<(), RunError> {
        self.run_until(std::future::pending()).await
    }

    /// [`run`](Self::run), stopping with `Ok` once `shutdown` completes. Shutdown is only
    /// taken while waiting for the next block: a block being processed (an evaluation, a
    /// submission and the state write around it) always finishes first.
    pub async fn run_until(
        &mut self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), RunError> {
        tokio::pin!(shutdown);
        loop {
            let next = tokio::select! {
                biased;
                () = &mut shutdown => {
                    tracing::info!(target: TARGET, "stopping; state saved");
                    return Ok(());
                }
                next = self.chain.next_block() => next,
            };
            match next {
                Ok(block) => self.on_block(block).await?,
                Err(ChainError::Closed) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Processes one block (see the module docs).
    pub async fn on_block(&mut self, block: Block) -> Result<(), RunError> {
        let now = block.number;
        if self.state.last_block.is_some_and(|last| now <= last) {
            tracing::debug!(target: TARGET, now, "block already processed");
            return Ok(());
        }
        tracing::debug!(target: TARGET, now, quorums = block.quorums.len(), "block");
        for q in &block.quorums {
            if !q.members.contains(&self.account)
                || self.cfg.domain.is_some_and(|d| d != q.domain)
                || self.state.entry(q.optimum, q.round).is_some()
            {
                continue;
            }
            if q.window(now) != Window::Commit {
                tracing::warn!(
                    target: TARGET,
                    optimum = q.optimum, round = q.round, now, commit_until = q.commit_until,
                    "drawn for an optimum whose commit window is already over; skipped"
                );
                continue;
            }
            if self.state.entries.len() >= MAX_ENTRIES {
                tracing::error!(
                    target: TARGET,
                    optimum = q.optimum,
                    "{MAX_ENTRIES} quorums open at once; this one is skipped"
                );
                continue;
            }
            tracing::info!(
                target: TARGET,
                optimum = q.optimum, round = q.round, domain = q.domain,
                content = %hex::encode(q.content_hash),
                commit_until = q.commit_until, reveal_until = q.reveal_until,
                "drawn into a quorum"
            );
            self.state.entries.push(Entry::new(q));
        }
        for i in 0..self.state.entries.len() {
            self.advance(i, now).await?;
        }
        self.state.entries.retain(|e| {
            let keep = window(now, e.commit_until, e.reveal_until) != Window::Closed;
            if !keep {
                tracing::debug!(target: TARGET, optimum = e.optimum, round = e.round, stage = ?e.stage, "quorum closed");
            }
            keep
        });
        self.state.last_block = Some(now);
        self.save()
    }

    fn save(&self) -> Result<(), RunError> {
        Ok(self.state.save(&self.cfg.state_path)?)
    }

    /// Moves entry `i` on as far as block `now` allows.
    async fn advance(&mut self, i: usize, now: u32) -> Result<(), RunError> {
        let e = &self.state.entries[i];
        let (optimum, round) = (e.optimum, e.round);
        let w = window(now, e.commit_until, e.reveal_until);
        match (&e.stage, w) {
            (Stage::AwaitingContent | Stage::Evaluated { .. }, Window::Reveal | Window::Closed) => {
                tracing::warn!(target: TARGET, optimum, round, now, "commit window closed before a commit was sent");
                self.state.entries[i].stage = Stage::Missed {
                    what: "commit".into(),
                };
            }
            (Stage::AwaitingContent, Window::Commit) => {
                if let Some(stage) = self.evaluate(i).await {
                    self.state.entries[i].stage = stage;
                    if matches!(self.state.entries[i].stage, Stage::Evaluated { .. }) {
                        self.commit(i).await?;
                    }
                }
            }
            (Stage::Evaluated { .. }, Window::Commit) => self.commit(i).await?,
            (Stage::CommitSent { score, salt }, Window::Reveal) => {
                let (score, salt) = (*score, *salt);
                match self.chain.reveal(optimum, score, salt).await {
                    Err(ChainError::Rejected(m)) => {
                        self.state.entries[i].refused += 1;
                        tracing::warn!(target: TARGET, optimum, round, now, "the node refused the reveal ({m}); trying again next block");
                    }
                    r => {
                        if let Err(e) = r {
                            tracing::warn!(target: TARGET, optimum, round, "reveal may not have reached the node: {e}");
                        } else {
                            tracing::info!(target: TARGET, optimum, round, score, now, "revealed");
                        }
                        self.state.entries[i].stage = Stage::Revealed { score };
                    }
                }
            }
            (Stage::CommitSent { .. }, Window::Closed) => {
                tracing::error!(target: TARGET, optimum, round, now, "reveal window closed before the reveal was sent");
                self.state.entries[i].stage = Stage::Missed {
                    what: "reveal".into(),
                };
            }
            (Stage::CommitSent { .. }, Window::Commit)
            | (Stage::Revealed { .. } | Stage::Failed { .. } | Stage::Missed { .. }, _) => {}
        }
        Ok(())
    }

    /// Fetches and scores entry `i`'s optimum: `None` while its content is not in the store,
    /// else the next stage (`Evaluated` or `Failed`).
    async fn evaluate(&mut self, i: usize) -> Option<Stage> {
        let e = &self.state.entries[i];
        let (optimum, round) = (e.optimum, e.round);
        let path = match store::fetch(&self.cfg.store, &e.content_hash, self.cfg.max_content_bytes)
        {
            Ok(p) => p,
            Err(StoreError::Missing(p)) => {
                tracing::debug!(target: TARGET, optimum, "{} not in the store yet", p.display());
                return None;
            }
            Err(err) => {
                tracing::warn!(target: TARGET, optimum, round, "optimum refused: {err}");
                return Some(Stage::Failed {
                    reason: err.to_string(),
                });
            }
        };
        let cmd = self.cfg.eval.clone();
        let limits = self.cfg.limits.clone();
        let result = tokio::task::spawn_blocking(move || cmd.run(&path, &limits)).await;
        Some(match result {
            Ok(Ok(score)) => {
                tracing::info!(target: TARGET, optimum, round, score, "evaluated");
                Stage::Evaluated {
                    score,
                    salt: rand::random(),
                }
            }
            Ok(Err(err)) => {
                tracing::warn!(target: TARGET, optimum, round, "evaluation failed, nothing committed: {err}");
                Stage::Failed {
                    reason: err.to_string(),
                }
            }
            Err(join) => Stage::Failed {
                reason: format!("evaluation task: {join}"),
            },
        })
    }

    /// Sends entry `i`'s commit (it is `Evaluated`).
    async fn commit(&mut self, i: usize) -> Result<(), RunError> {
        let e = &self.state.entries[i];
        let Stage::Evaluated { score, salt } = e.stage else {
            return Ok(());
        };
        let (optimum, round) = (e.optimum, e.round);
        let hash = commitment(optimum, round, score, &salt, &self.account);
        // Write ahead: once the commit may have left, it is never sent again.
        self.state.entries[i].stage = Stage::CommitSent { score, salt };
        self.save()?;
        match self.chain.commit(optimum, round, hash).await {
            Ok(()) => {
                tracing::info!(target: TARGET, optimum, round, hash = %hex::encode(hash), "committed");
            }
            Err(ChainError::Rejected(m)) => {
                let e = &mut self.state.entries[i];
                e.refused += 1;
                if e.refused >= self.cfg.max_refusals {
                    tracing::error!(target: TARGET, optimum, round, "the node refused the commit {} times ({m}); giving up", e.refused);
                    e.stage = Stage::Failed {
                        reason: format!("commit refused {} times: {m}", e.refused),
                    };
                } else {
                    tracing::warn!(target: TARGET, optimum, round, "the node refused the commit ({m}); trying again next block");
                    e.stage = Stage::Evaluated { score, salt };
                }
                self.save()?;
            }
            Err(err) => {
                tracing::warn!(target: TARGET, optimum, round, "commit may not have reached the node ({err}); not sent again");
            }
        }
        Ok(())
    }
}
