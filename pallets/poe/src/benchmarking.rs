//! Benchmarks of pallet-poe (frame-benchmarking v2).
//!
//! Claims are measured with real Merkle proofs of the given depth: the first leaves of a
//! period of `2^d` leaves (`u32::MAX` for `d = 32`), whose lower levels are a real tree
//! and whose upper siblings are arbitrary hashes (the pallet cannot tell: it folds the
//! proof to the root either way). `d = 20` is a period of 10⁶ accounts.

use super::*;
use crate::merkle;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
    traits::{
        fungible::{Inspect, Mutate},
        EnsureOrigin, Get, Hooks,
    },
    BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use pallet_witness::Verdict;
use sp_core::H256;
use sp_runtime::traits::{Bounded, One, Saturating};

/// What the pool holds for a benchmark period.
fn pool_amount<T: Config>() -> BalanceOf<T> {
    T::Currency::minimum_balance()
        .max(1u32.into())
        .saturating_mul(1_000_000u32.into())
}

/// Funds the pool and closes period 0 at block 1.
fn closed_period<T: Config>() -> PeriodIndex {
    let pool = Pallet::<T>::account_id();
    T::Currency::set_balance(
        &pool,
        T::Currency::minimum_balance().saturating_add(pool_amount::<T>()),
    );
    frame_system::Pallet::<T>::set_block_number(One::one());
    Pallet::<T>::close_period(One::one());
    0
}

/// The number of leaves of a period whose proofs have `d` siblings.
fn leaves_for_depth(d: u32) -> u32 {
    if d >= 32 {
        u32::MAX
    } else {
        1u32 << d
    }
}

/// `n` claims (accounts with reputation) of period `period`, with proofs of depth
/// `max(d, ceil(log2 n))`; returns them with the root and the leaf count.
fn claims_with_depth<T: Config>(
    period: PeriodIndex,
    n: u32,
    d: u32,
) -> (Vec<ClaimOf<T>>, H256, u32) {
    let floor = Pallet::<T>::params().reputation_floor;
    let k = merkle::depth(n.max(1));
    let d = d.max(k);
    let accounts: Vec<T::AccountId> = (0..n).map(|i| account("earner", i, 0)).collect();
    let mut hashes: Vec<H256> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| merkle::leaf_hash(period, i as u32, a, 1))
        .collect();
    // A full subtree of 2^k leaves under the real ones.
    hashes.resize(1usize << k, H256::repeat_byte(0xaa));
    let tree = merkle::Tree::build(hashes).expect("n ≥ 1");
    let upper: Vec<H256> = (k..d).map(|j| H256::repeat_byte(j as u8)).collect();
    let mut root = tree.root();
    for sibling in &upper {
        root = merkle::node_hash(&root, sibling);
    }
    let claims = accounts
        .into_iter()
        .enumerate()
        .map(|(i, account)| {
            T::BenchmarkHelper::set_reputation(&account, floor);
            let mut proof = tree.proof(i).expect("leaf exists");
            proof.extend(upper.iter().copied());
            Claim {
                index: i as u32,
                account,
                score: 1,
                proof: BoundedVec::try_from(proof).expect("d ≤ MaxProofDepth"),
            }
        })
        .collect();
    (claims, root, leaves_for_depth(d))
}

/// Makes `period` claimable against `root` with `leaves` leaves, as an accepted proposal
/// would. The total score is `claimed`, the number of score-1 leaves the benchmark claims,
/// so that each claim pays `pool / claimed` (well above the existential deposit: the
/// credit is measured, not skipped as a zero payment).
fn score<T: Config>(period: PeriodIndex, root: H256, leaves: u32, claimed: u32) {
    Periods::<T>::mutate(period, |info| {
        let info = info.as_mut().expect("closed");
        info.root = Some(root);
        info.total_score = u128::from(claimed);
        info.leaves = leaves;
        info.score_cap = u128::MAX;
        info.state = PeriodState::Scored;
    });
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn submit_scores() {
        let period = closed_period::<T>();
        let caller: T::AccountId = whitelisted_caller();
        T::BenchmarkHelper::prepare_submitter(&caller);
        let root = H256::repeat_byte(1);
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), period, root, 1_000u128, 1_000u32);
        assert_eq!(Proposals::<T>::iter_prefix(period).count(), 1);
    }

    #[benchmark]
    fn accept_scores() {
        let period = closed_period::<T>();
        let caller: T::AccountId = whitelisted_caller();
        T::BenchmarkHelper::prepare_submitter(&caller);
        let root = H256::repeat_byte(1);
        Pallet::<T>::do_submit_scores(caller.clone(), period, root, 1_000, 1_000).expect("submits");
        T::BenchmarkHelper::set_receipt(
            scores_payload_hash(period, &root, 1_000, 1_000),
            Verdict::Valid,
        );
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), period, root, 1_000u128, 1_000u32);
        assert_eq!(Periods::<T>::get(period).expect("closed").root, Some(root));
    }

    #[benchmark]
    fn claim(d: Linear<0, { T::MaxProofDepth::get() }>) {
        let period = closed_period::<T>();
        let (mut claims, root, leaves) = claims_with_depth::<T>(period, 1, d);
        score::<T>(period, root, leaves, 1);
        let c = claims.pop().expect("one claim");
        let caller: T::AccountId = whitelisted_caller();
        #[extrinsic_call]
        _(
            RawOrigin::Signed(caller),
            period,
            c.index,
            c.account,
            c.score,
            c.proof,
        );
        assert_eq!(Claimed::<T>::get(period, 0), 1);
    }

    #[benchmark]
    fn claim_many(
        n: Linear<1, { T::MaxClaimsPerCall::get() }>,
        d: Linear<0, { T::MaxProofDepth::get() }>,
    ) {
        let period = closed_period::<T>();
        let (claims, root, leaves) = claims_with_depth::<T>(period, n, d);
        score::<T>(period, root, leaves, n);
        let claims = BoundedVec::try_from(claims).expect("n ≤ MaxClaimsPerCall");
        let caller: T::AccountId = whitelisted_caller();
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), period, claims);
        // Every claim was paid: all n bits are set.
        let set: u32 = (0..n.div_ceil(128))
            .map(|w| Claimed::<T>::get(period, w).count_ones())
            .sum();
        assert_eq!(set, n);
    }

    #[benchmark]
    fn fund() {
        let caller: T::AccountId = whitelisted_caller();
        T::Currency::set_balance(&caller, pool_amount::<T>().saturating_mul(2u32.into()));
        let before = T::Currency::balance(&Pallet::<T>::account_id());
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), pool_amount::<T>());
        assert_eq!(
            T::Currency::balance(&Pallet::<T>::account_id()),
            before.saturating_add(pool_amount::<T>())
        );
    }

    #[benchmark]
    fn set_params() -> Result<(), BenchmarkError> {
        let origin =
            T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let mut params = Pallet::<T>::params();
        params.claim_window = params.claim_window.saturating_add(1);
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, params.clone());
        assert_eq!(Pallet::<T>::params(), params);
        Ok(())
    }

    #[benchmark]
    fn on_initialize_idle() {
        let now: BlockNumberFor<T> = One::one();
        assert!(CurrentSchedule::<T>::get().next_close > now);
        #[block]
        {
            Pallet::<T>::on_initialize(now);
        }
        assert_eq!(CurrentSchedule::<T>::get().current, 0);
    }

    #[benchmark]
    fn close_period() {
        let pool = Pallet::<T>::account_id();
        T::Currency::set_balance(
            &pool,
            T::Currency::minimum_balance().saturating_add(pool_amount::<T>()),
        );
        let now: BlockNumberFor<T> = BlockNumberFor::<T>::max_value() / 2u32.into();
        #[block]
        {
            Pallet::<T>::close_period(now);
        }
        assert_eq!(
            Periods::<T>::get(0).expect("closed").pool,
            pool_amount::<T>()
        );
    }

    #[benchmark]
    fn expire_period() {
        let period = closed_period::<T>();
        let window = Pallet::<T>::params().claim_window;
        CurrentSchedule::<T>::mutate(|s| {
            s.current = period.saturating_add(window).saturating_add(1)
        });
        #[block]
        {
            assert!(Pallet::<T>::expire_one());
        }
        assert_eq!(
            Periods::<T>::get(period).expect("kept").state,
            PeriodState::Expired
        );
    }

    #[benchmark]
    fn purge_claimed(n: Linear<0, { T::MaxClearPerBlock::get() }>) {
        let period = closed_period::<T>();
        for w in 0..n {
            Claimed::<T>::insert(period, w, u128::MAX);
        }
        let window = Pallet::<T>::params().claim_window;
        CurrentSchedule::<T>::mutate(|s| {
            s.current = period.saturating_add(window).saturating_add(1)
        });
        assert!(Pallet::<T>::expire_one());
        #[block]
        {
            Pallet::<T>::purge_step();
        }
        assert_eq!(Claimed::<T>::iter_prefix(period).count(), 0);
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
