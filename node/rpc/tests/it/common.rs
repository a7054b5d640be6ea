//! A real node's RPC for tests: a dev-chain `Client` on RocksDB in a temporary directory,
//! a real pool with its maintenance task, an in-memory keystore, and the server on
//! 127.0.0.1 with a free port. Blocks are built and imported the way the node's author
//! does it (see node/client/tests/it/executor.rs).

use echonet_client::Client;
use echonet_rpc::{NoNetwork, RpcConfig, RpcDeps, RpcHandle, RpcMethods, SystemInfo};
use echonet_test_utils::{open_dev_client_with, pool_ready_set, signed_transfer, within, NewBlock};
use echonet_txpool::{Pool, PoolConfig};
use jsonrpsee::{
    core::client::ClientT,
    ws_client::{WsClient, WsClientBuilder},
};
use serde_json::Value;
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use sp_keystore::testing::MemoryKeystore;
use std::{
    future::Future,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every await in these tests is bounded by this.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Awaits `f`, failing the test if it takes longer than [`TIMEOUT`].
pub async fn bounded<T>(f: impl Future<Output = T>) -> T {
    within(TIMEOUT, "the server did not answer", f).await
}

pub struct TestNode {
    pub dir: tempfile::TempDir,
    pub client: Arc<Client>,
    pub pool: Arc<Pool>,
    pub keystore: Arc<MemoryKeystore>,
    pub handle: RpcHandle,
    /// What the server was started with, to build in-process modules from.
    pub deps: RpcDeps,
    next_slot: AtomicU64,
}

pub fn default_config() -> RpcConfig {
    RpcConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        max_connections: 100,
        max_request_bytes: 15 * 1024 * 1024,
        max_response_bytes: 15 * 1024 * 1024,
        max_subscriptions_per_connection: 1024,
        cors: None,
        methods: RpcMethods::Unsafe,
        host_filter: true,
        batch_requests: echonet_rpc::BatchRequestConfig::Unlimited,
        rate_limit: None,
    }
}

impl TestNode {
    pub async fn start(methods: RpcMethods) -> Self {
        Self::start_with(RpcConfig {
            methods,
            ..default_config()
        })
        .await
    }

    pub async fn start_with(config: RpcConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let spec = echonet_client::ChainSpec::development().unwrap();
        let client = open_dev_client_with(dir.path(), |c| c.trie_cache_bytes = 16 * 1024 * 1024);
        let keystore = Arc::new(MemoryKeystore::new());
        client.set_keystore(keystore.clone());
        let pool = Pool::new(PoolConfig::default(), client.clone());
        tokio::spawn(pool.clone().run_maintenance());
        let deps = RpcDeps {
            client: client.clone(),
            pool: pool.clone(),
            keystore: keystore.clone(),
            system: SystemInfo {
                impl_name: "echonet-node".into(),
                impl_version: "0.1.0-test".into(),
                chain_name: spec.name.clone(),
                chain_type: spec.chain_type.clone(),
                properties: spec.properties.clone(),
                is_validator: true,
            },
            network: Arc::new(NoNetwork::new(
                client.clone(),
                "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp".into(),
                &spec.chain_type,
            )),
        };
        let handle = echonet_rpc::start(config, deps.clone()).await.unwrap();
        Self {
            dir,
            client,
            pool,
            keystore,
            handle,
            deps,
            // Slots in the past, so that tests may author many blocks without waiting.
            next_slot: AtomicU64::new(echonet_test_utils::past_slot(10_000)),
        }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.handle.local_addr())
    }

    pub async fn ws(&self) -> WsClient {
        bounded(
            WsClientBuilder::default()
                .request_timeout(TIMEOUT)
                .build(self.ws_url()),
        )
        .await
        .unwrap()
    }

    pub fn genesis(&self) -> H256 {
        self.client.info().genesis_hash
    }

    /// SCALE bytes of a transfer of 1 ECHO from Alice to Bob.
    pub fn transfer(&self, nonce: u32) -> Vec<u8> {
        transfer_from(self, &Sr25519Keyring::Alice.pair(), nonce)
    }

    /// Authors a block on the best block with the pool's ready transactions (and `extra`),
    /// imports it as our own, and returns its hash. The ready set is taken once the pool has
    /// processed the best block, so that it never holds a transaction already in the chain.
    pub async fn author_block_with(&self, extra: Vec<Vec<u8>>, finalize: bool) -> H256 {
        let slot = self.next_slot.fetch_add(1, Ordering::SeqCst);
        let client = self.client.clone();
        let ready = pool_ready_set(&self.pool, &self.client).await;
        bounded(tokio::task::spawn_blocking(move || {
            NewBlock::new(&client, slot)
                .with(ready)
                .with_encoded(extra)
                .seal()
                .import_own(&client, finalize)
        }))
        .await
        .unwrap()
    }

    /// Authors `n` empty blocks on a blocking thread, as fast as they build.
    pub async fn author_empty_blocks(&self, n: u64) -> H256 {
        let first = self.next_slot.fetch_add(n, Ordering::SeqCst);
        let client = self.client.clone();
        tokio::time::timeout(
            Duration::from_secs(300),
            tokio::task::spawn_blocking(move || {
                let mut last = H256::zero();
                for slot in first..first + n {
                    last = NewBlock::new(&client, slot).import();
                }
                last
            }),
        )
        .await
        .expect("authoring took too long")
        .unwrap()
    }

    pub async fn author_block(&self, finalize: bool) -> H256 {
        self.author_block_with(Vec::new(), finalize).await
    }

    /// A JSON-RPC call over HTTP that returns the whole response object, error or not.
    pub async fn raw_call(&self, method: &str, params: Value) -> Value {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let resp = bounded(http_post(
            self.handle.local_addr(),
            &[],
            body.to_string().as_bytes(),
        ))
        .await;
        serde_json::from_slice(&resp.body).unwrap_or_else(|e| {
            panic!(
                "{method}: not JSON ({e}): {}",
                String::from_utf8_lossy(&resp.body)
            )
        })
    }

    /// The `result` of a successful call.
    pub async fn call_ok(&self, method: &str, params: Value) -> Value {
        let resp = self.raw_call(method, params).await;
        assert!(resp.get("error").is_none(), "{method} failed: {resp}");
        resp["result"].clone()
    }

    /// The `error` of a failed call.
    pub async fn call_err(&self, method: &str, params: Value) -> Value {
        let resp = self.raw_call(method, params).await;
        assert!(
            resp.get("error").is_some(),
            "{method} should have failed: {resp}"
        );
        resp["error"].clone()
    }
}

pub fn transfer_from(node: &TestNode, from: &sp_core::sr25519::Pair, nonce: u32) -> Vec<u8> {
    signed_transfer(
        node.genesis(),
        from,
        Sr25519Keyring::Bob.to_account_id(),
        echonet_runtime::UNITS,
        nonce,
        0,
    )
}

pub fn hex(bytes: &[u8]) -> String {
    format!("0x{}", ::hex::encode(bytes))
}

pub fn unhex(s: &Value) -> Vec<u8> {
    let s = s.as_str().unwrap_or_else(|| panic!("not a string: {s}"));
    ::hex::decode(s.strip_prefix("0x").expect("0x prefix")).unwrap()
}

/// A raw HTTP response.
pub struct HttpResponse {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

/// POSTs `body` with raw HTTP/1.1 on a fresh connection and reads the whole response.
/// Writing may fail when the server answers (and closes) before reading everything, as it
/// does for oversized bodies; the response is what matters.
pub async fn http_post(
    addr: std::net::SocketAddr,
    extra_headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra_headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    let (mut reader, mut writer) = stream.split();
    let write = async {
        let _ = writer.write_all(&request).await;
        let _ = writer.flush().await;
    };
    let mut raw = Vec::new();
    let read = reader.read_to_end(&mut raw);
    let (_, read) = tokio::join!(write, read);
    // A reset after the response was sent still leaves the response in `raw`.
    let _ = read;
    parse_response(&raw)
}

/// Sends raw request bytes and reads the response, for requests that are not POSTs.
pub async fn http_raw(addr: std::net::SocketAddr, request: &str) -> HttpResponse {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    parse_response(&raw)
}

/// Parses a raw response; a connection closed without one gives status 0.
pub fn parse_response(raw: &[u8]) -> HttpResponse {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        assert!(
            raw.is_empty(),
            "not an HTTP response: {:?}",
            String::from_utf8_lossy(raw)
        );
        return HttpResponse {
            status: 0,
            headers: String::new(),
            body: Vec::new(),
        };
    };
    let headers = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut body = raw[split + 4..].to_vec();
    if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    HttpResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..eol]).unwrap().trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&raw[start..start + size]);
        raw = &raw[start + size + 2..];
    }
}

/// Calls a method through a jsonrpsee client, bounded.
pub async fn request<C: ClientT, R: serde::de::DeserializeOwned>(
    client: &C,
    method: &str,
    params: jsonrpsee::core::params::ArrayParams,
) -> Result<R, jsonrpsee::core::ClientError> {
    bounded(client.request(method, params)).await
}

/// The encoded `System::Account` key of an account.
pub fn account_key(who: &echonet_runtime::AccountId) -> Vec<u8> {
    echonet_runtime::storage_keys::system_account(who)
}
