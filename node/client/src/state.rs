//! The state backend: sp-state-machine's `TrieBackend` over trie nodes in RocksDB, with
//! sp-trie's shared node/value cache in front of it.

use crate::db::Db;
use sp_core::H256;
use sp_runtime::traits::BlakeTwo256;
use sp_state_machine::{DBValue, TrieBackend, TrieBackendBuilder, TrieBackendStorage};
use sp_trie::cache::{CacheSize, LocalTrieCache, SharedTrieCache};
use std::sync::Arc;

/// Reads trie nodes from the STATE column.
#[derive(Clone)]
pub struct DbStorage {
    db: Arc<Db>,
}

impl DbStorage {
    pub(crate) fn new(db: Arc<Db>) -> Self {
        Self { db }
    }
}

impl TrieBackendStorage<BlakeTwo256> for DbStorage {
    fn get(
        &self,
        key: &H256,
        prefix: (&[u8], Option<u8>),
    ) -> Result<Option<DBValue>, sp_state_machine::DefaultError> {
        let db_key = sp_trie::prefixed_key::<BlakeTwo256>(key, prefix);
        self.db.get_state_node(&db_key).map_err(|e| e.to_string())
    }
}

/// The state of one block, ready for reads or for a runtime call.
pub type StateBackend = TrieBackend<DbStorage, BlakeTwo256, LocalTrieCache<BlakeTwo256>>;

/// Hands out state backends that share one trie cache.
pub struct StateProvider {
    storage: DbStorage,
    cache: SharedTrieCache<BlakeTwo256>,
}

impl StateProvider {
    pub(crate) fn new(db: Arc<Db>, cache_bytes: usize) -> Self {
        Self {
            storage: DbStorage::new(db),
            cache: SharedTrieCache::new(CacheSize::new(cache_bytes), None),
        }
    }

    /// A backend at `state_root`. `trusted` is for block import and authoring, where the
    /// local cache may grow without the limits applied to RPC reads.
    pub fn at(&self, state_root: H256, trusted: bool) -> StateBackend {
        let local = if trusted {
            self.cache.local_cache_trusted()
        } else {
            self.cache.local_cache_untrusted()
        };
        TrieBackendBuilder::new_with_cache(self.storage.clone(), state_root, local).build()
    }
}
