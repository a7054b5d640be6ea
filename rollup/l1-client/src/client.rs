//! [`L1Client`]: a JSON-RPC (WebSocket) client of `echonet-node` that knows the bridge.
//!
//! Every answer is checked: hex must be hex of the right length, storage values must decode
//! as the runtime's types with nothing left over and within a nesting limit, and anything
//! else is an [`L1Error`], never a panic. A dropped connection is re-opened with exponential
//! backoff (logged at `warn`), and the call that noticed it is retried, until
//! [`L1Config::reconnect_timeout`] has passed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use codec::{Decode, DecodeLimit, Encode};
use echonet_rollup_primitives::{babyjubjub::Point, field::fr_from_be_bytes, Deposit, PublicKey};
use echonet_runtime::{
    extrinsics, storage_keys, AccountId, Nonce, Runtime, RuntimeCall, UncheckedExtrinsic,
};
use jsonrpsee::core::{client::ClientT, params::ArrayParams, ClientError};
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use pallet_bridge::{DepositTarget, ExodusReason, FieldBytes, QueuedDeposit, WithdrawalArg};
use serde_json::Value;
use sp_core::{crypto::Ss58Codec, sr25519, Get, Pair, H256};
use tokio::sync::Mutex;

use crate::error::L1Error;
use crate::ProvenBatch;

/// How deep a storage value or extrinsic may nest when decoded (the runtime's own limit).
pub const MAX_DECODE_DEPTH: u32 = echonet_runtime::MAX_EXTRINSIC_DEPTH;

/// An entry of `System::Events`.
pub type EventRecord = frame_system::EventRecord<echonet_runtime::RuntimeEvent, H256>;

/// An account as `System::Account` stores it.
pub type AccountInfo =
    frame_system::AccountInfo<Nonce, pallet_balances::AccountData<echonet_runtime::Balance>>;

/// Which block's state to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The node's finalized head.
    Finalized,
    /// The node's best block.
    Best,
    /// A given block.
    Hash(H256),
}

/// Timeouts and limits of an [`L1Client`].
#[derive(Debug, Clone)]
pub struct L1Config {
    /// How long one request may take.
    pub request_timeout: Duration,
    /// How long a call keeps trying to reconnect after the connection dropped before it
    /// fails with [`L1Error::Unreachable`].
    pub reconnect_timeout: Duration,
    /// The largest answer accepted (a block body is at most 5 MiB, twice that in hex).
    pub max_response_bytes: u32,
}

impl Default for L1Config {
    fn default() -> Self {
        L1Config {
            request_timeout: Duration::from_secs(30),
            reconnect_timeout: Duration::from_secs(60),
            max_response_bytes: 32 * 1024 * 1024,
        }
    }
}

/// The bridge's state at one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeView {
    /// The chain id every L2 signature binds (`pallet_bridge::Config::ChainId`).
    pub chain_id: u32,
    /// The rollup instance id (`None` before block 1).
    pub instance: Option<u64>,
    /// The configured batch size (`None` until the admin sets it).
    pub batch_size: Option<u32>,
    /// The last verified root (big-endian field element).
    pub current_root: FieldBytes,
    /// The last verified batch number (0 before the first).
    pub last_batch: u64,
    /// Sequence number of the oldest queued deposit.
    pub queue_head: u64,
    /// Sequence number the next deposit gets.
    pub queue_tail: u64,
    /// The L2 index the next new account gets.
    pub next_index: u32,
    /// Whether the rollup is frozen (exodus mode).
    pub exodus: bool,
    /// When and why exodus began.
    pub exodus_info: Option<(u64, ExodusReason)>,
    /// The block read: number and hash.
    pub block: (u32, H256),
}

struct Inner {
    url: String,
    config: L1Config,
    /// The live connection; `None` after it dropped, until a call re-opens it.
    conn: Mutex<Option<Arc<WsClient>>>,
    genesis: H256,
}

/// A client of one `echonet-node`. Cheap to clone (one shared connection).
#[derive(Clone)]
pub struct L1Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for L1Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("L1Client")
            .field("url", &self.inner.url)
            .finish()
    }
}

async fn open(url: &str, config: &L1Config) -> Result<WsClient, String> {
    WsClientBuilder::default()
        .request_timeout(config.request_timeout)
        .connection_timeout(config.request_timeout)
        .max_response_size(config.max_response_bytes)
        .build(url)
        .await
        .map_err(|e| e.to_string())
}

fn params(values: &[Value]) -> Result<ArrayParams, L1Error> {
    let mut p = ArrayParams::new();
    for v in values {
        p.insert(v).map_err(|e| L1Error::BadResponse {
            method: "params",
            what: e.to_string(),
        })?;
    }
    Ok(p)
}

/// `0x`-hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Parses `0x`-hex; `what` names the value for the error.
pub fn parse_hex(v: &Value, method: &'static str, what: &str) -> Result<Vec<u8>, L1Error> {
    let s = v.as_str().ok_or_else(|| L1Error::BadResponse {
        method,
        what: format!("{what} is not a string: {}", short(v)),
    })?;
    let h = s.strip_prefix("0x").ok_or_else(|| L1Error::BadResponse {
        method,
        what: format!("{what} is not 0x-hex"),
    })?;
    hex::decode(h).map_err(|e| L1Error::BadResponse {
        method,
        what: format!("{what} is not hex: {e}"),
    })
}

/// Parses a 32-byte hash.
pub fn parse_h256(v: &Value, method: &'static str, what: &str) -> Result<H256, L1Error> {
    let b = parse_hex(v, method, what)?;
    if b.len() != 32 {
        return Err(L1Error::BadResponse {
            method,
            what: format!("{what} has {} bytes, not 32", b.len()),
        });
    }
    Ok(H256::from_slice(&b))
}

/// Parses a block number, which Substrate writes as a hex string (a plain JSON number is
/// accepted too).
pub fn parse_number(v: &Value, method: &'static str) -> Result<u32, L1Error> {
    let bad = |what: String| L1Error::BadResponse { method, what };
    if let Some(n) = v.as_u64() {
        return u32::try_from(n).map_err(|_| bad(format!("block number {n} is too large")));
    }
    let s = v
        .as_str()
        .ok_or_else(|| bad(format!("block number is not a string: {}", short(v))))?;
    let h = s
        .strip_prefix("0x")
        .ok_or_else(|| bad("block number is not 0x-hex".into()))?;
    if h.is_empty() || h.len() > 8 {
        return Err(bad(format!("block number {s:?} is not a u32")));
    }
    u32::from_str_radix(h, 16).map_err(|e| bad(format!("block number {s:?}: {e}")))
}

/// Decodes a whole SCALE value with the depth limit.
pub fn decode_all<T: Decode>(bytes: &[u8], what: &str, at: Option<H256>) -> Result<T, L1Error> {
    T::decode_all_with_depth_limit(MAX_DECODE_DEPTH, &mut &bytes[..]).map_err(|e| L1Error::Decode {
        what: what.to_string(),
        at,
        error: e.to_string(),
    })
}

/// A JSON value for an error message, shortened.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 80 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(80).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

/// A queued deposit as the rollup's [`Deposit`] transaction. The queue stores a new
/// account's key as checked affine coordinates; they are re-checked here (canonical, on the
/// curve) since they come from the network.
pub fn deposit_from_queue(seq: u64, q: &QueuedDeposit<AccountId>) -> Result<Deposit, L1Error> {
    let bad = |e: String| L1Error::Decode {
        what: format!("Bridge.DepositQueue({seq}) key"),
        at: None,
        error: e,
    };
    let new_account = match &q.new_account {
        None => None,
        Some(k) => {
            let x = fr_from_be_bytes(&k.x).map_err(|e| bad(e.to_string()))?;
            let y = fr_from_be_bytes(&k.y).map_err(|e| bad(e.to_string()))?;
            let p = Point { x, y };
            p.validate().map_err(|e| bad(e.to_string()))?;
            Some(PublicKey(p))
        }
    };
    Ok(Deposit {
        to: q.to,
        new_account,
        amount: q.amount,
    })
}

impl L1Client {
    /// Connects to `url` (`ws://…`) with the default [`L1Config`].
    pub async fn connect(url: &str) -> Result<L1Client, L1Error> {
        Self::connect_with(url, L1Config::default()).await
    }

    /// Connects to `url` with `config`. Fails if the node is unreachable now (no retry: a
    /// wrong URL is reported at once).
    pub async fn connect_with(url: &str, config: L1Config) -> Result<L1Client, L1Error> {
        let client = open(url, &config)
            .await
            .map_err(|message| L1Error::Unreachable {
                url: url.to_string(),
                method: "connect",
                message,
            })?;
        let mut this = L1Client {
            inner: Arc::new(Inner {
                url: url.to_string(),
                config,
                conn: Mutex::new(Some(Arc::new(client))),
                genesis: H256::zero(),
            }),
        };
        let genesis = this.block_hash(0).await?.ok_or_else(|| L1Error::Missing {
            what: "the genesis block hash".into(),
            at: None,
        })?;
        // Not shared yet (no clone was made): fill in the genesis hash.
        match Arc::get_mut(&mut this.inner) {
            Some(inner) => inner.genesis = genesis,
            None => {
                return Err(L1Error::Inconsistent(
                    "client shared while connecting".into(),
                ))
            }
        }
        tracing::info!(target: "rollup::l1", url, ?genesis, "connected to L1");
        Ok(this)
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The chain's genesis hash (what every signed extrinsic binds).
    pub fn genesis_hash(&self) -> H256 {
        self.inner.genesis
    }

    async fn connection(&self) -> Result<Arc<WsClient>, String> {
        let mut conn = self.inner.conn.lock().await;
        if let Some(c) = conn.as_ref() {
            if c.is_connected() {
                return Ok(c.clone());
            }
        }
        *conn = None;
        let c = Arc::new(open(&self.inner.url, &self.inner.config).await?);
        tracing::info!(target: "rollup::l1", url = %self.inner.url, "reconnected to L1");
        *conn = Some(c.clone());
        Ok(c)
    }

    /// Calls `method` with `args`; reconnects and retries on a dropped connection.
    pub async fn request(&self, method: &'static str, args: &[Value]) -> Result<Value, L1Error> {
        let deadline = Instant::now() + self.inner.config.reconnect_timeout;
        let mut backoff = Duration::from_millis(200);
        loop {
            let transport_error = match self.connection().await {
                Err(e) => e,
                Ok(client) => {
                    let call = client.request::<Value, _>(method, params(args)?);
                    match tokio::time::timeout(self.inner.config.request_timeout, call).await {
                        Err(_) | Ok(Err(ClientError::RequestTimeout)) => {
                            return Err(L1Error::Timeout { method })
                        }
                        Ok(Ok(v)) => return Ok(v),
                        Ok(Err(ClientError::Call(e))) => {
                            return Err(L1Error::Rpc {
                                method,
                                code: e.code(),
                                message: e.message().to_string(),
                                data: e.data().map(|d| d.get().to_string()),
                            })
                        }
                        Ok(Err(ClientError::ParseError(e))) => {
                            return Err(L1Error::BadResponse {
                                method,
                                what: e.to_string(),
                            })
                        }
                        Ok(Err(
                            e @ (ClientError::Transport(_) | ClientError::RestartNeeded(_)),
                        )) => e.to_string(),
                        Ok(Err(e)) => {
                            return Err(L1Error::BadResponse {
                                method,
                                what: e.to_string(),
                            })
                        }
                    }
                }
            };
            if Instant::now() + backoff > deadline {
                return Err(L1Error::Unreachable {
                    url: self.inner.url.clone(),
                    method,
                    message: transport_error,
                });
            }
            tracing::warn!(
                target: "rollup::l1",
                url = %self.inner.url,
                method,
                error = %transport_error,
                "L1 connection lost; reconnecting in {backoff:?}"
            );
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    /// `chain_getBlockHash(number)`: the hash at that height on the node's best chain, `None`
    /// above it.
    pub async fn block_hash(&self, number: u32) -> Result<Option<H256>, L1Error> {
        const M: &str = "chain_getBlockHash";
        let v = self.request(M, &[Value::from(number)]).await?;
        if v.is_null() {
            return Ok(None);
        }
        parse_h256(&v, M, "block hash").map(Some)
    }

    /// `chain_getHeader(hash)`: the block's number and parent hash, `None` if unknown.
    pub async fn header(&self, hash: H256) -> Result<Option<(u32, H256)>, L1Error> {
        const M: &str = "chain_getHeader";
        let v = self
            .request(M, &[Value::from(to_hex(hash.as_bytes()))])
            .await?;
        if v.is_null() {
            return Ok(None);
        }
        Ok(Some((
            parse_number(&v["number"], M)?,
            parse_h256(&v["parentHash"], M, "parentHash")?,
        )))
    }

    /// The best block: number and hash.
    pub async fn best_head(&self) -> Result<(u32, H256), L1Error> {
        const M: &str = "chain_getHeader";
        let v = self.request(M, &[]).await?;
        let number = parse_number(&v["number"], M)?;
        // The header's own hash is not in the JSON: look it up by number (the best chain).
        let hash = self
            .block_hash(number)
            .await?
            .ok_or_else(|| L1Error::Missing {
                what: format!("hash of best block #{number}"),
                at: None,
            })?;
        Ok((number, hash))
    }

    /// The finalized head: number and hash.
    pub async fn finalized_head(&self) -> Result<(u32, H256), L1Error> {
        const M: &str = "chain_getFinalizedHead";
        let hash = parse_h256(&self.request(M, &[]).await?, M, "finalized head")?;
        let (number, _) = self.header(hash).await?.ok_or_else(|| L1Error::Missing {
            what: "the finalized head's header".into(),
            at: Some(hash),
        })?;
        Ok((number, hash))
    }

    /// Resolves `at` to a block number and hash.
    pub async fn resolve(&self, at: At) -> Result<(u32, H256), L1Error> {
        match at {
            At::Finalized => self.finalized_head().await,
            At::Best => self.best_head().await,
            At::Hash(h) => {
                let (n, _) = self.header(h).await?.ok_or_else(|| L1Error::Missing {
                    what: "block".into(),
                    at: Some(h),
                })?;
                Ok((n, h))
            }
        }
    }

    /// The encoded extrinsics of block `hash` (`chain_getBlock`), `None` if unknown.
    pub async fn block_extrinsics(&self, hash: H256) -> Result<Option<Vec<Vec<u8>>>, L1Error> {
        const M: &str = "chain_getBlock";
        let v = self
            .request(M, &[Value::from(to_hex(hash.as_bytes()))])
            .await?;
        if v.is_null() {
            return Ok(None);
        }
        let xts = v["block"]["extrinsics"]
            .as_array()
            .ok_or_else(|| L1Error::BadResponse {
                method: M,
                what: "block.extrinsics is not an array".into(),
            })?;
        xts.iter()
            .map(|x| parse_hex(x, M, "extrinsic"))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// `state_getStorage(key, at)`.
    pub async fn storage(&self, key: &[u8], at: H256) -> Result<Option<Vec<u8>>, L1Error> {
        const M: &str = "state_getStorage";
        let v = self
            .request(
                M,
                &[Value::from(to_hex(key)), Value::from(to_hex(at.as_bytes()))],
            )
            .await?;
        if v.is_null() {
            return Ok(None);
        }
        parse_hex(&v, M, "storage value").map(Some)
    }

    /// The value at `key` in the state of `at`, decoded as `T`; `None` if absent.
    pub async fn storage_value<T: Decode>(
        &self,
        key: &[u8],
        at: H256,
        what: &str,
    ) -> Result<Option<T>, L1Error> {
        match self.storage(key, at).await? {
            None => Ok(None),
            Some(raw) => decode_all(&raw, what, Some(at)).map(Some),
        }
    }

    /// `System::Events` of block `at`.
    pub async fn events(&self, at: H256) -> Result<Vec<EventRecord>, L1Error> {
        Ok(self
            .storage_value(&storage_keys::system_events(), at, "System.Events")
            .await?
            .unwrap_or_default())
    }

    /// The bridge's state at `at`.
    pub async fn bridge_view(&self, at: At) -> Result<BridgeView, L1Error> {
        use pallet_bridge as b;
        let (number, hash) = self.resolve(at).await?;
        let keys = [
            b::InstanceId::<Runtime>::hashed_key(),
            b::BatchSize::<Runtime>::hashed_key(),
            b::CurrentRoot::<Runtime>::hashed_key(),
            b::LastBatch::<Runtime>::hashed_key(),
            b::QueueHead::<Runtime>::hashed_key(),
            b::QueueTail::<Runtime>::hashed_key(),
            b::NextIndex::<Runtime>::hashed_key(),
            b::Exodus::<Runtime>::hashed_key(),
        ];
        let (instance, batch_size, root, last_batch, head, tail, next_index, exodus) = futures::try_join!(
            self.storage_value::<u64>(&keys[0], hash, "Bridge.InstanceId"),
            self.storage_value::<u32>(&keys[1], hash, "Bridge.BatchSize"),
            self.storage_value::<FieldBytes>(&keys[2], hash, "Bridge.CurrentRoot"),
            self.storage_value::<u64>(&keys[3], hash, "Bridge.LastBatch"),
            self.storage_value::<u64>(&keys[4], hash, "Bridge.QueueHead"),
            self.storage_value::<u64>(&keys[5], hash, "Bridge.QueueTail"),
            self.storage_value::<u32>(&keys[6], hash, "Bridge.NextIndex"),
            self.storage_value::<(u64, ExodusReason)>(&keys[7], hash, "Bridge.Exodus"),
        )?;
        Ok(BridgeView {
            chain_id: <<Runtime as b::Config>::ChainId as Get<u32>>::get(),
            instance,
            batch_size,
            current_root: root.unwrap_or(b::EMPTY_TREE_ROOT),
            last_batch: last_batch.unwrap_or(0),
            queue_head: head.unwrap_or(0),
            queue_tail: tail.unwrap_or(0),
            next_index: next_index.unwrap_or(0),
            exodus: exodus.is_some(),
            exodus_info: exodus,
            block: (number, hash),
        })
    }

    /// Whether `who` is a registered operator at `at`.
    pub async fn is_operator(&self, who: &AccountId, at: At) -> Result<bool, L1Error> {
        let (_, hash) = self.resolve(at).await?;
        let key = pallet_bridge::Operators::<Runtime>::hashed_key_for(who);
        Ok(self.storage(&key, hash).await?.is_some())
    }

    /// The queued deposits `from..from + count` in the state of `at`, as rollup deposits.
    /// Fails if one is missing (the caller asked for entries the queue does not hold), or if
    /// the range runs past `u64::MAX` (a queue head no real chain reaches).
    pub async fn deposits_at(
        &self,
        at: H256,
        from: u64,
        count: u64,
    ) -> Result<Vec<(u64, Deposit)>, L1Error> {
        let end = from.checked_add(count).ok_or_else(|| {
            L1Error::Inconsistent(format!("deposit range {from} + {count} overflows u64"))
        })?;
        let mut out = Vec::new();
        for seq in from..end {
            let key = pallet_bridge::DepositQueue::<Runtime>::hashed_key_for(seq);
            let what = format!("Bridge.DepositQueue({seq})");
            let q: QueuedDeposit<AccountId> = self
                .storage_value(&key, at, &what)
                .await?
                .ok_or(L1Error::Missing { what, at: Some(at) })?;
            out.push((seq, deposit_from_queue(seq, &q)?));
        }
        Ok(out)
    }

    /// The finalized queued deposits with `seq >= from_seq` (and at or after the queue head:
    /// earlier ones were consumed), at most `max`, in queue order, as rollup [`Deposit`]s.
    pub async fn finalized_deposits(
        &self,
        from_seq: u64,
        max: u32,
    ) -> Result<Vec<(u64, Deposit)>, L1Error> {
        let view = self.bridge_view(At::Finalized).await?;
        let from = from_seq.max(view.queue_head);
        let to = view.queue_tail.min(from.saturating_add(max as u64));
        if from >= to {
            return Ok(Vec::new());
        }
        self.deposits_at(view.block.1, from, to - from).await
    }

    /// The nonce `who`'s next transaction needs, counting its transactions in the node's
    /// pool (`system_accountNextIndex`).
    pub async fn next_nonce(&self, who: &AccountId) -> Result<Nonce, L1Error> {
        const M: &str = "system_accountNextIndex";
        let v = self.request(M, &[Value::from(who.to_ss58check())]).await?;
        v.as_u64()
            .and_then(|n| Nonce::try_from(n).ok())
            .ok_or_else(|| L1Error::BadResponse {
                method: M,
                what: format!("not a nonce: {}", short(&v)),
            })
    }

    /// `who`'s nonce in the state of `at` (transactions included up to that block).
    pub async fn account_nonce(&self, who: &AccountId, at: H256) -> Result<Nonce, L1Error> {
        let info: Option<AccountInfo> = self
            .storage_value(&storage_keys::system_account(who), at, "System.Account")
            .await?;
        Ok(info.map_or(0, |i| i.nonce))
    }

    /// `call` signed by `signer` with `nonce`, immortal, no tip, for this chain.
    pub fn sign(
        &self,
        signer: &sr25519::Pair,
        call: RuntimeCall,
        nonce: Nonce,
    ) -> UncheckedExtrinsic {
        extrinsics::signed(call, signer, nonce, 0, self.inner.genesis)
    }

    /// Submits `xt` (`author_submitExtrinsic`); returns its hash. Bytes the pool already
    /// holds (1013) count as submitted.
    pub async fn submit(&self, xt: &UncheckedExtrinsic) -> Result<H256, L1Error> {
        const M: &str = "author_submitExtrinsic";
        let bytes = xt.encode();
        let hash = <sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(&bytes);
        match self.request(M, &[Value::from(to_hex(&bytes))]).await {
            Ok(v) => {
                let got = parse_h256(&v, M, "extrinsic hash")?;
                if got != hash {
                    return Err(L1Error::Inconsistent(format!(
                        "the node hashed the extrinsic as {got:?}, not {hash:?}"
                    )));
                }
                Ok(hash)
            }
            Err(e) if e.is_already_imported() => Ok(hash),
            Err(e) => Err(e),
        }
    }

    /// Signs `call` by `signer` with its next nonce and submits it; returns the hash.
    /// Nothing waits for inclusion.
    pub async fn submit_call(
        &self,
        signer: &sr25519::Pair,
        call: RuntimeCall,
    ) -> Result<H256, L1Error> {
        let who: AccountId = signer.public().into();
        let nonce = self.next_nonce(&who).await?;
        self.submit(&self.sign(signer, call, nonce)).await
    }

    /// `Bridge::deposit(target, amount)` signed by `signer` (the `--dev` setup and tests).
    pub async fn deposit(
        &self,
        signer: &sr25519::Pair,
        target: DepositTarget,
        amount: u128,
    ) -> Result<H256, L1Error> {
        self.submit_call(
            signer,
            RuntimeCall::Bridge(pallet_bridge::Call::deposit { target, amount }),
        )
        .await
    }

    /// `Sudo::sudo(call)` signed by `signer` (the dev chain's sudo key; `--dev` setup). The
    /// extrinsic succeeds even when `call` fails: check `call`'s effect.
    pub async fn sudo(&self, signer: &sr25519::Pair, call: RuntimeCall) -> Result<H256, L1Error> {
        self.submit_call(
            signer,
            RuntimeCall::Sudo(pallet_sudo::Call::sudo {
                call: Box::new(call),
            }),
        )
        .await
    }

    /// The `Bridge::submit_batch` call of `batch`.
    pub fn submit_batch_call(batch: &ProvenBatch) -> Result<RuntimeCall, L1Error> {
        let da = batch.da.clone().try_into().map_err(|_| {
            L1Error::Inconsistent(format!(
                "batch {}: {} DA bytes exceed the bridge's bound",
                batch.number,
                batch.da.len()
            ))
        })?;
        let withdrawals = batch.withdrawals.clone().try_into().map_err(|_| {
            L1Error::Inconsistent(format!(
                "batch {}: {} withdrawals exceed the bridge's bound",
                batch.number,
                batch.withdrawals.len()
            ))
        })?;
        Ok(RuntimeCall::Bridge(pallet_bridge::Call::submit_batch {
            batch_number: batch.number,
            new_root: batch.new_root,
            da,
            deposits_consumed: batch.deposits_consumed,
            withdrawals,
            proof: batch.proof,
        }))
    }

    /// Signs `Bridge::submit_batch` for `batch` with `nonce` and submits it.
    pub async fn submit_batch(
        &self,
        signer: &sr25519::Pair,
        batch: &ProvenBatch,
        nonce: Nonce,
    ) -> Result<H256, L1Error> {
        let call = Self::submit_batch_call(batch)?;
        self.submit(&self.sign(signer, call, nonce)).await
    }
}

/// `WithdrawalArg`s of a batch trace's withdrawals (what `submit_batch` takes).
pub fn withdrawal_args(
    withdrawals: &[echonet_rollup_primitives::WithdrawalRecord],
) -> Vec<WithdrawalArg> {
    withdrawals
        .iter()
        .map(|w| WithdrawalArg {
            from: w.from,
            amount: w.amount,
            recipient: w.recipient,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use echonet_rollup_primitives::PrivateKey;
    use pallet_bridge::L2PublicKey;

    fn queued(new_account: Option<L2PublicKey>) -> QueuedDeposit<AccountId> {
        QueuedDeposit {
            depositor: AccountId::new([1; 32]),
            to: 4,
            new_account,
            amount: 77,
            queued_at: 0,
        }
    }

    #[test]
    fn hex_and_numbers_from_the_network_are_checked() {
        let m = "m";
        assert!(parse_hex(&Value::from("0x0a0b"), m, "v").is_ok());
        for bad in [
            Value::from("0a0b"),
            Value::from("0xabc"),
            Value::from("0xzz"),
            Value::from(3),
        ] {
            assert!(
                matches!(parse_hex(&bad, m, "v"), Err(L1Error::BadResponse { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_h256(&Value::from("0x00"), m, "h"),
            Err(L1Error::BadResponse { .. })
        ));
        assert_eq!(parse_number(&Value::from("0x10"), m).unwrap(), 16);
        assert_eq!(parse_number(&Value::from(16), m).unwrap(), 16);
        for bad in [
            Value::from("0x"),
            Value::from("0x1ffffffff"),
            Value::from("16"),
            Value::from(u64::MAX),
            Value::Null,
        ] {
            assert!(
                matches!(parse_number(&bad, m), Err(L1Error::BadResponse { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn storage_values_decode_whole_or_not_at_all() {
        let q = queued(None);
        let bytes = q.encode();
        let back: QueuedDeposit<AccountId> = decode_all(&bytes, "q", None).unwrap();
        assert_eq!(back, q);
        // Truncated, and with a byte left over.
        assert!(matches!(
            decode_all::<QueuedDeposit<AccountId>>(&bytes[..bytes.len() - 1], "q", None),
            Err(L1Error::Decode { .. })
        ));
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            decode_all::<QueuedDeposit<AccountId>>(&long, "q", None),
            Err(L1Error::Decode { .. })
        ));
        // An event list claiming more entries than there are bytes.
        assert!(matches!(
            decode_all::<Vec<EventRecord>>(&[0xff, 0xff, 0xff, 0x7f], "events", None),
            Err(L1Error::Decode { .. })
        ));
    }

    #[test]
    fn queued_keys_are_checked_before_they_become_deposits() {
        let pk = PrivateKey([5; 32]).public();
        let good = L2PublicKey {
            x: echonet_rollup_primitives::field::fr_to_be_bytes(&pk.0.x),
            y: echonet_rollup_primitives::field::fr_to_be_bytes(&pk.0.y),
        };
        let d = deposit_from_queue(0, &queued(Some(good))).unwrap();
        assert_eq!(d.new_account, Some(pk));
        assert_eq!((d.to, d.amount), (4, 77));
        assert_eq!(
            deposit_from_queue(0, &queued(None)).unwrap().new_account,
            None
        );
        // Off the curve; not canonical (≥ p).
        let off = L2PublicKey {
            x: good.x,
            y: good.x,
        };
        assert!(matches!(
            deposit_from_queue(3, &queued(Some(off))),
            Err(L1Error::Decode { .. })
        ));
        let big = L2PublicKey {
            x: [0xff; 32],
            y: good.y,
        };
        assert!(matches!(
            deposit_from_queue(3, &queued(Some(big))),
            Err(L1Error::Decode { .. })
        ));
    }
}
