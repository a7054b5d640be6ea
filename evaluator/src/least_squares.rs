//! The example domain's evaluation: the mean squared error of a linear model on a CSV
//! dataset, in fixed point, with integer arithmetic only.
//!
//! Every evaluator of the domain must reach the same score bit for bit, whatever its
//! machine, so no float touches the scored path:
//! - numbers are decimal text (`-1.25`, `"0.000001"`), at most [`DECIMALS`] decimals and at
//!   most [`MAX_ABS`] in magnitude, read exactly as integers scaled by [`SCALE`];
//! - a row's prediction `bias + Σ wⱼ·xⱼ` is summed exactly in `i128` at scale `SCALE²`; the
//!   residual `y − prediction` is brought back to scale `SCALE` rounding toward −∞
//!   (`div_euclid`);
//! - the loss is `Σ residual² / (rows · SCALE)`, truncated: the mean squared error times
//!   `SCALE`, as an `i64`. Every step is checked: a sum that does not fit is
//!   [`LsError::Overflow`], never a wrapped number.
//!
//! Files are read with size limits ([`MAX_DATA_BYTES`], [`MAX_MODEL_BYTES`]) and every
//! defect is a typed [`LsError`] naming the file, line and column.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::value::RawValue;

/// The fixed-point scale: a number `v` is held as `v × SCALE`.
pub const SCALE: i64 = 1_000_000;
/// How many decimals a number may have (`SCALE = 10^DECIMALS`).
pub const DECIMALS: usize = 6;
/// The largest magnitude of any input number (features, targets, weights, bias).
pub const MAX_ABS: i64 = 1_000_000;
/// The most features a dataset may have.
pub const MAX_FEATURES: usize = 64;
/// The largest dataset file read.
pub const MAX_DATA_BYTES: u64 = 64 * 1024 * 1024;
/// The largest model file read.
pub const MAX_MODEL_BYTES: u64 = 1024 * 1024;

/// Why a number's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Nothing where a number was expected.
    #[error("empty number")]
    Empty,
    /// Not a plain decimal (`-12.5`); exponents and other characters are refused.
    #[error("{0:?} is not a decimal number like -12.5 (no exponents, no spaces inside)")]
    Invalid(String),
    /// More decimals than the fixed point holds.
    #[error("{0:?} has more than {DECIMALS} decimals")]
    TooManyDecimals(String),
    /// Larger in magnitude than [`MAX_ABS`].
    #[error("{0:?} is larger in magnitude than {MAX_ABS}")]
    OutOfRange(String),
}

/// Why an evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum LsError {
    /// The file does not exist.
    #[error("{path}: no such file")]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is larger than its limit.
    #[error("{path}: larger than {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error("{path}: not UTF-8 text")]
    NotText {
        /// The file.
        path: PathBuf,
    },
    /// The model is not the expected JSON object.
    #[error("{path}: not a model {{\"weights\": [..], \"bias\": ..}}: {error}")]
    ModelJson {
        /// The file.
        path: PathBuf,
        /// What the JSON parser said.
        error: String,
    },
    /// A number of the model is refused.
    #[error("{path}: {field}: {error}")]
    ModelNumber {
        /// The file.
        path: PathBuf,
        /// `weights[i]` or `bias`.
        field: String,
        /// Why.
        error: NumberError,
    },
    /// The dataset's first line is not `x1,…,xd,y`.
    #[error("{path}: the header must be x1,x2,…,xd,y (1 ≤ d ≤ {MAX_FEATURES}), found {found:?}")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// The line found (shortened).
        found: String,
    },
    /// A row has the wrong number of fields.
    #[error("{path}: line {line}: {found} fields, the header has {expected}")]
    RowWidth {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// A field of the dataset is not a number the evaluation accepts.
    #[error("{path}: line {line}, column {column}: {error}")]
    DataNumber {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The column's header name.
        column: String,
        /// Why.
        error: NumberError,
    },
    /// The dataset has a header but no rows.
    #[error("{path}: no data rows")]
    NoRows {
        /// The file.
        path: PathBuf,
    },
    /// The model's weights do not match the dataset's features.
    #[error("the model has {model} weights but the dataset has {data} features")]
    Dimension {
        /// Weights in the model.
        model: usize,
        /// Features in the dataset.
        data: usize,
    },
    /// The loss does not fit the fixed-point arithmetic (an absurd model).
    #[error("the loss overflows the fixed-point arithmetic (the model is far off the data)")]
    Overflow,
}

/// A linear model: `y ≈ bias + Σ weights[j] · x[j]`, all at scale [`SCALE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// One weight per feature.
    pub weights: Vec<i64>,
    /// The intercept.
    pub bias: i64,
}

/// A dataset: rows of features and a target, all at scale [`SCALE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// Number of features `d`.
    pub features: usize,
    /// Row-major features, `rows × features`.
    pub x: Vec<i64>,
    /// One target per row.
    pub y: Vec<i64>,
}

impl Dataset {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.y.len()
    }
}

/// Parses a decimal such as `-12.5`, `3`, `+0.000001` into `value × SCALE`.
pub fn parse_fixed(text: &str) -> Result<i64, NumberError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(NumberError::Empty);
    }
    let invalid = || NumberError::Invalid(shorten(s));
    let (negative, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err(invalid());
    }
    if body.ends_with('.') {
        return Err(invalid());
    }
    if frac.len() > DECIMALS {
        return Err(NumberError::TooManyDecimals(shorten(s)));
    }
    let out_of_range = || NumberError::OutOfRange(shorten(s));
    let int = int.trim_start_matches('0');
    // MAX_ABS has 7 digits: anything longer is out of range before it can overflow.
    if int.len() > 7 {
        return Err(out_of_range());
    }
    let mut v: i64 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        v = v * 10 + i64::from(b - b'0');
    }
    for _ in frac.len()..DECIMALS {
        v *= 10;
    }
    if v > MAX_ABS * SCALE {
        return Err(out_of_range());
    }
    Ok(if negative { -v } else { v })
}

/// Formats `value × SCALE` back as a decimal with [`DECIMALS`] decimals.
pub fn format_fixed(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let s = SCALE as u64;
    format!("{sign}{}.{:06}", a / s, a % s)
}

fn shorten(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Reads `path` whole, refusing files over `limit` bytes.
fn read_limited(path: &Path, limit: u64) -> Result<String, LsError> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => LsError::Missing { path: path.into() },
        _ => LsError::Io {
            path: path.into(),
            source: e,
        },
    })?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LsError::Io {
            path: path.into(),
            source: e,
        })?;
    if bytes.len() as u64 > limit {
        return Err(LsError::TooLarge {
            path: path.into(),
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|_| LsError::NotText { path: path.into() })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel<'a> {
    #[serde(borrow)]
    weights: Vec<&'a RawValue>,
    #[serde(borrow)]
    bias: &'a RawValue,
}

/// A JSON number or a JSON string holding a decimal, read from its text.
fn raw_number(raw: &RawValue) -> Result<i64, NumberError> {
    let text = raw.get();
    if text.starts_with('"') {
        let s: String =
            serde_json::from_str(text).map_err(|_| NumberError::Invalid(shorten(text)))?;
        parse_fixed(&s)
    } else {
        parse_fixed(text)
    }
}

impl Model {
    /// Parses a model: `{"weights": [1.5, "-2.0", …], "bias": 0.25}`. Numbers may be JSON
    /// numbers or strings; either way their decimal text is read exactly.
    pub fn from_json(text: &str, path: &Path) -> Result<Model, LsError> {
        let raw: RawModel<'_> = serde_json::from_str(text).map_err(|e| LsError::ModelJson {
            path: path.into(),
            error: e.to_string(),
        })?;
        if raw.weights.is_empty() || raw.weights.len() > MAX_FEATURES {
            return Err(LsError::ModelJson {
                path: path.into(),
                error: format!(
                    "{} weights; a model has 1 to {MAX_FEATURES}",
                    raw.weights.len()
                ),
            });
        }
        let number = |raw: &RawValue, field: String| {
            raw_number(raw).map_err(|error| LsError::ModelNumber {
                path: path.into(),
                field,
                error,
            })
        };
        let weights = raw
            .weights
            .iter()
            .enumerate()
            .map(|(i, w)| number(w, format!("weights[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let bias = number(raw.bias, "bias".into())?;
        Ok(Model { weights, bias })
    }

    /// Reads and parses the model file at `path` (at most [`MAX_MODEL_BYTES`]).
    pub fn load(path: &Path) -> Result<Model, LsError> {
        Model::from_json(&read_limited(path, MAX_MODEL_BYTES)?, path)
    }
}

impl Dataset {
    /// Parses a CSV dataset: a header `x1,…,xd,y`, then one row of `d + 1` decimals per
    /// line. Blank lines are skipped; `\r\n` line ends are accepted.
    pub fn from_csv(text: &str, path: &Path) -> Result<Dataset, LsError> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty());
        let header: Vec<&str> = match lines.next() {
            Some((_, h)) => h.split(',').map(str::trim).collect(),
            None => {
                return Err(LsError::BadHeader {
                    path: path.into(),
                    found: String::new(),
                })
            }
        };
        let d = header.len().saturating_sub(1);
        let header_ok = (1..=MAX_FEATURES).contains(&d)
            && header[d] == "y"
            && header[..d]
                .iter()
                .enumerate()
                .all(|(j, h)| *h == format!("x{}", j + 1));
        if !header_ok {
            return Err(LsError::BadHeader {
                path: path.into(),
                found: shorten(&header.join(",")),
            });
        }
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (line, row) in lines {
            let fields: Vec<&str> = row.split(',').collect();
            if fields.len() != d + 1 {
                return Err(LsError::RowWidth {
                    path: path.into(),
                    line,
                    expected: d + 1,
                    found: fields.len(),
                });
            }
            for (j, f) in fields.iter().enumerate() {
                let v = parse_fixed(f).map_err(|error| LsError::DataNumber {
                    path: path.into(),
                    line,
                    column: header[j].to_string(),
                    error,
                })?;
                if j < d {
                    x.push(v);
                } else {
                    y.push(v);
                }
            }
        }
        if y.is_empty() {
            return Err(LsError::NoRows { path: path.into() });
        }
        Ok(Dataset { features: d, x, y })
    }

    /// Reads and parses the dataset file at `path` (at most [`MAX_DATA_BYTES`]).
    pub fn load(path: &Path) -> Result<Dataset, LsError> {
        Dataset::from_csv(&read_limited(path, MAX_DATA_BYTES)?, path)
    }
}

/// The loss of `model` on `data`: mean squared error × [`SCALE`], as described in the
/// module docs.
pub fn loss(model: &Model, data: &Dataset) -> Result<i64, LsError> {
    if model.weights.len() != data.features {
        return Err(LsError::Dimension {
            model: model.weights.len(),
            data: data.features,
        });
    }
    let s = i128::from(SCALE);
    let mut sum: i128 = 0;
    for (row, &y) in data.x.chunks_exact(data.features).zip(&data.y) {
        // Scale SCALE²: each term is at most (MAX_ABS·SCALE)² = 10^24 and there are at most
        // MAX_FEATURES + 1 of them, far below i128::MAX (1.7·10^38).
        let mut prediction = i128::from(model.bias) * s;
        for (&w, &x) in model.weights.iter().zip(row) {
            prediction += i128::from(w) * i128::from(x);
        }
        let residual = (i128::from(y) * s - prediction).div_euclid(s);
        let square = residual.checked_mul(residual).ok_or(LsError::Overflow)?;
        sum = sum.checked_add(square).ok_or(LsError::Overflow)?;
    }
    let rows = i128::try_from(data.rows()).map_err(|_| LsError::Overflow)?;
    i64::try_from(sum / (rows * s)).map_err(|_| LsError::Overflow)
}

/// Loads both files and returns the loss: what `echonet-evaluator eval-least-squares`
/// prints.
pub fn evaluate_files(model: &Path, data: &Path) -> Result<i64, LsError> {
    let model = Model::load(model)?;
    let data = Dataset::load(data)?;
    loss(&model, &data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_read_exactly() {
        for (text, v) in [
            ("0", 0),
            ("1", 1_000_000),
            ("-1.5", -1_500_000),
            ("+0.000001", 1),
            (".25", 250_000),
            ("0001000000", 1_000_000_000_000),
            ("-1000000.000000", -1_000_000_000_000),
            (" 2.5 ", 2_500_000),
        ] {
            assert_eq!(parse_fixed(text), Ok(v), "{text}");
        }
        for (text, e) in [
            ("", NumberError::Empty),
            ("1e3", NumberError::Invalid("1e3".into())),
            ("1.", NumberError::Invalid("1.".into())),
            ("-", NumberError::Invalid("-".into())),
            ("--1", NumberError::Invalid("--1".into())),
            ("1 2", NumberError::Invalid("1 2".into())),
            ("NaN", NumberError::Invalid("NaN".into())),
            (
                "0.0000001",
                NumberError::TooManyDecimals("0.0000001".into()),
            ),
            (
                "1000000.000001",
                NumberError::OutOfRange("1000000.000001".into()),
            ),
            (
                "99999999999999999999999999",
                NumberError::OutOfRange("99999999999999999999999999".into()),
            ),
        ] {
            assert_eq!(parse_fixed(text), Err(e), "{text}");
        }
        assert_eq!(format_fixed(-1_500_000), "-1.500000");
        assert_eq!(format_fixed(1), "0.000001");
    }

    #[test]
    fn loss_is_the_fixed_point_mean_squared_error() {
        let p = Path::new("t");
        let data = Dataset::from_csv("x1,y\n1,3\n2,5\n3,7.5\n", p).unwrap();
        // y = 2x + 1 leaves residuals 0, 0, 0.5: MSE = 0.25/3 = 0.083333…
        let model = Model::from_json(r#"{"weights":[2],"bias":1}"#, p).unwrap();
        assert_eq!(loss(&model, &data).unwrap(), 83_333);
        // A residual that is not a multiple of 10^-6 rounds toward −∞: 0.0000005 → 0,
        // −0.0000005 → −0.000001.
        let data = Dataset::from_csv("x1,y\n0.5,0.000001\n", p).unwrap();
        let half = Model::from_json(r#"{"weights":["0.000001"],"bias":0}"#, p).unwrap();
        assert_eq!(loss(&half, &data).unwrap(), 0);
        let data = Dataset::from_csv("x1,y\n0.5,0\n", p).unwrap();
        // residual −0.000001 → squared 10^-12 → ×10^6 truncates to 0; the sign is exercised
        // through div_euclid without changing the truncated loss.
        assert_eq!(loss(&half, &data).unwrap(), 0);
    }
}
