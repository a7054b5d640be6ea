//! The node's RPC exposure flags end to end (issue 11, items 4 and 6): who may call a
//! node's RPC by default, with `--dev`, and the batch limit.

use echonet_tests::{raw, Node, RPC_TIMEOUT};
use serde_json::{json, Value};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The status of a `system_name` POST to `addr` with `Host: host` and maybe an `Origin`.
async fn status(addr: SocketAddr, host: &str, origin: Option<&str>) -> u16 {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "system_name"}).to_string();
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{origin}\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw).await;
        let head = String::from_utf8_lossy(&raw).to_string();
        head.split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP response: {head:.200}"))
    };
    tokio::time::timeout(RPC_TIMEOUT, exchange)
        .await
        .expect("the node did not answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_rpc_refuses_foreign_origins_and_rebinding_hosts_and_dev_allows_any_origin() {
    // Not --dev: Substrate's default origins (localhost, 127.0.0.1, polkadot.js.org).
    let node = Node::builder("local")
        .args(["--chain", "local", "--alice", "--tmp"])
        .start()
        .await;
    let addr = node.rpc_addr();
    let host = addr.to_string();
    assert_eq!(status(addr, &host, Some("https://evil.example")).await, 403);
    assert_eq!(
        status(addr, &host, Some("https://polkadot.js.org")).await,
        200
    );
    assert_eq!(
        status(addr, &host, Some("http://localhost:3000")).await,
        200
    );
    assert_eq!(status(addr, &host, None).await, 200);
    let port = addr.port();
    assert_eq!(
        status(addr, &format!("evil.example:{port}"), None).await,
        403
    );
    assert_eq!(status(addr, &format!("localhost:{port}"), None).await, 200);

    // --dev: any origin, as Substrate's --dev sets --rpc-cors all; still no rebinding.
    let dev = Node::builder("dev")
        .args(["--dev", "--tmp", "--rpc-max-batch-request-len", "2"])
        .start()
        .await;
    let daddr = dev.rpc_addr();
    assert_eq!(
        status(daddr, &daddr.to_string(), Some("https://evil.example")).await,
        200
    );
    assert_eq!(
        status(daddr, &format!("evil.example:{}", daddr.port()), None).await,
        403
    );
    let batch: Value = (0..3)
        .map(|id| json!({"jsonrpc": "2.0", "id": id, "method": "system_name"}))
        .collect();
    let resp = raw::post_json(daddr, batch.to_string().as_bytes(), RPC_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(
        resp.json()["error"]["code"],
        json!(-32010),
        "{}",
        resp.text()
    );
}
