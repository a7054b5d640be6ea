//! A mock runtime: frame-system, balances, timestamp and this pallet. The chain id is a
//! static the tests may change, to replay a proof "for another chain".

use crate::{self as pallet_bridge, *};
use frame_support::{
    derive_impl, parameter_types,
    traits::{ConstU128, ConstU32, ConstU64, Hooks},
    PalletId,
};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Timestamp: pallet_timestamp,
        Balances: pallet_balances,
        Bridge: pallet_bridge,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type Balance = Balance;
    type ExistentialDeposit = ConstU128<ED>;
    type AccountStore = System;
    type RuntimeHoldReason = RuntimeHoldReason;
}

impl pallet_timestamp::Config for Test {
    type Moment = u64;
    type OnTimestampSet = ();
    type MinimumPeriod = ConstU64<1>;
    type WeightInfo = ();
}

/// Sets the mock's clock for the benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_bridge::BenchmarkHelper for MockBenchmarkHelper {
    fn set_time(ms: u64) {
        pallet_timestamp::Now::<Test>::put(ms);
    }
}

/// The existential deposit.
pub const ED: Balance = 10;
/// The chain id of the tests: the prover's sample chain id.
pub const CHAIN_ID: u32 = 42;
/// The unix time at genesis in the tests (ms).
pub const GENESIS_MS: u64 = 1_000_000;
/// Deposits that may wait at once in the tests.
pub const MAX_QUEUED: u32 = 4;
/// Operators at once in the tests.
pub const MAX_OPERATORS: u32 = 2;

parameter_types! {
    pub const BridgePalletId: PalletId = PalletId(*b"ech/brdg");
    /// The bridge's chain id; a test changes it to present a proof for another chain.
    pub static ChainIdValue: u32 = CHAIN_ID;
}

impl pallet_bridge::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type AdminOrigin = EnsureRoot<AccountId>;
    type UnixTime = Timestamp;
    type PalletId = BridgePalletId;
    type ChainId = ChainIdValue;
    type MaxBatchSize = ConstU32<64>;
    type MaxQueuedDeposits = ConstU32<MAX_QUEUED>;
    type MaxOperators = ConstU32<MAX_OPERATORS>;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = MockBenchmarkHelper;
}

/// The parameters of the tests: a deposit may wait 60 s, batches may pause 600 s; the
/// minimum deposit is 100 and an operator bonds 1,000.
pub fn test_params() -> Params {
    Params {
        deposit_timeout_ms: 60_000,
        batch_timeout_ms: 600_000,
        min_deposit: 100,
        operator_bond: 1_000,
    }
}

/// The operator of the tests.
pub const OPERATOR: AccountId = 100;

/// Accounts 1..=10 and the operator hold 1,000,000 each; the operator is bonded; block 1
/// has run (so the instance id is set) at `GENESIS_MS`.
pub fn new_test_ext() -> sp_io::TestExternalities {
    ChainIdValue::set(CHAIN_ID);
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .unwrap();
    pallet_balances::GenesisConfig::<Test> {
        balances: (1..=10).chain([OPERATOR]).map(|a| (a, 1_000_000)).collect(),
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    pallet_bridge::GenesisConfig::<Test> {
        params: Some(test_params()),
        operators: vec![OPERATOR],
        verifying_keys: vec![],
        batch_size: None,
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| {
        System::set_block_number(1);
        Timestamp::set_timestamp(GENESIS_MS);
        Bridge::on_initialize(1);
    });
    ext
}

/// The externalities of the benchmarks and of the fixture test: [`new_test_ext`] with the
/// chain id the fixtures are proved for (the runtime's; see `crate::fixtures`).
pub fn new_bench_ext() -> sp_io::TestExternalities {
    let ext = new_test_ext();
    ChainIdValue::set(crate::fixtures::FIXTURE_CHAIN_ID);
    ext
}

/// Lets `ms` milliseconds pass (the next block's timestamp).
pub fn advance_time(ms: u64) {
    let n = System::block_number() + 1;
    System::set_block_number(n);
    pallet_timestamp::Now::<Test>::mutate(|t| *t += ms);
    Bridge::on_initialize(n);
}

/// The events this pallet emitted.
pub fn bridge_events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| {
            if let RuntimeEvent::Bridge(e) = r.event {
                Some(e)
            } else {
                None
            }
        })
        .collect()
}
