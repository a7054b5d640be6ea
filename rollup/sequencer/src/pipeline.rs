//! The witness pipeline: executes cut batches on the Merkle [`AccountTree`], in order, off
//! the soft-confirm path.
//!
//! For each cut batch it runs [`execute_batch`], then writes in one atomic write the trace
//! (what the prover farm gets), the batch's roots, the accounts the batch touched (the tree
//! checkpoint) and the traced-up-to counter, and hands the trace to the prover. A restart
//! rebuilds the tree from the checkpoint and re-traces the cut batches after it.
//!
//! A batch that fails to execute is an invariant breach (the soft state should have
//! refused the transaction that fails): it is logged loudly, the batch is marked dropped and
//! the sequencer halts admission, since no later batch can be traced on a root that does
//! not exist.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use echonet_rollup_primitives::{
    execute_batch, field::fr_to_be_bytes, AccountTree, BatchHeader, BatchTrace, Tx,
};

use crate::mempool::CutBatch;
use crate::shared::Shared;
use crate::store::{batch_key, col, meta_key};
use crate::types::{now_ms, BatchState, BatchStatus, StoredAccount};

/// Builds the tree from the store's checkpoint.
pub fn load_tree(shared: &Shared) -> Result<AccountTree, String> {
    let accounts = shared.store.accounts().map_err(|e| e.to_string())?;
    let mut updates = Vec::with_capacity(accounts.len());
    for (index, a) in accounts {
        let pk = echonet_rollup_primitives::babyjubjub::Point::decompress(&a.pubkey)
            .map_err(|e| format!("checkpoint account {index}: {e}"))?;
        updates.push((
            index,
            Some(echonet_rollup_primitives::Account {
                pubkey: echonet_rollup_primitives::PublicKey(pk),
                balance: a.balance,
                nonce: a.nonce,
            }),
        ));
    }
    let mut tree = AccountTree::new();
    tree.set_many(updates).map_err(|e| e.to_string())?;
    Ok(tree)
}

/// Indices a batch touches (for the checkpoint).
fn touched(txs: &[Tx], fee_account: u32) -> BTreeSet<u32> {
    let mut s = BTreeSet::new();
    s.insert(fee_account);
    for tx in txs {
        match tx {
            Tx::Transfer(t) => {
                s.insert(t.from);
                s.insert(t.to);
            }
            Tx::Withdraw(w) => {
                s.insert(w.from);
            }
            Tx::Deposit(d) => {
                s.insert(d.to);
            }
            Tx::Noop => {}
        }
    }
    s
}

/// Runs the pipeline until `rx` closes: first `backlog` (cut batches not yet traced, from
/// [`crate::mempool::recover`]), then what admission cuts.
pub fn run(
    shared: Arc<Shared>,
    mut tree: AccountTree,
    backlog: Vec<CutBatch>,
    rx: Receiver<CutBatch>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    for c in backlog.into_iter().chain(rx.iter()) {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if shared.halted().is_some() {
            tracing::error!(target: "pipeline", "Not tracing batch #{}: the sequencer is halted", c.number);
            continue;
        }
        if let Err(e) = trace_one(&shared, &mut tree, &c) {
            shared.halt(format!("batch #{}: {e}", c.number));
            let mut wb = shared.store.batch();
            wb.put_encoded(
                col::STATUS,
                &batch_key(c.number),
                &BatchState {
                    status: BatchStatus::Dropped,
                    l1_block: None,
                    proof: None,
                    reason: Some(format!("invariant breach: {e}")),
                },
            );
            let _ = shared.store.write(wb, true);
            shared.publish(c.number, BatchStatus::Dropped);
        }
    }
    tracing::info!(target: "pipeline", "Witness pipeline stopped");
}

fn trace_one(shared: &Shared, tree: &mut AccountTree, c: &CutBatch) -> Result<(), String> {
    let p = shared.params;
    let header = BatchHeader {
        chain_id: p.chain_id,
        instance: p.instance,
        batch_number: c.number,
        operator: p.fee_account,
    };
    let trace = execute_batch(tree, &header, &c.txs, p.batch_size as usize).map_err(|e| {
        format!("INVARIANT BREACH: the soft state admitted a batch that does not execute: {e}")
    })?;
    let json = serde_json::to_vec(&trace).map_err(|e| format!("cannot encode the trace: {e}"))?;
    let mut wb = shared.store.batch();
    wb.put(col::TRACES, &batch_key(c.number), &json);
    wb.put_encoded(
        col::ROOTS,
        &batch_key(c.number),
        &(
            fr_to_be_bytes(&trace.old_root),
            fr_to_be_bytes(&trace.new_root),
        ),
    );
    for index in touched(&c.txs, p.fee_account) {
        if let Some(a) = tree.get(index) {
            wb.put_encoded(
                col::ACCOUNTS,
                &index.to_be_bytes(),
                &StoredAccount {
                    pubkey: a.pubkey.0.compress(),
                    balance: a.balance,
                    nonce: a.nonce,
                },
            );
        }
    }
    wb.put_meta_u64(meta_key::TRACED, c.number);
    shared
        .store
        .write(wb, false)
        .map_err(|e| format!("cannot store the trace: {e}"))?;
    shared.progress.traced.store(c.number, Ordering::Relaxed);
    let secs = now_ms().saturating_sub(c.cut_at_ms) as f64 / 1000.0;
    shared.metrics.cut_to_trace.observe(secs);
    tracing::info!(
        target: "pipeline",
        "Traced batch #{}: root {} → {}",
        c.number,
        hex::encode(fr_to_be_bytes(&trace.old_root)),
        hex::encode(fr_to_be_bytes(&trace.new_root))
    );
    shared.prover.add_job(c.number, Arc::new(trace));
    Ok(())
}

/// The stored trace of `number` for the prover (after a restart, for every traced batch not
/// yet proven).
pub fn stored_trace(shared: &Shared, number: u64) -> Result<Option<BatchTrace>, String> {
    shared.store.trace(number).map_err(|e| e.to_string())
}
