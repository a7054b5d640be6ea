//! The fee market's ordering (issue 14): the runtime's `ChargeTransactionPayment` gives a
//! higher tip a higher priority, the pool hands ready transactions to the author highest
//! priority first, and the author's block builder (`slot_worker::build_block`, the code
//! the node's Aura worker runs) fills a block in that order, so that when the block is
//! full the lowest tips wait.

use echonet_client::Client;
use echonet_consensus::aura::{slot_worker, AuraClientExt as _};
use echonet_runtime::{extrinsics, RuntimeCall, SystemCall, UNITS};
use echonet_test_utils::{open_dev_client, past_slot, signed_transfer};
use echonet_txpool::{Pool, PoolConfig};
use sp_core::{sr25519, Encode};
use sp_keyring::Sr25519Keyring;
use sp_runtime::OpaqueExtrinsic;
use std::time::{Duration, Instant};

/// The extrinsics of a block `build_block` makes from the pool's ready set, after the
/// timestamp inherent, and the ready set it was given.
fn author_from_pool(client: &Client, pool: &Pool) -> (Vec<OpaqueExtrinsic>, Vec<[u8; 32]>) {
    let ready = pool.ready_for_block();
    let order = ready.iter().map(|t| t.hash.0).collect();
    let parent = client.info().best_hash;
    let slot = past_slot(10_000);
    // The development chain's only validator, Alice, owns every slot.
    let digest = client
        .pre_digest(parent, slot.into(), &Sr25519Keyring::Alice.pair())
        .unwrap();
    let built = slot_worker::build_block(
        client,
        parent,
        slot.into(),
        digest,
        ready,
        Instant::now() + Duration::from_secs(60),
    )
    .unwrap();
    assert!(built.invalid.is_empty());
    let mut body = built.block.body;
    body.remove(0); // the timestamp inherent
    (body, order)
}

fn hash_of(xt: &OpaqueExtrinsic) -> [u8; 32] {
    <sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(&xt.encode()).0
}

#[tokio::test]
async fn a_higher_tip_gets_a_higher_priority_and_goes_first_into_the_block() {
    let dev = open_dev_client();
    let (client, pool) = (
        &dev.client,
        Pool::new(PoolConfig::default(), dev.client.clone()),
    );
    let genesis = client.info().genesis_hash;
    // One transfer per sender (no nonce dependencies), submitted in no particular order
    // of tip.
    let tips = [
        (Sr25519Keyring::Bob, 3),
        (Sr25519Keyring::Charlie, 0),
        (Sr25519Keyring::Dave, 7),
        (Sr25519Keyring::Eve, 1),
        (Sr25519Keyring::Ferdie, 5),
    ];
    let mut by_tip = Vec::new();
    for (who, tip) in tips {
        let bytes = signed_transfer(
            genesis,
            &who.pair(),
            Sr25519Keyring::Alice.to_account_id(),
            UNITS,
            0,
            tip * UNITS / 1_000,
        );
        let hash = pool.submit_one(bytes).await.unwrap();
        by_tip.push((tip, hash));
    }
    // Priorities follow tips.
    let ready = pool.ready_for_block();
    let priority = |h| ready.iter().find(|t| t.hash == h).unwrap().priority;
    by_tip.sort();
    for pair in by_tip.windows(2) {
        assert!(
            priority(pair[0].1) < priority(pair[1].1),
            "tip {} -> priority {}, tip {} -> priority {}",
            pair[0].0,
            priority(pair[0].1),
            pair[1].0,
            priority(pair[1].1)
        );
    }
    // The ready set and the block are in descending tip order.
    let descending: Vec<[u8; 32]> = by_tip.iter().rev().map(|(_, h)| h.0).collect();
    let (body, order) = author_from_pool(client, &pool);
    assert_eq!(order, descending);
    assert_eq!(body.iter().map(hash_of).collect::<Vec<_>>(), descending);
}

/// A signed `System::remark` of `len` bytes from `who` with `tip`.
fn remark(genesis: sp_core::H256, who: &sr25519::Pair, len: usize, tip: u128) -> Vec<u8> {
    let call = RuntimeCall::System(SystemCall::remark {
        remark: vec![0xEC; len],
    });
    extrinsics::signed(call, who, 0, tip, genesis).encode()
}

#[tokio::test]
async fn when_the_block_is_full_the_lowest_tip_waits() {
    let dev = open_dev_client();
    let (client, pool) = (
        &dev.client,
        Pool::new(PoolConfig::default(), dev.client.clone()),
    );
    let genesis = client.info().genesis_hash;
    // Four remarks of 1 MiB: the normal class holds 3.75 MiB, so three fit.
    let len = 1024 * 1024;
    let mut by_tip = Vec::new();
    for (who, tip) in [
        (Sr25519Keyring::Bob, 1),
        (Sr25519Keyring::Charlie, 4),
        (Sr25519Keyring::Dave, 2),
        (Sr25519Keyring::Eve, 3),
    ] {
        let hash = pool
            .submit_one(remark(genesis, &who.pair(), len, tip * UNITS))
            .await
            .unwrap();
        by_tip.push((tip, hash));
    }
    by_tip.sort();
    let (body, _) = author_from_pool(client, &pool);
    let included: Vec<[u8; 32]> = body.iter().map(hash_of).collect();
    let three_highest: Vec<[u8; 32]> = by_tip.iter().rev().take(3).map(|(_, h)| h.0).collect();
    assert_eq!(included, three_highest, "tips 4, 3, 2 in, tip 1 waits");
}
