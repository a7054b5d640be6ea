//! The mandate of an authority set: it finalizes up to the effective block of the earliest
//! pending change (its hand-off) and no further, whoever presents the proof. Past the
//! hand-off only the next set speaks, and only once the hand-off block's own
//! justification is imported; each finalization enacts at most one change.
//!
//! The chain is the dev chain (GRANDPA set 0 = {Alice}). Changes are scheduled the way
//! the runtime does it: pallet-grandpa's `PendingChange` (written by sudo here, by a
//! session rotation on a live chain) makes the pallet signal `ScheduledChange` in the
//! header digest of its `scheduled_at` block and enact it `delay` blocks later.

use codec::Encode;
use echonet_client::Client;
use echonet_finality::{
    authorities::scheduled_change, messages::GossipMessage, Error, FinalityMessage,
    FinalityNetwork, GrandpaConfig, GrandpaHandle, GrandpaParams, Justification,
    JustificationError, JustificationImport, MessageVerdict, GRANDPA_ENGINE_ID,
};
use echonet_runtime::RuntimeCall;
use echonet_test_utils::{open_dev_client, past_slot, wait_for, DevClient, NewBlock, DEADLINE};
use finality_grandpa::{Message, Precommit, SignedPrecommit};
use sp_core::{crypto::Pair as _, H256};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_keystore::{testing::MemoryKeystore, KeystorePtr};
use sp_runtime::OpaqueExtrinsic;
use std::{sync::Arc, time::Duration};
use tokio::sync::{mpsc, watch};

/// A network that sends nothing anywhere: the node under test only receives what the test
/// feeds it.
struct Nowhere;

impl FinalityNetwork for Nowhere {
    type Peer = ();
    type MessageId = u64;

    fn gossip(&self, _data: Vec<u8>) {}

    fn report(&self, _peer: (), _id: u64, _verdict: MessageVerdict) {}
}

/// A following (non-voting) GRANDPA worker over `client`, and the sender of its inbox.
struct Follower {
    handle: GrandpaHandle,
    inbox: mpsc::Sender<FinalityMessage<(), u64>>,
    shutdown: watch::Sender<bool>,
}

impl Follower {
    async fn start(client: &Arc<Client>) -> Self {
        let (inbox, incoming) = mpsc::channel(1024);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let keystore: KeystorePtr = Arc::new(MemoryKeystore::new());
        let handle = echonet_finality::start(GrandpaParams {
            client: client.clone(),
            keystore,
            network: Arc::new(Nowhere),
            incoming,
            reporter: None,
            metrics_registry: None,
            shutdown: shutdown_rx,
            config: GrandpaConfig {
                gossip_duration: Duration::from_millis(100),
                equivocate: false,
            },
        })
        .await
        .expect("the finality worker starts");
        Follower {
            handle,
            inbox,
            shutdown,
        }
    }

    async fn stop(self) {
        self.shutdown.send_replace(true);
        tokio::time::timeout(Duration::from_secs(10), self.handle.stopped())
            .await
            .expect("the finality worker stops on shutdown");
    }
}

/// Sudo (Alice) makes pallet-grandpa schedule a change to `next` (weight 1), signalled in
/// block `signal_at` and enacted `delay` blocks later, as set `set_id`.
fn schedule_change(
    client: &Client,
    nonce: u32,
    signal_at: u32,
    delay: u32,
    next: Ed25519Keyring,
    set_id: u64,
) -> OpaqueExtrinsic {
    use frame_support::storage::generator::StorageValue as _;
    type Runtime = echonet_runtime::Runtime;
    let next: Vec<(sp_consensus_grandpa::AuthorityId, u64)> = vec![(next.public().into(), 1)];
    let items = vec![
        (
            pallet_grandpa::PendingChange::<Runtime>::storage_value_final_key().to_vec(),
            (signal_at, delay, next, Option::<u32>::None).encode(),
        ),
        (
            pallet_grandpa::CurrentSetId::<Runtime>::storage_value_final_key().to_vec(),
            set_id.encode(),
        ),
    ];
    let call = RuntimeCall::Sudo(pallet_sudo::Call::sudo {
        call: Box::new(RuntimeCall::System(frame_system::Call::set_storage {
            items,
        })),
    });
    let xt = echonet_runtime::extrinsics::signed(
        call,
        &Sr25519Keyring::Alice.pair(),
        nonce,
        0,
        client.info().genesis_hash,
    );
    OpaqueExtrinsic::try_from_encoded_extrinsic(&xt.encode()).expect("an extrinsic's bytes")
}

/// The dev chain to #9 with two scheduled changes: set 0 {Alice} hands off to set 1 {Bob}
/// at #4 (signalled in #2, delay 2), and set 1 to set 2 {Charlie} at #7 (signalled in #6,
/// delay 1).
fn chain_with_two_hand_offs() -> (DevClient, Vec<H256>) {
    let client = open_dev_client();
    let mut hashes = vec![client.info().genesis_hash];
    let first = past_slot(10_000);
    for number in 1..=9u32 {
        let xts = match number {
            1 => vec![schedule_change(&client, 0, 2, 2, Ed25519Keyring::Bob, 1)],
            5 => vec![schedule_change(
                &client,
                1,
                6,
                1,
                Ed25519Keyring::Charlie,
                2,
            )],
            _ => vec![],
        };
        let hash = NewBlock::new(&client, first + u64::from(number))
            .with(xts)
            .import();
        hashes.push(hash);
    }
    for (signal, delay) in [(2usize, 2u32), (6, 1)] {
        let header = client.header(hashes[signal]).unwrap().unwrap();
        let change = scheduled_change(&header).expect("the runtime signals the change");
        assert_eq!(change.delay, delay, "block #{signal}");
    }
    (client, hashes)
}

/// A justification of block `number` signed by `signer` alone, as a voter of set `set_id`
/// in round `round`: enough for a set of one.
fn justification_by(
    signer: Ed25519Keyring,
    set_id: u64,
    round: u64,
    hash: H256,
    number: u32,
) -> Justification {
    let precommit = Precommit::new(hash, number);
    let payload = sp_consensus_grandpa::localized_payload(
        round,
        set_id,
        &Message::<H256, u32>::Precommit(precommit.clone()),
    );
    Justification {
        round,
        commit: finality_grandpa::Commit {
            target_hash: hash,
            target_number: number,
            precommits: vec![SignedPrecommit {
                precommit,
                signature: signer.pair().sign(&payload).into(),
                id: signer.public().into(),
            }],
        },
        votes_ancestries: vec![],
    }
}

fn assert_past_hand_off(result: Result<JustificationImport, Error>, hand_off: u32) {
    match result {
        Err(Error::Justification(JustificationError::PastHandOff {
            hand_off: refused_at,
            ..
        })) => assert_eq!(refused_at, hand_off),
        other => panic!("expected a refusal past the hand-off at #{hand_off}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_justification_past_the_hand_off_is_refused_until_the_hand_off_is_final() {
    let (client, hashes) = chain_with_two_hand_offs();
    let node = Follower::start(&client.client).await;
    let import = |signer, set_id, number: u32| {
        let encoded = justification_by(signer, set_id, 1, hashes[number as usize], number).encode();
        node.handle
            .import_justification(hashes[number as usize], encoded)
    };

    // Set 0 signs #9 and #5, past its hand-off at #4: refused, nothing moves.
    assert_past_hand_off(import(Ed25519Keyring::Alice, 0, 9).await, 4);
    assert_past_hand_off(import(Ed25519Keyring::Alice, 0, 5).await, 4);
    assert_eq!(client.info().finalized_number, 0);
    assert_eq!(node.handle.authority_set().set_id, 0);

    // The hand-off block's own justification enacts exactly the first change.
    assert_eq!(
        import(Ed25519Keyring::Alice, 0, 4).await.unwrap(),
        JustificationImport::SetChanged(1)
    );
    let set = node.handle.authority_set();
    assert_eq!(client.info().finalized_number, 4);
    assert_eq!(set.set_id, 1);
    assert_eq!(
        set.authorities,
        vec![(Ed25519Keyring::Bob.public().into(), 1)]
    );
    assert_eq!(set.start, (hashes[4], 4));
    assert_eq!(
        set.pending,
        vec![],
        "the second change is not signalled in a final block yet"
    );
    assert!(client
        .justifications(hashes[4])
        .unwrap()
        .and_then(|j| j.get(GRANDPA_ENGINE_ID).cloned())
        .is_some());

    // Set 1 in turn may not pass #7; set 0 no longer counts at all.
    assert_past_hand_off(import(Ed25519Keyring::Bob, 1, 9).await, 7);
    assert!(import(Ed25519Keyring::Alice, 0, 7).await.is_err());
    assert_eq!(client.info().finalized_number, 4);
    assert_eq!(
        import(Ed25519Keyring::Bob, 1, 7).await.unwrap(),
        JustificationImport::SetChanged(2)
    );
    assert_eq!(
        import(Ed25519Keyring::Charlie, 2, 9).await.unwrap(),
        JustificationImport::Finalized
    );
    assert_eq!(client.info().finalized_number, 9);
    assert_eq!(node.handle.authority_set().set_id, 2);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_past_the_hand_off_does_not_finalize_through_the_voter() {
    let (client, hashes) = chain_with_two_hand_offs();
    let node = Follower::start(&client.client).await;
    let commit = |round: u64, number: u32| {
        GossipMessage::Commit {
            round,
            set_id: 0,
            commit: justification_by(
                Ed25519Keyring::Alice,
                0,
                round,
                hashes[number as usize],
                number,
            )
            .commit,
        }
        .encode()
    };
    let mut next_id = 0u64;
    let mut send = |data: Vec<u8>| {
        next_id += 1;
        node.inbox
            .try_send(FinalityMessage {
                peer: (),
                data,
                message_id: next_id,
            })
            .expect("room in the inbox");
    };
    // Set 0's commit for #9 reaches the voter first; then its commit for #4, repeated (in
    // new rounds, so not a duplicate) until the voter, restarted after refusing #9, takes
    // it. A voter that accepted #9 has finalized past #4 by then.
    send(commit(1, 9));
    let mut round = 1;
    wait_for("the follower to finalize", DEADLINE, || {
        round += 1;
        send(commit(round, 4));
        client.info().finalized_number >= 4
    })
    .await;
    assert_eq!(
        client.info().finalized_number,
        4,
        "set 0 finalized past its hand-off at #4"
    );
    assert_eq!(client.info().finalized_hash, hashes[4]);
    assert_eq!(node.handle.authority_set().set_id, 1);
    node.stop().await;
}

/// Warp sync's record: every enacted hand-off is listed with its signal and hand-off
/// blocks, in order, written with the finalization that enacts it; a finalization that
/// enacts nothing adds nothing; and a database started from a state resets it to begin at
/// the set in force there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enacted_hand_offs_are_recorded_for_warp_proofs() {
    let (client, hashes) = chain_with_two_hand_offs();
    let node = Follower::start(&client.client).await;
    let import = |signer, set_id, number: u32| {
        let encoded = justification_by(signer, set_id, 1, hashes[number as usize], number).encode();
        node.handle
            .import_justification(hashes[number as usize], encoded)
    };
    assert_eq!(
        echonet_finality::set_changes(&client.client).unwrap(),
        echonet_finality::SetChanges::default()
    );
    import(Ed25519Keyring::Alice, 0, 4).await.unwrap();
    import(Ed25519Keyring::Bob, 1, 7).await.unwrap();
    import(Ed25519Keyring::Charlie, 2, 9).await.unwrap();
    let record = echonet_finality::set_changes(&client.client).unwrap();
    assert_eq!(record.first_set, 0);
    assert_eq!(
        record.changes,
        vec![
            echonet_finality::SetChange {
                set_id: 1,
                signal: (hashes[2], 2),
                hand_off: (hashes[4], 4),
            },
            echonet_finality::SetChange {
                set_id: 2,
                signal: (hashes[6], 6),
                hand_off: (hashes[7], 7),
            },
        ]
    );
    node.stop().await;

    let set = echonet_finality::reset_after_state_import(&client.client).unwrap();
    assert_eq!(set.set_id, 2, "the runtime's set id at the finalized block");
    assert_eq!(set.start, (hashes[9], 9));
    let record = echonet_finality::set_changes(&client.client).unwrap();
    assert_eq!(record.first_set, 2);
    assert!(record.changes.is_empty());
}
