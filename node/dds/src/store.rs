//! The shard store on disk: `<dir>/shards/<xx>/<segment root hex>` files and a RocksDB index in
//! `<dir>/index` (shard sizes, manifests, bytes used).
//!
//! Shards are content addressed by their segment root (called `leaf` here), so identical shards are stored once and a
//! shard is immutable. A write goes to `<dir>/tmp`, is fsynced, renamed into place and the
//! directory fsynced; only then is it indexed. A crash therefore leaves at worst an
//! unindexed file (never a half shard that is served as whole), and every read is checked
//! against its leaf anyway: a shard that rotted on disk is dropped and reported missing.

use std::{
    fs,
    io::Write,
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

/// The on-disk shard store.
pub struct Store {
    dir: PathBuf,
    db: rocksdb::DB,
    capacity: u64,
    /// Serialises writers, so that presence checks and capacity accounting agree.
    write_lock: Mutex<u64>,
    corrupt: AtomicU64,
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

    /// Stores a shard whose leaf is `leaf` (the caller computed it from `bytes`). Returns
    /// `false` if it was already stored. Fails, storing nothing, if capacity would be
    /// exceeded.
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
        let new_used = *used + len;
        let mut batch = rocksdb::WriteBatch::default();
        batch.put(shard_key(leaf), (len as u32).encode());
        batch.put(USED_KEY, new_used.encode());
        self.db.write(batch)?;
        *used = new_used;
        Ok(true)
    }

    /// Reads the shard with this leaf, checking it: `None` if it is not stored, or if it was
    /// corrupt (it is then dropped from the store, so that repair can replace it).
    pub fn get_shard(&self, leaf: &Hash) -> Result<Option<Vec<u8>>, DdsError> {
        if !self.has_shard(leaf)? {
            return Ok(None);
        }
        let bytes = match fs::read(self.shard_path(leaf)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(target: "dds", leaf = %hex::encode(leaf), "indexed shard missing on disk");
                self.remove_shard(leaf)?;
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        if merkle::segment_root(&bytes) != *leaf {
            tracing::warn!(target: "dds", leaf = %hex::encode(leaf), "corrupt shard on disk dropped");
            self.corrupt.fetch_add(1, Ordering::Relaxed);
            self.remove_shard(leaf)?;
            return Ok(None);
        }
        Ok(Some(bytes))
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
}
