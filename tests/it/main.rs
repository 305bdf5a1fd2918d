//! The integration tests: one crate, one module per concern.

mod cli;
mod demo;
mod engine;
mod fuzz;
mod gradcheck;
mod hardening;
mod real_data;
mod seed;
mod train;

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
