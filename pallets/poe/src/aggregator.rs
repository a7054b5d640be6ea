//! The reference aggregator (std only): turns a period's attested engagement events into
//! the score tree whose root [`crate::Pallet::submit_scores`] proposes, and the proofs
//! accounts claim with. Operators run it through `echonet-node poe aggregate`; witness
//! committee members run the same function to check a proposal before voting.
//!
//! ## Scoring
//!
//! For each account `a` with engagement events of weights `w₁ … wₖ` in the period:
//!
//! ```text
//! W(a)     = w₁ + … + wₖ                                   (u128, saturating)
//! score(a) = min(score_cap, ⌊W(a) × (reputation_base + rep(a)) / reputation_base⌋)
//! ```
//!
//! where `rep(a)` is the account's `Role::Creator` reputation as the aggregator reads it
//! (the lookup it is given). Reputation multiplies engagement: an account with
//! `rep = reputation_base` counts double, one with none counts once. Accounts with
//! `rep(a) < reputation_floor` and accounts whose score is zero get no leaf, so that their
//! share goes to the others (the pallet checks the floor again when the account claims,
//! against its reputation then). `score_cap` is the period's cap (`PeriodInfo::score_cap`).
//!
//! ## Output
//!
//! Leaves are sorted by account (`Ord`), indexed from 0 in that order, hashed with
//! [`merkle::leaf_hash`] and built into a [`merkle::Tree`] once; every level is kept so
//! that [`Aggregate::proof`] is a walk of `depth` steps. The cost is one hash-map update
//! per event, a sort of the distinct accounts and `2 × accounts` hashes.

use crate::merkle::{self, Tree};
use codec::Encode;
use sp_core::H256;
use sp_runtime::{helpers_128bit::multiply_by_rational_with_rounding, Rounding};
use std::collections::HashMap;
use std::hash::Hash;

/// The scoring parameters (see the module docs for the formula).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScoringParams {
    /// The reputation that doubles an account's engagement (not zero).
    pub reputation_base: u64,
    /// Accounts with less reputation get no leaf (the pallet's `reputation_floor`).
    pub reputation_floor: u64,
    /// The highest score of one account (the period's `score_cap`).
    pub score_cap: u128,
}

impl Default for ScoringParams {
    /// A base of 1,000 reputation points, the pallet's default floor (1) and cap (10¹²).
    fn default() -> Self {
        ScoringParams {
            reputation_base: 1_000,
            reputation_floor: 1,
            score_cap: 1_000_000_000_000,
        }
    }
}

/// Why [`aggregate`] produced no tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AggregateError {
    /// `reputation_base` is zero.
    ZeroReputationBase,
    /// `score_cap` is zero.
    ZeroScoreCap,
    /// No account scored anything: there is nothing to propose.
    NoLeaves,
    /// More scoring accounts than leaf indices (`u32`).
    TooManyLeaves(usize),
    /// The scores add up to more than `u128::MAX`.
    TotalOverflow,
}

impl core::fmt::Display for AggregateError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AggregateError::ZeroReputationBase => write!(f, "reputation_base must not be zero"),
            AggregateError::ZeroScoreCap => write!(f, "score_cap must not be zero"),
            AggregateError::NoLeaves => write!(f, "no account scored anything in the period"),
            AggregateError::TooManyLeaves(n) => {
                write!(f, "{n} scoring accounts: more than u32 leaf indices")
            }
            AggregateError::TotalOverflow => write!(f, "the total score overflows u128"),
        }
    }
}

impl std::error::Error for AggregateError {}

/// One leaf: account `account` scored `score`, at `index`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaf<AccountId> {
    /// Its index in the tree (its rank in account order).
    pub index: u32,
    /// The account.
    pub account: AccountId,
    /// Its score.
    pub score: u128,
}

/// A period's scores: what `submit_scores` proposes and what claims prove.
#[derive(Clone, Debug)]
pub struct Aggregate<AccountId> {
    /// The period.
    pub period: u32,
    /// The Merkle root.
    pub root: H256,
    /// The sum of all scores.
    pub total_score: u128,
    /// The leaves, in index order (sorted by account).
    pub leaves: Vec<Leaf<AccountId>>,
    tree: Tree,
}

impl<AccountId> Aggregate<AccountId> {
    /// The number of leaves (the `leaves` argument of `submit_scores`).
    pub fn leaf_count(&self) -> u32 {
        // `aggregate` refuses more than u32::MAX leaves.
        self.leaves.len() as u32
    }

    /// The proof of leaf `index` (siblings bottom-up), or `None` if there is no such
    /// leaf.
    pub fn proof(&self, index: u32) -> Option<Vec<H256>> {
        self.tree.proof(index as usize)
    }

    /// The index of `account`'s leaf, if it has one (binary search: leaves are sorted).
    pub fn index_of(&self, account: &AccountId) -> Option<u32>
    where
        AccountId: Ord,
    {
        self.leaves
            .binary_search_by(|l| l.account.cmp(account))
            .ok()
            .map(|i| i as u32)
    }
}

/// Scores the engagement `events` (`(account, weight)`, in any order, an account any
/// number of times) of `period` and builds the tree. `reputation` is called once per
/// distinct account.
pub fn aggregate<AccountId, Events, Reputation>(
    period: u32,
    events: Events,
    reputation: Reputation,
    params: &ScoringParams,
) -> Result<Aggregate<AccountId>, AggregateError>
where
    AccountId: Encode + Ord + Hash + Clone,
    Events: IntoIterator<Item = (AccountId, u64)>,
    Reputation: Fn(&AccountId) -> u64,
{
    if params.reputation_base == 0 {
        return Err(AggregateError::ZeroReputationBase);
    }
    if params.score_cap == 0 {
        return Err(AggregateError::ZeroScoreCap);
    }
    let events = events.into_iter();
    let mut weights: HashMap<AccountId, u128> = HashMap::with_capacity(events.size_hint().0);
    for (account, weight) in events {
        let w = weights.entry(account).or_insert(0);
        *w = w.saturating_add(u128::from(weight));
    }
    let base = u128::from(params.reputation_base);
    let mut scored: Vec<(AccountId, u128)> = weights
        .into_iter()
        .filter_map(|(account, w)| {
            let rep = reputation(&account);
            if rep < params.reputation_floor {
                return None;
            }
            let factor = base.saturating_add(u128::from(rep));
            let score = multiply_by_rational_with_rounding(w, factor, base, Rounding::Down)
                .unwrap_or(u128::MAX)
                .min(params.score_cap);
            (score > 0).then_some((account, score))
        })
        .collect();
    if scored.is_empty() {
        return Err(AggregateError::NoLeaves);
    }
    if u32::try_from(scored.len()).is_err() {
        return Err(AggregateError::TooManyLeaves(scored.len()));
    }
    // Accounts are distinct keys of the map: an unstable sort gives the one order.
    scored.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut total: u128 = 0;
    let mut hashes = Vec::with_capacity(scored.len());
    let mut leaves = Vec::with_capacity(scored.len());
    for (index, (account, score)) in scored.into_iter().enumerate() {
        let index = index as u32;
        total = total
            .checked_add(score)
            .ok_or(AggregateError::TotalOverflow)?;
        hashes.push(merkle::leaf_hash(period, index, &account, score));
        leaves.push(Leaf {
            index,
            account,
            score,
        });
    }
    let tree = Tree::build(hashes).ok_or(AggregateError::NoLeaves)?;
    Ok(Aggregate {
        period,
        root: tree.root(),
        total_score: total,
        leaves,
        tree,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> ScoringParams {
        ScoringParams {
            reputation_base: 100,
            reputation_floor: 10,
            score_cap: 1_000,
        }
    }

    #[test]
    fn scores_follow_the_documented_formula() {
        // 1: 30 + 20 = 50 weight, rep 100 → 50 × 200 / 100 = 100.
        // 2: 7 weight, rep 50 → 7 × 150 / 100 = 10.5 → 10.
        // 3: 900 weight, rep 100 → 1800, capped at 1000.
        // 4: rep 9, below the floor: no leaf. 5: weight 0: no leaf.
        let events = vec![(2u64, 7), (1, 30), (3, 900), (4, 500), (1, 20), (5, 0)];
        let rep = |a: &u64| match a {
            1 | 3 => 100,
            2 => 50,
            4 => 9,
            _ => 1_000,
        };
        let agg = aggregate(3, events, rep, &params()).unwrap();
        let got: Vec<(u32, u64, u128)> = agg
            .leaves
            .iter()
            .map(|l| (l.index, l.account, l.score))
            .collect();
        assert_eq!(got, vec![(0, 1, 100), (1, 2, 10), (2, 3, 1_000)]);
        assert_eq!(agg.total_score, 1_110);
        assert_eq!(agg.leaf_count(), 3);
        assert_eq!(agg.index_of(&3), Some(2));
        assert_eq!(agg.index_of(&4), None);
        for l in &agg.leaves {
            let leaf = merkle::leaf_hash(3, l.index, &l.account, l.score);
            let proof = agg.proof(l.index).unwrap();
            assert!(merkle::verify(&agg.root, leaf, l.index, 3, &proof));
        }
    }

    #[test]
    fn event_order_does_not_change_the_root() {
        let events: Vec<(u64, u64)> = (0..500u64).map(|i| (i % 37, i % 11 + 1)).collect();
        let mut reversed = events.clone();
        reversed.reverse();
        let a = aggregate(1, events, |_| 10, &params()).unwrap();
        let b = aggregate(1, reversed, |_| 10, &params()).unwrap();
        assert_eq!(a.root, b.root);
        assert_eq!(a.total_score, b.total_score);
        // Another period gives another root (the period is in every leaf).
        let c = aggregate(
            2,
            a.leaves.iter().map(|l| (l.account, 1)),
            |_| 10,
            &params(),
        )
        .unwrap();
        assert_ne!(a.root, c.root);
    }

    #[test]
    fn refuses_nonsense() {
        let p = ScoringParams {
            reputation_base: 0,
            ..params()
        };
        assert_eq!(
            aggregate(1, vec![(1u64, 1)], |_| 10, &p).unwrap_err(),
            AggregateError::ZeroReputationBase
        );
        let p = ScoringParams {
            score_cap: 0,
            ..params()
        };
        assert_eq!(
            aggregate(1, vec![(1u64, 1)], |_| 10, &p).unwrap_err(),
            AggregateError::ZeroScoreCap
        );
        assert_eq!(
            aggregate(1, Vec::<(u64, u64)>::new(), |_| 10, &params()).unwrap_err(),
            AggregateError::NoLeaves
        );
        assert_eq!(
            aggregate(1, vec![(1u64, 5)], |_| 0, &params()).unwrap_err(),
            AggregateError::NoLeaves
        );
    }

    #[test]
    fn huge_weights_saturate_into_the_cap_and_an_overflowing_total_is_refused() {
        let events = vec![(1u64, u64::MAX), (1, u64::MAX), (2, u64::MAX)];
        let capped = ScoringParams {
            reputation_base: 1,
            reputation_floor: 0,
            score_cap: 1_000_000_000_000,
        };
        let agg = aggregate(1, events.clone(), |_| u64::MAX, &capped).unwrap();
        assert_eq!(agg.total_score, 2_000_000_000_000);
        // Uncapped, account 1's score saturates at u128::MAX and the total overflows.
        let uncapped = ScoringParams {
            score_cap: u128::MAX,
            ..capped
        };
        assert_eq!(
            aggregate(1, events, |_| u64::MAX, &uncapped).unwrap_err(),
            AggregateError::TotalOverflow
        );
    }
}
