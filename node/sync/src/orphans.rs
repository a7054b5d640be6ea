//! Blocks whose parent we do not have yet. They wait here, bounded in number and bytes and
//! for a limited time, while their ancestors are fetched; when a parent arrives, its
//! children come out to be imported.

use crate::QueuedBlock;
use sp_core::H256;
use std::{
    collections::{HashMap, VecDeque},
    time::{Duration, Instant},
};

pub(crate) struct Orphans {
    blocks: HashMap<H256, (QueuedBlock, Instant)>,
    children: HashMap<H256, Vec<H256>>,
    /// Insertion order, for eviction (entries of blocks already gone are skipped).
    order: VecDeque<H256>,
    bytes: usize,
    max_blocks: usize,
    max_bytes: usize,
}

impl Orphans {
    pub(crate) fn new(max_blocks: usize, max_bytes: usize) -> Self {
        Self {
            blocks: HashMap::new(),
            children: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
            max_blocks,
            max_bytes,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.blocks.len()
    }

    #[cfg(test)]
    pub(crate) fn is_full(&self) -> bool {
        self.blocks.len() >= self.max_blocks || self.bytes >= self.max_bytes
    }

    pub(crate) fn contains(&self, hash: &H256) -> bool {
        self.blocks.contains_key(hash)
    }

    /// Holds a block; returns what had to be evicted (oldest first) to make room.
    pub(crate) fn insert(&mut self, block: QueuedBlock, now: Instant) -> Vec<QueuedBlock> {
        if self.blocks.contains_key(&block.hash) {
            return Vec::new();
        }
        self.bytes = self.bytes.saturating_add(block.size);
        self.children
            .entry(block.header.parent_hash)
            .or_default()
            .push(block.hash);
        self.order.push_back(block.hash);
        self.blocks.insert(block.hash, (block, now));
        let mut evicted = Vec::new();
        while self.blocks.len() > self.max_blocks || self.bytes > self.max_bytes {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(block) = self.remove(&oldest) {
                evicted.push(block);
            }
        }
        evicted
    }

    fn remove(&mut self, hash: &H256) -> Option<QueuedBlock> {
        let (block, _) = self.blocks.remove(hash)?;
        self.bytes = self.bytes.saturating_sub(block.size);
        if let Some(siblings) = self.children.get_mut(&block.header.parent_hash) {
            siblings.retain(|h| h != hash);
            if siblings.is_empty() {
                self.children.remove(&block.header.parent_hash);
            }
        }
        Some(block)
    }

    /// The blocks waiting for `parent` (not their own children: those come out when the
    /// children are imported in turn).
    pub(crate) fn take_children(&mut self, parent: &H256) -> Vec<QueuedBlock> {
        let hashes = self.children.remove(parent).unwrap_or_default();
        hashes
            .iter()
            .filter_map(|h| self.remove(h))
            .collect::<Vec<_>>()
    }

    /// Removes `hash` and everything waiting under it (a bad block and its descendants).
    pub(crate) fn remove_with_descendants(&mut self, hash: &H256) -> Vec<QueuedBlock> {
        let mut out = Vec::new();
        let mut stack = vec![*hash];
        while let Some(h) = stack.pop() {
            if let Some(block) = self.remove(&h) {
                out.push(block);
            }
            if let Some(kids) = self.children.remove(&h) {
                stack.extend(kids);
            }
        }
        out
    }

    /// The oldest ancestor in the buffer of the chain `hash` is in: the block whose parent
    /// must be fetched next.
    pub(crate) fn root_of(&self, hash: &H256) -> Option<&QueuedBlock> {
        let mut current = &self.blocks.get(hash)?.0;
        // Bounded by the buffer's size: every step moves to a distinct block.
        for _ in 0..self.blocks.len() {
            match self.blocks.get(&current.header.parent_hash) {
                Some((parent, _)) => current = parent,
                None => break,
            }
        }
        Some(current)
    }

    /// The blocks whose parent is not in the buffer: the parents to fetch.
    pub(crate) fn roots(&self) -> Vec<&QueuedBlock> {
        self.blocks
            .values()
            .map(|(b, _)| b)
            .filter(|b| !self.blocks.contains_key(&b.header.parent_hash))
            .collect()
    }

    /// Drops blocks held longer than `ttl`, with everything waiting under them.
    pub(crate) fn expire(&mut self, now: Instant, ttl: Duration) -> Vec<QueuedBlock> {
        let old: Vec<H256> = self
            .blocks
            .iter()
            .filter(|(_, (_, since))| now.saturating_duration_since(*since) >= ttl)
            .map(|(h, _)| *h)
            .collect();
        let mut out = Vec::new();
        for h in old {
            out.extend(self.remove_with_descendants(&h));
        }
        self.order.retain(|h| self.blocks.contains_key(h));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::fake_chain;

    #[test]
    fn children_come_out_when_their_parent_arrives() {
        let chain = fake_chain(5);
        let mut o = Orphans::new(10, usize::MAX);
        let now = Instant::now();
        // #2, #3, #4 wait; #1 is missing.
        for b in chain[2..5].iter().cloned() {
            assert!(o.insert(b, now).is_empty());
        }
        assert_eq!(o.len(), 3);
        assert_eq!(o.root_of(&chain[4].hash).unwrap().hash, chain[2].hash);
        assert!(o.take_children(&chain[0].hash).is_empty());
        let out = o.take_children(&chain[1].hash);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].hash, chain[2].hash);
        assert_eq!(o.take_children(&chain[2].hash)[0].hash, chain[3].hash);
        assert_eq!(o.len(), 1);
    }

    #[test]
    fn bounded_in_count_and_bytes_oldest_evicted_first() {
        let chain = fake_chain(6);
        let mut o = Orphans::new(3, usize::MAX);
        let now = Instant::now();
        for b in chain[1..4].iter().cloned() {
            o.insert(b, now);
        }
        let evicted = o.insert(chain[4].clone(), now);
        assert_eq!(evicted.len(), 1);
        assert_eq!(evicted[0].hash, chain[1].hash);
        assert!(!o.contains(&chain[1].hash));
        assert!(o.is_full());

        let size = chain[1].size;
        let mut o = Orphans::new(100, size * 2);
        o.insert(chain[1].clone(), now);
        o.insert(chain[2].clone(), now);
        let evicted = o.insert(chain[3].clone(), now);
        assert_eq!(evicted.len(), 1);
        assert_eq!(o.len(), 2);
    }

    #[test]
    fn expiry_and_bad_subtrees_take_descendants_along() {
        let chain = fake_chain(5);
        let mut o = Orphans::new(10, usize::MAX);
        let t0 = Instant::now();
        o.insert(chain[2].clone(), t0);
        o.insert(chain[3].clone(), t0 + Duration::from_secs(20));
        o.insert(chain[4].clone(), t0 + Duration::from_secs(20));
        let gone = o.expire(t0 + Duration::from_secs(30), Duration::from_secs(30));
        assert_eq!(gone.len(), 3, "#2 expired and took #3 and #4 with it");
        assert_eq!(o.len(), 0);

        o.insert(chain[2].clone(), t0);
        o.insert(chain[3].clone(), t0);
        o.insert(chain[4].clone(), t0);
        assert_eq!(o.remove_with_descendants(&chain[3].hash).len(), 2);
        assert!(o.contains(&chain[2].hash));
    }
}
