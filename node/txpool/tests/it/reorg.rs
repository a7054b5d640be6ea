//! The pool follows reorganisations (transactions of retracted blocks come back, those of
//! enacted blocks leave), and announces local submissions for gossip but not those that
//! came from peers.

use echonet_client::Client;
use echonet_test_utils::{open_dev_client, past_slot, wait_for, NewBlock};
use echonet_txpool::{Pool, PoolConfig, TransactionStatus, TxHash};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use std::time::Duration;

/// How long the pool may take to follow the chain.
const DEADLINE: Duration = Duration::from_secs(20);

fn transfer(client: &Client, from: Sr25519Keyring, nonce: u32) -> Vec<u8> {
    echonet_test_utils::transfer(client, from, Sr25519Keyring::Charlie, nonce)
}

/// Builds a block with `txs` on `parent` at `slot` and imports it without finalizing it.
fn block_on(client: &Client, parent: H256, slot: u64, txs: &[Vec<u8>]) -> H256 {
    NewBlock::new(client, slot)
        .on(parent)
        .with_encoded(txs)
        .import()
}

fn in_pool(pool: &Pool, hash: TxHash) -> bool {
    pool.ready_for_block().iter().any(|t| t.hash == hash)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_returns_retracted_transactions_and_removes_enacted_ones() {
    let dev = open_dev_client();
    let client = dev.client.clone();
    let pool = Pool::new(PoolConfig::default(), client.clone());
    tokio::spawn(pool.clone().run_maintenance());
    let genesis = client.info().genesis_hash;
    let slot = past_slot(1_000);

    let tx_a = transfer(&client, Sr25519Keyring::Alice, 0);
    let tx_b = transfer(&client, Sr25519Keyring::Bob, 0);
    let (hash_a, mut watch_a) = pool.submit_and_watch(tx_a.clone()).await.unwrap();
    let hash_b = pool.submit_one(tx_b.clone()).await.unwrap();
    assert_eq!(BlakeTwo256::hash(&tx_a), hash_a);

    // Fork A: #1a holds Alice's transfer.
    let block_1a = {
        let client = client.clone();
        let tx = tx_a.clone();
        tokio::task::spawn_blocking(move || block_on(&client, genesis, slot + 1, &[tx]))
            .await
            .unwrap()
    };
    wait_for("Alice's transfer to leave the pool", DEADLINE, || {
        !in_pool(&pool, hash_a)
    })
    .await;
    assert!(in_pool(&pool, hash_b));

    // Fork B: #1b (empty) and #2b with Bob's transfer: longer, so it becomes best.
    let block_2b = {
        let client = client.clone();
        let tx = tx_b.clone();
        tokio::task::spawn_blocking(move || {
            let block_1b = block_on(&client, genesis, slot + 2, &[]);
            block_on(&client, block_1b, slot + 3, &[tx])
        })
        .await
        .unwrap()
    };
    assert_eq!(client.info().best_hash, block_2b);
    wait_for("the reorg to move the pool", DEADLINE, || {
        in_pool(&pool, hash_a) && !in_pool(&pool, hash_b)
    })
    .await;

    let mut statuses = Vec::new();
    while let Ok(Some(s)) = tokio::time::timeout(Duration::from_secs(2), watch_a.recv()).await {
        statuses.push(s);
    }
    assert!(
        statuses.contains(&TransactionStatus::InBlock(block_1a))
            && statuses.contains(&TransactionStatus::Retracted(block_1a)),
        "Alice's watcher saw {statuses:?}"
    );
    // Back in the pool and valid on the new best chain: a block may include it again.
    let ready: Vec<TxHash> = pool.ready_for_block().iter().map(|t| t.hash).collect();
    assert_eq!(ready, vec![hash_a]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_submissions_are_announced_for_gossip_and_network_ones_are_not() {
    let dev = open_dev_client();
    let client = dev.client.clone();
    let pool = Pool::new(PoolConfig::default(), client.clone());
    let mut imports = pool.import_notifications();

    let from_peer = transfer(&client, Sr25519Keyring::Bob, 0);
    pool.submit_from_network(from_peer.clone()).await.unwrap();
    // The same bytes again are known, from either side.
    assert!(pool.submit_from_network(from_peer).await.is_err());

    let local = transfer(&client, Sr25519Keyring::Alice, 0);
    let hash = pool.submit_one(local.clone()).await.unwrap();
    let announced = tokio::time::timeout(Duration::from_secs(5), imports.recv())
        .await
        .expect("a notification")
        .expect("the pool is alive");
    assert_eq!(announced.hash, hash);
    assert_eq!(*announced.bytes, local);
    assert!(
        imports.try_recv().is_err(),
        "only the local submission is announced"
    );
    assert_eq!(pool.status().ready, 2);
}
