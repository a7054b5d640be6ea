//! Benchmarks of pallet-witness (frame-benchmarking v2): every call, plus the work the
//! hooks and pallet-session do on the pallet's behalf (election, committee draw, payout,
//! expiry, pruning, era start), each at its worst case within the storage bounds.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, EnsureOrigin, Get};
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, Saturating};

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
        unbonding_eras: 2,
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

fn candidate<T: Config>(i: u32) -> T::AccountId {
    let who = staker::<T>("candidate", i, 10 + i);
    Validators::<T>::insert(
        &who,
        ValidatorPrefs {
            commission: Perbill::from_percent(5),
        },
    );
    who
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

    #[benchmark]
    fn validate() {
        setup::<T>();
        let who = staker::<T>("staker", 0, 2);
        Nominators::<T>::insert(&who, BoundedVec::new());
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), Perbill::from_percent(3));
        assert!(Validators::<T>::contains_key(&who));
    }

    #[benchmark]
    fn nominate(n: Linear<1, { T::MaxNominations::get() }>) {
        setup::<T>();
        let targets: Vec<_> = (0..n).map(candidate::<T>).collect();
        let who = staker::<T>("nominator", 0, 2);
        #[extrinsic_call]
        _(
            RawOrigin::Signed(who.clone()),
            BoundedVec::truncate_from(targets),
        );
        assert!(Nominators::<T>::contains_key(&who));
    }

    #[benchmark]
    fn chill() {
        setup::<T>();
        let who = candidate::<T>(0);
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));
        assert!(!Validators::<T>::contains_key(&who));
    }

    #[benchmark]
    fn register_witness() {
        setup::<T>();
        let who = staker::<T>("staker", 0, 2);
        #[extrinsic_call]
        _(
            RawOrigin::Signed(who.clone()),
            BoundedVec::truncate_from(EventClass::ALL.to_vec()),
        );
        assert!(Witnesses::<T>::contains_key(&who));
    }

    #[benchmark]
    fn deregister_witness() {
        setup::<T>();
        let who = witness::<T>(0);
        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));
        assert!(!Witnesses::<T>::contains_key(&who));
    }

    #[benchmark]
    fn submit_event() {
        setup::<T>();
        committee::<T>();
        let who: T::AccountId = whitelisted_caller();
        T::Currency::set_balance(&who, unit::<T>());
        let payload = H256::repeat_byte(1);
        #[extrinsic_call]
        _(RawOrigin::Signed(who), EventClass::Interaction, payload);
        assert!(PendingEvents::<T>::contains_key(event_id(
            EventClass::Interaction,
            &payload
        )));
    }

    /// A full batch: `v` events, each of which this vote resolves (the last vote of a
    /// quorum), which is the path that writes receipts and reports every voter.
    #[benchmark]
    fn attest(v: Linear<1, { T::MaxVerdictsPerAttest::get() }>) {
        setup::<T>();
        let members = committee::<T>();
        let quorum = bench_params::<T>().quorum as usize;
        let submitter: T::AccountId = account("submitter", 0, SEED);
        T::Currency::set_balance(&submitter, unit::<T>() * 1_000u32.into());
        let mut ids = Vec::new();
        for i in 0..v {
            let payload = H256::from_low_u64_be(i as u64 + 1);
            Pallet::<T>::submit_event(
                RawOrigin::Signed(submitter.clone()).into(),
                EventClass::Interaction,
                payload,
            )
            .expect("room for the batch");
            let id = event_id(EventClass::Interaction, &payload);
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
        // The newest receipts are there (older ones may be evicted by MaxReceipts).
        let (last_id, _) = ids.last().expect("v >= 1");
        assert!(Receipts::<T>::contains_key(last_id));
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
            let _ = Pallet::<T>::process_payouts();
            let _ = Pallet::<T>::expire_events(1u32.into());
            let _ = Pallet::<T>::prune_receipts(1u32.into());
        }
    }

    /// The election of one era with `c` candidates and `n` nominators, each nominating
    /// `MaxNominations` candidates.
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
        let payout = EraPayout {
            reward: unit::<T>() * 100u32.into(),
            total_points: 1,
        };
        let backers;
        #[block]
        {
            backers = Pallet::<T>::pay_earner(0, &validator, 1, &payout);
        }
        assert_eq!(backers, b);
    }

    /// Closing `e` events whose time is up, each with a full committee to check.
    #[benchmark]
    fn expire_events(
        e: Linear<0, { T::MaxCleanupPerBlock::get().min(T::MaxPendingEvents::get()) }>,
    ) {
        setup::<T>();
        committee::<T>();
        let submitter: T::AccountId = account("submitter", 0, SEED);
        T::Currency::set_balance(&submitter, unit::<T>() * 1_000u32.into());
        for i in 0..e {
            Pallet::<T>::submit_event(
                RawOrigin::Signed(submitter.clone()).into(),
                EventClass::Interaction,
                H256::from_low_u64_be(i as u64 + 1),
            )
            .expect("room");
        }
        let later = frame_system::Pallet::<T>::block_number() + 1_000u32.into();
        #[block]
        {
            let _ = Pallet::<T>::expire_events(later);
        }
        assert_eq!(PendingEvents::<T>::count(), 0);
    }

    /// Removing `r` receipts past retention.
    #[benchmark]
    fn prune_receipts(r: Linear<0, { T::MaxCleanupPerBlock::get().min(T::MaxReceipts::get()) }>) {
        setup::<T>();
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
            let _ = Pallet::<T>::prune_receipts(later);
        }
        assert_eq!(Receipts::<T>::count(), 0);
    }

    /// Starting an era that applies `s` slashes of single accounts.
    #[benchmark]
    fn start_era(s: Linear<0, { T::MaxSlashesPerEra::get() }>) {
        setup::<T>();
        let slashes: Vec<_> = (0..s)
            .map(|i| {
                let who = staker::<T>("offender", i, 2);
                UnappliedSlash {
                    validator: who,
                    kind: OffenceKind::AuraEquivocation,
                    offence_era: 0,
                    own: unit::<T>(),
                    others: BoundedVec::new(),
                }
            })
            .collect();
        UnappliedSlashes::<T>::insert(1, BoundedVec::truncate_from(slashes));
        CurrentEra::<T>::put(1);
        ErasStartSessionIndex::<T>::insert(1, 3);
        #[block]
        {
            Pallet::<T>::start_session(3);
        }
        assert_eq!(Pallet::<T>::active_era(), 1);
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
