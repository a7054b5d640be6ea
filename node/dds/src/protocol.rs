//! The serving side of the shard transfer protocol, without the network: message formats,
//! decoding with size caps, and per-peer limits. `echonet-network` carries the bytes on a
//! request-response protocol named [`protocol_name`] (scoped by genesis like the node's
//! other protocols); this module decides what to answer.
//!
//! Reads (a manifest, a shard) are served to every peer. Stores are accepted only by a
//! node that stores for others (`--dds-provider`), and only what checks: a manifest is
//! stored under the cid it hashes to, and a shard only if its segment root is the one the
//! (already stored) manifest lists at its index; every stored byte is charged to the
//! sender's byte budget, and the capacity bounds the rest. Gating stores on the chain's
//! assignments (pallet-dds deals) is not done yet.

use std::{
    collections::HashMap,
    hash::Hash as StdHash,
    sync::Arc,
    time::{Duration, Instant},
};

use codec::{Decode, DecodeLimit, Encode};
use parking_lot::Mutex;

use crate::{merkle, Cid, Dds, DdsError, Hash, Manifest};

/// The protocol's name for the chain with this genesis hash (hex, without `0x`):
/// `/echo/<genesis>/dds/1`, beside the node's other `/echo/<genesis>/…` protocols.
pub fn protocol_name(genesis_hex: &str) -> String {
    format!("/echo/{genesis_hex}/dds/1")
}

/// Largest shard or manifest carried over the network: 1 MiB (a shard of a 1 MiB chunk
/// with k = 1; 256 KiB with the default 4 + 2). Equal to echonet-network's
/// `MAX_DDS_PAYLOAD` (the node checks it at compile time). Content with larger shards, or
/// a manifest of more than ~32,000 shards, stays on the node that put it.
pub const MAX_WIRE_PAYLOAD: usize = 1 << 20;
/// Largest request: a shard or a manifest to store, with its ids and framing.
pub const MAX_REQUEST_SIZE: usize = MAX_WIRE_PAYLOAD + 1024;
/// Largest response: a shard or a manifest, plus framing.
pub const MAX_RESPONSE_SIZE: usize = MAX_WIRE_PAYLOAD + 1024;
/// Every request costs the sender at least this much of its byte budget, so that a flood
/// of cheap requests (unknown ids) is throttled like a flood of shards.
pub const MIN_REQUEST_COST: u64 = 4096;

/// What a peer asks for.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Request {
    /// The SCALE manifest of a cid.
    #[codec(index = 0)]
    Manifest(Cid),
    /// The shard with this segment root.
    #[codec(index = 1)]
    Shard(Hash),
    /// Store this manifest (SCALE bytes) under the cid it hashes to; sent before its
    /// shards.
    #[codec(index = 2)]
    StoreManifest(Vec<u8>),
    /// Store shard `index` (in the manifest's order) of `cid`.
    #[codec(index = 3)]
    StoreShard {
        /// The content.
        cid: Cid,
        /// The shard's index among all of the content's shards.
        index: u32,
        /// Its bytes; checked against the manifest's segment root at `index`.
        shard: Vec<u8>,
    },
}

/// Why a request was not served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Refusal {
    /// The peer has too many requests in flight.
    #[codec(index = 0)]
    Busy,
    /// The peer has used its byte budget; retry later.
    #[codec(index = 1)]
    RateLimited,
    /// The request does not decode or is too long.
    #[codec(index = 2)]
    Malformed,
    /// This node failed to read or write its store.
    #[codec(index = 3)]
    Internal,
    /// This node does not store for others (no `--dds-provider`).
    #[codec(index = 4)]
    NotProvider,
    /// A shard to store whose manifest this node does not have, or whose bytes do not
    /// match it.
    #[codec(index = 5)]
    Mismatch,
    /// The store is full.
    #[codec(index = 6)]
    Full,
}

/// The answer.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Response {
    /// The manifest's SCALE bytes (the asker checks them against the cid).
    #[codec(index = 0)]
    Manifest(Vec<u8>),
    /// The shard's bytes (the asker checks them against the segment root).
    #[codec(index = 1)]
    Shard(Vec<u8>),
    /// Not held here.
    #[codec(index = 2)]
    NotFound,
    /// Not served.
    #[codec(index = 3)]
    Refused(Refusal),
    /// Stored (or already held).
    #[codec(index = 4)]
    Stored,
}

/// Decodes a request, refusing anything longer than [`MAX_REQUEST_SIZE`] or with bytes
/// left over.
pub fn decode_request(bytes: &[u8]) -> Result<Request, Refusal> {
    if bytes.len() > MAX_REQUEST_SIZE {
        return Err(Refusal::Malformed);
    }
    Request::decode_all_with_depth_limit(2, &mut &bytes[..]).map_err(|_| Refusal::Malformed)
}

/// Decodes a response, refusing anything longer than [`MAX_RESPONSE_SIZE`].
pub fn decode_response(bytes: &[u8]) -> Result<Response, Refusal> {
    if bytes.len() > MAX_RESPONSE_SIZE {
        return Err(Refusal::Malformed);
    }
    Response::decode_all_with_depth_limit(2, &mut &bytes[..]).map_err(|_| Refusal::Malformed)
}

/// Per-peer limits of the serving side.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Requests of one peer served at once.
    pub max_in_flight: usize,
    /// Bytes per second one peer may fetch, on average.
    pub bytes_per_second: u64,
    /// Bytes one peer may fetch in a burst.
    pub burst_bytes: u64,
    /// Peers tracked at once; beyond, the idlest is forgotten.
    pub max_peers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_in_flight: 8,
            bytes_per_second: 32 << 20,
            burst_bytes: 64 << 20,
            max_peers: 1024,
        }
    }
}

struct PeerState {
    in_flight: usize,
    tokens: u64,
    refilled: Instant,
}

/// A served request: an answer, or a shard already framed as its encoded answer (the
/// buffer, and where the shard's bytes start in it).
enum Answer {
    Response(Response),
    Shard(Vec<u8>, usize),
}

/// Answers peers' requests from the local store within [`Limits`].
pub struct Server<P> {
    dds: Arc<Dds>,
    limits: Limits,
    peers: Mutex<HashMap<P, PeerState>>,
    accept_stores: bool,
}

/// A request being served; dropping it frees the peer's slot.
pub struct Permit<'a, P: StdHash + Eq + Clone> {
    server: &'a Server<P>,
    peer: P,
}

impl<P: StdHash + Eq + Clone> Drop for Permit<'_, P> {
    fn drop(&mut self) {
        if let Some(state) = self.server.peers.lock().get_mut(&self.peer) {
            state.in_flight = state.in_flight.saturating_sub(1);
        }
    }
}

impl<P: StdHash + Eq + Clone> Server<P> {
    /// A server over `dds`.
    pub fn new(dds: Arc<Dds>, limits: Limits) -> Self {
        Server {
            dds,
            limits,
            peers: Mutex::new(HashMap::new()),
            accept_stores: false,
        }
    }

    /// Whether this node stores manifests and shards that peers push (`--dds-provider`).
    pub fn accepting_stores(mut self, accept: bool) -> Self {
        self.accept_stores = accept;
        self
    }

    fn admit(&self, peer: &P, now: Instant) -> Result<Permit<'_, P>, Refusal> {
        let mut peers = self.peers.lock();
        if !peers.contains_key(peer) && peers.len() >= self.limits.max_peers {
            // Forget an idle peer with a full bucket: it loses nothing by it.
            let idle = peers
                .iter()
                .find(|(_, s)| s.in_flight == 0)
                .map(|(p, _)| p.clone());
            match idle {
                Some(p) => {
                    peers.remove(&p);
                }
                None => return Err(Refusal::Busy),
            }
        }
        let burst = self.limits.burst_bytes;
        let state = peers.entry(peer.clone()).or_insert(PeerState {
            in_flight: 0,
            tokens: burst,
            refilled: now,
        });
        let elapsed = now.saturating_duration_since(state.refilled);
        let refill = (elapsed.as_secs_f64() * self.limits.bytes_per_second as f64) as u64;
        if refill > 0 {
            state.tokens = state.tokens.saturating_add(refill).min(burst);
            state.refilled = now;
        }
        if state.in_flight >= self.limits.max_in_flight {
            return Err(Refusal::Busy);
        }
        if state.tokens == 0 {
            return Err(Refusal::RateLimited);
        }
        state.in_flight += 1;
        Ok(Permit {
            server: self,
            peer: peer.clone(),
        })
    }

    fn charge(&self, peer: &P, bytes: usize) {
        if let Some(state) = self.peers.lock().get_mut(peer) {
            state.tokens = state.tokens.saturating_sub(bytes as u64);
        }
    }

    /// Answers `request` (raw bytes) from `peer`, at time `now`. Blocks on the store: call
    /// it from a blocking task.
    pub fn handle(&self, peer: &P, request: &[u8], now: Instant) -> Response {
        match self.serve(peer, request, now) {
            Answer::Response(r) => r,
            Answer::Shard(buf, start) => Response::Shard(buf[start..].to_vec()),
        }
    }

    /// [`handle`](Server::handle), encoded: the bytes to send back. A shard is read from
    /// its file straight into the answer's buffer, after the framing, and not hashed again
    /// if its file is unchanged ([`Store::serve_shard`](crate::store::Store::serve_shard)).
    pub fn answer(&self, peer: &P, request: &[u8], now: Instant) -> Vec<u8> {
        match self.serve(peer, request, now) {
            Answer::Response(r) => r.encode(),
            Answer::Shard(buf, _) => buf,
        }
    }

    fn serve(&self, peer: &P, request: &[u8], now: Instant) -> Answer {
        let request = match decode_request(request) {
            Ok(r) => r,
            Err(refusal) => return Answer::Response(Response::Refused(refusal)),
        };
        let _permit = match self.admit(peer, now) {
            Ok(p) => p,
            Err(refusal) => return Answer::Response(Response::Refused(refusal)),
        };
        // The request's own bytes are charged now: stores by their size, reads at least
        // `MIN_REQUEST_COST`; a shard or manifest sent back is charged below.
        self.charge(
            peer,
            (request_bytes_len(&request) as u64).max(MIN_REQUEST_COST) as usize,
        );
        let response = match request {
            Request::StoreManifest(_) | Request::StoreShard { .. } if !self.accept_stores => {
                Response::Refused(Refusal::NotProvider)
            }
            Request::StoreManifest(bytes) => match Manifest::decode_checked(&bytes, None) {
                Ok(m) => match self.dds.store().put_manifest(&m) {
                    Ok(_) => Response::Stored,
                    Err(e) => {
                        tracing::warn!(target: "dds", error = %e, "storing a pushed manifest");
                        Response::Refused(Refusal::Internal)
                    }
                },
                Err(_) => Response::Refused(Refusal::Malformed),
            },
            Request::StoreShard { cid, index, shard } => self.store_shard(&cid, index, &shard),
            Request::Manifest(cid) => match self.dds.store().manifest(&cid) {
                Ok(Some(m)) => Response::Manifest(m.encode()),
                Ok(None) => Response::NotFound,
                Err(e) => {
                    tracing::warn!(target: "dds", error = %e, "serving a manifest");
                    Response::Refused(Refusal::Internal)
                }
            },
            Request::Shard(root) => {
                // `Response::Shard`'s encoding: its index, the compact length, the bytes.
                let framing = |len: u64| {
                    let mut head = vec![1u8];
                    codec::Compact(u32::try_from(len).unwrap_or(u32::MAX)).encode_to(&mut head);
                    head
                };
                match self.dds.store().serve_shard(&root, framing) {
                    Ok(Some((buf, start))) => {
                        self.charge(peer, buf.len() - start);
                        return Answer::Shard(buf, start);
                    }
                    Ok(None) => Response::NotFound,
                    Err(e) => {
                        tracing::warn!(target: "dds", error = %e, "serving a shard");
                        Response::Refused(Refusal::Internal)
                    }
                }
            }
        };
        if let Response::Manifest(b) = &response {
            self.charge(peer, b.len());
        }
        Answer::Response(response)
    }

    fn store_shard(&self, cid: &Cid, index: u32, shard: &[u8]) -> Response {
        let manifest = match self.dds.store().manifest(cid) {
            Ok(Some(m)) => m,
            Ok(None) => return Response::Refused(Refusal::Mismatch),
            Err(e) => {
                tracing::warn!(target: "dds", error = %e, "reading a manifest");
                return Response::Refused(Refusal::Internal);
            }
        };
        let Some(root) = manifest.segment_roots().get(index as usize) else {
            return Response::Refused(Refusal::Mismatch);
        };
        if merkle::segment_root(shard) != *root {
            return Response::Refused(Refusal::Mismatch);
        }
        match self.dds.store().put_shard(root, shard) {
            Ok(new) => {
                if new {
                    // Now a holder of this content: say so in Kademlia.
                    self.dds.announce(vec![*cid]);
                }
                Response::Stored
            }
            Err(DdsError::CapacityExceeded { .. }) => Response::Refused(Refusal::Full),
            Err(e) => {
                tracing::warn!(target: "dds", error = %e, "storing a pushed shard");
                Response::Refused(Refusal::Internal)
            }
        }
    }

    /// Peers tracked.
    pub fn tracked_peers(&self) -> usize {
        self.peers.lock().len()
    }
}

fn request_bytes_len(request: &Request) -> usize {
    match request {
        Request::StoreManifest(b) => b.len(),
        Request::StoreShard { shard, .. } => shard.len(),
        Request::Manifest(_) | Request::Shard(_) => 0,
    }
}

/// How long a peer waits for its budget to cover `bytes` at `limits`' rate.
pub fn wait_for(bytes: u64, limits: &Limits) -> Duration {
    Duration::from_secs_f64(bytes as f64 / limits.bytes_per_second.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DdsConfig, Params};

    fn server(limits: Limits) -> (tempfile::TempDir, Arc<Dds>, Server<u32>) {
        let dir = tempfile::tempdir().unwrap();
        let params = Params {
            chunk_size: 4096,
            k: 4,
            m: 2,
        };
        let config = DdsConfig {
            capacity: 1 << 30,
            cache_bytes: 0,
            max_put_size: 1 << 20,
            params,
        };
        let dds = Arc::new(Dds::open(dir.path(), config).unwrap());
        let server = Server::new(dds.clone(), limits);
        (dir, dds, server)
    }

    #[test]
    fn serves_manifests_and_shards_that_check_against_their_ids() {
        let (_dir, dds, server) = server(Limits::default());
        let data = vec![9u8; 10_000];
        let m = dds.put(&data[..], dds.config().params, |_| {}).unwrap();
        let now = Instant::now();
        let Response::Manifest(bytes) =
            server.handle(&1, &Request::Manifest(m.cid()).encode(), now)
        else {
            panic!("no manifest")
        };
        assert_eq!(
            crate::Manifest::decode_checked(&bytes, Some(&m.cid())).unwrap(),
            m
        );
        let root = m.segment_roots()[3];
        let Response::Shard(shard) = server.handle(&1, &Request::Shard(root).encode(), now) else {
            panic!("no shard")
        };
        assert_eq!(crate::merkle::segment_root(&shard), root);
        assert_eq!(
            server.handle(&1, &Request::Shard([0; 32]).encode(), now),
            Response::NotFound
        );
        assert_eq!(
            server.handle(&1, &Request::Manifest(Cid([0; 32])).encode(), now),
            Response::NotFound
        );
    }

    /// What goes on the wire is the encoded answer, whichever way it was built: a shard read
    /// straight into its framing is byte for byte `Response::Shard`'s encoding.
    #[test]
    fn encoded_answers_are_the_answers_encoded() {
        let (_dir, dds, server) = server(Limits::default());
        dds.store().set_racy_window(Duration::ZERO);
        // 70 KiB chunks: 17.5 KiB shards, whose compact length takes four bytes.
        let params = Params {
            chunk_size: 70 * 1024,
            k: 4,
            m: 2,
        };
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7) as u8).collect();
        let m = dds.put(&data[..], params, |_| {}).unwrap();
        let now = Instant::now();
        let mut requests: Vec<Vec<u8>> = m
            .segment_roots()
            .iter()
            .map(|r| Request::Shard(*r).encode())
            .collect();
        requests.extend([
            Request::Manifest(m.cid()).encode(),
            Request::Shard([7; 32]).encode(),
            Request::Manifest(Cid([7; 32])).encode(),
            vec![9, 9, 9],
        ]);
        for request in &requests {
            let expected = server.handle(&1, request, now).encode();
            assert_eq!(server.answer(&1, request, now), expected);
        }
        // Written by the put (which coded them), so vouched for: served without a hash.
        assert!(m.segment_roots().iter().all(|r| dds.store().is_vouched(r)));
    }

    #[test]
    fn malformed_and_oversized_requests_are_refused() {
        let (_dir, _dds, server) = server(Limits::default());
        let now = Instant::now();
        for bad in [
            vec![],
            vec![9u8; 33],
            vec![0u8; 10],
            vec![1u8; MAX_REQUEST_SIZE + 1],
        ] {
            assert_eq!(
                server.handle(&1, &bad, now),
                Response::Refused(Refusal::Malformed)
            );
        }
        let mut long = Request::Shard([1; 32]).encode();
        long.push(0);
        assert_eq!(
            server.handle(&1, &long, now),
            Response::Refused(Refusal::Malformed)
        );
        assert!(decode_response(&vec![0u8; MAX_RESPONSE_SIZE + 1]).is_err());
    }

    #[test]
    fn per_peer_concurrency_and_byte_rate_are_limited() {
        let limits = Limits {
            max_in_flight: 2,
            // A shard of 1 KiB costs its request's minimum and its own bytes: 5 KiB.
            bytes_per_second: 5120,
            burst_bytes: 3 * 5120,
            max_peers: 2,
        };
        let (_dir, dds, server) = server(limits);
        let data = vec![5u8; 4096 * 4];
        let m = dds.put(&data[..], dds.config().params, |_| {}).unwrap();
        let t0 = Instant::now();
        // Concurrency: two permits held, the third request of the same peer is refused,
        // another peer is not affected.
        let a = server.admit(&1, t0).unwrap();
        let b = server.admit(&1, t0).unwrap();
        assert!(matches!(server.admit(&1, t0), Err(Refusal::Busy)));
        assert!(server.admit(&2, t0).is_ok());
        drop((a, b));
        // Rate: shards of 1 KiB each at 5 KiB a request; the burst allows three.
        let req = Request::Shard(m.segment_roots()[0]).encode();
        for _ in 0..3 {
            assert!(matches!(server.handle(&1, &req, t0), Response::Shard(_)));
        }
        assert_eq!(
            server.handle(&1, &req, t0),
            Response::Refused(Refusal::RateLimited)
        );
        // A second later the budget has refilled by one request's cost.
        let t1 = t0 + Duration::from_secs(1);
        assert!(matches!(server.handle(&1, &req, t1), Response::Shard(_)));
        assert_eq!(wait_for(2 * 5120, &limits), Duration::from_secs(2));
        // Peers are bounded: a third peer replaces an idle one.
        assert!(matches!(server.handle(&3, &req, t1), Response::Shard(_)));
        assert!(server.tracked_peers() <= 2);
    }
}
