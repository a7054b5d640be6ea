//! Target `grandpa_gossip`: messages on the finality topic, fed to the finality worker as
//! the network delivers them (`echonet_finality::start` on a dev chain, with the messages on
//! its incoming channel), so that every check the worker runs on a peer's message is
//! exercised: size, digest deduplication, depth-limited decode, set and round, signer,
//! signature, and the voter's handling of what passes.
//!
//! Seeds: votes, round-vote bundles, commits and catch-ups signed by the dev chain's
//! GRANDPA authority (Alice's ed25519 key) for set 0, and catch-up requests. Properties:
//! no panic; every message gets exactly one verdict, within a deadline (the worker never
//! stalls or stops); a message that does not even decode is never accepted.

use codec::{DecodeAll, Encode};
use echonet_finality::{
    messages::{CatchUp, Commit, GossipMessage, SignedMessage},
    FinalityMessage, FinalityNetwork, GrandpaConfig, GrandpaParams, MessageVerdict,
};
use echonet_fuzz::{fuzz, mutate};
use echonet_test_utils::open_dev_client;
use finality_grandpa::{
    Message, Precommit, Prevote, PrimaryPropose, SignedPrecommit, SignedPrevote,
};
use proptest::{collection::vec, prelude::*};
use sp_consensus_grandpa::{AuthorityId, AuthoritySignature};
use sp_core::{Pair, H256};
use sp_keyring::Ed25519Keyring;
use sp_keystore::testing::MemoryKeystore;
use std::{
    sync::{mpsc, Arc},
    time::Duration,
};

/// How long a message may wait for its verdict.
const VERDICT_DEADLINE: Duration = Duration::from_secs(20);

/// The network as the worker sees it: verdicts go back to the test.
struct Network {
    verdicts: mpsc::Sender<(u64, MessageVerdict)>,
}

impl FinalityNetwork for Network {
    type Peer = u64;
    type MessageId = u64;

    fn gossip(&self, _data: Vec<u8>) {}

    fn report(&self, _peer: u64, message_id: u64, verdict: MessageVerdict) {
        let _ = self.verdicts.send((message_id, verdict));
    }
}

fn sign(message: Message<H256, u32>, round: u64, set_id: u64) -> (AuthoritySignature, AuthorityId) {
    let pair = crate::common::ed25519_pair(Ed25519Keyring::Alice);
    let payload = sp_consensus_grandpa::localized_payload(round, set_id, &message);
    (pair.sign(&payload).into(), AuthorityId::from(pair.public()))
}

fn target(genesis: H256) -> impl Strategy<Value = (H256, u32)> {
    prop_oneof![
        Just((genesis, 0u32)),
        (any::<[u8; 32]>(), 0u32..4).prop_map(|(h, n)| (H256::from(h), n)),
    ]
}

fn vote(genesis: H256, round: u64, set_id: u64) -> impl Strategy<Value = SignedMessage> {
    (0u8..3, target(genesis)).prop_map(move |(stage, (target_hash, target_number))| {
        let message = match stage {
            0 => Message::Prevote(Prevote {
                target_hash,
                target_number,
            }),
            1 => Message::Precommit(Precommit {
                target_hash,
                target_number,
            }),
            _ => Message::PrimaryPropose(PrimaryPropose {
                target_hash,
                target_number,
            }),
        };
        let (signature, id) = sign(message.clone(), round, set_id);
        SignedMessage {
            message,
            signature,
            id,
        }
    })
}

fn message(genesis: H256) -> impl Strategy<Value = GossipMessage> {
    let round_and_set = (0u64..6, prop_oneof![4 => Just(0u64), 1 => any::<u64>()]);
    round_and_set.prop_flat_map(move |(round, set_id)| {
        prop_oneof![
            vote(genesis, round, set_id).prop_map(move |message| GossipMessage::Vote {
                round,
                set_id,
                message
            }),
            (vec(vote(genesis, round, set_id), 0..6), any::<u64>()).prop_map(
                move |(votes, nonce)| GossipMessage::RoundVotes {
                    round,
                    set_id,
                    votes,
                    nonce
                }
            ),
            target(genesis).prop_map(move |(target_hash, target_number)| {
                let precommit = Precommit {
                    target_hash,
                    target_number,
                };
                let (signature, id) = sign(Message::Precommit(precommit.clone()), round, set_id);
                GossipMessage::Commit {
                    round,
                    set_id,
                    commit: Commit {
                        target_hash,
                        target_number,
                        precommits: vec![SignedPrecommit {
                            precommit,
                            signature,
                            id,
                        }],
                    },
                }
            }),
            Just(GossipMessage::CatchUpRequest { round, set_id }),
            target(genesis).prop_map(move |(target_hash, target_number)| {
                let prevote = Prevote {
                    target_hash,
                    target_number,
                };
                let precommit = Precommit {
                    target_hash,
                    target_number,
                };
                let (pv_sig, id) = sign(Message::Prevote(prevote.clone()), round, set_id);
                let (pc_sig, _) = sign(Message::Precommit(precommit.clone()), round, set_id);
                GossipMessage::CatchUp {
                    set_id,
                    catch_up: CatchUp {
                        round_number: round,
                        prevotes: vec![SignedPrevote {
                            prevote,
                            signature: pv_sig,
                            id: id.clone(),
                        }],
                        precommits: vec![SignedPrecommit {
                            precommit,
                            signature: pc_sig,
                            id,
                        }],
                        base_hash: genesis,
                        base_number: 0,
                    },
                }
            }),
        ]
    })
}

#[test]
fn grandpa_gossip() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let client = open_dev_client();
    let genesis = client.info().genesis_hash;
    let (verdict_tx, verdicts) = mpsc::channel();
    let (incoming_tx, incoming) = tokio::sync::mpsc::channel(1024);
    let (_shutdown_tx, shutdown) = tokio::sync::watch::channel(false);
    let handle = runtime
        .block_on(echonet_finality::start(GrandpaParams {
            client: client.client.clone(),
            keystore: Arc::new(MemoryKeystore::new()),
            network: Arc::new(Network {
                verdicts: verdict_tx,
            }),
            incoming,
            reporter: None,
            metrics_registry: None,
            shutdown,
            config: GrandpaConfig::default(),
        }))
        .expect("the finality worker starts");

    let next_id = std::sync::atomic::AtomicU64::new(0);
    let case = mutate::input(message(genesis).prop_map(|m| m.encode()));
    fuzz("grandpa_gossip", case, |input| {
        let id = next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        incoming_tx
            .blocking_send(FinalityMessage {
                peer: 7,
                data: input.bytes.clone(),
                message_id: id,
            })
            .map_err(|_| TestCaseError::fail("the finality worker stopped taking messages"))?;
        let (got, verdict) = verdicts.recv_timeout(VERDICT_DEADLINE).map_err(|_| {
            TestCaseError::fail("no verdict within the deadline: the worker stalled")
        })?;
        prop_assert_eq!(
            got,
            id,
            "verdicts out of order, or one message judged twice"
        );
        if GossipMessage::decode_all(&mut &input.bytes[..]).is_err() {
            prop_assert_ne!(
                verdict,
                MessageVerdict::Accept,
                "undecodable message accepted"
            );
        }
        Ok(())
    });
    let stopped = runtime.block_on(async {
        tokio::time::timeout(Duration::from_millis(100), handle.stopped())
            .await
            .is_ok()
    });
    assert!(!stopped, "the finality worker stopped during the run");
    drop(incoming_tx);
}
