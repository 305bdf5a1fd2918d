//! `micrograd train` and `data`, run as a user would: real configs and real
//! files.

use micrograd::train::datasets::{self, Synthetic};

use super::{
    assert_picture, assert_success, fails_with, micrograd_in, repo, saved_model, succeeded,
    train_config,
};

const TRAJECTORY: &str = include_str!("../../data/micrograd_demo_trajectory.csv");

#[test]
fn default_train_reproduces_micrograds_demo() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let stderr = succeeded(&micrograd_in(dir.path(), &["train"]));
    // step K loss L (data D + L2 R), accuracy A%
    let logged: Vec<(f64, f64)> = stderr
        .lines()
        .filter(|line| line.starts_with("step "))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields[4], "(data", "the loss is told apart: {line}");
            let after = |key: &str| {
                let at = fields.iter().position(|f| *f == key).expect(key);
                fields[at + 1].trim_end_matches([',', '%', ')'])
            };
            let loss: f64 = after("loss").parse().expect("a loss");
            let accuracy = after("accuracy").parse().expect("an accuracy");
            let parts: f64 = after("(data").parse::<f64>().expect("the data loss")
                + after("L2").parse::<f64>().expect("the L2 term");
            assert!((parts - loss).abs() < 2e-6, "{line}");
            (loss, accuracy)
        })
        .collect();
    assert_eq!(logged.len(), 100);
    for (step, (line, got)) in TRAJECTORY.lines().skip(1).zip(&logged).enumerate() {
        let want: Vec<f64> = line
            .split(',')
            .map(|field| field.parse().expect("a number"))
            .collect();
        if step == 0 {
            assert_eq!(got.0, want[1], "step 0 loss is exact");
        }
        assert!(
            ((got.0 - want[1]) / want[1]).abs() < 1e-12,
            "step {step}: loss {} vs micrograd {}",
            got.0,
            want[1]
        );
        assert_eq!(got.1, want[2], "step {step}: accuracy");
    }
    assert_eq!(logged[99].1, 100.0);
    let model = saved_model(&dir.path().join("model.json"));
    let accuracy = |report: &serde_json::Value| report["accuracy"].as_f64().expect("accuracy");
    assert!(accuracy(&model["metrics"]["train"]) >= 0.98, "{model}");
    assert_eq!(model["init"], "micrograd");
    assert_eq!(model["rng"], "python");
    assert_picture(&dir.path().join("loss.png"), (900, 700));
    assert_picture(&dir.path().join("boundary.png"), (700, 700));
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let run = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        train_config("configs/xor.json", &out, extra);
        std::fs::read(out.join("xor-model.json")).expect("written")
    };
    assert_eq!(run("a", &[]), run("b", &[]));
    assert_ne!(run("a", &[]), run("c", &["--seed", "99"]));
}

#[test]
fn bad_csv_files_name_the_file_line_and_column() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let cases: [(&str, &[&str]); 7] = [
        (
            "x1,x2,y\n1,2,1\n3,4\n",
            &["bad.csv", "line 3", "2 fields, but the header has 3"],
        ),
        (
            "x1,x2,y\n1,2,1\n3,four,-1\n",
            &[
                "bad.csv",
                "line 3, column 2 (`x2`)",
                "`four` is not a number",
            ],
        ),
        (
            "x1,x2,y\n1,NaN,1\n",
            &["bad.csv", "line 2, column 2 (`x2`)", "not a finite number"],
        ),
        (
            "x1,x2,y\n1,2,1\ninf,2,-1\n",
            &["bad.csv", "line 3, column 1 (`x1`)", "not a finite number"],
        ),
        ("", &["bad.csv", "the file is empty"]),
        ("x1,x2,label\n1,2,1\n", &["bad.csv", "no column `y`"]),
        (
            "x1,x2,y\n1,2,\n",
            &["bad.csv", "line 2, column 3 (`y`)", "the target is empty"],
        ),
    ];
    let config = r#"{"dataset": "bad.csv", "columns": {"target": "y"}, "steps": 2}"#;
    std::fs::write(dir.path().join("config.json"), config).expect("written");
    for (csv, needles) in cases {
        std::fs::write(dir.path().join("bad.csv"), csv).expect("written");
        fails_with(
            &micrograd_in(dir.path(), &["train", "--config", "config.json"]),
            needles,
        );
        assert!(
            !dir.path().join("model.json").exists(),
            "nothing written for {csv:?}"
        );
    }
}

#[test]
fn bad_configs_name_the_field() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("d.csv"), "a,y\n1,1\n2,-1\n").expect("written");
    let cases: [(&str, &[&str]); 6] = [
        (
            r#"{"dataset": "d.csv", "optimizer": {"lr": "fast"}}"#,
            &["config.json", "at `optimizer.lr`", "invalid type"],
        ),
        (
            r#"{"dataset": "d.csv", "epochz": 3}"#,
            &["config.json", "unknown field `epochz`"],
        ),
        (
            r#"{"steps": 3}"#,
            &["config.json", "missing field `dataset`"],
        ),
        (
            r#"{"dataset": "missing.csv"}"#,
            &["missing.csv", "cannot read"],
        ),
        (
            r#"{"dataset": "d.csv", "loss": "mse"}"#,
            &["config.json", "the loss mse does not fit a binary task"],
        ),
        (
            r#"{"dataset": "d.csv",}"#,
            &["config.json", "line 1 column"],
        ),
    ];
    for (config, needles) in cases {
        std::fs::write(dir.path().join("config.json"), config).expect("written");
        fails_with(
            &micrograd_in(dir.path(), &["train", "--config", "config.json"]),
            needles,
        );
    }
    fails_with(
        &micrograd_in(dir.path(), &["train", "--config", "nope.json"]),
        &["nope.json", "cannot read"],
    );
    let output = micrograd_in(dir.path(), &["train", "--lr=-1"]);
    fails_with(
        &output,
        &[
            "the built-in demo",
            "with the command-line options",
            "optimizer.lr",
        ],
    );
}

#[test]
fn divergence_stops_with_advice_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("d.csv"), "a,y\n1,100\n2,-300\n3,5000\n").expect("written");
    let config = r#"{"dataset": "d.csv", "standardize": false, "standardize_target": false,
            "model": {"activation": "relu"}, "optimizer": {"kind": "sgd", "lr": 1e6}, "steps": 50}"#;
    std::fs::write(dir.path().join("config.json"), config).expect("written");
    let output = micrograd_in(dir.path(), &["train", "--config", "config.json"]);
    fails_with(&output, &["diverged at step", "try a lower learning rate"]);
    assert!(!dir.path().join("model.json").exists());
    assert!(!dir.path().join("loss.png").exists());
    // Regression: with checkpoints, the message said only "diverged", while
    // model.json was the last checkpoint, beside an older run's plots.
    let config = config.replace(
        r#""steps": 50"#,
        r#""steps": 50, "outputs": {"checkpoint_every": 1}"#,
    );
    std::fs::write(dir.path().join("config.json"), config).expect("written");
    let output = micrograd_in(dir.path(), &["train", "--config", "config.json"]);
    fails_with(
        &output,
        &[
            "diverged at step",
            "model.json holds the checkpoint of step",
            "not this run's",
        ],
    );
}

#[test]
fn data_makes_seeded_csv() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let first = micrograd_in(dir.path(), &["data", "spiral", "--n", "30", "--seed", "4"]);
    let second = micrograd_in(dir.path(), &["data", "spiral", "--n", "30", "--seed", "4"]);
    assert_eq!(first.stdout, second.stdout);
    let csv = String::from_utf8(first.stdout).expect("utf-8");
    assert_eq!(csv.lines().next(), Some("x1,x2,label"));
    assert_eq!(csv.lines().count(), 31);
}

#[test]
fn regression_trains_and_evaluates() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut csv = String::from("a,b,target\n");
    for i in 0..80 {
        let (a, b) = ((i % 9) as f64 / 4.0 - 1.0, (i % 7) as f64 / 3.0 - 1.0);
        csv.push_str(&format!("{a},{b},{}\n", 2.0 * a - b + 0.5));
    }
    std::fs::write(dir.path().join("linear.csv"), csv).expect("written");
    let config = r#"{"dataset": "linear.csv", "model": {"hidden": [8]}, "optimizer": {"kind": "adam", "lr": 0.05}, "steps": 300}"#;
    std::fs::write(dir.path().join("config.json"), config).expect("written");
    let stderr = succeeded(&micrograd_in(
        dir.path(),
        &["train", "--config", "config.json", "--log-every", "100"],
    ));
    assert!(
        stderr.contains("step 100 loss") && stderr.contains("R² "),
        "{stderr}"
    );
    let model = saved_model(&dir.path().join("model.json"));
    assert_eq!(model["task"], "regression");
    assert_eq!(model["loss"], "mse");
    assert!(model["metrics"]["train"]["r2"].as_f64().expect("R²") > 0.99);
    assert!(
        !dir.path().join("boundary.png").exists(),
        "no boundary for a regression"
    );
    let output = micrograd_in(
        dir.path(),
        &[
            "eval",
            "--model",
            "model.json",
            "--data",
            "linear.csv",
            "--json",
        ],
    );
    succeeded(&output);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    for key in ["loss", "mse", "mae", "r2"] {
        assert_eq!(report[key], model["metrics"]["train"][key], "{key}");
    }
}

/// A circle inside a circle is a line in x1² and x2²: a network with no
/// hidden layer learns it from those made features alone. The model file
/// names them, and `eval` and `predict` make them from the same raw CSV.
#[test]
fn made_features_and_l1() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let csv = micrograd_in(
        dir.path(),
        &["data", "circles", "--n", "200", "--seed", "3"],
    );
    std::fs::write(dir.path().join("circles.csv"), csv.stdout).expect("written");
    let config = r#"{"dataset": "circles.csv", "columns": {"features": ["x1^2", "x2^2"]},
        "model": {"hidden": []}, "l1": 0.001, "l2": 0, "steps": 300,
        "optimizer": {"kind": "adam", "lr": 0.05}}"#;
    std::fs::write(dir.path().join("config.json"), config).expect("written");
    let stderr = succeeded(&micrograd_in(
        dir.path(),
        &["train", "--config", "config.json", "--log-every", "100"],
    ));
    assert!(stderr.contains("+ L1 0."), "the L1 term is shown: {stderr}");
    let model = saved_model(&dir.path().join("model.json"));
    assert_eq!(model["features"], serde_json::json!(["x1^2", "x2^2"]));
    let accuracy = |report: &serde_json::Value| report["accuracy"].as_f64().expect("accuracy");
    assert!(accuracy(&model["metrics"]["train"]) >= 0.98, "{model}");
    let output = micrograd_in(
        dir.path(),
        &[
            "eval",
            "--model",
            "model.json",
            "--data",
            "circles.csv",
            "--json",
        ],
    );
    succeeded(&output);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(accuracy(&report) >= 0.98, "{report}");
    // predict reads x1 and x2 and writes the features the model took
    let output = micrograd_in(
        dir.path(),
        &["predict", "--model", "model.json", "--data", "circles.csv"],
    );
    succeeded(&output);
    let predictions = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        predictions.starts_with("x1^2,x2^2,prediction,score\n"),
        "{predictions}"
    );
    // without L1 the weights differ; on x1 and x2 a line cannot do it
    let args = [
        "train",
        "--config",
        "config.json",
        "--quiet",
        "--out",
        "other",
    ];
    let other = dir.path().join("other/model.json");
    let without_l1 = config.replace(r#""l1": 0.001"#, r#""l1": 0"#);
    std::fs::write(dir.path().join("config.json"), without_l1).expect("written");
    succeeded(&micrograd_in(dir.path(), &args));
    assert_ne!(saved_model(&other)["layers"], model["layers"]);
    let plain = config.replace(r#"["x1^2", "x2^2"]"#, r#"["x1", "x2"]"#);
    std::fs::write(dir.path().join("config.json"), plain).expect("written");
    succeeded(&micrograd_in(dir.path(), &args));
    assert!(accuracy(&saved_model(&other)["metrics"]["train"]) < 0.8);
}

/// The model file does not depend on the thread count: shards are cut by a
/// fixed rule and their grads added in a fixed order. 300 rows make four
/// shards, with L2, cross-entropy and Adam on the way.
#[test]
fn the_model_is_the_same_bytes_for_any_thread_count() {
    let models: Vec<Vec<u8>> = ["1", "2", "3"]
        .iter()
        .map(|threads| {
            let dir = tempfile::tempdir().expect("a temp dir");
            let extra = ["--batch-size", "300", "--steps", "25", "--threads", threads];
            train_config("configs/spiral.json", dir.path(), &extra);
            std::fs::read(dir.path().join("spiral-model.json")).expect("the model was written")
        })
        .collect();
    assert!(models[0] == models[1], "1 and 2 threads differ");
    assert!(models[0] == models[2], "1 and 3 threads differ");
}

/// Integer labels with a few values are classes, and `train` says what it
/// chose and how to choose otherwise (issue 8's inferred-task line).
#[test]
fn the_inferred_task_is_said() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    let mut csv = String::from("a,b,digit\n");
    for i in 0..40 {
        let k = i % 4;
        csv.push_str(&format!(
            "{},{},{k}\n",
            k as f64 + 0.1 * (i as f64).sin(),
            -(k as f64)
        ));
    }
    std::fs::write(dir.join("ints.csv"), csv).expect("written");
    std::fs::write(dir.join("c.json"), r#"{"dataset": "ints.csv", "steps": 3}"#).expect("written");
    let output = micrograd_in(dir, &["train", "-c", "c.json"]);
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "task: multiclass, inferred from `digit` (4 distinct integers); loss: cross_entropy, \
         the task's default (set \"task\" or \"loss\" in the config to choose)"
    );
    let model = saved_model(&dir.join("model.json"));
    assert_eq!(model["task"], "multiclass");
    assert_eq!(model["classes"], serde_json::json!(["0", "1", "2", "3"]));
    // said as given, when the config gives it
    let config = r#"{"dataset": "ints.csv", "steps": 3, "task": "regression"}"#;
    std::fs::write(dir.join("r.json"), config).expect("written");
    let output = micrograd_in(dir, &["train", "-c", "r.json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("task: regression, from the config; loss: mse, the task's default"),
        "{stderr}"
    );
}

/// `--data` trains on a CSV with every setting at its default, or replaces
/// the config's dataset; a missing file is named.
#[test]
fn data_on_the_command_line() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    let csv = datasets::generate(Synthetic::Circles, 60, 0.05, 2);
    std::fs::write(dir.join("rings.csv"), csv).expect("written");
    let stderr = succeeded(&micrograd_in(
        dir,
        &["train", "--data", "rings.csv", "--steps", "5"],
    ));
    assert!(stderr.contains("inferred from `label`"), "{stderr}");
    assert!(
        stderr.contains("wrote model.json") || stderr.contains("wrote ./model.json"),
        "{stderr}"
    );
    let model = saved_model(&dir.join("model.json"));
    assert_eq!(model["features"], serde_json::json!(["x1", "x2"]));
    // with a config: its settings, this data
    let config = repo("configs/xor.json");
    let args = [
        "train",
        "--config",
        config.to_str().expect("utf-8"),
        "--data",
        "rings.csv",
        "-q",
    ];
    succeeded(&micrograd_in(dir, &args));
    let model = saved_model(&dir.join("xor-model.json"));
    assert_eq!(
        model["metrics"]["steps"].as_u64(),
        Some(300),
        "xor's length"
    );
    assert_eq!(
        model["metrics"]["train"]["samples"].as_u64(),
        Some(60),
        "rings' rows"
    );
    let output = micrograd_in(dir, &["train", "--data", "missing.csv"]);
    fails_with(&output, &["missing.csv: cannot read"]);
}

/// `validation_data` validates on another file, with the training data's
/// columns and classes; a file without them is named.
#[test]
fn validation_from_another_file() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).expect("written");
    write("train.csv", &datasets::generate(Synthetic::Xor, 80, 0.0, 1));
    write("check.csv", &datasets::generate(Synthetic::Xor, 30, 0.0, 2));
    write(
        "c.json",
        r#"{"dataset": "train.csv", "validation_data": "check.csv", "steps": 5}"#,
    );
    succeeded(&micrograd_in(dir, &["train", "-c", "c.json", "-q"]));
    let model = saved_model(&dir.join("model.json"));
    assert_eq!(model["metrics"]["train"]["samples"].as_u64(), Some(80));
    assert_eq!(model["metrics"]["validation"]["samples"].as_u64(), Some(30));
    let cases = [
        ("x1,label\n1,0\n", "check.csv: line 1: no column `x2`"),
        (
            "x1,x2,label\n1,2,7\n",
            "check.csv: line 2: class `7` is not one",
        ),
    ];
    for (csv, message) in cases {
        write("check.csv", csv);
        fails_with(
            &micrograd_in(dir, &["train", "-c", "c.json", "-q"]),
            &[message],
        );
    }
    write(
        "both.json",
        r#"{"dataset": "train.csv", "validation_data": "check.csv", "validation_split": 0.2}"#,
    );
    let output = micrograd_in(dir, &["train", "-c", "both.json", "-q"]);
    fails_with(
        &output,
        &["give `validation_split` or `validation_data`, not both"],
    );
}

/// With `patience`, training stops once the validation loss has not improved
/// for that many epochs, and the model holds the best epoch's weights.
#[test]
fn early_stopping_keeps_the_best_epoch() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).expect("written");
    write(
        "train.csv",
        &datasets::generate(Synthetic::Circles, 200, 0.05, 1),
    );
    write(
        "check.csv",
        &datasets::generate(Synthetic::Circles, 100, 0.05, 2),
    );
    let config = r#"{"dataset": "train.csv", "validation_data": "check.csv", "epochs": 1000,
        "patience": 5, "batch_size": 20, "optimizer": {"kind": "adam", "lr": 0.05}}"#;
    write("c.json", config);
    let stderr = succeeded(&micrograd_in(dir, &["train", "-c", "c.json"]));
    let model = saved_model(&dir.join("model.json"));
    let best = model["metrics"]["best_epoch"]
        .as_u64()
        .expect("the best epoch") as usize;
    let summary = stderr
        .lines()
        .find(|line| line.starts_with("early stopping:"))
        .expect("a summary line");
    let epochs: usize = summary
        .split("stopped after epoch ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(epochs < 1000, "it stopped early");
    assert_eq!(epochs - best, 5, "{summary}");
    assert!(summary.contains(&format!("kept epoch {best}")), "{summary}");
    // the kept weights score the validation loss that epoch logged
    let output = micrograd_in(
        dir,
        &[
            "eval",
            "--model",
            "model.json",
            "--data",
            "check.csv",
            "--json",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["loss"], model["metrics"]["validation"]["loss"]);
    // patience without validation rows is an error
    write("bad.json", r#"{"dataset": "train.csv", "patience": 3}"#);
    let output = micrograd_in(dir, &["train", "-c", "bad.json", "-q"]);
    fails_with(
        &output,
        &[
            "at `patience`",
            "give `validation_split` or `validation_data`",
        ],
    );
}

/// A target in the hundreds is learnt on the scale of mean 0 and std 1, and
/// the model file predicts in the target's units.
#[test]
fn regression_targets_are_standardised_and_predicted_in_their_units() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut csv = String::from("x,price\n");
    for i in 0..60 {
        let x = i as f64 / 59.0;
        csv += &format!("{x},{}\n", 500.0 + 200.0 * x);
    }
    std::fs::write(dir.path().join("d.csv"), &csv).expect("written");
    std::fs::write(dir.path().join("new.csv"), "x\n0\n1\n").expect("written");
    let train = |extra: &str| {
        let config = format!(r#"{{"dataset": "d.csv", "steps": 300{extra}}}"#);
        std::fs::write(dir.path().join("config.json"), config).expect("written");
        succeeded(&micrograd_in(
            dir.path(),
            &["train", "-c", "config.json", "-q"],
        ));
        saved_model(&dir.path().join("model.json"))["metrics"]["train"]["r2"]
            .as_f64()
            .expect("R²")
    };
    // 300 steps of Adam at 0.001 move raw weights by about 0.3: far from 500
    assert!(train(r#", "standardize_target": false"#) < 0.0);
    assert!(train("") > 0.99);
    let output = micrograd_in(
        dir.path(),
        &["predict", "--model", "model.json", "--data", "new.csv"],
    );
    succeeded(&output);
    let predictions: Vec<f64> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .map(|line| {
            line.rsplit(',')
                .next()
                .expect("a field")
                .parse()
                .expect("a number")
        })
        .collect();
    assert_eq!(predictions.len(), 2);
    assert!((predictions[0] - 500.0).abs() < 10.0, "{predictions:?}");
    assert!((predictions[1] - 700.0).abs() < 10.0, "{predictions:?}");
}

#[test]
fn boundary_animation_is_a_gif_of_the_training() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = r#"{"dataset": "d.csv", "steps": 60, "batch_size": 100,
        "outputs": {"boundary_animation": "training.gif", "animation_every": 25}}"#;
    std::fs::write(dir.path().join("config.json"), config).expect("written");
    let mut csv = String::from("a,b,label\n");
    for i in 0..40 {
        let (a, b) = ((i % 8) as f64 - 3.5, (i / 8) as f64 - 2.0);
        csv += &format!("{a},{b},{}\n", if a * b > 0.0 { "yes" } else { "no" });
    }
    std::fs::write(dir.path().join("d.csv"), csv).expect("written");
    succeeded(&micrograd_in(
        dir.path(),
        &["train", "-c", "config.json", "-q"],
    ));
    let file = std::fs::File::open(dir.path().join("training.gif")).expect("the GIF");
    let mut decoder = gif::DecodeOptions::new().read_info(file).expect("a GIF");
    assert_eq!((decoder.width(), decoder.height()), (800, 400));
    let mut frames = 0;
    while let Some(frame) = decoder.read_next_frame().expect("a frame") {
        assert_eq!((frame.width, frame.height), (800, 400));
        frames += 1;
    }
    // before steps 0, 25 and 50, and after the last
    assert_eq!(frames, 4);
    // a regression has no regions to draw
    std::fs::write(dir.path().join("r.csv"), "x,y\n1,2.5\n2,3.5\n3,1.25\n").expect("written");
    let config = r#"{"dataset": "r.csv", "outputs": {"boundary_animation": "r.gif"}}"#;
    std::fs::write(dir.path().join("r.json"), config).expect("written");
    let output = micrograd_in(dir.path(), &["train", "-c", "r.json"]);
    fails_with(
        &output,
        &["outputs.boundary_animation", "2-feature classification"],
    );
    assert!(!dir.path().join("r.gif").exists());
}
