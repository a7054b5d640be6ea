//! Ordering, receipts, cuts by size and by time, deposits first, and traces that match a
//! reference `execute_batch` run.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use echonet_rollup_primitives::{
    execute_batch, field::fr_to_be_bytes, AccountTree, BatchHeader, Deposit, Tx,
};
use echonet_sequencer::{
    service::{ManualDeposits, NoDeposits, NoProver},
    types::{tx_hash, verify_receipt, SlotEntry},
};
use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn receipts_are_ordered_signed_and_hash_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let seq = start_offline(dir.path(), &Opts::default()).await;
    let c = ws(&seq).await;
    let op = operator();
    for n in 0..5u64 {
        let tx = transfer(1, 2, 10 + n as u128, 1, n);
        let r = send(&c, tx_json(&tx)).await.expect("admitted");
        assert_eq!(r["batch"], 1);
        assert_eq!(r["slot"], n);
        let hash = hex32(&r["hash"]);
        let Tx::Transfer(t) = &tx else { unreachable!() };
        assert_eq!(hash, tx_hash(&t.message(CHAIN, INSTANCE), &sig_bytes(&tx)));
        assert_eq!(hex32(&r["operator"]), sp_core::Pair::public(&op).0);
        let sig = hex64(&r["signature"]);
        assert!(verify_receipt(
            &hex32(&r["operator"]),
            INSTANCE,
            &hash,
            1,
            n as u32,
            &sig
        ));
        // A receipt for another slot or instance does not verify.
        assert!(!verify_receipt(
            &hex32(&r["operator"]),
            INSTANCE,
            &hash,
            1,
            n as u32 + 1,
            &sig
        ));
        assert!(!verify_receipt(
            &hex32(&r["operator"]),
            INSTANCE + 1,
            &hash,
            1,
            n as u32,
            &sig
        ));
        let got: serde_json::Value = jsonrpsee::core::client::ClientT::request(
            &c,
            "l2_getTransaction",
            jsonrpsee::rpc_params![r["hash"].clone()],
        )
        .await
        .unwrap();
        assert_eq!(got["status"], "softConfirmed");
        assert_eq!(got["slot"], n);
        assert_eq!(got["tx"], tx_json(&tx));
    }
    seq.stop().await;
}

#[tokio::test]
async fn batch_is_cut_when_full_and_traced_like_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let o = Opts {
        batch_size: 4,
        ..Opts::default()
    };
    let prover = Arc::new(NoProver::default());
    let seq = start(dir.path(), &o, Arc::new(NoDeposits), prover.clone()).await;
    let c = http(&seq);
    let txs: Vec<Tx> = vec![
        transfer(1, 2, 100, 1, 0),
        transfer(2, 3, 50, 2, 0),
        withdraw(3, 30, 1, 0),
        transfer(1, 4, 7, 1, 1),
        transfer(4, 5, 1, 1, 0),
    ];
    let mut receipts = Vec::new();
    for tx in &txs {
        receipts.push(send(&c, tx_json(tx)).await.expect("admitted"));
    }
    assert_eq!(receipts[3]["batch"], 1);
    assert_eq!(receipts[4]["batch"], 2);
    assert_eq!(receipts[4]["slot"], 0);
    let sh = seq.shared().clone();
    wait_until(30, "batch 1 traced", || {
        sh.progress.traced.load(Ordering::Relaxed) >= 1
    })
    .await;
    assert_eq!(prover.jobs_added(), vec![1]);

    // The reference: the same initial tree and the same four transactions.
    let mut tree = AccountTree::new();
    tree.set_many(seed(o.accounts).into_iter().map(|(i, a)| {
        let pk = echonet_rollup_primitives::babyjubjub::Point::decompress(&a.pubkey).unwrap();
        (
            i,
            Some(echonet_rollup_primitives::Account {
                pubkey: echonet_rollup_primitives::PublicKey(pk),
                balance: a.balance,
                nonce: 0,
            }),
        )
    }))
    .unwrap();
    let header = BatchHeader {
        chain_id: CHAIN,
        instance: INSTANCE,
        batch_number: 1,
        operator: FEE_ACCOUNT,
    };
    let reference = execute_batch(&mut tree, &header, &txs[..4], 4).unwrap();
    let stored = sh.store.trace(1).unwrap().expect("trace stored");
    assert_eq!(stored, reference);
    let b: serde_json::Value =
        jsonrpsee::core::client::ClientT::request(&c, "l2_getBatch", jsonrpsee::rpc_params![1])
            .await
            .unwrap();
    assert_eq!(b["status"], "inBatch");
    assert_eq!(b["size"], 4);
    assert_eq!(b["withdrawals"], 1);
    assert_eq!(
        b["newRoot"],
        json!(format!(
            "0x{}",
            hex::encode(fr_to_be_bytes(&reference.new_root))
        ))
    );
    assert_eq!(b["txs"][0], receipts[0]["hash"]);
    // Balances after the cut batch include the fee credit; the open batch is pending only.
    let fee: serde_json::Value = jsonrpsee::core::client::ClientT::request(
        &c,
        "l2_getAccount",
        jsonrpsee::rpc_params![json!({"index": FEE_ACCOUNT})],
    )
    .await
    .unwrap();
    assert_eq!(fee["balance"], json!((BALANCE + 5).to_string()));
    let a4: serde_json::Value = jsonrpsee::core::client::ClientT::request(
        &c,
        "l2_getAccount",
        jsonrpsee::rpc_params![
            json!({"publicKey": format!("0x{}", hex::encode(key(4).public().0.compress()))})
        ],
    )
    .await
    .unwrap();
    assert_eq!(a4["index"], 4);
    assert_eq!(a4["balance"], json!((BALANCE + 7).to_string()));
    assert_eq!(a4["pendingBalance"], json!((BALANCE + 5).to_string()));
    assert_eq!(a4["pendingNonce"], 1);
    seq.stop().await;
}

#[tokio::test]
async fn batch_is_cut_after_max_wait_padded_with_noops() {
    let dir = tempfile::tempdir().unwrap();
    let o = Opts {
        max_wait: Duration::from_millis(200),
        ..Opts::default()
    };
    let seq = start_offline(dir.path(), &o).await;
    let c = http(&seq);
    let r = send(&c, tx_json(&transfer(1, 2, 10, 1, 0)))
        .await
        .expect("admitted");
    let sh = seq.shared().clone();
    wait_until(10, "cut by time", || {
        sh.open_batch.load(Ordering::Relaxed) == 2
    })
    .await;
    wait_until(30, "traced", || {
        sh.progress.traced.load(Ordering::Relaxed) == 1
    })
    .await;
    let trace = sh.store.trace(1).unwrap().unwrap();
    assert_eq!(trace.slots.len(), 8);
    assert!(trace.slots[1..].iter().all(|s| s.tx == Tx::Noop));
    let got: serde_json::Value = jsonrpsee::core::client::ClientT::request(
        &c,
        "l2_getTransaction",
        jsonrpsee::rpc_params![r["hash"].clone()],
    )
    .await
    .unwrap();
    assert_eq!(got["status"], "inBatch");
    seq.stop().await;
}

#[tokio::test]
async fn deposits_take_the_first_slots_in_queue_order() {
    let dir = tempfile::tempdir().unwrap();
    let deposits = ManualDeposits::default();
    // No seeded accounts: deposits create the fee account and the users.
    let o = Opts {
        accounts: 0,
        batch_size: 4,
        ..Opts::default()
    };
    for i in 0..3u32 {
        deposits.push(Deposit {
            to: i,
            new_account: Some(key(i).public()),
            amount: BALANCE,
        });
    }
    let seq = start(
        dir.path(),
        &o,
        Arc::new(deposits.clone()),
        Arc::new(NoProver::default()),
    )
    .await;
    let sh = seq.shared().clone();
    // Cap: half of 4 slots go to deposits; the third deposit waits for the next batch.
    wait_until(10, "deposits in the open batch", || {
        sh.state.read().has_account(1)
    })
    .await;
    let c = http(&seq);
    let r = send(&c, tx_json(&transfer(1, 0, 10, 1, 0)))
        .await
        .expect("admitted");
    assert_eq!(
        (r["batch"].as_u64(), r["slot"].as_u64()),
        (Some(1), Some(2))
    );
    let r = send(&c, tx_json(&transfer(1, 0, 10, 1, 1)))
        .await
        .expect("admitted");
    assert_eq!(
        (r["batch"].as_u64(), r["slot"].as_u64()),
        (Some(1), Some(3))
    );
    // Batch 2 opens with deposit #2 first.
    wait_until(10, "account 2 created", || sh.state.read().has_account(2)).await;
    let r = send(&c, tx_json(&transfer(2, 1, 10, 1, 0)))
        .await
        .expect("admitted");
    assert_eq!(
        (r["batch"].as_u64(), r["slot"].as_u64()),
        (Some(2), Some(1))
    );
    let e = sh.store.batch_entries(2, 4).unwrap();
    assert!(matches!(&e[0], SlotEntry::Deposit(d) if d.seq == 2 && d.to == 2));
    wait_until(30, "batch 1 traced", || {
        sh.progress.traced.load(Ordering::Relaxed) >= 1
    })
    .await;
    let t = sh.store.trace(1).unwrap().unwrap();
    assert_eq!(t.deposits.len(), 2);
    seq.stop().await;
}

#[tokio::test]
async fn without_the_pipeline_cuts_do_not_halt_admission() {
    let dir = tempfile::tempdir().unwrap();
    let o = Opts {
        batch_size: 2,
        pipeline: false,
        ..Opts::default()
    };
    let seq = start_offline(dir.path(), &o).await;
    let c = http(&seq);
    for n in 0..5u64 {
        send(&c, tx_json(&transfer(1, 2, 5, 1, n)))
            .await
            .expect("admitted");
    }
    assert_eq!(seq.shared().open_batch.load(Ordering::Relaxed), 3);
    assert!(seq.shared().halted().is_none());
    seq.stop().await;
}
