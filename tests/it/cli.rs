//! The real `micrograd` binary, run as a user would.

use std::process::{Command, Output};

fn micrograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn val_prints_the_lecture_neuron_with_its_gradients() {
    let output = micrograd(&["val"]);
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let row = |label: &str| -> Vec<String> {
        let line = stdout
            .lines()
            .find(|line| line.starts_with(&format!("{label} ")))
            .expect(label);
        line.split_whitespace().map(str::to_string).collect()
    };
    assert_eq!(row("o")[1..], ["tanh", "0.7071", "1.0000"]);
    assert_eq!(row("x1")[1..], ["2.0000", "-1.5000"]);
    assert_eq!(row("w1")[1..], ["-3.0000", "1.0000"]);
    assert_eq!(row("x2")[1..], ["0.0000", "0.5000"]);
    assert_eq!(row("w2")[1..], ["1.0000", "0.0000"]);
    assert_eq!(row("b")[1..], ["6.8814", "0.5000"]);
    // the header, then the output first and the leaves last, as backward visits them
    assert!(
        stdout
            .lines()
            .nth(1)
            .expect("a first node")
            .starts_with("o ")
    );
}

#[test]
fn version_and_help() {
    let version = micrograd(&["--version"]);
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("micrograd {}", env!("CARGO_PKG_VERSION"))
    );
    let help = micrograd(&["--help"]);
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("Examples:"));
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    let output = micrograd(&["frobnicate"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("frobnicate"));
}
