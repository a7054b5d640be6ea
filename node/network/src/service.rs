//! Starting the network: checks the configuration against the chain, builds the swarm,
//! listens, seeds discovery with the boot and reserved nodes, and spawns the worker.

use crate::{
    behaviour::{Behaviour, BehaviourParams},
    chain::ChainProvider,
    config::{peer_id_of, strip_peer_id, NetworkConfig},
    discovery::Discovery,
    metrics::Metrics,
    peerset::PeersetConfig,
    protocol::ProtocolNames,
    worker::{Worker, WorkerParams},
    NetworkError, NetworkEvent, NetworkHandle,
};
use libp2p::{noise, tcp, yamux, Multiaddr, PeerId, SwarmBuilder};
use prometheus_endpoint::Registry;
use std::{collections::HashSet, sync::Arc, time::Duration};
use tokio::{
    sync::{mpsc, watch},
    task::JoinHandle,
};
use tracing::Instrument;

/// Capacity of the command channel (handle → worker).
const COMMAND_QUEUE: usize = 1024;
/// Capacity of the event channel (worker → node).
const EVENT_QUEUE: usize = 1024;
/// How long a connection no protocol uses stays open. Every connection the peer set accepts
/// is kept open by its handler until the worker closes it, so this is only a backstop.
const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

fn parse_peer_addresses(
    addrs: &[Multiaddr],
    error: fn(Multiaddr) -> NetworkError,
) -> Result<Vec<(PeerId, Multiaddr)>, NetworkError> {
    addrs
        .iter()
        .map(|a| match peer_id_of(a) {
            Some(peer) => Ok((peer, strip_peer_id(a))),
            None => Err(error(a.clone())),
        })
        .collect()
}

/// Starts the network: listens, dials the boot and reserved nodes, and spawns the worker.
/// Returns the handle, the node's event receiver, and the worker task.
pub async fn start(
    config: NetworkConfig,
    chain: Arc<dyn ChainProvider>,
    registry: Option<&Registry>,
) -> Result<(NetworkHandle, mpsc::Receiver<NetworkEvent>, JoinHandle<()>), NetworkError> {
    let metrics = registry.map(Metrics::register).transpose()?.map(Arc::new);
    let names = ProtocolNames::new(config.genesis_hash);
    let boot_nodes = parse_peer_addresses(&config.boot_nodes, NetworkError::InvalidBootNode)?;
    let reserved = parse_peer_addresses(&config.reserved_nodes, NetworkError::InvalidReservedNode)?;

    let status_chain = chain.clone();
    let status = tokio::task::spawn_blocking(move || status_chain.status())
        .await
        .map_err(|e| NetworkError::Setup(format!("reading the chain status: {e}")))?;
    if status.genesis_hash != config.genesis_hash {
        return Err(NetworkError::GenesisMismatch {
            chain: status.genesis_hash,
            config: config.genesis_hash,
        });
    }

    let local = config.keypair.public().to_peer_id();
    tracing::info!(target: "network", "🏷  Local node identity is: {local}");

    let params = BehaviourParams {
        keypair: &config.keypair,
        names: &names,
        peerset: PeersetConfig {
            reserved: reserved.iter().map(|(p, _)| *p).collect(),
            reserved_only: config.reserved_only,
            in_peers: config.in_peers as usize,
            out_peers: config.out_peers as usize,
            ban_duration: config.ban_duration,
        },
        enable_mdns: config.enable_mdns,
        agent_version: format!(
            "echonet-node/{} ({})",
            env!("CARGO_PKG_VERSION"),
            config.node_name
        ),
        metrics: metrics.clone(),
    };
    let behaviour = Behaviour::new(params)?;
    let mut swarm = SwarmBuilder::with_existing_identity(config.keypair.clone())
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| NetworkError::Setup(format!("transport: {e}")))?
        .with_dns()
        .map_err(|e| NetworkError::Setup(format!("dns: {e}")))?
        .with_behaviour(|_| behaviour)
        .map_err(|e| NetworkError::Setup(format!("behaviour: {e}")))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
        .build();

    for addr in &config.listen_addresses {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| NetworkError::Listen {
                addr: addr.clone(),
                reason: e.to_string(),
            })?;
    }
    for addr in &config.public_addresses {
        swarm.add_external_address(strip_peer_id(addr));
    }

    let mut discovery = Discovery::new();
    for (peer, addr) in boot_nodes.iter().chain(reserved.iter()) {
        if *peer == local {
            continue;
        }
        discovery.add(*peer, addr.clone());
        swarm.behaviour_mut().kad.add_address(peer, addr.clone());
    }
    if !boot_nodes.is_empty() && !config.reserved_only {
        // Fails only without known peers, which the boot nodes just provided.
        let _ = swarm.behaviour_mut().kad.bootstrap();
    }

    let (command_tx, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (event_tx, event_rx) = mpsc::channel(EVENT_QUEUE);
    let (blocked_tx, blocked_rx) = watch::channel(HashSet::new());
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let worker = Worker::new(WorkerParams {
        swarm,
        chain,
        names,
        role: config.role,
        status,
        commands: command_rx,
        blocked: blocked_rx,
        shutdown: shutdown_rx,
        events: event_tx,
        metrics: metrics.clone(),
        discovery,
        request_rate: config.request_rate,
        gossip_rate: config.gossip_rate,
        ban_duration: config.ban_duration,
    });
    // Its polls are the network's CPU time (echonet_cpu_seconds_total{component="network"}).
    let task = tokio::spawn(echonet_cpu_meter::metered(
        echonet_cpu_meter::Component::Network,
        worker
            .run()
            .instrument(tracing::info_span!(target: "network", "network")),
    ));
    let handle = NetworkHandle::new(local, command_tx, blocked_tx, shutdown_tx, metrics);
    Ok((handle, event_rx, task))
}
