//! `run` and `rebuild`: the sequencer against a real `echonet-node` and a prover farm.
//!
//! `run` reads the bridge at the finalized head (chain id, instance, batch size, last batch,
//! deposit queue head), checks the key directory against the batch size, starts the farm
//! (`prover_*` on `--prover-rpc-port`), the settler, the exodus watcher and the sequencer
//! service, and stops cleanly on SIGINT/SIGTERM. With `--dev` it first sets up the dev chain
//! through sudo (INSECURE keys, printed as such).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use echonet_prover::farm::{self, Farm, FarmConfig};
use echonet_prover::keys;
use echonet_rollup_l1::{At, DepositTarget, L1Client, Settler};
use echonet_rollup_primitives::{BatchTrace, Deposit, PrivateKey};
use sp_core::{sr25519, Pair};
use tokio::sync::mpsc;

use crate::cli::{RebuildCmd, RunCmd};
use crate::mempool::AdmissionConfig;
use crate::rpc::RpcConfig;
use crate::service::{
    init_store, DepositSource, Deps, ProverBackend, Sequencer, SequencerConfig, Settlement,
    SettlementEvent,
};
use crate::store::Store;
use crate::types::{Params, StoredAccount};

/// The well-known INSECURE L2 seed of the dev operator's fee account.
const DEV_L2_SEED: [u8; 32] = [0xde; 32];
/// Batch size `--dev` configures when the chain has none.
const DEV_BATCH_SIZE: u32 = 4;

struct L1Deposits(L1Client);

#[async_trait::async_trait]
impl DepositSource for L1Deposits {
    async fn finalized_deposits(
        &self,
        from_seq: u64,
        max: u32,
    ) -> Result<Vec<(u64, Deposit)>, String> {
        self.0
            .finalized_deposits(from_seq, max)
            .await
            .map_err(|e| e.to_string())
    }
}

struct FarmProver(Farm);

impl ProverBackend for FarmProver {
    fn add_job(&self, number: u64, trace: Arc<BatchTrace>) {
        self.0.add_job(number, trace)
    }
    fn jobs(&self) -> (u64, u64) {
        let s = self.0.stats();
        (s.queued as u64, s.leased as u64)
    }
}

/// Capacity of the settler's input: the settler submits at most one batch per L1 block, so
/// 64 queued batches are minutes of settlement; a deeper queue would only hold more batch
/// data in memory while L1 is slow.
const SETTLER_INPUT: usize = 64;
/// Capacity of the mapped copy of the settler's events that the service reads (like the
/// settler's own, `SettlerConfig::event_buffer`): a few events per batch, each handled with
/// one database write, so it stays near empty.
const SETTLEMENT_EVENTS: usize = 1024;

/// Feeds the settler's bounded input; waits while it is full (back-pressure on the proof
/// handler, hence on the farm), so no proven batch is dropped.
struct SettlerSink(mpsc::Sender<echonet_rollup_l1::ProvenBatch>);

#[async_trait::async_trait]
impl Settlement for SettlerSink {
    async fn submit(&self, trace: &BatchTrace, proof: [u8; 128]) {
        let number = trace.header.batch_number;
        let batch = echonet_rollup_l1::ProvenBatch::from_trace(trace, proof);
        if self.0.send(batch).await.is_err() {
            // Only when the settler has stopped (shutdown): the batch stays proven in the
            // store and is handed over again on the next start.
            tracing::warn!(target: "settlement", "batch #{number}: the settler has stopped; it is resubmitted on restart");
        }
    }
}

fn map_event(e: echonet_rollup_l1::SettlementEvent) -> SettlementEvent {
    use echonet_rollup_l1::SettlementEvent as L;
    let b = |(n, h): (u32, sp_core::H256)| (n, h.0);
    match e {
        L::Submitted { number, .. } => SettlementEvent::Submitted { number },
        L::InBlock { number, block } => SettlementEvent::InBlock {
            number,
            block: b(block),
        },
        L::Final { number, block } => SettlementEvent::Final {
            number,
            block: b(block),
        },
        L::Resubmitted { number, why } => SettlementEvent::Resubmitted { number, why },
        L::Exodus => SettlementEvent::Exodus,
        L::Failed { number, error } => SettlementEvent::Failed { number, error },
    }
}

/// A secret URI, or a file holding one.
fn load_operator(s: &str) -> anyhow::Result<sr25519::Pair> {
    let suri = if Path::new(s).is_file() {
        std::fs::read_to_string(s)
            .with_context(|| format!("reading the operator key file {s}"))?
            .trim()
            .to_string()
    } else {
        s.to_string()
    };
    sr25519::Pair::from_string(&suri, None)
        .map_err(|e| anyhow!("--operator-key is not a valid secret URI or key file: {e:?}"))
}

fn l2_key(hex_seed: &str) -> anyhow::Result<PrivateKey> {
    let mut b = [0u8; 32];
    hex::decode_to_slice(hex_seed.trim_start_matches("0x"), &mut b)
        .map_err(|_| anyhow!("--l2-key must be 32 bytes of hex"))?;
    Ok(PrivateKey(b))
}

fn default_base_path() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".local/share/echonet-sequencer")
}

async fn wait_for<F, Fut>(what: &str, secs: u64, mut f: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if f().await? {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// `--dev`: INSECURE keys for the chain's batch size, registered through sudo with the
/// operator; the fee account created by a deposit. Returns the key directory and the fee
/// account index.
async fn dev_setup(
    l1: &L1Client,
    operator: &sr25519::Pair,
    base: &Path,
    stored_fee_account: Option<u32>,
) -> anyhow::Result<(PathBuf, u32)> {
    use echonet_runtime::RuntimeCall;
    let view = l1.bridge_view(At::Best).await?;
    let batch_size = view.batch_size.unwrap_or(DEV_BATCH_SIZE);
    let dir = base.join("dev-keys");
    if keys::load_meta(&dir).map(|m| m.batch_size).ok() != Some(batch_size as usize) {
        tracing::warn!(target: "sequencer", "INSECURE: generating dev proving keys for batch size {batch_size} in {} (anyone can forge proofs for them)", dir.display());
        let (pk, _vk) =
            tokio::task::spawn_blocking(move || keys::setup_dev(batch_size as usize, 0)).await??;
        keys::save_keys(&dir, &pk, batch_size as usize, true)?;
    }
    let vk = keys::load_verifying_key(&dir.join(keys::VK_FILE))?;
    let mut vk_bytes = Vec::new();
    ark_serialize::CanonicalSerialize::serialize_compressed(&vk, &mut vk_bytes)?;
    let hash_hex = keys::vk_hash(&vk)?;
    let mut key_hash = [0u8; 32];
    hex::decode_to_slice(&hash_hex, &mut key_hash)?;
    let me: sp_core::crypto::AccountId32 = operator.public().into();
    if !l1.is_operator(&me, At::Best).await? || view.batch_size != Some(batch_size) {
        tracing::warn!(target: "sequencer", "INSECURE dev setup: registering the dev verifying key, batch size {batch_size} and operator {me} through sudo");
        let calls = vec![
            RuntimeCall::Bridge(pallet_bridge::Call::set_verifying_key {
                batch_size,
                key: vk_bytes
                    .try_into()
                    .map_err(|_| anyhow!("verifying key too large"))?,
                key_hash,
            }),
            RuntimeCall::Bridge(pallet_bridge::Call::set_batch_size { batch_size }),
            RuntimeCall::Bridge(pallet_bridge::Call::add_operator { who: me.clone() }),
        ];
        for call in calls {
            l1.sudo(operator, call).await?;
            // One at a time: each needs its nonce and the previous in a block.
            let before = l1.best_head().await?.0;
            wait_for("the setup extrinsic's block", 60, || async {
                Ok(l1.best_head().await?.0 > before)
            })
            .await?;
        }
    }
    // A restart on an existing store keeps its fee account. (Looking it up in the deposit
    // queue below finds it only until the batch that consumed its deposit is final: after
    // that a restart created a second fee account, and the store refused to start.)
    if let Some(i) = stored_fee_account {
        return Ok((dir, i));
    }
    // The fee account: the dev L2 key's account, created by a deposit if needed.
    let pk = PrivateKey(DEV_L2_SEED).public().0.compress();
    let view = l1.bridge_view(At::Best).await?;
    let existing = l1
        .deposits_at(view.block.1, 0, view.queue_tail)
        .await
        .ok()
        .and_then(|list| {
            list.into_iter().find_map(|(_, d)| {
                (d.new_account.map(|k| k.0.compress()) == Some(pk)).then_some(d.to)
            })
        });
    let fee_account = match existing {
        Some(i) => i,
        None => {
            let index = view.next_index;
            tracing::warn!(target: "sequencer", "INSECURE dev setup: creating fee account {index} with a deposit");
            l1.deposit(operator, DepositTarget::NewAccount(pk), 1_000_000_000_000)
                .await?;
            wait_for("the fee account deposit", 60, || async {
                Ok(l1.bridge_view(At::Best).await?.next_index > index)
            })
            .await?;
            index
        }
    };
    Ok((dir, fee_account))
}

/// `echonet-sequencer run`.
pub async fn run(cmd: RunCmd) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    // `--dev` implies `--tmp` unless a base path is given: `--dev --base-path DIR` keeps the
    // store (and the dev keys) across restarts, as a dev node with `--base-path` does.
    let base = match (&cmd.base_path, cmd.dev, cmd.tmp) {
        (_, _, true) | (None, true, _) => tmp.path().to_path_buf(),
        (Some(p), _, _) => p.clone(),
        (None, false, false) => default_base_path(),
    };
    let operator = match (&cmd.operator_key, cmd.dev) {
        (Some(k), _) => load_operator(k)?,
        (None, true) => {
            tracing::warn!(target: "sequencer", "INSECURE: --dev uses the well-known //Alice operator key");
            sr25519::Pair::from_string("//Alice", None).map_err(|e| anyhow!("{e:?}"))?
        }
        (None, false) => bail!("--operator-key is required (or --dev)"),
    };
    let l1 = L1Client::connect(&cmd.l1)
        .await
        .with_context(|| format!("connecting to the L1 node at {}", cmd.l1))?;
    let (keys_dir, dev_fee) = if cmd.dev {
        let stored = Store::open(&base.join("db"))?.params()?;
        let (d, f) = dev_setup(&l1, &operator, &base, stored.map(|p| p.fee_account)).await?;
        (d, Some(f))
    } else {
        (
            cmd.keys.clone().ok_or_else(|| {
                anyhow!("--keys DIR is required (the verifying key of echonet-prover setup)")
            })?,
            None,
        )
    };
    if let Some(k) = &cmd.l2_key {
        let _ = l2_key(k)?;
    }
    let fee_account = cmd
        .fee_account
        .or(dev_fee)
        .ok_or_else(|| anyhow!("--fee-account is required"))?;
    let view = l1.bridge_view(At::Finalized).await?;
    let instance = view
        .instance
        .ok_or_else(|| anyhow!("the bridge has no rollup instance yet"))?;
    let batch_size = view.batch_size.ok_or_else(|| {
        anyhow!("the bridge has no batch size yet (governance: Bridge::set_batch_size)")
    })?;
    let meta = keys::load_meta(&keys_dir)?;
    if meta.batch_size != batch_size as usize {
        bail!(
            "the keys in {} are for batch size {}, the bridge's is {batch_size}",
            keys_dir.display(),
            meta.batch_size
        );
    }
    let vk = keys::load_verifying_key(&keys_dir.join(keys::VK_FILE))?;
    let db_path = base.join("db");
    {
        let store = Store::open(&db_path)?;
        if store.params()?.is_none() && view.last_batch != 0 {
            bail!(
                "the bridge has {} batches already: run `echonet-sequencer rebuild --l1 {} --base-path {}` first",
                view.last_batch,
                cmd.l1,
                base.display()
            );
        }
    }
    let params = Params {
        chain_id: view.chain_id,
        instance,
        batch_size,
        fee_account,
        first_batch: view.last_batch + 1,
        first_deposit_seq: view.queue_head,
    };

    let farm = Farm::new(
        vk,
        batch_size as usize,
        FarmConfig {
            lease: cmd.job_lease,
            ..FarmConfig::default()
        },
    );
    let proofs = farm.proofs();
    let any = |external: bool| {
        if external {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
    };
    let farm_server = farm::serve(
        &farm,
        SocketAddr::new(any(cmd.prover_rpc_external), cmd.prover_rpc_port),
    )
    .await?;
    let (settle_tx, settle_rx) = mpsc::channel(SETTLER_INPUT);
    let mut l1_events = Settler::spawn(l1.clone(), operator.clone(), settle_rx);
    let (ev_tx, ev_rx) = mpsc::channel(SETTLEMENT_EVENTS);
    tokio::spawn(async move {
        while let Some(e) = l1_events.recv().await {
            if ev_tx.send(map_event(e)).await.is_err() {
                break;
            }
        }
    });

    let registry = (!cmd.no_prometheus).then(prometheus_endpoint::Registry::new);
    if let Some(r) = &registry {
        let addr = SocketAddr::new(any(cmd.prometheus_external), cmd.prometheus_port);
        let r = r.clone();
        tokio::spawn(async move {
            if let Err(e) = prometheus_endpoint::init_prometheus(addr, r).await {
                tracing::error!(target: "sequencer", "Prometheus on {addr}: {e}");
            }
        });
    }
    let mut admission = AdmissionConfig::new(batch_size);
    admission.max_batch_wait = cmd.max_batch_wait;
    admission.pool_limit = cmd.pool_limit;
    admission.per_account_limit = cmd.per_account_limit;
    // An empty batch before the bridge's batch timeout can freeze a quiet rollup: half of
    // it, unless given.
    let bridge_params: Option<pallet_bridge::Params> = l1
        .storage_value(
            &pallet_bridge::ActiveParams::<echonet_runtime::Runtime>::hashed_key(),
            view.block.1,
            "Bridge.ActiveParams",
        )
        .await?;
    let timeout_ms = bridge_params.unwrap_or_default().batch_timeout_ms;
    admission.keepalive = Some(
        cmd.keepalive
            .unwrap_or(Duration::from_millis(timeout_ms / 2).max(Duration::from_secs(1))),
    );
    let mut rpc = RpcConfig::new(SocketAddr::new(any(cmd.rpc_external), cmd.rpc_port));
    rpc.max_connections = cmd.rpc_max_connections;
    rpc.rate_limit = (cmd.rate_limit > 0).then_some(cmd.rate_limit);
    if cmd.rpc_external && rpc.rate_limit.is_none() {
        tracing::warn!(target: "sequencer", "--rpc-external without --rate-limit: any client may flood admission");
    }
    let cfg = SequencerConfig {
        db_path,
        params,
        min_fee: cmd.min_fee,
        operator,
        admission,
        rpc: Some(rpc),
        extra_rpc: None,
        deposit_poll: Duration::from_secs(2),
        registry,
        pipeline: true,
        informant_every: Duration::from_secs(10),
    };
    let deps = Deps {
        deposits: Arc::new(L1Deposits(l1.clone())),
        prover: Arc::new(FarmProver(farm.clone())),
        proofs: Some(proofs),
        settlement: Some((Arc::new(SettlerSink(settle_tx)), ev_rx)),
    };
    let seq = Sequencer::start(cfg, deps).await?;
    tracing::info!(
        target: "sequencer",
        "Sequencer running: chain {} instance {instance}, batch size {batch_size}, fee account {fee_account}, L2 RPC {}, provers {}",
        view.chain_id,
        seq.rpc_addr().map(|a| a.to_string()).unwrap_or_default(),
        farm_server.url()
    );
    if cmd.dev {
        // The dev keys live in a temporary directory: say exactly how to start a prover.
        tracing::info!(
            target: "sequencer",
            "Start a prover: echonet-prover worker --sequencer {} --keys {}",
            farm_server.url(),
            keys_dir.display()
        );
    }
    // Exodus watcher (the settler also reports it, but only while it has batches).
    let shared = seq.shared().clone();
    let l1w = l1.clone();
    let watcher = tokio::spawn(async move {
        loop {
            if let Ok(v) = l1w.bridge_view(At::Best).await {
                if v.exodus && !shared.exodus.swap(true, Ordering::Relaxed) {
                    tracing::error!(target: "sequencer", "The bridge is in EXODUS mode: no more transactions are accepted");
                }
            }
            tokio::time::sleep(Duration::from_secs(6)).await;
        }
    });
    shutdown_signal().await;
    tracing::info!(target: "sequencer", "Shutting down");
    watcher.abort();
    seq.stop().await;
    farm_server.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// `echonet-sequencer rebuild`.
pub async fn rebuild(cmd: RebuildCmd) -> anyhow::Result<()> {
    let db_path = cmd.base_path.join("db");
    let store = Store::open(&db_path)?;
    if store.params()?.is_some() {
        bail!("{} already holds a sequencer store", db_path.display());
    }
    let l1 = L1Client::connect(&cmd.l1)
        .await
        .with_context(|| format!("connecting to the L1 node at {}", cmd.l1))?;
    let rebuilt = echonet_rollup_l1::rebuild(&l1, |p| {
        tracing::info!(
            target: "rebuild",
            "blocks {}/{}, batches {}/{}",
            p.blocks_scanned,
            p.blocks_total,
            p.batches_replayed,
            p.batches_total
        );
    })
    .await?;
    let view = l1.bridge_view(At::Hash(rebuilt.finalized.1)).await?;
    let root = echonet_rollup_primitives::field::fr_to_be_bytes(&rebuilt.tree.root());
    if root != rebuilt.l1_root {
        bail!(
            "rebuilt root 0x{} differs from the bridge's 0x{}",
            hex::encode(root),
            hex::encode(rebuilt.l1_root)
        );
    }
    let params = Params {
        chain_id: view.chain_id,
        instance: view
            .instance
            .ok_or_else(|| anyhow!("the bridge has no instance"))?,
        batch_size: view
            .batch_size
            .ok_or_else(|| anyhow!("the bridge has no batch size"))?,
        fee_account: cmd.fee_account,
        first_batch: rebuilt.last_batch + 1,
        first_deposit_seq: rebuilt.next_deposit_seq,
    };
    let accounts: Vec<(u32, StoredAccount)> = rebuilt
        .tree
        .accounts()
        .map(|(i, a)| {
            (
                *i,
                StoredAccount {
                    pubkey: a.pubkey.0.compress(),
                    balance: a.balance,
                    nonce: a.nonce,
                },
            )
        })
        .collect();
    init_store(&store, params, &accounts)?;
    println!(
        "Rebuilt {} batches, {} accounts, root 0x{} (equal to the bridge's at block #{}); the store in {} continues from batch {}",
        rebuilt.last_batch,
        accounts.len(),
        hex::encode(root),
        rebuilt.finalized.0,
        db_path.display(),
        params.first_batch
    );
    Ok(())
}
