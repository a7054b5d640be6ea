//! The pool under spam (issue 11, item 5): a long nonce chain from one funded account,
//! one sender's pile of future transactions, and a flood of transactions that get banned.

use echonet_client::Client;
use echonet_runtime::UNITS;
use echonet_test_utils::{open_dev_client, signed_transfer};
use echonet_txpool::{Pool, PoolConfig, PoolError, TxHash};
use sp_core::{sr25519, Pair as _};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
    traits::{BlakeTwo256, Hash as _},
    transaction_validity::InvalidTransaction,
};
use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

fn transfer(client: &Client, from: &sr25519::Pair, nonce: u32) -> Vec<u8> {
    signed_transfer(
        client.info().genesis_hash,
        from,
        Sr25519Keyring::Bob.to_account_id(),
        UNITS,
        nonce,
        0,
    )
}

/// An account that exists nowhere on chain: its transfers are well signed and cannot pay.
fn unfunded(i: u64) -> sr25519::Pair {
    let mut seed = [0x5a; 32];
    seed[..8].copy_from_slice(&i.to_le_bytes());
    sr25519::Pair::from_seed(&seed)
}

/// The attack of one funded account: 8,192 chained transfers. Before readiness was
/// incremental every insert recomputed it from scratch under the pool lock (a fixed
/// point, O(n) passes over the pool for a chain), so filling the pool took hours.
///
/// The deadline is a liveness bound, not a measurement (`echonet-node benchmark pool`
/// measures): the honest cost is one runtime validation per transfer, a few seconds here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_nonce_chain_from_one_sender_keeps_the_pool_responsive() {
    const CHAIN: u32 = 8_192;
    let dev = open_dev_client();
    let client = dev.client.clone();
    let pool = Pool::new(
        PoolConfig {
            max_count: CHAIN as usize + 16,
            ..PoolConfig::default()
        },
        client.clone(),
    );
    let alice = Sr25519Keyring::Alice.pair();
    let genesis = client.info().genesis_hash;
    let signer = alice.clone();
    let chain: Vec<Vec<u8>> = tokio::task::spawn_blocking(move || {
        (0..CHAIN)
            .map(|n| {
                signed_transfer(
                    genesis,
                    &signer,
                    Sr25519Keyring::Bob.to_account_id(),
                    UNITS,
                    n,
                    0,
                )
            })
            .collect()
    })
    .await
    .unwrap();

    let limit = Duration::from_secs(60);
    let started = Instant::now();
    for (inserted, tx) in chain.iter().enumerate() {
        pool.submit_one(tx.clone())
            .await
            .expect("every link of the chain is accepted");
        assert!(
            started.elapsed() < limit,
            "only {inserted} of {CHAIN} chained transfers inserted after {limit:?}: the \
             pool crawls as one sender's chain grows"
        );
    }
    let st = pool.status();
    assert_eq!((st.ready, st.future), (CHAIN as usize, 0));

    // Another sender still gets in, and a block takes the whole chain in nonce order.
    let charlie = Sr25519Keyring::Charlie.pair();
    let c0 = pool
        .submit_one(transfer(&client, &charlie, 0))
        .await
        .unwrap();
    let block = pool.ready_for_block();
    assert_eq!(block.len(), CHAIN as usize + 1);
    assert!(block.iter().any(|t| t.hash == c0));
    let nonce_of: HashMap<TxHash, usize> = chain
        .iter()
        .enumerate()
        .map(|(n, tx)| (BlakeTwo256::hash(tx), n))
        .collect();
    let alice_order: Vec<usize> = block
        .iter()
        .filter_map(|t| nonce_of.get(&t.hash).copied())
        .collect();
    assert_eq!(
        alice_order,
        (0..CHAIN as usize).collect::<Vec<_>>(),
        "Alice's transfers leave in nonce order"
    );

    // Removing a link in the middle sends everything after it back to the future queue,
    // in one step; putting it back promotes them all again.
    let middle = block
        .iter()
        .filter(|t| t.hash != c0)
        .nth(CHAIN as usize / 2)
        .unwrap()
        .clone();
    pool.remove_extrinsics(&[middle.hash]);
    let st = pool.status();
    assert_eq!(
        (st.ready, st.future),
        (CHAIN as usize / 2 + 1, CHAIN as usize / 2 - 1)
    );
    pool.submit_one(middle.bytes.to_vec()).await.unwrap();
    let st = pool.status();
    assert_eq!((st.ready, st.future), (CHAIN as usize + 1, 0));
    assert!(
        started.elapsed() < limit,
        "the chain took {:?} to fill and reshuffle",
        started.elapsed()
    );
}

/// One sender may park only so many transactions behind a nonce gap: the rest are refused
/// with a clear error, other senders are unaffected, and filling the gap promotes them.
#[tokio::test]
async fn future_transactions_are_capped_per_sender() {
    let dev = open_dev_client();
    let client = dev.client.clone();
    let cap = 8;
    let pool = Pool::new(
        PoolConfig {
            max_future_per_sender: cap,
            ..PoolConfig::default()
        },
        client.clone(),
    );
    let charlie = Sr25519Keyring::Charlie.pair();
    // Nonce 0 is missing: nonces 1..=cap all wait.
    for n in 1..=cap as u32 {
        pool.submit_one(transfer(&client, &charlie, n))
            .await
            .unwrap();
    }
    let err = pool
        .submit_one(transfer(&client, &charlie, cap as u32 + 1))
        .await
        .unwrap_err();
    assert_eq!(err, PoolError::TooManyFutureFromSender { limit: cap });
    assert_eq!(pool.status().future, cap);
    // The cap is per sender.
    let dave = Sr25519Keyring::Dave.pair();
    pool.submit_one(transfer(&client, &dave, 3)).await.unwrap();
    assert_eq!(pool.status().future, cap + 1);
    // Ready transactions do not count: filling the gap promotes Charlie's, and his next
    // ones are welcome again.
    pool.submit_one(transfer(&client, &charlie, 0))
        .await
        .unwrap();
    let st = pool.status();
    assert_eq!((st.ready, st.future), (cap + 1, 1));
    pool.submit_one(transfer(&client, &charlie, cap as u32 + 1))
        .await
        .unwrap();
    assert_eq!(pool.status().ready, cap + 2);
}

/// A flood of well-signed transfers from unfunded accounts: each is banned, and the ban
/// list keeps only the newest bans.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ban_list_stays_bounded_and_forgets_the_oldest() {
    let dev = open_dev_client();
    let client: Arc<Client> = dev.client.clone();
    let max_banned = 32;
    let pool = Pool::new(
        PoolConfig {
            max_banned,
            ..PoolConfig::default()
        },
        client.clone(),
    );
    let spam: Vec<Vec<u8>> = (0..3 * max_banned as u64)
        .map(|i| transfer(&client, &unfunded(i), 0))
        .collect();
    for tx in &spam {
        let err = pool.submit_one(tx.clone()).await.unwrap_err();
        assert_eq!(err, PoolError::Invalid(InvalidTransaction::Payment));
    }
    assert_eq!(pool.status().banned, max_banned);
    // The newest ban holds; the oldest was forgotten, so it is validated (and refused,
    // and banned) again.
    assert_eq!(
        pool.submit_one(spam.last().unwrap().clone())
            .await
            .unwrap_err(),
        PoolError::TemporarilyBanned
    );
    assert_eq!(
        pool.submit_one(spam[0].clone()).await.unwrap_err(),
        PoolError::Invalid(InvalidTransaction::Payment)
    );
    assert_eq!(pool.status().banned, max_banned);
}

/// Bans expire after the ban time even if nothing resubmits them.
#[tokio::test]
async fn expired_bans_leave_the_ban_list() {
    let dev = open_dev_client();
    let client = dev.client.clone();
    let pool = Pool::new(
        PoolConfig {
            ban_time: Duration::from_millis(200),
            ..PoolConfig::default()
        },
        client.clone(),
    );
    for i in 0..4 {
        let err = pool
            .submit_one(transfer(&client, &unfunded(i), 0))
            .await
            .unwrap_err();
        assert_eq!(err, PoolError::Invalid(InvalidTransaction::Payment));
    }
    assert_eq!(pool.status().banned, 4);
    tokio::time::sleep(Duration::from_millis(250)).await;
    // A new ban sweeps out the expired ones.
    pool.submit_one(transfer(&client, &unfunded(99), 0))
        .await
        .unwrap_err();
    assert_eq!(pool.status().banned, 1);
}
