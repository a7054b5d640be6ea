//! The referendum tracks: `0 root`, `1 parameters`, `2 treasurer`, `3 rollup_admin`.
//!
//! The curves and deposits are constants; the periods come from storage
//! ([`super::origins::Periods`], set by the genesis config), so that one runtime serves a
//! production chain (days) and the dev and local chains (seconds to minutes), where a
//! referendum must complete within a test.
//!
//! ## Curves
//!
//! A referendum passes while its *approval* (conviction-weighted ayes over ayes + nays) and
//! its *support* (ayes' capital, without conviction, over the active issuance) are both
//! above their track's curves, which fall over the decision period. Ours are Polkadot's
//! OpenGov curves, as fractions of the decision period:
//!
//! - `root`: approval from 100% falling to 50% (80% a seventh of the way in), support
//!   falling linearly from 50% to 0: a runtime-wide change needs either half the issuance
//!   early or a majority that lasts the whole period;
//! - `parameters`: approval falls linearly from 100% to 50% over 17/28 of the period;
//!   support falls quickly from 50% to 1% at 12/28 (a reciprocal curve): parameter
//!   changes are routine and must not need half the issuance to turn out, but a quick
//!   pass needs wide support;
//! - `treasurer` and `rollup_admin`: root's approval, support falling linearly from 50%
//!   to 0: spending and the rollup's verifying key and operators move real funds, so a
//!   low-turnout pass has to wait out most of the period.
//!
//! ## Periods
//!
//! Production ([`production_periods`]): prepare 2 hours on every track; decision 28 days
//! (root) or 14 days; confirm 1 day (root, treasurer, rollup_admin) or 3 hours
//! (parameters); enactment at least 1 day after approval; a referendum with no decision
//! deposit times out after 14 days; a vote's conviction lock is 7 days per conviction step
//! (the unbonding period).
//!
//! Development and local testnet ([`test_periods`]): prepare 10 blocks (20 s), confirm 10
//! blocks, enactment 5 blocks (10 s); decision 1 minute (root 10 minutes: nothing tests it live), so that a
//! referendum voted down is rejected a minute after it starts deciding; undecided
//! referenda time out after 10 minutes; conviction locks of 1 minute per step. A
//! `parameters` referendum whose decision deposit is placed at submission and whose ayes
//! hold about a third of the issuance (five dev accounts voting 9 million ECHO each) is
//! deciding after 20 s, confirming a block or two later, approved 20 s after that and
//! enacted 10 s later: about a minute from submission to enactment.

use super::origins::{GovernancePeriods, Origin, Periods, TrackPeriods};
use crate::{Balance, BlockNumber, OriginCaller, Runtime, DAYS, HOURS, MINUTES, UNITS};
use alloc::borrow::Cow;
use pallet_referenda::{Curve, Track, TrackInfo};
use sp_runtime::{traits::Get, FixedI64};

/// Track ids as polkadot-js Apps shows them.
pub mod ids {
    /// `root`: calls that need Root.
    pub const ROOT: u16 = 0;
    /// `parameters`: the `Parameters` origin.
    pub const PARAMETERS: u16 = 1;
    /// `treasurer`: the `Treasurer` origin.
    pub const TREASURER: u16 = 2;
    /// `rollup_admin`: the `RollupAdmin` origin.
    pub const ROLLUP_ADMIN: u16 = 3;
}

const fn percent(x: i32) -> FixedI64 {
    FixedI64::from_rational(x as u128, 100)
}

const APP_ROOT: Curve = Curve::make_reciprocal(4, 28, percent(80), percent(50), percent(100));
const SUP_ROOT: Curve = Curve::make_linear(28, 28, percent(0), percent(50));
const APP_PARAMETERS: Curve = Curve::make_linear(17, 28, percent(50), percent(100));
const SUP_PARAMETERS: Curve = Curve::make_reciprocal(12, 28, percent(1), percent(0), percent(50));
const APP_TREASURER: Curve = APP_ROOT;
const SUP_TREASURER: Curve = SUP_ROOT;
const APP_ROLLUP_ADMIN: Curve = APP_ROOT;
const SUP_ROLLUP_ADMIN: Curve = SUP_ROOT;

/// The production periods: days, as Polkadot's OpenGov (see the module docs). The
/// default of [`GovernancePeriods`], and what a chain without an `origins` genesis entry
/// gets.
pub const fn production_periods() -> GovernancePeriods {
    GovernancePeriods {
        root: TrackPeriods {
            prepare: 2 * HOURS,
            decision: 28 * DAYS,
            confirm: DAYS,
            min_enactment: DAYS,
        },
        parameters: TrackPeriods {
            prepare: 2 * HOURS,
            decision: 14 * DAYS,
            confirm: 3 * HOURS,
            min_enactment: DAYS,
        },
        treasurer: TrackPeriods {
            prepare: 2 * HOURS,
            decision: 14 * DAYS,
            confirm: DAYS,
            min_enactment: DAYS,
        },
        rollup_admin: TrackPeriods {
            prepare: 2 * HOURS,
            decision: 14 * DAYS,
            confirm: DAYS,
            min_enactment: DAYS,
        },
        undeciding_timeout: 14 * DAYS,
        vote_locking: 7 * DAYS,
    }
}

/// The periods of the `development` and `local_testnet` presets: seconds to minutes, so
/// that a referendum completes within a test (see the module docs).
pub const fn test_periods() -> GovernancePeriods {
    const FAST: TrackPeriods = TrackPeriods {
        prepare: 10,
        decision: MINUTES,
        confirm: 10,
        min_enactment: 5,
    };
    GovernancePeriods {
        root: TrackPeriods {
            decision: 10 * MINUTES,
            ..FAST
        },
        parameters: FAST,
        treasurer: FAST,
        rollup_admin: FAST,
        undeciding_timeout: 10 * MINUTES,
        vote_locking: MINUTES,
    }
}

/// pallet-referenda's default (and metadata's) length of a track name.
const NAME_LEN: usize = 25;

/// A track name as pallet-referenda stores it: the bytes, zero-padded.
const fn name(s: &str) -> [u8; NAME_LEN] {
    let bytes = s.as_bytes();
    let mut out = [0u8; NAME_LEN];
    let mut i = 0;
    while i < bytes.len() {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

fn track(
    id: u16,
    track_name: &str,
    max_deciding: u32,
    decision_deposit: Balance,
    periods: TrackPeriods,
    min_approval: Curve,
    min_support: Curve,
) -> Track<u16, Balance, BlockNumber> {
    Track {
        id,
        info: TrackInfo {
            name: name(track_name),
            max_deciding,
            decision_deposit,
            prepare_period: periods.prepare,
            decision_period: periods.decision,
            confirm_period: periods.confirm,
            min_enactment_period: periods.min_enactment,
            min_approval,
            min_support,
        },
    }
}

/// The four tracks, with the periods of [`Periods`]. Decision deposits (what a referendum
/// must lock before it is decided, refunded when it ends unless it is killed) rise with
/// what the track can do: root 100,000 ECHO (a genesis validator's bond); parameters and
/// rollup_admin 10,000 ECHO (a validator's minimum bond, and an operator's bond);
/// treasurer 1,000 ECHO. At most one root referendum is decided at a time (runtime-wide
/// changes should not interleave), ten on the others (rollup_admin five).
pub fn tracks(periods: &GovernancePeriods) -> [Track<u16, Balance, BlockNumber>; 4] {
    [
        track(
            ids::ROOT,
            "root",
            1,
            100_000 * UNITS,
            periods.root,
            APP_ROOT,
            SUP_ROOT,
        ),
        track(
            ids::PARAMETERS,
            "parameters",
            10,
            10_000 * UNITS,
            periods.parameters,
            APP_PARAMETERS,
            SUP_PARAMETERS,
        ),
        track(
            ids::TREASURER,
            "treasurer",
            10,
            1_000 * UNITS,
            periods.treasurer,
            APP_TREASURER,
            SUP_TREASURER,
        ),
        track(
            ids::ROLLUP_ADMIN,
            "rollup_admin",
            5,
            10_000 * UNITS,
            periods.rollup_admin,
            APP_ROLLUP_ADMIN,
            SUP_ROLLUP_ADMIN,
        ),
    ]
}

/// pallet-referenda's view of the tracks.
pub struct TracksInfo;
impl pallet_referenda::TracksInfo<Balance, BlockNumber> for TracksInfo {
    type Id = u16;
    type RuntimeOrigin = OriginCaller;

    fn tracks() -> impl Iterator<Item = Cow<'static, Track<Self::Id, Balance, BlockNumber>>> {
        tracks(&Periods::<Runtime>::get())
            .into_iter()
            .map(Cow::Owned)
    }

    fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
        match origin {
            OriginCaller::system(frame_system::RawOrigin::Root) => Ok(ids::ROOT),
            OriginCaller::Origins(Origin::Parameters) => Ok(ids::PARAMETERS),
            OriginCaller::Origins(Origin::Treasurer) => Ok(ids::TREASURER),
            OriginCaller::Origins(Origin::RollupAdmin) => Ok(ids::ROLLUP_ADMIN),
            _ => Err(()),
        }
    }
}

/// How long an undecided referendum (no decision deposit) may wait: from [`Periods`].
pub struct UndecidingTimeout;
impl Get<BlockNumber> for UndecidingTimeout {
    fn get() -> BlockNumber {
        Periods::<Runtime>::get().undeciding_timeout
    }
}

/// pallet-conviction-voting's lock period: from [`Periods`].
pub struct VoteLockingPeriod;
impl Get<BlockNumber> for VoteLockingPeriod {
    fn get() -> BlockNumber {
        Periods::<Runtime>::get().vote_locking
    }
}
