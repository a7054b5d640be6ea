//! The pallet's invariants, checked by `try-runtime` and at the end of every test.

use crate::{
    BalanceOf, BatchEnd, ChargeCursor, Config, Due, NextPlanId, Owed, Pallet, PayoutQueue,
    PlanCount, Plans, QueueBounds, Queued, SubscriptionCount, Subscriptions, TotalOwed,
};
use alloc::collections::{BTreeMap, BTreeSet};
use frame_support::{
    ensure,
    traits::{fungible::Inspect, Get},
};
use sp_runtime::traits::{CheckedAdd, Zero};

impl<T: Config> Pallet<T> {
    /// Invariants:
    /// - the ledger: `TotalOwed == Σ Owed == free balance of the ledger account − ED`, and
    ///   no zero [`Owed`] entry is stored;
    /// - the queue: `front ≤ BatchEnd ≤ back`, at most `MaxQueue` entries, exactly the
    ///   positions `front..back`, each creator once, and [`Queued`] is that set;
    /// - subscriptions: each is listed once in the [`Due`] list of its next charge, every
    ///   listed entry is such a subscription, no list is empty or before [`ChargeCursor`],
    ///   and [`SubscriptionCount`] counts them (at most `MaxSubscriptionsPerSubscriber`);
    /// - plans: [`PlanCount`] counts each creator's plans (at most `MaxPlansPerCreator`),
    ///   and every plan id is below the creator's [`NextPlanId`].
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        Self::check_ledger()?;
        Self::check_queue()?;
        Self::check_subscriptions()?;
        Self::check_plans()
    }

    fn check_ledger() -> Result<(), sp_runtime::TryRuntimeError> {
        let mut sum = BalanceOf::<T>::zero();
        for (_, owed) in Owed::<T>::iter() {
            ensure!(!owed.is_zero(), "a zero Owed entry is stored");
            sum = sum.checked_add(&owed).ok_or("Σ Owed overflows")?;
        }
        let total = TotalOwed::<T>::get();
        ensure!(sum == total, "TotalOwed is not Σ Owed");
        let ledger = Self::account_id();
        let free = T::Currency::balance(&ledger);
        let ed = T::Currency::minimum_balance();
        ensure!(
            free >= ed,
            "the ledger account is below the existential deposit"
        );
        let held = free - ed;
        ensure!(held >= total, "the ledger account holds less than it owes");
        ensure!(
            held == total,
            "the ledger account holds more than it owes (a transfer into it from outside, or a bug)"
        );
        Ok(())
    }

    fn check_queue() -> Result<(), sp_runtime::TryRuntimeError> {
        let (front, back) = QueueBounds::<T>::get();
        ensure!(front <= back, "queue front after its back");
        ensure!(
            back - front <= u64::from(T::MaxQueue::get()),
            "queue longer than MaxQueue"
        );
        let end = BatchEnd::<T>::get();
        ensure!(front <= end && end <= back, "batch end outside front..back");
        let mut creators = BTreeSet::new();
        let mut entries = 0u64;
        for (pos, creator) in PayoutQueue::<T>::iter() {
            ensure!(
                front <= pos && pos < back,
                "queue entry outside front..back"
            );
            ensure!(creators.insert(creator), "creator queued twice");
            entries += 1;
        }
        ensure!(entries == back - front, "queue positions missing");
        let queued: BTreeSet<_> = Queued::<T>::iter_keys().collect();
        ensure!(
            queued == creators,
            "Queued is not the set of queued creators"
        );
        Ok(())
    }

    fn check_subscriptions() -> Result<(), sp_runtime::TryRuntimeError> {
        let cursor = ChargeCursor::<T>::get();
        let mut listed = BTreeSet::new();
        for (block, list) in Due::<T>::iter() {
            ensure!(!list.is_empty(), "an empty due list is stored");
            if let Some(cursor) = cursor {
                ensure!(block >= cursor, "a due list before the charge cursor");
            }
            for (subscriber, creator) in list {
                let sub = Subscriptions::<T>::get(&subscriber, &creator)
                    .ok_or("a due entry without its subscription")?;
                ensure!(sub.next_charge == block, "a due entry at the wrong block");
                ensure!(
                    listed.insert((subscriber, creator)),
                    "a subscription listed twice"
                );
            }
        }
        let mut counts: BTreeMap<T::AccountId, u32> = BTreeMap::new();
        let mut subs = 0usize;
        for (subscriber, creator, _) in Subscriptions::<T>::iter() {
            ensure!(
                listed.contains(&(subscriber.clone(), creator)),
                "a subscription not listed under its next charge"
            );
            *counts.entry(subscriber).or_default() += 1;
            subs += 1;
        }
        ensure!(subs == listed.len(), "due entries and subscriptions differ");
        let stored: BTreeMap<_, _> = SubscriptionCount::<T>::iter().collect();
        ensure!(
            stored == counts,
            "SubscriptionCount does not count the subscriptions"
        );
        ensure!(
            counts
                .values()
                .all(|c| *c <= T::MaxSubscriptionsPerSubscriber::get()),
            "too many subscriptions for a subscriber"
        );
        Ok(())
    }

    fn check_plans() -> Result<(), sp_runtime::TryRuntimeError> {
        let mut counts: BTreeMap<T::AccountId, u32> = BTreeMap::new();
        for (creator, id, _) in Plans::<T>::iter() {
            ensure!(
                id < NextPlanId::<T>::get(&creator),
                "a plan id not yet handed out"
            );
            *counts.entry(creator).or_default() += 1;
        }
        let stored: BTreeMap<_, _> = PlanCount::<T>::iter().collect();
        ensure!(stored == counts, "PlanCount does not count the plans");
        ensure!(
            counts.values().all(|c| *c <= T::MaxPlansPerCreator::get()),
            "too many plans for a creator"
        );
        Ok(())
    }
}
