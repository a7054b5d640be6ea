//! A mock runtime: frame-system, balances, a pallet that only declares a hold reason
//! (for `credit_from_hold`), and this pallet with an L2 payout the tests steer.

use crate::{self as pallet_payouts, *};
use frame_support::{
    derive_impl, parameter_types,
    traits::{fungible::Mutate, tokens::Preservation, ConstU128, Hooks},
    PalletId,
};
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, DispatchError};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

/// A pallet whose only purpose is a hold reason, as pallet-ads' `CampaignBudget` is.
#[frame_support::pallet]
pub mod pallet_holder {

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {}

    #[pallet::composite_enum]
    pub enum HoldReason {
        Budget,
    }
}

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Holder: pallet_holder,
        Payouts: pallet_payouts,
    }
);

parameter_types! {
    /// Blocks of 10 s of weight, so that the default parameters' hook (about 1.2 s at the
    /// `RocksDbWeight` prices of `()`) fits in `MAX_HOOK_SHARE`.
    pub MockBlockWeights: frame_system::limits::BlockWeights =
        frame_system::limits::BlockWeights::simple_max(frame_support::weights::Weight::from_parts(
            10 * frame_support::weights::constants::WEIGHT_REF_TIME_PER_SECOND,
            u64::MAX,
        ));
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountData = pallet_balances::AccountData<Balance>;
    type BlockWeights = MockBlockWeights;
}

/// The existential deposit of the tests.
pub const ED: Balance = 10;

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type Balance = Balance;
    type ExistentialDeposit = ConstU128<ED>;
    type AccountStore = System;
    type RuntimeHoldReason = RuntimeHoldReason;
}

impl pallet_holder::Config for Test {}

/// The account the mock L2 bridge collects payouts in.
pub const BRIDGE: AccountId = 999;

parameter_types! {
    pub const PayoutsPalletId: PalletId = PalletId(*b"ech/pays");
    pub static MaxPlans: u32 = 3;
    pub static MaxSubs: u32 = 3;
    pub static MaxDue: u32 = 1_000;
    pub static MaxQueueLen: u32 = 1_000;
    /// Whether the mock L2 takes payouts.
    pub static L2Available: bool = false;
    /// Whether the mock L2's payouts fail.
    pub static L2Fails: bool = false;
    /// How much less than asked the mock L2 moves (a faulty bridge).
    pub static L2Short: Balance = 0;
    /// The L2 payouts made: (L2 address, amount).
    pub static L2Paid: Vec<([u8; 32], Balance)> = Vec::new();
}

/// An L2 payout the tests steer: it moves the funds to [`BRIDGE`].
pub struct MockL2;
impl L2Payout<AccountId, Balance> for MockL2 {
    fn available() -> bool {
        L2Available::get()
    }
    fn pay(from: &AccountId, to: &[u8; 32], amount: Balance) -> sp_runtime::DispatchResult {
        if L2Fails::get() {
            return Err(DispatchError::Other("L2 down"));
        }
        let moved = amount.saturating_sub(L2Short::get());
        <Balances as Mutate<AccountId>>::transfer(from, &BRIDGE, moved, Preservation::Preserve)?;
        L2Paid::mutate(|p| p.push((*to, amount)));
        Ok(())
    }
}

#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl BenchmarkHelper<RuntimeHoldReason> for MockBenchmarkHelper {
    fn hold_reason() -> RuntimeHoldReason {
        pallet_holder::HoldReason::Budget.into()
    }
}

impl pallet_payouts::Config for Test {
    type Currency = Balances;
    type GovernanceOrigin = EnsureRoot<AccountId>;
    type PalletId = PayoutsPalletId;
    type L2 = MockL2;
    type MaxPlansPerCreator = MaxPlans;
    type MaxSubscriptionsPerSubscriber = MaxSubs;
    type MaxDuePerBlock = MaxDue;
    type MaxQueue = MaxQueueLen;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = MockBenchmarkHelper;
}

/// The parameters of the tests: a payout batch every 10 blocks, 2 payouts and 3 charges
/// per block, payouts from 50, plans of at least 5 blocks costing at least 10.
pub fn test_params() -> ParamsOf<Test> {
    Params {
        payout_period: 10,
        max_payouts_per_block: 2,
        min_payout: 50,
        max_charges_per_block: 3,
        min_plan_period: 5,
        min_plan_price: 10,
    }
}

/// Accounts 1..=20 hold 10,000 each; the ledger account its existential deposit.
pub fn new_test_ext() -> sp_io::TestExternalities {
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .unwrap();
    pallet_balances::GenesisConfig::<Test> {
        balances: (1..=20).map(|a| (a, 10_000)).collect(),
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    pallet_payouts::GenesisConfig::<Test> {
        params: test_params(),
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

/// Runs the next block: this pallet's `on_initialize` at block `now + 1`.
pub fn next_block() {
    let n = System::block_number() + 1;
    System::set_block_number(n);
    Payouts::on_initialize(n);
}

/// Runs blocks until `n`.
pub fn run_to_block(n: u64) {
    while System::block_number() < n {
        next_block();
    }
}

/// The events this pallet emitted.
pub fn payouts_events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| {
            if let RuntimeEvent::Payouts(e) = r.event {
                Some(e)
            } else {
                None
            }
        })
        .collect()
}
