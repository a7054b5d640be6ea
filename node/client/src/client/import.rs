//! Block import: verification (through the engine's [`BlockVerifier`]), execution with
//! signature checks ahead of it, fork choice (longest chain on the finalized block), and
//! import notifications.

use super::{hash_key, write_changes, Block, BlockOrigin, ChainInfo, Client, FinalityNotification};
use crate::{
    db::{col, meta_key},
    error::{Error, Result},
    executor,
    state::StateBackend,
};
use codec::{Decode, Encode};
use echonet_runtime::Header;
use sp_core::{traits::CallContext, H256};
use sp_externalities::Extensions;
use sp_runtime::{
    traits::{BlakeTwo256, Hash as HashT},
    Justifications, OpaqueExtrinsic, StateVersion,
};
use sp_state_machine::{Backend as _, OverlayedChanges, StorageChanges};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::broadcast;

/// A block to import.
pub struct ImportBlock {
    /// The sealed header.
    pub header: Header,
    /// The block's extrinsics, SCALE-encoded as they go on the wire.
    pub body: Vec<OpaqueExtrinsic>,
    /// Justifications stored with the block (a GRANDPA justification that finality or sync
    /// has already checked); the client stores them as given and does not verify them.
    pub justifications: Option<Justifications>,
    /// Who built or sent the block. [`BlockOrigin::Own`] with `changes` skips execution.
    pub origin: BlockOrigin,
    /// Storage changes computed while building the block (own blocks only).
    pub changes: Option<StorageChanges<BlakeTwo256>>,
    /// Finalize the block as part of the import (instant finality of a dev chain, or a
    /// block that arrives with a justification already checked).
    pub finalize: bool,
}

/// The path between two blocks: up from `from` to their common ancestor (`retracted`),
/// then down to `to` (`enacted`), both in the order they are walked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeRoute {
    /// `(hash, number)` of the blocks from `from` down to, not including, the common
    /// ancestor: highest first. Empty when `from` is an ancestor of `to`.
    pub retracted: Vec<(H256, u32)>,
    /// `(hash, number)` of the common ancestor, in neither list.
    pub common: (H256, u32),
    /// `(hash, number)` of the blocks from just after the common ancestor up to `to`
    /// included: lowest first.
    pub enacted: Vec<(H256, u32)>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportResult {
    /// The block was verified, executed (unless it was our own) and stored.
    Imported {
        /// The imported block's hash.
        hash: H256,
        /// Its height.
        number: u32,
        /// Whether it became the head of the best chain (it is longer than the previous
        /// best; on a tie the previous best stays).
        is_new_best: bool,
    },
    /// A block with this hash is already stored; nothing was done and no notification was
    /// sent.
    AlreadyInChain,
}

/// Sent for every imported block.
#[derive(Debug, Clone)]
pub struct BlockImportNotification {
    /// The imported block's hash.
    pub hash: H256,
    /// Its sealed header, shared by all subscribers.
    pub header: Arc<Header>,
    /// Where the block came from, as given in [`ImportBlock::origin`]; the node announces
    /// only its own blocks and those imported from a file.
    pub origin: BlockOrigin,
    /// Whether the block became the head of the best chain.
    pub is_new_best: bool,
    /// Set when the best chain switched forks: the route from the previous best block to
    /// the new block's parent, so the new block itself is in neither list.
    pub tree_route: Option<Arc<TreeRoute>>,
    /// Wall-clock time [`Client::import_block`] took, from its call to the notification,
    /// waiting for the import lock included.
    pub import_time: Duration,
}

/// The consensus engine's checks of a block that this node did not build, run by
/// [`Client::import_block`] before it executes the block. The client knows no consensus
/// engine: the node opens it with one (echonet-consensus's `AuraVerifier`).
pub trait BlockVerifier: Send + Sync {
    /// Checks the sealed `header` of a block on `parent` (a block the client has), with
    /// `parent_state` the state after `parent`, and returns the header that the runtime
    /// executes: `header` without the engine's seal. Input errors are
    /// [`Error::InvalidBlock`]; failures to read the chain are passed on as they are.
    fn verify(
        &self,
        client: &Client,
        parent: &Header,
        header: &Header,
        parent_state: &StateBackend,
    ) -> Result<Header>;
}

impl Client {
    /// How many signature checks block import has skipped so far because the pool (through
    /// the signature cache) or the thread ahead of execution had already done them.
    pub fn signature_checks_done_ahead(&self) -> u64 {
        self.signature_cache_hits
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Subscribes to block imports.
    pub fn import_notifications(&self) -> broadcast::Receiver<BlockImportNotification> {
        self.imports.subscribe()
    }

    /// The consensus engine's checks ([`BlockVerifier`]) of the header of a block on a
    /// parent the client has, without its body and without executing it: whether import
    /// would accept its seal. Sync uses it to believe an announced block only once it is
    /// shown to be sealed by its slot's owner. [`Error::UnknownParent`] without the parent;
    /// [`Error::InvalidBlock`] when a check fails.
    pub fn verify_header(&self, header: &Header) -> Result<()> {
        let hash = header.hash();
        let parent = self
            .header(header.parent_hash)?
            .ok_or(Error::UnknownParent {
                hash,
                parent: header.parent_hash,
            })?;
        if parent.number.checked_add(1) != Some(header.number) {
            return Err(Error::invalid(
                hash,
                format!(
                    "number {} does not follow parent's {}",
                    header.number, parent.number
                ),
            ));
        }
        let state = self.state_at_header(&parent, true);
        self.verifier
            .verify(self, &parent, header, &state)
            .map(|_| ())
    }

    /// Verifies, executes and stores a block, and moves the best chain if it is now the
    /// longest one containing the last finalized block.
    pub fn import_block(&self, block: ImportBlock) -> Result<ImportResult> {
        let started = Instant::now();
        let _guard = self.import_lock.lock();
        let hash = block.header.hash();
        let number = block.header.number;
        if self.header(hash)?.is_some() {
            return Ok(ImportResult::AlreadyInChain);
        }
        let parent_hash = block.header.parent_hash;
        let parent = self.header(parent_hash)?.ok_or(Error::UnknownParent {
            hash,
            parent: parent_hash,
        })?;
        if parent.number.checked_add(1) != Some(number) {
            return Err(Error::invalid(
                hash,
                format!("number {number} does not follow parent's {}", parent.number),
            ));
        }
        let info = self.info();
        if number <= info.finalized_number || !self.is_descendant_of_finalized(&parent, &info)? {
            return Err(Error::NotDescendantOfFinalized(hash));
        }

        let changes = match (block.origin, block.changes) {
            (BlockOrigin::Own, Some(changes)) => {
                if changes.transaction_storage_root != block.header.state_root {
                    return Err(Error::invalid(
                        hash,
                        "own block's changes do not match its state root",
                    ));
                }
                changes
            }
            (_, _) => self.verify_and_execute(hash, &parent, &block.header, &block.body)?,
        };
        let executed = started.elapsed();

        // Fork choice: longest chain; ties keep the current best.
        let is_new_best = number > info.best_number;
        let route = if is_new_best && parent_hash != info.best_hash {
            Some(self.tree_route(info.best_hash, parent_hash)?)
        } else {
            None
        };

        let mut batch = self.db.batch();
        let mut commit = self.state_db.commit();
        write_changes(self, &mut commit, (hash, number, parent_hash), changes)?;
        batch.put(col::HEADERS, hash_key(&hash), &block.header.encode())?;
        batch.put(col::BODIES, hash_key(&hash), &block.body.encode())?;
        if let Some(j) = &block.justifications {
            batch.put(col::JUSTIFICATIONS, hash_key(&hash), &j.encode())?;
        }
        for (index, xt) in block.body.iter().enumerate() {
            let tx_hash = BlakeTwo256::hash(&xt.encode());
            batch.put(
                col::TX_INDEX,
                hash_key(&tx_hash),
                &(hash, index as u32).encode(),
            )?;
        }
        let mut leaves = self.leaves.read().clone();
        leaves.remove(&(parent.number, parent_hash));
        leaves.insert((number, hash));
        batch.put(
            col::META,
            meta_key::LEAVES,
            &leaves.iter().copied().collect::<Vec<_>>().encode(),
        )?;

        let mut new_info = info;
        if is_new_best {
            if let Some(route) = &route {
                for (h, n) in &route.enacted {
                    batch.put(col::LOOKUP, &n.to_be_bytes(), hash_key(h))?;
                }
            }
            batch.put(col::LOOKUP, &number.to_be_bytes(), hash_key(&hash))?;
            batch.put(col::META, meta_key::BEST, &(hash, number).encode())?;
            new_info.best_hash = hash;
            new_info.best_number = number;
        }
        let mut newly_finalized = Vec::new();
        let mut pruned = Default::default();
        if block.finalize {
            if !is_new_best {
                return Err(Error::invalid(
                    hash,
                    "asked to finalize a block that is not the new best",
                ));
            }
            newly_finalized = self.finalized_range(&info, parent_hash)?;
            newly_finalized.push(hash);
            pruned = self.state_db.finalize(
                &self.db,
                &mut batch,
                &mut commit,
                info.finalized_number,
                &newly_finalized,
            )?;
            batch.put(col::META, meta_key::FINALIZED, &(hash, number).encode())?;
            new_info.finalized_hash = hash;
            new_info.finalized_number = number;
        }
        let delta = commit.write_into(&mut batch)?;
        let written = Instant::now();
        self.db.write(batch)?;
        let write_time = written.elapsed();
        self.state_db.applied(&pruned, delta);
        *self.info.write() = new_info;
        *self.leaves.write() = leaves;
        if block.finalize {
            self.prune_leaves(&new_info)?;
        }
        let header = Arc::new(block.header);
        self.headers.lock().insert(hash, (*header).clone());

        tracing::debug!(
            target: "import",
            "#{number}: {} extrinsics, executed in {} ms, stored in {} ms (database write {} ms)",
            block.body.len(),
            executed.as_millis(),
            (started.elapsed() - executed).as_millis(),
            write_time.as_millis(),
        );
        let _ = self.imports.send(BlockImportNotification {
            hash,
            header: header.clone(),
            origin: block.origin,
            is_new_best,
            tree_route: route.map(Arc::new),
            import_time: started.elapsed(),
        });
        if !newly_finalized.is_empty() {
            let _ = self.finality.send(FinalityNotification {
                hash,
                header,
                finalized: Arc::new(newly_finalized),
            });
        }
        Ok(ImportResult::Imported {
            hash,
            number,
            is_new_best,
        })
    }

    /// The consensus engine's checks ([`BlockVerifier`]), spec version, inherents, then
    /// `Core_execute_block` on the parent's state.
    fn verify_and_execute(
        &self,
        hash: H256,
        parent: &Header,
        header: &Header,
        body: &[OpaqueExtrinsic],
    ) -> Result<StorageChanges<BlakeTwo256>> {
        let started = Instant::now();
        let state = self.state_at_header(parent, true);
        let pre_header = self.verifier.verify(self, parent, header, &state)?;
        self.check_spec_version(&state, hash)?;

        let block = Block {
            header: pre_header,
            extrinsics: body.to_vec(),
        };
        let encoded = block.encode();

        // The timestamp must not be ahead of our clock by more than the runtime allows.
        let mut inherent_data = sp_inherents::InherentData::new();
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        inherent_data
            .put_data(sp_timestamp::INHERENT_IDENTIFIER, &now_ms)
            .map_err(|e| Error::State(e.to_string()))?;
        let mut check_input = encoded.clone();
        inherent_data.encode_to(&mut check_input);
        let mut overlay = OverlayedChanges::default();
        let mut ext = self.extensions();
        let out = executor::execute(
            &state,
            &mut overlay,
            &mut ext,
            "BlockBuilder_check_inherents",
            &check_input,
            CallContext::Onchain { import: true },
        )
        .map_err(|e| Error::invalid(hash, e.to_string()))?;
        let check = sp_inherents::CheckInherentsResult::decode(&mut &out[..])
            .map_err(|e| Error::decode("check_inherents result", e))?;
        if !check.ok() {
            let errors: Vec<String> = check
                .into_errors()
                .map(|(id, raw)| format!("{}: {}", String::from_utf8_lossy(&id), hex::encode(raw)))
                .collect();
            return Err(Error::invalid(
                hash,
                format!("inherents rejected: {}", errors.join(", ")),
            ));
        }

        let checked = started.elapsed();
        let mut overlay = OverlayedChanges::default();
        self.execute_with_signature_checks(
            parent,
            &block.header,
            body,
            &state,
            &mut overlay,
            &encoded,
        )
        .map_err(|e| Error::invalid(hash, e.to_string()))?;
        let executed = started.elapsed();
        let changes = overlay
            .drain_storage_changes(&state, StateVersion::V1)
            .map_err(|e| Error::State(e.to_string()))?;
        tracing::debug!(
            target: "import",
            "{hash:?}: seal and inherents checked in {} ms, executed in {} ms, changes drained \
             in {} ms",
            checked.as_millis(),
            (executed - checked).as_millis(),
            (started.elapsed() - executed).as_millis(),
        );
        if changes.transaction_storage_root != header.state_root {
            return Err(Error::invalid(
                hash,
                format!(
                    "state root {:?} differs from the computed {:?}",
                    header.state_root, changes.transaction_storage_root
                ),
            ));
        }
        Ok(changes)
    }

    /// `Core_execute_block`, with the signatures that the pool has not verified already
    /// (see [`crate::verified`]) checked on a second thread at the same time. The checker walks the extrinsics in order, recording each valid signature;
    /// the runtime, executing in order too, skips the signatures already recorded (see
    /// `echonet_runtime::signature`). A transfer takes about as long to execute as its
    /// signature takes to check, so after the first extrinsic or two the checker stays
    /// ahead and execution runs without checking signatures. If execution overtakes the
    /// checker (cheap extrinsics), the checker jumps ahead of it instead of redoing work.
    fn execute_with_signature_checks(
        &self,
        parent: &Header,
        pre_header: &Header,
        body: &[OpaqueExtrinsic],
        state: &StateBackend,
        overlay: &mut OverlayedChanges<BlakeTwo256>,
        encoded_block: &[u8],
    ) -> Result<Vec<u8>> {
        use crate::verified::Use;
        use echonet_runtime::signature::cache::verify_and_record;
        use std::sync::atomic::{AtomicBool, Ordering};
        /// Below this, a second thread costs more than it saves.
        const MIN_EXTRINSICS: usize = 16;

        let mut extensions = self.extensions();
        // The pool has verified most of a block's signatures already: execution looks them
        // up in the shared cache, and the thread below verifies the others ahead of it.
        let verified = self.signature_cache.lend(Use::Import, &mut extensions);
        if !self.config.parallel_signature_checks || body.len() < MIN_EXTRINSICS {
            let result = executor::execute(
                state,
                overlay,
                &mut extensions,
                "Core_execute_block",
                encoded_block,
                CallContext::Onchain { import: true },
            );
            self.signature_cache_hits
                .fetch_add(verified.hits() as u64, Ordering::Relaxed);
            return result;
        }
        let done = AtomicBool::new(false);
        std::thread::scope(|scope| {
            // It runs the runtime: the stack of executor::RUNTIME_THREAD_STACK's docs.
            let checker = std::thread::Builder::new()
                .name("import-signatures".into())
                .stack_size(crate::executor::RUNTIME_THREAD_STACK)
                .spawn_scoped(scope, || {
                    // Signed payloads include block hashes (genesis, era birth) that
                    // `System::initialize` records for the block being built: check in the
                    // state after `Core_initialize_block`, as the runtime does.
                    let checker_state = self.state_at_header(parent, true);
                    let mut overlay = OverlayedChanges::default();
                    let initialized = executor::execute(
                        &checker_state,
                        &mut overlay,
                        &mut Extensions::new(),
                        "Core_initialize_block",
                        &pre_header.encode(),
                        CallContext::Onchain { import: true },
                    );
                    if initialized.is_err() {
                        return; // The import itself will report what is wrong.
                    }
                    let _ = executor::with_state_and_overlay(&checker_state, &mut overlay, || {
                        let mut index = 0;
                        while index < body.len() && !done.load(Ordering::Relaxed) {
                            // Stay ahead of execution: the runtime's lookups count the signed
                            // extrinsics it has reached.
                            index = index.max(verified.lookups() + 1);
                            let Some(xt) = body.get(index) else { break };
                            if let Ok(xt) =
                                echonet_runtime::UncheckedExtrinsic::decode(&mut &xt.encode()[..])
                            {
                                verify_and_record(&xt, &verified.ahead());
                            }
                            index += 1;
                        }
                    });
                });
            if let Err(e) = checker {
                // Only a head start is lost: execution checks every signature itself.
                tracing::warn!(target: "import", "cannot start the signature checker: {e}");
            }
            let result = executor::execute(
                state,
                overlay,
                &mut extensions,
                "Core_execute_block",
                encoded_block,
                CallContext::Onchain { import: true },
            );
            done.store(true, Ordering::Relaxed);
            self.signature_cache_hits
                .fetch_add(verified.hits() as u64, Ordering::Relaxed);
            result
        })
    }

    /// Refuses to execute on a state written by a runtime this node does not know.
    fn check_spec_version(&self, state: &StateBackend, hash: H256) -> Result<()> {
        let key = echonet_runtime::storage_keys::last_runtime_upgrade();
        let Some(raw) = state
            .storage(&key)
            .map_err(|e| Error::State(e.to_string()))?
        else {
            return Ok(());
        };
        let info = echonet_runtime::LastRuntimeUpgradeInfo::decode(&mut &raw[..])
            .map_err(|e| Error::decode("LastRuntimeUpgrade", e))?;
        let ours = echonet_runtime::VERSION;
        if info.spec_name != ours.spec_name || info.spec_version.0 > ours.spec_version {
            return Err(Error::invalid(
                hash,
                format!(
                    "the chain runs runtime {} v{}, this node runs {} v{}: upgrade echonet-node",
                    info.spec_name, info.spec_version.0, ours.spec_name, ours.spec_version
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn is_descendant_of_finalized(
        &self,
        block: &Header,
        info: &ChainInfo,
    ) -> Result<bool> {
        if block.number < info.finalized_number {
            return Ok(false);
        }
        // Fast path: the canonical chain contains the finalized block.
        if self.db.canonical_hash(block.number)? == Some(block.hash()) {
            return Ok(true);
        }
        let mut current = block.clone();
        while current.number > info.finalized_number {
            current = self.expect_header(current.parent_hash)?;
        }
        Ok(current.hash() == info.finalized_hash)
    }

    /// The route from `from` to `to` through their common ancestor.
    pub fn tree_route(&self, from: H256, to: H256) -> Result<TreeRoute> {
        let mut a = self.expect_header(from)?;
        let mut b = self.expect_header(to)?;
        let (mut a_hash, mut b_hash) = (from, to);
        let mut retracted = Vec::new();
        let mut enacted = Vec::new();
        while a.number > b.number {
            retracted.push((a_hash, a.number));
            a_hash = a.parent_hash;
            a = self.expect_header(a_hash)?;
        }
        while b.number > a.number {
            enacted.push((b_hash, b.number));
            b_hash = b.parent_hash;
            b = self.expect_header(b_hash)?;
        }
        while a_hash != b_hash {
            retracted.push((a_hash, a.number));
            enacted.push((b_hash, b.number));
            a_hash = a.parent_hash;
            b_hash = b.parent_hash;
            a = self.expect_header(a_hash)?;
            b = self.expect_header(b_hash)?;
        }
        enacted.reverse();
        Ok(TreeRoute {
            retracted,
            common: (a_hash, a.number),
            enacted,
        })
    }
}
