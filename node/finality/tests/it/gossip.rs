//! What a voter does with finality gossip that brings nothing new: replayed votes, votes
//! outside its round window, votes of another set. It drops them before any signature
//! check, on cheap grounds, and a message that held no new vote costs its sender.

use crate::voters::{Net, NAMES};
use codec::{Decode, Encode};
use echonet_finality::{
    messages::{GossipMessage, SignedMessage},
    MessageVerdict, Misbehavior,
};
use finality_grandpa::{Message, Prevote};
use sp_core::{Pair, H256};
use sp_keyring::Ed25519Keyring;
use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

const CHECKS: &str = "echonet_finality_grandpa_signature_checks_total";
const ROUND: &str = "substrate_finality_grandpa_round";
/// The peer the test's messages come from (not one of the four nodes).
const STRANGER: usize = 7;

/// The votes the nodes gossiped one by one, by round.
fn gossiped_votes(net: &Net) -> BTreeMap<u64, Vec<SignedMessage>> {
    let mut out: BTreeMap<u64, Vec<SignedMessage>> = BTreeMap::new();
    for data in net.hub.log.lock().iter() {
        if let Ok(GossipMessage::Vote {
            round,
            set_id: 0,
            message,
        }) = GossipMessage::decode(&mut &data[..])
        {
            let votes = out.entry(round).or_default();
            if !votes.contains(&message) {
                votes.push(message);
            }
        }
    }
    out
}

/// A prevote for `target` in `round` of set 0, signed by `who` (or, when `forged`, signed
/// by another key under `who`'s name).
fn prevote(who: Ed25519Keyring, round: u64, target: (H256, u32), forged: bool) -> SignedMessage {
    let message = Message::Prevote(Prevote::new(target.0, target.1));
    let payload = sp_consensus_grandpa::localized_payload(round, 0, &message);
    let signer = if forged { Ed25519Keyring::Ferdie } else { who };
    SignedMessage {
        message,
        signature: signer.pair().sign(&payload).into(),
        id: who.public().into(),
    }
}

fn round_votes(round: u64, set_id: u64, votes: Vec<SignedMessage>, nonce: u64) -> Vec<u8> {
    GossipMessage::RoundVotes {
        round,
        set_id,
        votes,
        nonce,
    }
    .encode()
}

/// Waits until node `i` has checked no signature for a while (its queue is drained), and
/// returns its count of checks.
async fn settled_checks(net: &Net, i: usize) -> f64 {
    let start = Instant::now();
    let mut last = net.metric(i, CHECKS);
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = net.metric(i, CHECKS);
        if now == last {
            return now;
        }
        last = now;
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "node {i} keeps checking signatures"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_and_useless_votes_are_dropped_before_any_signature_check() {
    let mut net = Net::new();
    for i in 0..4 {
        net.start(i).await;
    }
    let (_, best) = net.produce(2);
    net.wait_finalized(&[0, 1, 2, 3], best).await;
    // Rounds go on without new blocks: wait until Alice (node 0) has a few behind her.
    let start = Instant::now();
    while net.metric(0, ROUND) < 7.0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "rounds do not advance"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Alone, Alice's round cannot complete: nothing she is sent but the test's messages
    // makes her check a signature from now on.
    for i in 1..4 {
        net.stop(i).await;
    }
    let checks = settled_checks(&net, 0).await;
    let round = net.metric(0, ROUND) as u64;
    let votes = gossiped_votes(&net);
    let target = {
        let info = net.nodes_client(0).info();
        (info.finalized_hash, info.finalized_number)
    };

    // Every vote of every round the others gossiped, each round replayed in full (as
    // many votes as a message may carry) under a fresh nonce: the rounds in Alice's window
    // hold only votes she has, the older ones are outside the window.
    let mut replayed = 0;
    for (r, round_votes_heard) in &votes {
        let full: Vec<SignedMessage> = round_votes_heard
            .iter()
            .cycle()
            .take(6 * NAMES.len())
            .cloned()
            .collect();
        for nonce in [1, 2] {
            let verdict = net
                .inject(0, STRANGER, round_votes(*r, 0, full.clone(), nonce))
                .await;
            assert_eq!(
                net.metric(0, CHECKS),
                checks,
                "replaying round {r} (Alice is in round {round}) cost signature checks"
            );
            assert_eq!(
                verdict,
                MessageVerdict::NoNewVotes,
                "a replay of round {r} (Alice is in round {round})"
            );
            replayed += 1;
        }
    }
    assert!(
        replayed >= 8,
        "only {replayed} replays: too few rounds heard"
    );
    assert!(
        votes.keys().any(|r| r + 3 < round),
        "no round outside the window was replayed: {:?}, Alice in {round}",
        votes.keys().collect::<Vec<_>>()
    );

    // Votes of a set other than hers, and votes too far ahead of her round: dropped
    // unchecked, without a penalty (it is she who may be behind).
    let (latest, latest_votes) = votes.iter().next_back().expect("votes were gossiped");
    assert_eq!(
        net.inject(
            0,
            STRANGER,
            round_votes(*latest, 1, latest_votes.clone(), 3)
        )
        .await,
        MessageVerdict::Ignore
    );
    let ahead = prevote(Ed25519Keyring::Bob, round + 3, target, false);
    let ahead_message = GossipMessage::Vote {
        round: round + 3,
        set_id: 0,
        message: ahead,
    };
    assert_eq!(
        net.inject(0, STRANGER, ahead_message.encode()).await,
        MessageVerdict::Ignore
    );
    assert_eq!(net.metric(0, CHECKS), checks, "dropped votes were checked");

    // The count is honest: a vote new to Alice is checked once and accepted, and so is a
    // forgery in a new voter's name, which is rejected.
    let new_round = round + 1;
    let fresh = NAMES[1..]
        .iter()
        .map(|(_, ed)| *ed)
        .find(|ed| {
            let id: sp_consensus_grandpa::AuthorityId = ed.public().into();
            votes
                .get(&new_round)
                .is_none_or(|vs| vs.iter().all(|v| v.id != id))
        })
        .expect("a voter that has not voted in the next round");
    let vote = GossipMessage::Vote {
        round: new_round,
        set_id: 0,
        message: prevote(fresh, new_round, target, false),
    };
    assert_eq!(
        net.inject(0, STRANGER, vote.encode()).await,
        MessageVerdict::Accept
    );
    assert_eq!(net.metric(0, CHECKS), checks + 1.0);
    // Replayed, it is no news, and costs nothing to drop.
    assert_eq!(
        net.inject(
            0,
            STRANGER,
            round_votes(new_round, 0, vec![vote_of(&vote)], 4)
        )
        .await,
        MessageVerdict::NoNewVotes
    );
    assert_eq!(net.metric(0, CHECKS), checks + 1.0);
    let forged = GossipMessage::Vote {
        round: new_round + 1,
        set_id: 0,
        message: prevote(fresh, new_round + 1, target, true),
    };
    assert_eq!(
        net.inject(0, STRANGER, forged.encode()).await,
        MessageVerdict::Reject(Misbehavior::BadSignature)
    );
    assert_eq!(net.metric(0, CHECKS), checks + 2.0);
    net.shutdown().await;
}

fn vote_of(message: &GossipMessage) -> SignedMessage {
    match message {
        GossipMessage::Vote { message, .. } => message.clone(),
        other => panic!("not a vote: {other:?}"),
    }
}
