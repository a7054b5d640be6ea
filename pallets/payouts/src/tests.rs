//! Tests of pallet-payouts on the mock runtime. Every test ends with `do_try_state`, so
//! each also checks the ledger invariant `TotalOwed == Σ Owed == ledger free − ED`.

use crate::{mock::*, *};
use frame_support::{
    assert_noop, assert_ok,
    traits::{
        fungible::{InspectHold, MutateHold},
        tokens::Precision,
        Hooks,
    },
};
use sp_runtime::{DispatchError, TokenError};

fn ledger() -> AccountId {
    Payouts::account_id()
}

fn free(who: AccountId) -> Balance {
    Balances::free_balance(who)
}

fn end() {
    Payouts::do_try_state().expect("invariants hold");
}

fn queue() -> Vec<AccountId> {
    let (front, back) = QueueBounds::<Test>::get();
    (front..back).filter_map(PayoutQueue::<Test>::get).collect()
}

fn paid_out_in_last_block() -> Vec<AccountId> {
    payouts_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::PaidOut { creator, .. } => Some(creator),
            _ => None,
        })
        .collect()
}

/// Creates a plan for `creator` (price, period) and returns its id.
fn plan(creator: AccountId, price: Balance, period: u64) -> PlanId {
    let id = NextPlanId::<Test>::get(creator);
    assert_ok!(Payouts::create_plan(
        RuntimeOrigin::signed(creator),
        price,
        period
    ));
    id
}

// ---------------------------------------------------------------- genesis and params

#[test]
fn genesis_creates_the_ledger_account_with_the_existential_deposit() {
    new_test_ext().execute_with(|| {
        assert_eq!(free(ledger()), ED);
        assert_eq!(TotalOwed::<Test>::get(), 0);
        assert_eq!(ActiveParams::<Test>::get(), Some(test_params()));
        end();
    });
}

#[test]
fn set_params_needs_governance_and_sane_values() {
    new_test_ext().execute_with(|| {
        let mut p = test_params();
        p.payout_period = 20;
        assert_noop!(
            Payouts::set_params(RuntimeOrigin::signed(1), p.clone()),
            DispatchError::BadOrigin
        );
        for bad in [
            Params {
                payout_period: 0,
                ..p.clone()
            },
            Params {
                max_payouts_per_block: 0,
                ..p.clone()
            },
            Params {
                max_charges_per_block: 0,
                ..p.clone()
            },
            Params {
                min_plan_period: 0,
                ..p.clone()
            },
            // Far beyond what fits in a fifth of the block.
            Params {
                max_payouts_per_block: 1_000_000,
                ..p.clone()
            },
            Params {
                max_charges_per_block: 1_000_000,
                ..p.clone()
            },
        ] {
            assert_noop!(
                Payouts::set_params(RuntimeOrigin::root(), bad),
                Error::<Test>::InvalidParams
            );
        }
        assert_ok!(Payouts::set_params(RuntimeOrigin::root(), p.clone()));
        assert_eq!(ActiveParams::<Test>::get(), Some(p));
        assert_eq!(payouts_events().last(), Some(&Event::ParamsSet));
        end();
    });
}

#[test]
fn default_params_are_valid() {
    new_test_ext().execute_with(|| {
        assert_ok!(Payouts::check_params(&Params::default()));
        end();
    });
}

// ---------------------------------------------------------------- tips and the ledger

#[test]
fn tip_moves_funds_into_the_ledger_and_queues_the_creator() {
    new_test_ext().execute_with(|| {
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 2, 100));
        assert_eq!(free(1), 9_900);
        assert_eq!(free(ledger()), ED + 100);
        assert_eq!(Owed::<Test>::get(2), 100);
        assert_eq!(TotalOwed::<Test>::get(), 100);
        assert_eq!(queue(), vec![2]);
        assert_eq!(
            payouts_events().last(),
            Some(&Event::Credited {
                payer: 1,
                creator: 2,
                amount: 100,
                source: CreditSource::Tip
            })
        );
        // A second tip adds up; the creator is queued once.
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(3), 2, 50));
        assert_eq!(Owed::<Test>::get(2), 150);
        assert_eq!(queue(), vec![2]);
        end();
    });
}

#[test]
fn tip_of_zero_is_refused() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Payouts::tip(RuntimeOrigin::signed(1), 2, 0),
            Error::<Test>::ZeroAmount
        );
        end();
    });
}

#[test]
fn tip_to_the_ledger_account_is_refused() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Payouts::tip(RuntimeOrigin::signed(1), ledger(), 100),
            Error::<Test>::LedgerAccount
        );
        end();
    });
}

#[test]
fn tip_that_would_kill_the_tipper_is_refused() {
    new_test_ext().execute_with(|| {
        // 10,000 free, ED 10: at most 9,990 can leave.
        assert_noop!(
            Payouts::tip(RuntimeOrigin::signed(1), 2, 9_995),
            DispatchError::Token(TokenError::NotExpendable)
        );
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 2, 9_990));
        end();
    });
}

#[test]
fn overflow_sized_tip_is_refused_cleanly() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Payouts::tip(RuntimeOrigin::signed(1), 2, Balance::MAX),
            DispatchError::Arithmetic(sp_runtime::ArithmeticError::Underflow)
        );
        // The books themselves cannot overflow either: with `TotalOwed` one short of the
        // maximum (impossible with real funds), a tip is refused before any funds move.
        TotalOwed::<Test>::put(Balance::MAX - 1);
        assert_noop!(
            Payouts::tip(RuntimeOrigin::signed(1), 2, 10),
            Error::<Test>::Overflow
        );
        TotalOwed::<Test>::put(0);
        Owed::<Test>::insert(2, Balance::MAX - 1);
        assert_noop!(
            Payouts::tip(RuntimeOrigin::signed(1), 2, 10),
            Error::<Test>::Overflow
        );
        Owed::<Test>::remove(2);
        assert_eq!(free(1), 10_000);
        end();
    });
}

#[test]
fn ledger_credit_of_zero_is_a_no_op() {
    new_test_ext().execute_with(|| {
        assert_ok!(<Payouts as PayoutLedger<_, _>>::credit(
            &1,
            &2,
            0,
            CreditSource::Engagement
        ));
        assert_eq!(Owed::<Test>::get(2), 0);
        assert!(queue().is_empty());
        assert!(payouts_events().is_empty());
        end();
    });
}

#[test]
fn ledger_credit_from_hold_moves_held_funds() {
    new_test_ext().execute_with(|| {
        let reason: RuntimeHoldReason = pallet_holder::HoldReason::Budget.into();
        assert_ok!(Balances::hold(&reason, &1, 500));
        assert_ok!(<Payouts as PayoutLedger<_, _>>::credit_from_hold(
            &reason,
            &1,
            &2,
            300,
            CreditSource::Ads
        ));
        assert_eq!(Balances::balance_on_hold(&reason, &1), 200);
        assert_eq!(free(1), 9_500);
        assert_eq!(Owed::<Test>::get(2), 300);
        assert_eq!(free(ledger()), ED + 300);
        // More than is held: refused, nothing moves.
        assert_noop!(
            <Payouts as PayoutLedger<_, _>>::credit_from_hold(
                &reason,
                &1,
                &2,
                201,
                CreditSource::Ads
            ),
            DispatchError::Token(TokenError::Frozen)
        );
        assert_ok!(Balances::release(&reason, &1, 200, Precision::Exact));
        end();
    });
}

// ---------------------------------------------------------------- claims and destinations

#[test]
fn claim_pays_everything_owed_even_below_the_minimum_payout() {
    new_test_ext().execute_with(|| {
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 2, 30));
        assert_ok!(Payouts::claim(RuntimeOrigin::signed(2)));
        assert_eq!(free(2), 10_030);
        assert_eq!(Owed::<Test>::get(2), 0);
        assert_eq!(TotalOwed::<Test>::get(), 0);
        assert_eq!(free(ledger()), ED);
        assert_eq!(
            payouts_events().last(),
            Some(&Event::PaidOut {
                creator: 2,
                destination: PayoutDestination::L1(2),
                amount: 30
            })
        );
        end();
    });
}

#[test]
fn double_claim_is_refused() {
    new_test_ext().execute_with(|| {
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 2, 100));
        assert_ok!(Payouts::claim(RuntimeOrigin::signed(2)));
        assert_noop!(
            Payouts::claim(RuntimeOrigin::signed(2)),
            Error::<Test>::NothingOwed
        );
        assert_eq!(free(2), 10_100);
        end();
    });
}

#[test]
fn claim_with_nothing_owed_is_refused() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Payouts::claim(RuntimeOrigin::signed(2)),
            Error::<Test>::NothingOwed
        );
        end();
    });
}

#[test]
fn claim_below_the_existential_deposit_to_a_new_account_fails_changing_nothing() {
    new_test_ext().execute_with(|| {
        // Creator 50 has no account; 5 < ED cannot create one.
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 50, 5));
        assert_noop!(
            Payouts::claim(RuntimeOrigin::signed(50)),
            Error::<Test>::PayoutFailed
        );
        assert_eq!(Owed::<Test>::get(50), 5);
        end();
    });
}

#[test]
fn claim_goes_to_the_l1_destination() {
    new_test_ext().execute_with(|| {
        assert_ok!(Payouts::set_destination(
            RuntimeOrigin::signed(2),
            PayoutDestination::L1(3)
        ));
        assert_eq!(Destinations::<Test>::get(2), Some(PayoutDestination::L1(3)));
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 2, 100));
        assert_ok!(Payouts::claim(RuntimeOrigin::signed(2)));
        assert_eq!(free(3), 10_100);
        assert_eq!(free(2), 10_000);
        // Back to its own account: the entry goes.
        assert_ok!(Payouts::set_destination(
            RuntimeOrigin::signed(2),
            PayoutDestination::L1(2)
        ));
        assert_eq!(Destinations::<Test>::get(2), None);
        end();
    });
}

#[test]
fn the_ledger_account_is_not_a_destination() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Payouts::set_destination(RuntimeOrigin::signed(2), PayoutDestination::L1(ledger())),
            Error::<Test>::LedgerAccount
        );
        end();
    });
}

#[test]
fn l2_destination_is_refused_while_unavailable() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Payouts::set_destination(RuntimeOrigin::signed(2), PayoutDestination::L2([7; 32])),
            Error::<Test>::L2Unavailable
        );
        end();
    });
}

#[test]
fn claim_pays_through_l2_when_available() {
    new_test_ext().execute_with(|| {
        L2Available::set(true);
        assert_ok!(Payouts::set_destination(
            RuntimeOrigin::signed(2),
            PayoutDestination::L2([7; 32])
        ));
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 2, 100));
        // A failing bridge: refused, still owed.
        L2Fails::set(true);
        assert_noop!(
            Payouts::claim(RuntimeOrigin::signed(2)),
            Error::<Test>::PayoutFailed
        );
        // A bridge that moves less than asked: refused, the books stay right.
        L2Fails::set(false);
        L2Short::set(1);
        assert_noop!(
            Payouts::claim(RuntimeOrigin::signed(2)),
            Error::<Test>::L2PaidWrongAmount
        );
        L2Short::set(0);
        L2Paid::set(Vec::new());
        assert_ok!(Payouts::claim(RuntimeOrigin::signed(2)));
        assert_eq!(L2Paid::get(), vec![([7; 32], 100)]);
        assert_eq!(free(BRIDGE), 100);
        assert_eq!(Owed::<Test>::get(2), 0);
        end();
    });
}

// ---------------------------------------------------------------- payout batches

#[test]
fn batches_pay_at_most_max_payouts_per_block() {
    new_test_ext().execute_with(|| {
        for creator in 2..=6 {
            assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), creator, 100));
        }
        run_to_block(9);
        assert_eq!(
            TotalOwed::<Test>::get(),
            500,
            "nothing paid before the period ends"
        );
        let mut paid = Vec::new();
        for _ in 0..3 {
            System::reset_events();
            next_block();
            let this_block = paid_out_in_last_block();
            assert!(this_block.len() <= 2, "at most 2 per block");
            paid.extend(this_block);
        }
        assert_eq!(paid, vec![2, 3, 4, 5, 6], "in queue order");
        assert_eq!(TotalOwed::<Test>::get(), 0);
        for creator in 2..=6 {
            assert_eq!(free(creator), 10_100);
        }
        assert!(queue().is_empty());
        end();
    });
}

#[test]
fn creators_credited_after_the_batch_started_wait_for_the_next_one() {
    new_test_ext().execute_with(|| {
        for creator in 2..=4 {
            assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), creator, 100));
        }
        run_to_block(10); // batch of 2, 3, 4: 2 and 3 paid
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 5, 100));
        run_to_block(15);
        assert_eq!(Owed::<Test>::get(4), 0);
        assert_eq!(Owed::<Test>::get(5), 100, "not in this batch");
        run_to_block(20);
        assert_eq!(Owed::<Test>::get(5), 0);
        end();
    });
}

#[test]
fn creators_below_the_minimum_payout_stay_owed_and_leave_the_queue() {
    new_test_ext().execute_with(|| {
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 2, 30));
        run_to_block(10);
        assert_eq!(Owed::<Test>::get(2), 30);
        assert!(queue().is_empty(), "dust does not squat the queue");
        // The next credit queues it again; now above the minimum, the next batch pays.
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 2, 30));
        assert_eq!(queue(), vec![2]);
        run_to_block(20);
        assert_eq!(Owed::<Test>::get(2), 0);
        assert_eq!(free(2), 10_060);
        end();
    });
}

#[test]
fn a_failed_batch_transfer_is_queued_again_and_paid_in_the_next_batch() {
    new_test_ext().execute_with(|| {
        L2Available::set(true);
        assert_ok!(Payouts::set_destination(
            RuntimeOrigin::signed(2),
            PayoutDestination::L2([2; 32])
        ));
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 2, 100));
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 3, 100));
        L2Fails::set(true);
        run_to_block(10);
        assert!(payouts_events().contains(&Event::PayoutFailed {
            creator: 2,
            amount: 100
        }));
        assert_eq!(Owed::<Test>::get(2), 100);
        assert_eq!(
            Owed::<Test>::get(3),
            0,
            "the failure does not stop the batch"
        );
        assert_eq!(queue(), vec![2], "back in the queue");
        // Not retried within the batch it failed in.
        run_to_block(19);
        assert_eq!(Owed::<Test>::get(2), 100);
        L2Fails::set(false);
        run_to_block(20);
        assert_eq!(Owed::<Test>::get(2), 0);
        assert_eq!(L2Paid::get(), vec![([2; 32], 100)]);
        end();
    });
}

#[test]
fn a_full_queue_still_credits_and_queues_later() {
    new_test_ext().execute_with(|| {
        MaxQueueLen::set(2);
        for creator in 2..=4 {
            assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), creator, 100));
        }
        assert_eq!(queue(), vec![2, 3]);
        assert_eq!(Owed::<Test>::get(4), 100, "credited although not queued");
        run_to_block(10);
        assert!(queue().is_empty());
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 4, 1));
        assert_eq!(queue(), vec![4]);
        run_to_block(20);
        assert_eq!(Owed::<Test>::get(4), 0);
        assert_eq!(free(4), 10_101);
        end();
    });
}

#[test]
fn a_claim_before_the_batch_leaves_nothing_to_pay() {
    new_test_ext().execute_with(|| {
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 2, 100));
        assert_ok!(Payouts::claim(RuntimeOrigin::signed(2)));
        run_to_block(10);
        assert_eq!(free(2), 10_100, "paid once");
        assert!(queue().is_empty());
        end();
    });
}

// ---------------------------------------------------------------- plans

#[test]
fn create_plan_checks_price_period_and_count() {
    new_test_ext().execute_with(|| {
        let o = RuntimeOrigin::signed(2);
        assert_noop!(
            Payouts::create_plan(o.clone(), 0, 5),
            Error::<Test>::PriceTooLow
        );
        assert_noop!(
            Payouts::create_plan(o.clone(), 9, 5),
            Error::<Test>::PriceTooLow
        );
        assert_noop!(
            Payouts::create_plan(o.clone(), 10, 4),
            Error::<Test>::PeriodTooShort
        );
        assert_eq!(plan(2, 10, 5), 0);
        assert_eq!(plan(2, 20, 5), 1);
        assert_eq!(plan(2, 30, 5), 2);
        assert_noop!(
            Payouts::create_plan(o.clone(), 10, 5),
            Error::<Test>::TooManyPlans
        );
        assert_ok!(Payouts::retire_plan(o.clone(), 1));
        // Ids are not reused.
        assert_eq!(plan(2, 40, 5), 3);
        assert_eq!(
            Plans::<Test>::get(2, 3),
            Some(Plan {
                price: 40,
                period: 5
            })
        );
        end();
    });
}

#[test]
fn plan_ids_run_out_cleanly() {
    new_test_ext().execute_with(|| {
        NextPlanId::<Test>::insert(2, PlanId::MAX);
        assert_noop!(
            Payouts::create_plan(RuntimeOrigin::signed(2), 10, 5),
            Error::<Test>::PlanIdsExhausted
        );
        NextPlanId::<Test>::remove(2);
        end();
    });
}

#[test]
fn retire_unknown_plan_is_refused() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Payouts::retire_plan(RuntimeOrigin::signed(2), 0),
            Error::<Test>::UnknownPlan
        );
        let id = plan(2, 10, 5);
        // Only its creator can retire it.
        assert_noop!(
            Payouts::retire_plan(RuntimeOrigin::signed(3), id),
            Error::<Test>::UnknownPlan
        );
        end();
    });
}

// ---------------------------------------------------------------- subscriptions

#[test]
fn subscription_is_charged_over_three_periods() {
    new_test_ext().execute_with(|| {
        let id = plan(2, 100, 5);
        assert_ok!(Payouts::subscribe(RuntimeOrigin::signed(1), 2, id));
        assert_eq!(free(1), 9_900, "first period charged at once");
        assert_eq!(Subscriptions::<Test>::get(1, 2).unwrap().next_charge, 6);
        run_to_block(5);
        assert_eq!(free(1), 9_900);
        run_to_block(6);
        assert_eq!(free(1), 9_800, "second period");
        assert!(payouts_events().contains(&Event::SubscriptionCharged {
            subscriber: 1,
            creator: 2,
            amount: 100,
            next_charge: 11
        }));
        run_to_block(11);
        assert_eq!(free(1), 9_700, "third period");
        assert_eq!(Subscriptions::<Test>::get(1, 2).unwrap().next_charge, 16);
        // The creator was owed every charge: the batch at block 10 paid the first two.
        assert_eq!(free(2), 10_200);
        assert_eq!(Owed::<Test>::get(2), 100);
        end();
    });
}

#[test]
fn a_failed_charge_lapses_the_subscription() {
    new_test_ext().execute_with(|| {
        let id = plan(2, 100, 5);
        assert_ok!(Payouts::subscribe(RuntimeOrigin::signed(1), 2, id));
        // The subscriber spends everything it can.
        assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), 3, 9_890));
        run_to_block(6);
        assert!(payouts_events().contains(&Event::SubscriptionLapsed {
            subscriber: 1,
            creator: 2,
            reason: LapseReason::ChargeFailed
        }));
        assert_eq!(Subscriptions::<Test>::get(1, 2), None);
        assert_eq!(SubscriptionCount::<Test>::get(1), 0);
        assert_eq!(free(1), ED);
        assert!(Due::<Test>::iter().next().is_none());
        end();
    });
}

#[test]
fn cancel_stops_further_charges() {
    new_test_ext().execute_with(|| {
        let id = plan(2, 100, 5);
        assert_ok!(Payouts::subscribe(RuntimeOrigin::signed(1), 2, id));
        assert_ok!(Payouts::cancel(RuntimeOrigin::signed(1), 2));
        assert_eq!(
            payouts_events().last(),
            Some(&Event::SubscriptionCancelled {
                subscriber: 1,
                creator: 2
            })
        );
        assert!(Due::<Test>::get(6).is_empty());
        run_to_block(20);
        assert_eq!(free(1), 9_900, "only the first period");
        assert_noop!(
            Payouts::cancel(RuntimeOrigin::signed(1), 2),
            Error::<Test>::NotSubscribed
        );
        // It may subscribe again later.
        assert_ok!(Payouts::subscribe(RuntimeOrigin::signed(1), 2, id));
        end();
    });
}

#[test]
fn cancel_keeps_the_other_subscriptions_due_at_the_same_block() {
    new_test_ext().execute_with(|| {
        let id = plan(2, 100, 5);
        for s in [1, 3, 4] {
            assert_ok!(Payouts::subscribe(RuntimeOrigin::signed(s), 2, id));
        }
        assert_ok!(Payouts::cancel(RuntimeOrigin::signed(3), 2));
        assert_eq!(Due::<Test>::get(6).into_inner(), vec![(1, 2), (4, 2)]);
        run_to_block(6);
        assert_eq!(free(1), 9_800);
        assert_eq!(free(3), 9_900);
        assert_eq!(free(4), 9_800);
        end();
    });
}

#[test]
fn cancel_without_subscription_is_refused() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Payouts::cancel(RuntimeOrigin::signed(1), 2),
            Error::<Test>::NotSubscribed
        );
        end();
    });
}

#[test]
fn a_retired_plan_lapses_its_subscribers_at_their_next_charge() {
    new_test_ext().execute_with(|| {
        let id = plan(2, 100, 5);
        assert_ok!(Payouts::subscribe(RuntimeOrigin::signed(1), 2, id));
        assert_ok!(Payouts::retire_plan(RuntimeOrigin::signed(2), id));
        assert_noop!(
            Payouts::subscribe(RuntimeOrigin::signed(3), 2, id),
            Error::<Test>::UnknownPlan
        );
        run_to_block(6);
        assert!(payouts_events().contains(&Event::SubscriptionLapsed {
            subscriber: 1,
            creator: 2,
            reason: LapseReason::PlanRetired
        }));
        assert_eq!(free(1), 9_900);
        assert_eq!(Subscriptions::<Test>::get(1, 2), None);
        end();
    });
}

#[test]
fn subscribe_checks() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Payouts::subscribe(RuntimeOrigin::signed(1), 2, 0),
            Error::<Test>::UnknownPlan
        );
        let id = plan(2, 100, 5);
        assert_ok!(Payouts::subscribe(RuntimeOrigin::signed(1), 2, id));
        assert_noop!(
            Payouts::subscribe(RuntimeOrigin::signed(1), 2, id),
            Error::<Test>::AlreadySubscribed
        );
        for creator in [3, 4] {
            let id = plan(creator, 10, 5);
            assert_ok!(Payouts::subscribe(RuntimeOrigin::signed(1), creator, id));
        }
        let id5 = plan(5, 10, 5);
        assert_noop!(
            Payouts::subscribe(RuntimeOrigin::signed(1), 5, id5),
            Error::<Test>::TooManySubscriptions
        );
        // A subscriber that cannot pay the first period is refused, nothing stored.
        let big = plan(5, 20_000, 5);
        assert_noop!(
            Payouts::subscribe(RuntimeOrigin::signed(6), 5, big),
            DispatchError::Token(TokenError::FundsUnavailable)
        );
        end();
    });
}

#[test]
fn charges_are_bounded_per_block_and_the_rest_carry_over_without_shifting_the_schedule() {
    new_test_ext().execute_with(|| {
        let id = plan(2, 100, 5);
        for s in [1, 3, 4, 5, 6] {
            assert_ok!(Payouts::subscribe(RuntimeOrigin::signed(s), 2, id));
        }
        let charged = || {
            payouts_events()
                .into_iter()
                .filter_map(|e| match e {
                    Event::SubscriptionCharged {
                        subscriber,
                        next_charge,
                        ..
                    } => Some((subscriber, next_charge)),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        run_to_block(5);
        System::reset_events();
        next_block(); // 6: three of five
        assert_eq!(charged(), vec![(1, 11), (3, 11), (4, 11)]);
        System::reset_events();
        next_block(); // 7: the other two, still due again at 11
        assert_eq!(charged(), vec![(5, 11), (6, 11)]);
        end();
    });
}

#[test]
fn a_full_due_block_moves_to_the_next_with_room_and_then_refuses() {
    new_test_ext().execute_with(|| {
        MaxDue::set(1);
        let id = plan(2, 10, 5);
        let subscribers: Vec<AccountId> = (3..=20).collect();
        for (i, s) in subscribers.iter().take(DUE_PROBE as usize).enumerate() {
            assert_ok!(Payouts::subscribe(RuntimeOrigin::signed(*s), 2, id));
            assert_eq!(
                Subscriptions::<Test>::get(s, 2).unwrap().next_charge,
                6 + i as u64
            );
        }
        let late = subscribers[DUE_PROBE as usize];
        assert_noop!(
            Payouts::subscribe(RuntimeOrigin::signed(late), 2, id),
            Error::<Test>::ScheduleFull
        );
        end();
    });
}

#[test]
fn a_renewal_without_room_lapses_uncharged() {
    new_test_ext().execute_with(|| {
        MaxDue::set(1);
        let long = plan(2, 10, 10);
        let short = plan(3, 10, 5);
        // Subscriber 1's renewal at 1 + 5 = 6 wants 11..19, which subscribers 4..=12
        // (period 10, subscribed at block 1) occupy: 11, 12, …
        assert_ok!(Payouts::subscribe(RuntimeOrigin::signed(1), 3, short));
        for s in 4..(4 + DUE_PROBE as u64) {
            assert_ok!(Payouts::subscribe(RuntimeOrigin::signed(s), 2, long));
        }
        run_to_block(6);
        assert!(payouts_events().contains(&Event::SubscriptionLapsed {
            subscriber: 1,
            creator: 3,
            reason: LapseReason::ScheduleFull
        }));
        assert_eq!(free(1), 9_990, "not charged for the renewal");
        end();
    });
}

#[test]
fn a_backlog_is_walked_from_the_cursor() {
    new_test_ext().execute_with(|| {
        let id = plan(2, 100, 5);
        assert_ok!(Payouts::subscribe(RuntimeOrigin::signed(1), 2, id));
        // Blocks 2..=20 pass without on_initialize (as if the hook had no budget);
        // the next hook walks from the cursor, 3 units per block.
        System::set_block_number(20);
        let before = free(1);
        let mut n = 20;
        while ChargeCursor::<Test>::get() < Some(21) {
            n += 1;
            System::set_block_number(n);
            Payouts::on_initialize(n);
        }
        // Due at 6, 11 and 16: all charged, each one period after the last.
        assert_eq!(before - free(1), 300);
        assert_eq!(Subscriptions::<Test>::get(1, 2).unwrap().next_charge, 21);
        assert!(n > 21, "the walk took more than one block");
        end();
    });
}

#[test]
fn ledger_credit_that_the_payer_cannot_pay_changes_nothing() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            <Payouts as PayoutLedger<_, _>>::credit(&1, &2, 10_001, CreditSource::Engagement),
            DispatchError::Token(TokenError::FundsUnavailable)
        );
        // An account that does not exist pays nothing either.
        assert_noop!(
            <Payouts as PayoutLedger<_, _>>::credit(&77, &2, 1, CreditSource::Engagement),
            DispatchError::Token(TokenError::FundsUnavailable)
        );
        end();
    });
}

#[test]
fn the_hook_weight_counts_the_work_done() {
    use crate::weights::WeightInfo as _;
    new_test_ext().execute_with(|| {
        for creator in 2..=6 {
            assert_ok!(Payouts::tip(RuntimeOrigin::signed(1), creator, 100));
        }
        run_to_block(9);
        // Block 10: one empty due list walked, two payouts (the per-block limit).
        System::set_block_number(10);
        let w = Payouts::on_initialize(10);
        assert_eq!(
            w,
            <() as crate::WeightInfo>::on_initialize_idle()
                .saturating_add(<()>::on_initialize_charges(1))
                .saturating_add(<()>::on_initialize_payouts(2))
        );
        end();
    });
}
