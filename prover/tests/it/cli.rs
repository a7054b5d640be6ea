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

/// `echonet-prover worker` started before its sequencer: it logs that it retries, and SIGTERM
/// stops it cleanly (exit 0).
#[test]
fn worker_retries_while_the_sequencer_is_down_and_stops_on_sigterm() {
    use std::io::BufRead;
    // The worktree's own snapshot when set (another worktree may rebuild target/debug).
    let bin = std::env::var("ECHONET_PROVER_BIN")
        .ok()
        .filter(|p| std::path::Path::new(p).exists())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_echonet-prover").to_string());
    // The farm tests' 1-slot key, written as `setup` would (a debug `setup` subprocess takes
    // minutes and gigabytes; the worker only needs to load the directory).
    let dir = super::farm::key_dir();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(bin)
        .args([
            "worker",
            "--poll",
            "50ms",
            "--name",
            "cli-test",
            "--sequencer",
        ])
        .arg(format!("http://127.0.0.1:{port}"))
        .arg("--keys")
        .arg(dir.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut seen = Vec::new();
    let mut retries = 0;
    while retries < 2 {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if line.contains("unreachable") && line.contains("retrying in") {
                    retries += 1;
                }
                seen.push(line);
            }
            Err(_) => {
                let _ = child.kill();
                panic!("no retry lines before the deadline:\n{}", seen.join("\n"));
            }
        }
    }
    let st = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("worker did not stop on SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn worker_refuses_a_missing_key_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_echonet-prover"))
        .args(["worker", "--keys"])
        .arg(dir.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("meta.json"), "{stderr}");
}
