//! Squatting: the candidate, nominator and witness sets are bounded (`MaxCandidates`,
//! `MaxNominators`, `MaxWitnesses`). Once one is full, a newcomer with a strictly larger
//! active bond takes the place of the member with the smallest one, so that minimum bonds
//! cannot lock larger stakers out.

use super::*;
use frame_support::{assert_noop, assert_ok, traits::fungible::Mutate};
use sp_runtime::{bounded_vec, Perbill};

/// Gives `who` 10,000 to bond with (the mock funds only accounts 1 to 20).
fn fund(who: AccountId) {
    Balances::set_balance(&who, 10_000);
}

#[test]
fn a_larger_bond_evicts_the_smallest_candidate_from_a_full_set() {
    new_test_ext().execute_with(|| {
        // 1 and 2 validate with 1,000; six squatters fill the set with the minimum.
        for who in 3..=8 {
            bond_and_validate(who, 100, Perbill::zero());
        }
        assert_eq!(Validators::<Test>::count(), 8);
        // An equal bond does not evict: the incumbent keeps its place.
        assert_ok!(Witness::bond(signed(9), 100));
        assert_noop!(
            Witness::validate(signed(9), Perbill::zero()),
            Error::<Test>::TooManyCandidates
        );
        // One more evicts the smallest (ties: the lowest account).
        assert_ok!(Witness::bond_extra(signed(9), 1));
        assert_ok!(Witness::validate(signed(9), Perbill::zero()));
        assert!(Validators::<Test>::contains_key(9));
        assert!(!Validators::<Test>::contains_key(3));
        assert_eq!(Validators::<Test>::count(), 8);
        System::assert_has_event(
            Event::Evicted {
                set: StakerSet::Candidates,
                who: 3,
                by: 9,
            }
            .into(),
        );
        // The evicted account's funds stay bonded, and it may unbond all of them.
        assert_eq!(ledger(3).active, 100);
        assert_eq!(held(3), 100);
        assert_ok!(Witness::unbond(signed(3), 100));
        check_state();
    });
}

#[test]
fn a_larger_bond_evicts_the_smallest_nominator_from_a_full_set() {
    new_test_ext().execute_with(|| {
        for who in 3..=10 {
            bond_and_nominate(who, 10, vec![1]);
        }
        assert_ok!(Witness::bond(signed(14), 10));
        assert_noop!(
            Witness::nominate(signed(14), bounded_vec![1]),
            Error::<Test>::TooManyNominators
        );
        assert_ok!(Witness::bond_extra(signed(14), 1));
        assert_ok!(Witness::nominate(signed(14), bounded_vec![2]));
        assert!(Nominators::<Test>::contains_key(14));
        assert!(!Nominators::<Test>::contains_key(3));
        assert_eq!(Nominators::<Test>::count(), 8);
        System::assert_has_event(
            Event::Evicted {
                set: StakerSet::Nominators,
                who: 3,
                by: 14,
            }
            .into(),
        );
        assert_eq!(ledger(3).active, 10);
        assert_ok!(Witness::unbond(signed(3), 10));
        check_state();
    });
}

#[test]
fn a_larger_bond_evicts_the_smallest_witness_from_a_full_set() {
    new_test_ext().execute_with(|| {
        // 11, 12 and 13 witness with 500; thirteen squatters fill the set with the minimum.
        let squatters: Vec<AccountId> = (3..=10).chain(14..=18).collect();
        for &who in &squatters {
            bond_and_register_witness(who, 50, EventClass::Interaction);
        }
        assert_eq!(Witnesses::<Test>::count(), 16);
        fund(30);
        assert_ok!(Witness::bond(signed(30), 50));
        let classes: BoundedVec<EventClass, MaxEventClasses> = bounded_vec![EventClass::Engagement];
        assert_noop!(
            Witness::register_witness(signed(30), classes.clone()),
            Error::<Test>::TooManyWitnesses
        );
        assert_ok!(Witness::bond_extra(signed(30), 1));
        assert_ok!(Witness::register_witness(signed(30), classes));
        assert!(Witnesses::<Test>::contains_key(30));
        assert!(!Witnesses::<Test>::contains_key(3));
        assert_eq!(Witnesses::<Test>::count(), 16);
        System::assert_has_event(
            Event::Evicted {
                set: StakerSet::Witnesses,
                who: 3,
                by: 30,
            }
            .into(),
        );
        assert_ok!(Witness::unbond(signed(3), 50));
        check_state();
    });
}

#[test]
fn an_evicted_validator_keeps_validating_the_era_it_was_elected_for() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        start_era(1);
        assert_eq!(ErasValidators::<Test>::get(1).into_inner(), vec![1, 2]);
        // Six larger candidates fill the set; 9 outbids 1 and 2 and evicts 1.
        for who in 3..=8 {
            bond_and_validate(who, 2_000, Perbill::zero());
        }
        bond_and_validate(9, 1_500, Perbill::zero());
        assert!(!Validators::<Test>::contains_key(1));
        System::assert_has_event(
            Event::Evicted {
                set: StakerSet::Candidates,
                who: 1,
                by: 9,
            }
            .into(),
        );
        // Era 1 is unchanged: 1 keeps its exposure, authors and earns points.
        assert!(ErasStakers::<Test>::get(1, 1).is_some());
        Witness::note_author(1);
        assert_eq!(ErasPoints::<Test>::get(1, 1).block, 20);
        let before = free(1);
        // The next election leaves it out; it is paid for era 1.
        start_era(2);
        assert!(!ErasValidators::<Test>::get(2).contains(&1));
        run_to_block(System::block_number() + 3);
        assert!(free(1) > before);
        // Still bonded, and free to unbond.
        assert_eq!(ledger(1).active, 1_000);
        assert_ok!(Witness::unbond(signed(1), 1_000));
        check_state();
    });
}

#[test]
fn an_elected_candidate_counts_its_backing_not_only_its_own_bond() {
    new_test_ext().execute_with(|| {
        // 1 (own 1,000) is backed by 5 with 3,000: its exposure in era 1 is 4,000.
        bond_and_nominate(5, 3_000, vec![1]);
        start_era(1);
        assert_eq!(
            ErasStakers::<Test>::get(1, 1).expect("elected").total,
            4_000
        );
        for who in 3..=4 {
            bond_and_validate(who, 2_000, Perbill::zero());
        }
        for who in 6..=9 {
            bond_and_validate(who, 2_000, Perbill::zero());
        }
        // 10 with 1,500 outbids 2 (1,000 in all), not 1.
        bond_and_validate(10, 1_500, Perbill::zero());
        assert!(Validators::<Test>::contains_key(1));
        assert!(!Validators::<Test>::contains_key(2));
        check_state();
    });
}
