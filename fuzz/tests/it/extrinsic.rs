//! Target `extrinsic`: the runtime's extrinsic decoder (`echonet_runtime::UncheckedExtrinsic`,
//! with its depth limit and length-prefix checks) as every path calls it: `Decode` (RPC,
//! runtime API arguments), `LazyExtrinsic::decode_unprefixed` (block bodies), the pool's
//! format check (`echonet_txpool::check_format`, gossip and RPC submissions), and whole
//! blocks (`echonet_runtime::Block`).
//!
//! Seeds: signed transfers and remarks, a bare timestamp inherent, `Sudo.sudo` nested up to
//! 400 deep, and length prefixes that lie. Properties: no panic (a stack overflow would
//! abort the binary); bounded allocation; what decodes re-encodes to the bytes it used;
//! the pool accepts exactly what decodes with nothing left over; the unprefixed decoder
//! agrees with the prefixed one; a nesting within 200 decodes and one past 300 does not.

use crate::common::{bounded, sr25519_pair};
use codec::{Compact, Decode, Encode};
use echonet_fuzz::{fuzz, mutate};
use echonet_runtime::{
    extrinsics, Block, RuntimeCall, SystemCall, TimestampCall, UncheckedExtrinsic,
};
use echonet_test_utils::{nested_sudo, remark_call, signed_transfer, with_claimed_length};
use proptest::{collection::vec, prelude::*, test_runner::TestCaseResult};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use sp_runtime::traits::{Header as _, LazyExtrinsic};

fn signer() -> impl Strategy<Value = Sr25519Keyring> {
    (0usize..6).prop_map(|i| Sr25519Keyring::iter().nth(i).expect("six dev keys"))
}

/// Valid extrinsics, and the `Sudo.sudo` nesting depth of the seed (0 for the others).
fn seed() -> impl Strategy<Value = (Vec<u8>, usize)> {
    let genesis = any::<[u8; 32]>().prop_map(H256::from);
    prop_oneof![
        (
            genesis.clone(),
            signer(),
            signer(),
            any::<u128>(),
            any::<u32>(),
            any::<u128>()
        )
            .prop_map(|(g, from, to, value, nonce, tip)| {
                let xt = signed_transfer(
                    g,
                    &sr25519_pair(from),
                    to.to_account_id(),
                    value,
                    nonce,
                    tip,
                );
                (xt, 0)
            }),
        (
            genesis.clone(),
            signer(),
            vec(any::<u8>(), 0..64),
            any::<u32>()
        )
            .prop_map(|(g, from, remark, nonce)| {
                let call = RuntimeCall::System(SystemCall::remark { remark });
                (
                    extrinsics::signed(call, &sr25519_pair(from), nonce, 0, g).encode(),
                    0,
                )
            }),
        any::<u64>().prop_map(|now| {
            let call = RuntimeCall::Timestamp(TimestampCall::set { now });
            (UncheckedExtrinsic::new_bare(call).encode(), 0)
        }),
        (genesis, 0usize..400, any::<u32>()).prop_map(|(g, depth, nonce)| {
            let call = nested_sudo(depth, &remark_call());
            let xt = extrinsics::signed_encoded_call(
                &call,
                &sr25519_pair(Sr25519Keyring::Alice),
                nonce,
                0,
                g,
            );
            (xt, depth)
        }),
    ]
}

fn case() -> impl Strategy<Value = (mutate::Input, usize, Option<u32>)> {
    (
        seed(),
        mutate::mutations(),
        0u8..8,
        prop_oneof![
            6 => Just(None),
            1 => any::<u32>().prop_map(Some),
        ],
        vec(any::<u8>(), 0..256),
    )
        .prop_map(|((valid, depth), mutations, pick, claimed, random)| {
            let input = match pick {
                0 => mutate::Input {
                    original: None,
                    bytes: random,
                },
                1 => mutate::Input {
                    original: Some(valid.clone()),
                    bytes: valid,
                },
                _ => mutate::Input {
                    bytes: mutate::apply(&valid, &mutations),
                    original: Some(valid),
                },
            };
            // A lying length prefix, on the valid extrinsic only (it is that attack).
            let input = match claimed {
                Some(claimed) if input.original.as_deref() == Some(&input.bytes[..]) => {
                    let bytes = with_claimed_length(&input.bytes, claimed);
                    mutate::Input {
                        original: input.original,
                        bytes,
                    }
                }
                _ => input,
            };
            (input, depth, claimed)
        })
}

fn check(input: &mutate::Input, depth: usize) -> TestCaseResult {
    let bytes = &input.bytes[..];
    let decoded = bounded(bytes, |b| {
        let mut rest = b;
        UncheckedExtrinsic::decode(&mut rest).map(|xt| (xt, b.len() - rest.len()))
    })?;
    let pool = bounded(bytes, echonet_txpool::check_format)?;
    match &decoded {
        Ok((xt, used)) => {
            prop_assert_eq!(
                xt.encode(),
                &bytes[..*used],
                "decoded from bytes it does not encode to"
            );
            prop_assert_eq!(
                pool.is_ok(),
                *used == bytes.len(),
                "the pool's format check disagrees"
            );
            // Block bodies: the same extrinsic without its prefix.
            let mut prefix = bytes;
            let len = Compact::<u32>::decode(&mut prefix).expect("it decoded").0 as usize;
            let body = &prefix[..len];
            let lazy = bounded(
                body,
                <UncheckedExtrinsic as LazyExtrinsic>::decode_unprefixed,
            )?;
            prop_assert!(
                lazy.as_ref().is_ok_and(|l| l == xt),
                "decode_unprefixed disagrees"
            );
        }
        Err(_) => prop_assert!(pool.is_err(), "the pool accepted what does not decode"),
    }
    if input.original.as_deref() == Some(bytes) {
        if depth <= 200 {
            prop_assert!(
                decoded.is_ok(),
                "a valid extrinsic nesting {} deep does not decode",
                depth
            );
        }
        if depth >= 300 {
            prop_assert!(decoded.is_err(), "a nesting {} deep decodes", depth);
        }
    }
    // Whole blocks, as a block response body or `Core_execute_block` argument carries them.
    let block = Block {
        header: echonet_runtime::Header::new(
            1,
            Default::default(),
            Default::default(),
            Default::default(),
            Default::default(),
        ),
        extrinsics: Vec::new(),
    };
    let mut block_bytes = block.header.encode();
    Compact(1u32).encode_to(&mut block_bytes);
    block_bytes.extend_from_slice(bytes);
    let whole = bounded(&block_bytes, |b| Block::decode(&mut &b[..]))?;
    match (&whole, &decoded) {
        (Ok(block), Ok((xt, _))) => {
            prop_assert_eq!(&block.extrinsics[..], std::slice::from_ref(xt))
        }
        (Err(_), Err(_)) => {}
        _ => prop_assert!(
            false,
            "a block body and a lone extrinsic decode differently"
        ),
    }
    Ok(())
}

#[test]
fn extrinsic() {
    fuzz("extrinsic", case(), |(input, depth, _)| {
        check(&input, depth)
    });
}
