//! Mock tests, one module per area, over the shared helpers below. Every test runs in
//! [`test`], which ends with `do_try_state`.

use crate::{mock::*, Challenges, Event};
use frame_support::BoundedVec;

mod challenges;
mod confirm;
mod deals;
mod providers;
mod reassign;
mod retrieval;

/// Runs `f` in fresh externalities, then checks the invariants.
fn test(f: impl FnOnce()) {
    new_test_ext().execute_with(|| {
        f();
        Dds::do_try_state().expect("invariants hold");
    });
}

/// A signed origin.
fn signed(who: AccountId) -> RuntimeOrigin {
    RuntimeOrigin::signed(who)
}

/// This pallet's events so far.
fn events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| match r.event {
            RuntimeEvent::Dds(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// Registers providers `0..n`, each with `capacity` bytes.
fn register_n(n: u64, capacity: u64) {
    for i in 0..n {
        register(i, capacity, None);
    }
}

/// The stored challenges, in id order.
fn challenges() -> Vec<(u64, crate::ChallengeOf<Test>)> {
    let mut v: Vec<_> = Challenges::<Test>::iter().collect();
    v.sort_by_key(|(id, _)| *id);
    v
}

/// Answers challenge `id` correctly from `content`.
fn answer(id: u64, content: &Content) -> frame_support::dispatch::DispatchResult {
    let c = Challenges::<Test>::get(id).expect("challenge exists");
    let (seg, sp, cp) = content.proof(c.shard, c.segment);
    Dds::answer_challenge(signed(c.provider), id, seg, sp, cp)
}

/// An empty address list.
fn no_addrs() -> BoundedVec<u8, frame_support::traits::ConstU32<128>> {
    BoundedVec::new()
}

/// A standard set-up: 6 providers of 100 MiB, a 3-chunk deal (4+2, 64 KiB chunks) by
/// `OWNER` for 10 epochs at price 1,000, every shard confirmed. Returns the content and
/// the deal id.
fn standard_deal() -> (Content, u64) {
    register_n(6, 100 * u64::from(MIB));
    let c = Content::new(3 * 65_536 - 100, 65_536, 4, 2, 0);
    let deal = open(OWNER, &c, 10, 1_000);
    confirm_all(deal);
    (c, deal)
}

/// Runs to the first block of epoch 1 (block `EPOCH`: epoch 0 starts at genesis) plus
/// `extra` blocks (challenges are drawn at the epoch's first blocks).
fn into_epoch_1(extra: u64) {
    run_to(EPOCH + extra);
}

/// Turns challenges off (for tests about something else).
fn no_challenges() {
    let mut p = test_params();
    p.challenges_per_epoch = 0;
    frame_support::assert_ok!(Dds::set_params(RuntimeOrigin::root(), p));
}
