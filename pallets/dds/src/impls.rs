//! The pallet's logic: providers, deals and placement, challenges, payment, penalties,
//! reassignment, retrieval checks, and the runtime API's reads.

use crate::{
    merkle, pallet::*, BalanceOf, ChallengeStatus, DdsRandomness, DealId, EpochIndex,
    FailureReason, Provider, ProviderStatus, RetrievalCheck, ShardIndex, WeightInfo,
};
use crate::{
    place, retrieval_payload, types::nearest, Assignment, Challenge, Deal, Orphan, ProviderInfo,
    ProviderSlot, ShardHolder,
};
use alloc::{collections::BTreeMap, vec::Vec};
use codec::Encode;
use frame_support::{
    ensure,
    pallet_prelude::*,
    traits::{
        fungible::MutateHold,
        tokens::{Fortitude, Precision, Restriction},
    },
};
use frame_system::pallet_prelude::BlockNumberFor;
use merkle::{Hash, Layout, LayoutError};
use pallet_reputation::{ReputationHandler, Role};
use pallet_witness::{ConsumeError, EventClass, EventSubmitter, ReceiptProvider, Verdict};
use sp_core::H256;
use sp_runtime::{
    traits::{One, Saturating, UniqueSaturatedFrom, Zero},
    DispatchError,
};

/// A GiB, the unit of a deal's price.
const GIB: u64 = 1 << 30;

fn u32_at(seed: &[u8; 32], at: usize) -> u32 {
    let mut b = [0u8; 4];
    if let Some(s) = seed.get(at..at + 4) {
        b.copy_from_slice(s);
    }
    u32::from_le_bytes(b)
}

impl<T: Config> Pallet<T> {
    /// The placement id of a provider: `blake2_256(SCALE(who))`.
    pub fn provider_id(who: &T::AccountId) -> Hash {
        sp_io::hashing::blake2_256(&who.encode())
    }

    fn layout_error(e: LayoutError) -> Error<T> {
        match e {
            LayoutError::EmptyContent => Error::<T>::EmptyContent,
            LayoutError::NoDataShards => Error::<T>::NoDataShards,
            LayoutError::NoParityShards => Error::<T>::NoParityShards,
            LayoutError::TooManyShardsPerChunk => Error::<T>::TooManyShardsPerChunk,
            LayoutError::BadChunkSize => Error::<T>::BadChunkSize,
            LayoutError::TooManyShards => Error::<T>::TooManyShards,
            LayoutError::ShardCountMismatch => Error::<T>::ShardCountMismatch,
        }
    }

    fn now() -> BlockNumberFor<T> {
        frame_system::Pallet::<T>::block_number()
    }

    /// The running epoch's index.
    pub fn current_epoch() -> EpochIndex {
        CurrentEpoch::<T>::get().index
    }

    // ---- providers ----

    pub(crate) fn do_register(
        who: T::AccountId,
        bond: BalanceOf<T>,
        capacity: u64,
        peer_id: BoundedVec<u8, T::MaxPeerIdLen>,
        addresses: BoundedVec<u8, T::MaxAddressesLen>,
        operator: Option<T::AccountId>,
    ) -> DispatchResult {
        ensure!(
            !Providers::<T>::contains_key(&who),
            Error::<T>::AlreadyRegistered
        );
        ensure!(bond >= Self::params().min_bond, Error::<T>::BondTooLow);
        ensure!(capacity > 0, Error::<T>::ZeroCapacity);
        let count = ProviderCount::<T>::get();
        ensure!(count < T::MaxProviders::get(), Error::<T>::TooManyProviders);
        let operator = operator.unwrap_or_else(|| who.clone());
        let mut set = ProviderSet::<T>::get();
        set.try_push(ProviderSlot {
            who: who.clone(),
            id: Self::provider_id(&who),
            operator: operator.clone(),
            free: capacity,
        })
        .map_err(|_| Error::<T>::TooManyProviders)?;
        T::Currency::hold(&HoldReason::ProviderBond.into(), &who, bond)?;
        ProviderSet::<T>::put(set);
        ProviderCount::<T>::put(count.saturating_add(1));
        Providers::<T>::insert(
            &who,
            Provider {
                bond,
                capacity,
                used: 0,
                shards: 0,
                open_challenges: 0,
                operator,
                peer_id: peer_id.clone(),
                addresses,
                status: ProviderStatus::Active,
            },
        );
        Self::wake_orphans();
        Self::deposit_event(Event::ProviderRegistered {
            who,
            bond,
            capacity,
            peer_id,
        });
        Ok(())
    }

    pub(crate) fn do_update(
        who: T::AccountId,
        capacity: u64,
        addresses: BoundedVec<u8, T::MaxAddressesLen>,
    ) -> DispatchResult {
        let mut p = Providers::<T>::get(&who).ok_or(Error::<T>::NotProvider)?;
        ensure!(p.status == ProviderStatus::Active, Error::<T>::NotActive);
        ensure!(capacity > 0, Error::<T>::ZeroCapacity);
        ensure!(capacity >= p.used, Error::<T>::CapacityBelowUsed);
        if capacity > p.capacity {
            Self::wake_orphans();
        }
        p.capacity = capacity;
        p.addresses = addresses;
        ProviderSet::<T>::mutate(|set| {
            if let Some(s) = set.iter_mut().find(|s| s.who == who) {
                s.free = capacity.saturating_sub(p.used);
            }
        });
        Providers::<T>::insert(&who, p);
        Self::deposit_event(Event::ProviderUpdated { who, capacity });
        Ok(())
    }

    /// Takes `who` out of the provider set and queues its shards for reassignment.
    pub(crate) fn start_leaving(who: &T::AccountId, slashed_out: bool) {
        let Some(mut p) = Providers::<T>::get(who) else {
            return;
        };
        let unbond_at = Self::now().saturating_add(Self::params().unbonding_delay);
        p.status = ProviderStatus::Leaving {
            unbond_at,
            slashed_out,
        };
        ProviderSet::<T>::mutate(|set| set.retain(|s| &s.who != who));
        if p.shards > 0 {
            // At most one entry per registered provider, and at most MaxProviders of those.
            let _ = Reassigning::<T>::try_mutate(|q| q.try_push(who.clone()));
        }
        Providers::<T>::insert(who, p);
        Self::deposit_event(Event::ProviderLeaving {
            who: who.clone(),
            unbond_at,
            slashed_out,
        });
    }

    pub(crate) fn do_withdraw(who: T::AccountId) -> DispatchResult {
        let p = Providers::<T>::get(&who).ok_or(Error::<T>::NotProvider)?;
        let ProviderStatus::Leaving { unbond_at, .. } = p.status else {
            return Err(Error::<T>::NotLeaving.into());
        };
        ensure!(Self::now() >= unbond_at, Error::<T>::StillUnbonding);
        ensure!(p.open_challenges == 0, Error::<T>::OpenChallenges);
        ensure!(p.shards == 0, Error::<T>::StillHoldingShards);
        T::Currency::release(
            &HoldReason::ProviderBond.into(),
            &who,
            p.bond,
            Precision::BestEffort,
        )?;
        Providers::<T>::remove(&who);
        ProviderCount::<T>::mutate(|c| *c = c.saturating_sub(1));
        Self::deposit_event(Event::BondWithdrawn {
            who,
            amount: p.bond,
        });
        Ok(())
    }

    // ---- deals ----

    /// Opens a deal; returns (shards, providers) for the weight.
    pub(crate) fn do_open(
        who: T::AccountId,
        cid: Hash,
        root: Hash,
        header: merkle::ManifestHeader,
        duration: EpochIndex,
        price: BalanceOf<T>,
    ) -> Result<(u32, u32), DispatchError> {
        let p = Self::params();
        let layout = Layout::from_header(&header).map_err(Self::layout_error)?;
        let shard_count = layout.shard_count();
        ensure!(
            shard_count <= T::MaxShardsPerDeal::get(),
            Error::<T>::TooManyShards
        );
        ensure!(
            merkle::cid(&layout.header(), &root) == cid,
            Error::<T>::CidMismatch
        );
        ensure!(duration > 0, Error::<T>::ZeroDuration);
        ensure!(duration <= p.max_duration, Error::<T>::DurationTooLong);
        ensure!(price >= p.min_price, Error::<T>::PriceTooLow);
        ensure!(!DealByCid::<T>::contains_key(cid), Error::<T>::DealExists);
        let count = DealCount::<T>::get();
        ensure!(count < T::MaxDeals::get(), Error::<T>::TooManyDeals);
        let gib = BalanceOf::<T>::unique_saturated_from(header.size.div_ceil(GIB));
        let epoch_payment = price.checked_mul(&gib).ok_or(Error::<T>::PriceOverflow)?;
        let payment = epoch_payment
            .checked_mul(&BalanceOf::<T>::from(duration))
            .ok_or(Error::<T>::PriceOverflow)?;
        let per_shard_epoch = epoch_payment / BalanceOf::<T>::from(shard_count);
        let epoch = Self::current_epoch();
        let end_epoch = epoch
            .checked_add(duration)
            .ok_or(Error::<T>::DurationTooLong)?;

        let id = NextDealId::<T>::get();
        let confirm_by = Self::now().saturating_add(p.confirm_window);
        let mut set = ProviderSet::<T>::get().into_inner();
        let providers = set.len() as u32;
        let seed = T::Randomness::seed(&(b"dds/assign", id, cid).encode());
        let picks =
            place(&mut set, &seed, &cid, &layout).map_err(|_| Error::<T>::NotEnoughCapacity)?;
        T::Currency::hold(&HoldReason::DealPayment.into(), &who, payment)?;

        let mut added: BTreeMap<u32, (u64, u32)> = BTreeMap::new();
        for (shard, pick) in picks.iter().enumerate() {
            let shard = shard as u32;
            let Some(slot) = set.get(*pick as usize) else {
                continue;
            };
            let len = u64::from(layout.shard_len(shard).unwrap_or(0));
            Assignments::<T>::insert(
                id,
                shard,
                Assignment {
                    provider: Some(slot.who.clone()),
                    confirmed: false,
                    paid_through: epoch,
                },
            );
            ProviderShards::<T>::insert(&slot.who, (id, shard), ());
            Self::start_clock(id, shard, confirm_by);
            let e = added.entry(*pick).or_default();
            e.0 = e.0.saturating_add(len);
            e.1 = e.1.saturating_add(1);
        }
        for (pick, (bytes, n)) in added {
            if let Some(slot) = set.get(pick as usize) {
                Providers::<T>::mutate(&slot.who, |p| {
                    if let Some(p) = p {
                        p.used = p.used.saturating_add(bytes);
                        p.shards = p.shards.saturating_add(n);
                    }
                });
            }
        }
        ProviderSet::<T>::put(BoundedVec::<_, T::MaxProviders>::truncate_from(set));
        Deals::<T>::insert(
            id,
            Deal {
                owner: who.clone(),
                cid,
                root,
                header: layout.header(),
                start_epoch: epoch,
                end_epoch,
                price,
                per_shard_epoch,
                escrow: payment,
                slot: count,
            },
        );
        DealByCid::<T>::insert(cid, id);
        DealSlots::<T>::insert(count, id);
        DealCount::<T>::put(count.saturating_add(1));
        NextDealId::<T>::put(id.saturating_add(1));
        Self::deposit_event(Event::DealOpened {
            deal: id,
            owner: who,
            cid,
            shard_count,
            payment,
            end_epoch,
        });
        Ok((shard_count, providers))
    }

    pub(crate) fn do_confirm(
        who: T::AccountId,
        deal: DealId,
        shards: BoundedVec<ShardIndex, T::MaxShardsPerDeal>,
    ) -> DispatchResult {
        ensure!(Deals::<T>::contains_key(deal), Error::<T>::UnknownDeal);
        let epoch = Self::current_epoch();
        let now = Self::now();
        let mut updates = Vec::with_capacity(shards.len());
        for shard in shards.iter() {
            let a = Assignments::<T>::get(deal, shard).ok_or(Error::<T>::NotAssigned)?;
            ensure!(a.provider.as_ref() == Some(&who), Error::<T>::NotAssigned);
            if !a.confirmed {
                // Past its deadline the shard is the hook's to take (perhaps not yet, when
                // the hook has a backlog): a late confirmation must not save it.
                if let Some(deadline) = ConfirmDeadlines::<T>::get(deal, shard) {
                    ensure!(now <= deadline, Error::<T>::ConfirmationExpired);
                }
                updates.push((*shard, a));
            }
        }
        let count = updates.len() as u32;
        for (shard, mut a) in updates {
            a.confirmed = true;
            a.paid_through = a.paid_through.max(epoch);
            Assignments::<T>::insert(deal, shard, a);
            Self::stop_clock(deal, shard);
        }
        Self::deposit_event(Event::ShardsConfirmed {
            deal,
            provider: who,
            count,
        });
        Ok(())
    }

    /// Closes a deal; returns its shard count for the weight.
    pub(crate) fn do_close(id: DealId) -> Result<u32, DispatchError> {
        let deal = Deals::<T>::get(id).ok_or(Error::<T>::UnknownDeal)?;
        ensure!(
            Self::current_epoch() >= deal.end_epoch,
            Error::<T>::DealNotEnded
        );
        let layout = Layout::from_header(&deal.header).map_err(Self::layout_error)?;
        let mut owed: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
        let mut freed: BTreeMap<T::AccountId, (u64, u32)> = BTreeMap::new();
        for shard in 0..deal.header.shard_count {
            let Some(a) = Assignments::<T>::take(id, shard) else {
                continue;
            };
            let Some(p) = a.provider else {
                // An orphan: its queue entry is dropped when the queue reaches it.
                continue;
            };
            ProviderShards::<T>::remove(&p, (id, shard));
            if !a.confirmed {
                Self::stop_clock(id, shard);
            }
            let f = freed.entry(p.clone()).or_default();
            f.0 =
                f.0.saturating_add(u64::from(layout.shard_len(shard).unwrap_or(0)));
            f.1 = f.1.saturating_add(1);
            if a.confirmed && a.paid_through < deal.end_epoch {
                let epochs = BalanceOf::<T>::from(deal.end_epoch - a.paid_through);
                let e = owed.entry(p).or_default();
                *e = e.saturating_add(deal.per_shard_epoch.saturating_mul(epochs));
            }
        }
        let mut escrow = deal.escrow;
        let mut paid = BalanceOf::<T>::zero();
        for (p, amount) in owed {
            let amount = amount.min(escrow);
            if amount.is_zero() {
                continue;
            }
            if let Ok(moved) = Self::pay(&deal.owner, &p, amount) {
                escrow = escrow.saturating_sub(moved);
                paid = paid.saturating_add(moved);
            }
        }
        for (p, (bytes, n)) in freed {
            Self::free_capacity(&p, bytes, n);
        }
        T::Currency::release(
            &HoldReason::DealPayment.into(),
            &deal.owner,
            escrow,
            Precision::BestEffort,
        )?;
        Self::remove_deal(id, &deal);
        Self::deposit_event(Event::DealClosed {
            deal: id,
            paid,
            refunded: escrow,
        });
        Ok(deal.header.shard_count)
    }

    /// Lowers `who`'s used bytes and shard count (and raises its free space in the set).
    fn free_capacity(who: &T::AccountId, bytes: u64, shards: u32) {
        let active = Self::release(who, bytes, shards);
        if active {
            ProviderSet::<T>::mutate(|set| {
                if let Some(s) = set.iter_mut().find(|s| &s.who == who) {
                    s.free = s.free.saturating_add(bytes);
                }
            });
        }
    }

    /// Lowers `who`'s used bytes and shard count in its record; returns whether it is
    /// active (then its set entry gains `bytes`, which the caller writes), and if so makes
    /// the orphans due for a retry.
    fn release(who: &T::AccountId, bytes: u64, shards: u32) -> bool {
        let active = Providers::<T>::mutate(who, |p| {
            let Some(p) = p else {
                return false;
            };
            p.used = p.used.saturating_sub(bytes);
            p.shards = p.shards.saturating_sub(shards);
            p.status == ProviderStatus::Active
        });
        if active && bytes > 0 {
            Self::wake_orphans();
        }
        active
    }

    // ---- confirmation deadlines ----

    /// Starts the confirmation clock of `shard` of `deal`: its provider confirms by
    /// `deadline`.
    fn start_clock(deal: DealId, shard: ShardIndex, deadline: BlockNumberFor<T>) {
        ConfirmDeadlines::<T>::insert(deal, shard, deadline);
        ConfirmQueue::<T>::insert(deadline, (deal, shard), ());
    }

    /// Stops it (the shard was confirmed, moved, or its deal closed).
    fn stop_clock(deal: DealId, shard: ShardIndex) {
        if let Some(deadline) = ConfirmDeadlines::<T>::take(deal, shard) {
            ConfirmQueue::<T>::remove(deadline, (deal, shard));
        }
    }

    /// Removes a deal and fills its slot with the last one.
    fn remove_deal(id: DealId, deal: &crate::DealOf<T>) {
        Deals::<T>::remove(id);
        DealByCid::<T>::remove(deal.cid);
        let last = DealCount::<T>::get().saturating_sub(1);
        if deal.slot != last {
            if let Some(moved) = DealSlots::<T>::get(last) {
                DealSlots::<T>::insert(deal.slot, moved);
                Deals::<T>::mutate(moved, |d| {
                    if let Some(d) = d {
                        d.slot = deal.slot;
                    }
                });
            }
        }
        DealSlots::<T>::remove(last);
        DealCount::<T>::put(last);
    }

    /// Moves `amount` of `owner`'s held deal payment to `to`'s free balance.
    fn pay(
        owner: &T::AccountId,
        to: &T::AccountId,
        amount: BalanceOf<T>,
    ) -> Result<BalanceOf<T>, DispatchError> {
        T::Currency::transfer_on_hold(
            &HoldReason::DealPayment.into(),
            owner,
            to,
            amount,
            Precision::Exact,
            Restriction::Free,
            Fortitude::Force,
        )
    }

    // ---- challenges ----

    /// Starts epochs and draws challenges.
    pub(crate) fn epoch_hook(now: BlockNumberFor<T>) -> Weight {
        let p = Self::params();
        let mut e = CurrentEpoch::<T>::get();
        let mut weight = Weight::zero();
        let mut changed = false;
        if now >= e.started_at.saturating_add(p.epoch_length) {
            e.index = e.index.saturating_add(1);
            e.started_at = now;
            e.draws_left = p.challenges_per_epoch;
            changed = true;
            weight.saturating_accrue(T::WeightInfo::start_epoch());
            Self::deposit_event(Event::EpochStarted { epoch: e.index });
        }
        if e.draws_left > 0 {
            if DealCount::<T>::get() == 0 {
                e.draws_left = 0;
            } else {
                let n = e.draws_left.min(p.max_challenges_per_block);
                for _ in 0..n {
                    Self::draw_challenge(now, e.index, e.draws_left, &p);
                    e.draws_left = e.draws_left.saturating_sub(1);
                }
                weight.saturating_accrue(T::WeightInfo::draw_challenge().saturating_mul(n.into()));
            }
            changed = true;
        }
        if changed {
            CurrentEpoch::<T>::put(e);
        }
        weight
    }

    /// Draws one challenge: a random open deal, shard and segment. A draw that lands on an
    /// ended deal or an unconfirmed shard issues nothing (it still counts, so that the
    /// hook's work stays bounded).
    pub(crate) fn draw_challenge(
        now: BlockNumberFor<T>,
        epoch: EpochIndex,
        counter: u32,
        p: &crate::ParamsOf<T>,
    ) -> Option<crate::ChallengeId> {
        let seed = T::Randomness::seed(&(b"dds/challenge", epoch, counter).encode());
        let count = DealCount::<T>::get();
        if count == 0 {
            return None;
        }
        let deal_id = DealSlots::<T>::get(u32_at(&seed, 0) % count)?;
        let deal = Deals::<T>::get(deal_id)?;
        if epoch >= deal.end_epoch {
            return None;
        }
        let layout = Layout::from_header(&deal.header).ok()?;
        let shard = u32_at(&seed, 4) % layout.shard_count();
        let a = Assignments::<T>::get(deal_id, shard)?;
        let provider = a.provider.filter(|_| a.confirmed)?;
        let segment = u32_at(&seed, 8) % layout.segment_count(shard)?;
        let id = NextChallengeId::<T>::get();
        let deadline = now.saturating_add(p.response_window);
        Challenges::<T>::insert(
            id,
            Challenge {
                deal: deal_id,
                shard,
                segment,
                provider: provider.clone(),
                root: deal.root,
                header: deal.header,
                epoch,
                deadline,
                status: ChallengeStatus::Open,
            },
        );
        ProviderChallenges::<T>::insert(&provider, id, ());
        Providers::<T>::mutate(&provider, |p| {
            if let Some(p) = p {
                p.open_challenges = p.open_challenges.saturating_add(1);
            }
        });
        NextChallengeId::<T>::put(id.saturating_add(1));
        Self::deposit_event(Event::ChallengeIssued {
            id,
            deal: deal_id,
            cid: deal.cid,
            shard,
            segment,
            provider,
            deadline,
        });
        Some(id)
    }

    /// Closes challenges whose deadline has passed: an unanswered one is a miss.
    pub(crate) fn expiry_hook(now: BlockNumberFor<T>) -> Weight {
        let max = Self::params().max_expiries_per_block;
        let next = NextChallengeId::<T>::get();
        let start = ExpiryCursor::<T>::get();
        let mut cursor = start;
        let mut done = 0u32;
        while cursor < next && done < max {
            if let Some(c) = Challenges::<T>::get(cursor) {
                if c.deadline >= now {
                    break;
                }
                Challenges::<T>::remove(cursor);
                ProviderChallenges::<T>::remove(&c.provider, cursor);
                Providers::<T>::mutate(&c.provider, |p| {
                    if let Some(p) = p {
                        p.open_challenges = p.open_challenges.saturating_sub(1);
                    }
                });
                if c.status == ChallengeStatus::Open {
                    Self::penalize(&c.provider, c.deal, c.shard, c.epoch, FailureReason::Missed);
                }
            }
            cursor = cursor.saturating_add(1);
            done = done.saturating_add(1);
        }
        if cursor != start {
            ExpiryCursor::<T>::put(cursor);
        }
        T::WeightInfo::expire_challenge().saturating_mul(done.into())
    }

    pub(crate) fn do_answer(
        who: T::AccountId,
        id: crate::ChallengeId,
        segment: &[u8],
        segment_path: &[[u8; 32]],
        shard_path: &[[u8; 32]],
    ) -> DispatchResult {
        let mut c = Challenges::<T>::get(id).ok_or_else(|| {
            if id < NextChallengeId::<T>::get() {
                Error::<T>::ChallengeClosed
            } else {
                Error::<T>::UnknownChallenge
            }
        })?;
        ensure!(c.provider == who, Error::<T>::NotChallenged);
        ensure!(
            c.status == ChallengeStatus::Open,
            Error::<T>::AlreadyAnswered
        );
        ensure!(Self::now() <= c.deadline, Error::<T>::TooLate);
        let valid = Layout::from_header(&c.header).is_ok_and(|layout| {
            merkle::verify_segment(
                &layout,
                &c.root,
                c.shard,
                c.segment,
                segment,
                segment_path,
                shard_path,
            )
            .is_ok()
        });
        if valid {
            c.status = ChallengeStatus::Answered;
            T::Reputation::reward(&who, Role::StorageProvider, Self::params().points.answered);
            let paid = Self::pay_shard(&who, c.deal, c.shard, c.epoch);
            Challenges::<T>::insert(id, c);
            Self::deposit_event(Event::ChallengeAnswered {
                id,
                provider: who,
                paid,
            });
        } else {
            c.status = ChallengeStatus::Failed;
            let (deal, shard, epoch) = (c.deal, c.shard, c.epoch);
            Challenges::<T>::insert(id, c);
            Self::penalize(&who, deal, shard, epoch, FailureReason::WrongProof);
        }
        Ok(())
    }

    /// Pays `who` for `shard` of `deal` through `epoch` (from the deal's held payment), if
    /// it still holds the shard and confirmed it.
    fn pay_shard(
        who: &T::AccountId,
        deal_id: DealId,
        shard: ShardIndex,
        epoch: EpochIndex,
    ) -> BalanceOf<T> {
        let zero = BalanceOf::<T>::zero();
        let Some(mut deal) = Deals::<T>::get(deal_id) else {
            return zero;
        };
        let Some(mut a) = Assignments::<T>::get(deal_id, shard) else {
            return zero;
        };
        if a.provider.as_ref() != Some(who) || !a.confirmed {
            return zero;
        }
        let upto = epoch.saturating_add(1).min(deal.end_epoch);
        if upto <= a.paid_through {
            return zero;
        }
        let epochs = BalanceOf::<T>::from(upto - a.paid_through);
        let amount = deal.per_shard_epoch.saturating_mul(epochs).min(deal.escrow);
        let moved = if amount.is_zero() {
            zero
        } else {
            Self::pay(&deal.owner, who, amount).unwrap_or(zero)
        };
        deal.escrow = deal.escrow.saturating_sub(moved);
        a.paid_through = upto;
        Deals::<T>::insert(deal_id, deal);
        Assignments::<T>::insert(deal_id, shard, a);
        moved
    }

    /// Penalizes `who` for `shard` of `deal`: reputation, the shard's unpaid epochs through
    /// `epoch`, and `slash` of its bond to the treasury; slashes it out below `min_bond`.
    pub(crate) fn penalize(
        who: &T::AccountId,
        deal_id: DealId,
        shard: ShardIndex,
        epoch: EpochIndex,
        reason: FailureReason,
    ) {
        let params = Self::params();
        let points = match reason {
            FailureReason::NotRetrieved => params.points.not_retrieved,
            _ => params.points.failed,
        };
        T::Reputation::penalize(who, Role::StorageProvider, points);
        if let Some(deal) = Deals::<T>::get(deal_id) {
            Assignments::<T>::mutate(deal_id, shard, |a| {
                if let Some(a) = a {
                    if a.provider.as_ref() == Some(who) {
                        let upto = epoch.saturating_add(1).min(deal.end_epoch);
                        a.paid_through = a.paid_through.max(upto);
                    }
                }
            });
        }
        let mut slashed = BalanceOf::<T>::zero();
        if let Some(mut p) = Providers::<T>::get(who) {
            let amount = params.slash * p.bond;
            if !amount.is_zero() {
                slashed = T::Currency::transfer_on_hold(
                    &HoldReason::ProviderBond.into(),
                    who,
                    &T::TreasuryAccount::get(),
                    amount,
                    Precision::BestEffort,
                    Restriction::Free,
                    Fortitude::Force,
                )
                .unwrap_or_default();
            }
            p.bond = p.bond.saturating_sub(slashed);
            let slash_out = p.bond < params.min_bond && p.status == ProviderStatus::Active;
            Providers::<T>::insert(who, p);
            if slash_out {
                Self::start_leaving(who, true);
            }
        }
        Self::deposit_event(Event::ProviderPenalized {
            provider: who.clone(),
            deal: deal_id,
            shard,
            reason,
            slashed,
        });
    }

    // ---- reassignment ----

    /// Moves up to `max_reassign_per_block` shards: those past their confirmation deadline,
    /// then those of leaving providers, then due orphans (see the module doc).
    pub(crate) fn reassign_hook(now: BlockNumberFor<T>) -> Weight {
        let max = Self::params().max_reassign_per_block;
        // Read only when a shard moves: the set is the largest value the hook touches.
        let mut set: Option<Vec<ProviderSlot<T::AccountId>>> = None;
        let mut done = 0u32;
        let (probes, expired) = Self::expire_confirmations(now, max, &mut done, &mut set);
        let moved = Self::move_leavers(max, &mut done, &mut set);
        let retried = Self::retry_orphans(max, &mut done, &mut set);
        if let Some(set) = set {
            ProviderSet::<T>::put(BoundedVec::<_, T::MaxProviders>::truncate_from(set));
        }
        T::DbWeight::get()
            .reads_writes(probes.into(), u64::from(probes > 0))
            .saturating_add(T::WeightInfo::expire_confirmation().saturating_mul(expired.into()))
            .saturating_add(T::WeightInfo::reassign_shard().saturating_mul(moved.into()))
            .saturating_add(T::WeightInfo::retry_orphan().saturating_mul(retried.into()))
    }

    fn loaded(
        set: &mut Option<Vec<ProviderSlot<T::AccountId>>>,
    ) -> &mut [ProviderSlot<T::AccountId>] {
        set.get_or_insert_with(|| ProviderSet::<T>::get().into_inner())
    }

    /// Takes the shards whose confirmation deadline is before `now` from their providers
    /// (with a reputation penalty) and reassigns them. Looks at no more than `max`
    /// deadline blocks (an empty one is one read) and moves no more than the budget left.
    /// Returns (deadline blocks looked at, shards taken).
    fn expire_confirmations(
        now: BlockNumberFor<T>,
        max: u32,
        done: &mut u32,
        set: &mut Option<Vec<ProviderSlot<T::AccountId>>>,
    ) -> (u32, u32) {
        let start = ConfirmCursor::<T>::get();
        let mut cursor = start;
        let (mut probes, mut expired) = (0u32, 0u32);
        while cursor < now && *done < max && probes < max {
            probes = probes.saturating_add(1);
            let want = max.saturating_sub(*done);
            let due: Vec<(DealId, ShardIndex)> = ConfirmQueue::<T>::iter_key_prefix(cursor)
                .take(want as usize)
                .collect();
            let drained = (due.len() as u32) < want;
            for (deal, shard) in due {
                ConfirmQueue::<T>::remove(cursor, (deal, shard));
                ConfirmDeadlines::<T>::remove(deal, shard);
                Self::expire_one(deal, shard, Self::loaded(set));
                expired = expired.saturating_add(1);
                *done = done.saturating_add(1);
            }
            if drained {
                cursor = cursor.saturating_add(One::one());
            }
        }
        if cursor != start {
            ConfirmCursor::<T>::put(cursor);
        }
        (probes, expired)
    }

    /// `shard` of `deal` was not confirmed in time: penalizes its provider (reputation
    /// only) and moves the shard, to that provider again only if no other has room.
    fn expire_one(deal: DealId, shard: ShardIndex, set: &mut [ProviderSlot<T::AccountId>]) {
        let Some(a) = Assignments::<T>::get(deal, shard) else {
            return;
        };
        let Some(from) = a.provider.filter(|_| !a.confirmed) else {
            return;
        };
        T::Reputation::penalize(&from, Role::StorageProvider, Self::params().points.failed);
        Self::deposit_event(Event::ProviderPenalized {
            provider: from.clone(),
            deal,
            shard,
            reason: FailureReason::Unconfirmed,
            slashed: Zero::zero(),
        });
        Self::reassign_one(&from, deal, shard, set, true);
    }

    /// Moves shards off leaving providers, oldest leaver first, within the budget.
    /// Returns how many it moved.
    fn move_leavers(
        max: u32,
        done: &mut u32,
        set: &mut Option<Vec<ProviderSlot<T::AccountId>>>,
    ) -> u32 {
        if *done >= max {
            return 0;
        }
        let mut queue = Reassigning::<T>::get();
        if queue.is_empty() {
            return 0;
        }
        let mut moved = 0u32;
        while *done < max {
            let Some(from) = queue.first().cloned() else {
                break;
            };
            let items: Vec<(DealId, ShardIndex)> = ProviderShards::<T>::iter_key_prefix(&from)
                .take(max.saturating_sub(*done) as usize)
                .collect();
            if items.is_empty() {
                queue.remove(0);
                continue;
            }
            for (deal, shard) in items {
                Self::reassign_one(&from, deal, shard, Self::loaded(set), false);
                moved = moved.saturating_add(1);
                *done = done.saturating_add(1);
            }
        }
        Reassigning::<T>::put(queue);
        moved
    }

    /// Tries the due orphans again, oldest first, with the budget left: a placed one leaves
    /// the queue, one that still finds no room goes to its back (not due again until the
    /// next capacity change). Returns how many it tried.
    fn retry_orphans(
        max: u32,
        done: &mut u32,
        set: &mut Option<Vec<ProviderSlot<T::AccountId>>>,
    ) -> u32 {
        if *done >= max {
            return 0;
        }
        let mut q = OrphanQueue::<T>::get();
        if q.head >= q.retry_until {
            return 0;
        }
        let mut tried = 0u32;
        while *done < max && q.head < q.retry_until {
            let seq = q.head;
            q.head = q.head.saturating_add(1);
            tried = tried.saturating_add(1);
            *done = done.saturating_add(1);
            let Some(o) = Orphans::<T>::take(seq) else {
                continue;
            };
            // Its deal may have closed meanwhile (deal ids are never reused).
            let Some(deal) = Deals::<T>::get(o.deal) else {
                continue;
            };
            let Some(a) = Assignments::<T>::get(o.deal, o.shard) else {
                continue;
            };
            if a.provider.is_some() {
                continue;
            }
            let Ok(layout) = Layout::from_header(&deal.header) else {
                continue;
            };
            match Self::place_one(o.deal, &deal, &layout, o.shard, a, None, Self::loaded(set)) {
                Some(to) => Self::deposit_event(Event::ShardReassigned {
                    deal: o.deal,
                    cid: deal.cid,
                    shard: o.shard,
                    from: o.from,
                    to,
                }),
                None => {
                    Orphans::<T>::insert(q.tail, o);
                    q.tail = q.tail.saturating_add(1);
                }
            }
        }
        OrphanQueue::<T>::put(q);
        tried
    }

    /// Makes every waiting orphan due for one more placement attempt (capacity appeared).
    pub(crate) fn wake_orphans() {
        let mut q = OrphanQueue::<T>::get();
        if q.head < q.tail && q.retry_until != q.tail {
            q.retry_until = q.tail;
            OrphanQueue::<T>::put(q);
        }
    }

    /// Takes `shard` of `deal_id` from `from` (freeing its capacity) and places it as
    /// [`Self::place_one`] does, avoiding `from` unless no other provider has room when
    /// `avoid_from`; with no room anywhere the shard is queued as an orphan.
    pub(crate) fn reassign_one(
        from: &T::AccountId,
        deal_id: DealId,
        shard: ShardIndex,
        set: &mut [ProviderSlot<T::AccountId>],
        avoid_from: bool,
    ) {
        ProviderShards::<T>::remove(from, (deal_id, shard));
        Self::stop_clock(deal_id, shard);
        let Some(deal) = Deals::<T>::get(deal_id) else {
            return;
        };
        let Ok(layout) = Layout::from_header(&deal.header) else {
            return;
        };
        let need = u64::from(layout.shard_len(shard).unwrap_or(0));
        // `set` is the hook's copy, written back after it: free the space there.
        if Self::release(from, need, 1) {
            if let Some(s) = set.iter_mut().find(|s| &s.who == from) {
                s.free = s.free.saturating_add(need);
            }
        }
        let Some(mut a) = Assignments::<T>::get(deal_id, shard) else {
            return;
        };
        let avoid = avoid_from.then_some(from);
        match Self::place_one(deal_id, &deal, &layout, shard, a.clone(), avoid, set) {
            Some(to) => Self::deposit_event(Event::ShardReassigned {
                deal: deal_id,
                cid: deal.cid,
                shard,
                from: from.clone(),
                to,
            }),
            None => {
                a.provider = None;
                a.confirmed = false;
                Assignments::<T>::insert(deal_id, shard, a);
                OrphanQueue::<T>::mutate(|q| {
                    Orphans::<T>::insert(
                        q.tail,
                        Orphan {
                            deal: deal_id,
                            shard,
                            from: from.clone(),
                        },
                    );
                    q.tail = q.tail.saturating_add(1);
                });
                Self::deposit_event(Event::ShardOrphaned {
                    deal: deal_id,
                    cid: deal.cid,
                    shard,
                    from: from.clone(),
                });
            }
        }
    }

    /// Places `shard` of `deal_id`, which has no holder, on the nearest provider with room
    /// that holds no other shard of its chunk, preferring one of another operator than
    /// theirs; else any provider with room but `avoid`; else `avoid` itself. The new holder
    /// must confirm within `confirm_window`. Returns it, or none (nothing written) if no
    /// provider has room.
    fn place_one(
        deal_id: DealId,
        deal: &crate::DealOf<T>,
        layout: &Layout,
        shard: ShardIndex,
        mut a: crate::Assignment<T::AccountId>,
        avoid: Option<&T::AccountId>,
        set: &mut [ProviderSlot<T::AccountId>],
    ) -> Option<T::AccountId> {
        let need = u64::from(layout.shard_len(shard).unwrap_or(0));
        let per = layout.shards_per_chunk();
        let first = shard - shard % per;
        let mut others: Vec<T::AccountId> = Vec::new();
        for s in first..first.saturating_add(per) {
            if s == shard {
                continue;
            }
            if let Some(p) = Assignments::<T>::get(deal_id, s).and_then(|a| a.provider) {
                others.push(p);
            }
        }
        let seed = T::Randomness::seed(&(b"dds/reassign", deal_id, shard).encode());
        let key = merkle::placement_key(&seed, &deal.cid, shard);
        let is_other = |s: &ProviderSlot<T::AccountId>| others.contains(&s.who);
        let allowed = |s: &ProviderSlot<T::AccountId>| avoid != Some(&s.who);
        let other_ops: Vec<T::AccountId> = set
            .iter()
            .filter(|s| is_other(s))
            .map(|s| s.operator.clone())
            .collect();
        let pick = nearest(set, &key, need, |_, s| {
            allowed(s) && !is_other(s) && !other_ops.contains(&s.operator)
        })
        .or_else(|| nearest(set, &key, need, |_, s| allowed(s) && !is_other(s)))
        .or_else(|| nearest(set, &key, need, |_, s| allowed(s)))
        .or_else(|| avoid.and_then(|_| nearest(set, &key, need, |_, _| true)))?;
        let slot = set.get_mut(pick as usize)?;
        slot.free = slot.free.saturating_sub(need);
        let to = slot.who.clone();
        Providers::<T>::mutate(&to, |p| {
            if let Some(p) = p {
                p.used = p.used.saturating_add(need);
                p.shards = p.shards.saturating_add(1);
            }
        });
        ProviderShards::<T>::insert(&to, (deal_id, shard), ());
        a.provider = Some(to.clone());
        a.confirmed = false;
        Assignments::<T>::insert(deal_id, shard, a);
        Self::start_clock(
            deal_id,
            shard,
            Self::now().saturating_add(Self::params().confirm_window),
        );
        Some(to)
    }

    // ---- retrieval checks ----

    pub(crate) fn do_request_check(
        who: T::AccountId,
        deal_id: DealId,
        shard: ShardIndex,
    ) -> DispatchResult {
        let deal = Deals::<T>::get(deal_id).ok_or(Error::<T>::UnknownDeal)?;
        let a = Assignments::<T>::get(deal_id, shard).ok_or(Error::<T>::NotAssigned)?;
        let provider = a.provider.ok_or(Error::<T>::NotAssigned)?;
        ensure!(a.confirmed, Error::<T>::NotConfirmed);
        let count = RetrievalCount::<T>::get();
        ensure!(
            count < T::MaxPendingRetrievals::get(),
            Error::<T>::TooManyChecks
        );
        let nonce = NextRetrievalNonce::<T>::get();
        let payload_hash = retrieval_payload(nonce, &deal.cid, &deal.root, shard, &provider);
        T::Submitter::submit(&who, EventClass::StorageProof, payload_hash)?;
        RetrievalChecks::<T>::insert(
            payload_hash,
            RetrievalCheck {
                deal: deal_id,
                shard,
                provider: provider.clone(),
            },
        );
        RetrievalCount::<T>::put(count.saturating_add(1));
        NextRetrievalNonce::<T>::put(nonce.saturating_add(1));
        Self::deposit_event(Event::RetrievalCheckRequested {
            payload_hash,
            nonce,
            deal: deal_id,
            cid: deal.cid,
            shard,
            provider,
        });
        Ok(())
    }

    pub(crate) fn do_settle_check(payload_hash: H256) -> DispatchResult {
        let check = RetrievalChecks::<T>::get(payload_hash).ok_or(Error::<T>::UnknownCheck)?;
        let receipt =
            T::Receipts::consume(EventClass::StorageProof, &payload_hash).map_err(|e| match e {
                ConsumeError::NoReceipt => Error::<T>::NoReceipt,
                ConsumeError::AlreadySettled => Error::<T>::AlreadySettled,
            })?;
        RetrievalChecks::<T>::remove(payload_hash);
        RetrievalCount::<T>::mutate(|c| *c = c.saturating_sub(1));
        let retrieved = receipt.verdict == Verdict::Valid;
        if retrieved {
            T::Reputation::reward(
                &check.provider,
                Role::StorageProvider,
                Self::params().points.retrieved,
            );
        } else {
            Self::penalize(
                &check.provider,
                check.deal,
                check.shard,
                Self::current_epoch(),
                FailureReason::NotRetrieved,
            );
        }
        Self::deposit_event(Event::RetrievalSettled {
            payload_hash,
            provider: check.provider,
            retrieved,
        });
        Ok(())
    }

    // ---- runtime API ----

    /// `DdsApi_assignments`.
    pub fn api_assignments(cid: Hash) -> Vec<ShardHolder<T::AccountId>> {
        let Some(deal) = DealByCid::<T>::get(cid).and_then(Deals::<T>::get) else {
            return Vec::new();
        };
        let id = DealByCid::<T>::get(cid).unwrap_or_default();
        (0..deal.header.shard_count)
            .filter_map(|shard| {
                let a = Assignments::<T>::get(id, shard)?;
                let peer_id = a
                    .provider
                    .as_ref()
                    .and_then(Providers::<T>::get)
                    .map(|p| p.peer_id.into_inner())
                    .unwrap_or_default();
                Some(ShardHolder {
                    shard,
                    provider: a.provider,
                    peer_id,
                    confirmed: a.confirmed,
                })
            })
            .collect()
    }

    /// `DdsApi_providers`.
    pub fn api_providers() -> Vec<ProviderInfo<T::AccountId>> {
        Providers::<T>::iter()
            .map(|(who, p)| ProviderInfo {
                who,
                peer_id: p.peer_id.into_inner(),
                addresses: p.addresses.into_inner(),
                capacity: p.capacity,
                used: p.used,
                active: p.status == ProviderStatus::Active,
            })
            .collect()
    }

    /// `DdsApi_challenges`.
    pub fn api_challenges(
        provider: T::AccountId,
    ) -> Vec<(crate::ChallengeId, Hash, crate::ChallengeOf<T>)> {
        ProviderChallenges::<T>::iter_key_prefix(&provider)
            .filter_map(|id| {
                let c = Challenges::<T>::get(id)?;
                (c.status == ChallengeStatus::Open)
                    .then(|| (id, merkle::cid(&c.header, &c.root), c))
            })
            .collect()
    }

    /// How much `who` has on hold for `reason` (for tests and try_state).
    pub fn held(reason: HoldReason, who: &T::AccountId) -> BalanceOf<T> {
        use frame_support::traits::fungible::InspectHold;
        T::Currency::balance_on_hold(&reason.into(), who)
    }
}
