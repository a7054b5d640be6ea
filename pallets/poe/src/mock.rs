//! A mock runtime: frame-system, pallet-balances and this pallet, with thread-local mocks
//! of the witness event submitter and receipts, the payouts ledger (funds really move into
//! a ledger account) and reputation scores.

use crate as pallet_poe;
use crate::Params;
use core::cell::RefCell;
use frame_support::{
    derive_impl,
    dispatch::DispatchResult,
    parameter_types,
    traits::{
        fungible::{Inspect, Mutate},
        tokens::Preservation,
        ConstU32, Hooks,
    },
    weights::Weight,
    PalletId,
};
use frame_system::EnsureRoot;
use pallet_payouts::{CreditSource, PayoutLedger};
use pallet_reputation::{ReputationScores, Role, Score};
use pallet_witness::{ConsumeError, EventClass, EventSubmitter, Receipt, ReceiptProvider, Verdict};
use sp_core::H256;
use sp_runtime::{BuildStorage, DispatchError, Perbill};
use std::collections::{BTreeMap, BTreeSet};

type Block = frame_system::mocking::MockBlock<Test>;
/// Accounts are u64.
pub type AccountId = u64;
/// Balances are u128, as in the runtime.
pub type Balance = u128;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Poe: pallet_poe,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountData = pallet_balances::AccountData<Balance>;
}

/// The existential deposit.
pub const ED: Balance = 10;
/// The witness event fee the mock submitter charges.
pub const EVENT_FEE: Balance = 100;
/// Where the mock submitter puts fees.
pub const FEE_SINK: AccountId = 9_000;
/// The mock payouts ledger's account.
pub const LEDGER: AccountId = 9_001;
/// An aggregator with funds.
pub const AGGREGATOR: AccountId = 1;
/// A funder.
pub const FUNDER: AccountId = 2;
/// Period length in the tests.
pub const PERIOD: u64 = 10;
/// Claim window in the tests (periods).
pub const WINDOW: u32 = 2;
/// Reputation floor in the tests.
pub const FLOOR: u64 = 5;
/// Score cap in the tests.
pub const CAP: u128 = 1_000_000;

parameter_types! {
    pub const ExistentialDeposit: Balance = ED;
    pub const PoePalletId: PalletId = PalletId(*b"ech/poep");
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type Balance = Balance;
    type ExistentialDeposit = ExistentialDeposit;
    type AccountStore = System;
}

thread_local! {
    static PENDING: RefCell<BTreeMap<(EventClass, H256), AccountId>> = const { RefCell::new(BTreeMap::new()) };
    static RECEIPTS: RefCell<BTreeMap<(EventClass, H256), Receipt<u64>>> = const { RefCell::new(BTreeMap::new()) };
    static SETTLED: RefCell<BTreeSet<(EventClass, H256)>> = const { RefCell::new(BTreeSet::new()) };
    static OWED: RefCell<BTreeMap<AccountId, Balance>> = const { RefCell::new(BTreeMap::new()) };
    static REPUTATION: RefCell<BTreeMap<AccountId, Score>> = const { RefCell::new(BTreeMap::new()) };
}

/// The witness pallet's submitter, in miniature: refuses an event that is pending, has a
/// receipt or was settled, and charges `EVENT_FEE` into `FEE_SINK`.
pub struct MockWitness;

impl EventSubmitter<AccountId> for MockWitness {
    fn submit(who: &AccountId, class: EventClass, payload_hash: H256) -> DispatchResult {
        let key = (class, payload_hash);
        let known = PENDING.with(|p| p.borrow().contains_key(&key))
            || RECEIPTS.with(|r| r.borrow().contains_key(&key))
            || SETTLED.with(|s| s.borrow().contains(&key));
        if known {
            return Err(DispatchError::Other("event already known"));
        }
        <Balances as Mutate<AccountId>>::transfer(
            who,
            &FEE_SINK,
            EVENT_FEE,
            Preservation::Preserve,
        )?;
        PENDING.with(|p| p.borrow_mut().insert(key, *who));
        Ok(())
    }
}

impl ReceiptProvider<u64> for MockWitness {
    fn receipt(class: EventClass, payload_hash: &H256) -> Option<Receipt<u64>> {
        RECEIPTS.with(|r| r.borrow().get(&(class, *payload_hash)).cloned())
    }
    fn consume(class: EventClass, payload_hash: &H256) -> Result<Receipt<u64>, ConsumeError> {
        let key = (class, *payload_hash);
        if SETTLED.with(|s| s.borrow().contains(&key)) {
            return Err(ConsumeError::AlreadySettled);
        }
        let receipt = Self::receipt(class, payload_hash).ok_or(ConsumeError::NoReceipt)?;
        SETTLED.with(|s| s.borrow_mut().insert(key));
        Ok(receipt)
    }
    fn is_settled(class: EventClass, payload_hash: &H256) -> bool {
        SETTLED.with(|s| s.borrow().contains(&(class, *payload_hash)))
    }
}

/// The committee decides (`class`, `payload_hash`): the event leaves the pending set and
/// gets a retained receipt with `verdict`.
pub fn resolve(class: EventClass, payload_hash: H256, verdict: Verdict) {
    PENDING.with(|p| p.borrow_mut().remove(&(class, payload_hash)));
    RECEIPTS.with(|r| {
        r.borrow_mut().insert(
            (class, payload_hash),
            Receipt {
                class,
                payload_hash,
                verdict,
                epoch: 0,
                resolved_at: System::block_number(),
                agreeing: 3,
            },
        )
    });
}

/// Whether (`class`, `payload_hash`) is waiting for the committee.
pub fn is_pending(class: EventClass, payload_hash: H256) -> bool {
    PENDING.with(|p| p.borrow().contains_key(&(class, payload_hash)))
}

/// Whether it was settled.
pub fn is_settled(class: EventClass, payload_hash: H256) -> bool {
    <MockWitness as ReceiptProvider<u64>>::is_settled(class, &payload_hash)
}

/// A payouts ledger in miniature: a credit moves the funds from the payer (kept alive)
/// into `LEDGER` and records them as owed; it fails, changing nothing, when the payer
/// cannot pay.
pub struct MockLedger;

impl PayoutLedger<AccountId, Balance> for MockLedger {
    type HoldReason = ();
    fn credit(
        payer: &AccountId,
        creator: &AccountId,
        amount: Balance,
        _: CreditSource,
    ) -> DispatchResult {
        <Balances as Mutate<AccountId>>::transfer(payer, &LEDGER, amount, Preservation::Preserve)?;
        OWED.with(|o| *o.borrow_mut().entry(*creator).or_default() += amount);
        Ok(())
    }
    fn credit_from_hold(
        _: &(),
        _: &AccountId,
        _: &AccountId,
        _: Balance,
        _: CreditSource,
    ) -> DispatchResult {
        Err(DispatchError::Other("PoE never pays from a hold"))
    }
    fn credit_weight() -> Weight {
        Weight::from_parts(1_000_000, 0)
    }
}

/// What the ledger owes `who`.
pub fn owed(who: AccountId) -> Balance {
    OWED.with(|o| o.borrow().get(&who).copied().unwrap_or(0))
}

/// The sum of everything the ledger owes.
pub fn total_owed() -> Balance {
    OWED.with(|o| o.borrow().values().sum())
}

/// Reputation scores in miniature: `Role::Creator` scores set by the tests, zero otherwise.
pub struct MockReputation;

impl ReputationScores<AccountId> for MockReputation {
    fn score(who: &AccountId, role: Role) -> Score {
        if role != Role::Creator {
            return 0;
        }
        REPUTATION.with(|r| r.borrow().get(who).copied().unwrap_or(0))
    }
    fn snapshot_score(who: &AccountId, role: Role) -> Score {
        Self::score(who, role)
    }
    fn take_snapshot() {}
}

/// Sets `who`'s `Role::Creator` reputation.
pub fn set_reputation(who: AccountId, score: Score) {
    REPUTATION.with(|r| r.borrow_mut().insert(who, score));
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for MockWitness {
    fn prepare_submitter(who: &AccountId) {
        let _ = <Balances as Mutate<AccountId>>::mint_into(who, EVENT_FEE * 10);
    }
    fn set_receipt(payload_hash: H256, verdict: Verdict) {
        resolve(EventClass::Engagement, payload_hash, verdict);
    }
    fn set_reputation(who: &AccountId, score: u64) {
        set_reputation(*who, score);
    }
}

impl pallet_poe::Config for Test {
    type Currency = Balances;
    type GovernanceOrigin = EnsureRoot<AccountId>;
    type PalletId = PoePalletId;
    type Ledger = MockLedger;
    type Submitter = MockWitness;
    type Receipts = MockWitness;
    type Reputation = MockReputation;
    type MaxProofDepth = ConstU32<32>;
    type MaxClaimsPerCall = ConstU32<2_000>;
    type MaxClearPerBlock = ConstU32<3>;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = MockWitness;
}

/// The test parameters.
pub fn test_params() -> Params<u64> {
    Params {
        period_length: PERIOD,
        claim_window: WINDOW,
        reputation_floor: FLOOR,
        score_cap: CAP,
        fee_share: Perbill::from_percent(10),
    }
}

/// Externalities at block 1: `AGGREGATOR` has 1,000,000, `FUNDER` 10⁹, the pool
/// account its ED, the ledger and fee accounts theirs; the mocks are empty.
pub fn new_test_ext() -> sp_io::TestExternalities {
    PENDING.with(|p| p.borrow_mut().clear());
    RECEIPTS.with(|r| r.borrow_mut().clear());
    SETTLED.with(|s| s.borrow_mut().clear());
    OWED.with(|o| o.borrow_mut().clear());
    REPUTATION.with(|r| r.borrow_mut().clear());
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .expect("frame-system genesis builds");
    pallet_balances::GenesisConfig::<Test> {
        balances: vec![
            (AGGREGATOR, 1_000_000),
            (FUNDER, 1_000_000_000),
            (LEDGER, ED),
            (FEE_SINK, ED),
        ],
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .expect("balances genesis builds");
    pallet_poe::GenesisConfig::<Test> {
        params: test_params(),
    }
    .assimilate_storage(&mut storage)
    .expect("poe genesis builds");
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

/// Runs blocks up to `n`, calling `on_initialize` of each.
pub fn run_to(n: u64) {
    while System::block_number() < n {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        Poe::on_initialize(next);
    }
}

/// The free balance of `who`.
pub fn free(who: AccountId) -> Balance {
    <Balances as Inspect<AccountId>>::balance(&who)
}
