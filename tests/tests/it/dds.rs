//! The distributed data store on a single dev node (issue 17): put and get with one
//! command each, through the CLI, the `/dds` gateway and JSON-RPC, and how each refuses bad
//! input without changing the store.

use echonet_tests::{raw, run_cli, Node, RPC_TIMEOUT};
use rand::{RngCore, SeedableRng};
use serde_json::{json, Value};
use std::path::Path;

const MAX_PUT_MIB: usize = 8;

async fn rpc(node: &Node, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let response = raw::post_json(node.rpc_addr(), body.to_string().as_bytes(), RPC_TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{method}: {e}"));
    response.json()
}

async fn used(node: &Node) -> u64 {
    let answer = rpc(node, "dds_stat", json!([])).await;
    answer["result"]["used"]
        .as_u64()
        .unwrap_or_else(|| panic!("dds_stat: {answer}"))
}

fn random_file(path: &Path, len: usize, seed: u64) -> Vec<u8> {
    let mut data = vec![0u8; len];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut data);
    std::fs::write(path, &data).expect("writes the test file");
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_node_puts_and_gets_content_through_cli_gateway_and_rpc() {
    let mut node = Node::builder("dds")
        .args([
            "--dev",
            "--tmp",
            "--dds-max-put-size",
            &MAX_PUT_MIB.to_string(),
        ])
        .start()
        .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = node.http_url();

    // CLI: put a file of 3 chunks and a bit, get it back byte for byte.
    let input = dir.path().join("in.bin");
    let data = random_file(&input, 3 * 1024 * 1024 + 123, 17);
    let put = run_cli([
        "dds",
        "put",
        input.to_str().unwrap(),
        "--url",
        &url,
        "--quiet",
    ])
    .await;
    put.assert_success("dds put");
    let cid = put.stdout.trim().to_string();
    assert!(cid.starts_with("0x") && cid.len() == 66, "cid: {cid:?}");
    let output = dir.path().join("out.bin");
    run_cli([
        "dds",
        "get",
        &cid,
        "-o",
        output.to_str().unwrap(),
        "--url",
        &url,
        "--quiet",
    ])
    .await
    .assert_success("dds get");
    assert!(
        std::fs::read(&output).unwrap() == data,
        "dds get returned other bytes"
    );

    // Gateway: the same bytes, the same cid for the same upload.
    let got = raw::http_get(node.rpc_addr(), &format!("/dds/{cid}"), RPC_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(
        got.header("content-length"),
        Some(data.len().to_string().as_str())
    );
    assert!(got.body == data, "GET /dds/<cid> returned other bytes");
    let posted = raw::http_request(node.rpc_addr(), "POST", "/dds", &[], &data, RPC_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(posted.status, 200, "{}", posted.text());
    assert_eq!(posted.json()["cid"], cid.as_str());

    // RPC: stat and a small put/get.
    let stat = rpc(&node, "dds_stat", json!([cid])).await;
    assert_eq!(stat["result"]["size"], data.len(), "{stat}");
    assert_eq!(
        stat["result"]["localShards"],
        4 * 6,
        "every shard on the one node: {stat}"
    );
    let small = rpc(&node, "dds_put", json!(["0x68656c6c6f"])).await;
    let small_cid = small["result"]
        .as_str()
        .unwrap_or_else(|| panic!("dds_put: {small}"));
    assert_eq!(
        rpc(&node, "dds_get", json!([small_cid])).await["result"],
        "0x68656c6c6f"
    );

    // Bad input: clear errors, nothing stored, no file written, no panic.
    let before = used(&node).await;
    let big = dir.path().join("big.bin");
    random_file(&big, MAX_PUT_MIB * 1024 * 1024 + 1, 18);
    let refused = run_cli([
        "dds",
        "put",
        big.to_str().unwrap(),
        "--url",
        &url,
        "--quiet",
    ])
    .await;
    assert!(!refused.status.success(), "an oversized put succeeded");
    assert!(
        refused.stderr.contains("larger than the limit"),
        "{}",
        refused.stderr
    );
    let unknown = format!("0x{}", "ab".repeat(32));
    let missing = dir.path().join("missing.bin");
    for (cid, expected) in [
        (unknown.as_str(), "unknown cid"),
        ("0x1234", "malformed cid"),
    ] {
        let out = run_cli([
            "dds",
            "get",
            cid,
            "-o",
            missing.to_str().unwrap(),
            "--url",
            &url,
        ])
        .await;
        assert!(!out.status.success(), "get {cid} succeeded");
        assert!(out.stderr.contains(expected), "get {cid}: {}", out.stderr);
    }
    assert!(!missing.exists(), "a failed get left a file");
    for (path, status) in [
        ("/dds/0x1234".to_string(), 400),
        (format!("/dds/{unknown}"), 404),
    ] {
        let r = raw::http_get(node.rpc_addr(), &path, RPC_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(r.status, status, "GET {path}: {}", r.text());
    }
    let r = rpc(&node, "dds_get", json!(["0x1234"])).await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert_eq!(used(&node).await, before, "refused input changed the store");
    node.assert_running();
    node.assert_no_panic();
}
