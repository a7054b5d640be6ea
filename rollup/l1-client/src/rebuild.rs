//! Rebuilding the L2 state from chain data alone.
//!
//! [`rebuild`] reads the finalized chain block by block (`chain_getBlockHash`,
//! `chain_getBlock`), decodes every extrinsic (with the runtime's length and nesting limits),
//! and for each `Bridge::submit_batch` call whose block emitted `Bridge::BatchVerified` for
//! that batch number from that extrinsic (a refused submission emits nothing), it:
//!
//! 1. reads the batch size and the consumed deposits (`DepositQueue` from `QueueHead`) in
//!    the state of the parent block, where the bridge read them;
//! 2. replays the DA bytes and the deposits on the tree ([`replay_batch`]);
//! 3. checks that the replayed root is the event's new root (and the event's old root the
//!    tree's root before), batch numbers are consecutive, and at the end that the tree's
//!    root is `CurrentRoot` at the finalized head and the last batch is `LastBatch` there.
//!
//! Any disagreement is an error naming the batch and block. Blocks are fetched 16 at a time
//! and scanning stops after the block of the finalized head's `LastBatch`.

use echonet_rollup_primitives::{
    field::fr_to_be_bytes, replay::replay_batch, AccountTree, Deposit,
};
use echonet_runtime::{Runtime, RuntimeEvent, UncheckedExtrinsic};
use frame_system::Phase;
use futures::StreamExt;
use pallet_bridge::FieldBytes;
use sp_core::H256;

use crate::client::{decode_all, to_hex, At, L1Client};
use crate::error::L1Error;
use crate::settler::find_submit_batch;

/// How many blocks are requested at once.
const CONCURRENT_BLOCKS: usize = 16;
/// How often (in blocks) progress is reported besides each batch.
const PROGRESS_EVERY: u32 = 500;

/// Progress of a [`rebuild`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildProgress {
    /// Blocks read so far.
    pub blocks_scanned: u32,
    /// The finalized head's number (the most blocks that will be read).
    pub blocks_total: u32,
    /// Batches replayed so far.
    pub batches_replayed: u64,
    /// The last batch at the finalized head (the batches that will be replayed).
    pub batches_total: u64,
}

/// One settled batch, as rebuilt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuiltBatch {
    /// The batch number.
    pub number: u64,
    /// The block that verified it: number and hash.
    pub block: (u32, H256),
    /// The root after it (big-endian).
    pub new_root: FieldBytes,
    /// Its DA payload.
    pub da: Vec<u8>,
    /// The deposits it consumed, with their queue sequence numbers.
    pub deposits: Vec<(u64, Deposit)>,
}

/// The L2 state rebuilt from L1.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    /// The account tree after the last settled batch.
    pub tree: AccountTree,
    /// The last settled batch (0 if none).
    pub last_batch: u64,
    /// The sequence number of the first deposit no batch has consumed.
    pub next_deposit_seq: u64,
    /// Every settled batch, in order.
    pub batches: Vec<RebuiltBatch>,
    /// `CurrentRoot` at the finalized head (equal to the tree's root).
    pub l1_root: FieldBytes,
    /// The finalized head the rebuild read up to: number and hash.
    pub finalized: (u32, H256),
}

/// Rebuilds the L2 state from the finalized chain (see the module docs). `progress` is
/// called every few hundred blocks, after each batch and at the end.
pub async fn rebuild(
    l1: &L1Client,
    mut progress: impl FnMut(RebuildProgress),
) -> Result<Rebuilt, L1Error> {
    let (fin_n, fin_h) = l1.finalized_head().await?;
    let view = l1.bridge_view(At::Hash(fin_h)).await?;
    let mut tree = AccountTree::new();
    let mut batches: Vec<RebuiltBatch> = Vec::new();
    let mut last_batch = 0u64;
    let mut next_deposit_seq = 0u64;
    let mut report = RebuildProgress {
        blocks_scanned: 0,
        blocks_total: fin_n,
        batches_replayed: 0,
        batches_total: view.last_batch,
    };
    tracing::info!(target: "rollup::rebuild", finalized = fin_n, batches = view.last_batch, "rebuilding the L2 state from L1");

    let fetch = |n: u32| async move {
        let h = l1.block_hash(n).await?.ok_or_else(|| L1Error::Missing {
            what: format!("block #{n}"),
            at: None,
        })?;
        let xts = l1
            .block_extrinsics(h)
            .await?
            .ok_or_else(|| L1Error::Missing {
                what: format!("body of block #{n}"),
                at: Some(h),
            })?;
        Ok::<_, L1Error>((n, h, xts))
    };
    let mut blocks = futures::stream::iter(1..=fin_n)
        .map(fetch)
        .buffered(CONCURRENT_BLOCKS);
    while last_batch < view.last_batch {
        let Some(next) = blocks.next().await else {
            break;
        };
        let (n, h, xts) = next?;
        report.blocks_scanned += 1;
        if report.blocks_scanned.is_multiple_of(PROGRESS_EVERY) {
            progress(report);
        }
        let mut events = None;
        for (index, bytes) in xts.iter().enumerate() {
            let xt: UncheckedExtrinsic =
                decode_all(bytes, &format!("extrinsic {index} of block #{n}"), Some(h))?;
            let Some(args) = find_submit_batch(&xt.0.function, 0) else {
                continue;
            };
            if events.is_none() {
                events = Some(l1.events(h).await?);
            }
            let verified = events.iter().flatten().find_map(|r| match &r.event {
                RuntimeEvent::Bridge(pallet_bridge::Event::BatchVerified {
                    batch_number,
                    old_root,
                    new_root,
                    ..
                }) if r.phase == Phase::ApplyExtrinsic(index as u32)
                    && *batch_number == args.batch_number =>
                {
                    Some((*old_root, *new_root))
                }
                _ => None,
            });
            let Some((old_root, event_root)) = verified else {
                // A refused submission: it changed nothing.
                continue;
            };
            let number = args.batch_number;
            if number != last_batch + 1 {
                return Err(L1Error::Inconsistent(format!(
                    "block #{n} verified batch {number} after batch {last_batch}"
                )));
            }
            if old_root != fr_to_be_bytes(&tree.root()) || *args.new_root != event_root {
                return Err(L1Error::Inconsistent(format!(
                    "block #{n}: batch {number}'s roots do not chain (event old root {}, new root {}, call new root {})",
                    to_hex(&old_root),
                    to_hex(&event_root),
                    to_hex(args.new_root)
                )));
            }
            let (_, parent) = l1.header(h).await?.ok_or_else(|| L1Error::Missing {
                what: format!("header of block #{n}"),
                at: Some(h),
            })?;
            let batch_size: u32 = l1
                .storage_value(
                    &pallet_bridge::BatchSize::<Runtime>::hashed_key(),
                    parent,
                    "Bridge.BatchSize",
                )
                .await?
                .ok_or_else(|| L1Error::Missing {
                    what: format!("Bridge.BatchSize before batch {number}"),
                    at: Some(parent),
                })?;
            let head: u64 = l1
                .storage_value(
                    &pallet_bridge::QueueHead::<Runtime>::hashed_key(),
                    parent,
                    "Bridge.QueueHead",
                )
                .await?
                .unwrap_or(0);
            let deposits = l1
                .deposits_at(parent, head, args.deposits_consumed as u64)
                .await?;
            let plain: Vec<Deposit> = deposits.iter().map(|(_, d)| d.clone()).collect();
            let replayed = replay_batch(&mut tree, args.da, batch_size as usize, &plain).map_err(
                |source| L1Error::Replay {
                    batch: number,
                    block: n,
                    source,
                },
            )?;
            let root = fr_to_be_bytes(&replayed.new_root);
            if root != event_root {
                return Err(L1Error::RootMismatch {
                    batch: number,
                    block: n,
                    replayed: hex::encode(root),
                    recorded: hex::encode(event_root),
                });
            }
            last_batch = number;
            next_deposit_seq = head + args.deposits_consumed as u64;
            batches.push(RebuiltBatch {
                number,
                block: (n, h),
                new_root: root,
                da: args.da.to_vec(),
                deposits,
            });
            report.batches_replayed += 1;
            tracing::info!(target: "rollup::rebuild", batch = number, block = n, "batch replayed");
            progress(report);
        }
    }
    progress(report);
    let l1_root = view.current_root;
    if last_batch != view.last_batch {
        return Err(L1Error::Inconsistent(format!(
            "found {last_batch} settled batches but LastBatch at #{fin_n} is {}",
            view.last_batch
        )));
    }
    if fr_to_be_bytes(&tree.root()) != l1_root {
        return Err(L1Error::RootMismatch {
            batch: last_batch,
            block: fin_n,
            replayed: hex::encode(fr_to_be_bytes(&tree.root())),
            recorded: hex::encode(l1_root),
        });
    }
    if last_batch > 0 && next_deposit_seq != view.queue_head {
        return Err(L1Error::Inconsistent(format!(
            "the batches consumed deposits up to {next_deposit_seq} but QueueHead is {}",
            view.queue_head
        )));
    }
    Ok(Rebuilt {
        tree,
        last_batch,
        next_deposit_seq: view.queue_head,
        batches,
        l1_root,
        finalized: (fin_n, fin_h),
    })
}
