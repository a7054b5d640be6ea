//! The evaluator pools: a Fenwick (binary indexed) tree per domain over member slots, and
//! the weighted draw without replacement in O(K log N) storage reads.
//!
//! Node `i` (1-based) holds the sum of the weights of slots `i − lowbit(i) .. i`
//! (0-based, half-open), where `lowbit(i) = i & −i`. A prefix sum reads the O(log N) nodes
//! `i, i − lowbit(i), …`; a point update writes `i, i + lowbit(i), …` up to the size.
//!
//! The tree grows by appending: node `n + 1` is the new weight plus the prefix sums of the
//! slots it covers that already exist (two prefix reads), and no other node changes since
//! none above `n + 1` exists yet. Removing slot `s` moves the last slot into it (one point
//! update) and deletes the last node.
//!
//! A draw never writes: it keeps the weights it takes out (the excluded accounts, then each
//! member drawn) in an in-memory overlay of node deltas, so that no member is drawn twice
//! and the stored tree is untouched afterwards, the same as "subtract, then restore".

use crate::{Config, Fenwick, Members, Pallet, PoolSlots, Pools, Slot};
use alloc::{collections::BTreeMap, vec::Vec};
use codec::Encode;
use pallet_reputation::{ReputationScores, Role};
use sp_runtime::traits::UniqueSaturatedInto;

#[inline]
fn lowbit(i: u32) -> u32 {
    i & i.wrapping_neg()
}

/// Weights taken out of a tree during one draw: node → amount to subtract.
#[derive(Default)]
pub(crate) struct Overlay(BTreeMap<u32, u128>);

impl Overlay {
    /// Takes `weight` out at 1-based index `i` of a tree of `size` nodes.
    fn take(&mut self, mut i: u32, weight: u128, size: u32) {
        while i != 0 && i <= size {
            let v = self.0.entry(i).or_default();
            *v = v.saturating_add(weight);
            i = match i.checked_add(lowbit(i)) {
                Some(next) => next,
                None => break,
            };
        }
    }

    fn get(&self, i: u32) -> u128 {
        self.0.get(&i).copied().unwrap_or(0)
    }
}

impl<T: Config> Pallet<T> {
    /// The weight `who` has in a pool with `bond`: `bond × (reputation_base + Evaluator
    /// reputation)`.
    pub(crate) fn weight_of(who: &T::AccountId, bond: crate::BalanceOf<T>) -> u128 {
        let bond: u128 = bond.unique_saturated_into();
        let rep = T::ReputationScores::score(who, Role::Evaluator);
        let factor = crate::ActiveParams::<T>::get()
            .reputation_base
            .saturating_add(rep);
        bond.saturating_mul(u128::from(factor))
    }

    /// The sum of the weights of slots `0..i` (1-based prefix `i`).
    pub(crate) fn prefix(domain: u32, mut i: u32) -> u128 {
        let mut sum = 0u128;
        while i > 0 {
            sum = sum.saturating_add(Fenwick::<T>::get(domain, i));
            i -= lowbit(i);
        }
        sum
    }

    /// Adds `add` and subtracts `sub` at 1-based index `i` of a tree of `size` nodes.
    fn point_update(domain: u32, mut i: u32, add: u128, sub: u128, size: u32) {
        while i != 0 && i <= size {
            Fenwick::<T>::mutate(domain, i, |v| {
                *v = v.saturating_add(add).saturating_sub(sub)
            });
            i = match i.checked_add(lowbit(i)) {
                Some(next) => next,
                None => break,
            };
        }
    }

    /// Appends `who` with `weight` to `domain`'s pool; returns its slot. The caller checks
    /// the pool's bound.
    pub(crate) fn pool_append(domain: u32, who: &T::AccountId, weight: u128) -> u32 {
        let mut pool = Pools::<T>::get(domain);
        let slot = pool.size;
        let node = slot.saturating_add(1);
        // Node `node` covers slots `node − lowbit(node) .. node`: the existing ones are
        // `node − lowbit(node) .. slot`.
        let below =
            Self::prefix(domain, slot).saturating_sub(Self::prefix(domain, node - lowbit(node)));
        Fenwick::<T>::insert(domain, node, below.saturating_add(weight));
        PoolSlots::<T>::insert(
            domain,
            slot,
            Slot {
                who: who.clone(),
                weight,
            },
        );
        pool.size = node;
        pool.total = pool.total.saturating_add(weight);
        Pools::<T>::insert(domain, pool);
        slot
    }

    /// Removes slot `slot` of `domain`'s pool, moving the last slot into it.
    pub(crate) fn pool_remove(domain: u32, slot: u32) {
        let mut pool = Pools::<T>::get(domain);
        let Some(last) = pool.size.checked_sub(1) else {
            return;
        };
        let Some(gone) = PoolSlots::<T>::get(domain, slot) else {
            return;
        };
        if slot != last {
            if let Some(moved) = PoolSlots::<T>::get(domain, last) {
                Self::point_update(
                    domain,
                    slot.saturating_add(1),
                    moved.weight,
                    gone.weight,
                    pool.size,
                );
                Members::<T>::mutate(domain, &moved.who, |m| {
                    if let Some(m) = m {
                        m.slot = slot;
                    }
                });
                PoolSlots::<T>::insert(domain, slot, moved);
            }
        }
        PoolSlots::<T>::remove(domain, last);
        Fenwick::<T>::remove(domain, pool.size);
        pool.size = last;
        pool.total = pool.total.saturating_sub(gone.weight);
        if pool.size == 0 {
            Pools::<T>::remove(domain);
        } else {
            Pools::<T>::insert(domain, pool);
        }
    }

    /// Sets the weight of slot `slot` to `weight`.
    pub(crate) fn pool_set_weight(domain: u32, slot: u32, weight: u128) {
        let Some(mut s) = PoolSlots::<T>::get(domain, slot) else {
            return;
        };
        if s.weight == weight {
            return;
        }
        let mut pool = Pools::<T>::get(domain);
        Self::point_update(domain, slot.saturating_add(1), weight, s.weight, pool.size);
        pool.total = pool.total.saturating_add(weight).saturating_sub(s.weight);
        s.weight = weight;
        PoolSlots::<T>::insert(domain, slot, s);
        Pools::<T>::insert(domain, pool);
    }

    /// Recomputes `who`'s weight in `domain` from its bond and reputation now.
    pub(crate) fn refresh(domain: u32, who: &T::AccountId) {
        if let Some(m) = Members::<T>::get(domain, who) {
            Self::pool_set_weight(domain, m.slot, Self::weight_of(who, m.bond));
        }
    }

    /// Recomputes `who`'s weight in `domain` if it moved by more than 1/16 of the stored
    /// one. Verdicts use it: each agreeing evaluator gains a point or so of reputation, and
    /// rewriting O(log N) tree nodes for every seat of every verdict would cost more than
    /// the drift it corrects. Smaller drifts wait for the next bond change or
    /// `refresh_weight`.
    pub(crate) fn refresh_if_moved(domain: u32, who: &T::AccountId) {
        let Some(m) = Members::<T>::get(domain, who) else {
            return;
        };
        let Some(s) = PoolSlots::<T>::get(domain, m.slot) else {
            return;
        };
        let weight = Self::weight_of(who, m.bond);
        if weight.abs_diff(s.weight) > s.weight / 16 {
            Self::pool_set_weight(domain, m.slot, weight);
        }
    }

    /// The slot whose cumulative range contains `r` (`r < total` of the overlaid tree), by
    /// descending the tree: O(log N) reads.
    fn search(domain: u32, size: u32, mut r: u128, overlay: &Overlay) -> Option<u32> {
        if size == 0 {
            return None;
        }
        let mut pos = 0u32;
        let mut step = 1u32 << (31 - size.leading_zeros());
        while step > 0 {
            let next = pos.saturating_add(step);
            if next <= size {
                let v = Fenwick::<T>::get(domain, next).saturating_sub(overlay.get(next));
                if v <= r {
                    pos = next;
                    r -= v;
                }
            }
            step >>= 1;
        }
        (pos < size).then_some(pos)
    }

    /// Draws up to `k` distinct members of `domain`'s pool, each with probability
    /// proportional to its weight among those not yet drawn, never one of `exclude`.
    /// Randomness: the `i`-th pick uses `blake2_256((seed, i))` modulo the remaining
    /// weight. O(k log N) storage reads, no writes.
    pub(crate) fn draw(
        domain: u32,
        k: u32,
        exclude: &[T::AccountId],
        seed: &[u8; 32],
    ) -> Vec<T::AccountId> {
        let pool = Pools::<T>::get(domain);
        let mut overlay = Overlay::default();
        let mut total = pool.total;
        let mut eligible = pool.size;
        let mut excluded_slots: Vec<u32> = Vec::new();
        for who in exclude {
            if let Some(m) = Members::<T>::get(domain, who) {
                if excluded_slots.contains(&m.slot) {
                    continue;
                }
                excluded_slots.push(m.slot);
                if let Some(s) = PoolSlots::<T>::get(domain, m.slot) {
                    overlay.take(m.slot.saturating_add(1), s.weight, pool.size);
                    total = total.saturating_sub(s.weight);
                }
                eligible = eligible.saturating_sub(1);
            }
        }
        let k = k.min(eligible);
        let mut drawn = Vec::with_capacity(k as usize);
        for i in 0..k {
            if total == 0 {
                break;
            }
            let h = sp_io::hashing::blake2_256(&(seed, i).encode());
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&h[..16]);
            let r = u128::from_le_bytes(bytes) % total;
            let Some(slot) = Self::search(domain, pool.size, r, &overlay) else {
                break;
            };
            let Some(s) = PoolSlots::<T>::get(domain, slot) else {
                break;
            };
            overlay.take(slot.saturating_add(1), s.weight, pool.size);
            total = total.saturating_sub(s.weight);
            drawn.push(s.who);
        }
        drawn
    }
}
