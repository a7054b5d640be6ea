//! The pool against the real runtime: validation, readiness by nonce tags, conflicts,
//! limits, bans, and the status stream through inclusion and finality.

use echonet_client::{BlockOrigin, Client};
use echonet_runtime::UNITS;
use echonet_test_utils::{open_dev_client, past_slot, pool_ready_set, signed_transfer, NewBlock};
use echonet_txpool::{Pool, PoolConfig, PoolError, TransactionStatus};
use sp_core::sr25519;
use sp_keyring::Sr25519Keyring;
use sp_runtime::transaction_validity::InvalidTransaction;
use std::{sync::Arc, time::Duration};

struct Setup {
    _dir: tempfile::TempDir,
    client: Arc<Client>,
    pool: Arc<Pool>,
}

fn setup(config: PoolConfig) -> Setup {
    let dev = open_dev_client();
    let pool = Pool::new(config, dev.client.clone());
    Setup {
        _dir: dev.dir,
        client: dev.client,
        pool,
    }
}

fn transfer(client: &Client, from: &sr25519::Pair, nonce: u32, tip: u128) -> Vec<u8> {
    signed_transfer(
        client.info().genesis_hash,
        from,
        Sr25519Keyring::Bob.to_account_id(),
        UNITS,
        nonce,
        tip,
    )
}

fn alice() -> sr25519::Pair {
    Sr25519Keyring::Alice.pair()
}

/// Builds a block of the pool's ready transactions on the best block and imports it.
async fn author_block(client: &Client, pool: &Pool, slot: u64, finalize: bool) -> sp_core::H256 {
    let ready = pool_ready_set(pool, client).await;
    NewBlock::new(client, slot)
        .with(ready)
        .seal()
        .import_own(client, finalize)
}

fn base_slot() -> u64 {
    past_slot(10_000)
}

async fn next_status(
    rx: &mut tokio::sync::mpsc::Receiver<TransactionStatus>,
) -> Option<TransactionStatus> {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("status within 10 s")
}

#[tokio::test]
async fn nonce_gap_waits_in_future_until_filled() {
    let s = setup(PoolConfig::default());
    let a = alice();
    s.pool
        .submit_one(transfer(&s.client, &a, 0, 0))
        .await
        .unwrap();
    s.pool
        .submit_one(transfer(&s.client, &a, 2, 0))
        .await
        .unwrap();
    let st = s.pool.status();
    assert_eq!((st.ready, st.future), (1, 1));
    s.pool
        .submit_one(transfer(&s.client, &a, 1, 0))
        .await
        .unwrap();
    let st = s.pool.status();
    assert_eq!((st.ready, st.future), (3, 0));
    assert_eq!(
        s.pool
            .next_nonce_hint(&Sr25519Keyring::Alice.to_account_id(), 0),
        3
    );
}

#[tokio::test]
async fn block_order_respects_nonces_over_tips() {
    let s = setup(PoolConfig::default());
    let a = alice();
    let b = Sr25519Keyring::Charlie.pair();
    // Alice's later nonces pay more, but cannot go before her nonce 0.
    let a0 = s
        .pool
        .submit_one(transfer(&s.client, &a, 0, 0))
        .await
        .unwrap();
    let a1 = s
        .pool
        .submit_one(transfer(&s.client, &a, 1, 1_000 * UNITS))
        .await
        .unwrap();
    let c0 = s
        .pool
        .submit_one(transfer(&s.client, &b, 0, 10 * UNITS))
        .await
        .unwrap();
    let order: Vec<_> = s
        .pool
        .ready_for_block()
        .into_iter()
        .map(|t| t.hash)
        .collect();
    assert_eq!(order.len(), 3);
    let pos = |h| order.iter().position(|x| *x == h).unwrap();
    assert!(pos(a0) < pos(a1), "nonce 0 before nonce 1: {order:?}");
    assert_eq!(
        order[0], c0,
        "Charlie's tipped transaction has no dependency and goes first"
    );
}

#[tokio::test]
async fn duplicate_bad_format_bad_signature_and_ban() {
    let s = setup(PoolConfig::default());
    let a = alice();
    let tx = transfer(&s.client, &a, 0, 0);
    s.pool.submit_one(tx.clone()).await.unwrap();
    let err = s.pool.submit_one(tx).await.unwrap_err();
    assert_eq!(err, PoolError::AlreadyImported);

    let err = s.pool.submit_one(vec![0x12, 0x34]).await.unwrap_err();
    assert!(matches!(err, PoolError::BadFormat(_)));

    // Layout: compact length (2 bytes here), version, address (1 + 32), signature (1 + 64).
    let mut bad = transfer(&s.client, &a, 1, 0);
    bad[2 + 1 + 33 + 1 + 10] ^= 0x01;
    let err = s.pool.submit_one(bad.clone()).await.unwrap_err();
    assert_eq!(err, PoolError::Invalid(InvalidTransaction::BadProof));
    let err = s.pool.submit_one(bad).await.unwrap_err();
    assert_eq!(err, PoolError::TemporarilyBanned);
}

#[tokio::test]
async fn higher_tip_replaces_same_nonce_and_lower_is_refused() {
    let s = setup(PoolConfig::default());
    let a = alice();
    let (first, mut watch) = s
        .pool
        .submit_and_watch(transfer(&s.client, &a, 0, 0))
        .await
        .unwrap();
    assert_eq!(
        next_status(&mut watch).await,
        Some(TransactionStatus::Ready)
    );
    let better = s
        .pool
        .submit_one(transfer(&s.client, &a, 0, UNITS))
        .await
        .unwrap();
    assert_ne!(first, better);
    assert_eq!(
        next_status(&mut watch).await,
        Some(TransactionStatus::Usurped(better))
    );
    assert_eq!(next_status(&mut watch).await, None, "usurped is final");

    let err = s
        .pool
        .submit_one(transfer(&s.client, &a, 0, UNITS / 2))
        .await
        .unwrap_err();
    assert!(matches!(err, PoolError::TooLowPriority { .. }), "{err:?}");
    assert_eq!(s.pool.status().ready, 1);
}

#[tokio::test]
async fn full_pool_evicts_lowest_priority_and_refuses_a_weaker_newcomer() {
    let s = setup(PoolConfig {
        max_count: 2,
        ..Default::default()
    });
    let dave = Sr25519Keyring::Dave.pair();
    let eve = Sr25519Keyring::Eve.pair();
    let ferdie = Sr25519Keyring::Ferdie.pair();
    let (low, mut low_watch) = s
        .pool
        .submit_and_watch(transfer(&s.client, &dave, 0, 10))
        .await
        .unwrap();
    s.pool
        .submit_one(transfer(&s.client, &eve, 0, 1_000 * UNITS))
        .await
        .unwrap();
    // A newcomer weaker than everything is refused...
    let err = s
        .pool
        .submit_one(transfer(&s.client, &ferdie, 0, 0))
        .await
        .unwrap_err();
    assert_eq!(err, PoolError::ImmediatelyDropped);
    // ...a stronger one evicts the weakest.
    s.pool
        .submit_one(transfer(&s.client, &ferdie, 0, 100 * UNITS))
        .await
        .unwrap();
    assert_eq!(s.pool.status().ready, 2);
    assert_eq!(
        next_status(&mut low_watch).await,
        Some(TransactionStatus::Ready)
    );
    assert_eq!(
        next_status(&mut low_watch).await,
        Some(TransactionStatus::Dropped)
    );
    assert!(!s
        .pool
        .pending_extrinsics()
        .iter()
        .any(|x| <sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(x) == low));
}

#[tokio::test]
async fn watched_transfer_goes_ready_in_block_finalized() {
    let s = setup(PoolConfig::default());
    let a = alice();
    let (hash, mut watch) = s
        .pool
        .submit_and_watch(transfer(&s.client, &a, 0, 0))
        .await
        .unwrap();
    assert_eq!(
        next_status(&mut watch).await,
        Some(TransactionStatus::Ready)
    );

    let slot = base_slot();
    let block = author_block(&s.client, &s.pool, slot, false).await;
    let mut imports = s.client.import_notifications();
    let _ = imports.try_recv();
    // Drive maintenance by hand, as the node's maintenance task does.
    let n = echonet_client::BlockImportNotification {
        hash: block,
        header: Arc::new(s.client.header(block).unwrap().unwrap()),
        origin: BlockOrigin::Own,
        is_new_best: true,
        tree_route: None,
        import_time: Duration::ZERO,
    };
    s.pool.on_block_imported(&n).await;
    assert_eq!(
        next_status(&mut watch).await,
        Some(TransactionStatus::InBlock(block))
    );
    assert_eq!(s.pool.status().ready, 0);
    assert!(s.client.transaction_location(hash).unwrap().is_some());

    s.client.finalize_block(block, None).unwrap();
    let fin = echonet_client::FinalityNotification {
        hash: block,
        header: n.header.clone(),
        finalized: Arc::new(vec![block]),
    };
    s.pool.on_block_finalized(&fin);
    assert_eq!(
        next_status(&mut watch).await,
        Some(TransactionStatus::Finalized(block))
    );
    assert_eq!(next_status(&mut watch).await, None);

    // The same nonce again is stale now, and stale transactions are not banned.
    let err = s
        .pool
        .submit_one(transfer(&s.client, &a, 0, 1))
        .await
        .unwrap_err();
    assert_eq!(err, PoolError::Invalid(InvalidTransaction::Stale));
    let err = s
        .pool
        .submit_one(transfer(&s.client, &a, 0, 2))
        .await
        .unwrap_err();
    assert_eq!(err, PoolError::Invalid(InvalidTransaction::Stale));
}

#[tokio::test]
async fn maintenance_task_drops_transactions_made_stale_by_a_block() {
    let s = setup(PoolConfig::default());
    let a = alice();
    tokio::spawn(s.pool.clone().run_maintenance());
    // A transaction built elsewhere uses nonce 0 in a block; ours with nonce 0 goes.
    let (_, mut watch) = s
        .pool
        .submit_and_watch(transfer(&s.client, &a, 0, 0))
        .await
        .unwrap();
    assert_eq!(
        next_status(&mut watch).await,
        Some(TransactionStatus::Ready)
    );
    let other = Pool::new(PoolConfig::default(), s.client.clone());
    other
        .submit_one(transfer(&s.client, &a, 0, 7))
        .await
        .unwrap();
    author_block(&s.client, &other, base_slot(), true).await;
    assert_eq!(
        next_status(&mut watch).await,
        Some(TransactionStatus::Invalid)
    );
    assert_eq!(s.pool.status().ready, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processed_best_names_a_block_once_its_transactions_left_the_ready_set() {
    let s = setup(PoolConfig::default());
    let mut processed = s.pool.processed_best();
    assert_eq!(*processed.borrow(), s.client.info().genesis_hash);
    tokio::spawn(s.pool.clone().run_maintenance());
    s.pool
        .submit_one(transfer(&s.client, &alice(), 0, 0))
        .await
        .unwrap();
    let block = author_block(&s.client, &s.pool, base_slot(), false).await;
    echonet_test_utils::within(
        Duration::from_secs(10),
        "the pool to process the block",
        processed.wait_for(|h| *h == block),
    )
    .await
    .unwrap();
    assert!(s.pool.ready_for_block().is_empty());
}

#[test]
fn status_json_matches_substrate() {
    let h = sp_core::H256::repeat_byte(0xab);
    let j = |s: TransactionStatus| serde_json::to_string(&s).unwrap();
    assert_eq!(j(TransactionStatus::Ready), "\"ready\"");
    assert_eq!(j(TransactionStatus::Future), "\"future\"");
    assert_eq!(
        j(TransactionStatus::InBlock(h)),
        format!("{{\"inBlock\":\"{h:?}\"}}")
    );
    assert_eq!(
        j(TransactionStatus::Finalized(h)),
        format!("{{\"finalized\":\"{h:?}\"}}")
    );
    assert_eq!(j(TransactionStatus::Dropped), "\"dropped\"");
    assert_eq!(j(TransactionStatus::Invalid), "\"invalid\"");
}

#[tokio::test]
async fn valid_submissions_fill_the_signature_cache_that_authoring_uses() {
    let s = setup(PoolConfig::default());
    let a = alice();
    let cache = s.client.signature_cache().clone();
    s.pool
        .submit_one(transfer(&s.client, &a, 0, 0))
        .await
        .unwrap();
    s.pool
        .submit_from_network(transfer(&s.client, &a, 1, 0))
        .await
        .unwrap();
    assert_eq!(cache.len(), 2);
    // Refused (a stale nonce would be too, but this one cannot pay): not cached.
    let pauper = <sr25519::Pair as sp_core::Pair>::from_seed(&[9; 32]);
    assert!(s
        .pool
        .submit_one(transfer(&s.client, &pauper, 0, 0))
        .await
        .is_err());
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.lookups("authoring"), (0, 0));
    author_block(&s.client, &s.pool, base_slot(), false).await;
    assert_eq!(cache.lookups("authoring"), (2, 0));
}

/// After a block that includes the pool's own transactions, the pool drops them and
/// treats the tags they provided as on chain: the sender's later nonces stay ready, in
/// order, and go into the next block. With no revalidation batch at all, this is the
/// pruning by tags alone (no runtime call per pool transaction); with the default batch
/// the revalidation must agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn included_transactions_leave_and_the_next_nonces_stay_ready() {
    for batch in [0, echonet_txpool::REVALIDATION_BATCH] {
        next_nonces_stay_ready(batch).await;
    }
}

async fn next_nonces_stay_ready(revalidation_batch: usize) {
    let s = setup(PoolConfig {
        revalidation_batch,
        ..PoolConfig::default()
    });
    let a = alice();
    tokio::spawn(s.pool.clone().run_maintenance());
    let txs: Vec<Vec<u8>> = (0..4).map(|n| transfer(&s.client, &a, n, 0)).collect();
    for tx in &txs {
        s.pool.submit_one(tx.clone()).await.unwrap();
    }
    assert_eq!(s.pool.status().ready, 4);
    // A block of nonces 0 and 1 only.
    let block = NewBlock::new(&s.client, base_slot())
        .with_encoded(&txs[..2])
        .seal()
        .import_own(&s.client, false);
    let mut processed = s.pool.processed_best();
    echonet_test_utils::within(
        Duration::from_secs(10),
        "the pool to process the block",
        processed.wait_for(|h| *h == block),
    )
    .await
    .unwrap();
    let status = s.pool.status();
    assert_eq!((status.ready, status.future), (2, 0), "{status:?}");
    let ready: Vec<Vec<u8>> = s
        .pool
        .ready_for_block()
        .into_iter()
        .map(|t| t.bytes.to_vec())
        .collect();
    assert_eq!(ready, txs[2..].to_vec(), "nonces 2 then 3");
    // And they are what the chain accepts next.
    let next = author_block(&s.client, &s.pool, base_slot() + 1, false).await;
    let body = s.client.body(next).unwrap().unwrap();
    assert_eq!(body.len(), 1 + 2, "the timestamp and nonces 2 and 3");
}
