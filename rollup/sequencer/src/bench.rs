//! `echonet-sequencer benchmark`: soft-confirmation throughput and latency through the real
//! path (WebSocket JSON-RPC → parsing → admission actor with parallel signature checks →
//! RocksDB group commit with sync → sr25519 receipts), in one process on loopback.
//!
//! 1. Seeds `accounts` accounts in a new store (as a rebuild would) and pre-signs every
//!    transfer, so that client-side signing is not measured.
//! 2. Throughput: `clients` WebSocket clients, each with `in_flight` concurrent senders; a
//!    sender owns some accounts and sends each account's transfers in nonce order. Reports
//!    admitted transfers per second (wall clock, first request to last receipt).
//! 3. Latency: transfers paced at `paced_rate` per second for `paced_secs`; reports p50, p99
//!    and max of request → receipt as the client sees it.
//!
//! The load generator shares the machine with the sequencer, so the figures are a lower
//! bound of what a sequencer on its own cores does.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use echonet_rollup_primitives::{
    float::{Amount40, Fee8},
    PrivateKey, Transfer,
};
use jsonrpsee::core::client::ClientT;
use rayon::prelude::*;
use serde_json::{json, Value};
use sp_core::Pair;

use crate::cli::BenchmarkCmd;
use crate::mempool::AdmissionConfig;
use crate::rpc::RpcConfig;
use crate::service::{init_store, Deps, NoDeposits, Sequencer, SequencerConfig};
use crate::store::Store;
use crate::types::{Params, StoredAccount};

const CHAIN: u32 = 42;
const INSTANCE: u64 = 1;

fn key(i: u32) -> PrivateKey {
    let mut b = [0xb7u8; 32];
    b[..4].copy_from_slice(&i.to_le_bytes());
    PrivateKey(b)
}

fn signed(from: u32, to: u32, nonce: u64) -> Value {
    let t = Transfer::signed(
        &key(from),
        CHAIN,
        INSTANCE,
        from,
        to,
        Amount40::from_value(1).unwrap_or(Amount40::ZERO),
        Fee8(1),
        nonce,
    );
    json!({
        "type": "transfer", "from": from, "to": to, "amount": "1", "fee": "1",
        "nonce": nonce, "signature": format!("0x{}", hex::encode(t.signature.to_bytes())),
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs the benchmark and prints the figures.
pub async fn run(cmd: BenchmarkCmd) -> anyhow::Result<()> {
    let accounts = cmd.accounts.max(2);
    let per_account = cmd.txs.div_ceil(accounts as usize) as u64;
    let paced_total = cmd.paced_rate as u64 * cmd.paced_secs;
    let paced_per_account = paced_total.div_ceil(accounts as u64);
    let tmp = tempfile::tempdir()?;
    let dir = cmd
        .base_path
        .clone()
        .unwrap_or_else(|| tmp.path().join("db"));
    let params = Params {
        chain_id: CHAIN,
        instance: INSTANCE,
        batch_size: cmd.batch_size,
        fee_account: 0,
        first_batch: 1,
        first_deposit_seq: 0,
    };
    println!(
        "setup: {accounts} accounts, {} + {} pre-signed transfers",
        per_account * accounts as u64,
        paced_per_account * accounts as u64
    );
    let t = Instant::now();
    let seeded: Vec<(u32, StoredAccount)> = (0..accounts)
        .into_par_iter()
        .map(|i| {
            (
                i,
                StoredAccount {
                    pubkey: key(i).public().0.compress(),
                    balance: 1u128 << 100,
                    nonce: 0,
                },
            )
        })
        .collect();
    {
        let store = Store::open(&dir)?;
        init_store(&store, params, &seeded)?;
    }
    // txs[a] = account a's transfers, in nonce order: throughput run, then paced run.
    let txs: Vec<Vec<String>> = (0..accounts)
        .into_par_iter()
        .map(|a| {
            (0..per_account + paced_per_account)
                .map(|n| signed(a, (a + 1) % accounts, n).to_string())
                .collect()
        })
        .collect();
    println!("setup took {:.1?}", t.elapsed());

    let mut admission = AdmissionConfig::new(cmd.batch_size);
    admission.pool_limit = usize::MAX;
    admission.per_account_limit = u32::MAX;
    let mut rpc = RpcConfig::new("127.0.0.1:0".parse()?);
    rpc.max_connections = 10_000;
    let cfg = SequencerConfig {
        db_path: dir.clone(),
        params,
        min_fee: 1,
        operator: sp_core::sr25519::Pair::from_string("//Alice", None)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        admission,
        rpc: Some(rpc),
        extra_rpc: None,
        deposit_poll: Duration::from_secs(1),
        registry: None,
        pipeline: cmd.with_pipeline,
        informant_every: Duration::from_secs(3600),
    };
    let seq = Sequencer::start(cfg, Deps::offline(Arc::new(NoDeposits))).await?;
    let url = format!(
        "ws://{}",
        seq.rpc_addr().ok_or_else(|| anyhow::anyhow!("no rpc"))?
    );
    let mut clients = Vec::new();
    for _ in 0..cmd.clients.max(1) {
        clients.push(Arc::new(
            jsonrpsee::ws_client::WsClientBuilder::default()
                .max_concurrent_requests(100_000)
                .request_timeout(Duration::from_secs(120))
                .build(&url)
                .await?,
        ));
    }
    let txs = Arc::new(txs);
    let errors = Arc::new(AtomicUsize::new(0));

    // Throughput.
    let senders = clients.len() * cmd.in_flight.max(1);
    let start = Instant::now();
    let mut handles = Vec::new();
    for s in 0..senders {
        let client = clients[s % clients.len()].clone();
        let txs = txs.clone();
        let errors = errors.clone();
        handles.push(tokio::spawn(async move {
            let mut a = s as u32;
            while a < accounts {
                for n in 0..per_account as usize {
                    let v: Value = serde_json::from_str(&txs[a as usize][n]).unwrap_or(Value::Null);
                    if let Err(e) = client
                        .request::<Value, _>("l2_sendTransaction", jsonrpsee::rpc_params![v])
                        .await
                    {
                        if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("error: {e}");
                        }
                    }
                }
                a += senders as u32;
            }
        }));
    }
    for h in handles {
        h.await?;
    }
    let elapsed = start.elapsed();
    let sent = per_account * accounts as u64;
    let errs = errors.load(Ordering::Relaxed);
    println!(
        "throughput: {} transfers in {:.2?} = {:.0} tx/s soft-confirmed ({} errors; {} clients x {} in flight; batch size {}; pipeline {})",
        sent,
        elapsed,
        (sent as usize - errs) as f64 / elapsed.as_secs_f64(),
        errs,
        clients.len(),
        cmd.in_flight,
        cmd.batch_size,
        if cmd.with_pipeline { "on" } else { "off" }
    );

    // Paced latency: one transfer every 1/rate s, round-robin over accounts.
    let interval = Duration::from_secs_f64(1.0 / cmd.paced_rate.max(1) as f64);
    let lat = Arc::new(parking_lot::Mutex::new(Vec::with_capacity(
        paced_total as usize,
    )));
    let mut handles = Vec::new();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let paced_start = Instant::now();
    // Account a's paced transfer k is sent only after its k-1 has its receipt (nonce order);
    // with round-robin over many accounts that wait is never on the critical path.
    let mut last: Vec<Option<tokio::task::JoinHandle<()>>> = (0..accounts).map(|_| None).collect();
    for i in 0..paced_total {
        tick.tick().await;
        let a = (i % accounts as u64) as u32;
        let n = per_account + i / accounts as u64;
        let prev = last[a as usize].take();
        let client = clients[(i as usize) % clients.len()].clone();
        let txs = txs.clone();
        let lat = lat.clone();
        let errors = errors.clone();
        let h = tokio::spawn(async move {
            if let Some(p) = prev {
                let _ = p.await;
            }
            let v: Value =
                serde_json::from_str(&txs[a as usize][n as usize]).unwrap_or(Value::Null);
            let t0 = Instant::now();
            match client
                .request::<Value, _>("l2_sendTransaction", jsonrpsee::rpc_params![v])
                .await
            {
                Ok(_) => lat.lock().push(t0.elapsed()),
                Err(e) => {
                    if errors.fetch_add(1, Ordering::Relaxed) < 5 {
                        eprintln!("error: {e}");
                    }
                }
            }
        });
        last[a as usize] = Some(h);
    }
    for h in last.into_iter().flatten() {
        handles.push(h);
    }
    for h in handles {
        h.await?;
    }
    let paced_elapsed = paced_start.elapsed();
    let mut l = lat.lock().clone();
    l.sort();
    println!(
        "latency at {} tx/s for {:.1?}: {} receipts, p50 {:.2?}, p99 {:.2?}, max {:.2?} ({} errors)",
        cmd.paced_rate,
        paced_elapsed,
        l.len(),
        percentile(&l, 0.5),
        percentile(&l, 0.99),
        l.last().copied().unwrap_or_default(),
        errors.load(Ordering::Relaxed) - errs
    );
    let shared = seq.shared().clone();
    println!(
        "batches cut: {}, open batch #{}",
        shared.metrics.batches_cut.get(),
        shared.open_batch.load(Ordering::Relaxed)
    );
    drop(shared);
    drop(clients);
    seq.stop().await;
    Ok(())
}
