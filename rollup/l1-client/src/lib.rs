//! # The rollup's L1 side
//!
//! The sequencer is a plain JSON-RPC client of `echonet-node`; this crate is that client.
//!
//! * [`L1Client`] ([`client`]): WebSocket JSON-RPC to the node, reconnecting by itself. It
//!   reads the bridge's storage at a given block ([`L1Client::bridge_view`],
//!   [`L1Client::finalized_deposits`]), and signs and submits extrinsics with the runtime's
//!   own types ([`L1Client::deposit`], [`L1Client::sudo`], [`L1Client::submit_batch`]).
//!   Every answer is decoded with bounds; bad data is an [`L1Error`].
//! * [`Settler`] ([`settler`]): the settlement actor. Fed [`ProvenBatch`]es, it submits
//!   them strictly in batch order, follows them to finality, resubmits after a drop or a
//!   reorg, never submits a batch the chain already holds, and reports
//!   [`SettlementEvent`]s.
//! * [`rebuild()`] ([`mod@rebuild`]): the whole L2 state from the finalized chain alone, every
//!   batch replayed from its DA bytes and the deposits it consumed
//!   ([`echonet_rollup_primitives::replay`]) and checked against the root the bridge
//!   recorded.
//!
//! Logging targets: `rollup::l1`, `rollup::settler`, `rollup::rebuild`.

pub mod client;
pub mod error;
pub mod rebuild;
pub mod settler;

pub use client::{withdrawal_args, At, BridgeView, L1Client, L1Config};
pub use error::L1Error;
pub use pallet_bridge::{DepositTarget, WithdrawalArg};
pub use rebuild::{rebuild, RebuildProgress, Rebuilt, RebuiltBatch};
pub use settler::{SettlementEvent, Settler, SettlerConfig};

/// A batch ready to settle: everything `Bridge::submit_batch` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenBatch {
    /// The batch number (`LastBatch + 1` when it settles).
    pub number: u64,
    /// The root after the batch (big-endian field element).
    pub new_root: [u8; 32],
    /// The DA payload (`BatchTrace::da`).
    pub da: Vec<u8>,
    /// How many queued deposits it consumes.
    pub deposits_consumed: u32,
    /// Its withdrawals, in slot order ([`withdrawal_args`] of the trace's).
    pub withdrawals: Vec<WithdrawalArg>,
    /// The Groth16 proof, as `echonet_prover::proof_to_bytes` gives it.
    pub proof: [u8; 128],
}

impl ProvenBatch {
    /// The batch of an executed trace with its proof.
    pub fn from_trace(trace: &echonet_rollup_primitives::BatchTrace, proof: [u8; 128]) -> Self {
        ProvenBatch {
            number: trace.header.batch_number,
            new_root: echonet_rollup_primitives::field::fr_to_be_bytes(&trace.new_root),
            da: trace.da.clone(),
            deposits_consumed: trace.deposits.len() as u32,
            withdrawals: withdrawal_args(&trace.withdrawals),
            proof,
        }
    }
}
