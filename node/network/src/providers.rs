//! Provider records (Kademlia `ADD_PROVIDER`/`GET_PROVIDERS`): who holds which content of
//! the data store, kept in a store that a peer cannot fill.
//!
//! Kademlia runs with [`StoreInserts::FilterBoth`](libp2p::kad::StoreInserts): a provider
//! record a peer sends reaches the worker as an event, and only the worker inserts it, with
//! [`ProviderStore::insert_remote`], which refuses:
//! - a key that is not a data store key ([`dds_provider_key`]: `b"dds/"` followed by the
//!   32 bytes of a content id);
//! - a record whose provider is not the peer that sent it (Kademlia already drops those;
//!   the store checks again, since its budget is per provider);
//! - a record of a peer that holds [`MAX_RECORDS_PER_PEER`] records already;
//! - a new key once [`MAX_KEYS`] keys are held, or [`MAX_RECORDS`] records in all;
//! - a new provider of a key that has [`MAX_PROVIDERS_PER_KEY`] live ones.
//!
//! Records expire [`PROVIDER_RECORD_TTL`] after they were received (a provider republishes
//! every 12 h) and are pruned by the worker's tick; addresses are capped at
//! [`MAX_ADDRESSES_PER_RECORD`] per record. Our own records (the keys we provide) live
//! apart, up to [`MAX_PROVIDED_KEYS`], and never expire. Values (`PUT_VALUE`) are never
//! stored.

use crate::config::RateLimit;
use libp2p::{
    kad::{
        store::{Error as StoreError, RecordStore, Result as StoreResult},
        ProviderRecord, Record, RecordKey,
    },
    PeerId,
};
use std::{
    borrow::Cow,
    collections::{hash_map, HashMap},
    time::{Duration, Instant},
};

/// The domain tag in front of a content id in a provider key.
pub const DDS_KEY_PREFIX: &[u8] = b"dds/";
/// Most keys with providers from other peers.
pub const MAX_KEYS: usize = 16 * 1024;
/// Most provider records from other peers, all keys together.
pub const MAX_RECORDS: usize = 64 * 1024;
/// Most live providers remembered per key (Kademlia's replication factor): later ones are
/// refused rather than evicting, so that a flood of fresh identities cannot push honest
/// providers out.
pub const MAX_PROVIDERS_PER_KEY: usize = 20;
/// Most records one peer may have in the store.
pub const MAX_RECORDS_PER_PEER: usize = 4096;
/// Addresses kept per record.
pub const MAX_ADDRESSES_PER_RECORD: usize = 4;
/// Most keys this node provides.
pub const MAX_PROVIDED_KEYS: usize = 64 * 1024;
/// How long a received provider record is kept.
pub const PROVIDER_RECORD_TTL: Duration = Duration::from_secs(24 * 3600);
/// Provider records one peer may send us: per second, and in a burst; more are dropped.
/// Honest peers send at most 16 a second (the worker's announcement batch).
pub const PROVIDER_RECORD_RATE: RateLimit = RateLimit {
    per_second: 32,
    burst: 256,
};

/// The Kademlia key under which the holders of content `cid` announce themselves:
/// `b"dds/" ‖ cid` (36 bytes). The tag keeps data store keys apart from any other use of
/// the DHT, and lets the store refuse every other key.
pub fn dds_provider_key(cid: &[u8; 32]) -> Vec<u8> {
    [DDS_KEY_PREFIX, &cid[..]].concat()
}

fn is_dds_key(key: &RecordKey) -> bool {
    let bytes = key.as_ref();
    bytes.len() == DDS_KEY_PREFIX.len() + 32 && bytes.starts_with(DDS_KEY_PREFIX)
}

/// Why a received provider record was not stored (the `reason` label of
/// `echonet_network_provider_records_refused_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Not a data store key.
    ForeignKey,
    /// The record names another peer than its sender.
    ForeignProvider,
    /// Already expired.
    Expired,
    /// The sender has its budget of records, or sends them too fast.
    PeerBudget,
    /// The key has its providers already.
    KeyFull,
    /// The store holds its most keys or records.
    StoreFull,
}

impl Refused {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Refused::ForeignKey => "foreign-key",
            Refused::ForeignProvider => "foreign-provider",
            Refused::Expired => "expired",
            Refused::PeerBudget => "peer-budget",
            Refused::KeyFull => "key-full",
            Refused::StoreFull => "store-full",
        }
    }
}

/// The bounded provider store behind Kademlia (see the module documentation).
pub(crate) struct ProviderStore {
    local: PeerId,
    /// Other peers' records, by key.
    remote: HashMap<RecordKey, Vec<ProviderRecord>>,
    /// Records held per provider.
    per_peer: HashMap<PeerId, usize>,
    records: usize,
    /// Our own records.
    provided: HashMap<RecordKey, ProviderRecord>,
}

impl ProviderStore {
    pub(crate) fn new(local: PeerId) -> Self {
        Self {
            local,
            remote: HashMap::new(),
            per_peer: HashMap::new(),
            records: 0,
            provided: HashMap::new(),
        }
    }

    /// Inserts (or refreshes) a record `source` sent us.
    pub(crate) fn insert_remote(
        &mut self,
        source: &PeerId,
        mut record: ProviderRecord,
        now: Instant,
    ) -> Result<(), Refused> {
        if !is_dds_key(&record.key) {
            return Err(Refused::ForeignKey);
        }
        if record.provider != *source || record.provider == self.local {
            return Err(Refused::ForeignProvider);
        }
        if record.is_expired(now) {
            return Err(Refused::Expired);
        }
        let expires = now + PROVIDER_RECORD_TTL;
        record.expires = Some(record.expires.map_or(expires, |e| e.min(expires)));
        record.addresses.truncate(MAX_ADDRESSES_PER_RECORD);

        let num_keys = self.remote.len();
        let held = self.per_peer.get(source).copied().unwrap_or(0);
        let providers = match self.remote.entry(record.key.clone()) {
            hash_map::Entry::Occupied(e) => e.into_mut(),
            hash_map::Entry::Vacant(e) => {
                if held >= MAX_RECORDS_PER_PEER {
                    return Err(Refused::PeerBudget);
                }
                if num_keys >= MAX_KEYS || self.records >= MAX_RECORDS {
                    return Err(Refused::StoreFull);
                }
                e.insert(Vec::new())
            }
        };
        if let Some(existing) = providers.iter_mut().find(|p| p.provider == *source) {
            // A refresh: same slot, new expiry and addresses.
            *existing = record;
            return Ok(());
        }
        if held >= MAX_RECORDS_PER_PEER {
            return Err(Refused::PeerBudget);
        }
        if self.records >= MAX_RECORDS {
            return Err(Refused::StoreFull);
        }
        // An expired provider's slot is free again.
        let mut freed = Vec::new();
        providers.retain(|p| {
            let live = !p.is_expired(now);
            if !live {
                freed.push(p.provider);
            }
            live
        });
        let full = providers.len() >= MAX_PROVIDERS_PER_KEY;
        if !full {
            providers.push(record);
        }
        for p in freed {
            self.uncount(&p);
        }
        if full {
            return Err(Refused::KeyFull);
        }
        self.records += 1;
        *self.per_peer.entry(*source).or_insert(0) += 1;
        Ok(())
    }

    /// Takes one record of `provider` off the counters.
    fn uncount(&mut self, provider: &PeerId) {
        self.records = self.records.saturating_sub(1);
        if let hash_map::Entry::Occupied(mut n) = self.per_peer.entry(*provider) {
            *n.get_mut() = n.get().saturating_sub(1);
            if *n.get() == 0 {
                n.remove();
            }
        }
    }

    /// Recomputes the counters from the map (after a change that may have dropped expired
    /// records).
    fn recount(&mut self) {
        self.per_peer.clear();
        self.records = 0;
        for providers in self.remote.values() {
            for p in providers {
                *self.per_peer.entry(p.provider).or_insert(0) += 1;
                self.records += 1;
            }
        }
    }

    /// Drops expired records; returns how many.
    pub(crate) fn prune(&mut self, now: Instant) -> usize {
        let before = self.records;
        self.remote.retain(|_, providers| {
            providers.retain(|p| !p.is_expired(now));
            !providers.is_empty()
        });
        self.recount();
        before.saturating_sub(self.records)
    }

    /// Records of other peers held.
    pub(crate) fn remote_records(&self) -> usize {
        self.records
    }

    /// Records of `peer` held.
    #[cfg(test)]
    pub(crate) fn records_of(&self, peer: &PeerId) -> usize {
        self.per_peer.get(peer).copied().unwrap_or(0)
    }

    /// Keys with providers from other peers.
    #[cfg(test)]
    pub(crate) fn remote_keys(&self) -> usize {
        self.remote.len()
    }

    /// Keys we provide (as Kademlia stored them).
    #[cfg(test)]
    pub(crate) fn provided_keys(&self) -> usize {
        self.provided.len()
    }

    /// The addresses `provider` announced with its record for `key`.
    pub(crate) fn addresses_of(
        &self,
        key: &RecordKey,
        provider: &PeerId,
    ) -> Vec<libp2p::Multiaddr> {
        self.remote
            .get(key)
            .and_then(|ps| ps.iter().find(|p| p.provider == *provider))
            .map(|p| p.addresses.clone())
            .unwrap_or_default()
    }
}

type ProvidedIter<'a> = std::iter::Map<
    hash_map::Values<'a, RecordKey, ProviderRecord>,
    fn(&'a ProviderRecord) -> Cow<'a, ProviderRecord>,
>;

impl RecordStore for ProviderStore {
    type RecordsIter<'a> = std::iter::Empty<Cow<'a, Record>>;
    type ProvidedIter<'a> = ProvidedIter<'a>;

    fn get(&self, _: &RecordKey) -> Option<Cow<'_, Record>> {
        None
    }

    /// Values are not stored: the DHT is for discovery and provider records only.
    fn put(&mut self, _: Record) -> StoreResult<()> {
        Err(StoreError::MaxRecords)
    }

    fn remove(&mut self, _: &RecordKey) {}

    fn records(&self) -> Self::RecordsIter<'_> {
        std::iter::empty()
    }

    /// Kademlia calls this for our own records ([`start_providing`]); others' records come
    /// through [`ProviderStore::insert_remote`].
    ///
    /// [`start_providing`]: libp2p::kad::Behaviour::start_providing
    fn add_provider(&mut self, record: ProviderRecord) -> StoreResult<()> {
        if record.provider == self.local {
            if !self.provided.contains_key(&record.key) && self.provided.len() >= MAX_PROVIDED_KEYS
            {
                return Err(StoreError::MaxProvidedKeys);
            }
            self.provided.insert(record.key.clone(), record);
            return Ok(());
        }
        let source = record.provider;
        self.insert_remote(&source, record, Instant::now())
            .map_err(|_| StoreError::MaxRecords)
    }

    fn providers(&self, key: &RecordKey) -> Vec<ProviderRecord> {
        let now = Instant::now();
        self.provided
            .get(key)
            .cloned()
            .into_iter()
            .chain(
                self.remote
                    .get(key)
                    .into_iter()
                    .flatten()
                    .filter(|p| !p.is_expired(now))
                    .cloned(),
            )
            .collect()
    }

    fn provided(&self) -> Self::ProvidedIter<'_> {
        self.provided.values().map(Cow::Borrowed)
    }

    fn remove_provider(&mut self, key: &RecordKey, provider: &PeerId) {
        if *provider == self.local {
            self.provided.remove(key);
            return;
        }
        if let hash_map::Entry::Occupied(mut e) = self.remote.entry(key.clone()) {
            let before = e.get().len();
            e.get_mut().retain(|p| p.provider != *provider);
            let removed = e.get().len() < before;
            if e.get().is_empty() {
                e.remove();
            }
            if removed {
                self.uncount(provider);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> RecordKey {
        let mut cid = [0u8; 32];
        cid[..4].copy_from_slice(&i.to_le_bytes());
        RecordKey::new(&dds_provider_key(&cid))
    }

    fn record(key: RecordKey, provider: PeerId) -> ProviderRecord {
        ProviderRecord::new(key, provider, vec!["/ip4/127.0.0.1/tcp/1".parse().unwrap()])
    }

    #[test]
    fn a_record_is_stored_and_served_with_an_expiry() {
        let mut s = ProviderStore::new(PeerId::random());
        let a = PeerId::random();
        let now = Instant::now();
        s.insert_remote(&a, record(key(1), a), now).unwrap();
        let got = s.providers(&key(1));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].provider, a);
        assert_eq!(got[0].expires, Some(now + PROVIDER_RECORD_TTL));
        // A refresh takes no new slot.
        s.insert_remote(&a, record(key(1), a), now).unwrap();
        assert_eq!(s.remote_records(), 1);
        assert_eq!(s.records_of(&a), 1);
    }

    #[test]
    fn records_of_foreign_providers_or_keys_are_refused() {
        let local = PeerId::random();
        let mut s = ProviderStore::new(local);
        let (a, b) = (PeerId::random(), PeerId::random());
        let now = Instant::now();
        assert_eq!(
            s.insert_remote(&a, record(key(1), b), now),
            Err(Refused::ForeignProvider)
        );
        assert_eq!(
            s.insert_remote(&local, record(key(1), local), now),
            Err(Refused::ForeignProvider),
            "nobody announces us but ourselves"
        );
        for bad in [
            RecordKey::new(&b"dds/short".to_vec()),
            RecordKey::new(&vec![7u8; 36]),
            RecordKey::new(&vec![0u8; 4096]),
        ] {
            assert_eq!(
                s.insert_remote(&a, record(bad, a), now),
                Err(Refused::ForeignKey)
            );
        }
        let mut expired = record(key(2), a);
        expired.expires = Some(now);
        assert_eq!(s.insert_remote(&a, expired, now), Err(Refused::Expired));
        assert_eq!(s.remote_records(), 0);
    }

    #[test]
    fn addresses_are_capped() {
        let mut s = ProviderStore::new(PeerId::random());
        let a = PeerId::random();
        let mut r = record(key(1), a);
        r.addresses = (0..100)
            .map(|p| format!("/ip4/127.0.0.1/tcp/{p}").parse().unwrap())
            .collect();
        s.insert_remote(&a, r, Instant::now()).unwrap();
        assert_eq!(s.addresses_of(&key(1), &a).len(), MAX_ADDRESSES_PER_RECORD);
    }

    #[test]
    fn providers_per_key_are_capped_and_an_expired_slot_is_reused() {
        let mut s = ProviderStore::new(PeerId::random());
        let now = Instant::now();
        let peers: Vec<PeerId> = (0..MAX_PROVIDERS_PER_KEY)
            .map(|_| PeerId::random())
            .collect();
        for p in &peers {
            s.insert_remote(p, record(key(1), *p), now).unwrap();
        }
        let late = PeerId::random();
        assert_eq!(
            s.insert_remote(&late, record(key(1), late), now),
            Err(Refused::KeyFull)
        );
        assert_eq!(s.providers(&key(1)).len(), MAX_PROVIDERS_PER_KEY);
        // Once the first records expired, a newcomer gets a slot.
        let later = now + PROVIDER_RECORD_TTL + Duration::from_secs(1);
        s.insert_remote(&late, record(key(1), late), later).unwrap();
        assert_eq!(s.providers(&key(1)).len(), 1);
    }

    #[test]
    fn one_peer_cannot_fill_the_store() {
        let mut s = ProviderStore::new(PeerId::random());
        let now = Instant::now();
        let flooder = PeerId::random();
        let mut refused = 0;
        for i in 0..(MAX_RECORDS_PER_PEER as u32 + 100) {
            if s.insert_remote(&flooder, record(key(i), flooder), now) == Err(Refused::PeerBudget) {
                refused += 1;
            }
        }
        assert_eq!(refused, 100);
        assert_eq!(s.records_of(&flooder), MAX_RECORDS_PER_PEER);
        // An honest peer still gets in.
        let honest = PeerId::random();
        s.insert_remote(&honest, record(key(1), honest), now)
            .unwrap();
        assert_eq!(s.providers(&key(1)).len(), 2);
    }

    #[test]
    fn the_store_caps_keys_and_records() {
        let mut s = ProviderStore::new(PeerId::random());
        let now = Instant::now();
        let mut i = 0u32;
        // Many peers, each within its budget, fill the key cap.
        'fill: loop {
            let p = PeerId::random();
            for _ in 0..MAX_RECORDS_PER_PEER {
                match s.insert_remote(&p, record(key(i), p), now) {
                    Ok(()) => i += 1,
                    Err(Refused::StoreFull) => break 'fill,
                    Err(e) => panic!("unexpected {e:?}"),
                }
            }
        }
        assert_eq!(s.remote_keys(), MAX_KEYS);
        // Known keys still take providers, up to the record cap.
        let p = PeerId::random();
        s.insert_remote(&p, record(key(0), p), now).unwrap();
        assert!(s.remote_records() <= MAX_RECORDS);
    }

    #[test]
    fn expired_records_are_pruned_and_not_served() {
        let mut s = ProviderStore::new(PeerId::random());
        let a = PeerId::random();
        let now = Instant::now();
        for i in 0..10 {
            s.insert_remote(&a, record(key(i), a), now).unwrap();
        }
        assert_eq!(s.prune(now), 0);
        let later = now + PROVIDER_RECORD_TTL + Duration::from_secs(1);
        assert_eq!(s.prune(later), 10);
        assert_eq!(s.remote_records(), 0);
        assert_eq!(s.remote_keys(), 0);
        assert_eq!(s.records_of(&a), 0);
    }

    #[test]
    fn our_own_records_live_apart_and_are_served() {
        let local = PeerId::random();
        let mut s = ProviderStore::new(local);
        s.add_provider(ProviderRecord::new(key(1), local, Vec::new()))
            .unwrap();
        assert_eq!(s.provided_keys(), 1);
        assert_eq!(s.provided().count(), 1);
        assert_eq!(s.providers(&key(1))[0].provider, local);
        assert_eq!(s.remote_records(), 0);
        s.remove_provider(&key(1), &local);
        assert_eq!(s.provided_keys(), 0);
        assert!(s.put(Record::new(key(1), vec![1])).is_err(), "no values");
    }
}
