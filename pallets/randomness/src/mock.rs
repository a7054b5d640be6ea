//! A mock runtime: frame-system and this pallet, with a settable slot author.

use crate::{self as pallet_randomness, *};
use frame_support::{derive_impl, parameter_types, traits::ConstU64};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        RandomnessPallet: pallet_randomness,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
}

parameter_types! {
    /// The slot and author key of the block being executed.
    pub static Author: Option<(u64, sr25519::Public)> = None;
    pub static Require: bool = false;
}

pub struct TestSlotAuthor;
impl SlotAuthor for TestSlotAuthor {
    fn current() -> Option<(u64, sr25519::Public)> {
        Author::get()
    }
}

pub struct RequireVrf;
impl frame_support::traits::Get<bool> for RequireVrf {
    fn get() -> bool {
        Require::get()
    }
}

/// Blocks per epoch in the tests.
pub const EPOCH: u64 = 4;

impl pallet_randomness::Config for Test {
    type SlotAuthor = BenchmarkableSlotAuthor<TestSlotAuthor>;
    type EpochLength = ConstU64<EPOCH>;
    type RequireVrf = RequireVrf;
    type WeightInfo = ();
}

pub fn new_test_ext() -> sp_io::TestExternalities {
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .unwrap();
    pallet_randomness::GenesisConfig::<Test> {
        randomness: [1u8; 32],
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| {
        Author::set(None);
        Require::set(false);
    });
    ext
}
