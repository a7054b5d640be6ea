//! Target `block_import`: block announcements and block responses as a peer sends them,
//! decoded by the network (`decode_all`), the announced header checked by Aura
//! (`echonet_consensus::aura::check_header`: seal, slot, author) and the response's block
//! imported by the client from the network (`Client::import_block`, which verifies the seal
//! and executes the block).
//!
//! Seed: one valid sealed block of the dev chain on genesis, with a signed transfer, not
//! imported, carried in a `BlockAnnounce` and in a `BlockResponse`. Properties: no panic;
//! bounded allocation; the valid header passes Aura and the valid block imports; any
//! other header fails Aura, and any other block (header or body changed) is refused by
//! import and leaves the best block where it was.

use crate::common::bounded;
use codec::Encode;
use echonet_client::{BlockOrigin, ImportBlock, ImportResult};
use echonet_consensus::aura::{self, AuraClientExt as _};
use echonet_fuzz::{fuzz, mutate};
use echonet_network::{fuzzing::decode_all, BlockAnnounce, BlockData, BlockResponse};
use echonet_test_utils::{open_dev_client, past_slot, transfer, NewBlock};
use proptest::prelude::*;
use sp_keyring::Sr25519Keyring;

#[test]
fn block_import() {
    let client = open_dev_client();
    let genesis = client.info().genesis_hash;
    let xt = transfer(&client, Sr25519Keyring::Alice, Sr25519Keyring::Bob, 0);
    let block = NewBlock::new(&client, past_slot(5))
        .with_encoded([xt])
        .seal();
    let authorities = client
        .aura_authorities(genesis)
        .expect("the dev chain has Aura authorities");
    let original = (block.header.clone(), block.body.clone());
    let block_hash = block.hash();
    let announce = BlockAnnounce {
        header: block.header.clone(),
        is_best: true,
        compact: None,
    }
    .encode();
    let response: BlockResponse = Ok(vec![BlockData {
        hash: block.hash(),
        header: Some(block.header.clone()),
        body: Some(block.body.clone()),
        justifications: None,
    }]);
    let response = response.encode();

    let case = prop_oneof![
        mutate::input(Just(announce)).prop_map(|i| (true, i)),
        mutate::input(Just(response)).prop_map(|i| (false, i)),
    ];
    fuzz("block_import", case, |(is_announce, input)| {
        let bytes = &input.bytes[..];
        let now = aura::slot_now(echonet_runtime::SLOT_DURATION);
        if is_announce {
            let Ok(announce) = bounded(bytes, decode_all::<BlockAnnounce>)? else {
                return Ok(());
            };
            let checked = aura::check_header(announce.header.clone(), None, &authorities, now, 4);
            if announce.header == original.0 {
                prop_assert!(
                    checked.is_ok(),
                    "the valid header fails: {:?}",
                    checked.err()
                );
            } else {
                prop_assert!(
                    checked.is_err(),
                    "a changed header passes Aura: {:?}",
                    announce.header
                );
            }
            return Ok(());
        }
        let Ok(Ok(blocks)) = bounded(bytes, decode_all::<BlockResponse>)? else {
            return Ok(());
        };
        for data in blocks {
            let (Some(header), Some(body)) = (data.header, data.body) else {
                continue;
            };
            let best = client.info().best_hash;
            let is_original = (&header, &body) == (&original.0, &original.1);
            let imported = client.import_block(ImportBlock {
                header,
                body,
                justifications: None,
                origin: BlockOrigin::NetworkBroadcast,
                changes: None,
                finalize: false,
            });
            if is_original {
                prop_assert!(
                    imported.is_ok(),
                    "the valid block fails: {:?}",
                    imported.err()
                );
                continue;
            }
            match imported {
                Err(_) => {}
                // The original's header with another body: the block is known and its
                // stored body must still be the original.
                Ok(ImportResult::AlreadyInChain) => {
                    let stored = client
                        .block(block_hash)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?
                        .map(|b| b.extrinsics);
                    prop_assert_eq!(stored.as_ref(), Some(&original.1));
                }
                Ok(other) => prop_assert!(false, "a changed block imports: {:?}", other),
            }
            prop_assert_eq!(client.info().best_hash, best);
        }
        Ok(())
    });
}
