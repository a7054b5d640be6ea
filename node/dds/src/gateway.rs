//! The HTTP gateway, served on the RPC port (the node routes `/dds` here before JSON-RPC):
//!
//! - `GET /dds/<cid>` (or `HEAD`) streams the content, as an IPFS gateway does, with its
//!   `Content-Length`; one chunk is in flight at a time, so memory stays bounded.
//! - `POST /dds` stores the request body and answers `{"cid", "size", "shards"}`. Optional
//!   query parameters choose the coding: `?k=10&m=4&chunk=1048576`.
//!
//! Errors answer `{"error": "..."}` with a status that says why: 400 malformed cid, query
//! or empty body; 404 unknown cid; 405 other methods; 413 over the put limit; 503 a chunk
//! without enough shards; 507 the store is full.

use std::{io::Read, sync::Arc};

use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode};
use http_body_util::BodyExt;
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use serde_json::json;

use crate::{Cid, Dds, DdsError, Params};

/// The path prefix the gateway serves.
pub const PREFIX: &str = "/dds";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Whether `path` belongs to the gateway.
pub fn handles(path: &str) -> bool {
    path == PREFIX
        || path
            .strip_prefix(PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The HTTP status for a store error.
pub fn status_of(e: &DdsError) -> StatusCode {
    match e {
        DdsError::MalformedCid(_) | DdsError::InvalidParams(_) | DdsError::Empty => {
            StatusCode::BAD_REQUEST
        }
        DdsError::UnknownCid(_) => StatusCode::NOT_FOUND,
        DdsError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        DdsError::CapacityExceeded { .. } => StatusCode::INSUFFICIENT_STORAGE,
        DdsError::Unavailable { .. } | DdsError::NotEnoughShards { .. } => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn json_response(status: StatusCode, body: serde_json::Value) -> HttpResponse {
    let mut response = HttpResponse::new(HttpBody::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn error_response(e: &DdsError) -> HttpResponse {
    json_response(status_of(e), json!({ "error": e.to_string() }))
}

/// Answers a gateway request.
pub async fn serve(dds: Arc<Dds>, request: HttpRequest) -> HttpResponse {
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    match (method, path.strip_prefix(PREFIX).unwrap_or("")) {
        (Method::POST, "" | "/") => put(dds, request).await,
        (m @ (Method::GET | Method::HEAD), rest) if rest.len() > 1 => {
            get(dds, &rest[1..], m == Method::HEAD).await
        }
        _ => json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({ "error": "use GET /dds/<cid> or POST /dds" }),
        ),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DdsError> + Send + 'static,
) -> Result<T, DdsError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(DdsError::Io(std::io::Error::other(e.to_string()))))
}

/// A chunk handed to hyper without a copy.
struct ChunkBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for ChunkBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

async fn get(dds: Arc<Dds>, cid: &str, head_only: bool) -> HttpResponse {
    let cid: Cid = match cid.parse() {
        Ok(cid) => cid,
        Err(e) => return error_response(&e),
    };
    let (manifest, first) = {
        let dds = dds.clone();
        match blocking(move || {
            let m = dds.manifest(&cid)?;
            // The first chunk is read before answering, so that content this node cannot
            // serve gets a status instead of a cut-off body.
            let first = if head_only {
                None
            } else {
                Some(dds.read_chunk(&cid, &m, 0)?)
            };
            Ok((m, first))
        })
        .await
        {
            Ok(v) => v,
            Err(e) => return error_response(&e),
        }
    };
    let size = manifest.header().size;
    let mut response = if head_only {
        HttpResponse::new(HttpBody::empty())
    } else {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, BoxError>>(2);
        tokio::task::spawn_blocking(move || {
            // Hands one chunk to the body; false once the client went away, or the body
            // ends with the error.
            let send = |index: u32, chunk: Result<Arc<Vec<u8>>, DdsError>| {
                let item = chunk
                    .map(|c| Bytes::from_owner(ChunkBytes(c)))
                    .map_err(|e| -> BoxError { Box::new(e) });
                if let Err(e) = &item {
                    tracing::warn!(target: "dds", %cid, chunk = index, error = %e, "gateway get cut short");
                }
                let failed = item.is_err();
                tx.blocking_send(item).is_ok() && !failed
            };
            if let Some(first) = first {
                if !send(0, Ok(first)) {
                    return;
                }
            }
            dds.stream_chunks(&cid, &manifest, 1, send);
        });
        let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).map_ok_frames();
        HttpResponse::new(HttpBody::new(http_body_util::StreamBody::new(stream)))
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    // Content is immutable: a cid always names the same bytes.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{cid}\"")) {
        headers.insert(header::ETAG, etag);
    }
    response
}

trait FrameStream {
    fn map_ok_frames(
        self,
    ) -> impl futures::Stream<Item = Result<http_body::Frame<Bytes>, BoxError>> + Send;
}

impl<S> FrameStream for S
where
    S: futures::Stream<Item = Result<Bytes, BoxError>> + Send,
{
    fn map_ok_frames(
        self,
    ) -> impl futures::Stream<Item = Result<http_body::Frame<Bytes>, BoxError>> + Send {
        futures::StreamExt::map(self, |r| r.map(http_body::Frame::data))
    }
}

/// Parses `k`, `m` and `chunk` from a query string over the defaults.
fn params_from_query(query: Option<&str>, mut params: Params) -> Result<Params, DdsError> {
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let bad = || DdsError::InvalidParams(format!("bad query parameter {pair:?}"));
        match key {
            "k" => params.k = value.parse().map_err(|_| bad())?,
            "m" => params.m = value.parse().map_err(|_| bad())?,
            "chunk" => params.chunk_size = value.parse().map_err(|_| bad())?,
            _ => return Err(bad()),
        }
    }
    params.validate()?;
    Ok(params)
}

/// Feeds the request body, arriving on a bounded channel, to the synchronous put.
struct BodyReader {
    rx: tokio::sync::mpsc::Receiver<Result<Bytes, String>>,
    current: Bytes,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(bytes)) => self.current = bytes,
                // A body that failed midway must not be stored as if it had ended.
                Some(Err(e)) => return Err(std::io::Error::other(format!("request body: {e}"))),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

async fn put(dds: Arc<Dds>, request: HttpRequest) -> HttpResponse {
    let params = match params_from_query(request.uri().query(), dds.config().params) {
        Ok(p) => p,
        Err(e) => return error_response(&e),
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = declared {
        // Refused before a byte of the body is read.
        if let Err(e) = dds.check_put_size(len, &params) {
            return error_response(&e);
        }
    }
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let put = {
        let dds = dds.clone();
        blocking(move || {
            dds.put(
                BodyReader {
                    rx,
                    current: Bytes::new(),
                },
                params,
                |_| {},
            )
        })
    };
    let mut body = request.into_body();
    let feed = async move {
        while let Some(frame) = body.frame().await {
            let item = match frame {
                Ok(frame) => match frame.into_data() {
                    Ok(data) => Ok(data),
                    Err(_) => continue, // trailers
                },
                Err(e) => Err(e.to_string()),
            };
            let failed = item.is_err();
            // The put stopped reading (it failed, e.g. too large): stop feeding it.
            if tx.send(item).await.is_err() || failed {
                break;
            }
        }
    };
    let ((), result) = futures::join!(feed, put);
    match result {
        Ok(manifest) => json_response(
            StatusCode::OK,
            json!({
                "cid": manifest.cid().to_string(),
                "size": manifest.header().size,
                "shards": manifest.header().shard_count,
            }),
        ),
        Err(e) => error_response(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_paths_and_query_parameters() {
        assert!(handles("/dds") && handles("/dds/") && handles("/dds/0x12"));
        assert!(!handles("/ddsx") && !handles("/") && !handles("/dd"));
        let d = Params::default();
        assert_eq!(params_from_query(None, d).unwrap(), d);
        let p = params_from_query(Some("k=10&m=4&chunk=65536"), d).unwrap();
        assert_eq!((p.k, p.m, p.chunk_size), (10, 4, 65536));
        for bad in ["k=0", "k=x", "m=300", "k=30&m=3", "chunk=1", "z=1"] {
            assert!(params_from_query(Some(bad), d).is_err(), "{bad}");
        }
    }
}
