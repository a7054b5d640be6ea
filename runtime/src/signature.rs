//! Transaction signatures.
//!
//! [`EchoSignature`] is `MultiSignature` on the wire and in metadata (same SCALE encoding,
//! same type information, so wallets see no difference). It differs in one way: before
//! verifying, it asks the node whether the node has already verified this exact
//! (signature, message, signer) triple. The node checks a block's signatures on all
//! cores while the block executes on one (see `echonet-client`'s import), and the
//! runtime then skips the checks the node has done.
//!
//! This is sound because a triple enters the set only after a successful verification
//! by the node, and the key binds the signature, the signer and the exact signed bytes.
//! Outside block import no set is registered, and every signature is verified here.

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
        let msg = msg.get();
        #[cfg(feature = "std")]
        if cache::was_verified(&self.0, msg, signer) {
            return true;
        }
        self.0.verify(msg, signer)
    }
}

/// The node's side: the set of verified signatures, and how to fill it.
#[cfg(feature = "std")]
pub mod cache {
    use super::*;
    use crate::{Address, SignedPayload, UncheckedExtrinsic};
    use sp_externalities::ExternalitiesExt;
    use sp_runtime::generic::Preamble;
    use std::{
        collections::HashSet,
        sync::{
            atomic::{AtomicUsize, Ordering},
            Mutex,
        },
    };

    /// Keys of verified (signature, signer, message) triples, and how often the runtime
    /// found the one it was about to verify.
    #[derive(Default)]
    pub struct SignatureSet {
        keys: Mutex<HashSet<[u8; 32]>>,
        hits: AtomicUsize,
        lookups: AtomicUsize,
    }

    impl SignatureSet {
        fn insert(&self, key: [u8; 32]) {
            if let Ok(mut set) = self.keys.lock() {
                set.insert(key);
            }
        }

        fn contains(&self, key: &[u8; 32]) -> bool {
            self.lookups.fetch_add(1, Ordering::Relaxed);
            let found = self
                .keys
                .lock()
                .map(|set| set.contains(key))
                .unwrap_or(false);
            if found {
                self.hits.fetch_add(1, Ordering::Relaxed);
            }
            found
        }

        /// How many signatures the runtime has looked up so far: roughly how many signed
        /// extrinsics execution has reached. A checker behind that point wastes its work.
        pub fn lookups(&self) -> usize {
            self.lookups.load(Ordering::Relaxed)
        }

        /// How many verifications the runtime skipped thanks to the set.
        pub fn hits(&self) -> usize {
            self.hits.load(Ordering::Relaxed)
        }

        /// How many signatures the set holds.
        pub fn len(&self) -> usize {
            self.keys.lock().map(|set| set.len()).unwrap_or(0)
        }

        /// Whether the set is empty.
        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }
    }

    sp_externalities::decl_extension! {
        /// Signatures the node has verified for the block being imported.
        pub struct VerifiedSignatures(std::sync::Arc<SignatureSet>);
    }

    fn key(signature: &MultiSignature, msg: &[u8], signer: &AccountId32) -> [u8; 32] {
        sp_io::hashing::blake2_256(&(signature, signer, msg).encode())
    }

    pub(super) fn was_verified(
        signature: &MultiSignature,
        msg: &[u8],
        signer: &AccountId32,
    ) -> bool {
        sp_externalities::with_externalities(|mut ext| {
            ext.extension::<VerifiedSignatures>()
                .map(|set| set.0.contains(&key(signature, msg, signer)))
        })
        .flatten()
        .unwrap_or(false)
    }

    /// Verifies the signature of a signed extrinsic the way `Checkable::check` does, and
    /// records it in `set` if it is valid. Must run under externalities of the state the
    /// extrinsic will execute on: the signed payload includes values read from storage
    /// (genesis hash, era birth block). Any mismatch only means a cache miss.
    pub fn verify_and_record(xt: &UncheckedExtrinsic, set: &SignatureSet) {
        let Preamble::Signed(Address::Id(signer), signature, extension) = &xt.preamble else {
            return;
        };
        let Ok(payload) = SignedPayload::new(xt.function.clone(), extension.clone()) else {
            return;
        };
        payload.using_encoded(|msg| {
            if signature.0.verify(msg, signer) {
                set.insert(key(&signature.0, msg, signer));
            }
        });
    }
}
