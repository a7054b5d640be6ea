//! Extrinsics whose call nests `Sudo.sudo` or `Utility.batch` deep, built as bytes, and length prefixes that
//! lie: the attacks on the extrinsic decoder (issue 11, item 1).

/// Re-exported: they live in the runtime's `extrinsics` module so that the runtime's own
/// tests (which cannot depend on this crate) use the same builders.
pub use echonet_runtime::extrinsics::{nested_batch, nested_sudo, with_claimed_length};
use echonet_runtime::{extrinsics, RuntimeCall, SystemCall};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;

/// A nesting deep enough to overflow any thread's stack with an unlimited decoder: 2 bytes
/// a level, about 200 KB.
pub const ATTACK_DEPTH: usize = 100_000;

/// `System.remark("deep")`, the innermost call of the nestings.
pub fn remark_call() -> RuntimeCall {
    RuntimeCall::System(SystemCall::remark {
        remark: b"deep".to_vec(),
    })
}

/// SCALE bytes of an extrinsic signed by Alice (the dev chain's sudo key) with `nonce`,
/// whose call is a remark nested in `depth` `Sudo.sudo` calls.
pub fn deep_sudo_extrinsic(genesis: H256, depth: usize, nonce: u32) -> Vec<u8> {
    extrinsics::signed_encoded_call(
        &nested_sudo(depth, &remark_call()),
        &Sr25519Keyring::Alice.pair(),
        nonce,
        0,
        genesis,
    )
}

/// SCALE bytes of an extrinsic signed by Bob (any account: no sudo key needed) with
/// `nonce`, whose call is a remark nested in `depth` `Utility.batch` calls.
pub fn deep_batch_extrinsic(genesis: H256, depth: usize, nonce: u32) -> Vec<u8> {
    extrinsics::signed_encoded_call(
        &nested_batch(depth, &remark_call()),
        &Sr25519Keyring::Bob.pair(),
        nonce,
        0,
        genesis,
    )
}
