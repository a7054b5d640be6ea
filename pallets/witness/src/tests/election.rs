//! Elections: genesis era 0, `elect`, and era planning and rotation through the
//! `SessionManager`.

use super::*;
use frame_support::assert_ok;
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
