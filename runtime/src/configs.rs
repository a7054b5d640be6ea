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
use pallet_transaction_payment::FungibleAdapter;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::Perbill;

/// Normal (non-operational) extrinsics may fill 75% of a block.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
    /// How many recent block hashes the runtime keeps (for mortal transactions):
    /// 4096 blocks is a little over two hours at 2 s.
    pub const BlockHashCount: BlockNumber = 4096;
    /// The runtime version frame-system reports (`System::Version`), [`VERSION`].
    pub const Version: RuntimeVersion = VERSION;
    /// Substrate's sensible defaults (normal class 75%, the rest operational, 10% for
    /// initialization), with our measured base weights of a block and of an extrinsic.
    pub RuntimeBlockWeights: BlockWeights = BlockWeights::builder()
        .base_block(crate::weights::block_weights::BlockExecutionWeight::get())
        .for_class(DispatchClass::all(), |weights| {
            weights.base_extrinsic = crate::weights::extrinsic_weights::ExtrinsicBaseWeight::get();
        })
        .for_class(DispatchClass::Normal, |weights| {
            weights.max_total = Some(NORMAL_DISPATCH_RATIO * MAXIMUM_BLOCK_WEIGHT);
        })
        .for_class(DispatchClass::Operational, |weights| {
            weights.max_total = Some(MAXIMUM_BLOCK_WEIGHT);
            weights.reserved =
                Some(MAXIMUM_BLOCK_WEIGHT - NORMAL_DISPATCH_RATIO * MAXIMUM_BLOCK_WEIGHT);
        })
        .avg_block_initialization(Perbill::from_percent(10))
        .build_or_panic();
    /// 5 MiB per block, 75% of it for normal extrinsics.
    pub RuntimeBlockLength: BlockLength = BlockLength::builder()
        .max_length(crate::MAX_BLOCK_LENGTH)
        .modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
        .build();
    /// The address prefix in metadata, so wallets show our addresses ([`SS58_PREFIX`]).
    pub const SS58Prefix: u16 = SS58_PREFIX;
    /// Cost of state access on the node's backend: RocksDB behind an in-memory trie cache,
    /// with all writes of a block batched into one WriteBatch at commit. Substrate's
    /// `RocksDbWeight` (25 µs read, 100 µs write) assumes uncached wasm host calls.
    /// Estimated, not yet measured: no `benchmark storage` command exists yet (an open item
    /// in BENCHMARKS.md). The import benchmark, where a transfer does 3 reads and 2 writes,
    /// imports ~10k transfers/s serially: ~100 µs per transfer, ~48 µs of it the sr25519
    /// check, which leaves room for these 3 × 5 µs + 2 × 10 µs.
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
    type SystemWeightInfo = crate::weights::frame_system::WeightInfo<Runtime>;
    type ExtensionsWeightInfo = crate::weights::InExtrinsicBase;
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
    type WeightInfo = crate::weights::pallet_timestamp::WeightInfo<Runtime>;
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
    type WeightInfo = crate::weights::pallet_balances::WeightInfo<Runtime>;
    type FreezeIdentifier = RuntimeFreezeReason;
    type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
    type RuntimeHoldReason = RuntimeHoldReason;
    type RuntimeFreezeReason = RuntimeFreezeReason;
    type DoneSlashHandler = ();
}

/// 1 planck per picosecond of reference time.
pub type WeightToFee = IdentityFee<Balance>;
/// 1 microECHO per byte of extrinsic.
pub type LengthToFee = ConstantMultiplier<Balance, ConstU128<MICRO_UNITS>>;

parameter_types! {
    /// The part of each fee that goes to the stakers' reward pot; of the rest, the burn
    /// fraction is burned and the remainder goes to the treasury ([`crate::fees`]).
    pub const FeeShare: Perbill = Perbill::from_percent(20);
}

impl pallet_transaction_payment::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    /// 20% of fees go to pallet-witness's reward pot (paid out with the era reward, in its
    /// validator and witness pools), the burn fraction (80%) is burned, the rest goes to
    /// the treasury; tips go to the block author ([`crate::fees::DealWithFees`]).
    type OnChargeTransaction = FungibleAdapter<Balances, crate::fees::DealWithFees>;
    type OperationalFeeMultiplier = ConstU8<5>;
    type WeightToFee = WeightToFee;
    type LengthToFee = LengthToFee;
    /// Follows block fullness against a 25% target ([`crate::fees::FeeMultiplierUpdate`]).
    type FeeMultiplierUpdate = crate::fees::FeeMultiplierUpdate;
    type WeightInfo = crate::weights::InExtrinsicBase;
}

parameter_types! {
    /// A session lasts one hour. The validator set only changes at session boundaries.
    /// A storage parameter (default one hour) so that governance, or sudo on dev and
    /// local chains (`System::set_storage` at `SessionPeriod::key()`), can shorten it:
    /// the end-to-end tests run eras of a few dozen blocks this way.
    pub storage SessionPeriod: BlockNumber = HOURS;
    /// Sessions start at block 0: genesis opens session 0.
    pub const SessionOffset: BlockNumber = 0;
}

impl pallet_session::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type ValidatorId = AccountId;
    type ValidatorIdOf = sp_runtime::traits::ConvertInto;
    type ShouldEndSession = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
    type NextSessionRotation = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
    /// pallet-witness elects the validators at the first session of each era.
    type SessionManager = Witness;
    type SessionHandler = <SessionKeys as sp_runtime::traits::OpaqueKeys>::KeyTypeIdProviders;
    type Keys = SessionKeys;
    type DisablingStrategy = pallet_session::disabling::UpToLimitWithReEnablingDisablingStrategy;
    type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
    type Currency = Balances;
    type KeyDeposit = ConstU128<0>;
}

impl pallet_authorship::Config for Runtime {
    type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Aura>;
    /// Authored blocks earn era points.
    type EventHandler = Witness;
}

/// The Aura slot of the current block and its author's sr25519 key.
pub struct AuraSlotAuthor;
impl pallet_randomness::SlotAuthor for AuraSlotAuthor {
    fn current() -> Option<(u64, sp_core::sr25519::Public)> {
        let slot: u64 = *pallet_aura::CurrentSlot::<Runtime>::get();
        let authorities = pallet_aura::Authorities::<Runtime>::get();
        let count = authorities.len() as u64;
        if count == 0 {
            return None;
        }
        let author = authorities.get((slot % count) as usize)?;
        Some((slot, author.clone().into()))
    }
}

impl pallet_randomness::Config for Runtime {
    type SlotAuthor = pallet_randomness::BenchmarkableSlotAuthor<AuraSlotAuthor>;
    /// An epoch is half an hour: committees are redrawn that often.
    type EpochLength = ConstU32<{ 30 * MINUTES }>;
    /// Every block must carry its author's VRF, and the node enforces it: echonet-node
    /// signs it when it authors (node/src/authoring.rs) and rejects a block without a
    /// valid one before executing it (echonet-consensus's `aura::check_vrf`), as Substrate's
    /// BABE client checks its pre-digest. The runtime still verifies a digest that is
    /// present, but tolerates its absence: `system_dryRun` initialises a block that no
    /// author signed.
    type RequireVrf = ConstBool<false>;
    type WeightInfo = crate::weights::pallet_randomness::WeightInfo<Runtime>;
}

/// Root (the `root` track, and sudo on the dev chain) or the `parameters` track.
pub type ParametersOrRoot = frame_support::traits::EitherOfDiverse<
    frame_system::EnsureRoot<AccountId>,
    crate::governance::ParametersOrigin,
>;

/// Root (the `root` track, and sudo on the dev chain) or the `rollup_admin` track.
pub type RollupAdminOrRoot = frame_support::traits::EitherOfDiverse<
    frame_system::EnsureRoot<AccountId>,
    crate::governance::RollupAdminOrigin,
>;

impl pallet_reputation::Config for Runtime {
    /// The `parameters` track (or Root).
    type GovernanceOrigin = ParametersOrRoot;
    /// A month: a witness's record of the last few weeks matters, last year's does not.
    type DefaultHalfLife = ConstU32<{ 30 * DAYS }>;
    /// A million points: a million agreeing attestations, far beyond any real record.
    type DefaultMaxScore = ConstU64<1_000_000>;
    type WeightInfo = crate::weights::pallet_reputation::WeightInfo<Runtime>;
}

/// pallet-witness reads the randomness epoch from pallet-randomness.
pub struct RandomnessEpochs;
impl pallet_witness::EpochInfo for RandomnessEpochs {
    fn current_epoch() -> u64 {
        Randomness::current_epoch()
    }
}

/// Disables an offender through pallet-session's disabling strategy (which never
/// disables more than a third of the set).
pub struct SessionDisabler;
impl pallet_witness::DisableValidator<AccountId> for SessionDisabler {
    fn disable(who: &AccountId, severity: Perbill) -> bool {
        if !Session::validators().contains(who) {
            return false;
        }
        Session::report_offence(who.clone(), sp_staking::offence::OffenceSeverity(severity));
        true
    }
}

parameter_types! {
    /// Derives pallet-witness's reward-pot account. Changing it moves the pot: never do
    /// that on a live chain.
    pub const WitnessPalletId: frame_support::PalletId = frame_support::PalletId(*b"ech/wtns");
}

impl pallet_witness::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    /// The `parameters` track (or Root): `set_params` and `cancel_deferred_slash`.
    type GovernanceOrigin = ParametersOrRoot;
    type Randomness = Randomness;
    type Epochs = RandomnessEpochs;
    type Reputation = Reputation;
    type ValidatorDisabler = SessionDisabler;
    /// The burn fraction of slashed funds is burned, the rest goes to the treasury.
    type Slash = crate::fees::SlashToTreasury;
    type PalletId = WitnessPalletId;
    /// An era is six one-hour sessions.
    type SessionsPerEra = ConstU32<6>;
    /// 365 days of four eras: a nominal era of six hours (six default one-hour sessions).
    /// The era payout mints inflation for the era's measured length (pallet-timestamp),
    /// so sessions shortened by sudo or governance do not mint more per year.
    type ErasPerYear = ConstU32<{ 365 * 4 }>;
    /// Three unbonding periods (21 days) of exposures are kept for late reports.
    type HistoryDepth = ConstU32<84>;
    /// The Aura and GRANDPA authority bound.
    type MaxValidators = ConstU32<100>;
    type MaxCandidates = ConstU32<256>;
    type MaxNominators = ConstU32<1_024>;
    type MaxNominations = ConstU32<16>;
    type MaxBackersPerValidator = ConstU32<256>;
    type MaxUnlockingChunks = ConstU32<32>;
    /// 16 earners (each with up to 256 backers) per block.
    type MaxPayoutsPerBlock = ConstU32<16>;
    type MaxSlashesPerEra = ConstU32<64>;
    type MaxWitnesses = ConstU32<1_024>;
    type MaxCommitteeSize = ConstU32<64>;
    /// Unresolved events: 819 per event class.
    type MaxPendingEvents = ConstU32<4_096>;
    type MaxVerdictsPerAttest = ConstU32<256>;
    /// Receipts (plus the unresolved events that reserve one): 13,107 per event class.
    type MaxReceipts = ConstU32<65_536>;
    type MaxCleanupPerBlock = ConstU32<64>;
    type WeightInfo = crate::weights::pallet_witness::WeightInfo<Runtime>;
    /// Era lengths are measured with pallet-timestamp.
    type UnixTime = Timestamp;
    /// An era mints at most two nominal eras (12 hours) of inflation: enough for eras
    /// stretched by missed slots (half the authors offline doubles an era's wall time),
    /// while a chain stalled for days does not mint those days in one burst when it
    /// restarts. Governance lengthening sessions beyond 2 hours would mint less than 5% a
    /// year: change `ErasPerYear` with them.
    type MaxEraDurationFactor = ConstU32<2>;
    type SessionKeys = NextSessionKeys;
    /// Events resolve in a few blocks, so 64 unresolved at once is far above what one
    /// honest account needs; a spammer needs 13 accounts to fill one class's share.
    type MaxPendingPerSubmitter = ConstU32<64>;
    /// pallet-randomness's epoch, whose changes redraw the committees.
    type EpochLength = <Runtime as pallet_randomness::Config>::EpochLength;
    /// 256 accounts a block (about a validator with all its nominators): with the
    /// hand-written per-account bound (30 µs, 6 reads, 5 writes at `EchoDbWeight`) about
    /// 29 ms, 2% of a block; a full era of 64 slashes of 257 accounts drains in 65
    /// blocks, during which withdrawals wait.
    type MaxSlashApplicationsPerBlock = ConstU32<256>;
}

parameter_types! {
    /// The account that holds every unit locked in the rollup (deposits, L2 balances,
    /// unclaimed withdrawals).
    pub const BridgePalletId: frame_support::PalletId = frame_support::PalletId(*b"ech/brdg");
}

/// The rollup's L1 side: verified batches, the deposit queue, withdrawals and exodus.
impl pallet_bridge::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    /// The `rollup_admin` track (or Root): verifying key, batch size, parameters and
    /// operators.
    type AdminOrigin = RollupAdminOrRoot;
    /// Exodus timeouts are measured in wall-clock time.
    type UnixTime = Timestamp;
    type PalletId = BridgePalletId;
    /// EchoNet's L2 chain id. Every chain runs this runtime, so it is the same on dev, local
    /// and production; the rollup instance id (which hashes the genesis) tells chains apart.
    type ChainId = ConstU32<1>;
    /// Registered keys may be for 64 slots at most (about 1.95 M constraints, ~50 s to prove
    /// on two cores).
    type MaxBatchSize = ConstU32<64>;
    /// 1,024 deposits waiting: sixteen full 64-slot batches.
    type MaxQueuedDeposits = ConstU32<1_024>;
    type MaxOperators = ConstU32<16>;
    /// Measured: `submit_batch` verifies the checked-in proof fixtures of 8, 32 and 64 slots.
    type WeightInfo = crate::weights::pallet_bridge::WeightInfo<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = BridgeBenchmarkHelper;
}

/// Sets the timestamp pallet's clock for pallet-bridge's exodus benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct BridgeBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_bridge::BenchmarkHelper for BridgeBenchmarkHelper {
    fn set_time(ms: u64) {
        pallet_timestamp::Now::<Runtime>::put(ms);
    }
}

/// Whether an account has keys for the next session: pallet-session's `NextKeys`, the keys
/// it hands to Aura and GRANDPA when a validator set it names takes over.
pub struct NextSessionKeys;
impl pallet_witness::HasSessionKeys<AccountId> for NextSessionKeys {
    fn has_keys(who: &AccountId) -> bool {
        pallet_session::NextKeys::<Runtime>::contains_key(who)
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn set_keys_for_benchmark(who: &AccountId) {
        // Keys made of the account's own bytes: distinct per account, enough for the
        // election, which only asks whether there are keys.
        let raw: [u8; 32] = who.clone().into();
        pallet_session::NextKeys::<Runtime>::insert(
            who,
            SessionKeys {
                aura: sp_core::sr25519::Public::from_raw(raw).into(),
                grandpa: sp_core::ed25519::Public::from_raw(raw).into(),
            },
        );
    }
}

impl pallet_sudo::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeCall = RuntimeCall;
    type WeightInfo = crate::weights::pallet_sudo::WeightInfo<Runtime>;
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

/// Turns verified equivocation evidence into a deferred slash of the offender's
/// exposure (pallet-witness), which also disables and chills it.
///
/// The evidence names the offender's session key; pallet-session's key-owner index maps
/// it to the validator account. The evidence also names the sessions that own the
/// offence (the session of the equivocated Aura slot, or every session of the GRANDPA set
/// id), and those are what pallet-witness slashes: the era of the offence, or for a set id
/// spanning several eras the one where the offender's exposure was largest. The session of
/// the report is not used: the offender (or a reporter) could pick it, by reporting late,
/// to land in an era with a smaller exposure.
pub struct SlashEquivocations;
impl pallet_evidence::EvidenceHandler<BlockNumber> for SlashEquivocations {
    fn on_equivocation(record: &pallet_evidence::EvidenceRecord<BlockNumber>) {
        use sp_core::crypto::key_types;
        let (key_type, kind) = match record.key.kind {
            pallet_evidence::EquivocationKind::Aura => (
                key_types::AURA,
                pallet_witness::OffenceKind::AuraEquivocation,
            ),
            pallet_evidence::EquivocationKind::Grandpa => (
                key_types::GRANDPA,
                pallet_witness::OffenceKind::GrandpaEquivocation,
            ),
        };
        let Some(offender) = Session::key_owner(key_type, &record.key.offender) else {
            return;
        };
        let (first, last) = record.offence_sessions;
        // A duplicate or an offender not exposed then is not slashed again; nothing else
        // to do with the error here.
        let _ = Witness::report_offence_in_sessions(&offender, first, last, kind);
    }
}

/// The current Aura slot, for pallet-evidence.
pub struct CurrentAuraSlot;
impl frame_support::traits::Get<u64> for CurrentAuraSlot {
    fn get() -> u64 {
        *pallet_aura::CurrentSlot::<Runtime>::get()
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
    /// Verified equivocations become deferred slashes in pallet-witness.
    type EvidenceHandler = SlashEquivocations;
    type WeightInfo = crate::weights::pallet_evidence::WeightInfo<Runtime>;
    /// Dates each session's first slot, so that an Aura equivocation is charged to the
    /// session (and era) whose set authored its slot.
    type CurrentSlot = CurrentAuraSlot;
}
