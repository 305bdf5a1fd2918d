//! The training loop: a config and a dataset in; a trained model, its
//! history and its metrics out. No files, no printing: progress goes to a
//! callback.
//!
//! A run is settled before its first step (`plan.rs`: the split, the
//! scaling, the targets, the network's shape, the length); then each step
//! takes a batch (`Batches`), runs its shards on the run's threads
//! (`shards.rs`), and takes one optimizer step; after each epoch the
//! validation rows may stop it (`EarlyStopping`). The model file is made
//! from the parameters by `Plan::saved_model`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::nn::MLP;
use crate::train::config::Config;
use crate::train::crew::{Crew, Tasks};
use crate::train::data::Dataset;
use crate::train::evaluate::evaluate;
use crate::train::metrics::Metrics;
use crate::train::model::{SavedModel, Standardization};
use crate::train::optim::Optimizer;
use crate::train::plan::{Batches, Plan, TrainError};
use crate::train::problem::{Problem, Target};
use crate::train::shards::{ShardResult, Spares, StepWork, help, shards};

/// One optimizer step, as the progress callback sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    pub step: usize,
    pub epoch: usize,
    pub lr: f64,
    /// The batch's loss, the L1 and L2 terms included, before the step: what the
    /// optimizer minimises.
    pub loss: f64,
    /// The L1 and L2 terms in `loss`; the data loss is the rest.
    pub penalty: f64,
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
        watch: &mut |_| {},
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
    /// Sees the run after every step (and may hold it there: the
    /// playground pauses this way).
    pub watch: &'a mut dyn FnMut(&Watch),
}

/// A run between two steps, as a watcher sees it.
pub struct Watch<'a> {
    /// The steps done so far, an earlier run's included.
    pub steps_done: usize,
    pub parameters: &'a [f64],
    plan: &'a Plan<'a>,
    optimizer: &'a Optimizer,
    batches: Option<&'a Batches>,
}

impl Watch<'_> {
    /// The model as it predicts now.
    pub fn model(&self) -> MLP {
        self.plan.model_of(self.parameters)
    }

    /// The model file a run of `steps_done` steps writes (`micrograd train`
    /// with this config and `"steps": steps_done`): the same bytes.
    pub fn saved(&self) -> SavedModel {
        let (saved, _) = self.plan.saved_model(
            self.parameters,
            self.optimizer,
            self.steps_done,
            None,
            self.batches,
        );
        saved
    }

    /// The passes over the training rows done so far (the epoch counter).
    pub fn epochs_done(&self) -> usize {
        self.steps_done / self.plan.batches_per_epoch
    }

    /// The task being trained, and its data's targets.
    pub fn problem(&self) -> &Problem {
        &self.plan.problem
    }

    /// How the run scales its features (the model file keeps it).
    pub fn standardization(&self) -> Option<&Standardization> {
        self.plan.standardization.as_ref()
    }

    /// `model`'s loss and metrics on the training rows and, when there are
    /// some, the validation rows: what the model file's metrics say.
    pub fn metrics(&self, model: &MLP) -> (Metrics, Option<Metrics>) {
        let plan = self.plan;
        let train = evaluate(model, &plan.problem, &plan.train_x.slices(), &plan.train_y);
        let validation = plan.validates().then(|| {
            evaluate(
                model,
                &plan.problem,
                &plan.validation_x.slices(),
                &plan.validation_y,
            )
        });
        (train, validation)
    }
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
                    l1: plan.config.l1,
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
                (hooks.watch)(&Watch {
                    steps_done: step + 1,
                    parameters: &self.parameters,
                    plan,
                    optimizer: &self.optimizer,
                    batches: self.batches.as_ref(),
                });
                self.checkpoint(plan, step, hooks.checkpoint);
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

    /// The model to `checkpoint` after `step`, every `checkpoint_every` steps
    /// but the last.
    fn checkpoint(&self, plan: &Plan, step: usize, checkpoint: &mut dyn FnMut(&SavedModel)) {
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
            checkpoint(&saved.0);
        }
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
            penalty,
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
            penalty,
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
            &plan.validation_x.slices(),
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

impl Plan<'_> {
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
}
