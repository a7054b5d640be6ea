//! The Prometheus exporter serves the metrics Substrate dashboards expect, under
//! Substrate's names.

use echonet_tests::{raw, rpc, within, Node, BLOCK_TIMEOUT, RPC_TIMEOUT};
use std::{collections::BTreeMap, time::Duration};

/// `name{labels}` → value, from Prometheus' text format.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_string(), value.parse().ok()?))
        })
        .collect()
}

async fn scrape(node: &Node) -> BTreeMap<String, f64> {
    let resp = raw::http_get(node.prometheus_addr(), "/metrics", RPC_TIMEOUT)
        .await
        .expect("GET /metrics");
    assert_eq!(resp.status, 200, "{}", resp.text());
    samples(&resp.text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_endpoint_serves_substrate_block_pool_import_and_peer_metrics() {
    let node = Node::builder("dev node with prometheus")
        .args(["--dev", "--tmp"])
        .prometheus()
        .start()
        .await;
    let ws = node.ws().await;
    let best = rpc::wait_for_best_above(&ws, 1, 2 * BLOCK_TIMEOUT).await;

    // The exporter may lag the chain by its update interval, and GRANDPA finalizes a round
    // after the block is authored: poll until it shows the block and a finalized one.
    let best_series = r#"substrate_block_height{status="best"}"#;
    let finalized_series = r#"substrate_block_height{status="finalized"}"#;
    let metrics = within(
        2 * BLOCK_TIMEOUT,
        "the best and a finalized height in /metrics",
        async {
            loop {
                let metrics = scrape(&node).await;
                if metrics
                    .get(best_series)
                    .is_some_and(|h| *h >= best.number as f64)
                    && metrics.get(finalized_series).is_some_and(|h| *h >= 1.0)
                {
                    return metrics;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        },
    )
    .await;

    let get = |series: &str| {
        *metrics
            .get(series)
            .unwrap_or_else(|| panic!("/metrics has no {series}; it has {:?}", metrics.keys()))
    };
    let finalized = get(finalized_series);
    assert!(
        finalized >= 1.0 && finalized <= get(best_series),
        "finalized height {finalized}"
    );
    assert!(get("substrate_ready_transactions_number") >= 0.0);
    assert!(
        get("substrate_block_verification_and_import_time_count") >= best.number as f64,
        "fewer imports timed than blocks imported"
    );
    assert!(
        metrics.contains_key(r#"substrate_block_verification_and_import_time_bucket{le="+Inf"}"#)
    );
    assert_eq!(
        get("substrate_sub_libp2p_peers_count"),
        0.0,
        "a lone dev node has no peers"
    );
}
