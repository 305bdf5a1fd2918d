//! `micrograd graph --model`: a trained model drawn as DOT and as a page.

use super::{fails_with, file_names, micrograd_in, stdout_of_ok, succeeded};

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
            "--output 2: the model has one output, 1",
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

#[test]
fn graph_step_all_writes_a_file_per_step() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let output = micrograd_in(dir.path(), &["graph", "--step", "all", "--out", "frames"]);
    let stderr = succeeded(&output);
    assert!(
        stderr.contains("wrote 12 files, step-00.dot to step-11.dot"),
        "{stderr}"
    );
    let names = file_names(&dir.path().join("frames"));
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
    // Regression: a shorter graph's frames went beside the longer one's, and
    // `frames/*.dot` then animated a mixture. Earlier frames are cleared
    // (another file in the folder stays).
    std::fs::write(dir.path().join("frames/notes.txt"), "mine").expect("written");
    let output = micrograd_in(
        dir.path(),
        &[
            "graph", "--expr", "y = a*b", "--set", "a=1,b=2", "--step", "all", "--out", "frames",
        ],
    );
    succeeded(&output);
    let names = file_names(&dir.path().join("frames"));
    assert_eq!(
        names,
        [
            "notes.txt",
            "step-00.dot",
            "step-01.dot",
            "step-02.dot",
            "step-03.dot",
            "step-04.dot"
        ]
    );
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
    // 2 inputs, 16 + 16 hidden neurons, the one output, in two drawings
    // (records side by side, and one line each for phones)
    assert_eq!(page.matches("class=\"node\"").count(), 2 * 35);
    // every edge is a weight, named by its neuron
    let weights = 2 * 16 + 16 * 16 + 16;
    assert_eq!(page.matches("<title>L").count(), 2 * weights);
    assert!(page.contains("<title>L2.N13.w1 = "), "a weight's name");
    assert!(
        page.contains("\"name\":\"L3.N1.b\""),
        "the inspector's weights and bias"
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
