//! The server's limits and policies: body size, connections, subscriptions per
//! connection, CORS, malformed JSON-RPC, and stopping.

use crate::common::*;
use echonet_rpc::{RpcConfig, RpcMethods};
use jsonrpsee::{
    core::client::{ClientT, Subscription, SubscriptionClientT},
    rpc_params,
    ws_client::WsClientBuilder,
};
use serde_json::{json, Value};
use std::time::Duration;

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
