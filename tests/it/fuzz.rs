//! No input makes a parser panic: arbitrary bytes, and valid documents with
//! random edits, fed to the config, CSV, model-file and expression parsers
//! (`--set` has its own in the binary's `cli/expression.rs`). Each runs 256
//! cases, or as many as `MICROGRAD_FUZZ_CASES` says:
//! `MICROGRAD_FUZZ_CASES=100000 cargo test --release fuzz` runs 100,000 per parser.

use micrograd::show::expr;
use micrograd::train::config::Config;
use micrograd::train::data::{Columns, Dataset};
use micrograd::train::model::SavedModel;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};

const VALID_CONFIG: &str = r#"{"dataset": "d.csv", "columns": {"features": ["x1", "x2"], "target": "y"},
 "task": "binary", "model": {"hidden": [4, 3], "activation": ["relu", "tanh"]}, "loss": "hinge",
 "l2": 0.001, "optimizer": {"kind": "adam", "lr": 0.01, "beta1": 0.9}, "steps": 5,
 "batch_size": 2, "seed": 3, "validation_split": 0.25, "outputs": {"model": "m.json"}}"#;

const VALID_CSV: &str = "x1,x2,y\n1.5,-2,a\n\"3\",4e2,b\n\n-0.5,0.25,a\n7,8,\"c, d\"\n";

const VALID_EXPR: &str =
    "n = x1*w1 + x2*w2 + b; o = tanh(n); o += relu(-o)**2 / exp(o) - log(2) + o.sigmoid()";

/// A valid model file, trained on nothing: the shape is what matters.
fn valid_model() -> String {
    let layer = |weights: &str, biases: &str, activation: &str| {
        format!(r#"{{"activation": "{activation}", "weights": {weights}, "biases": {biases}}}"#)
    };
    format!(
        r#"{{"format": "micrograd-rs model", "version": 1, "task": "binary", "loss": "hinge",
 "features": ["x1", "x2"], "target": "y", "classes": ["a", "b"],
 "standardization": {{"mean": [0.5, -1], "std": [2, 0.5]}},
 "layers": [{}, {}], "seed": 0, "init": "portable",
 "metrics": {{"steps": 1, "train": {{"samples": 2, "loss": 0.5, "accuracy": 0.5,
   "classes": [{{"class": "a", "precision": 1.0, "recall": 0.5, "support": 2}}],
   "confusion": [[1, 1], [0, 0]]}}, "validation": null}}}}"#,
        layer("[[1, -2], [0.5, 3]]", "[0, 0.1]", "relu"),
        layer("[[1, 1]]", "[0]", "linear"),
    )
}

/// Each parser, on any text: a result, never a panic.
fn parse_all(text: &str) {
    let _ = Config::from_json(text);
    if let Ok(model) = SavedModel::from_json(text) {
        evaluate_on_a_small_set(&model);
        // what loads, exports
        use micrograd::train::export::{self, Precision};
        let _ = (
            export::onnx(&model, Precision::F64),
            export::safetensors(&model, Precision::F32),
        );
    }
    let columns = Columns {
        features: Some(vec!["x1".into(), "x2".into()]),
        target: Some("y".into()),
    };
    let _ = Dataset::from_csv(text, &columns);
    if let Ok(dataset) = Dataset::from_csv(text, &Columns::default()) {
        let _ = micrograd::train::Problem::new(&dataset, None, None);
    }
    if let Ok(program) = expr::parse(text) {
        let values = [
            ("x1", 2.0),
            ("x2", 0.0),
            ("w1", -3.0),
            ("w2", 1.0),
            ("b", 6.88),
        ];
        let values: Vec<(String, f64)> = values.iter().map(|(n, v)| (n.to_string(), *v)).collect();
        if let Ok(built) = program.build(&values) {
            built.output.backward();
        }
    }
    // an error message is made from the input too
    if let Err(err) = expr::parse(text) {
        let _ = err.to_string();
    }
}

/// What `eval` does with a model that parsed: it must not panic either.
fn evaluate_on_a_small_set(model: &SavedModel) {
    let columns = Columns {
        features: Some(model.features.clone()),
        target: Some(model.target.clone()),
    };
    let Ok(dataset) = Dataset::from_csv("x1,x2,y\n1,2,a\n3,-4,b\n", &columns) else {
        return;
    };
    let Ok(problem) = micrograd::train::Problem::for_model(model, &dataset) else {
        return;
    };
    let rows: Vec<Vec<f64>> = dataset
        .features
        .iter()
        .map(|row| match &model.standardization {
            Some(standardization) => standardization.apply(row),
            None => row.clone(),
        })
        .collect();
    let network = model.to_mlp();
    let _ = micrograd::train::evaluate(&network, &problem, &rows, &problem.target);
    let _ = micrograd::train::outputs(&network, &rows);
}

/// `valid` with `edits` applied: each deletes, inserts or replaces a
/// character at a position (taken modulo the length).
fn edited(valid: &str, edits: &[(u8, usize, char)]) -> String {
    let mut chars: Vec<char> = valid.chars().collect();
    for &(kind, at, c) in edits {
        let at = if chars.is_empty() {
            0
        } else {
            at % (chars.len() + 1)
        };
        match kind % 3 {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 => chars.insert(at, c),
            _ if at < chars.len() => chars[at] = c,
            _ => chars.push(c),
        }
    }
    chars.into_iter().collect()
}

/// Characters that matter to the parsers, and now and then any character.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(
            "{}[]\",:;=+-*/()., \n\r\t0123456789eE.xyabnrltu_\\\u{e9}\u{0}".chars().collect::<Vec<_>>()
        ),
        1 => any::<char>(),
    ]
}

fn edits() -> impl Strategy<Value = Vec<(u8, usize, char)>> {
    prop::collection::vec((any::<u8>(), any::<usize>(), interesting_char()), 1..12)
}

fn run(cases: u32, valid: &str) {
    let mut runner = TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    runner
        .run(&edits(), |edits| {
            parse_all(&edited(valid, &edits));
            Ok(())
        })
        .expect("no panic");
}

fn run_bytes(cases: u32) {
    let mut runner = TestRunner::new(RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..200), |bytes| {
            parse_all(&String::from_utf8_lossy(&bytes));
            Ok(())
        })
        .expect("no panic");
}

/// 256 cases per parser, or `MICROGRAD_FUZZ_CASES` (CI sets more).
fn cases() -> u32 {
    std::env::var("MICROGRAD_FUZZ_CASES").map_or(256, |cases| {
        cases
            .parse()
            .expect("MICROGRAD_FUZZ_CASES is a number of cases")
    })
}

#[test]
fn fuzz_configs() {
    run(cases(), VALID_CONFIG);
}

#[test]
fn fuzz_csv() {
    run(cases(), VALID_CSV);
}

#[test]
fn fuzz_models() {
    run(cases(), &valid_model());
}

#[test]
fn fuzz_expressions() {
    run(cases(), VALID_EXPR);
}

#[test]
fn fuzz_bytes() {
    run_bytes(cases());
}

#[test]
fn the_valid_documents_are_valid() {
    Config::from_json(VALID_CONFIG).expect("a valid config");
    SavedModel::from_json(&valid_model()).expect("a valid model");
    Dataset::from_csv(VALID_CSV, &Columns::default()).expect("a valid CSV");
    expr::parse(VALID_EXPR).expect("a valid expression");
}
