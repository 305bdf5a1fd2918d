//! `micrograd play`, the server, driven over HTTP as a page and as an
//! attacker would: its guards (Host, origin, body size), its JSON
//! endpoints fuzzed, a run downloaded and reproduced by `micrograd train`
//! byte for byte, a run that ends with its page, and Ctrl-C. The page
//! itself is checked in Chromium by `.ci/browser/play.mjs`.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `micrograd play --port 0 --no-open`, killed when dropped.
struct Server {
    child: Child,
    /// `127.0.0.1:PORT`
    host: String,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_micrograd"))
            .args(["play", "--port", "0", "--no-open"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("the address line");
        let host = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Server { child, host }
    }

    /// A request with `headers` (the Host header among them when wanted);
    /// the status and the body.
    fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.host).expect("the server listens");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("a timeout");
        let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).expect("sent");
        let _ = stream.write_all(body);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status in {answer:?}"));
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        (status, dechunk(body))
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.raw("GET", path, &[("Host", &self.host)], b"")
    }

    fn post(&self, path: &str, body: &str) -> (u16, String) {
        let headers = [
            ("Host", self.host.as_str()),
            ("Content-Type", "application/json"),
        ];
        self.raw("POST", path, &headers, body.as_bytes())
    }

    fn json(&self, path: &str, body: &str) -> serde_json::Value {
        let (status, text) = self.post(path, body);
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str(&text).expect("JSON")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A chunked body's text, or the body as it is.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    loop {
        let Some((size, after)) = rest.split_once("\r\n") else {
            return body.to_string();
        };
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            return body.to_string();
        };
        if size == 0 || after.len() < size {
            return if out.is_empty() {
                body.to_string()
            } else {
                out
            };
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
}

const SPIRAL: &str = r#"{"settings": {"data": "spiral", "points": 200, "noise": 0.05, "hidden": [8, 8],
    "activation": "tanh", "lr": 0.03, "batch_size": 10, "seed": 3}}"#;

#[test]
fn foreign_hosts_other_origins_and_big_bodies_are_refused() {
    let server = Server::start(&[]);
    let port = server.host.rsplit(':').next().expect("a port");
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let (status, page) = server.raw("GET", "/", &[("Host", &host)], b"");
        assert_eq!(status, 200, "{host}");
        assert!(page.contains("micrograd playground"));
    }
    // DNS rebinding: a name that resolves here, but is not ours
    for host in ["evil.example:80", &format!("evil.example:{port}"), ""] {
        let (status, body) = server.raw("GET", "/", &[("Host", host)], b"");
        assert_eq!(status, 403, "{host}: {body}");
        assert!(body.contains("answers to"), "{body}");
    }
    let headers = [
        ("Host", server.host.as_str()),
        ("Origin", "http://evil.example"),
        ("Content-Type", "application/json"),
    ];
    let (status, body) = server.raw("POST", "/api/run", &headers, SPIRAL.as_bytes());
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("another origin"));
    // a 100 MB upload, refused on its length before it is read
    let headers = [
        ("Host", server.host.as_str()),
        ("Content-Length", "104857600"),
    ];
    let (status, body) = server.raw("POST", "/api/data", &headers, b"x1,x2,y\n");
    assert_eq!(status, 413, "{body}");
    assert!(
        body.contains("104857600 bytes is more than the 10 MB"),
        "{body}"
    );
    // and one that says less than it sends is cut at the cap
    let big = vec![b'1'; 11 * 1024 * 1024];
    let headers = [("Host", server.host.as_str())];
    let (status, _) = server.raw("POST", "/api/data", &headers, &big);
    assert!(status == 413 || status == 400, "{status}");
    assert_eq!(server.get("/").0, 200, "the server lives on");
}

#[test]
fn an_expression_comes_back_as_its_page_or_its_error() {
    let server = Server::start(&[]);
    let answer = server.json(
        "/api/expression",
        r#"{"expr": "n = x1*w1 + x2*w2 + b; o = tanh(n)", "set": "x1=2,x2=0,w1=-3,w2=1,b=6.881373587019543"}"#,
    );
    let output = answer["output"].as_f64().expect("the output");
    // the lecture picked b so that o = tanh(n) comes out 1/√2
    assert!(
        (output - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-4,
        "{output}"
    );
    assert!(
        answer["html"]
            .as_str()
            .expect("a page")
            .contains("id=\"graph-wide\"")
    );
    let (status, body) = server.post("/api/expression", r#"{"expr": "y = (x*"}"#);
    assert_eq!(status, 400);
    let error: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let error = error["error"].as_str().expect("a message");
    assert!(error.contains("column 8") && error.contains('^'), "{error}");
    let long = format!(r#"{{"expr": "{}"}}"#, "x+".repeat(6000));
    let (status, body) = server.post("/api/expression", &long);
    assert_eq!(status, 400);
    assert!(body.contains("longer than 10000 characters"), "{body}");
}

/// Bad input is a message for the page: never a 500, never a dead server.
#[test]
fn the_json_endpoints_survive_fuzzing() {
    let server = Server::start(&[]);
    let run = server.json("/api/run", SPIRAL);
    let id = run["id"].as_u64().expect("an id");
    let paths = [
        "/api/expression".to_string(),
        "/api/run".to_string(),
        "/api/data".to_string(),
        format!("/api/run/{id}/control"),
        format!("/api/run/{id}/point"),
        "/api/run/99999/control".to_string(),
    ];
    let seeds = [
        SPIRAL.to_string(),
        SPIRAL.replace(
            r#""seed": 3"#,
            r#""features": ["x1", "x2^2", "sin(x1)"], "l1": 0.01"#,
        ),
        r#"{"expr": "a*b", "set": "a=1,b=2"}"#.to_string(),
        r#"{"playing": true, "steps": 3, "rate": 100}"#.to_string(),
        r#"{"x": [0.1, 0.2]}"#.to_string(),
        "x1,x2,y\n1,2,a\n3,4,b\n".to_string(),
    ];
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let cases = std::env::var("MICROGRAD_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(300, |n| (n / 100).clamp(300, 3000));
    for case in 0..cases {
        let mut body: Vec<u8> = seeds[next() % seeds.len()].clone().into_bytes();
        for _ in 0..1 + next() % 4 {
            let at = next() % (body.len() + 1);
            match next() % 4 {
                0 if at < body.len() => {
                    body.remove(at);
                }
                1 => body.insert(at, b"{}[]\",:-0123456789eE.aznull\xff"[next() % 28]),
                2 if at < body.len() => body[at] = (next() % 256) as u8,
                _ => body.truncate(at),
            }
        }
        let path = &paths[next() % paths.len()];
        let headers = [
            ("Host", server.host.as_str()),
            ("Content-Type", "application/json"),
        ];
        let (status, text) = server.raw("POST", path, &headers, &body);
        assert!(
            [200, 400, 413, 415, 422].contains(&status),
            "case {case}: {path} {:?} gave {status}: {text}",
            String::from_utf8_lossy(&body)
        );
        assert!(status < 500);
    }
    assert_eq!(server.get("/").0, 200, "the server lives on");
}

/// The model downloaded after some steps is the model `micrograd train`
/// writes from the downloaded config and data, byte for byte.
#[test]
fn a_downloaded_run_is_reproduced_by_train() {
    let server = Server::start(&[]);
    let run = server.json("/api/run", SPIRAL);
    assert_eq!(run["layers"], serde_json::json!([8, 8, 3]));
    assert_eq!(run["points"].as_array().map(Vec::len), Some(200));
    reproduce(&server, &run, 37);
}

/// The regression plane, on features made from x1 and x2, with L1: the
/// regions are the predictions over the targets' range, a click gives the
/// backprop through the made features, and `train` reproduces the run.
#[test]
fn made_features_l1_and_the_regression_plane() {
    let server = Server::start(&[]);
    let settings = r#"{"settings": {"data": "plane", "points": 100, "noise": 0,
        "features": ["x1", "x2^2", "x1*x2", "sin(x2)"], "hidden": [3], "activation": "tanh",
        "l1": 0.001, "l2": 0, "lr": 0.03, "batch_size": 10, "seed": 5}}"#;
    let run = server.json("/api/run", settings);
    assert_eq!(run["columns"], serde_json::json!(["x1", "x2"]));
    assert_eq!(
        run["features"],
        serde_json::json!(["x1", "x2^2", "x1*x2", "sin(x2)"])
    );
    assert_eq!(run["input_maps"].as_array().map(Vec::len), Some(4));
    let (lo, hi) = (run["values"][0].as_f64(), run["values"][1].as_f64());
    assert!(lo >= Some(-1.0) && hi <= Some(1.0) && lo < hi, "{run}");
    // a point's target is (x1 + x2) / 2
    let point = &run["points"][0];
    let (x1, x2, target) = (point[0].as_f64(), point[1].as_f64(), point[2].as_f64());
    assert_eq!(target, Some((x1.expect("x1") + x2.expect("x2")) / 2.0));
    let download = reproduce(&server, &run, 12);
    let config: serde_json::Value =
        serde_json::from_str(download["config"].as_str().expect("config")).expect("JSON");
    assert_eq!(config["l1"], 0.001);
    assert_eq!(config["columns"]["features"], run["features"]);
    let id = run["id"].as_u64().expect("an id");
    let answer = server.json(&format!("/api/run/{id}/point"), r#"{"x": [0.5, -0.25]}"#);
    let html = answer["html"].as_str().expect("a page");
    assert!(
        html.contains("x2^2") && html.contains("sin(x2)"),
        "the inputs are named"
    );
    // features that cannot be made are the page's error
    let bad = settings.replace("sin(x2)", "tan(x2)");
    let (status, body) = server.post("/api/run", &bad);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("no column `tan(x2)`"), "{body}");
}

/// Steps `run` `steps` times, downloads it, and checks that `micrograd
/// train` makes the same model file from the config and data; the download.
fn reproduce(server: &Server, run: &serde_json::Value, steps: usize) -> serde_json::Value {
    let id = run["id"].as_u64().expect("an id");
    // a download before any step has nothing to give
    let (status, _) = server.get(&format!("/api/run/{id}/download"));
    assert_eq!(status, 400);
    server.json(
        &format!("/api/run/{id}/control"),
        &format!(r#"{{"playing": false, "steps": {steps}}}"#),
    );
    // the frames: at most `steps` steps, and then it holds
    let deadline = Instant::now() + Duration::from_secs(20);
    let download = loop {
        let (status, text) = server.get(&format!("/api/run/{id}/download"));
        if status == 200 {
            let answer: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            let model: serde_json::Value =
                serde_json::from_str(answer["model"].as_str().expect("a model")).expect("JSON");
            if model["metrics"]["steps"] == steps {
                break answer;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no model of {steps} steps: {status} {text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = |name: &str| dir.path().join(name);
    std::fs::write(
        file("playground-config.json"),
        download["config"].as_str().expect("config"),
    )
    .expect("written");
    std::fs::write(
        file(download["data_file"].as_str().expect("a name")),
        download["data"].as_str().expect("data"),
    )
    .expect("written");
    let out = dir.path().join("out");
    let trained = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["train", "--quiet", "--config"])
        .arg(file("playground-config.json"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("train runs");
    assert!(
        trained.status.success(),
        "{}",
        String::from_utf8_lossy(&trained.stderr)
    );
    let written = std::fs::read_to_string(out.join("playground-model.json")).expect("a model");
    assert_eq!(
        written,
        download["model"].as_str().expect("a model"),
        "byte for byte"
    );
    download
}

/// The process's CPU time so far, in clock ticks (Linux).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// A run trains while its page watches, and stops when the page goes.
#[test]
fn a_run_ends_with_its_page() {
    let server = Server::start(&[]);
    let run = server.json("/api/run", SPIRAL);
    let id = run["id"].as_u64().expect("an id");
    let mut stream = TcpStream::connect(&server.host).expect("the server listens");
    let request = format!(
        "GET /api/run/{id}/frames HTTP/1.1\r\nHost: {}\r\n\r\n",
        server.host
    );
    stream.write_all(request.as_bytes()).expect("sent");
    server.json(&format!("/api/run/{id}/control"), r#"{"playing": true}"#);
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    let mut seen = Vec::new();
    let mut buffer = [0u8; 65536];
    while !String::from_utf8_lossy(&seen).contains("\"steps\"") {
        let n = stream.read(&mut buffer).expect("frames come");
        assert!(n > 0, "the stream ended");
        seen.extend_from_slice(&buffer[..n]);
    }
    drop(stream);
    // the run is gone, and the process stops working
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.get(&format!("/api/run/{id}/download")).0 != 400 {
        assert!(Instant::now() < deadline, "the run lives on");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    if let Some(before) = cpu_ticks(server.child.id()) {
        std::thread::sleep(Duration::from_secs(1));
        let after = cpu_ticks(server.child.id()).expect("still there");
        assert!(
            after - before < 20,
            "{} ticks of CPU in a second with no page",
            after - before
        );
    }
}

#[test]
fn ctrl_c_stops_the_server_at_once() {
    let mut server = Server::start(&[]);
    let run = server.json("/api/run", SPIRAL);
    let id = run["id"].as_u64().expect("an id");
    server.json(&format!("/api/run/{id}/control"), r#"{"playing": true}"#);
    // an open event stream must not hold the server up
    let mut stream = TcpStream::connect(&server.host).expect("the server listens");
    let request = format!(
        "GET /api/run/{id}/frames HTTP/1.1\r\nHost: {}\r\n\r\n",
        server.host
    );
    stream.write_all(request.as_bytes()).expect("sent");
    let killed = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("waits") {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_missing_or_bad_data_file_is_an_error_before_serving() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "x1,x2,y\n1,oops,a\n").expect("written");
    for (path, needle) in [
        (dir.path().join("none.csv"), "cannot read"),
        (bad.clone(), "bad.csv"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_micrograd"))
            .args(["play", "--port", "0", "--no-open", "--data"])
            .arg(&path)
            .output()
            .expect("runs");
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{stderr}");
    }
}
