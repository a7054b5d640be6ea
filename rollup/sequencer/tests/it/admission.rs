//! Admission over RPC: every refusal has its code, nothing refused is admitted, and a
//! refusal loses nothing that was admitted before it.

use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn each_bad_transaction_gets_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let seq = start_offline(dir.path(), &Opts::default()).await;
    let c = http(&seq);

    // A good one first.
    let ok = send(&c, tx_json(&transfer(1, 2, 100, 1, 0)))
        .await
        .expect("admitted");
    assert_eq!(ok["batch"], 1);
    assert_eq!(ok["slot"], 0);

    // Malformed: missing field, bad hex, number instead of string, unknown field, wrong type.
    let mut t = tx_json(&transfer(1, 2, 100, 1, 1));
    t.as_object_mut().unwrap().remove("nonce");
    assert_eq!(code_of(&c, t).await, -32602);
    let mut t = tx_json(&transfer(1, 2, 100, 1, 1));
    t["signature"] = json!("0xzz");
    assert_eq!(code_of(&c, t).await, -32602);
    let mut t = tx_json(&transfer(1, 2, 100, 1, 1));
    t["amount"] = json!(100);
    assert_eq!(code_of(&c, t).await, -32602);
    let mut t = tx_json(&transfer(1, 2, 100, 1, 1));
    t["extra"] = json!(1);
    assert_eq!(code_of(&c, t).await, -32602);
    assert_eq!(code_of(&c, json!({"type": "deposit"})).await, -32602);
    assert_eq!(code_of(&c, json!("hello")).await, -32602);
    let mut t = tx_json(&transfer(1, 2, 100, 1, 1));
    t["from"] = json!(1u64 << 33);
    assert_eq!(code_of(&c, t).await, -32602);

    // 2001: signed by another key; and an R8 that is not a curve point.
    let mut t = tx_json(&transfer(1, 2, 100, 1, 1));
    t["signature"] = tx_json(&transfer(3, 2, 100, 1, 1))["signature"].clone();
    assert_eq!(code_of(&c, t).await, 2001);
    let mut t = tx_json(&transfer(1, 2, 100, 1, 1));
    t["signature"] = json!(format!("0x{}", "ff".repeat(64)));
    assert_eq!(code_of(&c, t).await, 2001);

    // 2002: a replayed nonce with another amount; the exact replay gets the same receipt.
    let (code, _, data) = send(&c, tx_json(&transfer(1, 2, 200, 1, 0)))
        .await
        .unwrap_err();
    assert_eq!((code, data), (2002, Some(json!(1))));
    let again = send(&c, tx_json(&transfer(1, 2, 100, 1, 0)))
        .await
        .expect("same receipt");
    for k in ["hash", "batch", "slot", "operator"] {
        assert_eq!(again[k], ok[k], "{k}");
    }

    // 2003: a gap.
    let (code, _, data) = send(&c, tx_json(&transfer(1, 2, 100, 1, 5)))
        .await
        .unwrap_err();
    assert_eq!((code, data), (2003, Some(json!(1))));

    // 2004: overdraft (balance left: BALANCE - 101).
    let (code, _, data) = send(&c, tx_json(&transfer(1, 2, BALANCE, 1, 1)))
        .await
        .unwrap_err();
    assert_eq!(code, 2004);
    assert_eq!(data.unwrap()["balance"], json!((BALANCE - 101).to_string()));

    // 2005: unknown sender, unknown receiver.
    let mut t = tx_json(&transfer(1, 2, 100, 1, 1));
    t["from"] = json!(99);
    assert_eq!(code_of(&c, t).await, 2005);
    assert_eq!(
        code_of(&c, tx_json(&transfer(1, 99, 100, 1, 1))).await,
        2005
    );

    // 2006: fee 0 below the minimum 1.
    let (code, _, data) = send(&c, tx_json(&transfer(1, 2, 100, 0, 1)))
        .await
        .unwrap_err();
    assert_eq!((code, data), (2006, Some(json!("1"))));

    // 2010: an amount and a fee with no exact float encoding, with the nearest values.
    let mut t = tx_json(&transfer(1, 2, 100, 1, 1));
    t["amount"] = json!(((1u128 << 35) + 1).to_string());
    let (code, _, data) = send(&c, t).await.unwrap_err();
    assert_eq!(code, 2010);
    let data = data.unwrap();
    assert_eq!(data["field"], "amount");
    assert_eq!(data["nearestBelow"], json!("34359738367"));
    assert_eq!(data["nearestAbove"], json!("34359738370"));
    let mut t = tx_json(&transfer(1, 2, 100, 1, 1));
    t["fee"] = json!("17");
    let (code, _, data) = send(&c, t).await.unwrap_err();
    assert_eq!(code, 2010);
    assert_eq!(data.unwrap()["nearestAbove"], json!("20"));

    // 2012: self-transfer.
    assert_eq!(code_of(&c, tx_json(&transfer(1, 1, 100, 1, 1))).await, 2012);

    // Nothing refused was admitted: account 1 is at nonce 1, and the next one goes in.
    let acct: serde_json::Value = jsonrpsee::core::client::ClientT::request(
        &c,
        "l2_getAccount",
        jsonrpsee::rpc_params![json!({"index": 1})],
    )
    .await
    .unwrap();
    assert_eq!(acct["pendingNonce"], 1);
    assert_eq!(acct["pendingBalance"], json!((BALANCE - 101).to_string()));
    assert_eq!(
        acct["balance"],
        json!(BALANCE.to_string()),
        "nothing is cut yet"
    );
    let r = send(&c, tx_json(&transfer(1, 2, 100, 1, 1)))
        .await
        .expect("admitted");
    assert_eq!(r["slot"], 1);
    seq.stop().await;
}

#[tokio::test]
async fn pool_account_and_rate_limits() {
    // Pool of 3.
    let dir = tempfile::tempdir().unwrap();
    let o = Opts {
        pool_limit: 3,
        ..Opts::default()
    };
    let seq = start_offline(dir.path(), &o).await;
    let c = http(&seq);
    for i in 0..3 {
        send(&c, tx_json(&transfer(1 + i, 5, 10, 1, 0)))
            .await
            .expect("admitted");
    }
    assert_eq!(code_of(&c, tx_json(&transfer(4, 5, 10, 1, 0))).await, 2007);
    seq.stop().await;

    // Three pending per account: the fourth from account 1 is refused, others still pass.
    let dir = tempfile::tempdir().unwrap();
    let o = Opts {
        per_account_limit: 3,
        ..Opts::default()
    };
    let seq = start_offline(dir.path(), &o).await;
    let c = http(&seq);
    for n in 0..3 {
        send(&c, tx_json(&transfer(1, 2, 10, 1, n)))
            .await
            .expect("admitted");
    }
    let (code, _, data) = send(&c, tx_json(&transfer(1, 2, 10, 1, 3)))
        .await
        .unwrap_err();
    assert_eq!((code, data), (2009, Some(json!(3))));
    send(&c, tx_json(&transfer(2, 1, 10, 1, 0)))
        .await
        .expect("another account passes");
    seq.stop().await;

    // Two per second per IP: a burst of 4 gets at least one 2008, and the refused ones are
    // not admitted (their nonces stay free).
    let dir = tempfile::tempdir().unwrap();
    let o = Opts {
        rate_limit: Some(2),
        ..Opts::default()
    };
    let seq = start_offline(dir.path(), &o).await;
    let c = http(&seq);
    let mut codes = Vec::new();
    for i in 0..4u32 {
        codes.push(
            match send(&c, tx_json(&transfer(1 + i, 5, 10, 1, 0))).await {
                Ok(_) => 0,
                Err((code, _, _)) => code,
            },
        );
    }
    assert!(codes.contains(&2008), "{codes:?}");
    assert_eq!(codes[0], 0);
    seq.stop().await;
}

#[tokio::test]
async fn not_ready_until_the_fee_account_exists() {
    let dir = tempfile::tempdir().unwrap();
    // No seeded accounts: the fee account does not exist.
    let o = Opts {
        accounts: 0,
        ..Opts::default()
    };
    let seq = start_offline(dir.path(), &o).await;
    let c = http(&seq);
    let (code, msg, _) = send(&c, tx_json(&transfer(1, 2, 10, 1, 0)))
        .await
        .unwrap_err();
    assert_eq!(code, 2013, "{msg}");
    seq.stop().await;
}

#[tokio::test]
async fn exodus_freezes_admission() {
    let dir = tempfile::tempdir().unwrap();
    let seq = start_offline(dir.path(), &Opts::default()).await;
    let c = http(&seq);
    send(&c, tx_json(&transfer(1, 2, 10, 1, 0)))
        .await
        .expect("admitted");
    seq.shared()
        .exodus
        .store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(code_of(&c, tx_json(&transfer(1, 2, 10, 1, 1))).await, 2011);
    seq.stop().await;
}

#[tokio::test]
async fn oversized_request_is_refused_and_the_server_survives() {
    let dir = tempfile::tempdir().unwrap();
    let seq = start_offline(dir.path(), &Opts::default()).await;
    let c = http(&seq);
    let mut t = tx_json(&transfer(1, 2, 10, 1, 0));
    t["signature"] = json!(format!("0x{}", "00".repeat(2 * 1024 * 1024)));
    assert!(send_raw_err(&c, t).await);
    send(&c, tx_json(&transfer(1, 2, 10, 1, 0)))
        .await
        .expect("still serving");
    seq.stop().await;
}

async fn send_raw_err(c: &impl jsonrpsee::core::client::ClientT, tx: serde_json::Value) -> bool {
    c.request::<serde_json::Value, _>("l2_sendTransaction", jsonrpsee::rpc_params![tx])
        .await
        .is_err()
}
