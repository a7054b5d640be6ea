//! The executor and import path on the real runtime and RocksDB: a block built by one
//! client imports into a fresh database with the same state root, and blocks with a wrong
//! root, a bad extrinsic or a bad seal are rejected without changing anything.

use codec::{Decode, Encode};
use echonet_client::{
    BlockOrigin, ChainSpec, Client, ClientConfig, Error, ImportBlock, ImportResult,
};
use echonet_consensus::aura::{self, AuraClientExt as _, AuraVerifier};
use echonet_runtime::{extrinsics, AccountId, Header, SLOT_DURATION};
use echonet_test_utils::{open_dev_client_with, past_slot, seal_header, NewBlock};
use sp_consensus_aura::Slot;
use sp_core::{sr25519, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::OpaqueExtrinsic;
use std::sync::Arc;

fn open(dir: &std::path::Path) -> Arc<Client> {
    open_with(dir, true)
}

fn open_with(dir: &std::path::Path, parallel_signature_checks: bool) -> Arc<Client> {
    open_dev_client_with(dir, |c| {
        c.parallel_signature_checks = parallel_signature_checks
    })
}

fn opaque(xt: &echonet_runtime::UncheckedExtrinsic) -> OpaqueExtrinsic {
    OpaqueExtrinsic::try_from_encoded_extrinsic(&xt.encode()).unwrap()
}

/// Slots in the past, so that a test may build many blocks without waiting.
fn base_slot() -> u64 {
    past_slot(10_000)
}

struct Built {
    header: Header,
    body: Vec<OpaqueExtrinsic>,
}

/// A block of `txs` on the best block, sealed by `author`, with its storage changes.
fn build(
    client: &Client,
    slot: u64,
    txs: &[OpaqueExtrinsic],
    author: &sr25519::Pair,
) -> (
    Built,
    sp_state_machine::StorageChanges<sp_runtime::traits::BlakeTwo256>,
) {
    let block = NewBlock::new(client, slot)
        .with(txs.iter().cloned())
        .by(author)
        .seal();
    (
        Built {
            header: block.header,
            body: block.body,
        },
        block.changes,
    )
}

fn seal(header: &mut Header, author: &sr25519::Pair) {
    seal_header(header, author);
}

fn import(client: &Client, block: &Built) -> Result<ImportResult, Error> {
    client.import_block(ImportBlock {
        header: block.header.clone(),
        body: block.body.clone(),
        justifications: None,
        origin: BlockOrigin::NetworkBroadcast,
        changes: None,
        finalize: false,
    })
}

fn free_balance(client: &Client, at: H256, who: &AccountId) -> u128 {
    let key = echonet_runtime::storage_keys::system_account(who);
    let raw = client.storage(at, &key).unwrap().unwrap();
    let info =
        frame_system::AccountInfo::<u32, pallet_balances::AccountData<u128>>::decode(&mut &raw[..])
            .unwrap();
    info.data.free
}

fn transfers(client: &Client, n: u32) -> Vec<OpaqueExtrinsic> {
    let alice = Sr25519Keyring::Alice.pair();
    let genesis = client.info().genesis_hash;
    (0..n)
        .map(|nonce| {
            opaque(&extrinsics::transfer(
                &alice,
                Sr25519Keyring::Bob.to_account_id(),
                1_000_000_000_000,
                nonce,
                genesis,
            ))
        })
        .collect()
}

#[test]
fn block_of_transfers_imports_into_fresh_database_with_same_state_root() {
    let author_dir = tempfile::tempdir().unwrap();
    let author = open(author_dir.path());
    let importer_dir = tempfile::tempdir().unwrap();
    let importer = open(importer_dir.path());
    assert_eq!(author.info().genesis_hash, importer.info().genesis_hash);

    let alice = Sr25519Keyring::Alice.pair();
    let bob = Sr25519Keyring::Bob.to_account_id();
    let bob_before = free_balance(&author, author.info().best_hash, &bob);

    let txs = transfers(&author, 20);
    let (block, changes) = build(&author, base_slot(), &txs, &alice);
    assert_eq!(block.body.len(), 21, "timestamp inherent and 20 transfers");
    let hash = block.header.hash();

    // The author commits its own changes without re-executing.
    let own = author
        .import_block(ImportBlock {
            header: block.header.clone(),
            body: block.body.clone(),
            justifications: None,
            origin: BlockOrigin::Own,
            changes: Some(changes),
            finalize: true,
        })
        .unwrap();
    assert_eq!(
        own,
        ImportResult::Imported {
            hash,
            number: 1,
            is_new_best: true
        }
    );

    // A fresh node executes the block and arrives at the same state.
    let imported = import(&importer, &block).unwrap();
    assert_eq!(
        imported,
        ImportResult::Imported {
            hash,
            number: 1,
            is_new_best: true
        }
    );
    let header = importer.header(hash).unwrap().unwrap();
    assert_eq!(header.state_root, block.header.state_root);
    assert_eq!(
        importer
            .storage_hash(hash, &echonet_runtime::storage_keys::system_account(&bob))
            .unwrap(),
        author
            .storage_hash(hash, &echonet_runtime::storage_keys::system_account(&bob))
            .unwrap(),
    );
    assert_eq!(
        free_balance(&importer, hash, &bob),
        bob_before + 20 * 1_000_000_000_000
    );
    assert_eq!(
        free_balance(&importer, importer.info().genesis_hash, &bob),
        bob_before
    );

    // Importing it again is a no-op.
    assert_eq!(
        import(&importer, &block).unwrap(),
        ImportResult::AlreadyInChain
    );
}

fn assert_rejected(client: &Client, block: &Built, expected: &str) {
    let before = client.info();
    match import(client, block) {
        Err(Error::InvalidBlock { reason, .. }) => {
            assert!(
                reason.contains(expected),
                "rejection {reason:?} does not mention {expected:?}"
            )
        }
        other => panic!("expected an invalid-block error, got {other:?}"),
    }
    assert_eq!(
        client.info(),
        before,
        "a rejected block must not move the chain"
    );
    assert!(client.header(block.header.hash()).unwrap().is_none());
}

#[test]
fn block_with_wrong_state_root_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let client = open(dir.path());
    let alice = Sr25519Keyring::Alice.pair();
    let (mut block, _) = build(&client, base_slot(), &transfers(&client, 2), &alice);
    block.header.digest.logs.pop();
    block.header.state_root = H256::repeat_byte(7);
    seal(&mut block.header, &alice);
    assert_rejected(&client, &block, "Storage root must match");
}

#[test]
fn block_with_bad_extrinsic_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let client = open(dir.path());
    let alice = Sr25519Keyring::Alice.pair();
    let (mut block, _) = build(&client, base_slot(), &transfers(&client, 2), &alice);
    // Corrupt the signature of the last transfer: same length, so it still decodes.
    block.body[2] = corrupt_signature(&block.body[2]);
    assert_rejected(&client, &block, "runtime panicked");
}

#[test]
fn block_with_bad_seal_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let client = open(dir.path());
    let alice = Sr25519Keyring::Alice.pair();
    let bob = Sr25519Keyring::Bob.pair();
    // Alice is the only authority; a block sealed by Bob is not hers.
    let (mut block, _) = build(&client, base_slot(), &[], &alice);
    block.header.digest.logs.pop();
    seal(&mut block.header, &bob);
    assert_rejected(&client, &block, "bad seal");

    // A block without any seal.
    block.header.digest.logs.pop();
    assert_rejected(&client, &block, "no Aura seal");
}

/// `block` with its VRF digest item replaced by `vrf` (or removed), resealed by Alice.
fn with_vrf(block: &Built, vrf: Option<sp_runtime::DigestItem>) -> Built {
    let mut header = block.header.clone();
    header.digest.logs.pop(); // the seal
    let at = header
        .digest
        .logs
        .iter()
        .position(|item| matches!(item, sp_runtime::DigestItem::PreRuntime(id, _) if *id == echonet_consensus_primitives::vrf::VRF_ENGINE_ID))
        .expect("built blocks carry a VRF digest");
    match vrf {
        Some(item) => header.digest.logs[at] = item,
        None => {
            header.digest.logs.remove(at);
        }
    }
    seal(&mut header, &Sr25519Keyring::Alice.pair());
    Built {
        header,
        body: block.body.clone(),
    }
}

#[test]
fn block_without_a_valid_vrf_is_rejected_before_execution() {
    use sp_core::crypto::VrfSecret;
    let dir = tempfile::tempdir().unwrap();
    let client = open(dir.path());
    let alice = Sr25519Keyring::Alice.pair();
    let slot = base_slot();
    let (block, _) = build(&client, slot, &[], &alice);
    let randomness = client.epoch_randomness(client.info().best_hash).unwrap();

    assert_rejected(
        &client,
        &with_vrf(&block, None),
        "no VRF pre-runtime digest",
    );
    // Bob's VRF in Alice's slot.
    let bobs = Sr25519Keyring::Bob
        .pair()
        .vrf_sign(&aura::vrf_sign_data(&randomness, Slot::from(slot)));
    assert_rejected(
        &client,
        &with_vrf(&block, Some(aura::vrf_digest_item(&bobs))),
        "bad VRF proof",
    );
    // Alice's VRF over other randomness (an author grinding its input), or another slot.
    for (r, s) in [([9u8; 32], slot), (randomness, slot + 1)] {
        let ground = alice.vrf_sign(&aura::vrf_sign_data(&r, Slot::from(s)));
        assert_rejected(
            &client,
            &with_vrf(&block, Some(aura::vrf_digest_item(&ground))),
            "bad VRF proof",
        );
    }
    let garbage = sp_runtime::DigestItem::PreRuntime(
        echonet_consensus_primitives::vrf::VRF_ENGINE_ID,
        vec![1, 2],
    );
    assert_rejected(&client, &with_vrf(&block, Some(garbage)), "does not decode");

    // The block as built imports, and the runtime folds its VRF output in.
    import(&client, &block).unwrap();
    let hash = block.header.hash();
    let contributions: u32 = client
        .storage(
            hash,
            &pallet_randomness::Contributions::<echonet_runtime::Runtime>::hashed_key(),
        )
        .unwrap()
        .map(|raw| u32::decode(&mut &raw[..]).unwrap())
        .unwrap_or_default();
    assert_eq!(contributions, 1, "the block's VRF output was accumulated");
}

#[test]
fn block_from_the_future_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let client = open(dir.path());
    let alice = Sr25519Keyring::Alice.pair();
    let future = *aura::slot_now(SLOT_DURATION) + 100;
    let (block, _) = build(&client, future, &[], &alice);
    assert_rejected(&client, &block, "ahead of the local clock");
}

#[test]
fn runtime_panic_becomes_an_error_and_the_client_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let client = open(dir.path());
    let best = client.info().best_hash;
    let err = client
        .call(best, "Core_execute_block", b"not a block")
        .unwrap_err();
    assert!(matches!(err, Error::RuntimeCall { .. }), "{err:?}");
    let err = client.call(best, "No_such_method", &[]).unwrap_err();
    assert!(matches!(err, Error::MethodNotFound(_)), "{err:?}");
    let version: sp_version::RuntimeVersion =
        client.call_decoded(best, "Core_version", &[]).unwrap();
    assert_eq!(version.spec_name, "echonet");
}

#[test]
fn reopening_resumes_at_the_same_best_block_and_state() {
    let dir = tempfile::tempdir().unwrap();
    let alice = Sr25519Keyring::Alice.pair();
    let (best, root) = {
        let client = open(dir.path());
        let base = base_slot();
        for i in 0..3 {
            let txs = if i == 1 {
                transfers(&client, 3)
            } else {
                vec![]
            };
            let (block, _) = build(&client, base + i, &txs, &alice);
            import(&client, &block).unwrap();
        }
        let info = client.info();
        (
            info.best_hash,
            client.header(info.best_hash).unwrap().unwrap().state_root,
        )
    };
    let client = open(dir.path());
    assert_eq!(client.info().best_hash, best);
    assert_eq!(client.info().best_number, 3);
    assert_eq!(client.header(best).unwrap().unwrap().state_root, root);
    assert_eq!(
        client.hash(2).unwrap(),
        client.header(best).unwrap().map(|h| h.parent_hash)
    );
}

#[test]
fn a_database_of_another_chain_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    let other = Client::open(
        ClientConfig::new(dir.path().join("db")),
        &ChainSpec::local_testnet().unwrap(),
        Arc::new(AuraVerifier::default()),
    );
    assert!(matches!(other, Err(Error::GenesisMismatch { .. })));
}

/// Flips a byte of a transfer's sr25519 signature. Layout: compact length (2 bytes here),
/// version, address (1 + 32), signature (1 + 64).
fn corrupt_signature(xt: &OpaqueExtrinsic) -> OpaqueExtrinsic {
    let mut raw = xt.encode();
    raw[2 + 1 + 33 + 1 + 10] ^= 0xff;
    OpaqueExtrinsic::try_from_encoded_extrinsic(&raw).unwrap()
}

#[test]
fn large_block_imports_the_same_with_and_without_parallel_signature_checks() {
    let author_dir = tempfile::tempdir().unwrap();
    let author = open(author_dir.path());
    let alice = Sr25519Keyring::Alice.pair();
    let (block, _) = build(&author, base_slot(), &transfers(&author, 64), &alice);
    for parallel in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let importer = open_with(dir.path(), parallel);
        let hash = block.header.hash();
        assert_eq!(
            import(&importer, &block).unwrap(),
            ImportResult::Imported {
                hash,
                number: 1,
                is_new_best: true
            },
            "parallel checks: {parallel}"
        );
        let skipped = importer.signature_checks_done_ahead();
        if parallel {
            // The second thread starts from the back and the runtime from the front; the
            // split depends on scheduling, but some checks must have been done ahead.
            assert!(skipped > 0 && skipped <= 64, "skipped {skipped} of 64");
        } else {
            assert_eq!(skipped, 0);
        }
    }
}

#[test]
fn bad_signature_is_caught_wherever_it_is_in_a_large_block() {
    let author_dir = tempfile::tempdir().unwrap();
    let author = open(author_dir.path());
    let alice = Sr25519Keyring::Alice.pair();
    let (good, _) = build(&author, base_slot(), &transfers(&author, 64), &alice);
    // First transfer (checked by the executing thread), middle, and last (checked first by
    // the second thread): each must be rejected, with and without the second thread.
    for index in [1, 32, 64] {
        for parallel in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let importer = open_with(dir.path(), parallel);
            let mut block = Built {
                header: good.header.clone(),
                body: good.body.clone(),
            };
            block.body[index] = corrupt_signature(&block.body[index]);
            assert_rejected(&importer, &block, "runtime panicked");
        }
    }
}
