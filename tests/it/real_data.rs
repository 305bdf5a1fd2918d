//! The defaults on five public datasets (`data/real/`), against scikit-learn's
//! MLP with its defaults on the same train and test files. Its scores were
//! made by `python benches/real_data.py score` and are read from
//! `data/real/sklearn_scores.csv`, so this test needs no Python. It is slow,
//! and runs only with `MICROGRAD_SLOW_TESTS=1` (`.ci/run` sets it).

use super::{assert_success, micrograd_in, slow_tests};

/// scikit-learn's mean test score over its seeds 0-4, per dataset.
fn sklearn_means() -> Vec<(String, f64)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/real/sklearn_scores.csv");
    let text = std::fs::read_to_string(path).expect("the reference scores are shipped");
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let mean = fields.last().expect("a mean").parse().expect("a number");
            (fields[0].to_string(), mean)
        })
        .collect()
}

/// A config that names only the dataset (`train --data`, every setting at
/// its default, seed 0) scores within 2 points of accuracy, or 0.03 R², of
/// scikit-learn's MLP with its defaults, or better.
#[test]
fn defaults_reach_scikit_learn_on_five_datasets() {
    if !slow_tests("defaults_reach_scikit_learn_on_five_datasets") {
        return;
    }
    let means = sklearn_means();
    assert_eq!(means.len(), 5);
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data/real");
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut report = Vec::new();
    for (name, theirs) in &means {
        let train = format!("{data}/{name}-train.csv");
        let test = format!("{data}/{name}-test.csv");
        let out = dir.path().join(name);
        let out = out.to_str().expect("a UTF-8 path");
        assert_success(&micrograd_in(
            dir.path(),
            &["train", "--data", &train, "--out", out, "--quiet"],
        ));
        let model = format!("{out}/model.json");
        let output = micrograd_in(
            dir.path(),
            &["eval", "--model", &model, "--data", &test, "--json"],
        );
        assert_success(&output);
        let metrics: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("eval --json prints JSON");
        let (ours, slack) = match metrics["accuracy"].as_f64() {
            Some(accuracy) => (100.0 * accuracy, 2.0),
            None => (metrics["r2"].as_f64().expect("R² for regression"), 0.03),
        };
        report.push(format!("{name}: {ours:.3} against {theirs:.3}"));
        assert!(ours >= theirs - slack, "{}", report.join("; "));
    }
}
