//! `echonet-node benchmark import|authoring`: throughput of the real paths.
//!
//! Both build blocks of sr25519-signed `transfer_keep_alive`s from `--senders` distinct
//! accounts on a chain whose genesis endows them. Signing happens before the clock starts.
//!
//! - `authoring` times the block builder: `initialize_block`, the timestamp inherent,
//!   `apply_extrinsic` per transfer, `finalize_block` (state root included).
//! - `import` builds the blocks first, then imports them into a fresh RocksDB database as
//!   a syncing node does: seal and slot checks, inherent checks, `execute_block` (every
//!   signature verified), state root comparison and the database commit.

use crate::cli::{BenchmarkCmd, ImportBenchCmd};
use anyhow::{anyhow, bail, Context};
use codec::Encode;
use echonet_client::{
    aura,
    chain_spec::{Genesis, RuntimeGenesis},
    BlockOrigin, BuiltBlock, ChainSpec, Client, ClientConfig, ImportBlock, PushError,
};
use echonet_runtime::{extrinsics, AccountId, Header, SLOT_DURATION, UNITS};
use rayon::prelude::*;
use sp_consensus_aura::Slot;
use sp_core::{sr25519, Pair};
use sp_runtime::{
    generic::Digest,
    traits::{BlakeTwo256, Hash as _},
    OpaqueExtrinsic,
};
use std::{sync::Arc, time::Instant};

pub fn run(cmd: &BenchmarkCmd) -> anyhow::Result<()> {
    match cmd {
        BenchmarkCmd::Import(c) => import(c),
        BenchmarkCmd::Authoring(c) => authoring(c),
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    spec: ChainSpec,
    senders: Vec<sr25519::Pair>,
    nonces: Vec<u32>,
}

impl Fixture {
    fn new(senders: usize) -> anyhow::Result<Self> {
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

    fn open(&self, name: &str, parallel_verify: bool) -> anyhow::Result<Arc<Client>> {
        let mut config = ClientConfig::new(self._dir.path().join(name));
        config.parallel_signature_checks = parallel_verify;
        Client::open(config, &self.spec).context("cannot open a benchmark database")
    }

    /// `count` signed transfers, round-robin over the senders, each to the next sender.
    fn transfers(&mut self, count: usize, genesis: sp_core::H256) -> Vec<OpaqueExtrinsic> {
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
                let dest: AccountId = senders[(s + 1) % n].public().into();
                let xt = extrinsics::transfer(&senders[s], dest, UNITS, nonce, genesis);
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
fn build(
    client: &Client,
    slot: u64,
    txs: Vec<OpaqueExtrinsic>,
) -> anyhow::Result<(BuiltBlock, f64)> {
    let started = Instant::now();
    let parent = client.info().best_hash;
    let digest = Digest {
        logs: vec![aura::pre_digest_item(Slot::from(slot))],
    };
    let mut builder = client.new_block_builder(parent, digest)?;
    let mut data = sp_inherents::InherentData::new();
    data.put_data(sp_timestamp::INHERENT_IDENTIFIER, &(slot * SLOT_DURATION))?;
    for xt in builder.create_inherents(&data)? {
        builder
            .push(xt)
            .map_err(|e| anyhow!("inherent rejected: {e}"))?;
    }
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

fn seal(mut header: Header) -> Header {
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

fn base_slot() -> u64 {
    // Slots in the past: every block of the run fits before "now".
    *aura::slot_now(SLOT_DURATION) - 100_000
}

fn authoring(cmd: &ImportBenchCmd) -> anyhow::Result<()> {
    for &size in &cmd.transfers {
        let mut fx = Fixture::new(cmd.senders)?;
        let client = fx.open("author", cmd.parallel_verify)?;
        let genesis = client.info().genesis_hash;
        let mut times = Vec::new();
        let slot = base_slot();
        for b in 0..cmd.blocks {
            let txs = fx.transfers(size, genesis);
            let (built, secs) = build(&client, slot + b as u64, txs)?;
            times.push(secs);
            import_own(&client, built)?;
        }
        Stats {
            per_block_secs: times,
            transfers: size,
        }
        .report("block authoring");
    }
    Ok(())
}

fn import_own(client: &Client, built: BuiltBlock) -> anyhow::Result<()> {
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
        let mut fx = Fixture::new(cmd.senders)?;
        let author = fx.open("author", cmd.parallel_verify)?;
        let genesis = author.info().genesis_hash;
        let slot = base_slot();
        let mut blocks = Vec::new();
        for b in 0..cmd.blocks {
            let txs = fx.transfers(size, genesis);
            let (built, _) = build(&author, slot + b as u64, txs)?;
            let header = seal(built.header.clone());
            blocks.push((header.clone(), built.body.clone()));
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

        let importer = fx.open("importer", cmd.parallel_verify)?;
        let mut times = Vec::new();
        for (header, body) in blocks {
            let started = Instant::now();
            importer.import_block(ImportBlock {
                header,
                body,
                justifications: None,
                origin: BlockOrigin::NetworkInitialSync,
                changes: None,
                finalize: false,
            })?;
            times.push(started.elapsed().as_secs_f64());
        }
        let what = if cmd.parallel_verify {
            "block import (signatures also checked on a second thread)"
        } else {
            "block import (signatures checked in execution only)"
        };
        Stats {
            per_block_secs: times,
            transfers: size,
        }
        .report(what);
    }
    Ok(())
}
