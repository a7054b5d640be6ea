//! The HTTP and WebSocket server: jsonrpsee with the configured limits and CORS.
//!
//! jsonrpsee enforces the limits itself: a request body over `max_request_bytes` is
//! answered with an "Oversized request" error (-32007) and the connection stays usable;
//! connections over `max_connections` get HTTP 429 before any JSON-RPC is read, which
//! leaves the admitted connections untouched.

use crate::{rpc_module, RpcDeps, RpcMethods};
use http::{header, HeaderValue, Method};
use jsonrpsee::server::{RandomStringIdProvider, Server, ServerHandle};
use std::net::SocketAddr;
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
    /// Browser origins allowed to call; `None` allows any origin. An origin may end in
    /// `:*` to allow every port of its host (`http://localhost:*`).
    pub cors: Option<Vec<String>>,
    /// Whether unsafe methods are served or refused with -32601.
    pub methods: RpcMethods,
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

/// One allowed origin: exact, or any port of a scheme and host (`http://localhost:*`, as
/// Substrate's default list writes them).
#[derive(Debug, Clone)]
enum OriginRule {
    Exact(HeaderValue),
    AnyPort(String),
}

impl OriginRule {
    fn parse(origin: &str) -> Result<Self, RpcStartError> {
        let invalid = || RpcStartError::InvalidCors(origin.to_string());
        if let Some(base) = origin.strip_suffix(":*") {
            // Validate the rest as a header value too.
            HeaderValue::from_str(base).map_err(|_| invalid())?;
            return Ok(OriginRule::AnyPort(base.to_string()));
        }
        HeaderValue::from_str(origin)
            .map(OriginRule::Exact)
            .map_err(|_| invalid())
    }

    fn matches(&self, origin: &HeaderValue) -> bool {
        match self {
            OriginRule::Exact(allowed) => allowed == origin,
            OriginRule::AnyPort(base) => {
                let Ok(origin) = origin.to_str() else {
                    return false;
                };
                match origin.strip_prefix(base.as_str()) {
                    Some("") => true,
                    Some(rest) => rest.strip_prefix(':').is_some_and(|port| {
                        !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                    }),
                    None => false,
                }
            }
        }
    }
}

fn cors_layer(cors: Option<&[String]>) -> Result<CorsLayer, RpcStartError> {
    let Some(origins) = cors else {
        return Ok(CorsLayer::permissive());
    };
    let rules = origins
        .iter()
        .map(|o| OriginRule::parse(o))
        .collect::<Result<Vec<_>, _>>()?;
    let allow = if rules.iter().all(|r| matches!(r, OriginRule::Exact(_))) {
        AllowOrigin::list(rules.into_iter().filter_map(|r| match r {
            OriginRule::Exact(v) => Some(v),
            OriginRule::AnyPort(_) => None,
        }))
    } else {
        AllowOrigin::predicate(move |origin, _| rules.iter().any(|r| r.matches(origin)))
    };
    Ok(CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::POST, Method::GET, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE]))
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
    let cors = cors_layer(config.cors.as_deref())?;
    let server = Server::builder()
        .max_connections(config.max_connections)
        .max_request_body_size(config.max_request_bytes)
        .max_response_body_size(config.max_response_bytes)
        .max_subscriptions_per_connection(config.max_subscriptions_per_connection)
        .set_id_provider(RandomStringIdProvider::new(SUBSCRIPTION_ID_LEN))
        .set_http_middleware(tower::ServiceBuilder::new().layer(cors))
        .build(config.listen)
        .await
        .map_err(|e| RpcStartError::Bind(config.listen, e))?;
    let addr = server
        .local_addr()
        .map_err(|e| RpcStartError::Bind(config.listen, e))?;
    let handle = server.start(module);
    tracing::info!(
        target: "rpc",
        "Running JSON-RPC server: addr={addr}, methods={:?}, allowed origins={}",
        config.methods,
        config
            .cors
            .as_ref()
            .map(|o| format!("{o:?}"))
            .unwrap_or_else(|| "any".into()),
    );
    Ok(RpcHandle { addr, handle })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_origins_must_be_header_values() {
        assert!(cors_layer(Some(&["http://localhost:3000".to_string()])).is_ok());
        assert!(matches!(
            cors_layer(Some(&["http://bad\norigin".to_string()])),
            Err(RpcStartError::InvalidCors(_))
        ));
        assert!(cors_layer(None).is_ok());
        assert!(cors_layer(Some(&["http://localhost:*".to_string()])).is_ok());
    }

    #[test]
    fn wildcard_port_matches_any_port_of_that_host_only() {
        let rule = OriginRule::parse("http://localhost:*").unwrap();
        let m = |o: &str| rule.matches(&HeaderValue::from_str(o).unwrap());
        assert!(m("http://localhost:3000"));
        assert!(m("http://localhost"));
        assert!(!m("http://localhost:"));
        assert!(!m("http://localhost:30x0"));
        assert!(!m("http://localhost.evil.example"));
        assert!(!m("http://localhost.evil.example:80"));
        assert!(!m("https://localhost:3000"));
        let exact = OriginRule::parse("https://polkadot.js.org").unwrap();
        assert!(exact.matches(&HeaderValue::from_static("https://polkadot.js.org")));
        assert!(!exact.matches(&HeaderValue::from_static("https://polkadot.js.org.evil")));
    }
}
