//! Command line, after Substrate's habits so that operators' muscle memory carries over.

use clap::{Args, Parser, Subcommand, ValueEnum};
use echonet_network::Multiaddr;
use std::path::PathBuf;

/// EchoNet node.
#[derive(Debug, Parser)]
#[command(name = "echonet-node", version, about = "EchoNet validator and full node", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub subcommand: Option<Command>,

    #[command(flatten)]
    pub run: RunCmd,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a chain spec (JSON) to stdout.
    BuildSpec(BuildSpecCmd),
    /// Delete the chain's database.
    PurgeChain(PurgeChainCmd),
    /// Write blocks to a file (or stdout).
    ExportBlocks(ExportBlocksCmd),
    /// Import blocks from a file (or stdin), verifying and executing each.
    ImportBlocks(ImportBlocksCmd),
    /// Write the state at a finalized block to a file (a state snapshot).
    ExportState(ExportStateCmd),
    /// Start a new database from a state snapshot, checked against a block hash you trust.
    ImportState(ImportStateCmd),
    /// Key utilities: generate, inspect and insert keys.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Benchmarks of the real import and authoring paths.
    #[command(subcommand)]
    Benchmark(BenchmarkCmd),
    /// Proof-of-engagement tools: the reference score aggregator.
    #[command(subcommand)]
    Poe(crate::poe::PoeCmd),
    /// The distributed data store: put a file into a running node, get content back.
    #[command(subcommand)]
    Dds(crate::dds::DdsCmd),
}

/// Where the chain and its data live; shared by every subcommand that opens a chain.
#[derive(Debug, Clone, Args)]
pub struct SharedParams {
    /// The chain: `dev`, `local`, or a path to a chain spec JSON file.
    #[arg(long, value_name = "CHAIN_SPEC")]
    pub chain: Option<String>,

    /// Shortcut for `--chain=dev --alice --tmp --force-authoring --rpc-cors=all --validator`.
    #[arg(long)]
    pub dev: bool,

    /// Where the node keeps its data. Defaults to `~/.local/share/echonet-node`.
    #[arg(long, short = 'd', value_name = "PATH")]
    pub base_path: Option<PathBuf>,

    /// Log filter, e.g. `-l txpool=debug,runtime=trace`.
    #[arg(long, short = 'l', value_name = "LOG_PATTERN", num_args = 1..)]
    pub log: Vec<String>,
}

impl SharedParams {
    /// The `--chain` value after `--dev`.
    pub fn chain_id(&self) -> String {
        match (&self.chain, self.dev) {
            (Some(c), _) => c.clone(),
            (None, true) => "dev".into(),
            // Substrate nodes default to their live chain; EchoNet has none yet, so the
            // default is the local testnet rather than something surprising.
            (None, false) => "local".into(),
        }
    }
}

/// What `--dev-equivocate` makes a validator do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Equivocation {
    /// Two blocks in each of its Aura slots.
    Aura,
    /// Two conflicting GRANDPA prevotes in every round.
    Grandpa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RpcMethods {
    /// `safe` if the RPC listens beyond localhost, `unsafe` otherwise.
    Auto,
    /// Only methods that are safe to expose publicly.
    Safe,
    /// Every method, including author_insertKey and author_rotateKeys.
    Unsafe,
}

/// Run a node.
#[derive(Debug, Clone, Args)]
pub struct RunCmd {
    #[command(flatten)]
    pub shared: SharedParams,

    /// Use a temporary directory for the base path; it is deleted when the node exits.
    #[arg(long, conflicts_with = "base_path")]
    pub tmp: bool,

    /// A human-readable name for this node, shown in its logs. (`system_name` reports the
    /// software, `echonet-node`, as in Substrate.)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Take part in block production and finality.
    #[arg(long)]
    pub validator: bool,

    /// Author blocks even when the node is offline or syncing.
    #[arg(long)]
    pub force_authoring: bool,

    /// Insert Alice's dev keys and act as validator.
    #[arg(long, conflicts_with_all = ["bob", "charlie", "dave", "eve", "ferdie"])]
    pub alice: bool,
    /// Insert Bob's dev keys and act as validator.
    #[arg(long, conflicts_with_all = ["charlie", "dave", "eve", "ferdie"])]
    pub bob: bool,
    /// Insert Charlie's dev keys and act as validator.
    #[arg(long, conflicts_with_all = ["dave", "eve", "ferdie"])]
    pub charlie: bool,
    /// Insert Dave's dev keys and act as validator.
    #[arg(long, conflicts_with_all = ["eve", "ferdie"])]
    pub dave: bool,
    /// Insert Eve's dev keys and act as validator.
    #[arg(long, conflicts_with_all = ["ferdie"])]
    pub eve: bool,
    /// Insert Ferdie's dev keys and act as validator.
    #[arg(long)]
    pub ferdie: bool,

    /// P2P listen port: the node listens on `/ip4/0.0.0.0/tcp/<PORT>` unless
    /// `--listen-addr` is given.
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,

    /// Listen on these multiaddrs instead (e.g. `/ip4/127.0.0.1/tcp/30333`).
    #[arg(long, value_name = "LISTEN_ADDR", num_args = 1..)]
    pub listen_addr: Vec<Multiaddr>,

    /// Addresses to advertise to peers besides the listen addresses (e.g. behind NAT).
    #[arg(long, value_name = "PUBLIC_ADDR", num_args = 1..)]
    pub public_addr: Vec<Multiaddr>,

    /// Where peer discovery starts: multiaddrs ending in `/p2p/<peer id>`. The chain
    /// spec's boot nodes are used as well.
    #[arg(long, value_name = "ADDR", num_args = 1..)]
    pub bootnodes: Vec<Multiaddr>,

    /// Peers to stay connected to, outside the peer slots: multiaddrs ending in
    /// `/p2p/<peer id>`.
    #[arg(long, value_name = "ADDR", num_args = 1..)]
    pub reserved_nodes: Vec<Multiaddr>,

    /// Connect to reserved nodes only, and accept connections from them only.
    #[arg(long)]
    pub reserved_only: bool,

    /// Most peers that connected to us (reserved peers not counted).
    #[arg(long, value_name = "COUNT", default_value_t = 32)]
    pub in_peers: u32,

    /// Most peers we connected to (reserved peers not counted).
    #[arg(long, value_name = "COUNT", default_value_t = 8)]
    pub out_peers: u32,

    /// Do not discover peers on the local network (mDNS is on by default for dev and
    /// local chains).
    #[arg(long)]
    pub no_mdns: bool,

    /// The node's libp2p secret key: 32 bytes in hex. Its peer id derives from it.
    #[arg(long, value_name = "HEX", conflicts_with = "node_key_file")]
    pub node_key: Option<String>,

    /// The file holding the node's libp2p secret key (32 raw bytes or hex); created if
    /// missing. Default: `<base>/chains/<id>/network/secret_ed25519`.
    #[arg(long, value_name = "PATH")]
    pub node_key_file: Option<PathBuf>,

    /// Test-only switches: serves the unsafe RPC method `echonet_setBlockedPeers`, which
    /// drops all traffic with the given peer ids (partition tests). Never use in production.
    #[arg(long)]
    pub dev_test_switches: bool,

    /// Test-only: make this validator misbehave so that end-to-end tests can check that
    /// the others report and slash it. `aura`: seal two different blocks in each of its
    /// slots; `grandpa`: sign two conflicting prevotes in every round. Never use in
    /// production: the validator's stake gets slashed.
    #[arg(long, value_enum, value_name = "KIND")]
    pub dev_equivocate: Option<Equivocation>,

    /// JSON-RPC (HTTP and WebSocket) port.
    #[arg(long, value_name = "PORT", default_value_t = 9944)]
    pub rpc_port: u16,

    /// Listen for RPC on all interfaces instead of 127.0.0.1. Unsafe methods are then
    /// refused unless `--rpc-methods unsafe` is given.
    #[arg(long)]
    pub rpc_external: bool,

    /// Listen for RPC on all interfaces, with every method allowed.
    #[arg(long)]
    pub unsafe_rpc_external: bool,

    /// Which RPC methods to serve.
    #[arg(long, value_enum, default_value_t = RpcMethods::Auto)]
    pub rpc_methods: RpcMethods,

    /// Browser origins allowed to call the RPC: `all`, `none`, or a comma-separated list.
    /// Defaults to localhost and polkadot.js.org origins.
    #[arg(long, value_name = "ORIGINS")]
    pub rpc_cors: Option<String>,

    /// Maximum number of RPC connections.
    #[arg(long, value_name = "COUNT", default_value_t = 100)]
    pub rpc_max_connections: u32,

    /// Maximum RPC request size, in MiB.
    #[arg(long, value_name = "MiB", default_value_t = 15)]
    pub rpc_max_request_size: u32,

    /// Maximum RPC response size, in MiB.
    #[arg(long, value_name = "MiB", default_value_t = 15)]
    pub rpc_max_response_size: u32,

    /// Maximum subscriptions per connection.
    #[arg(long, value_name = "COUNT", default_value_t = 1024)]
    pub rpc_max_subscriptions_per_connection: u32,

    /// Refuse batch requests (JSON arrays of calls).
    #[arg(
        long,
        alias = "rpc-no-batch-requests",
        conflicts_with = "rpc_max_batch_request_len"
    )]
    pub rpc_disable_batch_requests: bool,

    /// Most calls in one batch request; a longer batch gets error -32010 and none of it
    /// runs. Unlimited by default, as in Substrate (the request size limit still holds).
    #[arg(
        long,
        value_name = "LEN",
        conflicts_with = "rpc_disable_batch_requests"
    )]
    pub rpc_max_batch_request_len: Option<u32>,

    /// RPC calls per minute on each connection. A call over the limit waits for its
    /// turn. Off by default, as in Substrate.
    #[arg(long, value_name = "CALLS")]
    pub rpc_rate_limit: Option<std::num::NonZeroU32>,

    /// Prometheus exporter port.
    #[arg(long, value_name = "PORT", default_value_t = 9615)]
    pub prometheus_port: u16,

    /// Serve Prometheus metrics on all interfaces.
    #[arg(long)]
    pub prometheus_external: bool,

    /// Do not serve Prometheus metrics.
    #[arg(long)]
    pub no_prometheus: bool,

    /// Maximum number of transactions in the pool.
    #[arg(long, value_name = "COUNT", default_value_t = 8192)]
    pub pool_limit: usize,

    /// Maximum size of the pool's transactions, in kilobytes.
    #[arg(long, value_name = "COUNT", default_value_t = 20480)]
    pub pool_kbytes: usize,

    /// How long an invalid transaction stays banned, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    pub tx_ban_seconds: u64,

    /// Size of the state cache, in MiB.
    #[arg(long, value_name = "MiB", default_value_t = 256)]
    pub trie_cache_size: usize,

    /// Entries of the verified-signature cache: signatures the pool has verified, which
    /// block import and authoring then do not verify again (32-byte keys; 0 turns it off).
    #[arg(long, value_name = "ENTRIES", default_value_t = echonet_client::verified::DEFAULT_CAPACITY)]
    pub signature_cache_size: u32,
    /// How new blocks travel to peers: `compact` announces a block with short ids of its
    /// extrinsics, which peers rebuild from their pools (fetching only what they lack);
    /// `full` announces the header alone and peers fetch the whole block. Also decides
    /// whether this node rebuilds compact announcements of others.
    #[arg(long, value_name = "MODE", value_enum, default_value_t = BlockRelay::Compact)]
    pub block_relay: BlockRelay,

    /// How a fresh node joins the chain (Substrate's flag). `full` downloads and executes
    /// every block from genesis; `warp` verifies the GRANDPA authority-set hand-offs up to
    /// the latest finalized block, downloads that block's state with proofs, and syncs
    /// blocks from there (older blocks are not downloaded: see docs/warp-sync.md). On a
    /// database that already has blocks, `warp` syncs normally.
    #[arg(long, value_name = "MODE", value_enum, default_value_t = SyncMode::Full)]
    pub sync: SyncMode,

    /// Most shard data the distributed data store keeps on disk, in MiB
    /// (under `<base>/chains/<id>/dds`).
    #[arg(long, value_name = "MiB", default_value_t = 10240)]
    pub dds_capacity: u64,

    /// Memory for the data store's cache of hot chunks, in MiB (0: none).
    #[arg(long, value_name = "MiB", default_value_t = 64)]
    pub dds_cache_size: u64,

    /// Largest content one put accepts (RPC `dds_put` and `POST /dds`), in MiB.
    #[arg(long, value_name = "MiB", default_value_t = 1024)]
    pub dds_max_put_size: u64,

    /// Store shards that peers push (a storage provider): without it this node serves
    /// what it holds but refuses to store for others.
    #[arg(long)]
    pub dds_provider: bool,

    /// Assigned shards a provider fetches or rebuilds at once (repair).
    #[arg(long, value_name = "N", default_value_t = echonet_dds::repair::DEFAULT_CONCURRENCY)]
    pub dds_repair_concurrency: usize,

    /// Network bandwidth a provider's repair may use, in MiB/s.
    #[arg(long, value_name = "MiB/s", default_value_t = echonet_dds::repair::DEFAULT_BANDWIDTH_MIB)]
    pub dds_repair_bandwidth: u64,

    /// Disk bandwidth of the data store's scrub, which rereads and checks every stored
    /// shard once an hour (or as fast as this allows), in MiB/s; 0 turns it off. A shard
    /// found corrupt is dropped, and repair replaces it.
    #[arg(long, value_name = "MiB/s", default_value_t = crate::dds::DEFAULT_SCRUB_MIB)]
    pub dds_scrub_rate: u64,

    #[command(flatten)]
    pub pruning: PruningParams,
}

/// `--sync`: how a fresh node joins the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SyncMode {
    /// Every block from genesis.
    Full,
    /// Finality proofs, then the latest finalized state, then blocks.
    Warp,
}

/// `--block-relay`: how blocks are propagated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BlockRelay {
    /// Header and short ids; peers rebuild the block from their pools.
    Compact,
    /// Header only; peers fetch the whole block.
    Full,
}

/// How much history the database keeps (Substrate's `--state-pruning` and
/// `--blocks-pruning`).
#[derive(Debug, Clone, Args)]
pub struct PruningParams {
    /// How many finalized blocks' states to keep: `archive` keeps all (forks included), a
    /// number N keeps the last N finalized blocks' states; older ones are deleted and
    /// queries at them fail with "State already discarded". Default: the database's mode,
    /// 256 for a new database. An archive database cannot be reopened pruned, nor the
    /// reverse.
    #[arg(long, value_name = "PRUNING_MODE")]
    pub state_pruning: Option<echonet_client::StatePruning>,

    /// Which block bodies to keep: `archive` keeps all, `archive-canonical` those of the
    /// finalized chain (forks' bodies are deleted on finality), a number N those of the
    /// last N finalized blocks. Headers and justifications are always kept.
    #[arg(long, value_name = "PRUNING_MODE", default_value = "archive-canonical")]
    pub blocks_pruning: echonet_client::BlocksPruning,
}

impl RunCmd {
    /// The dev account whose keys to insert, if any.
    pub fn dev_key_seed(&self) -> Option<&'static str> {
        let flags = [
            (self.alice, "//Alice"),
            (self.bob, "//Bob"),
            (self.charlie, "//Charlie"),
            (self.dave, "//Dave"),
            (self.eve, "//Eve"),
            (self.ferdie, "//Ferdie"),
        ];
        flags
            .iter()
            .find(|(on, _)| *on)
            .map(|(_, seed)| *seed)
            .or(if self.shared.dev {
                Some("//Alice")
            } else {
                None
            })
    }

    pub fn is_validator(&self) -> bool {
        self.validator || self.shared.dev || self.dev_key_seed().is_some()
    }

    /// `--force-authoring`, implied by `--dev`.
    pub fn force_authoring(&self) -> bool {
        self.force_authoring || self.shared.dev
    }

    /// The P2P port when no `--listen-addr` is given.
    pub fn p2p_port(&self) -> u16 {
        self.port.unwrap_or(30333)
    }
}

#[derive(Debug, Args)]
pub struct BuildSpecCmd {
    #[command(flatten)]
    pub shared: SharedParams,
    /// Print the genesis as raw storage instead of a runtime config patch.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
pub struct PurgeChainCmd {
    #[command(flatten)]
    pub shared: SharedParams,
    /// Do not ask for confirmation.
    #[arg(short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct ExportBlocksCmd {
    #[command(flatten)]
    pub shared: SharedParams,
    /// First block to export.
    #[arg(long, default_value_t = 1)]
    pub from: u32,
    /// Last block to export (default: best block).
    #[arg(long)]
    pub to: Option<u32>,
    /// Write SCALE-encoded blocks instead of JSON lines.
    #[arg(long)]
    pub binary: bool,
    /// Output file; stdout if absent.
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportBlocksCmd {
    #[command(flatten)]
    pub shared: SharedParams,
    /// Read SCALE-encoded blocks instead of JSON lines.
    #[arg(long)]
    pub binary: bool,
    /// Input file; stdin if absent.
    pub input: Option<PathBuf>,
}

/// `export-state [--at <hash>] FILE`.
#[derive(Debug, Args)]
pub struct ExportStateCmd {
    #[command(flatten)]
    pub shared: SharedParams,
    /// The finalized block whose state to write (default: the last finalized block).
    #[arg(long, value_name = "HASH")]
    pub at: Option<sp_core::H256>,
    /// Output file.
    pub output: PathBuf,
}

/// `import-state FILE --trusted-hash <hash>`.
#[derive(Debug, Args)]
pub struct ImportStateCmd {
    #[command(flatten)]
    pub shared: SharedParams,
    /// The snapshot file written by `export-state`.
    pub input: PathBuf,
    /// The hash of the snapshot's block, from a source you trust (a finalized block hash
    /// another node or block explorer shows): the header, and through its state root every
    /// entry, is checked against it.
    #[arg(long, value_name = "HASH")]
    pub trusted_hash: sp_core::H256,
    #[command(flatten)]
    pub pruning: PruningParams,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scheme {
    Sr25519,
    Ed25519,
    Ecdsa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputType {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Generate a random account key.
    Generate {
        #[arg(long, value_enum, default_value_t = Scheme::Sr25519)]
        scheme: Scheme,
        /// Number of words in the phrase: 12, 15, 18, 21 or 24.
        #[arg(long, short = 'w', default_value_t = 12)]
        words: usize,
        #[arg(long, value_enum, default_value_t = OutputType::Text)]
        output_type: OutputType,
    },
    /// Show the public key and addresses of a secret URI (or of a public key with --public).
    Inspect {
        /// A secret URI (phrase, hex seed, `//Alice`...), or a public key/address with --public.
        uri: String,
        #[arg(long, value_enum, default_value_t = Scheme::Sr25519)]
        scheme: Scheme,
        /// The URI is a public key (hex) or SS58 address.
        #[arg(long)]
        public: bool,
        #[arg(long, value_enum, default_value_t = OutputType::Text)]
        output_type: OutputType,
    },
    /// Insert a key into the node's keystore.
    Insert {
        #[command(flatten)]
        shared: SharedParams,
        /// The secret URI of the key.
        #[arg(long)]
        suri: String,
        /// Key type: `aura`, `gran`, `ddsp` (a storage provider's account), or any four characters.
        #[arg(long)]
        key_type: String,
        #[arg(long, value_enum, default_value_t = Scheme::Sr25519)]
        scheme: Scheme,
    },
    /// Generate a libp2p node key. The key goes to --file (or stdout), the peer id to stderr.
    GenerateNodeKey {
        /// Write the key here instead of stdout.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Write the 32 secret bytes raw instead of hex.
        #[arg(long)]
        bin: bool,
    },
    /// Print the peer id of a node key file.
    InspectNodeKey {
        #[arg(long)]
        file: PathBuf,
        /// The file holds raw bytes instead of hex.
        #[arg(long)]
        bin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchmarkCmd {
    /// Block import throughput: builds blocks of signed transfers, then imports them into
    /// a fresh RocksDB database, executing every block.
    Import(ImportBenchCmd),
    /// Block authoring throughput: builds blocks of signed transfers through the block
    /// builder, as the Aura author does.
    Authoring(ImportBenchCmd),
    /// Runs the runtime's frame-benchmarking benchmarks natively and writes weights.
    /// Needs a node built with `--features runtime-benchmarks`.
    Pallet(PalletBenchCmd),
    /// Measures the base weights of a block and of an extrinsic by importing empty blocks
    /// and blocks of signed `System::remark`s, and writes them as runtime constants.
    Overhead(OverheadBenchCmd),
    /// Transaction pool insert rate under spam: `--count` chained transfers from one
    /// sender, then `--count` transfers from as many senders, each through the real
    /// submission path (runtime validation, then insertion into the pool).
    Pool(PoolBenchCmd),
    /// Warp sync time: a fresh node warps to the tip of a chain with `--accounts` endowed
    /// accounts and `--blocks` blocks, over two networks on loopback (see
    /// docs/warp-sync.md).
    Warp(crate::warp_bench::WarpBenchCmd),
    /// Writes a block corpus that exercises transfers, staking and witness calls across
    /// many sessions and eras (`spec.json` and `blocks.bin`), timing nothing: import it
    /// with another build of the node (`import-blocks --binary`) to check that both reach
    /// the same state roots (scripts/cross-build-state-roots.sh).
    Corpus(CorpusCmd),
    /// The fee market under sustained load: authors real blocks of signed transfers,
    /// with demand at `--demand` times the target at multiplier 1 and a fixed fee budget
    /// per block (so demand falls as the price rises), and prints the fee multiplier and
    /// block fullness per block until fullness is back at the target.
    FeeMarket(FeeMarketCmd),
    /// The reference proof-of-engagement aggregator (`pallet_poe::aggregator`): synthetic
    /// engagement events from distinct accounts aggregated into a score root, in events
    /// per second.
    PoeAggregator(crate::poe::AggregatorBenchCmd),
    /// Data store get throughput across real nodes on loopback: starts `--nodes`
    /// providers, puts `--size` MiB on one and times gets through the others' gateways.
    DdsGet(crate::dds_bench::DdsGetBenchCmd),
}

#[derive(Debug, Clone, Args)]
pub struct FeeMarketCmd {
    /// Demand at multiplier 1, in multiples of the target fullness (25% of the normal
    /// class).
    #[arg(long, default_value_t = 2.0)]
    pub demand: f64,
    /// Most blocks to author.
    #[arg(long, default_value_t = 400)]
    pub blocks: usize,
    /// Distinct sender accounts (each sends several transfers a block).
    #[arg(long, default_value_t = 2000)]
    pub senders: usize,
    /// Fullness counts as "at the target" within this relative tolerance (0.05: between
    /// 23.75% and 26.25% of the normal class).
    #[arg(long, default_value_t = 0.05)]
    pub tolerance: f64,
    /// Stop once this many consecutive blocks were at the target.
    #[arg(long, default_value_t = 20)]
    pub settle: usize,
    /// Print every Nth block (the first and the settling blocks are always printed).
    #[arg(long, default_value_t = 1)]
    pub every: usize,
}

#[derive(Debug, Clone, Args)]
pub struct CorpusCmd {
    /// Blocks in the corpus.
    #[arg(long, default_value_t = 200)]
    pub blocks: usize,
    /// Directory to write `spec.json` and `blocks.bin` into (created if missing).
    #[arg(long)]
    pub output: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct PoolBenchCmd {
    /// Transactions per case (the pool's default limit is 8192).
    #[arg(long, default_value_t = 8192)]
    pub count: usize,
    /// A case stops after this many seconds, and reports how far it got.
    #[arg(long, default_value_t = 300)]
    pub max_seconds: u64,
}

#[derive(Debug, Clone, Args)]
pub struct OverheadBenchCmd {
    /// Blocks measured per kind (median taken).
    #[arg(long, default_value_t = 20)]
    pub blocks: usize,
    /// Signed remarks per full block.
    #[arg(long, default_value_t = 2000)]
    pub extrinsics: usize,
    /// Distinct signers.
    #[arg(long, default_value_t = 1000)]
    pub senders: usize,
    /// Directory to write block_weights.rs and extrinsic_weights.rs into.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WeightTemplate {
    /// `WeightInfo<T>` implementing a FRAME pallet's trait, for runtime/src/weights/.
    Runtime,
    /// The pallet's own `WeightInfo` trait, `SubstrateWeight<T>` and `()`.
    Pallet,
}

#[derive(Debug, Clone, Args)]
pub struct PalletBenchCmd {
    /// Pallet to benchmark, as the runtime lists it (e.g. pallet_balances), or `*`.
    #[arg(long, default_value = "*")]
    pub pallet: String,
    /// Benchmark to run, or `*`.
    #[arg(long, default_value = "*")]
    pub extrinsic: String,
    /// Values per component between its bounds.
    #[arg(long, default_value_t = 20)]
    pub steps: u32,
    /// Timed runs per component value.
    #[arg(long, default_value_t = 10)]
    pub repeat: u32,
    /// Exactly these values for every component (those within its bounds), instead of
    /// `--steps`: for benchmarks that run only at given sizes (pallet_bridge's
    /// `submit_batch` has proof fixtures for 8, 32 and 64 slots).
    #[arg(long, value_delimiter = ',')]
    pub values: Vec<u32>,
    /// Also run the benchmarks marked `extra` (comparisons that yield no weight function).
    #[arg(long)]
    pub extra: bool,
    /// Write weights here: a file for one pallet, or a directory (one `<pallet>.rs` each).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// The kind of weights file.
    #[arg(long, value_enum, default_value_t = WeightTemplate::Runtime)]
    pub template: WeightTemplate,
    /// Only list the available benchmarks.
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ImportBenchCmd {
    /// Transfers per block; may be repeated.
    #[arg(long = "transfers", value_name = "N", num_args = 1.., default_values_t = [1000usize, 5000])]
    pub transfers: Vec<usize>,
    /// Blocks measured per size.
    #[arg(long, default_value_t = 5)]
    pub blocks: usize,
    /// Distinct sender accounts.
    #[arg(long, default_value_t = 1000)]
    pub senders: usize,
    /// Verify signatures on all cores before executing the block.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub parallel_verify: bool,
    /// `warm`: the transactions go through the node's pool first (untimed), as a node's
    /// do, so their signatures are in the verified-signature cache; `cold`: they do not;
    /// `both`: measure each.
    #[arg(long, value_enum, default_value_t = CacheMode::Both)]
    pub signature_cache: CacheMode,
    /// State pruning of the importing database (`import` only): `archive` or a number of
    /// blocks. With it, every imported block is finalized as it is imported, as a syncing
    /// node's blocks that carry justifications are, so that pruning runs; the run also
    /// prints the database's size after the last block. Without it, blocks are imported
    /// unfinalized as before.
    #[arg(long, value_name = "PRUNING_MODE")]
    pub state_pruning: Option<echonet_client::StatePruning>,
}

/// Whether a benchmark's transactions were validated by the pool before they are timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CacheMode {
    /// Not validated first: every signature is verified in the timed path.
    Cold,
    /// Validated by the pool first: the timed path finds the signatures verified.
    Warm,
    /// Cold, then warm.
    Both,
}

impl CacheMode {
    /// The modes to measure, each as `true` when warm.
    pub fn runs(self) -> &'static [bool] {
        match self {
            CacheMode::Cold => &[false],
            CacheMode::Warm => &[true],
            CacheMode::Both => &[false, true],
        }
    }
}
