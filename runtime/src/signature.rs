//! Transaction signatures.
//!
//! [`EchoSignature`] is `MultiSignature` on the wire and in metadata (same SCALE encoding,
//! same type information, so wallets see no difference). It differs in one way: before
//! verifying, it asks the node whether the node has already verified this exact
//! (signature, message, signer) triple. The node keeps a bounded cache of verified
//! triples (`echonet-client`'s `verified` module): the pool fills it when it validates a
//! transaction, import's second thread verifies the rest ahead of execution, and import
//! and block authoring then skip the checks already done.
//!
//! This is sound because a triple enters the cache only after a successful verification,
//! and the key binds the signature, the signer and the exact signed bytes (see [`cache`]).
//! Where the node lends no cache, every signature is verified here.

use codec::{Decode, DecodeWithMemTracking, Encode};
use sp_core::{ecdsa, ed25519, sr25519};
use sp_runtime::{
    traits::{Lazy, Verify},
    AccountId32, MultiSignature, MultiSigner,
};

/// A transaction signature: sr25519, ed25519 or ecdsa, as `MultiSignature`.
#[derive(Clone, Eq, PartialEq, Debug, Encode, Decode, DecodeWithMemTracking)]
pub struct EchoSignature(pub MultiSignature);

impl scale_info::TypeInfo for EchoSignature {
    type Identity = MultiSignature;
    fn type_info() -> scale_info::Type {
        MultiSignature::type_info()
    }
}

impl From<MultiSignature> for EchoSignature {
    fn from(s: MultiSignature) -> Self {
        Self(s)
    }
}
impl From<sr25519::Signature> for EchoSignature {
    fn from(s: sr25519::Signature) -> Self {
        Self(s.into())
    }
}
impl From<ed25519::Signature> for EchoSignature {
    fn from(s: ed25519::Signature) -> Self {
        Self(s.into())
    }
}
impl From<ecdsa::Signature> for EchoSignature {
    fn from(s: ecdsa::Signature) -> Self {
        Self(s.into())
    }
}

impl Verify for EchoSignature {
    type Signer = MultiSigner;

    fn verify<L: Lazy<[u8]>>(&self, mut msg: L, signer: &AccountId32) -> bool {
        verify_triple(&self.0, msg.get(), signer)
    }
}

#[cfg(feature = "std")]
fn verify_triple(signature: &MultiSignature, msg: &[u8], signer: &AccountId32) -> bool {
    cache::verify(signature, msg, signer)
}

#[cfg(not(feature = "std"))]
fn verify_triple(signature: &MultiSignature, msg: &[u8], signer: &AccountId32) -> bool {
    signature.verify(msg, signer)
}

/// The node's side: a cache of verified signatures lent to the runtime, and how to fill it.
///
/// The runtime looks a signature up as the key of the exact triple it is about to verify:
/// blake2-256 of the SCALE encoding of (signature, signer, signed message). The signed
/// message of an extrinsic is its signed payload as `UncheckedExtrinsic::check` passes it
/// (hashed when longer than 256 bytes): call, explicit extensions, and the implicit values
/// read from the state (spec and transaction versions, genesis hash, the mortal era's
/// birth-block hash). A key is therefore not the extrinsic's hash: the same bytes on a fork
/// where the era's birth block differs are a different message, hence a different key and
/// a cache miss, and the signature is verified again there.
///
/// Soundness: the cache is only told of triples whose verification just succeeded
/// ([`SignatureCache::verified`] is called after `MultiSignature::verify` returned true, and
/// [`verify_and_record`] does the same). Verification is a pure function of the triple, so
/// a hit answers exactly what verifying again would answer. Without an extension, every
/// signature is verified.
#[cfg(feature = "std")]
pub mod cache {
    use super::*;
    use crate::{Address, SignedPayload, UncheckedExtrinsic};
    use sp_externalities::ExternalitiesExt;
    use sp_runtime::generic::Preamble;
    use std::sync::Arc;

    /// The key of a (signature, signer, message) triple.
    pub type SignatureKey = [u8; 32];

    /// What the node lends the runtime for one call: a set of verified triples.
    pub trait SignatureCache: Send + Sync {
        /// Whether the triple of `key` has been verified successfully before.
        fn contains(&self, key: &SignatureKey) -> bool;
        /// The runtime has just verified the triple of `key` successfully. An
        /// implementation may remember it (or not); it must never be told of a failure.
        fn verified(&self, key: SignatureKey);
    }

    sp_externalities::decl_extension! {
        /// Signatures the node has verified, consulted (and, if the node wants, filled) by
        /// [`EchoSignature`]'s `verify`.
        pub struct VerifiedSignatures(Arc<dyn SignatureCache>);
    }

    /// The key of the triple: what was verified, and nothing less.
    pub fn key(signature: &MultiSignature, msg: &[u8], signer: &AccountId32) -> SignatureKey {
        sp_io::hashing::blake2_256(&(signature, signer, msg).encode())
    }

    /// `signature.verify(msg, signer)`, answered by the node's cache when it knows the
    /// triple, and reported to it when verification succeeds.
    pub(super) fn verify(signature: &MultiSignature, msg: &[u8], signer: &AccountId32) -> bool {
        // Cloned out of the externalities: verification itself may need them.
        let cache = sp_externalities::with_externalities(|mut ext| {
            ext.extension::<VerifiedSignatures>().map(|c| c.0.clone())
        })
        .flatten();
        let Some(cache) = cache else {
            return signature.verify(msg, signer);
        };
        let key = key(signature, msg, signer);
        if cache.contains(&key) {
            return true;
        }
        let valid = signature.verify(msg, signer);
        if valid {
            cache.verified(key);
        }
        valid
    }

    /// Verifies the signature of a signed extrinsic the way `Checkable::check` does, unless
    /// `cache` knows it already, and tells `cache` if it is valid. Must run under
    /// externalities of the state the extrinsic will execute on: the signed payload includes
    /// values read from storage (genesis hash, era birth block). Any mismatch only means a
    /// cache miss. Returns whether the signature was verified here (a miss).
    pub fn verify_and_record(xt: &UncheckedExtrinsic, cache: &dyn SignatureCache) -> bool {
        let Preamble::Signed(Address::Id(signer), signature, extension) = &xt.preamble else {
            return false;
        };
        let Ok(payload) = SignedPayload::new(xt.function.clone(), extension.clone()) else {
            return false;
        };
        payload.using_encoded(|msg| {
            let key = key(&signature.0, msg, signer);
            if cache.contains(&key) {
                return false;
            }
            if signature.0.verify(msg, signer) {
                cache.verified(key);
            }
            true
        })
    }
}
