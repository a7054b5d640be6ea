//! Witness committees: registration, sortition, event submission, attestations,
//! receipts and their expiry.

use super::*;
use frame_support::{assert_noop, assert_ok};
use sp_runtime::bounded_vec;
use sp_runtime::DispatchResult;

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
        // The class's share of MaxPendingEvents, from accounts under their own cap.
        for i in 0..CLASS_PENDING_SHARE {
            submit(sybil(i), i as u8);
        }
        assert_noop!(
            Witness::submit_event(signed(1), EventClass::Interaction, payload(100)),
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
        // A class keeps at most its share of MaxReceipts, refusing events beyond it
        // rather than evicting the oldest receipt (it used to evict).
        let ids: Vec<_> = (0..CLASS_RECEIPT_SHARE)
            .map(|i| {
                let id = submit(sybil(i), i as u8);
                resolve_valid(id);
                id
            })
            .collect();
        assert_noop!(
            try_submit(1, EventClass::Interaction, 100),
            Error::<Test>::ReceiptStoreFull
        );
        assert_eq!(Receipts::<Test>::count(), CLASS_RECEIPT_SHARE);
        assert!(Receipts::<Test>::get(ids[0]).is_some());
        check_state();
    });
}

#[test]
fn votes_on_events_whose_committee_is_gone_are_skipped() {
    new_test_ext().execute_with(|| {
        set_params_with(|p| {
            p.event_ttl = 100;
            p.receipt_retention = 100;
        });
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
        // Receipts kept as long as their events are open, so that the second epoch's
        // events find room in the class's receipt share (8).
        set_params_with(|p| p.receipt_retention = p.event_ttl);
        next_block();
        // Six events (the class's pending share), three per submitter.
        let ids: Vec<_> = (0..6).map(|n| submit(5 + u64::from(n % 2), n)).collect();
        vote_all(11, &ids, Verdict::Valid);
        vote_all(12, &ids, Verdict::Valid);
        // Six agreeing votes would be 60 reputation and 30 points.
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
        // Receipts kept only as long as their events are open, so that the class's
        // receipt share (8) frees up between the coalition's rounds.
        set_params_with(|p| {
            p.event_fee = 1;
            p.receipt_retention = p.event_ttl;
        });
        for who in [14, 15] {
            bond_and_register_witness(who, 500, EventClass::Interaction);
        }
        // Sybils 6, 7 and 8 submit; 11 and 12 vote their events through.
        let sybils = [6, 7, 8];
        let coalition_funds =
            || -> Balance { [6, 7, 8, 11, 12].iter().map(|w| free(*w) + held(*w)).sum() };
        let start_funds = coalition_funds();
        let sybil_funds = || -> Balance { sybils.iter().map(|w| free(*w)).sum() };
        let start_sybil = sybil_funds();
        let mut payload = 0u8;
        for era in 1..=4u32 {
            start_era(era);
            new_epoch(u64::from(era));
            // The coalition holds a quorum of this epoch's committee.
            Committees::<Test>::mutate(u64::from(era), EventClass::Interaction, |c| {
                c.as_mut().expect("drawn").members = bounded_vec![11, 12, 13];
            });
            for _ in 0..2 {
                // As many events as the class's pending share (6) takes, two per sybil
                // (the per-submitter cap is 4).
                let ids: Vec<_> = (0..6)
                    .map(|i| {
                        payload = payload.wrapping_add(1);
                        submit(sybils[i % 3], payload)
                    })
                    .collect();
                for (who, verdict) in [
                    (11, Verdict::Valid),
                    (12, Verdict::Valid),
                    (13, Verdict::Invalid),
                ] {
                    vote_all(who, &ids, verdict);
                }
                Witness::note_author(1);
                Witness::note_author(2);
                // Expiry closes two events a block (MaxCleanupPerBlock), then their
                // receipts are pruned, two a block.
                run_to_block(System::block_number() + 20);
            }
            check_state();
        }
        start_era(5);
        run_to_block(System::block_number() + 10);
        check_state();
        // The coalition earned less than its sybil paid in fees.
        let fees = start_sybil - sybil_funds();
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

// ---------------------------------------------------------------- DoS of event consumers
//
// Issue 20, item 4: spam must not block honest submissions, nor evict retained receipts,
// and a settled payload must never be paid again.

/// Submits the `class` event with payload `n` for `who`.
fn try_submit(who: AccountId, class: EventClass, n: u8) -> DispatchResult {
    Witness::submit_event(signed(who), class, payload(n))
}

/// Sybil accounts that are not witnesses: 3..=10 and 14..=20.
fn sybil(i: u32) -> AccountId {
    const SYBILS: [AccountId; 15] = [3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 19, 20];
    SYBILS[i as usize % SYBILS.len()]
}

/// Sybils submit up to `tries` `class` events with payloads `first..`, spreading them
/// over accounts; returns the ids of those accepted.
fn flood(class: EventClass, first: u8, tries: u8) -> Vec<EventId> {
    (0..tries)
        .filter_map(|i| {
            let n = first + i;
            try_submit(sybil(u32::from(i)), class, n)
                .ok()
                .map(|_| event_id(class, &payload(n)))
        })
        .collect()
}

#[test]
fn one_submitter_cannot_hold_more_than_its_cap_of_pending_events() {
    new_test_ext().execute_with(|| {
        next_block();
        for n in 0..MAX_PENDING_PER_SUBMITTER as u8 {
            submit(5, n);
        }
        assert_noop!(
            try_submit(5, EventClass::StorageProof, 100),
            Error::<Test>::TooManyPendingFromSubmitter
        );
        // Others are not blocked by it.
        assert_ok!(try_submit(6, EventClass::Interaction, 100));
        check_state();
    });
}

#[test]
fn spam_in_one_class_does_not_block_the_others() {
    new_test_ext().execute_with(|| {
        next_block();
        // Sybils take everything the pallet lets them take in one class...
        let spam = flood(EventClass::Interaction, 0, 2 * MAX_PENDING as u8);
        // ...and an honest submission of another class still goes through.
        assert_ok!(try_submit(1, EventClass::StorageProof, 1));
        assert_eq!(spam.len() as u32, CLASS_PENDING_SHARE);
        assert_noop!(
            try_submit(2, EventClass::Interaction, 200),
            Error::<Test>::TooManyPendingEvents
        );
        check_state();
    });
}

#[test]
fn the_event_fee_doubles_with_each_eighth_of_the_class_filled() {
    new_test_ext().execute_with(|| {
        next_block();
        let pot = Witness::pot_account();
        let mut paid = Vec::new();
        for i in 0..CLASS_PENDING_SHARE {
            let before = free(pot);
            assert_ok!(try_submit(sybil(i), EventClass::Interaction, i as u8));
            paid.push(free(pot) - before);
        }
        // Occupancy 0..6 of a share of 6 is 0, 1, 2, 4, 5, 6 eighths: 10 × 2^eighths.
        assert_eq!(paid, vec![10, 20, 40, 160, 320, 640]);
        // Another class is not affected.
        let before = free(pot);
        assert_ok!(try_submit(1, EventClass::Engagement, 1));
        assert_eq!(free(pot) - before, 10);
        check_state();
    });
}

#[test]
fn resolved_events_leave_the_pending_count() {
    new_test_ext().execute_with(|| {
        next_block();
        // 13 has some reputation to lose.
        Reputation::reward(&13, pallet_reputation::Role::Witness, 100);
        let ids = flood(EventClass::Interaction, 0, 2 * MAX_PENDING as u8);
        assert!(!ids.is_empty());
        for id in &ids {
            resolve_valid(*id);
        }
        // Every event is resolved (still open for late votes), so the class takes new
        // ones again.
        assert_ok!(try_submit(1, EventClass::Interaction, 250));
        assert!(PendingEvents::<Test>::get(ids[0])
            .unwrap()
            .outcome
            .is_some());
        check_state();
        // Late votes still count, and absent members are still penalized at the close.
        vote(13, ids[0], Verdict::Valid);
        let event = PendingEvents::<Test>::get(ids[0]).unwrap();
        assert!(event.votes.iter().any(|(who, _)| *who == 13));
        let before = Reputation::score(&13, pallet_reputation::Role::Witness);
        run_to_block(2 + 10 + ids.len() as u64);
        assert!(PendingEvents::<Test>::get(ids[1]).is_none());
        assert!(Reputation::score(&13, pallet_reputation::Role::Witness) < before);
        check_state();
    });
}

#[test]
fn expired_events_leave_the_pending_count() {
    new_test_ext().execute_with(|| {
        next_block();
        for n in 0..MAX_PENDING_PER_SUBMITTER as u8 {
            submit(5, n);
        }
        run_to_block(2 + 10 + 2);
        assert_eq!(PendingEvents::<Test>::count(), 0);
        assert_ok!(try_submit(5, EventClass::Interaction, 100));
        check_state();
    });
}

#[test]
fn junk_events_cannot_evict_retained_receipts() {
    new_test_ext().execute_with(|| {
        set_params_with(|p| p.receipt_retention = 1_000);
        next_block();
        // An honest receipt, then junk that the committee resolves (as Invalid) as fast
        // as it comes, in two rounds: the second after the first round's events closed.
        let honest = submit(1, 1);
        resolve_valid(honest);
        for round in 0..2 {
            let mut junk = Vec::new();
            for i in 0..MAX_RECEIPTS {
                let n = 10 + (round * MAX_RECEIPTS + i) as u8;
                if try_submit(sybil(i), EventClass::Interaction, n).is_ok() {
                    let id = event_id(EventClass::Interaction, &payload(n));
                    vote(11, id, Verdict::Invalid);
                    vote(12, id, Verdict::Invalid);
                    junk.push(id);
                }
            }
            // The junk fills what the honest receipt leaves of the share, and its
            // receipts stand while its events are open.
            assert_eq!(junk.len() as u32, CLASS_RECEIPT_SHARE - 1);
            for id in &junk {
                assert!(Receipts::<Test>::get(id).is_some(), "receipt evicted");
            }
            check_state();
            // Once the events close, their Invalid receipts go (this used to keep them
            // for the whole retention), and the next round finds the room again.
            run_to_block(System::block_number() + 10 + MAX_RECEIPTS as u64);
            for id in &junk {
                assert!(Receipts::<Test>::get(id).is_none(), "Invalid receipt kept");
            }
        }
        // The honest receipt is still there before its retention ends.
        assert!(
            Receipts::<Test>::get(honest).is_some(),
            "honest receipt evicted"
        );
        check_state();
    });
}

#[test]
fn a_full_receipt_store_refuses_new_events() {
    new_test_ext().execute_with(|| {
        next_block();
        // Receipts and unresolved events together take the class's share.
        let resolved = CLASS_RECEIPT_SHARE - 3;
        for i in 0..resolved {
            let id = submit(sybil(i), i as u8);
            resolve_valid(id);
        }
        for i in resolved..CLASS_RECEIPT_SHARE {
            submit(sybil(i), i as u8);
        }
        assert_noop!(
            try_submit(1, EventClass::Interaction, 100),
            Error::<Test>::ReceiptStoreFull
        );
        // Other classes have their own share.
        assert_ok!(try_submit(1, EventClass::AdInteraction, 100));
        check_state();
        // The reserved events resolve into receipts: nothing is evicted.
        for i in resolved..CLASS_RECEIPT_SHARE {
            resolve_valid(event_id(EventClass::Interaction, &payload(i as u8)));
        }
        assert_eq!(
            Receipts::<Test>::iter()
                .filter(|(_, r)| r.class == EventClass::Interaction)
                .count() as u32,
            CLASS_RECEIPT_SHARE
        );
        // When the receipts pass their retention, the class takes events again.
        run_to_block(2 + 20 + CLASS_RECEIPT_SHARE as u64);
        assert_ok!(try_submit(1, EventClass::Interaction, 100));
        check_state();
    });
}

#[test]
fn a_settled_payload_is_paid_once() {
    new_test_ext().execute_with(|| {
        next_block();
        let id = submit(5, 1);
        resolve_valid(id);
        type Provider = Witness;
        let consume =
            || <Provider as ReceiptProvider<u64>>::consume(EventClass::Interaction, &payload(1));
        let receipt = consume().expect("a retained receipt is consumed once");
        assert_eq!(receipt.verdict, Verdict::Valid);
        assert_eq!(consume(), Err(ConsumeError::AlreadySettled));
        // The receipt is pruned after its retention...
        run_to_block(2 + 20);
        assert!(Receipts::<Test>::get(id).is_none());
        // ...but the payload can neither be judged again nor paid twice.
        assert_noop!(
            try_submit(6, EventClass::Interaction, 1),
            Error::<Test>::AlreadySettled
        );
        assert_eq!(consume(), Err(ConsumeError::AlreadySettled));
        assert!(<Provider as ReceiptProvider<u64>>::is_settled(
            EventClass::Interaction,
            &payload(1)
        ));
        // An event with no retained receipt cannot be settled.
        assert_eq!(
            <Provider as ReceiptProvider<u64>>::consume(EventClass::Interaction, &payload(2)),
            Err(ConsumeError::NoReceipt)
        );
        check_state();
    });
}

#[test]
fn a_receipt_is_kept_while_its_event_is_open() {
    new_test_ext().execute_with(|| {
        set_params_with(|p| p.receipt_retention = p.event_ttl);
        next_block();
        // Two unresolved events ahead in the expiry queue, which closes two per block.
        submit(5, 1);
        submit(6, 2);
        let id = submit(7, 3);
        resolve_valid(id);
        // At block 12 all three are due and the receipt is past retention, but expiry
        // only reached the first two: the resolved event is still open.
        run_to_block(2 + 10);
        assert!(PendingEvents::<Test>::get(id).is_some());
        assert!(Receipts::<Test>::get(id).is_some());
        check_state();
        next_block();
        assert!(PendingEvents::<Test>::get(id).is_none());
        assert!(Receipts::<Test>::get(id).is_none());
        check_state();
    });
}

#[test]
fn invalid_junk_frees_its_receipt_share_when_its_events_close() {
    new_test_ext().execute_with(|| {
        // Retention far longer than an event's life, as in the runtime (7 days, 1 hour).
        set_params_with(|p| p.receipt_retention = 1_000);
        next_block();
        let submitted_at = System::block_number();
        // Sybils fill the class's receipt share with junk that the committee resolves
        // Invalid as fast as it comes (resolution releases the pending caps).
        let mut junk = Vec::new();
        for i in 0..2 * CLASS_RECEIPT_SHARE {
            let n = 10 + i as u8;
            if try_submit(sybil(i), EventClass::Interaction, n).is_ok() {
                let id = event_id(EventClass::Interaction, &payload(n));
                vote(11, id, Verdict::Invalid);
                vote(12, id, Verdict::Invalid);
                junk.push(id);
            }
        }
        assert_eq!(junk.len() as u32, CLASS_RECEIPT_SHARE);
        // While the junk events are open their receipts stand (late votes, consumers)...
        assert_noop!(
            try_submit(1, EventClass::Interaction, 1),
            Error::<Test>::ReceiptStoreFull
        );
        // ...and a consumer may settle one, so that it is never judged again.
        let settled = payload(10);
        assert_eq!(
            <Witness as ReceiptProvider<u64>>::consume(EventClass::Interaction, &settled)
                .map(|r| r.verdict),
            Ok(Verdict::Invalid)
        );
        check_state();
        // The events close event_ttl after submission, MaxCleanupPerBlock per block.
        let cleanup: u32 = <<Test as Config>::MaxCleanupPerBlock as Get<u32>>::get();
        let closed_at = submitted_at + 10 + u64::from(CLASS_RECEIPT_SHARE.div_ceil(cleanup)) - 1;
        run_to_block(closed_at);
        assert_eq!(PendingEvents::<Test>::count(), 0);
        // Their Invalid receipts went with them, long before receipt_retention: the
        // class takes honest events again.
        assert_ok!(try_submit(1, EventClass::Interaction, 1));
        for id in &junk {
            assert!(Receipts::<Test>::get(id).is_none(), "Invalid receipt kept");
        }
        assert_eq!(ReceiptsPerClass::<Test>::get(EventClass::Interaction), 0);
        // A junk payload may be judged again for a new fee, unless it was settled.
        assert_ok!(try_submit(2, EventClass::Interaction, 11));
        assert_noop!(
            try_submit(2, EventClass::Interaction, 10),
            Error::<Test>::AlreadySettled
        );
        check_state();
    });
}
