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
        assert_eq!(ErasPoints::<Test>::get(0, 1).block, 40);
        assert_eq!(
            ErasTotalPoints::<Test>::get(0),
            EraPoints {
                block: 60,
                attestation: 0
            }
        );
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
            // No witness earned points: the validator pool takes the whole payout.
            Event::EraPaid {
                era: 1,
                validator_reward: reward,
                witness_reward: 0,
                total_points: EraPoints {
                    block: 40,
                    attestation: 0,
                },
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

/// The `Rewarded` amounts of `era` paid to `who`.
fn rewarded(era: EraIndex, who: AccountId) -> Balance {
    witness_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Rewarded {
                who: w,
                era: e,
                amount,
            } if w == who && e == era => Some(amount),
            _ => None,
        })
        .sum()
}

/// The pre-existing bug: an era with no points burned the pot's fees and paid nothing.
/// The fees must stay in the pot and join the next era's payout.
#[test]
fn an_era_without_points_keeps_the_pot_for_the_next_era() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        assert_ok!(Balances::transfer_keep_alive(
            signed(9),
            Witness::pot_account(),
            1_000
        ));
        // Era 0 ends without a single point.
        start_era(1);
        assert_eq!(free(Witness::pot_account()), 1_000);
        check_state();
        // Era 1 has a block: its payout is inflation plus the carried fees (the pot
        // keeps its existential deposit).
        Witness::note_author(1);
        let issuance = Balances::total_issuance();
        let before = free(1);
        start_era(2);
        run_to_block(System::block_number() + 2);
        let inflation = Perbill::from_percent(10) * issuance / 100;
        assert_eq!(free(1) - before, inflation + 999);
        assert_eq!(free(Witness::pot_account()), 1);
        check_state();
    });
}

/// Item 3 of issue 20: committee members spamming cheap events used to take most of the
/// era payout from validators and nominators. Attestation points now split only the
/// witness pool (`witness_reward_share`, 20% in the tests).
#[test]
fn witness_spam_cannot_take_more_than_the_witness_pool() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        // 5 nominates validator 1; 1 and 2 author a block each in era 1.
        bond_and_nominate(5, 1_000, vec![1]);
        start_era(1);
        next_block();
        Witness::note_author(1);
        Witness::note_author(2);
        // Witnesses 11 and 12 vote through as many events as the class takes at once
        // (its pending share, 6), which sybils 6 and 7 submit.
        let ids: Vec<_> = (0..6).map(|n| submit(6 + u64::from(n % 2), n)).collect();
        vote_all(11, &ids, Verdict::Valid);
        vote_all(12, &ids, Verdict::Valid);
        start_era(2);
        run_to_block(System::block_number() + 5);
        assert!(PayoutQueue::<Test>::get(1).is_none());
        let stakers: Balance = [1, 2, 5].iter().map(|w| rewarded(1, *w)).sum();
        let witnesses: Balance = [11, 12, 13].iter().map(|w| rewarded(1, *w)).sum();
        let total = stakers + witnesses;
        assert!(total > 0);
        // Validators and nominators keep at least the validator pool (80%), up to the
        // rounding of a few shares.
        assert!(
            stakers + 3 >= Perbill::from_percent(80) * total,
            "stakers got {stakers} of {total}"
        );
        assert!(witnesses <= Perbill::from_percent(20) * total + 3);
        check_state();
    });
}

#[test]
fn era_payout_splits_into_validator_and_witness_pools() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        start_era(1);
        next_block();
        Witness::note_author(1);
        // 11 and 12 earn 5 attestation points each; the event fee (10) joins the pot.
        resolve_valid(submit(5, 1));
        let issuance = Balances::total_issuance();
        start_era(2);
        // Inflation plus the fee, less the pot's existential deposit kept back.
        let reward = Perbill::from_percent(10) * issuance / 100 + 9;
        let witness_reward = Perbill::from_percent(20) * reward;
        System::assert_has_event(
            Event::EraPaid {
                era: 1,
                validator_reward: reward - witness_reward,
                witness_reward,
                total_points: EraPoints {
                    block: 20,
                    attestation: 10,
                },
            }
            .into(),
        );
        assert_eq!(
            WitnessPointValue::<Test>::get(),
            Some(PointValue {
                pool: witness_reward,
                points: 10
            })
        );
        run_to_block(System::block_number() + 3);
        assert_eq!(rewarded(1, 1), reward - witness_reward);
        assert_eq!(rewarded(1, 11), witness_reward / 2);
        assert_eq!(rewarded(1, 12), witness_reward / 2);
        check_state();
    });
}

#[test]
fn the_fee_floor_prices_the_points_an_event_can_earn_and_fades_without_them() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        assert_eq!(Witness::points_value_fee_floor(), 0);
        WitnessPointValue::<Test>::put(PointValue {
            pool: 1_000,
            points: 100,
        });
        // 1,000 / 100 points × (K = 3) × 5 points = 150, plus the 50% margin.
        assert_eq!(Witness::points_value_fee_floor(), 225);
        next_block();
        let before = free(5);
        submit(5, 1);
        assert_eq!(before - free(5), 225);
        // An era with block points but no attestation points halves the value.
        Witness::note_author(1);
        start_era(1);
        assert_eq!(WitnessPointValue::<Test>::get().unwrap().pool, 500);
        assert_eq!(Witness::points_value_fee_floor(), 113);
        // A floor below the occupancy fee does not lower it: the fee is the larger of
        // the two. Event 1 still pending fills an eighth of the class's share (6), so the
        // occupancy fee is twice the event fee.
        WitnessPointValue::<Test>::put(PointValue {
            pool: 1,
            points: 100,
        });
        let occupancy =
            Witness::occupancy_fee(EventClass::Interaction, &Witness::params().unwrap());
        assert_eq!(occupancy, 20);
        assert!(Witness::points_value_fee_floor() < occupancy);
        let before = free(5);
        submit(5, 2);
        assert_eq!(before - free(5), occupancy);
    });
}
