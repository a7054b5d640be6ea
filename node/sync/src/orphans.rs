//! Blocks whose parent we do not have yet. They wait here, bounded in number and bytes and
//! for a limited time, while their ancestors are fetched; when a parent arrives, its
//! children come out to be imported.
//!
//! Each peer has a quota of the buffer (the blocks it sent): beyond it, its blocks are
//! refused. When the buffer is full, room is made at the expense of the peer that holds
//! the most, oldest first, so that one peer's flood of orphans cannot push out another's.

use crate::QueuedBlock;
use echonet_network::PeerId;
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
    /// Blocks held per sender.
    per_peer: HashMap<PeerId, usize>,
    max_blocks: usize,
    max_bytes: usize,
    max_per_peer: usize,
}

impl Orphans {
    pub(crate) fn new(max_blocks: usize, max_bytes: usize, max_per_peer: usize) -> Self {
        Self {
            blocks: HashMap::new(),
            children: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
            per_peer: HashMap::new(),
            max_blocks,
            max_bytes,
            max_per_peer,
        }
    }

    /// How many blocks `peer` has in the buffer.
    pub(crate) fn held_from(&self, peer: &PeerId) -> usize {
        self.per_peer.get(peer).copied().unwrap_or(0)
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

    /// Holds a block; returns what had to be evicted to make room (the oldest blocks of the
    /// peer that holds the most), or the block itself if its sender is over its quota.
    pub(crate) fn insert(
        &mut self,
        block: QueuedBlock,
        now: Instant,
    ) -> Result<Vec<QueuedBlock>, Box<QueuedBlock>> {
        if self.blocks.contains_key(&block.hash) {
            return Ok(Vec::new());
        }
        if self.held_from(&block.from) >= self.max_per_peer {
            return Err(Box::new(block));
        }
        *self.per_peer.entry(block.from).or_default() += 1;
        self.bytes = self.bytes.saturating_add(block.size);
        self.children
            .entry(block.header.parent_hash)
            .or_default()
            .push(block.hash);
        self.order.push_back(block.hash);
        self.blocks.insert(block.hash, (block, now));
        let mut evicted = Vec::new();
        while self.blocks.len() > self.max_blocks || self.bytes > self.max_bytes {
            // Forget entries of blocks already gone, then take the heaviest peer's oldest.
            self.order.retain(|h| self.blocks.contains_key(h));
            let Some(heaviest) = self
                .per_peer
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(peer, _)| *peer)
            else {
                break;
            };
            let Some(i) = self
                .order
                .iter()
                .position(|h| self.blocks.get(h).is_some_and(|(b, _)| b.from == heaviest))
            else {
                break;
            };
            let Some(victim) = self.order.remove(i) else {
                break;
            };
            if let Some(block) = self.remove(&victim) {
                evicted.push(block);
            }
        }
        Ok(evicted)
    }

    fn remove(&mut self, hash: &H256) -> Option<QueuedBlock> {
        let (block, _) = self.blocks.remove(hash)?;
        self.bytes = self.bytes.saturating_sub(block.size);
        if let Some(n) = self.per_peer.get_mut(&block.from) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_peer.remove(&block.from);
            }
        }
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
    use echonet_network::PeerId;
    use echonet_runtime::Header;

    #[test]
    fn children_come_out_when_their_parent_arrives() {
        let chain = fake_chain(5);
        let mut o = Orphans::new(10, usize::MAX, usize::MAX);
        let now = Instant::now();
        // #2, #3, #4 wait; #1 is missing.
        for b in chain[2..5].iter().cloned() {
            assert!(o.insert(b, now).unwrap().is_empty());
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
        let mut o = Orphans::new(3, usize::MAX, usize::MAX);
        let now = Instant::now();
        for b in chain[1..4].iter().cloned() {
            o.insert(b, now).unwrap();
        }
        let evicted = o.insert(chain[4].clone(), now).unwrap();
        assert_eq!(evicted.len(), 1);
        assert_eq!(evicted[0].hash, chain[1].hash);
        assert!(!o.contains(&chain[1].hash));
        assert!(o.is_full());

        let size = chain[1].size;
        let mut o = Orphans::new(100, size * 2, usize::MAX);
        o.insert(chain[1].clone(), now).unwrap();
        o.insert(chain[2].clone(), now).unwrap();
        let evicted = o.insert(chain[3].clone(), now).unwrap();
        assert_eq!(evicted.len(), 1);
        assert_eq!(o.len(), 2);
    }

    /// `n` orphans from `from`, each on its own unknown parent.
    fn unlinked(from: PeerId, n: u8) -> Vec<QueuedBlock> {
        (0..n)
            .map(|i| {
                let header = <Header as sp_runtime::traits::Header>::new(
                    10,
                    H256::repeat_byte(i),
                    H256::repeat_byte(0xee),
                    H256::repeat_byte(i),
                    Default::default(),
                );
                QueuedBlock {
                    hash: header.hash(),
                    header,
                    body: Vec::new(),
                    justifications: None,
                    origin: echonet_client::BlockOrigin::NetworkBroadcast,
                    from,
                    size: 100,
                }
            })
            .collect()
    }

    #[test]
    fn a_peer_that_floods_orphans_cannot_evict_another_peers() {
        let chain = fake_chain(4);
        let mut o = Orphans::new(8, usize::MAX, 4);
        let now = Instant::now();
        o.insert(chain[2].clone(), now).unwrap();
        o.insert(chain[3].clone(), now).unwrap();
        // Beyond its quota, a flooder's blocks are refused.
        let flooder = PeerId::random();
        let refused = unlinked(flooder, 50)
            .into_iter()
            .filter(|b| o.insert(b.clone(), now).is_err())
            .count();
        assert_eq!(refused, 46);
        assert_eq!(o.held_from(&flooder), 4);
        // A second flooder fills the buffer: room is made from the heaviest, not the honest.
        let other = PeerId::random();
        for mut b in unlinked(other, 4) {
            b.header.state_root = H256::repeat_byte(0xaa);
            b.hash = b.header.hash();
            o.insert(b, now).unwrap();
        }
        assert!(o.len() <= 8);
        assert!(
            o.contains(&chain[2].hash),
            "the flood evicted another peer's orphan"
        );
        assert!(
            o.contains(&chain[3].hash),
            "the flood evicted another peer's orphan"
        );
        assert_eq!(o.held_from(&flooder) + o.held_from(&other), 6);
    }

    #[test]
    fn expiry_and_bad_subtrees_take_descendants_along() {
        let chain = fake_chain(5);
        let mut o = Orphans::new(10, usize::MAX, usize::MAX);
        let t0 = Instant::now();
        o.insert(chain[2].clone(), t0).unwrap();
        o.insert(chain[3].clone(), t0 + Duration::from_secs(20))
            .unwrap();
        o.insert(chain[4].clone(), t0 + Duration::from_secs(20))
            .unwrap();
        let gone = o.expire(t0 + Duration::from_secs(30), Duration::from_secs(30));
        assert_eq!(gone.len(), 3, "#2 expired and took #3 and #4 with it");
        assert_eq!(o.len(), 0);

        o.insert(chain[2].clone(), t0).unwrap();
        o.insert(chain[3].clone(), t0).unwrap();
        o.insert(chain[4].clone(), t0).unwrap();
        assert_eq!(o.remove_with_descendants(&chain[3].hash).len(), 2);
        assert!(o.contains(&chain[2].hash));
    }
}
