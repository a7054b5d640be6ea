//! The data store's provider records in Kademlia: announcing the keys we provide, in
//! batches; finding the providers of a key; and the records peers send us, held in the
//! bounded [`ProviderStore`](crate::providers::ProviderStore).
//!
//! - **Announcing.** [`NetworkHandle::start_providing`](crate::NetworkHandle::start_providing)
//!   queues keys; each tick starts at most [`ANNOUNCE_BATCH`] `ADD_PROVIDER` queries, with
//!   at most [`MAX_ANNOUNCING`] in flight, and none while the routing table is empty (they
//!   would reach nobody). Every [`REPUBLISH_INTERVAL`] every key is queued again, so a
//!   republication goes out in the same batches, never as a storm.
//! - **Finding.** A lookup (`GET_PROVIDERS`) collects up to [`MAX_FOUND`] providers, dials
//!   those we are not connected to (with the addresses their records or the query gave),
//!   and answers once the query is over and those dials have ended, or at
//!   [`LOOKUP_TIMEOUT`]. At most [`MAX_LOOKUPS`] run at once; more get no providers.
//! - **Receiving.** Kademlia hands us every `ADD_PROVIDER` it accepts (it checks that the
//!   provider is the sender). A sender gets [`PROVIDER_RECORD_RATE`] records a second (a burst of
//!   more is dropped) and the store's per-peer budget; what is refused is counted
//!   (`echonet_network_provider_records_refused_total{reason}`). Expired records are pruned
//!   every [`PRUNE_INTERVAL`].

use super::Worker;
use crate::{
    peerset::TokenBucket,
    providers::{Refused, MAX_PROVIDED_KEYS, PROVIDER_RECORD_RATE},
};
use libp2p::{
    kad::{self, GetProvidersError, GetProvidersOk, ProviderRecord, QueryId, RecordKey},
    swarm::dial_opts::{DialOpts, PeerCondition},
    PeerId,
};
use schnellru::{ByLength, LruMap};
use std::{
    collections::{HashMap, HashSet, VecDeque},
    time::{Duration, Instant},
};
use tokio::sync::oneshot;

/// Announcements started per tick (one a second).
pub(crate) const ANNOUNCE_BATCH: usize = 16;
/// Announcements in flight at once.
pub(crate) const MAX_ANNOUNCING: usize = 32;
/// How often every key we provide is announced again (received records live 24 h).
pub(crate) const REPUBLISH_INTERVAL: Duration = Duration::from_secs(12 * 3600);
/// Longest a lookup takes, dials of the providers found included.
pub(crate) const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);
/// Most providers a lookup returns.
pub(crate) const MAX_FOUND: usize = 20;
/// Lookups running at once.
pub(crate) const MAX_LOOKUPS: usize = 64;
/// Peers whose record rate is tracked; beyond, the least recent is forgotten.
const TRACKED_SENDERS: u32 = 1024;
/// How often expired records are dropped.
const PRUNE_INTERVAL: Duration = Duration::from_secs(60);

pub(crate) type ProvidersReply = oneshot::Sender<Vec<PeerId>>;

struct Lookup {
    key: RecordKey,
    found: Vec<PeerId>,
    reply: ProvidersReply,
    deadline: Instant,
    /// The Kademlia query is still running.
    searching: bool,
}

/// The worker's provider state.
pub(super) struct Providing {
    /// Keys we provide.
    keys: HashSet<RecordKey>,
    /// Keys waiting to be announced. A key is in `queued` once; `queue` may hold stale
    /// entries (stopped, or queued again), skipped when popped.
    queue: VecDeque<RecordKey>,
    queued: HashSet<RecordKey>,
    announcing: HashSet<QueryId>,
    next_republish: Instant,
    lookups: HashMap<QueryId, Lookup>,
    senders: LruMap<PeerId, TokenBucket>,
    next_prune: Instant,
}

impl Providing {
    pub(super) fn new() -> Self {
        let now = Instant::now();
        Self {
            keys: HashSet::new(),
            queue: VecDeque::new(),
            queued: HashSet::new(),
            announcing: HashSet::new(),
            next_republish: now + REPUBLISH_INTERVAL,
            lookups: HashMap::new(),
            senders: LruMap::new(ByLength::new(TRACKED_SENDERS)),
            next_prune: now + PRUNE_INTERVAL,
        }
    }

    fn enqueue(&mut self, key: RecordKey) {
        if self.queued.insert(key.clone()) {
            self.queue.push_back(key);
        }
    }

    /// Whether a lookup waits for something (then swarm events may settle it).
    pub(super) fn has_lookups(&self) -> bool {
        !self.lookups.is_empty()
    }
}

impl Worker {
    pub(super) fn start_providing(&mut self, keys: Vec<Vec<u8>>) {
        for key in keys {
            let key = RecordKey::new(&key);
            let p = &mut self.providing;
            if !p.keys.contains(&key) {
                if p.keys.len() >= MAX_PROVIDED_KEYS {
                    tracing::warn!(target: "network", "Providing {MAX_PROVIDED_KEYS} keys already: not announcing more");
                    break;
                }
                p.keys.insert(key.clone());
                p.enqueue(key);
            }
        }
        self.update_provider_metrics();
    }

    pub(super) fn stop_providing(&mut self, key: Vec<u8>) {
        let key = RecordKey::new(&key);
        self.providing.keys.remove(&key);
        self.providing.queued.remove(&key);
        self.swarm.behaviour_mut().kad.stop_providing(&key);
        self.update_provider_metrics();
    }

    pub(super) fn get_providers(&mut self, key: Vec<u8>, reply: ProvidersReply) {
        if self.providing.lookups.len() >= MAX_LOOKUPS {
            if let Some(m) = self.metrics() {
                m.provider_lookup("busy");
            }
            let _ = reply.send(Vec::new());
            return;
        }
        let key = RecordKey::new(&key);
        let id = self.swarm.behaviour_mut().kad.get_providers(key.clone());
        self.providing.lookups.insert(
            id,
            Lookup {
                key,
                found: Vec::new(),
                reply,
                deadline: Instant::now() + LOOKUP_TIMEOUT,
                searching: true,
            },
        );
    }

    /// The tick's share: republication, a batch of announcements, lookups past their
    /// deadline, pruning.
    pub(super) fn maintain_providers(&mut self, now: Instant) {
        if now >= self.providing.next_republish {
            self.providing.next_republish = now + REPUBLISH_INTERVAL;
            let keys: Vec<RecordKey> = self.providing.keys.iter().cloned().collect();
            tracing::debug!(target: "network", "Republishing {} provider records", keys.len());
            for key in keys {
                self.providing.enqueue(key);
            }
        }
        let routable = self
            .swarm
            .behaviour_mut()
            .kad
            .kbuckets()
            .any(|b| b.num_entries() > 0);
        let mut started = 0;
        while routable
            && started < ANNOUNCE_BATCH
            && self.providing.announcing.len() < MAX_ANNOUNCING
        {
            let Some(key) = self.providing.queue.pop_front() else {
                break;
            };
            if !self.providing.queued.remove(&key) || !self.providing.keys.contains(&key) {
                continue; // stale
            }
            started += 1;
            match self.swarm.behaviour_mut().kad.start_providing(key) {
                Ok(id) => {
                    self.providing.announcing.insert(id);
                    if let Some(m) = self.metrics() {
                        m.provider_announcement("started");
                    }
                }
                Err(e) => tracing::debug!(target: "network", "Cannot provide a key: {e:?}"),
            }
        }
        self.settle_lookups(now);
        if now >= self.providing.next_prune {
            self.providing.next_prune = now + PRUNE_INTERVAL;
            let pruned = self.swarm.behaviour_mut().kad.store_mut().prune(now);
            if pruned > 0 {
                tracing::debug!(target: "network", "Dropped {pruned} expired provider records");
            }
            self.update_provider_metrics();
        }
    }

    /// Sets the gauges: records held for other peers, and the keys we provide (announced
    /// or still queued, so the gauge moves when `start_providing` is called).
    fn update_provider_metrics(&mut self) {
        let provided = self.providing.keys.len();
        let remote = self.swarm.behaviour_mut().kad.store_mut().remote_records();
        if let Some(m) = self.metrics() {
            m.set_provider_records(remote, provided);
        }
    }

    /// A provider record a peer sent (Kademlia checked that the provider is the sender).
    pub(super) fn on_provider_record(&mut self, record: ProviderRecord) {
        let now = Instant::now();
        let source = record.provider;
        let within_rate = self
            .providing
            .senders
            .get_or_insert(source, || TokenBucket::new(PROVIDER_RECORD_RATE))
            .is_some_and(|bucket| bucket.try_take(now));
        let result = if within_rate {
            self.swarm
                .behaviour_mut()
                .kad
                .store_mut()
                .insert_remote(&source, record, now)
        } else {
            Err(Refused::PeerBudget)
        };
        match result {
            Ok(()) => self.update_provider_metrics(),
            Err(reason) => {
                tracing::trace!(target: "network", "Provider record of {source} refused: {reason:?}");
                if let Some(m) = self.metrics() {
                    m.provider_record_refused(reason.label());
                }
            }
        }
    }

    pub(super) fn on_start_providing_result(&mut self, id: QueryId, ok: bool) {
        if self.providing.announcing.remove(&id) {
            if let Some(m) = self.metrics() {
                m.provider_announcement(if ok { "ok" } else { "failed" });
            }
        }
    }

    pub(super) fn on_get_providers_result(
        &mut self,
        id: QueryId,
        result: Result<GetProvidersOk, GetProvidersError>,
        last: bool,
    ) {
        let Some(lookup) = self.providing.lookups.get_mut(&id) else {
            return;
        };
        let mut new = Vec::new();
        match result {
            Ok(GetProvidersOk::FoundProviders { providers, .. }) => {
                for p in providers {
                    if p != self.local
                        && !lookup.found.contains(&p)
                        && lookup.found.len() < MAX_FOUND
                    {
                        lookup.found.push(p);
                        new.push(p);
                    }
                }
            }
            Ok(GetProvidersOk::FinishedWithNoAdditionalRecord { .. })
            | Err(GetProvidersError::Timeout { .. }) => lookup.searching = false,
        }
        if last {
            lookup.searching = false;
        }
        if lookup.searching && lookup.found.len() >= MAX_FOUND {
            lookup.searching = false;
            if let Some(mut q) = self.swarm.behaviour_mut().kad.query_mut(&id) {
                q.finish();
            }
        }
        let key = lookup.key.clone();
        for peer in new {
            let addrs = self
                .swarm
                .behaviour_mut()
                .kad
                .store_mut()
                .addresses_of(&key, &peer);
            for addr in addrs {
                self.discovery.add(peer, addr);
            }
            self.dial_provider(peer);
        }
        self.settle_lookups(Instant::now());
    }

    /// Dials a provider we are not connected to: with the addresses we know, and those
    /// Kademlia knows (its routing table, and the running query's answers).
    fn dial_provider(&mut self, peer: PeerId) {
        let ps = &self.swarm.behaviour().peerset;
        if peer == self.local
            || self.swarm.is_connected(&peer)
            || ps.is_blocked(&peer)
            || ps.is_banned(&peer)
            || self.discovery.is_dialing(&peer)
        {
            return;
        }
        let opts = DialOpts::peer_id(peer)
            .addresses(self.discovery.addresses(&peer))
            .extend_addresses_through_behaviour()
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build();
        self.discovery.dialed(peer, Instant::now());
        if let Err(e) = self.swarm.dial(opts) {
            tracing::debug!(target: "network", "Cannot dial provider {peer}: {e}");
            self.discovery.dial_ended(&peer);
        }
    }

    /// Whether a connection with `peer` is being made (dialing, or connected without a
    /// handshake yet).
    fn connecting(&self, peer: &PeerId) -> bool {
        self.discovery.is_dialing(peer) || (self.peers.contains_key(peer) && !self.is_ready(peer))
    }

    /// Answers the lookups that are over: query done and dials ended, or past the deadline.
    pub(super) fn settle_lookups(&mut self, now: Instant) {
        let done: Vec<QueryId> = self
            .providing
            .lookups
            .iter()
            .filter(|(_, l)| {
                now >= l.deadline || (!l.searching && !l.found.iter().any(|p| self.connecting(p)))
            })
            .map(|(id, _)| *id)
            .collect();
        for id in done {
            let Some(lookup) = self.providing.lookups.remove(&id) else {
                continue;
            };
            if lookup.searching {
                if let Some(mut q) = self.swarm.behaviour_mut().kad.query_mut(&id) {
                    q.finish();
                }
            }
            let result = match (lookup.found.is_empty(), lookup.searching) {
                (false, _) => "found",
                (true, true) => "timeout",
                (true, false) => "none",
            };
            if let Some(m) = self.metrics() {
                m.provider_lookup(result);
            }
            // Connected providers first: the caller asks in this order.
            let mut found = lookup.found;
            found.sort_by_key(|p| !self.is_ready(p));
            let _ = lookup.reply.send(found);
        }
    }

    pub(super) fn on_kad_query(&mut self, id: QueryId, result: kad::QueryResult, last: bool) {
        match result {
            kad::QueryResult::StartProviding(r) => self.on_start_providing_result(id, r.is_ok()),
            kad::QueryResult::GetProviders(r) => self.on_get_providers_result(id, r, last),
            other => tracing::trace!(target: "network", "Kademlia query {id:?}: {other:?}"),
        }
    }
}
