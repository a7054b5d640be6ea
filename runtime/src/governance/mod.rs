//! On-chain governance (OpenGov, as Polkadot's) and the account tools wallets expect.
//!
//! - **Referenda** (pallet-referenda, index 17) on four tracks ([`tracks`]): `root`,
//!   `parameters`, `treasurer`, `rollup_admin`. Anyone submits a proposal (a call, usually
//!   as a preimage, pallet-preimage, index 14) with a submission deposit, and anyone places
//!   the track's decision deposit. Token holders vote with conviction
//!   (pallet-conviction-voting, index 18): a longer lock multiplies a vote's weight. An
//!   approved referendum is scheduled (pallet-scheduler, index 15) and dispatched with the
//!   track's origin: Root on `root`, else a custom origin of [`origins`] (index 16).
//! - **Who may do what**: each pallet's governance origin is `EitherOfDiverse<EnsureRoot,
//!   <track origin>>` (see `configs.rs`): pallet-witness and pallet-reputation take
//!   [`ParametersOrigin`], pallet-bridge's admin calls [`RollupAdminOrigin`]. Root stays
//!   accepted: it is what the `root` track (and sudo on the dev chain) dispatches with.
//! - **Account tools**: pallet-utility (index 20: `batch`, `batch_all`, `force_batch`,
//!   `as_derivative`), pallet-proxy (21, with the [`ProxyType`]s below) and
//!   pallet-multisig (22).
//!
//! Weights were measured natively by `echonet-node benchmark pallet` (`runtime/src/weights/`,
//! BENCHMARKS.md "Runtime weights").
//!
//! ## Deposits
//!
//! Everything that stores state on behalf of an account is paid for with a refundable
//! deposit of [`deposit`]`(items, bytes)` = 1 ECHO per item + 1 milliECHO per byte. A
//! balance transfer costs about 0.5 milliECHO in fees, so an item's deposit is about 2,000
//! transfers: enough that filling state is expensive, small enough to be no barrier to an
//! honest user, who gets it back. A byte costs what the existential deposit charges for a
//! whole ~80-byte account: a deposit is refunded, so it can price state higher than the
//! existential deposit, which is not.

pub mod origins;
pub mod tracks;

pub use origins::{ParametersOrigin, RollupAdminOrigin, TreasurerOrigin};

use crate::{
    AccountId, Balance, Balances, OriginCaller, Preimage, Referenda, Runtime, RuntimeCall,
    RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, Scheduler, System, MILLI_UNITS, UNITS,
};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
    parameter_types,
    traits::{
        fungible::HoldConsideration, tokens::currency::ActiveIssuanceOf, ConstU32,
        EqualPrivilegeOnly, InstanceFilter, LinearStoragePrice,
    },
    weights::Weight,
};
use frame_system::{EnsureRoot, EnsureSigned};
use scale_info::TypeInfo;
use sp_runtime::{traits::BlakeTwo256, Perbill};

/// The deposit for `items` storage items of `bytes` bytes in all: 1 ECHO per item and
/// 1 milliECHO per byte (see the module docs).
pub const fn deposit(items: u32, bytes: u32) -> Balance {
    items as Balance * UNITS + bytes as Balance * MILLI_UNITS
}

/// The most one spend approved on the `treasurer` track may pay: 1,000,000 ECHO, about 1%
/// of the dev chains' issuance. Larger spends go through `root`.
pub const MAX_TREASURER_SPEND: Balance = 1_000_000 * UNITS;

parameter_types! {
    /// Preimages: 1 ECHO per preimage and 1 milliECHO per byte (a 1 KiB call locks about
    /// 2 ECHO, the 4 MiB maximum about 4,200 ECHO), refunded when it is removed.
    pub const PreimageBaseDeposit: Balance = deposit(1, 0);
    /// See [`PreimageBaseDeposit`].
    pub const PreimageByteDeposit: Balance = deposit(0, 1);
    /// The hold reason of preimage deposits.
    pub const PreimageHoldReason: RuntimeHoldReason =
        RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

impl pallet_preimage::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = crate::weights::pallet_preimage::WeightInfo<Runtime>;
    type Currency = Balances;
    /// Root may request (make free) or remove any preimage.
    type ManagerOrigin = EnsureRoot<AccountId>;
    type Consideration = HoldConsideration<
        AccountId,
        Balances,
        PreimageHoldReason,
        LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
    >;
}

parameter_types! {
    /// Scheduled calls may use 80% of a block's weight (Polkadot's choice): enactments run
    /// in `on_initialize`, ahead of transactions, and must leave room for the mandatory
    /// inherents and some transactions.
    pub MaximumSchedulerWeight: Weight =
        Perbill::from_percent(80) * crate::MAXIMUM_BLOCK_WEIGHT;
}

impl pallet_scheduler::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeOrigin = RuntimeOrigin;
    type PalletsOrigin = OriginCaller;
    type RuntimeCall = RuntimeCall;
    type MaximumWeight = MaximumSchedulerWeight;
    /// Only Root schedules directly; referenda schedule through the trait, not the call.
    type ScheduleOrigin = EnsureRoot<AccountId>;
    type OriginPrivilegeCmp = EqualPrivilegeOnly;
    /// 50 calls a block (Polkadot's): far above the enactments of ten referenda a track.
    type MaxScheduledPerBlock = ConstU32<50>;
    type WeightInfo = crate::weights::pallet_scheduler::WeightInfo<Runtime>;
    type Preimages = Preimage;
    type BlockNumberProvider = System;
}

impl origins::Config for Runtime {}

parameter_types! {
    /// 100 ECHO to submit a referendum (refunded when it ends, unless killed): opening
    /// one is not free, but the decision deposit is what makes it decided.
    pub const SubmissionDeposit: Balance = 100 * UNITS;
}

impl pallet_referenda::Config for Runtime {
    type RuntimeCall = RuntimeCall;
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = crate::weights::pallet_referenda::WeightInfo<Runtime>;
    type Scheduler = Scheduler;
    type Currency = Balances;
    type SubmitOrigin = EnsureSigned<AccountId>;
    /// Cancelling (deposits refunded) and killing (deposits slashed) need Root: there is no
    /// canceller track yet.
    type CancelOrigin = EnsureRoot<AccountId>;
    type KillOrigin = EnsureRoot<AccountId>;
    /// Slashed deposits (of killed referenda) go to the treasury.
    type Slash = crate::Treasury;
    type Votes = Balance;
    type Tally = pallet_conviction_voting::TallyOf<Runtime>;
    type SubmissionDeposit = SubmissionDeposit;
    /// 100 referenda may wait for a deciding slot on each track (Polkadot's).
    type MaxQueued = ConstU32<100>;
    type UndecidingTimeout = tracks::UndecidingTimeout;
    /// Referendum alarms fire on the block they name: periods of a few blocks on the dev
    /// chains must not be rounded up.
    type AlarmInterval = ConstU32<1>;
    type Tracks = tracks::TracksInfo;
    type Preimages = Preimage;
    type BlockNumberProvider = System;
}

impl pallet_conviction_voting::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = crate::weights::pallet_conviction_voting::WeightInfo<Runtime>;
    type Currency = Balances;
    type Polls = Referenda;
    /// Support is measured against the active issuance.
    type MaxTurnout = ActiveIssuanceOf<Balances, AccountId>;
    /// 512 votes per account and track (Polkadot's): bounds the weight of unlocking.
    type MaxVotes = ConstU32<512>;
    type VoteLockingPeriod = tracks::VoteLockingPeriod;
    type BlockNumberProvider = System;
    type VotingHooks = ();
}

impl pallet_utility::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeCall = RuntimeCall;
    type PalletsOrigin = OriginCaller;
    type WeightInfo = crate::weights::pallet_utility::WeightInfo<Runtime>;
}

/// What a proxy may do for the account that added it.
#[derive(
    Copy,
    Clone,
    Eq,
    PartialEq,
    Ord,
    PartialOrd,
    Encode,
    Decode,
    DecodeWithMemTracking,
    Debug,
    MaxEncodedLen,
    TypeInfo,
    Default,
)]
pub enum ProxyType {
    /// Anything the account can do.
    #[default]
    Any,
    /// Anything that cannot move the account's funds to someone else: no balance
    /// transfers, no rollup deposits or exits (pallet-bridge). Staking, voting, batches,
    /// proxies and multisigs stay allowed.
    NonTransfer,
    /// Governance: referenda, conviction votes, preimages (and batches of them).
    Governance,
    /// Staking and witnessing (pallet-witness), session keys (and batches of them).
    Staking,
}

impl InstanceFilter<RuntimeCall> for ProxyType {
    fn filter(&self, call: &RuntimeCall) -> bool {
        match self {
            ProxyType::Any => true,
            ProxyType::NonTransfer => matches!(
                call,
                RuntimeCall::System(..)
                    | RuntimeCall::Session(..)
                    | RuntimeCall::Witness(..)
                    | RuntimeCall::Reputation(..)
                    | RuntimeCall::Evidence(..)
                    | RuntimeCall::Preimage(..)
                    | RuntimeCall::Referenda(..)
                    | RuntimeCall::ConvictionVoting(..)
                    | RuntimeCall::Utility(..)
                    | RuntimeCall::Proxy(..)
                    | RuntimeCall::Multisig(..)
            ),
            ProxyType::Governance => matches!(
                call,
                RuntimeCall::Preimage(..)
                    | RuntimeCall::Referenda(..)
                    | RuntimeCall::ConvictionVoting(..)
                    | RuntimeCall::Utility(..)
            ),
            ProxyType::Staking => matches!(
                call,
                RuntimeCall::Witness(..) | RuntimeCall::Session(..) | RuntimeCall::Utility(..)
            ),
        }
    }

    fn is_superset(&self, o: &Self) -> bool {
        match (self, o) {
            (x, y) if x == y => true,
            (ProxyType::Any, _) => true,
            (_, ProxyType::Any) => false,
            (ProxyType::NonTransfer, _) => true,
            _ => false,
        }
    }
}

parameter_types! {
    /// A proxy list costs one item (8 bytes of key) plus 33 bytes per proxy (account and
    /// type), as Polkadot sizes them.
    pub const ProxyDepositBase: Balance = deposit(1, 8);
    /// See [`ProxyDepositBase`].
    pub const ProxyDepositFactor: Balance = deposit(0, 33);
    /// Announcements (time-delayed proxies): one item plus 68 bytes per announcement.
    pub const AnnouncementDepositBase: Balance = deposit(1, 8);
    /// See [`AnnouncementDepositBase`].
    pub const AnnouncementDepositFactor: Balance = deposit(0, 68);
}

impl pallet_proxy::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeCall = RuntimeCall;
    type Currency = Balances;
    type ProxyType = ProxyType;
    type ProxyDepositBase = ProxyDepositBase;
    type ProxyDepositFactor = ProxyDepositFactor;
    /// 32 proxies and 32 pending announcements per account (Polkadot's bounds).
    type MaxProxies = ConstU32<32>;
    type WeightInfo = crate::weights::pallet_proxy::WeightInfo<Runtime>;
    type MaxPending = ConstU32<32>;
    type CallHasher = BlakeTwo256;
    type AnnouncementDepositBase = AnnouncementDepositBase;
    type AnnouncementDepositFactor = AnnouncementDepositFactor;
    type BlockNumberProvider = System;
}

parameter_types! {
    /// A pending multisig operation: one item of 88 bytes (key and record), plus 32 bytes
    /// per signatory who approved.
    pub const MultisigDepositBase: Balance = deposit(1, 88);
    /// See [`MultisigDepositBase`].
    pub const MultisigDepositFactor: Balance = deposit(0, 32);
}

impl pallet_multisig::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeCall = RuntimeCall;
    type Currency = Balances;
    type DepositBase = MultisigDepositBase;
    type DepositFactor = MultisigDepositFactor;
    /// 100 signatories (Polkadot's bound): approvals are a sorted list scanned per call.
    type MaxSignatories = ConstU32<100>;
    type WeightInfo = crate::weights::pallet_multisig::WeightInfo<Runtime>;
    type BlockNumberProvider = System;
}
