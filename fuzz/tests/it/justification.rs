//! Target `justification`: GRANDPA justifications as sync and the justification protocol
//! deliver them, through `echonet_finality::verify_justification` (size, depth-limited
//! decode, target, signers, signatures, ancestry, threshold): the check that every
//! justification import runs before it finalizes anything.
//!
//! Seeds: justifications signed by a set of three (ed25519 dev keys), for random rounds,
//! set ids and heights, with precommits on the target and on descendants carried as
//! ancestry headers. Properties: no panic; bounded allocation; the valid justification
//! verifies; any other bytes (a mutation, or arbitrary ones) do not.

use crate::common::{bounded, ed25519_pair, hash};
use codec::Encode;
use echonet_finality::{verify_justification, AuthoritySet, Justification};
use echonet_fuzz::{fuzz, mutate};
use echonet_runtime::Header;
use finality_grandpa::{Message, Precommit, SignedPrecommit};
use proptest::prelude::*;
use sp_consensus_grandpa::AuthorityId;
use sp_core::{Pair, H256};
use sp_keyring::Ed25519Keyring;
use sp_runtime::traits::Header as _;

const VOTERS: [Ed25519Keyring; 3] = [
    Ed25519Keyring::Alice,
    Ed25519Keyring::Bob,
    Ed25519Keyring::Charlie,
];

/// A valid justification and what it is verified against.
#[derive(Clone)]
struct Seed {
    set: AuthoritySet,
    target: H256,
    number: u32,
    encoded: Vec<u8>,
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seed")
            .field("set_id", &self.set.set_id)
            .field("target", &self.target)
            .field("number", &self.number)
            .field("encoded", &hex::encode(&self.encoded))
            .finish()
    }
}

fn header(number: u32, parent_hash: H256, state_root: H256) -> Header {
    Header::new(
        number,
        H256::zero(),
        state_root,
        parent_hash,
        Default::default(),
    )
}

fn seed() -> impl Strategy<Value = Seed> {
    (
        any::<u64>(),
        any::<u64>(),
        0u32..(u32::MAX - 2),
        hash(),
        hash(),
        // How far past the target each voter precommits (0: the target itself). The first
        // voter precommits the target, so that the target is the precommits' GHOST, which
        // a commit must name: honest voters commit to nothing else.
        [0u32..1, 0u32..3, 0u32..3],
    )
        .prop_map(|(round, set_id, number, parent, state_root, past)| {
            let chain = {
                let mut chain = vec![header(number, parent, state_root)];
                for i in 1..3 {
                    let prev = chain[i - 1].hash();
                    chain.push(header(number + i as u32, prev, state_root));
                }
                chain
            };
            let precommits = VOTERS
                .iter()
                .zip(past)
                .map(|(voter, past)| {
                    let target = &chain[past as usize];
                    let precommit = Precommit {
                        target_hash: target.hash(),
                        target_number: *target.number(),
                    };
                    let payload = sp_consensus_grandpa::localized_payload(
                        round,
                        set_id,
                        &Message::<H256, u32>::Precommit(precommit.clone()),
                    );
                    let pair = ed25519_pair(*voter);
                    SignedPrecommit {
                        precommit,
                        signature: pair.sign(&payload).into(),
                        id: AuthorityId::from(pair.public()),
                    }
                })
                .collect();
            let highest = past.iter().copied().max().unwrap_or(0) as usize;
            let justification = Justification {
                round,
                commit: finality_grandpa::Commit {
                    target_hash: chain[0].hash(),
                    target_number: number,
                    precommits,
                },
                votes_ancestries: chain[1..=highest].iter().rev().cloned().collect(),
            };
            Seed {
                set: AuthoritySet {
                    set_id,
                    authorities: VOTERS
                        .iter()
                        .map(|v| (AuthorityId::from(v.public()), 1))
                        .collect(),
                    start: (H256::zero(), 0),
                    pending: Vec::new(),
                },
                target: chain[0].hash(),
                number,
                encoded: justification.encode(),
            }
        })
}

#[test]
fn justification() {
    let case = seed().prop_flat_map(|seed| {
        let valid = Just(seed.encoded.clone());
        (Just(seed), mutate::input(valid))
    });
    fuzz("justification", case, |(seed, input)| {
        let verified = bounded(&input.bytes, |b| {
            verify_justification(&seed.set, seed.target, seed.number, b)
        })?;
        if input.bytes == seed.encoded {
            prop_assert!(
                verified.is_ok(),
                "a valid justification fails: {:?}",
                verified.err()
            );
        } else {
            prop_assert!(
                verified.is_err(),
                "changed bytes verify as a justification of the block: {:?}",
                verified.ok()
            );
        }
        Ok(())
    });
}
