//! The node's keystore: session keys on disk, in Substrate's layout.
//!
//! Each key is a file named `hex(key_type) ++ hex(public_key)` holding the secret URI as a
//! JSON string, so keystores move between Substrate nodes and this one. Files are written
//! whole (temporary file, sync, rename; mode 0600: see [`crate::secret_file`]), and opening
//! the keystore checks every key file: a damaged one (a torn write, a bad copy) stops the
//! node with the file's name instead of leaving it without that key. Parsed key pairs
//! are cached in memory: deriving a pair from a mnemonic costs milliseconds, and Aura signs
//! every block.

use parking_lot::RwLock;
use sp_core::{
    crypto::{ByteArray, KeyTypeId, Pair as PairT},
    ecdsa, ed25519, sr25519,
};
use sp_keystore::{Error as KsError, Keystore};
use std::{
    collections::HashMap,
    fs,
    path::{Path, PathBuf},
    sync::Arc,
};

/// Error of keystore files.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// Reading or writing the keystore directory or a key file failed.
    #[error("keystore I/O on {0}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    /// A secret URI that no key pair of the scheme parses.
    #[error("invalid secret URI for key type {0}: {1}")]
    InvalidSuri(String, String),
    /// A key file that cannot be a key: its name is not a key type and a whole public key,
    /// its content is not a JSON string, or its secret does not derive the public key its
    /// name gives. Usually a file torn by a crash or a copy; the node refuses to start
    /// rather than run without the key.
    #[error(
        "damaged key file {0}: {1}; restore it from a backup, or move it out of the \
         keystore and insert the key again"
    )]
    DamagedKeyFile(PathBuf, String),
}

#[derive(Default)]
struct Inner {
    /// (key type, public key) -> secret URI.
    suris: HashMap<(KeyTypeId, Vec<u8>), String>,
    sr25519: HashMap<(KeyTypeId, Vec<u8>), sr25519::Pair>,
    ed25519: HashMap<(KeyTypeId, Vec<u8>), ed25519::Pair>,
    ecdsa: HashMap<(KeyTypeId, Vec<u8>), ecdsa::Pair>,
}

/// A keystore in a directory (or in memory only, with no directory).
pub struct FileKeystore {
    path: Option<PathBuf>,
    inner: RwLock<Inner>,
}

fn key_file_name(key_type: KeyTypeId, public: &[u8]) -> String {
    format!("{}{}", hex::encode(key_type.0), hex::encode(public))
}

impl FileKeystore {
    /// Opens the keystore in `path`, creating the directory.
    pub fn open(path: &Path) -> Result<Arc<Self>, KeystoreError> {
        fs::create_dir_all(path).map_err(|e| KeystoreError::Io(path.into(), e))?;
        let mut inner = Inner::default();
        let entries = fs::read_dir(path).map_err(|e| KeystoreError::Io(path.into(), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| KeystoreError::Io(path.into(), e))?;
            let name = entry.file_name();
            // Key files have hex names; anything else (a leftover temporary file of an
            // interrupted write, an editor's backup) is not the keystore's.
            let Some(raw) = name.to_str().and_then(|n| hex::decode(n).ok()) else {
                continue;
            };
            if raw.len() < 4 {
                continue;
            }
            let file = entry.path();
            let key_type = KeyTypeId([raw[0], raw[1], raw[2], raw[3]]);
            let public = raw[4..].to_vec();
            let content = fs::read(&file).map_err(|e| KeystoreError::Io(file.clone(), e))?;
            let suri = check_key_file(&public, &content)
                .map_err(|reason| KeystoreError::DamagedKeyFile(file.clone(), reason))?;
            inner.suris.insert((key_type, public), suri);
        }
        Ok(Arc::new(Self {
            path: Some(path.into()),
            inner: RwLock::new(inner),
        }))
    }

    /// A keystore that keeps nothing on disk.
    #[cfg(test)]
    pub fn in_memory() -> Arc<Self> {
        Arc::new(Self {
            path: None,
            inner: RwLock::new(Inner::default()),
        })
    }

    fn persist(&self, key_type: KeyTypeId, public: &[u8], suri: &str) -> Result<(), KsError> {
        let Some(dir) = &self.path else { return Ok(()) };
        let file = dir.join(key_file_name(key_type, public));
        let content = serde_json::to_vec(suri).map_err(|e| KsError::Other(e.to_string()))?;
        crate::secret_file::write_private(&file, &content)
            .map_err(|e| KsError::Other(format!("{}: {e}", file.display())))
    }

    fn store(&self, key_type: KeyTypeId, public: Vec<u8>, suri: String) -> Result<(), KsError> {
        self.persist(key_type, &public, &suri)?;
        self.inner.write().suris.insert((key_type, public), suri);
        Ok(())
    }

    /// Inserts a key from its secret URI, checking that it derives `public` if given.
    /// Returns the public key.
    pub fn insert_suri<P: PairT>(
        &self,
        key_type: KeyTypeId,
        suri: &str,
    ) -> Result<P::Public, KeystoreError> {
        let pair = P::from_string(suri, None)
            .map_err(|e| KeystoreError::InvalidSuri(format!("{key_type:?}"), format!("{e:?}")))?;
        let public = pair.public();
        self.store(key_type, public.to_raw_vec(), suri.to_string())
            .map_err(|e| KeystoreError::InvalidSuri(format!("{key_type:?}"), e.to_string()))?;
        Ok(public)
    }

    fn generate<P: PairT>(&self, key_type: KeyTypeId, seed: Option<&str>) -> Result<P, KsError> {
        let (pair, suri) = match seed {
            Some(seed) => (
                P::from_string(seed, None)
                    .map_err(|_| KsError::ValidationError(format!("invalid seed {seed:?}")))?,
                seed.to_string(),
            ),
            None => {
                let (pair, phrase, _) = P::generate_with_phrase(None);
                (pair, phrase)
            }
        };
        self.store(key_type, pair.public().to_raw_vec(), suri)?;
        Ok(pair)
    }

    fn public_keys<P: CachedPair>(&self, key_type: KeyTypeId) -> Vec<P::Public> {
        // Collect first: `pair` takes the lock again (and for writing, to cache).
        let candidates: Vec<Vec<u8>> = self
            .inner
            .read()
            .suris
            .keys()
            .filter(|(kt, _)| *kt == key_type)
            .map(|(_, public)| public.clone())
            .collect();
        candidates
            .into_iter()
            .filter_map(|public| P::Public::from_slice(&public).ok())
            .filter(|public| self.pair::<P>(key_type, public.as_slice()).is_some())
            .collect()
    }

    /// The cached pair for a public key, parsing its URI the first time. `None` if the key
    /// is unknown or its URI does not derive this public key with this crypto.
    fn pair<P: CachedPair>(&self, key_type: KeyTypeId, public: &[u8]) -> Option<P> {
        let id = (key_type, public.to_vec());
        let suri = {
            let inner = self.inner.read();
            if let Some(p) = P::cached(&inner, &id) {
                return Some(p);
            }
            inner.suris.get(&id)?.clone()
        };
        let pair = P::from_string(&suri, None).ok()?;
        if pair.public().as_slice() != public {
            return None;
        }
        P::cache(&mut self.inner.write(), id, pair.clone());
        Some(pair)
    }
}

/// Per-crypto caches of parsed pairs.
trait CachedPair: PairT + Clone {
    fn cached(inner: &Inner, id: &(KeyTypeId, Vec<u8>)) -> Option<Self>;
    fn cache(inner: &mut Inner, id: (KeyTypeId, Vec<u8>), pair: Self);
}
macro_rules! cached_pair {
    ($crypto:ident) => {
        impl CachedPair for $crypto::Pair {
            fn cached(inner: &Inner, id: &(KeyTypeId, Vec<u8>)) -> Option<Self> {
                inner.$crypto.get(id).cloned()
            }
            fn cache(inner: &mut Inner, id: (KeyTypeId, Vec<u8>), pair: Self) {
                inner.$crypto.insert(id, pair);
            }
        }
    };
}
cached_pair!(sr25519);
cached_pair!(ed25519);
cached_pair!(ecdsa);

/// The secret URI of a key file holding `content` for `public`, or why it cannot be one.
/// Deriving the pair costs a few milliseconds per key, once per start.
fn check_key_file(public: &[u8], content: &[u8]) -> Result<String, String> {
    // sr25519 and ed25519 public keys have 32 bytes, compressed ecdsa ones 33.
    if public.len() != 32 && public.len() != 33 {
        return Err(format!(
            "its name holds a public key of {} bytes (32 or 33 expected)",
            public.len()
        ));
    }
    let suri = serde_json::from_slice::<String>(content)
        .map_err(|e| format!("not a JSON string ({} bytes): {e}", content.len()))?;
    let derives = |p: Vec<u8>| p.as_slice() == public;
    let ok = sr25519::Pair::from_string(&suri, None)
        .is_ok_and(|p| derives(p.public().to_raw_vec()))
        || ed25519::Pair::from_string(&suri, None).is_ok_and(|p| derives(p.public().to_raw_vec()))
        || ecdsa::Pair::from_string(&suri, None).is_ok_and(|p| derives(p.public().to_raw_vec()));
    if !ok {
        return Err("its secret does not derive the public key its name gives".into());
    }
    Ok(suri)
}

impl Keystore for FileKeystore {
    fn sr25519_public_keys(&self, key_type: KeyTypeId) -> Vec<sr25519::Public> {
        self.public_keys::<sr25519::Pair>(key_type)
    }

    fn sr25519_generate_new(
        &self,
        key_type: KeyTypeId,
        seed: Option<&str>,
    ) -> Result<sr25519::Public, KsError> {
        self.generate::<sr25519::Pair>(key_type, seed)
            .map(|p| p.public())
    }

    fn sr25519_sign(
        &self,
        key_type: KeyTypeId,
        public: &sr25519::Public,
        msg: &[u8],
    ) -> Result<Option<sr25519::Signature>, KsError> {
        Ok(self
            .pair::<sr25519::Pair>(key_type, public.as_slice())
            .map(|p| p.sign(msg)))
    }

    fn sr25519_vrf_sign(
        &self,
        key_type: KeyTypeId,
        public: &sr25519::Public,
        data: &sr25519::vrf::VrfSignData,
    ) -> Result<Option<sr25519::vrf::VrfSignature>, KsError> {
        use sp_core::crypto::VrfSecret;
        Ok(self
            .pair::<sr25519::Pair>(key_type, public.as_slice())
            .map(|p| p.vrf_sign(data)))
    }

    fn sr25519_vrf_pre_output(
        &self,
        key_type: KeyTypeId,
        public: &sr25519::Public,
        input: &sr25519::vrf::VrfInput,
    ) -> Result<Option<sr25519::vrf::VrfPreOutput>, KsError> {
        use sp_core::crypto::VrfSecret;
        Ok(self
            .pair::<sr25519::Pair>(key_type, public.as_slice())
            .map(|p| p.vrf_pre_output(input)))
    }

    fn ed25519_public_keys(&self, key_type: KeyTypeId) -> Vec<ed25519::Public> {
        self.public_keys::<ed25519::Pair>(key_type)
    }

    fn ed25519_generate_new(
        &self,
        key_type: KeyTypeId,
        seed: Option<&str>,
    ) -> Result<ed25519::Public, KsError> {
        self.generate::<ed25519::Pair>(key_type, seed)
            .map(|p| p.public())
    }

    fn ed25519_sign(
        &self,
        key_type: KeyTypeId,
        public: &ed25519::Public,
        msg: &[u8],
    ) -> Result<Option<ed25519::Signature>, KsError> {
        Ok(self
            .pair::<ed25519::Pair>(key_type, public.as_slice())
            .map(|p| p.sign(msg)))
    }

    fn ecdsa_public_keys(&self, key_type: KeyTypeId) -> Vec<ecdsa::Public> {
        self.public_keys::<ecdsa::Pair>(key_type)
    }

    fn ecdsa_generate_new(
        &self,
        key_type: KeyTypeId,
        seed: Option<&str>,
    ) -> Result<ecdsa::Public, KsError> {
        self.generate::<ecdsa::Pair>(key_type, seed)
            .map(|p| p.public())
    }

    fn ecdsa_sign(
        &self,
        key_type: KeyTypeId,
        public: &ecdsa::Public,
        msg: &[u8],
    ) -> Result<Option<ecdsa::Signature>, KsError> {
        Ok(self
            .pair::<ecdsa::Pair>(key_type, public.as_slice())
            .map(|p| p.sign(msg)))
    }

    fn ecdsa_sign_prehashed(
        &self,
        key_type: KeyTypeId,
        public: &ecdsa::Public,
        msg: &[u8; 32],
    ) -> Result<Option<ecdsa::Signature>, KsError> {
        Ok(self
            .pair::<ecdsa::Pair>(key_type, public.as_slice())
            .map(|p| p.sign_prehashed(msg)))
    }

    fn insert(&self, key_type: KeyTypeId, suri: &str, public: &[u8]) -> Result<(), ()> {
        // Refuse a URI that derives none of the keys we know how to use for `public`.
        let derives = |p: Vec<u8>| p.as_slice() == public;
        let ok = sr25519::Pair::from_string(suri, None)
            .map(|p| derives(p.public().to_raw_vec()))
            .unwrap_or(false)
            || ed25519::Pair::from_string(suri, None)
                .map(|p| derives(p.public().to_raw_vec()))
                .unwrap_or(false)
            || ecdsa::Pair::from_string(suri, None)
                .map(|p| derives(p.public().to_raw_vec()))
                .unwrap_or(false);
        if !ok {
            return Err(());
        }
        self.store(key_type, public.to_vec(), suri.to_string())
            .map_err(|_| ())
    }

    fn keys(&self, key_type: KeyTypeId) -> Result<Vec<Vec<u8>>, KsError> {
        Ok(self
            .inner
            .read()
            .suris
            .keys()
            .filter(|(kt, _)| *kt == key_type)
            .map(|(_, public)| public.clone())
            .collect())
    }

    fn has_keys(&self, public_keys: &[(Vec<u8>, KeyTypeId)]) -> bool {
        let inner = self.inner.read();
        public_keys
            .iter()
            .all(|(public, kt)| inner.suris.contains_key(&(*kt, public.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sp_core::crypto::key_types::{AURA, GRANDPA};

    #[test]
    fn keys_survive_reopen_and_sign() {
        let dir = tempfile::tempdir().unwrap();
        let ks = FileKeystore::open(dir.path()).unwrap();
        let aura = ks.sr25519_generate_new(AURA, None).unwrap();
        let gran = ks.ed25519_generate_new(GRANDPA, Some("//Alice")).unwrap();
        drop(ks);

        let ks = FileKeystore::open(dir.path()).unwrap();
        assert_eq!(ks.sr25519_public_keys(AURA), vec![aura]);
        assert_eq!(ks.ed25519_public_keys(GRANDPA), vec![gran]);
        let sig = ks.sr25519_sign(AURA, &aura, b"msg").unwrap().unwrap();
        assert!(sr25519::Pair::verify(&sig, b"msg", &aura));
        assert!(ks.has_keys(&[(aura.to_raw_vec(), AURA), (gran.to_raw_vec(), GRANDPA)]));
        assert!(!ks.has_keys(&[(gran.to_raw_vec(), AURA)]));
    }

    #[test]
    fn insert_refuses_uri_of_another_key() {
        let ks = FileKeystore::in_memory();
        let bob = sr25519::Pair::from_string("//Bob", None).unwrap().public();
        assert!(ks.insert(AURA, "//Alice", bob.as_slice()).is_err());
        assert!(ks.insert(AURA, "//Bob", bob.as_slice()).is_ok());
        assert_eq!(ks.sr25519_public_keys(AURA), vec![bob]);
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_torn_key_file_is_an_error_naming_the_file() {
        let public = sr25519::Pair::from_string("//Alice", None)
            .unwrap()
            .public();
        let name = key_file_name(AURA, public.as_slice());
        for (torn, why) in [
            (&b"\"//Al"[..], "truncated JSON"),
            (&b""[..], "empty"),
            (&b"\"//Bob\""[..], "a secret of another key"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            fs::write(dir.path().join(&name), torn).unwrap();
            let err = match FileKeystore::open(dir.path()) {
                Ok(_) => panic!("a key file that is {why} was accepted"),
                Err(e) => e.to_string(),
            };
            assert!(
                err.contains(&name),
                "{why}: the error does not name the file: {err}"
            );
        }
        // A key file whose name is not a whole public key is torn too.
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(&name[..40]), b"\"//Alice\"").unwrap();
        assert!(FileKeystore::open(dir.path()).is_err());
        // Files that are not key files (no hex name) are none of the keystore's business.
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".DS_Store"), b"junk").unwrap();
        fs::write(dir.path().join(&name), b"\"//Alice\"").unwrap();
        let ks = FileKeystore::open(dir.path()).unwrap();
        assert_eq!(ks.sr25519_public_keys(AURA), vec![public]);
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_owner_only_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let ks = FileKeystore::open(dir.path()).unwrap();
        let public = ks.sr25519_generate_new(AURA, Some("//Alice")).unwrap();
        let file = dir.path().join(key_file_name(AURA, public.as_slice()));
        assert_eq!(mode(&file), 0o600);
        // An existing file readable by others, rewritten: the new one is owner-only, and it
        // is a new file put in place whole (a hard link to the old one keeps the old
        // bytes), never the old file truncated and refilled.
        fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        fs::write(&file, b"\"//Alice///old\"").unwrap();
        let old = dir.path().join("old-link");
        fs::hard_link(&file, &old).unwrap();
        ks.insert(AURA, "//Alice", public.as_slice()).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(fs::read(&file).unwrap(), b"\"//Alice\"");
        assert_eq!(fs::read(&old).unwrap(), b"\"//Alice///old\"");
        fs::remove_file(&old).unwrap();
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names.len(),
            1,
            "no temporary file is left behind: {names:?}"
        );
    }

    #[test]
    fn file_name_is_substrate_layout() {
        let dir = tempfile::tempdir().unwrap();
        let ks = FileKeystore::open(dir.path()).unwrap();
        let public = ks.sr25519_generate_new(AURA, Some("//Alice")).unwrap();
        let expected = dir.path().join(format!("61757261{}", hex::encode(public)));
        let content = std::fs::read_to_string(expected).unwrap();
        assert_eq!(content, "\"//Alice\"");
    }
}
