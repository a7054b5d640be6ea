//! The pallet's invariants, checked by `try-runtime` and by the tests. They span every
//! concern, so they live apart from each.

use crate::{
    BalanceOf, CommitteeEpoch, Committees, Config, EventClass, HoldReason, Ledger, Nominators,
    Pallet, PendingEvents, Receipts, SlashQueue, SlashQueueBounds, TotalStaked, UnappliedSlashes,
    Validators, Witnesses,
};
use frame_support::{ensure, traits::fungible::InspectHold, traits::Get};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// Invariants: the staked total is the sum of the ledgers and what is on hold;
    /// every ledger's total is its active plus its chunks; the candidate, nominator
    /// and witness sets respect their bounds; no committee member of the epochs in use
    /// has less than the minimum stake its committee was drawn with.
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
        Self::check_slashes()?;
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
                }
            }
        }
        Ok(())
    }

    /// Slashes: every era with deferred slashes is still to start and holds at most
    /// `MaxSlashesPerEra`; each slash's offence era is before the era it applies in and
    /// still within the history kept then (the spill search stops there); the
    /// application queue holds exactly its `front..back` entries, each with a next-account
    /// index within its slash.
    fn check_slashes() -> Result<(), sp_runtime::TryRuntimeError> {
        let active = Self::active_era();
        let history = T::HistoryDepth::get();
        for (era, slashes) in UnappliedSlashes::<T>::iter() {
            ensure!(era > active, "deferred slashes of an era already started");
            ensure!(
                slashes.len() as u32 <= T::MaxSlashesPerEra::get(),
                "too many slashes in an era"
            );
            for slash in slashes.iter() {
                ensure!(
                    slash.offence_era < era,
                    "slash applies before its offence era ends"
                );
                ensure!(
                    slash.offence_era.saturating_add(history) > era,
                    "slash's offence era leaves the history before it applies"
                );
            }
        }
        let (front, back) = SlashQueueBounds::<T>::get();
        ensure!(front <= back, "slash queue bounds reversed");
        let mut entries = 0u64;
        for (index, (slash, next)) in SlashQueue::<T>::iter() {
            ensure!(
                (front..back).contains(&index),
                "slash queue entry outside its bounds"
            );
            ensure!(
                next <= slash.others.len() as u32,
                "slash queue entry past its last account"
            );
            entries = entries.saturating_add(1);
        }
        ensure!(
            entries == back.saturating_sub(front),
            "slash queue has holes"
        );
        Ok(())
    }
}
