//! An extrinsic's length prefix is checked before anything is allocated (issue 11, item
//! 1): sp-runtime's decoder reserves a buffer of the claimed length first, so a 5-byte
//! prefix claiming 4 GiB made the node reserve 4 GiB.
//!
//! This binary counts allocations with its own global allocator, so it stays a binary of
//! its own (one global allocator per binary).

use codec::{Decode, Encode};
use echonet_runtime::{extrinsics, RuntimeCall, SystemCall, UncheckedExtrinsic};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
};

/// The system allocator, recording the largest allocation made on a thread that asked.
struct Largest;

thread_local! {
    static RECORDING: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: the thread-locals may already be gone while a thread exits.
        if RECORDING.try_with(|r| r.get()).unwrap_or(false) {
            let _ = LARGEST.try_with(|l| l.set(l.get().max(layout.size())));
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above, that is from the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

/// Decodes `bytes` and returns the result with the largest allocation it made.
fn decode_recording(bytes: &[u8]) -> (Result<UncheckedExtrinsic, codec::Error>, usize) {
    LARGEST.with(|l| l.set(0));
    RECORDING.with(|r| r.set(true));
    let result = UncheckedExtrinsic::decode(&mut &bytes[..]);
    RECORDING.with(|r| r.set(false));
    (result, LARGEST.with(|l| l.get()))
}

/// A valid transfer's bytes with its length prefix replaced by `claimed`.
fn with_claimed_length(claimed: u32) -> Vec<u8> {
    let xt = extrinsics::transfer(
        &Sr25519Keyring::Alice.pair(),
        Sr25519Keyring::Bob.to_account_id(),
        1,
        0,
        H256::zero(),
    )
    .encode();
    extrinsics::with_claimed_length(&xt, claimed)
}

#[test]
fn a_prefix_claiming_4_gib_is_refused_before_allocating() {
    let (result, largest) = decode_recording(&with_claimed_length(u32::MAX));
    let err = result.expect_err("4 GiB is longer than a block");
    assert!(err.to_string().contains("length"), "{err}");
    assert!(largest < 64 * 1024, "allocated {largest} bytes");
}

#[test]
fn a_prefix_longer_than_the_input_is_refused_before_allocating() {
    // Within the decodable maximum, but the input ends long before.
    let (result, largest) = decode_recording(&with_claimed_length(4 * 1024 * 1024));
    let err = result.expect_err("the input is shorter than its prefix");
    assert!(err.to_string().contains("length"), "{err}");
    assert!(largest < 64 * 1024, "allocated {largest} bytes");
}

#[test]
fn an_honest_extrinsic_still_decodes_under_the_recorder() {
    let call = RuntimeCall::System(SystemCall::remark {
        remark: vec![7; 100],
    });
    let xt = extrinsics::signed(call, &Sr25519Keyring::Alice.pair(), 0, 0, H256::zero());
    let bytes = xt.encode();
    let (result, largest) = decode_recording(&bytes);
    assert_eq!(result.expect("an honest extrinsic decodes"), xt);
    // The recorder does record: the call's bytes were copied.
    assert!(largest >= 100, "recorded only {largest} bytes");
}
