//! # Reputation pallet
//!
//! Keeps a reputation score for every (account, [`Role`]) pair that some other pallet has
//! reported on. Scores say how an account has behaved lately in a role: a witness that
//! attests with the majority, a validator that authors its blocks, a storage provider that
//! answers its challenges. They feed selection elsewhere: pallet-witness draws committees
//! weighted by stake × reputation.
//!
//! ## How scores move
//!
//! - Other pallets report through the [`ReputationHandler`] trait: `reward(who, role, points)`
//!   adds points, `penalize(who, role, points)` takes them away (saturating at zero). A score
//!   never exceeds [`MaxScore`].
//! - Scores decay exponentially with a half-life of [`HalfLife`] blocks: a score of 1,000
//!   reads 500 one half-life later and 250 two half-lives later. Decay is computed lazily
//!   when a score is read or written, from the stored value and the block of its last
//!   update, so no hook ever iterates over accounts. The fractional part of the exponent is
//!   computed with a 20-bit binary expansion (see [`decay`]), exact to about one part in 10^6.
//!
//! ## Snapshots
//!
//! Selection must not move under a candidate's feet while an era runs, and it must not be
//! something a candidate can change in the same block in which it is selected. So
//! selection reads the *snapshot* score: the score as it was when the last snapshot point
//! was taken ([`ReputationScores::take_snapshot`], called by pallet-witness at each era
//! start). Taking a snapshot writes one storage value; it does not copy scores. Instead,
//! the first write to a record after a snapshot point first saves the record's decayed
//! value at that point, and a record that has not been written since reads its snapshot
//! value by decaying its stored value to the snapshot block. Both cost O(1).
//!
//! ## Governance
//!
//! [`HalfLife`] and [`MaxScore`] are storage values that [`Config::GovernanceOrigin`] sets
//! with [`Pallet::set_half_life`] and [`Pallet::set_max_score`]. A new half-life applies to
//! all elapsed time that has not yet been folded into a record, including time before the
//! change: that keeps reads O(1) and is the documented behaviour.
//!
//! Records whose score has decayed to zero can be removed by anyone with [`Pallet::reap`],
//! which keeps the map from accumulating dead entries.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::traits::UniqueSaturatedInto;

/// A reputation score, in points.
pub type Score = u64;

/// The role in which an account's behaviour is scored. An account has one score per role:
/// a good validator may be a careless witness.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    Debug,
)]
pub enum Role {
    /// Block production and finality (pallet-witness staking).
    Validator,
    /// Committee witness validating network events (pallet-witness committees).
    Witness,
    /// Content creator (publication, direct monetization).
    Creator,
    /// Advertiser in the ad marketplace.
    Advertiser,
    /// Storage provider of the distributed data store.
    StorageProvider,
    /// Optimizer of an optimization domain (pallet-domains): gains when its claimed optimum
    /// is accepted by the evaluators' quorum, loses when it is refused.
    Optimizer,
    /// Evaluator of an optimization domain (pallet-domains): gains when its revealed score
    /// agrees with the verdict, loses when it is far from it or does not reveal. Part of
    /// its weight in quorum draws.
    Evaluator,
}

/// One (account, role) score as stored.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct ScoreRecord<BlockNumber> {
    /// The score at `updated_at`, before any decay since.
    pub value: Score,
    /// The block at which `value` was computed.
    pub updated_at: BlockNumber,
    /// The snapshot point that `snapshot_value` belongs to.
    pub snapshot_index: u32,
    /// The decayed score at snapshot point `snapshot_index`, saved by the first write
    /// after that point. Meaningless when `snapshot_index` is not the current point.
    pub snapshot_value: Score,
}

/// The last snapshot point: its number and the block at which it was taken.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct SnapshotPoint<BlockNumber> {
    /// Increases by one with every snapshot.
    pub index: u32,
    /// The block at which it was taken.
    pub at: BlockNumber,
}

/// How other pallets report behaviour. Implemented by this pallet; `()` ignores reports.
pub trait ReputationHandler<AccountId> {
    /// `who` behaved well as `role`: add `points` (capped at the maximum score).
    fn reward(who: &AccountId, role: Role, points: Score);
    /// `who` behaved badly as `role`: remove `points` (saturating at zero).
    fn penalize(who: &AccountId, role: Role, points: Score);
}

impl<AccountId> ReputationHandler<AccountId> for () {
    fn reward(_: &AccountId, _: Role, _: Score) {}
    fn penalize(_: &AccountId, _: Role, _: Score) {}
}

/// How other pallets read scores. Implemented by this pallet; `()` reads zero everywhere.
pub trait ReputationScores<AccountId> {
    /// The score now, decayed to the current block.
    fn score(who: &AccountId, role: Role) -> Score;
    /// The score at the last snapshot point: what selection uses.
    fn snapshot_score(who: &AccountId, role: Role) -> Score;
    /// Starts a new snapshot point at the current block (called at each era start). O(1).
    fn take_snapshot();
}

impl<AccountId> ReputationScores<AccountId> for () {
    fn score(_: &AccountId, _: Role) -> Score {
        0
    }
    fn snapshot_score(_: &AccountId, _: Role) -> Score {
        0
    }
    fn take_snapshot() {}
}

/// 2^(-1/2^i) for i = 1..=20, as Q64 fixed-point numbers (value × 2^64, rounded down).
/// Multiplying by the entries for the set bits of a 20-bit fraction f gives 2^(-f).
const HALVING_ROOTS_Q64: [u128; 20] = [
    13043817825332782212,
    15511800964685064948,
    16915738899553466670,
    17664662643191237676,
    18051468387014017850,
    18248035989933441396,
    18347121020861646923,
    18396865112328554661,
    18421787711448657617,
    18434261669329232139,
    18440501815349552981,
    18443622680442407997,
    18445183311048607332,
    18445963675871538003,
    18446353870663572145,
    18446548971154807802,
    18446646522174239825,
    18446695297877410579,
    18446719685777359790,
    18446731879739425374,
];

/// `value × 2^(-elapsed / half_life)`, rounded down.
///
/// Whole half-lives are a right shift. The remaining fraction is expanded into 20 binary
/// digits, and each set digit multiplies by the matching root of ½ from a fixed table, so
/// the cost is at most 20 multiplications whatever `elapsed` is. A zero `half_life` (which
/// governance cannot set) means no decay.
pub fn decay(value: Score, elapsed: u64, half_life: u64) -> Score {
    if value == 0 || elapsed == 0 || half_life == 0 {
        return value;
    }
    let halvings = elapsed / half_life;
    if halvings >= 64 {
        return 0;
    }
    let mut acc: u128 = u128::from(value >> halvings);
    let remainder = u128::from(elapsed % half_life);
    // `remainder < half_life`, so the 20-bit fraction is below 2^20 and the product fits.
    let fraction = (remainder << 20) / u128::from(half_life);
    for (bit, root) in HALVING_ROOTS_Q64.iter().enumerate() {
        if fraction & (1u128 << (19 - bit)) != 0 {
            // acc < 2^64 and root < 2^64: the product fits in u128.
            acc = (acc * root) >> 64;
        }
    }
    acc as Score
}

/// The pallet proper: configuration, storage, governance calls, and the
/// [`ReputationHandler`] and [`ReputationScores`] implementations other pallets use.
#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use frame_support::pallet_prelude::*;
    use frame_system::pallet_prelude::*;

    /// The reputation pallet.
    #[pallet::pallet]
    pub struct Pallet<T>(_);

    /// Who governs the decay and the cap, and their values until governance sets them.
    #[pallet::config]
    pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
        /// The origin that may change [`HalfLife`] and [`MaxScore`] (governance; root on
        /// dev chains until voting exists).
        type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// The half-life before governance sets one, in blocks.
        #[pallet::constant]
        type DefaultHalfLife: Get<BlockNumberFor<Self>>;
        /// The score cap before governance sets one.
        #[pallet::constant]
        type DefaultMaxScore: Get<Score>;
        /// Weights of this pallet's calls.
        type WeightInfo: WeightInfo;
    }

    /// How many blocks it takes a score to halve. Never zero.
    #[pallet::storage]
    pub type HalfLife<T: Config> =
        StorageValue<_, BlockNumberFor<T>, ValueQuery, T::DefaultHalfLife>;

    /// The highest score any record can read. Never zero.
    #[pallet::storage]
    pub type MaxScore<T: Config> = StorageValue<_, Score, ValueQuery, T::DefaultMaxScore>;

    /// The current snapshot point (see the module docs). Index 0 at block 0 until the first
    /// snapshot.
    #[pallet::storage]
    pub type CurrentSnapshot<T: Config> =
        StorageValue<_, SnapshotPoint<BlockNumberFor<T>>, ValueQuery>;

    /// Score records: account → role → record. An entry exists once some pallet has
    /// reported on that account in that role, until it is reaped. Only pallets (through
    /// [`ReputationHandler`]) create entries, never a user directly.
    #[pallet::storage]
    pub type Scores<T: Config> = StorageDoubleMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        Twox64Concat,
        Role,
        ScoreRecord<BlockNumberFor<T>>,
        OptionQuery,
    >;

    /// Parameter changes, snapshots and reaps. Score changes emit nothing: they happen
    /// inside other pallets' calls, which emit their own events.
    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// Governance set a new half-life, in blocks.
        HalfLifeSet {
            /// The new [`HalfLife`].
            half_life: BlockNumberFor<T>,
        },
        /// Governance set a new score cap.
        MaxScoreSet {
            /// The new [`MaxScore`].
            max_score: Score,
        },
        /// A new snapshot point was taken at block `at`.
        SnapshotTaken {
            /// The new point's number.
            index: u32,
            /// The block whose scores selection now reads.
            at: BlockNumberFor<T>,
        },
        /// A record that had decayed to zero was removed.
        Reaped {
            /// The account whose record went.
            who: T::AccountId,
            /// The role it was scored in.
            role: Role,
        },
    }

    /// Why a governance call or a reap was refused.
    #[pallet::error]
    pub enum Error<T> {
        /// A half-life of zero blocks would mean no decay at all; use a large value instead.
        ZeroHalfLife,
        /// A cap of zero would erase every score.
        ZeroMaxScore,
        /// There is no record for this account and role.
        NoSuchRecord,
        /// The record still has a non-zero score (now or at the snapshot point).
        ScoreNotZero,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        #[cfg(feature = "try-runtime")]
        fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
            Self::do_try_state()
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Sets the half-life of scores, in blocks. Governance only; must be non-zero.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::set_half_life())]
        pub fn set_half_life(origin: OriginFor<T>, half_life: BlockNumberFor<T>) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            ensure!(half_life != 0u32.into(), Error::<T>::ZeroHalfLife);
            HalfLife::<T>::put(half_life);
            Self::deposit_event(Event::HalfLifeSet { half_life });
            Ok(())
        }

        /// Sets the score cap. Governance only; must be non-zero. Existing records above
        /// the new cap read as the cap from now on.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::set_max_score())]
        pub fn set_max_score(origin: OriginFor<T>, max_score: Score) -> DispatchResult {
            T::GovernanceOrigin::ensure_origin(origin)?;
            ensure!(max_score != 0, Error::<T>::ZeroMaxScore);
            MaxScore::<T>::put(max_score);
            Self::deposit_event(Event::MaxScoreSet { max_score });
            Ok(())
        }

        /// Removes the record of `who` in `role` if its score reads zero both now and at
        /// the current snapshot point. Any signed account may call it: it only removes
        /// what carries no information.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::reap())]
        pub fn reap(origin: OriginFor<T>, who: T::AccountId, role: Role) -> DispatchResult {
            ensure_signed(origin)?;
            let record = Scores::<T>::get(&who, role).ok_or(Error::<T>::NoSuchRecord)?;
            ensure!(
                Self::current_of(&record) == 0 && Self::snapshot_of(&record) == 0,
                Error::<T>::ScoreNotZero
            );
            Scores::<T>::remove(&who, role);
            Self::deposit_event(Event::Reaped { who, role });
            Ok(())
        }
    }

    impl<T: Config> Pallet<T> {
        fn to_u64(n: BlockNumberFor<T>) -> u64 {
            n.unique_saturated_into()
        }

        /// `record.value` decayed from its update block to `at` (no decay backwards).
        fn decayed_to(record: &ScoreRecord<BlockNumberFor<T>>, at: BlockNumberFor<T>) -> Score {
            let elapsed = Self::to_u64(at).saturating_sub(Self::to_u64(record.updated_at));
            decay(record.value, elapsed, Self::to_u64(HalfLife::<T>::get()))
        }

        /// The record's score now, capped.
        pub(crate) fn current_of(record: &ScoreRecord<BlockNumberFor<T>>) -> Score {
            let now = frame_system::Pallet::<T>::block_number();
            Self::decayed_to(record, now).min(MaxScore::<T>::get())
        }

        /// The record's score at the current snapshot point, capped.
        pub(crate) fn snapshot_of(record: &ScoreRecord<BlockNumberFor<T>>) -> Score {
            let point = CurrentSnapshot::<T>::get();
            let value = if record.snapshot_index == point.index {
                record.snapshot_value
            } else {
                Self::decayed_to(record, point.at)
            };
            value.min(MaxScore::<T>::get())
        }

        /// Applies `change` to the decayed score of (`who`, `role`), after saving the
        /// snapshot value if this is the first write since the current snapshot point.
        fn update(who: &T::AccountId, role: Role, change: impl FnOnce(Score) -> Score) {
            let now = frame_system::Pallet::<T>::block_number();
            let point = CurrentSnapshot::<T>::get();
            let max = MaxScore::<T>::get();
            Scores::<T>::mutate(who, role, |maybe| {
                let mut record = maybe.take().unwrap_or(ScoreRecord {
                    value: 0,
                    updated_at: now,
                    snapshot_index: point.index,
                    snapshot_value: 0,
                });
                if record.snapshot_index != point.index {
                    record.snapshot_value = Self::decayed_to(&record, point.at).min(max);
                    record.snapshot_index = point.index;
                }
                let current = Self::decayed_to(&record, now).min(max);
                record.value = change(current).min(max);
                record.updated_at = now;
                *maybe = Some(record);
            });
        }

        /// Checks the pallet's invariants: parameters are non-zero; no record claims a
        /// snapshot point or an update block from the future.
        #[cfg(any(feature = "try-runtime", test))]
        pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
            ensure!(HalfLife::<T>::get() != 0u32.into(), "half-life is zero");
            ensure!(MaxScore::<T>::get() != 0, "max score is zero");
            let now = frame_system::Pallet::<T>::block_number();
            let point = CurrentSnapshot::<T>::get();
            ensure!(point.at <= now, "snapshot point is in the future");
            for (_, _, record) in Scores::<T>::iter() {
                ensure!(record.updated_at <= now, "record updated in the future");
                ensure!(
                    record.snapshot_index <= point.index,
                    "record claims a future snapshot point"
                );
            }
            Ok(())
        }
    }

    impl<T: Config> ReputationHandler<T::AccountId> for Pallet<T> {
        fn reward(who: &T::AccountId, role: Role, points: Score) {
            Self::update(who, role, |score| score.saturating_add(points));
        }

        fn penalize(who: &T::AccountId, role: Role, points: Score) {
            Self::update(who, role, |score| score.saturating_sub(points));
        }
    }

    impl<T: Config> ReputationScores<T::AccountId> for Pallet<T> {
        fn score(who: &T::AccountId, role: Role) -> Score {
            Scores::<T>::get(who, role).map_or(0, |r| Self::current_of(&r))
        }

        fn snapshot_score(who: &T::AccountId, role: Role) -> Score {
            Scores::<T>::get(who, role).map_or(0, |r| Self::snapshot_of(&r))
        }

        fn take_snapshot() {
            let at = frame_system::Pallet::<T>::block_number();
            let index = CurrentSnapshot::<T>::get().index.saturating_add(1);
            CurrentSnapshot::<T>::put(SnapshotPoint { index, at });
            Self::deposit_event(Event::SnapshotTaken { index, at });
        }
    }
}
