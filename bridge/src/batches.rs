//! `submit_batch`: the checks, the public input rebuilt from chain data, the proof, and the
//! state change after it verifies. Nothing is written before the proof verifies.
//!
//! The deposit queue is read once per batch: the head once, and each consumed entry once, by
//! the accessor that `commitment_from_l1_data` calls. That accessor also records the amounts
//! it hands out, so the settlement pops and subtracts exactly what the proof was checked
//! against without reading the entries again.

use crate::{
    verifier, BatchSize, Config, CurrentRoot, DepositQueue, Error, Event, Exodus, FieldBytes,
    L2Total, LastBatch, LastBatchAt, Operators, Pallet, PendingWithdrawal, QueueHead, QueuedTotal,
    UnclaimedTotal, VerifyingKeys, WithdrawalArg, Withdrawals, PROOF_BYTES,
};
use alloc::vec::Vec;
use echonet_rollup_primitives::{
    commitment_from_l1_data,
    da::{self, DaError, DaRecord},
    BatchHeader, Fr, WithdrawalRecord,
};
use frame_support::{ensure, pallet_prelude::*};

/// What the checks computed, for the writes after verification.
struct Settlement<AccountId> {
    queue_head: u64,
    deposits: u32,
    deposits_sum: u128,
    withdrawals: Vec<PendingWithdrawal<AccountId>>,
    withdrawals_sum: u128,
    l2_total: u128,
}

impl<T: Config> Pallet<T> {
    /// Checks and applies a batch; returns the batch size it was verified for.
    pub(crate) fn do_submit_batch(
        who: &T::AccountId,
        batch_number: u64,
        new_root: FieldBytes,
        da_bytes: &[u8],
        deposits_consumed: u32,
        withdrawals: &[WithdrawalArg],
        proof: &[u8; PROOF_BYTES],
    ) -> Result<u32, DispatchError> {
        ensure!(Operators::<T>::contains_key(who), Error::<T>::NotOperator);
        ensure!(!Exodus::<T>::exists(), Error::<T>::ExodusActive);
        let last = LastBatch::<T>::get();
        ensure!(
            last.checked_add(1) == Some(batch_number),
            Error::<T>::BadBatchNumber
        );
        let size = BatchSize::<T>::get().ok_or(Error::<T>::NoBatchSize)?;
        let key = VerifyingKeys::<T>::get(size).ok_or(Error::<T>::NoVerifyingKey)?;
        let new_root_fr = verifier::fr_from_bytes(&new_root).ok_or(Error::<T>::NonCanonicalRoot)?;
        let old_root = CurrentRoot::<T>::get();

        // The DA: it decodes for the configured size, and it has as many deposit records as
        // the submitter says it consumes. (The entries themselves are checked against the
        // queue head, in order, while the public input is rebuilt.)
        let decoded = da::decode(da_bytes, size as usize).map_err(|_| Error::<T>::MalformedDa)?;
        let da_deposits = decoded
            .records
            .iter()
            .filter(|r| matches!(r, DaRecord::Deposit { .. }))
            .count();
        ensure!(
            da_deposits == deposits_consumed as usize,
            Error::<T>::DepositCountMismatch
        );

        // The withdrawals, with their recipients as L1 accounts.
        let mut pending = Vec::with_capacity(withdrawals.len());
        let mut withdrawals_sum: u128 = 0;
        for w in withdrawals {
            let recipient =
                Self::recipient_account(&w.recipient).ok_or(Error::<T>::WithdrawalMismatch)?;
            withdrawals_sum = withdrawals_sum
                .checked_add(w.amount)
                .ok_or(Error::<T>::Overflow)?;
            pending.push(PendingWithdrawal {
                recipient,
                amount: w.amount,
            });
        }
        let records: Vec<WithdrawalRecord> = withdrawals
            .iter()
            .map(|w| WithdrawalRecord {
                from: w.from,
                amount: w.amount,
                recipient: w.recipient,
            })
            .collect();

        let queue_head = QueueHead::<T>::get();
        let (input, deposits_sum) = Self::rebuild_public_input(
            queue_head,
            batch_number,
            size,
            verifier::fr_from_stored(&old_root),
            new_root_fr,
            deposits_consumed,
            &records,
            da_bytes,
        )?;

        let proof = verifier::decode_proof(proof).map_err(|e| match e {
            verifier::ProofError::NotCanonical => Error::<T>::ProofNotCanonical,
            verifier::ProofError::NotOnCurve => Error::<T>::ProofNotOnCurve,
            verifier::ProofError::NotInSubgroup => Error::<T>::ProofNotInSubgroup,
        })?;
        let pvk = verifier::load_prepared(&key.prepared).ok_or(Error::<T>::NoVerifyingKey)?;
        ensure!(
            verifier::verify(&pvk, input, &proof),
            Error::<T>::InvalidProof
        );

        // The L2 total after the batch: it cannot go below zero unless the proof system is
        // broken, and then nothing is paid.
        let l2_total = L2Total::<T>::get()
            .checked_add(deposits_sum)
            .ok_or(Error::<T>::Overflow)?
            .checked_sub(withdrawals_sum)
            .ok_or(Error::<T>::L2TotalExceeded)?;
        Self::settle(
            batch_number,
            old_root,
            new_root,
            Settlement {
                queue_head,
                deposits: deposits_consumed,
                deposits_sum,
                withdrawals: pending,
                withdrawals_sum,
                l2_total,
            },
        )?;
        Ok(size)
    }

    /// The batch's single public input, rebuilt from chain data only: the chain id (a
    /// constant), this rollup's instance id, the batch number, the current root, the new
    /// root, the deposits after `queue_head` (read from [`crate::DepositQueue`] itself, each
    /// once, as many as the DA has deposit records, never from the extrinsic), the
    /// withdrawals and the DA. `deposits_consumed` must be that count.
    ///
    /// Returns the input and the sum of the amounts of the deposits it covers.
    #[allow(clippy::too_many_arguments)]
    fn rebuild_public_input(
        queue_head: u64,
        batch_number: u64,
        batch_size: u32,
        old_root: Fr,
        new_root: Fr,
        deposits_consumed: u32,
        withdrawals: &[WithdrawalRecord],
        da_bytes: &[u8],
    ) -> Result<(Fr, u128), Error<T>> {
        let header = BatchHeader {
            chain_id: T::ChainId::get(),
            instance: Self::rollup_instance().ok_or(Error::<T>::InstanceNotSet)?,
            batch_number,
            // Not part of the commitment: the DA header names the fee account.
            operator: 0,
        };
        // The amounts handed to the commitment, in queue order: `commitment_from_l1_data`
        // asks for entries 0, 1, ... once each, and a repeated or skipped index is not
        // recorded, so `amounts` is exactly the prefix of the queue the input commits to.
        let mut amounts: Vec<u128> = Vec::with_capacity(deposits_consumed as usize);
        let (input, consumed) = commitment_from_l1_data(
            &header,
            batch_size as usize,
            old_root,
            new_root,
            |i| {
                let deposit = Self::queued_deposit(queue_head, i)?;
                if i == amounts.len() {
                    amounts.push(deposit.amount);
                }
                Some(deposit)
            },
            withdrawals,
            da_bytes,
        )
        .map_err(|e| match e {
            DaError::CountMismatch { .. } | DaError::WithdrawalMismatch(_) => {
                Error::<T>::WithdrawalMismatch
            }
            DaError::DepositQueueTooShort { .. } => Error::<T>::NotEnoughDeposits,
            DaError::DepositMismatch(_) => Error::<T>::DepositOutOfOrder,
            _ => Error::<T>::MalformedDa,
        })?;
        ensure!(
            consumed == deposits_consumed as usize && amounts.len() == consumed,
            Error::<T>::DepositCountMismatch
        );
        let deposits_sum = amounts
            .iter()
            .try_fold(0u128, |sum, a| sum.checked_add(*a))
            .ok_or(Error::<T>::Overflow)?;
        Ok((input, deposits_sum))
    }

    /// The writes of a verified batch.
    fn settle(
        batch_number: u64,
        old_root: FieldBytes,
        new_root: FieldBytes,
        s: Settlement<T::AccountId>,
    ) -> DispatchResult {
        let unclaimed = UnclaimedTotal::<T>::get()
            .checked_add(s.withdrawals_sum)
            .ok_or(Error::<T>::Overflow)?;
        let head = s.queue_head;
        for i in 0..u64::from(s.deposits) {
            DepositQueue::<T>::remove(head + i);
        }
        QueueHead::<T>::put(head + u64::from(s.deposits));
        QueuedTotal::<T>::mutate(|t| *t = t.saturating_sub(s.deposits_sum));
        let count = s.withdrawals.len() as u32;
        for (position, w) in s.withdrawals.into_iter().enumerate() {
            Withdrawals::<T>::insert(batch_number, position as u32, w);
        }
        UnclaimedTotal::<T>::put(unclaimed);
        L2Total::<T>::put(s.l2_total);
        CurrentRoot::<T>::put(new_root);
        LastBatch::<T>::put(batch_number);
        LastBatchAt::<T>::put(Self::now_ms());
        Self::deposit_event(Event::BatchVerified {
            batch_number,
            old_root,
            new_root,
            deposits: s.deposits,
            withdrawals: count,
        });
        Ok(())
    }
}
