//! The training config: a JSON file in which everything but the dataset has a
//! default, and unknown fields are errors. Parsing names the field at fault.

use serde::{Deserialize, Serialize};

use crate::engine::Activation;
use crate::rng::{Init, Scheme, Stream};

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The CSV file, relative to the config file.
    pub dataset: String,
    #[serde(default)]
    pub columns: ColumnsConfig,
    /// Inferred from the target column when absent.
    #[serde(default)]
    pub task: Option<Task>,
    #[serde(default)]
    pub model: ModelConfig,
    /// The task's usual loss when absent: hinge, cross-entropy or MSE.
    #[serde(default)]
    pub loss: Option<LossKind>,
    /// L1 regularisation strength: `l1 * sum(|p|)` is added to the loss.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub l1: f64,
    /// L2 regularisation strength: `l2 * sum(p*p)` is added to the loss.
    #[serde(default = "default_l2")]
    pub l2: f64,
    #[serde(default)]
    pub optimizer: OptimizerConfig,
    #[serde(default)]
    pub schedule: ScheduleConfig,
    /// Training length in optimizer steps; give this or `epochs`, not both.
    #[serde(default)]
    pub steps: Option<usize>,
    /// Training length in passes over the training split.
    #[serde(default)]
    pub epochs: Option<usize>,
    /// Samples per step, shuffled each epoch with the seed; `DEFAULT_BATCH_SIZE`
    /// when absent. A number at least the split's size trains on all of it.
    #[serde(default)]
    pub batch_size: Option<usize>,
    #[serde(default)]
    pub seed: u64,
    /// How the first weights are spread over each layer.
    #[serde(default)]
    pub init: InitName,
    /// Where the random numbers for the first weights come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rng: Option<RngKind>,
    /// The fraction of rows held out for validation, chosen with the seed.
    #[serde(default)]
    pub validation_split: f64,
    /// A CSV with the same columns to validate on, relative to the config
    /// file; instead of `validation_split`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_data: Option<String>,
    /// Early stopping: end training when the validation loss has not
    /// improved for this many epochs, and keep the best epoch's weights.
    /// Needs validation rows; off when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patience: Option<usize>,
    /// Scale each feature to mean 0 and standard deviation 1 (statistics from
    /// the training split, saved with the model).
    #[serde(default = "yes")]
    pub standardize: bool,
    /// Scale a regression target to mean 0 and standard deviation 1 for
    /// training; the model's output layer undoes it, so predictions are in
    /// the target's units.
    #[serde(default = "yes")]
    pub standardize_target: bool,
    #[serde(default)]
    pub outputs: OutputsConfig,
    /// Threads to train on; every core when absent. The model does not depend on it.
    #[serde(default)]
    pub threads: Option<usize>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ColumnsConfig {
    /// Feature columns by name; every column but the target when absent.
    pub features: Option<Vec<String>>,
    /// The target column; the last column when absent.
    pub target: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Binary,
    Multiclass,
    Regression,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    /// micrograd's max-margin loss, `mean(relu(1 - y*score))`, for binary tasks.
    Hinge,
    /// `mean(log(1 + exp(-y*score)))`, for binary tasks.
    Logistic,
    /// Softmax cross-entropy, for multiclass tasks.
    CrossEntropy,
    /// Mean squared error, for regression.
    Mse,
}

impl LossKind {
    /// Whether this loss can train a model for `task`.
    pub fn fits(self, task: Task) -> bool {
        matches!(
            (task, self),
            (Task::Binary, LossKind::Hinge | LossKind::Logistic)
                | (Task::Multiclass, LossKind::CrossEntropy)
                | (Task::Regression, LossKind::Mse)
        )
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Hidden layer sizes; the output layer's size comes from the task.
    #[serde(default = "default_hidden")]
    pub hidden: Vec<usize>,
    /// One activation for every hidden layer, or one per hidden layer. The
    /// output layer is linear.
    #[serde(default)]
    pub activation: ActivationSpec,
}

impl Default for ModelConfig {
    fn default() -> ModelConfig {
        ModelConfig {
            hidden: default_hidden(),
            activation: ActivationSpec::default(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged, try_from = "RawActivationSpec")]
pub enum ActivationSpec {
    All(ActivationName),
    PerLayer(Vec<ActivationName>),
}

/// `ActivationSpec` as written, so that a wrong name is told as such (serde's
/// untagged enums only say that nothing matched).
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "expected an activation (relu, tanh, sigmoid or linear) or a list of them"
)]
enum RawActivationSpec {
    All(String),
    PerLayer(Vec<String>),
}

impl TryFrom<RawActivationSpec> for ActivationSpec {
    type Error = String;

    fn try_from(raw: RawActivationSpec) -> Result<ActivationSpec, String> {
        let name = |text: &str| match text {
            "relu" => Ok(ActivationName::Relu),
            "tanh" => Ok(ActivationName::Tanh),
            "sigmoid" => Ok(ActivationName::Sigmoid),
            "linear" => Ok(ActivationName::Linear),
            other => Err(format!(
                "unknown activation `{other}`: expected relu, tanh, sigmoid or linear"
            )),
        };
        match raw {
            RawActivationSpec::All(text) => name(&text).map(ActivationSpec::All),
            RawActivationSpec::PerLayer(texts) => texts
                .iter()
                .map(|text| name(text))
                .collect::<Result<_, _>>()
                .map(ActivationSpec::PerLayer),
        }
    }
}

impl Default for ActivationSpec {
    fn default() -> ActivationSpec {
        ActivationSpec::All(ActivationName::Tanh)
    }
}

/// An activation as configs and model files spell it.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ActivationName {
    Relu,
    Tanh,
    Sigmoid,
    Linear,
}

impl From<ActivationName> for Activation {
    fn from(name: ActivationName) -> Activation {
        match name {
            ActivationName::Relu => Activation::Relu,
            ActivationName::Tanh => Activation::Tanh,
            ActivationName::Sigmoid => Activation::Sigmoid,
            ActivationName::Linear => Activation::Linear,
        }
    }
}

impl From<Activation> for ActivationName {
    fn from(activation: Activation) -> ActivationName {
        match activation {
            Activation::Relu => ActivationName::Relu,
            Activation::Tanh => ActivationName::Tanh,
            Activation::Sigmoid => ActivationName::Sigmoid,
            Activation::Linear => ActivationName::Linear,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OptimizerConfig {
    #[serde(default)]
    pub kind: OptimizerKind,
    /// The learning rate; 0.1 for sgd and momentum, 0.001 for adam when absent.
    #[serde(default)]
    pub lr: Option<f64>,
    /// momentum's decay of the running gradient.
    #[serde(default = "default_momentum")]
    pub momentum: f64,
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    #[serde(default = "default_eps")]
    pub eps: f64,
}

impl Default for OptimizerConfig {
    fn default() -> OptimizerConfig {
        OptimizerConfig {
            kind: OptimizerKind::default(),
            lr: None,
            momentum: default_momentum(),
            beta1: default_beta1(),
            beta2: default_beta2(),
            eps: default_eps(),
        }
    }
}

impl OptimizerConfig {
    pub fn lr(&self) -> f64 {
        self.lr.unwrap_or(match self.kind {
            OptimizerKind::Sgd | OptimizerKind::Momentum => 0.1,
            OptimizerKind::Adam => 0.001,
        })
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    Sgd,
    Momentum,
    #[default]
    Adam,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    #[serde(default)]
    pub kind: ScheduleKind,
    /// Where `linear` and `cosine` end.
    #[serde(default)]
    pub lr_end: f64,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    #[default]
    Constant,
    /// `lr = lr0 - (lr0 - lr_end) * k / steps`, as micrograd's demo decays it.
    Linear,
    /// `lr = lr_end + (lr0 - lr_end) * (1 + cos(pi * k / steps)) / 2`.
    Cosine,
}

impl ScheduleConfig {
    /// The learning rate at step `k` of `steps`, starting from `lr0`.
    pub fn lr(&self, lr0: f64, k: usize, steps: usize) -> f64 {
        let (k, steps) = (k as f64, steps.max(1) as f64);
        match self.kind {
            ScheduleKind::Constant => lr0,
            ScheduleKind::Linear => lr0 - (lr0 - self.lr_end) * k / steps,
            ScheduleKind::Cosine => {
                self.lr_end
                    + (lr0 - self.lr_end) * (1.0 + (std::f64::consts::PI * k / steps).cos()) / 2.0
            }
        }
    }
}

/// The `init` field: a [`Scheme`] by name. Before the schemes came, `init`
/// named the random stream, with micrograd's scheme; those two names still
/// load as what they meant.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum InitName {
    /// uniform(-1, 1), bias 0, as micrograd.
    Micrograd,
    /// uniform(±1/sqrt(fan_in)) for weights and bias, as PyTorch's `nn.Linear`.
    #[default]
    Pytorch,
    /// He uniform, for ReLU layers.
    He,
    /// Glorot uniform, for tanh and sigmoid layers.
    Glorot,
    /// The old spelling of `"init": "micrograd", "rng": "portable"`.
    Portable,
    /// The old spelling of `"init": "micrograd", "rng": "python"`.
    Python,
}

/// The `rng` field: where the random numbers come from.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RngKind {
    /// rand's ChaCha8, the same on every platform.
    #[default]
    Portable,
    /// CPython's `random`, as micrograd draws its weights.
    Python,
}

/// The config's spelling of each enum, for messages: one `name()` per enum,
/// and `Display` from it (checked against serde's by `names_are_the_configs`).
macro_rules! config_names {
    ($($Enum:ident { $($Variant:ident => $name:literal),+ $(,)? })+) => {
        $(
            impl $Enum {
                /// As a config spells it.
                pub fn name(self) -> &'static str {
                    match self {
                        $($Enum::$Variant => $name,)+
                    }
                }
            }

            impl std::fmt::Display for $Enum {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str(self.name())
                }
            }
        )+
    };
}

config_names! {
    Task {
        Binary => "binary",
        Multiclass => "multiclass",
        Regression => "regression",
    }
    LossKind {
        Hinge => "hinge",
        Logistic => "logistic",
        CrossEntropy => "cross_entropy",
        Mse => "mse",
    }
    ActivationName {
        Relu => "relu",
        Tanh => "tanh",
        Sigmoid => "sigmoid",
        Linear => "linear",
    }
    OptimizerKind {
        Sgd => "sgd",
        Momentum => "momentum",
        Adam => "adam",
    }
    ScheduleKind {
        Constant => "constant",
        Linear => "linear",
        Cosine => "cosine",
    }
    InitName {
        Micrograd => "micrograd",
        Pytorch => "pytorch",
        He => "he",
        Glorot => "glorot",
        Portable => "portable",
        Python => "python",
    }
    RngKind {
        Portable => "portable",
        Python => "python",
    }
}

impl RngKind {
    pub fn stream(self, seed: u64) -> Stream {
        match self {
            RngKind::Portable => Stream::Portable { seed },
            RngKind::Python => Stream::Python { seed },
        }
    }
}

/// `init` and `rng` as a scheme and a stream kind, the old spellings
/// undone: `None` when both name a stream.
pub fn scheme_and_rng(init: InitName, rng: Option<RngKind>) -> Option<(Scheme, RngKind)> {
    let scheme = match init {
        InitName::Micrograd => Scheme::Micrograd,
        InitName::Pytorch => Scheme::Pytorch,
        InitName::He => Scheme::He,
        InitName::Glorot => Scheme::Glorot,
        InitName::Portable | InitName::Python if rng.is_some() => return None,
        InitName::Portable => return Some((Scheme::Micrograd, RngKind::Portable)),
        InitName::Python => return Some((Scheme::Micrograd, RngKind::Python)),
    };
    Some((scheme, rng.unwrap_or_default()))
}

impl From<Scheme> for InitName {
    fn from(scheme: Scheme) -> InitName {
        match scheme {
            Scheme::Micrograd => InitName::Micrograd,
            Scheme::Pytorch => InitName::Pytorch,
            Scheme::He => InitName::He,
            Scheme::Glorot => InitName::Glorot,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OutputsConfig {
    #[serde(default = "default_model_path")]
    pub model: String,
    #[serde(default = "default_loss_plot")]
    pub loss_plot: String,
    /// Drawn for 2-feature classification; `null` to skip it.
    #[serde(default = "default_boundary_plot")]
    pub boundary_plot: Option<String>,
    /// Draw the loss on a log scale.
    #[serde(default)]
    pub log_scale: bool,
    /// An animated GIF of the decision boundary forming, for 2-feature
    /// classification: a frame every `animation_every` steps; off when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary_animation: Option<String>,
    /// Steps between the animation's frames; about 50 frames when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animation_every: Option<usize>,
    /// Write the model file every this many steps (with the optimizer's
    /// state, for `train --resume`); off when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_every: Option<usize>,
}

impl Default for OutputsConfig {
    fn default() -> OutputsConfig {
        OutputsConfig {
            model: default_model_path(),
            loss_plot: default_loss_plot(),
            boundary_plot: default_boundary_plot(),
            log_scale: false,
            checkpoint_every: None,
            boundary_animation: None,
            animation_every: None,
        }
    }
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

fn default_l2() -> f64 {
    1e-3
}
fn default_hidden() -> Vec<usize> {
    vec![64]
}
fn default_momentum() -> f64 {
    0.9
}
fn default_beta1() -> f64 {
    0.9
}
fn default_beta2() -> f64 {
    0.999
}
fn default_eps() -> f64 {
    1e-8
}
fn yes() -> bool {
    true
}
fn default_model_path() -> String {
    "model.json".into()
}
fn default_loss_plot() -> String {
    "loss.png".into()
}
fn default_boundary_plot() -> Option<String> {
    Some("boundary.png".into())
}

/// Parses JSON into `T`; the error names the field at fault:
/// "at `optimizer.lr`: invalid type: string \"fast\", expected f64 at line 1 column 40".
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> anyhow::Result<T> {
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut *deserializer).map_err(|err| {
        let path = err.path().to_string();
        if path == "." {
            anyhow::anyhow!("{}", err.inner())
        } else {
            anyhow::anyhow!("at `{path}`: {}", err.inner())
        }
    })?;
    // Only whitespace may follow: `{...} xyz` and `{...}{...}` are not one document.
    deserializer
        .end()
        .map_err(|err| anyhow::anyhow!("after the JSON document: {err}"))?;
    Ok(value)
}

/// Training runs this many steps when the config gives neither `steps` nor `epochs`.
pub const DEFAULT_STEPS: usize = 2000;

/// Samples per step when the config does not say (or the whole training split, if smaller).
pub const DEFAULT_BATCH_SIZE: usize = 32;

impl Config {
    /// Where the first weights come from: `init` and `rng` with `seed`.
    pub fn weight_init(&self) -> Init {
        let (scheme, rng) =
            scheme_and_rng(self.init, self.rng).expect("`check` refuses an old `init` with `rng`");
        Init {
            scheme,
            stream: rng.stream(self.seed),
        }
    }

    /// Parses a config; the error names the field: "at `optimizer.lr`: invalid type ...".
    pub fn from_json(text: &str) -> anyhow::Result<Config> {
        let config: Config = parse_json(text)?;
        config.check()?;
        Ok(config)
    }

    /// The checks serde cannot make, each naming its field.
    pub fn check(&self) -> anyhow::Result<()> {
        self.check_length()?;
        self.check_optimizer()?;
        self.check_model()?;
        self.check_outputs()
    }

    /// Steps, epochs, batches, threads, validation and early stopping.
    fn check_length(&self) -> anyhow::Result<()> {
        if self.steps.is_some() && self.epochs.is_some() {
            anyhow::bail!("give `steps` or `epochs`, not both");
        }
        if self.steps == Some(0) || self.epochs == Some(0) {
            anyhow::bail!("`steps` and `epochs` must be at least 1");
        }
        if self.outputs.animation_every == Some(0) {
            anyhow::bail!("at `outputs.animation_every`: must be at least 1 step");
        }
        if self.outputs.checkpoint_every == Some(0) {
            anyhow::bail!("at `outputs.checkpoint_every`: must be at least 1 step");
        }
        if self.batch_size == Some(0) {
            anyhow::bail!("at `batch_size`: must be at least 1");
        }
        if self.threads == Some(0) {
            anyhow::bail!("at `threads`: must be at least 1");
        }
        if !(0.0..1.0).contains(&self.validation_split) {
            anyhow::bail!(
                "at `validation_split`: {} is not in [0, 1)",
                self.validation_split
            );
        }
        if self.patience == Some(0) {
            anyhow::bail!("at `patience`: must be at least 1 epoch");
        }
        if self.patience.is_some() && self.validation_data.is_none() && self.validation_split == 0.0
        {
            anyhow::bail!(
                "at `patience`: early stopping watches the validation loss: \
                 give `validation_split` or `validation_data` too"
            );
        }
        if self.validation_data.is_some() && self.validation_split > 0.0 {
            anyhow::bail!("give `validation_split` or `validation_data`, not both");
        }
        Ok(())
    }

    /// The optimizer's settings and the L2 strength.
    fn check_optimizer(&self) -> anyhow::Result<()> {
        let lr = self.optimizer.lr();
        if !(lr.is_finite() && lr > 0.0) {
            anyhow::bail!("at `optimizer.lr`: {lr} is not a positive number");
        }
        let optimizer = &self.optimizer;
        for (field, value) in [
            ("momentum", optimizer.momentum),
            ("beta1", optimizer.beta1),
            ("beta2", optimizer.beta2),
        ] {
            if !(0.0..1.0).contains(&value) {
                anyhow::bail!("at `optimizer.{field}`: {value} is not in [0, 1)");
            }
        }
        if !(optimizer.eps.is_finite() && optimizer.eps > 0.0) {
            anyhow::bail!(
                "at `optimizer.eps`: {} is not a positive number",
                optimizer.eps
            );
        }
        for (field, value) in [("l1", self.l1), ("l2", self.l2)] {
            if !(value.is_finite() && value >= 0.0) {
                anyhow::bail!("at `{field}`: {value} is not a non-negative number");
            }
        }
        Ok(())
    }

    /// The network, its start, and the columns it reads.
    fn check_model(&self) -> anyhow::Result<()> {
        if scheme_and_rng(self.init, self.rng).is_none() {
            let old = if self.init == InitName::Python {
                "python"
            } else {
                "portable"
            };
            anyhow::bail!(
                "at `init`: \"{old}\" is the old way to name the random stream, now `rng`; \
                 with `rng` given, `init` names the scheme: micrograd, pytorch, he or glorot"
            );
        }
        if self.model.hidden.contains(&0) {
            anyhow::bail!("at `model.hidden`: a layer needs at least one neuron");
        }
        if let Some(features) = &self.columns.features {
            for (index, feature) in features.iter().enumerate() {
                if features[..index].contains(feature) {
                    anyhow::bail!("at `columns.features[{index}]`: `{feature}` is named twice");
                }
            }
        }
        if let ActivationSpec::PerLayer(activations) = &self.model.activation
            && activations.len() != self.model.hidden.len()
        {
            anyhow::bail!(
                "at `model.activation`: {} activations for {} hidden layers",
                activations.len(),
                self.model.hidden.len()
            );
        }
        Ok(())
    }

    /// The output files: named, and each its own.
    fn check_outputs(&self) -> anyhow::Result<()> {
        let outputs = &self.outputs;
        let mut names = vec![
            ("outputs.model", &outputs.model),
            ("outputs.loss_plot", &outputs.loss_plot),
        ];
        if let Some(boundary) = &outputs.boundary_plot {
            names.push(("outputs.boundary_plot", boundary));
        }
        if let Some(animation) = &outputs.boundary_animation {
            names.push(("outputs.boundary_animation", animation));
        }
        for (index, (field, name)) in names.iter().enumerate() {
            if name.trim().is_empty() {
                anyhow::bail!("at `{field}`: the file name is empty");
            }
            if let Some((other, _)) = names[..index].iter().find(|(_, earlier)| earlier == name) {
                anyhow::bail!(
                    "at `{field}`: `{name}` is also `{other}`; each output needs a file of its own"
                );
            }
        }
        Ok(())
    }

    /// The threads to train on: the config's, else every core.
    pub fn threads(&self) -> usize {
        self.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        })
    }

    /// The activation of each hidden layer.
    pub fn hidden_activations(&self) -> Vec<Activation> {
        match &self.model.activation {
            ActivationSpec::All(name) => vec![Activation::from(*name); self.model.hidden.len()],
            ActivationSpec::PerLayer(names) => names.iter().map(|&name| name.into()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_configs() {
        fn spelled<T: Serialize>(value: T) -> String {
            serde_json::to_string(&value)
                .expect("serialises")
                .trim_matches('"')
                .to_string()
        }
        assert_eq!(Task::Binary.name(), spelled(Task::Binary));
        assert_eq!(Task::Multiclass.name(), spelled(Task::Multiclass));
        assert_eq!(Task::Regression.name(), spelled(Task::Regression));
        assert_eq!(LossKind::Hinge.name(), spelled(LossKind::Hinge));
        assert_eq!(LossKind::Logistic.name(), spelled(LossKind::Logistic));
        assert_eq!(
            LossKind::CrossEntropy.name(),
            spelled(LossKind::CrossEntropy)
        );
        assert_eq!(LossKind::Mse.name(), spelled(LossKind::Mse));
        assert_eq!(ActivationName::Relu.name(), spelled(ActivationName::Relu));
        assert_eq!(ActivationName::Tanh.name(), spelled(ActivationName::Tanh));
        assert_eq!(
            ActivationName::Sigmoid.name(),
            spelled(ActivationName::Sigmoid)
        );
        assert_eq!(
            ActivationName::Linear.name(),
            spelled(ActivationName::Linear)
        );
        assert_eq!(OptimizerKind::Sgd.name(), spelled(OptimizerKind::Sgd));
        assert_eq!(
            OptimizerKind::Momentum.name(),
            spelled(OptimizerKind::Momentum)
        );
        assert_eq!(OptimizerKind::Adam.name(), spelled(OptimizerKind::Adam));
        assert_eq!(
            ScheduleKind::Constant.name(),
            spelled(ScheduleKind::Constant)
        );
        assert_eq!(ScheduleKind::Linear.name(), spelled(ScheduleKind::Linear));
        assert_eq!(ScheduleKind::Cosine.name(), spelled(ScheduleKind::Cosine));
        assert_eq!(InitName::Micrograd.name(), spelled(InitName::Micrograd));
        assert_eq!(InitName::Pytorch.name(), spelled(InitName::Pytorch));
        assert_eq!(InitName::He.name(), spelled(InitName::He));
        assert_eq!(InitName::Glorot.name(), spelled(InitName::Glorot));
        assert_eq!(InitName::Portable.name(), spelled(InitName::Portable));
        assert_eq!(InitName::Python.name(), spelled(InitName::Python));
        assert_eq!(RngKind::Portable.name(), spelled(RngKind::Portable));
        assert_eq!(RngKind::Python.name(), spelled(RngKind::Python));
        assert_eq!(LossKind::CrossEntropy.to_string(), "cross_entropy");
    }

    #[test]
    fn defaults_fill_everything_but_the_dataset() {
        let config = Config::from_json(r#"{"dataset": "d.csv"}"#).expect("parses");
        assert_eq!(config.model.hidden, [64]);
        assert_eq!(config.l2, 1e-3);
        assert_eq!(config.optimizer.kind, OptimizerKind::Adam);
        assert_eq!(config.optimizer.lr(), 0.001);
        assert_eq!(
            (config.steps, config.epochs, config.batch_size),
            (None, None, None)
        );
        assert!(config.standardize);
        assert_eq!(config.outputs.model, "model.json");
        assert_eq!(
            config.outputs.boundary_plot.as_deref(),
            Some("boundary.png")
        );
        assert_eq!(config.hidden_activations(), [Activation::Tanh]);
        assert!(config.standardize_target);
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (r#"{}"#, "missing field `dataset`"),
            (
                r#"{"dataset": "d", "optimizer": {"lr": "fast"}}"#,
                "at `optimizer.lr`: invalid type: string \"fast\"",
            ),
            (r#"{"dataset": "d", "colour": 1}"#, "unknown field `colour`"),
            (
                r#"{"dataset": "d", "loss": "huber"}"#,
                "at `loss`: unknown variant `huber`",
            ),
            (
                r#"{"dataset": "d", "steps": 5, "epochs": 2}"#,
                "give `steps` or `epochs`, not both",
            ),
            (
                r#"{"dataset": "d", "validation_split": 1.5}"#,
                "at `validation_split`: 1.5 is not in [0, 1)",
            ),
            (
                r#"{"dataset": "d", "model": {"hidden": [4], "activation": ["relu", "tanh"]}}"#,
                "2 activations for 1",
            ),
            (
                r#"{"dataset": "d""#,
                "EOF while parsing an object at line 1 column 15",
            ),
            (
                r#"{"dataset": "d", "init": "python", "rng": "portable"}"#,
                "at `init`: \"python\" is the old way to name the random stream, now `rng`",
            ),
        ];
        for (json, message) in cases {
            let err = Config::from_json(json).expect_err(json);
            assert!(err.to_string().contains(message), "{json}: {err}");
        }
    }

    #[test]
    fn init_names_a_scheme_and_rng_a_stream() {
        let init = |json: &str| {
            Config::from_json(&format!(r#"{{"dataset": "d", "seed": 7{json}}}"#))
                .expect("parses")
                .weight_init()
        };
        let portable = Stream::Portable { seed: 7 };
        let python = Stream::Python { seed: 7 };
        let with = |scheme, stream| Init { scheme, stream };
        assert_eq!(init(""), with(Scheme::Pytorch, portable));
        assert_eq!(init(r#", "init": "he""#), with(Scheme::He, portable));
        assert_eq!(
            init(r#", "init": "glorot", "rng": "python""#),
            with(Scheme::Glorot, python)
        );
        assert_eq!(
            init(r#", "init": "micrograd", "rng": "python""#),
            Init::micrograd(python)
        );
        // the old spellings: the stream, with micrograd's scheme
        assert_eq!(init(r#", "init": "python""#), Init::micrograd(python));
        assert_eq!(init(r#", "init": "portable""#), Init::micrograd(portable));
    }

    #[test]
    fn schedules() {
        let linear = ScheduleConfig {
            kind: ScheduleKind::Linear,
            lr_end: 0.1,
        };
        assert_eq!(linear.lr(1.0, 0, 100), 1.0);
        assert!((linear.lr(1.0, 50, 100) - 0.55).abs() < 1e-15);
        let cosine = ScheduleConfig {
            kind: ScheduleKind::Cosine,
            lr_end: 0.0,
        };
        assert!((cosine.lr(1.0, 50, 100) - 0.5).abs() < 1e-15);
        assert!(cosine.lr(1.0, 100, 100).abs() < 1e-15);
    }
}
