//! # echonet-cpu-meter
//!
//! Where a node's CPU goes, by component: the CPU time (the thread CPU clock,
//! `CLOCK_THREAD_CPUTIME_ID`, so time spent waiting or preempted does not count) that
//! each component's code runs for, summed over every thread since the process started.
//!
//! - Blocking work is measured with [`measure`]: e.g. the pool's runtime validation and
//!   block import on their blocking threads.
//! - Async tasks are measured with [`Metered`] ([`metered`]): each poll of the task is
//!   timed, so a task that owns a component (the network worker, transaction gossip) is
//!   charged for its work and not for its idle time.
//! - Measurements nest: when a measured piece runs inside another on the same thread
//!   (pool admission inside a gossip task's poll), the inner component is charged and
//!   the outer one is not, so the components never count the same nanosecond twice.
//!
//! What no component claims (RPC, GRANDPA, authoring, the signature pre-checker, ...) is
//! the process's CPU time minus [`totals`]; the load benchmark reports it as "other".
//! The node serves [`totals`] as `echonet_cpu_seconds_total{component}`.

use std::{
    cell::Cell,
    future::Future,
    pin::Pin,
    sync::atomic::{AtomicU64, Ordering::Relaxed},
    task::{Context, Poll},
    time::Duration,
};

/// A part of the node whose CPU time is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// The transaction pool: decoding and validating submissions and gossiped
    /// transactions, revalidation after each block, the ready queue.
    Pool,
    /// Importing blocks received from peers (execution, state root, the database write).
    Import,
    /// The peer-to-peer layer: the libp2p worker (transport, encryption, gossip, requests)
    /// and the tasks that route its events and gossip transactions.
    Network,
}

impl Component {
    /// Every component, in the order of [`totals`].
    pub const ALL: [Component; 3] = [Component::Pool, Component::Import, Component::Network];

    /// The `component` label of the metric.
    pub fn name(self) -> &'static str {
        match self {
            Component::Pool => "pool",
            Component::Import => "import",
            Component::Network => "network",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Nanoseconds charged to each component, indexed by [`Component::index`].
static CHARGED: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

thread_local! {
    /// Nanoseconds measured on this thread so far by every measurement, nested or not;
    /// an enclosing measurement subtracts what ran inside it.
    static MEASURED: Cell<u64> = const { Cell::new(0) };
}

/// This thread's CPU time so far, in nanoseconds.
pub fn thread_cpu_nanos() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    u64::try_from(t.tv_sec)
        .unwrap_or(0)
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::try_from(t.tv_nsec).unwrap_or(0))
}

/// Runs `f`, charging its CPU time (less that of measurements inside it) to `component`.
pub fn measure<R>(component: Component, f: impl FnOnce() -> R) -> R {
    let start = thread_cpu_nanos();
    let inner_before = MEASURED.get();
    let out = f();
    let spent = thread_cpu_nanos().saturating_sub(start);
    let inner = MEASURED.get().saturating_sub(inner_before);
    CHARGED[component.index()].fetch_add(spent.saturating_sub(inner), Relaxed);
    MEASURED.set(inner_before.saturating_add(spent));
    out
}

/// A future whose polls are charged to a component.
pub struct Metered<F> {
    component: Component,
    inner: Pin<Box<F>>,
}

/// Wraps `future` so that the CPU time of its polls is charged to `component`.
pub fn metered<F: Future>(component: Component, future: F) -> Metered<F> {
    Metered {
        component,
        inner: Box::pin(future),
    }
}

impl<F: Future> Future for Metered<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let component = self.component;
        measure(component, || self.inner.as_mut().poll(cx))
    }
}

/// CPU time charged to each component since the process started.
pub fn totals() -> [(Component, Duration); 3] {
    Component::ALL.map(|c| (c, Duration::from_nanos(CHARGED[c.index()].load(Relaxed))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charged(c: Component) -> u64 {
        CHARGED[c.index()].load(Relaxed)
    }

    fn spin(d: Duration) {
        let start = thread_cpu_nanos();
        while thread_cpu_nanos() - start < d.as_nanos() as u64 {
            std::hint::black_box(0u64);
        }
    }

    // The counters are process-wide and tests run in parallel: one test, in sections.
    #[test]
    fn components_are_charged_their_cpu_time_once() {
        measure_charges_cpu_time_not_sleep();
        nested_measurements_charge_each_nanosecond_once();
        a_metered_future_is_charged_for_its_polls_only();
    }

    fn measure_charges_cpu_time_not_sleep() {
        let before = charged(Component::Import);
        measure(Component::Import, || {
            spin(Duration::from_millis(30));
            std::thread::sleep(Duration::from_millis(100));
        });
        let got = charged(Component::Import) - before;
        assert!(got >= 30_000_000, "charged {got} ns for 30 ms of work");
        assert!(got < 100_000_000, "charged {got} ns: the sleep was counted");
    }

    fn nested_measurements_charge_each_nanosecond_once() {
        // Network encloses Pool: the pool's 40 ms go to the pool only.
        let (pool0, net0) = (charged(Component::Pool), charged(Component::Network));
        let wall = std::time::Instant::now();
        let start = thread_cpu_nanos();
        measure(Component::Network, || {
            spin(Duration::from_millis(10));
            measure(Component::Pool, || spin(Duration::from_millis(40)));
        });
        let spent = thread_cpu_nanos() - start;
        let (pool, net) = (
            charged(Component::Pool) - pool0,
            charged(Component::Network) - net0,
        );
        assert!(pool >= 40_000_000, "pool {pool} ns");
        assert!((10_000_000..40_000_000).contains(&net), "network {net} ns");
        assert!(
            pool + net <= spent,
            "{pool} + {net} > {spent}: counted twice"
        );
        assert!(wall.elapsed() >= Duration::from_millis(50));
    }

    fn a_metered_future_is_charged_for_its_polls_only() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        let before = thread_cpu_nanos();
        let net0 = charged(Component::Network);
        rt.block_on(metered(Component::Network, async {
            spin(Duration::from_millis(20));
            tokio::time::sleep(Duration::from_millis(100)).await;
            spin(Duration::from_millis(20));
        }));
        let spent = thread_cpu_nanos() - before;
        let got = charged(Component::Network) - net0;
        assert!(got >= 40_000_000, "charged {got} ns for 40 ms of polls");
        assert!(spent < 100_000_000, "the thread slept, it did not spin");
        let _ = totals();
    }
}
