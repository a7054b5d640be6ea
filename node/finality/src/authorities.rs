//! The GRANDPA authority set, its scheduled changes, and finalization with them.
//!
//! pallet-grandpa signals a change with a `ScheduledChange { next_authorities, delay }`
//! consensus log (engine `FRNK`) in the header of block `S`. The change takes effect at
//! block `E = S + delay` of the chain containing `S`, once `E` is finalized: `E` is the
//! last block the old set finalizes, and the new set (set id + 1) votes on `E`'s
//! descendants. Voters therefore never vote past `E` while the change is pending (see
//! `vote_limit`), and finalizing `E` applies the change. A justification or commit for a
//! block past `E` is refused until `E` is final, whoever signed it (see `finalize`): the
//! old set has no mandate there, and the new set none before `E` is final. So each
//! hand-off is proven by a justification stored at its own block, and one finalization
//! enacts at most one change.
//!
//! The set and its pending changes are stored in the client's auxiliary storage, written in
//! the same batch as the finalization that changes them (`finalize`).
//!
//! Forced changes, pauses and resumes are not acted on (pallet-grandpa emits them only for
//! `note_stalled`, a root call this chain does not use); they are logged.

use crate::{Error, JustificationError};
use codec::{Decode, Encode};
use echonet_client::Client;
use echonet_runtime::Header;
use sp_consensus_grandpa::{
    AuthorityList, ConsensusLog, ScheduledChange, SetId, GRANDPA_ENGINE_ID,
};
use sp_core::H256;
use sp_runtime::generic::OpaqueDigestItemId;

/// Aux key of the persisted [`AuthoritySet`].
pub(crate) const AUTHORITY_SET_KEY: &[u8] = b"grandpa:authority_set";

/// The authorities that vote, and the changes to them that finality has not enacted yet.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct AuthoritySet {
    /// Increases by one with every change; part of every signed vote.
    pub set_id: SetId,
    /// The voters and their weights.
    pub authorities: AuthorityList,
    /// The block this set started at: genesis (or the block the node first saw) for the
    /// first set, else the effective block of the change that made it.
    pub start: (H256, u32),
    /// Standard changes signaled in finalized blocks whose effective block is not final.
    pub pending: Vec<PendingChange>,
}

/// A scheduled change signaled in a finalized block.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct PendingChange {
    /// The set (with weights) that takes over once the change is enacted.
    pub next_authorities: AuthorityList,
    /// Blocks from the signal to the effective block (`0`: the signalling block itself).
    pub delay: u32,
    /// The block whose header carried the signal.
    pub signal: (H256, u32),
}

impl PendingChange {
    /// The number of the block at which the change takes effect.
    pub fn effective_number(&self) -> u32 {
        self.signal.1.saturating_add(self.delay)
    }
}

/// The standard change a header signals, if any (the first one, as pallet-grandpa
/// documents). Other GRANDPA logs are logged and ignored.
pub fn scheduled_change(header: &Header) -> Option<ScheduledChange<u32>> {
    let id = OpaqueDigestItemId::Consensus(&GRANDPA_ENGINE_ID);
    let mut found = None;
    for log in header.digest.logs() {
        let Some(log) = log.try_to::<ConsensusLog<u32>>(id) else {
            continue;
        };
        match log {
            ConsensusLog::ScheduledChange(change) if found.is_none() => found = Some(change),
            ConsensusLog::ScheduledChange(_) => {}
            other => tracing::warn!(
                target: "grandpa",
                "block #{} carries a GRANDPA signal this node does not act on: {other:?}",
                header.number
            ),
        }
    }
    found
}

impl AuthoritySet {
    /// The stored set, or the one the runtime reports at the finalized block.
    pub(crate) fn load_or_init(client: &Client) -> Result<Self, Error> {
        if let Some(raw) = client.aux_get(AUTHORITY_SET_KEY)? {
            return AuthoritySet::decode(&mut &raw[..]).map_err(|e| Error::Decode {
                what: "stored authority set",
                reason: e.to_string(),
            });
        }
        let info = client.info();
        let at = info.finalized_hash;
        let authorities: AuthorityList =
            client.call_decoded(at, "GrandpaApi_grandpa_authorities", &[])?;
        let set_id: SetId = client.call_decoded(at, "GrandpaApi_current_set_id", &[])?;
        if authorities.is_empty() {
            return Err(Error::NoAuthorities(format!(
                "the runtime reports no GRANDPA authorities at #{}",
                info.finalized_number
            )));
        }
        let set = AuthoritySet {
            set_id,
            authorities,
            start: (at, info.finalized_number),
            pending: Vec::new(),
        };
        client.aux_put(&[(AUTHORITY_SET_KEY, &set.encode())])?;
        Ok(set)
    }
}

/// The highest block number the current set may vote for on the chain ending at `head`:
/// the effective block of the earliest change pending on that chain (signaled in a
/// finalized block, or in an unfinalized block of this chain), or `None` if none is.
pub(crate) fn vote_limit(
    client: &Client,
    set: &AuthoritySet,
    head: &Header,
) -> Result<Option<u32>, Error> {
    let finalized = client.info().finalized_number;
    let mut limit = set.pending.iter().map(|c| c.effective_number()).min();
    let mut current = head.clone();
    while current.number > finalized {
        if let Some(change) = scheduled_change(&current) {
            let effective = current.number.saturating_add(change.delay);
            limit = Some(limit.map_or(effective, |l| l.min(effective)));
        }
        current = client
            .header(current.parent_hash)?
            .ok_or(echonet_client::Error::UnknownBlock(current.parent_hash))?;
    }
    Ok(limit)
}

/// What a finalization did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The block was already final (or below the finalized block on the same chain).
    AlreadyFinal,
    /// The block is final now; the set is unchanged.
    Finalized,
    /// The block is final and a change took effect: the voter must restart.
    SetChanged(SetId),
}

/// Finalizes `hash` with `justification` (an encoded GRANDPA justification, already
/// verified by the caller against `set`), applying the scheduled change it enacts, if any.
/// `set` is the shared authority set, locked for the whole operation so that the voter
/// and justification imports never interleave.
///
/// A block past the effective block of the earliest change pending on its chain is
/// refused with [`JustificationError::PastHandOff`]: `set` may not finalize it, and the
/// next set may only once that effective block is final. Finalizing the effective block
/// itself enacts that one change.
pub(crate) fn finalize(
    client: &Client,
    set: &mut AuthoritySet,
    hash: H256,
    number: u32,
    justification: Vec<u8>,
) -> Result<Outcome, Error> {
    let info = client.info();
    if number <= info.finalized_number {
        // Already final. A different block at a final height would be a safety fault:
        // refuse loudly rather than move anything.
        let ours = client.hash(number)?;
        if ours.is_some() && ours != Some(hash) {
            return Err(Error::Safety(format!(
                "asked to finalize {hash:?} at #{number}, but #{number} is already final as {ours:?}"
            )));
        }
        return Ok(Outcome::AlreadyFinal);
    }
    let route = client.tree_route(info.finalized_hash, hash)?;
    if !route.retracted.is_empty() {
        return Err(Error::Safety(format!(
            "asked to finalize {hash:?} (#{number}), which does not descend from the finalized \
             block #{} {:?}",
            info.finalized_number, info.finalized_hash
        )));
    }
    let mut next = set.clone();
    for (h, n) in &route.enacted {
        let header = client
            .header(*h)?
            .ok_or(echonet_client::Error::UnknownBlock(*h))?;
        if let Some(change) = scheduled_change(&header) {
            next.pending.push(PendingChange {
                next_authorities: change.next_authorities,
                delay: change.delay,
                signal: (*h, *n),
            });
        }
    }
    next.pending.sort_by_key(|c| c.effective_number());
    // The set's mandate ends at the earliest hand-off on this chain: past it only the next
    // set may finalize, and only once the hand-off block itself is final (its own
    // justification imported, or its commit made). So one finalization enacts at most one
    // change, and the proof of every hand-off is stored at the hand-off block.
    if let Some(hand_off) = next.pending.first().map(|c| c.effective_number()) {
        if number > hand_off {
            return Err(JustificationError::PastHandOff {
                number,
                hand_off,
                set_id: set.set_id,
            }
            .into());
        }
    }
    let mut changed = false;
    if next
        .pending
        .first()
        .is_some_and(|c| c.effective_number() == number)
    {
        let change = next.pending.remove(0);
        // pallet-grandpa schedules no change while one is pending, so no other can take
        // effect here; if one did, the next set could never finalize past its start.
        next.pending.retain(|c| {
            let later = c.effective_number() > number;
            if !later {
                tracing::error!(
                    target: "grandpa",
                    "dropping a second authority set change signalled at #{} that takes effect at #{number}, where another change does",
                    c.signal.1
                );
            }
            later
        });
        if change.next_authorities.is_empty() {
            tracing::error!(
                target: "grandpa",
                "ignoring a scheduled change to an empty authority set at #{number}"
            );
        } else {
            next = AuthoritySet {
                set_id: next.set_id.saturating_add(1),
                authorities: change.next_authorities,
                start: (hash, number),
                // Later signals stay pending for the new set.
                pending: std::mem::take(&mut next.pending),
            };
            changed = true;
            tracing::info!(
                target: "grandpa",
                "👴 Applying authority set change scheduled at block #{}: set {} starts at #{number} with {} authorities",
                change.signal.1,
                next.set_id,
                next.authorities.len()
            );
        }
    }
    let encoded = next.encode();
    client.finalize_block_with_aux(
        hash,
        Some((GRANDPA_ENGINE_ID, justification)),
        &[(AUTHORITY_SET_KEY, &encoded)],
    )?;
    *set = next;
    Ok(if changed {
        Outcome::SetChanged(set.set_id)
    } else {
        Outcome::Finalized
    })
}
