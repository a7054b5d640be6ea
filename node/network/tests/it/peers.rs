//! The peer set: bans from reputation, reserved-only mode, slot limits, the test switch that
//! blocks peers, back-pressure on the node's event queue, and shutdown.

use crate::common::*;
use echonet_network::{rep, NetworkEvent, ReputationChange};
use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

fn denied(node: &TestNode, reason: &str) -> f64 {
    metric(
        &node.registry,
        "echonet_network_connections_denied_total",
        &[("reason", reason)],
    )
}

/// Checks `invariant` on every poll for `window`, then returns.
async fn holds_for<F, Fut>(what: &str, window: Duration, mut invariant: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = Instant::now() + window;
    while Instant::now() < end {
        assert!(invariant().await, "{what} broken");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_reported_below_the_threshold_is_banned_until_the_ban_expires() {
    init_tracing();
    let seed = random_genesis();
    let ban = Duration::from_secs(4);
    let a = spawn(seed, 2, |c| c.ban_duration = ban).await;
    let boot = a.addr.clone();
    let b = spawn(seed, 2, |c| c.boot_nodes = vec![boot]).await;
    wait_connected(&a.handle, b.peer_id).await;

    // Mild reports only lower the reputation.
    a.handle.report_peer(b.peer_id, rep::BAD_TRANSACTION);
    let handle = a.handle.clone();
    wait_until("the reputation to drop", || async {
        let info = peer_info(&handle, b.peer_id).await?;
        (info.reputation < 0).then_some(())
    })
    .await;

    let banned_at = Instant::now();
    a.handle
        .report_peer(b.peer_id, ReputationChange::new_fatal("test: equivocation"));
    wait_disconnected(&a.handle, b.peer_id).await;
    wait_disconnected(&b.handle, a.peer_id).await;

    // B keeps knocking (A is its boot node); A refuses it while the ban lasts (a denial
    // counted as "banned" can only happen during the ban).
    wait_until("A to refuse B", || async {
        (denied(&a, "banned") >= 1.0).then_some(())
    })
    .await;

    // Once the ban expires, they reconnect, and B starts again from a clean slate.
    let info = wait_connected(&a.handle, b.peer_id).await;
    assert!(
        banned_at.elapsed() >= ban,
        "reconnected after {:?}",
        banned_at.elapsed()
    );
    assert!(info.reputation > rep::BANNED_THRESHOLD);
    assert_eq!(
        metric(&a.registry, "echonet_network_peers_banned_total", &[]),
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_only_refuses_everyone_but_reserved_peers() {
    init_tracing();
    let seed = random_genesis();
    let b = spawn(seed, 2, |_| {}).await;
    let reserved = b.addr.clone();
    let a = spawn(seed, 2, |c| {
        c.reserved_only = true;
        c.reserved_nodes = vec![reserved];
    })
    .await;
    // A dials its reserved peer by itself.
    wait_connected(&a.handle, b.peer_id).await;

    let boot = a.addr.clone();
    let c = spawn(seed, 2, |c| c.boot_nodes = vec![boot]).await;
    wait_until("A to refuse C", || async {
        (denied(&a, "reserved_only") >= 1.0).then_some(())
    })
    .await;
    let peers: Vec<_> = a
        .handle
        .peers()
        .await
        .into_iter()
        .map(|p| p.peer_id)
        .collect();
    assert_eq!(peers, vec![b.peer_id]);
    assert!(c.handle.peers().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_slots_are_limited() {
    init_tracing();
    let seed = random_genesis();
    let a = spawn(seed, 2, |c| c.in_peers = 1).await;
    let boot = a.addr.clone();
    let b = spawn(seed, 2, |c| c.boot_nodes = vec![boot.clone()]).await;
    wait_connected(&a.handle, b.peer_id).await;
    let _c = spawn(seed, 2, |c| c.boot_nodes = vec![boot]).await;
    wait_until("A to refuse C", || async {
        (denied(&a, "in_slots_full") >= 1.0).then_some(())
    })
    .await;
    holds_for("A's inbound limit", Duration::from_secs(2), || async {
        a.handle.peers().await.iter().filter(|p| p.inbound).count() <= 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_slots_are_limited() {
    init_tracing();
    let seed = random_genesis();
    let a = spawn(seed, 2, |_| {}).await;
    let b = spawn(seed, 2, |_| {}).await;
    let c = spawn(seed, 2, |_| {}).await;
    let boots = vec![a.addr.clone(), b.addr.clone(), c.addr.clone()];
    let d = spawn(seed, 2, |c| {
        c.out_peers = 1;
        c.boot_nodes = boots;
    })
    .await;
    wait_until("D to have a peer", || async {
        (!d.handle.peers().await.is_empty()).then_some(())
    })
    .await;
    holds_for("D's outbound limit", Duration::from_secs(3), || async {
        d.handle.peers().await.iter().filter(|p| !p.inbound).count() <= 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_peers_are_partitioned_and_healing_reconnects_them() {
    init_tracing();
    let seed = random_genesis();
    let a = spawn(seed, 2, |_| {}).await;
    let boot = a.addr.clone();
    let mut b = spawn(seed, 2, |c| c.boot_nodes = vec![boot]).await;
    wait_connected(&a.handle, b.peer_id).await;
    wait_connected(&b.handle, a.peer_id).await;

    a.handle.set_blocked_peers(HashSet::from([b.peer_id]));
    wait_disconnected(&a.handle, b.peer_id).await;
    wait_disconnected(&b.handle, a.peer_id).await;
    // B redials its boot node; A refuses while B is blocked.
    wait_until("A to refuse B", || async {
        (denied(&a, "blocked") >= 1.0).then_some(())
    })
    .await;
    assert!(a.handle.peers().await.is_empty());
    assert!(b.handle.peers().await.is_empty());
    // Nothing A gossips can reach B.
    a.handle.announce_block(header(42), true);

    a.handle.set_blocked_peers(HashSet::new());
    wait_connected(&a.handle, b.peer_id).await;
    wait_connected(&b.handle, a.peer_id).await;

    // Gossip flows again (and the block announced during the partition never arrived).
    while let Ok(event) = b.events.try_recv() {
        assert!(!matches!(event, NetworkEvent::BlockAnnounce { .. }));
    }
    let deadline = Instant::now() + DEADLINE;
    let mut attempt = 0u32;
    'heal: loop {
        assert!(Instant::now() < deadline, "no gossip after healing");
        attempt += 1;
        a.handle.announce_block(header(1000 + attempt), true);
        let retry = tokio::time::Instant::now() + Duration::from_millis(500);
        while let Ok(Some(event)) = tokio::time::timeout_at(retry, b.events.recv()).await {
            if let NetworkEvent::BlockAnnounce { header, .. } = event {
                assert_ne!(header.number, 42, "announced during the partition");
                break 'heal;
            }
        }
    }
    assert!(
        metric(
            &a.registry,
            "substrate_sub_libp2p_connections_opened_total",
            &[]
        ) >= 2.0
    );
    assert!(
        metric(
            &a.registry,
            "substrate_sub_libp2p_connections_closed_total",
            &[]
        ) >= 1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_event_queue_drops_gossip_but_never_connection_events() {
    init_tracing();
    let seed = random_genesis();
    // A never reads its events in this test until the end.
    let mut a = spawn(seed, 2, |_| {}).await;
    let boot = a.addr.clone();
    let b = spawn(seed, 2, |c| c.boot_nodes = vec![boot.clone()]).await;
    wait_connected(&a.handle, b.peer_id).await;

    // Flood A's queue (1024 events) with distinct finality messages from B.
    let mut sent = 0u32;
    wait_until("A to drop gossip", || {
        for _ in 0..200 {
            sent += 1;
            b.handle.gossip_finality(sent.to_le_bytes().to_vec());
        }
        let a = &a;
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            (metric(&a.registry, "echonet_network_events_dropped_total", &[]) >= 1.0).then_some(())
        }
    })
    .await;

    // A new peer while the queue is full: its PeerConnected waits, it is not dropped.
    let c = spawn(seed, 2, |c| c.boot_nodes = vec![boot]).await;
    wait_connected(&a.handle, c.peer_id).await;

    let mut connected = HashSet::new();
    let mut gossip = 0;
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(500), a.events.recv()).await
    {
        match event {
            NetworkEvent::PeerConnected { peer, .. } => {
                connected.insert(peer);
            }
            NetworkEvent::Finality { .. } => gossip += 1,
            _ => {}
        }
        if connected.contains(&c.peer_id) {
            break;
        }
    }
    assert!(connected.contains(&b.peer_id));
    assert!(
        connected.contains(&c.peer_id),
        "PeerConnected of C was lost"
    );
    assert!(gossip >= 1000, "the queue was full of gossip: {gossip}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_stops_when_every_handle_is_dropped() {
    init_tracing();
    let node = spawn(random_genesis(), 2, |_| {}).await;
    let TestNode { handle, task, .. } = node;
    let clone = handle.clone();
    drop(handle);
    assert!(!task.is_finished());
    drop(clone);
    tokio::time::timeout(DEADLINE, task)
        .await
        .expect("the worker stops")
        .unwrap();
}
