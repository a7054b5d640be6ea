//! Proof-of-storage challenges: draws, answers, payment, penalties and the negatives.

use super::*;
use crate::{
    Assignments, ChallengeStatus, CurrentEpoch, Deals, Error, FailureReason, HoldReason,
    ProviderStatus, Providers,
};
use frame_support::{assert_noop, assert_ok};

#[test]
fn each_epoch_draws_its_challenges_over_its_first_blocks() {
    test(|| {
        let (c, deal) = standard_deal();
        run_to(EPOCH - 1);
        assert!(challenges().is_empty(), "no challenges in epoch 0");
        run_to(EPOCH);
        assert_eq!(CurrentEpoch::<Test>::get().index, 1);
        assert_eq!(challenges().len(), 2, "max_challenges_per_block");
        run_to(EPOCH + 1);
        let all = challenges();
        assert_eq!(all.len(), 4, "challenges_per_epoch");
        for (id, ch) in &all {
            assert_eq!(ch.deal, deal);
            assert_eq!(ch.root, c.root);
            assert_eq!(ch.status, ChallengeStatus::Open);
            assert!(ch.segment < c.layout.segment_count(ch.shard).unwrap());
            assert_eq!(
                Some(ch.provider),
                Assignments::<Test>::get(deal, ch.shard).unwrap().provider
            );
            assert!(Dds::api_challenges(ch.provider)
                .iter()
                .any(|(i, cid, _)| i == id && *cid == c.cid));
        }
        let open: u32 = Providers::<Test>::iter()
            .map(|(_, p)| p.open_challenges)
            .sum();
        assert_eq!(open, 4);
        run_to(EPOCH + 2);
        assert_eq!(challenges().len(), 4, "nothing more until the next epoch");
    });
}

#[test]
fn unconfirmed_shards_are_not_challenged() {
    test(|| {
        register_n(6, 100 * u64::from(MIB));
        let c = Content::new(65_536, 65_536, 4, 2, 0);
        open(OWNER, &c, 10, 1_000);
        into_epoch_1(3);
        assert!(challenges().is_empty());
    });
}

#[test]
fn a_valid_answer_earns_reputation_and_the_shards_pay() {
    test(|| {
        let (c, deal) = standard_deal();
        into_epoch_1(0);
        let (id, ch) = challenges().into_iter().next().unwrap();
        let before = free(ch.provider);
        let escrow = Deals::<Test>::get(deal).unwrap().escrow;
        assert_ok!(answer(id, &c));
        // Confirmed in epoch 0, answered in epoch 1: epochs 0 and 1 are paid.
        let per = Deals::<Test>::get(deal).unwrap().per_shard_epoch;
        assert_eq!(free(ch.provider) - before, 2 * per);
        assert_eq!(Deals::<Test>::get(deal).unwrap().escrow, escrow - 2 * per);
        assert_eq!(held(OWNER, HoldReason::DealPayment), escrow - 2 * per);
        assert_eq!(reputation(ch.provider), 2);
        assert_eq!(
            Assignments::<Test>::get(deal, ch.shard)
                .unwrap()
                .paid_through,
            2
        );
        assert_eq!(
            crate::Challenges::<Test>::get(id).unwrap().status,
            ChallengeStatus::Answered
        );
        assert!(events().iter().any(|e| matches!(
            e, Event::ChallengeAnswered { id: i, paid, .. } if *i == id && *paid == 2 * per
        )));
        // Answered challenges leave the provider's open list (the API) but stay stored
        // until the deadline, then go without penalty.
        assert!(Dds::api_challenges(ch.provider)
            .iter()
            .all(|(i, _, _)| *i != id));
        run_to(ch.deadline + 1);
        assert!(crate::Challenges::<Test>::get(id).is_none());
        assert_eq!(reputation(ch.provider), 2);
        assert_eq!(held(ch.provider, HoldReason::ProviderBond), 5 * MIN_BOND);
    });
}

#[test]
fn a_wrong_proof_is_penalized_and_closes_the_challenge() {
    test(|| {
        let (c, deal) = standard_deal();
        into_epoch_1(0);
        let (id, ch) = challenges().into_iter().next().unwrap();
        let (mut seg, sp, cp) = c.proof(ch.shard, ch.segment);
        seg[0] ^= 1;
        let treasury = free(TREASURY);
        // The call succeeds so that the penalty stands.
        assert_ok!(Dds::answer_challenge(
            signed(ch.provider),
            id,
            seg,
            sp.clone(),
            cp.clone()
        ));
        assert_eq!(
            crate::Challenges::<Test>::get(id).unwrap().status,
            ChallengeStatus::Failed
        );
        assert_eq!(
            held(ch.provider, HoldReason::ProviderBond),
            5 * MIN_BOND - MIN_BOND / 2
        );
        assert_eq!(free(TREASURY) - treasury, MIN_BOND / 2);
        assert_eq!(reputation(ch.provider), 90);
        assert!(events().iter().any(|e| matches!(
            e,
            Event::ProviderPenalized { reason: FailureReason::WrongProof, slashed, .. } if *slashed == MIN_BOND / 2
        )));
        // The shard's epochs through this one are forfeited.
        assert_eq!(
            Assignments::<Test>::get(deal, ch.shard)
                .unwrap()
                .paid_through,
            2
        );
        // Now the right proof is too late for this challenge.
        let (seg, sp, cp) = c.proof(ch.shard, ch.segment);
        assert_noop!(
            Dds::answer_challenge(signed(ch.provider), id, seg, sp, cp),
            Error::<Test>::AlreadyAnswered
        );
        // A proof for another segment or shard is wrong as well.
        let (id2, ch2) = challenges().into_iter().nth(1).unwrap();
        let other = (ch2.shard + 1) % c.layout.shard_count();
        let (seg, sp, cp) = c.proof(other, 0);
        assert_ok!(Dds::answer_challenge(
            signed(ch2.provider),
            id2,
            seg,
            sp,
            cp
        ));
        assert_eq!(
            crate::Challenges::<Test>::get(id2).unwrap().status,
            ChallengeStatus::Failed
        );
    });
}

#[test]
fn a_double_answer_is_refused_and_pays_once() {
    test(|| {
        let (c, _) = standard_deal();
        into_epoch_1(0);
        let (id, ch) = challenges().into_iter().next().unwrap();
        assert_ok!(answer(id, &c));
        let paid = free(ch.provider);
        assert_noop!(answer(id, &c), Error::<Test>::AlreadyAnswered);
        assert_eq!(free(ch.provider), paid);
        assert_eq!(reputation(ch.provider), 2);
    });
}

#[test]
fn a_late_answer_is_refused_and_the_miss_is_penalized() {
    test(|| {
        let (c, deal) = standard_deal();
        into_epoch_1(0);
        let (id, ch) = challenges().into_iter().next().unwrap();
        // After the deadline but before a block closed it: too late, nothing changes.
        System::set_block_number(ch.deadline + 1);
        assert_noop!(answer(id, &c), Error::<Test>::TooLate);
        // The next block's hook closes it as missed.
        System::set_block_number(ch.deadline);
        run_to(ch.deadline + 1);
        assert!(crate::Challenges::<Test>::get(id).is_none());
        assert_eq!(reputation(ch.provider), 90);
        assert_eq!(
            held(ch.provider, HoldReason::ProviderBond),
            5 * MIN_BOND - MIN_BOND / 2
        );
        assert!(events().iter().any(|e| matches!(
            e, Event::ProviderPenalized { reason: FailureReason::Missed, provider, .. } if *provider == ch.provider
        )));
        assert_eq!(
            Assignments::<Test>::get(deal, ch.shard)
                .unwrap()
                .paid_through,
            2
        );
        assert_eq!(
            Providers::<Test>::get(ch.provider).unwrap().open_challenges,
            challenges()
                .iter()
                .filter(|(_, x)| x.provider == ch.provider)
                .count() as u32
        );
        // Once closed, an answer says so.
        let (seg, sp, cp) = c.proof(ch.shard, ch.segment);
        assert_noop!(
            Dds::answer_challenge(signed(ch.provider), id, seg, sp, cp),
            Error::<Test>::ChallengeClosed
        );
    });
}

#[test]
fn an_answer_from_a_provider_not_challenged_is_refused() {
    test(|| {
        let (c, _) = standard_deal();
        into_epoch_1(0);
        let (id, ch) = challenges().into_iter().next().unwrap();
        let other = (0..6).map(provider).find(|p| *p != ch.provider).unwrap();
        let (seg, sp, cp) = c.proof(ch.shard, ch.segment);
        assert_noop!(
            Dds::answer_challenge(signed(other), id, seg.clone(), sp.clone(), cp.clone()),
            Error::<Test>::NotChallenged
        );
        assert_noop!(
            Dds::answer_challenge(signed(STRANGER), id, seg.clone(), sp.clone(), cp.clone()),
            Error::<Test>::NotChallenged
        );
        assert_noop!(
            Dds::answer_challenge(signed(ch.provider), 999, seg, sp, cp),
            Error::<Test>::UnknownChallenge
        );
    });
}

#[test]
fn a_provider_slashed_below_the_minimum_bond_is_slashed_out() {
    test(|| {
        let (c, _) = standard_deal();
        let mut p = test_params();
        p.slash = sp_runtime::Perbill::from_percent(90);
        assert_ok!(Dds::set_params(RuntimeOrigin::root(), p));
        into_epoch_1(0);
        let (id, ch) = challenges().into_iter().next().unwrap();
        let (mut seg, sp, cp) = c.proof(ch.shard, ch.segment);
        seg[0] ^= 0xff;
        assert_ok!(Dds::answer_challenge(signed(ch.provider), id, seg, sp, cp));
        let prov = Providers::<Test>::get(ch.provider).unwrap();
        assert!(matches!(
            prov.status,
            ProviderStatus::Leaving {
                slashed_out: true,
                ..
            }
        ));
        assert_eq!(prov.bond, 5 * MIN_BOND / 10);
        assert!(crate::Reassigning::<Test>::get().contains(&ch.provider));
        assert!(!crate::ProviderSet::<Test>::get()
            .iter()
            .any(|s| s.who == ch.provider));
    });
}

#[test]
fn an_ended_deal_is_not_challenged() {
    test(|| {
        register_n(6, 100 * u64::from(MIB));
        let c = Content::new(65_536, 65_536, 4, 2, 0);
        let deal = open(OWNER, &c, 1, 1_000);
        confirm_all(deal);
        into_epoch_1(3);
        assert!(challenges().is_empty());
    });
}

#[test]
fn set_params_is_governance_only_and_refuses_zeros() {
    test(|| {
        assert_noop!(
            Dds::set_params(signed(OWNER), test_params()),
            sp_runtime::DispatchError::BadOrigin
        );
        let mut p = test_params();
        p.response_window = 0;
        assert_noop!(
            Dds::set_params(RuntimeOrigin::root(), p),
            Error::<Test>::ZeroParam
        );
        let mut p = test_params();
        p.min_price = 0;
        assert_noop!(
            Dds::set_params(RuntimeOrigin::root(), p),
            Error::<Test>::ZeroParam
        );
        let mut p = test_params();
        p.max_challenges_per_block = 9;
        assert_ok!(Dds::set_params(RuntimeOrigin::root(), p.clone()));
        assert_eq!(Dds::params(), p);
    });
}
