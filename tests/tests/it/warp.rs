//! Warp sync (issue 18, item 2) end to end: a dev chain of 2,000 blocks with three GRANDPA
//! authority-set hand-offs ({Alice} → {Bob} at #500, → {Charlie} at #1000 signalled two
//! blocks before, → {Alice} at #1500), built offline with real justifications; Alice's node
//! continues it and finalizes. A fresh `--sync warp` node proves the hand-offs, downloads
//! the finalized state with range proofs, then follows new blocks and finality; rogue
//! warp servers (a forged hand-off, a state chunk that fails its proof) are refused and
//! banned while honest peers finish the work; `kill -9` mid-warp (as the warp starts, and
//! while a state of several chunks downloads) and a restart warp again.

use echonet_tests::{
    rpc, wait_until,
    warp::{
        build_chain_with_hand_offs, build_dev_chain_with_hand_offs, copy_dir,
        dev_spec_with_accounts, HandOff, WarpLie, WarpRogue,
    },
    Node, BLOCK_TIMEOUT,
};
use jsonrpsee::rpc_params;
use serde_json::Value;
use sp_core::H256;
use sp_keyring::Ed25519Keyring;
use std::{path::Path, time::Duration};

/// Blocks built offline (the figure).
const BLOCKS: u32 = 2_000;
/// How long a warp sync of that chain may take on a loaded two-core machine.
const WARP_LIMIT: Duration = Duration::from_secs(60);

fn hand_offs() -> [HandOff; 3] {
    [
        HandOff {
            at: 500,
            delay: 0,
            next: Ed25519Keyring::Bob,
        },
        HandOff {
            at: 1000,
            delay: 2,
            next: Ed25519Keyring::Charlie,
        },
        HandOff {
            at: 1500,
            delay: 0,
            next: Ed25519Keyring::Alice,
        },
    ]
}

async fn build(base: &Path) {
    let path = base.to_path_buf();
    tokio::task::spawn_blocking(move || {
        build_dev_chain_with_hand_offs(&path, BLOCKS, &hand_offs())
    })
    .await
    .expect("the chain is built");
}

async fn validator(base: &Path) -> Node {
    Node::builder("validator")
        .args(["--chain", "dev", "--alice", "--base-path"])
        .arg(base)
        .start()
        .await
}

fn warp_args(base: &Path, boot: &[String]) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = vec![
        "--chain".into(),
        "dev".into(),
        "--sync".into(),
        "warp".into(),
        "--base-path".into(),
        base.into(),
    ];
    for b in boot {
        args.push("--bootnodes".into());
        args.push(b.into());
    }
    args
}

async fn sync_state(node: &Node) -> Value {
    rpc::call(&node.http(), "system_syncState", rpc_params![]).await
}

async fn finalized_number(node: &Node) -> u32 {
    let hash: H256 = rpc::call(&node.http(), "chain_getFinalizedHead", rpc_params![]).await;
    rpc::header(&node.http(), hash).await.number
}

/// Waits for `node`'s warp sync to complete; returns the block it warped to.
async fn warped(node: &Node) -> u32 {
    wait_until("the warp sync completes", WARP_LIMIT, || async {
        let state = sync_state(node).await;
        (state["warpSync"]["phase"] == "complete")
            .then(|| state["warpSync"]["targetBlock"].as_u64())
            .flatten()
    })
    .await as u32
}

/// The node warped to at least #`built`, has no block below its target, and then follows
/// `validator`'s new blocks and finality.
async fn assert_follows(node: &Node, validator: &Node, target: u32) {
    assert_follows_from(node, validator, target, BLOCKS).await
}

async fn assert_follows_from(node: &Node, validator: &Node, target: u32, built: u32) {
    let http = node.http();
    assert!(
        target >= built,
        "warped to #{target}, not past the built chain"
    );
    assert_eq!(
        rpc::block_hash(&http, 1).await,
        None,
        "blocks below the warp target are not downloaded"
    );
    let now = rpc::best_header(&validator.http()).await.number;
    let best = rpc::wait_for_best_above(&http, now, 2 * BLOCK_TIMEOUT).await;
    // The state at a block imported after the warp reads.
    let number: u32 = rpc::storage_decoded(
        &http,
        &echonet_tests::chain::system_number_key(),
        Some(best.hash()),
        "System::Number",
    )
    .await;
    assert_eq!(number, best.number);
    wait_until(
        "finality past the warp target",
        2 * BLOCK_TIMEOUT,
        || async { (finalized_number(node).await > target).then_some(()) },
    )
    .await;
    node.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_node_warps_past_three_hand_offs_then_follows_and_survives_kill_9() {
    let validator_base = tempfile::tempdir().expect("a base path");
    build(validator_base.path()).await;
    let validator = validator(validator_base.path()).await;
    let boot = vec![validator.multiaddr().await];

    let base = tempfile::tempdir().expect("a base path");
    let node = Node::builder("warping node")
        .args(warp_args(base.path(), &boot))
        .start()
        .await;
    let target = warped(&node).await;
    let log = node.log();
    for phase in [
        "Warping, downloading finality proofs, 3 sets",
        "Warping, downloading state",
        "Warping, importing state",
        "Warp sync done",
    ] {
        assert!(log.contains(phase), "no {phase:?} in the log:\n{log}");
    }
    assert_follows(&node, &validator, target).await;

    // Killed as soon as it starts warping, a node restarts the warp from scratch (nothing
    // is written before the state's one atomic import) and finishes it.
    let crash_base = tempfile::tempdir().expect("a base path");
    let mut crashing = Node::builder("node killed mid-warp")
        .args(warp_args(crash_base.path(), &boot))
        .start()
        .await;
    wait_until("the warp starts", WARP_LIMIT, || async {
        crashing
            .log()
            .contains("Warp sync: proving finality")
            .then_some(())
    })
    .await;
    crashing.kill9();
    let restarted = Node::builder("node restarted after kill -9")
        .args(warp_args(crash_base.path(), &boot))
        .start()
        .await;
    let target = warped(&restarted).await;
    assert!(
        restarted
            .log()
            .contains("Warp sync: proving finality from genesis"),
        "the restarted node warps again from a database still at genesis"
    );
    assert_follows(&restarted, &validator, target).await;

    // Restarted again on its warped database, `--sync warp` syncs normally.
    drop(restarted);
    let again = Node::builder("warped node restarted")
        .args(warp_args(crash_base.path(), &boot))
        .start()
        .await;
    wait_until("the restarted node syncs normally", WARP_LIMIT, || async {
        again
            .log()
            .contains("the database already holds blocks")
            .then_some(())
    })
    .await;
    let now = rpc::best_header(&validator.http()).await.number;
    rpc::wait_for_best_above(&again.http(), now, 2 * BLOCK_TIMEOUT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rogue_warp_servers_are_refused_and_banned_and_honest_peers_finish() {
    let validator_base = tempfile::tempdir().expect("a base path");
    build(validator_base.path()).await;
    // The rogues serve copies of the chain, taken before the validator opens it.
    let forged_base = tempfile::tempdir().expect("a base path");
    let chunk_base = tempfile::tempdir().expect("a base path");
    copy_dir(validator_base.path(), forged_base.path());
    copy_dir(validator_base.path(), chunk_base.path());
    let forger = WarpRogue::start(forged_base.path(), WarpLie::ForgedProof, &[]).await;

    // The node knows only the forger at first, so that it must ask it for the proof (with
    // an honest peer connected first, it may warp before a rogue's status arrives).
    let base = tempfile::tempdir().expect("a base path");
    let node = Node::builder("warping node among rogues")
        .args(warp_args(
            base.path(),
            std::slice::from_ref(&forger.address),
        ))
        .start()
        .await;
    wait_until("the forger refused", BLOCK_TIMEOUT, || async {
        node.log()
            .contains(&format!("Refusing the warp proof of {}", forger.peer_id))
            .then_some(())
    })
    .await;
    // Then the chunk spoiler dials it: its honest proof gives the node its target, and its
    // state chunks are the only ones to be had. Started beside the forger, it could connect
    // first and give the proof, and the forger's honest state would then finish the warp
    // with neither lie told (seen once in CI).
    let chunker = WarpRogue::start(
        chunk_base.path(),
        WarpLie::BadStateChunk,
        &[node.multiaddr().await],
    )
    .await;
    wait_until("the chunk spoiler refused", BLOCK_TIMEOUT, || async {
        node.log()
            .contains(&format!("Refusing a state chunk of {}", chunker.peer_id))
            .then_some(())
    })
    .await;
    // Then the honest validator dials it, and the warp finishes from it.
    let node_address = node.multiaddr().await;
    let validator = Node::builder("validator")
        .args([
            "--chain",
            "dev",
            "--alice",
            "--bootnodes",
            &node_address,
            "--base-path",
        ])
        .arg(validator_base.path())
        .start()
        .await;
    let target = warped(&node).await;
    // Both are banned: the node drops them and does not take them back.
    let me = node.peer_id().await;
    for rogue in [&forger, &chunker] {
        wait_until("the rogue is disconnected", BLOCK_TIMEOUT, || async {
            (!rogue
                .network
                .peers()
                .await
                .iter()
                .any(|p| p.peer_id.to_string() == me))
            .then_some(())
        })
        .await;
    }
    let peers: Vec<Value> = rpc::call(&node.http(), "system_peers", rpc_params![]).await;
    for rogue in [&forger, &chunker] {
        assert!(
            !peers
                .iter()
                .any(|p| p["peerId"] == rogue.peer_id.to_string()),
            "a rogue is still a peer: {peers:?}"
        );
    }
    assert_follows(&node, &validator, target).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_while_downloading_state_warps_again_and_finishes() {
    // 50,000 more accounts: a state of several chunks, downloaded for seconds.
    const SHORT: u32 = 300;
    let spec = dev_spec_with_accounts(50_000);
    let spec_dir = tempfile::tempdir().expect("a directory for the chain spec");
    let spec_path = spec_dir.path().join("spec.json");
    std::fs::write(&spec_path, spec.to_json(false).expect("the spec as JSON"))
        .expect("the chain spec is written");
    let validator_base = tempfile::tempdir().expect("a base path");
    let path = validator_base.path().to_path_buf();
    let hand_offs = [
        HandOff {
            at: 100,
            delay: 0,
            next: Ed25519Keyring::Bob,
        },
        HandOff {
            at: 200,
            delay: 2,
            next: Ed25519Keyring::Charlie,
        },
        HandOff {
            at: 250,
            delay: 0,
            next: Ed25519Keyring::Alice,
        },
    ];
    tokio::task::spawn_blocking(move || {
        build_chain_with_hand_offs(&path, &spec, SHORT, &hand_offs)
    })
    .await
    .expect("the chain is built");
    let validator = Node::builder("validator")
        .arg("--chain")
        .arg(&spec_path)
        .args(["--alice", "--base-path"])
        .arg(validator_base.path())
        .start()
        .await;
    let boot = validator.multiaddr().await;
    let base = tempfile::tempdir().expect("a base path");
    let args = |base: &Path| -> Vec<std::ffi::OsString> {
        vec![
            "--chain".into(),
            spec_path.clone().into(),
            "--sync".into(),
            "warp".into(),
            "--base-path".into(),
            base.into(),
            "--bootnodes".into(),
            boot.clone().into(),
        ]
    };
    let mut node = Node::builder("node killed while downloading state")
        .args(args(base.path()))
        .start()
        .await;
    wait_until("the state download", WARP_LIMIT, || async {
        (sync_state(&node).await["warpSync"]["phase"] == "downloadingState").then_some(())
    })
    .await;
    node.kill9();
    let restarted = Node::builder("node restarted after kill -9 in the state download")
        .args(args(base.path()))
        .start()
        .await;
    let target = warped(&restarted).await;
    assert!(
        restarted
            .log()
            .contains("Warp sync: proving finality from genesis"),
        "the restarted node warps again from a database still at genesis"
    );
    assert_follows_from(&restarted, &validator, target, SHORT).await;
}
