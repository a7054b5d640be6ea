//! The range download's bookkeeping: which block numbers are being downloaded and from
//! whom, and which have arrived and wait for their turn to be imported. Kept apart from
//! the engine so that it can be tested without a network.
//!
//! Ranges are keyed by their first number and never overlap. A range is either in flight
//! (a request to one peer) or ready (its blocks arrived). Numbers not covered by any range
//! are free: the next request takes the lowest free numbers.

use echonet_network::PeerId;
use std::collections::BTreeMap;

enum Entry<T> {
    InFlight {
        end: u32,
        generation: u64,
    },
    Ready {
        end: u32,
        peer: PeerId,
        blocks: Vec<T>,
    },
}

impl<T> Entry<T> {
    /// One past the range's last number.
    fn end(&self) -> u32 {
        match self {
            Entry::InFlight { end, .. } | Entry::Ready { end, .. } => *end,
        }
    }
}

/// A ready range taken out for import.
pub(crate) struct ReadyRange<T> {
    pub(crate) start: u32,
    pub(crate) peer: PeerId,
    pub(crate) blocks: Vec<T>,
}

pub(crate) struct Ranges<T> {
    map: BTreeMap<u32, Entry<T>>,
}

impl<T> Ranges<T> {
    pub(crate) fn new() -> Self {
        Self {
            map: BTreeMap::new(),
        }
    }

    /// The lowest free run of numbers at or after `from`, at most `max_len` long, not past
    /// `peer_best` (the most the peer has) nor `limit` (how far ahead we download).
    pub(crate) fn next_free(
        &self,
        from: u32,
        peer_best: u32,
        limit: u32,
        max_len: u32,
    ) -> Option<(u32, u32)> {
        let mut cursor = from;
        // A range that starts before `from` may still cover it.
        if let Some((_, entry)) = self.map.range(..from).next_back() {
            cursor = cursor.max(entry.end());
        }
        let mut next_taken = None;
        for (start, entry) in self.map.range(from..) {
            if *start > cursor {
                next_taken = Some(*start);
                break;
            }
            cursor = cursor.max(entry.end());
        }
        let last = peer_best.min(limit);
        if cursor > last || max_len == 0 {
            return None;
        }
        let mut end = cursor.saturating_add(max_len).min(last.saturating_add(1));
        if let Some(taken) = next_taken {
            end = end.min(taken);
        }
        (end > cursor).then_some((cursor, end))
    }

    /// Records a request for `[start, end)`.
    pub(crate) fn start(&mut self, start: u32, end: u32, generation: u64) {
        self.map.insert(start, Entry::InFlight { end, generation });
    }

    /// Whether the request for the range at `start` of `generation` is still wanted.
    pub(crate) fn is_in_flight(&self, start: u32, generation: u64) -> bool {
        matches!(
            self.map.get(&start),
            Some(Entry::InFlight { generation: g, .. }) if *g == generation
        )
    }

    /// The blocks of the range at `start` arrived (at most as many as asked for; fewer
    /// free the rest). Returns false, dropping them, if the range is no longer wanted.
    pub(crate) fn complete(
        &mut self,
        start: u32,
        generation: u64,
        peer: PeerId,
        blocks: Vec<T>,
    ) -> bool {
        if !self.is_in_flight(start, generation) {
            return false;
        }
        let asked_end = self.map.get(&start).map(Entry::end).unwrap_or(start);
        if blocks.is_empty() {
            self.map.remove(&start);
            return true;
        }
        let end = start
            .saturating_add(blocks.len() as u32)
            .min(asked_end.max(start + 1));
        self.map.insert(start, Entry::Ready { end, peer, blocks });
        true
    }

    /// The request for the range at `start` failed: its numbers are free again.
    pub(crate) fn fail(&mut self, start: u32, generation: u64) {
        if self.is_in_flight(start, generation) {
            self.map.remove(&start);
        }
    }

    /// Takes the ready range that continues at `next`, dropping ranges wholly below `next`
    /// (blocks that arrived some other way meanwhile). `None` while the range at `next` is
    /// missing or in flight.
    pub(crate) fn pop_ready(&mut self, next: u32) -> Option<ReadyRange<T>> {
        loop {
            let (&start, entry) = self.map.first_key_value()?;
            if entry.end() <= next {
                self.map.remove(&start);
                continue;
            }
            if start > next || matches!(entry, Entry::InFlight { .. }) {
                return None;
            }
            return match self.map.remove(&start) {
                Some(Entry::Ready { peer, blocks, .. }) => Some(ReadyRange {
                    start,
                    peer,
                    blocks,
                }),
                _ => None,
            };
        }
    }

    /// Forgets everything (the chain being downloaded did not link up).
    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }

    /// Blocks downloaded and waiting for import.
    pub(crate) fn ready_blocks(&self) -> usize {
        self.map
            .values()
            .map(|e| match e {
                Entry::Ready { blocks, .. } => blocks.len(),
                Entry::InFlight { .. } => 0,
            })
            .sum()
    }

    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.map
            .values()
            .filter(|e| matches!(e, Entry::InFlight { .. }))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> PeerId {
        PeerId::random()
    }

    #[test]
    fn free_runs_skip_taken_ranges_and_respect_the_bounds() {
        let mut r: Ranges<u32> = Ranges::new();
        assert_eq!(r.next_free(1, 1000, 1000, 128), Some((1, 129)));
        r.start(1, 129, 0);
        assert_eq!(r.next_free(1, 1000, 1000, 128), Some((129, 257)));
        // The peer has only up to #200.
        assert_eq!(r.next_free(1, 200, 1000, 128), Some((129, 201)));
        // Nothing beyond the look-ahead limit.
        assert_eq!(r.next_free(1, 1000, 128, 128), None);
        // A gap between two ranges is filled first, and only up to the next range.
        r.start(200, 300, 0);
        assert_eq!(r.next_free(1, 1000, 1000, 128), Some((129, 200)));
        // A range starting below `from` still covers it.
        assert_eq!(r.next_free(50, 1000, 1000, 128), Some((129, 200)));
        assert_eq!(r.next_free(1, 0, 1000, 128), None);
    }

    #[test]
    fn short_answers_free_the_rest_and_ready_ranges_pop_in_order() {
        let mut r: Ranges<u32> = Ranges::new();
        let p = peer();
        r.start(1, 129, 7);
        r.start(129, 257, 7);
        // The second range arrives first: nothing to pop yet.
        assert!(r.complete(129, 7, p, (129..257).collect()));
        assert!(r.pop_ready(1).is_none());
        // The first comes back short: #1..#50; #51..#128 are free again.
        assert!(r.complete(1, 7, p, (1..51).collect()));
        assert_eq!(r.next_free(1, 1000, 1000, 128), Some((51, 129)));
        let first = r.pop_ready(1).unwrap();
        assert_eq!((first.start, first.blocks.len()), (1, 50));
        assert!(r.pop_ready(51).is_none(), "the gap is not downloaded yet");
        r.start(51, 129, 7);
        assert!(r.complete(51, 7, p, (51..129).collect()));
        assert_eq!(r.pop_ready(51).unwrap().start, 51);
        assert_eq!(r.pop_ready(129).unwrap().blocks.len(), 128);
        assert_eq!(r.ready_blocks(), 0);
    }

    #[test]
    fn stale_generations_failures_and_overtaken_ranges() {
        let mut r: Ranges<u32> = Ranges::new();
        let p = peer();
        r.start(1, 11, 1);
        // An answer for an older generation is dropped.
        assert!(!r.complete(1, 0, p, vec![1, 2]));
        assert_eq!(r.in_flight(), 1);
        r.fail(1, 1);
        assert_eq!(r.in_flight(), 0);
        assert_eq!(r.next_free(1, 100, 100, 10), Some((1, 11)));
        // An empty answer frees the range.
        r.start(1, 11, 1);
        assert!(r.complete(1, 1, p, vec![]));
        assert_eq!(r.next_free(1, 100, 100, 10), Some((1, 11)));
        // Ranges wholly below `next` are dropped when popping (the blocks came otherwise).
        r.start(1, 11, 1);
        r.start(11, 21, 1);
        assert!(r.complete(11, 1, p, (11..21).collect()));
        assert_eq!(r.pop_ready(11).unwrap().start, 11);
        assert_eq!(r.in_flight(), 0);
        r.start(30, 40, 1);
        r.clear();
        assert_eq!(r.in_flight(), 0);
    }
}
