//! Plumbing shared by the subscriptions: sending, blocking reads, and notification
//! receivers that survive lagging.

use jsonrpsee::{
    types::SubscriptionId, ConnectionId, PendingSubscriptionSink, SubscriptionMessage,
    SubscriptionSink,
};
use serde::Serialize;
use std::{
    collections::HashMap,
    sync::{LazyLock, Mutex, MutexGuard},
};
use tokio::sync::broadcast::{self, error::RecvError};

/// A subscription between the moment its id goes out and the moment jsonrpsee records it.
type Key = (ConnectionId, SubscriptionId<'static>);

/// The subscriptions being accepted, and whether an unsubscribe for them came meanwhile.
/// Process-wide: connection ids repeat across servers in one process (tests), but the
/// 16-character random subscription ids do not.
static ACCEPTING: LazyLock<Mutex<HashMap<Key, bool>>> = LazyLock::new(Default::default);

fn accepting() -> MutexGuard<'static, HashMap<Key, bool>> {
    // The map holds plain values: a panic elsewhere leaves it consistent.
    ACCEPTING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes its subscription from [`ACCEPTING`] even if the accepting task is dropped.
struct Accepting(Option<Key>);

impl Accepting {
    /// Whether an unsubscribe came while the subscription was being accepted.
    fn finish(mut self) -> bool {
        self.0
            .take()
            .and_then(|key| accepting().remove(&key))
            .unwrap_or(false)
    }
}

impl Drop for Accepting {
    fn drop(&mut self) {
        if let Some(key) = self.0.take() {
            accepting().remove(&key);
        }
    }
}

/// Accepts a subscription, and ends it at once if the subscriber unsubscribed while it
/// was being accepted. Every subscription of this crate starts here.
///
/// jsonrpsee's `accept` sends the subscription id to the client first and records the
/// subscription for its unsubscribe method after: an unsubscribe that arrives in between
/// finds nothing, is answered `false` and is lost, and the subscription then holds its
/// slot of `--rpc-max-subscriptions-per-connection` as long as the connection lives. A
/// client that unsubscribes as soon as it has the id meets this whenever the accepting
/// thread is descheduled in that gap (this is what made
/// `server::subscriptions_per_connection_are_limited` flaky on loaded machines). Here the
/// subscription is listed in [`ACCEPTING`] meanwhile, and
/// [`crate::middleware::EarlyUnsubscribeLayer`] marks an unsubscribe that jsonrpsee
/// answered `false` for a listed one.
pub(crate) async fn accept(pending: PendingSubscriptionSink) -> Option<SubscriptionSink> {
    let key = (pending.connection_id(), pending.subscription_id());
    accepting().insert(key.clone(), false);
    let guard = Accepting(Some(key));
    let sink = pending.accept().await.ok()?;
    if guard.finish() {
        tracing::debug!(
            target: "rpc",
            "subscription {:?} unsubscribed while it was being accepted: ended",
            sink.subscription_id()
        );
        // Dropping the sink removes it from jsonrpsee's subscribers and frees its slot.
        return None;
    }
    Some(sink)
}

/// What [`cancel_if_accepting`] did.
pub(crate) enum Cancel {
    /// The subscription was being accepted: [`accept`] ends it.
    Cancelled,
    /// No such subscription is being accepted: it is recorded by now, or never existed.
    NotAccepting,
}

/// Marks the subscription for ending if it is being accepted.
pub(crate) fn cancel_if_accepting(conn: ConnectionId, id: &SubscriptionId<'static>) -> Cancel {
    match accepting().get_mut(&(conn, id.clone())) {
        Some(cancelled) => {
            *cancelled = true;
            Cancel::Cancelled
        }
        None => Cancel::NotAccepting,
    }
}

/// The subscriber has gone (unsubscribed or disconnected): stop the subscription's task.
#[derive(Debug)]
pub(crate) struct Gone;

/// Sends one notification. Waits while the connection's bounded buffer is full, which is
/// the back-pressure a slow subscriber gets; meanwhile our notification receivers may lag,
/// which [`Next::Lagged`] handles.
pub(crate) async fn send<T: Serialize>(sink: &SubscriptionSink, item: &T) -> Result<(), Gone> {
    let msg = match SubscriptionMessage::from_json(item) {
        Ok(msg) => msg,
        Err(e) => {
            // Our own types always serialize; if one ever does not, say so and end.
            tracing::error!(target: "rpc", "cannot serialize a notification: {e}");
            return Err(Gone);
        }
    };
    sink.send(msg).await.map_err(|_| Gone)
}

/// Runs a blocking read (RocksDB, the runtime) off the async threads.
pub(crate) async fn blocking<T, F>(f: F) -> Option<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::error!(target: "rpc", "blocking RPC task failed: {e}");
            None
        }
    }
}

/// What waiting for the next chain notification gave.
pub(crate) enum Next<N> {
    Item(N),
    /// We fell behind and notifications were lost; the receiver now starts at the newest
    /// one, and the caller should resynchronise from the client's current state.
    Lagged,
    /// The subscriber left, or the client is shutting down.
    Stop,
}

/// Waits for the next notification, or for the subscriber to leave.
pub(crate) async fn next<N: Clone>(
    sink: &SubscriptionSink,
    rx: &mut broadcast::Receiver<N>,
) -> Next<N> {
    tokio::select! {
        _ = sink.closed() => Next::Stop,
        received = rx.recv() => match received {
            Ok(n) => Next::Item(n),
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(target: "rpc", "subscription {:?} missed {missed} notifications", sink.subscription_id());
                // Skip what is still queued: the caller re-reads the current state.
                *rx = rx.resubscribe();
                Next::Lagged
            }
            Err(RecvError::Closed) => Next::Stop,
        },
    }
}
