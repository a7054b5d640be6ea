//! Prometheus metrics of the finality worker.

use prometheus_endpoint::{
    register, Counter, CounterVec, Gauge, Opts, PrometheusError, Registry, U64,
};

/// The finality worker's metrics.
#[derive(Clone)]
pub(crate) struct Metrics {
    /// `substrate_finality_grandpa_round`: the voter's current round (Substrate's name).
    pub round: Gauge<U64>,
    /// `echonet_finality_grandpa_votes_total{direction="sent"|"received"}`.
    pub votes: CounterVec<U64>,
    /// `echonet_finality_grandpa_equivocations_total`: double votes detected.
    pub equivocations: Counter<U64>,
    /// `echonet_finality_grandpa_finalized_height`: the last block GRANDPA finalized.
    pub finalized_height: Gauge<U64>,
    /// `echonet_finality_grandpa_signature_checks_total`: signatures of votes, commits and
    /// catch-ups from the network checked.
    pub signature_checks: Counter<U64>,
}

impl Metrics {
    pub(crate) fn register(registry: &Registry) -> Result<Self, PrometheusError> {
        Ok(Self {
            round: register(
                Gauge::new(
                    "substrate_finality_grandpa_round",
                    "The GRANDPA round the voter is in.",
                )?,
                registry,
            )?,
            votes: register(
                CounterVec::new(
                    Opts::new(
                        "echonet_finality_grandpa_votes_total",
                        "GRANDPA votes sent and received.",
                    ),
                    &["direction"],
                )?,
                registry,
            )?,
            equivocations: register(
                Counter::new(
                    "echonet_finality_grandpa_equivocations_total",
                    "GRANDPA equivocations (double votes) detected.",
                )?,
                registry,
            )?,
            finalized_height: register(
                Gauge::new(
                    "echonet_finality_grandpa_finalized_height",
                    "Number of the last block finalized through GRANDPA.",
                )?,
                registry,
            )?,
            signature_checks: register(
                Counter::new(
                    "echonet_finality_grandpa_signature_checks_total",
                    "Signatures of GRANDPA votes, commits and catch-ups from the network checked.",
                )?,
                registry,
            )?,
        })
    }
}
