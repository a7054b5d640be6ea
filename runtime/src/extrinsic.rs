//! The runtime's extrinsic type: sp-runtime's `UncheckedExtrinsic` with a decoder that
//! bounds what untrusted bytes can make it do.
//!
//! The node runs the runtime natively, so decoding an extrinsic runs on one of the node's
//! own threads. A call that holds a call (`Sudo.sudo`, and later utility, proxy and
//! multisig) decodes recursively, at 2 bytes a level: with plain `Decode`, a 200 KB
//! extrinsic nesting `Sudo.sudo` 100,000 deep overflows the stack, and a stack overflow
//! aborts the whole process (no `catch_unwind` catches it). Extrinsics reach the decoder
//! from transaction gossip, from RPC and in block bodies, before any signature or fee
//! check, so any peer or RPC client could kill a node with one message.
//!
//! [`UncheckedExtrinsic`] wraps the sp-runtime type and changes only how it is decoded:
//! - the compact length prefix is checked against the input that is left and against the
//!   decodable maximum ([`MAX_EXTRINSIC_LEN`]) before anything is allocated (sp-runtime
//!   reserves a buffer of the claimed length first, 4 GiB for a prefix that says so);
//! - the extrinsic is then decoded with a nesting limit of [`MAX_EXTRINSIC_DEPTH`]
//!   (`Box<RuntimeCall>`, which every call-holding call uses, counts one level).
//!
//! Because it is the runtime's `Block::Extrinsic`, every path gets the limit by
//! construction: block bodies (`LazyExtrinsic::decode_unprefixed`), the arguments of
//! runtime API calls (`api::dispatch` decodes them with `Decode`), the pool and the RPC.
//! Its encoding, `TypeInfo` and therefore the metadata are those of the inner type: no
//! wire, storage or metadata change. It derefs to the inner type, so field access
//! (`xt.function`, `xt.preamble`) reads as before.

use crate::{Address, RuntimeCall, Signature, TxExtension};
use alloc::vec::Vec;
use codec::{
    Compact, CompactLen, Decode, DecodeLimit, DecodeWithMemTracking, Encode, EncodeLike, Input,
};
use frame_support::{
    dispatch::{DispatchInfo, GetDispatchInfo},
    traits::{InherentBuilder, SignedTransactionBuilder},
};
use scale_info::{Type, TypeInfo};
use sp_core::serde;
use sp_runtime::{
    generic,
    traits::{Checkable, ExtrinsicCall, ExtrinsicLike, ExtrinsicMetadata, LazyExtrinsic},
    transaction_validity::TransactionValidityError,
    OpaqueExtrinsic,
};

/// How deep an extrinsic may nest (calls within calls, and any other boxed or collected
/// value). 256 is FRAME's `MAX_EXTRINSIC_DEPTH`: far above any honest use (a `Sudo.sudo`
/// nesting 200 deep still decodes) and far below what exhausts a thread's stack.
pub const MAX_EXTRINSIC_DEPTH: u32 = 256;

/// The longest extrinsic that can be decoded: 16 MiB, sp-runtime's limit on the size of a
/// call (`DEFAULT_MAX_CALL_SIZE`, not exported), plus 64 KiB for the preamble. A longer
/// length prefix is refused before the buffer it claims is allocated; so is any prefix
/// longer than the input that is left, which is what bounds allocation in practice.
///
/// It is deliberately not the block length limit (5 MiB): an extrinsic between the two
/// decodes, and validation refuses it as exhausting the block's resources (RPC error 1010,
/// as Substrate answers), which tells a wallet more than "invalid format" would.
pub const MAX_EXTRINSIC_LEN: u32 = 16 * 1024 * 1024 + 64 * 1024;

/// sp-runtime's extrinsic type with the runtime's parameters, decoded without limits.
/// Build one and convert it with `.into()`; never decode untrusted bytes as this type.
pub type GenericUncheckedExtrinsic =
    generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// An extrinsic as it travels over the network and into blocks. Encodes and describes
/// itself (`TypeInfo`) exactly as [`GenericUncheckedExtrinsic`]; decodes with the limits
/// of the module docs.
#[derive(Clone, PartialEq, Eq)]
pub struct UncheckedExtrinsic(pub GenericUncheckedExtrinsic);

impl UncheckedExtrinsic {
    /// A signed transaction (extrinsic format 4).
    pub fn new_signed(
        function: RuntimeCall,
        signed: Address,
        signature: Signature,
        tx_ext: TxExtension,
    ) -> Self {
        Self(GenericUncheckedExtrinsic::new_signed(
            function, signed, signature, tx_ext,
        ))
    }

    /// A bare extrinsic: an inherent, or an unsigned transaction that the runtime's
    /// `ValidateUnsigned` accepts.
    pub fn new_bare(function: RuntimeCall) -> Self {
        Self(GenericUncheckedExtrinsic::new_bare(function))
    }

    /// The sp-runtime extrinsic inside.
    pub fn into_inner(self) -> GenericUncheckedExtrinsic {
        self.0
    }

    /// Decodes the extrinsic whose compact length prefix, `len`, has just been read from
    /// `input`: checks `len` against the limits, then decodes prefix and body with the
    /// depth limit.
    fn decode_after_prefix<I: Input>(len: u32, input: &mut I) -> Result<Self, codec::Error> {
        if len > MAX_EXTRINSIC_LEN {
            return Err("extrinsic length prefix exceeds the longest decodable extrinsic".into());
        }
        if let Some(remaining) = input.remaining_len()? {
            if len as usize > remaining {
                return Err("extrinsic length prefix exceeds the input".into());
            }
        }
        // sp-runtime's decoder reads the prefix itself: give it back to it.
        let mut input = Prefixed::new(len, input);
        GenericUncheckedExtrinsic::decode_with_depth_limit(MAX_EXTRINSIC_DEPTH, &mut input)
            .map(Self)
    }
}

/// An input that yields a compact length prefix, then the rest of `inner`.
struct Prefixed<'a, I> {
    prefix: [u8; 5],
    read: usize,
    len: usize,
    inner: &'a mut I,
}

impl<'a, I: Input> Prefixed<'a, I> {
    fn new(len: u32, inner: &'a mut I) -> Self {
        let mut prefix = [0u8; 5];
        let encoded = Compact(len).encode();
        prefix[..encoded.len()].copy_from_slice(&encoded);
        Self {
            prefix,
            read: 0,
            len: Compact::<u32>::compact_len(&len),
            inner,
        }
    }
}

impl<I: Input> Input for Prefixed<'_, I> {
    fn remaining_len(&mut self) -> Result<Option<usize>, codec::Error> {
        Ok(self
            .inner
            .remaining_len()?
            .map(|rest| rest.saturating_add(self.len - self.read)))
    }

    fn read(&mut self, into: &mut [u8]) -> Result<(), codec::Error> {
        let from_prefix = into.len().min(self.len - self.read);
        into[..from_prefix].copy_from_slice(&self.prefix[self.read..self.read + from_prefix]);
        self.read += from_prefix;
        if from_prefix < into.len() {
            self.inner.read(&mut into[from_prefix..])?;
        }
        Ok(())
    }

    fn descend_ref(&mut self) -> Result<(), codec::Error> {
        self.inner.descend_ref()
    }

    fn ascend_ref(&mut self) {
        self.inner.ascend_ref()
    }

    fn on_before_alloc_mem(&mut self, size: usize) -> Result<(), codec::Error> {
        self.inner.on_before_alloc_mem(size)
    }
}

impl Decode for UncheckedExtrinsic {
    fn decode<I: Input>(input: &mut I) -> Result<Self, codec::Error> {
        let len = Compact::<u32>::decode(input)?.0;
        Self::decode_after_prefix(len, input)
    }
}

impl DecodeWithMemTracking for UncheckedExtrinsic {}

impl LazyExtrinsic for UncheckedExtrinsic {
    fn decode_unprefixed(data: &[u8]) -> Result<Self, codec::Error> {
        let len = u32::try_from(data.len())
            .map_err(|_| codec::Error::from("extrinsic longer than 4 GiB"))?;
        let mut input = data;
        Self::decode_after_prefix(len, &mut input)
    }
}

impl Encode for UncheckedExtrinsic {
    fn size_hint(&self) -> usize {
        self.0.size_hint()
    }

    fn encode_to<T: codec::Output + ?Sized>(&self, dest: &mut T) {
        self.0.encode_to(dest)
    }

    fn encode(&self) -> Vec<u8> {
        self.0.encode()
    }

    fn using_encoded<R, F: FnOnce(&[u8]) -> R>(&self, f: F) -> R {
        self.0.using_encoded(f)
    }
}

impl EncodeLike for UncheckedExtrinsic {}

/// The inner type's description, under the inner type's identity: the metadata's type
/// registry holds the very same entry as before the wrapper existed.
impl TypeInfo for UncheckedExtrinsic {
    type Identity = GenericUncheckedExtrinsic;

    fn type_info() -> Type {
        GenericUncheckedExtrinsic::type_info()
    }
}

impl core::fmt::Debug for UncheckedExtrinsic {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.fmt(f)
    }
}

impl core::ops::Deref for UncheckedExtrinsic {
    type Target = GenericUncheckedExtrinsic;

    fn deref(&self) -> &GenericUncheckedExtrinsic {
        &self.0
    }
}

impl core::ops::DerefMut for UncheckedExtrinsic {
    fn deref_mut(&mut self) -> &mut GenericUncheckedExtrinsic {
        &mut self.0
    }
}

impl From<GenericUncheckedExtrinsic> for UncheckedExtrinsic {
    fn from(xt: GenericUncheckedExtrinsic) -> Self {
        Self(xt)
    }
}

impl From<UncheckedExtrinsic> for OpaqueExtrinsic {
    fn from(xt: UncheckedExtrinsic) -> Self {
        xt.0.into()
    }
}

impl serde::Serialize for UncheckedExtrinsic {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'a> serde::Deserialize<'a> for UncheckedExtrinsic {
    fn deserialize<D: serde::Deserializer<'a>>(de: D) -> Result<Self, D::Error> {
        let bytes = sp_core::bytes::deserialize(de)?;
        Self::decode(&mut &bytes[..])
            .map_err(|e| serde::de::Error::custom(alloc::format!("extrinsic does not decode: {e}")))
    }
}

impl ExtrinsicLike for UncheckedExtrinsic {
    // Deprecated upstream, but still answered as the inner type answers it.
    #[allow(deprecated)]
    fn is_signed(&self) -> Option<bool> {
        ExtrinsicLike::is_signed(&self.0)
    }

    fn is_bare(&self) -> bool {
        ExtrinsicLike::is_bare(&self.0)
    }
}

impl ExtrinsicCall for UncheckedExtrinsic {
    type Call = RuntimeCall;

    fn call(&self) -> &RuntimeCall {
        self.0.call()
    }

    fn into_call(self) -> RuntimeCall {
        self.0.into_call()
    }
}

impl ExtrinsicMetadata for UncheckedExtrinsic {
    const VERSIONS: &'static [u8] = <GenericUncheckedExtrinsic as ExtrinsicMetadata>::VERSIONS;
    type TransactionExtensionPipelines =
        <GenericUncheckedExtrinsic as ExtrinsicMetadata>::TransactionExtensionPipelines;
}

impl<Lookup> Checkable<Lookup> for UncheckedExtrinsic
where
    GenericUncheckedExtrinsic: Checkable<Lookup>,
{
    type Checked = <GenericUncheckedExtrinsic as Checkable<Lookup>>::Checked;

    fn check(self, lookup: &Lookup) -> Result<Self::Checked, TransactionValidityError> {
        self.0.check(lookup)
    }
}

impl GetDispatchInfo for UncheckedExtrinsic {
    fn get_dispatch_info(&self) -> DispatchInfo {
        self.0.get_dispatch_info()
    }
}

impl InherentBuilder for UncheckedExtrinsic {
    fn new_inherent(call: RuntimeCall) -> Self {
        Self::new_bare(call)
    }
}

impl SignedTransactionBuilder for UncheckedExtrinsic {
    type Address = Address;
    type Signature = Signature;
    type Extension = TxExtension;

    fn new_signed_transaction(
        call: RuntimeCall,
        signed: Address,
        signature: Signature,
        tx_ext: TxExtension,
    ) -> Self {
        Self::new_signed(call, signed, signature, tx_ext)
    }
}

/// A bare call as a runtime API takes it (`TransactionPaymentCallApi_query_call_info` and
/// `_fee_details`): a [`RuntimeCall`] that decodes with the nesting limit of
/// [`MAX_EXTRINSIC_DEPTH`]. The API dispatch decodes its arguments with plain `Decode`,
/// and a call nested 100,000 deep, which `state_call` hands it from any RPC client, would
/// overflow the stack as it does in an extrinsic. Encoding and `TypeInfo` are those of
/// [`RuntimeCall`], so the API's metadata and wire format are unchanged.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BoundedCall(pub RuntimeCall);

impl Decode for BoundedCall {
    fn decode<I: Input>(input: &mut I) -> Result<Self, codec::Error> {
        RuntimeCall::decode_with_depth_limit(MAX_EXTRINSIC_DEPTH, input).map(Self)
    }
}

impl DecodeWithMemTracking for BoundedCall {}

impl Encode for BoundedCall {
    fn size_hint(&self) -> usize {
        self.0.size_hint()
    }

    fn encode_to<T: codec::Output + ?Sized>(&self, dest: &mut T) {
        self.0.encode_to(dest)
    }
}

impl EncodeLike for BoundedCall {}

impl TypeInfo for BoundedCall {
    type Identity = RuntimeCall;

    fn type_info() -> Type {
        RuntimeCall::type_info()
    }
}
