//! Command line, Substrate-style: `echonet-sequencer [run] FLAGS`, `echonet-sequencer
//! rebuild --l1 URL --base-path DIR`, `echonet-sequencer benchmark`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Parses `2s`, `500ms`, `2m`, `1h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected a duration like 2s or 500ms"))?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" => v * 60.0,
        "h" => v * 3600.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (ms, s, m, h)")),
    };
    if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
        return Err(format!("{s:?}: out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `echonet-sequencer`.
#[derive(Debug, Parser)]
#[command(
    name = "echonet-sequencer",
    version,
    about = "EchoNet rollup sequencer: L2 JSON-RPC, soft confirmations, batches, prover jobs, L1 settlement",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Subcommand; without one, `run`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags of `run` when no subcommand is given.
    #[command(flatten)]
    pub run: RunCmd,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the sequencer (the default).
    Run(RunCmd),
    /// Rebuild the L2 state from L1 data alone into a new store.
    Rebuild(RebuildCmd),
    /// Measure soft-confirmation throughput and latency through the real admission path.
    Benchmark(BenchmarkCmd),
}

/// Flags of `run`.
#[derive(Debug, Clone, Args)]
pub struct RunCmd {
    /// L1 node WebSocket URL.
    #[arg(long, default_value = "ws://127.0.0.1:9944")]
    pub l1: String,
    /// Directory of the database and keys.
    #[arg(long, short = 'd')]
    pub base_path: Option<PathBuf>,
    /// Use a temporary base path (removed on exit).
    #[arg(long)]
    pub tmp: bool,
    /// L2 JSON-RPC port (HTTP and WebSocket).
    #[arg(long, default_value_t = 9955)]
    pub rpc_port: u16,
    /// Listen for L2 RPC on all interfaces instead of 127.0.0.1.
    #[arg(long)]
    pub rpc_external: bool,
    /// Open L2 RPC connections at most.
    #[arg(long, default_value_t = 1000)]
    pub rpc_max_connections: u32,
    /// Prover farm RPC port.
    #[arg(long, default_value_t = 9956)]
    pub prover_rpc_port: u16,
    /// Listen for provers on all interfaces.
    #[arg(long)]
    pub prover_rpc_external: bool,
    /// Prometheus port.
    #[arg(long, default_value_t = 9617)]
    pub prometheus_port: u16,
    /// Serve Prometheus on all interfaces.
    #[arg(long)]
    pub prometheus_external: bool,
    /// Do not serve Prometheus metrics.
    #[arg(long)]
    pub no_prometheus: bool,
    /// The operator's L1 key (sr25519): a secret URI (`//Alice`, a mnemonic, 0x seed) or a
    /// file holding one. Signs `submit_batch` and the receipts.
    #[arg(long)]
    pub operator_key: Option<String>,
    /// The operator's L2 key (hex seed), whose account receives the fees.
    #[arg(long)]
    pub l2_key: Option<String>,
    /// The L2 account index that receives the fees.
    #[arg(long)]
    pub fee_account: Option<u32>,
    /// Key directory of `echonet-prover setup` (verifying key, meta.json).
    #[arg(long)]
    pub keys: Option<PathBuf>,
    /// Cut a batch this long after its first entry.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub max_batch_wait: Duration,
    /// Cut an empty batch when none was cut for this long (default: half the bridge's batch
    /// timeout, read from L1).
    #[arg(long, value_parser = parse_duration)]
    pub keepalive: Option<Duration>,
    /// Unproven soft-confirmed transactions at most.
    #[arg(long, default_value_t = 100_000)]
    pub pool_limit: usize,
    /// Unproven soft-confirmed transactions per account at most.
    #[arg(long, default_value_t = 64)]
    pub per_account_limit: u32,
    /// `l2_sendTransaction` calls per second per IP (0: unlimited).
    #[arg(long, default_value_t = 0)]
    pub rate_limit: u32,
    /// Smallest fee accepted (in the token's smallest unit).
    #[arg(long, default_value_t = 1)]
    pub min_fee: u128,
    /// A proof job's lease without a heartbeat.
    #[arg(long, default_value = "120s", value_parser = parse_duration)]
    pub job_lease: Duration,
    /// Development mode: temporary base path (unless `--base-path` is given), local dev
    /// node, INSECURE well-known keys,
    /// registers them with the bridge through sudo and creates the fee account.
    #[arg(long)]
    pub dev: bool,
    /// Log filter (as RUST_LOG).
    #[arg(long, short = 'l')]
    pub log: Option<String>,
}

/// Flags of `rebuild`.
#[derive(Debug, Clone, Args)]
pub struct RebuildCmd {
    /// L1 node WebSocket URL.
    #[arg(long, default_value = "ws://127.0.0.1:9944")]
    pub l1: String,
    /// Directory of the new store (must not hold one).
    #[arg(long, short = 'd')]
    pub base_path: PathBuf,
    /// The L2 account index that will receive the fees.
    #[arg(long)]
    pub fee_account: u32,
    /// Log filter.
    #[arg(long, short = 'l')]
    pub log: Option<String>,
}

/// Flags of `benchmark`.
#[derive(Debug, Clone, Args)]
pub struct BenchmarkCmd {
    /// Transfers to send in the throughput run.
    #[arg(long, default_value_t = 40_000)]
    pub txs: usize,
    /// Sending accounts (each sends txs/accounts transfers).
    #[arg(long, default_value_t = 2_000)]
    pub accounts: u32,
    /// Concurrent WebSocket clients.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// Requests in flight per client.
    #[arg(long, default_value_t = 64)]
    pub in_flight: usize,
    /// Slots per batch.
    #[arg(long, default_value_t = 64)]
    pub batch_size: u32,
    /// Paced rate of the latency run (tx/s).
    #[arg(long, default_value_t = 1_000)]
    pub paced_rate: u32,
    /// Seconds of the latency run.
    #[arg(long, default_value_t = 10)]
    pub paced_secs: u64,
    /// Also run the witness pipeline (execute_batch) during the measurement.
    #[arg(long)]
    pub with_pipeline: bool,
    /// Database directory (default: a temporary one).
    #[arg(long)]
    pub base_path: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("x").is_err());
        assert!(parse_duration("5y").is_err());
        assert!(parse_duration("1e300").is_err());
    }

    #[test]
    fn flags_parse_without_subcommand() {
        let c = Cli::try_parse_from(["echonet-sequencer", "--rpc-port", "1", "--dev"]).unwrap();
        assert!(c.command.is_none());
        assert!(c.run.dev);
        assert_eq!(c.run.rpc_port, 1);
        let c = Cli::try_parse_from([
            "echonet-sequencer",
            "rebuild",
            "-d",
            "/x",
            "--fee-account",
            "0",
        ])
        .unwrap();
        assert!(matches!(c.command, Some(Command::Rebuild(_))));
    }
}
