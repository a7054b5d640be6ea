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

impl Client {
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
        let _guard = self.import_lock.lock();
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
        let number = preamble.header.number;
        if number == 0 {
            return Err(bad("a snapshot of the genesis block adds nothing"));
        }

        // Rebuild the trie; its nodes land in `nodes` under the keys STATE uses.
        let mut nodes = PrefixedMemoryDB::<BlakeTwo256>::default();
        let mut root = H256::zero();
        let mut count = 0u64;
        let mut bytes = 0u64;
        let mut previous: Option<Vec<u8>> = None;
        {
            let mut trie = TrieDBMutBuilderV1::<BlakeTwo256>::new(&mut nodes, &mut root).build();
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
                if previous.as_ref().is_some_and(|p| *p >= key) {
                    return Err(bad("entries are not in strictly increasing key order"));
                }
                bytes += u64::from(key_len) + u64::from(value_len);
                if bytes > MAX_STATE_BYTES {
                    return Err(bad("the snapshot's state is too large"));
                }
                trie.insert(&key, &value)
                    .map_err(|e| bad(format!("trie insertion: {e}")))?;
                previous = Some(key);
                count += 1;
            }
            trie.commit();
        }
        let mut declared = [0u8; 8];
        read_exact(input, &mut declared, "entry count")?;
        if u64::from_le_bytes(declared) != count {
            return Err(bad("the entry count does not match the entries"));
        }
        if root != preamble.header.state_root {
            return Err(bad(format!(
                "the entries give state root {root:?}, the trusted header says {:?}",
                preamble.header.state_root
            )));
        }

        let mut batch = self.db.batch();
        let mut commit = self.state_db.commit();
        self.state_db.insert_root_state(&mut commit, nodes);
        commit.write_into(&self.db, &mut batch)?;
        batch.put(col::HEADERS, hash_key(&hash), &preamble.header.encode())?;
        if let Some(j) = &preamble.justifications {
            batch.put(col::JUSTIFICATIONS, hash_key(&hash), &j.encode())?;
        }
        batch.put(col::LOOKUP, &number.to_be_bytes(), hash_key(&hash))?;
        batch.put(col::META, meta_key::BEST, &(hash, number).encode())?;
        batch.put(col::META, meta_key::FINALIZED, &(hash, number).encode())?;
        batch.put(col::META, meta_key::LEAVES, &vec![(number, hash)].encode())?;
        let marked = self.state_db.start_at(&mut batch, number)?;
        self.db.write(batch)?;
        self.state_db.applied(&marked);
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
