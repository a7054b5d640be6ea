//! Networks of real nodes on loopback: validators of `--chain local` (and full nodes),
//! each on a base path that survives a kill, so that a test can crash nodes, restart them
//! and watch the others. Every wait is bounded; dropping the testnet stops every node.

use crate::{
    node::{Node, NodeBuilder},
    rpc, within, RPC_TIMEOUT,
};
use echonet_runtime::Header;
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use serde_json::Value;
use sp_core::H256;
use std::{
    ffi::OsString,
    path::PathBuf,
    time::{Duration, Instant},
};

/// One member of a testnet: how to (re)start it.
struct Member {
    label: String,
    args: Vec<OsString>,
    prometheus: bool,
}

/// A member to start: its label, its own arguments, and the secret URI of session keys
/// to insert into its keystore before the first start.
struct Planned {
    label: String,
    args: Vec<String>,
    keys: Option<String>,
}

/// A network of nodes. Node 0 is the boot node of the others.
pub struct Testnet {
    /// The nodes in the order the builder named them; a restarted node replaces its entry.
    /// An entry may be a stopped or killed node.
    pub nodes: Vec<Node>,
    members: Vec<Member>,
    _dirs: Vec<tempfile::TempDir>,
    /// The directory of a chain spec file the nodes run, if the builder wrote one.
    _spec_dir: Option<tempfile::TempDir>,
}

/// What to start.
pub struct TestnetBuilder {
    chain: String,
    members: Vec<Planned>,
    extra: Vec<String>,
    prometheus: bool,
    /// Holds a chain spec file that `chain` names, for as long as the network runs.
    spec_dir: Option<tempfile::TempDir>,
}

impl TestnetBuilder {
    /// A validator with the dev keys of `name` (`alice`, `bob`, ...).
    pub fn validator(mut self, name: &str) -> Self {
        self.members.push(Planned {
            label: name.to_string(),
            args: vec![format!("--{name}")],
            keys: None,
        });
        self
    }

    /// A validator whose Aura (sr25519) and GRANDPA (ed25519) keys come from the secret
    /// URI `suri`, inserted with `echonet-node key insert` before it starts.
    pub fn validator_with_keys(mut self, label: &str, suri: &str) -> Self {
        self.members.push(Planned {
            label: label.to_string(),
            args: vec!["--validator".to_string()],
            keys: Some(suri.to_string()),
        });
        self
    }

    /// A full node (no keys, not a validator).
    pub fn full_node(mut self, label: &str) -> Self {
        self.members.push(Planned {
            label: label.to_string(),
            args: Vec::new(),
            keys: None,
        });
        self
    }

    /// Arguments given to every node.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.extra
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    /// Serve Prometheus metrics on every node.
    pub fn prometheus(mut self) -> Self {
        self.prometheus = true;
        self
    }

    /// Starts the nodes in order, each after the previous one answers; all but the first
    /// boot from the first.
    pub async fn start(self) -> Testnet {
        let mut net = Testnet {
            nodes: Vec::new(),
            members: Vec::new(),
            _dirs: Vec::new(),
            _spec_dir: self.spec_dir,
        };
        let mut boot: Option<String> = None;
        for Planned {
            label,
            args: own,
            keys,
        } in self.members
        {
            let dir = tempfile::Builder::new()
                .prefix(&format!("echonet-{label}-"))
                .tempdir()
                .expect("a base path");
            if let Some(suri) = keys {
                insert_session_keys(&self.chain, dir.path(), &suri).await;
            }
            let mut args: Vec<OsString> = vec!["--chain".into(), self.chain.clone().into()];
            args.extend(own.into_iter().map(OsString::from));
            args.extend(self.extra.iter().map(OsString::from));
            args.push("--name".into());
            args.push(label.clone().into());
            args.push("--base-path".into());
            args.push(dir.path().into());
            let member = Member {
                label: label.clone(),
                args,
                prometheus: self.prometheus,
            };
            let node = member.builder(boot.iter().cloned().collect()).start().await;
            if boot.is_none() {
                boot = Some(node.multiaddr().await);
            }
            net.nodes.push(node);
            net.members.push(member);
            net._dirs.push(dir);
        }
        net
    }
}

impl Member {
    fn builder(&self, boot_nodes: Vec<String>) -> NodeBuilder {
        let mut b = Node::builder(&self.label).args(&self.args);
        if !boot_nodes.is_empty() {
            b = b.arg("--bootnodes").args(boot_nodes);
        }
        if self.prometheus {
            b = b.prometheus();
        }
        b
    }
}

impl Testnet {
    /// Nodes of `--chain <chain>`.
    pub fn builder(chain: &str) -> TestnetBuilder {
        TestnetBuilder {
            chain: chain.to_string(),
            members: Vec::new(),
            extra: Vec::new(),
            prometheus: false,
            spec_dir: None,
        }
    }

    /// `--chain local` with its four validators, alice to dave.
    pub fn local_validators() -> TestnetBuilder {
        Self::local_four("local")
    }

    /// `chain` (the local chain, or a spec file derived from it) with its four validators.
    fn local_four(chain: &str) -> TestnetBuilder {
        Self::builder(chain)
            .validator("alice")
            .validator("bob")
            .validator("charlie")
            .validator("dave")
    }

    /// [`Testnet::local_validators`] on [`echonet_test_utils::local_spec_with_sudo`]: the
    /// `local` chain with Alice as sudo, for tests that change parameters without waiting for a referendum
    /// (the `local` preset itself has no sudo key).
    pub fn local_validators_with_sudo() -> TestnetBuilder {
        let dir = tempfile::Builder::new()
            .prefix("echonet-spec-")
            .tempdir()
            .expect("a directory for the chain spec");
        let path = dir.path().join("local-sudo.json");
        let json = echonet_test_utils::local_spec_with_sudo()
            .to_json(false)
            .expect("the spec serializes");
        std::fs::write(&path, json).expect("the chain spec is written");
        let mut builder = Self::local_four(path.to_str().expect("a UTF-8 temporary path"));
        builder.spec_dir = Some(dir);
        builder
    }

    /// How many nodes the network has, running or not.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the builder named no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The base path of node `i`.
    pub fn base_path(&self, i: usize) -> PathBuf {
        self._dirs[i].path().to_path_buf()
    }

    /// Starts node `i` again like [`Testnet::restart`], with `extra` arguments from now on
    /// (for later restarts too).
    pub async fn restart_with<I, S>(&mut self, i: usize, extra: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.members[i]
            .args
            .extend(extra.into_iter().map(|a| OsString::from(a.as_ref())));
        self.restart(i).await;
    }

    /// Starts node `i` again (after [`Node::kill9`] or [`Node::stop`]) on its base path,
    /// booting from every other running node.
    pub async fn restart(&mut self, i: usize) {
        let mut boot = Vec::new();
        for (j, node) in self.nodes.iter_mut().enumerate() {
            if j != i && node.is_running() {
                boot.push(node.multiaddr().await);
            }
        }
        let node = self.members[i].builder(boot).start().await;
        self.nodes[i] = node;
    }

    /// HTTP clients of the running nodes (index, client).
    pub fn running(&mut self) -> Vec<(usize, HttpClient)> {
        self.nodes
            .iter_mut()
            .enumerate()
            .filter_map(|(i, n)| n.is_running().then(|| (i, n.http())))
            .collect()
    }

    /// Polls `check` on every running node every 200 ms until it holds for all of them;
    /// fails the test after `limit`, showing `what` and the last answers.
    pub async fn wait_all<F, Fut>(&mut self, what: &str, limit: Duration, mut check: F)
    where
        F: FnMut(usize, HttpClient) -> Fut,
        Fut: std::future::Future<Output = Result<(), String>>,
    {
        let deadline = Instant::now() + limit;
        loop {
            let mut failures = Vec::new();
            for (i, client) in self.running() {
                if let Err(e) = check(i, client).await {
                    failures.push(format!("{}: {e}", self.nodes[i].label()));
                }
            }
            if failures.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {limit:?} waiting until {what}: {failures:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Inserts the session keys of `suri` (Aura: sr25519, GRANDPA: ed25519) into the
/// keystore of chain `chain` under `base`.
pub async fn insert_session_keys(chain: &str, base: &std::path::Path, suri: &str) {
    for (key_type, scheme) in [("aura", "sr25519"), ("gran", "ed25519")] {
        let base = base.to_string_lossy();
        crate::run_cli([
            "key",
            "insert",
            "--chain",
            chain,
            "--base-path",
            &base,
            "--suri",
            suri,
            "--key-type",
            key_type,
            "--scheme",
            scheme,
        ])
        .await
        .assert_success("key insert");
    }
}

/// The secret URI of validator `i` of a [`validators_spec`] chain.
pub fn validator_suri(i: usize) -> String {
    format!("//Validator{i}")
}

/// A local chain with `n` validators, `//Validator0` to `//Validator{n-1}` (Aura keys
/// sr25519, GRANDPA keys ed25519, both from that URI), each bonded as the `local` chain's
/// validators are. The dev accounts and the validators are endowed; Alice is sudo.
pub fn validators_spec(n: usize) -> echonet_client::ChainSpec {
    validators_spec_endowing(n, &[], "Local Testnet", "local")
}

/// [`validators_spec`]`(n)` with `extra` accounts endowed as well (e.g. a load generator's
/// senders), named `"{name}, {n} validators"` with id `"{id}_{n}v"`.
pub fn validators_spec_endowing(
    n: usize,
    extra: &[echonet_runtime::AccountId],
    name: &str,
    id: &str,
) -> echonet_client::ChainSpec {
    use echonet_runtime::genesis_config_presets::{genesis, witness_params, GenesisValidator};
    use sp_core::{ed25519, sr25519, Pair};
    let validators: Vec<GenesisValidator> = (0..n)
        .map(|i| {
            let suri = validator_suri(i);
            let sr = sr25519::Pair::from_string(&suri, None).expect("a dev URI");
            let ed = ed25519::Pair::from_string(&suri, None).expect("a dev URI");
            GenesisValidator {
                account: sr.public().into(),
                aura: sr.public().into(),
                grandpa: ed.public().into(),
            }
        })
        .collect();
    let mut endowed: Vec<echonet_runtime::AccountId> = sp_keyring::Sr25519Keyring::iter()
        .map(|k| k.to_account_id())
        .collect();
    endowed.extend(validators.iter().map(|v| v.account.clone()));
    endowed.extend(extra.iter().cloned());
    let mut spec = echonet_client::ChainSpec::local_testnet().expect("the local chain spec");
    spec.name = format!("{name}, {n} validators");
    spec.id = format!("{id}_{n}v");
    spec.genesis = echonet_client::chain_spec::Genesis::RuntimeGenesis(
        echonet_client::chain_spec::RuntimeGenesis::Patch(genesis(
            &validators,
            &endowed,
            Some(sp_keyring::Sr25519Keyring::Alice.to_account_id()),
            witness_params(3, 2),
        )),
    );
    spec
}

/// The Aura keys of the validators of [`validators_spec`]`(n)`, for building blocks
/// offline.
pub fn validator_aura_pairs(n: usize) -> Vec<sp_core::sr25519::Pair> {
    use sp_core::Pair;
    (0..n)
        .map(|i| sp_core::sr25519::Pair::from_string(&validator_suri(i), None).expect("a dev URI"))
        .collect()
}

/// The best header.
pub async fn best(c: &impl ClientT) -> Header {
    rpc::best_header(c).await
}

/// The finalized head: (number, hash).
pub async fn finalized(c: &impl ClientT) -> (u32, H256) {
    let hash: H256 = rpc::call(c, "chain_getFinalizedHead", rpc_params![]).await;
    (rpc::header(c, hash).await.number, hash)
}

/// `system_health`.
pub async fn health(c: &impl ClientT) -> Value {
    rpc::call(c, "system_health", rpc_params![]).await
}

/// `echonet_setBlockedPeers` (nodes started with `--dev-test-switches`).
pub async fn set_blocked_peers(c: &impl ClientT, peers: &[String]) {
    let n: usize = within(
        RPC_TIMEOUT,
        "echonet_setBlockedPeers",
        c.request("echonet_setBlockedPeers", rpc_params![peers]),
    )
    .await
    .unwrap_or_else(|e| panic!("echonet_setBlockedPeers failed: {e}"));
    assert_eq!(n, peers.len());
}

/// The Aura slot of a header (its `PreRuntime(b"aura", slot)` digest).
pub fn slot_of(header: &Header) -> u64 {
    use codec::Decode;
    header
        .digest
        .logs
        .iter()
        .find_map(|item| match item {
            sp_runtime::DigestItem::PreRuntime(sp_consensus_aura::AURA_ENGINE_ID, data) => {
                u64::decode(&mut &data[..]).ok()
            }
            _ => None,
        })
        .expect("every block but genesis has an Aura slot")
}

/// Checks that the nodes never finalized different blocks at one height: for every
/// height up to the lowest finalized height among them, all report the same block.
pub async fn assert_one_finalized_chain(clients: &[(usize, HttpClient)]) {
    let mut lowest = u32::MAX;
    for (_, c) in clients {
        lowest = lowest.min(finalized(c).await.0);
    }
    for height in 1..=lowest {
        let mut seen: Option<H256> = None;
        for (i, c) in clients {
            let hash = rpc::block_hash(c, height)
                .await
                .unwrap_or_else(|| panic!("node {i} has no block #{height}"));
            match seen {
                None => seen = Some(hash),
                Some(h) => assert_eq!(
                    h, hash,
                    "nodes finalized different blocks at #{height} (node {i})"
                ),
            }
        }
    }
}
