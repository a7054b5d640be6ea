//! Prometheus metrics (`echonet_sequencer_*`), served by `substrate-prometheus-endpoint` as
//! the node serves its own (`--prometheus-port`, 9617 by default).

use prometheus_endpoint::{
    exponential_buckets, register, Counter, Gauge, Histogram, HistogramOpts, PrometheusError,
    Registry, U64,
};

/// The sequencer's metrics.
#[derive(Clone)]
pub struct Metrics {
    /// Soft-confirmed transactions not yet proven.
    pub pending_txs: Gauge<U64>,
    /// Cut batches not yet proven.
    pub batches_awaiting_proof: Gauge<U64>,
    /// Proven batches not yet final.
    pub batches_awaiting_settlement: Gauge<U64>,
    /// Transactions soft-confirmed since start.
    pub soft_confirmed: Counter<U64>,
    /// Transactions refused since start.
    pub rejected: Counter<U64>,
    /// Batches cut since start.
    pub batches_cut: Counter<U64>,
    /// Request received → receipt sent.
    pub soft_confirm_latency: Histogram,
    /// Requests per group commit.
    pub group_size: Histogram,
    /// Cut → trace stored.
    pub cut_to_trace: Histogram,
    /// Cut → proof verified.
    pub proof_time: Histogram,
    /// Cut → final on L1.
    pub settlement_lag: Histogram,
    /// L1 submissions.
    pub l1_submissions: Counter<U64>,
    /// L1 resubmissions.
    pub l1_resubmissions: Counter<U64>,
}

fn histogram(name: &str, help: &str, buckets: Vec<f64>) -> Result<Histogram, PrometheusError> {
    Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))
}

impl Metrics {
    /// Creates the metrics, registered in `registry` when one is given.
    pub fn new(registry: Option<&Registry>) -> Result<Metrics, PrometheusError> {
        fn reg<T: Clone + prometheus_endpoint::prometheus::core::Collector + 'static>(
            m: T,
            r: Option<&Registry>,
        ) -> Result<T, PrometheusError> {
            match r {
                Some(r) => register(m, r),
                None => Ok(m),
            }
        }
        let secs = exponential_buckets(0.0005, 2.0, 16)?;
        let long = exponential_buckets(0.5, 2.0, 14)?;
        Ok(Metrics {
            pending_txs: reg(
                Gauge::new(
                    "echonet_sequencer_pending_txs",
                    "Soft-confirmed transactions not yet proven",
                )?,
                registry,
            )?,
            batches_awaiting_proof: reg(
                Gauge::new(
                    "echonet_sequencer_batches_awaiting_proof",
                    "Cut batches not yet proven",
                )?,
                registry,
            )?,
            batches_awaiting_settlement: reg(
                Gauge::new(
                    "echonet_sequencer_batches_awaiting_settlement",
                    "Proven batches not yet final on L1",
                )?,
                registry,
            )?,
            soft_confirmed: reg(
                Counter::new(
                    "echonet_sequencer_soft_confirmed_total",
                    "Transactions soft-confirmed",
                )?,
                registry,
            )?,
            rejected: reg(
                Counter::new("echonet_sequencer_rejected_total", "Transactions refused")?,
                registry,
            )?,
            batches_cut: reg(
                Counter::new("echonet_sequencer_batches_cut_total", "Batches cut")?,
                registry,
            )?,
            soft_confirm_latency: reg(
                histogram(
                    "echonet_sequencer_soft_confirm_seconds",
                    "Request received to receipt sent",
                    secs.clone(),
                )?,
                registry,
            )?,
            group_size: reg(
                histogram(
                    "echonet_sequencer_group_commit_size",
                    "Requests admitted per RocksDB group commit",
                    exponential_buckets(1.0, 2.0, 12)?,
                )?,
                registry,
            )?,
            cut_to_trace: reg(
                histogram(
                    "echonet_sequencer_cut_to_trace_seconds",
                    "Batch cut to trace stored",
                    secs,
                )?,
                registry,
            )?,
            proof_time: reg(
                histogram(
                    "echonet_sequencer_proof_seconds",
                    "Batch cut to verified proof",
                    long.clone(),
                )?,
                registry,
            )?,
            settlement_lag: reg(
                histogram(
                    "echonet_sequencer_settlement_lag_seconds",
                    "Batch cut to final on L1",
                    long,
                )?,
                registry,
            )?,
            l1_submissions: reg(
                Counter::new(
                    "echonet_sequencer_l1_submissions_total",
                    "Batches submitted to L1",
                )?,
                registry,
            )?,
            l1_resubmissions: reg(
                Counter::new(
                    "echonet_sequencer_l1_resubmissions_total",
                    "Batches resubmitted to L1",
                )?,
                registry,
            )?,
        })
    }
}
