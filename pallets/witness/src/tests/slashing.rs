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
        // Deferred slash_defer_eras (1) after the offence's era.
        let slashes = UnappliedSlashes::<Test>::get(2);
        assert_eq!(slashes.len(), 1);
        assert_eq!(slashes[0].own, 100);
        assert_eq!(slashes[0].others.to_vec(), vec![(5, 40)]);
        // Not applied yet.
        assert_eq!(ledger(1).active, 1_000);
        // Queued when era 2 starts, applied in the next block.
        start_era(2);
        assert_eq!(ledger(1).active, 1_000);
        next_block();
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
        next_block();
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
            2,
            bounded_vec![0]
        ));
        assert!(UnappliedSlashes::<Test>::get(2).is_empty());
        start_era(3);
        next_block();
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
        next_block();
        assert!(!Witnesses::<Test>::contains_key(11));
        let epoch = CommitteeEpoch::<Test>::get().unwrap();
        assert!(!committee(epoch, EventClass::Interaction).contains(&11));
        check_state();
    });
}

/// Issue 20, item 1: right after era 1 is elected (CurrentEra 1, ActiveEra 0), validator 1
/// and its nominator 5 chill and unbond everything. 1 equivocates in the last session of
/// era 1 (session 5); the report lands `report_delay` eras later. Both try to withdraw at
/// every era; the slash (10% of the era-1 exposure: 100 of 1's 1,000 and 40 of 5's 400)
/// must still take their funds.
fn unbond_right_after_election_then_equivocate(report_delay: EraIndex) {
    bond_and_nominate(5, 400, vec![1]);
    rotate_session(1);
    rotate_session(2);
    assert_eq!(CurrentEra::<Test>::get(), 1);
    assert_eq!(Witness::active_era(), 0);
    for who in [1, 5] {
        assert_ok!(Witness::chill(signed(who)));
        assert_ok!(Witness::unbond(signed(who), 10_000));
    }
    let last_session_of_era_1 = 5;
    start_era(1 + report_delay);
    assert_ok!(Witness::report_offence(
        &1,
        last_session_of_era_1,
        OffenceKind::AuraEquivocation
    ));
    for era in (2 + report_delay)..=8 {
        start_era(era);
        next_block();
        for who in [1, 5] {
            let _ = Witness::withdraw_unbonded(signed(who));
        }
        check_state();
    }
    assert!(!Ledger::<Test>::contains_key(1) && !Ledger::<Test>::contains_key(5));
    assert_eq!(
        Balances::total_balance(&1),
        10_000 - 100,
        "the offender escaped its slash"
    );
    assert_eq!(
        Balances::total_balance(&5),
        10_000 - 40,
        "the nominator escaped its slash"
    );
}

#[test]
fn offender_unbonding_right_after_election_cannot_escape_a_report_in_the_next_era() {
    new_test_ext().execute_with(|| unbond_right_after_election_then_equivocate(1));
}

#[test]
fn offender_unbonding_right_after_election_cannot_escape_a_report_two_eras_late() {
    new_test_ext().execute_with(|| unbond_right_after_election_then_equivocate(2));
}

#[test]
fn slash_is_scheduled_from_the_offence_era_not_the_report_era() {
    new_test_ext().execute_with(|| {
        setup_nominated_validator();
        start_era(3);
        report_offence_in_era(1, 1, OffenceKind::AuraEquivocation);
        // Offence era 1 + slash_defer_eras has passed: the slash applies at the next era
        // start, not slash_defer_eras after the report.
        assert!(witness_events().contains(&Event::SlashDeferred {
            validator: 1,
            kind: OffenceKind::AuraEquivocation,
            offence_era: 1,
            apply_era: 4,
        }));
        check_state();
    });
}

#[test]
fn offence_past_the_slash_cap_still_disables_and_chills() {
    new_test_ext().execute_with(|| {
        setup_nominated_validator();
        let apply_era = 1 + test_params().slash_defer_eras;
        fill_slashes(apply_era);
        report_offence_in_era(1, 1, OffenceKind::AuraEquivocation);
        assert_eq!(Disabled::get(), vec![1]);
        assert!(!Validators::<Test>::contains_key(1));
        // The slash spilled into the next era, and lands there.
        let spilled = UnappliedSlashes::<Test>::get(apply_era + 1);
        assert_eq!(spilled.len(), 1);
        assert_eq!(spilled[0].validator, 1);
        start_era(apply_era + 1);
        run_to_block(System::block_number() + 4);
        assert_eq!(ledger(1).active, 900);
        assert_eq!(ledger(5).active, 360);
        check_state();
    });
}

/// Fills `era` with `MaxSlashesPerEra` slashes of accounts that are not bonded.
fn fill_slashes(era: EraIndex) {
    let max: u32 = <<Test as Config>::MaxSlashesPerEra as Get<u32>>::get();
    let slashes: Vec<_> = (0..max)
        .map(|i| UnappliedSlash {
            validator: 100 + u64::from(i),
            kind: OffenceKind::AuraEquivocation,
            offence_era: 1,
            own: 1,
            others: BoundedVec::new(),
        })
        .collect();
    UnappliedSlashes::<Test>::insert(era, BoundedVec::truncate_from(slashes));
}

#[test]
fn slashes_apply_in_chunks_and_withdrawals_wait_for_them() {
    new_test_ext().execute_with(|| {
        // Validator 1 backed by 5, 6 and 7: its slash touches four accounts, one more
        // than a block applies.
        for who in [5, 6, 7] {
            bond_and_nominate(who, 400, vec![1]);
        }
        start_era(1);
        // 7 unbonds now: its chunk unlocks at era 1 + unbonding_eras = 4.
        assert_ok!(Witness::chill(signed(7)));
        assert_ok!(Witness::unbond(signed(7), 400));
        // Eras 2 and 3 are full: 1's slash spills into era 4, the very era 7's chunk
        // unlocks.
        fill_slashes(2);
        fill_slashes(3);
        report_offence_in_era(1, 1, OffenceKind::AuraEquivocation);
        assert_eq!(UnappliedSlashes::<Test>::get(4).len(), 1);
        // The fillers of eras 2 and 3 are applied first.
        start_era(3);
        while Witness::slashes_pending() {
            next_block();
        }
        start_era(4);
        // The era started, the slash is due but not applied: 7 cannot withdraw yet.
        assert_noop!(
            Witness::withdraw_unbonded(signed(7)),
            Error::<Test>::SlashesPending
        );
        next_block();
        // The first block took 1, 5 and 6 (three accounts); 7 is still to come.
        assert_eq!(ledger(1).active, 900);
        assert_eq!(ledger(6).active, 360);
        assert_eq!(ledger(7).total, 400);
        assert_noop!(
            Witness::withdraw_unbonded(signed(7)),
            Error::<Test>::SlashesPending
        );
        check_state();
        next_block();
        assert_eq!(ledger(7).total, 360);
        assert!(!Witness::slashes_pending());
        assert_ok!(Witness::withdraw_unbonded(signed(7)));
        assert_eq!(Balances::total_balance(&7), 10_000 - 40);
        check_state();
    });
}

#[test]
fn grandpa_offence_over_several_eras_slashes_the_largest_exposure() {
    new_test_ext().execute_with(|| {
        // Era 1: 1 alone (1,000). Era 2: 1 backed by 5 (1,400). Era 3: 5 left (1,000).
        start_era(1);
        bond_and_nominate(5, 400, vec![1]);
        start_era(2);
        assert_ok!(Witness::chill(signed(5)));
        start_era(3);
        let first = ErasStartSessionIndex::<Test>::get(1).unwrap();
        let last = ErasStartSessionIndex::<Test>::get(3).unwrap();
        assert_ok!(Witness::report_offence_in_sessions(
            &1,
            first,
            last,
            OffenceKind::GrandpaEquivocation
        ));
        assert!(witness_events().contains(&Event::SlashDeferred {
            validator: 1,
            kind: OffenceKind::GrandpaEquivocation,
            offence_era: 2,
            apply_era: 4,
        }));
        // Another report of the same kind over the same sessions (another round of the
        // same set id) is the same offence.
        assert_noop!(
            Witness::report_offence_in_sessions(&1, first, last, OffenceKind::GrandpaEquivocation),
            Error::<Test>::DuplicateOffence
        );
        check_state();
    });
}
