//! `micrograd train`: reads a config and its CSV dataset, trains with a
//! progress bar (or log lines when not on a terminal), and writes the model,
//! a loss plot and, for 2-feature classification, a decision-boundary plot.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use micrograd::train::config::{Config, Task};
use micrograd::train::data::{Columns, Dataset};
use micrograd::train::datasets;
use micrograd::train::plot::{self, PlotError};
use micrograd::train::{self, StepRecord, TrainError, Trained};

use super::output::{self, Exit};

/// micrograd's demo, trained when no config is given; its dataset is built in.
const DEMO_CONFIG: &str = include_str!("../../configs/micrograd_demo.json");

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The training config (JSON); without one, train micrograd's demo on its moons
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Train on this CSV instead of the config's dataset; without --config,
    /// with every setting at its default
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,

    /// Go on from this model file, made by an earlier run of the same config
    /// and data: its weights, its step count, its optimizer's state if it saved one
    #[arg(long, value_name = "MODEL")]
    pub resume: Option<PathBuf>,

    /// Train for N optimizer steps (instead of the config's length)
    #[arg(long, value_name = "N", conflicts_with = "epochs")]
    pub steps: Option<usize>,

    /// Train for N passes over the training split
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,

    /// The learning rate at the start
    #[arg(long, value_name = "RATE")]
    pub lr: Option<f64>,

    /// Seed for the weights, the validation split and the mini-batches
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Samples per step [default: the config's, else 32]
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,

    /// Directory to write the outputs in, made if missing [default: the current directory]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Train on N threads; the model comes out the same for any N [default: the config's, else every core]
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub threads: Option<u64>,

    /// Draw the loss on a log scale
    #[arg(long)]
    pub log_scale: bool,

    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,

    /// Without a terminal, log every N steps [default: every step up to 200, else 100 lines in all]
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub log_every: Option<u64>,
}

/// A count of 1 or more, worded as the config's checks word theirs.
fn parse_count(text: &str) -> Result<u64, String> {
    match text.parse() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number")),
    }
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let Loaded {
        mut config,
        dataset,
        source,
        data_name,
    } = load(args.config.as_deref(), args.data.as_deref())?;
    apply_overrides(&mut config, args).with_context(|| source.clone())?;

    let stop = listen_for_ctrl_c()?;

    let started = Instant::now();
    let validation = load_validation(&config, &dataset, args.config.as_deref())?;
    let validation_path = validation.as_ref().map(|(path, _)| path.as_path());
    let resume = args
        .resume
        .as_deref()
        .map(super::input::read_model)
        .transpose()?;
    let names = Names {
        source: &source,
        data: &data_name,
        validation: validation_path,
        resume: args.resume.as_deref(),
    };
    let plan = train::Plan::new(
        &config,
        &dataset,
        validation.as_ref().map(|(_, dataset)| dataset),
        resume.as_ref(),
    )
    .map_err(|err| train_error(err, &names))?;
    check_memory(plan.size(), &source)?;
    let problem = plan.problem();
    // Every destination is checked now, not after the work of training.
    let destinations = Destinations::new(&config, &dataset, problem, args, validation_path)?;
    if !args.quiet {
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            describe_choices(&config, &dataset, problem)
        );
    }
    let mut reporter = Reporter::new(args, &config, problem.metric_name());
    if let (Some(saved), Some(path), false) = (&resume, &args.resume, args.quiet) {
        let _ = writeln!(std::io::stderr(), "{}", going_on(saved, path));
    }
    let result = run_plan(plan, &source, &destinations.model, &mut reporter, &stop)?;
    let trained = result.map_err(|err| train_error(err, &names))?;
    let seconds = started.elapsed().as_secs_f64();

    let written = write_outputs(&config, &dataset, &trained, &destinations, &stop)?;
    if !args.quiet {
        summarise(&trained, seconds, &written);
        if let Some(warning) = divergence_warning(&trained.history.steps) {
            let _ = writeln!(std::io::stderr(), "warning: {warning}");
        }
    }
    if trained.interrupted {
        return Err(Exit {
            code: 130,
            message: format!(
                "interrupted after step {} of {}; the model so far is written",
                trained.history.steps.len(),
                trained.total_steps
            ),
        }
        .into());
    }
    Ok(())
}

/// Trains `plan`, reporting each step; a checkpoint replaces the model file,
/// whole, every `checkpoint_every` steps, and one that cannot be written
/// stops the run with its error.
fn run_plan(
    plan: train::Plan,
    source: &str,
    model_path: &Path,
    reporter: &mut Reporter,
    stop: &AtomicBool,
) -> anyhow::Result<Result<Trained, TrainError>> {
    let mut checkpoint_error = None;
    let mut last_checkpoint = None;
    let mut checkpoint = |saved: &micrograd::train::model::SavedModel| {
        if checkpoint_error.is_some() {
            return;
        }
        match output::write_atomically(model_path, saved.to_json().as_bytes()) {
            Ok(()) => last_checkpoint = Some(saved.metrics.steps),
            Err(err) => {
                checkpoint_error = Some(err);
                stop.store(true, Ordering::Relaxed);
            }
        }
    };
    let result = plan.train(train::Hooks {
        progress: &mut |record, total| reporter.step(record, total),
        stop,
        checkpoint: &mut checkpoint,
        watch: &mut |_| {},
    });
    reporter.finish();
    if let Some(err) = checkpoint_error {
        return Err(err.context("writing a checkpoint"));
    }
    // a run that diverged after a checkpoint leaves it: say what it holds
    if let (Err(err @ TrainError::Diverged { .. }), Some(steps)) = (&result, last_checkpoint) {
        return Err(anyhow::anyhow!(
            "{source}: {err} (--lr); {} holds the checkpoint of step {steps}, from before it \
             diverged (the plots beside it are not this run's)",
            model_path.display()
        ));
    }
    Ok(result)
}

/// Refuses a run that needs more memory than the machine has, before
/// anything the network's size is made (where the machine says how much it
/// has: /proc/meminfo on Linux).
fn check_memory(size: train::Size, source: &str) -> anyhow::Result<()> {
    let Some(memory) = machine_memory() else {
        return Ok(());
    };
    if size.bytes <= memory {
        return Ok(());
    }
    let gb = |bytes: u64| format!("{:.1} GB", bytes as f64 / 1e9);
    anyhow::bail!(
        "{source}: the network has {} parameters; training it takes about {} of memory, \
         and this machine has {}: make `model.hidden` smaller",
        size.parameters,
        gb(size.bytes),
        gb(memory)
    )
}

/// The machine's memory in bytes, where it says.
fn machine_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A flag Ctrl-C (or SIGTERM) sets: training finishes the current step, then
/// the model so far is written; a second Ctrl-C does not wait.
fn listen_for_ctrl_c() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let handler_stop = Arc::clone(&stop);
    ctrlc::set_handler(move || {
        if handler_stop.swap(true, Ordering::Relaxed) {
            std::process::exit(130);
        }
    })
    .context("cannot listen for Ctrl-C")?;
    Ok(stop)
}

/// What a resumed run says it goes on from.
fn going_on(saved: &micrograd::train::model::SavedModel, path: &Path) -> String {
    let optimizer = if saved.training.is_some() {
        "and its optimizer's state"
    } else {
        "with a new optimizer (the file has no optimizer state: \
         set `outputs.checkpoint_every` to save it)"
    };
    format!(
        "going on from {} after step {}, {optimizer}",
        path.display(),
        saved.metrics.steps
    )
}

/// The config, its dataset, and a name for messages. `data` (from `--data`)
/// replaces the config's dataset; with neither, it is micrograd's demo.
/// What a run reads: the config, its dataset, and their names for messages.
struct Loaded {
    config: Config,
    dataset: Dataset,
    /// The config's path, or `--data`'s without one, or the built-in demo.
    source: String,
    /// The dataset's path, or the built-in demo.
    data_name: String,
}

fn load(path: Option<&Path>, data: Option<&Path>) -> anyhow::Result<Loaded> {
    let (config, source) = match (path, data) {
        (None, None) => {
            let config = Config::from_json(DEMO_CONFIG).expect("the built-in demo config is valid");
            let dataset = Dataset::from_csv(datasets::DEMO_MOONS_CSV, &Columns::default())
                .expect("the built-in moons are valid");
            return Ok(Loaded {
                config,
                dataset,
                source: "the built-in demo".into(),
                data_name: "the built-in demo".into(),
            });
        }
        (None, Some(data)) => {
            let config = Config::from_json(r#"{"dataset": ""}"#).expect("the defaults are valid");
            (config, data.display().to_string())
        }
        (Some(path), _) => {
            let text = super::input::read_text(path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            let config = Config::from_json(&text)
                .map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))?;
            (config, path.display().to_string())
        }
    };
    let mut config = config;
    // --data is relative to where the command runs; the config's dataset to the config
    let data_path = match (path, data) {
        (_, Some(data)) => {
            config.dataset = data.display().to_string();
            data.to_path_buf()
        }
        (Some(path), None) => path.parent().unwrap_or(Path::new("")).join(&config.dataset),
        (None, None) => unreachable!("the demo returned above"),
    };
    let data = super::input::read_text(&data_path).with_context(|| match path {
        Some(path) if data.is_none() => format!(
            "{}: cannot read the dataset named in {}",
            data_path.display(),
            path.display()
        ),
        _ => format!("{}: cannot read", data_path.display()),
    })?;
    let columns = Columns {
        features: config.columns.features.clone(),
        target: config.columns.target.clone(),
    };
    let dataset = Dataset::from_csv(&data, &columns)
        .map_err(|err| anyhow::anyhow!("{}: {err}", data_path.display()))?;
    Ok(Loaded {
        config,
        dataset,
        source,
        data_name: data_path.display().to_string(),
    })
}

/// The config's `validation_data` (relative to the config file), read with
/// the training set's columns, and its path.
fn load_validation(
    config: &Config,
    dataset: &Dataset,
    config_path: Option<&Path>,
) -> anyhow::Result<Option<(PathBuf, Dataset)>> {
    let Some(name) = &config.validation_data else {
        return Ok(None);
    };
    let dir = config_path.and_then(Path::parent).unwrap_or(Path::new(""));
    let path = dir.join(name);
    let text = super::input::read_text(&path)
        .with_context(|| format!("{}: cannot read the validation data", path.display()))?;
    let columns = Columns {
        features: Some(dataset.feature_names.clone()),
        target: Some(dataset.target_name.clone()),
    };
    let validation = Dataset::from_csv(&text, &columns).map_err(|err| {
        anyhow::anyhow!(
            "{}: {err} (the validation data needs the training data's columns: {}, {})",
            path.display(),
            dataset.feature_names.join(", "),
            dataset.target_name
        )
    })?;
    Ok(Some((path, validation)))
}

/// The files a run's messages name.
struct Names<'a> {
    source: &'a str,
    data: &'a str,
    validation: Option<&'a Path>,
    resume: Option<&'a Path>,
}

/// Training's error in the CLI's words: the file it is about, and the flags
/// that mend it.
fn train_error(err: TrainError, names: &Names) -> anyhow::Error {
    let source = names.source;
    match (&err, names.validation, names.resume) {
        (TrainError::ValidationData(message), Some(path), _) => {
            anyhow::anyhow!("{}: {message}", path.display())
        }
        (TrainError::Resume(message), _, Some(path)) => {
            anyhow::anyhow!("{}: {message}", path.display())
        }
        (TrainError::Data(message), ..) => anyhow::anyhow!("{}: {message}", names.data),
        (TrainError::Diverged { .. }, ..) => anyhow::anyhow!("{source}: {err} (--lr)"),
        (TrainError::AlreadyTrained { .. }, _, Some(path)) => anyhow::anyhow!(
            "{}: {err}: ask for more with `--steps` or `--epochs`",
            path.display()
        ),
        _ => anyhow::Error::new(err).context(source.to_string()),
    }
}

fn apply_overrides(config: &mut Config, args: &Args) -> anyhow::Result<()> {
    if let Some(steps) = args.steps {
        config.steps = Some(steps);
        config.epochs = None;
    }
    if let Some(epochs) = args.epochs {
        config.epochs = Some(epochs);
        config.steps = None;
    }
    if let Some(lr) = args.lr {
        config.optimizer.lr = Some(lr);
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    if let Some(batch_size) = args.batch_size {
        config.batch_size = Some(batch_size);
    }
    if let Some(threads) = args.threads {
        config.threads = Some(threads as usize);
    }
    if args.log_scale {
        config.outputs.log_scale = true;
    }
    config
        .check()
        .map_err(|err| anyhow::anyhow!("with the command-line options: {err}"))
}

/// Progress on stderr: a bar on a terminal, log lines otherwise, nothing when quiet.
enum Reporter {
    Quiet,
    Bar {
        bar: ProgressBar,
        metric_name: &'static str,
        penalty: &'static str,
    },
    Lines {
        every: usize,
        metric_name: &'static str,
        penalty: &'static str,
    },
}

impl Reporter {
    fn new(args: &Args, config: &Config, metric_name: &'static str) -> Reporter {
        if args.quiet {
            return Reporter::Quiet;
        }
        let penalty = match (config.l1 > 0.0, config.l2 > 0.0) {
            (true, true) => "L1+L2",
            (true, false) => "L1",
            _ => "L2",
        };
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(0);
            let style = ProgressStyle::with_template(
                "{bar:30.cyan/blue} step {pos}/{len}  {msg}  ETA {eta}",
            )
            .expect("the template is valid")
            .progress_chars("=> ");
            bar.set_style(style);
            return Reporter::Bar {
                bar,
                metric_name,
                penalty,
            };
        }
        Reporter::Lines {
            every: args.log_every.unwrap_or(0) as usize,
            metric_name,
            penalty,
        }
    }

    fn step(&mut self, record: &StepRecord, total: usize) {
        match self {
            Reporter::Quiet => {}
            Reporter::Bar {
                bar,
                metric_name,
                penalty,
            } => {
                bar.set_length(total as u64);
                bar.set_position(record.step as u64 + 1);
                bar.set_message(format!(
                    "epoch {}  loss {:.4}{}  {metric_name} {}",
                    record.epoch + 1,
                    record.loss,
                    loss_parts(record, penalty, 4),
                    percent(metric_name, record.metric)
                ));
            }
            Reporter::Lines {
                every,
                metric_name,
                penalty,
            } => {
                let every = if *every > 0 {
                    *every
                } else if total <= 200 {
                    1
                } else {
                    total.div_ceil(100)
                };
                if record.step.is_multiple_of(every) || record.step + 1 == total {
                    // micrograd's demo prints `step 0 loss 0.89..., accuracy 50.0%`
                    let _ = writeln!(
                        std::io::stderr(),
                        "step {} loss {:?}{}, {metric_name} {}",
                        record.step,
                        record.loss,
                        loss_parts(record, penalty, 6),
                        percent(metric_name, record.metric)
                    );
                }
            }
        }
    }

    fn finish(&self) {
        if let Reporter::Bar { bar, .. } = self {
            bar.finish_and_clear();
        }
    }
}

/// What a step's loss is made of, when it has an L1 or L2 term:
/// ` (data 0.4000 + L2 0.0100)`.
fn loss_parts(record: &StepRecord, penalty: &str, decimals: usize) -> String {
    if record.penalty == 0.0 {
        return String::new();
    }
    let data = record.loss - record.penalty;
    format!(
        " (data {data:.decimals$} + {penalty} {:.decimals$})",
        record.penalty
    )
}

/// Accuracy in percent to a tenth, as micrograd prints the demo's (`81.0%`);
/// R² as a plain number.
fn percent(metric_name: &str, metric: f64) -> String {
    if metric_name == "accuracy" {
        format!("{:.1}%", metric * 100.0)
    } else {
        format!("{metric:.4}")
    }
}

/// Where a run's outputs go: checked before training, written after.
struct Destinations {
    /// Held until the outputs are written: one run at a time per directory
    /// written in (`--out`, and any other an output's path names).
    _locks: Vec<std::fs::File>,
    model: PathBuf,
    loss_plot: PathBuf,
    /// For 2-feature classification, when the config asks for it.
    boundary_plot: Option<PathBuf>,
    boundary_animation: Option<PathBuf>,
}

/// The decision-boundary pictures this run draws (a 2-feature
/// classification's, as the config asks), checked now: an animation of
/// anything else is an error, and so are features too wide to draw, with the
/// field that turns the picture off.
fn pictures<'a>(
    config: &'a Config,
    dataset: &Dataset,
    problem: &train::Problem,
    out: &Path,
) -> anyhow::Result<(Option<&'a String>, Option<&'a String>)> {
    let outputs = &config.outputs;
    let drawable = problem.task != Task::Regression && dataset.feature_names.len() == 2;
    let boundary_plot = outputs.boundary_plot.as_ref().filter(|_| drawable);
    let boundary_animation = outputs.boundary_animation.as_ref().filter(|_| drawable);
    if let (Some(name), None) = (&outputs.boundary_animation, boundary_animation) {
        anyhow::bail!(
            "at `outputs.boundary_animation`: `{name}` draws the regions of a 2-feature \
             classification; this task has {} features{}",
            dataset.feature_names.len(),
            if problem.task == Task::Regression {
                " and is a regression"
            } else {
                ""
            }
        );
    }
    // features too wide to draw: said now, with the field that turns the picture off
    let pictures = [
        ("outputs.boundary_plot", boundary_plot),
        ("outputs.boundary_animation", boundary_animation),
    ];
    for (field, name) in pictures {
        let Some(name) = name else { continue };
        let rows: Vec<&[f64]> = dataset.features.iter().map(Vec::as_slice).collect();
        for j in 0..2 {
            plot::boundary_range(&rows, j).map_err(|err| {
                let path = out.join(name);
                let feature = &dataset.feature_names[j];
                anyhow::anyhow!(
                    "{}: `{feature}` {err}, or set `{field}` to null",
                    path.display()
                )
            })?;
        }
    }
    Ok((boundary_plot, boundary_animation))
}

impl Destinations {
    /// Makes the output directory and checks that each file can be written
    /// there and is not one of the run's inputs.
    fn new(
        config: &Config,
        dataset: &Dataset,
        problem: &train::Problem,
        args: &Args,
        validation: Option<&Path>,
    ) -> anyhow::Result<Destinations> {
        let out = args.out.clone().unwrap_or_else(|| PathBuf::from("."));
        if out.exists() && !out.is_dir() {
            anyhow::bail!(
                "{}: --out names a file; it must be a directory",
                out.display()
            );
        }
        std::fs::create_dir_all(&out)
            .with_context(|| format!("{}: cannot make the directory", out.display()))?;
        let mut locks: Vec<std::fs::File> = output::lock_directory(&out)?.into_iter().collect();
        let outputs = &config.outputs;
        let (boundary_plot, boundary_animation) = pictures(config, dataset, problem, &out)?;
        let mut destinations = Destinations {
            _locks: Vec::new(),
            model: out.join(&outputs.model),
            loss_plot: out.join(&outputs.loss_plot),
            boundary_plot: boundary_plot.map(|name| out.join(name)),
            boundary_animation: boundary_animation.map(|name| out.join(name)),
        };
        // the run's inputs: the config, and the dataset (--data's, or the config's)
        let mut inputs: Vec<PathBuf> = args.config.iter().cloned().collect();
        inputs.extend(validation.map(Path::to_path_buf));
        match (&args.data, &args.config) {
            (Some(data), _) => inputs.push(data.clone()),
            (None, Some(config_path)) => {
                let dir = config_path.parent().unwrap_or(Path::new(""));
                inputs.push(dir.join(&config.dataset));
            }
            (None, None) => {}
        }
        for path in destinations.paths() {
            for input in &inputs {
                if output::same_file(path, input) {
                    anyhow::bail!(
                        "{}: is an input of this run; it would be overwritten",
                        path.display()
                    );
                }
            }
            output::check_destination(path)?;
            output::clear_stale_temporaries(path.parent().unwrap_or(Path::new(".")));
        }
        // an output named by an absolute path (or `..`) is written elsewhere:
        // its folder is locked too, so two runs never mix their sets there
        let mut folders: Vec<PathBuf> = destinations
            .paths()
            .filter_map(|path| std::fs::canonicalize(path.parent()?).ok())
            .collect();
        folders.sort();
        folders.dedup();
        let out = std::fs::canonicalize(&out).unwrap_or(out);
        for folder in folders.iter().filter(|folder| **folder != out) {
            locks.extend(output::lock_directory(folder)?);
        }
        destinations._locks = locks;
        Ok(destinations)
    }

    fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        [&self.model, &self.loss_plot]
            .into_iter()
            .chain(self.boundary_plot.as_ref())
            .chain(self.boundary_animation.as_ref())
    }
}

/// Renders every output, then writes them all together (or none). Returns
/// what was written.
fn write_outputs(
    config: &Config,
    dataset: &Dataset,
    trained: &Trained,
    destinations: &Destinations,
    stop: &AtomicBool,
) -> anyhow::Result<Vec<PathBuf>> {
    let data_name = Path::new(&config.dataset)
        .file_name()
        .map_or("data".into(), |name| name.to_string_lossy());
    // After an interrupted training a second Ctrl-C exits at once; after a
    // finished one, the first stops the drawing and nothing is written.
    let not_stopped = AtomicBool::new(false);
    let stop = if trained.interrupted {
        &not_stopped
    } else {
        stop
    };
    let metric_name = trained.problem.metric_name();
    let title = format!("{} on {}", describe_model(trained), data_name);
    let mut files = vec![(
        destinations.model.clone(),
        trained.saved.to_json().into_bytes(),
    )];
    let loss_png = plot::loss_png(
        &trained.history,
        metric_name,
        config.outputs.log_scale,
        &title,
    )
    .map_err(|err| anyhow::anyhow!("{}: {err}", config.outputs.loss_plot))?;
    files.push((destinations.loss_plot.clone(), loss_png));
    // the boundary pictures: the still one and the animation
    let points = labelled_points(dataset, trained);
    let names = dataset
        .feature_names
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>();
    let boundary = plot::Boundary {
        problem: &trained.problem,
        standardization: trained.saved.standardization.as_ref(),
        points: &points,
        axis_names: (
            names.first().copied().unwrap_or_default(),
            names.get(1).copied().unwrap_or_default(),
        ),
    };
    if let Some(path) = &destinations.boundary_plot {
        let png = boundary
            .png(&trained.model, &format!("decision regions: {title}"), stop)
            .map_err(|err| drawing_error(err, path))?;
        files.push((path.clone(), png));
    }
    if let Some(path) = &destinations.boundary_animation {
        let gif = boundary
            .gif(&trained.snapshots, &trained.history, stop)
            .map_err(|err| drawing_error(err, path))?;
        files.push((path.clone(), gif));
    }
    output::write_all_atomically(&files)?;
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

/// The training rows' features with their class, for the boundary pictures
/// (none for a regression, which has none drawn).
fn labelled_points(dataset: &Dataset, trained: &Trained) -> Vec<(Vec<f64>, usize)> {
    let labels = match &trained.problem.target {
        train::Target::Signs(y) => y.iter().map(|&y| usize::from(y > 0.0)).collect::<Vec<_>>(),
        train::Target::Classes(y) => y.clone(),
        train::Target::Numbers(_) => return Vec::new(),
    };
    dataset.features.iter().cloned().zip(labels).collect()
}

/// A picture that could not be drawn: Ctrl-C's exit, or the file and why.
fn drawing_error(err: PlotError, path: &Path) -> anyhow::Error {
    match err {
        PlotError::Interrupted => Exit {
            code: 130,
            message: "interrupted while drawing the decision boundary; nothing was written".into(),
        }
        .into(),
        PlotError::Failed(why) => anyhow::anyhow!("{}: {why}", path.display()),
    }
}

/// Training that ends with a loss a hundred times its first (NaN and
/// infinities stop training with an error of their own) is worth a word.
fn divergence_warning(steps: &[StepRecord]) -> Option<String> {
    let (first, last) = (steps.first()?, steps.last()?);
    let grew = last.loss > 100.0 * first.loss.max(f64::MIN_POSITIVE);
    grew.then(|| {
        format!(
            "the loss grew from {:.4} at step {} to {:.4e} at step {}: training diverged; \
             try a lower learning rate (--lr) or momentum",
            first.loss, first.step, last.loss, last.step
        )
    })
}

/// One line on the task and loss, inferred or given, and how to choose:
/// "task: multiclass, inferred from `digit` (10 distinct integers); loss:
/// cross_entropy, the task's default (set "task" or "loss" in the config to choose)".
fn describe_choices(config: &Config, dataset: &Dataset, problem: &train::Problem) -> String {
    // as configs spell them: `cross_entropy`
    let spelled = |value: serde_json::Value| value.as_str().unwrap_or_default().to_string();
    let (task, loss) = (
        spelled(serde_json::json!(problem.task)),
        spelled(serde_json::json!(problem.loss)),
    );
    let task = match config.task {
        Some(_) => format!("task: {task}, from the config"),
        None => {
            let (_, why) = train::infer_task(&dataset.targets);
            format!(
                "task: {task}, inferred from `{}` ({why})",
                dataset.target_name
            )
        }
    };
    let loss = match config.loss {
        Some(_) => format!("loss: {loss}, from the config"),
        None => format!("loss: {loss}, the task's default"),
    };
    let scaled = if problem.task == Task::Regression && config.standardize_target {
        "; the target is standardised for training, so the step log's loss is in its \
         variance's units (\"standardize_target\": false to train on it as it is)"
    } else {
        ""
    };
    format!("{task}; {loss} (set \"task\" or \"loss\" in the config to choose){scaled}")
}

/// `MLP 2-16-16-1`
fn describe_model(trained: &Trained) -> String {
    let mut sizes = vec![trained.saved.features.len().to_string()];
    sizes.extend(
        trained
            .saved
            .layers
            .iter()
            .map(|layer| layer.biases.len().to_string()),
    );
    format!("MLP {}", sizes.join("-"))
}

fn summarise(trained: &Trained, seconds: f64, written: &[PathBuf]) {
    let metrics = &trained.saved.metrics;
    let describe = |m: &micrograd::train::metrics::Metrics| {
        // a diverged loss in full would be seventy digits
        let loss = if m.loss.abs() < 1e6 {
            format!("data loss {:.6}", m.loss)
        } else {
            format!("data loss {:.4e}", m.loss)
        };
        match (m.accuracy, m.r2) {
            (Some(accuracy), _) => format!("{loss}, accuracy {:.1}%", accuracy * 100.0),
            (None, Some(r2)) => format!("{loss}, R² {r2:.4}"),
            (None, None) => loss,
        }
    };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "trained {} {} in {seconds:.2} s: {} steps; train {}",
        describe_model(trained),
        trained.problem.task,
        metrics.steps,
        describe(&metrics.train)
    );
    if let Some(validation) = &metrics.validation {
        let _ = writeln!(err, "validation {}", describe(validation));
    }
    if let Some(best) = metrics.best_epoch {
        let epochs = trained.history.validation.len();
        let ended = if trained.stopped_early {
            format!(
                "stopped after epoch {epochs}: the {} since were no better",
                epochs - best
            )
        } else {
            format!("trained all {epochs} epochs")
        };
        let _ = writeln!(
            err,
            "early stopping: kept epoch {best}, the lowest validation loss; {ended}"
        );
    }
    let names: Vec<String> = written
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    let _ = writeln!(err, "wrote {}", names.join(", "));
}
