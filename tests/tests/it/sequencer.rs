//! The rollup in operation (issue 13), end to end: a dev chain (`echonet-node --dev` on a
//! base path), `echonet-sequencer --dev` on a base path, two `echonet-prover worker`s, and a
//! wallet load written with the JS client `@echonet/rollup-client`
//! (`rollup/client-js/test/e2e/load.mjs`, run with `node`), phase by phase:
//!
//! 1. three L1 dev accounts deposit into three new L2 accounts;
//! 2. 100 L2 transfers, each soft-confirmed with a checked receipt;
//! 3. `kill -9` of the sequencer with batches cut but unproven; restarted on its base path,
//!    every receipt's transaction is still in its batch and slot;
//! 4. 100 more transfers, sent while a worker is killed mid-proof (its job is leased to
//!    another worker after the lease and proven) and while the node is stopped and
//!    restarted on its base path (settlement continues);
//! 5. bad input through the real binary: malformed, badly signed, replayed, gapped, overdrawn,
//!    unknown-account transactions and a flood from one account each get their typed error,
//!    and no receipt moves;
//! 6. a withdrawal from each account, followed to final and claimed on L1;
//! 7. every batch proven, verified on chain and final (the bridge's `LastBatch` and
//!    `CurrentRoot` are the sequencer's), no transaction twice, L2 balances and nonces and
//!    L1 free balances exactly as the JS ledger says;
//! 8. `echonet-sequencer rebuild` from L1 alone reproduces the state root.
//!
//! It proves about 65 batches of 4 slots (6 to 10 minutes on two cores, nearly all of it
//! proving): one run covers everything, and it prints the time of each phase, the proving
//! time per batch and the submission-to-finality time per batch. `--max-batch-wait 2s`:
//! with 500 ms the throttled senders (per-account limit) left more batches part-empty (65 to
//! 70 batches instead of 62 for the same 225 slots). Needs `node` and `npm ci` in
//! rollup/client-js.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use echonet_runtime::{AccountId, Runtime};
use echonet_tests::{node::free_port, rpc, workspace_binary};
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use serde_json::Value;
use sp_core::H256;
use sp_keyring::Sr25519Keyring;

/// Unproven soft-confirmed transactions per account (the flood meets it quickly).
const PER_ACCOUNT_LIMIT: u32 = 16;
/// How long a phase of the scenario may take at most (proving is the slow part: about 60
/// batches on a loaded two-core machine).
const PHASE: Duration = Duration::from_secs(900);
/// How long a process may take to start answering.
const START: Duration = Duration::from_secs(180);

/// One child process with its log file; killed (SIGKILL) on drop, its log tail printed if
/// the test is failing.
struct Proc {
    label: String,
    child: Option<Child>,
    log: PathBuf,
}

impl Proc {
    fn spawn(label: &str, bin: &Path, args: &[String], dir: &Path, cwd: Option<&Path>) -> Proc {
        let log = dir.join(format!("{label}.log"));
        let f = File::create(&log).expect("log file");
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .env("RUST_BACKTRACE", "1")
            // An anyhow error prints its message, not a page of backtrace.
            .env("RUST_LIB_BACKTRACE", "0")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(f.try_clone().expect("log file"))
            .stderr(f);
        if let Some(c) = cwd {
            cmd.current_dir(c);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {label} ({}): {e}", bin.display()));
        Proc {
            label: label.into(),
            child: Some(child),
            log,
        }
    }

    fn text(&self) -> String {
        std::fs::read(&self.log)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    fn tail(&self, n: usize) -> String {
        let t = self.text();
        let lines: Vec<&str> = t.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// The exit status if it has exited (then reaped).
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        let s = self.child.as_mut()?.try_wait().ok().flatten()?;
        self.child = None;
        Some(s)
    }

    fn assert_running(&mut self) {
        if let Some(s) = self.exited() {
            panic!(
                "{} exited unexpectedly ({s}):\n{}",
                self.label,
                self.tail(60)
            );
        }
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then waits (bounded) for the exit.
    async fn term(&mut self) {
        let pid = self.pid();
        let ok = Command::new("kill")
            .args(["-s", "TERM", &pid.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -s TERM {pid} failed");
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.exited().is_none() {
            assert!(
                Instant::now() < deadline,
                "{} did not exit within 60 s of SIGTERM",
                self.label
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "----- {} (pid {:?}, log {}): last lines -----\n{}\n----- end of {} -----",
                self.label,
                self.child.as_ref().map(|c| c.id()),
                self.log.display(),
                self.tail(50),
                self.label
            );
        }
        self.kill9();
    }
}

/// Polls `f` every 200 ms until it gives `Some`, failing with `what` after `limit`.
async fn poll<T, F, Fut>(what: &str, limit: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn http(port: u16) -> HttpClient {
    HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(format!("http://127.0.0.1:{port}"))
        .expect("loopback URL")
}

/// An L2 RPC call that may fail (the sequencer may be restarting).
async fn l2(
    c: &HttpClient,
    method: &str,
    params: jsonrpsee::core::params::ArrayParams,
) -> Option<Value> {
    rpc::try_call::<Value>(c, method, params).await.ok()
}

fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64()
        .unwrap_or_else(|| panic!("{k} is not a number in {v}"))
}

fn dec(v: &Value) -> u128 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{v} is not a decimal string"))
}

/// The whole L2: node, sequencer, workers and the JS load, with their ports and dirs.
struct Rollup {
    node_rpc: u16,
    node_p2p: u16,
    seq_rpc: u16,
    prover_rpc: u16,
    node: Option<Proc>,
    seq: Option<Proc>,
    workers: Vec<Proc>,
    /// Processes that were killed or stopped: their logs are printed on failure too.
    dead: Vec<Proc>,
    runs: u32,
    /// Last: the logs above are printed from it on failure, before it is removed.
    dir: tempfile::TempDir,
}

impl Rollup {
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn l1(&self) -> String {
        format!("ws://127.0.0.1:{}", self.node_rpc)
    }
    fn seq_http(&self) -> HttpClient {
        http(self.seq_rpc)
    }
    fn node_http(&self) -> HttpClient {
        http(self.node_rpc)
    }
    fn label(&mut self, base: &str) -> String {
        self.runs += 1;
        format!("{:02}-{base}", self.runs)
    }

    async fn start_node(&mut self) {
        let label = self.label("node");
        let args: Vec<String> = [
            "--dev",
            "--base-path",
            self.path("node").to_str().expect("utf-8 path"),
            "--rpc-port",
            &self.node_rpc.to_string(),
            "--listen-addr",
            &format!("/ip4/127.0.0.1/tcp/{}", self.node_p2p),
            "--no-mdns",
            "--no-prometheus",
            // Step 9's rebuild reads the state of every block that settled a batch.
            "--state-pruning",
            "archive",
        ]
        .map(String::from)
        .to_vec();
        let p = Proc::spawn(
            &label,
            &workspace_binary("echonet-node", "ECHONET_NODE_BIN"),
            &args,
            self.dir.path(),
            None,
        );
        self.node = Some(p);
        let c = self.node_http();
        let deadline = Instant::now() + START;
        loop {
            self.node.as_mut().expect("node").assert_running();
            if rpc::try_call::<Value>(&c, "system_health", rpc_params![])
                .await
                .is_ok()
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the node's RPC did not answer within {START:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn start_sequencer(&mut self) {
        let label = self.label("sequencer");
        let args: Vec<String> = [
            "--dev",
            "--l1",
            &self.l1(),
            "--base-path",
            self.path("seq").to_str().expect("utf-8 path"),
            "--rpc-port",
            &self.seq_rpc.to_string(),
            "--prover-rpc-port",
            &self.prover_rpc.to_string(),
            "--no-prometheus",
            "--max-batch-wait",
            "2s",
            "--job-lease",
            "5s",
            "--per-account-limit",
            &PER_ACCOUNT_LIMIT.to_string(),
        ]
        .map(String::from)
        .to_vec();
        let p = Proc::spawn(
            &label,
            &workspace_binary("echonet-sequencer", "ECHONET_SEQUENCER_BIN"),
            &args,
            self.dir.path(),
            None,
        );
        self.seq = Some(p);
        let c = self.seq_http();
        let deadline = Instant::now() + START;
        loop {
            self.seq.as_mut().expect("sequencer").assert_running();
            if l2(&c, "l2_status", rpc_params![]).await.is_some() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the sequencer's L2 RPC did not answer within {START:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A prover worker, at `nice -n 10`: proving is throughput work that takes whatever CPU
    /// is left, and it must not starve the latency-bound processes on the machine (this
    /// test's node and sequencer, and the networks of the multi-node tests that
    /// `.config/nextest.toml` runs beside this one). The binary and its arguments are the
    /// operator's (`nice` execs it: same pid, so `kill -9` reaches the worker itself).
    fn start_worker(&mut self) -> String {
        let label = self.label("worker");
        let prover = workspace_binary("echonet-prover", "ECHONET_PROVER_BIN");
        let args: Vec<String> = [
            "-n",
            "10",
            prover.to_str().expect("utf-8 path"),
            "worker",
            "--sequencer",
            &format!("http://127.0.0.1:{}", self.prover_rpc),
            "--keys",
            self.path("seq/dev-keys").to_str().expect("utf-8 path"),
            "--name",
            &label,
            "--poll",
            "200ms",
            "--threads",
            "1",
        ]
        .map(String::from)
        .to_vec();
        let p = Proc::spawn(&label, Path::new("nice"), &args, self.dir.path(), None);
        self.workers.push(p);
        label
    }

    /// Starts `node load.mjs PHASE …` (not waited for).
    fn spawn_js(&mut self, phase: &str, extra: &[&str]) -> Proc {
        let label = self.label(&format!("js-{phase}"));
        let client = client_dir();
        let mut args: Vec<String> = vec![
            "test/e2e/load.mjs".into(),
            phase.into(),
            "--l1".into(),
            self.l1(),
            "--l2".into(),
            format!("ws://127.0.0.1:{}", self.seq_rpc),
            "--state".into(),
            self.path("ledger.json").to_str().expect("utf-8").into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Proc::spawn(
            &label,
            Path::new("node"),
            &args,
            self.dir.path(),
            Some(&client),
        )
    }

    /// Waits (bounded) for a JS phase to exit successfully; returns the ledger it printed.
    async fn wait_js(&mut self, mut js: Proc) -> Value {
        let limit = PHASE;
        let status = poll(&format!("{} to finish", js.label), limit, || {
            let s = js.exited();
            async move { s }
        })
        .await;
        let out = js.text();
        if !status.success() {
            let label = js.label.clone();
            let tail = js.tail(60);
            self.dead.push(js);
            panic!("{label} failed ({status}):\n{tail}");
        }
        let ledger = out
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("LEDGER "))
            .unwrap_or_else(|| panic!("{} printed no LEDGER line:\n{out}", js.label));
        eprintln!(
            "{}:\n{}",
            js.label,
            out.lines()
                .filter(|l| !l.starts_with("LEDGER "))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let v = serde_json::from_str(ledger).expect("the LEDGER line is JSON");
        self.dead.push(js);
        v
    }

    async fn js(&mut self, phase: &str, extra: &[&str]) -> Value {
        let js = self.spawn_js(phase, extra);
        self.wait_js(js).await
    }

    async fn status(&self) -> Value {
        let c = self.seq_http();
        poll("l2_status", Duration::from_secs(60), || async {
            l2(&c, "l2_status", rpc_params![]).await
        })
        .await
    }
}

fn client_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .join("rollup/client-js")
}

/// Fails with what to do if `node` or the client's node_modules are missing.
fn require_js() {
    let ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "this test needs Node.js ≥ 20 (`node`) on the PATH");
    assert!(
        client_dir().join("node_modules/@polkadot/api").is_dir(),
        "rollup/client-js/node_modules is missing: run `npm ci` in rollup/client-js first"
    );
}

/// `HH:MM:SS.fff` of a log line's RFC 3339 timestamp, as seconds of the day.
fn log_secs(line: &str) -> Option<f64> {
    let t = line.split_whitespace().next()?;
    let time = t.split('T').nth(1)?.trim_end_matches('Z');
    let mut it = time.split(':');
    let h: f64 = it.next()?.parse().ok()?;
    let m: f64 = it.next()?.parse().ok()?;
    let s: f64 = it
        .next()?
        .get(..6)?
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

/// The number after `#` in `… batch #N …`.
fn batch_no(line: &str, after: &str) -> Option<u64> {
    let rest = &line[line.find(after)? + after.len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn p50(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn l1_account(uri: &str) -> AccountId {
    match uri {
        "//Bob" => Sr25519Keyring::Bob,
        "//Charlie" => Sr25519Keyring::Charlie,
        "//Dave" => Sr25519Keyring::Dave,
        other => panic!("unexpected L1 account {other}"),
    }
    .to_account_id()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rollup_settles_through_faults_and_rebuilds_from_l1() {
    require_js();
    let t_all = Instant::now();
    let mut phases: Vec<(String, f64)> = Vec::new();
    let mut lap = Instant::now();
    let mut mark = |name: &str, lap: &mut Instant| {
        let s = lap.elapsed().as_secs_f64();
        eprintln!("PHASE {name}: {s:.1} s");
        phases.push((name.into(), s));
        *lap = Instant::now();
    };
    let mut r = Rollup {
        dir: tempfile::Builder::new()
            .prefix("echonet-e2e-rollup-")
            .tempdir()
            .expect("tempdir"),
        node_rpc: free_port(),
        node_p2p: free_port(),
        seq_rpc: free_port(),
        prover_rpc: free_port(),
        node: None,
        seq: None,
        workers: Vec::new(),
        dead: Vec::new(),
        runs: 0,
    };

    // 1-2. The L1, the sequencer (dev setup through sudo), two workers.
    r.start_node().await;
    r.start_sequencer().await;
    r.start_worker();
    r.start_worker();
    let st = r.status().await;
    assert_eq!(st["batchSize"], 4, "the dev batch size: {st}");
    mark("start (node, sequencer dev setup, workers)", &mut lap);

    // 3. Deposits.
    r.js("deposit", &[]).await;
    mark("deposits (3, to L1 finality and onto L2)", &mut lap);

    // 4. The first 100 transfers, then kill -9 of the sequencer with batches unproven.
    let ledger = r.js("transfers", &["0", "100"]).await;
    mark("transfers 0..100", &mut lap);
    let receipts = ledger["receipts"].as_array().expect("receipts").clone();
    assert_eq!(receipts.len(), 100);
    let last_batch = receipts
        .iter()
        .map(|x| u(x, "batch"))
        .max()
        .expect("receipts");
    let st = r.status().await;
    assert!(
        u(&st, "provenBatch") < last_batch,
        "the kill must come with soft-confirmed transactions in unproven batches: {st}"
    );
    eprintln!("kill -9 of the sequencer at {st}");
    let mut seq = r.seq.take().expect("sequencer");
    seq.kill9();
    r.dead.push(seq);
    r.start_sequencer().await;
    let c = r.seq_http();
    for x in &receipts {
        let hash = x["hash"].as_str().expect("hash");
        let t = l2(&c, "l2_getTransaction", rpc_params![hash])
            .await
            .unwrap_or_else(|| panic!("l2_getTransaction({hash}) failed after the restart"));
        assert_eq!(
            (t["batch"].as_u64(), t["slot"].as_u64()),
            (x["batch"].as_u64(), x["slot"].as_u64()),
            "transaction {hash} moved (or was lost) across kill -9: {t}"
        );
        assert_ne!(t["status"], "dropped", "{t}");
    }
    mark(
        "kill -9 of the sequencer and restart (all 100 receipts kept)",
        &mut lap,
    );

    // 5. The second 100 transfers, sent while a worker dies mid-proof and the node restarts.
    let js = r.spawn_js("transfers", &["100", "100"]);
    // A worker that this sequencer leased a job to and that is proving it: the farm's
    // "batch #N leased to worker W" and W's "proving batch #N" without "batch #N proved".
    let (victim, batch, leased_at) = poll("a worker busy proving", PHASE, || {
        let farm = r.seq.as_ref().expect("sequencer").text();
        let found = r.workers.iter().enumerate().find_map(|(i, w)| {
            let text = w.text();
            let last = text
                .lines()
                .rev()
                .find(|l| l.contains(": proving batch #"))?;
            let n = batch_no(last, "proving batch #")?;
            let lease = format!("batch #{n} leased to worker \"{}\"", w.label);
            let at = farm.rfind(&lease)?;
            (!text.contains(&format!("batch #{n} proved"))).then_some((i, n, at))
        });
        async move { found }
    })
    .await;
    let mut w = r.workers.remove(victim);
    let victim_name = w.label.clone();
    w.kill9();
    eprintln!("SIGKILL of {victim_name} while proving batch #{batch}");
    r.dead.push(w);
    r.start_worker();
    let seq_log = |r: &Rollup| r.seq.as_ref().expect("sequencer").text();
    poll(
        &format!("batch #{batch} leased again after {victim_name} died"),
        PHASE,
        || {
            let text = seq_log(&r);
            let again = text.get(leased_at..).is_some_and(|t| {
                t.lines().any(|l| {
                    l.contains(&format!("batch #{batch} leased to worker"))
                        && !l.contains(&victim_name)
                })
            });
            async move { again.then_some(()) }
        },
    )
    .await;
    let c = r.seq_http();
    poll(
        &format!("batch #{batch} proven after the reassignment"),
        PHASE,
        || async {
            let b = l2(&c, "l2_getBatch", rpc_params![batch]).await?;
            (b["status"] != "inBatch" && b["status"] != "open").then_some(())
        },
    )
    .await;
    mark(
        "worker SIGKILL mid-proof, job reassigned and proven",
        &mut lap,
    );

    // The node stops (SIGTERM) and restarts on its base path, batches in flight.
    let c = r.seq_http();
    let before = poll("batches in flight (traced, not final)", PHASE, || async {
        let s = l2(&c, "l2_status", rpc_params![]).await?;
        (u(&s, "tracedBatch") > u(&s, "finalBatch")).then(|| u(&s, "finalBatch"))
    })
    .await;
    let mut node = r.node.take().expect("node");
    node.term().await;
    r.dead.push(node);
    r.start_node().await;
    let c = r.seq_http();
    poll(
        "settlement to continue after the node's restart",
        PHASE,
        || async {
            let s = l2(&c, "l2_status", rpc_params![]).await?;
            (u(&s, "finalBatch") > before).then_some(())
        },
    )
    .await;
    let ledger = r.wait_js(js).await;
    mark(
        "node restart; settlement resumed; transfers 100..200 done",
        &mut lap,
    );
    assert_eq!(ledger["receipts"].as_array().expect("receipts").len(), 200);

    // 6. Bad input through the real sequencer.
    r.js("bad", &[&PER_ACCOUNT_LIMIT.to_string()]).await;
    mark("bad input", &mut lap);

    // 7. Withdrawals, followed to final and claimed on L1.
    let ledger = r.js("withdraw", &[]).await;
    mark("withdrawals to final and claimed", &mut lap);

    // 8. Everything proven, verified and final; balances exact.
    let c = r.seq_http();
    let st = poll("every batch final", PHASE, || async {
        let s = l2(&c, "l2_status", rpc_params![]).await?;
        let traced = u(&s, "tracedBatch");
        (u(&s, "pendingTxs") == 0
            && u(&s, "finalBatch") == traced
            && u(&s, "provenBatch") == traced)
            .then_some(s)
    })
    .await;
    let nc = r.node_http();
    let fin: H256 = rpc::call(&nc, "chain_getFinalizedHead", rpc_params![]).await;
    let last: u64 = rpc::storage_decoded(
        &nc,
        &pallet_bridge::LastBatch::<Runtime>::hashed_key(),
        Some(fin),
        "Bridge.LastBatch",
    )
    .await;
    let root: [u8; 32] = rpc::storage_decoded(
        &nc,
        &pallet_bridge::CurrentRoot::<Runtime>::hashed_key(),
        Some(fin),
        "Bridge.CurrentRoot",
    )
    .await;
    let root_hex = format!("0x{}", hex::encode(root));
    assert_eq!(
        last,
        u(&st, "finalBatch"),
        "the bridge's LastBatch vs l2_status {st}"
    );
    assert_eq!(
        st["cutRoot"].as_str(),
        Some(root_hex.as_str()),
        "CurrentRoot vs l2_status {st}"
    );

    // Every receipt final in its batch and slot; no transaction in two slots; the batches
    // hold exactly the receipts' transactions.
    let receipts = ledger["receipts"].as_array().expect("receipts").clone();
    let mut in_batches = Vec::new();
    let mut slots_used = 0u64;
    let mut deposits = 0u64;
    let mut cut_to_final = Vec::new();
    for n in 1..=last {
        let b = l2(&c, "l2_getBatch", rpc_params![n])
            .await
            .expect("l2_getBatch");
        assert_eq!(b["status"], "final", "batch {n}: {b}");
        for h in b["txs"].as_array().expect("txs") {
            in_batches.push(h.as_str().expect("hash").to_string());
        }
        slots_used += u(&b, "size");
        deposits += u(&b, "deposits");
        let _ = b["cutAt"].as_u64().map(|x| cut_to_final.push(x));
    }
    let unique: BTreeSet<_> = in_batches.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        in_batches.len(),
        "a transaction is in two slots"
    );
    let ours: BTreeSet<String> = receipts
        .iter()
        .map(|x| x["hash"].as_str().expect("hash").to_string())
        .collect();
    assert_eq!(
        unique, ours,
        "the batches hold exactly the soft-confirmed transactions"
    );
    for x in &receipts {
        let hash = x["hash"].as_str().expect("hash");
        let t = l2(&c, "l2_getTransaction", rpc_params![hash])
            .await
            .expect("tx");
        assert_eq!(t["status"], "final", "{t}");
        assert_eq!(
            (t["batch"].as_u64(), t["slot"].as_u64()),
            (x["batch"].as_u64(), x["slot"].as_u64()),
            "{hash} is not where its receipt put it: {t}"
        );
    }
    // L2 balances and nonces.
    for (index, want) in ledger["l2"].as_object().expect("l2 ledger") {
        let i: u32 = index.parse().expect("index");
        let a = l2(
            &c,
            "l2_getAccount",
            rpc_params![serde_json::json!({"index": i})],
        )
        .await
        .expect("l2_getAccount");
        assert_eq!(
            dec(&a["balance"]),
            dec(&want["balance"]),
            "L2 #{i} balance: {a} vs {want}"
        );
        assert_eq!(a["balance"], a["pendingBalance"], "{a}");
        assert_eq!(a["nonce"], want["nonce"], "L2 #{i} nonce: {a} vs {want}");
    }
    // L1: initial − deposits − fees + claimed.
    for (addr, l) in ledger["l1"].as_object().expect("l1 ledger") {
        let who = l1_account(l["uri"].as_str().expect("uri"));
        let free = rpc::account(&nc, &who, None).await.data.free;
        let want = dec(&l["initial"]) - dec(&l["deposits"]) - dec(&l["fees"]) + dec(&l["claimed"]);
        assert_eq!(free, want, "L1 free balance of {addr} ({l})");
    }
    mark("final checks", &mut lap);

    // 9. Rebuild from L1 alone: the same root.
    let fee_account = u(&st, "operatorFeeAccount");
    let mut seq = r.seq.take().expect("sequencer");
    seq.term().await;
    r.dead.push(seq);
    let out = tokio::time::timeout(
        PHASE,
        tokio::process::Command::new(workspace_binary(
            "echonet-sequencer",
            "ECHONET_SEQUENCER_BIN",
        ))
        .args([
            "rebuild",
            "--l1",
            &r.l1(),
            "--fee-account",
            &fee_account.to_string(),
            "--base-path",
        ])
        .arg(r.path("rebuilt"))
        .output(),
    )
    .await
    .expect("rebuild within the deadline")
    .expect("rebuild runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "rebuild failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = format!("Rebuilt {last} batches");
    assert!(stdout.contains(&expected), "{stdout}");
    assert!(
        stdout.contains(&format!("root {root_hex} ")),
        "rebuild's root differs from the sequencer's {root_hex}: {stdout}"
    );
    mark("rebuild from L1", &mut lap);

    // Figures: proving time per batch (workers), submission→final per batch (sequencer).
    let mut prove = Vec::new();
    for w in r.workers.iter().chain(r.dead.iter()) {
        for l in w.text().lines() {
            if let Some(i) = l.find(" proved in ") {
                if let Ok(s) = l[i + 11..].trim_end_matches('s').parse::<f64>() {
                    prove.push(s);
                }
            }
        }
    }
    let mut submitted: BTreeMap<u64, f64> = BTreeMap::new();
    let mut lag = Vec::new();
    for p in r.dead.iter() {
        for l in p.text().lines() {
            if let (Some(n), Some(t)) = (batch_no(l, "Batch #"), log_secs(l)) {
                if l.contains("submitted to L1") {
                    submitted.entry(n).or_insert(t);
                } else if l.contains(" final in L1 block") {
                    if let Some(s) = submitted.get(&n) {
                        lag.push(t - s);
                    }
                }
            }
        }
    }
    eprintln!(
        "FIGURES: {last} batches ({slots_used} slots used, {deposits} deposits, {} txs); \
         proofs {} (p50 {:.2} s, total {:.1} s); submission→final p50 {:.1} s over {} batches; \
         test wall time {:.1} s",
        ours.len(),
        prove.len(),
        p50(prove.clone()),
        prove.iter().sum::<f64>(),
        p50(lag.clone()),
        lag.len(),
        t_all.elapsed().as_secs_f64()
    );
    for (name, s) in &phases {
        eprintln!("  {name}: {s:.1} s");
    }
}
