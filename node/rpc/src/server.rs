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
    pub listen: SocketAddr,
    pub max_connections: u32,
    pub max_request_bytes: u32,
    pub max_response_bytes: u32,
    pub max_subscriptions_per_connection: u32,
    /// Browser origins allowed to call; `None` allows any origin.
    pub cors: Option<Vec<String>>,
    pub methods: RpcMethods,
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum RpcStartError {
    #[error("cannot listen for RPC on {0}: {1}")]
    Bind(SocketAddr, #[source] std::io::Error),
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

fn cors_layer(cors: Option<&[String]>) -> Result<CorsLayer, RpcStartError> {
    let Some(origins) = cors else {
        return Ok(CorsLayer::permissive());
    };
    let origins = origins
        .iter()
        .map(|o| HeaderValue::from_str(o).map_err(|_| RpcStartError::InvalidCors(o.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::POST, Method::GET, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE]))
}

/// Starts serving every method on `config.listen`.
pub async fn start(config: RpcConfig, deps: RpcDeps) -> Result<RpcHandle, RpcStartError> {
    let cors = cors_layer(config.cors.as_deref())?;
    let module = rpc_module(deps, config.methods);
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
    }
}
