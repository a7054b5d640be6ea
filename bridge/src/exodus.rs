//! The escape hatch: triggering exodus mode, and exits against the last verified root.

use crate::{
    verifier, ActiveParams, Config, CurrentRoot, DepositQueue, Error, Event, ExitLeaf, Exited,
    Exodus, ExodusReason, L2Index, L2Total, LastBatchAt, MerkleSiblings, Pallet, QueueHead,
    TREE_DEPTH,
};
use echonet_rollup_primitives::{
    babyjubjub::Point,
    exit::{verify_exit, ExitError},
    Account, MerkleProof, PublicKey, Signature,
};
use frame_support::{
    ensure,
    pallet_prelude::*,
    traits::{fungible::Mutate, tokens::Preservation},
};

impl<T: Config> Pallet<T> {
    /// Which timeout has passed at `now`, if any: the oldest queued deposit's, then the
    /// batch timeout (counted from the last batch; before the first there are no L2
    /// balances, only deposits, which the deposit timeout covers).
    pub fn exodus_due(now: u64) -> Option<ExodusReason> {
        let params = ActiveParams::<T>::get();
        if let Some(oldest) = DepositQueue::<T>::get(QueueHead::<T>::get()) {
            if now.saturating_sub(oldest.queued_at) > params.deposit_timeout_ms {
                return Some(ExodusReason::DepositTimeout);
            }
        }
        if let Some(at) = LastBatchAt::<T>::get() {
            if now.saturating_sub(at) > params.batch_timeout_ms {
                return Some(ExodusReason::BatchTimeout);
            }
        }
        None
    }

    pub(crate) fn do_trigger_exodus() -> DispatchResult {
        ensure!(!Exodus::<T>::exists(), Error::<T>::ExodusActive);
        let now = Self::now_ms();
        let reason = Self::exodus_due(now).ok_or(Error::<T>::ExodusNotDue)?;
        Exodus::<T>::put((now, reason));
        Self::deposit_event(Event::ExodusTriggered { reason, at: now });
        Ok(())
    }

    pub(crate) fn do_exit(
        index: L2Index,
        leaf: &ExitLeaf,
        siblings: &MerkleSiblings,
        recipient: T::AccountId,
        signature: &[u8; 64],
    ) -> DispatchResult {
        ensure!(Exodus::<T>::exists(), Error::<T>::NotInExodus);
        ensure!(!Exited::<T>::contains_key(index), Error::<T>::AlreadyExited);
        let instance = Self::rollup_instance().ok_or(Error::<T>::InstanceNotSet)?;
        ensure!(
            siblings.len() == TREE_DEPTH as usize,
            Error::<T>::MalformedExit
        );
        let mut proof = MerkleProof::zero();
        for (slot, bytes) in proof.siblings.iter_mut().zip(siblings.iter()) {
            *slot = verifier::fr_from_bytes(bytes).ok_or(Error::<T>::MalformedExit)?;
        }
        let pubkey = Point::decompress(&leaf.public_key).map_err(|_| Error::<T>::MalformedExit)?;
        let account = Account {
            pubkey: PublicKey(pubkey),
            balance: leaf.balance,
            nonce: leaf.nonce,
        };
        let signature =
            Signature::from_bytes(signature).map_err(|_| Error::<T>::ExitSignatureInvalid)?;
        let recipient_bytes = Self::recipient_bytes(&recipient)?;
        let root = verifier::fr_from_stored(&CurrentRoot::<T>::get());
        verify_exit(
            &root,
            T::ChainId::get(),
            instance,
            index,
            &account,
            &proof,
            &recipient_bytes,
            &signature,
        )
        .map_err(|e| match e {
            ExitError::Index(_) => Error::<T>::MalformedExit,
            ExitError::NotInTree => Error::<T>::ExitNotInTree,
            ExitError::Signature(_) => Error::<T>::ExitSignatureInvalid,
        })?;
        let l2_total = L2Total::<T>::get()
            .checked_sub(leaf.balance)
            .ok_or(Error::<T>::L2TotalExceeded)?;
        if leaf.balance > 0 {
            T::Currency::transfer(
                &Self::account_id(),
                &recipient,
                leaf.balance,
                Preservation::Preserve,
            )?;
        }
        Exited::<T>::insert(index, ());
        L2Total::<T>::put(l2_total);
        Self::deposit_event(Event::Exited {
            index,
            recipient,
            amount: leaf.balance,
        });
        Ok(())
    }
}
