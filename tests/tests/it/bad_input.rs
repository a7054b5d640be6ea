//! Bad input over RPC gets a clear JSON-RPC error, changes nothing, and does not stop the
//! node: after each one the node still answers, still authors, and a valid transfer
//! submitted before the bad inputs still lands.

use codec::{Decode, Encode};
use echonet_runtime::{UncheckedExtrinsic, UNITS};
use echonet_tests::{
    chain,
    raw::{self, Handshake},
    rpc, Node, BLOCK_TIMEOUT, RPC_TIMEOUT,
};
use futures::future::join_all;
use jsonrpsee::{rpc_params, types::ErrorObjectOwned, ws_client::WsClient};
use serde_json::{json, Value};
use sp_core::H256;
use sp_keyring::Sr25519Keyring::{Alice, Bob};
use sp_runtime::generic::Preamble;
use std::time::Duration;

/// Substrate's code for a transaction the runtime declares invalid.
const INVALID_TRANSACTION: i32 = 1010;
/// Substrate's code for bytes that are not an extrinsic.
const BAD_FORMAT: i32 = 1001;
/// jsonrpsee's "Request is too big".
const OVERSIZED_REQUEST: i32 = -32007;

/// A valid transfer to Bob, watched from before the bad inputs to its finalization.
struct PendingTransfer {
    watch: jsonrpsee::core::client::Subscription<Value>,
    xt_hex: String,
    amount: u128,
    bob_before: u128,
}

impl PendingTransfer {
    async fn submit(ws: &WsClient, genesis: H256, nonce: u32, amount: u128) -> Self {
        let bob = Bob.to_account_id();
        let bob_before = rpc::account(ws, &bob, None).await.data.free;
        let xt_hex = chain::xt_hex(&chain::transfer(Alice, &bob, amount, nonce, genesis));
        let watch = rpc::submit_and_watch(ws, &xt_hex).await;
        Self {
            watch,
            xt_hex,
            amount,
            bob_before,
        }
    }

    /// Fails the test unless the transfer went ready → inBlock → finalized and Bob was paid.
    async fn assert_landed(mut self, ws: &WsClient) {
        let statuses = rpc::statuses_until_final(&mut self.watch, 3 * BLOCK_TIMEOUT).await;
        let kinds: Vec<&str> = statuses
            .iter()
            .map(|s| match s {
                Value::String(s) => s.as_str(),
                Value::Object(m) => m.keys().next().map(String::as_str).unwrap_or("?"),
                _ => "?",
            })
            .collect();
        assert_eq!(kinds, ["ready", "inBlock", "finalized"], "{statuses:?}");
        let block: H256 = serde_json::from_value(statuses[1]["inBlock"].clone()).expect("a hash");
        let body = rpc::block(ws, block).await;
        assert!(
            body["block"]["extrinsics"]
                .as_array()
                .is_some_and(|xts| xts.contains(&Value::String(self.xt_hex.clone()))),
            "the transfer is not in the block it was reported in"
        );
        let bob_after = rpc::account(ws, &Bob.to_account_id(), Some(block))
            .await
            .data
            .free;
        assert_eq!(bob_after, self.bob_before + self.amount);
    }
}

/// After a bad input: the process is alive and answers a plain call.
async fn assert_answers(node: &mut Node, ws: &WsClient, after: &str) {
    node.assert_running();
    let health = rpc::try_call::<Value>(ws, "system_health", rpc_params![]).await;
    assert!(
        health.is_ok(),
        "after {after}, system_health failed: {health:?}"
    );
}

fn assert_error(e: &ErrorObjectOwned, code: i32, text: &str, what: &str) {
    let all = format!("{} {}", e.message(), rpc::error_data(e));
    assert!(
        e.code() == code && all.contains(text),
        "{what}: expected code {code} mentioning {text:?}, got {e:?}"
    );
}

async fn submit_error(ws: &WsClient, hex: &str) -> ErrorObjectOwned {
    rpc::call_error(ws, "author_submitExtrinsic", rpc_params![hex]).await
}

/// `xt` with one bit of its signature flipped. Works on the signature's SCALE bytes, so
/// it holds whatever type the runtime wraps `MultiSignature` in.
fn with_flipped_signature_bit(xt: &UncheckedExtrinsic) -> UncheckedExtrinsic {
    let mut xt = UncheckedExtrinsic::decode(&mut &xt.encode()[..]).expect("round trip");
    let Preamble::Signed(_, signature, _) = &mut xt.preamble else {
        panic!("not a signed extrinsic");
    };
    let mut raw = signature.encode();
    // The last byte belongs to the signature itself, not to its scheme's tag.
    *raw.last_mut().expect("a signature has bytes") ^= 0x01;
    *signature = Decode::decode(&mut &raw[..]).expect("a signature with a flipped bit decodes");
    xt
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_undecodable_badly_signed_and_stale_extrinsics_are_refused() {
    let mut node = Node::dev("dev node").await;
    let ws = node.ws().await;
    let genesis = rpc::genesis_hash(&ws).await;
    let alice = Alice.to_account_id();
    let nonce = rpc::next_nonce(&ws, &alice).await;
    let pending = PendingTransfer::submit(&ws, genesis, nonce, 3 * UNITS + 1).await;

    // Not hex: the parameter does not parse. (Odd lengths and whitespace are accepted,
    // as impl-serde, and so Substrate, accepts them.)
    for bad in ["0xzz", "0x0g", "hello", "0x-1"] {
        let e = submit_error(&ws, bad).await;
        assert_error(&e, -32602, "Invalid params", bad);
        assert_answers(&mut node, &ws, bad).await;
    }

    // Hex, but not an extrinsic.
    let valid = chain::transfer(Alice, &Bob.to_account_id(), UNITS, nonce + 1, genesis);
    let valid_bytes = valid.encode();
    let truncated = chain::to_hex(&valid_bytes[..valid_bytes.len() - 1]);
    let trailing = chain::to_hex(&[valid_bytes.clone(), vec![0]].concat());
    for (what, bad) in [
        ("empty bytes", "0x".to_string()),
        ("one byte", "0x04".to_string()),
        ("garbage", "0xdeadbeefdeadbeefdeadbeef".to_string()),
        ("a truncated extrinsic", truncated),
        ("an extrinsic with a trailing byte", trailing),
    ] {
        let e = submit_error(&ws, &bad).await;
        assert_error(&e, BAD_FORMAT, "invalid format", what);
        assert_answers(&mut node, &ws, what).await;
    }

    // Well-formed, but the signature does not verify.
    let flipped = with_flipped_signature_bit(&valid);
    let e = submit_error(&ws, &chain::xt_hex(&flipped)).await;
    assert_error(
        &e,
        INVALID_TRANSACTION,
        "bad signature",
        "a flipped signature bit",
    );
    assert_answers(&mut node, &ws, "a bad signature").await;
    let foreign = chain::transfer(
        Alice,
        &Bob.to_account_id(),
        UNITS,
        nonce + 1,
        H256::repeat_byte(7),
    );
    let e = submit_error(&ws, &chain::xt_hex(&foreign)).await;
    assert_error(
        &e,
        INVALID_TRANSACTION,
        "bad signature",
        "signed for another chain",
    );
    assert_answers(&mut node, &ws, "a transaction for another chain").await;

    // A method that does not exist.
    let e = rpc::call_error(&ws, "author_submitExtrinsicPlease", rpc_params!["0x00"]).await;
    assert_eq!(e.code(), -32601, "{e:?}");
    assert!(e.message().contains("Method not found"), "{e:?}");
    assert_answers(&mut node, &ws, "an unknown method").await;

    // Nothing was lost: the valid transfer lands, and afterwards its nonce is stale.
    pending.assert_landed(&ws).await;
    let stale = chain::transfer(Alice, &Bob.to_account_id(), 2 * UNITS, nonce, genesis);
    let e = submit_error(&ws, &chain::xt_hex(&stale)).await;
    assert_error(&e, INVALID_TRANSACTION, "outdated", "a stale nonce");

    rpc::assert_alive_and_authoring(&ws).await;
    node.assert_running();
    node.assert_no_panic();
}

/// The JSON-RPC request `author_submitExtrinsic(xt)`, serialised.
fn submit_request(xt: &UncheckedExtrinsic) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "jsonrpc": "2.0",
        "id": 7,
        "method": "author_submitExtrinsic",
        "params": [chain::xt_hex(xt)],
    }))
    .expect("JSON")
}

/// jsonrpsee's answer to a request over the size limit.
fn assert_too_big(answer: &Value) {
    assert_eq!(answer["error"]["code"], OVERSIZED_REQUEST, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("too big")),
        "{answer}"
    );
}

/// An HTTP answer to a request the node cannot take: 413 or 200, with a JSON-RPC error.
fn assert_http_refusal(resp: &raw::HttpResponse, codes: &[i32], what: &str) {
    assert!(
        resp.status == 413 || resp.status == 200,
        "{what}: HTTP {} {:.300}",
        resp.status,
        resp.text()
    );
    let body = resp.json();
    let code = body["error"]["code"].as_i64().unwrap_or_default() as i32;
    assert!(
        codes.contains(&code),
        "{what}: expected one of the JSON-RPC errors {codes:?}, got HTTP {}: {body}",
        resp.status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_extrinsics_and_huge_bodies_are_refused_and_the_node_keeps_going() {
    const MIB: usize = 1024 * 1024;
    let mut node = Node::dev("dev node").await;
    let ws = node.ws().await;
    let genesis = rpc::genesis_hash(&ws).await;
    let nonce = rpc::next_nonce(&ws, &Alice.to_account_id()).await;
    let pending = PendingTransfer::submit(&ws, genesis, nonce, 4 * UNITS + 1).await;
    let slow = Duration::from_secs(60);

    // 6 MiB: within the RPC's request limit, beyond what a block may carry.
    let big = chain::remark(Alice, 6 * MIB, nonce + 1, genesis);
    let e = submit_error(&ws, &chain::xt_hex(&big)).await;
    assert_error(&e, INVALID_TRANSACTION, "exhaust", "a 6 MiB remark");
    assert_answers(&mut node, &ws, "a 6 MiB remark").await;

    // 20 MB: beyond the server's 15 MiB request limit, over HTTP...
    let huge = submit_request(&chain::remark(Alice, 20_000_000, nonce + 1, genesis));
    let resp = raw::post_json(node.rpc_addr(), &huge, slow)
        .await
        .expect("an answer to a 40 MB request");
    assert_eq!(resp.status, 413, "{:.300}", resp.text());
    assert_too_big(&resp.json());
    assert_answers(&mut node, &ws, "a 20 MB remark over HTTP").await;

    // ...and over WebSocket, where the connection stays usable afterwards.
    let Handshake::Accepted(mut socket) = raw::ws_handshake(node.rpc_addr())
        .await
        .expect("a WebSocket handshake")
    else {
        panic!("the WebSocket upgrade was refused")
    };
    let answer = socket
        .exchange(&huge, slow)
        .await
        .expect("an answer to a 40 MB message");
    assert_too_big(&answer);
    let health = br#"{"jsonrpc":"2.0","id":8,"method":"system_health","params":[]}"#;
    let answer = socket
        .exchange(health, RPC_TIMEOUT)
        .await
        .expect("the same connection answers after the oversized message");
    assert_eq!(answer["id"], 8, "{answer}");
    assert!(answer.get("result").is_some(), "{answer}");
    assert_answers(&mut node, &ws, "a 20 MB remark over WebSocket").await;

    // 10 MB bodies that are not a request the node can serve.
    let ten_mb = 10_000_000;
    let long_param = serde_json::to_vec(&json!({
        "jsonrpc": "2.0",
        "id": 9,
        "method": "chain_getBlockHash",
        "params": ["x".repeat(ten_mb)],
    }))
    .expect("JSON");
    let mut binary = vec![0u8; ten_mb];
    rand::Rng::fill(&mut rand::thread_rng(), &mut binary[..]);
    binary[0] = b'{';
    for (what, body, codes) in [
        ("a 10 MB string parameter", long_param, &[-32602][..]),
        ("10 MB of '['", vec![b'['; ten_mb], &[-32700][..]),
        ("10 MB of random bytes", binary, &[-32700][..]),
    ] {
        let resp = raw::post_json(node.rpc_addr(), &body, slow)
            .await
            .unwrap_or_else(|e| panic!("{what}: no answer: {e}"));
        assert_http_refusal(&resp, codes, what);
        assert_answers(&mut node, &ws, what).await;
    }

    pending.assert_landed(&ws).await;
    rpc::assert_alive_and_authoring(&ws).await;
    node.assert_running();
    node.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_refused_and_the_node_recovers() {
    const ATTEMPTS: usize = 1000;
    // The node's default --rpc-max-connections.
    const LIMIT: usize = 100;
    let mut node = Node::dev("dev node").await;
    let ws = node.ws().await;
    let mut heads = rpc::subscribe_new_heads(&ws).await;
    let addr = node.rpc_addr();

    let attempts = join_all((0..ATTEMPTS).map(|_| async move {
        tokio::time::timeout(RPC_TIMEOUT, raw::ws_handshake(addr))
            .await
            .unwrap_or_else(|_| Err(std::io::Error::other("handshake timed out")))
    }))
    .await;
    let mut accepted = Vec::new();
    let mut refusals = std::collections::BTreeMap::<u16, usize>::new();
    let mut failures = Vec::new();
    for attempt in attempts {
        match attempt {
            Ok(Handshake::Accepted(socket)) => accepted.push(socket),
            Ok(Handshake::Refused(resp)) => *refusals.entry(resp.status).or_default() += 1,
            Err(e) => failures.push(e.to_string()),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ATTEMPTS} upgrade requests got no HTTP answer, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    assert_eq!(
        refusals.keys().copied().collect::<Vec<_>>(),
        [429],
        "refusals by HTTP status: {refusals:?}"
    );
    // One connection was already open: the client we hold.
    assert_eq!(accepted.len(), LIMIT - 1, "refusals: {refusals:?}");

    // The connection opened before the flood still works, calls and subscriptions alike,
    // and so does one of those admitted during it.
    assert_answers(&mut node, &ws, "1,000 upgrade requests").await;
    rpc::next(&mut heads, BLOCK_TIMEOUT, "a new head during the flood").await;
    let health = br#"{"jsonrpc":"2.0","id":1,"method":"system_health","params":[]}"#;
    let answer = accepted[0]
        .exchange(health, RPC_TIMEOUT)
        .await
        .expect("an admitted connection answers");
    assert!(answer.get("result").is_some(), "{answer}");

    // Once they are closed, new connections are admitted again, up to the limit.
    drop(accepted);
    let deadline = tokio::time::Instant::now() + RPC_TIMEOUT;
    let readmitted = loop {
        let attempts = join_all((0..LIMIT - 1).map(|_| raw::ws_handshake(addr))).await;
        let sockets: Vec<_> = attempts
            .into_iter()
            .filter_map(|a| match a {
                Ok(Handshake::Accepted(s)) => Some(s),
                _ => None,
            })
            .collect();
        if sockets.len() == LIMIT - 1 {
            break sockets;
        }
        drop(sockets);
        assert!(
            tokio::time::Instant::now() < deadline,
            "the node does not admit {} new connections after the old ones closed",
            LIMIT - 1
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // The node frees a slot when it sees the close, which takes a moment after the drop:
    // until then a new client is refused with 429, as it should be.
    drop(readmitted);
    let deadline = tokio::time::Instant::now() + RPC_TIMEOUT;
    let fresh = loop {
        match node.try_ws().await {
            Ok(client) => break client,
            Err(e) => assert!(
                tokio::time::Instant::now() < deadline,
                "the node does not admit a client after the others closed: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    rpc::assert_alive_and_authoring(&fresh).await;
    node.assert_no_panic();
}

/// A dev node with Prometheus, and a rogue libp2p peer (in this process) connected to it
/// and past the handshake.
async fn node_and_rogue(label: &str) -> (Node, echonet_tests::rogue::Rogue) {
    let node = Node::builder(label)
        .args(["--dev", "--tmp"])
        .prometheus()
        .start()
        .await;
    rpc::wait_for_best_above(&node.http(), 0, 3 * BLOCK_TIMEOUT).await;
    let spec = echonet_client::ChainSpec::development().expect("the dev spec");
    let rogue = echonet_tests::rogue::Rogue::connect(spec, &node.multiaddr().await).await;
    let victim: echonet_network::PeerId = node.peer_id().await.parse().expect("a peer id");
    rogue.wait_connected(&victim, BLOCK_TIMEOUT).await;
    (node, rogue)
}

/// Issue 11 item 1 over gossip: a 100,000-deep `Sudo.sudo` nesting (about 200 KB) sent by a
/// peer as a transaction. Decoded without a depth limit it overflowed the stack and aborted
/// the node; now it is refused as a bad transaction, the peer pays for it, and the node
/// goes on authoring and serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_gossiping_a_deeply_nested_call_is_penalised_and_the_node_goes_on() {
    let (node, rogue) = node_and_rogue("deep gossip victim").await;
    let http = node.http();
    let genesis = rpc::genesis_hash(&http).await;
    let deep =
        echonet_test_utils::deep_sudo_extrinsic(genesis, echonet_test_utils::ATTACK_DEPTH, 0);
    assert!(deep.len() > 190_000, "the attack is about 200 KB");
    rogue.network.propagate_transactions(vec![deep]);
    crate::faults::wait_metric(
        &node,
        "echonet_network_reputation_changes_total",
        &[("reason", "bad transaction")],
        1.0,
    )
    .await;
    rpc::assert_alive_and_authoring(&http).await;
    drop(node);
}

/// Issue 11 item 5: a peer gossiping validly signed transfers from accounts that hold
/// nothing wastes the pool's validation and must lose reputation for it (it lost none).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_gossiping_transfers_from_unfunded_accounts_loses_reputation() {
    let (node, rogue) = node_and_rogue("unfunded gossip victim").await;
    let http = node.http();
    let genesis = rpc::genesis_hash(&http).await;
    let bob = Bob.to_account_id();
    let spam: Vec<Vec<u8>> = (0..32u64)
        .map(|i| {
            let seed = <sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash_of(&(
                b"unfunded",
                i,
            ))
            .0;
            let pair = <sp_core::sr25519::Pair as sp_core::Pair>::from_seed(&seed);
            echonet_runtime::extrinsics::transfer(&pair, bob.clone(), UNITS, 0, genesis).encode()
        })
        .collect();
    rogue.network.propagate_transactions(spam);
    crate::faults::wait_metric(
        &node,
        "echonet_network_reputation_changes_total",
        &[("reason", "no valid transaction")],
        1.0,
    )
    .await;
    let pending: Vec<String> =
        rpc::call(&http, "author_pendingExtrinsics", jsonrpsee::rpc_params![]).await;
    assert!(
        pending.is_empty(),
        "an unfunded transfer entered the pool: {pending:?}"
    );
}
