//! Reads: the chain's heads and tips, headers, bodies, justifications, the transaction
//! index, auxiliary values, state queries and runtime calls.

use super::{hash_key, Block, ChainInfo, Client};
use crate::{
    db::col,
    error::{Error, Result},
    executor,
    state::StateBackend,
    state_db::StatePruning,
};
use codec::Decode;
use echonet_runtime::Header;
use sp_core::{traits::CallContext, H256};
use sp_externalities::Extensions;
use sp_keystore::KeystoreExt;
use sp_runtime::{Justifications, OpaqueExtrinsic};
use sp_state_machine::{Backend as _, IterArgs, OverlayedChanges};

/// What the state columns of the database hold, as `(keys, bytes of keys and values)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateDbStats {
    /// Trie nodes (STATE).
    pub nodes: (u64, u64),
    /// Journals of unfinalized blocks (JOURNAL).
    pub journals: (u64, u64),
    /// Death rows of finalized blocks whose state is kept (DEATH_ROWS; empty on an
    /// archive node).
    pub death_rows: (u64, u64),
}

impl StateDbStats {
    /// Bytes of the three columns.
    pub fn total_bytes(&self) -> u64 {
        self.nodes.1 + self.journals.1 + self.death_rows.1
    }
}

impl Client {
    /// The heads of the chain.
    pub fn info(&self) -> ChainInfo {
        *self.info.read()
    }

    /// The chain tips, highest first.
    pub fn leaves(&self) -> Vec<(u32, H256)> {
        self.leaves.read().iter().rev().copied().collect()
    }

    /// A header by hash (sealed, as imported); `None` if no such block is stored. Recent
    /// headers come from an in-memory LRU cache.
    pub fn header(&self, hash: H256) -> Result<Option<Header>> {
        if let Some(h) = self.headers.lock().get(&hash) {
            return Ok(Some(h.clone()));
        }
        let header: Option<Header> = self.db.get_decoded(col::HEADERS, hash_key(&hash))?;
        if let Some(h) = &header {
            self.headers.lock().insert(hash, h.clone());
        }
        Ok(header)
    }

    pub(super) fn expect_header(&self, hash: H256) -> Result<Header> {
        self.header(hash)?.ok_or(Error::UnknownBlock(hash))
    }

    /// An auxiliary value stored by a node component with [`Client::aux_put`].
    pub fn aux_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.db.get(col::AUX, key)
    }

    /// Stores auxiliary values of node components atomically (one batch). Keys are the
    /// components' own; prefix them with the component's name. Not part of the chain.
    pub fn aux_put(&self, entries: &[(&[u8], &[u8])]) -> Result<()> {
        let mut batch = self.db.batch();
        for (key, value) in entries {
            batch.put(col::AUX, key, value)?;
        }
        self.db.write(batch)
    }

    /// [`Client::aux_put`], returning only once the write-ahead log holding the values is
    /// synced to disk: for a component whose values must survive a power cut, not only a
    /// crash of the process (a voter's own votes, which it must never contradict).
    pub fn aux_put_synced(&self, entries: &[(&[u8], &[u8])]) -> Result<()> {
        let mut batch = self.db.batch();
        for (key, value) in entries {
            batch.put(col::AUX, key, value)?;
        }
        self.db.write_synced(batch)
    }

    /// How many times the database has synced its write-ahead log to disk since it was
    /// opened, counted by RocksDB itself; `None` unless the client was opened with
    /// [`crate::db::DbConfig::statistics`] on.
    pub fn wal_syncs(&self) -> Option<u64> {
        self.db.wal_syncs()
    }

    /// A block body by hash; `None` if no such block is stored.
    pub fn body(&self, hash: H256) -> Result<Option<Vec<OpaqueExtrinsic>>> {
        self.db.get_decoded(col::BODIES, hash_key(&hash))
    }

    /// A whole block by hash; `None` if no such block is stored.
    pub fn block(&self, hash: H256) -> Result<Option<Block>> {
        let Some(header) = self.header(hash)? else {
            return Ok(None);
        };
        let Some(extrinsics) = self.body(hash)? else {
            // Pruned (`--blocks-pruning`): Substrate answers null for such a block too.
            if self.body_pruned(hash, &header)? {
                return Ok(None);
            }
            return Err(Error::Corrupt(format!(
                "block {hash:?} has a header but no body"
            )));
        };
        Ok(Some(Block { header, extrinsics }))
    }

    /// Whether `--blocks-pruning` may have deleted the body of `hash`: a canonical block
    /// below the first kept body, or a block of a fork that finality excluded.
    fn body_pruned(&self, hash: H256, header: &Header) -> Result<bool> {
        let info = self.info();
        if header.number > info.finalized_number {
            return Ok(!self.is_descendant_of_finalized(header, &info)?);
        }
        Ok(header.number < self.state_db.bodies_from()
            || self.db.canonical_hash(header.number)? != Some(hash))
    }

    /// The justifications stored with a block.
    pub fn justifications(&self, hash: H256) -> Result<Option<Justifications>> {
        self.db.get_decoded(col::JUSTIFICATIONS, hash_key(&hash))
    }

    /// The hash of the best chain's block at `number`.
    pub fn hash(&self, number: u32) -> Result<Option<H256>> {
        if number > self.info.read().best_number {
            return Ok(None);
        }
        self.db.canonical_hash(number)
    }

    /// Where a transaction was included: (block hash, index in the block).
    pub fn transaction_location(&self, tx_hash: H256) -> Result<Option<(H256, u32)>> {
        self.db.get_decoded(col::TX_INDEX, hash_key(&tx_hash))
    }

    pub(super) fn state_at_header(&self, header: &Header, trusted: bool) -> StateBackend {
        self.state.at(header.state_root, trusted)
    }

    /// The state after executing block `hash`. [`Error::UnknownBlock`] if it is not stored,
    /// [`Error::StateUnavailable`] if its state was pruned or discarded with its fork.
    pub fn state_at(&self, hash: H256) -> Result<StateBackend> {
        let header = self.expect_header(hash)?;
        if !self.state_kept(hash, &header)? {
            return Err(Error::StateUnavailable(hash));
        }
        Ok(self.state_at_header(&header, false))
    }

    /// Whether the database keeps the state of block `hash` (header `header`): it is not
    /// below the first block with state ([`Client::state_from`]), and, when pruning,
    /// not on a fork that finality excluded.
    pub(super) fn state_kept(&self, hash: H256, header: &Header) -> Result<bool> {
        if header.number < self.state_db.state_from() {
            return Ok(false);
        }
        if self.state_db.mode() == StatePruning::Archive {
            return Ok(true);
        }
        let info = self.info();
        if header.number <= info.finalized_number {
            return Ok(self.db.canonical_hash(header.number)? == Some(hash));
        }
        // Above the finalized block: discarded unless it builds on it.
        self.is_descendant_of_finalized(header, &info)
    }

    /// A failed trie read at `at`: [`Error::StateUnavailable`] if pruning removed the state
    /// while it was being read, [`Error::State`] otherwise.
    pub(super) fn read_error(&self, at: H256, e: impl std::fmt::Display) -> Error {
        match self.header(at) {
            Ok(Some(header)) if matches!(self.state_kept(at, &header), Ok(false)) => {
                Error::StateUnavailable(at)
            }
            _ => Error::State(e.to_string()),
        }
    }

    /// The state pruning mode in force (`--state-pruning`).
    pub fn state_pruning(&self) -> StatePruning {
        self.state_db.mode()
    }

    /// The first block number whose state the database keeps: 0 on an archive node, and
    /// on a pruned one until the chain is longer than the window; a state imported without
    /// its ancestors' (a snapshot) sets it to its block.
    pub fn state_from(&self) -> u32 {
        self.state_db.state_from()
    }

    /// What the state columns hold: live trie nodes, journals and death rows (keys,
    /// and bytes of keys and values), counted by iterating them. For tests and benchmarks.
    pub fn state_db_stats(&self) -> Result<StateDbStats> {
        Ok(StateDbStats {
            nodes: self.db.column_stats(col::STATE)?,
            journals: self.db.column_stats(col::JOURNAL)?,
            death_rows: self.db.column_stats(col::DEATH_ROWS)?,
        })
    }

    /// Compacts the database so that pruned entries leave the files on disk (RocksDB does
    /// it by itself over time); for benchmarks that measure disk use.
    pub fn compact_db(&self) -> Result<()> {
        self.db.compact()
    }

    /// A storage value in the state after block `at`; `None` if the key is unset.
    pub fn storage(&self, at: H256, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.state_at(at)?
            .storage(key)
            .map_err(|e| self.read_error(at, e))
    }

    /// The blake2-256 hash of a storage value at a block.
    pub fn storage_hash(&self, at: H256, key: &[u8]) -> Result<Option<H256>> {
        self.state_at(at)?
            .storage_hash(key)
            .map_err(|e| self.read_error(at, e))
    }

    /// Up to `count` keys with `prefix`, after `start_after` (exclusive), in order.
    pub fn storage_keys(
        &self,
        at: H256,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        count: usize,
    ) -> Result<Vec<Vec<u8>>> {
        let state = self.state_at(at)?;
        let mut args = IterArgs::default();
        args.prefix = Some(prefix);
        args.start_at = start_after;
        args.start_at_exclusive = true;
        let iter = state.keys(args).map_err(|e| self.read_error(at, e))?;
        let mut out = Vec::new();
        for key in iter.take(count) {
            out.push(key.map_err(|e| self.read_error(at, e))?);
        }
        Ok(out)
    }

    /// Extensions for block building and import. No keystore: the chain's state
    /// transition must not depend on the local node's keys.
    pub(super) fn extensions(&self) -> Extensions {
        Extensions::new()
    }

    /// Calls a runtime API at a block. Whatever the call writes is discarded. The call
    /// cannot reach the keystore (see [`Client::call_with_keystore`]).
    pub fn call(&self, at: H256, method: &str, data: &[u8]) -> Result<Vec<u8>> {
        self.call_inner(at, method, data, Extensions::new())
    }

    /// Like [`Client::call`], with the keystore available to the runtime: for session key
    /// generation (`author_rotateKeys`), which stores new keys.
    pub fn call_with_keystore(&self, at: H256, method: &str, data: &[u8]) -> Result<Vec<u8>> {
        let mut extensions = Extensions::new();
        match self.keystore.read().clone() {
            Some(ks) => extensions.register(KeystoreExt(ks)),
            None => return Err(Error::State("the node has no keystore".into())),
        }
        self.call_inner(at, method, data, extensions)
    }

    fn call_inner(
        &self,
        at: H256,
        method: &str,
        data: &[u8],
        mut extensions: Extensions,
    ) -> Result<Vec<u8>> {
        let state = self.state_at(at)?;
        let mut overlay = OverlayedChanges::default();
        executor::execute(
            &state,
            &mut overlay,
            &mut extensions,
            method,
            data,
            CallContext::Offchain,
        )
    }

    /// Calls a runtime API at a block and decodes its result.
    pub fn call_decoded<R: Decode>(&self, at: H256, method: &str, data: &[u8]) -> Result<R> {
        let out = self.call(at, method, data)?;
        R::decode(&mut &out[..]).map_err(|e| Error::RuntimeCall {
            method: method.to_string(),
            reason: format!("undecodable result: {e}"),
        })
    }

    /// The runtime version. The runtime is linked in, so it is the same at every block
    /// this node accepts.
    pub fn runtime_version(&self) -> sp_version::RuntimeVersion {
        echonet_runtime::VERSION
    }
}
