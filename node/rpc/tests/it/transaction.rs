//! `transaction_v1_*`: a broadcast runs until its transaction is finalized (or stopped),
//! and answers nothing about validity.

use crate::common::*;
use echonet_rpc::{
    transaction::{Transaction, TransactionApiServer},
    RpcMethods,
};
use echonet_test_utils::wait_for;
use jsonrpsee::{rpc_params, RpcModule};
use serde_json::{json, Value};

/// The methods in-process, with a handle that sees their running operations.
fn methods(node: &TestNode) -> (Transaction, RpcModule<Transaction>) {
    let api = Transaction::new(node.client.clone(), node.pool.clone());
    (api.clone(), api.into_rpc())
}

async fn wait_until_none_running(api: &Transaction) {
    wait_for("every broadcast to end", TIMEOUT, || api.running() == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_submits_until_finalized_then_ends() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let (api, module) = methods(&node);
    let tx = node.transfer(0);
    let id: String = bounded(module.call("transaction_v1_broadcast", rpc_params![hex(&tx)]))
        .await
        .unwrap();
    assert_eq!(id.len(), 16, "{id}");
    assert_eq!(api.running(), 1);

    // The pool has it (and gossips it)...
    let (pending, expected) = (&node, json!([hex(&tx)]));
    echonet_test_utils::wait_until_within("the broadcast to reach the pool", TIMEOUT, || {
        let expected = &expected;
        async move {
            (pending.call_ok("author_pendingExtrinsics", json!([])).await == *expected)
                .then_some(())
        }
    })
    .await;
    // ...a block includes it but is not final: still running...
    node.author_block(false).await;
    let alice = sp_keyring::Sr25519Keyring::Alice.to_account_id();
    assert_eq!(
        node.call_ok("system_accountNextIndex", json!([alice.to_string()]))
            .await,
        json!(1)
    );
    assert_eq!(api.running(), 1);
    // ...and once a block on top finalizes it, the operation ends by itself.
    node.author_block(true).await;
    wait_until_none_running(&api).await;
    let err = bounded(module.call::<_, Value>("transaction_v1_stop", rpc_params![id]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Invalid operation id"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_ends_a_broadcast_and_bad_input_gets_errors() {
    let node = TestNode::start(RpcMethods::Safe).await;
    // Over the server: a transaction that waits for an earlier nonce keeps its broadcast
    // running until it is stopped.
    let waiting = node.transfer(3);
    let id = node
        .call_ok("transaction_v1_broadcast", json!([hex(&waiting)]))
        .await;
    assert_eq!(
        node.call_ok("transaction_v1_stop", json!([id])).await,
        Value::Null
    );
    let err = node.call_err("transaction_v1_stop", json!([id])).await;
    assert_eq!(
        err,
        json!({"code": -32602, "message": "Invalid operation id"})
    );
    let err = node.call_err("transaction_v1_stop", json!([42])).await;
    assert_eq!(err["code"], json!(-32602));
    let err = node
        .call_err("transaction_v1_broadcast", json!(["0xzz"]))
        .await;
    assert_eq!(err["code"], json!(-32602));

    // The spec does not report validity: bytes that are no transaction still get an id,
    // and the operation ends on its own.
    let (api, module) = methods(&node);
    let id: Option<String> = bounded(module.call("transaction_v1_broadcast", rpc_params!["0x00"]))
        .await
        .unwrap();
    assert!(id.is_some());
    wait_until_none_running(&api).await;
}

/// The fixture's author takes the pool's ready set right after the previous import, as a
/// test does that authors blocks back to back. It must wait until the pool has processed
/// that import: taken earlier, the ready set still holds the previous block's transaction,
/// and pushing it again fails as `Invalid(Stale)` (seen on a loaded machine in
/// `broadcast_submits_until_finalized_then_ends`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_authored_back_to_back_never_repeat_an_included_transaction() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let alice = sp_keyring::Sr25519Keyring::Alice.to_account_id();
    for nonce in 0..20 {
        node.pool.submit_one(node.transfer(nonce)).await.unwrap();
        let with_transfer = node.author_block(false).await;
        // At once on top: the transfer is in the chain now, not for the next block.
        let after = node.author_block(false).await;
        let body = |block| node.client.body(block).unwrap().unwrap().len();
        assert_eq!(
            body(with_transfer),
            2,
            "block {nonce}: the timestamp and the transfer"
        );
        assert_eq!(
            body(after),
            1,
            "the block after {nonce}: the timestamp only"
        );
        assert_eq!(
            node.call_ok("system_accountNextIndex", json!([alice.to_string()]))
                .await,
            json!(nonce + 1)
        );
    }
}
