//! A block body holding an extrinsic whose call nests `Sudo.sudo` 100,000 deep (issue
//! 11, item 1): import refuses the block with an error instead of overflowing the stack
//! (which would abort this test binary), and the chain imports on. The same with
//! `Utility.batch` (issue 14), which any account can nest.

use codec::{Decode, Encode};
use echonet_client::BlockOrigin;
use echonet_test_utils::{
    deep_batch_extrinsic, deep_sudo_extrinsic, open_dev_client, past_slot, NewBlock, ATTACK_DEPTH,
};
use sp_runtime::{
    traits::{BlakeTwo256, Hash as _},
    OpaqueExtrinsic, StateVersion,
};

#[test]
fn block_with_a_call_nested_100k_deep_is_refused_and_import_goes_on() {
    refused_and_import_goes_on(|genesis| deep_sudo_extrinsic(genesis, ATTACK_DEPTH, 0));
}

#[test]
fn block_with_a_batch_nested_100k_deep_is_refused_and_import_goes_on() {
    refused_and_import_goes_on(|genesis| deep_batch_extrinsic(genesis, ATTACK_DEPTH, 0));
}

/// A block holding `deep(genesis)` is refused, and the client imports on.
fn refused_and_import_goes_on(deep: impl Fn(sp_core::H256) -> Vec<u8>) {
    let client = open_dev_client();
    let genesis = client.info().genesis_hash;
    let slot = past_slot(10_000);
    let deep = deep(genesis);

    // A block as its author would build it, with the nesting after the inherents and the
    // extrinsics root over the body it carries, sealed by the slot's owner.
    let mut block = NewBlock::new(&client, slot).build();
    block
        .body
        .push(OpaqueExtrinsic::decode(&mut &deep[..]).expect("a byte vector"));
    block.header.extrinsics_root = BlakeTwo256::ordered_trie_root(
        block.body.iter().map(Encode::encode).collect(),
        StateVersion::V1,
    );
    let block = block.seal();
    for origin in [
        BlockOrigin::NetworkBroadcast,
        BlockOrigin::NetworkInitialSync,
    ] {
        let err = block
            .import_from(&client, origin)
            .expect_err("a block that does not decode is refused");
        assert!(!err.to_string().is_empty());
    }
    assert_eq!(client.info().best_number, 0);

    // The client imports on.
    NewBlock::new(&client, slot + 1).import();
    assert_eq!(client.info().best_number, 1);
}
