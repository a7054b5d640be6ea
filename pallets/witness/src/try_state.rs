//! The pallet's invariants, checked by `try-runtime` and by the tests. They span every
//! concern, so they live apart from each.

use crate::{
    BalanceOf, CommitteeEpoch, Committees, Config, ErasStakers, ErasValidatorPrefs, ErasValidators,
    EventClass, HoldReason, Ledger, Nominators, Pallet, PendingEvents, Receipts, TotalStaked,
    Validators, Witnesses,
};
use frame_support::{ensure, traits::fungible::InspectHold, traits::Get};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// Invariants: the staked total is the sum of the ledgers and what is on hold;
    /// every ledger's total is its active plus its chunks; the candidate, nominator
    /// and witness sets respect their bounds; no committee member of the epochs in use
    /// has less than the minimum stake its committee was drawn with; the exposures of the
    /// eras kept are consistent (`check_exposures`).
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        Self::check_exposures()?;
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
                }
            }
        }
        Ok(())
    }

    /// For every era kept: each elected validator has an exposure and preferences, and
    /// there are none for accounts not elected in that era; an exposure's total is its own
    /// bond plus its backers', and its backers are at most `MaxBackersPerValidator`, each
    /// once, largest first (ties by account), as the election leaves them.
    fn check_exposures() -> Result<(), sp_runtime::TryRuntimeError> {
        for (era, validators) in ErasValidators::<T>::iter() {
            for who in validators.iter() {
                let exposure = ErasStakers::<T>::get(era, who)
                    .ok_or("an elected validator has no exposure")?;
                ensure!(
                    ErasValidatorPrefs::<T>::contains_key(era, who),
                    "an elected validator has no preferences"
                );
                let sum = exposure
                    .others
                    .iter()
                    .fold(exposure.own, |a, e| a.saturating_add(e.value));
                ensure!(exposure.total == sum, "exposure total is not own + others");
                ensure!(
                    exposure.others.len() <= T::MaxBackersPerValidator::get() as usize,
                    "an exposure has too many backers"
                );
                ensure!(
                    exposure.others.windows(2).all(|w| w[0].value > w[1].value
                        || (w[0].value == w[1].value && w[0].who < w[1].who)),
                    "exposure backers are not sorted largest first"
                );
            }
        }
        for (era, who, _) in ErasStakers::<T>::iter() {
            ensure!(
                ErasValidators::<T>::get(era).contains(&who),
                "an exposure of an account not elected in its era"
            );
        }
        for (era, who, _) in ErasValidatorPrefs::<T>::iter() {
            ensure!(
                ErasValidators::<T>::get(era).contains(&who),
                "preferences of an account not elected in their era"
            );
        }
        Ok(())
    }
}
