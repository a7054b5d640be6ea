//! Plumbing shared by the subscriptions: sending, blocking reads, and notification
//! receivers that survive lagging.

use jsonrpsee::{SubscriptionMessage, SubscriptionSink};
use serde::Serialize;
use tokio::sync::broadcast::{self, error::RecvError};

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
