//! `echonet-node benchmark dds-get`: get throughput of the data store across real nodes on
//! loopback. Starts `--nodes` copies of this binary (`--chain local`, temporary base paths,
//! `--dds-provider`, no chunk cache), waits until they are all connected, puts `--size`
//! MiB of random content on the first (placed one shard of each chunk per node with six
//! nodes), then gets it `--rounds` times through the HTTP gateway of the other nodes in
//! turn, each holding only its own shards, and prints the throughput of each get (content
//! bytes per second, the time to the last byte), the CPU time it cost all the processes
//! (nodes and client; a figure that depends less than the throughput on what else the
//! machine runs), and the medians.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Child, Command},
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context};
use clap::Args;
use rand::RngCore;

/// `benchmark dds-get`.
#[derive(Debug, Clone, Args)]
pub struct DdsGetBenchCmd {
    /// Nodes to start (all storage providers).
    #[arg(long, default_value_t = 6)]
    pub nodes: usize,
    /// Content size in MiB.
    #[arg(long, value_name = "MiB", default_value_t = 256)]
    pub size: u64,
    /// Gets to time.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
}

/// CPU seconds (user and system, all threads) the processes `pids` have used so far, from
/// `/proc/<pid>/stat` (in USER_HZ ticks, 100 a second on Linux); `None` where that is not
/// readable (not Linux).
fn cpu_secs(pids: &[u32]) -> Option<f64> {
    let mut ticks = 0u64;
    for pid in pids {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The fields after the command name (which may hold spaces) in parentheses.
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime: fields 14 and 15 of the line, 12 and 13 after the name.
        ticks += fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    }
    Some(ticks as f64 / 100.0)
}

/// Kills the nodes when dropped.
struct Nodes(Vec<Child>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A JSON-RPC call over a fresh HTTP connection.
fn rpc(port: u16, method: &str) -> anyhow::Result<serde_json::Value> {
    let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":[]}}"#);
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    s.read_to_string(&mut answer)?;
    let json = answer
        .split("\r\n\r\n")
        .nth(1)
        .ok_or_else(|| anyhow!("no HTTP body"))?;
    Ok(serde_json::from_str(json)?)
}

/// GETs `/dds/<cid>` from the node at `port`, discarding the body; returns its length.
fn get(port: u16, cid: &str) -> anyhow::Result<u64> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    write!(
        s,
        "GET /dds/{cid} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut reader = BufReader::with_capacity(1 << 20, s);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    if !line.contains(" 200 ") {
        bail!("GET /dds/{cid}: {}", line.trim());
    }
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    Ok(std::io::copy(&mut reader, &mut std::io::sink())?)
}

fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while !check() {
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

fn start(
    dir: &Path,
    i: usize,
    p2p: u16,
    rpc_port: u16,
    key: &str,
    size: u64,
    boot: Option<&str>,
) -> anyhow::Result<Child> {
    let exe = std::env::current_exe()?;
    let base = dir.join(format!("node{i}"));
    let log = std::fs::File::create(dir.join(format!("node{i}.log")))?;
    let mut cmd = Command::new(exe);
    cmd.args([
        "--chain",
        "local",
        "--dds-provider",
        "--dds-cache-size",
        "0",
    ])
    .args(["--dds-max-put-size", &size.to_string()])
    .args([
        "--no-prometheus",
        "--no-mdns",
        "--name",
        &format!("bench{i}"),
    ])
    .args([
        "--port",
        &p2p.to_string(),
        "--rpc-port",
        &rpc_port.to_string(),
    ])
    .args(["--node-key", key])
    .arg("--base-path")
    .arg(&base)
    .stdout(log.try_clone()?)
    .stderr(log);
    if let Some(boot) = boot {
        cmd.args(["--bootnodes", boot]);
    }
    cmd.spawn().context("starting a node")
}

/// Runs the benchmark.
pub fn run(cmd: &DdsGetBenchCmd) -> anyhow::Result<()> {
    if cmd.nodes < 2 || cmd.rounds == 0 || cmd.size == 0 {
        bail!("--nodes must be at least 2, --rounds and --size at least 1");
    }
    let dir = tempfile::Builder::new()
        .prefix("echonet-dds-bench-")
        .tempdir()?;
    let mut nodes = Nodes(Vec::new());
    let mut rpc_ports = Vec::new();
    let mut boot = None;
    for i in 0..cmd.nodes {
        let mut secret = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        let key = hex::encode(secret);
        let (p2p, rpc_port) = (free_port()?, free_port()?);
        nodes.0.push(start(
            dir.path(),
            i,
            p2p,
            rpc_port,
            &key,
            cmd.size,
            boot.as_deref(),
        )?);
        if boot.is_none() {
            let peer = crate::network_key::parse_secret(key.as_bytes())?
                .public()
                .to_peer_id();
            boot = Some(format!("/ip4/127.0.0.1/tcp/{p2p}/p2p/{peer}"));
        }
        rpc_ports.push(rpc_port);
    }
    let peers = cmd.nodes as u64 - 1;
    let connected = wait_for(
        "every node connected to every other",
        Duration::from_secs(120),
        || {
            rpc_ports.iter().all(|&p| {
                rpc(p, "system_health").is_ok_and(|h| h["result"]["peers"].as_u64() >= Some(peers))
            })
        },
    );
    if let Err(e) = connected {
        let log = std::fs::read_to_string(dir.path().join("node1.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        bail!(
            "{e}; node 1's log ends with:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }

    let input = dir.path().join("content.bin");
    let mut data = vec![0u8; (cmd.size * 1024 * 1024) as usize];
    rand::thread_rng().fill_bytes(&mut data);
    std::fs::write(&input, &data)?;
    drop(data);
    let started = Instant::now();
    let cid = crate::dds::put_file(&input, &format!("http://127.0.0.1:{}", rpc_ports[0]))?;
    let put_secs = started.elapsed().as_secs_f64();
    println!(
        "put {} MiB on node 0 (coded, placed on {} nodes): {:.2} s, {:.1} MiB/s",
        cmd.size,
        cmd.nodes,
        put_secs,
        cmd.size as f64 / put_secs
    );

    // The nodes and this process (the HTTP client): the CPU time a get costs in all.
    let mut pids: Vec<u32> = nodes.0.iter().map(Child::id).collect();
    pids.push(std::process::id());
    let (mut rates, mut costs) = (Vec::new(), Vec::new());
    for round in 0..cmd.rounds {
        let node = 1 + round % (cmd.nodes - 1);
        let cpu_before = cpu_secs(&pids);
        let started = Instant::now();
        let got = get(rpc_ports[node], &cid)?;
        let secs = started.elapsed().as_secs_f64();
        if got != cmd.size * 1024 * 1024 {
            bail!("node {node} returned {got} bytes");
        }
        let rate = got as f64 / secs / 1e6;
        let cost = cpu_before
            .zip(cpu_secs(&pids))
            .map(|(before, after)| (after - before) / (got as f64 / (1u64 << 30) as f64));
        match cost {
            Some(cost) => {
                println!(
                    "get {round} from node {node}: {secs:.2} s, {rate:.1} MB/s, {cost:.2} CPU s per GiB"
                );
                costs.push(cost);
            }
            None => println!("get {round} from node {node}: {secs:.2} s, {rate:.1} MB/s"),
        }
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    costs.sort_by(f64::total_cmp);
    let cost = costs
        .get(costs.len() / 2)
        .map(|c| format!(", {c:.2} CPU s per GiB (all processes)"))
        .unwrap_or_default();
    println!(
        "dds get over {} nodes on loopback: median {:.1} MB/s{cost} ({} gets of {} MiB)",
        cmd.nodes,
        rates[rates.len() / 2],
        cmd.rounds,
        cmd.size
    );
    Ok(())
}
