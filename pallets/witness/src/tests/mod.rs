//! Tests of pallet-witness, one file per concern like the pallet itself: `staking`
//! (bonds and intentions), `election` (genesis, elections, era rotation), `rewards`,
//! `slashing`, `committees` (witnesses, committees, events, attestations, receipts) and
//! `params` (governance parameters and invariants). Every check a call makes has a
//! failing case.
//!
//! This file holds the setup they share; the mock runtime is in `mock.rs`.

use crate::{mock::*, *};
use frame_support::{assert_ok, traits::fungible::InspectHold};
use sp_runtime::{bounded_vec, Perbill};

mod committees;
mod draw;
mod election;
mod hooks;
mod inflation;
mod params;
mod rewards;
mod slashing;
mod squatting;
mod staking;

fn signed(who: AccountId) -> RuntimeOrigin {
    RuntimeOrigin::signed(who)
}

fn ledger(who: AccountId) -> LedgerOf<Test> {
    Ledger::<Test>::get(who).expect("bonded")
}

fn held(who: AccountId) -> Balance {
    Balances::balance_on_hold(&HoldReason::Staking.into(), &who)
}

fn free(who: AccountId) -> Balance {
    Balances::free_balance(who)
}

fn payload(n: u8) -> H256 {
    H256::repeat_byte(n)
}

fn check_state() {
    assert_ok!(Witness::do_try_state());
}

/// Bonds `value` for `who` and makes it a validator candidate with `commission`.
fn bond_and_validate(who: AccountId, value: Balance, commission: Perbill) {
    assert_ok!(Witness::bond(signed(who), value));
    assert_ok!(Witness::validate(signed(who), commission));
}

/// Bonds `value` for `who` and nominates `targets`.
fn bond_and_nominate(who: AccountId, value: Balance, targets: Vec<AccountId>) {
    assert_ok!(Witness::bond(signed(who), value));
    assert_ok!(Witness::nominate(
        signed(who),
        targets.try_into().expect("within MaxNominations")
    ));
}

/// Bonds `value` for `who` and registers it as a witness of `class`.
fn bond_and_register_witness(who: AccountId, value: Balance, class: EventClass) {
    assert_ok!(Witness::bond(signed(who), value));
    assert_ok!(Witness::register_witness(
        signed(who),
        vec![class].try_into().expect("one class")
    ));
}

/// Sets the test parameters with `change` applied, through governance.
fn set_params_with(change: impl FnOnce(&mut ParamsOf<Test>)) {
    let mut params = test_params();
    change(&mut params);
    assert_ok!(Witness::set_params(RuntimeOrigin::root(), params));
}

/// The members of the committee of `epoch` and `class`, in draw order.
fn committee(epoch: EpochIndex, class: EventClass) -> Vec<AccountId> {
    Committees::<Test>::get(epoch, class)
        .expect("committee drawn")
        .members
        .into_inner()
}

/// Reports an offence of `kind` by `offender` in the first session of `era`.
fn report_offence_in_era(offender: AccountId, era: EraIndex, kind: OffenceKind) {
    let session = ErasStartSessionIndex::<Test>::get(era).expect("era started");
    assert_ok!(Witness::report_offence(&offender, session, kind));
}

/// Submits the Interaction event with payload `n` for `who`; returns its id.
fn submit(who: AccountId, n: u8) -> EventId {
    assert_ok!(Witness::submit_event(
        signed(who),
        EventClass::Interaction,
        payload(n)
    ));
    event_id(EventClass::Interaction, &payload(n))
}

/// `who` votes `verdict` on event `id`.
fn vote(who: AccountId, id: EventId, verdict: Verdict) {
    assert_ok!(Witness::attest(signed(who), bounded_vec![(id, verdict)]));
}

/// `who` votes `verdict` on every event of `ids` in one `attest` call.
fn vote_all(who: AccountId, ids: &[EventId], verdict: Verdict) {
    let batch: BoundedVec<_, _> = ids
        .iter()
        .map(|id| (*id, verdict))
        .collect::<Vec<_>>()
        .try_into()
        .expect("within MaxVerdictsPerAttest");
    assert_ok!(Witness::attest(signed(who), batch));
}

/// Witnesses 11 and 12 (a quorum of the genesis committee) vote `Valid` on `id`.
fn resolve_valid(id: EventId) {
    vote(11, id, Verdict::Valid);
    vote(12, id, Verdict::Valid);
}

/// The attestation points `who` holds in `era`.
fn attestation_points(era: EraIndex, who: AccountId) -> u32 {
    ErasPoints::<Test>::get(era, who).attestation
}
