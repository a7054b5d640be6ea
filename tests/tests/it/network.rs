//! A four-validator network in normal operation: every validator authors in its turn, a
//! block comes about every two seconds, GRANDPA keeps finality close behind, and a
//! transfer sent to one node is included and visible on every node. Also what the RPC and
//! the log say about the network. Blocks travel by compact relay (the default): peers
//! rebuild them from their pools.

use echonet_runtime::UNITS;
use echonet_tests::{
    chain, raw, rpc,
    testnet::{finalized, health, slot_of},
    Testnet, BLOCK_TIMEOUT, RPC_TIMEOUT,
};
use jsonrpsee::rpc_params;
use serde_json::Value;
use sp_core::H256;
use sp_keyring::Sr25519Keyring::{Alice, Dave};
use std::{
    collections::BTreeSet,
    time::{Duration, Instant},
};

/// How many new blocks the timing and finality samples cover.
const SAMPLES: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_take_turns_finalize_closely_and_share_a_transfer() {
    let mut net = Testnet::local_validators()
        .full_node("full")
        .prometheus()
        .start()
        .await;
    let names = ["alice", "bob", "charlie", "dave", "full"];

    // Everyone meets everyone (four peers each) and none is syncing.
    net.wait_all(
        "every node has four peers",
        3 * BLOCK_TIMEOUT,
        |_, c| async move {
            let h = health(&c).await;
            match (h["peers"].as_u64(), h["isSyncing"].as_bool()) {
                (Some(4), Some(false)) => Ok(()),
                _ => Err(h.to_string()),
            }
        },
    )
    .await;
    let full = net.nodes[4].http();
    let h = health(&full).await;
    assert_eq!(h["shouldHavePeers"], Value::Bool(true), "{h}");

    // system_peers in Substrate's shape; the validators show as authorities.
    let peers: Vec<Value> = rpc::call(&full, "system_peers", rpc_params![]).await;
    assert_eq!(peers.len(), 4, "{peers:?}");
    let mut ids = BTreeSet::new();
    for p in &peers {
        let obj = p.as_object().expect("a peer is an object");
        let keys: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["peerId", "roles", "bestHash", "bestNumber"]),
            "{p}"
        );
        assert_eq!(p["roles"], "Authority", "{p}");
        ids.insert(p["peerId"].as_str().unwrap_or_default().to_string());
    }
    for node in &net.nodes[..4] {
        assert!(ids.contains(&node.peer_id().await), "{ids:?}");
    }

    // The node prints its full address at start, and RPC lists it.
    let alice_addr = net.nodes[0].multiaddr().await;
    assert!(
        net.nodes[0]
            .log()
            .contains(&format!("Listening on {alice_addr}")),
        "alice's log does not show {alice_addr}"
    );
    let listen: Vec<String> = rpc::call(
        &net.nodes[0].http(),
        "system_localListenAddresses",
        rpc_params![],
    )
    .await;
    assert_eq!(listen, vec![alice_addr]);

    // Block time, turns and finality, seen from the full node.
    let ws = net.nodes[4].ws().await;
    let mut heads = rpc::subscribe_new_heads(&ws).await;
    let first = rpc::next(&mut heads, BLOCK_TIMEOUT, "the first head").await;
    let mut arrivals = Vec::new();
    let mut lags = Vec::new();
    while arrivals.len() < SAMPLES {
        let head = rpc::next(&mut heads, BLOCK_TIMEOUT, "a new head").await;
        if head.number <= first.number {
            continue;
        }
        let (fin, _) = finalized(&full).await;
        lags.push(head.number.saturating_sub(fin));
        arrivals.push((head, Instant::now()));
    }
    let span = arrivals[SAMPLES - 1].1 - arrivals[0].1;
    let blocks = arrivals[SAMPLES - 1].0.number - arrivals[0].0.number;
    let average = span / blocks.max(1);
    assert!(
        (Duration::from_millis(1500)..=Duration::from_millis(3000)).contains(&average),
        "a block every {average:?} on average over {blocks} blocks; expected about 2 s"
    );
    let authors: BTreeSet<u64> = arrivals.iter().map(|(h, _)| slot_of(h) % 4).collect();
    assert_eq!(
        authors.len(),
        4,
        "not every validator authored: {authors:?}"
    );
    lags.sort_unstable();
    let median = lags[lags.len() / 2];
    let close = lags.iter().filter(|l| **l <= 2).count();
    assert!(
        median <= 2 && close * 10 >= lags.len() * 8,
        "finality lag (best - finalized) per block: {lags:?}; expected at most 2 most of the time"
    );

    // A transfer sent to bob is included, and every node sees Dave's new balance.
    let bob = net.nodes[1].ws().await;
    let genesis = rpc::genesis_hash(&bob).await;
    let dave = Dave.to_account_id();
    let before = rpc::account(&bob, &dave, None).await.data.free;
    let nonce = rpc::next_nonce(&bob, &Alice.to_account_id()).await;
    let amount = 3 * UNITS;
    let xt = chain::xt_hex(&chain::transfer(Alice, &dave, amount, nonce, genesis));
    let mut watch = rpc::submit_and_watch(&bob, &xt).await;
    let statuses = rpc::statuses_until_final(&mut watch, 4 * BLOCK_TIMEOUT).await;
    let in_block: H256 = statuses
        .iter()
        .find_map(|s| serde_json::from_value(s["inBlock"].clone()).ok())
        .unwrap_or_else(|| panic!("no inBlock status: {statuses:?}"));
    assert!(
        statuses
            .last()
            .is_some_and(|s| s.get("finalized").is_some()),
        "the transfer was not finalized: {statuses:?}"
    );
    net.wait_all(
        "every node has the block with the transfer",
        2 * BLOCK_TIMEOUT,
        |_, c| async move {
            match rpc::try_call::<Option<Value>>(&c, "chain_getHeader", rpc_params![in_block]).await
            {
                Ok(Some(_)) => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    for (i, c) in net.running() {
        let at_block = rpc::account(&c, &dave, Some(in_block)).await.data.free;
        assert_eq!(at_block, before + amount, "{} disagrees", names[i]);
        let now = rpc::account(&c, &dave, None).await.data.free;
        assert_eq!(now, before + amount, "{}'s best state disagrees", names[i]);
    }
    // Compact relay carried the blocks: every node rebuilt blocks of others from its pool
    // (the full node never authors, so all its blocks came so or by fallback).
    for (i, node) in net.nodes.iter().enumerate() {
        let resp = raw::http_get(node.prometheus_addr(), "/metrics", RPC_TIMEOUT)
            .await
            .expect("GET /metrics");
        let text = resp.text();
        let rebuilt: f64 = text
            .lines()
            .filter(|l| {
                l.starts_with("echonet_sync_block_relay_total{") && l.contains("result=\"rebuilt")
            })
            .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
            .sum();
        assert!(
            rebuilt >= 1.0,
            "{} rebuilt no compact block:\n{}",
            names[i],
            text.lines()
                .filter(|l| l.contains("relay"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    // Every node agrees on the finalized chain.
    echonet_tests::testnet::assert_one_finalized_chain(&net.running()).await;
    for node in &mut net.nodes {
        node.assert_running();
        node.assert_no_panic();
    }
}
