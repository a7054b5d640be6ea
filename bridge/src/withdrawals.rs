//! Claims of verified withdrawals: each is paid once, to the recipient its batch recorded.

use crate::{Config, Error, Event, Pallet, UnclaimedTotal, Withdrawals};
use frame_support::{
    pallet_prelude::*,
    traits::{fungible::Mutate, tokens::Preservation},
};

impl<T: Config> Pallet<T> {
    pub(crate) fn do_claim_withdrawal(batch_number: u64, position: u32) -> DispatchResult {
        let w =
            Withdrawals::<T>::get(batch_number, position).ok_or(Error::<T>::WithdrawalNotFound)?;
        let unclaimed = UnclaimedTotal::<T>::get()
            .checked_sub(w.amount)
            .ok_or(Error::<T>::Overflow)?;
        // The pallet account keeps its existential deposit, which no obligation counts, so
        // `Preserve` never refuses a payout the invariant covers.
        T::Currency::transfer(
            &Self::account_id(),
            &w.recipient,
            w.amount,
            Preservation::Preserve,
        )?;
        Withdrawals::<T>::remove(batch_number, position);
        UnclaimedTotal::<T>::put(unclaimed);
        Self::deposit_event(Event::WithdrawalClaimed {
            batch_number,
            position,
            recipient: w.recipient,
            amount: w.amount,
        });
        Ok(())
    }
}
