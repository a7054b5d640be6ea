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

/// Runs the future that `test` makes to completion on a multi-thread tokio runtime whose
/// threads have the node's stack size (`RUNTIME_THREAD_STACK`, as `echonet-node` builds
/// its runtime), the thread that drives the future included. For tests of calls whose
/// honest use needs more stack than a test thread's 2 MiB (a `Utility.batch` nested 200
/// deep takes about 4 MiB in a debug build), as the node's threads have it.
pub fn on_node_threads<F, Fut>(test: F) -> Fut::Output
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future,
    Fut::Output: Send + 'static,
{
    let stack = echonet_client::executor::RUNTIME_THREAD_STACK;
    std::thread::Builder::new()
        .name("node-stack-test".into())
        .stack_size(stack)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(stack)
                .enable_all()
                .build()
                .expect("a tokio runtime")
                .block_on(test())
        })
        .expect("a test thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
