//! The pallet's invariants, checked by `try-runtime` and at the end of every mock test.

use crate::{
    BalanceOf, Carry, Claimable, Config, DomainPayouts, Domains, Fenwick, HoldReason, Members,
    NextDomainId, Optimums, Owed, Pallet, PoolSlots, Pools,
};
use alloc::collections::BTreeMap;
use frame_support::{ensure, traits::fungible::InspectHold};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// Invariants:
    /// - each account's `OptimumDeposit` hold is the sum of its open optimums' deposits,
    ///   and its `EvaluatorBond` hold the sum of its bonds;
    /// - every pool's slots `0..size` exist, each member's slot names it, the Fenwick
    ///   tree's total (prefix over all slots) equals the pool's total and the sum of its
    ///   slots' weights, and no node exists beyond the size;
    /// - every domain's `open` counts its open optimums;
    /// - the pot holds at least what it owes, `Owed = Σ Claimable + Σ remaining + Σ Carry`.
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
        let mut open: BTreeMap<u32, u32> = BTreeMap::new();
        for (_, o) in Optimums::<T>::iter() {
            let e = deposits.entry(o.optimizer.clone()).or_default();
            *e = e.saturating_add(o.deposit);
            *open.entry(o.domain).or_default() += 1;
        }
        for (who, total) in &deposits {
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::OptimumDeposit.into(), who) == *total,
                "held deposit differs from the open optimums' deposits"
            );
        }
        let mut bonds: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
        for (domain, who, m) in Members::<T>::iter() {
            let e = bonds.entry(who.clone()).or_default();
            *e = e.saturating_add(m.bond);
            let slot = PoolSlots::<T>::get(domain, m.slot).ok_or("a member's slot is empty")?;
            ensure!(slot.who == who, "a member's slot names another account");
        }
        for (who, total) in &bonds {
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::EvaluatorBond.into(), who) == *total,
                "held bond differs from the sum of the account's bonds"
            );
        }
        for domain in 0..NextDomainId::<T>::get() {
            let d = Domains::<T>::get(domain).ok_or("a registered domain is missing")?;
            ensure!(
                d.open == open.get(&domain).copied().unwrap_or(0),
                "a domain's open count differs from its optimums"
            );
            let pool = Pools::<T>::get(domain);
            let mut sum = 0u128;
            for slot in 0..pool.size {
                let s = PoolSlots::<T>::get(domain, slot).ok_or("a pool slot is empty")?;
                ensure!(
                    Members::<T>::get(domain, &s.who).map(|m| m.slot) == Some(slot),
                    "a slot's account is not the member of that slot"
                );
                sum = sum.saturating_add(s.weight);
            }
            ensure!(
                sum == pool.total,
                "pool total is not the sum of its slots' weights"
            );
            ensure!(
                Self::prefix(domain, pool.size) == pool.total,
                "Fenwick total is not the pool total"
            );
            ensure!(
                Fenwick::<T>::iter_prefix(domain).all(|(node, _)| node >= 1 && node <= pool.size),
                "a Fenwick node lies outside the pool"
            );
            ensure!(
                PoolSlots::<T>::iter_prefix(domain).count() as u32 == pool.size,
                "a slot exists beyond the pool's size"
            );
        }
        let mut owed = BalanceOf::<T>::zero();
        for (_, c) in Claimable::<T>::iter() {
            owed = owed.saturating_add(c);
        }
        for (_, _, p) in DomainPayouts::<T>::iter() {
            owed = owed.saturating_add(p.remaining);
        }
        for (_, c) in Carry::<T>::iter() {
            owed = owed.saturating_add(c);
        }
        ensure!(owed == Owed::<T>::get(), "Owed is not what the pot owes");
        ensure!(
            owed <= Self::pot_above_ed() || owed.is_zero(),
            "the pot owes more than it holds above its ED"
        );
        Ok(())
    }
}
