//! The `echonet-prover` binary as operators and CI run it.

use sha2::{Digest, Sha256};

#[test]
fn setup_prints_the_verifying_key_hash_governance_registers() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_echonet-prover"))
        .args(["setup", "--batch-size", "1", "--seed", "5", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "setup failed: {out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let hashes: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("verifying key hash (sha256): 0x"))
        .collect();
    assert_eq!(hashes.len(), 1, "one hash line in:\n{stdout}");
    // SHA-256 of verifying_key.bin's bytes, computed here independently ...
    let vk_bytes = std::fs::read(dir.path().join(echonet_prover::keys::VK_FILE)).unwrap();
    assert_eq!(hashes[0], hex::encode(Sha256::digest(&vk_bytes)));
    // ... which is `keys::vk_hash` of the key, and what meta.json records.
    let vk =
        echonet_prover::keys::load_verifying_key(&dir.path().join(echonet_prover::keys::VK_FILE))
            .unwrap();
    assert_eq!(hashes[0], echonet_prover::keys::vk_hash(&vk).unwrap());
    assert_eq!(
        hashes[0],
        echonet_prover::keys::load_meta(dir.path())
            .unwrap()
            .vk_sha256
    );
    assert!(stdout.contains("INSECURE"));
}
