//! Exodus: the timeouts measured in time, the freeze, exits against the last verified root
//! and refunds of the deposits no batch consumed.

use super::*;
use echonet_rollup_primitives::exit::sign_exit;
use frame_support::assert_noop;

fn trigger() -> sp_runtime::DispatchResult {
    Bridge::trigger_exodus(signed(9))
}

#[test]
fn the_deposit_timeout_opens_exodus_after_it_has_passed() {
    new_test_ext().execute_with(|| {
        // Nothing queued, no batch yet: nothing can time out.
        advance_time(10 * test_params().batch_timeout_ms);
        assert_noop!(trigger(), Error::<Test>::ExodusNotDue);
        assert_ok!(Bridge::deposit(
            signed(ALICE),
            DepositTarget::NewAccount(packed_key(0)),
            DEPOSIT_A
        ));
        // Exactly the timeout is not longer than it.
        advance_time(test_params().deposit_timeout_ms);
        assert_noop!(trigger(), Error::<Test>::ExodusNotDue);
        advance_time(1);
        assert_ok!(trigger());
        let now = pallet_timestamp::Now::<Test>::get();
        assert_eq!(
            Exodus::<Test>::get(),
            Some((now, ExodusReason::DepositTimeout))
        );
        assert!(bridge_events().contains(&Event::ExodusTriggered {
            reason: ExodusReason::DepositTimeout,
            at: now
        }));
        assert_noop!(trigger(), Error::<Test>::ExodusActive);
    });
}

#[test]
fn a_consumed_deposit_no_longer_counts_for_the_timeout() {
    new_test_ext().execute_with(|| {
        configure();
        queue_scenario_deposits();
        advance_time(test_params().deposit_timeout_ms);
        assert_ok!(Submission::batch(1).submit());
        assert_ok!(Submission::batch(2).submit());
        advance_time(test_params().deposit_timeout_ms + 1);
        assert_noop!(trigger(), Error::<Test>::ExodusNotDue);
    });
}

#[test]
fn the_batch_timeout_counts_from_the_last_batch() {
    new_test_ext().execute_with(|| {
        run_batches(2);
        advance_time(test_params().batch_timeout_ms);
        assert_noop!(trigger(), Error::<Test>::ExodusNotDue);
        // A batch restarts the clock.
        assert_ok!(Submission::batch(3).submit());
        advance_time(test_params().batch_timeout_ms);
        assert_noop!(trigger(), Error::<Test>::ExodusNotDue);
        advance_time(1);
        assert_ok!(trigger());
        assert_eq!(
            Exodus::<Test>::get().map(|(_, r)| r),
            Some(ExodusReason::BatchTimeout)
        );
    });
}

/// Batches 1 and 2 applied, a deposit queued after them, then exodus by batch timeout.
fn frozen_after_two_batches() {
    run_batches(2);
    assert_ok!(Bridge::deposit(signed(3), DepositTarget::Existing(1), 700));
    Exodus::<Test>::put((
        pallet_timestamp::Now::<Test>::get(),
        ExodusReason::BatchTimeout,
    ));
}

#[test]
fn exodus_freezes_batches_and_deposits() {
    new_test_ext().execute_with(|| {
        frozen_after_two_batches();
        assert_noop!(Submission::batch(3).submit(), Error::<Test>::ExodusActive);
        assert_noop!(
            Bridge::deposit(signed(ALICE), DepositTarget::Existing(0), 100),
            Error::<Test>::ExodusActive
        );
    });
}

/// The exit call for L2 account `index` of the tree after batch `after`, to `to`.
fn exit_call(after: usize, index: u32, to: AccountId) -> sp_runtime::DispatchResult {
    let f = fixture();
    let tree = &f.trees[after];
    let account = *tree.get(index).unwrap();
    let siblings: Vec<FieldBytes> = tree
        .proof(index)
        .unwrap()
        .siblings
        .iter()
        .map(verifier::fr_to_bytes)
        .collect();
    let sig = sign_exit(
        &f.keys[index as usize],
        CHAIN_ID,
        Bridge::rollup_instance().unwrap(),
        index,
        &recipient(to),
    );
    Bridge::exit(
        signed(9),
        index,
        ExitLeaf {
            public_key: account.pubkey.0.compress(),
            balance: account.balance,
            nonce: account.nonce,
        },
        siblings.try_into().unwrap(),
        to,
        sig.to_bytes(),
    )
}

#[test]
fn every_account_exits_with_exactly_its_balance_and_deposits_are_refunded() {
    new_test_ext().execute_with(|| {
        run_batches(3);
        assert_ok!(Bridge::deposit(signed(3), DepositTarget::Existing(1), 700));
        advance_time(test_params().batch_timeout_ms + 1);
        assert_noop!(exit_call(3, 0, 8), Error::<Test>::NotInExodus);
        assert_ok!(trigger());

        let (b8, b9, b3) = (free(8), free(9), free(3));
        assert_ok!(exit_call(3, 0, 8));
        assert_ok!(exit_call(3, 1, 9));
        assert_eq!(free(8), b8 + FINAL_BALANCE_0);
        assert_eq!(free(9), b9 + FINAL_BALANCE_1);
        assert_eq!(L2Total::<Test>::get(), 0);
        assert!(bridge_events().contains(&Event::Exited {
            index: 0,
            recipient: 8,
            amount: FINAL_BALANCE_0
        }));
        check_state();

        // The deposit no batch consumed goes back to its depositor, once.
        assert_ok!(Bridge::refund_deposit(signed(9), 2));
        assert_eq!(free(3), b3 + 700);
        assert_noop!(
            Bridge::refund_deposit(signed(9), 2),
            Error::<Test>::DepositNotFound
        );
        // The unclaimed withdrawal stays claimable, and then the bridge is empty but for
        // its existential deposit.
        assert_ok!(Bridge::claim_withdrawal(signed(9), 3, 0));
        assert_eq!(free(Bridge::account_id()), ED);
        check_state();
    });
}

#[test]
fn an_account_exits_only_once() {
    new_test_ext().execute_with(|| {
        frozen_after_two_batches();
        assert_ok!(exit_call(2, 1, 8));
        assert_noop!(exit_call(2, 1, 8), Error::<Test>::AlreadyExited);
        assert_noop!(exit_call(2, 1, 9), Error::<Test>::AlreadyExited);
    });
}

#[test]
fn an_exit_against_an_older_root_is_refused() {
    new_test_ext().execute_with(|| {
        frozen_after_two_batches();
        // Account 0 after batch 1 had all of Alice's deposit; the last root says less.
        assert_noop!(exit_call(1, 0, 8), Error::<Test>::ExitNotInTree);
        assert_ok!(exit_call(2, 0, 8));
    });
}

#[test]
fn an_exit_needs_the_account_keys_signature_for_its_recipient() {
    new_test_ext().execute_with(|| {
        frozen_after_two_batches();
        let f = fixture();
        let tree = &f.trees[2];
        let account = *tree.get(0).unwrap();
        let siblings: Vec<FieldBytes> = tree
            .proof(0)
            .unwrap()
            .siblings
            .iter()
            .map(verifier::fr_to_bytes)
            .collect();
        let leaf = ExitLeaf {
            public_key: account.pubkey.0.compress(),
            balance: account.balance,
            nonce: account.nonce,
        };
        let instance = Bridge::rollup_instance().unwrap();
        let call = |siblings: Vec<FieldBytes>, to: AccountId, sig: [u8; 64]| {
            Bridge::exit(
                signed(9),
                0,
                leaf.clone(),
                siblings.try_into().unwrap(),
                to,
                sig,
            )
        };
        // Signed for recipient 8, submitted for 9 (a relayer redirecting the funds).
        let sig = sign_exit(&f.keys[0], CHAIN_ID, instance, 0, &recipient(8)).to_bytes();
        assert_noop!(
            call(siblings.clone(), 9, sig),
            Error::<Test>::ExitSignatureInvalid
        );
        // Signed by another key, or for another rollup instance.
        let other = sign_exit(&f.keys[1], CHAIN_ID, instance, 0, &recipient(8)).to_bytes();
        assert_noop!(
            call(siblings.clone(), 8, other),
            Error::<Test>::ExitSignatureInvalid
        );
        let other = sign_exit(&f.keys[0], CHAIN_ID, instance ^ 1, 0, &recipient(8)).to_bytes();
        assert_noop!(
            call(siblings.clone(), 8, other),
            Error::<Test>::ExitSignatureInvalid
        );
        // A short path, a non-canonical sibling.
        assert_noop!(
            call(siblings[..23].to_vec(), 8, sig),
            Error::<Test>::MalformedExit
        );
        let mut bad = siblings.clone();
        bad[3] = [0xff; 32];
        assert_noop!(call(bad, 8, sig), Error::<Test>::MalformedExit);
        assert_ok!(call(siblings, 8, sig));
    });
}
