//! Witness committees: registration, sortition, events, attestations and receipts.
//!
//! Bonded accounts register as [`Witnesses`] for some [`EventClass`]es. When the
//! randomness epoch changes, `on_initialize` draws each class's committee
//! ([`Committees`]) by weighted sortition. [`Pallet::submit_event`] queues a
//! [`PendingEvent`] for the current committee; [`Pallet::attest`] collects its votes, and
//! the vote that reaches the committee's quorum stores a [`Receipt`], which other pallets
//! read through [`ReceiptProvider`]. `on_initialize` also closes events whose time is up
//! (absent members are penalized; an `Invalid` receipt goes with its event) and prunes
//! `Valid` receipts past `receipt_retention`.
//!
//! ## Spam
//!
//! Spam is priced and bounded, per class and per submitter, so that it can neither
//! block honest submissions nor destroy receipts that consumers have yet to settle:
//!
//! - only unresolved events count against the caps ([`PendingPerClass`],
//!   [`PendingPerSubmitter`]): a resolved event stays in [`PendingEvents`] for late
//!   votes and absence penalties, but it is no longer pending;
//! - each class has an equal share of `MaxPendingEvents` and of `MaxReceipts`
//!   ([`Pallet::class_pending_share`], [`Pallet::class_receipt_share`]), so a flood of
//!   one class leaves the others alone;
//! - the fee doubles with each eighth of the class's share filled
//!   ([`Pallet::occupancy_fee`]);
//! - an unresolved event reserves room for its receipt at submission, so a class whose
//!   receipts and unresolved events fill its share refuses new events: no receipt is
//!   evicted early, and a receipt is kept while its event is open;
//! - a `Valid` receipt, which consumers pay on, is kept `receipt_retention`; an
//!   `Invalid` one pays nobody and is removed when its event closes (`event_ttl` after
//!   submission), so junk that the committee rejects holds its class's share for
//!   `event_ttl`, not for the retention. Its payload may then be submitted again, for a
//!   new fee and a new judgement, unless a consumer settled it while it was open;
//! - consumers settle receipts with [`ReceiptProvider::consume`], which records the
//!   event in [`Settled`] for good: it is paid once, even after its receipt is pruned.
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
    rewards::RewardPool, BalanceOf, Committee, CommitteeEpoch, Committees, Config, ConsumeError,
    EpochGain, EpochGains, EpochIndex, Error, Event, EventClass, EventId, EventQueue,
    EventQueueBounds, EventSubmitter, Ledger, MaxEventClasses, Pallet, ParamsOf, PendingEvent,
    PendingEventOf, PendingEvents, PendingPerClass, PendingPerSubmitter, PoolEntry, Receipt,
    ReceiptProvider, ReceiptQueue, ReceiptQueueBounds, Receipts, ReceiptsPerClass, Settled,
    StakerSet, Verdict, WeightInfo, WitnessPool, WitnessPoolSnapshot, Witnesses,
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

    /// [`Pallet::register_witness`]: registers `who` for `classes`. When `MaxWitnesses`
    /// accounts already witness, `who` takes the place of the one with the smallest
    /// active bond if its own is larger ([`Pallet::evict_smallest`]).
    pub(crate) fn do_register_witness(
        who: T::AccountId,
        classes: BoundedVec<EventClass, MaxEventClasses>,
    ) -> DispatchResultWithPostInfo {
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
        let full = Witnesses::<T>::count() >= T::MaxWitnesses::get();
        if full {
            Self::evict_smallest(StakerSet::Witnesses, &who, ledger.active)?;
        }
        Witnesses::<T>::insert(&who, classes.clone());
        Self::deposit_event(Event::WitnessRegistered {
            who,
            classes: classes.into_inner(),
        });
        Ok(Some(T::WeightInfo::register_witness(full.into())).into())
    }

    /// Deregisters a witness and takes it out of the committees in use. Used by
    /// [`Pallet::deregister_witness`] and when a slash leaves a witness below the minimum.
    pub(crate) fn deregister(who: &T::AccountId) {
        Witnesses::<T>::remove(who);
        // Only registered witnesses gain, which keeps the map bounded. A witness that
        // comes back is drawn from the next epoch on, so this resets nothing it could use.
        EpochGains::<T>::remove(who);
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

    /// A witness's sortition weight: `stake × (reputation_base + min(reputation,
    /// reputation_weight_cap))`.
    ///
    /// Reputation counts only up to the cap, so the heaviest witness weighs at most
    /// `(reputation_base + reputation_weight_cap) / reputation_base` times a witness of
    /// equal stake and no reputation (×2 with the presets' 100 and 100), while the latter
    /// keeps `stake × reputation_base` (`check_params` keeps the base above zero). Stake,
    /// which a slash can take, stays what buys seats: a quorum that votes its own events
    /// through raises its reputation, but not its seats by more than that factor, and
    /// dissenters it drives to zero reputation keep their floor.
    pub fn witness_weight(stake: BalanceOf<T>, reputation: u64, params: &ParamsOf<T>) -> u128 {
        let stake: u128 = stake.try_into().unwrap_or(u128::MAX);
        let counted = reputation.min(params.reputation_weight_cap);
        stake.saturating_mul(u128::from(params.reputation_base.saturating_add(counted)).max(1))
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

    /// Each class's share of `MaxPendingEvents` unresolved events: spam in one class
    /// cannot block the others.
    pub fn class_pending_share() -> u32 {
        T::MaxPendingEvents::get() / EventClass::ALL.len() as u32
    }

    /// Each class's share of `MaxReceipts`, filled by its retained receipts and by its
    /// unresolved events, each of which reserves room for the receipt it may resolve
    /// into: a resolution never has to evict a receipt.
    pub fn class_receipt_share() -> u32 {
        T::MaxReceipts::get() / EventClass::ALL.len() as u32
    }

    /// The fee to submit an event of `class` now: `event_fee` doubled for each eighth
    /// filled of the class's pending share or of its receipt share, whichever is fuller.
    /// An empty class costs `event_fee`; its last eighth costs 128 × `event_fee`, so
    /// holding a class full costs its spammer more and more while honest submitters
    /// still get in below the top.
    pub fn occupancy_fee(class: EventClass, params: &ParamsOf<T>) -> BalanceOf<T> {
        let pending = PendingPerClass::<T>::get(class);
        let stored = ReceiptsPerClass::<T>::get(class).saturating_add(pending);
        let eighths = Self::eighths(pending, Self::class_pending_share())
            .max(Self::eighths(stored, Self::class_receipt_share()));
        params
            .event_fee
            .saturating_mul(BalanceOf::<T>::from(1u32 << eighths))
    }

    /// How many whole eighths of `capacity` `used` fills, at most 7 (a full share is
    /// refused before any fee is charged).
    fn eighths(used: u32, capacity: u32) -> u32 {
        let eighths = u64::from(used).saturating_mul(8) / u64::from(capacity.max(1));
        eighths.min(7) as u32
    }

    /// [`Pallet::submit_event`]: charges the occupancy fee into the pot and queues the
    /// event for the current epoch's committee of `class`, within the class's pending
    /// and receipt shares and the submitter's cap.
    pub(crate) fn do_submit_event(
        who: T::AccountId,
        class: EventClass,
        payload_hash: H256,
    ) -> DispatchResult {
        let params = Self::params()?;
        let id = event_id(class, &payload_hash);
        ensure!(!Settled::<T>::contains_key(id), Error::<T>::AlreadySettled);
        ensure!(
            !PendingEvents::<T>::contains_key(id) && !Receipts::<T>::contains_key(id),
            Error::<T>::DuplicateEvent
        );
        let pending = PendingPerClass::<T>::get(class);
        ensure!(
            pending < Self::class_pending_share(),
            Error::<T>::TooManyPendingEvents
        );
        let by_submitter = PendingPerSubmitter::<T>::get(&who);
        ensure!(
            by_submitter < T::MaxPendingPerSubmitter::get(),
            Error::<T>::TooManyPendingFromSubmitter
        );
        ensure!(
            ReceiptsPerClass::<T>::get(class).saturating_add(pending) < Self::class_receipt_share(),
            Error::<T>::ReceiptStoreFull
        );
        let epoch = CommitteeEpoch::<T>::get().ok_or(Error::<T>::NoCommittee)?;
        let committee = Committees::<T>::get(epoch, class).ok_or(Error::<T>::NoCommittee)?;
        ensure!(!committee.members.is_empty(), Error::<T>::NoCommittee);
        let fee = Self::occupancy_fee(class, &params).max(Self::points_value_fee_floor());
        if !fee.is_zero() {
            T::Currency::transfer(&who, &Self::pot_account(), fee, Preservation::Preserve)
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
                submitter_in_committee: committee.members.contains(&who),
            },
        );
        PendingPerClass::<T>::insert(class, pending.saturating_add(1));
        PendingPerSubmitter::<T>::insert(&who, by_submitter.saturating_add(1));
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

    /// An event stops counting against the caps: it resolved or expired.
    fn release_pending(event: &PendingEventOf<T>) {
        PendingPerClass::<T>::mutate(event.class, |n| n.saturating_dec());
        PendingPerSubmitter::<T>::mutate_exists(&event.submitter, |n| {
            let left = n.unwrap_or(0).saturating_sub(1);
            *n = (left > 0).then_some(left);
        });
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
                        Self::judge_vote(&who, false, &params, &event);
                    }
                }
                None => {
                    let agreeing = event.votes.iter().filter(|(_, v)| *v == verdict).count() as u32;
                    if agreeing >= quorum {
                        event.outcome = Some(verdict);
                        for (voter, vote) in event.votes.iter() {
                            Self::judge_vote(voter, *vote == verdict, &params, &event);
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

    /// Rewards or penalizes a vote on `event` once the outcome is known; an absence
    /// counts as a disagreeing vote.
    ///
    /// A reward is withheld when a member of the event's committee submitted it (a
    /// committee must not pay itself for its own events) and when the voter is no longer
    /// a registered witness; otherwise it is capped by what the witness already gained
    /// this epoch (`max_reputation_gain_per_epoch`, `max_points_gain_per_epoch`), so that
    /// no volume of events buys more than one epoch's worth. Penalties are never capped.
    fn judge_vote(
        who: &T::AccountId,
        agrees: bool,
        params: &ParamsOf<T>,
        event: &PendingEventOf<T>,
    ) {
        if !agrees {
            T::Reputation::penalize(who, Role::Witness, params.reputation_penalty);
            Self::note_points(
                who,
                RewardPool::Witness,
                params.points_per_attestation,
                false,
            );
            return;
        }
        if event.submitter_in_committee || !Witnesses::<T>::contains_key(who) {
            return;
        }
        let epoch = CommitteeEpoch::<T>::get().unwrap_or_default();
        let mut gain = EpochGains::<T>::get(who)
            .filter(|g| g.epoch == epoch)
            .unwrap_or(EpochGain {
                epoch,
                reputation: 0,
                points: 0,
            });
        let reputation = params.reputation_reward.min(
            params
                .max_reputation_gain_per_epoch
                .saturating_sub(gain.reputation),
        );
        let points = params
            .points_per_attestation
            .min(params.max_points_gain_per_epoch.saturating_sub(gain.points));
        if reputation == 0 && points == 0 {
            return;
        }
        gain.reputation = gain.reputation.saturating_add(reputation);
        gain.points = gain.points.saturating_add(points);
        EpochGains::<T>::insert(who, gain);
        if reputation != 0 {
            T::Reputation::reward(who, Role::Witness, reputation);
        }
        if points != 0 {
            Self::note_points(who, RewardPool::Witness, points, true);
        }
    }

    /// Closes up to `max` events whose time is up (`on_initialize` passes at most
    /// `MaxCleanupPerBlock`), in submission order: unresolved ones expire, resolved
    /// `Invalid` ones take their receipt with them; members that never voted lose
    /// reputation and points.
    pub(crate) fn expire_events(now: BlockNumberFor<T>, max: u32) -> Weight {
        let (mut front, back) = EventQueueBounds::<T>::get();
        let params = Self::params().ok();
        let mut done = 0u32;
        while front < back && done < max {
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
                        Self::judge_vote(member, false, params, &event);
                    }
                }
            }
            match event.outcome {
                None => {
                    Self::release_pending(&event);
                    Self::deposit_event(Event::EventExpired { id });
                }
                // Nobody pays on an Invalid receipt: it goes with its event (see
                // `store_receipt`), freeing its room in the class's receipt share.
                Some(Verdict::Invalid) => Self::drop_receipt(id),
                Some(Verdict::Valid) => {}
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

    /// Stores the receipt of an event that just resolved.
    ///
    /// A `Valid` receipt is queued in [`ReceiptQueue`] and kept `receipt_retention`
    /// blocks: consumers pay on it. An `Invalid` one pays nobody, so it is kept only
    /// while its event is open (for late votes, and for a consumer that wants to settle
    /// it) and `expire_events` removes it when the event closes, `event_ttl` after
    /// submission: otherwise junk that the committee rejects would hold its class's
    /// receipt share for the whole retention. It is not queued: a queue entry per
    /// `Invalid` resolution, left behind for pruning to skip, would pile up to the share
    /// times `receipt_retention / event_ttl` entries.
    pub(crate) fn store_receipt(
        id: EventId,
        event: &PendingEventOf<T>,
        verdict: Verdict,
        agreeing: u32,
        now: BlockNumberFor<T>,
    ) {
        // The event is resolved: it leaves the pending counts (it stays open for late
        // votes), and the room it reserved in its class's receipt share at submission
        // becomes its receipt, so nothing is evicted.
        Self::release_pending(event);
        ReceiptsPerClass::<T>::mutate(event.class, |n| n.saturating_inc());
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
        if verdict == Verdict::Valid {
            ReceiptQueueBounds::<T>::mutate(|(_, back)| {
                ReceiptQueue::<T>::insert(*back, id);
                *back = back.saturating_add(1);
            });
        }
        Self::deposit_event(Event::EventValidated {
            id,
            class: event.class,
            payload_hash: event.payload_hash,
            verdict,
        });
    }

    /// Removes the receipt of `id`, if any, from the store and its class's count.
    fn drop_receipt(id: EventId) {
        if let Some(receipt) = Receipts::<T>::take(id) {
            ReceiptsPerClass::<T>::mutate(receipt.class, |n| n.saturating_dec());
        }
    }

    fn pop_receipt() {
        ReceiptQueueBounds::<T>::mutate(|(front, back)| {
            if *front < *back {
                if let Some(id) = ReceiptQueue::<T>::take(*front) {
                    Self::drop_receipt(id);
                }
                *front = front.saturating_add(1);
            }
        });
    }

    /// Removes up to `max` `Valid` receipts older than `receipt_retention`
    /// (`on_initialize` passes at most `MaxCleanupPerBlock`), in resolution order
    /// (`Invalid` receipts are not queued: they go when their event closes, see
    /// `store_receipt`). A receipt whose event is still open (expiry lags behind) waits
    /// for it to close: every open resolved event keeps its receipt, so the receipt
    /// reservation bounds [`PendingEvents`] too.
    pub(crate) fn prune_receipts(now: BlockNumberFor<T>, max: u32) -> Weight {
        let Ok(params) = Self::params() else {
            return Weight::zero();
        };
        let mut done = 0u32;
        while done < max {
            let (front, back) = ReceiptQueueBounds::<T>::get();
            if front >= back {
                break;
            }
            let stale = ReceiptQueue::<T>::get(front).is_none_or(|id| {
                Receipts::<T>::get(id).is_none_or(|r| {
                    r.resolved_at.saturating_add(params.receipt_retention) <= now
                        && !PendingEvents::<T>::contains_key(id)
                })
            });
            if !stale {
                break;
            }
            Self::pop_receipt();
            done.saturating_inc();
        }
        T::WeightInfo::prune_receipts(done)
    }
}

impl<T: Config> EventSubmitter<T::AccountId> for Pallet<T> {
    fn submit(
        who: &T::AccountId,
        class: EventClass,
        payload_hash: H256,
    ) -> frame_support::dispatch::DispatchResult {
        Self::do_submit_event(who.clone(), class, payload_hash)
    }
}

impl<T: Config> ReceiptProvider<BlockNumberFor<T>> for Pallet<T> {
    fn receipt(class: EventClass, payload_hash: &H256) -> Option<Receipt<BlockNumberFor<T>>> {
        Receipts::<T>::get(event_id(class, payload_hash))
    }

    fn consume(
        class: EventClass,
        payload_hash: &H256,
    ) -> Result<Receipt<BlockNumberFor<T>>, ConsumeError> {
        let id = event_id(class, payload_hash);
        if Settled::<T>::contains_key(id) {
            return Err(ConsumeError::AlreadySettled);
        }
        let receipt = Receipts::<T>::get(id).ok_or(ConsumeError::NoReceipt)?;
        Settled::<T>::insert(id, ());
        Self::deposit_event(Event::EventSettled {
            id,
            class,
            payload_hash: *payload_hash,
            verdict: receipt.verdict,
        });
        Ok(receipt)
    }

    fn is_settled(class: EventClass, payload_hash: &H256) -> bool {
        Settled::<T>::contains_key(event_id(class, payload_hash))
    }
}
