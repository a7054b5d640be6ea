//! Epoch rewards: release threshold, per-domain minimums with a flooding domain, carries,
//! the dynamic split, claimable balances.

use super::*;
use crate::{
    rewards::{domain_share, next_eval_share},
    Carry, Claimable, CurrentEpoch, Error, Params,
};
use frame_support::assert_noop;
use sp_runtime::Perbill;

/// Plays every open optimum honestly (each member reveals the claim) until all are
/// closed, at most 200 blocks.
fn honest_network() {
    for _ in 0..200 {
        let now = System::block_number();
        let open: Vec<_> = Optimums::<Test>::iter().collect();
        if open.is_empty() {
            return;
        }
        for (id, o) in open {
            let Phase::Voting {
                commit_until,
                reveal_until,
            } = o.phase
            else {
                continue;
            };
            for (who, b) in Ballots::<Test>::iter_prefix((id, o.round)) {
                if now < commit_until && b.commit.is_none() {
                    assert_ok!(Domains::commit(
                        signed(who),
                        id,
                        commit_hash(id, o.round, o.claimed, &salt(who), &who)
                    ));
                } else if now >= commit_until && now < reveal_until && b.revealed.is_none() {
                    assert_ok!(Domains::reveal(signed(who), id, o.claimed, salt(who)));
                }
            }
        }
        run_to(now + 1);
    }
    panic!("optimums still open after 200 blocks");
}

/// Funds the pot with `amount`.
fn fund(amount: Balance) {
    assert_ok!(Domains::fund(signed(FUNDER), amount));
}

/// Runs to the end of the running epoch.
fn end_epoch() {
    run_to(CurrentEpoch::<Test>::get().ends_at);
}

/// The `DomainRewarded` events of `domain`: (epoch, share, optimizers, evaluators).
fn rewarded(domain: u32) -> Vec<(u32, Balance, Balance, Balance)> {
    events()
        .into_iter()
        .filter_map(|e| match e {
            Event::DomainRewarded {
                epoch,
                domain: d,
                share,
                optimizers,
                evaluators,
                ..
            } if d == domain => Some((epoch, share, optimizers, evaluators)),
            _ => None,
        })
        .collect()
}

#[test]
fn an_epoch_splits_65_30_5_and_rewards_are_claimable() {
    new_test_ext().execute_with(|| {
        let d = add_domain(10, 1, Perbill::from_percent(10), false);
        join_n(d, 10);
        fund(10 * REWARD);
        let id = submit(OPTIMIZER, d, 500);
        honest_network();
        let members: Vec<_> = (0..10)
            .map(eval)
            .filter(|e| reputation(*e, pallet_reputation::Role::Evaluator) > 0)
            .collect();
        assert_eq!(members.len(), 4);
        assert!(outcome(id).is_some());
        let treasury = free(TREASURY);
        end_epoch();
        // One active domain takes everything: 5% treasury, 30% evaluators, 65% optimizers.
        assert_eq!(rewarded(d), vec![(0, REWARD, 650_000, 300_000)]);
        assert_eq!(free(TREASURY), treasury + 50_000);
        assert_eq!(Claimable::<Test>::get(OPTIMIZER), 650_000);
        for m in &members {
            assert_eq!(Claimable::<Test>::get(m), 75_000);
        }
        check();
        let before = free(OPTIMIZER);
        assert_ok!(Domains::claim_rewards(signed(OPTIMIZER)));
        assert_eq!(free(OPTIMIZER), before + 650_000);
        assert_noop!(
            Domains::claim_rewards(signed(OPTIMIZER)),
            Error::<Test>::NothingToClaim
        );
        check();
    });
}

#[test]
fn below_the_release_threshold_the_epoch_extends_and_its_reward_carries_over() {
    new_test_ext().execute_with(|| {
        assert_ok!(Domains::set_params(
            RuntimeOrigin::root(),
            Params {
                release_threshold: 2,
                ..test_params()
            }
        ));
        let d = add_domain(10, 1, Perbill::from_percent(10), false);
        join_n(d, 10);
        fund(10 * REWARD);
        submit(OPTIMIZER, d, 500);
        honest_network();
        end_epoch();
        let e = CurrentEpoch::<Test>::get();
        assert_eq!((e.index, e.contributions, e.accrued), (0, 1, 2 * REWARD));
        assert_eq!(Claimable::<Test>::get(OPTIMIZER), 0);
        submit(OPTIMIZER, d, 600);
        honest_network();
        end_epoch();
        assert_eq!(CurrentEpoch::<Test>::get().index, 1);
        // Both contributions share the doubled reward: 65% of 2 × REWARD.
        assert_eq!(Claimable::<Test>::get(OPTIMIZER), 1_300_000);
        check();
    });
}

#[test]
fn the_release_is_limited_to_what_the_pot_holds_beyond_what_it_owes() {
    new_test_ext().execute_with(|| {
        let d = add_domain(10, 1, Perbill::from_percent(10), false);
        join_n(d, 10);
        fund(REWARD / 2);
        submit(OPTIMIZER, d, 500);
        honest_network();
        end_epoch();
        assert_eq!(rewarded(d), vec![(0, REWARD / 2, 325_000, 150_000)]);
        check();
    });
}

#[test]
fn a_flooding_domain_cannot_take_the_others_minimums() {
    new_test_ext().execute_with(|| {
        let a = add_domain(10, 1, Perbill::from_percent(20), false);
        let b = add_domain(10, 1, Perbill::from_percent(20), false);
        let c = add_domain(10, 1, Perbill::from_percent(10), false);
        for d in [a, b, c] {
            join_n(d, 10);
        }
        fund(10 * REWARD);
        submit(OPTIMIZER, a, 1);
        submit(OPTIMIZER, b, 1);
        // C floods: 20 contributions.
        for i in 0..20 {
            submit(OPTIMIZER2, c, 100 + i);
        }
        honest_network();
        end_epoch();
        let share = |d| rewarded(d)[0].1;
        // Minimum first (20% each for A and B), then the rest (50%) by weight (1:1:20).
        assert_eq!(share(a), 200_000 + 500_000 / 22);
        assert_eq!(share(b), 200_000 + 500_000 / 22);
        assert_eq!(share(c), 100_000 + 500_000 * 20 / 22);
        // C never takes more than 1 − Σ others' minimums.
        assert!(share(c) <= 600_000);
        assert!(share(a) >= 200_000 && share(b) >= 200_000);
        check();
    });
}

#[test]
fn minimums_above_100_percent_are_scaled_down() {
    assert_eq!(
        domain_share(1_000, Perbill::from_percent(60), 1_200_000_000, 1, 2),
        500
    );
    assert_eq!(domain_share(1_000, Perbill::from_percent(0), 0, 3, 4), 750);
}

#[test]
fn a_domain_below_its_minimum_contributions_carries_its_share_over() {
    new_test_ext().execute_with(|| {
        assert_ok!(Domains::set_params(
            RuntimeOrigin::root(),
            Params {
                min_contributions: 2,
                ..test_params()
            }
        ));
        let a = add_domain(10, 1, Perbill::from_percent(30), false);
        let b = add_domain(10, 1, Perbill::from_percent(30), false);
        join_n(a, 10);
        join_n(b, 10);
        fund(10 * REWARD);
        submit(OPTIMIZER, a, 1);
        submit(OPTIMIZER2, b, 1);
        submit(OPTIMIZER2, b, 2);
        honest_network();
        end_epoch();
        // A: 30% + 40% × 1/3; B: 30% + 40% × 2/3.
        let share_a = 300_000 + 400_000 / 3;
        assert_eq!(Carry::<Test>::get(a), share_a);
        assert!(rewarded(a).is_empty());
        assert_eq!(Claimable::<Test>::get(OPTIMIZER), 0);
        assert_eq!(rewarded(b)[0].1, 300_000 + 800_000 / 3);
        check();
        // Next epoch A reaches its minimum: it is paid its share and its carry.
        submit(OPTIMIZER, a, 5);
        submit(OPTIMIZER, a, 6);
        honest_network();
        end_epoch();
        assert_eq!(Carry::<Test>::get(a), 0);
        let (epoch, share, optimizers, evaluators) = rewarded(a)[0];
        assert_eq!((epoch, share), (1, REWARD));
        let pot = share + share_a;
        assert_eq!(optimizers + evaluators, pot - pot / 20);
        check();
    });
}

#[test]
fn the_evaluator_share_rises_with_load_and_falls_when_idle() {
    new_test_ext().execute_with(|| {
        // Busy: a pool of 3, 11 optimums of 3 seats = 33 seats > 10 per member.
        let busy = add_domain(10, 1, Perbill::from_percent(10), false);
        join_n(busy, 3);
        // Idle: a pool of 100, 1 optimum of 10 seats < 5 per member.
        let idle = add_domain(10, 1, Perbill::from_percent(10), false);
        for i in 100..200 {
            join(idle, eval(i), MIN_BOND);
        }
        fund(10 * REWARD);
        for i in 0..11 {
            submit(OPTIMIZER, busy, 100 + i);
        }
        submit(OPTIMIZER, idle, 1);
        honest_network();
        end_epoch();
        let share = |d| crate::Domains::<Test>::get(d).expect("d").eval_share;
        assert_eq!(share(busy), Perbill::from_percent(32));
        assert_eq!(share(idle), Perbill::from_percent(28));
        check();
    });
}

#[test]
fn the_evaluator_share_stays_within_its_bounds() {
    let (step, min, max) = (
        Perbill::from_percent(7),
        Perbill::from_percent(10),
        Perbill::from_percent(60),
    );
    let mut s = Perbill::from_percent(30);
    for _ in 0..20 {
        s = next_eval_share(s, 1_000, 3, 10, step, min, max);
        assert!(s <= max);
    }
    assert_eq!(s, max);
    for _ in 0..20 {
        s = next_eval_share(s, 0, 3, 10, step, min, max);
        assert!(s >= min);
    }
    assert_eq!(s, min);
    // Within [target / 2, target] it stays.
    assert_eq!(
        next_eval_share(Perbill::from_percent(30), 20, 3, 10, step, min, max),
        Perbill::from_percent(30)
    );
    // An empty pool with demand counts as scarce.
    assert_eq!(
        next_eval_share(Perbill::from_percent(30), 1, 0, 10, step, min, max),
        Perbill::from_percent(37)
    );
}

#[test]
fn funding_needs_an_amount() {
    new_test_ext().execute_with(|| {
        assert_noop!(Domains::fund(signed(FUNDER), 0), Error::<Test>::ZeroAmount);
        fund(5);
        assert_eq!(free(Domains::account_id()), 5 + ED);
        check();
    });
}
