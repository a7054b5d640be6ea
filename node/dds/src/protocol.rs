//! The serving side of the shard transfer protocol, without the network: message formats,
//! decoding with size caps, and per-peer limits. `echonet-network` carries the bytes on a
//! request-response protocol named [`protocol_name`] (scoped by genesis like the node's
//! other protocols); this module decides what to answer.
//!
//! Only reads are served (a manifest, a shard). Storing shards on request waits for the
//! chain's assignments (pallet-dds): without them any peer could fill the store.

use std::{
    collections::HashMap,
    hash::Hash as StdHash,
    sync::Arc,
    time::{Duration, Instant},
};

use codec::{Decode, DecodeLimit, Encode};
use parking_lot::Mutex;

use crate::{
    manifest::{MAX_CHUNK_SIZE, MAX_MANIFEST_BYTES},
    Cid, Dds, Hash,
};

/// The protocol's name for the chain with this genesis hash (hex, without `0x`):
/// `/echo/<genesis>/dds/1`, beside the node's other `/echo/<genesis>/…` protocols.
pub fn protocol_name(genesis_hex: &str) -> String {
    format!("/echo/{genesis_hex}/dds/1")
}

/// Largest request: a tag and a 32-byte id.
pub const MAX_REQUEST_SIZE: usize = 64;
/// Largest response: a whole shard (a chunk with k = 1) or a manifest, plus framing.
pub const MAX_RESPONSE_SIZE: usize = {
    let shard = MAX_CHUNK_SIZE as usize;
    (if shard > MAX_MANIFEST_BYTES {
        shard
    } else {
        MAX_MANIFEST_BYTES
    }) + 64
};

/// What a peer asks for.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Request {
    /// The SCALE manifest of a cid.
    #[codec(index = 0)]
    Manifest(Cid),
    /// The shard with this segment root.
    #[codec(index = 1)]
    Shard(Hash),
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
    /// This node failed to read its store.
    #[codec(index = 3)]
    Internal,
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
            max_in_flight: 4,
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

/// Answers peers' requests from the local store within [`Limits`].
pub struct Server<P> {
    dds: Arc<Dds>,
    limits: Limits,
    peers: Mutex<HashMap<P, PeerState>>,
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
        }
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
        let request = match decode_request(request) {
            Ok(r) => r,
            Err(refusal) => return Response::Refused(refusal),
        };
        let _permit = match self.admit(peer, now) {
            Ok(p) => p,
            Err(refusal) => return Response::Refused(refusal),
        };
        let response = match request {
            Request::Manifest(cid) => match self.dds.store().manifest(&cid) {
                Ok(Some(m)) => Response::Manifest(m.encode()),
                Ok(None) => Response::NotFound,
                Err(e) => {
                    tracing::warn!(target: "dds", error = %e, "serving a manifest");
                    Response::Refused(Refusal::Internal)
                }
            },
            Request::Shard(root) => match self.dds.store().get_shard(&root) {
                Ok(Some(bytes)) => Response::Shard(bytes),
                Ok(None) => Response::NotFound,
                Err(e) => {
                    tracing::warn!(target: "dds", error = %e, "serving a shard");
                    Response::Refused(Refusal::Internal)
                }
            },
        };
        if let Response::Manifest(b) | Response::Shard(b) = &response {
            self.charge(peer, b.len());
        }
        response
    }

    /// Peers tracked.
    pub fn tracked_peers(&self) -> usize {
        self.peers.lock().len()
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
            bytes_per_second: 1000,
            burst_bytes: 3000,
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
        // Rate: shards of 1 KiB each; the burst of 3000 bytes allows three.
        let req = Request::Shard(m.segment_roots()[0]).encode();
        for _ in 0..3 {
            assert!(matches!(server.handle(&1, &req, t0), Response::Shard(_)));
        }
        assert_eq!(
            server.handle(&1, &req, t0),
            Response::Refused(Refusal::RateLimited)
        );
        // A second later the budget has refilled by 1000 bytes.
        let t1 = t0 + Duration::from_secs(1);
        assert!(matches!(server.handle(&1, &req, t1), Response::Shard(_)));
        assert_eq!(wait_for(2000, &limits), Duration::from_secs(2));
        // Peers are bounded: a third peer replaces an idle one.
        assert!(matches!(server.handle(&3, &req, t1), Response::Shard(_)));
        assert!(server.tracked_peers() <= 2);
    }
}
