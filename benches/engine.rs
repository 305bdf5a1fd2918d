//! The engine's speed and memory, measured: `cargo bench --bench engine`.
//!
//! - the micrograd demo step (moons, MLP 2-16-16-1, hinge + L2, graph rebuilt
//!   every step): median ms/step over runs of 100 steps, and ns per graph node;
//! - `micrograd train`'s full-batch step on larger data at 1 and 2 threads:
//!   1,000 and 5,000 moons with MLP 2-32-32-1 (hinge + L2), and data shaped
//!   like scikit-learn's digits (1,078 rows, 64 features, 10 classes) with
//!   MLP 64-32-10 (cross-entropy);
//! - a 10M-node chain: build, backward and drop times, and peak bytes per node;
//! - peak memory after 100 training steps against after 10,000.
//!
//! Memory is read from /proc/self/status (Linux), each measurement in a fresh
//! child process so that one's peak does not hide another's.
//! `cargo bench --bench engine -- demo` prints only the demo figure and
//! `-- tasks` only the larger tasks', one per line, for `benches/compare.sh`
//! (`-- tasks moons1000 1` picks a task and a thread count; `-- tasks
//! moons1000 1 8 16`, several counts).

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use micrograd::Value;
use micrograd::engine::tape_len;
use micrograd::nn::{Activation, MLP};
use micrograd::rng::{Init, Stream};
use micrograd::train;
use micrograd::train::config::Config;
use micrograd::train::data::{Columns, Dataset};
use micrograd::train::datasets::{self, Synthetic};
use micrograd::train::loss;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

const CHILD_ENV: &str = "MICROGRAD_BENCH_CHILD";
const DEMO_RUNS: usize = 11;
const STEPS_PER_RUN: usize = 100;
const CHAIN_NODES: usize = 10_000_000;

fn main() {
    if let Ok(scenario) = std::env::var(CHILD_ENV) {
        match scenario.as_str() {
            "chain" => chain(),
            "memory" => memory(),
            other => panic!("unknown scenario {other}"),
        }
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "tasks") {
        // `-- tasks [NAME...] [THREADS...]` picks some
        let named = |name: &str| args.iter().any(|arg| arg == name);
        let any_task = TASKS
            .iter()
            .chain(&NAMED_TASKS)
            .any(|task| named(task.name));
        // any number among the arguments is a thread count
        let mut thread_counts: Vec<usize> =
            args.iter().filter_map(|arg| arg.parse().ok()).collect();
        // `steps=N` times N steps a run instead of the task's own: a task's
        // step costs less as training goes on (more rows pass no grad back),
        // so tasks compared with each other are timed over the same steps
        let steps: Option<usize> = args
            .iter()
            .find_map(|arg| arg.strip_prefix("steps=")?.parse().ok());
        if thread_counts.is_empty() {
            thread_counts = vec![1, 2];
        }
        let tasks = TASKS.iter().filter(|task| !any_task || named(task.name));
        let named_only = NAMED_TASKS.iter().filter(|task| named(task.name));
        for task in tasks.chain(named_only) {
            for &threads in &thread_counts {
                println!(
                    "task_ms {} {threads} {:.4}",
                    task.name,
                    task.ms_per_step(threads, steps.unwrap_or(task.steps))
                );
            }
        }
        return;
    }
    let demo_only = args.iter().any(|arg| arg == "demo");
    let (ms_per_step, nodes_per_step) = demo();
    if demo_only {
        println!("demo_ms_per_step {ms_per_step:.4}");
        return;
    }
    println!(
        "demo step:   {ms_per_step:.3} ms/step (median of {DEMO_RUNS} runs of {STEPS_PER_RUN} steps; \
         moons, MLP 2-16-16-1, hinge + L2, graph rebuilt every step)"
    );
    println!(
        "per node:    {:.2} ns/node ({nodes_per_step} nodes per step, forward + backward + free)",
        ms_per_step * 1e6 / nodes_per_step as f64
    );
    for task in TASKS {
        let one = task.ms_per_step(1, task.steps);
        let two = task.ms_per_step(2, task.steps);
        println!(
            "{:<34} {one:>7.3} ms/step on 1 thread, {two:>7.3} on 2 ({:.2}x)",
            task.title,
            one / two
        );
    }
    print!("{}", run_child("chain"));
    print!("{}", run_child("memory"));
}

/// A full-batch training task, run through `micrograd train`'s own loop.
struct Task {
    name: &'static str,
    title: &'static str,
    rows: usize,
    /// `moons` or `digits`
    data: &'static str,
    /// The config, but for the dataset, the steps and the threads.
    config: &'static str,
    /// Steps timed per run.
    steps: usize,
}

/// Steps timed per run of a task, on both sides (`benches/compare.py` runs as
/// many in PyTorch). Twenty made a two-thread 1,000-row run 10 ms long, in
/// which one late wake-up or busy moment of the machine moved the figure by
/// a tenth.
const TASK_STEPS: usize = 100;

const MOONS_CONFIG: &str = r#""model": {"hidden": [32, 32], "activation": "relu"}, "loss": "hinge",
    "l2": 1e-4, "optimizer": {"kind": "sgd", "lr": 0.1}, "standardize": false, "init": "micrograd",
    "batch_size": 1000000"#;
const DIGITS_CONFIG: &str = r#""task": "multiclass", "model": {"hidden": [32], "activation": "relu"},
    "optimizer": {"kind": "sgd", "lr": 0.1}, "init": "micrograd", "l2": 1e-4, "batch_size": 1000000"#;

const TASKS: [Task; 3] = [
    Task {
        name: "moons1000",
        title: "1,000 moons, MLP 2-32-32-1",
        rows: 1000,
        data: "moons",
        config: MOONS_CONFIG,
        steps: TASK_STEPS,
    },
    Task {
        name: "moons5000",
        title: "5,000 moons, MLP 2-32-32-1",
        rows: 5000,
        data: "moons",
        config: MOONS_CONFIG,
        steps: TASK_STEPS,
    },
    Task {
        name: "digits",
        title: "digits-shaped 1,078 x 64, MLP 64-32-10",
        rows: 1078,
        data: "digits",
        config: DIGITS_CONFIG,
        steps: TASK_STEPS,
    },
];

/// Tasks run only when named (`-- tasks wide512 1`): wider networks on
/// 5,000 moons, MLP 2-W-W-1, the moons' config otherwise, ten steps a run (a
/// step of the widest is a fifth of a second here); and 50,000 moons, the
/// many-core machine's task (`benches/device.sh`).
const NAMED_TASKS: [Task; 4] = [
    wide("wide128", WIDE_128),
    wide("wide256", WIDE_256),
    wide("wide512", WIDE_512),
    Task {
        name: "moons50000",
        title: "50,000 moons, MLP 2-32-32-1",
        rows: 50_000,
        data: "moons",
        config: MOONS_CONFIG,
        steps: 20,
    },
];
const WIDE_128: &str = r#""model": {"hidden": [128, 128], "activation": "relu"}, "loss": "hinge",
    "l2": 1e-4, "optimizer": {"kind": "sgd", "lr": 0.1}, "standardize": false, "init": "micrograd",
    "batch_size": 1000000"#;
const WIDE_256: &str = r#""model": {"hidden": [256, 256], "activation": "relu"}, "loss": "hinge",
    "l2": 1e-4, "optimizer": {"kind": "sgd", "lr": 0.1}, "standardize": false, "init": "micrograd",
    "batch_size": 1000000"#;
const WIDE_512: &str = r#""model": {"hidden": [512, 512], "activation": "relu"}, "loss": "hinge",
    "l2": 1e-4, "optimizer": {"kind": "sgd", "lr": 0.1}, "standardize": false, "init": "micrograd",
    "batch_size": 1000000"#;

const fn wide(name: &'static str, config: &'static str) -> Task {
    Task {
        name,
        title: name,
        rows: 5000,
        data: "moons",
        config,
        steps: 10,
    }
}

impl Task {
    /// Median ms per step: the time of `steps + 5` steps less that of 5,
    /// over `steps`, so that loading, the first steps and the final scoring
    /// drop out.
    fn ms_per_step(&self, threads: usize, steps: usize) -> f64 {
        let csv = match self.data {
            "moons" => datasets::generate(Synthetic::Moons, self.rows, 0.1, 1),
            _ => digits_like(self.rows),
        };
        let dataset = Dataset::from_csv(&csv, &Columns::default()).expect("valid CSV");
        let run = |steps: usize| {
            let json = format!(
                r#"{{"dataset": "-", "steps": {steps}, "threads": {threads}, {}}}"#,
                self.config
            );
            let config = Config::from_json(&json).expect("a valid config");
            let stop = std::sync::atomic::AtomicBool::new(false);
            let start = Instant::now();
            let trained = train::train(&config, &dataset, &mut |_, _| {}, &stop);
            black_box(trained.expect("trains"));
            start.elapsed().as_secs_f64() * 1e3
        };
        let mut per_step: Vec<f64> = (0..5)
            .map(|_| (run(steps + 5) - run(5)) / steps as f64)
            .collect();
        per_step.sort_by(f64::total_cmp);
        per_step[per_step.len() / 2]
    }
}

/// Data shaped like scikit-learn's digits: 64 features in [0, 16], ten
/// classes whose means differ, seeded.
fn digits_like(rows: usize) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(64);
    let centres: Vec<Vec<f64>> = (0..10)
        .map(|_| (0..64).map(|_| rng.random_range(0.0..16.0)).collect())
        .collect();
    let mut csv: String = (0..64).map(|j| format!("p{j},")).collect();
    csv.push_str("digit\n");
    for row in 0..rows {
        let class = row % 10;
        for centre in &centres[class] {
            let pixel: f64 = (centre + rng.random_range(-4.0..4.0)).clamp(0.0, 16.0);
            csv.push_str(&format!("{pixel:.0},"));
        }
        csv.push_str(&format!("{class}\n"));
    }
    csv
}

fn run_child(scenario: &str) -> String {
    let exe = std::env::current_exe().expect("the bench knows its own path");
    let output = Command::new(exe)
        .env(CHILD_ENV, scenario)
        .output()
        .expect("the bench can run itself");
    assert!(
        output.status.success(),
        "{scenario} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the bench prints text")
}

struct Demo {
    model: MLP,
    xs: Vec<[f64; 2]>,
    ys: Vec<f64>,
}

impl Demo {
    fn new() -> Demo {
        let sizes = [16, 16, 1];
        let activations = Activation::micrograd_default(sizes.len());
        let model = MLP::with_init(
            2,
            &sizes,
            &activations,
            Init::micrograd(Stream::Python { seed: 1337 }),
        );
        let (xs, ys) = datasets::demo_moons().into_iter().unzip();
        Demo { model, xs, ys }
    }

    /// One step of demo.ipynb: forward all 100 points, loss, backward, SGD.
    /// Returns the loss and the number of nodes the step built.
    fn step(&mut self, k: usize) -> (f64, usize) {
        let before = tape_len();
        let scores: Vec<Value> = self
            .xs
            .iter()
            .map(|x| self.model.forward(x).remove(0))
            .collect();
        let total_loss = loss::hinge(&scores, &self.ys) + loss::l2(&self.model.parameters(), 1e-4);
        let nodes = tape_len() - before;
        self.model.zero_grad();
        total_loss.backward();
        let learning_rate = 1.0 - 0.9 * (k % 100) as f64 / 100.0;
        self.model.update_weights(learning_rate);
        (total_loss.data(), nodes)
    }
}

/// Median ms per step over `DEMO_RUNS` runs of `STEPS_PER_RUN` steps, and nodes per step.
fn demo() -> (f64, usize) {
    let mut demo = Demo::new();
    let (_, nodes_per_step) = demo.step(0);
    let mut per_step = Vec::with_capacity(DEMO_RUNS);
    for _ in 0..DEMO_RUNS {
        let mut demo = Demo::new();
        let start = Instant::now();
        for k in 0..STEPS_PER_RUN {
            black_box(demo.step(k));
        }
        per_step.push(start.elapsed().as_secs_f64() * 1e3 / STEPS_PER_RUN as f64);
    }
    per_step.sort_by(f64::total_cmp);
    (per_step[DEMO_RUNS / 2], nodes_per_step)
}

/// A field of /proc/self/status, in bytes.
fn proc_status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux has /proc/self/status");
    let line = status
        .lines()
        .find(|line| line.starts_with(field))
        .expect("the field is in status");
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number of kB");
    kib * 1024
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn chain() {
    let baseline = proc_status_bytes("VmHWM:");
    let start = Instant::now();
    let x = Value::leaf(1e-7);
    let mut chain = x.clone();
    for _ in 0..CHAIN_NODES - 1 {
        chain = &chain + &x;
    }
    let built = start.elapsed();
    let nodes = tape_len();
    let start = Instant::now();
    chain.backward();
    let backward = start.elapsed();
    assert_eq!(x.grad(), CHAIN_NODES as f64);
    let peak = proc_status_bytes("VmHWM:") - baseline;
    let start = Instant::now();
    drop(chain);
    drop(x);
    let dropped = start.elapsed();
    assert_eq!(tape_len(), 0);
    let bytes_per_node = peak as f64 / nodes as f64;
    println!(
        "10M chain:   build {:.0} ms, backward {:.1} ms (target <= 50), drop {:.1} ms, \
         peak {bytes_per_node:.1} bytes/node (target <= 32) over {nodes} nodes",
        ms(built),
        ms(backward),
        ms(dropped)
    );
}

fn memory() {
    let mut demo = Demo::new();
    for k in 0..100 {
        demo.step(k);
    }
    let after_100 = proc_status_bytes("VmHWM:");
    for k in 100..10_000 {
        demo.step(k);
    }
    let after_10_000 = proc_status_bytes("VmHWM:");
    let growth = (after_10_000 as f64 / after_100 as f64 - 1.0) * 100.0;
    println!(
        "memory:      peak RSS {:.1} MiB after 100 steps, {:.1} MiB after 10,000 ({growth:+.1}%, target within 10%)",
        after_100 as f64 / (1 << 20) as f64,
        after_10_000 as f64 / (1 << 20) as f64,
    );
}
