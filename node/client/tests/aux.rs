//! Auxiliary storage: values of node components survive a restart, and a finalization
//! writes its aux entries in the same batch.

use echonet_client::{BlockOrigin, ChainSpec, Client, ClientConfig, ImportBlock};
use echonet_consensus::aura::{self, AuraClientExt as _, AuraVerifier};
use echonet_runtime::SLOT_DURATION;
use sp_consensus_aura::Slot;
use sp_core::Pair;
use sp_keyring::Sr25519Keyring;
use std::sync::Arc;

fn open(dir: &std::path::Path) -> Arc<Client> {
    Client::open(
        ClientConfig::new(dir.join("db")),
        &ChainSpec::development().unwrap(),
        Arc::new(AuraVerifier::default()),
    )
    .unwrap()
}

#[test]
fn aux_values_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let client = open(dir.path());
        assert_eq!(client.aux_get(b"test:a").unwrap(), None);
        client
            .aux_put(&[(b"test:a", b"one"), (b"test:b", b"two")])
            .unwrap();
        client.aux_put(&[(b"test:a", b"three")]).unwrap();
    }
    let client = open(dir.path());
    assert_eq!(client.aux_get(b"test:a").unwrap(), Some(b"three".to_vec()));
    assert_eq!(client.aux_get(b"test:b").unwrap(), Some(b"two".to_vec()));
}

#[test]
fn finalization_writes_its_aux_entries() {
    let dir = tempfile::tempdir().unwrap();
    let hash = {
        let client = open(dir.path());
        let alice = Sr25519Keyring::Alice.pair();
        let slot = *aura::slot_now(SLOT_DURATION) - 100;
        let digest = client
            .pre_digest(client.info().best_hash, Slot::from(slot), &alice)
            .unwrap();
        let mut builder = client
            .new_block_builder(client.info().best_hash, digest)
            .unwrap();
        let mut data = sp_inherents::InherentData::new();
        data.put_data(sp_timestamp::INHERENT_IDENTIFIER, &(slot * SLOT_DURATION))
            .unwrap();
        for xt in builder.create_inherents(&data).unwrap() {
            builder.push(xt).unwrap();
        }
        let built = builder.build().unwrap();
        let mut header = built.header;
        let sig = alice.sign(header.hash().as_bytes());
        aura::seal(&mut header, sig.into());
        let hash = header.hash();
        client
            .import_block(ImportBlock {
                header,
                body: built.body,
                justifications: None,
                origin: BlockOrigin::Own,
                changes: Some(built.changes),
                finalize: false,
            })
            .unwrap();
        client
            .finalize_block_with_aux(hash, Some((*b"TEST", vec![1])), &[(b"test:set", b"1")])
            .unwrap();
        // Finalizing the finalized block again still writes the aux entries.
        client
            .finalize_block_with_aux(hash, None, &[(b"test:set", b"2")])
            .unwrap();
        hash
    };
    let client = open(dir.path());
    assert_eq!(client.info().finalized_hash, hash);
    assert_eq!(client.aux_get(b"test:set").unwrap(), Some(b"2".to_vec()));
    assert!(client.justifications(hash).unwrap().is_some());
}
