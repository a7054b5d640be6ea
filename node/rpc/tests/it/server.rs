//! The server's limits and policies: body size, connections, subscriptions per
//! connection, CORS, malformed JSON-RPC, and stopping.

use crate::common::*;
use echonet_rpc::{BatchRequestConfig, RpcConfig, RpcMethods};
use jsonrpsee::{
    core::client::{ClientT, Subscription, SubscriptionClientT},
    rpc_params,
    ws_client::WsClientBuilder,
};
use serde_json::{json, Value};
use sp_keystore::Keystore as _;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_megabyte_body_is_refused_and_the_server_carries_on() {
    let node = TestNode::start_with(RpcConfig {
        max_request_bytes: 1024 * 1024,
        ..default_config()
    })
    .await;
    let addr = node.handle.local_addr();
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"author_submitExtrinsic","params":["0x{}"]}}"#,
        "00".repeat(5 * 1024 * 1024)
    );
    assert!(huge.len() > 10 * 1024 * 1024);
    let resp = bounded(http_post(addr, &[], huge.as_bytes())).await;
    assert_eq!(resp.status, 413, "{}", resp.headers);
    let body: Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(body["error"]["code"], json!(-32007), "{body}");
    assert_eq!(body["error"]["message"], json!("Request is too big"));

    // Over WebSocket too: an error for that message, and the server is unharmed.
    let ws = bounded(
        WsClientBuilder::default()
            .max_request_size(64 * 1024 * 1024)
            .request_timeout(Duration::from_secs(5))
            .build(node.ws_url()),
    )
    .await
    .unwrap();
    let big: Result<Value, _> = bounded(ws.request(
        "author_submitExtrinsic",
        rpc_params![format!("0x{}", "00".repeat(5 * 1024 * 1024))],
    ))
    .await;
    assert!(big.is_err(), "an oversized WebSocket message was accepted");

    // A request just under the limit is served normally.
    let fine = node.call_ok("system_name", json!([])).await;
    assert_eq!(fine, json!("echonet-node"));
    let ws = node.ws().await;
    let name: String = request(&ws, "system_name", rpc_params![]).await.unwrap();
    assert_eq!(name, "echonet-node");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_refused_without_harming_the_others() {
    const LIMIT: u32 = 8;
    let node = TestNode::start_with(RpcConfig {
        max_connections: LIMIT,
        ..default_config()
    })
    .await;
    let addr = node.handle.local_addr();
    // Fill every slot with a WebSocket connection that holds a subscription.
    let mut held = Vec::new();
    for _ in 0..LIMIT {
        let ws = node.ws().await;
        let sub: Subscription<Value> = bounded(ws.subscribe(
            "chain_subscribeNewHeads",
            rpc_params![],
            "chain_unsubscribeNewHeads",
        ))
        .await
        .unwrap();
        held.push((ws, sub));
    }
    for (_, sub) in held.iter_mut() {
        bounded(sub.next()).await.unwrap().unwrap();
    }

    // A thousand more at once, over HTTP: each is refused with 429 before its body is
    // read. Closing a socket with unread input resets it, so a client may see the reset
    // instead of the 429: refused either way, and never served.
    let body =
        json!({"jsonrpc": "2.0", "id": 1, "method": "system_name", "params": []}).to_string();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..1000 {
        let body = body.clone();
        tasks.spawn(async move { http_post(addr, &[], body.as_bytes()).await.status });
    }
    let (mut too_many, mut reset) = (0, 0);
    while let Some(status) = bounded(tasks.join_next()).await {
        match status.unwrap() {
            429 => too_many += 1,
            0 => reset += 1,
            other => panic!("a connection beyond the limit got HTTP {other}"),
        }
    }
    assert_eq!(too_many + reset, 1000);
    assert!(too_many > 0, "no connection saw the 429");
    // And a WebSocket one cannot get in either.
    assert!(bounded(WsClientBuilder::default().build(node.ws_url()))
        .await
        .is_err());

    // The admitted connections still work, calls and subscriptions alike.
    node.author_block(false).await;
    for (ws, sub) in held.iter_mut() {
        let name: String = request(ws, "system_name", rpc_params![]).await.unwrap();
        assert_eq!(name, "echonet-node");
        let head = bounded(sub.next()).await.unwrap().unwrap();
        assert_eq!(head["number"], json!("0x1"));
    }
    // Once one leaves, a newcomer gets its place.
    drop(held.pop());
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let resp = bounded(http_post(addr, &[], body.as_bytes())).await;
        if resp.status == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the freed slot never came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_per_connection_are_limited() {
    let node = TestNode::start_with(RpcConfig {
        max_subscriptions_per_connection: 2,
        ..default_config()
    })
    .await;
    let ws = node.ws().await;
    let mut subs = Vec::new();
    for _ in 0..2 {
        let sub: Subscription<Value> = bounded(ws.subscribe(
            "chain_subscribeAllHeads",
            rpc_params![],
            "chain_unsubscribeAllHeads",
        ))
        .await
        .unwrap();
        subs.push(sub);
    }
    let third = bounded(ws.subscribe::<Value, _>(
        "chain_subscribeAllHeads",
        rpc_params![],
        "chain_unsubscribeAllHeads",
    ))
    .await;
    assert!(third.is_err(), "a third subscription was accepted");
    // Another connection has its own allowance.
    let other = node.ws().await;
    let _sub: Subscription<Value> = bounded(other.subscribe(
        "chain_subscribeAllHeads",
        rpc_params![],
        "chain_unsubscribeAllHeads",
    ))
    .await
    .unwrap();
    // Freeing one makes room again, once its task has seen the unsubscription.
    bounded(subs.pop().unwrap().unsubscribe()).await.unwrap();
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let again = bounded(ws.subscribe::<Value, _>(
            "chain_subscribeAllHeads",
            rpc_params![],
            "chain_unsubscribeAllHeads",
        ))
        .await;
        if again.is_ok() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the freed slot never came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_listed_origins_only() {
    let node = TestNode::start_with(RpcConfig {
        cors: Some(vec![
            "http://localhost:3000".into(),
            "https://polkadot.js.org".into(),
        ]),
        ..default_config()
    })
    .await;
    let addr = node.handle.local_addr();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "system_name"}).to_string();
    let allowed = bounded(http_post(
        addr,
        &[("Origin", "https://polkadot.js.org")],
        body.as_bytes(),
    ))
    .await;
    assert_eq!(allowed.status, 200);
    assert!(
        allowed
            .headers
            .to_ascii_lowercase()
            .contains("access-control-allow-origin: https://polkadot.js.org"),
        "{}",
        allowed.headers
    );
    let other = bounded(http_post(
        addr,
        &[("Origin", "https://evil.example")],
        body.as_bytes(),
    ))
    .await;
    assert!(
        !other
            .headers
            .to_ascii_lowercase()
            .contains("access-control-allow-origin"),
        "{}",
        other.headers
    );
    // A browser's preflight.
    let preflight = bounded(http_raw(
        addr,
        &format!(
            "OPTIONS / HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://localhost:3000\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n"
        ),
    ))
    .await;
    let headers = preflight.headers.to_ascii_lowercase();
    assert!(
        headers.contains("access-control-allow-origin: http://localhost:3000"),
        "{headers}"
    );
    assert!(
        headers.contains("access-control-allow-methods"),
        "{headers}"
    );

    // Substrate's default list, with its any-port origins.
    let defaults = TestNode::start_with(RpcConfig {
        cors: Some(vec![
            "http://localhost:*".into(),
            "http://127.0.0.1:*".into(),
            "https://polkadot.js.org".into(),
        ]),
        ..default_config()
    })
    .await;
    let daddr = defaults.handle.local_addr();
    for (origin, allowed) in [
        ("http://localhost:3000", true),
        ("http://127.0.0.1:8080", true),
        ("https://polkadot.js.org", true),
        ("http://localhost.evil.example", false),
        ("https://localhost:3000", false),
    ] {
        let resp = bounded(http_post(daddr, &[("Origin", origin)], body.as_bytes())).await;
        let expected = format!("access-control-allow-origin: {origin}");
        assert_eq!(
            resp.headers.to_ascii_lowercase().contains(&expected),
            allowed,
            "{origin}: {}",
            resp.headers
        );
    }

    // No list: any origin.
    let open = TestNode::start(RpcMethods::Safe).await;
    let any = bounded(http_post(
        open.handle.local_addr(),
        &[("Origin", "https://anything.example")],
        body.as_bytes(),
    ))
    .await;
    assert!(
        any.headers
            .to_ascii_lowercase()
            .contains("access-control-allow-origin: *"),
        "{}",
        any.headers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_json_rpc_errors() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let addr = node.handle.local_addr();
    let parse = bounded(http_post(addr, &[], b"{not json")).await;
    let body: Value = serde_json::from_slice(&parse.body).unwrap();
    assert_eq!(body["error"]["code"], json!(-32700), "{body}");

    let err = node.call_err("no_such_method", json!([])).await;
    assert_eq!(err, json!({"code": -32601, "message": "Method not found"}));
    // Params of the wrong shape.
    let err = node
        .call_err("chain_getHeader", json!(["0x00", "extra", 3]))
        .await;
    assert_eq!(err["code"], json!(-32602));
    let err = node
        .call_err("state_getKeysPaged", json!("not params"))
        .await;
    assert!(
        [json!(-32600), json!(-32602), json!(-32700)].contains(&err["code"]),
        "{err}"
    );

    // A batch: each answered on its own.
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "system_name"},
        {"jsonrpc": "2.0", "id": 2, "method": "no_such_method"},
    ]);
    let resp = bounded(http_post(addr, &[], batch.to_string().as_bytes())).await;
    let answers: Vec<Value> = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(answers.len(), 2);
    let by_id = |id: u64| {
        answers
            .iter()
            .find(|a| a["id"] == json!(id))
            .unwrap()
            .clone()
    };
    assert_eq!(by_id(1)["result"], json!("echonet-node"));
    assert_eq!(by_id(2)["error"]["code"], json!(-32601));

    // Still healthy.
    assert_eq!(
        node.call_ok("system_health", json!([])).await["isSyncing"],
        json!(false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_closes_the_port() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let addr = node.handle.local_addr();
    assert_eq!(
        node.call_ok("system_name", json!([])).await,
        json!("echonet-node")
    );
    let TestNode { handle, dir, .. } = node;
    handle.stop();
    bounded(handle.stopped()).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_fails_cleanly_on_a_taken_port_or_bad_origin() {
    let node = TestNode::start(RpcMethods::Safe).await;
    let taken = node.handle.local_addr();
    let other = TestNode::start(RpcMethods::Safe).await;
    let deps = echonet_rpc::RpcDeps {
        client: other.client.clone(),
        pool: other.pool.clone(),
        keystore: other.keystore.clone(),
        system: echonet_rpc::SystemInfo {
            impl_name: "echonet-node".into(),
            impl_version: "x".into(),
            chain_name: "Development".into(),
            chain_type: echonet_client::ChainType::Development,
            properties: Default::default(),
            is_validator: false,
        },
        network: std::sync::Arc::new(echonet_rpc::NoNetwork::new(
            other.client.clone(),
            "peer".into(),
            &echonet_client::ChainType::Development,
        )),
    };
    let err = echonet_rpc::start(
        RpcConfig {
            listen: taken,
            ..default_config()
        },
        deps.clone(),
    )
    .await
    .err()
    .expect("bound a taken port");
    assert!(matches!(err, echonet_rpc::RpcStartError::Bind(..)), "{err}");
    let err = echonet_rpc::start(
        RpcConfig {
            cors: Some(vec!["http://a\r\nb".into()]),
            ..default_config()
        },
        deps,
    )
    .await
    .err()
    .expect("accepted a bad origin");
    assert!(
        matches!(err, echonet_rpc::RpcStartError::InvalidCors(_)),
        "{err}"
    );
}

/// Substrate's default `--rpc-cors` list for a node that is not `--dev`.
fn substrate_default_origins() -> Vec<String> {
    [
        "http://localhost:*",
        "http://127.0.0.1:*",
        "https://localhost:*",
        "https://127.0.0.1:*",
        "https://polkadot.js.org",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// A WebSocket upgrade request to `addr` with the given `Host` and optional `Origin`.
fn upgrade_request(host: &str, origin: Option<&str>) -> String {
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{origin}\r\n"
    )
}

/// The status line of the server's answer to a raw request; the connection is closed
/// once the head is read (an accepted upgrade stays open).
async fn status_of(addr: std::net::SocketAddr, request: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 1024];
    while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    parse_response(&raw).status
}

/// Issue 11, item 4: a web page's WebSocket (browsers apply no CORS to the handshake)
/// or fetch from an origin outside `--rpc-cors` is refused before any method runs;
/// polkadot.js.org and clients that send no Origin (subxt, curl) are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_from_origins_outside_rpc_cors_are_refused_with_403() {
    let node = TestNode::start_with(RpcConfig {
        cors: Some(substrate_default_origins()),
        ..default_config()
    })
    .await;
    let addr = node.handle.local_addr();
    let host = addr.to_string();
    let evil = "https://evil.example";
    assert_eq!(
        bounded(status_of(addr, &upgrade_request(&host, Some(evil)))).await,
        403,
        "a WebSocket upgrade from {evil} was not refused"
    );
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "author_rotateKeys"}).to_string();
    let resp = bounded(http_post(addr, &[("Origin", evil)], body.as_bytes())).await;
    assert_eq!(resp.status, 403, "an HTTP call from {evil} was served");
    assert!(
        node.keystore
            .keys(sp_core::crypto::key_types::AURA)
            .unwrap()
            .is_empty(),
        "the page rotated the node's keys"
    );
    // "null" is what sandboxed frames and file:// pages send.
    assert_eq!(
        bounded(status_of(addr, &upgrade_request(&host, Some("null")))).await,
        403
    );

    for origin in [
        Some("https://polkadot.js.org"),
        Some("http://localhost:3000"),
        None,
    ] {
        assert_eq!(
            bounded(status_of(addr, &upgrade_request(&host, origin))).await,
            101,
            "the upgrade from {origin:?} was refused"
        );
        let headers: Vec<_> = origin.map(|o| ("Origin", o)).into_iter().collect();
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "system_name"}).to_string();
        let resp = bounded(http_post(addr, &headers, body.as_bytes())).await;
        assert_eq!(resp.status, 200, "{origin:?}: {}", resp.headers);
    }
    // An Origin-less client library, as subxt connects.
    let ws = node.ws().await;
    let name: String = request(&ws, "system_name", rpc_params![]).await.unwrap();
    assert_eq!(name, "echonet-node");

    // `--rpc-cors all`: any origin.
    let open = TestNode::start(RpcMethods::Safe).await;
    let oaddr = open.handle.local_addr();
    assert_eq!(
        bounded(status_of(
            oaddr,
            &upgrade_request(&oaddr.to_string(), Some(evil))
        ))
        .await,
        101
    );
}

/// Issue 11, item 4: DNS rebinding. A page on evil.example whose name is re-pointed at
/// 127.0.0.1 is same-origin with the node to the browser; only the `Host` header tells.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dns_rebinding_host_is_refused_when_the_rpc_is_local() {
    let node = TestNode::start(RpcMethods::Unsafe).await;
    let addr = node.handle.local_addr();
    let port = addr.port();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "system_name"}).to_string();
    let with_host = |host: String| {
        format!(
            "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_string(),
        format!("localhost:{}", port.wrapping_add(1)),
    ] {
        assert_eq!(
            bounded(status_of(addr, &with_host(host.clone()))).await,
            403,
            "an HTTP call with Host {host} was served"
        );
        assert_eq!(
            bounded(status_of(addr, &upgrade_request(&host, None))).await,
            403,
            "a WebSocket upgrade with Host {host} was accepted"
        );
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ] {
        assert_eq!(
            bounded(status_of(addr, &with_host(host.clone()))).await,
            200,
            "Host {host} was refused"
        );
        assert_eq!(
            bounded(status_of(addr, &upgrade_request(&host, None))).await,
            101,
            "Host {host} was refused"
        );
    }

    // An external RPC is reached by names the node cannot know: no Host check there.
    let external = TestNode::start_with(RpcConfig {
        host_filter: false,
        ..default_config()
    })
    .await;
    let eaddr = external.handle.local_addr();
    let body_len = body.len();
    assert_eq!(
        bounded(status_of(
            eaddr,
            &format!(
                "POST / HTTP/1.1\r\nHost: rpc.example.org\r\nContent-Type: application/json\r\nContent-Length: {body_len}\r\nConnection: close\r\n\r\n{body}"
            )
        ))
        .await,
        200
    );
}

/// Issue 11, item 6: `--rpc-max-batch-request-len`. A longer batch gets jsonrpsee's
/// (and so Substrate's) error, -32010, and no call in it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_longer_than_the_limit_get_substrates_error() {
    let node = TestNode::start_with(RpcConfig {
        batch_requests: BatchRequestConfig::Limit(3),
        ..default_config()
    })
    .await;
    let addr = node.handle.local_addr();
    let batch = |n: u64| {
        Value::Array(
            (0..n)
                .map(|id| json!({"jsonrpc": "2.0", "id": id, "method": "system_name"}))
                .collect(),
        )
        .to_string()
    };
    let resp = bounded(http_post(addr, &[], batch(4).as_bytes())).await;
    let body: Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(
        body,
        json!({"jsonrpc": "2.0", "id": null, "error": {
            "code": -32010,
            "message": "The batch request was too large",
            "data": "Exceeded max limit of 3",
        }})
    );
    let resp = bounded(http_post(addr, &[], batch(3).as_bytes())).await;
    let answers: Vec<Value> = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(answers.len(), 3);
    assert!(answers.iter().all(|a| a["result"] == json!("echonet-node")));

    // `--rpc-disable-batch-requests`.
    let none = TestNode::start_with(RpcConfig {
        batch_requests: BatchRequestConfig::Disabled,
        ..default_config()
    })
    .await;
    let resp = bounded(http_post(
        none.handle.local_addr(),
        &[],
        batch(1).as_bytes(),
    ))
    .await;
    let body: Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(body["error"]["code"], json!(-32005), "{body}");
}

/// Issue 11, item 6: `--rpc-rate-limit`, calls per minute per connection. As in
/// Substrate, a call over the quota waits for its turn (it is not refused), and other
/// connections are not slowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_over_the_rate_limit_wait_and_other_connections_do_not() {
    let node = TestNode::start_with(RpcConfig {
        rate_limit: std::num::NonZeroU32::new(2),
        ..default_config()
    })
    .await;
    let ws = node.ws().await;
    for _ in 0..2 {
        let name: String = request(&ws, "system_name", rpc_params![]).await.unwrap();
        assert_eq!(name, "echonet-node");
    }
    // The third call's turn is 30 s away.
    let third = tokio::time::timeout(
        Duration::from_secs(1),
        ws.request::<String, _>("system_name", rpc_params![]),
    )
    .await;
    assert!(
        third.is_err(),
        "a call over the rate limit was served at once: {third:?}"
    );
    let other = node.ws().await;
    for _ in 0..2 {
        let name: String = request(&other, "system_name", rpc_params![]).await.unwrap();
        assert_eq!(name, "echonet-node");
    }
}

/// The flake of `subscriptions_per_connection_are_limited`, made to happen often.
/// jsonrpsee sends a subscription's id to the client before it records the subscription
/// for its unsubscribe method (`PendingSubscriptionSink::accept`): an unsubscribe that
/// arrives in between is answered `false` and lost, and the subscription and its slot
/// then live as long as the connection. A client that unsubscribes as soon as it has the
/// id loses that race whenever the accepting thread is descheduled in the gap. Every
/// unsubscribe of a subscription the client was given must be honoured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsubscribe_sent_as_soon_as_the_id_arrives_is_honoured() {
    use jsonrpsee::core::client::SubscriptionKind;
    let node = TestNode::start(RpcMethods::Safe).await;
    let ws = node.ws().await;
    const ROUNDS: usize = 300;
    let mut lost = 0;
    for _ in 0..ROUNDS {
        let sub: Subscription<Value> = bounded(ws.subscribe(
            "chain_subscribeAllHeads",
            rpc_params![],
            "chain_unsubscribeAllHeads",
        ))
        .await
        .unwrap();
        let SubscriptionKind::Subscription(id) = sub.kind() else {
            panic!("not a subscription: {:?}", sub.kind());
        };
        let honoured: bool = request(&ws, "chain_unsubscribeAllHeads", rpc_params![id])
            .await
            .unwrap();
        if !honoured {
            lost += 1;
        }
    }
    assert_eq!(lost, 0, "{lost} of {ROUNDS} unsubscriptions were lost");
}
