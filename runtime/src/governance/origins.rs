//! The custom origins of the governance tracks (pallet index 16, `Origins`), and the periods
//! of the tracks, which are genesis configuration rather than constants.
//!
//! A referendum on a track other than `root` dispatches its call with that track's origin:
//! `Origins::Parameters` for the `parameters` track, and so on. Each pallet names, in its
//! `Config`, which of these origins (or Root) may call its governance calls: see
//! [`super`] for the wiring. The origins exist only as the result of a referendum; no
//! signed account can take one.
//!
//! The periods (prepare, decide, confirm, enact, and the conviction lock period) are in
//! [`pallet::Periods`], written once by the genesis config: days on a production chain,
//! minutes on the `development` and `local_testnet` presets, so that a referendum completes
//! within a test (see [`super::tracks`]).

pub use pallet::*;

#[frame_support::pallet]
pub mod pallet {
    use crate::BlockNumber;
    use frame_support::pallet_prelude::*;

    /// The periods of one track, in blocks (2 s each).
    #[derive(
        Clone,
        Copy,
        PartialEq,
        Eq,
        Encode,
        Decode,
        DecodeWithMemTracking,
        MaxEncodedLen,
        TypeInfo,
        Debug,
        frame_support::Serialize,
        frame_support::Deserialize,
    )]
    #[serde(
        crate = "frame_support::__private::serde",
        rename_all = "camelCase",
        deny_unknown_fields
    )]
    pub struct TrackPeriods {
        /// How long a referendum waits after submission before it may be decided: time for
        /// voters to look at it before it can pass.
        pub prepare: BlockNumber,
        /// How long a referendum may be decided before it is rejected; the approval and
        /// support curves fall over this period.
        pub decision: BlockNumber,
        /// How long a referendum must keep passing before it is approved.
        pub confirm: BlockNumber,
        /// The least time between approval and enactment.
        pub min_enactment: BlockNumber,
    }

    /// The periods of every track and of the voting locks.
    #[derive(
        Clone,
        Copy,
        PartialEq,
        Eq,
        Encode,
        Decode,
        DecodeWithMemTracking,
        MaxEncodedLen,
        TypeInfo,
        Debug,
        frame_support::Serialize,
        frame_support::Deserialize,
    )]
    #[serde(
        crate = "frame_support::__private::serde",
        rename_all = "camelCase",
        deny_unknown_fields
    )]
    pub struct GovernancePeriods {
        /// Track 0, `root`.
        pub root: TrackPeriods,
        /// Track 1, `parameters`.
        pub parameters: TrackPeriods,
        /// Track 2, `treasurer`.
        pub treasurer: TrackPeriods,
        /// Track 3, `rollup_admin`.
        pub rollup_admin: TrackPeriods,
        /// A referendum with no decision deposit is timed out after this long.
        pub undeciding_timeout: BlockNumber,
        /// pallet-conviction-voting's lock period: a vote with conviction `Nx` stays
        /// locked `N` (1x) to 32 (6x) of these after the referendum ends.
        pub vote_locking: BlockNumber,
    }

    impl Default for GovernancePeriods {
        /// The production periods (days): see [`crate::governance::tracks`].
        fn default() -> Self {
            crate::governance::tracks::production_periods()
        }
    }

    /// This pallet is runtime-local: it has no configuration of its own.
    #[pallet::config]
    pub trait Config: frame_system::Config {}

    /// The custom origins, and the storage of the tracks' periods.
    #[pallet::pallet]
    pub struct Pallet<T>(_);

    /// The origins of the governance tracks other than `root`. Only pallet-referenda's
    /// enactment of an approved referendum dispatches with one of them.
    #[derive(
        PartialEq, Eq, Clone, MaxEncodedLen, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug,
    )]
    #[pallet::origin]
    pub enum Origin {
        /// The `parameters` track: economic and witness parameters of our pallets
        /// (pallet-witness and pallet-reputation `set_params`, and the pallets to come).
        Parameters,
        /// The `treasurer` track: treasury spends, up to
        /// [`crate::governance::MAX_TREASURER_SPEND`].
        Treasurer,
        /// The `rollup_admin` track: pallet-bridge's admin calls (verifying key, batch
        /// size, operators).
        RollupAdmin,
    }

    /// The periods of the four tracks and of the conviction locks. Written by the genesis
    /// config only: a change on a live chain would also move the deadlines of referenda
    /// already running, so it is a node release with a migration, not a call.
    #[pallet::storage]
    pub type Periods<T> = StorageValue<_, GovernancePeriods, ValueQuery>;

    /// Genesis: the periods of the tracks, production's (days) unless set.
    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// The periods; `None` keeps the production periods.
        pub periods: Option<GovernancePeriods>,
        #[serde(skip)]
        #[doc(hidden)]
        pub _config: core::marker::PhantomData<T>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            Periods::<T>::put(self.periods.unwrap_or_default());
        }
    }

    /// Declares an `EnsureOrigin` that accepts exactly one custom origin.
    macro_rules! decl_unit_ensures {
        ( $name:ident: $success_type:ty = $success:expr, $doc:literal ) => {
            #[doc = $doc]
            pub struct $name;
            impl<O: OriginTrait + From<Origin>> EnsureOrigin<O> for $name
            where
                for<'a> &'a O::PalletsOrigin: TryInto<&'a Origin>,
            {
                type Success = $success_type;
                fn try_origin(o: O) -> Result<Self::Success, O> {
                    match o.caller().try_into() {
                        Ok(Origin::$name) => return Ok($success),
                        _ => (),
                    }
                    Err(o)
                }
                #[cfg(feature = "runtime-benchmarks")]
                fn try_successful_origin() -> Result<O, ()> {
                    Ok(O::from(Origin::$name))
                }
            }
        };
    }

    /// Origin names stay the variants' names, so `decl_unit_ensures!` needs these aliases
    /// for the `…Origin` names the runtime's configs use.
    mod ensures {
        use super::*;
        decl_unit_ensures!(
            Parameters: () = (),
            "Accepts the `parameters` track's origin."
        );
        decl_unit_ensures!(
            RollupAdmin: () = (),
            "Accepts the `rollup_admin` track's origin."
        );
        decl_unit_ensures!(
            Treasurer: crate::Balance = crate::governance::MAX_TREASURER_SPEND,
            "Accepts the `treasurer` track's origin; succeeds with the most it may spend."
        );
    }

    /// Accepts the `parameters` track's origin.
    pub type ParametersOrigin = ensures::Parameters;
    /// Accepts the `rollup_admin` track's origin.
    pub type RollupAdminOrigin = ensures::RollupAdmin;
    /// Accepts the `treasurer` track's origin; succeeds with the most one spend may pay
    /// ([`crate::governance::MAX_TREASURER_SPEND`]).
    pub type TreasurerOrigin = ensures::Treasurer;
}
