//! EchoNet's distributed data store, node side (issue 17).
//!
//! Content is cut into chunks (1 MiB by default), each chunk is erasure coded into k data
//! and m parity shards (4 + 2 by default; any k rebuild the chunk), and a Merkle tree over
//! the shards' segment roots gives the content id ([`merkle`]). A versioned SCALE
//! [`Manifest`] records the sizes, parameters and leaves. Shards live on disk under
//! `chains/<id>/dds/` with a RocksDB index ([`store`]); a bounded LRU keeps hot chunks.
//!
//! [`Dds`] is the node's handle: streaming [`Dds::put`] and [`Dds::get`], [`Dds::stat`],
//! and chunk reads for the HTTP gateway. On a single dev node it holds every shard itself.
//! Once [connected](Dds::connect) to the network ([`remote`]), a put places the shards on
//! the providers among its peers, and a get fetches the manifest and the shards it lacks
//! from its sources (the chain's assigned holders, Kademlia providers, the peers), checking
//! each against the content's tree; the content held here is announced in Kademlia.
//!
//! A storage provider gets the shards assigned to it that it lacks (a new deal, a lost
//! shard) by fetching or rebuilding them, within a throttle ([`repair`]).
//!
//! Content ids are written `0x` followed by 64 hex digits.

pub mod erasure;
pub mod gateway;
pub mod manifest;
pub mod merkle;
pub mod pipeline;
pub mod protocol;
pub mod remote;
pub mod repair;
pub mod rpc;
pub mod store;

/// An in-memory network of stores, for tests and benchmarks only.
#[doc(hidden)]
pub mod mem_net;

mod cache;
mod error;

use std::{
    io::{Read, Write},
    path::Path,
    sync::Arc,
};

pub use error::DdsError;
pub use manifest::{Cid, Header, Manifest, Params};

/// A blake3 hash.
pub type Hash = [u8; 32];

/// Chunks a get reads at once when it fetches from peers (its sliding window).
pub const READ_AHEAD: u32 = 4;

/// Configuration, built from the node's `--dds-*` flags.
#[derive(Clone, Debug)]
pub struct DdsConfig {
    /// Bytes of shards this node stores at most (`--dds-capacity`).
    pub capacity: u64,
    /// Bytes of decoded chunks kept in memory (`--dds-cache-size`).
    pub cache_bytes: usize,
    /// The largest content one put accepts.
    pub max_put_size: u64,
    /// Parameters of new content.
    pub params: Params,
}

impl Default for DdsConfig {
    fn default() -> Self {
        DdsConfig {
            capacity: 10 << 30,
            cache_bytes: 64 << 20,
            max_put_size: 1 << 30,
            params: Params::default(),
        }
    }
}

/// What [`Dds::stat`] reports about content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    /// The content id.
    pub cid: Cid,
    /// Sizes and parameters.
    pub header: Header,
    /// The content tree's root (what a storage deal commits to).
    pub root: Hash,
    /// Chunks in the content.
    pub chunks: u32,
    /// Shards of this content held by this node.
    pub local_shards: u64,
}

/// Store-wide figures (for `dds_stat` without a cid, and metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    /// Bytes of shards stored.
    pub used: u64,
    /// The capacity in bytes.
    pub capacity: u64,
    /// Bytes of chunks in the cache.
    pub cache_bytes: u64,
    /// Corrupt shards found and dropped since start.
    pub corrupt_shards: u64,
    /// Shards fetched from peers (valid) since start.
    pub fetched_shards: u64,
    /// Shards peers sent that did not match their root (refetched elsewhere).
    pub bad_fetched_shards: u64,
    /// Shards pushed to providers by placement since start.
    pub pushed_shards: u64,
}

/// The node's data store.
pub struct Dds {
    store: Arc<store::Store>,
    cache: cache::ChunkCache,
    config: DdsConfig,
    /// Shards written by puts still in progress, with the number of such puts that use
    /// each. A failed put removes a shard only when no other unfinished put uses it and no
    /// finished one does (a finished put takes its shards out of this map for good).
    pending: parking_lot::Mutex<std::collections::HashMap<Hash, usize>>,
    /// The network, once the node has started it.
    remote: std::sync::OnceLock<remote::Remote>,
}

impl Dds {
    /// Opens the store in `dir` (the node passes `<base>/chains/<id>/dds`).
    pub fn open(dir: &Path, config: DdsConfig) -> Result<Self, DdsError> {
        config.params.validate()?;
        Ok(Dds {
            store: Arc::new(store::Store::open(dir, config.capacity)?),
            cache: cache::ChunkCache::new(config.cache_bytes),
            pending: Default::default(),
            remote: Default::default(),
            config,
        })
    }

    /// Connects the store to the network: puts place shards on peers, gets fetch what is
    /// missing here, and the content held here is announced (in the background). Only the
    /// first call has an effect.
    pub fn connect(&self, remote: remote::Remote) {
        if self.remote.set(remote).is_ok() {
            if let Some(remote) = self.remote.get() {
                remote.announce_held(self.store.clone());
            }
        }
    }

    /// Announces this node as a holder of `cids` on the network (a no-op without one).
    pub fn announce(&self, cids: Vec<Cid>) {
        if let Some(remote) = self.remote.get() {
            remote.announce(cids);
        }
    }

    /// Places the shards of `manifest`, held here, on providers among the peers, and drops
    /// the copies here of those placed elsewhere. A no-op without a network or peers.
    pub fn place(&self, manifest: &Manifest) -> remote::Placement {
        let Some(remote) = self.remote.get() else {
            return remote::Placement::default();
        };
        let roots = manifest.segment_roots().to_vec();
        let store = self.store.clone();
        let placement = remote.place(manifest, move |i| {
            let root = roots.get(i as usize)?;
            store.get_shard(root).ok().flatten()
        });
        let roots = manifest.segment_roots();
        let kept: std::collections::HashSet<&Hash> = placement
            .kept
            .iter()
            .filter_map(|&i| roots.get(i as usize))
            .collect();
        for &i in &placement.pushed {
            if let Some(root) = roots.get(i as usize).filter(|r| !kept.contains(r)) {
                if let Err(e) = self.store.remove_shard(root) {
                    tracing::warn!(target: "dds", error = %e, "dropping a placed shard");
                }
            }
        }
        tracing::info!(
            target: "dds",
            cid = %manifest.cid(),
            pushed = placement.pushed.len(),
            kept = placement.kept.len(),
            providers = placement.providers,
            "placed content"
        );
        placement
    }

    /// Makes sure shard `index` of `manifest` is stored here: fetched from a peer that has
    /// it, or else rebuilt from any k shards of its chunk (repair), checked against its
    /// segment root either way. Returns the bytes it moved over the network (0: it was
    /// here), or [`DdsError::Unavailable`] when neither worked.
    pub fn ensure_shard(&self, manifest: &Manifest, index: u32) -> Result<u64, DdsError> {
        let per = manifest.params().shards_per_chunk() as u32;
        let chunk = index / per.max(1);
        let unavailable = DdsError::Unavailable {
            chunk,
            have: 0,
            need: usize::from(manifest.layout().k()),
        };
        let Some(root) = manifest.segment_roots().get(index as usize) else {
            return Err(unavailable);
        };
        if self.store.has_shard(root)? {
            return Ok(0);
        }
        if let Some(bytes) = self
            .remote
            .get()
            .and_then(|r| r.shard(&manifest.cid(), index, *root))
        {
            self.store.put_shard(root, &bytes)?;
            self.announce(vec![manifest.cid()]);
            return Ok(bytes.len() as u64);
        }
        // Rebuild: the chunk from any k shards, coded again.
        let cid = manifest.cid();
        let data = self.read_chunk(&cid, manifest, chunk)?;
        let coder = erasure::Coder::new(&manifest.params())?;
        let (mut shards, mut roots) = (Vec::new(), Vec::new());
        coder.encode(&data, &mut shards, &mut roots)?;
        let i = (index % per.max(1)) as usize;
        match (shards.get(i), roots.get(i)) {
            (Some(shard), Some(r)) if r == root => {
                self.store.put_shard(root, shard)?;
                self.announce(vec![cid]);
                tracing::info!(target: "dds", %cid, shard = index, "🔧 Rebuilt a lost shard from its chunk");
                Ok((shard.len() * usize::from(manifest.layout().k())) as u64)
            }
            _ => Err(unavailable),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &DdsConfig {
        &self.config
    }

    /// The shard store.
    pub fn store(&self) -> &store::Store {
        &self.store
    }

    /// Checks, before reading any content, that `size` bytes may be put: within the put
    /// limit and, coded, within the free capacity.
    pub fn check_put_size(&self, size: u64, params: &Params) -> Result<(), DdsError> {
        if size > self.config.max_put_size {
            return Err(DdsError::TooLarge {
                max: self.config.max_put_size,
            });
        }
        if size == 0 {
            return Err(DdsError::Empty);
        }
        let k = u64::from(params.k.max(1));
        let coded = size
            .div_ceil(k)
            .saturating_mul(params.shards_per_chunk() as u64);
        let free = self.store.capacity().saturating_sub(self.store.used());
        if coded > free {
            return Err(DdsError::CapacityExceeded {
                needed: coded,
                free,
            });
        }
        Ok(())
    }

    /// Reads `content` to its end, stores every shard locally and returns the manifest.
    /// `progress` gets the content bytes coded so far. On any error the shards this put
    /// added are removed again: a failed put changes nothing.
    pub fn put<R: Read>(
        &self,
        content: R,
        params: Params,
        mut progress: impl FnMut(u64),
    ) -> Result<Manifest, DdsError> {
        // Shards this put claimed: written by it, or written by another put that has not
        // finished yet.
        let mut claimed: Vec<Hash> = Vec::new();
        let mut done = 0u64;
        let result = pipeline::encode_stream(content, params, self.config.max_put_size, |chunk| {
            for (root, shard) in chunk.segment_roots.iter().zip(chunk.shards) {
                let mut pending = self.pending.lock();
                if self.store.put_shard(root, shard)? {
                    pending.insert(*root, 1);
                    claimed.push(*root);
                } else if let Some(users) = pending.get_mut(root) {
                    *users += 1;
                    claimed.push(*root);
                }
            }
            done += chunk.len as u64;
            progress(done);
            Ok(())
        })
        .and_then(|manifest| self.store.put_manifest(&manifest).map(|_| manifest));

        let mut pending = self.pending.lock();
        match &result {
            Ok(_) => {
                for root in &claimed {
                    pending.remove(root);
                }
            }
            Err(_) => {
                for root in &claimed {
                    let Some(users) = pending.get_mut(root) else {
                        continue; // a finished put holds it now
                    };
                    *users -= 1;
                    if *users > 0 {
                        continue;
                    }
                    pending.remove(root);
                    if let Err(e) = self.store.remove_shard(root) {
                        tracing::warn!(target: "dds", error = %e, "rolling back a failed put");
                    }
                }
            }
        }
        drop(pending);
        if let Ok(manifest) = &result {
            self.place(manifest);
            // The manifest stays here, and the shards placed here or that no peer took.
            self.announce(vec![manifest.cid()]);
        }
        result
    }

    /// The manifest of `cid` (from a peer, checked, if not known here), or
    /// [`DdsError::UnknownCid`]. Every read of content starts here (a get, the gateway's,
    /// a stat), so this is also where a cached empty lookup of its sources (no assigned
    /// holders, no Kademlia providers) is dropped: the manifest and the chunks of one read
    /// reuse what one lookup found, empty or not (each can take seconds), and the next
    /// read asks again.
    pub fn manifest(&self, cid: &Cid) -> Result<Manifest, DdsError> {
        let remote = self.remote.get();
        if let Some(remote) = remote {
            remote.retry_empty_sources(cid);
        }
        if let Some(m) = self.store.manifest(cid)? {
            return Ok(m);
        }
        let m = remote
            .and_then(|r| r.manifest(*cid))
            .ok_or(DdsError::UnknownCid(*cid))?;
        self.store.put_manifest(&m)?;
        Ok(m)
    }

    /// Chunk `index` of `cid`, from the cache or rebuilt from any k valid local shards.
    pub fn read_chunk(
        &self,
        cid: &Cid,
        manifest: &Manifest,
        index: u32,
    ) -> Result<Arc<Vec<u8>>, DdsError> {
        if let Some(chunk) = self.cache.get(&(*cid, index)) {
            return Ok(chunk);
        }
        let layout = manifest.layout();
        let k = usize::from(layout.k());
        let Some(chunk_len) = layout.chunk_len(index) else {
            return Err(DdsError::Unavailable {
                chunk: index,
                have: 0,
                need: k,
            });
        };
        let coder = erasure::Coder::new(&manifest.params())?;
        let per = manifest.params().shards_per_chunk();
        let mut slots: Vec<Option<Vec<u8>>> = vec![None; per];
        let mut have = 0;
        // Data shards first: with all k of them no decoding is needed.
        for (i, slot) in slots.iter_mut().enumerate() {
            if have == k {
                break;
            }
            let Some(root) = manifest.segment_root(index, i as u32) else {
                break;
            };
            if let Some(shard) = self.store.get_shard(root)? {
                *slot = Some(shard);
                have += 1;
            }
        }
        if have < k {
            if let Some(remote) = self.remote.get() {
                slots = remote.fill_chunk(manifest, index, slots);
            }
        }
        let mut chunk = Vec::new();
        coder
            .decode(&mut slots, chunk_len as usize, &mut chunk)
            .map_err(|e| match e {
                DdsError::NotEnoughShards { have, need } => DdsError::Unavailable {
                    chunk: index,
                    have,
                    need,
                },
                other => other,
            })?;
        let chunk = Arc::new(chunk);
        self.cache.insert((*cid, index), chunk.clone());
        Ok(chunk)
    }

    /// Reads chunks `first..` of `cid` and hands them to `each` in order, with their index,
    /// until the last or until `each` returns `false`. Fetching from peers, up to
    /// [`READ_AHEAD`] chunks are read at once (one thread each) in a sliding window: a new
    /// read starts as soon as the oldest chunk is handed over, so a slow chunk holds up
    /// only itself, and the network is never idle while `each` writes. An error is handed
    /// over in its place; `each` decides whether to go on.
    pub fn stream_chunks(
        &self,
        cid: &Cid,
        manifest: &Manifest,
        first: u32,
        mut each: impl FnMut(u32, Result<Arc<Vec<u8>>, DdsError>) -> bool,
    ) {
        let end = manifest.layout().chunk_count();
        if end <= first.saturating_add(1) || self.remote.get().is_none() {
            for index in first..end {
                if !each(index, self.read_chunk(cid, manifest, index)) {
                    return;
                }
            }
            return;
        }
        struct Window {
            /// The next chunk to start reading.
            next: u32,
            /// The next chunk to hand over.
            handed: u32,
            read: std::collections::BTreeMap<u32, Result<Arc<Vec<u8>>, DdsError>>,
            stop: bool,
        }
        let window = parking_lot::Mutex::new(Window {
            next: first,
            handed: first,
            read: Default::default(),
            stop: false,
        });
        let changed = parking_lot::Condvar::new();
        let readers = READ_AHEAD.min(end - first);
        std::thread::scope(|scope| {
            for _ in 0..readers {
                scope.spawn(|| loop {
                    let index = {
                        let mut w = window.lock();
                        loop {
                            if w.stop || w.next >= end {
                                return;
                            }
                            if w.next < w.handed.saturating_add(READ_AHEAD) {
                                w.next += 1;
                                break w.next - 1;
                            }
                            changed.wait(&mut w);
                        }
                    };
                    // A panic must not leave the reader below waiting for this chunk.
                    let chunk = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        self.read_chunk(cid, manifest, index)
                    }))
                    .unwrap_or_else(|_| Err(DdsError::Coding("a chunk reader panicked".into())));
                    window.lock().read.insert(index, chunk);
                    changed.notify_all();
                });
            }
            let mut w = window.lock();
            while w.handed < end {
                let index = w.handed;
                let Some(chunk) = w.read.remove(&index) else {
                    changed.wait(&mut w);
                    continue;
                };
                w.handed += 1;
                changed.notify_all();
                if !parking_lot::MutexGuard::unlocked(&mut w, || each(index, chunk)) {
                    break;
                }
            }
            // Readers still waiting for room leave; those reading finish their chunk.
            w.stop = true;
            drop(w);
            changed.notify_all();
        });
    }

    /// Writes the content of `cid` to `out`, chunk by chunk ([`Dds::stream_chunks`]);
    /// `progress` gets the bytes written so far. Returns the size.
    pub fn get<W: Write>(
        &self,
        cid: &Cid,
        mut out: W,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, DdsError> {
        let manifest = self.manifest(cid)?;
        let mut written = 0u64;
        let mut failed = None;
        self.stream_chunks(cid, &manifest, 0, |_, chunk| {
            let wrote = chunk.and_then(|c| {
                out.write_all(&c)?;
                Ok(c.len() as u64)
            });
            match wrote {
                Ok(n) => {
                    written += n;
                    progress(written);
                    true
                }
                Err(e) => {
                    failed = Some(e);
                    false
                }
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        out.flush()?;
        Ok(written)
    }

    /// What this node knows of `cid`.
    pub fn stat(&self, cid: &Cid) -> Result<Stat, DdsError> {
        let manifest = self.manifest(cid)?;
        let mut local_shards = 0;
        for root in manifest.segment_roots() {
            if self.store.has_shard(root)? {
                local_shards += 1;
            }
        }
        Ok(Stat {
            cid: *cid,
            header: *manifest.header(),
            root: manifest.root(),
            chunks: manifest.layout().chunk_count(),
            local_shards,
        })
    }

    /// Store-wide figures.
    pub fn usage(&self) -> Usage {
        Usage {
            used: self.store.used(),
            capacity: self.store.capacity(),
            cache_bytes: self.cache.used() as u64,
            corrupt_shards: self.store.corrupt_shards(),
            fetched_shards: self.remote_stat(|s| &s.fetched),
            bad_fetched_shards: self.remote_stat(|s| &s.bad),
            pushed_shards: self.remote_stat(|s| &s.pushed),
        }
    }

    fn remote_stat(
        &self,
        f: impl Fn(&remote::RemoteStats) -> &std::sync::atomic::AtomicU64,
    ) -> u64 {
        self.remote.get().map_or(0, |r| {
            f(r.stats()).load(std::sync::atomic::Ordering::Relaxed)
        })
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_http;
#[cfg(test)]
mod tests_remote;
#[cfg(test)]
mod tests_stream;
