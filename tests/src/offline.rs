//! Chains built offline, straight into a node's database with the chain client, so that a
//! test or benchmark can start a node on hundreds of blocks without waiting hundreds of
//! 2 s slots. The blocks are real: sealed by the slot's Aura authority, with the timestamp
//! inherent of their slot, executed as any block is. Their slots lie in the past and end
//! just before now, so a validator started on the database continues the chain.

use echonet_client::{ChainSpec, Client, ClientConfig};
use echonet_consensus::aura::AuraVerifier;
use echonet_test_utils::{past_slot, NewBlock};
use sp_core::{sr25519, H256};
use std::path::{Path, PathBuf};

/// The database directory of chain `spec` under a node's base path (the node's layout:
/// `<base>/chains/<id>/db/full`).
pub fn db_path(base: &Path, spec: &ChainSpec) -> PathBuf {
    base.join("chains").join(&spec.id).join("db").join("full")
}

/// Appends `blocks` empty blocks (the timestamp inherent only) to the best chain of
/// `spec` in `base`'s database, creating it if needed. `authors` must hold the key of
/// every Aura authority (each slot is sealed by its owner). The last block's slot is a
/// few slots before now. Returns the new best block's number and hash. Blocking.
pub fn extend_chain(
    base: &Path,
    spec: &ChainSpec,
    authors: &[sr25519::Pair],
    blocks: u32,
) -> (u32, H256) {
    let client = Client::open(
        ClientConfig::new(db_path(base, spec)),
        spec,
        std::sync::Arc::new(AuraVerifier::default()),
    )
    .unwrap_or_else(|e| panic!("cannot open the chain database under {base:?}: {e}"));
    let first = past_slot(u64::from(blocks) + 5);
    for i in 0..u64::from(blocks) {
        NewBlock::new(&client, first + i)
            .by_owner_among(authors)
            .import();
    }
    client.flush().expect("the database flushes");
    let info = client.info();
    (info.best_number, info.best_hash)
}

/// [`extend_chain`] for the dev chain, which Alice authors alone.
pub fn extend_dev_chain(base: &Path, blocks: u32) -> (u32, H256) {
    let spec = ChainSpec::development().expect("the dev chain spec");
    extend_chain(
        base,
        &spec,
        &[sp_keyring::Sr25519Keyring::Alice.pair()],
        blocks,
    )
}
