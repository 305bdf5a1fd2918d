//! `micrograd train`, `eval` and `data`, run as a user would: real configs,
//! real files, real signals.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use micrograd::train::datasets::{self, Synthetic};

use super::{fails_with, micrograd_in};

const TRAJECTORY: &str = include_str!("../../data/micrograd_demo_trajectory.csv");

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The stderr of a run that must have succeeded.
fn succeeded(output: &Output) -> String {
    super::assert_success(output);
    String::from_utf8(output.stderr.clone()).expect("utf-8")
}

/// Trains a shipped config quietly, its outputs in `out`, and checks it succeeded.
fn train_config(config: &str, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "train",
        "--config",
        config,
        "--out",
        out.to_str().expect("a UTF-8 path"),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    succeeded(&micrograd_in(&repo("."), &args));
}

fn saved_model(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("the model was written"))
        .expect("valid JSON")
}

/// Decodes a PNG and checks its size and that it is not one flat colour.
fn assert_picture(path: &Path, size: (u32, u32)) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("the PNG exists"),
    ));
    let mut reader = decoder.read_info().expect("a valid PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
    let info = reader.next_frame(&mut pixels).expect("decodes");
    assert_eq!((info.width, info.height), size, "{}", path.display());
    let pixels = &pixels[..info.buffer_size()];
    let white = pixels.chunks(3).filter(|p| p == &[255, 255, 255]).count();
    let total = pixels.len() / 3;
    assert!(
        white < total * 97 / 100,
        "{} is almost blank",
        path.display()
    );
    let mut colours: Vec<&[u8]> = pixels.chunks(3).collect();
    colours.sort();
    colours.dedup();
    assert!(
        colours.len() > 8,
        "{} has only {} colours",
        path.display(),
        colours.len()
    );
}

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
    assert_eq!(model["metrics"]["train"]["accuracy"], 1.0);
    assert_eq!(model["init"], "micrograd");
    assert_eq!(model["rng"], "python");
    assert_picture(&dir.path().join("loss.png"), (900, 700));
    assert_picture(&dir.path().join("boundary.png"), (700, 700));
}

#[test]
fn shipped_configs_reach_their_accuracy() {
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
    let written = super::file_names(&iris);
    assert_eq!(written, ["iris-loss.png", "iris-model.json"]);
}

#[test]
fn eval_reproduces_the_training_metrics() {
    let dir = tempfile::tempdir().expect("a temp dir");
    train_config("configs/circles.json", dir.path(), &[]);
    let model_path = dir.path().join("circles-model.json");
    let trained = saved_model(&model_path);
    let predictions = dir.path().join("predictions.csv");
    let model_arg = model_path.to_str().expect("utf-8");
    let eval = |extra: &[&str]| {
        let mut args = vec!["eval", "--model", model_arg, "--data", "data/circles.csv"];
        args.extend_from_slice(extra);
        micrograd_in(&repo("."), &args)
    };
    let output = eval(&[
        "--json",
        "--predictions",
        predictions.to_str().expect("utf-8"),
    ]);
    succeeded(&output);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    for key in ["samples", "loss", "accuracy", "classes", "confusion"] {
        assert_eq!(report[key], trained["metrics"]["train"][key], "{key}");
    }
    let csv = std::fs::read_to_string(&predictions).expect("predictions written");
    assert_eq!(
        csv.lines().next(),
        Some("x1,x2,label,prediction,score"),
        "the true label beside the prediction"
    );
    assert_eq!(csv.lines().count(), 201);

    let text = eval(&[]);
    let text = String::from_utf8(text.stdout).expect("utf-8");
    assert!(
        text.contains("accuracy  ") && text.contains("confusion matrix"),
        "{text}"
    );
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
}

#[test]
fn eval_checks_the_columns_against_the_model() {
    let dir = tempfile::tempdir().expect("a temp dir");
    succeeded(&micrograd_in(dir.path(), &["train", "-q"]));
    std::fs::write(dir.path().join("other.csv"), "x1,x3,y\n1,2,1\n").expect("written");
    let output = micrograd_in(
        dir.path(),
        &["eval", "--model", "model.json", "--data", "other.csv"],
    );
    fails_with(
        &output,
        &["other.csv", "no column `x2`", "the model reads x1, x2"],
    );
    std::fs::write(dir.path().join("classes.csv"), "x1,x2,y\n1,2,7\n").expect("written");
    let output = micrograd_in(
        dir.path(),
        &["eval", "--model", "model.json", "--data", "classes.csv"],
    );
    fails_with(
        &output,
        &[
            "classes.csv",
            "line 2: class `7` is not one the model knows (-1, 1)",
        ],
    );
    std::fs::write(dir.path().join("broken.json"), "{\"format\": 3}").expect("written");
    let output = micrograd_in(
        dir.path(),
        &["eval", "--model", "broken.json", "--data", "other.csv"],
    );
    fails_with(&output, &["broken.json", "at `format`"]);
}

/// Reads a training run's log until the line of step `step`; returns all it read.
fn read_until_step(stderr: &mut impl std::io::BufRead, step: usize) -> String {
    let marker = format!("step {step} ");
    let mut log = String::new();
    loop {
        let start = log.len();
        let read = stderr.read_line(&mut log).expect("a line");
        assert!(read > 0, "training never logged step {step}: {log}");
        if log[start..].starts_with(&marker) {
            return log;
        }
    }
}

/// The newest pid's child: send it a signal mid-training and see what is left.
fn interrupt(signal: &str, old: &str) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("spiral-model.json"), old).expect("written");
    let out = dir.path().to_str().expect("utf-8");
    let mut child = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args([
            "train",
            "--config",
            "configs/spiral.json",
            "--epochs",
            "100000",
            "--out",
            out,
        ])
        .current_dir(repo("."))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // Wait for training to start (its first log line), not for a time that
    // a busy machine may need more of.
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("piped"));
    let first = read_until_step(&mut stderr, 0);
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("the rest");
    let status = child.wait().expect("it exits");
    let model = std::fs::read_to_string(dir.path().join("spiral-model.json"))
        .expect("a model file is there");
    (status.code(), first + &rest, model)
}

#[test]
fn ctrl_c_stops_after_the_step_and_writes_a_complete_model() {
    let (code, stderr, model) = interrupt("-INT", "old");
    assert_eq!(code, Some(130), "stderr: {stderr}");
    assert!(stderr.contains("interrupted after step"), "{stderr}");
    let model: serde_json::Value = serde_json::from_str(&model).expect("a complete new model");
    assert!(model["metrics"]["steps"].as_u64().expect("steps") > 0);
}

#[test]
fn sigterm_stops_as_ctrl_c_does() {
    let (code, stderr, model) = interrupt("-TERM", "old");
    assert_eq!(code, Some(130), "stderr: {stderr}");
    assert!(stderr.contains("interrupted after step"), "{stderr}");
    let model: serde_json::Value = serde_json::from_str(&model).expect("a complete new model");
    assert!(model["metrics"]["steps"].as_u64().expect("steps") > 0);
}

#[test]
fn a_killed_run_leaves_the_old_model_whole() {
    let (code, _, model) = interrupt("-KILL", "old model");
    assert_eq!(code, None, "killed by a signal");
    assert_eq!(model, "old model");
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
fn graph_draws_a_trained_model() {
    let dir = tempfile::tempdir().expect("a temp dir");
    succeeded(&micrograd_in(dir.path(), &["train", "-q", "--steps", "3"]));
    let neurons = micrograd_in(
        dir.path(),
        &["graph", "--model", "model.json", "--input", "1.0,-0.5"],
    );
    succeeded(&neurons);
    let neurons = String::from_utf8(neurons.stdout).expect("utf-8");
    // 2 inputs + 16 + 16 + 1 neurons, each fully connected to the layer before
    assert_eq!(neurons.matches("[label=").count(), 35);
    assert_eq!(neurons.matches(" -> ").count(), 2 * 16 + 16 * 16 + 16);
    assert!(neurons.contains("x1 = 1 | data 1.0000"), "{neurons}");
    assert!(neurons.contains("L3.N1 linear"));
    let scalar = micrograd_in(
        dir.path(),
        &["graph", "--model", "model.json", "--scalar", "--step", "2"],
    );
    succeeded(&scalar);
    let scalar = String::from_utf8(scalar.stdout).expect("utf-8");
    assert!(scalar.contains("{ L1.N1.w1 | data"), "weights count from 1");
    assert_eq!(scalar.matches("fillcolor=yellow").count(), 1);
    let weights = stdout_of_ok(dir.path(), &["graph", "--model", "model.json", "--weights"]);
    assert_eq!(weights.matches("penwidth=").count(), 2 * 16 + 16 * 16 + 16);
    assert!(weights.contains("color=firebrick") && weights.contains("color=royalblue"));
    // one neuron: 16 inputs, 16 weights, a bias, 16 products, 16 sums, relu
    let neuron = stdout_of_ok(
        dir.path(),
        &[
            "graph",
            "--model",
            "model.json",
            "--neuron",
            "L2.N3",
            "--step",
            "1",
        ],
    );
    assert!(neuron.contains("{ L2.N3.w16 | data") && neuron.contains("{ L1.N16 | data"));
    assert!(neuron.contains("label=\"L2.N3 on x1 = "));
    assert!(neuron.contains("{ L2.N3 | data"), "{neuron}");
    assert_eq!(neuron.matches("fillcolor=yellow").count(), 1);
    for dot in [&neurons, &scalar, &weights, &neuron] {
        super::cli::graphviz_accepts(dot);
    }
    // neurons come out in order, first on top (Graphviz's own layout says)
    if let Some(plain) = super::cli::graphviz_plain(&neurons) {
        let heights: Vec<f64> = (0..16)
            .map(|index| {
                let line = plain
                    .lines()
                    .find(|line| line.starts_with(&format!("node l1n{index} ")))
                    .expect("every neuron is laid out");
                line.split_whitespace()
                    .nth(3)
                    .expect("a y")
                    .parse()
                    .expect("a number")
            })
            .collect();
        assert!(
            heights.windows(2).all(|pair| pair[0] > pair[1]),
            "{heights:?}"
        );
    }
    let output = micrograd_in(dir.path(), &["graph", "--model", "model.json", "--scalar"]);
    let stderr = succeeded(&output);
    assert!(stderr.contains("nodes; Graphviz takes a while") && stderr.contains("--neuron"));
    for (args, message) in [
        (
            &["--neuron", "L4.N1"][..],
            "--neuron L4.N1: the model has layers 1 to 3",
        ),
        (
            &["--neuron", "L2.N17"][..],
            "--neuron L2.N17: layer 2 has neurons 1 to 16",
        ),
        (
            &["--output", "2"][..],
            "--output 2: the model has 1 outputs, 1 to 1",
        ),
    ] {
        let mut all = vec!["graph", "--model", "model.json"];
        all.extend(args);
        fails_with(&micrograd_in(dir.path(), &all), &[message]);
    }
    let zero = micrograd_in(
        dir.path(),
        &["graph", "--model", "model.json", "--output", "0"],
    );
    assert!(String::from_utf8_lossy(&zero.stderr).contains("outputs count from 1"));
    let output = micrograd_in(
        dir.path(),
        &["graph", "--model", "model.json", "--input", "1"],
    );
    fails_with(
        &output,
        &["--input: 1 numbers, but the model reads 2 features (x1, x2)"],
    );
    let output = micrograd_in(
        dir.path(),
        &["graph", "--model", "model.json", "--step", "1"],
    );
    fails_with(&output, &["add --scalar"]);
}

fn stdout_of_ok(dir: &Path, args: &[&str]) -> String {
    let output = micrograd_in(dir, args);
    succeeded(&output);
    String::from_utf8(output.stdout).expect("utf-8")
}

#[test]
fn graph_step_all_writes_a_file_per_step() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let output = micrograd_in(dir.path(), &["graph", "--step", "all", "--out", "frames"]);
    let stderr = succeeded(&output);
    assert!(
        stderr.contains("wrote 12 files, step-00.dot to step-11.dot"),
        "{stderr}"
    );
    let names = super::file_names(&dir.path().join("frames"));
    assert_eq!(names.len(), 12);
    assert_eq!(
        (names[0].as_str(), names[11].as_str()),
        ("step-00.dot", "step-11.dot")
    );
    let read =
        |name: &str| std::fs::read_to_string(dir.path().join("frames").join(name)).expect("a file");
    assert_eq!(read("step-00.dot").matches("fillcolor=white").count(), 10);
    assert_eq!(read("step-05.dot").matches("fillcolor=yellow").count(), 1);
    assert_eq!(
        read("step-11.dot").matches("fillcolor=palegreen").count(),
        10
    );
    fails_with(
        &micrograd_in(dir.path(), &["graph", "--step", "all"]),
        &["--step all writes a file per step: give the directory with --out DIR"],
    );
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

/// The model file does not depend on the thread count: shards are cut by a
/// fixed rule and their grads added in a fixed order. 300 rows make three
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
    super::assert_success(&output);
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

/// `predict` needs the model's features only, in any column order, and
/// gives the same predictions as `eval --predictions`; missing columns are named.
#[test]
fn predict_needs_no_labels() {
    let dir = tempfile::tempdir().expect("a temp dir");
    train_config("configs/circles.json", dir.path(), &["--steps", "20"]);
    let model = dir.path().join("circles-model.json");
    let model = model.to_str().expect("utf-8");
    let evaluated = dir.path().join("evaluated.csv");
    let args = [
        "eval",
        "--model",
        model,
        "--data",
        "data/circles.csv",
        "--predictions",
    ];
    let mut args = args.to_vec();
    args.push(evaluated.to_str().expect("utf-8"));
    succeeded(&micrograd_in(&repo("."), &args));
    let evaluated = std::fs::read_to_string(&evaluated).expect("written");
    // the same rows without their labels, columns swapped
    let unlabelled: String = std::fs::read_to_string(repo("data/circles.csv"))
        .expect("shipped")
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            format!("{},{}\n", fields[1], fields[0])
        })
        .collect();
    std::fs::write(dir.path().join("new.csv"), unlabelled).expect("written");
    let output = micrograd_in(
        dir.path(),
        &["predict", "--model", model, "--data", "new.csv"],
    );
    succeeded(&output);
    let predicted = String::from_utf8(output.stdout).expect("utf-8");
    assert_eq!(predicted.lines().next(), Some("x1,x2,prediction,score"));
    for (predicted, evaluated) in predicted.lines().zip(evaluated.lines()).skip(1) {
        let evaluated: Vec<&str> = evaluated.split(',').collect();
        let without_label = [evaluated[0], evaluated[1], evaluated[3], evaluated[4]].join(",");
        assert_eq!(predicted, without_label);
    }
    std::fs::write(dir.path().join("one.csv"), "x1\n1\n").expect("written");
    let output = micrograd_in(
        dir.path(),
        &["predict", "--model", model, "--data", "one.csv"],
    );
    fails_with(
        &output,
        &["one.csv: line 1: no column `x2`", "the model reads x1, x2"],
    );
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

/// A run killed mid-way leaves its last checkpoint; `--resume` from it ends
/// with the very model an unbroken run makes.
#[test]
fn a_killed_run_resumes_from_its_checkpoint_to_the_same_model() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = format!(
        r#"{{"dataset": "{}", "outputs": {{"checkpoint_every": 20}}}}"#,
        repo("data/real/wine-train.csv").display()
    );
    std::fs::write(dir.path().join("config.json"), config).expect("written");
    let train = |args: &[&str]| {
        let mut all = vec!["train", "--config", "config.json", "--quiet"];
        all.extend(args);
        succeeded(&micrograd_in(dir.path(), &all));
    };
    train(&["--steps", "3000", "--out", "whole"]);

    let mut child = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args([
            "train",
            "-c",
            "config.json",
            "--steps",
            "3000",
            "--log-every",
            "1",
        ])
        .args(["--out", "broken"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("piped"));
    read_until_step(&mut stderr, 100);
    child.kill().expect("killed");
    child.wait().expect("it exits");
    let checkpoint = saved_model(&dir.path().join("broken/model.json"));
    let steps = checkpoint["metrics"]["steps"].as_u64().expect("steps");
    assert!(steps >= 100 && steps.is_multiple_of(20), "{steps} steps");
    if steps == 3000 {
        return; // the run ended before the kill landed: nothing to resume
    }
    train(&[
        "--steps",
        "3000",
        "--out",
        "broken",
        "--resume",
        "broken/model.json",
    ]);
    let read = |name: &str| std::fs::read(dir.path().join(name)).expect("a model file");
    assert!(read("whole/model.json") == read("broken/model.json"));
}

#[test]
fn resume_refuses_a_model_of_another_shape_or_data() {
    let dir = tempfile::tempdir().expect("a temp dir");
    succeeded(&micrograd_in(dir.path(), &["train", "-q", "--steps", "5"]));
    // the demo's model, weights only: a new optimizer, and the steps go on
    let output = micrograd_in(
        dir.path(),
        &[
            "train",
            "--resume",
            "model.json",
            "--steps",
            "8",
            "--out",
            "more",
        ],
    );
    let stderr = succeeded(&output);
    assert!(
        stderr.contains("after step 5, with a new optimizer"),
        "{stderr}"
    );
    assert!(stderr.contains("step 7 loss"), "{stderr}");
    assert_eq!(
        saved_model(&dir.path().join("more/model.json"))["metrics"]["steps"],
        8
    );
    let output = micrograd_in(
        dir.path(),
        &["train", "--resume", "model.json", "--steps", "5"],
    );
    fails_with(&output, &["has had 5 steps already", "--steps"]);
    std::fs::write(dir.path().join("c.json"), r#"{"dataset": "d.csv"}"#).expect("written");
    std::fs::write(dir.path().join("d.csv"), "x1,x2,y\n1,2,-1\n2,1,1\n").expect("written");
    let output = micrograd_in(
        dir.path(),
        &["train", "-c", "c.json", "--resume", "model.json"],
    );
    fails_with(&output, &["the model's layers are", "the config's"]);
    std::fs::write(dir.path().join("d.csv"), "a,b,y\n1,2,-1\n2,1,1\n").expect("written");
    let output = micrograd_in(
        dir.path(),
        &["train", "-c", "c.json", "--resume", "model.json"],
    );
    fails_with(&output, &["the model reads x1, x2, the data has a, b"]);
}

#[test]
fn graph_model_html_draws_the_network_as_a_page() {
    let dir = tempfile::tempdir().expect("a temp dir");
    succeeded(&micrograd_in(dir.path(), &["train", "-q", "--steps", "3"]));
    let page = stdout_of_ok(
        dir.path(),
        &["graph", "--model", "model.json", "--html", "-"],
    );
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    // 2 inputs, 16 + 16 hidden neurons, the one output
    assert_eq!(page.matches("class=\"node\"").count(), 35);
    assert_eq!(
        page.matches("<title>weight ").count(),
        2 * 16 + 16 * 16 + 16
    );
    assert!(page.contains("stroke:#c01c28") && page.contains("stroke:#1a5fb4"));
    assert_eq!(
        page.matches("class=\"op\"").count(),
        0,
        "a neuron is one record"
    );
    let output = micrograd_in(
        dir.path(),
        &["graph", "--model", "model.json", "--html", "-", "--scalar"],
    );
    assert_eq!(
        output.status.code(),
        Some(2),
        "--html draws the network, not its scalars"
    );
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

/// Every config the project ships is one `train` accepts.
#[test]
fn every_shipped_config_is_valid() {
    let names = super::file_names(&repo("configs"));
    assert!(names.len() >= 7, "{names:?}");
    for name in names {
        let text = std::fs::read_to_string(repo("configs").join(&name)).expect("a config");
        micrograd::train::config::Config::from_json(&text)
            .unwrap_or_else(|err| panic!("{name}: {err}"));
    }
}
