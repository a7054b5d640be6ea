//! Governance parameters and the pallet's invariants.

use super::*;
use frame_support::assert_noop;
use sp_runtime::{DispatchError, Perbill};

#[test]
fn set_params_requires_governance() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::set_params(signed(1), test_params()),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn set_params_rejects_invalid_values() {
    new_test_ext().execute_with(|| {
        let cases: Vec<fn(&mut ParamsOf<Test>)> = vec![
            |p| p.validator_count = 0,
            |p| p.validator_count = 5,
            |p| p.committee_size = MAX_COMMITTEE + 1,
            |p| p.quorum = 1,           // 2M ≤ K
            |p| p.quorum = 4,           // M > K
            |p| p.slash_defer_eras = 3, // not below unbonding
            |p| p.unbonding_eras = 10,  // not below history depth
            |p| p.event_ttl = 0,
            |p| p.minimum_validator_count = 3,
            |p| p.reputation_base = 0, // no floor weight for a zero reputation
            |p| {
                // 50% × (1 + 100%): the fee floor would feed itself without end.
                p.witness_reward_share = Perbill::from_percent(50);
                p.event_fee_margin = Perbill::from_percent(100);
            },
        ];
        for change in cases {
            let mut params = test_params();
            change(&mut params);
            assert_noop!(
                Witness::set_params(RuntimeOrigin::root(), params),
                Error::<Test>::InvalidParams
            );
        }
    });
}

#[test]
fn set_params_refuses_a_slash_deferral_without_two_eras_of_slack() {
    new_test_ext().execute_with(|| {
        // The presets: 27 eras of deferral against 28 of unbonding.
        assert_noop!(
            Witness::set_params(
                RuntimeOrigin::root(),
                Params {
                    unbonding_eras: 8,
                    slash_defer_eras: 7,
                    ..test_params()
                }
            ),
            Error::<Test>::InvalidParams
        );
        assert_ok!(Witness::set_params(
            RuntimeOrigin::root(),
            Params {
                unbonding_eras: 8,
                slash_defer_eras: 6,
                ..test_params()
            }
        ));
    });
}

#[test]
fn set_params_changes_committee_size() {
    new_test_ext().execute_with(|| {
        set_params_with(|p| {
            p.committee_size = 1;
            p.quorum = 1;
        });
        next_block();
        assert_eq!(committee(0, EventClass::Engagement).len(), 1);
    });
}

#[test]
fn calls_fail_without_params() {
    new_test_ext().execute_with(|| {
        ActiveParams::<Test>::kill();
        assert_noop!(Witness::unbond(signed(1), 1), Error::<Test>::ParamsNotSet);
    });
}

#[test]
fn try_state_detects_a_wrong_total() {
    new_test_ext().execute_with(|| {
        TotalStaked::<Test>::put(1);
        assert!(Witness::do_try_state().is_err());
    });
}

#[test]
fn set_params_accepts_a_converging_fee_floor() {
    new_test_ext().execute_with(|| {
        // 49% × 200% = 98% < 100%.
        set_params_with(|p| {
            p.witness_reward_share = Perbill::from_percent(49);
            p.event_fee_margin = Perbill::from_percent(100);
        });
    });
}

#[test]
fn try_state_detects_points_that_differ_from_their_total() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        Witness::note_author(1);
        check_state();
        ErasTotalPoints::<Test>::mutate(0, |t| t.block += 1);
        assert!(Witness::do_try_state().is_err());
    });
}

#[test]
fn try_state_detects_an_inconsistent_payout_queue() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        Witness::note_author(1);
        start_era(1);
        check_state();
        // A queued era without points.
        ErasTotalPoints::<Test>::remove(0);
        assert!(Witness::do_try_state().is_err());
    });
    new_test_ext().execute_with(|| {
        // The next payout era after the active era.
        NextPayoutEra::<Test>::put(1);
        assert!(Witness::do_try_state().is_err());
    });
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        Witness::note_author(1);
        start_era(1);
        // An ended era with points that is not queued.
        PayoutQueue::<Test>::remove(0);
        assert!(Witness::do_try_state().is_err());
    });
}

#[test]
fn try_state_detects_epoch_gains_of_a_non_witness() {
    new_test_ext().execute_with(|| {
        EpochGains::<Test>::insert(
            5,
            EpochGain {
                epoch: 0,
                reputation: 1,
                points: 1,
            },
        );
        assert!(Witness::do_try_state().is_err());
    });
}

#[test]
fn set_params_rejects_zero_minimum_bonds() {
    new_test_ext().execute_with(|| {
        let cases: Vec<fn(&mut ParamsOf<Test>)> = vec![
            |p| p.min_validator_bond = 0,
            |p| p.min_nominator_bond = 0,
            |p| p.min_witness_stake = 0,
        ];
        for change in cases {
            let mut params = test_params();
            change(&mut params);
            assert_noop!(
                Witness::set_params(RuntimeOrigin::root(), params),
                Error::<Test>::InvalidParams
            );
        }
    });
}

#[test]
fn set_params_rejects_an_event_ttl_longer_than_an_epoch() {
    new_test_ext().execute_with(|| {
        // A committee is kept for its epoch and the next: an event must close within one.
        let mut params = test_params();
        params.event_ttl = EPOCH_LENGTH + 1;
        params.receipt_retention = EPOCH_LENGTH + 1;
        assert_noop!(
            Witness::set_params(RuntimeOrigin::root(), params),
            Error::<Test>::InvalidParams
        );
        set_params_with(|p| {
            p.event_ttl = EPOCH_LENGTH;
            p.receipt_retention = EPOCH_LENGTH;
        });
    });
}

#[test]
fn set_params_rejects_a_zero_receipt_retention() {
    new_test_ext().execute_with(|| {
        let mut params = test_params();
        params.receipt_retention = 0;
        assert_noop!(
            Witness::set_params(RuntimeOrigin::root(), params),
            Error::<Test>::InvalidParams
        );
    });
}

#[test]
fn set_params_rejects_a_receipt_retention_below_the_event_ttl() {
    new_test_ext().execute_with(|| {
        // A resolved event stays open for late votes until its ttl: its receipt, which
        // reserved its room in the store, must outlive it.
        let mut params = test_params();
        params.receipt_retention = params.event_ttl - 1;
        assert_noop!(
            Witness::set_params(RuntimeOrigin::root(), params),
            Error::<Test>::InvalidParams
        );
        set_params_with(|p| p.receipt_retention = p.event_ttl);
    });
}

#[test]
fn set_params_rejects_a_zero_event_fee() {
    new_test_ext().execute_with(|| {
        // Free events would make the caps free to hold and settled records free to
        // create.
        let mut params = test_params();
        params.event_fee = 0;
        assert_noop!(
            Witness::set_params(RuntimeOrigin::root(), params),
            Error::<Test>::InvalidParams
        );
    });
}

#[test]
fn try_state_detects_wrong_event_and_receipt_counts() {
    new_test_ext().execute_with(|| {
        next_block();
        assert_ok!(Witness::submit_event(
            signed(5),
            EventClass::Interaction,
            payload(1)
        ));
        check_state();
        let breakages: Vec<fn()> = vec![
            || PendingPerClass::<Test>::insert(EventClass::Interaction, 2),
            || PendingPerSubmitter::<Test>::remove(5),
            || PendingPerSubmitter::<Test>::insert(6, 1),
            || ReceiptsPerClass::<Test>::insert(EventClass::Interaction, 1),
            || EventQueueBounds::<Test>::put((0, 2)),
            || Settled::<Test>::insert(event_id(EventClass::Interaction, &payload(1)), ()),
        ];
        for breakage in breakages {
            frame_support::storage::with_transaction(|| {
                breakage();
                assert!(Witness::do_try_state().is_err());
                sp_runtime::TransactionOutcome::Rollback(Ok::<(), DispatchError>(()))
            })
            .unwrap();
            check_state();
        }
    });
}
