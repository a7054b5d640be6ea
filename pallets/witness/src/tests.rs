//! Tests of pallet-witness: one group per flow (bonding, intentions, elections, rewards,
//! slashing, committees, events, parameters), with a failing case for every check.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use pallet_reputation::ReputationScores;
use sp_runtime::{bounded_vec, DispatchError, Perbill};

fn signed(who: AccountId) -> RuntimeOrigin {
    RuntimeOrigin::signed(who)
}

fn ledger(who: AccountId) -> LedgerOf<Test> {
    Ledger::<Test>::get(who).expect("bonded")
}

fn held(who: AccountId) -> Balance {
    Balances::balance_on_hold(&HoldReason::Staking.into(), &who)
}

fn free(who: AccountId) -> Balance {
    Balances::free_balance(who)
}

fn payload(n: u8) -> H256 {
    H256::repeat_byte(n)
}

fn check_state() {
    assert_ok!(Witness::do_try_state());
}

// ------------------------------------------------------------------ genesis

#[test]
fn genesis_bonds_stakers_and_elects_era_zero() {
    new_test_ext().execute_with(|| {
        assert_eq!(ledger(1).active, 1_000);
        assert_eq!(held(1), 1_000);
        assert_eq!(TotalStaked::<Test>::get(), 3_500);
        assert_eq!(ErasValidators::<Test>::get(0).into_inner(), vec![1, 2]);
        assert_eq!(Witness::active_era(), 0);
        assert_eq!(
            <Witness as pallet_session::SessionManager<AccountId>>::new_session_genesis(0),
            Some(vec![1, 2])
        );
        check_state();
    });
}

// ------------------------------------------------------------------ bonding

#[test]
fn bond_holds_funds() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 300));
        assert_eq!(ledger(5).active, 300);
        assert_eq!(held(5), 300);
        assert_eq!(free(5), 9_700);
        assert_eq!(TotalStaked::<Test>::get(), 3_800);
        System::assert_last_event(
            Event::Bonded {
                who: 5,
                amount: 300,
            }
            .into(),
        );
        check_state();
    });
}

#[test]
fn bond_fails_when_already_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::bond(signed(1), 10), Error::<Test>::AlreadyBonded);
    });
}

#[test]
fn bond_fails_for_zero() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::bond(signed(5), 0), Error::<Test>::ZeroAmount);
    });
}

#[test]
fn bond_fails_beyond_free_balance() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::bond(signed(5), 20_000),
            Error::<Test>::InsufficientBalance
        );
    });
}

#[test]
fn bond_requires_a_signed_origin() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::bond(RuntimeOrigin::none(), 10),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn bond_extra_adds_to_active() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond_extra(signed(1), 500));
        assert_eq!(ledger(1).active, 1_500);
        assert_eq!(held(1), 1_500);
        check_state();
    });
}

#[test]
fn bond_extra_fails_when_not_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::bond_extra(signed(5), 10), Error::<Test>::NotBonded);
    });
}

#[test]
fn bond_extra_fails_for_zero() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::bond_extra(signed(1), 0), Error::<Test>::ZeroAmount);
    });
}

#[test]
fn bond_extra_fails_beyond_free_balance() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::bond_extra(signed(1), 9_500),
            Error::<Test>::InsufficientBalance
        );
    });
}

#[test]
fn unbond_moves_funds_into_a_chunk() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::unbond(signed(1), 400));
        let l = ledger(1);
        assert_eq!(l.active, 600);
        assert_eq!(l.total, 1_000);
        assert_eq!(
            l.unlocking.into_inner(),
            vec![UnlockChunk { value: 400, era: 3 }]
        );
        // A second unbond in the same era merges into the same chunk.
        assert_ok!(Witness::unbond(signed(1), 100));
        assert_eq!(ledger(1).unlocking.len(), 1);
        System::assert_last_event(
            Event::Unbonded {
                who: 1,
                amount: 100,
                era: 3,
            }
            .into(),
        );
        check_state();
    });
}

#[test]
fn unbond_fails_when_not_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::unbond(signed(5), 10), Error::<Test>::NotBonded);
    });
}

#[test]
fn unbond_fails_for_zero() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::unbond(signed(1), 0), Error::<Test>::ZeroAmount);
    });
}

#[test]
fn unbond_fails_below_the_role_minimum() {
    new_test_ext().execute_with(|| {
        // A validator must keep 100; a witness 50.
        assert_noop!(
            Witness::unbond(signed(1), 901),
            Error::<Test>::InsufficientBond
        );
        assert_noop!(
            Witness::unbond(signed(11), 451),
            Error::<Test>::InsufficientBond
        );
        // After chilling, everything may go.
        assert_ok!(Witness::chill(signed(1)));
        assert_ok!(Witness::unbond(signed(1), 1_000));
    });
}

#[test]
fn unbond_fails_when_chunks_are_full() {
    new_test_ext().execute_with(|| {
        let mut session = 0;
        for era in 1..=3 {
            assert_ok!(Witness::unbond(signed(1), 10));
            session = start_era(era);
        }
        let _ = session;
        assert_eq!(ledger(1).unlocking.len(), 3);
        assert_noop!(Witness::unbond(signed(1), 10), Error::<Test>::NoMoreChunks);
    });
}

#[test]
fn withdraw_unbonded_fails_before_unbonding_period() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::unbond(signed(1), 400));
        start_era(2);
        assert_noop!(
            Witness::withdraw_unbonded(signed(1)),
            Error::<Test>::NothingToWithdraw
        );
    });
}

#[test]
fn withdraw_unbonded_releases_after_unbonding_period() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::unbond(signed(1), 400));
        start_era(3);
        assert_ok!(Witness::withdraw_unbonded(signed(1)));
        assert_eq!(held(1), 600);
        assert_eq!(ledger(1).total, 600);
        assert_eq!(TotalStaked::<Test>::get(), 3_100);
        System::assert_last_event(
            Event::Withdrawn {
                who: 1,
                amount: 400,
            }
            .into(),
        );
        check_state();
    });
}

#[test]
fn withdraw_unbonded_removes_an_empty_ledger() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::chill(signed(1)));
        assert_ok!(Witness::unbond(signed(1), 1_000));
        start_era(3);
        assert_ok!(Witness::withdraw_unbonded(signed(1)));
        assert!(Ledger::<Test>::get(1).is_none());
        assert_eq!(free(1), 10_000);
        check_state();
    });
}

#[test]
fn withdraw_unbonded_fails_when_not_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::withdraw_unbonded(signed(5)),
            Error::<Test>::NotBonded
        );
    });
}

#[test]
fn rebond_moves_newest_chunks_back() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::unbond(signed(1), 100));
        start_era(1);
        assert_ok!(Witness::unbond(signed(1), 200));
        assert_ok!(Witness::rebond(signed(1), 250));
        let l = ledger(1);
        assert_eq!(l.active, 950);
        assert_eq!(
            l.unlocking.into_inner(),
            vec![UnlockChunk { value: 50, era: 3 }]
        );
        check_state();
    });
}

#[test]
fn rebond_fails_without_unlocking_funds() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::rebond(signed(1), 10),
            Error::<Test>::NothingToRebond
        );
    });
}

#[test]
fn rebond_fails_when_not_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::rebond(signed(5), 10), Error::<Test>::NotBonded);
    });
}

#[test]
fn rebond_fails_for_zero() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::unbond(signed(1), 100));
        assert_noop!(Witness::rebond(signed(1), 0), Error::<Test>::ZeroAmount);
    });
}

// ------------------------------------------------------------------ intentions

#[test]
fn validate_makes_a_candidate() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 200));
        assert_ok!(Witness::validate(signed(5), Perbill::from_percent(5)));
        assert!(Validators::<Test>::contains_key(5));
    });
}

#[test]
fn validate_fails_below_the_minimum_bond() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 99));
        assert_noop!(
            Witness::validate(signed(5), Perbill::zero()),
            Error::<Test>::InsufficientBond
        );
    });
}

#[test]
fn validate_fails_when_not_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::validate(signed(5), Perbill::zero()),
            Error::<Test>::NotBonded
        );
    });
}

#[test]
fn validate_fails_when_candidates_are_full() {
    new_test_ext().execute_with(|| {
        for who in 3..=8 {
            assert_ok!(Witness::bond(signed(who), 100));
            assert_ok!(Witness::validate(signed(who), Perbill::zero()));
        }
        assert_ok!(Witness::bond(signed(9), 100));
        assert_noop!(
            Witness::validate(signed(9), Perbill::zero()),
            Error::<Test>::TooManyCandidates
        );
        // An existing candidate may still change its commission.
        assert_ok!(Witness::validate(signed(8), Perbill::from_percent(1)));
    });
}

#[test]
fn nominate_records_targets_and_replaces_validating() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 100));
        assert_ok!(Witness::nominate(signed(5), bounded_vec![1, 2]));
        assert_eq!(Nominators::<Test>::get(5).unwrap().into_inner(), vec![1, 2]);
        assert_ok!(Witness::validate(signed(5), Perbill::zero()));
        assert!(!Nominators::<Test>::contains_key(5));
    });
}

#[test]
fn nominate_fails_with_no_targets() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 100));
        assert_noop!(
            Witness::nominate(signed(5), bounded_vec![]),
            Error::<Test>::EmptyTargets
        );
    });
}

#[test]
fn nominate_fails_for_a_non_candidate() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 100));
        assert_noop!(
            Witness::nominate(signed(5), bounded_vec![7]),
            Error::<Test>::NotAValidator
        );
    });
}

#[test]
fn nominate_fails_for_a_duplicate_target() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 100));
        assert_noop!(
            Witness::nominate(signed(5), bounded_vec![1, 1]),
            Error::<Test>::DuplicateTarget
        );
    });
}

#[test]
fn nominate_fails_below_the_minimum_bond() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 9));
        assert_noop!(
            Witness::nominate(signed(5), bounded_vec![1]),
            Error::<Test>::InsufficientBond
        );
    });
}

#[test]
fn nominate_fails_when_not_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::nominate(signed(5), bounded_vec![1]),
            Error::<Test>::NotBonded
        );
    });
}

#[test]
fn nominate_fails_when_nominators_are_full() {
    new_test_ext().execute_with(|| {
        for who in 3..=10 {
            assert_ok!(Witness::bond(signed(who), 10));
            assert_ok!(Witness::nominate(signed(who), bounded_vec![1]));
        }
        assert_ok!(Witness::bond(signed(14), 10));
        assert_noop!(
            Witness::nominate(signed(14), bounded_vec![1]),
            Error::<Test>::TooManyNominators
        );
    });
}

#[test]
fn chill_removes_intentions() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::chill(signed(1)));
        assert!(!Validators::<Test>::contains_key(1));
        System::assert_last_event(Event::Chilled { who: 1 }.into());
    });
}

#[test]
fn chill_fails_when_already_chilled() {
    new_test_ext().execute_with(|| {
        assert_noop!(Witness::chill(signed(11)), Error::<Test>::AlreadyChilled);
    });
}

// ------------------------------------------------------------------ elections

#[test]
fn election_picks_the_top_backed_validators() {
    new_test_ext().execute_with(|| {
        // 3 bonds 500 and validates; 5 nominates it with 800: 3 now has 1,300 > 1,000.
        assert_ok!(Witness::bond(signed(3), 500));
        assert_ok!(Witness::validate(signed(3), Perbill::from_percent(10)));
        assert_ok!(Witness::bond(signed(5), 800));
        assert_ok!(Witness::nominate(signed(5), bounded_vec![3]));
        assert_eq!(rotate_session(1), None);
        // Session 3 starts era 1: planned when session 2 starts.
        let planned = rotate_session(2).expect("era 1 elected");
        assert_eq!(planned, vec![3, 1]);
        let exposure = ErasStakers::<Test>::get(1, 3).unwrap();
        assert_eq!(exposure.total, 1_300);
        assert_eq!(exposure.own, 500);
        assert_eq!(
            exposure.others[0],
            IndividualExposure { who: 5, value: 800 }
        );
        assert_eq!(CurrentEra::<Test>::get(), 1);
        assert_eq!(Witness::active_era(), 0);
        rotate_session(3);
        assert_eq!(Witness::active_era(), 1);
        check_state();
    });
}

#[test]
fn election_splits_a_nomination_between_its_candidate_targets() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 301));
        assert_ok!(Witness::nominate(signed(5), bounded_vec![1, 2]));
        let elected = Witness::elect().unwrap();
        let totals: Vec<_> = elected.iter().map(|(w, e, _)| (*w, e.total)).collect();
        // 301 splits into 151 + 150 (the remainder goes to the first target).
        assert_eq!(totals, vec![(1, 1_151), (2, 1_150)]);
    });
}

#[test]
fn election_counts_at_most_max_backers() {
    new_test_ext().execute_with(|| {
        for (who, stake) in [(5, 10), (6, 20), (7, 30), (8, 40)] {
            assert_ok!(Witness::bond(signed(who), stake));
            assert_ok!(Witness::nominate(signed(who), bounded_vec![1]));
        }
        let elected = Witness::elect().unwrap();
        let exposure = &elected.iter().find(|(w, _, _)| *w == 1).unwrap().1;
        assert_eq!(exposure.others.len(), 3);
        assert_eq!(exposure.total, 1_000 + 40 + 30 + 20);
    });
}

#[test]
fn failed_election_keeps_the_validator_set() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::chill(signed(1)));
        assert_ok!(Witness::chill(signed(2)));
        rotate_session(1);
        assert_eq!(rotate_session(2), None);
        assert!(witness_events().contains(&Event::ElectionFailed { era: 1 }));
        assert_eq!(ErasValidators::<Test>::get(1).into_inner(), vec![1, 2]);
        assert!(ErasStakers::<Test>::get(1, 1).is_some());
    });
}

#[test]
fn a_new_validator_joins_at_the_next_era() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 2_000));
        assert_ok!(Witness::validate(signed(5), Perbill::zero()));
        rotate_session(1);
        assert_eq!(rotate_session(2), Some(vec![5, 1]));
    });
}

// ------------------------------------------------------------------ rewards

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
        assert_ok!(Witness::bond(signed(3), 500));
        assert_ok!(Witness::validate(signed(3), Perbill::from_percent(10)));
        assert_ok!(Witness::bond(signed(5), 600));
        assert_ok!(Witness::nominate(signed(5), bounded_vec![3]));
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

// ------------------------------------------------------------------ slashing

fn setup_nominated_validator() {
    assert_ok!(Witness::bond(signed(5), 400));
    assert_ok!(Witness::nominate(signed(5), bounded_vec![1]));
    start_era(1);
}

#[test]
fn offence_is_deferred_disables_and_chills() {
    new_test_ext().execute_with(|| {
        setup_nominated_validator();
        let session = ErasStartSessionIndex::<Test>::get(1).unwrap();
        assert_ok!(Witness::report_offence(
            &1,
            session,
            OffenceKind::AuraEquivocation
        ));
        assert_eq!(Disabled::get(), vec![1]);
        assert!(!Validators::<Test>::contains_key(1));
        let slashes = UnappliedSlashes::<Test>::get(3);
        assert_eq!(slashes.len(), 1);
        assert_eq!(slashes[0].own, 100);
        assert_eq!(slashes[0].others.to_vec(), vec![(5, 40)]);
        // Not applied yet.
        assert_eq!(ledger(1).active, 1_000);
        start_era(3);
        assert_eq!(ledger(1).active, 900);
        assert_eq!(ledger(5).active, 360);
        assert_eq!(held(1), 900);
        assert!(witness_events().contains(&Event::Slashed {
            who: 1,
            amount: 100
        }));
        check_state();
    });
}

#[test]
fn slash_takes_from_unlocking_funds_too() {
    new_test_ext().execute_with(|| {
        setup_nominated_validator();
        let session = ErasStartSessionIndex::<Test>::get(1).unwrap();
        assert_ok!(Witness::report_offence(
            &1,
            session,
            OffenceKind::GrandpaEquivocation
        ));
        // 1 is chilled now and unbonds nearly everything before the slash applies.
        assert_ok!(Witness::unbond(signed(1), 950));
        start_era(3);
        let l = ledger(1);
        assert_eq!(l.total, 800);
        assert_eq!(l.active, 0);
        check_state();
    });
}

#[test]
fn governance_can_cancel_a_deferred_slash() {
    new_test_ext().execute_with(|| {
        setup_nominated_validator();
        let session = ErasStartSessionIndex::<Test>::get(1).unwrap();
        assert_ok!(Witness::report_offence(
            &1,
            session,
            OffenceKind::AuraEquivocation
        ));
        assert_ok!(Witness::cancel_deferred_slash(
            RuntimeOrigin::root(),
            3,
            bounded_vec![0]
        ));
        assert!(UnappliedSlashes::<Test>::get(3).is_empty());
        start_era(3);
        assert_eq!(ledger(1).active, 1_000);
    });
}

#[test]
fn cancel_deferred_slash_requires_governance() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::cancel_deferred_slash(signed(1), 3, bounded_vec![0]),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn cancel_deferred_slash_fails_for_a_missing_slash() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::cancel_deferred_slash(RuntimeOrigin::root(), 3, bounded_vec![0]),
            Error::<Test>::NoSuchSlash
        );
    });
}

#[test]
fn cancel_deferred_slash_fails_for_bad_indices() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::cancel_deferred_slash(RuntimeOrigin::root(), 3, bounded_vec![]),
            Error::<Test>::BadSlashIndices
        );
        assert_noop!(
            Witness::cancel_deferred_slash(RuntimeOrigin::root(), 3, bounded_vec![1, 0]),
            Error::<Test>::BadSlashIndices
        );
    });
}

#[test]
fn offence_fails_for_a_non_validator() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::report_offence(&11, 0, OffenceKind::AuraEquivocation),
            Error::<Test>::NotExposed
        );
    });
}

#[test]
fn offence_is_slashed_once() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::report_offence(
            &1,
            0,
            OffenceKind::AuraEquivocation
        ));
        assert_noop!(
            Witness::report_offence(&1, 0, OffenceKind::AuraEquivocation),
            Error::<Test>::DuplicateOffence
        );
        // Another kind in the same era is another offence.
        assert_ok!(Witness::report_offence(
            &1,
            0,
            OffenceKind::GrandpaEquivocation
        ));
    });
}

#[test]
fn offence_fails_when_too_old() {
    new_test_ext().execute_with(|| {
        start_era(11);
        assert_noop!(
            Witness::report_offence(&1, 0, OffenceKind::AuraEquivocation),
            Error::<Test>::OffenceTooOld
        );
    });
}

// ------------------------------------------------------------------ witnesses

#[test]
fn register_witness_needs_the_minimum_stake() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 49));
        assert_noop!(
            Witness::register_witness(signed(5), bounded_vec![EventClass::Interaction]),
            Error::<Test>::InsufficientBond
        );
        assert_ok!(Witness::bond_extra(signed(5), 1));
        assert_ok!(Witness::register_witness(
            signed(5),
            bounded_vec![EventClass::Interaction]
        ));
        assert_eq!(
            Witnesses::<Test>::get(5).unwrap().into_inner(),
            vec![EventClass::Interaction]
        );
    });
}

#[test]
fn register_witness_fails_when_not_bonded() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::register_witness(signed(5), bounded_vec![EventClass::Interaction]),
            Error::<Test>::NotBonded
        );
    });
}

#[test]
fn register_witness_fails_twice() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::register_witness(signed(11), bounded_vec![EventClass::Interaction]),
            Error::<Test>::AlreadyWitness
        );
    });
}

#[test]
fn register_witness_fails_for_bad_classes() {
    new_test_ext().execute_with(|| {
        assert_ok!(Witness::bond(signed(5), 100));
        assert_noop!(
            Witness::register_witness(signed(5), bounded_vec![]),
            Error::<Test>::BadClasses
        );
        assert_noop!(
            Witness::register_witness(
                signed(5),
                bounded_vec![EventClass::Interaction, EventClass::Interaction]
            ),
            Error::<Test>::BadClasses
        );
    });
}

#[test]
fn register_witness_fails_when_witnesses_are_full() {
    new_test_ext().execute_with(|| {
        for who in 1..=20u64 {
            if Witnesses::<Test>::count() == 16 {
                break;
            }
            if !Ledger::<Test>::contains_key(who) {
                assert_ok!(Witness::bond(signed(who), 100));
            }
            if !Witnesses::<Test>::contains_key(who) {
                assert_ok!(Witness::register_witness(
                    signed(who),
                    bounded_vec![EventClass::Interaction]
                ));
            }
        }
        assert_ok!(Witness::bond(signed(20), 100));
        assert_noop!(
            Witness::register_witness(signed(20), bounded_vec![EventClass::Interaction]),
            Error::<Test>::TooManyWitnesses
        );
    });
}

#[test]
fn deregister_witness_works_and_fails_for_non_witnesses() {
    new_test_ext().execute_with(|| {
        next_block();
        assert_ok!(Witness::deregister_witness(signed(11)));
        assert!(!Witnesses::<Test>::contains_key(11));
        // It leaves the committee in use, so unbonding below the minimum keeps the
        // committee invariant.
        assert!(!Committees::<Test>::get(0, EventClass::Interaction)
            .unwrap()
            .members
            .contains(&11));
        assert_ok!(Witness::unbond(signed(11), 500));
        check_state();
        assert_noop!(
            Witness::deregister_witness(signed(11)),
            Error::<Test>::NotWitness
        );
    });
}

// ------------------------------------------------------------------ committees

#[test]
fn committees_are_drawn_each_epoch_from_registered_witnesses() {
    new_test_ext().execute_with(|| {
        next_block();
        assert_eq!(CommitteeEpoch::<Test>::get(), Some(0));
        for class in EventClass::ALL {
            let mut members = Committees::<Test>::get(0, class)
                .unwrap()
                .members
                .into_inner();
            members.sort();
            assert_eq!(members, vec![11, 12, 13]);
        }
        new_epoch(1);
        assert!(Committees::<Test>::get(1, EventClass::Interaction).is_some());
        new_epoch(2);
        // Two epochs back is dropped.
        assert!(Committees::<Test>::get(0, EventClass::Interaction).is_none());
        check_state();
    });
}

#[test]
fn sortition_follows_stake_times_reputation() {
    new_test_ext().execute_with(|| {
        // Weight 1 against weight 1,000: the heavy one wins almost every one-seat draw.
        let mut heavy_wins = 0;
        for round in 0..200u32 {
            let mut candidates = vec![(1u64, 1u128), (2u64, 1_000u128)];
            let chosen = Witness::sortition(&mut candidates, 1, &round.encode());
            if chosen == vec![2] {
                heavy_wins += 1;
            }
        }
        assert!(heavy_wins > 190, "heavy won {heavy_wins} of 200");
        // Draws are without replacement and stop when the pool is empty.
        let mut candidates = vec![(1u64, 5u128), (2, 5), (3, 5)];
        let mut chosen = Witness::sortition(&mut candidates, 5, b"seed");
        chosen.sort();
        assert_eq!(chosen, vec![1, 2, 3]);
    });
}

#[test]
fn committee_draw_depends_on_the_epoch_randomness() {
    new_test_ext().execute_with(|| {
        // More witnesses than seats: the committee depends on the seed.
        for who in 3..=10 {
            assert_ok!(Witness::bond(signed(who), 100));
            assert_ok!(Witness::register_witness(
                signed(who),
                bounded_vec![EventClass::Interaction]
            ));
        }
        Witness::draw_committees(5);
        let first = Committees::<Test>::get(5, EventClass::Interaction)
            .unwrap()
            .members;
        Seed::set([9u8; 32]);
        Witness::draw_committees(5);
        let second = Committees::<Test>::get(5, EventClass::Interaction)
            .unwrap()
            .members;
        assert_ne!(first, second);
        assert_eq!(first.len(), 3);
    });
}

#[test]
fn witnesses_below_the_minimum_stake_are_not_drawn() {
    new_test_ext().execute_with(|| {
        let mut params = test_params();
        params.min_witness_stake = 501;
        assert_ok!(Witness::set_params(RuntimeOrigin::root(), params));
        assert_ok!(Witness::bond_extra(signed(11), 1));
        next_block();
        let members = Committees::<Test>::get(0, EventClass::Interaction)
            .unwrap()
            .members;
        assert_eq!(members.into_inner(), vec![11]);
    });
}

// ------------------------------------------------------------------ events

fn submit(who: AccountId, n: u8) -> EventId {
    assert_ok!(Witness::submit_event(
        signed(who),
        EventClass::Interaction,
        payload(n)
    ));
    event_id(EventClass::Interaction, &payload(n))
}

fn vote(who: AccountId, id: EventId, verdict: Verdict) {
    assert_ok!(Witness::attest(signed(who), bounded_vec![(id, verdict)]));
}

#[test]
fn submit_event_charges_the_fee_into_the_pot() {
    new_test_ext().execute_with(|| {
        next_block();
        let id = submit(5, 1);
        assert_eq!(free(5), 9_990);
        assert_eq!(free(Witness::pot_account()), 10);
        let event = PendingEvents::<Test>::get(id).unwrap();
        assert_eq!(event.epoch, 0);
        assert_eq!(event.expires_at, 2 + 10);
    });
}

#[test]
fn submit_event_fails_without_a_committee() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::submit_event(signed(5), EventClass::Interaction, payload(1)),
            Error::<Test>::NoCommittee
        );
    });
}

#[test]
fn submit_event_fails_for_a_duplicate() {
    new_test_ext().execute_with(|| {
        next_block();
        submit(5, 1);
        assert_noop!(
            Witness::submit_event(signed(6), EventClass::Interaction, payload(1)),
            Error::<Test>::DuplicateEvent
        );
    });
}

#[test]
fn submit_event_fails_when_the_fee_cannot_be_paid() {
    new_test_ext().execute_with(|| {
        next_block();
        let poor = 99;
        assert_noop!(
            Witness::submit_event(signed(poor), EventClass::Interaction, payload(1)),
            Error::<Test>::InsufficientBalance
        );
    });
}

#[test]
fn submit_event_fails_when_too_many_are_pending() {
    new_test_ext().execute_with(|| {
        next_block();
        for n in 0..8 {
            submit(5, n);
        }
        assert_noop!(
            Witness::submit_event(signed(5), EventClass::Interaction, payload(100)),
            Error::<Test>::TooManyPendingEvents
        );
    });
}

#[test]
fn quorum_resolves_an_event_with_a_receipt() {
    new_test_ext().execute_with(|| {
        next_block();
        let id = submit(5, 1);
        vote(11, id, Verdict::Valid);
        assert!(Receipts::<Test>::get(id).is_none());
        vote(12, id, Verdict::Valid);
        let receipt = Receipts::<Test>::get(id).unwrap();
        assert_eq!(receipt.verdict, Verdict::Valid);
        assert_eq!(receipt.agreeing, 2);
        assert!(witness_events().contains(&Event::EventValidated {
            id,
            class: EventClass::Interaction,
            payload_hash: payload(1),
            verdict: Verdict::Valid,
        }));
        assert!(<Witness as ReceiptProvider<u64>>::is_validated(
            EventClass::Interaction,
            &payload(1)
        ));
        assert_eq!(Reputation::score(&11, pallet_reputation::Role::Witness), 10);
        assert_eq!(ErasPoints::<Test>::get(0, 12), 5);
        check_state();
    });
}

#[test]
fn dissenting_and_absent_witnesses_lose_reputation_and_points() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        next_block();
        // 13 has some points to lose.
        Witness::note_author(13);
        let id = submit(5, 1);
        vote(11, id, Verdict::Invalid);
        vote(12, id, Verdict::Invalid);
        // 13 never votes. Late vote by nobody; at expiry 13 is absent.
        run_to_block(12);
        assert!(PendingEvents::<Test>::get(id).is_none());
        assert_eq!(ErasPoints::<Test>::get(0, 13), 20 - 5);
        // A dissenting late vote is penalized.
        let id2 = submit(5, 2);
        vote(11, id2, Verdict::Valid);
        vote(12, id2, Verdict::Valid);
        Reputation::reward(&13, pallet_reputation::Role::Witness, 100);
        vote(13, id2, Verdict::Invalid);
        assert_eq!(Reputation::score(&13, pallet_reputation::Role::Witness), 80);
    });
}

#[test]
fn unresolved_events_expire() {
    new_test_ext().execute_with(|| {
        next_block();
        let id = submit(5, 1);
        vote(11, id, Verdict::Valid);
        vote(12, id, Verdict::Invalid);
        run_to_block(12);
        assert!(PendingEvents::<Test>::get(id).is_none());
        assert!(Receipts::<Test>::get(id).is_none());
        assert!(witness_events().contains(&Event::EventExpired { id }));
        check_state();
    });
}

#[test]
fn attest_handles_a_batch_and_skips_closed_events() {
    new_test_ext().execute_with(|| {
        next_block();
        let ids: Vec<_> = (0..4).map(|n| submit(5, n)).collect();
        let gone = event_id(EventClass::Interaction, &payload(200));
        let batch: BoundedVec<_, _> = ids
            .iter()
            .map(|id| (*id, Verdict::Valid))
            .chain([(gone, Verdict::Valid)])
            .collect::<Vec<_>>()
            .try_into()
            .unwrap();
        assert_ok!(Witness::attest(signed(11), batch.clone()));
        System::assert_last_event(
            Event::Attested {
                who: 11,
                count: 4,
                skipped: 1,
            }
            .into(),
        );
        assert_ok!(Witness::attest(signed(12), batch));
        for id in ids {
            assert!(Receipts::<Test>::get(id).is_some());
        }
    });
}

#[test]
fn attest_fails_for_a_non_member() {
    new_test_ext().execute_with(|| {
        next_block();
        let id = submit(5, 1);
        assert_noop!(
            Witness::attest(signed(1), bounded_vec![(id, Verdict::Valid)]),
            Error::<Test>::NotCommitteeMember
        );
    });
}

#[test]
fn attest_fails_for_a_second_vote() {
    new_test_ext().execute_with(|| {
        next_block();
        let id = submit(5, 1);
        vote(11, id, Verdict::Valid);
        assert_noop!(
            Witness::attest(signed(11), bounded_vec![(id, Verdict::Invalid)]),
            Error::<Test>::AlreadyAttested
        );
        let id2 = submit(5, 2);
        assert_noop!(
            Witness::attest(
                signed(12),
                bounded_vec![(id2, Verdict::Valid), (id2, Verdict::Valid)]
            ),
            Error::<Test>::AlreadyAttested
        );
    });
}

#[test]
fn attest_fails_with_no_verdicts() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Witness::attest(signed(11), bounded_vec![]),
            Error::<Test>::NoVerdicts
        );
    });
}

#[test]
fn receipts_are_pruned_after_retention() {
    new_test_ext().execute_with(|| {
        next_block();
        let id = submit(5, 1);
        vote(11, id, Verdict::Valid);
        vote(12, id, Verdict::Valid);
        run_to_block(2 + 19);
        assert!(Receipts::<Test>::get(id).is_some());
        run_to_block(2 + 20);
        assert!(Receipts::<Test>::get(id).is_none());
        // A pruned event may be submitted again.
        submit(5, 1);
    });
}

#[test]
fn receipts_are_bounded() {
    new_test_ext().execute_with(|| {
        next_block();
        let ids: Vec<_> = (0..5).map(|n| submit(5, n)).collect();
        for id in &ids {
            vote(11, *id, Verdict::Valid);
            vote(12, *id, Verdict::Valid);
        }
        assert_eq!(Receipts::<Test>::count(), 4);
        assert!(Receipts::<Test>::get(ids[0]).is_none());
        assert!(Receipts::<Test>::get(ids[4]).is_some());
    });
}

#[test]
fn slashed_witness_below_minimum_leaves_committees() {
    new_test_ext().execute_with(|| {
        next_block();
        // 11 nominates validator 1 with all its stake and 1 equivocates at 100%.
        assert_ok!(Witness::nominate(signed(11), bounded_vec![1]));
        start_era(1);
        let mut params = test_params();
        params.aura_slash = Perbill::from_percent(100);
        assert_ok!(Witness::set_params(RuntimeOrigin::root(), params));
        let session = ErasStartSessionIndex::<Test>::get(1).unwrap();
        assert_ok!(Witness::report_offence(
            &1,
            session,
            OffenceKind::AuraEquivocation
        ));
        start_era(3);
        assert!(!Witnesses::<Test>::contains_key(11));
        let epoch = CommitteeEpoch::<Test>::get().unwrap();
        assert!(!Committees::<Test>::get(epoch, EventClass::Interaction)
            .unwrap()
            .members
            .contains(&11));
        check_state();
    });
}

// ------------------------------------------------------------------ parameters

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
fn set_params_changes_committee_size() {
    new_test_ext().execute_with(|| {
        let mut params = test_params();
        params.committee_size = 1;
        params.quorum = 1;
        assert_ok!(Witness::set_params(RuntimeOrigin::root(), params));
        next_block();
        assert_eq!(
            Committees::<Test>::get(0, EventClass::Engagement)
                .unwrap()
                .members
                .len(),
            1
        );
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
fn votes_on_events_whose_committee_is_gone_are_skipped() {
    new_test_ext().execute_with(|| {
        let mut params = test_params();
        params.event_ttl = 100;
        assert_ok!(Witness::set_params(RuntimeOrigin::root(), params));
        next_block();
        let id = submit(5, 1);
        new_epoch(1);
        new_epoch(2);
        assert_ok!(Witness::attest(
            signed(11),
            bounded_vec![(id, Verdict::Valid)]
        ));
        System::assert_last_event(
            Event::Attested {
                who: 11,
                count: 0,
                skipped: 1,
            }
            .into(),
        );
    });
}
