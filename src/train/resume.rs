//! Going on from a saved model (`train --resume`): whether it fits the run
//! (its columns, task, layers and optimizer), whether its mini-batches can
//! be had, and the parameters and optimizer it starts the run from.

use crate::engine::Activation;
use crate::train::config::{Config, LossKind, Task};
use crate::train::data::Dataset;
use crate::train::model::SavedModel;
use crate::train::optim::Optimizer;
use crate::train::problem::{Problem, TargetScale};
use crate::train::shards::Shape;

/// Whether training can go on from `saved` on `dataset` for `problem`: the
/// same columns, task, loss and classes.
pub(crate) fn resumable(
    saved: &SavedModel,
    problem: &Problem,
    dataset: &Dataset,
) -> anyhow::Result<()> {
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
pub(crate) fn resume_fits(
    saved: &SavedModel,
    config: &Config,
    shape: &Shape,
) -> anyhow::Result<()> {
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
pub(crate) fn replay_fits(
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
pub(crate) fn resumed(
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
