//! `echonet-node`: the EchoNet validator and full node.

mod authoring;
mod benchmark;
mod cli;
mod commands;
mod corpus;
mod dds;
mod dds_bench;
mod dds_chain;
mod fee_market;
mod finality;
mod informant;
mod keystore;
mod malloc;
mod metrics;
mod network;
mod network_key;
mod poe;
mod rpc;
mod secret_file;
mod service;
mod transactions;
mod warp_bench;

use clap::Parser;
use cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

fn init_logging(patterns: &[String]) -> anyhow::Result<()> {
    // Info for everything, but quiet for the runtime. frame_executive opens an INFO span
    // per extrinsic (and per block) whose fields are the hex-encoded extrinsic (the whole
    // block); an enabled span gets its fields formatted, which cost 5% of block import.
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        // libp2p's own info lines (mDNS interfaces, the swarm's peer id) repeat what the
        // network logs under `network`; gossipsub warns of every duplicate publish, which
        // content-addressed messages make routine (two voters sending the same commit).
        EnvFilter::new(
            "info,runtime=warn,frame_executive=warn,hyper=warn,jsonrpsee=warn,\
             libp2p_mdns=warn,libp2p_swarm=warn,libp2p_gossipsub=error",
        )
    });
    for pattern in patterns.iter().flat_map(|p| p.split(',')) {
        let directive = pattern
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("invalid log pattern {pattern:?}: {e}"))?;
        filter = filter.add_directive(directive);
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}

/// Runtime panics come from input (a bad block, undecodable call data) and are turned
/// into errors by the executor; log them quietly. Anything else is a node bug.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if echonet_client::executor::in_runtime_call() {
            tracing::debug!(target: "runtime", "runtime panicked: {info}");
        } else {
            default(info);
        }
    }));
}

fn main() {
    malloc::tune();
    let cli = Cli::parse();
    let shared = match &cli.subcommand {
        None => &cli.run.shared,
        Some(Command::BuildSpec(c)) => &c.shared,
        Some(Command::PurgeChain(c)) => &c.shared,
        Some(Command::ExportBlocks(c)) => &c.shared,
        Some(Command::ImportBlocks(c)) => &c.shared,
        Some(Command::ExportState(c)) => &c.shared,
        Some(Command::ImportState(c)) => &c.shared,
        Some(Command::Key(_))
        | Some(Command::Benchmark(_))
        | Some(Command::Poe(_))
        | Some(Command::Dds(_)) => &cli.run.shared,
    };
    if let Err(e) = init_logging(&shared.log) {
        eprintln!("Error: {e}");
        std::process::exit(1);
    }
    install_panic_hook();
    if echonet_runtime::BUILT_WITH_DEBUG_ASSERTIONS {
        // A build profile without Cargo.toml's runtime-crates list: this node's runtime
        // would panic where every other node's logs and goes on, and split from them.
        eprintln!(
            "Error: this echonet-node was built with debug assertions in its runtime, which \
             would make it disagree with other nodes on some blocks. Build it with the \
             workspace's dev or release profile (Cargo.toml lists the runtime crates that \
             must not have them)."
        );
        std::process::exit(1);
    }
    let result = match cli.subcommand {
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("echonet")
            // Workers and the blocking pool run the runtime (RPC, pool, sync, authoring):
            // a stack overflow there aborts the node, see RUNTIME_THREAD_STACK.
            .thread_stack_size(echonet_client::executor::RUNTIME_THREAD_STACK)
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(service::run(cli.run))),
        Some(Command::BuildSpec(c)) => commands::build_spec(&c),
        Some(Command::PurgeChain(c)) => commands::purge_chain(&c),
        Some(Command::ExportBlocks(c)) => commands::export_blocks(&c),
        Some(Command::ImportBlocks(c)) => commands::import_blocks(&c),
        Some(Command::ExportState(c)) => commands::export_state(&c),
        Some(Command::ImportState(c)) => commands::import_state(&c),
        Some(Command::Key(c)) => commands::key(&c),
        Some(Command::Benchmark(c)) => benchmark::run(&c),
        Some(Command::Poe(c)) => poe::run(&c),
        Some(Command::Dds(c)) => dds::run(&c),
    };
    if let Err(e) = result {
        eprintln!("Error: {e:#}");
        std::process::exit(1);
    }
}
