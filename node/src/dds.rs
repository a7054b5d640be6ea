//! The distributed data store in the node (issue 17; crate `echonet-dds`): the store's
//! configuration from the `--dds-*` flags, the HTTP gateway hooked into the RPC port, and
//! the `echonet-node dds put|get` commands, which talk to a running node's gateway.

use std::{
    fs,
    io::{BufRead, BufReader, Read, Write},
    net::{TcpStream, ToSocketAddrs},
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use echonet_client::Client;
use echonet_dds::{remote::Assigned, Cid, Dds, DdsConfig};
use echonet_network::{NetworkHandle, PeerId};

use crate::cli::RunCmd;

const MIB: u64 = 1024 * 1024;

/// Opens the node's store under `<base>/chains/<id>/dds`.
pub fn open(cmd: &RunCmd, config_dir: &Path) -> anyhow::Result<Arc<Dds>> {
    let config = DdsConfig {
        capacity: cmd.dds_capacity.saturating_mul(MIB),
        cache_bytes: usize::try_from(cmd.dds_cache_size.saturating_mul(MIB)).unwrap_or(usize::MAX),
        max_put_size: cmd.dds_max_put_size.saturating_mul(MIB),
        params: Default::default(),
    };
    let dir = config_dir.join("dds");
    let dds = Dds::open(&dir, config)
        .with_context(|| format!("cannot open the data store in {}", dir.display()))?;
    let usage = dds.usage();
    tracing::info!(
        target: "dds",
        "📦 Data store in {}: {} of {} MiB used, cache {} MiB",
        dir.display(),
        usage.used / MIB,
        usage.capacity / MIB,
        cmd.dds_cache_size
    );
    Ok(Arc::new(dds))
}

/// `--dds-scrub-rate`'s default, in MiB/s: a pass over a full default store (10 GiB)
/// takes about 20 minutes.
pub const DEFAULT_SCRUB_MIB: u64 = 8;
/// A scrub pass starts at most this often.
const SCRUB_PASS_INTERVAL: Duration = Duration::from_secs(3600);

/// Rereads every stored shard in turn, within `--dds-scrub-rate` (one step a second), a
/// pass at most every [`SCRUB_PASS_INTERVAL`]: shards served to peers are hashed only when
/// their files change ([`echonet_dds::store::Store::serve_shard`]), so this is what finds
/// the ones that decay on disk. A corrupt shard is dropped, and repair replaces it. Stops
/// with the runtime, or when the store is closed.
pub fn spawn_scrub(cmd: &RunCmd, dds: &Arc<Dds>) {
    let budget = cmd.dds_scrub_rate.saturating_mul(MIB);
    if budget == 0 {
        tracing::info!(target: "dds", "Scrub of the stored shards off (--dds-scrub-rate 0)");
        return;
    }
    let dds = Arc::downgrade(dds);
    tokio::spawn(async move {
        let mut after = None;
        let mut pass = echonet_dds::store::Scrubbed::default();
        let mut started = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let Some(store) = dds.upgrade() else { return };
            let step = tokio::task::spawn_blocking(move || store.store().scrub(after, budget));
            let done = match step.await {
                Ok(Ok(done)) => done,
                Ok(Err(e)) => {
                    tracing::warn!(target: "dds", error = %e, "Scrub step failed; retrying");
                    continue;
                }
                Err(_) => return, // the runtime is shutting down
            };
            pass.add(&done);
            after = done.next;
            if after.is_some() {
                continue;
            }
            if pass.dropped > 0 {
                tracing::warn!(
                    target: "dds",
                    "🧽 Scrub found {} of {} shards corrupt or missing and dropped them (repair replaces what this node is assigned)",
                    pass.dropped,
                    pass.shards
                );
            } else if pass.shards > 0 {
                tracing::info!(
                    target: "dds",
                    "🧽 Scrubbed {} shards ({} MiB) in {:.0?}: all intact",
                    pass.shards,
                    pass.bytes / MIB,
                    started.elapsed()
                );
            }
            tokio::time::sleep(SCRUB_PASS_INTERVAL.saturating_sub(started.elapsed())).await;
            pass = Default::default();
            started = Instant::now();
        }
    });
}

// The network's caps on data store messages are the store's.
const _: () = assert!(echonet_network::MAX_DDS_PAYLOAD == echonet_dds::protocol::MAX_WIRE_PAYLOAD);
const _: () =
    assert!(echonet_network::MAX_DDS_REQUEST_SIZE == echonet_dds::protocol::MAX_REQUEST_SIZE);
const _: () =
    assert!(echonet_network::MAX_DDS_RESPONSE_SIZE == echonet_dds::protocol::MAX_RESPONSE_SIZE);

/// Connects the store to the network: peers' shard requests are answered by its server
/// (within its per-peer limits; stores accepted with `--dds-provider`), its puts and gets
/// reach the peers (a get asks the holders the chain assigned first, then the providers
/// Kademlia knows, then the other peers), and the content it holds is announced in
/// Kademlia.
pub fn join_network(cmd: &RunCmd, dds: &Arc<Dds>, net: &NetworkHandle, client: Arc<Client>) {
    let server = echonet_dds::protocol::Server::new(dds.clone(), Default::default())
        .accepting_stores(cmd.dds_provider);
    net.set_dds_handler(Arc::new(ShardServer(server)));
    dds.connect(echonet_dds::remote::Remote::new(
        Arc::new(NetTransport {
            net: net.clone(),
            client,
        }),
        tokio::runtime::Handle::current(),
    ));
    if cmd.dds_provider {
        tracing::info!(target: "dds", "📦 Storing shards for peers (--dds-provider)");
    }
}

struct ShardServer(echonet_dds::protocol::Server<PeerId>);

impl echonet_network::DdsHandler for ShardServer {
    fn handle(&self, peer: &PeerId, request: &[u8]) -> Vec<u8> {
        self.0.answer(peer, request, Instant::now())
    }
}

/// The address range ([`echonet_dds::remote::ip_group`]) of a peer's remote address, if it
/// starts with an IP address (not a DNS name, nor loopback).
fn address_ip_group(address: &echonet_network::Multiaddr) -> Option<echonet_dds::remote::IpGroup> {
    let text = address.to_string();
    let mut parts = text.split('/').skip(1);
    match (parts.next()?, parts.next()?) {
        ("ip4" | "ip6", ip) => echonet_dds::remote::ip_group(ip.parse().ok()?),
        _ => None,
    }
}

/// The store's transport: libp2p through the network's handle, and the chain for the
/// assignments.
struct NetTransport {
    net: NetworkHandle,
    client: Arc<Client>,
}

impl echonet_dds::remote::Transport for NetTransport {
    fn local(&self) -> Vec<u8> {
        self.net.local_peer_id().to_bytes()
    }

    fn peers(&self) -> echonet_dds::remote::BoxFuture<Vec<Vec<u8>>> {
        let net = self.net.clone();
        Box::pin(async move {
            net.peers()
                .await
                .into_iter()
                .map(|p| p.peer_id.to_bytes())
                .collect()
        })
    }

    fn ip_groups(
        &self,
    ) -> echonet_dds::remote::BoxFuture<
        std::collections::HashMap<Vec<u8>, echonet_dds::remote::IpGroup>,
    > {
        let net = self.net.clone();
        Box::pin(async move {
            net.peers()
                .await
                .into_iter()
                .filter_map(|p| Some((p.peer_id.to_bytes(), address_ip_group(&p.address)?)))
                .collect()
        })
    }

    fn request(
        &self,
        peer: Vec<u8>,
        request: Vec<u8>,
    ) -> echonet_dds::remote::BoxFuture<Result<Vec<u8>, String>> {
        let net = self.net.clone();
        Box::pin(async move {
            let peer = PeerId::from_bytes(&peer).map_err(|e| e.to_string())?;
            net.request_dds(peer, request)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn providers(&self, cid: Cid) -> echonet_dds::remote::BoxFuture<Vec<Vec<u8>>> {
        let net = self.net.clone();
        Box::pin(async move {
            net.get_providers(echonet_network::dds_provider_key(&cid.0))
                .await
                .into_iter()
                .map(|p| p.to_bytes())
                .collect()
        })
    }

    fn assigned(&self, cid: Cid) -> echonet_dds::remote::BoxFuture<Vec<Assigned>> {
        let client = self.client.clone();
        Box::pin(async move {
            let read = tokio::task::spawn_blocking(move || {
                crate::dds_chain::assigned_holders(&client, &cid)
            });
            match read.await {
                Ok(Ok(holders)) => holders
                    .into_iter()
                    .filter(|h| PeerId::from_bytes(&h.peer).is_ok())
                    .collect(),
                Ok(Err(e)) => {
                    tracing::debug!(target: "dds", %cid, error = %e, "reading the assignments");
                    Vec::new()
                }
                Err(_) => Vec::new(),
            }
        })
    }

    fn announce(&self, cids: Vec<Cid>) {
        self.net.start_providing(
            cids.iter()
                .map(|cid| echonet_network::dds_provider_key(&cid.0))
                .collect(),
        );
    }
}

/// The gateway's routes on the RPC port.
pub struct Gateway(pub Arc<Dds>);

impl echonet_rpc::HttpRoutes for Gateway {
    fn handles(&self, path: &str) -> bool {
        echonet_dds::gateway::handles(path)
    }

    fn call(
        &self,
        request: jsonrpsee::server::HttpRequest,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = jsonrpsee::server::HttpResponse> + Send>>
    {
        Box::pin(echonet_dds::gateway::serve(self.0.clone(), request))
    }
}

/// `echonet-node dds …`: store and fetch content through a running node.
#[derive(Debug, Subcommand)]
pub enum DdsCmd {
    /// Store a file; prints its content id.
    Put(PutCmd),
    /// Fetch content by id into a file.
    Get(GetCmd),
}

/// `dds put FILE`.
#[derive(Debug, Args)]
pub struct PutCmd {
    /// The file to store.
    pub file: PathBuf,
    /// Data shards per chunk (default: the node's, 4).
    #[arg(long)]
    pub k: Option<u8>,
    /// Parity shards per chunk (default: the node's, 2).
    #[arg(long)]
    pub m: Option<u8>,
    #[command(flatten)]
    pub conn: Connection,
}

/// `dds get CID -o FILE`.
#[derive(Debug, Args)]
pub struct GetCmd {
    /// The content id (`0x` and 64 hex digits).
    pub cid: String,
    /// Where to write the content (written to FILE.part first, renamed when complete).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub conn: Connection,
}

/// Which node to talk to.
#[derive(Debug, Args)]
pub struct Connection {
    /// The node's RPC address (its HTTP gateway is on the RPC port).
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:9944")]
    pub url: String,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(cmd: &DdsCmd) -> anyhow::Result<()> {
    match cmd {
        DdsCmd::Put(c) => put(c),
        DdsCmd::Get(c) => get(c),
    }
}

/// `host:port` of an `http://host:port[/]` URL.
fn authority(url: &str) -> anyhow::Result<String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("--url must start with http:// (got {url:?})"))?;
    let host = rest.trim_end_matches('/');
    if host.is_empty() || host.contains('/') {
        bail!("--url must be http://host:port (got {url:?})");
    }
    Ok(if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:80")
    })
}

fn connect(url: &str) -> anyhow::Result<(TcpStream, String)> {
    let host = authority(url)?;
    let addr = host
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {host}"))?
        .next()
        .ok_or_else(|| anyhow!("{host} resolves to no address"))?;
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .with_context(|| format!("cannot connect to the node at {url}: is it running?"))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    Ok((stream, host))
}

/// A progress bar on stderr, redrawn at most ten times a second.
struct Progress {
    total: u64,
    quiet: bool,
    started: Instant,
    drawn: Option<Instant>,
}

impl Progress {
    fn new(total: u64, quiet: bool) -> Self {
        let quiet = quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr());
        Progress {
            total,
            quiet,
            started: Instant::now(),
            drawn: None,
        }
    }

    fn update(&mut self, done: u64) {
        if self.quiet
            || self
                .drawn
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.draw(done);
    }

    fn draw(&mut self, done: u64) {
        self.drawn = Some(Instant::now());
        let width = 30u64;
        let filled = (done.min(self.total) * width)
            .checked_div(self.total)
            .unwrap_or(width);
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        eprint!(
            "\r[{}{}] {:>3}% {:.1}/{:.1} MiB {:.1} MiB/s ",
            "#".repeat(filled as usize),
            " ".repeat((width - filled) as usize),
            (done * 100).checked_div(self.total).unwrap_or(100),
            done as f64 / MIB as f64,
            self.total as f64 / MIB as f64,
            done as f64 / MIB as f64 / secs
        );
    }

    fn finish(&mut self, done: u64) {
        if !self.quiet {
            self.draw(done);
            eprintln!();
        }
    }
}

/// Reads a response head: the status code and the headers (lower-cased names).
fn read_head(reader: &mut impl BufRead) -> anyhow::Result<(u16, Vec<(String, String)>)> {
    let mut line = String::new();
    let mut head_bytes = 0usize;
    let mut next_line = |reader: &mut dyn BufRead, line: &mut String| -> anyhow::Result<()> {
        line.clear();
        let n = reader.take(8192).read_line(line)?;
        head_bytes += n;
        if n == 0 || head_bytes > 64 * 1024 {
            bail!("the node sent a malformed HTTP response");
        }
        Ok(())
    };
    next_line(reader, &mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| anyhow!("the node sent a malformed status line: {line:?}"))?;
    let mut headers = Vec::new();
    loop {
        next_line(reader, &mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    Ok((status, headers))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The body of a small (error or JSON) response, bounded.
fn small_body(reader: &mut impl Read) -> String {
    let mut body = Vec::new();
    let _ = reader.take(64 * 1024).read_to_end(&mut body);
    String::from_utf8_lossy(&body).into_owned()
}

fn error_text(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_else(|| body.trim().to_string())
}

fn put(cmd: &PutCmd) -> anyhow::Result<()> {
    let cid = put_with(cmd)?;
    println!("{cid}");
    Ok(())
}

/// Puts `file` through the gateway of the node at `url` (default parameters, no progress
/// bar); returns the cid (`benchmark dds-get`).
pub fn put_file(file: &Path, url: &str) -> anyhow::Result<String> {
    put_with(&PutCmd {
        file: file.to_path_buf(),
        k: None,
        m: None,
        conn: Connection {
            url: url.to_string(),
            quiet: true,
        },
    })
}

fn put_with(cmd: &PutCmd) -> anyhow::Result<String> {
    let mut file =
        fs::File::open(&cmd.file).with_context(|| format!("cannot open {}", cmd.file.display()))?;
    let size = file.metadata()?.len();
    let (mut stream, host) = connect(&cmd.conn.url)?;
    let mut query = Vec::new();
    if let Some(k) = cmd.k {
        query.push(format!("k={k}"));
    }
    if let Some(m) = cmd.m {
        query.push(format!("m={m}"));
    }
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    // `Expect: 100-continue`: the node checks the size against its limit and free space
    // first, so that a refused upload is not sent at all (and its answer is not lost to a
    // connection reset while we are still sending).
    write!(
        stream,
        "POST /dds{query} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/octet-stream\r\nContent-Length: {size}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    )?;
    let mut reader = BufReader::new(stream.try_clone()?);
    reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_secs(5)))?;
    let early = match read_head(&mut reader) {
        Ok((100, _)) => None,
        Ok(final_answer) => Some(final_answer),
        // No interim answer in time: send anyway, as curl does.
        Err(_) => None,
    };
    reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_secs(120)))?;
    let (status, _) = match early {
        Some(answer) => answer,
        None => {
            let mut progress = Progress::new(size, cmd.conn.quiet);
            let mut buf = vec![0u8; 1 << 20];
            let mut sent = 0u64;
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                if let Err(e) = stream.write_all(&buf[..n]) {
                    // The node stopped reading (e.g. the body outgrew the limit): its
                    // answer says why.
                    tracing::debug!(target: "dds", "upload stopped: {e}");
                    break;
                }
                sent += n as u64;
                progress.update(sent);
            }
            progress.finish(sent);
            read_head(&mut reader).context("reading the node's answer")?
        }
    };
    let body = small_body(&mut reader);
    if status != 200 {
        bail!(
            "the node refused the put (HTTP {status}): {}",
            error_text(&body)
        );
    }
    let answer: serde_json::Value =
        serde_json::from_str(&body).context("the node's answer is not JSON")?;
    let cid = answer
        .get("cid")
        .and_then(|c| c.as_str())
        .ok_or_else(|| anyhow!("the node's answer has no cid: {body}"))?;
    Ok(cid.to_string())
}

fn get(cmd: &GetCmd) -> anyhow::Result<()> {
    let cid: Cid = cmd.cid.parse()?;
    let (mut stream, host) = connect(&cmd.conn.url)?;
    write!(
        stream,
        "GET /dds/{cid} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut reader = BufReader::new(stream);
    let (status, headers) = read_head(&mut reader).context("reading the node's answer")?;
    if status != 200 {
        let body = small_body(&mut reader);
        bail!("cannot get {cid} (HTTP {status}): {}", error_text(&body));
    }
    let size: u64 = header(&headers, "content-length")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow!("the node's answer has no Content-Length"))?;
    let mut part = cmd.output.clone().into_os_string();
    part.push(".part");
    let part = PathBuf::from(part);
    let mut out =
        fs::File::create(&part).with_context(|| format!("cannot create {}", part.display()))?;
    let mut progress = Progress::new(size, cmd.conn.quiet);
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0u64;
    let mut body = reader.take(size);
    let result = (|| -> anyhow::Result<()> {
        loop {
            let n = body.read(&mut buf)?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n])?;
            got += n as u64;
            progress.update(got);
        }
        progress.finish(got);
        if got != size {
            bail!("the node stopped after {got} of {size} bytes (see its log)");
        }
        out.sync_all()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&part);
        return Err(e);
    }
    fs::rename(&part, &cmd.output)
        .with_context(|| format!("cannot move {} into place", part.display()))?;
    eprintln!("{cid}: {size} bytes written to {}", cmd.output.display());
    Ok(())
}

/// Registers the store's gauges (`echonet_dds_*`) and refreshes them every 5 s while the
/// store is open.
pub fn register_metrics(
    registry: &prometheus_endpoint::Registry,
    dds: &Arc<Dds>,
) -> Result<(), prometheus_endpoint::PrometheusError> {
    use prometheus_endpoint::{register, Gauge, U64};
    let gauge = |name: &str, help: &str| register(Gauge::<U64>::new(name, help)?, registry);
    let used = gauge("echonet_dds_used_bytes", "Bytes of shards stored")?;
    let capacity = gauge(
        "echonet_dds_capacity_bytes",
        "Capacity for shards (--dds-capacity)",
    )?;
    let cache = gauge(
        "echonet_dds_cache_bytes",
        "Bytes of decoded chunks in the cache",
    )?;
    let corrupt = gauge(
        "echonet_dds_corrupt_shards",
        "Shards found corrupt on disk and dropped since start",
    )?;
    let fetched = gauge(
        "echonet_dds_fetched_shards",
        "Shards fetched from peers and found valid since start",
    )?;
    let bad = gauge(
        "echonet_dds_bad_fetched_shards",
        "Shards peers sent that did not match their root since start",
    )?;
    let pushed = gauge(
        "echonet_dds_pushed_shards",
        "Shards placed on providers since start",
    )?;
    let weak = Arc::downgrade(dds);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        // Ends when the node drops the store.
        while let Some(dds) = weak.upgrade() {
            let usage = dds.usage();
            drop(dds);
            used.set(usage.used);
            capacity.set(usage.capacity);
            cache.set(usage.cache_bytes);
            corrupt.set(usage.corrupt_shards);
            fetched.set(usage.fetched_shards);
            bad.set(usage.bad_fetched_shards);
            pushed.set(usage.pushed_shards);
            tick.tick().await;
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peers_address_range_is_read_from_its_multiaddr() {
        let group = |a: &str| address_ip_group(&a.parse().unwrap());
        assert_eq!(
            group("/ip4/203.0.113.7/tcp/30333"),
            Some([4, 203, 0, 113, 0, 0, 0])
        );
        assert_eq!(
            group("/ip4/203.0.113.7/tcp/30333"),
            group("/ip4/203.0.113.250/udp/1/quic-v1")
        );
        assert_ne!(
            group("/ip4/203.0.113.7/tcp/30333"),
            group("/ip4/203.0.114.7/tcp/30333")
        );
        assert_eq!(
            group("/ip6/2001:db8:aa:1::1/tcp/30333"),
            Some([6, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xaa,])
        );
        assert_eq!(
            group("/ip6/2001:db8:aa:1::1/tcp/1"),
            group("/ip6/2001:db8:aa:ffff::9/tcp/2")
        );
        // Loopback (a local test network) and names have no range.
        assert_eq!(group("/ip4/127.0.0.1/tcp/30333"), None);
        assert_eq!(group("/ip6/::1/tcp/30333"), None);
        assert_eq!(group("/dns4/example.com/tcp/30333"), None);
    }

    #[test]
    fn url_authority() {
        assert_eq!(
            authority("http://127.0.0.1:9944").unwrap(),
            "127.0.0.1:9944"
        );
        assert_eq!(
            authority("http://localhost:9944/").unwrap(),
            "localhost:9944"
        );
        assert_eq!(authority("http://node").unwrap(), "node:80");
        assert!(authority("https://x:1").is_err());
        assert!(authority("http://x:1/rpc").is_err());
    }

    #[test]
    fn response_head_is_parsed_and_bounded() {
        let raw = b"HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
        let mut r = BufReader::new(&raw[..]);
        let (status, headers) = read_head(&mut r).unwrap();
        assert_eq!(status, 404);
        assert_eq!(header(&headers, "content-length"), Some("5"));
        assert_eq!(small_body(&mut r), "hello");
        assert!(read_head(&mut BufReader::new(&b"garbage"[..])).is_err());
        let endless = vec![b'a'; 200_000];
        assert!(read_head(&mut BufReader::new(&endless[..])).is_err());
    }
}
