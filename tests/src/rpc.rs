//! Typed JSON-RPC calls, each bounded in time, each failing the test with the method's
//! name when it goes wrong.

use crate::{
    chain::{self, to_hex, AccountInfo, EventRecord},
    within, BLOCK_TIMEOUT, RPC_TIMEOUT,
};
use codec::Decode;
use echonet_runtime::{AccountId, Header, RuntimeCall, RuntimeEvent};
use frame_system::Phase;
use jsonrpsee::{
    core::{
        client::{ClientT, Subscription, SubscriptionClientT},
        params::ArrayParams,
        ClientError,
    },
    rpc_params,
    types::ErrorObjectOwned,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sp_core::{crypto::Ss58Codec, Bytes, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::DispatchError;
use std::time::{Duration, Instant};

/// Calls `method`; fails the test on an error or after [`RPC_TIMEOUT`].
pub async fn call<R: DeserializeOwned>(c: &impl ClientT, method: &str, params: ArrayParams) -> R {
    try_call(c, method, params)
        .await
        .unwrap_or_else(|e| panic!("{method} failed: {e}"))
}

/// Calls `method`, bounded by [`RPC_TIMEOUT`], and returns what came back.
pub async fn try_call<R: DeserializeOwned>(
    c: &impl ClientT,
    method: &str,
    params: ArrayParams,
) -> Result<R, ClientError> {
    within(RPC_TIMEOUT, method, c.request(method, params)).await
}

/// Calls `method`, which must fail with a JSON-RPC error object; returns it.
pub async fn call_error(c: &impl ClientT, method: &str, params: ArrayParams) -> ErrorObjectOwned {
    match try_call::<Value>(c, method, params).await {
        Ok(v) => panic!("{method} should have failed, but answered {v}"),
        Err(ClientError::Call(e)) => e,
        Err(other) => panic!("{method} should have failed with a JSON-RPC error, got: {other}"),
    }
}

/// The JSON `data` of an error, as text ("" if absent).
pub fn error_data(e: &ErrorObjectOwned) -> String {
    e.data().map(|d| d.get().to_string()).unwrap_or_default()
}

/// `chain_getHeader` with no hash: the node's best block.
pub async fn best_header(c: &impl ClientT) -> Header {
    call(c, "chain_getHeader", rpc_params![]).await
}

/// `chain_getHeader(hash)`; fails the test if the node does not know the block.
pub async fn header(c: &impl ClientT, hash: H256) -> Header {
    call::<Option<Header>>(c, "chain_getHeader", rpc_params![hash])
        .await
        .unwrap_or_else(|| panic!("chain_getHeader({hash:?}): no such block"))
}

/// `chain_getBlockHash(number)`: the hash at that height on the node's best chain, `None`
/// above its best block.
pub async fn block_hash(c: &impl ClientT, number: u32) -> Option<H256> {
    call(c, "chain_getBlockHash", rpc_params![number]).await
}

/// The hash of block 0, which names the chain (and its network protocols).
pub async fn genesis_hash(c: &impl ClientT) -> H256 {
    block_hash(c, 0)
        .await
        .expect("chain_getBlockHash(0) returned null")
}

/// The full block (`chain_getBlock`), as JSON.
pub async fn block(c: &impl ClientT, hash: H256) -> Value {
    call(c, "chain_getBlock", rpc_params![hash]).await
}

/// `state_getStorage(key, at)`; `at = None` reads at the best block.
pub async fn storage(c: &impl ClientT, key: &[u8], at: Option<H256>) -> Option<Vec<u8>> {
    call::<Option<Bytes>>(c, "state_getStorage", rpc_params![to_hex(key), at])
        .await
        .map(|b| b.0)
}

/// The value at `key` in the best block's state, decoded; `None` if there is none. Fails
/// the test if the value does not decode as a `T`.
pub async fn value<T: Decode>(c: &impl ClientT, key: &[u8]) -> Option<T> {
    let raw = storage(c, key, None).await?;
    Some(T::decode(&mut &raw[..]).unwrap_or_else(|e| {
        panic!(
            "the value at {} does not decode as {}: {e}",
            to_hex(key),
            std::any::type_name::<T>()
        )
    }))
}

/// Reads and decodes a storage value that must exist.
pub async fn storage_decoded<T: Decode>(
    c: &impl ClientT,
    key: &[u8],
    at: Option<H256>,
    what: &str,
) -> T {
    let raw = storage(c, key, at)
        .await
        .unwrap_or_else(|| panic!("{what} is missing from the state at {at:?}"));
    T::decode(&mut &raw[..]).unwrap_or_else(|e| panic!("{what} does not decode: {e}"))
}

/// `System::Account(who)` at `at` (the default, empty account if absent).
pub async fn account(c: &impl ClientT, who: &AccountId, at: Option<H256>) -> AccountInfo {
    match storage(c, &echonet_runtime::storage_keys::system_account(who), at).await {
        Some(raw) => AccountInfo::decode(&mut &raw[..])
            .unwrap_or_else(|e| panic!("System.Account({who}) does not decode: {e}")),
        None => AccountInfo::default(),
    }
}

/// `System::Events` at `at`.
pub async fn events(c: &impl ClientT, at: H256) -> Vec<EventRecord> {
    match storage(c, &echonet_runtime::storage_keys::system_events(), Some(at)).await {
        Some(raw) => Vec::<EventRecord>::decode(&mut &raw[..])
            .unwrap_or_else(|e| panic!("System.Events at {at:?} does not decode: {e}")),
        None => Vec::new(),
    }
}

/// `System::Number` of the state at `at`. Genesis state does not store it: 0.
pub async fn state_number(c: &impl ClientT, at: H256) -> u32 {
    match storage(c, &chain::system_number_key(), Some(at)).await {
        Some(raw) => u32::decode(&mut &raw[..])
            .unwrap_or_else(|e| panic!("System.Number at {at:?} does not decode: {e}")),
        None => 0,
    }
}

/// The nonce `who`'s next transaction needs (`system_accountNextIndex`).
pub async fn next_nonce(c: &impl ClientT, who: &AccountId) -> u32 {
    call(
        c,
        "system_accountNextIndex",
        rpc_params![who.to_ss58check()],
    )
    .await
}

/// `author_submitExtrinsic`; returns the hash.
pub async fn submit(c: &impl ClientT, xt_hex: &str) -> H256 {
    call(c, "author_submitExtrinsic", rpc_params![xt_hex]).await
}

/// Signs `call` by `who` with its next nonce (as the node's pool counts it) and submits it;
/// returns the extrinsic's hash. Nothing waits for it to be included: poll for its effect.
pub async fn submit_call(c: &impl ClientT, who: Sr25519Keyring, call: RuntimeCall) -> H256 {
    let nonce = next_nonce(c, &who.to_account_id()).await;
    let genesis = genesis_hash(c).await;
    submit(c, &chain::xt_hex(&chain::signed(who, call, nonce, genesis))).await
}

/// Submits `call` as Alice's `Sudo::sudo` (see [`submit_call`]). The sudo extrinsic
/// succeeds even when `call` fails: poll for `call`'s effect.
pub async fn sudo(c: &impl ClientT, call: RuntimeCall) -> H256 {
    submit_call(c, Sr25519Keyring::Alice, chain::sudo(call)).await
}

/// Signs `call` by `who` with its next nonce, submits it, waits until it is in a block
/// (within three [`BLOCK_TIMEOUT`]s), and returns that block's hash if the call dispatched
/// successfully, or its dispatch error (from the block's `System` events). Fails the test
/// if the pool refuses or drops the extrinsic.
pub async fn submit_and_dispatch(
    c: &impl SubscriptionClientT,
    who: Sr25519Keyring,
    call: RuntimeCall,
) -> Result<H256, DispatchError> {
    let nonce = next_nonce(c, &who.to_account_id()).await;
    let genesis = genesis_hash(c).await;
    let xt_hex = chain::xt_hex(&chain::signed(who, call, nonce, genesis));
    let mut watch = submit_and_watch(c, &xt_hex).await;
    let statuses = statuses_until(&mut watch, 3 * BLOCK_TIMEOUT, |s| {
        s.get("inBlock").is_some()
    })
    .await;
    let in_block: H256 = statuses
        .last()
        .and_then(|s| serde_json::from_value(s["inBlock"].clone()).ok())
        .unwrap_or_else(|| panic!("the extrinsic was not included: {statuses:?}"));
    let extrinsics = block(c, in_block).await["block"]["extrinsics"].clone();
    let index = extrinsics
        .as_array()
        .and_then(|xts| xts.iter().position(|x| x.as_str() == Some(xt_hex.as_str())))
        .unwrap_or_else(|| panic!("block {in_block:?} does not hold the extrinsic: {extrinsics}"))
        as u32;
    for record in events(c, in_block).await {
        if record.phase != Phase::ApplyExtrinsic(index) {
            continue;
        }
        match record.event {
            RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. }) => {
                return Ok(in_block)
            }
            RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
                dispatch_error, ..
            }) => return Err(dispatch_error),
            _ => {}
        }
    }
    panic!("block {in_block:?} has no dispatch result for its extrinsic {index}")
}

/// `author_submitAndWatchExtrinsic`; the statuses come as JSON values ("ready",
/// {"inBlock": hash}, ...).
pub async fn submit_and_watch(c: &impl SubscriptionClientT, xt_hex: &str) -> Subscription<Value> {
    within(
        RPC_TIMEOUT,
        "author_submitAndWatchExtrinsic",
        c.subscribe(
            "author_submitAndWatchExtrinsic",
            rpc_params![xt_hex],
            "author_unwatchExtrinsic",
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("author_submitAndWatchExtrinsic failed: {e}"))
}

/// `chain_subscribeNewHeads`.
pub async fn subscribe_new_heads(c: &impl SubscriptionClientT) -> Subscription<Header> {
    within(
        RPC_TIMEOUT,
        "chain_subscribeNewHeads",
        c.subscribe(
            "chain_subscribeNewHeads",
            rpc_params![],
            "chain_unsubscribeNewHeads",
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("chain_subscribeNewHeads failed: {e}"))
}

/// The next item of `sub`, within `limit`.
pub async fn next<T: DeserializeOwned>(
    sub: &mut Subscription<T>,
    limit: Duration,
    what: &str,
) -> T {
    within(limit, what, sub.next())
        .await
        .unwrap_or_else(|| panic!("{what}: the subscription ended"))
        .unwrap_or_else(|e| panic!("{what}: bad notification: {e}"))
}

/// The statuses of a watched extrinsic up to and including a final one.
pub async fn statuses_until_final(sub: &mut Subscription<Value>, limit: Duration) -> Vec<Value> {
    statuses_until(sub, limit, |_| false).await
}

/// The statuses of a watched extrinsic up to and including the first for which `stop`
/// holds, or a final one, whichever comes first.
pub async fn statuses_until(
    sub: &mut Subscription<Value>,
    limit: Duration,
    stop: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let status = tokio::time::timeout(left, sub.next())
            .await
            .unwrap_or_else(|_| {
                panic!("no final status within {limit:?}; statuses so far: {seen:?}")
            })
            .unwrap_or_else(|| panic!("the status stream ended after {seen:?}"))
            .unwrap_or_else(|e| panic!("bad status after {seen:?}: {e}"));
        let is_final = [
            "finalized",
            "usurped",
            "dropped",
            "invalid",
            "finalityTimeout",
        ]
        .iter()
        .any(|k| status == *k || status.get(k).is_some());
        let stop_here = is_final || stop(&status);
        seen.push(status);
        if stop_here {
            return seen;
        }
    }
}

/// Polls the best header until its number exceeds `number`.
pub async fn wait_for_best_above(c: &impl ClientT, number: u32, limit: Duration) -> Header {
    let deadline = Instant::now() + limit;
    loop {
        let best = best_header(c).await;
        if best.number > number {
            return best;
        }
        assert!(
            Instant::now() < deadline,
            "the best block stayed at #{} (waited {limit:?} for one above #{number})",
            best.number
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Fails the test unless the node answers and authors a new block.
pub async fn assert_alive_and_authoring(c: &impl ClientT) {
    let health: Value = call(c, "system_health", rpc_params![]).await;
    assert_eq!(health["isSyncing"], Value::Bool(false), "{health}");
    let best = best_header(c).await;
    wait_for_best_above(c, best.number, BLOCK_TIMEOUT).await;
}

/// Follows new blocks (a `chain_subscribeNewHeads` on `ws`, events read through `c`) until
/// `seen` returns true for one of a block's events; fails the test after `limit`.
pub async fn watch_events<C: ClientT, S: SubscriptionClientT>(
    c: &C,
    ws: &S,
    what: &str,
    limit: Duration,
    mut seen: impl FnMut(H256, &RuntimeEvent) -> bool,
) {
    let mut heads = subscribe_new_heads(ws).await;
    let deadline = Instant::now() + limit;
    loop {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        let head = next(&mut heads, BLOCK_TIMEOUT, "a new block").await;
        let hash = head.hash();
        if events(c, hash).await.iter().any(|r| seen(hash, &r.event)) {
            return;
        }
    }
}
