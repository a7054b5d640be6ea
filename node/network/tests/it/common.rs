//! Shared helpers of the network tests: in-process nodes on 127.0.0.1 with port 0, an
//! in-memory chain, polling with deadlines, metric reads, and a "rogue" libp2p node that
//! speaks our protocols with raw bytes (to send what an honest node never would).

use codec::Encode;
use echonet_network::{
    serve_block_request, start, BlockData, BlockRequest, BlockSource, ChainProvider, Handshake,
    Keypair, Multiaddr, NetworkConfig, NetworkEvent, NetworkHandle, PeerId, PeerInfo,
    ProtocolNames, Role, Status,
};
use echonet_runtime::Header;
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::{
    gossipsub, identify, noise, request_response,
    swarm::{NetworkBehaviour, SwarmEvent},
    tcp, yamux, StreamProtocol, SwarmBuilder,
};
use prometheus_endpoint::Registry;
use sp_core::H256;
use sp_runtime::{generic::Digest, Justifications, OpaqueExtrinsic};
use std::{collections::HashMap, sync::Arc, time::Duration};
use tokio::sync::{mpsc, oneshot};

/// Upper bound of any single wait in these tests (polls: [`wait_until`]).
pub use echonet_test_utils::{init_tracing, metric, wait_until, DEADLINE};

/// A libp2p swarm of `behaviour` over TCP with Noise and yamux, as our nodes run, for the
/// hand-made peers of these tests.
pub fn tcp_swarm<B: NetworkBehaviour>(keypair: Keypair, behaviour: B) -> libp2p::Swarm<B> {
    SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|_| behaviour)
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build()
}

/// The status handshake of a full node at genesis `genesis`, encoded.
pub fn genesis_handshake(genesis: H256) -> Vec<u8> {
    Handshake {
        role: Role::Full,
        status: Status {
            genesis_hash: genesis,
            best_number: 0,
            best_hash: genesis,
            finalized_number: 0,
            finalized_hash: genesis,
        },
    }
    .encode()
}

/// A fresh genesis per test, so that parallel tests never mix.
pub fn random_genesis() -> H256 {
    H256::random()
}

/// A linear chain of empty blocks on top of a made-up genesis; block `n` has a
/// justification when `n` is a multiple of 4.
pub struct MemChain {
    pub headers: HashMap<H256, Header>,
    pub canonical: Vec<H256>,
}

impl MemChain {
    pub fn new(genesis_seed: H256, len: u32) -> Self {
        let mut headers = HashMap::new();
        let mut canonical = Vec::new();
        let mut parent = H256::zero();
        for number in 0..len {
            let header = <Header as sp_runtime::traits::Header>::new(
                number,
                H256::zero(),
                // The genesis header's state root makes the genesis hash unique per test.
                if number == 0 {
                    genesis_seed
                } else {
                    H256::repeat_byte(number as u8)
                },
                parent,
                Digest::default(),
            );
            parent = header.hash();
            headers.insert(parent, header);
            canonical.push(parent);
        }
        Self { headers, canonical }
    }

    pub fn genesis(&self) -> H256 {
        self.canonical[0]
    }
}

impl BlockSource for MemChain {
    fn header(&self, hash: H256) -> Option<Header> {
        self.headers.get(&hash).cloned()
    }
    fn canonical_hash(&self, number: u32) -> Option<H256> {
        self.canonical.get(number as usize).copied()
    }
    fn body(&self, hash: H256) -> Option<Vec<OpaqueExtrinsic>> {
        self.headers.contains_key(&hash).then(Vec::new)
    }
    fn justifications(&self, hash: H256) -> Option<Justifications> {
        let number = self.headers.get(&hash)?.number;
        (number % 4 == 0 && number > 0).then(|| Justifications::from((*b"FRNK", number.encode())))
    }
}

impl ChainProvider for MemChain {
    fn status(&self) -> Status {
        let best = self.canonical.len() as u32 - 1;
        Status {
            genesis_hash: self.genesis(),
            best_number: best,
            best_hash: self.canonical[best as usize],
            finalized_number: 0,
            finalized_hash: self.genesis(),
        }
    }
    fn blocks(&self, request: &BlockRequest) -> Vec<BlockData> {
        serve_block_request(self, request)
    }
    fn justification(&self, hash: H256) -> Option<Justifications> {
        BlockSource::justifications(self, hash)
    }
}

pub struct TestNode {
    pub handle: NetworkHandle,
    pub events: mpsc::Receiver<NetworkEvent>,
    pub task: tokio::task::JoinHandle<()>,
    pub registry: Registry,
    pub peer_id: PeerId,
    pub addr: Multiaddr,
    pub genesis: H256,
}

pub fn config(genesis: H256) -> NetworkConfig {
    let mut config = NetworkConfig::new(genesis, Keypair::generate_ed25519());
    config.listen_addresses = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    config.node_name = "test".into();
    config
}

/// Starts a node over `chain`, adjusted by `tweak`, and waits for its listen address.
pub async fn spawn_with(
    chain: Arc<dyn ChainProvider>,
    tweak: impl FnOnce(&mut NetworkConfig),
) -> TestNode {
    let genesis = chain.status().genesis_hash;
    let mut config = config(genesis);
    tweak(&mut config);
    let registry = Registry::new();
    let (handle, events, task) = start(config, chain, Some(&registry)).await.unwrap();
    let addr = wait_until("a listen address", || {
        let handle = handle.clone();
        async move { handle.listen_addresses().await.into_iter().next() }
    })
    .await;
    TestNode {
        peer_id: handle.local_peer_id(),
        handle,
        events,
        task,
        registry,
        addr,
        genesis,
    }
}

/// A node on a chain of `len` in-memory blocks with the given genesis seed.
pub async fn spawn(
    genesis_seed: H256,
    len: u32,
    tweak: impl FnOnce(&mut NetworkConfig),
) -> TestNode {
    spawn_with(Arc::new(MemChain::new(genesis_seed, len)), tweak).await
}

/// Waits for the first event `pick` accepts, skipping others; panics after [`DEADLINE`].
pub async fn next_event<T>(
    events: &mut mpsc::Receiver<NetworkEvent>,
    what: &str,
    mut pick: impl FnMut(&NetworkEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(event)) => {
                if let Some(v) = pick(&event) {
                    return v;
                }
            }
            Ok(None) => panic!("event channel closed while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

pub async fn peer_info(handle: &NetworkHandle, peer: PeerId) -> Option<PeerInfo> {
    handle.peers().await.into_iter().find(|p| p.peer_id == peer)
}

/// Waits until `a` lists `b` as a connected peer.
pub async fn wait_connected(a: &NetworkHandle, b: PeerId) -> PeerInfo {
    wait_until("a connection", || peer_info(a, b)).await
}

/// Waits until `a` does not list `b`.
pub async fn wait_disconnected(a: &NetworkHandle, b: PeerId) {
    wait_until("a disconnection", || async {
        peer_info(a, b).await.is_none().then_some(())
    })
    .await
}

/// A header that is not on any chain (for gossip tests).
pub fn header(number: u32) -> Header {
    <Header as sp_runtime::traits::Header>::new(
        number,
        H256::zero(),
        H256::repeat_byte(0x5a),
        H256::repeat_byte(number as u8),
        Digest::default(),
    )
}

// ------------------------------------------------------------------------ rogue node

/// Raw bytes each way, read to the end of the stream.
#[derive(Clone, Default)]
pub struct RawCodec;

#[async_trait::async_trait]
impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> std::io::Result<Vec<u8>>
    where
        T: futures::AsyncRead + Unpin + Send,
    {
        let mut buf = Vec::new();
        io.take(1 << 20).read_to_end(&mut buf).await?;
        Ok(buf)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> std::io::Result<Vec<u8>>
    where
        T: futures::AsyncRead + Unpin + Send,
    {
        let mut buf = Vec::new();
        io.take(32 << 20).read_to_end(&mut buf).await?;
        Ok(buf)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> std::io::Result<()>
    where
        T: futures::AsyncWrite + Unpin + Send,
    {
        io.write_all(&req).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> std::io::Result<()>
    where
        T: futures::AsyncWrite + Unpin + Send,
    {
        io.write_all(&res).await
    }
}

#[derive(NetworkBehaviour)]
struct RogueBehaviour {
    identify: identify::Behaviour,
    gossipsub: gossipsub::Behaviour,
    status: request_response::Behaviour<RawCodec>,
    blocks: request_response::Behaviour<RawCodec>,
    block_txs: request_response::Behaviour<RawCodec>,
}

enum RogueCommand {
    Publish {
        topic: String,
        data: Vec<u8>,
        reply: oneshot::Sender<bool>,
    },
    RequestBlocks {
        peer: PeerId,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<Vec<u8>, String>>,
    },
    RequestBlockTransactions {
        peer: PeerId,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<Vec<u8>, String>>,
    },
}

/// A libp2p node that passes our handshake but then sends whatever the test tells it to.
pub struct Rogue {
    pub peer_id: PeerId,
    pub names: ProtocolNames,
    commands: mpsc::Sender<RogueCommand>,
}

impl Rogue {
    /// Starts a rogue node of the chain with `genesis` and dials `target`.
    pub fn spawn(genesis: H256, target: Multiaddr) -> Self {
        let names = ProtocolNames::new(genesis);
        let keypair = Keypair::generate_ed25519();
        let peer_id = keypair.public().to_peer_id();
        let rr = |name: &str| {
            request_response::Behaviour::with_codec(
                RawCodec,
                [(
                    StreamProtocol::try_from_owned(name.to_string()).unwrap(),
                    request_response::ProtocolSupport::Full,
                )],
                request_response::Config::default(),
            )
        };
        let mut gossip_config = gossipsub::ConfigBuilder::default();
        gossip_config
            .protocol_id_prefix(names.gossipsub_prefix.clone())
            .max_transmit_size(2 << 20);
        let mut gossipsub = gossipsub::Behaviour::new(
            gossipsub::MessageAuthenticity::Signed(keypair.clone()),
            gossip_config.build().unwrap(),
        )
        .unwrap();
        for topic in [
            &names.block_announces_topic,
            &names.transactions_topic,
            &names.finality_topic,
        ] {
            gossipsub
                .subscribe(&gossipsub::IdentTopic::new(topic.as_str()))
                .unwrap();
        }
        let behaviour = RogueBehaviour {
            identify: identify::Behaviour::new(identify::Config::new(
                names.identify_version.clone(),
                keypair.public(),
            )),
            gossipsub,
            status: rr(&names.status),
            blocks: rr(&names.blocks),
            block_txs: rr(&names.block_transactions),
        };
        let mut swarm = tcp_swarm(keypair, behaviour);
        swarm.dial(target).unwrap();
        let handshake = genesis_handshake(genesis);
        let (tx, mut rx) = mpsc::channel::<RogueCommand>(16);
        tokio::spawn(async move {
            let mut pending: HashMap<
                request_response::OutboundRequestId,
                oneshot::Sender<Result<Vec<u8>, String>>,
            > = HashMap::new();
            loop {
                tokio::select! {
                    command = rx.recv() => match command {
                        None => break,
                        Some(RogueCommand::Publish { topic, data, reply }) => {
                            let ok = swarm
                                .behaviour_mut()
                                .gossipsub
                                .publish(gossipsub::IdentTopic::new(topic), data)
                                .is_ok();
                            let _ = reply.send(ok);
                        }
                        Some(RogueCommand::RequestBlocks { peer, data, reply }) => {
                            let id = swarm.behaviour_mut().blocks.send_request(&peer, data);
                            pending.insert(id, reply);
                        }
                        Some(RogueCommand::RequestBlockTransactions { peer, data, reply }) => {
                            let id = swarm.behaviour_mut().block_txs.send_request(&peer, data);
                            pending.insert(id, reply);
                        }
                    },
                    event = swarm.select_next_some() => match event {
                        SwarmEvent::Behaviour(RogueBehaviourEvent::Status(
                            request_response::Event::Message {
                                message: request_response::Message::Request { channel, .. },
                                ..
                            },
                        )) => {
                            let _ = swarm
                                .behaviour_mut()
                                .status
                                .send_response(channel, handshake.clone());
                        }
                        SwarmEvent::Behaviour(RogueBehaviourEvent::Blocks(
                            request_response::Event::Message {
                                message: request_response::Message::Response { request_id, response },
                                ..
                            },
                        ))
                        | SwarmEvent::Behaviour(RogueBehaviourEvent::BlockTxs(
                            request_response::Event::Message {
                                message: request_response::Message::Response { request_id, response },
                                ..
                            },
                        )) => {
                            if let Some(reply) = pending.remove(&request_id) {
                                let _ = reply.send(Ok(response));
                            }
                        }
                        SwarmEvent::Behaviour(RogueBehaviourEvent::Blocks(
                            request_response::Event::OutboundFailure { request_id, error, .. },
                        ))
                        | SwarmEvent::Behaviour(RogueBehaviourEvent::BlockTxs(
                            request_response::Event::OutboundFailure { request_id, error, .. },
                        )) => {
                            if let Some(reply) = pending.remove(&request_id) {
                                let _ = reply.send(Err(error.to_string()));
                            }
                        }
                        _ => {}
                    },
                }
            }
        });
        Self {
            peer_id,
            names,
            commands: tx,
        }
    }

    /// Publishes raw bytes on a topic; `false` while no peer is subscribed yet.
    pub async fn publish(&self, topic: &str, data: Vec<u8>) -> bool {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(RogueCommand::Publish {
                topic: topic.to_string(),
                data,
                reply,
            })
            .await
            .unwrap();
        rx.await.unwrap()
    }

    /// Sends raw bytes as a request for a block's extrinsics (compact relay).
    pub async fn request_block_transactions(
        &self,
        peer: PeerId,
        data: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(RogueCommand::RequestBlockTransactions { peer, data, reply })
            .await
            .unwrap();
        rx.await.unwrap()
    }

    /// Sends raw bytes as a block request.
    pub async fn request_blocks(&self, peer: PeerId, data: Vec<u8>) -> Result<Vec<u8>, String> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(RogueCommand::RequestBlocks { peer, data, reply })
            .await
            .unwrap();
        rx.await.unwrap()
    }
}
