//! The real `micrograd` binary, run as a user would.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const SANITY_CHECK: &str = "z = 2*x + 2 + x; q = relu(z) + z*x; h = relu(z*z); y = h + q + q*x";
const MORE_OPS: &str = "c = a + b; d = a*b + b**3; c += c + 1; c += 1 + c + (-a); \
    d += d*2 + relu(b + a); d += 3*d + relu(b - a); e = c - d; f = e**2; g = f / 2.0; g += 10.0 / f";

fn micrograd(args: &[&str]) -> Output {
    micrograd_with_env(args, &[])
}

fn micrograd_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_micrograd"));
    command.args(args).env_remove("NO_COLOR");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the binary runs")
}

fn stdout_of(output: &Output) -> String {
    super::assert_success(output);
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

/// The JSON that `val --json` prints for `args`.
fn val_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["val", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&stdout_of(&micrograd(&all))).expect("valid JSON")
}

/// data and grad of the output node.
fn output(json: &serde_json::Value) -> (f64, f64) {
    let node = &json["nodes"][json["output"].as_u64().expect("an output id") as usize];
    (
        node["data"].as_f64().expect("data"),
        node["grad"].as_f64().expect("grad"),
    )
}

/// data and grad of the first node labelled `label`.
fn node(json: &serde_json::Value, label: &str) -> (f64, f64) {
    let nodes = json["nodes"].as_array().expect("nodes");
    let node = nodes
        .iter()
        .find(|node| node["label"] == label)
        .unwrap_or_else(|| panic!("no node {label}"));
    (
        node["data"].as_f64().expect("data"),
        node["grad"].as_f64().expect("grad"),
    )
}

#[test]
fn val_prints_the_lecture_neuron_in_topological_order() {
    let stdout = stdout_of(&micrograd(&["val"]));
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().collect())
        .collect();
    let row = |label: &str| {
        rows.iter()
            .find(|row| row[1] == label)
            .unwrap_or_else(|| panic!("no row {label}"))
    };
    assert_eq!(row("o")[2..5], ["tanh", "0.7071", "1.0000"]);
    assert_eq!(row("n")[2..5], ["+", "0.8814", "0.5000"]);
    assert_eq!(row("x1")[2..], ["2.0000", "-1.5000"]);
    assert_eq!(row("w1")[2..], ["-3.0000", "1.0000"]);
    assert_eq!(row("x2")[2..], ["0.0000", "0.5000"]);
    assert_eq!(row("w2")[2..], ["1.0000", "0.0000"]);
    assert_eq!(row("b")[2..], ["6.8814", "0.5000"]);
    // leaves first, the output last
    assert_eq!(rows.first().expect("rows")[1], "x1");
    assert_eq!(rows.last().expect("rows")[1], "o");
}

#[test]
fn val_json_has_the_documented_shape() {
    let json = val_json(&[]);
    let nodes = json["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 10);
    assert_eq!(json["output"], 9);
    for (index, node) in nodes.iter().enumerate() {
        let keys: Vec<&String> = node.as_object().expect("an object").keys().collect();
        assert_eq!(keys, ["data", "grad", "id", "inputs", "label", "op"]);
        assert_eq!(node["id"], index);
        for input in node["inputs"].as_array().expect("inputs") {
            assert!(
                input.as_u64().expect("an id") < index as u64,
                "inputs come first"
            );
        }
    }
    assert_eq!(nodes[9]["label"], "o");
    assert_eq!(nodes[9]["op"], "tanh");
    assert_eq!(nodes[9]["inputs"], serde_json::json!([8]));
    let (o, _) = node(&json, "o");
    assert!((o - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
    let (_, x1_grad) = node(&json, "x1");
    assert!((x1_grad + 1.5).abs() < 1e-12);
}

#[test]
fn val_set_overrides_the_default_expression() {
    let json = val_json(&["--set", "x2=1,w2=2"]);
    // n = 2*-3 + 1*2 + b
    let (n, _) = node(&json, "n");
    assert!((n - (-4.0 + 6.881_373_587_019_543)).abs() < 1e-12);
}

#[test]
fn val_reproduces_micrograd_sanity_check() {
    let json = val_json(&["--expr", SANITY_CHECK, "--set", "x=-4"]);
    assert_eq!(output(&json), (-20.0, 1.0));
    assert_eq!(node(&json, "x").1, 46.0);
}

#[test]
fn val_reproduces_micrograd_more_ops() {
    let json = val_json(&["--expr", MORE_OPS, "--set", "a=-4", "--set", "b=2"]);
    let (g, _) = output(&json);
    assert!((g - 24.704_081_632_653_06).abs() < 1e-12, "g = {g}");
    assert!((node(&json, "a").1 - 138.833_819_241_982_52).abs() < 1e-12);
    assert!((node(&json, "b").1 - 645.577_259_475_218_6).abs() < 1e-12);
}

#[test]
fn parse_errors_point_at_the_column_and_exit_1() {
    let output = micrograd(&["val", "--expr", "x * (y +", "--set", "x=1,y=2"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr,
        "error: --expr: expected a number, a name or `(`, found the end at column 9\n  x * (y +\n          ^\n"
    );
}

#[test]
fn bad_set_values_are_usage_errors() {
    for (set, message) in [
        ("x", "expected NAME=NUMBER"),
        ("x=abc", "`abc` is not a number"),
        ("1x=2", "not a variable"),
    ] {
        let output = micrograd(&["val", "--expr", "x", "--set", set]);
        assert_eq!(output.status.code(), Some(2), "--set {set}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(message),
            "--set {set}"
        );
    }
    let output = micrograd(&["val", "--expr", "x + y", "--set", "x=1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("`y` has no value: give it one with --set y=NUMBER")
    );
    let output = micrograd(&["val", "--expr", "x*2", "--set", "x=1,x=2"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--set x: given twice (x=1, then x=2)")
    );
    let output = micrograd(&["val", "--set", "q=1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("--set q: the default expression has no `q`")
    );
}

/// The frames `val --visualize` prints when not on a terminal.
fn frames(stdout: &str) -> Vec<String> {
    let mut frames: Vec<String> = Vec::new();
    for line in stdout.lines() {
        if line.starts_with("backward, step ") {
            frames.push(String::new());
        }
        let frame = frames
            .last_mut()
            .expect("output starts with a frame header");
        frame.push_str(line);
        frame.push('\n');
    }
    frames
}

#[test]
fn visualize_prints_one_frame_per_node_backward_visits() {
    let stdout = stdout_of(&micrograd(&["val", "--visualize"]));
    let frames = frames(&stdout);
    assert_eq!(
        frames.len(),
        12,
        "the lecture neuron has 10 nodes, all visited, between the seed and the end"
    );
    let rows = |frame: &str, marker: &str| {
        frame
            .lines()
            .filter(|line| line.contains(&format!("│ {marker}")))
            .count()
    };
    // the seed writes o.grad; the next frame processes the output
    assert!(frames[0].contains("backward starts at the output: o.grad = do/do = 1"));
    assert!(frames[0].contains("[ ] o              tanh(n)"));
    assert!(frames[0].contains("grad ★   1.0000"));
    assert_eq!(rows(&frames[0], "[ ]"), 10);
    assert!(frames[1].contains("[*] o "));
    assert!(frames[1].contains("n.grad += (1 - o.data**2) * o.grad = 0.5000 * 1.0000 = 0.5000"));
    // every node is active in a frame of its own, leaves too
    for (node, frame) in frames[1..11].iter().enumerate() {
        assert_eq!(rows(frame, "[*]"), 1, "step {}", node + 1);
    }
    let last = frames.last().expect("frames");
    assert_eq!(rows(last, "[✓]"), 10);
    assert!(last.contains("backward is done"));
    insta::assert_snapshot!("visualize_lecture_neuron", stdout);
}

#[test]
fn visualize_shows_the_chain_rule_with_numbers() {
    let stdout = stdout_of(&micrograd(&["val", "--visualize", "--no-wait"]));
    assert!(
        stdout.contains("w1.grad += x1.data * (x1*w1).grad = 2.0000 * 0.5000 = 1.0000"),
        "{stdout}"
    );
    assert!(stdout.contains("x1.grad += w1.data * (x1*w1).grad = -3.0000 * 0.5000 = -1.5000"));
}

#[test]
fn colours_follow_the_flag_and_no_color() {
    let plain = stdout_of(&micrograd(&["val", "--visualize"]));
    assert!(!plain.contains('\x1b'), "not a terminal: no escape codes");
    let forced = stdout_of(&micrograd(&["val", "--visualize", "--color", "always"]));
    assert!(
        forced.contains("\x1b[1m\x1b[33m 4 │ [*] o"),
        "the active node is bold yellow"
    );
    assert!(
        forced.contains("\x1b[32m 4 │ [✓] o"),
        "done nodes are green"
    );
    assert!(
        !forced.contains("\x1b[37m"),
        "nodes not reached yet are in the terminal's own colour, not white"
    );
    let no_color = stdout_of(&micrograd_with_env(
        &["val", "--visualize"],
        &[("NO_COLOR", "1")],
    ));
    assert!(!no_color.contains('\x1b'));
    let never = stdout_of(&micrograd(&["val", "--visualize", "--color", "never"]));
    assert_eq!(never, plain);
}

/// Graphviz's `dot -T{format}` on `dot_text`, checked to succeed; `None`
/// when Graphviz is not installed and MICROGRAD_REQUIRE_GRAPHVIZ (set by CI)
/// does not ask for it.
fn run_dot(format: &str, dot_text: &str) -> Option<String> {
    let spawned = Command::new("dot")
        .arg(format!("-T{format}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(_) if std::env::var_os("MICROGRAD_REQUIRE_GRAPHVIZ").is_none() => {
            eprintln!("graphviz's dot is not installed: DOT checked for shape only");
            return None;
        }
        Err(err) => panic!("MICROGRAD_REQUIRE_GRAPHVIZ is set but dot cannot run: {err}"),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(dot_text.as_bytes())
        .expect("dot reads");
    let output = child.wait_with_output().expect("dot runs");
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "dot rejected:\n{dot_text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8(output.stdout).expect("utf-8"))
}

/// Graphviz's layout of `dot_text` as `dot -Tplain` gives it (`node NAME X Y
/// ...` lines), when Graphviz is there.
pub fn graphviz_plain(dot_text: &str) -> Option<String> {
    run_dot("plain", dot_text)
}

/// Runs Graphviz's `dot` on `dot_text`; false when Graphviz is not there.
pub fn graphviz_accepts(dot_text: &str) -> bool {
    run_dot("svg", dot_text).is_some_and(|svg| {
        assert!(svg.contains("<svg"));
        true
    })
}

#[test]
fn graph_prints_dot_that_graphviz_accepts() {
    let cases: [&[&str]; 6] = [
        &["graph"],
        &["graph", "--rankdir", "TB", "--no-grad"],
        &["graph", "--step", "4"],
        &["graph", "--expr", SANITY_CHECK, "--set", "x=-4"],
        &["graph", "--expr", MORE_OPS, "--set", "a=-4,b=2"],
        &[
            "graph",
            "--expr",
            "y = x**-1.5 + exp(-x) / log(x)",
            "--set",
            "x=2",
        ],
    ];
    for args in cases {
        let dot = stdout_of(&micrograd(args));
        assert!(
            dot.starts_with("digraph micrograd {\n") && dot.ends_with("}\n"),
            "{args:?}"
        );
        graphviz_accepts(&dot);
    }
    let dot = stdout_of(&micrograd(&["graph"]));
    assert!(dot.contains("rankdir=LR;"));
    assert!(dot.contains(r#"[label="{ o | data 0.7071 | grad 1.0000 }"];"#));
    assert!(dot.contains(r#"[label="tanh", shape=ellipse"#));
    let forward_only = stdout_of(&micrograd(&["graph", "--no-grad"]));
    assert!(!forward_only.contains("| grad"));
    let step = stdout_of(&micrograd(&["graph", "--step", "2"]));
    assert_eq!(step.matches("fillcolor=yellow").count(), 1);
    assert_eq!(step.matches("fillcolor=palegreen").count(), 1);
}

#[test]
fn dot_labels_with_record_syntax_are_escaped() {
    let x = micrograd::Value::leaf(1.0);
    let y = (&x * 2.0).tanh();
    let trace = micrograd::show::trace::Trace::new(&y);
    let names: Vec<String> = ["say \"hi\"", "{braces}", "a|b", "<angle> \\ back"]
        .iter()
        .map(|name| name.to_string())
        .collect();
    let options = micrograd::show::dot::DotOptions {
        rankdir: micrograd::show::dot::RankDir::LeftRight,
        show_grad: true,
        frame: Some(1),
        edge_weights: false,
        title: Some("a \"title\"".into()),
    };
    let dot = micrograd::show::dot::render(&trace, &names, &options);
    assert!(dot.contains(r#"{ say \"hi\" | data"#), "{dot}");
    assert!(dot.contains(r#"{ \<angle\> \\ back | data"#), "{dot}");
    graphviz_accepts(&dot);
}

#[test]
fn graph_step_out_of_range_is_an_error() {
    let output = micrograd(&["graph", "--step", "12"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: --step 12: steps run from 0 (the seed) to 11 (all done)\n"
    );
    // the seed: nothing processed yet; the end: everything done
    let seed = stdout_of(&micrograd(&["graph", "--step", "0"]));
    assert_eq!(seed.matches("fillcolor=white").count(), 10);
    let end = stdout_of(&micrograd(&["graph", "--step", "11"]));
    assert_eq!(end.matches("fillcolor=palegreen").count(), 10);
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    // A long graph, so that writing outlasts the pipe's buffer once the reader is gone.
    let terms: Vec<String> = (0..4000).map(|i| format!("x*{i}")).collect();
    let expr = terms.join(" + ");
    let mut child = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["graph", "--expr", &expr, "--set", "x=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("it exits");
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stderr.is_empty());
}

#[test]
fn version_and_help() {
    let version = micrograd(&["--version"]);
    assert_eq!(
        stdout_of(&version).trim(),
        format!("micrograd {}", env!("CARGO_PKG_VERSION"))
    );
    for args in [&["--help"][..], &["val", "--help"], &["graph", "--help"]] {
        assert!(
            stdout_of(&micrograd(args)).contains("Examples:"),
            "{args:?}"
        );
    }
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    let output = micrograd(&["frobnicate"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("frobnicate"));
}

/// Completion scripts and the manual page come from the same definitions
/// as `--help`, so they name every subcommand.
#[test]
fn completions_and_the_manual_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&micrograd(&["completions", shell]));
        for command in ["train", "eval", "val", "graph", "data"] {
            assert!(script.contains(command), "{shell}: {command}");
        }
    }
    let man = stdout_of(&micrograd(&["man"]));
    assert!(man.starts_with(".ie"), "roff");
    assert!(man.contains(".TH micrograd 1"), "{man}");
    for command in ["train", "eval", "val", "graph", "data"] {
        assert!(man.contains(&format!("micrograd\\-{command}")), "{command}");
    }
}

#[test]
fn val_html_writes_a_page_to_a_file_or_stdout() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let output = super::micrograd_in(dir.path(), &["val", "--html", "neuron.html"]);
    super::assert_success(&output);
    let page = std::fs::read_to_string(dir.path().join("neuron.html")).expect("the page");
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    // two drawings of the ten nodes: records side by side, and stacked for phones
    assert_eq!(page.matches("class=\"node\"").count(), 2 * 10);
    let piped = stdout_of(&micrograd(&[
        "val",
        "--expr",
        "y = relu(x*w + b)",
        "--set",
        "x=2,w=-1,b=3",
        "--html",
        "-",
    ]));
    assert_eq!(
        piped.matches("class=\"node\"").count(),
        2 * 6,
        "x, w, x*w, b, the sum, y, in each drawing"
    );
    assert!(piped.contains("backprop through y = relu(x*w + b)"));
    assert_eq!(
        micrograd(&["val", "--html", "-", "--json"]).status.code(),
        Some(2)
    );
    let output = super::micrograd_in(dir.path(), &["val", "--html", "."]);
    super::fails_with(&output, &["."]);
}

/// Regression: off a terminal `val --visualize` printed the whole graph in
/// every frame, so its output grew with the square of the node count
/// (2,501 nodes, 0.9 GB). A frame now has at most 60 rows: a window around
/// the active node, with the rest counted.
#[test]
fn visualize_off_a_terminal_grows_with_the_graph_not_its_square() {
    let terms = vec!["x"; 1251].join(" + ");
    let output = micrograd(&[
        "val",
        "--visualize",
        "--expr",
        &format!("y = {terms}"),
        "--set",
        "x=1",
    ]);
    let stdout = stdout_of(&output);
    assert!(stdout.len() < 20_000_000, "{} bytes", stdout.len());
    assert!(stdout.contains("more nodes"), "the rest is counted");
    let first = stdout.split("backward, step 1 of").nth(1).expect("step 1");
    let frame_rows = first
        .split("backward, step 2 of")
        .next()
        .expect("a frame")
        .lines()
        .count();
    assert!(frame_rows <= 62, "{frame_rows} rows in a frame");
}

/// `graph --step K` frames say what the players say of step K: its title
/// and chain-rule lines above the graph, and a ★ on each grad it wrote
/// (they had only the colours, so an animation from `--step all` lost what
/// changed).
#[test]
fn dot_frames_carry_the_steps_words() {
    let dot = stdout_of(&micrograd(&["graph", "--step", "5"]));
    assert!(
        dot.contains(r#"label="backward, step 5 of 11: x2*w2\l"#),
        "{dot}"
    );
    assert!(
        dot.contains(r"x2.grad += w2.data * (x2*w2).grad = 1.0000 * 0.5000 = 0.5000\l"),
        "{dot}"
    );
    assert_eq!(dot.matches("grad ★").count(), 2, "{dot}");
    assert!(
        dot.contains("{ x2 | data 0.0000 | grad ★ 0.5000 }"),
        "{dot}"
    );
    // the seed frame marks the output's grad, the end frame none
    let seed = stdout_of(&micrograd(&["graph", "--step", "0"]));
    assert!(
        seed.contains("{ o | data 0.7071 | grad ★ 1.0000 }"),
        "{seed}"
    );
    let end = stdout_of(&micrograd(&["graph", "--step", "11"]));
    assert!(
        !end.contains('★') && end.contains("backward is done"),
        "{end}"
    );
    // without --step, no words above the graph
    assert!(!stdout_of(&micrograd(&["graph"])).contains("label=\"backward"));
    if let Some(svg) = run_dot("svg", &dot) {
        assert!(svg.contains("backward, step 5 of 11"));
    }
}

/// Regression: rounding noise showed as `-0.0000` (a grad of -1e-9) in the
/// players' numbers and chain-rule lines, the page and DOT frames.
#[test]
fn a_number_that_rounds_to_zero_has_no_sign() {
    let args = ["--expr", "y = x * z", "--set", "x=3,z=-0.000000001"];
    let shown = [
        stdout_of(&micrograd(&[&["val", "--visualize"][..], &args].concat())),
        stdout_of(&micrograd(&[&["val", "--html", "-"][..], &args].concat())),
        stdout_of(&micrograd(&[&["graph", "--step", "2"][..], &args].concat())),
    ];
    for text in shown {
        assert!(text.contains("0.0000"), "{text}");
        assert!(!text.contains("-0.0000"), "{text}");
    }
}
