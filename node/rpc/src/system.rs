//! `system_*`: what the node is, its network's health, and an account's next nonce.

use crate::{
    error,
    types::{Health, NodeRole, PeerInfo, SyncState},
    NetworkStatus, SystemInfo,
};
use codec::{Decode, Encode};
use echonet_client::{executor, ChainType, Client};
use echonet_runtime::{AccountId, Header, UncheckedExtrinsic};
use echonet_txpool::Pool;
use jsonrpsee::{core::RpcResult, proc_macros::rpc, types::ErrorObject};
use serde_json::{Map, Value};
use sp_core::{traits::CallContext, Bytes, H256};
use sp_externalities::Extensions;
use sp_runtime::traits::Header as _;
use sp_state_machine::OverlayedChanges;
use std::sync::Arc;

#[rpc(server)]
pub trait SystemApi {
    /// The node's implementation name ("echonet-node").
    #[method(name = "system_name")]
    fn system_name(&self) -> RpcResult<String>;

    /// The node's version (the crate version, e.g. "0.1.0").
    #[method(name = "system_version")]
    fn system_version(&self) -> RpcResult<String>;

    /// The chain's name from its spec ("Development").
    #[method(name = "system_chain")]
    fn system_chain(&self) -> RpcResult<String>;

    /// `"Development"`, `"Local"`, `"Live"` or `{"Custom": name}`, from the chain spec.
    #[method(name = "system_chainType")]
    fn system_type(&self) -> RpcResult<ChainType>;

    /// Token symbol, decimals and SS58 format, which wallets need to show amounts.
    #[method(name = "system_properties")]
    fn system_properties(&self) -> RpcResult<Map<String, Value>>;

    /// Peer count, whether we are syncing, and whether this chain expects peers.
    #[method(name = "system_health")]
    fn system_health(&self) -> RpcResult<Health>;

    /// Our libp2p peer id in base58.
    #[method(name = "system_localPeerId")]
    fn system_local_peer_id(&self) -> RpcResult<String>;

    /// The multiaddresses we listen on, with `/p2p/<peer id>`: what another node passes
    /// as `--bootnodes`.
    #[method(name = "system_localListenAddresses")]
    fn system_local_listen_addresses(&self) -> RpcResult<Vec<String>>;

    /// Unsafe, as in Substrate: it tells who our peers are.
    #[method(name = "system_peers")]
    fn system_peers(&self) -> RpcResult<Vec<PeerInfo>>;

    /// `["Authority"]` for a validator, `["Full"]` otherwise.
    #[method(name = "system_nodeRoles")]
    fn system_node_roles(&self) -> RpcResult<Vec<NodeRole>>;

    /// The block the current sync started from, our best block and the highest block a
    /// peer has shown.
    #[method(name = "system_syncState")]
    fn system_sync_state(&self) -> RpcResult<SyncState>;

    /// The nonce an account's next transaction should use: the chain's nonce at the best
    /// block, advanced past the account's ready transactions in the pool.
    #[method(name = "system_accountNextIndex", aliases = ["account_nextIndex"], blocking)]
    fn nonce(&self, account: AccountId) -> RpcResult<u32>;

    /// Unsafe, as in Substrate. Applies a signed extrinsic in a block built on `at` (the
    /// best block by default) and discards the changes; returns the SCALE bytes of the
    /// runtime's `ApplyExtrinsicResult` (`0x0000` when it applies and dispatches).
    #[method(name = "system_dryRun", aliases = ["system_dryRunAt"], blocking)]
    fn dry_run(&self, extrinsic: Bytes, at: Option<H256>) -> RpcResult<Bytes>;
}

pub(crate) struct System {
    pub client: Arc<Client>,
    pub pool: Arc<Pool>,
    pub info: SystemInfo,
    pub network: Arc<dyn NetworkStatus>,
    pub deny_unsafe: bool,
}

impl SystemApiServer for System {
    fn system_name(&self) -> RpcResult<String> {
        Ok(self.info.impl_name.clone())
    }

    fn system_version(&self) -> RpcResult<String> {
        Ok(self.info.impl_version.clone())
    }

    fn system_chain(&self) -> RpcResult<String> {
        Ok(self.info.chain_name.clone())
    }

    fn system_type(&self) -> RpcResult<ChainType> {
        Ok(self.info.chain_type.clone())
    }

    fn system_properties(&self) -> RpcResult<Map<String, Value>> {
        Ok(self.info.properties.clone())
    }

    fn system_health(&self) -> RpcResult<Health> {
        Ok(Health {
            peers: self.network.peers().len(),
            is_syncing: self.network.is_syncing(),
            should_have_peers: self.network.should_have_peers(),
        })
    }

    fn system_local_peer_id(&self) -> RpcResult<String> {
        Ok(self.network.local_peer_id())
    }

    fn system_local_listen_addresses(&self) -> RpcResult<Vec<String>> {
        Ok(self.network.local_listen_addresses())
    }

    fn system_peers(&self) -> RpcResult<Vec<PeerInfo>> {
        if self.deny_unsafe {
            return Err(error::unsafe_rpc_called());
        }
        Ok(self.network.peers())
    }

    fn system_node_roles(&self) -> RpcResult<Vec<NodeRole>> {
        Ok(vec![if self.info.is_validator {
            NodeRole::Authority
        } else {
            NodeRole::Full
        }])
    }

    fn system_sync_state(&self) -> RpcResult<SyncState> {
        Ok(self.network.sync_state())
    }

    fn nonce(&self, account: AccountId) -> RpcResult<u32> {
        let best = self.client.info().best_hash;
        // Substrate's frame-system RPC answers failures of this call with code 1.
        let chain_nonce: u32 = self
            .client
            .call_decoded(best, "AccountNonceApi_account_nonce", &account.encode())
            .map_err(|e| {
                ErrorObject::owned(
                    error::payment_code::RUNTIME,
                    "Unable to query nonce.",
                    Some(e.to_string()),
                )
            })?;
        Ok(self.pool.next_nonce_hint(&account, chain_nonce))
    }

    fn dry_run(&self, extrinsic: Bytes, at: Option<H256>) -> RpcResult<Bytes> {
        if self.deny_unsafe {
            return Err(error::unsafe_rpc_called());
        }
        // Substrate's frame-system RPC codes: 2 when the bytes are no extrinsic, 1 when
        // the runtime call fails (an unknown block among them).
        let mut input = &extrinsic[..];
        UncheckedExtrinsic::decode(&mut input).map_err(|e| {
            ErrorObject::owned(
                error::payment_code::DECODE,
                "Unable to dry run extrinsic.",
                Some(e.to_string()),
            )
        })?;
        if !input.is_empty() {
            return Err(ErrorObject::owned(
                error::payment_code::DECODE,
                "Unable to dry run extrinsic.",
                Some(format!(
                    "{} bytes left over after the extrinsic",
                    input.len()
                )),
            ));
        }
        let at = at.unwrap_or_else(|| self.client.info().best_hash);
        apply_in_next_block(&self.client, at, &extrinsic)
            .map(Bytes)
            .map_err(|e| {
                ErrorObject::owned(
                    error::payment_code::RUNTIME,
                    "Unable to dry run extrinsic",
                    Some(error::client_error_text(&e)),
                )
            })
    }
}

/// Applies `extrinsic` the way the block builder would in a child of `at`: initialise the
/// block, then `BlockBuilder_apply_extrinsic`. Everything happens on an overlay that is
/// dropped at the end, so nothing reaches the database.
///
/// Substrate's `system_dryRun` skips the initialisation and applies the extrinsic to the
/// final state of `at`. There `System::BlockHash` does not yet hold `at` itself (a block's
/// hash is recorded when its child starts), so a transaction whose mortal era starts at
/// the best block, as subxt and polkadot-js build them, dry-runs as `AncientBirthBlock`
/// although it is valid. Initialising first gives the answer a block would give, as
/// `TaggedTransactionQueue_validate_transaction` does; the result's encoding is the same.
fn apply_in_next_block(
    client: &Client,
    at: H256,
    extrinsic: &[u8],
) -> Result<Vec<u8>, echonet_client::Error> {
    let parent = client
        .header(at)?
        .ok_or(echonet_client::Error::UnknownBlock(at))?;
    let number = parent
        .number
        .checked_add(1)
        .ok_or_else(|| echonet_client::Error::State("block number overflow".into()))?;
    let header = Header::new(
        number,
        Default::default(),
        Default::default(),
        at,
        Default::default(),
    );
    let state = client.state_at(at)?;
    let mut overlay = OverlayedChanges::default();
    let mut extensions = Extensions::new();
    executor::execute(
        &state,
        &mut overlay,
        &mut extensions,
        "Core_initialize_block",
        &header.encode(),
        CallContext::Offchain,
    )?;
    executor::execute(
        &state,
        &mut overlay,
        &mut extensions,
        "BlockBuilder_apply_extrinsic",
        extrinsic,
        CallContext::Offchain,
    )
}
