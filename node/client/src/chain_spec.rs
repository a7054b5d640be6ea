//! Chain specifications in Substrate's JSON layout.
//!
//! A spec is either *plain* (`genesis.runtimeGenesis.patch`: a JSON patch over the
//! runtime's default genesis config) or *raw* (`genesis.raw.top`: the genesis storage as
//! hex key/value pairs). Only the raw form pins the genesis hash independently of the
//! node's runtime code, which is why shared networks distribute raw specs.
//!
//! There is no `code` entry: EchoNet's runtime is linked into the node (see
//! ARCHITECTURE.md), so the genesis state carries no wasm blob.

use crate::{
    error::{Error, Result},
    executor,
    state::StateProvider,
};
use codec::{Decode, Encode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sp_core::{
    storage::{well_known_keys, ChildInfo},
    H256,
};
use sp_runtime::{
    traits::{BlakeTwo256, Hash as HashT, Header as HeaderT},
    StateVersion,
};
use sp_state_machine::{OverlayedChanges, StorageChanges};
use std::collections::BTreeMap;

/// The kind of chain, as `system_chainType` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChainType {
    /// A single-node chain for development: the node expects no peers (`system_health`
    /// reports `shouldHavePeers: false`) and finds local ones by mDNS.
    Development,
    /// A testnet on one machine or LAN: peers are expected, and found by mDNS too.
    Local,
    /// A public network: peers are expected, and mDNS is off.
    Live,
    /// Any other kind, named by the spec; treated like [`ChainType::Live`].
    Custom(String),
}

/// Raw genesis storage, hex-encoded.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawGenesis {
    /// Main-trie storage: `0x`-prefixed hex key to `0x`-prefixed hex value.
    pub top: BTreeMap<String, String>,
    /// Default child tries: hex child storage key (without the `:child_storage:default:`
    /// prefix) to that trie's hex key/value pairs. Usually empty.
    #[serde(default)]
    pub children_default: BTreeMap<String, BTreeMap<String, String>>,
}

/// The runtime's genesis config, as a patch over its defaults or in full.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RuntimeGenesis {
    /// A JSON patch merged into the runtime's default genesis config with [`json_merge`]
    /// (the built-in chains are presets in this form).
    Patch(Value),
    /// A complete genesis config, used as it is.
    Config(Value),
}

/// The `genesis` field.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Genesis {
    /// The genesis storage itself: its hash does not depend on the node's runtime code.
    Raw(RawGenesis),
    /// A genesis config that the runtime's genesis builder turns into storage when the
    /// chain is opened.
    RuntimeGenesis(RuntimeGenesis),
}

/// A chain specification.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainSpec {
    /// Human-readable name, logged at start-up and returned by `system_chain`.
    pub name: String,
    /// Short machine name: the directory under `<base-path>/chains/` that holds this chain's
    /// database and keystore, and a label of the node's metrics.
    pub id: String,
    /// What kind of network this is; decides whether peers are expected and mDNS is on.
    pub chain_type: ChainType,
    /// Multiaddrs of nodes to dial at start-up, added to those of `--bootnodes`.
    #[serde(default)]
    pub boot_nodes: Vec<String>,
    /// Kept for Substrate's JSON layout; the node has no telemetry and ignores it.
    #[serde(default)]
    pub telemetry_endpoints: Option<Value>,
    /// Kept for Substrate's JSON layout; the node ignores it, as its protocol names are
    /// derived from the genesis hash.
    #[serde(default)]
    pub protocol_id: Option<String>,
    /// Kept for Substrate's JSON layout; the node ignores it (see `protocol_id`).
    #[serde(default)]
    pub fork_id: Option<String>,
    /// Token metadata for wallets (`ss58Format`, `tokenDecimals`, `tokenSymbol`), returned
    /// by `system_properties`; see [`default_properties`].
    #[serde(default)]
    pub properties: serde_json::Map<String, Value>,
    /// Kept for Substrate's JSON layout; the node ignores it, as its runtime is native and
    /// has no code to substitute.
    #[serde(default)]
    pub code_substitutes: BTreeMap<String, String>,
    /// The genesis state, raw or as a runtime genesis config.
    pub genesis: Genesis,
}

/// Token properties every EchoNet spec carries.
pub fn default_properties() -> serde_json::Map<String, Value> {
    let mut p = serde_json::Map::new();
    p.insert("ss58Format".into(), echonet_runtime::SS58_PREFIX.into());
    p.insert(
        "tokenDecimals".into(),
        echonet_runtime::TOKEN_DECIMALS.into(),
    );
    p.insert("tokenSymbol".into(), echonet_runtime::TOKEN_SYMBOL.into());
    p
}

fn preset_patch(preset: &str) -> Result<Value> {
    let raw = echonet_runtime::genesis_config_presets::get_preset(&preset.into())
        .ok_or_else(|| Error::ChainSpec(format!("the runtime has no genesis preset {preset}")))?;
    serde_json::from_slice(&raw)
        .map_err(|e| Error::ChainSpec(format!("preset {preset} is not JSON: {e}")))
}

impl ChainSpec {
    /// The single-validator development chain (`--dev`, `--chain dev`).
    pub fn development() -> Result<Self> {
        Ok(Self {
            name: "Development".into(),
            id: "dev".into(),
            chain_type: ChainType::Development,
            boot_nodes: vec![],
            telemetry_endpoints: None,
            protocol_id: Some("echo".into()),
            fork_id: None,
            properties: default_properties(),
            code_substitutes: BTreeMap::new(),
            genesis: Genesis::RuntimeGenesis(RuntimeGenesis::Patch(preset_patch(
                sp_genesis_builder::DEV_RUNTIME_PRESET,
            )?)),
        })
    }

    /// The four-validator local testnet (`--chain local`).
    pub fn local_testnet() -> Result<Self> {
        Ok(Self {
            name: "Local Testnet".into(),
            id: "local_testnet".into(),
            chain_type: ChainType::Local,
            boot_nodes: vec![],
            telemetry_endpoints: None,
            protocol_id: Some("echo".into()),
            fork_id: None,
            properties: default_properties(),
            code_substitutes: BTreeMap::new(),
            genesis: Genesis::RuntimeGenesis(RuntimeGenesis::Patch(preset_patch(
                sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
            )?)),
        })
    }

    /// Resolves `--chain`: `dev`, `local` or a path to a JSON file.
    pub fn load(chain: &str) -> Result<Self> {
        match chain {
            "dev" | "development" => Self::development(),
            "local" | "local_testnet" => Self::local_testnet(),
            path => {
                let raw = std::fs::read(path).map_err(|e| {
                    Error::ChainSpec(format!(
                        "--chain {path}: not a built-in chain (dev, local) and not a readable \
                         file: {e}"
                    ))
                })?;
                Self::from_json_bytes(&raw).map_err(|e| Error::ChainSpec(format!("{path}: {e}")))
            }
        }
    }

    /// Parses a JSON chain spec.
    pub fn from_json_bytes(raw: &[u8]) -> Result<Self> {
        serde_json::from_slice(raw).map_err(|e| Error::ChainSpec(e.to_string()))
    }

    /// Serializes the spec; with `raw`, the genesis becomes its storage.
    pub fn to_json(&self, raw: bool) -> Result<String> {
        let spec = if raw {
            let storage = self.genesis_storage()?;
            let mut spec = self.clone();
            spec.genesis = Genesis::Raw(storage.to_raw());
            spec
        } else {
            self.clone()
        };
        serde_json::to_string_pretty(&spec).map_err(|e| Error::ChainSpec(e.to_string()))
    }

    /// The genesis storage this spec describes.
    pub fn genesis_storage(&self) -> Result<GenesisStorage> {
        match &self.genesis {
            Genesis::Raw(raw) => GenesisStorage::from_raw(raw),
            Genesis::RuntimeGenesis(RuntimeGenesis::Patch(patch)) => {
                let mut config = default_genesis_config()?;
                json_merge(&mut config, patch.clone());
                GenesisStorage::build(&config)
            }
            Genesis::RuntimeGenesis(RuntimeGenesis::Config(config)) => {
                GenesisStorage::build(config)
            }
        }
    }
}

fn default_genesis_config() -> Result<Value> {
    let raw = echonet_runtime::apis::default_genesis_config_json();
    serde_json::from_slice(&raw)
        .map_err(|e| Error::ChainSpec(format!("default genesis config is not JSON: {e}")))
}

/// Merges `patch` into `base` the way Substrate's genesis builder does: objects merge
/// key by key, recursively; anything else (including `null`) replaces.
pub fn json_merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(base), Value::Object(patch)) => {
            for (k, v) in patch {
                json_merge(base.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, patch) => *slot = patch,
    }
}

/// Genesis key/value pairs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenesisStorage {
    /// Main-trie key to value.
    pub top: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Default child tries: child storage key (unprefixed) to that trie's key/value pairs.
    pub children_default: BTreeMap<Vec<u8>, BTreeMap<Vec<u8>, Vec<u8>>>,
}

fn unhex(s: &str, what: &str) -> Result<Vec<u8>> {
    array_bytes_hex(s)
        .ok_or_else(|| Error::ChainSpec(format!("{what} {s:?} is not 0x-prefixed hex")))
}

fn array_bytes_hex(s: &str) -> Option<Vec<u8>> {
    hex::decode(s.strip_prefix("0x")?).ok()
}

impl GenesisStorage {
    fn from_raw(raw: &RawGenesis) -> Result<Self> {
        let mut top = BTreeMap::new();
        for (k, v) in &raw.top {
            top.insert(unhex(k, "genesis key")?, unhex(v, "genesis value")?);
        }
        let mut children_default = BTreeMap::new();
        for (child, pairs) in &raw.children_default {
            let mut map = BTreeMap::new();
            for (k, v) in pairs {
                map.insert(unhex(k, "child key")?, unhex(v, "child value")?);
            }
            children_default.insert(unhex(child, "child storage key")?, map);
        }
        Ok(Self {
            top,
            children_default,
        })
    }

    fn to_raw(&self) -> RawGenesis {
        let h = |b: &[u8]| format!("0x{}", hex::encode(b));
        RawGenesis {
            top: self.top.iter().map(|(k, v)| (h(k), h(v))).collect(),
            children_default: self
                .children_default
                .iter()
                .map(|(c, m)| (h(c), m.iter().map(|(k, v)| (h(k), h(v))).collect()))
                .collect(),
        }
    }

    /// Runs the runtime's `GenesisBuilder_build_state` on an empty state.
    fn build(config: &Value) -> Result<Self> {
        let json = serde_json::to_vec(config).map_err(|e| Error::ChainSpec(e.to_string()))?;
        let backend = sp_state_machine::new_in_mem::<BlakeTwo256>();
        let mut overlay = OverlayedChanges::default();
        let mut extensions = sp_externalities::Extensions::default();
        let out = executor::execute(
            &backend,
            &mut overlay,
            &mut extensions,
            "GenesisBuilder_build_state",
            &json.encode(),
            sp_core::traits::CallContext::Onchain { import: false },
        )?;
        let result = <Result<(), String>>::decode(&mut &out[..])
            .map_err(|e| Error::decode("GenesisBuilder_build_state result", e))?;
        result.map_err(|e| {
            Error::ChainSpec(format!("the runtime rejects the genesis config: {e}"))
        })?;
        let changes = overlay
            .drain_storage_changes(&backend, StateVersion::V1)
            .map_err(|e| Error::State(e.to_string()))?;
        let mut storage = GenesisStorage::default();
        for (k, v) in changes.main_storage_changes {
            if let Some(v) = v {
                storage.top.insert(k, v);
            }
        }
        for (child, pairs) in changes.child_storage_changes {
            let map = storage.children_default.entry(child).or_default();
            for (k, v) in pairs {
                if let Some(v) = v {
                    map.insert(k, v);
                }
            }
        }
        // There is no wasm blob: make sure no stale one sneaks in from a foreign spec.
        storage.top.remove(well_known_keys::CODE);
        Ok(storage)
    }

    /// The trie nodes and root of this storage.
    pub(crate) fn to_changes(&self, state: &StateProvider) -> Result<StorageChanges<BlakeTwo256>> {
        let empty = sp_trie::empty_trie_root::<sp_trie::LayoutV1<BlakeTwo256>>();
        let backend = state.at(empty, true);
        let mut overlay = OverlayedChanges::<BlakeTwo256>::default();
        for (k, v) in &self.top {
            overlay.set_storage(k.clone(), Some(v.clone()));
        }
        for (child, pairs) in &self.children_default {
            let info = ChildInfo::new_default(child);
            for (k, v) in pairs {
                overlay.set_child_storage(&info, k.clone(), Some(v.clone()));
            }
        }
        overlay
            .drain_storage_changes(&backend, StateVersion::V1)
            .map_err(|e| Error::State(e.to_string()))
    }
}

/// The genesis header for a state root.
pub fn genesis_header(state_root: H256) -> echonet_runtime::Header {
    let extrinsics_root = BlakeTwo256::ordered_trie_root(Vec::new(), StateVersion::V1);
    echonet_runtime::Header::new(
        0,
        extrinsics_root,
        state_root,
        Default::default(),
        Default::default(),
    )
}
