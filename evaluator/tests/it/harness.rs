//! Shared fixtures: paths of the example domain and of this crate's binary.

use std::path::PathBuf;
use std::process::{Command, Output};

/// `examples/domains/least-squares/` of the repository.
pub fn example_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/domains/least-squares")
}

/// A file of the example domain.
pub fn example(name: &str) -> PathBuf {
    example_dir().join(name)
}

/// The `echonet-evaluator` binary cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_echonet-evaluator")
}

/// Runs the binary with `args`.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("the echonet-evaluator binary runs")
}

/// The template that scores an optimum with the example domain's evaluation.
pub fn example_eval_cmd() -> String {
    format!(
        "{} eval-least-squares --data '{}' --model {{file}}",
        bin(),
        example("data.csv").display()
    )
}
