//! Governance parameters: the one [`Params`](crate::Params) value in [`ActiveParams`] that
//! every concern reads, and the bounds [`Pallet::set_params`] checks.

use crate::{ActiveParams, Config, Error, Pallet, ParamsOf};
use frame_support::{ensure, traits::Get};
use sp_runtime::{traits::Zero, Perbill};

impl<T: Config> Pallet<T> {
    /// The parameters in force.
    pub fn params() -> Result<ParamsOf<T>, Error<T>> {
        ActiveParams::<T>::get().ok_or(Error::<T>::ParamsNotSet)
    }

    /// Checks the bounds documented at [`Error::InvalidParams`].
    pub(crate) fn check_params(p: &ParamsOf<T>) -> Result<(), Error<T>> {
        let ok = p.validator_count != 0
            && p.validator_count <= T::MaxValidators::get()
            && p.minimum_validator_count <= p.validator_count
            && p.committee_size != 0
            && p.committee_size <= T::MaxCommitteeSize::get()
            && p.quorum != 0
            && p.quorum <= p.committee_size
            && p.quorum.saturating_mul(2) > p.committee_size
            && p.slash_defer_eras.saturating_add(2) <= p.unbonding_eras
            && p.unbonding_eras < T::HistoryDepth::get()
            && !p.event_ttl.is_zero()
            && p.reputation_base != 0
            && Self::fee_floor_converges(p)
            // A zero minimum lets an empty bond take a seat in a bounded set.
            && !p.min_validator_bond.is_zero()
            && !p.min_nominator_bond.is_zero()
            && !p.min_witness_stake.is_zero()
            // An event must close while its committee (kept two epochs) exists.
            && p.event_ttl <= T::EpochLength::get()
            // A resolved event stays open for late votes until its ttl; its receipt
            // must outlive it, so that the receipt reservation also bounds open events.
            && !p.receipt_retention.is_zero()
            && p.receipt_retention >= p.event_ttl
            // Free events would make the pending caps free to hold and settled records
            // free to create.
            && !p.event_fee.is_zero();
        ensure!(ok, Error::<T>::InvalidParams);
        Ok(())
    }

    /// The event fee floor pays into the pot, `witness_reward_share` of which becomes the
    /// next witness pool that the next floor is priced from, times `1 + event_fee_margin`:
    /// below 100% this converges, at or above it the floor would grow era after era.
    fn fee_floor_converges(p: &ParamsOf<T>) -> bool {
        let one = u64::from(Perbill::one().deconstruct());
        let share = u64::from(p.witness_reward_share.deconstruct());
        let margin = u64::from(p.event_fee_margin.deconstruct());
        // At most 10^9 × 2·10^9: no overflow in u64.
        share.saturating_mul(one.saturating_add(margin)) < one.saturating_mul(one)
    }
}
