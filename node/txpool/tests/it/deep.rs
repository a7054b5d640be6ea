//! Extrinsics that attack the decoder (issue 11, item 1), sent the way a peer gossips
//! them: a call nested 100,000 deep is refused as badly formatted instead of overflowing
//! the stack (which would abort this test binary), a length prefix claiming 4 GiB is
//! refused, the pool keeps serving, and an honest 200-deep nesting is pooled and included.
//! `Utility.batch` (issue 14), which any account can nest, gets the same treatment.

use echonet_client::Client;
use echonet_runtime::UNITS;
use echonet_test_utils::{
    deep_batch_extrinsic, deep_sudo_extrinsic, open_dev_client, past_slot, pool_ready_set,
    signed_transfer, with_claimed_length, NewBlock, ATTACK_DEPTH,
};
use echonet_txpool::{Pool, PoolConfig, PoolError};
use sp_keyring::Sr25519Keyring;
use sp_runtime::traits::{BlakeTwo256, Hash as _};
use std::sync::Arc;

fn transfer(client: &Client, nonce: u32) -> Vec<u8> {
    signed_transfer(
        client.info().genesis_hash,
        &Sr25519Keyring::Alice.pair(),
        Sr25519Keyring::Bob.to_account_id(),
        UNITS,
        nonce,
        0,
    )
}

fn assert_bad_format(result: Result<sp_core::H256, PoolError>, what: &str) {
    match result {
        Err(PoolError::BadFormat(reason)) => {
            assert!(!reason.is_empty(), "{what}: no reason given")
        }
        other => panic!("{what}: expected a format error, got {other:?}"),
    }
}

#[tokio::test]
async fn gossiped_call_nested_100k_deep_is_refused_and_the_pool_serves_on() {
    let dev = open_dev_client();
    let pool = Pool::new(PoolConfig::default(), dev.client.clone());
    let genesis = dev.info().genesis_hash;

    let deep = deep_sudo_extrinsic(genesis, ATTACK_DEPTH, 0);
    assert!(deep.len() > 200_000);
    assert_bad_format(pool.submit_from_network(deep.clone()).await, "from a peer");
    assert_bad_format(pool.submit_one(deep).await, "submitted locally");

    // Still serving: an honest transaction enters.
    pool.submit_from_network(transfer(&dev, 0))
        .await
        .expect("an honest transaction is pooled");
    assert_eq!(pool.status().ready, 1);
}

#[tokio::test]
async fn gossiped_length_prefix_claiming_4_gib_is_refused() {
    let dev = open_dev_client();
    let pool = Pool::new(PoolConfig::default(), dev.client.clone());
    let xt = transfer(&dev, 0);
    for claimed in [u32::MAX, 4 * 1024 * 1024] {
        let lying = with_claimed_length(&xt, claimed);
        assert_bad_format(pool.submit_from_network(lying).await, "a lying prefix");
    }
    pool.submit_from_network(xt).await.expect("the honest one");
}

/// On the node's threads (16 MiB of stack): with the governance pallets, a debug build's
/// dispatch frames are large enough that 200 levels no longer fit a test thread's 2 MiB.
#[test]
fn sudo_nested_200_deep_by_the_sudo_key_is_pooled_and_included() {
    echonet_test_utils::on_node_threads(|| {
        nested_200_deep_is_pooled_and_included(deep_sudo_extrinsic)
    });
}

/// Submits `nest(genesis, 200, nonce 0)` from the network, then checks that it is ready and
/// that a block built from the ready set includes it.
async fn nested_200_deep_is_pooled_and_included(nest: fn(sp_core::H256, usize, u32) -> Vec<u8>) {
    let dev = open_dev_client();
    let client: Arc<Client> = dev.client.clone();
    let pool = Pool::new(PoolConfig::default(), client.clone());
    tokio::spawn(pool.clone().run_maintenance());
    let xt = nest(client.info().genesis_hash, 200, 0);
    let hash = pool
        .submit_from_network(xt.clone())
        .await
        .expect("200 levels are within the limit");
    assert_eq!(hash, BlakeTwo256::hash(&xt));

    let ready = pool_ready_set(&pool, &client).await;
    assert_eq!(ready.len(), 1);
    let block = NewBlock::new(&client, past_slot(10_000))
        .with(ready)
        .import();
    let body = client.body(block).unwrap().expect("the block's body");
    assert!(
        body.iter()
            .any(|included| codec::Encode::encode(included) == xt),
        "the nesting is in the block"
    );
}

#[tokio::test]
async fn gossiped_batch_nested_100k_deep_is_refused_and_the_pool_serves_on() {
    let dev = open_dev_client();
    let pool = Pool::new(PoolConfig::default(), dev.client.clone());
    let genesis = dev.info().genesis_hash;
    // 100,000 deep, and just past the decoder's limit.
    for depth in [
        ATTACK_DEPTH,
        echonet_runtime::MAX_EXTRINSIC_DEPTH as usize + 1,
    ] {
        let deep = deep_batch_extrinsic(genesis, depth, 0);
        assert_bad_format(pool.submit_from_network(deep.clone()).await, "from a peer");
        assert_bad_format(pool.submit_one(deep).await, "submitted locally");
    }
    pool.submit_from_network(transfer(&dev, 0))
        .await
        .expect("an honest transaction is pooled");
    assert_eq!(pool.status().ready, 1);
}

/// Validation and import dispatch the nesting on the node's threads (16 MiB of stack; the
/// 200 levels take about 4 MiB in a debug build, more than a test thread's 2 MiB).
#[test]
fn batch_nested_200_deep_by_any_account_is_pooled_and_included() {
    echonet_test_utils::on_node_threads(|| {
        nested_200_deep_is_pooled_and_included(deep_batch_extrinsic)
    });
}
