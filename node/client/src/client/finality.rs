//! Finality: moving the finalized block, storing justifications, and pruning the tips
//! that can no longer become best.

use super::{hash_key, ChainInfo, Client};
use crate::{
    db::{col, meta_key},
    error::{Error, Result},
};
use codec::Encode;
use echonet_runtime::Header;
use sp_core::H256;
use sp_runtime::{Justification, Justifications};
use std::{collections::BTreeSet, sync::Arc};
use tokio::sync::broadcast;

/// Sent when the finalized block moves.
#[derive(Debug, Clone)]
pub struct FinalityNotification {
    /// The new last finalized block.
    pub hash: H256,
    /// Its header, shared by all subscribers.
    pub header: Arc<Header>,
    /// Every newly finalized block, oldest first, ending with `hash`.
    pub finalized: Arc<Vec<H256>>,
}

impl Client {
    /// Subscribes to finality.
    pub fn finality_notifications(&self) -> broadcast::Receiver<FinalityNotification> {
        self.finality.subscribe()
    }

    /// Blocks from just after the current finalized block up to `hash`, oldest first.
    pub(super) fn finalized_range(&self, info: &ChainInfo, hash: H256) -> Result<Vec<H256>> {
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
        // Forks discarded and state pruned in the same batch: a crash leaves the old
        // finalized block with its journals, or the new one with pruning done.
        let mut commit = self.state_db.commit();
        let pruned = self.state_db.finalize(
            &self.db,
            &mut batch,
            &mut commit,
            info.finalized_number,
            &newly,
        )?;
        let delta = commit.write_into(&mut batch)?;
        self.db.write(batch)?;
        self.state_db.applied(&pruned, delta);
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
    pub(super) fn prune_leaves(&self, info: &ChainInfo) -> Result<()> {
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
