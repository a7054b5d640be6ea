//! Exodus exits: how an L2 account leaves when the rollup is frozen.
//!
//! When the bridge enters exodus mode (no batch for too long, or a deposit left waiting), no
//! batch is accepted any more and the last verified root is final. Each account then exits
//! once, on L1, with
//!
//! * its leaf `(pk, balance, nonce)` and the leaf's [`MerkleProof`] against that root, and
//! * an EdDSA-Poseidon signature by `pk` of the [`exit_message`], which names the L1 recipient.
//!
//! The bridge checks both natively with [`verify_exit`] and pays `balance` to the recipient.
//! Nothing here runs in the circuit.
//!
//! **Exit message**: `Poseidon(EXIT_DOMAIN, chain_id + instance·2^32, index, recipient_hi,
//! recipient_lo)`.
//!
//! * [`EXIT_DOMAIN`] separates it from every other message an L2 key signs (transfers and
//!   withdrawals sign a 3-input Poseidon; the tag also keeps it apart from the other 5-input
//!   uses, which start with a hash or a tag of their own).
//! * `chain_id` and the rollup `instance` (a hash of the bridge instance and its genesis, see
//!   the bridge pallet) make a signature valid on one rollup only; `chain_id < 2^32` and
//!   `instance < 2^64`, so the packed word is below `2^96` and never wraps.
//! * `index` binds the signature to one account: a key that owns several accounts signs each
//!   exit separately.
//! * The recipient (32 bytes, an L1 `AccountId32`) is split into two 128-bit halves, as for
//!   withdrawals, so that a relayer that submits the exit cannot redirect the funds.
//!
//! No nonce: an account exits at most once (the bridge records it), so the signature cannot
//! be replayed.

use ark_ff::PrimeField;

use crate::eddsa::{PrivateKey, Signature, SignatureError};
use crate::field::{split_bytes32, Fr};
use crate::poseidon::poseidon;
use crate::tree::{check_index, Account, MerkleProof, TreeError};

/// The domain tag of the exit message: the ASCII bytes `echonet/exit/v1` read as a big-endian
/// integer (15 bytes, so well below the field modulus).
pub fn exit_domain() -> Fr {
    Fr::from_be_bytes_mod_order(EXIT_DOMAIN)
}

/// The bytes behind [`exit_domain`].
pub const EXIT_DOMAIN: &[u8] = b"echonet/exit/v1";

/// Why an exit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExitError {
    /// The index is outside the tree or is the reserved index: no account can live there.
    #[error(transparent)]
    Index(#[from] TreeError),
    /// The leaf with its Merkle proof does not hash to the root (another account, another
    /// balance or nonce, or a proof against another root).
    #[error("the leaf and its Merkle proof do not match the root")]
    NotInTree,
    /// The signature is not the account key's signature of the exit message.
    #[error("bad exit signature: {0}")]
    Signature(#[from] SignatureError),
}

/// The message an account's key signs to exit to `recipient`.
pub fn exit_message(chain_id: u32, instance: u64, index: u32, recipient: &[u8; 32]) -> Fr {
    let (hi, lo) = split_bytes32(recipient);
    let word = Fr::from(chain_id as u64) + Fr::from(instance) * Fr::from(1u64 << 32);
    poseidon(&[exit_domain(), word, Fr::from(index as u64), hi, lo])
}

/// Signs the exit of account `index` to `recipient` (a wallet's side of [`verify_exit`]).
pub fn sign_exit(
    key: &PrivateKey,
    chain_id: u32,
    instance: u64,
    index: u32,
    recipient: &[u8; 32],
) -> Signature {
    key.sign(&exit_message(chain_id, instance, index, recipient))
}

/// Checks an exit: `account` is the leaf at `index` under `root` (by `proof`), and its key
/// signed the exit message for `recipient`. The cheap Merkle check runs first.
#[allow(clippy::too_many_arguments)]
pub fn verify_exit(
    root: &Fr,
    chain_id: u32,
    instance: u64,
    index: u32,
    account: &Account,
    proof: &MerkleProof,
    recipient: &[u8; 32],
    signature: &Signature,
) -> Result<(), ExitError> {
    check_index(index)?;
    if !proof.verify(root, index, account.leaf()) {
        return Err(ExitError::NotInTree);
    }
    let msg = exit_message(chain_id, instance, index, recipient);
    account.pubkey.verify(&msg, signature)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::AccountTree;

    fn setup() -> (AccountTree, Vec<PrivateKey>) {
        let keys: Vec<PrivateKey> = (1..=3u8).map(|i| PrivateKey([i; 32])).collect();
        let mut tree = AccountTree::new();
        for (i, k) in keys.iter().enumerate() {
            tree.set(
                i as u32,
                Some(Account {
                    pubkey: k.public(),
                    balance: 100 * (i as u128 + 1),
                    nonce: i as u64,
                }),
            )
            .unwrap();
        }
        (tree, keys)
    }

    #[test]
    fn a_signed_exit_with_its_leaf_verifies() {
        let (tree, keys) = setup();
        let root = tree.root();
        for i in 0..3u32 {
            let acc = *tree.get(i).unwrap();
            let proof = tree.proof(i).unwrap();
            let sig = sign_exit(&keys[i as usize], 42, 7, i, &[9; 32]);
            assert_eq!(
                verify_exit(&root, 42, 7, i, &acc, &proof, &[9; 32], &sig),
                Ok(())
            );
        }
    }

    #[test]
    fn exits_with_other_data_are_refused() {
        let (mut tree, keys) = setup();
        let old_root = tree.root();
        let acc = *tree.get(1).unwrap();
        let proof = tree.proof(1).unwrap();
        let sig = sign_exit(&keys[1], 42, 7, 1, &[9; 32]);
        let check = |root: &Fr, chain, inst, index, acc: &Account, rcpt: &[u8; 32]| {
            verify_exit(root, chain, inst, index, acc, &proof, rcpt, &sig)
        };
        // Another recipient, chain or instance: the signature does not cover it.
        assert_eq!(
            check(&old_root, 42, 7, 1, &acc, &[8; 32]),
            Err(ExitError::Signature(SignatureError::Invalid))
        );
        assert_eq!(
            check(&old_root, 43, 7, 1, &acc, &[9; 32]),
            Err(ExitError::Signature(SignatureError::Invalid))
        );
        assert_eq!(
            check(&old_root, 42, 8, 1, &acc, &[9; 32]),
            Err(ExitError::Signature(SignatureError::Invalid))
        );
        // A larger balance, another index, or the reserved index: not the leaf.
        let richer = Account {
            balance: acc.balance + 1,
            ..acc
        };
        assert_eq!(
            check(&old_root, 42, 7, 1, &richer, &[9; 32]),
            Err(ExitError::NotInTree)
        );
        assert_eq!(
            check(&old_root, 42, 7, 2, &acc, &[9; 32]),
            Err(ExitError::NotInTree)
        );
        assert!(matches!(
            check(
                &old_root,
                42,
                7,
                crate::tree::RESERVED_INDEX,
                &acc,
                &[9; 32]
            ),
            Err(ExitError::Index(_))
        ));
        // Someone else's key signing for this leaf.
        let forged = sign_exit(&keys[0], 42, 7, 1, &[9; 32]);
        assert_eq!(
            verify_exit(&old_root, 42, 7, 1, &acc, &proof, &[9; 32], &forged),
            Err(ExitError::Signature(SignatureError::Invalid))
        );
        // After the tree changes, a proof against the older root no longer matches.
        tree.set(
            0,
            Some(Account {
                pubkey: keys[0].public(),
                balance: 1,
                nonce: 1,
            }),
        )
        .unwrap();
        assert_eq!(
            check(&tree.root(), 42, 7, 1, &acc, &[9; 32]),
            Err(ExitError::NotInTree)
        );
    }

    #[test]
    fn exit_message_binds_every_field() {
        let base = exit_message(42, 7, 1, &[9; 32]);
        assert_ne!(base, exit_message(42, 7, 2, &[9; 32]));
        assert_ne!(base, exit_message(42, 7, 1, &[8; 32]));
        assert_ne!(base, exit_message(43, 7, 1, &[9; 32]));
        assert_ne!(base, exit_message(42, 8, 1, &[9; 32]));
        // chain id and instance share a word without overlapping: (1, 0) is not (0, 2^32 / 2^32).
        assert_ne!(
            exit_message(0, 1, 1, &[9; 32]),
            exit_message(1, 0, 1, &[9; 32])
        );
        assert_eq!(exit_message(42, 7, 1, &[9; 32]), base);
    }
}
