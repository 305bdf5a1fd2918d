//! The saved model: everything `eval` needs, as JSON. Serialising returns
//! text; reading checks that the shapes fit together.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::engine::Value;
use crate::nn::{Layer, MLP};
use crate::train::config::{ActivationName, InitName, LossKind, RngKind, Task};
use crate::train::data::Dataset;
use crate::train::metrics::Metrics;
use crate::train::optim::OptimizerState;

pub const FORMAT: &str = "micrograd-rs model";
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SavedModel {
    pub format: String,
    pub version: u32,
    pub task: Task,
    pub loss: LossKind,
    /// The feature columns, in the order the model reads them.
    pub features: Vec<String>,
    pub target: String,
    /// Class names, for binary (negative class first) and multiclass tasks.
    pub classes: Option<Vec<String>>,
    /// Feature scaling learnt from the training split: `(x - mean) / std`.
    pub standardization: Option<Standardization>,
    pub layers: Vec<SavedLayer>,
    pub seed: u64,
    /// The scheme the first weights were drawn with (files before `rng`
    /// existed name the stream here, with micrograd's scheme).
    pub init: InitName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rng: Option<RngKind>,
    pub metrics: SavedMetrics,
    /// What `train --resume` needs to go on exactly where this run stopped;
    /// saved when the config asks for checkpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingState>,
}

/// Training's own view of a model: its parameters as the optimizer moves
/// them (before a regression's target scaling is folded into the last
/// layer), and the optimizer's state.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrainingState {
    pub parameters: Vec<f64>,
    pub optimizer: OptimizerState,
    /// Where the mini-batches' shuffles stand, so that going on needs no
    /// replay of them; absent in files from before it was kept, and when
    /// every batch is the whole training split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batches: Option<BatchesState>,
}

/// The mini-batch stream after some steps: the rows' order, and how far into
/// its random stream the shuffles have read (in 32-bit words).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BatchesState {
    pub word_pos: u128,
    pub order: Vec<usize>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Standardization {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Standardization {
    /// Mean and standard deviation of each feature; a constant feature gets std 1.
    pub fn fit(rows: &[Vec<f64>]) -> Standardization {
        let n_features = rows.first().map_or(0, Vec::len);
        let n = rows.len().max(1) as f64;
        let mean: Vec<f64> = (0..n_features)
            .map(|j| rows.iter().map(|row| row[j]).sum::<f64>() / n)
            .collect();
        let std = (0..n_features)
            .map(|j| {
                let variance = rows
                    .iter()
                    .map(|row| (row[j] - mean[j]).powi(2))
                    .sum::<f64>()
                    / n;
                if variance > 0.0 { variance.sqrt() } else { 1.0 }
            })
            .collect();
        Standardization { mean, std }
    }

    pub fn apply(&self, row: &[f64]) -> Vec<f64> {
        row.iter()
            .zip(&self.mean)
            .zip(&self.std)
            .map(|((x, mean), std)| (x - mean) / std)
            .collect()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SavedLayer {
    pub activation: ActivationName,
    /// One row per neuron, one weight per input.
    pub weights: Vec<Vec<f64>>,
    pub biases: Vec<f64>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SavedMetrics {
    /// Steps actually trained (fewer than asked when interrupted).
    pub steps: usize,
    pub train: Metrics,
    pub validation: Option<Metrics>,
    /// With early stopping: the epoch (counted from 1) whose weights these
    /// are, the one with the lowest validation loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_epoch: Option<usize>,
}

impl SavedModel {
    /// The layers of `model`, as numbers.
    pub fn layers_of(model: &MLP) -> Vec<SavedLayer> {
        model
            .layers
            .iter()
            .map(|layer| SavedLayer {
                activation: layer
                    .neurons
                    .first()
                    .map_or(ActivationName::Linear, |neuron| neuron.activation.into()),
                weights: layer
                    .neurons
                    .iter()
                    .map(|neuron| neuron.w().iter().map(Value::data).collect())
                    .collect(),
                biases: layer.neurons.iter().map(|neuron| neuron.b.data()).collect(),
            })
            .collect()
    }

    /// `dataset`'s rows as the model takes them: standardised as it was trained.
    pub fn inputs(&self, dataset: &Dataset) -> Vec<Vec<f64>> {
        let all: Vec<usize> = (0..dataset.len()).collect();
        model_rows(dataset, &all, self.standardization.as_ref())
    }

    /// A network holding the saved weights.
    pub fn to_mlp(&self) -> MLP {
        let layers = self
            .layers
            .iter()
            .map(|layer| {
                Layer::from_weights(&layer.weights, &layer.biases, layer.activation.into())
            })
            .collect();
        MLP { layers }
    }

    /// Pretty JSON; the same model always gives the same bytes.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("a model is plain data");
        json.push('\n');
        json
    }

    /// How many weights and biases the layers hold.
    pub fn parameter_count(&self) -> usize {
        self.layers
            .iter()
            .map(|layer| layer.weights.len() * (layer.weights.first().map_or(0, Vec::len) + 1))
            .sum()
    }

    /// The weights and biases in `MLP::parameters`' order: each neuron's
    /// weights, then its bias.
    pub fn parameters(&self) -> Vec<f64> {
        let mut parameters = Vec::with_capacity(self.parameter_count());
        for layer in &self.layers {
            for (weights, bias) in layer.weights.iter().zip(&layer.biases) {
                parameters.extend(weights);
                parameters.push(*bias);
            }
        }
        parameters
    }

    /// Parses and checks a saved model. Errors name the field at fault.
    pub fn from_json(text: &str) -> anyhow::Result<SavedModel> {
        let model: SavedModel = crate::train::config::parse_json(text)?;
        model.check()?;
        Ok(model)
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.format != FORMAT {
            anyhow::bail!("at `format`: `{}` is not a micrograd-rs model", self.format);
        }
        if self.version != VERSION {
            anyhow::bail!(
                "at `version`: version {} is not supported (this build reads {VERSION})",
                self.version
            );
        }
        if self.layers.is_empty() {
            anyhow::bail!("at `layers`: the model has no layers");
        }
        let nin = self.check_layers()?;
        let outputs = match (self.task, &self.classes) {
            (Task::Regression, None) => 1,
            (Task::Binary, Some(classes)) if classes.len() == 2 => 1,
            (Task::Multiclass, Some(classes)) if classes.len() >= 2 => classes.len(),
            _ => {
                anyhow::bail!("at `classes`: they do not fit a {} task", self.task);
            }
        };
        if nin != outputs {
            anyhow::bail!(
                "at `layers`: the last layer has {nin} outputs, the task needs {outputs}"
            );
        }
        if !self.loss.fits(self.task) {
            anyhow::bail!("at `loss`: {} does not fit a {} task", self.loss, self.task);
        }
        if let Some(standardization) = &self.standardization {
            let n = self.features.len();
            if standardization.mean.len() != n || standardization.std.len() != n {
                anyhow::bail!("at `standardization`: needs {n} means and standard deviations");
            }
            if let Some(i) = standardization.mean.iter().position(|m| !m.is_finite()) {
                anyhow::bail!("at `standardization.mean[{i}]`: not a finite number");
            }
            if let Some(i) = standardization
                .std
                .iter()
                .position(|s| !(s.is_finite() && *s > 0.0))
            {
                anyhow::bail!(
                    "at `standardization.std[{i}]`: {} is not a positive number",
                    standardization.std[i]
                );
            }
        }
        for (index, feature) in self.features.iter().enumerate() {
            if self.features[..index].contains(feature) {
                anyhow::bail!("at `features[{index}]`: `{feature}` is named twice");
            }
        }
        if let Some(training) = &self.training {
            let n = self.parameter_count();
            if training.parameters.len() != n {
                anyhow::bail!(
                    "at `training.parameters`: {} numbers, but the layers hold {n}",
                    training.parameters.len()
                );
            }
            if !training.parameters.iter().all(|p| p.is_finite()) {
                anyhow::bail!("at `training.parameters`: not all are finite numbers");
            }
            if training.optimizer.lengths().iter().any(|&len| len != n) {
                anyhow::bail!("at `training.optimizer`: needs {n} numbers per running average");
            }
            training.optimizer.check(self.metrics.steps)?;
        }
        Ok(())
    }

    /// Each layer's weights fit the layer before and are finite numbers;
    /// the last layer's width.
    fn check_layers(&self) -> anyhow::Result<usize> {
        let mut nin = self.features.len();
        for (index, layer) in self.layers.iter().enumerate() {
            if layer.weights.is_empty() || layer.weights.len() != layer.biases.len() {
                anyhow::bail!(
                    "at `layers[{index}]`: {} rows of weights but {} biases",
                    layer.weights.len(),
                    layer.biases.len()
                );
            }
            if let Some(row) = layer.weights.iter().position(|row| row.len() != nin) {
                anyhow::bail!(
                    "at `layers[{index}].weights[{row}]`: {} weights, but the layer has {nin} inputs",
                    layer.weights[row].len()
                );
            }
            let finite = layer
                .weights
                .iter()
                .flatten()
                .chain(&layer.biases)
                .all(|x| x.is_finite());
            if !finite {
                anyhow::bail!("at `layers[{index}]`: a weight is not a finite number");
            }
            nin = layer.weights.len();
        }
        Ok(nin)
    }
}

/// Rows of a model's inputs, one after another in one vector. A training
/// step reads its rows in order from one place in memory: rows each in an
/// allocation of their own lay wherever the allocator had room, and a step
/// on 50,000 rows waited on memory for them.
pub(crate) struct Rows {
    values: Vec<f64>,
    width: usize,
    len: usize,
}

impl Rows {
    /// The rows of `dataset` at `indices` as a model sees them: standardised
    /// when it standardises.
    pub fn of(
        dataset: &Dataset,
        indices: &[usize],
        standardization: Option<&Standardization>,
    ) -> Rows {
        let width = dataset.feature_names.len();
        let mut values = Vec::with_capacity(indices.len() * width);
        for &i in indices {
            values.extend_from_slice(&as_model_takes(&dataset.features[i], standardization));
        }
        assert_eq!(values.len(), indices.len() * width, "rows of one length");
        Rows {
            values,
            width,
            len: indices.len(),
        }
    }

    pub fn row(&self, index: usize) -> &[f64] {
        &self.values[index * self.width..(index + 1) * self.width]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Each row, as `evaluate` takes them.
    pub fn slices(&self) -> Vec<&[f64]> {
        (0..self.len).map(|index| self.row(index)).collect()
    }
}

/// The rows of `dataset` at `indices` as a model sees them: standardised
/// when it standardises.
pub(crate) fn model_rows(
    dataset: &Dataset,
    indices: &[usize],
    standardization: Option<&Standardization>,
) -> Vec<Vec<f64>> {
    indices
        .iter()
        .map(|&i| as_model_takes(&dataset.features[i], standardization).into_owned())
        .collect()
}

/// `row` as a model takes it: standardised when it standardises.
fn as_model_takes<'a>(row: &'a [f64], standardization: Option<&Standardization>) -> Cow<'a, [f64]> {
    match standardization {
        Some(standardization) => Cow::Owned(standardization.apply(row)),
        None => Cow::Borrowed(row),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::data::Columns;

    #[test]
    fn rows_in_one_vector_are_the_rows_a_model_takes() {
        let csv = "a,b,y\n1,10,0\n2,20,1\n4,40,0\n8,80,1\n";
        let dataset = Dataset::from_csv(csv, &Columns::default()).expect("valid CSV");
        let indices = [3, 0, 2];
        for standardization in [None, Some(Standardization::fit(&dataset.features))] {
            let rows = Rows::of(&dataset, &indices, standardization.as_ref());
            let expected = model_rows(&dataset, &indices, standardization.as_ref());
            assert_eq!(rows.len(), 3);
            assert_eq!(rows.slices(), expected);
            assert_eq!(rows.row(0), expected[0]);
        }
        assert!(Rows::of(&dataset, &[], None).is_empty());
    }
}
