//! `transaction_v1_*` of the new JSON-RPC spec: broadcast a transaction and keep at it
//! until it is in a finalized block, without reporting its progress.
//!
//! `transaction_v1_broadcast` answers at once with an operation id (or null when
//! [`MAX_BROADCASTS`] operations are running) and never says whether the transaction is
//! valid: the spec leaves that to `chainHead_v1_call` or to watching blocks. A task per
//! operation submits the transaction to the pool (which gossips it) and watches it:
//!
//! - finalized, or invalid, or replaced by another (usurped): the operation ends;
//! - dropped from a full pool, refused for the moment (pool full, priority too low,
//!   temporarily banned, already in the pool through another route), or left without
//!   finality for too long: it is submitted again after the next new best block.
//!
//! `transaction_v1_stop` ends an operation; the transaction may still be included if
//! the pool or a peer has it. An unknown id is -32602 "Invalid operation id", as in
//! Substrate. Operations do not outlive [`BROADCAST_LIFETIME`], so that ids whose
//! owner went away cannot fill the table for good.

use echonet_client::Client;
use echonet_txpool::{Pool, PoolError, TransactionStatus};
use jsonrpsee::{
    core::{async_trait, RpcResult},
    proc_macros::rpc,
    server::{IdProvider, RandomStringIdProvider},
    types::{error::ErrorCode, ErrorObject, SubscriptionId},
};
use sp_core::Bytes;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};
use tokio::task::AbortHandle;

/// Most broadcasts running at once, over all connections.
pub const MAX_BROADCASTS: usize = 512;
/// How long one broadcast may run before it is given up.
pub const BROADCAST_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// Length of operation ids (Substrate's subscription id length).
const OPERATION_ID_LEN: usize = 16;

#[rpc(server)]
pub trait TransactionApi {
    /// Starts broadcasting a SCALE-encoded transaction; returns the operation's id, or
    /// null when too many broadcasts are running.
    #[method(name = "transaction_v1_broadcast")]
    async fn broadcast(&self, transaction: Bytes) -> RpcResult<Option<String>>;

    /// Stops a broadcast.
    #[method(name = "transaction_v1_stop")]
    fn stop(&self, operation_id: String) -> RpcResult<()>;
}

/// Running broadcasts by operation id.
type Operations = Arc<Mutex<HashMap<String, AbortHandle>>>;

/// The `transaction_v1_*` methods. [`crate::rpc_module`] includes them; a clone shares
/// the running operations, which lets tests watch them.
#[derive(Clone)]
pub struct Transaction {
    client: Arc<Client>,
    pool: Arc<Pool>,
    operations: Operations,
}

impl Transaction {
    /// No operations running; broadcasts submit to `pool` and follow `client`'s blocks.
    pub fn new(client: Arc<Client>, pool: Arc<Pool>) -> Self {
        Self {
            client,
            pool,
            operations: Arc::default(),
        }
    }

    /// How many broadcasts are running.
    pub fn running(&self) -> usize {
        self.operations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

fn operation_id() -> String {
    match RandomStringIdProvider::new(OPERATION_ID_LEN).next_id() {
        SubscriptionId::Str(s) => s.into_owned(),
        SubscriptionId::Num(n) => n.to_string(),
    }
}

#[async_trait]
impl TransactionApiServer for Transaction {
    async fn broadcast(&self, transaction: Bytes) -> RpcResult<Option<String>> {
        let mut operations = self
            .operations
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if operations.len() >= MAX_BROADCASTS {
            return Ok(None);
        }
        let id = loop {
            let id = operation_id();
            if !operations.contains_key(&id) {
                break id;
            }
        };
        let task = tokio::spawn(run_broadcast(
            self.client.clone(),
            self.pool.clone(),
            transaction.0,
            id.clone(),
            self.operations.clone(),
        ));
        // The task removes its own entry when it ends; it cannot get there before this
        // insert, because it needs the lock we hold.
        operations.insert(id.clone(), task.abort_handle());
        Ok(Some(id))
    }

    fn stop(&self, operation_id: String) -> RpcResult<()> {
        let removed = self
            .operations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&operation_id);
        match removed {
            Some(task) => {
                task.abort();
                Ok(())
            }
            None => Err(ErrorObject::owned(
                ErrorCode::InvalidParams.code(),
                "Invalid operation id",
                None::<()>,
            )),
        }
    }
}

/// What one submission came to.
enum Outcome {
    /// Finalized, invalid or usurped: nothing more to do.
    Done,
    /// Worth another try after the next block.
    Retry,
}

async fn run_broadcast(
    client: Arc<Client>,
    pool: Arc<Pool>,
    bytes: Vec<u8>,
    id: String,
    operations: Operations,
) {
    let _ = tokio::time::timeout(BROADCAST_LIFETIME, async {
        loop {
            // Taken before submitting, so that a block between the two is not missed.
            let mut blocks = client.import_notifications();
            match submit_once(&pool, bytes.clone()).await {
                Outcome::Done => return,
                Outcome::Retry => loop {
                    match blocks.recv().await {
                        Ok(n) if n.is_new_best => break,
                        Ok(_) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    }
                },
            }
        }
    })
    .await;
    tracing::debug!(target: "rpc", "transaction_v1 broadcast {id} ended");
    operations
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&id);
}

async fn submit_once(pool: &Pool, bytes: Vec<u8>) -> Outcome {
    let mut statuses = match pool.submit_and_watch(bytes).await {
        Ok((_, statuses)) => statuses,
        Err(
            PoolError::ImmediatelyDropped
            | PoolError::TooLowPriority { .. }
            | PoolError::TemporarilyBanned
            | PoolError::AlreadyImported,
        ) => return Outcome::Retry,
        // Not decodable, invalid, or of unknown validity: broadcasting cannot help.
        Err(_) => return Outcome::Done,
    };
    while let Some(status) = statuses.recv().await {
        match status {
            TransactionStatus::Finalized(_)
            | TransactionStatus::Invalid
            | TransactionStatus::Usurped(_) => return Outcome::Done,
            TransactionStatus::Dropped | TransactionStatus::FinalityTimeout(_) => {
                return Outcome::Retry
            }
            TransactionStatus::Future
            | TransactionStatus::Ready
            | TransactionStatus::InBlock(_)
            | TransactionStatus::Retracted(_) => {}
        }
    }
    // The pool dropped its watcher without a final status.
    Outcome::Retry
}
