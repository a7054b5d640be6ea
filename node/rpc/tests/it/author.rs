//! `author_*` and `payment_*`: submission and its errors, watching a transaction to
//! finality, pool surgery, session keys, the unsafe-method policy, and fee queries.

use crate::common::*;
use codec::Encode;
use echonet_rpc::RpcMethods;
use echonet_runtime::{extrinsics, RuntimeCall, SystemCall};
use jsonrpsee::{
    core::{
        client::{Subscription, SubscriptionClientT, SubscriptionKind},
        ClientError,
    },
    rpc_params,
};
use serde_json::{json, Value};
use sp_core::{crypto::KeyTypeId, Pair, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use std::time::Duration;

fn tx_hash(bytes: &[u8]) -> String {
    format!("{:?}", BlakeTwo256::hash(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitted_extrinsic_is_pending_under_its_hash() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let tx = node.transfer(0);
    let hash = node
        .call_ok("author_submitExtrinsic", json!([hex(&tx)]))
        .await;
    assert_eq!(hash, json!(tx_hash(&tx)));
    assert_eq!(
        node.call_ok("author_pendingExtrinsics", json!([])).await,
        json!([hex(&tx)])
    );
    // The same bytes again.
    let err = node
        .call_err("author_submitExtrinsic", json!([hex(&tx)]))
        .await;
    assert_eq!(
        err,
        json!({"code": 1013, "message": "Transaction Already Imported", "data": tx_hash(&tx)})
    );
    // Into a block, out of the pool.
    node.author_block(true).await;
    let deadline = std::time::Instant::now() + TIMEOUT;
    while node.call_ok("author_pendingExtrinsics", json!([])).await != json!([]) {
        assert!(std::time::Instant::now() < deadline, "pool never pruned");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_submissions_get_substrates_codes() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let alice = Sr25519Keyring::Alice.pair();

    // Signed for another chain: the signature does not verify.
    let foreign = extrinsics::encode(&extrinsics::transfer(
        &alice,
        Sr25519Keyring::Bob.to_account_id(),
        echonet_runtime::UNITS,
        0,
        H256::repeat_byte(1),
    ));
    let err = node
        .call_err("author_submitExtrinsic", json!([hex(&foreign)]))
        .await;
    assert_eq!(
        err,
        json!({"code": 1010, "message": "Invalid Transaction", "data": "Transaction has a bad signature"})
    );

    // A nonce the chain has already used.
    node.author_block_with(vec![node.transfer(0)], true).await;
    let stale = extrinsics::encode(&extrinsics::transfer(
        &alice,
        Sr25519Keyring::Charlie.to_account_id(),
        7,
        0,
        node.genesis(),
    ));
    let err = node
        .call_err("author_submitExtrinsic", json!([hex(&stale)]))
        .await;
    assert_eq!(
        err,
        json!({"code": 1010, "message": "Invalid Transaction", "data": "Transaction is outdated"})
    );

    // Bytes that are not an extrinsic.
    for bad in ["0x", "0x00", "0x0400", "0xdeadbeef"] {
        let err = node.call_err("author_submitExtrinsic", json!([bad])).await;
        assert_eq!(err["code"], json!(1001), "{bad}: {err}");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .starts_with("Extrinsic has invalid format"),
            "{err}"
        );
    }
    // An extrinsic with trailing garbage.
    let mut trailing = node.transfer(1);
    trailing.push(0);
    let err = node
        .call_err("author_submitExtrinsic", json!([hex(&trailing)]))
        .await;
    assert_eq!(err["code"], json!(1001), "{err}");

    // Not hex, not a string, nothing.
    for bad in [json!("0xzz"), json!(12), json!(null), json!(["0x00"])] {
        let err = node.call_err("author_submitExtrinsic", json!([bad])).await;
        assert_eq!(err["code"], json!(-32602), "{bad}: {err}");
    }
    let err = node.call_err("author_submitExtrinsic", json!([])).await;
    assert_eq!(err["code"], json!(-32602));

    // Nothing of the above reached the pool.
    assert_eq!(
        node.call_ok("author_pendingExtrinsics", json!([])).await,
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_extrinsic_is_refused_as_exhausting_the_block() {
    let node = TestNode::start(RpcMethods::Safe).await;
    // Bigger than a block may be (5 MiB), well under the request limit.
    let call = RuntimeCall::System(SystemCall::remark {
        remark: vec![0u8; 6 * 1024 * 1024],
    });
    let xt = extrinsics::encode(&extrinsics::signed(
        call,
        &Sr25519Keyring::Alice.pair(),
        0,
        0,
        node.genesis(),
    ));
    let err = node
        .call_err("author_submitExtrinsic", json!([hex(&xt)]))
        .await;
    assert_eq!(
        err,
        json!({"code": 1010, "message": "Invalid Transaction", "data": "Transaction would exhaust the block limits"})
    );
    assert_eq!(
        node.call_ok("system_health", json!([])).await["peers"],
        json!(0)
    );
}

async fn next_status(sub: &mut Subscription<Value>) -> Value {
    bounded(sub.next())
        .await
        .expect("subscription ended")
        .expect("bad notification")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watched_extrinsic_reports_ready_in_block_finalized_then_ends() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let ws = node.ws().await;
    let tx = node.transfer(0);
    let mut sub: Subscription<Value> = bounded(ws.subscribe(
        "author_submitAndWatchExtrinsic",
        rpc_params![hex(&tx)],
        "author_unwatchExtrinsic",
    ))
    .await
    .unwrap();
    assert_eq!(next_status(&mut sub).await, json!("ready"));
    // Finalized in a second step: the pool handles an import that finalizes at once by
    // racing its import and finality notifications (reported to the pool's owner).
    let block = node.author_block(false).await;
    assert_eq!(
        next_status(&mut sub).await,
        json!({"inBlock": format!("{block:?}")})
    );
    node.client.finalize_block(block, None).unwrap();
    assert_eq!(
        next_status(&mut sub).await,
        json!({"finalized": format!("{block:?}")})
    );
    // Finalized is final: nothing more comes, and the server has closed the subscription.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), sub.next())
            .await
            .is_err(),
        "a notification after finalized"
    );
    let SubscriptionKind::Subscription(id) = sub.kind().clone() else {
        panic!("not a subscription");
    };
    let still_open: bool = request(&ws, "author_unwatchExtrinsic", rpc_params![id])
        .await
        .unwrap();
    assert!(!still_open);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_refuses_bad_extrinsics_with_an_error_and_can_be_unwatched() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let ws = node.ws().await;
    let refused = bounded(ws.subscribe::<Value, _>(
        "author_submitAndWatchExtrinsic",
        rpc_params!["0x00"],
        "author_unwatchExtrinsic",
    ))
    .await;
    match refused {
        Err(ClientError::Call(e)) => assert_eq!(e.code(), 1001),
        other => panic!("expected 1001, got {other:?}"),
    }
    let foreign = extrinsics::encode(&extrinsics::transfer(
        &Sr25519Keyring::Alice.pair(),
        Sr25519Keyring::Bob.to_account_id(),
        1,
        0,
        H256::repeat_byte(1),
    ));
    let refused = bounded(ws.subscribe::<Value, _>(
        "author_submitAndWatchExtrinsic",
        rpc_params![hex(&foreign)],
        "author_unwatchExtrinsic",
    ))
    .await;
    match refused {
        Err(ClientError::Call(e)) => {
            assert_eq!(e.code(), 1010);
            assert_eq!(e.message(), "Invalid Transaction");
        }
        other => panic!("expected 1010, got {other:?}"),
    }

    // A future transaction (nonce gap) is reported as such; unwatching ends it.
    let future = node.transfer(5);
    let mut sub: Subscription<Value> = bounded(ws.subscribe(
        "author_submitAndWatchExtrinsic",
        rpc_params![hex(&future)],
        "author_unwatchExtrinsic",
    ))
    .await
    .unwrap();
    assert_eq!(next_status(&mut sub).await, json!("future"));
    bounded(sub.unsubscribe()).await.unwrap();
    // The connection is still good.
    let name: String = request(&ws, "system_name", rpc_params![]).await.unwrap();
    assert_eq!(name, "echonet-node");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_extrinsic_by_hash_or_bytes() {
    let node = TestNode::start(RpcMethods::Unsafe).await;
    let a = node.transfer(0);
    let b = node.transfer(1);
    node.call_ok("author_submitExtrinsic", json!([hex(&a)]))
        .await;
    node.call_ok("author_submitExtrinsic", json!([hex(&b)]))
        .await;
    let removed = node
        .call_ok("author_removeExtrinsic", json!([[{"extrinsic": hex(&b)}]]))
        .await;
    assert_eq!(removed, json!([tx_hash(&b)]));
    let removed = node
        .call_ok("author_removeExtrinsic", json!([[{"hash": tx_hash(&a)}]]))
        .await;
    assert_eq!(removed, json!([tx_hash(&a)]));
    assert_eq!(
        node.call_ok("author_pendingExtrinsics", json!([])).await,
        json!([])
    );
    // Unknown hashes remove nothing; malformed entries are bad params or bad format.
    assert_eq!(
        node.call_ok("author_removeExtrinsic", json!([[{"hash": tx_hash(&a)}]]))
            .await,
        json!([])
    );
    let err = node
        .call_err("author_removeExtrinsic", json!([[{"hash": "0x12"}]]))
        .await;
    assert_eq!(err["code"], json!(-32602));
    let err = node
        .call_err("author_removeExtrinsic", json!([["0x12"]]))
        .await;
    assert_eq!(err["code"], json!(-32602));
    let err = node
        .call_err("author_removeExtrinsic", json!([[{"extrinsic": "0x00"}]]))
        .await;
    assert_eq!(err["code"], json!(1001));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_keys_rotate_into_the_keystore() {
    let node = TestNode::start(RpcMethods::Unsafe).await;
    let keys = unhex(&node.call_ok("author_rotateKeys", json!([])).await);
    assert_eq!(
        keys.len(),
        64,
        "Aura sr25519 and GRANDPA ed25519 public keys"
    );
    assert_eq!(
        node.call_ok("author_hasSessionKeys", json!([hex(&keys)]))
            .await,
        json!(true)
    );
    let aura = &keys[..32];
    let grandpa = &keys[32..];
    assert_eq!(
        node.call_ok("author_hasKey", json!([hex(aura), "aura"]))
            .await,
        json!(true)
    );
    assert_eq!(
        node.call_ok("author_hasKey", json!([hex(grandpa), "gran"]))
            .await,
        json!(true)
    );
    assert_eq!(
        node.call_ok("author_hasKey", json!([hex(grandpa), "aura"]))
            .await,
        json!(false)
    );
    // Keys we do not hold.
    assert_eq!(
        node.call_ok("author_hasSessionKeys", json!([hex(&[9u8; 64])]))
            .await,
        json!(false)
    );
    let err = node
        .call_err("author_hasSessionKeys", json!(["0x01"]))
        .await;
    assert_eq!(
        err,
        json!({"code": 1040, "message": "Session keys are not encoded correctly"})
    );
    let err = node
        .call_err("author_hasKey", json!([hex(aura), "toolong"]))
        .await;
    assert_eq!(
        err,
        json!({"code": 1040, "message": "Invalid key type ID format (should be of length four)"})
    );

    // A key put in by hand.
    let ferdie = Sr25519Keyring::Ferdie.pair().public();
    assert_eq!(
        node.call_ok("author_hasKey", json!([hex(ferdie.as_ref()), "aura"]))
            .await,
        json!(false)
    );
    assert_eq!(
        node.call_ok(
            "author_insertKey",
            json!(["aura", "//Ferdie", hex(ferdie.as_ref())])
        )
        .await,
        Value::Null
    );
    assert_eq!(
        node.call_ok("author_hasKey", json!([hex(ferdie.as_ref()), "aura"]))
            .await,
        json!(true)
    );
    assert!(sp_keystore::Keystore::has_keys(
        &*node.keystore,
        &[(ferdie.to_vec(), KeyTypeId(*b"aura"))]
    ));
    let err = node
        .call_err(
            "author_insertKey",
            json!(["aur", "//Ferdie", hex(ferdie.as_ref())]),
        )
        .await;
    assert_eq!(err["code"], json!(1040));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsafe_methods_are_refused_when_serving_safe_ones() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let tx = node.transfer(0);
    let key = hex(Sr25519Keyring::Alice.pair().public().as_ref());
    for (method, params) in [
        ("author_rotateKeys", json!([])),
        ("author_insertKey", json!(["aura", "//Alice", key])),
        ("author_hasKey", json!([key, "aura"])),
        ("author_hasSessionKeys", json!([hex(&[0u8; 64])])),
        ("author_removeExtrinsic", json!([[{"hash": tx_hash(&tx)}]])),
        ("system_peers", json!([])),
    ] {
        let err = node.call_err(method, params).await;
        assert_eq!(
            err,
            json!({"code": -32601, "message": "RPC call is unsafe to be called externally"}),
            "{method}"
        );
    }
    // Nothing was written.
    assert!(
        sp_keystore::Keystore::keys(&*node.keystore, KeyTypeId(*b"aura"))
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_queries_give_weight_class_and_fees() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let tx = node.transfer(0);
    let info = node.call_ok("payment_queryInfo", json!([hex(&tx)])).await;
    assert_eq!(info["class"], json!("normal"));
    // sp-weights' serde, as Substrate serves it: snake_case fields.
    assert!(info["weight"]["ref_time"].as_u64().unwrap() > 0, "{info}");
    assert!(info["weight"]["proof_size"].is_u64(), "{info}");
    let partial: u128 = info["partialFee"]
        .as_str()
        .expect("partialFee is a string")
        .parse()
        .unwrap();
    assert!(partial > 0);
    let at = format!("{:?}", node.genesis());
    assert_eq!(
        node.call_ok("payment_queryInfo", json!([hex(&tx), at]))
            .await,
        info
    );

    let details = node
        .call_ok("payment_queryFeeDetails", json!([hex(&tx)]))
        .await;
    let fee = &details["inclusionFee"];
    let part = |name: &str| {
        u128::from_str_radix(fee[name].as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    };
    assert_eq!(
        part("baseFee") + part("lenFee") + part("adjustedWeightFee"),
        partial
    );
    assert!(
        details.get("tip").is_none(),
        "Substrate does not serialize the tip"
    );

    let err = node.call_err("payment_queryInfo", json!(["0x00"])).await;
    assert_eq!(err["code"], json!(2));
    assert_eq!(err["message"], json!("Unable to query dispatch info."));
    let err = node
        .call_err("payment_queryFeeDetails", json!(["0x00"]))
        .await;
    assert_eq!(err["code"], json!(2));
    assert_eq!(err["message"], json!("Unable to query fee details."));
    let unknown = format!("{:?}", H256::repeat_byte(3));
    let err = node
        .call_err("payment_queryInfo", json!([hex(&tx), unknown]))
        .await;
    assert_eq!(err["code"], json!(1));
    let err = node.call_err("payment_queryInfo", json!([42])).await;
    assert_eq!(err["code"], json!(-32602));
}

#[test]
fn extrinsics_are_submitted_as_their_scale_encoding() {
    let xt = extrinsics::transfer(
        &Sr25519Keyring::Alice.pair(),
        Sr25519Keyring::Bob.to_account_id(),
        1,
        0,
        H256::zero(),
    );
    assert_eq!(extrinsics::encode(&xt), xt.encode());
}
