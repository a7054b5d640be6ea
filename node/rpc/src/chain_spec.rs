//! `chainSpec_v1_*` of the new JSON-RPC spec: the chain's name, genesis hash and
//! properties, which light clients and new-API wallets read once on connecting.

use crate::SystemInfo;
use echonet_client::Client;
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use serde_json::{Map, Value};
use sp_core::H256;
use std::sync::Arc;

#[rpc(server)]
pub trait ChainSpecApi {
    /// The chain spec's name, as `system_chain` gives it.
    #[method(name = "chainSpec_v1_chainName")]
    fn chain_name(&self) -> RpcResult<String>;

    /// The hash of block 0, as a 0x-prefixed hex string.
    #[method(name = "chainSpec_v1_genesisHash")]
    fn genesis_hash(&self) -> RpcResult<H256>;

    /// The chain spec's properties, as `system_properties` gives them.
    #[method(name = "chainSpec_v1_properties")]
    fn properties(&self) -> RpcResult<Map<String, Value>>;
}

pub(crate) struct ChainSpec {
    pub client: Arc<Client>,
    pub info: SystemInfo,
}

impl ChainSpecApiServer for ChainSpec {
    fn chain_name(&self) -> RpcResult<String> {
        Ok(self.info.chain_name.clone())
    }

    fn genesis_hash(&self) -> RpcResult<H256> {
        Ok(self.client.info().genesis_hash)
    }

    fn properties(&self) -> RpcResult<Map<String, Value>> {
        Ok(self.info.properties.clone())
    }
}
