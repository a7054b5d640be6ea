//! Tests of pallet-reputation: decay, reports, snapshots, governance and reaping.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchError;

const ALICE: u64 = 1;
const BOB: u64 = 2;

fn reward(who: u64, points: Score) {
    <Reputation as ReputationHandler<u64>>::reward(&who, Role::Witness, points);
}

fn penalize(who: u64, points: Score) {
    <Reputation as ReputationHandler<u64>>::penalize(&who, Role::Witness, points);
}

fn score(who: u64) -> Score {
    <Reputation as ReputationScores<u64>>::score(&who, Role::Witness)
}

fn snapshot_score(who: u64) -> Score {
    <Reputation as ReputationScores<u64>>::snapshot_score(&who, Role::Witness)
}

fn take_snapshot() {
    <Reputation as ReputationScores<u64>>::take_snapshot();
}

#[test]
fn decay_halves_per_half_life() {
    assert_eq!(decay(1_000, 0, 100), 1_000);
    assert_eq!(decay(1_000, 100, 100), 500);
    assert_eq!(decay(1_000, 200, 100), 250);
    assert_eq!(decay(1_000, 6_400, 100), 0);
    assert_eq!(decay(u64::MAX, 64 * 100, 100), 0);
    assert_eq!(decay(0, 50, 100), 0);
}

#[test]
fn decay_between_half_lives_follows_the_exponential() {
    // Half a half-life: 1/sqrt(2) = 0.70710678...
    assert_eq!(decay(1_000_000, 50, 100), 707_106);
    // A quarter: 2^(-1/4) = 0.84089641...
    assert_eq!(decay(1_000_000, 25, 100), 840_896);
    // Against f64 at many points, within one part in a million.
    for elapsed in [1u64, 7, 33, 99, 101, 150, 377, 999] {
        let exact = 1e12 * 2f64.powf(-(elapsed as f64) / 100.0);
        let got = decay(1_000_000_000_000, elapsed, 100) as f64;
        assert!(
            (exact - got).abs() / exact < 1e-6,
            "elapsed {elapsed}: {got} vs {exact}"
        );
    }
}

#[test]
fn decay_is_monotonic_in_time() {
    let mut last = u64::MAX;
    for elapsed in 0..400 {
        let value = decay(1_000_000, elapsed, 37);
        assert!(value <= last);
        last = value;
    }
}

#[test]
fn reward_adds_and_reads_decayed() {
    new_test_ext().execute_with(|| {
        reward(ALICE, 1_000);
        assert_eq!(score(ALICE), 1_000);
        run_to(1 + HALF_LIFE);
        assert_eq!(score(ALICE), 500);
        reward(ALICE, 100);
        assert_eq!(score(ALICE), 600);
        // Other roles and accounts are separate.
        assert_eq!(score(BOB), 0);
        assert_eq!(
            <Reputation as ReputationScores<u64>>::score(&ALICE, Role::Validator),
            0
        );
    });
}

#[test]
fn penalize_saturates_at_zero() {
    new_test_ext().execute_with(|| {
        reward(ALICE, 100);
        penalize(ALICE, 30);
        assert_eq!(score(ALICE), 70);
        penalize(ALICE, 1_000);
        assert_eq!(score(ALICE), 0);
        // Penalizing an unknown account creates a zero record, nothing below zero.
        penalize(BOB, 5);
        assert_eq!(score(BOB), 0);
    });
}

#[test]
fn scores_are_capped() {
    new_test_ext().execute_with(|| {
        reward(ALICE, MAX_SCORE + 5);
        assert_eq!(score(ALICE), MAX_SCORE);
        reward(ALICE, u64::MAX);
        assert_eq!(score(ALICE), MAX_SCORE);
        // Lowering the cap applies to existing records on read.
        assert_ok!(Reputation::set_max_score(RuntimeOrigin::root(), 10));
        assert_eq!(score(ALICE), 10);
    });
}

#[test]
fn snapshot_reads_the_score_at_the_snapshot_point() {
    new_test_ext().execute_with(|| {
        reward(ALICE, 1_000);
        run_to(1 + HALF_LIFE);
        take_snapshot();
        // Not written since: decayed to the snapshot block.
        assert_eq!(snapshot_score(ALICE), 500);
        // Writes after the point do not move the snapshot.
        reward(ALICE, 10_000);
        assert_eq!(score(ALICE), 10_500);
        assert_eq!(snapshot_score(ALICE), 500);
        run_to(1 + 2 * HALF_LIFE);
        assert_eq!(snapshot_score(ALICE), 500);
        // The next point sees the newer value, decayed to it.
        take_snapshot();
        assert_eq!(snapshot_score(ALICE), 5_250);
    });
}

#[test]
fn snapshot_of_a_record_created_after_the_point_is_zero() {
    new_test_ext().execute_with(|| {
        take_snapshot();
        reward(BOB, 700);
        assert_eq!(snapshot_score(BOB), 0);
        take_snapshot();
        assert_eq!(snapshot_score(BOB), 700);
    });
}

#[test]
fn take_snapshot_records_the_point_and_emits() {
    new_test_ext().execute_with(|| {
        run_to(42);
        take_snapshot();
        assert_eq!(
            CurrentSnapshot::<Test>::get(),
            SnapshotPoint { index: 1, at: 42 }
        );
        System::assert_last_event(Event::SnapshotTaken { index: 1, at: 42 }.into());
    });
}

#[test]
fn set_half_life_changes_decay() {
    new_test_ext().execute_with(|| {
        assert_ok!(Reputation::set_half_life(RuntimeOrigin::root(), 10));
        System::assert_last_event(Event::HalfLifeSet { half_life: 10 }.into());
        reward(ALICE, 1_000);
        run_to(11);
        assert_eq!(score(ALICE), 500);
    });
}

#[test]
fn set_half_life_requires_governance() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Reputation::set_half_life(RuntimeOrigin::signed(ALICE), 10),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn set_half_life_rejects_zero() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Reputation::set_half_life(RuntimeOrigin::root(), 0),
            Error::<Test>::ZeroHalfLife
        );
    });
}

#[test]
fn set_max_score_requires_governance() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Reputation::set_max_score(RuntimeOrigin::signed(ALICE), 10),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn set_max_score_rejects_zero() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Reputation::set_max_score(RuntimeOrigin::root(), 0),
            Error::<Test>::ZeroMaxScore
        );
    });
}

#[test]
fn set_max_score_sets_and_emits() {
    new_test_ext().execute_with(|| {
        assert_ok!(Reputation::set_max_score(RuntimeOrigin::root(), 77));
        assert_eq!(MaxScore::<Test>::get(), 77);
        System::assert_last_event(Event::MaxScoreSet { max_score: 77 }.into());
    });
}

#[test]
fn reap_removes_a_decayed_record() {
    new_test_ext().execute_with(|| {
        reward(ALICE, 1_000);
        run_to(1 + 64 * HALF_LIFE);
        take_snapshot();
        assert_ok!(Reputation::reap(
            RuntimeOrigin::signed(BOB),
            ALICE,
            Role::Witness
        ));
        assert!(Scores::<Test>::get(ALICE, Role::Witness).is_none());
        System::assert_last_event(
            Event::Reaped {
                who: ALICE,
                role: Role::Witness,
            }
            .into(),
        );
    });
}

#[test]
fn reap_requires_a_signed_origin() {
    new_test_ext().execute_with(|| {
        penalize(ALICE, 1);
        assert_noop!(
            Reputation::reap(RuntimeOrigin::none(), ALICE, Role::Witness),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn reap_fails_without_a_record() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Reputation::reap(RuntimeOrigin::signed(BOB), ALICE, Role::Witness),
            Error::<Test>::NoSuchRecord
        );
    });
}

#[test]
fn reap_fails_while_the_score_is_not_zero() {
    new_test_ext().execute_with(|| {
        reward(ALICE, 1_000);
        assert_noop!(
            Reputation::reap(RuntimeOrigin::signed(BOB), ALICE, Role::Witness),
            Error::<Test>::ScoreNotZero
        );
    });
}

#[test]
fn reap_fails_while_the_snapshot_score_is_not_zero() {
    new_test_ext().execute_with(|| {
        reward(ALICE, 1_000);
        take_snapshot();
        // Now zero, but selection still reads 1,000 this era.
        penalize(ALICE, 1_000);
        assert_eq!(score(ALICE), 0);
        assert_noop!(
            Reputation::reap(RuntimeOrigin::signed(BOB), ALICE, Role::Witness),
            Error::<Test>::ScoreNotZero
        );
    });
}

#[test]
fn try_state_holds_after_activity() {
    new_test_ext().execute_with(|| {
        reward(ALICE, 10);
        take_snapshot();
        penalize(BOB, 3);
        run_to(500);
        reward(ALICE, 1);
        assert_ok!(Reputation::do_try_state());
    });
}

#[test]
fn try_state_catches_a_record_from_the_future() {
    new_test_ext().execute_with(|| {
        Scores::<Test>::insert(
            ALICE,
            Role::Witness,
            ScoreRecord {
                value: 1,
                updated_at: 99,
                snapshot_index: 0,
                snapshot_value: 0,
            },
        );
        assert!(Reputation::do_try_state().is_err());
    });
}
