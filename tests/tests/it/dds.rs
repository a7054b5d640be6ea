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

/// Every shard file of the data store under a node's base path.
fn shard_files(base: &Path) -> Vec<std::path::PathBuf> {
    fn walk(dir: &Path, in_shards: bool, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                let shards = in_shards || path.file_name().is_some_and(|n| n == "shards");
                walk(&path, shards, out);
            } else if in_shards {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(base, false, &mut out);
    out
}

async fn stat_field(node: &Node, field: &str) -> u64 {
    let answer = rpc(node, "dds_stat", json!([])).await;
    answer["result"][field]
        .as_u64()
        .unwrap_or_else(|| panic!("dds_stat: {answer}"))
}

/// Six storage providers (`--dds-provider`) of a local chain: 20 MiB put on one are placed
/// one shard of each chunk per node; a provider's corrupt shards are detected (its own
/// Merkle check, before serving) and fetched elsewhere; with two providers stopped, another
/// node still gets identical bytes through the CLI and the HTTP gateway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_providers_place_content_and_serve_it_with_two_stopped() {
    use echonet_tests::testnet::{health, Testnet};
    use std::time::Duration;
    let mut builder = Testnet::builder("local");
    for name in ["p0", "p1", "p2", "p3", "p4", "p5"] {
        builder = builder.full_node(name);
    }
    let mut net = builder
        .args([
            "--dds-provider",
            "--dds-cache-size",
            "0",
            "--dds-max-put-size",
            "32",
        ])
        .start()
        .await;
    net.wait_all(
        "every node has the five others as peers",
        Duration::from_secs(60),
        |_, c| async move {
            let peers = health(&c).await["peers"].as_u64().unwrap_or(0);
            if peers >= 5 {
                Ok(())
            } else {
                Err(format!("{peers} peers"))
            }
        },
    )
    .await;

    // Put 20 MiB (k = 4, m = 2) on node 0: 20 chunks of 6 shards, one per node.
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in.bin");
    let data = random_file(&input, 20 * 1024 * 1024, 23);
    let put = run_cli([
        "dds",
        "put",
        input.to_str().unwrap(),
        "--url",
        &net.nodes[0].http_url(),
        "--quiet",
    ])
    .await;
    put.assert_success("dds put");
    let cid = put.stdout.trim().to_string();
    assert_eq!(stat_field(&net.nodes[0], "pushedShards").await, 5 * 20);
    for i in 0..6 {
        assert_eq!(
            shard_files(&net.base_path(i)).len(),
            20,
            "node {i} holds one shard of each chunk"
        );
    }

    // Corrupt every shard of node 1 on disk; a get from node 5 still returns the content:
    // node 1 finds its shards corrupt when asked and serves none, node 5 asks elsewhere.
    for file in shard_files(&net.base_path(1)) {
        let mut bytes = std::fs::read(&file).unwrap();
        bytes[100] ^= 0xff;
        std::fs::write(&file, bytes).unwrap();
    }
    let out5 = dir.path().join("out5.bin");
    run_cli([
        "dds",
        "get",
        &cid,
        "-o",
        out5.to_str().unwrap(),
        "--url",
        &net.nodes[5].http_url(),
        "--quiet",
    ])
    .await
    .assert_success("dds get on node 5");
    assert!(
        std::fs::read(&out5).unwrap() == data,
        "node 5 got other bytes"
    );
    assert!(stat_field(&net.nodes[1], "corruptShards").await > 0);
    assert!(stat_field(&net.nodes[5], "fetchedShards").await >= 20 * 3);

    // Stop two providers (node 1, whose shards are bad, and node 2): nodes 0, 3, 4 and 5
    // hold exactly k = 4 valid shards of each chunk.
    net.nodes[1].stop().await;
    net.nodes[2].stop().await;
    let out4 = dir.path().join("out4.bin");
    run_cli([
        "dds",
        "get",
        &cid,
        "-o",
        out4.to_str().unwrap(),
        "--url",
        &net.nodes[4].http_url(),
        "--quiet",
    ])
    .await
    .assert_success("dds get on node 4");
    assert!(
        std::fs::read(&out4).unwrap() == data,
        "node 4 (CLI) got other bytes"
    );
    let got = raw::http_get(
        net.nodes[3].rpc_addr(),
        &format!("/dds/{cid}"),
        Duration::from_secs(120),
    )
    .await
    .unwrap();
    assert_eq!(got.status, 200, "{}", got.text());
    assert!(got.body == data, "node 3 (gateway) returned other bytes");
    for i in [0, 3, 4, 5] {
        net.nodes[i].assert_running();
        net.nodes[i].assert_no_panic();
    }
}

/// `state_call` of a `DdsApi` method, decoded.
async fn dds_api<T: codec::Decode>(
    c: &impl jsonrpsee::core::client::ClientT,
    method: &str,
    args: Vec<u8>,
) -> T {
    let raw: String = echonet_tests::rpc::call(
        c,
        "state_call",
        jsonrpsee::rpc_params![method, echonet_tests::chain::to_hex(&args)],
    )
    .await;
    T::decode(&mut &hex::decode(raw.trim_start_matches("0x")).expect("hex")[..])
        .unwrap_or_else(|e| panic!("{method}: {e}"))
}

/// The chain side with the node side: six nodes with account keys and `--dds-provider`
/// register themselves as providers; after a put, an owner opens the deal; the assigned
/// providers fetch the shards they lack from peers and confirm them; they answer their
/// challenges with proofs; a provider whose shards were deleted fails its challenges and
/// is slashed on the running chain, out of the provider set, and its shards are repaired
/// by the providers they are reassigned to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_register_confirm_prove_and_shards_of_a_slashed_one_are_repaired() {
    use codec::Encode;
    use echonet_runtime::{AccountId, BlockNumber, RuntimeCall, RuntimeEvent};
    use echonet_tests::{rpc as r, testnet::Testnet};
    use sp_keyring::Sr25519Keyring;
    use std::time::{Duration, Instant};

    let mut net = Testnet::local_validators_with_sudo()
        .validator("eve")
        .validator("ferdie")
        .args(["--dds-provider", "--dds-cache-size", "0"])
        .start()
        .await;
    let c = net.nodes[0].http();
    // Short epochs and answer windows, so that challenges come within seconds.
    let params = pallet_dds::Params {
        epoch_length: 6,
        response_window: 4,
        unbonding_delay: 30,
        ..Default::default()
    };
    r::sudo(
        &c,
        RuntimeCall::Dds(pallet_dds::Call::set_params {
            params: params.clone(),
        }),
    )
    .await;
    net.wait_all(
        "every node has the five others as peers",
        Duration::from_secs(60),
        |_, c| async move {
            let peers = echonet_tests::testnet::health(&c).await["peers"]
                .as_u64()
                .unwrap_or(0);
            if peers >= 5 {
                Ok(())
            } else {
                Err(format!("{peers} peers"))
            }
        },
    )
    .await;
    let accounts: Vec<AccountId> = [
        Sr25519Keyring::Alice,
        Sr25519Keyring::Bob,
        Sr25519Keyring::Charlie,
        Sr25519Keyring::Dave,
        Sr25519Keyring::Eve,
        Sr25519Keyring::Ferdie,
    ]
    .iter()
    .map(|k| k.to_account_id())
    .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let providers: Vec<pallet_dds::ProviderInfo<AccountId>> =
            dds_api(&c, "DdsApi_providers", vec![]).await;
        if providers.len() == 6
            && accounts
                .iter()
                .all(|a| providers.iter().any(|p| &p.who == a))
        {
            break;
        }
        if Instant::now() > deadline {
            let missing: Vec<String> = (0..6)
                .filter(|&i| !providers.iter().any(|p| p.who == accounts[i]))
                .map(|i| {
                    let log = net.nodes[i].log();
                    let lines: Vec<&str> = log
                        .lines()
                        .filter(|l| l.contains("dds") || l.contains("📦"))
                        .collect();
                    format!(
                        "{}: {}",
                        net.nodes[i].label(),
                        lines[lines.len().saturating_sub(20)..].join("\n")
                    )
                })
                .collect();
            panic!(
                "{} providers registered; missing: {}",
                providers.len(),
                missing.join("\n----\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Put 3 MiB on Alice's node, then its owner (One) opens the deal.
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in.bin");
    random_file(&input, 3 * 1024 * 1024, 29);
    let put = run_cli([
        "dds",
        "put",
        input.to_str().unwrap(),
        "--url",
        &net.nodes[0].http_url(),
        "--quiet",
    ])
    .await;
    put.assert_success("dds put");
    let cid_text = put.stdout.trim().to_string();
    let stat = rpc(&net.nodes[0], "dds_stat", json!([cid_text])).await["result"].clone();
    let hex32 = |v: &Value| -> [u8; 32] {
        hex::decode(v.as_str().unwrap().trim_start_matches("0x"))
            .unwrap()
            .try_into()
            .unwrap()
    };
    let cid = hex32(&json!(cid_text));
    let header = pallet_dds::merkle::ManifestHeader {
        size: stat["size"].as_u64().unwrap(),
        chunk_size: stat["chunkSize"].as_u64().unwrap() as u32,
        k: stat["k"].as_u64().unwrap() as u8,
        m: stat["m"].as_u64().unwrap() as u8,
        shard_count: stat["shardCount"].as_u64().unwrap() as u32,
    };
    r::submit_call(
        &c,
        Sr25519Keyring::One,
        RuntimeCall::Dds(pallet_dds::Call::open_deal {
            cid,
            root: hex32(&stat["root"]),
            header,
            duration: 50,
            price: params.min_price,
        }),
    )
    .await;
    let holders = echonet_tests::wait_until(
        "every shard assigned and confirmed",
        Duration::from_secs(60),
        || async {
            let holders: Vec<pallet_dds::ShardHolder<AccountId>> =
                dds_api(&c, "DdsApi_assignments", cid.encode()).await;
            (holders.len() == header.shard_count as usize
                && holders.iter().all(|h| h.provider.is_some() && h.confirmed))
            .then_some(holders)
        },
    )
    .await;

    // Eve or Ferdie (not validators, so the chain goes on) loses every shard.
    let victim = [5usize, 4]
        .into_iter()
        .find(|&i| {
            holders
                .iter()
                .any(|h| h.provider.as_ref() == Some(&accounts[i]))
        })
        .expect("Eve or Ferdie holds a shard");
    for file in shard_files(&net.base_path(victim)) {
        std::fs::remove_file(file).unwrap();
    }

    // Scan the blocks: others answer their challenges and are paid, the victim is
    // penalized.
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut answered, mut slashed) = (false, false);
    let mut next: BlockNumber = r::best_header(&c).await.number;
    while !(answered && slashed) {
        assert!(
            Instant::now() < deadline,
            "answered {answered}, victim slashed {slashed}"
        );
        let best = r::best_header(&c).await.number;
        while next <= best {
            let Some(hash) = r::block_hash(&c, next).await else {
                break;
            };
            for record in r::events(&c, hash).await {
                match record.event {
                    // Paid from the deal for the answer, not merely accepted.
                    RuntimeEvent::Dds(pallet_dds::Event::ChallengeAnswered {
                        provider,
                        paid,
                        ..
                    }) if provider != accounts[victim] && paid > 0 => answered = true,
                    RuntimeEvent::Dds(pallet_dds::Event::ProviderPenalized {
                        provider,
                        slashed: amount,
                        ..
                    }) if provider == accounts[victim] && amount > 0 => slashed = true,
                    _ => {}
                }
            }
            next += 1;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Slashed below the minimum bond, the victim is out: its shards are reassigned, and
    // their new providers repair them (fetched from a peer that has them, or rebuilt from
    // any k of their chunk) and confirm them.
    echonet_tests::wait_until(
        "the victim's shards repaired elsewhere",
        Duration::from_secs(90),
        || async {
            let holders: Vec<pallet_dds::ShardHolder<AccountId>> =
                dds_api(&c, "DdsApi_assignments", cid.encode()).await;
            (holders.len() == header.shard_count as usize
                && holders.iter().all(|h| {
                    h.confirmed && h.provider.as_ref().is_some_and(|p| p != &accounts[victim])
                }))
            .then_some(())
        },
    )
    .await;
    for node in net.nodes.iter_mut() {
        node.assert_running();
        node.assert_no_panic();
    }
}
