//! Chains built offline, straight into a node's database with the chain client, so that a
//! test or benchmark can start a node on hundreds of blocks without waiting hundreds of
//! 2 s slots. The blocks are real: sealed by the slot's Aura authority, with the timestamp
//! inherent of their slot, executed as any block is. Their slots lie in the past and end
//! just before now, so a validator started on the database continues the chain.

use echonet_client::{BlockOrigin, ChainSpec, Client, ClientConfig, ImportBlock};
use echonet_consensus::aura::{self, AuraClientExt as _, AuraVerifier};
use echonet_runtime::SLOT_DURATION;
use sp_consensus_aura::Slot;
use sp_core::{sr25519, Pair, H256};
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
    let now = *aura::slot_now(SLOT_DURATION);
    let first = now - u64::from(blocks) - 5;
    for i in 0..u64::from(blocks) {
        let slot = first + i;
        let parent = client.info().best_hash;
        let authorities = client
            .aura_authorities(parent)
            .expect("the runtime answers AuraApi_authorities");
        let owner = aura::slot_author(Slot::from(slot), &authorities)
            .expect("the chain has Aura authorities")
            .clone();
        let author = authors
            .iter()
            .find(|p| {
                sp_core::crypto::ByteArray::as_slice(&p.public())
                    == sp_core::crypto::ByteArray::as_slice(&owner)
            })
            .unwrap_or_else(|| panic!("no key given for the Aura authority {owner}"));
        let digest = client
            .pre_digest(parent, Slot::from(slot), author)
            .expect("the parent's epoch randomness reads");
        let mut builder = client
            .new_block_builder(parent, digest)
            .expect("a block builder on the best block");
        let mut data = sp_inherents::InherentData::new();
        data.put_data(sp_timestamp::INHERENT_IDENTIFIER, &(slot * SLOT_DURATION))
            .expect("the timestamp encodes");
        for xt in builder
            .create_inherents(&data)
            .expect("the runtime makes the timestamp inherent")
        {
            builder.push(xt).expect("the timestamp inherent applies");
        }
        let built = builder.build().expect("the block builds");
        let mut header = built.header;
        let signature = author.sign(header.hash().as_bytes());
        aura::seal(&mut header, signature.into());
        client
            .import_block(ImportBlock {
                header,
                body: built.body,
                justifications: None,
                origin: BlockOrigin::Own,
                changes: Some(built.changes),
                finalize: false,
            })
            .expect("an offline block imports");
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
