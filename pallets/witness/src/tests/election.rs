//! Elections: genesis era 0, `elect`, and era planning and rotation through the
//! `SessionManager`; failed elections, candidates without session keys, and the
//! exposure invariants.

use super::*;
use frame_support::{assert_noop, assert_ok};
use sp_runtime::Perbill;

#[test]
fn genesis_bonds_stakers_and_elects_era_zero() {
    new_test_ext().execute_with(|| {
        assert_eq!(ledger(1).active, 1_000);
        assert_eq!(held(1), 1_000);
        assert_eq!(TotalStaked::<Test>::get(), 3_500);
        assert_eq!(ErasValidators::<Test>::get(0).into_inner(), vec![1, 2]);
        assert_eq!(Witness::active_era(), 0);
        assert_eq!(
            <Witness as pallet_session::SessionManager<AccountId>>::new_session_genesis(0),
            Some(vec![1, 2])
        );
        check_state();
    });
}

#[test]
fn election_picks_the_top_backed_validators() {
    new_test_ext().execute_with(|| {
        // 3 bonds 500 and validates; 5 nominates it with 800: 3 now has 1,300 > 1,000.
        bond_and_validate(3, 500, Perbill::from_percent(10));
        bond_and_nominate(5, 800, vec![3]);
        assert_eq!(rotate_session(1), None);
        // Session 3 starts era 1: planned when session 2 starts.
        let planned = rotate_session(2).expect("era 1 elected");
        assert_eq!(planned, vec![3, 1]);
        let exposure = ErasStakers::<Test>::get(1, 3).unwrap();
        assert_eq!(exposure.total, 1_300);
        assert_eq!(exposure.own, 500);
        assert_eq!(
            exposure.others[0],
            IndividualExposure { who: 5, value: 800 }
        );
        assert_eq!(CurrentEra::<Test>::get(), 1);
        assert_eq!(Witness::active_era(), 0);
        rotate_session(3);
        assert_eq!(Witness::active_era(), 1);
        check_state();
    });
}

#[test]
fn election_splits_a_nomination_between_its_candidate_targets() {
    new_test_ext().execute_with(|| {
        bond_and_nominate(5, 301, vec![1, 2]);
        let elected = Witness::elect().unwrap();
        let totals: Vec<_> = elected.iter().map(|(w, e, _)| (*w, e.total)).collect();
        // 301 splits into 151 + 150 (the remainder goes to the first target).
        assert_eq!(totals, vec![(1, 1_151), (2, 1_150)]);
    });
}

#[test]
fn election_counts_at_most_max_backers() {
    new_test_ext().execute_with(|| {
        for (who, stake) in [(5, 10), (6, 20), (7, 30), (8, 40)] {
            bond_and_nominate(who, stake, vec![1]);
        }
        let elected = Witness::elect().unwrap();
        let exposure = &elected.iter().find(|(w, _, _)| *w == 1).unwrap().1;
        assert_eq!(exposure.others.len(), 3);
        assert_eq!(exposure.total, 1_000 + 40 + 30 + 20);
    });
}

#[test]
fn failed_election_keeps_the_validator_set() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::chill(signed(1)));
        assert_ok!(Witness::chill(signed(2)));
        rotate_session(1);
        assert_eq!(rotate_session(2), None);
        assert!(witness_events().contains(&Event::ElectionFailed { era: 1 }));
        assert_eq!(ErasValidators::<Test>::get(1).into_inner(), vec![1, 2]);
        assert!(ErasStakers::<Test>::get(1, 1).is_some());
    });
}

#[test]
fn a_new_validator_joins_at_the_next_era() {
    new_test_ext().execute_with(|| {
        bond_and_validate(5, 2_000, Perbill::zero());
        rotate_session(1);
        assert_eq!(rotate_session(2), Some(vec![5, 1]));
    });
}

/// Era 1 with validator 1 backed by nominator 5 (300). Then 5 leaves (chills and unbonds
/// everything), 6 starts backing 1 with 200, and the election of era 2 fails: 2 chills
/// while two validators are the minimum. Returns with era 2 active.
fn fail_the_election_after_a_nominator_left() {
    bond_and_nominate(5, 300, vec![1]);
    start_era(1);
    let exposure = ErasStakers::<Test>::get(1, 1).expect("1 elected");
    assert_eq!(
        exposure.others.to_vec(),
        vec![IndividualExposure { who: 5, value: 300 }]
    );
    assert_ok!(Witness::chill(signed(5)));
    assert_ok!(Witness::unbond(signed(5), 300));
    bond_and_nominate(6, 200, vec![1]);
    set_params_with(|p| p.minimum_validator_count = 2);
    assert_ok!(Witness::chill(signed(2)));
    start_era(2);
    assert!(witness_events().contains(&Event::ElectionFailed { era: 2 }));
}

#[test]
fn failed_election_exposes_the_kept_validators_to_their_current_backers() {
    new_test_ext().execute_with(|| {
        fail_the_election_after_a_nominator_left();
        assert_eq!(ErasValidators::<Test>::get(2).into_inner(), vec![1, 2]);
        let exposure = ErasStakers::<Test>::get(2, 1).expect("1 kept");
        assert_eq!(
            exposure.others.to_vec(),
            vec![IndividualExposure { who: 6, value: 200 }]
        );
        assert_eq!((exposure.own, exposure.total), (1_000, 1_200));
        // 2 chilled but keeps validating: its own bond stays exposed.
        let exposure = ErasStakers::<Test>::get(2, 2).expect("2 kept");
        assert_eq!((exposure.own, exposure.total), (1_000, 1_000));
        assert!(exposure.others.is_empty());
        assert!(ErasValidatorPrefs::<Test>::get(2, 2).is_some());
        check_state();
    });
}

#[test]
fn after_a_failed_election_the_leaver_is_neither_paid_nor_slashed_and_the_newcomer_is() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        fail_the_election_after_a_nominator_left();
        Witness::note_author(1);
        report_offence_in_era(1, 2, OffenceKind::AuraEquivocation);
        let slash = UnappliedSlashes::<Test>::iter()
            .flat_map(|(_, slashes)| slashes.into_inner())
            .find(|s| s.validator == 1 && s.offence_era == 2)
            .expect("the offence is deferred");
        assert_eq!(slash.others.to_vec(), vec![(6, 20)]);
        // Era 2's payout goes to 1 and its backer in era 2, 6; not to 5.
        start_era(3);
        run_to_block(System::block_number() + 3);
        let paid: Vec<AccountId> = witness_events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Rewarded { who, era: 2, .. } => Some(who),
                _ => None,
            })
            .collect();
        assert!(paid.contains(&1) && paid.contains(&6), "paid: {paid:?}");
        assert!(!paid.contains(&5), "paid: {paid:?}");
        check_state();
    });
}

#[test]
fn election_skips_candidates_without_session_keys() {
    new_test_ext().execute_with(|| {
        bond_and_validate(3, 5_000, Perbill::zero());
        Keyless::set(vec![3]);
        let elected: Vec<_> = Witness::elect().unwrap().into_iter().map(|e| e.0).collect();
        assert_eq!(elected, vec![1, 2]);
        // Through the SessionManager too: 3 is not planned.
        rotate_session(1);
        assert_eq!(rotate_session(2), Some(vec![1, 2]));
        check_state();
    });
}

#[test]
fn election_without_a_candidate_that_has_keys_fails_and_keeps_the_set() {
    new_test_ext().execute_with(|| {
        bond_and_validate(3, 5_000, Perbill::zero());
        Keyless::set(vec![1, 2, 3]);
        assert!(Witness::elect().is_none());
        rotate_session(1);
        assert_eq!(rotate_session(2), None);
        assert!(witness_events().contains(&Event::ElectionFailed { era: 1 }));
        assert_eq!(ErasValidators::<Test>::get(1).into_inner(), vec![1, 2]);
        check_state();
    });
}

#[test]
fn validate_requires_session_keys() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(3), 500));
        Keyless::set(vec![3]);
        assert_noop!(
            Witness::validate(signed(3), Perbill::zero()),
            Error::<Test>::NoSessionKeys
        );
        Keyless::set(Vec::new());
        assert_ok!(Witness::validate(signed(3), Perbill::zero()));
    });
}

#[test]
fn genesis_elects_its_validators_before_their_session_keys_are_set() {
    // pallet-session's genesis, which sets the chain spec's keys, builds after this
    // pallet's: at genesis no validator has keys yet.
    Keyless::set(vec![1, 2]);
    new_test_ext().execute_with(|| {
        assert_eq!(ErasValidators::<Test>::get(0).into_inner(), vec![1, 2]);
        check_state();
    });
}

#[test]
fn try_state_checks_exposures() {
    let broken: [fn(); 5] = [
        // A total that is not own + others.
        || {
            ErasStakers::<Test>::mutate(0, 1, |e| {
                e.as_mut().unwrap().total += 1;
            })
        },
        // Backers out of order.
        || {
            ErasStakers::<Test>::mutate(0, 1, |e| {
                let e = e.as_mut().unwrap();
                e.others = bounded_vec![
                    IndividualExposure { who: 5, value: 10 },
                    IndividualExposure { who: 6, value: 20 },
                ];
                e.total = e.own + 30;
            })
        },
        // An elected validator without an exposure.
        || ErasStakers::<Test>::remove(0, 2),
        // An elected validator without preferences.
        || ErasValidatorPrefs::<Test>::remove(0, 2),
        // An exposure of an account that was not elected.
        || {
            let exposure = ErasStakers::<Test>::get(0, 1).unwrap();
            ErasStakers::<Test>::insert(0, 9, exposure);
        },
    ];
    for (i, breaks) in broken.into_iter().enumerate() {
        new_test_ext().execute_with(|| {
            check_state();
            breaks();
            assert!(
                Witness::do_try_state().is_err(),
                "case {i} passes try_state"
            );
        });
    }
}

/// An era can hold an offence record per offender and kind, 2 × `MaxValidators` of them
/// (8 in the mock); pruning the era must remove them all, not `MaxSlashesPerEra` (4).
/// The records are committed to the backend first, as on a chain, where `clear_prefix`'s
/// limit binds (it does not for values still in the overlay).
#[test]
fn pruning_an_era_removes_all_its_offence_records() {
    let mut ext = new_test_ext();
    ext.execute_with(|| {
        for offender in 1..=4u64 {
            for kind in [
                OffenceKind::AuraEquivocation,
                OffenceKind::GrandpaEquivocation,
            ] {
                OffencesReported::<Test>::insert(0, (offender, kind), ());
            }
        }
    });
    ext.commit_all().expect("the test backend commits");
    ext.execute_with(|| {
        assert_eq!(OffencesReported::<Test>::iter_prefix(0).count(), 8);
        start_era(<<Test as Config>::HistoryDepth as Get<u32>>::get());
        assert_eq!(
            OffencesReported::<Test>::iter_prefix(0).count(),
            0,
            "offence records of a pruned era were left behind"
        );
    });
}
