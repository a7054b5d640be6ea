//! The sequencer's database: embedded RocksDB, one column family per kind of record.
//!
//! | Column | Key | Value |
//! |---|---|---|
//! | `meta` | name | schema version, [`Params`], open batch number, next deposit seq, traced-up-to |
//! | `txs` | tx hash | (batch u64 LE, slot u32 LE) |
//! | `slots` | batch u64 BE ‖ slot u32 BE | [`SlotEntry`] (the transaction itself) |
//! | `batches` | batch u64 BE | [`BatchRecord`], written once at the cut |
//! | `roots` | batch u64 BE | old root ‖ new root (32 + 32 bytes, big-endian as the bridge stores roots), written by the witness pipeline |
//! | `traces` | batch u64 BE | the `BatchTrace` as JSON (what the prover farm gets) |
//! | `status` | batch u64 BE | [`BatchState`] (proven / settled / final), written by the service |
//! | `accounts` | index u32 BE | [`StoredAccount`]: the tree checkpoint after the last traced batch |
//!
//! Every change is one atomic [`WriteBatch`]. Admission writes with `sync` (a receipt is
//! only sent once its transaction is on disk); the witness pipeline and the service write
//! without it, since what they write can be recomputed from the synced records.
//!
//! Stored values are decoded with a size bound and a depth limit: a damaged database gives
//! a typed [`StoreError::Corrupt`], never a huge allocation or a panic.

use std::path::Path;

use codec::{Decode, DecodeLimit, Encode};
use echonet_rollup_primitives::BatchTrace;
use rocksdb::{ColumnFamilyDescriptor, IteratorMode, Options, WriteBatch, WriteOptions, DB};

use crate::types::{BatchRecord, BatchState, Hash, Params, SlotEntry, StoredAccount};

/// Column family names.
pub mod col {
    /// Schema version, params and counters.
    pub const META: &str = "meta";
    /// Tx hash → (batch, slot).
    pub const TXS: &str = "txs";
    /// (batch, slot) → entry.
    pub const SLOTS: &str = "slots";
    /// Batch → record.
    pub const BATCHES: &str = "batches";
    /// Batch → roots.
    pub const ROOTS: &str = "roots";
    /// Batch → trace JSON.
    pub const TRACES: &str = "traces";
    /// Batch → state.
    pub const STATUS: &str = "status";
    /// Index → account (tree checkpoint).
    pub const ACCOUNTS: &str = "accounts";
    /// All of them.
    pub const ALL: [&str; 8] = [META, TXS, SLOTS, BATCHES, ROOTS, TRACES, STATUS, ACCOUNTS];
}

/// Keys of the `meta` column.
pub mod meta_key {
    /// u32 schema version.
    pub const SCHEMA: &[u8] = b"schema";
    /// [`crate::types::Params`].
    pub const PARAMS: &[u8] = b"params";
    /// u64: the batch currently open.
    pub const OPEN_BATCH: &[u8] = b"open_batch";
    /// u64: the next deposit queue seq to include.
    pub const NEXT_DEPOSIT: &[u8] = b"next_deposit";
    /// u64: the last batch whose trace and checkpoint are stored (first_batch - 1 if none).
    pub const TRACED: &[u8] = b"traced";
    /// u64: every batch up to this one is proven.
    pub const PROVEN: &[u8] = b"proven";
    /// u64: every batch up to this one is in an L1 block.
    pub const SETTLED: &[u8] = b"settled";
    /// u64: every batch up to this one is final on L1.
    pub const FINAL: &[u8] = b"final";
}

const SCHEMA_VERSION: u32 = 1;
/// The largest stored record other than a trace (entries and records are < 200 bytes).
const MAX_RECORD_BYTES: usize = 64 * 1024;
/// The largest stored trace (JSON; about 4 KiB per slot).
const MAX_TRACE_BYTES: usize = 256 * 1024 * 1024;
/// SCALE nesting depth allowed when decoding a record.
const DECODE_DEPTH: u32 = 16;

/// Database errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB failed (I/O, disk full, lock held by another process).
    #[error("database: {0}")]
    Db(String),
    /// A stored value does not decode.
    #[error("database is corrupt: {0}")]
    Corrupt(String),
    /// The database was written by another version or for another rollup.
    #[error("{0}")]
    Incompatible(String),
}

type Result<T> = std::result::Result<T, StoreError>;

/// Big-endian batch key (so that iteration follows batch order).
pub fn batch_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// Big-endian (batch, slot) key.
pub fn slot_key(batch: u64, slot: u32) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&batch.to_be_bytes());
    k[8..].copy_from_slice(&slot.to_be_bytes());
    k
}

fn decode_bounded<T: Decode>(what: &str, raw: &[u8]) -> Result<T> {
    if raw.len() > MAX_RECORD_BYTES {
        return Err(StoreError::Corrupt(format!(
            "{what}: {} bytes exceeds the bound",
            raw.len()
        )));
    }
    T::decode_all_with_depth_limit(DECODE_DEPTH, &mut &raw[..])
        .map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// The open database.
pub struct Store {
    db: DB,
}

impl Store {
    /// Opens (or creates) the database in `path`.
    pub fn open(path: &Path) -> Result<Store> {
        std::fs::create_dir_all(path)
            .map_err(|e| StoreError::Db(format!("cannot create {}: {e}", path.display())))?;
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.set_max_open_files(256);
        opts.increase_parallelism(2);
        let cfs = col::ALL.iter().map(|name| {
            let mut cf = Options::default();
            cf.set_compression_type(rocksdb::DBCompressionType::Lz4);
            ColumnFamilyDescriptor::new(*name, cf)
        });
        let db = DB::open_cf_descriptors(&opts, path, cfs).map_err(|e| {
            StoreError::Db(format!("cannot open database at {}: {e}", path.display()))
        })?;
        let store = Store { db };
        match store.get(col::META, meta_key::SCHEMA)? {
            None => {
                let mut b = store.batch();
                b.put(col::META, meta_key::SCHEMA, &SCHEMA_VERSION.encode());
                store.write(b, true)?;
            }
            Some(raw) => {
                let v: u32 = decode_bounded("schema", &raw)?;
                if v != SCHEMA_VERSION {
                    return Err(StoreError::Incompatible(format!(
                        "database schema {v} at {} is not supported (expected {SCHEMA_VERSION})",
                        path.display()
                    )));
                }
            }
        }
        Ok(store)
    }

    fn cf(&self, name: &str) -> Result<&rocksdb::ColumnFamily> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| StoreError::Corrupt(format!("missing column family {name}")))
    }

    /// One raw value.
    pub fn get(&self, column: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.db
            .get_cf(self.cf(column)?, key)
            .map_err(|e| StoreError::Db(e.to_string()))
    }

    fn get_decoded<T: Decode>(&self, column: &str, key: &[u8]) -> Result<Option<T>> {
        match self.get(column, key)? {
            None => Ok(None),
            Some(raw) => decode_bounded(&format!("{column}/{}", hex::encode(key)), &raw).map(Some),
        }
    }

    /// Starts an atomic write.
    pub fn batch(&self) -> StoreBatch<'_> {
        StoreBatch {
            store: self,
            batch: WriteBatch::default(),
        }
    }

    /// Writes atomically; with `sync`, returns only once the write-ahead log is on disk.
    pub fn write(&self, b: StoreBatch<'_>, sync: bool) -> Result<()> {
        let mut options = WriteOptions::default();
        options.set_sync(sync);
        self.db
            .write_opt(b.batch, &options)
            .map_err(|e| StoreError::Db(e.to_string()))
    }

    /// The rollup parameters, if the store was initialised.
    pub fn params(&self) -> Result<Option<Params>> {
        self.get_decoded(col::META, meta_key::PARAMS)
    }

    /// A u64 counter of the `meta` column.
    pub fn meta_u64(&self, key: &[u8]) -> Result<Option<u64>> {
        self.get_decoded(col::META, key)
    }

    /// Where a transaction is: (batch, slot).
    pub fn tx_location(&self, hash: &Hash) -> Result<Option<(u64, u32)>> {
        self.get_decoded(col::TXS, hash)
    }

    /// One slot's entry.
    pub fn slot_entry(&self, batch: u64, slot: u32) -> Result<Option<SlotEntry>> {
        self.get_decoded(col::SLOTS, &slot_key(batch, slot))
    }

    /// The entries of a batch, in slot order (at most `max` are read).
    pub fn batch_entries(&self, batch: u64, max: usize) -> Result<Vec<SlotEntry>> {
        let cf = self.cf(col::SLOTS)?;
        let prefix = batch_key(batch);
        let mut out = Vec::new();
        let iter = self.db.iterator_cf(
            cf,
            IteratorMode::From(&slot_key(batch, 0), rocksdb::Direction::Forward),
        );
        for item in iter {
            let (k, v) = item.map_err(|e| StoreError::Db(e.to_string()))?;
            if !k.starts_with(&prefix) || out.len() >= max {
                break;
            }
            if k.len() != 12 {
                return Err(StoreError::Corrupt("slot key length".into()));
            }
            let slot = u32::from_be_bytes([k[8], k[9], k[10], k[11]]);
            if slot as usize != out.len() {
                return Err(StoreError::Corrupt(format!(
                    "batch {batch}: slot {slot} follows {} entries",
                    out.len()
                )));
            }
            out.push(decode_bounded("slot entry", &v)?);
        }
        Ok(out)
    }

    /// A cut batch's record.
    pub fn batch_record(&self, n: u64) -> Result<Option<BatchRecord>> {
        self.get_decoded(col::BATCHES, &batch_key(n))
    }

    /// A batch's state after the cut (`None`: cut, nothing more yet).
    pub fn batch_state(&self, n: u64) -> Result<Option<BatchState>> {
        self.get_decoded(col::STATUS, &batch_key(n))
    }

    /// A traced batch's (old, new) roots, 32-byte big-endian field elements.
    pub fn batch_roots(&self, n: u64) -> Result<Option<([u8; 32], [u8; 32])>> {
        self.get_decoded(col::ROOTS, &batch_key(n))
    }

    /// A traced batch's trace.
    pub fn trace(&self, n: u64) -> Result<Option<BatchTrace>> {
        match self.get(col::TRACES, &batch_key(n))? {
            None => Ok(None),
            Some(raw) => {
                if raw.len() > MAX_TRACE_BYTES {
                    return Err(StoreError::Corrupt(format!("trace {n} too large")));
                }
                serde_json::from_slice(&raw)
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt(format!("trace {n}: {e}")))
            }
        }
    }

    /// The tree checkpoint: every account after the last traced batch.
    pub fn accounts(&self) -> Result<Vec<(u32, StoredAccount)>> {
        let cf = self.cf(col::ACCOUNTS)?;
        let mut out = Vec::new();
        for item in self.db.iterator_cf(cf, IteratorMode::Start) {
            let (k, v) = item.map_err(|e| StoreError::Db(e.to_string()))?;
            let k: [u8; 4] = k[..]
                .try_into()
                .map_err(|_| StoreError::Corrupt("account key length".into()))?;
            out.push((u32::from_be_bytes(k), decode_bounded("account", &v)?));
        }
        Ok(out)
    }
}

/// An atomic write being built.
pub struct StoreBatch<'a> {
    store: &'a Store,
    batch: WriteBatch,
}

impl StoreBatch<'_> {
    /// Puts a raw value. An unknown column is a programming error caught by the tests; it is
    /// logged and the put skipped rather than panicking.
    pub fn put(&mut self, column: &str, key: &[u8], value: &[u8]) {
        match self.store.cf(column) {
            Ok(cf) => self.batch.put_cf(cf, key, value),
            Err(e) => tracing::error!(target: "store", "{e}"),
        }
    }

    /// Puts an encoded value.
    pub fn put_encoded<T: Encode>(&mut self, column: &str, key: &[u8], value: &T) {
        self.put(column, key, &value.encode())
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// Puts a u64 meta counter.
    pub fn put_meta_u64(&mut self, key: &[u8], v: u64) {
        self.put_encoded(col::META, key, &v)
    }

    /// Records a slot entry and, for a transaction, its hash index.
    pub fn put_entry(&mut self, batch: u64, slot: u32, entry: &SlotEntry) {
        self.put_encoded(col::SLOTS, &slot_key(batch, slot), entry);
        if let SlotEntry::Tx { hash, .. } = entry {
            self.put_encoded(col::TXS, hash, &(batch, slot));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_and_oversized_records_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut b = store.batch();
        b.put(col::TXS, &[1; 32], &[1, 2, 3]);
        b.put(col::TXS, &[2; 32], &vec![0u8; MAX_RECORD_BYTES + 1]);
        // A valid location followed by a trailing byte.
        let mut padded = (5u64, 1u32).encode();
        padded.push(0);
        b.put(col::TXS, &[3; 32], &padded);
        store.write(b, false).unwrap();
        assert!(matches!(
            store.tx_location(&[1; 32]),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            store.tx_location(&[2; 32]),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            store.tx_location(&[3; 32]),
            Err(StoreError::Corrupt(_))
        ));
        assert_eq!(store.tx_location(&[4; 32]).unwrap(), None);
    }

    #[test]
    fn schema_mismatch_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let mut b = store.batch();
            b.put_encoded(col::META, meta_key::SCHEMA, &99u32);
            store.write(b, true).unwrap();
        }
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::Incompatible(_))
        ));
    }
}
