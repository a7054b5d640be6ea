//! Deposits: key validation (rule 3), index assignment (rule 1), the queue's bounds and
//! minimum, and where the funds go.

use super::*;
use echonet_rollup_primitives::{babyjubjub::Point, tree::RESERVED_INDEX, Fr};
use frame_support::assert_noop;

fn deposit(who: AccountId, target: DepositTarget, amount: Balance) -> sp_runtime::DispatchResult {
    Bridge::deposit(signed(who), target, amount)
}

#[test]
fn a_deposit_locks_the_funds_and_queues_an_entry() {
    new_test_ext().execute_with(|| {
        Timestamp::set_timestamp(GENESIS_MS + 5);
        assert_ok!(deposit(
            ALICE,
            DepositTarget::NewAccount(packed_key(0)),
            5_000
        ));
        assert_eq!(free(ALICE), 1_000_000 - 5_000);
        assert_eq!(free(Bridge::account_id()), ED + 5_000);
        let entry = DepositQueue::<Test>::get(0).unwrap();
        let pk = fixture().keys[0].public().0;
        assert_eq!(
            entry,
            QueuedDeposit {
                depositor: ALICE,
                to: 0,
                new_account: Some(L2PublicKey {
                    x: verifier::fr_to_bytes(&pk.x),
                    y: verifier::fr_to_bytes(&pk.y),
                }),
                amount: 5_000,
                queued_at: GENESIS_MS + 5,
            }
        );
        assert_eq!(QueuedTotal::<Test>::get(), 5_000);
        assert!(bridge_events().contains(&Event::Deposited {
            seq: 0,
            depositor: ALICE,
            to: 0,
            amount: 5_000,
            creates: true
        }));
        check_state();
    });
}

#[test]
fn the_bridge_assigns_indices_and_credits_only_existing_ones() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            deposit(ALICE, DepositTarget::Existing(0), 100),
            Error::<Test>::UnknownL2Account
        );
        assert_ok!(deposit(
            ALICE,
            DepositTarget::NewAccount(packed_key(0)),
            100
        ));
        assert_ok!(deposit(BOB, DepositTarget::NewAccount(packed_key(1)), 100));
        assert_eq!(DepositQueue::<Test>::get(0).unwrap().to, 0);
        assert_eq!(DepositQueue::<Test>::get(1).unwrap().to, 1);
        assert_eq!(NextIndex::<Test>::get(), 2);
        // Index 1 exists (once its creation is consumed, in queue order); 2 does not.
        assert_ok!(deposit(3, DepositTarget::Existing(1), 100));
        assert_eq!(DepositQueue::<Test>::get(2).unwrap().to, 1);
        assert_noop!(
            deposit(3, DepositTarget::Existing(2), 100),
            Error::<Test>::UnknownL2Account
        );
        check_state();
    });
}

#[test]
fn creations_stop_before_the_reserved_index() {
    new_test_ext().execute_with(|| {
        NextIndex::<Test>::put(RESERVED_INDEX - 1);
        assert_ok!(deposit(
            ALICE,
            DepositTarget::NewAccount(packed_key(0)),
            100
        ));
        assert_eq!(DepositQueue::<Test>::get(0).unwrap().to, RESERVED_INDEX - 1);
        assert_eq!(NextIndex::<Test>::get(), RESERVED_INDEX);
        assert_noop!(
            deposit(BOB, DepositTarget::NewAccount(packed_key(1)), 100),
            Error::<Test>::L2AccountsExhausted
        );
        // The reserved index can never be credited either.
        assert_noop!(
            deposit(BOB, DepositTarget::Existing(RESERVED_INDEX), 100),
            Error::<Test>::UnknownL2Account
        );
    });
}

#[test]
fn invalid_new_account_keys_are_refused() {
    new_test_ext().execute_with(|| {
        let identity = Point::IDENTITY.compress();
        // (0, -1) has order 2: on the curve, outside the subgroup.
        let small_order = Point {
            x: Fr::from(0u64),
            y: -Fr::from(1u64),
        }
        .compress();
        // y = 2 has no x on the curve... or is not canonical: 0xff..ff.
        let mut bad = [0u8; 32];
        bad[0] = 2;
        let not_canonical = [0xff; 32];
        for key in [identity, small_order, bad, not_canonical] {
            if Point::decompress(&key).is_ok_and(|p| p != Point::IDENTITY && p.validate().is_ok()) {
                continue; // `bad` happened to be a valid point: not a refusal case
            }
            assert_noop!(
                deposit(ALICE, DepositTarget::NewAccount(key), 100),
                Error::<Test>::InvalidPublicKey
            );
        }
        // The identity decompresses, is on the curve and in the subgroup: only the
        // explicit check refuses it.
        let id = Point::decompress(&identity).unwrap();
        assert_eq!(id, Point::IDENTITY);
        assert!(id.validate().is_ok());
        assert_eq!(crate::deposits::validate_new_key(&identity), None);
    });
}

#[test]
fn the_queue_is_bounded_and_has_a_minimum() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            deposit(ALICE, DepositTarget::NewAccount(packed_key(0)), 99),
            Error::<Test>::BelowMinimumDeposit
        );
        for _ in 0..MAX_QUEUED {
            assert_ok!(deposit(
                ALICE,
                DepositTarget::NewAccount(packed_key(0)),
                100
            ));
        }
        assert_noop!(
            deposit(BOB, DepositTarget::NewAccount(packed_key(1)), 100),
            Error::<Test>::DepositQueueFull
        );
        assert_eq!(QueuedTotal::<Test>::get(), 100 * MAX_QUEUED as u128);
        check_state();
    });
}

#[test]
fn a_deposit_beyond_the_depositors_funds_fails_whole() {
    new_test_ext().execute_with(|| {
        assert!(deposit(50, DepositTarget::NewAccount(packed_key(0)), 100).is_err());
        assert_eq!(QueueTail::<Test>::get(), 0);
        assert_eq!(NextIndex::<Test>::get(), 0);
    });
}

#[test]
fn queued_deposits_are_refunded_only_in_exodus() {
    new_test_ext().execute_with(|| {
        assert_ok!(deposit(
            ALICE,
            DepositTarget::NewAccount(packed_key(0)),
            5_000
        ));
        assert_noop!(
            Bridge::refund_deposit(signed(9), 0),
            Error::<Test>::NotInExodus
        );
    });
}
