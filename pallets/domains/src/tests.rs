//! Mock tests, one module per area, over the shared helpers below. Every test ends with
//! `do_try_state`.

use crate::{commit_hash, mock::*, Ballots, Event, OptimumId, Optimums, Phase, Round};
use frame_support::assert_ok;

mod draw;
mod lifecycle;
mod pools;
mod rewards;

/// A signed origin.
fn signed(who: AccountId) -> RuntimeOrigin {
    RuntimeOrigin::signed(who)
}

/// This pallet's events so far.
fn events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| match r.event {
            RuntimeEvent::Domains(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// Evaluator `i`.
fn eval(i: u64) -> AccountId {
    EVAL_BASE + i
}

/// Joins evaluators `0..n` to `domain`, each with `MIN_BOND`.
fn join_n(domain: u32, n: u64) {
    for i in 0..n {
        join(domain, eval(i), MIN_BOND);
    }
}

/// The salt `who` uses in the tests.
fn salt(who: AccountId) -> [u8; 32] {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&who.to_le_bytes());
    s
}

/// Submits an optimum, returns its id.
fn submit(who: AccountId, domain: u32, claimed: i64) -> OptimumId {
    let id = crate::NextOptimumId::<Test>::get();
    assert_ok!(Domains::submit_optimum(
        signed(who),
        domain,
        sp_core::H256::repeat_byte(7),
        claimed
    ));
    id
}

/// Runs blocks until `id`'s current round is drawn (at most 50 blocks).
fn until_voting(id: OptimumId) {
    for _ in 0..50 {
        if matches!(
            Optimums::<Test>::get(id).map(|o| o.phase),
            Some(Phase::Voting { .. })
        ) {
            return;
        }
        run_to(System::block_number() + 1);
    }
    panic!("optimum {id} was not drawn");
}

/// The current round and quorum of `id`.
fn quorum(id: OptimumId) -> (Round, Vec<AccountId>) {
    let o = Optimums::<Test>::get(id).expect("open");
    let mut members: Vec<AccountId> = Ballots::<Test>::iter_prefix((id, o.round))
        .map(|(who, _)| who)
        .collect();
    members.sort();
    (o.round, members)
}

/// The windows of `id`'s current round.
fn windows(id: OptimumId) -> (u64, u64) {
    match Optimums::<Test>::get(id).expect("open").phase {
        Phase::Voting {
            commit_until,
            reveal_until,
        } => (commit_until, reveal_until),
        Phase::AwaitingDraw { .. } => panic!("not voting"),
    }
}

/// Plays the current round of `id` (drawing it first): each member for which `score`
/// returns a value commits and reveals it; then runs to the end of the reveal window, so
/// that `on_initialize` closes the round. Returns the round's members.
fn play_round(id: OptimumId, score: impl Fn(AccountId) -> Option<i64>) -> Vec<AccountId> {
    until_voting(id);
    let (round, members) = quorum(id);
    let (commit_until, reveal_until) = windows(id);
    let votes: Vec<(AccountId, i64)> = members
        .iter()
        .filter_map(|m| score(*m).map(|s| (*m, s)))
        .collect();
    for (who, s) in &votes {
        assert_ok!(Domains::commit(
            signed(*who),
            id,
            commit_hash(id, round, *s, &salt(*who), who)
        ));
    }
    run_to(commit_until);
    for (who, s) in &votes {
        assert_ok!(Domains::reveal(signed(*who), id, *s, salt(*who)));
    }
    run_to(reveal_until);
    members
}

/// The outcome of `id`, from its `OptimumClosed` event.
fn outcome(id: OptimumId) -> Option<(crate::Outcome, Option<i64>)> {
    events().into_iter().find_map(|e| match e {
        Event::OptimumClosed {
            optimum,
            outcome,
            median,
            ..
        } if optimum == id => Some((outcome, median)),
        _ => None,
    })
}

/// Checks the invariants.
fn check() {
    Domains::do_try_state().expect("invariants hold");
}
