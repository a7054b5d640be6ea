//! `echonet-sequencer`: see the library docs and `--help`.

use clap::Parser;
use echonet_sequencer::cli::{Cli, Command};

fn init_logging(filter: Option<&str>) {
    let filter = filter
        .map(str::to_string)
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info".into());
    // arkworks opens an info-level span per constraint namespace and never closes it (the
    // dev key setup synthesizes the circuit): recorded by the fmt subscriber, those spans
    // took over 10 GB for four slots. Off unless asked for.
    let filter = if filter.contains("gr1cs") {
        filter
    } else {
        format!("{filter},gr1cs=off")
    };
    // Colours only on a terminal, as Substrate nodes do: log files stay plain text.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .try_init();
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Some(Command::Benchmark(cmd)) => {
            init_logging(Some("warn"));
            rt.block_on(echonet_sequencer::bench::run(cmd))
        }
        Some(Command::Run(cmd)) => {
            init_logging(cmd.log.as_deref());
            rt.block_on(echonet_sequencer::node::run(cmd))
        }
        None => {
            init_logging(cli.run.log.as_deref());
            rt.block_on(echonet_sequencer::node::run(cli.run))
        }
        Some(Command::Rebuild(cmd)) => {
            init_logging(cmd.log.as_deref());
            rt.block_on(echonet_sequencer::node::rebuild(cmd))
        }
    }
}
