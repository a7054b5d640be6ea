//! The soft state: every account's balance and nonce, without Merkle hashing.
//!
//! Two views are kept:
//! * `pending`: after every soft-confirmed transaction (what admission checks against);
//! * `committed`: after the last cut batch (what `l2_getAccount` reports as balance/nonce).
//!
//! The rules are exactly [`echonet_rollup_primitives::execute_batch`]'s, so a transaction the
//! soft state accepts always executes: the sender exists, the nonce equals the account's,
//! `amount + fee` is covered, the receiver exists and differs from the sender, credits do
//! not overflow; fees are credited to the fee account once per batch, at the cut (so the
//! fee account cannot spend fees of the batch it is in, as in execution).

use std::collections::HashMap;

use echonet_rollup_primitives::{tx::MAX_NONCE, Deposit, PublicKey, Tx};

use crate::types::{StoredAccount, StoredTx};

/// An account in the soft state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountState {
    /// Its key.
    pub pubkey: PublicKey,
    /// Compressed key (what `l2_getAccount` shows and looks up).
    pub packed: [u8; 32],
    /// Balance.
    pub balance: u128,
    /// Nonce (the next one it must sign).
    pub nonce: u64,
}

/// Why the soft state refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// No account at this index.
    #[error("account {0} does not exist")]
    UnknownAccount(u32),
    /// Nonce below the account's.
    #[error("nonce too low: expected {expected}")]
    NonceTooLow {
        /// The account's nonce.
        expected: u64,
    },
    /// Nonce above the account's.
    #[error("nonce too high: expected {expected}")]
    NonceTooHigh {
        /// The account's nonce.
        expected: u64,
    },
    /// `amount + fee` above the balance.
    #[error("insufficient balance: {balance} available, {needed} needed")]
    InsufficientBalance {
        /// Pending balance.
        balance: u128,
        /// amount + fee.
        needed: u128,
    },
    /// `from == to`.
    #[error("self-transfer")]
    SelfTransfer,
    /// The amount code does not decode, a credit would overflow, or the nonce is exhausted.
    #[error("{0}")]
    Invalid(String),
}

/// Accounts after all soft-confirmed transactions, and after the last cut.
#[derive(Debug, Default, Clone)]
pub struct SoftState {
    pending: HashMap<u32, AccountState>,
    committed: HashMap<u32, AccountState>,
    by_key: HashMap<[u8; 32], u32>,
}

impl SoftState {
    /// From the tree checkpoint (both views equal).
    pub fn from_accounts(accounts: &[(u32, StoredAccount)]) -> Result<SoftState, String> {
        let mut s = SoftState::default();
        for (index, a) in accounts {
            let point = echonet_rollup_primitives::babyjubjub::Point::decompress(&a.pubkey)
                .map_err(|e| format!("account {index}: bad key: {e}"))?;
            let st = AccountState {
                pubkey: PublicKey(point),
                packed: a.pubkey,
                balance: a.balance,
                nonce: a.nonce,
            };
            s.pending.insert(*index, st);
            s.by_key.entry(a.pubkey).or_insert(*index);
        }
        s.committed = s.pending.clone();
        Ok(s)
    }

    /// An account after every soft-confirmed transaction.
    pub fn pending(&self, index: u32) -> Option<&AccountState> {
        self.pending.get(&index)
    }

    /// An account after the last cut batch.
    pub fn committed(&self, index: u32) -> Option<&AccountState> {
        self.committed.get(&index)
    }

    /// The (lowest) index holding this compressed key.
    pub fn index_of(&self, packed: &[u8; 32]) -> Option<u32> {
        self.by_key.get(packed).copied()
    }

    /// Number of accounts (pending view).
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether there are no accounts.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Checks `tx` (signature already verified) against the pending view and applies it.
    /// Returns the fee it pays. Nothing changes on error.
    pub fn apply_tx(&mut self, tx: &Tx) -> Result<u128, StateError> {
        let (from, to, amount, fee, nonce) = match tx {
            Tx::Transfer(t) => (t.from, Some(t.to), t.amount, t.fee, t.nonce),
            Tx::Withdraw(w) => (w.from, None, w.amount, w.fee, w.nonce),
            _ => return Err(StateError::Invalid("not a user transaction".into())),
        };
        let amount = amount
            .value()
            .map_err(|e| StateError::Invalid(e.to_string()))?;
        let fee = fee.value();
        let sender = *self
            .pending
            .get(&from)
            .ok_or(StateError::UnknownAccount(from))?;
        if let Some(to) = to {
            if to == from {
                return Err(StateError::SelfTransfer);
            }
        }
        if sender.nonce > MAX_NONCE || nonce >= MAX_NONCE {
            return Err(StateError::Invalid("account nonce exhausted".into()));
        }
        if nonce < sender.nonce {
            return Err(StateError::NonceTooLow {
                expected: sender.nonce,
            });
        }
        if nonce > sender.nonce {
            return Err(StateError::NonceTooHigh {
                expected: sender.nonce,
            });
        }
        let needed = amount
            .checked_add(fee)
            .ok_or(StateError::InsufficientBalance {
                balance: sender.balance,
                needed: u128::MAX,
            })?;
        let new_balance =
            sender
                .balance
                .checked_sub(needed)
                .ok_or(StateError::InsufficientBalance {
                    balance: sender.balance,
                    needed,
                })?;
        let credited = match to {
            Some(to) => {
                let receiver = self
                    .pending
                    .get(&to)
                    .ok_or(StateError::UnknownAccount(to))?;
                Some((
                    to,
                    receiver
                        .balance
                        .checked_add(amount)
                        .ok_or_else(|| StateError::Invalid("receiver balance overflow".into()))?,
                ))
            }
            None => None,
        };
        let s = self.pending.entry(from).or_insert(sender);
        s.balance = new_balance;
        s.nonce += 1;
        if let Some((to, bal)) = credited {
            if let Some(r) = self.pending.get_mut(&to) {
                r.balance = bal;
            }
        }
        Ok(fee)
    }

    /// Applies an L1 deposit to the pending view. An error means the bridge queued a deposit
    /// execution would refuse: an invariant breach on L1's side.
    pub fn apply_deposit(&mut self, d: &Deposit) -> Result<(), String> {
        Self::deposit_into(&mut self.pending, Some(&mut self.by_key), d)
    }

    fn deposit_into(
        map: &mut HashMap<u32, AccountState>,
        by_key: Option<&mut HashMap<[u8; 32], u32>>,
        d: &Deposit,
    ) -> Result<(), String> {
        echonet_rollup_primitives::tree::check_index(d.to).map_err(|e| e.to_string())?;
        match &d.new_account {
            Some(pk) => {
                if map.contains_key(&d.to) {
                    return Err(format!("deposit creates account {} which exists", d.to));
                }
                let packed = pk.0.compress();
                map.insert(
                    d.to,
                    AccountState {
                        pubkey: *pk,
                        packed,
                        balance: d.amount,
                        nonce: 0,
                    },
                );
                if let Some(by_key) = by_key {
                    by_key.entry(packed).or_insert(d.to);
                }
            }
            None => {
                let a = map
                    .get_mut(&d.to)
                    .ok_or_else(|| format!("deposit credits missing account {}", d.to))?;
                a.balance = a
                    .balance
                    .checked_add(d.amount)
                    .ok_or_else(|| format!("deposit overflows account {}", d.to))?;
            }
        }
        Ok(())
    }

    /// Whether the fee account exists in the pending view (a batch can then be cut).
    pub fn has_account(&self, index: u32) -> bool {
        self.pending.contains_key(&index)
    }

    /// At a cut: credits the batch's fees to the fee account in the pending view, and
    /// brings the committed view up to date with the batch's entries.
    pub fn cut(&mut self, txs: &[Tx], fee_account: u32, fees: u128) -> Result<(), String> {
        if let Some(op) = self.pending.get_mut(&fee_account) {
            op.balance = op.balance.checked_add(fees).ok_or("fee account overflow")?;
        } else {
            return Err(format!("fee account {fee_account} does not exist"));
        }
        // The committed view replays the batch; every step was checked on the pending view.
        for tx in txs {
            match tx {
                Tx::Deposit(d) => Self::deposit_into(&mut self.committed, None, d)?,
                Tx::Transfer(t) => {
                    let amount = t.amount.value().map_err(|e| e.to_string())?;
                    Self::debit(&mut self.committed, t.from, amount + t.fee.value())?;
                    let r = self
                        .committed
                        .get_mut(&t.to)
                        .ok_or("committed view: missing receiver")?;
                    r.balance += amount;
                }
                Tx::Withdraw(w) => {
                    let amount = w.amount.value().map_err(|e| e.to_string())?;
                    Self::debit(&mut self.committed, w.from, amount + w.fee.value())?;
                }
                Tx::Noop => {}
            }
        }
        let op = self
            .committed
            .get_mut(&fee_account)
            .ok_or("committed view: missing fee account")?;
        op.balance += fees;
        Ok(())
    }

    fn debit(map: &mut HashMap<u32, AccountState>, from: u32, cost: u128) -> Result<(), String> {
        let a = map.get_mut(&from).ok_or("committed view: missing sender")?;
        a.balance = a
            .balance
            .checked_sub(cost)
            .ok_or("committed view: overdraft")?;
        a.nonce += 1;
        Ok(())
    }
}

/// Soft-confirmed transactions not yet proven, in total and per sending account: what
/// `--pool-limit` and `--per-account-limit` bound. Shared by admission (which adds) and the
/// service (which releases a batch once it is proven).
#[derive(Debug, Default)]
pub struct Backlog {
    inner: parking_lot::Mutex<BacklogInner>,
}

#[derive(Debug, Default)]
struct BacklogInner {
    total: usize,
    per_account: HashMap<u32, u32>,
    per_batch: std::collections::BTreeMap<u64, Vec<u32>>,
}

impl Backlog {
    /// Transactions in the backlog.
    pub fn total(&self) -> usize {
        self.inner.lock().total
    }

    /// Backlog of one account.
    pub fn of(&self, account: u32) -> u32 {
        self.inner
            .lock()
            .per_account
            .get(&account)
            .copied()
            .unwrap_or(0)
    }

    /// Adds a transaction from `account` in `batch`.
    pub fn add(&self, batch: u64, account: u32) {
        let mut g = self.inner.lock();
        g.total += 1;
        *g.per_account.entry(account).or_insert(0) += 1;
        g.per_batch.entry(batch).or_default().push(account);
    }

    /// Releases every transaction of `batch` (proven or dropped).
    pub fn release(&self, batch: u64) {
        let mut g = self.inner.lock();
        if let Some(accounts) = g.per_batch.remove(&batch) {
            g.total -= accounts.len();
            for a in accounts {
                if let Some(n) = g.per_account.get_mut(&a) {
                    *n -= 1;
                    if *n == 0 {
                        g.per_account.remove(&a);
                    }
                }
            }
        }
    }

    /// Adds the transactions of stored entries (at start-up).
    pub fn add_stored(&self, batch: u64, txs: impl Iterator<Item = StoredTx>) {
        for t in txs {
            self.add(batch, t.from());
        }
    }
}
