//! Shared fixtures: a sequencer in-process (no node, no prover) on a temporary store, with
//! accounts seeded in the tree checkpoint (what a rebuild writes) and a hand-fed deposit
//! source; signed transactions and their JSON; an RPC client.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use echonet_rollup_primitives::{
    float::{Amount40, Fee8},
    PrivateKey, Transfer, Tx, Withdraw,
};
use echonet_sequencer::{
    mempool::AdmissionConfig,
    rpc::RpcConfig,
    service::{init_store, DepositSource, Deps, NoDeposits, NoProver, Sequencer, SequencerConfig},
    store::Store,
    types::{Params, StoredAccount},
};
use serde_json::{json, Value};
use sp_core::Pair;

pub const CHAIN: u32 = 42;
pub const INSTANCE: u64 = 7;
pub const FEE_ACCOUNT: u32 = 0;
/// Balance of every seeded account.
pub const BALANCE: u128 = 1_000_000;

/// The key of account `i`.
pub fn key(i: u32) -> PrivateKey {
    let mut b = [0x5au8; 32];
    b[..4].copy_from_slice(&i.to_le_bytes());
    PrivateKey(b)
}

/// Accounts `0..n`, each with [`BALANCE`].
pub fn seed(n: u32) -> Vec<(u32, StoredAccount)> {
    (0..n)
        .map(|i| {
            (
                i,
                StoredAccount {
                    pubkey: key(i).public().0.compress(),
                    balance: BALANCE,
                    nonce: 0,
                },
            )
        })
        .collect()
}

pub fn params(batch_size: u32) -> Params {
    Params {
        chain_id: CHAIN,
        instance: INSTANCE,
        batch_size,
        fee_account: FEE_ACCOUNT,
        first_batch: 1,
        first_deposit_seq: 0,
    }
}

pub fn operator() -> sp_core::sr25519::Pair {
    sp_core::sr25519::Pair::from_string("//Alice", None).expect("dev key")
}

/// Options of a test sequencer.
#[derive(Clone)]
pub struct Opts {
    pub batch_size: u32,
    pub accounts: u32,
    pub max_wait: Duration,
    pub pool_limit: usize,
    pub per_account_limit: u32,
    pub rate_limit: Option<u32>,
    pub min_fee: u128,
    pub rpc: bool,
    pub pipeline: bool,
    pub max_deposits: Option<usize>,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            batch_size: 8,
            accounts: 6,
            max_wait: Duration::from_secs(600),
            pool_limit: 10_000,
            per_account_limit: 1_000,
            rate_limit: None,
            min_fee: 1,
            rpc: true,
            pipeline: true,
            max_deposits: None,
        }
    }
}

/// [`start`] with no deposits and a fresh [`NoProver`] (what most tests need).
pub async fn start_offline(dir: &Path, o: &Opts) -> Sequencer {
    start(dir, o, Arc::new(NoDeposits), Arc::new(NoProver::default())).await
}

/// Seeds (first start only) and starts a sequencer on `dir`.
pub async fn start(
    dir: &Path,
    o: &Opts,
    deposits: Arc<dyn DepositSource>,
    prover: Arc<NoProver>,
) -> Sequencer {
    start_with(dir, o, deposits, prover, None).await
}

pub async fn start_with(
    dir: &Path,
    o: &Opts,
    deposits: Arc<dyn DepositSource>,
    prover: Arc<NoProver>,
    proofs: Option<tokio::sync::mpsc::Receiver<(u64, [u8; 128])>>,
) -> Sequencer {
    let mut deps = Deps::offline(deposits);
    deps.prover = prover;
    deps.proofs = proofs;
    Sequencer::start(config(dir, o), deps)
        .await
        .expect("sequencer starts")
}

/// The configuration of a test sequencer; seeds the store on first use.
pub fn config(dir: &Path, o: &Opts) -> SequencerConfig {
    let p = params(o.batch_size);
    {
        let store = Store::open(dir).expect("store");
        if store.params().expect("params").is_none() && o.accounts > 0 {
            init_store(&store, p, &seed(o.accounts)).expect("seed");
        }
    }
    let mut admission = AdmissionConfig::new(o.batch_size);
    admission.max_batch_wait = o.max_wait;
    admission.pool_limit = o.pool_limit;
    admission.per_account_limit = o.per_account_limit;
    if let Some(m) = o.max_deposits {
        admission.max_deposits_per_batch = m;
    }
    let rpc = o.rpc.then(|| {
        let mut c = RpcConfig::new("127.0.0.1:0".parse().unwrap());
        c.rate_limit = o.rate_limit;
        c
    });
    SequencerConfig {
        db_path: dir.to_path_buf(),
        params: p,
        min_fee: o.min_fee,
        operator: operator(),
        admission,
        rpc,
        extra_rpc: None,
        deposit_poll: Duration::from_millis(20),
        registry: None,
        pipeline: o.pipeline,
        informant_every: Duration::from_secs(60),
    }
}

pub fn transfer(from: u32, to: u32, amount: u128, fee: u128, nonce: u64) -> Tx {
    Tx::Transfer(Transfer::signed(
        &key(from),
        CHAIN,
        INSTANCE,
        from,
        to,
        Amount40::from_value(amount).unwrap(),
        Fee8::from_value(fee).unwrap(),
        nonce,
    ))
}

pub fn withdraw(from: u32, amount: u128, fee: u128, nonce: u64) -> Tx {
    Tx::Withdraw(Withdraw::signed(
        &key(from),
        CHAIN,
        INSTANCE,
        from,
        Amount40::from_value(amount).unwrap(),
        Fee8::from_value(fee).unwrap(),
        nonce,
        [9; 32],
    ))
}

pub fn sig_bytes(tx: &Tx) -> [u8; 64] {
    match tx {
        Tx::Transfer(t) => t.signature.to_bytes(),
        Tx::Withdraw(w) => w.signature.to_bytes(),
        _ => panic!("not a user tx"),
    }
}

/// The `l2_sendTransaction` object of `tx`.
pub fn tx_json(tx: &Tx) -> Value {
    let h = |b: &[u8]| format!("0x{}", hex::encode(b));
    match tx {
        Tx::Transfer(t) => json!({
            "type": "transfer", "from": t.from, "to": t.to,
            "amount": t.amount.value().unwrap().to_string(), "fee": t.fee.value().to_string(),
            "nonce": t.nonce, "signature": h(&t.signature.to_bytes()),
        }),
        Tx::Withdraw(w) => json!({
            "type": "withdraw", "from": w.from,
            "amount": w.amount.value().unwrap().to_string(), "fee": w.fee.value().to_string(),
            "nonce": w.nonce, "recipient": h(&w.recipient), "signature": h(&w.signature.to_bytes()),
        }),
        _ => panic!("not a user tx"),
    }
}

/// Polls `f` until it is true or `secs` pass.
pub async fn wait_until(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// An HTTP client of the sequencer's RPC.
pub fn http(seq: &Sequencer) -> jsonrpsee::http_client::HttpClient {
    jsonrpsee::http_client::HttpClientBuilder::default()
        .build(format!("http://{}", seq.rpc_addr().expect("rpc")))
        .expect("client")
}

/// A WebSocket client of the sequencer's RPC.
pub async fn ws(seq: &Sequencer) -> jsonrpsee::ws_client::WsClient {
    jsonrpsee::ws_client::WsClientBuilder::default()
        .build(format!("ws://{}", seq.rpc_addr().expect("rpc")))
        .await
        .expect("ws client")
}

/// Sends a transaction over RPC: the receipt, or (code, message, data).
pub async fn send(
    c: &impl jsonrpsee::core::client::ClientT,
    tx: Value,
) -> Result<Value, (i32, String, Option<Value>)> {
    match c
        .request::<Value, _>("l2_sendTransaction", jsonrpsee::rpc_params![tx])
        .await
    {
        Ok(v) => Ok(v),
        Err(jsonrpsee::core::ClientError::Call(e)) => Err((
            e.code(),
            e.message().to_string(),
            e.data().map(|d| serde_json::from_str(d.get()).unwrap()),
        )),
        Err(e) => panic!("transport error: {e}"),
    }
}

/// The error code of a refused transaction (panics on success).
pub async fn code_of(c: &impl jsonrpsee::core::client::ClientT, tx: Value) -> i32 {
    match send(c, tx).await {
        Ok(r) => panic!("expected an error, got receipt {r}"),
        Err((code, _, _)) => code,
    }
}

pub fn hex32(v: &Value) -> [u8; 32] {
    let s = v.as_str().expect("hex string");
    let mut out = [0u8; 32];
    hex::decode_to_slice(s.trim_start_matches("0x"), &mut out).expect("32 bytes hex");
    out
}

pub fn hex64(v: &Value) -> [u8; 64] {
    let s = v.as_str().expect("hex string");
    let mut out = [0u8; 64];
    hex::decode_to_slice(s.trim_start_matches("0x"), &mut out).expect("64 bytes hex");
    out
}
