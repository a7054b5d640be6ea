//! Benchmarks of pallet-witness (frame-benchmarking v2): every call, plus the work the
//! hooks and pallet-session do on the pallet's behalf (election, committee draw, payout,
//! expiry, pruning, era start), each at its worst case within the storage bounds.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, EnsureOrigin, Get};
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, Saturating, Zero};

const SEED: u32 = 0;

/// A unit of stake: large enough that every minimum below is met.
fn unit<T: Config>() -> BalanceOf<T> {
    T::Currency::minimum_balance().max(1u32.into()) * 1_000u32.into()
}

fn bench_params<T: Config>() -> ParamsOf<T> {
    let unit = unit::<T>();
    Params {
        validator_count: T::MaxValidators::get(),
        minimum_validator_count: 1,
        min_validator_bond: unit,
        min_nominator_bond: unit,
        min_witness_stake: unit,
        unbonding_eras: 3,
        slash_defer_eras: 1,
        aura_slash: Perbill::from_percent(10),
        grandpa_slash: Perbill::from_percent(10),
        annual_inflation: Perbill::from_percent(5),
        points_per_block: 20,
        points_per_attestation: 1,
        committee_size: T::MaxCommitteeSize::get(),
        quorum: T::MaxCommitteeSize::get() / 2 + 1,
        event_fee: T::Currency::minimum_balance(),
        event_ttl: 100u32.into(),
        receipt_retention: 100u32.into(),
        reputation_base: 100,
        reputation_reward: 1,
        reputation_penalty: 1,
        // No cap binds: every judged vote writes reputation and points (the worst case).
        reputation_weight_cap: 100,
        max_reputation_gain_per_epoch: u64::MAX,
        max_points_gain_per_epoch: u32::MAX,
        witness_reward_share: Perbill::from_percent(20),
        event_fee_margin: Perbill::from_percent(50),
    }
}

fn setup<T: Config>() {
    ActiveParams::<T>::put(bench_params::<T>());
    if ActiveEra::<T>::get().is_none() {
        ActiveEra::<T>::put(ActiveEraInfo {
            index: 0,
            start_block: 0u32.into(),
        });
        ErasStartSessionIndex::<T>::insert(0, 0);
    }
}

/// A funded account with `stake` units bonded.
fn staker<T: Config>(name: &'static str, i: u32, stake: u32) -> T::AccountId {
    let who: T::AccountId = account(name, i, SEED);
    let amount = unit::<T>() * stake.into();
    T::Currency::set_balance(&who, amount * 10u32.into());
    Pallet::<T>::do_bond(&who, amount).expect("funded");
    who
}

/// A validator candidate with session keys, so that the election counts it.
fn candidate<T: Config>(i: u32) -> T::AccountId {
    let who = staker::<T>("candidate", i, 10 + i);
    T::SessionKeys::set_keys_for_benchmark(&who);
    Validators::<T>::insert(
        &who,
        ValidatorPrefs {
            commission: Perbill::from_percent(5),
        },
    );
    who
}

/// Fills the candidate set with `MaxCandidates` candidates of the minimum bond, the first
/// `MaxValidators` of them elected in the current era with a full exposure; returns the
/// one an eviction removes (the lowest account id among equal stakes).
fn fill_candidates<T: Config>() -> T::AccountId {
    let backers: Vec<_> = (0..T::MaxBackersPerValidator::get())
        .map(|i| IndividualExposure {
            who: account("backer", i, SEED),
            value: Zero::zero(),
        })
        .collect();
    let era = CurrentEra::<T>::get();
    // Genesis candidates would count towards the bound with other stakes: start empty.
    let _ = Validators::<T>::clear(u32::MAX, None);
    let full: Vec<_> = (0..T::MaxCandidates::get())
        .map(|i| {
            let who = staker::<T>("filler", i, 1);
            Validators::<T>::insert(
                &who,
                ValidatorPrefs {
                    commission: Perbill::zero(),
                },
            );
            if i < T::MaxValidators::get() {
                let exposure = Exposure {
                    total: unit::<T>(),
                    own: unit::<T>(),
                    others: BoundedVec::truncate_from(backers.clone()),
                };
                ErasStakers::<T>::insert(era, &who, exposure);
            }
            who
        })
        .collect();
    full.into_iter().min().expect("MaxCandidates > 0")
}

fn witness<T: Config>(i: u32) -> T::AccountId {
    let who = staker::<T>("witness", i, 2);
    Witnesses::<T>::insert(&who, BoundedVec::truncate_from(EventClass::ALL.to_vec()));
    who
}

/// A committee of `MaxCommitteeSize` members for every class of the current epoch.
fn committee<T: Config>() -> Vec<T::AccountId> {
    let members: Vec<_> = (0..T::MaxCommitteeSize::get()).map(witness::<T>).collect();
    CommitteeEpoch::<T>::put(0);
    for class in EventClass::ALL {
        Committees::<T>::insert(
            0,
            class,
            Committee {
                members: BoundedVec::truncate_from(members.clone()),
                min_stake: unit::<T>(),
                size: bench_params::<T>().committee_size,
                quorum: bench_params::<T>().quorum,
            },
        );
    }
    members
}

/// The `i`-th funded submitter and the class of its event: classes in turn, so that a
/// batch stays within every class's share and every submitter's cap.
fn submitter<T: Config>(i: u32) -> (T::AccountId, EventClass) {
    let who: T::AccountId = account("submitter", i, SEED);
    T::Currency::set_balance(&who, unit::<T>() * 1_000u32.into());
    (who, EventClass::ALL[i as usize % EventClass::ALL.len()])
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn bond() {
        setup::<T>();
        let who: T::AccountId = whitelisted_caller();
        T::Currency::set_balance(&who, unit::<T>() * 10u32.into());
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), unit::<T>());
        assert!(Ledger::<T>::contains_key(&who));
    }

    #[benchmark]
    fn bond_extra() {
        setup::<T>();
        let who = staker::<T>("staker", 0, 1);
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), unit::<T>());
        assert_eq!(
            Ledger::<T>::get(&who).unwrap().active,
            unit::<T>() * 2u32.into()
        );
    }

    #[benchmark]
    fn unbond() {
        setup::<T>();
        let who = staker::<T>("staker", 0, 4);
        Validators::<T>::insert(
            &who,
            ValidatorPrefs {
                commission: Perbill::zero(),
            },
        );
        Witnesses::<T>::insert(&who, BoundedVec::truncate_from(EventClass::ALL.to_vec()));
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), unit::<T>());
        assert_eq!(Ledger::<T>::get(&who).unwrap().unlocking.len(), 1);
    }

    #[benchmark]
    fn withdraw_unbonded() {
        setup::<T>();
        let who = staker::<T>("staker", 0, 4);
        let mut ledger = Ledger::<T>::get(&who).unwrap();
        ledger.active = ledger.active.saturating_sub(unit::<T>());
        ledger.unlocking = BoundedVec::truncate_from(vec![UnlockChunk {
            value: unit::<T>(),
            era: 0,
        }]);
        Ledger::<T>::insert(&who, ledger);
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));
        assert!(Ledger::<T>::get(&who).unwrap().unlocking.is_empty());
    }

    #[benchmark]
    fn rebond() {
        setup::<T>();
        let who = staker::<T>("staker", 0, 4);
        let mut ledger = Ledger::<T>::get(&who).unwrap();
        ledger.active = unit::<T>();
        let chunks: Vec<_> = (0..T::MaxUnlockingChunks::get())
            .map(|era| UnlockChunk {
                value: unit::<T>(),
                era: era + 1,
            })
            .collect();
        ledger.unlocking = BoundedVec::truncate_from(chunks);
        Ledger::<T>::insert(&who, ledger);
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), BalanceOf::<T>::max_value());
        assert!(Ledger::<T>::get(&who).unwrap().unlocking.is_empty());
    }

    /// A nominator becomes a candidate. With `e = 1` the set is full of `MaxCandidates`
    /// minimum-bond candidates, `MaxValidators` of them elected in the latest era with
    /// `MaxBackersPerValidator` backers each (the exposures the scan reads), and the
    /// caller evicts the smallest.
    #[benchmark]
    fn validate(e: Linear<0, 1>) {
        setup::<T>();
        let who = staker::<T>("staker", 0, 2);
        T::SessionKeys::set_keys_for_benchmark(&who);
        Nominators::<T>::insert(&who, BoundedVec::new());
        let victim = (e == 1).then(fill_candidates::<T>);
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), Perbill::from_percent(3));
        assert!(Validators::<T>::contains_key(&who));
        if let Some(victim) = victim {
            assert!(!Validators::<T>::contains_key(&victim));
        }
    }

    /// `n` targets. With `e = 1` the nominator set is full of `MaxNominators`
    /// minimum-bond nominators, and the caller evicts the smallest.
    #[benchmark]
    fn nominate(n: Linear<1, { T::MaxNominations::get() }>, e: Linear<0, 1>) {
        setup::<T>();
        let targets: Vec<_> = (0..n).map(candidate::<T>).collect();
        let who = staker::<T>("nominator", u32::MAX, 2);
        let victim = (e == 1).then(|| {
            let _ = Nominators::<T>::clear(u32::MAX, None);
            let full: Vec<_> = (0..T::MaxNominators::get())
                .map(|i| {
                    let filler = staker::<T>("nominator", i, 1);
                    Nominators::<T>::insert(&filler, BoundedVec::truncate_from(targets.clone()));
                    filler
                })
                .collect();
            full.into_iter().min().expect("MaxNominators > 0")
        });
        #[extrinsic_call]
        _(
            RawOrigin::Signed(who.clone()),
            BoundedVec::truncate_from(targets),
        );
        assert!(Nominators::<T>::contains_key(&who));
        if let Some(victim) = victim {
            assert!(!Nominators::<T>::contains_key(&victim));
        }
    }

    #[benchmark]
    fn chill() {
        setup::<T>();
        let who = candidate::<T>(0);
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));
        assert!(!Validators::<T>::contains_key(&who));
    }

    /// Registration for every class. With `e = 1` the set is full of `MaxWitnesses`
    /// minimum-bond witnesses, and the caller evicts the smallest, which sits in every
    /// committee of the two epochs in use.
    #[benchmark]
    fn register_witness(e: Linear<0, 1>) {
        setup::<T>();
        let who = staker::<T>("staker", 0, 3);
        let victim = (e == 1).then(|| {
            let _ = Witnesses::<T>::clear(u32::MAX, None);
            let full: Vec<_> = (0..T::MaxWitnesses::get()).map(witness::<T>).collect();
            let victim = full.iter().min().cloned().expect("MaxWitnesses > 0");
            let mut members = vec![victim.clone()];
            members.extend(full.into_iter().filter(|w| *w != victim));
            CommitteeEpoch::<T>::put(1);
            for epoch in [0, 1] {
                for class in EventClass::ALL {
                    Committees::<T>::insert(
                        epoch,
                        class,
                        Committee {
                            members: BoundedVec::truncate_from(members.clone()),
                            min_stake: unit::<T>(),
                            size: bench_params::<T>().committee_size,
                            quorum: bench_params::<T>().quorum,
                        },
                    );
                }
            }
            victim
        });
        #[extrinsic_call]
        _(
            RawOrigin::Signed(who.clone()),
            BoundedVec::truncate_from(EventClass::ALL.to_vec()),
        );
        assert!(Witnesses::<T>::contains_key(&who));
        if let Some(victim) = victim {
            assert!(!Witnesses::<T>::contains_key(&victim));
        }
    }

    #[benchmark]
    fn deregister_witness() {
        setup::<T>();
        let who = witness::<T>(0);
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));
        assert!(!Witnesses::<T>::contains_key(&who));
    }

    /// The last event the class and the submitter may have pending: the fee at its
    /// highest (128 × `event_fee`), every cap read.
    #[benchmark]
    fn submit_event() {
        setup::<T>();
        committee::<T>();
        // A witness point has a value: the fee floor is computed (and charged).
        WitnessPointValue::<T>::put(PointValue {
            pool: T::Currency::minimum_balance(),
            points: 1,
        });
        let who: T::AccountId = whitelisted_caller();
        T::Currency::set_balance(&who, unit::<T>());
        PendingPerClass::<T>::insert(
            EventClass::Interaction,
            Pallet::<T>::class_pending_share().saturating_sub(1),
        );
        PendingPerSubmitter::<T>::insert(&who, T::MaxPendingPerSubmitter::get() - 1);
        let payload = H256::repeat_byte(1);
        #[extrinsic_call]
        _(RawOrigin::Signed(who), EventClass::Interaction, payload);
        assert!(PendingEvents::<T>::contains_key(event_id(
            EventClass::Interaction,
            &payload
        )));
    }

    /// A full batch: `v` events, each of which this vote resolves (the last vote of a
    /// quorum), which is the path that writes receipts and reports every voter. The
    /// events are spread over classes and submitters, within their caps.
    #[benchmark]
    fn attest(v: Linear<1, { T::MaxVerdictsPerAttest::get() }>) {
        setup::<T>();
        let members = committee::<T>();
        let quorum = bench_params::<T>().quorum as usize;
        let mut ids = Vec::new();
        for i in 0..v {
            let (submitter, class) = submitter::<T>(i);
            let payload = H256::from_low_u64_be(i as u64 + 1);
            Pallet::<T>::submit_event(RawOrigin::Signed(submitter).into(), class, payload)
                .expect("room for the batch");
            let id = event_id(class, &payload);
            for member in members.iter().take(quorum - 1) {
                Pallet::<T>::attest(
                    RawOrigin::Signed(member.clone()).into(),
                    BoundedVec::truncate_from(vec![(id, Verdict::Valid)]),
                )
                .expect("member votes");
            }
            ids.push((id, Verdict::Valid));
        }
        let last = members[quorum - 1].clone();
        #[extrinsic_call]
        _(
            RawOrigin::Signed(last),
            BoundedVec::truncate_from(ids.clone()),
        );
        for (id, _) in &ids {
            assert!(Receipts::<T>::contains_key(id));
        }
    }

    #[benchmark]
    fn set_params() -> Result<(), BenchmarkError> {
        setup::<T>();
        let origin =
            T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, bench_params::<T>());
        Ok(())
    }

    #[benchmark]
    fn cancel_deferred_slash(
        s: Linear<1, { T::MaxSlashesPerEra::get() }>,
    ) -> Result<(), BenchmarkError> {
        setup::<T>();
        let slashes: Vec<_> = (0..T::MaxSlashesPerEra::get())
            .map(|i| UnappliedSlash {
                validator: account("offender", i, SEED),
                kind: OffenceKind::AuraEquivocation,
                offence_era: 0,
                own: unit::<T>(),
                others: BoundedVec::new(),
            })
            .collect();
        UnappliedSlashes::<T>::insert(1, BoundedVec::truncate_from(slashes));
        let indices: Vec<u32> = (0..s).collect();
        let origin =
            T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        #[extrinsic_call]
        _(
            origin as T::RuntimeOrigin,
            1,
            BoundedVec::truncate_from(indices),
        );
        assert_eq!(
            UnappliedSlashes::<T>::get(1).len() as u32,
            T::MaxSlashesPerEra::get() - s
        );
        Ok(())
    }

    #[benchmark]
    fn on_initialize_idle() {
        setup::<T>();
        CommitteeEpoch::<T>::put(T::Epochs::current_epoch());
        #[block]
        {
            let _ = Pallet::<T>::process_payouts(T::MaxPayoutsPerBlock::get());
            let _ = Pallet::<T>::expire_events(1u32.into(), T::MaxCleanupPerBlock::get());
            let _ = Pallet::<T>::prune_receipts(1u32.into(), T::MaxCleanupPerBlock::get());
            Pallet::<T>::note_genesis_era_start(2u32.into());
        }
    }

    /// The election of one era with `c` candidates, all with session keys (each is read
    /// and none is skipped), and `n` nominators, each nominating `MaxNominations`
    /// candidates. A failed election's exposure of the kept set does the same work for
    /// its at most `MaxValidators` validators.
    #[benchmark]
    fn elect(c: Linear<1, { T::MaxCandidates::get() }>, n: Linear<0, { T::MaxNominators::get() }>) {
        setup::<T>();
        let candidates: Vec<_> = (0..c).map(candidate::<T>).collect();
        for i in 0..n {
            let who = staker::<T>("nominator", i, 1);
            let targets: Vec<_> = candidates
                .iter()
                .cycle()
                .skip(i as usize)
                .take(T::MaxNominations::get().min(c) as usize)
                .cloned()
                .collect();
            Nominators::<T>::insert(&who, BoundedVec::truncate_from(targets));
        }
        let elected;
        #[block]
        {
            elected = Pallet::<T>::elect();
        }
        assert!(elected.is_some());
    }

    /// Drawing every class's committee, with `w` witnesses registered for every class:
    /// the draw reads the snapshot of `w` taken at the previous draw, takes and writes a
    /// new one of `w`, draws `MaxCommitteeSize` members per class from the old one and
    /// checks each against the new one. This is the worst case: a first draw, which uses
    /// the pool it takes, reads no snapshot.
    #[benchmark]
    fn draw_committees(w: Linear<1, { T::MaxWitnesses::get() }>) {
        setup::<T>();
        for i in 0..w {
            witness::<T>(i);
        }
        Pallet::<T>::draw_committees(0);
        #[block]
        {
            Pallet::<T>::draw_committees(1);
        }
        assert!(Committees::<T>::contains_key(1, EventClass::Engagement));
        assert_eq!(WitnessPool::<T>::get().map(|p| p.taken_at), Some(1));
    }

    /// Paying one validator with `b` nominators in its exposure.
    #[benchmark]
    fn payout_earner(b: Linear<0, { T::MaxBackersPerValidator::get() }>) {
        setup::<T>();
        let validator = candidate::<T>(0);
        let others: Vec<_> = (0..b)
            .map(|i| IndividualExposure {
                who: account("backer", i, SEED),
                value: unit::<T>(),
            })
            .collect();
        let exposure = Exposure {
            total: unit::<T>() * (b + 1).into(),
            own: unit::<T>(),
            others: BoundedVec::truncate_from(others),
        };
        ErasStakers::<T>::insert(0, &validator, exposure);
        ErasValidatorPrefs::<T>::insert(
            0,
            &validator,
            ValidatorPrefs {
                commission: Perbill::from_percent(5),
            },
        );
        // The validator also earned attestation points: it is paid from both pools.
        let points = EraPoints {
            block: 1,
            attestation: 1,
        };
        let payout = EraPayout {
            validator_reward: unit::<T>() * 100u32.into(),
            witness_reward: unit::<T>() * 100u32.into(),
            total_points: points,
        };
        let backers;
        #[block]
        {
            backers = Pallet::<T>::pay_earner(0, &validator, points, &payout);
        }
        assert_eq!(backers, b);
    }

    /// Closing `e` events whose time is up, each with a full committee to check. Each
    /// is resolved `Invalid` with no vote recorded: every member is judged absent, as for
    /// an unresolved event, and the event's receipt is removed too. (A real `Invalid`
    /// event has M votes, so fewer absences: this bounds both ways an event closes.)
    #[benchmark]
    fn expire_events(
        e: Linear<0, { T::MaxCleanupPerBlock::get().min(T::MaxPendingEvents::get()) }>,
    ) {
        setup::<T>();
        committee::<T>();
        let now = frame_system::Pallet::<T>::block_number();
        for i in 0..e {
            let (submitter, class) = submitter::<T>(i);
            let payload = H256::from_low_u64_be(i as u64 + 1);
            Pallet::<T>::submit_event(RawOrigin::Signed(submitter).into(), class, payload)
                .expect("room");
            let id = event_id(class, &payload);
            let mut event = PendingEvents::<T>::get(id).expect("just submitted");
            event.outcome = Some(Verdict::Invalid);
            Pallet::<T>::store_receipt(id, &event, Verdict::Invalid, 0, now);
            PendingEvents::<T>::insert(id, event);
        }
        assert_eq!(Receipts::<T>::count(), e);
        let later = now + 1_000u32.into();
        #[block]
        {
            let _ = Pallet::<T>::expire_events(later, e);
        }
        assert_eq!(PendingEvents::<T>::count(), 0);
        assert_eq!(Receipts::<T>::count(), 0);
    }

    /// Removing `r` `Valid` receipts past retention (their events closed): only `Valid`
    /// receipts are queued for pruning (`Invalid` ones go in `expire_events`).
    #[benchmark]
    fn prune_receipts(r: Linear<0, { T::MaxCleanupPerBlock::get().min(T::MaxReceipts::get()) }>) {
        setup::<T>();
        ReceiptsPerClass::<T>::insert(EventClass::Interaction, r);
        for i in 0..r {
            let id = H256::from_low_u64_be(i as u64 + 1);
            Receipts::<T>::insert(
                id,
                Receipt {
                    class: EventClass::Interaction,
                    payload_hash: id,
                    verdict: Verdict::Valid,
                    epoch: 0,
                    resolved_at: 0u32.into(),
                    agreeing: 1,
                },
            );
            ReceiptQueue::<T>::insert(i as u64, id);
        }
        ReceiptQueueBounds::<T>::put((0, r as u64));
        let later = frame_system::Pallet::<T>::block_number() + 1_000u32.into();
        #[block]
        {
            let _ = Pallet::<T>::prune_receipts(later, r);
        }
        assert_eq!(Receipts::<T>::count(), 0);
    }

    /// A consumer settling a retained receipt ([`ReceiptProvider::consume`]).
    #[benchmark]
    fn consume_receipt() {
        setup::<T>();
        let payload = H256::repeat_byte(1);
        Receipts::<T>::insert(
            event_id(EventClass::AdInteraction, &payload),
            Receipt {
                class: EventClass::AdInteraction,
                payload_hash: payload,
                verdict: Verdict::Valid,
                epoch: 0,
                resolved_at: 0u32.into(),
                agreeing: 1,
            },
        );
        let settled;
        #[block]
        {
            settled = <Pallet<T> as ReceiptProvider<BlockNumberFor<T>>>::consume(
                EventClass::AdInteraction,
                &payload,
            );
        }
        assert!(settled.is_ok());
        assert!(Settled::<T>::contains_key(event_id(
            EventClass::AdInteraction,
            &payload
        )));
    }

    /// Starting an era that queues `s` slashes, each naming `MaxBackersPerValidator`
    /// nominators (the largest values to move).
    #[benchmark]
    fn start_era(s: Linear<0, { T::MaxSlashesPerEra::get() }>) {
        setup::<T>();
        let others: Vec<_> = (0..T::MaxBackersPerValidator::get())
            .map(|i| (account::<T::AccountId>("nominator", i, SEED), unit::<T>()))
            .collect();
        let slashes: Vec<_> = (0..s)
            .map(|i| UnappliedSlash {
                validator: account("offender", i, SEED),
                kind: OffenceKind::AuraEquivocation,
                offence_era: 0,
                own: unit::<T>(),
                others: BoundedVec::truncate_from(others.clone()),
            })
            .collect();
        UnappliedSlashes::<T>::insert(1, BoundedVec::truncate_from(slashes));
        // The ending era has points in both pools and the pot has fees: its payout is
        // burned from the pot, split and queued, and the witness point value is set.
        ErasTotalPoints::<T>::insert(
            0,
            EraPoints {
                block: 20,
                attestation: 1,
            },
        );
        T::Currency::set_balance(&Pallet::<T>::pot_account(), unit::<T>() * 10u32.into());
        CurrentEra::<T>::put(1);
        ErasStartSessionIndex::<T>::insert(1, 3);
        #[block]
        {
            Pallet::<T>::start_session(3);
        }
        assert_eq!(Pallet::<T>::active_era(), 1);
        assert!(PayoutQueue::<T>::contains_key(0));
        let (front, back) = SlashQueueBounds::<T>::get();
        assert_eq!(back - front, u64::from(s));
    }

    /// One block of slash application touching `a` accounts: validators whose
    /// nominators are all bonded witnesses, each slashed into unlocking funds and below
    /// the witness minimum, so that every account pays for its ledger, its hold, the
    /// total stake and a deregistration.
    #[benchmark]
    fn apply_slash_chunk(a: Linear<0, { T::MaxSlashApplicationsPerBlock::get() }>) {
        setup::<T>();
        let per_slash = T::MaxBackersPerValidator::get().saturating_add(1);
        let mut left = a;
        let (front, mut back) = SlashQueueBounds::<T>::get();
        let mut n = 0u32;
        let bonded = |n: &mut u32| {
            let who = staker::<T>("slashed", *n, 2);
            Witnesses::<T>::insert(&who, BoundedVec::truncate_from(EventClass::ALL.to_vec()));
            Pallet::<T>::do_unbond(who.clone(), unit::<T>()).expect("bonded");
            n.saturating_inc();
            who
        };
        while left > 0 {
            let take = left.min(per_slash);
            let validator = bonded(&mut n);
            let others: Vec<_> = (1..take)
                .map(|_| (bonded(&mut n), unit::<T>().saturating_add(unit::<T>())))
                .collect();
            SlashQueue::<T>::insert(
                back,
                (
                    UnappliedSlash {
                        validator,
                        kind: OffenceKind::AuraEquivocation,
                        offence_era: 0,
                        own: unit::<T>().saturating_add(unit::<T>()),
                        others: BoundedVec::truncate_from(others),
                    },
                    0u32,
                ),
            );
            back = back.saturating_add(1);
            left = left.saturating_sub(take);
        }
        SlashQueueBounds::<T>::put((front, back));
        #[block]
        {
            let touched = Pallet::<T>::apply_queued_slashes(T::MaxSlashApplicationsPerBlock::get());
            assert_eq!(touched, a);
        }
        assert!(!Pallet::<T>::slashes_pending());
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
