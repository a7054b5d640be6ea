//! `echonet-node poe aggregate` and `echonet-node benchmark poe-aggregator`: the reference
//! proof-of-engagement aggregator (`pallet_poe::aggregator`) for operators, and its
//! throughput.
//!
//! `poe aggregate` reads a period's attested engagement events as JSON lines
//! `{"account": "<SS58 or 0x hex>", "weight": <u64>}` and, optionally, reputations as JSON
//! lines `{"account": …, "reputation": <u64>}` (accounts missing there have none). It
//! writes JSON lines: first `{"period", "root", "totalScore", "leaves"}` (the arguments of
//! `Poe::submit_scores`), then one line per leaf `{"index", "account", "score", "proof"}`
//! (the arguments of `Poe::claim`). Every input line is bounded (`MAX_LINE` bytes) and a
//! bad line is reported with its file and number. Events stream into the aggregator (its
//! memory is one entry per distinct account, not per event); reputations are loaded whole.

use anyhow::Context as _;
use clap::{Args, Subcommand};
use echonet_runtime::AccountId;
use pallet_poe::aggregator::{aggregate, AggregateError, ScoringParams};
use serde::{Deserialize, Serialize};
use sp_core::crypto::{Ss58AddressFormat, Ss58Codec};
use std::{
    collections::HashMap,
    fs::File,
    io::{BufRead, BufReader, BufWriter, Read, Write},
    path::{Path, PathBuf},
    time::Instant,
};

/// The longest input line accepted (an SS58 address and a u64 fit in far less).
pub const MAX_LINE: usize = 1024;

/// `echonet-node poe …`.
#[derive(Debug, Subcommand)]
pub enum PoeCmd {
    /// Scores a period's engagement events into the root to submit and the claims.
    Aggregate(AggregateCmd),
}

/// `echonet-node poe aggregate`.
#[derive(Debug, Clone, Args)]
pub struct AggregateCmd {
    /// The period scored (it is part of every leaf).
    #[arg(long)]
    pub period: u32,
    /// The period's engagement events: JSON lines `{"account", "weight"}`.
    #[arg(long, value_name = "FILE")]
    pub events: PathBuf,
    /// `Role::Creator` reputations: JSON lines `{"account", "reputation"}`.
    #[arg(long, value_name = "FILE")]
    pub reputation: Option<PathBuf>,
    /// Where to write the result (JSON lines).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Reputation that doubles an account's engagement.
    #[arg(long, default_value_t = ScoringParams::default().reputation_base)]
    pub reputation_base: u64,
    /// Accounts with less reputation get no leaf (the pallet's `reputationFloor`).
    #[arg(long, default_value_t = ScoringParams::default().reputation_floor)]
    pub reputation_floor: u64,
    /// The period's score cap (its `PeriodInfo::score_cap`).
    #[arg(long, default_value_t = ScoringParams::default().score_cap)]
    pub score_cap: u128,
}

/// `echonet-node benchmark poe-aggregator`.
#[derive(Debug, Clone, Args)]
pub struct AggregatorBenchCmd {
    /// Engagement events aggregated.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Distinct accounts they come from.
    #[arg(long, default_value_t = 1_000_000)]
    pub accounts: u64,
    /// Runs (each timed; the best and the median are reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
}

/// Why `poe aggregate` stopped.
#[derive(Debug, thiserror::Error)]
pub enum PoeCliError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// An input line is longer than [`MAX_LINE`].
    #[error("{path}:{line}: line longer than {MAX_LINE} bytes")]
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// The line number (from 1).
        line: usize,
    },
    /// An input line is not the expected JSON object.
    #[error("{path}:{line}: {source}")]
    BadJson {
        /// The file.
        path: PathBuf,
        /// The line number.
        line: usize,
        /// The parse error.
        source: serde_json::Error,
    },
    /// An account is neither SS58 nor 32 bytes of 0x hex.
    #[error("{path}:{line}: {account:?} is not an SS58 address or 0x-prefixed 32-byte hex")]
    BadAccount {
        /// The file.
        path: PathBuf,
        /// The line number.
        line: usize,
        /// What was given.
        account: String,
    },
    /// The events score nothing, or the parameters are nonsense.
    #[error("cannot aggregate: {0}")]
    Aggregate(#[from] AggregateError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventLine {
    account: String,
    weight: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReputationLine {
    account: String,
    reputation: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    period: u32,
    root: String,
    total_score: String,
    leaves: u32,
}

#[derive(Serialize)]
struct LeafLine {
    index: u32,
    account: String,
    score: String,
    proof: Vec<String>,
}

/// Runs `echonet-node poe …`.
pub fn run(cmd: &PoeCmd) -> anyhow::Result<()> {
    match cmd {
        PoeCmd::Aggregate(c) => {
            let summary = aggregate_files(c)?;
            println!("{summary}");
            Ok(())
        }
    }
}

/// Parses an account: SS58 (any address format), or `0x` and 64 hex digits.
pub fn parse_account(s: &str) -> Option<AccountId> {
    if let Some(hex) = s.strip_prefix("0x") {
        let bytes: [u8; 32] = hex::decode(hex).ok()?.try_into().ok()?;
        return Some(AccountId::from(bytes));
    }
    AccountId::from_ss58check_with_version(s)
        .ok()
        .map(|(a, _)| a)
}

/// An account as SS58 with the chain's prefix.
fn ss58(account: &AccountId) -> String {
    account.to_ss58check_with_version(Ss58AddressFormat::custom(echonet_runtime::SS58_PREFIX))
}

/// The non-blank lines of a file, numbered from 1, each refused if over [`MAX_LINE`]
/// bytes before it is read whole.
struct Lines {
    path: PathBuf,
    reader: BufReader<File>,
    buf: Vec<u8>,
    line: usize,
}

impl Lines {
    fn open(path: &Path) -> Result<Lines, PoeCliError> {
        let file = File::open(path).map_err(|source| PoeCliError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(Lines {
            path: path.to_owned(),
            reader: BufReader::with_capacity(1 << 20, file),
            buf: Vec::with_capacity(MAX_LINE + 1),
            line: 0,
        })
    }

    /// The next line's number and bytes, `None` at the end.
    fn next_line(&mut self) -> Option<Result<(usize, &[u8]), PoeCliError>> {
        loop {
            self.buf.clear();
            let read = self
                .reader
                .by_ref()
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut self.buf);
            match read {
                Err(source) => {
                    return Some(Err(PoeCliError::Io {
                        path: self.path.clone(),
                        source,
                    }))
                }
                Ok(0) => return None,
                Ok(_) => {}
            }
            self.line += 1;
            if self.buf.last() == Some(&b'\n') {
                self.buf.pop();
            } else if self.buf.len() > MAX_LINE {
                return Some(Err(PoeCliError::LineTooLong {
                    path: self.path.clone(),
                    line: self.line,
                }));
            }
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                return Some(Ok((self.line, &self.buf)));
            }
        }
    }

    /// Parses the next line as a `T` whose account is then parsed.
    fn next_record<T: serde::de::DeserializeOwned>(
        &mut self,
        account_of: impl Fn(&T) -> &str,
    ) -> Option<Result<(AccountId, T), PoeCliError>> {
        let (line, bytes) = match self.next_line()? {
            Ok(l) => l,
            Err(e) => return Some(Err(e)),
        };
        let record: T = match serde_json::from_slice(bytes) {
            Ok(r) => r,
            Err(source) => {
                return Some(Err(PoeCliError::BadJson {
                    path: self.path.clone(),
                    line,
                    source,
                }))
            }
        };
        Some(match parse_account(account_of(&record)) {
            Some(account) => Ok((account, record)),
            None => Err(PoeCliError::BadAccount {
                path: self.path.clone(),
                line,
                account: account_of(&record).to_owned(),
            }),
        })
    }
}

fn read_reputation(path: &Path) -> Result<HashMap<AccountId, u64>, PoeCliError> {
    let mut lines = Lines::open(path)?;
    let mut reputation = HashMap::new();
    while let Some(record) = lines.next_record(|r: &ReputationLine| &r.account) {
        let (account, r) = record?;
        reputation.insert(account, r.reputation);
    }
    Ok(reputation)
}

/// `poe aggregate`: reads, aggregates, writes; returns a one-line summary.
pub fn aggregate_files(cmd: &AggregateCmd) -> Result<String, PoeCliError> {
    let reputation = match &cmd.reputation {
        Some(path) => read_reputation(path)?,
        None => HashMap::new(),
    };
    // Events stream into the aggregator (never all in memory); the first bad line stops
    // the stream and is reported instead of a result.
    let mut lines = Lines::open(&cmd.events)?;
    let mut failure = None;
    let mut n_events = 0usize;
    let events = std::iter::from_fn(|| match lines.next_record(|e: &EventLine| &e.account)? {
        Ok((account, e)) => {
            n_events += 1;
            Some((account, e.weight))
        }
        Err(e) => {
            failure = Some(e);
            None
        }
    });
    let params = ScoringParams {
        reputation_base: cmd.reputation_base,
        reputation_floor: cmd.reputation_floor,
        score_cap: cmd.score_cap,
    };
    let result = aggregate(
        cmd.period,
        events,
        |a| reputation.get(a).copied().unwrap_or(0),
        &params,
    );
    if let Some(e) = failure {
        return Err(e);
    }
    let agg = result?;
    let io = |source| PoeCliError::Io {
        path: cmd.out.clone(),
        source,
    };
    let mut out = BufWriter::new(File::create(&cmd.out).map_err(io)?);
    let header = Header {
        period: agg.period,
        root: format!("{:?}", agg.root),
        total_score: agg.total_score.to_string(),
        leaves: agg.leaf_count(),
    };
    write_line(&mut out, &header).map_err(io)?;
    for leaf in &agg.leaves {
        let proof = agg
            .proof(leaf.index)
            .unwrap_or_default()
            .iter()
            .map(|h| format!("{h:?}"))
            .collect();
        let line = LeafLine {
            index: leaf.index,
            account: ss58(&leaf.account),
            score: leaf.score.to_string(),
            proof,
        };
        write_line(&mut out, &line).map_err(io)?;
    }
    out.flush().map_err(io)?;
    Ok(format!(
        "period {}: {} events, {} leaves, total score {}, root {:?} → {}",
        agg.period,
        n_events,
        agg.leaf_count(),
        agg.total_score,
        agg.root,
        cmd.out.display()
    ))
}

/// Writes `v` as one JSON line.
fn write_line(out: &mut impl Write, v: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, v).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// `benchmark poe-aggregator`: aggregates `--events` synthetic events from `--accounts`
/// accounts (32-byte blake2 account ids, events in a scrambled order, reputation read
/// from a closure as the CLI's map lookup would be) and reports events per second for
/// the whole of `aggregate` (accumulate, score, sort, hash, build the tree), then the
/// rate of proof generation.
pub fn bench(cmd: &AggregatorBenchCmd) -> anyhow::Result<()> {
    anyhow::ensure!(cmd.accounts > 0, "--accounts must be at least 1");
    anyhow::ensure!(cmd.runs > 0, "--runs must be at least 1");
    let accounts: Vec<AccountId> = (0..cmd.accounts)
        .map(|i| AccountId::from(sp_io::hashing::blake2_256(&i.to_le_bytes())))
        .collect();
    // In a scrambled order: event j is number k = j × P mod N of N events, a permutation
    // since the prime P = 1,000,003 does not divide N (else the prime 1,000,033). Event k comes
    // from account k mod accounts: every account at least once while events ≥ accounts.
    let n = u128::from(cmd.events.max(1));
    let p: u128 = if n % 1_000_003 == 0 {
        1_000_033
    } else {
        1_000_003
    };
    let events: Vec<(AccountId, u64)> = (0..cmd.events)
        .map(|j| {
            let k = (u128::from(j) * p % n) as u64;
            let a = accounts[(k % cmd.accounts) as usize].clone();
            (a, 1 + k % 16)
        })
        .collect();
    let reputation: HashMap<AccountId, u64> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.clone(), 1 + (i as u64 % 2_000)))
        .collect();
    let params = ScoringParams::default();
    println!(
        "poe-aggregator: {} events from {} accounts, {} run(s), {} thread(s) available",
        cmd.events,
        cmd.accounts,
        cmd.runs,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut secs = Vec::with_capacity(cmd.runs);
    let mut last = None;
    for run in 0..cmd.runs {
        let input = events.clone();
        let start = Instant::now();
        let agg = aggregate(
            1,
            input,
            |a| reputation.get(a).copied().unwrap_or(0),
            &params,
        )
        .context("aggregate")?;
        let s = start.elapsed().as_secs_f64();
        println!(
            "run {}: {:.3} s, {:.0} events/s, {} leaves, root {:?}",
            run + 1,
            s,
            cmd.events as f64 / s,
            agg.leaf_count(),
            agg.root
        );
        secs.push(s);
        last = Some(agg);
    }
    secs.sort_by(f64::total_cmp);
    let best = secs[0];
    let median = secs[secs.len() / 2];
    println!(
        "aggregate: best {:.3} s ({:.0} events/s), median {:.3} s ({:.0} events/s)",
        best,
        cmd.events as f64 / best,
        median,
        cmd.events as f64 / median
    );
    if let Some(agg) = last {
        let n = agg.leaf_count().min(100_000);
        let start = Instant::now();
        let mut siblings = 0usize;
        for i in 0..n {
            siblings += agg.proof(i).map_or(0, |p| p.len());
        }
        let s = start.elapsed().as_secs_f64();
        println!(
            "proofs: {n} in {:.3} s ({:.0} proofs/s, {:.1} siblings each)",
            s,
            f64::from(n) / s,
            siblings as f64 / f64::from(n.max(1))
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    fn cmd(dir: &Path, events: PathBuf, reputation: Option<PathBuf>) -> AggregateCmd {
        AggregateCmd {
            period: 4,
            events,
            reputation,
            out: dir.join("out.jsonl"),
            reputation_base: 100,
            reputation_floor: 1,
            score_cap: 1_000,
        }
    }

    #[test]
    fn aggregates_a_file_into_verifiable_claims() {
        let dir = tempfile::tempdir().unwrap();
        let alice = sp_keyring::Sr25519Keyring::Alice.to_account_id();
        let bob = sp_keyring::Sr25519Keyring::Bob.to_account_id();
        let bob_hex = format!("0x{}", hex::encode(<[u8; 32]>::from(bob.clone())));
        let events = write(
            dir.path(),
            "events.jsonl",
            &format!(
                "{{\"account\":\"{}\",\"weight\":3}}\n\n{{\"account\":\"{bob_hex}\",\"weight\":5}}\n{{\"account\":\"{}\",\"weight\":2}}\n",
                alice.to_ss58check(),
                alice.to_ss58check()
            ),
        );
        let rep = write(
            dir.path(),
            "rep.jsonl",
            &format!(
                "{{\"account\":\"{}\",\"reputation\":100}}\n{{\"account\":\"{bob_hex}\",\"reputation\":50}}",
                alice.to_ss58check()
            ),
        );
        let c = cmd(dir.path(), events, Some(rep));
        aggregate_files(&c).unwrap();
        let out = std::fs::read_to_string(&c.out).unwrap();
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        // Alice: 5 × 200 / 100 = 10; Bob: 5 × 150 / 100 = 7.
        assert_eq!(lines[0]["leaves"], 2);
        assert_eq!(lines[0]["totalScore"], "17");
        let root: sp_core::H256 = lines[0]["root"].as_str().unwrap().parse().unwrap();
        for l in &lines[1..] {
            let account = parse_account(l["account"].as_str().unwrap()).unwrap();
            let score: u128 = l["score"].as_str().unwrap().parse().unwrap();
            let index = l["index"].as_u64().unwrap() as u32;
            let proof: Vec<sp_core::H256> = l["proof"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap().parse().unwrap())
                .collect();
            let leaf = pallet_poe::merkle::leaf_hash(4, index, &account, score);
            assert!(pallet_poe::merkle::verify(&root, leaf, index, 2, &proof));
        }
    }

    #[test]
    fn bad_input_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let bad_json = write(
            dir.path(),
            "a",
            "{\"account\":\"0x00\",\"weight\":1}\n{oops}\n",
        );
        let e = aggregate_files(&cmd(dir.path(), bad_json, None)).unwrap_err();
        assert!(matches!(e, PoeCliError::BadAccount { line: 1, .. }), "{e}");
        let zero = format!("0x{}", "00".repeat(32));
        let bad_json = write(
            dir.path(),
            "b",
            &format!("{{\"account\":\"{zero}\",\"weight\":1}}\n{{oops}}\n"),
        );
        let e = aggregate_files(&cmd(dir.path(), bad_json, None)).unwrap_err();
        assert!(matches!(e, PoeCliError::BadJson { line: 2, .. }), "{e}");
        let negative = write(
            dir.path(),
            "c",
            &format!("{{\"account\":\"{zero}\",\"weight\":-1}}"),
        );
        let e = aggregate_files(&cmd(dir.path(), negative, None)).unwrap_err();
        assert!(matches!(e, PoeCliError::BadJson { line: 1, .. }), "{e}");
        let long = write(dir.path(), "d", &"x".repeat(MAX_LINE + 10));
        let e = aggregate_files(&cmd(dir.path(), long, None)).unwrap_err();
        assert!(matches!(e, PoeCliError::LineTooLong { line: 1, .. }), "{e}");
        // No reputation file: every account is below the floor of 1.
        let ok = write(
            dir.path(),
            "e",
            &format!("{{\"account\":\"{zero}\",\"weight\":1}}"),
        );
        let e = aggregate_files(&cmd(dir.path(), ok, None)).unwrap_err();
        assert!(
            matches!(e, PoeCliError::Aggregate(AggregateError::NoLeaves)),
            "{e}"
        );
        let e = aggregate_files(&cmd(dir.path(), dir.path().join("missing"), None)).unwrap_err();
        assert!(matches!(e, PoeCliError::Io { .. }), "{e}");
    }
}
