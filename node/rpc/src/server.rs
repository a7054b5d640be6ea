//! The HTTP and WebSocket server: jsonrpsee with the configured limits and CORS.
//!
//! jsonrpsee enforces the limits itself: a request body over `max_request_bytes` is
//! answered with an "Oversized request" error (-32007) and the connection stays usable;
//! connections over `max_connections` get HTTP 429 before any JSON-RPC is read, which
//! leaves the admitted connections untouched; a batch longer than `batch_requests` allows
//! gets -32010 and none of it runs.
//!
//! Who may call (issue 11, item 4): a web page in the operator's browser can reach
//! 127.0.0.1, and unsafe methods are served there. So, before any JSON-RPC is read:
//! - a request or WebSocket upgrade whose `Origin` is not in `cors` gets 403 (browsers
//!   apply no CORS to a WebSocket handshake, so only the server can refuse it);
//! - with `host_filter` (an RPC that is not external), a `Host` other than localhost,
//!   127.0.0.1 or \[::1\] with our port gets 403: the DNS-rebinding defence.
//!
//! Clients that are not browsers send no `Origin` and are served.

use crate::{
    middleware::{
        EarlyUnsubscribeLayer, HttpRoutes, OriginFilterLayer, OriginRule, RateLimitLayer,
        RoutesLayer,
    },
    rpc_module, RpcDeps, RpcMethods,
};
use http::{header, Method};
pub use jsonrpsee::server::BatchRequestConfig;
use jsonrpsee::{
    server::{
        middleware::http::HostFilterLayer, RandomStringIdProvider, RpcServiceBuilder, Server,
        ServerHandle,
    },
    MethodCallback,
};
use std::{net::SocketAddr, num::NonZeroU32, sync::Arc};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Limits and policy of the server; the node builds it from its `--rpc-*` flags.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Address and port to bind (127.0.0.1:9944 by default; port 0 picks a free one, see
    /// [`RpcHandle::local_addr`]).
    pub listen: SocketAddr,
    /// Open connections at most, HTTP and WebSocket together; one more is refused with
    /// HTTP 429.
    pub max_connections: u32,
    /// Largest request body, in bytes (the node's `--rpc-max-request-size` is in MiB).
    pub max_request_bytes: u32,
    /// Largest response body, in bytes; a bigger answer becomes an error (-32008).
    pub max_response_bytes: u32,
    /// Subscriptions one WebSocket connection may hold open at once.
    pub max_subscriptions_per_connection: u32,
    /// Browser origins allowed to call; `None` allows any origin. A request from any other
    /// origin gets 403. An origin may end in `:*` to allow every port of its host
    /// (`http://localhost:*`).
    pub cors: Option<Vec<String>>,
    /// Whether unsafe methods are served or refused with -32601.
    pub methods: RpcMethods,
    /// Refuse requests whose `Host` is not this server's loopback address. On for an RPC
    /// that is not external.
    pub host_filter: bool,
    /// Batch requests: unlimited (Substrate's default), at most so many calls, or none.
    pub batch_requests: BatchRequestConfig,
    /// Calls per minute per connection; `None`: no limit (Substrate's default).
    pub rate_limit: Option<NonZeroU32>,
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum RpcStartError {
    /// The address could not be bound (port in use, address not local, no permission).
    #[error("cannot listen for RPC on {0}: {1}")]
    Bind(SocketAddr, #[source] std::io::Error),
    /// An entry of [`RpcConfig::cors`] is not a valid header value.
    #[error("invalid CORS origin {0:?}: an origin is a scheme, a host and maybe a port, like http://localhost:3000")]
    InvalidCors(String),
}

/// A running server. Dropping it stops the server too.
pub struct RpcHandle {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl RpcHandle {
    /// The address the server listens on (with the port chosen when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Asks the server to stop; [`RpcHandle::stopped`] resolves when it has.
    pub fn stop(&self) {
        // An error only says that it was already stopped.
        let _ = self.handle.stop();
    }

    /// Resolves once the server has stopped.
    pub async fn stopped(self) {
        self.handle.stopped().await
    }
}

/// Substrate's id size: long enough that subscription ids cannot be guessed.
const SUBSCRIPTION_ID_LEN: usize = 16;

/// The rules of an origin list; `None` (any origin) stays `None`.
fn origin_rules(cors: Option<&[String]>) -> Result<Option<Arc<[OriginRule]>>, RpcStartError> {
    cors.map(|origins| {
        origins
            .iter()
            .map(|o| OriginRule::parse(o).ok_or_else(|| RpcStartError::InvalidCors(o.clone())))
            .collect()
    })
    .transpose()
}

/// The CORS response headers for browsers. Refusing a disallowed origin is
/// [`OriginFilterLayer`]'s job.
fn cors_layer(rules: Option<&Arc<[OriginRule]>>) -> CorsLayer {
    let Some(rules) = rules else {
        return CorsLayer::permissive();
    };
    let rules = rules.to_vec();
    let allow = if rules.iter().all(|r| matches!(r, OriginRule::Exact(_))) {
        AllowOrigin::list(rules.into_iter().filter_map(|r| match r {
            OriginRule::Exact(v) => Some(v),
            OriginRule::AnyPort(_) => None,
        }))
    } else {
        AllowOrigin::predicate(move |origin, _| rules.iter().any(|r| r.matches(origin)))
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::POST, Method::GET, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE])
}

/// Substrate's host filter for an RPC that is not external: the `Host` must name the
/// loopback address and our port. A web page whose own name an attacker re-points at
/// 127.0.0.1 (DNS rebinding) is same-origin with us to the browser and sends no foreign
/// `Origin`; its `Host` is still its own name.
fn host_filter(enabled: bool, port: u16) -> HostFilterLayer {
    if !enabled {
        return HostFilterLayer::disable();
    }
    let hosts = [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ];
    // Each is a valid authority by construction.
    HostFilterLayer::new(hosts).unwrap_or_else(|_| HostFilterLayer::disable())
}

/// Starts serving every method on `config.listen`.
pub async fn start(config: RpcConfig, deps: RpcDeps) -> Result<RpcHandle, RpcStartError> {
    let module = rpc_module(deps, config.methods);
    start_module(config, module).await
}

/// Starts serving `module` on `config.listen`: [`rpc_module`]'s methods with the node's own
/// merged in (e.g. its test switches). Merged methods are not in `rpc_methods`' listing.
pub async fn start_module(
    config: RpcConfig,
    module: jsonrpsee::RpcModule<()>,
) -> Result<RpcHandle, RpcStartError> {
    start_module_with_routes(config, module, None).await
}

/// [`start_module`], also serving `routes` (plain HTTP paths such as the data store's
/// `/dds` gateway) on the same port, behind the same host and origin filters.
pub async fn start_module_with_routes(
    config: RpcConfig,
    module: jsonrpsee::RpcModule<()>,
    routes: Option<Arc<dyn HttpRoutes>>,
) -> Result<RpcHandle, RpcStartError> {
    let rules = origin_rules(config.cors.as_deref())?;
    // Bound first: the host filter needs the port, which may have been chosen for us.
    let listener = std::net::TcpListener::bind(config.listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| RpcStartError::Bind(config.listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| RpcStartError::Bind(config.listen, e))?;
    let http = tower::ServiceBuilder::new()
        .layer(host_filter(config.host_filter, addr.port()))
        .layer(OriginFilterLayer(rules.clone()))
        .layer(cors_layer(rules.as_ref()))
        .layer(RoutesLayer(routes));
    let unsubscribe_methods = module
        .method_names()
        .filter(|name| matches!(module.method(name), Some(MethodCallback::Unsubscription(_))))
        .map(str::to_string)
        .collect();
    let rpc = RpcServiceBuilder::new()
        .layer(RateLimitLayer(config.rate_limit))
        .layer(EarlyUnsubscribeLayer {
            methods: Arc::new(unsubscribe_methods),
        });
    let server = Server::builder()
        .max_connections(config.max_connections)
        .max_request_body_size(config.max_request_bytes)
        .max_response_body_size(config.max_response_bytes)
        .max_subscriptions_per_connection(config.max_subscriptions_per_connection)
        .set_batch_request_config(config.batch_requests)
        .set_id_provider(RandomStringIdProvider::new(SUBSCRIPTION_ID_LEN))
        .set_http_middleware(http)
        .set_rpc_middleware(rpc)
        .build_from_tcp(listener)
        .map_err(|e| RpcStartError::Bind(config.listen, e))?;
    let handle = server.start(module);
    tracing::info!(
        target: "rpc",
        "Running JSON-RPC server: addr={addr}, methods={:?}, allowed origins={}, host filter={}, batches={:?}, rate limit={}",
        config.methods,
        config
            .cors
            .as_ref()
            .map(|o| format!("{o:?}"))
            .unwrap_or_else(|| "any".into()),
        config.host_filter,
        config.batch_requests,
        config
            .rate_limit
            .map(|n| format!("{n}/min per connection"))
            .unwrap_or_else(|| "none".into()),
    );
    Ok(RpcHandle { addr, handle })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_origins_must_be_header_values() {
        assert!(origin_rules(Some(&["http://localhost:3000".to_string()])).is_ok());
        assert!(matches!(
            origin_rules(Some(&["http://bad\norigin".to_string()])),
            Err(RpcStartError::InvalidCors(_))
        ));
        assert!(origin_rules(None).unwrap().is_none());
        assert!(origin_rules(Some(&["http://localhost:*".to_string()])).is_ok());
    }
}
