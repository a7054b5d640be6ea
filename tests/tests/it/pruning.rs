//! A pruned node (issue 18): a dev chain of 1,000 blocks, each with a transfer and
//! finalized, built offline with `--state-pruning 256`'s client; the database then holds
//! about as much as after 300 blocks. The node started on it answers state queries at
//! recent blocks and Substrate's "State already discarded" error (4003) at old ones.

use echonet_client::{BlocksPruning, ChainSpec, Client, ClientConfig, StatePruning};
use echonet_consensus::aura::AuraVerifier;
use echonet_test_utils::{past_slot, transfer, NewBlock};
use echonet_tests::{
    node::{run_cli, Node},
    offline, rpc,
};
use jsonrpsee::rpc_params;
use sp_core::H256;
use sp_keyring::Sr25519Keyring as K;
use std::sync::Arc;

const BLOCKS: u32 = 1_000;
const WINDOW: u32 = 256;

/// Builds the chain; returns the bytes of the state columns after 300 blocks and at the end.
fn build(base: &std::path::Path) -> (u64, u64) {
    let spec = ChainSpec::development().expect("the dev chain spec");
    let mut config = ClientConfig::new(offline::db_path(base, &spec));
    config.state_pruning = Some(StatePruning::Constrained(WINDOW));
    config.blocks_pruning = BlocksPruning::ArchiveCanonical;
    let client = Client::open(config, &spec, Arc::new(AuraVerifier::default()))
        .expect("the chain database opens");
    let first = past_slot(u64::from(BLOCKS) + 5);
    let mut at_300 = 0;
    for i in 0..BLOCKS {
        let to = if i % 2 == 0 { K::Bob } else { K::Charlie };
        NewBlock::new(&client, first + u64::from(i))
            .with_encoded([transfer(&client, K::Alice, to, i)])
            .import_finalized();
        if i + 1 == 300 {
            at_300 = client.state_db_stats().expect("stats").total_bytes();
        }
    }
    assert_eq!(client.state_from(), BLOCKS + 1 - WINDOW);
    let at_end = client.state_db_stats().expect("stats").total_bytes();
    client.flush().expect("the database flushes");
    (at_300, at_end)
}

fn system_number_key() -> Vec<u8> {
    [
        sp_io::hashing::twox_128(b"System").as_slice(),
        sp_io::hashing::twox_128(b"Number").as_slice(),
    ]
    .concat()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruned_node_answers_recent_state_and_refuses_discarded_state() {
    let base = tempfile::tempdir().expect("a base path");
    let path = base.path().to_path_buf();
    let (at_300, at_end) = tokio::task::spawn_blocking(move || build(&path))
        .await
        .expect("the chain is built");
    println!("state columns: {at_300} bytes after 300 blocks, {at_end} after {BLOCKS}");
    assert!(
        at_end * 2 <= at_300 * 3,
        "after {BLOCKS} blocks the state columns hold {at_end} bytes, more than 1.5 × the \
         {at_300} after 300"
    );

    let node = Node::builder("pruned")
        .args([
            "--chain",
            "dev",
            "--alice",
            "--state-pruning",
            "256",
            "--base-path",
        ])
        .arg(base.path())
        .start()
        .await;
    let http = node.http();
    let key = system_number_key();

    // Recent blocks: state answers.
    for n in [BLOCKS, BLOCKS - 100, BLOCKS + 1 - WINDOW] {
        let hash = rpc::block_hash(&http, n).await.expect("a canonical block");
        let raw = rpc::storage(&http, &key, Some(hash))
            .await
            .expect("System::Number is set");
        assert_eq!(raw, n.to_le_bytes().to_vec(), "state of #{n}");
    }
    // Old blocks: Substrate's error, and the block itself is still served.
    for n in [1, 100, BLOCKS - WINDOW] {
        let hash: H256 = rpc::block_hash(&http, n).await.expect("a canonical block");
        let err = rpc::call_error(
            &http,
            "state_getStorage",
            rpc_params![format!("0x{}", hex::encode(&key)), hash],
        )
        .await;
        assert_eq!(err.code(), 4003, "{err:?}");
        assert_eq!(
            err.message(),
            format!("Client error: UnknownBlock: State already discarded for {hash:?}"),
        );
        let block = rpc::block(&http, hash).await;
        assert!(
            block["block"]["header"].is_object(),
            "#{n} is served: {block}"
        );
    }
    node.assert_no_panic();
}

/// `export-state` on one base path, `import-state` into another: a node started there
/// begins at the snapshot's block with its state, and goes on authoring. A wrong trusted
/// hash is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_starts_from_a_state_snapshot_and_authors_on() {
    const SNAPSHOT_BLOCKS: u32 = 40;
    let source = tempfile::tempdir().expect("a base path");
    let path = source.path().to_path_buf();
    let at = tokio::task::spawn_blocking(move || {
        let spec = ChainSpec::development().expect("the dev chain spec");
        let client = Client::open(
            ClientConfig::new(offline::db_path(&path, &spec)),
            &spec,
            Arc::new(AuraVerifier::default()),
        )
        .expect("the chain database opens");
        let first = past_slot(u64::from(SNAPSHOT_BLOCKS) + 5);
        for i in 0..SNAPSHOT_BLOCKS {
            NewBlock::new(&client, first + u64::from(i))
                .with_encoded([transfer(&client, K::Alice, K::Bob, i)])
                .import_finalized();
        }
        client.flush().expect("the database flushes");
        client.info().finalized_hash
    })
    .await
    .expect("the chain is built");
    let file = source.path().join("state.snap");
    let base = |dir: &std::path::Path| dir.to_str().expect("a UTF-8 path").to_string();
    let hash = format!("{at:?}");
    run_cli([
        "export-state",
        "--chain",
        "dev",
        "--base-path",
        &base(source.path()),
        "--at",
        &hash,
        file.to_str().expect("a UTF-8 path"),
    ])
    .await
    .assert_success("export-state");

    let target = tempfile::tempdir().expect("a base path");
    let wrong = format!("{:?}", H256::repeat_byte(7));
    let refused = run_cli([
        "import-state",
        file.to_str().expect("a UTF-8 path"),
        "--trusted-hash",
        &wrong,
        "--chain",
        "dev",
        "--base-path",
        &base(target.path()),
    ])
    .await;
    assert!(!refused.status.success(), "a wrong trusted hash is refused");
    assert!(
        refused.stderr.contains("not of the trusted"),
        "{}",
        refused.stderr
    );
    run_cli([
        "import-state",
        file.to_str().expect("a UTF-8 path"),
        "--trusted-hash",
        &hash,
        "--chain",
        "dev",
        "--base-path",
        &base(target.path()),
    ])
    .await
    .assert_success("import-state");

    let node = Node::builder("from a snapshot")
        .args(["--chain", "dev", "--alice", "--base-path"])
        .arg(target.path())
        .start()
        .await;
    let http = node.http();
    let key = system_number_key();
    let raw = rpc::storage(&http, &key, Some(at))
        .await
        .expect("System::Number");
    assert_eq!(raw, SNAPSHOT_BLOCKS.to_le_bytes().to_vec());
    rpc::wait_for_best_above(
        &http,
        SNAPSHOT_BLOCKS + 1,
        std::time::Duration::from_secs(60),
    )
    .await;
    node.assert_no_panic();
}
