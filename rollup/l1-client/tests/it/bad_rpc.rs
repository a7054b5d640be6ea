//! A fake node that answers with malformed data: every answer becomes a typed `L1Error`,
//! never a panic or a wrong value.

use echonet_rollup_l1::{At, L1Client, L1Config, L1Error};
use jsonrpsee::server::{RpcModule, Server};
use serde_json::{json, Value};
use std::time::Duration;

/// Starts a fake node whose methods answer with the given JSON; returns its ws:// URL.
async fn fake_node(
    answers: Vec<(&'static str, Value)>,
) -> (String, jsonrpsee::server::ServerHandle) {
    let server = Server::builder()
        .build("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = server.local_addr().expect("local addr");
    let mut module = RpcModule::new(());
    for (method, answer) in answers {
        module
            .register_method(method, move |_, _, _| answer.clone())
            .expect("register");
    }
    (format!("ws://{addr}"), server.start(module))
}

const GENESIS: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";

fn config() -> L1Config {
    L1Config {
        request_timeout: Duration::from_secs(5),
        reconnect_timeout: Duration::from_secs(1),
        ..L1Config::default()
    }
}

#[tokio::test]
async fn malformed_answers_are_typed_errors() {
    let (url, handle) = fake_node(vec![
        ("chain_getBlockHash", json!(GENESIS)),
        // A finalized head that is not a hash.
        ("chain_getFinalizedHead", json!(12)),
        // A header whose number does not fit a u32.
        (
            "chain_getHeader",
            json!({"number": "0x1ffffffff", "parentHash": GENESIS}),
        ),
        // Storage: not hex.
        ("state_getStorage", json!("0xzz")),
        ("system_accountNextIndex", json!("seven")),
        ("chain_getBlock", json!({"block": {"extrinsics": "nope"}})),
    ])
    .await;
    let l1 = L1Client::connect_with(&url, config())
        .await
        .expect("connects");
    assert_eq!(format!("{:?}", l1.genesis_hash()), GENESIS);

    let e = l1.finalized_head().await.unwrap_err();
    assert!(
        matches!(
            e,
            L1Error::BadResponse {
                method: "chain_getFinalizedHead",
                ..
            }
        ),
        "{e}"
    );
    let e = l1.best_head().await.unwrap_err();
    assert!(
        matches!(
            e,
            L1Error::BadResponse {
                method: "chain_getHeader",
                ..
            }
        ),
        "{e}"
    );
    let h = sp_core::H256::repeat_byte(1);
    let e = l1.storage(b"k", h).await.unwrap_err();
    assert!(
        matches!(
            e,
            L1Error::BadResponse {
                method: "state_getStorage",
                ..
            }
        ),
        "{e}"
    );
    let who = sp_keyring::Sr25519Keyring::Bob.to_account_id();
    let e = l1.next_nonce(&who).await.unwrap_err();
    assert!(matches!(e, L1Error::BadResponse { .. }), "{e}");
    let e = l1.block_extrinsics(h).await.unwrap_err();
    assert!(
        matches!(
            e,
            L1Error::BadResponse {
                method: "chain_getBlock",
                ..
            }
        ),
        "{e}"
    );
    let e = l1.bridge_view(At::Hash(h)).await.unwrap_err();
    assert!(matches!(e, L1Error::BadResponse { .. }), "{e}");
    handle.stop().expect("stop");
}

#[tokio::test]
async fn storage_that_does_not_decode_is_a_decode_error() {
    // Every storage read answers one byte: too short for a u64 root, a deposit, an account.
    let (url, handle) = fake_node(vec![
        ("chain_getBlockHash", json!(GENESIS)),
        ("chain_getFinalizedHead", json!(GENESIS)),
        (
            "chain_getHeader",
            json!({"number": "0x5", "parentHash": GENESIS}),
        ),
        ("state_getStorage", json!("0x01")),
    ])
    .await;
    let l1 = L1Client::connect_with(&url, config())
        .await
        .expect("connects");
    let e = l1.bridge_view(At::Finalized).await.unwrap_err();
    assert!(matches!(e, L1Error::Decode { .. }), "{e}");
    let e = l1
        .deposits_at(sp_core::H256::repeat_byte(1), 0, 1)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, L1Error::Decode { what, .. } if what.contains("DepositQueue(0)")),
        "{e}"
    );
    let e = l1.finalized_deposits(0, 10).await.unwrap_err();
    assert!(matches!(e, L1Error::Decode { .. }), "{e}");
    handle.stop().expect("stop");
}

#[tokio::test]
async fn a_deposit_range_past_u64_max_is_an_error_not_a_short_list() {
    // A queue head near u64::MAX (what a hostile node may report, e.g. during a rebuild):
    // asking for deposits past the end of u64 must fail, not return fewer than asked.
    let (url, handle) = fake_node(vec![("chain_getBlockHash", json!(GENESIS))]).await;
    let l1 = L1Client::connect_with(&url, config())
        .await
        .expect("connects");
    let at = sp_core::H256::repeat_byte(1);
    for (from, count) in [(u64::MAX, 1), (u64::MAX - 1, 5)] {
        let r = l1.deposits_at(at, from, count).await;
        assert!(
            matches!(r, Err(L1Error::Inconsistent(_))),
            "{from}+{count}: {r:?}"
        );
    }
    handle.stop().expect("stop");
}

#[tokio::test]
async fn an_unreachable_node_is_reported_after_the_reconnect_timeout() {
    let (url, handle) = fake_node(vec![("chain_getBlockHash", json!(GENESIS))]).await;
    let l1 = L1Client::connect_with(&url, config())
        .await
        .expect("connects");
    handle.stop().expect("stop");
    handle.stopped().await;
    let started = std::time::Instant::now();
    let e = l1.block_hash(1).await.unwrap_err();
    assert!(matches!(e, L1Error::Unreachable { .. }), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // A node that never answered is refused at connect.
    assert!(matches!(
        L1Client::connect_with(&url, config()).await,
        Err(L1Error::Unreachable { .. })
    ));
}
