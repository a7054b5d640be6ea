//! Starts a node: client, keystore, pool, metrics, the network, GRANDPA and sync,
//! transaction gossip, RPC and the Aura slot worker, and stops them in order on Ctrl-C or
//! SIGTERM.

use crate::{
    authoring,
    cli::{BlockRelay, RpcMethods, RunCmd},
    finality,
    keystore::FileKeystore,
    metrics::Metrics,
    network, transactions,
};
use anyhow::{anyhow, Context};
use echonet_client::{ChainSpec, Client, ClientConfig};
use echonet_consensus::aura::{slot_worker, AuraClientExt as _, AuraVerifier};
use echonet_sync::{SyncConfig, SyncEngine, SyncParams};
use echonet_txpool::{Pool, PoolConfig};
use sp_core::crypto::key_types::{AURA, GRANDPA};
use sp_keystore::{Keystore, KeystorePtr};
use std::{
    net::{Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use tokio::sync::{mpsc, watch};

/// Where the node keeps its files.
pub enum BasePath {
    Permanent(PathBuf),
    /// Deleted when dropped.
    Temporary(tempfile::TempDir),
}

impl BasePath {
    pub fn path(&self) -> &Path {
        match self {
            BasePath::Permanent(p) => p,
            BasePath::Temporary(t) => t.path(),
        }
    }

    /// `-d` if given, else `~/.local/share/echonet-node`.
    pub fn from_arg(arg: Option<&PathBuf>) -> anyhow::Result<Self> {
        if let Some(p) = arg {
            return Ok(BasePath::Permanent(p.clone()));
        }
        let home = std::env::var_os("HOME")
            .ok_or_else(|| anyhow!("HOME is not set: give a base path with -d/--base-path"))?;
        Ok(BasePath::Permanent(
            PathBuf::from(home).join(".local/share/echonet-node"),
        ))
    }

    pub fn temporary() -> anyhow::Result<Self> {
        Ok(BasePath::Temporary(
            tempfile::Builder::new()
                .prefix("echonet")
                .tempdir()
                .context("cannot create a temporary base path")?,
        ))
    }

    /// `<base>/chains/<chain id>`, Substrate's layout.
    pub fn config_dir(&self, chain_id: &str) -> PathBuf {
        self.path().join("chains").join(chain_id)
    }
}

/// The database directory of a chain.
pub fn db_path(config_dir: &Path) -> PathBuf {
    config_dir.join("db").join("full")
}

/// Inserts the dev account's session keys (Aura sr25519, GRANDPA ed25519).
pub fn insert_dev_keys(keystore: &FileKeystore, seed: &str) -> anyhow::Result<()> {
    keystore
        .sr25519_generate_new(AURA, Some(seed))
        .map_err(|e| anyhow!("cannot insert the {seed} Aura key: {e}"))?;
    keystore
        .ed25519_generate_new(GRANDPA, Some(seed))
        .map_err(|e| anyhow!("cannot insert the {seed} GRANDPA key: {e}"))?;
    Ok(())
}

fn rpc_listen(cmd: &RunCmd) -> (SocketAddr, RpcMethods) {
    let external = cmd.rpc_external || cmd.unsafe_rpc_external;
    let ip = if external {
        Ipv4Addr::UNSPECIFIED
    } else {
        Ipv4Addr::LOCALHOST
    };
    let methods = match cmd.rpc_methods {
        RpcMethods::Auto if cmd.unsafe_rpc_external => RpcMethods::Unsafe,
        RpcMethods::Auto if external => RpcMethods::Safe,
        RpcMethods::Auto => RpcMethods::Unsafe,
        m => m,
    };
    (SocketAddr::from((ip, cmd.rpc_port)), methods)
}

/// `--rpc-cors`: `None` means any origin.
fn rpc_cors(cmd: &RunCmd) -> Option<Vec<String>> {
    let value = match &cmd.rpc_cors {
        Some(v) => v.clone(),
        None if cmd.shared.dev => "all".into(),
        None => {
            return Some(
                [
                    "http://localhost:*",
                    "http://127.0.0.1:*",
                    "https://localhost:*",
                    "https://127.0.0.1:*",
                    "https://polkadot.js.org",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            )
        }
    };
    match value.as_str() {
        "all" | "*" => None,
        "none" => Some(vec![]),
        list => Some(list.split(',').map(|s| s.trim().to_string()).collect()),
    }
}

/// Runs a node until it is told to stop.
pub async fn run(cmd: RunCmd) -> anyhow::Result<()> {
    let spec = ChainSpec::load(&cmd.shared.chain_id()).context("cannot load the chain spec")?;
    let base = if cmd.tmp || (cmd.shared.dev && cmd.shared.base_path.is_none()) {
        BasePath::temporary()?
    } else {
        BasePath::from_arg(cmd.shared.base_path.as_ref())?
    };
    let config_dir = base.config_dir(&spec.id);
    let node_name = cmd
        .name
        .clone()
        .unwrap_or_else(|| format!("echonet-{}", std::process::id()));
    let validator = cmd.is_validator();

    tracing::info!("EchoNet Node");
    tracing::info!("✌️  version {}", env!("CARGO_PKG_VERSION"));
    tracing::info!("📋 Chain specification: {}", spec.name);
    tracing::info!("🏷  Node name: {node_name}");
    tracing::info!("👤 Role: {}", if validator { "AUTHORITY" } else { "FULL" });
    let db_dir = db_path(&config_dir);
    tracing::info!("💾 Database: RocksDb at {}", db_dir.display());

    let mut client_config = ClientConfig::new(db_dir);
    client_config.trie_cache_bytes = cmd.trie_cache_size * 1024 * 1024;
    client_config.signature_cache_capacity = cmd.signature_cache_size;
    client_config.state_pruning = cmd.pruning.state_pruning;
    client_config.blocks_pruning = cmd.pruning.blocks_pruning;
    // Blocks from elsewhere pass Aura's checks before they execute; the verifier also
    // reports the Aura equivocations it sees.
    let aura_verifier = Arc::new(AuraVerifier::default());
    let aura_equivocations = aura_verifier.equivocations();
    let client = tokio::task::spawn_blocking(move || {
        Client::open(client_config, &spec, aura_verifier).map(|c| (c, spec))
    })
    .await?
    .context("cannot open the chain database")?;
    let (client, spec) = client;
    let info = client.info();
    tracing::info!(
        "🔨 Genesis block {:?}; best #{} ({:?}), finalized #{} ({:?})",
        info.genesis_hash,
        info.best_number,
        info.best_hash,
        info.finalized_number,
        info.finalized_hash
    );

    let keystore =
        FileKeystore::open(&config_dir.join("keystore")).context("cannot open the keystore")?;
    if let Some(seed) = cmd.dev_key_seed() {
        insert_dev_keys(&keystore, seed)?;
    }
    let keystore_ptr: KeystorePtr = keystore.clone();
    client.set_keystore(keystore_ptr.clone());

    let node_key = network::node_key(&cmd, &config_dir)?;

    let pool = Pool::new(
        PoolConfig {
            max_count: cmd.pool_limit,
            max_bytes: cmd.pool_kbytes * 1024,
            ban_time: Duration::from_secs(cmd.tx_ban_seconds),
            ..PoolConfig::default()
        },
        client.clone(),
    );
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    // Tasks that stop on `shutdown_rx`; the pool's maintenance is aborted instead.
    let mut tasks = tokio::task::JoinSet::new();
    let maintenance = tokio::spawn(pool.clone().run_maintenance());

    // One registry for everything: the network counts its bytes there, which the
    // informant reads, whether or not Prometheus serves it.
    let registry = prometheus_endpoint::Registry::new();
    let metrics = if cmd.no_prometheus {
        None
    } else {
        Some(
            Metrics::register(&registry, &spec.id, &node_name)
                .map_err(|e| anyhow!("cannot register metrics: {e}"))?,
        )
    };
    client
        .signature_cache()
        .register(&registry)
        .map_err(|e| anyhow!("cannot register the signature cache's metrics: {e}"))?;

    // The network, and sync over it.
    let network_config = network::config(
        &cmd,
        &spec,
        info.genesis_hash,
        node_key,
        &node_name,
        validator,
    )?;
    let (net, net_events, net_task) = echonet_network::start(
        network_config,
        Arc::new(echonet_sync::ClientChain(client.clone())),
        Some(&registry),
    )
    .await
    .context("cannot start the network (--port, --listen-addr, --bootnodes)")?;
    // What the RPC reports about peers and sync: it starts before sync does, so that a
    // warping node answers `system_syncState` with its progress.
    let warp_progress = echonet_sync::WarpProgress::default();
    let network_status = network::NodeNetworkStatus::new(
        client.clone(),
        warp_progress.clone(),
        net.local_peer_id().to_string(),
        &spec.chain_type,
    );
    tasks.spawn(network_status.refresh_listen_addresses(net.clone(), shutdown_rx.clone()));

    if metrics.is_some() {
        let ip = if cmd.prometheus_external {
            Ipv4Addr::UNSPECIFIED
        } else {
            Ipv4Addr::LOCALHOST
        };
        let addr = SocketAddr::from((ip, cmd.prometheus_port));
        // Bind now, so that a taken port is a start-up error and not a silent failure.
        let listener = std::net::TcpListener::bind(addr).with_context(|| {
            format!("cannot listen for Prometheus on {addr} (--prometheus-port)")
        })?;
        drop(listener);
        let registry = registry.clone();
        tokio::spawn(async move {
            if let Err(e) = prometheus_endpoint::init_prometheus(addr, registry).await {
                tracing::error!(target: "prometheus", "exporter stopped: {e}");
            }
        });
    }

    let dds = crate::dds::open(&cmd, &config_dir)?;
    crate::dds::join_network(&cmd, &dds, &net, client.clone());
    crate::dds::spawn_scrub(&cmd, &dds);
    if cmd.dds_provider {
        match crate::dds_chain::account_key(&keystore_ptr) {
            Some(key) => {
                let task = crate::dds_chain::ProviderTask {
                    client: client.clone(),
                    pool: pool.clone(),
                    keystore: keystore_ptr.clone(),
                    network: net.clone(),
                    dds: dds.clone(),
                    peer_id: net.local_peer_id().to_bytes(),
                    capacity: cmd.dds_capacity.saturating_mul(1024 * 1024),
                    repair_concurrency: cmd.dds_repair_concurrency,
                    repair_bandwidth: cmd.dds_repair_bandwidth.saturating_mul(1024 * 1024),
                };
                tasks.spawn(task.run(key, shutdown_rx.clone()));
            }
            None => tracing::warn!(
                target: "dds",
                "--dds-provider without an account key in the keystore (sr25519, type ddsp or aura; add one with `echonet-node key insert --key-type ddsp`): storing for peers, but not registered on chain"
            ),
        }
    }
    if metrics.is_some() {
        crate::dds::register_metrics(&registry, &dds)
            .map_err(|e| anyhow!("cannot register data store metrics: {e}"))?;
    }

    let rpc = crate::rpc::start(
        &cmd,
        rpc_listen(&cmd),
        rpc_cors(&cmd),
        crate::rpc::Deps {
            client: client.clone(),
            pool: pool.clone(),
            keystore: keystore_ptr.clone(),
            chain_name: spec.name.clone(),
            chain_type: spec.chain_type.clone(),
            properties: spec.properties.clone(),
            is_validator: validator,
            network: Arc::new(network_status.share()),
            test_switches: cmd.dev_test_switches.then(|| net.clone()),
            dds,
        },
    )
    .await?;

    // `--sync warp` on a fresh database: hand-off proofs, then the latest finalized state,
    // before GRANDPA and sync start from it (GRANDPA's set is written with the state).
    if cmd.sync == crate::cli::SyncMode::Warp {
        let best = client.info().best_number;
        if best == 0 {
            tracing::info!(target: "sync", "⏩ Warp sync: proving finality from genesis, then downloading the latest finalized state");
            let warping = echonet_sync::warp_sync(
                client.clone(),
                Arc::new(net.clone()),
                warp_progress.clone(),
                shutdown_rx.clone(),
            );
            tokio::select! {
                result = warping => match result {
                    Ok(_) => {}
                    Err(echonet_sync::WarpError::Stopped) => {}
                    Err(echonet_sync::WarpError::NothingToWarpTo) => tracing::warn!(
                        target: "sync",
                        "⏩ No peer has a finalized block past genesis to warp to: syncing normally from genesis"
                    ),
                    Err(e) => return Err(anyhow!("warp sync failed: {e}")),
                },
                _ = wait_for_signal() => {
                    let _ = shutdown_tx.send(true);
                    tracing::info!("Shutting down during warp sync");
                    rpc.stop().await;
                    net.shutdown();
                    return Ok(());
                }
            }
        } else {
            tracing::info!(target: "sync", "⏩ --sync warp: the database already holds blocks up to #{best}; syncing normally from there");
        }
    }

    // GRANDPA on every node: validators with a key in the set vote, the others follow
    // commits. Without it (a chain without GRANDPA authorities) only a single-authority
    // chain finalizes, each block as it is authored.
    let (finality_tx, finality_rx) = mpsc::channel(finality::INCOMING_QUEUE);
    // Equivocation evidence (GRANDPA's from the voter, Aura's from block import) goes
    // on-chain through this node's pool. Bounded; the voter cannot wait, so reports beyond
    // the queue are dropped (see `finality::EVIDENCE_QUEUE`).
    let (evidence_tx, evidence_rx) = mpsc::channel(finality::EVIDENCE_QUEUE);
    tasks.spawn(finality::report_equivocations(
        aura_equivocations,
        pool.clone(),
        evidence_rx,
        shutdown_rx.clone(),
    ));
    let grandpa = match echonet_finality::start(echonet_finality::GrandpaParams {
        client: client.clone(),
        keystore: keystore_ptr.clone(),
        network: Arc::new(finality::NodeFinalityNetwork(net.clone())),
        incoming: finality_rx,
        reporter: Some(Arc::new(finality::ChannelReporter(evidence_tx.clone()))),
        metrics_registry: Some(registry.clone()),
        shutdown: shutdown_rx.clone(),
        config: echonet_finality::GrandpaConfig {
            equivocate: cmd.dev_equivocate == Some(crate::cli::Equivocation::Grandpa),
            ..Default::default()
        },
    })
    .await
    {
        Ok(handle) => Some(handle),
        Err(echonet_finality::Error::NoAuthorities(reason)) => {
            tracing::warn!(target: "grandpa", "GRANDPA does not run: {reason}");
            None
        }
        Err(e) => return Err(anyhow!("cannot start GRANDPA: {e}")),
    };
    if let Some(g) = &grandpa {
        tasks.spawn(finality::fetch_missing_justifications(
            client.clone(),
            g.clone(),
            net.clone(),
            shutdown_rx.clone(),
        ));
    }
    let (sync_tx, sync_rx) = mpsc::channel(network::SYNC_EVENT_QUEUE);
    let (tx_events_tx, tx_events_rx) = mpsc::channel(transactions::INCOMING_QUEUE);
    let (sync_engine, sync) = SyncEngine::new(SyncParams {
        client: client.clone(),
        network: Arc::new(net.clone()),
        events: sync_rx,
        config: SyncConfig::default(),
        justifications: grandpa.clone().map(|g| {
            Arc::new(finality::GrandpaJustifications(g))
                as Arc<dyn echonet_sync::JustificationImport>
        }),
        transactions: (cmd.block_relay == BlockRelay::Compact).then(|| {
            Arc::new(network::PoolTransactions(pool.clone()))
                as Arc<dyn echonet_sync::TransactionSource>
        }),
        registry: Some(registry.clone()),
    })
    .map_err(|e| anyhow!("cannot register sync metrics: {e}"))?;
    tasks.spawn(sync_engine.run(shutdown_rx.clone()));
    tasks.spawn(network::route_events(
        net_events,
        network::Routes {
            sync: sync_tx,
            transactions: tx_events_tx,
            finality: grandpa.is_some().then_some(finality_tx),
        },
        net.clone(),
        shutdown_rx.clone(),
    ));
    tasks.spawn(network::announce_blocks(
        client.clone(),
        net.clone(),
        sync.clone(),
        cmd.block_relay,
        shutdown_rx.clone(),
    ));
    tasks.spawn(transactions::propagate(
        pool.clone(),
        net.clone(),
        shutdown_rx.clone(),
    ));
    tasks.spawn(transactions::receive(
        pool.clone(),
        net.clone(),
        tx_events_rx,
        shutdown_rx.clone(),
    ));
    network_status.set_sync(sync.clone());

    if validator {
        let authorities = client
            .aura_authorities(client.info().best_hash)
            .unwrap_or_default();
        match slot_worker::local_authority(&keystore_ptr, &authorities) {
            Some(a) => tracing::info!(target: "aura", "👑 Authoring with Aura key {a}"),
            None => tracing::warn!(
                target: "aura",
                "running as validator, but no local key is among the {} Aura authorities",
                authorities.len()
            ),
        }
        let params = authoring::AuthoringParams {
            client: client.clone(),
            pool: pool.clone(),
            keystore: keystore_ptr.clone(),
            metrics: metrics.clone(),
            // Where GRANDPA runs, it finalizes; without it a single-authority chain
            // finalizes what it authors.
            instant_finality: grandpa.is_none(),
            sync: Some(sync.clone()),
            force_authoring: cmd.force_authoring(),
            equivocate: cmd.dev_equivocate == Some(crate::cli::Equivocation::Aura),
        };
        tasks.spawn(authoring::run(params, shutdown_rx.clone()));
    }
    tasks.spawn(crate::informant::run(
        crate::informant::Informant {
            client: client.clone(),
            pool: pool.clone(),
            metrics: metrics.clone(),
            sync: Some(sync.clone()),
            registry: registry.clone(),
        },
        shutdown_rx.clone(),
    ));

    wait_for_signal().await;
    tracing::info!("Shutting down…");
    let _ = shutdown_tx.send(true);
    rpc.stop().await;
    let stopped = tokio::time::timeout(Duration::from_secs(10), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if stopped.is_err() {
        tracing::warn!("tasks did not stop within 10 s; aborting them");
        tasks.abort_all();
    }
    if let Some(grandpa) = &grandpa {
        if tokio::time::timeout(Duration::from_secs(5), grandpa.stopped())
            .await
            .is_err()
        {
            tracing::warn!("GRANDPA did not stop within 5 s");
        }
    }
    net.shutdown();
    if tokio::time::timeout(Duration::from_secs(5), net_task)
        .await
        .is_err()
    {
        tracing::warn!("the network did not stop within 5 s");
    }
    maintenance.abort();
    let flush_client = client.clone();
    tokio::task::spawn_blocking(move || flush_client.flush()).await??;
    drop(base);
    tracing::info!("Bye");
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
