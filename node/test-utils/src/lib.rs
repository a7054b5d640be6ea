//! # echonet-test-utils
//!
//! The fixtures the node's tests share, so that a change to how blocks are built, sealed or
//! served is made here once:
//!
//! - [`DevClient`]: a dev-chain [`Client`] on RocksDB in a temporary directory
//!   ([`open_dev_client`], [`open_dev_client_at`]); [`local_spec_with_sudo`], the `local`
//!   chain with Alice as sudo.
//! - [`NewBlock`]: a block authored the way the node's slot worker does it (Aura
//!   pre-digest, inherents with the slot's timestamp, extrinsics, seal by the slot's
//!   owner, import), with [`past_slot`] for slots that never lie in the future.
//! - [`pool_ready_set`]: the pool's ready transactions once the pool has caught up with the
//!   client's best block (authoring from the ready set earlier would reuse transactions
//!   the previous block already holds).
//! - [`signed_transfer`] and [`transfer`]: signed balance transfers.
//! - [`deep_sudo_extrinsic`], [`deep_batch_extrinsic`]: calls nested past the decoder's
//!   depth limit, as bytes.
//! - [`ForgingChain`]: the chain served to the network ([`echonet_sync::ClientChain`], the
//!   node's own adapter), plus forged blocks and a lying best number.
//! - [`wait_until`], [`wait_until_polling`], [`wait_for`], [`within`]: polls and awaits
//!   bounded by a deadline; [`on_node_threads`], a test on threads with the node's stack.
//! - [`metric`] and [`init_tracing`]: what a test observes besides the chain.

mod author;
mod chain;
mod client;
mod deep;
mod observe;
mod transfer;
mod wait;

pub use author::{
    copy_chain, current_slot, dev_keys, past_slot, pool_ready_set, seal_header, slot_of,
    slot_owner, NewBlock, SealedBlock, UnsealedBlock,
};
pub use chain::ForgingChain;
pub use client::{
    local_spec_with_sudo, open_dev_client, open_dev_client_at, open_dev_client_verified_by,
    open_dev_client_with, DevClient,
};
pub use deep::{
    deep_batch_extrinsic, deep_sudo_extrinsic, nested_batch, nested_sudo, remark_call,
    with_claimed_length, ATTACK_DEPTH,
};
pub use echonet_client::Client;
pub use echonet_sync::ClientChain;
pub use observe::{init_tracing, metric};
pub use transfer::{signed_transfer, transfer};
pub use wait::{
    on_node_threads, wait_for, wait_until, wait_until_polling, wait_until_within, within, DEADLINE,
};
