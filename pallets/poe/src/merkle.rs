//! The Merkle tree of a period's scores, shared by the pallet (which verifies proofs) and
//! the reference aggregator (which builds the tree). `no_std`.
//!
//! Rules (the committee and every aggregator follow them bit for bit):
//! - leaf `i` of period `p` is `blake2_256(("echonet/poe/leaf", p, i, account, score)
//!   .encode())` with `p: u32`, `i: u32`, `score: u128` (SCALE);
//! - an inner node is `blake2_256(left ++ right)` (64 bytes, no domain tag: a leaf is
//!   the hash of a longer, tagged preimage, so the two cannot be confused);
//! - a level with an odd number of nodes promotes its last node unchanged to the level
//!   above (it is NOT paired with itself, so no two leaf lists share a root by
//!   duplicating their last leaf);
//! - a proof is the list of siblings from the leaf up; the leaf's index and the number
//!   of leaves say on which side each sibling goes and at which levels the node was
//!   promoted (no sibling is consumed there). A proof must be used up exactly.

use codec::Encode;
use sp_core::H256;

/// The domain tag of a leaf's preimage.
pub const LEAF_TAG: &[u8] = b"echonet/poe/leaf";

/// The hash of leaf `index` of `period`: `account` scored `score`.
pub fn leaf_hash<AccountId: Encode>(
    period: u32,
    index: u32,
    account: &AccountId,
    score: u128,
) -> H256 {
    H256(sp_io::hashing::blake2_256(
        &(LEAF_TAG, period, index, account, score).encode(),
    ))
}

/// The hash of an inner node: `blake2_256(left ++ right)`.
pub fn node_hash(left: &H256, right: &H256) -> H256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(left.as_bytes());
    buf[32..].copy_from_slice(right.as_bytes());
    H256(sp_io::hashing::blake2_256(&buf))
}

/// How many siblings the proof of leaf `index` in a tree of `leaves` leaves holds, or
/// `None` when `index` is not a leaf of it. Zero for a one-leaf tree (the leaf is the
/// root).
pub fn proof_len(index: u32, leaves: u32) -> Option<usize> {
    if index >= leaves {
        return None;
    }
    let (mut index, mut width, mut len) = (index, leaves, 0usize);
    while width > 1 {
        if index % 2 == 1 || index + 1 < width {
            len += 1;
        }
        index /= 2;
        width = width / 2 + width % 2;
    }
    Some(len)
}

/// The depth of a tree of `leaves` leaves: the longest proof, `ceil(log2(leaves))`.
pub fn depth(leaves: u32) -> u32 {
    if leaves <= 1 {
        0
    } else {
        32 - (leaves - 1).leading_zeros()
    }
}

/// Whether `proof` shows that `leaf` is leaf `index` of the tree of `leaves` leaves with
/// root `root`. False when the index is out of range, or the proof is too short or too
/// long.
pub fn verify(root: &H256, leaf: H256, index: u32, leaves: u32, proof: &[H256]) -> bool {
    compute_root(leaf, index, leaves, proof).is_some_and(|r| r == *root)
}

/// The root that `proof` leads to from `leaf` at `index` in a tree of `leaves` leaves, or
/// `None` when the index is out of range or the proof has the wrong length for it.
pub fn compute_root(leaf: H256, index: u32, leaves: u32, proof: &[H256]) -> Option<H256> {
    if index >= leaves {
        return None;
    }
    let (mut index, mut width, mut node) = (index, leaves, leaf);
    let mut siblings = proof.iter();
    while width > 1 {
        if index % 2 == 1 {
            node = node_hash(siblings.next()?, &node);
        } else if index + 1 < width {
            node = node_hash(&node, siblings.next()?);
        }
        // else: the last node of an odd level, promoted unchanged.
        index /= 2;
        width = width / 2 + width % 2;
    }
    siblings.next().is_none().then_some(node)
}

/// A whole tree, every level kept, so that any proof is a walk up the levels. Built
/// once from the leaf hashes (`levels[0]`); `levels.last()` is the root alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    levels: alloc::vec::Vec<alloc::vec::Vec<H256>>,
}

impl Tree {
    /// Builds the tree of `leaves` (at least one; `None` for none).
    pub fn build(leaves: alloc::vec::Vec<H256>) -> Option<Tree> {
        if leaves.is_empty() {
            return None;
        }
        let mut levels = alloc::vec![leaves];
        while let Some(below) = levels.last().filter(|l| l.len() > 1) {
            let above = below
                .chunks(2)
                .map(|pair| match pair {
                    [left, right] => node_hash(left, right),
                    [odd] => *odd,
                    _ => unreachable!("chunks(2) yields one or two nodes"),
                })
                .collect();
            levels.push(above);
        }
        Some(Tree { levels })
    }

    /// The root.
    pub fn root(&self) -> H256 {
        // `build` refuses an empty leaf list, so the top level holds exactly the root.
        self.levels
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or_default()
    }

    /// The number of leaves.
    pub fn leaves(&self) -> usize {
        self.levels.first().map_or(0, |l| l.len())
    }

    /// The proof of leaf `index` (siblings bottom-up), or `None` if there is no such leaf.
    pub fn proof(&self, index: usize) -> Option<alloc::vec::Vec<H256>> {
        if index >= self.leaves() {
            return None;
        }
        let mut proof = alloc::vec::Vec::with_capacity(self.levels.len());
        let mut index = index;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = index ^ 1;
            if let Some(node) = level.get(sibling) {
                proof.push(*node);
            }
            index /= 2;
        }
        Some(proof)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn leaves(n: u32) -> Vec<H256> {
        (0..n)
            .map(|i| leaf_hash(7, i, &(i as u64), u128::from(i) + 1))
            .collect()
    }

    #[test]
    fn every_proof_of_every_small_tree_verifies_and_has_the_predicted_length() {
        for n in 1..=33u32 {
            let tree = Tree::build(leaves(n)).expect("non-empty");
            let root = tree.root();
            for i in 0..n {
                let proof = tree.proof(i as usize).expect("leaf exists");
                assert_eq!(Some(proof.len()), proof_len(i, n), "n={n} i={i}");
                assert!(proof.len() as u32 <= depth(n));
                assert!(
                    verify(&root, leaves(n)[i as usize], i, n, &proof),
                    "n={n} i={i}"
                );
                // The same proof at another index, or with another leaf count, fails.
                if n > 1 {
                    assert!(!verify(
                        &root,
                        leaves(n)[i as usize],
                        (i + 1) % n,
                        n,
                        &proof
                    ));
                }
            }
        }
    }

    #[test]
    fn odd_node_is_promoted_not_duplicated() {
        let l = leaves(3);
        let tree = Tree::build(l.clone()).unwrap();
        assert_eq!(tree.root(), node_hash(&node_hash(&l[0], &l[1]), &l[2]));
        // Duplicating the last leaf gives a different root.
        let dup = Tree::build(alloc::vec![l[0], l[1], l[2], l[2]]).unwrap();
        assert_ne!(dup.root(), tree.root());
    }

    #[test]
    fn tampered_or_padded_proofs_fail() {
        let l = leaves(10);
        let tree = Tree::build(l.clone()).unwrap();
        let root = tree.root();
        let proof = tree.proof(4).unwrap();
        assert!(verify(&root, l[4], 4, 10, &proof));
        let mut bad = proof.clone();
        bad[1].0[0] ^= 1;
        assert!(!verify(&root, l[4], 4, 10, &bad));
        let mut long = proof.clone();
        long.push(H256::zero());
        assert!(!verify(&root, l[4], 4, 10, &long));
        assert!(!verify(&root, l[4], 4, 10, &proof[..proof.len() - 1]));
        assert!(!verify(&root, l[4], 10, 10, &proof));
        assert!(!verify(&root, l[5], 4, 10, &proof));
    }

    #[test]
    fn depth_is_ceil_log2() {
        assert_eq!(depth(0), 0);
        assert_eq!(depth(1), 0);
        assert_eq!(depth(2), 1);
        assert_eq!(depth(3), 2);
        assert_eq!(depth(1 << 20), 20);
        assert_eq!(depth(1_000_000), 20);
        assert_eq!(depth(u32::MAX), 32);
    }
}
