//! Mock tests: periods, proposals, claims, expiry, and the reference aggregator against
//! the pallet. Every test ends with `do_try_state`.

use crate::{
    aggregator::{aggregate, Aggregate, ScoringParams},
    merkle,
    mock::*,
    scores_payload_hash, Claim, Claimed, CurrentSchedule, Error, Event, PeriodState, Periods,
    Proposals, Reserved,
};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use pallet_witness::{EventClass, Verdict};
use sp_core::H256;
use sp_runtime::DispatchError;

fn signed(who: AccountId) -> RuntimeOrigin {
    RuntimeOrigin::signed(who)
}

fn events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| match r.event {
            RuntimeEvent::Poe(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn pool_free() -> Balance {
    free(Poe::account_id())
}

/// Funds the pool with `amount` and runs to the end of the running period: it closes.
fn fund_and_close(amount: Balance) -> u32 {
    if amount > 0 {
        assert_ok!(Poe::fund(signed(FUNDER), amount));
    }
    let s = CurrentSchedule::<Test>::get();
    run_to(s.next_close);
    s.current
}

/// The scoring the tests use: the pallet's cap, a base of 100, the pallet's floor.
fn scoring() -> ScoringParams {
    ScoringParams {
        reputation_base: 100,
        reputation_floor: FLOOR,
        score_cap: CAP,
    }
}

/// Aggregates `events` for `period` with the mock reputation, submits, attests `Valid`
/// and accepts the result.
fn score_period(period: u32, events: Vec<(AccountId, u64)>) -> Aggregate<AccountId> {
    let agg = aggregate(
        period,
        events,
        |a| {
            <MockReputation as pallet_reputation::ReputationScores<AccountId>>::score(
                a,
                pallet_reputation::Role::Creator,
            )
        },
        &scoring(),
    )
    .expect("scores");
    accept(period, agg.root, agg.total_score, agg.leaf_count());
    agg
}

/// Submits and accepts (`Valid`) a proposal.
fn accept(period: u32, root: H256, total: u128, leaves: u32) {
    assert_ok!(Poe::submit_scores(
        signed(AGGREGATOR),
        period,
        root,
        total,
        leaves
    ));
    let hash = scores_payload_hash(period, &root, total, leaves);
    resolve(EventClass::Engagement, hash, Verdict::Valid);
    assert_ok!(Poe::accept_scores(
        signed(FUNDER),
        period,
        root,
        total,
        leaves
    ));
}

fn proof_of(
    agg: &Aggregate<AccountId>,
    index: u32,
) -> BoundedVec<H256, <Test as crate::Config>::MaxProofDepth> {
    BoundedVec::try_from(agg.proof(index).expect("leaf exists")).expect("short proof")
}

fn claim_leaf(agg: &Aggregate<AccountId>, index: u32) -> Result<(), DispatchError> {
    let leaf = &agg.leaves[index as usize];
    Poe::claim(
        signed(FUNDER),
        agg.period,
        index,
        leaf.account,
        leaf.score,
        proof_of(agg, index),
    )
}

/// Accounts 100..100+n with reputation 100 (factor 2) and weights 1..=n.
fn users(n: u64) -> Vec<(AccountId, u64)> {
    (0..n)
        .map(|i| {
            set_reputation(100 + i, 100);
            (100 + i, i + 1)
        })
        .collect()
}

/// A tree over explicit leaves `(account, score)` at indices 0.., for period `period`.
fn tree_of(period: u32, leaves: &[(AccountId, u128)]) -> merkle::Tree {
    merkle::Tree::build(
        leaves
            .iter()
            .enumerate()
            .map(|(i, (a, s))| merkle::leaf_hash(period, i as u32, a, *s))
            .collect(),
    )
    .expect("non-empty")
}

fn bounded(proof: Vec<H256>) -> BoundedVec<H256, <Test as crate::Config>::MaxProofDepth> {
    BoundedVec::try_from(proof).expect("short proof")
}

#[test]
fn genesis_creates_the_pool_account_with_its_ed() {
    new_test_ext().execute_with(|| {
        assert_eq!(pool_free(), ED);
        assert_eq!(Poe::params(), test_params());
        assert_eq!(CurrentSchedule::<Test>::get().next_close, PERIOD);
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn happy_path_period_closes_scores_are_attested_and_claims_pay_their_share() {
    new_test_ext().execute_with(|| {
        let period = fund_and_close(10_007);
        assert_eq!(period, 0);
        let info = Periods::<Test>::get(0).unwrap();
        assert_eq!((info.start, info.end, info.pool), (0, PERIOD, 10_007));
        assert_eq!(info.state, PeriodState::AwaitingScores);
        assert!(events().contains(&Event::PeriodClosed {
            period: 0,
            start: 0,
            end: PERIOD,
            pool: 10_007
        }));

        let mut evs = users(7);
        evs.extend(users(7)); // every account twice: weights add up
        let agg = aggregate(
            0,
            evs,
            |a| {
                <MockReputation as pallet_reputation::ReputationScores<AccountId>>::score(
                    a,
                    pallet_reputation::Role::Creator,
                )
            },
            &scoring(),
        )
        .unwrap();
        // Scores: 2 × weight × (100 + 100) / 100 = 4 × (i + 1).
        assert_eq!(agg.total_score, 4 * (1..=7).sum::<u128>());

        let fee_before = free(AGGREGATOR);
        assert_ok!(Poe::submit_scores(
            signed(AGGREGATOR),
            0,
            agg.root,
            agg.total_score,
            7
        ));
        assert_eq!(free(AGGREGATOR), fee_before - EVENT_FEE);
        let hash = scores_payload_hash(0, &agg.root, agg.total_score, 7);
        assert!(is_pending(EventClass::Engagement, hash));
        assert!(Proposals::<Test>::contains_key(0, hash));
        // Not attested yet: nothing to accept, nothing consumed.
        assert_noop!(
            Poe::accept_scores(signed(FUNDER), 0, agg.root, agg.total_score, 7),
            Error::<Test>::NoReceipt
        );
        assert_noop!(claim_leaf(&agg, 0), Error::<Test>::NotScored);

        resolve(EventClass::Engagement, hash, Verdict::Valid);
        assert_ok!(Poe::accept_scores(
            signed(FUNDER),
            0,
            agg.root,
            agg.total_score,
            7
        ));
        assert!(is_settled(EventClass::Engagement, hash));
        assert_eq!(Periods::<Test>::get(0).unwrap().state, PeriodState::Scored);
        assert!(!Proposals::<Test>::contains_key(0, hash));

        let ledger_before = free(LEDGER);
        let mut sum = 0;
        for leaf in agg.leaves.clone() {
            assert_ok!(claim_leaf(&agg, leaf.index));
            let expected = 10_007 * leaf.score / agg.total_score;
            assert_eq!(owed(leaf.account), expected, "leaf {}", leaf.index);
            sum += expected;
            Poe::do_try_state().unwrap();
        }
        assert!(sum <= 10_007);
        assert_eq!(total_owed(), sum);
        assert_eq!(free(LEDGER), ledger_before + sum);
        assert_eq!(pool_free(), ED + 10_007 - sum);
        assert_eq!(Periods::<Test>::get(0).unwrap().paid, sum);
        // The rounding dust stays reserved for the period until it expires.
        assert_eq!(Reserved::<Test>::get(), 10_007 - sum);
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn aggregator_root_is_accepted_and_every_aggregator_proof_verifies_in_the_pallet() {
    new_test_ext().execute_with(|| {
        fund_and_close(1_000_000);
        let agg = score_period(0, users(300));
        assert_eq!(agg.leaf_count(), 300);
        let info = Periods::<Test>::get(0).unwrap();
        assert_eq!(info.root, Some(agg.root));
        // Every proof verifies against the accepted root (checked without paying, then
        // paid in one batch).
        for leaf in &agg.leaves {
            let hash = merkle::leaf_hash(0, leaf.index, &leaf.account, leaf.score);
            assert!(merkle::verify(
                &agg.root,
                hash,
                leaf.index,
                info.leaves,
                &agg.proof(leaf.index).unwrap()
            ));
        }
        let claims: Vec<_> = agg
            .leaves
            .iter()
            .map(|l| Claim {
                index: l.index,
                account: l.account,
                score: l.score,
                proof: proof_of(&agg, l.index),
            })
            .collect();
        assert_ok!(Poe::claim_many(
            signed(FUNDER),
            0,
            BoundedVec::try_from(claims).unwrap()
        ));
        assert!(!events()
            .iter()
            .any(|e| matches!(e, Event::ClaimSkipped { .. })));
        for leaf in &agg.leaves {
            assert_eq!(owed(leaf.account), 1_000_000 * leaf.score / agg.total_score);
        }
        // A tampered aggregator proof fails.
        let mut bad = agg.proof(5).unwrap();
        bad[2].0[7] ^= 0x40;
        let l = &agg.leaves[5];
        assert!(!merkle::verify(
            &agg.root,
            merkle::leaf_hash(0, 5, &l.account, l.score),
            5,
            300,
            &bad
        ));
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn claim_with_a_wrong_proof_or_index_fails() {
    new_test_ext().execute_with(|| {
        fund_and_close(1_000);
        let agg = score_period(0, users(10));
        let leaf = agg.leaves[3].clone();
        let mut proof = agg.proof(3).unwrap();
        proof[0].0[0] ^= 1;
        assert_noop!(
            Poe::claim(
                signed(FUNDER),
                0,
                3,
                leaf.account,
                leaf.score,
                bounded(proof)
            ),
            Error::<Test>::InvalidProof
        );
        // The right proof at another index.
        assert_noop!(
            Poe::claim(
                signed(FUNDER),
                0,
                4,
                leaf.account,
                leaf.score,
                proof_of(&agg, 3)
            ),
            Error::<Test>::InvalidProof
        );
        // A proof one sibling short or long.
        let proof = agg.proof(3).unwrap();
        assert_noop!(
            Poe::claim(
                signed(FUNDER),
                0,
                3,
                leaf.account,
                leaf.score,
                bounded(proof[1..].to_vec())
            ),
            Error::<Test>::InvalidProof
        );
        let mut long = proof.clone();
        long.push(H256::repeat_byte(1));
        assert_noop!(
            Poe::claim(
                signed(FUNDER),
                0,
                3,
                leaf.account,
                leaf.score,
                bounded(long)
            ),
            Error::<Test>::InvalidProof
        );
        assert_noop!(
            Poe::claim(
                signed(FUNDER),
                0,
                10,
                leaf.account,
                leaf.score,
                proof_of(&agg, 3)
            ),
            Error::<Test>::IndexOutOfRange
        );
        // Another account with the right proof.
        assert_noop!(
            Poe::claim(signed(FUNDER), 0, 3, 999, leaf.score, proof_of(&agg, 3)),
            Error::<Test>::InvalidProof
        );
        assert_eq!(total_owed(), 0);
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn claim_with_a_wrong_score_fails() {
    new_test_ext().execute_with(|| {
        fund_and_close(1_000);
        let agg = score_period(0, users(10));
        let leaf = agg.leaves[6].clone();
        assert_noop!(
            Poe::claim(
                signed(FUNDER),
                0,
                6,
                leaf.account,
                leaf.score + 1,
                proof_of(&agg, 6)
            ),
            Error::<Test>::InvalidProof
        );
        assert_ok!(claim_leaf(&agg, 6));
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn a_leaf_is_paid_once() {
    new_test_ext().execute_with(|| {
        fund_and_close(1_000);
        let agg = score_period(0, users(10));
        assert_ok!(claim_leaf(&agg, 2));
        let paid = owed(agg.leaves[2].account);
        assert!(paid > 0);
        assert_noop!(claim_leaf(&agg, 2), Error::<Test>::AlreadyClaimed);
        // Twice in one batch: the second is skipped, the batch succeeds.
        let c = |i: u32| Claim {
            index: i,
            account: agg.leaves[i as usize].account,
            score: agg.leaves[i as usize].score,
            proof: proof_of(&agg, i),
        };
        let batch = BoundedVec::try_from(vec![c(5), c(5), c(2)]).unwrap();
        assert_ok!(Poe::claim_many(signed(FUNDER), 0, batch));
        assert_eq!(owed(agg.leaves[2].account), paid);
        assert_eq!(
            owed(agg.leaves[5].account),
            1_000 * agg.leaves[5].score / agg.total_score
        );
        let skipped: Vec<_> = events()
            .into_iter()
            .filter_map(|e| match e {
                Event::ClaimSkipped { index, error, .. } => Some((index, error)),
                _ => None,
            })
            .collect();
        assert_eq!(
            skipped,
            vec![
                (5, Error::<Test>::AlreadyClaimed.into()),
                (2, Error::<Test>::AlreadyClaimed.into())
            ]
        );
        assert_eq!(Claimed::<Test>::get(0, 0), (1 << 2) | (1 << 5));
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn claim_below_the_reputation_floor_is_refused_until_the_account_reaches_it() {
    new_test_ext().execute_with(|| {
        fund_and_close(1_000);
        let agg = score_period(0, users(4));
        let who = agg.leaves[1].account;
        set_reputation(who, FLOOR - 1);
        assert_noop!(claim_leaf(&agg, 1), Error::<Test>::BelowReputationFloor);
        set_reputation(who, FLOOR);
        assert_ok!(claim_leaf(&agg, 1));
        assert!(owed(who) > 0);
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn claim_after_expiry_is_refused_and_the_remainder_returns_to_the_pool() {
    new_test_ext().execute_with(|| {
        fund_and_close(1_000);
        let agg = score_period(0, users(4));
        assert_ok!(claim_leaf(&agg, 0));
        let paid = owed(agg.leaves[0].account);
        // Claimable during the WINDOW periods after its close: it expires when the last
        // of them closes.
        for _ in 0..WINDOW - 1 {
            fund_and_close(0);
            Poe::do_try_state().unwrap();
        }
        assert_eq!(Periods::<Test>::get(0).unwrap().state, PeriodState::Scored);
        assert_ok!(claim_leaf(&agg, 1));
        let paid = paid + owed(agg.leaves[1].account);
        // The next close expires it.
        fund_and_close(0);
        assert!(events().contains(&Event::PeriodExpired {
            period: 0,
            returned: 1_000 - paid
        }));
        assert_noop!(claim_leaf(&agg, 2), Error::<Test>::PeriodExpired);
        // Its storage is purged in the next blocks.
        run_to(System::block_number() + 2);
        assert!(Periods::<Test>::get(0).is_none());
        assert_eq!(Claimed::<Test>::iter_prefix(0).count(), 0);
        assert_noop!(claim_leaf(&agg, 2), Error::<Test>::PeriodExpired);
        // The remainder is in the pool for the next period's snapshot.
        let next = fund_and_close(0);
        assert_eq!(Periods::<Test>::get(next).unwrap().pool, 1_000 - paid);
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn expired_bitmaps_and_proposals_are_removed_a_bounded_number_per_block() {
    let mut ext = new_test_ext();
    ext.execute_with(|| {
        fund_and_close(1_000);
        for word in 0..10u32 {
            Claimed::<Test>::insert(0, word, 1u128);
        }
        for i in 0..5u8 {
            Proposals::<Test>::insert(0, H256::repeat_byte(i), AGGREGATOR);
        }
        for _ in 0..WINDOW - 1 {
            fund_and_close(0);
        }
    });
    // Each block's changes are committed before the next, as on a chain: the removal
    // limit counts keys in the backend.
    ext.commit_all().unwrap();
    let mut left = Vec::new();
    for block in 0..5 {
        ext.execute_with(|| {
            // The first block closes period 1, which expires period 0.
            let next = if block == 0 {
                CurrentSchedule::<Test>::get().next_close
            } else {
                System::block_number() + 1
            };
            run_to(next);
            left.push((
                Claimed::<Test>::iter_prefix(0).count(),
                Proposals::<Test>::iter_prefix(0).count(),
            ));
        });
        ext.commit_all().unwrap();
    }
    // 3 keys a block: words first, then proposals.
    assert_eq!(left, [(7, 5), (4, 5), (1, 5), (0, 2), (0, 0)]);
    ext.execute_with(|| {
        assert!(Periods::<Test>::get(0).is_none());
        assert_eq!(CurrentSchedule::<Test>::get().purge_next, 1);
        assert!(events().contains(&Event::PeriodPurged { period: 0 }));
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn an_invalid_receipt_drops_the_proposal_and_another_can_be_accepted() {
    new_test_ext().execute_with(|| {
        fund_and_close(1_000);
        let agg = aggregate(0, users(5), |_| 100, &scoring()).unwrap();
        let bogus = H256::repeat_byte(7);
        assert_ok!(Poe::submit_scores(
            signed(AGGREGATOR),
            0,
            bogus,
            agg.total_score,
            5
        ));
        let hash = scores_payload_hash(0, &bogus, agg.total_score, 5);
        resolve(EventClass::Engagement, hash, Verdict::Invalid);
        assert_ok!(Poe::accept_scores(
            signed(FUNDER),
            0,
            bogus,
            agg.total_score,
            5
        ));
        assert!(events().contains(&Event::ScoresRejected {
            period: 0,
            root: bogus,
            payload_hash: hash
        }));
        assert!(is_settled(EventClass::Engagement, hash));
        assert!(!Proposals::<Test>::contains_key(0, hash));
        assert_eq!(Proposals::<Test>::iter_prefix(0).count(), 0);
        let info = Periods::<Test>::get(0).unwrap();
        assert_eq!((info.state, info.root), (PeriodState::AwaitingScores, None));
        // Decided: accepting it again finds no proposal.
        assert_noop!(
            Poe::accept_scores(signed(FUNDER), 0, bogus, agg.total_score, 5),
            Error::<Test>::UnknownProposal
        );
        // The honest root goes through afterwards.
        accept(0, agg.root, agg.total_score, 5);
        assert_eq!(Periods::<Test>::get(0).unwrap().root, Some(agg.root));
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn a_second_accept_is_refused() {
    new_test_ext().execute_with(|| {
        fund_and_close(1_000);
        let agg = aggregate(0, users(5), |_| 100, &scoring()).unwrap();
        // Two proposals wait; both get Valid receipts (a split committee cannot, but the
        // pallet must not rely on it).
        let other = H256::repeat_byte(9);
        assert_ok!(Poe::submit_scores(
            signed(AGGREGATOR),
            0,
            agg.root,
            agg.total_score,
            5
        ));
        assert_ok!(Poe::submit_scores(
            signed(AGGREGATOR),
            0,
            other,
            agg.total_score,
            5
        ));
        assert_eq!(Proposals::<Test>::iter_prefix(0).count(), 2);
        let h1 = scores_payload_hash(0, &agg.root, agg.total_score, 5);
        let h2 = scores_payload_hash(0, &other, agg.total_score, 5);
        resolve(EventClass::Engagement, h1, Verdict::Valid);
        resolve(EventClass::Engagement, h2, Verdict::Valid);
        assert_ok!(Poe::accept_scores(
            signed(FUNDER),
            0,
            agg.root,
            agg.total_score,
            5
        ));
        assert_noop!(
            Poe::accept_scores(signed(FUNDER), 0, agg.root, agg.total_score, 5),
            Error::<Test>::AlreadyScored
        );
        // The other receipt is not burnt by the refusal.
        assert_noop!(
            Poe::accept_scores(signed(FUNDER), 0, other, agg.total_score, 5),
            Error::<Test>::AlreadyScored
        );
        assert!(!is_settled(EventClass::Engagement, h2));
        assert_noop!(
            Poe::submit_scores(signed(AGGREGATOR), 0, other, 1, 5),
            Error::<Test>::AlreadyScored
        );
        assert_eq!(Periods::<Test>::get(0).unwrap().root, Some(agg.root));
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn a_leaf_above_the_score_cap_is_refused() {
    new_test_ext().execute_with(|| {
        fund_and_close(1_000);
        set_reputation(50, 100);
        set_reputation(51, 100);
        let leaves = [(50, CAP + 1), (51, 1)];
        let tree = tree_of(0, &leaves);
        accept(0, tree.root(), CAP + 2, 2);
        assert_noop!(
            Poe::claim(
                signed(FUNDER),
                0,
                0,
                50,
                CAP + 1,
                bounded(tree.proof(0).unwrap())
            ),
            Error::<Test>::ScoreAboveCap
        );
        assert_ok!(Poe::claim(
            signed(FUNDER),
            0,
            1,
            51,
            1,
            bounded(tree.proof(1).unwrap())
        ));
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn a_root_whose_scores_exceed_its_total_never_pays_more_than_the_pool() {
    new_test_ext().execute_with(|| {
        fund_and_close(1_000);
        set_reputation(50, 100);
        set_reputation(51, 100);
        // Scores 10 + 10 under a claimed total of 10: each leaf alone would take it all.
        let tree = tree_of(0, &[(50, 10), (51, 10)]);
        accept(0, tree.root(), 10, 2);
        assert_ok!(Poe::claim(
            signed(FUNDER),
            0,
            0,
            50,
            10,
            bounded(tree.proof(0).unwrap())
        ));
        assert_eq!(owed(50), 1_000);
        assert_noop!(
            Poe::claim(
                signed(FUNDER),
                0,
                1,
                51,
                10,
                bounded(tree.proof(1).unwrap())
            ),
            Error::<Test>::PoolExhausted
        );
        assert_eq!(pool_free(), ED);
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn submit_scores_checks_the_period_and_the_proposal() {
    new_test_ext().execute_with(|| {
        let root = H256::repeat_byte(1);
        assert_noop!(
            Poe::submit_scores(signed(AGGREGATOR), 0, root, 10, 1),
            Error::<Test>::PeriodNotClosed
        );
        fund_and_close(1_000);
        assert_noop!(
            Poe::submit_scores(signed(AGGREGATOR), 0, root, 10, 0),
            Error::<Test>::NoLeaves
        );
        assert_noop!(
            Poe::submit_scores(signed(AGGREGATOR), 0, root, 0, 1),
            Error::<Test>::ZeroTotalScore
        );
        assert_noop!(
            Poe::submit_scores(signed(AGGREGATOR), 0, root, 2 * CAP + 1, 2),
            Error::<Test>::TotalAboveCap
        );
        assert_ok!(Poe::submit_scores(signed(AGGREGATOR), 0, root, 10, 1));
        assert_noop!(
            Poe::submit_scores(signed(AGGREGATOR), 0, root, 10, 1),
            Error::<Test>::ProposalExists
        );
        for total in 11..14 {
            assert_ok!(Poe::submit_scores(signed(AGGREGATOR), 0, root, total, 1));
        }
        // Each paid its fee; none blocks the others.
        assert_eq!(Proposals::<Test>::iter_prefix(0).count(), 4);
        // A submitter that cannot pay the event fee submits nothing.
        assert_noop!(
            Poe::submit_scores(signed(777), 1, root, 10, 1),
            Error::<Test>::PeriodNotClosed
        );
        fund_and_close(0);
        assert!(Poe::submit_scores(signed(777), 1, root, 10, 1).is_err());
        assert_eq!(Proposals::<Test>::iter_prefix(1).count(), 0);
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn each_period_pools_only_what_older_open_periods_do_not_owe() {
    new_test_ext().execute_with(|| {
        fund_and_close(1_000);
        fund_and_close(500);
        assert_eq!(Periods::<Test>::get(0).unwrap().pool, 1_000);
        assert_eq!(Periods::<Test>::get(1).unwrap().pool, 500);
        assert_eq!(Reserved::<Test>::get(), 1_500);
        // Nothing new: the next period pools nothing.
        fund_and_close(0);
        assert_eq!(Periods::<Test>::get(2).unwrap().pool, 0);
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn fund_and_set_params_check_their_inputs() {
    new_test_ext().execute_with(|| {
        assert_noop!(Poe::fund(signed(FUNDER), 0), Error::<Test>::ZeroAmount);
        assert!(
            Poe::fund(signed(FUNDER), 1_000_000_000).is_err(),
            "the funder must stay alive"
        );
        assert_ok!(Poe::fund(signed(FUNDER), 300));
        assert_eq!(pool_free(), ED + 300);

        let mut p = test_params();
        assert_noop!(
            Poe::set_params(signed(FUNDER), p.clone()),
            DispatchError::BadOrigin
        );
        p.period_length = 0;
        assert_noop!(
            Poe::set_params(RuntimeOrigin::root(), p.clone()),
            Error::<Test>::ZeroPeriodLength
        );
        p = test_params();
        p.claim_window = 0;
        assert_noop!(
            Poe::set_params(RuntimeOrigin::root(), p.clone()),
            Error::<Test>::ZeroClaimWindow
        );
        p = test_params();
        p.score_cap = 0;
        assert_noop!(
            Poe::set_params(RuntimeOrigin::root(), p.clone()),
            Error::<Test>::ZeroScoreCap
        );
        p = test_params();
        p.period_length = 25;
        p.fee_share = sp_runtime::Perbill::from_percent(20);
        assert_ok!(Poe::set_params(RuntimeOrigin::root(), p.clone()));
        assert_eq!(Poe::params(), p);
        // The running period ends where it was due; the next one is 25 blocks long.
        run_to(PERIOD);
        assert_eq!(CurrentSchedule::<Test>::get().next_close, PERIOD + 25);
        Poe::do_try_state().unwrap();
    });
}

#[test]
fn a_period_of_a_million_accounts_is_claimed_with_20_sibling_proofs() {
    new_test_ext().execute_with(|| {
        fund_and_close(100_000_000);
        const N: u64 = 1_000_000;
        // Reputation through a closure (the mock store would need a million inserts).
        let agg = aggregate(
            0,
            (0..N).map(|i| (1_000 + i, 1 + i % 7)),
            |_| 100,
            &scoring(),
        )
        .unwrap();
        assert_eq!(agg.leaf_count(), 1_000_000);
        accept(0, agg.root, agg.total_score, agg.leaf_count());
        // The first leaf, one in the middle, and the last (promoted at the odd levels).
        for index in [0u32, 524_287, 999_999] {
            let leaf = agg.leaves[index as usize].clone();
            set_reputation(leaf.account, FLOOR);
            let proof = proof_of(&agg, index);
            assert_eq!(Some(proof.len()), merkle::proof_len(index, 1_000_000));
            assert!(proof.len() <= 20);
            assert_ok!(claim_leaf(&agg, index));
            assert_eq!(
                owed(leaf.account),
                100_000_000 * leaf.score / agg.total_score
            );
        }
        assert_eq!(agg.proof(0).unwrap().len(), 20);
        Poe::do_try_state().unwrap();
    });
}
