//! Aura equivocations: two different headers sealed by one authority for one slot.
//!
//! Block import remembers the first validly sealed header of each recent (slot, author)
//! pair; a second, different one makes an [`AuraEquivocation`] that the node turns into a
//! pallet-evidence report ([`super::evidence::aura_report_extrinsic`]).

use super::AuraId;
use echonet_runtime::Header;
use parking_lot::Mutex;
use schnellru::{ByLength, LruMap};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Two different headers sealed by one Aura authority for the same slot, seen at import.
/// Evidence for pallet-evidence's `report_aura_equivocation`.
#[derive(Debug, Clone)]
pub struct AuraEquivocation {
    /// The slot both headers claim.
    pub slot: u64,
    /// The authority that owns the slot and sealed both headers.
    pub author: AuraId,
    /// The first header seen (sealed).
    pub first: Arc<Header>,
    /// The second, different header of the same slot and author (sealed).
    pub second: Arc<Header>,
}

/// How many recent (slot, author) pairs import remembers to spot Aura equivocations.
const AURA_SLOTS_REMEMBERED: u32 = 2048;

/// Remembers the first sealed header of recent (slot, author) pairs and announces
/// equivocations to its subscribers.
pub struct EquivocationTracker {
    /// The first validly sealed header seen for each recent (slot, author).
    slots: Mutex<LruMap<(u64, AuraId), Arc<Header>>>,
    equivocations: broadcast::Sender<AuraEquivocation>,
}

impl Default for EquivocationTracker {
    fn default() -> Self {
        let (equivocations, _) = broadcast::channel(64);
        Self {
            slots: Mutex::new(LruMap::new(ByLength::new(AURA_SLOTS_REMEMBERED))),
            equivocations,
        }
    }
}

impl EquivocationTracker {
    /// Subscribes to equivocations: a second validly sealed header for a (slot, author)
    /// pair already seen among the last few thousand.
    pub fn subscribe(&self) -> broadcast::Receiver<AuraEquivocation> {
        self.equivocations.subscribe()
    }

    /// Remembers a header whose seal checked out; reports it if its slot and author
    /// already sealed a different header.
    pub fn note(&self, header: &Header, slot: u64, author: &AuraId) {
        let mut slots = self.slots.lock();
        let key = (slot, author.clone());
        match slots.get(&key) {
            Some(first) if first.hash() != header.hash() => {
                let first = first.clone();
                drop(slots);
                tracing::warn!(
                    target: "aura",
                    "⚠️ {author} sealed two blocks in slot {slot}: {:?} and {:?}",
                    first.hash(),
                    header.hash()
                );
                let _ = self.equivocations.send(AuraEquivocation {
                    slot,
                    author: author.clone(),
                    first,
                    second: Arc::new(header.clone()),
                });
            }
            Some(_) => {}
            None => {
                slots.insert(key, Arc::new(header.clone()));
            }
        }
    }
}
