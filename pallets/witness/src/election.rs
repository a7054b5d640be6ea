//! Elections and era rotation: this pallet as pallet-session's `SessionManager`.
//!
//! [`CurrentEra`] is the era last planned (elected), [`ActiveEra`] the one being
//! validated. When pallet-session plans the first session of the next era,
//! [`Pallet::elect`] picks the `validator_count` best-backed candidates that have session
//! keys ([`Config::SessionKeys`]: pallet-session drops a validator without keys from the
//! set it gives Aura and GRANDPA, so a keyless one would hold a seat nobody fills) and
//! their exposures go to [`ErasStakers`]. A failed election (fewer than
//! `minimum_validator_count` candidates with keys, or none) keeps the previous
//! validators, and pallet-session keeps its set, but their exposures are computed again
//! from the ledgers and nominations of now, as an election would: who left is neither
//! paid nor slashed for the new era, who came is. When that session starts, the era
//! becomes active: the ended era's payout is queued (`rewards.rs`), the slashes deferred
//! to the new era are queued for application (`slashing.rs`), and history older than
//! `HistoryDepth` is pruned.
//!
//! Genesis elects era 0 without looking at session keys: pallet-session's genesis, which
//! sets the chain spec's keys, builds after this pallet's (it asks this pallet for the
//! first validators), so no key exists yet. The chain spec gives its validators keys;
//! pallet-session's genesis drops any it does not, as it does at every session.

use crate::{
    ActiveEra, ActiveEraInfo, ActiveParams, BalanceOf, Config, CurrentEra, Elected, EraIndex,
    ErasStakers, ErasStartSessionIndex, ErasValidatorPrefs, ErasValidators, Event, Exposure,
    HasSessionKeys, IndividualExposure, Nominators, OffenceKind, OffencesReported, Pallet,
    SessionIndex, ValidatorPrefs, Validators, WeightInfo,
};
use alloc::{collections::btree_map::BTreeMap, vec::Vec};
use frame_support::pallet_prelude::*;
use pallet_reputation::ReputationScores;
use sp_runtime::{
    traits::{Saturating, Zero},
    Perbill,
};

/// Candidate → (own bond, preferences, nominations) while an election runs.
type Backing<T> = BTreeMap<
    <T as frame_system::Config>::AccountId,
    (
        BalanceOf<T>,
        ValidatorPrefs,
        Vec<IndividualExposure<<T as frame_system::Config>::AccountId, BalanceOf<T>>>,
    ),
>;

impl<T: Config> Pallet<T> {
    /// The active era's index (0 before genesis set it).
    pub fn active_era() -> EraIndex {
        ActiveEra::<T>::get().map_or(0, |e| e.index)
    }

    /// Elects the next validator set from the candidates that have session keys and the
    /// nominations, or `None` if fewer than `minimum_validator_count` (and at least one)
    /// qualify. Work is bounded by `MaxCandidates + MaxNominators × MaxNominations`, with
    /// one session-key read per candidate.
    pub fn elect() -> Option<Elected<T>> {
        Self::elect_among(true)
    }

    /// [`Pallet::elect`] for genesis: session keys are not checked, since pallet-session's
    /// genesis sets them only after this pallet's (see the module doc).
    pub(crate) fn elect_genesis() -> Option<Elected<T>> {
        Self::elect_among(false)
    }

    fn elect_among(require_keys: bool) -> Option<Elected<T>> {
        let params = ActiveParams::<T>::get()?;
        let mut backing: Backing<T> = BTreeMap::new();
        for (who, prefs) in Validators::<T>::iter() {
            let own = Self::active_bond(&who);
            if own >= params.min_validator_bond && (!require_keys || T::SessionKeys::has_keys(&who))
            {
                backing.insert(who, (own, prefs, Vec::new()));
            }
        }
        let mut candidates = Self::expose(backing, params.min_nominator_bond);
        candidates.truncate(params.validator_count as usize);
        if candidates.is_empty() || (candidates.len() as u32) < params.minimum_validator_count {
            return None;
        }
        Some(candidates)
    }

    /// The exposures of the validators in `backing` (own bond and preferences known, no
    /// backers yet) from the nominations of now, best backed first. A nominator with at
    /// least `min_nominator_bond` active splits it equally between those of its targets
    /// that are in `backing`; a validator counts its `MaxBackersPerValidator` largest
    /// backers. Both the election and a failed election's kept set are exposed this way.
    fn expose(mut backing: Backing<T>, min_nominator_bond: BalanceOf<T>) -> Elected<T> {
        for (who, targets) in Nominators::<T>::iter() {
            let stake = Self::active_bond(&who);
            if stake < min_nominator_bond {
                continue;
            }
            let valid: Vec<_> = targets
                .iter()
                .filter(|t| backing.contains_key(*t))
                .collect();
            let Ok(n) = BalanceOf::<T>::try_from(valid.len()) else {
                continue;
            };
            if n.is_zero() {
                continue;
            }
            let share = stake / n;
            let mut remainder = stake.saturating_sub(share.saturating_mul(n));
            for target in valid {
                let value = share.saturating_add(core::mem::take(&mut remainder));
                if let Some(entry) = backing.get_mut(target) {
                    if !value.is_zero() {
                        entry.2.push(IndividualExposure {
                            who: who.clone(),
                            value,
                        });
                    }
                }
            }
        }
        let max_backers = T::MaxBackersPerValidator::get() as usize;
        let mut exposed: Elected<T> = backing
            .into_iter()
            .map(|(who, (own, prefs, mut others))| {
                others.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.who.cmp(&b.who)));
                others.truncate(max_backers);
                let total = others
                    .iter()
                    .fold(own, |acc, e| acc.saturating_add(e.value));
                let others = BoundedVec::truncate_from(others);
                (who, Exposure { total, own, others }, prefs)
            })
            .collect();
        exposed.sort_by(|a, b| b.1.total.cmp(&a.1.total).then_with(|| a.0.cmp(&b.0)));
        exposed
    }

    /// After a failed election: era `previous`'s validators, in its order, exposed with
    /// the bonds and nominations of now. Each keeps its own active bond (whatever its
    /// size: it keeps validating) and the preferences of its intention to validate, or
    /// those of `previous` if it has chilled. Bounded like [`Pallet::elect`], with at most
    /// `MaxValidators` validators.
    fn expose_kept(previous: EraIndex) -> Elected<T> {
        let kept = ErasValidators::<T>::get(previous);
        let mut backing: Backing<T> = BTreeMap::new();
        for who in kept.iter() {
            let prefs = Validators::<T>::get(who)
                .or_else(|| ErasValidatorPrefs::<T>::get(previous, who))
                .unwrap_or(ValidatorPrefs {
                    commission: Perbill::zero(),
                });
            backing.insert(who.clone(), (Self::active_bond(who), prefs, Vec::new()));
        }
        let min_nominator_bond =
            ActiveParams::<T>::get().map_or_else(Zero::zero, |p| p.min_nominator_bond);
        let mut exposed = Self::expose(backing, min_nominator_bond);
        exposed.sort_by_key(|(who, _, _)| kept.iter().position(|k| k == who));
        exposed
    }

    /// Stores an elected era's exposures and returns its validators.
    pub(crate) fn store_era(era: EraIndex, elected: Elected<T>) -> Vec<T::AccountId> {
        let validators: Vec<T::AccountId> = elected.iter().map(|e| e.0.clone()).collect();
        for (who, exposure, prefs) in elected {
            ErasStakers::<T>::insert(era, &who, exposure);
            ErasValidatorPrefs::<T>::insert(era, &who, prefs);
        }
        ErasValidators::<T>::insert(era, BoundedVec::truncate_from(validators.clone()));
        validators
    }

    /// Called by pallet-session's `new_session`: elects when `new_index` is the first
    /// session of the next era.
    fn plan_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
        let current = CurrentEra::<T>::get();
        let start = ErasStartSessionIndex::<T>::get(current).unwrap_or(0);
        if new_index < start.saturating_add(T::SessionsPerEra::get()) {
            return None;
        }
        let era = current.saturating_add(1);
        // A failed election exposes the kept set instead, which may be larger than the
        // candidates.
        let exposed = Validators::<T>::count()
            .max(ErasValidators::<T>::decode_len(current).unwrap_or(0) as u32);
        let weight = T::WeightInfo::elect(exposed, Nominators::<T>::count());
        frame_system::Pallet::<T>::register_extra_weight_unchecked(
            weight,
            DispatchClass::Mandatory,
        );
        // Whether or not the election succeeds, the era moves on so that unbonding,
        // payouts and slashes keep their schedule; a failed election keeps the set.
        CurrentEra::<T>::put(era);
        ErasStartSessionIndex::<T>::insert(era, new_index);
        match Self::elect() {
            Some(elected) => {
                let count = elected.len() as u32;
                let validators = Self::store_era(era, elected);
                Self::deposit_event(Event::EraElected {
                    era,
                    start_session: new_index,
                    validators: count,
                });
                Some(validators)
            }
            None => {
                // The previous validators keep validating (pallet-session keeps its set
                // when given `None`), exposed as of now: carrying the old exposures over
                // would pay nominators that left and spare them the era's slashes, while
                // new backers would be neither paid nor slashed.
                let kept = Self::expose_kept(current);
                Self::store_era(era, kept);
                Self::deposit_event(Event::ElectionFailed { era });
                None
            }
        }
    }

    /// Called by pallet-session's `start_session`: activates the planned era when its
    /// first session starts.
    pub(crate) fn start_session(index: SessionIndex) {
        let planned = CurrentEra::<T>::get();
        if ErasStartSessionIndex::<T>::get(planned) != Some(index) {
            return;
        }
        if ActiveEra::<T>::get().is_some_and(|a| a.index >= planned) {
            return;
        }
        let now = frame_system::Pallet::<T>::block_number();
        if let Some(ended) = ActiveEra::<T>::get() {
            Self::end_era(ended.index);
        }
        ActiveEra::<T>::put(ActiveEraInfo {
            index: planned,
            start_block: now,
        });
        Self::note_era_start();
        T::Reputation::take_snapshot();
        let queued = Self::queue_due_slashes(planned);
        Self::prune_era(planned);
        frame_system::Pallet::<T>::register_extra_weight_unchecked(
            T::WeightInfo::start_era(queued),
            DispatchClass::Mandatory,
        );
        Self::deposit_event(Event::EraStarted { era: planned });
    }

    /// Removes eras older than `HistoryDepth` from `era`. Bounded: one era's
    /// validators (`MaxValidators`) and its offence records (one per elected validator and
    /// offence kind: the records are keyed by the offence's era, not by the era its slash
    /// applies in, so `MaxSlashesPerEra` does not bound them).
    fn prune_era(era: EraIndex) {
        let Some(old) = era.checked_sub(T::HistoryDepth::get()) else {
            return;
        };
        let limit = T::MaxValidators::get();
        let _ = ErasStakers::<T>::clear_prefix(old, limit, None);
        let _ = ErasValidatorPrefs::<T>::clear_prefix(old, limit, None);
        let records = limit.saturating_mul(OffenceKind::ALL.len() as u32);
        let _ = OffencesReported::<T>::clear_prefix(old, records, None);
        ErasValidators::<T>::remove(old);
        ErasStartSessionIndex::<T>::remove(old);
    }
}

impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
    fn new_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
        Self::plan_session(new_index)
    }

    fn new_session_genesis(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
        if new_index == 0 {
            let validators = ErasValidators::<T>::get(0);
            (!validators.is_empty()).then(|| validators.into_inner())
        } else {
            Self::plan_session(new_index)
        }
    }

    fn end_session(_: SessionIndex) {}

    fn start_session(index: SessionIndex) {
        Self::start_session(index)
    }
}
