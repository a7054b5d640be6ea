//! The data store protocol (`/echo/<genesis>/dds/1`): requests reach the node's
//! `DdsHandler` and answers come back; a rogue peer's oversized request is refused and
//! penalised without reaching the handler; the per-peer request rate of the other
//! protocols does not apply (the handler meters peers by bytes); a handler that panics
//! costs a refusal, not the node.

use crate::common::*;
use codec::{Decode, Encode};
use echonet_network::{
    rep, DdsHandler, DdsResponse, Multiaddr, NetworkEvent, PeerId, ProtocolNames, RateLimit,
    Refusal, RequestError, MAX_DDS_REQUEST_SIZE,
};
use futures::StreamExt;
use libp2p::{
    gossipsub, identify, request_response,
    swarm::{NetworkBehaviour, SwarmEvent},
    StreamProtocol,
};
use sp_core::H256;
use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};
use tokio::sync::{mpsc, oneshot};

/// Answers `b"ping"` with `b"pong:" ‖ request`; panics on `b"panic"`; counts calls.
#[derive(Default)]
struct Echo {
    calls: AtomicUsize,
}

impl DdsHandler for Echo {
    fn handle(&self, _: &PeerId, request: &[u8]) -> Vec<u8> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if request == b"panic" {
            panic!("the handler panics on purpose");
        }
        [b"pong:".as_slice(), request].concat()
    }
}

#[derive(NetworkBehaviour)]
struct DdsRogueBehaviour {
    identify: identify::Behaviour,
    // The node drops peers that do not speak its gossip protocol.
    gossipsub: gossipsub::Behaviour,
    status: request_response::Behaviour<RawCodec>,
    dds: request_response::Behaviour<RawCodec>,
}

type Reply = oneshot::Sender<Result<Vec<u8>, String>>;

/// A libp2p node that passes the handshake, then sends raw bytes on the dds protocol.
struct DdsRogue {
    peer_id: PeerId,
    commands: mpsc::Sender<(PeerId, Vec<u8>, Reply)>,
}

impl DdsRogue {
    fn spawn(genesis: H256, target: Multiaddr) -> Self {
        let names = ProtocolNames::new(genesis);
        let keypair = libp2p::identity::Keypair::generate_ed25519();
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
        let mut gossipsub = gossipsub::Behaviour::new(
            gossipsub::MessageAuthenticity::Signed(keypair.clone()),
            gossipsub::ConfigBuilder::default()
                .protocol_id_prefix(names.gossipsub_prefix.clone())
                .build()
                .unwrap(),
        )
        .unwrap();
        gossipsub
            .subscribe(&gossipsub::IdentTopic::new(
                names.transactions_topic.as_str(),
            ))
            .unwrap();
        let behaviour = DdsRogueBehaviour {
            identify: identify::Behaviour::new(identify::Config::new(
                names.identify_version.clone(),
                keypair.public(),
            )),
            gossipsub,
            status: rr(&names.status),
            dds: rr(&names.dds),
        };
        let mut swarm = tcp_swarm(keypair, behaviour);
        swarm.dial(target).unwrap();
        let handshake = genesis_handshake(genesis);
        let (tx, mut rx) = mpsc::channel::<(PeerId, Vec<u8>, Reply)>(16);
        tokio::spawn(async move {
            let mut pending = std::collections::HashMap::<_, Reply>::new();
            loop {
                tokio::select! {
                    command = rx.recv() => match command {
                        None => break,
                        Some((peer, data, reply)) => {
                            let id = swarm.behaviour_mut().dds.send_request(&peer, data);
                            pending.insert(id, reply);
                        }
                    },
                    event = swarm.select_next_some() => match event {
                        SwarmEvent::Behaviour(DdsRogueBehaviourEvent::Status(
                            request_response::Event::Message {
                                message: request_response::Message::Request { channel, .. },
                                ..
                            },
                        )) => {
                            let _ = swarm.behaviour_mut().status.send_response(channel, handshake.clone());
                        }
                        SwarmEvent::Behaviour(DdsRogueBehaviourEvent::Dds(
                            request_response::Event::Message {
                                message: request_response::Message::Response { request_id, response },
                                ..
                            },
                        )) => {
                            if let Some(reply) = pending.remove(&request_id) {
                                let _ = reply.send(Ok(response));
                            }
                        }
                        SwarmEvent::Behaviour(DdsRogueBehaviourEvent::Dds(
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
        DdsRogue {
            peer_id,
            commands: tx,
        }
    }

    async fn request(&self, peer: PeerId, data: Vec<u8>) -> Result<DdsResponse, String> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send((peer, data.encode(), reply))
            .await
            .unwrap();
        let bytes = rx.await.unwrap()?;
        DdsResponse::decode(&mut &bytes[..]).map_err(|e| e.to_string())
    }

    /// Sends `data` as the request's whole bytes (no SCALE length prefix added).
    async fn request_raw(&self, peer: PeerId, data: Vec<u8>) -> Result<Vec<u8>, String> {
        let (reply, rx) = oneshot::channel();
        self.commands.send((peer, data, reply)).await.unwrap();
        rx.await.unwrap()
    }
}

async fn connected_rogue(node: &mut TestNode) -> DdsRogue {
    let rogue = DdsRogue::spawn(node.genesis, node.addr.clone());
    let id = rogue.peer_id;
    next_event(&mut node.events, "the rogue's handshake", |e| match e {
        NetworkEvent::PeerConnected { peer, .. } if *peer == id => Some(()),
        _ => None,
    })
    .await;
    rogue
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dds_requests_reach_the_handler_between_two_nodes() {
    init_tracing();
    let genesis = random_genesis();
    let a = spawn(genesis, 1, |_| {}).await;
    let b = spawn(genesis, 1, |c| c.boot_nodes = vec![a.addr.clone()]).await;
    wait_connected(&b.handle, a.peer_id).await;
    // Before the node sets a handler: refused as busy.
    assert!(matches!(
        b.handle.request_dds(a.peer_id, b"ping".to_vec()).await,
        Err(RequestError::Refused(Refusal::Busy))
    ));
    let echo = Arc::new(Echo::default());
    a.handle.set_dds_handler(echo.clone());
    let answer = wait_until("the handler's answer", || {
        let b = b.handle.clone();
        let a = a.peer_id;
        async move { b.request_dds(a, b"ping".to_vec()).await.ok() }
    })
    .await;
    assert_eq!(answer, b"pong:ping");
    // A large request within the cap (a shard to store) goes through whole.
    let big = vec![7u8; 1 << 20];
    let answer = b.handle.request_dds(a.peer_id, big.clone()).await.unwrap();
    assert_eq!(answer.len(), 5 + big.len());
    // A handler that panics: the request is refused, the node goes on.
    assert!(matches!(
        b.handle.request_dds(a.peer_id, b"panic".to_vec()).await,
        Err(RequestError::Refused(Refusal::Busy))
    ));
    assert_eq!(
        b.handle
            .request_dds(a.peer_id, b"x".to_vec())
            .await
            .unwrap(),
        b"pong:x"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_dds_requests_are_refused_and_the_request_rate_does_not_apply() {
    init_tracing();
    let mut node = spawn(random_genesis(), 1, |c| {
        c.request_rate = RateLimit {
            per_second: 1,
            burst: 4,
        }
    })
    .await;
    let echo = Arc::new(Echo::default());
    node.handle.set_dds_handler(echo.clone());
    let rogue = connected_rogue(&mut node).await;
    let answer = wait_until("an answer", || async {
        rogue.request(node.peer_id, b"hi".to_vec()).await.ok()
    })
    .await;
    assert_eq!(answer, Ok(b"pong:hi".to_vec()));
    let calls = echo.calls.load(Ordering::SeqCst);

    // Over the cap: no answer, a penalty, and the handler never sees it.
    let oversized = vec![0u8; MAX_DDS_REQUEST_SIZE + 1];
    let answer = rogue.request_raw(node.peer_id, oversized).await;
    assert!(answer.map_or(true, |a| a.is_empty()), "no answer");
    let handle = node.handle.clone();
    let rogue_id = rogue.peer_id;
    wait_until("the oversized request's penalty", || async {
        let info = peer_info(&handle, rogue_id).await?;
        (info.reputation <= rep::MALFORMED_MESSAGE.value / 2).then_some(())
    })
    .await;
    assert_eq!(echo.calls.load(Ordering::SeqCst), calls);

    // Not subject to the request rate of the other protocols (burst of 4, 1 a second):
    // the data store meters peers by bytes itself (echonet-dds's `Server`).
    let mut served = 0;
    for _ in 0..8 {
        if let Ok(Ok(answer)) = rogue.request(node.peer_id, b"x".to_vec()).await {
            assert_eq!(answer, b"pong:x");
            served += 1;
        }
    }
    assert_eq!(served, 8);
    assert_eq!(echo.calls.load(Ordering::SeqCst), calls + 8);
}
