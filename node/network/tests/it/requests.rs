//! Block and justification requests against a real chain client, and the limits that protect
//! a server: request rates, oversized and undecodable requests.

use crate::common::*;
use codec::Encode;
use echonet_client::Client;
use echonet_network::{
    rep, BlockData, BlockFields, BlockId, BlockRequest, BlockTransactionsRequest,
    BlockTransactionsResponse, Direction, NetworkEvent, RateLimit, Refusal, RequestError,
    MAX_BLOCK_REQUEST_SIZE, MAX_BLOCK_TRANSACTIONS_REQUEST_SIZE,
};
use echonet_test_utils::{open_dev_client_at, past_slot, ClientChain, NewBlock};
use sp_core::H256;
use sp_runtime::Justifications;
use std::sync::Arc;

/// A dev chain with `n` blocks authored by Alice; block `n` finalized with a justification.
fn chain_with_blocks(dir: &std::path::Path, n: u32) -> Arc<Client> {
    let client = open_dev_client_at(dir);
    let base = past_slot(10_000);
    for i in 0..n {
        NewBlock::new(&client, base + i as u64).import();
    }
    let best = client.info().best_hash;
    client
        .finalize_block(best, Some((*b"FRNK", b"proof".to_vec())))
        .unwrap();
    client
}

fn numbers(blocks: &[BlockData]) -> Vec<u32> {
    blocks
        .iter()
        .map(|b| b.header.as_ref().expect("header asked for").number)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_by_range_and_hash_and_justifications_from_a_real_chain() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let client = tokio::task::spawn_blocking({
        let path = dir.path().to_path_buf();
        move || chain_with_blocks(&path, 5)
    })
    .await
    .unwrap();
    let provider = Arc::new(ClientChain(client.clone()));
    let server = spawn_with(provider, |_| {}).await;
    // The requesting node needs the same genesis only; it shares the server's client.
    let boot = server.addr.clone();
    let client_node = spawn_with(Arc::new(ClientChain(client.clone())), |c| {
        c.boot_nodes = vec![boot]
    })
    .await;
    let info = wait_connected(&client_node.handle, server.peer_id).await;
    assert_eq!(info.status.best_number, 5);
    assert_eq!(info.status.finalized_number, 5);

    let net = &client_node.handle;
    let up = net
        .request_blocks(
            server.peer_id,
            BlockRequest {
                from: BlockId::Number(1),
                direction: Direction::Ascending,
                max: 3,
                fields: BlockFields::HEADER_AND_BODY,
            },
        )
        .await
        .unwrap();
    assert_eq!(numbers(&up), vec![1, 2, 3]);
    for block in &up {
        let header = block.header.as_ref().unwrap();
        assert_eq!(block.hash, header.hash());
        assert_eq!(
            block.body.as_ref(),
            client.body(block.hash).unwrap().as_ref()
        );
        assert!(
            !block.body.as_ref().unwrap().is_empty(),
            "timestamp inherent"
        );
        assert!(block.justifications.is_none());
    }

    let best = client.info().best_hash;
    let down = net
        .request_blocks(
            server.peer_id,
            BlockRequest {
                from: BlockId::Hash(best),
                direction: Direction::Descending,
                max: 0,
                fields: BlockFields::ALL,
            },
        )
        .await
        .unwrap();
    assert_eq!(numbers(&down), vec![5, 4, 3, 2, 1, 0]);
    assert_eq!(
        down[0].justifications,
        Some(Justifications::from((*b"FRNK", b"proof".to_vec())))
    );
    for pair in down.windows(2) {
        assert_eq!(pair[0].header.as_ref().unwrap().parent_hash, pair[1].hash);
    }

    let by_hash = net
        .request_blocks(
            server.peer_id,
            BlockRequest {
                from: BlockId::Hash(up[1].hash),
                direction: Direction::Ascending,
                max: 1,
                fields: BlockFields {
                    header: true,
                    body: false,
                    justification: false,
                },
            },
        )
        .await
        .unwrap();
    assert_eq!(numbers(&by_hash), vec![2]);
    assert!(by_hash[0].body.is_none());

    let unknown = net
        .request_blocks(
            server.peer_id,
            BlockRequest {
                from: BlockId::Hash(H256::repeat_byte(9)),
                direction: Direction::Ascending,
                max: 10,
                fields: BlockFields::ALL,
            },
        )
        .await
        .unwrap();
    assert!(unknown.is_empty());

    assert_eq!(
        net.request_justification(server.peer_id, best)
            .await
            .unwrap(),
        Some(Justifications::from((*b"FRNK", b"proof".to_vec())))
    );
    assert_eq!(
        net.request_justification(server.peer_id, up[0].hash)
            .await
            .unwrap(),
        None
    );

    // Requests to a peer we are not connected to fail at once.
    assert_eq!(
        net.request_blocks(
            echonet_network::PeerId::random(),
            BlockRequest {
                from: BlockId::Number(0),
                direction: Direction::Ascending,
                max: 1,
                fields: BlockFields::ALL,
            },
        )
        .await,
        Err(RequestError::NotConnected)
    );

    for (registry, direction, result) in [
        (&server.registry, "in", "served"),
        (&client_node.registry, "out", "ok"),
    ] {
        assert!(
            metric(
                registry,
                "echonet_network_requests_total",
                &[
                    ("protocol", "blocks"),
                    ("direction", direction),
                    ("result", result)
                ]
            ) >= 4.0
        );
    }
    assert!(
        metric(
            &server.registry,
            "substrate_sub_libp2p_network_bytes_total",
            &[("direction", "out"), ("protocol", "blocks")]
        ) > 0.0
    );
    assert!(
        metric(
            &client_node.registry,
            "substrate_sub_libp2p_network_bytes_total",
            &[("direction", "in"), ("protocol", "blocks")]
        ) > 0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_over_the_rate_are_refused_and_penalised() {
    init_tracing();
    let seed = random_genesis();
    let server = spawn(seed, 10, |c| {
        c.request_rate = RateLimit {
            per_second: 1,
            burst: 3,
        }
    })
    .await;
    let boot = server.addr.clone();
    let client = spawn(seed, 1, |c| c.boot_nodes = vec![boot]).await;
    wait_connected(&client.handle, server.peer_id).await;
    let request = BlockRequest {
        from: BlockId::Number(0),
        direction: Direction::Ascending,
        max: 2,
        fields: BlockFields::HEADER_AND_BODY,
    };
    let results = futures::future::join_all(
        (0..10).map(|_| client.handle.request_blocks(server.peer_id, request)),
    )
    .await;
    let served = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| **r == Err(RequestError::Refused(Refusal::TooManyRequests)))
        .count();
    assert!(served >= 1, "{results:?}");
    assert!(refused >= 5, "{results:?}");
    assert_eq!(served + refused, 10, "{results:?}");

    let info = wait_connected(&server.handle, client.peer_id).await;
    assert!(
        info.reputation <= rep::TOO_MANY_REQUESTS.value * 4,
        "reputation {}",
        info.reputation
    );
    assert!(
        metric(
            &server.registry,
            "echonet_network_requests_total",
            &[
                ("protocol", "blocks"),
                ("direction", "in"),
                ("result", "refused")
            ]
        ) >= 5.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_undecodable_requests_are_penalised() {
    init_tracing();
    let mut node = spawn(random_genesis(), 3, |_| {}).await;
    let rogue = Rogue::spawn(node.genesis, node.addr.clone());
    let rogue_id = rogue.peer_id;
    next_event(&mut node.events, "the rogue's handshake", |e| match e {
        NetworkEvent::PeerConnected { peer, .. } if *peer == rogue_id => Some(()),
        _ => None,
    })
    .await;

    // A well-formed request, to check that the rogue speaks the protocol at all.
    let ok = BlockRequest {
        from: BlockId::Number(0),
        direction: Direction::Ascending,
        max: 1,
        fields: BlockFields::ALL,
    };
    let response = rogue
        .request_blocks(node.peer_id, ok.encode())
        .await
        .unwrap();
    let decoded: Result<Vec<BlockData>, Refusal> =
        codec::Decode::decode(&mut &response[..]).unwrap();
    assert_eq!(decoded.unwrap().len(), 1);
    assert_eq!(
        peer_info(&node.handle, rogue_id).await.unwrap().reputation,
        0
    );

    // Larger than any block request may be: no answer, and the sender is penalised.
    let oversized = vec![0u8; MAX_BLOCK_REQUEST_SIZE + 1];
    let answer = rogue.request_blocks(node.peer_id, oversized).await;
    assert!(answer.map_or(true, |a| a.is_empty()), "no answer");
    let handle = node.handle.clone();
    wait_until("the oversized request's penalty", || async {
        let info = peer_info(&handle, rogue_id).await?;
        (info.reputation <= rep::MALFORMED_MESSAGE.value / 2).then_some(())
    })
    .await;

    // Undecodable (and within the size limit): penalised again.
    let before = peer_info(&node.handle, rogue_id).await.unwrap().reputation;
    let answer = rogue.request_blocks(node.peer_id, vec![7, 7, 7]).await;
    assert!(answer.map_or(true, |a| a.is_empty()), "no answer");
    wait_until("the undecodable request's penalty", || async {
        let info = peer_info(&handle, rogue_id).await?;
        (info.reputation < before + rep::MALFORMED_MESSAGE.value / 2).then_some(())
    })
    .await;
    assert!(
        metric(
            &node.registry,
            "echonet_network_reputation_changes_total",
            &[("reason", "malformed message")]
        ) >= 2.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_extrinsics_are_served_by_position_and_bad_requests_are_penalised() {
    init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let client = tokio::task::spawn_blocking({
        let path = dir.path().to_path_buf();
        move || chain_with_blocks(&path, 2)
    })
    .await
    .unwrap();
    let block = client.hash(2).unwrap().unwrap();
    let body = client.body(block).unwrap().unwrap();
    let mut node = spawn_with(Arc::new(ClientChain(client.clone())), |_| {}).await;
    let rogue = Rogue::spawn(node.genesis, node.addr.clone());
    let rogue_id = rogue.peer_id;
    next_event(&mut node.events, "the rogue's handshake", |e| match e {
        NetworkEvent::PeerConnected { peer, .. } if *peer == rogue_id => Some(()),
        _ => None,
    })
    .await;
    let ask = |positions: Vec<u32>| BlockTransactionsRequest { block, positions }.encode();
    let decode = |bytes: Vec<u8>| -> BlockTransactionsResponse {
        codec::Decode::decode(&mut &bytes[..]).unwrap()
    };

    // Honest requests: what is there, and `None` for positions past the end or a block
    // the server lacks. None of it costs anything.
    let answer = rogue
        .request_block_transactions(node.peer_id, ask(vec![0]))
        .await
        .unwrap();
    assert_eq!(decode(answer), Ok(Some(vec![body[0].clone()])));
    let past_end = rogue
        .request_block_transactions(node.peer_id, ask(vec![0, body.len() as u32]))
        .await
        .unwrap();
    assert_eq!(decode(past_end), Ok(None));
    let unknown = BlockTransactionsRequest {
        block: H256::repeat_byte(9),
        positions: vec![0],
    };
    let answer = rogue
        .request_block_transactions(node.peer_id, unknown.encode())
        .await
        .unwrap();
    assert_eq!(decode(answer), Ok(None));
    assert_eq!(
        peer_info(&node.handle, rogue_id).await.unwrap().reputation,
        0
    );

    // Positions not strictly increasing (asking one extrinsic many times): no answer, and
    // a penalty.
    let answer = rogue
        .request_block_transactions(node.peer_id, ask(vec![0, 0, 0]))
        .await;
    assert!(answer.map_or(true, |a| a.is_empty()), "no answer");
    let handle = node.handle.clone();
    wait_until("the malformed request's penalty", || async {
        let info = peer_info(&handle, rogue_id).await?;
        (info.reputation <= rep::MALFORMED_MESSAGE.value / 2).then_some(())
    })
    .await;

    // Larger than any such request may be: no answer, penalised again.
    let before = peer_info(&node.handle, rogue_id).await.unwrap().reputation;
    let oversized = vec![0u8; MAX_BLOCK_TRANSACTIONS_REQUEST_SIZE + 1];
    let answer = rogue
        .request_block_transactions(node.peer_id, oversized)
        .await;
    assert!(answer.map_or(true, |a| a.is_empty()), "no answer");
    wait_until("the oversized request's penalty", || async {
        let info = peer_info(&handle, rogue_id).await?;
        (info.reputation < before + rep::MALFORMED_MESSAGE.value / 2).then_some(())
    })
    .await;
    assert!(
        metric(
            &node.registry,
            "echonet_network_requests_total",
            &[
                ("protocol", "block-txs"),
                ("direction", "in"),
                ("result", "malformed")
            ]
        ) >= 2.0
    );
}
