//! The server's own middleware, around jsonrpsee's:
//! - HTTP: [`OriginFilterLayer`] refuses, with 403, a request or WebSocket upgrade from a
//!   browser origin that `--rpc-cors` does not allow (tower-http's CORS layer only
//!   withholds the response headers, which stops nothing: the call has run, and browsers
//!   apply no CORS at all to a WebSocket handshake).
//! - JSON-RPC: [`RateLimitLayer`] (`--rpc-rate-limit`) and [`EarlyUnsubscribeLayer`],
//!   which honours an unsubscribe that arrives before jsonrpsee has recorded the
//!   subscription (see [`crate::subscription::accept`]).

use crate::subscription;
use http::{header, HeaderValue, StatusCode};
use jsonrpsee::{
    server::{middleware::rpc::RpcServiceT, HttpBody, HttpRequest, HttpResponse},
    types::{Request, SubscriptionId},
    ConnectionId, MethodResponse, ResponsePayload,
};
use std::{
    collections::HashSet,
    future::Future,
    num::NonZeroU32,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};
use tokio::time::Instant;
use tower::{BoxError, Layer, Service};

/// One allowed origin: exact, or any port of a scheme and host (`http://localhost:*`, as
/// Substrate's default list writes them).
#[derive(Debug, Clone)]
pub(crate) enum OriginRule {
    Exact(HeaderValue),
    AnyPort(String),
}

impl OriginRule {
    /// `None` when `origin` is not a valid header value.
    pub(crate) fn parse(origin: &str) -> Option<Self> {
        if let Some(base) = origin.strip_suffix(":*") {
            // Validate the rest as a header value too.
            HeaderValue::from_str(base).ok()?;
            return Some(OriginRule::AnyPort(base.to_string()));
        }
        HeaderValue::from_str(origin).ok().map(OriginRule::Exact)
    }

    pub(crate) fn matches(&self, origin: &HeaderValue) -> bool {
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

/// Refuses requests whose `Origin` no rule allows; `None` rules allow any origin.
/// Requests without an `Origin` (curl, subxt, anything that is not a browser) pass: the
/// header is how a browser says that a web page makes the request.
#[derive(Debug, Clone)]
pub(crate) struct OriginFilterLayer(pub(crate) Option<Arc<[OriginRule]>>);

impl<S> Layer<S> for OriginFilterLayer {
    type Service = OriginFilter<S>;

    fn layer(&self, inner: S) -> OriginFilter<S> {
        OriginFilter {
            inner,
            rules: self.0.clone(),
        }
    }
}

/// See [`OriginFilterLayer`].
#[derive(Debug, Clone)]
pub(crate) struct OriginFilter<S> {
    inner: S,
    rules: Option<Arc<[OriginRule]>>,
}

type BoxedHttp = Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send>>;

impl<S, B> Service<HttpRequest<B>> for OriginFilter<S>
where
    S: Service<HttpRequest<B>, Response = HttpResponse>,
    S::Error: Into<BoxError> + 'static,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = BoxedHttp;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: HttpRequest<B>) -> BoxedHttp {
        if let (Some(rules), Some(origin)) = (&self.rules, request.headers().get(header::ORIGIN)) {
            if !rules.iter().any(|r| r.matches(origin)) {
                tracing::debug!(
                    target: "rpc",
                    "Refused a request from origin {origin:?}: not allowed by --rpc-cors"
                );
                return Box::pin(async { Ok(origin_not_allowed()) });
            }
        }
        let response = self.inner.call(request);
        Box::pin(async move { response.await.map_err(Into::into) })
    }
}

fn origin_not_allowed() -> HttpResponse {
    let mut response = HttpResponse::new(HttpBody::from(
        "Origin not allowed: see the node's --rpc-cors.\n",
    ));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

type BoxedCall<'a> = Pin<Box<dyn Future<Output = MethodResponse> + Send + 'a>>;

/// `--rpc-rate-limit`: at most `n` calls a minute on each connection, in bursts of up to
/// `n`. A call over the limit waits for its turn, as in Substrate; it is not refused.
/// jsonrpsee builds the JSON-RPC middleware once per WebSocket connection and once per
/// HTTP request, so over HTTP the limit applies to each request's batch, as it does in
/// Substrate; `--rpc-max-connections` bounds how many of those run at once.
#[derive(Debug, Clone)]
pub(crate) struct RateLimitLayer(pub(crate) Option<NonZeroU32>);

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, service: S) -> RateLimit<S> {
        RateLimit {
            service,
            quota: self.0.map(|n| Arc::new(Mutex::new(Gcra::per_minute(n)))),
        }
    }
}

/// See [`RateLimitLayer`].
#[derive(Debug, Clone)]
pub(crate) struct RateLimit<S> {
    service: S,
    quota: Option<Arc<Mutex<Gcra>>>,
}

/// The generic cell rate algorithm, with reservations: each call takes the next free
/// turn, so waiting calls are served in order.
#[derive(Debug)]
struct Gcra {
    /// Time between two calls at the sustained rate.
    interval: Duration,
    /// How far ahead of the sustained rate a burst may run.
    tolerance: Duration,
    /// When the next call would be on schedule at the sustained rate.
    next: Option<Instant>,
}

impl Gcra {
    fn per_minute(n: NonZeroU32) -> Self {
        let interval = Duration::from_secs(60) / n.get();
        Self {
            interval,
            tolerance: interval * (n.get() - 1),
            next: None,
        }
    }

    /// Takes a turn; returns when it is, if that is later than `now`.
    fn reserve(&mut self, now: Instant) -> Option<Instant> {
        let next = self.next.map_or(now, |next| next.max(now));
        let turn = next.checked_sub(self.tolerance).unwrap_or(now).max(now);
        self.next = Some(next + self.interval);
        (turn > now).then_some(turn)
    }
}

impl<'a, S> RpcServiceT<'a> for RateLimit<S>
where
    S: RpcServiceT<'a> + Send + Sync + Clone + 'static,
{
    type Future = BoxedCall<'a>;

    fn call(&self, request: Request<'a>) -> BoxedCall<'a> {
        let turn = self.quota.as_ref().and_then(|quota| {
            // A poisoned lock only means another call panicked while holding it; the
            // state is a time and stays valid.
            let mut quota = quota.lock().unwrap_or_else(|e| e.into_inner());
            quota.reserve(Instant::now())
        });
        let service = self.service.clone();
        Box::pin(async move {
            if let Some(turn) = turn {
                tracing::debug!(
                    target: "rpc",
                    "Rate limit: {} waits {:?} for its turn",
                    request.method_name(),
                    turn - Instant::now()
                );
                tokio::time::sleep_until(turn).await;
            }
            service.call(request).await
        })
    }
}

/// Gives unsubscribe methods a second chance: see [`crate::subscription::accept`].
#[derive(Debug, Clone)]
pub(crate) struct EarlyUnsubscribeLayer {
    /// The unsubscribe methods (and their aliases) of the module served.
    pub(crate) methods: Arc<HashSet<String>>,
}

impl<S> Layer<S> for EarlyUnsubscribeLayer {
    type Service = EarlyUnsubscribe<S>;

    fn layer(&self, service: S) -> EarlyUnsubscribe<S> {
        EarlyUnsubscribe {
            service,
            methods: self.methods.clone(),
        }
    }
}

/// See [`EarlyUnsubscribeLayer`].
#[derive(Debug, Clone)]
pub(crate) struct EarlyUnsubscribe<S> {
    service: S,
    methods: Arc<HashSet<String>>,
}

impl<'a, S> RpcServiceT<'a> for EarlyUnsubscribe<S>
where
    S: RpcServiceT<'a> + Send + Sync + Clone + 'static,
{
    type Future = BoxedCall<'a>;

    fn call(&self, request: Request<'a>) -> BoxedCall<'a> {
        let service = self.service.clone();
        if !self.methods.contains(request.method_name()) {
            return Box::pin(async move { service.call(request).await });
        }
        Box::pin(async move {
            let conn = request.extensions().get::<ConnectionId>().copied();
            let sub_id = request
                .params()
                .one::<SubscriptionId>()
                .ok()
                .map(SubscriptionId::into_owned);
            let response = service.call(request.clone()).await;
            let (Some(conn), Some(sub_id)) = (conn, sub_id) else {
                return response;
            };
            if !answered_false(&response) {
                return response;
            }
            match subscription::cancel_if_accepting(conn, &sub_id) {
                subscription::Cancel::Cancelled => {
                    tracing::debug!(
                        target: "rpc",
                        "{}: subscription {sub_id:?} ends as soon as it is recorded",
                        request.method_name()
                    );
                    MethodResponse::response(
                        request.id().into_owned(),
                        ResponsePayload::success(true),
                        usize::MAX,
                    )
                }
                // Recorded meanwhile (or never ours): this call now finds it if it exists.
                subscription::Cancel::NotAccepting => service.call(request).await,
            }
        })
    }
}

/// Whether `response` is jsonrpsee's `false`: "no such subscription".
fn answered_false(response: &MethodResponse) -> bool {
    response.is_success()
        && serde_json::from_str::<serde_json::Value>(response.as_result())
            .is_ok_and(|v| v.get("result") == Some(&serde_json::Value::Bool(false)))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn gcra_allows_a_burst_then_one_call_per_interval() {
        let mut gcra = Gcra::per_minute(NonZeroU32::new(3).unwrap());
        let t0 = Instant::now();
        assert_eq!(gcra.reserve(t0), None);
        assert_eq!(gcra.reserve(t0), None);
        assert_eq!(gcra.reserve(t0), None);
        // The fourth waits one interval (20 s); the fifth queues behind it.
        assert_eq!(gcra.reserve(t0), Some(t0 + Duration::from_secs(20)));
        assert_eq!(gcra.reserve(t0), Some(t0 + Duration::from_secs(40)));
        // Long idle: a full burst again.
        let later = t0 + Duration::from_secs(600);
        for _ in 0..3 {
            assert_eq!(gcra.reserve(later), None);
        }
        assert!(gcra.reserve(later).is_some());
    }
}

/// HTTP paths that the RPC port serves besides JSON-RPC (the data store's gateway, `/dds`).
/// They sit behind the host and origin filters, like JSON-RPC.
pub trait HttpRoutes: Send + Sync + 'static {
    /// Whether a request for `path` is ours; all others go to JSON-RPC.
    fn handles(&self, path: &str) -> bool;
    /// Answers a request whose path [`HttpRoutes::handles`].
    fn call(&self, request: HttpRequest) -> Pin<Box<dyn Future<Output = HttpResponse> + Send>>;
}

/// Sends the requests that [`HttpRoutes`] handles to them, and the rest on.
#[derive(Clone)]
pub(crate) struct RoutesLayer(pub(crate) Option<Arc<dyn HttpRoutes>>);

impl<S> Layer<S> for RoutesLayer {
    type Service = Routes<S>;

    fn layer(&self, inner: S) -> Routes<S> {
        Routes {
            inner,
            routes: self.0.clone(),
        }
    }
}

/// See [`RoutesLayer`].
#[derive(Clone)]
pub(crate) struct Routes<S> {
    inner: S,
    routes: Option<Arc<dyn HttpRoutes>>,
}

impl<S, B> Service<HttpRequest<B>> for Routes<S>
where
    S: Service<HttpRequest<B>, Response = HttpResponse>,
    S::Error: Into<BoxError> + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = BoxedHttp;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: HttpRequest<B>) -> BoxedHttp {
        if let Some(routes) = &self.routes {
            if routes.handles(request.uri().path()) {
                let response = routes.call(request.map(HttpBody::new));
                return Box::pin(async move { Ok(response.await) });
            }
        }
        let response = self.inner.call(request);
        Box::pin(async move { response.await.map_err(Into::into) })
    }
}
