//! State pruning: which trie nodes of the STATE column may be deleted, and when
//! (`--state-pruning`), and which block bodies (`--blocks-pruning`).
//!
//! # Design
//!
//! Trie nodes live in STATE under `sp_trie::prefixed_key(hash, position)`: a node of the
//! same content at the same position is one key, shared by every block whose trie holds
//! it. Importing a block yields sp-trie's delta against its parent (`drain_storage_changes`:
//! `+1` for a node the new trie has and the parent's lacks, `-1` for the reverse): the
//! block's *births* and *deaths*. Along one chain a key alternates: born, dead, born again.
//!
//! - **Archive** (`--state-pruning archive`, and every database of schema 1): inserted nodes
//!   are written, nothing is ever deleted. A small journal per block (its parent) is still
//!   written, so that forks can be found and their bodies discarded on finality; it is
//!   dropped once the block is finalized or discarded.
//! - **Constrained(N)** (the default, 256), journaled per block as Substrate's state-db is,
//!   with no reference counts and no reads of the state to decide a deletion:
//!   - An unfinalized block's journal (JOURNAL, keyed by number and hash) lists the keys it
//!     inserted and the keys it deleted.
//!   - On finality, a canonical block's journal becomes its *death row* (DEATH_ROWS): the
//!     keys it deleted, and 64-bit fingerprints of the keys it inserted. A block that is
//!     not on the finalized chain (and every block built on it) is discarded.
//!   - In memory, the node keeps two multisets of fingerprints (rebuilt from the journals
//!     and death rows when the database opens): the *births* and the *deaths* of every
//!     block whose state is kept or not yet finalized (`state_from` and above). At 1,000
//!     transfers a block that is a few tens of MB for a window of 256.
//!   - **Pruning** block `b` (the state of `b - 1` leaves the window): a key `b` deleted is
//!     deleted from STATE unless a later block, kept or unfinalized, was born with it again
//!     (a balance back at a former value). Nothing earlier can need it: every state that
//!     held it is `b - 1` or older. Then `b`'s births and deaths leave the multisets.
//!   - **Discarding** a fork block: a key it inserted is deleted unless another kept block
//!     inserted it too (a sibling with the same change), a kept block deleted it (so the
//!     state before that block holds it), or it was in the state the fork grew from (the
//!     first change of that key along the discarded branch is a deletion: checked exactly,
//!     on the branch's full keys).
//!   - A fingerprint collision can only keep a dead node (a few bytes leaked), never
//!     delete a live one: every test of a fingerprint keeps, every deletion needs all of
//!     them to fail.
//! - Everything a finalization does goes into the WriteBatch of the finality update (or of
//!   the import that finalizes), together with the new `state_from`; the in-memory
//!   multisets change only once that batch is written ([`StateDb::applied`]). A `kill -9`
//!   at any moment leaves either the old finalized block with its journals, or the new one
//!   with pruning applied; the multisets are rebuilt from whichever it is.
//! - Reading a block's state: a block below `state_from`, or a non-canonical block at or
//!   below the finalized one, has no state: the client answers
//!   [`Error::StateUnavailable`](crate::Error::StateUnavailable), which RPC reports as
//!   Substrate does ("State already discarded for ...").
//! - The mode is stored in META. As in Substrate's state-db, an archive database cannot be
//!   reopened pruned nor the reverse; a pruned database may change its N.
//! - Schema 2 (the design before this one) counted references in STATE_RC with a merge
//!   operator: pruning read thousands of counts a block and cost about 45 % of import.
//!   [`migrate_schema_2`] turns such a database into this layout when it opens.
//! - Block bodies (`--blocks-pruning`): `archive` keeps all, `archive-canonical` (default)
//!   deletes the bodies of discarded forks, `N` also deletes canonical bodies below
//!   `finalized + 1 - N`. Headers and justifications stay (GRANDPA's proofs need them).

use crate::{
    db::{col, meta_key, Db, DbBatch},
    error::{Error, Result},
};
use codec::{Decode, Encode};
use parking_lot::Mutex;
use sp_core::H256;
use sp_runtime::{
    traits::{BlakeTwo256, Hash as _},
    OpaqueExtrinsic,
};
use sp_state_machine::StorageChanges;
use std::{
    collections::{HashMap, HashSet},
    fmt,
    hash::{BuildHasherDefault, Hasher},
    str::FromStr,
    sync::atomic::{AtomicU32, Ordering},
    time::Instant,
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

/// What an unfinalized block changed in STATE (JOURNAL), kept until it is finalized or
/// discarded.
#[derive(Debug, Default, Encode, Decode)]
struct Journal {
    parent: H256,
    /// Keys of the nodes the block inserted (constrained mode only).
    inserted: Vec<Vec<u8>>,
    /// Keys of the nodes the block's trie dropped from its parent's (constrained mode only).
    deleted: Vec<Vec<u8>>,
}

/// What a finalized canonical block changed in STATE (DEATH_ROWS), kept until it is pruned.
#[derive(Debug, Default, PartialEq, Eq, Encode, Decode)]
struct DeathRow {
    /// Keys of the nodes the block's trie dropped from its parent's: deleted when the block
    /// is pruned, unless born again since.
    deleted: Vec<Vec<u8>>,
    /// [`fingerprint`]s of the keys the block inserted.
    born: Vec<u64>,
}

impl From<Journal> for DeathRow {
    fn from(journal: Journal) -> Self {
        DeathRow {
            born: fingerprints(&journal.inserted).collect(),
            deleted: journal.deleted,
        }
    }
}

fn journal_key(number: u32, hash: &H256) -> Vec<u8> {
    let mut key = Vec::with_capacity(36);
    key.extend_from_slice(&number.to_be_bytes());
    key.extend_from_slice(hash.as_bytes());
    key
}

/// A 64-bit fingerprint of a STATE key: FNV-1a, then murmur3's finalizer so that every bit
/// depends on every byte. Stable across builds and versions (death rows store it).
pub(crate) fn fingerprint(key: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key {
        h ^= u64::from(*byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Schema 2's reference counts: little-endian `i64`s.
fn decode_rc(raw: &[u8]) -> Option<i64> {
    Some(i64::from_le_bytes(raw.try_into().ok()?))
}

/// RocksDB's merge operator of STATE_RC (schema 2; kept so that an unmigrated column still
/// reads): the sum of the operands. An operand that is not eight bytes fails the merge,
/// which RocksDB reports as corruption on read.
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

/// The [`fingerprint`]s of `keys`, in order.
fn fingerprints(keys: &[Vec<u8>]) -> impl Iterator<Item = u64> + '_ {
    keys.iter().map(|k| fingerprint(k))
}

/// Hashes a fingerprint to itself: it is uniform already.
#[derive(Default)]
struct FingerprintHasher(u64);

impl Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type FpMap<V> = HashMap<u64, V, BuildHasherDefault<FingerprintHasher>>;

/// The births and deaths of every block whose state is kept or not yet finalized, as
/// multisets of fingerprints (see the module doc).
#[derive(Default)]
struct Index {
    births: FpMap<u32>,
    deaths: FpMap<u32>,
}

impl Index {
    fn add(map: &mut FpMap<u32>, fps: impl IntoIterator<Item = u64>) {
        for fp in fps {
            let n = map.entry(fp).or_default();
            *n = n.saturating_add(1);
        }
    }

    fn apply(map: &mut FpMap<u32>, delta: FpMap<i64>) {
        for (fp, d) in delta {
            let current = i64::from(map.get(&fp).copied().unwrap_or(0));
            let new = current.saturating_add(d);
            if new <= 0 {
                map.remove(&fp);
            } else {
                map.insert(fp, u32::try_from(new).unwrap_or(u32::MAX));
            }
        }
    }
}

/// Changes to the [`Index`] that one batch makes, applied once it is written.
#[derive(Default)]
pub(crate) struct IndexDelta {
    births: FpMap<i64>,
    deaths: FpMap<i64>,
}

impl IndexDelta {
    fn add(map: &mut FpMap<i64>, fps: impl IntoIterator<Item = u64>, by: i64) {
        for fp in fps {
            let n = map.entry(fp).or_default();
            *n = n.saturating_add(by);
        }
    }
}

/// Whether `fp` is in the multiset `base` changed by `delta`.
fn present(base: &FpMap<u32>, delta: &FpMap<i64>, fp: u64) -> bool {
    i64::from(base.get(&fp).copied().unwrap_or(0))
        .saturating_add(delta.get(&fp).copied().unwrap_or(0))
        > 0
}

/// The STATE writes of one database batch.
pub(crate) struct StateCommit {
    counted: bool,
    inserted: Vec<(Vec<u8>, Vec<u8>)>,
    /// Keys no kept or unfinalized state holds any more.
    dead: Vec<Vec<u8>>,
    /// The journal of the block imported in this batch (key, journal), written last unless
    /// finalization in the same batch already consumed it.
    journal: Option<(Vec<u8>, Journal)>,
    delta: IndexDelta,
}

impl StateCommit {
    /// Adds the gathered writes to `batch`; returns what the in-memory index must learn
    /// once the batch is written (pass it to [`StateDb::applied`]).
    pub(crate) fn write_into(self, batch: &mut DbBatch<'_>) -> Result<IndexDelta> {
        if let Some((key, journal)) = &self.journal {
            batch.put(col::JOURNAL, key, &journal.encode())?;
        }
        // Deletions first: should a key be both (it never is: a key born in this batch is
        // in the births), the insertion wins.
        for key in &self.dead {
            batch.delete(col::STATE, key)?;
        }
        for (key, value) in &self.inserted {
            batch.put(col::STATE, key, value)?;
        }
        Ok(self.delta)
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
    /// Trie nodes deleted.
    pub(crate) nodes: usize,
    /// A state was imported without its ancestors: the index starts afresh.
    reset: bool,
}

/// The pruning mode of an open database and how far pruning has gone.
pub(crate) struct StateDb {
    mode: StatePruning,
    blocks: BlocksPruning,
    /// First block number whose state is kept (META/state_from).
    state_from: AtomicU32,
    /// First canonical block number whose body is kept (META/bodies_from).
    bodies_from: AtomicU32,
    /// Births and deaths of the kept and unfinalized blocks (constrained mode).
    index: Mutex<Index>,
}

impl StateDb {
    /// Reads (or, for a new database, records) the pruning mode. `requested` is the
    /// operator's choice (`None`: whatever the database has, 256 for a new one). A pruned
    /// database's index is rebuilt from its journals and death rows.
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
        let mut index = Index::default();
        if mode != StatePruning::Archive {
            let started = Instant::now();
            let (mut rows, mut journals) = (0usize, 0usize);
            db.for_each(col::DEATH_ROWS, |key, raw| {
                let row = DeathRow::decode(&mut &raw[..])
                    .map_err(|e| Error::Corrupt(format!("death row {}: {e}", hex::encode(key))))?;
                Index::add(&mut index.births, row.born);
                Index::add(&mut index.deaths, fingerprints(&row.deleted));
                rows += 1;
                Ok(())
            })?;
            db.for_each(col::JOURNAL, |key, raw| {
                let journal = Journal::decode(&mut &raw[..])
                    .map_err(|e| Error::Corrupt(format!("journal {}: {e}", hex::encode(key))))?;
                Index::add(&mut index.births, fingerprints(&journal.inserted));
                Index::add(&mut index.deaths, fingerprints(&journal.deleted));
                journals += 1;
                Ok(())
            })?;
            tracing::debug!(
                target: "state-db",
                "index of {rows} death rows and {journals} journals ({} births, {} deaths) \
                 read in {} ms",
                index.births.len(),
                index.deaths.len(),
                started.elapsed().as_millis()
            );
        }
        Ok(Self {
            mode,
            blocks,
            state_from: AtomicU32::new(state_from),
            bodies_from: AtomicU32::new(bodies_from),
            index: Mutex::new(index),
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
            dead: Vec::new(),
            journal: None,
            delta: IndexDelta::default(),
        }
    }

    /// Adds the trie nodes of the genesis state (or of any state written without a parent,
    /// such as a snapshot's) to `commit`; nothing is journaled.
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
        if counted {
            let delta = &mut commit.delta;
            IndexDelta::add(&mut delta.births, fingerprints(&journal.inserted), 1);
            IndexDelta::add(&mut delta.deaths, fingerprints(&journal.deleted), 1);
        }
        commit.journal = Some((journal_key(number, &hash), journal));
        Ok(())
    }

    /// Canonicalizes the blocks `newly` (hashes of blocks `old_finalized + 1 ..`, oldest
    /// first, as the finalized chain has them), discards the forks they exclude, and prunes
    /// state and bodies that fell out of the window; all into `commit` and `batch`. Call
    /// [`StateDb::applied`] with the result and the commit's delta once the batch is
    /// written.
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
        // Held until the batch is built; imports and finality updates are serialized by
        // the client, so nothing else changes the index meanwhile.
        let index = self.index.lock();
        let dead_before = commit.dead.len();

        // Forks: non-canonical blocks at the newly finalized heights, then their
        // descendants, level by level (no recursion: a long fork is a long loop).
        let mut discarded: HashMap<H256, Journal> = HashMap::new();
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
                    batch.delete(col::JOURNAL, &key)?;
                    if self.blocks != BlocksPruning::Archive {
                        delete_body(db, batch, hash)?;
                    }
                    discarded_here.insert(hash);
                    discarded.insert(hash, journal);
                }
            }
            out.discarded += discarded_here.len();
            discarded_below = discarded_here;
            n = n.saturating_add(1);
            if n == u32::MAX {
                break;
            }
        }
        if commit.counted && !discarded.is_empty() {
            discard_nodes(&index, commit, &discarded);
        }

        // The newly finalized blocks: an archive drops their journals; a pruned database
        // turns each into a death row.
        let mut rows: HashMap<u32, (Vec<u8>, DeathRow)> = HashMap::new();
        for (i, hash) in newly.iter().enumerate() {
            let number = old_finalized
                .checked_add(1)
                .and_then(|n| n.checked_add(u32::try_from(i).ok()?))
                .ok_or_else(|| Error::Corrupt("finalized block number overflows".into()))?;
            let key = journal_key(number, hash);
            let journal =
                if commit.journal.as_ref().is_some_and(|(k, _)| *k == key) {
                    commit.journal.take().map(|(_, j)| j)
                } else {
                    match db.get(col::JOURNAL, &key)? {
                        Some(raw) => {
                            batch.delete(col::JOURNAL, &key)?;
                            if commit.counted {
                                Some(Journal::decode(&mut &raw[..]).map_err(|e| {
                                    Error::Corrupt(format!("journal of {hash:?}: {e}"))
                                })?)
                            } else {
                                None
                            }
                        }
                        None => None,
                    }
                };
            match journal {
                Some(journal) if commit.counted => {
                    rows.insert(number, (key, journal.into()));
                }
                // A block imported by an older node or below a snapshot: its dropped nodes
                // stay, which wastes space but loses nothing.
                None if commit.counted => {
                    tracing::debug!(target: "state-db", "no journal for #{number} {hash:?}")
                }
                _ => {}
            }
        }

        // Canonical state below the window: apply the deaths of blocks
        // state_from + 1 ..= target, which frees the states of state_from .. target - 1.
        if let StatePruning::Constrained(keep) = self.mode {
            let target = new_finalized.saturating_add(1).saturating_sub(keep);
            let from = self.state_from();
            let upto = target.min(from.saturating_add(MAX_PRUNED_PER_BATCH));
            for b in from.saturating_add(1)..=upto {
                let Some(hash) = canonical(b)? else {
                    return Err(Error::Corrupt(format!("no canonical block #{b}")));
                };
                let row = match rows.remove(&b) {
                    // Finalized and pruned in one batch: never written.
                    Some((_, row)) => Some(row),
                    None => {
                        let key = journal_key(b, &hash);
                        match db.get(col::DEATH_ROWS, &key)? {
                            Some(raw) => {
                                batch.delete(col::DEATH_ROWS, &key)?;
                                Some(DeathRow::decode(&mut &raw[..]).map_err(|e| {
                                    Error::Corrupt(format!("death row of {hash:?}: {e}"))
                                })?)
                            }
                            None => None,
                        }
                    }
                };
                let Some(row) = row else {
                    tracing::debug!(target: "state-db", "no death row for #{b} {hash:?}");
                    continue;
                };
                prune_row(&index, commit, row);
            }
            if upto > from {
                batch.put(col::META, meta_key::STATE_FROM, &upto.encode())?;
                out.state_from = Some(upto);
            }
        }
        for (key, row) in rows.into_values() {
            batch.put(col::DEATH_ROWS, &key, &row.encode())?;
        }
        out.nodes = commit.dead.len() - dead_before;

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

    /// Records what a written batch pruned, and what it changed in the index.
    pub(crate) fn applied(&self, pruned: &Pruned, delta: IndexDelta) {
        {
            let mut index = self.index.lock();
            if pruned.reset {
                *index = Index::default();
            }
            Index::apply(&mut index.births, delta.births);
            Index::apply(&mut index.deaths, delta.deaths);
        }
        if let Some(n) = pruned.state_from {
            self.state_from.store(n, Ordering::Release);
        }
        if let Some(n) = pruned.bodies_from {
            self.bodies_from.store(n, Ordering::Release);
        }
        if pruned.discarded > 0 || pruned.nodes > 0 {
            tracing::debug!(
                target: "state-db",
                "discarded {} fork blocks, deleted {} trie nodes",
                pruned.discarded,
                pruned.nodes
            );
        }
    }

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
            reset: true,
            ..Default::default()
        })
    }
}

/// Pruning one canonical block: each key its death row lists is dead unless a later block
/// (kept or unfinalized) was born with it; then the block's births and deaths leave the
/// index.
fn prune_row(index: &Index, commit: &mut StateCommit, row: DeathRow) {
    let delta = &mut commit.delta;
    let mut deaths = Vec::with_capacity(row.deleted.len());
    for key in row.deleted {
        let fp = fingerprint(&key);
        deaths.push(fp);
        if !present(&index.births, &delta.births, fp) {
            commit.dead.push(key);
        }
    }
    IndexDelta::add(&mut delta.births, row.born, -1);
    IndexDelta::add(&mut delta.deaths, deaths, -1);
}

/// The keys a discarded block inserted and those it deleted.
type KeySets<'a> = (HashSet<&'a [u8]>, HashSet<&'a [u8]>);

/// Discarding fork blocks (`discarded`, with their journals): their births and deaths leave
/// the index, then each key they inserted is dead unless a kept block was born with it or
/// deleted it, or the branch's state held it before (see the module doc).
fn discard_nodes(index: &Index, commit: &mut StateCommit, discarded: &HashMap<H256, Journal>) {
    let delta = &mut commit.delta;
    for journal in discarded.values() {
        IndexDelta::add(&mut delta.births, fingerprints(&journal.inserted), -1);
        IndexDelta::add(&mut delta.deaths, fingerprints(&journal.deleted), -1);
    }
    // Full keys of each discarded block's changes, for the exact test along a branch.
    let sets: HashMap<H256, KeySets<'_>> = discarded
        .iter()
        .map(|(hash, j)| {
            let inserted = j.inserted.iter().map(|k| &k[..]).collect();
            let deleted = j.deleted.iter().map(|k| &k[..]).collect();
            (*hash, (inserted, deleted))
        })
        .collect();
    // Whether `key`'s first change on the discarded branch above `parent` (inclusive) was
    // a deletion: then the state the branch grew from holds it.
    let held_before = |key: &[u8], mut at: H256| -> bool {
        let mut first_is_deletion = false;
        for _ in 0..=discarded.len() {
            let (Some((inserted, deleted)), Some(journal)) = (sets.get(&at), discarded.get(&at))
            else {
                break;
            };
            if inserted.contains(key) {
                first_is_deletion = false;
            } else if deleted.contains(key) {
                first_is_deletion = true;
            }
            at = journal.parent;
        }
        first_is_deletion
    };
    for journal in discarded.values() {
        for key in &journal.inserted {
            let fp = fingerprint(key);
            if present(&index.births, &delta.births, fp)
                || present(&index.deaths, &delta.deaths, fp)
                || held_before(key, journal.parent)
            {
                continue;
            }
            commit.dead.push(key.clone());
        }
    }
}

/// Turns a schema-2 database (reference counts in STATE_RC, canonical blocks' journals in
/// JOURNAL) into the current layout, in `batch`: each finalized block's journal becomes its
/// death row, and every count is deleted. Returns the number of death rows written. An
/// archive has neither, and only needs its schema version bumped.
pub(crate) fn migrate_schema_2(db: &Db, batch: &mut DbBatch<'_>) -> Result<usize> {
    let mode: Option<StatePruning> = db.get_decoded(col::META, meta_key::STATE_PRUNING)?;
    if !matches!(mode, Some(StatePruning::Constrained(_))) {
        return Ok(0);
    }
    let finalized = db
        .meta_pointer(meta_key::FINALIZED)?
        .map(|(_, n)| n)
        .unwrap_or(0);
    let mut rows = 0;
    db.for_each(col::JOURNAL, |key, raw| {
        let Some(number) = key
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        else {
            return Ok(());
        };
        if number > finalized {
            return Ok(());
        }
        let journal = Journal::decode(&mut &raw[..])
            .map_err(|e| Error::Corrupt(format!("journal {}: {e}", hex::encode(key))))?;
        batch.put(col::DEATH_ROWS, key, &DeathRow::from(journal).encode())?;
        batch.delete(col::JOURNAL, key)?;
        rows += 1;
        Ok(())
    })?;
    batch.delete_all(col::STATE_RC)?;
    Ok(rows)
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
    fn fingerprints_are_pinned_because_death_rows_store_them() {
        // Computed by an independent FNV-1a + fmix64 (Python). A change to the function would make every stored death row's births unknown to
        // the index of a new build (and so leak their nodes): it must not change.
        assert_eq!(fingerprint(b""), 0xefd0_1f60_ba99_2926);
        assert_eq!(fingerprint(b"state key"), 0xd264_d393_64ee_9891);
        // Every byte counts, wherever it is.
        let key = vec![7u8; 65];
        let fp = fingerprint(&key);
        for i in [0, 32, 64] {
            let mut other = key.clone();
            other[i] ^= 1;
            assert_ne!(fingerprint(&other), fp, "byte {i}");
        }
    }

    #[test]
    fn the_index_is_a_multiset_changed_only_by_applied_deltas() {
        let mut index = Index::default();
        Index::add(&mut index.births, [1, 1, 2]);
        let mut delta = IndexDelta::default();
        IndexDelta::add(&mut delta.births, [1, 2, 3], -1);
        IndexDelta::add(&mut delta.births, [3], 1);
        // Staged: 1 is still born once, 2 no more, 3 not at all.
        assert!(present(&index.births, &delta.births, 1));
        assert!(!present(&index.births, &delta.births, 2));
        assert!(!present(&index.births, &delta.births, 3));
        assert_eq!(index.births.get(&2), Some(&1), "nothing applied yet");
        Index::apply(&mut index.births, delta.births);
        assert_eq!(index.births.get(&1), Some(&1));
        assert!(!index.births.contains_key(&2) && !index.births.contains_key(&3));
        // Removing what is absent clamps at zero rather than wrapping.
        let mut delta = IndexDelta::default();
        IndexDelta::add(&mut delta.births, [9], -5);
        Index::apply(&mut index.births, delta.births);
        assert!(!index.births.contains_key(&9));
    }

    #[test]
    fn a_death_row_keeps_the_deleted_keys_and_fingerprints_the_born_ones() {
        let journal = Journal {
            parent: H256::repeat_byte(7),
            inserted: vec![vec![1; 40], vec![2; 300]],
            deleted: vec![vec![3; 33], vec![4; 70]],
        };
        let row = DeathRow::from(journal);
        assert_eq!(row.deleted, vec![vec![3; 33], vec![4; 70]]);
        assert_eq!(
            row.born,
            vec![fingerprint(&[1; 40]), fingerprint(&[2; 300])]
        );
        let raw = row.encode();
        assert_eq!(DeathRow::decode(&mut &raw[..]).unwrap(), row);
        for cut in [0, 10, raw.len() - 1] {
            assert!(DeathRow::decode(&mut &raw[..cut]).is_err(), "cut at {cut}");
        }
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
    fn a_schema_2_database_is_migrated_to_death_rows_and_loses_its_counts() {
        let dir = tempfile::tempdir().unwrap();
        let finalized = H256::repeat_byte(5);
        let canonical = Journal {
            parent: H256::repeat_byte(4),
            inserted: vec![b"born at 5".to_vec()],
            deleted: vec![b"died at 5".to_vec()],
        };
        let pending = Journal {
            parent: finalized,
            inserted: vec![b"born at 6".to_vec()],
            deleted: vec![],
        };
        {
            // What a schema-2 node left: counts, a finalized block's journal and an
            // unfinalized one's.
            let db = Db::open(dir.path(), &Default::default()).unwrap();
            let mut batch = db.batch();
            batch
                .put(col::META, meta_key::SCHEMA, &2u32.encode())
                .unwrap();
            batch
                .put(col::META, meta_key::GENESIS, &(H256::zero(), 0u32).encode())
                .unwrap();
            batch
                .put(
                    col::META,
                    meta_key::STATE_PRUNING,
                    &StatePruning::Constrained(16).encode(),
                )
                .unwrap();
            batch
                .put(col::META, meta_key::FINALIZED, &(finalized, 5u32).encode())
                .unwrap();
            batch
                .put(
                    col::JOURNAL,
                    &journal_key(5, &finalized),
                    &canonical.encode(),
                )
                .unwrap();
            let six = H256::repeat_byte(6);
            batch
                .put(col::JOURNAL, &journal_key(6, &six), &pending.encode())
                .unwrap();
            for key in [&b"born at 5"[..], b"other", &[0xff; 65]] {
                batch.put(col::STATE_RC, key, &1i64.to_le_bytes()).unwrap();
            }
            db.write(batch).unwrap();
        }
        let db = Db::open(dir.path(), &Default::default()).unwrap();
        assert_eq!(
            db.get_decoded::<u32>(col::META, meta_key::SCHEMA).unwrap(),
            Some(3)
        );
        assert_eq!(
            db.column_stats(col::STATE_RC).unwrap().0,
            0,
            "counts dropped"
        );
        let row: DeathRow = db
            .get_decoded(col::DEATH_ROWS, &journal_key(5, &finalized))
            .unwrap()
            .expect("the finalized block's journal became its death row");
        assert_eq!(row, DeathRow::from(canonical));
        assert_eq!(
            db.column_stats(col::JOURNAL).unwrap().0,
            1,
            "the unfinalized one stays"
        );
        // The index is rebuilt from both.
        let state_db = StateDb::open(&db, None, BlocksPruning::ArchiveCanonical).unwrap();
        let index = state_db.index.lock();
        for key in [&b"born at 5"[..], b"born at 6"] {
            assert!(index.births.contains_key(&fingerprint(key)));
        }
        assert!(index.deaths.contains_key(&fingerprint(b"died at 5")));
    }
}
