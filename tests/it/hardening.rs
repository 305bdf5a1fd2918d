//! Bad inputs and clashing outputs found by a hostile trial (issue 11): each
//! is a clear one-line error before any work, and no file is lost or mixed.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::micrograd_in;

/// `super::fails_with`, and nothing else on stderr: the error is its only line.
fn fails_with(output: &Output, needles: &[&str]) {
    super::fails_with(output, needles);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("written");
}

const MOONS: &str = "x1,x2,y\n0.1,0.2,1\n0.3,-0.2,-1\n-0.5,0.4,1\n0.9,0.1,-1\n";

#[test]
fn datasets_that_cannot_train_are_refused() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    // the same column name twice: found by name, it would pick the first
    write(dir, "dup.csv", "x,x,y\n1,2,a\n3,4,b\n");
    write(dir, "dup.json", r#"{"dataset": "dup.csv"}"#);
    let output = micrograd_in(dir, &["train", "-c", "dup.json", "-q"]);
    fails_with(&output, &["dup.csv", "line 1, column 2 (`x`)", "column 1"]);
    // one row cannot be split for validation, and one value is nothing to
    // learn: the data's fault, so the message names the CSV (it named the config)
    write(dir, "one.csv", "x,y\n1,3\n");
    write(
        dir,
        "one.json",
        r#"{"dataset": "one.csv", "validation_split": 0.2}"#,
    );
    let output = micrograd_in(dir, &["train", "-c", "one.json", "-q"]);
    fails_with(&output, &["one.csv: `y` has a single value, `3`"]);
    write(dir, "flat.csv", "x,y\n1,3\n2,3\n4,3\n");
    write(dir, "flat.json", r#"{"dataset": "flat.csv"}"#);
    let output = micrograd_in(dir, &["train", "-c", "flat.json", "-q"]);
    fails_with(&output, &["single value"]);
}

#[test]
fn configs_that_clash_with_themselves_are_refused() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    write(dir, "moons.csv", MOONS);
    let cases = [
        (r#"{"dataset": "moons.csv"} xyz"#, "after the JSON document"),
        (
            r#"{"dataset": "moons.csv"}{"dataset": "moons.csv"}"#,
            "after the JSON document",
        ),
        (
            r#"{"dataset": "moons.csv", "outputs": {"model": "a.png", "loss_plot": "a.png"}}"#,
            "at `outputs.loss_plot`: `a.png` is also `outputs.model`",
        ),
        (
            r#"{"dataset": "moons.csv", "outputs": {"boundary_plot": "model.json"}}"#,
            "at `outputs.boundary_plot`",
        ),
        (
            r#"{"dataset": "moons.csv", "outputs": {"model": ""}}"#,
            "at `outputs.model`: the file name is empty",
        ),
        (
            r#"{"dataset": "moons.csv", "columns": {"features": ["x1", "x1"]}}"#,
            "at `columns.features[1]`: `x1` is named twice",
        ),
    ];
    for (config, message) in cases {
        write(dir, "c.json", config);
        let output = micrograd_in(dir, &["train", "-c", "c.json", "-q"]);
        fails_with(&output, &["c.json", message]);
    }
    assert!(!dir.join("model.json").exists(), "nothing was written");
}

/// A model file trained from `MOONS`, in `dir`.
fn trained_model(dir: &Path) -> serde_json::Value {
    write(dir, "moons.csv", MOONS);
    write(dir, "m.json", r#"{"dataset": "moons.csv", "steps": 3}"#);
    let output = micrograd_in(dir, &["train", "-c", "m.json", "-q"]);
    super::assert_success(&output);
    let text = std::fs::read_to_string(dir.join("model.json")).expect("a model");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn model_files_that_cannot_be_right_are_refused() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    let model = trained_model(dir);
    let mut wrong_loss = model.clone();
    wrong_loss["loss"] = "mse".into();
    write(dir, "loss.json", &wrong_loss.to_string());
    for command in [
        &["eval", "--model", "loss.json", "--data", "moons.csv"][..],
        &["graph", "--model", "loss.json"][..],
    ] {
        let output = micrograd_in(dir, command);
        fails_with(
            &output,
            &["loss.json", "at `loss`: mse does not fit a binary task"],
        );
    }
    let mut flat = model;
    flat["standardization"] = serde_json::json!({"mean": [0.0, 0.0], "std": [0.0, 1.0]});
    write(dir, "flat.json", &flat.to_string());
    let output = micrograd_in(
        dir,
        &["eval", "--model", "flat.json", "--data", "moons.csv"],
    );
    fails_with(
        &output,
        &["at `standardization.std[0]`: 0 is not a positive number"],
    );
}

#[test]
fn outputs_never_overwrite_inputs() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    trained_model(dir);
    let output = micrograd_in(
        dir,
        &[
            "eval",
            "--model",
            "model.json",
            "--data",
            "moons.csv",
            "--predictions",
            "./moons.csv",
        ],
    );
    fails_with(&output, &["./moons.csv", "--predictions names an input"]);
    write(
        dir,
        "over.json",
        r#"{"dataset": "moons.csv", "outputs": {"model": "moons.csv"}}"#,
    );
    let output = micrograd_in(dir, &["train", "-c", "over.json", "-q"]);
    fails_with(&output, &["moons.csv", "is an input of this run"]);
    let data = std::fs::read_to_string(dir.join("moons.csv")).expect("still there");
    assert_eq!(data, MOONS);
}

#[test]
fn destinations_are_checked_before_training() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    write(dir, "afile", "");
    // a billion steps: only a check made before training can answer at once
    let output = micrograd_in(dir, &["train", "--steps", "1000000000", "--out", "afile"]);
    fails_with(&output, &["afile: --out names a file"]);
}

#[test]
fn a_failed_write_replaces_no_output() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    write(dir, "moons.csv", MOONS);
    write(dir, "model.json", "old model");
    write(
        dir,
        "c.json",
        r#"{"dataset": "moons.csv", "steps": 2, "outputs": {"loss_plot": "missing/loss.png"}}"#,
    );
    let output = micrograd_in(dir, &["train", "-c", "c.json", "-q"]);
    fails_with(&output, &["missing/loss.png", "No such file or directory"]);
    assert!(!String::from_utf8_lossy(&output.stderr).contains(".micrograd-"));
    let model = std::fs::read_to_string(dir.join("model.json")).expect("still there");
    assert_eq!(model, "old model");
}

#[test]
fn one_run_at_a_time_writes_into_a_directory() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("made");
    // another run holds the directory
    let lock = std::fs::File::open(&out).expect("opened");
    lock.try_lock().expect("free");
    let output = micrograd_in(dir.path(), &["train", "--out", "out", "-q"]);
    fails_with(
        &output,
        &["out: another micrograd run is writing its outputs here"],
    );
    drop(lock);
    // a temporary file of a process that is gone is cleared; one of a live process is not
    let stale = out.join(".micrograd-4000000000-abcdef");
    let live = out.join(format!(".micrograd-{}-abcdef", std::process::id()));
    std::fs::write(&stale, "").expect("made");
    std::fs::write(&live, "").expect("made");
    let output = micrograd_in(dir.path(), &["train", "--out", "out", "-q"]);
    super::assert_success(&output);
    assert!(!stale.exists(), "a dead run's temporary file is cleared");
    assert!(live.exists(), "a live run's is not");
}

#[test]
fn json_into_a_closed_pipe_exits_quietly() {
    let terms: Vec<String> = (0..3000).map(|i| format!("x*{i}")).collect();
    let expr = format!("y = {}", terms.join(" + "));
    for json in [true, false] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_micrograd"))
            .args(["val", "--expr", &expr, "--set", "x=1"])
            .args(json.then_some("--json"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        // as `| head -c 10` does: read a little, then close the pipe
        let mut stdout = child.stdout.take().expect("piped");
        let mut start = [0u8; 10];
        std::io::Read::read_exact(&mut stdout, &mut start).expect("some output");
        drop(stdout);
        let output = child.wait_with_output().expect("it exits");
        assert_eq!(output.status.code(), Some(0), "json: {json}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "json: {json}");
    }
}

#[test]
fn optimizer_settings_out_of_range_are_refused() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    write(dir, "moons.csv", MOONS);
    for (optimizer, message) in [
        (
            r#"{"kind": "momentum", "momentum": 5}"#,
            "at `optimizer.momentum`: 5 is not in [0, 1)",
        ),
        (
            r#"{"kind": "adam", "beta1": 1}"#,
            "at `optimizer.beta1`: 1 is not in [0, 1)",
        ),
        (
            r#"{"kind": "adam", "eps": 0}"#,
            "at `optimizer.eps`: 0 is not a positive number",
        ),
    ] {
        write(
            dir,
            "c.json",
            &format!(r#"{{"dataset": "moons.csv", "optimizer": {optimizer}}}"#),
        );
        let output = micrograd_in(dir, &["train", "-c", "c.json", "-q"]);
        fails_with(&output, &[message]);
    }
}

#[test]
fn counts_on_the_command_line_say_what_they_must_be() {
    let dir = tempfile::tempdir().expect("a temp dir");
    for (flag, value, message) in [
        ("--threads", "0", "must be at least 1"),
        ("--log-every", "0", "must be at least 1"),
        ("--threads", "two", "`two` is not a whole number"),
    ] {
        let output = micrograd_in(dir.path(), &["train", flag, value, "-q"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        // a usage error, as clap gives for any bad argument
        assert_eq!(output.status.code(), Some(2), "{flag} {value}: {stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(
            first.contains(flag) && first.ends_with(message),
            "{flag} {value}: {stderr}"
        );
    }
}

#[test]
fn a_loss_that_grows_a_hundredfold_is_a_warning() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    let config = r#"{"dataset": "moons.csv", "steps": 50, "standardize": false,
        "optimizer": {"kind": "momentum", "lr": 20, "momentum": 0.99}}"#;
    write(dir, "moons.csv", MOONS);
    write(dir, "c.json", config);
    let output = micrograd_in(dir, &["train", "-c", "c.json"]);
    super::assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("warning: the loss grew from"), "{stderr}");
    assert!(last.contains("training diverged"), "{stderr}");
    // a run that learns says nothing of the kind
    write(dir, "ok.json", r#"{"dataset": "moons.csv", "steps": 20}"#);
    let output = micrograd_in(dir, &["train", "-c", "ok.json"]);
    assert!(!String::from_utf8_lossy(&output.stderr).contains("warning"));
}

#[test]
fn expressions_may_start_with_a_minus_or_come_from_a_file() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    let output = micrograd_in(dir, &["val", "--expr", "-x*2", "--set", "x=3", "--json"]);
    super::assert_success(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(output_data(&json), -6.0, "{json}");
    // longer than one argument can be (128 KiB on Linux)
    let terms: Vec<String> = (0..20_000).map(|i| format!("x*{i}")).collect();
    write(dir, "long.expr", &format!("y = {}", terms.join(" + ")));
    let output = micrograd_in(
        dir,
        &["val", "--expr-file", "long.expr", "--set", "x=1", "--json"],
    );
    super::assert_success(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(output_data(&json), (0..20_000).sum::<i64>() as f64);
    let mut child = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["val", "--expr-file", "-", "--set", "x=2", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stdin = child.stdin.take().expect("piped");
    std::io::Write::write_all(&mut stdin, b"y = x**3").expect("written");
    drop(stdin);
    let output = child.wait_with_output().expect("exits");
    super::assert_success(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(output_data(&json), 8.0);
}

/// The output node's data in `val --json`.
fn output_data(json: &serde_json::Value) -> f64 {
    let output = json["output"].as_u64().expect("the output's index") as usize;
    json["nodes"][output]["data"].as_f64().expect("a number")
}

#[test]
fn a_boundary_too_wide_to_draw_is_an_error_before_training() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    write(
        dir,
        "huge.csv",
        "x1,x2,y\n-1e308,0.2,1\n1e308,-0.2,-1\n0.5,0.4,1\n",
    );
    write(
        dir,
        "c.json",
        r#"{"dataset": "huge.csv", "steps": 1000000000}"#,
    );
    // it used to train, then spin forever drawing
    let output = micrograd_in(dir, &["train", "-c", "c.json", "-q"]);
    fails_with(
        &output,
        &[
            "boundary.png: `x1` spans from -1e308 to 1e308",
            "`outputs.boundary_plot` to null",
        ],
    );
}

/// Regression: an animation too wide to draw advised setting
/// `outputs.boundary_plot` to null, when it was null already.
#[test]
fn an_animation_too_wide_to_draw_names_its_own_field() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    write(
        dir,
        "huge.csv",
        "x1,x2,y\n-1e308,0.2,1\n1e308,-0.2,-1\n0.5,0.4,1\n",
    );
    write(
        dir,
        "c.json",
        r#"{"dataset": "huge.csv", "steps": 2,
            "outputs": {"boundary_plot": null, "boundary_animation": "a.gif"}}"#,
    );
    let output = micrograd_in(dir, &["train", "-c", "c.json", "-q"]);
    fails_with(
        &output,
        &[
            "a.gif: `x1` spans from -1e308 to 1e308",
            "set `outputs.boundary_animation` to null",
        ],
    );
}

/// Ctrl-C while drawing: the grid stops between pieces, and nothing is drawn.
#[test]
fn drawing_the_boundary_hears_a_stop() {
    use micrograd::nn::{Activation, MLP};
    use micrograd::rng::{Init, Stream};
    use micrograd::train::data::{Columns, Dataset};
    use std::sync::atomic::AtomicBool;
    let dataset = Dataset::from_csv(MOONS, &Columns::default()).expect("valid");
    let problem = micrograd::train::Problem::new(&dataset, None, None).expect("binary");
    let model = MLP::with_init(
        2,
        &[4, 1],
        &[Activation::Relu, Activation::Linear],
        Init::micrograd(Stream::Portable { seed: 1 }),
    );
    let points: Vec<(Vec<f64>, usize)> =
        dataset.features.iter().cloned().zip([1, 0, 1, 0]).collect();
    let boundary = micrograd::train::plot::Boundary {
        problem: &problem,
        standardization: None,
        points: &points,
        axis_names: ("x1", "x2"),
    };
    let draw = |stop: bool| boundary.png(&model, "t", &AtomicBool::new(stop));
    assert!(draw(false).is_ok());
    // an animation frame's title: the model's loss and accuracy on the points
    let (loss, accuracy) = boundary.score(&model);
    let scores = micrograd::train::outputs(&model, &dataset.features);
    let right = scores
        .iter()
        .zip([1, 0, 1, 0])
        .filter(|(s, class)| usize::from(s[0] > 0.0) == *class)
        .count();
    assert_eq!(accuracy, 100.0 * right as f64 / 4.0);
    assert!(loss.is_finite() && loss >= 0.0, "{loss}");
    assert_eq!(
        draw(true),
        Err(micrograd::train::plot::PlotError::Interrupted)
    );
    let snapshots = [(0, model)];
    let history = micrograd::train::History::default();
    let animate = |stop: bool| boundary.gif(&snapshots, &history, &AtomicBool::new(stop));
    assert!(animate(false).is_ok());
    assert_eq!(
        animate(true),
        Err(micrograd::train::plot::PlotError::Interrupted)
    );
}

#[test]
fn messages_say_what_is_wrong_and_where() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    write(dir, "moons.csv", MOONS);
    let train = |csv: &[u8], config: &str| {
        std::fs::write(dir.join("m.csv"), csv).expect("written");
        write(dir, "c.json", config);
        micrograd_in(dir, &["train", "-c", "c.json", "-q"])
    };
    let config = r#"{"dataset": "m.csv"}"#;
    // an unclosed quote blames the CSV, on one line, not the config
    let output = train(b"x1,x2,y\n1,2,\"a\n3,4,b\n5,6,a\n", config);
    fails_with(
        &output,
        &["m.csv: line 2, column 3 (`y`)", "closing `\"` missing"],
    );
    // not UTF-8: where, and what to do
    let output = train(b"x1,x2,y\n1,2,a\n3,4,caf\xe9\n", config);
    fails_with(
        &output,
        &[
            "line 3, column 8: byte 0xe9 is not UTF-8",
            "save the file as UTF-8",
        ],
    );
    let output = train(b"\xff\xfex\x001\x00", config);
    fails_with(&output, &["the file is UTF-16 text"]);
    // an unknown activation is named, with the known ones
    let output = train(
        MOONS.as_bytes(),
        r#"{"dataset": "m.csv", "model": {"activation": "gelu"}}"#,
    );
    fails_with(
        &output,
        &[
            "at `model.activation`: unknown activation `gelu`: expected relu, tanh, sigmoid or linear",
        ],
    );
    // expressions: an unknown function, and a window around the caret of a long one
    let output = micrograd_in(dir, &["val", "--expr", "y = foo(x)", "--set", "x=1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("unknown function `foo`: the functions are tanh"),
        "{stderr}"
    );
    let terms: Vec<String> = (0..3000).map(|i| format!("x*{i}")).collect();
    let long = format!("{} + )", terms.join(" + "));
    let output = micrograd_in(dir, &["val", "--expr", &long, "--set", "x=1"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.len() < 300,
        "a window, not the whole expression: {} bytes",
        stderr.len()
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines[0].contains("found `)` at column"), "{stderr}");
    let caret = lines[2].find('^').expect("a caret");
    assert_eq!(lines[1].chars().nth(caret), Some(')'), "{stderr}");
}

/// `data` streams: a trillion rows into `head` print at once and exit quietly.
#[test]
fn data_streams_into_a_closed_pipe() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["data", "moons", "--n", "1000000000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped"));
    let mut header = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut header).expect("a line");
    assert_eq!(header, "x1,x2,label\n");
    drop(stdout);
    let output = child.wait_with_output().expect("exits");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

/// The minimal inputs that found bugs, shipped in `tests/inputs/`: each a
/// one-line error, whatever reads it.
#[test]
fn shipped_bad_inputs_are_refused() {
    let inputs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs");
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    for entry in std::fs::read_dir(&inputs).expect("tests/inputs") {
        let path = entry.expect("an entry").path();
        std::fs::copy(&path, dir.join(path.file_name().expect("a name"))).expect("copied");
    }
    let train_on = |csv: &str| {
        write(dir, "c.json", &format!(r#"{{"dataset": "{csv}"}}"#));
        micrograd_in(dir, &["train", "-c", "c.json", "-q"])
    };
    fails_with(&train_on("duplicate-columns.csv"), &["has the same name"]);
    fails_with(&train_on("unclosed-quote.csv"), &["closing `\"` missing"]);
    fails_with(&train_on("latin1.csv"), &["is not UTF-8"]);
    fails_with(&train_on("huge-range.csv"), &["too wide to draw"]);
    fails_with(&train_on("one-row.csv"), &["single value"]);
    for config in ["trailing-garbage.json", "same-output-names.json"] {
        fails_with(
            &micrograd_in(dir, &["train", "-c", config, "-q"]),
            &[config],
        );
    }
    write(dir, "moons.csv", "x1,x2,y\n0.1,0.2,1\n0.3,-0.2,-1\n");
    for model in ["loss-does-not-fit-task.json", "zero-std.json"] {
        let output = micrograd_in(dir, &["eval", "--model", model, "--data", "moons.csv"]);
        fails_with(&output, &[model]);
    }
    let names = super::file_names(&inputs);
    assert_eq!(
        names.len(),
        10,
        "every shipped input is tried above: {names:?}"
    );
}

/// Regression: `"hidden": [1000000000]` aborted with "memory allocation of
/// 32000000000 bytes failed" (SIGABRT, exit 134), and `[100000, 100000]`
/// the same. A network too large is refused before anything is made, with
/// its size; and a boundary animation of more frames than it can hold (each
/// a copy of the parameters) too.
#[test]
fn work_that_cannot_fit_is_refused_with_its_size() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    write(dir, "moons.csv", MOONS);
    for (hidden, parameters) in [
        ("[1000000000]", "4000000001"),
        ("[100000, 100000]", "10000500001"),
    ] {
        write(
            dir,
            "big.json",
            &format!(r#"{{"dataset": "moons.csv", "steps": 2, "model": {{"hidden": {hidden}}}}}"#),
        );
        let output = micrograd_in(dir, &["train", "-c", "big.json", "-q", "--out", "big"]);
        fails_with(
            &output,
            &[
                "big.json",
                &format!("the network has {parameters} parameters"),
            ],
        );
        assert!(!dir.join("big/model.json").exists());
    }
    write(
        dir,
        "gif.json",
        r#"{"dataset": "moons.csv", "steps": 100000,
            "outputs": {"boundary_animation": "a.gif", "animation_every": 1}}"#,
    );
    let output = micrograd_in(dir, &["train", "-c", "gif.json", "-q", "--out", "gif"]);
    fails_with(
        &output,
        &[
            "at `outputs.animation_every`",
            "100001 frames",
            "at least 101",
        ],
    );
}

/// Regression: an error quoting a 130,000-character column name (twice)
/// was 260 KB long. Quoted input is cut to a readable length.
#[test]
fn errors_quote_long_input_readably() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    let long = "n".repeat(130_000);
    write(dir, "wide.csv", &format!("x,{long},y\n1,2,a\n2,1,b\n"));
    write(
        dir,
        "c.json",
        &format!(r#"{{"dataset": "wide.csv", "columns": {{"target": "{long}z"}}}}"#),
    );
    let output = micrograd_in(dir, &["train", "-c", "c.json", "-q"]);
    fails_with(&output, &["wide.csv", "no column `nnn", "in the header"]);
    assert!(output.stderr.len() < 3000, "{} bytes", output.stderr.len());
}

/// Regression: `val --html` on an `x + x + ...` chain took 3.3 s at 10,000
/// nodes, 654 s at 50,000, and never ended at 100,000 (the layout numbered
/// every column again after each column's reorder, and naming looked for
/// every name's twins among all names). Both are linear now; a page past
/// 20,000 nodes, tens of megabytes no browser lays out, is refused.
#[test]
fn pages_are_bounded() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    for (n, ok) in [(20_000, true), (20_001, false)] {
        let terms = vec!["x"; n].join(" + ");
        write(dir, "chain.txt", &format!("y = {terms}"));
        let args = [
            "val",
            "--expr-file",
            "chain.txt",
            "--set",
            "x=1",
            "--html",
            "p.html",
        ];
        let output = micrograd_in(dir, &args);
        if ok {
            super::assert_success(&output);
        } else {
            fails_with(
                &output,
                &["--html: the graph has 20001 nodes", "at most 20000"],
            );
        }
    }
}

/// Regression: the lock was on `--out` only, and `outputs.*` may name files
/// elsewhere, so two runs with different `--out` writing the same files
/// mixed their sets. Every folder a run writes in is locked.
#[cfg(unix)]
#[test]
fn every_folder_written_in_is_locked() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    write(dir, "moons.csv", MOONS);
    let shared = dir.join("shared");
    std::fs::create_dir(&shared).expect("made");
    let config = format!(
        r#"{{"dataset": "moons.csv", "steps": 2,
            "outputs": {{"model": "{}", "boundary_plot": null}}}}"#,
        shared.join("model.json").display()
    );
    write(dir, "c.json", &config);
    // another run, as this test holds it, is writing there
    let held = std::fs::File::open(&shared).expect("opens");
    held.try_lock().expect("locked");
    let output = micrograd_in(dir, &["train", "-c", "c.json", "-q", "--out", "mine"]);
    fails_with(
        &output,
        &[
            "shared",
            "another micrograd run is writing its outputs here",
        ],
    );
    assert!(!shared.join("model.json").exists());
    held.unlock().expect("unlocked");
    let output = micrograd_in(dir, &["train", "-c", "c.json", "-q", "--out", "mine"]);
    super::assert_success(&output);
    assert!(shared.join("model.json").exists());
}
