//! The learning half: what `micrograd train`, `eval` and `predict` are made
//! of. A JSON config (`config`) and a CSV dataset (`data`, or one built in:
//! `datasets`) go in; `problem` reads the task from them; `fit` plans a run
//! and trains an MLP, each batch cut into shards that run on any number of
//! threads (`shards`, `crew`), with a loss from `loss` and an optimizer from
//! `optim`; `evaluate` scores it with `metrics`; `model` is the saved model file
//! and `plot` draws the loss curve and the decision boundary. None of it does
//! I/O: callers read and write the bytes.

pub mod config;
mod crew;
pub mod data;
pub mod datasets;
mod evaluate;
pub mod export;
pub mod features;
mod fit;
pub mod loss;
pub mod metrics;
pub mod model;
mod onnx_proto;
pub mod optim;
mod plan;
pub mod plot;
mod problem;
mod resume;
mod shards;

pub use evaluate::{evaluate, outputs};
pub use fit::{
    EpochRecord, History, Hooks, StepRecord, Trained, Watch, train, train_with_validation,
};
pub use plan::{MAX_ANIMATION_FRAMES, Plan, Size, TrainError};
pub use problem::{MAX_INTEGER_CLASSES, Prediction, Problem, Target, infer_task};
pub use shards::SHARD_ROWS;
