//! `state_*`: storage reads at blocks, paging, range queries, runtime calls, metadata,
//! version, read proofs, and the storage and version subscriptions.

use crate::common::*;
use codec::Decode;
use echonet_rpc::RpcMethods;
use jsonrpsee::{core::client::SubscriptionClientT, rpc_params};
use serde_json::{json, Value};
use sp_core::{storage::StorageKey, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::traits::BlakeTwo256;

fn free_balance(raw: &[u8]) -> u128 {
    frame_system::AccountInfo::<u32, pallet_balances::AccountData<u128>>::decode(&mut &raw[..])
        .unwrap()
        .data
        .free
}

/// An account the dev chain does not endow.
fn nobody() -> echonet_runtime::AccountId {
    sp_core::crypto::AccountId32::new([7; 32])
}

fn nobody_key() -> String {
    hex(&account_key(&nobody()))
}

fn key_hex(who: Sr25519Keyring) -> String {
    hex(&account_key(&who.to_account_id()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_reads_follow_the_block_asked_for() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let genesis = format!("{:?}", node.genesis());
    let bob = key_hex(Sr25519Keyring::Bob);
    let before = node.call_ok("state_getStorage", json!([bob])).await;
    let b1 = format!(
        "{:?}",
        node.author_block_with(vec![node.transfer(0)], true).await
    );
    let after = node.call_ok("state_getStorage", json!([bob])).await;
    assert_eq!(
        free_balance(&unhex(&after)),
        free_balance(&unhex(&before)) + echonet_runtime::UNITS
    );
    // At a named block, through the method and its alias.
    assert_eq!(
        node.call_ok("state_getStorage", json!([bob, genesis]))
            .await,
        before
    );
    assert_eq!(
        node.call_ok("state_getStorageAt", json!([bob, genesis]))
            .await,
        before
    );
    assert_eq!(
        node.call_ok("state_getStorage", json!([bob, b1])).await,
        after
    );
    assert_eq!(
        node.call_ok("state_getStorage", json!([bob, null])).await,
        after
    );

    // Hash and size of the same value.
    let value = unhex(&after);
    let hash = format!(
        "{:?}",
        <BlakeTwo256 as sp_runtime::traits::Hash>::hash(&value)
    );
    assert_eq!(
        node.call_ok("state_getStorageHash", json!([bob])).await,
        json!(hash)
    );
    assert_eq!(
        node.call_ok("state_getStorageHashAt", json!([bob, b1]))
            .await,
        json!(hash)
    );
    assert_eq!(
        node.call_ok("state_getStorageSize", json!([bob])).await,
        json!(value.len())
    );
    assert_eq!(
        node.call_ok("state_getStorageSizeAt", json!([bob, b1]))
            .await,
        json!(value.len())
    );

    // A key without a value.
    let missing = nobody_key();
    assert_eq!(
        node.call_ok("state_getStorage", json!([missing])).await,
        Value::Null
    );
    assert_eq!(
        node.call_ok("state_getStorageHash", json!([missing])).await,
        Value::Null
    );
    assert_eq!(
        node.call_ok("state_getStorageSize", json!([missing])).await,
        Value::Null
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_size_of_a_prefix_sums_its_values() {
    let node = TestNode::start(RpcMethods::Safe).await;
    // System::Account's prefix: the dev chain endows several accounts.
    let prefix = &account_key(&Sr25519Keyring::Alice.to_account_id())[..32];
    let keys = node
        .client
        .storage_keys(node.genesis(), prefix, None, 1000)
        .unwrap();
    assert!(keys.len() > 2);
    let total: usize = keys
        .iter()
        .map(|k| {
            node.client
                .storage(node.genesis(), k)
                .unwrap()
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(
        node.call_ok("state_getStorageSize", json!([hex(prefix)]))
            .await,
        json!(total)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_errors_name_the_unknown_block_and_reject_bad_hex() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let unknown = format!("{:?}", H256::repeat_byte(0xcd));
    let key = key_hex(Sr25519Keyring::Alice);
    for (method, params) in [
        ("state_getStorage", json!([key, unknown])),
        ("state_getStorageHash", json!([key, unknown])),
        ("state_getStorageSize", json!([key, unknown])),
        ("state_getKeysPaged", json!([null, 10, null, unknown])),
        ("state_getMetadata", json!([unknown])),
        ("state_getRuntimeVersion", json!([unknown])),
        ("state_call", json!(["Core_version", "0x", unknown])),
        ("state_queryStorageAt", json!([[key], unknown])),
        ("state_getReadProof", json!([[key], unknown])),
    ] {
        let err = node.call_err(method, params).await;
        assert_eq!(err["code"], json!(4003), "{method}: {err}");
        assert_eq!(
            err["message"],
            json!(format!(
                "Client error: UnknownBlock: State already discarded for {unknown}"
            )),
            "{method}"
        );
    }
    for bad_key in [json!("0xnothex"), json!("nothex"), json!(12), json!(null)] {
        let err = node.call_err("state_getStorage", json!([bad_key])).await;
        assert_eq!(err["code"], json!(-32602), "{bad_key}: {err}");
    }
    let err = node
        .call_err("state_getStorage", json!([key, "0x12"]))
        .await;
    assert_eq!(err["code"], json!(-32602));
    let err = node.call_err("state_getStorage", json!([])).await;
    assert_eq!(err["code"], json!(-32602));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_paged_pages_through_a_prefix() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let prefix = hex(&account_key(&Sr25519Keyring::Alice.to_account_id())[..32]);
    let all = node
        .call_ok("state_getKeysPaged", json!([prefix, 1000]))
        .await;
    let all: Vec<Value> = all.as_array().unwrap().clone();
    assert!(all.len() >= 4, "{all:?}");
    let mut sorted = all.clone();
    sorted.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    assert_eq!(all, sorted, "keys come in order");

    // Two at a time, each page after the last key of the previous one.
    let mut paged = Vec::new();
    let mut start = Value::Null;
    loop {
        let page = node
            .call_ok("state_getKeysPagedAt", json!([prefix, 2, start, null]))
            .await;
        let page = page.as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        start = page.last().unwrap().clone();
        paged.extend(page);
    }
    assert_eq!(paged, all);

    // A start key before the prefix starts at the prefix; past it, nothing.
    let page = node
        .call_ok("state_getKeysPaged", json!([prefix, 1, "0x00"]))
        .await;
    assert_eq!(page, json!([all[0]]));
    let page = node
        .call_ok("state_getKeysPaged", json!([prefix, 1, "0xff"]))
        .await;
    assert_eq!(page, json!([]));

    // A null prefix is the whole state, from the first key.
    let first = node.call_ok("state_getKeysPaged", json!([null, 3])).await;
    assert_eq!(first.as_array().unwrap().len(), 3);

    let err = node
        .call_err("state_getKeysPaged", json!([prefix, 1001]))
        .await;
    assert_eq!(
        err,
        json!({"code": 4002, "message": "count exceeds maximum value. value: 1001, max: 1000"})
    );
    let err = node
        .call_err("state_getKeysPaged", json!([prefix, -1]))
        .await;
    assert_eq!(err["code"], json!(-32602));
    let err = node.call_err("state_getKeysPaged", json!([prefix])).await;
    assert_eq!(err["code"], json!(-32602), "count is required");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_storage_reports_changes_over_a_range() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let genesis = node.genesis();
    let bob = key_hex(Sr25519Keyring::Bob);
    let missing = nobody_key();
    let b1 = node.author_block_with(vec![node.transfer(0)], true).await;
    let b2 = node.author_block(true).await; // Bob unchanged
    let b3 = node.author_block_with(vec![node.transfer(1)], true).await;
    let value_at = |h: H256| {
        let raw = node
            .client
            .storage(h, &unhex(&json!(bob)))
            .unwrap()
            .unwrap();
        json!(hex(&raw))
    };

    let at = node
        .call_ok(
            "state_queryStorageAt",
            json!([[bob, missing], format!("{b1:?}")]),
        )
        .await;
    assert_eq!(
        at,
        json!([{"block": format!("{b1:?}"), "changes": [[bob, value_at(b1)], [missing, null]]}])
    );
    // Default block: the best.
    let at = node.call_ok("state_queryStorageAt", json!([[bob]])).await;
    assert_eq!(at[0]["block"], json!(format!("{b3:?}")));

    let range = node
        .call_ok(
            "state_queryStorage",
            json!([[bob, missing], format!("{genesis:?}"), format!("{b3:?}")]),
        )
        .await;
    assert_eq!(
        range,
        json!([
            {"block": format!("{genesis:?}"), "changes": [[bob, value_at(genesis)], [missing, null]]},
            {"block": format!("{b1:?}"), "changes": [[bob, value_at(b1)]]},
            {"block": format!("{b3:?}"), "changes": [[bob, value_at(b3)]]},
        ])
    );
    let _ = b2;
    // `to` defaults to the best block.
    let open = node
        .call_ok("state_queryStorage", json!([[bob], format!("{b1:?}")]))
        .await;
    assert_eq!(open.as_array().unwrap().len(), 2);

    // Backwards, or from an unknown block: 4001.
    let err = node
        .call_err(
            "state_queryStorage",
            json!([[bob], format!("{b3:?}"), format!("{b1:?}")]),
        )
        .await;
    assert_eq!(err["code"], json!(4001), "{err}");
    let err = node
        .call_err(
            "state_queryStorage",
            json!([[bob], format!("{:?}", H256::repeat_byte(9))]),
        )
        .await;
    assert_eq!(err["code"], json!(4001), "{err}");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .starts_with("Cannot resolve a block range"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_version_and_runtime_calls() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let metadata = unhex(&node.call_ok("state_getMetadata", json!([])).await);
    assert_eq!(
        &metadata[..4],
        b"meta",
        "OpaqueMetadata's bytes start with the magic"
    );
    assert_eq!(
        unhex(
            &node
                .call_ok(
                    "state_getMetadata",
                    json!([format!("{:?}", node.genesis())])
                )
                .await
        ),
        metadata
    );

    let version = node.call_ok("state_getRuntimeVersion", json!([])).await;
    assert_eq!(version["specName"], json!("echonet"));
    assert_eq!(version["implName"], json!("echonet-node"));
    assert_eq!(version["specVersion"], json!(100));
    assert_eq!(version["transactionVersion"], json!(1));
    let apis = version["apis"].as_array().unwrap();
    assert!(!apis.is_empty());
    for api in apis {
        let pair = api.as_array().unwrap();
        assert_eq!(unhex(&pair[0]).len(), 8, "api ids are 8 bytes: {api}");
        assert!(pair[1].is_u64());
    }
    assert_eq!(
        node.call_ok("chain_getRuntimeVersion", json!([])).await,
        version
    );

    // state_call returns the SCALE output as hex.
    let out = unhex(
        &node
            .call_ok("state_call", json!(["Core_version", "0x"]))
            .await,
    );
    let decoded = sp_version::RuntimeVersion::decode(&mut &out[..]).unwrap();
    assert_eq!(decoded.spec_version, 100);
    let at = format!("{:?}", node.genesis());
    assert_eq!(
        unhex(
            &node
                .call_ok("state_callAt", json!(["Core_version", "0x", at]))
                .await
        ),
        out
    );
    let nonce_input = hex(&codec::Encode::encode(
        &Sr25519Keyring::Alice.to_account_id(),
    ));
    let nonce = unhex(
        &node
            .call_ok(
                "state_call",
                json!(["AccountNonceApi_account_nonce", nonce_input]),
            )
            .await,
    );
    assert_eq!(nonce, vec![0, 0, 0, 0]);

    let err = node
        .call_err("state_call", json!(["NoSuchApi_nothing", "0x"]))
        .await;
    assert_eq!(err["code"], json!(4003));
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("NoSuchApi_nothing"),
        "{err}"
    );
    // Input the runtime cannot decode: an error, and the node carries on.
    let err = node
        .call_err(
            "state_call",
            json!(["AccountNonceApi_account_nonce", "0x01"]),
        )
        .await;
    assert_eq!(err["code"], json!(4003), "{err}");
    let err = node
        .call_err("state_call", json!(["Core_version", "0xzz"]))
        .await;
    assert_eq!(err["code"], json!(-32602));
    let err = node.call_err("state_call", json!([42, "0x"])).await;
    assert_eq!(err["code"], json!(-32602));
    // state_call has no keystore: key generation fails and writes nothing. Only
    // author_rotateKeys (unsafe) generates keys.
    let input = hex(&codec::Encode::encode(&(
        Vec::<u8>::new(),
        Option::<Vec<u8>>::None,
    )));
    let err = node
        .call_err(
            "state_call",
            json!(["SessionKeys_generate_session_keys", input]),
        )
        .await;
    assert_eq!(err["code"], json!(4003));
    assert!(
        sp_keystore::Keystore::keys(&*node.keystore, sp_core::crypto::KeyTypeId(*b"aura"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        node.call_ok("system_name", json!([])).await,
        json!("echonet-node")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_proof_proves_against_the_state_root() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let best = node.author_block_with(vec![node.transfer(0)], true).await;
    let bob = account_key(&Sr25519Keyring::Bob.to_account_id());
    let missing = account_key(&nobody());
    let proof = node
        .call_ok("state_getReadProof", json!([[hex(&bob), hex(&missing)]]))
        .await;
    assert_eq!(proof["at"], json!(format!("{best:?}")));
    let nodes: Vec<Vec<u8>> = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(unhex)
        .collect();
    let root = node.client.header(best).unwrap().unwrap().state_root;
    let checked = sp_state_machine::read_proof_check::<BlakeTwo256, _>(
        root,
        sp_trie::StorageProof::new(nodes),
        [&bob[..], &missing[..]],
    )
    .unwrap();
    assert_eq!(checked[&bob], node.client.storage(best, &bob).unwrap());
    assert_eq!(checked[&missing], None);
}

async fn next_item(sub: &mut jsonrpsee::core::client::Subscription<Value>) -> Value {
    bounded(sub.next())
        .await
        .expect("subscription ended")
        .expect("bad notification")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_subscription_sends_values_then_changes() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let ws = node.ws().await;
    let alice = key_hex(Sr25519Keyring::Alice);
    let bob = key_hex(Sr25519Keyring::Bob);
    let charlie = key_hex(Sr25519Keyring::Charlie);
    let missing = nobody_key();
    let mut sub: jsonrpsee::core::client::Subscription<Value> = bounded(ws.subscribe(
        "state_subscribeStorage",
        rpc_params![vec![
            alice.clone(),
            bob.clone(),
            charlie.clone(),
            missing.clone()
        ]],
        "state_unsubscribeStorage",
    ))
    .await
    .unwrap();
    let genesis = node.genesis();
    let value = |at: H256, key: &str| {
        node.client
            .storage(at, &unhex(&json!(key)))
            .unwrap()
            .map(|v| json!(hex(&v)))
            .unwrap_or(Value::Null)
    };
    let first = next_item(&mut sub).await;
    assert_eq!(
        first,
        json!({"block": format!("{genesis:?}"), "changes": [
            [alice, value(genesis, &alice)],
            [bob, value(genesis, &bob)],
            [charlie, value(genesis, &charlie)],
            [missing, null],
        ]})
    );
    // A block that changes nothing watched sends nothing; the next one that does, only
    // the changed keys (Alice pays, Bob receives; Charlie is untouched).
    node.author_block(false).await;
    let b2 = node.author_block_with(vec![node.transfer(0)], false).await;
    let update = next_item(&mut sub).await;
    assert_eq!(
        update,
        json!({"block": format!("{b2:?}"), "changes": [
            [alice, value(b2, &alice)],
            [bob, value(b2, &bob)],
        ]})
    );
    bounded(sub.unsubscribe()).await.unwrap();

    // Without keys: refused with an error, not a silent stream.
    let refused = bounded(ws.subscribe::<Value, _>(
        "state_subscribeStorage",
        rpc_params![],
        "state_unsubscribeStorage",
    ))
    .await;
    assert!(refused.is_err());
    let too_many: Vec<String> = (0..1025u32).map(|i| hex(&i.to_le_bytes())).collect();
    let refused = bounded(ws.subscribe::<Value, _>(
        "state_subscribeStorage",
        rpc_params![too_many],
        "state_unsubscribeStorage",
    ))
    .await;
    assert!(refused.is_err());
    let bad = bounded(ws.subscribe::<Value, _>(
        "state_subscribeStorage",
        rpc_params![vec!["0xzz"]],
        "state_unsubscribeStorage",
    ))
    .await;
    assert!(bad.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_version_subscription_sends_the_current_version() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let ws = node.ws().await;
    let version = node.call_ok("state_getRuntimeVersion", json!([])).await;
    for (sub_name, unsub_name) in [
        (
            "state_subscribeRuntimeVersion",
            "state_unsubscribeRuntimeVersion",
        ),
        (
            "chain_subscribeRuntimeVersion",
            "chain_unsubscribeRuntimeVersion",
        ),
    ] {
        let mut sub: jsonrpsee::core::client::Subscription<Value> =
            bounded(ws.subscribe(sub_name, rpc_params![], unsub_name))
                .await
                .unwrap();
        assert_eq!(next_item(&mut sub).await, version);
        bounded(sub.unsubscribe()).await.unwrap();
    }
}

#[test]
fn storage_keys_serialize_as_hex() {
    let v = serde_json::to_value(StorageKey(vec![0xde, 0xad])).unwrap();
    assert_eq!(v, json!("0xdead"));
}

/// `n` distinct keys, `base` apart from other calls' keys, none of them in the state.
fn unused_keys(base: u32, n: u32) -> Vec<String> {
    (base..base + n)
        .map(|i| hex(&[b"unused".as_slice(), &i.to_be_bytes()].concat()))
        .collect()
}

/// Subscribes `ws` to `n` unused keys from `base` on.
async fn subscribe_unused(
    ws: &jsonrpsee::ws_client::WsClient,
    base: u32,
    n: u32,
) -> Result<jsonrpsee::core::client::Subscription<Value>, jsonrpsee::core::ClientError> {
    bounded(ws.subscribe::<Value, _>(
        "state_subscribeStorage",
        rpc_params![unused_keys(base, n)],
        "state_unsubscribeStorage",
    ))
    .await
}

/// Issue 11, item 6: every storage subscription re-reads its keys at every new best
/// block, and a connection may hold 1024 subscriptions of 1024 keys: a million reads a
/// block for one client. A connection's subscriptions share one budget of keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_subscriptions_of_one_connection_share_a_budget_of_keys() {
    use echonet_rpc::state::{MAX_SUBSCRIBED_KEYS, MAX_SUBSCRIBED_KEYS_PER_CONNECTION};
    let node = TestNode::start(RpcMethods::Safe).await;
    let ws = node.ws().await;
    let per_sub = MAX_SUBSCRIBED_KEYS as u32;
    let fits = MAX_SUBSCRIBED_KEYS_PER_CONNECTION as u32 / per_sub;
    let mut subs = Vec::new();
    for i in 0..fits {
        subs.push(subscribe_unused(&ws, i * per_sub, per_sub).await.unwrap());
    }
    let used = fits * per_sub;
    let room = MAX_SUBSCRIBED_KEYS_PER_CONNECTION as u32 - used;
    let over = subscribe_unused(&ws, used, room + 1).await;
    let err = over.expect_err("a subscription over the connection's key budget was accepted");
    assert!(
        err.to_string().contains(&format!(
            "at most {MAX_SUBSCRIBED_KEYS_PER_CONNECTION} storage keys"
        )),
        "{err}"
    );
    // Another connection has its own budget.
    let other = node.ws().await;
    let _theirs = subscribe_unused(&other, 0, per_sub).await.unwrap();
    // Unsubscribing gives the keys back, once the subscription has ended.
    bounded(subs.pop().unwrap().unsubscribe()).await.unwrap();
    let deadline = std::time::Instant::now() + TIMEOUT;
    let _again = loop {
        match subscribe_unused(&ws, used, per_sub).await {
            Ok(sub) => break sub,
            Err(e) => assert!(
                std::time::Instant::now() < deadline,
                "the budget never came back: {e}"
            ),
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
}

/// Issue 11, item 6: on an RPC that serves only safe methods (what `--rpc-external`
/// serves), `state_call` does not hand megabytes to `Core_*` and `BlockBuilder_*`
/// (executing a whole block, applying an extrinsic); the small calls still work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safe_rpc_bounds_the_input_of_core_and_block_builder_calls() {
    use echonet_rpc::state::MAX_SAFE_BLOCK_CALL_INPUT;
    let safe = TestNode::start(RpcMethods::Safe).await;
    let big = vec![0u8; MAX_SAFE_BLOCK_CALL_INPUT + 1];
    for method in [
        "Core_execute_block",
        "Core_initialize_block",
        "BlockBuilder_apply_extrinsic",
        "BlockBuilder_check_inherents",
    ] {
        let err = safe
            .call_err("state_call", json!([method, hex(&big)]))
            .await;
        assert_eq!(err["code"], json!(-32602), "{method}: {err}");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains(&format!("at most {MAX_SAFE_BLOCK_CALL_INPUT} bytes")),
            "{method}: {err}"
        );
    }
    let version = safe
        .call_ok("state_call", json!(["Core_version", "0x"]))
        .await;
    assert!(!unhex(&version).is_empty());
    // Other APIs keep the request size limit only (this one reads its account id and
    // ignores the rest).
    let nonce = safe
        .call_ok(
            "state_call",
            json!(["AccountNonceApi_account_nonce", hex(&big)]),
        )
        .await;
    assert_eq!(nonce, json!("0x00000000"));
    // An operator's own (unsafe) RPC is not bounded.
    let local = TestNode::start(RpcMethods::Unsafe).await;
    let err = local
        .call_err("state_call", json!(["Core_execute_block", hex(&big)]))
        .await;
    assert!(
        !err["message"].as_str().unwrap().contains("at most"),
        "{err}"
    );
}
