//! The node's libp2p identity key: an ed25519 secret kept at
//! `<base>/chains/<id>/network/secret_ed25519` (32 raw bytes, as Substrate writes it).
//! Hex-encoded files (`key generate-node-key` without `--bin`) are accepted too.

use anyhow::{anyhow, Context};
use libp2p_identity::{ed25519, Keypair};
use std::path::Path;

/// Parses a secret: 32 raw bytes, or 64 hex characters (optionally 0x-prefixed). 32 bytes
/// of hex text are refused: they are a hex file cut short, not a raw secret (a random
/// secret is all hex digits with odds below 2^-110), and reading them as one would give
/// the node another identity without a word.
pub fn parse_secret(raw: &[u8]) -> anyhow::Result<Keypair> {
    let digits = raw.strip_prefix(b"0x").unwrap_or(raw);
    if raw.len() == 32 && digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(anyhow!(
            "node key is 32 characters of hex, half a key: the file is truncated (a hex key \
             has 64 digits, a raw one 32 bytes)"
        ));
    }
    let mut bytes = if raw.len() == 32 {
        raw.to_vec()
    } else {
        let text = std::str::from_utf8(raw)
            .map_err(|_| anyhow!("node key is neither 32 raw bytes nor hex"))?;
        let text = text.trim();
        hex::decode(text.strip_prefix("0x").unwrap_or(text))
            .map_err(|e| anyhow!("node key is neither 32 raw bytes nor hex: {e}"))?
    };
    let secret = ed25519::SecretKey::try_from_bytes(&mut bytes)
        .map_err(|e| anyhow!("invalid ed25519 node key: {e}"))?;
    Ok(Keypair::from(ed25519::Keypair::from(secret)))
}

/// The 32 secret bytes of a fresh key.
pub fn generate() -> (Keypair, Vec<u8>) {
    let pair = ed25519::Keypair::generate();
    let secret = pair.secret().as_ref().to_vec();
    (Keypair::from(pair), secret)
}

/// Loads the key at `path`, creating it on first start.
pub fn load_or_generate(path: &Path) -> anyhow::Result<Keypair> {
    match std::fs::read(path) {
        Ok(raw) => parse_secret(&raw).with_context(|| format!("{}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let (pair, secret) = generate();
            write_secret(path, &secret)?;
            Ok(pair)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes a secret readable by its owner only, replacing any file at `path` whole (see
/// [`crate::secret_file`]).
pub fn write_secret(path: &Path, secret: &[u8]) -> anyhow::Result<()> {
    crate::secret_file::write_private(path, secret)
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_persists_and_reloads_to_the_same_peer_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("network/secret_ed25519");
        let first = load_or_generate(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap().len(), 32);
        let again = load_or_generate(&path).unwrap();
        assert_eq!(first.public().to_peer_id(), again.public().to_peer_id());
    }

    #[test]
    fn a_torn_key_file_is_an_error_naming_the_file() {
        let (_, secret) = generate();
        let hex = hex::encode(&secret);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret_ed25519");
        // A hex file cut at 32 bytes is 32 bytes of text, not a raw secret; cut elsewhere,
        // or raw bytes cut short, it is no key at all.
        for torn in [
            &hex.as_bytes()[..32],
            &hex.as_bytes()[..40],
            &secret[..20],
            &b""[..],
        ] {
            std::fs::write(&path, torn).unwrap();
            let err = match load_or_generate(&path) {
                Ok(pair) => panic!(
                    "a torn key file ({} bytes) loaded as {}",
                    torn.len(),
                    pair.public().to_peer_id()
                ),
                Err(e) => format!("{e:#}"),
            };
            assert!(
                err.contains("secret_ed25519"),
                "the error does not name the file: {err}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_owner_only_and_replaced_whole() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret_ed25519");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let old = dir.path().join("old-link");
        std::fs::hard_link(&path, &old).unwrap();
        let (_, secret) = generate();
        write_secret(&path, &secret).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), secret);
        assert_eq!(std::fs::read(&old).unwrap(), b"old", "rewritten in place");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "a temporary file is left"
        );
    }

    #[test]
    fn hex_and_raw_forms_agree_and_garbage_is_refused() {
        let (pair, secret) = generate();
        let from_hex = parse_secret(format!("0x{}\n", hex::encode(&secret)).as_bytes()).unwrap();
        let from_raw = parse_secret(&secret).unwrap();
        assert_eq!(from_hex.public(), pair.public());
        assert_eq!(from_raw.public(), pair.public());
        assert!(parse_secret(b"not a key").is_err());
        assert!(parse_secret(&[1u8; 31]).is_err());
    }
}
