//! `echonet-node benchmark fee-market`: the fee market's response to sustained load,
//! through the real authoring path.
//!
//! Blocks of sr25519-signed `transfer_keep_alive`s are built by the block builder (as the
//! Aura author builds them: `initialize_block`, the timestamp inherent, `apply_extrinsic`
//! per transfer, `finalize_block`, where pallet-transaction-payment moves the multiplier)
//! and imported into a fresh RocksDB database, one after the other. Nothing is simulated
//! but the users: the multiplier, the fees and the fullness are the runtime's.
//!
//! **Demand model: a fixed fee budget per block.** Users spend `B` planck on fees per
//! block, where `B` buys `--demand` times the target's transfers at multiplier 1; each
//! block carries `floor(B / fee)` transfers at the fee its parent's multiplier sets. Demand
//! thus falls as `1 / fee`: a price elasticity of 1, the simplest model in which a rising
//! price prices demand back down (constant demand would keep blocks above the target
//! forever and the multiplier rising to its cap; it tests only the cap). It is also what
//! an application with a fee budget does. The equilibrium is where `B` buys exactly the
//! target: `fee(m*) = demand × fee(1)`. Only the weight part of the fee is multiplied, so
//! `m* = 1 + (demand − 1) × fee(1) / weight_fee(1)`, far above `demand` for a transfer,
//! whose fee is mostly base and length fee.

use crate::{
    benchmark::{base_slot, build, import_own, Fixture},
    cli::FeeMarketCmd,
};
use anyhow::{bail, Context};
use echonet_client::{executor::with_state, Client};
use echonet_runtime::{
    extrinsics,
    fees::{market, TargetBlockFullness},
    AccountId, SLOT_DURATION, UNITS,
};
use sp_core::Pair;
use sp_runtime::{FixedPointNumber, FixedU128, Perquintill};
use std::time::Instant;

fn multiplier(m: FixedU128) -> f64 {
    m.into_inner() as f64 / FixedU128::DIV as f64
}

fn fraction(p: Perquintill) -> f64 {
    p.deconstruct() as f64 / 1e18
}

/// Runs `f` over the state after block `hash`.
fn at<R>(client: &Client, hash: sp_core::H256, f: impl FnOnce() -> R) -> anyhow::Result<R> {
    let state = client.state_at(hash)?;
    Ok(with_state(&state, f)?)
}

pub fn run(cmd: &FeeMarketCmd) -> anyhow::Result<()> {
    if !(cmd.demand.is_finite() && cmd.demand > 0.0) {
        bail!("--demand must be a positive number");
    }
    if !(cmd.tolerance.is_finite() && cmd.tolerance > 0.0 && cmd.tolerance < 1.0) {
        bail!("--tolerance must be between 0 and 1");
    }
    if cmd.blocks == 0 || cmd.settle == 0 || cmd.every == 0 {
        bail!("--blocks, --settle and --every must be at least 1");
    }
    let mut fx = Fixture::new(cmd.senders)?;
    let client = fx.open("fee-market", false)?;
    let genesis = client.info().genesis_hash;
    // The fee of a transfer as the blocks carry them (a two-byte compact nonce).
    let dest: AccountId = fx.senders[1 % fx.senders.len()].public().into();
    let sample = extrinsics::transfer(&fx.senders[0], dest, UNITS, 1_000, genesis);
    let (per_tx, target_weight, (fixed1, weighted1)) = at(&client, genesis, || {
        (
            market::block_weight_of(&sample),
            market::target_weight(),
            market::fee_parts_of(&sample),
        )
    })?;
    let fee1 = (fixed1 + weighted1) as f64;
    let target_txs = target_weight as f64 / per_tx as f64;
    let target = fraction(TargetBlockFullness::get());
    if cmd.demand > 1.0 / target {
        bail!(
            "--demand {} does not fit in a block: the normal class holds {:.0} times the target",
            cmd.demand,
            1.0 / target
        );
    }
    let budget = cmd.demand * target_txs * fee1;
    let equilibrium = 1.0 + (cmd.demand - 1.0) * fee1 / weighted1.max(1) as f64;
    println!(
        "fee market: demand {:.2}x the target at multiplier 1, fixed fee budget per block; \
         a transfer weighs {:.1} us, fee at multiplier 1 {:.1} uECHO ({:.1} of it multiplied); \
         target {:.0} transfers/block, demand at multiplier 1 {:.0}; \
         budget {:.3} ECHO/block; equilibrium multiplier {:.2}",
        cmd.demand,
        per_tx as f64 / 1e6,
        fee1 / 1e6,
        weighted1 as f64 / 1e6,
        target_txs,
        cmd.demand * target_txs,
        budget / UNITS as f64,
        equilibrium,
    );
    println!("block  multiplier  fee(uECHO)  transfers  fullness(normal)  build(ms)");
    let slot = base_slot();
    let within = |fullness: f64| (fullness / target - 1.0).abs() <= cmd.tolerance;
    let started = Instant::now();
    let mut first_within = None;
    let mut settled = None;
    let mut streak = 0;
    let mut last = (0.0, 0.0);
    for b in 0..cmd.blocks {
        let parent = client.info().best_hash;
        let (fixed, weighted) = at(&client, parent, || market::fee_parts_of(&sample))?;
        let fee = (fixed + weighted) as f64;
        let count = (budget / fee).floor() as usize;
        let txs = fx.transfers(count, genesis);
        let (built, secs) = build(&client, slot + b as u64, txs)
            .with_context(|| format!("block {} of {count} transfers", b + 1))?;
        import_own(&client, built)?;
        let best = client.info().best_hash;
        let (m, full) = at(&client, best, || {
            (market::next_multiplier(), market::normal_fullness())
        })?;
        let (m, full) = (multiplier(m), fraction(full));
        let number = b + 1;
        if within(full) {
            streak += 1;
            first_within.get_or_insert(number);
        } else {
            streak = 0;
        }
        let settling = streak == cmd.settle;
        if b == 0 || number % cmd.every == 0 || settling || first_within == Some(number) {
            println!(
                "{number:>5}  {m:>10.4}  {:>10.1}  {count:>9}  {:>15.2}%  {:>9.0}",
                fee / 1e6,
                full * 100.0,
                secs * 1e3
            );
        }
        last = (m, full);
        if settling {
            settled = Some(number + 1 - cmd.settle);
            break;
        }
    }
    let chain_secs = |blocks: usize| blocks as u64 * SLOT_DURATION / 1_000;
    match first_within {
        Some(n) => println!(
            "first block within {:.0}% of the target: block {n} ({} s of chain time)",
            cmd.tolerance * 100.0,
            chain_secs(n)
        ),
        None => println!(
            "fullness never came within {:.0}% of the target in {} blocks",
            cmd.tolerance * 100.0,
            cmd.blocks
        ),
    }
    match settled {
        Some(n) => println!(
            "settled: from block {n} ({} s of chain time) on, {} consecutive blocks within {:.0}% \
             of the target; multiplier then {:.3} (equilibrium {equilibrium:.3}), fullness {:.2}%",
            chain_secs(n),
            cmd.settle,
            cmd.tolerance * 100.0,
            last.0,
            last.1 * 100.0
        ),
        None => println!(
            "not settled after {} blocks: multiplier {:.3} (equilibrium {equilibrium:.3}), \
             fullness {:.2}%",
            cmd.blocks,
            last.0,
            last.1 * 100.0
        ),
    }
    println!(
        "wall time {:.0} s (signing, building and importing)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
