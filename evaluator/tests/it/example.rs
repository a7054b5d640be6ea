//! The example least-squares domain shipped in `examples/domains/least-squares/`: its data
//! is what the generator below produces, its spec names that data, and its two models score
//! as the README says.

use crate::harness::{example, run};
use echonet_evaluator::least_squares::{self, format_fixed, Dataset, Model, SCALE};

/// The true model behind data.csv: y = 0.25 + 1.5·x1 − 2·x2 + 0.5·x3 + 3·x4 + noise.
const TRUE_WEIGHTS: [i64; 4] = [1_500_000, -2_000_000, 500_000, 3_000_000];
const TRUE_BIAS: i64 = 250_000;
const ROWS: usize = 200;

/// splitmix64: a fixed, portable pseudo-random sequence.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-half, half] (the modulo bias is irrelevant here).
    fn centred(&mut self, half: i64) -> i64 {
        (self.next() % (2 * half as u64 + 1)) as i64 - half
    }
}

/// data.csv: 200 rows, x in [-5, 5], noise in [-0.1, 0.1], everything at 6 decimals.
fn generate() -> String {
    let mut rng = SplitMix(16);
    let mut out = String::from("x1,x2,x3,x4,y\n");
    for _ in 0..ROWS {
        let x: Vec<i64> = (0..4).map(|_| rng.centred(5 * SCALE)).collect();
        let noise = rng.centred(SCALE / 10);
        let signal: i64 = TRUE_WEIGHTS.iter().zip(&x).map(|(w, x)| w * x).sum();
        let y = TRUE_BIAS + signal.div_euclid(SCALE) + noise;
        let fields: Vec<String> = x.iter().chain([&y]).map(|v| format_fixed(*v)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

#[test]
fn data_csv_is_the_generators_output() {
    let generated = generate();
    let path = example("data.csv");
    if std::env::var_os("UPDATE_EXAMPLE").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        committed == generated,
        "data.csv differs from the generator; UPDATE_EXAMPLE=1 rewrites it"
    );
    let data = Dataset::from_csv(&committed, &path).unwrap();
    assert_eq!((data.rows(), data.features), (ROWS, 4));
}

#[test]
fn the_true_model_scores_the_noise_and_the_shipped_models_score_as_documented() {
    let data = Dataset::load(&example("data.csv")).unwrap();
    let truth = Model {
        weights: TRUE_WEIGHTS.to_vec(),
        bias: TRUE_BIAS,
    };
    let noise = least_squares::loss(&truth, &data).unwrap();
    // Uniform noise on [-0.1, 0.1] has variance 0.01/3 ≈ 0.00333: about 3333 at scale 10^6.
    assert!((2_500..4_200).contains(&noise), "{noise}");

    let good =
        least_squares::evaluate_files(&example("model-good.json"), &example("data.csv")).unwrap();
    let bad =
        least_squares::evaluate_files(&example("model-bad.json"), &example("data.csv")).unwrap();
    assert!(good < noise + 1_000, "good {good}, noise {noise}");
    assert!(bad > 100 * good, "bad {bad}, good {good}");
    // The scores the README and spec.json quote.
    let readme = std::fs::read_to_string(example("README.md")).unwrap();
    assert!(
        readme.contains(&format!("`{good}`")),
        "README lacks the good score {good}"
    );
    assert!(
        readme.contains(&format!("`{bad}`")),
        "README lacks the bad score {bad}"
    );

    // The CLI prints the same numbers, one line each.
    for (model, score) in [("model-good.json", good), ("model-bad.json", bad)] {
        let out = run(&[
            "eval-least-squares",
            "--model",
            example(model).to_str().unwrap(),
            "--data",
            example("data.csv").to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{score}\n"));
    }
}

#[test]
fn the_fixed_point_loss_agrees_with_a_float_reference() {
    // Only the test uses floats: an independent check of the integer arithmetic.
    let data = Dataset::load(&example("data.csv")).unwrap();
    for name in ["model-good.json", "model-bad.json"] {
        let model = Model::load(&example(name)).unwrap();
        let s = SCALE as f64;
        let mut sum = 0.0;
        for (row, y) in data.x.chunks(4).zip(&data.y) {
            let p = model.bias as f64 / s
                + model
                    .weights
                    .iter()
                    .zip(row)
                    .map(|(w, x)| (*w as f64 / s) * (*x as f64 / s))
                    .sum::<f64>();
            sum += (*y as f64 / s - p).powi(2);
        }
        let reference = sum / data.rows() as f64 * s;
        let fixed = least_squares::loss(&model, &data).unwrap() as f64;
        assert!(
            (fixed - reference).abs() <= 1.0 + reference * 1e-9,
            "{name}: fixed {fixed}, float {reference}"
        );
    }
}

#[test]
fn spec_json_names_the_shipped_data_and_the_scale() {
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(example("spec.json")).unwrap()).unwrap();
    let data = std::fs::read(example("data.csv")).unwrap();
    assert_eq!(
        spec["data"]["blake2_256"],
        format!("0x{}", hex::encode(sp_crypto_hashing::blake2_256(&data)))
    );
    assert_eq!(spec["scale"], SCALE);
    assert_eq!(spec["direction"], "lower");
    assert_eq!(spec["data"]["rows"], ROWS);
    assert!(spec["tolerance"].as_i64().is_some());
}
