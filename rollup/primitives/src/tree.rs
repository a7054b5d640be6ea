//! The L2 state: a sparse Merkle tree of accounts, depth [`TREE_DEPTH`], keyed by account index.
//!
//! * An empty leaf is `0`; an account's leaf is `Poseidon(pk.x, pk.y, balance, nonce)`.
//!   Nobody knows a Poseidon preimage of 0, so an empty slot can only be filled by a deposit
//!   that creates an account (the circuit checks the old leaf is exactly 0 in that case).
//! * A node is `Poseidon(left, right)`. Empty subtrees are cached per level, so the tree
//!   stores only the nodes on paths to non-empty leaves, and an update costs `TREE_DEPTH` hashes.
//! * Path direction at level `i` (0 = leaf level) is bit `i` of the index (little-endian):
//!   bit 0 means the node is the left child. The circuit derives the direction bits from the
//!   same index bits it publishes in the DA, which is how positions are bound to indices.
//!
//! ## Updating many leaves
//!
//! A single update ([`AccountTree::set`]) costs one leaf hash and `TREE_DEPTH` node hashes,
//! nearly all of its time (the node map is a small part). A batch pipeline should instead use
//! [`AccountTree::set_many`]: it hashes each touched leaf once (the last value wins, as with
//! one-by-one updates), then walks up level by level hashing each dirty node once, so the
//! upper levels that the paths share are computed once per batch and not once per
//! transaction; leaves and the nodes of a level are hashed in parallel on rayon's pool. The
//! root is the one the same updates applied one by one give (a test pins it).

use std::collections::{BTreeMap, HashMap};

use ark_ff::Zero;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::eddsa::PublicKey;
use crate::field::Fr;
use crate::poseidon::poseidon;

/// Depth of the account tree: `2^24` accounts.
pub const TREE_DEPTH: usize = 24;
/// Number of account indices.
pub const TREE_CAPACITY: u32 = 1 << TREE_DEPTH;
/// Index `2^24 - 1` is never an account: the DA encoding uses it as a marker.
pub const RESERVED_INDEX: u32 = TREE_CAPACITY - 1;

/// An L2 account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The key that signs this account's transfers and withdrawals.
    pub pubkey: PublicKey,
    /// Balance in the L1 token's smallest unit (`u128`, like the L1 `Balance`).
    #[serde(with = "crate::serde_fr::u128_dec")]
    pub balance: u128,
    /// Number of transfers and withdrawals signed by this account (`< 2^40`).
    pub nonce: u64,
}

impl Account {
    /// The leaf: `Poseidon(pk.x, pk.y, balance, nonce)`.
    pub fn leaf(&self) -> Fr {
        poseidon(&[
            self.pubkey.0.x,
            self.pubkey.0.y,
            Fr::from(self.balance),
            Fr::from(self.nonce),
        ])
    }
}

/// Errors of tree access.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The index is `>= 2^24`, or is [`RESERVED_INDEX`] where an account was expected.
    #[error("account index {0} is outside the tree (or is the reserved index)")]
    IndexOutOfRange(u32),
}

/// Checks an index can hold an account.
pub fn check_index(index: u32) -> Result<(), TreeError> {
    if index >= RESERVED_INDEX {
        return Err(TreeError::IndexOutOfRange(index));
    }
    Ok(())
}

/// Siblings from the leaf level up (`siblings[0]` is the leaf's sibling).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerkleProof {
    /// One sibling per level; which side it is on comes from the index bits, not the proof.
    #[serde(with = "serde_siblings")]
    pub siblings: [Fr; TREE_DEPTH],
}

impl MerkleProof {
    /// The root obtained by hashing `leaf` at `index` up this path.
    pub fn root(&self, index: u32, leaf: Fr) -> Fr {
        let mut cur = leaf;
        for (level, sib) in self.siblings.iter().enumerate() {
            cur = if (index >> level) & 1 == 0 {
                poseidon(&[cur, *sib])
            } else {
                poseidon(&[*sib, cur])
            };
        }
        cur
    }

    /// Checks `leaf` is at `index` under `root`.
    pub fn verify(&self, root: &Fr, index: u32, leaf: Fr) -> bool {
        index < TREE_CAPACITY && self.root(index, leaf) == *root
    }

    /// All-zero path (for unused circuit slots).
    pub fn zero() -> Self {
        MerkleProof {
            siblings: [Fr::zero(); TREE_DEPTH],
        }
    }
}

/// The sparse account tree.
#[derive(Debug, Clone)]
pub struct AccountTree {
    accounts: HashMap<u32, Account>,
    /// Non-empty nodes, keyed by (level, index at that level); level 0 = leaves.
    nodes: HashMap<(u8, u32), Fr>,
    /// `empty[i]` is the root of an empty subtree of height `i`.
    empty: [Fr; TREE_DEPTH + 1],
}

impl Default for AccountTree {
    fn default() -> Self {
        Self::new()
    }
}

/// Roots of empty subtrees of height `0..=TREE_DEPTH`.
pub fn empty_subtree_roots() -> [Fr; TREE_DEPTH + 1] {
    let mut empty = [Fr::zero(); TREE_DEPTH + 1];
    for i in 0..TREE_DEPTH {
        empty[i + 1] = poseidon(&[empty[i], empty[i]]);
    }
    empty
}

impl AccountTree {
    /// An empty tree; its root is the empty-subtree root of height [`TREE_DEPTH`].
    pub fn new() -> Self {
        AccountTree {
            accounts: HashMap::new(),
            nodes: HashMap::new(),
            empty: empty_subtree_roots(),
        }
    }

    fn node(&self, level: usize, index: u32) -> Fr {
        self.nodes
            .get(&(level as u8, index))
            .copied()
            .unwrap_or(self.empty[level])
    }

    /// The state root, as the batch commitment and the L1 bridge know it.
    pub fn root(&self) -> Fr {
        self.node(TREE_DEPTH, 0)
    }

    /// The account at `index`, if one exists.
    pub fn get(&self, index: u32) -> Option<&Account> {
        self.accounts.get(&index)
    }

    /// Number of existing accounts (not the capacity).
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether no account exists yet.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Leaf value at `index` (0 when empty).
    pub fn leaf(&self, index: u32) -> Fr {
        self.node(0, index)
    }

    /// Membership (or emptiness) proof for `index`.
    pub fn proof(&self, index: u32) -> Result<MerkleProof, TreeError> {
        if index >= TREE_CAPACITY {
            return Err(TreeError::IndexOutOfRange(index));
        }
        let mut siblings = [Fr::zero(); TREE_DEPTH];
        for (level, sib) in siblings.iter_mut().enumerate() {
            *sib = self.node(level, (index >> level) ^ 1);
        }
        Ok(MerkleProof { siblings })
    }

    /// Sets (or, with `None`, clears) the account at `index`; O(depth) hashes.
    pub fn set(&mut self, index: u32, account: Option<Account>) -> Result<(), TreeError> {
        check_index(index)?;
        let leaf = match &account {
            Some(a) => {
                self.accounts.insert(index, *a);
                a.leaf()
            }
            None => {
                self.accounts.remove(&index);
                Fr::zero()
            }
        };
        let mut cur = leaf;
        let mut idx = index;
        for level in 0..TREE_DEPTH {
            self.put(level, idx, cur);
            let sib = self.node(level, idx ^ 1);
            cur = if idx & 1 == 0 {
                poseidon(&[cur, sib])
            } else {
                poseidon(&[sib, cur])
            };
            idx >>= 1;
        }
        self.put(TREE_DEPTH, 0, cur);
        Ok(())
    }

    /// Applies many updates at once: the same final tree as calling [`AccountTree::set`] on
    /// each in order (a later update of an index wins), with every touched node hashed once
    /// (see the module docs). Every index is checked first: on an error nothing changes.
    pub fn set_many<I>(&mut self, updates: I) -> Result<(), TreeError>
    where
        I: IntoIterator<Item = (u32, Option<Account>)>,
    {
        let mut last: BTreeMap<u32, Option<Account>> = BTreeMap::new();
        for (index, account) in updates {
            check_index(index)?;
            last.insert(index, account);
        }
        let leaves: Vec<(u32, Fr)> = last
            .par_iter()
            .map(|(index, account)| (*index, account.as_ref().map_or(Fr::zero(), Account::leaf)))
            .collect();
        for (index, account) in last {
            match account {
                Some(a) => self.accounts.insert(index, a),
                None => self.accounts.remove(&index),
            };
        }
        // `dirty` is sorted by index and has no duplicates at every level.
        let mut dirty: Vec<u32> = Vec::with_capacity(leaves.len());
        for (index, leaf) in leaves {
            self.put(0, index, leaf);
            dirty.push(index);
        }
        for level in 0..TREE_DEPTH {
            dirty.dedup_by_key(|i| *i >> 1);
            let this = &*self;
            let parents: Vec<(u32, Fr)> = dirty
                .par_iter()
                .map(|&i| {
                    let left = i & !1;
                    let parent = poseidon(&[this.node(level, left), this.node(level, left | 1)]);
                    (i >> 1, parent)
                })
                .collect();
            dirty.clear();
            for (index, value) in parents {
                self.put(level + 1, index, value);
                dirty.push(index);
            }
        }
        Ok(())
    }

    fn put(&mut self, level: usize, index: u32, value: Fr) {
        if value == self.empty[level] {
            self.nodes.remove(&(level as u8, index));
        } else {
            self.nodes.insert((level as u8, index), value);
        }
    }

    /// All accounts, by index.
    pub fn accounts(&self) -> impl Iterator<Item = (&u32, &Account)> {
        self.accounts.iter()
    }
}

mod serde_siblings {
    use super::TREE_DEPTH;
    use crate::field::{fr_from_decimal, fr_to_decimal, Fr};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(x: &[Fr; TREE_DEPTH], s: S) -> Result<S::Ok, S::Error> {
        x.iter().map(fr_to_decimal).collect::<Vec<_>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[Fr; TREE_DEPTH], D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        if v.len() != TREE_DEPTH {
            return Err(serde::de::Error::custom("a Merkle path has 24 siblings"));
        }
        let mut out = [Fr::from(0u64); TREE_DEPTH];
        for (o, s) in out.iter_mut().zip(v.iter()) {
            *o = fr_from_decimal(s).map_err(serde::de::Error::custom)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eddsa::PrivateKey;

    fn acct(i: u8, balance: u128) -> Account {
        Account {
            pubkey: PrivateKey([i; 32]).public(),
            balance,
            nonce: i as u64,
        }
    }

    /// Root of a tree given all leaves, computed densely (for small trees only).
    fn naive_root(leaves: &HashMap<u32, Fr>) -> Fr {
        let empty = empty_subtree_roots();
        let mut level: HashMap<u32, Fr> = leaves.clone();
        for empty_h in empty.iter().take(TREE_DEPTH) {
            let mut next = HashMap::new();
            let parents: std::collections::BTreeSet<u32> = level.keys().map(|i| i >> 1).collect();
            for p in parents {
                let l = level.get(&(2 * p)).copied().unwrap_or(*empty_h);
                let r = level.get(&(2 * p + 1)).copied().unwrap_or(*empty_h);
                next.insert(p, poseidon(&[l, r]));
            }
            level = next;
        }
        level.get(&0).copied().unwrap_or(empty[TREE_DEPTH])
    }

    #[test]
    fn updates_and_proofs_match_naive_tree() {
        let mut t = AccountTree::new();
        assert_eq!(t.root(), empty_subtree_roots()[TREE_DEPTH]);
        let mut leaves = HashMap::new();
        for (n, idx) in [0u32, 1, 2, 5, 1 << 20, RESERVED_INDEX - 1]
            .into_iter()
            .enumerate()
        {
            let a = acct(n as u8, 1000 + n as u128);
            t.set(idx, Some(a)).unwrap();
            leaves.insert(idx, a.leaf());
            assert_eq!(t.root(), naive_root(&leaves));
            let p = t.proof(idx).unwrap();
            assert!(p.verify(&t.root(), idx, a.leaf()));
            assert!(!p.verify(&t.root(), idx ^ 1, a.leaf()));
        }
        // Emptiness proof of an unused index.
        let p = t.proof(3).unwrap();
        assert!(p.verify(&t.root(), 3, Fr::zero()));
        // Removing everything returns to the empty root.
        for idx in leaves.keys() {
            t.set(*idx, None).unwrap();
        }
        assert_eq!(t.root(), empty_subtree_roots()[TREE_DEPTH]);
        assert!(t.set(RESERVED_INDEX, None).is_err());
        assert!(t.proof(TREE_CAPACITY).is_err());
    }

    /// `set_many` reaches the tree that one-by-one `set` does (root, proofs, accounts), with
    /// repeated indices (the last wins), removals, neighbours and far-apart indices.
    #[test]
    fn set_many_equals_one_by_one() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x7ee5);
        let mut one = AccountTree::new();
        let mut many = AccountTree::new();
        for round in 0..4 {
            let updates: Vec<(u32, Option<Account>)> = (0..60)
                .map(|n| {
                    let index = match n % 3 {
                        0 => rng.gen_range(0..64),
                        1 => rng.gen_range(0..RESERVED_INDEX),
                        _ => rng.gen_range(1000..1010),
                    };
                    let account = (rng.gen_range(0..5) != 0)
                        .then(|| acct(rng.gen(), rng.gen_range(0..1_000_000)));
                    (index, account)
                })
                .collect();
            for (index, account) in &updates {
                one.set(*index, *account).unwrap();
            }
            many.set_many(updates.iter().copied()).unwrap();
            assert_eq!(many.root(), one.root(), "round {round}");
            assert_eq!(many.nodes, one.nodes);
            assert_eq!(many.accounts, one.accounts);
            for (index, _) in &updates {
                assert_eq!(many.proof(*index), one.proof(*index));
            }
        }
        // A bad index anywhere in the batch changes nothing.
        let before = many.root();
        let bad = vec![(5, Some(acct(1, 1))), (RESERVED_INDEX, None)];
        assert_eq!(
            many.set_many(bad),
            Err(TreeError::IndexOutOfRange(RESERVED_INDEX))
        );
        assert_eq!(many.root(), before);
        assert_eq!(many.accounts, one.accounts);
        many.set_many([]).unwrap();
        assert_eq!(many.root(), before);
    }
}
