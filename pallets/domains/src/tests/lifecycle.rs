//! An optimum's life: submission, delayed draw, commit-reveal windows and their errors,
//! verdicts, escalation, penalties.

use super::*;
use crate::{Error, EscalationReason, HoldReason, Members, Outcome};
use frame_support::{assert_noop, traits::Hooks};
use pallet_reputation::Role;
use sp_core::H256;
use sp_runtime::Perbill;

/// A domain (higher is better, tolerance 10) with `n` evaluators.
fn domain_with(n: u64) -> u32 {
    let d = add_domain(10, 1, Perbill::from_percent(10), false);
    join_n(d, n);
    d
}

#[test]
fn submission_holds_the_deposit_and_the_draw_waits_draw_delay() {
    new_test_ext().execute_with(|| {
        let d = domain_with(10);
        assert_noop!(
            Domains::submit_optimum(signed(OPTIMIZER), 5, H256::zero(), 1),
            Error::<Test>::UnknownDomain
        );
        let id = submit(OPTIMIZER, d, 500);
        assert_eq!(held(OPTIMIZER, HoldReason::OptimumDeposit), DEPOSIT);
        let now = System::block_number();
        run_to(now + DRAW_DELAY - 1);
        assert!(matches!(
            Optimums::<Test>::get(id).expect("open").phase,
            Phase::AwaitingDraw { .. }
        ));
        assert_noop!(
            Domains::commit(signed(eval(0)), id, H256::zero()),
            Error::<Test>::NotVoting
        );
        run_to(now + DRAW_DELAY);
        let (c, r) = windows(id);
        assert_eq!(
            (c, r),
            (
                now + DRAW_DELAY + COMMIT,
                now + DRAW_DELAY + COMMIT + REVEAL
            )
        );
        check();
    });
}

#[test]
fn submissions_beyond_the_open_bound_or_not_improving_are_refused() {
    new_test_ext().execute_with(|| {
        let d = domain_with(10);
        for i in 0..64 {
            submit(OPTIMIZER, d, 100 + i);
        }
        assert_noop!(
            Domains::submit_optimum(signed(OPTIMIZER), d, H256::zero(), 1),
            Error::<Test>::TooManyOpenOptimums
        );
        check();
    });
    new_test_ext().execute_with(|| {
        let d = domain_with(10);
        let id = submit(OPTIMIZER, d, 100);
        play_round(id, |_| Some(100));
        assert_eq!(outcome(id), Some((Outcome::Accepted, Some(100))));
        assert_eq!(crate::Domains::<Test>::get(d).expect("d").best, Some(100));
        assert_noop!(
            Domains::submit_optimum(signed(OPTIMIZER), d, H256::zero(), 100),
            Error::<Test>::NotAnImprovement
        );
        assert_noop!(
            Domains::submit_optimum(signed(OPTIMIZER), d, H256::zero(), 99),
            Error::<Test>::NotAnImprovement
        );
        submit(OPTIMIZER, d, 101);
        check();
    });
}

#[test]
fn draws_per_block_are_bounded_and_the_rest_wait() {
    new_test_ext().execute_with(|| {
        let d = domain_with(10);
        let ids: Vec<_> = (0..6).map(|i| submit(OPTIMIZER, d, 100 + i)).collect();
        run_to(System::block_number() + DRAW_DELAY);
        let voting = |id| {
            matches!(
                Optimums::<Test>::get(id).expect("open").phase,
                Phase::Voting { .. }
            )
        };
        assert_eq!(ids.iter().filter(|id| voting(**id)).count(), 4);
        run_to(System::block_number() + 1);
        assert!(ids.iter().all(|id| voting(*id)));
        check();
    });
}

#[test]
fn commit_reveal_windows_and_errors() {
    new_test_ext().execute_with(|| {
        let d = domain_with(10);
        let id = submit(OPTIMIZER, d, 500);
        assert_noop!(
            Domains::commit(signed(eval(0)), id + 1, H256::zero()),
            Error::<Test>::UnknownOptimum
        );
        until_voting(id);
        let (round, members) = quorum(id);
        let (a, b) = (members[0], members[1]);
        let outsider = (0..10)
            .map(eval)
            .find(|e| !members.contains(e))
            .expect("one");
        let h = |who: AccountId, score: i64| commit_hash(id, round, score, &salt(who), &who);
        assert_noop!(
            Domains::commit(signed(outsider), id, h(outsider, 500)),
            Error::<Test>::NotInQuorum
        );
        // No reveal during the commit window.
        assert_noop!(
            Domains::reveal(signed(a), id, 500, salt(a)),
            Error::<Test>::RevealWindowNotOpen
        );
        assert_ok!(Domains::commit(signed(a), id, h(a, 500)));
        assert_noop!(
            Domains::commit(signed(a), id, h(a, 501)),
            Error::<Test>::AlreadyCommitted
        );
        // `b` copies `a`'s commit: it cannot reveal it as its own.
        assert_ok!(Domains::commit(signed(b), id, h(a, 500)));
        let (commit_until, reveal_until) = windows(id);
        run_to(commit_until);
        assert_noop!(
            Domains::commit(signed(members[2]), id, h(members[2], 500)),
            Error::<Test>::CommitWindowClosed
        );
        assert_noop!(
            Domains::reveal(signed(members[2]), id, 500, salt(members[2])),
            Error::<Test>::NotCommitted
        );
        assert_noop!(
            Domains::reveal(signed(b), id, 500, salt(a)),
            Error::<Test>::CommitMismatch
        );
        assert_noop!(
            Domains::reveal(signed(a), id, 501, salt(a)),
            Error::<Test>::CommitMismatch
        );
        assert_noop!(
            Domains::finalize(signed(FUNDER), id),
            Error::<Test>::VotingNotOver
        );
        assert_ok!(Domains::reveal(signed(a), id, 500, salt(a)));
        assert_noop!(
            Domains::reveal(signed(a), id, 500, salt(a)),
            Error::<Test>::AlreadyRevealed
        );
        // The last reveal block is `reveal_until − 1`; `finalize` waits for the end.
        System::set_block_number(reveal_until);
        assert_noop!(
            Domains::reveal(signed(b), id, 500, salt(b)),
            Error::<Test>::RevealWindowClosed
        );
        // Anyone finalizes before the hook: one reveal of 4 is too few, round 1 is drawn.
        assert_ok!(Domains::finalize(signed(FUNDER), id));
        assert!(events().contains(&Event::Escalated {
            optimum: id,
            reason: EscalationReason::TooFewReveals,
            draw_at: reveal_until + DRAW_DELAY,
        }));
        assert_noop!(
            Domains::finalize(signed(FUNDER), id),
            Error::<Test>::NotVoting
        );
        check();
    });
}

#[test]
fn an_honest_claim_is_accepted_and_rewarded_in_reputation() {
    new_test_ext().execute_with(|| {
        let d = domain_with(10);
        let before = free(OPTIMIZER);
        let id = submit(OPTIMIZER, d, 500);
        // Scores within tolerance of each other and of the claim.
        let members = play_round(id, |who| Some(495 + (who % 7) as i64));
        let (o, median) = outcome(id).expect("closed");
        assert_eq!(o, Outcome::Accepted);
        assert!(median.is_some_and(|m| (495..=501).contains(&m)));
        assert_eq!(free(OPTIMIZER), before);
        assert_eq!(held(OPTIMIZER, HoldReason::OptimumDeposit), 0);
        assert_eq!(reputation(OPTIMIZER, Role::Optimizer), 10);
        for m in &members {
            assert_eq!(reputation(*m, Role::Evaluator), 1);
            assert_eq!(Members::<Test>::get(d, m).expect("member").serving, 0);
        }
        assert_eq!(crate::Domains::<Test>::get(d).expect("d").best, median);
        assert_eq!(crate::Domains::<Test>::get(d).expect("d").open, 0);
        assert_eq!(Ballots::<Test>::iter().count(), 0);
        check();
    });
}

#[test]
fn a_false_claim_is_refused_and_its_deposit_lost() {
    new_test_ext().execute_with(|| {
        let d = domain_with(10);
        let (before, treasury) = (free(OPTIMIZER), free(TREASURY));
        let id = submit(OPTIMIZER, d, 900);
        play_round(id, |_| Some(400));
        assert_eq!(outcome(id), Some((Outcome::Refused, Some(400))));
        assert_eq!(free(OPTIMIZER), before - DEPOSIT);
        assert_eq!(free(TREASURY), treasury + DEPOSIT);
        assert_eq!(held(OPTIMIZER, HoldReason::OptimumDeposit), 0);
        assert_eq!(reputation(OPTIMIZER, Role::Optimizer), 0);
        assert_eq!(crate::Domains::<Test>::get(d).expect("d").best, None);
        check();
    });
}

#[test]
fn a_lower_is_better_domain_judges_improvements_downwards() {
    new_test_ext().execute_with(|| {
        let d = add_domain(10, 1, Perbill::zero(), true);
        join_n(d, 10);
        let id = submit(OPTIMIZER, d, 1_000);
        play_round(id, |_| Some(1_000));
        assert_eq!(outcome(id), Some((Outcome::Accepted, Some(1_000))));
        assert_noop!(
            Domains::submit_optimum(signed(OPTIMIZER), d, H256::zero(), 1_001),
            Error::<Test>::NotAnImprovement
        );
        submit(OPTIMIZER, d, 999);
        check();
    });
}

#[test]
fn a_colluding_minority_is_outvoted_after_escalation() {
    new_test_ext().execute_with(|| {
        // N = 100: K = 10, then 2K = 20.
        let d = domain_with(100);
        let id = submit(OPTIMIZER, d, 900);
        // The true score is 400; members 0..=39 (40% of the pool) collude with the
        // optimizer and reveal its claim.
        let colluding = |who: AccountId| who < eval(40);
        let answer = |who: AccountId| Some(if colluding(who) { 900 } else { 400 });
        let round0 = play_round(id, answer);
        // A quorum with both camps disagrees beyond 2 × tolerance: escalation.
        let mixed = round0.iter().any(|m| colluding(*m)) && round0.iter().any(|m| !colluding(*m));
        assert!(mixed, "the fixed seed draws both camps into round 0");
        {
            assert!(events().iter().any(|e| matches!(
                e,
                Event::Escalated { optimum, reason: EscalationReason::Disagreement, .. }
                    if *optimum == id
            )));
            let round1 = play_round(id, answer);
            assert_eq!(round1.len(), 20);
            let bad = round1.iter().filter(|m| colluding(**m)).count();
            assert!(
                bad < 10,
                "this seed drew a colluding majority ({bad} of 20)"
            );
        }
        assert_eq!(outcome(id), Some((Outcome::Refused, Some(400))));
        // Colluders far from the verdict lost reputation; honest ones gained.
        for m in round0.iter() {
            let r = reputation(*m, Role::Evaluator);
            if colluding(*m) {
                assert_eq!(r, 0);
            } else {
                assert!(r >= 1);
            }
        }
        check();
    });
}

#[test]
fn a_colluding_minority_cannot_refuse_an_honest_claim() {
    new_test_ext().execute_with(|| {
        let d = domain_with(100);
        let id = submit(OPTIMIZER, d, 500);
        let answer = |who: AccountId| Some(if who < eval(30) { -5_000 } else { 500 });
        play_round(id, answer);
        // The colluders' scores disagree with the honest ones: round 1 decides.
        assert!(Optimums::<Test>::get(id).is_some(), "escalated");
        let round1 = play_round(id, answer);
        assert!(round1.iter().filter(|m| **m < eval(30)).count() < 10);
        assert_eq!(outcome(id), Some((Outcome::Accepted, Some(500))));
        check();
    });
}

#[test]
fn a_large_claimed_gain_escalates_to_2k_before_any_verdict() {
    new_test_ext().execute_with(|| {
        let d = domain_with(10);
        let id = submit(OPTIMIZER, d, 1_000);
        play_round(id, |_| Some(1_000));
        assert_eq!(outcome(id), Some((Outcome::Accepted, Some(1_000))));
        // large_gain is 50%: 1,400 is a gain of 40% over 1,000; 2,300 one of 64% over 1,400.
        let small = submit(OPTIMIZER, d, 1_400);
        play_round(small, |_| Some(1_400));
        assert_eq!(outcome(small), Some((Outcome::Accepted, Some(1_400))));
        let big = submit(OPTIMIZER, d, 2_300);
        let r0 = play_round(big, |_| Some(2_300));
        assert_eq!(r0.len(), 4);
        assert_eq!(outcome(big), None);
        assert!(events().iter().any(|e| matches!(
            e,
            Event::Escalated { optimum, reason: EscalationReason::LargeGain, .. } if *optimum == big
        )));
        // Round 1 has 2K = 8 members and decides.
        let r1 = play_round(big, |_| Some(2_300));
        assert_eq!(r1.len(), 8);
        assert_eq!(outcome(big), Some((Outcome::Accepted, Some(2_300))));
        // Round-0 revealers were judged too.
        for m in &r0 {
            assert!(reputation(*m, Role::Evaluator) >= 1);
        }
        check();
    });
}

#[test]
fn non_revealers_lose_reputation_and_part_of_their_bond() {
    new_test_ext().execute_with(|| {
        let d = domain_with(10);
        let treasury = free(TREASURY);
        let id = submit(OPTIMIZER, d, 500);
        until_voting(id);
        let (_, members) = quorum(id);
        let lazy = members[0];
        set_reputation(lazy, Role::Evaluator, 50);
        // The lazy member commits but never reveals; the others agree.
        let (round, _) = quorum(id);
        assert_ok!(Domains::commit(
            signed(lazy),
            id,
            commit_hash(id, round, 500, &salt(lazy), &lazy)
        ));
        play_round(id, |who| (who != lazy).then_some(500));
        assert_eq!(outcome(id), Some((Outcome::Accepted, Some(500))));
        assert_eq!(reputation(lazy, Role::Evaluator), 40);
        let slashed = MIN_BOND / 10;
        assert_eq!(
            Members::<Test>::get(d, lazy).expect("member").bond,
            MIN_BOND - slashed
        );
        assert_eq!(held(lazy, HoldReason::EvaluatorBond), MIN_BOND - slashed);
        assert_eq!(free(TREASURY), treasury + slashed);
        assert!(events().contains(&Event::NonRevealerPenalized {
            optimum: id,
            who: lazy,
            slashed
        }));
        // Its round is over: it may leave.
        assert_ok!(Domains::leave_pool(signed(lazy), d));
        check();
    });
}

#[test]
fn too_few_reveals_twice_is_undecided_with_the_deposit_returned() {
    new_test_ext().execute_with(|| {
        let d = domain_with(10);
        let before = free(OPTIMIZER);
        let id = submit(OPTIMIZER, d, 500);
        play_round(id, |_| None);
        assert!(events().iter().any(|e| matches!(
            e,
            Event::Escalated {
                reason: EscalationReason::TooFewReveals,
                ..
            }
        )));
        let r1 = play_round(id, |_| None);
        assert_eq!(r1.len(), 8);
        assert_eq!(outcome(id), Some((Outcome::Undecided, None)));
        assert_eq!(free(OPTIMIZER), before);
        assert_eq!(reputation(OPTIMIZER, Role::Optimizer), 0);
        assert_eq!(crate::Domains::<Test>::get(d).expect("d").open, 0);
        check();
    });
}

#[test]
fn verdicts_per_block_are_bounded_and_finalize_is_permissionless() {
    new_test_ext().execute_with(|| {
        assert_ok!(Domains::set_params(
            RuntimeOrigin::root(),
            crate::Params {
                max_draws_per_block: 8,
                ..test_params()
            }
        ));
        let d = domain_with(30);
        let ids: Vec<_> = (0..6).map(|i| submit(OPTIMIZER, d, 100 + i)).collect();
        run_to(System::block_number() + DRAW_DELAY);
        for id in &ids {
            let (round, members) = quorum(*id);
            let claimed = Optimums::<Test>::get(id).expect("open").claimed;
            for m in members {
                assert_ok!(Domains::commit(
                    signed(m),
                    *id,
                    commit_hash(*id, round, claimed, &salt(m), &m)
                ));
            }
        }
        let (commit_until, reveal_until) = windows(ids[0]);
        run_to(commit_until);
        for id in &ids {
            let claimed = Optimums::<Test>::get(id).expect("open").claimed;
            for m in quorum(*id).1 {
                assert_ok!(Domains::reveal(signed(m), *id, claimed, salt(m)));
            }
        }
        System::set_block_number(reveal_until);
        // Someone finalizes the last one themselves; the hook then decides four.
        assert_ok!(Domains::finalize(signed(FUNDER), ids[5]));
        Domains::on_initialize(reveal_until);
        let closed = ids.iter().filter(|id| outcome(**id).is_some()).count();
        assert_eq!(closed, 5);
        run_to(reveal_until + 1);
        assert!(ids
            .iter()
            .all(|id| outcome(*id) == Some((Outcome::Accepted, Some(100 + (*id as i64))))));
        check();
    });
}

#[test]
fn verdicts_refresh_weights_only_when_they_moved_by_more_than_a_sixteenth() {
    new_test_ext().execute_with(|| {
        let d = domain_with(10);
        let id = submit(OPTIMIZER, d, 500);
        until_voting(id);
        let (_, members) = quorum(id);
        let (agreeing, lazy) = (members[0], members[1]);
        let weight = |who| {
            let m = Members::<Test>::get(d, who).expect("member");
            crate::PoolSlots::<Test>::get(d, m.slot)
                .expect("slot")
                .weight
        };
        // Reputation 100 doubles the factor (100 + 100): far beyond 1/16, refreshed.
        set_reputation(members[2], Role::Evaluator, 100);
        play_round(id, |who| (who != lazy).then_some(500));
        // +1 reputation is a 1% move: the stored weight stays.
        assert_eq!(reputation(agreeing, Role::Evaluator), 1);
        assert_eq!(weight(agreeing), MIN_BOND * 100);
        assert_eq!(weight(members[2]), MIN_BOND * 201);
        // A slash always refreshes: bond 90, reputation 0.
        assert_eq!(weight(lazy), (MIN_BOND - MIN_BOND / 10) * 100);
        check();
    });
}

#[test]
fn verdicts_stop_once_they_used_a_quarter_of_the_block() {
    use crate::WeightInfo;
    use frame_support::{traits::Get, weights::Weight};
    new_test_ext().execute_with(|| {
        assert_ok!(Domains::set_params(
            RuntimeOrigin::root(),
            crate::Params {
                max_draws_per_block: 64,
                max_verdicts_per_block: 64,
                ..test_params()
            }
        ));
        // N = 100: quorums of 10.
        let d = domain_with(100);
        let ids: Vec<_> = (0..8).map(|i| submit(OPTIMIZER, d, 100 + i)).collect();
        run_to(System::block_number() + DRAW_DELAY);
        let (_, reveal_until) = windows(ids[7]);
        // Nobody votes: each round closes with 10 seats and escalates.
        System::set_block_number(reveal_until);
        let budget = <<Test as frame_system::Config>::BlockWeights as Get<
            frame_system::limits::BlockWeights,
        >>::get()
        .max_block
            / 4;
        let per_verdict = <() as WeightInfo>::finalize(10);
        let mut fits = 1u64;
        while !per_verdict.saturating_mul(fits).any_gt(budget) {
            fits += 1;
        }
        let expected = fits.min(20);
        assert!(
            expected < 20,
            "the mock block fits every verdict: nothing to test"
        );
        Domains::on_initialize(reveal_until);
        let escalated = ids
            .iter()
            .filter(|id| Optimums::<Test>::get(**id).is_some_and(|o| o.round == 1))
            .count() as u64;
        assert_eq!(escalated, expected);
        assert!(per_verdict != Weight::zero());
        check();
    });
}

#[test]
fn a_round_0_commit_cannot_be_replayed_in_round_1() {
    assert_ne!(
        commit_hash(3, 0, 500, &[1; 32], &7u64),
        commit_hash(3, 1, 500, &[1; 32], &7u64)
    );
    new_test_ext().execute_with(|| {
        let d = domain_with(4);
        let id = submit(OPTIMIZER, d, 500);
        // Round 0: nobody reveals, so round 1 (2K = 6 > 4 members: all serve) is drawn.
        until_voting(id);
        let (_, r0) = quorum(id);
        let who = r0[0];
        let old = commit_hash(id, 0, 500, &salt(who), &who);
        assert_ok!(Domains::commit(signed(who), id, old));
        play_round(id, |_| None);
        until_voting(id);
        assert_eq!(quorum(id), (1, (0..4).map(eval).collect::<Vec<_>>()));
        // Replaying its round-0 commit: the round-1 reveal does not match it.
        assert_ok!(Domains::commit(signed(who), id, old));
        run_to(windows(id).0);
        assert_noop!(
            Domains::reveal(signed(who), id, 500, salt(who)),
            Error::<Test>::CommitMismatch
        );
        check();
    });
}
