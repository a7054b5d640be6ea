//! Prometheus metrics, named as Substrate names them so that existing dashboards work.
//! The network's metrics (peers, bytes, gossip) are registered by `echonet-network` and
//! the sync's by `echonet-sync`, in the same registry.

use prometheus_endpoint::{
    exponential_buckets, register, Gauge, GaugeVec, Histogram, HistogramOpts, MetricSource, Opts,
    PrometheusError, Registry, SourcedCounter, U64,
};

/// The node's metrics.
#[derive(Clone)]
pub struct Metrics {
    pub block_height: GaugeVec<U64>,
    pub ready_transactions: Gauge<U64>,
    pub future_transactions: Gauge<U64>,
    pub import_time: Histogram,
    pub proposal_time: Histogram,
}

impl Metrics {
    pub fn register(
        registry: &Registry,
        chain: &str,
        node_name: &str,
    ) -> Result<Self, PrometheusError> {
        let build_info = GaugeVec::<U64>::new(
            Opts::new(
                "substrate_build_info",
                "A metric with a constant '1' value labeled by name, version",
            ),
            &["name", "version", "chain"],
        )?;
        register(build_info.clone(), registry)?
            .with_label_values(&[node_name, env!("CARGO_PKG_VERSION"), chain])
            .set(1);
        register(
            SourcedCounter::new(
                &Opts::new(
                    "echonet_cpu_seconds_total",
                    "CPU time (thread CPU clock) spent by each component since the node \
                     started: pool (validation, revalidation, ready queue), import (blocks \
                     from peers), network (libp2p worker, transaction gossip)",
                )
                .variable_label("component"),
                CpuSource,
            )?,
            registry,
        )?;
        Ok(Self {
            block_height: register(
                GaugeVec::new(
                    Opts::new("substrate_block_height", "Block height info of the chain"),
                    &["status"],
                )?,
                registry,
            )?,
            ready_transactions: register(
                Gauge::new(
                    "substrate_ready_transactions_number",
                    "Number of transactions in the ready queue",
                )?,
                registry,
            )?,
            future_transactions: register(
                Gauge::new(
                    "substrate_future_transactions_number",
                    "Number of transactions in the future queue",
                )?,
                registry,
            )?,
            import_time: register(
                Histogram::with_opts(
                    HistogramOpts::new(
                        "substrate_block_verification_and_import_time",
                        "Time taken to verify and import a block, in seconds",
                    )
                    .buckets(exponential_buckets(0.001, 2.0, 14)?),
                )?,
                registry,
            )?,
            proposal_time: register(
                Histogram::with_opts(
                    HistogramOpts::new(
                        "substrate_proposer_block_constructed",
                        "Time taken to build a block, in seconds",
                    )
                    .buckets(exponential_buckets(0.001, 2.0, 14)?),
                )?,
                registry,
            )?,
        })
    }

    /// Sets the best and finalized heights.
    pub fn set_heights(&self, best: u32, finalized: u32) {
        self.block_height
            .with_label_values(&["best"])
            .set(best as u64);
        self.block_height
            .with_label_values(&["finalized"])
            .set(finalized as u64);
    }
}

/// Reads [`echonet_cpu_meter::totals`] at each scrape.
#[derive(Clone, Copy)]
struct CpuSource;

impl MetricSource for CpuSource {
    type N = f64;

    fn collect(&self, mut set: impl FnMut(&[&str], Self::N)) {
        for (component, spent) in echonet_cpu_meter::totals() {
            set(&[component.name()], spent.as_secs_f64());
        }
    }
}
