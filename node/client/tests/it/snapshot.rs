//! State snapshots (issue 18, item 3): a fresh database started from the state of a
//! finalized block holds that state exactly and imports the blocks after it; a truncated or
//! altered file, or the snapshot of another block than the trusted one, is refused and
//! leaves the database untouched.

use echonet_client::{BlockOrigin, BlocksPruning, Client, Error, ImportBlock, StatePruning};
use echonet_test_utils::{open_dev_client_with, past_slot, transfer, NewBlock};
use sp_core::H256;
use sp_keyring::Sr25519Keyring as K;
use std::{path::Path, sync::Arc};

fn open(dir: &Path) -> Arc<Client> {
    open_dev_client_with(dir, |c| {
        c.state_pruning = Some(StatePruning::Constrained(8));
        c.blocks_pruning = BlocksPruning::ArchiveCanonical;
    })
}

fn entries(client: &Client, at: H256) -> Vec<(Vec<u8>, Vec<u8>)> {
    client
        .storage_keys(at, b"", None, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|k| {
            let v = client.storage(at, &k).unwrap().unwrap();
            (k, v)
        })
        .collect()
}

/// A source chain of `blocks` finalized blocks with a transfer each.
fn source(dir: &Path, blocks: u32) -> Arc<Client> {
    let client = open(dir);
    let first = past_slot(10_000);
    for i in 0..blocks {
        NewBlock::new(&client, first + u64::from(i))
            .with_encoded([transfer(&client, K::Alice, K::Bob, i)])
            .import_finalized();
    }
    client
}

fn copy_block(from: &Client, to: &Client, number: u32) {
    let block = from
        .block(from.hash(number).unwrap().unwrap())
        .unwrap()
        .unwrap();
    let hash = block.header.hash();
    to.import_block(ImportBlock {
        header: block.header,
        body: block.extrinsics,
        justifications: None,
        origin: BlockOrigin::NetworkInitialSync,
        changes: None,
        finalize: false,
    })
    .unwrap();
    to.finalize_block(hash, None).unwrap();
}

#[test]
fn a_snapshot_starts_a_fresh_database_that_imports_on() {
    let (src_dir, dst_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let src = source(src_dir.path(), 20);
    let at = src.hash(20).unwrap().unwrap();
    let mut file = Vec::new();
    let count = src.export_state(at, &mut file).unwrap();
    assert_eq!(count as usize, entries(&src, at).len());

    let dst = open(dst_dir.path());
    assert_eq!(dst.import_state(&mut &file[..], at).unwrap(), 20);
    let info = dst.info();
    assert_eq!((info.best_hash, info.finalized_hash), (at, at));
    assert_eq!(dst.state_from(), 20);
    assert_eq!(entries(&dst, at), entries(&src, at));
    assert!(matches!(
        dst.storage(dst.info().genesis_hash, b":code"),
        Err(Error::StateUnavailable(_))
    ));

    // Blocks after the snapshot import on it, and pruning goes on past it.
    let first = past_slot(5_000);
    for i in 0..12u32 {
        NewBlock::new(&src, first + u64::from(i))
            .with_encoded([transfer(&src, K::Alice, K::Bob, 20 + i)])
            .import_finalized();
        copy_block(&src, &dst, 21 + i);
    }
    let tip = src.info().best_hash;
    assert_eq!(dst.info().finalized_hash, tip);
    assert_eq!(entries(&dst, tip), entries(&src, tip));
    assert_eq!(dst.state_from(), 32 + 1 - 8);

    // A second import into a database that has blocks is refused.
    assert!(matches!(
        dst.import_state(&mut &file[..], at),
        Err(Error::Snapshot(_))
    ));
    // Exports: not of a pruned state, nor of an unfinalized block.
    let old = src.hash(3).unwrap().unwrap();
    assert!(matches!(
        src.export_state(old, &mut Vec::new()),
        Err(Error::StateUnavailable(_))
    ));
    let unfinalized = NewBlock::new(&src, past_slot(100)).import();
    assert!(matches!(
        src.export_state(unfinalized, &mut Vec::new()),
        Err(Error::Snapshot(_))
    ));
}

#[test]
fn a_bad_snapshot_is_refused_and_changes_nothing() {
    let (src_dir, dst_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let src = source(src_dir.path(), 6);
    let at = src.hash(6).unwrap().unwrap();
    let other = src.hash(5).unwrap().unwrap();
    let mut file = Vec::new();
    src.export_state(at, &mut file).unwrap();
    let dst = open(dst_dir.path());

    let refused = |bytes: &[u8], trusted: H256, what: &str| {
        match dst.import_state(&mut &bytes[..], trusted) {
            Err(Error::Snapshot(msg)) => assert!(!msg.is_empty()),
            other => panic!("{what}: expected a refusal, got {other:?}"),
        }
        assert_eq!(dst.info().best_number, 0, "{what}: nothing written");
    };
    refused(&file, other, "another block's hash");
    for cut in [0, 7, 12, 20, file.len() / 2, file.len() - 9, file.len() - 1] {
        refused(&file[..cut], at, &format!("truncated at {cut}"));
    }
    // A flipped byte in the preamble (the header) or in the entries (a value or a key).
    for at_byte in [20, file.len() / 3, file.len() / 2, file.len() - 20] {
        let mut bad = file.clone();
        bad[at_byte] ^= 0x01;
        refused(&bad, at, &format!("byte {at_byte} flipped"));
    }
    let mut bad = file.clone();
    bad[..8].copy_from_slice(b"NOTASNAP");
    refused(&bad, at, "wrong magic");
    // A huge declared length is refused before anything is allocated.
    let mut bad = file[..16].to_vec();
    bad[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    refused(&bad, at, "huge preamble");

    // The untouched database takes the good file.
    assert_eq!(dst.import_state(&mut &file[..], at).unwrap(), 6);
    assert_eq!(entries(&dst, at), entries(&src, at));
}

/// Warp sync's state chunks: chunks served with a small byte budget reassemble, checked
/// chunk by chunk against the state root, into the whole state, which imports as the
/// block's; a chunk whose proof lacks a node or holds a changed one proves no entry past
/// the gap, and nodes of another state prove nothing.
#[test]
fn state_chunks_with_range_proofs_rebuild_the_state_and_lies_prove_nothing() {
    use echonet_client::client::{next_key, verify_state_chunk};
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), 4);
    let at = src.info().finalized_hash;
    let header = src.header(at).unwrap().unwrap();
    let expected = entries(&src, at);

    let mut state = echonet_client::StateBuilder::new();
    let mut start = Vec::new();
    let mut chunks = 0;
    loop {
        let proof = src.state_chunk_proof(at, &start, 2048).unwrap();
        let (got, complete) = verify_state_chunk(header.state_root, &start, proof).unwrap();
        assert!(
            !got.is_empty() || complete,
            "every chunk proves at least one entry"
        );
        if let Some((last, _)) = got.last() {
            start = next_key(last);
        }
        state.insert_sorted(got).unwrap();
        chunks += 1;
        if complete {
            break;
        }
        assert!(chunks < 10_000, "the chunks end");
    }
    assert!(
        chunks > 2,
        "a small budget splits the state ({chunks} chunks)"
    );
    assert_eq!(state.entries() as usize, expected.len());

    // Lies: a proof of another block's state, and one without its root node.
    let other = src.hash(1).unwrap().unwrap();
    let foreign = src.state_chunk_proof(other, &[], 1 << 20).unwrap();
    let (got, complete) =
        verify_state_chunk(header.state_root, &[], foreign).unwrap_or((Vec::new(), false));
    assert!(
        got.is_empty() && !complete,
        "another state's nodes prove nothing"
    );
    let mut rootless = src.state_chunk_proof(at, &[], 1 << 20).unwrap();
    rootless.retain(|n| {
        <sp_runtime::traits::BlakeTwo256 as sp_core::Hasher>::hash(n) != header.state_root
    });
    let (got, complete) =
        verify_state_chunk(header.state_root, &[], rootless).unwrap_or((Vec::new(), false));
    assert!(
        got.is_empty() && !complete,
        "without the root nothing is proven"
    );
    let whole = src.state_chunk_proof(at, &[], 64 << 20).unwrap();
    let (got, complete) = verify_state_chunk(header.state_root, &[], whole).unwrap();
    assert!(complete);
    assert_eq!(
        got, expected,
        "one big chunk is the whole state, in key order"
    );

    // The rebuilt state imports as the block's in a fresh database.
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = open(fresh_dir.path());
    fresh
        .import_built_state(
            header.clone(),
            None,
            state,
            &[(b"test:aux".to_vec(), vec![7])],
        )
        .unwrap();
    assert_eq!(fresh.info().finalized_hash, at);
    assert_eq!(entries(&fresh, at), expected);
    assert_eq!(fresh.aux_get(b"test:aux").unwrap(), Some(vec![7]));
}
