//! Signed balance transfers.

use codec::Encode;
use echonet_client::Client;
use echonet_runtime::{extrinsics, AccountId, Balance, BalancesCall, RuntimeCall, UNITS};
use sp_core::{sr25519, H256};
use sp_keyring::Sr25519Keyring;

/// SCALE bytes of `from`'s signed `transfer_keep_alive` of `value` to `to`, with `nonce`
/// and `tip`, for the chain of `genesis`.
pub fn signed_transfer(
    genesis: H256,
    from: &sr25519::Pair,
    to: AccountId,
    value: Balance,
    nonce: u32,
    tip: Balance,
) -> Vec<u8> {
    let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
        dest: to.into(),
        value,
    });
    extrinsics::signed(call, from, nonce, tip, genesis).encode()
}

/// SCALE bytes of a transfer of 1 ECHO from `from` to `to` on `client`'s chain, no tip.
pub fn transfer(client: &Client, from: Sr25519Keyring, to: Sr25519Keyring, nonce: u32) -> Vec<u8> {
    signed_transfer(
        client.info().genesis_hash,
        &from.pair(),
        to.to_account_id(),
        UNITS,
        nonce,
        0,
    )
}
