//! What is already where an output goes: a file given as an input is never
//! written over, a symlink is followed to its file, and a special file (a
//! FIFO, a device) is written through rather than replaced.

use std::path::Path;

use super::{assert_success, micrograd_in};

/// A small trained model, `m.json`, and its data, `d.csv`, in `dir`.
fn trained(dir: &Path) {
    let csv = "x1,x2,y\n0,1,a\n1,0,b\n1,1,a\n0,0,b\n";
    std::fs::write(dir.join("d.csv"), csv).expect("written");
    std::fs::write(dir.join("p.csv"), "x1,x2\n0.5,0.5\n").expect("written");
    assert_success(&micrograd_in(
        dir,
        &[
            "train", "--data", "d.csv", "--steps", "3", "--quiet", "--out", "run",
        ],
    ));
    std::fs::rename(dir.join("run/model.json"), dir.join("m.json")).expect("moved");
}

/// Regression: `graph --model m.json --html m.json` replaced the model with
/// HTML and `val --expr-file e.txt --html e.txt` the expression.
#[test]
fn a_page_never_overwrites_an_input() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    trained(dir);
    let model = std::fs::read(dir.join("m.json")).expect("a model");
    let output = micrograd_in(dir, &["graph", "--model", "m.json", "--html", "m.json"]);
    super::fails_with(&output, &["m.json", "--html names an input of this run"]);
    assert_eq!(std::fs::read(dir.join("m.json")).expect("a model"), model);

    std::fs::write(dir.join("e.txt"), "y = a*b").expect("written");
    let output = micrograd_in(
        dir,
        &[
            "val",
            "--expr-file",
            "e.txt",
            "--set",
            "a=1,b=2",
            "--html",
            "e.txt",
        ],
    );
    super::fails_with(&output, &["e.txt", "--html names an input of this run"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("e.txt")).expect("text"),
        "y = a*b"
    );
}

/// Regression: an output that was a symlink became a regular file in its
/// place; the file it named kept its old contents.
#[cfg(unix)]
#[test]
fn a_symlink_is_followed_to_its_file() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    trained(dir);
    std::fs::create_dir(dir.join("real")).expect("made");
    for (target, link) in [
        ("real/out.csv", "link.csv"),
        ("real/new.csv", "dangling.csv"),
    ] {
        if target.ends_with("out.csv") {
            std::fs::write(dir.join(target), "old").expect("written");
        }
        std::os::unix::fs::symlink(target, dir.join(link)).expect("linked");
        let output = micrograd_in(
            dir,
            &[
                "predict", "--model", "m.json", "--data", "p.csv", "--out", link,
            ],
        );
        assert_success(&output);
        let kind = std::fs::symlink_metadata(dir.join(link)).expect("there");
        assert!(kind.file_type().is_symlink(), "{link} is still a link");
        let written = std::fs::read_to_string(dir.join(target)).expect("written");
        assert!(written.starts_with("x1,x2,prediction,score\n"), "{written}");
    }
    let output = micrograd_in(
        dir,
        &[
            "eval",
            "--model",
            "m.json",
            "--data",
            "d.csv",
            "--predictions",
            "link.csv",
        ],
    );
    assert_success(&output);
    let kind = std::fs::symlink_metadata(dir.join("link.csv")).expect("there");
    assert!(kind.file_type().is_symlink());
    let written = std::fs::read_to_string(dir.join("real/out.csv")).expect("written");
    assert!(
        written.starts_with("x1,x2,y,prediction,score\n"),
        "{written}"
    );
}

/// Regression: a FIFO given as an output was replaced by a regular file,
/// and its reader got nothing.
#[cfg(unix)]
#[test]
fn a_fifo_is_written_through() {
    use std::os::unix::fs::FileTypeExt;

    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    trained(dir);
    let fifo = dir.join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    for (args, header) in [
        (
            vec![
                "predict", "--model", "m.json", "--data", "p.csv", "--out", "pipe",
            ],
            "x1,x2,prediction,score\n",
        ),
        (vec!["val", "--html", "pipe"], "<!DOCTYPE html>"),
    ] {
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read"))
        };
        assert_success(&micrograd_in(dir, &args));
        let read = reader.join().expect("the reader ends");
        assert!(read.starts_with(header), "{args:?}: {read}");
        let kind = std::fs::symlink_metadata(&fifo).expect("there").file_type();
        assert!(kind.is_fifo(), "still a FIFO after {args:?}");
    }
}

/// Regression: a write that failed for want of room (here a file-size limit,
/// as a full disk would) named the temporary file, not the output. The old
/// file is left as it was.
#[cfg(unix)]
#[test]
fn a_failed_write_names_the_output_and_keeps_the_old_file() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let dir = dir.path();
    std::fs::write(dir.join("page.html"), "old").expect("written");
    // a 512-byte limit on files written; SIGXFSZ ignored, so writes fail instead
    let command = format!(
        "trap '' XFSZ; ulimit -f 1; exec '{}' val --html page.html",
        env!("CARGO_BIN_EXE_micrograd")
    );
    let output = std::process::Command::new("sh")
        .args(["-c", &command])
        .current_dir(dir)
        .output()
        .expect("sh runs");
    super::fails_with(&output, &["page.html: cannot write"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains(".micrograd-"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("page.html")).expect("there"),
        "old"
    );
}
