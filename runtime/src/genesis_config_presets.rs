//! Genesis presets: `development` (one validator, Alice, who is also sudo),
//! `local_testnet` (Alice, Bob, Charlie and Dave; no sudo) and `production` (a template:
//! no validators, no endowments, no sudo). `echonet-node build-spec` turns them into chain
//! specs.
//!
//! Governance periods: `development` and `local_testnet` run referenda in seconds to
//! minutes ([`crate::governance::tracks::test_periods`]), `production` in days
//! ([`crate::governance::tracks::production_periods`]).

use super::*;
use alloc::{vec, vec::Vec};
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// Each endowed dev account starts with 10 million ECHO. Eve, endowed and not a
/// validator, is the "fifth account" that the end-to-end tests bond and make validate.
pub const ENDOWMENT: Balance = 10_000_000 * UNITS;
/// Each genesis validator bonds 100,000 ECHO, validates and witnesses every event class.
pub const VALIDATOR_BOND: Balance = 100_000 * UNITS;

/// pallet-witness's parameters at genesis, for a committee of `committee_size` with a
/// quorum of `quorum`. The reasons for each value:
/// - 10 validators: room for every dev validator plus newcomers on a local testnet;
/// - minimum bonds of 10,000 (validator), 100 (nominator) and 1,000 ECHO (witness): a
///   validator risks real money, nominating is open to small holders, and a witness
///   seat costs enough that buying many seats is expensive (none may be zero; once a
///   set is full, a larger bond evicts the smallest member, so these are entry prices
///   only while there is room);
/// - 28 eras (7 days of 6-hour eras) to unbond, counted from the elected next era;
///   slashes deferred 26 eras from the offence's era: governance has six and a half days
///   to cancel a wrong slash, and the two eras of slack (`check_params` requires
///   deferral + 2 ≤ unbonding) let a report that lands in the era after the offence, and
///   a slash spilled past a full era, still apply before the exposed funds unlock;
/// - 10% of the exposure per equivocation (Aura or GRANDPA): painful, not ruinous for
///   an honest operator's misconfiguration;
/// - 5% yearly inflation, minted per era for the era's measured length;
/// - 20 points per block (as Polkadot) and 1 per agreeing attestation;
/// - events wait 10 minutes for their quorum (at most one 30-minute randomness epoch, so
///   that they close while their committee exists), cost 10 milliECHO while their class
///   is empty (doubling with each eighth of the class's share filled, up to 1.28 ECHO),
///   and `Valid` receipts are kept 7 days (long enough for ads, PoE and DDS to settle on
///   them, and never shorter than an event's 10 minutes); `Invalid` receipts, which
///   nobody pays on, go when their event closes, so junk that the committee rejects
///   holds its class's receipt share for 10 minutes, not 7 days;
/// - reputation: a base of 100 points so newcomers get drawn, +1 per agreeing vote,
///   -5 per dissent or absence (absence must not pay);
/// - reputation counts in sortition weight up to 100 (the base): the most reputable
///   witness weighs at most ×2 a newcomer of equal stake, so a quorum that votes its own
///   events through gains at most ×2 seats per stake, while a record still matters;
/// - a witness gains at most 10 reputation (10 agreeing votes) and 100 attestation points
///   an epoch (half an hour): reputation reflects steady agreement over hours rather than
///   volume, and 100 points is above what a member of a 3-member committee earns on a
///   local chain's traffic, so the cap bites only on spam;
/// - the witness pool is 20% of every era's payout (validators and nominators keep 80%,
///   whatever witnesses do): witnesses are paid for their work, and voting through any
///   number of events moves at most that share away from stakers;
/// - events cost at least what their points were worth last era plus 50%: spam costs
///   more than it earns, and 20% × 150% = 30% < 100% keeps that floor from feeding itself.
pub fn witness_params(committee_size: u32, quorum: u32) -> pallet_witness::ParamsOf<Runtime> {
    pallet_witness::Params {
        validator_count: 10,
        minimum_validator_count: 1,
        min_validator_bond: 10_000 * UNITS,
        min_nominator_bond: 100 * UNITS,
        min_witness_stake: 1_000 * UNITS,
        unbonding_eras: 28,
        slash_defer_eras: 26,
        aura_slash: sp_runtime::Perbill::from_percent(10),
        grandpa_slash: sp_runtime::Perbill::from_percent(10),
        annual_inflation: sp_runtime::Perbill::from_percent(5),
        points_per_block: 20,
        points_per_attestation: 1,
        committee_size,
        quorum,
        event_fee: 10 * MILLI_UNITS,
        event_ttl: 10 * MINUTES,
        receipt_retention: 7 * DAYS,
        reputation_base: 100,
        reputation_reward: 1,
        reputation_penalty: 5,
        reputation_weight_cap: 100,
        max_reputation_gain_per_epoch: 10,
        max_points_gain_per_epoch: 100,
        witness_reward_share: sp_runtime::Perbill::from_percent(20),
        event_fee_margin: sp_runtime::Perbill::from_percent(50),
    }
}

/// A validator at genesis: its account and its session keys.
pub struct GenesisValidator {
    /// The account that bonds [`VALIDATOR_BOND`] at genesis, validates from era 0 and
    /// witnesses every event class.
    pub account: AccountId,
    /// Its Aura (block authoring) session key.
    pub aura: AuraId,
    /// Its GRANDPA (finality) session key.
    pub grandpa: GrandpaId,
}

/// The keys of a well-known dev validator (`//Alice`, `//Bob`, ...).
pub fn dev_validator(sr: Sr25519Keyring, ed: Ed25519Keyring) -> GenesisValidator {
    GenesisValidator {
        account: sr.to_account_id(),
        aura: sr.public().into(),
        grandpa: ed.public().into(),
    }
}

/// pallet-bridge's parameters at genesis (every preset; dev tests shorten the timeouts with
/// sudo):
///
/// - a deposit may wait a day before anyone can freeze the rollup, and a week without any
///   batch freezes it too: long enough that an operator's outage of hours does not end the
///   rollup, short enough that users are never locked in for long (zkSync Lite's priority
///   queue gave its operator days, not weeks);
/// - the smallest deposit is 1 ECHO: the queue has 1,024 entries, so filling it costs 1,024
///   ECHO locked (and refunded only in exodus) — spam is not free;
/// - an operator bonds 10,000 ECHO, like a validator's minimum: what governance can burn
///   when an operator misbehaves (see pallet-bridge's docs).
///
/// No verifying key or operator is set at genesis: the admin origin registers a key with the
/// hash `echonet-prover setup` printed, then the batch size and the operators.
pub fn bridge_params() -> pallet_bridge::Params {
    pallet_bridge::Params {
        deposit_timeout_ms: 24 * 60 * 60 * 1_000,
        batch_timeout_ms: 7 * 24 * 60 * 60 * 1_000,
        min_deposit: UNITS,
        operator_bond: 10_000 * UNITS,
    }
}

/// Builds a genesis config patch with the dev chains' governance periods (minutes; see
/// [`genesis_with_periods`]).
pub fn genesis(
    validators: &[GenesisValidator],
    endowed: &[AccountId],
    sudo: Option<AccountId>,
    witness_params: pallet_witness::ParamsOf<Runtime>,
) -> Value {
    let mut patch = genesis_with_periods(
        validators,
        endowed,
        sudo,
        witness_params,
        crate::governance::tracks::test_periods(),
    );
    patch["payouts"] = serde_json::json!(pallet_payouts::GenesisConfig::<Runtime> {
        params: dev_payouts_params(),
    });
    patch["poe"] = serde_json::json!(pallet_poe::GenesisConfig::<Runtime> {
        params: dev_poe_params(),
    });
    patch["domains"] = serde_json::json!(pallet_domains::GenesisConfig::<Runtime> {
        params: dev_domains_params(),
        domains: Vec::new(),
    });
    patch["dds"] = serde_json::json!(pallet_dds::GenesisConfig::<Runtime> {
        params: crate::dds::dev_params(),
    });
    patch
}

/// pallet-domains' parameters on the dev chains: reward epochs of 30 blocks (a minute);
/// the windows are the pallet's (a quorum drawn 2 blocks after submission, 10 blocks to
/// commit and 10 to reveal). The `production` preset keeps the pallet's defaults.
pub fn dev_domains_params() -> pallet_domains::ParamsOf<Runtime> {
    pallet_domains::Params {
        epoch_length: 30,
        ..Default::default()
    }
}

/// pallet-poe's parameters on the dev chains: periods of 10 blocks (20 s), and no
/// reputation floor (the dev accounts start with none). The `production` preset keeps the
/// pallet's defaults (8-hour periods, a floor of 1).
pub fn dev_poe_params() -> pallet_poe::ParamsOf<Runtime> {
    pallet_poe::Params {
        period_length: 10,
        reputation_floor: 0,
        ..Default::default()
    }
}

/// pallet-payouts' parameters on the dev chains: payout batches every minute (30 blocks)
/// and plans as short as 5 blocks (10 s), so that a subscription is charged three times
/// in half a minute. The `production` preset keeps the pallet's defaults (a day each).
pub fn dev_payouts_params() -> pallet_payouts::ParamsOf<Runtime> {
    pallet_payouts::Params {
        payout_period: 30,
        min_plan_period: 5,
        ..Default::default()
    }
}

/// Builds a genesis config patch. `endowed` accounts get [`ENDOWMENT`] each; `sudo`, if
/// set, holds the sudo key; `periods` are the referendum tracks' periods.
pub fn genesis_with_periods(
    validators: &[GenesisValidator],
    endowed: &[AccountId],
    sudo: Option<AccountId>,
    witness_params: pallet_witness::ParamsOf<Runtime>,
    periods: crate::governance::origins::GovernancePeriods,
) -> Value {
    let mut balances: Vec<(AccountId, Balance)> =
        endowed.iter().cloned().map(|a| (a, ENDOWMENT)).collect();
    // pallet-witness's reward pot exists from genesis, at the existential deposit: fee
    // shares are smaller than that, and an account that does not exist cannot take them
    // (they would be burned until something else created the pot). pallet-treasury's
    // genesis does the same for the treasury.
    balances.push((
        pallet_witness::Pallet::<Runtime>::pot_account(),
        EXISTENTIAL_DEPOSIT,
    ));
    let keys: Vec<(AccountId, AccountId, SessionKeys)> = validators
        .iter()
        .map(|v| {
            (
                v.account.clone(),
                v.account.clone(),
                SessionKeys {
                    aura: v.aura.clone(),
                    grandpa: v.grandpa.clone(),
                },
            )
        })
        .collect();
    // Every genesis validator bonds, validates (era 0) and witnesses every event class.
    let witness = pallet_witness::GenesisConfig::<Runtime> {
        params: Some(witness_params),
        stakers: validators
            .iter()
            .map(|v| (v.account.clone(), VALIDATOR_BOND, true))
            .collect(),
        witnesses: validators
            .iter()
            .map(|v| (v.account.clone(), pallet_witness::EventClass::ALL.to_vec()))
            .collect(),
    };
    serde_json::json!({
        "balances": { "balances": balances },
        "session": { "keys": keys },
        "sudo": { "key": sudo },
        "witness": witness,
        "bridge": pallet_bridge::GenesisConfig::<Runtime> {
            params: Some(bridge_params()),
            ..Default::default()
        },
        "origins": { "periods": periods },
    })
}

fn dev_accounts() -> Vec<AccountId> {
    Sr25519Keyring::iter().map(|k| k.to_account_id()).collect()
}

fn development_config_genesis() -> Value {
    genesis(
        &[dev_validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
        &dev_accounts(),
        Some(Sr25519Keyring::Alice.to_account_id()),
        // One witness: a committee of one that decides alone.
        witness_params(1, 1),
    )
}

fn local_testnet_genesis() -> Value {
    genesis(
        &[
            dev_validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
            dev_validator(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
            dev_validator(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
            dev_validator(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
        ],
        &dev_accounts(),
        // No sudo: governance calls go through referenda, as on a production chain.
        None,
        // Four witnesses: committees of three, two of which decide.
        witness_params(3, 2),
    )
}

/// The `production` preset: a template, not a launchable chain. It has no sudo key, the
/// production governance periods (days) and the witness parameters of a real committee
/// (7 members, 5 to decide), but no validators and no endowments: an operator adds them
/// (`balances.balances`, `session.keys`, `witness.stakers` and `witness.witnesses`, as
/// the `local_testnet` preset shows) to the spec that `echonet-node build-spec --chain
/// production` prints, before building the raw spec.
fn production_genesis() -> Value {
    genesis_with_periods(
        &[],
        &[],
        None,
        witness_params(7, 5),
        crate::governance::tracks::production_periods(),
    )
}

/// The name of the production template preset.
pub const PRODUCTION_RUNTIME_PRESET: &str = "production";

/// Returns the JSON patch of a named preset.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
    let patch = match id.as_ref() {
        sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
        sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
        PRODUCTION_RUNTIME_PRESET => production_genesis(),
        _ => return None,
    };
    serde_json::to_vec(&patch).ok()
}

/// The names of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
    vec![
        PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
        PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
        PresetId::from(PRODUCTION_RUNTIME_PRESET),
    ]
}
