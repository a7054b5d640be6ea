//! Connection, handshake and discovery: nodes find each other from one boot node, learn each
//! other's role and status, and nodes of another chain never become peers.

use crate::common::*;
use echonet_network::{NetworkEvent, Role};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_connect_through_a_boot_node_and_learn_each_others_status() {
    init_tracing();
    let seed = random_genesis();
    let mut a = spawn(seed, 4, |c| c.role = Role::Authority).await;
    let boot = a.addr.clone();
    let mut b = spawn(seed, 7, |c| c.boot_nodes = vec![boot]).await;

    let (role, status) = next_event(&mut a.events, "B connecting to A", |e| match e {
        NetworkEvent::PeerConnected { peer, role, status } if *peer == b.peer_id => {
            Some((*role, *status))
        }
        _ => None,
    })
    .await;
    assert_eq!(role, Role::Full);
    assert_eq!(status.best_number, 6);
    assert_eq!(status.genesis_hash, a.genesis);

    let (role, status) = next_event(&mut b.events, "A connecting to B", |e| match e {
        NetworkEvent::PeerConnected { peer, role, status } if *peer == a.peer_id => {
            Some((*role, *status))
        }
        _ => None,
    })
    .await;
    assert_eq!(role, Role::Authority);
    assert_eq!(status.best_number, 3);

    let info = wait_connected(&b.handle, a.peer_id).await;
    assert!(!info.inbound, "B dialed A");
    assert_eq!(info.reputation, 0);
    assert_eq!(info.status.best_number, 3);
    assert!(wait_connected(&a.handle, b.peer_id).await.inbound);
    assert_eq!(
        metric(&a.registry, "substrate_sub_libp2p_peers_count", &[]),
        1.0
    );

    // Shutting down one side is seen by the other.
    b.handle.shutdown();
    b.task.await.unwrap();
    next_event(&mut a.events, "B leaving", |e| match e {
        NetworkEvent::PeerDisconnected { peer } if *peer == b.peer_id => Some(()),
        _ => None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_node_discovers_the_others_through_kademlia() {
    init_tracing();
    let seed = random_genesis();
    let a = spawn(seed, 2, |_| {}).await;
    let boot = a.addr.clone();
    let b = spawn(seed, 2, |c| c.boot_nodes = vec![boot.clone()]).await;
    wait_connected(&a.handle, b.peer_id).await;
    // C only knows A; it must find B through A's routing table.
    let c = spawn(seed, 2, |c| c.boot_nodes = vec![boot]).await;
    wait_connected(&c.handle, a.peer_id).await;
    wait_connected(&c.handle, b.peer_id).await;
    wait_connected(&b.handle, c.peer_id).await;
    assert!(metric(&c.registry, "substrate_sub_libp2p_kbuckets_num_nodes", &[]) >= 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_of_different_chains_never_exchange_our_protocols() {
    init_tracing();
    let mut a = spawn(random_genesis(), 3, |_| {}).await;
    let boot = a.addr.clone();
    let mut b = spawn(random_genesis(), 3, |c| c.boot_nodes = vec![boot]).await;
    assert_ne!(a.genesis, b.genesis);

    // B dials A: the connection opens at the transport level, then closes.
    wait_until("the connection to close", || async {
        (metric(
            &a.registry,
            "substrate_sub_libp2p_connections_closed_total",
            &[],
        ) >= 1.0
            && metric(
                &b.registry,
                "substrate_sub_libp2p_connections_closed_total",
                &[],
            ) >= 1.0)
            .then_some(())
    })
    .await;
    assert!(a.handle.peers().await.is_empty());
    assert!(b.handle.peers().await.is_empty());
    assert!(a.events.try_recv().is_err(), "A saw no event");
    assert!(b.events.try_recv().is_err(), "B saw no event");
    for node in [&a, &b] {
        assert_eq!(
            metric(
                &node.registry,
                "substrate_sub_libp2p_network_bytes_total",
                &[]
            ),
            0.0,
            "not one byte of our protocols was exchanged"
        );
    }
    // Whichever side noticed first banned the other, so that it is not dialed again soon.
    let mismatches: f64 = [&a, &b]
        .iter()
        .map(|n| {
            metric(
                &n.registry,
                "echonet_network_reputation_changes_total",
                &[("reason", "genesis mismatch")],
            )
        })
        .sum();
    assert!(mismatches >= 1.0);
}
