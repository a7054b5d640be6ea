//! The settler against a scripted node: forks, retracted blocks, a restarted settler and
//! stale nonces, which a single dev node cannot produce on demand.
//!
//! [`FakeNode`] answers the JSON-RPC methods `L1Client` calls (`chain_*`, `state_getStorage`,
//! `system_accountNextIndex`, `author_*`) from a chain of blocks the test builds: each block
//! holds extrinsics and the few storage values the settler reads (`Bridge.LastBatch`,
//! `System.Events`, `System.Account` of the signer). The test moves the best and finalized
//! heads wherever it wants, and the pool behaves as Substrate's does for one sender: a nonce
//! below the account's is refused as outdated (1010), a second transaction with a nonce
//! already in the pool is refused (1014).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codec::{Decode, Encode};
use echonet_rollup_l1::{
    settler::find_submit_batch, L1Client, L1Config, ProvenBatch, SettlementEvent, Settler,
    SettlerConfig,
};
use echonet_runtime::{AccountId, Runtime, RuntimeEvent, UncheckedExtrinsic};
use frame_system::{EventRecord, Phase};
use jsonrpsee::server::{RpcModule, Server, ServerHandle};
use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{json, Value};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use sp_runtime::generic::Preamble;
use tokio::sync::mpsc;

/// How long a test waits for the settler to react to a scripted change.
const REACT: Duration = Duration::from_secs(10);

struct Block {
    number: u32,
    parent: H256,
    xts: Vec<Vec<u8>>,
    storage: HashMap<Vec<u8>, Vec<u8>>,
    /// The signer's nonce after this block.
    nonce: u32,
}

/// The scripted chain and pool.
struct Chain {
    blocks: HashMap<H256, Block>,
    /// The best chain, by number.
    canon: Vec<H256>,
    finalized: H256,
    /// The pool, in arrival order.
    pool: Vec<Vec<u8>>,
    /// Every extrinsic the pool accepted through `author_submitExtrinsic`.
    accepted: Vec<Vec<u8>>,
    /// Every `author_submitExtrinsic` call, accepted or not.
    submit_calls: usize,
    /// Refusals to answer the next submissions with, in order. With `true`, a new best
    /// block takes the signer's nonce just before the refusal (another transaction of the
    /// same account landed: the nonce the settler fetched is stale).
    refuse: Vec<(ErrorObjectOwned, bool)>,
    /// Put into the pool right after the next `author_pendingExtrinsics` answer (a
    /// retracted extrinsic the pool takes back while the settler is deciding).
    readd_after_pending: Option<Vec<u8>>,
    next_id: u64,
    me: AccountId,
}

fn hash_of(bytes: &[u8]) -> H256 {
    <sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(bytes)
}

fn hex(b: &[u8]) -> String {
    format!("0x{}", ::hex::encode(b))
}

/// The nonce and batch number of a `submit_batch` extrinsic.
fn decode_submission(bytes: &[u8]) -> (u32, u64) {
    let xt = UncheckedExtrinsic::decode(&mut &bytes[..]).expect("an extrinsic");
    let Preamble::Signed(_, _, ext) = &xt.0.preamble else {
        panic!("unsigned extrinsic");
    };
    let number = find_submit_batch(&xt.0.function, 0)
        .expect("a submit_batch")
        .batch_number;
    (ext.5 .0, number)
}

impl Chain {
    fn new(me: AccountId) -> Self {
        let mut c = Chain {
            blocks: HashMap::new(),
            canon: Vec::new(),
            finalized: H256::zero(),
            pool: Vec::new(),
            accepted: Vec::new(),
            submit_calls: 0,
            refuse: Vec::new(),
            readd_after_pending: None,
            next_id: 1,
            me,
        };
        let genesis = c.block(H256::zero(), vec![], 0, 0, vec![]);
        let one = c.block(genesis, vec![], 0, 0, vec![]);
        c.set_best(one);
        c.finalized = one;
        c
    }

    /// A new block on `parent` (not yet on the best chain); `last_batch` and `nonce` are
    /// the state after it.
    fn block(
        &mut self,
        parent: H256,
        xts: Vec<Vec<u8>>,
        last_batch: u64,
        nonce: u32,
        events: Vec<EventRecord<RuntimeEvent, H256>>,
    ) -> H256 {
        let number = self.blocks.get(&parent).map_or(0, |p| p.number + 1);
        let hash = H256::from_low_u64_be(0xb10c_0000_0000 + self.next_id);
        self.next_id += 1;
        let mut storage = HashMap::new();
        if last_batch > 0 {
            storage.insert(
                pallet_bridge::LastBatch::<Runtime>::hashed_key().to_vec(),
                last_batch.encode(),
            );
        }
        storage.insert(
            echonet_runtime::storage_keys::system_events(),
            events.encode(),
        );
        let info = echonet_rollup_l1::client::AccountInfo {
            nonce,
            ..Default::default()
        };
        storage.insert(
            echonet_runtime::storage_keys::system_account(&self.me),
            info.encode(),
        );
        self.blocks.insert(
            hash,
            Block {
                number,
                parent,
                xts,
                storage,
                nonce,
            },
        );
        hash
    }

    /// Makes `head` the best block (the best chain is its ancestry).
    fn set_best(&mut self, head: H256) {
        let mut chain = vec![head];
        let mut at = head;
        while let Some(b) = self.blocks.get(&at) {
            if b.number == 0 {
                break;
            }
            at = b.parent;
            chain.push(at);
        }
        chain.reverse();
        self.canon = chain;
    }

    fn best(&self) -> &Block {
        &self.blocks[self.canon.last().expect("genesis")]
    }

    fn header_json(&self, hash: H256) -> Value {
        match self.blocks.get(&hash) {
            Some(b) => {
                json!({"number": format!("0x{:x}", b.number), "parentHash": hex(b.parent.as_bytes())})
            }
            None => Value::Null,
        }
    }

    fn next_index(&self) -> u32 {
        self.best().nonce + self.pool.len() as u32
    }

    fn submit(&mut self, bytes: Vec<u8>) -> Result<Value, ErrorObjectOwned> {
        self.submit_calls += 1;
        if !self.refuse.is_empty() {
            let (e, nonce_taken) = self.refuse.remove(0);
            if nonce_taken {
                let best = *self.canon.last().expect("genesis");
                let nonce = self.best().nonce + 1;
                let last_batch = self.blocks[&best]
                    .storage
                    .get(pallet_bridge::LastBatch::<Runtime>::hashed_key().as_slice())
                    .map_or(0, |v| u64::decode(&mut &v[..]).expect("u64"));
                let next = self.block(best, vec![vec![0]], last_batch, nonce, vec![]);
                self.set_best(next);
            }
            return Err(e);
        }
        let (nonce, _) = decode_submission(&bytes);
        if nonce < self.best().nonce {
            return Err(outdated());
        }
        if self.pool.iter().any(|x| decode_submission(x).0 == nonce) {
            return Err(ErrorObjectOwned::owned(
                1014,
                "Priority is too low",
                Some("Priority is too low"),
            ));
        }
        self.pool.push(bytes.clone());
        self.accepted.push(bytes.clone());
        Ok(json!(hex(hash_of(&bytes).as_bytes())))
    }
}

fn outdated() -> ErrorObjectOwned {
    ErrorObjectOwned::owned(1010, "Invalid Transaction", Some("Transaction is outdated"))
}

fn arg_hash(v: &Value) -> Option<H256> {
    let s = v.as_str()?.strip_prefix("0x")?;
    let b = ::hex::decode(s).ok()?;
    (b.len() == 32).then(|| H256::from_slice(&b))
}

/// A node on loopback answering from a shared [`Chain`].
struct FakeNode {
    chain: Arc<Mutex<Chain>>,
    url: String,
    _handle: ServerHandle,
}

impl FakeNode {
    async fn start(me: AccountId) -> FakeNode {
        let chain = Arc::new(Mutex::new(Chain::new(me)));
        let server = Server::builder()
            .build("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = server.local_addr().expect("local addr");
        let mut m = RpcModule::new(chain.clone());
        type Ctx = Arc<Mutex<Chain>>;
        let args = |p: jsonrpsee::types::Params| p.parse::<Vec<Value>>().unwrap_or_default();
        m.register_method("chain_getBlockHash", move |p, c: &Ctx, _| {
            let a = args(p);
            let c = c.lock().unwrap();
            let n = a.first().and_then(Value::as_u64).unwrap_or(0) as usize;
            c.canon
                .get(n)
                .map_or(Value::Null, |h| json!(hex(h.as_bytes())))
        })
        .unwrap();
        m.register_method("chain_getHeader", move |p, c: &Ctx, _| {
            let a = args(p);
            let c = c.lock().unwrap();
            match a.first().and_then(arg_hash) {
                Some(h) => c.header_json(h),
                None => c.header_json(*c.canon.last().unwrap()),
            }
        })
        .unwrap();
        m.register_method("chain_getFinalizedHead", move |_, c: &Ctx, _| {
            json!(hex(c.lock().unwrap().finalized.as_bytes()))
        })
        .unwrap();
        m.register_method("chain_getBlock", move |p, c: &Ctx, _| {
            let a = args(p);
            let c = c.lock().unwrap();
            let Some(h) = a.first().and_then(arg_hash) else {
                return Value::Null;
            };
            match c.blocks.get(&h) {
                Some(b) => json!({"block": {
                    "header": c.header_json(h),
                    "extrinsics": b.xts.iter().map(|x| hex(x)).collect::<Vec<_>>(),
                }}),
                None => Value::Null,
            }
        })
        .unwrap();
        m.register_method("state_getStorage", move |p, c: &Ctx, _| {
            let a = args(p);
            let c = c.lock().unwrap();
            let key = a
                .first()
                .and_then(Value::as_str)
                .and_then(|s| ::hex::decode(s.trim_start_matches("0x")).ok())
                .unwrap_or_default();
            let at = a
                .get(1)
                .and_then(arg_hash)
                .unwrap_or(*c.canon.last().unwrap());
            c.blocks
                .get(&at)
                .and_then(|b| b.storage.get(&key))
                .map_or(Value::Null, |v| json!(hex(v)))
        })
        .unwrap();
        m.register_method("system_accountNextIndex", move |_, c: &Ctx, _| {
            json!(c.lock().unwrap().next_index())
        })
        .unwrap();
        m.register_method("author_pendingExtrinsics", move |_, c: &Ctx, _| {
            let mut c = c.lock().unwrap();
            let answer = json!(c.pool.iter().map(|x| hex(x)).collect::<Vec<_>>());
            if let Some(x) = c.readd_after_pending.take() {
                c.pool.push(x);
            }
            answer
        })
        .unwrap();
        m.register_method("author_submitExtrinsic", move |p, c: &Ctx, _| {
            let a = args(p);
            let bytes = a
                .first()
                .and_then(Value::as_str)
                .and_then(|s| ::hex::decode(s.trim_start_matches("0x")).ok())
                .unwrap_or_default();
            c.lock().unwrap().submit(bytes)
        })
        .unwrap();
        FakeNode {
            chain,
            url: format!("ws://{addr}"),
            _handle: server.start(m),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Chain) -> R) -> R {
        f(&mut self.chain.lock().unwrap())
    }

    /// Waits until the pool holds `n` extrinsics; returns them.
    async fn pool_len(&self, n: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + REACT;
        loop {
            let pool = self.with(|c| c.pool.clone());
            if pool.len() == n {
                return pool;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {n} extrinsics in the pool; it holds {}",
                pool.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn batch(number: u64) -> ProvenBatch {
    ProvenBatch {
        number,
        new_root: [number as u8 + 0x40; 32],
        da: vec![1, 2, 3],
        deposits_consumed: 0,
        withdrawals: vec![],
        proof: [9; 128],
    }
}

fn verified(index: u32, b: &ProvenBatch) -> EventRecord<RuntimeEvent, H256> {
    EventRecord {
        phase: Phase::ApplyExtrinsic(index),
        event: RuntimeEvent::Bridge(pallet_bridge::Event::BatchVerified {
            batch_number: b.number,
            old_root: [0; 32],
            new_root: b.new_root,
            deposits: 0,
            withdrawals: 0,
        }),
        topics: vec![],
    }
}

/// What the bridge's refusal of an already verified number looks like on chain.
fn refused(index: u32) -> EventRecord<RuntimeEvent, H256> {
    EventRecord {
        phase: Phase::ApplyExtrinsic(index),
        event: RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
            dispatch_error: pallet_bridge::Error::<Runtime>::BadBatchNumber.into(),
            dispatch_info: Default::default(),
        }),
        topics: vec![],
    }
}

/// The settler's events, collected with deadlines.
struct Events {
    rx: mpsc::Receiver<SettlementEvent>,
    seen: Vec<SettlementEvent>,
    /// The settler's input (kept open: a closed input with nothing left stops it).
    input: mpsc::Sender<ProvenBatch>,
}

impl Events {
    async fn until(&mut self, what: &str, done: impl Fn(&SettlementEvent) -> bool) {
        let deadline = Instant::now() + REACT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(ev)) => {
                    self.seen.push(ev.clone());
                    if done(&ev) {
                        return;
                    }
                }
                Ok(None) => panic!("the settler stopped before {what}; saw {:?}", self.seen),
                Err(_) => panic!("timed out waiting for {what}; saw {:?}", self.seen),
            }
        }
    }

    /// Everything that arrives within `d` (to check that nothing more happens).
    async fn drain_for(&mut self, d: Duration) {
        let deadline = Instant::now() + d;
        while let Ok(Some(ev)) = tokio::time::timeout_at(deadline.into(), self.rx.recv()).await {
            self.seen.push(ev);
        }
    }

    fn count(&self, f: impl Fn(&SettlementEvent) -> bool) -> usize {
        self.seen.iter().filter(|e| f(e)).count()
    }
}

fn is_final(e: &SettlementEvent) -> bool {
    matches!(e, SettlementEvent::Final { .. })
}
fn is_failed(e: &SettlementEvent) -> bool {
    matches!(e, SettlementEvent::Failed { .. })
}
fn is_submitted(e: &SettlementEvent) -> bool {
    matches!(e, SettlementEvent::Submitted { .. })
}

async fn settler(node: &FakeNode, batches: &[ProvenBatch]) -> Events {
    let l1 = L1Client::connect_with(
        &node.url,
        L1Config {
            request_timeout: Duration::from_secs(5),
            reconnect_timeout: Duration::from_secs(1),
            ..L1Config::default()
        },
    )
    .await
    .expect("connects to the fake node");
    let (tx, rx) = mpsc::channel(16);
    for b in batches {
        tx.try_send(b.clone()).expect("room");
    }
    let (events, _task) = Settler::spawn_with(
        l1,
        Sr25519Keyring::Bob.pair(),
        rx,
        SettlerConfig {
            poll: Duration::from_millis(50),
            resubmit_after: Duration::from_secs(30),
            event_buffer: 64,
        },
    );
    Events {
        rx: events,
        seen: Vec::new(),
        input: tx,
    }
}

/// The common start of the reorg tests: the settler submits `b` (nonce 0), and block 2a,
/// on top of block 1, holds the submission and becomes best. Returns the submission and 2a.
async fn submitted_then_in_block_2a(
    node: &FakeNode,
    ev: &mut Events,
    b: &ProvenBatch,
) -> (Vec<u8>, H256) {
    ev.until("the first submission", is_submitted).await;
    let s1 = node.pool_len(1).await.remove(0);
    let a2 = node.with(|c| {
        let one = c.canon[1];
        let a2 = c.block(one, vec![s1.clone()], 1, 1, vec![verified(0, b)]);
        c.pool.clear();
        c.set_best(a2);
        a2
    });
    ev.until("in block 2a", |e| {
        *e == SettlementEvent::InBlock {
            number: b.number,
            block: (2, a2),
        }
    })
    .await;
    (s1, a2)
}

/// The batch is in a best block, then the chain switches to a fork without it, and that
/// fork is finalized; the node does not put the retracted extrinsic back in its pool. The
/// settler must not call the batch final, must resubmit it (the retracted nonce is free
/// again), and must report it final once, in the block of the resubmission.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_reorged_out_before_finality_is_resubmitted_and_final_once() {
    let node = FakeNode::start(Sr25519Keyring::Bob.to_account_id()).await;
    let b1 = batch(1);
    let mut ev = settler(&node, std::slice::from_ref(&b1)).await;

    // Block 2a holds it; only block 1 is final.
    let (s1, _a2) = submitted_then_in_block_2a(&node, &mut ev, &b1).await;
    assert_eq!(decode_submission(&s1), (0, 1), "nonce 0, batch 1");

    // The fork 2b-3b wins and is finalized; it does not hold the extrinsic.
    let b3 = node.with(|c| {
        let one = c.canon[1];
        let b2 = c.block(one, vec![], 0, 0, vec![]);
        let b3 = c.block(b2, vec![], 0, 0, vec![]);
        c.set_best(b3);
        c.finalized = b3;
        b3
    });
    ev.until("the resubmission", |e| {
        matches!(e, SettlementEvent::Resubmitted { number: 1, .. })
    })
    .await;
    ev.until("the second submission", is_submitted).await;
    let s2 = node.pool_len(1).await.remove(0);
    assert_ne!(s2, s1, "a new signature");
    assert_eq!(
        decode_submission(&s2),
        (0, 1),
        "nonce 0 is free again on the new chain"
    );
    assert_eq!(
        ev.count(is_final),
        0,
        "nothing is final while the finalized chain lacks the batch: {:?}",
        ev.seen
    );

    // Block 4b holds the resubmission and is finalized.
    let b4 = node.with(|c| {
        let b4 = c.block(b3, vec![s2.clone()], 1, 1, vec![verified(0, &b1)]);
        c.pool.clear();
        c.set_best(b4);
        c.finalized = b4;
        b4
    });
    ev.until("final", is_final).await;
    assert_eq!(
        ev.seen.last(),
        Some(&SettlementEvent::Final {
            number: 1,
            block: (4, b4)
        })
    );
    ev.drain_for(Duration::from_millis(500)).await;
    assert_eq!(ev.count(is_final), 1, "{:?}", ev.seen);
    assert_eq!(ev.count(is_failed), 0, "{:?}", ev.seen);
    assert_eq!(ev.count(is_submitted), 2, "{:?}", ev.seen);
    assert_eq!(node.with(|c| c.accepted.len()), 2);
}

/// The node puts the retracted extrinsic back in its pool (what Substrate's pool does
/// after a reorg). The settler adopts it instead of signing a second `submit_batch`, which
/// would take the next nonce, land after the original and fail on chain (a fee for
/// nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retracted_submission_back_in_the_pool_is_adopted_not_duplicated() {
    let node = FakeNode::start(Sr25519Keyring::Bob.to_account_id()).await;
    let b1 = batch(1);
    let mut ev = settler(&node, std::slice::from_ref(&b1)).await;
    let (s1, _a2) = submitted_then_in_block_2a(&node, &mut ev, &b1).await;
    // The pool takes the retracted extrinsic back before the settler's next look.
    let b3 = node.with(|c| {
        let one = c.canon[1];
        let b2 = c.block(one, vec![], 0, 0, vec![]);
        let b3 = c.block(b2, vec![], 0, 0, vec![]);
        c.pool.push(s1.clone());
        c.set_best(b3);
        b3
    });
    ev.until("the reorg noticed", |e| {
        matches!(e, SettlementEvent::Resubmitted { number: 1, .. })
    })
    .await;
    ev.drain_for(Duration::from_millis(500)).await;
    assert_eq!(
        node.with(|c| (c.accepted.len(), c.pool.len(), c.pool.first() == Some(&s1))),
        (1, 1, true),
        "no second submit_batch next to the one back in the pool: {:?}",
        ev.seen
    );
    let b4 = node.with(|c| {
        let b4 = c.block(b3, vec![s1.clone()], 1, 1, vec![verified(0, &b1)]);
        c.pool.clear();
        c.set_best(b4);
        c.finalized = b4;
        b4
    });
    ev.until("final", is_final).await;
    assert_eq!(
        ev.seen.last(),
        Some(&SettlementEvent::Final {
            number: 1,
            block: (4, b4)
        })
    );
    assert_eq!(ev.count(is_failed), 0, "{:?}", ev.seen);
}

/// The retracted extrinsic comes back to the pool just after the settler looked, so its
/// resubmission takes the next nonce. The original lands first and settles the batch; the
/// duplicate lands after it and the bridge refuses it (`BadBatchNumber`: the number is
/// already verified). That refusal is the batch being settled, not a failure: it is final
/// once, nothing is reported failed, and the next batch goes on with the next free nonce.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_refused_by_the_bridge_after_a_reorg_is_not_a_failure() {
    let node = FakeNode::start(Sr25519Keyring::Bob.to_account_id()).await;
    let (b1, b2) = (batch(1), batch(2));
    let mut ev = settler(&node, std::slice::from_ref(&b1)).await;
    let (s1, b3) = {
        let (s1, _a2) = submitted_then_in_block_2a(&node, &mut ev, &b1).await;
        let b3 = node.with(|c| {
            let one = c.canon[1];
            let b2 = c.block(one, vec![], 0, 0, vec![]);
            let b3 = c.block(b2, vec![], 0, 0, vec![]);
            c.readd_after_pending = Some(s1.clone());
            c.set_best(b3);
            b3
        });
        (s1, b3)
    };
    ev.until("the second submission", |e| {
        matches!(e, SettlementEvent::Submitted { number: 1, .. })
    })
    .await;
    let pool = node.pool_len(2).await;
    let dup = pool
        .iter()
        .find(|x| **x != s1)
        .expect("the duplicate")
        .clone();
    assert_eq!(
        decode_submission(&dup),
        (1, 1),
        "the next nonce after the one back in the pool"
    );

    // 4b: the original settles batch 1; 5b: the duplicate fails with BadBatchNumber.
    let (b4, b5) = node.with(|c| {
        let b4 = c.block(b3, vec![s1.clone()], 1, 1, vec![verified(0, &b1)]);
        let b5 = c.block(b4, vec![dup.clone()], 1, 2, vec![refused(0)]);
        c.pool.clear();
        c.set_best(b5);
        (b4, b5)
    });
    ev.until("in block 4b", |e| {
        *e == SettlementEvent::InBlock {
            number: 1,
            block: (4, b4),
        }
    })
    .await;
    node.with(|c| c.finalized = b5);
    ev.until("final", is_final).await;
    assert_eq!(
        ev.seen.last(),
        Some(&SettlementEvent::Final {
            number: 1,
            block: (4, b4)
        })
    );

    // The next batch takes nonce 2 (both earlier ones are spent).
    ev.input.send(b2.clone()).await.expect("settler running");
    ev.until("batch 2 submitted", |e| {
        matches!(e, SettlementEvent::Submitted { number: 2, .. })
    })
    .await;
    let s3 = node.pool_len(1).await.remove(0);
    assert_eq!(decode_submission(&s3), (2, 2));
    ev.drain_for(Duration::from_millis(300)).await;
    assert_eq!(ev.count(is_failed), 0, "{:?}", ev.seen);
    assert_eq!(ev.count(is_final), 1, "{:?}", ev.seen);
    assert_eq!(
        node.with(|c| c.accepted.len()),
        3,
        "batch 1 twice (the race), batch 2 once"
    );
}

/// A settler restarted while its previous run's submission waits in the pool adopts that
/// submission instead of signing a second one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_settler_adopts_the_submission_waiting_in_the_pool() {
    let node = FakeNode::start(Sr25519Keyring::Bob.to_account_id()).await;
    let b1 = batch(1);
    // The previous run: submitted batch 1 with nonce 0, then stopped.
    let old = {
        let mut first = settler(&node, std::slice::from_ref(&b1)).await;
        first
            .until("the first run's submission", is_submitted)
            .await;
        node.pool_len(1).await.remove(0)
        // `first` is dropped here: its actor stops at its next event.
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let calls = node.with(|c| c.submit_calls);
    let mut ev = settler(&node, std::slice::from_ref(&b1)).await;
    ev.drain_for(Duration::from_millis(600)).await;
    assert_eq!(
        node.with(|c| c.submit_calls),
        calls,
        "nothing signed again: {:?}",
        ev.seen
    );
    assert_eq!(ev.count(is_submitted), 0);
    let b2 = node.with(|c| {
        let one = c.canon[1];
        let b2 = c.block(one, vec![old.clone()], 1, 1, vec![verified(0, &b1)]);
        c.pool.clear();
        c.set_best(b2);
        c.finalized = b2;
        b2
    });
    ev.until("final", is_final).await;
    assert_eq!(
        ev.seen.last(),
        Some(&SettlementEvent::Final {
            number: 1,
            block: (2, b2)
        })
    );
}

/// After a restart the node refuses the settler's submission as outdated (another
/// transaction of the same account took nonce 3 between the nonce query and the
/// submission). The settler fetches a fresh nonce (4) and signs again, and does not spin:
/// one more submission, then it waits for the chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_nonce_is_refetched_and_signed_again_once() {
    let node = FakeNode::start(Sr25519Keyring::Bob.to_account_id()).await;
    let b1 = batch(1);
    // Block 2 (best, final) has the account at nonce 3; the first submission is refused as
    // outdated, as if its nonce had just been used.
    node.with(|c| {
        let one = c.canon[1];
        let two = c.block(one, vec![], 0, 3, vec![]);
        c.set_best(two);
        c.finalized = two;
        c.refuse.push((outdated(), true));
    });
    let mut ev = settler(&node, std::slice::from_ref(&b1)).await;
    ev.until("the submission", is_submitted).await;
    let s = node.pool_len(1).await.remove(0);
    assert_eq!(
        decode_submission(&s),
        (4, 1),
        "the nonce after the one just taken"
    );
    ev.drain_for(Duration::from_millis(600)).await;
    assert_eq!(
        node.with(|c| c.submit_calls),
        2,
        "one refused, one accepted, no more"
    );
    assert_eq!(
        ev.count(|e| matches!(e, SettlementEvent::Resubmitted { number: 1, .. })),
        1,
        "{:?}",
        ev.seen
    );
    assert_eq!(ev.count(is_submitted), 1);
}
