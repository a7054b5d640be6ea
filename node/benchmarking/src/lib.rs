//! # echonet-benchmarking
//!
//! Runs the runtime's frame-benchmarking benchmarks natively and turns them into weights.
//!
//! Substrate does this with `frame-benchmarking-cli`, which needs the wasm executor and the
//! sc-* client. Here the runtime is linked in, so [`run_pallet`] calls
//! `Benchmark_benchmark_metadata` and `Benchmark_dispatch_benchmark` through the node's
//! executor over a [`state::BenchState`], then fits a line through the timings of each
//! benchmark (frame-benchmarking's own least-squares analysis) and writes a `weights.rs`.
//!
//! Each benchmark runs once with `verify` on (a failing verification is an error), then
//! `repeat` times per component step. Components are varied one at a time, the others at
//! their maximum, as Substrate does. Times are in nanoseconds from the runtime's
//! `current_time`; weights are picoseconds (ref time). Reads and writes are fitted
//! separately and charged through `T::DbWeight`, so the execution time excludes database
//! costs only as far as the in-memory backend is cheaper than RocksDB. What one read and
//! one write cost on the real database is still to be measured (a `benchmark storage`
//! command is an open item; see BENCHMARKS.md).

pub mod state;
pub mod template;

use codec::{Decode, Encode};
use echonet_client::{executor, ChainSpec};
use frame_benchmarking::{
    Analysis, BenchmarkBatch, BenchmarkConfig, BenchmarkList, BenchmarkParameter, BenchmarkResult,
    BenchmarkSelector,
};
use sp_state_machine::OverlayedChanges;
use state::BenchState;

/// What to benchmark and how.
#[derive(Debug, Clone)]
pub struct PalletParams {
    /// A pallet name as `define_benchmarks!` lists it (e.g. `pallet_balances`), or `*`.
    pub pallet: String,
    /// A benchmark name, or `*`.
    pub extrinsic: String,
    /// Values taken by each component between its bounds.
    pub steps: u32,
    /// Timed runs per component value.
    pub repeat: u32,
    /// When not empty: exactly these values for every component (those within its
    /// bounds), instead of `steps`.
    pub values: Vec<u32>,
    /// Whether the benchmarks marked `extra` run too.
    pub extra: bool,
}

/// The fitted weight of one benchmark.
#[derive(Debug, Clone)]
pub struct BenchmarkWeight {
    /// The benchmark's name, which is the `WeightInfo` function it yields (`transfer_allow_death`).
    pub name: String,
    /// Components and their ranges.
    pub components: Vec<(String, u32, u32)>,
    /// Base execution time and per-component slopes, in picoseconds.
    pub base_time_ps: u128,
    /// Extra picoseconds per unit of each component (only the benchmark's own components).
    pub time_slopes_ps: Vec<(String, u128)>,
    /// Storage reads of the fitted line at every component 0, charged through `DbWeight`.
    pub base_reads: u128,
    /// Extra storage reads per unit of each component.
    pub read_slopes: Vec<(String, u128)>,
    /// Storage writes of the fitted line at every component 0, charged through `DbWeight`.
    pub base_writes: u128,
    /// Extra storage writes per unit of each component.
    pub write_slopes: Vec<(String, u128)>,
    /// Why the benchmark has no measured weight (it failed natively), if so.
    pub failed: Option<String>,
}

/// The weights of one pallet.
#[derive(Debug, Clone)]
pub struct PalletWeights {
    /// The pallet's crate name as `define_benchmarks!` lists it (`pallet_balances`); also
    /// the name of the weights file written for it.
    pub pallet: String,
    /// The runtime's name for the pallet instance (`Balances`), as the runtime reports it.
    pub instance: String,
    /// The selected benchmarks, in the order the runtime lists them, failed ones included.
    pub benchmarks: Vec<BenchmarkWeight>,
}

/// Errors of benchmarking.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The runtime has no `Benchmark_*` API: the node was built without the
    /// `runtime-benchmarks` feature.
    #[error(
        "this echonet-node was built without benchmarks: \
         cargo build --release -p echonet-node --features runtime-benchmarks"
    )]
    NoBenchmarks,
    /// Building the development chain's genesis state, or listing the benchmarks through
    /// the executor, failed.
    #[error("{0}")]
    Client(#[from] echonet_client::Error),
    /// No benchmark of the runtime matches [`PalletParams::pallet`] and
    /// [`PalletParams::extrinsic`] (names are matched exactly; `*` matches all).
    #[error("no benchmarks match pallet {pallet:?}, extrinsic {extrinsic:?}")]
    NothingSelected {
        /// The pallet asked for.
        pallet: String,
        /// The benchmark asked for.
        extrinsic: String,
    },
    /// A benchmark failed: its name and the runtime's message. [`run_pallet`] does not
    /// return it at present: it records a failing benchmark in
    /// [`BenchmarkWeight::failed`] and carries on with the others.
    #[error("benchmark {0} failed: {1}")]
    Benchmark(String, String),
    /// The runtime's answer (named by the first field) did not decode as the type this
    /// crate expects; the second field is the codec's error.
    #[error("cannot decode {0}: {1}")]
    Decode(&'static str, codec::Error),
}

/// Runs `method` on `state`, as a fresh call.
fn call(state: &BenchState, method: &str, input: &[u8]) -> Result<Vec<u8>, Error> {
    let mut overlay = OverlayedChanges::default();
    let mut extensions = sp_externalities::Extensions::new();
    executor::execute_for_benchmark(state, &mut overlay, &mut extensions, method, input).map_err(
        |e| match e {
            echonet_client::Error::MethodNotFound(_) => Error::NoBenchmarks,
            e => Error::Client(e),
        },
    )
}

fn genesis_state() -> Result<BenchState, Error> {
    let storage = ChainSpec::development()?.genesis_storage()?;
    Ok(BenchState::new(
        storage.top,
        storage
            .children_default
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().collect())),
    ))
}

/// The benchmarks the runtime offers: (pallet, instance, benchmark, components); those
/// marked `extra` too when `extra`.
pub fn list(extra: bool) -> Result<Vec<BenchmarkList>, Error> {
    let state = genesis_state()?;
    let out = call(&state, "Benchmark_benchmark_metadata", &extra.encode())?;
    let (lists, _storage_info) =
        <(Vec<BenchmarkList>, Vec<frame_support::traits::StorageInfo>)>::decode(&mut &out[..])
            .map_err(|e| Error::Decode("benchmark metadata", e))?;
    Ok(lists)
}

/// Component values to run: each component stepped from low to high (or taking each of
/// `values` within its bounds, when `values` is not empty) while the others stay at their
/// high value.
fn selections(
    components: &[(BenchmarkParameter, u32, u32)],
    steps: u32,
    values: &[u32],
) -> Vec<Vec<(BenchmarkParameter, u32)>> {
    if components.is_empty() {
        return vec![vec![]];
    }
    let steps = steps.max(2);
    let mut out = Vec::new();
    for (i, (_, low, high)) in components.iter().enumerate() {
        let stepped: Vec<u32> = if values.is_empty() {
            (0..steps)
                .map(|s| {
                    if high <= low {
                        *low
                    } else {
                        low + ((high - low) as u64 * s as u64 / (steps - 1) as u64) as u32
                    }
                })
                .collect()
        } else {
            values
                .iter()
                .copied()
                .filter(|v| (*low..=*high).contains(v))
                .collect()
        };
        for value in stepped {
            let selection = components
                .iter()
                .enumerate()
                .map(|(j, (p, _, h))| (*p, if i == j { value } else { *h }))
                .collect::<Vec<_>>();
            if !out.contains(&selection) {
                out.push(selection);
            }
        }
    }
    out
}

fn dispatch(
    state: &BenchState,
    list: &BenchmarkList,
    benchmark: &[u8],
    selection: &[(BenchmarkParameter, u32)],
    verify: bool,
) -> Result<Vec<BenchmarkResult>, String> {
    let config = BenchmarkConfig {
        pallet: list.pallet.clone(),
        instance: list.instance.clone(),
        benchmark: benchmark.to_vec(),
        selected_components: selection.to_vec(),
        verify,
        internal_repeats: 1,
    };
    let out =
        call(state, "Benchmark_dispatch_benchmark", &config.encode()).map_err(|e| e.to_string())?;
    let batches = <Result<Vec<BenchmarkBatch>, String>>::decode(&mut &out[..])
        .map_err(|e| format!("undecodable result: {e}"))??;
    Ok(batches.into_iter().flat_map(|b| b.results).collect())
}

fn fit(results: &Vec<BenchmarkResult>, selector: BenchmarkSelector) -> Option<Analysis> {
    Analysis::min_squares_iqr(results, selector).ok()
}

/// Runs the selected benchmarks and fits their weights.
pub fn run_pallet(params: &PalletParams) -> Result<Vec<PalletWeights>, Error> {
    let lists = list(params.extra)?;
    let state = genesis_state()?;
    let mut out = Vec::new();
    for list in &lists {
        let pallet = String::from_utf8_lossy(&list.pallet).to_string();
        if params.pallet != "*" && params.pallet != pallet {
            continue;
        }
        let mut weights = PalletWeights {
            pallet: pallet.clone(),
            instance: String::from_utf8_lossy(&list.instance).to_string(),
            benchmarks: Vec::new(),
        };
        for meta in &list.benchmarks {
            let name = String::from_utf8_lossy(&meta.name).to_string();
            if params.extrinsic != "*" && params.extrinsic != name {
                continue;
            }
            let components: Vec<(String, u32, u32)> = meta
                .components
                .iter()
                .map(|(p, l, h)| (p.to_string(), *l, *h))
                .collect();
            let mut weight = BenchmarkWeight {
                name: name.clone(),
                components: components.clone(),
                base_time_ps: 0,
                time_slopes_ps: vec![],
                base_reads: 0,
                read_slopes: vec![],
                base_writes: 0,
                write_slopes: vec![],
                failed: None,
            };
            let selections = selections(&meta.components, params.steps, &params.values);
            // One verified run first: a benchmark whose verification fails measures
            // something other than what it claims.
            let verified = selections
                .last()
                .map(|s| dispatch(&state, list, &meta.name, s, true))
                .unwrap_or(Ok(vec![]));
            if let Err(e) = verified {
                tracing::warn!(target: "benchmark", "{pallet}::{name} cannot run natively: {e}");
                weight.failed = Some(e);
                weights.benchmarks.push(weight);
                continue;
            }
            let mut results = Vec::new();
            let mut failure = None;
            'runs: for selection in &selections {
                for _ in 0..params.repeat.max(1) {
                    match dispatch(&state, list, &meta.name, selection, false) {
                        Ok(r) => results.extend(r),
                        Err(e) => {
                            failure = Some(e);
                            break 'runs;
                        }
                    }
                }
            }
            if let Some(e) = failure {
                weight.failed = Some(e);
                weights.benchmarks.push(weight);
                continue;
            }
            let names: Vec<String> = components.iter().map(|c| c.0.clone()).collect();
            let slopes = |a: &Analysis| -> Vec<(String, u128)> {
                a.names
                    .iter()
                    .cloned()
                    .zip(a.slopes.iter().copied())
                    .filter(|(n, _)| names.contains(n))
                    .collect()
            };
            if let Some(a) = fit(&results, BenchmarkSelector::ExtrinsicTime) {
                // frame-benchmarking's analysis scales nanoseconds to picoseconds, base and
                // slopes alike.
                weight.base_time_ps = a.base;
                weight.time_slopes_ps = slopes(&a);
            }
            if let Some(a) = fit(&results, BenchmarkSelector::Reads) {
                weight.base_reads = a.base;
                weight.read_slopes = slopes(&a);
            }
            if let Some(a) = fit(&results, BenchmarkSelector::Writes) {
                weight.base_writes = a.base;
                weight.write_slopes = slopes(&a);
            }
            tracing::info!(
                target: "benchmark",
                "{pallet}::{name}: {:.1} us + {:?}, {} reads, {} writes ({} runs)",
                weight.base_time_ps as f64 / 1e6,
                weight.time_slopes_ps,
                weight.base_reads,
                weight.base_writes,
                results.len()
            );
            weights.benchmarks.push(weight);
        }
        if !weights.benchmarks.is_empty() {
            out.push(weights);
        }
    }
    if out.is_empty() {
        return Err(Error::NothingSelected {
            pallet: params.pallet.clone(),
            extrinsic: params.extrinsic.clone(),
        });
    }
    Ok(out)
}
