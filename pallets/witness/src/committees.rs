//! Witness committees: registration, sortition, events, attestations and receipts.
//!
//! Bonded accounts register as [`Witnesses`] for some [`EventClass`]es. When the
//! randomness epoch changes, `on_initialize` draws each class's committee
//! ([`Committees`]) by weighted sortition. [`Pallet::submit_event`] queues a
//! [`PendingEvent`] for the current committee; [`Pallet::attest`] collects its votes, and
//! the vote that reaches the committee's quorum stores a [`Receipt`], which other pallets
//! read through [`ReceiptProvider`]. `on_initialize` also closes events whose time is up
//! (absent members are penalized) and prunes old receipts.
//!
//! ## Draws that cannot be ground
//!
//! The seed of epoch `e` is fixed by the VRF outputs of epoch `e - 1`'s blocks, so the
//! author of `e - 1`'s last block knows it and could add `bond_extra`, `register_witness`
//! or `deregister_witness` calls to that block, trying outcomes until the draw suits it.
//! So the draw reads nothing that such a block can change. When epoch `e` is drawn, the
//! pallet also takes the pool (account, weight, classes of every registered witness with
//! the minimum stake) that will draw the next epoch, [`WitnessPool`]; epoch `e` is drawn
//! from the snapshot taken at the previous draw, before `e`'s seed was known to anyone.
//! Its weights are the stakes and reputations of then. A registration or a new bond made
//! in epoch `e` therefore counts from epoch `e + 2`: the author who knows `e + 1`'s seed
//! can only change the pool of `e + 2`, whose seed nobody knows yet.
//!
//! Sortition runs on the snapshot alone. Afterwards, drawn witnesses that have since
//! deregistered (or dropped the class) or whose active bond is below the minimum stake
//! now are dropped, and their seats stay empty: no redraw. A redraw would let anyone who
//! leaves, or unbonds, choose between two committees for the others; with empty seats,
//! leaving only removes oneself, as [`Pallet::deregister_witness`] does to a committee in
//! use. The committee keeps the K and M it was drawn with, so its quorum does not shrink.
//!
//! The first draw (and any draw with no earlier snapshot: after the parameters were
//! first set, or after a runtime upgrade that added the snapshot) takes the snapshot at
//! the draw itself and uses it at once. At genesis that is the genesis state, which no
//! block author chose; later it is the one draw that a last-block author could steer.
//!
//! ## Quorum and late votes
//!
//! Each committee stores the K and M in force when it was drawn: governance changing them
//! affects committees drawn afterwards, never the counting of votes for a committee
//! already drawn, which could otherwise be left with `2M ≤ K`. Votes count until M agree.
//! Those M and any earlier dissent are judged then: agreement earns reputation and points.
//! A vote cast after the outcome is known is recorded, which spares its voter the absence
//! penalty when the event closes, but earns nothing: agreeing with a public outcome takes
//! no work and risks nothing. A late vote that disagrees is penalized like any other.
//!
//! The storage key of a receipt is part of the RPC surface: see [`event_id`].

use crate::{
    BalanceOf, Committee, CommitteeEpoch, Committees, Config, EpochIndex, Error, Event, EventClass,
    EventId, EventQueue, EventQueueBounds, Ledger, MaxEventClasses, Pallet, ParamsOf, PendingEvent,
    PendingEventOf, PendingEvents, PoolEntry, Receipt, ReceiptProvider, ReceiptQueue,
    ReceiptQueueBounds, Receipts, Verdict, WeightInfo, WitnessPool, WitnessPoolSnapshot, Witnesses,
};
use alloc::{collections::BTreeMap, vec::Vec};
use codec::Encode;
use frame_support::{
    pallet_prelude::*,
    traits::{fungible::Mutate, tokens::Preservation, Randomness},
};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_reputation::{ReputationHandler, ReputationScores, Role};
use sp_core::H256;
use sp_runtime::traits::{Saturating, Zero};

/// The id of an event: blake2-256 of its (class, payload hash).
pub fn event_id(class: EventClass, payload_hash: &H256) -> EventId {
    H256(sp_io::hashing::blake2_256(&(class, payload_hash).encode()))
}

impl<T: Config> Pallet<T> {
    // ---------------------------------------------------------------- witnesses

    /// [`Pallet::register_witness`]: registers `who` for `classes`.
    pub(crate) fn do_register_witness(
        who: T::AccountId,
        classes: BoundedVec<EventClass, MaxEventClasses>,
    ) -> DispatchResult {
        let params = Self::params()?;
        ensure!(
            !Witnesses::<T>::contains_key(&who),
            Error::<T>::AlreadyWitness
        );
        let ledger = Ledger::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
        ensure!(
            ledger.active >= params.min_witness_stake,
            Error::<T>::InsufficientBond
        );
        ensure!(!classes.is_empty(), Error::<T>::BadClasses);
        for (i, class) in classes.iter().enumerate() {
            ensure!(!classes[..i].contains(class), Error::<T>::BadClasses);
        }
        ensure!(
            Witnesses::<T>::count() < T::MaxWitnesses::get(),
            Error::<T>::TooManyWitnesses
        );
        Witnesses::<T>::insert(&who, classes.clone());
        Self::deposit_event(Event::WitnessRegistered {
            who,
            classes: classes.into_inner(),
        });
        Ok(())
    }

    /// Deregisters a witness and takes it out of the committees in use. Used by
    /// [`Pallet::deregister_witness`] and when a slash leaves a witness below the minimum.
    pub(crate) fn deregister(who: &T::AccountId) {
        Witnesses::<T>::remove(who);
        Self::remove_from_committees(who);
        Self::deposit_event(Event::WitnessDeregistered { who: who.clone() });
    }

    /// Takes `who` out of the committees still in use (the current and the previous
    /// epoch): a member under the minimum stake must not vote. The committees keep their
    /// K and M: a departure empties a seat, it does not lower the quorum.
    fn remove_from_committees(who: &T::AccountId) {
        let Some(epoch) = CommitteeEpoch::<T>::get() else {
            return;
        };
        for e in [epoch.saturating_sub(1), epoch] {
            for class in EventClass::ALL {
                Committees::<T>::mutate_exists(e, class, |maybe| {
                    if let Some(c) = maybe {
                        c.members.retain(|m| m != who);
                    }
                });
            }
        }
    }

    // ---------------------------------------------------------------- committees

    /// Draws every class's committee for `epoch` from the pool snapshot taken at the
    /// previous draw, and takes the snapshot for the next one; drops the committees two
    /// epochs old. See the module doc for why. Bounded by `MaxWitnesses` (both pools) ×
    /// `MaxCommitteeSize` per class.
    pub fn draw_committees(epoch: EpochIndex) -> Weight {
        CommitteeEpoch::<T>::put(epoch);
        let Ok(params) = Self::params() else {
            return T::DbWeight::get().reads_writes(1, 1);
        };
        if let Some(old) = epoch.checked_sub(2) {
            for class in EventClass::ALL {
                Committees::<T>::remove(old, class);
            }
        }
        let (now, witnesses) = Self::take_pool(&params);
        // The snapshot of an earlier draw was taken before this epoch's seed existed.
        // Without one (the first draw), the pool of this very draw is used.
        let pool = match WitnessPool::<T>::get() {
            Some(snapshot) if snapshot.taken_at < epoch => snapshot.entries,
            _ => now.clone(),
        };
        let drawn_from = pool.len() as u32;
        // Who may take a seat now: registered for the class, with the minimum stake in
        // force. That is the pool just taken, so checking costs no storage read.
        let serving: BTreeMap<&T::AccountId, &BoundedVec<EventClass, MaxEventClasses>> = now
            .iter()
            .map(|entry| (&entry.who, &entry.classes))
            .collect();
        let (seed, _) = T::Randomness::random(&(b"witness/committees", epoch).encode());
        for class in EventClass::ALL {
            let mut candidates: Vec<(T::AccountId, u128)> = pool
                .iter()
                .filter(|entry| entry.classes.contains(&class))
                .map(|entry| (entry.who.clone(), entry.weight))
                .collect();
            let mut members = Self::sortition(
                &mut candidates,
                params.committee_size,
                &(seed, class).encode(),
            );
            // Those who left since the snapshot lose their seat; nobody takes it.
            members.retain(|who| serving.get(who).is_some_and(|c| c.contains(&class)));
            Committees::<T>::insert(
                epoch,
                class,
                Committee {
                    members: BoundedVec::truncate_from(members),
                    min_stake: params.min_witness_stake,
                    size: params.committee_size,
                    quorum: params.quorum,
                },
            );
        }
        WitnessPool::<T>::put(WitnessPoolSnapshot {
            taken_at: epoch,
            entries: now,
        });
        Self::deposit_event(Event::CommitteesDrawn { epoch });
        T::WeightInfo::draw_committees(witnesses.max(drawn_from))
    }

    /// The pool as it is now: every registered witness with at least the minimum stake,
    /// with its weight and classes. Also returns how many witnesses it read.
    fn take_pool(
        params: &ParamsOf<T>,
    ) -> (BoundedVec<PoolEntry<T::AccountId>, T::MaxWitnesses>, u32) {
        let mut pool = Vec::new();
        let mut witnesses = 0u32;
        for (who, classes) in Witnesses::<T>::iter() {
            witnesses.saturating_inc();
            let stake = Self::active_bond(&who);
            if stake < params.min_witness_stake {
                continue;
            }
            let reputation = T::Reputation::snapshot_score(&who, Role::Witness);
            let weight = Self::witness_weight(stake, reputation, params);
            pool.push(PoolEntry {
                who,
                weight,
                classes,
            });
        }
        // Never truncates: `Witnesses` holds at most `MaxWitnesses` accounts.
        (BoundedVec::truncate_from(pool), witnesses)
    }

    /// A witness's sortition weight: `stake × (reputation_base + reputation)`, at least
    /// its stake.
    pub(crate) fn witness_weight(
        stake: BalanceOf<T>,
        reputation: u64,
        params: &ParamsOf<T>,
    ) -> u128 {
        let stake: u128 = stake.try_into().unwrap_or(u128::MAX);
        stake.saturating_mul(u128::from(params.reputation_base.saturating_add(reputation)).max(1))
    }

    /// Draws `k` distinct candidates, each draw with probability proportional to
    /// weight among those left. The random numbers are blake2-256 of (seed, draw).
    pub(crate) fn sortition(
        candidates: &mut Vec<(T::AccountId, u128)>,
        k: u32,
        seed: &[u8],
    ) -> Vec<T::AccountId> {
        let mut chosen = Vec::new();
        let mut total: u128 = candidates
            .iter()
            .fold(0u128, |a, (_, w)| a.saturating_add(*w));
        for draw in 0..k {
            if candidates.is_empty() || total == 0 {
                break;
            }
            let hash = sp_io::hashing::blake2_256(&(seed, draw).encode());
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&hash[..16]);
            // Modulo bias is below total / 2^128: negligible for any real stake.
            let mut point = u128::from_le_bytes(bytes) % total;
            let mut pick = candidates.len() - 1;
            for (i, (_, w)) in candidates.iter().enumerate() {
                if point < *w {
                    pick = i;
                    break;
                }
                point -= *w;
            }
            let (who, w) = candidates.swap_remove(pick);
            total = total.saturating_sub(w);
            chosen.push(who);
        }
        chosen
    }

    // ---------------------------------------------------------------- events

    /// [`Pallet::submit_event`]: charges the event fee into the pot and queues the event
    /// for the current epoch's committee of `class`.
    pub(crate) fn do_submit_event(
        who: T::AccountId,
        class: EventClass,
        payload_hash: H256,
    ) -> DispatchResult {
        let params = Self::params()?;
        let id = event_id(class, &payload_hash);
        ensure!(
            !PendingEvents::<T>::contains_key(id) && !Receipts::<T>::contains_key(id),
            Error::<T>::DuplicateEvent
        );
        ensure!(
            PendingEvents::<T>::count() < T::MaxPendingEvents::get(),
            Error::<T>::TooManyPendingEvents
        );
        let epoch = CommitteeEpoch::<T>::get().ok_or(Error::<T>::NoCommittee)?;
        let committee = Committees::<T>::get(epoch, class).ok_or(Error::<T>::NoCommittee)?;
        ensure!(!committee.members.is_empty(), Error::<T>::NoCommittee);
        if !params.event_fee.is_zero() {
            T::Currency::transfer(
                &who,
                &Self::pot_account(),
                params.event_fee,
                Preservation::Preserve,
            )
            .map_err(|_| Error::<T>::InsufficientBalance)?;
        }
        let now = frame_system::Pallet::<T>::block_number();
        PendingEvents::<T>::insert(
            id,
            PendingEvent {
                class,
                payload_hash,
                submitter: who.clone(),
                epoch,
                expires_at: now.saturating_add(params.event_ttl),
                votes: BoundedVec::new(),
                outcome: None,
            },
        );
        EventQueueBounds::<T>::mutate(|(_, back)| {
            EventQueue::<T>::insert(*back, id);
            *back = back.saturating_add(1);
        });
        Self::deposit_event(Event::EventSubmitted {
            id,
            class,
            payload_hash,
            submitter: who,
        });
        Ok(())
    }

    /// [`Pallet::attest`]: checks every verdict before recording any, then records them;
    /// the vote that reaches the quorum resolves its event.
    pub(crate) fn do_attest(
        who: T::AccountId,
        verdicts: BoundedVec<(EventId, Verdict), T::MaxVerdictsPerAttest>,
    ) -> DispatchResult {
        let params = Self::params()?;
        ensure!(!verdicts.is_empty(), Error::<T>::NoVerdicts);
        let now = frame_system::Pallet::<T>::block_number();
        // Check everything before writing anything.
        let mut updates = Vec::with_capacity(verdicts.len());
        let mut skipped = 0u32;
        for (i, (id, verdict)) in verdicts.iter().enumerate() {
            ensure!(
                !verdicts[..i].iter().any(|(other, _)| other == id),
                Error::<T>::AlreadyAttested
            );
            let Some(event) = PendingEvents::<T>::get(id).filter(|e| e.expires_at > now) else {
                skipped.saturating_inc();
                continue;
            };
            // A committee two epochs old is gone: nobody can vote any more and the
            // event will expire, so the verdict is skipped like a closed event's.
            let Some(committee) = Committees::<T>::get(event.epoch, event.class) else {
                skipped.saturating_inc();
                continue;
            };
            ensure!(
                committee.members.contains(&who),
                Error::<T>::NotCommitteeMember
            );
            ensure!(
                !event.votes.iter().any(|(voter, _)| voter == &who),
                Error::<T>::AlreadyAttested
            );
            updates.push((*id, *verdict, event, committee.quorum));
        }
        let count = updates.len() as u32;
        for (id, verdict, mut event, quorum) in updates {
            // Cannot fail: a member votes once and the committee has at most
            // MaxCommitteeSize members.
            if event.votes.try_push((who.clone(), verdict)).is_err() {
                continue;
            }
            match event.outcome {
                // A late vote: agreeing with a known outcome earns nothing (the vote only
                // spares the absence penalty); disagreeing with it is still penalized.
                Some(outcome) => {
                    if verdict != outcome {
                        Self::judge_vote(&who, false, &params);
                    }
                }
                None => {
                    let agreeing = event.votes.iter().filter(|(_, v)| *v == verdict).count() as u32;
                    if agreeing >= quorum {
                        event.outcome = Some(verdict);
                        for (voter, vote) in event.votes.iter() {
                            Self::judge_vote(voter, *vote == verdict, &params);
                        }
                        Self::store_receipt(id, &event, verdict, agreeing, now);
                    }
                }
            }
            PendingEvents::<T>::insert(id, event);
        }
        Self::deposit_event(Event::Attested {
            who,
            count,
            skipped,
        });
        Ok(())
    }

    /// Rewards or penalizes a vote once the outcome is known; an absence counts as a
    /// disagreeing vote.
    fn judge_vote(who: &T::AccountId, agrees: bool, params: &ParamsOf<T>) {
        if agrees {
            T::Reputation::reward(who, Role::Witness, params.reputation_reward);
            Self::note_points(who, params.points_per_attestation, true);
        } else {
            T::Reputation::penalize(who, Role::Witness, params.reputation_penalty);
            Self::note_points(who, params.points_per_attestation, false);
        }
    }

    /// Closes up to `MaxCleanupPerBlock` events whose time is up, in submission order:
    /// unresolved ones expire; members that never voted lose reputation and points.
    pub(crate) fn expire_events(now: BlockNumberFor<T>) -> Weight {
        let (mut front, back) = EventQueueBounds::<T>::get();
        let params = Self::params().ok();
        let mut done = 0u32;
        while front < back && done < T::MaxCleanupPerBlock::get() {
            let Some(id) = EventQueue::<T>::get(front) else {
                front = front.saturating_add(1);
                continue;
            };
            let Some(event) = PendingEvents::<T>::get(id) else {
                EventQueue::<T>::remove(front);
                front = front.saturating_add(1);
                continue;
            };
            if event.expires_at > now {
                break;
            }
            if let (Some(committee), Some(params)) = (
                Committees::<T>::get(event.epoch, event.class),
                params.as_ref(),
            ) {
                for member in committee.members.iter() {
                    if !event.votes.iter().any(|(v, _)| v == member) {
                        Self::judge_vote(member, false, params);
                    }
                }
            }
            if event.outcome.is_none() {
                Self::deposit_event(Event::EventExpired { id });
            }
            PendingEvents::<T>::remove(id);
            EventQueue::<T>::remove(front);
            front = front.saturating_add(1);
            done.saturating_inc();
        }
        EventQueueBounds::<T>::mutate(|b| b.0 = front);
        T::WeightInfo::expire_events(done)
    }

    // ---------------------------------------------------------------- receipts

    fn store_receipt(
        id: EventId,
        event: &PendingEventOf<T>,
        verdict: Verdict,
        agreeing: u32,
        now: BlockNumberFor<T>,
    ) {
        // Evict the oldest receipt first if the store is full.
        if Receipts::<T>::count() >= T::MaxReceipts::get() {
            Self::pop_receipt();
        }
        Receipts::<T>::insert(
            id,
            Receipt {
                class: event.class,
                payload_hash: event.payload_hash,
                verdict,
                epoch: event.epoch,
                resolved_at: now,
                agreeing,
            },
        );
        ReceiptQueueBounds::<T>::mutate(|(_, back)| {
            ReceiptQueue::<T>::insert(*back, id);
            *back = back.saturating_add(1);
        });
        Self::deposit_event(Event::EventValidated {
            id,
            class: event.class,
            payload_hash: event.payload_hash,
            verdict,
        });
    }

    fn pop_receipt() {
        ReceiptQueueBounds::<T>::mutate(|(front, back)| {
            if *front < *back {
                if let Some(id) = ReceiptQueue::<T>::take(*front) {
                    Receipts::<T>::remove(id);
                }
                *front = front.saturating_add(1);
            }
        });
    }

    /// Removes up to `MaxCleanupPerBlock` receipts older than `receipt_retention`.
    pub(crate) fn prune_receipts(now: BlockNumberFor<T>) -> Weight {
        let Ok(params) = Self::params() else {
            return Weight::zero();
        };
        let mut done = 0u32;
        while done < T::MaxCleanupPerBlock::get() {
            let (front, back) = ReceiptQueueBounds::<T>::get();
            if front >= back {
                break;
            }
            let stale = ReceiptQueue::<T>::get(front)
                .and_then(Receipts::<T>::get)
                .is_none_or(|r| r.resolved_at.saturating_add(params.receipt_retention) <= now);
            if !stale {
                break;
            }
            Self::pop_receipt();
            done.saturating_inc();
        }
        T::WeightInfo::prune_receipts(done)
    }
}

impl<T: Config> ReceiptProvider<BlockNumberFor<T>> for Pallet<T> {
    fn receipt(class: EventClass, payload_hash: &H256) -> Option<Receipt<BlockNumberFor<T>>> {
        Receipts::<T>::get(event_id(class, payload_hash))
    }
}
