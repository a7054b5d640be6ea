//! Optimization domains on a running dev chain (issue 16): two domains of the example
//! least-squares evaluation, twelve evaluators run by the reference client
//! (`echonet-evaluator run`), an honest optimum accepted and rewarded, a false one refused
//! and its deposit lost.

use codec::Encode;
use echonet_runtime::{extrinsics, AccountId, Balance, RuntimeCall, RuntimeEvent, UNITS};
use echonet_tests::{
    rpc::{self, submit_and_dispatch, value},
    wait_until, workspace_binary, Node, BLOCK_TIMEOUT,
};
use jsonrpsee::http_client::HttpClient;
use sp_core::{sr25519, Pair, H256};
use sp_keyring::Sr25519Keyring;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The example domain's files.
fn example(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/domains/least-squares")
        .join(file)
}

/// The reference evaluator binary.
fn evaluator_bin() -> PathBuf {
    workspace_binary("echonet-evaluator", "ECHONET_EVALUATOR_BIN")
}

/// An evaluator process, killed on drop; its log is printed if the test fails.
struct Evaluator {
    child: Child,
    log: PathBuf,
}

impl Drop for Evaluator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            eprintln!("----- {} -----", self.log.display());
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// Signs `call` with `pair` at its next nonce and submits it (no wait).
async fn submit_as(c: &HttpClient, pair: &sr25519::Pair, call: RuntimeCall) {
    let who: AccountId = pair.public().into();
    let nonce = rpc::next_nonce(c, &who).await;
    let genesis = rpc::genesis_hash(c).await;
    let xt = extrinsics::signed(call, pair, nonce, 0, genesis);
    rpc::submit(c, &echonet_tests::chain::to_hex(&xt.encode())).await;
}

/// `echonet-evaluator store-put`: copies `file` into `store` and returns its content hash.
fn store_put(store: &Path, file: &Path) -> H256 {
    let out = Command::new(evaluator_bin())
        .arg("store-put")
        .arg("--store")
        .arg(store)
        .arg(file)
        .output()
        .expect("echonet-evaluator store-put");
    assert!(out.status.success(), "store-put: {out:?}");
    let hex = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let bytes = hex::decode(hex.trim_start_matches("0x")).expect("a hex hash");
    H256::from_slice(&bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_evaluators_accept_an_honest_optimum_and_refuse_a_false_one() {
    let node = Node::dev("domains").await;
    let c = node.http();
    let ws = node.ws().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = dir.path().join("store");
    std::fs::create_dir_all(&store).expect("the store");

    // Two domains of the example evaluation (lower loss is better, tolerance 100).
    let spec_hash = H256(sp_io::hashing::blake2_256(
        &std::fs::read(example("spec.json")).expect("spec.json"),
    ));
    for name in ["least-squares", "least-squares-b"] {
        rpc::sudo(
            &c,
            RuntimeCall::Domains(pallet_domains::Call::register_domain {
                name: name.as_bytes().to_vec().try_into().expect("a short name"),
                direction: pallet_domains::Direction::LowerIsBetter,
                spec_hash,
                tolerance: 100,
                reward_weight: 1,
                min_share: sp_runtime::Perbill::from_percent(20),
            }),
        )
        .await;
        let id = if name == "least-squares" { 0u32 } else { 1 };
        wait_until("the domain", BLOCK_TIMEOUT * 3, || async {
            value::<pallet_domains::DomainOf<echonet_runtime::Runtime>>(
                &c,
                &pallet_domains::Domains::<echonet_runtime::Runtime>::hashed_key_for(id),
            )
            .await
        })
        .await;
    }
    // The reward pot.
    submit_and_dispatch(
        &ws,
        Sr25519Keyring::Ferdie,
        RuntimeCall::Domains(pallet_domains::Call::fund {
            amount: 10_000 * UNITS,
        }),
    )
    .await
    .expect("fund");

    // Twelve evaluators, funded by Alice in one batch, each bonding into both pools.
    let evaluators: Vec<(String, sr25519::Pair)> = (0..12)
        .map(|i| {
            let suri = format!("//Eval{i}");
            let pair = sr25519::Pair::from_string(&suri, None).expect("a dev key");
            (suri, pair)
        })
        .collect();
    let transfers = evaluators
        .iter()
        .map(|(_, p)| {
            RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
                dest: AccountId::from(p.public()).into(),
                value: 1_000 * UNITS,
            })
        })
        .collect();
    submit_and_dispatch(
        &ws,
        Sr25519Keyring::Alice,
        RuntimeCall::Utility(pallet_utility::Call::batch_all { calls: transfers }),
    )
    .await
    .expect("fund the evaluators");
    for (_, pair) in &evaluators {
        for domain in [0u32, 1] {
            submit_as(
                &c,
                pair,
                RuntimeCall::Domains(pallet_domains::Call::join_pool {
                    domain,
                    bond: 200 * UNITS,
                }),
            )
            .await;
        }
    }
    for domain in [0u32, 1] {
        wait_until(
            "twelve evaluators in the pool",
            Duration::from_secs(60),
            || async {
                let pool: pallet_domains::Pool = value(
                    &c,
                    &pallet_domains::Pools::<echonet_runtime::Runtime>::hashed_key_for(domain),
                )
                .await
                .unwrap_or_default();
                (pool.size == 12).then_some(())
            },
        )
        .await;
    }

    // The twelve reference clients.
    let eval_cmd = format!(
        "{} eval-least-squares --data {} --model {{file}}",
        evaluator_bin().display(),
        example("data.csv").display()
    );
    let rpc_url = node.ws_url();
    let _clients: Vec<Evaluator> = evaluators
        .iter()
        .enumerate()
        .map(|(i, (suri, _))| {
            let log = dir.path().join(format!("eval{i}.log"));
            let f = std::fs::File::create(&log).expect("a log file");
            let child = Command::new(evaluator_bin())
                .args([
                    "run",
                    "--rpc",
                    &rpc_url,
                    "--suri",
                    suri,
                    "--eval-cmd",
                    &eval_cmd,
                ])
                .arg("--store")
                .arg(&store)
                .arg("--state")
                .arg(dir.path().join(format!("eval{i}.json")))
                .stdin(Stdio::null())
                .stdout(f.try_clone().expect("log"))
                .stderr(f)
                .spawn()
                .expect("echonet-evaluator run");
            Evaluator { child, log }
        })
        .collect();

    // Bob submits the good model honestly to domain 0, and claims the good model's score
    // for the bad model in domain 1.
    let good = store_put(&store, &example("model-good.json"));
    let bad = store_put(&store, &example("model-bad.json"));
    let bob = Sr25519Keyring::Bob;
    let treasury_before = rpc::account(&c, &echonet_runtime::fees::TreasuryAccount::get(), None)
        .await
        .data
        .free;
    for (domain, content_hash) in [(0u32, good), (1, bad)] {
        submit_and_dispatch(
            &ws,
            bob,
            RuntimeCall::Domains(pallet_domains::Call::submit_optimum {
                domain,
                content_hash,
                claimed_score: 3633,
            }),
        )
        .await
        .expect("submit_optimum");
    }

    // Both are decided by the clients' commits and reveals.
    let mut outcomes = std::collections::BTreeMap::new();
    rpc::watch_events(
        &c,
        &ws,
        "both verdicts",
        Duration::from_secs(180),
        |_, e| {
            if let RuntimeEvent::Domains(pallet_domains::Event::OptimumClosed {
                domain,
                outcome,
                median,
                ..
            }) = e
            {
                outcomes.insert(*domain, (*outcome, *median));
            }
            outcomes.len() == 2
        },
    )
    .await;
    assert_eq!(
        outcomes[&0],
        (pallet_domains::Outcome::Accepted, Some(3633)),
        "the honest optimum"
    );
    assert_eq!(
        outcomes[&1].0,
        pallet_domains::Outcome::Refused,
        "the false one"
    );
    assert_eq!(
        outcomes[&1].1,
        Some(49_076_875),
        "the bad model's loss, as evaluated"
    );

    // The false optimum's deposit went to the treasury; the honest one's came back.
    let bob_info = rpc::account(&c, &bob.to_account_id(), None).await;
    assert_eq!(bob_info.data.reserved, 0, "no deposit is held any more");
    let treasury_after = rpc::account(&c, &echonet_runtime::fees::TreasuryAccount::get(), None)
        .await
        .data
        .free;
    let deposit: Balance = pallet_domains::Params::<Balance, u32>::default().optimum_deposit;
    assert!(
        treasury_after >= treasury_before + deposit,
        "the refused deposit is the treasury's: {treasury_before} -> {treasury_after}"
    );

    // At the end of the reward epoch Bob, the accepted optimizer, has something to claim.
    let claimable: Balance = wait_until(
        "Bob's optimizer reward",
        Duration::from_secs(120),
        || async {
            let v: Balance = value(
                &c,
                &pallet_domains::Claimable::<echonet_runtime::Runtime>::hashed_key_for(
                    bob.to_account_id(),
                ),
            )
            .await
            .unwrap_or_default();
            (v > 0).then_some(v)
        },
    )
    .await;
    let before = rpc::account(&c, &bob.to_account_id(), None).await.data.free;
    submit_and_dispatch(
        &ws,
        bob,
        RuntimeCall::Domains(pallet_domains::Call::claim_rewards {}),
    )
    .await
    .expect("claim_rewards");
    let after = rpc::account(&c, &bob.to_account_id(), None).await.data.free;
    assert!(
        after + UNITS / 1_000 >= before + claimable,
        "Bob claimed {claimable}: {before} -> {after}"
    );
    node.assert_no_panic();
}
