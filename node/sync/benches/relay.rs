//! Block propagation, full against compact relay: bytes and latency of getting one block of
//! `--transfers` transfers (default 5,000) from the node that has it to a follower, over
//! the real network (two libp2p nodes on 127.0.0.1) into the follower's chain through the
//! real sync engine.
//!
//! The follower's pool (a real `echonet_txpool::Pool`) holds the block's transfers, less
//! the last `--missing` of them, as it would have from transaction gossip. Each run starts from
//! fresh dev chains; the server builds the block after the follower connected, then
//! announces it once, in the mode under test.
//!
//! Reported per mode, as the follower measured it:
//! - bytes: payload bytes of the block-announces topic and of the blocks and block-txs
//!   protocols, both directions (what propagation cost; libp2p framing not included);
//! - latency: from the announcement to the follower's import notification, and the same
//!   less the import itself (the propagation).
//!
//! Run: `cargo bench -p echonet-sync --bench relay -- [--transfers N] [--missing K]
//! [--runs R]`.

use echonet_client::{BlockImportNotification, Client};
use echonet_network::{Keypair, NetworkConfig, NetworkHandle};
use echonet_sync::{ClientChain, SyncConfig, SyncEngine, SyncParams, TransactionSource};
use echonet_test_utils::{metric, open_dev_client_at, past_slot, transfer, NewBlock};
use echonet_txpool::{Pool, PoolConfig};
use prometheus_endpoint::Registry;
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::{mpsc, watch};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Full,
    Compact,
}

struct Args {
    transfers: u32,
    missing: u32,
    runs: u32,
}

fn args() -> Args {
    let mut args = Args {
        transfers: 5000,
        missing: 0,
        runs: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or_else(|| panic!("{arg} needs a number"))
        };
        match arg.as_str() {
            "--transfers" => args.transfers = value(),
            "--missing" => args.missing = value(),
            "--runs" => args.runs = value(),
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    assert!(
        args.missing <= args.transfers,
        "--missing above --transfers"
    );
    args
}

/// The pool as compact relay sees it (the node's adapter does the same).
struct PoolSource(Arc<Pool>);

impl TransactionSource for PoolSource {
    fn for_each_transaction(&self, f: &mut dyn FnMut(&H256, &[u8])) {
        for (hash, bytes) in self.0.transactions() {
            f(&hash, &bytes);
        }
    }
}

struct Run {
    /// Propagation payload bytes, by protocol label.
    bytes: Vec<(&'static str, f64)>,
    total_bytes: f64,
    block_bytes: usize,
    announce_to_import: Duration,
    import: Duration,
    relay_result: String,
}

async fn start_network(
    client: Arc<Client>,
    boot: Vec<echonet_network::Multiaddr>,
    registry: &Registry,
) -> (NetworkHandle, mpsc::Receiver<echonet_network::NetworkEvent>) {
    let genesis = client.info().genesis_hash;
    let mut config = NetworkConfig::new(genesis, Keypair::generate_ed25519());
    config.listen_addresses = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("an address")];
    config.boot_nodes = boot;
    config.node_name = "relay-bench".into();
    let (network, events, _task) =
        echonet_network::start(config, Arc::new(ClientChain(client)), Some(registry))
            .await
            .expect("the network starts");
    (network, events)
}

async fn run(mode: Mode, args: &Args) -> Run {
    let dirs = (
        tempfile::tempdir().expect("a temporary directory"),
        tempfile::tempdir().expect("a temporary directory"),
    );
    let (server_path, follower_path) = (dirs.0.path().to_owned(), dirs.1.path().to_owned());
    let (server_chain, follower_chain) = tokio::task::spawn_blocking(move || {
        (
            open_dev_client_at(&server_path),
            open_dev_client_at(&follower_path),
        )
    })
    .await
    .expect("the chains open");

    // The follower's pool gets the transfers, as gossip would have brought them.
    let txs: Vec<Vec<u8>> = {
        let client = server_chain.clone();
        let n = args.transfers;
        tokio::task::spawn_blocking(move || {
            (0..n)
                .map(|nonce| transfer(&client, Sr25519Keyring::Alice, Sr25519Keyring::Bob, nonce))
                .collect()
        })
        .await
        .expect("transfers signed")
    };
    let pool = Pool::new(PoolConfig::default(), follower_chain.clone());
    let kept = (args.transfers - args.missing) as usize;
    // The last ones are missing (as if submitted at the author just before it built the
    // block): all transfers are Alice's, and a gap in her nonces would leave the rest of
    // them future, which the pool caps per sender.
    for tx in &txs[..kept] {
        pool.submit_one(tx.clone())
            .await
            .expect("the pool takes the transfer");
    }
    assert_eq!(pool.status().ready, kept, "all kept transfers ready");

    let server_registry = Registry::new();
    let (server, mut server_events) =
        start_network(server_chain.clone(), Vec::new(), &server_registry).await;
    tokio::spawn(async move { while server_events.recv().await.is_some() {} });
    let server_addr = loop {
        if let Some(a) = server.listen_addresses().await.into_iter().next() {
            break a;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let registry = Registry::new();
    let (follower, follower_events) =
        start_network(follower_chain.clone(), vec![server_addr], &registry).await;
    let (_shutdown, shutdown_rx) = watch::channel(false);
    let (engine, sync) = SyncEngine::new(SyncParams {
        client: follower_chain.clone(),
        network: Arc::new(follower.clone()),
        events: follower_events,
        config: SyncConfig::default(),
        justifications: None,
        transactions: (mode == Mode::Compact)
            .then(|| Arc::new(PoolSource(pool.clone())) as Arc<dyn TransactionSource>),
        registry: Some(registry.clone()),
    })
    .expect("sync metrics register");
    tokio::spawn(engine.run(shutdown_rx));
    while sync.num_peers() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Gossipsub exchanges subscriptions and grafts its mesh on its first heartbeats.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let (hash, header, body) = {
        let client = server_chain.clone();
        tokio::task::spawn_blocking(move || {
            let hash = NewBlock::new(&client, past_slot(1_000))
                .with_encoded(&txs)
                .import();
            let header = client.header(hash).expect("db").expect("the block");
            let body = client.body(hash).expect("db").expect("its body");
            (hash, header, body)
        })
        .await
        .expect("the block builds")
    };
    assert_eq!(
        body.len() as u32,
        args.transfers + 1,
        "every transfer in the block"
    );
    let block_bytes = codec::Encode::encoded_size(&body);

    let mut imports = follower_chain.import_notifications();
    let start = Instant::now();
    match mode {
        Mode::Full => server.announce_block(header, true),
        Mode::Compact => {
            // Hashing the body is part of the cost: the node does it when it announces.
            let server = server.clone();
            tokio::task::spawn_blocking(move || server.announce_compact_block(header, true, &body))
                .await
                .expect("announced");
        }
    }
    let imported: BlockImportNotification = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match imports.recv().await {
                Ok(n) if n.hash == hash => break n,
                Ok(_) => continue,
                Err(e) => panic!("import notifications: {e}"),
            }
        }
    })
    .await
    .expect("the follower imported the block within 60 s");
    let announce_to_import = start.elapsed();

    let labels = ["block-announces", "blocks", "block-txs"];
    let bytes: Vec<(&'static str, f64)> = labels
        .iter()
        .map(|p| {
            let sum = ["in", "out"]
                .iter()
                .map(|d| {
                    metric(
                        &registry,
                        "substrate_sub_libp2p_network_bytes_total",
                        &[("direction", d), ("protocol", p)],
                    )
                })
                .sum();
            (*p, sum)
        })
        .collect();
    let total_bytes = bytes.iter().map(|(_, b)| b).sum();
    let relay_result = [
        "rebuilt",
        "rebuilt_with_fetch",
        "fallback_collision",
        "fallback_missing",
        "fallback_request",
        "fallback_root",
    ]
    .iter()
    .find(|r| {
        metric(
            &registry,
            "echonet_sync_block_relay_total",
            &[("result", r)],
        ) > 0.0
    })
    .map_or("whole block", |r| r)
    .to_string();
    follower.shutdown();
    server.shutdown();
    drop(dirs);
    Run {
        bytes,
        total_bytes,
        block_bytes,
        announce_to_import,
        import: imported.import_time,
        relay_result,
    }
}

fn main() {
    let args = args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    println!(
        "relay bench: {} transfers per block, {} missing from the follower's pool, {} runs",
        args.transfers, args.missing, args.runs
    );
    for mode in [Mode::Full, Mode::Compact] {
        for i in 0..args.runs {
            let r = runtime.block_on(run(mode, &args));
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "{mode:?} run {i}: {:.0} bytes ({:.2}% of the {} byte body) [{}], \
                 announce->imported {:.1} ms, import {:.1} ms, propagation {:.1} ms, via {}",
                r.total_bytes,
                100.0 * r.total_bytes / r.block_bytes as f64,
                r.block_bytes,
                r.bytes
                    .iter()
                    .map(|(p, b)| format!("{p} {b:.0}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                ms(r.announce_to_import),
                ms(r.import),
                ms(r.announce_to_import.saturating_sub(r.import)),
                r.relay_result,
            );
        }
    }
}
