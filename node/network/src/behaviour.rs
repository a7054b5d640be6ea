//! The libp2p behaviours that make up the node's network, and how they are configured.

use crate::{
    codec::{DdsCodec, ScaleCodec},
    metrics::Metrics,
    peerset::{Peerset, PeersetConfig},
    protocol::*,
    providers::{ProviderStore, PROVIDER_RECORD_TTL},
    NetworkError,
};
use libp2p::{
    connection_limits, gossipsub, identify,
    identity::Keypair,
    kad, mdns, ping, request_response,
    swarm::{behaviour::toggle::Toggle, NetworkBehaviour},
    StreamProtocol,
};
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use std::{sync::Arc, time::Duration};

pub(crate) type StatusBehaviour = request_response::Behaviour<ScaleCodec<Handshake, Handshake>>;
pub(crate) type BlocksBehaviour =
    request_response::Behaviour<ScaleCodec<BlockRequest, BlockResponse>>;
pub(crate) type JustificationsBehaviour =
    request_response::Behaviour<ScaleCodec<sp_core::H256, JustificationResponse>>;
pub(crate) type BlockTransactionsBehaviour =
    request_response::Behaviour<ScaleCodec<BlockTransactionsRequest, BlockTransactionsResponse>>;
pub(crate) type WarpProofBehaviour = request_response::Behaviour<
    ScaleCodec<crate::warp::WarpProofRequest, crate::warp::WarpProofResponse>,
>;
pub(crate) type StateBehaviour =
    request_response::Behaviour<ScaleCodec<crate::warp::StateRequest, crate::warp::StateResponse>>;
pub(crate) type DdsBehaviour = request_response::Behaviour<DdsCodec>;

/// Timeouts of our requests.
pub(crate) const STATUS_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const BLOCKS_TIMEOUT: Duration = Duration::from_secs(20);
pub(crate) const JUSTIFICATIONS_TIMEOUT: Duration = Duration::from_secs(10);
/// Short: the requester of a compact block's missing extrinsics falls back to a whole
/// block request when the answer is late.
pub(crate) const BLOCK_TRANSACTIONS_TIMEOUT: Duration = Duration::from_secs(5);
/// Warp proofs and state chunks: megabytes each, read (state chunks: with proofs recorded)
/// by a possibly busy server.
pub(crate) const WARP_TIMEOUT: Duration = Duration::from_secs(30);
/// A shard of up to 1 MiB, read from disk by a possibly busy provider.
pub(crate) const DDS_TIMEOUT: Duration = Duration::from_secs(30);
/// Concurrent request streams per connection and protocol; more are reset by libp2p.
const MAX_CONCURRENT_STREAMS: usize = 16;
/// Connections still in their Noise/Yamux handshake, per direction: bounds what a flood of
/// TCP connections can cost before any peer id is known.
const MAX_PENDING_CONNECTIONS: u32 = 64;
/// Gossip frames carry protobuf framing and control messages on top of the data.
const GOSSIP_FRAME_OVERHEAD: usize = 64 * 1024;

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    /// First, so that a refused connection is refused before anything else sees it.
    pub(crate) peerset: Peerset,
    pub(crate) limits: connection_limits::Behaviour,
    pub(crate) identify: identify::Behaviour,
    pub(crate) ping: ping::Behaviour,
    pub(crate) kad: kad::Behaviour<ProviderStore>,
    pub(crate) mdns: Toggle<mdns::tokio::Behaviour>,
    pub(crate) gossipsub: gossipsub::Behaviour,
    pub(crate) status: StatusBehaviour,
    pub(crate) blocks: BlocksBehaviour,
    pub(crate) justifications: JustificationsBehaviour,
    pub(crate) block_transactions: BlockTransactionsBehaviour,
    pub(crate) warp_proof: WarpProofBehaviour,
    pub(crate) state: StateBehaviour,
    pub(crate) dds: DdsBehaviour,
}

pub(crate) struct BehaviourParams<'a> {
    pub(crate) keypair: &'a Keypair,
    pub(crate) names: &'a ProtocolNames,
    pub(crate) peerset: PeersetConfig,
    pub(crate) enable_mdns: bool,
    pub(crate) agent_version: String,
    pub(crate) metrics: Option<Arc<Metrics>>,
}

fn protocol(name: &str) -> Result<StreamProtocol, NetworkError> {
    StreamProtocol::try_from_owned(name.to_string())
        .map_err(|e| NetworkError::Setup(format!("protocol name {name}: {e}")))
}

fn request_response<Req, Resp>(
    name: &str,
    label: &'static str,
    max_request: usize,
    max_response: usize,
    timeout: Duration,
    metrics: Option<Arc<Metrics>>,
) -> Result<request_response::Behaviour<ScaleCodec<Req, Resp>>, NetworkError>
where
    Req: codec::Encode + codec::Decode + Send + 'static,
    Resp: codec::Encode + codec::Decode + Send + 'static,
{
    with_codec(
        name,
        ScaleCodec::new(label, max_request, max_response, metrics),
        timeout,
    )
}

fn with_codec<C: request_response::Codec<Protocol = StreamProtocol> + Clone + Send + 'static>(
    name: &str,
    codec: C,
    timeout: Duration,
) -> Result<request_response::Behaviour<C>, NetworkError> {
    Ok(request_response::Behaviour::with_codec(
        codec,
        [(protocol(name)?, request_response::ProtocolSupport::Full)],
        request_response::Config::default()
            .with_request_timeout(timeout)
            .with_max_concurrent_streams(MAX_CONCURRENT_STREAMS),
    ))
}

impl Behaviour {
    pub(crate) fn new(p: BehaviourParams<'_>) -> Result<Self, NetworkError> {
        let local = p.keypair.public().to_peer_id();
        let names = p.names;

        let identify = identify::Behaviour::new(
            identify::Config::new(names.identify_version.clone(), p.keypair.public())
                .with_agent_version(p.agent_version),
        );

        let mut kad_config = kad::Config::new(protocol(&names.kad)?);
        kad_config
            .set_query_timeout(Duration::from_secs(30))
            // Kademlia serves discovery and the data store's provider records, nothing
            // else. Inserts reach the worker as events: values are dropped, provider records
            // go into the bounded `ProviderStore` (`worker::providers`), so a peer cannot
            // fill our memory through it.
            .set_record_filtering(kad::StoreInserts::FilterBoth)
            .set_record_ttl(None)
            .set_provider_record_ttl(Some(PROVIDER_RECORD_TTL))
            .set_replication_interval(None)
            .set_publication_interval(None)
            // Our own records are republished by the worker, in batches, not all at once
            // by Kademlia.
            .set_provider_publication_interval(None)
            .set_periodic_bootstrap_interval(Some(Duration::from_secs(300)));
        let mut kad = kad::Behaviour::with_config(local, ProviderStore::new(local), kad_config);
        // Answer queries even before an external address is confirmed: on a private network
        // (and in tests) none ever is, and a node in client mode cannot be discovered through.
        kad.set_mode(Some(kad::Mode::Server));

        let mdns = if p.enable_mdns {
            match mdns::tokio::Behaviour::new(mdns::Config::default(), local) {
                Ok(m) => Some(m),
                Err(e) => {
                    tracing::warn!(target: "network", "mDNS unavailable, continuing without: {e}");
                    None
                }
            }
        } else {
            None
        };

        let gossipsub = {
            let mut builder = gossipsub::ConfigBuilder::default();
            builder
                .protocol_id_prefix(names.gossipsub_prefix.clone())
                .validation_mode(gossipsub::ValidationMode::Strict)
                .validate_messages()
                // Content-addressed ids: the same transaction or vote gossiped by two nodes is
                // one message, deduplicated by gossipsub.
                .message_id_fn(|m: &gossipsub::Message| {
                    let mut bytes = m.topic.as_str().as_bytes().to_vec();
                    bytes.extend_from_slice(&m.data);
                    gossipsub::MessageId::from(BlakeTwo256::hash(&bytes).as_bytes().to_vec())
                })
                .heartbeat_initial_delay(Duration::from_millis(500))
                .max_transmit_size(
                    MAX_TRANSACTIONS_SIZE.max(MAX_FINALITY_SIZE) + GOSSIP_FRAME_OVERHEAD,
                );
            for (topic, max) in [
                (&names.block_announces_topic, MAX_BLOCK_ANNOUNCE_SIZE),
                (&names.transactions_topic, MAX_TRANSACTIONS_SIZE),
                (&names.finality_topic, MAX_FINALITY_SIZE),
            ] {
                // The per-topic limit applies to the signed protobuf message, ~200 bytes more
                // than the data.
                builder.max_transmit_size_for_topic(
                    max + 1024,
                    gossipsub::IdentTopic::new(topic.as_str()).hash(),
                );
            }
            let config = builder
                .build()
                .map_err(|e| NetworkError::Setup(format!("gossipsub config: {e}")))?;
            let mut gossipsub = gossipsub::Behaviour::new(
                gossipsub::MessageAuthenticity::Signed(p.keypair.clone()),
                config,
            )
            .map_err(|e| NetworkError::Setup(format!("gossipsub: {e}")))?;
            for topic in [
                &names.block_announces_topic,
                &names.transactions_topic,
                &names.finality_topic,
            ] {
                gossipsub
                    .subscribe(&gossipsub::IdentTopic::new(topic.as_str()))
                    .map_err(|e| NetworkError::Setup(format!("gossipsub subscribe: {e}")))?;
            }
            gossipsub
        };

        Ok(Self {
            peerset: Peerset::new(p.peerset),
            limits: connection_limits::Behaviour::new(
                connection_limits::ConnectionLimits::default()
                    .with_max_pending_incoming(Some(MAX_PENDING_CONNECTIONS))
                    .with_max_pending_outgoing(Some(MAX_PENDING_CONNECTIONS)),
            ),
            identify,
            ping: ping::Behaviour::new(ping::Config::new()),
            kad,
            mdns: Toggle::from(mdns),
            gossipsub,
            status: request_response(
                &names.status,
                "status",
                MAX_HANDSHAKE_SIZE,
                MAX_HANDSHAKE_SIZE,
                STATUS_TIMEOUT,
                p.metrics.clone(),
            )?,
            blocks: request_response(
                &names.blocks,
                "blocks",
                MAX_BLOCK_REQUEST_SIZE,
                MAX_BLOCK_RESPONSE_SIZE,
                BLOCKS_TIMEOUT,
                p.metrics.clone(),
            )?,
            justifications: request_response(
                &names.justifications,
                "justifications",
                MAX_JUSTIFICATION_REQUEST_SIZE,
                MAX_JUSTIFICATION_RESPONSE_SIZE,
                JUSTIFICATIONS_TIMEOUT,
                p.metrics.clone(),
            )?,
            block_transactions: request_response(
                &names.block_transactions,
                crate::metrics::BLOCK_TRANSACTIONS_LABEL,
                MAX_BLOCK_TRANSACTIONS_REQUEST_SIZE,
                MAX_BLOCK_TRANSACTIONS_RESPONSE_SIZE,
                BLOCK_TRANSACTIONS_TIMEOUT,
                p.metrics.clone(),
            )?,
            warp_proof: request_response(
                &names.warp_proof,
                crate::worker::WARP_PROOF_LABEL,
                crate::warp::MAX_WARP_PROOF_REQUEST_SIZE,
                crate::warp::MAX_WARP_PROOF_RESPONSE_SIZE,
                WARP_TIMEOUT,
                p.metrics.clone(),
            )?,
            state: request_response(
                &names.state,
                crate::worker::STATE_LABEL,
                crate::warp::MAX_STATE_REQUEST_SIZE,
                crate::warp::MAX_STATE_RESPONSE_SIZE,
                WARP_TIMEOUT,
                p.metrics.clone(),
            )?,
            dds: with_codec(
                &names.dds,
                DdsCodec(ScaleCodec::new(
                    crate::worker::DDS_LABEL,
                    MAX_DDS_REQUEST_SIZE,
                    MAX_DDS_RESPONSE_SIZE,
                    p.metrics,
                )),
                DDS_TIMEOUT,
            )?,
        })
    }
}
