//! Replaying a settled batch from L1 data alone: its DA bytes and the deposits it consumed.
//!
//! This is how an L2 state is rebuilt from the chain (`echonet-sequencer rebuild`, a second
//! operator, an auditor). The DA carries no nonces and no signatures: the validity proof that
//! the bridge verified replaces them, so [`replay_batch`] applies each record's effect
//! without checking a signature. Nonces follow from the state: every transfer and withdrawal
//! increments its sender's nonce, exactly as [`crate::execute_batch`] does.
//!
//! The DA does not carry a deposit's amount or a new account's key either; they come from the
//! bridge's deposit queue (the entries the batch consumed, in queue order), which the caller
//! passes as [`Deposit`]s.
//!
//! Every check [`crate::execute_batch`] makes and the data allows is made here too (the
//! account exists, or does not for a created one; the sender can pay `amount + fee`; no
//! balance overflows; the nonce is not exhausted; the operator account exists), so replaying
//! data the bridge never accepted fails instead of producing a state no proof backs. On any
//! error the tree is unchanged: the effects are collected in an overlay and written once,
//! with [`AccountTree::set_many`], at the end.

use std::collections::BTreeMap;

use crate::batch::BatchError;
use crate::da::{self, DaError, DaRecord};
use crate::field::Fr;
use crate::tree::{check_index, Account, AccountTree};
use crate::tx::{Deposit, MAX_NONCE};

/// What a replayed batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// The root before the batch.
    pub old_root: Fr,
    /// The root after the batch (fees credited).
    pub new_root: Fr,
    /// The operator index that received the fees (the DA header).
    pub operator: u32,
    /// The fees credited to the operator.
    pub total_fee: u128,
    /// Deposits consumed (always `deposits.len()` on success).
    pub deposits: usize,
    /// The withdrawals, in slot order: `(from, decoded amount)`.
    pub withdrawals: Vec<(u32, u128)>,
}

/// The accounts a batch touched, over the tree it started from.
struct Overlay<'a> {
    tree: &'a AccountTree,
    changed: BTreeMap<u32, Account>,
}

impl Overlay<'_> {
    fn get(&self, index: u32) -> Option<Account> {
        self.changed
            .get(&index)
            .copied()
            .or_else(|| self.tree.get(index).copied())
    }

    fn existing(&self, slot: usize, index: u32) -> Result<Account, BatchError> {
        check_index(index).map_err(|source| BatchError::Index { slot, source })?;
        self.get(index).ok_or(BatchError::NoAccount { slot, index })
    }

    fn debit(&mut self, slot: usize, from: u32, amount: u128, fee: u128) -> Result<(), BatchError> {
        let mut account = self.existing(slot, from)?;
        if account.nonce > MAX_NONCE {
            return Err(BatchError::NonceExhausted { slot });
        }
        let cost = amount
            .checked_add(fee)
            .ok_or(BatchError::InsufficientBalance { slot })?;
        account.balance = account
            .balance
            .checked_sub(cost)
            .ok_or(BatchError::InsufficientBalance { slot })?;
        account.nonce += 1;
        self.changed.insert(from, account);
        Ok(())
    }

    fn credit(&mut self, slot: usize, to: u32, amount: u128) -> Result<(), BatchError> {
        let mut account = self.existing(slot, to)?;
        account.balance = account
            .balance
            .checked_add(amount)
            .ok_or(BatchError::BalanceOverflow { slot })?;
        self.changed.insert(to, account);
        Ok(())
    }
}

/// Applies a settled batch to `tree` from its DA payload (`da_bytes`, for batches of
/// `batch_size` slots) and the deposits it consumed from the bridge's queue, in queue order
/// (exactly one per deposit record of the DA, each to the index its record names).
///
/// No signature is checked (the DA has none; the proof stood for them). On error the tree is
/// unchanged. Errors are [`BatchError`]s, with slot numbers as [`crate::execute_batch`]
/// reports them; DA and deposit-list problems are [`BatchError::Da`].
pub fn replay_batch(
    tree: &mut AccountTree,
    da_bytes: &[u8],
    batch_size: usize,
    deposits: &[Deposit],
) -> Result<Replayed, BatchError> {
    let decoded = da::decode(da_bytes, batch_size)?;
    let da_deposits = decoded
        .records
        .iter()
        .filter(|r| matches!(r, DaRecord::Deposit { .. }))
        .count();
    if deposits.len() < da_deposits {
        return Err(DaError::DepositQueueTooShort {
            da: da_deposits,
            queued: deposits.len(),
        }
        .into());
    }
    if deposits.len() > da_deposits {
        return Err(DaError::CountMismatch {
            kind: "deposit",
            da: da_deposits,
            given: deposits.len(),
        }
        .into());
    }
    let old_root = tree.root();
    let mut overlay = Overlay {
        tree,
        changed: BTreeMap::new(),
    };
    let mut total_fee: u128 = 0;
    let mut next_deposit = deposits.iter().enumerate();
    let mut withdrawals = Vec::new();
    for (slot, record) in decoded.records.iter().enumerate() {
        match *record {
            DaRecord::Noop => {}
            DaRecord::Transfer {
                from,
                to,
                amount,
                fee,
            } => {
                let amount = amount
                    .value()
                    .map_err(|source| BatchError::Amount { slot, source })?;
                let fee = fee.value();
                overlay.debit(slot, from, amount, fee)?;
                overlay.credit(slot, to, amount)?;
                total_fee = total_fee
                    .checked_add(fee)
                    .ok_or(BatchError::OperatorOverflow)?;
            }
            DaRecord::Withdraw { from, amount, fee } => {
                let amount = amount
                    .value()
                    .map_err(|source| BatchError::Amount { slot, source })?;
                let fee = fee.value();
                overlay.debit(slot, from, amount, fee)?;
                total_fee = total_fee
                    .checked_add(fee)
                    .ok_or(BatchError::OperatorOverflow)?;
                withdrawals.push((from, amount));
            }
            DaRecord::Deposit { to } => {
                // Counted above: there is one deposit per deposit record.
                let Some((i, d)) = next_deposit.next() else {
                    return Err(DaError::DepositQueueTooShort {
                        da: da_deposits,
                        queued: deposits.len(),
                    }
                    .into());
                };
                if d.to != to {
                    return Err(DaError::DepositMismatch(i).into());
                }
                check_index(to).map_err(|source| BatchError::Index { slot, source })?;
                match &d.new_account {
                    None => overlay.credit(slot, to, d.amount)?,
                    Some(pubkey) => {
                        if overlay.get(to).is_some() {
                            return Err(BatchError::AccountExists { slot, index: to });
                        }
                        overlay.changed.insert(
                            to,
                            Account {
                                pubkey: *pubkey,
                                balance: d.amount,
                                nonce: 0,
                            },
                        );
                    }
                }
            }
        }
    }
    // Fees go to the operator once, after the last slot.
    let operator = decoded.operator;
    check_index(operator).map_err(|_| BatchError::NoOperator(operator))?;
    let mut op = overlay
        .get(operator)
        .ok_or(BatchError::NoOperator(operator))?;
    op.balance = op
        .balance
        .checked_add(total_fee)
        .ok_or(BatchError::OperatorOverflow)?;
    overlay.changed.insert(operator, op);

    let changed = overlay.changed;
    // Every index was checked above, so this cannot fail; if it did, it changed nothing.
    tree.set_many(changed.into_iter().map(|(i, a)| (i, Some(a))))
        .map_err(|source| BatchError::Index {
            slot: batch_size,
            source,
        })?;
    Ok(Replayed {
        old_root,
        new_root: tree.root(),
        operator,
        total_fee,
        deposits: deposits.len(),
        withdrawals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{execute_batch, BatchHeader};
    use crate::eddsa::PrivateKey;
    use crate::float::{Amount40, Fee8};
    use crate::tx::{Transfer, Tx, Withdraw};
    use rand::{rngs::StdRng, Rng, SeedableRng};

    const CHAIN: u32 = 7;
    const INSTANCE: u64 = 99;

    /// A model of the L2 for generating valid batches: keys by index, and the tree.
    struct Model {
        keys: Vec<PrivateKey>,
        tree: AccountTree,
        batch: u64,
    }

    impl Model {
        fn new() -> Model {
            Model {
                keys: Vec::new(),
                tree: AccountTree::new(),
                batch: 0,
            }
        }

        /// A random valid batch of at most `size` transactions (some slots no-ops), and the
        /// deposits it consumes.
        fn random_batch(&self, rng: &mut StdRng, size: usize) -> (Vec<Tx>, Vec<Deposit>) {
            // Balances and nonces as the batch goes, to keep every transaction valid.
            let mut bal: BTreeMap<u32, (u128, u64)> = self
                .tree
                .accounts()
                .map(|(i, a)| (*i, (a.balance, a.nonce)))
                .collect();
            let mut next_new = self.keys.len() as u32;
            let mut txs = Vec::new();
            let mut deposits = Vec::new();
            let mut new_keys = 0u8;
            let n = rng.gen_range(0..=size);
            for _ in 0..n {
                let kind = rng.gen_range(0..10);
                let senders: Vec<u32> = bal
                    .iter()
                    .filter(|(i, (b, _))| *b > 0 && (**i as usize) < self.keys.len())
                    .map(|(i, _)| *i)
                    .collect();
                if kind < 3 || senders.is_empty() || bal.len() < 2 {
                    if kind == 0 && !bal.is_empty() {
                        // Credit an existing account.
                        let to = *bal.keys().nth(rng.gen_range(0..bal.len())).unwrap();
                        let amount = rng.gen_range(1..1_000_000u128);
                        bal.get_mut(&to).unwrap().0 += amount;
                        let d = Deposit {
                            to,
                            new_account: None,
                            amount,
                        };
                        deposits.push(d.clone());
                        txs.push(Tx::Deposit(d));
                    } else {
                        // Create one: its key is the model's next key.
                        let key = PrivateKey([(self.keys.len() as u8).wrapping_add(new_keys); 32]);
                        new_keys += 1;
                        let amount = rng.gen_range(0..10_000_000u128);
                        bal.insert(next_new, (amount, 0));
                        let d = Deposit {
                            to: next_new,
                            new_account: Some(key.public()),
                            amount,
                        };
                        next_new += 1;
                        deposits.push(d.clone());
                        txs.push(Tx::Deposit(d));
                    }
                    continue;
                }
                if kind == 3 {
                    txs.push(Tx::Noop);
                    continue;
                }
                let from = senders[rng.gen_range(0..senders.len())];
                let (b, nonce) = bal[&from];
                let fee = Fee8(rng.gen_range(0..0x30));
                let fee_v = fee.value().min(b);
                let fee = Fee8::from_value(fee_v).unwrap_or(Fee8(0));
                let max = b - fee.value();
                let amount = Amount40::from_value(rng.gen_range(0..=max.min(1 << 34))).unwrap();
                let key = &self.keys[from as usize];
                bal.get_mut(&from).unwrap().0 -= amount.value().unwrap() + fee.value();
                bal.get_mut(&from).unwrap().1 += 1;
                if kind < 7 {
                    let others: Vec<u32> = bal.keys().copied().filter(|i| *i != from).collect();
                    let to = others[rng.gen_range(0..others.len())];
                    bal.get_mut(&to).unwrap().0 += amount.value().unwrap();
                    txs.push(Tx::Transfer(Transfer::signed(
                        key, CHAIN, INSTANCE, from, to, amount, fee, nonce,
                    )));
                } else {
                    txs.push(Tx::Withdraw(Withdraw::signed(
                        key,
                        CHAIN,
                        INSTANCE,
                        from,
                        amount,
                        fee,
                        nonce,
                        [rng.gen(); 32],
                    )));
                }
            }
            (txs, deposits)
        }
    }

    #[test]
    fn replay_of_random_valid_batches_reaches_the_executed_root() {
        let mut rng = StdRng::seed_from_u64(0x005e_ed13);
        let mut cases = 0;
        let mut non_trivial = 0;
        for _chain in 0..60 {
            let mut model = Model::new();
            let mut replica = AccountTree::new();
            let size = [1usize, 2, 4, 8][rng.gen_range(0..4)];
            for _ in 0..6 {
                let (txs, deposits) = model.random_batch(&mut rng, size);
                model.batch += 1;
                // The operator is an existing account when there is one (the first batch
                // must create it).
                let operator = if model.keys.is_empty() {
                    0
                } else {
                    rng.gen_range(0..model.keys.len() as u32)
                };
                let header = BatchHeader {
                    chain_id: CHAIN,
                    instance: INSTANCE,
                    batch_number: model.batch,
                    operator,
                };
                let created = deposits.iter().filter(|d| d.new_account.is_some()).count();
                let before = model.tree.root();
                match execute_batch(&mut model.tree, &header, &txs, size) {
                    Ok(trace) => {
                        for _ in 0..created {
                            let n = model.keys.len() as u8;
                            model.keys.push(PrivateKey([n; 32]));
                        }
                        let r = replay_batch(&mut replica, &trace.da, size, &trace.deposits)
                            .expect("a batch execute_batch accepted replays");
                        assert_eq!(r.old_root, trace.old_root);
                        assert_eq!(r.new_root, trace.new_root, "batch {}", model.batch);
                        assert_eq!(replica.root(), model.tree.root());
                        assert_eq!(r.total_fee, trace.total_fee);
                        assert_eq!(
                            r.withdrawals,
                            trace
                                .withdrawals
                                .iter()
                                .map(|w| (w.from, w.amount))
                                .collect::<Vec<_>>()
                        );
                        cases += 1;
                        if trace.slots.iter().any(|s| !matches!(s.tx, Tx::Noop)) {
                            non_trivial += 1;
                        }
                    }
                    Err(BatchError::NoOperator(_)) => {
                        // Only the very first batch can lack an operator account.
                        assert_eq!(model.tree.root(), before);
                        model.batch -= 1;
                    }
                    Err(e) => panic!("the generator made an invalid batch: {e}"),
                }
            }
        }
        assert!(cases >= 300, "only {cases} batches replayed");
        assert!(non_trivial >= 200, "only {non_trivial} non-empty batches");
    }

    fn setup() -> (AccountTree, Vec<PrivateKey>) {
        let keys: Vec<PrivateKey> = (1..=2u8).map(|i| PrivateKey([i; 32])).collect();
        let mut tree = AccountTree::new();
        let deps: Vec<Tx> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                Tx::Deposit(Deposit {
                    to: i as u32,
                    new_account: Some(k.public()),
                    amount: 1_000,
                })
            })
            .collect();
        let header = BatchHeader {
            chain_id: CHAIN,
            instance: INSTANCE,
            batch_number: 1,
            operator: 0,
        };
        execute_batch(&mut tree, &header, &deps, 2).unwrap();
        (tree, keys)
    }

    fn transfer_da(from: u32, to: u32, amount: u128, fee: u8) -> Vec<u8> {
        let tx = Tx::Transfer(Transfer {
            from,
            to,
            amount: Amount40::from_value(amount).unwrap(),
            fee: Fee8(fee),
            nonce: 0,
            signature: crate::eddsa::Signature::empty(),
        });
        da::encode(0, &[tx]).unwrap()
    }

    #[test]
    fn replay_refuses_what_execution_refuses_and_leaves_the_tree_unchanged() {
        let (mut tree, _) = setup();
        let root = tree.root();
        // DA bytes, the deposits given, and the error expected.
        type Case = (Vec<u8>, Vec<Deposit>, fn(&BatchError) -> bool);
        let cases: Vec<Case> = vec![
            (transfer_da(1, 5, 1, 0), vec![], |e| {
                matches!(e, BatchError::NoAccount { slot: 0, index: 5 })
            }),
            (transfer_da(1, 0, 1_000, 1), vec![], |e| {
                matches!(e, BatchError::InsufficientBalance { slot: 0 })
            }),
            // A deposit record without its queued deposit, and one with the wrong index.
            (
                da::encode(
                    0,
                    &[Tx::Deposit(Deposit {
                        to: 1,
                        new_account: None,
                        amount: 0,
                    })],
                )
                .unwrap(),
                vec![],
                |e| matches!(e, BatchError::Da(DaError::DepositQueueTooShort { .. })),
            ),
            (
                da::encode(
                    0,
                    &[Tx::Deposit(Deposit {
                        to: 1,
                        new_account: None,
                        amount: 0,
                    })],
                )
                .unwrap(),
                vec![Deposit {
                    to: 0,
                    new_account: None,
                    amount: 1,
                }],
                |e| matches!(e, BatchError::Da(DaError::DepositMismatch(0))),
            ),
            // More deposits given than the DA consumes.
            (
                transfer_da(1, 0, 1, 0),
                vec![Deposit {
                    to: 0,
                    new_account: None,
                    amount: 1,
                }],
                |e| matches!(e, BatchError::Da(DaError::CountMismatch { .. })),
            ),
            // Creating an account that exists; overflowing a balance.
            (
                da::encode(
                    0,
                    &[Tx::Deposit(Deposit {
                        to: 1,
                        new_account: None,
                        amount: 0,
                    })],
                )
                .unwrap(),
                vec![Deposit {
                    to: 1,
                    new_account: Some(PrivateKey([9; 32]).public()),
                    amount: 1,
                }],
                |e| matches!(e, BatchError::AccountExists { slot: 0, index: 1 }),
            ),
            (
                da::encode(
                    0,
                    &[Tx::Deposit(Deposit {
                        to: 1,
                        new_account: None,
                        amount: 0,
                    })],
                )
                .unwrap(),
                vec![Deposit {
                    to: 1,
                    new_account: None,
                    amount: u128::MAX,
                }],
                |e| matches!(e, BatchError::BalanceOverflow { slot: 0 }),
            ),
            // Truncated DA; the operator account (header 7) does not exist.
            (vec![0, 0], vec![], |e| {
                matches!(e, BatchError::Da(DaError::BadLength(2)))
            }),
            (vec![0, 0, 7], vec![], |e| {
                matches!(e, BatchError::NoOperator(7))
            }),
        ];
        for (i, (da_bytes, deposits, want)) in cases.into_iter().enumerate() {
            let err = replay_batch(&mut tree, &da_bytes, 4, &deposits)
                .expect_err("an invalid batch is refused");
            assert!(want(&err), "case {i}: unexpected error {err:?}");
            assert_eq!(tree.root(), root, "case {i} changed the tree");
        }
        // A valid transfer after a failing slot in the same batch rolls back too.
        let mut bytes = transfer_da(1, 0, 10, 0);
        bytes.extend_from_slice(&transfer_da(1, 0, 5_000, 0)[3..]);
        assert!(matches!(
            replay_batch(&mut tree, &bytes, 4, &[]),
            Err(BatchError::InsufficientBalance { slot: 1 })
        ));
        assert_eq!(tree.root(), root);
        // And a valid one applies: amount moves, the fee goes to the operator, the nonce
        // increments.
        let r = replay_batch(&mut tree, &transfer_da(1, 0, 10, 2), 4, &[]).unwrap();
        assert_eq!(r.total_fee, 2);
        assert_eq!(tree.get(1).unwrap().balance, 1_000 - 12);
        assert_eq!(tree.get(1).unwrap().nonce, 1);
        assert_eq!(tree.get(0).unwrap().balance, 1_000 + 10 + 2);
        assert_eq!(tree.get(0).unwrap().nonce, 0);
    }
}
