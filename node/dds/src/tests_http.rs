//! The RPC methods and the gateway, called in process over a temporary store.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use jsonrpsee::server::{HttpBody, HttpRequest};
use serde_json::Value;

use crate::{gateway, rpc, Dds, DdsConfig, Params};

const SMALL: Params = Params {
    chunk_size: 4096,
    k: 4,
    m: 2,
};

fn open(dir: &std::path::Path, max_put_size: u64) -> Arc<Dds> {
    let config = DdsConfig {
        capacity: 1 << 30,
        cache_bytes: 1 << 20,
        max_put_size,
        params: SMALL,
    };
    Arc::new(Dds::open(dir, config).unwrap())
}

async fn call(dds: &Arc<Dds>, method: Method, uri: &str, body: Vec<u8>) -> (StatusCode, Bytes) {
    let mut request = HttpRequest::new(HttpBody::from(body));
    *request.method_mut() = method;
    *request.uri_mut() = uri.parse().unwrap();
    let response = gateway::serve(dds.clone(), request).await;
    let status = response.status();
    (
        status,
        response.into_body().collect().await.unwrap().to_bytes(),
    )
}

fn json(bytes: &Bytes) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[tokio::test]
async fn gateway_post_then_get_streams_identical_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let dds = open(dir.path(), 1 << 20);
    let data: Vec<u8> = (0..(3 * 4096 + 5)).map(|i| (i % 253) as u8).collect();
    let (status, body) = call(&dds, Method::POST, "/dds", data.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let answer = json(&body);
    assert_eq!(answer["size"], data.len());
    assert_eq!(answer["shards"], 24);
    let cid = answer["cid"].as_str().unwrap().to_string();
    let (status, body) = call(&dds, Method::GET, &format!("/dds/{cid}"), vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&body[..], &data[..]);
    // Other parameters give another cid for the same bytes.
    let (status, body) = call(&dds, Method::POST, "/dds?k=2&m=2", data.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(json(&body)["cid"].as_str().unwrap(), cid);
}

#[tokio::test]
async fn gateway_bad_input_gets_clear_statuses_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dds = open(dir.path(), 10_000);
    let unknown = format!("0x{}", "ab".repeat(32));
    for (method, uri, body, expected) in [
        (
            Method::GET,
            "/dds/0x1234".to_string(),
            vec![],
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::GET,
            "/dds/not-a-cid".to_string(),
            vec![],
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::GET,
            format!("/dds/{unknown}"),
            vec![],
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            "/dds".to_string(),
            vec![1u8; 10_001],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            Method::POST,
            "/dds".to_string(),
            vec![],
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::POST,
            "/dds?k=0".to_string(),
            vec![1],
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::DELETE,
            format!("/dds/{unknown}"),
            vec![],
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ] {
        let (status, body) = call(&dds, method.clone(), &uri, body).await;
        assert_eq!(status, expected, "{method} {uri}: {body:?}");
        assert!(json(&body)["error"].is_string(), "{method} {uri}");
    }
    assert_eq!(dds.usage().used, 0);
}

#[tokio::test]
async fn gateway_put_with_declared_oversize_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let dds = open(dir.path(), 10_000);
    let mut request = HttpRequest::new(HttpBody::from(vec![0u8; 10]));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = "/dds".parse().unwrap();
    request
        .headers_mut()
        .insert(http::header::CONTENT_LENGTH, 1_000_000u64.into());
    let response = gateway::serve(dds.clone(), request).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(dds.usage().used, 0);
}

#[tokio::test]
async fn gateway_put_whose_body_fails_midway_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dds = open(dir.path(), 1 << 20);
    // 8 KiB of data, then the connection breaks: not an end of content.
    let frames: Vec<Result<http_body::Frame<Bytes>, std::io::Error>> = vec![
        Ok(http_body::Frame::data(Bytes::from(vec![7u8; 8192]))),
        Err(std::io::Error::other("connection reset")),
    ];
    let body = http_body_util::StreamBody::new(futures::stream::iter(frames));
    let mut request = HttpRequest::new(HttpBody::new(body));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = "/dds".parse().unwrap();
    let response = gateway::serve(dds.clone(), request).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        dds.usage().used,
        0,
        "the chunks already coded were rolled back"
    );
}

#[tokio::test]
async fn rpc_put_get_stat_and_their_errors() {
    let dir = tempfile::tempdir().unwrap();
    let dds = open(dir.path(), 10_000);
    let module = rpc::module(dds.clone());
    let data = vec![42u8; 5000];
    let cid: String = module
        .call("dds_put", [format!("0x{}", hex::encode(&data))])
        .await
        .unwrap();
    let got: String = module.call("dds_get", [cid.clone()]).await.unwrap();
    assert_eq!(got, format!("0x{}", hex::encode(&data)));
    let stat: Value = module.call("dds_stat", [cid.clone()]).await.unwrap();
    assert_eq!(stat["size"], 5000);
    assert_eq!((stat["k"].as_u64(), stat["m"].as_u64()), (Some(4), Some(2)));
    assert_eq!(stat["localShards"], stat["shardCount"]);
    let usage: Value = module.call("dds_stat", Vec::<String>::new()).await.unwrap();
    assert!(usage["used"].as_u64().unwrap() > 0);

    let code = |r: Result<Value, jsonrpsee::MethodsError>| match r {
        Err(jsonrpsee::MethodsError::JsonRpc(e)) => e.code(),
        other => panic!("expected a call error, got {other:?}"),
    };
    let unknown = format!("0x{}", "cd".repeat(32));
    assert_eq!(code(module.call("dds_get", ["0x12"]).await), -32602);
    assert_eq!(code(module.call("dds_get", [unknown.clone()]).await), 7001);
    assert_eq!(code(module.call("dds_stat", [unknown]).await), 7001);
    assert_eq!(code(module.call("dds_put", ["zz"]).await), -32602);
    assert_eq!(code(module.call("dds_put", ["0xzz"]).await), -32602);
    assert_eq!(code(module.call("dds_put", ["0x"]).await), 7005);
    let oversized = format!("0x{}", "00".repeat(10_001));
    let used = dds.usage().used;
    assert_eq!(code(module.call("dds_put", [oversized]).await), 7002);
    assert_eq!(dds.usage().used, used, "an oversized put changes nothing");
}
