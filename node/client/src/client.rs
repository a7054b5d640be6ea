//! The chain client: block import, fork choice, finality, and reads of blocks and state.

use crate::{
    block_builder::BlockBuilder,
    chain_spec::{genesis_header, ChainSpec},
    db::{col, meta_key, Db, DbBatch, DbConfig},
    error::{Error, Result},
    executor,
    state::{StateBackend, StateProvider},
};
use codec::{Decode, Encode};
use echonet_runtime::Header;
use parking_lot::{Mutex, RwLock};
use schnellru::{ByLength, LruMap};
use sp_core::{traits::CallContext, H256};
use sp_externalities::Extensions;
use sp_keystore::{KeystoreExt, KeystorePtr};
use sp_runtime::{
    generic::Digest,
    traits::{BlakeTwo256, Hash as HashT},
    Justification, Justifications, OpaqueExtrinsic, StateVersion,
};
use sp_state_machine::{Backend as _, IterArgs, OverlayedChanges, StorageChanges};
use std::{
    collections::BTreeSet,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::broadcast;

/// A block as stored and served: header (sealed) and opaque extrinsics.
pub type Block = sp_runtime::generic::Block<Header, OpaqueExtrinsic>;

/// Where a block comes from. Own blocks are not executed again at import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockOrigin {
    Own,
    NetworkBroadcast,
    NetworkInitialSync,
    File,
}

/// What the client needs to open a chain.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Directory of the RocksDB database.
    pub db_path: PathBuf,
    pub db: DbConfig,
    /// Size of the shared trie node/value cache.
    pub trie_cache_bytes: usize,
    /// Check a block's signatures on a second thread while it executes (see
    /// [`Client::import_block`]).
    pub parallel_signature_checks: bool,
}

impl ClientConfig {
    pub fn new(db_path: PathBuf) -> Self {
        Self {
            db_path,
            db: DbConfig::default(),
            trie_cache_bytes: 256 * 1024 * 1024,
            parallel_signature_checks: true,
        }
    }
}

/// Heads of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainInfo {
    pub genesis_hash: H256,
    pub best_hash: H256,
    pub best_number: u32,
    pub finalized_hash: H256,
    pub finalized_number: u32,
}

/// A block to import.
pub struct ImportBlock {
    /// The sealed header.
    pub header: Header,
    pub body: Vec<OpaqueExtrinsic>,
    pub justifications: Option<Justifications>,
    pub origin: BlockOrigin,
    /// Storage changes computed while building the block (own blocks only).
    pub changes: Option<StorageChanges<BlakeTwo256>>,
    /// Finalize the block as part of the import (instant finality of a dev chain, or a
    /// block that arrives with a justification already checked).
    pub finalize: bool,
}

/// The path between two blocks: up from `from` to their common ancestor (`retracted`),
/// then down to `to` (`enacted`), both in the order they are walked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeRoute {
    pub retracted: Vec<(H256, u32)>,
    pub common: (H256, u32),
    pub enacted: Vec<(H256, u32)>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportResult {
    Imported {
        hash: H256,
        number: u32,
        is_new_best: bool,
    },
    AlreadyInChain,
}

/// Sent for every imported block.
#[derive(Debug, Clone)]
pub struct BlockImportNotification {
    pub hash: H256,
    pub header: Arc<Header>,
    pub origin: BlockOrigin,
    pub is_new_best: bool,
    /// Set when the best chain switched forks: what left and joined it.
    pub tree_route: Option<Arc<TreeRoute>>,
    pub import_time: Duration,
}

/// Sent when the finalized block moves.
#[derive(Debug, Clone)]
pub struct FinalityNotification {
    pub hash: H256,
    pub header: Arc<Header>,
    /// Every newly finalized block, oldest first, ending with `hash`.
    pub finalized: Arc<Vec<H256>>,
}

/// The consensus engine's checks of a block that this node did not build, run by
/// [`Client::import_block`] before it executes the block. The client knows no consensus
/// engine: the node opens it with one (echonet-consensus's `AuraVerifier`).
pub trait BlockVerifier: Send + Sync {
    /// Checks the sealed `header` of a block on `parent` (a block the client has), with
    /// `parent_state` the state after `parent`, and returns the header that the runtime
    /// executes: `header` without the engine's seal. Input errors are
    /// [`Error::InvalidBlock`]; failures to read the chain are passed on as they are.
    fn verify(
        &self,
        client: &Client,
        parent: &Header,
        header: &Header,
        parent_state: &StateBackend,
    ) -> Result<Header>;
}

/// The chain client. All methods block: call them from `spawn_blocking` in async code.
pub struct Client {
    db: Arc<Db>,
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
                write_changes(&mut batch, changes)?;
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
        let client = Arc::new(Self {
            db,
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

    /// How many signature checks block import has skipped so far because a second thread
    /// had already done them.
    pub fn signature_checks_done_ahead(&self) -> u64 {
        self.signature_cache_hits
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Lets runtime calls reach the keystore (session key generation).
    pub fn set_keystore(&self, keystore: KeystorePtr) {
        *self.keystore.write() = Some(keystore);
    }

    /// The heads of the chain.
    pub fn info(&self) -> ChainInfo {
        *self.info.read()
    }

    /// Flushes the database (clean shutdown).
    pub fn flush(&self) -> Result<()> {
        self.db.flush()
    }

    /// Subscribes to block imports.
    pub fn import_notifications(&self) -> broadcast::Receiver<BlockImportNotification> {
        self.imports.subscribe()
    }

    /// Subscribes to finality.
    pub fn finality_notifications(&self) -> broadcast::Receiver<FinalityNotification> {
        self.finality.subscribe()
    }

    /// The chain tips, highest first.
    pub fn leaves(&self) -> Vec<(u32, H256)> {
        self.leaves.read().iter().rev().copied().collect()
    }

    // ---------------------------------------------------------------- reads

    /// A header by hash.
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

    fn expect_header(&self, hash: H256) -> Result<Header> {
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

    /// A block body by hash.
    pub fn body(&self, hash: H256) -> Result<Option<Vec<OpaqueExtrinsic>>> {
        self.db.get_decoded(col::BODIES, hash_key(&hash))
    }

    /// A whole block by hash.
    pub fn block(&self, hash: H256) -> Result<Option<Block>> {
        let Some(header) = self.header(hash)? else {
            return Ok(None);
        };
        let extrinsics = self
            .body(hash)?
            .ok_or_else(|| Error::Corrupt(format!("block {hash:?} has a header but no body")))?;
        Ok(Some(Block { header, extrinsics }))
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

    fn state_at_header(&self, header: &Header, trusted: bool) -> StateBackend {
        self.state.at(header.state_root, trusted)
    }

    /// The state at a block.
    pub fn state_at(&self, hash: H256) -> Result<StateBackend> {
        let header = self.expect_header(hash)?;
        Ok(self.state_at_header(&header, false))
    }

    /// A storage value at a block.
    pub fn storage(&self, at: H256, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.state_at(at)?
            .storage(key)
            .map_err(|e| Error::State(e.to_string()))
    }

    /// The blake2-256 hash of a storage value at a block.
    pub fn storage_hash(&self, at: H256, key: &[u8]) -> Result<Option<H256>> {
        self.state_at(at)?
            .storage_hash(key)
            .map_err(|e| Error::State(e.to_string()))
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
        let iter = state.keys(args).map_err(|e| Error::State(e.to_string()))?;
        let mut out = Vec::new();
        for key in iter.take(count) {
            out.push(key.map_err(|e| Error::State(e.to_string()))?);
        }
        Ok(out)
    }

    /// Extensions for block building and import. No keystore: the chain's state
    /// transition must not depend on the local node's keys.
    fn extensions(&self) -> Extensions {
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

    // ---------------------------------------------------------------- building

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
        )
    }

    // ---------------------------------------------------------------- import

    /// Verifies, executes and stores a block, and moves the best chain if it is now the
    /// longest one containing the last finalized block.
    pub fn import_block(&self, block: ImportBlock) -> Result<ImportResult> {
        let started = Instant::now();
        let _guard = self.import_lock.lock();
        let hash = block.header.hash();
        let number = block.header.number;
        if self.header(hash)?.is_some() {
            return Ok(ImportResult::AlreadyInChain);
        }
        let parent_hash = block.header.parent_hash;
        let parent = self.header(parent_hash)?.ok_or(Error::UnknownParent {
            hash,
            parent: parent_hash,
        })?;
        if parent.number.checked_add(1) != Some(number) {
            return Err(Error::invalid(
                hash,
                format!("number {number} does not follow parent's {}", parent.number),
            ));
        }
        let info = self.info();
        if number <= info.finalized_number || !self.is_descendant_of_finalized(&parent, &info)? {
            return Err(Error::NotDescendantOfFinalized(hash));
        }

        let changes = match (block.origin, block.changes) {
            (BlockOrigin::Own, Some(changes)) => {
                if changes.transaction_storage_root != block.header.state_root {
                    return Err(Error::invalid(
                        hash,
                        "own block's changes do not match its state root",
                    ));
                }
                changes
            }
            (_, _) => self.verify_and_execute(hash, &parent, &block.header, &block.body)?,
        };

        // Fork choice: longest chain; ties keep the current best.
        let is_new_best = number > info.best_number;
        let route = if is_new_best && parent_hash != info.best_hash {
            Some(self.tree_route(info.best_hash, parent_hash)?)
        } else {
            None
        };

        let mut batch = self.db.batch();
        write_changes(&mut batch, changes)?;
        batch.put(col::HEADERS, hash_key(&hash), &block.header.encode())?;
        batch.put(col::BODIES, hash_key(&hash), &block.body.encode())?;
        if let Some(j) = &block.justifications {
            batch.put(col::JUSTIFICATIONS, hash_key(&hash), &j.encode())?;
        }
        for (index, xt) in block.body.iter().enumerate() {
            let tx_hash = BlakeTwo256::hash(&xt.encode());
            batch.put(
                col::TX_INDEX,
                hash_key(&tx_hash),
                &(hash, index as u32).encode(),
            )?;
        }
        let mut leaves = self.leaves.read().clone();
        leaves.remove(&(parent.number, parent_hash));
        leaves.insert((number, hash));
        batch.put(
            col::META,
            meta_key::LEAVES,
            &leaves.iter().copied().collect::<Vec<_>>().encode(),
        )?;

        let mut new_info = info;
        if is_new_best {
            if let Some(route) = &route {
                for (h, n) in &route.enacted {
                    batch.put(col::LOOKUP, &n.to_be_bytes(), hash_key(h))?;
                }
            }
            batch.put(col::LOOKUP, &number.to_be_bytes(), hash_key(&hash))?;
            batch.put(col::META, meta_key::BEST, &(hash, number).encode())?;
            new_info.best_hash = hash;
            new_info.best_number = number;
        }
        let mut newly_finalized = Vec::new();
        if block.finalize {
            if !is_new_best {
                return Err(Error::invalid(
                    hash,
                    "asked to finalize a block that is not the new best",
                ));
            }
            newly_finalized = self.finalized_range(&info, parent_hash)?;
            newly_finalized.push(hash);
            batch.put(col::META, meta_key::FINALIZED, &(hash, number).encode())?;
            new_info.finalized_hash = hash;
            new_info.finalized_number = number;
        }
        self.db.write(batch)?;
        *self.info.write() = new_info;
        *self.leaves.write() = leaves;
        if block.finalize {
            self.prune_leaves(&new_info)?;
        }
        let header = Arc::new(block.header);
        self.headers.lock().insert(hash, (*header).clone());

        let _ = self.imports.send(BlockImportNotification {
            hash,
            header: header.clone(),
            origin: block.origin,
            is_new_best,
            tree_route: route.map(Arc::new),
            import_time: started.elapsed(),
        });
        if !newly_finalized.is_empty() {
            let _ = self.finality.send(FinalityNotification {
                hash,
                header,
                finalized: Arc::new(newly_finalized),
            });
        }
        Ok(ImportResult::Imported {
            hash,
            number,
            is_new_best,
        })
    }

    /// The consensus engine's checks ([`BlockVerifier`]), spec version, inherents, then
    /// `Core_execute_block` on the parent's state.
    fn verify_and_execute(
        &self,
        hash: H256,
        parent: &Header,
        header: &Header,
        body: &[OpaqueExtrinsic],
    ) -> Result<StorageChanges<BlakeTwo256>> {
        let state = self.state_at_header(parent, true);
        let pre_header = self.verifier.verify(self, parent, header, &state)?;
        self.check_spec_version(&state, hash)?;

        let block = Block {
            header: pre_header,
            extrinsics: body.to_vec(),
        };
        let encoded = block.encode();

        // The timestamp must not be ahead of our clock by more than the runtime allows.
        let mut inherent_data = sp_inherents::InherentData::new();
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        inherent_data
            .put_data(sp_timestamp::INHERENT_IDENTIFIER, &now_ms)
            .map_err(|e| Error::State(e.to_string()))?;
        let mut check_input = encoded.clone();
        inherent_data.encode_to(&mut check_input);
        let mut overlay = OverlayedChanges::default();
        let mut ext = self.extensions();
        let out = executor::execute(
            &state,
            &mut overlay,
            &mut ext,
            "BlockBuilder_check_inherents",
            &check_input,
            CallContext::Onchain { import: true },
        )
        .map_err(|e| Error::invalid(hash, e.to_string()))?;
        let check = sp_inherents::CheckInherentsResult::decode(&mut &out[..])
            .map_err(|e| Error::decode("check_inherents result", e))?;
        if !check.ok() {
            let errors: Vec<String> = check
                .into_errors()
                .map(|(id, raw)| format!("{}: {}", String::from_utf8_lossy(&id), hex::encode(raw)))
                .collect();
            return Err(Error::invalid(
                hash,
                format!("inherents rejected: {}", errors.join(", ")),
            ));
        }

        let mut overlay = OverlayedChanges::default();
        self.execute_with_signature_checks(
            parent,
            &block.header,
            body,
            &state,
            &mut overlay,
            &encoded,
        )
        .map_err(|e| Error::invalid(hash, e.to_string()))?;
        let changes = overlay
            .drain_storage_changes(&state, StateVersion::V1)
            .map_err(|e| Error::State(e.to_string()))?;
        if changes.transaction_storage_root != header.state_root {
            return Err(Error::invalid(
                hash,
                format!(
                    "state root {:?} differs from the computed {:?}",
                    header.state_root, changes.transaction_storage_root
                ),
            ));
        }
        Ok(changes)
    }

    /// `Core_execute_block`, with the block's signatures checked on a second thread at the
    /// same time. The checker walks the extrinsics in order, recording each valid signature;
    /// the runtime, executing in order too, skips the signatures already recorded (see
    /// `echonet_runtime::signature`). A transfer takes about as long to execute as its
    /// signature takes to check, so after the first extrinsic or two the checker stays
    /// ahead and execution runs without checking signatures. If execution overtakes the
    /// checker (cheap extrinsics), the checker jumps ahead of it instead of redoing work.
    fn execute_with_signature_checks(
        &self,
        parent: &Header,
        pre_header: &Header,
        body: &[OpaqueExtrinsic],
        state: &StateBackend,
        overlay: &mut OverlayedChanges<BlakeTwo256>,
        encoded_block: &[u8],
    ) -> Result<Vec<u8>> {
        use echonet_runtime::signature::cache::{
            verify_and_record, SignatureSet, VerifiedSignatures,
        };
        use std::sync::atomic::{AtomicBool, Ordering};
        /// Below this, a second thread costs more than it saves.
        const MIN_EXTRINSICS: usize = 16;

        let mut extensions = self.extensions();
        if !self.config.parallel_signature_checks || body.len() < MIN_EXTRINSICS {
            return executor::execute(
                state,
                overlay,
                &mut extensions,
                "Core_execute_block",
                encoded_block,
                CallContext::Onchain { import: true },
            );
        }
        let verified = Arc::new(SignatureSet::default());
        extensions.register(VerifiedSignatures(verified.clone()));
        let done = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                // Signed payloads include block hashes (genesis, era birth) that
                // `System::initialize` records for the block being built: check in the
                // state after `Core_initialize_block`, as the runtime does.
                let checker_state = self.state_at_header(parent, true);
                let mut overlay = OverlayedChanges::default();
                let initialized = executor::execute(
                    &checker_state,
                    &mut overlay,
                    &mut Extensions::new(),
                    "Core_initialize_block",
                    &pre_header.encode(),
                    CallContext::Onchain { import: true },
                );
                if initialized.is_err() {
                    return; // The import itself will report what is wrong.
                }
                let _ = executor::with_state_and_overlay(&checker_state, &mut overlay, || {
                    let mut index = 0;
                    while index < body.len() && !done.load(Ordering::Relaxed) {
                        // Stay ahead of execution: the runtime's lookups count the signed
                        // extrinsics it has reached.
                        index = index.max(verified.lookups() + 1);
                        let Some(xt) = body.get(index) else { break };
                        if let Ok(xt) =
                            echonet_runtime::UncheckedExtrinsic::decode(&mut &xt.encode()[..])
                        {
                            verify_and_record(&xt, &verified);
                        }
                        index += 1;
                    }
                });
            });
            let result = executor::execute(
                state,
                overlay,
                &mut extensions,
                "Core_execute_block",
                encoded_block,
                CallContext::Onchain { import: true },
            );
            done.store(true, Ordering::Relaxed);
            tracing::debug!(
                target: "import",
                "{} of {} signatures were checked ahead of execution",
                verified.hits(),
                body.len()
            );
            self.signature_cache_hits
                .fetch_add(verified.hits() as u64, Ordering::Relaxed);
            result
        })
    }

    /// Refuses to execute on a state written by a runtime this node does not know.
    fn check_spec_version(&self, state: &StateBackend, hash: H256) -> Result<()> {
        let key = echonet_runtime::storage_keys::last_runtime_upgrade();
        let Some(raw) = state
            .storage(&key)
            .map_err(|e| Error::State(e.to_string()))?
        else {
            return Ok(());
        };
        let info = echonet_runtime::LastRuntimeUpgradeInfo::decode(&mut &raw[..])
            .map_err(|e| Error::decode("LastRuntimeUpgrade", e))?;
        let ours = echonet_runtime::VERSION;
        if info.spec_name != ours.spec_name || info.spec_version.0 > ours.spec_version {
            return Err(Error::invalid(
                hash,
                format!(
                    "the chain runs runtime {} v{}, this node runs {} v{}: upgrade echonet-node",
                    info.spec_name, info.spec_version.0, ours.spec_name, ours.spec_version
                ),
            ));
        }
        Ok(())
    }

    fn is_descendant_of_finalized(&self, block: &Header, info: &ChainInfo) -> Result<bool> {
        if block.number < info.finalized_number {
            return Ok(false);
        }
        // Fast path: the canonical chain contains the finalized block.
        if self.db.canonical_hash(block.number)? == Some(block.hash()) {
            return Ok(true);
        }
        let mut current = block.clone();
        while current.number > info.finalized_number {
            current = self.expect_header(current.parent_hash)?;
        }
        Ok(current.hash() == info.finalized_hash)
    }

    /// The route from `from` to `to` through their common ancestor.
    pub fn tree_route(&self, from: H256, to: H256) -> Result<TreeRoute> {
        let mut a = self.expect_header(from)?;
        let mut b = self.expect_header(to)?;
        let (mut a_hash, mut b_hash) = (from, to);
        let mut retracted = Vec::new();
        let mut enacted = Vec::new();
        while a.number > b.number {
            retracted.push((a_hash, a.number));
            a_hash = a.parent_hash;
            a = self.expect_header(a_hash)?;
        }
        while b.number > a.number {
            enacted.push((b_hash, b.number));
            b_hash = b.parent_hash;
            b = self.expect_header(b_hash)?;
        }
        while a_hash != b_hash {
            retracted.push((a_hash, a.number));
            enacted.push((b_hash, b.number));
            a_hash = a.parent_hash;
            b_hash = b.parent_hash;
            a = self.expect_header(a_hash)?;
            b = self.expect_header(b_hash)?;
        }
        enacted.reverse();
        Ok(TreeRoute {
            retracted,
            common: (a_hash, a.number),
            enacted,
        })
    }

    /// Blocks from just after the current finalized block up to `hash`, oldest first.
    fn finalized_range(&self, info: &ChainInfo, hash: H256) -> Result<Vec<H256>> {
        let route = self.tree_route(info.finalized_hash, hash)?;
        if !route.retracted.is_empty() {
            return Err(Error::NotDescendantOfFinalized(hash));
        }
        Ok(route.enacted.into_iter().map(|(h, _)| h).collect())
    }

    /// Finalizes `hash` (a descendant of the current finalized block), storing its
    /// justification. If `hash` is not on the best chain, the best chain moves to the
    /// longest chain that contains it.
    pub fn finalize_block(&self, hash: H256, justification: Option<Justification>) -> Result<()> {
        self.finalize_block_with_aux(hash, justification, &[])
    }

    /// [`Client::finalize_block`], writing `aux` entries (see [`Client::aux_put`]) in the
    /// same batch: a component whose state follows finality (GRANDPA's authority set)
    /// then never disagrees with the finalized block after a crash. If `hash` is already
    /// the finalized block, only `aux` is written.
    pub fn finalize_block_with_aux(
        &self,
        hash: H256,
        justification: Option<Justification>,
        aux: &[(&[u8], &[u8])],
    ) -> Result<()> {
        let _guard = self.import_lock.lock();
        let info = self.info();
        let mut batch = self.db.batch();
        for (key, value) in aux {
            batch.put(col::AUX, key, value)?;
        }
        if hash == info.finalized_hash {
            return self.db.write(batch);
        }
        let header = self.expect_header(hash)?;
        let number = header.number;
        let newly = self.finalized_range(&info, hash)?;
        if let Some(j) = justification {
            let all = match self.justifications(hash)? {
                Some(mut all) => {
                    all.append(j);
                    all
                }
                None => Justifications::from(j),
            };
            batch.put(col::JUSTIFICATIONS, hash_key(&hash), &all.encode())?;
        }
        let mut new_info = info;
        new_info.finalized_hash = hash;
        new_info.finalized_number = number;
        // Keep the best chain on top of the finalized block.
        let best_is_descendant = self.db.canonical_hash(number)? == Some(hash);
        if !best_is_descendant {
            let best_leaf = self
                .leaves()
                .into_iter()
                .find(|(n, h)| {
                    *n >= number
                        && self
                            .tree_route(hash, *h)
                            .map(|r| r.retracted.is_empty())
                            .unwrap_or(false)
                })
                .unwrap_or((number, hash));
            let route = self.tree_route(info.best_hash, best_leaf.1)?;
            for (_, n) in &route.retracted {
                if *n > best_leaf.0 {
                    batch.delete(col::LOOKUP, &n.to_be_bytes())?;
                }
            }
            for (h, n) in &route.enacted {
                batch.put(col::LOOKUP, &n.to_be_bytes(), hash_key(h))?;
            }
            batch.put(
                col::META,
                meta_key::BEST,
                &(best_leaf.1, best_leaf.0).encode(),
            )?;
            new_info.best_hash = best_leaf.1;
            new_info.best_number = best_leaf.0;
        }
        batch.put(col::META, meta_key::FINALIZED, &(hash, number).encode())?;
        self.db.write(batch)?;
        *self.info.write() = new_info;
        self.prune_leaves(&new_info)?;
        let _ = self.finality.send(FinalityNotification {
            hash,
            header: Arc::new(header),
            finalized: Arc::new(newly),
        });
        Ok(())
    }

    /// Forgets tips that can no longer become best (not descendants of the finalized
    /// block). Their blocks stay in the database.
    fn prune_leaves(&self, info: &ChainInfo) -> Result<()> {
        let current: Vec<(u32, H256)> = self.leaves.read().iter().copied().collect();
        let mut keep = BTreeSet::new();
        for (n, h) in current {
            let header = self.expect_header(h)?;
            if n >= info.finalized_number && self.is_descendant_of_finalized(&header, info)? {
                keep.insert((n, h));
            }
        }
        if keep.is_empty() {
            keep.insert((info.finalized_number, info.finalized_hash));
        }
        let mut batch = self.db.batch();
        batch.put(
            col::META,
            meta_key::LEAVES,
            &keep.iter().copied().collect::<Vec<_>>().encode(),
        )?;
        self.db.write(batch)?;
        *self.leaves.write() = keep;
        Ok(())
    }
}

/// Adds the trie nodes of `changes` to a batch.
fn write_changes(batch: &mut DbBatch<'_>, changes: StorageChanges<BlakeTwo256>) -> Result<()> {
    let mut transaction = changes.transaction;
    for (key, (value, rc)) in transaction.drain() {
        if rc > 0 {
            batch.put(col::STATE, &key, &value)?;
        }
    }
    Ok(())
}
