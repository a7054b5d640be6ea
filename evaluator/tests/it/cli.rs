//! `echonet-evaluator eval-least-squares` (and `hash`, `store-put`) on good and bad files:
//! every bad input is a one-line typed error and exit status 1, never a panic.

use std::path::Path;

use crate::harness::{example, run};
use echonet_evaluator::least_squares::{self, LsError, NumberError};
use tempfile::TempDir;

/// Runs `eval-least-squares` on a model and data text; returns (status code, stdout, stderr).
fn eval_texts(model: &str, data: &str) -> (Option<i32>, String, String) {
    let dir = TempDir::new().unwrap();
    let (m, d) = (dir.path().join("model.json"), dir.path().join("data.csv"));
    std::fs::write(&m, model).unwrap();
    std::fs::write(&d, data).unwrap();
    eval_paths(&m, &d)
}

fn eval_paths(model: &Path, data: &Path) -> (Option<i32>, String, String) {
    let out = run(&[
        "eval-least-squares",
        "--model",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts a clean failure whose message contains `needle`.
fn assert_refused((code, stdout, stderr): (Option<i32>, String, String), needle: &str) {
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert!(stdout.is_empty(), "printed a score: {stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in {stderr:?}");
}

const MODEL: &str = r#"{"weights": [2, "-1"], "bias": 0.5}"#;
const DATA: &str = "x1,x2,y\n1,1,1.5\n2,0,4.5\n";

#[test]
fn a_good_pair_prints_one_integer() {
    let (code, stdout, _) = eval_texts(MODEL, DATA);
    assert_eq!(code, Some(0));
    assert_eq!(stdout, "0\n");
    let (code, stdout, _) = eval_texts(MODEL, "x1,x2,y\r\n1,1,2.5\r\n\r\n");
    assert_eq!((code, stdout.as_str()), (Some(0), "1000000\n"));
}

#[test]
fn a_missing_file_is_named() {
    let dir = TempDir::new().unwrap();
    let nowhere = dir.path().join("nope.json");
    assert_refused(
        eval_paths(&nowhere, &example("data.csv")),
        "nope.json: no such file",
    );
    assert_refused(
        eval_paths(&example("model-good.json"), &dir.path().join("nope.csv")),
        "nope.csv: no such file",
    );
    assert!(matches!(
        least_squares::Model::load(&nowhere),
        Err(LsError::Missing { .. })
    ));
}

#[test]
fn bad_json_is_refused() {
    for (model, needle) in [
        ("{", "not a model"),
        ("[1, 2]", "not a model"),
        (r#"{"weights": [1, 2]}"#, "missing field `bias`"),
        (
            r#"{"weights": [1, 2], "bias": 0, "extra": 1}"#,
            "unknown field `extra`",
        ),
        (r#"{"weights": [], "bias": 0}"#, "0 weights"),
        (r#"{"weights": [1, true], "bias": 0}"#, "weights[1]"),
        (
            r#"{"weights": [1, 2], "bias": 1e3}"#,
            "bias: \"1e3\" is not a decimal",
        ),
        (r#"{"weights": [1, "x"], "bias": 0}"#, "weights[1]"),
        (
            r#"{"weights": [1, 0.1234567], "bias": 0}"#,
            "more than 6 decimals",
        ),
    ] {
        assert_refused(eval_texts(model, DATA), needle);
    }
    let dir = TempDir::new().unwrap();
    let bin = dir.path().join("m.json");
    std::fs::write(&bin, [0xff, 0xfe, 0]).unwrap();
    assert_refused(eval_paths(&bin, &example("data.csv")), "not UTF-8");
}

#[test]
fn a_wrong_dimension_is_refused() {
    assert_refused(
        eval_texts(r#"{"weights": [1, 2, 3], "bias": 0}"#, DATA),
        "the model has 3 weights but the dataset has 2 features",
    );
    assert_refused(
        eval_texts(MODEL, "x1,x2,y\n1,2,3\n4,5\n"),
        "line 3: 2 fields, the header has 3",
    );
    assert_refused(eval_texts(MODEL, "x1,x3,y\n1,2,3\n"), "the header must be");
    assert_refused(eval_texts(MODEL, "a,b\n1,2\n"), "the header must be");
    assert_refused(eval_texts(MODEL, ""), "the header must be");
    assert_refused(eval_texts(MODEL, "x1,x2,y\n"), "no data rows");
}

#[test]
fn non_numeric_csv_is_refused_with_its_place() {
    for (data, needle) in [
        (
            "x1,x2,y\n1,abc,3\n",
            "line 2, column x2: \"abc\" is not a decimal",
        ),
        ("x1,x2,y\n1,2,3\n1,,3\n", "line 3, column x2: empty number"),
        ("x1,x2,y\n1,2,NaN\n", "column y: \"NaN\""),
        ("x1,x2,y\n1,2,1e5\n", "column y: \"1e5\""),
        ("x1,x2,y\n1,2,0x10\n", "column y"),
    ] {
        assert_refused(eval_texts(MODEL, data), needle);
    }
}

#[test]
fn overflow_sized_numbers_are_refused() {
    let huge = "123456789012345678901234567890";
    assert_refused(
        eval_texts(MODEL, &format!("x1,x2,y\n1,{huge},3\n")),
        "larger in magnitude than 1000000",
    );
    assert_refused(
        eval_texts(&format!(r#"{{"weights": [{huge}, 1], "bias": 0}}"#), DATA),
        "weights[0]",
    );
    assert_refused(
        eval_texts(
            &format!(r#"{{"weights": [1, 1], "bias": "-{huge}"}}"#),
            DATA,
        ),
        "bias",
    );
    // Every number within range, but a loss beyond i64: the arithmetic says so.
    let big = r#"{"weights": [1000000, 1000000], "bias": 1000000}"#;
    let rows: String = (0..4).map(|_| "-1000000,-1000000,1000000\n").collect();
    assert_refused(
        eval_texts(big, &format!("x1,x2,y\n{rows}")),
        "overflows the fixed-point arithmetic",
    );
    assert_eq!(
        least_squares::parse_fixed(huge),
        Err(NumberError::OutOfRange(huge.to_string()))
    );
}

#[test]
fn oversized_files_are_refused_without_reading_them_whole() {
    let dir = TempDir::new().unwrap();
    let m = dir.path().join("big.json");
    let f = std::fs::File::create(&m).unwrap();
    f.set_len(least_squares::MAX_MODEL_BYTES + 1).unwrap();
    assert_refused(
        eval_paths(&m, &example("data.csv")),
        "larger than 1048576 bytes",
    );
}

#[test]
fn hash_and_store_put_name_a_file_by_its_blake2_256() {
    let dir = TempDir::new().unwrap();
    let model = example("model-good.json");
    let expected = format!(
        "0x{}",
        hex::encode(sp_crypto_hashing::blake2_256(
            &std::fs::read(&model).unwrap()
        ))
    );
    let out = run(&["hash", model.to_str().unwrap()]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), expected);
    let store = dir.path().join("store");
    let out = run(&[
        "store-put",
        "--store",
        store.to_str().unwrap(),
        model.to_str().unwrap(),
    ]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), expected);
    assert_eq!(
        std::fs::read(store.join(&expected[2..])).unwrap(),
        std::fs::read(&model).unwrap()
    );
    let out = run(&["hash", dir.path().join("none").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn run_without_the_chain_feature_says_how_to_get_it() {
    let dir = TempDir::new().unwrap();
    let out = run(&[
        "run",
        "--suri",
        "//Dave",
        "--store",
        dir.path().to_str().unwrap(),
        "--eval-cmd",
        "cat {file}",
        "--state",
        dir.path().join("s.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    if cfg!(feature = "chain") {
        assert!(!stderr.contains("--features chain"), "{stderr}");
    } else {
        assert!(stderr.contains("--features chain"), "{stderr}");
    }
    // A bad template is refused before anything else.
    let out = run(&[
        "run",
        "--suri",
        "//Dave",
        "--store",
        dir.path().to_str().unwrap(),
        "--eval-cmd",
        "cat",
        "--state",
        dir.path().join("s.json").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("must contain {file}"));
}
