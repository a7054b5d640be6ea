//! What the admin origin configures: verifying keys, the batch size, the parameters and the
//! operators with their bonds.

use crate::{
    verifier, ActiveParams, BatchSize, Config, Error, Event, HoldReason, Operators, Pallet, Params,
    VerifyingKeyEntry, VerifyingKeys, MAX_TIMEOUT_MS,
};
use frame_support::{
    ensure,
    pallet_prelude::*,
    traits::{
        fungible::{Inspect, InspectHold, MutateHold},
        tokens::{Fortitude, Precision},
    },
};

impl<T: Config> Pallet<T> {
    /// Checks a key against its hash, decodes it with full checks and prepares it.
    pub(crate) fn checked_key(
        batch_size: u32,
        key: &[u8],
        key_hash: [u8; 32],
    ) -> Result<VerifyingKeyEntry, Error<T>> {
        ensure!(
            batch_size > 0 && batch_size <= T::MaxBatchSize::get(),
            Error::<T>::BatchSizeOutOfRange
        );
        ensure!(
            sp_io::hashing::sha2_256(key) == key_hash,
            Error::<T>::KeyHashMismatch
        );
        let prepared = verifier::prepare_key(key).map_err(|e| match e {
            verifier::KeyError::Malformed => Error::<T>::MalformedKey,
            verifier::KeyError::WrongInputCount => Error::<T>::WrongInputCount,
        })?;
        let prepared = BoundedVec::try_from(prepared).map_err(|_| Error::<T>::MalformedKey)?;
        Ok(VerifyingKeyEntry {
            hash: key_hash,
            prepared,
        })
    }

    pub(crate) fn do_set_verifying_key(
        batch_size: u32,
        key: &[u8],
        key_hash: [u8; 32],
    ) -> DispatchResult {
        let entry = Self::checked_key(batch_size, key, key_hash)?;
        VerifyingKeys::<T>::insert(batch_size, entry);
        Self::deposit_event(Event::VerifyingKeySet {
            batch_size,
            hash: key_hash,
        });
        Ok(())
    }

    pub(crate) fn do_set_batch_size(batch_size: u32) -> DispatchResult {
        ensure!(
            VerifyingKeys::<T>::contains_key(batch_size),
            Error::<T>::NoVerifyingKey
        );
        BatchSize::<T>::put(batch_size);
        Self::deposit_event(Event::BatchSizeSet { batch_size });
        Ok(())
    }

    /// Timeouts in `1..=MAX_TIMEOUT_MS` (the escape hatch must open, and not at once); a
    /// minimum deposit of at least the existential deposit (a deposit is a queue entry and
    /// must cost something; a refund must be able to create the depositor's account); a
    /// bond of zero or at least the existential deposit.
    pub(crate) fn check_params(p: &Params) -> Result<(), Error<T>> {
        let ed = T::Currency::minimum_balance();
        let timeout_ok = |t: u64| t > 0 && t <= MAX_TIMEOUT_MS;
        ensure!(
            timeout_ok(p.deposit_timeout_ms)
                && timeout_ok(p.batch_timeout_ms)
                && p.min_deposit >= ed.max(1)
                && (p.operator_bond == 0 || p.operator_bond >= ed),
            Error::<T>::InvalidParams
        );
        Ok(())
    }

    pub(crate) fn do_add_operator(who: &T::AccountId) -> DispatchResult {
        ensure!(
            !Operators::<T>::contains_key(who),
            Error::<T>::AlreadyOperator
        );
        ensure!(
            Operators::<T>::count() < T::MaxOperators::get(),
            Error::<T>::TooManyOperators
        );
        let bond = ActiveParams::<T>::get().operator_bond;
        if bond > 0 {
            T::Currency::hold(&HoldReason::OperatorBond.into(), who, bond)?;
        }
        Operators::<T>::insert(who, bond);
        Self::deposit_event(Event::OperatorAdded {
            who: who.clone(),
            bond,
        });
        Ok(())
    }

    pub(crate) fn do_remove_operator(who: &T::AccountId, slash: bool) -> DispatchResult {
        let bond = Operators::<T>::get(who).ok_or(Error::<T>::NotOperator)?;
        let reason = HoldReason::OperatorBond.into();
        // What is actually held: never more than the hold has (a hold cannot shrink
        // behind our back, but releasing more than held would fail the call).
        let held = T::Currency::balance_on_hold(&reason, who).min(bond);
        if held > 0 {
            if slash {
                T::Currency::burn_held(
                    &reason,
                    who,
                    held,
                    Precision::BestEffort,
                    Fortitude::Force,
                )?;
            } else {
                T::Currency::release(&reason, who, held, Precision::BestEffort)?;
            }
        }
        Operators::<T>::remove(who);
        Self::deposit_event(Event::OperatorRemoved {
            who: who.clone(),
            bond,
            slashed: slash,
        });
        Ok(())
    }
}
