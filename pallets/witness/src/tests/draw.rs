//! Committee draws that nobody can grind, quorums fixed when a committee is drawn, and
//! late votes that earn nothing (issue 20: item 2, "quorum", "late votes").
//!
//! The grinding scenario: the epoch randomness of `e` is known to the author of the last
//! block of `e - 1` (the mock's seed is fixed and known from the start, which is the same
//! position). Whatever that author adds to its block (a registration, a `bond_extra`)
//! must not change the committee drawn for `e`. Each such test runs the same chain twice,
//! with and without the last-block calls, and compares the committees.

use super::*;
use frame_support::assert_ok;
use pallet_reputation::Role;

/// Eight more Interaction witnesses (3..=10, bonds 300, 325, .., 475) beside the genesis
/// three (bond 500), so that the three seats are contested.
fn contested_pool() {
    for who in 3..=10u64 {
        bond_and_register_witness(
            who,
            300 + 25 * Balance::from(who - 3),
            EventClass::Interaction,
        );
    }
}

/// Runs epochs 0 and 1 with a contested pool, then `last_block_of_epoch_1` (the calls of
/// the block whose author knows epoch 2's seed), then draws epoch 2. Returns epoch 2's
/// Interaction committee and the pool snapshot taken at its draw, which draws epoch 3:
/// (account, weight) in snapshot order.
fn draws_with(last_block_of_epoch_1: impl FnOnce()) -> (Vec<AccountId>, Vec<(AccountId, u128)>) {
    new_test_ext().execute_with(|| {
        contested_pool();
        next_block();
        new_epoch(1);
        run_to_block(System::block_number() + 3);
        last_block_of_epoch_1();
        new_epoch(2);
        check_state();
        let pool = WitnessPool::<Test>::get().expect("taken at every draw");
        assert_eq!(pool.taken_at, 2);
        let next = pool.entries.iter().map(|e| (e.who, e.weight)).collect();
        (committee(2, EventClass::Interaction), next)
    })
}

/// The weight of `who` in a snapshot, if it is there.
fn weight_in(pool: &[(AccountId, u128)], who: AccountId) -> Option<u128> {
    pool.iter()
        .find(|(w, _)| *w == who)
        .map(|(_, weight)| *weight)
}

#[test]
fn registering_in_the_last_block_of_an_epoch_does_not_change_the_next_draw() {
    let (honest, _) = draws_with(|| {});
    let (ground, later) = draws_with(|| {
        // Heavier than the rest of the pool together.
        bond_and_register_witness(14, 9_000, EventClass::Interaction);
    });
    assert!(!ground.contains(&14), "the grinder was drawn: {ground:?}");
    assert_eq!(ground, honest);
    // Registering still counts, one epoch later: the snapshot taken at epoch 2's draw,
    // which draws epoch 3, has it with its whole weight.
    assert_eq!(weight_in(&later, 14), Some(9_000 * 100));
}

#[test]
fn bonding_extra_in_the_last_block_of_an_epoch_does_not_change_the_next_draw() {
    let (honest, honest_later) = draws_with(|| {});
    let (ground, later) = draws_with(|| {
        assert_ok!(Witness::bond_extra(signed(3), 9_000));
    });
    assert_eq!(ground, honest);
    // The extra bond counts from the next snapshot on, which draws epoch 3.
    assert_eq!(weight_in(&honest_later, 3), Some(300 * 100));
    assert_eq!(weight_in(&later, 3), Some(9_300 * 100));
}

#[test]
fn a_drawn_witness_that_left_is_dropped_without_a_redraw() {
    let (honest, _) = draws_with(|| {});
    let leaver = honest[0];
    let (drawn, _) = draws_with(|| {
        assert_ok!(Witness::deregister_witness(signed(leaver)));
    });
    // The seat stays empty: leaving cannot pull anyone else in.
    let expected: Vec<_> = honest.iter().copied().filter(|m| *m != leaver).collect();
    assert_eq!(drawn, expected);
}

#[test]
fn drawn_witnesses_below_the_minimum_stake_are_dropped_without_a_redraw() {
    let (honest, _) = draws_with(|| {});
    // Governance raises the minimum just above the smallest bond among those drawn.
    let stakes = new_test_ext().execute_with(|| {
        contested_pool();
        (1..=20)
            .map(|who| Witness::active_bond(&who))
            .collect::<Vec<_>>()
    });
    let stake = |who: AccountId| stakes[who as usize - 1];
    let new_min = honest.iter().map(|m| stake(*m)).min().expect("drawn") + 1;
    let (drawn, _) = draws_with(|| set_params_with(|p| p.min_witness_stake = new_min));
    let expected: Vec<_> = honest
        .iter()
        .copied()
        .filter(|m| stake(*m) >= new_min)
        .collect();
    assert!(!expected.is_empty() && expected.len() < honest.len());
    assert_eq!(drawn, expected);
}

#[test]
fn a_committee_keeps_the_quorum_it_was_drawn_with() {
    new_test_ext().execute_with(|| {
        next_block();
        let id = submit(5, 1);
        // Governance shrinks K and M after the draw. The committee of three must not be
        // resolved by one vote: that would break 2M > K for it.
        set_params_with(|p| {
            p.committee_size = 1;
            p.quorum = 1;
        });
        vote(11, id, Verdict::Valid);
        assert!(
            Receipts::<Test>::get(id).is_none(),
            "one vote of three resolved it"
        );
        vote(12, id, Verdict::Valid);
        assert_eq!(Receipts::<Test>::get(id).expect("resolved").agreeing, 2);
        // And raising M later does not stall a committee drawn with a lower one.
        let id2 = submit(5, 2);
        set_params_with(|p| p.quorum = 3);
        vote(11, id2, Verdict::Valid);
        vote(13, id2, Verdict::Valid);
        assert!(
            Receipts::<Test>::get(id2).is_some(),
            "M = 3 read from the new params"
        );
        check_state();
    });
}

#[test]
fn a_late_vote_earns_nothing_and_only_spares_the_absence_penalty() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        next_block();
        // 13 starts with reputation and points, so that a penalty would show. Account 20,
        // no witness, gets the same reputation: it decays the same way and is never judged.
        Reputation::reward(&13, Role::Witness, 100);
        Reputation::reward(&20, Role::Witness, 100);
        Witness::note_author(13);
        let id = submit(5, 1);
        resolve_valid(id);
        // The outcome is known: agreeing with it now costs nothing and must earn nothing.
        vote(13, id, Verdict::Valid);
        assert_eq!(Reputation::score(&13, Role::Witness), 100);
        assert_eq!(ErasPoints::<Test>::get(0, 13).block, 20);
        assert_eq!(ErasPoints::<Test>::get(0, 13).attestation, 0);
        // The voters of the quorum were rewarded as before.
        assert_eq!(Reputation::score(&11, Role::Witness), 10);
        assert_eq!(ErasPoints::<Test>::get(0, 11).attestation, 5);
        // At expiry it is not absent.
        run_to_block(12);
        assert!(PendingEvents::<Test>::get(id).is_none());
        assert_eq!(
            Reputation::score(&13, Role::Witness),
            Reputation::score(&20, Role::Witness)
        );
        assert_eq!(ErasPoints::<Test>::get(0, 13).block, 20);
        assert_eq!(ErasPoints::<Test>::get(0, 13).attestation, 0);
        check_state();
    });
}

#[test]
fn a_late_disagreeing_vote_is_still_penalized() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        next_block();
        Reputation::reward(&13, Role::Witness, 100);
        Witness::note_author(13);
        // Attestation points from earlier votes, so that losing some shows.
        Witness::note_points(&13, crate::rewards::RewardPool::Witness, 10, true);
        let id = submit(5, 1);
        resolve_valid(id);
        vote(13, id, Verdict::Invalid);
        assert_eq!(Reputation::score(&13, Role::Witness), 80);
        assert_eq!(ErasPoints::<Test>::get(0, 13).attestation, 5);
        assert_eq!(ErasPoints::<Test>::get(0, 13).block, 20);
        check_state();
    });
}

#[test]
fn the_first_draw_uses_the_pool_it_takes() {
    new_test_ext().execute_with(|| {
        assert!(WitnessPool::<Test>::get().is_none());
        next_block();
        let pool = WitnessPool::<Test>::get().expect("taken at the first draw");
        assert_eq!(pool.taken_at, 0);
        let mut accounts: Vec<_> = pool.entries.iter().map(|e| e.who).collect();
        accounts.sort();
        assert_eq!(accounts, vec![11, 12, 13]);
        let mut members = committee(0, EventClass::Interaction);
        members.sort();
        assert_eq!(members, vec![11, 12, 13]);
        check_state();
    });
}

#[test]
fn a_committee_stores_the_k_and_m_it_was_drawn_with() {
    new_test_ext().execute_with(|| {
        next_block();
        let drawn = Committees::<Test>::get(0, EventClass::Interaction).expect("drawn");
        assert_eq!((drawn.size, drawn.quorum), (3, 2));
        set_params_with(|p| {
            p.committee_size = 5;
            p.quorum = 3;
        });
        new_epoch(1);
        let drawn = Committees::<Test>::get(1, EventClass::Interaction).expect("drawn");
        assert_eq!((drawn.size, drawn.quorum), (5, 3));
        // Only three witnesses: two seats stay empty.
        assert_eq!(drawn.members.len(), 3);
        // Epoch 0's committee keeps its own.
        let old = Committees::<Test>::get(0, EventClass::Interaction).expect("kept");
        assert_eq!((old.size, old.quorum), (3, 2));
        check_state();
    });
}

#[test]
fn a_member_leaving_does_not_lower_the_quorum() {
    new_test_ext().execute_with(|| {
        next_block();
        let id = submit(5, 1);
        assert_ok!(Witness::deregister_witness(signed(13)));
        let drawn = Committees::<Test>::get(0, EventClass::Interaction).expect("drawn");
        assert_eq!(drawn.members.len(), 2);
        assert_eq!((drawn.size, drawn.quorum), (3, 2));
        vote(11, id, Verdict::Valid);
        assert!(Receipts::<Test>::get(id).is_none());
        vote(12, id, Verdict::Valid);
        assert!(Receipts::<Test>::get(id).is_some());
        check_state();
    });
}

/// Changes epoch 0's Interaction committee with `change` and expects `try_state` to fail.
fn try_state_rejects_committee(change: impl FnOnce(&mut CommitteeOf<Test>)) {
    new_test_ext().execute_with(|| {
        next_block();
        check_state();
        Committees::<Test>::mutate(0, EventClass::Interaction, |c| {
            change(c.as_mut().expect("drawn"))
        });
        assert!(Witness::do_try_state().is_err());
    });
}

#[test]
fn try_state_detects_a_quorum_that_is_not_a_majority() {
    try_state_rejects_committee(|c| c.quorum = 1);
}

#[test]
fn try_state_detects_a_quorum_above_the_committee_size() {
    try_state_rejects_committee(|c| {
        c.members.truncate(1);
        c.size = 1;
        c.quorum = 2;
    });
}

#[test]
fn try_state_detects_a_committee_size_above_the_bound() {
    try_state_rejects_committee(|c| {
        c.size = MAX_COMMITTEE + 1;
        c.quorum = MAX_COMMITTEE;
    });
}

#[test]
fn try_state_detects_more_members_than_seats() {
    try_state_rejects_committee(|c| {
        c.size = 2;
        c.quorum = 2;
    });
}

#[test]
fn try_state_detects_a_member_drawn_twice() {
    try_state_rejects_committee(|c| {
        let first = c.members[0];
        c.members[1] = first;
    });
}

#[test]
fn try_state_detects_a_bad_pool_snapshot() {
    new_test_ext().execute_with(|| {
        next_block();
        WitnessPool::<Test>::mutate(|p| {
            let p = p.as_mut().expect("taken");
            let first = p.entries[0].clone();
            p.entries[1] = first;
        });
        assert!(Witness::do_try_state().is_err());
    });
    new_test_ext().execute_with(|| {
        next_block();
        WitnessPool::<Test>::mutate(|p| p.as_mut().expect("taken").taken_at = 1);
        assert!(Witness::do_try_state().is_err());
    });
}
