//! The pallet's invariants, checked by `try-runtime` and by the tests. They span every
//! concern, so they live apart from each.

use crate::{
    BalanceOf, CommitteeEpoch, Committees, Config, EventClass, HoldReason, Ledger, Nominators,
    Pallet, PendingEvents, Receipts, TotalStaked, Validators, WitnessPool, Witnesses,
};
use alloc::collections::BTreeSet;
use frame_support::{ensure, traits::fungible::InspectHold, traits::Get};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// Invariants: the staked total is the sum of the ledgers and what is on hold;
    /// every ledger's total is its active plus its chunks; the candidate, nominator
    /// and witness sets respect their bounds; no committee member of the epochs in use
    /// has less than the minimum stake its committee was drawn with; committee members
    /// are unique and at most K, and each committee's K and M are a valid pair
    /// (`0 < M ≤ K ≤ MaxCommitteeSize`, `2M > K`); the witness pool snapshot holds each
    /// account once, at most `MaxWitnesses`, and is not newer than the latest draw.
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        let mut sum = BalanceOf::<T>::zero();
        for (who, ledger) in Ledger::<T>::iter() {
            let chunks = ledger
                .unlocking
                .iter()
                .fold(Zero::zero(), |a: BalanceOf<T>, c| a.saturating_add(c.value));
            ensure!(
                ledger.total == ledger.active.saturating_add(chunks),
                "ledger total is not active + unlocking"
            );
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::Staking.into(), &who) == ledger.total,
                "held balance differs from the ledger"
            );
            sum = sum.saturating_add(ledger.total);
        }
        ensure!(
            sum == TotalStaked::<T>::get(),
            "total stake is not the sum of the ledgers"
        );
        ensure!(
            Validators::<T>::count() <= T::MaxCandidates::get(),
            "too many candidates"
        );
        ensure!(
            Nominators::<T>::count() <= T::MaxNominators::get(),
            "too many nominators"
        );
        ensure!(
            Witnesses::<T>::count() <= T::MaxWitnesses::get(),
            "too many witnesses"
        );
        ensure!(
            PendingEvents::<T>::count() <= T::MaxPendingEvents::get(),
            "too many events"
        );
        ensure!(
            Receipts::<T>::count() <= T::MaxReceipts::get(),
            "too many receipts"
        );
        // A member keeps at least the lower of the minimum it was drawn with and the
        // minimum in force (governance may have lowered it since).
        let min_now = Self::params().map_or_else(|_| Zero::zero(), |p| p.min_witness_stake);
        if let Some(epoch) = CommitteeEpoch::<T>::get() {
            for e in [epoch.saturating_sub(1), epoch] {
                for class in EventClass::ALL {
                    let Some(committee) = Committees::<T>::get(e, class) else {
                        continue;
                    };
                    for member in committee.members.iter() {
                        ensure!(
                            Self::active_bond(member) >= committee.min_stake.min(min_now),
                            "committee member below the minimum stake"
                        );
                    }
                    let (k, m) = (committee.size, committee.quorum);
                    ensure!(
                        k <= T::MaxCommitteeSize::get()
                            && m != 0
                            && m <= k
                            && m.saturating_mul(2) > k,
                        "committee K and M are not a valid pair"
                    );
                    ensure!(
                        committee.members.len() as u32 <= k,
                        "committee has more members than seats"
                    );
                    let unique: BTreeSet<_> = committee.members.iter().collect();
                    ensure!(
                        unique.len() == committee.members.len(),
                        "committee member drawn twice"
                    );
                }
            }
        }
        if let Some(pool) = WitnessPool::<T>::get() {
            ensure!(
                pool.entries.len() as u32 <= T::MaxWitnesses::get(),
                "witness pool snapshot too large"
            );
            ensure!(
                CommitteeEpoch::<T>::get().is_some_and(|drawn| pool.taken_at <= drawn),
                "witness pool snapshot newer than the latest draw"
            );
            let unique: BTreeSet<_> = pool.entries.iter().map(|e| &e.who).collect();
            ensure!(
                unique.len() == pool.entries.len(),
                "witness pool snapshot names an account twice"
            );
        }
        Ok(())
    }
}
