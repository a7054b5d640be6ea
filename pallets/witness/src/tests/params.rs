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
