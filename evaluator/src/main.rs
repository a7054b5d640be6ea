//! `echonet-evaluator`: the reference evaluator client of pallet-domains and the example
//! domain's evaluation. See the crate docs of `echonet_evaluator` and
//! `examples/domains/least-squares/README.md`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use echonet_evaluator::{least_squares, store};

/// The largest file `hash` and `store-put` read (they hold it in memory once).
const MAX_FILE_BYTES: u64 = 1 << 30;

/// The reference evaluator of EchoNet's optimization domains.
#[derive(Debug, Parser)]
#[command(name = "echonet-evaluator", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scores a linear model on a CSV dataset (the example least-squares domain): prints
    /// the mean squared error × 10^6 as one integer, computed in fixed point.
    EvalLeastSquares {
        /// The model: {"weights": [w1, …, wd], "bias": b}.
        #[arg(long)]
        model: PathBuf,
        /// The dataset: a header x1,…,xd,y, then one row per line.
        #[arg(long)]
        data: PathBuf,
    },
    /// Prints a file's content hash (0x-hex blake2_256): what an optimum is submitted with.
    Hash {
        /// The file.
        file: PathBuf,
    },
    /// Copies a file into a content store directory under its hash; prints the hash.
    StorePut {
        /// The store directory.
        #[arg(long)]
        store: PathBuf,
        /// The file.
        file: PathBuf,
    },
    /// Follows the chain and evaluates, commits and reveals for every quorum this account
    /// is drawn into.
    Run(RunArgs),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The node's WebSocket JSON-RPC endpoint.
    #[arg(long, default_value = "ws://127.0.0.1:9944")]
    rpc: String,
    /// The evaluator account's secret URI (e.g. //Dave on a dev chain, or a mnemonic).
    #[arg(long, env = "ECHONET_EVALUATOR_SURI", hide_env_values = true)]
    suri: String,
    /// Serve only this domain's quorums (default: every domain the account is drawn in).
    #[arg(long)]
    domain: Option<u32>,
    /// The content store: optimums as files named by their blake2_256 in hex.
    #[arg(long)]
    store: PathBuf,
    /// The evaluation command; {file} is replaced by the optimum's path. It must print one
    /// integer score. No shell: wrap it in sh -c '…' if you need one.
    #[arg(long)]
    eval_cmd: String,
    /// The state file (salts and scores; keep it across restarts).
    #[arg(long)]
    state: PathBuf,
    /// Seconds the evaluation command may run.
    #[arg(long, default_value_t = 60)]
    eval_timeout: u64,
    /// The largest optimum fetched, in bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    max_content_bytes: u64,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn execute(command: Command) -> Result<(), String> {
    match command {
        Command::EvalLeastSquares { model, data } => {
            let score = least_squares::evaluate_files(&model, &data).map_err(|e| e.to_string())?;
            println!("{score}");
        }
        Command::Hash { file } => {
            let bytes = store::read_limited(&file, MAX_FILE_BYTES).map_err(|e| e.to_string())?;
            println!("0x{}", hex::encode(sp_crypto_hashing::blake2_256(&bytes)));
        }
        Command::StorePut { store: dir, file } => {
            let hash = store::put(&dir, &file, MAX_FILE_BYTES).map_err(|e| e.to_string())?;
            println!("0x{}", hex::encode(hash));
        }
        Command::Run(args) => run(args)?,
    }
    Ok(())
}

fn runner_config(args: &RunArgs) -> Result<echonet_evaluator::RunnerConfig, String> {
    let eval = echonet_evaluator::EvalCommand::parse(&args.eval_cmd).map_err(|e| e.to_string())?;
    if !args.store.is_dir() {
        return Err(format!("--store {}: not a directory", args.store.display()));
    }
    Ok(echonet_evaluator::RunnerConfig {
        domain: args.domain,
        store: args.store.clone(),
        eval,
        limits: echonet_evaluator::EvalLimits {
            timeout: Duration::from_secs(args.eval_timeout),
            ..Default::default()
        },
        max_content_bytes: args.max_content_bytes,
        state_path: args.state.clone(),
        max_refusals: 3,
    })
}

#[cfg(not(feature = "chain"))]
fn run(args: RunArgs) -> Result<(), String> {
    runner_config(&args)?;
    Err(
        "this build has no chain binding: rebuild with `--features chain` \
         (cargo build -p echonet-evaluator --features chain)"
            .into(),
    )
}

#[cfg(feature = "chain")]
fn run(args: RunArgs) -> Result<(), String> {
    let cfg = runner_config(&args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async move {
        let resume = echonet_evaluator::state::State::load(
            &cfg.state_path,
            echonet_evaluator::rpc_chain::account_of(&args.suri).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?
        .last_block;
        let chain = echonet_evaluator::rpc_chain::RpcChain::connect(&args.rpc, &args.suri, resume)
            .await
            .map_err(|e| e.to_string())?;
        let mut runner = echonet_evaluator::Runner::new(chain, cfg).map_err(|e| e.to_string())?;
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| format!("cannot watch SIGTERM: {e}"))?;
        let shutdown = async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        };
        runner.run_until(shutdown).await.map_err(|e| e.to_string())
    })
}
