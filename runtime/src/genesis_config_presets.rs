//! Genesis presets: `development` (one validator, Alice) and `local_testnet` (Alice, Bob,
//! Charlie and Dave). `echonet-node build-spec` turns them into chain specs.

use super::*;
use alloc::{vec, vec::Vec};
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// Each endowed dev account starts with 10 million ECHO.
pub const ENDOWMENT: Balance = 10_000_000 * UNITS;

/// A validator at genesis: its account and its session keys.
pub struct GenesisValidator {
    pub account: AccountId,
    pub aura: AuraId,
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

/// Builds a genesis config patch. `endowed` accounts get [`ENDOWMENT`] each; `sudo`, if
/// set, holds the sudo key.
pub fn genesis(
    validators: &[GenesisValidator],
    endowed: &[AccountId],
    sudo: Option<AccountId>,
) -> Value {
    let balances: Vec<(AccountId, Balance)> =
        endowed.iter().cloned().map(|a| (a, ENDOWMENT)).collect();
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
    serde_json::json!({
        "balances": { "balances": balances },
        "session": { "keys": keys },
        "sudo": { "key": sudo },
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
        Some(Sr25519Keyring::Alice.to_account_id()),
    )
}

/// Returns the JSON patch of a named preset.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
    let patch = match id.as_ref() {
        sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
        sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
        _ => return None,
    };
    serde_json::to_vec(&patch).ok()
}

/// The names of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
    vec![
        PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
        PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
    ]
}
