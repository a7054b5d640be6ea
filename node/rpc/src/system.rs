//! `system_*`: what the node is, its network's health, and an account's next nonce.

use crate::{
    error,
    types::{Health, NodeRole, PeerInfo, SyncState},
    NetworkStatus, SystemInfo,
};
use codec::Encode;
use echonet_client::{ChainType, Client};
use echonet_runtime::AccountId;
use echonet_txpool::Pool;
use jsonrpsee::{core::RpcResult, proc_macros::rpc, types::ErrorObject};
use serde_json::{Map, Value};
use std::sync::Arc;

#[rpc(server)]
pub trait SystemApi {
    /// The node's implementation name ("echonet-node").
    #[method(name = "system_name")]
    fn system_name(&self) -> RpcResult<String>;

    #[method(name = "system_version")]
    fn system_version(&self) -> RpcResult<String>;

    /// The chain's name from its spec ("Development").
    #[method(name = "system_chain")]
    fn system_chain(&self) -> RpcResult<String>;

    #[method(name = "system_chainType")]
    fn system_type(&self) -> RpcResult<ChainType>;

    /// Token symbol, decimals and SS58 format, which wallets need to show amounts.
    #[method(name = "system_properties")]
    fn system_properties(&self) -> RpcResult<Map<String, Value>>;

    #[method(name = "system_health")]
    fn system_health(&self) -> RpcResult<Health>;

    #[method(name = "system_localPeerId")]
    fn system_local_peer_id(&self) -> RpcResult<String>;

    #[method(name = "system_localListenAddresses")]
    fn system_local_listen_addresses(&self) -> RpcResult<Vec<String>>;

    /// Unsafe, as in Substrate: it tells who our peers are.
    #[method(name = "system_peers")]
    fn system_peers(&self) -> RpcResult<Vec<PeerInfo>>;

    #[method(name = "system_nodeRoles")]
    fn system_node_roles(&self) -> RpcResult<Vec<NodeRole>>;

    #[method(name = "system_syncState")]
    fn system_sync_state(&self) -> RpcResult<SyncState>;

    /// The nonce an account's next transaction should use: the chain's nonce at the best
    /// block, advanced past the account's ready transactions in the pool.
    #[method(name = "system_accountNextIndex", aliases = ["account_nextIndex"], blocking)]
    fn nonce(&self, account: AccountId) -> RpcResult<u32>;
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
}
