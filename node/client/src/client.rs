//! The chain client: the state it shares ([`Client`]) and opening a chain. Its work is
//! split by concern over three private modules: reads of blocks and state (`read`), block
//! import and fork choice (`import`), and finality (`finality`).

mod finality;
mod import;
mod read;
mod snapshot;

pub use finality::FinalityNotification;
pub use import::{BlockImportNotification, BlockVerifier, ImportBlock, ImportResult, TreeRoute};
pub use read::StateDbStats;
pub use snapshot::Preamble as SnapshotPreamble;
pub use snapshot::{next_key, verify_state_chunk, StateBuilder, StateEntry};

use crate::{
    block_builder::BlockBuilder,
    chain_spec::{genesis_header, ChainSpec},
    db::{col, meta_key, Db, DbConfig},
    error::{Error, Result},
    state::StateProvider,
    state_db::{BlocksPruning, StateDb, StatePruning},
    verified::VerifiedCache,
};
use codec::Encode;
use echonet_runtime::Header;
use parking_lot::{Mutex, RwLock};
use schnellru::{ByLength, LruMap};
use sp_core::H256;
use sp_keystore::KeystorePtr;
use sp_runtime::{generic::Digest, traits::BlakeTwo256, OpaqueExtrinsic};
use sp_state_machine::{Backend as _, StorageChanges};
use std::{collections::BTreeSet, path::PathBuf, sync::Arc};
use tokio::sync::broadcast;

/// A block as stored and served: header (sealed) and opaque extrinsics.
pub type Block = sp_runtime::generic::Block<Header, OpaqueExtrinsic>;

/// Where a block comes from. Own blocks are not executed again at import. Subscribers to
/// [`BlockImportNotification`]s act on it: the node announces to peers only its own blocks
/// and those imported from a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockOrigin {
    /// Built by this node (the slot worker, or a test's block author); imported with the
    /// [`ImportBlock::changes`] its builder computed, so it is not executed a second time.
    Own,
    /// Announced by a peer at the tip of the chain and fetched alone.
    NetworkBroadcast,
    /// Downloaded in a range during major sync, far behind the network's best block.
    NetworkInitialSync,
    /// Read from a file by `echonet-node import-blocks`.
    File,
}

/// What the client needs to open a chain.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Directory of the RocksDB database.
    pub db_path: PathBuf,
    /// RocksDB tuning (block cache size).
    pub db: DbConfig,
    /// Size of the shared trie node/value cache, in bytes.
    pub trie_cache_bytes: usize,
    /// Check a block's signatures on a second thread while it executes (see
    /// [`Client::import_block`]).
    pub parallel_signature_checks: bool,
    /// Entries of the verified-signature cache shared by the pool, import and authoring
    /// (see [`crate::verified`]); 0 turns it off.
    pub signature_cache_capacity: u32,
    /// `--state-pruning`: `None` keeps the database's mode (256 blocks for a new one).
    pub state_pruning: Option<StatePruning>,
    /// `--blocks-pruning` (default `archive-canonical`).
    pub blocks_pruning: BlocksPruning,
}

impl ClientConfig {
    /// The defaults for a database at `db_path`: a 128 MiB RocksDB block cache, a 256 MiB
    /// trie cache, parallel signature checks on, a signature cache of
    /// [`crate::verified::DEFAULT_CAPACITY`] entries, and Substrate's pruning defaults (the
    /// database's state pruning mode, 256 blocks for a new one; canonical bodies kept).
    pub fn new(db_path: PathBuf) -> Self {
        Self {
            db_path,
            db: DbConfig::default(),
            trie_cache_bytes: 256 * 1024 * 1024,
            parallel_signature_checks: true,
            signature_cache_capacity: crate::verified::DEFAULT_CAPACITY,
            state_pruning: None,
            blocks_pruning: BlocksPruning::default(),
        }
    }
}

/// Heads of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainInfo {
    /// Hash of block 0, fixed by the chain spec; identifies the chain to peers.
    pub genesis_hash: H256,
    /// Head of the best chain: the longest chain that contains the last finalized block.
    pub best_hash: H256,
    /// Height of `best_hash`.
    pub best_number: u32,
    /// The last finalized block; always an ancestor of, or equal to, `best_hash`.
    pub finalized_hash: H256,
    /// Height of `finalized_hash`; never greater than `best_number`.
    pub finalized_number: u32,
}

/// The chain client. All methods block: call them from `spawn_blocking` in async code.
pub struct Client {
    db: Arc<Db>,
    /// The pruning mode, and how far pruning has gone.
    state_db: StateDb,
    state: StateProvider,
    config: ClientConfig,
    info: RwLock<ChainInfo>,
    /// Chain tips, `(number, hash)`.
    leaves: RwLock<BTreeSet<(u32, H256)>>,
    import_lock: Mutex<()>,
    headers: Mutex<LruMap<H256, Header>>,
    keystore: RwLock<Option<KeystorePtr>>,
    imports: broadcast::Sender<BlockImportNotification>,
    finality: broadcast::Sender<FinalityNotification>,
    /// Signature checks skipped at import because a second thread had done them.
    signature_cache_hits: std::sync::atomic::AtomicU64,
    /// Signatures verified by the pool, for import and authoring.
    signature_cache: Arc<VerifiedCache>,
    /// Checks blocks from elsewhere before they execute.
    verifier: Arc<dyn BlockVerifier>,
}

fn hash_key(hash: &H256) -> &[u8] {
    hash.as_bytes()
}

impl Client {
    /// Opens the chain at `config.db_path`, writing the genesis block of `spec` if the
    /// database is new, and refusing a database of another chain. Blocks that this node
    /// did not build must pass `verifier` to be imported.
    pub fn open(
        config: ClientConfig,
        spec: &ChainSpec,
        verifier: Arc<dyn BlockVerifier>,
    ) -> Result<Arc<Self>> {
        let db = Arc::new(Db::open(&config.db_path, &config.db)?);
        let state_db = StateDb::open(&db, config.state_pruning, config.blocks_pruning)?;
        let state = StateProvider::new(db.clone(), config.trie_cache_bytes);
        let genesis = spec.genesis_storage()?;
        let changes = genesis.to_changes(&state)?;
        let header = genesis_header(changes.transaction_storage_root);
        let genesis_hash = header.hash();

        let pointer = (genesis_hash, 0u32);
        match db.meta_pointer(meta_key::GENESIS)? {
            Some((stored, _)) if stored != genesis_hash => {
                return Err(Error::GenesisMismatch {
                    db: stored,
                    spec: genesis_hash,
                })
            }
            Some(_) => {}
            None => {
                let mut batch = db.batch();
                let mut commit = state_db.commit();
                state_db.insert_root_state(&mut commit, changes.transaction);
                // Genesis is no block's birth: nothing for the index to learn.
                let _ = commit.write_into(&mut batch)?;
                batch.put(col::HEADERS, hash_key(&genesis_hash), &header.encode())?;
                batch.put(
                    col::BODIES,
                    hash_key(&genesis_hash),
                    &Vec::<OpaqueExtrinsic>::new().encode(),
                )?;
                batch.put(col::LOOKUP, &0u32.to_be_bytes(), hash_key(&genesis_hash))?;
                batch.put(col::META, meta_key::GENESIS, &pointer.encode())?;
                batch.put(col::META, meta_key::BEST, &pointer.encode())?;
                batch.put(col::META, meta_key::FINALIZED, &pointer.encode())?;
                batch.put(
                    col::META,
                    meta_key::LEAVES,
                    &vec![(0u32, genesis_hash)].encode(),
                )?;
                db.write(batch)?;
                tracing::info!(target: "db", "🔨 Initialized genesis block {genesis_hash:?}");
            }
        }

        let best = db
            .meta_pointer(meta_key::BEST)?
            .ok_or_else(|| Error::Corrupt("no best block pointer".into()))?;
        let finalized = db
            .meta_pointer(meta_key::FINALIZED)?
            .ok_or_else(|| Error::Corrupt("no finalized block pointer".into()))?;
        let leaves: Vec<(u32, H256)> = db
            .get_decoded(col::META, meta_key::LEAVES)?
            .unwrap_or_default();
        let info = ChainInfo {
            genesis_hash,
            best_hash: best.0,
            best_number: best.1,
            finalized_hash: finalized.0,
            finalized_number: finalized.1,
        };
        let (imports, _) = broadcast::channel(1024);
        let (finality, _) = broadcast::channel(1024);
        let signature_cache = Arc::new(VerifiedCache::new(config.signature_cache_capacity));
        tracing::info!(
            target: "db",
            "💾 State pruning: {}; blocks pruning: {}; state kept from #{}",
            state_db.mode(),
            config.blocks_pruning,
            state_db.state_from()
        );
        let client = Arc::new(Self {
            db,
            state_db,
            state,
            config,
            info: RwLock::new(info),
            leaves: RwLock::new(leaves.into_iter().collect()),
            import_lock: Mutex::new(()),
            headers: Mutex::new(LruMap::new(ByLength::new(4096))),
            keystore: RwLock::new(None),
            imports,
            finality,
            signature_cache_hits: Default::default(),
            signature_cache,
            verifier,
        });
        // The best block's header and state must be there; if not, the database was
        // written by something that did not respect our batches.
        let best_header = client.expect_header(best.0)?;
        client
            .state_at_header(&best_header, false)
            .storage(b":")
            .map_err(|e| Error::Corrupt(format!("state of best block {:?}: {e}", best.0)))?;
        Ok(client)
    }

    /// Lets runtime calls reach the keystore (session key generation).
    pub fn set_keystore(&self, keystore: KeystorePtr) {
        *self.keystore.write() = Some(keystore);
    }

    /// The cache of verified signatures that the pool fills and import and authoring use.
    pub fn signature_cache(&self) -> &Arc<VerifiedCache> {
        &self.signature_cache
    }

    /// Flushes the database (clean shutdown).
    pub fn flush(&self) -> Result<()> {
        self.db.flush()
    }

    /// Starts a block on `parent` with `digest` (the Aura pre-digest).
    pub fn new_block_builder(&self, parent: H256, digest: Digest) -> Result<BlockBuilder> {
        let header = self.expect_header(parent)?;
        let number = header
            .number
            .checked_add(1)
            .ok_or_else(|| Error::State("block number overflow".into()))?;
        BlockBuilder::new(
            self.state_at_header(&header, true),
            parent,
            number,
            digest,
            self.extensions(),
            &self.signature_cache,
        )
    }
}

/// Adds block `hash`'s trie nodes and journal to `commit` (see [`crate::state_db`]).
fn write_changes(
    client: &Client,
    commit: &mut crate::state_db::StateCommit,
    (hash, number, parent): (H256, u32, H256),
    changes: StorageChanges<BlakeTwo256>,
) -> Result<()> {
    client
        .state_db
        .insert_block(commit, hash, number, parent, changes)
}
