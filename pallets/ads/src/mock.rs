//! A mock runtime: frame-system, balances and this pallet. The witness pallet, the payouts
//! ledger and reputation are small stand-ins that keep their semantics:
//! - [`MockWitness`] submits events (charging a fee into [`POT`]) and hands out receipts
//!   the tests decide with [`resolve`]; a receipt is consumed at most once. Its state lives
//!   in storage, so that a rolled-back storage layer rolls it back as the real one would.
//! - [`MockLedger`] moves credited funds into [`LEDGER`] and records what each creator is
//!   owed; [`RefuseCreator`] makes it refuse one creator.
//! - [`MockReputation`] records every call.

use crate::{self as pallet_ads, *};
use frame_support::{
    derive_impl, parameter_types,
    traits::{
        fungible::{Inspect as _, InspectHold as _, Mutate as _, MutateHold as _},
        tokens::{Fortitude, Preservation, Restriction},
        ConstU128, ConstU32,
    },
};
use frame_system::EnsureRoot;
use pallet_payouts::CreditSource;
use pallet_reputation::Role;
use pallet_witness::{ConsumeError, Receipt, Verdict};
use sp_runtime::{BuildStorage, DispatchError, DispatchResult, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Ads: pallet_ads,
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
    type ExistentialDeposit = ConstU128<1>;
    type AccountStore = System;
    type RuntimeHoldReason = RuntimeHoldReason;
}

/// Advertisers.
pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
/// Publishers.
pub const PUB1: AccountId = 10;
pub const PUB2: AccountId = 11;
pub const PUB3: AccountId = 12;
/// The treasury.
pub const TREASURY: AccountId = 100;
/// The payouts ledger's account.
pub const LEDGER: AccountId = 200;
/// Where the witness event fees go.
pub const POT: AccountId = 300;
/// The mock witness event fee.
pub const EVENT_FEE: Balance = 5;
/// What advertisers start with.
pub const ADVERTISER_FUNDS: Balance = 1_000_000_000;
/// What publishers start with.
pub const PUBLISHER_FUNDS: Balance = 1_000;

parameter_types! {
    pub const Treasury: AccountId = TREASURY;
    pub static MaxCategories: u32 = 4;
    pub static MaxCampaignsPerCategory: u32 = 1_000;
    pub static MaxCampaignsPerAdvertiser: u32 = 8;
    pub static MaxPendingReports: u32 = 2_000;
    pub static MaxPendingReportsPerCampaign: u32 = 1_000;
    pub static MaxPublishersPerCampaign: u32 = 1_000;
    /// A creator the ledger refuses to credit.
    pub static RefuseCreator: Option<AccountId> = None;
    /// Every reputation call: (who, role, points, reward?).
    pub static ReputationLog: Vec<(AccountId, Role, u64, bool)> = Vec::new();
}

impl pallet_ads::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type GovernanceOrigin = EnsureRoot<AccountId>;
    type Ledger = MockLedger;
    type Submitter = MockWitness;
    type Receipts = MockWitness;
    type Reputation = MockReputation;
    type TreasuryAccount = Treasury;
    type MaxCategories = MaxCategories;
    type MaxCampaignsPerCategory = MaxCampaignsPerCategory;
    type MaxCampaignsPerAdvertiser = MaxCampaignsPerAdvertiser;
    type MaxPendingReports = MaxPendingReports;
    type MaxPendingReportsPerCampaign = MaxPendingReportsPerCampaign;
    type MaxPublishersPerCampaign = MaxPublishersPerCampaign;
    type MaxSettlePerCall = ConstU32<1_000>;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = MockWitness;
}

fn key(prefix: &[u8], class: EventClass, hash: &H256) -> Vec<u8> {
    (prefix, class, hash).encode()
}

/// The stand-in for pallet-witness's `EventSubmitter` and `ReceiptProvider`.
pub struct MockWitness;

impl MockWitness {
    /// Whether (`class`, `hash`) was submitted.
    pub fn submitted(class: EventClass, hash: &H256) -> bool {
        frame_support::storage::unhashed::exists(&key(b"mock/submitted", class, hash))
    }
}

impl EventSubmitter<AccountId> for MockWitness {
    fn submit(who: &AccountId, class: EventClass, payload_hash: H256) -> DispatchResult {
        if Self::submitted(class, &payload_hash) || Self::is_settled(class, &payload_hash) {
            return Err(DispatchError::Other("event already submitted"));
        }
        Balances::transfer(who, &POT, EVENT_FEE, Preservation::Preserve)?;
        frame_support::storage::unhashed::put(&key(b"mock/submitted", class, &payload_hash), &());
        Ok(())
    }
}

impl ReceiptProvider<u64> for MockWitness {
    fn receipt(class: EventClass, payload_hash: &H256) -> Option<Receipt<u64>> {
        frame_support::storage::unhashed::get(&key(b"mock/receipt", class, payload_hash))
    }
    fn consume(class: EventClass, payload_hash: &H256) -> Result<Receipt<u64>, ConsumeError> {
        if Self::is_settled(class, payload_hash) {
            return Err(ConsumeError::AlreadySettled);
        }
        let receipt = Self::receipt(class, payload_hash).ok_or(ConsumeError::NoReceipt)?;
        frame_support::storage::unhashed::put(&key(b"mock/settled", class, payload_hash), &());
        Ok(receipt)
    }
    fn is_settled(class: EventClass, payload_hash: &H256) -> bool {
        frame_support::storage::unhashed::exists(&key(b"mock/settled", class, payload_hash))
    }
}

#[cfg(feature = "runtime-benchmarks")]
impl BenchmarkHelper<AccountId> for MockWitness {
    fn prepare_submitter(who: &AccountId) {
        let _ = Balances::mint_into(who, 1_000_000);
    }
    fn resolve(class: EventClass, payload_hash: H256, verdict: Verdict) {
        resolve(class, payload_hash, verdict);
    }
}

/// The committee decides (`class`, `hash`): a receipt with `verdict` now exists.
pub fn resolve(class: EventClass, hash: H256, verdict: Verdict) {
    let receipt = Receipt {
        class,
        payload_hash: hash,
        verdict,
        epoch: 0,
        resolved_at: System::block_number(),
        agreeing: 3,
    };
    frame_support::storage::unhashed::put(&key(b"mock/receipt", class, &hash), &receipt);
}

/// Another consumer settles (`class`, `hash`).
pub fn settle_elsewhere(class: EventClass, hash: H256) {
    frame_support::storage::unhashed::put(&key(b"mock/settled", class, &hash), &());
}

/// The payload hash of a stored report.
pub fn report_hash(id: ReportId) -> H256 {
    let r = Reports::<Test>::get(id).expect("report exists");
    report_payload_hash(
        id,
        r.campaign,
        &r.publisher,
        r.impressions,
        r.clicks,
        &r.log_hash,
    )
}

/// The committee decides a stored report.
pub fn resolve_report(id: ReportId, verdict: Verdict) {
    resolve(EventClass::AdInteraction, report_hash(id), verdict);
}

/// The stand-in for the payouts ledger.
pub struct MockLedger;

impl MockLedger {
    /// What `creator` is owed.
    pub fn owed(creator: AccountId) -> Balance {
        frame_support::storage::unhashed::get_or_default(&(b"mock/owed", creator).encode())
    }
    fn add(creator: &AccountId, amount: Balance) {
        let owed = Self::owed(*creator).saturating_add(amount);
        frame_support::storage::unhashed::put(&(b"mock/owed", *creator).encode(), &owed);
    }
}

impl pallet_payouts::PayoutLedger<AccountId, Balance> for MockLedger {
    type HoldReason = RuntimeHoldReason;
    fn credit(
        payer: &AccountId,
        creator: &AccountId,
        amount: Balance,
        _: CreditSource,
    ) -> DispatchResult {
        if RefuseCreator::get() == Some(*creator) {
            return Err(DispatchError::Other("ledger refuses"));
        }
        Balances::transfer(payer, &LEDGER, amount, Preservation::Preserve)?;
        Self::add(creator, amount);
        Ok(())
    }
    fn credit_from_hold(
        reason: &RuntimeHoldReason,
        payer: &AccountId,
        creator: &AccountId,
        amount: Balance,
        _: CreditSource,
    ) -> DispatchResult {
        if RefuseCreator::get() == Some(*creator) {
            return Err(DispatchError::Other("ledger refuses"));
        }
        // `Force`, as pallet-payouts must: a lock or freeze the payer placed after its
        // funds were committed on hold must not stop the payment.
        Balances::transfer_on_hold(
            reason,
            payer,
            &LEDGER,
            amount,
            Precision::Exact,
            Restriction::Free,
            Fortitude::Force,
        )?;
        Self::add(creator, amount);
        Ok(())
    }
    fn credit_weight() -> Weight {
        Weight::from_parts(10_000, 0)
    }
}

/// Records reputation calls in [`ReputationLog`].
pub struct MockReputation;
impl ReputationHandler<AccountId> for MockReputation {
    fn reward(who: &AccountId, role: Role, points: u64) {
        ReputationLog::mutate(|l| l.push((*who, role, points, true)));
    }
    fn penalize(who: &AccountId, role: Role, points: u64) {
        ReputationLog::mutate(|l| l.push((*who, role, points, false)));
    }
}

/// The parameters the tests run with.
pub fn test_params() -> ParamsOf<Test> {
    Params {
        protocol_share: Perbill::from_percent(10),
        settlement_window: 20,
        report_ttl: 10,
        max_campaign_duration: 1_000,
        report_reputation_reward: 1,
        report_reputation_penalty: 10,
        min_budget: 100,
    }
}

pub fn new_test_ext() -> sp_io::TestExternalities {
    let mut t = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .expect("system genesis");
    pallet_balances::GenesisConfig::<Test> {
        balances: vec![
            (ALICE, ADVERTISER_FUNDS),
            (BOB, ADVERTISER_FUNDS),
            (PUB1, PUBLISHER_FUNDS),
            (PUB2, PUBLISHER_FUNDS),
            (PUB3, PUBLISHER_FUNDS),
            (TREASURY, 1),
            (LEDGER, 1),
            (POT, 1),
        ],
        ..Default::default()
    }
    .assimilate_storage(&mut t)
    .expect("balances genesis");
    pallet_ads::GenesisConfig::<Test> {
        params: test_params(),
    }
    .assimilate_storage(&mut t)
    .expect("ads genesis");
    let mut ext = sp_io::TestExternalities::new(t);
    ext.execute_with(|| {
        System::set_block_number(1);
        ReputationLog::set(Vec::new());
        RefuseCreator::set(None);
    });
    ext
}

/// Free balance of `who`.
pub fn free(who: AccountId) -> Balance {
    Balances::balance(&who)
}

/// What `who` has on hold for campaign budgets.
pub fn held(who: AccountId) -> Balance {
    Balances::balance_on_hold(&HoldReason::CampaignBudget.into(), &who)
}
