//! Gossip: block announcements, transactions and finality messages reach every peer (and
//! are forwarded only once the node accepts them); undecodable gossip costs the sender.

use crate::common::*;
use codec::Encode;
use echonet_network::{
    rep, short_id, transaction_hash, BlockAnnounce, CompactBody, MessageValidity, NetworkEvent,
    PeerId,
};
use echonet_test_utils::signed_transfer;
use sp_core::{Pair, H256};
use sp_runtime::OpaqueExtrinsic;
use std::time::Duration;

/// Starts `n` nodes of one chain, all booting from the first, and waits until each knows
/// every other.
async fn mesh(n: usize) -> Vec<TestNode> {
    let seed = random_genesis();
    let first = spawn(seed, 2, |_| {}).await;
    let boot = first.addr.clone();
    let mut nodes = vec![first];
    for _ in 1..n {
        let boot = boot.clone();
        nodes.push(spawn(seed, 2, |c| c.boot_nodes = vec![boot]).await);
    }
    let ids: Vec<PeerId> = nodes.iter().map(|n| n.peer_id).collect();
    for node in &nodes {
        for id in &ids {
            if *id != node.peer_id {
                wait_connected(&node.handle, *id).await;
            }
        }
    }
    nodes
}

/// Publishes with `publish(attempt)` until `node` receives a matching event: gossipsub needs
/// the subscriptions exchanged first, which happens shortly after the handshake.
async fn until_received<T>(
    node: &mut TestNode,
    mut publish: impl FnMut(u32),
    mut pick: impl FnMut(&NetworkEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut attempt = 0;
    loop {
        publish(attempt);
        attempt += 1;
        let retry = tokio::time::Instant::now() + Duration::from_millis(500);
        loop {
            match tokio::time::timeout_at(retry.min(deadline), node.events.recv()).await {
                Ok(Some(event)) => {
                    if let Some(v) = pick(&event) {
                        return v;
                    }
                }
                Ok(None) => panic!("event channel closed"),
                Err(_) => break,
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gossip never arrived"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcements_transactions_and_finality_reach_every_peer() {
    init_tracing();
    let mut nodes = mesh(3).await;
    let sender = nodes[0].handle.clone();
    let sender_id = nodes[0].peer_id;

    for receiver in nodes.iter_mut().skip(1) {
        // Block announcements.
        let (header, id) = until_received(
            receiver,
            |attempt| sender.announce_block(header(100 + attempt), true),
            |e| match e {
                NetworkEvent::BlockAnnounce {
                    peer,
                    header,
                    is_best: true,
                    message_id,
                    ..
                } if *peer == sender_id => Some((header.clone(), message_id.clone())),
                _ => None,
            },
        )
        .await;
        assert!(header.number >= 100);
        receiver
            .handle
            .report_message(id, sender_id, MessageValidity::Accept);

        // Transactions.
        let txs = until_received(
            receiver,
            |attempt| sender.propagate_transactions(vec![vec![1, 2, 3], attempt.encode()]),
            |e| match e {
                NetworkEvent::Transactions { peer, txs, .. } if *peer == sender_id => {
                    Some(txs.clone())
                }
                _ => None,
            },
        )
        .await;
        assert_eq!(txs[0], vec![1, 2, 3]);

        // Finality messages.
        let data = until_received(
            receiver,
            |attempt| sender.gossip_finality(format!("vote {attempt}").into_bytes()),
            |e| match e {
                NetworkEvent::Finality { peer, data, .. } if *peer == sender_id => {
                    Some(data.clone())
                }
                _ => None,
            },
        )
        .await;
        assert!(data.starts_with(b"vote "));
    }

    // The sender's best block, as its peers see it, follows its announcements.
    let info = wait_connected(&nodes[1].handle, sender_id).await;
    assert!(info.status.best_number >= 100);

    for (label, kind) in [
        ("block-announces", "sent"),
        ("transactions", "sent"),
        ("finality", "sent"),
    ] {
        assert!(
            metric(
                &nodes[0].registry,
                "echonet_network_gossip_messages_total",
                &[("topic", label), ("kind", kind)]
            ) >= 1.0,
            "{label} {kind}"
        );
    }
    for label in ["block-announces", "transactions", "finality"] {
        assert!(
            metric(
                &nodes[1].registry,
                "echonet_network_gossip_messages_total",
                &[("topic", label), ("kind", "received")]
            ) >= 1.0
        );
    }
    assert!(
        metric(
            &nodes[0].registry,
            "substrate_sub_libp2p_network_bytes_total",
            &[("direction", "out"), ("protocol", "block-announces")]
        ) > 0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_message_costs_its_sender() {
    init_tracing();
    let mut nodes = mesh(2).await;
    let sender = nodes[0].handle.clone();
    let sender_id = nodes[0].peer_id;
    let receiver = &mut nodes[1];
    let id = until_received(
        receiver,
        |attempt| sender.gossip_finality(vec![0xee, attempt as u8]),
        |e| e.message_id().cloned(),
    )
    .await;
    receiver
        .handle
        .report_message(id, sender_id, MessageValidity::Reject);
    let handle = receiver.handle.clone();
    wait_until("the sender's reputation to drop", || async {
        let info = peer_info(&handle, sender_id).await?;
        (info.reputation <= rep::REJECTED_MESSAGE.value / 2).then_some(())
    })
    .await;
    assert_eq!(
        metric(
            &receiver.registry,
            "echonet_network_gossip_messages_total",
            &[("topic", "finality"), ("kind", "invalid")]
        ),
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_announcements_carry_short_ids_of_signed_extrinsics_only() {
    init_tracing();
    let mut nodes = mesh(2).await;
    let sender = nodes[0].handle.clone();
    let sender_id = nodes[0].peer_id;
    let genesis = nodes[0].genesis;
    // An inherent-like unsigned blob, then two signed transfers.
    let keys = echonet_test_utils::dev_keys();
    let to = echonet_runtime::AccountId::from(keys[1].public());
    let body: Vec<OpaqueExtrinsic> = [
        vec![0x04, 0x00],
        signed_transfer(genesis, &keys[0], to.clone(), 1, 0, 0),
        signed_transfer(genesis, &keys[0], to, 1, 1, 0),
    ]
    .iter()
    .map(|b| {
        if b.len() == 2 {
            OpaqueExtrinsic::from_blob(b.clone())
        } else {
            OpaqueExtrinsic::try_from_encoded_extrinsic(b).unwrap()
        }
    })
    .collect();
    let (header, compact) = until_received(
        &mut nodes[1],
        |attempt| sender.announce_compact_block(header(200 + attempt), true, &body),
        |e| match e {
            NetworkEvent::BlockAnnounce {
                peer,
                header,
                compact: Some(compact),
                ..
            } if *peer == sender_id => Some((header.clone(), compact.clone())),
            _ => None,
        },
    )
    .await;
    assert_eq!(compact.prefilled, vec![(0, body[0].clone())]);
    let hash = header.hash();
    let ids: Vec<_> = body[1..]
        .iter()
        .map(|xt| short_id(&hash, &transaction_hash(xt)))
        .collect();
    assert_eq!(compact.short_ids, ids);
    // Keyed by the block: the same transaction has another short id in another block.
    assert_ne!(
        short_id(&H256::repeat_byte(1), &transaction_hash(&body[1])),
        ids[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compact_announcement_that_describes_no_block_costs_the_sender() {
    init_tracing();
    let mut node = spawn(random_genesis(), 2, |_| {}).await;
    let rogue = Rogue::spawn(node.genesis, node.addr.clone());
    let rogue_id = rogue.peer_id;
    next_event(&mut node.events, "the rogue's handshake", |e| match e {
        NetworkEvent::PeerConnected { peer, .. } if *peer == rogue_id => Some(()),
        _ => None,
    })
    .await;

    // Decodes, but puts an extrinsic at position 5 of a block of 2.
    let topic = rogue.names.block_announces_topic.clone();
    let mut attempt = 0u32;
    wait_until("the bad announcement to be published", || {
        attempt += 1;
        let data = BlockAnnounce {
            header: header(attempt),
            is_best: true,
            compact: Some(CompactBody {
                prefilled: vec![(5, OpaqueExtrinsic::from_blob(vec![1]))],
                short_ids: vec![[7; 6]],
            }),
        }
        .encode();
        let rogue = &rogue;
        let topic = topic.clone();
        async move { rogue.publish(&topic, data).await.then_some(()) }
    })
    .await;

    let handle = node.handle.clone();
    wait_until("the rogue's reputation to drop", || async {
        let info = peer_info(&handle, rogue_id).await?;
        (info.reputation <= rep::MALFORMED_MESSAGE.value / 2).then_some(())
    })
    .await;
    while let Ok(event) = node.events.try_recv() {
        assert!(
            !matches!(event, NetworkEvent::BlockAnnounce { .. }),
            "delivered: {event:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_gossip_lowers_the_senders_score() {
    init_tracing();
    let mut node = spawn(random_genesis(), 2, |_| {}).await;
    let rogue = Rogue::spawn(node.genesis, node.addr.clone());
    let rogue_id = rogue.peer_id;
    next_event(&mut node.events, "the rogue's handshake", |e| match e {
        NetworkEvent::PeerConnected { peer, .. } if *peer == rogue_id => Some(()),
        _ => None,
    })
    .await;

    // Garbage where a SCALE `BlockAnnounce` should be.
    let topic = rogue.names.block_announces_topic.clone();
    let mut attempt = 0u8;
    wait_until("the garbage to be published", || {
        attempt = attempt.wrapping_add(1);
        let data = vec![0xff, 0xff, 0xff, attempt];
        let rogue = &rogue;
        let topic = topic.clone();
        async move { rogue.publish(&topic, data).await.then_some(()) }
    })
    .await;

    let handle = node.handle.clone();
    let info = wait_until("the rogue's reputation to drop", || async {
        let info = peer_info(&handle, rogue_id).await?;
        (info.reputation <= rep::MALFORMED_MESSAGE.value / 2).then_some(info)
    })
    .await;
    assert!(info.reputation < 0);
    assert!(
        metric(
            &node.registry,
            "echonet_network_gossip_messages_total",
            &[("topic", "block-announces"), ("kind", "invalid")]
        ) >= 1.0
    );
    // Nothing undecodable reached the node.
    while let Ok(event) = node.events.try_recv() {
        assert!(
            !matches!(event, NetworkEvent::BlockAnnounce { .. }),
            "garbage delivered: {event:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_over_the_peers_rate_is_ignored_and_penalised() {
    init_tracing();
    let seed = random_genesis();
    let mut a = spawn(seed, 2, |c| {
        c.gossip_rate = echonet_network::RateLimit {
            per_second: 1,
            burst: 2,
        }
    })
    .await;
    let boot = a.addr.clone();
    let b = spawn(seed, 2, |c| c.boot_nodes = vec![boot]).await;
    wait_connected(&a.handle, b.peer_id).await;

    let mut round = 0u32;
    let handle = a.handle.clone();
    wait_until("A to penalise B's flood", || {
        round += 1;
        for i in 0..10u32 {
            b.handle.gossip_finality((round, i).encode());
        }
        let handle = handle.clone();
        let b_id = b.peer_id;
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let info = peer_info(&handle, b_id).await?;
            (info.reputation <= rep::GOSSIP_FLOOD.value).then_some(())
        }
    })
    .await;
    let ignored = metric(
        &a.registry,
        "echonet_network_gossip_messages_total",
        &[("topic", "finality"), ("kind", "ignored")],
    );
    assert!(ignored >= 1.0);
    let mut delivered = 0.0;
    while let Ok(event) = a.events.try_recv() {
        if matches!(event, NetworkEvent::Finality { .. }) {
            delivered += 1.0;
        }
    }
    // Counted as received before being delivered or ignored: the ignored ones never
    // reached the node.
    let received = metric(
        &a.registry,
        "echonet_network_gossip_messages_total",
        &[("topic", "finality"), ("kind", "received")],
    );
    assert!(
        delivered + ignored <= received,
        "{delivered} + {ignored} > {received}"
    );
}
