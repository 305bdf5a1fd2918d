//! The integration tests: one crate, one module per concern.

mod cli;
mod demo;
mod engine;
mod eval;
mod export;
mod fuzz;
mod gradcheck;
mod graph;
mod hardening;
mod outputs;
mod play;
mod real_data;
mod resume;
mod seed;
mod shipped;
mod signals;
mod terminal;
mod train;

use std::path::{Path, PathBuf};
use std::process::Output;

/// Whether the slow tests (training real data and every shipped config) are
/// to run: `MICROGRAD_SLOW_TESTS=1`, which `.ci/run` sets. Without it they
/// say so on stderr and pass.
fn slow_tests(name: &str) -> bool {
    let run = std::env::var_os("MICROGRAD_SLOW_TESTS").is_some_and(|v| v == "1");
    if !run {
        eprintln!("{name}: slow, skipped; MICROGRAD_SLOW_TESTS=1 runs it");
    }
    run
}

/// The names of the files in `dir`, sorted.
fn file_names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("a directory")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Fails the test, showing the exit status and stderr, unless `output` succeeded.
fn assert_success(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The binary, run in `dir` with `args`.
fn micrograd_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

/// Exit code 1 and, after any progress lines, a one-line message containing
/// each of `needles`; never a panic.
fn fails_with(output: &std::process::Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    let last = stderr.trim_end().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: "),
        "the message is the last line: {stderr}"
    );
    assert_eq!(
        stderr
            .lines()
            .filter(|line| line.starts_with("error"))
            .count(),
        1,
        "one message: {stderr}"
    );
    for needle in needles {
        assert!(last.contains(needle), "`{needle}` not in: {last}");
    }
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The stderr of a run that must have succeeded.
fn succeeded(output: &Output) -> String {
    assert_success(output);
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

fn stdout_of_ok(dir: &Path, args: &[&str]) -> String {
    let output = micrograd_in(dir, args);
    succeeded(&output);
    String::from_utf8(output.stdout).expect("utf-8")
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
