//! A `--dev` node authors a block every 2 s slot and includes signed transfers, which
//! wallets watch go from the pool to a finalized block.

use echonet_runtime::{RuntimeEvent, UNITS};
use echonet_tests::{chain, rpc, Node, BLOCK_TIMEOUT};
use frame_system::Phase;
use serde_json::Value;
use sp_core::H256;
use sp_keyring::Sr25519Keyring::{Alice, Bob};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_are_authored_about_every_two_seconds() {
    const HEADS: usize = 6;
    let node = Node::dev("dev node").await;
    let ws = node.ws().await;
    let mut heads = rpc::subscribe_new_heads(&ws).await;
    // The first notification may be the best block as of subscribing: time from the
    // first block that arrives after it.
    let first = rpc::next(&mut heads, BLOCK_TIMEOUT, "the first head").await;
    let mut arrivals = Vec::with_capacity(HEADS);
    while arrivals.len() < HEADS {
        let head = rpc::next(&mut heads, BLOCK_TIMEOUT, "a new head").await;
        arrivals.push((head, Instant::now()));
    }

    for (i, (head, _)) in arrivals.iter().enumerate() {
        assert_eq!(
            head.number,
            first.number + 1 + i as u32,
            "new heads skip or repeat numbers"
        );
    }
    for pair in arrivals.windows(2) {
        assert_eq!(
            pair[1].0.parent_hash,
            pair[0].0.hash(),
            "#{} does not build on #{}",
            pair[1].0.number,
            pair[0].0.number
        );
    }
    let intervals = (HEADS - 1) as u32;
    let span = arrivals[HEADS - 1].1 - arrivals[0].1;
    let average = span / intervals;
    assert!(
        (Duration::from_millis(1500)..=Duration::from_millis(3000)).contains(&average),
        "heads arrived every {average:?} on average; expected about 2 s"
    );

    // The timestamps the blocks carry agree.
    let mut stamps = Vec::with_capacity(HEADS);
    for (head, _) in &arrivals {
        let now: u64 = rpc::storage_decoded(
            &ws,
            &chain::timestamp_now_key(),
            Some(head.hash()),
            "Timestamp.Now",
        )
        .await;
        stamps.push(now);
    }
    assert!(
        stamps.windows(2).all(|w| w[1] > w[0]),
        "timestamps do not increase: {stamps:?}"
    );
    let average_ms = (stamps[HEADS - 1] - stamps[0]) / intervals as u64;
    assert!(
        (1500..=3000).contains(&average_ms),
        "on-chain timestamps are {average_ms} ms apart on average: {stamps:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_transfer_goes_ready_in_block_finalized_and_pays_bob() {
    let node = Node::dev("dev node").await;
    let ws = node.ws().await;
    let genesis = rpc::genesis_hash(&ws).await;
    let (alice, bob) = (Alice.to_account_id(), Bob.to_account_id());
    let nonce = rpc::next_nonce(&ws, &alice).await;
    let bob_before = rpc::account(&ws, &bob, None).await.data.free;
    let amount = 10 * UNITS + 7;

    let xt_hex = chain::xt_hex(&chain::transfer(Alice, &bob, amount, nonce, genesis));
    let mut watch = rpc::submit_and_watch(&ws, &xt_hex).await;
    let statuses = rpc::statuses_until_final(&mut watch, 3 * BLOCK_TIMEOUT).await;

    assert_eq!(statuses.len(), 3, "statuses: {statuses:?}");
    assert_eq!(statuses[0], "ready", "statuses: {statuses:?}");
    let in_block: H256 = serde_json::from_value(statuses[1]["inBlock"].clone())
        .unwrap_or_else(|_| panic!("second status is not inBlock: {statuses:?}"));
    let finalized: H256 = serde_json::from_value(statuses[2]["finalized"].clone())
        .unwrap_or_else(|_| panic!("third status is not finalized: {statuses:?}"));
    assert_eq!(finalized, in_block, "statuses: {statuses:?}");

    // The block holds the transfer...
    let block = rpc::block(&ws, in_block).await;
    let extrinsics = block["block"]["extrinsics"]
        .as_array()
        .unwrap_or_else(|| panic!("chain_getBlock has no extrinsics: {block}"));
    let index = extrinsics
        .iter()
        .position(|x| *x == Value::String(xt_hex.clone()))
        .expect("the transfer is not among the block's extrinsics") as u32;

    // ...Bob's balance changed in exactly that block...
    let header = rpc::header(&ws, in_block).await;
    let bob_at_parent = rpc::account(&ws, &bob, Some(header.parent_hash))
        .await
        .data
        .free;
    let bob_at_block = rpc::account(&ws, &bob, Some(in_block)).await.data.free;
    assert_eq!(bob_at_parent, bob_before);
    assert_eq!(bob_at_block, bob_before + amount);
    assert_eq!(
        rpc::account(&ws, &alice, Some(in_block)).await.nonce,
        nonce + 1
    );

    // ...and the block's events say so.
    let events = rpc::events(&ws, in_block).await;
    let of_transfer: Vec<_> = events
        .iter()
        .filter(|r| r.phase == Phase::ApplyExtrinsic(index))
        .map(|r| &r.event)
        .collect();
    assert!(
        of_transfer.iter().any(|e| matches!(
            e,
            RuntimeEvent::Balances(pallet_balances::Event::Transfer { from, to, amount: a })
                if *from == alice && *to == bob && *a == amount
        )),
        "no Balances.Transfer {{ Alice → Bob, {amount} }} for extrinsic {index}: {of_transfer:?}"
    );
    assert!(
        of_transfer.iter().any(|e| matches!(
            e,
            RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. })
        )),
        "no System.ExtrinsicSuccess for extrinsic {index}: {of_transfer:?}"
    );

    // The finalized head has reached the block.
    let finalized_head: H256 =
        rpc::call(&ws, "chain_getFinalizedHead", jsonrpsee::rpc_params![]).await;
    let finalized_number = rpc::header(&ws, finalized_head).await.number;
    assert!(finalized_number >= header.number);
}
