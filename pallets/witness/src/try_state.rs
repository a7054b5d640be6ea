//! The pallet's invariants, checked by `try-runtime` and by the tests. They span every
//! concern, so they live apart from each.

use crate::{
    event_id, ActiveEraStartTime, BalanceOf, CommitteeEpoch, Committees, Config, EpochGains,
    EraPoints, ErasPoints, ErasStakers, ErasTotalPoints, ErasValidatorPrefs, ErasValidators,
    EventClass, EventQueue, EventQueueBounds, HoldReason, Ledger, NextPayoutEra, Nominators,
    Pallet, PayoutQueue, PendingEvents, PendingPerClass, PendingPerSubmitter, ReceiptQueue,
    ReceiptQueueBounds, Receipts, ReceiptsPerClass, Settled, SlashQueue, SlashQueueBounds,
    TotalStaked, UnappliedSlashes, Validators, Verdict, WitnessPointValue, WitnessPool, Witnesses,
};
use alloc::collections::{BTreeMap, BTreeSet};
use frame_support::{
    ensure,
    traits::{fungible::InspectHold, Get, UnixTime},
};
use sp_runtime::traits::{SaturatedConversion, Saturating, Zero};

impl<T: Config> Pallet<T> {
    /// Invariants: the staked total is the sum of the ledgers and what is on hold;
    /// every ledger's total is its active plus its chunks; the candidate, nominator
    /// and witness sets respect their bounds; no committee member of the epochs in use
    /// has less than the minimum stake its committee was drawn with; the active era did
    /// not start after now (else its inflation would be measured from the future); the
    /// points and payout invariants of [`Self::check_points_and_payouts`]; the exposures
    /// of the eras kept are consistent (`check_exposures`); the event and receipt queues
    /// are consistent (`try_state_events`); committee members are unique and at most K,
    /// and each committee's K and M are a valid pair (`0 < M ≤ K ≤ MaxCommitteeSize`,
    /// `2M > K`); the witness pool snapshot holds each account once, at most
    /// `MaxWitnesses`, and is not newer than the latest draw; and the slash invariants of
    /// `check_slashes`.
    pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
        Self::check_points_and_payouts()?;
        Self::check_exposures()?;
        let mut sum = BalanceOf::<T>::zero();
        for (who, ledger) in Ledger::<T>::iter() {
            let chunks = ledger
                .unlocking
                .iter()
                .fold(Zero::zero(), |a: BalanceOf<T>, c| a.saturating_add(c.value));
            ensure!(
                ledger.total == ledger.active.saturating_add(chunks),
                "ledger total is not active + unlocking"
            );
            ensure!(
                T::Currency::balance_on_hold(&HoldReason::Staking.into(), &who) == ledger.total,
                "held balance differs from the ledger"
            );
            sum = sum.saturating_add(ledger.total);
        }
        ensure!(
            sum == TotalStaked::<T>::get(),
            "total stake is not the sum of the ledgers"
        );
        ensure!(
            Validators::<T>::count() <= T::MaxCandidates::get(),
            "too many candidates"
        );
        ensure!(
            Nominators::<T>::count() <= T::MaxNominators::get(),
            "too many nominators"
        );
        ensure!(
            Witnesses::<T>::count() <= T::MaxWitnesses::get(),
            "too many witnesses"
        );
        // Resolved events stay open for late votes outside the pending caps; each keeps
        // its receipt (see `try_state_events`), so the receipt bound covers them all.
        ensure!(
            PendingEvents::<T>::count() <= T::MaxReceipts::get(),
            "too many events"
        );
        ensure!(
            Receipts::<T>::count() <= T::MaxReceipts::get(),
            "too many receipts"
        );
        if let Some(start) = ActiveEraStartTime::<T>::get() {
            let now: u64 = T::UnixTime::now().as_millis().saturated_into();
            ensure!(start <= now, "the active era starts after now");
        }
        Self::check_slashes()?;
        // A member keeps at least the lower of the minimum it was drawn with and the
        // minimum in force (governance may have lowered it since).
        let min_now = Self::params().map_or_else(|_| Zero::zero(), |p| p.min_witness_stake);
        if let Some(epoch) = CommitteeEpoch::<T>::get() {
            for e in [epoch.saturating_sub(1), epoch] {
                for class in EventClass::ALL {
                    let Some(committee) = Committees::<T>::get(e, class) else {
                        continue;
                    };
                    for member in committee.members.iter() {
                        ensure!(
                            Self::active_bond(member) >= committee.min_stake.min(min_now),
                            "committee member below the minimum stake"
                        );
                    }
                    let (k, m) = (committee.size, committee.quorum);
                    ensure!(
                        k <= T::MaxCommitteeSize::get()
                            && m != 0
                            && m <= k
                            && m.saturating_mul(2) > k,
                        "committee K and M are not a valid pair"
                    );
                    ensure!(
                        committee.members.len() as u32 <= k,
                        "committee has more members than seats"
                    );
                    let unique: BTreeSet<_> = committee.members.iter().collect();
                    ensure!(
                        unique.len() == committee.members.len(),
                        "committee member drawn twice"
                    );
                }
            }
        }
        if let Some(pool) = WitnessPool::<T>::get() {
            ensure!(
                pool.entries.len() as u32 <= T::MaxWitnesses::get(),
                "witness pool snapshot too large"
            );
            ensure!(
                CommitteeEpoch::<T>::get().is_some_and(|drawn| pool.taken_at <= drawn),
                "witness pool snapshot newer than the latest draw"
            );
            let unique: BTreeSet<_> = pool.entries.iter().map(|e| &e.who).collect();
            ensure!(
                unique.len() == pool.entries.len(),
                "witness pool snapshot names an account twice"
            );
        }
        Self::try_state_events()?;
        Ok(())
    }

    /// Invariants of the event and receipt queues: each queue holds exactly the entries
    /// between its bounds, one per pending event or retained receipt; the pending counts
    /// per class and per submitter are what is pending unresolved and within their caps;
    /// a class's receipts plus its unresolved events fit its receipt share; every open
    /// resolved event keeps its receipt; no unresolved event is settled.
    fn try_state_events() -> Result<(), sp_runtime::TryRuntimeError> {
        let (front, back) = EventQueueBounds::<T>::get();
        ensure!(front <= back, "event queue bounds reversed");
        let mut queued = 0u64;
        for (seq, id) in EventQueue::<T>::iter() {
            ensure!(
                seq >= front && seq < back,
                "event queue entry out of bounds"
            );
            ensure!(
                PendingEvents::<T>::contains_key(id),
                "queued event not pending"
            );
            queued.saturating_inc();
        }
        ensure!(
            queued == back - front && queued == u64::from(PendingEvents::<T>::count()),
            "event queue and pending events differ"
        );

        let (front, back) = ReceiptQueueBounds::<T>::get();
        ensure!(front <= back, "receipt queue bounds reversed");
        let mut queued = 0u64;
        for (seq, id) in ReceiptQueue::<T>::iter() {
            ensure!(
                seq >= front && seq < back,
                "receipt queue entry out of bounds"
            );
            let receipt = Receipts::<T>::get(id).ok_or("queued receipt missing")?;
            ensure!(
                receipt.verdict == Verdict::Valid,
                "Invalid receipt in the receipt queue"
            );
            queued.saturating_inc();
        }
        // Only Valid receipts are queued for pruning; an Invalid one goes when its event
        // closes, so it exists only while its event is open with that outcome.
        let mut invalid = 0u64;
        for (id, receipt) in Receipts::<T>::iter() {
            if receipt.verdict == Verdict::Invalid {
                ensure!(
                    PendingEvents::<T>::get(id)
                        .is_some_and(|e| e.outcome == Some(Verdict::Invalid)),
                    "Invalid receipt outlived its event"
                );
                invalid.saturating_inc();
            }
        }
        ensure!(
            queued == back - front
                && queued.saturating_add(invalid) == u64::from(Receipts::<T>::count()),
            "receipt queue and receipts differ"
        );

        let class_index = |class: EventClass| {
            EventClass::ALL
                .iter()
                .position(|c| *c == class)
                .unwrap_or_default()
        };
        let mut unresolved = [0u32; EventClass::ALL.len()];
        let mut stored = [0u32; EventClass::ALL.len()];
        let mut by_submitter = BTreeMap::<T::AccountId, u32>::new();
        for (id, event) in PendingEvents::<T>::iter() {
            ensure!(
                event_id(event.class, &event.payload_hash) == id,
                "pending event under a wrong id"
            );
            if event.outcome.is_some() {
                ensure!(
                    Receipts::<T>::contains_key(id),
                    "open resolved event without its receipt"
                );
            } else {
                ensure!(!Settled::<T>::contains_key(id), "unresolved event settled");
                unresolved[class_index(event.class)].saturating_inc();
                by_submitter
                    .entry(event.submitter)
                    .or_default()
                    .saturating_inc();
            }
        }
        for (_, receipt) in Receipts::<T>::iter() {
            stored[class_index(receipt.class)].saturating_inc();
        }
        for (i, class) in EventClass::ALL.into_iter().enumerate() {
            ensure!(
                PendingPerClass::<T>::get(class) == unresolved[i],
                "class pending count differs from its unresolved events"
            );
            ensure!(
                unresolved[i] <= Self::class_pending_share(),
                "class pending count above its share"
            );
            ensure!(
                ReceiptsPerClass::<T>::get(class) == stored[i],
                "class receipt count differs from its receipts"
            );
            ensure!(
                stored[i].saturating_add(unresolved[i]) <= Self::class_receipt_share(),
                "class receipts and unresolved events above its receipt share"
            );
        }
        let mut submitters = 0usize;
        for (who, count) in PendingPerSubmitter::<T>::iter() {
            ensure!(
                by_submitter.get(&who) == Some(&count),
                "submitter pending count differs from its unresolved events"
            );
            ensure!(
                count <= T::MaxPendingPerSubmitter::get(),
                "submitter pending count above its cap"
            );
            submitters.saturating_inc();
        }
        ensure!(
            submitters == by_submitter.len(),
            "a submitter with unresolved events has no pending count"
        );
        Ok(())
    }

    /// Rewards: each era's [`ErasTotalPoints`] is, per pool, the sum of its
    /// [`ErasPoints`] (at least that sum while the era's payout is draining them), and no
    /// entry is all zero; the payout queue lies between [`NextPayoutEra`] and the active
    /// era, every era before the active one that has points is queued, and every queued
    /// era has points; only registered witnesses have [`EpochGains`]; a stored witness
    /// point value has points.
    fn check_points_and_payouts() -> Result<(), sp_runtime::TryRuntimeError> {
        let active = Self::active_era();
        let next = NextPayoutEra::<T>::get();
        ensure!(next <= active, "next payout era is after the active era");
        let mut sums: BTreeMap<u32, EraPoints> = BTreeMap::new();
        for (era, _, points) in ErasPoints::<T>::iter() {
            ensure!(!points.is_zero(), "an earner has an entry without points");
            let sum = sums.entry(era).or_default();
            sum.block = sum.block.saturating_add(points.block);
            sum.attestation = sum.attestation.saturating_add(points.attestation);
        }
        for era in sums.keys() {
            ensure!(
                ErasTotalPoints::<T>::contains_key(era),
                "an era has points but no total"
            );
        }
        for (era, total) in ErasTotalPoints::<T>::iter() {
            ensure!(!total.is_zero(), "an era's total points are zero");
            ensure!(
                era >= next,
                "an era before the next payout still has points"
            );
            let sum = sums.get(&era).copied().unwrap_or_default();
            if PayoutQueue::<T>::contains_key(era) {
                ensure!(
                    sum.block <= total.block && sum.attestation <= total.attestation,
                    "a paying era has more points than its total"
                );
            } else {
                ensure!(era >= active, "an ended era with points is not queued");
                ensure!(sum == total, "an era's total is not the sum of its points");
            }
        }
        for (era, payout) in PayoutQueue::<T>::iter() {
            ensure!(
                era >= next && era < active,
                "a queued payout is outside the payout window"
            );
            ensure!(
                !payout.total_points.is_zero()
                    && payout.total_points == ErasTotalPoints::<T>::get(era),
                "a queued payout's points differ from its era's total"
            );
        }
        for (who, _) in EpochGains::<T>::iter() {
            ensure!(
                Witnesses::<T>::contains_key(&who),
                "epoch gains of an account that is not a witness"
            );
        }
        if let Some(value) = WitnessPointValue::<T>::get() {
            ensure!(value.points != 0, "a witness point value without points");
        }
        Ok(())
    }

    /// For every era kept: each elected validator has an exposure and preferences, and
    /// there are none for accounts not elected in that era; an exposure's total is its own
    /// bond plus its backers', and its backers are at most `MaxBackersPerValidator`, each
    /// once, largest first (ties by account), as the election leaves them.
    fn check_exposures() -> Result<(), sp_runtime::TryRuntimeError> {
        for (era, validators) in ErasValidators::<T>::iter() {
            for who in validators.iter() {
                let exposure = ErasStakers::<T>::get(era, who)
                    .ok_or("an elected validator has no exposure")?;
                ensure!(
                    ErasValidatorPrefs::<T>::contains_key(era, who),
                    "an elected validator has no preferences"
                );
                let sum = exposure
                    .others
                    .iter()
                    .fold(exposure.own, |a, e| a.saturating_add(e.value));
                ensure!(exposure.total == sum, "exposure total is not own + others");
                ensure!(
                    exposure.others.len() <= T::MaxBackersPerValidator::get() as usize,
                    "an exposure has too many backers"
                );
                ensure!(
                    exposure.others.windows(2).all(|w| w[0].value > w[1].value
                        || (w[0].value == w[1].value && w[0].who < w[1].who)),
                    "exposure backers are not sorted largest first"
                );
            }
        }
        for (era, who, _) in ErasStakers::<T>::iter() {
            ensure!(
                ErasValidators::<T>::get(era).contains(&who),
                "an exposure of an account not elected in its era"
            );
        }
        for (era, who, _) in ErasValidatorPrefs::<T>::iter() {
            ensure!(
                ErasValidators::<T>::get(era).contains(&who),
                "preferences of an account not elected in their era"
            );
        }
        Ok(())
    }

    /// Slashes: every era with deferred slashes is still to start and holds at most
    /// `MaxSlashesPerEra`; each slash's offence era is before the era it applies in and
    /// still within the history kept then (the spill search stops there); the
    /// application queue holds exactly its `front..back` entries, each with a next-account
    /// index within its slash.
    fn check_slashes() -> Result<(), sp_runtime::TryRuntimeError> {
        let active = Self::active_era();
        let history = T::HistoryDepth::get();
        for (era, slashes) in UnappliedSlashes::<T>::iter() {
            ensure!(era > active, "deferred slashes of an era already started");
            ensure!(
                slashes.len() as u32 <= T::MaxSlashesPerEra::get(),
                "too many slashes in an era"
            );
            for slash in slashes.iter() {
                ensure!(
                    slash.offence_era < era,
                    "slash applies before its offence era ends"
                );
                ensure!(
                    slash.offence_era.saturating_add(history) > era,
                    "slash's offence era leaves the history before it applies"
                );
            }
        }
        let (front, back) = SlashQueueBounds::<T>::get();
        ensure!(front <= back, "slash queue bounds reversed");
        let mut entries = 0u64;
        for (index, (slash, next)) in SlashQueue::<T>::iter() {
            ensure!(
                (front..back).contains(&index),
                "slash queue entry outside its bounds"
            );
            ensure!(
                next <= slash.others.len() as u32,
                "slash queue entry past its last account"
            );
            entries = entries.saturating_add(1);
        }
        ensure!(
            entries == back.saturating_sub(front),
            "slash queue has holes"
        );
        Ok(())
    }
}
