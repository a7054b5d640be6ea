//! Sync between in-process nodes on 127.0.0.1: real chain clients (dev chain, RocksDB in
//! temporary directories), real networks, real sync engines.

use echonet_client::Client;
use echonet_network::{rep, Keypair, Multiaddr, NetworkConfig, NetworkHandle, PeerId};
use echonet_sync::{SyncConfig, SyncEngine, SyncHandle, SyncParams, SyncState};
use echonet_test_utils::{
    copy_chain, init_tracing, metric, open_dev_client_at as open_client, past_slot,
    wait_until_within, ForgingChain, NewBlock,
};

impl TestNode {
    pub(crate) fn sync(&self) -> &SyncHandle {
        self.sync.as_ref().expect("this node runs sync")
    }
}
use prometheus_endpoint::Registry;
use sp_core::H256;
use std::{future::Future, sync::Arc, time::Duration};
use tokio::sync::watch;

const DEADLINE: Duration = Duration::from_secs(60);

/// Polls `check` until it gives a value; panics after [`DEADLINE`].
pub(crate) async fn wait_until<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    wait_until_within(what, DEADLINE, check).await
}

/// The first slot of the test chains: well in the past, so that blocks are never "from the
/// future" and new ones can always follow.
pub(crate) fn base_slot() -> u64 {
    past_slot(100_000)
}

/// Extends `client`'s best chain by `n` blocks from `first_slot`; returns their hashes.
fn extend(client: &Client, n: u32, first_slot: u64) -> Vec<H256> {
    (0..n)
        .map(|i| NewBlock::new(client, first_slot + i as u64).import())
        .collect()
}

pub(crate) struct TestNode {
    pub(crate) client: Arc<Client>,
    provider: Arc<ForgingChain>,
    pub(crate) network: NetworkHandle,
    sync: Option<SyncHandle>,
    pub(crate) registry: Registry,
    peer_id: PeerId,
    addr: Multiaddr,
    _shutdown: watch::Sender<bool>,
}

/// A node over `client` that boots from `boot`; with `sync`, a sync engine runs on it.
pub(crate) async fn node(client: Arc<Client>, boot: &[&TestNode], with_sync: bool) -> TestNode {
    node_claiming(client, boot, with_sync, None).await
}

async fn node_claiming(
    client: Arc<Client>,
    boot: &[&TestNode],
    with_sync: bool,
    claim: Option<u32>,
) -> TestNode {
    node_with(client, boot, with_sync, claim, None).await
}

/// A node as [`node_claiming`] makes, whose sync rebuilds compact announcements from
/// `pool` if given.
pub(crate) async fn node_with(
    client: Arc<Client>,
    boot: &[&TestNode],
    with_sync: bool,
    claim: Option<u32>,
    pool: Option<Arc<dyn echonet_sync::TransactionSource>>,
) -> TestNode {
    let genesis = client.info().genesis_hash;
    let mut config = NetworkConfig::new(genesis, Keypair::generate_ed25519());
    config.listen_addresses = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    config.boot_nodes = boot.iter().map(|n| n.addr.clone()).collect();
    config.node_name = "sync-test".into();
    let registry = Registry::new();
    let provider = Arc::new(ForgingChain::new(client.clone()));
    provider.claim_best_number(claim);
    let (network, mut events, _task) =
        echonet_network::start(config, provider.clone(), Some(&registry))
            .await
            .unwrap();
    let addr = wait_until("a listen address", || {
        let network = network.clone();
        async move { network.listen_addresses().await.into_iter().next() }
    })
    .await;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let sync = if with_sync {
        let (engine, handle) = SyncEngine::new(SyncParams {
            client: client.clone(),
            network: Arc::new(network.clone()),
            events,
            config: SyncConfig::default(),
            justifications: None,
            transactions: pool,
            registry: Some(registry.clone()),
        })
        .unwrap();
        tokio::spawn(engine.run(shutdown_rx));
        Some(handle)
    } else {
        // A plain server: its events still need a reader.
        tokio::spawn(async move { while events.recv().await.is_some() {} });
        None
    };
    TestNode {
        peer_id: network.local_peer_id(),
        client,
        provider,
        network,
        sync,
        registry,
        addr,
        _shutdown: shutdown,
    }
}

pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_node_catches_up_from_several_peers_and_reports_it() {
    init_tracing();
    const BLOCKS: u32 = 300;
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let paths: Vec<_> = dirs.iter().map(|d| d.path().to_path_buf()).collect();
    let (a, b, c) = blocking(move || {
        let a = open_client(&paths[0]);
        extend(&a, BLOCKS, base_slot());
        let b = open_client(&paths[1]);
        copy_chain(&a, &b);
        (a, b, open_client(&paths[2]))
    })
    .await;
    let target = a.info().best_hash;
    let server_a = node(a, &[], false).await;
    let server_b = node(b, &[], false).await;
    let fresh = node(c, &[&server_a, &server_b], true).await;

    let mut saw_downloading = false;
    wait_until("the fresh node at the servers' best block", || {
        let status = fresh.sync().status();
        saw_downloading |= status.state == SyncState::Downloading;
        let done = fresh.client.info().best_hash == target;
        async move { done.then_some(()) }
    })
    .await;
    let status = fresh.sync().status();
    assert_eq!(status.state, SyncState::Idle);
    assert_eq!(status.num_peers(), 2);
    assert_eq!(status.best_seen, Some(BLOCKS));
    assert!(saw_downloading, "the sync never reported a major sync");
    // Both servers were asked for ranges.
    for server in [&server_a, &server_b] {
        let served = metric(
            &server.registry,
            "echonet_network_requests_total",
            &[
                ("protocol", "blocks"),
                ("direction", "in"),
                ("result", "served"),
            ],
        );
        assert!(served >= 1.0, "a server served no blocks");
    }
    // Every block is counted once. Most come in ranges (initial sync); the last few may
    // come by a fetch of the servers' announced best block walking down to ours, when
    // that lands first (seen on a loaded machine: 256 + 44).
    let imported = |origin| {
        metric(
            &fresh.registry,
            "echonet_sync_blocks_imported_total",
            &[("origin", origin)],
        )
    };
    let (ranges, announced) = (imported("initial_sync"), imported("broadcast"));
    assert_eq!(ranges + announced, BLOCKS as f64, "{ranges} + {announced}");
    assert!(
        ranges >= f64::from(echonet_network::MAX_BLOCKS_PER_RESPONSE),
        "only {ranges} blocks came through initial sync"
    );
    drop(dirs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announced_fork_is_fetched_with_its_ancestors_and_wins_when_longer() {
    init_tracing();
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let paths: Vec<_> = dirs.iter().map(|d| d.path().to_path_buf()).collect();
    let slot = base_slot();
    // Both have #1..#5; then `a` grows a fork of 4 blocks and `b` one of 2.
    let (a, b, fork_a) = blocking(move || {
        let a = open_client(&paths[0]);
        extend(&a, 5, slot);
        let b = open_client(&paths[1]);
        copy_chain(&a, &b);
        let fork_a = extend(&a, 4, slot + 10);
        extend(&b, 2, slot + 20);
        (a, b, fork_a)
    })
    .await;
    assert_eq!(a.info().best_number, 9);
    assert_eq!(b.info().best_number, 7);
    let peer_a = node(a.clone(), &[], false).await;
    let follower = node(b.clone(), &[&peer_a], true).await;
    wait_until("the follower connected", || {
        let n = follower.sync().num_peers();
        async move { (n == 1).then_some(()) }
    })
    .await;
    // A new block on a's fork, announced: its parent (#9) is unknown to the follower, and
    // so are #6..#8; the follower fetches them all and reorganises onto the longer fork.
    let tip = blocking({
        let a = a.clone();
        move || extend(&a, 1, slot + 30)[0]
    })
    .await;
    let header = a.header(tip).unwrap().unwrap();
    peer_a.network.announce_block(header, true);
    wait_until("the follower on a's fork", || {
        let best = follower.client.info().best_hash;
        async move { (best == tip).then_some(()) }
    })
    .await;
    for hash in fork_a {
        assert!(follower.client.header(hash).unwrap().is_some());
    }
    assert_eq!(follower.client.info().best_number, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_block_is_rejected_remembered_and_costs_its_sender() {
    init_tracing();
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let paths: Vec<_> = dirs.iter().map(|d| d.path().to_path_buf()).collect();
    let slot = base_slot();
    let (honest, rogue_chain) = blocking(move || {
        let honest = open_client(&paths[0]);
        extend(&honest, 3, slot);
        let rogue = open_client(&paths[1]);
        copy_chain(&honest, &rogue);
        (honest, rogue)
    })
    .await;
    let rogue = node(rogue_chain.clone(), &[], false).await;
    let victim = node(honest.clone(), &[&rogue], true).await;
    wait_until("the victim connected", || {
        let n = victim.sync().num_peers();
        async move { (n == 1).then_some(()) }
    })
    .await;

    // A block on the common best block whose header lies about the state root, sealed
    // properly: it passes every check but execution.
    let parent = honest.info().best_hash;
    let bad = blocking(move || {
        let mut block = NewBlock::new(&rogue_chain, slot + 50).on(parent).build();
        block.header.state_root = H256::repeat_byte(0xbd);
        let block = block.seal();
        (block.header, block.body)
    })
    .await;
    let bad_hash = bad.0.hash();
    rogue.provider.forge(bad.0.clone(), bad.1.clone());
    rogue.network.announce_block(bad.0.clone(), true);

    wait_until("the bad block counted", || {
        let n = metric(&victim.registry, "echonet_sync_bad_blocks_total", &[]);
        async move { (n >= 1.0).then_some(()) }
    })
    .await;
    assert!(victim.client.header(bad_hash).unwrap().is_none());
    assert_eq!(victim.client.info().best_hash, parent);
    // Its claim to a longer chain died with the block: we are not "behind" it.
    let status = victim.sync().status();
    assert_eq!(status.best_seen, Some(3), "{status:?}");
    let reputation = wait_until("the rogue's reputation", || {
        let network = victim.network.clone();
        let rogue_id = rogue.peer_id;
        async move {
            network
                .peers()
                .await
                .into_iter()
                .find(|p| p.peer_id == rogue_id)
                .map(|p| p.reputation)
        }
    })
    .await;
    assert!(
        reputation <= rep::BAD_BLOCK.value / 2,
        "reputation {reputation} after a bad block"
    );
    assert_eq!(
        metric(
            &victim.registry,
            "echonet_network_reputation_changes_total",
            &[("reason", "bad block")]
        ),
        1.0
    );
    // Announced again, it is rejected at once: not fetched, not executed again.
    let fetched_before = metric(
        &victim.registry,
        "echonet_sync_block_requests_total",
        &[("kind", "fetch")],
    );
    let rejected = |registry: &Registry| {
        metric(
            registry,
            "echonet_network_gossip_messages_total",
            &[("topic", "block-announces"), ("kind", "invalid")],
        )
    };
    assert_eq!(rejected(&victim.registry), 1.0);
    rogue.network.announce_block(bad.0, false);
    wait_until("the second announcement rejected", || {
        let n = rejected(&victim.registry);
        async move { (n >= 2.0).then_some(()) }
    })
    .await;
    assert_eq!(
        metric(
            &victim.registry,
            "echonet_sync_block_requests_total",
            &[("kind", "fetch")],
        ),
        fetched_before
    );
    assert_eq!(
        metric(&victim.registry, "echonet_sync_bad_blocks_total", &[]),
        1.0
    );
    drop(dirs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_claims_blocks_it_cannot_serve_is_no_longer_believed() {
    init_tracing();
    const BLOCKS: u32 = 40;
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let paths: Vec<_> = dirs.iter().map(|d| d.path().to_path_buf()).collect();
    let (a, b, c) = blocking(move || {
        let a = open_client(&paths[0]);
        extend(&a, BLOCKS, base_slot());
        let b = open_client(&paths[1]);
        copy_chain(&a, &b);
        (a, b, open_client(&paths[2]))
    })
    .await;
    let target = a.info().best_hash;
    let honest = node(a, &[], false).await;
    // Same blocks, but it says it has ten thousand.
    let liar = node_claiming(b, &[], false, Some(10_000)).await;
    let fresh = node(c, &[&honest, &liar], true).await;
    wait_until("the fresh node synced and no longer major syncing", || {
        let status = fresh.sync().status();
        let done = fresh.client.info().best_hash == target
            && status.state == SyncState::Idle
            && status.num_peers() == 2;
        async move { done.then_some(()) }
    })
    .await;
    assert_eq!(fresh.sync().status().best_seen, Some(BLOCKS));
    assert!(
        metric(
            &fresh.registry,
            "echonet_network_reputation_changes_total",
            &[("reason", "claimed blocks it did not serve")]
        ) >= 1.0
    );
    drop(dirs);
}
