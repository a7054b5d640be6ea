//! The crate's one integration test binary: the example domain, the `eval-least-squares`
//! CLI on bad input, the evaluation command's bounds and the protocol loop over a fake chain.

mod cli;
mod eval_cmd;
mod example;
mod harness;
mod runner;
