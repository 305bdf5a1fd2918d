//! Signals mid-training, sent as a user would (`kill`): Ctrl-C and SIGTERM
//! stop after the step and write the model so far, SIGKILL leaves the old
//! files whole, and a killed run resumes from its checkpoint. Unix only.
#![cfg(unix)]

use std::process::{Command, Stdio};

use super::{micrograd_in, read_until_step, repo, saved_model, succeeded};

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

/// Regression: the terminal player (`val --visualize` on a terminal) got
/// SIGTERM or SIGINT from outside and left the terminal on the alternate
/// screen, in raw mode. It runs here on a pseudo-terminal made by `script`
/// (util-linux), and must leave the alternate screen on either signal.
#[test]
fn the_player_puts_the_terminal_back_on_a_signal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("the_player_puts_the_terminal_back_on_a_signal: no `script`, skipped");
        return;
    }
    for signal in ["-TERM", "-INT"] {
        let dir = tempfile::tempdir().expect("a temp dir");
        let pid_file = dir.path().join("pid");
        let command = format!(
            "echo $$ > '{}'; exec '{}' val --visualize",
            pid_file.display(),
            env!("CARGO_BIN_EXE_micrograd")
        );
        let mut child = Command::new("script")
            .args(["-q", "-e", "-c", &command, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("script runs");
        let mut stdout = child.stdout.take().expect("piped");
        let reader = std::thread::spawn(move || {
            let mut all = Vec::new();
            std::io::Read::read_to_end(&mut stdout, &mut all).expect("read");
            all
        });
        // the player has drawn once its pid is written and a moment has passed
        let mut pid = None;
        for _ in 0..200 {
            pid = std::fs::read_to_string(&pid_file)
                .ok()
                .filter(|text| text.ends_with('\n'));
            if pid.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let pid = pid.expect("the player started");
        std::thread::sleep(std::time::Duration::from_millis(500));
        let killed = Command::new("kill")
            .args([signal, pid.trim()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        drop(child.stdin.take());
        child.wait().expect("it exits");
        let screen = String::from_utf8_lossy(&reader.join().expect("the output")).into_owned();
        let entered = screen.find("\x1b[?1049h").expect("the player drew");
        let left = screen.rfind("\x1b[?1049l");
        assert!(
            left.is_some_and(|left| left > entered),
            "{signal}: the terminal was left on the alternate screen"
        );
        assert!(
            screen.contains("\x1b[?25h"),
            "{signal}: the cursor is shown again"
        );
    }
}
