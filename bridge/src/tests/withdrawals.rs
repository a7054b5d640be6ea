//! Claims: a verified withdrawal is paid once, to its recipient.

use super::*;
use frame_support::assert_noop;

#[test]
fn a_withdrawal_is_paid_once_to_its_recipient() {
    new_test_ext().execute_with(|| {
        run_batches(3);
        let before = free(RECIPIENT);
        let bridge_before = free(Bridge::account_id());
        // Anyone may claim; the money goes to the recipient.
        assert_ok!(Bridge::claim_withdrawal(signed(9), 3, 0));
        assert_eq!(free(RECIPIENT), before + WITHDRAWAL);
        assert_eq!(free(Bridge::account_id()), bridge_before - WITHDRAWAL);
        assert_eq!(UnclaimedTotal::<Test>::get(), 0);
        assert!(bridge_events().contains(&Event::WithdrawalClaimed {
            batch_number: 3,
            position: 0,
            recipient: RECIPIENT,
            amount: WITHDRAWAL
        }));
        check_state();
        // A second claim is refused and changes nothing.
        assert_noop!(
            Bridge::claim_withdrawal(signed(9), 3, 0),
            Error::<Test>::WithdrawalNotFound
        );
        assert_noop!(
            Bridge::claim_withdrawal(signed(9), 3, 1),
            Error::<Test>::WithdrawalNotFound
        );
        // End to end on L1: Alice and Bob locked 8,000; 2,000 came out to account 7; the
        // bridge holds the rest, which is exactly the L2 balances.
        assert_eq!(
            free(Bridge::account_id()),
            ED + FINAL_BALANCE_0 + FINAL_BALANCE_1
        );
        assert_eq!(free(ALICE), 1_000_000 - DEPOSIT_A);
        assert_eq!(free(BOB), 1_000_000 - DEPOSIT_B);
    });
}
