//! Rewards: era points, era payouts split by points, commission and exposure, payouts
//! bounded per block, and the fee share to the pot.

use super::*;
use frame_support::assert_ok;
use sp_runtime::Perbill;

#[test]
fn era_points_come_from_authored_blocks() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        Witness::note_author(1);
        Witness::note_author(1);
        Witness::note_author(2);
        assert_eq!(ErasPoints::<Test>::get(0, 1), 40);
        assert_eq!(ErasTotalPoints::<Test>::get(0), 60);
    });
}

#[test]
fn era_payout_splits_by_points_commission_and_exposure() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        // Era 1: validators 3 (commission 10%, nominated by 5) and 1.
        bond_and_validate(3, 500, Perbill::from_percent(10));
        bond_and_nominate(5, 600, vec![3]);
        start_era(1);
        assert_eq!(ErasValidators::<Test>::get(1).into_inner(), vec![3, 1]);
        Witness::note_author(3);
        Witness::note_author(1);
        // Fees in the pot join the payout.
        assert_ok!(Balances::transfer_keep_alive(
            signed(9),
            Witness::pot_account(),
            1_000
        ));
        let issuance = Balances::total_issuance();
        let (free3, free5, free1) = (free(3), free(5), free(1));
        start_era(2);
        // 10% / 100 eras of issuance, plus 999 of fees (the pot keeps its ED).
        let reward = Perbill::from_percent(10) * issuance / 100 + 999;
        System::assert_has_event(
            Event::EraPaid {
                era: 1,
                reward,
                total_points: 40,
            }
            .into(),
        );
        // Payouts happen in blocks.
        run_to_block(System::block_number() + 3);
        let half = reward / 2;
        let commission = Perbill::from_percent(10) * half;
        let rest = half - commission;
        // 3's exposure: own 500 of 1,100; 5 backs it with 600.
        assert_eq!(
            free(3) - free3,
            commission + Perbill::from_rational(500u32, 1_100) * rest
        );
        assert_eq!(
            free(5) - free5,
            Perbill::from_rational(600u32, 1_100) * rest
        );
        assert_eq!(free(1) - free1, half);
        assert!(PayoutQueue::<Test>::get(1).is_none());
    });
}

#[test]
fn payouts_are_bounded_per_block() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        start_era(1);
        for who in [1, 2, 11, 12, 13] {
            Witness::note_author(who);
        }
        start_era(2);
        assert!(PayoutQueue::<Test>::get(1).is_some());
        next_block();
        // Two of five paid (MaxPayoutsPerBlock = 2).
        assert_eq!(ErasPoints::<Test>::iter_prefix(1).count(), 3);
        next_block();
        next_block();
        assert_eq!(ErasPoints::<Test>::iter_prefix(1).count(), 0);
        assert!(PayoutQueue::<Test>::get(1).is_none());
    });
}

#[test]
fn fee_share_goes_to_the_pot_and_the_rest_is_burned() {
    new_test_ext().execute_with(|| {
        use frame_support::traits::{fungible::Balanced, OnUnbalanced};
        frame_support::parameter_types! {
            pub const Share: Perbill = Perbill::from_percent(20);
        }
        let issuance = Balances::total_issuance();
        let credit = <Balances as Balanced<AccountId>>::withdraw(
            &9,
            1_000,
            frame_support::traits::tokens::Precision::Exact,
            frame_support::traits::tokens::Preservation::Preserve,
            frame_support::traits::tokens::Fortitude::Polite,
        )
        .unwrap();
        FeeShareToPot::<Test, Share>::on_unbalanced(credit);
        assert_eq!(free(Witness::pot_account()), 200);
        assert_eq!(Balances::total_issuance(), issuance - 800);
    });
}
