//! The shipped configs: each is valid, and each reaches its accuracy. The
//! training runs are slow, and run only with `MICROGRAD_SLOW_TESTS=1`
//! (`.ci/run` sets it).

use super::{file_names, repo, saved_model, slow_tests, train_config};

#[test]
fn shipped_configs_reach_their_accuracy() {
    if !slow_tests("shipped_configs_reach_their_accuracy") {
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let cases = [
        ("configs/micrograd_demo.json", "model.json", "train", 1.0),
        ("configs/iris.json", "iris-model.json", "validation", 0.95),
        ("configs/xor.json", "xor-model.json", "train", 0.97),
        ("configs/circles.json", "circles-model.json", "train", 0.97),
        ("configs/moons.json", "moons-model.json", "validation", 0.97),
    ];
    for (config, model, split, want) in cases {
        train_config(config, dir.path(), &[]);
        let accuracy = saved_model(&dir.path().join(model))["metrics"][split]["accuracy"]
            .as_f64()
            .expect(config);
        assert!(
            accuracy >= want,
            "{config}: {split} accuracy {accuracy} < {want}"
        );
    }
    // iris has four features: a model and a loss plot, no decision boundary
    let iris = dir.path().join("iris");
    train_config("configs/iris.json", &iris, &[]);
    let written = file_names(&iris);
    assert_eq!(written, ["iris-loss.png", "iris-model.json"]);
}

/// Every config the project ships is one `train` accepts.
#[test]
fn every_shipped_config_is_valid() {
    let names = file_names(&repo("configs"));
    assert!(names.len() >= 7, "{names:?}");
    for name in names {
        let text = std::fs::read_to_string(repo("configs").join(&name)).expect("a config");
        micrograd::train::config::Config::from_json(&text)
            .unwrap_or_else(|err| panic!("{name}: {err}"));
    }
}
