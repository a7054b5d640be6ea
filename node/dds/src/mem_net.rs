//! An in-memory network of stores, for the crate's tests and benchmarks (not part of its
//! API). Every node runs the real [`Server`] and [`Remote`] client over its own on-disk
//! store; only the transport is a shared map instead of libp2p, with switches to stop, hide
//! or corrupt nodes and to turn Kademlia off.
//!
//! It is compiled in every build (not behind a cargo feature, which would split the
//! workspace's build) so that `benches/` can use it; the code is small and does nothing
//! unless called.

use std::{
    collections::{HashMap, HashSet},
    path::Path,
    sync::{atomic::AtomicBool, Arc},
};

use codec::Encode;
use parking_lot::Mutex;

use crate::{
    protocol::{decode_request, Limits, Request, Response, Server},
    remote::{Assigned, BoxFuture, IpGroup, PeerKey, Remote, Transport},
    Cid, Dds, DdsConfig, DdsError, Hash,
};

/// The nodes and what the network knows and does.
pub struct Net {
    /// Every node's id and its server.
    pub servers: Vec<(PeerKey, Arc<Server<PeerKey>>)>,
    /// Stopped nodes: not peers, no answers.
    pub down: Mutex<HashSet<PeerKey>>,
    /// Nodes that flip a byte of every shard they send.
    pub rogue: Mutex<HashSet<PeerKey>>,
    /// Nodes missing from everyone's peer list (not connected), yet reachable by request
    /// (as a provider found through Kademlia is, once dialed).
    pub hidden: Mutex<HashSet<PeerKey>>,
    /// The chain's assignments.
    pub assigned: Mutex<HashMap<Cid, Vec<Assigned>>>,
    /// Kademlia: who announced which content.
    pub providers: Mutex<HashMap<Cid, Vec<PeerKey>>>,
    /// Whether provider lookups answer nothing.
    pub kademlia_off: AtomicBool,
    /// Kademlia provider lookups made (`providers` calls).
    pub provider_lookups: std::sync::atomic::AtomicUsize,
    /// Shard requests made: (from, to, segment root).
    pub shard_requests: Mutex<Vec<(PeerKey, PeerKey, Hash)>>,
    /// The address range of nodes that have one ([`Transport::ip_groups`]).
    pub ip_groups: Mutex<HashMap<PeerKey, IpGroup>>,
}

impl Net {
    /// A network of `servers`, all up, honest, connected, nothing announced or assigned.
    pub fn new(servers: Vec<(PeerKey, Arc<Server<PeerKey>>)>) -> Arc<Net> {
        Arc::new(Net {
            servers,
            down: Default::default(),
            rogue: Default::default(),
            hidden: Default::default(),
            assigned: Default::default(),
            providers: Default::default(),
            kademlia_off: Default::default(),
            provider_lookups: Default::default(),
            shard_requests: Default::default(),
            ip_groups: Default::default(),
        })
    }

    /// The index of the node whose id is `key`.
    pub fn node_of(&self, key: &[u8]) -> Option<usize> {
        self.servers.iter().position(|(p, _)| p == key)
    }
}

/// One node's view of a [`Net`].
pub struct MemTransport {
    /// The network.
    pub net: Arc<Net>,
    /// This node's id.
    pub me: PeerKey,
}

impl Transport for MemTransport {
    fn local(&self) -> PeerKey {
        self.me.clone()
    }

    fn peers(&self) -> BoxFuture<Vec<PeerKey>> {
        let down = self.net.down.lock().clone();
        let hidden = self.net.hidden.lock().clone();
        let peers = self
            .net
            .servers
            .iter()
            .map(|(p, _)| p.clone())
            .filter(|p| *p != self.me && !down.contains(p) && !hidden.contains(p))
            .collect();
        Box::pin(async move { peers })
    }

    fn providers(&self, cid: Cid) -> BoxFuture<Vec<PeerKey>> {
        self.net
            .provider_lookups
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let found = if self
            .net
            .kademlia_off
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            Vec::new()
        } else {
            let down = self.net.down.lock().clone();
            let mut found = self
                .net
                .providers
                .lock()
                .get(&cid)
                .cloned()
                .unwrap_or_default();
            found.retain(|p| !down.contains(p));
            found
        };
        Box::pin(async move { found })
    }

    fn assigned(&self, cid: Cid) -> BoxFuture<Vec<Assigned>> {
        let holders = self
            .net
            .assigned
            .lock()
            .get(&cid)
            .cloned()
            .unwrap_or_default();
        Box::pin(async move { holders })
    }

    fn ip_groups(&self) -> BoxFuture<HashMap<PeerKey, IpGroup>> {
        let groups = self.net.ip_groups.lock().clone();
        Box::pin(async move { groups })
    }

    fn announce(&self, cids: Vec<Cid>) {
        let mut providers = self.net.providers.lock();
        for cid in cids {
            let list = providers.entry(cid).or_default();
            if !list.contains(&self.me) {
                list.push(self.me.clone());
            }
        }
    }

    fn request(&self, peer: PeerKey, request: Vec<u8>) -> BoxFuture<Result<Vec<u8>, String>> {
        let net = self.net.clone();
        let me = self.me.clone();
        Box::pin(async move {
            if net.down.lock().contains(&peer) {
                return Err("peer not connected".into());
            }
            let server = net
                .servers
                .iter()
                .find(|(p, _)| *p == peer)
                .map(|(_, s)| s.clone())
                .ok_or("unknown peer")?;
            if let Ok(Request::Shard(root)) = decode_request(&request) {
                net.shard_requests
                    .lock()
                    .push((me.clone(), peer.clone(), root));
            }
            let rogue = net.rogue.lock().contains(&peer);
            // The server blocks on its store, as it does on the node.
            let response = tokio::task::spawn_blocking(move || {
                server.handle(&me, &request, std::time::Instant::now())
            })
            .await
            .map_err(|e| e.to_string())?;
            let response = match response {
                Response::Shard(mut bytes) if rogue => {
                    if let Some(b) = bytes.first_mut() {
                        *b ^= 1;
                    }
                    Response::Shard(bytes)
                }
                other => other,
            };
            Ok(response.encode())
        })
    }
}

/// Stores connected over one [`Net`], and the runtime their network futures run on.
pub struct Cluster {
    /// The stores, in the order of `net.servers`.
    pub nodes: Vec<Arc<Dds>>,
    /// The network.
    pub net: Arc<Net>,
    _runtime: tokio::runtime::Runtime,
}

impl Cluster {
    /// One store in each of `dirs`, opened with `config`, served with the default
    /// [`Limits`] (the node's) and connected to all the others; node `i` is `peer-{i}`, and
    /// the first `providers` accept pushed manifests and shards (as `--dds-provider`
    /// nodes do).
    pub fn open(dirs: &[&Path], config: DdsConfig, providers: usize) -> Result<Self, DdsError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let mut nodes = Vec::new();
        let mut servers = Vec::new();
        for (i, dir) in dirs.iter().enumerate() {
            let dds = Arc::new(Dds::open(dir, config.clone())?);
            let server =
                Server::new(dds.clone(), Limits::default()).accepting_stores(i < providers);
            servers.push((format!("peer-{i}").into_bytes(), Arc::new(server)));
            nodes.push(dds);
        }
        let net = Net::new(servers);
        for (dds, (me, _)) in nodes.iter().zip(&net.servers) {
            let transport = MemTransport {
                net: net.clone(),
                me: me.clone(),
            };
            dds.connect(Remote::new(Arc::new(transport), runtime.handle().clone()));
        }
        Ok(Cluster {
            nodes,
            net,
            _runtime: runtime,
        })
    }
}
