//! Staking: bonds and intentions.
//!
//! A bond is a hold with reason [`HoldReason::Staking`] and a [`StakingLedger`] in
//! [`Ledger`]; [`TotalStaked`] is the sum of every ledger's total. Unbonded funds wait in
//! unlocking chunks until their era. An account with an active bond may offer to validate
//! ([`Validators`]) or back validators ([`Nominators`]); each role, and witnessing, has a
//! minimum active bond the account must keep. The three sets are bounded; once one is
//! full, a newcomer with a larger stake evicts the smallest member
//! ([`Pallet::evict_smallest`]), so that minimum bonds cannot squat it.
//!
//! The calls in `lib.rs` delegate here. Who gets elected is in `election.rs`; what a bond
//! loses to an offence is in `slashing.rs`.

use crate::{
    BalanceOf, Config, CurrentEra, ErasStakers, Error, Event, HasSessionKeys, HoldReason, Ledger,
    Nominators, Pallet, ParamsOf, StakerSet, StakingLedger, TotalStaked, UnlockChunk,
    ValidatorPrefs, Validators, WeightInfo, Witnesses,
};
use frame_support::{
    ensure,
    pallet_prelude::*,
    traits::{fungible::MutateHold, tokens::Precision},
};
use sp_runtime::{
    traits::{Saturating, Zero},
    Perbill,
};

impl<T: Config> Pallet<T> {
    /// Puts `value` of `who`'s free balance on hold and adds it to its active bond,
    /// creating the ledger if there is none. The callers check whether `who` may bond.
    pub(crate) fn do_bond(who: &T::AccountId, value: BalanceOf<T>) -> DispatchResult {
        T::Currency::hold(&HoldReason::Staking.into(), who, value)
            .map_err(|_| Error::<T>::InsufficientBalance)?;
        Ledger::<T>::mutate(who, |maybe| {
            let ledger = maybe.get_or_insert_with(|| StakingLedger {
                total: Zero::zero(),
                active: Zero::zero(),
                unlocking: BoundedVec::new(),
            });
            ledger.total = ledger.total.saturating_add(value);
            ledger.active = ledger.active.saturating_add(value);
        });
        TotalStaked::<T>::mutate(|t| *t = t.saturating_add(value));
        Self::deposit_event(Event::Bonded {
            who: who.clone(),
            amount: value,
        });
        Ok(())
    }

    /// [`Pallet::unbond`]: moves `value` (at most the active bond) into an unlocking chunk
    /// of the era `unbonding_eras` after the elected next era ([`CurrentEra`], one ahead
    /// of the active era between an election and its era's start): the funds are in that
    /// era's exposures, and a slash of it must still find them.
    pub(crate) fn do_unbond(who: T::AccountId, value: BalanceOf<T>) -> DispatchResult {
        let params = Self::params()?;
        let mut ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
        ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
        let value = value.min(ledger.active);
        ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
        let remaining = ledger.active.saturating_sub(value);
        ensure!(
            remaining >= Self::role_minimum(&who, &params),
            Error::<T>::InsufficientBond
        );
        let era = CurrentEra::<T>::get()
            .max(Self::active_era())
            .saturating_add(params.unbonding_eras);
        // Merge with a chunk of the same era so repeated unbonds in one era use one chunk.
        if let Some(last) = ledger.unlocking.last_mut().filter(|c| c.era == era) {
            last.value = last.value.saturating_add(value);
        } else {
            ledger
                .unlocking
                .try_push(UnlockChunk { value, era })
                .map_err(|_| Error::<T>::NoMoreChunks)?;
        }
        ledger.active = remaining;
        Ledger::<T>::insert(&who, ledger);
        Self::deposit_event(Event::Unbonded {
            who,
            amount: value,
            era,
        });
        Ok(())
    }

    /// [`Pallet::withdraw_unbonded`]: releases the chunks whose era has come and removes a
    /// ledger left empty. Refused while due slashes wait in the queue: one of them may be
    /// for these very chunks.
    pub(crate) fn do_withdraw_unbonded(who: T::AccountId) -> DispatchResult {
        let mut ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
        ensure!(!Self::slashes_pending(), Error::<T>::SlashesPending);
        let active_era = Self::active_era();
        let mut amount = BalanceOf::<T>::zero();
        ledger.unlocking.retain(|chunk| {
            if chunk.era <= active_era {
                amount = amount.saturating_add(chunk.value);
                false
            } else {
                true
            }
        });
        ensure!(!amount.is_zero(), Error::<T>::NothingToWithdraw);
        let released = T::Currency::release(
            &HoldReason::Staking.into(),
            &who,
            amount,
            Precision::BestEffort,
        )?;
        ledger.total = ledger.total.saturating_sub(released);
        TotalStaked::<T>::mutate(|t| *t = t.saturating_sub(released));
        if ledger.total.is_zero() {
            Ledger::<T>::remove(&who);
        } else {
            Ledger::<T>::insert(&who, ledger);
        }
        Self::deposit_event(Event::Withdrawn {
            who,
            amount: released,
        });
        Ok(())
    }

    /// [`Pallet::rebond`]: moves up to `value` from the unlocking chunks, newest first,
    /// back to the active bond.
    pub(crate) fn do_rebond(who: T::AccountId, value: BalanceOf<T>) -> DispatchResult {
        let mut ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
        ensure!(!value.is_zero(), Error::<T>::ZeroAmount);
        ensure!(!ledger.unlocking.is_empty(), Error::<T>::NothingToRebond);
        let left = take_from_unlocking(&mut ledger.unlocking, value);
        let moved = value.saturating_sub(left);
        ledger.active = ledger.active.saturating_add(moved);
        Ledger::<T>::insert(&who, ledger);
        Self::deposit_event(Event::Rebonded { who, amount: moved });
        Ok(())
    }

    /// [`Pallet::validate`]: makes `who` a validator candidate, replacing a nomination.
    /// When `MaxCandidates` accounts already validate, `who` takes the place of the
    /// smallest candidate if its active bond is larger ([`Pallet::evict_smallest`]); the
    /// weight charged ahead for that scan is refunded when the set has room.
    pub(crate) fn do_validate(
        who: T::AccountId,
        commission: Perbill,
    ) -> DispatchResultWithPostInfo {
        let params = Self::params()?;
        // Elected without keys, it would hold a seat that pallet-session leaves empty.
        ensure!(T::SessionKeys::has_keys(&who), Error::<T>::NoSessionKeys);
        let ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
        ensure!(
            ledger.active >= params.min_validator_bond,
            Error::<T>::InsufficientBond
        );
        let full = !Validators::<T>::contains_key(&who)
            && Validators::<T>::count() >= T::MaxCandidates::get();
        if full {
            Self::evict_smallest(StakerSet::Candidates, &who, ledger.active)?;
        }
        Nominators::<T>::remove(&who);
        let prefs = ValidatorPrefs { commission };
        Validators::<T>::insert(&who, prefs);
        Self::deposit_event(Event::ValidatorPrefsSet { who, prefs });
        Ok(Some(T::WeightInfo::validate(full.into())).into())
    }

    /// [`Pallet::nominate`]: makes `who` back `targets`, replacing a validator intention.
    /// A full nominator set admits `who` as [`Pallet::do_validate`] does the candidates.
    pub(crate) fn do_nominate(
        who: T::AccountId,
        targets: BoundedVec<T::AccountId, T::MaxNominations>,
    ) -> DispatchResultWithPostInfo {
        let params = Self::params()?;
        let ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
        ensure!(
            ledger.active >= params.min_nominator_bond,
            Error::<T>::InsufficientBond
        );
        ensure!(!targets.is_empty(), Error::<T>::EmptyTargets);
        for (i, target) in targets.iter().enumerate() {
            ensure!(
                Validators::<T>::contains_key(target),
                Error::<T>::NotAValidator
            );
            ensure!(!targets[..i].contains(target), Error::<T>::DuplicateTarget);
        }
        let full = !Nominators::<T>::contains_key(&who)
            && Nominators::<T>::count() >= T::MaxNominators::get();
        if full {
            Self::evict_smallest(StakerSet::Nominators, &who, ledger.active)?;
        }
        let n = targets.len() as u32;
        Validators::<T>::remove(&who);
        Nominators::<T>::insert(&who, targets.clone());
        Self::deposit_event(Event::Nominated {
            who,
            targets: targets.into_inner(),
        });
        Ok(Some(T::WeightInfo::nominate(n, full.into())).into())
    }

    /// Withdraws `who`'s validator or nominator intention (callers check it has one).
    pub(crate) fn do_chill(who: &T::AccountId) {
        Validators::<T>::remove(who);
        Nominators::<T>::remove(who);
        Self::deposit_event(Event::Chilled { who: who.clone() });
    }

    /// Makes room in the full `set` for `by`, whose active bond is `bond`: the member with
    /// the smallest stake leaves (a candidate or nominator is chilled, a witness
    /// deregistered) if `bond` is strictly larger, or the call fails with the set's
    /// `TooMany*` error. A tie keeps the incumbent, so that equal bonds cannot evict each
    /// other in turn; among equally small members the lowest account id leaves, which
    /// does not depend on storage order.
    ///
    /// A candidate's stake is the larger of its own active bond and its total backing in
    /// the latest elected era: a validator that nominators put in the set is not pushed
    /// out by a newcomer with a larger own bond but less backing. A nominator's and a
    /// witness's stake is its active bond.
    ///
    /// The evicted account keeps its bond: it may unbond it (no role minimum holds it any
    /// more), or bond more and come back. A candidate elected for the active or the
    /// planned era keeps validating those eras, as after a chill: eviction only takes it
    /// out of the next election.
    ///
    /// This is a linear scan: every member and its ledger, at most `MaxCandidates`,
    /// `MaxNominators` or `MaxWitnesses` of each (256, 1,024 and 1,024 in the EchoNet
    /// runtime: at most ~2,050 reads, ~10 ms with `EchoDbWeight`), charged ahead by the
    /// calls' weights at the bound and refunded when the set has room. A sorted list
    /// (as pallet-bags-list keeps) would make eviction O(1) but would have to be
    /// re-sorted by every bond change (bond, unbond, rebond, slash), which every staker
    /// would pay for; the scan costs only the caller who wants into a full set.
    pub(crate) fn evict_smallest(
        set: StakerSet,
        by: &T::AccountId,
        bond: BalanceOf<T>,
    ) -> DispatchResult {
        let (smallest, full) = match set {
            StakerSet::Candidates => {
                let era = CurrentEra::<T>::get();
                let stake = |who: &T::AccountId| {
                    let backing = ErasStakers::<T>::get(era, who).map(|e| e.total);
                    Self::active_bond(who).max(backing.unwrap_or_else(Zero::zero))
                };
                (
                    smallest_by(Validators::<T>::iter_keys(), stake),
                    Error::<T>::TooManyCandidates,
                )
            }
            StakerSet::Nominators => (
                smallest_by(Nominators::<T>::iter_keys(), Self::active_bond),
                Error::<T>::TooManyNominators,
            ),
            StakerSet::Witnesses => (
                smallest_by(Witnesses::<T>::iter_keys(), Self::active_bond),
                Error::<T>::TooManyWitnesses,
            ),
        };
        let who = match smallest {
            Some((who, stake)) if bond > stake => who,
            _ => return Err(full.into()),
        };
        match set {
            StakerSet::Candidates | StakerSet::Nominators => Self::do_chill(&who),
            StakerSet::Witnesses => Self::deregister(&who),
        }
        Self::deposit_event(Event::Evicted {
            set,
            who,
            by: by.clone(),
        });
        Ok(())
    }

    /// `who`'s active bond, zero if it is not bonded.
    pub(crate) fn active_bond(who: &T::AccountId) -> BalanceOf<T> {
        Ledger::<T>::get(who).map_or_else(Zero::zero, |l| l.active)
    }

    /// The least active bond `who` must keep: the highest minimum of its roles.
    fn role_minimum(who: &T::AccountId, p: &ParamsOf<T>) -> BalanceOf<T> {
        let mut min = BalanceOf::<T>::zero();
        if Validators::<T>::contains_key(who) {
            min = min.max(p.min_validator_bond);
        }
        if Nominators::<T>::contains_key(who) {
            min = min.max(p.min_nominator_bond);
        }
        if Witnesses::<T>::contains_key(who) {
            min = min.max(p.min_witness_stake);
        }
        min
    }
}

/// The member with the smallest `stake`, the lowest account id among equals.
fn smallest_by<AccountId: Ord, Balance: Ord + Copy>(
    members: impl Iterator<Item = AccountId>,
    stake: impl Fn(&AccountId) -> Balance,
) -> Option<(AccountId, Balance)> {
    members
        .map(|who| {
            let s = stake(&who);
            (who, s)
        })
        .min_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)))
}

/// Takes up to `value` from the unlocking chunks, newest first, dropping the chunks it
/// empties; returns what it could not take. Rebonding and slashing both take funds this
/// way.
pub(crate) fn take_from_unlocking<Balance, MaxChunks>(
    unlocking: &mut BoundedVec<UnlockChunk<Balance>, MaxChunks>,
    value: Balance,
) -> Balance
where
    Balance: Copy + Ord + Saturating + Zero,
    MaxChunks: Get<u32>,
{
    let mut left = value;
    while let Some(last) = unlocking.last_mut() {
        if left.is_zero() {
            break;
        }
        let take = left.min(last.value);
        last.value = last.value.saturating_sub(take);
        left = left.saturating_sub(take);
        if last.value.is_zero() {
            unlocking.pop();
        }
    }
    left
}
