//! `train --resume`: what it refuses.

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
