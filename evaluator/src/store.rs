//! The content store: a directory holding each optimum as a file named by the lowercase hex
//! of its blake2_256 hash (no `0x`). A URL store, then the distributed data store
//! (issue 17), can take its place behind [`fetch`]'s contract: bytes whose hash is checked.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Why an optimum's content is not usable.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No file by that hash (yet).
    #[error("{0}: not in the store")]
    Missing(PathBuf),
    /// The file is larger than the limit.
    #[error("{path}: larger than {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// The file's bytes do not hash to its name: it is not the optimum.
    #[error("{path}: its blake2_256 is 0x{actual}, not the optimum's content hash")]
    HashMismatch {
        /// The file.
        path: PathBuf,
        /// The hash of what is there.
        actual: String,
    },
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Where the content with `hash` lives in `dir`.
pub fn path_of(dir: &Path, hash: &[u8; 32]) -> PathBuf {
    dir.join(hex::encode(hash))
}

/// Reads at most `limit` bytes of `path`; more is [`StoreError::TooLarge`].
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, StoreError> {
    let io = |source| StoreError::Io {
        path: path.into(),
        source,
    };
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => StoreError::Missing(path.into()),
        _ => io(e),
    })?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(StoreError::TooLarge {
            path: path.into(),
            limit,
        });
    }
    Ok(bytes)
}

/// The path of the optimum with content `hash` in `dir`, after checking that the file is
/// there, at most `limit` bytes, and hashes to `hash`.
pub fn fetch(dir: &Path, hash: &[u8; 32], limit: u64) -> Result<PathBuf, StoreError> {
    let path = path_of(dir, hash);
    let bytes = read_limited(&path, limit)?;
    let actual = sp_crypto_hashing::blake2_256(&bytes);
    if &actual != hash {
        return Err(StoreError::HashMismatch {
            path,
            actual: hex::encode(actual),
        });
    }
    Ok(path)
}

/// Copies `file` into `dir` under its hash; returns the hash. What an optimizer (or the
/// README's walk-through) does before submitting the optimum.
pub fn put(dir: &Path, file: &Path, limit: u64) -> Result<[u8; 32], StoreError> {
    let bytes = read_limited(file, limit)?;
    let hash = sp_crypto_hashing::blake2_256(&bytes);
    let dest = path_of(dir, &hash);
    let io = |source| StoreError::Io {
        path: dest.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    // Write beside, then rename: an evaluator never sees half a file under the hash.
    let tmp = dir.join(format!(".{}.tmp", hex::encode(hash)));
    std::fs::write(&tmp, &bytes).map_err(io)?;
    std::fs::rename(&tmp, &dest).map_err(io)?;
    Ok(hash)
}
