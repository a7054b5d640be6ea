//! Extrinsics that attack the decoder (issue 11, item 1), sent by an RPC client to every
//! method that decodes one: a call nested 100,000 deep gets an error instead of
//! overflowing the stack (which would abort this test binary), the server answers the
//! next call, and a length prefix claiming 4 GiB is refused. `Utility.batch` (issue 14),
//! which any account can nest, gets the same treatment.

use crate::common::*;
use codec::{Compact, Encode};
use echonet_rpc::RpcMethods;
use echonet_test_utils::{
    deep_batch_extrinsic, deep_sudo_extrinsic, with_claimed_length, NewBlock, ATTACK_DEPTH,
};
use jsonrpsee::{
    core::client::{Subscription, SubscriptionClientT},
    rpc_params,
};
use serde_json::{json, Value};
use sp_runtime::{
    traits::{BlakeTwo256, Hash as _},
    transaction_validity::TransactionSource,
    StateVersion,
};

/// Each call that takes an extrinsic, with `xt` in it: (method, params).
fn calls_with(node: &TestNode, xt: &[u8]) -> Vec<(&'static str, Value)> {
    let genesis = node.genesis();
    let mut validate = TransactionSource::External.encode();
    validate.extend_from_slice(xt);
    validate.extend_from_slice(genesis.as_bytes());
    // A block on genesis as its author would start it (pre-digest, inherents), with the
    // attack after the inherents: `Core_execute_block` decodes it after initialising.
    // The body is encoded by hand: the lying prefixes do not even decode as bytes.
    let mut block = NewBlock::new(&node.client, echonet_test_utils::past_slot(20_000)).build();
    let mut bodies: Vec<Vec<u8>> = block.body.iter().map(Encode::encode).collect();
    bodies.push(xt.to_vec());
    block.header.extrinsics_root = BlakeTwo256::ordered_trie_root(bodies.clone(), StateVersion::V1);
    let mut encoded_block = block.header.encode();
    Compact(bodies.len() as u32).encode_to(&mut encoded_block);
    encoded_block.extend(bodies.concat());
    vec![
        ("author_submitExtrinsic", json!([hex(xt)])),
        ("payment_queryInfo", json!([hex(xt)])),
        ("payment_queryFeeDetails", json!([hex(xt)])),
        ("system_dryRun", json!([hex(xt)])),
        (
            "state_call",
            json!([
                "TaggedTransactionQueue_validate_transaction",
                hex(&validate)
            ]),
        ),
        (
            "state_call",
            json!(["BlockBuilder_apply_extrinsic", hex(xt)]),
        ),
        (
            "state_call",
            json!(["Core_execute_block", hex(&encoded_block)]),
        ),
    ]
}

/// `method` refuses `xt` with an error, and the server answers the next call.
async fn assert_refused(node: &TestNode, method: &str, params: Value) {
    let err = node.call_err(method, params.clone()).await;
    assert!(err["code"].is_i64(), "{method} {}: {err}", params[0]);
    let health = node.call_ok("system_health", json!([])).await;
    assert!(health.is_object(), "after {method}: {health}");
}

/// `author_submitAndWatchExtrinsic` refuses `xt`, and the server answers the next call.
async fn assert_watch_refused(node: &TestNode, xt: &[u8]) {
    let ws = node.ws().await;
    let watched: Result<Subscription<Value>, _> = bounded(ws.subscribe(
        "author_submitAndWatchExtrinsic",
        rpc_params![hex(xt)],
        "author_unwatchExtrinsic",
    ))
    .await;
    assert!(
        watched.is_err(),
        "author_submitAndWatchExtrinsic accepted it"
    );
    let health = node.call_ok("system_health", json!([])).await;
    assert!(health.is_object());
}

/// Every method refuses `xt` with an error, and the server answers a call after each.
async fn assert_refused_everywhere(node: &TestNode, xt: &[u8]) {
    for (method, params) in calls_with(node, xt) {
        assert_refused(node, method, params).await;
    }
    assert_watch_refused(node, xt).await;
    assert_eq!(node.pool.status().ready, 0);
}

/// One method alone against the 100k-deep nesting: the call at `index` of [`calls_with`].
async fn deep_refused_by(index: usize) {
    let node = TestNode::start(RpcMethods::Unsafe).await;
    let deep = deep_sudo_extrinsic(node.genesis(), ATTACK_DEPTH, 0);
    let (method, params) = calls_with(&node, &deep).swap_remove(index);
    assert_refused(&node, method, params).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_author_submit_extrinsic() {
    deep_refused_by(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_payment_query_info() {
    deep_refused_by(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_payment_query_fee_details() {
    deep_refused_by(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_system_dry_run() {
    deep_refused_by(3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_state_call_validate_transaction() {
    deep_refused_by(4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_state_call_apply_extrinsic() {
    deep_refused_by(5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_state_call_execute_block() {
    deep_refused_by(6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_author_submit_and_watch_extrinsic() {
    let node = TestNode::start(RpcMethods::Unsafe).await;
    let deep = deep_sudo_extrinsic(node.genesis(), ATTACK_DEPTH, 0);
    assert_watch_refused(&node, &deep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_nested_100k_deep_gets_an_error_from_every_method_and_the_node_serves_on() {
    let node = TestNode::start(RpcMethods::Unsafe).await;
    let deep = deep_sudo_extrinsic(node.genesis(), ATTACK_DEPTH, 0);
    assert_refused_everywhere(&node, &deep).await;
    // And the chain goes on with honest transactions.
    let tx = node.transfer(0);
    node.call_ok("author_submitExtrinsic", json!([hex(&tx)]))
        .await;
    node.author_block(true).await;
    assert_eq!(node.client.info().best_number, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn length_prefix_claiming_4_gib_gets_an_error_from_every_method() {
    let node = TestNode::start(RpcMethods::Unsafe).await;
    let lying = with_claimed_length(&node.transfer(0), u32::MAX);
    assert_refused_everywhere(&node, &lying).await;
}

/// On the node's threads (16 MiB of stack), as the batch nesting below.
#[test]
fn sudo_nested_200_deep_is_answered_and_included() {
    echonet_test_utils::on_node_threads(|| {
        nested_200_deep_is_answered_and_included(deep_sudo_extrinsic)
    });
}

/// `nest(genesis, 200, nonce 0)` is priced, dry-run, submitted and included in the next
/// block, all over RPC.
async fn nested_200_deep_is_answered_and_included(nest: fn(sp_core::H256, usize, u32) -> Vec<u8>) {
    let node = TestNode::start(RpcMethods::Unsafe).await;
    let xt = nest(node.genesis(), 200, 0);
    let info = node.call_ok("payment_queryInfo", json!([hex(&xt)])).await;
    assert!(
        info["partialFee"].is_string() || info["partialFee"].is_number(),
        "{info}"
    );
    node.call_ok("system_dryRun", json!([hex(&xt)])).await;
    let hash = node
        .call_ok("author_submitExtrinsic", json!([hex(&xt)]))
        .await;
    assert_eq!(hash, json!(format!("{:?}", BlakeTwo256::hash(&xt))));
    node.author_block(true).await;
    let block = node.call_ok("chain_getBlock", json!([])).await;
    let extrinsics = block["block"]["extrinsics"].as_array().unwrap().clone();
    assert!(
        extrinsics.contains(&json!(hex(&xt))),
        "the nesting is in the block"
    );
}

/// `state_call` input for `TransactionPaymentCallApi_*`: a bare call and its length.
fn call_api_input(call: &[u8]) -> String {
    let mut input = call.to_vec();
    (call.len() as u32).encode_to(&mut input);
    hex(&input)
}

/// The fee APIs of a bare call decode a `RuntimeCall`, not an extrinsic: the call nested
/// 100,000 deep overflowed the stack there too.
async fn deep_call_refused_by(method: &str) {
    let node = TestNode::start(RpcMethods::Unsafe).await;
    let deep = echonet_test_utils::nested_sudo(ATTACK_DEPTH, &echonet_test_utils::remark_call());
    assert_refused(&node, "state_call", json!([method, call_api_input(&deep)])).await;
    // 200 deep is an honest nesting and is answered.
    let fine = echonet_test_utils::nested_sudo(200, &echonet_test_utils::remark_call());
    let answer = node
        .call_ok("state_call", json!([method, call_api_input(&fine)]))
        .await;
    assert!(!unhex(&answer).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_state_call_query_call_info() {
    deep_call_refused_by("TransactionPaymentCallApi_query_call_info").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_state_call_query_call_fee_details() {
    deep_call_refused_by("TransactionPaymentCallApi_query_call_fee_details").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_nested_100k_deep_gets_an_error_from_every_method_and_the_node_serves_on() {
    let node = TestNode::start(RpcMethods::Unsafe).await;
    for depth in [
        ATTACK_DEPTH,
        echonet_runtime::MAX_EXTRINSIC_DEPTH as usize + 1,
    ] {
        let deep = deep_batch_extrinsic(node.genesis(), depth, 0);
        assert_refused_everywhere(&node, &deep).await;
    }
    let tx = node.transfer(0);
    node.call_ok("author_submitExtrinsic", json!([hex(&tx)]))
        .await;
    node.author_block(true).await;
    assert_eq!(node.client.info().best_number, 1);
}

/// Answered and executed on the node's threads (16 MiB of stack; the 200 levels take
/// about 4 MiB in a debug build, more than a test thread's 2 MiB).
#[test]
fn batch_nested_200_deep_is_answered_and_included() {
    echonet_test_utils::on_node_threads(|| {
        nested_200_deep_is_answered_and_included(deep_batch_extrinsic)
    });
}
