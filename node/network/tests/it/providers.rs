//! Provider records in Kademlia: a key one node announces is found by another through a
//! third, and the provider is reachable once the lookup returns; a peer that floods
//! `ADD_PROVIDER` records is held to its budget and the node keeps serving lookups.

use crate::common::*;
use echonet_network::{
    dds_provider_key, DdsHandler, Multiaddr, PeerId, ProtocolNames, MAX_PROVIDER_RECORDS_PER_PEER,
    PROVIDER_RECORD_RATE,
};
use futures::StreamExt;
use libp2p::{
    gossipsub, identify,
    kad::{self, store::MemoryStore, store::MemoryStoreConfig},
    request_response,
    swarm::{NetworkBehaviour, SwarmEvent},
    StreamProtocol,
};
use sp_core::H256;
use std::{
    collections::HashSet,
    sync::Arc,
    time::{Duration, Instant},
};

fn key(i: u32) -> Vec<u8> {
    let mut cid = [0x11u8; 32];
    cid[..4].copy_from_slice(&i.to_le_bytes());
    dds_provider_key(&cid)
}

struct Echo;

impl DdsHandler for Echo {
    fn handle(&self, _: &PeerId, request: &[u8]) -> Vec<u8> {
        request.to_vec()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_announced_to_one_node_is_found_through_it_and_reachable() {
    init_tracing();
    let seed = random_genesis();
    let a = spawn(seed, 2, |_| {}).await;
    let boot = a.addr.clone();
    let b = spawn(seed, 2, |c| c.boot_nodes = vec![boot.clone()]).await;
    let c = spawn(seed, 2, |c| c.boot_nodes = vec![boot]).await;
    // C may not talk to B at all: whatever it learns of B comes through A.
    c.handle.set_blocked_peers(HashSet::from([b.peer_id]));
    wait_connected(&b.handle, a.peer_id).await;
    wait_connected(&c.handle, a.peer_id).await;
    b.handle.set_dds_handler(Arc::new(Echo));

    b.handle.start_providing(vec![key(1)]);
    let found = wait_until("C to find B as a provider through A", || async {
        let found = c.handle.get_providers(key(1)).await;
        found.contains(&b.peer_id).then_some(found)
    })
    .await;
    assert_eq!(found, vec![b.peer_id]);
    assert!(
        c.handle.get_providers(key(2)).await.is_empty(),
        "nobody provides key 2"
    );
    assert!(peer_info(&c.handle, b.peer_id).await.is_none());
    assert!(metric(&a.registry, "echonet_network_provider_records", &[]) >= 1.0);
    assert!(metric(&b.registry, "echonet_network_provided_keys", &[]) >= 1.0);

    // Unblocked, the provider is dialed and a request reaches it.
    c.handle.set_blocked_peers(HashSet::new());
    assert_eq!(c.handle.get_providers(key(1)).await, vec![b.peer_id]);
    wait_until("a request from C to reach B", || async {
        c.handle
            .request_dds(b.peer_id, b"hello".to_vec())
            .await
            .ok()
            .filter(|r| r == b"hello")
    })
    .await;

    // B stops providing: its own record goes (peers keep theirs until it expires).
    b.handle.stop_providing(key(1));
    wait_until("B to stop providing", || async {
        (metric(&b.registry, "echonet_network_provided_keys", &[]) == 0.0).then_some(())
    })
    .await;
}

#[derive(NetworkBehaviour)]
struct FlooderBehaviour {
    identify: identify::Behaviour,
    // The node drops peers that do not speak its gossip and status protocols.
    gossipsub: gossipsub::Behaviour,
    status: request_response::Behaviour<RawCodec>,
    kad: kad::Behaviour<MemoryStore>,
}

/// A node of our chain that passes the handshake, then announces itself as the provider
/// of `keys` keys to `target` as fast as Kademlia lets it.
fn spawn_flooder(genesis: H256, target: PeerId, target_addr: Multiaddr, keys: u32) {
    let names = ProtocolNames::new(genesis);
    let keypair = libp2p::identity::Keypair::generate_ed25519();
    let peer_id = keypair.public().to_peer_id();
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
    let mut kad_config =
        kad::Config::new(StreamProtocol::try_from_owned(names.kad.clone()).unwrap());
    kad_config.set_query_timeout(Duration::from_secs(60));
    let store = MemoryStore::with_config(
        peer_id,
        MemoryStoreConfig {
            max_provided_keys: keys as usize + 1,
            ..Default::default()
        },
    );
    let mut kad = kad::Behaviour::with_config(peer_id, store, kad_config);
    kad.set_mode(Some(kad::Mode::Server));
    let _ = kad.add_address(&target, target_addr.clone());
    let behaviour = FlooderBehaviour {
        identify: identify::Behaviour::new(identify::Config::new(
            names.identify_version.clone(),
            keypair.public(),
        )),
        gossipsub,
        status: request_response::Behaviour::with_codec(
            RawCodec,
            [(
                StreamProtocol::try_from_owned(names.status.clone()).unwrap(),
                request_response::ProtocolSupport::Full,
            )],
            request_response::Config::default(),
        ),
        kad,
    };
    let mut swarm = tcp_swarm(keypair, behaviour);
    swarm.dial(target_addr).unwrap();
    let handshake = genesis_handshake(genesis);
    for i in 0..keys {
        swarm
            .behaviour_mut()
            .kad
            .start_providing(kad::RecordKey::new(&key(1000 + i)))
            .unwrap();
    }
    tokio::spawn(async move {
        loop {
            if let SwarmEvent::Behaviour(FlooderBehaviourEvent::Status(
                request_response::Event::Message {
                    message: request_response::Message::Request { channel, .. },
                    ..
                },
            )) = swarm.select_next_some().await
            {
                let _ = swarm
                    .behaviour_mut()
                    .status
                    .send_response(channel, handshake.clone());
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_flooding_provider_records_is_capped_and_the_node_keeps_working() {
    init_tracing();
    let seed = random_genesis();
    let a = spawn(seed, 2, |_| {}).await;
    let honest = spawn(seed, 2, |c| c.boot_nodes = vec![a.addr.clone()]).await;
    wait_connected(&a.handle, honest.peer_id).await;

    let flood = 2000;
    let started = Instant::now();
    spawn_flooder(a.genesis, a.peer_id, a.addr.clone(), flood);
    wait_until("the flood to hit the per-peer budget", || async {
        (metric(
            &a.registry,
            "echonet_network_provider_records_refused_total",
            &[("reason", "peer-budget")],
        ) >= 1.0)
            .then_some(())
    })
    .await;
    let stored = metric(&a.registry, "echonet_network_provider_records", &[]);
    // At most the burst and the rate since the flood began.
    let allowed = f64::from(PROVIDER_RECORD_RATE.burst)
        + f64::from(PROVIDER_RECORD_RATE.per_second) * (started.elapsed().as_secs_f64() + 1.0);
    assert!(
        stored <= allowed,
        "{stored} records stored, {allowed} allowed"
    );
    assert!(stored <= MAX_PROVIDER_RECORDS_PER_PEER as f64);
    assert!(stored < f64::from(flood));

    // The node still stores and serves honest records.
    honest.handle.start_providing(vec![key(7)]);
    wait_until("A to find the honest provider", || async {
        a.handle
            .get_providers(key(7))
            .await
            .contains(&honest.peer_id)
            .then_some(())
    })
    .await;
    assert!(peer_info(&a.handle, honest.peer_id).await.is_some());
}
