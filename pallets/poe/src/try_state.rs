//! The pallet's invariants, checked by `try-runtime` and at the end of every mock test.

use crate::{BalanceOf, Config, CurrentSchedule, Pallet, PeriodState, Periods, Reserved};
use frame_support::ensure;
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// Invariants: every open period exists, is not expired and has `paid ≤ pool`;
    /// [`Reserved`] is `Σ (pool − paid)` over the open periods and at most the pool
    /// account's free balance less its existential deposit (so a pool never pays out more
    /// than it holds); expired periods not yet purged are marked expired; the schedule's
    /// cursors are ordered.
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        let s = CurrentSchedule::<T>::get();
        ensure!(
            s.purge_next <= s.oldest_open && s.oldest_open <= s.current,
            "schedule cursors out of order"
        );
        let mut owed = BalanceOf::<T>::zero();
        for period in s.oldest_open..s.current {
            let info = Periods::<T>::get(period).ok_or("an open period has no record")?;
            ensure!(
                info.state != PeriodState::Expired,
                "an open period is marked expired"
            );
            ensure!(info.paid <= info.pool, "a period paid more than its pool");
            ensure!(
                (info.state == PeriodState::Scored) == info.root.is_some(),
                "a period's root and state disagree"
            );
            owed = owed.saturating_add(info.pool.saturating_sub(info.paid));
        }
        ensure!(
            owed == Reserved::<T>::get(),
            "Reserved is not the sum of what open periods owe"
        );
        ensure!(
            owed <= Self::free_above_ed(),
            "open periods owe more than the pool account holds above its ED"
        );
        for period in s.purge_next..s.oldest_open {
            let info = Periods::<T>::get(period).ok_or("an expired period was purged early")?;
            ensure!(
                info.state == PeriodState::Expired,
                "an expired period is not marked expired"
            );
        }
        ensure!(
            !Periods::<T>::contains_key(s.current),
            "the running period has a record"
        );
        Ok(())
    }
}
