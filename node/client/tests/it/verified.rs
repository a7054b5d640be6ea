//! The verified-signature cache: what the pool's validation verified is not verified again
//! by import and authoring, and a cached entry never makes another signature pass: not
//! with tampered bytes, not over another payload, not on a fork where the mortal era's
//! birth block differs. The cache stays within its capacity.

use codec::{Decode, Encode};
use echonet_client::{BlockOrigin, Client, Error, ImportResult, PushError};
use echonet_consensus::aura::AuraClientExt as _;
use echonet_runtime::{
    extrinsics, Address, Runtime, RuntimeCall, Signature, SignedPayload, TxExtension,
    UncheckedExtrinsic, VERSION,
};
use echonet_test_utils::{open_dev_client_with, past_slot, NewBlock, SealedBlock};
use sp_consensus_aura::Slot;
use sp_core::{sr25519, Pair, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
    generic::{Era, Preamble},
    transaction_validity::{
        InvalidTransaction, TransactionSource, TransactionValidity, TransactionValidityError,
    },
    OpaqueExtrinsic,
};
use std::sync::Arc;

const AMOUNT: u128 = 1_000_000_000_000;

struct Chain {
    _dir: tempfile::TempDir,
    client: Arc<Client>,
}

/// A dev chain whose signature cache holds `capacity` entries; `parallel` turns import's
/// thread ahead of execution on or off.
fn chain(capacity: u32, parallel: bool) -> Chain {
    let dir = tempfile::tempdir().unwrap();
    let client = open_dev_client_with(dir.path(), |c| {
        c.signature_cache_capacity = capacity;
        c.parallel_signature_checks = parallel;
    });
    Chain { _dir: dir, client }
}

fn opaque(xt: &UncheckedExtrinsic) -> OpaqueExtrinsic {
    OpaqueExtrinsic::try_from_encoded_extrinsic(&xt.encode()).unwrap()
}

/// `n` immortal transfers from Alice to Bob, nonces from 0.
fn transfers(client: &Client, n: u32) -> Vec<OpaqueExtrinsic> {
    let alice = Sr25519Keyring::Alice.pair();
    let genesis = client.info().genesis_hash;
    (0..n)
        .map(|nonce| {
            opaque(&extrinsics::transfer(
                &alice,
                Sr25519Keyring::Bob.to_account_id(),
                AMOUNT,
                nonce,
                genesis,
            ))
        })
        .collect()
}

fn validate(client: &Client, at: H256, xt: &OpaqueExtrinsic) -> TransactionValidity {
    client
        .validate_transaction(at, TransactionSource::External, xt)
        .unwrap()
}

fn assert_bad_proof(validity: TransactionValidity) {
    assert_eq!(
        validity.map(|_| ()),
        Err(TransactionValidityError::Invalid(
            InvalidTransaction::BadProof
        ))
    );
}

/// `xt` with its call replaced by `call`, keeping its signer, signature and extensions.
fn with_call(xt: &OpaqueExtrinsic, call: RuntimeCall) -> OpaqueExtrinsic {
    let xt = UncheckedExtrinsic::decode(&mut &xt.encode()[..]).unwrap();
    let Preamble::Signed(who, signature, extension) = xt.into_inner().preamble else {
        panic!("a signed extrinsic");
    };
    opaque(&UncheckedExtrinsic::new_signed(
        call, who, signature, extension,
    ))
}

fn transfer_call(value: u128) -> RuntimeCall {
    RuntimeCall::Balances(echonet_runtime::BalancesCall::transfer_keep_alive {
        dest: Sr25519Keyring::Bob.to_account_id().into(),
        value,
    })
}

/// A transfer from Alice with a mortal era born at block 1, whose hash the signature
/// covers: `birth_hash`.
fn mortal_transfer(genesis: H256, birth_hash: H256) -> OpaqueExtrinsic {
    let alice = Sr25519Keyring::Alice.pair();
    let mut extension: TxExtension = extrinsics::tx_extension(0, 0);
    extension.4 = frame_system::CheckEra::<Runtime>::from(Era::mortal(64, 1));
    let implicit = (
        (),
        VERSION.spec_version,
        VERSION.transaction_version,
        genesis,
        birth_hash,
        (),
        (),
        (),
    );
    let call = transfer_call(AMOUNT);
    let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
    let signature = payload.using_encoded(|bytes| alice.sign(bytes));
    opaque(&UncheckedExtrinsic::new_signed(
        call,
        Address::Id(alice.public().into()),
        Signature::from(signature),
        extension,
    ))
}

/// The block of `txs` on `parent`, authored by Alice (the dev chain's authority).
fn block_on(client: &Client, parent: H256, slot: u64, txs: Vec<OpaqueExtrinsic>) -> SealedBlock {
    NewBlock::new(client, slot)
        .on(parent)
        .with(txs)
        .by(&Sr25519Keyring::Alice.pair())
        .seal()
}

/// Pushes `xt` into a block on `parent` as the author does, and returns why it was refused.
fn push_refusal(client: &Client, parent: H256, slot: u64, xt: OpaqueExtrinsic) -> PushError {
    let digest = client
        .pre_digest(parent, Slot::from(slot), &Sr25519Keyring::Alice.pair())
        .unwrap();
    let mut builder = client.new_block_builder(parent, digest).unwrap();
    let mut data = sp_inherents::InherentData::new();
    data.put_data(
        sp_timestamp::INHERENT_IDENTIFIER,
        &(slot * echonet_runtime::SLOT_DURATION),
    )
    .unwrap();
    for inherent in builder.create_inherents(&data).unwrap() {
        builder.push(inherent).unwrap();
    }
    builder.push(xt).expect_err("the extrinsic must be refused")
}

fn assert_push_bad_proof(refusal: PushError) {
    assert!(
        matches!(
            refusal,
            PushError::Invalid(TransactionValidityError::Invalid(
                InvalidTransaction::BadProof
            ))
        ),
        "{refusal}"
    );
}

/// Imports `block` as a peer's and expects the runtime to refuse a bad signature in it.
fn assert_import_refuses_bad_signature(client: &Client, block: &SealedBlock) {
    let before = client.info();
    match block.import_from(client, BlockOrigin::NetworkBroadcast) {
        Err(Error::InvalidBlock { reason, .. }) => assert!(
            reason.contains("bad signature"),
            "rejection {reason:?} does not name the signature"
        ),
        other => panic!("expected an invalid block, got {other:?}"),
    }
    assert_eq!(client.info(), before);
}

#[test]
fn what_the_pool_verified_is_not_verified_again_at_import() {
    let author = chain(1024, false);
    let txs = transfers(&author.client, 20);
    let block = block_on(
        &author.client,
        author.client.info().best_hash,
        past_slot(1000),
        txs.clone(),
    );

    // Without the thread ahead of execution, only the cache can spare a check.
    let importer = chain(1024, false);
    let genesis = importer.client.info().genesis_hash;
    for xt in &txs {
        assert!(validate(&importer.client, genesis, xt).is_ok());
    }
    let cache = importer.client.signature_cache();
    assert_eq!(cache.len(), 20);
    assert_eq!(cache.lookups("pool"), (0, 20));

    assert!(matches!(
        block.import_from(&importer.client, BlockOrigin::NetworkBroadcast),
        Ok(ImportResult::Imported { number: 1, .. })
    ));
    assert_eq!(importer.client.signature_checks_done_ahead(), 20);
    assert_eq!(cache.lookups("import"), (20, 0));

    // A cold importer verifies all of them itself.
    let cold = chain(1024, false);
    block
        .import_from(&cold.client, BlockOrigin::NetworkBroadcast)
        .unwrap();
    assert_eq!(cold.client.signature_checks_done_ahead(), 0);
    assert_eq!(cold.client.signature_cache().lookups("import"), (0, 20));
    assert_eq!(
        cold.client.info().best_hash,
        importer.client.info().best_hash
    );
}

#[test]
fn authoring_uses_what_the_pool_verified() {
    let node = chain(1024, true);
    let txs = transfers(&node.client, 10);
    let genesis = node.client.info().genesis_hash;
    for xt in &txs[..6] {
        assert!(validate(&node.client, genesis, xt).is_ok());
    }
    block_on(&node.client, genesis, past_slot(1000), txs);
    assert_eq!(node.client.signature_cache().lookups("authoring"), (6, 4));
}

#[test]
fn only_valid_transactions_enter_the_cache() {
    let node = chain(1024, true);
    let genesis = node.client.info().genesis_hash;
    // A correct signature from an account that cannot pay: invalid, not cached.
    let pauper = sr25519::Pair::from_seed(&[7; 32]);
    let xt = opaque(&extrinsics::transfer(
        &pauper,
        Sr25519Keyring::Bob.to_account_id(),
        AMOUNT,
        0,
        genesis,
    ));
    assert!(validate(&node.client, genesis, &xt).is_err());
    assert!(node.client.signature_cache().is_empty());
    // A bad signature: not cached either.
    let good = transfers(&node.client, 1).remove(0);
    let tampered = with_call(&good, transfer_call(AMOUNT + 1));
    assert_bad_proof(validate(&node.client, genesis, &tampered));
    assert!(node.client.signature_cache().is_empty());
}

#[test]
fn a_cached_signature_does_not_pass_for_tampered_bytes_or_another_payload() {
    let node = chain(1024, true);
    let genesis = node.client.info().genesis_hash;
    let good = transfers(&node.client, 1).remove(0);
    assert!(validate(&node.client, genesis, &good).is_ok());
    assert_eq!(node.client.signature_cache().len(), 1);

    // The same signer, signature and extensions over another call.
    let other_payload = with_call(&good, transfer_call(AMOUNT + 1));
    // A flipped byte of the signature itself. Layout: compact length (2 bytes here),
    // version, address (1 + 32), signature (1 + 64).
    let mut raw = good.encode();
    raw[2 + 1 + 33 + 1 + 10] ^= 0xff;
    let flipped = OpaqueExtrinsic::try_from_encoded_extrinsic(&raw).unwrap();

    for bad in [other_payload, flipped] {
        // The pool, the author and import each refuse it, the good one being cached.
        assert_bad_proof(validate(&node.client, genesis, &bad));
        assert_push_bad_proof(push_refusal(
            &node.client,
            genesis,
            past_slot(1000),
            bad.clone(),
        ));
        let mut block = block_on(&node.client, genesis, past_slot(1000), vec![good.clone()]);
        *block.body.last_mut().unwrap() = bad;
        for parallel in [true, false] {
            let importer = chain(1024, parallel);
            assert!(validate(&importer.client, genesis, &good).is_ok());
            assert_import_refuses_bad_signature(&importer.client, &block);
        }
    }
    assert_eq!(node.client.signature_cache().len(), 1);
}

#[test]
fn a_cached_mortal_signature_does_not_pass_on_a_fork_with_another_birth_block() {
    let node = chain(1024, true);
    let genesis = node.client.info().genesis_hash;
    let slot = past_slot(1000);
    // Two blocks #1 on genesis, in different slots: two forks whose block 1 differ.
    let a = block_on(&node.client, genesis, slot, vec![]).import_own(&node.client, false);
    let b = block_on(&node.client, genesis, slot + 1, vec![]).import_own(&node.client, false);
    assert_ne!(a, b);

    // Signed over fork A's block 1, and verified there by the pool.
    let xt = mortal_transfer(genesis, a);
    assert!(validate(&node.client, a, &xt).is_ok());
    assert_eq!(node.client.signature_cache().len(), 1);

    // On fork B the same bytes sign another message: refused by the pool and the author.
    assert_bad_proof(validate(&node.client, b, &xt));
    assert_push_bad_proof(push_refusal(&node.client, b, slot + 2, xt.clone()));
    // And by import: a block on B that carries it (built with a valid transfer in its
    // place, so that only the signature is wrong).
    let mut block = block_on(&node.client, b, slot + 2, transfers(&node.client, 1));
    *block.body.last_mut().unwrap() = xt.clone();
    assert_import_refuses_bad_signature(&node.client, &block);

    // On fork A it is valid, and the block carrying it imports on the cached check.
    let on_a = block_on(&node.client, a, slot + 3, vec![xt]);
    let importer = chain(1024, false);
    importer
        .client
        .import_block(echonet_client::ImportBlock {
            header: node.client.header(a).unwrap().unwrap(),
            body: node.client.body(a).unwrap().unwrap(),
            justifications: None,
            origin: BlockOrigin::NetworkBroadcast,
            changes: None,
            finalize: false,
        })
        .unwrap();
    assert!(validate(&importer.client, a, &on_a.body[1]).is_ok());
    on_a.import_from(&importer.client, BlockOrigin::NetworkBroadcast)
        .unwrap();
    assert_eq!(importer.client.signature_cache().lookups("import"), (1, 0));
}

#[test]
fn the_cache_keeps_to_its_capacity_and_forgets_the_oldest() {
    let node = chain(4, true);
    let genesis = node.client.info().genesis_hash;
    let txs = transfers(&node.client, 10);
    for xt in &txs {
        assert!(validate(&node.client, genesis, xt).is_ok());
    }
    let cache = node.client.signature_cache();
    assert_eq!(cache.capacity(), 4);
    assert_eq!(cache.len(), 4);
    assert_eq!(cache.lookups("pool"), (0, 10));
    // The newest is still there; the oldest was evicted and is verified again.
    assert!(validate(&node.client, genesis, &txs[9]).is_ok());
    assert_eq!(cache.lookups("pool"), (1, 10));
    assert!(validate(&node.client, genesis, &txs[0]).is_ok());
    assert_eq!(cache.lookups("pool"), (1, 11));
    assert_eq!(cache.len(), 4);

    // Capacity 0: nothing is kept, and import still verifies and imports.
    let off = chain(0, true);
    for xt in &txs {
        assert!(validate(&off.client, genesis, xt).is_ok());
    }
    assert!(off.client.signature_cache().is_empty());
    let block = block_on(&node.client, genesis, past_slot(1000), txs);
    assert!(block
        .import_from(&off.client, BlockOrigin::NetworkBroadcast)
        .is_ok());
}
