//! `system_*` and `rpc_methods` against a real dev-chain node.

use crate::common::*;
use echonet_rpc::RpcMethods;
use serde_json::{json, Value};
use sp_core::crypto::Ss58Codec;
use sp_keyring::Sr25519Keyring;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_methods_describe_the_node_and_chain() {
    let node = TestNode::start(RpcMethods::Safe).await;
    assert_eq!(
        node.call_ok("system_name", json!([])).await,
        json!("echonet-node")
    );
    assert_eq!(
        node.call_ok("system_version", json!([])).await,
        json!("0.1.0-test")
    );
    assert_eq!(
        node.call_ok("system_chain", json!([])).await,
        json!("Development")
    );
    assert_eq!(
        node.call_ok("system_chainType", json!([])).await,
        json!("Development")
    );
    assert_eq!(
        node.call_ok("system_properties", json!([])).await,
        json!({"ss58Format": 42, "tokenDecimals": 12, "tokenSymbol": "ECHO"})
    );
    assert_eq!(
        node.call_ok("system_health", json!([])).await,
        json!({"peers": 0, "isSyncing": false, "shouldHavePeers": false})
    );
    assert_eq!(
        node.call_ok("system_localPeerId", json!([])).await,
        json!("12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp")
    );
    assert_eq!(
        node.call_ok("system_localListenAddresses", json!([])).await,
        json!([])
    );
    assert_eq!(
        node.call_ok("system_nodeRoles", json!([])).await,
        json!(["Authority"])
    );
    assert_eq!(
        node.call_ok("system_syncState", json!([])).await,
        json!({"startingBlock": 0, "currentBlock": 0, "highestBlock": 0})
    );
    node.author_block(true).await;
    assert_eq!(
        node.call_ok("system_syncState", json!([])).await,
        json!({"startingBlock": 0, "currentBlock": 1, "highestBlock": 1})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_peers_is_unsafe() {
    let safe = TestNode::start(RpcMethods::Safe).await;
    let err = safe.call_err("system_peers", json!([])).await;
    assert_eq!(err["code"], json!(-32601));
    assert_eq!(
        err["message"],
        json!("RPC call is unsafe to be called externally")
    );

    let unsafe_node = TestNode::start(RpcMethods::Unsafe).await;
    assert_eq!(
        unsafe_node.call_ok("system_peers", json!([])).await,
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_next_index_counts_ready_pool_transactions() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let alice = Sr25519Keyring::Alice.to_account_id().to_ss58check();
    assert_eq!(
        node.call_ok("system_accountNextIndex", json!([alice]))
            .await,
        json!(0)
    );

    node.call_ok("author_submitExtrinsic", json!([hex(&node.transfer(0))]))
        .await;
    node.call_ok("author_submitExtrinsic", json!([hex(&node.transfer(1))]))
        .await;
    assert_eq!(
        node.call_ok("system_accountNextIndex", json!([alice]))
            .await,
        json!(2)
    );
    // The alias answers the same.
    assert_eq!(
        node.call_ok("account_nextIndex", json!([alice])).await,
        json!(2)
    );

    // Once they are in a block the chain's nonce says the same, and the pool is empty.
    node.author_block(true).await;
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !node.pool.pending_extrinsics().is_empty() {
        assert!(std::time::Instant::now() < deadline, "pool never pruned");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        node.call_ok("system_accountNextIndex", json!([alice]))
            .await,
        json!(2)
    );

    // Somebody who never sent anything.
    let dave = Sr25519Keyring::Dave.to_account_id().to_ss58check();
    assert_eq!(
        node.call_ok("system_accountNextIndex", json!([dave])).await,
        json!(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_next_index_refuses_what_is_not_an_address() {
    let node = TestNode::start(RpcMethods::Safe).await;
    for bad in [
        json!("not-an-address"),
        json!(42),
        json!(null),
        json!("0x1234"),
    ] {
        let err = node.call_err("system_accountNextIndex", json!([bad])).await;
        assert_eq!(err["code"], json!(-32602), "{bad}: {err}");
    }
    let err = node.call_err("system_accountNextIndex", json!([])).await;
    assert_eq!(err["code"], json!(-32602));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_methods_lists_exactly_what_is_served() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let listed = node.call_ok("rpc_methods", json!([])).await;
    let names: Vec<String> = listed["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "the list is sorted, as Substrate's is");
    let expected = [
        "account_nextIndex",
        "author_hasKey",
        "author_hasSessionKeys",
        "author_insertKey",
        "author_pendingExtrinsics",
        "author_removeExtrinsic",
        "author_rotateKeys",
        "author_submitAndWatchExtrinsic",
        "author_submitExtrinsic",
        "author_unwatchExtrinsic",
        "chainSpec_v1_chainName",
        "chainSpec_v1_genesisHash",
        "chainSpec_v1_properties",
        "chain_getBlock",
        "chain_getBlockHash",
        "chain_getFinalisedHead",
        "chain_getFinalizedHead",
        "chain_getHead",
        "chain_getHeader",
        "chain_getRuntimeVersion",
        "chain_subscribeAllHeads",
        "chain_subscribeFinalisedHeads",
        "chain_subscribeFinalizedHeads",
        "chain_subscribeNewHead",
        "chain_subscribeNewHeads",
        "chain_subscribeRuntimeVersion",
        "chain_unsubscribeAllHeads",
        "chain_unsubscribeFinalisedHeads",
        "chain_unsubscribeFinalizedHeads",
        "chain_unsubscribeNewHead",
        "chain_unsubscribeNewHeads",
        "chain_unsubscribeRuntimeVersion",
        "payment_queryFeeDetails",
        "payment_queryInfo",
        "rpc_methods",
        "state_call",
        "state_callAt",
        "state_getKeysPaged",
        "state_getKeysPagedAt",
        "state_getMetadata",
        "state_getReadProof",
        "state_getRuntimeVersion",
        "state_getStorage",
        "state_getStorageAt",
        "state_getStorageHash",
        "state_getStorageHashAt",
        "state_getStorageSize",
        "state_getStorageSizeAt",
        "state_queryStorage",
        "state_queryStorageAt",
        "state_subscribeRuntimeVersion",
        "state_subscribeStorage",
        "state_unsubscribeRuntimeVersion",
        "state_unsubscribeStorage",
        "subscribe_newHead",
        "system_accountNextIndex",
        "system_chain",
        "system_chainType",
        "system_dryRun",
        "system_dryRunAt",
        "system_health",
        "system_localListenAddresses",
        "system_localPeerId",
        "system_name",
        "system_nodeRoles",
        "system_peers",
        "system_properties",
        "system_syncState",
        "system_version",
        "transaction_v1_broadcast",
        "transaction_v1_stop",
        "unsubscribe_newHead",
    ];
    assert_eq!(names, expected);

    // Every listed method exists: none answers "method not found" (-32601 with Substrate's
    // unsafe refusal aside, which has its own message).
    for name in &names {
        let resp = node.raw_call(name, json!([])).await;
        if let Some(err) = resp.get("error") {
            let not_found = err["code"] == json!(-32601)
                && err["message"] != json!("RPC call is unsafe to be called externally");
            assert!(!not_found, "{name} is listed but not served: {resp}");
        }
    }
    // And an unlisted one is not served.
    let err = node.call_err("system_addReservedPeer", json!([])).await;
    assert_eq!(err, json!({"code": -32601, "message": "Method not found"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_methods_answer_over_websocket_too() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let ws = node.ws().await;
    let name: String = request(&ws, "system_name", jsonrpsee::rpc_params![])
        .await
        .unwrap();
    assert_eq!(name, "echonet-node");
    let health: Value = request(&ws, "system_health", jsonrpsee::rpc_params![])
        .await
        .unwrap();
    assert_eq!(health["peers"], json!(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_applies_in_a_throwaway_next_block() {
    let node = TestNode::start(RpcMethods::Unsafe).await;
    let best = node.author_block(true).await;
    let alice = Sr25519Keyring::Alice.to_account_id();
    let nonce_key = hex(&account_key(&alice));
    let before = node.call_ok("state_getStorage", json!([nonce_key])).await;

    // Ok(Ok(())): it would apply and dispatch; the database is untouched.
    let tx = hex(&node.transfer(0));
    assert_eq!(
        node.call_ok("system_dryRun", json!([tx])).await,
        json!("0x0000")
    );
    assert_eq!(
        node.call_ok("system_dryRunAt", json!([tx, format!("{best:?}")]))
            .await,
        json!("0x0000")
    );
    assert_eq!(
        node.call_ok("state_getStorage", json!([nonce_key])).await,
        before
    );
    assert_eq!(node.client.info().best_hash, best);

    // A nonce from the future: Err(Invalid(Future)), SCALE 0x01 00 02.
    let future = hex(&node.transfer(5));
    assert_eq!(
        node.call_ok("system_dryRun", json!([future])).await,
        json!("0x010002")
    );
    // A tampered signature: Err(Invalid(BadProof)).
    let mut bad = node.transfer(0);
    let last = bad.len() - 1;
    // The call's last byte (the amount's compact encoding) changes what was signed.
    bad[last] ^= 0x04;
    assert_eq!(
        node.call_ok("system_dryRun", json!([hex(&bad)])).await,
        json!("0x010004")
    );

    // Substrate's errors: 2 for bytes that are no extrinsic, 1 for a failed call.
    let err = node.call_err("system_dryRun", json!(["0x00"])).await;
    assert_eq!(err["code"], json!(2), "{err}");
    assert_eq!(err["message"], json!("Unable to dry run extrinsic."));
    let unknown = format!("0x{}", "ab".repeat(32));
    let err = node.call_err("system_dryRun", json!([tx, unknown])).await;
    assert_eq!(err["code"], json!(1), "{err}");
    assert!(
        err["data"].as_str().unwrap().starts_with("UnknownBlock"),
        "{err}"
    );
    let err = node.call_err("system_dryRun", json!(["0xzz"])).await;
    assert_eq!(err["code"], json!(-32602), "{err}");

    // Unsafe, as in Substrate.
    let safe = TestNode::start(RpcMethods::Safe).await;
    let err = safe.call_err("system_dryRun", json!([tx])).await;
    assert_eq!(
        err,
        json!({"code": -32601, "message": "RPC call is unsafe to be called externally"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_spec_v1_gives_name_genesis_and_properties() {
    let node = TestNode::start(RpcMethods::Safe).await;
    assert_eq!(
        node.call_ok("chainSpec_v1_chainName", json!([])).await,
        node.call_ok("system_chain", json!([])).await
    );
    assert_eq!(
        node.call_ok("chainSpec_v1_genesisHash", json!([])).await,
        json!(format!("{:?}", node.genesis()))
    );
    assert_eq!(
        node.call_ok("chainSpec_v1_properties", json!([])).await,
        json!({"ss58Format": 42, "tokenDecimals": 12, "tokenSymbol": "ECHO"})
    );
}
