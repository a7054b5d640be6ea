//! Governance parameters: the one [`Params`](crate::Params) value in [`ActiveParams`] that
//! every concern reads, and the bounds [`Pallet::set_params`] checks.

use crate::{ActiveParams, Config, Error, Pallet, ParamsOf};
use frame_support::{ensure, traits::Get};
use sp_runtime::traits::Zero;

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
            && !p.event_ttl.is_zero();
        ensure!(ok, Error::<T>::InvalidParams);
        Ok(())
    }
}
