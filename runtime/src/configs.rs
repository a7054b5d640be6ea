//! Pallet configurations. Each `impl Config` says why its values were chosen where the
//! choice is not obvious.

use super::*;
use frame_support::{
    derive_impl,
    dispatch::DispatchClass,
    parameter_types,
    traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, Contains, VariantCountOf},
    weights::{ConstantMultiplier, IdentityFee, RuntimeDbWeight},
};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{traits::One, Perbill};

/// Normal (non-operational) extrinsics may fill 75% of a block.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
    /// How many recent block hashes the runtime keeps (for mortal transactions):
    /// 4096 blocks is a little over two hours at 2 s.
    pub const BlockHashCount: BlockNumber = 4096;
    pub const Version: RuntimeVersion = VERSION;
    pub RuntimeBlockWeights: BlockWeights =
        BlockWeights::with_sensible_defaults(MAXIMUM_BLOCK_WEIGHT, NORMAL_DISPATCH_RATIO);
    /// 5 MiB per block, 75% of it for normal extrinsics.
    pub RuntimeBlockLength: BlockLength = BlockLength::builder()
        .max_length(5 * 1024 * 1024)
        .modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
        .build();
    pub const SS58Prefix: u16 = SS58_PREFIX;
    /// Cost of state access on the node's backend: RocksDB behind an in-memory trie cache,
    /// with all writes of a block batched into one WriteBatch at commit. Substrate's
    /// `RocksDbWeight` (25 µs read, 100 µs write) assumes uncached wasm host calls.
    /// Measured with `echonet-node benchmark storage` (see BENCHMARKS.md), rounded up.
    pub const EchoDbWeight: RuntimeDbWeight = RuntimeDbWeight {
        read: 5_000 * frame_support::weights::constants::WEIGHT_REF_TIME_PER_NANOS,
        write: 10_000 * frame_support::weights::constants::WEIGHT_REF_TIME_PER_NANOS,
    };
}

/// Calls that are not allowed on EchoNet. `set_code` and friends would replace the wasm
/// blob, which this chain does not execute: a runtime upgrade is a node release.
pub struct BaseCallFilter;
impl Contains<RuntimeCall> for BaseCallFilter {
    fn contains(call: &RuntimeCall) -> bool {
        !matches!(
            call,
            RuntimeCall::System(
                frame_system::Call::set_code { .. }
                    | frame_system::Call::set_code_without_checks { .. }
                    | frame_system::Call::authorize_upgrade { .. }
                    | frame_system::Call::authorize_upgrade_without_checks { .. }
                    | frame_system::Call::apply_authorized_upgrade { .. }
            )
        )
    }
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
    type BaseCallFilter = BaseCallFilter;
    type Block = Block;
    type BlockWeights = RuntimeBlockWeights;
    type BlockLength = RuntimeBlockLength;
    type AccountId = AccountId;
    type Nonce = Nonce;
    type Hash = Hash;
    type BlockHashCount = BlockHashCount;
    type DbWeight = EchoDbWeight;
    type Version = Version;
    type AccountData = pallet_balances::AccountData<Balance>;
    type SS58Prefix = SS58Prefix;
    type MaxConsumers = ConstU32<16>;
}

impl pallet_aura::Config for Runtime {
    type AuthorityId = AuraId;
    type DisabledValidators = Session;
    type MaxAuthorities = ConstU32<100>;
    /// One block per slot: two blocks in a slot from one author is an equivocation.
    type AllowMultipleBlocksPerSlot = ConstBool<false>;
    type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = ();
    type MaxAuthorities = ConstU32<100>;
    type MaxNominators = ConstU32<0>;
    type MaxSetIdSessionEntries = ConstU64<0>;
    // Equivocation reports need key-ownership proofs (pallet-session's historical module);
    // they come with the network and staking issues.
    type KeyOwnerProof = sp_core::Void;
    type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
    /// Milliseconds since the unix epoch.
    type Moment = u64;
    type OnTimestampSet = Aura;
    /// Aura's slot duration is twice this.
    type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
    type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
    type MaxLocks = ConstU32<50>;
    type MaxReserves = ConstU32<50>;
    type ReserveIdentifier = [u8; 8];
    type Balance = Balance;
    type RuntimeEvent = RuntimeEvent;
    type DustRemoval = ();
    type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
    type AccountStore = System;
    type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
    type FreezeIdentifier = RuntimeFreezeReason;
    type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
    type RuntimeHoldReason = RuntimeHoldReason;
    type RuntimeFreezeReason = RuntimeFreezeReason;
    type DoneSlashHandler = ();
}

parameter_types! {
    pub FeeMultiplier: Multiplier = Multiplier::one();
}

/// 1 planck per picosecond of reference time.
pub type WeightToFee = IdentityFee<Balance>;
/// 1 microECHO per byte of extrinsic.
pub type LengthToFee = ConstantMultiplier<Balance, ConstU128<MICRO_UNITS>>;

impl pallet_transaction_payment::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    /// Fees are burned (the credit is dropped) until the staking pallet pays authors.
    type OnChargeTransaction = FungibleAdapter<Balances, ()>;
    type OperationalFeeMultiplier = ConstU8<5>;
    type WeightToFee = WeightToFee;
    type LengthToFee = LengthToFee;
    type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
    type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
    /// A session lasts one hour. The validator set only changes at session boundaries.
    pub const SessionPeriod: BlockNumber = HOURS;
    pub const SessionOffset: BlockNumber = 0;
}

impl pallet_session::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type ValidatorId = AccountId;
    type ValidatorIdOf = sp_runtime::traits::ConvertInto;
    type ShouldEndSession = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
    type NextSessionRotation = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
    /// The validator set is fixed at genesis until the staking pallet manages it.
    type SessionManager = ();
    type SessionHandler = <SessionKeys as sp_runtime::traits::OpaqueKeys>::KeyTypeIdProviders;
    type Keys = SessionKeys;
    type DisablingStrategy = pallet_session::disabling::UpToLimitWithReEnablingDisablingStrategy;
    type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
    type Currency = Balances;
    type KeyDeposit = ConstU128<0>;
}

impl pallet_sudo::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeCall = RuntimeCall;
    type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

/// The current Aura authorities, for pallet-evidence.
pub struct CurrentAuraAuthorities;
impl frame_support::traits::Get<alloc::vec::Vec<AuraId>> for CurrentAuraAuthorities {
    fn get() -> alloc::vec::Vec<AuraId> {
        pallet_aura::Authorities::<Runtime>::get().into_inner()
    }
}

/// The current GRANDPA set id and authorities, for pallet-evidence.
pub struct CurrentGrandpaAuthorities;
impl frame_support::traits::Get<(u64, alloc::vec::Vec<sp_consensus_grandpa::AuthorityId>)>
    for CurrentGrandpaAuthorities
{
    fn get() -> (u64, alloc::vec::Vec<sp_consensus_grandpa::AuthorityId>) {
        (
            pallet_grandpa::CurrentSetId::<Runtime>::get(),
            Grandpa::grandpa_authorities()
                .into_iter()
                .map(|(id, _)| id)
                .collect(),
        )
    }
}

/// The current session index, for pallet-evidence.
pub struct CurrentSessionIndex;
impl frame_support::traits::Get<u32> for CurrentSessionIndex {
    fn get() -> u32 {
        pallet_session::CurrentIndex::<Runtime>::get()
    }
}

impl pallet_evidence::Config for Runtime {
    type AuraAuthorities = CurrentAuraAuthorities;
    type GrandpaAuthorities = CurrentGrandpaAuthorities;
    type SessionIndex = CurrentSessionIndex;
    /// Three past sessions (three hours) and GRANDPA sets: a report delayed by a session
    /// change still counts.
    type HistoryDepth = ConstU32<3>;
    type MaxAuthorities = ConstU32<100>;
    /// Equivocations are rare; 1024 records of ~60 bytes.
    type MaxEvidence = ConstU32<1024>;
    /// A week: long enough for the staking issue's slashing to act on a report.
    type RetentionPeriod = ConstU32<{ 7 * DAYS }>;
    /// Reports go before ordinary transactions (Substrate's choice for equivocation
    /// reports).
    type UnsignedPriority =
        ConstU64<{ sp_runtime::transaction_validity::TransactionPriority::MAX / 2 }>;
    /// No slashing yet: the staking issue plugs in here.
    type EvidenceHandler = ();
    type WeightInfo = pallet_evidence::weights::SubstrateWeight<Runtime>;
}
