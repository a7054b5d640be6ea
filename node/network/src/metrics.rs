//! Prometheus metrics of the network. Names follow Substrate's where one exists, so that
//! existing dashboards work; the rest are `echonet_network_*`.

use prometheus_endpoint::{
    register, Counter, CounterVec, Gauge, Opts, PrometheusError, Registry, U64,
};

/// The `protocol` label of compact relay's requests for missing extrinsics.
pub(crate) const BLOCK_TRANSACTIONS_LABEL: &str = "block-txs";

pub(crate) struct Metrics {
    peers: Gauge<U64>,
    /// Known peer addresses (discovery).
    discovered: Gauge<U64>,
    kbuckets: Gauge<U64>,
    connections_opened: CounterVec<U64>,
    connections_closed: CounterVec<U64>,
    connections_denied: CounterVec<U64>,
    bytes: CounterVec<U64>,
    relay_bytes: CounterVec<U64>,
    gossip: CounterVec<U64>,
    requests: CounterVec<U64>,
    reputation_changes: CounterVec<U64>,
    bans: Counter<U64>,
    events_dropped: Counter<U64>,
    commands_dropped: Counter<U64>,
    /// Data store provider records (Kademlia).
    provider_records: Gauge<U64>,
    provided_keys: Gauge<U64>,
    provider_records_refused: CounterVec<U64>,
    provider_announcements: CounterVec<U64>,
    provider_lookups: CounterVec<U64>,
}

impl Metrics {
    pub(crate) fn register(registry: &Registry) -> Result<Self, PrometheusError> {
        Ok(Self {
            peers: register(
                Gauge::new(
                    "substrate_sub_libp2p_peers_count",
                    "Number of connected peers (handshake done)",
                )?,
                registry,
            )?,
            discovered: register(
                Gauge::new(
                    "substrate_sub_libp2p_peerset_num_discovered",
                    "Number of peers whose address we know",
                )?,
                registry,
            )?,
            kbuckets: register(
                Gauge::new(
                    "substrate_sub_libp2p_kbuckets_num_nodes",
                    "Number of nodes in the Kademlia routing table",
                )?,
                registry,
            )?,
            connections_opened: register(
                CounterVec::new(
                    Opts::new(
                        "substrate_sub_libp2p_connections_opened_total",
                        "Connections opened, by direction",
                    ),
                    &["direction"],
                )?,
                registry,
            )?,
            connections_closed: register(
                CounterVec::new(
                    Opts::new(
                        "substrate_sub_libp2p_connections_closed_total",
                        "Connections closed, by direction",
                    ),
                    &["direction"],
                )?,
                registry,
            )?,
            connections_denied: register(
                CounterVec::new(
                    Opts::new(
                        "echonet_network_connections_denied_total",
                        "Connections refused by the peer set, by reason",
                    ),
                    &["reason"],
                )?,
                registry,
            )?,
            bytes: register(
                CounterVec::new(
                    Opts::new(
                        "substrate_sub_libp2p_network_bytes_total",
                        "Payload bytes of EchoNet's protocols (gossip data, requests and \
                         responses), by direction and protocol",
                    ),
                    &["direction", "protocol"],
                )?,
                registry,
            )?,
            relay_bytes: register(
                CounterVec::new(
                    Opts::new(
                        "echonet_block_relay_bytes_total",
                        "Payload bytes of block propagation, by direction and kind: \
                         announce (header only), compact-announce (header and short ids), \
                         missing-txs (requests and answers for a compact block's missing \
                         extrinsics)",
                    ),
                    &["direction", "kind"],
                )?,
                registry,
            )?,
            gossip: register(
                CounterVec::new(
                    Opts::new(
                        "echonet_network_gossip_messages_total",
                        "Gossip messages by topic and outcome (received, sent, invalid, \
                         ignored, dropped)",
                    ),
                    &["topic", "kind"],
                )?,
                registry,
            )?,
            requests: register(
                CounterVec::new(
                    Opts::new(
                        "echonet_network_requests_total",
                        "Requests by protocol, direction and result",
                    ),
                    &["protocol", "direction", "result"],
                )?,
                registry,
            )?,
            reputation_changes: register(
                CounterVec::new(
                    Opts::new(
                        "echonet_network_reputation_changes_total",
                        "Reputation changes applied to peers, by reason",
                    ),
                    &["reason"],
                )?,
                registry,
            )?,
            bans: register(
                Counter::new("echonet_network_peers_banned_total", "Peers banned")?,
                registry,
            )?,
            events_dropped: register(
                Counter::new(
                    "echonet_network_events_dropped_total",
                    "Gossip events dropped because the node's event queue was full",
                )?,
                registry,
            )?,
            commands_dropped: register(
                Counter::new(
                    "echonet_network_commands_dropped_total",
                    "Commands from the node dropped because the network's queue was full",
                )?,
                registry,
            )?,
            provider_records: register(
                Gauge::new(
                    "echonet_network_provider_records",
                    "Data store provider records of other peers held (Kademlia)",
                )?,
                registry,
            )?,
            provided_keys: register(
                Gauge::new(
                    "echonet_network_provided_keys",
                    "Data store keys this node announces as a provider (Kademlia)",
                )?,
                registry,
            )?,
            provider_records_refused: register(
                CounterVec::new(
                    Opts::new(
                        "echonet_network_provider_records_refused_total",
                        "Provider records peers sent that were not stored, by reason",
                    ),
                    &["reason"],
                )?,
                registry,
            )?,
            provider_announcements: register(
                CounterVec::new(
                    Opts::new(
                        "echonet_network_provider_announcements_total",
                        "Our provider announcements (Kademlia ADD_PROVIDER queries), by result \
                         (started, ok, failed)",
                    ),
                    &["result"],
                )?,
                registry,
            )?,
            provider_lookups: register(
                CounterVec::new(
                    Opts::new(
                        "echonet_network_provider_lookups_total",
                        "Provider lookups (Kademlia GET_PROVIDERS queries), by result (found, \
                         none, timeout, busy)",
                    ),
                    &["result"],
                )?,
                registry,
            )?,
        })
    }

    pub(crate) fn set_peers(&self, n: usize) {
        self.peers.set(n as u64);
    }

    pub(crate) fn set_discovered(&self, n: usize) {
        self.discovered.set(n as u64);
    }

    pub(crate) fn set_kbuckets(&self, n: usize) {
        self.kbuckets.set(n as u64);
    }

    pub(crate) fn connection_opened(&self, inbound: bool) {
        self.connections_opened
            .with_label_values(&[direction(inbound)])
            .inc();
    }

    pub(crate) fn connection_closed(&self, inbound: bool) {
        self.connections_closed
            .with_label_values(&[direction(inbound)])
            .inc();
    }

    pub(crate) fn connection_denied(&self, reason: &str) {
        self.connections_denied.with_label_values(&[reason]).inc();
    }

    pub(crate) fn bytes_in(&self, protocol: &str, n: usize) {
        self.bytes
            .with_label_values(&["in", protocol])
            .inc_by(n as u64);
        if protocol == BLOCK_TRANSACTIONS_LABEL {
            self.relay_bytes(true, "missing-txs", n);
        }
    }

    pub(crate) fn bytes_out(&self, protocol: &str, n: usize) {
        self.bytes
            .with_label_values(&["out", protocol])
            .inc_by(n as u64);
        if protocol == BLOCK_TRANSACTIONS_LABEL {
            self.relay_bytes(false, "missing-txs", n);
        }
    }

    pub(crate) fn relay_bytes(&self, inbound: bool, kind: &str, n: usize) {
        self.relay_bytes
            .with_label_values(&[direction(inbound), kind])
            .inc_by(n as u64);
    }

    pub(crate) fn gossip(&self, topic: &str, kind: &str) {
        self.gossip.with_label_values(&[topic, kind]).inc();
    }

    pub(crate) fn request(&self, protocol: &str, inbound: bool, result: &str) {
        self.requests
            .with_label_values(&[protocol, direction(inbound), result])
            .inc();
    }

    pub(crate) fn reputation_change(&self, reason: &str) {
        self.reputation_changes.with_label_values(&[reason]).inc();
    }

    pub(crate) fn banned(&self) {
        self.bans.inc();
    }

    pub(crate) fn event_dropped(&self) {
        self.events_dropped.inc();
    }

    pub(crate) fn command_dropped(&self) {
        self.commands_dropped.inc();
    }

    pub(crate) fn set_provider_records(&self, remote: usize, provided: usize) {
        self.provider_records.set(remote as u64);
        self.provided_keys.set(provided as u64);
    }

    pub(crate) fn provider_record_refused(&self, reason: &str) {
        self.provider_records_refused
            .with_label_values(&[reason])
            .inc();
    }

    pub(crate) fn provider_announcement(&self, result: &str) {
        self.provider_announcements
            .with_label_values(&[result])
            .inc();
    }

    pub(crate) fn provider_lookup(&self, result: &str) {
        self.provider_lookups.with_label_values(&[result]).inc();
    }
}

fn direction(inbound: bool) -> &'static str {
    if inbound {
        "in"
    } else {
        "out"
    }
}
