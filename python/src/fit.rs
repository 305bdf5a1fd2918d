//! `micrograd train`'s loop on rows from Python: the same config fields,
//! the same model file, the same bits as the command line gives for the
//! same rows.

use std::sync::atomic::AtomicBool;

use micrograd::train::model::SavedModel;
use micrograd::train::{Prediction, Problem, config::Config, data::Dataset, data::Targets};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::value::number;

/// Trains an MLP on `rows` (lists of numbers) and `targets` (numbers, or
/// class names), as `micrograd train` does with a config holding `config`'s
/// fields (a dict, e.g. `{"model": {"hidden": [16, 16]}, "steps": 100}`).
/// Returns a dict: `model`, the model file's JSON (which `micrograd eval`
/// and `predict` read); `losses`, each step's loss; `metrics`, the model
/// file's metrics.
#[pyfunction]
#[pyo3(signature = (rows, targets, config = None))]
pub fn train<'py>(
    py: Python<'py>,
    rows: &Bound<'py, PyAny>,
    targets: &Bound<'py, PyAny>,
    config: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let dataset = dataset(rows, targets)?;
    let config = match config {
        Some(fields) => {
            let json = py.import("json")?.call_method1("dumps", (fields,))?;
            let mut value: serde_json::Value = serde_json::from_str(&json.extract::<String>()?)
                .map_err(|err| PyValueError::new_err(err.to_string()))?;
            value["dataset"] = serde_json::Value::from("<rows from Python>");
            value.to_string()
        }
        None => r#"{"dataset": "<rows from Python>"}"#.to_string(),
    };
    let config =
        Config::from_json(&config).map_err(|err| PyValueError::new_err(format!("{err:#}")))?;
    // the loop runs without the interpreter's lock, its threads and all
    let (model, losses, metrics) = py
        .detach(|| {
            let stop = AtomicBool::new(false);
            let trained = micrograd::train::train(&config, &dataset, &mut |_, _| {}, &stop)
                .map_err(|err| err.to_string())?;
            let losses: Vec<f64> = trained.history.steps.iter().map(|step| step.loss).collect();
            let metrics =
                serde_json::to_string(&trained.saved.metrics).expect("metrics are plain data");
            Ok::<_, String>((trained.saved.to_json(), losses, metrics))
        })
        .map_err(PyRuntimeError::new_err)?;
    let answer = PyDict::new(py);
    answer.set_item("model", model)?;
    answer.set_item("losses", losses)?;
    answer.set_item(
        "metrics",
        py.import("json")?.call_method1("loads", (metrics,))?,
    )?;
    Ok(answer)
}

/// What a model file (`train`'s `model`, or a file `micrograd train`
/// wrote) predicts for each of `rows`, its feature values in the model's
/// order: a class name, or a number for a regression, as `micrograd
/// predict` writes them.
#[pyfunction]
pub fn predict<'py>(
    py: Python<'py>,
    model: &str,
    rows: &Bound<'py, PyAny>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let saved =
        SavedModel::from_json(model).map_err(|err| PyValueError::new_err(format!("{err:#}")))?;
    let width = saved.features.len();
    let mut inputs = Vec::new();
    for row in rows.try_iter()? {
        let mut numbers = Vec::with_capacity(width);
        for item in row?.try_iter()? {
            numbers.push(number(&item?, "a row's item")?);
        }
        if numbers.len() != width {
            return Err(PyValueError::new_err(format!(
                "row {} has {} numbers; the model takes {width} ({})",
                inputs.len(),
                numbers.len(),
                saved.features.join(", ")
            )));
        }
        inputs.push(match &saved.standardization {
            Some(scaling) => scaling.apply(&numbers),
            None => numbers,
        });
    }
    let problem = Problem::of_model(&saved);
    let classes = saved.classes.clone().unwrap_or_default();
    let outputs = micrograd::train::outputs(&saved.to_mlp(), &inputs);
    (outputs.iter())
        .map(|scores| match problem.predict(scores) {
            Prediction::Class(class) => Ok(classes[class].clone().into_pyobject(py)?.into_any()),
            Prediction::Number(value) => Ok(value.into_pyobject(py)?.into_any()),
        })
        .collect()
}

/// The rows and targets as the dataset a CSV of them would be: features
/// `x1`, `x2`, …, target `y`.
fn dataset(rows: &Bound<'_, PyAny>, targets: &Bound<'_, PyAny>) -> PyResult<Dataset> {
    let mut features: Vec<Vec<f64>> = Vec::new();
    for row in rows.try_iter()? {
        let mut numbers = Vec::new();
        for item in row?.try_iter()? {
            numbers.push(number(&item?, "a row's item")?);
        }
        if let Some(first) = features.first()
            && first.len() != numbers.len()
        {
            return Err(PyValueError::new_err(format!(
                "row {} has {} numbers, row 0 has {}",
                features.len(),
                numbers.len(),
                first.len()
            )));
        }
        features.push(numbers);
    }
    let targets: Vec<Bound<'_, PyAny>> = targets.try_iter()?.collect::<PyResult<_>>()?;
    if targets.len() != features.len() || features.is_empty() || features[0].is_empty() {
        return Err(PyValueError::new_err(format!(
            "{} rows and {} targets: one target per row, and at least one row of numbers",
            features.len(),
            targets.len()
        )));
    }
    let targets = if targets.iter().all(|t| t.is_instance_of::<PyString>()) {
        let mut names: Vec<String> = Vec::new();
        let mut labels = Vec::with_capacity(targets.len());
        for target in &targets {
            let name: String = target.extract()?;
            let index = names.iter().position(|n| *n == name).unwrap_or_else(|| {
                names.push(name);
                names.len() - 1
            });
            labels.push(index);
        }
        Targets::Classes { names, labels }
    } else {
        let numbers = (targets.iter())
            .map(|t| {
                number(t, "a target")
                    .map_err(|_| PyTypeError::new_err("targets are numbers or class names"))
            })
            .collect::<PyResult<Vec<f64>>>()?;
        Targets::Numbers(numbers)
    };
    let width = features[0].len();
    Ok(Dataset {
        feature_names: (1..=width).map(|j| format!("x{j}")).collect(),
        target_name: "y".to_string(),
        lines: (2..features.len() as u64 + 2).collect(),
        features,
        targets,
        made: None,
    })
}
