//! Waits bounded by a deadline: a hung component fails the test with a message instead of
//! hanging it.

use std::{
    future::Future,
    time::{Duration, Instant},
};

/// The default bound of one wait.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// How often a condition is polled.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Awaits `f`, panicking with `what` if it takes longer than `limit`.
pub async fn within<T>(limit: Duration, what: &str, f: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {limit:?}: {what}"),
    }
}

/// Polls `check` until it gives a value; panics with `what` after [`DEADLINE`].
pub async fn wait_until<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    wait_until_within(what, DEADLINE, check).await
}

/// Polls `check` until it gives a value; panics with `what` after `limit`.
pub async fn wait_until_within<T, F, Fut>(what: &str, limit: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    wait_until_polling(what, limit, POLL_INTERVAL, check).await
}

/// Polls `check` every `interval` until it gives a value; panics with `what` after `limit`.
/// For checks that cost more than a poll of local state (a few RPC calls to a node that
/// shares the machine's cores), a longer interval than [`wait_until_within`]'s.
pub async fn wait_until_polling<T, F, Fut>(
    what: &str,
    limit: Duration,
    interval: Duration,
    mut check: F,
) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(interval).await;
    }
}

/// Polls the synchronous condition `check` until it holds; panics with `what` after `limit`.
pub async fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    wait_until_within(what, limit, || {
        let done = check();
        async move { done.then_some(()) }
    })
    .await
}
