//! The bridge's invariants, checked by `try-runtime` and after every test.

use crate::{
    Config, DepositQueue, HoldReason, L2Total, NextIndex, Operators, Pallet, QueueHead, QueueTail,
    QueuedTotal, UnclaimedTotal, Withdrawals,
};
use echonet_rollup_primitives::tree::RESERVED_INDEX;
use frame_support::{
    ensure,
    traits::{
        fungible::{Inspect, InspectHold},
        Get,
    },
};

impl<T: Config> Pallet<T> {
    /// Invariants: the pallet account holds at least the queued deposits + the L2 total +
    /// the unclaimed withdrawals + its existential deposit (nothing pays out more than was
    /// locked); the queued and unclaimed totals are the sums of their entries; queue entries
    /// lie within `QueueHead..QueueTail`, at most `MaxQueuedDeposits` of them; created
    /// indices stop before the reserved one; operators are at most `MaxOperators`, each
    /// with no more than its bond on hold.
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        let queued = QueuedTotal::<T>::get();
        let unclaimed = UnclaimedTotal::<T>::get();
        let obligations = queued
            .checked_add(L2Total::<T>::get())
            .and_then(|x| x.checked_add(unclaimed))
            .and_then(|x| x.checked_add(T::Currency::minimum_balance()))
            .ok_or("obligations overflow")?;
        ensure!(
            T::Currency::balance(&Self::account_id()) >= obligations,
            "the bridge holds less than it owes"
        );
        let (head, tail) = (QueueHead::<T>::get(), QueueTail::<T>::get());
        ensure!(head <= tail, "queue head past its tail");
        ensure!(
            tail - head <= u64::from(T::MaxQueuedDeposits::get()),
            "deposit queue over its bound"
        );
        let mut sum: u128 = 0;
        for (seq, d) in DepositQueue::<T>::iter() {
            ensure!(seq >= head && seq < tail, "queue entry outside head..tail");
            ensure!(
                d.to < NextIndex::<T>::get(),
                "queued deposit to an unassigned index"
            );
            sum = sum.checked_add(d.amount).ok_or("queued sum overflows")?;
        }
        ensure!(sum == queued, "queued total is not the sum of the queue");
        let mut sum: u128 = 0;
        for (_, _, w) in Withdrawals::<T>::iter() {
            sum = sum.checked_add(w.amount).ok_or("unclaimed sum overflows")?;
        }
        ensure!(
            sum == unclaimed,
            "unclaimed total is not the sum of the withdrawals"
        );
        ensure!(
            NextIndex::<T>::get() <= RESERVED_INDEX,
            "an account index reached the reserved one"
        );
        ensure!(
            Operators::<T>::count() <= T::MaxOperators::get(),
            "too many operators"
        );
        for (who, bond) in Operators::<T>::iter() {
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::OperatorBond.into(), &who) >= bond,
                "an operator holds less than its bond"
            );
        }
        Ok(())
    }
}
