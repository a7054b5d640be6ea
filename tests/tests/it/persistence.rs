//! A node's database survives restarts: a clean stop and restart resumes exactly where it
//! stopped, and `kill -9` at any moment, authoring included, leaves a chain that reopens
//! consistent and keeps growing.

use echonet_runtime::{storage_keys, Header, UNITS};
use echonet_tests::{chain, rpc, Node, BLOCK_TIMEOUT};
use jsonrpsee::{rpc_params, ws_client::WsClient};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::Value;
use sp_core::H256;
use sp_keyring::Sr25519Keyring::{Alice, Bob};
use std::{
    path::Path,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// `--dev` with a base path: Alice authoring, on a database that outlives the process.
fn dev_args(base: &Path) -> Vec<std::ffi::OsString> {
    vec!["--dev".into(), "-d".into(), base.into()]
}

/// Waits for a head that arrives after subscribing: right after it, the next slot is
/// about 2 s away, which leaves time to act before the chain moves again.
async fn fresh_head(ws: &WsClient) -> Header {
    let mut heads = rpc::subscribe_new_heads(ws).await;
    let first = rpc::next(&mut heads, BLOCK_TIMEOUT, "the first head").await;
    loop {
        let head = rpc::next(&mut heads, BLOCK_TIMEOUT, "a new head").await;
        if head.number > first.number {
            return head;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_the_same_base_path_resumes_from_the_same_best_block_and_state() {
    let base = tempfile::tempdir().expect("temp dir");
    let (alice, bob) = (Alice.to_account_id(), Bob.to_account_id());

    let mut node = Node::builder("first run")
        .args(dev_args(base.path()))
        .start()
        .await;
    let ws = node.ws().await;
    let genesis = rpc::genesis_hash(&ws).await;
    // Some state beyond timestamps: a transfer, included and finalized.
    let nonce = rpc::next_nonce(&ws, &alice).await;
    let xt = chain::xt_hex(&chain::transfer(Alice, &bob, 5 * UNITS, nonce, genesis));
    let mut watch = rpc::submit_and_watch(&ws, &xt).await;
    let statuses = rpc::statuses_until_final(&mut watch, 3 * BLOCK_TIMEOUT).await;
    assert!(
        statuses
            .last()
            .is_some_and(|s| s.get("finalized").is_some()),
        "the transfer was not finalized: {statuses:?}"
    );

    let head = fresh_head(&ws).await;
    let best = rpc::best_header(&ws).await;
    assert_eq!(
        best.hash(),
        head.hash(),
        "the best block is not the new head"
    );
    let best_hash = best.hash();
    let alice_state =
        rpc::storage(&ws, &storage_keys::system_account(&alice), Some(best_hash)).await;
    let bob_state = rpc::storage(&ws, &storage_keys::system_account(&bob), Some(best_hash)).await;
    drop(ws);
    let status = node.stop().await;
    assert!(status.success(), "the node did not exit cleanly: {status}");
    node.assert_no_panic();

    let node = Node::builder("second run")
        .args(dev_args(base.path()))
        .start()
        .await;
    let ws = node.ws().await;
    assert_eq!(rpc::genesis_hash(&ws).await, genesis);
    let resumed = rpc::best_header(&ws).await;
    if resumed.number == best.number {
        assert_eq!(
            resumed.hash(),
            best_hash,
            "resumed from another block #{}",
            best.number
        );
        assert_eq!(resumed.state_root, best.state_root);
    } else {
        // A slot boundary passed since start-up and the node has authored already: on
        // top of the block it stopped at.
        assert_eq!(
            resumed.number,
            best.number + 1,
            "resumed at #{}, stopped at #{}",
            resumed.number,
            best.number
        );
        assert_eq!(resumed.parent_hash, best_hash);
    }
    let stored = rpc::header(&ws, best_hash).await;
    assert_eq!(stored.state_root, best.state_root);
    assert_eq!(
        rpc::storage(&ws, &storage_keys::system_account(&alice), Some(best_hash)).await,
        alice_state
    );
    assert_eq!(
        rpc::storage(&ws, &storage_keys::system_account(&bob), Some(best_hash)).await,
        bob_state
    );
    assert_eq!(rpc::state_number(&ws, best_hash).await, best.number);

    // It keeps authoring on top of the block it stopped at.
    let later = rpc::wait_for_best_above(&ws, best.number + 1, 2 * BLOCK_TIMEOUT).await;
    assert!(later.number >= best.number + 2);
    assert_eq!(rpc::block_hash(&ws, best.number).await, Some(best_hash));
    let next_hash = rpc::block_hash(&ws, best.number + 1)
        .await
        .expect("the block after the resumed best exists");
    assert_eq!(rpc::header(&ws, next_hash).await.parent_hash, best_hash);
    node.assert_no_panic();
}

/// Checks what a node reopened after `kill -9` must offer, and returns its best header:
/// - it reopens at or above `announced`, the last block it announced before dying (the
///   database had acknowledged it; a process crash must not lose it);
/// - the best block's header and state are readable, and the state is that block's;
/// - every block from the best down to genesis is served and links to its parent;
/// - it authors on top of its best block.
async fn assert_consistent(ws: &WsClient, genesis: H256, announced: u32) -> Header {
    let best = rpc::best_header(ws).await;
    let best_hash = best.hash();
    assert!(
        best.number >= announced,
        "reopened at #{} although #{announced} had been announced before the kill",
        best.number
    );
    let version: Value = rpc::call(ws, "state_getRuntimeVersion", rpc_params![]).await;
    assert_eq!(version["specName"], "echonet", "{version}");
    assert_eq!(rpc::state_number(ws, best_hash).await, best.number);
    if best.number > 0 {
        let parent: H256 = rpc::storage_decoded(
            ws,
            &chain::system_parent_hash_key(),
            Some(best_hash),
            "System.ParentHash",
        )
        .await;
        assert_eq!(
            parent, best.parent_hash,
            "the best block's state is not its own"
        );
    }
    let alice = rpc::account(ws, &Alice.to_account_id(), Some(best_hash)).await;
    assert!(
        alice.data.free > 0,
        "Alice's account is empty at the best block"
    );

    assert_eq!(rpc::block_hash(ws, best.number).await, Some(best_hash));
    let mut child = best.clone();
    for n in (0..best.number).rev() {
        let hash = rpc::block_hash(ws, n).await.unwrap_or_else(|| {
            panic!(
                "chain_getBlockHash({n}) is null below best #{}",
                best.number
            )
        });
        assert_eq!(
            child.parent_hash,
            hash,
            "#{}'s parent is not block #{n}",
            n + 1
        );
        child = rpc::header(ws, hash).await;
        assert_eq!(child.number, n);
    }
    assert_eq!(
        child.hash(),
        genesis,
        "the chain does not lead back to genesis"
    );

    rpc::wait_for_best_above(ws, best.number, BLOCK_TIMEOUT).await;
    let next = rpc::block_hash(ws, best.number + 1)
        .await
        .expect("the block after the best exists");
    assert_eq!(rpc::header(ws, next).await.parent_hash, best_hash);
    best
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_millis() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_any_moment_reopens_a_consistent_chain_that_keeps_growing() {
    const KILLS: usize = 5;
    const TRANSFERS_PER_ROUND: u32 = 10;
    let seed: u64 = rand::random();
    // Shown if the test fails, to replay the same kill moments.
    eprintln!("kill offsets seeded with {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let base = tempfile::tempdir().expect("temp dir");
    let (alice, bob) = (Alice.to_account_id(), Bob.to_account_id());
    let mut genesis = None;
    let mut announced = 0;

    for round in 0..=KILLS {
        let mut node = Node::builder(&format!("run {round}"))
            .args(dev_args(base.path()))
            .start()
            .await;
        let ws = node.ws().await;
        let this_genesis = rpc::genesis_hash(&ws).await;
        let genesis = *genesis.get_or_insert(this_genesis);
        assert_eq!(
            this_genesis, genesis,
            "the genesis changed across a restart"
        );
        assert_consistent(&ws, genesis, announced).await;
        if round == KILLS {
            node.assert_no_panic();
            break;
        }

        // Give the coming blocks transactions to write, then kill at a moment that
        // alternates between anywhere in the slot and right on the slot boundary, when
        // the node builds, imports and commits its block.
        let nonce = rpc::next_nonce(&ws, &alice).await;
        for i in 0..TRANSFERS_PER_ROUND {
            let xt = chain::transfer(Alice, &bob, UNITS, nonce + i, genesis);
            rpc::submit(&ws, &chain::xt_hex(&xt)).await;
        }
        let head = fresh_head(&ws).await;
        announced = head.number;
        let delay = if round % 2 == 0 {
            Duration::from_millis(rng.gen_range(0..2000))
        } else {
            let slot_ms = echonet_runtime::SLOT_DURATION;
            let now = unix_ms();
            let boundary = (now / slot_ms + 1) * slot_ms;
            Duration::from_millis(boundary - now + rng.gen_range(0..6))
        };
        eprintln!("round {round}: killing {delay:?} after #{}", head.number);
        // The wait is the point: it places the kill at a chosen moment of the slot.
        tokio::time::sleep(delay).await;
        node.kill9();
        node.assert_no_panic();
    }
}
