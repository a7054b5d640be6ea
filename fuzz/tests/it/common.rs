//! What the targets share: a bounded decode, and strategies for the chain's basic types.

use echonet_fuzz::alloc;
use echonet_runtime::Header;
use proptest::{collection::vec, prelude::*, test_runner::TestCaseError};
use sp_core::{ed25519, sr25519, H256};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{generic::DigestItem, traits::Header as _, Digest};
use std::sync::OnceLock;

/// Runs `decode` on `bytes` and fails the case if it held more memory than
/// [`alloc::check_bound`] allows for that many bytes.
pub fn bounded<R>(bytes: &[u8], decode: impl FnOnce(&[u8]) -> R) -> Result<R, TestCaseError> {
    let (result, peak) = alloc::peak_during(|| decode(bytes));
    alloc::check_bound(bytes.len(), peak).map_err(TestCaseError::fail)?;
    Ok(result)
}

/// Any hash.
pub fn hash() -> impl Strategy<Value = H256> {
    any::<[u8; 32]>().prop_map(H256::from)
}

/// A digest item of any kind the chain's headers carry.
pub fn digest_item() -> impl Strategy<Value = DigestItem> {
    prop_oneof![
        (any::<[u8; 4]>(), vec(any::<u8>(), 0..96))
            .prop_map(|(id, d)| DigestItem::PreRuntime(id, d)),
        (any::<[u8; 4]>(), vec(any::<u8>(), 0..96))
            .prop_map(|(id, d)| DigestItem::Consensus(id, d)),
        (any::<[u8; 4]>(), vec(any::<u8>(), 0..96)).prop_map(|(id, d)| DigestItem::Seal(id, d)),
        vec(any::<u8>(), 0..32).prop_map(DigestItem::Other),
        Just(DigestItem::RuntimeEnvironmentUpdated),
    ]
}

/// Any header.
pub fn header() -> impl Strategy<Value = Header> {
    (
        any::<u32>(),
        hash(),
        hash(),
        hash(),
        vec(digest_item(), 0..4),
    )
        .prop_map(|(number, extrinsics_root, state_root, parent_hash, logs)| {
            Header::new(
                number,
                extrinsics_root,
                state_root,
                parent_hash,
                Digest { logs },
            )
        })
}

/// The dev keys' sr25519 pairs, derived once: `Sr25519Keyring::pair` derives from the dev
/// phrase (PBKDF2) on every call, which would dominate a target's time.
pub fn sr25519_pair(key: Sr25519Keyring) -> sr25519::Pair {
    static PAIRS: OnceLock<Vec<(Sr25519Keyring, sr25519::Pair)>> = OnceLock::new();
    PAIRS
        .get_or_init(|| Sr25519Keyring::iter().map(|k| (k, k.pair())).collect())
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, p)| p.clone())
        .expect("every dev key is in the keyring")
}

/// The dev keys' ed25519 pairs, derived once (see [`sr25519_pair`]).
pub fn ed25519_pair(key: Ed25519Keyring) -> ed25519::Pair {
    static PAIRS: OnceLock<Vec<(Ed25519Keyring, ed25519::Pair)>> = OnceLock::new();
    PAIRS
        .get_or_init(|| Ed25519Keyring::iter().map(|k| (k, k.pair())).collect())
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, p)| *p)
        .expect("every dev key is in the keyring")
}
