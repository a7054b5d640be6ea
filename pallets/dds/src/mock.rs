//! A mock runtime: frame-system, pallet-balances and this pallet, with stand-ins that keep
//! their semantics:
//! - [`MockWitness`] submits `StorageProof` events (charging [`EVENT_FEE`]) and hands out
//!   receipts the tests decide with [`resolve`]; a receipt is consumed at most once. Its
//!   state lives in storage, so that a rolled-back call rolls it back as the real one would.
//! - [`MockReputation`] keeps scores per (account, role), without decay.
//! - [`MockRandomness`] is `blake2_256(subject ‖ seed)` with a seed the tests set.
//!
//! [`Content`] builds a deal's shards, roots and proofs with the shared primitives, so
//! that the tests answer challenges as a storage node would.

use crate::{self as pallet_dds, merkle, *};
use core::cell::RefCell;
use frame_support::{
    derive_impl, parameter_types,
    traits::{
        fungible::{Inspect as _, InspectHold as _, Mutate as _},
        tokens::Preservation,
        ConstU128, ConstU32, Hooks,
    },
    BoundedVec,
};
use frame_system::EnsureRoot;
use pallet_reputation::{ReputationHandler, Role, Score};
use pallet_witness::{ConsumeError, EventClass, EventSubmitter, Receipt, ReceiptProvider, Verdict};
use sp_core::H256;
use sp_runtime::{BuildStorage, DispatchError, DispatchResult, Perbill};
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
        Dds: pallet_dds,
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

/// A deal owner.
pub const OWNER: AccountId = 1;
/// A second owner.
pub const OWNER2: AccountId = 2;
/// An account that is no provider.
pub const STRANGER: AccountId = 3;
/// Providers are `PROVIDER_BASE + i`.
pub const PROVIDER_BASE: AccountId = 100;
/// The treasury.
pub const TREASURY: AccountId = 9_000;
/// Where witness event fees go.
pub const WITNESS_POT: AccountId = 9_001;
/// The witness event fee.
pub const EVENT_FEE: Balance = 10;
/// What every account starts with.
pub const FUNDS: Balance = 1_000_000_000;
/// The minimum bond in the tests.
pub const MIN_BOND: Balance = 1_000;
/// Epoch length in the tests.
pub const EPOCH: u64 = 10;
/// Response window in the tests.
pub const WINDOW: u64 = 5;
/// Unbonding delay in the tests.
pub const UNBONDING: u64 = 20;
/// Confirmation window in the tests.
pub const CONFIRM: u64 = 30;
/// A mebibyte.
pub const MIB: u32 = 1 << 20;

parameter_types! {
    pub const Treasury: AccountId = TREASURY;
    pub static MaxProviders: u32 = 16;
}

thread_local! {
    static REPUTATION: RefCell<BTreeMap<(AccountId, Role), Score>> = const { RefCell::new(BTreeMap::new()) };
    static SEED: RefCell<u64> = const { RefCell::new(0) };
}

/// Reputation in miniature.
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
            let e = r.entry((*who, role)).or_insert(100);
            *e = e.saturating_sub(points);
        });
    }
}

/// `who`'s storage-provider reputation (rewards add to 0, penalties take from 100).
pub fn reputation(who: AccountId) -> Score {
    REPUTATION.with(|r| {
        r.borrow()
            .get(&(who, Role::StorageProvider))
            .copied()
            .unwrap_or(0)
    })
}

/// Randomness in miniature.
pub struct MockRandomness;

impl DdsRandomness for MockRandomness {
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

fn key(prefix: &[u8], class: EventClass, hash: &H256) -> Vec<u8> {
    use codec::Encode;
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
        Balances::transfer(who, &WITNESS_POT, EVENT_FEE, Preservation::Preserve)?;
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

/// The `StorageProof` committee decides `hash`: a receipt with `verdict` now exists.
pub fn resolve(hash: H256, verdict: Verdict) {
    let receipt = Receipt {
        class: EventClass::StorageProof,
        payload_hash: hash,
        verdict,
        epoch: 0,
        resolved_at: System::block_number(),
        agreeing: 3,
    };
    frame_support::storage::unhashed::put(
        &key(b"mock/receipt", EventClass::StorageProof, &hash),
        &receipt,
    );
}

#[cfg(feature = "runtime-benchmarks")]
impl BenchmarkHelper<AccountId> for MockWitness {
    fn prepare_submitter(who: &AccountId) {
        let _ = Balances::mint_into(who, 1_000_000);
    }
    fn resolve(payload_hash: H256, verdict: Verdict) {
        resolve(payload_hash, verdict);
    }
}

impl pallet_dds::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type GovernanceOrigin = EnsureRoot<AccountId>;
    type TreasuryAccount = Treasury;
    type Randomness = MockRandomness;
    type Reputation = MockReputation;
    type Submitter = MockWitness;
    type Receipts = MockWitness;
    type MaxProviders = MaxProviders;
    type MaxDeals = ConstU32<8>;
    type MaxShardsPerDeal = ConstU32<64>;
    type MaxPeerIdLen = ConstU32<64>;
    type MaxAddressesLen = ConstU32<128>;
    type MaxPendingRetrievals = ConstU32<4>;
    type WeightInfo = ();
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = MockWitness;
}

/// The test parameters.
pub fn test_params() -> Params<Balance, u64> {
    Params {
        min_bond: MIN_BOND,
        unbonding_delay: UNBONDING,
        epoch_length: EPOCH,
        challenges_per_epoch: 4,
        max_challenges_per_block: 2,
        response_window: WINDOW,
        max_expiries_per_block: 8,
        max_reassign_per_block: 4,
        slash: Perbill::from_percent(10),
        min_price: 1,
        max_duration: 100,
        points: ReputationPoints {
            answered: 2,
            failed: 10,
            retrieved: 1,
            not_retrieved: 5,
        },
        confirm_window: CONFIRM,
    }
}

/// Externalities at block 1: owners, providers 0..32 and the treasury funded, no
/// providers registered, the mocks empty.
pub fn new_test_ext() -> sp_io::TestExternalities {
    REPUTATION.with(|r| r.borrow_mut().clear());
    set_seed(0);
    MaxProviders::set(16);
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .expect("frame-system genesis builds");
    let mut balances = vec![
        (OWNER, FUNDS),
        (OWNER2, FUNDS),
        (STRANGER, FUNDS),
        (TREASURY, 1),
        (WITNESS_POT, 1),
    ];
    balances.extend((0..32).map(|i| (provider(i), FUNDS)));
    pallet_balances::GenesisConfig::<Test> {
        balances,
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .expect("balances genesis builds");
    pallet_dds::GenesisConfig::<Test> {
        params: test_params(),
    }
    .assimilate_storage(&mut storage)
    .expect("dds genesis builds");
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| System::set_block_number(1));
    ext
}

/// Provider `i`.
pub fn provider(i: u64) -> AccountId {
    PROVIDER_BASE + i
}

/// Registers provider `i` with `capacity` bytes, five times the minimum bond, and operator `operator`
/// (itself if none).
pub fn register(i: u64, capacity: u64, operator: Option<AccountId>) {
    Dds::register_provider(
        RuntimeOrigin::signed(provider(i)),
        5 * MIN_BOND,
        capacity,
        BoundedVec::truncate_from(format!("peer-{i}").into_bytes()),
        BoundedVec::truncate_from(b"/ip4/127.0.0.1/tcp/30333".to_vec()),
        operator,
    )
    .expect("registers");
}

/// Runs blocks up to `n`, calling `on_initialize` of each.
pub fn run_to(n: u64) {
    while System::block_number() < n {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        Dds::on_initialize(next);
    }
}

/// The free balance of `who`.
pub fn free(who: AccountId) -> Balance {
    Balances::balance(&who)
}

/// What `who` has on hold for `reason`.
pub fn held(who: AccountId, reason: HoldReason) -> Balance {
    Balances::balance_on_hold(&reason.into(), &who)
}

/// A challenge answer: the segment, its segment path and its shard path.
pub type Proof = (
    BoundedVec<u8, ConstU32<{ merkle::SEGMENT_SIZE }>>,
    BoundedVec<[u8; 32], ConstU32<32>>,
    BoundedVec<[u8; 32], ConstU32<32>>,
);

/// Content as a storage node holds it: its shards (pseudo-random bytes of the layout's
/// lengths: the tree checks do not need a real erasure code), segment roots, root and cid.
pub struct Content {
    /// The layout.
    pub layout: merkle::Layout,
    /// Every shard's bytes.
    pub shards: Vec<Vec<u8>>,
    /// Every shard's segment root.
    pub segment_roots: Vec<merkle::Hash>,
    /// The content root.
    pub root: merkle::Hash,
    /// The content id.
    pub cid: merkle::Hash,
}

impl Content {
    /// Content of `size` bytes in `chunk_size` chunks of `k + m` shards; `salt` varies it.
    pub fn new(size: u64, chunk_size: u32, k: u8, m: u8, salt: u8) -> Self {
        let layout = merkle::Layout::new(size, chunk_size, k, m).expect("valid layout");
        let shards: Vec<Vec<u8>> = (0..layout.shard_count())
            .map(|s| {
                let len = layout.shard_len(s).unwrap() as usize;
                (0..len)
                    .map(|i| {
                        (i as u32)
                            .wrapping_mul(31)
                            .wrapping_add(s * 7 + u32::from(salt)) as u8
                    })
                    .collect()
            })
            .collect();
        let segment_roots: Vec<_> = shards.iter().map(|s| merkle::segment_root(s)).collect();
        let root = merkle::content_root(&segment_roots).unwrap();
        let cid = merkle::cid(&layout.header(), &root);
        Content {
            layout,
            shards,
            segment_roots,
            root,
            cid,
        }
    }

    /// The answer to a challenge (shard, segment).
    pub fn proof(&self, shard: u32, segment: u32) -> Proof {
        let (bytes, seg_path) =
            merkle::segment_proof(&self.shards[shard as usize], segment).unwrap();
        let shard_path = merkle::content_path(&self.segment_roots, shard).unwrap();
        (
            BoundedVec::truncate_from(bytes),
            BoundedVec::truncate_from(seg_path),
            BoundedVec::truncate_from(shard_path),
        )
    }
}

/// Opens a deal for `content` by `owner` for `duration` epochs at `price`; returns its id.
pub fn open(owner: AccountId, c: &Content, duration: u32, price: Balance) -> DealId {
    let id = NextDealId::<Test>::get();
    Dds::open_deal(
        RuntimeOrigin::signed(owner),
        c.cid,
        c.root,
        c.layout.header(),
        duration,
        price,
    )
    .expect("opens");
    id
}

/// Every provider confirms every shard assigned to it in `deal`.
pub fn confirm_all(deal: DealId) {
    let mut by: BTreeMap<AccountId, Vec<u32>> = BTreeMap::new();
    for (shard, a) in Assignments::<Test>::iter_prefix(deal) {
        if let Some(p) = a.provider {
            by.entry(p).or_default().push(shard);
        }
    }
    for (p, shards) in by {
        Dds::confirm_stored(
            RuntimeOrigin::signed(p),
            deal,
            BoundedVec::truncate_from(shards),
        )
        .expect("confirms");
    }
}
