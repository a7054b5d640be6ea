//! Files that hold secrets (keystore keys, the node key): owner-only, and replaced whole.
//!
//! A secret goes to a temporary file in the same directory (mode 0600), is synced, and is
//! renamed over the target; then the directory is synced, so that the rename itself
//! survives a power cut. A crash at any moment leaves the old file or the new one, never a
//! torn mix. The temporary file's name starts with a dot and is not hex, so no reader takes
//! a leftover for a key.

use std::{
    fs,
    io::{self, Write},
    path::Path,
    sync::atomic::{AtomicU64, Ordering},
};

/// Distinguishes the temporary files of concurrent writes in one process.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// Writes `content` to `path` atomically, readable and writable by the owner only.
pub(crate) fn write_private(path: &Path, content: &[u8]) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} names no file", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let temp = dir.join(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        NEXT_TEMP.fetch_add(1, Ordering::Relaxed)
    ));
    let written = write_then_rename(&temp, path, dir, content);
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

fn write_then_rename(temp: &Path, path: &Path, dir: &Path, content: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(temp)?;
        // `mode` applies only to a file it creates; a leftover of a crash keeps its own.
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        finish(file, content)?;
    }
    #[cfg(not(unix))]
    finish(options.open(temp)?, content)?;
    fs::rename(temp, path)?;
    // The rename is an entry in the directory: sync it too (not possible on Windows).
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn finish(mut file: fs::File, content: &[u8]) -> io::Result<()> {
    file.write_all(content)?;
    file.sync_all()
}
