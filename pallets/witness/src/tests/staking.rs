//! Staking: bond, bond_extra, unbond, withdraw_unbonded, rebond, and the validate,
//! nominate and chill intentions.

use super::*;
use frame_support::{assert_noop, assert_ok};
use sp_runtime::{bounded_vec, DispatchError, Perbill};

#[test]
fn bond_holds_funds() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 300));
        assert_eq!(ledger(5).active, 300);
        assert_eq!(held(5), 300);
        assert_eq!(free(5), 9_700);
        assert_eq!(TotalStaked::<Test>::get(), 3_800);
        System::assert_last_event(
            Event::Bonded {
                who: 5,
                amount: 300,
            }
            .into(),
        );
        check_state();
    });
}

#[test]
fn bond_fails_when_already_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::bond(signed(1), 10), Error::<Test>::AlreadyBonded);
    });
}

#[test]
fn bond_fails_for_zero() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::bond(signed(5), 0), Error::<Test>::ZeroAmount);
    });
}

#[test]
fn bond_fails_beyond_free_balance() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::bond(signed(5), 20_000),
            Error::<Test>::InsufficientBalance
        );
    });
}

#[test]
fn bond_requires_a_signed_origin() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::bond(RuntimeOrigin::none(), 10),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn bond_extra_adds_to_active() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond_extra(signed(1), 500));
        assert_eq!(ledger(1).active, 1_500);
        assert_eq!(held(1), 1_500);
        check_state();
    });
}

#[test]
fn bond_extra_fails_when_not_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::bond_extra(signed(5), 10), Error::<Test>::NotBonded);
    });
}

#[test]
fn bond_extra_fails_for_zero() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::bond_extra(signed(1), 0), Error::<Test>::ZeroAmount);
    });
}

#[test]
fn bond_extra_fails_beyond_free_balance() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::bond_extra(signed(1), 9_500),
            Error::<Test>::InsufficientBalance
        );
    });
}

#[test]
fn unbond_moves_funds_into_a_chunk() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::unbond(signed(1), 400));
        let l = ledger(1);
        assert_eq!(l.active, 600);
        assert_eq!(l.total, 1_000);
        assert_eq!(
            l.unlocking.into_inner(),
            vec![UnlockChunk { value: 400, era: 3 }]
        );
        // A second unbond in the same era merges into the same chunk.
        assert_ok!(Witness::unbond(signed(1), 100));
        assert_eq!(ledger(1).unlocking.len(), 1);
        System::assert_last_event(
            Event::Unbonded {
                who: 1,
                amount: 100,
                era: 3,
            }
            .into(),
        );
        check_state();
    });
}

#[test]
fn unbond_fails_when_not_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::unbond(signed(5), 10), Error::<Test>::NotBonded);
    });
}

#[test]
fn unbond_fails_for_zero() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::unbond(signed(1), 0), Error::<Test>::ZeroAmount);
    });
}

#[test]
fn unbond_fails_below_the_role_minimum() {
    new_test_ext().execute_with(|| {
        // A validator must keep 100; a witness 50.
        assert_noop!(
            Witness::unbond(signed(1), 901),
            Error::<Test>::InsufficientBond
        );
        assert_noop!(
            Witness::unbond(signed(11), 451),
            Error::<Test>::InsufficientBond
        );
        // After chilling, everything may go.
        assert_ok!(Witness::chill(signed(1)));
        assert_ok!(Witness::unbond(signed(1), 1_000));
    });
}

#[test]
fn unbond_fails_when_chunks_are_full() {
    new_test_ext().execute_with(|| {
        let mut session = 0;
        for era in 1..=3 {
            assert_ok!(Witness::unbond(signed(1), 10));
            session = start_era(era);
        }
        let _ = session;
        assert_eq!(ledger(1).unlocking.len(), 3);
        assert_noop!(Witness::unbond(signed(1), 10), Error::<Test>::NoMoreChunks);
    });
}

#[test]
fn withdraw_unbonded_fails_before_unbonding_period() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::unbond(signed(1), 400));
        start_era(2);
        assert_noop!(
            Witness::withdraw_unbonded(signed(1)),
            Error::<Test>::NothingToWithdraw
        );
    });
}

#[test]
fn withdraw_unbonded_releases_after_unbonding_period() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::unbond(signed(1), 400));
        start_era(3);
        assert_ok!(Witness::withdraw_unbonded(signed(1)));
        assert_eq!(held(1), 600);
        assert_eq!(ledger(1).total, 600);
        assert_eq!(TotalStaked::<Test>::get(), 3_100);
        System::assert_last_event(
            Event::Withdrawn {
                who: 1,
                amount: 400,
            }
            .into(),
        );
        check_state();
    });
}

#[test]
fn withdraw_unbonded_removes_an_empty_ledger() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::chill(signed(1)));
        assert_ok!(Witness::unbond(signed(1), 1_000));
        start_era(3);
        assert_ok!(Witness::withdraw_unbonded(signed(1)));
        assert!(Ledger::<Test>::get(1).is_none());
        assert_eq!(free(1), 10_000);
        check_state();
    });
}

#[test]
fn withdraw_unbonded_fails_when_not_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::withdraw_unbonded(signed(5)),
            Error::<Test>::NotBonded
        );
    });
}

#[test]
fn rebond_moves_newest_chunks_back() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::unbond(signed(1), 100));
        start_era(1);
        assert_ok!(Witness::unbond(signed(1), 200));
        assert_ok!(Witness::rebond(signed(1), 250));
        let l = ledger(1);
        assert_eq!(l.active, 950);
        assert_eq!(
            l.unlocking.into_inner(),
            vec![UnlockChunk { value: 50, era: 3 }]
        );
        check_state();
    });
}

#[test]
fn rebond_fails_without_unlocking_funds() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::rebond(signed(1), 10),
            Error::<Test>::NothingToRebond
        );
    });
}

#[test]
fn rebond_fails_when_not_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::rebond(signed(5), 10), Error::<Test>::NotBonded);
    });
}

#[test]
fn rebond_fails_for_zero() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::unbond(signed(1), 100));
        assert_noop!(Witness::rebond(signed(1), 0), Error::<Test>::ZeroAmount);
    });
}

#[test]
fn validate_makes_a_candidate() {
    new_test_ext().execute_with(|| {
        bond_and_validate(5, 200, Perbill::from_percent(5));
        assert!(Validators::<Test>::contains_key(5));
    });
}

#[test]
fn validate_fails_below_the_minimum_bond() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 99));
        assert_noop!(
            Witness::validate(signed(5), Perbill::zero()),
            Error::<Test>::InsufficientBond
        );
    });
}

#[test]
fn validate_fails_when_not_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::validate(signed(5), Perbill::zero()),
            Error::<Test>::NotBonded
        );
    });
}

#[test]
fn validate_fails_when_candidates_are_full() {
    new_test_ext().execute_with(|| {
        for who in 3..=8 {
            bond_and_validate(who, 100, Perbill::zero());
        }
        assert_ok!(Witness::bond(signed(9), 100));
        assert_noop!(
            Witness::validate(signed(9), Perbill::zero()),
            Error::<Test>::TooManyCandidates
        );
        // An existing candidate may still change its commission.
        assert_ok!(Witness::validate(signed(8), Perbill::from_percent(1)));
    });
}

#[test]
fn nominate_records_targets_and_replaces_validating() {
    new_test_ext().execute_with(|| {
        bond_and_nominate(5, 100, vec![1, 2]);
        assert_eq!(Nominators::<Test>::get(5).unwrap().into_inner(), vec![1, 2]);
        assert_ok!(Witness::validate(signed(5), Perbill::zero()));
        assert!(!Nominators::<Test>::contains_key(5));
    });
}

#[test]
fn nominate_fails_with_no_targets() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 100));
        assert_noop!(
            Witness::nominate(signed(5), bounded_vec![]),
            Error::<Test>::EmptyTargets
        );
    });
}

#[test]
fn nominate_fails_for_a_non_candidate() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 100));
        assert_noop!(
            Witness::nominate(signed(5), bounded_vec![7]),
            Error::<Test>::NotAValidator
        );
    });
}

#[test]
fn nominate_fails_for_a_duplicate_target() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 100));
        assert_noop!(
            Witness::nominate(signed(5), bounded_vec![1, 1]),
            Error::<Test>::DuplicateTarget
        );
    });
}

#[test]
fn nominate_fails_below_the_minimum_bond() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 9));
        assert_noop!(
            Witness::nominate(signed(5), bounded_vec![1]),
            Error::<Test>::InsufficientBond
        );
    });
}

#[test]
fn nominate_fails_when_not_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::nominate(signed(5), bounded_vec![1]),
            Error::<Test>::NotBonded
        );
    });
}

#[test]
fn nominate_fails_when_nominators_are_full() {
    new_test_ext().execute_with(|| {
        for who in 3..=10 {
            bond_and_nominate(who, 10, vec![1]);
        }
        assert_ok!(Witness::bond(signed(14), 10));
        assert_noop!(
            Witness::nominate(signed(14), bounded_vec![1]),
            Error::<Test>::TooManyNominators
        );
    });
}

#[test]
fn chill_removes_intentions() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::chill(signed(1)));
        assert!(!Validators::<Test>::contains_key(1));
        System::assert_last_event(Event::Chilled { who: 1 }.into());
    });
}

#[test]
fn chill_fails_when_already_chilled() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::chill(signed(11)), Error::<Test>::AlreadyChilled);
    });
}

#[test]
fn unbond_dates_the_unlock_from_the_elected_next_era() {
    new_test_ext().execute_with(|| {
        rotate_session(1);
        rotate_session(2);
        // Era 1 is elected (its exposures fixed) but era 0 is still active.
        assert_eq!(CurrentEra::<Test>::get(), 1);
        assert_eq!(Witness::active_era(), 0);
        assert_ok!(Witness::unbond(signed(1), 400));
        let era = 1 + test_params().unbonding_eras;
        assert_eq!(
            ledger(1).unlocking.to_vec(),
            vec![UnlockChunk { value: 400, era }]
        );
        assert!(witness_events().contains(&Event::Unbonded {
            who: 1,
            amount: 400,
            era
        }));
    });
}
