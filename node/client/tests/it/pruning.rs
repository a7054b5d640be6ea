//! State and block pruning (issue 18): a pruned client keeps exactly the state of its window
//! (compared node for node with an archive client of the same chain), reports older and
//! discarded states as such, discards forks on finality, prunes bodies, refuses a database
//! of the other mode, and survives `kill -9` in the middle of pruning (a child process).

use echonet_client::{BlockOrigin, BlocksPruning, Client, Error, ImportBlock, StatePruning};
use echonet_test_utils::{open_dev_client_with, past_slot, slot_of, transfer, NewBlock};
use sp_core::H256;
use sp_keyring::Sr25519Keyring as K;
use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Command, Stdio},
    sync::Arc,
};

const SENDERS: [K; 4] = [K::Alice, K::Bob, K::Charlie, K::Dave];
const RECIPIENTS: [K; 3] = [K::Eve, K::Ferdie, K::Alice];

fn open(dir: &Path, state: StatePruning, blocks: BlocksPruning) -> Arc<Client> {
    open_dev_client_with(dir, |c| {
        c.state_pruning = Some(state);
        c.blocks_pruning = blocks;
    })
}

/// A whole state: every (key, value).
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Every (key, value) of the state at `at`: reading them walks every node of the trie.
fn whole_state(client: &Client, at: H256) -> Result<Entries, Error> {
    let keys = client.storage_keys(at, b"", None, usize::MAX)?;
    keys.into_iter()
        .map(|k| {
            let v = client.storage(at, &k)?.expect("a listed key has a value");
            Ok((k, v))
        })
        .collect()
}

/// Authors `count` blocks of `per_block` transfers on `client`'s best block, each
/// finalized at once when `finalize`; returns (hash, header, body) of each.
fn author(
    client: &Client,
    count: u32,
    per_block: u32,
    finalize: bool,
) -> Vec<(
    H256,
    echonet_runtime::Header,
    Vec<sp_runtime::OpaqueExtrinsic>,
)> {
    let best = client.header(client.info().best_hash).unwrap().unwrap();
    let first = slot_of(&best).map_or_else(|| past_slot(100_000), |s| s + 1);
    let mut out = Vec::new();
    for i in 0..count {
        let at = client.info().best_hash;
        let mut txs = Vec::new();
        for t in 0..per_block {
            let from = SENDERS[((i + t) as usize) % SENDERS.len()];
            let nonce = nonce_of(client, at, from) + txs_from(&txs, from);
            let to = RECIPIENTS[(t as usize) % RECIPIENTS.len()];
            let to = if to == from { K::Eve } else { to };
            txs.push((from, transfer(client, from, to, nonce)));
        }
        let block = NewBlock::new(client, first + u64::from(i))
            .with_encoded(txs.iter().map(|(_, x)| x.clone()))
            .seal();
        let (header, body) = (block.header.clone(), block.body.clone());
        let hash = block.import_own(client, finalize);
        out.push((hash, header, body));
    }
    out
}

fn txs_from(txs: &[(K, Vec<u8>)], from: K) -> u32 {
    txs.iter().filter(|(f, _)| *f == from).count() as u32
}

fn nonce_of(client: &Client, at: H256, who: K) -> u32 {
    use codec::Decode;
    let key =
        frame_system::Account::<echonet_runtime::Runtime>::hashed_key_for(who.to_account_id());
    client
        .storage(at, &key)
        .unwrap()
        .map(|raw| {
            frame_system::AccountInfo::<u32, pallet_balances::AccountData<u128>>::decode(
                &mut &raw[..],
            )
            .unwrap()
            .nonce
        })
        .unwrap_or(0)
}

/// The invariants of a pruned database: one death row per finalized block above
/// `state_from`, one journal per unfinalized block (no forks pending), and every kept state
/// whole.
fn assert_consistent(client: &Client) {
    let info = client.info();
    let stats = client.state_db_stats().unwrap();
    assert_eq!(
        stats.death_rows.0,
        u64::from(info.finalized_number - client.state_from()),
        "one death row per finalized block above the first kept state"
    );
    assert_eq!(
        stats.journals.0,
        u64::from(info.best_number - info.finalized_number),
        "one journal per unfinalized block"
    );
    for n in client.state_from()..=info.best_number {
        let hash = client.hash(n).unwrap().unwrap();
        whole_state(client, hash).unwrap_or_else(|e| panic!("state of #{n} is whole: {e}"));
    }
}

#[test]
fn pruned_client_keeps_exactly_its_window_and_reports_older_states_as_discarded() {
    let archive_dir = tempfile::tempdir().unwrap();
    let pruned_dir = tempfile::tempdir().unwrap();
    let archive = open(
        archive_dir.path(),
        StatePruning::Archive,
        BlocksPruning::Archive,
    );
    let pruned = open(
        pruned_dir.path(),
        StatePruning::Constrained(16),
        BlocksPruning::Some(8),
    );
    let blocks = author(&archive, 60, 6, true);
    // The pruned client executes the blocks and finalizes them in steps of 1 to 5 blocks.
    let mut step = 0;
    for (i, (hash, header, body)) in blocks.iter().enumerate() {
        pruned
            .import_block(ImportBlock {
                header: header.clone(),
                body: body.clone(),
                justifications: None,
                origin: BlockOrigin::NetworkInitialSync,
                changes: None,
                finalize: false,
            })
            .unwrap();
        if i % 5 == step {
            pruned.finalize_block(*hash, None).unwrap();
            step = (step + 1) % 5;
        }
    }
    let last = blocks.last().unwrap().0;
    pruned.finalize_block(last, None).unwrap();
    assert_eq!(pruned.info().finalized_number, 60);
    assert_eq!(pruned.state_pruning(), StatePruning::Constrained(16));
    assert_eq!(pruned.state_from(), 60 + 1 - 16);
    assert_eq!(archive.state_from(), 0);

    // The window's states are those of the archive, key for key.
    for n in pruned.state_from()..=60 {
        let hash = blocks[n as usize - 1].0;
        assert_eq!(
            whole_state(&pruned, hash).unwrap(),
            whole_state(&archive, hash).unwrap(),
            "state of #{n}"
        );
    }
    // Older states are discarded, with the error RPC turns into Substrate's.
    for n in [1u32, 20, 44] {
        let hash = blocks[n as usize - 1].0;
        match pruned.storage(hash, b":code") {
            Err(Error::StateUnavailable(h)) => assert_eq!(h, hash),
            other => panic!("state of #{n}: expected StateUnavailable, got {other:?}"),
        }
        assert!(
            whole_state(&archive, hash).is_ok(),
            "the archive keeps #{n}"
        );
        // The header stays; the body went with --blocks-pruning 8.
        assert!(pruned.header(hash).unwrap().is_some());
        assert!(pruned.block(hash).unwrap().is_none(), "body of #{n} pruned");
    }
    let recent = blocks[57].0;
    assert!(
        pruned.block(recent).unwrap().is_some(),
        "recent bodies stay"
    );
    assert_consistent(&pruned);
    // An archive holds more, and journals nothing once finalized.
    let (p, a) = (
        pruned.state_db_stats().unwrap(),
        archive.state_db_stats().unwrap(),
    );
    assert!(p.nodes.0 < a.nodes.0, "pruned {p:?} against archive {a:?}");
    assert_eq!(
        (a.death_rows.0, a.journals.0),
        (0, 0),
        "an archive keeps no journal"
    );
}

#[test]
fn finality_discards_forks_and_their_nodes_but_keeps_shared_ones() {
    let dir = tempfile::tempdir().unwrap();
    let client = open(
        dir.path(),
        StatePruning::Constrained(4),
        BlocksPruning::ArchiveCanonical,
    );
    let trunk = author(&client, 3, 2, true);
    let base = trunk.last().unwrap().0;
    let base_slot = slot_of(&trunk.last().unwrap().1).unwrap();
    let nodes_before = client.state_db_stats().unwrap().nodes.0;

    // Two forks on #3: A (two blocks, becomes best) and B (one block, different content).
    let a1 = NewBlock::new(&client, base_slot + 1)
        .on(base)
        .with_encoded([transfer(&client, K::Eve, K::Ferdie, 0)])
        .import();
    let a2 = NewBlock::new(&client, base_slot + 2).on(a1).import();
    let b1 = NewBlock::new(&client, base_slot + 3)
        .on(base)
        .with_encoded([transfer(&client, K::Ferdie, K::Eve, 0)])
        .import();
    let b2 = NewBlock::new(&client, base_slot + 4).on(b1).import();
    let b3 = NewBlock::new(&client, base_slot + 5).on(b2).import();
    assert_eq!(client.info().best_hash, b3, "B is longer");
    assert!(whole_state(&client, a2).is_ok() && whole_state(&client, b3).is_ok());
    assert!(client.state_db_stats().unwrap().nodes.0 > nodes_before);

    // Finalizing A's tip discards B (all of it, below and above the finalized height).
    client.finalize_block(a2, None).unwrap();
    for h in [b1, b2, b3] {
        assert!(
            matches!(client.storage(h, b":code"), Err(Error::StateUnavailable(_))),
            "fork block {h:?} is discarded"
        );
        assert!(client.block(h).unwrap().is_none(), "its body went with it");
    }
    assert_eq!(client.info().best_hash, a2);
    let a_state = whole_state(&client, a2).unwrap();
    assert!(!a_state.is_empty());
    assert_consistent(&client);

    // The chain goes on; the window moves past the fork point; still consistent.
    author(&client, 8, 2, true);
    assert_eq!(client.state_from(), client.info().finalized_number + 1 - 4);
    assert_consistent(&client);

    // Nothing of the fork is left: a client that only ever saw the finalized chain holds
    // the very same nodes and death rows.
    let mirror_dir = tempfile::tempdir().unwrap();
    let mirror = open(
        mirror_dir.path(),
        StatePruning::Constrained(4),
        BlocksPruning::ArchiveCanonical,
    );
    for n in 1..=client.info().finalized_number {
        let block = client
            .block(client.hash(n).unwrap().unwrap())
            .unwrap()
            .unwrap();
        let hash = block.header.hash();
        mirror
            .import_block(ImportBlock {
                header: block.header,
                body: block.extrinsics,
                justifications: None,
                origin: BlockOrigin::NetworkInitialSync,
                changes: None,
                finalize: false,
            })
            .unwrap();
        mirror.finalize_block(hash, None).unwrap();
    }
    let (ours, theirs) = (
        client.state_db_stats().unwrap(),
        mirror.state_db_stats().unwrap(),
    );
    assert_eq!(ours.nodes, theirs.nodes, "no node of the fork leaked");
    assert_eq!(ours.death_rows, theirs.death_rows);
}

#[test]
fn reopening_with_the_other_mode_is_refused_as_substrate_does() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(
        dir.path(),
        StatePruning::Archive,
        BlocksPruning::ArchiveCanonical,
    ));
    let err = echonet_client::Client::open(
        {
            let mut c = echonet_client::ClientConfig::new(dir.path().join("db"));
            c.state_pruning = Some(StatePruning::Constrained(256));
            c
        },
        &echonet_client::ChainSpec::development().unwrap(),
        Arc::new(echonet_consensus::aura::AuraVerifier::default()),
    )
    .err()
    .expect("an archive is not reopened pruned");
    assert!(
        err.to_string()
            .contains("Incompatible pruning modes [stored: archive; requested: 256]"),
        "{err}"
    );
    // No flag: the stored mode.
    let reopened = open_dev_client_with(dir.path(), |_| {});
    assert_eq!(reopened.state_pruning(), StatePruning::Archive);
    drop(reopened);

    // A pruned database may change its window, not become an archive.
    let dir = tempfile::tempdir().unwrap();
    drop(open(
        dir.path(),
        StatePruning::Constrained(32),
        BlocksPruning::ArchiveCanonical,
    ));
    let client = open(
        dir.path(),
        StatePruning::Constrained(8),
        BlocksPruning::ArchiveCanonical,
    );
    assert_eq!(client.state_pruning(), StatePruning::Constrained(8));
    author(&client, 12, 1, true);
    assert_eq!(client.state_from(), 12 + 1 - 8);
    assert_consistent(&client);
    drop(client);
    let result = std::panic::catch_unwind(|| {
        open(
            dir.path(),
            StatePruning::Archive,
            BlocksPruning::ArchiveCanonical,
        )
    });
    assert!(
        result.is_err(),
        "a pruned database is not reopened as an archive"
    );
}

/// The database directory the child of [`kill_9_during_pruning_leaves_a_consistent_database`]
/// prunes in; the child test does nothing without it.
const CHILD_DIR: &str = "ECHONET_PRUNING_CHILD_DIR";

/// The child process: authors and finalizes blocks of 30 transfers in a window of 3 until
/// it is killed, printing each finalized number. Ignored unless run by the parent test.
#[test]
#[ignore = "run as a child process by kill_9_during_pruning_leaves_a_consistent_database"]
fn pruning_child_until_killed() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let client = open(
        Path::new(&dir),
        StatePruning::Constrained(3),
        BlocksPruning::Some(3),
    );
    loop {
        author(&client, 1, 30, true);
        println!("finalized {}", client.info().finalized_number);
    }
}

#[test]
fn kill_9_during_pruning_leaves_a_consistent_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut reached = 0;
    // Each round kills the child after a different number of blocks, at whatever point
    // of import and pruning it is, then checks and resumes the database.
    for round in 0..3u32 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "pruning::pruning_child_until_killed",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(CHILD_DIR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let target = reached + 5 + round * 2;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
        for line in stdout.lines() {
            let line = line.unwrap();
            if let Some(n) = line.strip_prefix("finalized ") {
                if n.trim().parse::<u32>().unwrap() >= target {
                    break;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the child makes progress"
            );
        }
        // A different moment of the child's import-and-prune cycle each round.
        std::thread::sleep(std::time::Duration::from_millis(u64::from(round) * 37));
        // SIGKILL: no destructor, no flush; RocksDB keeps what its WAL has.
        child.kill().unwrap();
        child.wait().unwrap();

        let client = open(
            dir.path(),
            StatePruning::Constrained(3),
            BlocksPruning::Some(3),
        );
        let info = client.info();
        assert!(info.finalized_number >= target, "round {round}: {info:?}");
        assert_eq!(info.finalized_number, info.best_number);
        assert_eq!(client.state_from(), info.finalized_number + 1 - 3);
        assert_consistent(&client);
        // And it goes on from there.
        author(&client, 2, 5, true);
        assert_consistent(&client);
        reached = client.info().finalized_number;
    }
}
