//! The playground's speed, measured: `cargo bench --bench play`.
//!
//! - the default network (TensorFlow Playground's: 2-4-2-1, tanh, on 200
//!   circle points, half for training, batch 10) trained by `Plan::train`
//!   on one thread for three seconds, with what the server does for a
//!   frame every 30 ms (the model, its training and test metrics, and
//!   every neuron's map over a 64x64 grid): steps a second and frames a
//!   second, played as fast as it goes;
//! - a 2-8-8-8-1 network's maps (eight per hidden layer and the output) at
//!   64x64: the median time of one frame's maps over 200 frames.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use micrograd::nn::{Activation, MLP};
use micrograd::rng::{Init, Stream};
use micrograd::show::maps::{Grid, Weights, neuron_maps, plane_inputs};
use micrograd::train::config::Config;
use micrograd::train::data::{Columns, Dataset};
use micrograd::train::datasets::{self, Synthetic};
use micrograd::train::{self, Plan};

const FRAME_GAP: Duration = Duration::from_millis(30);
const GRID: Grid = Grid {
    size: 64,
    x: (-1.5, 1.5),
    y: (-1.5, 1.5),
};

fn main() {
    playing();
    maps();
}

fn playing() {
    let csv = datasets::generate(Synthetic::Circles, 200, 0.05, 0);
    let dataset = Dataset::from_csv(&csv, &Columns::default()).expect("circles");
    let config: Config = serde_json::from_value(serde_json::json!({
        "dataset": "circles.csv",
        "model": { "hidden": [4, 2], "activation": "tanh" },
        "l2": 0.0,
        "optimizer": { "kind": "sgd", "lr": 0.03, "momentum": 0.0 },
        "batch_size": 10,
        "validation_split": 0.5,
        "steps": 100_000_000u64,
        "threads": 1,
    }))
    .expect("a config");
    let plan = Plan::new(&config, &dataset, None, None).expect("a plan");
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let mut last_frame: Option<Instant> = None;
    let (mut frames, mut steps, mut frame_time) = (0usize, 0usize, Duration::ZERO);
    plan.train(train::Hooks {
        progress: &mut |_, _| {},
        stop: &stop,
        checkpoint: &mut |_| {},
        watch: &mut |watch| {
            steps = watch.steps_done;
            if last_frame.is_none_or(|at| at.elapsed() >= FRAME_GAP) {
                let begun = Instant::now();
                let model = watch.model();
                let metrics = watch.metrics(&model);
                let maps = neuron_maps(
                    &Weights::of(&model),
                    plane_inputs(None, watch.standardization()),
                    &GRID,
                );
                std::hint::black_box((metrics, maps));
                frame_time += begun.elapsed();
                frames += 1;
                last_frame = Some(Instant::now());
            }
            if started.elapsed() >= Duration::from_secs(3) {
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        },
    })
    .expect("trains");
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "play 2-4-2-1 circles: {:.0} steps/s, {:.1} frames/s, {:.2} ms a frame ({steps} steps in {seconds:.1} s)",
        steps as f64 / seconds,
        frames as f64 / seconds,
        frame_time.as_secs_f64() * 1e3 / frames.max(1) as f64
    );
}

fn maps() {
    let model = MLP::with_init(
        2,
        &[8, 8, 8, 1],
        &[
            Activation::Tanh,
            Activation::Tanh,
            Activation::Tanh,
            Activation::Linear,
        ],
        Init::micrograd(Stream::Portable { seed: 1 }),
    );
    let mut times: Vec<f64> = (0..200)
        .map(|_| {
            let begun = Instant::now();
            let maps = neuron_maps(&Weights::of(&model), plane_inputs(None, None), &GRID);
            std::hint::black_box(maps);
            begun.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "maps 2-8-8-8-1 at 64x64: median {:.2} ms a frame (fastest {:.2}, slowest {:.2})",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
}
