//! Logs what an operator wants to see: each new best block as it is imported, and every
//! five seconds a one-line status. Also keeps the height and pool gauges current.

use crate::metrics::Metrics;
use echonet_client::{BlockOrigin, Client};
use echonet_txpool::Pool;
use std::{sync::Arc, time::Duration};
use tokio::sync::{broadcast::error::RecvError, watch};

const STATUS_EVERY: Duration = Duration::from_secs(5);

pub async fn run(
    client: Arc<Client>,
    pool: Arc<Pool>,
    metrics: Option<Metrics>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut imports = client.import_notifications();
    let mut finality = client.finality_notifications();
    let mut tick = tokio::time::interval(STATUS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            n = imports.recv() => match n {
                Ok(n) => {
                    if let Some(m) = &metrics {
                        m.import_time.observe(n.import_time.as_secs_f64());
                    }
                    if n.is_new_best && n.origin != BlockOrigin::Own {
                        tracing::info!(target: "informant", "✨ Imported #{} ({:?})", n.header.number, n.hash);
                    }
                    if let Some(route) = &n.tree_route {
                        tracing::info!(
                            target: "informant",
                            "♻️  Reorganization: {} blocks retracted from common ancestor #{}",
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
                let info = client.info();
                let status = pool.status();
                tracing::info!(
                    target: "informant",
                    "💤 Idle (0 peers), best: #{} ({:?}), finalized #{} ({:?}), txpool: {} ready, {} future, ⬇ 0 ⬆ 0",
                    info.best_number, info.best_hash, info.finalized_number, info.finalized_hash,
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
        // No network yet: the node has no peers.
        m.peers.set(0);
    }
}
