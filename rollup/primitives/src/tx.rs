//! L2 transactions and the message users sign.
//!
//! Signed message (one field element, as circomlib's EdDSA signs):
//! `M = Poseidon(e, recipient_hi, recipient_lo)` with
//! `e = chain_id + type·2^32 + from·2^34 + to·2^58 + amount_code·2^82 + fee_code·2^122
//!      + nonce·2^130 + instance·2^170` (234 bits, below the field's 253, so no two tuples
//!      share `e`; the circuit range-checks every field to its width).
//!
//! * `chain_id` stops replay on another EchoNet chain (testnet vs mainnet).
//! * `instance` (64 bits) names the rollup instance on that chain (the bridge instance): two
//!   rollups on one chain do not accept each other's signatures.
//! * `type` (1 = transfer, 3 = withdraw) stops a transfer signature being used as a withdrawal.
//! * `nonce` must equal the account's nonce, which then increments: a signature is usable once,
//!   so it cannot be replayed in a later batch. The batch number is deliberately *not* signed:
//!   the user does not know which batch will include the transaction.
//! * For a withdrawal, `to = 0` and the 32-byte L1 recipient is split into two 128-bit halves;
//!   for a transfer both halves are 0.

use ark_ff::Zero;
use serde::{Deserialize, Serialize};

use crate::eddsa::{PrivateKey, PublicKey, Signature};
use crate::field::{fr_to_le_bytes, split_bytes32, Fr};
use crate::float::{Amount40, Fee8};
use crate::poseidon::poseidon;

/// Nonces are below 2^40: native execution refuses to debit an account whose nonce is
/// larger, and the circuit range-checks the sender's nonce to this width, so both accept the
/// same transactions even for a leaf that did not start from the empty genesis tree.
pub const NONCE_BITS: u32 = 40;
/// Largest nonce an account can sign with.
pub const MAX_NONCE: u64 = (1 << NONCE_BITS) - 1;

/// Transaction type codes, as signed and as used in the circuit.
pub mod tx_type {
    /// An empty slot: changes nothing and publishes an all-zero DA record.
    pub const NOOP: u64 = 0;
    /// [`super::Transfer`].
    pub const TRANSFER: u64 = 1;
    /// [`super::Deposit`] (never signed: the L1 deposit queue authorises it).
    pub const DEPOSIT: u64 = 2;
    /// [`super::Withdraw`].
    pub const WITHDRAW: u64 = 3;
}

/// An L2 → L2 transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Index of the sending account, which signs and pays `amount + fee`.
    pub from: u32,
    /// Index of the receiving account; it must exist and differ from `from`.
    pub to: u32,
    /// The amount credited to `to`.
    pub amount: Amount40,
    /// The fee, paid by `from` to the batch's operator.
    pub fee: Fee8,
    /// Must equal `from`'s nonce at execution; makes the signature single-use.
    pub nonce: u64,
    /// The sender's signature of [`Transfer::message`].
    pub signature: Signature,
}

/// An L1 → L2 deposit, taken from the bridge's queue in order. With `new_account`, it creates
/// the account at `to` (which the bridge assigns and must be empty); otherwise it credits the
/// existing account at `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposit {
    /// Index of the credited (or created) account.
    pub to: u32,
    /// The key of the account to create at `to`, or `None` to credit an existing one.
    pub new_account: Option<PublicKey>,
    /// The amount locked on L1; a full `u128`, since deposits are not float-encoded.
    #[serde(with = "crate::serde_fr::u128_dec")]
    pub amount: u128,
}

/// An L2 → L1 withdrawal to `recipient` (an L1 `AccountId32`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdraw {
    /// Index of the withdrawing account, which signs and pays `amount + fee`.
    pub from: u32,
    /// The amount the bridge releases on L1.
    pub amount: Amount40,
    /// The fee, paid to the batch's operator.
    pub fee: Fee8,
    /// Must equal `from`'s nonce at execution; makes the signature single-use.
    pub nonce: u64,
    /// The L1 account that receives `amount` (hex in JSON).
    #[serde(with = "hex_32")]
    pub recipient: [u8; 32],
    /// The sender's signature of [`Withdraw::message`], which binds `recipient`.
    pub signature: Signature,
}

/// One slot of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Tx {
    /// An L2 → L2 payment between existing accounts.
    Transfer(Transfer),
    /// The next deposit from the L1 bridge's queue.
    Deposit(Deposit),
    /// An L2 → L1 exit.
    Withdraw(Withdraw),
    /// Padding for unused slots (a batch always has `batch_size` slots).
    Noop,
}

impl Tx {
    /// The [`tx_type`] code, as signed and as the circuit's slot type.
    pub fn type_code(&self) -> u64 {
        match self {
            Tx::Noop => tx_type::NOOP,
            Tx::Transfer(_) => tx_type::TRANSFER,
            Tx::Deposit(_) => tx_type::DEPOSIT,
            Tx::Withdraw(_) => tx_type::WITHDRAW,
        }
    }
}

/// The packed first word `e` of the signed message.
#[allow(clippy::too_many_arguments)]
pub fn pack_message_word(
    chain_id: u32,
    instance: u64,
    ty: u64,
    from: u32,
    to: u32,
    amount: Amount40,
    fee: Fee8,
    nonce: u64,
) -> Fr {
    let two = |k: u64| Fr::from(2u64).pow_u64(k);
    Fr::from(chain_id as u64)
        + Fr::from(ty) * two(32)
        + Fr::from(from as u64) * two(34)
        + Fr::from(to as u64) * two(58)
        + Fr::from(amount.code()) * two(82)
        + Fr::from(fee.code() as u64) * two(122)
        + Fr::from(nonce) * two(130)
        + Fr::from(instance) * two(170)
}

trait PowU64 {
    fn pow_u64(self, e: u64) -> Self;
}
impl PowU64 for Fr {
    fn pow_u64(self, e: u64) -> Self {
        ark_ff::Field::pow(&self, [e])
    }
}

/// The message `M` a transfer's sender signs.
pub fn transfer_message(
    chain_id: u32,
    instance: u64,
    from: u32,
    to: u32,
    amount: Amount40,
    fee: Fee8,
    nonce: u64,
) -> Fr {
    let e = pack_message_word(
        chain_id,
        instance,
        tx_type::TRANSFER,
        from,
        to,
        amount,
        fee,
        nonce,
    );
    poseidon(&[e, Fr::zero(), Fr::zero()])
}

/// The message `M` a withdrawal's sender signs.
pub fn withdraw_message(
    chain_id: u32,
    instance: u64,
    from: u32,
    amount: Amount40,
    fee: Fee8,
    nonce: u64,
    recipient: &[u8; 32],
) -> Fr {
    let e = pack_message_word(
        chain_id,
        instance,
        tx_type::WITHDRAW,
        from,
        0,
        amount,
        fee,
        nonce,
    );
    let (hi, lo) = split_bytes32(recipient);
    poseidon(&[e, hi, lo])
}

impl Transfer {
    /// The message `M` the sender signs for rollup `instance` on chain `chain_id` (see the
    /// module docs).
    pub fn message(&self, chain_id: u32, instance: u64) -> Fr {
        transfer_message(
            chain_id,
            instance,
            self.from,
            self.to,
            self.amount,
            self.fee,
            self.nonce,
        )
    }

    /// Builds and signs a transfer for rollup `instance` on chain `chain_id`.
    #[allow(clippy::too_many_arguments)]
    pub fn signed(
        key: &PrivateKey,
        chain_id: u32,
        instance: u64,
        from: u32,
        to: u32,
        amount: Amount40,
        fee: Fee8,
        nonce: u64,
    ) -> Transfer {
        let m = transfer_message(chain_id, instance, from, to, amount, fee, nonce);
        Transfer {
            from,
            to,
            amount,
            fee,
            nonce,
            signature: key.sign(&m),
        }
    }
}

impl Withdraw {
    /// The message `M` the sender signs for rollup `instance` on chain `chain_id`, recipient
    /// included.
    pub fn message(&self, chain_id: u32, instance: u64) -> Fr {
        withdraw_message(
            chain_id,
            instance,
            self.from,
            self.amount,
            self.fee,
            self.nonce,
            &self.recipient,
        )
    }

    /// Builds and signs a withdrawal for rollup `instance` on chain `chain_id`.
    #[allow(clippy::too_many_arguments)]
    pub fn signed(
        key: &PrivateKey,
        chain_id: u32,
        instance: u64,
        from: u32,
        amount: Amount40,
        fee: Fee8,
        nonce: u64,
        recipient: [u8; 32],
    ) -> Withdraw {
        let m = withdraw_message(chain_id, instance, from, amount, fee, nonce, &recipient);
        Withdraw {
            from,
            amount,
            fee,
            nonce,
            recipient,
            signature: key.sign(&m),
        }
    }
}

/// The L2 transaction hash the sequencer, its clients and its receipts use:
/// `blake2_256(M as 32 bytes little-endian ‖ packed signature)`, where `M` is the signed
/// message field element. It names one signed transaction, so a resend has the same hash.
pub fn tx_hash(message: &Fr, signature: &[u8; 64]) -> [u8; 32] {
    let mut buf = [0u8; 96];
    buf[..32].copy_from_slice(&fr_to_le_bytes(message));
    buf[32..].copy_from_slice(signature);
    sp_crypto_hashing::blake2_256(&buf)
}

mod hex_32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(x))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let v = hex::decode(s.trim_start_matches("0x")).map_err(serde::de::Error::custom)?;
        v.try_into()
            .map_err(|_| serde::de::Error::custom("expected 32 bytes of hex"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_binds_every_field() {
        let a = Amount40::from_value(5).unwrap();
        let f = Fee8::from_value(1).unwrap();
        let base = transfer_message(7, 9, 1, 2, a, f, 3);
        assert_ne!(base, transfer_message(8, 9, 1, 2, a, f, 3));
        assert_ne!(base, transfer_message(7, 10, 1, 2, a, f, 3));
        assert_ne!(base, transfer_message(7, 9, 2, 1, a, f, 3));
        assert_ne!(base, transfer_message(7, 9, 1, 2, a, f, 4));
        assert_ne!(
            base,
            transfer_message(7, 9, 1, 2, Amount40::from_value(6).unwrap(), f, 3)
        );
        assert_ne!(base, transfer_message(7, 9, 1, 2, a, Fee8(2), 3));
        // A withdrawal with the same numbers is a different message.
        assert_ne!(base, withdraw_message(7, 9, 1, a, f, 3, &[0; 32]));
        assert_ne!(
            withdraw_message(7, 9, 1, a, f, 3, &[0; 32]),
            withdraw_message(7, 9, 1, a, f, 3, &[1; 32])
        );
        // The instance sits above the largest nonce: it cannot be traded for one.
        let top = pack_message_word(7, 0, 1, 1, 2, a, f, MAX_NONCE);
        let next = pack_message_word(7, 1, 1, 1, 2, a, f, 0);
        assert_ne!(top, next);
        assert_eq!(
            pack_message_word(7, 1, 1, 1, 2, a, f, 0) - pack_message_word(7, 0, 1, 1, 2, a, f, 0),
            Fr::from(2u64).pow_u64(170)
        );
        // The widest word is below 2^234.
        let max = pack_message_word(
            u32::MAX,
            u64::MAX,
            3,
            0xFF_FFFF,
            0xFF_FFFF,
            Amount40::from_code((1 << 40) - 1).unwrap(),
            Fee8(255),
            MAX_NONCE,
        );
        assert_eq!(max + Fr::from(1u64), Fr::from(2u64).pow_u64(234));
    }
}
