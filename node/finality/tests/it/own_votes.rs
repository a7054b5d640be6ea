//! The voter's own votes: on disk, with the write-ahead log synced, before they are
//! broadcast, so that neither a crash nor a power cut makes a validator sign two different
//! votes in one round and stage; a restarted voter repeats what it said.
//!
//! One voter (Alice) of the local testnet's four runs alone: it votes, but its rounds never
//! complete, so a restart finds it in the round it voted in, with a longer chain to vote
//! for.

use codec::{Decode, Encode};
use echonet_client::{ChainSpec, Client, ClientConfig};
use echonet_consensus::aura::AuraVerifier;
use echonet_finality::{
    messages::GossipMessage, FinalityMessage, FinalityNetwork, GrandpaConfig, GrandpaHandle,
    GrandpaParams, MessageVerdict,
};
use echonet_test_utils::{past_slot, wait_for, NewBlock, DEADLINE};
use finality_grandpa::Message;
use parking_lot::Mutex;
use sp_consensus_grandpa::AuthorityId;
use sp_core::{crypto::key_types::GRANDPA, H256};
use sp_keyring::Ed25519Keyring;
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystorePtr};
use std::{path::Path, sync::Arc, time::Duration};
use tokio::sync::{mpsc, watch};

/// Where the voter keeps its progress and own votes (the crate's aux key).
const VOTER_PROGRESS_KEY: &[u8] = b"grandpa:voter";

/// One own vote as it went out.
#[derive(Debug, Clone)]
struct Sent {
    round: u64,
    vote: Message<H256, u32>,
    /// RocksDB's count of write-ahead log syncs when the vote was handed to the network.
    wal_syncs: u64,
    /// Whether the voter's stored progress held the vote at that moment.
    stored: bool,
}

/// Records the votes of `me` as they are gossiped, with what the database held and had
/// synced at that moment.
struct Recorder {
    client: Arc<Client>,
    me: AuthorityId,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl FinalityNetwork for Recorder {
    type Peer = ();
    type MessageId = u64;

    fn gossip(&self, data: Vec<u8>) {
        let Ok(GossipMessage::Vote { round, message, .. }) = GossipMessage::decode(&mut &data[..])
        else {
            return;
        };
        if message.id != self.me {
            return;
        }
        let wal_syncs = self
            .client
            .wal_syncs()
            .expect("the test's database collects statistics");
        let vote_bytes = match &message.message {
            Message::Prevote(v) => v.encode(),
            Message::Precommit(v) => v.encode(),
            Message::PrimaryPropose(v) => v.encode(),
        };
        let stored = self
            .client
            .aux_get(VOTER_PROGRESS_KEY)
            .unwrap()
            .is_some_and(|raw| raw.windows(vote_bytes.len()).any(|w| w == vote_bytes));
        self.sent.lock().push(Sent {
            round,
            vote: message.message,
            wal_syncs,
            stored,
        });
    }

    fn report(&self, _peer: (), _id: u64, _verdict: MessageVerdict) {}
}

/// The local testnet in `dir`, with RocksDB statistics on.
fn open(dir: &Path) -> Arc<Client> {
    let mut config = ClientConfig::new(dir.join("db"));
    config.db.statistics = true;
    Client::open(
        config,
        &ChainSpec::local_testnet().unwrap(),
        Arc::new(AuraVerifier::default()),
    )
    .unwrap()
}

struct Voter {
    handle: GrandpaHandle,
    shutdown: watch::Sender<bool>,
    _inbox: mpsc::Sender<FinalityMessage<(), u64>>,
}

async fn start_voter(
    client: &Arc<Client>,
    keystore: &KeystorePtr,
    sent: &Arc<Mutex<Vec<Sent>>>,
) -> Voter {
    let (inbox, incoming) = mpsc::channel(16);
    let (shutdown, shutdown_rx) = watch::channel(false);
    let handle = echonet_finality::start(GrandpaParams {
        client: client.clone(),
        keystore: keystore.clone(),
        network: Arc::new(Recorder {
            client: client.clone(),
            me: Ed25519Keyring::Alice.public().into(),
            sent: sent.clone(),
        }),
        incoming,
        reporter: None,
        metrics_registry: None,
        shutdown: shutdown_rx,
        config: GrandpaConfig {
            gossip_duration: Duration::from_millis(50),
            equivocate: false,
        },
    })
    .await
    .unwrap();
    Voter {
        handle,
        shutdown,
        _inbox: inbox,
    }
}

impl Voter {
    async fn stop(self) {
        self.shutdown.send_replace(true);
        tokio::time::timeout(Duration::from_secs(10), self.handle.stopped())
            .await
            .expect("the finality worker stops on shutdown");
    }
}

fn produce(client: &Client, slot: &mut u64, n: usize) {
    for _ in 0..n {
        *slot += 1;
        NewBlock::new(client, *slot).import();
    }
}

fn prevotes_of_round_1(sent: &Mutex<Vec<Sent>>) -> Vec<Sent> {
    sent.lock()
        .iter()
        .filter(|s| s.round == 1 && matches!(s.vote, Message::Prevote(_)))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_votes_are_synced_before_broadcast_and_repeated_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let keystore: KeystorePtr = Arc::new(MemoryKeystore::new());
    keystore
        .ed25519_generate_new(GRANDPA, Some("//Alice"))
        .unwrap();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mut slot = past_slot(100_000);

    let client = open(dir.path());
    produce(&client, &mut slot, 2);
    let before = client.wal_syncs().unwrap();
    let voter = start_voter(&client, &keystore, &sent).await;
    wait_for("Alice's prevote in round 1", DEADLINE, || {
        !prevotes_of_round_1(&sent).is_empty()
    })
    .await;
    voter.stop().await;
    drop(client);

    // Every vote was in the database, and the log synced since the previous vote, when it
    // went out.
    let first_run = sent.lock().clone();
    let mut last = before;
    for s in &first_run {
        assert!(s.stored, "{s:?} was broadcast before it was stored");
        assert!(
            s.wal_syncs > last,
            "{s:?} was broadcast before the write-ahead log was synced (syncs: {last} before, {} at the broadcast)",
            s.wal_syncs
        );
        last = s.wal_syncs;
    }
    let Message::Prevote(first) = prevotes_of_round_1(&sent)[0].vote.clone() else {
        unreachable!()
    };
    assert_eq!(first.target_number, 2);

    // A new voter over the same database, with three more blocks to vote for: in round 1
    // it says again what it said, not a prevote for #5.
    let client = open(dir.path());
    produce(&client, &mut slot, 3);
    let voter = start_voter(&client, &keystore, &sent).await;
    let count = first_run
        .iter()
        .filter(|s| s.round == 1 && matches!(s.vote, Message::Prevote(_)))
        .count();
    wait_for("the restarted voter's prevote in round 1", DEADLINE, || {
        prevotes_of_round_1(&sent).len() > count
    })
    .await;
    voter.stop().await;
    let all = sent.lock().clone();
    for a in &all {
        for b in &all {
            let same_stage = std::mem::discriminant(&a.vote) == std::mem::discriminant(&b.vote);
            assert!(
                !(a.round == b.round && same_stage && a.vote != b.vote),
                "two different votes in round {} by one voter: {:?} and {:?}",
                a.round,
                a.vote,
                b.vote
            );
        }
    }
}
