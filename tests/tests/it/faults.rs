//! A four-validator network under faults: validators crash and come back, the network
//! splits in two and heals, and a peer sends invalid blocks. Blocks and finality behave as
//! GRANDPA and Aura promise, and no two nodes ever finalize different blocks at one height.

use echonet_client::ChainSpec;
use echonet_tests::{
    node::Node,
    rogue::{Forgery, Rogue},
    rpc,
    testnet::{assert_one_finalized_chain, best, finalized, set_blocked_peers},
    Testnet, BLOCK_TIMEOUT,
};
use jsonrpsee::http_client::HttpClient;
use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

/// The finalized heights of the running nodes.
async fn finalized_heights(net: &mut Testnet) -> BTreeMap<usize, u32> {
    let mut out = BTreeMap::new();
    for (i, c) in net.running() {
        out.insert(i, finalized(&c).await.0);
    }
    out
}

/// Waits until every running node's best block is above `number`.
async fn all_best_above(net: &mut Testnet, number: u32, limit: Duration) {
    net.wait_all(
        &format!("every best block above #{number}"),
        limit,
        |_, c| async move {
            let n = best(&c).await.number;
            if n > number {
                Ok(())
            } else {
                Err(format!("best #{n}"))
            }
        },
    )
    .await;
}

/// Waits until every running node has finalized above `number`.
async fn all_finalized_above(net: &mut Testnet, number: u32, limit: Duration) {
    net.wait_all(
        &format!("every node finalized above #{number}"),
        limit,
        |_, c| async move {
            let (n, _) = finalized(&c).await;
            if n > number {
                Ok(())
            } else {
                Err(format!("finalized #{n}"))
            }
        },
    )
    .await;
}

/// The highest best block among the running nodes.
async fn highest_best(net: &mut Testnet) -> u32 {
    let mut top = 0;
    for (_, c) in net.running() {
        top = top.max(best(&c).await.number);
    }
    top
}

/// Waits until every running node's best block has grown by `blocks` past `from`; checks
/// meanwhile that finality does not go beyond `max_finalized` (when given).
async fn blocks_continue(
    net: &mut Testnet,
    from: u32,
    blocks: u32,
    max_finalized: Option<u32>,
    limit: Duration,
) {
    let deadline = Instant::now() + limit;
    loop {
        let mut done = true;
        for (i, c) in net.running() {
            let b = best(&c).await.number;
            done &= b >= from + blocks;
            if let Some(max) = max_finalized {
                let (f, _) = finalized(&c).await;
                assert!(
                    f <= max,
                    "node {i} finalized #{f} while finality should stall at #{max} or below"
                );
            }
        }
        if done {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the chain did not grow by {blocks} blocks past #{from} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_crash_and_restart_blocks_go_on_finality_stalls_and_resumes() {
    let mut net = Testnet::local_validators().start().await;
    all_finalized_above(&mut net, 1, 4 * BLOCK_TIMEOUT).await;

    // One of four down: blocks and finality continue (3 of 4 votes > 2/3).
    net.nodes[3].kill9();
    let top = highest_best(&mut net).await;
    let fin = *finalized_heights(&mut net)
        .await
        .values()
        .max()
        .unwrap_or(&0);
    blocks_continue(&mut net, top, 3, None, 4 * BLOCK_TIMEOUT).await;
    all_finalized_above(&mut net, fin + 1, 4 * BLOCK_TIMEOUT).await;

    // Two of four down: blocks continue (in the two live validators' slots), finality
    // stalls (2 of 4 votes).
    net.nodes[2].kill9();
    // A round already under way may still finish: measure once a block has passed.
    let top = highest_best(&mut net).await;
    blocks_continue(&mut net, top, 1, None, 4 * BLOCK_TIMEOUT).await;
    let stalled_at = *finalized_heights(&mut net)
        .await
        .values()
        .max()
        .unwrap_or(&0);
    let top = highest_best(&mut net).await;
    blocks_continue(&mut net, top, 4, Some(stalled_at), 8 * BLOCK_TIMEOUT).await;
    assert_one_finalized_chain(&net.running()).await;

    // Both come back: they catch up, and finality resumes past the stall on every node.
    net.restart(2).await;
    net.restart(3).await;
    let top = highest_best(&mut net).await;
    all_best_above(&mut net, top, 4 * BLOCK_TIMEOUT).await;
    all_finalized_above(&mut net, top, 6 * BLOCK_TIMEOUT).await;
    assert_one_finalized_chain(&net.running()).await;
    for node in &mut net.nodes {
        node.assert_running();
        node.assert_no_panic();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_two_partition_finalizes_nothing_and_heals_into_one_chain() {
    let mut net = Testnet::local_validators()
        .args(["--dev-test-switches"])
        .start()
        .await;
    all_finalized_above(&mut net, 1, 4 * BLOCK_TIMEOUT).await;
    let mut ids = Vec::new();
    for node in &net.nodes {
        ids.push(node.peer_id().await);
    }
    let clients: Vec<HttpClient> = net.nodes.iter().map(Node::http).collect();

    // Alice and Bob on one side, Charlie and Dave on the other.
    let sides = [[0usize, 1], [2, 3]];
    for (side, other) in [(sides[0], sides[1]), (sides[1], sides[0])] {
        let blocked: Vec<String> = other.iter().map(|i| ids[*i].clone()).collect();
        for i in side {
            set_blocked_peers(&clients[i], &blocked).await;
        }
    }
    net.wait_all(
        "the sides lost each other",
        2 * BLOCK_TIMEOUT,
        |_, c| async move {
            let peers = echonet_tests::testnet::health(&c).await["peers"]
                .as_u64()
                .unwrap_or(99);
            if peers == 1 {
                Ok(())
            } else {
                Err(format!("{peers} peers"))
            }
        },
    )
    .await;

    // Each side builds its own chain (two of four slots each); neither finalizes (a round
    // under way at the split may still finish: measure once a block has passed).
    let top = highest_best(&mut net).await;
    blocks_continue(&mut net, top, 1, None, 4 * BLOCK_TIMEOUT).await;
    let stalled_at = *finalized_heights(&mut net)
        .await
        .values()
        .max()
        .unwrap_or(&0);
    let top = highest_best(&mut net).await;
    blocks_continue(&mut net, top, 3, Some(stalled_at), 8 * BLOCK_TIMEOUT).await;
    let height = best(&clients[0])
        .await
        .number
        .min(best(&clients[2]).await.number);
    let left = rpc::block_hash(&clients[0], height).await;
    let right = rpc::block_hash(&clients[2], height).await;
    assert_ne!(left, right, "the two sides did not fork at #{height}");
    assert_one_finalized_chain(&net.running()).await;

    // Heal: one best chain for all, and finality resumes on it.
    for c in &clients {
        set_blocked_peers(c, &[]).await;
    }
    let top = highest_best(&mut net).await;
    all_finalized_above(&mut net, top, 8 * BLOCK_TIMEOUT).await;
    assert_one_finalized_chain(&net.running()).await;
    let common = finalized(&clients[0]).await.0;
    let hash = rpc::block_hash(&clients[0], common).await;
    for c in &clients[1..] {
        assert_eq!(rpc::block_hash(c, common).await, hash);
    }
    for node in &mut net.nodes {
        node.assert_running();
        node.assert_no_panic();
    }
}

/// Counter or gauge value from the node's Prometheus text, summed over the series whose
/// labels include `labels`.
pub(crate) async fn metric(node: &Node, name: &str, labels: &[(&str, &str)]) -> f64 {
    let resp = echonet_tests::raw::http_get(
        node.prometheus_addr(),
        "/metrics",
        echonet_tests::RPC_TIMEOUT,
    )
    .await
    .expect("GET /metrics");
    resp.text()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter(|(series, _)| {
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|(_, v)| v.parse::<f64>().ok())
        .sum()
}

pub(crate) async fn wait_metric(node: &Node, name: &str, labels: &[(&str, &str)], at_least: f64) {
    let deadline = Instant::now() + 2 * BLOCK_TIMEOUT;
    loop {
        let v = metric(node, name, labels).await;
        if v >= at_least {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name}{labels:?} stayed at {v}, expected at least {at_least}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_sends_invalid_blocks_is_rejected_penalised_and_banned() {
    // Alice alone on the local chain: she authors her slots (forced: she has no peer but
    // the rogue), and nothing is finalized (one GRANDPA voter of four), so that every
    // forgery on her best block is a candidate that must be executed to be refused. The
    // rogue seals with the dev keys, which everyone knows.
    let node = Node::builder("victim")
        .args(["--chain", "local", "--alice", "--force-authoring", "--tmp"])
        .prometheus()
        .start()
        .await;
    let http = node.http();
    rpc::wait_for_best_above(&http, 0, 3 * BLOCK_TIMEOUT).await;
    let spec = ChainSpec::local_testnet().expect("the local spec");
    let rogue = Rogue::connect(spec, &node.multiaddr().await).await;
    let victim_id: echonet_network::PeerId = node.peer_id().await.parse().expect("a peer id");
    rogue.wait_connected(&victim_id, BLOCK_TIMEOUT).await;
    rogue.copy_chain_of(&victim_id).await;

    // A block sealed by the slot's owner whose state root is a lie: it fails execution.
    let bad = rogue.forge(Forgery::BadStateRoot, 1).await;
    rogue.announce(&bad);
    wait_metric(&node, "echonet_sync_bad_blocks_total", &[], 1.0).await;
    wait_metric(
        &node,
        "echonet_network_reputation_changes_total",
        &[("reason", "bad block")],
        1.0,
    )
    .await;
    let header: Option<serde_json::Value> =
        rpc::call(&http, "chain_getHeader", jsonrpsee::rpc_params![bad.hash()]).await;
    assert!(header.is_none(), "the invalid block is in the chain");
    assert!(
        rogue.is_connected_to(&victim_id).await,
        "one bad block is a penalty, not a ban"
    );

    // Three more, sealed by someone who does not own the slot: banned (three bad blocks
    // in a row are below the ban threshold whatever the first one decayed to).
    for salt in [2, 3, 4] {
        let forged = rogue.forge(Forgery::WrongAuthor, salt).await;
        rogue.announce(&forged);
    }
    wait_metric(&node, "echonet_network_peers_banned_total", &[], 1.0).await;
    let deadline = Instant::now() + BLOCK_TIMEOUT;
    while rogue.is_connected_to(&victim_id).await {
        assert!(
            Instant::now() < deadline,
            "the banned rogue is still connected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bad_blocks = metric(&node, "echonet_sync_bad_blocks_total", &[]).await;
    assert!(
        (3.0..=4.0).contains(&bad_blocks),
        "{bad_blocks} bad blocks counted (the ban may cut off the last one)"
    );
    // The victim carries on.
    let now = best(&http).await.number;
    rpc::wait_for_best_above(&http, now, BLOCK_TIMEOUT).await;
    node.assert_no_panic();
}

/// Finality gossip messages a node has received.
async fn finality_received(node: &Node) -> f64 {
    metric(
        node,
        "echonet_network_gossip_messages_total",
        &[("topic", "finality"), ("kind", "received")],
    )
    .await
}

/// The p-th percentile (0 < p <= 100) of `samples`, nearest-rank.
fn percentile(samples: &mut [u32], p: usize) -> u32 {
    samples.sort_unstable();
    let rank = (samples.len() * p).div_ceil(100).max(1);
    samples[rank - 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_replaying_grandpa_votes_at_the_gossip_rate_does_not_stall_finality() {
    // How long the replay runs while the lag is sampled: eight blocks.
    const ATTACK: Duration = Duration::from_secs(16);
    let mut net = Testnet::local_validators().prometheus().start().await;
    all_finalized_above(&mut net, 1, 4 * BLOCK_TIMEOUT).await;

    // The rogue joins every validator and records the votes they gossip.
    let mut targets = Vec::new();
    let mut ids = Vec::new();
    for node in &net.nodes {
        targets.push(node.multiaddr().await);
        ids.push(
            node.peer_id()
                .await
                .parse::<echonet_network::PeerId>()
                .expect("a peer id"),
        );
    }
    let spec = ChainSpec::local_testnet().expect("the local spec");
    let rogue = Rogue::connect_to(spec, &targets).await;
    for id in &ids {
        rogue.wait_connected(id, BLOCK_TIMEOUT).await;
    }
    rogue.wait_heard_votes(BLOCK_TIMEOUT).await;

    // It replays them as fast as the validators' gossip rate lets one peer send (a little
    // under it, so that the network does not throttle it: the attack is on GRANDPA).
    let gossip_rate = echonet_network::NetworkConfig::new(
        Default::default(),
        echonet_network::Keypair::generate_ed25519(),
    )
    .gossip_rate
    .per_second;
    let rate = gossip_rate * 9 / 10;
    let mut received_before = Vec::new();
    for node in &net.nodes {
        received_before.push(finality_received(node).await);
    }
    let replay = rogue.replay_votes(rate, net.len());

    // Finality lag (best - finalized) on every validator, twice a slot.
    let mut lags = Vec::new();
    let until = Instant::now() + ATTACK;
    while Instant::now() < until {
        for (_, c) in net.running() {
            let best = best(&c).await.number;
            let (fin, _) = finalized(&c).await;
            lags.push(best.saturating_sub(fin));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let sent = replay.sent();
    drop(replay);

    // The attack ran: each validator took in at least four seconds of it (a validator
    // may ban the rogue before the end).
    for (i, node) in net.nodes.iter().enumerate() {
        let got = finality_received(node).await - received_before[i];
        assert!(
            got >= f64::from(rate) * 4.0,
            "{} received {got} finality messages while the rogue sent {sent}",
            node.label()
        );
    }
    let p95 = percentile(&mut lags.clone(), 95);
    eprintln!("{sent} messages replayed; finality lag p95 {p95}; lags {lags:?}");
    assert!(
        p95 <= 3,
        "finality lag under replayed votes: p95 {p95} blocks (at most 3 expected); \
         {sent} messages replayed; lags {lags:?}"
    );
    // Each replayed message cost the rogue reputation.
    for node in &net.nodes {
        wait_metric(
            node,
            "echonet_network_reputation_changes_total",
            &[("reason", "GRANDPA message without a new vote")],
            1.0,
        )
        .await;
    }
    assert_one_finalized_chain(&net.running()).await;
    for node in &mut net.nodes {
        node.assert_running();
        node.assert_no_panic();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_claims_to_be_ahead_and_serves_nothing_does_not_halt_the_chain() {
    let mut net = Testnet::local_validators().start().await;
    all_finalized_above(&mut net, 0, 4 * BLOCK_TIMEOUT).await;
    let mut targets = Vec::new();
    let mut ids = Vec::new();
    for node in &net.nodes {
        targets.push(node.multiaddr().await);
        ids.push(
            node.peer_id()
                .await
                .parse::<echonet_network::PeerId>()
                .expect("a peer id"),
        );
    }
    // One block ahead of everyone, in its handshake with each validator; every block
    // request it gets goes unanswered or is refused as busy.
    let top = highest_best(&mut net).await;
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    let spec = ChainSpec::local_testnet().expect("the local spec");
    let rogue = Rogue::connect_lying(spec, &targets, top + 1).await;
    for id in &ids {
        rogue.wait_connected(id, BLOCK_TIMEOUT).await;
    }
    let fin = *finalized_heights(&mut net)
        .await
        .values()
        .min()
        .unwrap_or(&0);
    // And it keeps claiming to be one ahead, with headers nobody can check without it.
    let announcer = tokio::spawn({
        let rogue = std::sync::Arc::new(rogue);
        async move {
            let mut salt = 0u8;
            loop {
                rogue.announce_one_ahead(salt).await;
                salt = salt.wrapping_add(1);
                tokio::time::sleep(Duration::from_millis(700)).await;
            }
        }
    });
    // Blocks go on at about one per 2 s slot, and finality with them.
    blocks_continue(&mut net, top, 6, None, Duration::from_secs(25)).await;
    all_finalized_above(&mut net, fin + 3, BLOCK_TIMEOUT).await;
    announcer.abort();
    assert_one_finalized_chain(&net.running()).await;
    for node in &mut net.nodes {
        node.assert_running();
        node.assert_no_panic();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_serves_a_bad_justification_pays_for_it() {
    // Alice alone on the local chain: she authors (forced), nothing is finalized (one
    // GRANDPA voter of four), so after a few seconds of stalled finality she asks her only
    // peer, the rogue, for the justifications of the blocks above her finalized one.
    let node = Node::builder("victim")
        .args(["--chain", "local", "--alice", "--force-authoring", "--tmp"])
        .prometheus()
        .start()
        .await;
    let http = node.http();
    let spec = ChainSpec::local_testnet().expect("the local spec");
    let rogue = Rogue::connect(spec, &node.multiaddr().await).await;
    rogue.serve_garbage_justifications();
    let victim_id: echonet_network::PeerId = node.peer_id().await.parse().expect("a peer id");
    rogue.wait_connected(&victim_id, BLOCK_TIMEOUT).await;
    wait_metric(
        &node,
        "echonet_network_reputation_changes_total",
        &[("reason", "bad justification")],
        1.0,
    )
    .await;
    assert_eq!(
        finalized(&http).await.0,
        0,
        "a garbage justification finalized"
    );
    node.assert_no_panic();
}
