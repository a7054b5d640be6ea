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
/// Aux key of the persisted [`SetChanges`].
pub(crate) const SET_CHANGES_KEY: &[u8] = b"grandpa:set_changes";

/// Every hand-off this node enacted, for warp sync's proofs: written with the finalization
/// that enacts each (so it never disagrees with the authority set), never pruned (an entry
/// is ~80 bytes; the hand-off blocks' justifications are kept with their blocks).
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
pub struct SetChanges {
    /// The first set this node knows: 0 from genesis, the set in force at its warp target
    /// (or snapshot) otherwise. It cannot prove hand-offs before it.
    pub first_set: SetId,
    /// The hand-offs since, in order.
    pub changes: Vec<SetChange>,
}

/// One enacted hand-off.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct SetChange {
    /// The set that took over.
    pub set_id: SetId,
    /// The block whose header signalled the change.
    pub signal: (H256, u32),
    /// The block the old set finalized last (whose justification proves the hand-off).
    pub hand_off: (H256, u32),
}

/// The hand-offs this node enacted ([`SetChanges`]; empty from set 0 if none is stored).
pub fn set_changes(client: &Client) -> Result<SetChanges, Error> {
    match client.aux_get(SET_CHANGES_KEY)? {
        Some(raw) => SetChanges::decode(&mut &raw[..]).map_err(|e| Error::Decode {
            what: "stored authority set changes",
            reason: e.to_string(),
        }),
        None => Ok(SetChanges::default()),
    }
}

/// After the database was started from a state without its ancestors (warp sync or a
/// snapshot, before GRANDPA starts): the authority set is the one the runtime reports at
/// the finalized block, with the change pallet-grandpa has pending there (if any), and
/// hand-offs are known from it on. Replaces whatever was stored.
pub fn reset_after_state_import(client: &Client) -> Result<AuthoritySet, Error> {
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
    let pending = match client.storage(at, &pending_change_key())? {
        Some(raw) => pending_change_from_storage(&raw, info.finalized_number),
        None => None,
    };
    let set = AuthoritySet {
        set_id,
        authorities,
        start: (at, info.finalized_number),
        pending: pending.into_iter().collect(),
    };
    let aux = aux_after_state_import(&set);
    let entries: Vec<(&[u8], &[u8])> = aux
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    client.aux_put(&entries)?;
    Ok(set)
}

/// The storage key of pallet-grandpa's `PendingChange` (a change signalled and not yet
/// enacted).
pub fn pending_change_key() -> Vec<u8> {
    [
        sp_crypto_hashing::twox_128(b"Grandpa"),
        sp_crypto_hashing::twox_128(b"PendingChange"),
    ]
    .concat()
}

/// The standard change pallet-grandpa's `PendingChange` value `raw` holds, if it takes
/// effect after block `finalized` (forced changes are not acted on, as elsewhere). The
/// signal's hash is unknown (zero): the block lies below a state imported without its
/// ancestors; only its number matters to finality.
pub fn pending_change_from_storage(raw: &[u8], finalized: u32) -> Option<PendingChange> {
    // (scheduled_at, delay, next_authorities, forced)
    let (scheduled_at, delay, next_authorities, forced) =
        <(u32, u32, AuthorityList, Option<u32>)>::decode(&mut &raw[..]).ok()?;
    let change = PendingChange {
        next_authorities,
        delay,
        signal: (H256::zero(), scheduled_at),
    };
    (forced.is_none() && change.effective_number() > finalized).then_some(change)
}

/// The auxiliary entries that start GRANDPA at `set` on a database started from a state
/// without its ancestors: the set, and an empty hand-off history from it. Written with
/// the imported state, in the same batch.
pub fn aux_after_state_import(set: &AuthoritySet) -> Vec<(Vec<u8>, Vec<u8>)> {
    let changes = SetChanges {
        first_set: set.set_id,
        changes: Vec::new(),
    };
    vec![
        (AUTHORITY_SET_KEY.to_vec(), set.encode()),
        (SET_CHANGES_KEY.to_vec(), changes.encode()),
    ]
}

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
    let mut enacted_signal = (H256::zero(), 0);
    if next
        .pending
        .first()
        .is_some_and(|c| c.effective_number() == number)
    {
        let change = next.pending.remove(0);
        enacted_signal = change.signal;
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
    let changes = if changed {
        let mut changes = set_changes(client)?;
        changes.changes.push(SetChange {
            set_id: next.set_id,
            signal: enacted_signal,
            hand_off: (hash, number),
        });
        Some(changes.encode())
    } else {
        None
    };
    let mut aux: Vec<(&[u8], &[u8])> = vec![(AUTHORITY_SET_KEY, &encoded)];
    if let Some(changes) = &changes {
        aux.push((SET_CHANGES_KEY, changes));
    }
    client.finalize_block_with_aux(hash, Some((GRANDPA_ENGINE_ID, justification)), &aux)?;
    *set = next;
    Ok(if changed {
        Outcome::SetChanged(set.set_id)
    } else {
        Outcome::Finalized
    })
}
