//! What a wallet knows about the EchoNet runtime: how to sign extrinsics and where
//! storage values live.

use codec::Encode;
use echonet_runtime::{extrinsics, AccountId, Balance, Nonce, RuntimeCall, UncheckedExtrinsic};
use sp_core::H256;
use sp_io::hashing::twox_128;
use sp_keyring::Sr25519Keyring;

/// An account as `System::Account` stores it.
pub type AccountInfo = frame_system::AccountInfo<Nonce, pallet_balances::AccountData<Balance>>;

/// An entry of `System::Events`.
pub type EventRecord = frame_system::EventRecord<echonet_runtime::RuntimeEvent, H256>;

/// `0x`-prefixed lower-case hex, as Substrate's RPC writes bytes.
pub fn to_hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// A signed `Balances::transfer_keep_alive` from `from` to `to`.
pub fn transfer(
    from: Sr25519Keyring,
    to: &AccountId,
    amount: Balance,
    nonce: Nonce,
    genesis: H256,
) -> UncheckedExtrinsic {
    extrinsics::transfer(&from.pair(), to.clone(), amount, nonce, genesis)
}

/// A signed `System::remark` of `len` bytes.
pub fn remark(from: Sr25519Keyring, len: usize, nonce: Nonce, genesis: H256) -> UncheckedExtrinsic {
    let call = RuntimeCall::System(frame_system::Call::remark {
        remark: vec![0x42; len],
    });
    signed(from, call, nonce, genesis)
}

/// `call` signed by `who` with `nonce` and no tip, for the chain of `genesis`.
pub fn signed(
    who: Sr25519Keyring,
    call: RuntimeCall,
    nonce: Nonce,
    genesis: H256,
) -> UncheckedExtrinsic {
    extrinsics::signed(call, &who.pair(), nonce, 0, genesis)
}

/// `Sudo::sudo(call)`: `call` dispatched as Root when the sudo key (Alice on the dev and
/// local chains) signs it.
pub fn sudo(call: RuntimeCall) -> RuntimeCall {
    RuntimeCall::Sudo(pallet_sudo::Call::sudo {
        call: Box::new(call),
    })
}

/// The SCALE bytes of `xt`, hex-encoded for `author_submitExtrinsic`.
pub fn xt_hex(xt: &UncheckedExtrinsic) -> String {
    to_hex(&xt.encode())
}

/// The key of a plain `StorageValue`: `twox128(pallet) ++ twox128(item)`.
pub fn value_key(pallet: &str, item: &str) -> Vec<u8> {
    [twox_128(pallet.as_bytes()), twox_128(item.as_bytes())].concat()
}

/// `System::Number`: the number of the block whose state this is.
pub fn system_number_key() -> Vec<u8> {
    value_key("System", "Number")
}

/// `System::ParentHash`: the parent of the block whose state this is.
pub fn system_parent_hash_key() -> Vec<u8> {
    value_key("System", "ParentHash")
}

/// `Timestamp::Now`: the block's timestamp, in milliseconds.
pub fn timestamp_now_key() -> Vec<u8> {
    value_key("Timestamp", "Now")
}
