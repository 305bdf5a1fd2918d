//! Training: a config and a dataset in; a trained model, its history and its
//! metrics out. No files, no printing: progress goes to a callback.
//!
//! A step cuts its batch into shards of at most `SHARD_ROWS` rows, by a rule
//! that does not look at the thread count. Each shard builds its own graph on
//! the tape of whichever thread takes it (`crew`), over that thread's copy of
//! the network (kept for the run, its grads zeroed before each shard), and
//! returns its loss and grads; the step adds them up in shard order and
//! takes one optimizer step. So the model is the same, bit for bit, however
//! many threads ran it, and a batch of one shard is plain serial training.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;

use crate::engine::{Activation, ROWS_IN_FLIGHT, Value};
use crate::nn::MLP;
use crate::rng::Stream;
use crate::train::config::{Config, DEFAULT_BATCH_SIZE, DEFAULT_STEPS, LossKind, RngKind, Task};
use crate::train::crew::{Crew, Tasks};
use crate::train::data::{Dataset, Targets};
use crate::train::loss;
use crate::train::metrics::{self, Metrics, r_squared};
use crate::train::model::{FORMAT, SavedMetrics, SavedModel, Standardization, VERSION};
use crate::train::optim::Optimizer;

/// What the model learns to predict, in the form its loss wants.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// Binary labels as -1 (first class) and +1 (second class).
    Signs(Vec<f64>),
    /// Class indices.
    Classes(Vec<usize>),
    Numbers(Vec<f64>),
}

impl Target {
    fn select(&self, indices: &[usize]) -> Target {
        match self {
            Target::Signs(y) => Target::Signs(indices.iter().map(|&i| y[i]).collect()),
            Target::Classes(y) => Target::Classes(indices.iter().map(|&i| y[i]).collect()),
            Target::Numbers(y) => Target::Numbers(indices.iter().map(|&i| y[i]).collect()),
        }
    }
}

/// The task as the data and config define it.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub task: Task,
    pub loss: LossKind,
    /// Class names: for binary, the negative class first.
    pub classes: Option<Vec<String>>,
    pub target: Target,
}

impl Problem {
    /// Reads the task from the target column, or checks the one the config names.
    /// Numbers with two values, or two class names, make a binary task; more
    /// class names a multiclass one; other numbers a regression.
    pub fn new(
        dataset: &Dataset,
        task: Option<Task>,
        loss: Option<LossKind>,
    ) -> Result<Problem, String> {
        let column = &dataset.target_name;
        let (names, labels) = class_labels(&dataset.targets);
        let task = task.unwrap_or_else(|| infer_task(&dataset.targets).0);
        let (classes, target) = match (task, &dataset.targets) {
            (_, Targets::Numbers(_)) if names.len() < 2 => {
                return Err(format!(
                    "`{column}` has a single value, `{}`: nothing to learn",
                    names[0]
                ));
            }
            (Task::Regression, Targets::Numbers(numbers)) => {
                (None, Target::Numbers(numbers.clone()))
            }
            (Task::Regression, Targets::Classes { .. }) => {
                return Err(format!(
                    "`{column}` holds class names (`{}`), but regression needs numbers",
                    names[0]
                ));
            }
            (_, _) if names.len() < 2 => {
                return Err(format!(
                    "`{column}` has a single class, `{}`: nothing to learn",
                    names[0]
                ));
            }
            (Task::Binary, _) if names.len() != 2 => {
                return Err(format!(
                    "the task is binary but `{column}` has {} classes",
                    names.len()
                ));
            }
            (Task::Binary, _) => {
                let signs = labels
                    .iter()
                    .map(|&label| if label == 1 { 1.0 } else { -1.0 })
                    .collect();
                (Some(names), Target::Signs(signs))
            }
            (Task::Multiclass, _) => (Some(names), Target::Classes(labels)),
        };
        let loss = loss.unwrap_or(match task {
            Task::Binary => LossKind::Hinge,
            Task::Multiclass => LossKind::CrossEntropy,
            Task::Regression => LossKind::Mse,
        });
        if !loss.fits(task) {
            return Err(format!("the loss {loss:?} does not fit a {task:?} task").to_lowercase());
        }
        Ok(Problem {
            task,
            loss,
            classes,
            target,
        })
    }

    /// The problem a saved model solves, with `dataset`'s targets mapped onto
    /// the model's classes.
    pub fn for_model(saved: &SavedModel, dataset: &Dataset) -> Result<Problem, String> {
        let problem = Problem {
            task: saved.task,
            loss: saved.loss,
            classes: saved.classes.clone(),
            target: Target::Numbers(Vec::new()),
        };
        let target = problem.target_of(dataset)?;
        Ok(Problem { target, ..problem })
    }

    /// `dataset`'s targets as this problem reads them: its labels mapped onto
    /// the problem's classes (an unknown one is an error naming its line).
    pub fn target_of(&self, dataset: &Dataset) -> Result<Target, String> {
        let column = &dataset.target_name;
        let target = match (&self.classes, &dataset.targets) {
            (None, Targets::Numbers(y)) => Target::Numbers(y.clone()),
            (None, Targets::Classes { names, .. }) => {
                return Err(format!(
                    "`{column}` holds class names (`{}`), but the model predicts numbers",
                    names[0]
                ));
            }
            (Some(classes), targets) => {
                let row_classes: Vec<String> = match targets {
                    Targets::Numbers(y) => y.iter().map(|value| value.to_string()).collect(),
                    Targets::Classes { names, labels } => {
                        labels.iter().map(|&label| names[label].clone()).collect()
                    }
                };
                let indices = row_classes
                    .iter()
                    .zip(&dataset.lines)
                    .map(|(name, line)| {
                        classes
                            .iter()
                            .position(|class| class == name)
                            .ok_or_else(|| {
                                format!(
                                    "line {line}: class `{name}` is not one the model knows ({})",
                                    classes.join(", ")
                                )
                            })
                    })
                    .collect::<Result<Vec<usize>, String>>()?;
                match self.task {
                    Task::Binary => Target::Signs(
                        indices
                            .iter()
                            .map(|&i| if i == 1 { 1.0 } else { -1.0 })
                            .collect(),
                    ),
                    _ => Target::Classes(indices),
                }
            }
        };
        Ok(target)
    }

    /// How many outputs the network needs.
    pub fn outputs(&self) -> usize {
        match (&self.task, &self.classes) {
            (Task::Multiclass, Some(classes)) => classes.len(),
            _ => 1,
        }
    }

    /// The data loss for network outputs: the sum of the samples' losses
    /// times `1/n`, where `n` is the batch's size (`scores` may be a shard of it).
    pub fn loss(&self, scores: &[Vec<Value>], target: &Target, n: usize) -> Value {
        let first = || {
            scores
                .iter()
                .map(|outputs| outputs[0].clone())
                .collect::<Vec<_>>()
        };
        let sum = match (self.loss, target) {
            (LossKind::Hinge, Target::Signs(y)) => loss::hinge_sum(&first(), y),
            (LossKind::Logistic, Target::Signs(y)) => loss::logistic_sum(&first(), y),
            (LossKind::CrossEntropy, Target::Classes(y)) => loss::cross_entropy_sum(scores, y),
            (LossKind::Mse, Target::Numbers(y)) => loss::mse_sum(&first(), y),
            _ => unreachable!("Problem::new pairs each loss with its target"),
        };
        sum * (1.0 / n as f64)
    }

    /// Accuracy, or R² for a regression, of `scores`: each row's outputs, one
    /// row after another, a row for each target.
    pub fn metric(&self, scores: &[f64], target: &Target) -> f64 {
        let rows = match target {
            Target::Signs(y) | Target::Numbers(y) => y.len(),
            Target::Classes(y) => y.len(),
        };
        let row_scores = scores.chunks((scores.len() / rows.max(1)).max(1));
        match target {
            Target::Signs(y) => {
                let right = y
                    .iter()
                    .zip(row_scores)
                    .filter(|(y, s)| (**y > 0.0) == (s[0] > 0.0))
                    .count();
                right as f64 / y.len().max(1) as f64
            }
            Target::Classes(y) => {
                let right = y
                    .iter()
                    .zip(row_scores)
                    .filter(|(y, s)| **y == argmax(s))
                    .count();
                right as f64 / y.len().max(1) as f64
            }
            Target::Numbers(y) => r_squared(y, scores),
        }
    }

    pub fn metric_name(&self) -> &'static str {
        match self.task {
            Task::Regression => "R²",
            _ => "accuracy",
        }
    }

    /// The class index (or value) a sample's outputs predict.
    pub fn predict(&self, scores: &[f64]) -> Prediction {
        match self.task {
            Task::Binary => Prediction::Class(usize::from(scores[0] > 0.0)),
            Task::Multiclass => Prediction::Class(argmax(scores)),
            Task::Regression => Prediction::Number(scores[0]),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prediction {
    Class(usize),
    Number(f64),
}

/// The target column as classes: names (numbers sorted, as text; class
/// names in order of first appearance) and each row's index among them.
fn class_labels(targets: &Targets) -> (Vec<String>, Vec<usize>) {
    match targets {
        Targets::Classes { names, labels } => (names.clone(), labels.clone()),
        Targets::Numbers(numbers) => {
            let mut distinct = numbers.clone();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            let labels = numbers
                .iter()
                .map(|y| distinct.partition_point(|d| d < y))
                .collect();
            (distinct.iter().map(f64::to_string).collect(), labels)
        }
    }
}

/// Integer targets with at most this many distinct values are classes.
pub const MAX_INTEGER_CLASSES: usize = 20;

/// The task a target column asks for, and why, as scikit-learn's
/// `type_of_target` reads it: two distinct values are a binary task; class
/// names, or a few distinct integers (digits' 0 to 9), a multiclass one;
/// other numbers a regression.
pub fn infer_task(targets: &Targets) -> (Task, String) {
    let (names, _) = class_labels(targets);
    let distinct = names.len();
    match targets {
        _ if distinct == 2 => (Task::Binary, "two distinct values".into()),
        Targets::Classes { .. } => (Task::Multiclass, format!("{distinct} class names")),
        Targets::Numbers(y)
            if distinct <= MAX_INTEGER_CLASSES && y.iter().all(|v| v.fract() == 0.0) =>
        {
            (Task::Multiclass, format!("{distinct} distinct integers"))
        }
        Targets::Numbers(_) => (Task::Regression, format!("numbers, {distinct} distinct")),
    }
}

fn argmax(scores: &[f64]) -> usize {
    let mut best = 0;
    for (index, score) in scores.iter().enumerate() {
        if *score > scores[best] {
            best = index;
        }
    }
    best
}

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
    /// The data and config do not fit together.
    Problem(String),
    /// The loss became NaN or infinite.
    Diverged { step: usize, loss: f64 },
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrainError::Problem(message) => write!(f, "{message}"),
            TrainError::Diverged { step, loss } => write!(
                f,
                "training diverged at step {step}: the loss is {loss}; try a lower learning rate (--lr)"
            ),
        }
    }
}

impl std::error::Error for TrainError {}

/// The rows of `dataset` the model sees, standardised when asked.
fn inputs(
    dataset: &Dataset,
    indices: &[usize],
    standardization: Option<&Standardization>,
) -> Vec<Vec<f64>> {
    indices
        .iter()
        .map(|&i| match standardization {
            Some(standardization) => standardization.apply(&dataset.features[i]),
            None => dataset.features[i].clone(),
        })
        .collect()
}

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
/// if it holds one.
pub fn train_with_validation(
    config: &Config,
    dataset: &Dataset,
    validation: Option<&Dataset>,
    resume: Option<&SavedModel>,
    hooks: Hooks,
) -> Result<Trained, TrainError> {
    let Hooks {
        progress,
        stop,
        checkpoint,
    } = hooks;
    let problem = Problem::new(dataset, config.task, config.loss).map_err(TrainError::Problem)?;
    if let Some(saved) = resume {
        resumable(saved, &problem, dataset).map_err(TrainError::Problem)?;
    }
    if validation.is_some() && config.validation_split > 0.0 {
        return Err(TrainError::Problem(
            "give `validation_split` or validation data, not both".into(),
        ));
    }

    // Split off validation rows, chosen with the seed.
    let mut order: Vec<usize> = (0..dataset.len()).collect();
    let mut validation_indices = Vec::new();
    if config.validation_split > 0.0 {
        if dataset.len() < 2 {
            return Err(TrainError::Problem(format!(
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
        return Err(TrainError::Problem("no rows left to train on".into()));
    }
    let train_indices = order;
    // going on from a model, its scaling stays: its weights were learnt on it
    let standardization = match resume {
        Some(saved) => saved.standardization.clone(),
        None => config
            .standardize
            .then(|| Standardization::fit(&inputs(dataset, &train_indices, None))),
    };
    let train_x = inputs(dataset, &train_indices, standardization.as_ref());
    let train_y = problem.target.select(&train_indices);
    let (validation_x, validation_y) = match validation {
        Some(validation) => {
            let all: Vec<usize> = (0..validation.len()).collect();
            let target = problem
                .target_of(validation)
                .map_err(|err| TrainError::Problem(format!("the validation data: {err}")))?;
            (inputs(validation, &all, standardization.as_ref()), target)
        }
        None => (
            inputs(dataset, &validation_indices, standardization.as_ref()),
            problem.target.select(&validation_indices),
        ),
    };
    let validates = !validation_x.is_empty();
    // Regression targets are scaled to mean 0 and std 1 for training (a target
    // in the hundreds would take hundreds of steps just to reach its scale).
    // The scaling is folded into the output layer at the end, so the model
    // file predicts in the data's units.
    let target_scale = match &train_y {
        Target::Numbers(y) if config.standardize_target => Some(TargetScale::fit(y)),
        _ => None,
    };
    let (fit_y, fit_validation_y) = match &target_scale {
        Some(scale) => (scale.apply(&train_y), scale.apply(&validation_y)),
        None => (train_y.clone(), validation_y.clone()),
    };

    let mut sizes = config.model.hidden.clone();
    sizes.push(problem.outputs());
    let mut activations = config.hidden_activations();
    activations.push(Activation::Linear);
    let init = config.weight_init();
    let nin = dataset.feature_names.len();
    let shape = Shape {
        nin,
        sizes: &sizes,
        activations: &activations,
    };
    let last_nin = *sizes.iter().rev().nth(1).unwrap_or(&nin);
    let (mut parameters, mut optimizer) = match resume {
        Some(saved) => resumed(saved, config, &shape, target_scale.as_ref(), last_nin)
            .map_err(TrainError::Problem)?,
        None => {
            let parameters: Vec<f64> = MLP::with_init(nin, &sizes, &activations, init)
                .parameters()
                .iter()
                .map(Value::data)
                .collect();
            let optimizer = Optimizer::new(&config.optimizer, parameters.len());
            (parameters, optimizer)
        }
    };
    let batch_size = config
        .batch_size
        .unwrap_or(DEFAULT_BATCH_SIZE)
        .min(train_indices.len());
    let batches_per_epoch = train_indices.len().div_ceil(batch_size);
    let total_steps = config
        .steps
        .or(config.epochs.map(|epochs| epochs * batches_per_epoch))
        .unwrap_or(DEFAULT_STEPS);
    let lr0 = config.optimizer.lr();
    // Mini-batches are drawn from their own stream, so that the split does not shift them.
    let mut batch_rng = ChaCha8Rng::seed_from_u64(config.seed.wrapping_add(1));
    let mut epoch_order: Vec<usize> = (0..train_indices.len()).collect();

    // going on from a model: the steps it had, and the batches they drew
    let start = resume.map_or(0, |saved| saved.metrics.steps);
    if start >= total_steps {
        return Err(TrainError::Problem(format!(
            "the model has had {start} steps already, and this run is {total_steps} steps long: \
             ask for more with `--steps` or `--epochs`"
        )));
    }
    for step in 0..start {
        if step % batches_per_epoch == 0 && batch_size < train_indices.len() {
            epoch_order.shuffle(&mut batch_rng);
        }
    }
    // A model file from the parameters as training holds them, `steps` done.
    let save = |parameters: &[f64], optimizer: &Optimizer, steps: usize, best_epoch| {
        let mut folded = parameters.to_vec();
        if let Some(scale) = &target_scale {
            scale.fold_into_output(&mut folded, last_nin);
        }
        let model = shape.model(&folded);
        let train_metrics = evaluate(&model, &problem, &train_x, &train_y);
        let validation_metrics =
            validates.then(|| evaluate(&model, &problem, &validation_x, &validation_y));
        let saved = SavedModel {
            format: FORMAT.into(),
            version: VERSION,
            task: problem.task,
            loss: problem.loss,
            features: dataset.feature_names.clone(),
            target: dataset.target_name.clone(),
            classes: problem.classes.clone(),
            standardization: standardization.clone(),
            layers: SavedModel::layers_of(&model),
            seed: config.seed,
            init: init.scheme.into(),
            rng: Some(match init.stream {
                Stream::Portable { .. } => RngKind::Portable,
                Stream::Python { .. } => RngKind::Python,
            }),
            metrics: SavedMetrics {
                steps,
                train: train_metrics,
                validation: validation_metrics,
                best_epoch,
            },
            training: config
                .outputs
                .checkpoint_every
                .map(|_| crate::train::model::TrainingState {
                    parameters: parameters.to_vec(),
                    optimizer: optimizer.state(),
                }),
        };
        (saved, model)
    };

    // the animation's frames: the parameters before every `every`-th step, and at the end
    let animation_every = config.outputs.boundary_animation.as_ref().map(|_| {
        config
            .outputs
            .animation_every
            .unwrap_or_else(|| (total_steps - start).div_ceil(50).max(1))
    });
    let mut snapshots: Vec<(usize, Vec<f64>)> = Vec::new();
    let mut history = History::default();
    let mut interrupted = false;
    let mut stopped_early = false;
    let mut best: Option<(usize, f64, Vec<f64>)> = None;
    // One thread runs the shards itself; more take them as they come, the
    // helpers living for the whole run (`crew`). No more threads than a
    // batch has shards.
    let threads = config.threads();
    let helpers = threads.min(shards(batch_size).len()).max(1) - 1;
    let crew = Crew::new(helpers + 1);
    std::thread::scope(|scope| {
        let _closer = crew.closer();
        for _ in 0..helpers {
            std::thread::Builder::new()
                .spawn_scoped(scope, || help(&crew, &shape, &problem, &train_x))
                .map_err(|err| {
                    TrainError::Problem(format!("cannot start {threads} threads: {err}"))
                })?;
        }
        let mut network = None;
        let spares = Arc::new(Spares::default());
        for step in start..total_steps {
            if animation_every.is_some_and(|every| (step - start).is_multiple_of(every)) {
                snapshots.push((step, parameters.clone()));
            }
            let epoch = step / batches_per_epoch;
            let batch_in_epoch = step % batches_per_epoch;
            if batch_in_epoch == 0 && batch_size < train_indices.len() {
                epoch_order.shuffle(&mut batch_rng);
            }
            let batch: Vec<usize> = epoch_order
                .iter()
                .skip(batch_in_epoch * batch_size)
                .take(batch_size)
                .copied()
                .collect();
            let batch_y = fit_y.select(&batch);
            let shards = shards(batch.len());
            let work = Arc::new(StepWork {
                parameters: parameters.clone(),
                tasks: Tasks::new(shards.len()),
                shards,
                batch,
                batch_y,
                l2: config.l2,
                spares: Arc::clone(&spares),
            });
            let ShardResult {
                loss: loss_value,
                l2: l2_value,
                grads,
                scores,
            } = work.run(&crew, helpers > 0, &mut network, &shape, &problem, &train_x);
            if !loss_value.is_finite() {
                return Err(TrainError::Diverged {
                    step,
                    loss: loss_value,
                });
            }
            let metric = problem.metric(&scores, &work.batch_y);

            let lr = config.schedule.lr(lr0, step, total_steps);
            optimizer.step(&mut parameters, &grads, lr);
            spares.give([grads, scores]);

            let record = StepRecord {
                step,
                epoch,
                lr,
                loss: loss_value,
                l2: l2_value,
                metric,
            };
            progress(&record, total_steps);
            history.steps.push(record);
            if let Some(every) = config.outputs.checkpoint_every
                && (step + 1).is_multiple_of(every)
                && step + 1 < total_steps
            {
                checkpoint(&save(&parameters, &optimizer, step + 1, None).0);
            }

            let epoch_done = batch_in_epoch + 1 == batches_per_epoch || step + 1 == total_steps;
            if epoch_done && validates {
                let model = shape.model(&parameters);
                let metrics = evaluate(&model, &problem, &validation_x, &fit_validation_y);
                let metric = metrics.accuracy.or(metrics.r2).unwrap_or(0.0);
                history.validation.push(EpochRecord {
                    epoch,
                    steps: step + 1,
                    loss: metrics.loss,
                    metric,
                });
                // early stopping: the best epoch so far, and its weights
                if let Some(patience) = config.patience {
                    let improved = best
                        .as_ref()
                        .is_none_or(|(_, best_loss, _)| metrics.loss < *best_loss);
                    if improved {
                        best = Some((epoch, metrics.loss, parameters.clone()));
                    } else if best
                        .as_ref()
                        .is_some_and(|(best_epoch, _, _)| epoch - best_epoch >= patience)
                    {
                        stopped_early = true;
                        break;
                    }
                }
            }
            if stop.load(Ordering::Relaxed) && step + 1 < total_steps {
                interrupted = true;
                break;
            }
        }

        Ok(())
    })?;

    // early stopping keeps the best epoch's weights
    let best_epoch = best.map(|(epoch, _, best_parameters)| {
        parameters = best_parameters;
        epoch + 1
    });
    let steps_done = start + history.steps.len();
    if animation_every.is_some() {
        snapshots.push((steps_done, parameters.clone()));
    }
    let (saved, model) = save(&parameters, &optimizer, steps_done, best_epoch);
    Ok(Trained {
        saved,
        model,
        problem,
        history,
        total_steps,
        interrupted,
        stopped_early,
        snapshots: snapshots
            .into_iter()
            .map(|(step, parameters)| (step, shape.model(&parameters)))
            .collect(),
    })
}

/// Whether training can go on from `saved` on `dataset` for `problem`: the
/// same columns, task, loss and classes.
fn resumable(saved: &SavedModel, problem: &Problem, dataset: &Dataset) -> Result<(), String> {
    if saved.features != dataset.feature_names {
        return Err(format!(
            "the model reads {}, the data has {}: resume on the data it was trained on",
            saved.features.join(", "),
            dataset.feature_names.join(", ")
        ));
    }
    if (saved.task, saved.loss, &saved.classes) != (problem.task, problem.loss, &problem.classes) {
        let spell = |task: Task, loss: LossKind, classes: &Option<Vec<String>>| {
            let task = format!("{task:?} with {loss:?}").to_lowercase();
            match classes {
                Some(classes) => format!("{task} over {}", classes.join(", ")),
                None => task,
            }
        };
        return Err(format!(
            "the model is {}, this run {}",
            spell(saved.task, saved.loss, &saved.classes),
            spell(problem.task, problem.loss, &problem.classes)
        ));
    }
    Ok(())
}

/// The parameters and optimizer to go on from `saved` with: its training
/// state when it has one, else its weights (the target's scaling taken back
/// out of the last layer) and a new optimizer.
fn resumed(
    saved: &SavedModel,
    config: &Config,
    shape: &Shape,
    target_scale: Option<&TargetScale>,
    last_nin: usize,
) -> Result<(Vec<f64>, Optimizer), String> {
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
        return Err(format!(
            "the model's layers are {layers:?}, the config's {wanted:?} (size, activation)"
        ));
    }
    let n = saved.parameter_count();
    match &saved.training {
        Some(training) => {
            let optimizer = Optimizer::resumed(&config.optimizer, n, &training.optimizer)
                .ok_or_else(|| {
                    format!(
                        "the model's optimizer state is {}'s; the config asks for {:?}",
                        serde_json::to_value(&training.optimizer)
                            .ok()
                            .and_then(|v| v["kind"].as_str().map(String::from))
                            .unwrap_or_default(),
                        config.optimizer.kind
                    )
                    .to_lowercase()
                })?;
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

/// Rows `evaluate` scores in one graph.
const EVAL_ROWS: usize = 4096;

/// Rows per shard, at most: a batch of more rows is cut into
/// `ceil(rows / SHARD_ROWS)` shards, rounded up to an even number.
pub const SHARD_ROWS: usize = 128;

/// The shards of a batch of `n_rows` rows, as ranges of its positions.
///
/// More than one come in an even number, so that two threads share them
/// evenly: 1,078 rows make ten shards, five for each thread, not nine (five
/// and four). Shards hold whole groups of the rows `forward_rows` computes
/// side by side (eight), as equal in number as can be, the last shard
/// taking what is left: a group with empty lanes costs as much as a full one.
fn shards(n_rows: usize) -> Vec<std::ops::Range<usize>> {
    let mut n_shards = n_rows.div_ceil(SHARD_ROWS).max(1);
    if n_shards > 1 {
        n_shards = n_shards.next_multiple_of(2);
    }
    let groups = n_rows.div_ceil(ROWS_IN_FLIGHT);
    let (size, extra) = (groups / n_shards, groups % n_shards);
    let mut start = 0;
    (0..n_shards)
        .map(|shard| {
            let groups = size + usize::from(shard < extra);
            let end = (start + groups * ROWS_IN_FLIGHT).min(n_rows);
            let rows = start..end;
            start = end;
            rows
        })
        .collect()
}

/// The network's shape, to build it from a vector of parameters.
struct Shape<'a> {
    nin: usize,
    sizes: &'a [usize],
    activations: &'a [Activation],
}

impl Shape<'_> {
    fn model(&self, parameters: &[f64]) -> MLP {
        MLP::from_parameters(self.nin, self.sizes, self.activations, parameters)
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

/// A piece of a batch, to run on one thread.
struct Shard<'a> {
    /// Indices into the training rows.
    rows: &'a [usize],
    target: Target,
    /// The whole batch's size: each sample's loss counts `1/batch_size`.
    batch_size: usize,
    l2: f64,
}

/// What a shard gives back: its part of the loss, of each grad, and its scores.
struct ShardResult {
    loss: f64,
    /// The L2 term in `loss` (0 but in the first shard).
    l2: f64,
    grads: Vec<f64>,
    /// each row's outputs, one row after another
    scores: Vec<f64>,
}

/// A copy of the network on one thread's tape, made when the thread takes
/// its first shard and kept for the run, so that its leaves and handles are
/// not made again each step: [`Network::load`] sets its parameters to the
/// step's.
struct Network {
    model: MLP,
    /// `model.parameters()`, kept for the L2 term and for reading the grads.
    parameters: Vec<Value>,
}

impl Network {
    fn new(shape: &Shape, parameters: &[f64]) -> Network {
        let model = shape.model(parameters);
        let parameters = model.parameters();
        Network { model, parameters }
    }

    fn load(&self, parameters: &[f64]) {
        Value::set_data_of(&self.parameters, parameters);
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        Value::drop_all(std::mem::take(&mut self.parameters));
    }
}

/// A step's shards, and what they need, for any thread of the run to take.
struct StepWork {
    /// The parameters' values for this step.
    parameters: Vec<f64>,
    /// The batch's rows, as indices into the training rows.
    batch: Vec<usize>,
    batch_y: Target,
    shards: Vec<std::ops::Range<usize>>,
    l2: f64,
    tasks: Tasks<ShardResult>,
    spares: Arc<Spares>,
}

/// Buffers for the shards' grads and scores, kept from step to step. Made
/// fresh each step they were hundreds of kilobytes, which the allocator gave
/// back to the system after every step and took again, page by page.
#[derive(Default)]
struct Spares(Mutex<Vec<Vec<f64>>>);

impl Spares {
    fn take(&self) -> Vec<f64> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_default()
    }

    fn give(&self, buffers: impl IntoIterator<Item = Vec<f64>>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(buffers);
    }
}

impl StepWork {
    /// Runs the step's shards, on this thread and, when `offer`, on the
    /// crew's too, and adds up their results in shard order.
    fn run(
        self: &Arc<Self>,
        crew: &Crew<StepWork>,
        offer: bool,
        network: &mut Option<Network>,
        shape: &Shape,
        problem: &Problem,
        rows: &[Vec<f64>],
    ) -> ShardResult {
        if offer && self.shards.len() > 1 {
            crew.offer(Arc::clone(self));
        }
        self.take_shards(network, shape, problem, rows);
        let mut results = self.tasks.results(crew).into_iter();
        let mut total = results.next().expect("a batch has at least one shard");
        for shard in results {
            // `l2` is the first shard's: the others have none
            total.loss += shard.loss;
            for (grad, shard_grad) in total.grads.iter_mut().zip(&shard.grads) {
                *grad += shard_grad;
            }
            total.scores.extend_from_slice(&shard.scores);
            self.spares.give([shard.grads, shard.scores]);
        }
        total
    }

    /// Runs shards nobody has taken yet, until none is left, on this thread's
    /// copy of the network (made on the thread's first shard).
    fn take_shards(
        &self,
        network: &mut Option<Network>,
        shape: &Shape,
        problem: &Problem,
        rows: &[Vec<f64>],
    ) {
        let mut loaded = false;
        while let Some(index) = self.tasks.take() {
            let network = network.get_or_insert_with(|| Network::new(shape, &self.parameters));
            if !loaded {
                network.load(&self.parameters);
                loaded = true;
            }
            let positions = self.shards[index].clone();
            let shard = Shard {
                rows: &self.batch[positions.clone()],
                target: self.batch_y.select(&positions.collect::<Vec<_>>()),
                batch_size: self.batch.len(),
                // The L2 term is added once, in the first shard.
                l2: if index == 0 { self.l2 } else { 0.0 },
            };
            self.tasks
                .finish(index, shard.run(network, problem, rows, &self.spares));
        }
    }
}

/// A helper thread's run: each step's shards that are left when it looks.
fn help(crew: &Crew<StepWork>, shape: &Shape, problem: &Problem, rows: &[Vec<f64>]) {
    // a panic here closes the crew, which the step waiting for a shard hears
    let _closer = crew.closer();
    let mut network = None;
    let mut seen = 0;
    while let Some(work) = crew.next(&mut seen) {
        work.take_shards(&mut network, shape, problem, rows);
    }
}

impl Shard<'_> {
    /// Forward and backward on this thread's tape, with its own copy of the network.
    fn run(
        &self,
        network: &mut Network,
        problem: &Problem,
        rows: &[Vec<f64>],
        spares: &Spares,
    ) -> ShardResult {
        // the grads of this shard only, as a new copy's would be
        network.model.zero_grad();
        let batch: Vec<&[f64]> = self.rows.iter().map(|&i| rows[i].as_slice()).collect();
        let scores = network.model.forward_rows(&batch);
        let data_loss = problem.loss(&scores, &self.target, self.batch_size);
        let (total_loss, l2) = if self.l2 > 0.0 {
            let l2 = loss::l2(&network.parameters, self.l2);
            let l2_value = l2.data();
            (data_loss + l2, l2_value)
        } else {
            (data_loss, 0.0)
        };
        total_loss.backward();
        let (mut grads, mut score_data) = (spares.take(), spares.take());
        Value::grads_into(&network.parameters, &mut grads);
        Value::data_into(scores.iter().flatten(), &mut score_data);
        ShardResult {
            loss: total_loss.data(),
            l2,
            grads,
            scores: score_data,
        }
    }
}

/// The model's outputs for each row, computed on plain numbers (no graph),
/// summed in the same order as the graph sums them, so with the same bits.
pub fn outputs(model: &MLP, rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let layers = SavedModel::layers_of(model);
    rows.iter()
        .map(|row| {
            let mut activations = row.clone();
            for layer in &layers {
                let activation = Activation::from(layer.activation);
                activations = layer
                    .weights
                    .iter()
                    .zip(&layer.biases)
                    .map(|(weights, &bias)| {
                        let mut sum = bias;
                        for (w, x) in weights.iter().zip(&activations) {
                            sum += w * x;
                        }
                        activation.eval(sum)
                    })
                    .collect();
            }
            activations
        })
        .collect()
}

/// Loss (without regularisation) and metrics of `model` on `rows`.
///
/// Rows are scored `EVAL_ROWS` at a time, each piece's graph freed before the
/// next, so memory does not grow with the data; up to that many rows the
/// loss is one sum, as training's step computes it.
pub fn evaluate(model: &MLP, problem: &Problem, rows: &[Vec<f64>], target: &Target) -> Metrics {
    let mut loss = 0.0;
    let mut score_data: Vec<Vec<f64>> = Vec::with_capacity(rows.len());
    let indices: Vec<usize> = (0..rows.len()).collect();
    for piece in indices.chunks(EVAL_ROWS) {
        let batch: Vec<&[f64]> = piece.iter().map(|&i| rows[i].as_slice()).collect();
        let scores = model.forward_rows(&batch);
        loss += problem
            .loss(&scores, &target.select(piece), rows.len())
            .data();
        score_data.extend(scores.iter().map(Value::data_of));
    }
    let predictions: Vec<Prediction> = score_data.iter().map(|s| problem.predict(s)).collect();
    match target {
        Target::Signs(y) => {
            let truth: Vec<usize> = y.iter().map(|&y| usize::from(y > 0.0)).collect();
            let predicted: Vec<usize> = predictions.iter().map(class_of).collect();
            metrics::classification(
                loss,
                &truth,
                &predicted,
                problem.classes.as_deref().unwrap_or_default(),
            )
        }
        Target::Classes(y) => {
            let predicted: Vec<usize> = predictions.iter().map(class_of).collect();
            metrics::classification(
                loss,
                y,
                &predicted,
                problem.classes.as_deref().unwrap_or_default(),
            )
        }
        Target::Numbers(y) => {
            let predicted: Vec<f64> = score_data.iter().map(|s| s[0]).collect();
            metrics::regression(loss, y, &predicted)
        }
    }
}

fn class_of(prediction: &Prediction) -> usize {
    match prediction {
        Prediction::Class(class) => *class,
        Prediction::Number(_) => unreachable!("classification predicts classes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Init;
    use crate::train::data::Columns;

    fn problem(csv: &str, task: Option<Task>) -> Result<Problem, String> {
        Problem::new(
            &Dataset::from_csv(csv, &Columns::default()).expect("valid CSV"),
            task,
            None,
        )
    }

    /// Scored in pieces, a large set gets the metrics of one graph over all
    /// of it: the same predictions, and the loss up to rounding.
    #[test]
    fn evaluate_scores_in_pieces() {
        let csv = crate::train::datasets::generate(
            crate::train::datasets::Synthetic::Spiral,
            2 * EVAL_ROWS + 3,
            0.1,
            4,
        );
        let dataset = Dataset::from_csv(&csv, &Columns::default()).expect("valid");
        let problem = Problem::new(&dataset, None, None).expect("multiclass");
        let activations = [Activation::Tanh, Activation::Linear];
        let model = MLP::with_init(
            2,
            &[5, 3],
            &activations,
            Init::micrograd(Stream::Portable { seed: 2 }),
        );
        let metrics = evaluate(&model, &problem, &dataset.features, &problem.target);
        let scores: Vec<Vec<Value>> = dataset
            .features
            .iter()
            .map(|row| model.forward(row))
            .collect();
        let whole = problem.loss(&scores, &problem.target, dataset.len()).data();
        assert!(
            (metrics.loss - whole).abs() <= 1e-12 * whole.abs(),
            "{} vs {whole}",
            metrics.loss
        );
        let predicted: Vec<usize> = outputs(&model, &dataset.features)
            .iter()
            .map(|s| argmax(s))
            .collect();
        let Target::Classes(truth) = &problem.target else {
            panic!("classes")
        };
        let right = predicted.iter().zip(truth).filter(|(p, t)| p == t).count();
        assert_eq!(metrics.accuracy, Some(right as f64 / dataset.len() as f64));
    }

    #[test]
    fn the_task_is_read_from_the_target() {
        let binary = problem("x,y\n1,1\n2,-1\n3,1\n", None).expect("binary");
        assert_eq!((binary.task, binary.loss), (Task::Binary, LossKind::Hinge));
        assert_eq!(
            binary.classes,
            Some(vec!["-1".to_string(), "1".to_string()])
        );
        assert_eq!(binary.target, Target::Signs(vec![1.0, -1.0, 1.0]));

        let named = problem("x,y\n1,cat\n2,dog\n", None).expect("binary");
        assert_eq!(
            named.target,
            Target::Signs(vec![-1.0, 1.0]),
            "the first class is the negative one"
        );

        let multi = problem("x,y\n1,a\n2,b\n3,c\n4,a\n", None).expect("multiclass");
        assert_eq!(
            (multi.task, multi.loss),
            (Task::Multiclass, LossKind::CrossEntropy)
        );
        assert_eq!(multi.target, Target::Classes(vec![0, 1, 2, 0]));

        let numbers = problem("x,y\n1,0.5\n2,1.5\n3,2.5\n", None).expect("regression");
        assert_eq!(
            (numbers.task, numbers.loss),
            (Task::Regression, LossKind::Mse)
        );

        let digits = problem("x,y\n1,2\n2,0\n3,1\n", Some(Task::Multiclass)).expect("multiclass");
        assert_eq!(
            digits.target,
            Target::Classes(vec![2, 0, 1]),
            "numeric classes sorted"
        );
    }

    #[test]
    fn batches_are_cut_into_equal_shards_whatever_the_threads() {
        let sizes = |n| shards(n).iter().map(|rows| rows.len()).collect::<Vec<_>>();
        assert_eq!(shards(100), vec![0..100], "the demo is one shard");
        assert_eq!(sizes(SHARD_ROWS), vec![SHARD_ROWS]);
        assert_eq!(sizes(SHARD_ROWS + 1), vec![72, 57]);
        assert_eq!(sizes(1000), [vec![128; 5], vec![120; 3]].concat());
        assert_eq!(
            sizes(1078),
            [vec![112; 5], vec![104; 4], vec![102]].concat(),
            "ten, not nine"
        );
        assert_eq!(sizes(3 * SHARD_ROWS), vec![96; 4]);
        for n in 1..5000 {
            let shards = shards(n);
            assert!(
                shards.len() == 1 || shards.len().is_multiple_of(2),
                "{n} rows"
            );
            assert!(
                shards
                    .iter()
                    .all(|rows| rows.len() <= SHARD_ROWS && !rows.is_empty())
            );
            let groups = |rows: &std::ops::Range<usize>| rows.len().div_ceil(ROWS_IN_FLIGHT);
            assert!(
                shards[..shards.len() - 1]
                    .iter()
                    .all(|rows| rows.len() % ROWS_IN_FLIGHT == 0)
            );
            let most = shards.iter().map(groups).max();
            let least = shards.iter().map(groups).min();
            assert!(most <= least.map(|least| least + 1), "{n} rows: {shards:?}");
        }
        let rows: Vec<usize> = shards(1001).into_iter().flatten().collect();
        assert_eq!(
            rows,
            (0..1001).collect::<Vec<_>>(),
            "every row once, in order"
        );
    }

    #[test]
    fn mismatches_are_explained() {
        let err = problem("x,y\n1,a\n2,b\n", Some(Task::Regression)).expect_err("names");
        assert_eq!(
            err,
            "`y` holds class names (`a`), but regression needs numbers"
        );
        let err = problem("x,y\n1,a\n2,b\n3,c\n", Some(Task::Binary)).expect_err("three classes");
        assert_eq!(err, "the task is binary but `y` has 3 classes");
        let err = problem("x,y\n1,a\n2,a\n", None).expect_err("one class");
        assert_eq!(err, "`y` has a single class, `a`: nothing to learn");
        let dataset = Dataset::from_csv("x,y\n1,1\n2,-1\n", &Columns::default()).expect("valid");
        let err = Problem::new(&dataset, None, Some(LossKind::Mse)).expect_err("mse on binary");
        assert_eq!(err, "the loss mse does not fit a binary task");
    }
}
