//! The pallet's invariants, checked by `try-runtime` and by the tests. They span every
//! concern, so they live apart from each.

use crate::{
    ActiveEraStartTime, BalanceOf, CommitteeEpoch, Committees, Config, EpochGains, EraPoints,
    ErasPoints, ErasStakers, ErasTotalPoints, ErasValidatorPrefs, ErasValidators, EventClass,
    HoldReason, Ledger, NextPayoutEra, Nominators, Pallet, PayoutQueue, PendingEvents, Receipts,
    TotalStaked, Validators, WitnessPointValue, Witnesses,
};
use alloc::collections::BTreeMap;
use frame_support::{
    ensure,
    traits::{fungible::InspectHold, Get, UnixTime},
};
use sp_runtime::traits::{SaturatedConversion, Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// Invariants: the staked total is the sum of the ledgers and what is on hold;
    /// every ledger's total is its active plus its chunks; the candidate, nominator
    /// and witness sets respect their bounds; no committee member of the epochs in use
    /// has less than the minimum stake its committee was drawn with; the active era did
    /// not start after now (else its inflation would be measured from the future); the
    /// points and payout invariants of [`Self::check_points_and_payouts`]; the exposures
    /// of the eras kept are consistent (`check_exposures`).
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        Self::check_points_and_payouts()?;
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
        if let Some(start) = ActiveEraStartTime::<T>::get() {
            let now: u64 = T::UnixTime::now().as_millis().saturated_into();
            ensure!(start <= now, "the active era starts after now");
        }
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

    /// Rewards: each era's [`ErasTotalPoints`] is, per pool, the sum of its
    /// [`ErasPoints`] (at least that sum while the era's payout is draining them), and no
    /// entry is all zero; the payout queue lies between [`NextPayoutEra`] and the active
    /// era, every era before the active one that has points is queued, and every queued
    /// era has points; only registered witnesses have [`EpochGains`]; a stored witness
    /// point value has points.
    fn check_points_and_payouts() -> Result<(), sp_runtime::TryRuntimeError> {
        let active = Self::active_era();
        let next = NextPayoutEra::<T>::get();
        ensure!(next <= active, "next payout era is after the active era");
        let mut sums: BTreeMap<u32, EraPoints> = BTreeMap::new();
        for (era, _, points) in ErasPoints::<T>::iter() {
            ensure!(!points.is_zero(), "an earner has an entry without points");
            let sum = sums.entry(era).or_default();
            sum.block = sum.block.saturating_add(points.block);
            sum.attestation = sum.attestation.saturating_add(points.attestation);
        }
        for era in sums.keys() {
            ensure!(
                ErasTotalPoints::<T>::contains_key(era),
                "an era has points but no total"
            );
        }
        for (era, total) in ErasTotalPoints::<T>::iter() {
            ensure!(!total.is_zero(), "an era's total points are zero");
            ensure!(
                era >= next,
                "an era before the next payout still has points"
            );
            let sum = sums.get(&era).copied().unwrap_or_default();
            if PayoutQueue::<T>::contains_key(era) {
                ensure!(
                    sum.block <= total.block && sum.attestation <= total.attestation,
                    "a paying era has more points than its total"
                );
            } else {
                ensure!(era >= active, "an ended era with points is not queued");
                ensure!(sum == total, "an era's total is not the sum of its points");
            }
        }
        for (era, payout) in PayoutQueue::<T>::iter() {
            ensure!(
                era >= next && era < active,
                "a queued payout is outside the payout window"
            );
            ensure!(
                !payout.total_points.is_zero()
                    && payout.total_points == ErasTotalPoints::<T>::get(era),
                "a queued payout's points differ from its era's total"
            );
        }
        for (who, _) in EpochGains::<T>::iter() {
            ensure!(
                Witnesses::<T>::contains_key(&who),
                "epoch gains of an account that is not a witness"
            );
        }
        if let Some(value) = WitnessPointValue::<T>::get() {
            ensure!(value.points != 0, "a witness point value without points");
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
