//! Exodus for real: a dev node, the `echonet-sequencer` binary on it (`--dev`), the bridge's
//! timeouts made small through sudo, exodus triggered on L1 by someone who is neither the
//! operator nor the admin. The sequencer must notice (`l2_status.exodus`), refuse new
//! transactions with the typed error 2011, keep serving what it already soft-confirmed, and
//! nothing may submit a batch any more (the settler reports `Exodus` and stops), not even
//! the batch a prover worker proves after exodus.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use codec::Decode;
use echonet_rollup_l1::{
    settler::find_submit_batch, At, L1Client, ProvenBatch, SettlementEvent, Settler, SettlerConfig,
};
use echonet_rollup_primitives::{Amount40, Fee8, PrivateKey, Withdraw};
use echonet_runtime::{Runtime, RuntimeCall, UncheckedExtrinsic};
use echonet_tests::{node::free_port, wait_until, workspace_binary, Node};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use serde_json::{json, Value};
use sp_keyring::Sr25519Keyring;
use tokio::sync::mpsc;

/// The sequencer's `--dev` L2 fee-account key (INSECURE, well known).
const DEV_L2_SEED: [u8; 32] = [0xde; 32];
/// The dev setup makes proving keys and waits for three sudo blocks and a deposit.
const SEQUENCER_READY: Duration = Duration::from_secs(240);
/// A few blocks (2 s each) and finality, on a shared machine.
const BLOCKS: Duration = Duration::from_secs(60);
/// The sequencer's exodus watcher polls every 6 s.
const NOTICE: Duration = Duration::from_secs(20);
/// A prover worker loads the dev keys and proves one batch of 4 on a shared machine.
const PROOF: Duration = Duration::from_secs(180);

/// A child process (the sequencer, a prover worker), killed on drop; its output goes to
/// a log file.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn log_tail(&self) -> String {
        let s = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(c: &WsClient, method: &str, params: Vec<Value>) -> Result<Value, (i32, String)> {
    let mut p = jsonrpsee::core::params::ArrayParams::new();
    for v in params {
        p.insert(v).expect("serialisable");
    }
    match c.request::<Value, _>(method, p).await {
        Ok(v) => Ok(v),
        Err(jsonrpsee::core::ClientError::Call(e)) => Err((e.code(), e.message().to_string())),
        Err(e) => panic!("{method}: transport error {e}"),
    }
}

fn withdraw_json(w: &Withdraw) -> Value {
    let h = |b: &[u8]| format!("0x{}", hex::encode(b));
    json!({
        "type": "withdraw", "from": w.from,
        "amount": w.amount.value().expect("finite").to_string(), "fee": w.fee.value().to_string(),
        "nonce": w.nonce, "recipient": h(&w.recipient), "signature": h(&w.signature.to_bytes()),
    })
}

/// `submit_batch` extrinsics in the node's pool.
async fn pooled_batches(l1: &L1Client) -> usize {
    let v = l1
        .request("author_pendingExtrinsics", &[])
        .await
        .expect("pending extrinsics");
    v.as_array()
        .expect("an array")
        .iter()
        .filter(|x| {
            let bytes = hex::decode(x.as_str().unwrap().trim_start_matches("0x")).unwrap();
            UncheckedExtrinsic::decode(&mut &bytes[..])
                .ok()
                .and_then(|xt| find_submit_batch(&xt.0.function, 0).map(|_| ()))
                .is_some()
        })
        .count()
}

/// `submit_batch` extrinsics in best-chain blocks `from..=to`.
async fn batches_in_blocks(l1: &L1Client, from: u32, to: u32) -> usize {
    let mut n = 0;
    for b in from..=to {
        let h = l1.block_hash(b).await.unwrap().expect("a best-chain block");
        for x in l1.block_extrinsics(h).await.unwrap().expect("its body") {
            if let Ok(xt) = UncheckedExtrinsic::decode(&mut &x[..]) {
                n += usize::from(find_submit_batch(&xt.0.function, 0).is_some());
            }
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exodus_freezes_the_sequencer_and_stops_settlement() {
    let t0 = Instant::now();
    let node = Node::builder("exodus")
        .args(["--dev", "--tmp", "--rpc-methods", "unsafe"])
        .start()
        .await;
    let l1 = L1Client::connect(&node.ws_url()).await.expect("connects");

    // The sequencer binary, --dev: keys, operator //Alice and its fee account set up by itself.
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("sequencer.log");
    let (rpc_port, prover_port) = (free_port(), free_port());
    let out = std::fs::File::create(&log).expect("log file");
    let child = Command::new(workspace_binary(
        "echonet-sequencer",
        "ECHONET_SEQUENCER_BIN",
    ))
    .args(["run", "--dev", "--no-prometheus", "--max-batch-wait", "1s"])
    .args(["--l1", &node.ws_url()])
    .args(["--rpc-port", &rpc_port.to_string()])
    .args(["--prover-rpc-port", &prover_port.to_string()])
    .env("RUST_LOG", "info")
    .stdout(Stdio::from(out.try_clone().unwrap()))
    .stderr(Stdio::from(out))
    .spawn()
    .expect("echonet-sequencer starts");
    let seq = Proc { child, log };
    let l2_url = format!("ws://127.0.0.1:{rpc_port}");
    let l2 = {
        let deadline = Instant::now() + SEQUENCER_READY;
        loop {
            if let Ok(c) = WsClientBuilder::default().build(&l2_url).await {
                if call(&c, "l2_status", vec![]).await.is_ok() {
                    break c;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the sequencer did not come up; its log:\n{}",
                seq.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let status = call(&l2, "l2_status", vec![]).await.unwrap();
    eprintln!("sequencer up after {:?}: {status}", t0.elapsed());
    assert_eq!(status["exodus"], json!(false));
    let chain = status["chainId"].as_u64().unwrap() as u32;
    let instance = status["instance"].as_u64().unwrap();
    let fee_account = status["operatorFeeAccount"].as_u64().unwrap() as u32;
    let min_fee: u128 = status["minFee"].as_str().unwrap().parse().unwrap();

    // The fee account's deposit, once final, is in the soft state: spend from it.
    wait_until(
        "the fee account's deposit in the soft state",
        BLOCKS,
        || async {
            let a = call(&l2, "l2_getAccount", vec![json!({"index": fee_account})])
                .await
                .ok()?;
            (a["pendingBalance"].as_str()? != "0").then_some(())
        },
    )
    .await;
    let key = PrivateKey(DEV_L2_SEED);
    let w = |nonce| {
        Withdraw::signed(
            &key,
            chain,
            instance,
            fee_account,
            Amount40::from_value(1_000).unwrap(),
            Fee8::from_value(min_fee).unwrap(),
            nonce,
            [7; 32],
        )
    };
    let receipt = call(&l2, "l2_sendTransaction", vec![withdraw_json(&w(0))])
        .await
        .expect("soft-confirmed before exodus");
    let hash = receipt["hash"].clone();

    // Governance makes the deposit timeout small; the fee account's deposit is still queued
    // on L1 (no batch settles without a prover), so it is overdue a few seconds later.
    let alice = Sr25519Keyring::Alice.pair();
    let (_, best) = l1.best_head().await.unwrap();
    let mut params: pallet_bridge::Params = l1
        .storage_value(
            &pallet_bridge::ActiveParams::<Runtime>::hashed_key(),
            best,
            "Bridge.ActiveParams",
        )
        .await
        .unwrap()
        .unwrap_or_default();
    params.deposit_timeout_ms = 2_000;
    params.batch_timeout_ms = 2_000;
    l1.sudo(
        &alice,
        RuntimeCall::Bridge(pallet_bridge::Call::set_params {
            params: params.clone(),
        }),
    )
    .await
    .expect("sudo set_params");
    wait_until("the small timeouts in force", BLOCKS, || async {
        let (_, best) = l1.best_head().await.ok()?;
        let p: pallet_bridge::Params = l1
            .storage_value(
                &pallet_bridge::ActiveParams::<Runtime>::hashed_key(),
                best,
                "Bridge.ActiveParams",
            )
            .await
            .ok()??;
        (p == params).then_some(())
    })
    .await;
    assert!(!l1.bridge_view(At::Best).await.unwrap().exodus);

    // Anyone (Charlie: no operator, no admin) triggers exodus; a try before the timeout has
    // passed fails on chain (ExodusNotDue), so try once a block until it holds.
    let charlie = Sr25519Keyring::Charlie.pair();
    let exodus_block = wait_until("exodus on L1", BLOCKS, || async {
        let v = l1.bridge_view(At::Best).await.ok()?;
        if v.exodus {
            return Some(v.block.0);
        }
        let _ = l1
            .submit_call(
                &charlie,
                RuntimeCall::Bridge(pallet_bridge::Call::trigger_exodus {}),
            )
            .await;
        let before = v.block.0;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && l1.best_head().await.ok().map(|h| h.0) <= Some(before) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        None
    })
    .await;
    eprintln!("exodus at block #{exodus_block} after {:?}", t0.elapsed());

    // The sequencer notices.
    let noticed = Instant::now();
    wait_until("l2_status.exodus", NOTICE, || async {
        let s = call(&l2, "l2_status", vec![]).await.ok()?;
        (s["exodus"] == json!(true)).then_some(())
    })
    .await;
    eprintln!("the sequencer noticed within {:?}", noticed.elapsed());

    // New transactions are refused with the typed exodus error, not a generic one.
    let (code, message) = call(&l2, "l2_sendTransaction", vec![withdraw_json(&w(1))])
        .await
        .expect_err("refused in exodus");
    assert_eq!(code, 2011, "{message}");
    assert!(message.contains("exodus"), "{message}");

    // What was soft-confirmed before is still readable.
    let tx = call(&l2, "l2_getTransaction", vec![hash.clone()])
        .await
        .expect("readable");
    assert_eq!(tx["hash"], hash, "{tx}");
    assert!(tx["status"].is_string(), "{tx}");
    let status = call(&l2, "l2_status", vec![]).await.unwrap();
    assert_eq!(status["exodus"], json!(true));

    // A settler holding a proven batch meets a frozen bridge: it reports Exodus and stops
    // without submitting anything.
    let last = l1.bridge_view(At::Best).await.unwrap().last_batch;
    let (input, rx) = mpsc::channel(4);
    input
        .send(ProvenBatch {
            number: last + 1,
            new_root: [1; 32],
            da: vec![],
            deposits_consumed: 0,
            withdrawals: vec![],
            proof: [2; 128],
        })
        .await
        .unwrap();
    let (mut events, task) = Settler::spawn_with(
        l1.clone(),
        Sr25519Keyring::Bob.pair(),
        rx,
        SettlerConfig {
            poll: Duration::from_millis(100),
            ..SettlerConfig::default()
        },
    );
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(e) = events.recv().await {
            seen.push(e);
        }
    })
    .await
    .expect("the settler stops by itself");
    assert_eq!(seen, vec![SettlementEvent::Exodus]);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the actor ended")
        .expect("no panic");
    drop(input);

    // The sequencer's own settler gets a proven batch only now: a prover worker, started
    // after exodus, proves the batch cut before it. It must not be submitted.
    let keys = std::fs::read_to_string(&seq.log)
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            let rest = l.split("dev proving keys for batch size ").nth(1)?;
            let dir = rest.split_once(" in ")?.1;
            Some(dir.split(" (anyone").next()?.to_string())
        })
        .unwrap_or_else(|| {
            panic!(
                "the sequencer logged no dev key directory:\n{}",
                seq.log_tail()
            )
        });
    let wlog = dir.path().join("worker.log");
    let wout = std::fs::File::create(&wlog).expect("log file");
    let worker = Proc {
        child: Command::new(workspace_binary("echonet-prover", "ECHONET_PROVER_BIN"))
            .args([
                "worker",
                "--name",
                "exodus-test",
                "--poll",
                "200ms",
                "--keys",
                &keys,
            ])
            .args(["--sequencer", &format!("http://127.0.0.1:{prover_port}")])
            .stdout(Stdio::from(wout.try_clone().unwrap()))
            .stderr(Stdio::from(wout))
            .spawn()
            .expect("echonet-prover worker starts"),
        log: wlog,
    };
    let proving = Instant::now();
    let deadline = Instant::now() + PROOF;
    loop {
        let s = call(&l2, "l2_status", vec![]).await.unwrap();
        if s["provenBatch"].as_u64().unwrap_or(0) >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no proof after {PROOF:?}: {s}\nworker log:\n{}",
            worker.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("batch 1 proven after exodus in {:?}", proving.elapsed());
    drop(worker);

    // Nothing submitted a batch after exodus: not the settler above, not the sequencer's
    // (it polls every second). Watch two more blocks.
    let (now, _) = l1.best_head().await.unwrap();
    wait_until("two more blocks", BLOCKS, || async {
        (l1.best_head().await.ok()?.0 >= now + 2).then_some(())
    })
    .await;
    let (best_n, _) = l1.best_head().await.unwrap();
    assert_eq!(pooled_batches(&l1).await, 0);
    assert_eq!(batches_in_blocks(&l1, exodus_block, best_n).await, 0);
    let status = call(&l2, "l2_status", vec![]).await.unwrap();
    assert_eq!(status["provenBatch"], json!(1), "{status}");
    assert_eq!(status["settledBatch"], json!(0), "{status}");
    assert_eq!(status["exodus"], json!(true), "{status}");
    let mut seq = seq;
    assert!(
        seq.child.try_wait().unwrap().is_none(),
        "the sequencer keeps serving in exodus; log:\n{}",
        seq.log_tail()
    );
    eprintln!("done in {:?}", t0.elapsed());
}
