//! One page's training: the page's settings made into a training config and
//! a dataset, trained by the library's own loop (`Plan::train`, as `micrograd
//! train` runs it) on a thread of its own, which the page plays, pauses and
//! steps. After each step the thread may publish a frame: the losses, the
//! decision regions and every neuron's map over the plane.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use micrograd::show::maps::{self, Grid, Weights};
use micrograd::train::config::Config;
use micrograd::train::data::{Columns, Dataset};
use micrograd::train::datasets::{self, Synthetic};
use micrograd::train::features::{Feature, Made};
use micrograd::train::model::SavedModel;
use micrograd::train::{self, Plan, Prediction, Watch};
use serde::{Deserialize, Serialize};

/// The most hidden layers, and neurons in one, a page may ask for.
pub const MAX_LAYERS: usize = 6;
pub const MAX_WIDTH: usize = 32;
/// The most points of a synthetic set.
pub const MAX_POINTS: usize = 5000;
/// The most features a run may name.
pub const MAX_FEATURES: usize = 16;
/// Cells a side of the maps the page draws.
pub const MAP_SIZE: usize = 64;
/// The least time between two frames: 33 a second at most.
const FRAME_GAP: Duration = Duration::from_millis(30);
/// What the config calls the data file the page downloads beside it.
pub const DATA_FILE: &str = "playground-data.csv";

/// The page's settings for a run.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `circles`, `xor`, `gauss`, `spiral`, `moons`, `plane`, or `file` for the data
    /// `micrograd play --data` or the page's upload gave.
    pub data: String,
    #[serde(default = "default_points")]
    pub points: usize,
    #[serde(default)]
    pub noise: f64,
    /// The share of the points trained on; the rest are the test set.
    #[serde(default = "default_ratio")]
    pub train_ratio: f64,
    /// The network's inputs: columns, or features made from them
    /// (`x1^2`, `x1*x2`, `sin(x1)`); none for every column.
    #[serde(default)]
    pub features: Option<Vec<String>>,
    pub hidden: Vec<usize>,
    pub activation: String,
    #[serde(default)]
    pub l1: f64,
    #[serde(default)]
    pub l2: f64,
    pub lr: f64,
    pub batch_size: usize,
    #[serde(default)]
    pub seed: u64,
}

fn default_points() -> usize {
    200
}
fn default_ratio() -> f64 {
    0.5
}

/// What a new run tells the page: its number, and the points to draw.
#[derive(Serialize)]
pub struct Started {
    pub id: u64,
    /// `[x1, x2, class]` for each point, or `[x1, x2, target]` for a
    /// regression (none unless the data has two columns of features).
    pub points: Vec<(f64, f64, f64)>,
    pub classes: Vec<String>,
    /// A regression's targets span this range, which the regions' bytes
    /// cover from 0 to 255.
    pub values: Option<(f64, f64)>,
    /// The plane the maps cover.
    pub x: (f64, f64),
    pub y: (f64, f64),
    /// The data's columns of features, from which features may be made.
    pub columns: Vec<String>,
    /// The network's inputs.
    pub features: Vec<String>,
    /// Each input's value over the plane, base64, a byte a cell: 0 for its
    /// most negative, 255 for its most positive (none without a plane).
    pub input_maps: Vec<String>,
    /// Neurons per layer, the output layer's included.
    pub layers: Vec<usize>,
}

/// One picture of the run, as the page gets it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Frame {
    pub steps: usize,
    /// Passes over the training points done.
    pub epochs: usize,
    pub train_loss: f64,
    pub test_loss: Option<f64>,
    pub train_accuracy: Option<f64>,
    pub test_accuracy: Option<f64>,
    /// Steps a second since the last frame.
    pub speed: f64,
    pub paused: bool,
    /// The predicted class of each cell, base64, a byte a cell.
    pub regions: String,
    /// Each hidden and output neuron's output over the cells, base64, a
    /// byte a cell: 0 for -1 or less, 255 for 1 or more.
    pub maps: Vec<Vec<String>>,
    /// Each neuron's weights on the layer before: `weights[layer][neuron][input]`.
    pub weights: Vec<Vec<Vec<f64>>>,
}

/// What the page asks of the running thread.
#[derive(Default)]
struct Control {
    playing: bool,
    /// Steps to take before pausing again.
    steps_asked: usize,
    /// Make the model file as it stands.
    want_model: bool,
    /// The most steps a second while playing; none for as many as it can.
    rate: Option<f64>,
}

/// A run, as the server holds it.
pub struct Session {
    pub stop: Arc<AtomicBool>,
    control: Arc<(Mutex<Control>, Condvar)>,
    /// The newest frame, and a count that grows with each.
    pub frames: tokio::sync::watch::Receiver<Arc<Frame>>,
    /// The model file the thread last made, when asked, and its steps.
    model: Arc<(Mutex<Option<SavedModel>>, Condvar)>,
    /// The run's weights as of the newest frame, as a model file holds them.
    pub latest: Arc<Mutex<Option<SavedModel>>>,
    pub config: Config,
    pub csv: Arc<String>,
    /// The plane of the data's two columns, and the features made from it.
    pub plane: Option<Made>,
}

impl Session {
    /// Starts a run of `settings` on `file` (the CSV the page may train on),
    /// paused; `Err` says what is wrong with the settings, for the page.
    pub fn start(
        id: u64,
        settings: &Settings,
        file: Option<&str>,
    ) -> Result<(Session, Started), String> {
        let csv = Arc::new(data_of(settings, file)?);
        let read = |features: Option<Vec<String>>| {
            let columns = Columns {
                features,
                target: None,
            };
            Dataset::from_csv(&csv, &columns).map_err(|err| err.to_string())
        };
        let all = read(None)?;
        let columns = all.feature_names.clone();
        let plane = plane_of(&all, settings.features.as_deref());
        let dataset = match &settings.features {
            Some(names) if names.is_empty() || names.len() > MAX_FEATURES => {
                return Err(format!(
                    "{} features: from 1 to {MAX_FEATURES}",
                    names.len()
                ));
            }
            Some(names) => read(Some(names.clone()))?,
            None => all,
        };
        let config = config_of(settings)?;
        config.check().map_err(|err| format!("{err:#}"))?;
        let mut started = started(id, &dataset, &config, plane.as_ref())?;
        started.columns = columns;
        let (sender, frames) = tokio::sync::watch::channel(Arc::new(Frame::default()));
        let session = Session {
            stop: Arc::new(AtomicBool::new(false)),
            control: Arc::new((Mutex::new(Control::default()), Condvar::new())),
            frames,
            model: Arc::new((Mutex::new(None), Condvar::new())),
            latest: Arc::new(Mutex::new(None)),
            config: config.clone(),
            csv,
            // the points are the page's; the server needs the features
            plane: plane.as_ref().map(|plane| Made {
                columns: plane.columns.clone(),
                features: plane.features.clone(),
                rows: Vec::new(),
            }),
        };
        let watcher = Watcher {
            control: Arc::clone(&session.control),
            stop: Arc::clone(&session.stop),
            model: Arc::clone(&session.model),
            latest: Arc::clone(&session.latest),
            frames: sender,
            grid: Grid {
                size: MAP_SIZE,
                x: started.x,
                y: started.y,
            },
            plane: session.plane.clone(),
            values: started.values,
            last: None,
            pace: None,
        };
        std::thread::Builder::new()
            .name(format!("play-{id}"))
            .spawn(move || watcher.run(&config, &dataset))
            .map_err(|err| format!("cannot start the training thread: {err}"))?;
        Ok((session, started))
    }

    /// Play (at most `rate` steps a second, when given), pause, or take
    /// `steps` steps.
    pub fn control(&self, playing: bool, steps: usize, rate: Option<f64>) {
        let (lock, wake) = &*self.control;
        let mut control = lock.lock().expect("the control lock");
        control.playing = playing;
        control.steps_asked += steps;
        control.rate = rate.filter(|rate| rate.is_finite() && *rate > 0.0);
        wake.notify_all();
    }

    /// The model file as the run stands: the bytes `micrograd train` writes
    /// from `config_at(steps)`. Waits for the thread to make it (it is
    /// between two steps at most a step away); `None` if the run has ended.
    pub fn model_now(&self) -> Option<SavedModel> {
        {
            let (lock, wake) = &*self.control;
            lock.lock().expect("the control lock").want_model = true;
            wake.notify_all();
        }
        let (slot, made) = &*self.model;
        let mut model = slot.lock().expect("the model lock");
        let deadline = Instant::now() + Duration::from_secs(10);
        while model.is_none() && !self.stop.load(Ordering::Relaxed) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            model = made.wait_timeout(model, left).expect("the model lock").0;
        }
        model.take()
    }

    /// The config that trains this run's model with `micrograd train`: this
    /// one, `steps` long.
    pub fn config_at(&self, steps: usize) -> String {
        let mut config = self.config.clone();
        config.steps = Some(steps);
        let mut json = serde_json::to_string_pretty(&config).expect("a config is plain data");
        json.push('\n');
        json
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.control.1.notify_all();
    }
}

/// The CSV a run trains on: a synthetic set made from the settings, or the file.
fn data_of(settings: &Settings, file: Option<&str>) -> Result<String, String> {
    let kind = match settings.data.as_str() {
        "circles" => Synthetic::Circles,
        "xor" => Synthetic::Xor,
        "gauss" => Synthetic::Gauss,
        "spiral" => Synthetic::Spiral,
        "moons" => Synthetic::Moons,
        "plane" => Synthetic::Plane,
        "file" => {
            return file
                .map(str::to_string)
                .ok_or_else(|| "no file to train on: drop a CSV on the page".into());
        }
        other => {
            return Err(format!(
                "no dataset called {other:?}: circles, xor, gauss, spiral, moons, plane or file"
            ));
        }
    };
    if !(2..=MAX_POINTS).contains(&settings.points) {
        return Err(format!(
            "{} points: from 2 to {MAX_POINTS}",
            settings.points
        ));
    }
    if !(settings.noise.is_finite() && (0.0..=2.0).contains(&settings.noise)) {
        return Err(format!("noise {}: from 0 to 2", settings.noise));
    }
    Ok(datasets::generate(
        kind,
        settings.points,
        settings.noise,
        settings.seed,
    ))
}

/// The training config of the settings: what `micrograd train` runs.
fn config_of(settings: &Settings) -> Result<Config, String> {
    if settings.hidden.len() > MAX_LAYERS
        || settings.hidden.iter().any(|&w| w == 0 || w > MAX_WIDTH)
    {
        return Err(format!(
            "hidden layers {:?}: at most {MAX_LAYERS}, of 1 to {MAX_WIDTH} neurons each",
            settings.hidden
        ));
    }
    if !(settings.train_ratio > 0.0 && settings.train_ratio <= 0.9) {
        return Err(format!(
            "train ratio {}: more than 0, at most 0.9",
            settings.train_ratio
        ));
    }
    let mut json = serde_json::json!({
        "dataset": DATA_FILE,
        "model": { "hidden": settings.hidden, "activation": settings.activation },
        "l1": settings.l1,
        "l2": settings.l2,
        "optimizer": { "kind": "sgd", "lr": settings.lr, "momentum": 0.0 },
        "batch_size": settings.batch_size,
        "seed": settings.seed,
        "validation_split": 1.0 - settings.train_ratio,
        // as long as the page plays; the config it downloads says how long
        "steps": 1_000_000_000u64,
        "threads": 1,
        "outputs": { "model": "playground-model.json", "loss_plot": "playground-loss.png", "boundary_plot": null },
    });
    if let Some(features) = &settings.features {
        json["columns"] = serde_json::json!({ "features": features });
    }
    serde_json::from_value(json).map_err(|err| err.to_string())
}

/// The plane of the data's two columns of features, with the network's
/// inputs as features made from them and the points' places; none when the
/// data has another number of columns.
fn plane_of(all: &Dataset, features: Option<&[String]>) -> Option<Made> {
    let columns = &all.feature_names;
    if columns.len() != 2 {
        return None;
    }
    let features = match features {
        Some(names) => (names.iter())
            .map(|name| Feature::parse(name, columns))
            .collect::<Option<_>>()?,
        None => vec![Feature::Column(0), Feature::Column(1)],
    };
    Some(Made {
        columns: columns.clone(),
        features,
        rows: all.features.clone(),
    })
}

/// What the page needs before the first frame.
fn started(
    id: u64,
    dataset: &Dataset,
    config: &Config,
    plane: Option<&Made>,
) -> Result<Started, String> {
    let plan = Plan::new(config, dataset, None, None).map_err(|err| err.to_string())?;
    let problem = plan.problem();
    let classes = problem.classes.clone().unwrap_or_default();
    let targets: Vec<f64> = match &problem.target {
        train::Target::Signs(y) => y.iter().map(|&y| f64::from(u8::from(y > 0.0))).collect(),
        train::Target::Classes(y) => y.iter().map(|&class| class as f64).collect(),
        train::Target::Numbers(y) => y.clone(),
    };
    let values = matches!(problem.target, train::Target::Numbers(_)).then(|| {
        let (lo, hi) = span(targets.iter().copied());
        (lo, hi.max(lo + 1e-9))
    });
    let points = plane.map_or_else(Vec::new, |plane| {
        (plane.rows.iter())
            .zip(&targets)
            .map(|(row, &target)| (row[0], row[1], target))
            .collect()
    });
    let padded = |j: usize| {
        let (lo, hi) = span(points.iter().map(|point| [point.0, point.1][j]));
        let pad = ((hi - lo) * 0.1).max(0.1);
        (lo - pad, hi + pad)
    };
    let (x, y) = match plane {
        Some(_) => (padded(0), padded(1)),
        None => ((0.0, 1.0), (0.0, 1.0)),
    };
    let grid = Grid {
        size: MAP_SIZE,
        x,
        y,
    };
    let mut layers: Vec<usize> = config.model.hidden.clone();
    layers.push(problem.outputs());
    Ok(Started {
        id,
        x,
        y,
        points,
        classes,
        values,
        columns: Vec::new(),
        features: dataset.feature_names.clone(),
        input_maps: plane.map_or_else(Vec::new, |plane| input_maps(plane, &grid)),
        layers,
    })
}

/// The least and the greatest of `numbers`.
fn span(numbers: impl Iterator<Item = f64>) -> (f64, f64) {
    numbers.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// Each of the plane's features over the grid, as bytes from its least to
/// its greatest value there, base64.
fn input_maps(plane: &Made, grid: &Grid) -> Vec<String> {
    let cells = grid.size * grid.size;
    let points: Vec<(f64, f64)> = (0..cells)
        .map(|cell| grid.point(cell / grid.size, cell % grid.size))
        .collect();
    (plane.features.iter())
        .map(|feature| {
            let values: Vec<f64> = (points.iter())
                .map(|&(x, y)| feature.eval(|i| [x, y][i]))
                .collect();
            let (lo, hi) = span(values.iter().copied());
            let bytes: Vec<u8> = (values.iter())
                .map(|v| ((v - lo) / (hi - lo).max(1e-12) * 255.0).round() as u8)
                .collect();
            base64(&bytes)
        })
        .collect()
}

/// The training thread's side: it sees every step, waits while paused,
/// makes the model file when asked and publishes frames.
struct Watcher {
    control: Arc<(Mutex<Control>, Condvar)>,
    stop: Arc<AtomicBool>,
    model: Arc<(Mutex<Option<SavedModel>>, Condvar)>,
    latest: Arc<Mutex<Option<SavedModel>>>,
    frames: tokio::sync::watch::Sender<Arc<Frame>>,
    grid: Grid,
    /// The plane the pictures cover, and the inputs made from it.
    plane: Option<Made>,
    /// A regression's range of targets.
    values: Option<(f64, f64)>,
    /// When the last frame went, and at which step.
    last: Option<(Instant, usize)>,
    /// Where the pace is counted from while playing at a rate.
    pace: Option<(Instant, usize, f64)>,
}

impl Watcher {
    fn run(mut self, config: &Config, dataset: &Dataset) {
        let Ok(plan) = Plan::new(config, dataset, None, None) else {
            return;
        };
        // the run waits for play or a step before its first step
        self.wait_for_work();
        let stop = Arc::clone(&self.stop);
        let _ = plan.train(train::Hooks {
            progress: &mut |_, _| {},
            stop: &stop,
            checkpoint: &mut |_| {},
            watch: &mut |watch| self.see(watch),
        });
        stop.store(true, Ordering::Relaxed);
        self.model.1.notify_all();
    }

    /// Blocks until the page plays or asks for steps, or the run stops.
    fn wait_for_work(&self) {
        let (lock, wake) = &*self.control;
        let mut control = lock.lock().expect("the control lock");
        while !control.playing && control.steps_asked == 0 && !self.stop.load(Ordering::Relaxed) {
            control = wake
                .wait_timeout(control, Duration::from_millis(200))
                .expect("the control lock")
                .0;
        }
    }

    /// After each step: a frame when one is due, and a wait while paused,
    /// serving the page's requests for the model meanwhile.
    fn see(&mut self, watch: &Watch) {
        let control_pair = Arc::clone(&self.control);
        let (lock, wake) = &*control_pair;
        let mut control = lock.lock().expect("the control lock");
        control.steps_asked = control.steps_asked.saturating_sub(1);
        let due = self.last.is_none_or(|(at, _)| at.elapsed() >= FRAME_GAP);
        let pausing = !control.playing && control.steps_asked == 0;
        if due || pausing {
            drop(control);
            self.publish(watch, pausing);
            control = lock.lock().expect("the control lock");
        }
        loop {
            if control.want_model {
                control.want_model = false;
                let (slot, made) = &*self.model;
                *slot.lock().expect("the model lock") = Some(watch.saved());
                made.notify_all();
            }
            // a stopped run ends after this step
            let paused = !control.playing && control.steps_asked == 0;
            if !paused || self.stop.load(Ordering::Relaxed) {
                let rate = control
                    .rate
                    .filter(|_| control.playing && control.steps_asked == 0);
                drop(control);
                self.keep_pace(rate, watch.steps_done);
                return;
            }
            self.pace = None;
            control = wake
                .wait_timeout(control, Duration::from_millis(200))
                .expect("the control lock")
                .0;
        }
    }

    /// Sleeps as long as playing at `rate` steps a second asks, counted
    /// from when that rate began.
    fn keep_pace(&mut self, rate: Option<f64>, steps: usize) {
        let Some(rate) = rate else {
            self.pace = None;
            return;
        };
        let (since, from, _) = match self.pace {
            Some(pace) if pace.2 == rate => pace,
            _ => *self.pace.insert((Instant::now(), steps, rate)),
        };
        let due = since + Duration::from_secs_f64((steps - from) as f64 / rate);
        let now = Instant::now();
        if due > now {
            std::thread::sleep((due - now).min(Duration::from_millis(200)));
        }
    }

    /// Makes and sends the frame of the run as `watch` shows it.
    fn publish(&mut self, watch: &Watch, paused: bool) {
        let steps = watch.steps_done;
        let speed = match self.last {
            Some((at, before)) => (steps - before) as f64 / at.elapsed().as_secs_f64().max(1e-9),
            None => 0.0,
        };
        self.last = Some((Instant::now(), steps));
        let model = watch.model();
        let (train_metrics, test_metrics) = watch.metrics(&model);
        let mut frame = Frame {
            steps,
            epochs: watch.epochs_done(),
            train_loss: train_metrics.loss,
            test_loss: test_metrics.as_ref().map(|m| m.loss),
            train_accuracy: train_metrics.accuracy,
            test_accuracy: test_metrics.and_then(|m| m.accuracy),
            speed,
            paused,
            ..Frame::default()
        };
        if let Some(plane) = &self.plane {
            let (regions, neuron_maps) = pictures(watch, &model, &self.grid, plane, self.values);
            frame.regions = regions;
            frame.maps = neuron_maps;
        }
        let layers = SavedModel::layers_of(&model);
        frame.weights = layers.iter().map(|layer| layer.weights.clone()).collect();
        let mut latest = self.latest.lock().expect("the latest lock");
        match latest.as_mut() {
            Some(saved) => saved.layers = layers,
            None => *latest = Some(watch.saved()),
        }
        drop(latest);
        let _ = self.frames.send(Arc::new(frame));
    }
}

/// The regions (a class a cell, or a regression's prediction over the
/// targets' range `values`) and every neuron's map, base64.
fn pictures(
    watch: &Watch,
    model: &micrograd::nn::MLP,
    grid: &Grid,
    plane: &Made,
    values: Option<(f64, f64)>,
) -> (String, Vec<Vec<String>>) {
    let inputs = maps::plane_inputs(Some(plane), watch.standardization());
    let maps = maps::neuron_maps(&Weights::of(model), inputs, grid);
    let outputs = maps.last().expect("a model has an output layer");
    let cells = grid.size * grid.size;
    let regions: Vec<u8> = (0..cells)
        .map(|cell| {
            let scores: Vec<f64> = outputs.iter().map(|map| f64::from(map[cell])).collect();
            match (watch.problem().predict(&scores), values) {
                (Prediction::Class(class), _) => class as u8,
                (Prediction::Number(value), Some((lo, hi))) => {
                    ((value - lo) / (hi - lo) * 255.0).clamp(0.0, 255.0).round() as u8
                }
                (Prediction::Number(_), None) => 0,
            }
        })
        .collect();
    let bytes = |map: &Vec<f32>| -> String {
        let quantized: Vec<u8> = map
            .iter()
            .map(|&v| ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8)
            .collect();
        base64(&quantized)
    };
    let maps = maps
        .iter()
        .map(|layer| layer.iter().map(bytes).collect())
        .collect();
    (base64(&regions), maps)
}

/// Standard base64, with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648's test vectors.
    #[test]
    fn base64_is_the_standard_one() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (text, encoded) in cases {
            assert_eq!(base64(text.as_bytes()), encoded, "{text:?}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    /// The settings a page can send are checked before anything runs.
    #[test]
    fn settings_out_of_bounds_are_refused_with_their_limits() {
        let settings = |json: serde_json::Value| -> Settings {
            serde_json::from_value(json).expect("settings")
        };
        let base = serde_json::json!({"data": "circles", "hidden": [4, 2], "activation": "tanh",
            "lr": 0.03, "batch_size": 10});
        let with = |key: &str, value: serde_json::Value| {
            let mut json = base.clone();
            json[key] = value;
            settings(json)
        };
        let refused =
            |settings: Settings| Session::start(1, &settings, None).err().expect("refused");
        assert!(
            refused(with("hidden", serde_json::json!([4, 4, 4, 4, 4, 4, 4]))).contains("at most 6")
        );
        assert!(refused(with("hidden", serde_json::json!([33]))).contains("1 to 32"));
        assert!(refused(with("points", serde_json::json!(5001))).contains("from 2 to 5000"));
        assert!(refused(with("noise", serde_json::json!(3.0))).contains("from 0 to 2"));
        assert!(refused(with("data", serde_json::json!("file"))).contains("drop a CSV"));
        assert!(refused(with("data", serde_json::json!("nope"))).contains("no dataset"));
        assert!(refused(with("activation", serde_json::json!("cubic"))).contains("cubic"));
        assert!(refused(with("train_ratio", serde_json::json!(1.0))).contains("at most 0.9"));
        let (session, started) = Session::start(1, &settings(base), None).expect("starts");
        assert_eq!(started.layers, [4, 2, 1]);
        assert_eq!(started.points.len(), 200);
        assert!(session.config_at(12).contains("\"steps\": 12"));
    }
}
