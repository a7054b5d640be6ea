//! Plans, subscriptions and charging them when due.

use crate::{
    BalanceOf, ChargeCursor, Config, CreditSource, Due, Error, Event, LapseReason, NextPlanId,
    Pallet, Plan, PlanCount, PlanId, Plans, Subscription, SubscriptionCount, Subscriptions,
    DUE_PROBE,
};
use alloc::vec::Vec;
use frame_support::{
    dispatch::DispatchResult, ensure, storage::with_storage_layer, traits::Get, BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{CheckedAdd, One, Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// `create_plan`'s checks and writes.
    pub(crate) fn do_create_plan(
        who: T::AccountId,
        price: BalanceOf<T>,
        period: BlockNumberFor<T>,
    ) -> DispatchResult {
        let params = Self::params()?;
        ensure!(
            !price.is_zero() && price >= params.min_plan_price,
            Error::<T>::PriceTooLow
        );
        ensure!(
            !period.is_zero() && period >= params.min_plan_period,
            Error::<T>::PeriodTooShort
        );
        let count = PlanCount::<T>::get(&who);
        ensure!(
            count < T::MaxPlansPerCreator::get(),
            Error::<T>::TooManyPlans
        );
        let plan = NextPlanId::<T>::get(&who);
        let next = plan.checked_add(1).ok_or(Error::<T>::PlanIdsExhausted)?;
        Plans::<T>::insert(&who, plan, Plan { price, period });
        PlanCount::<T>::insert(&who, count.saturating_add(1));
        NextPlanId::<T>::insert(&who, next);
        Self::deposit_event(Event::PlanCreated {
            creator: who,
            plan,
            price,
            period,
        });
        Ok(())
    }

    /// `retire_plan`'s checks and writes. Subscribers find the plan gone at their next
    /// charge and lapse then.
    pub(crate) fn do_retire_plan(who: T::AccountId, plan: PlanId) -> DispatchResult {
        Plans::<T>::take(&who, plan).ok_or(Error::<T>::UnknownPlan)?;
        PlanCount::<T>::mutate_exists(&who, |c| {
            let n = c.unwrap_or(0).saturating_sub(1);
            *c = (n != 0).then_some(n);
        });
        Self::deposit_event(Event::PlanRetired { creator: who, plan });
        Ok(())
    }

    /// The first block in `wanted..wanted + DUE_PROBE` whose due list has room.
    pub(crate) fn find_slot(wanted: BlockNumberFor<T>) -> Option<BlockNumberFor<T>> {
        let max = T::MaxDuePerBlock::get() as usize;
        let mut block = wanted;
        for _ in 0..DUE_PROBE {
            // The length prefix only: the list is not decoded.
            if Due::<T>::decode_len(block).unwrap_or(0) < max {
                return Some(block);
            }
            block = block.checked_add(&One::one())?;
        }
        None
    }

    /// `subscribe`'s checks and writes: the first period is charged now.
    pub(crate) fn do_subscribe(
        who: T::AccountId,
        creator: T::AccountId,
        plan_id: PlanId,
    ) -> DispatchResult {
        let plan = Plans::<T>::get(&creator, plan_id).ok_or(Error::<T>::UnknownPlan)?;
        ensure!(
            !Subscriptions::<T>::contains_key(&who, &creator),
            Error::<T>::AlreadySubscribed
        );
        let count = SubscriptionCount::<T>::get(&who);
        ensure!(
            count < T::MaxSubscriptionsPerSubscriber::get(),
            Error::<T>::TooManySubscriptions
        );
        let now = frame_system::Pallet::<T>::block_number();
        // Normally set by every block's hook; a chain that added this pallet in this
        // block's runtime has not run it yet.
        if ChargeCursor::<T>::get().is_none() {
            ChargeCursor::<T>::put(now);
        }
        let wanted = now.checked_add(&plan.period).ok_or(Error::<T>::Overflow)?;
        let slot = Self::find_slot(wanted).ok_or(Error::<T>::ScheduleFull)?;
        Self::do_credit(
            &who,
            &creator,
            plan.price,
            CreditSource::Subscription,
            Self::pay_in_free,
        )?;
        Due::<T>::try_append(slot, (who.clone(), creator.clone()))
            .map_err(|_| Error::<T>::ScheduleFull)?;
        Subscriptions::<T>::insert(
            &who,
            &creator,
            Subscription {
                plan: plan_id,
                next_charge: slot,
            },
        );
        SubscriptionCount::<T>::insert(&who, count.saturating_add(1));
        Self::deposit_event(Event::Subscribed {
            subscriber: who,
            creator,
            plan: plan_id,
            next_charge: slot,
        });
        Ok(())
    }

    /// `cancel`'s checks and writes: the subscription and its due entry go.
    pub(crate) fn do_cancel(who: T::AccountId, creator: T::AccountId) -> DispatchResult {
        let sub = Subscriptions::<T>::take(&who, &creator).ok_or(Error::<T>::NotSubscribed)?;
        Self::unlist(sub.next_charge, &who, &creator);
        Self::dec_subscriptions(&who);
        Self::deposit_event(Event::SubscriptionCancelled {
            subscriber: who,
            creator,
        });
        Ok(())
    }

    /// Removes (subscriber, creator) from the due list of `block`.
    fn unlist(block: BlockNumberFor<T>, subscriber: &T::AccountId, creator: &T::AccountId) {
        let mut list = Due::<T>::get(block);
        list.retain(|(s, c)| !(s == subscriber && c == creator));
        if list.is_empty() {
            Due::<T>::remove(block);
        } else {
            Due::<T>::insert(block, list);
        }
    }

    fn dec_subscriptions(who: &T::AccountId) {
        SubscriptionCount::<T>::mutate_exists(who, |c| {
            let n = c.unwrap_or(0).saturating_sub(1);
            *c = (n != 0).then_some(n);
        });
    }

    /// The charging part of `on_initialize`: walks the due lists from [`ChargeCursor`] up
    /// to `now`, charging at most `budget` subscriptions; each empty block walked counts
    /// as one charge too, so the walk is bounded as well. What is left of a block's list
    /// waits for the next block. Returns the units used (at most `budget`).
    pub(crate) fn charge_due(now: BlockNumberFor<T>, budget: u32) -> u32 {
        let mut cursor = ChargeCursor::<T>::get().unwrap_or(now);
        let mut used = 0u32;
        while used < budget && cursor <= now {
            let list = Due::<T>::take(cursor);
            if list.is_empty() {
                used = used.saturating_add(1);
                cursor = cursor.saturating_add(One::one());
                continue;
            }
            let room = budget.saturating_sub(used) as usize;
            let mut list: Vec<_> = list.into_inner();
            let rest = if list.len() > room {
                list.split_off(room)
            } else {
                Vec::new()
            };
            for (subscriber, creator) in list {
                Self::charge(cursor, subscriber, creator);
                used = used.saturating_add(1);
            }
            if !rest.is_empty() {
                // A tail of a list that fit: it still fits.
                Due::<T>::insert(cursor, BoundedVec::truncate_from(rest));
                break;
            }
            cursor = cursor.saturating_add(One::one());
        }
        ChargeCursor::<T>::put(cursor);
        used
    }

    /// Charges one period of the subscription due at `due_at` and lists it under its next
    /// charge, or lapses it.
    fn charge(due_at: BlockNumberFor<T>, subscriber: T::AccountId, creator: T::AccountId) {
        let Some(mut sub) = Subscriptions::<T>::get(&subscriber, &creator) else {
            return;
        };
        if sub.next_charge != due_at {
            return;
        }
        let outcome = (|| {
            let plan = Plans::<T>::get(&creator, sub.plan).ok_or(LapseReason::PlanRetired)?;
            // One period after the block it was due at, not after now: a backlog does not
            // shift the schedule.
            let slot = due_at
                .checked_add(&plan.period)
                .and_then(Self::find_slot)
                .ok_or(LapseReason::ScheduleFull)?;
            let full: sp_runtime::DispatchError = Error::<T>::ScheduleFull.into();
            with_storage_layer(|| {
                Self::do_credit(
                    &subscriber,
                    &creator,
                    plan.price,
                    CreditSource::Subscription,
                    Self::pay_in_free,
                )?;
                // `find_slot` saw room and nothing was appended since: cannot fail.
                Due::<T>::try_append(slot, (subscriber.clone(), creator.clone())).map_err(|_| full)
            })
            .map_err(|e| {
                if e == full {
                    LapseReason::ScheduleFull
                } else {
                    LapseReason::ChargeFailed
                }
            })?;
            Ok::<_, LapseReason>((plan.price, slot))
        })();
        match outcome {
            Ok((amount, slot)) => {
                sub.next_charge = slot;
                Subscriptions::<T>::insert(&subscriber, &creator, sub);
                Self::deposit_event(Event::SubscriptionCharged {
                    subscriber,
                    creator,
                    amount,
                    next_charge: slot,
                });
            }
            Err(reason) => {
                Subscriptions::<T>::remove(&subscriber, &creator);
                Self::dec_subscriptions(&subscriber);
                Self::deposit_event(Event::SubscriptionLapsed {
                    subscriber,
                    creator,
                    reason,
                });
            }
        }
    }
}
