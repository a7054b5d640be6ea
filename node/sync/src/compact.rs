//! Compact block relay, the receiving side: an announced block whose body came as short
//! ids ([`CompactBody`]) is rebuilt from the node's own transactions ([`TransactionSource`],
//! the pool), the extrinsics that are not there are asked of the announcing peer
//! ([`SyncNetwork::request_block_transactions`]), and the rebuilt body is checked against
//! the header's `extrinsics_root` before it goes to import. Any failure (two transactions
//! with one short id, too much missing, a failed or wrong answer, a root that does not
//! match) falls back to the whole-block request that announcements used before, so that
//! compact relay can make a block arrive sooner but never keep it from arriving.
//!
//! The root check matters: import judges the *block*, and a block that fails it costs its
//! sender [`rep::BAD_BLOCK`](crate::rep::BAD_BLOCK) and is remembered as bad. A body we got
//! wrong ourselves (a short-id collision in our pool) must never get there.

use crate::SyncNetwork;
use codec::Encode;
use echonet_network::{
    short_id, BlockData, BlockFields, BlockId, BlockRequest, BlockTransactionsRequest, CompactBody,
    Direction, PeerId, RequestError, ShortId, MAX_BLOCK_TRANSACTIONS_REQUEST_SIZE,
};
use echonet_runtime::Header;
use sp_core::H256;
use sp_runtime::{
    traits::{BlakeTwo256, Hash as _},
    OpaqueExtrinsic,
};
use std::{collections::HashMap, sync::Arc};

/// Where a compact block's extrinsics are looked for: the node's transaction pool.
pub trait TransactionSource: Send + Sync + 'static {
    /// Calls `f` with the hash (blake2-256 of the SCALE encoding, as
    /// [`echonet_network::transaction_hash`]) and the SCALE encoding of every transaction
    /// the node holds. Called on a blocking thread.
    fn for_each_transaction(&self, f: &mut dyn FnMut(&H256, &[u8]));
}

/// Most positions one request for missing extrinsics asks for: what fits in
/// [`MAX_BLOCK_TRANSACTIONS_REQUEST_SIZE`] (a hash, a length, 4 bytes a position).
pub const MAX_MISSING_PER_REQUEST: usize = (MAX_BLOCK_TRANSACTIONS_REQUEST_SIZE - 64) / 4;

/// How a compact block arrived, the `result` label of `echonet_sync_block_relay_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RelayOutcome {
    /// Rebuilt from the pool alone.
    Rebuilt,
    /// Rebuilt with some extrinsics fetched from the peer.
    RebuiltWithFetch,
    /// Two of our transactions share a short id of the block: fell back.
    FallbackCollision,
    /// Nothing, or too much, of the block was in our pool: fell back.
    FallbackMissing,
    /// The request for missing extrinsics failed, or the peer had none: fell back.
    FallbackRequest,
    /// The rebuilt body does not have the header's extrinsics root: fell back.
    FallbackRoot,
}

impl RelayOutcome {
    pub(crate) fn label(self) -> &'static str {
        match self {
            RelayOutcome::Rebuilt => "rebuilt",
            RelayOutcome::RebuiltWithFetch => "rebuilt_with_fetch",
            RelayOutcome::FallbackCollision => "fallback_collision",
            RelayOutcome::FallbackMissing => "fallback_missing",
            RelayOutcome::FallbackRequest => "fallback_request",
            RelayOutcome::FallbackRoot => "fallback_root",
        }
    }
}

/// A body rebuilt as far as the pool goes.
#[derive(Debug)]
pub(crate) struct Partial {
    /// One slot per extrinsic of the block, in order.
    pub(crate) slots: Vec<Option<OpaqueExtrinsic>>,
    /// Positions of the empty slots, increasing.
    pub(crate) missing: Vec<u32>,
    /// How many short ids the block has (positions not prefilled).
    pub(crate) short_ids: usize,
}

/// Rebuilds what `source` holds of the compact body of block `hash`. `None` when the body
/// cannot be rebuilt unambiguously: two of its short ids are equal, or two of our
/// transactions have one of its short ids.
pub(crate) fn rebuild(
    source: &dyn TransactionSource,
    hash: &H256,
    compact: &CompactBody,
) -> Option<Partial> {
    let len = compact.check().ok()?;
    let mut slots: Vec<Option<OpaqueExtrinsic>> = vec![None; len];
    let mut prefilled = compact.prefilled.iter().peekable();
    // Short id -> its position in the block.
    let mut wanted: HashMap<ShortId, u32> = HashMap::with_capacity(compact.short_ids.len());
    let mut ids = compact.short_ids.iter();
    for (position, slot) in slots.iter_mut().enumerate() {
        let position = position as u32;
        if let Some((_, xt)) = prefilled.next_if(|(p, _)| *p == position) {
            *slot = Some(xt.clone());
            continue;
        }
        let id = ids.next()?;
        if wanted.insert(*id, position).is_some() {
            // Two extrinsics of the block with one short id.
            return None;
        }
    }
    let mut collision = false;
    // Position -> the hash of the transaction found for it.
    let mut found: HashMap<u32, H256> = HashMap::new();
    source.for_each_transaction(&mut |tx_hash, bytes| {
        if collision {
            return;
        }
        let Some(position) = wanted.get(&short_id(hash, tx_hash)).copied() else {
            return;
        };
        if let Some(previous) = found.insert(position, *tx_hash) {
            collision |= previous != *tx_hash;
            return;
        }
        match OpaqueExtrinsic::try_from_encoded_extrinsic(bytes) {
            Ok(xt) => slots[position as usize] = Some(xt),
            Err(_) => {
                found.remove(&position);
            }
        }
    });
    if collision {
        return None;
    }
    let missing = slots
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| i as u32)
        .collect();
    Some(Partial {
        slots,
        missing,
        short_ids: compact.short_ids.len(),
    })
}

/// The extrinsics root the runtime puts in a header for `body`: frame-system's ordered
/// trie of the encoded extrinsics, in the trie version the runtime's `system_version`
/// gives (V0 for the current 1).
pub fn extrinsics_root(body: &[OpaqueExtrinsic]) -> H256 {
    BlakeTwo256::ordered_trie_root(
        body.iter().map(Encode::encode).collect(),
        echonet_runtime::VERSION.extrinsics_root_state_version(),
    )
}

/// What [`fetch`] did, for the engine's metrics.
pub(crate) struct Relayed {
    pub(crate) result: Result<Vec<BlockData>, RequestError>,
    pub(crate) outcome: RelayOutcome,
}

/// Gets the block `header` announced with `compact` from our pool and `peer`, or, failing
/// that, as a whole block from `peer`. The result is what a fetch by hash returns.
pub(crate) async fn fetch(
    network: Arc<dyn SyncNetwork>,
    source: Arc<dyn TransactionSource>,
    peer: PeerId,
    header: Header,
    compact: CompactBody,
) -> Relayed {
    let hash = header.hash();
    let outcome = match rebuild_block(&*network, source, peer, header, compact).await {
        Ok((block, outcome)) => {
            return Relayed {
                result: Ok(vec![block]),
                outcome,
            }
        }
        Err(outcome) => outcome,
    };
    tracing::debug!(
        target: "sync",
        "Compact block {hash:?} from {peer} not rebuilt ({}): fetching it whole",
        outcome.label()
    );
    let request = BlockRequest {
        from: BlockId::Hash(hash),
        direction: Direction::Descending,
        max: 1,
        fields: BlockFields::ALL,
    };
    Relayed {
        result: network.request_blocks(peer, request).await,
        outcome,
    }
}

/// The block rebuilt from the pool and the missing extrinsics of `peer`, its root checked.
async fn rebuild_block(
    network: &dyn SyncNetwork,
    source: Arc<dyn TransactionSource>,
    peer: PeerId,
    header: Header,
    compact: CompactBody,
) -> Result<(BlockData, RelayOutcome), RelayOutcome> {
    let hash = header.hash();
    let partial = tokio::task::spawn_blocking(move || rebuild(&*source, &hash, &compact))
        .await
        .map_err(|_| RelayOutcome::FallbackCollision)?
        .ok_or(RelayOutcome::FallbackCollision)?;
    let Partial {
        mut slots,
        missing,
        short_ids,
    } = partial;
    let fetched = !missing.is_empty();
    if fetched {
        // Nothing of it in our pool (we were not sent its transactions), or more missing
        // than one request carries: the whole block costs no more.
        if missing.len() == short_ids || missing.len() > MAX_MISSING_PER_REQUEST {
            return Err(RelayOutcome::FallbackMissing);
        }
        let request = BlockTransactionsRequest {
            block: hash,
            positions: missing.clone(),
        };
        let txs = match network.request_block_transactions(peer, request).await {
            Ok(Some(txs)) if txs.len() == missing.len() => txs,
            Ok(_) => return Err(RelayOutcome::FallbackRequest),
            Err(e) => {
                tracing::debug!(target: "sync", "Missing extrinsics of {hash:?} from {peer}: {e}");
                return Err(RelayOutcome::FallbackRequest);
            }
        };
        for (position, xt) in missing.into_iter().zip(txs) {
            if let Some(slot) = slots.get_mut(position as usize) {
                *slot = Some(xt);
            }
        }
    }
    let body: Vec<OpaqueExtrinsic> = slots
        .into_iter()
        .collect::<Option<_>>()
        .ok_or(RelayOutcome::FallbackRequest)?;
    let expected = header.extrinsics_root;
    let (body, root) = tokio::task::spawn_blocking(move || {
        let root = extrinsics_root(&body);
        (body, root)
    })
    .await
    .map_err(|_| RelayOutcome::FallbackRoot)?;
    if root != expected {
        return Err(RelayOutcome::FallbackRoot);
    }
    let outcome = if fetched {
        RelayOutcome::RebuiltWithFetch
    } else {
        RelayOutcome::Rebuilt
    };
    Ok((
        BlockData {
            hash,
            header: Some(header),
            body: Some(body),
            justifications: None,
        },
        outcome,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Transactions as (hash, bytes), listed as they are.
    struct Listed(Vec<(H256, Vec<u8>)>);

    impl TransactionSource for Listed {
        fn for_each_transaction(&self, f: &mut dyn FnMut(&H256, &[u8])) {
            for (hash, bytes) in &self.0 {
                f(hash, bytes);
            }
        }
    }

    fn xt(n: u8) -> OpaqueExtrinsic {
        OpaqueExtrinsic::from_blob(vec![n; 3])
    }

    fn listed(xts: &[OpaqueExtrinsic]) -> Listed {
        Listed(
            xts.iter()
                .map(|x| (echonet_network::transaction_hash(x), x.encode()))
                .collect(),
        )
    }

    fn compact(
        block: &H256,
        prefilled: Vec<(u32, OpaqueExtrinsic)>,
        ids: &[OpaqueExtrinsic],
    ) -> CompactBody {
        CompactBody {
            prefilled,
            short_ids: ids
                .iter()
                .map(|x| short_id(block, &echonet_network::transaction_hash(x)))
                .collect(),
        }
    }

    #[test]
    fn rebuilds_around_prefilled_extrinsics_and_lists_what_is_missing() {
        let block = H256::repeat_byte(3);
        let body = compact(&block, vec![(0, xt(0)), (2, xt(2))], &[xt(1), xt(3), xt(4)]);
        let partial = rebuild(&listed(&[xt(3), xt(9)]), &block, &body).unwrap();
        assert_eq!(
            partial.slots,
            vec![Some(xt(0)), None, Some(xt(2)), Some(xt(3)), None]
        );
        assert_eq!(partial.missing, vec![1, 4]);
        assert_eq!(partial.short_ids, 3);
    }

    #[test]
    fn a_block_with_two_equal_short_ids_is_not_rebuilt() {
        let block = H256::repeat_byte(3);
        let body = compact(&block, vec![], &[xt(1), xt(1)]);
        assert!(rebuild(&listed(&[xt(1)]), &block, &body).is_none());
    }

    #[test]
    fn a_body_that_describes_no_block_is_not_rebuilt() {
        let block = H256::repeat_byte(3);
        let body = compact(&block, vec![(9, xt(0))], &[xt(1)]);
        assert!(rebuild(&listed(&[xt(1)]), &block, &body).is_none());
    }

    /// That it is the header's root is checked on real blocks by the integration tests
    /// (a pool holding the whole block imports it with no request).
    #[test]
    fn the_root_depends_on_the_extrinsics_and_their_order() {
        assert_ne!(extrinsics_root(&[xt(1)]), extrinsics_root(&[xt(2)]));
        assert_ne!(
            extrinsics_root(&[xt(1), xt(2)]),
            extrinsics_root(&[xt(2), xt(1)])
        );
    }
}
