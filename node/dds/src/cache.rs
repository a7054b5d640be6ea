//! A bounded LRU of decoded chunks, limited by bytes (`--dds-cache-size`): hot content is
//! served without touching disk or peers.

use std::sync::Arc;

use schnellru::{Limiter, LruMap};

use crate::manifest::Cid;

/// Cache key: content and chunk index.
pub(crate) type ChunkKey = (Cid, u32);

/// Limits the cache by the total bytes of its chunks.
pub(crate) struct ByBytes {
    max: usize,
    used: usize,
}

impl Limiter<ChunkKey, Arc<Vec<u8>>> for ByBytes {
    type KeyToInsert<'a> = ChunkKey;
    type LinkType = u32;

    fn is_over_the_limit(&self, _length: usize) -> bool {
        self.used > self.max
    }

    fn on_insert(
        &mut self,
        _length: usize,
        key: ChunkKey,
        value: Arc<Vec<u8>>,
    ) -> Option<(ChunkKey, Arc<Vec<u8>>)> {
        if value.len() > self.max {
            return None;
        }
        self.used += value.len();
        Some((key, value))
    }

    fn on_replace(
        &mut self,
        _length: usize,
        _old_key: &mut ChunkKey,
        _new_key: ChunkKey,
        old_value: &mut Arc<Vec<u8>>,
        new_value: &mut Arc<Vec<u8>>,
    ) -> bool {
        if new_value.len() > self.max {
            return false;
        }
        self.used = self.used - old_value.len() + new_value.len();
        true
    }

    fn on_removed(&mut self, _key: &mut ChunkKey, value: &mut Arc<Vec<u8>>) {
        self.used -= value.len();
    }

    fn on_cleared(&mut self) {
        self.used = 0;
    }

    fn on_grow(&mut self, _new_memory_usage: usize) -> bool {
        true
    }
}

/// The chunk cache.
pub(crate) struct ChunkCache {
    map: parking_lot::Mutex<LruMap<ChunkKey, Arc<Vec<u8>>, ByBytes>>,
}

impl ChunkCache {
    /// A cache holding at most `max_bytes` of chunk data (0 disables it).
    pub(crate) fn new(max_bytes: usize) -> Self {
        ChunkCache {
            map: parking_lot::Mutex::new(LruMap::new(ByBytes {
                max: max_bytes,
                used: 0,
            })),
        }
    }

    pub(crate) fn get(&self, key: &ChunkKey) -> Option<Arc<Vec<u8>>> {
        self.map.lock().get(key).cloned()
    }

    pub(crate) fn insert(&self, key: ChunkKey, chunk: Arc<Vec<u8>>) {
        self.map.lock().insert(key, chunk);
    }

    /// Bytes of chunk data held.
    pub(crate) fn used(&self) -> usize {
        self.map.lock().limiter().used
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_evicts_least_recently_used_within_its_byte_bound() {
        let cache = ChunkCache::new(3000);
        let key = |i| (Cid([0; 32]), i);
        for i in 0..3 {
            cache.insert(key(i), Arc::new(vec![0u8; 1000]));
        }
        assert_eq!(cache.used(), 3000);
        assert!(cache.get(&key(0)).is_some()); // 0 is now the most recent
        cache.insert(key(3), Arc::new(vec![0u8; 1000]));
        assert!(cache.used() <= 3000);
        assert!(
            cache.get(&key(1)).is_none(),
            "least recently used went first"
        );
        assert!(cache.get(&key(0)).is_some() && cache.get(&key(3)).is_some());
        cache.insert(key(9), Arc::new(vec![0u8; 5000]));
        assert!(
            cache.get(&key(9)).is_none(),
            "a chunk larger than the cache is not kept"
        );
        assert!(cache.used() <= 3000);
    }

    #[test]
    fn zero_size_cache_keeps_nothing() {
        let cache = ChunkCache::new(0);
        cache.insert((Cid([1; 32]), 0), Arc::new(vec![1u8; 10]));
        assert_eq!(cache.len(), 0);
    }
}
