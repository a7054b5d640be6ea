//! `chain_*`: shapes, aliases, parameter forms, unknown blocks, and head subscriptions.

use crate::common::*;
use codec::{Decode, Encode};
use echonet_rpc::RpcMethods;
use jsonrpsee::{core::client::SubscriptionClientT, rpc_params};
use serde_json::{json, Value};
use sp_core::H256;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_and_block_have_substrates_json() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let tx = node.transfer(0);
    let hash = node.author_block_with(vec![tx.clone()], true).await;
    let header = node.client.header(hash).unwrap().unwrap();

    let json_header = node
        .call_ok("chain_getHeader", json!([format!("{hash:?}")]))
        .await;
    let logs: Vec<Value> = header
        .digest
        .logs
        .iter()
        .map(|l| json!(hex(&l.encode())))
        .collect();
    assert_eq!(
        json_header,
        json!({
            "parentHash": format!("{:?}", header.parent_hash),
            "number": "0x1",
            "stateRoot": format!("{:?}", header.state_root),
            "extrinsicsRoot": format!("{:?}", header.extrinsics_root),
            "digest": {"logs": logs},
        })
    );
    assert_eq!(logs.len(), 3, "Aura pre-digest, VRF pre-digest and seal");
    // No hash: the best block, which this is.
    assert_eq!(
        node.call_ok("chain_getHeader", json!([])).await,
        json_header
    );
    assert_eq!(
        node.call_ok("chain_getHeader", json!([null])).await,
        json_header
    );

    let block = node
        .call_ok("chain_getBlock", json!([format!("{hash:?}")]))
        .await;
    assert_eq!(block["block"]["header"], json_header);
    assert_eq!(block["justifications"], Value::Null);
    let extrinsics = block["block"]["extrinsics"].as_array().unwrap();
    assert_eq!(extrinsics.len(), 2, "timestamp and the transfer");
    // Each is the extrinsic's full SCALE encoding, as submitted.
    assert_eq!(extrinsics[1], json!(hex(&tx)));
    assert_eq!(node.call_ok("chain_getBlock", json!([])).await, block);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_carries_stored_justifications() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let hash = node.author_block(false).await;
    node.client
        .finalize_block(hash, Some((*b"FRNK", vec![1, 2, 3])))
        .unwrap();
    let block = node
        .call_ok("chain_getBlock", json!([format!("{hash:?}")]))
        .await;
    // sp-runtime's serde, which Substrate serves: engine id and payload as byte arrays.
    assert_eq!(
        block["justifications"],
        json!([[[70, 82, 78, 75], [1, 2, 3]]])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_blocks_are_null_and_bad_hashes_are_invalid_params() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let unknown = format!("{:?}", H256::repeat_byte(0xab));
    assert_eq!(
        node.call_ok("chain_getHeader", json!([unknown])).await,
        Value::Null
    );
    assert_eq!(
        node.call_ok("chain_getBlock", json!([unknown])).await,
        Value::Null
    );
    for bad in [
        json!("0x1234"),
        json!("zz"),
        json!(7),
        json!({"a": 1}),
        json!(format!("0x{}", "g".repeat(64))),
    ] {
        for method in ["chain_getHeader", "chain_getBlock"] {
            let err = node.call_err(method, json!([bad])).await;
            assert_eq!(err["code"], json!(-32602), "{method}({bad}): {err}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_hash_takes_numbers_hex_null_and_lists() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let genesis = format!("{:?}", node.genesis());
    let b1 = format!("{:?}", node.author_block(true).await);
    let b2 = format!("{:?}", node.author_block(false).await);

    assert_eq!(
        node.call_ok("chain_getBlockHash", json!([])).await,
        json!(b2)
    );
    assert_eq!(
        node.call_ok("chain_getBlockHash", json!([null])).await,
        json!(b2)
    );
    assert_eq!(
        node.call_ok("chain_getBlockHash", json!([0])).await,
        json!(genesis)
    );
    assert_eq!(
        node.call_ok("chain_getBlockHash", json!([1])).await,
        json!(b1)
    );
    assert_eq!(
        node.call_ok("chain_getBlockHash", json!(["0x2"])).await,
        json!(b2)
    );
    assert_eq!(
        node.call_ok("chain_getBlockHash", json!([3])).await,
        Value::Null
    );
    assert_eq!(
        node.call_ok("chain_getBlockHash", json!([[0, "0x1", 2, 99, null]]))
            .await,
        json!([genesis, b1, b2, null, b2])
    );
    assert_eq!(
        node.call_ok("chain_getBlockHash", json!([[]])).await,
        json!([])
    );
    assert_eq!(node.call_ok("chain_getHead", json!([1])).await, json!(b1));

    let err = node.call_err("chain_getBlockHash", json!([u64::MAX])).await;
    assert_eq!(err["code"], json!(3001));
    assert!(
        err["message"].as_str().unwrap().contains("u32::MAX"),
        "{err}"
    );
    let err = node
        .call_err("chain_getBlockHash", json!(["0x1000000000"]))
        .await;
    assert_eq!(err["code"], json!(3001));
    for bad in [
        json!("xyz"),
        json!(-1),
        json!(1.5),
        json!(true),
        json!({"n": 1}),
    ] {
        let err = node.call_err("chain_getBlockHash", json!([bad])).await;
        assert_eq!(err["code"], json!(-32602), "{bad}: {err}");
    }

    assert_eq!(
        node.call_ok("chain_getFinalizedHead", json!([])).await,
        json!(b1)
    );
    assert_eq!(
        node.call_ok("chain_getFinalisedHead", json!([])).await,
        json!(b1)
    );
}

async fn next_header(sub: &mut jsonrpsee::core::client::Subscription<Value>) -> Value {
    bounded(sub.next())
        .await
        .expect("subscription ended")
        .expect("bad notification")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_heads_sends_the_best_head_then_each_new_best() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let b1 = node.author_block(true).await;
    let ws = node.ws().await;
    for (sub_name, unsub_name) in [
        ("chain_subscribeNewHeads", "chain_unsubscribeNewHeads"),
        ("subscribe_newHead", "unsubscribe_newHead"),
        ("chain_subscribeNewHead", "chain_unsubscribeNewHead"),
    ] {
        let mut sub: jsonrpsee::core::client::Subscription<Value> =
            bounded(ws.subscribe(sub_name, rpc_params![], unsub_name))
                .await
                .unwrap();
        let first = next_header(&mut sub).await;
        assert_eq!(
            first["number"],
            json!(format!("{:#x}", node.client.info().best_number))
        );
        let best = node.client.info().best_hash;
        let header = node.client.header(best).unwrap().unwrap();
        assert_eq!(
            first["parentHash"],
            json!(format!("{:?}", header.parent_hash))
        );
        let next = node.author_block(false).await;
        let update = next_header(&mut sub).await;
        let next_header_ = node.client.header(next).unwrap().unwrap();
        assert_eq!(
            update["stateRoot"],
            json!(format!("{:?}", next_header_.state_root))
        );
        assert_eq!(update["parentHash"], json!(format!("{best:?}")));
        bounded(sub.unsubscribe()).await.unwrap();
    }
    let _ = b1;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalized_heads_follow_finality_and_all_heads_see_forks() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let ws = node.ws().await;
    let mut finalized: jsonrpsee::core::client::Subscription<Value> = bounded(ws.subscribe(
        "chain_subscribeFinalizedHeads",
        rpc_params![],
        "chain_unsubscribeFinalizedHeads",
    ))
    .await
    .unwrap();
    let mut finalised: jsonrpsee::core::client::Subscription<Value> = bounded(ws.subscribe(
        "chain_subscribeFinalisedHeads",
        rpc_params![],
        "chain_unsubscribeFinalisedHeads",
    ))
    .await
    .unwrap();
    let mut all: jsonrpsee::core::client::Subscription<Value> = bounded(ws.subscribe(
        "chain_subscribeAllHeads",
        rpc_params![],
        "chain_unsubscribeAllHeads",
    ))
    .await
    .unwrap();
    // The current heads first: genesis for all three.
    for sub in [&mut finalized, &mut finalised, &mut all] {
        assert_eq!(next_header(sub).await["number"], json!("0x0"));
    }
    let b1 = node.author_block(false).await;
    assert_eq!(next_header(&mut all).await["number"], json!("0x1"));
    node.client.finalize_block(b1, None).unwrap();
    for sub in [&mut finalized, &mut finalised] {
        let h = next_header(sub).await;
        assert_eq!(h["number"], json!("0x1"));
        let header = node.client.header(b1).unwrap().unwrap();
        assert_eq!(h["stateRoot"], json!(format!("{:?}", header.state_root)));
    }
    // Blocks that are not finalized reach allHeads too.
    let b2 = node.author_block(false).await;
    assert_eq!(next_header(&mut all).await["number"], json!("0x2"));
    let _ = b2;
    bounded(all.unsubscribe()).await.unwrap();
    bounded(finalized.unsubscribe()).await.unwrap();
    bounded(finalised.unsubscribe()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribing_twice_is_false_and_subscriptions_need_websocket() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let ws = node.ws().await;
    let mut sub: jsonrpsee::core::client::Subscription<Value> = bounded(ws.subscribe(
        "chain_subscribeNewHeads",
        rpc_params![],
        "chain_unsubscribeNewHeads",
    ))
    .await
    .unwrap();
    next_header(&mut sub).await;
    let id = match sub.kind() {
        jsonrpsee::core::client::SubscriptionKind::Subscription(id) => id.clone(),
        other => panic!("not a subscription: {other:?}"),
    };
    let id_json = serde_json::to_value(&id).unwrap();
    let ok: bool = request(
        &ws,
        "chain_unsubscribeNewHeads",
        rpc_params![id_json.clone()],
    )
    .await
    .unwrap();
    assert!(ok);
    let again: bool = request(&ws, "chain_unsubscribeNewHeads", rpc_params![id_json])
        .await
        .unwrap();
    assert!(!again);

    // Over plain HTTP a subscription is an error, not a hang.
    let resp = node.raw_call("chain_subscribeNewHeads", json!([])).await;
    assert!(resp.get("error").is_some(), "{resp}");
}

#[test]
fn header_json_round_trips_through_sp_runtime() {
    // The hex number format is what polkadot-js parses; check the serde impl we rely on.
    let header = echonet_runtime::Header {
        parent_hash: H256::repeat_byte(1),
        number: 26,
        state_root: H256::repeat_byte(2),
        extrinsics_root: H256::repeat_byte(3),
        digest: Default::default(),
    };
    let v = serde_json::to_value(&header).unwrap();
    assert_eq!(v["number"], json!("0x1a"));
    let back: echonet_runtime::Header = serde_json::from_value(v).unwrap();
    assert_eq!(back, header);
    let _ = echonet_runtime::Header::decode(&mut &header.encode()[..]).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_falls_behind_catches_up_with_the_newest_head() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let module = echonet_rpc::rpc_module(node.deps.clone(), RpcMethods::Safe);
    // A buffer of one notification, not read while blocks are imported: the
    // subscription's task blocks on sending, and the client's notification channel
    // (1024 deep) overflows under it.
    let mut sub = bounded(module.subscribe("chain_subscribeNewHeads", rpc_params![], 1))
        .await
        .unwrap();
    let (first, _): (Value, _) = bounded(sub.next()).await.unwrap().unwrap();
    assert_eq!(first["number"], json!("0x0"));
    const BLOCKS: u64 = 1100;
    let last = node.author_empty_blocks(BLOCKS).await;
    let newest = json!(format!("{BLOCKS:#x}"));
    let mut received = 0u64;
    loop {
        let (header, _): (Value, _) = bounded(sub.next())
            .await
            .expect("subscription ended")
            .unwrap();
        received += 1;
        if header["number"] == newest {
            let expected = node.client.header(last).unwrap().unwrap();
            assert_eq!(
                header["stateRoot"],
                json!(format!("{:?}", expected.state_root))
            );
            break;
        }
    }
    assert!(
        received < BLOCKS,
        "got all {received} heads: the subscription never lagged, so this test tested nothing"
    );
    // Still alive after catching up.
    let next = node.author_block(false).await;
    let (header, _): (Value, _) = bounded(sub.next()).await.unwrap().unwrap();
    assert_eq!(header["number"], json!(format!("{:#x}", BLOCKS + 1)));
    let _ = next;
}

/// `chain_getBlockHash` with a list answers each height with a database read: the list is
/// bounded, so a 15 MiB request cannot ask for millions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_hash_lists_longer_than_the_limit_are_refused() {
    use echonet_rpc::chain::MAX_BLOCK_HASH_LIST;
    let node = TestNode::start(RpcMethods::Safe).await;
    let heights: Vec<u32> = (0..MAX_BLOCK_HASH_LIST as u32 + 1).collect();
    let err = node.call_err("chain_getBlockHash", json!([heights])).await;
    assert_eq!(err["code"], json!(3001), "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains(&format!("at most {MAX_BLOCK_HASH_LIST}")),
        "{err}"
    );
    let hashes = node
        .call_ok(
            "chain_getBlockHash",
            json!([heights[..MAX_BLOCK_HASH_LIST]]),
        )
        .await;
    let hashes = hashes.as_array().unwrap();
    assert_eq!(hashes.len(), MAX_BLOCK_HASH_LIST);
    assert_eq!(hashes[0], json!(format!("{:?}", node.genesis())));
    assert_eq!(hashes[1], Value::Null);
}
