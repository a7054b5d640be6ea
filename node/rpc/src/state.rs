//! `state_*`: storage reads, runtime calls, metadata and version, and their
//! subscriptions.
//!
//! Every read names a block (the best one when the caller gives none). An unknown block
//! is an error here (4003, "UnknownBlock: ..."), where `chain_getHeader` answers null:
//! that is how Substrate's nodes behave and what wallets expect.

use crate::{
    error,
    subscription::{self, blocking, Next},
    types::{ReadProof, StorageChangeSet},
};
use codec::Decode;
use echonet_client::Client;
use jsonrpsee::{
    core::{async_trait, RpcResult, SubscriptionResult},
    proc_macros::rpc,
    types::{error::INVALID_PARAMS_CODE, ErrorObject},
    ConnectionId, PendingSubscriptionSink,
};
use sp_core::{
    storage::{StorageData, StorageKey},
    Bytes, H256,
};
use sp_state_machine::{Backend as _, IterArgs};
use sp_version::RuntimeVersion;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

/// Most keys one `state_getKeysPaged` returns (Substrate's limit).
pub const MAX_KEYS_PAGED: u32 = 1000;
/// Most keys one storage subscription watches; each is read again at every new best block.
pub const MAX_SUBSCRIBED_KEYS: usize = 1024;
/// Most keys all storage subscriptions of one connection watch together.
pub const MAX_SUBSCRIBED_KEYS_PER_CONNECTION: usize = 4 * MAX_SUBSCRIBED_KEYS;
/// Largest input of a `Core_*` or `BlockBuilder_*` runtime call through `state_call` on
/// an RPC that serves only safe methods.
pub const MAX_SAFE_BLOCK_CALL_INPUT: usize = 64 * 1024;
/// Most blocks one `state_queryStorage` walks.
pub const MAX_QUERY_STORAGE_BLOCKS: u32 = 1000;
/// Most storage reads (blocks × keys) one `state_queryStorage` makes.
pub const MAX_QUERY_STORAGE_READS: usize = 100_000;
/// How long `state_getStorageSize` may sum the values under a prefix before giving up.
const STORAGE_SIZE_DEADLINE: Duration = Duration::from_secs(5);

#[rpc(server)]
pub trait StateApi {
    /// Calls a runtime API with SCALE input; returns its SCALE output.
    #[method(name = "state_call", aliases = ["state_callAt"], blocking)]
    fn call(&self, name: String, bytes: Bytes, hash: Option<H256>) -> RpcResult<Bytes>;

    /// Up to `count` keys with `prefix`, after `start_key`.
    #[method(name = "state_getKeysPaged", aliases = ["state_getKeysPagedAt"], blocking)]
    fn storage_keys_paged(
        &self,
        prefix: Option<StorageKey>,
        count: u32,
        start_key: Option<StorageKey>,
        hash: Option<H256>,
    ) -> RpcResult<Vec<StorageKey>>;

    /// The raw (SCALE) value under `key`, or null when there is none.
    #[method(name = "state_getStorage", aliases = ["state_getStorageAt"], blocking)]
    fn storage(&self, key: StorageKey, hash: Option<H256>) -> RpcResult<Option<StorageData>>;

    /// The blake2-256 hash of the value under `key`, or null when there is none; lets a
    /// caller check for a change without downloading a large value.
    #[method(name = "state_getStorageHash", aliases = ["state_getStorageHashAt"], blocking)]
    fn storage_hash(&self, key: StorageKey, hash: Option<H256>) -> RpcResult<Option<H256>>;

    /// The size of a value; for a key without a value, the total size of the values
    /// under it as a prefix (null if there are none).
    #[method(name = "state_getStorageSize", aliases = ["state_getStorageSizeAt"], blocking)]
    fn storage_size(&self, key: StorageKey, hash: Option<H256>) -> RpcResult<Option<u64>>;

    /// The runtime's metadata (`OpaqueMetadata`'s bytes).
    #[method(name = "state_getMetadata", blocking)]
    fn metadata(&self, hash: Option<H256>) -> RpcResult<Bytes>;

    /// Spec and impl names and versions and the runtime APIs, which wallets check
    /// before encoding transactions. The runtime is linked into the node, so the answer
    /// is the same at every known block.
    #[method(name = "state_getRuntimeVersion", aliases = ["chain_getRuntimeVersion"], blocking)]
    fn runtime_version(&self, hash: Option<H256>) -> RpcResult<RuntimeVersion>;

    /// The values of `keys` at each block from `from_block` to `to_block` (the best block
    /// by default) where one of them changed; the first block lists them all.
    #[method(name = "state_queryStorage", blocking)]
    fn query_storage(
        &self,
        keys: Vec<StorageKey>,
        from_block: H256,
        to_block: Option<H256>,
    ) -> RpcResult<Vec<StorageChangeSet>>;

    /// The values of `keys` at one block.
    #[method(name = "state_queryStorageAt", blocking)]
    fn query_storage_at(
        &self,
        keys: Vec<StorageKey>,
        at: Option<H256>,
    ) -> RpcResult<Vec<StorageChangeSet>>;

    /// A Merkle proof of the values of `keys` against the block's state root.
    #[method(name = "state_getReadProof", blocking)]
    fn read_proof(&self, keys: Vec<StorageKey>, hash: Option<H256>) -> RpcResult<ReadProof>;

    /// The runtime version now, then whenever it changes.
    #[subscription(
        name = "state_subscribeRuntimeVersion" => "state_runtimeVersion",
        aliases = ["chain_subscribeRuntimeVersion"],
        unsubscribe = "state_unsubscribeRuntimeVersion",
        unsubscribe_aliases = ["chain_unsubscribeRuntimeVersion"],
        item = RuntimeVersion
    )]
    async fn subscribe_runtime_version(&self) -> SubscriptionResult;

    /// The values of `keys` now, then at each new best block the ones that changed.
    #[subscription(
        name = "state_subscribeStorage" => "state_storage",
        unsubscribe = "state_unsubscribeStorage",
        item = StorageChangeSet
    )]
    async fn subscribe_storage(&self, keys: Option<Vec<StorageKey>>) -> SubscriptionResult;
}

pub(crate) struct State {
    pub client: Arc<Client>,
    /// Only safe methods are served: `state_call`'s block-executing calls are bounded.
    pub deny_unsafe: bool,
    /// The storage keys each connection's subscriptions watch.
    pub key_budget: Arc<KeyBudget>,
}

/// How many storage keys each connection's subscriptions watch together, against
/// [`MAX_SUBSCRIBED_KEYS_PER_CONNECTION`].
#[derive(Debug, Default)]
pub(crate) struct KeyBudget(Mutex<HashMap<ConnectionId, usize>>);

impl KeyBudget {
    fn lock(&self) -> MutexGuard<'_, HashMap<ConnectionId, usize>> {
        // Plain counts: a panic elsewhere leaves them consistent.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes `keys` from `conn`'s budget, or says how many it already uses.
    fn reserve(self: &Arc<Self>, conn: ConnectionId, keys: usize) -> Result<KeyReservation, usize> {
        let mut used = self.lock();
        let in_use = used.get(&conn).copied().unwrap_or(0);
        if in_use + keys > MAX_SUBSCRIBED_KEYS_PER_CONNECTION {
            return Err(in_use);
        }
        used.insert(conn, in_use + keys);
        Ok(KeyReservation {
            budget: self.clone(),
            conn,
            keys,
        })
    }
}

/// Keys taken from a connection's budget, given back when the subscription ends.
struct KeyReservation {
    budget: Arc<KeyBudget>,
    conn: ConnectionId,
    keys: usize,
}

impl Drop for KeyReservation {
    fn drop(&mut self) {
        let mut used = self.budget.lock();
        if let Some(n) = used.get_mut(&self.conn) {
            *n = n.saturating_sub(self.keys);
            if *n == 0 {
                used.remove(&self.conn);
            }
        }
    }
}

impl State {
    fn resolve(&self, hash: Option<H256>) -> H256 {
        hash.unwrap_or_else(|| self.client.info().best_hash)
    }

    /// Fails with Substrate's unknown-block error when the block is not in the database.
    fn require_block(&self, hash: H256) -> RpcResult<()> {
        match self.client.header(hash) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(error::state_client(&echonet_client::Error::UnknownBlock(
                hash,
            ))),
            Err(e) => Err(error::state_client(&e)),
        }
    }

    fn values_at(&self, at: H256, keys: &[StorageKey]) -> RpcResult<Vec<Option<StorageData>>> {
        keys.iter()
            .map(|key| {
                self.client
                    .storage(at, &key.0)
                    .map(|v| v.map(StorageData))
                    .map_err(|e| error::state_client(&e))
            })
            .collect()
    }

    /// The blocks from `from` to `to`, oldest first, when `from` is an ancestor of `to`
    /// on a chain we have.
    fn block_range(&self, from: H256, to: H256) -> RpcResult<Vec<H256>> {
        let header_of = |hash: H256| -> RpcResult<echonet_runtime::Header> {
            match self.client.header(hash) {
                Ok(Some(h)) => Ok(h),
                Ok(None) => Err(error::invalid_block_range(
                    from,
                    to,
                    &format!("UnknownBlock: header of {hash:?} not found"),
                )),
                Err(e) => Err(error::invalid_block_range(
                    from,
                    to,
                    &error::client_error_text(&e),
                )),
            }
        };
        let from_header = header_of(from)?;
        let mut header = header_of(to)?;
        if from_header.number > header.number {
            return Err(error::invalid_block_range(
                from,
                to,
                "from number > to number",
            ));
        }
        let len = header.number - from_header.number + 1;
        if len > MAX_QUERY_STORAGE_BLOCKS {
            return Err(error::invalid_block_range(
                from,
                to,
                &format!("the range has {len} blocks, more than {MAX_QUERY_STORAGE_BLOCKS}"),
            ));
        }
        let mut hashes = vec![to];
        let mut hash = to;
        while header.number > from_header.number {
            hash = header.parent_hash;
            header = header_of(hash)?;
            hashes.push(hash);
        }
        if hash != from {
            return Err(error::invalid_block_range(
                from,
                to,
                "from and to are on different forks",
            ));
        }
        hashes.reverse();
        Ok(hashes)
    }
}

#[async_trait]
impl StateApiServer for State {
    fn call(&self, name: String, bytes: Bytes, hash: Option<H256>) -> RpcResult<Bytes> {
        // Executing a block or an extrinsic is what these do; nothing a public client
        // needs, and megabytes of input make it as costly as importing a full block.
        if self.deny_unsafe
            && (name.starts_with("Core_") || name.starts_with("BlockBuilder_"))
            && bytes.len() > MAX_SAFE_BLOCK_CALL_INPUT
        {
            tracing::debug!(
                target: "rpc",
                "Refused state_call {name} with {} bytes of input on a safe RPC",
                bytes.len()
            );
            return Err(ErrorObject::owned(
                INVALID_PARAMS_CODE,
                format!(
                    "state_call {name}: {} bytes of input; an RPC that serves only safe methods takes at most {MAX_SAFE_BLOCK_CALL_INPUT} bytes for Core_* and BlockBuilder_* calls",
                    bytes.len()
                ),
                None::<()>,
            ));
        }
        self.client
            .call(self.resolve(hash), &name, &bytes.0)
            .map(Bytes)
            .map_err(|e| error::state_client(&e))
    }

    fn storage_keys_paged(
        &self,
        prefix: Option<StorageKey>,
        count: u32,
        start_key: Option<StorageKey>,
        hash: Option<H256>,
    ) -> RpcResult<Vec<StorageKey>> {
        if count > MAX_KEYS_PAGED {
            return Err(error::invalid_count(count, MAX_KEYS_PAGED));
        }
        let at = self.resolve(hash);
        let prefix = prefix.map(|p| p.0).unwrap_or_default();
        // A start key before the prefix starts at the prefix; one past every key with the
        // prefix leaves nothing to list.
        let start = match start_key {
            Some(start) if start.0.starts_with(&prefix) => Some(start.0),
            Some(start) if start.0 > prefix => {
                self.require_block(at)?;
                return Ok(Vec::new());
            }
            _ => None,
        };
        self.client
            .storage_keys(at, &prefix, start.as_deref(), count as usize)
            .map(|keys| keys.into_iter().map(StorageKey).collect())
            .map_err(|e| error::state_client(&e))
    }

    fn storage(&self, key: StorageKey, hash: Option<H256>) -> RpcResult<Option<StorageData>> {
        self.client
            .storage(self.resolve(hash), &key.0)
            .map(|v| v.map(StorageData))
            .map_err(|e| error::state_client(&e))
    }

    fn storage_hash(&self, key: StorageKey, hash: Option<H256>) -> RpcResult<Option<H256>> {
        self.client
            .storage_hash(self.resolve(hash), &key.0)
            .map_err(|e| error::state_client(&e))
    }

    fn storage_size(&self, key: StorageKey, hash: Option<H256>) -> RpcResult<Option<u64>> {
        let at = self.resolve(hash);
        let state = self
            .client
            .state_at(at)
            .map_err(|e| error::state_client(&e))?;
        if let Some(value) = state
            .storage(&key.0)
            .map_err(|e| error::state_other(e.to_string()))?
        {
            return Ok(Some(value.len() as u64));
        }
        let mut args = IterArgs::default();
        args.prefix = Some(&key.0);
        let pairs = state
            .pairs(args)
            .map_err(|e| error::state_other(e.to_string()))?;
        let deadline = Instant::now() + STORAGE_SIZE_DEADLINE;
        let mut sum = 0u64;
        let mut any = false;
        for pair in pairs {
            let (_, value) = pair.map_err(|e| error::state_other(e.to_string()))?;
            sum = sum.saturating_add(value.len() as u64);
            any = true;
            if Instant::now() > deadline {
                return Err(error::state_other(format!(
                    "summing the values under the prefix took longer than {}s",
                    STORAGE_SIZE_DEADLINE.as_secs()
                )));
            }
        }
        Ok(any.then_some(sum))
    }

    fn metadata(&self, hash: Option<H256>) -> RpcResult<Bytes> {
        let raw = self
            .client
            .call(self.resolve(hash), "Metadata_metadata", &[])
            .map_err(|e| error::state_client(&e))?;
        let metadata = sp_core::OpaqueMetadata::decode(&mut &raw[..])
            .map_err(|e| error::state_other(format!("undecodable metadata: {e}")))?;
        Ok(Bytes(metadata.to_vec()))
    }

    fn runtime_version(&self, hash: Option<H256>) -> RpcResult<RuntimeVersion> {
        // The runtime is linked into the node, so its version is the same at every block
        // we have; an unknown block is still an error, as it is in Substrate.
        self.require_block(self.resolve(hash))?;
        Ok(self.client.runtime_version())
    }

    fn query_storage(
        &self,
        keys: Vec<StorageKey>,
        from_block: H256,
        to_block: Option<H256>,
    ) -> RpcResult<Vec<StorageChangeSet>> {
        let to = self.resolve(to_block);
        let blocks = self.block_range(from_block, to)?;
        if blocks.len().saturating_mul(keys.len()) > MAX_QUERY_STORAGE_READS {
            return Err(error::invalid_block_range(
                from_block,
                to,
                &format!(
                    "{} blocks × {} keys is more than {MAX_QUERY_STORAGE_READS} reads",
                    blocks.len(),
                    keys.len()
                ),
            ));
        }
        let mut last: Vec<Option<Option<StorageData>>> = vec![None; keys.len()];
        let mut out = Vec::new();
        for block in blocks {
            let values = self.values_at(block, &keys)?;
            let mut changes = Vec::new();
            for ((key, value), last) in keys.iter().zip(values).zip(last.iter_mut()) {
                if last.as_ref() != Some(&value) {
                    changes.push((key.clone(), value.clone()));
                    *last = Some(value);
                }
            }
            if !changes.is_empty() {
                out.push(StorageChangeSet { block, changes });
            }
        }
        Ok(out)
    }

    fn query_storage_at(
        &self,
        keys: Vec<StorageKey>,
        at: Option<H256>,
    ) -> RpcResult<Vec<StorageChangeSet>> {
        let block = self.resolve(at);
        let values = self.values_at(block, &keys)?;
        Ok(vec![StorageChangeSet {
            block,
            changes: keys.into_iter().zip(values).collect(),
        }])
    }

    fn read_proof(&self, keys: Vec<StorageKey>, hash: Option<H256>) -> RpcResult<ReadProof> {
        let at = self.resolve(hash);
        let state = self
            .client
            .state_at(at)
            .map_err(|e| error::state_client(&e))?;
        let proof = sp_state_machine::prove_read(state, keys.iter().map(|k| &k.0[..]))
            .map_err(|e| error::state_other(e.to_string()))?;
        Ok(ReadProof {
            at,
            proof: proof.into_iter_nodes().map(Bytes).collect(),
        })
    }

    async fn subscribe_runtime_version(
        &self,
        pending: PendingSubscriptionSink,
    ) -> SubscriptionResult {
        let Some(sink) = subscription::accept(pending).await else {
            return Ok(());
        };
        // The runtime is part of the node binary: its version cannot change while we run.
        // The subscription stays open, as Substrate's does, until the subscriber leaves.
        if subscription::send(&sink, &self.client.runtime_version())
            .await
            .is_ok()
        {
            sink.closed().await;
        }
        Ok(())
    }

    async fn subscribe_storage(
        &self,
        pending: PendingSubscriptionSink,
        keys: Option<Vec<StorageKey>>,
    ) -> SubscriptionResult {
        let Some(keys) = keys else {
            // Substrate can stream every change in the state; this node keeps no change
            // log to do that from, and re-reading the whole state per block is no option.
            pending
                .reject(error::state_other(
                    "subscribing to all storage changes is not supported: pass the keys to watch",
                ))
                .await;
            return Ok(());
        };
        if keys.len() > MAX_SUBSCRIBED_KEYS {
            pending
                .reject(error::state_other(format!(
                    "a storage subscription may watch at most {MAX_SUBSCRIBED_KEYS} keys, not {}",
                    keys.len()
                )))
                .await;
            return Ok(());
        }
        let reservation = match self.key_budget.reserve(pending.connection_id(), keys.len()) {
            Ok(reservation) => reservation,
            Err(in_use) => {
                tracing::debug!(
                    target: "rpc",
                    "Refused a storage subscription of {} keys: its connection watches {in_use}",
                    keys.len()
                );
                pending
                    .reject(error::state_other(format!(
                        "the storage subscriptions of one connection may watch at most {MAX_SUBSCRIBED_KEYS_PER_CONNECTION} storage keys together: this one watches {in_use} and asks for {} more",
                        keys.len()
                    )))
                    .await;
                return Ok(());
            }
        };
        pipe_storage(self.client.clone(), pending, Arc::new(keys)).await;
        drop(reservation);
        Ok(())
    }
}

/// Reads `keys` at `at` on a blocking thread.
async fn read_keys(
    client: &Arc<Client>,
    at: H256,
    keys: &Arc<Vec<StorageKey>>,
) -> Option<Vec<Option<StorageData>>> {
    let client = client.clone();
    let keys = keys.clone();
    let read = blocking(move || {
        keys.iter()
            .map(|k| client.storage(at, &k.0).map(|v| v.map(StorageData)))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    match read {
        Ok(values) => Some(values),
        Err(e) => {
            tracing::warn!(target: "rpc", "storage subscription cannot read block {at:?}: {e}");
            None
        }
    }
}

/// The current values, then each new best block's changed ones.
async fn pipe_storage(
    client: Arc<Client>,
    pending: PendingSubscriptionSink,
    keys: Arc<Vec<StorageKey>>,
) {
    // Taken before the first read, so that no block falls between it and the stream.
    let mut rx = client.import_notifications();
    let best = client.info().best_hash;
    let initial = match read_keys(&client, best, &keys).await {
        Some(values) => values,
        None => {
            pending
                .reject(error::state_other(format!(
                    "cannot read the subscribed keys at {best:?}"
                )))
                .await;
            return;
        }
    };
    let Some(sink) = subscription::accept(pending).await else {
        return;
    };
    let first = StorageChangeSet {
        block: best,
        changes: keys.iter().cloned().zip(initial.iter().cloned()).collect(),
    };
    if subscription::send(&sink, &first).await.is_err() {
        return;
    }
    let mut last = initial;
    loop {
        let block = match subscription::next(&sink, &mut rx).await {
            Next::Item(n) if n.is_new_best => n.hash,
            Next::Item(_) => continue,
            // Whatever we missed, the current best state is what the subscriber needs.
            Next::Lagged => client.info().best_hash,
            Next::Stop => return,
        };
        let Some(values) = read_keys(&client, block, &keys).await else {
            continue;
        };
        let changes: Vec<_> = keys
            .iter()
            .zip(values.iter().zip(last.iter()))
            .filter(|(_, (new, old))| new != old)
            .map(|(key, (new, _))| (key.clone(), new.clone()))
            .collect();
        last = values;
        if changes.is_empty() {
            continue;
        }
        if subscription::send(&sink, &StorageChangeSet { block, changes })
            .await
            .is_err()
        {
            return;
        }
    }
}
