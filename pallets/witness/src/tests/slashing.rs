//! Slashing: offence reports, deferred slashes, their cancellation and application, and
//! what a slash does to a witness.

use super::*;
use frame_support::{assert_noop, assert_ok};
use sp_runtime::{bounded_vec, DispatchError, Perbill};

/// Era 1 with validator 1 backed by nominator 5 (400).
fn setup_nominated_validator() {
    bond_and_nominate(5, 400, vec![1]);
    start_era(1);
}

#[test]
fn offence_is_deferred_disables_and_chills() {
    new_test_ext().execute_with(|| {
        setup_nominated_validator();
        report_offence_in_era(1, 1, OffenceKind::AuraEquivocation);
        assert_eq!(Disabled::get(), vec![1]);
        assert!(!Validators::<Test>::contains_key(1));
        let slashes = UnappliedSlashes::<Test>::get(3);
        assert_eq!(slashes.len(), 1);
        assert_eq!(slashes[0].own, 100);
        assert_eq!(slashes[0].others.to_vec(), vec![(5, 40)]);
        // Not applied yet.
        assert_eq!(ledger(1).active, 1_000);
        start_era(3);
        assert_eq!(ledger(1).active, 900);
        assert_eq!(ledger(5).active, 360);
        assert_eq!(held(1), 900);
        assert!(witness_events().contains(&Event::Slashed {
            who: 1,
            amount: 100
        }));
        check_state();
    });
}

#[test]
fn slash_takes_from_unlocking_funds_too() {
    new_test_ext().execute_with(|| {
        setup_nominated_validator();
        report_offence_in_era(1, 1, OffenceKind::GrandpaEquivocation);
        // 1 is chilled now and unbonds nearly everything before the slash applies.
        assert_ok!(Witness::unbond(signed(1), 950));
        start_era(3);
        let l = ledger(1);
        assert_eq!(l.total, 800);
        assert_eq!(l.active, 0);
        check_state();
    });
}

#[test]
fn governance_can_cancel_a_deferred_slash() {
    new_test_ext().execute_with(|| {
        setup_nominated_validator();
        report_offence_in_era(1, 1, OffenceKind::AuraEquivocation);
        assert_ok!(Witness::cancel_deferred_slash(
            RuntimeOrigin::root(),
            3,
            bounded_vec![0]
        ));
        assert!(UnappliedSlashes::<Test>::get(3).is_empty());
        start_era(3);
        assert_eq!(ledger(1).active, 1_000);
    });
}

#[test]
fn cancel_deferred_slash_requires_governance() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::cancel_deferred_slash(signed(1), 3, bounded_vec![0]),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn cancel_deferred_slash_fails_for_a_missing_slash() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::cancel_deferred_slash(RuntimeOrigin::root(), 3, bounded_vec![0]),
            Error::<Test>::NoSuchSlash
        );
    });
}

#[test]
fn cancel_deferred_slash_fails_for_bad_indices() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::cancel_deferred_slash(RuntimeOrigin::root(), 3, bounded_vec![]),
            Error::<Test>::BadSlashIndices
        );
        assert_noop!(
            Witness::cancel_deferred_slash(RuntimeOrigin::root(), 3, bounded_vec![1, 0]),
            Error::<Test>::BadSlashIndices
        );
    });
}

#[test]
fn offence_fails_for_a_non_validator() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::report_offence(&11, 0, OffenceKind::AuraEquivocation),
            Error::<Test>::NotExposed
        );
    });
}

#[test]
fn offence_is_slashed_once() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::report_offence(
            &1,
            0,
            OffenceKind::AuraEquivocation
        ));
        assert_noop!(
            Witness::report_offence(&1, 0, OffenceKind::AuraEquivocation),
            Error::<Test>::DuplicateOffence
        );
        // Another kind in the same era is another offence.
        assert_ok!(Witness::report_offence(
            &1,
            0,
            OffenceKind::GrandpaEquivocation
        ));
    });
}

#[test]
fn offence_fails_when_too_old() {
    new_test_ext().execute_with(|| {
        start_era(11);
        assert_noop!(
            Witness::report_offence(&1, 0, OffenceKind::AuraEquivocation),
            Error::<Test>::OffenceTooOld
        );
    });
}

#[test]
fn slashed_witness_below_minimum_leaves_committees() {
    new_test_ext().execute_with(|| {
        next_block();
        // 11 nominates validator 1 with all its stake and 1 equivocates at 100%.
        assert_ok!(Witness::nominate(signed(11), bounded_vec![1]));
        start_era(1);
        set_params_with(|p| p.aura_slash = Perbill::from_percent(100));
        report_offence_in_era(1, 1, OffenceKind::AuraEquivocation);
        start_era(3);
        assert!(!Witnesses::<Test>::contains_key(11));
        let epoch = CommitteeEpoch::<Test>::get().unwrap();
        assert!(!committee(epoch, EventClass::Interaction).contains(&11));
        check_state();
    });
}
