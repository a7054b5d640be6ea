//! `echonet-node benchmark import|authoring`: throughput of the real paths.
//!
//! Both build blocks of sr25519-signed `transfer_keep_alive`s from `--senders` distinct
//! accounts on a chain whose genesis endows them. Signing happens before the clock starts.
//!
//! - `authoring` times the block builder: `initialize_block`, the timestamp inherent,
//!   `apply_extrinsic` per transfer, `finalize_block` (state root included).
//! - `import` builds the blocks first, then imports them into a fresh RocksDB database as
//!   a peer's blocks are: seal and slot checks, inherent checks, `execute_block`, state
//!   root comparison and the database commit.
//!
//! Both measure with `--signature-cache cold` (no transaction seen before: every signature
//! is verified in the timed path, as when syncing old blocks) and `warm` (each block's
//! transactions are first submitted to the node's pool, untimed, as they reach a node at
//! the tip before the block does: the pool's validation fills the verified-signature
//! cache, and the timed path looks the signatures up).
//! - `pool` times submissions to the transaction pool (runtime validation and insertion)
//!   as the pool fills: a long chain of one sender's nonces, then many senders.

use crate::cli::{BenchmarkCmd, ImportBenchCmd};
use anyhow::{anyhow, bail, Context};
use codec::Encode;
use echonet_client::{
    chain_spec::{Genesis, RuntimeGenesis},
    BlockOrigin, BuiltBlock, ChainSpec, Client, ClientConfig, ImportBlock, PushError, StatePruning,
};
use echonet_consensus::aura::{self, AuraClientExt as _};
use echonet_runtime::{extrinsics, AccountId, Header, SLOT_DURATION, UNITS};
use rayon::prelude::*;
use sp_consensus_aura::Slot;
use sp_core::{sr25519, Pair};
use sp_runtime::{
    traits::{BlakeTwo256, Hash as _},
    OpaqueExtrinsic,
};
use std::{sync::Arc, time::Instant};

pub fn run(cmd: &BenchmarkCmd) -> anyhow::Result<()> {
    match cmd {
        BenchmarkCmd::Import(c) => import(c),
        BenchmarkCmd::Authoring(c) => authoring(c),
        BenchmarkCmd::Pallet(c) => pallet(c),
        BenchmarkCmd::Overhead(c) => overhead(c),
        BenchmarkCmd::Pool(c) => pool(c),
        BenchmarkCmd::Warp(c) => crate::warp_bench::run(c),
        BenchmarkCmd::Corpus(c) => crate::corpus::run(c),
        BenchmarkCmd::FeeMarket(c) => crate::fee_market::run(c),
        BenchmarkCmd::PoeAggregator(c) => crate::poe::bench(c),
        BenchmarkCmd::DdsGet(c) => crate::dds_bench::run(c),
    }
}

fn pallet(cmd: &crate::cli::PalletBenchCmd) -> anyhow::Result<()> {
    use echonet_benchmarking::template::{render, Provenance, Template};
    if cmd.list {
        for list in echonet_benchmarking::list(cmd.extra)? {
            for b in &list.benchmarks {
                println!(
                    "{}, {}",
                    String::from_utf8_lossy(&list.pallet),
                    String::from_utf8_lossy(&b.name)
                );
            }
        }
        return Ok(());
    }
    let params = echonet_benchmarking::PalletParams {
        pallet: cmd.pallet.clone(),
        extrinsic: cmd.extrinsic.clone(),
        steps: cmd.steps,
        repeat: cmd.repeat,
        values: cmd.values.clone(),
        extra: cmd.extra,
    };
    let results = echonet_benchmarking::run_pallet(&params)?;
    let provenance = Provenance {
        date: chrono_like_today(),
        machine: machine_description(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        steps: cmd.steps,
        repeat: cmd.repeat,
        values: cmd.values.clone(),
    };
    let template = match cmd.template {
        crate::cli::WeightTemplate::Runtime => Template::Runtime,
        crate::cli::WeightTemplate::Pallet => Template::Pallet,
    };
    for weights in &results {
        let text = render(weights, template, &provenance);
        match &cmd.output {
            Some(path) if path.is_dir() => {
                let file = path.join(format!("{}.rs", weights.pallet));
                std::fs::write(&file, text)
                    .with_context(|| format!("cannot write {}", file.display()))?;
                eprintln!("wrote {}", file.display());
            }
            Some(path) if results.len() == 1 => {
                std::fs::write(path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
            Some(path) => bail!(
                "--output {} is a file but {} pallets were benchmarked: give a directory",
                path.display(),
                results.len()
            ),
            None => println!("{text}"),
        }
    }
    Ok(())
}

/// Today's date (UTC), for the provenance of generated files.
fn chrono_like_today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or_default() as i64;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}-{d:02}")
}

/// CPU model and core count, for the provenance of generated files.
fn machine_description() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!("{model}, {cores} cores")
}

/// Funded sender accounts on a fresh chain whose genesis endows them; shared with the
/// corpus (`corpus.rs`).
pub(crate) struct Fixture {
    _dir: tempfile::TempDir,
    pub(crate) spec: ChainSpec,
    pub(crate) senders: Vec<sr25519::Pair>,
    pub(crate) nonces: Vec<u32>,
}

impl Fixture {
    pub(crate) fn new(senders: usize) -> anyhow::Result<Self> {
        if senders == 0 {
            bail!("--senders must be at least 1");
        }
        // Seeds derived from the index: deterministic, and far cheaper than deriving
        // from a mnemonic.
        let senders: Vec<sr25519::Pair> = (0..senders as u64)
            .into_par_iter()
            .map(|i| sr25519::Pair::from_seed(&BlakeTwo256::hash_of(&(b"echonet-bench", i)).0))
            .collect();
        let mut spec = ChainSpec::development()?;
        spec.id = "bench".into();
        let Genesis::RuntimeGenesis(RuntimeGenesis::Patch(patch)) = &mut spec.genesis else {
            bail!("the development spec is expected to be a genesis patch");
        };
        let balances = patch
            .pointer_mut("/balances/balances")
            .and_then(|b| b.as_array_mut())
            .ok_or_else(|| anyhow!("the development preset has no balances list"))?;
        for pair in &senders {
            let account: AccountId = pair.public().into();
            balances.push(serde_json::json!([account, 1_000_000 * UNITS]));
        }
        let nonces = vec![0; senders.len()];
        Ok(Self {
            _dir: tempfile::tempdir()?,
            spec,
            senders,
            nonces,
        })
    }

    /// The directory of database `name`.
    pub(crate) fn path(&self, name: &str) -> std::path::PathBuf {
        self._dir.path().join(name)
    }

    pub(crate) fn open(&self, name: &str, parallel_verify: bool) -> anyhow::Result<Arc<Client>> {
        self.open_pruned(name, parallel_verify, None)
    }

    /// [`Fixture::open`] with a state pruning mode (`None`: the default).
    pub(crate) fn open_pruned(
        &self,
        name: &str,
        parallel_verify: bool,
        state_pruning: Option<StatePruning>,
    ) -> anyhow::Result<Arc<Client>> {
        let mut config = ClientConfig::new(self._dir.path().join(name));
        config.parallel_signature_checks = parallel_verify;
        config.state_pruning = state_pruning;
        let verifier = Arc::new(aura::AuraVerifier::default());
        Client::open(config, &self.spec, verifier).context("cannot open a benchmark database")
    }

    /// `count` signed transfers, round-robin over the senders, each to the next sender.
    pub(crate) fn transfers(
        &mut self,
        count: usize,
        genesis: sp_core::H256,
    ) -> Vec<OpaqueExtrinsic> {
        self.signed_calls(count, genesis, |senders, s| {
            let dest: AccountId = senders[(s + 1) % senders.len()].public().into();
            echonet_runtime::RuntimeCall::Balances(
                echonet_runtime::BalancesCall::transfer_keep_alive {
                    dest: dest.into(),
                    value: UNITS,
                },
            )
        })
    }

    /// `count` signed `System::remark`s with an empty remark, round-robin over the senders.
    fn remarks(&mut self, count: usize, genesis: sp_core::H256) -> Vec<OpaqueExtrinsic> {
        self.signed_calls(count, genesis, |_, _| {
            echonet_runtime::RuntimeCall::System(echonet_runtime::SystemCall::remark {
                remark: vec![],
            })
        })
    }

    /// `count` signed extrinsics, round-robin over the senders with their next nonces;
    /// `call(senders, s)` is sender `s`'s call. Signed on all cores.
    fn signed_calls(
        &mut self,
        count: usize,
        genesis: sp_core::H256,
        call: impl Fn(&[sr25519::Pair], usize) -> echonet_runtime::RuntimeCall + Sync,
    ) -> Vec<OpaqueExtrinsic> {
        let n = self.senders.len();
        let jobs: Vec<(usize, u32)> = (0..count)
            .map(|i| {
                let s = i % n;
                let nonce = self.nonces[s];
                self.nonces[s] += 1;
                (s, nonce)
            })
            .collect();
        let senders = &self.senders;
        jobs.into_par_iter()
            .map(|(s, nonce)| {
                let xt = extrinsics::signed(call(senders, s), &senders[s], nonce, 0, genesis);
                OpaqueExtrinsic::try_from_encoded_extrinsic(&xt.encode())
                    .expect("an extrinsic we just encoded decodes")
            })
            .collect()
    }
}

fn author_pair() -> sr25519::Pair {
    sp_keyring::Sr25519Keyring::Alice.pair()
}

/// Builds one block of `txs` on the best block of `client`; fails if any does not fit.
/// A block builder on the best block of `client`, at `slot`, authored by Alice, with its
/// inherents (the slot's timestamp) already pushed.
pub(crate) fn start_block(
    client: &Client,
    slot: u64,
) -> anyhow::Result<echonet_client::BlockBuilder> {
    let parent = client.info().best_hash;
    let digest = client.pre_digest(parent, Slot::from(slot), &author_pair())?;
    let mut builder = client.new_block_builder(parent, digest)?;
    let mut data = sp_inherents::InherentData::new();
    data.put_data(sp_timestamp::INHERENT_IDENTIFIER, &(slot * SLOT_DURATION))?;
    for xt in builder.create_inherents(&data)? {
        builder
            .push(xt)
            .map_err(|e| anyhow!("inherent rejected: {e}"))?;
    }
    Ok(builder)
}

pub(crate) fn build(
    client: &Client,
    slot: u64,
    txs: Vec<OpaqueExtrinsic>,
) -> anyhow::Result<(BuiltBlock, f64)> {
    let started = Instant::now();
    let mut builder = start_block(client, slot)?;
    let total = txs.len();
    for (i, xt) in txs.into_iter().enumerate() {
        if let Err(e) = builder.push(xt) {
            match e {
                PushError::Invalid(_) => bail!(
                    "transfer {i} of {total} does not fit or is invalid ({e}); the runtime's \
                     block limits allow {i} transfers per block"
                ),
                PushError::Runtime(e) => return Err(e.into()),
            }
        }
    }
    let built = builder.build()?;
    Ok((built, started.elapsed().as_secs_f64()))
}

pub(crate) fn seal(mut header: Header) -> Header {
    let sig = author_pair().sign(header.hash().as_bytes());
    aura::seal(&mut header, sig.into());
    header
}

struct Stats {
    per_block_secs: Vec<f64>,
    transfers: usize,
}

impl Stats {
    fn report(&self, what: &str) {
        let mut sorted = self.per_block_secs.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let median = sorted[sorted.len() / 2];
        let best = sorted[0];
        let rate = |secs: f64| self.transfers as f64 / secs;
        println!(
            "{what}: {} transfers/block, {} blocks: median {:.1} ms/block = {:.0} transfers/s (best {:.1} ms = {:.0}/s)",
            self.transfers,
            sorted.len(),
            median * 1e3,
            rate(median),
            best * 1e3,
            rate(best)
        );
    }
}

pub(crate) fn base_slot() -> u64 {
    // Slots in the past: every block of the run fits before "now".
    *aura::slot_now(SLOT_DURATION) - 100_000
}

fn authoring(cmd: &ImportBenchCmd) -> anyhow::Result<()> {
    for &size in &cmd.transfers {
        for &warm in cmd.signature_cache.runs() {
            let mut fx = Fixture::new(cmd.senders)?;
            let client = fx.open("author", cmd.parallel_verify)?;
            let genesis = client.info().genesis_hash;
            let mut times = Vec::new();
            let slot = base_slot();
            for b in 0..cmd.blocks {
                let mut txs = fx.transfers(size, genesis);
                if warm {
                    // As the slot worker gets them: validated by the pool, in its order.
                    txs = through_pool(&client, &txs)?;
                }
                let (built, secs) = build(&client, slot + b as u64, txs)?;
                times.push(secs);
                import_own(&client, built)?;
            }
            let what = if warm {
                "block authoring, transactions from the pool"
            } else {
                "block authoring, transactions not validated before"
            };
            Stats {
                per_block_secs: times,
                transfers: size,
            }
            .report(&format!("{what} ({})", cache_summary(&client, "authoring")));
        }
    }
    Ok(())
}

/// How many of the signatures that `context` looked up the client's cache already knew.
fn cache_summary(client: &Client, context: &str) -> String {
    let (hits, misses) = client.signature_cache().lookups(context);
    format!("signatures found verified: {hits} of {}", hits + misses)
}

/// Submits `txs` to a fresh pool over `client`, as wallets and peers do before a block
/// carries them, and returns the pool's ready transactions in its block order. The
/// pool's validation fills the client's signature cache. Not timed by the callers.
fn through_pool(
    client: &Arc<Client>,
    txs: &[OpaqueExtrinsic],
) -> anyhow::Result<Vec<OpaqueExtrinsic>> {
    use echonet_txpool::{Pool, PoolConfig};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("cannot start a tokio runtime")?;
    let config = PoolConfig {
        max_count: txs.len().max(PoolConfig::default().max_count),
        ..PoolConfig::default()
    };
    let pool = Pool::new(config, client.clone());
    for (i, xt) in txs.iter().enumerate() {
        runtime
            .block_on(pool.submit_from_network(xt.encode()))
            .map_err(|e| anyhow!("transaction {i} refused by the pool: {e}"))?;
    }
    let ready = pool.ready_for_block();
    if ready.len() != txs.len() {
        bail!(
            "{} of {} transactions are ready in the pool",
            ready.len(),
            txs.len()
        );
    }
    ready
        .iter()
        .map(|tx| {
            OpaqueExtrinsic::try_from_encoded_extrinsic(&tx.bytes)
                .map_err(|e| anyhow!("a pool transaction does not decode: {e}"))
        })
        .collect()
}

pub(crate) fn import_own(client: &Client, built: BuiltBlock) -> anyhow::Result<()> {
    client.import_block(ImportBlock {
        header: seal(built.header),
        body: built.body,
        justifications: None,
        origin: BlockOrigin::Own,
        changes: Some(built.changes),
        finalize: true,
    })?;
    Ok(())
}

fn import(cmd: &ImportBenchCmd) -> anyhow::Result<()> {
    for &size in &cmd.transfers {
        for &warm in cmd.signature_cache.runs() {
            let mut fx = Fixture::new(cmd.senders)?;
            let (times, importer) = import_times(
                &mut fx,
                "",
                cmd.blocks,
                cmd.parallel_verify,
                warm,
                cmd.state_pruning,
                |fx, genesis| fx.transfers(size, genesis),
            )?;
            let mut what = match (warm, cmd.parallel_verify) {
                (true, true) => "block import, pool-validated (misses checked on a second thread)",
                (true, false) => "block import, pool-validated (misses checked in execution)",
                (false, true) => "block import, cold (signatures checked on a second thread)",
                (false, false) => "block import, cold (signatures checked in execution only)",
            }
            .to_string();
            if let Some(mode) = cmd.state_pruning {
                what.push_str(&format!(", each block finalized, --state-pruning {mode}"));
            }
            Stats {
                per_block_secs: times,
                transfers: size,
            }
            .report(&format!("{what} ({})", cache_summary(&importer, "import")));
            if cmd.state_pruning.is_some() {
                report_disk(&importer, &fx.path("importer"))?;
            }
        }
    }
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Authors `blocks` blocks of `make_txs`'s extrinsics into a fresh database
/// (`<name>author`), then imports them into another (`<name>importer`) as a node at the
/// tip does, and returns each import's time in seconds, and the importer. With `warm`,
/// each block's extrinsics first go through the importer's pool (untimed), as they reach
/// a node before the block that carries them.
fn import_times(
    fx: &mut Fixture,
    name: &str,
    blocks: usize,
    parallel_verify: bool,
    warm: bool,
    state_pruning: Option<StatePruning>,
    mut make_txs: impl FnMut(&mut Fixture, sp_core::H256) -> Vec<OpaqueExtrinsic>,
) -> anyhow::Result<(Vec<f64>, Arc<Client>)> {
    let author = fx.open(&format!("{name}author"), parallel_verify)?;
    let genesis = author.info().genesis_hash;
    let slot = base_slot();
    let mut built_blocks = Vec::new();
    for b in 0..blocks {
        let txs = make_txs(fx, genesis);
        let (built, _) = build(&author, slot + b as u64, txs)?;
        let header = seal(built.header.clone());
        built_blocks.push((header.clone(), built.body.clone()));
        author.import_block(ImportBlock {
            header,
            body: built.body,
            justifications: None,
            origin: BlockOrigin::Own,
            changes: Some(built.changes),
            finalize: true,
        })?;
    }
    drop(author);
    let importer = fx.open_pruned(&format!("{name}importer"), parallel_verify, state_pruning)?;
    let mut times = Vec::new();
    for (header, body) in built_blocks {
        if warm {
            // The timestamp inherent comes first and is not a pool transaction.
            through_pool(&importer, &body[1..])?;
        }
        let started = Instant::now();
        importer.import_block(ImportBlock {
            header,
            body,
            justifications: None,
            origin: BlockOrigin::NetworkInitialSync,
            changes: None,
            // With a pruning mode, finality (and so pruning) runs in each import's batch.
            finalize: state_pruning.is_some(),
        })?;
        times.push(started.elapsed().as_secs_f64());
    }
    Ok((times, importer))
}

/// Prints what the importer's database holds after the run: the state columns' live
/// entries, then the directory's size on disk once compaction has dropped deleted entries.
fn report_disk(client: &Client, dir: &std::path::Path) -> anyhow::Result<()> {
    client.flush()?;
    let stats = client.state_db_stats()?;
    client.compact_db()?;
    client.flush()?;
    let (sst, other) = dir_size(dir)?;
    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "database after #{} (state kept from #{}): trie nodes {} ({:.1} MB), death rows {} ({:.1} MB), journals {} ({:.1} MB); after compaction: table files {:.1} MB, other files (logs, manifest) {:.1} MB",
        client.info().best_number,
        client.state_from(),
        stats.nodes.0,
        mb(stats.nodes.1),
        stats.death_rows.0,
        mb(stats.death_rows.1),
        stats.journals.0,
        mb(stats.journals.1),
        mb(sst),
        mb(other),
    );
    Ok(())
}

/// Bytes of the files under `dir`, recursively: RocksDB's table files (`.sst`, the data),
/// then the others (write-ahead and info logs, manifest, options).
fn dir_size(dir: &std::path::Path) -> anyhow::Result<(u64, u64)> {
    let (mut sst, mut other) = (0, 0);
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in
            std::fs::read_dir(&d).with_context(|| format!("cannot list {}", d.display()))?
        {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                pending.push(entry.path());
            } else if entry.path().extension().is_some_and(|e| e == "sst") {
                sst += meta.len();
            } else {
                other += meta.len();
            }
        }
    }
    Ok((sst, other))
}

fn overhead(cmd: &crate::cli::OverheadBenchCmd) -> anyhow::Result<()> {
    if cmd.blocks == 0 || cmd.extrinsics == 0 {
        bail!("--blocks and --extrinsics must be at least 1");
    }
    let mut fx = Fixture::new(cmd.senders)?;
    // Signatures are checked in execution only, as an author applying transactions does.
    let empty = median(
        import_times(
            &mut fx,
            "empty-",
            cmd.blocks,
            false,
            false,
            None,
            |_, _| vec![],
        )?
        .0,
    );
    let n = cmd.extrinsics;
    let full = median(
        import_times(
            &mut fx,
            "remarks-",
            cmd.blocks,
            false,
            false,
            None,
            |fx, g| fx.remarks(n, g),
        )?
        .0,
    );
    let block_ns = (empty * 1e9).ceil() as u64;
    let extrinsic_ns = (((full - empty) / n as f64) * 1e9).ceil().max(1.0) as u64;
    println!(
        "block execution: {:.1} us (median of {} empty blocks); extrinsic base: {:.1} us \
         (median block of {n} signed remarks: {:.1} ms)",
        block_ns as f64 / 1e3,
        cmd.blocks,
        extrinsic_ns as f64 / 1e3,
        full * 1e3
    );
    if let Some(dir) = &cmd.output {
        let header = |what: &str| {
            format!(
                "//! {what}, measured by `echonet-node benchmark overhead`.\n//!\n\
                 //! Date: {}. Machine: {}.\n//! Command: `{}`\n//!\n\
                 //! Generated: do not edit by hand; run the command again.\n\n\
                 use frame_support::{{\n    parameter_types,\n    weights::{{constants::WEIGHT_REF_TIME_PER_NANOS, Weight}},\n}};\n\n",
                chrono_like_today(),
                machine_description(),
                std::env::args().collect::<Vec<_>>().join(" ")
            )
        };
        let block = format!(
            "{}parameter_types! {{\n    /// Importing an empty block (timestamp inherent only): the median of {} blocks,\n    \
             /// {block_ns} ns.\n    pub const BlockExecutionWeight: Weight =\n        \
             Weight::from_parts(WEIGHT_REF_TIME_PER_NANOS.saturating_mul({block_ns}), 0);\n}}\n",
            header("The weight of executing an empty block"),
            cmd.blocks
        );
        let extrinsic = format!(
            "{}parameter_types! {{\n    /// One signed `System::remark` with an empty remark, signature checked in execution:\n    \
             /// {extrinsic_ns} ns, from the median import of blocks of {n} remarks minus an empty block.\n    \
             pub const ExtrinsicBaseWeight: Weight =\n        \
             Weight::from_parts(WEIGHT_REF_TIME_PER_NANOS.saturating_mul({extrinsic_ns}), 0);\n}}\n",
            header("The base weight of an extrinsic")
        );
        std::fs::write(dir.join("block_weights.rs"), block)
            .with_context(|| format!("cannot write into {}", dir.display()))?;
        std::fs::write(dir.join("extrinsic_weights.rs"), extrinsic)
            .with_context(|| format!("cannot write into {}", dir.display()))?;
        eprintln!(
            "wrote block_weights.rs and extrinsic_weights.rs into {}",
            dir.display()
        );
    }
    Ok(())
}

/// Submits `txs` one after the other to a fresh pool over `client` and prints the insert
/// rate per quarter of the run, so that a cost growing with the pool's size shows.
fn pool_case(
    what: &str,
    client: &Arc<Client>,
    txs: Vec<Vec<u8>>,
    max_seconds: u64,
) -> anyhow::Result<()> {
    use echonet_txpool::{Pool, PoolConfig};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("cannot start a tokio runtime")?;
    let pool = Pool::new(PoolConfig::default(), client.clone());
    let total = txs.len();
    let quarter = (total / 4).max(1);
    let started = Instant::now();
    let mut last = started;
    let mut done = 0;
    let mut segment_start = 0;
    let mut rates = Vec::new();
    for (i, bytes) in txs.into_iter().enumerate() {
        runtime
            .block_on(pool.submit_one(bytes))
            .map_err(|e| anyhow!("{what}: transaction {i} refused: {e}"))?;
        done = i + 1;
        let out_of_time = started.elapsed().as_secs() >= max_seconds;
        if done % quarter == 0 || done == total || out_of_time {
            let now = Instant::now();
            rates.push(format!(
                "{segment_start}..{done}: {:.0}/s",
                (done - segment_start) as f64 / now.duration_since(last).as_secs_f64()
            ));
            last = now;
            segment_start = done;
        }
        if out_of_time {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let block_started = Instant::now();
    let ready = pool.ready_for_block().len();
    let block_ms = block_started.elapsed().as_secs_f64() * 1e3;
    let status = pool.status();
    println!(
        "pool, {what}: {done} of {total} inserted in {secs:.1} s = {:.0}/s{}; by quarter: {}; \
         ready_for_block: {ready} transactions in {block_ms:.1} ms; pool: {} ready, {} future",
        done as f64 / secs,
        if done < total {
            " (stopped at --max-seconds)"
        } else {
            ""
        },
        rates.join(", "),
        status.ready,
        status.future
    );
    Ok(())
}

fn pool(cmd: &crate::cli::PoolBenchCmd) -> anyhow::Result<()> {
    if cmd.count == 0 {
        bail!("--count must be at least 1");
    }
    let fx = Fixture::new(cmd.count)?;
    let chained_client = fx.open("pool-chained", false)?;
    let genesis = chained_client.info().genesis_hash;
    let transfer = |from: &sr25519::Pair, nonce: u32| {
        let dest: AccountId = author_pair().public().into();
        let call = echonet_runtime::RuntimeCall::Balances(
            echonet_runtime::BalancesCall::transfer_keep_alive {
                dest: dest.into(),
                value: UNITS,
            },
        );
        extrinsics::signed(call, from, nonce, 0, genesis).encode()
    };
    // Signed before the clock starts, on all cores.
    let chained: Vec<Vec<u8>> = (0..cmd.count as u32)
        .into_par_iter()
        .map(|nonce| transfer(&fx.senders[0], nonce))
        .collect();
    pool_case(
        &format!("{} chained transfers from one sender", cmd.count),
        &chained_client,
        chained,
        cmd.max_seconds,
    )?;
    drop(chained_client);
    let senders_client = fx.open("pool-senders", false)?;
    let spread: Vec<Vec<u8>> = fx.senders.par_iter().map(|s| transfer(s, 0)).collect();
    pool_case(
        &format!("{} transfers from {} senders", cmd.count, cmd.count),
        &senders_client,
        spread,
        cmd.max_seconds,
    )
}
