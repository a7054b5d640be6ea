//! A state backend for frame-benchmarking: an in-memory trie that the runtime can commit to
//! (`commit_db`) and reset to genesis (`wipe_db`), and that counts the storage keys each
//! benchmark reads and writes (minus the whitelisted ones), so that weights can charge
//! database accesses separately from execution time.
//!
//! Trie nodes are only ever added, never removed: a wipe just moves the root back to
//! genesis, whose nodes are all still there.

use parking_lot::{Mutex, RwLock};
use sp_core::{
    storage::{ChildInfo, TrackedStorageKey},
    H256,
};
use sp_runtime::{traits::BlakeTwo256, StateVersion};
use sp_state_machine::{
    Backend, BackendTransaction, ChildStorageCollection, DBValue, IterArgs, StorageCollection,
    StorageIterator, StorageKey, StorageValue, TrieBackend, TrieBackendBuilder, TrieBackendStorage,
    UsageInfo,
};
use sp_trie::{
    cache::{CacheSize, LocalTrieCache, SharedTrieCache},
    MerkleValue,
};
use std::{
    cell::RefCell,
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

/// Key-value pairs of one trie.
type KeyValues = Vec<(Vec<u8>, Vec<u8>)>;

/// The trie nodes by prefixed key (as the node's database stores them), shared between
/// the benchmark state and the trie backends it opens.
#[derive(Clone, Default)]
pub struct SharedNodes(Arc<RwLock<HashMap<Vec<u8>, DBValue>>>);

impl TrieBackendStorage<BlakeTwo256> for SharedNodes {
    fn get(
        &self,
        key: &H256,
        prefix: (&[u8], Option<u8>),
    ) -> Result<Option<DBValue>, sp_state_machine::DefaultError> {
        let db_key = sp_trie::prefixed_key::<BlakeTwo256>(key, prefix);
        Ok(self.0.read().get(&db_key).cloned())
    }
}

type Inner = TrieBackend<SharedNodes, BlakeTwo256, LocalTrieCache<BlakeTwo256>>;

/// Reads and writes per key, as frame-benchmarking's `TrackedStorageKey` counts them.
#[derive(Default)]
struct KeyTracker {
    /// (child trie key or empty for the main trie, key) -> counts.
    keys: BTreeMap<(Vec<u8>, Vec<u8>), TrackedStorageKey>,
}

impl KeyTracker {
    fn entry(&mut self, child: Option<&[u8]>, key: &[u8]) -> &mut TrackedStorageKey {
        let id = (child.unwrap_or_default().to_vec(), key.to_vec());
        self.keys.entry(id).or_insert_with(|| match child {
            Some(c) => TrackedStorageKey::new_child(c.to_vec(), key.to_vec()),
            None => TrackedStorageKey::new(key.to_vec()),
        })
    }

    fn whitelist(&mut self, whitelist: &[TrackedStorageKey]) {
        for w in whitelist {
            let child = w.child_trie_key.as_deref();
            self.entry(child, &w.key).whitelist();
        }
    }
}

/// The benchmarking backend.
pub struct BenchState {
    nodes: SharedNodes,
    cache: SharedTrieCache<BlakeTwo256>,
    genesis_root: H256,
    inner: RefCell<Inner>,
    tracker: Arc<Mutex<KeyTracker>>,
    whitelist: RefCell<Vec<TrackedStorageKey>>,
}

impl std::fmt::Debug for BenchState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BenchState(root {:?})", self.inner.borrow().root())
    }
}

/// A backend at `root` with a warm node cache, as the node's import path has: reads are
/// charged through `DbWeight`, so the measured time should not include a trie walk to
/// storage on every access.
fn open(nodes: &SharedNodes, cache: &SharedTrieCache<BlakeTwo256>, root: H256) -> Inner {
    TrieBackendBuilder::new_with_cache(nodes.clone(), root, cache.local_cache_trusted()).build()
}

impl BenchState {
    /// A state holding `genesis` (top-level key/values and default child tries).
    pub fn new(
        top: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>,
        children: impl IntoIterator<Item = (Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>)>,
    ) -> Self {
        let nodes = SharedNodes::default();
        let cache = SharedTrieCache::new(CacheSize::new(64 * 1024 * 1024), None);
        let empty = sp_trie::empty_trie_root::<sp_trie::LayoutV1<BlakeTwo256>>();
        let base = open(&nodes, &cache, empty);
        let top: Vec<(Vec<u8>, Vec<u8>)> = top.into_iter().collect();
        let children: Vec<(ChildInfo, KeyValues)> = children
            .into_iter()
            .map(|(key, pairs)| (ChildInfo::new_default(&key), pairs))
            .collect();
        let (root, transaction) = base.full_storage_root(
            top.iter().map(|(k, v)| (&k[..], Some(&v[..]))),
            children
                .iter()
                .map(|(info, pairs)| (info, pairs.iter().map(|(k, v)| (&k[..], Some(&v[..]))))),
            StateVersion::V1,
        );
        add_nodes(&nodes, transaction);
        Self {
            inner: RefCell::new(open(&nodes, &cache, root)),
            nodes,
            cache,
            genesis_root: root,
            tracker: Default::default(),
            whitelist: Default::default(),
        }
    }

    fn read(&self, child: Option<&[u8]>, key: &[u8]) {
        self.tracker.lock().entry(child, key).add_read();
    }

    fn write(&self, child: Option<&[u8]>, key: &[u8]) {
        self.tracker.lock().entry(child, key).add_write();
    }
}

fn add_nodes(nodes: &SharedNodes, mut transaction: BackendTransaction<BlakeTwo256>) {
    let mut db = nodes.0.write();
    for (key, (value, rc)) in transaction.drain() {
        // Only additions: a node that genesis (or another state) uses must not disappear.
        if rc > 0 {
            db.insert(key, value);
        }
    }
}

/// Iterates the inner backend, counting each key it yields as read.
pub struct RawIter {
    inner: <Inner as Backend<BlakeTwo256>>::RawIter,
    child: Option<Vec<u8>>,
    tracker: Arc<Mutex<KeyTracker>>,
}

impl StorageIterator<BlakeTwo256> for RawIter {
    type Backend = BenchState;
    type Error = String;

    fn next_key(&mut self, backend: &BenchState) -> Option<Result<StorageKey, String>> {
        let next = self.inner.next_key(&backend.inner.borrow());
        if let Some(Ok(key)) = &next {
            self.tracker
                .lock()
                .entry(self.child.as_deref(), key)
                .add_read();
        }
        next
    }

    fn next_pair(
        &mut self,
        backend: &BenchState,
    ) -> Option<Result<(StorageKey, StorageValue), String>> {
        let next = self.inner.next_pair(&backend.inner.borrow());
        if let Some(Ok((key, _))) = &next {
            self.tracker
                .lock()
                .entry(self.child.as_deref(), key)
                .add_read();
        }
        next
    }

    fn was_complete(&self) -> bool {
        self.inner.was_complete()
    }
}

impl Backend<BlakeTwo256> for BenchState {
    type Error = String;
    type TrieBackendStorage = SharedNodes;
    type RawIter = RawIter;

    fn storage(&self, key: &[u8]) -> Result<Option<StorageValue>, String> {
        self.read(None, key);
        self.inner.borrow().storage(key)
    }

    fn storage_hash(&self, key: &[u8]) -> Result<Option<H256>, String> {
        self.read(None, key);
        self.inner.borrow().storage_hash(key)
    }

    fn closest_merkle_value(&self, key: &[u8]) -> Result<Option<MerkleValue<H256>>, String> {
        self.read(None, key);
        self.inner.borrow().closest_merkle_value(key)
    }

    fn child_closest_merkle_value(
        &self,
        child_info: &ChildInfo,
        key: &[u8],
    ) -> Result<Option<MerkleValue<H256>>, String> {
        self.read(Some(child_info.storage_key()), key);
        self.inner
            .borrow()
            .child_closest_merkle_value(child_info, key)
    }

    fn child_storage(
        &self,
        child_info: &ChildInfo,
        key: &[u8],
    ) -> Result<Option<StorageValue>, String> {
        self.read(Some(child_info.storage_key()), key);
        self.inner.borrow().child_storage(child_info, key)
    }

    fn child_storage_hash(
        &self,
        child_info: &ChildInfo,
        key: &[u8],
    ) -> Result<Option<H256>, String> {
        self.read(Some(child_info.storage_key()), key);
        self.inner.borrow().child_storage_hash(child_info, key)
    }

    fn exists_storage(&self, key: &[u8]) -> Result<bool, String> {
        self.read(None, key);
        self.inner.borrow().exists_storage(key)
    }

    fn exists_child_storage(&self, child_info: &ChildInfo, key: &[u8]) -> Result<bool, String> {
        self.read(Some(child_info.storage_key()), key);
        self.inner.borrow().exists_child_storage(child_info, key)
    }

    fn next_storage_key(&self, key: &[u8]) -> Result<Option<StorageKey>, String> {
        self.read(None, key);
        self.inner.borrow().next_storage_key(key)
    }

    fn next_child_storage_key(
        &self,
        child_info: &ChildInfo,
        key: &[u8],
    ) -> Result<Option<StorageKey>, String> {
        self.read(Some(child_info.storage_key()), key);
        self.inner.borrow().next_child_storage_key(child_info, key)
    }

    fn storage_root<'a>(
        &self,
        delta: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
        state_version: StateVersion,
    ) -> (H256, BackendTransaction<BlakeTwo256>) {
        self.inner.borrow().storage_root(delta, state_version)
    }

    fn child_storage_root<'a>(
        &self,
        child_info: &ChildInfo,
        delta: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
        state_version: StateVersion,
    ) -> (H256, bool, BackendTransaction<BlakeTwo256>) {
        self.inner
            .borrow()
            .child_storage_root(child_info, delta, state_version)
    }

    fn raw_iter(&self, args: IterArgs) -> Result<RawIter, String> {
        let child = args.child_info.as_ref().map(|c| c.storage_key().to_vec());
        let inner = self.inner.borrow().raw_iter(args)?;
        Ok(RawIter {
            inner,
            child,
            tracker: self.tracker.clone(),
        })
    }

    fn register_overlay_stats(&self, _stats: &sp_state_machine::StateMachineStats) {}

    fn usage_info(&self) -> UsageInfo {
        UsageInfo::empty()
    }

    fn wipe(&self) -> Result<(), String> {
        *self.inner.borrow_mut() = open(&self.nodes, &self.cache, self.genesis_root);
        let mut tracker = self.tracker.lock();
        tracker.keys.clear();
        tracker.whitelist(&self.whitelist.borrow());
        Ok(())
    }

    fn commit(
        &self,
        root: H256,
        transaction: BackendTransaction<BlakeTwo256>,
        main: StorageCollection,
        children: ChildStorageCollection,
    ) -> Result<(), String> {
        add_nodes(&self.nodes, transaction);
        for (key, _) in &main {
            self.write(None, key);
        }
        for (child, changes) in &children {
            for (key, _) in changes {
                self.write(Some(child), key);
            }
        }
        *self.inner.borrow_mut() = open(&self.nodes, &self.cache, root);
        Ok(())
    }

    fn read_write_count(&self) -> (u32, u32, u32, u32) {
        let (mut reads, mut repeat_reads, mut writes, mut repeat_writes) = (0, 0, 0, 0);
        for tracked in self.tracker.lock().keys.values() {
            if tracked.whitelisted {
                continue;
            }
            if tracked.reads > 0 {
                reads += 1;
                repeat_reads += tracked.reads - 1;
            }
            if tracked.writes > 0 {
                writes += 1;
                repeat_writes += tracked.writes - 1;
            }
        }
        (reads, repeat_reads, writes, repeat_writes)
    }

    fn reset_read_write_count(&self) {
        let mut tracker = self.tracker.lock();
        tracker.keys.clear();
        tracker.whitelist(&self.whitelist.borrow());
    }

    fn get_whitelist(&self) -> Vec<TrackedStorageKey> {
        self.whitelist.borrow().clone()
    }

    fn set_whitelist(&self, new: Vec<TrackedStorageKey>) {
        *self.whitelist.borrow_mut() = new;
        self.tracker.lock().whitelist(&self.whitelist.borrow());
    }

    fn proof_size(&self) -> Option<u32> {
        // Proof size matters for parachains (PoV); this chain does not limit it.
        None
    }

    fn get_read_and_written_keys(&self) -> Vec<(Vec<u8>, u32, u32, bool)> {
        self.tracker
            .lock()
            .keys
            .values()
            .map(|t| (t.key.clone(), t.reads, t.writes, t.whitelisted))
            .collect()
    }
}
