//! What a peer's word is worth: the sync engine over a real chain client, fed events and
//! answered by a scripted network, so that a peer can lie in its handshake, announce
//! headers, and refuse (`Busy`) or never answer block requests, deterministically.

use echonet_client::Client;
use echonet_network::{
    serve_block_request, BlockData, BlockRequest, BlockTransactionsRequest, CompactBody, MessageId,
    MessageValidity, NetworkEvent, PeerId, Refusal, ReputationChange, RequestError, Role, Status,
};
use echonet_runtime::Header;
use echonet_sync::{
    ClientChain, SyncConfig, SyncEngine, SyncHandle, SyncNetwork, SyncParams, SyncState,
    SyncStatus, TransactionSource,
};
use echonet_test_utils::{
    dev_keys, init_tracing, open_dev_client, past_slot, wait_until_within, DevClient, NewBlock,
};
use futures::future::BoxFuture;
use parking_lot::Mutex;
use sp_core::{Pair, H256};
use sp_runtime::OpaqueExtrinsic;
use std::{collections::HashMap, sync::Arc, time::Duration};
use tokio::sync::{mpsc, watch};

const DEADLINE: Duration = Duration::from_secs(20);

/// How a scripted peer answers block requests.
#[derive(Clone)]
pub(crate) enum Answer {
    /// Refused: the server is busy.
    Busy,
    /// No answer, ever (the real network would time out after 20 s).
    Never,
    /// Served honestly from this chain.
    Serve(Arc<Client>),
    /// Blocks served honestly from this chain, but requests for a block's extrinsics
    /// answered with the wrong ones (the block's other extrinsics, as many as asked).
    WrongTransactions(Arc<Client>),
    /// Blocks served honestly from this chain, requests for extrinsics answered "none".
    NoTransactions(Arc<Client>),
}

impl Answer {
    fn chain(&self) -> Option<&Arc<Client>> {
        match self {
            Answer::Serve(c) | Answer::WrongTransactions(c) | Answer::NoTransactions(c) => Some(c),
            Answer::Busy | Answer::Never => None,
        }
    }
}

/// A [`SyncNetwork`] whose peers answer as scripted, and that records what the engine did.
#[derive(Default)]
pub(crate) struct ScriptedNetwork {
    answers: Mutex<HashMap<PeerId, Answer>>,
    pub(crate) requests: Mutex<Vec<(PeerId, BlockRequest)>>,
    pub(crate) tx_requests: Mutex<Vec<(PeerId, BlockTransactionsRequest)>>,
    pub(crate) reports: Mutex<Vec<(PeerId, ReputationChange)>>,
    pub(crate) verdicts: Mutex<Vec<(PeerId, MessageValidity)>>,
}

impl ScriptedNetwork {
    fn requests_to(&self, peer: PeerId) -> usize {
        self.requests
            .lock()
            .iter()
            .filter(|(p, _)| *p == peer)
            .count()
    }
}

impl SyncNetwork for ScriptedNetwork {
    fn request_blocks(
        &self,
        peer: PeerId,
        request: BlockRequest,
    ) -> BoxFuture<'static, Result<Vec<BlockData>, RequestError>> {
        self.requests.lock().push((peer, request));
        let answer = self.answers.lock().get(&peer).cloned();
        match answer {
            Some(
                Answer::Serve(chain)
                | Answer::WrongTransactions(chain)
                | Answer::NoTransactions(chain),
            ) => {
                let blocks = serve_block_request(&ClientChain(chain), &request);
                Box::pin(async move { Ok(blocks) })
            }
            Some(Answer::Never) => Box::pin(futures::future::pending()),
            Some(Answer::Busy) => Box::pin(async { Err(RequestError::Refused(Refusal::Busy)) }),
            None => Box::pin(async { Err(RequestError::NotConnected) }),
        }
    }

    fn request_block_transactions(
        &self,
        peer: PeerId,
        request: BlockTransactionsRequest,
    ) -> BoxFuture<'static, Result<Option<Vec<OpaqueExtrinsic>>, RequestError>> {
        self.tx_requests.lock().push((peer, request.clone()));
        let answer = self.answers.lock().get(&peer).cloned();
        let body = answer
            .as_ref()
            .and_then(Answer::chain)
            .and_then(|chain| chain.body(request.block).ok().flatten());
        let result = match (answer, body) {
            (Some(Answer::Serve(_)), Some(body)) => Ok(request
                .positions
                .iter()
                .map(|p| body.get(*p as usize).cloned())
                .collect::<Option<Vec<_>>>()),
            (Some(Answer::WrongTransactions(_)), Some(body)) => {
                // As many as asked, none of them the one asked for.
                let wrong = request
                    .positions
                    .iter()
                    .map(|p| body[(*p as usize + 1) % body.len()].clone())
                    .collect();
                Ok(Some(wrong))
            }
            (Some(Answer::NoTransactions(_)), _) | (Some(Answer::Serve(_)), None) => Ok(None),
            (Some(Answer::Busy), _) => Err(RequestError::Refused(Refusal::Busy)),
            (Some(Answer::Never), _) => return Box::pin(futures::future::pending()),
            _ => Err(RequestError::NotConnected),
        };
        Box::pin(async move { result })
    }

    fn report_peer(&self, peer: PeerId, change: ReputationChange) {
        self.reports.lock().push((peer, change));
    }

    fn report_message(&self, _id: MessageId, peer: PeerId, validity: MessageValidity) {
        self.verdicts.lock().push((peer, validity));
    }
}

/// An engine over `client`, its events fed by the test.
pub(crate) struct Harness {
    pub(crate) client: Arc<Client>,
    pub(crate) network: Arc<ScriptedNetwork>,
    events: mpsc::Sender<NetworkEvent>,
    pub(crate) sync: SyncHandle,
    _shutdown: watch::Sender<bool>,
    next_message: u64,
}

impl Harness {
    fn start(client: Arc<Client>, config: SyncConfig) -> Self {
        Self::start_with_pool(client, config, None)
    }

    /// An engine that rebuilds compact announcements from `pool`.
    pub(crate) fn start_with_pool(
        client: Arc<Client>,
        config: SyncConfig,
        pool: Option<Arc<dyn TransactionSource>>,
    ) -> Self {
        let network = Arc::new(ScriptedNetwork::default());
        let (events, rx) = mpsc::channel(64);
        let (engine, sync) = SyncEngine::new(SyncParams {
            client: client.clone(),
            network: network.clone(),
            events: rx,
            config,
            justifications: None,
            transactions: pool,
            registry: None,
        })
        .expect("no registry, no metrics to register");
        let (shutdown, shutdown_rx) = watch::channel(false);
        tokio::spawn(engine.run(shutdown_rx));
        Self {
            client,
            network,
            events,
            sync,
            _shutdown: shutdown,
            next_message: 0,
        }
    }

    /// A peer completes its handshake claiming `best_number` with hash `best_hash`.
    pub(crate) async fn connect(
        &self,
        answer: Answer,
        best_number: u32,
        best_hash: H256,
    ) -> PeerId {
        let peer = PeerId::random();
        self.network.answers.lock().insert(peer, answer);
        let info = self.client.info();
        let status = Status {
            genesis_hash: info.genesis_hash,
            best_number,
            best_hash,
            finalized_number: 0,
            finalized_hash: info.genesis_hash,
        };
        self.send(NetworkEvent::PeerConnected {
            peer,
            role: Role::Full,
            status,
        })
        .await;
        peer
    }

    async fn announce(&mut self, peer: PeerId, header: Header) {
        self.announce_with(peer, header, None).await
    }

    /// Announces `header` with its body in compact form, if given.
    pub(crate) async fn announce_with(
        &mut self,
        peer: PeerId,
        header: Header,
        compact: Option<CompactBody>,
    ) {
        self.next_message += 1;
        let message_id = MessageId::from_bytes(self.next_message.to_le_bytes().to_vec());
        self.send(NetworkEvent::BlockAnnounce {
            peer,
            header,
            is_best: true,
            compact,
            message_id,
        })
        .await;
    }

    async fn send(&self, event: NetworkEvent) {
        self.events
            .send(event)
            .await
            .expect("the engine takes events");
    }

    /// Waits until `check` holds for the published status; returns that status.
    async fn wait_status(&self, what: &str, check: impl Fn(&SyncStatus) -> bool) -> SyncStatus {
        wait_until_within(what, DEADLINE, || {
            let status = self.sync.status();
            let ok = check(&status);
            async move { ok.then_some(status) }
        })
        .await
    }

    /// Waits until the engine has sent `n` requests to `peer`.
    async fn wait_requests(&self, peer: PeerId, n: usize) {
        wait_until_within("the engine's requests", DEADLINE, || {
            let sent = self.network.requests_to(peer);
            async move { (sent >= n).then_some(()) }
        })
        .await
    }

    fn claim_of(&self, peer: PeerId) -> Option<u32> {
        self.sync
            .status()
            .peers
            .iter()
            .find(|p| p.peer_id == peer)
            .map(|p| p.best_number)
    }
}

/// A dev chain of `n` blocks (slots far in the past).
async fn chain_of(n: u32) -> DevClient {
    tokio::task::spawn_blocking(move || {
        let chain = open_dev_client();
        let first = past_slot(100_000);
        for i in 0..n {
            NewBlock::new(&chain, first + u64::from(i)).import();
        }
        chain
    })
    .await
    .expect("the chain builds")
}

/// Watches the status until `done`; fails the test if `bad` ever holds on the way.
async fn never_while(
    harness: &Harness,
    what: &str,
    bad: impl Fn(&SyncStatus) -> bool,
    done: impl Fn(&SyncStatus) -> bool,
) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let status = harness.sync.status();
        assert!(!bad(&status), "{what}: {status:?}");
        if done(&status) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_a_peer_cannot_serve_is_capped_at_what_it_showed() {
    init_tracing();
    let chain = chain_of(3).await;
    let best = chain.info().best_hash;
    let harness = Harness::start(chain.client.clone(), SyncConfig::default());
    // It says it is one block ahead (a block nobody has seen), then refuses every request.
    let liar = harness
        .connect(Answer::Busy, 4, H256::repeat_byte(0x44))
        .await;
    harness.wait_requests(liar, 1).await;
    let status = harness
        .wait_status("the liar's claim capped", |s| {
            s.peers
                .iter()
                .any(|p| p.peer_id == liar && p.best_number <= 3)
        })
        .await;
    // It showed nothing of ours but genesis.
    assert_eq!(status.best_seen, Some(0), "{status:?}");
    assert_eq!(status.state, SyncState::Idle);
    assert!(!status.claimed_ahead, "{status:?}");
    // Its handshake's best hash is ours, so it showed #3; it claims #4 and refuses.
    let peer = harness.connect(Answer::Busy, 4, best).await;
    harness.wait_requests(peer, 1).await;
    harness
        .wait_status("the second claim capped", |s| {
            s.peers
                .iter()
                .any(|p| p.peer_id == peer && p.best_number == 3)
        })
        .await;
    assert_eq!(harness.sync.status().best_seen, Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announcement_counts_only_once_its_header_passes_the_aura_checks() {
    init_tracing();
    let chain = chain_of(3).await;
    let parent = chain.info().best_hash;
    let slot = past_slot(100_000) + 10;
    let (forged, sealed) = {
        let chain = chain.client.clone();
        tokio::task::spawn_blocking(move || {
            let block = NewBlock::new(&chain, slot).on(parent).build();
            let owner = block.author.public();
            let other = dev_keys()
                .into_iter()
                .find(|k| k.public() != owner)
                .expect("a dev key that does not own the slot");
            let forged = NewBlock::new(&chain, slot)
                .on(parent)
                .build()
                .seal_with(&other)
                .header;
            (forged, block.seal().header)
        })
        .await
        .expect("the blocks build")
    };
    let mut harness = Harness::start(chain.client.clone(), SyncConfig::default());
    // An honest handshake (its best is ours); it never answers a request.
    let peer = harness.connect(Answer::Never, 3, parent).await;
    harness
        .wait_status("the peer known", |s| s.num_peers() == 1)
        .await;

    // Sealed by a key that does not own the slot: no proof of anything.
    harness.announce(peer, forged).await;
    harness.wait_requests(peer, 1).await;
    let status = harness.sync.status();
    assert_eq!(status.best_seen, Some(3), "{status:?}");
    assert_eq!(harness.claim_of(peer), Some(3), "{status:?}");

    // Sealed by the slot's owner: the peer has shown #4, though it never serves it.
    harness.announce(peer, sealed).await;
    harness
        .wait_status("the sealed header counted", |s| s.best_seen == Some(4))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn major_sync_follows_what_peers_proved_not_what_one_of_them_said() {
    init_tracing();
    let server = chain_of(20).await;
    let target = server.info().best_hash;
    let fresh = open_dev_client();
    let harness = Harness::start(fresh.client.clone(), SyncConfig::default());
    // Says it has a thousand blocks, answers nothing.
    let boaster = harness
        .connect(Answer::Never, 1000, H256::repeat_byte(0x10))
        .await;
    harness.wait_requests(boaster, 1).await;
    let status = harness.sync.status();
    assert_ne!(status.best_seen, Some(1000), "{status:?}");
    assert_eq!(status.state, SyncState::Idle, "{status:?}");

    // An honest peer with 20 blocks: the node follows what it delivers.
    let honest = harness
        .connect(Answer::Serve(server.client.clone()), 20, target)
        .await;
    never_while(
        &harness,
        "the boaster's word counted",
        |s| s.best_seen.is_some_and(|n| n > 20),
        |_| fresh.info().best_hash == target,
    )
    .await;
    let status = harness
        .wait_status("idle at the honest peer's best", |s| {
            s.state == SyncState::Idle && s.best_seen == Some(20)
        })
        .await;
    assert!(harness.network.requests_to(honest) >= 1, "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unshown_claim_holds_a_validator_back_only_for_its_grace() {
    init_tracing();
    let chain = chain_of(3).await;
    let grace = Duration::from_millis(800);
    let config = SyncConfig {
        unproven_claim_grace: grace,
        ..SyncConfig::default()
    };
    let mut harness = Harness::start(chain.client.clone(), config);
    let started = tokio::time::Instant::now();
    let peer = harness
        .connect(Answer::Never, 4, H256::repeat_byte(0x44))
        .await;
    let status = harness
        .wait_status("the claim known", |s| s.num_peers() == 1)
        .await;
    assert!(
        status.claimed_ahead || started.elapsed() >= grace,
        "{status:?}"
    );
    let status = harness
        .wait_status("the grace over", |s| !s.claimed_ahead)
        .await;
    assert!(started.elapsed() >= grace / 2, "{status:?}");
    // The claim still stands (nothing failed yet), but counts for nothing now.
    assert_eq!(harness.claim_of(peer), Some(4), "{status:?}");
    assert_eq!(status.best_seen, Some(0), "{status:?}");

    // Announcing more of the same (headers on a parent nobody has) gets it no new grace.
    let header = <Header as sp_runtime::traits::Header>::new(
        5,
        H256::repeat_byte(5),
        H256::repeat_byte(5),
        H256::repeat_byte(0x55),
        Default::default(),
    );
    harness.announce(peer, header).await;
    let watch_until = tokio::time::Instant::now() + grace * 2;
    never_while(
        &harness,
        "an unshown claim held authoring back again",
        |s| s.claimed_ahead,
        |_| tokio::time::Instant::now() >= watch_until,
    )
    .await;
    assert_eq!(harness.claim_of(peer), Some(5));
}
