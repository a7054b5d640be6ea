//! The node's RocksDB database.
//!
//! One column family per kind of data. Everything a block adds (header, body, trie nodes,
//! transaction index, canonical index, best/finalized pointers) goes into one
//! [`rocksdb::WriteBatch`], so a crash at any moment leaves either all of a block or none
//! of it, and the database reopens at a consistent best block.
//!
//! Trie nodes are stored under `sp_trie::prefixed_key(hash, prefix)`: a node of identical
//! content at an identical position is one key. Whether they are ever deleted is the
//! pruning mode's business ([`crate::state_db`]): an archive keeps them all; a pruned
//! database journals each unfinalized block's changes in JOURNAL and each kept canonical
//! block's deaths in DEATH_ROWS.
//!
//! Schema 2 added STATE_RC, JOURNAL and the pruning keys of META. A schema-1 database is an
//! archive (it never counted references): it is migrated by recording that mode. Schema 3
//! replaced STATE_RC's reference counts by DEATH_ROWS: a schema-2 database is migrated by
//! [`crate::state_db::migrate_schema_2`].

use crate::error::{Error, Result};
use codec::{Decode, Encode};
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamilyDescriptor, Options, WriteBatch, WriteOptions, DB,
};
use sp_core::H256;
use std::path::Path;

/// Column families, in the order they are created.
pub(crate) mod col {
    pub const META: &str = "meta";
    pub const HEADERS: &str = "headers";
    pub const BODIES: &str = "bodies";
    pub const JUSTIFICATIONS: &str = "justifications";
    pub const STATE: &str = "state";
    pub const TX_INDEX: &str = "tx_index";
    /// Canonical chain: big-endian block number -> block hash.
    pub const LOOKUP: &str = "lookup";
    /// Auxiliary data of node components (e.g. GRANDPA's authority set), keyed by them.
    /// Added after schema 1 without a bump: an older database simply gains the empty column.
    pub const AUX: &str = "aux";
    /// Schema 2 only: reference counts of STATE keys, summed by a merge operator. Emptied
    /// by the migration to schema 3 and unused since; kept so that RocksDB opens a
    /// database that has it.
    pub const STATE_RC: &str = "state_rc";
    /// Journals of unfinalized blocks: the STATE keys each inserted and deleted, keyed by
    /// big-endian number then hash, until the block is finalized or discarded. Schema 2.
    pub const JOURNAL: &str = "state_journal";
    /// Death rows of finalized blocks whose state is kept (pruned databases): the STATE
    /// keys each deleted and fingerprints of those it inserted, keyed as JOURNAL, until
    /// the block is pruned. Schema 3.
    pub const DEATH_ROWS: &str = "state_death_rows";
    pub const ALL: [&str; 11] = [
        META,
        HEADERS,
        BODIES,
        JUSTIFICATIONS,
        STATE,
        TX_INDEX,
        LOOKUP,
        AUX,
        STATE_RC,
        JOURNAL,
        DEATH_ROWS,
    ];
}

/// Keys in the META column.
pub(crate) mod meta_key {
    pub const SCHEMA: &[u8] = b"schema";
    pub const GENESIS: &[u8] = b"genesis";
    pub const BEST: &[u8] = b"best";
    pub const FINALIZED: &[u8] = b"finalized";
    pub const LEAVES: &[u8] = b"leaves";
    /// The state pruning mode the database was created with (`StatePruning`, SCALE).
    pub const STATE_PRUNING: &[u8] = b"state_pruning";
    /// The first block number whose state is kept (`u32`); absent means 0. A state
    /// imported without its ancestors (a snapshot) sets it to its block.
    pub const STATE_FROM: &[u8] = b"state_from";
    /// The first canonical block number whose body is kept (`u32`); absent means 0.
    pub const BODIES_FROM: &[u8] = b"bodies_from";
}

/// Bumped whenever the layout changes incompatibly.
const SCHEMA_VERSION: u32 = 3;
/// Reference counts in STATE_RC: migrated by turning journals into death rows.
const SCHEMA_REFCOUNTED: u32 = 2;
/// The last schema without pruning: an archive, migrated by recording that mode.
const SCHEMA_ARCHIVE_ONLY: u32 = 1;

/// Cache sizes and other knobs.
#[derive(Clone, Debug)]
pub struct DbConfig {
    /// RocksDB block cache, shared by all columns.
    pub block_cache_bytes: usize,
    /// Collect RocksDB's statistics (a few percent of write throughput), so that
    /// [`Db::wal_syncs`] can report how often the write-ahead log reached the disk. Off by
    /// default; tests of durability turn it on.
    pub statistics: bool,
}

impl Default for DbConfig {
    fn default() -> Self {
        Self {
            block_cache_bytes: 128 * 1024 * 1024,
            statistics: false,
        }
    }
}

/// An open database.
pub struct Db {
    db: DB,
    /// The options it was opened with: they share RocksDB's statistics object.
    opts: Options,
    statistics: bool,
}

impl Db {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path, config: &DbConfig) -> Result<Self> {
        std::fs::create_dir_all(path).map_err(|e| Error::Io(path.display().to_string(), e))?;
        let cache = Cache::new_lru_cache(config.block_cache_bytes);
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.set_max_open_files(512);
        opts.increase_parallelism(2);
        if config.statistics {
            opts.enable_statistics();
        }
        let cfs = col::ALL.iter().map(|name| {
            let mut table = BlockBasedOptions::default();
            table.set_block_cache(&cache);
            table.set_cache_index_and_filter_blocks(true);
            if *name == col::STATE || *name == col::TX_INDEX || *name == col::STATE_RC {
                // Point lookups by hash dominate: a bloom filter saves most disk reads.
                table.set_bloom_filter(10.0, false);
            }
            let mut cf_opts = Options::default();
            cf_opts.set_block_based_table_factory(&table);
            cf_opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
            if *name == col::STATE_RC {
                cf_opts.set_merge_operator_associative(
                    "echonet_refcount",
                    crate::state_db::merge_refcounts,
                );
            }
            ColumnFamilyDescriptor::new(*name, cf_opts)
        });
        let db = DB::open_cf_descriptors(&opts, path, cfs)
            .map_err(|e| Error::Db(format!("cannot open database at {}: {e}", path.display())))?;
        let this = Self {
            db,
            opts,
            statistics: config.statistics,
        };
        match this.get(col::META, meta_key::SCHEMA)? {
            None => {
                let mut batch = this.batch();
                batch.put(col::META, meta_key::SCHEMA, &SCHEMA_VERSION.encode())?;
                this.write(batch)?;
            }
            Some(raw) => {
                let found = u32::decode(&mut &raw[..])
                    .map_err(|e| Error::Corrupt(format!("schema version: {e}")))?;
                if found == SCHEMA_ARCHIVE_ONLY {
                    let mut batch = this.batch();
                    batch.put(
                        col::META,
                        meta_key::STATE_PRUNING,
                        &crate::state_db::StatePruning::Archive.encode(),
                    )?;
                    batch.put(col::META, meta_key::SCHEMA, &SCHEMA_VERSION.encode())?;
                    this.write(batch)?;
                    tracing::info!(
                        target: "db",
                        "migrated database schema {found} to {SCHEMA_VERSION} (an archive)"
                    );
                } else if found == SCHEMA_REFCOUNTED {
                    let started = std::time::Instant::now();
                    let mut batch = this.batch();
                    let rows = crate::state_db::migrate_schema_2(&this, &mut batch)?;
                    batch.put(col::META, meta_key::SCHEMA, &SCHEMA_VERSION.encode())?;
                    this.write(batch)?;
                    tracing::info!(
                        target: "db",
                        "migrated database schema {found} to {SCHEMA_VERSION}: {rows} journals \
                         became death rows, reference counts dropped ({} ms)",
                        started.elapsed().as_millis()
                    );
                } else if found != SCHEMA_VERSION {
                    return Err(Error::Db(format!(
                        "database schema {found} at {} is not supported (expected {SCHEMA_VERSION}); \
                         run `echonet-node purge-chain` and resync",
                        path.display()
                    )));
                }
            }
        }
        Ok(this)
    }

    fn cf(&self, name: &str) -> Result<&rocksdb::ColumnFamily> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| Error::Corrupt(format!("missing column family {name}")))
    }

    /// Reads one value.
    pub(crate) fn get(&self, column: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.db
            .get_cf(self.cf(column)?, key)
            .map_err(|e| Error::Db(e.to_string()))
    }

    /// Reads and decodes one value.
    pub(crate) fn get_decoded<T: Decode>(&self, column: &str, key: &[u8]) -> Result<Option<T>> {
        match self.get(column, key)? {
            None => Ok(None),
            Some(raw) => T::decode(&mut &raw[..])
                .map(Some)
                .map_err(|e| Error::Corrupt(format!("{column}/{}: {e}", hex::encode(key)))),
        }
    }

    /// Starts a write batch.
    pub(crate) fn batch(&self) -> DbBatch<'_> {
        DbBatch {
            db: self,
            batch: WriteBatch::default(),
        }
    }

    /// Writes a batch atomically.
    pub(crate) fn write(&self, batch: DbBatch<'_>) -> Result<()> {
        self.db
            .write(batch.batch)
            .map_err(|e| Error::Db(e.to_string()))
    }

    /// Writes a batch atomically and syncs the write-ahead log to disk before returning, so
    /// that the batch (and every write before it) survives a power cut. For the few writes
    /// whose loss would be unsafe (a voter's own votes); a block import is recovered by
    /// syncing it again.
    pub(crate) fn write_synced(&self, batch: DbBatch<'_>) -> Result<()> {
        let mut options = WriteOptions::default();
        options.set_sync(true);
        self.db
            .write_opt(batch.batch, &options)
            .map_err(|e| Error::Db(e.to_string()))
    }

    /// How many times RocksDB has synced its write-ahead log to disk since the database
    /// was opened, or `None` when [`DbConfig::statistics`] is off.
    pub fn wal_syncs(&self) -> Option<u64> {
        self.statistics.then(|| {
            self.opts
                .get_ticker_count(rocksdb::statistics::Ticker::WalFileSynced)
        })
    }

    /// The hash of the canonical block at `number`.
    pub(crate) fn canonical_hash(&self, number: u32) -> Result<Option<H256>> {
        Ok(self
            .get(col::LOOKUP, &number.to_be_bytes())?
            .and_then(|raw| (raw.len() == 32).then(|| H256::from_slice(&raw))))
    }

    /// A pointer stored in META (best, finalized, genesis).
    pub(crate) fn meta_pointer(&self, key: &[u8]) -> Result<Option<(H256, u32)>> {
        self.get_decoded(col::META, key)
    }

    /// Flushes the memtables of every column, for a clean shutdown (and so that the
    /// write-ahead log can be dropped).
    pub fn flush(&self) -> Result<()> {
        for name in col::ALL {
            self.db
                .flush_cf(self.cf(name)?)
                .map_err(|e| Error::Db(e.to_string()))?;
        }
        Ok(())
    }

    /// Every entry of `column` whose key starts with `prefix`, in key order.
    pub(crate) fn prefix_entries(
        &self,
        column: &str,
        prefix: &[u8],
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let iter = self.db.iterator_cf(
            self.cf(column)?,
            rocksdb::IteratorMode::From(prefix, rocksdb::Direction::Forward),
        );
        let mut out = Vec::new();
        for entry in iter {
            let (key, value) = entry.map_err(|e| Error::Db(e.to_string()))?;
            if !key.starts_with(prefix) {
                break;
            }
            out.push((key.into_vec(), value.into_vec()));
        }
        Ok(out)
    }

    /// Calls `f` with every entry of `column`, in key order, without holding them all.
    pub(crate) fn for_each(
        &self,
        column: &str,
        mut f: impl FnMut(&[u8], &[u8]) -> Result<()>,
    ) -> Result<()> {
        for entry in self
            .db
            .iterator_cf(self.cf(column)?, rocksdb::IteratorMode::Start)
        {
            let (key, value) = entry.map_err(|e| Error::Db(e.to_string()))?;
            f(&key, &value)?;
        }
        Ok(())
    }

    /// The number of live keys in `column` and the bytes of their keys and values, by
    /// iterating it: what the column holds, whether or not compaction has reclaimed the
    /// space of deleted entries yet. For tests and benchmarks.
    pub(crate) fn column_stats(&self, column: &str) -> Result<(u64, u64)> {
        let (mut keys, mut bytes) = (0u64, 0u64);
        for entry in self
            .db
            .iterator_cf(self.cf(column)?, rocksdb::IteratorMode::Start)
        {
            let (key, value) = entry.map_err(|e| Error::Db(e.to_string()))?;
            keys += 1;
            bytes += (key.len() + value.len()) as u64;
        }
        Ok((keys, bytes))
    }

    /// Compacts every column, so that deleted entries leave the files on disk (RocksDB
    /// does this by itself over time). For benchmarks that measure disk use.
    pub fn compact(&self) -> Result<()> {
        for name in col::ALL {
            self.db
                .compact_range_cf(self.cf(name)?, None::<&[u8]>, None::<&[u8]>);
        }
        Ok(())
    }

    /// Direct access for the state backend.
    pub(crate) fn get_state_node(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get(col::STATE, key)
    }
}

/// A set of writes that will be applied atomically.
pub(crate) struct DbBatch<'a> {
    db: &'a Db,
    batch: WriteBatch,
}

impl DbBatch<'_> {
    pub(crate) fn put(&mut self, column: &str, key: &[u8], value: &[u8]) -> Result<()> {
        let cf = self.db.cf(column)?;
        self.batch.put_cf(cf, key, value);
        Ok(())
    }

    pub(crate) fn delete(&mut self, column: &str, key: &[u8]) -> Result<()> {
        let cf = self.db.cf(column)?;
        self.batch.delete_cf(cf, key);
        Ok(())
    }

    /// Deletes every key of `column` (one range tombstone; keys are at most 256 bytes).
    pub(crate) fn delete_all(&mut self, column: &str) -> Result<()> {
        let cf = self.db.cf(column)?;
        self.batch.delete_range_cf(cf, &[][..], &[0xffu8; 257][..]);
        Ok(())
    }
}
