//! The evaluation command: a score on success; a typed error, and no score, when it fails,
//! hangs, or prints too much or nonsense.

use std::path::Path;
use std::time::{Duration, Instant};

use echonet_evaluator::eval_cmd::{EvalCommand, EvalError, EvalLimits};

fn limits(timeout_ms: u64) -> EvalLimits {
    EvalLimits {
        timeout: Duration::from_millis(timeout_ms),
        ..Default::default()
    }
}

fn run(template: &str, timeout_ms: u64) -> Result<i64, EvalError> {
    EvalCommand::parse(template)
        .unwrap()
        .run(Path::new("/some/file"), &limits(timeout_ms))
}

#[test]
fn the_score_is_what_the_command_prints() {
    assert_eq!(run("sh -c 'echo \" 42 \"' {file}", 10_000).unwrap(), 42);
    // {file} reaches the command as one argument.
    assert_eq!(
        run("sh -c 'test \"$0\" = /some/file && echo -5' {file}", 10_000).unwrap(),
        -5
    );
}

#[test]
fn a_failing_command_gives_its_status_and_stderr() {
    match run("sh -c 'echo boom >&2; exit 3' {file}", 10_000) {
        Err(EvalError::Failed { status, stderr }) => {
            assert_eq!(status.code(), Some(3));
            assert_eq!(stderr, "boom");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        run("/nonexistent/evaluator {file}", 10_000),
        Err(EvalError::Spawn { .. })
    ));
}

#[test]
fn a_hanging_command_is_killed_at_its_deadline() {
    let start = Instant::now();
    assert!(matches!(
        run("sh -c 'sleep 30; echo 1' {file}", 300),
        Err(EvalError::Timeout(_))
    ));
    // A command that closes stdout and lingers, and one that leaves a child holding it.
    assert!(matches!(
        run("sh -c 'exec >&-; sleep 30' {file}", 300),
        Err(EvalError::Timeout(_))
    ));
    assert!(matches!(
        run("sh -c 'sleep 30 & echo 1' {file}", 300),
        Err(EvalError::Timeout(_))
    ));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn too_much_or_nonsense_output_is_no_score() {
    assert!(matches!(
        run("sh -c 'yes 1' {file}", 10_000),
        Err(EvalError::OutputTooLarge(4096))
    ));
    for template in [
        "sh -c 'echo 1.5' {file}",
        "sh -c 'echo 1; echo 2' {file}",
        "sh -c 'true' {file}",
        "sh -c 'echo 99999999999999999999' {file}",
    ] {
        assert!(
            matches!(run(template, 10_000), Err(EvalError::BadOutput(_))),
            "{template}"
        );
    }
}

#[test]
fn a_flood_on_stderr_does_not_block_the_command() {
    assert_eq!(
        run(
            "sh -c 'head -c 1000000 /dev/zero >&2; echo 7' {file}",
            10_000
        )
        .unwrap(),
        7
    );
}
