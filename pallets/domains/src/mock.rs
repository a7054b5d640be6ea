//! A mock runtime: frame-system, pallet-balances and this pallet, with thread-local mocks of
//! reputation (reads see the pallet's own rewards and penalties), randomness (a fixed seed
//! the tests can change) and linked accounts.

use crate as pallet_domains;
use crate::{Direction, Params, ReputationPoints};
use core::cell::RefCell;
use frame_support::{
    derive_impl, parameter_types,
    traits::{
        fungible::{Inspect, InspectHold},
        Hooks,
    },
    BoundedVec, PalletId,
};
use frame_system::EnsureRoot;
use pallet_reputation::{ReputationHandler, ReputationScores, Role, Score};
use sp_core::H256;
use sp_runtime::{BuildStorage, Perbill};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;
/// Accounts are u64.
pub type AccountId = u64;
/// Balances are u128, as in the runtime.
pub type Balance = u128;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Domains: pallet_domains,
    }
);

parameter_types! {
    /// A block of 16 ms (ref time) without a proof-size limit: draws and verdicts each get
    /// 4 ms of it, a few of the mock's (storage-free) verdicts.
    pub MockBlockWeights: frame_system::limits::BlockWeights =
        frame_system::limits::BlockWeights::simple_max(
            frame_support::weights::Weight::from_parts(16_000_000_000, u64::MAX),
        );
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type BlockWeights = MockBlockWeights;
    type AccountData = pallet_balances::AccountData<Balance>;
}

/// The existential deposit.
pub const ED: Balance = 1;
/// The treasury.
pub const TREASURY: AccountId = 9_000;
/// An optimizer with funds.
pub const OPTIMIZER: AccountId = 1;
/// A second optimizer.
pub const OPTIMIZER2: AccountId = 2;
/// A funder.
pub const FUNDER: AccountId = 3;
/// Evaluators are `EVAL_BASE + i`.
pub const EVAL_BASE: AccountId = 1_000;
/// What every account starts with.
pub const FUNDS: Balance = 1_000_000_000;
/// The optimum deposit in the tests.
pub const DEPOSIT: Balance = 1_000;
/// The minimum bond in the tests.
pub const MIN_BOND: Balance = 100;
/// Windows in the tests.
pub const DRAW_DELAY: u64 = 2;
/// Commit window.
pub const COMMIT: u64 = 5;
/// Reveal window.
pub const REVEAL: u64 = 5;
/// Epoch length.
pub const EPOCH: u64 = 100;
/// Epoch reward.
pub const REWARD: Balance = 1_000_000;

parameter_types! {
    pub const ExistentialDeposit: Balance = ED;
    pub const DomainsPalletId: PalletId = PalletId(*b"ech/domn");
    pub const Treasury: AccountId = TREASURY;
    pub static MaxEvaluatorsPerDomain: u32 = 10_000;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type Balance = Balance;
    type ExistentialDeposit = ExistentialDeposit;
    type AccountStore = System;
    type RuntimeHoldReason = RuntimeHoldReason;
}

thread_local! {
    static REPUTATION: RefCell<BTreeMap<(AccountId, Role), Score>> = const { RefCell::new(BTreeMap::new()) };
    static SEED: RefCell<u64> = const { RefCell::new(0) };
    static LINKED: RefCell<BTreeMap<AccountId, Vec<AccountId>>> = const { RefCell::new(BTreeMap::new()) };
}

/// Reputation in miniature: scores per (account, role), no decay.
pub struct MockReputation;

impl ReputationHandler<AccountId> for MockReputation {
    fn reward(who: &AccountId, role: Role, points: Score) {
        REPUTATION.with(|r| {
            let mut r = r.borrow_mut();
            let e = r.entry((*who, role)).or_default();
            *e = e.saturating_add(points);
        });
    }
    fn penalize(who: &AccountId, role: Role, points: Score) {
        REPUTATION.with(|r| {
            let mut r = r.borrow_mut();
            let e = r.entry((*who, role)).or_default();
            *e = e.saturating_sub(points);
        });
    }
}

impl ReputationScores<AccountId> for MockReputation {
    fn score(who: &AccountId, role: Role) -> Score {
        REPUTATION.with(|r| r.borrow().get(&(*who, role)).copied().unwrap_or(0))
    }
    fn snapshot_score(who: &AccountId, role: Role) -> Score {
        Self::score(who, role)
    }
    fn take_snapshot() {}
}

/// `who`'s reputation in `role`.
pub fn reputation(who: AccountId, role: Role) -> Score {
    MockReputation::score(&who, role)
}

/// Sets `who`'s reputation in `role`.
pub fn set_reputation(who: AccountId, role: Role, score: Score) {
    REPUTATION.with(|r| r.borrow_mut().insert((who, role), score));
}

/// Randomness in miniature: `blake2_256(subject ‖ seed)` with a seed the tests set.
pub struct MockRandomness;

impl crate::QuorumRandomness for MockRandomness {
    fn seed(subject: &[u8]) -> [u8; 32] {
        let salt = SEED.with(|s| *s.borrow());
        let mut data = subject.to_vec();
        data.extend_from_slice(&salt.to_le_bytes());
        sp_io::hashing::blake2_256(&data)
    }
}

/// Changes the randomness seed.
pub fn set_seed(seed: u64) {
    SEED.with(|s| *s.borrow_mut() = seed);
}

/// Linked accounts in miniature.
pub struct MockLinked;

impl crate::LinkedAccounts<AccountId> for MockLinked {
    fn linked(who: &AccountId) -> Vec<AccountId> {
        LINKED.with(|l| l.borrow().get(who).cloned().unwrap_or_default())
    }
}

/// Declares `linked` as `who`'s linked accounts.
pub fn set_linked(who: AccountId, linked: Vec<AccountId>) {
    LINKED.with(|l| l.borrow_mut().insert(who, linked));
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockReputation {
    fn set_reputation(who: &AccountId, score: u64) {
        set_reputation(*who, Role::Evaluator, score);
    }
}

impl pallet_domains::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type GovernanceOrigin = EnsureRoot<AccountId>;
    type PalletId = DomainsPalletId;
    type TreasuryAccount = Treasury;
    type Randomness = MockRandomness;
    type Linked = MockLinked;
    type Reputation = MockReputation;
    type ReputationScores = MockReputation;
    type MaxDomains = frame_support::traits::ConstU32<1_000>;
    type MaxEvaluatorsPerDomain = MaxEvaluatorsPerDomain;
    type MaxDomainsPerEvaluator = frame_support::traits::ConstU32<8>;
    type MaxQuorum = frame_support::traits::ConstU32<200>;
    type MaxOpenOptimums = frame_support::traits::ConstU32<64>;
    type MaxNameLen = frame_support::traits::ConstU32<64>;
    type MaxLinked = frame_support::traits::ConstU32<32>;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = MockReputation;
}

/// The test parameters.
pub fn test_params() -> Params<Balance, u64> {
    Params {
        draw_delay: DRAW_DELAY,
        commit_window: COMMIT,
        reveal_window: REVEAL,
        max_draws_per_block: 4,
        max_verdicts_per_block: 4,
        max_payouts_per_block: 64,
        min_reveals: 3,
        large_gain: Perbill::from_percent(50),
        far_factor: 3,
        optimum_deposit: DEPOSIT,
        min_bond: MIN_BOND,
        no_reveal_slash: Perbill::from_percent(10),
        reputation_base: 100,
        points: ReputationPoints {
            accepted: 10,
            refused: 20,
            agree: 1,
            far: 5,
            no_reveal: 10,
        },
        epoch_length: EPOCH,
        epoch_reward: REWARD,
        release_threshold: 1,
        min_contributions: 1,
        treasury_share: Perbill::from_percent(5),
        initial_eval_share: Perbill::from_percent(30),
        min_eval_share: Perbill::from_percent(10),
        max_eval_share: Perbill::from_percent(60),
        split_step: Perbill::from_percent(2),
        target_load: 10,
    }
}

/// Externalities at block 1: `OPTIMIZER`, `OPTIMIZER2`, `FUNDER` and the treasury funded,
/// no domains, the mocks empty.
pub fn new_test_ext() -> sp_io::TestExternalities {
    REPUTATION.with(|r| r.borrow_mut().clear());
    LINKED.with(|l| l.borrow_mut().clear());
    set_seed(0);
    MaxEvaluatorsPerDomain::set(10_000);
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .expect("frame-system genesis builds");
    pallet_balances::GenesisConfig::<Test> {
        balances: vec![
            (OPTIMIZER, FUNDS),
            (OPTIMIZER2, FUNDS),
            (FUNDER, FUNDS),
            (TREASURY, ED),
        ],
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .expect("balances genesis builds");
    pallet_domains::GenesisConfig::<Test> {
        params: test_params(),
        domains: vec![],
    }
    .assimilate_storage(&mut storage)
    .expect("domains genesis builds");
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

/// Registers a domain (higher is better unless `lower`), returns its id.
pub fn add_domain(tolerance: u64, reward_weight: u32, min_share: Perbill, lower: bool) -> u32 {
    let id = crate::NextDomainId::<Test>::get();
    Domains::register_domain(
        RuntimeOrigin::root(),
        BoundedVec::truncate_from(format!("domain-{id}").into_bytes()),
        if lower {
            Direction::LowerIsBetter
        } else {
            Direction::HigherIsBetter
        },
        H256::repeat_byte(id as u8),
        tolerance,
        reward_weight,
        min_share,
    )
    .expect("registers");
    id
}

/// Funds `who` and joins it to `domain` with `bond`.
pub fn join(domain: u32, who: AccountId, bond: Balance) {
    if free(who) < bond + 10 * ED {
        <Balances as frame_support::traits::fungible::Mutate<AccountId>>::set_balance(&who, FUNDS);
    }
    Domains::join_pool(RuntimeOrigin::signed(who), domain, bond).expect("joins");
}

/// Runs blocks up to `n`, calling `on_initialize` of each.
pub fn run_to(n: u64) {
    while System::block_number() < n {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        Domains::on_initialize(next);
    }
}

/// The free balance of `who`.
pub fn free(who: AccountId) -> Balance {
    <Balances as Inspect<AccountId>>::balance(&who)
}

/// What `who` has on hold for `reason`.
pub fn held(who: AccountId, reason: crate::HoldReason) -> Balance {
    <Balances as InspectHold<AccountId>>::balance_on_hold(&reason.into(), &who)
}
