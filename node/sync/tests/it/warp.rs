//! Warp sync between in-process nodes on 127.0.0.1: a state of several chunks (the dev
//! chain with thousands of extra endowed accounts) is downloaded chunk after chunk, each
//! continuing after the last key of the one before, and imported as the target's state; a
//! warp stopped in the middle of the state leaves the database at genesis, and warping
//! again finishes.

use codec::Encode;
use echonet_client::{
    chain_spec::{Genesis, RuntimeGenesis},
    ChainSpec, Client, ClientConfig,
};
use echonet_consensus::aura::AuraVerifier;
use echonet_network::{
    Keypair, NetworkConfig, NetworkHandle, PeerId, ReputationChange, RequestError, StateChunk,
    StateRequest, WarpProof, WarpProofRequest,
};
use echonet_sync::{
    warp_sync, warp_sync_with, ClientChain, WarpError, WarpNetwork, WarpOptions, WarpPhase,
    WarpProgress,
};
use echonet_test_utils::{past_slot, NewBlock};
use futures::future::BoxFuture;
use sp_consensus_grandpa::GRANDPA_ENGINE_ID;
use sp_core::{crypto::Ss58Codec, sr25519, Pair as _, H256};
use sp_keyring::Ed25519Keyring;
use std::{
    path::Path,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};
use tokio::sync::watch;

/// The dev chain with `accounts` more endowed accounts (about 160 bytes of state each).
fn spec(accounts: u64) -> ChainSpec {
    let mut spec = ChainSpec::development().unwrap();
    let Genesis::RuntimeGenesis(RuntimeGenesis::Patch(patch)) = &mut spec.genesis else {
        panic!("the dev spec is a genesis patch");
    };
    let balances = patch
        .pointer_mut("/balances/balances")
        .and_then(|b| b.as_array_mut())
        .expect("the dev preset's balances");
    for i in 0..accounts {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&i.to_le_bytes());
        seed[8] = 0xec;
        let account = sr25519::Pair::from_seed(&seed).public();
        balances.push(serde_json::json!([
            account.to_ss58check(),
            1_000_000_000_000u128
        ]));
    }
    spec
}

fn open(dir: &Path, spec: &ChainSpec) -> Arc<Client> {
    Client::open(
        ClientConfig::new(dir.to_path_buf()),
        spec,
        Arc::new(AuraVerifier::default()),
    )
    .unwrap()
}

fn justification(hash: H256, number: u32) -> Vec<u8> {
    let precommit = finality_grandpa::Precommit::new(hash, number);
    let payload = sp_consensus_grandpa::localized_payload(
        1,
        0,
        &finality_grandpa::Message::<H256, u32>::Precommit(precommit.clone()),
    );
    echonet_finality::Justification {
        round: 1,
        commit: finality_grandpa::Commit {
            target_hash: hash,
            target_number: number,
            precommits: vec![finality_grandpa::SignedPrecommit {
                precommit,
                signature: Ed25519Keyring::Alice.pair().sign(&payload).into(),
                id: Ed25519Keyring::Alice.public().into(),
            }],
        },
        votes_ancestries: vec![],
    }
    .encode()
}

/// The real network, with a switch that stops the warp as its `stop_at`-th state request
/// goes out (what a crash then does to the database: nothing, since nothing is written
/// before the import).
struct Interrupting {
    net: NetworkHandle,
    state_requests: Arc<AtomicUsize>,
    stop_at: Option<(usize, watch::Sender<bool>)>,
}

impl WarpNetwork for Interrupting {
    fn peers(&self) -> BoxFuture<'static, Vec<(PeerId, u32)>> {
        WarpNetwork::peers(&self.net)
    }
    fn request_warp_proof(
        &self,
        peer: PeerId,
        request: WarpProofRequest,
    ) -> BoxFuture<'static, Result<Option<WarpProof>, RequestError>> {
        WarpNetwork::request_warp_proof(&self.net, peer, request)
    }
    fn request_state(
        &self,
        peer: PeerId,
        request: StateRequest,
    ) -> BoxFuture<'static, Result<Option<StateChunk>, RequestError>> {
        let n = self.state_requests.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some((at, stop)) = &self.stop_at {
            if n == *at {
                stop.send_replace(true);
            }
        }
        WarpNetwork::request_state(&self.net, peer, request)
    }
    fn report_peer(&self, peer: PeerId, change: ReputationChange) {
        WarpNetwork::report_peer(&self.net, peer, change)
    }
}

async fn network(client: &Arc<Client>, boot: Option<echonet_network::Multiaddr>) -> NetworkHandle {
    let mut config = NetworkConfig::new(client.info().genesis_hash, Keypair::generate_ed25519());
    config.listen_addresses = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    config.boot_nodes = boot.into_iter().collect();
    let (net, mut events, _task) =
        echonet_network::start(config, Arc::new(ClientChain(client.clone())), None)
            .await
            .unwrap();
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    net
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_chunk_state_warps_and_an_interrupted_warp_starts_over() {
    let spec = spec(20_000);
    let server_dir = tempfile::tempdir().unwrap();
    let server = open(server_dir.path(), &spec);
    let first = past_slot(100);
    for i in 0..3 {
        NewBlock::new(&server, first + i).import();
    }
    let tip = server.info().best_hash;
    server
        .finalize_block(tip, Some((GRANDPA_ENGINE_ID, justification(tip, 3))))
        .unwrap();
    let server_net = network(&server, None).await;
    let address = loop {
        if let Some(a) = server_net.listen_addresses().await.into_iter().next() {
            break a;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };

    let dir = tempfile::tempdir().unwrap();
    let client = open(dir.path(), &spec);
    let net = network(&client, Some(address)).await;

    // Stopped as its first state request goes out (it sees the stop before the next):
    // nothing was written.
    let (stop, stopped) = watch::channel(false);
    let requests = Arc::new(AtomicUsize::new(0));
    let interrupting = Interrupting {
        net: net.clone(),
        state_requests: requests.clone(),
        stop_at: Some((1, stop)),
    };
    let progress = WarpProgress::default();
    let result = warp_sync(
        client.clone(),
        Arc::new(interrupting),
        progress.clone(),
        stopped,
    )
    .await;
    assert!(matches!(result, Err(WarpError::Stopped)), "{result:?}");
    assert!(matches!(
        progress.phase(),
        Some(WarpPhase::DownloadingState { bytes, .. }) if bytes > 0
    ));
    assert_eq!(
        client.info().best_number,
        0,
        "nothing is written before the import"
    );

    // Again, to the end: several chunks, each after the one before.
    let requests = Arc::new(AtomicUsize::new(0));
    let counting = Interrupting {
        net: net.clone(),
        state_requests: requests.clone(),
        stop_at: None,
    };
    let (_keep, running) = watch::channel(false);
    let (hash, number) = warp_sync(
        client.clone(),
        Arc::new(counting),
        progress.clone(),
        running,
    )
    .await
    .unwrap();
    assert_eq!((hash, number), (tip, 3));
    assert!(
        requests.load(Ordering::SeqCst) >= 2,
        "the state came in one chunk: make it larger"
    );
    assert_eq!(progress.phase(), Some(WarpPhase::Done { target: 3 }));
    let info = client.info();
    assert_eq!((info.best_hash, info.finalized_hash), (tip, tip));
    // The same state as the server's, entry for entry.
    let keys = |c: &Client| c.storage_keys(tip, b"", None, usize::MAX).unwrap();
    let theirs = keys(&server);
    assert!(theirs.len() > 20_000);
    assert_eq!(keys(&client), theirs);
    for key in theirs.iter().step_by(997) {
        assert_eq!(
            client.storage(tip, key).unwrap(),
            server.storage(tip, key).unwrap()
        );
    }
    // GRANDPA starts at the target with the genesis set (no hand-off on this chain).
    let record = echonet_finality::set_changes(&client).unwrap();
    assert_eq!(record.first_set, 0);
    // A second warp on the now non-fresh database is refused.
    let (_keep2, running) = watch::channel(false);
    assert!(matches!(
        warp_sync(client.clone(), Arc::new(net.clone()), progress, running).await,
        Err(WarpError::NotFresh(3))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_finalized_block_to_warp_to_the_node_gives_up_after_the_wait_and_writes_nothing() {
    // The only peer is at genesis finality (a chain whose first validators all started
    // with `--sync warp`): there is nothing to warp to, and the node must not wait forever.
    let spec = spec(10);
    let server_dir = tempfile::tempdir().unwrap();
    let server = open(server_dir.path(), &spec);
    let first = past_slot(100);
    NewBlock::new(&server, first).import();
    assert_eq!(server.info().finalized_number, 0);
    let server_net = network(&server, None).await;
    let address = loop {
        if let Some(a) = server_net.listen_addresses().await.into_iter().next() {
            break a;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let dir = tempfile::tempdir().unwrap();
    let client = open(dir.path(), &spec);
    let net = network(&client, Some(address)).await;
    // Connected, so that the wait is for a finalized block, not for a peer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while WarpNetwork::peers(&net).await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "no connection");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let wait = std::time::Duration::from_millis(600);
    let progress = WarpProgress::default();
    let (_keep, running) = watch::channel(false);
    let started = std::time::Instant::now();
    let result = warp_sync_with(
        client.clone(),
        Arc::new(net.clone()),
        progress.clone(),
        running,
        WarpOptions {
            nothing_to_warp_to: wait,
        },
    )
    .await;
    assert!(
        matches!(result, Err(WarpError::NothingToWarpTo)),
        "{result:?}"
    );
    assert!(
        started.elapsed() >= wait,
        "gave up before the wait was over"
    );
    assert_eq!(client.info().best_number, 0, "nothing written");
    // The default is the documented 30 s.
    assert_eq!(
        WarpOptions::default().nothing_to_warp_to,
        std::time::Duration::from_secs(30)
    );
}
