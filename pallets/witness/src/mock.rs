//! A mock runtime: frame-system, balances, pallet-reputation and this pallet. Sessions are
//! driven by calling the `SessionManager` functions directly, as pallet-session would.

use crate::{self as pallet_witness, *};
use frame_support::{
    derive_impl, parameter_types,
    traits::{ConstU32, ConstU64, Hooks},
    PalletId,
};
use frame_system::EnsureRoot;
use pallet_session::SessionManager;
use sp_runtime::{BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Reputation: pallet_reputation,
        Witness: pallet_witness,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountData = pallet_balances::AccountData<Balance>;
    type BlockWeights = MockBlockWeights;
}

parameter_types! {
    /// Blocks of 4 ms of weight: the hand-written weights of `()` are tens of
    /// microseconds, so that the block-start budget (a tenth, 400 µs) covers a block's
    /// usual work (idle, expiry, pruning, two payouts: 310 µs) and binds when a draw, a
    /// slash chunk and everything else fall due at once (540 µs), as the runtime's budget
    /// (150 ms) would with its measured weights at their bounds.
    pub MockBlockWeights: frame_system::limits::BlockWeights =
        frame_system::limits::BlockWeights::simple_max(frame_support::weights::Weight::from_parts(
            4 * frame_support::weights::constants::WEIGHT_REF_TIME_PER_MILLIS,
            u64::MAX,
        ));
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type Balance = Balance;
    type ExistentialDeposit = ConstU128<1>;
    type AccountStore = System;
    type RuntimeHoldReason = RuntimeHoldReason;
}

impl pallet_reputation::Config for Test {
    type GovernanceOrigin = EnsureRoot<AccountId>;
    type DefaultHalfLife = ConstU64<1_000>;
    type DefaultMaxScore = ConstU64<1_000_000>;
    type WeightInfo = ();
}

use frame_support::traits::ConstU128;

parameter_types! {
    /// The randomness epoch the tests are in.
    pub static Epoch: EpochIndex = 0;
    /// The epoch randomness the tests feed in.
    pub static Seed: [u8; 32] = [7u8; 32];
    /// Accounts the disabler was asked to disable.
    pub static Disabled: Vec<AccountId> = Vec::new();
    /// Accounts without session keys; every other account has keys.
    pub static Keyless: Vec<AccountId> = Vec::new();
    pub const WitnessPalletId: PalletId = PalletId(*b"ech/wtns");
    /// The mock's unix time in milliseconds; `rotate_session` advances it.
    pub static Clock: u64 = GENESIS_MS;
    /// How much time `rotate_session` lets pass: a nominal session unless a test
    /// shortens or stretches it.
    pub static SessionLength: u64 = SESSION_MS;
}

/// The mock's nominal era: a year (365 days) over `ErasPerYear` = 100.
pub const ERA_MS: u64 = 365 * 24 * 60 * 60 * 1_000 / 100;
/// A nominal session: a third of a nominal era.
pub const SESSION_MS: u64 = ERA_MS / SESSIONS_PER_ERA as u64;
/// The unix time at genesis in the tests.
pub const GENESIS_MS: u64 = 1_000_000;

/// Randomness: blake2 of (subject, seed), known since block 0.
pub struct TestRandomness;
impl frame_support::traits::Randomness<sp_core::H256, u64> for TestRandomness {
    fn random(subject: &[u8]) -> (sp_core::H256, u64) {
        (
            sp_core::H256(sp_io::hashing::blake2_256(&(subject, Seed::get()).encode())),
            0,
        )
    }
}

pub struct TestEpochs;
impl EpochInfo for TestEpochs {
    fn current_epoch() -> EpochIndex {
        Epoch::get()
    }
}

pub struct TestDisabler;
impl DisableValidator<AccountId> for TestDisabler {
    fn disable(who: &AccountId, _: Perbill) -> bool {
        Disabled::mutate(|d| d.push(*who));
        true
    }
}

/// Session keys as the tests set them: every account has keys unless it is in [`Keyless`].
pub struct TestSessionKeys;
impl HasSessionKeys<AccountId> for TestSessionKeys {
    fn has_keys(who: &AccountId) -> bool {
        !Keyless::get().contains(who)
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn set_keys_for_benchmark(who: &AccountId) {
        Keyless::mutate(|k| k.retain(|a| a != who));
    }
}

pub const SESSIONS_PER_ERA: u32 = 3;
pub const MAX_COMMITTEE: u32 = 8;
pub const MAX_VERDICTS: u32 = 8;
/// Unresolved events pending at once: 6 per class (5 classes).
pub const MAX_PENDING: u32 = 30;
/// Each class's share of `MaxPendingEvents`.
pub const CLASS_PENDING_SHARE: u32 = MAX_PENDING / 5;
/// Unresolved events one account may have pending at once.
pub const MAX_PENDING_PER_SUBMITTER: u32 = 4;
/// Receipts kept at once: 8 per class.
pub const MAX_RECEIPTS: u32 = 40;
/// Each class's share of `MaxReceipts` (receipts plus unresolved events).
pub const CLASS_RECEIPT_SHARE: u32 = MAX_RECEIPTS / 5;
/// Blocks per randomness epoch, the bound of `event_ttl`.
pub const EPOCH_LENGTH: u64 = 100;

impl pallet_witness::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type GovernanceOrigin = EnsureRoot<AccountId>;
    type Randomness = TestRandomness;
    type Epochs = TestEpochs;
    type Reputation = Reputation;
    type ValidatorDisabler = TestDisabler;
    type Slash = ();
    type PalletId = WitnessPalletId;
    type SessionsPerEra = ConstU32<SESSIONS_PER_ERA>;
    type ErasPerYear = ConstU32<100>;
    type HistoryDepth = ConstU32<10>;
    type MaxValidators = ConstU32<4>;
    type MaxCandidates = ConstU32<8>;
    type MaxNominators = ConstU32<8>;
    type MaxNominations = ConstU32<4>;
    type MaxBackersPerValidator = ConstU32<3>;
    type MaxUnlockingChunks = ConstU32<3>;
    type MaxPayoutsPerBlock = ConstU32<2>;
    type MaxSlashesPerEra = ConstU32<4>;
    type MaxWitnesses = ConstU32<16>;
    type MaxCommitteeSize = ConstU32<MAX_COMMITTEE>;
    type MaxPendingEvents = ConstU32<MAX_PENDING>;
    type MaxVerdictsPerAttest = ConstU32<MAX_VERDICTS>;
    type MaxReceipts = ConstU32<MAX_RECEIPTS>;
    type MaxCleanupPerBlock = ConstU32<2>;
    type WeightInfo = ();
    type UnixTime = TestTime;
    type MaxEraDurationFactor = ConstU32<2>;
    type SessionKeys = TestSessionKeys;
    type MaxPendingPerSubmitter = ConstU32<MAX_PENDING_PER_SUBMITTER>;
    type EpochLength = ConstU64<EPOCH_LENGTH>;
    type MaxSlashApplicationsPerBlock = ConstU32<MAX_SLASH_APPLICATIONS>;
}

/// Accounts slashed per block in the tests: a slash of a validator with three nominators
/// takes two blocks.
pub const MAX_SLASH_APPLICATIONS: u32 = 3;

/// The wall clock of the tests: [`Clock`].
pub struct TestTime;
impl frame_support::traits::UnixTime for TestTime {
    fn now() -> core::time::Duration {
        core::time::Duration::from_millis(Clock::get())
    }
}

/// The parameters of the tests: 2 validators, K = 3, M = 2; reputation counts up to
/// ×2 in sortition; a witness gains at most 30 reputation and 15 points an epoch; the
/// witness pool is 20% of an era's payout; the event fee floor has a 50% margin.
pub fn test_params() -> ParamsOf<Test> {
    Params {
        validator_count: 2,
        minimum_validator_count: 1,
        min_validator_bond: 100,
        min_nominator_bond: 10,
        min_witness_stake: 50,
        unbonding_eras: 3,
        slash_defer_eras: 1,
        aura_slash: Perbill::from_percent(10),
        grandpa_slash: Perbill::from_percent(20),
        annual_inflation: Perbill::from_percent(10),
        points_per_block: 20,
        points_per_attestation: 5,
        committee_size: 3,
        quorum: 2,
        event_fee: 10,
        event_ttl: 10,
        receipt_retention: 20,
        reputation_base: 100,
        reputation_reward: 10,
        reputation_penalty: 20,
        reputation_weight_cap: 100,
        max_reputation_gain_per_epoch: 30,
        max_points_gain_per_epoch: 15,
        witness_reward_share: Perbill::from_percent(20),
        event_fee_margin: Perbill::from_percent(50),
    }
}

/// Accounts 1..=20 hold 10,000 each. 1 and 2 validate with 1,000 bonded; 11, 12, 13
/// are witnesses (bond 500) for every class.
pub fn new_test_ext() -> sp_io::TestExternalities {
    Clock::set(GENESIS_MS);
    SessionLength::set(SESSION_MS);
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .unwrap();
    pallet_balances::GenesisConfig::<Test> {
        balances: (1..=20).map(|a| (a, 10_000)).collect(),
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    pallet_witness::GenesisConfig::<Test> {
        params: Some(test_params()),
        stakers: vec![
            (1, 1_000, true),
            (2, 1_000, true),
            (11, 500, false),
            (12, 500, false),
            (13, 500, false),
        ],
        witnesses: vec![
            (11, EventClass::ALL.to_vec()),
            (12, EventClass::ALL.to_vec()),
            (13, EventClass::ALL.to_vec()),
        ],
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| {
        Epoch::set(0);
        Disabled::set(Vec::new());
        System::set_block_number(1);
    });
    ext
}

/// Runs the next block: this pallet's `on_initialize` at block `now + 1`.
pub fn next_block() {
    let n = System::block_number() + 1;
    System::set_block_number(n);
    Witness::on_initialize(n);
}

/// Runs blocks until `n`.
pub fn run_to_block(n: u64) {
    while System::block_number() < n {
        next_block();
    }
}

/// What pallet-session would do at a session boundary: start session `index` and plan
/// `index + 1`, `SessionLength` after the previous boundary. Returns the validators planned
/// for `index + 1`, if they change.
pub fn rotate_session(index: u32) -> Option<Vec<AccountId>> {
    Clock::mutate(|now| *now += SessionLength::get());
    <Witness as SessionManager<AccountId>>::end_session(index.saturating_sub(1));
    <Witness as SessionManager<AccountId>>::start_session(index);
    <Witness as SessionManager<AccountId>>::new_session(index + 1)
}

/// Rotates sessions until era `era` is active; returns the last session started.
pub fn start_era(era: EraIndex) -> u32 {
    let mut session =
        ErasStartSessionIndex::<Test>::get(ActiveEra::<Test>::get().unwrap().index).unwrap();
    while Witness::active_era() < era {
        session += 1;
        rotate_session(session);
    }
    session
}

/// Moves to randomness epoch `epoch` and runs a block, which draws its committees.
pub fn new_epoch(epoch: EpochIndex) {
    Epoch::set(epoch);
    next_block();
}

/// The events this pallet emitted.
pub fn witness_events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| {
            if let RuntimeEvent::Witness(e) = r.event {
                Some(e)
            } else {
                None
            }
        })
        .collect()
}
