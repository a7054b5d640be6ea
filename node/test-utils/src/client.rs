//! Dev-chain clients in temporary directories.

use echonet_client::{ChainSpec, Client, ClientConfig};
use std::{path::Path, sync::Arc};

/// A dev-chain client and the temporary directory of its database (removed on drop).
pub struct DevClient {
    pub dir: tempfile::TempDir,
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

/// Opens (or reopens) the dev chain in `dir/db`, with `tweak` applied to the config.
pub fn open_dev_client_with(dir: &Path, tweak: impl FnOnce(&mut ClientConfig)) -> Arc<Client> {
    let mut config = ClientConfig::new(dir.join("db"));
    tweak(&mut config);
    let spec = ChainSpec::development().expect("the dev chain spec builds");
    Client::open(config, &spec).expect("the dev chain database opens")
}

/// Opens (or reopens) the dev chain in `dir/db`.
pub fn open_dev_client_at(dir: &Path) -> Arc<Client> {
    open_dev_client_with(dir, |_| {})
}
