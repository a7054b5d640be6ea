//! Four GRANDPA voters (the local testnet's Alice, Bob, Charlie and Dave) in one process,
//! each with its own database, talking through an in-memory gossip hub. Blocks are built
//! by the slot's Aura author and imported into every client, as a network would.

use codec::{Decode, Encode};
use echonet_client::{BlockOrigin, Client, ClientConfig, ImportBlock};
use echonet_consensus::aura::AuraVerifier;
use echonet_finality::{
    FinalityMessage, FinalityNetwork, GrandpaConfig, GrandpaHandle, GrandpaParams,
    JustificationError, MessageVerdict, Misbehavior, GRANDPA_ENGINE_ID,
};
use echonet_runtime::{Header, RuntimeCall};
use echonet_test_utils::{past_slot, NewBlock};
use parking_lot::Mutex;
use sp_core::{crypto::key_types::GRANDPA, H256};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystorePtr};
use sp_runtime::OpaqueExtrinsic;
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};
use tokio::sync::{mpsc, watch};

pub(crate) const NAMES: [(Sr25519Keyring, Ed25519Keyring); 4] = [
    (Sr25519Keyring::Alice, Ed25519Keyring::Alice),
    (Sr25519Keyring::Bob, Ed25519Keyring::Bob),
    (Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
    (Sr25519Keyring::Dave, Ed25519Keyring::Dave),
];
const DEADLINE: Duration = Duration::from_secs(90);

/// A node's finality inbox in the hub.
type Inbox = mpsc::Sender<FinalityMessage<usize, u64>>;

/// Delivers each gossip message to every other running node.
#[derive(Default)]
pub(crate) struct Hub {
    inboxes: Mutex<Vec<Option<Inbox>>>,
    next_id: AtomicU64,
    rejected: Mutex<Vec<(usize, Misbehavior)>>,
    /// Every message the nodes gossiped, in order.
    pub(crate) log: Mutex<Vec<Vec<u8>>>,
    /// The verdicts on messages injected by a test ([`Net::inject`]), by message id.
    injected: Mutex<std::collections::HashMap<u64, MessageVerdict>>,
}

struct HubNetwork {
    hub: Arc<Hub>,
    me: usize,
}

impl FinalityNetwork for HubNetwork {
    type Peer = usize;
    type MessageId = u64;

    fn gossip(&self, data: Vec<u8>) {
        self.hub.log.lock().push(data.clone());
        let inboxes = self.hub.inboxes.lock();
        for (i, inbox) in inboxes.iter().enumerate() {
            if i == self.me {
                continue;
            }
            if let Some(tx) = inbox {
                let _ = tx.try_send(FinalityMessage {
                    peer: self.me,
                    data: data.clone(),
                    message_id: self.hub.next_id.fetch_add(1, Ordering::Relaxed),
                });
            }
        }
    }

    fn report(&self, peer: usize, id: u64, verdict: MessageVerdict) {
        if peer >= NAMES.len() {
            self.hub.injected.lock().insert(id, verdict);
        } else if let MessageVerdict::Reject(m) = verdict {
            self.hub.rejected.lock().push((peer, m));
        }
    }
}

/// Collects the GRANDPA equivocations a node detects.
#[derive(Default)]
struct Collector(Mutex<Vec<sp_consensus_grandpa::EquivocationProof<H256, u32>>>);

impl echonet_finality::EquivocationReporter for Collector {
    fn report_grandpa_equivocation(
        &self,
        proof: sp_consensus_grandpa::EquivocationProof<H256, u32>,
    ) {
        self.0.lock().push(proof);
    }
}

struct Running {
    shutdown: watch::Sender<bool>,
    handle: GrandpaHandle,
    registry: prometheus_endpoint::Registry,
}

struct Node {
    client: Arc<Client>,
    keystore: KeystorePtr,
    running: Option<Running>,
    _dir: tempfile::TempDir,
}

pub(crate) struct Net {
    pub(crate) hub: Arc<Hub>,
    reports: Arc<Collector>,
    equivocator: Option<usize>,
    nodes: Vec<Node>,
    next_slot: u64,
}

impl Net {
    pub(crate) fn new() -> Self {
        let hub = Arc::new(Hub::default());
        *hub.inboxes.lock() = vec![None, None, None, None];
        let nodes = NAMES
            .iter()
            .map(|(_, ed)| {
                let dir = tempfile::tempdir().unwrap();
                let client = Client::open(
                    ClientConfig::new(dir.path().join("db")),
                    // Alice is sudo: `set_storage_as_sudo` schedules GRANDPA changes.
                    &echonet_test_utils::local_spec_with_sudo(),
                    std::sync::Arc::new(AuraVerifier::default()),
                )
                .unwrap();
                let keystore: KeystorePtr = Arc::new(MemoryKeystore::new());
                keystore
                    .ed25519_generate_new(GRANDPA, Some(&format!("//{ed}")))
                    .unwrap();
                Node {
                    client,
                    keystore,
                    running: None,
                    _dir: dir,
                }
            })
            .collect();
        Net {
            hub,
            reports: Arc::new(Collector::default()),
            equivocator: None,
            nodes,
            next_slot: past_slot(100_000),
        }
    }

    pub(crate) async fn start(&mut self, i: usize) {
        let (tx, rx) = mpsc::channel(4096);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let registry = prometheus_endpoint::Registry::new();
        let node = &mut self.nodes[i];
        let handle = echonet_finality::start(GrandpaParams {
            client: node.client.clone(),
            keystore: node.keystore.clone(),
            network: Arc::new(HubNetwork {
                hub: self.hub.clone(),
                me: i,
            }),
            incoming: rx,
            reporter: Some(self.reports.clone()),
            metrics_registry: Some(registry.clone()),
            shutdown: shutdown_rx,
            config: GrandpaConfig {
                gossip_duration: Duration::from_millis(100),
                equivocate: self.equivocator == Some(i),
            },
        })
        .await
        .unwrap();
        self.hub.inboxes.lock()[i] = Some(tx);
        node.running = Some(Running {
            shutdown,
            handle,
            registry,
        });
    }

    pub(crate) async fn stop(&mut self, i: usize) {
        self.hub.inboxes.lock()[i] = None;
        let running = self.nodes[i].running.take().expect("node is running");
        running.shutdown.send_replace(true);
        tokio::time::timeout(Duration::from_secs(10), running.handle.stopped())
            .await
            .expect("the finality worker stops on shutdown");
    }

    fn handle(&self, i: usize) -> &GrandpaHandle {
        &self.nodes[i].running.as_ref().unwrap().handle
    }

    /// Builds the next block (with `txs`) by its slot's author on node 0's best block and
    /// imports it everywhere.
    fn produce_with(&mut self, txs: Vec<OpaqueExtrinsic>) -> (H256, u32) {
        let author_client = self.nodes[0].client.clone();
        let slot = self.next_slot;
        self.next_slot += 1;
        // The slot's owner among the dev keys, which hold the four authorities.
        let built = NewBlock::new(&author_client, slot).with(txs).seal();
        let header = built.header;
        let hash = header.hash();
        let number = header.number;
        let mut own_changes = Some(built.changes);
        for (i, node) in self.nodes.iter().enumerate() {
            let (origin, changes) = if i == 0 {
                (BlockOrigin::Own, own_changes.take())
            } else {
                (BlockOrigin::NetworkBroadcast, None)
            };
            node.client
                .import_block(ImportBlock {
                    header: header.clone(),
                    body: built.body.clone(),
                    justifications: None,
                    origin,
                    changes,
                    finalize: false,
                })
                .unwrap();
        }
        (hash, number)
    }

    pub(crate) fn produce(&mut self, n: usize) -> (H256, u32) {
        let mut last = (H256::zero(), 0);
        for _ in 0..n {
            last = self.produce_with(vec![]);
        }
        last
    }

    pub(crate) fn finalized(&self, i: usize) -> u32 {
        self.nodes[i].client.info().finalized_number
    }

    /// Waits until each of `nodes` has finalized at least `number`.
    pub(crate) async fn wait_finalized(&self, nodes: &[usize], number: u32) {
        let start = Instant::now();
        loop {
            if nodes.iter().all(|i| self.finalized(*i) >= number) {
                return;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "nodes {nodes:?} did not finalize #{number} in time: finalized {:?}",
                nodes.iter().map(|i| self.finalized(*i)).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// No two nodes have finalized different blocks at any height.
    fn assert_consistent(&self) {
        let lowest = (0..4).map(|i| self.finalized(i)).min().unwrap();
        for n in 0..=lowest {
            let hashes: Vec<_> = self
                .nodes
                .iter()
                .map(|node| node.client.hash(n).unwrap())
                .collect();
            assert!(
                hashes.windows(2).all(|w| w[0] == w[1]),
                "nodes disagree at finalized height #{n}: {hashes:?}"
            );
        }
    }

    /// Node `i`'s chain.
    pub(crate) fn nodes_client(&self, i: usize) -> Arc<Client> {
        self.nodes[i].client.clone()
    }

    /// The value of metric `name` of running node `i`.
    pub(crate) fn metric(&self, i: usize, name: &str) -> f64 {
        let running = self.nodes[i].running.as_ref().expect("node is running");
        echonet_test_utils::metric(&running.registry, name, &[])
    }

    /// Hands `data` to node `to` as a finality message from peer `from` (not one of the
    /// four nodes) and waits for the node's verdict on it.
    pub(crate) async fn inject(&self, to: usize, from: usize, data: Vec<u8>) -> MessageVerdict {
        assert!(
            from >= NAMES.len(),
            "injected messages come from outside the network"
        );
        let id = self.hub.next_id.fetch_add(1, Ordering::Relaxed);
        let inbox = self.hub.inboxes.lock()[to]
            .clone()
            .expect("the node is running");
        inbox
            .send(FinalityMessage {
                peer: from,
                data,
                message_id: id,
            })
            .await
            .expect("the node takes messages");
        let start = Instant::now();
        loop {
            if let Some(verdict) = self.hub.injected.lock().remove(&id) {
                return verdict;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "no verdict on an injected message"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub(crate) async fn shutdown(mut self) {
        for i in 0..4 {
            if self.nodes[i].running.is_some() {
                self.stop(i).await;
            }
        }
        if self.equivocator.is_none() {
            assert!(self.reports.0.lock().is_empty(), "honest nodes equivocated");
        }
        assert!(
            self.hub.rejected.lock().is_empty(),
            "honest nodes rejected each other's messages: {:?}",
            self.hub.rejected.lock()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_voters_finalize_the_chain_and_justifications_verify() {
    let mut net = Net::new();
    for i in 0..4 {
        net.start(i).await;
    }
    let (_, best) = net.produce(3);
    net.wait_finalized(&[0, 1, 2, 3], best).await;
    let (_, best) = net.produce(3);
    net.wait_finalized(&[0, 1, 2, 3], best).await;
    net.assert_consistent();

    // The finalized block carries a justification that verifies against set 0.
    let client = net.nodes[1].client.clone();
    let info = client.info();
    let justifications = client.justifications(info.finalized_hash).unwrap().unwrap();
    let encoded = justifications
        .get(GRANDPA_ENGINE_ID)
        .expect("a GRANDPA justification")
        .clone();
    let handle = net.handle(1).clone();
    let justification = handle
        .verify_justification(info.finalized_hash, info.finalized_number, &encoded)
        .unwrap();
    assert!(justification.commit.precommits.len() >= 3);
    let set = handle.authority_set();

    // A flipped signature byte.
    let mut bad = justification.clone();
    let mut raw = bad.commit.precommits[0].signature.encode();
    raw[5] ^= 1;
    bad.commit.precommits[0].signature = Decode::decode(&mut &raw[..]).unwrap();
    assert!(matches!(
        handle.verify_justification(info.finalized_hash, info.finalized_number, &bad.encode()),
        Err(JustificationError::BadSignature(..))
    ));
    // Another block.
    let parent = client
        .header(info.finalized_hash)
        .unwrap()
        .unwrap()
        .parent_hash;
    assert!(matches!(
        handle.verify_justification(parent, info.finalized_number - 1, &encoded),
        Err(JustificationError::WrongTarget { .. })
    ));
    // Too few votes: two of four.
    let mut few = justification.clone();
    few.commit.precommits.truncate(2);
    few.votes_ancestries.clear();
    let few_result =
        handle.verify_justification(info.finalized_hash, info.finalized_number, &few.encode());
    assert!(
        matches!(
            few_result,
            Err(JustificationError::NotEnoughVotes | JustificationError::PrecommitNotDescendant(_))
        ),
        "{few_result:?}"
    );
    // A duplicated precommit does not count twice.
    let mut dup = few.clone();
    dup.commit.precommits.push(dup.commit.precommits[0].clone());
    assert!(handle
        .verify_justification(info.finalized_hash, info.finalized_number, &dup.encode())
        .is_err());
    // The signatures are for set 0: under set 1 they are invalid.
    let mut other_set = set.clone();
    other_set.set_id = 1;
    assert!(matches!(
        echonet_finality::verify_justification(
            &other_set,
            info.finalized_hash,
            info.finalized_number,
            &encoded
        ),
        Err(JustificationError::BadSignature(..))
    ));
    // Garbage.
    assert!(matches!(
        handle.verify_justification(info.finalized_hash, info.finalized_number, &[1, 2, 3]),
        Err(JustificationError::Undecodable(_))
    ));
    // A signer outside the set.
    let mut stranger = justification.clone();
    stranger.commit.precommits[0].id = Ed25519Keyring::Eve.public().into();
    assert!(matches!(
        handle.verify_justification(
            info.finalized_hash,
            info.finalized_number,
            &stranger.encode()
        ),
        Err(JustificationError::NotAVoter(..))
    ));

    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finality_continues_with_one_of_four_offline() {
    let mut net = Net::new();
    for i in 0..3 {
        net.start(i).await;
    }
    let (_, best) = net.produce(4);
    net.wait_finalized(&[0, 1, 2], best).await;
    let (_, best) = net.produce(4);
    net.wait_finalized(&[0, 1, 2], best).await;
    assert_eq!(net.finalized(3), 0, "Dave's node runs no GRANDPA");
    net.assert_consistent();
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_four_offline_stalls_and_a_restarted_voter_resumes_finality() {
    let mut net = Net::new();
    for i in 0..4 {
        net.start(i).await;
    }
    let (_, best) = net.produce(3);
    net.wait_finalized(&[0, 1, 2, 3], best).await;
    net.stop(2).await;
    net.stop(3).await;
    let stalled_at = net.finalized(0).max(net.finalized(1));
    let (_, best) = net.produce(3);
    // Two of four cannot reach the threshold of three: nothing past what was final.
    // A stall can only be observed over time: watch it for two seconds (20 rounds).
    let watch_until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < watch_until {
        assert!(net.finalized(0) <= stalled_at && net.finalized(1) <= stalled_at);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Charlie's voter comes back (from its persisted state) and finality resumes.
    net.start(2).await;
    net.wait_finalized(&[0, 1, 2], best).await;
    let (_, best) = net.produce(2);
    net.wait_finalized(&[0, 1, 2], best).await;
    net.assert_consistent();
    net.shutdown().await;
}

fn set_storage_as_sudo(client: &Client, items: Vec<(Vec<u8>, Vec<u8>)>) -> OpaqueExtrinsic {
    let call = RuntimeCall::Sudo(pallet_sudo::Call::sudo {
        call: Box::new(RuntimeCall::System(frame_system::Call::set_storage {
            items,
        })),
    });
    let xt = echonet_runtime::extrinsics::signed(
        call,
        &Sr25519Keyring::Alice.pair(),
        0,
        0,
        client.info().genesis_hash,
    );
    OpaqueExtrinsic::try_from_encoded_extrinsic(&xt.encode()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_authority_set_change_is_applied_at_its_effective_block() {
    use frame_support::storage::generator::StorageValue as _;
    let mut net = Net::new();
    for i in 0..4 {
        net.start(i).await;
    }
    // Block 1 makes pallet-grandpa schedule a change (as a session rotation would): it
    // signals the change in block 2's header, with a delay of 2, so the new set (Alice,
    // Bob, Charlie) starts at block 4.
    let next: Vec<(sp_consensus_grandpa::AuthorityId, u64)> = NAMES[..3]
        .iter()
        .map(|(_, ed)| (ed.public().into(), 1))
        .collect();
    let pending = (2u32, 2u32, next.clone(), Option::<u32>::None).encode();
    let xt = set_storage_as_sudo(
        &net.nodes[0].client,
        vec![
            (
                pallet_grandpa::PendingChange::<echonet_runtime::Runtime>::storage_value_final_key(
                )
                .to_vec(),
                pending,
            ),
            (
                pallet_grandpa::CurrentSetId::<echonet_runtime::Runtime>::storage_value_final_key()
                    .to_vec(),
                1u64.encode(),
            ),
        ],
    );
    net.produce_with(vec![xt]);
    let (signal, _) = net.produce(1);
    let header: Header = net.nodes[0].client.header(signal).unwrap().unwrap();
    let change = echonet_finality::authorities::scheduled_change(&header)
        .expect("block 2 signals the change");
    assert_eq!(change.delay, 2);
    assert_eq!(change.next_authorities, next);

    let (_, best) = net.produce(6);
    net.wait_finalized(&[0, 1, 2, 3], best).await;
    let effective = net.nodes[0].client.hash(4).unwrap().unwrap();
    for i in 0..4 {
        let set = net.handle(i).authority_set();
        assert_eq!(set.set_id, 1, "node {i}");
        assert_eq!(set.authorities, next, "node {i}");
        assert_eq!(set.start, (effective, 4), "node {i}");
        assert!(set.pending.is_empty());
    }
    // Block 4, the last block of set 0, was finalized by set 0; later blocks by set 1.
    let client = net.nodes[3].client.clone();
    let j4 = client.justifications(effective).unwrap().unwrap();
    let mut set0 = net.handle(3).authority_set();
    set0.set_id = 0;
    set0.authorities = NAMES
        .iter()
        .map(|(_, ed)| (ed.public().into(), 1))
        .collect();
    echonet_finality::verify_justification(&set0, effective, 4, j4.get(GRANDPA_ENGINE_ID).unwrap())
        .expect("block 4 justified by set 0");
    let info = client.info();
    let latest = client.justifications(info.finalized_hash).unwrap().unwrap();
    net.handle(3)
        .verify_justification(
            info.finalized_hash,
            info.finalized_number,
            latest.get(GRANDPA_ENGINE_ID).unwrap(),
        )
        .expect("later blocks justified by set 1");

    // Dave is not in set 1: the three others carry on, Dave follows their commits.
    let (_, best) = net.produce(3);
    net.wait_finalized(&[0, 1, 2, 3], best).await;
    net.assert_consistent();
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_justification_imported_by_sync_finalizes_a_following_node() {
    let mut net = Net::new();
    for i in 0..3 {
        net.start(i).await;
    }
    let (_, best) = net.produce(4);
    net.wait_finalized(&[0, 1, 2], best).await;
    // Dave's node starts late: it has the blocks (imported above) but heard no votes.
    net.start(3).await;
    let info = net.nodes[0].client.info();
    let encoded = net.nodes[0]
        .client
        .justifications(info.finalized_hash)
        .unwrap()
        .unwrap()
        .get(GRANDPA_ENGINE_ID)
        .unwrap()
        .clone();
    // A tampered justification changes nothing.
    let mut tampered = encoded.clone();
    let last = tampered.len() - 1;
    tampered[last - 40] ^= 1;
    assert!(net
        .handle(3)
        .import_justification(info.finalized_hash, tampered)
        .await
        .is_err());
    assert!(net.finalized(3) < info.finalized_number);
    let outcome = net
        .handle(3)
        .import_justification(info.finalized_hash, encoded.clone())
        .await
        .unwrap();
    assert_eq!(outcome, echonet_finality::JustificationImport::Finalized);
    assert_eq!(net.finalized(3), info.finalized_number);
    assert_eq!(
        net.handle(3)
            .import_justification(info.finalized_hash, encoded)
            .await
            .unwrap(),
        echonet_finality::JustificationImport::AlreadyFinal
    );
    net.assert_consistent();
    net.shutdown().await;
}

/// The storage key of a pallet-evidence record.
fn evidence_key(key: &pallet_evidence::ReportKey) -> Vec<u8> {
    pallet_evidence::Evidence::<echonet_runtime::Runtime>::hashed_key_for(key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_voting_validator_is_detected_and_its_report_lands_on_chain() {
    let mut net = Net::new();
    net.equivocator = Some(3);
    for i in 0..4 {
        net.start(i).await;
    }
    net.produce(3);
    // Dave signs two prevotes each round; the honest nodes notice.
    let start = Instant::now();
    let proof = loop {
        if let Some(p) = net.reports.0.lock().first().cloned() {
            break p;
        }
        assert!(start.elapsed() < DEADLINE, "no equivocation detected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let dave: sp_consensus_grandpa::AuthorityId = Ed25519Keyring::Dave.public().into();
    assert_eq!(proof.offender(), &dave);
    assert_eq!(proof.set_id(), 0);
    assert!(sp_consensus_grandpa::check_equivocation_proof(
        proof.clone()
    ));
    // Finality still works: Dave's double votes count for him once.
    let (_, best) = net.produce(1);
    net.wait_finalized(&[0, 1, 2], best).await;

    // The report, as the node would submit it, is valid for the pool and lands in a block.
    let xt = echonet_finality::evidence::grandpa_report_extrinsic(proof.clone());
    let opaque = OpaqueExtrinsic::try_from_encoded_extrinsic(&xt).unwrap();
    let (hash, _) = net.produce_with(vec![opaque]);
    let key = pallet_evidence::ReportKey {
        kind: pallet_evidence::EquivocationKind::Grandpa,
        offender: Ed25519Keyring::Dave.public().0,
        set_id: 0,
        slot_or_round: proof.round(),
    };
    let stored = net.nodes[2]
        .client
        .storage(hash, &evidence_key(&key))
        .unwrap();
    assert!(stored.is_some(), "the evidence is in the state");
    net.shutdown().await;
}
