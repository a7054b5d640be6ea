//! # echonet-rpc
//!
//! The node's JSON-RPC server. It speaks Substrate's *legacy* RPC (the `system_`, `chain_`,
//! `state_`, `author_` and `payment_` families, plus the new spec's `chainSpec_v1_` and
//! `transaction_v1_`): the same method names and aliases, the same parameter handling,
//! the same JSON shapes and the same error codes, so that polkadot-js and subxt's legacy
//! backend talk to an EchoNet node as they would to any Substrate node. HTTP and WebSocket share one port (jsonrpsee upgrades a
//! connection when asked to); subscriptions need WebSocket.
//!
//! ## Where things are
//!
//! - [`rpc_module`] builds every method into one `RpcModule`, including `rpc_methods`,
//!   which lists exactly what is served. [`start`] serves that module with the limits and
//!   CORS policy of an [`RpcConfig`] ([`server`]).
//! - One module per family: [`system`], [`chain`], [`state`], [`author`], [`payment`],
//!   and two groups of the new JSON-RPC spec, [`chain_spec`] (`chainSpec_v1_*`) and
//!   [`transaction`] (`transaction_v1_*`). `chainHead_v1_*` is not served, so
//!   `rpc_methods` does not list it and subxt's default client picks its legacy backend.
//!   Each declares its methods with jsonrpsee's `#[rpc]` macro (the way Substrate
//!   declares its own, hence the same parameter parsing) and implements them over the
//!   [`echonet_client::Client`] and the [`echonet_txpool::Pool`].
//! - [`error`] maps failures to Substrate's codes and messages; [`types`] holds the RPC's
//!   own JSON types. Headers, blocks, versions and storage values use the serde impls of
//!   sp-runtime, sp-version and sp-core: those are what Substrate serves.
//!
//! ## Rules the code keeps
//!
//! - Storage reads and runtime calls block (RocksDB, native runtime with thread-local
//!   externalities): plain methods are declared `blocking`, which runs them on tokio's
//!   blocking pool, and subscriptions do their reads in `spawn_blocking`.
//! - Subscriptions follow the client's broadcast channels. A subscriber too slow to keep
//!   up is held back by the connection's bounded buffer; if our receiver lags meanwhile,
//!   the subscription re-reads the current state and carries on from the newest block.
//! - Methods Substrate calls unsafe (key management, `author_removeExtrinsic`,
//!   `system_peers`, `system_dryRun`) are listed and registered always, and refused with
//!   -32601 when the node serves [`RpcMethods::Safe`], as Substrate does.
//! - tests/it/methods.rs calls every listed method with good and bad parameters and checks
//!   Substrate's shapes and error codes: a new method needs a row there.

pub mod author;
pub mod chain;
pub mod chain_spec;
pub mod error;
mod middleware;
pub mod payment;
pub mod server;
pub mod state;
mod subscription;
pub mod system;
pub mod transaction;
pub mod types;

use echonet_client::{ChainType, Client};
use echonet_txpool::Pool;
use jsonrpsee::RpcModule;
use std::sync::Arc;

pub use middleware::HttpRoutes;
pub use server::{start, BatchRequestConfig, RpcConfig, RpcHandle, RpcStartError};
pub use types::{Health, NodeRole, PeerInfo, SyncState, WarpSyncPhase, WarpSyncState};

/// Which methods the server serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpcMethods {
    /// Refuse the unsafe ones (key management, pool surgery, peer lists).
    Safe,
    /// Serve everything; for an RPC that only the operator can reach.
    Unsafe,
}

/// What `system_*` reports about the node and its chain.
#[derive(Debug, Clone)]
pub struct SystemInfo {
    /// "echonet-node".
    pub impl_name: String,
    /// `system_version`: the node's crate version (`CARGO_PKG_VERSION`).
    pub impl_version: String,
    /// The chain spec's name.
    pub chain_name: String,
    /// `system_chainType`; also decides whether [`NoNetwork`] expects peers.
    pub chain_type: ChainType,
    /// The chain spec's properties (`ss58Format`, `tokenDecimals`, `tokenSymbol`).
    pub properties: serde_json::Map<String, serde_json::Value>,
    /// `system_nodeRoles` answers `["Authority"]` for a validator, `["Full"]` otherwise.
    pub is_validator: bool,
}

/// What the RPC needs to know about the network. The node implements it over its network
/// and sync handles; [`NoNetwork`] stands in where there is none. Methods are called from
/// RPC handlers and must not block for long.
pub trait NetworkStatus: Send + Sync + 'static {
    /// Our libp2p peer id in base58 (`12D3KooW...`), for `system_localPeerId`.
    fn local_peer_id(&self) -> String;
    /// The connected peers with their roles and best blocks: `system_peers`, and its
    /// length is `system_health`'s `peers`.
    fn peers(&self) -> Vec<PeerInfo>;
    /// True while the node is far behind its peers and catching up (`system_health`'s
    /// `isSyncing`).
    fn is_syncing(&self) -> bool;
    /// False for chains where being alone is normal (a dev chain).
    fn should_have_peers(&self) -> bool;
    /// The multiaddresses we listen on, each ending in `/p2p/<peer id>`, for
    /// `system_localListenAddresses`.
    fn local_listen_addresses(&self) -> Vec<String>;
    /// Where the current sync started, our best block and the highest block seen, for
    /// `system_syncState`.
    fn sync_state(&self) -> SyncState;
}

/// The network of a node without one: no peers, never syncing, and our best block as
/// the highest known. A dev chain should not have peers; other chains should.
pub struct NoNetwork {
    client: Arc<Client>,
    local_peer_id: String,
    should_have_peers: bool,
}

impl NoNetwork {
    /// `local_peer_id` is what `system_localPeerId` answers; the chain type decides
    /// whether `system_health` says the node should have peers.
    pub fn new(client: Arc<Client>, local_peer_id: String, chain_type: &ChainType) -> Self {
        Self {
            client,
            local_peer_id,
            should_have_peers: *chain_type != ChainType::Development,
        }
    }
}

impl NetworkStatus for NoNetwork {
    fn local_peer_id(&self) -> String {
        self.local_peer_id.clone()
    }

    fn peers(&self) -> Vec<PeerInfo> {
        Vec::new()
    }

    fn is_syncing(&self) -> bool {
        false
    }

    fn should_have_peers(&self) -> bool {
        self.should_have_peers
    }

    fn local_listen_addresses(&self) -> Vec<String> {
        Vec::new()
    }

    fn sync_state(&self) -> SyncState {
        let best = self.client.info().best_number;
        SyncState {
            starting_block: 0,
            current_block: best,
            highest_block: best,
            warp_sync: None,
        }
    }
}

/// Everything the methods read from.
#[derive(Clone)]
pub struct RpcDeps {
    /// The chain: blocks, state and runtime calls for `chain_*`, `state_*` and the rest.
    pub client: Arc<Client>,
    /// Where `author_submit*` and `transaction_v1_broadcast` send extrinsics, and what
    /// `author_pendingExtrinsics` and `system_accountNextIndex` read.
    pub pool: Arc<Pool>,
    /// The node's keystore, for `author_insertKey`/`hasKey`/`hasSessionKeys`.
    /// `author_rotateKeys` generates keys through the runtime, which reaches the keystore
    /// that the node registered with `Client::set_keystore`: it must be this one.
    pub keystore: sp_keystore::KeystorePtr,
    /// The static answers of `system_*` and `chainSpec_v1_*`.
    pub system: SystemInfo,
    /// Peers and sync progress for `system_health`, `system_peers` and `system_syncState`.
    pub network: Arc<dyn NetworkStatus>,
}

/// All methods, aliases and subscriptions, plus `rpc_methods` listing them. Use it to
/// serve over another transport or to call methods in-process in tests.
pub fn rpc_module(deps: RpcDeps, methods: RpcMethods) -> RpcModule<()> {
    let deny_unsafe = methods == RpcMethods::Safe;
    let mut module = RpcModule::new(());
    // A failure here is a duplicate method name in this crate: a bug that the tests catch.
    const DUPLICATE: &str = "RPC method names are unique: fix the duplicate in echonet-rpc";
    module
        .merge(chain_spec::ChainSpecApiServer::into_rpc(
            chain_spec::ChainSpec {
                client: deps.client.clone(),
                info: deps.system.clone(),
            },
        ))
        .expect(DUPLICATE);
    module
        .merge(system::SystemApiServer::into_rpc(system::System {
            client: deps.client.clone(),
            pool: deps.pool.clone(),
            info: deps.system,
            network: deps.network,
            deny_unsafe,
        }))
        .expect(DUPLICATE);
    module
        .merge(chain::ChainApiServer::into_rpc(chain::Chain {
            client: deps.client.clone(),
        }))
        .expect(DUPLICATE);
    module
        .merge(state::StateApiServer::into_rpc(state::State {
            client: deps.client.clone(),
            deny_unsafe,
            key_budget: Default::default(),
        }))
        .expect(DUPLICATE);
    module
        .merge(author::AuthorApiServer::into_rpc(author::Author {
            client: deps.client.clone(),
            pool: deps.pool.clone(),
            keystore: deps.keystore,
            deny_unsafe,
        }))
        .expect(DUPLICATE);
    module
        .merge(transaction::TransactionApiServer::into_rpc(
            transaction::Transaction::new(deps.client.clone(), deps.pool.clone()),
        ))
        .expect(DUPLICATE);
    module
        .merge(payment::PaymentApiServer::into_rpc(payment::Payment {
            client: deps.client,
        }))
        .expect(DUPLICATE);

    // polkadot-js decorates only the methods listed here, so the list is exactly what is
    // registered, aliases and unsubscribe methods included, and `rpc_methods` itself.
    let mut names: Vec<&'static str> = module.method_names().collect();
    names.push("rpc_methods");
    names.sort_unstable();
    let listing = serde_json::json!({ "methods": names });
    module
        .register_method("rpc_methods", move |_, _, _| listing.clone())
        .expect(DUPLICATE);
    module
}
