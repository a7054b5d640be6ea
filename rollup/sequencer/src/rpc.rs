//! The L2 JSON-RPC API (`l2_*`), HTTP and WebSocket on one port (127.0.0.1:9955 by default).
//!
//! Amounts and balances are decimal strings (u128), hashes and keys 0x-hex. Errors carry
//! the codes of [`crate::mempool::AdmitError::code`] (2001–2013) or -32602 for malformed
//! parameters, with the useful value (expected nonce, minimum fee, nearest amounts) in
//! `data`.
//!
//! The server is jsonrpsee's tower service behind our own accept loop, so that each call
//! knows its peer's address (for the per-IP rate limit); request size, response size,
//! connections and subscriptions per connection are bounded.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use echonet_rollup_primitives::{
    float::{Amount40, Fee8},
    Signature, Transfer, Tx, Withdraw,
};
use jsonrpsee::server::{
    serve_with_graceful_shutdown, stop_channel, BatchRequestConfig, RandomStringIdProvider,
    ServerHandle, SubscriptionMessage,
};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use jsonrpsee::{Extensions, Methods, RpcModule};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use crate::limits::RateLimiter;
use crate::mempool::{AdmissionHandle, AdmitError};
use crate::shared::Shared;
use crate::types::{
    nearest_amounts, nearest_fees, BatchStatus, Hash, Receipt, SlotEntry, StoredTx,
};

/// JSON-RPC code for malformed parameters.
pub const INVALID_PARAMS: i32 = -32602;
/// Code for an internal error (database).
pub const INTERNAL: i32 = -32603;

/// The peer address of the connection a call came on.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Limits of the L2 RPC server.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Where to listen (port 0: any free port).
    pub listen: SocketAddr,
    /// Open connections at most.
    pub max_connections: u32,
    /// Largest request, bytes.
    pub max_request_bytes: u32,
    /// Largest response, bytes.
    pub max_response_bytes: u32,
    /// Subscriptions per WebSocket connection.
    pub max_subscriptions_per_connection: u32,
    /// Calls in one JSON-RPC batch at most.
    pub max_batch_calls: u32,
    /// `l2_sendTransaction` per second per peer IP; `None`: unlimited.
    pub rate_limit: Option<u32>,
}

impl RpcConfig {
    /// Defaults on `listen`.
    pub fn new(listen: SocketAddr) -> RpcConfig {
        RpcConfig {
            listen,
            max_connections: 1_000,
            max_request_bytes: 1024 * 1024,
            max_response_bytes: 16 * 1024 * 1024,
            max_subscriptions_per_connection: 1_024,
            max_batch_calls: 1_000,
            rate_limit: None,
        }
    }
}

fn err(code: i32, msg: impl Into<String>, data: Option<Value>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, msg.into(), data)
}

fn malformed(msg: impl Into<String>) -> ErrorObjectOwned {
    err(INVALID_PARAMS, msg, None)
}

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    err(INTERNAL, format!("internal error: {e}"), None)
}

/// The JSON-RPC error of a refusal.
pub fn admit_error(e: &AdmitError) -> ErrorObjectOwned {
    let data = match e {
        AdmitError::NonceTooLow { expected } | AdmitError::NonceTooHigh { expected } => {
            Some(json!(expected))
        }
        AdmitError::FeeTooLow { min } => Some(json!(min.to_string())),
        AdmitError::InsufficientBalance { balance, needed } => {
            Some(json!({"balance": balance.to_string(), "needed": needed.to_string()}))
        }
        AdmitError::AccountLimit { limit, .. } => Some(json!(limit)),
        _ => None,
    };
    err(e.code(), e.to_string(), data)
}

fn hex0x(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

fn parse_hex<const N: usize>(v: &Value, what: &str) -> Result<[u8; N], ErrorObjectOwned> {
    let s = v
        .as_str()
        .ok_or_else(|| malformed(format!("{what}: expected a 0x-hex string")))?;
    let s = s
        .strip_prefix("0x")
        .ok_or_else(|| malformed(format!("{what}: expected a 0x prefix")))?;
    if s.len() != 2 * N {
        return Err(malformed(format!("{what}: expected {N} bytes")));
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).map_err(|_| malformed(format!("{what}: invalid hex")))?;
    Ok(out)
}

fn parse_dec(v: &Value, what: &str) -> Result<u128, ErrorObjectOwned> {
    let s = v
        .as_str()
        .ok_or_else(|| malformed(format!("{what}: expected a decimal string")))?;
    if s.is_empty() || s.len() > 39 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(format!("{what}: expected a decimal string")));
    }
    s.parse::<u128>()
        .map_err(|_| malformed(format!("{what}: does not fit in u128")))
}

fn parse_u32(v: &Value, what: &str) -> Result<u32, ErrorObjectOwned> {
    v.as_u64()
        .and_then(|x| u32::try_from(x).ok())
        .ok_or_else(|| malformed(format!("{what}: expected an integer below 2^32")))
}

/// The single parameter of a call: `[x]` or `x` given as named parameters.
fn single(params: &Params<'_>) -> Result<Value, ErrorObjectOwned> {
    let v: Value = params
        .parse()
        .map_err(|_| malformed("expected one parameter"))?;
    match v {
        Value::Array(mut a) if a.len() == 1 => Ok(a.remove(0)),
        Value::Object(_) => Ok(v),
        _ => Err(malformed("expected one parameter")),
    }
}

/// Parses the transaction object of `l2_sendTransaction`.
pub fn parse_tx(v: &Value) -> Result<(Tx, [u8; 64]), ErrorObjectOwned> {
    let obj = v
        .as_object()
        .ok_or_else(|| malformed("transaction: expected an object"))?;
    let field = |k: &str| {
        obj.get(k)
            .ok_or_else(|| malformed(format!("transaction: missing field {k:?}")))
    };
    let ty = field("type")?
        .as_str()
        .ok_or_else(|| malformed("type: expected a string"))?;
    let allowed: &[&str] = match ty {
        "transfer" => &["type", "from", "to", "amount", "fee", "nonce", "signature"],
        "withdraw" => &[
            "type",
            "from",
            "amount",
            "fee",
            "nonce",
            "recipient",
            "signature",
        ],
        _ => return Err(malformed("type: expected \"transfer\" or \"withdraw\"")),
    };
    if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(malformed(format!("transaction: unknown field {k:?}")));
    }
    let from = parse_u32(field("from")?, "from")?;
    let amount_v = parse_dec(field("amount")?, "amount")?;
    let fee_v = parse_dec(field("fee")?, "fee")?;
    let nonce = field("nonce")?
        .as_u64()
        .ok_or_else(|| malformed("nonce: expected an unsigned integer"))?;
    let sig_bytes: [u8; 64] = parse_hex(field("signature")?, "signature")?;
    let amount = Amount40::from_value(amount_v).map_err(|_| {
        let (below, above) = nearest_amounts(amount_v);
        err(
            2010,
            format!("invalid amount or fee: amount {amount_v} has no exact 40-bit float encoding"),
            Some(json!({"field": "amount",
                "nearestBelow": below.map(|x| x.to_string()),
                "nearestAbove": above.map(|x| x.to_string())})),
        )
    })?;
    let fee = Fee8::from_value(fee_v).map_err(|_| {
        let (below, above) = nearest_fees(fee_v);
        err(
            2010,
            format!("invalid amount or fee: fee {fee_v} has no exact 8-bit float encoding"),
            Some(json!({"field": "fee",
                "nearestBelow": below.map(|x| x.to_string()),
                "nearestAbove": above.map(|x| x.to_string())})),
        )
    })?;
    let signature = Signature::from_bytes(&sig_bytes)
        .map_err(|e| err(2001, format!("bad signature: {e}"), None))?;
    let tx = if ty == "transfer" {
        Tx::Transfer(Transfer {
            from,
            to: parse_u32(field("to")?, "to")?,
            amount,
            fee,
            nonce,
            signature,
        })
    } else {
        Tx::Withdraw(Withdraw {
            from,
            amount,
            fee,
            nonce,
            recipient: parse_hex(field("recipient")?, "recipient")?,
            signature,
        })
    };
    Ok((tx, sig_bytes))
}

/// A receipt as JSON.
pub fn receipt_json(r: &Receipt) -> Value {
    json!({
        "hash": hex0x(&r.hash),
        "batch": r.batch,
        "slot": r.slot,
        "operator": hex0x(&r.operator),
        "signature": hex0x(&r.signature),
    })
}

fn stored_tx_json(t: &StoredTx) -> Value {
    match t {
        StoredTx::Transfer {
            from,
            to,
            amount,
            fee,
            nonce,
            signature,
        } => json!({
            "type": "transfer", "from": from, "to": to,
            "amount": Amount40::from_code(*amount).ok().and_then(|a| a.value().ok()).map(|v| v.to_string()),
            "fee": Fee8(*fee).value().to_string(), "nonce": nonce, "signature": hex0x(signature),
        }),
        StoredTx::Withdraw {
            from,
            amount,
            fee,
            nonce,
            recipient,
            signature,
        } => json!({
            "type": "withdraw", "from": from,
            "amount": Amount40::from_code(*amount).ok().and_then(|a| a.value().ok()).map(|v| v.to_string()),
            "fee": Fee8(*fee).value().to_string(), "nonce": nonce,
            "recipient": hex0x(recipient), "signature": hex0x(signature),
        }),
    }
}

/// A batch's status, its L1 block (number, hash) and why it was dropped.
pub type BatchView = (BatchStatus, Option<(u32, Hash)>, Option<String>);

/// A batch's status and L1 block (and drop reason); `None` for a batch not opened yet.
pub fn batch_status(shared: &Shared, n: u64) -> Result<Option<BatchView>, String> {
    let open = shared.open_batch.load(Ordering::Relaxed);
    if n > open || n < shared.params.first_batch {
        return Ok(None);
    }
    if n == open {
        return Ok(Some((BatchStatus::Open, None, None)));
    }
    Ok(Some(
        match shared.store.batch_state(n).map_err(|e| e.to_string())? {
            Some(s) => (s.status, s.l1_block, s.reason),
            None => (BatchStatus::InBatch, None, None),
        },
    ))
}

fn l1_block_json(b: Option<(u32, Hash)>) -> Value {
    match b {
        Some((number, hash)) => json!({"number": number, "hash": hex0x(&hash)}),
        None => Value::Null,
    }
}

/// The `l2_getTransaction` object, or `None` for an unknown hash.
pub fn transaction_json(
    shared: &Shared,
    hash: &Hash,
) -> Result<Option<(Value, BatchStatus)>, String> {
    let Some((batch, slot)) = shared.store.tx_location(hash).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let Some(SlotEntry::Tx { tx, .. }) = shared
        .store
        .slot_entry(batch, slot)
        .map_err(|e| e.to_string())?
    else {
        return Err(format!("transaction {} has no slot entry", hex0x(hash)));
    };
    let Some((status, l1, reason)) = batch_status(shared, batch)? else {
        return Err(format!("batch {batch} is unknown"));
    };
    let mut v = json!({
        "hash": hex0x(hash), "status": status.rpc_name(), "batch": batch, "slot": slot,
        "tx": stored_tx_json(&tx),
    });
    if l1.is_some() {
        v["l1Block"] = l1_block_json(l1);
    }
    if let Some(r) = reason {
        v["reason"] = json!(r);
    }
    Ok(Some((v, status)))
}

fn account_json(shared: &Shared, index: u32) -> Value {
    let st = shared.state.read();
    let Some(p) = st.pending(index) else {
        return Value::Null;
    };
    let (balance, nonce) = st
        .committed(index)
        .map(|c| (c.balance, c.nonce))
        .unwrap_or((0, 0));
    json!({
        "index": index, "publicKey": hex0x(&p.packed),
        "balance": balance.to_string(), "nonce": nonce,
        "pendingBalance": p.balance.to_string(), "pendingNonce": p.nonce,
    })
}

fn batch_json(shared: &Shared, n: u64) -> Result<Value, String> {
    let Some((status, l1, reason)) = batch_status(shared, n)? else {
        return Ok(Value::Null);
    };
    let store = &shared.store;
    let e = |e: crate::store::StoreError| e.to_string();
    let entries = store
        .batch_entries(n, shared.params.batch_size as usize)
        .map_err(e)?;
    let txs: Vec<String> = entries
        .iter()
        .filter_map(|en| match en {
            SlotEntry::Tx { hash, .. } => Some(hex0x(hash)),
            SlotEntry::Deposit(_) => None,
        })
        .collect();
    let deposits = entries
        .iter()
        .filter(|en| matches!(en, SlotEntry::Deposit(_)))
        .count();
    let withdrawals = entries
        .iter()
        .filter(|en| {
            matches!(
                en,
                SlotEntry::Tx {
                    tx: StoredTx::Withdraw { .. },
                    ..
                }
            )
        })
        .count();
    let roots = store.batch_roots(n).map_err(e)?;
    let record = store.batch_record(n).map_err(e)?;
    let mut v = json!({
        "number": n, "size": entries.len(),
        "status": if status == BatchStatus::Open { "open" } else { status.rpc_name() },
        "txs": txs, "deposits": deposits, "withdrawals": withdrawals,
        "oldRoot": roots.map(|r| hex0x(&r.0)), "newRoot": roots.map(|r| hex0x(&r.1)),
        "cutAt": record.map(|r| r.cut_at_ms),
    });
    if l1.is_some() {
        v["l1Block"] = l1_block_json(l1);
    }
    if let Some(r) = reason {
        v["reason"] = json!(r);
    }
    Ok(v)
}

fn status_json(shared: &Shared) -> Result<Value, String> {
    let p = &shared.params;
    let traced = shared.progress.traced.load(Ordering::Relaxed);
    let cut_root = if traced >= p.first_batch {
        shared
            .store
            .batch_roots(traced)
            .map_err(|e| e.to_string())?
            .map(|r| hex0x(&r.1))
    } else {
        None
    };
    let (queued, leased) = shared.prover.jobs();
    Ok(json!({
        "chainId": p.chain_id, "instance": p.instance, "batchSize": p.batch_size,
        "minFee": shared.min_fee.to_string(), "operatorFeeAccount": p.fee_account,
        "cutRoot": cut_root,
        "tracedBatch": traced,
        "provenBatch": shared.progress.proven.load(Ordering::Relaxed),
        "settledBatch": shared.progress.settled.load(Ordering::Relaxed),
        "finalBatch": shared.progress.finalized.load(Ordering::Relaxed),
        "openBatch": shared.open_batch.load(Ordering::Relaxed),
        "pendingTxs": shared.backlog.total(),
        "pendingDeposits": shared.deposits.len(),
        "jobsQueued": queued, "jobsLeased": leased,
        "exodus": shared.is_exodus(),
        "halted": shared.halted(),
    }))
}

struct Ctx {
    shared: Arc<Shared>,
    admission: AdmissionHandle,
    limiter: Option<RateLimiter>,
}

/// The `l2_*` methods.
pub fn module(
    shared: Arc<Shared>,
    admission: AdmissionHandle,
    rate_limit: Option<u32>,
) -> RpcModule<()> {
    let ctx = Ctx {
        shared,
        admission,
        limiter: RateLimiter::new(rate_limit),
    };
    let mut m = RpcModule::new(ctx);
    // Registration of distinct literal names cannot fail.
    let ok = |r: Result<_, jsonrpsee::core::RegisterMethodError>| {
        if let Err(e) = r {
            tracing::error!(target: "rpc", "method registration: {e}");
        }
    };
    ok(m.register_async_method(
        "l2_sendTransaction",
        |params, ctx, ext: Extensions| async move {
            let v = single(&params)?;
            let (tx, sig) = parse_tx(&v)?;
            if let (Some(l), Some(peer)) = (&ctx.limiter, ext.get::<PeerAddr>()) {
                if !l.allow(peer.0.ip()) {
                    ctx.shared.metrics.rejected.inc();
                    return Err(admit_error(&AdmitError::RateLimited));
                }
            }
            match ctx.admission.submit(tx, sig).await {
                Ok(r) => Ok::<Value, ErrorObjectOwned>(receipt_json(&r)),
                Err(e) => Err(admit_error(&e)),
            }
        },
    )
    .map(|_| ()));
    ok(m.register_method("l2_getAccount", |params, ctx, _| {
        let v = single(&params)?;
        let obj = v
            .as_object()
            .ok_or_else(|| malformed("expected {\"index\"} or {\"publicKey\"}"))?;
        let index = match (obj.get("index"), obj.get("publicKey")) {
            (Some(i), None) => parse_u32(i, "index")?,
            (None, Some(k)) => {
                let k: [u8; 32] = parse_hex(k, "publicKey")?;
                match ctx.shared.state.read().index_of(&k) {
                    Some(i) => i,
                    None => return Ok::<Value, ErrorObjectOwned>(Value::Null),
                }
            }
            _ => return Err(malformed("expected {\"index\"} or {\"publicKey\"}")),
        };
        Ok(account_json(&ctx.shared, index))
    })
    .map(|_| ()));
    ok(m.register_method("l2_getTransaction", |params, ctx, _| {
        let hash: [u8; 32] = parse_hex(&single(&params)?, "hash")?;
        match transaction_json(&ctx.shared, &hash).map_err(internal)? {
            Some((v, _)) => Ok::<Value, ErrorObjectOwned>(v),
            None => Ok(Value::Null),
        }
    })
    .map(|_| ()));
    ok(m.register_method("l2_getBatch", |params, ctx, _| {
        let n = single(&params)?
            .as_u64()
            .ok_or_else(|| malformed("expected a batch number"))?;
        batch_json(&ctx.shared, n).map_err(internal)
    })
    .map(|_| ()));
    ok(m.register_method("l2_status", |_, ctx, _| {
        status_json(&ctx.shared).map_err(internal)
    })
    .map(|_| ()));
    ok(m.register_subscription(
        "l2_subscribeTransaction",
        "l2_transactionStatus",
        "l2_unsubscribeTransaction",
        |params, pending, ctx, _| async move {
            let hash = match single(&params).and_then(|v| parse_hex::<32>(&v, "hash")) {
                Ok(h) => h,
                Err(e) => {
                    pending.reject(e).await;
                    return Ok(());
                }
            };
            // Subscribe before reading, so that no change falls between the two.
            let mut events = ctx.shared.events.subscribe();
            let (first, mut status) = match transaction_json(&ctx.shared, &hash) {
                Ok(Some(x)) => x,
                Ok(None) => {
                    pending.reject(malformed("unknown transaction hash")).await;
                    return Ok(());
                }
                Err(e) => {
                    pending.reject(internal(e)).await;
                    return Ok(());
                }
            };
            let batch = first["batch"].as_u64().unwrap_or(u64::MAX);
            let sink = pending.accept().await?;
            sink.send(SubscriptionMessage::from_json(&first)?).await?;
            while !status.is_terminal() {
                let changed = tokio::select! {
                    _ = sink.closed() => return Ok(()),
                    ev = events.recv() => match ev {
                        Ok(ev) => ev.number == batch,
                        Err(RecvError::Lagged(_)) => true,
                        Err(RecvError::Closed) => return Ok(()),
                    },
                };
                if !changed {
                    continue;
                }
                if let Ok(Some((v, s))) = transaction_json(&ctx.shared, &hash) {
                    if s != status {
                        status = s;
                        sink.send(SubscriptionMessage::from_json(&v)?).await?;
                    }
                }
            }
            Ok(())
        },
    )
    .map(|_| ()));
    m.remove_context()
}

/// A running RPC server.
pub struct RpcServer {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl RpcServer {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and closes connections.
    pub fn stop(&self) {
        let _ = self.handle.stop();
    }

    /// Stops, and waits (at most `timeout`) until every connection has ended.
    pub async fn stop_and_wait(self, timeout: std::time::Duration) {
        self.stop();
        let _ = tokio::time::timeout(timeout, self.handle.clone().stopped()).await;
    }
}

impl Drop for RpcServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Serves `module` (plus extra merged modules) on `cfg.listen`.
pub async fn start(cfg: &RpcConfig, module: RpcModule<()>) -> std::io::Result<RpcServer> {
    let listener = tokio::net::TcpListener::bind(cfg.listen).await?;
    let addr = listener.local_addr()?;
    let (stop_handle, handle) = stop_channel();
    let builder = jsonrpsee::server::Server::builder()
        .max_connections(cfg.max_connections)
        .max_request_body_size(cfg.max_request_bytes)
        .max_response_body_size(cfg.max_response_bytes)
        .max_subscriptions_per_connection(cfg.max_subscriptions_per_connection)
        .set_batch_request_config(BatchRequestConfig::Limit(cfg.max_batch_calls))
        .set_id_provider(RandomStringIdProvider::new(16))
        .to_service_builder();
    let methods: Methods = module.into();
    tokio::spawn(async move {
        loop {
            let (sock, remote) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::debug!(target: "rpc", "accept: {e}");
                        continue;
                    }
                },
                _ = stop_handle.clone().shutdown() => break,
            };
            let _ = sock.set_nodelay(true);
            let svc = builder.clone().build(methods.clone(), stop_handle.clone());
            let svc = tower::service_fn(move |mut req: http::Request<_>| {
                req.extensions_mut().insert(PeerAddr(remote));
                let mut svc = svc.clone();
                async move {
                    tower::Service::call(&mut svc, req)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))
                }
            });
            let stopped = stop_handle.clone().shutdown();
            tokio::spawn(async move {
                if let Err(e) = serve_with_graceful_shutdown(sock, svc, stopped).await {
                    tracing::debug!(target: "rpc", "connection from {remote}: {e}");
                }
            });
        }
    });
    tracing::info!(target: "rpc", "L2 JSON-RPC listening on {addr} (HTTP and WebSocket)");
    Ok(RpcServer { addr, handle })
}
