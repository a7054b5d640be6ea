//! Governance parameters: the one [`Params`](crate::Params) value in
//! [`ActiveParams`](crate::ActiveParams) and the bounds `set_params` checks.

use crate::{ActiveParams, Config, Error, Pallet, ParamsOf, WeightInfo, MAX_HOOK_SHARE};
use frame_support::{ensure, traits::Get};
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
    /// The parameters in force.
    pub fn params() -> Result<ParamsOf<T>, Error<T>> {
        ActiveParams::<T>::get().ok_or(Error::<T>::ParamsNotSet)
    }

    /// Checks the bounds documented at [`Error::InvalidParams`].
    pub(crate) fn check_params(p: &ParamsOf<T>) -> Result<(), Error<T>> {
        let hook = T::WeightInfo::on_initialize_idle()
            .saturating_add(T::WeightInfo::on_initialize_payouts(
                p.max_payouts_per_block,
            ))
            .saturating_add(T::WeightInfo::on_initialize_charges(
                p.max_charges_per_block,
            ));
        let limit = MAX_HOOK_SHARE * <T as frame_system::Config>::BlockWeights::get().max_block;
        let ok = !p.payout_period.is_zero()
            && p.max_payouts_per_block != 0
            && p.max_charges_per_block != 0
            && !p.min_plan_period.is_zero()
            && hook.all_lte(limit);
        ensure!(ok, Error::<T>::InvalidParams);
        Ok(())
    }
}
