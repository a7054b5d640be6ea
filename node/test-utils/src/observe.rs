//! What a test observes besides the chain: Prometheus metrics and logs.

use prometheus_endpoint::Registry;

/// The sum of metric `name` over the series whose labels include `labels` (counters and
/// gauges alike).
pub fn metric(registry: &Registry, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut total = 0.0;
    for family in registry.gather() {
        if family.get_name() != name {
            continue;
        }
        for m in family.get_metric() {
            let matches = labels.iter().all(|(k, v)| {
                m.get_label()
                    .iter()
                    .any(|l| l.get_name() == *k && l.get_value() == *v)
            });
            if matches {
                // One of the two is set, the other reads 0.
                total += m.get_counter().get_value() + m.get_gauge().get_value();
            }
        }
    }
    total
}

/// Logs to the test's output, at `RUST_LOG`'s levels (warnings by default). Idempotent.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_test_writer()
        .try_init();
}
