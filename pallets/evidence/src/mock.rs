//! A mock runtime with frame-system and this pallet. The authority sets and the session
//! index are thread-local values the tests set.

use crate as pallet_evidence;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Evidence: pallet_evidence,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
}

parameter_types! {
    pub static AuraAuthorities: Vec<AuraId> = vec![];
    pub static GrandpaAuthorities: (u64, Vec<GrandpaId>) = (0, vec![]);
    pub static SessionIndex: u32 = 0;
    pub static CurrentSlot: u64 = 0;
}

/// Records kept for 10 blocks in the tests.
pub const RETENTION: u64 = 10;
/// At most 4 records in the tests.
pub const MAX_EVIDENCE: u32 = 4;

impl pallet_evidence::Config for Test {
    type AuraAuthorities = AuraAuthorities;
    type GrandpaAuthorities = GrandpaAuthorities;
    type SessionIndex = SessionIndex;
    type HistoryDepth = ConstU32<2>;
    type MaxAuthorities = ConstU32<16>;
    type MaxEvidence = ConstU32<MAX_EVIDENCE>;
    type RetentionPeriod = frame_support::traits::ConstU64<RETENTION>;
    type UnsignedPriority = frame_support::traits::ConstU64<{ u64::MAX / 2 }>;
    type EvidenceHandler = ();
    type WeightInfo = ();
    type CurrentSlot = CurrentSlot;
}

/// Alice, Bob, Charlie and Dave as Aura (sr25519) authorities.
pub fn aura_set() -> Vec<AuraId> {
    [
        Sr25519Keyring::Alice,
        Sr25519Keyring::Bob,
        Sr25519Keyring::Charlie,
        Sr25519Keyring::Dave,
    ]
    .iter()
    .map(|k| k.public().into())
    .collect()
}

/// Alice, Bob, Charlie and Dave as GRANDPA (ed25519) authorities.
pub fn grandpa_set() -> Vec<GrandpaId> {
    [
        Ed25519Keyring::Alice,
        Ed25519Keyring::Bob,
        Ed25519Keyring::Charlie,
        Ed25519Keyring::Dave,
    ]
    .iter()
    .map(|k| k.public().into())
    .collect()
}

/// Externalities at block 1 with the four authorities in session 0 and GRANDPA set 0,
/// already recorded.
pub fn new_test_ext() -> sp_io::TestExternalities {
    AuraAuthorities::set(aura_set());
    GrandpaAuthorities::set((0, grandpa_set()));
    SessionIndex::set(0);
    CurrentSlot::set(0);
    let storage = RuntimeGenesisConfig::default()
        .build_storage()
        .expect("genesis builds");
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| {
        use frame_support::traits::Hooks;
        System::set_block_number(1);
        Evidence::on_initialize(1);
    });
    ext
}

/// Moves to block `n`, running the pallet's `on_initialize`.
pub fn run_to_block(n: u64) {
    use frame_support::traits::Hooks;
    while System::block_number() < n {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        Evidence::on_initialize(next);
    }
}
