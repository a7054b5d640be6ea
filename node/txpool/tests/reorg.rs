//! The pool follows reorganisations (transactions of retracted blocks come back, those of
//! enacted blocks leave), and announces local submissions for gossip but not those that
//! came from peers.

use codec::Encode;
use echonet_client::{BlockOrigin, ChainSpec, Client, ClientConfig, ImportBlock};
use echonet_consensus::aura::{self, AuraClientExt as _, AuraVerifier};
use echonet_runtime::{extrinsics, BalancesCall, RuntimeCall, SLOT_DURATION, UNITS};
use echonet_txpool::{Pool, PoolConfig, TransactionStatus, TxHash};
use sp_consensus_aura::Slot;
use sp_core::{sr25519, Pair, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
    traits::{BlakeTwo256, Hash as _},
    OpaqueExtrinsic,
};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

fn open() -> (tempfile::TempDir, Arc<Client>) {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::open(
        ClientConfig::new(dir.path().join("db")),
        &ChainSpec::development().unwrap(),
        Arc::new(AuraVerifier::default()),
    )
    .unwrap();
    (dir, client)
}

fn transfer(client: &Client, from: Sr25519Keyring, nonce: u32) -> Vec<u8> {
    let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
        dest: Sr25519Keyring::Charlie.to_account_id().into(),
        value: UNITS,
    });
    extrinsics::signed(call, &from.pair(), nonce, 0, client.info().genesis_hash).encode()
}

/// Builds a block with `txs` on `parent` at `slot` (Alice is the dev chain's only author)
/// and imports it without finalizing it.
fn block_on(client: &Client, parent: H256, slot: u64, txs: &[Vec<u8>]) -> H256 {
    let digest = client
        .pre_digest(parent, Slot::from(slot), &Sr25519Keyring::Alice.pair())
        .unwrap();
    let mut builder = client.new_block_builder(parent, digest).unwrap();
    let mut data = sp_inherents::InherentData::new();
    data.put_data(sp_timestamp::INHERENT_IDENTIFIER, &(slot * SLOT_DURATION))
        .unwrap();
    for xt in builder.create_inherents(&data).unwrap() {
        builder.push(xt).unwrap();
    }
    for tx in txs {
        builder
            .push(OpaqueExtrinsic::try_from_encoded_extrinsic(tx).unwrap())
            .unwrap();
    }
    let built = builder.build().unwrap();
    let mut header = built.header;
    let sig: sr25519::Signature = Sr25519Keyring::Alice.pair().sign(header.hash().as_bytes());
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
    hash
}

fn in_pool(pool: &Pool, hash: TxHash) -> bool {
    pool.ready_for_block().iter().any(|t| t.hash == hash)
}

async fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_returns_retracted_transactions_and_removes_enacted_ones() {
    let (_dir, client) = open();
    let pool = Pool::new(PoolConfig::default(), client.clone());
    tokio::spawn(pool.clone().run_maintenance());
    let genesis = client.info().genesis_hash;
    let slot = *aura::slot_now(SLOT_DURATION) - 1_000;

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
    wait_for("Alice's transfer leaves the pool", || {
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
    wait_for("the reorg moves the pool", || {
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
    let (_dir, client) = open();
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
