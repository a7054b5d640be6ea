//! Rewards: era points, era payouts in two pools, the reward pot and the event fee floor.
//!
//! Validators earn block points in [`ErasPoints`] for authored blocks (the
//! pallet-authorship `EventHandler` here); witnesses earn and lose attestation points for
//! their votes (`committees.rs`), at most `max_points_gain_per_epoch` a randomness epoch.
//! When an era ends, `end_era` queues its payout in [`PayoutQueue`]: inflation for the
//! era's measured length ([`Pallet::era_inflation`], from [`ActiveEraStartTime`] to now,
//! capped at `MaxEraDurationFactor` nominal eras) plus the fees the pot collected (fee shares arrive through [`FeeShareToPot`], event fees
//! through `submit_event`), split into two fixed pools. The witness pool,
//! `witness_reward_share` of it, is split by attestation points and paid to the witnesses
//! themselves; the validator pool, the rest, is split by block points, then each share by
//! commission and pro-rata to the exposure. Fixed pools bound what witnesses can take
//! from validators and nominators, however many events they vote through: at most the
//! witness pool. A pool nobody earned points in goes to the other one; an era without any
//! points pays nothing and the pot keeps its fees for the next era. `on_initialize` pays
//! `MaxPayoutsPerBlock` earners a block, each from both pools at once.
//!
//! The era also records what a witness point was worth ([`WitnessPointValue`]):
//! `submit_event` charges at least the value of the points an event can pay out, plus
//! `event_fee_margin` ([`Pallet::points_value_fee_floor`]), so that buying events for a
//! committee to vote through costs more than the points earn.

use crate::{
    ActiveEra, ActiveEraStartTime, BalanceOf, Config, CreditOf, EraIndex, EraPayout, EraPoints,
    ErasPoints, ErasStakers, ErasTotalPoints, ErasValidatorPrefs, Event, NextPayoutEra, Pallet,
    ParamsOf, PayoutQueue, PointValue, WeightInfo, WitnessPointValue,
};
use frame_support::{
    pallet_prelude::*,
    traits::{
        fungible::{Balanced, Inspect, Mutate},
        tokens::{Fortitude, Precision, Preservation},
        Imbalance, OnUnbalanced, UnixTime,
    },
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
    helpers_128bit::multiply_by_rational_with_rounding,
    traits::{
        AccountIdConversion, One, SaturatedConversion, Saturating, UniqueSaturatedFrom,
        UniqueSaturatedInto, Zero,
    },
    Perbill, Rounding,
};

/// The pool a point is paid from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum RewardPool {
    /// Block points: the validator pool, shared with nominators.
    Validator,
    /// Attestation points: the witness pool, paid to the witness.
    Witness,
}

/// A year of 365 days in milliseconds: `annual_inflation` is minted over this much time.
pub const MILLISECONDS_PER_YEAR: u64 = 365 * 24 * 60 * 60 * 1_000;

impl<T: Config> Pallet<T> {
    /// The reward pot: fee shares and event fees collect here until an era ends.
    pub fn pot_account() -> T::AccountId {
        T::PalletId::get().into_account_truncating()
    }

    /// Computes an ended era's payout, splits it into the validator and witness pools
    /// and queues it.
    pub(crate) fn end_era(era: EraIndex) {
        let Ok(params) = Self::params() else { return };
        let total_points = ErasTotalPoints::<T>::get(era);
        if total_points.is_zero() {
            // Nobody earned anything: nothing is minted, and the fees stay in the pot
            // for the next era rather than being burned for nobody.
            Self::deposit_event(Event::EraPaid {
                era,
                validator_reward: Zero::zero(),
                witness_reward: Zero::zero(),
                total_points,
            });
            return;
        }
        let issuance = T::Currency::total_issuance();
        let inflation = Self::era_inflation(Self::active_era_duration(), issuance, &params);
        // The pot's fees are burned here and minted again with the payout, so that
        // every reward is a plain mint.
        let pot = Self::pot_account();
        let fees = T::Currency::reducible_balance(&pot, Preservation::Preserve, Fortitude::Polite);
        let burned = T::Currency::burn_from(
            &pot,
            fees,
            Preservation::Preserve,
            Precision::BestEffort,
            Fortitude::Polite,
        )
        .unwrap_or_else(|_| Zero::zero());
        let reward = inflation.saturating_add(burned);
        let (validator_reward, witness_reward) = if total_points.attestation == 0 {
            (reward, Zero::zero())
        } else if total_points.block == 0 {
            (Zero::zero(), reward)
        } else {
            let witness = params.witness_reward_share * reward;
            (reward.saturating_sub(witness), witness)
        };
        // Queued even when the reward is zero, so that the era's points are cleared.
        PayoutQueue::<T>::insert(
            era,
            EraPayout {
                validator_reward,
                witness_reward,
                total_points,
            },
        );
        if total_points.attestation != 0 {
            WitnessPointValue::<T>::put(PointValue {
                pool: witness_reward,
                points: total_points.attestation,
            });
        } else {
            // No witness earned anything: the last value fades, so that a floor set by a
            // busy era cannot price every event out forever.
            WitnessPointValue::<T>::mutate(|value| {
                if let Some(v) = value {
                    v.pool /= 2u32.into();
                }
            });
        }
        Self::deposit_event(Event::EraPaid {
            era,
            validator_reward,
            witness_reward,
            total_points,
        });
    }

    /// The least an event may cost: what the points it can pay out (K members ×
    /// `points_per_attestation`) were worth in the last era that paid witnesses, plus
    /// `event_fee_margin`. `submit_event` charges the larger of this and `event_fee`.
    /// Zero before any era has paid witnesses.
    pub fn points_value_fee_floor() -> BalanceOf<T> {
        let (Ok(params), Some(value)) = (Self::params(), WitnessPointValue::<T>::get()) else {
            return Zero::zero();
        };
        if value.points == 0 {
            return Zero::zero();
        }
        let event_points = u128::from(params.committee_size)
            .saturating_mul(u128::from(params.points_per_attestation));
        let pool: u128 = value.pool.unique_saturated_into();
        let worth = multiply_by_rational_with_rounding(
            pool,
            event_points,
            u128::from(value.points),
            Rounding::Up,
        )
        .unwrap_or(u128::MAX);
        let floor = worth.saturating_add(params.event_fee_margin.mul_ceil(worth));
        BalanceOf::<T>::unique_saturated_from(floor)
    }

    /// The inflation minted for an era that lasted `duration_ms`: `annual_inflation` of
    /// `issuance` per year ([`MILLISECONDS_PER_YEAR`]), pro rata to the duration. The
    /// duration counts at most `MaxEraDurationFactor` nominal eras (and at most a year),
    /// so a long stall, or a clock pushed forward, mints a bounded amount; sessions
    /// shortened by governance mint proportionally less per era, the same per year.
    pub fn era_inflation(
        duration_ms: u64,
        issuance: BalanceOf<T>,
        params: &ParamsOf<T>,
    ) -> BalanceOf<T> {
        let cap = Self::nominal_era_ms()
            .saturating_mul(T::MaxEraDurationFactor::get().max(1).into())
            .min(MILLISECONDS_PER_YEAR);
        let duration = duration_ms.min(cap);
        let yearly: u128 = (params.annual_inflation * issuance).saturated_into();
        // `duration` is at most a year, so the result is at most `yearly`: never `None`.
        multiply_by_rational_with_rounding(
            yearly,
            duration.into(),
            MILLISECONDS_PER_YEAR.into(),
            Rounding::Down,
        )
        .unwrap_or(yearly)
        .saturated_into()
    }

    /// The nominal era: a year over `ErasPerYear`, in milliseconds.
    pub fn nominal_era_ms() -> u64 {
        MILLISECONDS_PER_YEAR / u64::from(T::ErasPerYear::get().max(1))
    }

    /// The unix time in milliseconds; 0 before the first timestamp.
    fn now_ms() -> u64 {
        T::UnixTime::now().as_millis().saturated_into()
    }

    /// How long the active era has lasted so far, in milliseconds: a nominal era when its
    /// start is unknown.
    pub(crate) fn active_era_duration() -> u64 {
        ActiveEraStartTime::<T>::get().map_or_else(Self::nominal_era_ms, |start| {
            Self::now_ms().saturating_sub(start)
        })
    }

    /// Records now as the active era's start ([`ActiveEraStartTime`]); unknown while the
    /// clock reads 0 (genesis).
    pub(crate) fn note_era_start() {
        let now = Self::now_ms();
        if now == 0 {
            ActiveEraStartTime::<T>::kill();
        } else {
            ActiveEraStartTime::<T>::put(now);
        }
    }

    /// Records the active era's start if it is still unknown: the genesis era learns it
    /// in block 2, from block 1's timestamp. One read per block otherwise. Block 1 only
    /// sees genesis, whose time pallet-timestamp reports as 0 (and logs as an error).
    pub(crate) fn note_genesis_era_start(block: BlockNumberFor<T>) {
        if block > One::one()
            && ActiveEraStartTime::<T>::get().is_none()
            && ActiveEra::<T>::exists()
        {
            Self::note_era_start();
        }
    }

    /// Pays up to `max` earners of the oldest queued era (`on_initialize` passes at most
    /// `MaxPayoutsPerBlock`, less when the block-start budget is short).
    pub(crate) fn process_payouts(max: u32) -> Weight {
        let mut weight = Weight::zero();
        let active = Self::active_era();
        let mut budget = max;
        while budget > 0 {
            let era = NextPayoutEra::<T>::get();
            if era >= active {
                break;
            }
            let Some(payout) = PayoutQueue::<T>::get(era) else {
                NextPayoutEra::<T>::put(era.saturating_add(1));
                weight.saturating_accrue(T::DbWeight::get().reads_writes(1, 1));
                continue;
            };
            let mut drained = ErasPoints::<T>::drain_prefix(era);
            let mut done = true;
            for (who, points) in drained.by_ref() {
                let backers = Self::pay_earner(era, &who, points, &payout);
                weight.saturating_accrue(T::WeightInfo::payout_earner(backers));
                budget = budget.saturating_sub(1);
                if budget == 0 {
                    done = false;
                    break;
                }
            }
            if done {
                PayoutQueue::<T>::remove(era);
                ErasTotalPoints::<T>::remove(era);
                NextPayoutEra::<T>::put(era.saturating_add(1));
            }
        }
        weight
    }

    /// Pays one earner its shares of an era's pools: its attestation points' share of the
    /// witness pool to itself, its block points' share of the validator pool by
    /// commission and exposure. Returns how many backers it had.
    pub(crate) fn pay_earner(
        era: EraIndex,
        who: &T::AccountId,
        points: EraPoints,
        payout: &EraPayout<BalanceOf<T>>,
    ) -> u32 {
        let pool_share = |points: u32, total: u32, pool: BalanceOf<T>| {
            if total == 0 {
                Zero::zero()
            } else {
                Perbill::from_rational(points, total) * pool
            }
        };
        let witness_share = pool_share(
            points.attestation,
            payout.total_points.attestation,
            payout.witness_reward,
        );
        Self::mint_reward(who, era, witness_share);
        let share = pool_share(
            points.block,
            payout.total_points.block,
            payout.validator_reward,
        );
        if share.is_zero() {
            return 0;
        }
        let Some(exposure) = ErasStakers::<T>::get(era, who) else {
            Self::mint_reward(who, era, share);
            return 0;
        };
        let commission =
            ErasValidatorPrefs::<T>::get(era, who).map_or_else(Perbill::zero, |p| p.commission);
        let commission_part = commission * share;
        let rest = share.saturating_sub(commission_part);
        let own_part = if exposure.total.is_zero() {
            rest
        } else {
            Perbill::from_rational(exposure.own, exposure.total) * rest
        };
        Self::mint_reward(who, era, commission_part.saturating_add(own_part));
        for backer in exposure.others.iter() {
            let part = Perbill::from_rational(backer.value, exposure.total) * rest;
            Self::mint_reward(&backer.who, era, part);
        }
        exposure.others.len() as u32
    }

    fn mint_reward(who: &T::AccountId, era: EraIndex, amount: BalanceOf<T>) {
        if amount.is_zero() {
            return;
        }
        // A share below the existential deposit to an account that does not exist
        // cannot be minted; it is lost (not minted), which is documented dust.
        if let Ok(amount) = T::Currency::mint_into(who, amount) {
            Self::deposit_event(Event::Rewarded {
                who: who.clone(),
                era,
                amount,
            });
        }
    }

    /// Adds (or, with `add == false`, removes) era points of the active era in `pool`.
    /// An earner left with no points in either pool loses its entry.
    pub(crate) fn note_points(who: &T::AccountId, pool: RewardPool, points: u32, add: bool) {
        fn apply(points: &mut EraPoints, pool: RewardPool, delta: u32, add: bool) -> u32 {
            let slot = match pool {
                RewardPool::Validator => &mut points.block,
                RewardPool::Witness => &mut points.attestation,
            };
            let before = *slot;
            *slot = if add {
                slot.saturating_add(delta)
            } else {
                slot.saturating_sub(delta)
            };
            before.abs_diff(*slot)
        }
        let era = Self::active_era();
        let mut delta = 0u32;
        ErasPoints::<T>::mutate_exists(era, who, |maybe| {
            let mut p = maybe.unwrap_or_default();
            delta = apply(&mut p, pool, points, add);
            *maybe = (!p.is_zero()).then_some(p);
        });
        if delta == 0 {
            return;
        }
        ErasTotalPoints::<T>::mutate_exists(era, |maybe| {
            let mut t = maybe.unwrap_or_default();
            apply(&mut t, pool, delta, add);
            *maybe = (!t.is_zero()).then_some(t);
        });
    }
}

impl<T: Config> pallet_authorship::EventHandler<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
    fn note_author(author: T::AccountId) {
        if let Ok(params) = Self::params() {
            Self::note_points(
                &author,
                RewardPool::Validator,
                params.points_per_block,
                true,
            );
        }
    }
}

/// Routes a share of transaction fees into the reward pot and burns the rest: the
/// runtime's `OnChargeTransaction` handler. `Share` is the pot's part.
pub struct FeeShareToPot<T, Share>(core::marker::PhantomData<(T, Share)>);

impl<T: Config, Share: Get<Perbill>> OnUnbalanced<CreditOf<T>> for FeeShareToPot<T, Share> {
    fn on_nonzero_unbalanced(credit: CreditOf<T>) {
        let to_pot = Share::get() * credit.peek();
        let (pot_part, _burned) = credit.split(to_pot);
        // If the pot cannot take it (it would stay below the existential deposit), the
        // credit comes back and is dropped: burned.
        let _ = T::Currency::resolve(&Pallet::<T>::pot_account(), pot_part);
    }
}
