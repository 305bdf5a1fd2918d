//! The training loop: a config and a dataset in; a trained model, its
//! history and its metrics out. No files, no printing: progress goes to a
//! callback.
//!
//! A run is settled before its first step ([`Plan`]: the split, the scaling,
//! the targets, the network's shape, the parameters and optimizer to start
//! from, the length); then each step takes a batch ([`Batches`]), runs its
//! shards on the run's threads (`shards.rs`), and takes one optimizer step;
//! after each epoch the validation rows may stop it ([`EarlyStopping`]). The
//! model file is made from the parameters by [`Plan::saved_model`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;

use crate::engine::{Activation, MAX_NODES, Value};
use crate::nn::MLP;
use crate::rng::{Init, Stream};
use crate::train::config::{Config, DEFAULT_BATCH_SIZE, DEFAULT_STEPS, LossKind, RngKind, Task};
use crate::train::crew::{Crew, Tasks};
use crate::train::data::Dataset;
use crate::train::evaluate::evaluate;
use crate::train::model::{
    BatchesState, FORMAT, SavedMetrics, SavedModel, Standardization, TrainingState, VERSION,
    model_rows,
};
use crate::train::optim::Optimizer;
use crate::train::problem::{Problem, Target};
use crate::train::shards::{SHARD_ROWS, Shape, ShardResult, Spares, StepWork, help, shards};

/// One optimizer step, as the progress callback sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    pub step: usize,
    pub epoch: usize,
    pub lr: f64,
    /// The batch's loss, the L2 term included, before the step: what the
    /// optimizer minimises.
    pub loss: f64,
    /// The L2 term in `loss`; the data loss is the rest.
    pub l2: f64,
    /// Accuracy or R² on the batch, before the step.
    pub metric: f64,
}

/// The validation split's loss after an epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRecord {
    pub epoch: usize,
    /// The steps done by then.
    pub steps: usize,
    pub loss: f64,
    pub metric: f64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    pub steps: Vec<StepRecord>,
    pub validation: Vec<EpochRecord>,
}

pub struct Trained {
    pub saved: SavedModel,
    pub model: MLP,
    pub problem: Problem,
    pub history: History,
    pub total_steps: usize,
    /// Stopped early by the stop flag.
    pub interrupted: bool,
    /// Early stopping ended training before its length.
    pub stopped_early: bool,
    /// The model every `outputs.animation_every` steps, with the step it
    /// was taken before, and at the end; empty unless the config asks for
    /// `outputs.boundary_animation`.
    pub snapshots: Vec<(usize, MLP)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TrainError {
    /// The config does not fit itself or the data.
    Problem(String),
    /// The dataset cannot be trained on: a single class, too few rows.
    Data(String),
    /// The model to go on from does not fit this run.
    Resume(String),
    /// The loss became NaN or infinite.
    Diverged { step: usize, loss: f64 },
    /// The network cannot fit: its size, and what a tape can hold.
    TooLarge(Size),
    /// The validation data's targets do not fit the task.
    ValidationData(String),
    /// A resumed model has had as many steps as the run is long, or more.
    AlreadyTrained { steps: usize, total_steps: usize },
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrainError::Problem(message)
            | TrainError::Data(message)
            | TrainError::Resume(message) => {
                write!(f, "{message}")
            }
            TrainError::Diverged { step, loss } => write!(
                f,
                "training diverged at step {step}: the loss is {loss}; try a lower learning rate"
            ),
            TrainError::ValidationData(message) => write!(f, "the validation data: {message}"),
            TrainError::TooLarge(size) => write!(
                f,
                "the network has {} parameters, and a shard's graph would be {} nodes: \
                 more than a tape holds ({}); make `model.hidden` smaller",
                size.parameters, size.nodes, MAX_NODES
            ),
            TrainError::AlreadyTrained { steps, total_steps } => write!(
                f,
                "the model has had {steps} steps already, and this run is {total_steps} steps long"
            ),
        }
    }
}

impl std::error::Error for TrainError {}

/// Trains as `config` says. `progress` hears of every step, with the total;
/// setting `stop` ends training after the current step, keeping the model so far.
pub fn train(
    config: &Config,
    dataset: &Dataset,
    progress: &mut dyn FnMut(&StepRecord, usize),
    stop: &AtomicBool,
) -> Result<Trained, TrainError> {
    let hooks = Hooks {
        progress,
        stop,
        checkpoint: &mut |_| {},
    };
    train_with_validation(config, dataset, None, None, hooks)
}

/// How training talks to its caller.
pub struct Hooks<'a> {
    /// Hears of every step, with the total.
    pub progress: &'a mut dyn FnMut(&StepRecord, usize),
    /// Set, it ends training after the current step, keeping the model so far.
    pub stop: &'a AtomicBool,
    /// Gets the model every `outputs.checkpoint_every` steps.
    pub checkpoint: &'a mut dyn FnMut(&SavedModel),
}

/// [`train`], validated on `validation` (rows of another file, with the same
/// columns) instead of a split of `dataset` when it is given, and going on
/// from `resume`, a model an earlier run saved, when that is given: its
/// weights, its step count, its feature scaling, and its optimizer's state
/// if it holds one. [`Plan::new`] then [`Plan::train`].
pub fn train_with_validation(
    config: &Config,
    dataset: &Dataset,
    validation: Option<&Dataset>,
    resume: Option<&SavedModel>,
    hooks: Hooks,
) -> Result<Trained, TrainError> {
    Plan::new(config, dataset, validation, resume)?.train(hooks)
}

/// The most frames a boundary animation has: each is the parameters, held
/// until the GIF is made, and drawn.
pub const MAX_ANIMATION_FRAMES: usize = 1000;

/// What a run takes, estimated before anything the network's size is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub parameters: u64,
    /// The nodes on a thread's tape while it runs a shard.
    pub nodes: u64,
    /// The memory the run needs, about.
    pub bytes: u64,
}

/// A run, settled before its first step: made from the config, the data,
/// the validation data and the model it resumes, it holds the task, the
/// split, the scaled rows and targets, the network's shape, the parameters
/// and optimizer to start from, and the length. Everything that can be wrong
/// with those is found here, before any training.
pub struct Plan<'a> {
    config: &'a Config,
    dataset: &'a Dataset,
    problem: Problem,
    standardization: Option<Standardization>,
    /// The training rows, as the model sees them, and their targets.
    train_x: Vec<Vec<f64>>,
    train_y: Target,
    /// `train_y` as training fits it: a regression target scaled.
    fit_y: Target,
    validation_x: Vec<Vec<f64>>,
    validation_y: Target,
    fit_validation_y: Target,
    target_scale: Option<TargetScale>,
    sizes: Vec<usize>,
    activations: Vec<Activation>,
    init: Init,
    /// The model to go on from, if any.
    resume: Option<&'a SavedModel>,
    /// The output layer's inputs: the last hidden layer's width.
    last_nin: usize,
    batch_size: usize,
    batches_per_epoch: usize,
    /// The step to start from (a resumed model's count) and the step to end before.
    start: usize,
    total_steps: usize,
    /// The boundary animation's frames: every this many steps.
    animation_every: Option<usize>,
}

impl<'a> Plan<'a> {
    /// The plan of a run; an error says what does not fit. Nothing the size
    /// of the network is made yet: [`Plan::size`] says what it will take.
    pub fn new(
        config: &'a Config,
        dataset: &'a Dataset,
        validation: Option<&Dataset>,
        resume: Option<&'a SavedModel>,
    ) -> Result<Plan<'a>, TrainError> {
        let problem = problem(config, dataset, validation.is_some(), resume)?;
        let (train_indices, validation_indices) = split(config, dataset)?;
        // going on from a model, its scaling stays: its weights were learnt on it
        let standardization = match resume {
            Some(saved) => saved.standardization.clone(),
            None => config
                .standardize
                .then(|| Standardization::fit(&model_rows(dataset, &train_indices, None))),
        };
        let train_x = model_rows(dataset, &train_indices, standardization.as_ref());
        let train_y = problem.target.select(&train_indices);
        let (validation_x, validation_y) = match validation {
            Some(validation) => other_rows(validation, &problem, standardization.as_ref())?,
            None => (
                model_rows(dataset, &validation_indices, standardization.as_ref()),
                problem.target.select(&validation_indices),
            ),
        };
        let (target_scale, fit_y, fit_validation_y) =
            scaled_targets(config, &train_y, &validation_y);
        let mut sizes = config.model.hidden.clone();
        sizes.push(problem.outputs());
        let mut activations = config.hidden_activations();
        activations.push(Activation::Linear);
        let nin = dataset.feature_names.len();
        let last_nin = *sizes.iter().rev().nth(1).unwrap_or(&nin);
        let (batch_size, batches_per_epoch, total_steps) = length(config, train_indices.len());
        // going on from a model: the steps it had
        let start = resume.map_or(0, |saved| saved.metrics.steps);
        if start >= total_steps {
            return Err(TrainError::AlreadyTrained {
                steps: start,
                total_steps,
            });
        }
        let animation_every = animation_every(config, total_steps - start)?;
        let plan = Plan {
            config,
            dataset,
            problem,
            standardization,
            train_x,
            train_y,
            fit_y,
            validation_x,
            validation_y,
            fit_validation_y,
            target_scale,
            sizes,
            activations,
            init: config.weight_init(),
            last_nin,
            batch_size,
            batches_per_epoch,
            start,
            total_steps,
            animation_every,
            resume,
        };
        if let Some(saved) = resume {
            resume_fits(saved, config, &plan.shape())
                .and_then(|()| {
                    replay_fits(saved, plan.train_x.len(), batch_size, batches_per_epoch)
                })
                .map_err(|err| TrainError::Resume(format!("{err:#}")))?;
        }
        let size = plan.size();
        if size.nodes > MAX_NODES as u64 {
            return Err(TrainError::TooLarge(size));
        }
        Ok(plan)
    }

    /// What the run will take: the network's parameters, the nodes a
    /// thread's tape holds for a shard, and the bytes of memory, estimated.
    pub fn size(&self) -> Size {
        let nin = self.dataset.feature_names.len() as u64;
        let mut fan_in = nin;
        let mut parameters = 0u64;
        for &width in &self.sizes {
            parameters = parameters.saturating_add((fan_in + 1).saturating_mul(width as u64));
            fan_in = width as u64;
        }
        let threads = self.config.threads().max(1) as u64;
        let widths: u64 = self.sizes.iter().map(|&width| width as u64).sum();
        let rows = self.batch_size.min(SHARD_ROWS) as u64;
        // a shard's graph: each row's data and neurons, and a few loss nodes
        let nodes = parameters.saturating_add(rows.saturating_mul(nin + widths + 8));
        // per parameter: the plan's vectors (the parameters, the summed and
        // the shards' grads, the optimizer's two, the best epoch's), 8 bytes
        // each; per node of a thread's tape, about 56 (data, op, grad,
        // handles, a neuron's operands)
        let bytes = parameters
            .saturating_mul(8 * (6 + threads))
            .saturating_add(nodes.saturating_mul(56).saturating_mul(threads));
        Size {
            parameters,
            nodes,
            bytes,
        }
    }

    /// The task: what the target column asks for, and the loss.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// Trains as planned. `hooks` hear of each step and may stop the run.
    pub fn train(self, hooks: Hooks) -> Result<Trained, TrainError> {
        let (parameters, optimizer) = self.starting_point(self.resume)?;
        let batches = Batches::new(&self, hooks.stop);
        let mut run = Run {
            interrupted: batches.is_none(),
            batches,
            parameters,
            optimizer,
            history: History::default(),
            snapshots: Vec::new(),
            early_stopping: self.config.patience.map(EarlyStopping::new),
            stopped_early: false,
        };
        if !run.interrupted {
            run.steps(&self, hooks)?;
        }
        // early stopping keeps the best epoch's weights
        let best_epoch = run.early_stopping.and_then(EarlyStopping::into_best).map(
            |(epoch, best_parameters)| {
                run.parameters = best_parameters;
                epoch + 1
            },
        );
        let steps_done = self.start + run.history.steps.len();
        if self.animation_every.is_some() {
            run.snapshots.push((steps_done, run.parameters.clone()));
        }
        let (saved, model) = self.saved_model(
            &run.parameters,
            &run.optimizer,
            steps_done,
            best_epoch,
            run.batches.as_ref(),
        );
        let shape = self.shape();
        let snapshots = run
            .snapshots
            .into_iter()
            .map(|(step, parameters)| (step, shape.model(&parameters)))
            .collect();
        Ok(Trained {
            saved,
            model,
            history: run.history,
            total_steps: self.total_steps,
            interrupted: run.interrupted,
            stopped_early: run.stopped_early,
            snapshots,
            problem: self.problem,
        })
    }

    fn shape(&self) -> Shape<'_> {
        Shape {
            nin: self.dataset.feature_names.len(),
            sizes: &self.sizes,
            activations: &self.activations,
        }
    }

    fn validates(&self) -> bool {
        !self.validation_x.is_empty()
    }

    /// The parameters and optimizer of the first step: new ones, or the
    /// resumed model's.
    fn starting_point(
        &self,
        resume: Option<&SavedModel>,
    ) -> Result<(Vec<f64>, Optimizer), TrainError> {
        if let Some(saved) = resume {
            return resumed(
                saved,
                self.config,
                self.target_scale.as_ref(),
                self.last_nin,
            )
            .map_err(|err| TrainError::Resume(format!("{err:#}")));
        }
        let nin = self.dataset.feature_names.len();
        let parameters: Vec<f64> = MLP::with_init(nin, &self.sizes, &self.activations, self.init)
            .parameters()
            .iter()
            .map(Value::data)
            .collect();
        let optimizer = Optimizer::new(&self.config.optimizer, parameters.len());
        Ok((parameters, optimizer))
    }

    /// The model file for the parameters as training holds them, `steps` done,
    /// and the model it describes.
    fn saved_model(
        &self,
        parameters: &[f64],
        optimizer: &Optimizer,
        steps: usize,
        best_epoch: Option<usize>,
        batches: Option<&Batches>,
    ) -> (SavedModel, MLP) {
        let mut folded = parameters.to_vec();
        if let Some(scale) = &self.target_scale {
            scale.fold_into_output(&mut folded, self.last_nin);
        }
        let model = self.shape().model(&folded);
        let train_metrics = evaluate(&model, &self.problem, &self.train_x, &self.train_y);
        let validation_metrics = self.validates().then(|| {
            evaluate(
                &model,
                &self.problem,
                &self.validation_x,
                &self.validation_y,
            )
        });
        let saved = SavedModel {
            format: FORMAT.into(),
            version: VERSION,
            task: self.problem.task,
            loss: self.problem.loss,
            features: self.dataset.feature_names.clone(),
            target: self.dataset.target_name.clone(),
            classes: self.problem.classes.clone(),
            standardization: self.standardization.clone(),
            layers: SavedModel::layers_of(&model),
            seed: self.config.seed,
            init: self.init.scheme.into(),
            rng: Some(match self.init.stream {
                Stream::Portable { .. } => RngKind::Portable,
                Stream::Python { .. } => RngKind::Python,
            }),
            metrics: SavedMetrics {
                steps,
                train: train_metrics,
                validation: validation_metrics,
                best_epoch,
            },
            training: self.config.outputs.checkpoint_every.map(|_| TrainingState {
                parameters: parameters.to_vec(),
                optimizer: optimizer.state(),
                batches: batches.and_then(Batches::state),
            }),
        };
        (saved, model)
    }
}

/// The task of a run on `dataset`, checked against the model it resumes
/// and the validation it is given.
fn problem(
    config: &Config,
    dataset: &Dataset,
    validation_data: bool,
    resume: Option<&SavedModel>,
) -> Result<Problem, TrainError> {
    // what the data makes of the task, then the config's loss for it
    let mut problem = Problem::new(dataset, config.task, None)
        .map_err(|err| TrainError::Data(format!("{err:#}")))?;
    if let Some(loss) = config.loss {
        if !loss.fits(problem.task) {
            return Err(TrainError::Problem(format!(
                "the loss {loss} does not fit a {} task",
                problem.task
            )));
        }
        problem.loss = loss;
    }
    if let Some(saved) = resume {
        resumable(saved, &problem, dataset)
            .map_err(|err| TrainError::Resume(format!("{err:#}")))?;
    }
    if validation_data && config.validation_split > 0.0 {
        return Err(TrainError::Problem(
            "give `validation_split` or validation data, not both".into(),
        ));
    }
    Ok(problem)
}

/// The training and validation rows, as indices into `dataset`: validation
/// rows chosen with the seed, each list in the data's order.
fn split(config: &Config, dataset: &Dataset) -> Result<(Vec<usize>, Vec<usize>), TrainError> {
    let mut order: Vec<usize> = (0..dataset.len()).collect();
    let mut validation_indices = Vec::new();
    if config.validation_split > 0.0 {
        if dataset.len() < 2 {
            return Err(TrainError::Data(format!(
                "`validation_split` needs at least 2 rows, one to train on and one to hold out; \
                 the dataset has {}",
                dataset.len()
            )));
        }
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(config.seed));
        let n_validation = ((dataset.len() as f64 * config.validation_split).round() as usize)
            .clamp(1, dataset.len() - 1);
        validation_indices = order.split_off(dataset.len() - n_validation);
        order.sort_unstable();
        validation_indices.sort_unstable();
    }
    if order.is_empty() {
        return Err(TrainError::Data("no rows left to train on".into()));
    }
    Ok((order, validation_indices))
}

/// Validation rows from another file, `dataset`, as the model sees them, and
/// their targets.
fn other_rows(
    dataset: &Dataset,
    problem: &Problem,
    standardization: Option<&Standardization>,
) -> Result<(Vec<Vec<f64>>, Target), TrainError> {
    let all: Vec<usize> = (0..dataset.len()).collect();
    let target = problem
        .target_of(dataset)
        .map_err(|err| TrainError::ValidationData(format!("{err:#}")))?;
    Ok((model_rows(dataset, &all, standardization), target))
}

/// Regression targets scaled to mean 0 and std 1 for training (a target in
/// the hundreds would take hundreds of steps just to reach its scale), with
/// the scale; other targets as they are. The scaling is folded into the
/// output layer at the end, so the model file predicts in the data's units.
fn scaled_targets(
    config: &Config,
    train_y: &Target,
    validation_y: &Target,
) -> (Option<TargetScale>, Target, Target) {
    let target_scale = match train_y {
        Target::Numbers(y) if config.standardize_target => Some(TargetScale::fit(y)),
        _ => None,
    };
    match &target_scale {
        Some(scale) => (
            target_scale,
            scale.apply(train_y),
            scale.apply(validation_y),
        ),
        None => (None, train_y.clone(), validation_y.clone()),
    }
}

/// Every how many steps the boundary animation takes a frame over a run of
/// `steps` steps, if it is asked for; an error past `MAX_ANIMATION_FRAMES`.
fn animation_every(config: &Config, steps: usize) -> Result<Option<usize>, TrainError> {
    let animation_every = config.outputs.boundary_animation.as_ref().map(|_| {
        config
            .outputs
            .animation_every
            .unwrap_or_else(|| steps.div_ceil(50).max(1))
    });
    // every frame is a copy of the parameters, held until the GIF is made
    if let Some(every) = animation_every {
        let frames = steps.div_ceil(every) + 1;
        if frames > MAX_ANIMATION_FRAMES {
            return Err(TrainError::Problem(format!(
                "at `outputs.animation_every`: {every} makes {frames} frames over {} steps, \
                 and an animation has at most {MAX_ANIMATION_FRAMES}: make it at least {}",
                steps,
                steps.div_ceil(MAX_ANIMATION_FRAMES - 1)
            )));
        }
    }
    Ok(animation_every)
}

/// A run's batch size, batches per epoch and steps, for `n_rows` training rows.
fn length(config: &Config, n_rows: usize) -> (usize, usize, usize) {
    let batch_size = config.batch_size.unwrap_or(DEFAULT_BATCH_SIZE).min(n_rows);
    let batches_per_epoch = n_rows.div_ceil(batch_size);
    let total_steps = config
        .steps
        .or(config.epochs.map(|epochs| epochs * batches_per_epoch))
        .unwrap_or(DEFAULT_STEPS);
    (batch_size, batches_per_epoch, total_steps)
}

/// Mini-batches: the training rows shuffled at the start of each epoch (unless
/// a batch holds them all), from their own stream so that the split does not
/// shift them.
struct Batches {
    rng: ChaCha8Rng,
    order: Vec<usize>,
    size: usize,
    per_epoch: usize,
}

impl Batches {
    /// The batches of a run from step `start`, as a run from step 0 would
    /// draw them: from the state a resumed model saved, or by replaying the
    /// shuffles of the epochs before `start` (`None` if `stop` was set
    /// meanwhile).
    fn new(plan: &Plan, stop: &AtomicBool) -> Option<Batches> {
        let mut batches = Batches {
            rng: ChaCha8Rng::seed_from_u64(plan.config.seed.wrapping_add(1)),
            order: (0..plan.train_x.len()).collect(),
            size: plan.batch_size,
            per_epoch: plan.batches_per_epoch,
        };
        let saved = plan
            .resume
            .and_then(|saved| saved.training.as_ref())
            .and_then(|training| training.batches.as_ref());
        if let Some(state) = saved {
            batches.rng.set_word_pos(state.word_pos);
            batches.order.clone_from(&state.order);
            return Some(batches);
        }
        // only an epoch's first step shuffles
        for step in (0..plan.start).step_by(batches.per_epoch) {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            batches.shuffle_at(step);
        }
        Some(batches)
    }

    /// Where the shuffles stand, for a model file to go on from; none when
    /// batches are the whole split and nothing is shuffled.
    fn state(&self) -> Option<BatchesState> {
        (self.size < self.order.len()).then(|| BatchesState {
            word_pos: self.rng.get_word_pos(),
            order: self.order.clone(),
        })
    }

    fn shuffle_at(&mut self, step: usize) {
        if step.is_multiple_of(self.per_epoch) && self.size < self.order.len() {
            self.order.shuffle(&mut self.rng);
        }
    }

    /// Step `step`'s batch, as positions among the training rows.
    fn at(&mut self, step: usize) -> Vec<usize> {
        self.shuffle_at(step);
        let batch_in_epoch = step % self.per_epoch;
        self.order
            .iter()
            .skip(batch_in_epoch * self.size)
            .take(self.size)
            .copied()
            .collect()
    }
}

/// Early stopping: training ends when the validation loss has not improved
/// for `patience` epochs, and the best epoch's weights are kept.
struct EarlyStopping {
    patience: usize,
    /// The best epoch so far, its loss and its parameters.
    best: Option<(usize, f64, Vec<f64>)>,
}

impl EarlyStopping {
    fn new(patience: usize) -> EarlyStopping {
        EarlyStopping {
            patience,
            best: None,
        }
    }

    /// Hears an epoch's validation loss; whether training should stop.
    fn should_stop(&mut self, epoch: usize, loss: f64, parameters: &[f64]) -> bool {
        let improved = self
            .best
            .as_ref()
            .is_none_or(|(_, best_loss, _)| loss < *best_loss);
        if improved {
            self.best = Some((epoch, loss, parameters.to_vec()));
            return false;
        }
        let (best_epoch, ..) = self.best.as_ref().expect("only a best can fail to improve");
        epoch - best_epoch >= self.patience
    }

    /// The best epoch and its parameters.
    fn into_best(self) -> Option<(usize, Vec<f64>)> {
        self.best.map(|(epoch, _, parameters)| (epoch, parameters))
    }
}

/// What changes as a run goes.
struct Run {
    parameters: Vec<f64>,
    optimizer: Optimizer,
    /// The mini-batches; none when a stop came before they were ready.
    batches: Option<Batches>,
    history: History,
    /// The parameters before every `animation_every`-th step.
    snapshots: Vec<(usize, Vec<f64>)>,
    early_stopping: Option<EarlyStopping>,
    interrupted: bool,
    stopped_early: bool,
}

impl Run {
    /// The run's steps, on the config's threads: the caller runs shards
    /// itself, and helpers (living for the whole run, `crew`) take them as
    /// they come. No more threads than a batch has shards.
    fn steps(&mut self, plan: &Plan, hooks: Hooks) -> Result<(), TrainError> {
        let threads = plan.config.threads();
        let helpers = threads.min(shards(plan.batch_size).len()).max(1) - 1;
        let crew = Crew::new(helpers + 1);
        let shape = plan.shape();
        std::thread::scope(|scope| {
            let _closer = crew.closer();
            for _ in 0..helpers {
                std::thread::Builder::new()
                    .spawn_scoped(scope, || help(&crew, &shape, &plan.problem, &plan.train_x))
                    .map_err(|err| {
                        TrainError::Problem(format!("cannot start {threads} threads: {err}"))
                    })?;
            }
            let mut network = None;
            let spares = Arc::new(Spares::default());
            for step in plan.start..plan.total_steps {
                if plan
                    .animation_every
                    .is_some_and(|every| (step - plan.start).is_multiple_of(every))
                {
                    self.snapshots.push((step, self.parameters.clone()));
                }
                let batch = self
                    .batches
                    .as_mut()
                    .expect("a run steps once its batches are ready")
                    .at(step);
                let batch_y = plan.fit_y.select(&batch);
                let shards = shards(batch.len());
                let work = Arc::new(StepWork {
                    parameters: self.parameters.clone(),
                    tasks: Tasks::new(shards.len()),
                    shards,
                    batch,
                    batch_y,
                    l2: plan.config.l2,
                    spares: Arc::clone(&spares),
                });
                let result = work.run(
                    &crew,
                    helpers > 0,
                    &mut network,
                    &shape,
                    &plan.problem,
                    &plan.train_x,
                );
                let record = self.learn(plan, step, &work.batch_y, result, &spares)?;
                (hooks.progress)(&record, plan.total_steps);
                self.history.steps.push(record);
                if let Some(every) = plan.config.outputs.checkpoint_every
                    && (step + 1).is_multiple_of(every)
                    && step + 1 < plan.total_steps
                {
                    let saved = plan.saved_model(
                        &self.parameters,
                        &self.optimizer,
                        step + 1,
                        None,
                        self.batches.as_ref(),
                    );
                    (hooks.checkpoint)(&saved.0);
                }
                let epoch_done = (step + 1).is_multiple_of(plan.batches_per_epoch)
                    || step + 1 == plan.total_steps;
                if epoch_done && plan.validates() && self.validate(plan, step) {
                    self.stopped_early = true;
                    break;
                }
                if hooks.stop.load(Ordering::Relaxed) && step + 1 < plan.total_steps {
                    self.interrupted = true;
                    break;
                }
            }
            Ok(())
        })
    }

    /// One optimizer step from a batch's loss and grads; its record.
    fn learn(
        &mut self,
        plan: &Plan,
        step: usize,
        batch_y: &Target,
        result: ShardResult,
        spares: &Spares,
    ) -> Result<StepRecord, TrainError> {
        let ShardResult {
            loss,
            l2,
            grads,
            scores,
        } = result;
        if !loss.is_finite() {
            return Err(TrainError::Diverged { step, loss });
        }
        let metric = plan.problem.metric(&scores, batch_y);
        let lr = plan
            .config
            .schedule
            .lr(plan.config.optimizer.lr(), step, plan.total_steps);
        self.optimizer.step(&mut self.parameters, &grads, lr);
        spares.give([grads, scores]);
        Ok(StepRecord {
            step,
            epoch: step / plan.batches_per_epoch,
            lr,
            loss,
            l2,
            metric,
        })
    }

    /// Scores the validation rows after the epoch that ends with `step`;
    /// whether early stopping ends the run.
    fn validate(&mut self, plan: &Plan, step: usize) -> bool {
        let epoch = step / plan.batches_per_epoch;
        let model = plan.shape().model(&self.parameters);
        let metrics = evaluate(
            &model,
            &plan.problem,
            &plan.validation_x,
            &plan.fit_validation_y,
        );
        self.history.validation.push(EpochRecord {
            epoch,
            steps: step + 1,
            loss: metrics.loss,
            metric: metrics.accuracy.or(metrics.r2).unwrap_or(0.0),
        });
        self.early_stopping
            .as_mut()
            .is_some_and(|early| early.should_stop(epoch, metrics.loss, &self.parameters))
    }
}

/// A regression target's mean and standard deviation over the training rows.
#[derive(Clone, Copy, Debug, PartialEq)]
struct TargetScale {
    mean: f64,
    std: f64,
}

impl TargetScale {
    /// A constant target gets std 1, as a constant feature does.
    fn fit(y: &[f64]) -> TargetScale {
        let rows: Vec<Vec<f64>> = y.iter().map(|&v| vec![v]).collect();
        let fitted = Standardization::fit(&rows);
        TargetScale {
            mean: fitted.mean[0],
            std: fitted.std[0],
        }
    }

    /// `(y - mean) / std` for numbers; other targets as they are.
    fn apply(&self, target: &Target) -> Target {
        match target {
            Target::Numbers(y) => {
                Target::Numbers(y.iter().map(|v| (v - self.mean) / self.std).collect())
            }
            other => other.clone(),
        }
    }

    /// Undoes the scaling in a network with one linear output neuron, the
    /// last of `parameters` (its `nin` weights, then its bias): the output
    /// `b + w·h` becomes `mean + std*(b + w·h)`.
    fn fold_into_output(&self, parameters: &mut [f64], nin: usize) {
        let n = parameters.len();
        for w in &mut parameters[n - 1 - nin..n - 1] {
            *w *= self.std;
        }
        parameters[n - 1] = self.mean + self.std * parameters[n - 1];
    }

    /// `fold_into_output` undone (to rounding).
    fn unfold_from_output(&self, parameters: &mut [f64], nin: usize) {
        let n = parameters.len();
        for w in &mut parameters[n - 1 - nin..n - 1] {
            *w /= self.std;
        }
        parameters[n - 1] = (parameters[n - 1] - self.mean) / self.std;
    }
}

/// Whether training can go on from `saved` on `dataset` for `problem`: the
/// same columns, task, loss and classes.
fn resumable(saved: &SavedModel, problem: &Problem, dataset: &Dataset) -> anyhow::Result<()> {
    if saved.features != dataset.feature_names {
        anyhow::bail!(
            "the model reads {}, the data has {}: resume on the data it was trained on",
            saved.features.join(", "),
            dataset.feature_names.join(", ")
        );
    }
    if (saved.task, saved.loss, &saved.classes) != (problem.task, problem.loss, &problem.classes) {
        let spell = |task: Task, loss: LossKind, classes: &Option<Vec<String>>| {
            let task = format!("{task} with {loss}");
            match classes {
                Some(classes) => format!("{task} over {}", classes.join(", ")),
                None => task,
            }
        };
        anyhow::bail!(
            "the model is {}, this run {}",
            spell(saved.task, saved.loss, &saved.classes),
            spell(problem.task, problem.loss, &problem.classes)
        );
    }
    Ok(())
}

/// The parameters and optimizer to go on from `saved` with: its training
/// state when it has one, else its weights (the target's scaling taken back
/// out of the last layer) and a new optimizer.
/// Whether the run can go on from `saved`: the same layers, and an
/// optimizer state of the config's kind if it saved one.
fn resume_fits(saved: &SavedModel, config: &Config, shape: &Shape) -> anyhow::Result<()> {
    let layers: Vec<(usize, Activation)> = saved
        .layers
        .iter()
        .map(|layer| (layer.weights.len(), Activation::from(layer.activation)))
        .collect();
    let wanted: Vec<(usize, Activation)> = shape
        .sizes
        .iter()
        .copied()
        .zip(shape.activations.iter().copied())
        .collect();
    if layers != wanted {
        let spell = |layers: &[(usize, Activation)]| {
            let layers: Vec<String> = layers
                .iter()
                .map(|(size, activation)| format!("{size} {}", activation.name()))
                .collect();
            layers.join(", ")
        };
        anyhow::bail!(
            "the model's layers are {}, the config's {}",
            spell(&layers),
            spell(&wanted)
        );
    }
    if let Some(training) = &saved.training
        && training.optimizer.kind() != config.optimizer.kind
    {
        anyhow::bail!(
            "the model's optimizer state is {}'s; the config asks for {}",
            training.optimizer.kind(),
            config.optimizer.kind
        );
    }
    Ok(())
}

/// The most row moves a resumed run spends replaying its shuffles (about a
/// second's work); a model that has had more steps than that needs the
/// batches' state a checkpoint keeps.
const MAX_REPLAY: u64 = 1 << 28;

/// Whether the mini-batches of a run going on from `saved` can be had: its
/// saved state is an order of the `n_rows` training rows, or, without one,
/// replaying its epochs' shuffles is bounded work.
fn replay_fits(
    saved: &SavedModel,
    n_rows: usize,
    batch_size: usize,
    per_epoch: usize,
) -> anyhow::Result<()> {
    let state = saved
        .training
        .as_ref()
        .and_then(|training| training.batches.as_ref());
    if let Some(state) = state {
        let mut seen = vec![false; n_rows];
        for &row in &state.order {
            if row >= n_rows || std::mem::replace(&mut seen[row], true) {
                anyhow::bail!(
                    "at `training.batches.order`: not an order of this run's {n_rows} training rows"
                );
            }
        }
        if state.order.len() != n_rows {
            anyhow::bail!(
                "at `training.batches.order`: {} rows, but this run trains on {n_rows}",
                state.order.len()
            );
        }
        return Ok(());
    }
    if batch_size >= n_rows {
        return Ok(());
    }
    let steps = saved.metrics.steps;
    let shuffles = steps.div_ceil(per_epoch) as u64;
    if shuffles.saturating_mul(n_rows as u64) > MAX_REPLAY {
        anyhow::bail!(
            "the model has had {steps} steps, and going on means replaying {shuffles} shuffles \
             of {n_rows} rows; a checkpoint (`outputs.checkpoint_every`) keeps where the \
             batches stand, so that none is replayed"
        );
    }
    Ok(())
}

/// The parameters and optimizer to go on from `saved` (which
/// `resume_fits`): its training state when it has one, else its weights (the
/// target's scaling taken back out of the last layer) and a new optimizer.
fn resumed(
    saved: &SavedModel,
    config: &Config,
    target_scale: Option<&TargetScale>,
    last_nin: usize,
) -> anyhow::Result<(Vec<f64>, Optimizer)> {
    let n = saved.parameter_count();
    match &saved.training {
        Some(training) => {
            let optimizer = Optimizer::resumed(&config.optimizer, n, &training.optimizer)
                .ok_or_else(|| anyhow::anyhow!("the model's optimizer state does not fit it"))?;
            Ok((training.parameters.clone(), optimizer))
        }
        None => {
            let mut parameters = saved.parameters();
            if let Some(scale) = target_scale {
                scale.unfold_from_output(&mut parameters, last_nin);
            }
            Ok((parameters, Optimizer::new(&config.optimizer, n)))
        }
    }
}
