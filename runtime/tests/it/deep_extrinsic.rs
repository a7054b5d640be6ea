//! The extrinsic decoder's limits (issue 11, item 1): a call nested far deeper than
//! `MAX_EXTRINSIC_DEPTH` is refused with an error instead of overflowing the stack (which
//! would abort the test binary), a length prefix is checked before anything is allocated,
//! and honest extrinsics decode, and encode, exactly as before. `Utility.batch` (issue 14),
//! which any account can nest, is held to the same limit.

use codec::{Compact, Decode, Encode};
use echonet_runtime::{
    extrinsic::{GenericUncheckedExtrinsic, MAX_EXTRINSIC_LEN},
    extrinsics, Block, Header, RuntimeCall, SignedPayload, SystemCall, UncheckedExtrinsic,
    MAX_EXTRINSIC_DEPTH, VERSION,
};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use sp_runtime::traits::{Header as _, LazyExtrinsic};
use sp_runtime::{generic::Preamble, traits::Verify};

/// Deep enough to overflow any thread's stack with an unlimited decoder: 2 bytes a level,
/// about 200 KB.
const ATTACK_DEPTH: usize = 100_000;

fn remark() -> RuntimeCall {
    RuntimeCall::System(SystemCall::remark {
        remark: b"deep".to_vec(),
    })
}

fn sudo(call: RuntimeCall) -> RuntimeCall {
    RuntimeCall::Sudo(pallet_sudo::Call::sudo {
        call: Box::new(call),
    })
}

fn signed_by_alice(call: &[u8]) -> Vec<u8> {
    extrinsics::signed_encoded_call(call, &Sr25519Keyring::Alice.pair(), 0, 0, H256::zero())
}

fn decode(bytes: &[u8]) -> Result<UncheckedExtrinsic, codec::Error> {
    UncheckedExtrinsic::decode(&mut &bytes[..])
}

#[test]
fn the_nesting_is_built_as_the_runtime_encodes_it() {
    let value = sudo(sudo(sudo(remark())));
    assert_eq!(extrinsics::nested_sudo(3, &remark()), value.encode());
    assert_eq!(
        extrinsics::nested_sudo(3, &remark()).len(),
        remark().encode().len() + 3 * 2
    );
}

/// Asserts that `raw` is `value` up to the signature (sr25519 signs with randomness), and
/// that its signature is Alice's over the same payload.
fn assert_same_signed(raw: &[u8], value: &UncheckedExtrinsic, genesis: H256) {
    let decoded = GenericUncheckedExtrinsic::decode(&mut &raw[..]).expect("decodes");
    let Preamble::Signed(address, signature, extension) = &decoded.preamble else {
        panic!("not signed");
    };
    let Preamble::Signed(want_address, _, want_extension) = &value.preamble else {
        panic!("not signed");
    };
    assert_eq!(address, want_address);
    assert_eq!(extension.encode(), want_extension.encode());
    assert_eq!(decoded.function, value.function);
    assert_eq!(raw.len(), value.encode().len());
    let implicit = (
        (),
        VERSION.spec_version,
        VERSION.transaction_version,
        genesis,
        genesis,
        (),
        (),
        (),
    );
    let payload = SignedPayload::from_raw(value.function.clone(), extension.clone(), implicit);
    let alice = Sr25519Keyring::Alice.to_account_id();
    assert!(payload.using_encoded(|p| signature.verify(p, &alice)));
}

#[test]
fn signed_encoded_call_signs_as_signed_does() {
    let alice = Sr25519Keyring::Alice.pair();
    let genesis = H256::repeat_byte(9);
    for call in [remark(), sudo(sudo(remark()))] {
        let value = extrinsics::signed(call.clone(), &alice, 3, 7, genesis);
        let raw = extrinsics::signed_encoded_call(&call.encode(), &alice, 3, 7, genesis);
        assert_same_signed(&raw, &value, genesis);
    }
    // A payload over 256 bytes is signed by its hash.
    let long = RuntimeCall::System(SystemCall::remark {
        remark: vec![1; 1000],
    });
    let value = extrinsics::signed(long.clone(), &alice, 0, 0, H256::zero());
    assert_same_signed(&signed_by_alice(&long.encode()), &value, H256::zero());
}

#[test]
fn a_call_nested_100k_deep_is_refused_not_a_stack_overflow() {
    let bytes = signed_by_alice(&extrinsics::nested_sudo(ATTACK_DEPTH, &remark()));
    let err = decode(&bytes).expect_err("nested far beyond the limit");
    assert!(err.to_string().contains("depth"), "{err}");

    // A block body reaches the decoder through `LazyExtrinsic` (Core_execute_block,
    // BlockBuilder_check_inherents): the limit holds there too.
    let mut body = &bytes[..];
    let _len = Compact::<u32>::decode(&mut body).unwrap();
    assert!(UncheckedExtrinsic::decode_unprefixed(body).is_err());

    // And in a whole block decoded as the runtime's type.
    let header = Header::new(
        1,
        H256::zero(),
        H256::zero(),
        H256::zero(),
        Default::default(),
    );
    let mut block = header.encode();
    Compact(1u32).encode_to(&mut block);
    block.extend_from_slice(&bytes);
    assert!(Block::decode(&mut &block[..]).is_err());
}

#[test]
fn the_runtime_api_arguments_are_decoded_with_the_limit() {
    // `api::dispatch` decodes `TaggedTransactionQueue_validate_transaction`'s arguments
    // (source, extrinsic, block hash) with plain `Decode` of the runtime's types.
    let bytes = signed_by_alice(&extrinsics::nested_sudo(ATTACK_DEPTH, &remark()));
    let mut args = sp_runtime::transaction_validity::TransactionSource::External.encode();
    args.extend_from_slice(&bytes);
    args.extend_from_slice(H256::zero().as_bytes());
    let mut ext = sp_io::TestExternalities::new_empty();
    let out = ext.execute_with(|| {
        std::panic::catch_unwind(|| {
            echonet_runtime::apis::api::dispatch(
                "TaggedTransactionQueue_validate_transaction",
                &args,
            )
        })
    });
    // The generated dispatch panics on undecodable arguments; the node's executor turns
    // that panic into an error. What matters is that this test process is still alive.
    assert!(out.is_err(), "undecodable arguments must not dispatch");
}

#[test]
fn a_call_nested_200_deep_decodes_and_encodes_byte_identically() {
    let bytes = signed_by_alice(&extrinsics::nested_sudo(200, &remark()));
    let xt = decode(&bytes).expect("200 levels are within the limit");
    assert_eq!(xt.encode(), bytes);
    assert!(xt.is_signed());
    // The value matches the one built natively.
    let value = (0..200).fold(remark(), |call, _| sudo(call));
    assert_eq!(xt.function, value);
    // Just under the limit still decodes; the limit counts a level per `Sudo.sudo`.
    let deepest = (MAX_EXTRINSIC_DEPTH - 1) as usize;
    let bytes = signed_by_alice(&extrinsics::nested_sudo(deepest, &remark()));
    assert!(decode(&bytes).is_ok());
    let bytes = signed_by_alice(&extrinsics::nested_sudo(deepest + 2, &remark()));
    assert!(decode(&bytes).is_err());
}

fn batch(call: RuntimeCall) -> RuntimeCall {
    RuntimeCall::Utility(pallet_utility::Call::batch { calls: vec![call] })
}

#[test]
fn the_batch_nesting_is_built_as_the_runtime_encodes_it() {
    let value = batch(batch(batch(remark())));
    assert_eq!(extrinsics::nested_batch(3, &remark()), value.encode());
    assert_eq!(
        extrinsics::nested_batch(3, &remark()).len(),
        remark().encode().len() + 3 * 3
    );
}

/// `Utility.batch` nests calls for any account, not only the sudo key: the decoder's limit
/// counts a level per batch (its `Vec`), so a batch nested 100,000 deep, or just past the
/// limit, is refused as the `Sudo.sudo` nesting is.
#[test]
fn a_batch_nested_past_the_limit_is_refused_not_a_stack_overflow() {
    for depth in [ATTACK_DEPTH, MAX_EXTRINSIC_DEPTH as usize + 1] {
        let bytes = signed_by_alice(&extrinsics::nested_batch(depth, &remark()));
        let err = decode(&bytes).expect_err("nested beyond the limit");
        assert!(err.to_string().contains("depth"), "{depth}: {err}");
        let call = extrinsics::nested_batch(depth, &remark());
        assert!(echonet_runtime::BoundedCall::decode(&mut &call[..]).is_err());
    }
}

/// The stack the node gives every thread that runs the runtime
/// (`echonet_client::executor::RUNTIME_THREAD_STACK`).
const RUNTIME_THREAD_STACK: usize = 16 * 1024 * 1024;

/// A batch nested 200 deep is an honest nesting, within the limit: it decodes, encodes
/// byte-identically, and dispatches (every level, down to the remark) on half the stack
/// the node's runtime threads have. Measured in a debug build: about 18 KiB a level, so
/// 200 levels take about 4 MiB, and the deepest nesting the decoder lets through (255)
/// fits in 4 MiB too; a release build needs less.
#[test]
fn a_batch_nested_200_deep_decodes_and_dispatches_within_the_runtime_stack() {
    let bytes = signed_by_alice(&extrinsics::nested_batch(200, &remark()));
    let xt = decode(&bytes).expect("200 levels are within the limit");
    assert_eq!(xt.encode(), bytes);
    let value = (0..200).fold(remark(), |call, _| batch(call));
    assert_eq!(xt.function, value);
    // The value above is dropped here, on the test thread's stack: fine at 200 levels.
    drop(value);

    let deepest = extrinsics::nested_batch(MAX_EXTRINSIC_DEPTH as usize - 1, &remark());
    let mut ext = crate::staking::ext("development");
    let dispatched = std::thread::Builder::new()
        .stack_size(RUNTIME_THREAD_STACK / 2)
        .spawn(move || {
            ext.execute_with(|| {
                use frame_support::{dispatch::GetDispatchInfo, traits::UnfilteredDispatchable};
                for call in [
                    xt.function.clone(),
                    echonet_runtime::BoundedCall::decode(&mut &deepest[..])
                        .unwrap()
                        .0,
                ] {
                    let weight = call.get_dispatch_info().call_weight;
                    assert!(weight.ref_time() > 0);
                    frame_system::Pallet::<echonet_runtime::Runtime>::reset_events();
                    let alice = echonet_runtime::RuntimeOrigin::signed(
                        Sr25519Keyring::Alice.to_account_id(),
                    );
                    call.dispatch_bypass_filter(alice)
                        .expect("the nesting dispatches");
                    // One `BatchCompleted` per level, so every level ran.
                    let completed = frame_system::Pallet::<echonet_runtime::Runtime>::events()
                        .iter()
                        .filter(|r| {
                            matches!(
                                r.event,
                                echonet_runtime::RuntimeEvent::Utility(
                                    pallet_utility::Event::BatchCompleted
                                )
                            )
                        })
                        .count();
                    assert!(completed >= 200, "{completed} levels completed");
                }
            })
        })
        .unwrap()
        .join();
    assert!(dispatched.is_ok());
}

#[test]
fn encoding_and_type_info_are_those_of_sp_runtimes_extrinsic() {
    let alice = Sr25519Keyring::Alice.pair();
    let xt = extrinsics::transfer(
        &alice,
        Sr25519Keyring::Bob.to_account_id(),
        5,
        1,
        H256::zero(),
    );
    let generic: &GenericUncheckedExtrinsic = &xt;
    assert_eq!(xt.encode(), generic.encode());
    assert_eq!(
        GenericUncheckedExtrinsic::decode(&mut &xt.encode()[..]).unwrap(),
        *generic
    );
    assert_eq!(decode(&xt.encode()).unwrap(), xt);
    let bare = UncheckedExtrinsic::new_bare(remark());
    assert_eq!(
        bare.encode(),
        GenericUncheckedExtrinsic::new_bare(remark()).encode()
    );
    // Same identity and description: the metadata's type registry cannot tell them apart.
    assert_eq!(
        scale_info::meta_type::<UncheckedExtrinsic>(),
        scale_info::meta_type::<GenericUncheckedExtrinsic>()
    );
    assert_eq!(
        <UncheckedExtrinsic as scale_info::TypeInfo>::type_info(),
        <GenericUncheckedExtrinsic as scale_info::TypeInfo>::type_info()
    );
    // serde: serialized as the inner type is, deserialized from a hex string as it is.
    let json = serde_json::to_string(&xt).unwrap();
    assert_eq!(json, serde_json::to_string(generic).unwrap());
    let hex = format!("\"{}\"", sp_core::bytes::to_hex(&xt.encode(), false));
    assert_eq!(
        serde_json::from_str::<UncheckedExtrinsic>(&hex).unwrap(),
        xt
    );
    let deep = format!(
        "\"{}\"",
        sp_core::bytes::to_hex(
            &signed_by_alice(&extrinsics::nested_sudo(ATTACK_DEPTH, &remark())),
            false
        )
    );
    assert!(serde_json::from_str::<UncheckedExtrinsic>(&deep).is_err());
}

#[test]
fn the_length_limit_is_above_the_block_length_limit() {
    // An extrinsic longer than a block must still decode, so that validation refuses it
    // as exhausting the block (error 1010, as Substrate answers) rather than as malformed.
    let limits = <echonet_runtime::configs::RuntimeBlockLength as frame_support::traits::Get<
        frame_system::limits::BlockLength,
    >>::get();
    let longest = [
        frame_support::dispatch::DispatchClass::Normal,
        frame_support::dispatch::DispatchClass::Operational,
        frame_support::dispatch::DispatchClass::Mandatory,
    ]
    .into_iter()
    .map(|class| *limits.max.get(class))
    .max()
    .unwrap();
    assert!(MAX_EXTRINSIC_LEN > longest);
}
