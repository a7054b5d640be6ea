//! Deterministic sample batches for the CLI, CI and benchmarks. Account `i` is owned by
//! `PrivateKey([i + 1; 32])`; the operator is account 0.

use echonet_rollup_primitives::{
    batch::BatchTrace, execute_batch, Account, AccountTree, Amount40, BatchHeader, Deposit, Fee8,
    PrivateKey, Transfer, Tx, Withdraw,
};

use crate::ProverError;

/// Chain id used by samples.
pub const SAMPLE_CHAIN_ID: u32 = 42;
/// Rollup instance used by samples (above 2^63, so the top of its range is exercised).
pub const SAMPLE_INSTANCE: u64 = 0x9e37_79b9_7f4a_7c15;

/// Which transactions a sample batch holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SampleKind {
    /// Deposits (new and existing account), transfers, a withdrawal, then no-ops.
    Mixed,
    /// Only transfers (the most expensive slot type), for throughput figures.
    Transfers,
}

/// The key of sample account `i`.
pub fn sample_key(i: u32) -> PrivateKey {
    PrivateKey([(i % 250) as u8 + 1; 32])
}

/// A tree with `n` funded accounts `0..n` (as earlier batches would have left it).
pub fn sample_tree(n: u32) -> Result<AccountTree, ProverError> {
    let mut tree = AccountTree::new();
    for i in 0..n {
        tree.set(
            i,
            Some(Account {
                pubkey: sample_key(i).public(),
                balance: 1_000_000_000_000_000,
                nonce: 0,
            }),
        )
        .map_err(|e| ProverError::Trace(e.to_string()))?;
    }
    Ok(tree)
}

/// Transactions of a sample batch over [`sample_tree`] with `accounts` accounts.
pub fn sample_txs(batch_size: usize, kind: SampleKind, accounts: u32) -> Vec<Tx> {
    // Every amount used below is below 2^35, so it has an exact code.
    let amount = |v: u128| Amount40::from_value(v).unwrap_or(Amount40::ZERO);
    let fee = Fee8::from_value(20).unwrap_or(Fee8(0));
    let c = SAMPLE_CHAIN_ID;
    let i = SAMPLE_INSTANCE;
    match kind {
        SampleKind::Mixed => {
            let new_index = accounts;
            let mut txs = vec![
                Tx::Deposit(Deposit {
                    to: new_index,
                    new_account: Some(sample_key(new_index).public()),
                    amount: 5_000_000,
                }),
                Tx::Transfer(Transfer::signed(
                    &sample_key(1),
                    c,
                    i,
                    1,
                    2,
                    amount(1_234_000),
                    fee,
                    0,
                )),
                Tx::Withdraw(Withdraw::signed(
                    &sample_key(3),
                    c,
                    i,
                    3,
                    amount(700_000_000),
                    fee,
                    0,
                    [0xab; 32],
                )),
                Tx::Transfer(Transfer::signed(
                    &sample_key(new_index),
                    c,
                    i,
                    new_index,
                    1,
                    amount(1_000_000),
                    fee,
                    0,
                )),
                Tx::Deposit(Deposit {
                    to: 2,
                    new_account: None,
                    amount: 77,
                }),
                Tx::Transfer(Transfer::signed(
                    &sample_key(2),
                    c,
                    i,
                    2,
                    3,
                    amount(5),
                    Fee8(0),
                    0,
                )),
            ];
            txs.truncate(batch_size);
            txs
        }
        SampleKind::Transfers => {
            let n = accounts.max(2);
            let mut nonces = vec![0u64; n as usize];
            (0..batch_size)
                .map(|k| {
                    let from = 1 + (k as u32) % (n - 1);
                    let to = 1 + (k as u32 + 1) % (n - 1);
                    let to = if to == from { 0 } else { to };
                    let nonce = nonces[from as usize];
                    nonces[from as usize] += 1;
                    Tx::Transfer(Transfer::signed(
                        &sample_key(from),
                        c,
                        i,
                        from,
                        to,
                        amount(1_000 + k as u128),
                        fee,
                        nonce,
                    ))
                })
                .collect()
        }
    }
}

/// Executes a sample batch and returns its trace.
pub fn sample_batch(batch_size: usize, kind: SampleKind) -> Result<BatchTrace, ProverError> {
    let accounts = 6;
    let mut tree = sample_tree(accounts)?;
    let txs = sample_txs(batch_size, kind, accounts);
    let header = BatchHeader {
        chain_id: SAMPLE_CHAIN_ID,
        instance: SAMPLE_INSTANCE,
        batch_number: 7,
        operator: 0,
    };
    execute_batch(&mut tree, &header, &txs, batch_size)
        .map_err(|e| ProverError::Trace(e.to_string()))
}
