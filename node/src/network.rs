//! The node's side of the peer-to-peer network: the network's configuration from the
//! command line, the chain as the network serves it, the routing of network events to
//! sync, the transaction gossip and GRANDPA, the announcement of new blocks, and what the
//! RPC reports about peers and sync.

use crate::{
    cli::{BlockRelay, RunCmd},
    network_key,
};
use anyhow::{anyhow, Context};
use echonet_client::{BlockOrigin, ChainSpec, ChainType, Client};
use echonet_finality::FinalityMessage;
use echonet_network::{
    Keypair, MessageId, MessageValidity, Multiaddr, NetworkConfig, NetworkEvent, NetworkHandle,
    PeerId, Role,
};
use echonet_rpc::{NetworkStatus, PeerInfo, SyncState};
use echonet_sync::SyncHandle;
use parking_lot::RwLock;
use sp_core::H256;
use std::{path::Path, sync::Arc, time::Duration};
use tokio::sync::{broadcast::error::RecvError, mpsc, watch};

/// Capacity of the queue of events for sync. Connection events wait for room; block
/// announcements are ignored when it is full.
pub const SYNC_EVENT_QUEUE: usize = 1024;

/// How often the listen addresses shown by RPC are re-read.
const LISTEN_ADDRESSES_REFRESH: Duration = Duration::from_secs(10);

/// The node key: `--node-key`, else `--node-key-file`, else the chain's default file
/// (created on first start).
pub fn node_key(cmd: &RunCmd, config_dir: &Path) -> anyhow::Result<Keypair> {
    if let Some(hex) = &cmd.node_key {
        return network_key::parse_secret(hex.as_bytes()).context("--node-key");
    }
    let path = cmd
        .node_key_file
        .clone()
        .unwrap_or_else(|| config_dir.join("network").join("secret_ed25519"));
    network_key::load_or_generate(&path).context("cannot load the node key")
}

/// The network's configuration from the command line and the chain spec.
pub fn config(
    cmd: &RunCmd,
    spec: &ChainSpec,
    genesis_hash: H256,
    keypair: Keypair,
    node_name: &str,
    validator: bool,
) -> anyhow::Result<NetworkConfig> {
    let mut config = NetworkConfig::new(genesis_hash, keypair);
    config.listen_addresses = if cmd.listen_addr.is_empty() {
        vec![format!("/ip4/0.0.0.0/tcp/{}", cmd.p2p_port())
            .parse()
            .map_err(|e| anyhow!("--port: {e}"))?]
    } else {
        cmd.listen_addr.clone()
    };
    config.public_addresses = cmd.public_addr.clone();
    let mut boot_nodes = cmd.bootnodes.clone();
    for raw in &spec.boot_nodes {
        let addr: Multiaddr = raw
            .parse()
            .map_err(|e| anyhow!("the chain spec's boot node {raw:?}: {e}"))?;
        boot_nodes.push(addr);
    }
    config.boot_nodes = boot_nodes;
    config.reserved_nodes = cmd.reserved_nodes.clone();
    config.reserved_only = cmd.reserved_only;
    config.in_peers = cmd.in_peers;
    config.out_peers = cmd.out_peers;
    config.enable_mdns =
        !cmd.no_mdns && matches!(spec.chain_type, ChainType::Development | ChainType::Local);
    config.role = if validator {
        Role::Authority
    } else {
        Role::Full
    };
    config.node_name = node_name.to_string();
    Ok(config)
}

/// Where network events go.
pub struct Routes {
    pub sync: mpsc::Sender<NetworkEvent>,
    pub transactions: mpsc::Sender<NetworkEvent>,
    /// GRANDPA's gossip; without it finality messages are ignored.
    pub finality: Option<mpsc::Sender<FinalityMessage<PeerId, MessageId>>>,
}

/// Hands each network event to its consumer. Connection events wait for room (they are
/// never dropped); gossip that finds its consumer's queue full is reported as ignored.
pub async fn route_events(
    mut events: mpsc::Receiver<NetworkEvent>,
    routes: Routes,
    network: NetworkHandle,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let event = tokio::select! {
            _ = shutdown.changed() => break,
            event = events.recv() => match event {
                Some(event) => event,
                None => break,
            },
        };
        match event {
            NetworkEvent::PeerConnected { .. } | NetworkEvent::PeerDisconnected { .. } => {
                if routes.sync.send(event).await.is_err() {
                    break;
                }
            }
            NetworkEvent::BlockAnnounce { .. } => offer(&routes.sync, event, &network),
            NetworkEvent::Transactions { .. } => offer(&routes.transactions, event, &network),
            NetworkEvent::Finality {
                peer,
                data,
                message_id,
            } => match &routes.finality {
                Some(finality) => {
                    let message = FinalityMessage {
                        peer,
                        data,
                        message_id,
                    };
                    if let Err(e) = finality.try_send(message) {
                        let message = match e {
                            mpsc::error::TrySendError::Full(m)
                            | mpsc::error::TrySendError::Closed(m) => m,
                        };
                        network.report_message(
                            message.message_id,
                            message.peer,
                            MessageValidity::Ignore,
                        );
                    }
                }
                None => network.report_message(message_id, peer, MessageValidity::Ignore),
            },
        }
    }
    tracing::debug!(target: "network", "event routing stopped");
}

fn offer(to: &mpsc::Sender<NetworkEvent>, event: NetworkEvent, network: &NetworkHandle) {
    if let Err(e) = to.try_send(event) {
        let event = match e {
            mpsc::error::TrySendError::Full(event) | mpsc::error::TrySendError::Closed(event) => {
                event
            }
        };
        ignore(event, network);
    }
}

fn ignore(event: NetworkEvent, network: &NetworkHandle) {
    if let (Some(id), Some(peer)) = (event.message_id().cloned(), event.peer()) {
        network.report_message(id, peer, MessageValidity::Ignore);
    }
}

/// Announces the blocks we author. Blocks from peers are not announced again: a block
/// announcement is a gossip message, which the network forwards once the block is
/// imported (the node accepts it), and an identical announcement of ours would be the same
/// message (gossip ids are content hashes). That forward is what Substrate's re-announcement
/// of new best blocks achieves. Blocks imported from files are announced when they become
/// the best block.
///
/// With `--block-relay compact`, the announcement carries the block's short ids: the body
/// is read back and hashed on a blocking thread (a few milliseconds for 5,000 transfers).
pub async fn announce_blocks(
    client: Arc<Client>,
    network: NetworkHandle,
    sync: SyncHandle,
    relay: BlockRelay,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut imports = client.import_notifications();
    loop {
        let n = tokio::select! {
            _ = shutdown.changed() => break,
            n = imports.recv() => match n {
                Ok(n) => n,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            },
        };
        let announce = match n.origin {
            BlockOrigin::Own => true,
            BlockOrigin::File => n.is_new_best && !sync.is_major_syncing(),
            BlockOrigin::NetworkBroadcast | BlockOrigin::NetworkInitialSync => false,
        };
        if !announce {
            continue;
        }
        let header = (*n.header).clone();
        match relay {
            BlockRelay::Full => network.announce_block(header, n.is_new_best),
            BlockRelay::Compact => {
                let (client, network) = (client.clone(), network.clone());
                let announced = tokio::task::spawn_blocking(move || {
                    match client.body(n.hash) {
                        Ok(Some(body)) => {
                            network.announce_compact_block(header, n.is_new_best, &body)
                        }
                        // Cannot happen for a block just imported; peers can still fetch it.
                        _ => network.announce_block(header, n.is_new_best),
                    }
                })
                .await;
                if announced.is_err() {
                    tracing::warn!(target: "network", "Announcing #{} failed", n.header.number);
                }
            }
        }
    }
    tracing::debug!(target: "network", "block announcer stopped");
}

/// The pool as compact block relay looks transactions up in it.
pub struct PoolTransactions(pub Arc<echonet_txpool::Pool>);

impl echonet_sync::TransactionSource for PoolTransactions {
    fn for_each_transaction(&self, f: &mut dyn FnMut(&H256, &[u8])) {
        for (hash, bytes) in self.0.transactions() {
            f(&hash, &bytes);
        }
    }
}

/// What the RPC reports about the network: peers and sync from the sync's view, listen
/// addresses from the network (refreshed in the background).
pub struct NodeNetworkStatus {
    client: Arc<Client>,
    /// Set once sync starts (after a warp sync, if the node warps first).
    sync: Arc<RwLock<Option<SyncHandle>>>,
    warp: echonet_sync::WarpProgress,
    local_peer_id: String,
    should_have_peers: bool,
    listen_addresses: Arc<RwLock<Vec<String>>>,
}

impl NodeNetworkStatus {
    /// The status of a node whose sync has not started yet ([`Self::set_sync`]); `warp`
    /// tells the phases of a warp sync, if the node warps.
    pub fn new(
        client: Arc<Client>,
        warp: echonet_sync::WarpProgress,
        local_peer_id: String,
        chain_type: &ChainType,
    ) -> Self {
        Self {
            client,
            sync: Arc::default(),
            warp,
            local_peer_id,
            should_have_peers: *chain_type != ChainType::Development,
            listen_addresses: Arc::default(),
        }
    }

    /// Sync has started: peers and progress come from it from now on.
    pub fn set_sync(&self, sync: SyncHandle) {
        *self.sync.write() = Some(sync);
    }

    /// A handle on the same status, for the RPC (which starts before sync).
    pub fn share(&self) -> Self {
        Self {
            client: self.client.clone(),
            sync: self.sync.clone(),
            warp: self.warp.clone(),
            local_peer_id: self.local_peer_id.clone(),
            should_have_peers: self.should_have_peers,
            listen_addresses: self.listen_addresses.clone(),
        }
    }

    fn sync_status(&self) -> Option<echonet_sync::SyncStatus> {
        self.sync.read().as_ref().map(SyncHandle::status)
    }

    /// Keeps the listen addresses current until shutdown.
    pub fn refresh_listen_addresses(
        &self,
        network: NetworkHandle,
        mut shutdown: watch::Receiver<bool>,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let shared = self.listen_addresses.clone();
        async move {
            // Quickly at first: the swarm reports its addresses right after it starts.
            let mut delay = Duration::from_millis(100);
            loop {
                let addrs: Vec<String> = network
                    .listen_addresses()
                    .await
                    .into_iter()
                    .map(|a| a.to_string())
                    .collect();
                let found = !addrs.is_empty();
                *shared.write() = addrs;
                if found {
                    delay = LISTEN_ADDRESSES_REFRESH;
                }
                tokio::select! {
                    _ = shutdown.changed() => break,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

impl NetworkStatus for NodeNetworkStatus {
    fn local_peer_id(&self) -> String {
        self.local_peer_id.clone()
    }

    fn peers(&self) -> Vec<PeerInfo> {
        self.sync_status()
            .map(|s| s.peers)
            .unwrap_or_default()
            .into_iter()
            .map(|p| PeerInfo {
                peer_id: p.peer_id.to_string(),
                roles: match p.role {
                    Role::Authority => "Authority",
                    Role::Full => "Full",
                }
                .into(),
                best_hash: p.best_hash,
                best_number: p.best_number,
            })
            .collect()
    }

    fn is_syncing(&self) -> bool {
        match self.sync.read().as_ref() {
            Some(sync) => sync.is_major_syncing(),
            // Before sync starts, the node is warping.
            None => true,
        }
    }

    fn should_have_peers(&self) -> bool {
        self.should_have_peers
    }

    fn local_listen_addresses(&self) -> Vec<String> {
        self.listen_addresses.read().clone()
    }

    fn sync_state(&self) -> SyncState {
        use echonet_rpc::{WarpSyncPhase, WarpSyncState};
        use echonet_sync::WarpPhase;
        let best = self.client.info().best_number;
        let warp_sync = self.warp.phase().map(|phase| {
            let mut state = WarpSyncState {
                phase: WarpSyncPhase::AwaitingPeers,
                sets: 0,
                target_block: None,
                state_percent: 0,
                bytes: 0,
            };
            match phase {
                WarpPhase::AwaitingPeers => {}
                WarpPhase::DownloadingProofs { sets, bytes } => {
                    state.phase = WarpSyncPhase::DownloadingFinalityProofs;
                    state.sets = sets;
                    state.bytes = bytes;
                }
                WarpPhase::DownloadingState {
                    target,
                    percent,
                    bytes,
                } => {
                    state.phase = WarpSyncPhase::DownloadingState;
                    state.target_block = Some(target);
                    state.state_percent = percent;
                    state.bytes = bytes;
                }
                WarpPhase::ImportingState { target } => {
                    state.phase = WarpSyncPhase::ImportingState;
                    state.target_block = Some(target);
                    state.state_percent = 100;
                }
                WarpPhase::Done { target } => {
                    state.phase = WarpSyncPhase::Complete;
                    state.target_block = Some(target);
                    state.state_percent = 100;
                }
            }
            state
        });
        let target = warp_sync.and_then(|w| w.target_block).unwrap_or(0);
        match self.sync_status() {
            Some(status) => SyncState {
                starting_block: status.starting_block,
                current_block: best,
                highest_block: status.best_seen.unwrap_or(best).max(best),
                warp_sync,
            },
            None => SyncState {
                starting_block: best,
                current_block: best,
                highest_block: target.max(best),
                warp_sync,
            },
        }
    }
}
