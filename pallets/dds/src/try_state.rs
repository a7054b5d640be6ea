//! The pallet's invariants, checked by `try-runtime` and at the end of every mock test.

use crate::{
    Assignments, BalanceOf, ChallengeStatus, Challenges, Config, ConfirmCursor, ConfirmDeadlines,
    ConfirmQueue, DealByCid, DealCount, DealSlots, Deals, HoldReason, OrphanQueue, Orphans, Pallet,
    ProviderChallenges, ProviderCount, ProviderSet, ProviderShards, ProviderStatus, Providers,
    Reassigning, RetrievalChecks, RetrievalCount,
};
use alloc::collections::{BTreeMap, BTreeSet};
use echonet_dds_primitives::Layout;
use frame_support::ensure;
use sp_runtime::traits::Saturating;

impl<T: Config> Pallet<T> {
    /// Invariants:
    /// - each provider's `ProviderBond` hold is its bond, and each owner's `DealPayment`
    ///   hold the sum of its deals' escrows;
    /// - each provider's `used` and `shards` are the sizes and count of the assignments
    ///   naming it, which are exactly its `ProviderShards` entries, and `used ≤ capacity`
    ///   unless it is leaving;
    /// - the provider set holds exactly the active providers, each with `free =
    ///   capacity − used`; `ProviderCount` counts all providers;
    /// - deal slots `0..DealCount` name each open deal once, at the slot it records, and
    ///   `DealByCid` maps every deal's cid to it;
    /// - each provider's `open_challenges` counts its stored challenges, which are exactly
    ///   its `ProviderChallenges` entries; an open challenge's provider is registered;
    /// - a leaving provider with shards is queued for reassignment;
    /// - `RetrievalCount` counts the waiting checks;
    /// - a shard has a confirmation deadline exactly when it is assigned and unconfirmed,
    ///   and each deadline is indexed once in `ConfirmQueue`, not below `ConfirmCursor`;
    /// - `Orphans` holds exactly the entries `head..tail`, `retry_until ≤ tail`; each names
    ///   a shard without a provider or of a closed deal, and every shard of an open deal
    ///   without a provider is queued exactly once.
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        let mut count = 0u32;
        for (who, p) in Providers::<T>::iter() {
            count += 1;
            ensure!(
                Self::held(HoldReason::ProviderBond, &who) == p.bond,
                "provider bond hold differs from its bond"
            );
            if p.status == ProviderStatus::Active {
                ensure!(p.used <= p.capacity, "an active provider is over capacity");
            } else if p.shards > 0 {
                ensure!(
                    Reassigning::<T>::get().contains(&who),
                    "a leaving provider with shards is not queued"
                );
            }
        }
        ensure!(count == ProviderCount::<T>::get(), "ProviderCount is off");

        let set = ProviderSet::<T>::get();
        let mut active = 0usize;
        for (who, p) in Providers::<T>::iter() {
            if p.status == ProviderStatus::Active {
                active += 1;
                let slot = set
                    .iter()
                    .find(|s| s.who == who)
                    .ok_or("an active provider is not in the set")?;
                ensure!(
                    slot.free == p.capacity - p.used,
                    "a set entry's free space is off"
                );
            }
        }
        ensure!(active == set.len(), "the provider set has inactive entries");

        let mut escrows: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
        let mut usage: BTreeMap<T::AccountId, (u64, u32)> = BTreeMap::new();
        let mut unconfirmed = 0u32;
        let mut homeless: BTreeSet<(crate::DealId, crate::ShardIndex)> = BTreeSet::new();
        let mut deals = 0u32;
        for (id, d) in Deals::<T>::iter() {
            deals += 1;
            let e = escrows.entry(d.owner.clone()).or_default();
            *e = e.saturating_add(d.escrow);
            ensure!(
                DealSlots::<T>::get(d.slot) == Some(id),
                "a deal's slot names another deal"
            );
            ensure!(
                DealByCid::<T>::get(d.cid) == Some(id),
                "a deal's cid maps elsewhere"
            );
            let layout =
                Layout::from_header(&d.header).map_err(|_| "a deal's layout is invalid")?;
            for (shard, a) in Assignments::<T>::iter_prefix(id) {
                ensure!(
                    shard < layout.shard_count(),
                    "an assignment beyond the shards"
                );
                let deadline = ConfirmDeadlines::<T>::get(id, shard);
                if a.provider.is_some() && !a.confirmed {
                    unconfirmed += 1;
                    let deadline = deadline.ok_or("an unconfirmed shard without a deadline")?;
                    ensure!(
                        ConfirmQueue::<T>::contains_key(deadline, (id, shard)),
                        "a deadline not indexed"
                    );
                    ensure!(
                        deadline >= ConfirmCursor::<T>::get(),
                        "a deadline below the cursor"
                    );
                } else {
                    ensure!(
                        deadline.is_none(),
                        "a deadline for a confirmed or homeless shard"
                    );
                }
                if a.provider.is_none() {
                    homeless.insert((id, shard));
                }
                if let Some(p) = a.provider {
                    ensure!(
                        ProviderShards::<T>::contains_key(&p, (id, shard)),
                        "an assignment without its index entry"
                    );
                    let u = usage.entry(p).or_default();
                    u.0 += u64::from(layout.shard_len(shard).unwrap_or(0));
                    u.1 += 1;
                }
            }
        }
        ensure!(deals == DealCount::<T>::get(), "DealCount is off");
        for slot in 0..deals {
            ensure!(DealSlots::<T>::contains_key(slot), "a deal slot is empty");
        }
        ensure!(
            !DealSlots::<T>::contains_key(deals),
            "a deal slot beyond the count"
        );
        for (who, total) in &escrows {
            ensure!(
                Self::held(HoldReason::DealPayment, who) == *total,
                "an owner's payment hold differs from its deals' escrows"
            );
        }
        let mut index: BTreeMap<T::AccountId, u32> = BTreeMap::new();
        for (who, (deal, shard), ()) in ProviderShards::<T>::iter() {
            let a = Assignments::<T>::get(deal, shard)
                .ok_or("an index entry without its assignment")?;
            ensure!(
                a.provider.as_ref() == Some(&who),
                "an index entry names another provider"
            );
            *index.entry(who).or_default() += 1;
        }
        for (who, p) in Providers::<T>::iter() {
            let (used, shards) = usage.get(&who).copied().unwrap_or_default();
            ensure!(p.used == used, "a provider's used bytes are off");
            ensure!(p.shards == shards, "a provider's shard count is off");
            ensure!(
                index.get(&who).copied().unwrap_or(0) == shards,
                "a provider's index is off"
            );
        }

        let mut open: BTreeMap<T::AccountId, u32> = BTreeMap::new();
        for (id, c) in Challenges::<T>::iter() {
            ensure!(
                ProviderChallenges::<T>::contains_key(&c.provider, id),
                "a challenge without its provider entry"
            );
            if c.status == ChallengeStatus::Open {
                ensure!(
                    Providers::<T>::contains_key(&c.provider),
                    "an open challenge's provider is gone"
                );
            }
            *open.entry(c.provider).or_default() += 1;
        }
        for (who, id, ()) in ProviderChallenges::<T>::iter() {
            ensure!(
                Challenges::<T>::contains_key(id),
                "a provider entry without its challenge"
            );
            ensure!(
                Providers::<T>::contains_key(&who),
                "a challenge entry of a gone provider"
            );
        }
        for (who, p) in Providers::<T>::iter() {
            ensure!(
                p.open_challenges == open.get(&who).copied().unwrap_or(0),
                "a provider's open challenge count is off"
            );
        }
        ensure!(
            RetrievalChecks::<T>::iter().count() as u32 == RetrievalCount::<T>::get(),
            "RetrievalCount is off"
        );

        ensure!(
            ConfirmDeadlines::<T>::iter().count() as u32 == unconfirmed,
            "a deadline of a gone or settled shard"
        );
        for (deadline, (deal, shard), ()) in ConfirmQueue::<T>::iter() {
            ensure!(
                ConfirmDeadlines::<T>::get(deal, shard) == Some(deadline),
                "an indexed deadline that is not the shard's"
            );
        }

        let q = OrphanQueue::<T>::get();
        ensure!(
            q.head <= q.tail && q.retry_until <= q.tail,
            "the orphan cursors are out of order"
        );
        let mut queued = 0u64;
        for (seq, o) in Orphans::<T>::iter() {
            queued += 1;
            ensure!(
                q.head <= seq && seq < q.tail,
                "an orphan outside head..tail"
            );
            if Deals::<T>::contains_key(o.deal) {
                ensure!(
                    homeless.remove(&(o.deal, o.shard)),
                    "an orphan entry of a placed shard, or a shard queued twice"
                );
            }
        }
        ensure!(queued == q.tail - q.head, "the orphan queue has holes");
        ensure!(
            homeless.is_empty(),
            "a shard without a provider is not queued"
        );
        Ok(())
    }
}
