//! The node's cache of verified transaction signatures.
//!
//! A transfer's sr25519 check costs about as much as executing it. The pool checks every
//! transaction's signature when it validates it, and the same bytes come back in a block
//! moments later: [`VerifiedCache`] remembers what the pool verified, so that block import
//! and block authoring do not verify it again.
//!
//! What a key is, and why a hit is sound, is in `echonet_runtime::signature::cache`: the
//! runtime looks up the exact (signature, signer, signed payload) triple it is about to
//! verify, and the payload includes the genesis hash, the spec version and the mortal era's
//! birth-block hash. A key is not an extrinsic hash, which would miss the birth-block hash
//! (a fork may change it). Entries come only from verifications that succeeded.
//!
//! The cache is bounded (least recently used entries go first; `--signature-cache-size`
//! entries, [`DEFAULT_CAPACITY`] by default). Each runtime call borrows it through a
//! [`Session`], which counts the call's hits and misses for Prometheus and the debug log:
//! - the pool's validation ([`Client::validate_transaction`]) looks up and, when the
//!   transaction is valid, inserts what it verified;
//! - import and authoring only look up. Import's second thread verifies the misses ahead of
//!   execution into the session of that one block, not into the shared cache.

use crate::{
    client::Client,
    error::{Error, Result},
    executor,
};
use codec::{Decode, Encode};
use echonet_runtime::signature::cache::{SignatureCache, SignatureKey, VerifiedSignatures};
use parking_lot::Mutex;
use prometheus_endpoint::{register, CounterVec, Gauge, Opts, PrometheusError, Registry, U64};
use schnellru::{ByLength, LruMap};
use sp_core::{traits::CallContext, H256};
use sp_externalities::Extensions;
use sp_runtime::{
    transaction_validity::{TransactionSource, TransactionValidity},
    OpaqueExtrinsic,
};
use sp_state_machine::OverlayedChanges;
use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

/// Entries the cache holds by default: 32-byte keys, a few MiB. A block holds at most
/// about 8,000 transfers and the pool 8,192 transactions by default: this covers both
/// several times over.
pub const DEFAULT_CAPACITY: u32 = 65_536;

/// Who borrows the cache for a runtime call: the label of its Prometheus counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    /// The pool's validation: looks up, and fills the cache when the transaction is valid.
    Pool,
    /// Block import's execution: looks up; its second thread checks the misses ahead.
    Import,
    /// Block authoring: looks up.
    Authoring,
}

impl Use {
    fn label(self) -> &'static str {
        match self {
            Use::Pool => "pool",
            Use::Import => "import",
            Use::Authoring => "authoring",
        }
    }
}

/// The bounded set of verified (signature, signer, payload) keys, shared by the pool, block
/// import and block authoring of one client.
pub struct VerifiedCache {
    entries: Mutex<LruMap<SignatureKey, (), ByLength>>,
    metrics: CacheMetrics,
}

/// Created unregistered, so that a cache without a Prometheus registry counts at no
/// extra cost; [`VerifiedCache::register`] exposes them.
struct CacheMetrics {
    lookups: CounterVec<U64>,
    inserted: CounterVec<U64>,
    entries: Gauge<U64>,
}

impl CacheMetrics {
    fn new() -> std::result::Result<Self, PrometheusError> {
        Ok(Self {
            lookups: CounterVec::new(
                Opts::new(
                    "echonet_signature_cache_lookups_total",
                    "Signatures the runtime was about to verify, by who asked (pool, import, \
                     authoring) and whether the verified-signature cache already knew them \
                     (hit) or not (miss)",
                ),
                &["context", "result"],
            )?,
            inserted: CounterVec::new(
                Opts::new(
                    "echonet_signature_cache_verified_total",
                    "Signatures verified outside the cache, by who verified them: the pool \
                     (then inserted in the cache) or import's thread ahead of execution",
                ),
                &["context"],
            )?,
            entries: Gauge::new(
                "echonet_signature_cache_entries",
                "Entries in the verified-signature cache",
            )?,
        })
    }
}

impl VerifiedCache {
    /// A cache of at most `capacity` entries. Zero turns it off: nothing is kept, and
    /// import and authoring verify every signature (import still checks ahead of
    /// execution on its second thread).
    pub fn new(capacity: u32) -> Self {
        Self {
            entries: Mutex::new(LruMap::new(ByLength::new(capacity))),
            // Only fails on invalid metric names, which are constants here.
            metrics: CacheMetrics::new().expect("the signature cache's metric names are valid"),
        }
    }

    /// Exposes the cache's counters in `registry`.
    pub fn register(&self, registry: &Registry) -> std::result::Result<(), PrometheusError> {
        register(self.metrics.lookups.clone(), registry)?;
        register(self.metrics.inserted.clone(), registry)?;
        register(self.metrics.entries.clone(), registry)?;
        Ok(())
    }

    /// How many entries the cache holds.
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most entries it holds.
    pub fn capacity(&self) -> u32 {
        self.entries.lock().limiter().max_length()
    }

    /// How many lookups of `context` (`"pool"`, `"import"`, `"authoring"`) hit and missed
    /// so far, as exposed to Prometheus.
    pub fn lookups(&self, context: &str) -> (u64, u64) {
        let m = &self.metrics.lookups;
        (
            m.with_label_values(&[context, "hit"]).get(),
            m.with_label_values(&[context, "miss"]).get(),
        )
    }

    fn contains(&self, key: &SignatureKey) -> bool {
        self.entries.lock().get(key).is_some()
    }

    fn insert_all(&self, keys: impl IntoIterator<Item = SignatureKey>) {
        let mut entries = self.entries.lock();
        for key in keys {
            entries.insert(key, ());
        }
        self.metrics.entries.set(entries.len() as u64);
    }

    /// A session of `usage` over this cache, registered in `extensions` for the runtime.
    pub(crate) fn lend(self: &Arc<Self>, usage: Use, extensions: &mut Extensions) -> Arc<Session> {
        let session = Arc::new(Session {
            cache: self.clone(),
            usage,
            lookups: AtomicUsize::new(0),
            hits: AtomicUsize::new(0),
            verified_ahead: AtomicUsize::new(0),
            local: Mutex::new(HashSet::new()),
        });
        extensions.register(VerifiedSignatures(session.clone()));
        session
    }
}

/// One runtime call's (or one block's) view of the cache: the shared entries, plus the
/// signatures verified during the call. Its counts go to Prometheus when it is dropped.
pub(crate) struct Session {
    cache: Arc<VerifiedCache>,
    usage: Use,
    lookups: AtomicUsize,
    hits: AtomicUsize,
    verified_ahead: AtomicUsize,
    /// Verified during this session: by the runtime (the pool inserts them in the cache if
    /// the transaction is valid) or by import's thread ahead of execution.
    local: Mutex<HashSet<SignatureKey>>,
}

impl Session {
    /// How many signatures the runtime has looked up so far: roughly how many signed
    /// extrinsics execution has reached. A checker behind that point wastes its work.
    pub(crate) fn lookups(&self) -> usize {
        self.lookups.load(Ordering::Relaxed)
    }

    /// How many verifications the runtime skipped thanks to the cache or the checker.
    pub(crate) fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }

    /// How many signatures import's thread verified ahead of execution.
    pub(crate) fn verified_ahead(&self) -> usize {
        self.verified_ahead.load(Ordering::Relaxed)
    }

    /// Import's thread ahead of execution: it looks up without counting, and what it
    /// verifies serves this session only.
    pub(crate) fn ahead(&self) -> Ahead<'_> {
        Ahead(self)
    }

    /// Inserts in the shared cache what the runtime verified in this session: for the
    /// pool, once the transaction is known valid.
    fn commit(&self) {
        let local = std::mem::take(&mut *self.local.lock());
        if local.is_empty() {
            return;
        }
        self.cache
            .metrics
            .inserted
            .with_label_values(&[self.usage.label()])
            .inc_by(local.len() as u64);
        self.cache.insert_all(local);
    }

    fn known(&self, key: &SignatureKey) -> bool {
        self.local.lock().contains(key) || self.cache.contains(key)
    }
}

impl SignatureCache for Session {
    fn contains(&self, key: &SignatureKey) -> bool {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let hit = self.known(key);
        if hit {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    fn verified(&self, key: SignatureKey) {
        // Authoring and import have nothing to do with a signature execution verified; the
        // pool keeps it until it knows whether the transaction is valid.
        if self.usage == Use::Pool {
            self.local.lock().insert(key);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let lookups = self.lookups() as u64;
        let hits = self.hits() as u64;
        let label = self.usage.label();
        let m = &self.cache.metrics;
        m.lookups.with_label_values(&[label, "hit"]).inc_by(hits);
        m.lookups
            .with_label_values(&[label, "miss"])
            .inc_by(lookups - hits.min(lookups));
        let ahead = self.verified_ahead() as u64;
        if ahead > 0 {
            m.inserted.with_label_values(&[label]).inc_by(ahead);
        }
        if self.usage != Use::Pool {
            tracing::debug!(
                target: "signature-cache",
                "{label}: {hits} of {lookups} signatures found verified ({ahead} by the \
                 thread ahead of execution); cache holds {}",
                self.cache.len()
            );
        }
    }
}

/// Import's thread ahead of execution, seen by `verify_and_record` (see
/// [`Session::ahead`]).
pub(crate) struct Ahead<'a>(&'a Session);

impl SignatureCache for Ahead<'_> {
    fn contains(&self, key: &SignatureKey) -> bool {
        self.0.known(key)
    }

    fn verified(&self, key: SignatureKey) {
        self.0.verified_ahead.fetch_add(1, Ordering::Relaxed);
        self.0.local.lock().insert(key);
    }
}

impl Client {
    /// The runtime's `TaggedTransactionQueue_validate_transaction` of `xt` on the state of
    /// block `at`, as the pool calls it: the runtime verifies the signature (unless the
    /// cache knows it already), and if the transaction is valid, what it verified enters
    /// the signature cache for import and authoring.
    pub fn validate_transaction(
        &self,
        at: H256,
        source: TransactionSource,
        xt: &OpaqueExtrinsic,
    ) -> Result<TransactionValidity> {
        let method = "TaggedTransactionQueue_validate_transaction";
        let state = self.state_at(at)?;
        let mut extensions = Extensions::new();
        let session = self.signature_cache().lend(Use::Pool, &mut extensions);
        let out = executor::execute(
            &state,
            &mut OverlayedChanges::default(),
            &mut extensions,
            method,
            &(source, xt, at).encode(),
            CallContext::Offchain,
        )?;
        drop(extensions);
        let validity =
            TransactionValidity::decode(&mut &out[..]).map_err(|e| Error::RuntimeCall {
                method: method.to_string(),
                reason: format!("undecodable result: {e}"),
            })?;
        if validity.is_ok() {
            session.commit();
        }
        Ok(validity)
    }
}
