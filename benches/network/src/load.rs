//! `network-bench load`: sustained end-to-end throughput of a network of validators.
//!
//! 1. Makes `--accounts` sr25519 accounts (from fixed seeds) and endows them in the genesis
//!    of a chain spec with `--validators` validators.
//! 2. While the validators start, pre-signs `--tps × --seconds` transfers: transfer `k` is
//!    from account `k mod accounts`, with nonce `k div accounts`, to the next account. An
//!    account always goes to the same validator (account `a` to node `a mod validators`),
//!    so that its nonces reach one pool in order.
//! 3. Once the network finalizes, submits them on schedule (transfer `k` is due at
//!    `k / tps` seconds) with `author_submitExtrinsic`, batched per node every `--tick-ms`
//!    into one JSON-RPC batch, with up to `--in-flight` batches pipelined per node (HTTP,
//!    one connection each). A transfer refused for a transient reason (pool full, RPC
//!    timeout, connection) is resent after a backoff in its account's nonce order, so
//!    that a refusal leaves no nonce gap (see [`crate::resubmit`]).
//! 4. Watches node 0's best and finalized heads; reads each new block's body and matches
//!    its extrinsics against the pre-signed ones, recording when each transfer was first
//!    in a best block and when its block was finalized (times are when the bench received
//!    the notification).
//! 5. After the window, keeps watching for `--drain` seconds (or until everything
//!    accepted is finalized), then reports: finalized transfers per second in the window,
//!    p50/p95 latency submission → inclusion and submission → finality, every refusal by
//!    reason, what was accepted but never included, each node's CPU (whole process, per
//!    thread name, and the node's own per-component counters from Prometheus,
//!    `echonet_cpu_seconds_total{component}`), and a timeline per 10 s.
//!
//! The bench runs on the same machine as the nodes: its own CPU is reported too.

use crate::resubmit::{classify, Retries, RetryStats, Verdict};
use codec::Encode;
use echonet_runtime::{extrinsics, AccountId, Header};
use echonet_tests::{rpc, testnet::Testnet};
use futures::StreamExt;
use jsonrpsee::{
    core::{
        client::{ClientT, Subscription, SubscriptionClientT},
        params::BatchRequestBuilder,
    },
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use sp_core::{sr25519, Pair, H256};
use sp_crypto_hashing::blake2_256;
use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
    sync::{
        atomic::{AtomicU64, Ordering::Relaxed},
        Arc,
    },
    time::{Duration, Instant},
};
use tokio::sync::{mpsc, Mutex, Semaphore};

pub const USAGE: &str = "\
usage: network-bench load [--validators 4] [--seconds 120] [--tps 3000] [--accounts 6000]
                          [--tick-ms 50] [--in-flight 4] [--drain 30] [--retries 20]
                          [--node-arg ARG]...

  --validators N   validators, one process each (default 4)
  --seconds S      how long transfers are sent (default 120)
  --tps N          transfers sent per second, spread over the validators (default 3000)
  --accounts A     sending accounts, endowed in genesis (default 6000)
  --tick-ms T      submissions due are sent every T ms, one JSON-RPC batch per node (default 50)
  --in-flight K    batches pipelined per node (default 4)
  --drain D        seconds to keep watching after the window for late finality (default 30)
  --retries R      attempts of a transfer refused for a transient reason (pool full, RPC
                   timeout, connection) before it is given up (default 20); resent in its
                   account's nonce order after a backoff of 1, 2, 4... ticks, at most 3 s
  --node-arg ARG   an extra argument for every node (repeatable), e.g. --node-arg=--pool-limit=20000
  --logs DIR       keep each node's log there (validatorN.log)

The node binary is $ECHONET_NODE_BIN, else target/debug/echonet-node.";

/// The load run's arguments.
pub struct LoadArgs {
    validators: usize,
    seconds: u64,
    tps: u32,
    accounts: u32,
    tick: Duration,
    in_flight: usize,
    drain: u64,
    retries: u32,
    node_args: Vec<String>,
    logs: Option<std::path::PathBuf>,
}

/// Parses the arguments after `load`.
pub fn parse(mut it: impl Iterator<Item = String>) -> Result<LoadArgs, String> {
    let mut a = LoadArgs {
        validators: 4,
        seconds: 120,
        tps: 3000,
        accounts: 6000,
        tick: Duration::from_millis(50),
        in_flight: 4,
        drain: 30,
        retries: 20,
        node_args: Vec::new(),
        logs: None,
    };
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let (flag, inline) = match flag.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (flag, None),
        };
        let value = match inline {
            Some(v) => v,
            None => it.next().ok_or_else(|| format!("{flag} needs a value"))?,
        };
        let bad = |e: std::num::ParseIntError| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--validators" => a.validators = value.parse().map_err(bad)?,
            "--seconds" => a.seconds = value.parse().map_err(bad)?,
            "--tps" => a.tps = value.parse().map_err(bad)?,
            "--accounts" => a.accounts = value.parse().map_err(bad)?,
            "--tick-ms" => a.tick = Duration::from_millis(value.parse().map_err(bad)?),
            "--in-flight" => a.in_flight = value.parse().map_err(bad)?,
            "--drain" => a.drain = value.parse().map_err(bad)?,
            "--retries" => a.retries = value.parse().map_err(bad)?,
            "--node-arg" => a.node_args.push(value),
            "--logs" => a.logs = Some(value.into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !(1..=32).contains(&a.validators) {
        return Err(format!("--validators: {} is not in 1-32", a.validators));
    }
    if a.seconds == 0 || a.tps == 0 || a.accounts < 2 || a.in_flight == 0 || a.retries == 0 {
        return Err(
            "--seconds, --tps, --in-flight, --retries must be at least 1, --accounts 2".into(),
        );
    }
    if a.tick.is_zero() {
        return Err("--tick-ms must be at least 1".into());
    }
    Ok(a)
}

/// The `i`th load account.
fn account_pair(i: u32) -> sr25519::Pair {
    sr25519::Pair::from_seed(&blake2_256(&(b"echonet-load-account", i).encode()))
}

/// [`echonet_tests::testnet::validators_spec`] with the load accounts endowed too.
fn load_spec(n: usize, accounts: &[AccountId]) -> echonet_client::ChainSpec {
    echonet_tests::testnet::validators_spec_endowing(n, accounts, "Load Testnet", "load")
}

/// The pre-signed transfers: hex for submission, and hash -> index for matching blocks.
struct Signed {
    hex: Vec<String>,
    index: HashMap<[u8; 32], u32>,
}

fn presign(pairs: &[sr25519::Pair], genesis: H256, total: u32) -> Signed {
    let n = pairs.len() as u32;
    let ids: Vec<AccountId> = pairs.iter().map(|p| p.public().into()).collect();
    let threads = std::thread::available_parallelism().map_or(2, |p| p.get()) as u32;
    let chunk = total.div_ceil(threads).max(1);
    let parts: Vec<Vec<(String, [u8; 32])>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (pairs, ids) = (&pairs, &ids);
                s.spawn(move || {
                    let from = t * chunk;
                    let to = (from + chunk).min(total);
                    (from..to)
                        .map(|k| {
                            let a = k % n;
                            let dest = ids[((a + 1) % n) as usize].clone();
                            let xt = extrinsics::transfer(
                                &pairs[a as usize],
                                dest,
                                1_000_000,
                                k / n,
                                genesis,
                            );
                            let bytes = xt.encode();
                            (format!("0x{}", hex::encode(&bytes)), blake2_256(&bytes))
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a signing thread"))
            .collect()
    });
    let mut hex = Vec::with_capacity(total as usize);
    let mut index = HashMap::with_capacity(total as usize);
    for (k, (h, hash)) in parts.into_iter().flatten().enumerate() {
        index.insert(hash, k as u32);
        hex.push(h);
    }
    Signed { hex, index }
}

/// Per-transfer times, in µs since the window opened, plus one (0: not yet).
struct Times {
    sent: Vec<AtomicU64>,
    included: Vec<AtomicU64>,
    finalized: Vec<AtomicU64>,
    accepted: Vec<std::sync::atomic::AtomicBool>,
}

impl Times {
    fn new(n: usize) -> Self {
        let v = || (0..n).map(|_| AtomicU64::new(0)).collect();
        Self {
            sent: v(),
            included: v(),
            finalized: v(),
            accepted: (0..n)
                .map(|_| std::sync::atomic::AtomicBool::new(false))
                .collect(),
        }
    }
}

fn stamp(t0: Instant, at: Instant) -> u64 {
    at.saturating_duration_since(t0).as_micros() as u64 + 1
}

/// Refusals by reason.
type Refusals = Arc<Mutex<BTreeMap<String, u64>>>;

/// Runs the load benchmark.
pub async fn run(args: LoadArgs) {
    let n = args.validators;
    let total =
        u32::try_from(u64::from(args.tps) * args.seconds).expect("fewer than 2^32 transfers");
    println!(
        "node binary: {}\nload: {n} validators, {} accounts, {} transfers/s for {} s ({total} transfers)",
        echonet_tests::node_binary().display(),
        args.accounts,
        args.tps,
        args.seconds
    );
    print_load("at start");
    let started = Instant::now();
    let pairs: Vec<sr25519::Pair> = (0..args.accounts).map(account_pair).collect();
    let ids: Vec<AccountId> = pairs.iter().map(|p| p.public().into()).collect();
    let spec = load_spec(n, &ids);
    let work = tempfile::Builder::new()
        .prefix("echonet-network-bench-load-")
        .tempdir()
        .expect("a temporary directory");
    let spec_path = work.path().join("spec.json");
    std::fs::write(
        &spec_path,
        spec.to_json(false).expect("the spec serializes"),
    )
    .expect("the spec is written");

    let mut net = start_network(n, &spec_path, &args.node_args).await;
    let genesis = rpc::genesis_hash(&net.nodes[0].http()).await;
    println!(
        "{n} validators started in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Sign while the network gets going.
    let signing = {
        let pairs = pairs.clone();
        tokio::task::spawn_blocking(move || {
            let t = Instant::now();
            let s = presign(&pairs, genesis, total);
            (s, t.elapsed())
        })
    };
    net.wait_all(
        "every node has finalized a block",
        Duration::from_secs(180),
        |_, c| async move {
            let (f, _) = echonet_tests::testnet::finalized(&c).await;
            if f >= 1 {
                Ok(())
            } else {
                Err(format!("finalized #{f}"))
            }
        },
    )
    .await;
    let (signed, took) = signing.await.expect("signing");
    println!("signed {total} transfers in {:.1} s", took.as_secs_f64());
    println!(
        "every node finalizes after {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let signed = Arc::new(signed);
    let times = Arc::new(Times::new(total as usize));
    let refusals: Refusals = Arc::default();
    let pids: Vec<u32> = net.nodes.iter().map(|node| node.pid()).collect();
    let prometheus: Vec<Option<std::net::SocketAddr>> = net
        .nodes
        .iter()
        .map(|node| node.prometheus_port.map(|_| node.prometheus_addr()))
        .collect();

    // The watcher, on node 0.
    let t0 = Instant::now();
    let (ws, http0) = (net.nodes[0].ws().await, net.nodes[0].http());
    let best: Subscription<Header> = rpc::subscribe_new_heads(&ws).await;
    let finalized: Subscription<Header> = ws
        .subscribe(
            "chain_subscribeFinalizedHeads",
            rpc_params![],
            "chain_unsubscribeFinalizedHeads",
        )
        .await
        .expect("chain_subscribeFinalizedHeads");
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let receiver = tokio::spawn(async move {
        let _ws = ws;
        let mut s = futures::stream::select(best.map(|h| (false, h)), finalized.map(|h| (true, h)));
        while let Some((fin, h)) = s.next().await {
            let Ok(h) = h else { break };
            if events_tx.send((fin, h, Instant::now())).is_err() {
                break;
            }
        }
    });
    let watcher = tokio::spawn(watch(http0, events_rx, signed.clone(), times.clone(), t0));

    let cpu_start: Vec<ProcCpu> = pids.iter().map(|p| ProcCpu::read(*p)).collect();
    let self_start = ProcCpu::read(std::process::id());
    let prom_start = scrape_all(&prometheus).await;
    print_load("window opens");

    // The sender.
    let urls: Vec<String> = net.nodes.iter().map(|node| node.http_url()).collect();
    let sender = tokio::spawn(send(
        urls,
        SendPlan {
            tps: args.tps,
            total,
            accounts: args.accounts,
            tick: args.tick,
            in_flight: args.in_flight,
            retries: args.retries,
            // Resubmissions stop when the drain would end at the latest.
            stop_retrying: t0 + Duration::from_secs(args.seconds + args.drain),
        },
        signed.clone(),
        times.clone(),
        refusals.clone(),
        t0,
    ));
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let window = t0.elapsed();
    let sent_in_time = times.sent.iter().filter(|t| t.load(Relaxed) != 0).count();
    let cpu_end: Vec<ProcCpu> = pids.iter().map(|p| ProcCpu::read(*p)).collect();
    let self_end = ProcCpu::read(std::process::id());
    let prom_end = scrape_all(&prometheus).await;
    print_load("window closes");
    let finalized_in_window = count_before(&times.finalized, window);
    let included_in_window = count_before(&times.included, window);
    // The sender finishes what is due (late batches), then the network drains.
    let retry_stats = sender.await.unwrap_or_default();
    let drain_until = (t0 + Duration::from_secs(args.seconds + args.drain)).max(Instant::now());
    loop {
        let accepted = times.accepted.iter().filter(|a| a.load(Relaxed)).count();
        let fin = times
            .finalized
            .iter()
            .filter(|t| t.load(Relaxed) != 0)
            .count();
        if fin >= accepted || Instant::now() >= drain_until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    receiver.abort();
    let blocks = watcher.await.unwrap_or_default();
    let refusals = refusals.lock().await.clone();
    if let Some(dir) = &args.logs {
        std::fs::create_dir_all(dir).expect("the --logs directory");
        for (i, node) in net.nodes.iter().enumerate() {
            std::fs::write(dir.join(format!("validator{i}.log")), node.log())
                .expect("a node's log is written");
        }
        println!("node logs in {}", dir.display());
    }
    drop(net);

    report(Report {
        args: &args,
        total,
        window,
        sent_in_time,
        finalized_in_window,
        included_in_window,
        times: &times,
        refusals: &refusals,
        retries: &retry_stats,
        blocks: &blocks,
        cpu: cpu_start
            .iter()
            .zip(&cpu_end)
            .map(|(a, b)| b.minus(a))
            .collect(),
        bench_cpu: self_end.minus(&self_start),
        components: prom_start
            .iter()
            .zip(&prom_end)
            .map(|(a, b)| component_delta(a, b))
            .collect(),
    });
}

async fn start_network(n: usize, spec_path: &Path, node_args: &[String]) -> Testnet {
    let chain = spec_path.to_string_lossy().into_owned();
    let mut builder = Testnet::builder(&chain).prometheus().args(node_args);
    for i in 0..n {
        builder = builder.validator_with_keys(
            &format!("validator{i}"),
            &echonet_tests::testnet::validator_suri(i),
        );
    }
    builder.start().await
}

fn count_before(v: &[AtomicU64], until: Duration) -> usize {
    let limit = until.as_micros() as u64 + 1;
    v.iter()
        .filter(|t| {
            let t = t.load(Relaxed);
            t != 0 && t <= limit
        })
        .count()
}

/// How the sender paces its submissions.
struct SendPlan {
    tps: u32,
    total: u32,
    accounts: u32,
    tick: Duration,
    in_flight: usize,
    retries: u32,
    stop_retrying: Instant,
}

/// Sends the transfers on schedule until all are sent, resubmitting those refused for a
/// transient reason in their account's nonce order (see [`crate::resubmit`]) until they
/// are in, given up, or `stop_retrying` passes.
async fn send(
    urls: Vec<String>,
    plan: SendPlan,
    signed: Arc<Signed>,
    times: Arc<Times>,
    refusals: Refusals,
    t0: Instant,
) -> RetryStats {
    let n = urls.len();
    let clients: Vec<HttpClient> = urls
        .iter()
        .map(|u| {
            HttpClientBuilder::default()
                .max_request_size(256 * 1024 * 1024)
                .max_response_size(256 * 1024 * 1024)
                .request_timeout(Duration::from_secs(60))
                .build(u)
                .expect("an http URL")
        })
        .collect();
    let permits: Vec<Arc<Semaphore>> = (0..n)
        .map(|_| Arc::new(Semaphore::new(plan.in_flight)))
        .collect();
    let max_backoff = (Duration::from_secs(3).as_millis() / plan.tick.as_millis().max(1)) as u64;
    let mut retries = Retries::new(plan.accounts, plan.retries, max_backoff.max(1));
    let (answers_tx, mut answers) = mpsc::unbounded_channel::<Vec<(u32, Verdict)>>();
    let mut pending: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut next = 0u32;
    let mut tasks = Vec::new();
    let mut interval = tokio::time::interval(plan.tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut now = 0u64;
    loop {
        interval.tick().await;
        now += 1;
        // Answers first: a refusal holds its account's later transfers.
        tasks.retain(|t: &tokio::task::JoinHandle<()>| !t.is_finished());
        while let Ok(verdicts) = answers.try_recv() {
            for (k, v) in &verdicts {
                if *v == Verdict::Accepted {
                    times.accepted[*k as usize].store(true, Relaxed);
                }
                retries.answer(*k, v, now);
            }
        }
        if Instant::now() >= plan.stop_retrying && !retries.is_idle() {
            retries.give_up_all("the drain ended");
        }
        let due = ((t0.elapsed().as_secs_f64() * f64::from(plan.tps)) as u64)
            .min(u64::from(plan.total)) as u32;
        for k in next..due {
            pending[((k % plan.accounts) as usize) % n].push(k);
        }
        next = due;
        for (node, fresh) in pending.iter_mut().enumerate() {
            let Ok(permit) = permits[node].clone().try_acquire_owned() else {
                continue; // Every pipelined batch is still out: it waits for the next tick.
            };
            // Resubmissions due, then fresh transfers whose accounts hold nothing back.
            let mut batch = retries.take_due(now, |a| (a as usize) % n == node);
            for k in std::mem::take(fresh) {
                if retries.admit_fresh(k) {
                    batch.push(k);
                }
            }
            if batch.is_empty() {
                continue;
            }
            // In `k` order, which is nonce order within each account.
            batch.sort_unstable();
            let (client, signed, times, refusals, answers_tx) = (
                clients[node].clone(),
                signed.clone(),
                times.clone(),
                refusals.clone(),
                answers_tx.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let verdicts = submit_batch(&client, &batch, &signed, &times, &refusals, t0).await;
                let _ = answers_tx.send(verdicts);
                drop(permit);
            }));
        }
        if next >= plan.total
            && pending.iter().all(Vec::is_empty)
            && retries.is_idle()
            && tasks.is_empty()
        {
            break;
        }
    }
    retries.stats().clone()
}

/// Submits one batch; returns each transfer's verdict. Counts every refusal by its full
/// reason in `refusals`.
async fn submit_batch(
    client: &HttpClient,
    batch: &[u32],
    signed: &Signed,
    times: &Times,
    refusals: &Refusals,
    t0: Instant,
) -> Vec<(u32, Verdict)> {
    let mut request = BatchRequestBuilder::new();
    for &k in batch {
        request
            .insert(
                "author_submitExtrinsic",
                rpc_params![&signed.hex[k as usize]],
            )
            .expect("a hex string serializes");
    }
    // Latency counts from the first submission: a resubmission's wait is part of it.
    let at = stamp(t0, Instant::now());
    let mut retry = Vec::with_capacity(batch.len());
    for &k in batch {
        retry.push(
            times.sent[k as usize]
                .compare_exchange(0, at, Relaxed, Relaxed)
                .is_err(),
        );
    }
    let mut refused: BTreeMap<String, u64> = BTreeMap::new();
    let mut verdicts = Vec::with_capacity(batch.len());
    match client.batch_request::<H256>(request).await {
        Ok(response) => {
            for ((r, &k), retry) in response.into_iter().zip(batch).zip(retry) {
                match r {
                    Ok(_) => verdicts.push((k, Verdict::Accepted)),
                    Err(e) => {
                        let data = e.data().map(|d| d.get().to_string()).unwrap_or_default();
                        let reason = if data.is_empty() {
                            format!("{} ({})", e.message(), e.code())
                        } else {
                            format!("{} ({}: {})", e.message(), e.code(), data)
                        };
                        *refused.entry(reason).or_default() += 1;
                        verdicts.push((k, classify(Some(e.code()), e.message(), &data, retry)));
                    }
                }
            }
        }
        Err(e) => {
            *refused.entry(format!("transport: {e}")).or_default() += batch.len() as u64;
            let kind = match e {
                jsonrpsee::core::ClientError::RequestTimeout => "timeout",
                _ => "connection",
            };
            verdicts.extend(
                batch
                    .iter()
                    .zip(retry)
                    .map(|(&k, retry)| (k, classify(None, kind, "", retry))),
            );
        }
    }
    if !refused.is_empty() {
        let mut all = refusals.lock().await;
        for (r, c) in refused {
            *all.entry(r).or_default() += c;
        }
    }
    verdicts
}

/// What the watcher saw of one block of node 0's best chain.
#[derive(Clone, Default)]
pub struct BlockSeen {
    number: u32,
    /// Extrinsics in it, and how many of them are load transfers.
    extrinsics: usize,
    ours: usize,
    /// µs since the window opened, plus one.
    best_at: u64,
    finalized_at: u64,
}

/// Follows node 0's heads: records inclusion and finality times of the load transfers.
async fn watch(
    http: HttpClient,
    mut events: mpsc::UnboundedReceiver<(bool, Header, Instant)>,
    signed: Arc<Signed>,
    times: Arc<Times>,
    t0: Instant,
) -> Vec<BlockSeen> {
    let mut bodies: HashMap<H256, Body> = HashMap::new();
    let mut seen: HashMap<H256, BlockSeen> = HashMap::new();
    let mut last_finalized: Option<u32> = None;
    while let Some((is_final, header, at)) = events.recv().await {
        let hash = header.hash();
        let at = stamp(t0, at);
        if !is_final {
            if let Some((ours, len)) = fetch_body(&http, hash, &signed, &mut bodies).await {
                for &k in &bodies[&hash].ours {
                    let _ = times.included[k as usize].compare_exchange(0, at, Relaxed, Relaxed);
                }
                seen.entry(hash).or_insert(BlockSeen {
                    number: header.number,
                    extrinsics: len,
                    ours,
                    best_at: at,
                    finalized_at: 0,
                });
            }
            continue;
        }
        // Finalized: every block from the last finalized one up to this one.
        let floor = last_finalized.unwrap_or(header.number.saturating_sub(1));
        let mut cursor = hash;
        let mut number = header.number;
        while number > floor {
            // Read once: a block seen as best is in `bodies` already.
            if fetch_body(&http, cursor, &signed, &mut bodies)
                .await
                .is_none()
            {
                break;
            }
            let b = &bodies[&cursor];
            let (num, parent, len) = (b.number, b.parent, b.extrinsics);
            let ours = b.ours.clone();
            for &k in &ours {
                let _ = times.included[k as usize].compare_exchange(0, at, Relaxed, Relaxed);
                let _ = times.finalized[k as usize].compare_exchange(0, at, Relaxed, Relaxed);
            }
            let entry = seen.entry(cursor).or_insert(BlockSeen {
                number: num,
                extrinsics: len,
                ours: ours.len(),
                best_at: at,
                finalized_at: 0,
            });
            entry.finalized_at = at;
            number = num.saturating_sub(1);
            cursor = parent;
        }
        last_finalized = Some(header.number.max(last_finalized.unwrap_or(0)));
    }
    let mut blocks: Vec<BlockSeen> = seen.into_values().filter(|b| b.finalized_at != 0).collect();
    blocks.sort_by_key(|b| b.number);
    blocks
}

/// What the watcher keeps of a block it read.
struct Body {
    number: u32,
    parent: H256,
    /// Indices of the load transfers in it.
    ours: Vec<u32>,
    extrinsics: usize,
}

/// Reads a block's body into `bodies`. Returns (load transfers, extrinsics) in it.
async fn fetch_body(
    http: &HttpClient,
    hash: H256,
    signed: &Signed,
    bodies: &mut HashMap<H256, Body>,
) -> Option<(usize, usize)> {
    if let Some(b) = bodies.get(&hash) {
        return Some((b.ours.len(), b.extrinsics));
    }
    let block: serde_json::Value = rpc::try_call(http, "chain_getBlock", rpc_params![hash])
        .await
        .ok()?;
    let header: Header = serde_json::from_value(block["block"]["header"].clone()).ok()?;
    let xts = block["block"]["extrinsics"].as_array()?;
    let mut ours = Vec::new();
    for x in xts {
        let Some(h) = x.as_str() else { continue };
        let Ok(bytes) = hex::decode(h.trim_start_matches("0x")) else {
            continue;
        };
        if let Some(&k) = signed.index.get(&blake2_256(&bytes)) {
            ours.push(k);
        }
    }
    let r = (ours.len(), xts.len());
    bodies.insert(
        hash,
        Body {
            number: header.number,
            parent: header.parent_hash,
            ours,
            extrinsics: xts.len(),
        },
    );
    Some(r)
}

/// CPU time of a process: whole, and per thread name (`comm`).
#[derive(Default, Clone)]
struct ProcCpu {
    total: f64,
    threads: BTreeMap<String, f64>,
}

impl ProcCpu {
    /// Seconds of CPU (user + system) from `/proc`; zero where it cannot be read.
    fn read(pid: u32) -> Self {
        let ticks = 100.0; // USER_HZ on Linux
        let parse = |stat: &str| -> Option<(String, f64)> {
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let name = stat[open + 1..close].to_string();
            let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
            // Fields 14 and 15 (utime, stime) of proc(5), here from field 3.
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((name, (utime + stime) / ticks))
        };
        let mut cpu = ProcCpu::default();
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            cpu.total = parse(&stat).map_or(0.0, |(_, t)| t);
        }
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for task in tasks.flatten() {
                if let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) {
                    if let Some((name, t)) = parse(&stat) {
                        *cpu.threads.entry(name).or_default() += t;
                    }
                }
            }
        }
        cpu
    }

    fn minus(&self, earlier: &ProcCpu) -> ProcCpu {
        ProcCpu {
            total: self.total - earlier.total,
            threads: self
                .threads
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v - earlier.threads.get(k).copied().unwrap_or(0.0),
                    )
                })
                .collect(),
        }
    }
}

/// The node's Prometheus samples that the report uses: name{labels} -> value.
type Samples = BTreeMap<String, f64>;

async fn scrape_all(addrs: &[Option<std::net::SocketAddr>]) -> Vec<Samples> {
    let mut out = Vec::new();
    for a in addrs {
        out.push(match a {
            Some(addr) => scrape(*addr).await,
            None => Samples::new(),
        });
    }
    out
}

async fn scrape(addr: std::net::SocketAddr) -> Samples {
    let Ok(resp) = echonet_tests::raw::http_get(addr, "/metrics", Duration::from_secs(10)).await
    else {
        return Samples::new();
    };
    resp.text()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with("echonet_cpu_seconds_total") || l.starts_with("echonet_txpool_"))
        .filter_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

fn component_delta(a: &Samples, b: &Samples) -> Samples {
    b.iter()
        .map(|(k, v)| (k.clone(), v - a.get(k).copied().unwrap_or(0.0)))
        .collect()
}

fn print_load(when: &str) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average ({when}): {}", load.trim());
}

struct Report<'a> {
    args: &'a LoadArgs,
    total: u32,
    window: Duration,
    sent_in_time: usize,
    finalized_in_window: usize,
    included_in_window: usize,
    times: &'a Times,
    refusals: &'a BTreeMap<String, u64>,
    retries: &'a RetryStats,
    blocks: &'a [BlockSeen],
    cpu: Vec<ProcCpu>,
    bench_cpu: ProcCpu,
    components: Vec<Samples>,
}

fn report(r: Report<'_>) {
    let secs = r.window.as_secs_f64();
    let t = r.times;
    let get = |v: &Vec<AtomicU64>, k: usize| v[k].load(Relaxed);
    let n = r.total as usize;
    let accepted = t.accepted.iter().filter(|a| a.load(Relaxed)).count();
    let refused: u64 = r.refusals.values().sum();
    let mut inclusion = Vec::new();
    let mut finality = Vec::new();
    let mut included = 0;
    let mut finalized = 0;
    for k in 0..n {
        let s = get(&t.sent, k);
        if s == 0 {
            continue;
        }
        let (i, f) = (get(&t.included, k), get(&t.finalized, k));
        if i != 0 {
            included += 1;
            inclusion.push(i.saturating_sub(s) as f64 / 1e6);
        }
        if f != 0 {
            finalized += 1;
            finality.push(f.saturating_sub(s) as f64 / 1e6);
        }
    }
    println!(
        "\n== load: {} validators, {} transfers/s asked for {} s ==",
        r.args.validators, r.args.tps, r.args.seconds
    );
    println!(
        "submitted: {} of {} in the window ({:.0}/s); accepted {accepted}; refusals \
         {refused} (every attempt, resubmissions included)",
        r.sent_in_time,
        n,
        r.sent_in_time as f64 / secs
    );
    for (reason, count) in r.refusals {
        println!("  refused {count}: {reason}");
    }
    let rs = r.retries;
    println!(
        "resubmitted: {} resubmissions of {} transfers refused for a transient reason, {} of \
         them accepted later; {} fresh transfers waited behind a lower nonce of their account",
        rs.resubmissions, rs.retried, rs.recovered, rs.held_fresh
    );
    println!("given up: {}", rs.given_up.values().sum::<u64>());
    for (reason, count) in &rs.given_up {
        println!("  given up {count}: {reason}");
    }
    println!(
        "FINALIZED in the window: {} transfers = {:.0} transfers/s sustained over {secs:.0} s \
         (in best blocks: {:.0}/s)",
        r.finalized_in_window,
        r.finalized_in_window as f64 / secs,
        r.included_in_window as f64 / secs
    );
    // Steady state: the window without its first 20 s (the pipeline filling).
    let skip = 20.0_f64.min(secs / 2.0);
    let from = (skip * 1e6) as u64 + 1;
    let to = (secs * 1e6) as u64 + 1;
    let steady = t
        .finalized
        .iter()
        .filter(|x| {
            let x = x.load(Relaxed);
            x > from && x <= to
        })
        .count();
    println!(
        "  steady state ({skip:.0} s to the end): {:.0} finalized transfers/s",
        steady as f64 / (secs - skip)
    );
    println!(
        "after the drain: {included} included, {finalized} finalized; accepted but never \
         included: {}",
        accepted.saturating_sub(included)
    );
    println!(
        "latency submission -> inclusion (node 0's best block): p50 {:.2} s, p95 {:.2} s",
        crate::percentile(&inclusion, 0.5),
        crate::percentile(&inclusion, 0.95)
    );
    println!(
        "latency submission -> finality (node 0): p50 {:.2} s, p95 {:.2} s",
        crate::percentile(&finality, 0.5),
        crate::percentile(&finality, 0.95)
    );
    let in_window: Vec<&BlockSeen> = r.blocks.iter().filter(|b| b.best_at <= to).collect();
    let sizes: Vec<f64> = in_window.iter().map(|b| b.ours as f64).collect();
    println!(
        "finalized blocks first seen in the window: {}; load transfers per block p50 {:.0}, max {:.0}",
        in_window.len(),
        crate::percentile(&sizes, 0.5),
        sizes.iter().copied().fold(0.0, f64::max)
    );
    let all: usize = in_window.iter().map(|b| b.extrinsics).sum();
    let ours: usize = in_window.iter().map(|b| b.ours).sum();
    println!("  extrinsics in them: {all}, of which load transfers {ours} (the rest: inherents)");
    for (i, cpu) in r.cpu.iter().enumerate() {
        let mut threads: Vec<(&String, &f64)> = cpu
            .threads
            .iter()
            .filter(|(_, v)| **v >= 0.01 * secs) // at least 1 % of a core
            .collect();
        threads.sort_by(|a, b| b.1.total_cmp(a.1));
        let list: Vec<String> = threads
            .iter()
            .take(6)
            .map(|(k, v)| format!("{k} {:.0}%", **v / secs * 100.0))
            .collect();
        println!(
            "node {i} CPU: {:.0}% of one core (threads: {})",
            cpu.total / secs * 100.0,
            list.join(", ")
        );
        let comps: Vec<String> = r.components[i]
            .iter()
            .filter(|(k, _)| k.starts_with("echonet_cpu_seconds_total"))
            .map(|(k, v)| {
                let name = k
                    .split("component=\"")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .unwrap_or(k);
                format!("{name} {:.0}%", v / secs * 100.0)
            })
            .collect();
        if !comps.is_empty() {
            let claimed: f64 = r.components[i]
                .iter()
                .filter(|(k, _)| k.starts_with("echonet_cpu_seconds_total"))
                .map(|(_, v)| v)
                .sum();
            println!(
                "  components: {}, other {:.0}%",
                comps.join(", "),
                (cpu.total - claimed).max(0.0) / secs * 100.0
            );
        }
        let pool: Vec<String> = r.components[i]
            .iter()
            .filter(|(k, v)| k.starts_with("echonet_txpool_") && **v != 0.0)
            .map(|(k, v)| format!("{} {v:.0}", k.trim_start_matches("echonet_txpool_")))
            .collect();
        if !pool.is_empty() {
            println!("  pool: {}", pool.join(", "));
        }
    }
    println!(
        "bench process CPU: {:.0}% of one core",
        r.bench_cpu.total / secs * 100.0
    );
    // Timeline per 10 s: sent, included, finalized.
    println!("timeline (s: sent / included / finalized, per second):");
    let buckets = ((secs / 10.0).ceil() as usize).max(1) + (r.args.drain as usize).div_ceil(10);
    let mut rows = vec![[0usize; 3]; buckets];
    for k in 0..n {
        for (j, v) in [&t.sent, &t.included, &t.finalized].iter().enumerate() {
            let x = get(v, k);
            if x != 0 {
                let b = ((x - 1) / 10_000_000) as usize;
                if b < buckets {
                    rows[b][j] += 1;
                }
            }
        }
    }
    for (b, row) in rows.iter().enumerate() {
        if row.iter().all(|c| *c == 0) {
            continue;
        }
        println!(
            "  {:>4}-{:<4} {:>6.0} / {:>6.0} / {:>6.0}",
            b * 10,
            b * 10 + 10,
            row[0] as f64 / 10.0,
            row[1] as f64 / 10.0,
            row[2] as f64 / 10.0
        );
    }
}
