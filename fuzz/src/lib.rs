//! # echonet-fuzz
//!
//! Property-based fuzzing (proptest, stable Rust) of every decoder a peer or an RPC client
//! reaches. The targets are the modules of this crate's one test binary,
//! `fuzz/tests/it/main.rs`; this library is their harness:
//!
//! - [`fuzz`] runs one target for a time budget and reports how many inputs it survived;
//! - [`mutate`] turns valid encodings into near-valid ones (flip, truncate, extend,
//!   insert, remove, repeat a slice to nest it deeper, overwrite with a lying length);
//! - [`alloc`] measures what a decode allocates, so that a target can check that bad input
//!   never makes a decoder reserve more than the input's length justifies.
//!
//! ## Budget and reports
//!
//! - `FUZZ_SECONDS` (default 2): the time each target runs. CI runs the short default;
//!   `scripts/fuzz.sh --minutes N` runs each target for N minutes.
//! - `FUZZ_CASES` (optional): stop a target after this many inputs, whichever comes first.
//! - `FUZZ_REPORT_DIR` (optional): each target writes `<dir>/<target>.count` with the
//!   number of inputs it survived (what `scripts/fuzz.sh` tabulates).
//!
//! A failing input is shrunk by proptest and its seed saved in
//! `fuzz/regressions/<target>.txt`; every later run replays the saved seeds first. Commit
//! those files with the fix. A crash that kills the process (a stack overflow, an abort)
//! cannot be saved this way: the target's log shows it, and the failing run's exit status.

pub mod alloc;
pub mod mutate;

use proptest::{
    strategy::Strategy,
    test_runner::{Config, FileFailurePersistence, TestCaseResult, TestError, TestRunner},
};
use std::time::{Duration, Instant};

/// Time a target runs when `FUZZ_SECONDS` is not set: CI's short pass.
pub const DEFAULT_SECONDS: f64 = 2.0;

/// Inputs generated per proptest run; the budget is checked between runs.
const CASES_PER_RUN: u32 = 32;

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    let value = std::env::var(name).ok()?;
    match value.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{name}={value:?} is not a number"),
    }
}

/// The budget of one target: `FUZZ_SECONDS` and `FUZZ_CASES` (see the crate docs).
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// How long the target runs.
    pub time: Duration,
    /// At most this many inputs, if set.
    pub cases: Option<u64>,
}

impl Budget {
    /// The budget the environment gives.
    pub fn from_env() -> Self {
        let seconds: f64 = env_number("FUZZ_SECONDS").unwrap_or(DEFAULT_SECONDS);
        assert!(
            seconds.is_finite() && seconds >= 0.0,
            "FUZZ_SECONDS must be a non-negative number of seconds"
        );
        Self {
            time: Duration::from_secs_f64(seconds),
            cases: env_number("FUZZ_CASES"),
        }
    }
}

/// Runs `test` on inputs of `strategy` until the [`Budget::from_env`] is spent, and
/// returns how many inputs survived. On a failure, panics with proptest's minimal failing
/// input (after saving its seed in `fuzz/regressions/<target>.txt`). At least one run of
/// [`CASES_PER_RUN`] inputs always happens, so that a zero budget still tests something.
pub fn fuzz<S: Strategy>(
    target: &'static str,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) -> u64 {
    let budget = Budget::from_env();
    let regressions: &'static str = Box::leak(
        format!("{}/regressions/{target}.txt", env!("CARGO_MANIFEST_DIR")).into_boxed_str(),
    );
    let config = Config {
        cases: CASES_PER_RUN,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        test_name: Some(target),
        // Shrinking a slow target's failure must not eat a long run's whole budget.
        max_shrink_time: 120_000,
        ..Config::default()
    };
    // A runner counts its successes towards `cases` for good, so each run gets a fresh
    // one, seeded from this one's random generator: one random stream for the whole run.
    let mut seeds = TestRunner::new(config.clone());
    let started = Instant::now();
    let mut survived = 0u64;
    loop {
        let mut runner = TestRunner::new_with_rng(config.clone(), seeds.new_rng());
        match runner.run(&strategy, &test) {
            Ok(()) => survived += u64::from(CASES_PER_RUN),
            Err(TestError::Fail(reason, input)) => panic!(
                "fuzz target {target} failed after {survived} inputs: {reason}\n\
                 minimal input: {input:#?}\n(seed saved in {regressions})"
            ),
            Err(TestError::Abort(reason)) => {
                panic!("fuzz target {target} aborted after {survived} inputs: {reason}")
            }
        }
        if started.elapsed() >= budget.time || budget.cases.is_some_and(|c| survived >= c) {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("fuzz target {target}: {survived} inputs survived in {seconds:.1} s");
    if let Ok(dir) = std::env::var("FUZZ_REPORT_DIR") {
        let path = std::path::Path::new(&dir).join(format!("{target}.count"));
        std::fs::write(&path, format!("{survived}\n"))
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
    survived
}
