//! State pruning: which trie nodes of the STATE column may be deleted, and when
//! (`--state-pruning`), and which block bodies (`--blocks-pruning`).
//!
//! # Design
//!
//! Trie nodes live in STATE under `sp_trie::prefixed_key(hash, position)`: a node of the
//! same content at the same position is one key, shared by every block whose trie holds
//! it. Importing a block yields sp-trie's delta against its parent (`drain_storage_changes`:
//! `+1` for a node the new trie has and the parent's lacks, `-1` for the reverse).
//!
//! - **Archive** (`--state-pruning archive`, and every database of schema 1): inserted nodes
//!   are written, nothing is ever deleted, no reference counts are kept. A small journal per
//!   block (its parent) is still written, so that forks can be found and their bodies
//!   discarded on finality; it is dropped once the block is finalized or discarded.
//! - **Constrained(N)** (the default, 256): STATE_RC holds a reference count per node key:
//!   the number of *births* of the node (once per block that inserted it, plus genesis)
//!   minus the *deaths* applied so far. Counts are added with a RocksDB merge operator, so
//!   import never reads them. Each block's journal (JOURNAL, keyed by number and hash)
//!   lists the keys it inserted and the keys it deleted. On finality:
//!   - a block that is not on the finalized chain (and every block built on it) is
//!     discarded: one reference is dropped for each key it inserted, and its journal goes;
//!   - the state of blocks below `finalized + 1 - N` is pruned: for each canonical block `b`
//!     up to that bound, the keys `b` deleted lose one reference (the state of `b - 1` no
//!     longer needs them) and `b`'s journal goes. `META/state_from` records the first block
//!     whose state is kept.
//!
//!   A node reaching zero references is deleted with its count. A node deleted by one
//!   block and inserted again by a later one (a balance going back to a former value) has
//!   two births, so the earlier death leaves it alive; a node inserted by two sibling forks
//!   likewise survives the discarded one.
//! - Everything a finalization does goes into the WriteBatch of the finality update (or of
//!   the import that finalizes), together with the new `state_from`: a `kill -9` at any
//!   moment leaves either the old finalized block with its journals and counts, or the new
//!   one with pruning applied. Reference counts that a batch both adds and drops are summed
//!   in memory first ([`StateCommit`]), so a batch never overwrites its own merge.
//! - Reading a block's state: a block below `state_from`, or a non-canonical block at or
//!   below the finalized one, has no state: the client answers
//!   [`Error::StateUnavailable`](crate::Error::StateUnavailable), which RPC reports as
//!   Substrate does ("State already discarded for ...").
//! - The mode is stored in META. As in Substrate's state-db, an archive database cannot be
//!   reopened pruned nor the reverse; a pruned database may change its N.
//! - Block bodies (`--blocks-pruning`): `archive` keeps all, `archive-canonical` (default)
//!   deletes the bodies of discarded forks, `N` also deletes canonical bodies below
//!   `finalized + 1 - N`. Headers and justifications stay (GRANDPA's proofs need them).

use crate::{
    db::{col, meta_key, Db, DbBatch},
    error::{Error, Result},
};
use codec::{Decode, Encode};
use sp_core::H256;
use sp_runtime::{
    traits::{BlakeTwo256, Hash as _},
    OpaqueExtrinsic,
};
use sp_state_machine::StorageChanges;
use std::{
    collections::{HashMap, HashSet},
    fmt,
    str::FromStr,
    sync::atomic::{AtomicU32, Ordering},
};

/// Substrate's default for a full node: the state of the last 256 finalized blocks.
pub const DEFAULT_STATE_PRUNING: u32 = 256;

/// At most this many blocks' states (and bodies) are pruned per finalization; a node whose
/// window shrank catches up over the next finalizations instead of in one huge batch.
const MAX_PRUNED_PER_BATCH: u32 = 128;

/// How much state a node keeps (`--state-pruning`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum StatePruning {
    /// Every state of every block, forks included (`archive`).
    #[codec(index = 0)]
    Archive,
    /// The state of the last N finalized blocks and of every unfinalized block.
    #[codec(index = 1)]
    Constrained(u32),
}

impl Default for StatePruning {
    fn default() -> Self {
        StatePruning::Constrained(DEFAULT_STATE_PRUNING)
    }
}

impl FromStr for StatePruning {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "archive" => Ok(StatePruning::Archive),
            n => match n.parse::<u32>() {
                Ok(0) => Err("--state-pruning must keep at least 1 block".into()),
                Ok(n) => Ok(StatePruning::Constrained(n)),
                Err(_) => Err(format!(
                    "invalid state pruning mode {s:?}: expected `archive` or a number of blocks"
                )),
            },
        }
    }
}

impl fmt::Display for StatePruning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatePruning::Archive => f.write_str("archive"),
            StatePruning::Constrained(n) => write!(f, "{n}"),
        }
    }
}

/// Which block bodies a node keeps (`--blocks-pruning`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BlocksPruning {
    /// Every body, forks included (`archive`).
    Archive,
    /// The bodies of the finalized chain and of unfinalized blocks (`archive-canonical`).
    #[default]
    ArchiveCanonical,
    /// The bodies of the last N finalized blocks and of unfinalized blocks.
    Some(u32),
}

impl FromStr for BlocksPruning {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "archive" => Ok(BlocksPruning::Archive),
            "archive-canonical" => Ok(BlocksPruning::ArchiveCanonical),
            n => match n.parse::<u32>() {
                Ok(0) => Err("--blocks-pruning must keep at least 1 block".into()),
                Ok(n) => Ok(BlocksPruning::Some(n)),
                Err(_) => Err(format!(
                    "invalid blocks pruning mode {s:?}: expected `archive`, \
                     `archive-canonical` or a number of blocks"
                )),
            },
        }
    }
}

impl fmt::Display for BlocksPruning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlocksPruning::Archive => f.write_str("archive"),
            BlocksPruning::ArchiveCanonical => f.write_str("archive-canonical"),
            BlocksPruning::Some(n) => write!(f, "{n}"),
        }
    }
}

/// What one block changed in STATE, kept until the block is pruned or discarded.
#[derive(Debug, Default, Encode, Decode)]
struct Journal {
    parent: H256,
    /// Keys of the nodes the block inserted (constrained mode only).
    inserted: Vec<Vec<u8>>,
    /// Keys of the nodes the block's trie dropped from its parent's (constrained mode only).
    deleted: Vec<Vec<u8>>,
}

impl Journal {
    /// The `deleted` list of an encoded journal, stepping over `inserted` without
    /// allocating it (pruning a canonical block needs only its deletions).
    fn decode_deleted(raw: &[u8]) -> std::result::Result<Vec<Vec<u8>>, codec::Error> {
        let input = &mut &raw[..];
        H256::decode(input)?;
        let inserted = codec::Compact::<u32>::decode(input)?.0;
        for _ in 0..inserted {
            let len = codec::Compact::<u32>::decode(input)?.0 as usize;
            if input.len() < len {
                return Err("journal key runs past the end".into());
            }
            *input = &input[len..];
        }
        let deleted = Vec::<Vec<u8>>::decode(input)?;
        if !input.is_empty() {
            return Err("bytes after the journal".into());
        }
        Ok(deleted)
    }
}

fn journal_key(number: u32, hash: &H256) -> Vec<u8> {
    let mut key = Vec::with_capacity(36);
    key.extend_from_slice(&number.to_be_bytes());
    key.extend_from_slice(hash.as_bytes());
    key
}

/// Reference counts are little-endian `i64`s, summed by the STATE_RC merge operator.
pub(crate) fn encode_rc(delta: i64) -> [u8; 8] {
    delta.to_le_bytes()
}

fn decode_rc(raw: &[u8]) -> Option<i64> {
    Some(i64::from_le_bytes(raw.try_into().ok()?))
}

/// RocksDB's merge operator of STATE_RC: the sum of the operands. An operand that is not
/// eight bytes fails the merge, which RocksDB reports as corruption on read.
pub(crate) fn merge_refcounts(
    _key: &[u8],
    existing: Option<&[u8]>,
    operands: &rocksdb::MergeOperands,
) -> Option<Vec<u8>> {
    let mut total = match existing {
        Some(raw) => decode_rc(raw)?,
        None => 0,
    };
    for op in operands {
        total = total.saturating_add(decode_rc(op)?);
    }
    Some(total.to_le_bytes().to_vec())
}

/// The STATE writes of one database batch, gathered so that reference counts a batch both
/// adds and drops are summed before anything is written (see the module doc).
pub(crate) struct StateCommit {
    counted: bool,
    inserted: Vec<(Vec<u8>, Vec<u8>)>,
    released: HashMap<Vec<u8>, i64>,
    /// The journal of the block imported in this batch (key, journal), written last unless
    /// finalization in the same batch already consumed it.
    journal: Option<(Vec<u8>, Journal)>,
}

impl StateCommit {
    fn release(&mut self, keys: Vec<Vec<u8>>) {
        for key in keys {
            *self.released.entry(key).or_default() += 1;
        }
    }

    /// Adds the gathered writes to `batch`. Reads the current count of each node that loses
    /// a reference (only finality does that), never of one that only gains.
    pub(crate) fn write_into(self, db: &Db, batch: &mut DbBatch<'_>) -> Result<()> {
        if let Some((key, journal)) = &self.journal {
            batch.put(col::JOURNAL, key, &journal.encode())?;
        }
        if !self.counted {
            for (key, value) in self.inserted {
                batch.put(col::STATE, &key, &value)?;
            }
            return Ok(());
        }
        let mut born: HashMap<Vec<u8>, (i64, Vec<u8>)> = HashMap::new();
        for (key, value) in self.inserted {
            if self.released.contains_key(&key) {
                born.entry(key).or_insert((0, value)).0 += 1;
            } else {
                batch.put(col::STATE, &key, &value)?;
                batch.merge(col::STATE_RC, &key, &encode_rc(1))?;
            }
        }
        // One batched read of every count that may reach zero (thousands a pruned block).
        let released: Vec<(Vec<u8>, i64)> = self.released.into_iter().collect();
        let keys: Vec<&[u8]> = released.iter().map(|(k, _)| &k[..]).collect();
        let counts = db.multi_get(col::STATE_RC, &keys)?;
        for ((key, dropped), raw) in released.into_iter().zip(counts) {
            let current = match raw {
                Some(raw) => decode_rc(&raw).ok_or_else(|| {
                    Error::Corrupt(format!("reference count of {}", hex::encode(&key)))
                })?,
                None => 0,
            };
            let (added, value) = match born.remove(&key) {
                Some((n, v)) => (n, Some(v)),
                None => (0, None),
            };
            let total = current + added - dropped;
            if total <= 0 {
                if total < 0 {
                    tracing::warn!(
                        target: "state-db",
                        "node {} released more often than referenced", hex::encode(&key)
                    );
                }
                batch.delete(col::STATE, &key)?;
                batch.delete(col::STATE_RC, &key)?;
            } else {
                if let Some(value) = value {
                    batch.put(col::STATE, &key, &value)?;
                }
                if added != dropped {
                    batch.merge(col::STATE_RC, &key, &encode_rc(added - dropped))?;
                }
            }
        }
        Ok(())
    }
}

/// What a finalization pruned, for logs and the client's cached bounds.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Pruned {
    /// The new first block with state, if it moved.
    pub(crate) state_from: Option<u32>,
    /// The new first canonical block with a body, if it moved.
    pub(crate) bodies_from: Option<u32>,
    /// Blocks discarded with their forks.
    pub(crate) discarded: usize,
}

/// The pruning mode of an open database and how far pruning has gone.
pub(crate) struct StateDb {
    mode: StatePruning,
    blocks: BlocksPruning,
    /// First block number whose state is kept (META/state_from).
    state_from: AtomicU32,
    /// First canonical block number whose body is kept (META/bodies_from).
    bodies_from: AtomicU32,
}

impl StateDb {
    /// Reads (or, for a new database, records) the pruning mode. `requested` is the
    /// operator's choice (`None`: whatever the database has, 256 for a new one).
    pub(crate) fn open(
        db: &Db,
        requested: Option<StatePruning>,
        blocks: BlocksPruning,
    ) -> Result<Self> {
        let stored: Option<StatePruning> = db.get_decoded(col::META, meta_key::STATE_PRUNING)?;
        let is_new = db.get(col::META, meta_key::GENESIS)?.is_none();
        let mode = match (stored, requested) {
            (None, _) if !is_new => {
                return Err(Error::Corrupt("no state pruning mode recorded".into()))
            }
            (None, requested) => requested.unwrap_or_default(),
            (Some(stored), None) => stored,
            (Some(StatePruning::Archive), Some(StatePruning::Archive)) => StatePruning::Archive,
            (Some(StatePruning::Constrained(_)), Some(StatePruning::Constrained(n))) => {
                StatePruning::Constrained(n)
            }
            (Some(stored), Some(requested)) => {
                return Err(Error::Db(format!(
                    "Incompatible pruning modes [stored: {stored}; requested: {requested}]: \
                     the database was created with --state-pruning {stored}; start with that, \
                     or run `echonet-node purge-chain` and resync"
                )))
            }
        };
        if stored != Some(mode) {
            let mut batch = db.batch();
            batch.put(col::META, meta_key::STATE_PRUNING, &mode.encode())?;
            db.write(batch)?;
        }
        let state_from = db
            .get_decoded(col::META, meta_key::STATE_FROM)?
            .unwrap_or(0u32);
        let bodies_from = db
            .get_decoded(col::META, meta_key::BODIES_FROM)?
            .unwrap_or(0u32);
        Ok(Self {
            mode,
            blocks,
            state_from: AtomicU32::new(state_from),
            bodies_from: AtomicU32::new(bodies_from),
        })
    }

    /// The mode in force.
    pub(crate) fn mode(&self) -> StatePruning {
        self.mode
    }

    /// The first block number whose state is kept (0 unless pruning has begun).
    pub(crate) fn state_from(&self) -> u32 {
        self.state_from.load(Ordering::Acquire)
    }

    /// The first canonical block number whose body is kept.
    pub(crate) fn bodies_from(&self) -> u32 {
        self.bodies_from.load(Ordering::Acquire)
    }

    /// A fresh set of STATE writes for one batch.
    pub(crate) fn commit(&self) -> StateCommit {
        StateCommit {
            counted: self.mode != StatePruning::Archive,
            inserted: Vec::new(),
            released: HashMap::new(),
            journal: None,
        }
    }

    /// Adds the trie nodes of the genesis state (or of any state written without a parent,
    /// such as a snapshot's) to `commit`: each gains one reference, nothing is journaled.
    pub(crate) fn insert_root_state(
        &self,
        commit: &mut StateCommit,
        mut transaction: sp_trie::PrefixedMemoryDB<BlakeTwo256>,
    ) {
        for (key, (value, rc)) in transaction.drain() {
            if rc > 0 {
                commit.inserted.push((key, value));
            }
        }
    }

    /// Adds block `hash`'s trie nodes and its journal to `commit`.
    pub(crate) fn insert_block(
        &self,
        commit: &mut StateCommit,
        hash: H256,
        number: u32,
        parent: H256,
        changes: StorageChanges<BlakeTwo256>,
    ) -> Result<()> {
        let mut journal = Journal {
            parent,
            ..Default::default()
        };
        let counted = commit.counted;
        let mut transaction = changes.transaction;
        for (key, (value, rc)) in transaction.drain() {
            if rc > 0 {
                if counted {
                    journal.inserted.push(key.clone());
                }
                commit.inserted.push((key, value));
            } else if rc < 0 && counted {
                journal.deleted.push(key);
            }
        }
        commit.journal = Some((journal_key(number, &hash), journal));
        Ok(())
    }

    /// Canonicalizes the blocks `newly` (hashes of blocks `old_finalized + 1 ..`, oldest
    /// first, as the finalized chain has them), discards the forks they exclude, and prunes
    /// state and bodies that fell out of the window; all into `commit` and `batch`. Call
    /// [`StateDb::applied`] with the result once the batch is written.
    pub(crate) fn finalize(
        &self,
        db: &Db,
        batch: &mut DbBatch<'_>,
        commit: &mut StateCommit,
        old_finalized: u32,
        newly: &[H256],
    ) -> Result<Pruned> {
        let mut out = Pruned::default();
        let new_finalized = old_finalized.saturating_add(newly.len() as u32);
        let canonical = |n: u32| -> Result<Option<H256>> {
            if n > old_finalized && n <= new_finalized {
                Ok(newly.get((n - old_finalized - 1) as usize).copied())
            } else {
                db.canonical_hash(n)
            }
        };

        // Forks: non-canonical blocks at the newly finalized heights, then their
        // descendants, level by level (no recursion: a long fork is a long loop).
        let mut discarded_below: HashSet<H256> = HashSet::new();
        let mut n = old_finalized.saturating_add(1);
        loop {
            if n > new_finalized && discarded_below.is_empty() {
                break;
            }
            let canon = if n <= new_finalized {
                canonical(n)?
            } else {
                None
            };
            let mut discarded_here = HashSet::new();
            for (key, raw) in db.prefix_entries(col::JOURNAL, &n.to_be_bytes())? {
                let Some(hash) = key.get(4..36).map(H256::from_slice) else {
                    continue;
                };
                // The parent leads the journal: the key lists are decoded only for a
                // block that is discarded.
                let discard = if n <= new_finalized {
                    Some(hash) != canon
                } else {
                    let parent = H256::decode(&mut &raw[..])
                        .map_err(|e| Error::Corrupt(format!("journal of {hash:?}: {e}")))?;
                    discarded_below.contains(&parent)
                };
                if discard {
                    let journal = Journal::decode(&mut &raw[..])
                        .map_err(|e| Error::Corrupt(format!("journal of {hash:?}: {e}")))?;
                    commit.release(journal.inserted);
                    batch.delete(col::JOURNAL, &key)?;
                    if self.blocks != BlocksPruning::Archive {
                        delete_body(db, batch, hash)?;
                    }
                    discarded_here.insert(hash);
                }
            }
            if let (Some(canon), false) = (canon, commit.counted) {
                // Archive: a finalized block's journal has served its purpose.
                let key = journal_key(n, &canon);
                if commit.journal.as_ref().is_some_and(|(k, _)| *k == key) {
                    commit.journal = None;
                } else {
                    batch.delete(col::JOURNAL, &key)?;
                }
            }
            out.discarded += discarded_here.len();
            discarded_below = discarded_here;
            n = n.saturating_add(1);
            if n == u32::MAX {
                break;
            }
        }

        // Canonical state below the window: apply the deletions of blocks
        // state_from + 1 ..= target, which frees the states of state_from .. target - 1.
        if let StatePruning::Constrained(keep) = self.mode {
            let target = new_finalized.saturating_add(1).saturating_sub(keep);
            let from = self.state_from();
            let upto = target.min(from.saturating_add(MAX_PRUNED_PER_BATCH));
            for b in from.saturating_add(1)..=upto {
                let Some(hash) = canonical(b)? else {
                    return Err(Error::Corrupt(format!("no canonical block #{b}")));
                };
                let key = journal_key(b, &hash);
                if commit.journal.as_ref().is_some_and(|(k, _)| *k == key) {
                    // Pruned in the batch that imports it (a window of one block).
                    if let Some((_, journal)) = commit.journal.take() {
                        commit.release(journal.deleted);
                    }
                    continue;
                }
                match db.get(col::JOURNAL, &key)? {
                    Some(raw) => {
                        let deleted = Journal::decode_deleted(&raw)
                            .map_err(|e| Error::Corrupt(format!("journal of {hash:?}: {e}")))?;
                        commit.release(deleted);
                        batch.delete(col::JOURNAL, &key)?;
                    }
                    // A block imported by an older node (schema 1) or below a snapshot:
                    // its dropped nodes stay, which wastes space but loses nothing.
                    None => tracing::debug!(target: "state-db", "no journal for #{b} {hash:?}"),
                }
            }
            if upto > from {
                batch.put(col::META, meta_key::STATE_FROM, &upto.encode())?;
                out.state_from = Some(upto);
            }
        }

        if let BlocksPruning::Some(keep) = self.blocks {
            let target = new_finalized.saturating_add(1).saturating_sub(keep);
            let from = self.bodies_from();
            let upto = target.min(from.saturating_add(MAX_PRUNED_PER_BATCH));
            for b in from..upto {
                if let Some(hash) = canonical(b)? {
                    delete_body(db, batch, hash)?;
                }
            }
            if upto > from {
                batch.put(col::META, meta_key::BODIES_FROM, &upto.encode())?;
                out.bodies_from = Some(upto);
            }
        }
        Ok(out)
    }

    /// Records what a written batch pruned.
    pub(crate) fn applied(&self, pruned: &Pruned) {
        if let Some(n) = pruned.state_from {
            self.state_from.store(n, Ordering::Release);
        }
        if let Some(n) = pruned.bodies_from {
            self.bodies_from.store(n, Ordering::Release);
        }
        if pruned.discarded > 0 {
            tracing::debug!(target: "state-db", "discarded {} fork blocks", pruned.discarded);
        }
    }
}

impl StateDb {
    /// Marks `number` as the first block with state and the one below the first body (a
    /// state imported without its ancestors', from a snapshot), in `batch`; call
    /// [`StateDb::applied`] once it is written.
    pub(crate) fn start_at(&self, batch: &mut DbBatch<'_>, number: u32) -> Result<Pruned> {
        let bodies_from = number.saturating_add(1);
        batch.put(col::META, meta_key::STATE_FROM, &number.encode())?;
        batch.put(col::META, meta_key::BODIES_FROM, &bodies_from.encode())?;
        Ok(Pruned {
            state_from: Some(number),
            bodies_from: Some(bodies_from),
            discarded: 0,
        })
    }
}

/// Deletes a block's body and the transaction index entries that point into it (an entry
/// of the same transaction in another block is left alone).
fn delete_body(db: &Db, batch: &mut DbBatch<'_>, hash: H256) -> Result<()> {
    let Some(body) = db.get_decoded::<Vec<OpaqueExtrinsic>>(col::BODIES, hash.as_bytes())? else {
        return Ok(());
    };
    for xt in &body {
        let tx_hash = BlakeTwo256::hash(&xt.encode());
        if let Some((in_block, _)) =
            db.get_decoded::<(H256, u32)>(col::TX_INDEX, tx_hash.as_bytes())?
        {
            if in_block == hash {
                batch.delete(col::TX_INDEX, tx_hash.as_bytes())?;
            }
        }
    }
    batch.delete(col::BODIES, hash.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journals_deletions_decode_without_its_insertions_and_damage_is_refused() {
        let journal = Journal {
            parent: H256::repeat_byte(7),
            inserted: vec![vec![1; 40], vec![], vec![2; 300]],
            deleted: vec![vec![3; 33], vec![4; 70]],
        };
        let raw = journal.encode();
        assert_eq!(Journal::decode_deleted(&raw).unwrap(), journal.deleted);
        assert_eq!(H256::decode(&mut &raw[..]).unwrap(), journal.parent);
        for cut in [0, 20, 40, 100, raw.len() - 1] {
            assert!(
                Journal::decode_deleted(&raw[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut longer = raw.clone();
        longer.push(0);
        assert!(Journal::decode_deleted(&longer).is_err());
        // A length prefix that claims more than there is.
        let mut lying = H256::zero().encode();
        lying.extend(codec::Compact(1u32).encode());
        lying.extend(codec::Compact(u32::MAX).encode());
        assert!(Journal::decode_deleted(&lying).is_err());
    }

    #[test]
    fn modes_parse_as_substrate_spells_them() {
        assert_eq!("archive".parse(), Ok(StatePruning::Archive));
        assert_eq!("256".parse(), Ok(StatePruning::Constrained(256)));
        assert!("0".parse::<StatePruning>().is_err());
        assert!("archive-canonical".parse::<StatePruning>().is_err());
        assert!("-1".parse::<StatePruning>().is_err());
        assert_eq!("archive".parse(), Ok(BlocksPruning::Archive));
        assert_eq!(
            "archive-canonical".parse(),
            Ok(BlocksPruning::ArchiveCanonical)
        );
        assert_eq!("1000".parse(), Ok(BlocksPruning::Some(1000)));
        assert!("lots".parse::<BlocksPruning>().is_err());
    }

    #[test]
    fn refcounts_merge_in_rocksdb_and_a_batch_sums_its_own_changes() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), &Default::default()).unwrap();
        let count = |key: &[u8]| db.get(col::STATE_RC, key).unwrap().map(|r| decode_rc(&r));
        let mut batch = db.batch();
        for delta in [1, 1, 1, -1] {
            batch.merge(col::STATE_RC, b"k", &encode_rc(delta)).unwrap();
        }
        db.write(batch).unwrap();
        assert_eq!(count(b"k"), Some(Some(2)));

        // One batch adds a reference to `k` and drops two: the sum (1) is written, not an
        // overwrite of the pending merge.
        let state = |counted| StateCommit {
            counted,
            inserted: Vec::new(),
            released: HashMap::new(),
            journal: None,
        };
        let mut commit = state(true);
        commit.inserted.push((b"k".to_vec(), b"node".to_vec()));
        commit.release(vec![b"k".to_vec(), b"k".to_vec()]);
        let mut batch = db.batch();
        commit.write_into(&db, &mut batch).unwrap();
        db.write(batch).unwrap();
        assert_eq!(count(b"k"), Some(Some(1)));
        assert_eq!(db.get(col::STATE, b"k").unwrap(), Some(b"node".to_vec()));

        // The last reference goes: node and count are deleted; a later birth starts at 1.
        let mut commit = state(true);
        commit.release(vec![b"k".to_vec()]);
        let mut batch = db.batch();
        commit.write_into(&db, &mut batch).unwrap();
        db.write(batch).unwrap();
        assert_eq!(count(b"k"), None);
        assert_eq!(db.get(col::STATE, b"k").unwrap(), None);
        let mut commit = state(true);
        commit.inserted.push((b"k".to_vec(), b"node".to_vec()));
        let mut batch = db.batch();
        commit.write_into(&db, &mut batch).unwrap();
        db.write(batch).unwrap();
        assert_eq!(count(b"k"), Some(Some(1)));

        // A malformed operand is a read error, not a silent zero.
        let mut batch = db.batch();
        batch.merge(col::STATE_RC, b"k", b"bad").unwrap();
        db.write(batch).unwrap();
        assert!(db.get(col::STATE_RC, b"k").is_err());
    }
}
