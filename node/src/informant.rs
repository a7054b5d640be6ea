//! Logs what an operator wants to see, in Substrate's words: each new best block as it is
//! imported, and every five seconds a status line:
//!
//! ```text
//! ⚙️  Syncing 123.4 bps, target=#5000 (3 peers), best: #1200 (0x…), finalized #1100 (0x…), ⬇ 1.2MiB/s ⬆ 0.3kiB/s
//! 💤 Idle (3 peers), best: #5000 (0x…), finalized #4998 (0x…), ⬇ 2.1kiB/s ⬆ 1.9kiB/s
//! ```
//!
//! The speed is of the best block; the bandwidth is the payload of EchoNet's protocols as
//! the network counts it. Also keeps the height and pool gauges current.

use crate::metrics::Metrics;
use echonet_client::{BlockOrigin, Client};
use echonet_sync::SyncHandle;
use echonet_txpool::Pool;
use prometheus_endpoint::Registry;
use std::{
    fmt,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::{broadcast::error::RecvError, watch};

const STATUS_EVERY: Duration = Duration::from_secs(5);

/// The network's byte counter, summed by direction.
const BYTES_METRIC: &str = "substrate_sub_libp2p_network_bytes_total";

/// Bytes per second, as Substrate's informant shows them.
struct Rate(u64);

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.0 {
            0 => write!(f, "0"),
            n if n < 100 => write!(f, "{n} B/s"),
            n if n < 1024 * 1024 => write!(f, "{:.1}kiB/s", n as f64 / 1024.0),
            n => write!(f, "{:.1}MiB/s", n as f64 / (1024.0 * 1024.0)),
        }
    }
}

/// Total bytes received and sent, from the network's metrics.
fn bytes_total(registry: &Registry) -> (u64, u64) {
    let (mut down, mut up) = (0.0, 0.0);
    for family in registry.gather() {
        if family.get_name() != BYTES_METRIC {
            continue;
        }
        for m in family.get_metric() {
            let value = m.get_counter().get_value();
            for label in m.get_label() {
                if label.get_name() == "direction" {
                    match label.get_value() {
                        "in" => down += value,
                        "out" => up += value,
                        _ => {}
                    }
                }
            }
        }
    }
    (down as u64, up as u64)
}

/// The status line's first part: `⚙️  Syncing 12.3 bps, target=#N` or `💤 Idle`.
fn status_prefix(major_syncing: bool, speed: f64, target: Option<u32>) -> String {
    match (major_syncing, target) {
        (true, Some(target)) => format!("⚙️  Syncing {speed:4.1} bps, target=#{target}"),
        _ => "💤 Idle".to_string(),
    }
}

pub struct Informant {
    pub client: Arc<Client>,
    pub pool: Arc<Pool>,
    pub metrics: Option<Metrics>,
    pub sync: Option<SyncHandle>,
    /// Where the network counts its bytes.
    pub registry: Registry,
}

pub async fn run(informant: Informant, mut shutdown: watch::Receiver<bool>) {
    let Informant {
        client,
        pool,
        metrics,
        sync,
        registry,
    } = informant;
    let mut imports = client.import_notifications();
    let mut finality = client.finality_notifications();
    let mut tick = tokio::time::interval(STATUS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = (
        Instant::now(),
        client.info().best_number,
        bytes_total(&registry),
    );
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            n = imports.recv() => match n {
                Ok(n) => {
                    if let Some(m) = &metrics {
                        m.import_time.observe(n.import_time.as_secs_f64());
                    }
                    // During a major sync, the status line tells the story.
                    let syncing = sync.as_ref().is_some_and(|s| s.is_major_syncing());
                    if n.is_new_best && n.origin != BlockOrigin::Own && !syncing {
                        tracing::info!(target: "informant", "✨ Imported #{} ({:?})", n.header.number, n.hash);
                    }
                    if let Some(route) = &n.tree_route {
                        tracing::info!(
                            target: "informant",
                            "♻️  Reorganization on block #{} ({:?}): {} blocks retracted from common ancestor #{}",
                            n.header.number,
                            n.hash,
                            route.retracted.len(),
                            route.common.1
                        );
                    }
                    update_gauges(&client, &pool, &metrics);
                }
                Err(RecvError::Lagged(_)) => update_gauges(&client, &pool, &metrics),
                Err(RecvError::Closed) => break,
            },
            n = finality.recv() => match n {
                Ok(_) | Err(RecvError::Lagged(_)) => update_gauges(&client, &pool, &metrics),
                Err(RecvError::Closed) => break,
            },
            _ = tick.tick() => {
                let now = Instant::now();
                let info = client.info();
                let bytes = bytes_total(&registry);
                let secs = now.saturating_duration_since(last.0).as_secs_f64().max(0.001);
                let speed = f64::from(info.best_number.saturating_sub(last.1)) / secs;
                let down = Rate(((bytes.0.saturating_sub(last.2 .0)) as f64 / secs) as u64);
                let up = Rate(((bytes.1.saturating_sub(last.2 .1)) as f64 / secs) as u64);
                last = (now, info.best_number, bytes);
                let (major, target, peers) = match &sync {
                    Some(s) => {
                        let status = s.status();
                        (status.is_major_syncing(), status.best_seen, status.num_peers())
                    }
                    None => (false, None, 0),
                };
                tracing::info!(
                    target: "informant",
                    "{} ({peers} peers), best: #{} ({:?}), finalized #{} ({:?}), ⬇ {down} ⬆ {up}",
                    status_prefix(major, speed, target),
                    info.best_number, info.best_hash, info.finalized_number, info.finalized_hash,
                );
                let status = pool.status();
                tracing::debug!(
                    target: "informant",
                    "txpool: {} ready, {} future",
                    status.ready, status.future,
                );
                update_gauges(&client, &pool, &metrics);
            }
        }
    }
}

fn update_gauges(client: &Client, pool: &Pool, metrics: &Option<Metrics>) {
    if let Some(m) = metrics {
        let info = client.info();
        m.set_heights(info.best_number, info.finalized_number);
        let status = pool.status();
        m.ready_transactions.set(status.ready as u64);
        m.future_transactions.set(status.future as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_status_read_like_substrate() {
        assert_eq!(Rate(0).to_string(), "0");
        assert_eq!(Rate(42).to_string(), "42 B/s");
        assert_eq!(Rate(2048).to_string(), "2.0kiB/s");
        assert_eq!(Rate(3 * 1024 * 1024).to_string(), "3.0MiB/s");
        assert_eq!(
            status_prefix(true, 123.45, Some(5000)),
            "⚙️  Syncing 123.5 bps, target=#5000"
        );
        assert_eq!(status_prefix(false, 0.0, Some(10)), "💤 Idle");
    }
}
