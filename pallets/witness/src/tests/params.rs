//! Governance parameters and the pallet's invariants.

use super::*;
use frame_support::assert_noop;
use sp_runtime::DispatchError;

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
