//! Content on other nodes: the client side of the shard protocol ([`protocol`](crate::protocol)).
//!
//! - **Placement** ([`place`]): after a put, the manifest is offered to every connected
//!   peer; those that store it (`--dds-provider` nodes) and this node are the candidates.
//!   Shard `i` goes to the candidate nearest, in XOR distance of blake3(peer id), to
//!   `placement_key(0, cid, i)` among those not yet given a shard of the same chunk (so a
//!   chunk's k + m shards sit on distinct nodes while there are enough), and of those,
//!   first among the ones whose address range ([`ip_group`]: an IPv4 /24, an IPv6 /48) no
//!   shard of the chunk went to yet: nodes in one range (one data centre, one LAN) tend to
//!   fail together. A push that fails moves to the next candidate; a shard nobody takes
//!   stays here. Shards pushed away are then dropped here, except those also placed here.
//! - **Get** ([`fetch_manifest`], [`fetch_chunk`]): the sources of a content, in this
//!   order ([`Sources`]): the providers the chain assigned its shards to
//!   ([`Transport::assigned`]), the providers Kademlia knows ([`Transport::providers`]),
//!   then the other connected peers; deduplicated, this node left out. A manifest comes
//!   from the first tier that has one (each tier asked in parallel) and is checked against
//!   the cid. Each missing shard of a chunk is asked of its assigned holder first, then of
//!   the Kademlia providers and the peers, each group in XOR order (its likely holder
//!   first), k shards in parallel; every shard is checked against its segment root, and a
//!   bad or missing one is asked of the next candidate, or another shard index is tried,
//!   until k are valid. A get looks the assigned holders and the Kademlia providers up
//!   once per content every [`SOURCES_TTL`], not per chunk; an empty answer is kept too
//!   (for the rest of the read: the next read asks again).
//! - **Announcing** ([`Transport::announce`]): the store announces in Kademlia the content
//!   it holds shards of: after a put, after storing a pushed or repaired shard, and at
//!   start for everything in the store.
//!
//! The network is behind [`Transport`], so that tests run a network of stores in memory.

use std::{
    collections::{HashMap, HashSet},
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use codec::Encode;
use futures::{stream::FuturesUnordered, StreamExt};

use crate::{
    merkle,
    protocol::{decode_response, Refusal, Request, Response, MAX_WIRE_PAYLOAD},
    Cid, Hash, Manifest,
};

/// A peer's id as bytes (a libp2p peer id's bytes on the node).
pub type PeerKey = Vec<u8>;

/// A boxed future, as [`Transport`] returns.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A shard's holder as the chain assigned it (pallet-dds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assigned {
    /// The shard's index among all of the content's shards.
    pub shard: u32,
    /// Its provider.
    pub peer: PeerKey,
}

/// How the store reaches other nodes.
pub trait Transport: Send + Sync + 'static {
    /// This node's id.
    fn local(&self) -> PeerKey;
    /// The peers that can be asked now.
    fn peers(&self) -> BoxFuture<Vec<PeerKey>>;
    /// Sends a request (encoded [`Request`]) and returns the answer's bytes, or why there
    /// is none.
    fn request(&self, peer: PeerKey, request: Vec<u8>) -> BoxFuture<Result<Vec<u8>, String>>;
    /// The nodes that announced they hold some of `cid` (Kademlia provider records),
    /// reachable by [`request`](Transport::request) when it resolves. None by default.
    fn providers(&self, _cid: Cid) -> BoxFuture<Vec<PeerKey>> {
        Box::pin(async { Vec::new() })
    }
    /// The holders the chain assigned `cid`'s shards to. None by default.
    fn assigned(&self, _cid: Cid) -> BoxFuture<Vec<Assigned>> {
        Box::pin(async { Vec::new() })
    }
    /// Announces this node as a holder of `cids` (and keeps announcing them). Must not
    /// block: called from the store's threads. Does nothing by default.
    fn announce(&self, _cids: Vec<Cid>) {}
    /// The address range ([`ip_group`]) of each connected peer whose address has one;
    /// placement spreads a chunk's shards over ranges. None by default.
    fn ip_groups(&self) -> BoxFuture<HashMap<PeerKey, IpGroup>> {
        Box::pin(async { HashMap::new() })
    }
}

/// An address range whose nodes may fail together: the first 24 bits of an IPv4 address,
/// the first 48 of an IPv6 one, tagged by family.
pub type IpGroup = [u8; 7];

/// The range of `ip` for placement: an IPv4 /24 or an IPv6 /48 (an IPv4-mapped IPv6
/// address counts as its IPv4 address). `None` for loopback and unspecified addresses:
/// nodes on one machine, as in a local test network, are not told apart by range.
pub fn ip_group(ip: std::net::IpAddr) -> Option<IpGroup> {
    use std::net::IpAddr;
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    if ip.is_loopback() || ip.is_unspecified() {
        return None;
    }
    Some(match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            [4, o[0], o[1], o[2], 0, 0, 0]
        }
        IpAddr::V6(v6) => {
            let o = v6.octets();
            [6, o[0], o[1], o[2], o[3], o[4], o[5]]
        }
    })
}

/// The target of a shard among `ranked` (nearest first): the nearest not in `used` (the
/// chunk's nodes so far) whose range is not in `used_groups`, else the nearest not in
/// `used`, else the nearest. A node without a known range never conflicts.
fn choose_target(
    ranked: &[PeerKey],
    used: &HashSet<PeerKey>,
    groups: &HashMap<PeerKey, IpGroup>,
    used_groups: &HashSet<IpGroup>,
) -> PeerKey {
    let fresh = |p: &&PeerKey| !used.contains(*p);
    ranked
        .iter()
        .filter(fresh)
        .find(|p| groups.get(*p).is_none_or(|g| !used_groups.contains(g)))
        .or_else(|| ranked.iter().find(fresh))
        .unwrap_or(&ranked[0])
        .clone()
}

/// Where a content's shards may be, best first (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The chain's assignments.
    pub assigned: Vec<Assigned>,
    /// Kademlia providers.
    pub providers: Vec<PeerKey>,
    /// The connected peers.
    pub peers: Vec<PeerKey>,
    /// This node (left out of every list).
    pub local: PeerKey,
}

impl Sources {
    /// Looks all three up at once.
    pub async fn find(t: &Arc<dyn Transport>, cid: Cid) -> Sources {
        let (assigned, providers, peers) =
            futures::join!(t.assigned(cid), t.providers(cid), t.peers());
        Sources {
            assigned,
            providers,
            peers,
            local: t.local(),
        }
    }

    /// The tiers to ask for the manifest: assigned holders, Kademlia providers, the other
    /// peers; deduplicated.
    fn manifest_tiers(&self) -> Vec<Vec<PeerKey>> {
        let mut seen = HashSet::new();
        let assigned: Vec<PeerKey> = self.assigned.iter().map(|a| a.peer.clone()).collect();
        [assigned, self.providers.clone(), self.peers.clone()]
            .into_iter()
            .map(|tier| {
                tier.into_iter()
                    .filter(|p| *p != self.local && seen.insert(p.clone()))
                    .collect()
            })
            .collect()
    }

    /// The candidates for shard `index` of `cid`, in the order they are asked: its assigned
    /// holders, then the Kademlia providers and then the other peers, each by XOR distance
    /// to the shard; deduplicated.
    pub fn candidates(&self, cid: &Cid, index: u32) -> Vec<PeerKey> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let holders = self
            .assigned
            .iter()
            .filter(|a| a.shard == index)
            .map(|a| a.peer.clone());
        let groups = [
            holders.collect::<Vec<_>>(),
            rank(self.providers.clone(), cid, index),
            rank(self.peers.clone(), cid, index),
        ];
        for p in groups.into_iter().flatten() {
            if p != self.local && seen.insert(p.clone()) {
                out.push(p);
            }
        }
        out
    }
}

/// Counters of the client side (`dds_stat`, metrics).
#[derive(Default)]
pub struct RemoteStats {
    /// Shards fetched from peers and found valid.
    pub fetched: AtomicU64,
    /// Shards a peer sent that did not match their segment root (refetched elsewhere).
    pub bad: AtomicU64,
    /// Shards pushed to peers by placement.
    pub pushed: AtomicU64,
}

/// Assigned holders and Kademlia providers found for a content, and when.
type SourcesCache = parking_lot::Mutex<HashMap<Cid, (Instant, Sources)>>;

/// The store's link to the network: the transport, and the runtime its futures run on.
pub struct Remote {
    transport: Arc<dyn Transport>,
    runtime: tokio::runtime::Handle,
    stats: Arc<RemoteStats>,
    sources: Arc<SourcesCache>,
}

/// How long the assigned holders and Kademlia providers of a content are reused.
pub const SOURCES_TTL: Duration = Duration::from_secs(10);
/// Contents whose sources are remembered.
const SOURCES_CACHED: usize = 64;
/// Content ids announced per call at start.
const ANNOUNCE_CHUNK: usize = 1024;
/// Most content ids announced at start.
pub const MAX_ANNOUNCED: usize = 64 * 1024;

/// Passes over a shard's candidates before giving it up (busy peers are asked again).
const PASSES: usize = 3;
/// Pushes in flight during placement.
const PUSH_CONCURRENCY: usize = 8;

impl Remote {
    /// A link over `transport`, whose futures run on `runtime`.
    pub fn new(transport: Arc<dyn Transport>, runtime: tokio::runtime::Handle) -> Self {
        Remote {
            transport,
            runtime,
            stats: Default::default(),
            sources: Default::default(),
        }
    }

    /// Announces, on a blocking thread, every content of which `store` holds a shard (at
    /// most [`MAX_ANNOUNCED`]).
    pub(crate) fn announce_held(&self, store: Arc<crate::store::Store>) {
        let t = self.transport.clone();
        self.runtime.spawn_blocking(move || {
            let held = store.held_contents(MAX_ANNOUNCED);
            if !held.is_empty() {
                tracing::info!(target: "dds", contents = held.len(), "📦 Announcing the content held here");
            }
            for batch in held.chunks(ANNOUNCE_CHUNK) {
                t.announce(batch.to_vec());
            }
        });
    }

    /// Announces `cids` as held here.
    pub(crate) fn announce(&self, cids: Vec<Cid>) {
        if !cids.is_empty() {
            self.transport.announce(cids);
        }
    }

    /// Makes the next lookup of `cid`'s sources ask the chain and Kademlia again if the
    /// last one found nothing: called when a read of the content starts
    /// ([`Dds::manifest`](crate::Dds::manifest)), so that an empty answer is reused by that
    /// read's chunks (each lookup can take seconds) but not by the next read.
    pub(crate) fn retry_empty_sources(&self, cid: &Cid) {
        let mut cache = self.sources.lock();
        if cache
            .get(cid)
            .is_some_and(|(_, s)| s.assigned.is_empty() && s.providers.is_empty())
        {
            cache.remove(cid);
        }
    }

    /// The sources of `cid`: the assigned holders and Kademlia providers from the cache
    /// when fresh (see [`retry_empty_sources`](Remote::retry_empty_sources) for empty
    /// ones), the connected peers always fresh.
    async fn sources(t: Arc<dyn Transport>, cache: Arc<SourcesCache>, cid: Cid) -> Sources {
        let cached = cache
            .lock()
            .get(&cid)
            .filter(|(at, _)| at.elapsed() < SOURCES_TTL)
            .map(|(_, s)| s.clone());
        if let Some(mut s) = cached {
            s.peers = t.peers().await;
            return s;
        }
        let s = Sources::find(&t, cid).await;
        let mut cached = cache.lock();
        if cached.len() >= SOURCES_CACHED {
            cached.retain(|_, (at, _)| at.elapsed() < SOURCES_TTL);
            if cached.len() >= SOURCES_CACHED {
                cached.clear();
            }
        }
        cached.insert(cid, (Instant::now(), s.clone()));
        s
    }

    /// The counters.
    pub fn stats(&self) -> &RemoteStats {
        &self.stats
    }

    /// Runs `fut` on the runtime and waits for it from this (blocking) thread. `None` if
    /// the runtime shut down first.
    fn run<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().ok()
    }

    /// The manifest of `cid` from its sources, checked against the cid.
    pub(crate) fn manifest(&self, cid: Cid) -> Option<Manifest> {
        let (t, cache) = (self.transport.clone(), self.sources.clone());
        self.run(async move {
            let sources = Self::sources(t.clone(), cache, cid).await;
            fetch_manifest_from(t, cid, &sources).await
        })
        .flatten()
    }

    /// Shard `index` (root `root`) of `cid` from its sources, checked.
    pub(crate) fn shard(&self, cid: &Cid, index: u32, root: Hash) -> Option<Vec<u8>> {
        let (t, cache) = (self.transport.clone(), self.sources.clone());
        let stats = self.stats.clone();
        let cid = *cid;
        self.run(async move {
            let sources = Self::sources(t.clone(), cache, cid).await;
            fetch_shard(t, stats, sources.candidates(&cid, index), root).await
        })
        .flatten()
    }

    /// Fills `slots` (the chunk's shards, some already present) from peers until `k` are
    /// present and valid, or no peer has more, and returns them. If the runtime shut down
    /// (the node is stopping), none.
    pub(crate) fn fill_chunk(
        &self,
        manifest: &Manifest,
        chunk: u32,
        slots: Vec<Option<Vec<u8>>>,
    ) -> Vec<Option<Vec<u8>>> {
        let per = slots.len();
        let (t, cache) = (self.transport.clone(), self.sources.clone());
        let stats = self.stats.clone();
        let manifest = manifest.clone();
        self.run(async move {
            let sources = Self::sources(t.clone(), cache, manifest.cid()).await;
            fetch_chunk_from(t, stats, manifest, chunk, slots, &sources).await
        })
        .unwrap_or_else(|| vec![None; per])
    }

    /// Places `manifest`'s shards (`read` gives a shard's bytes by its index); returns the
    /// indices of the shards placed on other nodes.
    pub(crate) fn place(
        &self,
        manifest: &Manifest,
        read: impl Fn(u32) -> Option<Vec<u8>> + Send + Sync + 'static,
    ) -> Placement {
        self.run(place(
            self.transport.clone(),
            self.stats.clone(),
            manifest.clone(),
            Arc::new(read),
        ))
        .unwrap_or_default()
    }
}

/// The XOR distance of `peer` to shard `index` of `cid`.
fn distance(peer: &[u8], cid: &Cid, index: u32) -> Hash {
    let key = echonet_dds_primitives::placement_key(&[0; 32], &cid.0, index);
    echonet_dds_primitives::xor_distance(blake3::hash(peer).as_bytes(), &key)
}

/// `peers` nearest first to shard `index` of `cid`.
pub fn rank(mut peers: Vec<PeerKey>, cid: &Cid, index: u32) -> Vec<PeerKey> {
    peers.sort_by_cached_key(|p| distance(p, cid, index));
    peers
}

async fn ask(t: &Arc<dyn Transport>, peer: PeerKey, request: &Request) -> Result<Response, String> {
    let bytes = t.request(peer, request.encode()).await?;
    decode_response(&bytes).map_err(|_| "malformed response".to_string())
}

/// The manifest of `cid` from the first source whose answer checks against the cid.
pub async fn fetch_manifest(t: Arc<dyn Transport>, cid: Cid) -> Option<Manifest> {
    let sources = Sources::find(&t, cid).await;
    fetch_manifest_from(t, cid, &sources).await
}

/// The manifest of `cid` from `sources`: each tier in parallel, the next tier only if none
/// of the previous one had it.
async fn fetch_manifest_from(
    t: Arc<dyn Transport>,
    cid: Cid,
    sources: &Sources,
) -> Option<Manifest> {
    let request = Request::Manifest(cid);
    for tier in sources.manifest_tiers() {
        let mut answers: FuturesUnordered<_> = tier
            .into_iter()
            .map(|p| {
                let t = t.clone();
                let request = request.clone();
                async move { ask(&t, p, &request).await }
            })
            .collect();
        while let Some(answer) = answers.next().await {
            if let Ok(Response::Manifest(bytes)) = answer {
                match Manifest::decode_checked(&bytes, Some(&cid)) {
                    Ok(m) => return Some(m),
                    Err(e) => {
                        tracing::debug!(target: "dds", %cid, error = %e, "a peer sent a bad manifest")
                    }
                }
            }
        }
    }
    None
}

/// Shard `index` (root `root`) from the first of `candidates` that sends valid bytes.
async fn fetch_shard(
    t: Arc<dyn Transport>,
    stats: Arc<RemoteStats>,
    candidates: Vec<PeerKey>,
    root: Hash,
) -> Option<Vec<u8>> {
    let request = Request::Shard(root);
    let mut left = candidates;
    for pass in 0..PASSES {
        if pass > 0 {
            tokio::time::sleep(Duration::from_millis(100 << pass)).await;
        }
        let mut busy = Vec::new();
        for peer in left {
            match ask(&t, peer.clone(), &request).await {
                Ok(Response::Shard(bytes)) if merkle::segment_root(&bytes) == root => {
                    stats.fetched.fetch_add(1, Ordering::Relaxed);
                    return Some(bytes);
                }
                Ok(Response::Shard(_)) => {
                    stats.bad.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(target: "dds", shard = %hex::encode(root), "a peer sent a shard that does not match its root; asking elsewhere");
                }
                Ok(Response::Refused(Refusal::Busy | Refusal::RateLimited)) => busy.push(peer),
                Err(e) if e.contains("too many requests") || e.contains("busy") => busy.push(peer),
                _ => {}
            }
        }
        if busy.is_empty() {
            break;
        }
        left = busy;
    }
    None
}

/// Fetches missing shards of `chunk` until k are present (see the module documentation).
pub async fn fetch_chunk(
    t: Arc<dyn Transport>,
    stats: Arc<RemoteStats>,
    manifest: Manifest,
    chunk: u32,
    slots: Vec<Option<Vec<u8>>>,
) -> Vec<Option<Vec<u8>>> {
    let k = usize::from(manifest.layout().k());
    if slots.iter().filter(|s| s.is_some()).count() >= k {
        return slots;
    }
    let sources = Sources::find(&t, manifest.cid()).await;
    fetch_chunk_from(t, stats, manifest, chunk, slots, &sources).await
}

async fn fetch_chunk_from(
    t: Arc<dyn Transport>,
    stats: Arc<RemoteStats>,
    manifest: Manifest,
    chunk: u32,
    mut slots: Vec<Option<Vec<u8>>>,
    sources: &Sources,
) -> Vec<Option<Vec<u8>>> {
    let k = usize::from(manifest.layout().k());
    let per = slots.len() as u32;
    let mut have = slots.iter().filter(|s| s.is_some()).count();
    if have >= k {
        return slots;
    }
    let cid = manifest.cid();
    // Data shards first: with all of them no decoding is needed.
    let missing: Vec<u32> = (0..per).filter(|&i| slots[i as usize].is_none()).collect();
    let mut todo = missing.into_iter();
    let mut inflight = FuturesUnordered::new();
    loop {
        while have + inflight.len() < k {
            let Some(i) = todo.next() else { break };
            let index = chunk * per + i;
            let Some(root) = manifest.segment_roots().get(index as usize).copied() else {
                continue;
            };
            let candidates = sources.candidates(&cid, index);
            let fetch = fetch_shard(t.clone(), stats.clone(), candidates, root);
            inflight.push(async move { (i, fetch.await) });
        }
        match inflight.next().await {
            Some((i, Some(bytes))) => {
                slots[i as usize] = Some(bytes);
                have += 1;
                if have >= k {
                    break;
                }
            }
            Some((_, None)) => {}
            None => break,
        }
    }
    slots
}

/// What placement did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    /// Shard indices stored on other nodes.
    pub pushed: Vec<u32>,
    /// Shard indices placed on this node (or that no peer took).
    pub kept: Vec<u32>,
    /// Peers that took the manifest (the candidates).
    pub providers: usize,
}

async fn push(t: &Arc<dyn Transport>, peer: PeerKey, request: &Request) -> bool {
    matches!(ask(t, peer, request).await, Ok(Response::Stored))
}

/// Places a manifest's shards (see the module documentation).
pub async fn place(
    t: Arc<dyn Transport>,
    stats: Arc<RemoteStats>,
    manifest: Manifest,
    read: Arc<dyn Fn(u32) -> Option<Vec<u8>> + Send + Sync>,
) -> Placement {
    let all: Vec<u32> = (0..manifest.segment_roots().len() as u32).collect();
    let bytes = manifest.encode();
    let too_large = bytes.len() > MAX_WIRE_PAYLOAD
        || manifest.layout().shard_len(0).unwrap_or(u32::MAX) as usize > MAX_WIRE_PAYLOAD;
    let peers = t.peers().await;
    if peers.is_empty() || too_large {
        if too_large {
            tracing::warn!(target: "dds", cid = %manifest.cid(), "content too large for the network (shards or manifest over 1 MiB): kept on this node only");
        }
        return Placement {
            kept: all,
            ..Default::default()
        };
    }
    // The peers that store the manifest are the candidates.
    let offer = Request::StoreManifest(bytes);
    let accepted: Vec<bool> =
        futures::future::join_all(peers.iter().map(|p| push(&t, p.clone(), &offer))).await;
    let local = t.local();
    let mut candidates: Vec<PeerKey> = peers
        .into_iter()
        .zip(accepted)
        .filter_map(|(p, ok)| ok.then_some(p))
        .collect();
    let providers = candidates.len();
    candidates.push(local.clone());
    let groups = t.ip_groups().await;

    let cid = manifest.cid();
    let per = manifest.layout().shards_per_chunk();
    let mut placement = Placement {
        providers,
        ..Default::default()
    };
    for chunk in 0..manifest.layout().chunk_count() {
        let mut used: HashSet<PeerKey> = HashSet::new();
        let mut used_groups: HashSet<IpGroup> = HashSet::new();
        // First choice of each shard, then pushed in parallel.
        let mut first = Vec::new();
        for i in 0..per {
            let index = chunk * per + i;
            let ranked = rank(candidates.clone(), &cid, index);
            let target = choose_target(&ranked, &used, &groups, &used_groups);
            used_groups.extend(groups.get(&target).copied());
            used.insert(target.clone());
            first.push((index, ranked, target));
        }
        let results: Vec<(u32, Vec<PeerKey>, PeerKey, bool)> = futures::stream::iter(first)
            .map(|(index, ranked, target)| {
                let t = t.clone();
                let read = read.clone();
                let local = local.clone();
                async move {
                    if target == local {
                        return (index, ranked, target, true);
                    }
                    let Some(shard) = read(index) else {
                        return (index, ranked, target, false);
                    };
                    let ok = push(
                        &t,
                        target.clone(),
                        &Request::StoreShard { cid, index, shard },
                    )
                    .await;
                    (index, ranked, target, ok)
                }
            })
            .buffered(PUSH_CONCURRENCY)
            .collect()
            .await;
        for (index, ranked, target, ok) in results {
            if ok {
                if target == local {
                    placement.kept.push(index);
                } else {
                    stats.pushed.fetch_add(1, Ordering::Relaxed);
                    placement.pushed.push(index);
                }
                continue;
            }
            // The first choice failed: the next candidates, one by one; here last.
            let mut placed = false;
            for peer in ranked.iter().filter(|p| !used.contains(*p) && **p != local) {
                let Some(shard) = read(index) else { break };
                if push(&t, peer.clone(), &Request::StoreShard { cid, index, shard }).await {
                    used.insert(peer.clone());
                    stats.pushed.fetch_add(1, Ordering::Relaxed);
                    placement.pushed.push(index);
                    placed = true;
                    break;
                }
            }
            if !placed {
                placement.kept.push(index);
            }
        }
    }
    placement
}
