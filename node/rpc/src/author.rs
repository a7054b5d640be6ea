//! `author_*`: submitting and watching transactions, and the node's session keys.
//!
//! Submitted bytes are decoded as the runtime's `UncheckedExtrinsic` before they reach
//! the pool, so that malformed SCALE is refused with 1001 and a reason, rather than
//! failing inside the runtime's validation.

use crate::{
    error,
    subscription::{self},
    types::ExtrinsicOrHash,
};
use codec::Decode;
use echonet_client::Client;
use echonet_runtime::UncheckedExtrinsic;
use echonet_txpool::Pool;
use jsonrpsee::{
    core::{async_trait, RpcResult, SubscriptionResult},
    proc_macros::rpc,
    types::ErrorObjectOwned,
    PendingSubscriptionSink,
};
use sp_core::{crypto::KeyTypeId, Bytes, H256};
use sp_keystore::KeystorePtr;
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use std::sync::Arc;

#[rpc(server)]
pub trait AuthorApi {
    /// Submits a signed extrinsic (SCALE bytes); returns its hash.
    #[method(name = "author_submitExtrinsic")]
    async fn submit_extrinsic(&self, extrinsic: Bytes) -> RpcResult<H256>;

    /// Unsafe. Puts a key into the keystore.
    #[method(name = "author_insertKey", blocking)]
    fn insert_key(&self, key_type: String, suri: String, public: Bytes) -> RpcResult<()>;

    /// Unsafe. Generates new session keys in the keystore; returns their public parts,
    /// ready for `session.setKeys`.
    #[method(name = "author_rotateKeys", blocking)]
    fn rotate_keys(&self) -> RpcResult<Bytes>;

    /// Unsafe. Whether the keystore holds the private keys of all these session keys.
    #[method(name = "author_hasSessionKeys", blocking)]
    fn has_session_keys(&self, session_keys: Bytes) -> RpcResult<bool>;

    /// Unsafe. Whether the keystore holds this key.
    #[method(name = "author_hasKey", blocking)]
    fn has_key(&self, public_key: Bytes, key_type: String) -> RpcResult<bool>;

    /// The extrinsics in the pool, ready ones first.
    #[method(name = "author_pendingExtrinsics")]
    fn pending_extrinsics(&self) -> RpcResult<Vec<Bytes>>;

    /// Unsafe. Removes extrinsics from the pool; returns the hashes of those removed.
    #[method(name = "author_removeExtrinsic")]
    fn remove_extrinsic(&self, bytes_or_hash: Vec<ExtrinsicOrHash>) -> RpcResult<Vec<H256>>;

    /// Submits an extrinsic and reports its status until a final one (finalized,
    /// usurped, dropped, invalid, finality timeout).
    #[subscription(
        name = "author_submitAndWatchExtrinsic" => "author_extrinsicUpdate",
        unsubscribe = "author_unwatchExtrinsic",
        item = echonet_txpool::TransactionStatus
    )]
    async fn watch_extrinsic(&self, bytes: Bytes) -> SubscriptionResult;
}

pub(crate) struct Author {
    pub client: Arc<Client>,
    pub pool: Arc<Pool>,
    pub keystore: KeystorePtr,
    pub deny_unsafe: bool,
}

/// Checks that `bytes` are one whole extrinsic of our runtime; gives its hash.
fn check_format(bytes: &[u8]) -> Result<H256, ErrorObjectOwned> {
    let mut input = bytes;
    UncheckedExtrinsic::decode(&mut input).map_err(error::bad_format)?;
    if !input.is_empty() {
        return Err(error::bad_format(format!(
            "{} bytes left over after the extrinsic",
            input.len()
        )));
    }
    Ok(BlakeTwo256::hash(bytes))
}

fn key_type(name: &str) -> Result<KeyTypeId, ErrorObjectOwned> {
    KeyTypeId::try_from(name).map_err(|_| error::author_other(error::BAD_KEY_TYPE))
}

impl Author {
    fn check_unsafe(&self) -> RpcResult<()> {
        if self.deny_unsafe {
            Err(error::unsafe_rpc_called())
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl AuthorApiServer for Author {
    async fn submit_extrinsic(&self, extrinsic: Bytes) -> RpcResult<H256> {
        let hash = check_format(&extrinsic)?;
        self.pool
            .submit_one(extrinsic.0)
            .await
            .map_err(|e| error::pool_error(&e, hash))
    }

    fn insert_key(&self, key_type_name: String, suri: String, public: Bytes) -> RpcResult<()> {
        self.check_unsafe()?;
        let key_type = key_type(&key_type_name)?;
        self.keystore
            .insert(key_type, &suri, &public)
            .map_err(|()| error::author_other(error::KEYSTORE_UNAVAILABLE))
    }

    fn rotate_keys(&self) -> RpcResult<Bytes> {
        self.check_unsafe()?;
        let best = self.client.info().best_hash;
        // No owner: the proof of ownership is for `session.setKeys` callers that want one,
        // and author_rotateKeys has always returned the bare public keys.
        let input = codec::Encode::encode(&(Vec::<u8>::new(), Option::<Vec<u8>>::None));
        let raw = self
            .client
            .call_with_keystore(best, "SessionKeys_generate_session_keys", &input)
            .map_err(|e| error::author_client(&e))?;
        let generated =
            <sp_session::OpaqueGeneratedSessionKeys as codec::Decode>::decode(&mut &raw[..])
                .map_err(|e| {
                    error::author_client(&echonet_client::Error::RuntimeCall {
                        method: "SessionKeys_generate_session_keys".into(),
                        reason: format!("undecodable result: {e}"),
                    })
                })?;
        Ok(Bytes(generated.keys))
    }

    fn has_session_keys(&self, session_keys: Bytes) -> RpcResult<bool> {
        self.check_unsafe()?;
        let best = self.client.info().best_hash;
        let input = codec::Encode::encode(&session_keys.0);
        let keys: Option<Vec<(Vec<u8>, KeyTypeId)>> = self
            .client
            .call_decoded(best, "SessionKeys_decode_session_keys", &input)
            .map_err(|e| error::author_client(&e))?;
        let keys = keys.ok_or_else(|| error::author_other(error::INVALID_SESSION_KEYS))?;
        Ok(self.keystore.has_keys(&keys))
    }

    fn has_key(&self, public_key: Bytes, key_type_name: String) -> RpcResult<bool> {
        self.check_unsafe()?;
        let key_type = key_type(&key_type_name)?;
        Ok(self.keystore.has_keys(&[(public_key.0, key_type)]))
    }

    fn pending_extrinsics(&self) -> RpcResult<Vec<Bytes>> {
        Ok(self
            .pool
            .pending_extrinsics()
            .into_iter()
            .map(Bytes)
            .collect())
    }

    fn remove_extrinsic(&self, bytes_or_hash: Vec<ExtrinsicOrHash>) -> RpcResult<Vec<H256>> {
        self.check_unsafe()?;
        let hashes = bytes_or_hash
            .into_iter()
            .map(|x| match x {
                ExtrinsicOrHash::Hash(h) => Ok(h),
                ExtrinsicOrHash::Extrinsic(bytes) => check_format(&bytes),
            })
            .collect::<RpcResult<Vec<_>>>()?;
        Ok(self.pool.remove_extrinsics(&hashes))
    }

    async fn watch_extrinsic(
        &self,
        pending: PendingSubscriptionSink,
        bytes: Bytes,
    ) -> SubscriptionResult {
        let hash = match check_format(&bytes) {
            Ok(hash) => hash,
            Err(e) => {
                pending.reject(e).await;
                return Ok(());
            }
        };
        let mut statuses = match self.pool.submit_and_watch(bytes.0).await {
            Ok((_, statuses)) => statuses,
            Err(e) => {
                pending.reject(error::pool_error(&e, hash)).await;
                return Ok(());
            }
        };
        let Some(sink) = subscription::accept(pending).await else {
            return Ok(());
        };
        loop {
            let status = tokio::select! {
                _ = sink.closed() => return Ok(()),
                status = statuses.recv() => status,
            };
            // The pool ends the stream after a final status (or when it drops the watcher).
            let Some(status) = status else {
                return Ok(());
            };
            let last = status.is_final();
            if subscription::send(&sink, &status).await.is_err() || last {
                return Ok(());
            }
        }
    }
}
