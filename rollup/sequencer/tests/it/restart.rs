//! Durability: a stop without any shutdown step (what a crash leaves: every admission round
//! is durable when it ends) keeps every receipted transaction at its place, and the
//! sequencer continues from there: the open batch, its order, the soft state, the backlog.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use echonet_sequencer::service::{NoDeposits, NoProver};
use serde_json::Value;

use crate::harness::*;

#[tokio::test]
async fn restart_keeps_every_receipted_transaction_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let o = Opts {
        batch_size: 4,
        accounts: 9,
        ..Opts::default()
    };
    let seq = start_offline(dir.path(), &o).await;
    // Eight senders, three transfers each, concurrently (over several group commits).
    let c = Arc::new(ws(&seq).await);
    let mut handles = Vec::new();
    for from in 1..=8u32 {
        let c = c.clone();
        handles.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for n in 0..3u64 {
                let tx = transfer(from, (from % 8) + 1, 5, 1, n);
                out.push(send(&*c, tx_json(&tx)).await.expect("admitted"));
            }
            out
        }));
    }
    let mut receipts: Vec<Value> = Vec::new();
    for h in handles {
        receipts.extend(h.await.unwrap());
    }
    assert_eq!(receipts.len(), 24);
    let before_open = seq.shared().open_batch.load(Ordering::Relaxed);
    assert_eq!(before_open, 7, "24 transfers fill six batches of 4");
    drop(c);
    seq.stop().await;

    let prover = Arc::new(NoProver::default());
    let seq = start(dir.path(), &o, Arc::new(NoDeposits), prover.clone()).await;
    let sh = seq.shared().clone();
    assert_eq!(sh.open_batch.load(Ordering::Relaxed), before_open);
    for r in &receipts {
        let loc = sh.store.tx_location(&hex32(&r["hash"])).unwrap();
        assert_eq!(
            loc,
            Some((
                r["batch"].as_u64().unwrap(),
                r["slot"].as_u64().unwrap() as u32
            )),
            "receipted transaction kept at its place"
        );
    }
    // Soft state: every sender at nonce 3.
    for from in 1..=8u32 {
        assert_eq!(sh.state.read().pending(from).unwrap().nonce, 3);
    }
    assert_eq!(sh.backlog.total(), 24, "unproven transactions still count");
    // Every cut batch gets traced (after the restart if not before), in order.
    wait_until(60, "all traced", || {
        sh.progress.traced.load(Ordering::Relaxed) == 6
    })
    .await;
    // Admission continues where it was: the next nonce, the next slot.
    let c = http(&seq);
    let r = send(&c, tx_json(&transfer(1, 2, 5, 1, 3)))
        .await
        .expect("admitted");
    assert_eq!(r["batch"].as_u64(), Some(7));
    assert_eq!(r["slot"].as_u64(), Some(0));
    // A replayed nonce is refused; the same transaction again gets its original place.
    assert_eq!(code_of(&c, tx_json(&transfer(2, 3, 6, 1, 2))).await, 2002);
    let again = send(&c, tx_json(&transfer(2, 3, 5, 1, 2)))
        .await
        .expect("same place");
    let orig = receipts
        .iter()
        .find(|r| r["hash"] == again["hash"])
        .expect("it was receipted before");
    assert_eq!(
        (&again["batch"], &again["slot"]),
        (&orig["batch"], &orig["slot"])
    );
    drop(sh);
    seq.stop().await;
}

#[tokio::test]
async fn open_batch_survives_a_restart_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let o = Opts::default();
    let seq = start_offline(dir.path(), &o).await;
    let c = http(&seq);
    let mut hashes = Vec::new();
    for n in 0..3u64 {
        let r = send(&c, tx_json(&transfer(1, 2, 5, 1, n))).await.unwrap();
        hashes.push(hex32(&r["hash"]));
    }
    seq.stop().await;
    let seq = start_offline(dir.path(), &o).await;
    let entries = seq.shared().store.batch_entries(1, 8).unwrap();
    let got: Vec<[u8; 32]> = entries
        .iter()
        .map(|e| match e {
            echonet_sequencer::types::SlotEntry::Tx { hash, .. } => *hash,
            _ => panic!("no deposits here"),
        })
        .collect();
    assert_eq!(got, hashes);
    let c = http(&seq);
    let r = send(&c, tx_json(&transfer(1, 2, 5, 1, 3))).await.unwrap();
    assert_eq!(
        (r["batch"].as_u64(), r["slot"].as_u64()),
        (Some(1), Some(3))
    );
    seq.stop().await;
}

#[tokio::test]
async fn another_rollups_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let seq = start_offline(dir.path(), &Opts::default()).await;
    seq.stop().await;
    let o2 = Opts {
        batch_size: 16,
        ..Opts::default()
    };
    let res = echonet_sequencer::Sequencer::start(
        config(dir.path(), &o2),
        echonet_sequencer::service::Deps::offline(Arc::new(NoDeposits)),
    )
    .await;
    assert!(matches!(
        res,
        Err(echonet_sequencer::service::ServiceError::Config(_))
    ));
}
