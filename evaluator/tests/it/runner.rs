//! The protocol loop over a fake chain: who acts, when, what is committed and revealed, and
//! what happens across failures and restarts.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use echonet_evaluator::chain::{
    AccountId, Block, Chain, ChainError, OptimumId, QuorumDrawn, Round,
};
use echonet_evaluator::state::{Stage, State};
use echonet_evaluator::{
    commitment, least_squares, store, EvalCommand, EvalLimits, RunError, Runner, RunnerConfig,
};
use tempfile::TempDir;

use crate::harness::{example, example_eval_cmd};

const ME: AccountId = [0xd0; 32];
const OTHER: AccountId = [0x0e; 32];

/// A transaction the fake chain received, with the best block it was sent at.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sent {
    Commit {
        at: u32,
        optimum: OptimumId,
        round: Round,
        hash: [u8; 32],
    },
    Reveal {
        at: u32,
        optimum: OptimumId,
        score: i64,
        salt: [u8; 32],
    },
}

/// A chain that plays a list of blocks and records what it is sent.
struct FakeChain {
    blocks: VecDeque<Block>,
    /// The best block: set by `next_block`, or by [`Fixture::feed`] for blocks handed to
    /// the runner directly.
    now: Arc<AtomicU32>,
    sent: Arc<Mutex<Vec<Sent>>>,
    commit_answers: VecDeque<Result<(), ChainError>>,
    reveal_answers: VecDeque<Result<(), ChainError>>,
}

impl FakeChain {
    fn new(blocks: Vec<Block>, sent: &Arc<Mutex<Vec<Sent>>>, now: &Arc<AtomicU32>) -> FakeChain {
        FakeChain {
            blocks: blocks.into(),
            now: now.clone(),
            sent: sent.clone(),
            commit_answers: VecDeque::new(),
            reveal_answers: VecDeque::new(),
        }
    }
}

impl Chain for FakeChain {
    fn account(&self) -> AccountId {
        ME
    }

    async fn next_block(&mut self) -> Result<Block, ChainError> {
        let b = self.blocks.pop_front().ok_or(ChainError::Closed)?;
        self.now.store(b.number, Ordering::SeqCst);
        Ok(b)
    }

    async fn commit(
        &mut self,
        optimum: OptimumId,
        round: Round,
        hash: [u8; 32],
    ) -> Result<(), ChainError> {
        self.sent.lock().unwrap().push(Sent::Commit {
            at: self.now.load(Ordering::SeqCst),
            optimum,
            round,
            hash,
        });
        self.commit_answers.pop_front().unwrap_or(Ok(()))
    }

    async fn reveal(
        &mut self,
        optimum: OptimumId,
        score: i64,
        salt: [u8; 32],
    ) -> Result<(), ChainError> {
        self.sent.lock().unwrap().push(Sent::Reveal {
            at: self.now.load(Ordering::SeqCst),
            optimum,
            score,
            salt,
        });
        self.reveal_answers.pop_front().unwrap_or(Ok(()))
    }
}

/// A store holding model-good.json, a state path, and the example domain's evaluation.
struct Fixture {
    dir: TempDir,
    content: [u8; 32],
    sent: Arc<Mutex<Vec<Sent>>>,
    now: Arc<AtomicU32>,
    eval_cmd: String,
    timeout: Duration,
    domain: Option<u32>,
    max_refusals: u32,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = TempDir::new().unwrap();
        std::fs::create_dir(dir.path().join("store")).unwrap();
        let content = store::put(
            &dir.path().join("store"),
            &example("model-good.json"),
            1 << 20,
        )
        .unwrap();
        Fixture {
            dir,
            content,
            sent: Arc::default(),
            now: Arc::default(),
            eval_cmd: example_eval_cmd(),
            timeout: Duration::from_secs(30),
            domain: None,
            max_refusals: 3,
        }
    }

    fn state_path(&self) -> PathBuf {
        self.dir.path().join("state.json")
    }

    fn config(&self) -> RunnerConfig {
        RunnerConfig {
            domain: self.domain,
            store: self.dir.path().join("store"),
            eval: EvalCommand::parse(&self.eval_cmd).unwrap(),
            limits: EvalLimits {
                timeout: self.timeout,
                ..Default::default()
            },
            max_content_bytes: 1 << 20,
            state_path: self.state_path(),
            max_refusals: self.max_refusals,
        }
    }

    /// A quorum for optimum 7 in domain 0 drawn at `at` with me in it: commits land in
    /// `[at, at + 3)`, reveals in `[at + 3, at + 6)`.
    fn quorum(&self, at: u32) -> QuorumDrawn {
        QuorumDrawn {
            optimum: 7,
            round: 0,
            members: vec![OTHER, ME],
            domain: 0,
            content_hash: self.content,
            commit_until: at + 3,
            reveal_until: at + 6,
        }
    }

    fn runner(&self, chain: FakeChain) -> Runner<FakeChain> {
        Runner::new(chain, self.config()).unwrap()
    }

    /// Runs blocks `numbers`, with `events` in the blocks they name, to the end.
    async fn run(
        &self,
        numbers: impl IntoIterator<Item = u32>,
        events: &[(u32, QuorumDrawn)],
    ) -> Runner<FakeChain> {
        let mut r = self.runner(self.chain(numbers, events));
        r.run().await.unwrap();
        r
    }

    fn chain(
        &self,
        numbers: impl IntoIterator<Item = u32>,
        events: &[(u32, QuorumDrawn)],
    ) -> FakeChain {
        FakeChain::new(blocks(numbers, events), &self.sent, &self.now)
    }

    /// Hands `blocks` to the runner one by one, as its chain would.
    async fn feed(&self, r: &mut Runner<FakeChain>, blocks: Vec<Block>) {
        for b in blocks {
            self.now.store(b.number, Ordering::SeqCst);
            r.on_block(b).await.unwrap();
        }
    }

    fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }
}

fn blocks(numbers: impl IntoIterator<Item = u32>, events: &[(u32, QuorumDrawn)]) -> Vec<Block> {
    numbers
        .into_iter()
        .map(|number| Block {
            number,
            quorums: events
                .iter()
                .filter(|(n, _)| *n == number)
                .map(|(_, q)| q.clone())
                .collect(),
        })
        .collect()
}

fn good_score() -> i64 {
    least_squares::evaluate_files(&example("model-good.json"), &example("data.csv")).unwrap()
}

/// Asserts `sent` is one commit of `score` at `commit_at` and its matching reveal at
/// `reveal_at`, for optimum 7 round `round`.
fn assert_commit_then_reveal(
    sent: &[Sent],
    round: Round,
    score: i64,
    commit_at: u32,
    reveal_at: u32,
) {
    let [Sent::Commit {
        at,
        optimum: 7,
        round: r,
        hash,
    }, Sent::Reveal {
        at: rat,
        optimum: 7,
        score: s,
        salt,
    }] = sent
    else {
        panic!("expected a commit then a reveal, got {sent:?}");
    };
    assert_eq!((*at, *r, *rat, *s), (commit_at, round, reveal_at, score));
    assert_eq!(
        *hash,
        commitment(7, round, score, salt, &ME),
        "the reveal opens the commitment"
    );
}

#[tokio::test]
async fn a_member_commits_in_the_commit_window_and_reveals_after_it() {
    let f = Fixture::new();
    let mut r = f.runner(f.chain([], &[]));
    let mut chain_blocks = blocks(10..=17, &[(10, f.quorum(10))]).into_iter();
    // Block by block: commits land in [.., 13), reveals in [13, 16). The commit goes out
    // at once, nothing at 11 (a reveal would land in the commit window), the reveal at 12
    // (it lands in 13), nothing after.
    for expected_len in [1, 1, 2, 2, 2, 2, 2, 2] {
        let b = chain_blocks.next().unwrap();
        let n = b.number;
        f.feed(&mut r, vec![b]).await;
        assert_eq!(
            f.sent().len(),
            expected_len,
            "after block {n}: {:?}",
            f.sent()
        );
        let saved = State::load(&f.state_path(), ME).unwrap();
        assert_eq!(&saved, r.state(), "the state file follows every block");
    }
    assert_commit_then_reveal(&f.sent(), 0, good_score(), 10, 12);
    // After the reveal window the entry is gone; the last block is remembered.
    assert!(r.state().entries.is_empty());
    assert_eq!(r.state().last_block, Some(17));
}

#[tokio::test]
async fn quorums_without_me_or_of_another_domain_are_ignored() {
    let mut f = Fixture::new();
    let mut not_me = f.quorum(10);
    not_me.members = vec![OTHER];
    f.run(10..=17, &[(10, not_me)]).await;
    assert_eq!(f.sent(), vec![]);

    f.domain = Some(1);
    let r = f.run(20..=27, &[(20, f.quorum(20))]).await;
    assert_eq!(f.sent(), vec![]);
    assert!(r.state().entries.is_empty());
}

#[tokio::test]
async fn a_quorum_seen_after_its_commit_window_is_not_served() {
    let f = Fixture::new();
    let mut q = f.quorum(10);
    // At block 10 a commit would land in 11: already refused.
    q.commit_until = 11;
    f.run(10..=17, &[(10, q)]).await;
    assert_eq!(f.sent(), vec![]);
}

#[tokio::test]
async fn content_that_arrives_late_is_scored_while_the_commit_window_lasts() {
    let f = Fixture::new();
    let stored = store::path_of(&f.dir.path().join("store"), &f.content);
    let held = f.dir.path().join("held");
    std::fs::rename(&stored, &held).unwrap();
    let mut r = f.runner(f.chain([], &[]));
    f.feed(&mut r, blocks([10], &[(10, f.quorum(10))])).await;
    assert_eq!(f.sent(), vec![]);
    assert_eq!(r.state().entries[0].stage, Stage::AwaitingContent);
    std::fs::rename(&held, &stored).unwrap();
    // Block 11 is the last from which a commit lands in time (in 12 < 13).
    f.feed(&mut r, blocks(11..=16, &[])).await;
    assert_commit_then_reveal(&f.sent(), 0, good_score(), 11, 12);
}

#[tokio::test]
async fn content_that_never_arrives_is_a_missed_commit() {
    let f = Fixture::new();
    std::fs::remove_file(store::path_of(&f.dir.path().join("store"), &f.content)).unwrap();
    let mut r = f.runner(f.chain([], &[]));
    f.feed(&mut r, blocks(10..=13, &[(10, f.quorum(10))])).await;
    assert_eq!(
        r.state().entries[0].stage,
        Stage::Missed {
            what: "commit".into()
        }
    );
    assert_eq!(f.sent(), vec![]);
}

#[tokio::test]
async fn content_that_does_not_match_its_hash_is_not_scored() {
    let f = Fixture::new();
    std::fs::write(
        store::path_of(&f.dir.path().join("store"), &f.content),
        b"{\"weights\":[0,0,0,0],\"bias\":0}",
    )
    .unwrap();
    let mut r = f.runner(f.chain(10..=11, &[(10, f.quorum(10))]));
    r.run().await.unwrap();
    assert!(
        matches!(&r.state().entries[0].stage, Stage::Failed { reason } if reason.contains("not the optimum's content hash"))
    );
    assert_eq!(f.sent(), vec![]);
}

#[tokio::test]
async fn a_failing_hanging_or_babbling_evaluation_commits_nothing() {
    for (template, needle) in [
        ("sh -c 'echo no >&2; exit 2' {file}", "failed"),
        ("sh -c 'sleep 30' {file}", "longer than"),
        ("sh -c 'echo about 3' {file}", "not one integer"),
        ("sh -c 'yes' {file}", "more than 4096 bytes"),
        ("/no/such/evaluator {file}", "cannot start"),
    ] {
        let mut f = Fixture::new();
        f.eval_cmd = template.into();
        f.timeout = Duration::from_millis(300);
        let mut r = f.runner(f.chain([], &[]));
        f.feed(&mut r, blocks(10..=12, &[(10, f.quorum(10))])).await;
        assert!(
            matches!(&r.state().entries[0].stage, Stage::Failed { reason } if reason.contains(needle)),
            "{template}: {:?}",
            r.state().entries[0].stage
        );
        f.feed(&mut r, blocks(13..=17, &[])).await;
        assert_eq!(f.sent(), vec![], "{template}");
    }
}

#[tokio::test]
async fn a_restarted_evaluator_reveals_what_it_committed_and_never_commits_again() {
    let f = Fixture::new();
    let q = f.quorum(10);
    f.run(10..=11, &[(10, q.clone())]).await;
    assert_eq!(f.sent().len(), 1);
    // Restart: the new chain binding replays 10 and 11 (with the quorum event again) and
    // goes on; and the event is seen again in a later block.
    let r = f.run(10..=16, &[(10, q.clone()), (12, q)]).await;
    assert_commit_then_reveal(&f.sent(), 0, good_score(), 10, 12);
    assert_eq!(r.state().last_block, Some(16));
}

#[tokio::test]
async fn a_commit_that_may_have_left_is_never_sent_again() {
    let f = Fixture::new();
    let mut chain = f.chain(10..=16, &[(10, f.quorum(10))]);
    chain.commit_answers = [Err(ChainError::Uncertain("timeout".into()))].into();
    let mut r = f.runner(chain);
    r.run().await.unwrap();
    assert_commit_then_reveal(&f.sent(), 0, good_score(), 10, 12);
}

#[tokio::test]
async fn a_crash_after_saving_a_commit_never_leads_to_a_second_one() {
    // The state the runner writes before it sends a commit; the process dies before the
    // commit's answer.
    let f = Fixture::new();
    let q = f.quorum(10);
    let mut first = f.runner(f.chain([], &[]));
    f.feed(&mut first, blocks([10], &[(10, q.clone())])).await;
    let mut state = first.state().clone();
    let Stage::CommitSent { score, salt } = state.entries[0].stage.clone() else {
        panic!("{:?}", state.entries[0].stage)
    };
    drop(first);
    f.sent.lock().unwrap().clear();
    state.last_block = Some(9);
    state.save(&f.state_path()).unwrap();
    f.run(10..=16, &[(10, q)]).await;
    assert_eq!(
        f.sent(),
        vec![Sent::Reveal {
            at: 12,
            optimum: 7,
            score,
            salt
        }]
    );
}

#[tokio::test]
async fn a_refused_commit_is_tried_again_next_block_a_few_times_only() {
    let f = Fixture::new();
    let mut chain = f.chain(10..=16, &[(10, f.quorum(10))]);
    chain.commit_answers = [Err(ChainError::Rejected("pool full".into()))].into();
    f.runner(chain).run().await.unwrap();
    let sent = f.sent();
    assert!(matches!(sent[0], Sent::Commit { at: 10, .. }), "{sent:?}");
    assert_commit_then_reveal(&sent[1..], 0, good_score(), 11, 12);
    // The two attempts commit to the same score and salt.
    let (Sent::Commit { hash: a, .. }, Sent::Commit { hash: b, .. }) = (&sent[0], &sent[1]) else {
        panic!("{sent:?}")
    };
    assert_eq!(a, b);

    // A commit window long enough for three attempts (blocks 10, 11, 12).
    let f = Fixture::new();
    let mut q = f.quorum(10);
    (q.commit_until, q.reveal_until) = (20, 25);
    let mut chain = f.chain(10..=12, &[(10, q)]);
    chain.commit_answers = (0..3)
        .map(|_| Err(ChainError::Rejected("bad".into())))
        .collect();
    let mut r = f.runner(chain);
    r.run().await.unwrap();
    assert!(
        matches!(&r.state().entries[0].stage, Stage::Failed { reason } if reason.contains("refused 3 times")),
        "{:?}",
        r.state().entries[0].stage
    );
    f.feed(&mut r, blocks(13..=26, &[])).await;
    let sent = f.sent();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(sent.iter().all(|s| matches!(s, Sent::Commit { .. })));
}

#[tokio::test]
async fn a_refused_reveal_is_sent_again_while_the_reveal_window_lasts() {
    let f = Fixture::new();
    let mut chain = f.chain(10..=17, &[(10, f.quorum(10))]);
    chain.reveal_answers = [Err(ChainError::Rejected("nonce".into()))].into();
    f.runner(chain).run().await.unwrap();
    let sent = f.sent();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(matches!(sent[1], Sent::Reveal { at: 12, .. }));
    assert_commit_then_reveal(&[sent[0].clone(), sent[2].clone()], 0, good_score(), 10, 13);
}

#[tokio::test]
async fn a_reveal_window_passed_while_away_is_missed_not_sent_late() {
    let f = Fixture::new();
    let mut r = f.runner(f.chain([], &[]));
    f.feed(&mut r, blocks([10, 17], &[(10, f.quorum(10))]))
        .await;
    assert_eq!(f.sent().len(), 1);
    assert!(r.state().entries.is_empty());
}

#[tokio::test]
async fn an_escalated_round_gets_its_own_commitment() {
    let f = Fixture::new();
    let mut round1 = f.quorum(17);
    round1.round = 1;
    f.run(10..=24, &[(10, f.quorum(10)), (17, round1)]).await;
    let sent = f.sent();
    assert_eq!(sent.len(), 4, "{sent:?}");
    let score = good_score();
    assert_commit_then_reveal(&sent[..2], 0, score, 10, 12);
    assert_commit_then_reveal(&sent[2..], 1, score, 17, 19);
}

#[tokio::test]
async fn a_corrupt_or_foreign_state_file_stops_the_runner_and_is_kept() {
    let f = Fixture::new();
    std::fs::write(f.state_path(), b"{\"version\": 1, \"acc").unwrap();
    let err = Runner::new(f.chain([], &[]), f.config()).err().unwrap();
    assert!(
        matches!(err, RunError::State(_)) && err.to_string().contains("corrupt"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(f.state_path()).unwrap(),
        b"{\"version\": 1, \"acc"
    );

    State::new(OTHER).save(&f.state_path()).unwrap();
    let err = Runner::new(f.chain([], &[]), f.config()).err().unwrap();
    assert!(err.to_string().contains("belongs to account"), "{err}");
}

#[tokio::test]
async fn a_runner_can_be_spawned_on_a_multi_threaded_runtime() {
    let f = Fixture::new();
    let mut r = f.runner(f.chain(10..=16, &[(10, f.quorum(10))]));
    tokio::spawn(async move { r.run().await.map(|()| r) })
        .await
        .unwrap()
        .unwrap();
    assert_commit_then_reveal(&f.sent(), 0, good_score(), 10, 12);
}

#[tokio::test]
async fn a_shutdown_stops_the_runner_between_blocks() {
    let f = Fixture::new();
    let mut r = f.runner(f.chain(10..=16, &[(10, f.quorum(10))]));
    r.run_until(std::future::ready(())).await.unwrap();
    assert_eq!(r.state().last_block, None);
    assert_eq!(f.sent(), vec![]);
    // Resumed, it serves the quorum as if nothing happened.
    r.run().await.unwrap();
    assert_commit_then_reveal(&f.sent(), 0, good_score(), 10, 12);
}
