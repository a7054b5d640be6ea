//! Witness committees: registration, sortition, event submission, attestations,
//! receipts and their expiry.

use super::*;
use frame_support::{assert_noop, assert_ok};
use sp_runtime::bounded_vec;

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
        assert!(!committee(0, EventClass::Interaction).contains(&11));
        assert_ok!(Witness::unbond(signed(11), 500));
        check_state();
        assert_noop!(
            Witness::deregister_witness(signed(11)),
            Error::<Test>::NotWitness
        );
    });
}

#[test]
fn committees_are_drawn_each_epoch_from_registered_witnesses() {
    new_test_ext().execute_with(|| {
        next_block();
        assert_eq!(CommitteeEpoch::<Test>::get(), Some(0));
        for class in EventClass::ALL {
            let mut members = committee(0, class);
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
            bond_and_register_witness(who, 100, EventClass::Interaction);
        }
        Witness::draw_committees(5);
        let first = committee(5, EventClass::Interaction);
        Seed::set([9u8; 32]);
        Witness::draw_committees(5);
        let second = committee(5, EventClass::Interaction);
        assert_ne!(first, second);
        assert_eq!(first.len(), 3);
    });
}

#[test]
fn witnesses_below_the_minimum_stake_are_not_drawn() {
    new_test_ext().execute_with(|| {
        set_params_with(|p| p.min_witness_stake = 501);
        assert_ok!(Witness::bond_extra(signed(11), 1));
        next_block();
        assert_eq!(committee(0, EventClass::Interaction), vec![11]);
    });
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
        assert_eq!(attestation_points(0, 12), 5);
        check_state();
    });
}

#[test]
fn dissenting_and_absent_witnesses_lose_reputation_and_points() {
    new_test_ext().execute_with(|| {
        next_block();
        // 13 earns attestation points to lose: two agreeing votes. (Attestation points
        // are their own pool: a witness's block points, if it validates, are not at stake.)
        for n in [10, 11] {
            let id = submit(5, n);
            vote(13, id, Verdict::Valid);
            resolve_valid(id);
        }
        assert_eq!(attestation_points(0, 13), 10);
        let id = submit(5, 1);
        vote(11, id, Verdict::Invalid);
        vote(12, id, Verdict::Invalid);
        // 13 never votes. Late vote by nobody; at expiry 13 is absent. (Three events
        // expire at block 12, two are closed a block.)
        run_to_block(13);
        assert!(PendingEvents::<Test>::get(id).is_none());
        assert_eq!(attestation_points(0, 13), 10 - 5);
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
        resolve_valid(id);
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
            resolve_valid(*id);
        }
        assert_eq!(Receipts::<Test>::count(), 4);
        assert!(Receipts::<Test>::get(ids[0]).is_none());
        assert!(Receipts::<Test>::get(ids[4]).is_some());
    });
}

#[test]
fn votes_on_events_whose_committee_is_gone_are_skipped() {
    new_test_ext().execute_with(|| {
        set_params_with(|p| p.event_ttl = 100);
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

/// The snapshot reputation of `who` as a witness is `score`: reward, then take a snapshot.
fn give_snapshot_reputation(who: AccountId, score: u64) {
    use pallet_reputation::{ReputationHandler, ReputationScores};
    <Reputation as ReputationHandler<AccountId>>::reward(
        &who,
        pallet_reputation::Role::Witness,
        score,
    );
    <Reputation as ReputationScores<AccountId>>::take_snapshot();
}

/// `who`'s reputation as a witness now.
fn witness_reputation(who: AccountId) -> u64 {
    Reputation::score(&who, pallet_reputation::Role::Witness)
}

/// Item 3 of issue 20: sortition weight grew with reputation up to ×10,000 (base 100,
/// max score 1,000,000). A witness at the maximum now weighs at most
/// `(reputation_base + reputation_weight_cap) / reputation_base` = ×2 a newcomer of
/// equal stake.
#[test]
fn reputation_lifts_sortition_weight_by_a_bounded_factor() {
    new_test_ext().execute_with(|| {
        // One seat, three witnesses of equal stake; 11 has the maximum reputation.
        set_params_with(|p| {
            p.committee_size = 1;
            p.quorum = 1;
        });
        give_snapshot_reputation(11, 1_000_000);
        let draws = 300u64;
        let mut heavy = 0;
        for epoch in 1..=draws {
            Witness::draw_committees(epoch);
            if committee(epoch, EventClass::Interaction) == vec![11] {
                heavy += 1;
            }
        }
        // Weights 2:1:1 give 11 half the seats; ×10,000 gave it all of them.
        assert!(
            (draws * 35 / 100..=draws * 65 / 100).contains(&heavy),
            "the heaviest witness won {heavy} of {draws} seats"
        );
    });
}

#[test]
fn witness_weight_counts_reputation_up_to_the_cap() {
    new_test_ext().execute_with(|| {
        let params = test_params();
        // Base 100, cap 100: a newcomer weighs stake × 100, the heaviest stake × 200.
        assert_eq!(Witness::witness_weight(500, 0, &params), 50_000);
        assert_eq!(Witness::witness_weight(500, 40, &params), 70_000);
        assert_eq!(Witness::witness_weight(500, 100, &params), 100_000);
        assert_eq!(Witness::witness_weight(500, 1_000_000, &params), 100_000);
        assert_eq!(
            Witness::witness_weight(Balance::MAX, u64::MAX, &params),
            u128::MAX
        );
    });
}

#[test]
fn deregistering_drops_the_epoch_gains() {
    new_test_ext().execute_with(|| {
        next_block();
        resolve_valid(submit(5, 1));
        assert!(EpochGains::<Test>::get(11).is_some());
        assert_ok!(Witness::deregister_witness(signed(11)));
        assert!(EpochGains::<Test>::get(11).is_none());
        check_state();
    });
}

/// Item 3 of issue 20: reputation and points a witness gains are capped per epoch
/// (30 reputation and 15 points in the tests), whatever the number of events.
#[test]
fn reputation_and_points_gained_per_epoch_are_capped() {
    new_test_ext().execute_with(|| {
        next_block();
        let ids: Vec<_> = (0..8).map(|n| submit(5, n)).collect();
        let batch: BoundedVec<_, _> = ids
            .iter()
            .map(|id| (*id, Verdict::Valid))
            .collect::<Vec<_>>()
            .try_into()
            .unwrap();
        assert_ok!(Witness::attest(signed(11), batch.clone()));
        assert_ok!(Witness::attest(signed(12), batch));
        // Eight agreeing votes would be 80 reputation and 40 points.
        assert_eq!(witness_reputation(11), 30);
        assert_eq!(attestation_points(0, 11), 15);
        check_state();
        // The next epoch's gains start from zero again.
        run_to_block(16);
        new_epoch(1);
        let before = witness_reputation(11);
        let points_before = attestation_points(0, 11);
        for n in 10..12 {
            resolve_valid(submit(5, n));
        }
        assert_eq!(witness_reputation(11), before + 20);
        assert_eq!(attestation_points(0, 11), points_before + 10);
        for n in 12..14 {
            resolve_valid(submit(5, n));
        }
        assert_eq!(witness_reputation(11), before + 30);
        assert_eq!(attestation_points(0, 11), points_before + 15);
        check_state();
    });
}

/// Item 3 of issue 20: votes on an event that a member of its committee submitted earn
/// neither reputation nor points.
#[test]
fn votes_on_events_submitted_by_a_committee_member_earn_nothing() {
    new_test_ext().execute_with(|| {
        next_block();
        let id = submit(13, 1);
        resolve_valid(id);
        assert!(Receipts::<Test>::get(id).is_some());
        for who in [11, 12] {
            assert_eq!(witness_reputation(who), 0);
            assert_eq!(attestation_points(0, who), 0);
        }
        // The same votes on an outsider's event are rewarded.
        resolve_valid(submit(5, 2));
        assert_eq!(witness_reputation(11), 10);
        check_state();
    });
}

/// Item 3 of issue 20: an event costs more than the points it can earn are worth: at
/// least last era's value of a witness point × K × points_per_attestation.
#[test]
fn event_fee_covers_the_value_of_the_points_it_pays() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        start_era(1);
        next_block();
        Witness::note_author(1);
        Witness::note_author(2);
        resolve_valid(submit(5, 1));
        let points = attestation_points(1, 12);
        assert_eq!(points, 5);
        start_era(2);
        run_to_block(System::block_number() + 5);
        let paid = witness_events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Rewarded {
                    who: 12,
                    era: 1,
                    amount,
                } => Some(amount),
                _ => None,
            })
            .sum::<Balance>();
        assert!(paid > 0);
        // What one event can pay out: K = 3 members × 5 points, at 12's rate.
        let value_of_an_event = paid * 3 * 5 / Balance::from(points);
        let before = free(5);
        submit(5, 2);
        let fee = before - free(5);
        assert!(
            fee >= value_of_an_event,
            "fee {fee} below the value {value_of_an_event} of the points it pays"
        );
        check_state();
    });
}

/// Item 3 of issue 20, the whole attack: a coalition (11 and 12) holds a quorum of the
/// Interaction committee in every epoch (the worst case), spams cheap events through a
/// sybil submitter (6) and votes them through, while the honest member (13) dissents.
/// Its weight stays within the bound, so honest witnesses keep winning quorums, and what
/// it earns is less than the fees it pays.
#[test]
fn a_captured_quorum_cannot_make_itself_permanent() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        set_params_with(|p| p.event_fee = 1);
        for who in [14, 15] {
            bond_and_register_witness(who, 500, EventClass::Interaction);
        }
        let coalition_funds =
            || -> Balance { [6, 11, 12].iter().map(|w| free(*w) + held(*w)).sum() };
        let start_funds = coalition_funds();
        let start_sybil = free(6);
        let mut payload = 0u8;
        for era in 1..=4u32 {
            start_era(era);
            new_epoch(u64::from(era));
            // The coalition holds a quorum of this epoch's committee.
            Committees::<Test>::mutate(u64::from(era), EventClass::Interaction, |c| {
                c.as_mut().expect("drawn").members = bounded_vec![11, 12, 13];
            });
            for _ in 0..2 {
                let ids: Vec<_> = (0..8)
                    .map(|_| {
                        payload = payload.wrapping_add(1);
                        submit(6, payload)
                    })
                    .collect();
                for (who, verdict) in [
                    (11, Verdict::Valid),
                    (12, Verdict::Valid),
                    (13, Verdict::Invalid),
                ] {
                    let batch: BoundedVec<_, _> = ids
                        .iter()
                        .map(|id| (*id, verdict))
                        .collect::<Vec<_>>()
                        .try_into()
                        .unwrap();
                    assert_ok!(Witness::attest(signed(who), batch));
                }
                Witness::note_author(1);
                Witness::note_author(2);
                // Expiry closes two events a block (MaxCleanupPerBlock).
                run_to_block(System::block_number() + 14);
            }
            check_state();
        }
        start_era(5);
        run_to_block(System::block_number() + 10);
        check_state();
        // The coalition earned less than its sybil paid in fees.
        let fees = start_sybil - free(6);
        assert!(
            coalition_funds() < start_funds,
            "the coalition turned {fees} of fees into {} of rewards",
            coalition_funds() + fees - start_funds
        );
        // The coalition's weight stays within the bound, and the dissenter it drove to
        // zero reputation keeps its floor.
        use pallet_reputation::ReputationScores;
        let params = Witness::params().unwrap();
        let weight = |who: AccountId| {
            Witness::witness_weight(
                ledger(who).active,
                <Reputation as ReputationScores<AccountId>>::snapshot_score(
                    &who,
                    pallet_reputation::Role::Witness,
                ),
                &params,
            )
        };
        let floor = 500 * u128::from(params.reputation_base);
        assert_eq!(weight(13), floor);
        for who in [11, 12] {
            assert!(weight(who) <= 2 * floor, "{who} weighs {}", weight(who));
        }
        // Honest witnesses (13, 14, 15) still win a quorum of a fresh committee often:
        // with weights at most 2:2:1:1:1 they hold two of three seats 46% of the time.
        let draws = 300u64;
        let honest_quorums = (100..100 + draws)
            .filter(|epoch| {
                Witness::draw_committees(*epoch);
                committee(*epoch, EventClass::Interaction)
                    .iter()
                    .filter(|m| [13, 14, 15].contains(*m))
                    .count()
                    >= 2
            })
            .count() as u64;
        assert!(
            honest_quorums >= draws * 30 / 100,
            "honest witnesses held a quorum in {honest_quorums} of {draws} draws"
        );
    });
}
