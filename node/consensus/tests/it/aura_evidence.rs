//! An Aura author that seals two blocks for one slot: import (the Aura verifier) spots it
//! and the report built from it lands on-chain as pallet-evidence evidence.

use codec::{Decode, Encode};
use echonet_client::{BlockOrigin, Client, ImportBlock};
use echonet_consensus::aura::{evidence, AuraVerifier};
use echonet_runtime::{extrinsics, Header};
use echonet_test_utils::{open_dev_client_verified_by, past_slot, NewBlock};
use sp_core::{Pair, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{transaction_validity::TransactionSource, OpaqueExtrinsic};
use std::sync::Arc;

/// The dev chain in `dir`, and the Aura verifier its imports go through (whose
/// equivocation reports the test watches).
fn open(dir: &std::path::Path) -> (Arc<Client>, Arc<AuraVerifier>) {
    let verifier = Arc::new(AuraVerifier::default());
    let client = open_dev_client_verified_by(dir, |_| {}, verifier.clone());
    (client, verifier)
}

/// An unsealed block on `parent` for `slot` with `txs` (Alice authors every slot of the
/// dev chain).
fn build(
    client: &Client,
    parent: H256,
    slot: u64,
    txs: &[Vec<u8>],
) -> (Header, Vec<OpaqueExtrinsic>) {
    let built = NewBlock::new(client, slot)
        .on(parent)
        .with_encoded(txs)
        .build();
    (built.header, built.body)
}

fn import(client: &Client, header: Header, body: Vec<OpaqueExtrinsic>) {
    client
        .import_block(ImportBlock {
            header,
            body,
            justifications: None,
            origin: BlockOrigin::NetworkBroadcast,
            changes: None,
            finalize: false,
        })
        .unwrap();
}

#[test]
fn two_blocks_in_one_slot_are_detected_and_reported_on_chain() {
    let author_dir = tempfile::tempdir().unwrap();
    let (author, _) = open(author_dir.path());
    let dir = tempfile::tempdir().unwrap();
    let (client, verifier) = open(dir.path());
    let mut equivocations = verifier.equivocations();
    let alice = Sr25519Keyring::Alice.pair();
    let sign = |bytes: &[u8]| alice.sign(bytes).into();
    let genesis = client.info().genesis_hash;
    let slot = past_slot(100);

    // Two different blocks of the same slot on genesis, both sealed by Alice.
    let (a, a_body) = build(&author, genesis, slot, &[]);
    let transfer = extrinsics::transfer(
        &alice,
        Sr25519Keyring::Bob.to_account_id(),
        1_000_000_000_000,
        0,
        genesis,
    )
    .encode();
    let (b, b_body) = build(&author, genesis, slot, &[transfer]);
    let a = evidence::reseal_for_equivocation(a, sign);
    let b = evidence::reseal_for_equivocation(b, sign);
    import(&client, a.clone(), a_body);
    assert!(
        equivocations.try_recv().is_err(),
        "one block is no equivocation"
    );
    // The same block again is no equivocation either.
    let _ = client.import_block(ImportBlock {
        header: a.clone(),
        body: vec![],
        justifications: None,
        origin: BlockOrigin::NetworkBroadcast,
        changes: None,
        finalize: false,
    });
    assert!(equivocations.try_recv().is_err());
    import(&client, b.clone(), b_body);
    let seen = equivocations
        .try_recv()
        .expect("the second block is reported");
    assert_eq!(seen.slot, slot);
    assert_eq!(*seen.first, a);
    assert_eq!(*seen.second, b);

    // The report is valid for the pool and lands in the next block.
    let xt = evidence::aura_report_extrinsic(
        seen.author.clone(),
        (*seen.first).clone(),
        (*seen.second).clone(),
    );
    let best = client.info().best_hash;
    let input = (
        TransactionSource::External,
        OpaqueExtrinsic::try_from_encoded_extrinsic(&xt).unwrap(),
        best,
    )
        .encode();
    let validity = client
        .call(best, "TaggedTransactionQueue_validate_transaction", &input)
        .unwrap();
    let validity =
        sp_runtime::transaction_validity::TransactionValidity::decode(&mut &validity[..]).unwrap();
    assert!(validity.is_ok(), "{validity:?}");

    let (c, c_body) = build(&client, best, slot + 1, &[xt]);
    let c = evidence::reseal_for_equivocation(c, sign);
    let c_hash = c.hash();
    import(&client, c, c_body);
    let key = pallet_evidence::ReportKey {
        kind: pallet_evidence::EquivocationKind::Aura,
        offender: Sr25519Keyring::Alice.public().0,
        set_id: 0,
        slot_or_round: slot,
    };
    let raw = client
        .storage(
            c_hash,
            &pallet_evidence::Evidence::<echonet_runtime::Runtime>::hashed_key_for(&key),
        )
        .unwrap()
        .expect("the evidence is in the state");
    let record = pallet_evidence::EvidenceRecord::<u32>::decode(&mut &raw[..]).unwrap();
    assert_eq!(record.key, key);
    assert_eq!(record.reported_at, 2);
}
