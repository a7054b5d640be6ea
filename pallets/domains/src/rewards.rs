//! Epoch rewards: contributions and points, the epoch end (release or extension, per-domain
//! shares with minimums and carries, the dynamic split), crediting accounts and claims.

use crate::{
    AccountPoints, ActiveDomains, ActiveParams, BalanceOf, Carry, Claimable, Config, CurrentEpoch,
    DomainId, DomainOf, DomainPayout, DomainPayouts, Domains, EpochInfo, Error, Event, Owed,
    Pallet, PayoutQueue, PayoutQueueItems, Pools, Tallies, Tally, WeightInfo,
};
use frame_support::{
    dispatch::DispatchResult,
    ensure,
    traits::{
        fungible::{Inspect, Mutate},
        tokens::Preservation,
        Get,
    },
    weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
    helpers_128bit::multiply_by_rational_with_rounding,
    traits::{Saturating, UniqueSaturatedFrom, UniqueSaturatedInto, Zero},
    Perbill, Rounding,
};

/// Parts per billion of 100%.
const BILLION: u64 = 1_000_000_000;

/// `amount × num / den`, rounded down (zero when `den` is zero).
pub(crate) fn mul_div<B: UniqueSaturatedInto<u128> + UniqueSaturatedFrom<u128>>(
    amount: B,
    num: u128,
    den: u128,
) -> B {
    if den == 0 {
        return B::unique_saturated_from(0u128);
    }
    let a: u128 = amount.unique_saturated_into();
    B::unique_saturated_from(
        multiply_by_rational_with_rounding(a, num, den, Rounding::Down).unwrap_or(0),
    )
}

/// The share of a released reward an active domain gets: its minimum first (all minimums
/// scaled down if they add up to more than 100%), then the rest by weight.
pub fn domain_share(
    released: u128,
    min_share: Perbill,
    min_share_sum: u64,
    weight: u128,
    total_weight: u128,
) -> u128 {
    let min = u128::from(min_share.deconstruct());
    let sum = u128::from(min_share_sum);
    let billion = u128::from(BILLION);
    if sum >= billion {
        return mul_div(released, min, sum);
    }
    let min_part = mul_div(released, min, billion);
    let rest = mul_div(released, billion - sum, billion);
    min_part.saturating_add(mul_div(rest, weight, total_weight))
}

/// The evaluators' share after an epoch with `demanded` quorum seats over a pool of
/// `pool` members: up by `step` above `target` seats per member, down below half of it,
/// within `[min, max]`.
pub fn next_eval_share(
    share: Perbill,
    demanded: u32,
    pool: u32,
    target: u32,
    step: Perbill,
    min: Perbill,
    max: Perbill,
) -> Perbill {
    let demanded = u64::from(demanded);
    let capacity = u64::from(target).saturating_mul(u64::from(pool));
    let moved = if demanded > capacity {
        share.saturating_add(step)
    } else if demanded.saturating_mul(2) < capacity {
        share.saturating_sub(step)
    } else {
        share
    };
    moved.max(min).min(max)
}

impl<T: Config> Pallet<T> {
    /// The running epoch's tally of `domain`, reset if it counts an older epoch.
    fn tally(domain: DomainId, epoch: crate::EpochIndex) -> Tally {
        let t = Tallies::<T>::get(domain);
        if t.epoch == epoch {
            t
        } else {
            Tally {
                epoch,
                ..Default::default()
            }
        }
    }

    /// Records an accepted contribution of `optimizer` to `domain` in the running epoch.
    pub(crate) fn record_contribution(domain: DomainId, d: &DomainOf<T>, optimizer: &T::AccountId) {
        let mut epoch = CurrentEpoch::<T>::get();
        let mut t = Self::tally(domain, epoch.index);
        if t.contributions == 0 {
            // `MaxDomains` bounds both the ids and this list: the push cannot fail.
            let _ = ActiveDomains::<T>::try_mutate(|a| a.try_push(domain));
            t.min_share = d.min_share;
            epoch.min_share_sum = epoch
                .min_share_sum
                .saturating_add(u64::from(d.min_share.deconstruct()));
        }
        t.contributions = t.contributions.saturating_add(1);
        t.weight = t.weight.saturating_add(u128::from(d.reward_weight));
        epoch.contributions = epoch.contributions.saturating_add(1);
        epoch.total_weight = epoch
            .total_weight
            .saturating_add(u128::from(d.reward_weight));
        Tallies::<T>::insert(domain, t);
        CurrentEpoch::<T>::put(epoch);
        Self::add_points(domain, optimizer, 1, 0);
    }

    /// Adds points to `who` in `domain` for the running epoch; its first points there
    /// queue a payout entry.
    pub(crate) fn add_points(domain: DomainId, who: &T::AccountId, optimizer: u32, evaluator: u32) {
        let epoch = CurrentEpoch::<T>::get().index;
        let mut t = Self::tally(domain, epoch);
        AccountPoints::<T>::mutate((epoch, domain, who), |p| {
            if p.is_none() {
                t.accounts = t.accounts.saturating_add(1);
                PayoutQueue::<T>::mutate(|q| {
                    PayoutQueueItems::<T>::insert(q.tail, (epoch, domain, who.clone()));
                    q.tail = q.tail.saturating_add(1);
                });
            }
            let p = p.get_or_insert_with(Default::default);
            p.optimizer = p.optimizer.saturating_add(optimizer);
            p.evaluator = p.evaluator.saturating_add(evaluator);
        });
        t.optimizer_points = t.optimizer_points.saturating_add(u64::from(optimizer));
        t.evaluator_points = t.evaluator_points.saturating_add(u64::from(evaluator));
        Tallies::<T>::insert(domain, t);
    }

    /// The pot's balance above its existential deposit.
    pub(crate) fn pot_above_ed() -> BalanceOf<T> {
        T::Currency::balance(&Self::account_id()).saturating_sub(T::Currency::minimum_balance())
    }

    /// `on_initialize`: ends the running epoch when due.
    pub(crate) fn epoch_hook(now: BlockNumberFor<T>) -> Weight {
        let epoch = CurrentEpoch::<T>::get();
        if now < epoch.ends_at {
            return Weight::zero();
        }
        let params = ActiveParams::<T>::get();
        if epoch.contributions < params.release_threshold.max(1) {
            let ends_at = now.saturating_add(params.epoch_length);
            let (index, contributions) = (epoch.index, epoch.contributions);
            CurrentEpoch::<T>::put(EpochInfo {
                ends_at,
                accrued: epoch.accrued.saturating_add(params.epoch_reward),
                ..epoch
            });
            Self::deposit_event(Event::EpochExtended {
                epoch: index,
                contributions,
                ends_at,
            });
            return T::WeightInfo::extend_epoch();
        }
        let domains = Self::release_epoch(now, epoch);
        T::WeightInfo::release_epoch(domains)
    }

    /// Releases the epoch's reward over its active domains. Returns their number.
    pub(crate) fn release_epoch(now: BlockNumberFor<T>, epoch: crate::EpochInfoOf<T>) -> u32 {
        let params = ActiveParams::<T>::get();
        let mut owed = Owed::<T>::get();
        let available = Self::pot_above_ed().saturating_sub(owed);
        let released = epoch.accrued.min(available);
        let released_u: u128 = released.unique_saturated_into();
        let active = ActiveDomains::<T>::take();
        let mut treasury = BalanceOf::<T>::zero();
        for &domain in active.iter() {
            let t = Tallies::<T>::get(domain);
            if t.epoch != epoch.index || t.contributions == 0 {
                continue;
            }
            let share = BalanceOf::<T>::unique_saturated_from(domain_share(
                released_u,
                t.min_share,
                epoch.min_share_sum,
                t.weight,
                epoch.total_weight,
            ));
            if t.contributions < params.min_contributions {
                let carry = Carry::<T>::mutate(domain, |c| {
                    *c = c.saturating_add(share);
                    *c
                });
                owed = owed.saturating_add(share);
                Self::deposit_event(Event::DomainCarried {
                    epoch: epoch.index,
                    domain,
                    share,
                    carry,
                });
                continue;
            }
            let Some(mut d) = Domains::<T>::get(domain) else {
                continue;
            };
            let pot = share.saturating_add(Carry::<T>::take(domain));
            let to_treasury = params.treasury_share.mul_floor(pot);
            let evaluators = if t.evaluator_points == 0 {
                Zero::zero()
            } else {
                d.eval_share.mul_floor(pot)
            };
            let optimizers = pot.saturating_sub(to_treasury).saturating_sub(evaluators);
            DomainPayouts::<T>::insert(
                epoch.index,
                domain,
                DomainPayout {
                    optimizer_pot: optimizers,
                    optimizer_points: t.optimizer_points,
                    evaluator_pot: evaluators,
                    evaluator_points: t.evaluator_points,
                    remaining: optimizers.saturating_add(evaluators),
                    entries: t.accounts,
                },
            );
            // The carry was owed already; the share is now, less the treasury's part.
            owed = owed.saturating_add(share).saturating_sub(to_treasury);
            treasury = treasury.saturating_add(to_treasury);
            let demanded = if d.demand_epoch == epoch.index {
                d.demanded
            } else {
                0
            };
            d.eval_share = next_eval_share(
                d.eval_share,
                demanded,
                Pools::<T>::get(domain).size,
                params.target_load,
                params.split_step,
                params.min_eval_share,
                params.max_eval_share,
            );
            let eval_share = d.eval_share;
            Domains::<T>::insert(domain, d);
            Self::deposit_event(Event::DomainRewarded {
                epoch: epoch.index,
                domain,
                share,
                optimizers,
                evaluators,
                eval_share,
            });
        }
        if !treasury.is_zero()
            && T::Currency::transfer(
                &Self::account_id(),
                &T::TreasuryAccount::get(),
                treasury,
                Preservation::Preserve,
            )
            .is_err()
        {
            // Cannot happen (the pot held `released`); the part stays in the pot, unowed.
            treasury = Zero::zero();
        }
        Owed::<T>::put(owed);
        Self::deposit_event(Event::EpochReleased {
            epoch: epoch.index,
            released,
            domains: active.len() as u32,
            treasury,
        });
        CurrentEpoch::<T>::put(EpochInfo {
            index: epoch.index.saturating_add(1),
            ends_at: now.saturating_add(params.epoch_length),
            accrued: params.epoch_reward,
            ..Default::default()
        });
        active.len() as u32
    }

    /// `on_initialize`: credits payout entries of released epochs to [`Claimable`], at
    /// most `max_payouts_per_block`.
    pub(crate) fn payout_hook() -> Weight {
        let max = ActiveParams::<T>::get().max_payouts_per_block;
        let current = CurrentEpoch::<T>::get().index;
        let mut q = PayoutQueue::<T>::get();
        let mut done = 0u32;
        while done < max && q.head < q.tail {
            let Some((epoch, domain, who)) = PayoutQueueItems::<T>::get(q.head) else {
                q.head = q.head.saturating_add(1);
                done += 1;
                continue;
            };
            if epoch >= current {
                break;
            }
            Self::credit_entry(epoch, domain, &who);
            PayoutQueueItems::<T>::remove(q.head);
            q.head = q.head.saturating_add(1);
            done += 1;
        }
        if done > 0 {
            PayoutQueue::<T>::put(q);
        }
        T::WeightInfo::payout_entries(done)
    }

    /// Credits `who`'s points in (`epoch`, `domain`) to its claimable balance.
    fn credit_entry(epoch: crate::EpochIndex, domain: DomainId, who: &T::AccountId) {
        let points = AccountPoints::<T>::take((epoch, domain, who)).unwrap_or_default();
        let Some(mut p) = DomainPayouts::<T>::get(epoch, domain) else {
            // The domain was not paid that epoch (inactive or carried): nothing to credit.
            return;
        };
        let amount = mul_div(
            p.optimizer_pot,
            u128::from(points.optimizer),
            u128::from(p.optimizer_points),
        )
        .saturating_add(mul_div(
            p.evaluator_pot,
            u128::from(points.evaluator),
            u128::from(p.evaluator_points),
        ))
        .min(p.remaining);
        p.remaining = p.remaining.saturating_sub(amount);
        p.entries = p.entries.saturating_sub(1);
        if !amount.is_zero() {
            Claimable::<T>::mutate(who, |c| *c = c.saturating_add(amount));
        }
        if p.entries == 0 {
            // Rounding dust goes back to the pot's free part.
            Owed::<T>::mutate(|o| *o = o.saturating_sub(p.remaining));
            DomainPayouts::<T>::remove(epoch, domain);
        } else {
            DomainPayouts::<T>::insert(epoch, domain, p);
        }
    }

    pub(crate) fn do_claim(who: T::AccountId) -> DispatchResult {
        let amount = Claimable::<T>::take(&who);
        ensure!(!amount.is_zero(), Error::<T>::NothingToClaim);
        T::Currency::transfer(&Self::account_id(), &who, amount, Preservation::Preserve)?;
        Owed::<T>::mutate(|o| *o = o.saturating_sub(amount));
        Self::deposit_event(Event::RewardsClaimed { who, amount });
        Ok(())
    }
}
