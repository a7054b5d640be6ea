//! Slashing: offences, deferred slashes and their application.
//!
//! The runtime's evidence handler reports a verified equivocation with
//! [`Pallet::report_offence`]. The offender is disabled and chilled at once; the slash of
//! its exposure in the era of the offence (own bond and nominators alike) waits in
//! [`UnappliedSlashes`] for `slash_defer_eras` eras, during which governance may cancel it
//! ([`Pallet::cancel_deferred_slash`]). [`OffencesReported`] makes each (offender, kind,
//! era) count once. When the deferred era starts (`election.rs`), the slashes are applied.

use crate::{staking::take_from_unlocking, DisableValidator};
use crate::{
    BalanceOf, Config, CurrentEra, EraIndex, ErasStakers, ErasStartSessionIndex, Error, Event,
    HoldReason, Ledger, OffenceKind, OffencesReported, Pallet, SessionIndex, TotalStaked,
    UnappliedSlash, UnappliedSlashes, Validators, Witnesses,
};
use frame_support::{
    ensure,
    pallet_prelude::*,
    traits::{fungible, Imbalance, OnUnbalanced},
};
use pallet_reputation::{ReputationHandler, Role};
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// Reports a verified offence by `offender` in session `session`. Defers a slash of
    /// its exposure in that era, disables it now and chills it. Called by the runtime's
    /// evidence handler, never by a user.
    pub fn report_offence(
        offender: &T::AccountId,
        session: SessionIndex,
        kind: OffenceKind,
    ) -> DispatchResult {
        let params = Self::params()?;
        let active = Self::active_era();
        let offence_era = Self::era_of_session(session, active).ok_or(Error::<T>::OffenceTooOld)?;
        ensure!(
            !OffencesReported::<T>::contains_key(offence_era, (offender, kind)),
            Error::<T>::DuplicateOffence
        );
        let exposure =
            ErasStakers::<T>::get(offence_era, offender).ok_or(Error::<T>::NotExposed)?;
        let fraction = match kind {
            OffenceKind::AuraEquivocation => params.aura_slash,
            OffenceKind::GrandpaEquivocation => params.grandpa_slash,
        };
        let apply_era = active
            .saturating_add(params.slash_defer_eras)
            .max(active.saturating_add(1));
        let slash = UnappliedSlash {
            validator: offender.clone(),
            kind,
            offence_era,
            own: fraction * exposure.own,
            others: BoundedVec::truncate_from(
                exposure
                    .others
                    .iter()
                    .map(|e| (e.who.clone(), fraction * e.value))
                    .collect(),
            ),
        };
        UnappliedSlashes::<T>::try_mutate(apply_era, |slashes| slashes.try_push(slash))
            .map_err(|_| Error::<T>::TooManySlashes)?;
        OffencesReported::<T>::insert(offence_era, (offender, kind), ());
        if T::ValidatorDisabler::disable(offender, fraction) {
            Self::deposit_event(Event::ValidatorDisabled {
                who: offender.clone(),
            });
        }
        if Validators::<T>::contains_key(offender) {
            Self::do_chill(offender);
        }
        // An equivocation costs the validator's reputation what ten missed votes cost.
        T::Reputation::penalize(
            offender,
            Role::Validator,
            params.reputation_penalty.saturating_mul(10),
        );
        Self::deposit_event(Event::SlashDeferred {
            validator: offender.clone(),
            kind,
            offence_era,
            apply_era,
        });
        Ok(())
    }

    /// [`Pallet::cancel_deferred_slash`]: drops the slashes of `era` at `indices`.
    pub(crate) fn do_cancel_deferred_slash(
        era: EraIndex,
        indices: BoundedVec<u32, T::MaxSlashesPerEra>,
    ) -> DispatchResult {
        ensure!(!indices.is_empty(), Error::<T>::BadSlashIndices);
        ensure!(
            indices.windows(2).all(|w| w[0] < w[1]),
            Error::<T>::BadSlashIndices
        );
        let mut slashes = UnappliedSlashes::<T>::get(era);
        let last = *indices.last().ok_or(Error::<T>::BadSlashIndices)?;
        ensure!((last as usize) < slashes.len(), Error::<T>::NoSuchSlash);
        for index in indices.iter().rev() {
            slashes.remove(*index as usize);
        }
        if slashes.is_empty() {
            UnappliedSlashes::<T>::remove(era);
        } else {
            UnappliedSlashes::<T>::insert(era, slashes);
        }
        Self::deposit_event(Event::SlashesCancelled {
            era,
            count: indices.len() as u32,
        });
        Ok(())
    }

    /// The era that `session` belonged to, searching back from `active` within the
    /// history kept.
    fn era_of_session(session: SessionIndex, active: EraIndex) -> Option<EraIndex> {
        let oldest = active.saturating_sub(T::HistoryDepth::get().saturating_sub(1));
        let mut era = CurrentEra::<T>::get().max(active);
        loop {
            if let Some(start) = ErasStartSessionIndex::<T>::get(era) {
                if start <= session {
                    return Some(era);
                }
            }
            if era <= oldest {
                return None;
            }
            era = era.saturating_sub(1);
        }
    }

    /// Applies the slashes deferred to `era`; returns how many accounts were touched.
    pub(crate) fn apply_slashes(era: EraIndex) -> u32 {
        let slashes = UnappliedSlashes::<T>::take(era);
        let mut touched = 0u32;
        for slash in slashes {
            Self::slash_account(&slash.validator, slash.own);
            touched.saturating_inc();
            for (who, amount) in slash.others {
                Self::slash_account(&who, amount);
                touched.saturating_inc();
            }
        }
        touched
    }

    /// Takes up to `amount` from `who`'s bond: active first, then unlocking chunks
    /// newest first (they were exposed too). Witnesses left below the minimum are
    /// deregistered.
    fn slash_account(who: &T::AccountId, amount: BalanceOf<T>) {
        if amount.is_zero() {
            return;
        }
        let Some(mut ledger) = Ledger::<T>::get(who) else {
            return;
        };
        let amount = amount.min(ledger.total);
        let from_active = amount.min(ledger.active);
        ledger.active = ledger.active.saturating_sub(from_active);
        let left = take_from_unlocking(&mut ledger.unlocking, amount.saturating_sub(from_active));
        let (credit, _missing) = <T::Currency as fungible::hold::Balanced<T::AccountId>>::slash(
            &HoldReason::Staking.into(),
            who,
            amount.saturating_sub(left),
        );
        let taken = credit.peek();
        T::Slash::on_unbalanced(credit);
        ledger.total = ledger.total.saturating_sub(taken);
        TotalStaked::<T>::mutate(|t| *t = t.saturating_sub(taken));
        let remaining_active = ledger.active;
        if ledger.total.is_zero() {
            Ledger::<T>::remove(who);
        } else {
            Ledger::<T>::insert(who, ledger);
        }
        if let Ok(params) = Self::params() {
            if Witnesses::<T>::contains_key(who) && remaining_active < params.min_witness_stake {
                Self::deregister(who);
            }
        }
        Self::deposit_event(Event::Slashed {
            who: who.clone(),
            amount: taken,
        });
    }
}
