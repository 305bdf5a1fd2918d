//! The interactive player (`val --visualize`) in a real terminal: tmux, at
//! 40x12, 60x15 and 80x24, driven by its keys as a learner would. Every
//! frame shows the step count and each node row's grad; `q` leaves a clean
//! screen, after a resize too; `--delay` stops on `q`. Skipped where tmux is
//! not installed, unless MICROGRAD_REQUIRE_TMUX (set by CI) says it must run.
#![cfg(unix)]

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of its own and one window of a shell, `cols` x `rows`.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, cols: u16, rows: u16) -> Option<Tmux> {
        let socket = format!("micrograd-test-{name}-{}", std::process::id());
        let started = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &cols.to_string(), "-y", &rows.to_string()])
            .args(["env", "PS1=$ ", "TERM=xterm-256color", "sh"])
            .status();
        match started {
            Ok(status) if status.success() => Some(Tmux { socket }),
            _ if std::env::var_os("MICROGRAD_REQUIRE_TMUX").is_none() => {
                eprintln!("skipped: tmux is not installed");
                None
            }
            other => panic!("MICROGRAD_REQUIRE_TMUX is set but tmux cannot start: {other:?}"),
        }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Types `keys` (tmux key names: `n`, `Enter`, `Down`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend(keys);
        self.tmux(&args);
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "0"])
    }

    /// The screen once `ready` holds of it, waiting up to ten seconds.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "no {what} on screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

fn player() -> String {
    format!("{} val --visualize", env!("CARGO_BIN_EXE_micrograd"))
}

/// A node row (`…│ [*] x2*w2 … 0.5000`) and the number it ends with.
fn grad_of(row: &str) -> Option<&str> {
    let last = row.split_whitespace().last()?;
    let number = last.trim_start_matches('★');
    let (whole, places) = number.split_once('.')?;
    let whole = whole.trim_start_matches('-');
    (whole.chars().all(|c| c.is_ascii_digit()) && places.len() == 4).then_some(number)
}

#[test]
fn every_frame_keeps_the_step_count_and_each_rows_grad() {
    for (cols, rows) in [(40, 12), (60, 15), (80, 24)] {
        let Some(tmux) = Tmux::start(&format!("{cols}x{rows}"), cols, rows) else {
            return;
        };
        tmux.keys(&[&player(), "Enter"]);
        for step in 0..=11 {
            let title = format!("step {step} of 11");
            let screen = tmux.wait_for(&title, |screen| screen.contains(&title));
            let node_rows: Vec<&str> = screen
                .lines()
                .filter(|line| line.contains('│') && line.contains(']'))
                .collect();
            assert!(
                !node_rows.is_empty(),
                "{cols}x{rows} step {step}:\n{screen}"
            );
            for row in node_rows {
                assert!(
                    grad_of(row).is_some(),
                    "{cols}x{rows} step {step}: a row without its grad: {row:?}\n{screen}"
                );
            }
            assert!(screen.contains('q'), "q is findable:\n{screen}");
            tmux.keys(&["n"]);
        }
        tmux.keys(&["q"]);
        tmux.wait_for("the prompt", |screen| screen.trim_end().ends_with('$'));
    }
}

/// Regression: after `q` in a tmux window resized while the player ran,
/// rows of the last frame stayed on the screen. (They stay where the
/// terminal keeps no alternate screen, as here: the player clears its own.)
#[test]
fn quitting_leaves_a_clean_screen_after_a_resize() {
    let Some(tmux) = Tmux::start("resize", 80, 24) else {
        return;
    };
    tmux.tmux(&["set-option", "-g", "alternate-screen", "off"]);
    tmux.keys(&["clear", "Enter"]);
    tmux.keys(&[&player(), "Enter"]);
    tmux.wait_for("the player", |screen| screen.contains("step 0 of 11"));
    tmux.tmux(&["resize-window", "-t", "0", "-x", "50", "-y", "14"]);
    tmux.keys(&["n", "n"]);
    tmux.wait_for("step 2", |screen| screen.contains("step 2 of 11"));
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the prompt", |screen| screen.trim_end().ends_with('$'));
    for trace in ["step 2 of 11", "data", "grad", "│"] {
        assert!(!screen.contains(trace), "{trace:?} left behind:\n{screen}");
    }
}

/// Regression: `--delay` went on to the end whatever was pressed.
#[test]
fn a_replay_stops_on_q() {
    let Some(tmux) = Tmux::start("delay", 80, 24) else {
        return;
    };
    tmux.keys(&[&format!("{} --delay 400; echo exit=$?", player()), "Enter"]);
    tmux.wait_for("the first frame", |screen| screen.contains("step 1 of 11"));
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the exit", |screen| screen.contains("exit="));
    assert!(screen.contains("exit=0"), "{screen}");
    assert!(
        !screen.contains("step 11 of 11"),
        "it stopped early:\n{screen}"
    );
    // the terminal is cooked again: a typed line echoes
    tmux.keys(&["echo typed", "Enter"]);
    tmux.wait_for("the echo", |screen| screen.matches("typed").count() >= 2);
}

/// The rows a step wrote follow into view, and ↓ scrolls the rest.
#[test]
fn the_frame_follows_the_written_rows_and_a_key_scrolls() {
    let Some(tmux) = Tmux::start("scroll", 60, 15) else {
        return;
    };
    tmux.keys(&[&player(), "Enter"]);
    tmux.wait_for("the player", |screen| screen.contains("step 0 of 11"));
    tmux.keys(&["n", "n", "n", "n", "n"]);
    let screen = tmux.wait_for("step 5", |screen| screen.contains("step 5 of 11"));
    let stars = screen
        .lines()
        .filter(|line| line.contains('│') && line.contains('★'))
        .count();
    assert_eq!(stars, 2, "x2 and w2 in view:\n{screen}");
    tmux.keys(&["Down", "Down", "Down"]);
    let scrolled = tmux.wait_for("the last rows", |screen| screen.contains(" x1 "));
    assert!(scrolled.contains("step 5 of 11"), "{scrolled}");
    tmux.keys(&["q"]);
}
