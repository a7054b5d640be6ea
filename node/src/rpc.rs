//! Starts the JSON-RPC server (crate `echonet-rpc`) with the node's configuration.

use crate::cli::{RpcMethods, RunCmd};
use anyhow::Context;
use echonet_client::{ChainType, Client};
use echonet_network::{NetworkHandle, PeerId};
use echonet_rpc::{NetworkStatus, RpcConfig, RpcDeps, RpcHandle, SystemInfo};
use echonet_txpool::Pool;
use jsonrpsee::{types::ErrorObjectOwned, RpcModule};
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
    pub network: Arc<dyn NetworkStatus>,
    /// With `--dev-test-switches`: the network whose peers `echonet_setBlockedPeers` blocks.
    pub test_switches: Option<NetworkHandle>,
    /// The data store: `dds_*` methods and the `/dds` gateway.
    pub dds: Arc<echonet_dds::Dds>,
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
    let config = RpcConfig {
        listen,
        max_connections: cmd.rpc_max_connections,
        max_request_bytes: cmd.rpc_max_request_size.saturating_mul(1024 * 1024),
        max_response_bytes: cmd.rpc_max_response_size.saturating_mul(1024 * 1024),
        max_subscriptions_per_connection: cmd.rpc_max_subscriptions_per_connection,
        cors,
        methods,
        host_filter: !(cmd.rpc_external || cmd.unsafe_rpc_external),
        batch_requests: if cmd.rpc_disable_batch_requests {
            echonet_rpc::BatchRequestConfig::Disabled
        } else {
            match cmd.rpc_max_batch_request_len {
                Some(len) => echonet_rpc::BatchRequestConfig::Limit(len),
                None => echonet_rpc::BatchRequestConfig::Unlimited,
            }
        },
        rate_limit: cmd.rpc_rate_limit,
    };
    let mut module = echonet_rpc::rpc_module(
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
            network: deps.network,
        },
        methods,
    );
    // Unsafe: served only where every method is.
    if let (Some(network), echonet_rpc::RpcMethods::Unsafe) = (deps.test_switches, methods) {
        module
            .merge(test_switches(network))
            .context("the test switches' method names clash with the RPC's")?;
        tracing::warn!(
            target: "rpc",
            "--dev-test-switches: echonet_setBlockedPeers is served; never do this in production"
        );
    }
    module
        .merge(echonet_dds::rpc::module(deps.dds.clone()))
        .context("the data store's method names clash with the RPC's")?;
    let gateway: Arc<dyn echonet_rpc::HttpRoutes> = Arc::new(crate::dds::Gateway(deps.dds));
    let handle = echonet_rpc::server::start_module_with_routes(config, module, Some(gateway))
        .await
        .with_context(|| format!("cannot start the RPC server on {listen} (--rpc-port)"))?;
    Ok(Server(handle))
}

/// `echonet_setBlockedPeers(peerIds)`: replaces the set of peers with which all traffic is
/// dropped (partition tests). An empty list heals. Answers with the number blocked.
fn test_switches(network: NetworkHandle) -> RpcModule<()> {
    let mut module = RpcModule::new(());
    // The only method of a fresh module: its name cannot be taken.
    let _ = module.register_method("echonet_setBlockedPeers", move |params, _, _| {
        let ids: Vec<String> = params.one()?;
        let peers = ids
            .iter()
            .map(|id| {
                id.parse::<PeerId>().map_err(|e| {
                    ErrorObjectOwned::owned(
                        jsonrpsee::types::error::INVALID_PARAMS_CODE,
                        format!("invalid peer id {id:?}: {e}"),
                        None::<()>,
                    )
                })
            })
            .collect::<Result<std::collections::HashSet<PeerId>, _>>()?;
        let count = peers.len();
        tracing::info!(target: "rpc", "Blocking all traffic with {count} peers (test switch)");
        network.set_blocked_peers(peers);
        Ok::<usize, ErrorObjectOwned>(count)
    });
    module
}
