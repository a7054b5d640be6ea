//! State snapshots (issue 18, item 3): the state at one finalized block written to a file
//! (`echonet-node export-state --at <hash> FILE`), and a fresh database started from such a
//! file (`import-state FILE --trusted-hash <hash>`), with no blocks below it.
//!
//! File format, version 1 (all integers little-endian):
//! - `b"ECHOSNAP"`, then the version (`u32`);
//! - the length (`u32`, at most [`MAX_PREAMBLE`]) and SCALE bytes of a [`Preamble`]: genesis
//!   hash, the block's header and its justifications;
//! - the state's entries in key order, each `u32` key length, key, `u32` value length,
//!   value (keys at most [`MAX_KEY`], values at most [`MAX_VALUE`] bytes);
//! - an end marker (`u32::MAX`) and the number of entries (`u64`).
//!
//! Nothing in the file is believed: the header must hash to the hash the operator trusts,
//! the genesis must be the chain's, and the trie rebuilt from the entries must have the
//! header's state root. A truncated file, a flipped byte or another block's snapshot is
//! refused with [`Error::Snapshot`] and writes nothing. The trie is rebuilt in memory, so
//! importing takes memory of the order of the state's size (bounded by
//! [`MAX_STATE_BYTES`]).

use super::{hash_key, Client};
use crate::{
    db::{col, meta_key},
    error::{Error, Result},
};
use codec::{Decode, DecodeLimit, Encode};
use echonet_runtime::Header;
use sp_core::H256;
use sp_runtime::{traits::BlakeTwo256, Justifications};
use sp_state_machine::{Backend as _, IterArgs};
use sp_trie::{trie_types::TrieDBMutBuilderV1, PrefixedMemoryDB, TrieMut};
use std::io::{Read, Write};

const MAGIC: &[u8; 8] = b"ECHOSNAP";
const VERSION: u32 = 1;
/// Largest preamble (header and justifications) accepted.
pub const MAX_PREAMBLE: u32 = 1 << 20;
/// Largest storage key accepted.
pub const MAX_KEY: u32 = 1 << 16;
/// Largest storage value accepted (the runtime's code is the largest value).
pub const MAX_VALUE: u32 = 64 << 20;
/// Largest state (keys and values) a snapshot may hold.
pub const MAX_STATE_BYTES: u64 = 8 << 30;
const END: u32 = u32::MAX;

/// What a snapshot says about its block.
#[derive(Debug, Encode, Decode)]
pub struct Preamble {
    /// The chain's genesis hash.
    pub genesis: H256,
    /// The block whose state follows.
    pub header: Header,
    /// Its justifications (a GRANDPA justification when the node had one).
    pub justifications: Option<Justifications>,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::Snapshot(msg.into())
}

fn read_exact(r: &mut impl Read, buf: &mut [u8], what: &str) -> Result<()> {
    r.read_exact(buf)
        .map_err(|e| bad(format!("truncated or unreadable snapshot ({what}): {e}")))
}

fn read_u32(r: &mut impl Read, what: &str) -> Result<u32> {
    let mut b = [0u8; 4];
    read_exact(r, &mut b, what)?;
    Ok(u32::from_le_bytes(b))
}

fn read_bytes(r: &mut impl Read, len: u32, what: &str) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; len as usize];
    read_exact(r, &mut buf, what)?;
    Ok(buf)
}

/// A state trie built in memory from its entries, in strictly increasing key order, as
/// they come (a snapshot's, or warp sync's chunks), then written by
/// [`Client::import_built_state`]. Bounded by [`MAX_KEY`], [`MAX_VALUE`] and
/// [`MAX_STATE_BYTES`].
pub struct StateBuilder {
    nodes: PrefixedMemoryDB<BlakeTwo256>,
    root: H256,
    started: bool,
    count: u64,
    bytes: u64,
    last: Option<Vec<u8>>,
}

impl Default for StateBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl StateBuilder {
    /// An empty state.
    pub fn new() -> Self {
        Self {
            nodes: PrefixedMemoryDB::default(),
            root: H256::zero(),
            started: false,
            count: 0,
            bytes: 0,
            last: None,
        }
    }

    /// Adds entries that come after every entry added so far, in strictly increasing key
    /// order. On an error the builder is to be dropped.
    pub fn insert_sorted(
        &mut self,
        entries: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>,
    ) -> Result<()> {
        let mut entries = entries.into_iter().peekable();
        if entries.peek().is_none() {
            return Ok(());
        }
        let mut trie = if self.started {
            TrieDBMutBuilderV1::<BlakeTwo256>::from_existing(&mut self.nodes, &mut self.root)
                .build()
        } else {
            self.started = true;
            TrieDBMutBuilderV1::<BlakeTwo256>::new(&mut self.nodes, &mut self.root).build()
        };
        for (key, value) in entries {
            if key.len() > MAX_KEY as usize {
                return Err(bad(format!("a key of {} bytes is too large", key.len())));
            }
            if value.len() > MAX_VALUE as usize {
                return Err(bad(format!(
                    "a value of {} bytes is too large",
                    value.len()
                )));
            }
            if self.last.as_ref().is_some_and(|p| *p >= key) {
                return Err(bad("entries are not in strictly increasing key order"));
            }
            self.bytes += (key.len() + value.len()) as u64;
            if self.bytes > MAX_STATE_BYTES {
                return Err(bad("the state is too large"));
            }
            trie.insert(&key, &value)
                .map_err(|e| bad(format!("trie insertion: {e}")))?;
            self.last = Some(key);
            self.count += 1;
        }
        trie.commit();
        Ok(())
    }

    /// Entries added so far.
    pub fn entries(&self) -> u64 {
        self.count
    }

    /// Bytes of keys and values added so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The last key added.
    pub fn last_key(&self) -> Option<&[u8]> {
        self.last.as_deref()
    }
}

/// A storage entry: key and value.
pub type StateEntry = (Vec<u8>, Vec<u8>);

/// Checks a chunk of state served for warp sync: `proof` (trie nodes) must hold the
/// entries of the state with root `root` from `start` (inclusive) on, in key order. Returns
/// those entries, as many as the nodes reach without a gap (the iteration stops at the
/// first node missing from the proof, so no key in the range can be left out), and
/// whether they reach the state's last key. A proof with nodes of another state, or
/// missing the root, yields no entries.
pub fn verify_state_chunk(
    root: H256,
    start: &[u8],
    proof: Vec<Vec<u8>>,
) -> Result<(Vec<StateEntry>, bool)> {
    let proof = sp_trie::StorageProof::new(proof);
    let start = (!start.is_empty()).then_some(start);
    sp_state_machine::read_range_proof_check::<BlakeTwo256>(root, proof, None, None, None, start)
        .map_err(|e| bad(format!("state chunk proof: {e}")))
}

/// The smallest key after `key` in key order (for the next chunk's inclusive start).
pub fn next_key(key: &[u8]) -> Vec<u8> {
    let mut next = key.to_vec();
    next.push(0);
    next
}

impl Client {
    /// Warp sync's server side: the trie nodes visited while iterating the state of block
    /// `hash` from `start` (inclusive) in key order, until about `budget` bytes of nodes
    /// (always at least one entry), as [`verify_state_chunk`] checks them.
    /// [`Error::StateUnavailable`] if the block's state is not kept.
    pub fn state_chunk_proof(
        &self,
        hash: H256,
        start: &[u8],
        budget: usize,
    ) -> Result<Vec<Vec<u8>>> {
        let state = self.state_at(hash)?;
        let start = (!start.is_empty()).then_some(start);
        let (proof, _count) = sp_state_machine::prove_range_read_with_size::<_, BlakeTwo256>(
            state, None, None, budget, start,
        )
        .map_err(|e| self.read_error(hash, e))?;
        Ok(proof.into_iter_nodes().collect())
    }

    /// Writes the state at finalized block `hash` to `out` in the snapshot format; returns
    /// the number of entries. [`Error::StateUnavailable`] if the state is pruned.
    pub fn export_state(&self, hash: H256, out: &mut impl Write) -> Result<u64> {
        let header = self.expect_header(hash)?;
        let info = self.info();
        if header.number > info.finalized_number
            || self.db.canonical_hash(header.number)? != Some(hash)
        {
            return Err(bad(format!(
                "block {hash:?} is not finalized: only a finalized block's state is exported"
            )));
        }
        let state = self.state_at(hash)?;
        let io = |e: std::io::Error| Error::Io("snapshot output".into(), e);
        let preamble = Preamble {
            genesis: info.genesis_hash,
            header,
            justifications: self.justifications(hash)?,
        }
        .encode();
        out.write_all(MAGIC).map_err(io)?;
        out.write_all(&VERSION.to_le_bytes()).map_err(io)?;
        out.write_all(&(preamble.len() as u32).to_le_bytes())
            .map_err(io)?;
        out.write_all(&preamble).map_err(io)?;
        let mut count = 0u64;
        let pairs = state
            .pairs(IterArgs::default())
            .map_err(|e| self.read_error(hash, e))?;
        for pair in pairs {
            let (key, value) = pair.map_err(|e| self.read_error(hash, e))?;
            out.write_all(&(key.len() as u32).to_le_bytes())
                .map_err(io)?;
            out.write_all(&key).map_err(io)?;
            out.write_all(&(value.len() as u32).to_le_bytes())
                .map_err(io)?;
            out.write_all(&value).map_err(io)?;
            count += 1;
        }
        out.write_all(&END.to_le_bytes()).map_err(io)?;
        out.write_all(&count.to_le_bytes()).map_err(io)?;
        out.flush().map_err(io)?;
        Ok(count)
    }

    /// Starts this (fresh) database from the snapshot in `input`, whose block must hash to
    /// `trusted`: the block becomes best and finalized, its state the only one kept
    /// ([`Client::state_from`] is its number), with no bodies below it. Returns its number.
    pub fn import_state(&self, input: &mut impl Read, trusted: H256) -> Result<u32> {
        let info = self.info();
        if info.best_number != 0 {
            return Err(bad(format!(
                "the database already holds blocks up to #{}: import a snapshot into a new \
                 database (purge-chain first)",
                info.best_number
            )));
        }
        let mut magic = [0u8; 8];
        read_exact(input, &mut magic, "magic")?;
        if &magic != MAGIC {
            return Err(bad("not an EchoNet state snapshot"));
        }
        let version = read_u32(input, "version")?;
        if version != VERSION {
            return Err(bad(format!(
                "snapshot version {version} is not supported (expected {VERSION})"
            )));
        }
        let len = read_u32(input, "preamble length")?;
        if len > MAX_PREAMBLE {
            return Err(bad(format!("preamble of {len} bytes is too large")));
        }
        let raw = read_bytes(input, len, "preamble")?;
        let preamble = Preamble::decode_all_with_depth_limit(32, &mut &raw[..])
            .map_err(|e| bad(format!("preamble does not decode: {e}")))?;
        let hash = preamble.header.hash();
        if hash != trusted {
            return Err(bad(format!(
                "the snapshot is of block {hash:?}, not of the trusted {trusted:?}"
            )));
        }
        if preamble.genesis != info.genesis_hash {
            return Err(bad(format!(
                "the snapshot is of chain {:?}, this database of {:?}",
                preamble.genesis, info.genesis_hash
            )));
        }
        let mut state = StateBuilder::new();
        let mut batch_entries = Vec::new();
        let mut batch_bytes = 0usize;
        loop {
            let key_len = read_u32(input, "key length")?;
            if key_len == END {
                break;
            }
            if key_len > MAX_KEY {
                return Err(bad(format!("a key of {key_len} bytes is too large")));
            }
            let key = read_bytes(input, key_len, "key")?;
            let value_len = read_u32(input, "value length")?;
            if value_len > MAX_VALUE {
                return Err(bad(format!("a value of {value_len} bytes is too large")));
            }
            let value = read_bytes(input, value_len, "value")?;
            batch_bytes += key.len() + value.len();
            batch_entries.push((key, value));
            if batch_bytes >= 16 << 20 {
                state.insert_sorted(std::mem::take(&mut batch_entries))?;
                batch_bytes = 0;
            }
        }
        state.insert_sorted(batch_entries)?;
        let mut declared = [0u8; 8];
        read_exact(input, &mut declared, "entry count")?;
        if u64::from_le_bytes(declared) != state.entries() {
            return Err(bad("the entry count does not match the entries"));
        }
        self.import_built_state(preamble.header, preamble.justifications, state, &[])
    }

    /// Starts this (fresh) database from a state built from trusted entries (a snapshot's,
    /// or warp sync's, verified chunk by chunk): the trie's root must be `header`'s state
    /// root. The block becomes best and finalized, its state the only one kept
    /// ([`Client::state_from`] is its number), with no bodies below it; all in one write,
    /// so a crash leaves either the fresh database or the imported block. The caller has
    /// made sure `header` is a finalized block of this chain. `aux` entries (see
    /// [`Client::aux_put`]: GRANDPA's authority set at the block) are written in the same
    /// batch. Returns its number.
    pub fn import_built_state(
        &self,
        header: Header,
        justifications: Option<Justifications>,
        state: StateBuilder,
        aux: &[(Vec<u8>, Vec<u8>)],
    ) -> Result<u32> {
        let _guard = self.import_lock.lock();
        let info = self.info();
        if info.best_number != 0 {
            return Err(bad(format!(
                "the database already holds blocks up to #{}: import a state into a new \
                 database (purge-chain first)",
                info.best_number
            )));
        }
        let hash = header.hash();
        let number = header.number;
        if number == 0 {
            return Err(bad("the state of the genesis block adds nothing"));
        }
        let StateBuilder {
            nodes,
            root,
            count,
            bytes,
            ..
        } = state;
        if root != header.state_root {
            return Err(bad(format!(
                "the entries give state root {root:?}, the trusted header says {:?}",
                header.state_root
            )));
        }

        let mut batch = self.db.batch();
        let mut commit = self.state_db.commit();
        self.state_db.insert_root_state(&mut commit, nodes);
        let delta = commit.write_into(&mut batch)?;
        batch.put(col::HEADERS, hash_key(&hash), &header.encode())?;
        if let Some(j) = &justifications {
            batch.put(col::JUSTIFICATIONS, hash_key(&hash), &j.encode())?;
        }
        batch.put(col::LOOKUP, &number.to_be_bytes(), hash_key(&hash))?;
        for (key, value) in aux {
            batch.put(col::AUX, key, value)?;
        }
        batch.put(col::META, meta_key::BEST, &(hash, number).encode())?;
        batch.put(col::META, meta_key::FINALIZED, &(hash, number).encode())?;
        batch.put(col::META, meta_key::LEAVES, &vec![(number, hash)].encode())?;
        let marked = self.state_db.start_at(&mut batch, number)?;
        self.db.write(batch)?;
        self.state_db.applied(&marked, delta);
        let mut new_info = info;
        new_info.best_hash = hash;
        new_info.best_number = number;
        new_info.finalized_hash = hash;
        new_info.finalized_number = number;
        *self.info.write() = new_info;
        *self.leaves.write() = [(number, hash)].into_iter().collect();
        tracing::info!(
            target: "db",
            "📥 Imported the state of #{number} ({hash:?}): {count} entries, {bytes} bytes"
        );
        Ok(number)
    }
}
