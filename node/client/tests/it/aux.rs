//! Auxiliary storage: values of node components survive a restart, and a finalization
//! writes its aux entries in the same batch.

use echonet_test_utils::{open_dev_client_at as open, past_slot, NewBlock};

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
        let hash = NewBlock::new(&client, past_slot(100)).import();
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

#[test]
fn a_synced_aux_write_reaches_the_disk_before_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let client = echonet_test_utils::open_dev_client_with(dir.path(), |c| c.db.statistics = true);
    let syncs = || client.wal_syncs().expect("statistics are on");
    let start = syncs();
    client.aux_put(&[(b"test:a", b"plain")]).unwrap();
    assert_eq!(syncs(), start, "a plain write does not wait for the disk");
    client.aux_put_synced(&[(b"test:a", b"synced")]).unwrap();
    assert!(
        syncs() > start,
        "RocksDB synced its log for the synced write"
    );
    assert_eq!(client.aux_get(b"test:a").unwrap(), Some(b"synced".to_vec()));
    // Without statistics there is nothing to report.
    drop(client);
    assert_eq!(open(dir.path()).wal_syncs(), None);
}
