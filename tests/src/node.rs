//! The `echonet-node` process under test, and its command line.

use crate::{raw, within, RPC_TIMEOUT};
use jsonrpsee::{
    http_client::{HttpClient, HttpClientBuilder},
    ws_client::{WsClient, WsClientBuilder},
};
use std::{
    collections::BTreeSet,
    ffi::{OsStr, OsString},
    fs::File,
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

/// How long a node may take to answer its first RPC call. Start-up is well under a
/// second on an idle machine; the margin is for a loaded one.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a node may take to exit after SIGTERM (it waits up to 10 s for its tasks).
pub const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a command-line run (build-spec, key, export...) may take.
pub const CLI_TIMEOUT: Duration = Duration::from_secs(120);

/// Largest request or response the tests' clients accept: above the node's 15 MiB
/// default, so that the node's limits, not the client's, are what a test meets.
const CLIENT_MAX_BYTES: u32 = 64 * 1024 * 1024;

/// The `echonet-node` binary: `$ECHONET_NODE_BIN`, else `<target>/debug/echonet-node` of
/// this workspace (honouring `CARGO_TARGET_DIR`).
pub fn node_binary() -> PathBuf {
    workspace_binary("echonet-node", "ECHONET_NODE_BIN")
}

/// The workspace's binary `name`: the path in the environment variable `env_var` if it is
/// set, else `<target>/debug/<name>` of this workspace (honouring `CARGO_TARGET_DIR`).
/// Fails the test, saying how to build it, if the file is not there.
pub fn workspace_binary(name: &str, env_var: &str) -> PathBuf {
    if let Some(bin) = std::env::var_os(env_var) {
        let bin = PathBuf::from(bin);
        assert!(bin.is_file(), "{env_var}={} is not a file", bin.display());
        return bin;
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace root's tests/");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    };
    let bin = target
        .join("debug")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} does not exist: run `cargo build -p {name}` first \
         (or set {env_var} to the binary to test)",
        bin.display()
    );
    bin
}

/// A port that was free on 127.0.0.1 a moment ago and that this process has not handed
/// out before. Another process may still take it before the node binds it; [`NodeBuilder::start`]
/// retries with new ports when that happens.
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("cannot bind 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("a bound listener has an address")
            .port();
        if HANDED_OUT
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(port)
        {
            return port;
        }
    }
}

/// What to start: `echonet-node <args> --rpc-port P --listen-addr /ip4/127.0.0.1/tcp/P
/// --no-mdns [--prometheus-port P | --no-prometheus]`. mDNS is off so that the nodes of
/// tests running side by side never find each other; networks are joined with
/// `--bootnodes` (see [`Node::multiaddr`]).
pub struct NodeBuilder {
    label: String,
    args: Vec<OsString>,
    prometheus: bool,
}

impl NodeBuilder {
    /// Adds one command-line argument, after those given so far. The ports and
    /// `--no-mdns` are added by [`NodeBuilder::start`]: do not pass them.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds command-line arguments, in order, like [`NodeBuilder::arg`].
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Serve Prometheus metrics on a free port (the default is `--no-prometheus`).
    pub fn prometheus(mut self) -> Self {
        self.prometheus = true;
        self
    }

    /// Spawns the node and waits until its RPC answers. Retries with other ports if one
    /// was taken meanwhile; any other early exit fails the test with the node's log.
    pub async fn start(self) -> Node {
        const ATTEMPTS: usize = 3;
        for attempt in 1..=ATTEMPTS {
            let mut node = self.spawn();
            match node.wait_ready().await {
                Ok(()) => return node,
                Err(status) => {
                    let log = node.log();
                    let port_taken =
                        log.contains("Address already in use") || log.contains("cannot listen");
                    if port_taken && attempt < ATTEMPTS {
                        // Dropping the exited node is quiet: we are not panicking.
                        continue;
                    }
                    panic!(
                        "{}: the node exited before its RPC answered ({status})",
                        node.label
                    );
                }
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    fn spawn(&self) -> Node {
        let rpc_port = free_port();
        let p2p_port = free_port();
        let prometheus_port = self.prometheus.then(free_port);
        let log_dir = tempfile::Builder::new()
            .prefix("echonet-e2e-log-")
            .tempdir()
            .expect("cannot create a temporary directory for the node's log");
        let log_path = log_dir.path().join("node.log");
        let log = File::create(&log_path).expect("cannot create the node's log file");
        let mut cmd = Command::new(node_binary());
        cmd.args(&self.args)
            .args(["--rpc-port", &rpc_port.to_string()])
            .args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
            .arg("--no-mdns");
        match prometheus_port {
            Some(port) => cmd.args(["--prometheus-port", &port.to_string()]),
            None => cmd.arg("--no-prometheus"),
        };
        let child = cmd
            .env("RUST_BACKTRACE", "1")
            // The node's own default filter; a developer's RUST_LOG must not change what
            // the tests see.
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("cannot share the log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", node_binary().display()));
        Node {
            label: self.label.clone(),
            child: Some(child),
            rpc_port,
            p2p_port,
            prometheus_port,
            log_path,
            _log_dir: log_dir,
        }
    }
}

/// One running `echonet-node`. Dropping it kills the process and waits for it; if the
/// test is failing, the tail of the node's log is printed first.
pub struct Node {
    label: String,
    child: Option<Child>,
    /// The `--rpc-port` on 127.0.0.1 (HTTP and WebSocket), picked free at start; a
    /// restart ([`crate::Testnet::restart`]) is a new `Node` with new ports.
    pub rpc_port: u16,
    /// The TCP port of its `--listen-addr` on 127.0.0.1, for other nodes' `--bootnodes`
    /// ([`Node::multiaddr`]).
    pub p2p_port: u16,
    /// The `--prometheus-port`, if started with [`NodeBuilder::prometheus`].
    pub prometheus_port: Option<u16>,
    log_path: PathBuf,
    _log_dir: tempfile::TempDir,
}

impl Node {
    /// A node to start; `label` names it in failure messages.
    pub fn builder(label: &str) -> NodeBuilder {
        NodeBuilder {
            label: label.to_string(),
            args: Vec::new(),
            prometheus: false,
        }
    }

    /// `echonet-node --dev --tmp`: Alice authoring a throw-away dev chain.
    pub async fn dev(label: &str) -> Node {
        Node::builder(label).args(["--dev", "--tmp"]).start().await
    }

    /// 127.0.0.1 and the RPC port, for raw HTTP and WebSocket ([`crate::raw`]).
    pub fn rpc_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.rpc_port))
    }

    /// `ws://127.0.0.1:<rpc port>`, for WebSocket clients such as subxt.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.rpc_addr())
    }

    /// `http://127.0.0.1:<rpc port>`, for HTTP JSON-RPC clients.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.rpc_addr())
    }

    /// 127.0.0.1 and the Prometheus port. Panics if the node was started without
    /// [`NodeBuilder::prometheus`].
    pub fn prometheus_addr(&self) -> SocketAddr {
        let port = self
            .prometheus_port
            .expect("this node was started without Prometheus: use NodeBuilder::prometheus");
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    /// A WebSocket client, connected, with limits above the node's.
    pub async fn ws(&self) -> WsClient {
        self.try_ws()
            .await
            .unwrap_or_else(|e| panic!("{}: cannot connect over WebSocket: {e}", self.label))
    }

    /// A WebSocket client with limits above the node's, or why the node refused it (for
    /// example 429 while it is at its connection limit).
    pub async fn try_ws(&self) -> Result<WsClient, jsonrpsee::core::client::Error> {
        within(
            RPC_TIMEOUT,
            "connecting a WebSocket client",
            WsClientBuilder::default()
                .max_request_size(CLIENT_MAX_BYTES)
                .max_response_size(CLIENT_MAX_BYTES)
                .request_timeout(RPC_TIMEOUT)
                .connection_timeout(RPC_TIMEOUT)
                .build(self.ws_url()),
        )
        .await
    }

    /// An HTTP client with limits above the node's.
    pub fn http(&self) -> HttpClient {
        HttpClientBuilder::default()
            .max_request_size(CLIENT_MAX_BYTES)
            .max_response_size(CLIENT_MAX_BYTES)
            .request_timeout(RPC_TIMEOUT)
            .build(self.http_url())
            .expect("an http:// URL on loopback is valid")
    }

    /// The node's peer id (`system_localPeerId`).
    pub async fn peer_id(&self) -> String {
        let http = self.http();
        within(
            RPC_TIMEOUT,
            "system_localPeerId",
            jsonrpsee::core::client::ClientT::request::<String, _>(
                &http,
                "system_localPeerId",
                jsonrpsee::rpc_params![],
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{}: system_localPeerId failed: {e}", self.label))
    }

    /// The address other nodes boot from: `/ip4/127.0.0.1/tcp/<p2p port>/p2p/<peer id>`.
    pub async fn multiaddr(&self) -> String {
        format!(
            "/ip4/127.0.0.1/tcp/{}/p2p/{}",
            self.p2p_port,
            self.peer_id().await
        )
    }

    /// The name given to [`Node::builder`], which failure messages start with.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether the process is still running (reaps it if it exited).
    pub fn is_running(&mut self) -> bool {
        self.child.is_some() && self.try_wait().is_none()
    }

    /// The process id, e.g. to send the node a signal. Panics once the process has
    /// exited and been reaped (the pid may then belong to another process).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the node is running").id()
    }

    /// Polls `system_health` until it answers; `Err` if the process exits first.
    async fn wait_ready(&mut self) -> Result<(), ExitStatus> {
        let deadline = Instant::now() + START_TIMEOUT;
        let probe = br#"{"jsonrpc":"2.0","id":1,"method":"system_health","params":[]}"#;
        loop {
            if let Some(status) = self.try_wait() {
                return Err(status);
            }
            let answer = raw::http_request(
                self.rpc_addr(),
                "POST",
                "/",
                &[("Content-Type", "application/json")],
                probe,
                Duration::from_secs(2),
            )
            .await;
            if let Ok(resp) = answer {
                if resp.status == 200 && resp.json().get("result").is_some() {
                    return Ok(());
                }
            }
            assert!(
                Instant::now() < deadline,
                "{}: the RPC did not answer within {START_TIMEOUT:?}",
                self.label
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The exit status if the process has exited. It is then reaped and forgotten, so
    /// that no signal can reach another process that reuses its pid.
    fn try_wait(&mut self) -> Option<ExitStatus> {
        let status = self.child.as_mut()?.try_wait().ok().flatten()?;
        self.child = None;
        Some(status)
    }

    /// Fails the test if the process has exited.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.try_wait() {
            panic!("{}: the node exited unexpectedly ({status})", self.label);
        }
    }

    /// Sends SIGTERM: the node stops its tasks, flushes its database and deletes its
    /// `--tmp` base path.
    fn send_sigterm(&self) -> bool {
        let Some(child) = &self.child else {
            return false;
        };
        Command::new("kill")
            .args(["-s", "TERM", &child.id().to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// SIGTERM, then waits for the exit; the node flushes its database on the way out.
    pub async fn stop(&mut self) -> ExitStatus {
        let pid = self.pid();
        assert!(self.send_sigterm(), "kill -s TERM {pid} failed");
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = self.try_wait() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{}: the node did not exit within {STOP_TIMEOUT:?} of SIGTERM",
                self.label
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `kill -9`: the process gets no chance to flush or clean up (so a `--tmp` base path
    /// would stay behind: give such a node a base path in a `TempDir` instead).
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGKILL on Unix.
            child.kill().expect("cannot kill the node");
            child.wait().expect("cannot reap the node");
        }
    }

    /// Everything the node has logged so far (stdout and stderr).
    pub fn log(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_else(|e| format!("<cannot read {}: {e}>", self.log_path.display()))
    }

    /// The last `lines` lines of [`Node::log`], for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Fails the test if the node's log shows a panic: no input may make the node panic.
    /// (A Rust panic prints `thread '…' panicked at <file>`; a runtime panic caught while
    /// executing a bad block is an error, logged as "runtime panicked: …", and is fine.)
    pub fn assert_no_panic(&self) {
        let log = self.log();
        assert!(
            !log.contains("panicked at"),
            "{}: the node panicked:\n{}",
            self.label,
            self.log_tail(60)
        );
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "----- {} (rpc {}, pid {:?}): last lines of its log -----\n{}\n----- end of {} log -----",
                self.label,
                self.rpc_port,
                self.child.as_ref().map(|c| c.id()),
                self.log_tail(60),
                self.label
            );
        }
        // Stop it the way an operator would, so that it deletes its `--tmp` base path;
        // kill it if it does not exit in time.
        if self.send_sigterm() {
            let deadline = Instant::now() + STOP_TIMEOUT;
            while self.try_wait().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What a command-line run gave.
pub struct CliOutput {
    /// The process's exit status.
    pub status: ExitStatus,
    /// Standard output, decoded lossily as UTF-8 (JSON for `build-spec`, keys for `key`).
    pub stdout: String,
    /// Standard error: the node's log lines and error reports.
    pub stderr: String,
}

impl CliOutput {
    /// Fails the test (showing both streams) unless the command succeeded.
    pub fn assert_success(&self, what: &str) -> &Self {
        assert!(
            self.status.success(),
            "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Runs `echonet-node <args>` to completion, bounded by [`CLI_TIMEOUT`].
pub async fn run_cli<I, S>(args: I) -> CliOutput
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let what = format!("echonet-node {args:?}");
    let output = within(
        CLI_TIMEOUT,
        &what,
        tokio::process::Command::new(node_binary())
            .args(&args)
            .env("RUST_BACKTRACE", "1")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    CliOutput {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
