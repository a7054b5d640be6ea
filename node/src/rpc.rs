//! Starts the JSON-RPC server (crate `echonet-rpc`) with the node's configuration.

use crate::cli::{RpcMethods, RunCmd};
use anyhow::Context;
use echonet_client::{ChainType, Client};
use echonet_rpc::{NetworkStatus, NoNetwork, RpcConfig, RpcDeps, RpcHandle, SystemInfo};
use echonet_txpool::Pool;
use sp_keystore::KeystorePtr;
use std::{net::SocketAddr, sync::Arc};

/// What the RPC serves from.
pub struct Deps {
    pub client: Arc<Client>,
    pub pool: Arc<Pool>,
    pub keystore: KeystorePtr,
    pub chain_name: String,
    pub chain_type: ChainType,
    pub properties: serde_json::Map<String, serde_json::Value>,
    pub is_validator: bool,
    pub peer_id: String,
}

/// A running server.
pub struct Server(RpcHandle);

impl Server {
    pub async fn stop(self) {
        self.0.stop();
        self.0.stopped().await;
    }
}

pub async fn start(
    cmd: &RunCmd,
    (listen, methods): (SocketAddr, RpcMethods),
    cors: Option<Vec<String>>,
    deps: Deps,
) -> anyhow::Result<Server> {
    let methods = match methods {
        RpcMethods::Safe => echonet_rpc::RpcMethods::Safe,
        RpcMethods::Unsafe | RpcMethods::Auto => echonet_rpc::RpcMethods::Unsafe,
    };
    let network: Arc<dyn NetworkStatus> = Arc::new(NoNetwork::new(
        deps.client.clone(),
        deps.peer_id,
        &deps.chain_type,
    ));
    let config = RpcConfig {
        listen,
        max_connections: cmd.rpc_max_connections,
        max_request_bytes: cmd.rpc_max_request_size.saturating_mul(1024 * 1024),
        max_response_bytes: cmd.rpc_max_response_size.saturating_mul(1024 * 1024),
        max_subscriptions_per_connection: cmd.rpc_max_subscriptions_per_connection,
        cors,
        methods,
    };
    let handle = echonet_rpc::start(
        config,
        RpcDeps {
            client: deps.client,
            pool: deps.pool,
            keystore: deps.keystore,
            system: SystemInfo {
                impl_name: "echonet-node".into(),
                impl_version: env!("CARGO_PKG_VERSION").into(),
                chain_name: deps.chain_name,
                chain_type: deps.chain_type,
                properties: deps.properties,
                is_validator: deps.is_validator,
            },
            network,
        },
    )
    .await
    .with_context(|| format!("cannot start the RPC server on {listen} (--rpc-port)"))?;
    Ok(Server(handle))
}
