//! Builds a block on top of a parent: `Core_initialize_block`, the inherents, then
//! `BlockBuilder_apply_extrinsic` per transaction, and `BlockBuilder_finalize_block`.
//!
//! All calls share one overlay, so the result carries the storage changes that the import
//! of our own block commits without executing it again.

use crate::{
    error::{Error, Result},
    executor,
    state::StateBackend,
    verified::{Use, VerifiedCache},
};
use codec::{Decode, Encode};
use echonet_runtime::Header;
use sp_core::{traits::CallContext, H256};
use sp_externalities::Extensions;
use sp_runtime::{
    generic::Digest,
    traits::{BlakeTwo256, Header as _},
    transaction_validity::TransactionValidityError,
    ApplyExtrinsicResult, OpaqueExtrinsic, StateVersion,
};
use sp_state_machine::{OverlayedChanges, StorageChanges};
use std::sync::Arc;

/// A block built by [`BlockBuilder`], not yet sealed.
pub struct BuiltBlock {
    /// The header as the runtime produced it; the caller seals it.
    pub header: Header,
    /// Every extrinsic that [`BlockBuilder::push`] accepted, in push order (its builder
    /// pushes the inherents first).
    pub body: Vec<OpaqueExtrinsic>,
    /// What importing this block writes.
    pub changes: StorageChanges<BlakeTwo256>,
}

/// What became of an extrinsic pushed into a block.
#[derive(Debug)]
pub enum PushError {
    /// The runtime rejects the transaction; it was not included and changed nothing.
    Invalid(TransactionValidityError),
    /// The runtime call itself failed (panicked, or returned garbage).
    Runtime(Error),
}

impl std::fmt::Display for PushError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PushError::Invalid(e) => write!(f, "invalid transaction: {e:?}"),
            PushError::Runtime(e) => write!(f, "{e}"),
        }
    }
}

/// Builds one block.
pub struct BlockBuilder {
    backend: StateBackend,
    overlay: OverlayedChanges<BlakeTwo256>,
    extensions: Extensions,
    body: Vec<OpaqueExtrinsic>,
    parent_hash: H256,
}

impl BlockBuilder {
    /// Starts a block at height `number` on `parent_hash`, whose state is `backend`.
    pub(crate) fn new(
        backend: StateBackend,
        parent_hash: H256,
        number: u32,
        digest: Digest,
        mut extensions: Extensions,
        signature_cache: &Arc<VerifiedCache>,
    ) -> Result<Self> {
        // The pool verified most of what is pushed: the runtime looks signatures up there
        // (the session's counts are reported when the builder goes).
        signature_cache.lend(Use::Authoring, &mut extensions);
        let header = Header::new(
            number,
            Default::default(),
            Default::default(),
            parent_hash,
            digest,
        );
        let mut this = Self {
            backend,
            overlay: OverlayedChanges::default(),
            extensions,
            body: Vec::new(),
            parent_hash,
        };
        this.call("Core_initialize_block", &header.encode())?;
        Ok(this)
    }

    fn call(&mut self, method: &str, data: &[u8]) -> Result<Vec<u8>> {
        executor::execute(
            &self.backend,
            &mut self.overlay,
            &mut self.extensions,
            method,
            data,
            CallContext::Onchain { import: false },
        )
    }

    /// The parent this block builds on.
    pub fn parent_hash(&self) -> H256 {
        self.parent_hash
    }

    /// Asks the runtime for the inherent extrinsics of `data` (the timestamp).
    pub fn create_inherents(
        &mut self,
        data: &sp_inherents::InherentData,
    ) -> Result<Vec<OpaqueExtrinsic>> {
        // Inherent creation must not leave changes behind.
        self.overlay.start_transaction();
        let out = self.call("BlockBuilder_inherent_extrinsics", &data.encode());
        self.overlay
            .rollback_transaction()
            .map_err(|_| Error::State("no open transaction".into()))?;
        Vec::<OpaqueExtrinsic>::decode(&mut &out?[..])
            .map_err(|e| Error::decode("inherent extrinsics", e))
    }

    /// Applies one extrinsic. On error the state is as before the call.
    pub fn push(&mut self, xt: OpaqueExtrinsic) -> Result<(), PushError> {
        // Kept only if the runtime includes it (`Ok(Ok(_))`), in the call's own overlay
        // transaction.
        let included =
            |out: &[u8]| matches!(ApplyExtrinsicResult::decode(&mut &out[..]), Ok(Ok(_)));
        let outcome = executor::execute_keeping(
            &self.backend,
            &mut self.overlay,
            &mut self.extensions,
            "BlockBuilder_apply_extrinsic",
            &xt.encode(),
            CallContext::Onchain { import: false },
            included,
        )
        .and_then(|out| {
            ApplyExtrinsicResult::decode(&mut &out[..])
                .map_err(|e| Error::decode("apply_extrinsic result", e))
        });
        match outcome {
            // Included, whether or not the dispatch itself succeeded: the fee is paid.
            Ok(Ok(_)) => {
                self.body.push(xt);
                Ok(())
            }
            Ok(Err(invalid)) => Err(PushError::Invalid(invalid)),
            Err(e) => Err(PushError::Runtime(e)),
        }
    }

    /// Number of extrinsics so far.
    pub fn len(&self) -> usize {
        self.body.len()
    }

    /// Whether no extrinsic has been pushed.
    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }

    /// Finishes the block: the header with state and extrinsics roots, and the changes.
    pub fn build(mut self) -> Result<BuiltBlock> {
        let out = self.call("BlockBuilder_finalize_block", &[])?;
        let header =
            Header::decode(&mut &out[..]).map_err(|e| Error::decode("finalized header", e))?;
        let changes = self
            .overlay
            .drain_storage_changes(&self.backend, StateVersion::V1)
            .map_err(|e| Error::State(e.to_string()))?;
        if changes.transaction_storage_root != header.state_root {
            return Err(Error::State(format!(
                "built block's state root {:?} differs from the overlay's {:?}",
                header.state_root, changes.transaction_storage_root
            )));
        }
        Ok(BuiltBlock {
            header,
            body: self.body,
            changes,
        })
    }
}
