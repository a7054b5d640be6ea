//! The node's command line: chain specs, keys, purging, exporting and importing blocks,
//! and how it refuses bad input.

use echonet_runtime::{Header, UNITS};
use echonet_tests::{chain, node::free_port, rpc, run_cli, Node, BLOCK_TIMEOUT};
use serde_json::Value;
use sp_keyring::Sr25519Keyring::{Alice, Bob};
use std::path::Path;

const ALICE_SS58: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
const ALICE_PUBLIC: &str = "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";

/// The value after `label` on the line that has it, e.g. "SS58 Address:".
fn field<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {label:?} in:\n{text}"))
}

fn assert_no_panic(stderr: &str) {
    assert!(!stderr.contains("panicked"), "the node panicked:\n{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_spec_prints_the_dev_chain_spec_as_json() {
    let out = run_cli(["build-spec", "--chain", "dev"]).await;
    out.assert_success("build-spec --chain dev");
    let spec: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("build-spec printed invalid JSON ({e}):\n{}", out.stdout));
    assert_eq!(spec["id"], "dev", "{spec}");
    assert_eq!(spec["chainType"], "Development", "{spec}");
    assert_eq!(spec["properties"]["tokenSymbol"], "ECHO", "{spec}");
    assert_eq!(spec["properties"]["ss58Format"], 42, "{spec}");
    assert!(
        spec["genesis"]["runtimeGenesis"].is_object(),
        "the non-raw spec has no runtimeGenesis: {spec}"
    );
    assert!(
        out.stdout.contains(ALICE_SS58),
        "Alice is not endowed in the dev genesis"
    );
    assert_no_panic(&out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_chain_spec_gives_the_same_genesis_hash_as_dev() {
    let out = run_cli(["build-spec", "--chain", "dev", "--raw"]).await;
    out.assert_success("build-spec --chain dev --raw");
    let spec: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("build-spec --raw printed invalid JSON ({e})"));
    let top = spec["genesis"]["raw"]["top"]
        .as_object()
        .unwrap_or_else(|| panic!("no genesis.raw.top in the raw spec: {:.500}", out.stdout));
    assert!(!top.is_empty(), "the raw genesis is empty");
    let dir = tempfile::tempdir().expect("temp dir");
    let spec_path = dir.path().join("dev-raw.json");
    std::fs::write(&spec_path, &out.stdout).expect("write the raw spec");

    let (from_file, dev) = futures::join!(
        Node::builder("node on the raw spec")
            .arg("--chain")
            .arg(&spec_path)
            .arg("--tmp")
            .start(),
        Node::dev("dev node"),
    );
    let (ws_file, ws_dev) = futures::join!(from_file.ws(), dev.ws());
    let (genesis_file, genesis_dev) =
        futures::join!(rpc::genesis_hash(&ws_file), rpc::genesis_hash(&ws_dev));
    assert_eq!(genesis_file, genesis_dev);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_inspect_alice_prints_her_address_and_public_key() {
    let out = run_cli(["key", "inspect", "//Alice"]).await;
    out.assert_success("key inspect //Alice");
    assert_eq!(field(&out.stdout, "SS58 Address:"), ALICE_SS58);
    assert_eq!(field(&out.stdout, "Public key (hex):"), ALICE_PUBLIC);

    let out = run_cli(["key", "inspect", "--public", ALICE_SS58]).await;
    out.assert_success("key inspect --public");
    assert_eq!(field(&out.stdout, "Public key (hex):"), ALICE_PUBLIC);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_generate_prints_a_phrase_that_inspects_to_the_same_address() {
    let out = run_cli(["key", "generate"]).await;
    out.assert_success("key generate");
    let phrase = field(&out.stdout, "Secret phrase:");
    assert_eq!(phrase.split_whitespace().count(), 12, "{phrase:?}");
    let address = field(&out.stdout, "SS58 Address:");
    assert!(
        address.starts_with('5'),
        "not a prefix-42 address: {address}"
    );

    let again = run_cli(["key", "inspect", phrase]).await;
    again.assert_success("key inspect <generated phrase>");
    assert_eq!(field(&again.stdout, "SS58 Address:"), address);

    let json = run_cli(["key", "generate", "--words", "24", "--output-type", "json"]).await;
    json.assert_success("key generate --words 24 --output-type json");
    let key: Value = serde_json::from_str(&json.stdout).expect("JSON output");
    let words = key["secretPhrase"].as_str().expect("secretPhrase");
    assert_eq!(words.split_whitespace().count(), 24);
    assert_ne!(words, phrase, "two generated phrases are equal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_generate_node_key_prints_the_key_and_its_peer_id_on_stderr() {
    let out = run_cli(["key", "generate-node-key"]).await;
    out.assert_success("key generate-node-key");
    let secret = out.stdout.trim();
    assert_eq!(secret.len(), 64, "not 32 bytes of hex: {secret:?}");
    assert!(hex::decode(secret).is_ok(), "not hex: {secret:?}");
    let peer_id = out.stderr.trim();
    assert!(
        peer_id.starts_with("12D3KooW"),
        "not an ed25519 peer id: {peer_id:?}"
    );

    // The same key, written to a file, inspects to the same peer id.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("node-key");
    std::fs::write(&file, secret).expect("write the key");
    let inspected = run_cli([
        "key".as_ref(),
        "inspect-node-key".as_ref(),
        "--file".as_ref(),
        file.as_os_str(),
    ])
    .await;
    inspected.assert_success("key inspect-node-key");
    assert_eq!(inspected.stdout.trim(), peer_id);
}

/// Runs `--dev -d base` until it has authored past `blocks`, then stops it cleanly
/// right after a new head; returns the best header at the stop.
async fn author_blocks(base: &Path, blocks: u32, with_transfer: bool) -> Header {
    let mut node = Node::builder("authoring node")
        .args(["--dev".as_ref(), "-d".as_ref(), base.as_os_str()])
        .start()
        .await;
    let ws = node.ws().await;
    if with_transfer {
        let genesis = rpc::genesis_hash(&ws).await;
        let nonce = rpc::next_nonce(&ws, &Alice.to_account_id()).await;
        let xt = chain::transfer(Alice, &Bob.to_account_id(), UNITS, nonce, genesis);
        let mut watch = rpc::submit_and_watch(&ws, &chain::xt_hex(&xt)).await;
        rpc::statuses_until_final(&mut watch, 3 * BLOCK_TIMEOUT).await;
    }
    rpc::wait_for_best_above(&ws, blocks, 4 * BLOCK_TIMEOUT).await;
    let mut heads = rpc::subscribe_new_heads(&ws).await;
    let first = rpc::next(&mut heads, BLOCK_TIMEOUT, "a head").await;
    let head = loop {
        let head = rpc::next(&mut heads, BLOCK_TIMEOUT, "a new head").await;
        if head.number > first.number {
            break head;
        }
    };
    // Stopping right after a new head leaves ~2 s before the next slot.
    let best = rpc::best_header(&ws).await;
    assert_eq!(best.hash(), head.hash());
    let status = node.stop().await;
    assert!(status.success(), "the node did not stop cleanly: {status}");
    best
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_chain_deletes_the_database() {
    let base = tempfile::tempdir().expect("temp dir");
    author_blocks(base.path(), 1, false).await;
    let db = base.path().join("chains").join("dev").join("db");
    assert!(db.is_dir(), "no database at {}", db.display());

    let base_arg = base.path().as_os_str();
    let args = [
        "purge-chain".as_ref(),
        "-y".as_ref(),
        "--chain".as_ref(),
        "dev".as_ref(),
        "-d".as_ref(),
        base_arg,
    ];
    let out = run_cli(args).await;
    out.assert_success("purge-chain -y");
    assert!(!db.exists(), "{} still exists", db.display());
    assert!(out.stderr.contains("removed"), "{}", out.stderr);
    // The keystore is not the chain's data: it stays.
    assert!(base
        .path()
        .join("chains")
        .join("dev")
        .join("keystore")
        .is_dir());

    // Purging again is harmless.
    let out = run_cli(args).await;
    out.assert_success("purge-chain -y on a purged chain");
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);

    // A node on the purged base path starts again from genesis.
    let node = Node::builder("node after purge")
        .args(["--chain".as_ref(), "dev".as_ref(), "-d".as_ref(), base_arg])
        .start()
        .await;
    let ws = node.ws().await;
    assert_eq!(rpc::best_header(&ws).await.number, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_import_into_a_fresh_base_path_reproduces_the_best_hash() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("source");
    let best = author_blocks(&source, 3, true).await;
    let best_hash = best.hash();

    // Both formats, each into its own fresh base path.
    let mut imported = Vec::new();
    for (format, flags) in [("json", &[][..]), ("binary", &["--binary"][..])] {
        let file = dir.path().join(format!("blocks.{format}"));
        let target = dir.path().join(format!("imported-{format}"));
        let export = run_cli(
            [
                "export-blocks".as_ref(),
                "--chain".as_ref(),
                "dev".as_ref(),
                "-d".as_ref(),
                source.as_os_str(),
            ]
            .into_iter()
            .chain(flags.iter().map(|f| f.as_ref()))
            .chain([file.as_os_str()]),
        )
        .await;
        export.assert_success(&format!("export-blocks ({format})"));
        assert!(
            export.stderr.contains(&format!("#{}", best.number)),
            "export-blocks ({format}) did not export up to #{}: {}",
            best.number,
            export.stderr
        );
        let import = run_cli(
            [
                "import-blocks".as_ref(),
                "--chain".as_ref(),
                "dev".as_ref(),
                "-d".as_ref(),
                target.as_os_str(),
            ]
            .into_iter()
            .chain(flags.iter().map(|f| f.as_ref()))
            .chain([file.as_os_str()]),
        )
        .await;
        import.assert_success(&format!("import-blocks ({format})"));
        assert_no_panic(&import.stderr);
        imported.push((format, target));
    }

    // Non-validator nodes on the imported databases: they serve what was imported and
    // author nothing on top.
    let (json_node, binary_node) = futures::join!(
        Node::builder("node on the JSON import")
            .args([
                "--chain".as_ref(),
                "dev".as_ref(),
                "-d".as_ref(),
                imported[0].1.as_os_str()
            ])
            .start(),
        Node::builder("node on the binary import")
            .args([
                "--chain".as_ref(),
                "dev".as_ref(),
                "-d".as_ref(),
                imported[1].1.as_os_str()
            ])
            .start(),
    );
    for (format, node) in [("json", &json_node), ("binary", &binary_node)] {
        let ws = node.ws().await;
        let imported_best = rpc::best_header(&ws).await;
        assert_eq!(
            imported_best.hash(),
            best_hash,
            "{format} import: best #{} instead of #{}",
            imported_best.number,
            best.number
        );
        assert_eq!(imported_best.state_root, best.state_root);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_command_lines_exit_non_zero_with_a_message_and_no_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-spec.json");
    let not_json = dir.path().join("not-json.json");
    std::fs::write(&not_json, "this is not a chain spec").expect("write");
    let junk_blocks = dir.path().join("junk.blocks");
    std::fs::write(&junk_blocks, "not a block\n").expect("write");
    let base = dir.path().join("base");
    let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let taken_port = taken.local_addr().expect("address").port().to_string();
    let (p2p, rpc_port) = (free_port().to_string(), free_port().to_string());
    let s = |p: &Path| p.to_string_lossy().into_owned();

    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--chain".into(),
                s(&missing),
                "--tmp".into(),
                "--no-prometheus".into(),
            ],
            "no-such-spec.json",
        ),
        (
            vec![
                "--chain".into(),
                s(&not_json),
                "--tmp".into(),
                "--no-prometheus".into(),
            ],
            "invalid chain spec",
        ),
        (
            vec!["--no-such-flag".into()],
            "unexpected argument '--no-such-flag'",
        ),
        (
            vec!["--rpc-port".into(), "not-a-port".into()],
            "invalid value 'not-a-port'",
        ),
        (
            vec!["build-spec".into(), "--chain".into(), "nope".into()],
            "nope",
        ),
        (
            vec!["key".into(), "inspect".into(), "not a secret phrase".into()],
            "invalid secret URI",
        ),
        (
            vec![
                "key".into(),
                "generate".into(),
                "--words".into(),
                "13".into(),
            ],
            "--words must be",
        ),
        (
            vec![
                "import-blocks".into(),
                "--chain".into(),
                "dev".into(),
                "-d".into(),
                s(&base),
                s(&junk_blocks),
            ],
            "is not a block",
        ),
        (
            vec![
                "import-blocks".into(),
                "--binary".into(),
                "--chain".into(),
                "dev".into(),
                "-d".into(),
                s(&base),
                s(&junk_blocks),
            ],
            "block 1 of the input does not decode",
        ),
        (
            vec![
                "--dev".into(),
                "--tmp".into(),
                "--no-prometheus".into(),
                "--port".into(),
                p2p.clone(),
                "--rpc-port".into(),
                taken_port.clone(),
            ],
            "--rpc-port",
        ),
        (
            vec![
                "--dev".into(),
                "--tmp".into(),
                "--port".into(),
                p2p,
                "--rpc-port".into(),
                rpc_port,
                "--prometheus-port".into(),
                taken_port,
            ],
            "--prometheus-port",
        ),
        (
            vec![
                "benchmark".into(),
                "overhead".into(),
                "--blocks".into(),
                "0".into(),
            ],
            "--blocks and --extrinsics must be at least 1",
        ),
        (
            vec![
                "benchmark".into(),
                "fee-market".into(),
                "--demand".into(),
                "5".into(),
                "--senders".into(),
                "5".into(),
            ],
            "does not fit in a block",
        ),
        (
            vec![
                "benchmark".into(),
                "fee-market".into(),
                "--demand".into(),
                "NaN".into(),
            ],
            "--demand must be a positive number",
        ),
    ];
    for (args, expected) in cases {
        let out = run_cli(&args).await;
        assert!(
            !out.status.success(),
            "echonet-node {args:?} succeeded:\n{}{}",
            out.stdout,
            out.stderr
        );
        assert!(
            out.stderr.contains(expected),
            "echonet-node {args:?}: stderr does not mention {expected:?}:\n{}",
            out.stderr
        );
        assert_no_panic(&out.stderr);
    }
    drop(taken);
}

/// Three blocks at 2x the target: the multiplier rises block after block, from the
/// runtime's own fee adjustment.
#[tokio::test]
async fn benchmark_fee_market_prints_a_rising_multiplier_under_load() {
    let out = run_cli([
        "benchmark",
        "fee-market",
        "--blocks",
        "3",
        "--senders",
        "200",
    ])
    .await;
    out.assert_success("benchmark fee-market");
    let multipliers: Vec<f64> = out
        .stdout
        .lines()
        .filter_map(|line| {
            let mut cols = line.split_whitespace();
            cols.next()?.parse::<u32>().ok()?;
            cols.next()?.parse().ok()
        })
        .collect();
    assert_eq!(multipliers.len(), 3, "one row a block:\n{}", out.stdout);
    assert!(
        multipliers[0] > 1.0 && multipliers.windows(2).all(|w| w[1] > w[0]),
        "the multiplier rises at 2x the target: {multipliers:?}"
    );
    assert!(
        out.stdout.contains("not settled after 3 blocks"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn benchmark_overhead_measures_and_writes_the_base_weights() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_cli([
        "benchmark",
        "overhead",
        "--blocks",
        "2",
        "--extrinsics",
        "20",
        "--senders",
        "5",
        "--output",
        &dir.path().to_string_lossy(),
    ])
    .await;
    out.assert_success("benchmark overhead");
    assert!(
        out.stdout.contains("block execution:") && out.stdout.contains("extrinsic base:"),
        "no figures printed:\n{}",
        out.stdout
    );
    // Each file holds one measured, non-zero constant in nanoseconds.
    for (file, constant) in [
        ("block_weights.rs", "BlockExecutionWeight"),
        ("extrinsic_weights.rs", "ExtrinsicBaseWeight"),
    ] {
        let text = std::fs::read_to_string(dir.path().join(file))
            .unwrap_or_else(|e| panic!("{file} was not written: {e}"));
        assert!(text.contains(constant), "{file}:\n{text}");
        let nanos: u64 = text
            .split("saturating_mul(")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{file} has no nanosecond figure:\n{text}"));
        assert!(nanos > 0, "{file}: {constant} is zero");
    }
}

#[tokio::test]
async fn benchmark_pallet_without_the_feature_says_how_to_build_it() {
    let out = run_cli(["benchmark", "pallet", "--list"]).await;
    if out.status.success() {
        // A node built with --features runtime-benchmarks lists real benchmarks.
        assert!(
            out.stdout.contains("pallet_balances, transfer_keep_alive"),
            "{}",
            out.stdout
        );
    } else {
        assert!(
            out.stderr.contains("--features runtime-benchmarks"),
            "{}",
            out.stderr
        );
        assert_no_panic(&out.stderr);
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_files_are_owner_only_and_a_torn_one_stops_the_node_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).expect("key file").permissions().mode() & 0o777;
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().join("base");
    let s = |p: &Path| p.to_string_lossy().into_owned();

    // Keys the CLI writes are the owner's alone.
    let node_key = dir.path().join("node-key");
    let out = run_cli(["key", "generate-node-key", "--file", &s(&node_key)]).await;
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(mode(&node_key), 0o600);
    let out = run_cli([
        "key",
        "insert",
        "--chain",
        "dev",
        "-d",
        &s(&base),
        "--suri",
        "//Alice",
        "--key-type",
        "aura",
    ])
    .await;
    assert!(out.status.success(), "{}", out.stderr);
    let keystore = base.join("chains/dev/keystore");
    let key_file = std::fs::read_dir(&keystore)
        .expect("the keystore")
        .map(|e| e.expect("an entry").path())
        .next()
        .expect("the inserted key's file");
    assert_eq!(mode(&key_file), 0o600);

    let start = |base: &Path| {
        vec![
            "--chain".to_string(),
            "dev".into(),
            "-d".into(),
            s(base),
            "--no-prometheus".into(),
            "--port".into(),
            free_port().to_string(),
            "--rpc-port".into(),
            free_port().to_string(),
        ]
    };
    // A keystore file cut short by a crash: the node refuses to start and says which.
    std::fs::write(&key_file, b"\"//Al").expect("tear the key file");
    let out = run_cli(start(&base)).await;
    assert!(
        !out.status.success(),
        "started with a torn key file:\n{}",
        out.stderr
    );
    let name = key_file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        out.stderr.contains(&name) && out.stderr.contains("damaged key file"),
        "the error does not name the torn key file:\n{}",
        out.stderr
    );
    assert_no_panic(&out.stderr);

    // A hex node key cut at 32 bytes would be a valid raw key of another identity.
    let base = dir.path().join("base2");
    let network = base.join("chains/dev/network");
    std::fs::create_dir_all(&network).expect("network dir");
    let hex = std::fs::read(&node_key).expect("the node key");
    std::fs::write(network.join("secret_ed25519"), &hex[..32]).expect("tear the node key");
    let out = run_cli(start(&base)).await;
    assert!(
        !out.status.success(),
        "started with a torn node key:\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("secret_ed25519"),
        "the error does not name the torn node key:\n{}",
        out.stderr
    );
    assert_no_panic(&out.stderr);
}

/// The value `Hash`-like after `label` in `text`, e.g. "state root " in the corpus's and
/// import-blocks's summaries.
fn hex_after<'a>(text: &'a str, label: &str) -> &'a str {
    let start = text
        .rfind(label)
        .unwrap_or_else(|| panic!("no {label:?} in:\n{text}"))
        + label.len();
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !c.is_ascii_hexdigit() && c != 'x')
        .unwrap_or(rest.len());
    &rest[..end]
}

/// `benchmark corpus` writes blocks of transfers, staking and witness calls across several
/// eras; `import-blocks` executes them in a fresh database and reaches the corpus's state
/// root. scripts/cross-build-state-roots.sh does the same between a debug and a release
/// build (issue 11 item 7); this test keeps the corpus and the import path working in CI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_corpus_reimports_to_the_same_state_root() {
    let dir = tempfile::tempdir().expect("temp dir");
    let corpus = dir.path().join("corpus");
    let out = run_cli([
        "benchmark".as_ref(),
        "corpus".as_ref(),
        "--blocks".as_ref(),
        "70".as_ref(),
        "--output".as_ref(),
        corpus.as_os_str(),
    ])
    .await;
    out.assert_success("benchmark corpus");
    assert_no_panic(&out.stderr);
    // The corpus reaches what it is for: two eras, staking and witness calls that work, and
    // calls that fail on purpose.
    for event in [
        "Witness::Event::EraStarted",
        "Witness::Event::Bonded",
        "Witness::Event::Nominated",
        "Witness::Event::Unbonded",
        "Witness::Event::WitnessRegistered",
        "Witness::Event::EventValidated",
        "System::Event::ExtrinsicFailed",
        "Balances::Event::Transfer",
    ] {
        assert!(
            out.stderr.contains(&format!("  {event}: ")),
            "the corpus emitted no {event}:\n{}",
            out.stderr
        );
    }
    let best = hex_after(&out.stdout, "best #70 ").to_owned();
    let root = hex_after(&out.stdout, "state root ").to_owned();

    let import = run_cli([
        "import-blocks".as_ref(),
        "--chain".as_ref(),
        corpus.join("spec.json").as_os_str(),
        "--binary".as_ref(),
        "--base-path".as_ref(),
        dir.path().join("importer").as_os_str(),
        corpus.join("blocks.bin").as_os_str(),
    ])
    .await;
    import.assert_success("import-blocks of the corpus");
    assert_no_panic(&import.stderr);
    assert!(
        import.stderr.contains("Imported 70 blocks"),
        "{}",
        import.stderr
    );
    assert_eq!(hex_after(&import.stderr, "best is #70 ("), best);
    assert_eq!(hex_after(&import.stderr, "state root "), root);
}
