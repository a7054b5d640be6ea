//! Slashing: offences, deferred slashes and their application.
//!
//! The runtime's evidence handler reports a verified equivocation with
//! [`Pallet::report_offence_in_sessions`], naming the sessions that own the offence (not
//! the session of the report, which the offender or the reporter could pick). The offender
//! is disabled and chilled at once, always; the slash of its exposure in the era of the
//! offence (own bond and nominators alike) waits in [`UnappliedSlashes`] until
//! `slash_defer_eras` eras after the offence, during which governance may cancel it
//! ([`Pallet::cancel_deferred_slash`]). An era already holding `MaxSlashesPerEra` slashes
//! spills the new one into the next era with room. [`OffencesReported`] makes each
//! (offender, kind, era) count once.
//!
//! When the deferred era starts (`election.rs`), its slashes move to [`SlashQueue`], and
//! `on_initialize` applies them, `MaxSlashApplicationsPerBlock` accounts per block. While
//! the queue is not empty, `withdraw_unbonded` refuses to release anything: the unlocking
//! chunks a queued slash would take stay on hold until it has.
//!
//! Why no exposed funds can escape: `unbond` dates a chunk from the elected next era
//! ([`CurrentEra`]), so funds exposed in era `o` unlock at `o + unbonding_eras` at the
//! earliest; the slash is due at `o + slash_defer_eras`, at least two eras before (see
//! `check_params`), or at the next era start after a report later than that; its era's
//! start queues it before any extrinsic of that block, and the queue blocks withdrawals.

use crate::{staking::take_from_unlocking, DisableValidator};
use crate::{
    BalanceOf, Config, CurrentEra, EraIndex, ErasStakers, ErasStartSessionIndex, Error, Event,
    HoldReason, Ledger, OffenceKind, OffencesReported, Pallet, SessionIndex, SlashQueue,
    SlashQueueBounds, TotalStaked, UnappliedSlash, UnappliedSlashes, Validators, Witnesses,
};
use frame_support::{
    ensure,
    pallet_prelude::*,
    traits::{fungible, Imbalance, OnUnbalanced},
};
use pallet_reputation::{ReputationHandler, Role};
use sp_runtime::traits::{Saturating, Zero};

/// How many eras after the first due one a slash may spill into when the due era already
/// holds `MaxSlashesPerEra` slashes: a bounded search.
pub const SLASH_SPILL_ERAS: EraIndex = 8;

impl<T: Config> Pallet<T> {
    /// Reports a verified offence by `offender` in session `session`. See
    /// [`Pallet::report_offence_in_sessions`].
    pub fn report_offence(
        offender: &T::AccountId,
        session: SessionIndex,
        kind: OffenceKind,
    ) -> DispatchResult {
        Self::report_offence_in_sessions(offender, session, session, kind)
    }

    /// Reports a verified offence by `offender` committed in one of the sessions
    /// `first_session..=last_session` (one session for Aura, the sessions of a GRANDPA set
    /// id for GRANDPA). Called by the runtime's evidence handler, never by a user.
    ///
    /// The offender is disabled and chilled at once, whatever else happens. Its exposure
    /// is that of the era, among those the sessions belong to (within `HistoryDepth`),
    /// where it was largest: the evidence does not say which of them the offence was in,
    /// so neither the offender nor the reporter can pick a smaller one. The slash of that
    /// exposure applies at the start of era `max(offence_era + slash_defer_eras, active
    /// + 1)`: counted from the offence, so that a late report cannot push it past the
    /// unbonding period (which `check_params` keeps at least two eras longer), and never
    /// in an era that has already started, whose slashes were already queued. If that era
    /// already holds `MaxSlashesPerEra` slashes the slash spills into the next one with
    /// room, at most [`SLASH_SPILL_ERAS`] eras later and within the history kept.
    pub fn report_offence_in_sessions(
        offender: &T::AccountId,
        first_session: SessionIndex,
        last_session: SessionIndex,
        kind: OffenceKind,
    ) -> DispatchResult {
        let params = Self::params()?;
        let active = Self::active_era();
        let last_era =
            Self::era_of_session(last_session, active).ok_or(Error::<T>::OffenceTooOld)?;
        let oldest = active.saturating_sub(T::HistoryDepth::get().saturating_sub(1));
        let first_era = Self::era_of_session(first_session.min(last_session), active)
            .unwrap_or(oldest)
            .min(last_era);
        let mut best: Option<(EraIndex, crate::ExposureOf<T>)> = None;
        for era in first_era..=last_era {
            ensure!(
                !OffencesReported::<T>::contains_key(era, (offender, kind)),
                Error::<T>::DuplicateOffence
            );
            if let Some(exposure) = ErasStakers::<T>::get(era, offender) {
                if best.as_ref().is_none_or(|(_, b)| exposure.total > b.total) {
                    best = Some((era, exposure));
                }
            }
        }
        let (offence_era, exposure) = best.ok_or(Error::<T>::NotExposed)?;
        OffencesReported::<T>::insert(offence_era, (offender, kind), ());
        let fraction = Self::fraction(&params, kind);
        // Disabling and chilling never depend on the slash finding room.
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
        let due = offence_era
            .saturating_add(params.slash_defer_eras)
            .max(active.saturating_add(1));
        // The slash's offence era must still be in the history when it applies.
        let latest = due
            .saturating_add(SLASH_SPILL_ERAS)
            .min(offence_era.saturating_add(T::HistoryDepth::get().saturating_sub(1)));
        let mut slash = Some(slash);
        let mut apply_era = None;
        for era in due..=latest {
            let Some(s) = slash.take() else { break };
            match UnappliedSlashes::<T>::try_mutate(era, |slashes| slashes.try_push(s)) {
                Ok(()) => apply_era = Some(era),
                Err(s) => slash = Some(s),
            }
        }
        match apply_era {
            Some(apply_era) => Self::deposit_event(Event::SlashDeferred {
                validator: offender.clone(),
                kind,
                offence_era,
                apply_era,
            }),
            None => Self::deposit_event(Event::SlashDropped {
                validator: offender.clone(),
                kind,
                offence_era,
            }),
        }
        Ok(())
    }

    fn fraction(params: &crate::ParamsOf<T>, kind: OffenceKind) -> sp_runtime::Perbill {
        match kind {
            OffenceKind::AuraEquivocation => params.aura_slash,
            OffenceKind::GrandpaEquivocation => params.grandpa_slash,
        }
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

    /// Queues the slashes deferred to `era`, which has just started, for
    /// [`Pallet::apply_queued_slashes`]; returns how many were queued.
    pub(crate) fn queue_due_slashes(era: EraIndex) -> u32 {
        let slashes = UnappliedSlashes::<T>::take(era);
        let count = slashes.len() as u32;
        if count == 0 {
            return 0;
        }
        let (front, mut back) = SlashQueueBounds::<T>::get();
        for slash in slashes {
            SlashQueue::<T>::insert(back, (slash, 0u32));
            back = back.saturating_add(1);
        }
        SlashQueueBounds::<T>::put((front, back));
        count
    }

    /// Whether due slashes are still waiting in [`SlashQueue`]: withdrawals wait for them.
    pub(crate) fn slashes_pending() -> bool {
        let (front, back) = SlashQueueBounds::<T>::get();
        front < back
    }

    /// Applies queued slashes, oldest first, touching at most `max` accounts (a slash's
    /// validator, then each nominator; `on_initialize` passes at most
    /// `MaxSlashApplicationsPerBlock`, less when the block-start budget is short).
    /// A slash left half-applied keeps its place and the index of the next account.
    /// Returns how many accounts were touched.
    pub(crate) fn apply_queued_slashes(max: u32) -> u32 {
        let budget = max;
        let (mut front, back) = SlashQueueBounds::<T>::get();
        let mut touched = 0u32;
        while front < back && touched < budget {
            let Some((slash, mut next)) = SlashQueue::<T>::get(front) else {
                // Unreachable while the bounds are kept; skip rather than stall.
                front = front.saturating_add(1);
                continue;
            };
            let accounts = (slash.others.len() as u32).saturating_add(1);
            while next < accounts && touched < budget {
                if next == 0 {
                    Self::slash_account(&slash.validator, slash.own);
                } else if let Some((who, amount)) = slash.others.get(next as usize - 1) {
                    Self::slash_account(who, *amount);
                }
                next.saturating_inc();
                touched.saturating_inc();
            }
            if next < accounts {
                SlashQueue::<T>::insert(front, (slash, next));
                break;
            }
            SlashQueue::<T>::remove(front);
            front = front.saturating_add(1);
        }
        if front == back {
            SlashQueueBounds::<T>::kill();
        } else {
            SlashQueueBounds::<T>::put((front, back));
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
