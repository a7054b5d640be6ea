//! The evaluator's persistent state (`--state FILE`): for every quorum it serves, the score
//! and salt it committed to and how far it got, plus the last block it processed.
//!
//! Losing a salt means the evaluator cannot reveal, and a non-revealer is slashed, so the
//! file is written atomically (a temporary file beside it, fsync, rename, fsync of the
//! directory) before every transaction that depends on it, and a file that does not parse
//! stops the client instead of being overwritten.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::chain::{AccountId, BlockNumber, DomainId, OptimumId, QuorumDrawn, Round};

/// The format version written in the file.
pub const STATE_VERSION: u32 = 1;
/// The largest state file read (entries are bounded by [`MAX_ENTRIES`]).
pub const MAX_STATE_BYTES: u64 = 16 * 1024 * 1024;
/// The most quorums tracked at once. An evaluator serves at most
/// `MaxDomainsPerEvaluator × MaxOpenOptimums` (8 × 64) optimums at a time, two rounds each.
pub const MAX_ENTRIES: usize = 4096;

/// A state file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// It could not be read or written.
    #[error("state file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// It does not parse (or is too large). It is left as it is: it may hold salts.
    #[error("state file {path} is corrupt ({what}); move it away to start afresh, knowing that unrevealed commitments in it will be slashed")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// It belongs to another account.
    #[error("state file {path} belongs to account 0x{found}, not 0x{expected}")]
    WrongAccount {
        /// The file.
        path: PathBuf,
        /// The account in the file.
        found: String,
        /// The account running.
        expected: String,
    },
}

/// How far the evaluator got with one quorum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    /// Waiting for the optimum's content to appear in the store.
    AwaitingContent,
    /// Scored, salt chosen, commit not sent yet (or refused by the node: may be retried).
    Evaluated {
        /// The score.
        score: i64,
        /// The salt.
        #[serde(with = "hex32")]
        salt: [u8; 32],
    },
    /// The commit was handed to the node (or may have been): never sent again.
    CommitSent {
        /// The score.
        score: i64,
        /// The salt.
        #[serde(with = "hex32")]
        salt: [u8; 32],
    },
    /// The reveal was handed to the node.
    Revealed {
        /// The score revealed.
        score: i64,
    },
    /// No score: the evaluation failed (no commit is sent).
    Failed {
        /// Why.
        reason: String,
    },
    /// A window closed before the evaluator could act.
    Missed {
        /// Which step was missed.
        what: String,
    },
}

/// One quorum the evaluator serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The optimum.
    pub optimum: OptimumId,
    /// The round.
    pub round: Round,
    /// The optimum's domain.
    pub domain: DomainId,
    /// The content hash.
    #[serde(with = "hex32")]
    pub content_hash: [u8; 32],
    /// The first block in which commits are refused (see [`crate::chain::window`]).
    pub commit_until: BlockNumber,
    /// The first block in which reveals are refused.
    pub reveal_until: BlockNumber,
    /// How far it got.
    #[serde(flatten)]
    pub stage: Stage,
    /// Transactions the node refused so far (commit, then reveal).
    pub refused: u32,
}

impl Entry {
    /// A new entry for a quorum event.
    pub fn new(q: &QuorumDrawn) -> Entry {
        Entry {
            optimum: q.optimum,
            round: q.round,
            domain: q.domain,
            content_hash: q.content_hash,
            commit_until: q.commit_until,
            reveal_until: q.reveal_until,
            stage: Stage::AwaitingContent,
            refused: 0,
        }
    }
}

/// The whole state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// The account the salts belong to.
    #[serde(with = "hex32")]
    pub account: AccountId,
    /// The last block processed (blocks up to it are not processed again).
    pub last_block: Option<BlockNumber>,
    /// Open quorums, oldest first.
    pub entries: Vec<Entry>,
}

impl State {
    /// An empty state for `account`.
    pub fn new(account: AccountId) -> State {
        State {
            version: STATE_VERSION,
            account,
            last_block: None,
            entries: Vec::new(),
        }
    }

    /// The entry of `(optimum, round)`.
    pub fn entry(&self, optimum: OptimumId, round: Round) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.optimum == optimum && e.round == round)
    }

    /// Loads the state of `account` from `path`; a missing file is an empty state.
    pub fn load(path: &Path, account: AccountId) -> Result<State, StateError> {
        let bytes = match crate::store::read_limited(path, MAX_STATE_BYTES) {
            Ok(b) => b,
            Err(crate::store::StoreError::Missing(_)) => return Ok(State::new(account)),
            Err(crate::store::StoreError::TooLarge { limit, .. }) => {
                return Err(StateError::Corrupt {
                    path: path.into(),
                    what: format!("larger than {limit} bytes"),
                })
            }
            Err(crate::store::StoreError::Io { source, .. }) => {
                return Err(StateError::Io {
                    path: path.into(),
                    source,
                })
            }
            Err(e) => {
                return Err(StateError::Corrupt {
                    path: path.into(),
                    what: e.to_string(),
                })
            }
        };
        let state: State = serde_json::from_slice(&bytes).map_err(|e| StateError::Corrupt {
            path: path.into(),
            what: e.to_string(),
        })?;
        if state.version != STATE_VERSION {
            return Err(StateError::Corrupt {
                path: path.into(),
                what: format!(
                    "version {}, this client reads {STATE_VERSION}",
                    state.version
                ),
            });
        }
        if state.entries.len() > MAX_ENTRIES {
            return Err(StateError::Corrupt {
                path: path.into(),
                what: format!("{} entries, at most {MAX_ENTRIES}", state.entries.len()),
            });
        }
        if state.account != account {
            return Err(StateError::WrongAccount {
                path: path.into(),
                found: hex::encode(state.account),
                expected: hex::encode(account),
            });
        }
        Ok(state)
    }

    /// Writes the state to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let io = |source| StateError::Io {
            path: path.into(),
            source,
        };
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state".into());
        let tmp = dir.join(format!(".{name}.tmp"));
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(&bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        drop(f);
        std::fs::rename(&tmp, path).map_err(io)?;
        // The rename itself is durable once the directory is synced.
        std::fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
        Ok(())
    }
}

/// `[u8; 32]` as 64 hex digits.
mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&s, &mut out).map_err(serde::de::Error::custom)?;
        Ok(out)
    }
}
