//! The pluggable evaluation command: `--eval-cmd "PROGRAM ARG… {file} …"`.
//!
//! The template is split into words (whitespace separates; `'…'` and `"…"` quote, with no
//! escapes inside) and run directly, without a shell: `{file}` in any word is replaced by
//! the optimum's path, which no quoting can break. Wrap the command in `sh -c '…'` yourself
//! if you want a shell.
//!
//! The command must print one integer (the score, an `i64`) on stdout and exit 0. It runs in
//! its own process group with a deadline: on timeout the whole group is killed. Its stdout
//! is read up to [`EvalLimits::max_stdout`] bytes (more is an error and kills it); its
//! stderr is kept up to [`EvalLimits::max_stderr`] bytes for the error message.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The placeholder replaced by the optimum's path.
pub const FILE_PLACEHOLDER: &str = "{file}";

/// Bounds of one evaluation.
#[derive(Debug, Clone)]
pub struct EvalLimits {
    /// How long the command may run.
    pub timeout: Duration,
    /// The most stdout accepted (the score is one short line).
    pub max_stdout: usize,
    /// The most stderr kept for the error message (the rest is drained and dropped).
    pub max_stderr: usize,
}

impl Default for EvalLimits {
    fn default() -> Self {
        EvalLimits {
            timeout: Duration::from_secs(60),
            max_stdout: 4096,
            max_stderr: 4096,
        }
    }
}

/// A refused `--eval-cmd` template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// No program.
    #[error("the evaluation command is empty")]
    Empty,
    /// A quote is not closed.
    #[error("the evaluation command has an unclosed {0} quote")]
    UnclosedQuote(char),
    /// `{file}` appears nowhere, so the command could not see the optimum.
    #[error("the evaluation command must contain {FILE_PLACEHOLDER} (the optimum's path)")]
    NoPlaceholder,
}

/// Why an evaluation gave no score.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The program could not be started.
    #[error("cannot start {program:?}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The error.
        source: std::io::Error,
    },
    /// The command ran past its deadline and was killed.
    #[error("the evaluation ran longer than {0:?} and was killed")]
    Timeout(Duration),
    /// The command printed more than the limit on stdout and was killed.
    #[error("the evaluation printed more than {0} bytes on stdout")]
    OutputTooLarge(usize),
    /// The command failed.
    #[error("the evaluation failed ({status}): {stderr}")]
    Failed {
        /// How it exited.
        status: ExitStatus,
        /// The start of its stderr.
        stderr: String,
    },
    /// The command succeeded but its stdout is not one integer.
    #[error("the evaluation printed {0:?}, not one integer score")]
    BadOutput(String),
    /// Waiting for the command failed.
    #[error("waiting for the evaluation: {0}")]
    Wait(std::io::Error),
}

/// A parsed `--eval-cmd` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalCommand {
    words: Vec<String>,
}

impl EvalCommand {
    /// Parses a template (see the module docs).
    pub fn parse(template: &str) -> Result<EvalCommand, TemplateError> {
        let mut words = Vec::new();
        let mut word: Option<String> = None;
        let mut quote: Option<char> = None;
        for c in template.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => word.get_or_insert_with(String::new).push(c),
                None if c == '\'' || c == '"' => {
                    quote = Some(c);
                    word.get_or_insert_with(String::new);
                }
                None if c.is_whitespace() => words.extend(word.take()),
                None => word.get_or_insert_with(String::new).push(c),
            }
        }
        if let Some(q) = quote {
            return Err(TemplateError::UnclosedQuote(q));
        }
        words.extend(word);
        if words.is_empty() {
            return Err(TemplateError::Empty);
        }
        if !words.iter().any(|w| w.contains(FILE_PLACEHOLDER)) {
            return Err(TemplateError::NoPlaceholder);
        }
        Ok(EvalCommand { words })
    }

    /// The words with `{file}` replaced by `file`.
    pub fn argv(&self, file: &Path) -> Vec<String> {
        let f = file.to_string_lossy();
        self.words
            .iter()
            .map(|w| w.replace(FILE_PLACEHOLDER, &f))
            .collect()
    }

    /// Runs the command on `file` and returns the score it printed. Blocks the thread for
    /// at most about `limits.timeout`.
    pub fn run(&self, file: &Path, limits: &EvalLimits) -> Result<i64, EvalError> {
        let argv = self.argv(file);
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().map_err(|source| EvalError::Spawn {
            program: argv[0].clone(),
            source,
        })?;
        let deadline = Instant::now() + limits.timeout;

        let (out_tx, out_rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            let limit = limits.max_stdout;
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let r = stdout.take(limit as u64 + 1).read_to_end(&mut buf);
                let _ = out_tx.send(r.map(|_| buf));
            });
        }
        let (err_tx, err_rx) = mpsc::channel();
        if let Some(stderr) = child.stderr.take() {
            let limit = limits.max_stderr;
            std::thread::spawn(move || {
                let mut stderr = stderr;
                let mut buf = Vec::new();
                let _ = (&mut stderr).take(limit as u64).read_to_end(&mut buf);
                // Drain the rest so that the command never blocks on a full pipe.
                let _ = std::io::copy(&mut stderr, &mut std::io::sink());
                let _ = err_tx.send(buf);
            });
        }

        // stdout first: it closes when the command (and anything it left running) exits,
        // or when the command printed too much.
        let remaining = deadline.saturating_duration_since(Instant::now());
        let stdout = match out_rx.recv_timeout(remaining) {
            Ok(Ok(buf)) => buf,
            Ok(Err(e)) => {
                kill_group(&mut child);
                return Err(EvalError::Wait(e));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                kill_group(&mut child);
                return Err(EvalError::Timeout(limits.timeout));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Vec::new(),
        };
        if stdout.len() > limits.max_stdout {
            kill_group(&mut child);
            return Err(EvalError::OutputTooLarge(limits.max_stdout));
        }
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    kill_group(&mut child);
                    return Err(EvalError::Timeout(limits.timeout));
                }
                // stdout is closed: the command is exiting; poll briefly.
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => {
                    kill_group(&mut child);
                    return Err(EvalError::Wait(e));
                }
            }
        };
        if !status.success() {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let stderr = err_rx
                .recv_timeout(remaining.max(Duration::from_millis(100)))
                .unwrap_or_default();
            return Err(EvalError::Failed {
                status,
                stderr: String::from_utf8_lossy(&stderr).trim().to_string(),
            });
        }
        parse_score(&stdout)
    }
}

/// The score in a command's stdout: one integer, surrounding whitespace allowed.
pub fn parse_score(stdout: &[u8]) -> Result<i64, EvalError> {
    let text = String::from_utf8_lossy(stdout);
    let t = text.trim();
    t.parse::<i64>().map_err(|_| {
        EvalError::BadOutput(match t.char_indices().nth(80) {
            Some((i, _)) => format!("{}…", &t[..i]),
            None => t.to_string(),
        })
    })
}

/// Kills the command's process group (it leads it: `process_group(0)`), then the command
/// itself, and reaps it.
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    {
        // No libc (unsafe) in this crate: `kill -KILL -- -PGID` does the same.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_on_whitespace_and_quotes() {
        let c = EvalCommand::parse(r#"sh -c 'echo "{file}" 1'  x"" "#).unwrap();
        assert_eq!(
            c.argv(Path::new("/s/ab")),
            vec!["sh", "-c", "echo \"/s/ab\" 1", "x"]
        );
        assert_eq!(EvalCommand::parse("  "), Err(TemplateError::Empty));
        assert_eq!(
            EvalCommand::parse("a 'b"),
            Err(TemplateError::UnclosedQuote('\''))
        );
        assert_eq!(
            EvalCommand::parse("cat x"),
            Err(TemplateError::NoPlaceholder)
        );
        // An empty quoted word is a word.
        let c = EvalCommand::parse("p '' {file}").unwrap();
        assert_eq!(c.argv(Path::new("f")), vec!["p", "", "f"]);
    }

    #[test]
    fn scores_are_one_integer() {
        assert_eq!(parse_score(b" 42\n").unwrap(), 42);
        assert_eq!(parse_score(b"-7").unwrap(), -7);
        for bad in [
            &b""[..],
            b"1 2",
            b"4.5",
            b"99999999999999999999",
            b"score: 3",
        ] {
            assert!(matches!(parse_score(bad), Err(EvalError::BadOutput(_))));
        }
    }
}
