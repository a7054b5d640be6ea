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
    /// A JSON number (`26`); negative numbers and fractions do not parse.
    Number(u64),
    /// A hex string (`"0x1a"`, the `0x` optional), up to 256 bits.
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
    /// A JSON array: one answer per element, in order.
    List(Vec<T>),
    /// A single value, answered with a single value.
    Value(T),
}

/// `system_health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Number of connected peers.
    pub peers: usize,
    /// Whether the node is catching up with its peers ([`crate::NetworkStatus::is_syncing`]).
    pub is_syncing: bool,
    /// False on chains where running alone is normal (dev); monitoring treats
    /// `peers == 0` as unhealthy only when this is true.
    pub should_have_peers: bool,
}

/// One connected peer, as `system_peers` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerInfo {
    /// The peer's libp2p id in base58.
    pub peer_id: String,
    /// "Authority", "Full" or "Light", as Substrate's network reports roles.
    pub roles: String,
    /// The highest best block the peer has shown us: in its status at connection, in a
    /// best-block announcement, or in blocks it served.
    pub best_hash: H256,
    /// Height of [`PeerInfo::best_hash`].
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
    /// While the node warp-syncs (`--sync warp`), where it is; absent otherwise (an
    /// addition to Substrate's shape, which clients that do not know it ignore).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warp_sync: Option<WarpSyncState>,
}

/// The phase of a warp sync, in `system_syncState`'s `warpSync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WarpSyncPhase {
    /// Waiting for peers with a finalized block.
    AwaitingPeers,
    /// Downloading and checking GRANDPA hand-off proofs.
    DownloadingFinalityProofs,
    /// Downloading the target block's state.
    DownloadingState,
    /// Writing the state to the database.
    ImportingState,
    /// Done; blocks sync normally from the target.
    Complete,
}

/// `system_syncState`'s `warpSync`: the phase and its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WarpSyncState {
    /// The phase.
    pub phase: WarpSyncPhase,
    /// Authority-set hand-offs verified (finality proofs phase on).
    pub sets: u64,
    /// The block warped to, once known.
    pub target_block: Option<u32>,
    /// State downloaded, in percent of the key space.
    pub state_percent: u8,
    /// Bytes downloaded in the current phase (proofs, then state).
    pub bytes: u64,
}

/// `system_nodeRoles` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeRole {
    /// A full node that does not author blocks: what a non-validator answers.
    Full,
    /// Never answered by echonet-node (it has no light mode); kept because it is part of
    /// Substrate's JSON vocabulary that clients decode.
    LightClient,
    /// A validator (`--validator`): it authors blocks and votes in GRANDPA.
    Authority,
}

/// The changes of storage values at one block: `state_storage` notifications and the
/// entries of `state_queryStorage(At)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageChangeSet {
    /// The block whose state the values are read from.
    pub block: H256,
    /// The keys asked for whose values changed at this block, with the new value (`None`
    /// when the key has none). The first set of a query or subscription, and
    /// `state_queryStorageAt`'s only set, list every key asked for.
    pub changes: Vec<(StorageKey, Option<StorageData>)>,
}

/// `author_removeExtrinsic` takes extrinsics or their hashes: `{"hash": ..}` or
/// `{"extrinsic": ..}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExtrinsicOrHash {
    /// The blake2-256 hash of the extrinsic's bytes, as `author_submitExtrinsic` returns it.
    Hash(H256),
    /// The SCALE-encoded extrinsic itself; it must decode (else 1001), and is looked up by
    /// the blake2-256 hash of these bytes.
    Extrinsic(Bytes),
}

/// `state_getReadProof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadProof {
    /// The block whose state root the proof is against.
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
