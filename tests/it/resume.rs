//! `train --resume`: what it refuses, and model files it will not load.

use super::{fails_with, micrograd_in, saved_model, succeeded};

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
    fails_with(
        &output,
        &["model.json: the model has had 5 steps already", "--steps"],
    );
    std::fs::write(dir.path().join("c.json"), r#"{"dataset": "d.csv"}"#).expect("written");
    std::fs::write(dir.path().join("d.csv"), "x1,x2,y\n1,2,-1\n2,1,1\n").expect("written");
    let output = micrograd_in(
        dir.path(),
        &["train", "-c", "c.json", "--resume", "model.json"],
    );
    // a mismatch is the resumed file's: the message names it, not the config
    fails_with(
        &output,
        &["error: model.json: the model's layers are", "the config's"],
    );
    std::fs::write(dir.path().join("d.csv"), "a,b,y\n1,2,-1\n2,1,1\n").expect("written");
    let output = micrograd_in(
        dir.path(),
        &["train", "-c", "c.json", "--resume", "model.json"],
    );
    fails_with(
        &output,
        &["error: model.json: the model reads x1, x2, the data has a, b"],
    );
}

/// Regression: a model file whose Adam state is corrupt (a negative step
/// count or second moment) was loaded, and training then blamed the
/// learning rate; a step count of i32::MAX overflowed silently and resumed
/// steps changed no weight. The state is checked on load, naming the field.
#[test]
fn corrupt_optimizer_state_is_refused_on_load() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    std::fs::write(dir.join("d.csv"), "x1,x2,y\n0,1,a\n1,0,b\n1,1,a\n0,0,b\n").expect("written");
    std::fs::write(
        dir.join("c.json"),
        r#"{"dataset": "d.csv", "steps": 4, "outputs": {"checkpoint_every": 2}}"#,
    )
    .expect("written");
    super::assert_success(&micrograd_in(dir, &["train", "-c", "c.json", "-q"]));
    let model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("model.json")).expect("a model"))
            .expect("JSON");
    type Corrupt = fn(&mut serde_json::Value);
    let cases: [(&str, Corrupt); 3] = [
        ("at `training.optimizer.t`", |adam| adam["t"] = (-5).into()),
        ("at `training.optimizer.t`", |adam| {
            adam["t"] = i32::MAX.into()
        }),
        ("at `training.optimizer.v`", |adam| {
            adam["v"][0] = (-1.0).into()
        }),
    ];
    for (message, corrupt) in cases {
        let mut broken = model.clone();
        corrupt(&mut broken["training"]["optimizer"]);
        std::fs::write(dir.join("broken.json"), broken.to_string()).expect("written");
        let output = micrograd_in(
            dir,
            &[
                "train",
                "-c",
                "c.json",
                "--resume",
                "broken.json",
                "--steps",
                "9",
                "--out",
                "o",
            ],
        );
        fails_with(&output, &["broken.json", message]);
        let output = micrograd_in(dir, &["eval", "--model", "broken.json", "--data", "d.csv"]);
        fails_with(&output, &["broken.json", message]);
    }
}

/// A checkpoint keeps where the mini-batches stand, so going on from it
/// replays nothing and ends with the model an unbroken run makes.
/// Regression: without that state, a model claiming 10^12 steps replayed
/// every step's shuffle, forever, deaf to Ctrl-C; now it is refused at once.
#[test]
fn going_on_replays_no_shuffles() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    let rows: String = (0..40)
        .map(|i| {
            format!(
                "{},{},{}\n",
                i % 7,
                i % 5,
                if i % 3 == 0 { "a" } else { "b" }
            )
        })
        .collect();
    std::fs::write(dir.join("d.csv"), format!("x1,x2,y\n{rows}")).expect("written");
    std::fs::write(
        dir.join("c.json"),
        r#"{"dataset": "d.csv", "batch_size": 8, "outputs": {"checkpoint_every": 3}}"#,
    )
    .expect("written");
    let train = |args: &[&str]| {
        let mut all = vec!["train", "-c", "c.json", "-q"];
        all.extend(args);
        succeeded(&micrograd_in(dir, &all));
    };
    train(&["--steps", "17", "--out", "whole"]);
    train(&["--steps", "7", "--out", "half"]);
    let half = saved_model(&dir.join("half/model.json"));
    let order = &half["training"]["batches"]["order"];
    assert_eq!(order.as_array().map(Vec::len), Some(40), "{half}");
    train(&[
        "--steps",
        "17",
        "--out",
        "half",
        "--resume",
        "half/model.json",
    ]);
    let read = |name: &str| std::fs::read(dir.join(name)).expect("a model file");
    assert!(read("whole/model.json") == read("half/model.json"));

    // weights only, and a claim of 10^12 steps: refused, not replayed
    let mut claim = half.clone();
    claim["training"] = serde_json::Value::Null;
    claim["metrics"]["steps"] = 1_000_000_000_000u64.into();
    std::fs::write(dir.join("claim.json"), claim.to_string()).expect("written");
    let output = micrograd_in(
        dir,
        &[
            "train",
            "-c",
            "c.json",
            "--resume",
            "claim.json",
            "--steps",
            "1000000000001",
        ],
    );
    fails_with(
        &output,
        &["claim.json", "replaying", "outputs.checkpoint_every"],
    );
    // a saved order that is not one of these rows
    let mut broken = half.clone();
    broken["training"]["batches"]["order"][0] = 39.into();
    std::fs::write(dir.join("broken.json"), broken.to_string()).expect("written");
    let output = micrograd_in(
        dir,
        &[
            "train",
            "-c",
            "c.json",
            "--resume",
            "broken.json",
            "--steps",
            "20",
        ],
    );
    fails_with(&output, &["broken.json", "at `training.batches.order`"]);
}
