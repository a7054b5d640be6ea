//! Dev-chain clients in temporary directories.

use echonet_client::{ChainSpec, Client, ClientConfig};
use echonet_consensus::aura::AuraVerifier;
use std::{path::Path, sync::Arc};

/// A dev-chain client and the temporary directory of its database (removed on drop).
pub struct DevClient {
    /// Holds the database directory (`dir/db`); dropping it deletes the chain, so keep it
    /// alive as long as the client, and reopen with [`open_dev_client_at`]`(dir.path())`.
    pub dir: tempfile::TempDir,
    /// The open client; [`DevClient`] also derefs to it.
    pub client: Arc<Client>,
}

impl std::ops::Deref for DevClient {
    type Target = Arc<Client>;
    fn deref(&self) -> &Arc<Client> {
        &self.client
    }
}

/// Opens the dev chain (Alice its only authority) in a fresh temporary directory.
pub fn open_dev_client() -> DevClient {
    let dir = tempfile::tempdir().expect("a temporary directory for the chain database");
    let client = open_dev_client_at(dir.path());
    DevClient { dir, client }
}

/// Opens (or reopens) the dev chain in `dir/db`, with `tweak` applied to the config. Blocks
/// from elsewhere are verified by Aura's rules, as the node does.
pub fn open_dev_client_with(dir: &Path, tweak: impl FnOnce(&mut ClientConfig)) -> Arc<Client> {
    open_dev_client_verified_by(dir, tweak, Arc::new(AuraVerifier::default()))
}

/// As [`open_dev_client_with`], with the given verifier (a test that watches the
/// verifier's equivocation reports keeps its own handle).
pub fn open_dev_client_verified_by(
    dir: &Path,
    tweak: impl FnOnce(&mut ClientConfig),
    verifier: Arc<AuraVerifier>,
) -> Arc<Client> {
    let mut config = ClientConfig::new(dir.join("db"));
    tweak(&mut config);
    let spec = ChainSpec::development().expect("the dev chain spec builds");
    Client::open(config, &spec, verifier).expect("the dev chain database opens")
}

/// Opens (or reopens) the dev chain in `dir/db`.
pub fn open_dev_client_at(dir: &Path) -> Arc<Client> {
    open_dev_client_with(dir, |_| {})
}

/// The `local` chain spec (four validators, alice to dave) with Alice as sudo, for tests
/// that change storage or parameters directly: the `local` preset itself has no sudo key
/// (governance goes through referenda there). Its genesis, and so its genesis hash,
/// differ from `--chain local`'s.
pub fn local_spec_with_sudo() -> ChainSpec {
    use echonet_client::chain_spec::{Genesis, RuntimeGenesis};
    let mut spec = ChainSpec::local_testnet().expect("the local chain spec");
    spec.name = "Local Testnet (sudo)".into();
    spec.id = "local_sudo".into();
    let Genesis::RuntimeGenesis(RuntimeGenesis::Patch(patch)) = &mut spec.genesis else {
        panic!("the local chain spec is a preset patch");
    };
    patch["sudo"] = serde_json::json!({
        "key": sp_keyring::Sr25519Keyring::Alice.to_account_id(),
    });
    spec
}
