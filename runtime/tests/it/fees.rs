//! Fees, the fee market and the treasury (issue 14): where a fee, a tip and a slash go, how
//! the fee multiplier follows block fullness, and a treasury spend paid out. Blocks are
//! executed through `Executive` with an Aura pre-digest, so pallet-authorship finds the
//! author as it does on a running chain.

use codec::Encode;
use echonet_runtime::{
    configs::RuntimeBlockWeights,
    extrinsics,
    fees::{
        dynamic_params, fee_split, AdjustmentVariable, MaximumMultiplier, MinimumMultiplier,
        TreasuryAccount,
    },
    AccountId, Balance, Balances, Executive, Header, Parameters, Runtime, RuntimeCall,
    RuntimeEvent, RuntimeOrigin, System, TransactionPayment, Treasury, UncheckedExtrinsic,
    SLOT_DURATION, UNITS,
};
use frame_support::{
    assert_ok,
    dispatch::DispatchClass,
    traits::{
        fungible::{Balanced, Inspect},
        tokens::{Fortitude, Precision, Preservation},
        Currency, Get, OnUnbalanced,
    },
    weights::Weight,
};
use pallet_transaction_payment::Multiplier;
use sp_consensus_aura::{Slot, AURA_ENGINE_ID};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{generic::Digest, traits::Header as _, DigestItem, Perbill};

fn account(k: Sr25519Keyring) -> AccountId {
    k.to_account_id()
}

fn free(who: &AccountId) -> Balance {
    Balances::free_balance(who)
}

fn pot() -> AccountId {
    pallet_witness::Pallet::<Runtime>::pot_account()
}

/// The proof-of-engagement pool's account.
fn poe_pool() -> AccountId {
    echonet_runtime::Poe::account_id()
}

fn issuance() -> Balance {
    <Balances as Inspect<AccountId>>::total_issuance()
}

/// Starts block `number` on the current state, as slot `slot`'s block if `with_author`
/// (an Aura pre-digest; the development chain's only validator, Alice, owns every slot),
/// and applies its timestamp inherent. Without an author the block has no slot, and its
/// timestamp must fall in slot 0, where pallet-aura's genesis left `CurrentSlot`.
fn start_block(number: u32, slot: u64, with_author: bool) {
    let mut digest = Digest::default();
    if with_author {
        digest.push(DigestItem::PreRuntime(
            AURA_ENGINE_ID,
            Slot::from(slot).encode(),
        ));
    }
    let header = Header::new(
        number,
        H256::zero(),
        H256::zero(),
        System::parent_hash(),
        digest,
    );
    Executive::initialize_block(&header);
    let now = RuntimeCall::Timestamp(pallet_timestamp::Call::set {
        now: if with_author { slot * SLOT_DURATION } else { 0 },
    });
    assert_ok!(Executive::apply_extrinsic(UncheckedExtrinsic::new_bare(now)).unwrap());
}

/// Applies a signed transfer of one ECHO from `from` to Dave with `tip`; returns the fee
/// paid without the tip.
fn transfer(from: Sr25519Keyring, nonce: u32, tip: Balance) -> Balance {
    let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
        dest: account(Sr25519Keyring::Dave).into(),
        value: UNITS,
    });
    let xt = extrinsics::signed(call, &from.pair(), nonce, tip, System::block_hash(0));
    assert_ok!(Executive::apply_extrinsic(xt).expect("the transfer is valid"));
    let paid = System::events()
        .into_iter()
        .rev()
        .find_map(|r| match r.event {
            RuntimeEvent::TransactionPayment(
                pallet_transaction_payment::Event::TransactionFeePaid {
                    who,
                    actual_fee,
                    tip: paid_tip,
                },
            ) if who == account(from) => Some((actual_fee, paid_tip)),
            _ => None,
        })
        .expect("a fee was paid");
    assert_eq!(paid.1, tip);
    paid.0 - tip
}

fn set_burn_fraction(fraction: Perbill) {
    assert_ok!(Parameters::set_parameter(
        RuntimeOrigin::root(),
        echonet_runtime::RuntimeParameters::Fees(dynamic_params::fees::Parameters::BurnFraction(
            dynamic_params::fees::BurnFraction,
            Some(fraction),
        )),
    ));
}

#[test]
fn a_fee_goes_20_percent_to_the_pot_10_to_the_poe_pool_70_burned_and_the_tip_to_the_author() {
    crate::staking::ext("development").execute_with(|| {
        start_block(2, 1_000, true);
        let alice = account(Sr25519Keyring::Alice);
        let charlie = account(Sr25519Keyring::Charlie);
        let poe0 = free(&poe_pool());
        let (pot0, treasury0, alice0, charlie0, issuance0) = (
            free(&pot()),
            free(&TreasuryAccount::get()),
            free(&alice),
            free(&charlie),
            issuance(),
        );
        let tip = 7 * UNITS / 1_000;
        let fee = transfer(Sr25519Keyring::Charlie, 0, tip);
        // The fee is what the runtime's formula charges at multiplier 1.
        let xt_len = extrinsics::signed(
            RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
                dest: account(Sr25519Keyring::Dave).into(),
                value: UNITS,
            }),
            &Sr25519Keyring::Charlie.pair(),
            0,
            tip,
            System::block_hash(0),
        )
        .encode()
        .len() as u32;
        let info = frame_support::dispatch::GetDispatchInfo::get_dispatch_info(
            &RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
                dest: account(Sr25519Keyring::Dave).into(),
                value: UNITS,
            }),
        );
        assert_eq!(
            fee,
            TransactionPayment::compute_fee(xt_len, &info, 0),
            "fee at multiplier 1"
        );
        assert_eq!(fee % 10, 0, "the fee is a whole number of nanoECHO: {fee}");
        assert_eq!(charlie0 - free(&charlie), UNITS + fee + tip);
        assert_eq!(free(&pot()) - pot0, fee / 5, "20% of the fee to the pot");
        assert_eq!(free(&poe_pool()) - poe0, fee / 10, "10% to the PoE pool");
        assert_eq!(
            issuance0 - issuance(),
            fee * 7 / 10,
            "70% of the fee burned"
        );
        assert_eq!(
            free(&TreasuryAccount::get()),
            treasury0,
            "nothing left over"
        );
        assert_eq!(free(&alice) - alice0, tip, "the tip to the author, Alice");
        assert_eq!(
            pallet_authorship::Pallet::<Runtime>::author(),
            Some(alice.clone())
        );
    });
}

#[test]
fn a_lower_burn_fraction_sends_the_difference_to_the_treasury() {
    crate::staking::ext("development").execute_with(|| {
        start_block(2, 1_000, true);
        set_burn_fraction(Perbill::from_percent(50));
        assert_eq!(
            dynamic_params::fees::BurnFraction::get(),
            Perbill::from_percent(50)
        );
        let (pot0, treasury0, issuance0) =
            (free(&pot()), free(&TreasuryAccount::get()), issuance());
        let fee = transfer(Sr25519Keyring::Charlie, 0, 0);
        assert_eq!(fee_split(fee), (fee / 5, fee / 10, fee / 2, fee / 5));
        assert_eq!(free(&pot()) - pot0, fee / 5);
        assert_eq!(issuance0 - issuance(), fee / 2);
        assert_eq!(free(&TreasuryAccount::get()) - treasury0, fee / 5);
        // A burn fraction above what the pot and the PoE pool leave burns only that:
        // nothing to the treasury, their shares unchanged.
        set_burn_fraction(Perbill::from_percent(95));
        assert_eq!(fee_split(1_000), (200, 100, 700, 0));
        // Only Root (the parameters track, once wired) may change it.
        assert!(Parameters::set_parameter(
            RuntimeOrigin::signed(account(Sr25519Keyring::Alice)),
            echonet_runtime::RuntimeParameters::Fees(
                dynamic_params::fees::Parameters::BurnFraction(
                    dynamic_params::fees::BurnFraction,
                    Some(Perbill::zero()),
                )
            ),
        )
        .is_err());
    });
}

#[test]
fn without_an_author_the_tip_goes_to_the_treasury() {
    crate::staking::ext("development").execute_with(|| {
        start_block(2, 1_000, false);
        assert_eq!(pallet_authorship::Pallet::<Runtime>::author(), None);
        let alice = account(Sr25519Keyring::Alice);
        let (treasury0, alice0) = (free(&TreasuryAccount::get()), free(&alice));
        let tip = 3 * UNITS;
        transfer(Sr25519Keyring::Charlie, 0, tip);
        assert_eq!(free(&TreasuryAccount::get()) - treasury0, tip);
        assert_eq!(free(&alice), alice0);
    });
}

#[test]
fn a_slash_goes_to_the_treasury_minus_the_burn() {
    crate::staking::ext("development").execute_with(|| {
        start_block(2, 1_000, true);
        let bob = account(Sr25519Keyring::Bob);
        let (treasury0, issuance0) = (free(&TreasuryAccount::get()), issuance());
        let amount = 1_000 * UNITS;
        // What pallet-witness hands its `Slash` handler: a credit taken from the offender.
        let slashed = <Balances as Balanced<AccountId>>::withdraw(
            &bob,
            amount,
            Precision::Exact,
            Preservation::Preserve,
            Fortitude::Force,
        )
        .unwrap();
        <Runtime as pallet_witness::Config>::Slash::on_unbalanced(slashed);
        assert_eq!(free(&TreasuryAccount::get()) - treasury0, amount / 5);
        assert_eq!(issuance0 - issuance(), amount * 4 / 5);
    });
}

/// Ends the current block with its normal class `percent` full, and returns the
/// multiplier the next block pays.
fn end_block_filled(number: u32, percent: u64) -> Multiplier {
    let normal = RuntimeBlockWeights::get()
        .get(DispatchClass::Normal)
        .max_total
        .unwrap();
    let used = frame_system::Pallet::<Runtime>::block_weight();
    let want = Weight::from_parts(normal.ref_time() * percent / 100, 0);
    let already = *used.get(DispatchClass::Normal);
    System::register_extra_weight_unchecked(want.saturating_sub(already), DispatchClass::Normal);
    let header = Executive::finalize_block();
    assert_eq!(header.number, number);
    pallet_transaction_payment::NextFeeMultiplier::<Runtime>::get()
}

#[test]
fn the_multiplier_rises_above_the_target_and_falls_back_below_it() {
    crate::staking::ext("development").execute_with(|| {
        let one = Multiplier::from_u32(1);
        assert_eq!(MinimumMultiplier::get(), one);
        let mut number = 2;
        let mut slot = 1_000;
        let mut block = |percent: u64| {
            start_block(number, slot, true);
            let m = end_block_filled(number, percent);
            number += 1;
            slot += 1;
            m
        };
        // At the target, and below it at the floor, nothing moves.
        assert_eq!(block(25), one);
        assert_eq!(block(10), one);
        // At 2x the target: x(1 + v/4 + (v/4)^2/2) a block, v = 0.2.
        let v = AdjustmentVariable::get();
        assert_eq!(v, Multiplier::from_rational(2, 10));
        let step = one + v / Multiplier::from_u32(4) + (v * v) / Multiplier::from_u32(32);
        let mut expected = one;
        let mut path = vec![];
        for _ in 0..14 {
            let m = block(50);
            expected = expected * step;
            let diff = if m > expected {
                m - expected
            } else {
                expected - m
            };
            assert!(
                diff < Multiplier::from_rational(1, 1_000_000),
                "{m} vs {expected}"
            );
            path.push(m);
        }
        assert!(path.windows(2).all(|w| w[1] > w[0]));
        // Doubles in 14 blocks (28 s).
        assert!(path[12] < Multiplier::from_u32(2) && path[13] >= Multiplier::from_u32(2));
        // Full blocks rise faster than blocks at 2x the target.
        let before = path[13];
        let after = block(100);
        assert!(after / before > step);
        // Below the target it falls, and stops at the floor.
        let mut last = after;
        for _ in 0..10 {
            let m = block(0);
            assert!(m < last, "{m} < {last}");
            last = m;
        }
        for _ in 0..200 {
            last = block(0);
        }
        assert_eq!(last, one);
        // From the floor, a full block raises it again: it cannot get stuck.
        assert!(block(100) > one);
        assert!(MaximumMultiplier::get() > one);
    });
}

#[test]
fn a_treasury_spend_approved_by_root_is_paid_out() {
    crate::staking::ext("development").execute_with(|| {
        start_block(2, 1_000, true);
        let treasury = TreasuryAccount::get();
        assert_eq!(treasury, Treasury::account_id());
        // The treasury exists from genesis; fund it as fees and slashes would.
        let _ = Balances::deposit_creating(&treasury, 500 * UNITS);
        let ferdie = account(Sr25519Keyring::Ferdie);
        let (treasury0, ferdie0) = (free(&treasury), free(&ferdie));
        assert_ok!(Treasury::spend(
            RuntimeOrigin::root(),
            Box::new(()),
            200 * UNITS,
            Box::new(ferdie.clone().into()),
            None,
        ));
        // A signed account cannot approve a spend.
        assert!(Treasury::spend(
            RuntimeOrigin::signed(account(Sr25519Keyring::Bob)),
            Box::new(()),
            UNITS,
            Box::new(ferdie.clone().into()),
            None,
        )
        .is_err());
        // Anyone may claim it for the beneficiary.
        assert_ok!(Treasury::payout(
            RuntimeOrigin::signed(account(Sr25519Keyring::Bob)),
            0
        ));
        assert_eq!(free(&ferdie) - ferdie0, 200 * UNITS);
        assert_eq!(treasury0 - free(&treasury), 200 * UNITS);
        // A spend of more than the treasury holds fails at payout and leaves it alive.
        assert_ok!(Treasury::spend(
            RuntimeOrigin::root(),
            Box::new(()),
            10_000 * UNITS,
            Box::new(ferdie.clone().into()),
            None,
        ));
        assert!(Treasury::payout(RuntimeOrigin::signed(ferdie.clone()), 1).is_err());
        assert_eq!(free(&treasury), treasury0 - 200 * UNITS);
    });
}
