//! # echonet-network
//!
//! The node's peer-to-peer layer, on rust-libp2p. [`start`] spawns one task (the worker)
//! that owns the libp2p swarm; the node talks to it through a cloneable [`NetworkHandle`]
//! and receives [`NetworkEvent`]s on a bounded channel. The chain is reached only through
//! [`ChainProvider`], on blocking threads.
//!
//! ## Transport and identity
//!
//! TCP (with DNS resolution) secured by Noise and multiplexed by Yamux. The identity is the
//! node's ed25519 key; the worker logs `🏷  Local node identity is: <peer id>` and
//! `📡 Listening on /ip4/.../tcp/.../p2p/<peer id>` for each listen address. `identify`
//! exchanges listen addresses; `ping` closes connections that stop answering.
//!
//! ## Protocol names
//!
//! Every protocol and topic is namespaced by the genesis hash (hex, no `0x`), so that two
//! chains never agree on any protocol ([`ProtocolNames`]):
//!
//! | what | name |
//! |---|---|
//! | identify protocol version | `/echo/<genesis>/1` (another value: disconnect and ban) |
//! | Kademlia (discovery, data store provider records) | `/echo/<genesis>/kad/1` |
//! | gossipsub | `/echo/<genesis>/meshsub/1.1.0` (and `/1.0.0`) |
//! | status handshake | `/echo/<genesis>/status/1` |
//! | block requests | `/echo/<genesis>/blocks/1` |
//! | justification requests | `/echo/<genesis>/justifications/1` |
//! | a block's extrinsics by position (compact relay) | `/echo/<genesis>/block-txs/1` |
//! | warp sync: GRANDPA hand-off proofs ([`WarpProofRequest`]) | `/echo/<genesis>/warp-proof/1` |
//! | warp sync: state chunks with range proofs ([`StateRequest`]) | `/echo/<genesis>/state/1` |
//! | data store shards and manifests (echonet-dds, [`DdsHandler`]) | `/echo/<genesis>/dds/1` |
//! | gossip topics | `/echo/<genesis>/block-announces/1`, `.../transactions/1`, `.../finality/1` |
//!
//! A node of another chain fails the status handshake with "unsupported protocol": it is
//! disconnected and banned, and has exchanged none of our messages.
//!
//! ## Peers
//!
//! Discovery: Kademlia (server mode) seeded with the boot nodes, random walks (every second
//! at first, slowing to once a minute), and mDNS when enabled. The worker dials known peers
//! while outbound slots are free, with a per-peer backoff (1 s doubling to 60 s, reset by a
//! successful handshake).
//!
//! The peer set accepts a connection unless the peer is blocked, banned, not reserved in
//! reserved-only mode, or its direction's slots are full (`in_peers`, default 32;
//! `out_peers`, default 8; reserved peers take no slot and are redialed when they drop).
//! An accepted connection is kept open until the worker closes it. On each new connection
//! both sides send a status request carrying their [`Handshake`] (role and [`Status`]); the
//! first handshake either way makes the peer ready: [`NetworkEvent::PeerConnected`] goes
//! to the node, and only then are the peer's gossip messages delivered. No handshake within
//! 10 s: disconnect.
//!
//! ## Gossip
//!
//! Gossipsub with signed messages, content-addressed message ids (so the same transaction or
//! vote from two nodes is one message), and `validate_messages`: a received message is not
//! forwarded until the node reports it with [`NetworkHandle::report_message`] (`Accept`
//! forwards, `Reject` drops it and costs the forwarder [`rep::REJECTED_MESSAGE`], `Ignore`
//! drops it). Undecodable messages are rejected by the network itself. Size limits:
//! [`MAX_BLOCK_ANNOUNCE_SIZE`], [`MAX_TRANSACTIONS_SIZE`] (larger batches are split),
//! [`MAX_FINALITY_SIZE`]. Message formats: [`BlockAnnounce`] (SCALE), [`TransactionsMessage`]
//! (SCALE `Vec<Vec<u8>>`), finality messages are the node's bytes as they are.
//!
//! A block announcement may carry the block's body in compact form ([`CompactBody`]: the
//! unsigned extrinsics whole, the signed ones as [`ShortId`]s keyed by the block hash;
//! [`NetworkHandle::announce_compact_block`]). One whose prefilled positions describe no
//! block is rejected like an undecodable message. Rebuilding the body is the node's
//! (echonet-sync); the network serves the extrinsics it lacks by position.
//!
//! ## Requests
//!
//! Request-response, one SCALE value each way, read to the end of the stream with a cap:
//! status ([`Handshake`] ↔ [`Handshake`], 1 KiB, 10 s), blocks ([`BlockRequest`] (1 KiB) →
//! [`BlockResponse`] (16 MiB; at most [`MAX_BLOCKS_PER_RESPONSE`] blocks and about
//! [`BLOCK_RESPONSE_BYTE_BUDGET`] bytes), 20 s), justifications (`H256` →
//! [`JustificationResponse`], 1 MiB, 10 s), and a block's extrinsics
//! ([`BlockTransactionsRequest`] (64 KiB; positions strictly increasing, else malformed) →
//! [`BlockTransactionsResponse`] (16 MiB), 5 s). At most 16 concurrent streams per connection
//! and protocol, 8 [`ChainProvider`] calls at once (more are refused as [`Refusal::Busy`]).
//! The data store's requests (bytes → [`DdsResponse`], [`MAX_DDS_REQUEST_SIZE`] and
//! [`MAX_DDS_RESPONSE_SIZE`], 30 s) are answered by the node's [`DdsHandler`], at most
//! [`MAX_DDS_SERVING`] at once, and refused as busy until the node sets one; they do not
//! count against the per-peer request rate (the handler meters peers by bytes).
//! Warp sync adds hand-off proofs ([`WarpProofRequest`] (1 KiB) → [`WarpProofResponse`]
//! (16 MiB, filled to [`WARP_PROOF_BYTE_BUDGET`]), 30 s) and state chunks
//! ([`StateRequest`] (8 KiB) → [`StateResponse`] (16 MiB; about
//! [`STATE_CHUNK_BYTE_BUDGET`] of trie nodes), 30 s), answered through the same path and
//! checked by the requester (echonet-sync's `warp` module).
//!
//! ## Provider records
//!
//! Kademlia also carries the data store's provider records: the key of content `cid` is
//! [`dds_provider_key`] (`b"dds/" ‖ cid`, 36 bytes). [`NetworkHandle::start_providing`]
//! announces keys, a batch of 16 a second (at most 32 announcements in flight, none while
//! the routing table is empty), and republishes all of them every 12 h in the same
//! batches; [`NetworkHandle::get_providers`] looks providers up (at most 20, within 5 s)
//! and dials those not connected. Records peers send are kept in a bounded store: data
//! store keys only, the provider must be the sender, [`MAX_PROVIDER_RECORDS_PER_PEER`]
//! records and [`PROVIDER_RECORD_RATE`] (32 a second, burst 256) per peer, [`MAX_PROVIDER_KEYS`] keys,
//! [`MAX_PROVIDER_RECORDS`] records, [`MAX_PROVIDERS_PER_KEY`] live providers per key (a
//! newcomer is refused, not swapped in), [`MAX_ADDRESSES_PER_RECORD`] addresses, expiry
//! after [`PROVIDER_RECORD_TTL`] (24 h). Values (`PUT_VALUE`) are never stored.
//!
//! ## Reputation
//!
//! Each peer has an `i32` reputation, starting at 0 and decaying towards 0 by 2% a second.
//! The node reports with [`NetworkHandle::report_peer`] (see [`rep`] for values: a bad block
//! costs 2^29); the network lowers it itself for protocol violations: undecodable or
//! oversized messages and requests ([`rep::MALFORMED_MESSAGE`], 2^24), requests over the
//! per-peer rate ([`rep::TOO_MANY_REQUESTS`], 2^20; the request is refused with
//! [`Refusal::TooManyRequests`]), gossip over the per-peer rate ([`rep::GOSSIP_FLOOD`], 2^16;
//! ignored), another chain ([`rep::GENESIS_MISMATCH`], fatal). Below
//! [`rep::BANNED_THRESHOLD`] (71% of `i32::MIN`, Substrate's value) the peer is disconnected
//! and refused for [`NetworkConfig::ban_duration`], after which it starts again from 0.
//!
//! ## Back-pressure and shutdown
//!
//! Commands travel on a bounded channel: the async calls wait for room, the others drop the
//! command (counted in `echonet_network_commands_dropped_total`) when it is full. Events
//! travel on a bounded channel too: when it is full, gossip is dropped (counted, and
//! reported to gossipsub as ignored) while `PeerConnected`/`PeerDisconnected` wait in order,
//! never dropped. The worker stops when every handle is dropped or on
//! [`NetworkHandle::shutdown`].
//!
//! ## Metrics
//!
//! `substrate_sub_libp2p_peers_count`, `substrate_sub_libp2p_network_bytes_total{direction,
//! protocol}` (payload bytes of our protocols), `substrate_sub_libp2p_connections_{opened,
//! closed}_total`, `substrate_sub_libp2p_peerset_num_discovered`,
//! `substrate_sub_libp2p_kbuckets_num_nodes`, `echonet_network_gossip_messages_total{topic,
//! kind}`, `echonet_network_requests_total{protocol, direction, result}`,
//! `echonet_network_connections_denied_total{reason}`,
//! `echonet_network_reputation_changes_total{reason}`, `echonet_network_peers_banned_total`,
//! `echonet_network_events_dropped_total`, `echonet_network_commands_dropped_total`,
//! `echonet_block_relay_bytes_total{direction, kind}` (announce, compact-announce, missing-txs),
//! `echonet_network_provider_records`, `echonet_network_provided_keys`,
//! `echonet_network_provider_records_refused_total{reason}`,
//! `echonet_network_provider_announcements_total{result}`,
//! `echonet_network_provider_lookups_total{result}`.

// The node's API.
mod chain;
mod config;
mod dds;
mod error;
mod event;
mod handle;
mod service;

// What goes over the wire (names, message types, limits): all public, through the
// re-exports below.
mod protocol;
mod warp;

// The machinery behind the handle; nothing of it is public.
mod behaviour;
mod codec;
mod discovery;
mod metrics;
mod peerset;
mod providers;
mod worker;

pub use chain::{serve_block_request, BlockSource, ChainProvider};
pub use config::{peer_id_of, NetworkConfig, RateLimit};
pub use dds::DdsHandler;
pub use error::{NetworkError, RequestError};
pub use event::{MessageId, MessageValidity, NetworkEvent, PeerInfo};
pub use handle::NetworkHandle;
pub use libp2p::{identity::Keypair, Multiaddr, PeerId};
pub use peerset::{rep, ReputationChange};
pub use protocol::{
    short_id, transaction_hash, BlockAnnounce, BlockData, BlockFields, BlockId, BlockRequest,
    BlockResponse, BlockTransactionsRequest, BlockTransactionsResponse, CompactBody, DdsResponse,
    Direction, Handshake, InvalidCompactBody, JustificationResponse, ProtocolNames, Refusal, Role,
    ShortId, Status, TransactionsMessage, BLOCK_RESPONSE_BYTE_BUDGET, MAX_BLOCKS_PER_RESPONSE,
    MAX_BLOCK_ANNOUNCE_SIZE, MAX_BLOCK_REQUEST_SIZE, MAX_BLOCK_RESPONSE_SIZE,
    MAX_BLOCK_TRANSACTIONS_REQUEST_SIZE, MAX_BLOCK_TRANSACTIONS_RESPONSE_SIZE, MAX_DDS_PAYLOAD,
    MAX_DDS_REQUEST_SIZE, MAX_DDS_RESPONSE_SIZE, MAX_FINALITY_SIZE, MAX_HANDSHAKE_SIZE,
    MAX_JUSTIFICATION_REQUEST_SIZE, MAX_JUSTIFICATION_RESPONSE_SIZE, MAX_TRANSACTIONS_SIZE,
    SHORT_ID_LEN,
};
pub use providers::{
    dds_provider_key, DDS_KEY_PREFIX, MAX_ADDRESSES_PER_RECORD, MAX_KEYS as MAX_PROVIDER_KEYS,
    MAX_PROVIDED_KEYS, MAX_PROVIDERS_PER_KEY, MAX_RECORDS as MAX_PROVIDER_RECORDS,
    MAX_RECORDS_PER_PEER as MAX_PROVIDER_RECORDS_PER_PEER, PROVIDER_RECORD_RATE,
    PROVIDER_RECORD_TTL,
};
pub use service::start;
pub use warp::{
    StateChunk, StateRequest, StateResponse, WarpFragment, WarpProof, WarpProofRequest,
    WarpProofResponse, MAX_STATE_REQUEST_SIZE, MAX_STATE_RESPONSE_SIZE, MAX_WARP_FRAGMENT_HEADERS,
    MAX_WARP_PROOF_REQUEST_SIZE, MAX_WARP_PROOF_RESPONSE_SIZE, STATE_CHUNK_BYTE_BUDGET,
    WARP_PROOF_BYTE_BUDGET,
};
pub use worker::MAX_DDS_SERVING;

/// The request-response codec and the decoder of every message a peer sends, exposed for
/// the fuzz targets of echonet-fuzz (feature `fuzzing`) so that they run the production
/// code. Not part of the node's API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::codec::{DdsCodec, Incoming, ScaleCodec};
    pub use crate::protocol::decode_all;
}
