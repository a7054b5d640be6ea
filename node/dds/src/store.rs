//! The shard store on disk: `<dir>/shards/<xx>/<segment root hex>` files and a RocksDB index in
//! `<dir>/index` (shard sizes, manifests, bytes used).
//!
//! Shards are content addressed by their segment root (called `leaf` here), so identical shards are stored once and a
//! shard is immutable. A write goes to `<dir>/tmp`, is fsynced, renamed into place and the
//! directory fsynced; only then is it indexed. A crash therefore leaves at worst an
//! unindexed file (never a half shard that is served as whole), and every read for this
//! node's own use ([`Store::get_shard`]: a get's local shards, challenge answers, repair)
//! is checked against its leaf anyway: a shard that rotted on disk is dropped and reported
//! missing.
//!
//! Serving a shard to a peer ([`Store::serve_shard`]) skips that hash when the file is
//! unchanged since its bytes last checked, here or when they were written: the same
//! length, inode, modification and change times. The asker checks every shard it receives
//! (and asks elsewhere when one is bad), so hashing each shard on both ends, at every read,
//! cost a get a quarter of its CPU time. Any write through the file system changes the
//! change time, so a shard overwritten or truncated is hashed (and dropped) when next
//! served; decay below the file system is found by the asker, by the scrub
//! ([`Store::scrub`], which rereads every shard in turn), and by a failed challenge.

use std::{
    collections::HashMap,
    fs,
    io::{Read, Write},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use codec::{Decode, Encode};
use parking_lot::Mutex;

use crate::{
    manifest::{Cid, Manifest},
    merkle, DdsError, Hash,
};

const SHARD_PREFIX: u8 = b's';
const MANIFEST_PREFIX: u8 = b'm';
const USED_KEY: &[u8] = b"used";

/// Shard files whose stamps are remembered at most; beyond, shards are hashed whenever
/// served (about 5 MiB of stamps, 64 GiB of 256 KiB shards).
const MAX_STAMPS: usize = 1 << 18;

/// A file changed less than this long ago is not vouched for by its stamp: file times tick
/// coarsely (a few milliseconds), so a write just after the check could leave them as they
/// were (git's "racily clean" entries).
const RACY: std::time::Duration = std::time::Duration::from_secs(1);

/// What a shard file looked like when its bytes last checked against its leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    ino: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    #[cfg(unix)]
    fn of(meta: &fs::Metadata) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        Some(Stamp {
            len: meta.len(),
            ino: meta.ino(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        })
    }

    /// Without a change time to go by, every serve hashes.
    #[cfg(not(unix))]
    fn of(_: &fs::Metadata) -> Option<Stamp> {
        None
    }

    /// Whether the file changed within `window` of now (or in the future).
    fn is_racy(&self, window: std::time::Duration) -> bool {
        let (secs, nanos) = self.ctime;
        let (Ok(secs), Ok(nanos)) = (u64::try_from(secs), u32::try_from(nanos)) else {
            return true;
        };
        let changed = std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos);
        std::time::SystemTime::now()
            .duration_since(changed)
            .map_or(true, |age| age < window)
    }
}

/// What one call of [`Store::scrub`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scrubbed {
    /// Shards read and hashed.
    pub shards: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Of them, found corrupt or missing (and dropped).
    pub dropped: u64,
    /// Where the next call goes on; `None` when this one reached the end of the store.
    pub next: Option<Hash>,
}

impl Scrubbed {
    /// Adds a later call's figures to these (a pass's totals); `next` becomes its.
    pub fn add(&mut self, step: &Scrubbed) {
        self.shards += step.shards;
        self.bytes += step.bytes;
        self.dropped += step.dropped;
        self.next = step.next;
    }
}

/// The on-disk shard store.
pub struct Store {
    dir: PathBuf,
    db: rocksdb::DB,
    capacity: u64,
    /// Serialises writers, so that presence checks and capacity accounting agree.
    write_lock: Mutex<u64>,
    corrupt: AtomicU64,
    /// The files whose bytes checked, as they were then (see the module documentation).
    stamps: Mutex<HashMap<Hash, Stamp>>,
    /// [`RACY`], shorter in tests.
    racy: Mutex<std::time::Duration>,
}

fn shard_key(leaf: &Hash) -> Vec<u8> {
    let mut k = Vec::with_capacity(33);
    k.push(SHARD_PREFIX);
    k.extend_from_slice(leaf);
    k
}

fn manifest_key(cid: &Cid) -> Vec<u8> {
    let mut k = Vec::with_capacity(33);
    k.push(MANIFEST_PREFIX);
    k.extend_from_slice(&cid.0);
    k
}

impl Store {
    /// Opens (creating) the store in `dir`, holding at most `capacity` bytes of shards.
    /// Leftover temporary files from an interrupted write are removed.
    pub fn open(dir: &Path, capacity: u64) -> Result<Self, DdsError> {
        fs::create_dir_all(dir.join("shards"))?;
        let tmp = dir.join("tmp");
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir_all(&tmp)?;
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        let db = rocksdb::DB::open(&opts, dir.join("index"))?;
        let used = match db.get(USED_KEY)? {
            Some(v) => u64::decode(&mut &v[..])
                .map_err(|e| DdsError::MalformedManifest(format!("index counter: {e}")))?,
            None => 0,
        };
        Ok(Store {
            dir: dir.to_path_buf(),
            db,
            capacity,
            write_lock: Mutex::new(used),
            corrupt: AtomicU64::new(0),
            stamps: Mutex::new(HashMap::new()),
            racy: Mutex::new(RACY),
        })
    }

    fn shard_path(&self, leaf: &Hash) -> PathBuf {
        let name = hex::encode(leaf);
        self.dir.join("shards").join(&name[..2]).join(name)
    }

    /// Bytes of shards stored.
    pub fn used(&self) -> u64 {
        *self.write_lock.lock()
    }

    /// The capacity in bytes.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Shards found corrupt on disk (and dropped) since start.
    pub fn corrupt_shards(&self) -> u64 {
        self.corrupt.load(Ordering::Relaxed)
    }

    /// Whether the shard with this leaf is indexed.
    pub fn has_shard(&self, leaf: &Hash) -> Result<bool, DdsError> {
        Ok(self.db.get_pinned(shard_key(leaf))?.is_some())
    }

    /// Stores a shard whose leaf is `leaf`. The caller computed it from `bytes` or checked
    /// `bytes` against it (every caller does: a put codes them, a pushed, fetched or
    /// rebuilt shard is checked first), so the file counts as checked. Returns `false` if
    /// it was already stored. Fails, storing nothing, if capacity would be exceeded.
    pub fn put_shard(&self, leaf: &Hash, bytes: &[u8]) -> Result<bool, DdsError> {
        let mut used = self.write_lock.lock();
        if self.has_shard(leaf)? {
            return Ok(false);
        }
        let len = bytes.len() as u64;
        let free = self.capacity.saturating_sub(*used);
        if len > free {
            return Err(DdsError::CapacityExceeded { needed: len, free });
        }
        let path = self.shard_path(leaf);
        let parent = path.parent().unwrap_or(&self.dir).to_path_buf();
        fs::create_dir_all(&parent)?;
        let tmp = self.dir.join("tmp").join(hex::encode(leaf));
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &path)?;
        fs::File::open(&parent)?.sync_all()?;
        if let Ok(meta) = fs::metadata(&path) {
            self.remember(leaf, &meta);
        }
        let new_used = *used + len;
        let mut batch = rocksdb::WriteBatch::default();
        batch.put(shard_key(leaf), (len as u32).encode());
        batch.put(USED_KEY, new_used.encode());
        self.db.write(batch)?;
        *used = new_used;
        Ok(true)
    }

    fn remember(&self, leaf: &Hash, meta: &fs::Metadata) {
        let Some(stamp) = Stamp::of(meta) else {
            return;
        };
        if stamp.is_racy(*self.racy.lock()) {
            return;
        }
        let mut stamps = self.stamps.lock();
        if stamps.len() < MAX_STAMPS || stamps.contains_key(leaf) {
            stamps.insert(*leaf, stamp);
        }
    }

    /// Reads the shard with this leaf, checking it: `None` if it is not stored, or if it was
    /// corrupt (it is then dropped from the store, so that repair can replace it).
    pub fn get_shard(&self, leaf: &Hash) -> Result<Option<Vec<u8>>, DdsError> {
        Ok(self
            .read_shard(leaf, |_| Vec::new(), true)?
            .map(|(bytes, _)| bytes))
    }

    /// Reads the shard with this leaf for a peer, after `prefix` (which gets the shard's
    /// length and returns the bytes to put before it: an answer's framing), in one buffer
    /// of exactly their size; returns it and where the shard starts in it. Hashed only if
    /// the file changed since its bytes last checked (see the module documentation): the
    /// asker checks it anyway. `None` if the shard is not stored or was found corrupt (and
    /// dropped).
    pub fn serve_shard(
        &self,
        leaf: &Hash,
        prefix: impl FnOnce(u64) -> Vec<u8>,
    ) -> Result<Option<(Vec<u8>, usize)>, DdsError> {
        self.read_shard(leaf, prefix, false)
    }

    /// Sets how recent a change keeps a file from being vouched for (for tests).
    #[doc(hidden)]
    pub fn set_racy_window(&self, window: std::time::Duration) {
        *self.racy.lock() = window;
    }

    /// Whether serving this shard would skip its hash (for tests).
    #[doc(hidden)]
    pub fn is_vouched(&self, leaf: &Hash) -> bool {
        let Ok(meta) = fs::metadata(self.shard_path(leaf)) else {
            return false;
        };
        let stamps = self.stamps.lock();
        Stamp::of(&meta).is_some_and(|s| stamps.get(leaf) == Some(&s))
    }

    fn read_shard(
        &self,
        leaf: &Hash,
        prefix: impl FnOnce(u64) -> Vec<u8>,
        always_hash: bool,
    ) -> Result<Option<(Vec<u8>, usize)>, DdsError> {
        if !self.has_shard(leaf)? {
            return Ok(None);
        }
        let missing = |e: std::io::Error| -> Result<Option<(Vec<u8>, usize)>, DdsError> {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(e.into());
            }
            tracing::warn!(target: "dds", leaf = %hex::encode(leaf), "indexed shard missing on disk");
            self.remove_shard(leaf)?;
            Ok(None)
        };
        let mut file = match fs::File::open(self.shard_path(leaf)) {
            Ok(f) => f,
            Err(e) => return missing(e),
        };
        let meta = file.metadata()?;
        let len = meta.len();
        let mut buf = prefix(len);
        let start = buf.len();
        let len_usize =
            usize::try_from(len).map_err(|_| DdsError::Coding("shard file too large".into()))?;
        buf.try_reserve_exact(len_usize)
            .map_err(|_| DdsError::Coding("shard file too large".into()))?;
        // `take`: a file that grew since the stat is read to the stat's length (and then
        // fails the hash, having changed).
        (&mut file).take(len).read_to_end(&mut buf)?;
        let stamp = Stamp::of(&meta);
        let vouched = !always_hash
            && buf.len() - start == len_usize
            && stamp.is_some()
            && self.stamps.lock().get(leaf) == stamp.as_ref();
        if !vouched {
            if merkle::segment_root(&buf[start..]) != *leaf {
                tracing::warn!(target: "dds", leaf = %hex::encode(leaf), "corrupt shard on disk dropped");
                self.corrupt.fetch_add(1, Ordering::Relaxed);
                self.remove_shard(leaf)?;
                return Ok(None);
            }
            self.remember(leaf, &meta);
        }
        Ok(Some((buf, start)))
    }

    /// Rereads and hashes the stored shards in index order from just after `after` (from
    /// the first if `None`), until `max_bytes` are read or the store's end; corrupt or
    /// missing ones are dropped (and counted in [`corrupt_shards`](Store::corrupt_shards)),
    /// so that repair replaces them. A node calls it on and on, within a bandwidth budget,
    /// so that every shard is read again now and then.
    pub fn scrub(&self, after: Option<Hash>, max_bytes: u64) -> Result<Scrubbed, DdsError> {
        let mut from = vec![SHARD_PREFIX];
        if let Some(after) = &after {
            from.extend_from_slice(after);
            from.push(0); // just after `after`
        }
        let mut done = Scrubbed::default();
        let mode = rocksdb::IteratorMode::From(&from, rocksdb::Direction::Forward);
        let mut leaves = Vec::new();
        let mut planned = 0u64;
        for item in self.db.iterator(mode) {
            let (key, value) = item?;
            if key.first() != Some(&SHARD_PREFIX) {
                break;
            }
            let Ok(leaf) = <Hash>::try_from(&key[1..]) else {
                continue;
            };
            if planned >= max_bytes && !leaves.is_empty() {
                done.next = leaves.last().copied();
                break;
            }
            planned += u64::from(u32::decode(&mut &value[..]).unwrap_or(0));
            leaves.push(leaf);
        }
        for leaf in &leaves {
            match self.read_shard(leaf, |_| Vec::new(), true)? {
                Some((bytes, _)) => done.bytes += bytes.len() as u64,
                None => done.dropped += 1,
            }
            done.shards += 1;
        }
        Ok(done)
    }

    /// Removes a shard (no-op if absent).
    pub fn remove_shard(&self, leaf: &Hash) -> Result<(), DdsError> {
        let mut used = self.write_lock.lock();
        let Some(v) = self.db.get(shard_key(leaf))? else {
            return Ok(());
        };
        let len = u64::from(u32::decode(&mut &v[..]).unwrap_or(0));
        match fs::remove_file(self.shard_path(leaf)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        self.stamps.lock().remove(leaf);
        let new_used = used.saturating_sub(len);
        let mut batch = rocksdb::WriteBatch::default();
        batch.delete(shard_key(leaf));
        batch.put(USED_KEY, new_used.encode());
        self.db.write(batch)?;
        *used = new_used;
        Ok(())
    }

    /// Records a manifest under its cid.
    pub fn put_manifest(&self, manifest: &Manifest) -> Result<Cid, DdsError> {
        let cid = manifest.cid();
        self.db.put(manifest_key(&cid), manifest.encode())?;
        Ok(cid)
    }

    /// The manifest of `cid`, if known.
    pub fn manifest(&self, cid: &Cid) -> Result<Option<Manifest>, DdsError> {
        match self.db.get_pinned(manifest_key(cid))? {
            Some(bytes) => Manifest::decode_checked(&bytes, Some(cid)).map(Some),
            None => Ok(None),
        }
    }

    /// Up to `max` cids whose manifests are stored, in key order.
    pub fn manifests(&self, max: usize) -> Vec<Cid> {
        self.db
            .prefix_iterator([MANIFEST_PREFIX])
            .filter_map(Result::ok)
            .take_while(|(k, _)| k.first() == Some(&MANIFEST_PREFIX))
            .filter_map(|(k, _)| <[u8; 32]>::try_from(&k[1..]).ok().map(Cid))
            .take(max)
            .collect()
    }

    /// Up to `max` cids whose manifests are stored and of which at least one shard is
    /// here (what this node announces as a provider), in key order.
    pub fn held_contents(&self, max: usize) -> Vec<Cid> {
        self.manifests(max)
            .into_iter()
            .filter(|cid| {
                matches!(self.manifest(cid), Ok(Some(m)) if m
                    .segment_roots()
                    .iter()
                    .any(|r| self.has_shard(r).unwrap_or(false)))
            })
            .collect()
    }

    /// The path of a shard file (for tests that damage one).
    #[doc(hidden)]
    pub fn shard_file(&self, leaf: &Hash) -> PathBuf {
        self.shard_path(leaf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf_of(b: &[u8]) -> Hash {
        merkle::segment_root(b)
    }

    #[test]
    fn shard_round_trips_and_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let shard = vec![9u8; 5000];
        let leaf = leaf_of(&shard);
        assert!(store.put_shard(&leaf, &shard).unwrap());
        assert!(!store.put_shard(&leaf, &shard).unwrap());
        assert_eq!(store.used(), 5000);
        assert_eq!(store.get_shard(&leaf).unwrap().unwrap(), shard);
        assert_eq!(store.get_shard(&[1; 32]).unwrap(), None);
        assert!(
            fs::read_dir(dir.path().join("tmp"))
                .unwrap()
                .next()
                .is_none(),
            "no temp left"
        );
    }

    #[test]
    fn capacity_limit_refuses_and_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 6000).unwrap();
        let a = vec![1u8; 4000];
        let b = vec![2u8; 4000];
        store.put_shard(&leaf_of(&a), &a).unwrap();
        let err = store.put_shard(&leaf_of(&b), &b).unwrap_err();
        assert!(matches!(
            err,
            DdsError::CapacityExceeded {
                needed: 4000,
                free: 2000
            }
        ));
        assert!(!store.has_shard(&leaf_of(&b)).unwrap());
        assert!(!store.shard_file(&leaf_of(&b)).exists());
        assert_eq!(store.used(), 4000);
    }

    #[test]
    fn corrupt_shard_on_disk_is_dropped_not_served() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let shard = vec![3u8; 100];
        let leaf = leaf_of(&shard);
        store.put_shard(&leaf, &shard).unwrap();
        let mut bad = shard.clone();
        bad[50] ^= 0xff;
        fs::write(store.shard_file(&leaf), &bad).unwrap();
        assert_eq!(store.get_shard(&leaf).unwrap(), None);
        assert_eq!(store.corrupt_shards(), 1);
        assert!(!store.has_shard(&leaf).unwrap());
        assert_eq!(store.used(), 0);
    }

    #[test]
    fn index_and_usage_survive_reopen_and_stale_temp_is_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let shard = vec![4u8; 700];
        let leaf = leaf_of(&shard);
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            store.put_shard(&leaf, &shard).unwrap();
            // A write interrupted before its rename leaves only a temp file.
            fs::write(dir.path().join("tmp").join("half"), b"half a shard").unwrap();
        }
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(store.used(), 700);
        assert_eq!(store.get_shard(&leaf).unwrap().unwrap(), shard);
        assert!(!dir.path().join("tmp").join("half").exists());
    }

    /// Overwrites a shard's file in place with `bytes`, again until the file's times moved
    /// past the ones its stamp recorded (they tick every few milliseconds), within a
    /// deadline.
    fn overwrite(store: &Store, leaf: &Hash, bytes: &[u8]) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            fs::write(store.shard_file(leaf), bytes).unwrap();
            if !store.is_vouched(leaf) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "file times never moved"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    fn unframed(served: Option<(Vec<u8>, usize)>) -> Option<Vec<u8>> {
        served.map(|(buf, start)| buf[start..].to_vec())
    }

    #[test]
    fn a_served_shard_is_framed_and_hashed_only_when_its_file_changed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        let shard: Vec<u8> = (0..9000).map(|i| i as u8).collect();
        let leaf = leaf_of(&shard);

        // Written just now: too recent to vouch for, so served hashed.
        store.put_shard(&leaf, &shard).unwrap();
        assert!(!store.is_vouched(&leaf));
        store.set_racy_window(std::time::Duration::ZERO);
        store.put_shard(&leaf, &shard).unwrap(); // already stored: no change
        assert!(!store.is_vouched(&leaf));
        let (buf, start) = store
            .serve_shard(&leaf, |len| len.to_le_bytes().to_vec())
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..start], &9000u64.to_le_bytes());
        assert_eq!(&buf[start..], &shard[..]);
        assert_eq!(
            buf.capacity(),
            buf.len(),
            "one buffer of exactly the answer's size"
        );
        assert!(store.is_vouched(&leaf), "hashed once, vouched for after");
        assert_eq!(
            unframed(store.serve_shard(&leaf, |_| vec![]).unwrap()),
            Some(shard.clone())
        );

        // Overwritten in place, same length: the change time moved, so it is hashed again,
        // found corrupt and dropped, on the next serve.
        let mut bad = shard.clone();
        bad[4000] ^= 1;
        overwrite(&store, &leaf, &bad);
        assert!(!store.is_vouched(&leaf));
        assert_eq!(store.serve_shard(&leaf, |_| vec![]).unwrap(), None);
        assert_eq!(store.corrupt_shards(), 1);
        assert!(!store.has_shard(&leaf).unwrap());
        assert_eq!(store.used(), 0);

        // A shard's own reads always hash, vouched for or not.
        store.put_shard(&leaf, &shard).unwrap();
        assert!(store.is_vouched(&leaf));
        fs::write(store.shard_file(&leaf), &bad).unwrap();
        assert_eq!(store.get_shard(&leaf).unwrap(), None);
        assert_eq!(store.corrupt_shards(), 2);
    }

    #[test]
    fn a_reopened_store_vouches_for_nothing_until_it_hashed_it() {
        let dir = tempfile::tempdir().unwrap();
        let shard = vec![6u8; 3000];
        let leaf = leaf_of(&shard);
        {
            let store = Store::open(dir.path(), 1 << 20).unwrap();
            store.set_racy_window(std::time::Duration::ZERO);
            store.put_shard(&leaf, &shard).unwrap();
            assert!(store.is_vouched(&leaf));
        }
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        store.set_racy_window(std::time::Duration::ZERO);
        assert!(!store.is_vouched(&leaf));
        assert_eq!(
            unframed(store.serve_shard(&leaf, |_| vec![]).unwrap()),
            Some(shard)
        );
        assert!(store.is_vouched(&leaf));
    }

    #[test]
    fn the_scrub_rereads_every_shard_once_per_pass_within_its_budget() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 1 << 20).unwrap();
        store.set_racy_window(std::time::Duration::ZERO);
        let shards: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; 1000 + usize::from(i)]).collect();
        for s in &shards {
            store.put_shard(&leaf_of(s), s).unwrap();
        }
        // A shard that changed on disk: the scrub hashes every shard, vouched for or not.
        let rotten = leaf_of(&shards[7]);
        let mut bad = shards[7].clone();
        bad[10] ^= 0x40;
        fs::write(store.shard_file(&rotten), &bad).unwrap();

        // A budget of 2,500 bytes reads three shards of about 1 KB a call.
        let (mut after, mut calls, mut total) = (None, 0, Scrubbed::default());
        loop {
            let done = store.scrub(after, 2500).unwrap();
            calls += 1;
            assert!(done.shards <= 3, "over the budget: {done:?}");
            total.add(&done);
            after = done.next;
            if after.is_none() {
                break;
            }
        }
        assert_eq!(calls, 4);
        assert_eq!(total.shards, 10);
        assert_eq!(total.dropped, 1);
        assert_eq!(store.corrupt_shards(), 1);
        assert!(!store.has_shard(&rotten).unwrap());
        let kept: u64 = shards.iter().map(|s| s.len() as u64).sum::<u64>() - 1007;
        assert_eq!(total.bytes, kept);
        assert_eq!(store.used(), kept);
        // A budget of zero still moves on, one shard a call.
        let done = store.scrub(None, 0).unwrap();
        assert_eq!(done.shards, 1);
        assert!(done.next.is_some());
    }
}
