//! # EchoNet rollup primitives
//!
//! Shared by the prover (`echonet-prover`), the sequencer and the bridge pallet. Everything
//! here is native (no constraints); the circuit in `echonet-prover` re-implements the parts it
//! proves and is tested against this crate.
//!
//! ## Design decisions
//!
//! * **Field and hash.** BN254 `Fr`; Poseidon with circom's parameters through `light-poseidon`
//!   ([`poseidon`]).
//! * **Balances are `u128`**, the L1 `Balance` type, so a deposit can never overflow
//!   an L2 balance while the bridge holds the funds (total L2 balance ≤ funds locked on L1 <
//!   2^128). The circuit range-checks every new balance and every deposit amount to 128 bits
//!   (no underflow, no overflow, no "negative" deposit). Nonces are below 2^40
//!   ([`tx::MAX_NONCE`]): native execution and the circuit both range-check the sender's
//!   nonce, so they agree even on a leaf that did not start from the empty genesis tree.
//! * **Account tree** ([`tree`]): sparse, depth 24, leaf `Poseidon(pk.x, pk.y, balance,
//!   nonce)`, empty leaf 0, path bits = index bits. Index `2^24-1` is reserved.
//! * **Keys and signatures** ([`eddsa`], [`babyjubjub`]): EdDSA-Poseidon on BabyJubJub,
//!   circomlibjs-compatible (keys, signatures and packing), in circomlib's coordinates.
//! * **Transactions** ([`tx`]): `Transfer`, `Deposit`, `Withdraw`, `Noop`. Amounts are 40-bit
//!   decimal floats and fees 8-bit floats ([`float`]); users sign the codes.
//! * **Replay protection**: the signed message binds chain id, rollup instance, transaction
//!   type, indices, amount, fee, nonce and (for withdrawals) the L1 recipient. The nonce must
//!   equal the account's and then increments, so a signature is spent once and cannot be
//!   replayed into a later batch; the chain id stops replay on another chain, and the
//!   instance (a 64-bit id the bridge instance fixes, in [`BatchHeader`]) on another rollup of
//!   the same chain. No expiry (`valid_until`) is signed.
//! * **Deposits create accounts**: a deposit with `new_account = Some(pk)` fills the empty
//!   leaf at `to` with `(pk, amount, nonce 0)`. The bridge assigns `to` (e.g. a counter of
//!   created accounts), so deposit processing is deterministic; the bridge should also check
//!   `pk` with [`eddsa::PublicKey::validate`] before queueing, since the circuit must accept
//!   every queued deposit. A deposit without `new_account` credits the existing account.
//! * **Fees** are summed over the batch and credited once to the operator's account after the
//!   last slot (see [`batch`]).
//! * **DA encoding** ([`da`]): 3-byte header + 12 bytes per transfer, withdrawal or deposit;
//!   trailing no-ops are omitted.
//! * **Exodus exits** ([`exit`]): the message an L2 key signs to leave a frozen rollup with
//!   a Merkle proof of its leaf, and the bridge's native check of it ([`exit::verify_exit`]).
//! * **Speed** (the sequencer's soft confirmation, issue 13): Poseidon runs circom's constants
//!   in the optimised partial-round form ([`poseidon`]), `k·Base8` comes from a fixed-base
//!   table and `c·8A` from a wNAF ([`eddsa`]), [`eddsa::verify_batch`] checks many signatures
//!   in parallel, and [`AccountTree::set_many`] hashes the paths a batch shares once. Outputs
//!   are unchanged (circomlibjs vectors and random twin tests); figures in BENCHMARKS.md.
//! * **Replay** ([`replay`]): a settled batch applied from its DA bytes and the deposits it
//!   consumed, without signatures, to rebuild the L2 state from L1 data alone.
//! * **Public input** ([`batch::batch_commitment`]): `Poseidon(chain_id + instance·2^32,
//!   batch_number, old_root, new_root, deposits_hash, withdrawals_hash, da_hash)`.

pub mod babyjubjub;
pub mod batch;
pub mod da;
pub mod eddsa;
pub mod exit;
pub mod field;
pub mod float;
pub mod poseidon;
pub mod replay;
pub mod serde_fr;
pub mod tree;
pub mod tx;

pub use ark_bn254::Fr;
pub use batch::{
    batch_commitment, commitment_from_l1_data, execute_batch, BatchError, BatchHeader, BatchTrace,
    WithdrawalRecord,
};
pub use eddsa::{PrivateKey, PublicKey, Signature};
pub use float::{Amount40, Fee8};
pub use tree::{Account, AccountTree, MerkleProof, TREE_DEPTH};
pub use tx::{Deposit, Transfer, Tx, Withdraw};
