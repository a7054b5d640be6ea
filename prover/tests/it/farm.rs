//! The prover farm: a `Farm` served on loopback, real workers proving 1-slot batches, and
//! fake clients that misbehave (vanish with a job, send bad proofs, malformed params).
//! Leases are 1 s; every wait polls a condition with a deadline.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ark_ec::AffineRepr;
use echonet_prover::farm::{
    self, bench::transfer_batches, Farm, FarmConfig, FarmServer, ERR_INVALID_PARAMS,
    ERR_INVALID_PROOF, ERR_UNKNOWN_JOB, PROOF_BYTES,
};
use echonet_prover::worker::{Worker, WorkerConfig, WorkerError, WorkerEvent, WorkerKey};
use echonet_prover::{
    keys, proof_to_bytes, prove, verify_encoded, Proof, ProvingKey, VerifyingKey,
};
use echonet_rollup_primitives::{batch::BatchTrace, field::fr_to_be_bytes};
use jsonrpsee::core::client::{ClientT, Error as ClientError};
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc::Receiver};

const BATCH: usize = 1;
const LEASE: Duration = Duration::from_secs(1);
const DEADLINE: Duration = Duration::from_secs(180);

struct Fixture {
    pk: ProvingKey,
    vk: VerifyingKey,
    key: Arc<WorkerKey>,
    /// Batches 1..=4, successive on one tree.
    traces: Vec<Arc<BatchTrace>>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let (pk, vk) = keys::setup_dev(BATCH, 31).unwrap();
        let key = Arc::new(
            WorkerKey::new(pk.clone(), BATCH, echonet_prover::QapReduction::Libsnark).unwrap(),
        );
        let traces = transfer_batches(BATCH, 4)
            .unwrap()
            .into_iter()
            .map(Arc::new)
            .collect();
        Fixture {
            pk,
            vk,
            key,
            traces,
        }
    })
}

/// The fixture's key in a key directory, as `echonet-prover setup` writes it.
pub(crate) fn key_dir() -> tempfile::TempDir {
    use ark_serialize::CanonicalSerialize;
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let mut pk_bytes = Vec::new();
    f.pk.serialize_compressed(&mut pk_bytes).unwrap();
    std::fs::write(dir.path().join(keys::PK_FILE), pk_bytes).unwrap();
    let meta = keys::KeyMeta {
        batch_size: BATCH,
        insecure: true,
        vk_sha256: keys::vk_hash(&f.vk).unwrap(),
        constraints: 0,
        constraints_per_slot: 0,
        note: keys::INSECURE_BANNER.into(),
        reduction: echonet_prover::QapReduction::Libsnark,
    };
    std::fs::write(
        dir.path().join(keys::META_FILE),
        serde_json::to_vec(&meta).unwrap(),
    )
    .unwrap();
    dir
}

async fn start(vk: VerifyingKey, max_attempts: u32) -> (Farm, FarmServer, HttpClient) {
    start_with_lease(vk, max_attempts, LEASE).await
}

async fn start_with_lease(
    vk: VerifyingKey,
    max_attempts: u32,
    lease: Duration,
) -> (Farm, FarmServer, HttpClient) {
    let cfg = FarmConfig {
        lease,
        max_attempts,
    };
    serve_farm(Farm::new(vk, BATCH, cfg)).await
}

/// Serves `farm` on a free loopback port, with a client for it.
async fn serve_farm(farm: Farm) -> (Farm, FarmServer, HttpClient) {
    let server = farm::serve(&farm, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let client = HttpClientBuilder::default()
        .max_response_size(farm::max_job_response_bytes(BATCH))
        .build(server.url())
        .unwrap();
    (farm, server, client)
}

fn worker(url: &str, key: &Arc<WorkerKey>, name: &str) -> Worker {
    let mut cfg = WorkerConfig::new(url);
    cfg.name = name.into();
    cfg.poll = Duration::from_millis(20);
    cfg.max_backoff = Duration::from_millis(200);
    cfg.threads = Some(1);
    Worker::new(cfg, Arc::clone(key)).unwrap()
}

async fn recv_proof(rx: &mut Receiver<(u64, [u8; PROOF_BYTES])>) -> (u64, [u8; 128]) {
    tokio::time::timeout(DEADLINE, rx.recv())
        .await
        .expect("no proof before the deadline")
        .expect("proof channel closed")
}

/// The worker's next event; panics at the deadline.
async fn next_event(events: &mut broadcast::Receiver<WorkerEvent>) -> WorkerEvent {
    tokio::time::timeout(DEADLINE, events.recv())
        .await
        .expect("no worker event before the deadline")
        .expect("worker event channel closed or lagged")
}

fn assert_proof_verifies(n: u64, bytes: &[u8; 128]) {
    let f = fixture();
    let trace = &f.traces[(n - 1) as usize];
    assert!(
        verify_encoded(&f.vk, &[fr_to_be_bytes(&trace.commitment)], bytes).unwrap(),
        "forwarded proof of batch {n} does not verify"
    );
}

/// Polls `cond` every 20 ms until it holds; panics at the deadline.
async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn get_job(client: &HttpClient, worker: &str) -> Option<Value> {
    client
        .request("prover_getJob", rpc_params![json!({ "worker": worker })])
        .await
        .unwrap()
}

fn code(e: ClientError) -> i32 {
    match e {
        ClientError::Call(obj) => obj.code(),
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

async fn submit(client: &HttpClient, job: &str, proof: &[u8]) -> Result<Value, i32> {
    client
        .request::<Value, _>(
            "prover_submitProof",
            rpc_params![job, format!("0x{}", hex::encode(proof))],
        )
        .await
        .map_err(code)
}

fn real_proof(n: u64) -> Vec<u8> {
    let f = fixture();
    let (proof, _) = prove(
        &f.pk,
        BATCH,
        &f.traces[(n - 1) as usize],
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    proof_to_bytes(&proof).unwrap()
}

/// Valid curve points that are no proof of anything.
fn bogus_proof() -> Vec<u8> {
    let p = Proof {
        a: ark_bn254::G1Affine::generator(),
        b: ark_bn254::G2Affine::generator(),
        c: ark_bn254::G1Affine::generator(),
    };
    proof_to_bytes(&p).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_prove_successive_batches_and_every_proof_verifies() {
    let f = fixture();
    // Each proof takes seconds, so only heartbeats keep these 2 s leases (a little slack
    // for a loaded machine: they come every 0.67 s).
    let (farm, server, _client) = start_with_lease(f.vk.clone(), 3, LEASE * 2).await;
    let mut proofs = farm.proofs();
    for t in &f.traces {
        farm.add_job(t.header.batch_number, Arc::clone(t));
    }
    assert_eq!(farm.stats().queued, 4);
    let a = worker(&server.url(), &f.key, "a");
    let b = worker(&server.url(), &f.key, "b");
    let (stop_a, stop_b) = (a.shutdown_handle(), b.shutdown_handle());
    let (ha, hb) = (tokio::spawn(a.run()), tokio::spawn(b.run()));

    let mut got = BTreeSet::new();
    while got.len() < 4 {
        let (n, bytes) = recv_proof(&mut proofs).await;
        assert_proof_verifies(n, &bytes);
        assert!(got.insert(n), "batch {n} forwarded twice");
    }
    assert_eq!(got, BTreeSet::from([1, 2, 3, 4]));
    stop_a.shutdown();
    stop_b.shutdown();
    let (ra, rb) = (ha.await.unwrap().unwrap(), hb.await.unwrap().unwrap());
    let accepted =
        |r: &echonet_prover::worker::WorkerReport| r.jobs.iter().filter(|j| j.accepted).count();
    assert_eq!(accepted(&ra) + accepted(&rb), 4);
    assert!(
        accepted(&ra) >= 1 && accepted(&rb) >= 1,
        "both workers proved"
    );
    let s = farm.stats();
    assert_eq!(
        (
            s.queued,
            s.leased,
            s.proven_total,
            s.rejected_total,
            s.reassigned_total
        ),
        (0, 0, 4, 0, 0)
    );
    // Re-adding a proven batch is a no-op.
    farm.add_job(1, Arc::clone(&f.traces[0]));
    assert_eq!(farm.stats().queued, 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_worker_vanishes_is_handed_out_again_after_the_lease() {
    let f = fixture();
    let (farm, server, client) = start(f.vk.clone(), 3).await;
    let mut proofs = farm.proofs();
    farm.add_job(1, Arc::clone(&f.traces[0]));
    // A "worker" that takes the job and never answers again.
    let job = get_job(&client, "ghost").await.expect("a job");
    let ghost_id = job["jobId"].as_str().unwrap().to_string();
    assert_eq!(job["batchNumber"], 1);
    assert_eq!(job["leaseMs"], 1000);
    assert_eq!(job["vkHash"], farm.vk_hash());
    assert_eq!(farm.stats().leased, 1);

    let w = worker(&server.url(), &f.key, "real");
    let stop = w.shutdown_handle();
    let h = tokio::spawn(w.run());
    let (n, bytes) = recv_proof(&mut proofs).await;
    assert_eq!(n, 1);
    assert_proof_verifies(n, &bytes);
    let s = farm.stats();
    assert_eq!((s.reassigned_total, s.proven_total, s.leased), (1, 1, 0));
    // The ghost's lease is gone, and its job id no longer takes proofs.
    let alive: bool = client
        .request("prover_heartbeat", rpc_params![ghost_id.as_str()])
        .await
        .unwrap();
    assert!(!alive);
    assert_eq!(
        submit(&client, &ghost_id, &bytes).await,
        Err(ERR_UNKNOWN_JOB)
    );
    stop.shutdown();
    h.await.unwrap().unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stopped_mid_proof_loses_the_job_to_another() {
    let f = fixture();
    let (farm, server, _client) = start(f.vk.clone(), 3).await;
    let mut proofs = farm.proofs();
    farm.add_job(2, Arc::clone(&f.traces[1]));
    let a = worker(&server.url(), &f.key, "a");
    let mut events = a.subscribe();
    let stop_a = a.shutdown_handle();
    let ha = tokio::spawn(a.run());
    while !matches!(
        next_event(&mut events).await,
        WorkerEvent::Leased { batch: 2, .. }
    ) {}
    // Shutdown returns at once, without waiting for the proof.
    stop_a.shutdown();
    let report = tokio::time::timeout(Duration::from_secs(10), ha)
        .await
        .expect("worker did not stop promptly")
        .unwrap()
        .unwrap();
    assert!(report.jobs.is_empty(), "nothing was submitted: {report:?}");

    let b = worker(&server.url(), &f.key, "b");
    let stop_b = b.shutdown_handle();
    let hb = tokio::spawn(b.run());
    let (n, bytes) = recv_proof(&mut proofs).await;
    assert_eq!(n, 2);
    assert_proof_verifies(n, &bytes);
    assert_eq!(farm.stats().reassigned_total, 1);
    stop_b.shutdown();
    let rb = hb.await.unwrap().unwrap();
    assert_eq!(rb.jobs.len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_the_lease_and_a_late_valid_proof_is_accepted() {
    let f = fixture();
    let (farm, server, client) = start(f.vk.clone(), 3).await;
    let mut proofs = farm.proofs();
    farm.add_job(3, Arc::clone(&f.traces[2]));
    let job = get_job(&client, "slow").await.unwrap();
    let id = job["jobId"].as_str().unwrap().to_string();
    // Heartbeating for 2.5 leases keeps the job.
    let start = Instant::now();
    while start.elapsed() < LEASE * 5 / 2 {
        let alive: bool = client
            .request("prover_heartbeat", rpc_params![id.as_str()])
            .await
            .unwrap();
        assert!(alive);
        tokio::time::sleep(LEASE / 4).await;
    }
    assert_eq!(farm.stats().reassigned_total, 0);
    assert_eq!(farm.stats().leased, 1);
    // Then silence: the lease expires and the job is queued again...
    wait_until("the lease to expire", || farm.stats().queued == 1).await;
    let alive: bool = client
        .request("prover_heartbeat", rpc_params![id.as_str()])
        .await
        .unwrap();
    assert!(!alive);
    // ...but the batch is still unproven, so the late proof is taken.
    let proof = real_proof(3);
    assert_eq!(
        submit(&client, &id, &proof).await,
        Ok(json!({ "accepted": true }))
    );
    let (n, bytes) = recv_proof(&mut proofs).await;
    assert_eq!(n, 3);
    assert_proof_verifies(n, &bytes);
    let s = farm.stats();
    assert_eq!(
        (s.queued, s.leased, s.proven_total, s.reassigned_total),
        (0, 0, 1, 1)
    );
    assert!(get_job(&client, "slow").await.is_none());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_proofs_are_rejected_with_2101_and_the_batch_is_proven_later() {
    let f = fixture();
    let (farm, server, client) = start(f.vk.clone(), 5).await;
    let mut proofs = farm.proofs();
    farm.add_job(4, Arc::clone(&f.traces[3]));

    // Curve points that are no proof.
    let job = get_job(&client, "liar").await.unwrap();
    let id = job["jobId"].as_str().unwrap().to_string();
    assert_eq!(
        submit(&client, &id, &bogus_proof()).await,
        Err(ERR_INVALID_PROOF)
    );
    let s = farm.stats();
    assert_eq!((s.rejected_total, s.queued, s.leased), (1, 1, 0));
    // The rejected job id is dead.
    assert_eq!(
        submit(&client, &id, &bogus_proof()).await,
        Err(ERR_UNKNOWN_JOB)
    );

    // 128 bytes that do not decode as curve points.
    let job = get_job(&client, "liar").await.unwrap();
    let id = job["jobId"].as_str().unwrap().to_string();
    assert_eq!(
        submit(&client, &id, &[0xff; 128]).await,
        Err(ERR_INVALID_PROOF)
    );
    assert_eq!(farm.stats().rejected_total, 2);
    assert!(proofs.try_recv().is_err(), "nothing forwarded");

    // An honest worker proves it.
    let w = worker(&server.url(), &f.key, "honest");
    let stop = w.shutdown_handle();
    let h = tokio::spawn(w.run());
    let (n, bytes) = recv_proof(&mut proofs).await;
    assert_eq!(n, 4);
    assert_proof_verifies(n, &bytes);
    assert_eq!(farm.stats().proven_total, 1);
    stop.shutdown();
    h.await.unwrap().unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_never_gets_a_valid_proof_is_parked_after_max_attempts() {
    let f = fixture();
    let (farm, server, client) = start(f.vk.clone(), 2).await;
    farm.add_job(1, Arc::clone(&f.traces[0]));
    for _ in 0..2 {
        let job = get_job(&client, "liar").await.unwrap();
        let id = job["jobId"].as_str().unwrap().to_string();
        assert_eq!(
            submit(&client, &id, &bogus_proof()).await,
            Err(ERR_INVALID_PROOF)
        );
    }
    let s = farm.stats();
    assert_eq!((s.failed, s.queued, s.rejected_total), (1, 0, 2));
    assert!(get_job(&client, "liar").await.is_none());
    assert!(farm.retry(1));
    assert!(!farm.retry(1), "not parked any more");
    assert_eq!(farm.stats().queued, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_go_lowest_first_and_add_job_is_idempotent() {
    let f = fixture();
    let (farm, server, client) = start(f.vk.clone(), 3).await;
    assert!(get_job(&client, "w").await.is_none(), "empty queue → null");
    for n in [3u64, 1, 2] {
        farm.add_job(n, Arc::clone(&f.traces[(n - 1) as usize]));
    }
    farm.add_job(1, Arc::clone(&f.traces[0]));
    assert_eq!(farm.stats().queued, 3);
    for expected in 1..=3u64 {
        let job = get_job(&client, "w").await.unwrap();
        assert_eq!(job["batchNumber"], expected);
        assert_eq!(job["batchSize"], BATCH as u64);
        let trace: BatchTrace = serde_json::from_value(job["trace"].clone()).unwrap();
        assert_eq!(
            trace.commitment,
            f.traces[(expected - 1) as usize].commitment
        );
    }
    // Re-adding a leased batch is a no-op too.
    farm.add_job(2, Arc::clone(&f.traces[1]));
    let s = farm.stats();
    assert_eq!((s.queued, s.leased), (0, 3));
    // Traces that no worker could prove with the farm's key are refused.
    assert!(matches!(
        farm.try_add_job(9, Arc::clone(&f.traces[0])),
        Err(farm::AddJobError::NumberMismatch {
            number: 9,
            in_trace: 1
        })
    ));
    let two_slots = Arc::new(transfer_batches(2, 1).unwrap().remove(0));
    assert!(matches!(
        farm.try_add_job(1, two_slots),
        Err(farm::AddJobError::BatchSize {
            got: 2,
            expected: 1,
            ..
        })
    ));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_jobs_and_malformed_params_get_typed_errors() {
    let f = fixture();
    let (farm, server, client) = start(f.vk.clone(), 3).await;
    farm.add_job(1, Arc::clone(&f.traces[0]));
    let proof = bogus_proof();
    assert_eq!(
        submit(&client, "00000000-0000-0000-0000-000000000000", &proof).await,
        Err(ERR_UNKNOWN_JOB)
    );
    let alive: bool = client
        .request("prover_heartbeat", rpc_params!["nope"])
        .await
        .unwrap();
    assert!(!alive);

    let bad = |method: &'static str, params: Value| {
        let client = client.clone();
        async move {
            let mut p = jsonrpsee::core::params::ArrayParams::new();
            for v in params.as_array().unwrap() {
                p.insert(v.clone()).unwrap();
            }
            let r: Result<Value, _> = client.request(method, p).await;
            assert_eq!(
                r.map_err(code),
                Err(ERR_INVALID_PARAMS),
                "{method} {params}"
            );
        }
    };
    bad("prover_getJob", json!([])).await;
    bad("prover_getJob", json!([42])).await;
    bad("prover_getJob", json!([{ "worker": 5 }])).await;
    bad("prover_getJob", json!([{ "worker": "x", "extra": 1 }])).await;
    bad("prover_getJob", json!([{ "worker": "x".repeat(65) }])).await;
    bad("prover_getJob", json!([{ "worker": "bell\u{7}" }])).await;
    bad("prover_heartbeat", json!([])).await;
    bad("prover_heartbeat", json!([1])).await;
    bad("prover_heartbeat", json!(["x".repeat(65)])).await;
    bad("prover_submitProof", json!(["id"])).await;
    bad("prover_submitProof", json!(["id", 7])).await;
    bad("prover_submitProof", json!(["id", hex::encode(&proof)])).await;
    bad("prover_submitProof", json!(["id", "0x1234"])).await;
    bad(
        "prover_submitProof",
        json!(["id", format!("0x{}", "zz".repeat(128))]),
    )
    .await;
    bad(
        "prover_submitProof",
        json!(["id", format!("0x{}", "00".repeat(129))]),
    )
    .await;
    bad(
        "prover_submitProof",
        json!(["", format!("0x{}", "00".repeat(128))]),
    )
    .await;
    // Named parameters work for getJob.
    let named = jsonrpsee::core::params::ObjectParams::new();
    let mut named = named;
    named.insert("worker", "named").unwrap();
    let job: Option<Value> = client.request("prover_getJob", named).await.unwrap();
    assert_eq!(job.unwrap()["batchNumber"], 1);
    // An oversized request is refused by the server, which keeps serving.
    let huge = "0".repeat(farm::MAX_REQUEST_BYTES as usize);
    let r: Result<Value, _> = client
        .request("prover_submitProof", rpc_params!["id", huge])
        .await;
    assert!(r.is_err());
    let s = farm.stats();
    assert_eq!((s.leased, s.rejected_total), (1, 0));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_key_does_not_match_refuses_the_job() {
    let f = fixture();
    // A farm for another verifying key (same circuit size, another alpha).
    let mut other = f.vk.clone();
    other.alpha_g1 = (other.alpha_g1 + ark_bn254::G1Affine::generator()).into();
    let (farm, server, _client) = start(other, 3).await;
    farm.add_job(1, Arc::clone(&f.traces[0]));
    let w = worker(&server.url(), &f.key, "wrong-key");
    let err = tokio::time::timeout(DEADLINE, w.run())
        .await
        .unwrap()
        .unwrap_err();
    match &err {
        WorkerError::KeyMismatch {
            batch,
            job_vk_hash,
            key_vk_hash,
            ..
        } => {
            assert_eq!(*batch, 1);
            assert_eq!(job_vk_hash, farm.vk_hash());
            assert_eq!(key_vk_hash, f.key.vk_hash());
        }
        other => panic!("expected KeyMismatch, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains(farm.vk_hash()) && msg.contains(f.key.vk_hash()),
        "{msg}"
    );
    assert_eq!(farm.stats().proven_total, 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_retries_until_the_sequencer_comes_up() {
    let f = fixture();
    // A free port nobody listens on yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let w = worker(&format!("http://127.0.0.1:{port}"), &f.key, "early");
    let mut events = w.subscribe();
    let stop = w.shutdown_handle();
    let h = tokio::spawn(w.run());
    let mut delays = Vec::new();
    while delays.len() < 3 {
        if let WorkerEvent::Unreachable { retry_in } = next_event(&mut events).await {
            delays.push(retry_in);
        }
    }
    assert!(
        delays[0] < delays[1] && delays[1] < delays[2],
        "backoff grows: {delays:?}"
    );

    let farm = Farm::new(
        f.vk.clone(),
        BATCH,
        FarmConfig {
            lease: LEASE,
            max_attempts: 3,
        },
    );
    let mut proofs = farm.proofs();
    let server = farm::serve(&farm, ([127, 0, 0, 1], port).into())
        .await
        .unwrap();
    farm.add_job(1, Arc::clone(&f.traces[0]));
    let (n, bytes) = recv_proof(&mut proofs).await;
    assert_eq!(n, 1);
    assert_proof_verifies(n, &bytes);
    stop.shutdown();
    h.await.unwrap().unwrap();
    server.stop().await;
}

#[test]
fn the_job_response_bound_fits_real_traces_with_room_to_spare() {
    let size = |n: usize| {
        serde_json::to_vec(&transfer_batches(n, 1).unwrap()[0])
            .unwrap()
            .len()
    };
    let (one, four) = (size(1), size(4));
    let per_slot = (four - one) / 3;
    let fixed = one - per_slot;
    for n in [1usize, 8, 64, 256, 1024] {
        let estimate = fixed + n * per_slot;
        assert!(
            farm::max_job_response_bytes(n) as usize >= 2 * estimate,
            "batch size {n}: bound {} for a ~{estimate}-byte trace",
            farm::max_job_response_bytes(n)
        );
    }
}

/// Two jobs leased at once, for the back-pressure tests: a farm whose proof channel holds one
/// proof, and the job ids of batches 1 and 2.
async fn two_leased_jobs() -> (Farm, FarmServer, HttpClient, String, String) {
    let f = fixture();
    let cfg = FarmConfig {
        lease: DEADLINE,
        max_attempts: 3,
    };
    let (farm, server, client) =
        serve_farm(Farm::with_proof_buffer(f.vk.clone(), BATCH, cfg, 1)).await;
    farm.add_job(1, Arc::clone(&f.traces[0]));
    farm.add_job(2, Arc::clone(&f.traces[1]));
    let id = |j: Value| j["jobId"].as_str().unwrap().to_string();
    let id1 = id(get_job(&client, "w").await.unwrap());
    let id2 = id(get_job(&client, "w").await.unwrap());
    (farm, server, client, id1, id2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_proof_channel_holds_submissions_back_until_it_is_read() {
    let (farm, server, client, id1, id2) = two_leased_jobs().await;
    let mut proofs = farm.proofs();
    let accepted = Ok(json!({ "accepted": true }));
    // The first proof fills the channel (nobody reads it yet).
    assert_eq!(submit(&client, &id1, &real_proof(1)).await, accepted);
    // The second is verified, then waits for room without marking its batch proven.
    let (c, p2) = (client.clone(), real_proof(2));
    let pending = tokio::spawn(async move { submit(&c, &id2, &p2).await });
    wait_until("the second submission to wait for room", || {
        farm.stats().awaiting_room == 1
    })
    .await;
    assert!(
        !pending.is_finished(),
        "submitProof returned with the channel full"
    );
    let s = farm.stats();
    assert_eq!((s.proven_total, s.leased), (1, 1), "{s:?}");
    // Reading the first proof makes room: the second submission completes.
    let (n, bytes) = recv_proof(&mut proofs).await;
    assert_eq!(n, 1);
    assert_proof_verifies(n, &bytes);
    let r = tokio::time::timeout(DEADLINE, pending)
        .await
        .expect("submitProof still waiting after the channel was read")
        .unwrap();
    assert_eq!(r, accepted);
    let (n, bytes) = recv_proof(&mut proofs).await;
    assert_eq!(n, 2);
    assert_proof_verifies(n, &bytes);
    // Exactly once each.
    assert!(proofs.try_recv().is_err(), "a proof was forwarded twice");
    let s = farm.stats();
    assert_eq!(
        (s.proven_total, s.leased, s.awaiting_room),
        (2, 0, 0),
        "{s:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_abandoned_while_waiting_for_room_loses_no_proof() {
    let (farm, server, client, id1, id2) = two_leased_jobs().await;
    let mut proofs = farm.proofs();
    let accepted = Ok(json!({ "accepted": true }));
    assert_eq!(submit(&client, &id1, &real_proof(1)).await, accepted);
    // A worker that gives up while its submission waits (client timeout).
    let p2 = real_proof(2);
    let impatient = HttpClientBuilder::default()
        .request_timeout(Duration::from_millis(300))
        .build(server.url())
        .unwrap();
    let first = impatient
        .request::<Value, _>(
            "prover_submitProof",
            rpc_params![id2.as_str(), format!("0x{}", hex::encode(&p2))],
        )
        .await;
    assert!(
        matches!(first, Err(ClientError::RequestTimeout)),
        "{first:?}"
    );
    drop(impatient);
    assert_eq!(recv_proof(&mut proofs).await.0, 1);
    // Whether the server dropped the abandoned call (batch 2 still unproven: the retry is
    // accepted) or finished it once there was room (the retry finds it proven), batch 2's
    // proof comes out exactly once.
    // (The retry runs beside the read: it may wait for room behind the abandoned call.)
    let c = client.clone();
    let retry = tokio::spawn(async move { submit(&c, &id2, &p2).await });
    let (n, bytes) = recv_proof(&mut proofs).await;
    assert_eq!(n, 2);
    assert_proof_verifies(n, &bytes);
    let retry = tokio::time::timeout(DEADLINE, retry)
        .await
        .unwrap()
        .unwrap();
    assert!(
        retry == accepted || retry == Err(ERR_UNKNOWN_JOB),
        "{retry:?}"
    );
    wait_until("no submission waiting", || farm.stats().awaiting_room == 0).await;
    assert!(proofs.try_recv().is_err(), "a proof was forwarded twice");
    assert_eq!(farm.stats().proven_total, 2);
    server.stop().await;
}
