//! The L1 side against a real dev node, in one sequence (one node, one key setup, proofs
//! made once): deposits read back as rollup deposits, batches settled in order to finality,
//! re-fed final batches not resubmitted, a restarted settler resuming, a dropped submission
//! resubmitted, and the L2 state rebuilt from the chain.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use echonet_rollup_l1::{
    rebuild, At, DepositTarget, L1Client, ProvenBatch, SettlementEvent, Settler, SettlerConfig,
};
use echonet_rollup_primitives::{
    batch::{execute_batch, BatchHeader, BatchTrace},
    AccountTree, Amount40, Deposit, Fee8, PrivateKey, Transfer, Tx, Withdraw,
};
use echonet_runtime::{RuntimeCall, UNITS};
use echonet_tests::{wait_until, workspace_binary, Node};
use serde_json::json;
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use tokio::sync::mpsc;

const BATCH: usize = 4;
const CHAIN_ID: u32 = 1;
/// Blocks every 2 s, finality a block or two behind; generous for a shared machine.
const SETTLE: Duration = Duration::from_secs(90);
const INCLUSION: Duration = Duration::from_secs(30);

fn prover_binary() -> PathBuf {
    workspace_binary("echonet-prover", "ECHONET_PROVER_BIN")
}

fn prover_setup(dir: &Path) -> (Vec<u8>, [u8; 32]) {
    let out = std::process::Command::new(prover_binary())
        .args(["setup", "--batch-size", &BATCH.to_string(), "--out"])
        .arg(dir)
        .output()
        .expect("echonet-prover runs");
    assert!(out.status.success(), "setup failed: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("verifying key hash (sha256): 0x"))
        .unwrap_or_else(|| panic!("setup printed no verifying key hash: {stdout}"));
    let hash: [u8; 32] = hex::decode(line.trim()).unwrap().try_into().unwrap();
    let vk = std::fs::read(dir.join("verifying_key.bin")).expect("verifying_key.bin");
    (vk, hash)
}

/// Events of a settler, collected with deadlines.
struct Events {
    rx: mpsc::Receiver<SettlementEvent>,
    seen: Vec<SettlementEvent>,
}

impl Events {
    fn new(rx: mpsc::Receiver<SettlementEvent>) -> Self {
        Events {
            rx,
            seen: Vec::new(),
        }
    }

    /// Receives until `done` holds for an event; returns that event.
    async fn until(
        &mut self,
        what: &str,
        limit: Duration,
        done: impl Fn(&SettlementEvent) -> bool,
    ) -> SettlementEvent {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(ev)) => {
                    eprintln!("settler: {ev:?}");
                    self.seen.push(ev.clone());
                    if done(&ev) {
                        return ev;
                    }
                }
                Ok(None) => panic!("the settler stopped before {what}; saw {:?}", self.seen),
                Err(_) => panic!("timed out waiting for {what}; saw {:?}", self.seen),
            }
        }
    }

    async fn until_final(&mut self, number: u64) {
        self.until(
            &format!("batch {number} final"),
            SETTLE,
            |e| matches!(e, SettlementEvent::Final { number: n, .. } if *n == number),
        )
        .await;
    }

    fn position(&self, f: impl Fn(&SettlementEvent) -> bool) -> Option<usize> {
        self.seen.iter().position(f)
    }

    fn submitted(&self, number: u64) -> usize {
        self.seen
            .iter()
            .filter(|e| matches!(e, SettlementEvent::Submitted { number: n, .. } if *n == number))
            .count()
    }
}

/// The batch of `trace` with a real proof, from the prepared prover the worker uses (the
/// circuit's matrices built once; each proof is verified before it is returned).
fn prove(prover: &echonet_prover::PreparedProver, trace: &BatchTrace) -> ProvenBatch {
    let started = Instant::now();
    let (proof, _) = prover.prove(trace, &mut rand::rngs::OsRng).expect("proves");
    let proof: [u8; 128] = echonet_prover::proof_to_bytes(&proof)
        .unwrap()
        .try_into()
        .expect("128 bytes");
    eprintln!(
        "proved batch {} in {:?}",
        trace.header.batch_number,
        started.elapsed()
    );
    ProvenBatch::from_trace(trace, proof)
}

fn fast() -> SettlerConfig {
    SettlerConfig {
        poll: Duration::from_millis(200),
        resubmit_after: Duration::from_secs(4),
        event_buffer: 64,
    }
}

fn spawn(
    l1: &L1Client,
    batches: &[&ProvenBatch],
) -> (
    mpsc::Sender<ProvenBatch>,
    Events,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = mpsc::channel(16);
    for b in batches {
        tx.try_send((*b).clone()).expect("room in the channel");
    }
    let (events, task) = Settler::spawn_with(l1.clone(), Sr25519Keyring::Bob.pair(), rx, fast());
    (tx, Events::new(events), task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settles_in_order_survives_restarts_and_drops_and_rebuilds_from_l1() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "rollup=info".into()),
        )
        .with_test_writer()
        .try_init();
    let t0 = Instant::now();
    // The keys: `echonet-prover setup` (the operator's command: the verifying key and the
    // hash it prints go to the bridge), and the same INSECURE dev setup (seed 0, the CLI's
    // default) in this process for the proving key, checked to be the CLI's below: making
    // it again costs less CPU than decoding and checking the CLI's compressed proving key,
    // and both run while the node starts.
    let keys_dir = tempfile::tempdir().expect("temp dir");
    let cli_setup = {
        let dir = keys_dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || prover_setup(&dir))
    };
    let prover = tokio::task::spawn_blocking(|| {
        let (pk, _) = echonet_prover::keys::setup_dev(BATCH, 0).expect("dev setup");
        echonet_prover::PreparedProver::new(pk, echonet_prover::QapReduction::Libsnark, BATCH)
            .expect("prepared prover")
    });

    let node = Node::builder("settlement")
        .args(["--dev", "--tmp", "--rpc-methods", "unsafe"])
        .start()
        .await;
    let (vk, vk_hash) = cli_setup.await.expect("setup ran");
    let prover = prover.await.expect("the prover was made");
    // The SHA-256 of the compressed verifying key: equal to the hash the CLI printed (of its
    // verifying_key.bin), so the proofs below are for the key the bridge gets.
    assert_eq!(
        echonet_prover::keys::vk_hash(prover.verifying_key()).expect("hash"),
        hex::encode(vk_hash),
        "the in-process dev setup is not the CLI's"
    );
    let l1 = L1Client::connect(&node.ws_url()).await.expect("connects");
    let alice = Sr25519Keyring::Alice.pair();
    let bob = Sr25519Keyring::Bob.to_account_id();

    // The admin configures the bridge: key, batch size, Bob as operator.
    for call in [
        pallet_bridge::Call::set_verifying_key {
            batch_size: BATCH as u32,
            key: vk.try_into().expect("key within bounds"),
            key_hash: vk_hash,
        },
        pallet_bridge::Call::set_batch_size {
            batch_size: BATCH as u32,
        },
        pallet_bridge::Call::add_operator { who: bob.clone() },
    ] {
        l1.sudo(&alice, RuntimeCall::Bridge(call))
            .await
            .expect("sudo");
    }
    let instance = wait_until("the bridge is configured", INCLUSION, || async {
        let v = l1.bridge_view(At::Best).await.ok()?;
        let op = l1.is_operator(&bob, At::Best).await.ok()?;
        (v.batch_size == Some(BATCH as u32) && op).then_some(v.instance?)
    })
    .await;

    // Deposits: two new accounts (keys k0, k1; the bridge assigns 0 and 1), then a top-up.
    let keys = [PrivateKey([31; 32]), PrivateKey([32; 32])];
    let amounts = [10 * UNITS, 100 * UNITS, 3 * UNITS];
    for (who, (key, amount)) in [Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
        .into_iter()
        .zip(keys.iter().zip(amounts))
    {
        l1.deposit(
            &who.pair(),
            DepositTarget::NewAccount(key.public().0.compress()),
            amount,
        )
        .await
        .expect("deposit");
    }
    wait_until("both accounts are queued", INCLUSION, || async {
        let v = l1.bridge_view(At::Best).await.ok()?;
        (v.next_index == 2).then_some(())
    })
    .await;
    l1.deposit(
        &Sr25519Keyring::Dave.pair(),
        DepositTarget::Existing(0),
        amounts[2],
    )
    .await
    .expect("deposit");

    // finalized_deposits: all three once final, as rollup deposits, bounded by `max`.
    let queued = wait_until("three finalized deposits", SETTLE, || async {
        let d = l1.finalized_deposits(0, 10).await.ok()?;
        (d.len() == 3).then_some(d)
    })
    .await;
    assert_eq!(
        queued.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    let by_index = |i: u32| &keys[queued.iter().position(|(_, d)| d.to == i).unwrap()];
    for (_, d) in &queued[..2] {
        let key = &keys[amounts.iter().position(|a| *a == d.amount).unwrap()];
        assert_eq!(
            d.new_account,
            Some(key.public()),
            "the key is the deposited one"
        );
    }
    assert_eq!(
        queued[2].1,
        Deposit {
            to: 0,
            new_account: None,
            amount: amounts[2]
        }
    );
    assert_eq!(
        l1.finalized_deposits(1, 1).await.unwrap(),
        queued[1..2].to_vec()
    );
    assert!(l1.finalized_deposits(3, 10).await.unwrap().is_empty());
    // Index `i`'s key (the queue order decided which deposit got which index).
    let k = [by_index(0).clone(), by_index(1).clone()];

    // Six batches, executed and proven as the sequencer would.
    let fee = Fee8::from_value(1_000).unwrap();
    let amount = |v: u128| Amount40::from_value(v).unwrap();
    let transfer = |from: u32, to: u32, v: u128, nonce: u64| {
        Tx::Transfer(Transfer::signed(
            &k[from as usize],
            CHAIN_ID,
            instance,
            from,
            to,
            amount(v),
            fee,
            nonce,
        ))
    };
    let charlie: [u8; 32] = Sr25519Keyring::Charlie.to_account_id().into();
    let deposits: Vec<Tx> = queued.iter().map(|(_, d)| Tx::Deposit(d.clone())).collect();
    let plan: Vec<Vec<Tx>> = vec![
        vec![
            deposits[0].clone(),
            deposits[1].clone(),
            transfer(1, 0, UNITS, 0),
        ],
        vec![
            deposits[2].clone(),
            Tx::Withdraw(Withdraw::signed(
                &k[1],
                CHAIN_ID,
                instance,
                1,
                amount(2 * UNITS),
                fee,
                1,
                charlie,
            )),
        ],
        vec![transfer(0, 1, UNITS, 0)],
        vec![transfer(1, 0, 7, 2), transfer(0, 1, 5, 1)],
        vec![transfer(1, 0, 11, 3)],
        vec![transfer(0, 1, 13, 2)],
    ];
    // Executed now, in order; proven when needed (a proof takes seconds).
    let mut tree = AccountTree::new();
    let mut traces: Vec<BatchTrace> = Vec::new();
    let mut trees: Vec<AccountTree> = Vec::new();
    for (i, txs) in plan.iter().enumerate() {
        let header = BatchHeader {
            chain_id: CHAIN_ID,
            instance,
            batch_number: i as u64 + 1,
            operator: 0,
        };
        traces.push(execute_batch(&mut tree, &header, txs, BATCH).expect("the batch executes"));
        trees.push(tree.clone());
    }
    // Batches 1 and 2 now; 3 and 4 on a blocking thread while 1 and 2 settle.
    let prover = std::sync::Arc::new(prover);
    let mut batches: Vec<ProvenBatch> = traces[..2].iter().map(|t| prove(&prover, t)).collect();
    let later = {
        let (prover, traces) = (prover.clone(), traces[2..4].to_vec());
        tokio::task::spawn_blocking(move || {
            traces.iter().map(|t| prove(&prover, t)).collect::<Vec<_>>()
        })
    };

    eprintln!("[{:?}] set up, batches 1 and 2 proven", t0.elapsed());
    // 1. Batches 1 and 2, fed out of order, settle in order and become final.
    //
    // First a batch 1 the bridge refuses (its proof is garbage): reported failed, not
    // retried; the rebuild below must skip its extrinsic (no `BatchVerified`).
    let bogus = ProvenBatch::from_trace(&traces[0], [0; 128]);
    let (input, mut ev, task) = spawn(&l1, &[&bogus]);
    let failed = ev
        .until("the bogus batch fails", SETTLE, |e| {
            matches!(e, SettlementEvent::Failed { number: 1, .. })
        })
        .await;
    assert!(
        format!("{failed:?}").contains("failed in block"),
        "{failed:?}"
    );
    input.send(batches[1].clone()).await.unwrap();
    input.send(batches[0].clone()).await.unwrap();
    ev.seen.clear();
    ev.until_final(1).await;
    ev.until_final(2).await;
    let in_block_1 = ev
        .position(|e| matches!(e, SettlementEvent::InBlock { number: 1, .. }))
        .expect("batch 1 was reported in a block");
    let submitted_2 = ev
        .position(|e| matches!(e, SettlementEvent::Submitted { number: 2, .. }))
        .expect("batch 2 was submitted");
    assert!(
        in_block_1 < submitted_2,
        "batch 2 went out only after batch 1 was in the best chain: {:?}",
        ev.seen
    );
    assert_eq!((ev.submitted(1), ev.submitted(2)), (1, 1), "{:?}", ev.seen);
    let fin = l1.bridge_view(At::Finalized).await.unwrap();
    assert_eq!(fin.last_batch, 2);
    assert_eq!(fin.current_root, batches[1].new_root);
    drop(input);
    tokio::time::timeout(INCLUSION, task)
        .await
        .expect("the settler stops once its input is closed and everything is final")
        .expect("no panic");

    eprintln!("[{:?}] batches 1 and 2 final", t0.elapsed());
    // 2. A new settler re-fed the final batches reports them final without submitting.
    let nonce_before = l1.next_nonce(&bob).await.unwrap();
    let (input, mut ev, task) = spawn(&l1, &[&batches[0], &batches[1]]);
    ev.until_final(1).await;
    ev.until_final(2).await;
    assert!(
        ev.seen
            .iter()
            .all(|e| matches!(e, SettlementEvent::Final { .. })),
        "only Final events: {:?}",
        ev.seen
    );
    assert_eq!(
        l1.next_nonce(&bob).await.unwrap(),
        nonce_before,
        "nothing was signed"
    );
    drop(input);
    task.await.expect("no panic");

    batches.extend(later.await.expect("proving 3 and 4"));
    // 3. A settler stopped right after submitting batch 3 (a crash), and a new one fed 3 and
    // 4: batch 3 is not signed a second time (it is adopted from the pool or found in the
    // chain), 4 follows, both become final.
    //
    // 4. Meanwhile, a dropped submission is resubmitted: as soon as the new settler submits
    // batch 4 (right after batch 3's block, so well before the next block), the test removes
    // it from the node's pool (`author_removeExtrinsic`: what a node restart or an eviction
    // does to a pooled transaction). The settler finds the batch neither in the chain nor in
    // the pool after `resubmit_after`, signs it again with a fresh nonce and resubmits. If
    // the block author included it before the removal (milliseconds), batch 5 tries again.
    let (_input, mut ev, task) = spawn(&l1, &[&batches[2]]);
    ev.until("batch 3 submitted", SETTLE, |e| {
        matches!(e, SettlementEvent::Submitted { number: 3, .. })
    })
    .await;
    task.abort();
    let _ = task.await;
    let (input, mut ev, task) = spawn(&l1, &[&batches[2], &batches[3]]);
    let mut dropped_batch = None;
    for number in [4u64, 5] {
        if number == 5 {
            batches.push(prove(&prover, &traces[4]));
            input.send(batches[4].clone()).await.unwrap();
        }
        let SettlementEvent::Submitted { tx_hash, .. } = ev
            .until(
                "submitted",
                SETTLE,
                |e| matches!(e, SettlementEvent::Submitted { number: n, .. } if *n == number),
            )
            .await
        else {
            unreachable!()
        };
        let removed = l1
            .request("author_removeExtrinsic", &[json!([{ "hash": tx_hash }])])
            .await
            .expect("author_removeExtrinsic");
        eprintln!("removed from the pool: {removed}");
        let removed: Vec<H256> = serde_json::from_value(removed).unwrap();
        if removed == vec![tx_hash] {
            let SettlementEvent::Resubmitted { why, .. } = ev
                .until(
                    "resubmitted",
                    SETTLE,
                    |e| matches!(e, SettlementEvent::Resubmitted { number: n, .. } if *n == number),
                )
                .await
            else {
                unreachable!()
            };
            assert!(why.contains("dropped"), "{why}");
            let SettlementEvent::Submitted { tx_hash: again, .. } = ev
                .until(
                    "submitted again",
                    SETTLE,
                    |e| matches!(e, SettlementEvent::Submitted { number: n, .. } if *n == number),
                )
                .await
            else {
                unreachable!()
            };
            assert_ne!(again, tx_hash, "a new signature, a new extrinsic");
            dropped_batch = Some(number);
        }
        ev.until_final(number).await;
        if dropped_batch.is_some() {
            break;
        }
    }
    assert!(ev
        .position(|e| matches!(e, SettlementEvent::Final { number: 3, .. }))
        .is_some());
    assert_eq!(
        ev.submitted(3),
        0,
        "batch 3 was submitted twice: {:?}",
        ev.seen
    );
    let last = dropped_batch.expect("batches 4 and 5 were both included before the removal");
    let fin = l1.finalized_head().await.unwrap();
    assert_eq!(
        l1.account_nonce(&bob, fin.1).await.unwrap(),
        nonce_before + last as u32 - 2,
        "exactly one extrinsic in a block per batch from 3 on"
    );
    drop(input);
    tokio::time::timeout(INCLUSION, task)
        .await
        .expect("the settler stops: input closed, nothing left")
        .expect("no panic");

    eprintln!("[{:?}] restart and drop done", t0.elapsed());
    // 5. The L2 state rebuilt from L1 alone is the one the batches produced.
    let mut reports = Vec::new();
    let rebuilt = rebuild(&l1, |p| reports.push(p)).await.expect("rebuilds");
    assert_eq!(rebuilt.last_batch, last);
    // The tree the sequencer had after batch `last`, account by account.
    let expected = &trees[last as usize - 1];
    assert_eq!(rebuilt.tree.root(), expected.root());
    let accounts = |t: &AccountTree| {
        t.accounts()
            .map(|(i, a)| (*i, *a))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    assert_eq!(accounts(&rebuilt.tree), accounts(expected));
    assert_eq!(rebuilt.l1_root, batches[last as usize - 1].new_root);
    assert_eq!(rebuilt.next_deposit_seq, 3);
    assert_eq!(
        rebuilt
            .batches
            .iter()
            .map(|b| b.da.clone())
            .collect::<Vec<_>>(),
        traces[..last as usize]
            .iter()
            .map(|t| t.da.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(rebuilt.batches[0].deposits.len(), 2);
    let end = *reports.last().expect("progress was reported");
    assert_eq!(end.batches_replayed, last);
    assert!(end.blocks_scanned >= rebuilt.batches[last as usize - 1].block.0);
    assert!(
        reports.len() as u64 > last,
        "a report per batch and one at the end"
    );
    eprintln!("[{:?}] rebuilt", t0.elapsed());
    node.assert_no_panic();
}
