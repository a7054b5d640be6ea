//! `l2_subscribeTransaction`: the current status first, then every change (cut, proven,
//! settled, final), then the subscription ends. Proofs and settlement events are fed by
//! hand where the farm and the L1 settler would.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use echonet_rollup_primitives::BatchTrace;
use echonet_sequencer::service::{
    Deps, NoDeposits, NoProver, Sequencer, Settlement, SettlementEvent,
};
use jsonrpsee::core::client::{Subscription, SubscriptionClientT};
use parking_lot::Mutex;
use serde_json::Value;

use crate::harness::*;

#[derive(Default)]
struct RecordingSettler(Mutex<Vec<(BatchTrace, [u8; 128])>>);

#[async_trait::async_trait]
impl Settlement for RecordingSettler {
    async fn submit(&self, trace: &BatchTrace, proof: [u8; 128]) {
        self.0.lock().push((trace.clone(), proof));
    }
}

async fn next(sub: &mut Subscription<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(30), sub.next())
        .await
        .expect("notification in time")
        .expect("subscription open")
        .expect("valid notification")
}

#[tokio::test]
async fn subscriber_follows_a_transaction_to_final() {
    let dir = tempfile::tempdir().unwrap();
    let o = Opts {
        batch_size: 2,
        ..Opts::default()
    };
    let (proof_tx, proof_rx) = tokio::sync::mpsc::channel(16);
    let (ev_tx, ev_rx) = tokio::sync::mpsc::channel(16);
    let settler = Arc::new(RecordingSettler::default());
    let prover = Arc::new(NoProver::default());
    let mut deps = Deps::offline(Arc::new(NoDeposits));
    deps.prover = prover.clone();
    deps.proofs = Some(proof_rx);
    deps.settlement = Some((settler.clone() as Arc<dyn Settlement>, ev_rx));
    let seq = Sequencer::start(config(dir.path(), &o), deps)
        .await
        .unwrap();
    let c = ws(&seq).await;
    let r = send(&c, tx_json(&transfer(1, 2, 5, 1, 0))).await.unwrap();
    let mut sub: Subscription<Value> = c
        .subscribe(
            "l2_subscribeTransaction",
            jsonrpsee::rpc_params![r["hash"].clone()],
            "l2_unsubscribeTransaction",
        )
        .await
        .unwrap();
    assert_eq!(next(&mut sub).await["status"], "softConfirmed");
    // The second transfer fills batch 1.
    send(&c, tx_json(&transfer(2, 3, 5, 1, 0))).await.unwrap();
    assert_eq!(next(&mut sub).await["status"], "inBatch");
    let sh = seq.shared().clone();
    wait_until(30, "traced", || {
        sh.progress.traced.load(Ordering::Relaxed) == 1
    })
    .await;
    assert_eq!(prover.jobs_added(), vec![1]);
    assert_eq!(sh.backlog.total(), 2);
    proof_tx.send((1, [7u8; 128])).await.unwrap();
    assert_eq!(next(&mut sub).await["status"], "proven");
    assert_eq!(sh.backlog.total(), 0, "a proven batch leaves the backlog");
    wait_until(10, "submitted to the settler", || {
        settler.0.lock().len() == 1
    })
    .await;
    let (t, proof) = settler.0.lock()[0].clone();
    assert_eq!(t.header.batch_number, 1);
    assert_eq!(proof, [7u8; 128]);
    assert_eq!(t, sh.store.trace(1).unwrap().unwrap());
    // A repeated proof is ignored.
    proof_tx.send((1, [8u8; 128])).await.unwrap();
    ev_tx
        .send(SettlementEvent::InBlock {
            number: 1,
            block: (12, [3; 32]),
        })
        .await
        .unwrap();
    let n = next(&mut sub).await;
    assert_eq!(n["status"], "settled");
    assert_eq!(n["l1Block"]["number"], 12);
    ev_tx
        .send(SettlementEvent::Final {
            number: 1,
            block: (12, [3; 32]),
        })
        .await
        .unwrap();
    assert_eq!(next(&mut sub).await["status"], "final");
    // Nothing follows `final` (the server has ended the subscription), and a new
    // subscription gets the final status once.
    let more = tokio::time::timeout(Duration::from_millis(300), sub.next()).await;
    assert!(more.is_err(), "nothing after final: {more:?}");
    let mut sub2: Subscription<Value> = c
        .subscribe(
            "l2_subscribeTransaction",
            jsonrpsee::rpc_params![r["hash"].clone()],
            "l2_unsubscribeTransaction",
        )
        .await
        .unwrap();
    assert_eq!(next(&mut sub2).await["status"], "final");
    assert_eq!(sh.progress.finalized.load(Ordering::Relaxed), 1);
    assert_eq!(settler.0.lock().len(), 1);
    assert_eq!(
        sh.store.batch_state(1).unwrap().unwrap().proof,
        Some([7u8; 128])
    );
    let status: Value =
        jsonrpsee::core::client::ClientT::request(&c, "l2_status", jsonrpsee::rpc_params![])
            .await
            .unwrap();
    assert_eq!(status["finalBatch"], 1);
    assert_eq!(status["provenBatch"], 1);
    assert_eq!(status["openBatch"], 2);
    drop(sh);
    seq.stop().await;
}

#[tokio::test]
async fn subscribing_to_an_unknown_hash_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let seq = start_offline(dir.path(), &Opts::default()).await;
    let c = ws(&seq).await;
    let res: Result<Subscription<Value>, _> = c
        .subscribe(
            "l2_subscribeTransaction",
            jsonrpsee::rpc_params![format!("0x{}", "11".repeat(32))],
            "l2_unsubscribeTransaction",
        )
        .await;
    assert!(res.is_err());
    let res: Result<Subscription<Value>, _> = c
        .subscribe(
            "l2_subscribeTransaction",
            jsonrpsee::rpc_params!["0x12"],
            "l2_unsubscribeTransaction",
        )
        .await;
    assert!(res.is_err());
    seq.stop().await;
}

/// A settler that takes nothing until it is opened, then records like [`RecordingSettler`].
struct GatedSettler {
    open: tokio::sync::Semaphore,
    got: Mutex<Vec<u64>>,
}

#[async_trait::async_trait]
impl Settlement for GatedSettler {
    async fn submit(&self, trace: &BatchTrace, _proof: [u8; 128]) {
        let _permit = self.open.acquire().await.expect("gate open");
        self.got.lock().push(trace.header.batch_number);
    }
}

#[tokio::test]
async fn a_settler_that_is_behind_holds_proofs_back_and_loses_none() {
    let dir = tempfile::tempdir().unwrap();
    let o = Opts {
        batch_size: 2,
        ..Opts::default()
    };
    // The farm's channel, with room for one proof.
    let (proof_tx, proof_rx) = tokio::sync::mpsc::channel(1);
    let (_ev_tx, ev_rx) = tokio::sync::mpsc::channel(16);
    let settler = Arc::new(GatedSettler {
        open: tokio::sync::Semaphore::new(0),
        got: Mutex::default(),
    });
    let mut deps = Deps::offline(Arc::new(NoDeposits));
    deps.proofs = Some(proof_rx);
    deps.settlement = Some((settler.clone() as Arc<dyn Settlement>, ev_rx));
    let seq = Sequencer::start(config(dir.path(), &o), deps)
        .await
        .unwrap();
    let c = http(&seq);
    // Four batches of two transfers each.
    for nonce in 0..4 {
        send(&c, tx_json(&transfer(1, 2, 5, 1, nonce)))
            .await
            .unwrap();
        send(&c, tx_json(&transfer(2, 3, 5, 1, nonce)))
            .await
            .unwrap();
    }
    let sh = seq.shared().clone();
    wait_until(30, "four batches traced", || {
        sh.progress.traced.load(Ordering::Relaxed) == 4
    })
    .await;
    // Proof 1 is taken and its batch proven; its hand-over to the settler waits.
    proof_tx.send((1, [1u8; 128])).await.unwrap();
    wait_until(10, "batch 1 proven", || {
        sh.progress.proven.load(Ordering::Relaxed) == 1
    })
    .await;
    // Proof 2 fills the channel; proof 3 finds no room: the farm would wait here.
    proof_tx.send((2, [2u8; 128])).await.unwrap();
    assert!(
        matches!(
            proof_tx.try_send((3, [3u8; 128])),
            Err(tokio::sync::mpsc::error::TrySendError::Full(_))
        ),
        "a settler that takes nothing must hold proofs back"
    );
    assert_eq!(sh.progress.proven.load(Ordering::Relaxed), 1);
    assert!(settler.got.lock().is_empty());
    // Once the settler takes batches, every proof goes through, each batch once, in order.
    settler.open.add_permits(1_000);
    proof_tx.send((3, [3u8; 128])).await.unwrap();
    proof_tx.send((4, [4u8; 128])).await.unwrap();
    wait_until(10, "four batches handed to the settler", || {
        settler.got.lock().len() == 4
    })
    .await;
    assert_eq!(*settler.got.lock(), vec![1, 2, 3, 4]);
    assert_eq!(sh.progress.proven.load(Ordering::Relaxed), 4);
    for n in 1..=4u8 {
        let state = sh.store.batch_state(u64::from(n)).unwrap().unwrap();
        assert_eq!(state.proof, Some([n; 128]), "batch {n}");
    }
    drop(sh);
    seq.stop().await;
}
