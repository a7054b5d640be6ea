//! Late nodes catch up. A validator starts on a dev chain of hundreds of blocks built
//! offline; a full node started with `--bootnodes` syncs it all, says so over RPC while it
//! does, and keeps up afterwards; a full node killed in the middle of its sync resumes from
//! its database when restarted.

use echonet_tests::{
    node::Node,
    offline, rpc,
    testnet::{finalized, health},
    BLOCK_TIMEOUT,
};
use jsonrpsee::rpc_params;
use serde_json::Value;
use std::time::{Duration, Instant};

const BLOCKS: u32 = 600;
/// "Well under a minute" for 600 blocks, on a loaded two-core machine in a debug build.
const SYNC_LIMIT: Duration = Duration::from_secs(60);

async fn sync_state(node: &Node) -> Value {
    rpc::call(&node.http(), "system_syncState", rpc_params![]).await
}

fn full_node_args(base: &std::path::Path, boot: &str) -> Vec<std::ffi::OsString> {
    vec![
        "--chain".into(),
        "dev".into(),
        "--base-path".into(),
        base.into(),
        "--bootnodes".into(),
        boot.into(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_full_nodes_sync_hundreds_of_blocks_and_resume_after_a_crash() {
    let validator_base = tempfile::tempdir().expect("a base path");
    let path = validator_base.path().to_path_buf();
    let (built, _) = tokio::task::spawn_blocking(move || offline::extend_dev_chain(&path, BLOCKS))
        .await
        .expect("the chain is built");
    assert_eq!(built, BLOCKS);
    let validator = Node::builder("validator")
        .args(["--chain", "dev", "--alice", "--base-path"])
        .arg(validator_base.path())
        .start()
        .await;
    let boot = validator.multiaddr().await;
    let target = rpc::best_header(&validator.http()).await.number;
    assert!(target >= BLOCKS, "the validator starts on the built chain");

    // A fresh full node catches up, reporting a major sync while it does.
    let fresh_base = tempfile::tempdir().expect("a base path");
    let started = Instant::now();
    let fresh = Node::builder("late full node")
        .args(full_node_args(fresh_base.path(), &boot))
        .start()
        .await;
    let http = fresh.http();
    let mut saw_syncing = false;
    let mut saw_target = false;
    loop {
        let h = health(&http).await;
        let state = sync_state(&fresh).await;
        saw_syncing |= h["isSyncing"] == Value::Bool(true);
        saw_target |= state["highestBlock"].as_u64() >= Some(u64::from(target));
        assert_eq!(state["startingBlock"], 0, "{state}");
        if state["currentBlock"].as_u64() >= Some(u64::from(target)) {
            break;
        }
        assert!(
            started.elapsed() < SYNC_LIMIT,
            "the full node reached {state} in {SYNC_LIMIT:?}, not #{target}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    println!(
        "synced {target} blocks in {:.1} s ({:.0} blocks/s, node start included)",
        elapsed.as_secs_f64(),
        f64::from(target) / elapsed.as_secs_f64()
    );
    assert!(
        saw_syncing,
        "system_health never said isSyncing during the sync"
    );
    assert!(saw_target, "system_syncState never showed the target");
    // Then it keeps up and stops calling itself syncing; GRANDPA's commits finalize the
    // synced chain on it too.
    let now = rpc::best_header(&validator.http()).await.number;
    rpc::wait_for_best_above(&http, now, 2 * BLOCK_TIMEOUT).await;
    assert_eq!(health(&http).await["isSyncing"], Value::Bool(false));
    let deadline = Instant::now() + 2 * BLOCK_TIMEOUT;
    while finalized(&http).await.0 < target {
        assert!(
            Instant::now() < deadline,
            "the full node finalized nothing synced"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Another one is killed in the middle of its sync and resumes from its database.
    let crash_base = tempfile::tempdir().expect("a base path");
    let args = full_node_args(crash_base.path(), &boot);
    let mut crashing = Node::builder("crashing full node")
        .args(args.clone())
        .start()
        .await;
    let halfway = target / 3;
    let deadline = Instant::now() + SYNC_LIMIT;
    while rpc::best_header(&crashing.http()).await.number < halfway {
        assert!(
            Instant::now() < deadline,
            "the second full node did not sync"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    crashing.kill9();
    let resumed = Node::builder("restarted full node")
        .args(args)
        .start()
        .await;
    let state = sync_state(&resumed).await;
    let start = state["startingBlock"].as_u64().unwrap_or(0);
    assert!(
        start >= u64::from(halfway),
        "the restarted node starts from #{start}, not from where it stopped: {state}"
    );
    let now = rpc::best_header(&validator.http()).await.number;
    rpc::wait_for_best_above(&resumed.http(), now, SYNC_LIMIT).await;
    for node in [&validator, &fresh, &resumed] {
        node.assert_no_panic();
    }
}
