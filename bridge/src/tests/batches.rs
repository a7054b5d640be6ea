//! `submit_batch`: the happy path and every refusal of the list, each with its typed
//! error and no change (`assert_noop!`).

use super::*;
use ark_bn254::{Fq, Fq2, G2Affine};
use ark_ff::{BigInteger, Field, PrimeField};
use ark_serialize::CanonicalSerialize;
use echonet_rollup_primitives::da::{DaRecord, RECORD_BYTES};
use frame_support::assert_noop;

#[test]
fn batches_move_the_root_consume_deposits_and_record_withdrawals() {
    new_test_ext().execute_with(|| {
        let f = fixture();
        configure();
        queue_scenario_deposits();
        assert_eq!(free(Bridge::account_id()), ED + DEPOSIT_A + DEPOSIT_B);

        advance_time(1_000);
        assert_ok!(Submission::batch(1).submit());
        assert_eq!(
            CurrentRoot::<Test>::get(),
            verifier::fr_to_bytes(&f.trees[1].root())
        );
        assert_eq!(LastBatch::<Test>::get(), 1);
        assert_eq!(LastBatchAt::<Test>::get(), Some(GENESIS_MS + 1_000));
        assert_eq!(QueueHead::<Test>::get(), 1);
        assert!(DepositQueue::<Test>::get(0).is_none());
        assert_eq!(QueuedTotal::<Test>::get(), DEPOSIT_B);
        assert_eq!(L2Total::<Test>::get(), DEPOSIT_A);
        assert!(bridge_events().contains(&Event::BatchVerified {
            batch_number: 1,
            old_root: EMPTY_TREE_ROOT,
            new_root: verifier::fr_to_bytes(&f.trees[1].root()),
            deposits: 1,
            withdrawals: 0,
        }));
        check_state();

        assert_ok!(Submission::batch(2).submit());
        assert_eq!(QueuedTotal::<Test>::get(), 0);
        assert_eq!(L2Total::<Test>::get(), DEPOSIT_A + DEPOSIT_B);
        check_state();

        assert_ok!(Submission::batch(3).submit());
        assert_eq!(
            CurrentRoot::<Test>::get(),
            verifier::fr_to_bytes(&f.trees[3].root())
        );
        assert_eq!(
            Withdrawals::<Test>::get(3, 0),
            Some(PendingWithdrawal {
                recipient: RECIPIENT,
                amount: WITHDRAWAL
            })
        );
        assert_eq!(UnclaimedTotal::<Test>::get(), WITHDRAWAL);
        assert_eq!(L2Total::<Test>::get(), DEPOSIT_A + DEPOSIT_B - WITHDRAWAL);
        assert_eq!(
            L2Total::<Test>::get(),
            FINAL_BALANCE_0 + FINAL_BALANCE_1,
            "the L2 total is the sum of the L2 balances"
        );
        // Nothing has left the bridge yet.
        assert_eq!(free(Bridge::account_id()), ED + DEPOSIT_A + DEPOSIT_B);
        check_state();
    });
}

#[test]
fn the_weight_is_refunded_to_the_configured_batch_size() {
    new_test_ext().execute_with(|| {
        configure();
        queue_scenario_deposits();
        let post = Submission::batch(1).submit().unwrap();
        assert_eq!(
            post.actual_weight,
            Some(<() as WeightInfo>::submit_batch(2))
        );
    });
}

#[test]
fn a_batch_from_a_non_operator_is_refused() {
    new_test_ext().execute_with(|| {
        configure();
        queue_scenario_deposits();
        assert_noop!(
            Submission::batch(1).submit_as(ALICE),
            Error::<Test>::NotOperator
        );
    });
}

#[test]
fn a_replayed_batch_number_is_refused() {
    new_test_ext().execute_with(|| {
        run_batches(1);
        assert_noop!(Submission::batch(1).submit(), Error::<Test>::BadBatchNumber);
        // Skipping ahead is refused the same way.
        assert_noop!(Submission::batch(3).submit(), Error::<Test>::BadBatchNumber);
    });
}

#[test]
fn a_batch_against_another_old_root_is_refused() {
    new_test_ext().execute_with(|| {
        run_batches(1);
        // Batch 2 was proven from the root after batch 1. Were the bridge's root any other
        // (here the older, empty root), the proof does not verify: the old root comes from
        // storage, not from the submitter.
        CurrentRoot::<Test>::put(EMPTY_TREE_ROOT);
        assert_noop!(Submission::batch(2).submit(), Error::<Test>::InvalidProof);
    });
}

#[test]
fn tampered_da_bytes_are_refused() {
    new_test_ext().execute_with(|| {
        configure();
        queue_scenario_deposits();
        // Another fee account in the header: still decodes, but the DA hash differs.
        let mut s = Submission::batch(1);
        s.da[2] ^= 1;
        assert_noop!(s.submit(), Error::<Test>::InvalidProof);
        // A no-op record appended changes nothing of substance, but a transfer record
        // appended changes the DA hash.
        let mut s = Submission::batch(1);
        s.da.extend_from_slice(
            &DaRecord::Transfer {
                from: 0,
                to: 1,
                amount: Amount40::from_value(1).unwrap(),
                fee: Fee8(0),
            }
            .to_bytes(),
        );
        assert_noop!(s.submit(), Error::<Test>::InvalidProof);
        // Bytes that do not decode: a cut record, too many records for the batch size.
        let mut s = Submission::batch(1);
        s.da.pop();
        assert_noop!(s.submit(), Error::<Test>::MalformedDa);
        let mut s = Submission::batch(1);
        s.da.extend_from_slice(&[0u8; 2 * RECORD_BYTES]);
        assert_noop!(s.submit(), Error::<Test>::MalformedDa);
    });
}

#[test]
fn deposits_out_of_order_are_refused() {
    new_test_ext().execute_with(|| {
        configure();
        queue_scenario_deposits();
        // A DA that consumes Bob's deposit (index 1) before Alice's (index 0).
        let mut s = Submission::batch(1);
        s.da.truncate(3);
        s.da.extend_from_slice(&DaRecord::Deposit { to: 1 }.to_bytes());
        assert_noop!(s.submit(), Error::<Test>::DepositOutOfOrder);
        // A count that is not the DA's, or more deposits than are queued.
        let mut s = Submission::batch(1);
        s.deposits_consumed = 2;
        assert_noop!(s.submit(), Error::<Test>::DepositCountMismatch);
        let mut s = Submission::batch(1);
        s.da.truncate(3);
        for to in [0, 1, 1] {
            s.da.extend_from_slice(&DaRecord::Deposit { to }.to_bytes());
        }
        s.deposits_consumed = 3;
        ConfigureSize64::with(|| {
            assert_noop!(s.submit(), Error::<Test>::NotEnoughDeposits);
        });
    });
}

/// Runs `f` with the size-2 key registered for 64 slots too, and 64 as the batch size, so
/// that a DA with more records than 2 decodes (the proof does not matter: the check
/// under test comes before it).
struct ConfigureSize64;
impl ConfigureSize64 {
    fn with(f: impl FnOnce()) {
        let entry = VerifyingKeys::<Test>::get(2).unwrap();
        VerifyingKeys::<Test>::insert(64, entry);
        BatchSize::<Test>::put(64);
        f();
    }
}

#[test]
fn withdrawals_that_differ_from_the_da_are_refused() {
    new_test_ext().execute_with(|| {
        run_batches(2);
        let mut s = Submission::batch(3);
        s.withdrawals[0].amount += 1;
        assert_noop!(s.submit(), Error::<Test>::WithdrawalMismatch);
        let mut s = Submission::batch(3);
        s.withdrawals.clear();
        assert_noop!(s.submit(), Error::<Test>::WithdrawalMismatch);
        // Another recipient: the DA does not carry it, the withdrawals hash does.
        let mut s = Submission::batch(3);
        s.withdrawals[0].recipient = recipient(8);
        assert_noop!(s.submit(), Error::<Test>::InvalidProof);
    });
}

#[test]
fn a_proof_for_another_chain_id_is_refused() {
    new_test_ext().execute_with(|| {
        configure();
        queue_scenario_deposits();
        ChainIdValue::set(CHAIN_ID + 1);
        assert_noop!(Submission::batch(1).submit(), Error::<Test>::InvalidProof);
        ChainIdValue::set(CHAIN_ID);
        assert_ok!(Submission::batch(1).submit());
    });
}

#[test]
fn a_proof_for_another_batch_size_is_refused() {
    new_test_ext().execute_with(|| {
        // Batch 1's DA has one record: it decodes for size 1 and its DA hash is the same
        // at sizes 1 and 2 (padded to 8). Only the key tells the sizes apart (rule 6).
        register_key(2);
        register_key(1);
        assert_ok!(Bridge::set_batch_size(root(), 1));
        queue_scenario_deposits();
        assert_noop!(Submission::batch(1).submit(), Error::<Test>::InvalidProof);
        assert_ok!(Bridge::set_batch_size(root(), 2));
        assert_ok!(Submission::batch(1).submit());
    });
}

#[test]
fn no_batch_is_accepted_before_a_batch_size_is_configured() {
    new_test_ext().execute_with(|| {
        register_key(2);
        queue_scenario_deposits();
        assert_noop!(Submission::batch(1).submit(), Error::<Test>::NoBatchSize);
    });
}

/// `A`'s `x`, in a copy of batch 1's proof, replaced by `x` (little-endian), keeping `A`'s
/// flags.
fn with_a_x(x: &[u8; 32]) -> Submission {
    let mut s = Submission::batch(1);
    let flags = s.proof[31] & 0xc0;
    s.proof[..32].copy_from_slice(x);
    s.proof[31] |= flags;
    s
}

#[test]
fn a_non_canonical_field_element_is_refused() {
    new_test_ext().execute_with(|| {
        configure();
        queue_scenario_deposits();
        // A.x = p: reduces to 0, but is not the canonical encoding.
        let p: [u8; 32] = Fq::MODULUS.to_bytes_le().try_into().unwrap();
        assert_noop!(with_a_x(&p).submit(), Error::<Test>::ProofNotCanonical);
        // Both flags at once.
        let mut s = Submission::batch(1);
        s.proof[31] |= 0xc0;
        assert_noop!(s.submit(), Error::<Test>::ProofNotCanonical);
        // B.c0 = p (no flags there).
        let mut s = Submission::batch(1);
        s.proof[32..64].copy_from_slice(&p);
        assert_noop!(s.submit(), Error::<Test>::ProofNotCanonical);
        // A new root >= r.
        let mut s = Submission::batch(1);
        s.new_root = [0xff; 32];
        assert_noop!(s.submit(), Error::<Test>::NonCanonicalRoot);
    });
}

#[test]
fn a_point_off_the_curve_is_refused() {
    new_test_ext().execute_with(|| {
        configure();
        queue_scenario_deposits();
        // The smallest x with no point on y² = x³ + 3.
        let x = (1u64..)
            .map(Fq::from)
            .find(|x| (*x * x * x + Fq::from(3u64)).sqrt().is_none())
            .unwrap();
        let bytes: [u8; 32] = x.into_bigint().to_bytes_le().try_into().unwrap();
        assert_noop!(with_a_x(&bytes).submit(), Error::<Test>::ProofNotOnCurve);
    });
}

#[test]
fn a_point_outside_the_subgroup_is_refused() {
    new_test_ext().execute_with(|| {
        configure();
        queue_scenario_deposits();
        // A point of the twist that is not in G2's prime-order subgroup (the cofactor is
        // large, so the first point found is almost surely outside; asserted below).
        let b = (1u64..)
            .find_map(|i| {
                G2Affine::get_point_from_x_unchecked(Fq2::new(Fq::from(i), Fq::from(0u64)), false)
            })
            .unwrap();
        assert!(b.is_on_curve() && !b.is_in_correct_subgroup_assuming_on_curve());
        let mut enc = Vec::new();
        b.serialize_compressed(&mut enc).unwrap();
        let mut s = Submission::batch(1);
        s.proof[32..96].copy_from_slice(&enc);
        assert_noop!(s.submit(), Error::<Test>::ProofNotInSubgroup);
    });
}

#[test]
fn a_valid_proof_of_another_batch_is_refused() {
    new_test_ext().execute_with(|| {
        run_batches(1);
        // Batch 2's data with batch 3's proof.
        let mut s = Submission::batch(2);
        s.proof = Submission::batch(3).proof;
        assert_noop!(s.submit(), Error::<Test>::InvalidProof);
    });
}
