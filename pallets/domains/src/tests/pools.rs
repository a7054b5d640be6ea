//! The domain registry, parameters and evaluator pools (bonds).

use super::*;
use crate::{Error, EvaluatorDomains, HoldReason, Members, NextDomainId, Params, Pools};
use frame_support::{assert_noop, BoundedVec};
use sp_core::H256;
use sp_runtime::{BuildStorage, DispatchError, Perbill};

#[test]
fn governance_registers_and_updates_domains() {
    new_test_ext().execute_with(|| {
        let name: BoundedVec<u8, _> = BoundedVec::truncate_from(b"least-squares".to_vec());
        assert_noop!(
            Domains::register_domain(
                signed(OPTIMIZER),
                name.clone(),
                crate::Direction::LowerIsBetter,
                H256::zero(),
                5,
                1,
                Perbill::zero()
            ),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Domains::register_domain(
                RuntimeOrigin::root(),
                name.clone(),
                crate::Direction::LowerIsBetter,
                H256::zero(),
                5,
                0,
                Perbill::zero()
            ),
            Error::<Test>::ZeroRewardWeight
        );
        let d = add_domain(5, 2, Perbill::from_percent(10), true);
        assert_eq!(d, 0);
        assert_ok!(Domains::update_domain(
            RuntimeOrigin::root(),
            d,
            9,
            3,
            Perbill::from_percent(20)
        ));
        let dom = crate::Domains::<Test>::get(d).expect("registered");
        assert_eq!(
            (dom.tolerance, dom.reward_weight, dom.min_share),
            (9, 3, Perbill::from_percent(20))
        );
        assert_eq!(dom.eval_share, Perbill::from_percent(30));
        assert_noop!(
            Domains::update_domain(RuntimeOrigin::root(), 7, 9, 3, Perbill::zero()),
            Error::<Test>::UnknownDomain
        );
        assert_noop!(
            Domains::update_domain(RuntimeOrigin::root(), d, 9, 0, Perbill::zero()),
            Error::<Test>::ZeroRewardWeight
        );
        check();
    });
}

#[test]
fn at_most_max_domains_are_registered() {
    new_test_ext().execute_with(|| {
        for _ in 0..1_000 {
            add_domain(1, 1, Perbill::zero(), false);
        }
        assert_eq!(NextDomainId::<Test>::get(), 1_000);
        assert_noop!(
            Domains::register_domain(
                RuntimeOrigin::root(),
                BoundedVec::truncate_from(b"one too many".to_vec()),
                crate::Direction::HigherIsBetter,
                H256::zero(),
                1,
                1,
                Perbill::zero()
            ),
            Error::<Test>::TooManyDomains
        );
    });
}

#[test]
fn set_params_checks_its_input() {
    new_test_ext().execute_with(|| {
        let p = test_params();
        assert_noop!(
            Domains::set_params(signed(OPTIMIZER), p.clone()),
            DispatchError::BadOrigin
        );
        let bad: Vec<(Params<Balance, u64>, Error<Test>)> = vec![
            (
                Params {
                    commit_window: 0,
                    ..p.clone()
                },
                Error::<Test>::ZeroParam,
            ),
            (
                Params {
                    reveal_window: 0,
                    ..p.clone()
                },
                Error::<Test>::ZeroParam,
            ),
            (
                Params {
                    draw_delay: 0,
                    ..p.clone()
                },
                Error::<Test>::ZeroParam,
            ),
            (
                Params {
                    epoch_length: 0,
                    ..p.clone()
                },
                Error::<Test>::ZeroParam,
            ),
            (
                Params {
                    max_draws_per_block: 0,
                    ..p.clone()
                },
                Error::<Test>::ZeroParam,
            ),
            (
                Params {
                    max_verdicts_per_block: 0,
                    ..p.clone()
                },
                Error::<Test>::ZeroParam,
            ),
            (
                Params {
                    max_payouts_per_block: 0,
                    ..p.clone()
                },
                Error::<Test>::ZeroParam,
            ),
            (
                Params {
                    min_reveals: 0,
                    ..p.clone()
                },
                Error::<Test>::ZeroParam,
            ),
            (
                Params {
                    far_factor: 0,
                    ..p.clone()
                },
                Error::<Test>::ZeroParam,
            ),
            (
                Params {
                    reputation_base: 0,
                    ..p.clone()
                },
                Error::<Test>::ZeroParam,
            ),
            (
                Params {
                    min_bond: 0,
                    ..p.clone()
                },
                Error::<Test>::ZeroMinBond,
            ),
            (
                Params {
                    max_eval_share: Perbill::from_percent(96),
                    ..p.clone()
                },
                Error::<Test>::BadShares,
            ),
            (
                Params {
                    min_eval_share: Perbill::from_percent(31),
                    ..p.clone()
                },
                Error::<Test>::BadShares,
            ),
        ];
        for (params, err) in bad {
            assert_noop!(Domains::set_params(RuntimeOrigin::root(), params), err);
        }
        let good = Params {
            commit_window: 7,
            ..p
        };
        assert_ok!(Domains::set_params(RuntimeOrigin::root(), good.clone()));
        assert_eq!(Domains::params(), good);
        check();
    });
}

#[test]
fn default_params_are_valid() {
    new_test_ext().execute_with(|| {
        assert_ok!(Domains::check_params(&Params::default()));
    });
}

#[test]
fn joining_holds_the_bond_and_checks_its_input() {
    new_test_ext().execute_with(|| {
        let d = add_domain(5, 1, Perbill::zero(), false);
        let who = OPTIMIZER2;
        assert_noop!(
            Domains::join_pool(signed(who), 9, MIN_BOND),
            Error::<Test>::UnknownDomain
        );
        assert_noop!(
            Domains::join_pool(signed(who), d, MIN_BOND - 1),
            Error::<Test>::BondTooLow
        );
        assert_noop!(
            Domains::join_pool(signed(who), d, FUNDS * 2),
            sp_runtime::TokenError::FundsUnavailable
        );
        assert_ok!(Domains::join_pool(signed(who), d, MIN_BOND * 3));
        assert_eq!(held(who, HoldReason::EvaluatorBond), MIN_BOND * 3);
        assert_eq!(Pools::<Test>::get(d).size, 1);
        assert_noop!(
            Domains::join_pool(signed(who), d, MIN_BOND),
            Error::<Test>::AlreadyMember
        );
        check();
    });
}

#[test]
fn pools_and_pools_per_evaluator_are_bounded() {
    new_test_ext().execute_with(|| {
        MaxEvaluatorsPerDomain::set(2);
        let d = add_domain(5, 1, Perbill::zero(), false);
        join_n(d, 2);
        <Balances as frame_support::traits::fungible::Mutate<AccountId>>::set_balance(
            &eval(2),
            FUNDS,
        );
        assert_noop!(
            Domains::join_pool(signed(eval(2)), d, MIN_BOND),
            Error::<Test>::PoolFull
        );
        for _ in 0..8 {
            let d = add_domain(5, 1, Perbill::zero(), false);
            join(d, OPTIMIZER2, MIN_BOND);
        }
        let ninth = add_domain(5, 1, Perbill::zero(), false);
        assert_noop!(
            Domains::join_pool(signed(OPTIMIZER2), ninth, MIN_BOND),
            Error::<Test>::TooManyPools
        );
        assert_eq!(EvaluatorDomains::<Test>::get(OPTIMIZER2).len(), 8);
        assert_eq!(held(OPTIMIZER2, HoldReason::EvaluatorBond), MIN_BOND * 8);
        check();
    });
}

#[test]
fn bond_more_unbond_and_leave_release_at_once_when_not_serving() {
    new_test_ext().execute_with(|| {
        let d = add_domain(5, 1, Perbill::zero(), false);
        let who = OPTIMIZER2;
        join(d, who, MIN_BOND);
        assert_noop!(
            Domains::bond_more(signed(who), d, 0),
            Error::<Test>::ZeroAmount
        );
        assert_noop!(
            Domains::bond_more(signed(FUNDER), d, 5),
            Error::<Test>::NotMember
        );
        assert_ok!(Domains::bond_more(signed(who), d, 50));
        assert_eq!(held(who, HoldReason::EvaluatorBond), MIN_BOND + 50);
        assert_noop!(
            Domains::unbond(signed(who), d, 51),
            Error::<Test>::BondTooLow
        );
        assert_noop!(
            Domains::unbond(signed(who), d, MIN_BOND * 10),
            Error::<Test>::BondTooLow
        );
        assert_noop!(
            Domains::unbond(signed(who), d, 0),
            Error::<Test>::ZeroAmount
        );
        let free_before = free(who);
        assert_ok!(Domains::unbond(signed(who), d, 50));
        assert_eq!(free(who), free_before + 50);
        assert_eq!(Members::<Test>::get(d, who).expect("member").bond, MIN_BOND);
        assert_ok!(Domains::leave_pool(signed(who), d));
        assert_eq!(held(who, HoldReason::EvaluatorBond), 0);
        assert_eq!(free(who), free_before + 50 + MIN_BOND);
        assert!(EvaluatorDomains::<Test>::get(who).is_empty());
        assert_noop!(
            Domains::leave_pool(signed(who), d),
            Error::<Test>::NotMember
        );
        check();
    });
}

#[test]
fn a_serving_member_cannot_unbond_or_leave_until_its_round_ends() {
    new_test_ext().execute_with(|| {
        let d = add_domain(5, 1, Perbill::zero(), false);
        join_n(d, 3);
        join(d, eval(3), MIN_BOND * 2);
        let id = submit(OPTIMIZER, d, 100);
        until_voting(id);
        let (_, members) = quorum(id);
        let m = members[0];
        if m == eval(3) {
            assert_noop!(
                Domains::unbond(signed(m), d, MIN_BOND),
                Error::<Test>::StillServing
            );
        }
        assert_noop!(
            Domains::leave_pool(signed(m), d),
            Error::<Test>::StillServing
        );
        // All reveal the claim: accepted, seats freed.
        play_round(id, |_| Some(100));
        assert_eq!(outcome(id).map(|o| o.0), Some(crate::Outcome::Accepted));
        assert_ok!(Domains::leave_pool(signed(m), d));
        check();
    });
}

#[test]
fn genesis_registers_domains_and_creates_the_pot() {
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .expect("frame-system genesis builds");
    crate::GenesisConfig::<Test> {
        params: test_params(),
        domains: vec![
            crate::GenesisDomain {
                name: b"least-squares".to_vec(),
                direction: crate::Direction::LowerIsBetter,
                spec_hash: H256::repeat_byte(9),
                tolerance: 1_000,
                reward_weight: 2,
                min_share: Perbill::from_percent(10),
            },
            crate::GenesisDomain {
                name: b"second".to_vec(),
                direction: crate::Direction::HigherIsBetter,
                spec_hash: H256::repeat_byte(8),
                tolerance: 5,
                reward_weight: 1,
                min_share: Perbill::zero(),
            },
        ],
    }
    .assimilate_storage(&mut storage)
    .expect("domains genesis builds");
    sp_io::TestExternalities::new(storage).execute_with(|| {
        assert_eq!(NextDomainId::<Test>::get(), 2);
        let d = crate::Domains::<Test>::get(0).expect("registered");
        assert_eq!(d.name.to_vec(), b"least-squares".to_vec());
        assert_eq!((d.tolerance, d.reward_weight), (1_000, 2));
        assert_eq!(d.eval_share, Perbill::from_percent(30));
        assert_eq!(free(Domains::account_id()), ED);
        assert_eq!(crate::CurrentEpoch::<Test>::get().ends_at, EPOCH);
        check();
    });
}
