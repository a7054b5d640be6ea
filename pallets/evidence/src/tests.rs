//! Tests of pallet-evidence on the mock runtime.
// `ValidateUnsigned` is deprecated (see the pallet); the tests call it as the pool does.
#![allow(deprecated)]

use crate::{mock::*, *};

type EvidencePallet = crate::Pallet<Test>;
use codec::Encode;
use frame_support::{assert_noop, assert_ok, pallet_prelude::*, unsigned::ValidateUnsigned};
use sp_consensus_grandpa::{Equivocation as GrandpaEquivocation, EquivocationProof};
use sp_core::{Pair, H256};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{
    generic::Digest,
    traits::{BlakeTwo256, Header as _},
    DigestItem,
};

type Header = sp_runtime::generic::Header<u64, BlakeTwo256>;

/// A header of block `number` for `slot`, sealed by `author`.
fn sealed(number: u64, slot: u64, author: Sr25519Keyring, salt: u8) -> Header {
    let mut header = Header::new(
        number,
        H256::repeat_byte(salt),
        H256::zero(),
        H256::repeat_byte(1),
        Digest {
            logs: vec![DigestItem::PreRuntime(*b"aura", slot.encode())],
        },
    );
    let signature = author.pair().sign(header.hash().as_bytes());
    header
        .digest_mut()
        .push(DigestItem::Seal(*b"aura", signature.encode()));
    header
}

/// Slot 4 belongs to Alice (index 0 of four).
fn aura_proof(author: Sr25519Keyring, slot: u64) -> AuraEquivocationProof<Header> {
    AuraEquivocationProof {
        offender: author.public().into(),
        first: sealed(5, slot, author, 2),
        second: sealed(5, slot, author, 3),
    }
}

fn grandpa_proof(signer: Ed25519Keyring, set_id: u64, round: u64) -> EquivocationProof<H256, u64> {
    grandpa_proof_with(signer, set_id, set_id, round, 2)
}

/// Votes signed for `signed_set` claimed for `claimed_set`, the second for `second`.
fn grandpa_proof_with(
    signer: Ed25519Keyring,
    signed_set: u64,
    claimed_set: u64,
    round: u64,
    second: u8,
) -> EquivocationProof<H256, u64> {
    let set_id = signed_set;
    let vote = |target: u8| {
        let prevote = finality_grandpa::Prevote::new(H256::repeat_byte(target), 7u64);
        let payload = sp_consensus_grandpa::localized_payload(
            round,
            set_id,
            &finality_grandpa::Message::Prevote(prevote.clone()),
        );
        (prevote, signer.pair().sign(&payload).into())
    };
    EquivocationProof::new(
        claimed_set,
        GrandpaEquivocation::Prevote(finality_grandpa::Equivocation {
            round_number: round,
            identity: signer.public().into(),
            first: vote(1),
            second: vote(second),
        }),
    )
}

fn report_aura(proof: AuraEquivocationProof<Header>) -> DispatchResult {
    EvidencePallet::report_aura_equivocation(RuntimeOrigin::none(), Box::new(proof))
}

fn report_grandpa(proof: EquivocationProof<H256, u64>) -> DispatchResult {
    EvidencePallet::report_grandpa_equivocation(RuntimeOrigin::none(), Box::new(proof))
}

#[test]
fn aura_equivocation_is_stored_and_reported() {
    new_test_ext().execute_with(|| {
        assert_ok!(report_aura(aura_proof(Sr25519Keyring::Alice, 4)));
        let key = ReportKey {
            kind: EquivocationKind::Aura,
            offender: Sr25519Keyring::Alice.public().0,
            set_id: 0,
            slot_or_round: 4,
        };
        let record = crate::Evidence::<Test>::get(&key).expect("stored");
        assert_eq!(record.reported_at, 1);
        assert_eq!(record.session, 0);
        assert_eq!(record.offence_sessions, (0, 0));
        assert_eq!(Queue::<Test>::get().into_inner(), vec![(1, key)]);
        System::assert_last_event(
            Event::EquivocationReported {
                kind: EquivocationKind::Aura,
                offender: Sr25519Keyring::Alice.public().0,
                session: 0,
                slot_or_round: 4,
                set_id: 0,
                offence_sessions: (0, 0),
            }
            .into(),
        );
    });
}

#[test]
fn aura_report_fails_for_the_same_block_twice() {
    new_test_ext().execute_with(|| {
        let mut proof = aura_proof(Sr25519Keyring::Alice, 4);
        proof.second = proof.first.clone();
        assert_noop!(report_aura(proof), Error::<Test>::SameBlock);
    });
}

#[test]
fn aura_report_fails_for_different_slots() {
    new_test_ext().execute_with(|| {
        let mut proof = aura_proof(Sr25519Keyring::Alice, 4);
        proof.second = sealed(5, 8, Sr25519Keyring::Alice, 3);
        assert_noop!(report_aura(proof), Error::<Test>::DifferentSlots);
    });
}

#[test]
fn aura_report_fails_with_a_seal_by_someone_else() {
    new_test_ext().execute_with(|| {
        let mut proof = aura_proof(Sr25519Keyring::Alice, 4);
        proof.second = sealed(5, 4, Sr25519Keyring::Bob, 3);
        assert_noop!(report_aura(proof), Error::<Test>::InvalidProof);
    });
}

#[test]
fn aura_report_fails_without_seal_or_slot() {
    new_test_ext().execute_with(|| {
        let mut proof = aura_proof(Sr25519Keyring::Alice, 4);
        proof.second.digest_mut().pop();
        assert_noop!(report_aura(proof), Error::<Test>::InvalidHeaders);
        let mut proof = aura_proof(Sr25519Keyring::Alice, 4);
        proof.second.digest_mut().logs.remove(0);
        assert_noop!(report_aura(proof), Error::<Test>::InvalidHeaders);
    });
}

#[test]
fn aura_report_fails_if_the_offender_did_not_own_the_slot() {
    new_test_ext().execute_with(|| {
        // Slot 5 is Bob's: Alice sealing it is not an equivocation of hers we can prove.
        assert_noop!(
            report_aura(aura_proof(Sr25519Keyring::Alice, 5)),
            Error::<Test>::UnknownOffender
        );
        // Eve is no authority at all.
        assert_noop!(
            report_aura(aura_proof(Sr25519Keyring::Eve, 4)),
            Error::<Test>::UnknownOffender
        );
    });
}

#[test]
fn aura_report_fails_twice_for_the_same_slot() {
    new_test_ext().execute_with(|| {
        assert_ok!(report_aura(aura_proof(Sr25519Keyring::Alice, 4)));
        let mut again = aura_proof(Sr25519Keyring::Alice, 4);
        again.second = sealed(5, 4, Sr25519Keyring::Alice, 9);
        assert_noop!(report_aura(again), Error::<Test>::DuplicateReport);
    });
}

#[test]
fn reports_must_be_unsigned() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            EvidencePallet::report_aura_equivocation(
                RuntimeOrigin::signed(1),
                Box::new(aura_proof(Sr25519Keyring::Alice, 4))
            ),
            DispatchError::BadOrigin
        );
        assert_noop!(
            EvidencePallet::report_grandpa_equivocation(
                RuntimeOrigin::signed(1),
                Box::new(grandpa_proof(Ed25519Keyring::Bob, 0, 3))
            ),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn an_authority_of_a_recent_session_can_still_be_reported() {
    new_test_ext().execute_with(|| {
        // Session 1 (from slot 11) drops Alice; her slot-4 equivocation from session 0
        // still counts.
        AuraAuthorities::set(aura_set()[1..].to_vec());
        SessionIndex::set(1);
        CurrentSlot::set(10);
        run_to_block(2);
        assert!(AuraSets::<Test>::get(1).is_some());
        assert_ok!(report_aura(aura_proof(Sr25519Keyring::Alice, 4)));
        // Beyond the history depth (2 sessions back), it no longer does.
        for session in 2..=4 {
            SessionIndex::set(session);
            run_to_block(u64::from(session) + 1);
        }
        assert!(AuraSets::<Test>::get(0).is_none(), "session 0 is forgotten");
        assert_noop!(
            report_aura(aura_proof(Sr25519Keyring::Alice, 8)),
            Error::<Test>::UnknownOffender
        );
    });
}

#[test]
fn grandpa_equivocation_is_stored_and_reported() {
    new_test_ext().execute_with(|| {
        assert_ok!(report_grandpa(grandpa_proof(Ed25519Keyring::Bob, 0, 3)));
        let key = ReportKey {
            kind: EquivocationKind::Grandpa,
            offender: Ed25519Keyring::Bob.public().0,
            set_id: 0,
            slot_or_round: 3,
        };
        assert!(crate::Evidence::<Test>::get(&key).is_some());
        System::assert_last_event(
            Event::EquivocationReported {
                kind: EquivocationKind::Grandpa,
                offender: Ed25519Keyring::Bob.public().0,
                session: 0,
                slot_or_round: 3,
                set_id: 0,
                offence_sessions: (0, 0),
            }
            .into(),
        );
        assert_noop!(
            report_grandpa(grandpa_proof(Ed25519Keyring::Bob, 0, 3)),
            Error::<Test>::DuplicateReport
        );
    });
}

#[test]
fn grandpa_report_fails_for_votes_on_the_same_block() {
    new_test_ext().execute_with(|| {
        let proof = grandpa_proof_with(Ed25519Keyring::Bob, 0, 0, 3, 1);
        assert_noop!(report_grandpa(proof), Error::<Test>::InvalidProof);
    });
}

#[test]
fn grandpa_report_fails_with_a_bad_signature() {
    new_test_ext().execute_with(|| {
        // Signed for set 0, claimed for set 1 (the current set after a change).
        GrandpaAuthorities::set((1, grandpa_set()));
        let proof = grandpa_proof_with(Ed25519Keyring::Bob, 0, 1, 3, 2);
        assert_noop!(report_grandpa(proof), Error::<Test>::InvalidProof);
    });
}

#[test]
fn grandpa_report_fails_for_a_non_authority_or_unknown_set() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            report_grandpa(grandpa_proof(Ed25519Keyring::Eve, 0, 3)),
            Error::<Test>::UnknownOffender
        );
        assert_noop!(
            report_grandpa(grandpa_proof(Ed25519Keyring::Bob, 7, 3)),
            Error::<Test>::UnknownOffender
        );
    });
}

#[test]
fn grandpa_equivocation_in_the_previous_set_still_counts() {
    new_test_ext().execute_with(|| {
        GrandpaAuthorities::set((1, grandpa_set()[..3].to_vec()));
        run_to_block(2);
        // Dave left in set 1, but equivocated in set 0.
        assert_ok!(report_grandpa(grandpa_proof(Ed25519Keyring::Dave, 0, 9)));
        assert_noop!(
            report_grandpa(grandpa_proof(Ed25519Keyring::Dave, 1, 9)),
            Error::<Test>::UnknownOffender
        );
    });
}

#[test]
fn validate_unsigned_accepts_valid_reports_once() {
    new_test_ext().execute_with(|| {
        let call = Call::report_grandpa_equivocation {
            proof: Box::new(grandpa_proof(Ed25519Keyring::Bob, 0, 3)),
        };
        let valid = EvidencePallet::validate_unsigned(TransactionSource::External, &call).unwrap();
        assert_eq!(valid.priority, u64::MAX / 2);
        assert_eq!(valid.provides.len(), 1);
        assert!(valid.propagate);
        assert_ok!(report_grandpa(grandpa_proof(Ed25519Keyring::Bob, 0, 3)));
        assert_eq!(
            EvidencePallet::validate_unsigned(TransactionSource::External, &call),
            InvalidTransaction::Stale.into()
        );
        let bad = Call::report_aura_equivocation {
            proof: Box::new(aura_proof(Sr25519Keyring::Eve, 4)),
        };
        assert_eq!(
            EvidencePallet::validate_unsigned(TransactionSource::External, &bad),
            InvalidTransaction::BadProof.into()
        );
    });
}

#[test]
fn records_are_pruned_after_the_retention_period() {
    new_test_ext().execute_with(|| {
        assert_ok!(report_grandpa(grandpa_proof(Ed25519Keyring::Bob, 0, 3)));
        run_to_block(RETENTION);
        assert_eq!(Queue::<Test>::get().len(), 1);
        run_to_block(1 + RETENTION);
        assert!(Queue::<Test>::get().is_empty());
        assert_eq!(crate::Evidence::<Test>::iter().count(), 0);
    });
}

#[test]
fn reports_fail_when_the_evidence_store_is_full() {
    new_test_ext().execute_with(|| {
        for round in 0..MAX_EVIDENCE as u64 {
            assert_ok!(report_grandpa(grandpa_proof(Ed25519Keyring::Bob, 0, round)));
        }
        assert_noop!(
            report_grandpa(grandpa_proof(Ed25519Keyring::Bob, 0, 99)),
            Error::<Test>::EvidenceFull
        );
    });
}

/// Moves to session `session`, started by a block at slot `slot`, with `aura` as its set.
fn start_session(session: u32, slot: u64, aura: Vec<AuraId>) {
    AuraAuthorities::set(aura);
    SessionIndex::set(session);
    CurrentSlot::set(slot);
    run_to_block(System::block_number() + 1);
}

#[test]
fn aura_offence_is_charged_to_the_session_that_owns_its_slot() {
    new_test_ext().execute_with(|| {
        // Session 1 starts with the block of slot 10 (still authored by session 0's set),
        // session 2 with the block of slot 20. The sets rotate so that each slot has a
        // different owner in each session.
        let rotated = |by: usize| {
            let mut set = aura_set();
            set.rotate_left(by);
            set
        };
        start_session(1, 10, rotated(1));
        start_session(2, 20, rotated(2));
        assert_eq!(SessionFirstSlot::<Test>::get(1), Some(11));
        assert_eq!(SessionFirstSlot::<Test>::get(2), Some(21));
        assert_eq!(EvidencePallet::session_of_slot(10), Some(0));
        assert_eq!(EvidencePallet::session_of_slot(11), Some(1));
        assert_eq!(EvidencePallet::session_of_slot(25), Some(2));
        // Slot 16 is session 1's: its owner there is rotated(1)[0] = Bob. The report,
        // included in session 2, is charged to session 1.
        assert_ok!(report_aura(aura_proof(Sr25519Keyring::Bob, 16)));
        let record = crate::Evidence::<Test>::iter_values()
            .next()
            .expect("stored");
        assert_eq!(record.session, 2);
        assert_eq!(record.offence_sessions, (1, 1));
        // Charlie owns slot 16 in session 2's set, not in session 1's: not his offence.
        assert_noop!(
            report_aura(aura_proof(Sr25519Keyring::Charlie, 16)),
            Error::<Test>::UnknownOffender
        );
        // Slot 10, the block that started session 1, was authored by session 0's set.
        assert_ok!(report_aura(aura_proof(Sr25519Keyring::Charlie, 10)));
        System::assert_last_event(
            Event::EquivocationReported {
                kind: EquivocationKind::Aura,
                offender: Sr25519Keyring::Charlie.public().0,
                session: 2,
                slot_or_round: 10,
                set_id: 0,
                offence_sessions: (0, 0),
            }
            .into(),
        );
    });
}

#[test]
fn grandpa_offence_is_charged_to_every_session_of_its_set() {
    new_test_ext().execute_with(|| {
        // Set 0 lasts sessions 0 to 2; set 1 starts with session 3.
        start_session(1, 10, aura_set());
        start_session(2, 20, aura_set());
        GrandpaAuthorities::set((1, grandpa_set()));
        start_session(3, 30, aura_set());
        assert_eq!(GrandpaSetSessions::<Test>::get(0), Some((0, 2)));
        assert_eq!(GrandpaSetSessions::<Test>::get(1), Some((3, 3)));
        assert_ok!(report_grandpa(grandpa_proof(Ed25519Keyring::Bob, 0, 3)));
        let key = ReportKey {
            kind: EquivocationKind::Grandpa,
            offender: Ed25519Keyring::Bob.public().0,
            set_id: 0,
            slot_or_round: 3,
        };
        let record = crate::Evidence::<Test>::get(&key).expect("stored");
        assert_eq!(record.offence_sessions, (0, 2));
        assert_eq!(record.session, 3);
        // The current set's range grows with its sessions: a report now covers 3..=4.
        start_session(4, 40, aura_set());
        assert_ok!(report_grandpa(grandpa_proof(Ed25519Keyring::Bob, 1, 5)));
        System::assert_last_event(
            Event::EquivocationReported {
                kind: EquivocationKind::Grandpa,
                offender: Ed25519Keyring::Bob.public().0,
                session: 4,
                slot_or_round: 5,
                set_id: 1,
                offence_sessions: (3, 4),
            }
            .into(),
        );
    });
}
