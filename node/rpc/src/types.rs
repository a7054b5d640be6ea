//! The JSON shapes of Substrate's legacy RPC that no primitive crate gives us.
//!
//! Headers, blocks, runtime versions, storage keys and values, bytes and fee info come
//! with their own serde impls from sp-runtime, sp-version, sp-core and
//! pallet-transaction-payment; those impls are what Substrate's nodes serve, so we use
//! them as they are. What is here are the RPC layer's own types.

use serde::{Deserialize, Serialize};
use sp_core::{storage::StorageData, storage::StorageKey, Bytes, H256, U256};

/// A block number as wallets send it: a JSON number, or a hex string ("0x1a").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NumberOrHex {
    Number(u64),
    Hex(U256),
}

impl NumberOrHex {
    /// The value as a block number, if it fits.
    pub fn to_block_number(self) -> Option<u32> {
        match self {
            NumberOrHex::Number(n) => u32::try_from(n).ok(),
            NumberOrHex::Hex(h) => {
                if h > U256::from(u32::MAX) {
                    None
                } else {
                    Some(h.low_u32())
                }
            }
        }
    }
}

impl From<u128> for NumberOrHex {
    /// Balances go out as hex strings: a u128 does not fit in a JSON number that
    /// JavaScript reads exactly.
    fn from(n: u128) -> Self {
        NumberOrHex::Hex(U256::from(n))
    }
}

/// One value or a list of them; the answer has the same shape as the question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ListOrValue<T> {
    List(Vec<T>),
    Value(T),
}

/// `system_health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub peers: usize,
    pub is_syncing: bool,
    pub should_have_peers: bool,
}

/// One connected peer, as `system_peers` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerInfo {
    pub peer_id: String,
    /// "Authority", "Full" or "Light", as Substrate's network reports roles.
    pub roles: String,
    pub best_hash: H256,
    pub best_number: u32,
}

/// `system_syncState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncState {
    /// Height at which this sync started.
    pub starting_block: u32,
    /// Our best block.
    pub current_block: u32,
    /// The highest block any peer announced (our best when we know of none higher).
    pub highest_block: u32,
}

/// `system_nodeRoles` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeRole {
    Full,
    LightClient,
    Authority,
}

/// The changes of storage values at one block: `state_storage` notifications and the
/// entries of `state_queryStorage(At)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageChangeSet {
    pub block: H256,
    pub changes: Vec<(StorageKey, Option<StorageData>)>,
}

/// `author_removeExtrinsic` takes extrinsics or their hashes: `{"hash": ..}` or
/// `{"extrinsic": ..}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExtrinsicOrHash {
    Hash(H256),
    Extrinsic(Bytes),
}

/// `state_getReadProof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadProof {
    pub at: H256,
    /// Trie nodes that prove the values (or absence) of the keys asked for.
    pub proof: Vec<Bytes>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_numbers_parse_from_numbers_and_hex() {
        let n: NumberOrHex = serde_json::from_value(json!(26)).unwrap();
        assert_eq!(n.to_block_number(), Some(26));
        let h: NumberOrHex = serde_json::from_value(json!("0x1a")).unwrap();
        assert_eq!(h.to_block_number(), Some(26));
        let big: NumberOrHex = serde_json::from_value(json!("0x100000000")).unwrap();
        assert_eq!(big.to_block_number(), None);
        // Like Substrate's (same U256 parser), the 0x prefix is optional; non-hex is not.
        let bare: NumberOrHex = serde_json::from_value(json!("1a")).unwrap();
        assert_eq!(bare.to_block_number(), Some(26));
        assert!(serde_json::from_value::<NumberOrHex>(json!("xyz")).is_err());
        assert!(serde_json::from_value::<NumberOrHex>(json!(-1)).is_err());
    }

    #[test]
    fn balances_serialize_as_hex() {
        let v = serde_json::to_value(NumberOrHex::from(255u128)).unwrap();
        assert_eq!(v, json!("0xff"));
    }

    #[test]
    fn health_has_substrates_field_names() {
        let h = Health {
            peers: 0,
            is_syncing: false,
            should_have_peers: false,
        };
        assert_eq!(
            serde_json::to_value(h).unwrap(),
            json!({"peers": 0, "isSyncing": false, "shouldHavePeers": false})
        );
    }

    #[test]
    fn remove_extrinsic_params_are_externally_tagged() {
        let v: Vec<ExtrinsicOrHash> = serde_json::from_value(json!([
            {"hash": format!("0x{}", "11".repeat(32))},
            {"extrinsic": "0x0102"}
        ]))
        .unwrap();
        assert_eq!(v[0], ExtrinsicOrHash::Hash(H256::repeat_byte(0x11)));
        assert_eq!(v[1], ExtrinsicOrHash::Extrinsic(Bytes(vec![1, 2])));
    }
}
