//! `micrograd export`: the format from the extension, errors for what
//! cannot be written, and a model file `eval` refuses refused with the same
//! message. What other runtimes make of the files is `.ci/export/check.py`'s.

use std::path::Path;

use crate::{fails_with, micrograd_in, succeeded};

fn trained(dir: &Path) {
    succeeded(&micrograd_in(dir, &["train", "--quiet", "--steps", "3"]));
}

#[test]
fn the_format_comes_from_the_extension_or_the_flag() {
    let dir = tempfile::tempdir().expect("a temp dir");
    trained(dir.path());
    for (to, extra, magic) in [
        ("m.onnx", None, &b"\x08\x07"[..]),
        ("m.safetensors", None, &b""[..]),
        ("m.bin", Some("onnx"), &b"\x08\x07"[..]),
    ] {
        let mut args = vec!["export", "--model", "model.json", "--to", to];
        if let Some(format) = extra {
            args.extend(["--format", format]);
        }
        succeeded(&micrograd_in(dir.path(), &args));
        let bytes = std::fs::read(dir.path().join(to)).expect("written");
        // ONNX opens with its IR version (field 1); safetensors with its header's length
        assert!(bytes.starts_with(magic), "{to}");
        if to.ends_with("safetensors") {
            let header = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
            let json: serde_json::Value =
                serde_json::from_slice(&bytes[8..8 + header]).expect("a JSON header");
            assert_eq!(json["0.weight"]["shape"], serde_json::json!([16, 2]));
            assert_eq!(json["4.weight"]["dtype"], "F64");
            assert_eq!(json["__metadata__"]["features"], r#"["x1","x2"]"#);
        }
    }
    let f32 = micrograd_in(
        dir.path(),
        &[
            "export",
            "--model",
            "model.json",
            "--to",
            "s.safetensors",
            "--f32",
        ],
    );
    succeeded(&f32);
    let f64_size = std::fs::metadata(dir.path().join("m.safetensors"))
        .expect("written")
        .len();
    let f32_size = std::fs::metadata(dir.path().join("s.safetensors"))
        .expect("written")
        .len();
    assert!(f32_size < f64_size * 3 / 4, "{f32_size} vs {f64_size}");
    fails_with(
        &micrograd_in(
            dir.path(),
            &["export", "--model", "model.json", "--to", "m.txt"],
        ),
        &["--to m.txt", ".onnx or .safetensors"],
    );
    fails_with(
        &micrograd_in(
            dir.path(),
            &[
                "export",
                "--model",
                "model.json",
                "--to",
                "model.json",
                "--format",
                "onnx",
            ],
        ),
        &["model.json"],
    );
    // the model is untouched by the refusal
    crate::saved_model(&dir.path().join("model.json"));
}

/// A model file `eval` refuses, `export` refuses with the same message, and
/// writes nothing; one `eval` takes, `export` takes.
#[test]
fn a_model_eval_refuses_export_refuses_alike() {
    let dir = tempfile::tempdir().expect("a temp dir");
    trained(dir.path());
    let valid = std::fs::read_to_string(dir.path().join("model.json")).expect("a model");
    std::fs::write(
        dir.path().join("moons.csv"),
        std::fs::read(crate::repo("data/micrograd_demo_moons.csv")).expect("the demo's moons"),
    )
    .expect("written");
    let mut state = 7u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let (mut refused, mut taken) = (0, 0);
    for case in 0..40 {
        let mut text: Vec<char> = valid.chars().collect();
        for _ in 0..1 + next() % 3 {
            let at = next() % text.len();
            match next() % 3 {
                0 => {
                    text.remove(at);
                }
                1 => text.insert(at, ['"', '{', ']', '-', 'x', '9', ','][next() % 7]),
                _ => text[at] = ['"', '}', '[', 'e', 'n', '0', ':'][next() % 7],
            }
        }
        let model = format!("case{case}.json");
        std::fs::write(dir.path().join(&model), text.iter().collect::<String>()).expect("written");
        let to = format!("case{case}.onnx");
        let eval = micrograd_in(
            dir.path(),
            &["eval", "--model", &model, "--data", "moons.csv"],
        );
        let export = micrograd_in(dir.path(), &["export", "--model", &model, "--to", &to]);
        let last = |output: &std::process::Output| {
            let stderr = String::from_utf8_lossy(&output.stderr).to_string();
            stderr
                .trim_end()
                .lines()
                .last()
                .unwrap_or_default()
                .to_string()
        };
        if !export.status.success() {
            refused += 1;
            assert_eq!(last(&eval), last(&export), "case {case}");
            assert!(
                !dir.path().join(&to).exists(),
                "case {case}: nothing written"
            );
        } else {
            taken += 1;
            assert!(eval.status.success(), "case {case}: {}", last(&eval));
        }
    }
    assert!(
        refused > 10 && taken > 0,
        "{refused} refused, {taken} taken"
    );
}
