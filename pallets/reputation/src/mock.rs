//! A mock runtime with only frame-system and this pallet.

use crate as pallet_reputation;
use frame_support::{derive_impl, traits::ConstU64};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Reputation: pallet_reputation,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
}

/// Half-life in the tests: 100 blocks.
pub const HALF_LIFE: u64 = 100;
/// Score cap in the tests.
pub const MAX_SCORE: u64 = 1_000_000;

impl pallet_reputation::Config for Test {
    type GovernanceOrigin = EnsureRoot<u64>;
    type DefaultHalfLife = ConstU64<HALF_LIFE>;
    type DefaultMaxScore = ConstU64<MAX_SCORE>;
    type WeightInfo = ();
}

/// Externalities at block 1 (events are recorded from block 1 on).
pub fn new_test_ext() -> sp_io::TestExternalities {
    let storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .expect("frame-system genesis builds");
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

/// Moves to block `n`.
pub fn run_to(n: u64) {
    System::set_block_number(n);
}
