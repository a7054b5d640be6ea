//! `echonet-node benchmark warp`: the time a fresh node takes to warp-sync to the tip of a
//! chain with many accounts, over the real path: two networks on loopback (the server's
//! serving its database through the warp protocols, the warping node's running
//! `echonet_sync::warp_sync`: proof check, state chunks checked against the state root,
//! the trie rebuilt and imported).
//!
//! The chain: the dev chain with `--accounts` extra endowed accounts in its genesis, and
//! `--blocks` empty blocks authored by Alice, the last one finalized by a GRANDPA
//! justification of set 0 ({Alice}). It has no authority-set hand-off: each would add one
//! header and one justification check (well under a millisecond) to the proof phase.

use crate::benchmark::{base_slot, import_own, start_block, Fixture};
use anyhow::{anyhow, Context};
use codec::Encode;
use echonet_client::{BlockOrigin, ImportBlock};
use echonet_network::{Keypair, Multiaddr, NetworkConfig};
use sp_consensus_grandpa::GRANDPA_ENGINE_ID;
use sp_core::{Pair as _, H256};
use sp_keyring::Ed25519Keyring;
use std::{sync::Arc, time::Instant};

/// Options of `benchmark warp`.
#[derive(Debug, Clone, clap::Args)]
pub struct WarpBenchCmd {
    /// Endowed accounts added to the genesis state.
    #[arg(long, default_value_t = 100_000)]
    pub accounts: usize,
    /// Blocks of the chain (at most about 100,000: the slots must lie in the past).
    #[arg(long, default_value_t = 1_000)]
    pub blocks: u32,
}

/// A justification of `hash` (#`number`) by Alice, the only voter of set 0.
fn justification(hash: H256, number: u32) -> Vec<u8> {
    let precommit = finality_grandpa::Precommit::new(hash, number);
    let payload = sp_consensus_grandpa::localized_payload(
        1,
        0,
        &finality_grandpa::Message::<H256, u32>::Precommit(precommit.clone()),
    );
    echonet_finality::Justification {
        round: 1,
        commit: finality_grandpa::Commit {
            target_hash: hash,
            target_number: number,
            precommits: vec![finality_grandpa::SignedPrecommit {
                precommit,
                signature: Ed25519Keyring::Alice.pair().sign(&payload).into(),
                id: Ed25519Keyring::Alice.public().into(),
            }],
        },
        votes_ancestries: vec![],
    }
    .encode()
}

/// Runs the benchmark and prints what it measured.
pub fn run(cmd: &WarpBenchCmd) -> anyhow::Result<()> {
    let blocks = cmd.blocks.max(1);
    let started = Instant::now();
    let fx = Fixture::new(cmd.accounts.max(1))?;
    let server = fx.open("server", false)?;
    let slot = base_slot();
    for i in 0..blocks - 1 {
        let built = start_block(&server, slot + u64::from(i))?.build()?;
        import_own(&server, built)?;
    }
    let built = start_block(&server, slot + u64::from(blocks - 1))?.build()?;
    let header = crate::benchmark::seal(built.header);
    let hash = header.hash();
    server.import_block(ImportBlock {
        justifications: Some((GRANDPA_ENGINE_ID, justification(hash, header.number)).into()),
        header,
        body: built.body,
        origin: BlockOrigin::Own,
        changes: Some(built.changes),
        finalize: true,
    })?;
    server.flush()?;
    let info = server.info();
    eprintln!(
        "built #{} with {} endowed accounts in {:.1} s",
        info.finalized_number,
        cmd.accounts,
        started.elapsed().as_secs_f64()
    );
    let warper = fx.open("warper", false)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("a runtime for the networks")?;
    runtime.block_on(async move {
        let listen: Multiaddr = "/ip4/127.0.0.1/tcp/0".parse()?;
        let mut config = NetworkConfig::new(info.genesis_hash, Keypair::generate_ed25519());
        config.listen_addresses = vec![listen.clone()];
        let (server_net, mut server_events, _server_task) = echonet_network::start(
            config,
            Arc::new(echonet_sync::ClientChain(server.clone())),
            None,
        )
        .await?;
        tokio::spawn(async move { while server_events.recv().await.is_some() {} });
        let address = loop {
            if let Some(a) = server_net.listen_addresses().await.into_iter().next() {
                break a;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        let mut config = NetworkConfig::new(info.genesis_hash, Keypair::generate_ed25519());
        config.listen_addresses = vec![listen];
        config.boot_nodes = vec![address];
        let (net, mut events, _task) = echonet_network::start(
            config,
            Arc::new(echonet_sync::ClientChain(warper.clone())),
            None,
        )
        .await?;
        tokio::spawn(async move { while events.recv().await.is_some() {} });
        let (_shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
        let progress = echonet_sync::WarpProgress::default();
        let started = Instant::now();
        let (warped, number) =
            echonet_sync::warp_sync(warper.clone(), Arc::new(net.clone()), progress, shutdown_rx)
                .await
                .map_err(|e| anyhow!("warp sync failed: {e}"))?;
        let elapsed = started.elapsed().as_secs_f64();
        let stats = warper.state_db_stats()?;
        println!(
            "warp sync to #{number} ({warped:?}) of a chain of {blocks} blocks with {} endowed \
             accounts: {elapsed:.2} s on loopback (connection included); the imported state \
             holds {} trie nodes ({:.1} MiB)",
            cmd.accounts,
            stats.nodes.0,
            stats.nodes.1 as f64 / (1024.0 * 1024.0)
        );
        server_net.shutdown();
        net.shutdown();
        Ok::<_, anyhow::Error>(())
    })
}
