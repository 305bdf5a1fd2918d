//! A run, settled before its first step ([`Plan`]): the task, the split, the
//! scaling, the rows and targets as training fits them, the network's
//! shape, the length, and what it all takes ([`Size`]). Everything that can
//! be wrong with a run is found here, before anything the size of the
//! network is made; `fit.rs` trains the plan, and `Plan::saved_model` makes
//! the model file.

use crate::engine::{Activation, MAX_NODES, Value};
use crate::nn::MLP;
use crate::rng::{Init, Stream};
use crate::train::config::{Config, DEFAULT_BATCH_SIZE, DEFAULT_STEPS, RngKind};
use crate::train::data::Dataset;
use crate::train::evaluate::evaluate;
use crate::train::model::{
    BatchesState, FORMAT, Rows, SavedMetrics, SavedModel, Standardization, TrainingState, VERSION,
    model_rows,
};
use crate::train::optim::Optimizer;
use crate::train::problem::TargetScale;
use crate::train::problem::{Problem, Target};
use crate::train::resume::{replay_fits, resumable, resume_fits, resumed};
use crate::train::shards::{SHARD_ROWS, Shape};

use std::sync::atomic::{AtomicBool, Ordering};

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;

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
    pub(crate) config: &'a Config,
    pub(crate) dataset: &'a Dataset,
    pub(crate) problem: Problem,
    pub(crate) standardization: Option<Standardization>,
    /// The training rows, as the model sees them, and their targets.
    pub(crate) train_x: Rows,
    pub(crate) train_y: Target,
    /// `train_y` as training fits it: a regression target scaled.
    pub(crate) fit_y: Target,
    pub(crate) validation_x: Rows,
    pub(crate) validation_y: Target,
    pub(crate) fit_validation_y: Target,
    pub(crate) target_scale: Option<TargetScale>,
    pub(crate) sizes: Vec<usize>,
    pub(crate) activations: Vec<Activation>,
    pub(crate) init: Init,
    /// The model to go on from, if any.
    pub(crate) resume: Option<&'a SavedModel>,
    /// The output layer's inputs: the last hidden layer's width.
    pub(crate) last_nin: usize,
    pub(crate) batch_size: usize,
    pub(crate) batches_per_epoch: usize,
    /// The step to start from (a resumed model's count) and the step to end before.
    pub(crate) start: usize,
    pub(crate) total_steps: usize,
    /// The boundary animation's frames: every this many steps.
    pub(crate) animation_every: Option<usize>,
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
        let train_x = Rows::of(dataset, &train_indices, standardization.as_ref());
        let train_y = problem.target.select(&train_indices);
        let (validation_x, validation_y) = match validation {
            Some(validation) => other_rows(validation, &problem, standardization.as_ref())?,
            None => (
                Rows::of(dataset, &validation_indices, standardization.as_ref()),
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

    pub(crate) fn shape(&self) -> Shape<'_> {
        Shape {
            nin: self.dataset.feature_names.len(),
            sizes: &self.sizes,
            activations: &self.activations,
        }
    }

    pub(crate) fn validates(&self) -> bool {
        !self.validation_x.is_empty()
    }

    /// The parameters and optimizer of the first step: new ones, or the
    /// resumed model's.
    pub(crate) fn starting_point(
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
    /// The model of `parameters` as it predicts: a regression target's
    /// scaling folded back into the output layer.
    pub(crate) fn model_of(&self, parameters: &[f64]) -> MLP {
        let mut folded = parameters.to_vec();
        if let Some(scale) = &self.target_scale {
            scale.fold_into_output(&mut folded, self.last_nin);
        }
        self.shape().model(&folded)
    }

    pub(crate) fn saved_model(
        &self,
        parameters: &[f64],
        optimizer: &Optimizer,
        steps: usize,
        best_epoch: Option<usize>,
        batches: Option<&Batches>,
    ) -> (SavedModel, MLP) {
        let model = self.model_of(parameters);
        let train_metrics = evaluate(&model, &self.problem, &self.train_x.slices(), &self.train_y);
        let validation_metrics = self.validates().then(|| {
            evaluate(
                &model,
                &self.problem,
                &self.validation_x.slices(),
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
) -> Result<(Rows, Target), TrainError> {
    let all: Vec<usize> = (0..dataset.len()).collect();
    let target = problem
        .target_of(dataset)
        .map_err(|err| TrainError::ValidationData(format!("{err:#}")))?;
    Ok((Rows::of(dataset, &all, standardization), target))
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

/// Mini-batches: the training rows shuffled at the start of each epoch (unless
/// a batch holds them all), from their own stream so that the split does not
/// shift them.
pub(crate) struct Batches {
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
    pub(crate) fn new(plan: &Plan, stop: &AtomicBool) -> Option<Batches> {
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
    pub(crate) fn state(&self) -> Option<BatchesState> {
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
    pub(crate) fn at(&mut self, step: usize) -> Vec<usize> {
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
