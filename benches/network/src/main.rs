//! `network-bench`: block propagation, finality lag and late-joiner sync speed of a real
//! network of `echonet-node` validators on loopback.
//!
//! For each validator count it
//! 1. writes a chain spec with that many validators (`//Validator0`, ...), inserts their
//!    session keys and starts one node per validator, each booting from the first;
//! 2. once every node has finalized a block, watches every node's `chain_subscribeNewHeads`
//!    and `chain_subscribeFinalizedHeads` for `--seconds`, optionally sending `--tps` signed
//!    transfers per second, and reports
//!    - propagation latency: for each block and each node but the first to report it (its
//!      author), the time between the two reports;
//!    - finality lag in time: for each block of the final chain and each node, from the
//!      block's first report anywhere to that node's report of a finalized block at or
//!      above its height;
//!    - finality lag in blocks: at each new best block on a node, best − finalized there;
//! 3. builds `--sync-blocks` blocks offline, starts one full node per validator on copies
//!    of that database, and times a fresh full node syncing all of it from them.
//!
//! Every node is a separate process on one machine, so all reports share one clock; the
//! RPC notification delay is in both ends of every difference.
//!
//! `network-bench load` (the `load` module) measures sustained throughput instead.
//!
//! Build the node first (`cargo build --release -p echonet-node`) and point
//! `ECHONET_NODE_BIN` at it; see BENCHMARKS.md for the exact commands.

mod load;
mod resubmit;

use codec::Encode;
use echonet_runtime::{extrinsics, AccountId, Header};
use echonet_tests::{
    node::Node,
    offline, rpc,
    testnet::{self, validator_aura_pairs, validator_suri, validators_spec, Testnet},
};
use futures::StreamExt;
use jsonrpsee::{
    core::client::{Subscription, SubscriptionClientT},
    rpc_params,
};
use sp_core::{Pair, H256};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};
use tokio::sync::mpsc;

const USAGE: &str = "\
usage: network-bench load ...  (sustained throughput under load: network-bench load --help)
       network-bench [--validators 4,8] [--seconds 120] [--tps 50] [--sync-blocks 1000]

  --validators LIST   validator counts to measure, comma-separated (each 1-32; default 4,8)
  --seconds S         how long to watch each network once it finalizes (default 120)
  --tps N             signed transfers sent per second while watching (default 50; 0: none)
  --sync-blocks B     blocks a late full node syncs (default 1000; 0: skip)

The node binary is $ECHONET_NODE_BIN, else target/debug/echonet-node.";

struct Args {
    validators: Vec<usize>,
    seconds: u64,
    tps: u32,
    sync_blocks: u32,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        validators: vec![4, 8],
        seconds: 120,
        tps: 50,
        sync_blocks: 1000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: std::num::ParseIntError| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--validators" => {
                args.validators = value
                    .split(',')
                    .map(|v| v.trim().parse::<usize>().map_err(bad))
                    .collect::<Result<_, _>>()?;
                if let Some(n) = args.validators.iter().find(|n| !(1..=32).contains(*n)) {
                    return Err(format!("--validators: {n} is not in 1-32"));
                }
            }
            "--seconds" => args.seconds = value.parse().map_err(bad)?,
            "--tps" => args.tps = value.parse().map_err(bad)?,
            "--sync-blocks" => args.sync_blocks = value.parse().map_err(bad)?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.seconds == 0 {
        return Err("--seconds must be at least 1".into());
    }
    Ok(args)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().nth(1).as_deref() == Some("load") {
        match load::parse(std::env::args().skip(2)) {
            Ok(a) => return load::run(a).await,
            Err(e) => {
                eprintln!("network-bench load: {e}\n\n{}", load::USAGE);
                std::process::exit(2);
            }
        }
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("network-bench: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    println!("node binary: {}", echonet_tests::node_binary().display());
    for &n in &args.validators {
        let work = tempfile::Builder::new()
            .prefix("echonet-network-bench-")
            .tempdir()
            .expect("a temporary directory");
        let spec = validators_spec(n);
        let spec_path = work.path().join("spec.json");
        std::fs::write(
            &spec_path,
            spec.to_json(false).expect("the spec serializes"),
        )
        .expect("the spec is written");
        println!("\n== {n} validators ==");
        watch_network(n, &spec_path, &args).await;
        if args.sync_blocks > 0 {
            late_joiner(n, &spec, &spec_path, work.path(), args.sync_blocks).await;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Best,
    Finalized,
}

struct Report {
    node: usize,
    kind: Kind,
    number: u32,
    hash: H256,
    at: Instant,
}

async fn watch_network(n: usize, spec_path: &Path, args: &Args) {
    let chain = spec_path.to_string_lossy().into_owned();
    let mut builder = Testnet::builder(&chain);
    for i in 0..n {
        builder = builder.validator_with_keys(&format!("validator{i}"), &validator_suri(i));
    }
    let started = Instant::now();
    let mut net = builder.start().await;
    println!(
        "started {n} validators in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut watchers = Vec::new();
    for (i, node) in net.nodes.iter().enumerate() {
        let ws = node.ws().await;
        let best: Subscription<Header> = rpc::subscribe_new_heads(&ws).await;
        let finalized: Subscription<Header> = ws
            .subscribe(
                "chain_subscribeFinalizedHeads",
                rpc_params![],
                "chain_unsubscribeFinalizedHeads",
            )
            .await
            .expect("chain_subscribeFinalizedHeads");
        let tx = tx.clone();
        watchers.push(tokio::spawn(async move {
            let _ws = ws;
            let mut streams = futures::stream::select(
                best.map(|h| (Kind::Best, h)),
                finalized.map(|h| (Kind::Finalized, h)),
            );
            while let Some((kind, header)) = streams.next().await {
                let Ok(header) = header else { break };
                let report = Report {
                    node: i,
                    kind,
                    number: header.number,
                    hash: header.hash(),
                    at: Instant::now(),
                };
                if tx.send(report).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);

    net.wait_all(
        "every node has finalized a block",
        Duration::from_secs(180),
        |_, c| async move {
            let (f, _) = testnet::finalized(&c).await;
            if f >= 1 {
                Ok(())
            } else {
                Err(format!("finalized #{f}"))
            }
        },
    )
    .await;
    println!(
        "every node finalizes after {:.1} s; watching for {} s with {} transfers/s",
        started.elapsed().as_secs_f64(),
        args.seconds,
        args.tps
    );

    let window_start = Instant::now();
    let counts = std::sync::Arc::new(LoadCounts::default());
    let load = (args.tps > 0).then(|| {
        let urls: Vec<_> = net.nodes.iter().map(|n| n.http()).collect();
        tokio::spawn(send_transfers(urls, args.tps, n, counts.clone()))
    });
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let window_end = Instant::now();
    let (sent, rejected) = match load {
        Some(task) => {
            task.abort();
            let _ = task.await;
            counts.take()
        }
        None => (0, 0),
    };

    // The final chain, from node 0, for the finality lag of every height.
    let http = net.nodes[0].http();
    let (final_top, _) = testnet::finalized(&http).await;
    let mut canonical = HashMap::new();
    for number in 1..=final_top {
        if let Some(hash) = rpc::block_hash(&http, number).await {
            canonical.insert(number, hash);
        }
    }
    let best_top = rpc::best_header(&http).await.number;
    // Transfers the final chain included (every extrinsic but the timestamp inherent).
    let mut included = 0;
    for hash in canonical.values() {
        let block = rpc::block(&http, *hash).await;
        let extrinsics = block["block"]["extrinsics"].as_array().map_or(0, Vec::len);
        included += extrinsics.saturating_sub(1);
    }
    drop(net);
    for w in watchers {
        let _ = w.await;
    }
    let mut reports = Vec::new();
    while let Ok(r) = rx.try_recv() {
        reports.push(r);
    }
    reports.sort_by_key(|r| r.at);
    analyse(n, &reports, &canonical, window_start, window_end);
    println!("chain: best #{best_top}, finalized #{final_top} on node 0 at the end");
    if args.tps > 0 {
        println!(
            "load: {sent} transfers accepted by the pools, {rejected} refused ({} per second \
             asked); {included} included in finalized blocks",
            args.tps
        );
    }
}

fn analyse(
    n: usize,
    reports: &[Report],
    canonical: &HashMap<u32, H256>,
    from: Instant,
    to: Instant,
) {
    // First report of each block anywhere: its author's, all but always.
    let mut first: HashMap<H256, (Instant, usize)> = HashMap::new();
    for r in reports.iter().filter(|r| r.kind == Kind::Best) {
        first.entry(r.hash).or_insert((r.at, r.node));
    }
    let in_window = |t: Instant| t >= from && t <= to;

    let mut propagation = Vec::new();
    let mut reached: HashMap<H256, usize> = HashMap::new();
    for r in reports.iter().filter(|r| r.kind == Kind::Best) {
        let (t0, origin) = first[&r.hash];
        if in_window(t0) && r.node != origin {
            propagation.push(ms(r.at - t0));
            *reached.entry(r.hash).or_default() += 1;
        }
    }
    let blocks_in_window: Vec<H256> = first
        .iter()
        .filter(|(_, (t, _))| in_window(*t))
        .map(|(h, _)| *h)
        .collect();
    let everywhere = blocks_in_window
        .iter()
        .filter(|h| reached.get(*h).copied().unwrap_or(0) + 1 >= n)
        .count();

    // Finality lag in time, per canonical block and node.
    let mut finality = Vec::new();
    let mut finalized_reports: Vec<Vec<(Instant, u32)>> = vec![Vec::new(); n];
    for r in reports.iter().filter(|r| r.kind == Kind::Finalized) {
        finalized_reports[r.node].push((r.at, r.number));
    }
    let mut canonical_times = Vec::new();
    for (&number, hash) in canonical {
        let Some(&(t0, _)) = first.get(hash) else {
            continue;
        };
        if !in_window(t0) {
            continue;
        }
        canonical_times.push(t0);
        for node_reports in &finalized_reports {
            if let Some((t, _)) = node_reports.iter().find(|(t, f)| *f >= number && *t >= t0) {
                finality.push(ms(*t - t0));
            }
        }
    }
    canonical_times.sort();
    let intervals: Vec<f64> = canonical_times
        .windows(2)
        .map(|w| ms(w[1] - w[0]))
        .collect();

    // Finality lag in blocks, at each new best block of each node.
    let mut lag_blocks = Vec::new();
    let mut fin = vec![0u32; n];
    for r in reports {
        match r.kind {
            Kind::Finalized => fin[r.node] = fin[r.node].max(r.number),
            Kind::Best if in_window(r.at) => {
                lag_blocks.push(f64::from(r.number.saturating_sub(fin[r.node])))
            }
            Kind::Best => {}
        }
    }

    println!(
        "blocks: {} new in the window, {everywhere} reported by all {n} nodes; block interval p50 {:.0} ms",
        blocks_in_window.len(),
        percentile(&intervals, 0.5)
    );
    println!(
        "propagation latency: p50 {:.0} ms, p95 {:.0} ms ({} samples)",
        percentile(&propagation, 0.5),
        percentile(&propagation, 0.95),
        propagation.len()
    );
    println!(
        "finality lag: p50 {:.2} s, p95 {:.2} s ({} samples); in blocks: p50 {}, p95 {}",
        percentile(&finality, 0.5) / 1000.0,
        percentile(&finality, 0.95) / 1000.0,
        finality.len(),
        percentile(&lag_blocks, 0.5),
        percentile(&lag_blocks, 0.95),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `q` quantile (nearest rank) of `values`; NaN when there are none.
fn percentile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((v.len() - 1) as f64 * q).round() as usize;
    v[rank]
}

/// Counters of the load generator, read after it is stopped.
#[derive(Default)]
struct LoadCounts {
    sent: std::sync::atomic::AtomicU64,
    rejected: std::sync::atomic::AtomicU64,
}

impl LoadCounts {
    fn take(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.sent.swap(0, Relaxed), self.rejected.swap(0, Relaxed))
    }
}

/// Sends `tps` transfers per second, from every endowed account in turn, each account
/// always to the same node (so that its nonces arrive in order).
async fn send_transfers(
    nodes: Vec<jsonrpsee::http_client::HttpClient>,
    tps: u32,
    n: usize,
    counts: std::sync::Arc<LoadCounts>,
) {
    use std::sync::atomic::Ordering::Relaxed;
    let mut senders: Vec<sp_core::sr25519::Pair> = sp_keyring::Sr25519Keyring::iter()
        .map(|k| k.pair())
        .collect();
    senders.extend(validator_aura_pairs(n));
    let genesis = rpc::genesis_hash(&nodes[0]).await;
    let mut nonces = Vec::new();
    for s in &senders {
        let who: AccountId = s.public().into();
        nonces.push(rpc::next_nonce(&nodes[0], &who).await);
    }
    let dest: AccountId = sp_keyring::Sr25519Keyring::Ferdie.to_account_id();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(tps)));
    let mut k = 0usize;
    loop {
        tick.tick().await;
        let s = k % senders.len();
        k += 1;
        let xt = extrinsics::transfer(&senders[s], dest.clone(), 1_000, nonces[s], genesis);
        let hex = format!("0x{}", hex::encode(xt.encode()));
        let node = &nodes[s % nodes.len()];
        let result: Result<H256, _> =
            rpc::try_call(node, "author_submitExtrinsic", rpc_params![hex]).await;
        match result {
            Ok(_) => {
                nonces[s] += 1;
                counts.sent.fetch_add(1, Relaxed);
            }
            Err(_) => {
                counts.rejected.fetch_add(1, Relaxed);
                let who: AccountId = senders[s].public().into();
                if let Ok(next) = rpc::try_call::<u32>(
                    node,
                    "system_accountNextIndex",
                    rpc_params![who.to_string()],
                )
                .await
                {
                    nonces[s] = next;
                }
            }
        }
    }
}

async fn late_joiner(
    n: usize,
    spec: &echonet_client::ChainSpec,
    spec_path: &Path,
    work: &Path,
    blocks: u32,
) {
    let seed = work.join("seed");
    let built_at = Instant::now();
    let (spec2, seed2) = (spec.clone(), seed.clone());
    let (target, _) = tokio::task::spawn_blocking(move || {
        offline::extend_chain(&seed2, &spec2, &validator_aura_pairs(n), blocks)
    })
    .await
    .expect("the chain is built");
    println!(
        "late joiner: built {target} blocks offline in {:.1} s",
        built_at.elapsed().as_secs_f64()
    );
    let chain = spec_path.to_string_lossy().into_owned();
    let mut sources: Vec<Node> = Vec::new();
    let mut boot = Vec::new();
    for i in 0..n {
        let base: PathBuf = work.join(format!("source{i}"));
        copy_dir(&seed, &base).expect("the database copies");
        let mut b = Node::builder(&format!("source{i}"))
            .args(["--chain", &chain, "--base-path"])
            .arg(&base);
        if let Some(first) = boot.first() {
            b = b.arg("--bootnodes").arg(first);
        }
        let node = b.start().await;
        boot.push(node.multiaddr().await);
        sources.push(node);
    }

    let fresh = work.join("joiner");
    let spawned = Instant::now();
    let joiner = Node::builder("joiner")
        .args(["--chain", &chain, "--base-path"])
        .arg(&fresh)
        .arg("--bootnodes")
        .args(&boot)
        .start()
        .await;
    let http = joiner.http();
    let mut first_block: Option<Instant> = None;
    let deadline = spawned + Duration::from_secs(600);
    loop {
        let state: serde_json::Value = rpc::call(&http, "system_syncState", rpc_params![]).await;
        let current = state["currentBlock"].as_u64().unwrap_or(0);
        if current > 0 && first_block.is_none() {
            first_block = Some(Instant::now());
        }
        if current >= u64::from(target) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the late joiner reached {state} in 600 s, not #{target}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let total = spawned.elapsed().as_secs_f64();
    let importing = first_block
        .map(|t| t.elapsed().as_secs_f64())
        .unwrap_or(total);
    println!(
        "late joiner: synced {target} blocks from {n} peers in {total:.1} s from process start \
         ({:.0} blocks/s); {importing:.1} s from its first block ({:.0} blocks/s)",
        f64::from(target) / total,
        f64::from(target) / importing
    );
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}
