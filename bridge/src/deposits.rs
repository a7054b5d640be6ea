//! Deposits: validation, index assignment, the queue, and refunds in exodus mode.

use crate::{
    verifier, ActiveParams, Config, DepositQueue, DepositTarget, Error, Event, Exodus, L2PublicKey,
    NextIndex, Pallet, QueueHead, QueueTail, QueuedDeposit, QueuedTotal,
};
use echonet_rollup_primitives::{babyjubjub::Point, tree::RESERVED_INDEX, Deposit, PublicKey};
use frame_support::{
    ensure,
    pallet_prelude::*,
    traits::{fungible::Mutate, tokens::Preservation},
};

/// Decompresses and validates the key of a new L2 account: on the curve, in the
/// prime-order subgroup and not the identity (an identity key could never sign, and the
/// account's funds would freeze; the check stays here even once `PublicKey::validate`
/// refuses it too).
pub(crate) fn validate_new_key(packed: &[u8; 32]) -> Option<L2PublicKey> {
    let point = Point::decompress(packed).ok()?;
    if point == Point::IDENTITY {
        return None;
    }
    PublicKey(point).validate().ok()?;
    Some(L2PublicKey {
        x: verifier::fr_to_bytes(&point.x),
        y: verifier::fr_to_bytes(&point.y),
    })
}

impl<T: Config> Pallet<T> {
    pub(crate) fn do_deposit(
        who: T::AccountId,
        target: DepositTarget,
        amount: u128,
    ) -> DispatchResult {
        ensure!(!Exodus::<T>::exists(), Error::<T>::ExodusActive);
        ensure!(
            amount >= ActiveParams::<T>::get().min_deposit,
            Error::<T>::BelowMinimumDeposit
        );
        let (head, tail) = (QueueHead::<T>::get(), QueueTail::<T>::get());
        ensure!(
            tail.saturating_sub(head) < u64::from(T::MaxQueuedDeposits::get()),
            Error::<T>::DepositQueueFull
        );
        let next = NextIndex::<T>::get();
        let (to, new_account) = match target {
            DepositTarget::NewAccount(packed) => {
                let key = validate_new_key(&packed).ok_or(Error::<T>::InvalidPublicKey)?;
                // Creations stop before the reserved index (rule 1).
                ensure!(next < RESERVED_INDEX, Error::<T>::L2AccountsExhausted);
                (next, Some(key))
            }
            DepositTarget::Existing(index) => {
                ensure!(index < next, Error::<T>::UnknownL2Account);
                (index, None)
            }
        };
        let queued_total = QueuedTotal::<T>::get()
            .checked_add(amount)
            .ok_or(Error::<T>::Overflow)?;
        T::Currency::transfer(&who, &Self::account_id(), amount, Preservation::Preserve)?;
        if new_account.is_some() {
            NextIndex::<T>::put(next + 1);
        }
        DepositQueue::<T>::insert(
            tail,
            QueuedDeposit {
                depositor: who.clone(),
                to,
                new_account,
                amount,
                queued_at: Self::now_ms(),
            },
        );
        QueueTail::<T>::put(tail + 1);
        QueuedTotal::<T>::put(queued_total);
        Self::deposit_event(Event::Deposited {
            seq: tail,
            depositor: who,
            to,
            amount,
            creates: new_account.is_some(),
        });
        Ok(())
    }

    /// The `i`-th waiting deposit after the queue head `head` (read once by the caller), as
    /// the circuit sees it: one storage read.
    pub(crate) fn queued_deposit(head: u64, i: usize) -> Option<Deposit> {
        let seq = head.checked_add(u64::try_from(i).ok()?)?;
        let d = DepositQueue::<T>::get(seq)?;
        let new_account = d.new_account.map(|k| {
            PublicKey(Point {
                x: verifier::fr_from_stored(&k.x),
                y: verifier::fr_from_stored(&k.y),
            })
        });
        Some(Deposit {
            to: d.to,
            new_account,
            amount: d.amount,
        })
    }

    pub(crate) fn do_refund_deposit(seq: u64) -> DispatchResult {
        ensure!(Exodus::<T>::exists(), Error::<T>::NotInExodus);
        let d = DepositQueue::<T>::get(seq).ok_or(Error::<T>::DepositNotFound)?;
        let queued_total = QueuedTotal::<T>::get()
            .checked_sub(d.amount)
            .ok_or(Error::<T>::Overflow)?;
        T::Currency::transfer(
            &Self::account_id(),
            &d.depositor,
            d.amount,
            Preservation::Preserve,
        )?;
        DepositQueue::<T>::remove(seq);
        QueuedTotal::<T>::put(queued_total);
        Self::deposit_event(Event::DepositRefunded {
            seq,
            depositor: d.depositor,
            amount: d.amount,
        });
        Ok(())
    }
}
