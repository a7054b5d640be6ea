//! Extrinsics whose call nests `Sudo.sudo` deep, built as bytes, and length prefixes that
//! lie: the attacks on the extrinsic decoder (issue 11, item 1).

use codec::{Compact, Decode, Encode};
use echonet_runtime::{extrinsics, RuntimeCall, SudoCall, SystemCall};
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

/// The encoding of `inner` wrapped in `depth` `Sudo.sudo` calls. Built as bytes: a value
/// this deep could not even be dropped without overflowing the stack.
pub fn nested_sudo(depth: usize, inner: &RuntimeCall) -> Vec<u8> {
    let level = RuntimeCall::Sudo(SudoCall::sudo {
        call: Box::new(remark_call()),
    })
    .encode();
    let prefix = &level[..level.len() - remark_call().encode().len()];
    let mut call = prefix.repeat(depth);
    inner.encode_to(&mut call);
    call
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

/// The encoded extrinsic `xt` with its length prefix replaced by one claiming `claimed`
/// bytes.
pub fn with_claimed_length(xt: &[u8], claimed: u32) -> Vec<u8> {
    let mut body = xt;
    Compact::<u32>::decode(&mut body).expect("an encoded extrinsic starts with its length");
    let mut bytes = Compact(claimed).encode();
    bytes.extend_from_slice(body);
    bytes
}
