//! The pallet's logic: period close, expiry and purge (the hooks), proposals, claims.

use crate::{
    merkle, scores_payload_hash, ActiveParams, BalanceOf, Claimed, Config, CurrentSchedule, Error,
    Event, Pallet, PeriodIndex, PeriodInfo, PeriodInfoOf, PeriodState, Periods, Proposals,
    Reserved, WeightInfo,
};
use frame_support::{
    dispatch::DispatchResult,
    ensure,
    traits::{fungible::Inspect, Get},
    weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_payouts::{CreditSource, PayoutLedger};
use pallet_reputation::{ReputationScores, Role};
use pallet_witness::{ConsumeError, EventClass, EventSubmitter, ReceiptProvider, Verdict};
use sp_core::H256;
use sp_runtime::{
    helpers_128bit::multiply_by_rational_with_rounding,
    traits::{Saturating, UniqueSaturatedFrom, UniqueSaturatedInto, Zero},
    DispatchError, Rounding,
};

impl<T: Config> Pallet<T> {
    /// `on_initialize`: closes the running period when due, expires at most one period and
    /// removes at most `MaxClearPerBlock` bitmap words of an expired one.
    pub(crate) fn period_hooks(now: BlockNumberFor<T>) -> Weight {
        let mut weight = T::WeightInfo::on_initialize_idle();
        let schedule = CurrentSchedule::<T>::get();
        if now >= schedule.next_close {
            Self::close_period(now);
            weight.saturating_accrue(T::WeightInfo::close_period());
        }
        if Self::expire_one() {
            weight.saturating_accrue(T::WeightInfo::expire_period());
        }
        if let Some(words) = Self::purge_step() {
            weight.saturating_accrue(T::WeightInfo::purge_claimed(words));
        }
        weight
    }

    /// Closes the running period at `now` with a snapshot of the pool.
    pub(crate) fn close_period(now: BlockNumberFor<T>) {
        let params = ActiveParams::<T>::get();
        let mut schedule = CurrentSchedule::<T>::get();
        let reserved = Reserved::<T>::get();
        let pool = Self::free_above_ed().saturating_sub(reserved);
        let period = schedule.current;
        let start = schedule.current_start;
        Periods::<T>::insert(
            period,
            PeriodInfo {
                start,
                end: now,
                pool,
                score_cap: params.score_cap,
                root: None,
                total_score: 0,
                leaves: 0,
                paid: Zero::zero(),
                state: PeriodState::AwaitingScores,
            },
        );
        Reserved::<T>::put(reserved.saturating_add(pool));
        schedule.current = period.saturating_add(1);
        schedule.current_start = now;
        schedule.next_close = now.saturating_add(params.period_length);
        CurrentSchedule::<T>::put(schedule);
        Self::deposit_event(Event::PeriodClosed {
            period,
            start,
            end: now,
            pool,
        });
    }

    /// Expires the oldest open period if its window has passed. True if it did.
    pub(crate) fn expire_one() -> bool {
        let mut schedule = CurrentSchedule::<T>::get();
        let window = ActiveParams::<T>::get().claim_window;
        let period = schedule.oldest_open;
        if period >= schedule.current || period.saturating_add(window) >= schedule.current {
            return false;
        }
        let mut returned = BalanceOf::<T>::zero();
        Periods::<T>::mutate(period, |info| {
            if let Some(info) = info {
                returned = info.pool.saturating_sub(info.paid);
                info.state = PeriodState::Expired;
            }
        });
        Reserved::<T>::mutate(|r| *r = r.saturating_sub(returned));
        schedule.oldest_open = period.saturating_add(1);
        CurrentSchedule::<T>::put(schedule);
        Self::deposit_event(Event::PeriodExpired { period, returned });
        true
    }

    /// Removes up to `MaxClearPerBlock` bitmap words of the oldest expired period not yet
    /// purged; once none is left, up to as many of its proposals, then its record. `None`
    /// if there was nothing to purge, else how many keys were removed (at most
    /// `2 × MaxClearPerBlock`).
    pub(crate) fn purge_step() -> Option<u32> {
        let mut schedule = CurrentSchedule::<T>::get();
        let period = schedule.purge_next;
        if period >= schedule.oldest_open {
            return None;
        }
        // frame-support's `clear_prefix` ignores the cursor (it removes the first `limit`
        // keys left): one call per block, each block's removals committed before the next,
        // progresses through the prefix. `maybe_cursor` only says whether keys remain.
        let words = Claimed::<T>::clear_prefix(period, T::MaxClearPerBlock::get(), None);
        if words.maybe_cursor.is_some() {
            return Some(words.unique);
        }
        // Then the proposals nobody accepted, at the same pace.
        let proposals = Proposals::<T>::clear_prefix(period, T::MaxClearPerBlock::get(), None);
        let removed = words.unique.saturating_add(proposals.unique);
        if proposals.maybe_cursor.is_none() {
            Periods::<T>::remove(period);
            schedule.purge_next = period.saturating_add(1);
            CurrentSchedule::<T>::put(schedule);
            Self::deposit_event(Event::PeriodPurged { period });
        }
        Some(removed)
    }

    /// The pool account's free balance above its existential deposit.
    pub(crate) fn free_above_ed() -> BalanceOf<T> {
        T::Currency::balance(&Self::account_id()).saturating_sub(T::Currency::minimum_balance())
    }

    /// The record of `period` if it is closed and not expired.
    pub(crate) fn open_period(period: PeriodIndex) -> Result<PeriodInfoOf<T>, DispatchError> {
        let schedule = CurrentSchedule::<T>::get();
        ensure!(period < schedule.current, Error::<T>::PeriodNotClosed);
        ensure!(period >= schedule.oldest_open, Error::<T>::PeriodExpired);
        let info = Periods::<T>::get(period).ok_or(Error::<T>::PeriodExpired)?;
        ensure!(
            info.state != PeriodState::Expired,
            Error::<T>::PeriodExpired
        );
        Ok(info)
    }

    pub(crate) fn do_submit_scores(
        who: T::AccountId,
        period: PeriodIndex,
        root: H256,
        total_score: u128,
        leaves: u32,
    ) -> DispatchResult {
        let info = Self::open_period(period)?;
        ensure!(
            info.state == PeriodState::AwaitingScores,
            Error::<T>::AlreadyScored
        );
        ensure!(leaves > 0, Error::<T>::NoLeaves);
        ensure!(
            merkle::depth(leaves) <= T::MaxProofDepth::get(),
            Error::<T>::TooManyLeaves
        );
        ensure!(total_score > 0, Error::<T>::ZeroTotalScore);
        ensure!(
            total_score <= u128::from(leaves).saturating_mul(info.score_cap),
            Error::<T>::TotalAboveCap
        );
        let payload_hash = scores_payload_hash(period, &root, total_score, leaves);
        ensure!(
            !Proposals::<T>::contains_key(period, payload_hash),
            Error::<T>::ProposalExists
        );
        T::Submitter::submit(&who, EventClass::Engagement, payload_hash)?;
        Proposals::<T>::insert(period, payload_hash, &who);
        Self::deposit_event(Event::ScoresSubmitted {
            period,
            submitter: who,
            root,
            total_score,
            leaves,
            payload_hash,
        });
        Ok(())
    }

    pub(crate) fn do_accept_scores(
        period: PeriodIndex,
        root: H256,
        total_score: u128,
        leaves: u32,
    ) -> DispatchResult {
        let mut info = Self::open_period(period)?;
        // Checked before the receipt is consumed, so a late acceptance never burns it.
        ensure!(
            info.state == PeriodState::AwaitingScores,
            Error::<T>::AlreadyScored
        );
        let payload_hash = scores_payload_hash(period, &root, total_score, leaves);
        ensure!(
            Proposals::<T>::contains_key(period, payload_hash),
            Error::<T>::UnknownProposal
        );
        let receipt =
            T::Receipts::consume(EventClass::Engagement, &payload_hash).map_err(|e| match e {
                ConsumeError::NoReceipt => Error::<T>::NoReceipt,
                ConsumeError::AlreadySettled => Error::<T>::ReceiptAlreadySettled,
            })?;
        Proposals::<T>::remove(period, payload_hash);
        match receipt.verdict {
            Verdict::Valid => {
                info.root = Some(root);
                info.total_score = total_score;
                info.leaves = leaves;
                info.state = PeriodState::Scored;
                Periods::<T>::insert(period, info);
                Self::deposit_event(Event::ScoresAccepted {
                    period,
                    root,
                    total_score,
                    leaves,
                });
            }
            Verdict::Invalid => Self::deposit_event(Event::ScoresRejected {
                period,
                root,
                payload_hash,
            }),
        }
        Ok(())
    }

    /// Checks and pays one leaf of `period` (whose record is `info`, updated in memory:
    /// the caller stores it with [`Self::commit_claims`]). Returns what was paid. Changes
    /// nothing when it fails: every check comes before the credit, and the credit itself
    /// fails changing nothing.
    pub(crate) fn try_claim(
        period: PeriodIndex,
        info: &mut PeriodInfoOf<T>,
        index: u32,
        account: &T::AccountId,
        score: u128,
        proof: &[H256],
    ) -> Result<BalanceOf<T>, DispatchError> {
        let root = match (info.state, info.root) {
            (PeriodState::Scored, Some(root)) => root,
            (PeriodState::Expired, _) => return Err(Error::<T>::PeriodExpired.into()),
            _ => return Err(Error::<T>::NotScored.into()),
        };
        ensure!(index < info.leaves, Error::<T>::IndexOutOfRange);
        ensure!(score <= info.score_cap, Error::<T>::ScoreAboveCap);
        let (word, bit) = (index / 128, 1u128 << (index % 128));
        let bits = Claimed::<T>::get(period, word);
        ensure!(bits & bit == 0, Error::<T>::AlreadyClaimed);
        let leaf = merkle::leaf_hash(period, index, account, score);
        ensure!(
            merkle::verify(&root, leaf, index, info.leaves, proof),
            Error::<T>::InvalidProof
        );
        ensure!(
            T::Reputation::score(account, Role::Creator)
                >= ActiveParams::<T>::get().reputation_floor,
            Error::<T>::BelowReputationFloor
        );
        let pool: u128 = info.pool.unique_saturated_into();
        let amount =
            multiply_by_rational_with_rounding(pool, score, info.total_score, Rounding::Down)
                .ok_or(Error::<T>::PoolExhausted)?;
        let amount = BalanceOf::<T>::unique_saturated_from(amount);
        let paid = info.paid.saturating_add(amount);
        ensure!(paid <= info.pool, Error::<T>::PoolExhausted);
        if !amount.is_zero() {
            T::Ledger::credit(
                &Self::account_id(),
                account,
                amount,
                CreditSource::Engagement,
            )?;
        }
        Claimed::<T>::insert(period, word, bits | bit);
        info.paid = paid;
        Self::deposit_event(Event::Claimed {
            period,
            index,
            account: account.clone(),
            score,
            amount,
        });
        Ok(amount)
    }

    /// Stores a period's record after claims that paid `paid` in total.
    pub(crate) fn commit_claims(period: PeriodIndex, info: PeriodInfoOf<T>, paid: BalanceOf<T>) {
        if paid.is_zero() {
            return;
        }
        Periods::<T>::insert(period, info);
        Reserved::<T>::mutate(|r| *r = r.saturating_sub(paid));
    }
}
