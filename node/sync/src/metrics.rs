//! Prometheus metrics of the sync, Substrate's name where there is one.

use prometheus_endpoint::{
    register, Counter, CounterVec, Gauge, Opts, PrometheusError, Registry, U64,
};

#[derive(Clone)]
pub(crate) struct Metrics {
    pub(crate) is_major_syncing: Gauge<U64>,
    pub(crate) blocks_imported: CounterVec<U64>,
    pub(crate) bad_blocks: Counter<U64>,
    pub(crate) requests: CounterVec<U64>,
    pub(crate) justifications: CounterVec<U64>,
    pub(crate) orphans: Gauge<U64>,
    pub(crate) orphans_refused: Counter<U64>,
    pub(crate) queued: Gauge<U64>,
    pub(crate) relay: CounterVec<U64>,
    pub(crate) relay_full_bytes: Counter<U64>,
}

impl Metrics {
    pub(crate) fn register(registry: &Registry) -> Result<Self, PrometheusError> {
        Ok(Self {
            is_major_syncing: register(
                Gauge::new(
                    "substrate_sub_libp2p_is_major_syncing",
                    "Whether the node is catching up a long way behind its peers (1) or not (0)",
                )?,
                registry,
            )?,
            blocks_imported: register(
                CounterVec::new(
                    Opts::new(
                        "echonet_sync_blocks_imported_total",
                        "Blocks from peers imported, by origin (broadcast, initial_sync)",
                    ),
                    &["origin"],
                )?,
                registry,
            )?,
            bad_blocks: register(
                Counter::new(
                    "echonet_sync_bad_blocks_total",
                    "Blocks from peers that failed verification or execution",
                )?,
                registry,
            )?,
            requests: register(
                CounterVec::new(
                    Opts::new(
                        "echonet_sync_block_requests_total",
                        "Block requests of the sync, by kind (range, fetch) and result \
                         (ok, empty, failed, bad, slow)",
                    ),
                    &["kind", "result"],
                )?,
                registry,
            )?,
            justifications: register(
                CounterVec::new(
                    Opts::new(
                        "echonet_sync_justifications_total",
                        "Justifications that came with synced blocks, by result \
                         (imported, bad, failed, no_finality)",
                    ),
                    &["result"],
                )?,
                registry,
            )?,
            orphans: register(
                Gauge::new(
                    "echonet_sync_orphan_blocks",
                    "Blocks held while their ancestors are fetched",
                )?,
                registry,
            )?,
            orphans_refused: register(
                Counter::new(
                    "echonet_sync_orphans_refused_total",
                    "Orphan blocks not held because their sender's orphans filled its quota",
                )?,
                registry,
            )?,
            queued: register(
                Gauge::new(
                    "echonet_sync_queued_blocks",
                    "Blocks downloaded and waiting for import",
                )?,
                registry,
            )?,
            relay: register(
                CounterVec::new(
                    Opts::new(
                        "echonet_sync_block_relay_total",
                        "Compact block announcements, by how the block arrived: rebuilt, \
                         rebuilt_with_fetch, or a whole-block fallback (fallback_collision, \
                         fallback_missing, fallback_request, fallback_root)",
                    ),
                    &["result"],
                )?,
                registry,
            )?,
            relay_full_bytes: register(
                Counter::new(
                    "echonet_sync_block_relay_full_bytes_total",
                    "Bytes of whole blocks fetched after an announcement (full relay, or a \
                     compact fallback), as encoded in the response",
                )?,
                registry,
            )?,
        })
    }
}
