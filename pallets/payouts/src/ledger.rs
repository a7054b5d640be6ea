//! The ledger: crediting creators (the [`PayoutLedger`] implementation), the payout queue
//! and its batches, claims and destinations.

use crate::{
    BalanceOf, BatchEnd, Config, CreditSource, DestinationOf, Destinations, Error, Event,
    HoldReasonOf, L2Payout, Owed, Pallet, ParamsOf, PayoutDestination, PayoutLedger, PayoutQueue,
    QueueBounds, Queued, TotalOwed,
};
use frame_support::{
    dispatch::DispatchResult,
    ensure,
    storage::with_storage_layer,
    traits::{
        fungible::{Inspect, Mutate, MutateHold},
        tokens::{Fortitude, Precision, Preservation, Restriction},
        Get,
    },
    weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{AccountIdConversion, CheckedAdd, CheckedSub, Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// The ledger account: it holds everything owed plus its existential deposit.
    pub fn account_id() -> T::AccountId {
        T::PalletId::get().into_account_truncating()
    }

    /// Where `creator`'s payouts go: its destination, or its own L1 account.
    pub fn destination(creator: &T::AccountId) -> DestinationOf<T> {
        Destinations::<T>::get(creator).unwrap_or_else(|| PayoutDestination::L1(creator.clone()))
    }

    /// Gives the ledger account its existential deposit (genesis). Fails when the account
    /// already holds more, which would break the ledger invariant from the start.
    pub(crate) fn create_ledger_account() -> DispatchResult {
        let ledger = Self::account_id();
        let ed = T::Currency::minimum_balance();
        let balance = T::Currency::balance(&ledger);
        ensure!(balance <= ed, Error::<T>::LedgerAccount);
        if balance < ed {
            T::Currency::mint_into(&ledger, ed.saturating_sub(balance))?;
        }
        Ok(())
    }

    /// Moves `amount` from `payer`'s free balance into the ledger, keeping `payer` alive.
    pub(crate) fn pay_in_free(
        payer: &T::AccountId,
        ledger: &T::AccountId,
        amount: BalanceOf<T>,
    ) -> DispatchResult {
        T::Currency::transfer(payer, ledger, amount, Preservation::Preserve).map(|_| ())
    }

    /// Records `amount` as owed to `creator` after `pay_in` moved it into the ledger, and
    /// queues the creator for the next batch. Checks everything that can fail before
    /// moving funds, so a failure changes nothing. A zero amount is a no-op.
    pub(crate) fn do_credit(
        payer: &T::AccountId,
        creator: &T::AccountId,
        amount: BalanceOf<T>,
        source: CreditSource,
        pay_in: impl FnOnce(&T::AccountId, &T::AccountId, BalanceOf<T>) -> DispatchResult,
    ) -> DispatchResult {
        let ledger = Self::account_id();
        // The ledger paying itself, or owing itself, would change the books without
        // moving funds.
        ensure!(
            *payer != ledger && *creator != ledger,
            Error::<T>::LedgerAccount
        );
        if amount.is_zero() {
            return Ok(());
        }
        let owed = Owed::<T>::get(creator)
            .checked_add(&amount)
            .ok_or(Error::<T>::Overflow)?;
        let total = TotalOwed::<T>::get()
            .checked_add(&amount)
            .ok_or(Error::<T>::Overflow)?;
        pay_in(payer, &ledger, amount)?;
        Owed::<T>::insert(creator, owed);
        TotalOwed::<T>::put(total);
        Self::enqueue(creator);
        Self::deposit_event(Event::Credited {
            payer: payer.clone(),
            creator: creator.clone(),
            amount,
            source,
        });
        Ok(())
    }

    /// Puts `creator` at the back of the payout queue unless it is queued already or the
    /// queue is full (then a later credit queues it, or it claims).
    fn enqueue(creator: &T::AccountId) {
        if Queued::<T>::contains_key(creator) {
            return;
        }
        let (front, back) = QueueBounds::<T>::get();
        if back.saturating_sub(front) >= u64::from(T::MaxQueue::get()) {
            return;
        }
        PayoutQueue::<T>::insert(back, creator);
        Queued::<T>::insert(creator, ());
        QueueBounds::<T>::put((front, back.saturating_add(1)));
    }

    /// Pays `creator` `amount` (everything it is owed) to its destination and clears its
    /// debt, or fails changing nothing ([`Error::PayoutFailed`],
    /// [`Error::L2PaidWrongAmount`]).
    pub(crate) fn pay_out(creator: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
        let destination = Self::destination(creator);
        with_storage_layer(|| {
            Self::transfer_out(&destination, amount)?;
            Owed::<T>::remove(creator);
            TotalOwed::<T>::mutate(|t| *t = t.saturating_sub(amount));
            Ok::<(), sp_runtime::DispatchError>(())
        })?;
        Self::deposit_event(Event::PaidOut {
            creator: creator.clone(),
            destination,
            amount,
        });
        Ok(())
    }

    /// Moves `amount` out of the ledger account to `destination`, keeping the ledger
    /// account alive.
    fn transfer_out(destination: &DestinationOf<T>, amount: BalanceOf<T>) -> DispatchResult {
        let ledger = Self::account_id();
        match destination {
            PayoutDestination::L1(to) => {
                T::Currency::transfer(&ledger, to, amount, Preservation::Preserve)
                    .map_err(|_| Error::<T>::PayoutFailed)?;
            }
            PayoutDestination::L2(to) => {
                let before = T::Currency::balance(&ledger);
                T::L2::pay(&ledger, to, amount).map_err(|_| Error::<T>::PayoutFailed)?;
                let after = T::Currency::balance(&ledger);
                // The books drop by `amount`: the ledger account must too.
                ensure!(
                    before.checked_sub(&after) == Some(amount),
                    Error::<T>::L2PaidWrongAmount
                );
            }
        }
        Ok(())
    }

    /// The payout part of `on_initialize`: starts a batch at a payout period boundary and
    /// pays at most `max_payouts_per_block` queued creators of the batch. Returns how many
    /// queue entries it took.
    pub(crate) fn pay_batch(now: BlockNumberFor<T>, params: &ParamsOf<T>) -> u32 {
        let (mut front, mut back) = QueueBounds::<T>::get();
        if !params.payout_period.is_zero() && (now % params.payout_period).is_zero() {
            BatchEnd::<T>::put(back);
            if back > front {
                Self::deposit_event(Event::BatchStarted {
                    queued: back.saturating_sub(front),
                });
            }
        }
        let end = BatchEnd::<T>::get();
        let min = params.min_payout.max(T::Currency::minimum_balance());
        let mut taken = 0u32;
        while taken < params.max_payouts_per_block && front < end {
            let entry = PayoutQueue::<T>::take(front);
            front = front.saturating_add(1);
            taken = taken.saturating_add(1);
            let Some(creator) = entry else { continue };
            Queued::<T>::remove(&creator);
            let owed = Owed::<T>::get(&creator);
            // Below the minimum: stays owed, leaves the queue (its next credit queues it).
            if owed.is_zero() || owed < min {
                continue;
            }
            if Self::pay_out(&creator, owed).is_err() {
                // Stays owed; the back of the queue is past this batch's end, so it is
                // tried again in the next batch. Taking it out freed the slot it takes.
                PayoutQueue::<T>::insert(back, &creator);
                Queued::<T>::insert(&creator, ());
                back = back.saturating_add(1);
                Self::deposit_event(Event::PayoutFailed {
                    creator,
                    amount: owed,
                });
            }
        }
        QueueBounds::<T>::put((front, back));
        taken
    }

    /// `set_destination`'s checks and write.
    pub(crate) fn do_set_destination(
        who: T::AccountId,
        destination: DestinationOf<T>,
    ) -> DispatchResult {
        match &destination {
            PayoutDestination::L1(to) => {
                ensure!(*to != Self::account_id(), Error::<T>::LedgerAccount);
                if *to == who {
                    Destinations::<T>::remove(&who);
                } else {
                    Destinations::<T>::insert(&who, &destination);
                }
            }
            PayoutDestination::L2(_) => {
                ensure!(T::L2::available(), Error::<T>::L2Unavailable);
                Destinations::<T>::insert(&who, &destination);
            }
        }
        Self::deposit_event(Event::DestinationSet {
            creator: who,
            destination,
        });
        Ok(())
    }
}

impl<T: Config> PayoutLedger<T::AccountId, BalanceOf<T>> for Pallet<T> {
    type HoldReason = HoldReasonOf<T>;

    fn credit(
        payer: &T::AccountId,
        creator: &T::AccountId,
        amount: BalanceOf<T>,
        source: CreditSource,
    ) -> DispatchResult {
        Self::do_credit(payer, creator, amount, source, Self::pay_in_free)
    }

    fn credit_from_hold(
        reason: &Self::HoldReason,
        payer: &T::AccountId,
        creator: &T::AccountId,
        amount: BalanceOf<T>,
        source: CreditSource,
    ) -> DispatchResult {
        Self::do_credit(payer, creator, amount, source, |payer, ledger, amount| {
            T::Currency::transfer_on_hold(
                reason,
                payer,
                ledger,
                amount,
                Precision::Exact,
                Restriction::Free,
                // Held funds are already committed (a campaign budget): a freeze the payer
                // puts on its account (a conviction vote) must not stop paying from them.
                Fortitude::Force,
            )
            .map(|_| ())
        })
    }

    fn credit_weight() -> Weight {
        use crate::WeightInfo;
        T::WeightInfo::credit().max(T::WeightInfo::credit_from_hold())
    }
}
