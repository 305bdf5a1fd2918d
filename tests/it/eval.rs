//! `micrograd eval` and `predict` on trained models: the metrics training
//! reported, the columns checked, predictions without labels.

use super::{fails_with, micrograd_in, repo, saved_model, succeeded, train_config};

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

/// Regression: features named `score` and `prediction` made `predict` write
/// a header with a name twice, which micrograd could not read back.
#[test]
fn predictions_name_each_column_once() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    let csv = "prediction,score,y\n0,1,a\n1,0,b\n1,1,a\n0,0,b\n";
    std::fs::write(dir.join("d.csv"), csv).expect("written");
    succeeded(&micrograd_in(
        dir,
        &["train", "--data", "d.csv", "--steps", "3", "-q"],
    ));
    let first = micrograd_in(
        dir,
        &["predict", "--model", "model.json", "--data", "d.csv"],
    );
    let out = String::from_utf8(first.stdout).expect("utf-8");
    assert!(
        out.starts_with("prediction,score,prediction_,score_\n"),
        "{out}"
    );
    std::fs::write(dir.join("p.csv"), &out).expect("written");
    // read back: its own columns found by name, once each
    let again = micrograd_in(
        dir,
        &["predict", "--model", "model.json", "--data", "p.csv"],
    );
    let again = String::from_utf8(again.stdout).expect("utf-8");
    assert!(
        again.starts_with("prediction,score,prediction_,score_\n"),
        "{again}"
    );
}
