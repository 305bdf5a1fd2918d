//! The task: what the target column asks the model to learn (binary,
//! multiclass or regression, read from the data or named by the config),
//! the loss that goes with it, and the targets in the form the loss wants.
//! Training, `eval`, `predict` and the plots all read a dataset through it.

use crate::engine::{RowsLoss, Value};
use crate::nn::MLP;
use crate::train::config::{LossKind, Task};
use crate::train::data::{Dataset, Targets};
use crate::train::loss;
use crate::train::metrics::r_squared;
use crate::train::model::{SavedModel, Standardization};

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
    /// The targets of the rows at `indices`, in that order.
    pub(crate) fn select(&self, indices: &[usize]) -> Target {
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
    ) -> anyhow::Result<Problem> {
        let column = &dataset.target_name;
        let (names, labels) = class_labels(&dataset.targets);
        let task = task.unwrap_or_else(|| infer_task(&dataset.targets).0);
        let (classes, target) = match (task, &dataset.targets) {
            (_, Targets::Numbers(_)) if names.len() < 2 => {
                anyhow::bail!(
                    "`{column}` has a single value, `{}`: nothing to learn",
                    names[0]
                );
            }
            (Task::Regression, Targets::Numbers(numbers)) => {
                (None, Target::Numbers(numbers.clone()))
            }
            (Task::Regression, Targets::Classes { .. }) => {
                anyhow::bail!(
                    "`{column}` holds class names (`{}`), but regression needs numbers",
                    names[0]
                );
            }
            (_, _) if names.len() < 2 => {
                anyhow::bail!(
                    "`{column}` has a single class, `{}`: nothing to learn",
                    names[0]
                );
            }
            (Task::Binary, _) if names.len() != 2 => {
                anyhow::bail!(
                    "the task is binary but `{column}` has {} classes",
                    names.len()
                );
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
            anyhow::bail!("the loss {loss} does not fit a {task} task");
        }
        Ok(Problem {
            task,
            loss,
            classes,
            target,
        })
    }

    /// The problem a saved model solves, with no targets: what predicting
    /// needs, the task and the class names.
    pub fn of_model(saved: &SavedModel) -> Problem {
        Problem {
            task: saved.task,
            loss: saved.loss,
            classes: saved.classes.clone(),
            target: Target::Numbers(Vec::new()),
        }
    }

    /// The problem a saved model solves, with `dataset`'s targets mapped onto
    /// the model's classes.
    pub fn for_model(saved: &SavedModel, dataset: &Dataset) -> anyhow::Result<Problem> {
        let problem = Problem::of_model(saved);
        let target = problem.target_of(dataset)?;
        Ok(Problem { target, ..problem })
    }

    /// `dataset`'s targets as this problem reads them: its labels mapped onto
    /// the problem's classes (an unknown one is an error naming its line).
    pub fn target_of(&self, dataset: &Dataset) -> anyhow::Result<Target> {
        let column = &dataset.target_name;
        let target = match (&self.classes, &dataset.targets) {
            (None, Targets::Numbers(y)) => Target::Numbers(y.clone()),
            (None, Targets::Classes { names, .. }) => {
                anyhow::bail!(
                    "`{column}` holds class names (`{}`), but the model predicts numbers",
                    names[0]
                );
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
                                anyhow::anyhow!(
                                    "line {line}: class `{name}` is not one the model knows ({})",
                                    classes.join(", ")
                                )
                            })
                    })
                    .collect::<anyhow::Result<Vec<usize>>>()?;
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

    /// The data loss of `model` on `rows`, as `loss` gives it on the
    /// model's outputs; the outputs' data, row after row, go to `scores`.
    /// A hinge or softmax cross-entropy on layers of neuron nodes is built
    /// with the outputs in one visit to the tape, the outputs getting no
    /// handles (the same nodes and bits); any other loss takes the outputs
    /// with handles, for just that.
    pub fn loss_and_scores(
        &self,
        model: &MLP,
        rows: &[&[f64]],
        target: &Target,
        n: usize,
        scores: &mut Vec<f64>,
    ) -> Value {
        let with_outputs = match (self.loss, target) {
            (LossKind::Hinge, Target::Signs(y)) => Some(RowsLoss::Hinge(y)),
            (LossKind::CrossEntropy, Target::Classes(y)) => Some(RowsLoss::CrossEntropy(y)),
            _ => None,
        };
        if let Some(sum) = with_outputs.and_then(|loss| model.loss_on_rows(rows, loss, scores)) {
            return sum * (1.0 / n as f64);
        }
        let outputs = model.forward_rows_flat(rows);
        let loss = self.loss(&outputs, model.nout(), target, n);
        Value::data_into(&outputs, scores);
        // the outputs' handles in one visit to the tape, not one each
        Value::drop_all(outputs);
        loss
    }

    /// The data loss for network outputs, each row's `width` of them one row
    /// after another: the sum of the samples' losses times `1/n`, where `n`
    /// is the batch's size (`scores` may be a shard of it).
    pub fn loss(&self, scores: &[Value], width: usize, target: &Target, n: usize) -> Value {
        // each row's first output: the scores themselves when that is all there is
        let with_first = |loss: fn(&[Value], &[f64]) -> Value, y: &[f64]| {
            if width == 1 {
                return loss(scores, y);
            }
            let first = Value::clone_all(scores.iter().step_by(width.max(1)));
            let sum = loss(&first, y);
            Value::drop_all(first);
            sum
        };
        let sum = match (self.loss, target) {
            (LossKind::Hinge, Target::Signs(y)) => with_first(loss::hinge_sum, y),
            (LossKind::Logistic, Target::Signs(y)) => with_first(loss::logistic_sum, y),
            (LossKind::CrossEntropy, Target::Classes(y)) => {
                loss::cross_entropy_rows(scores.chunks(width.max(1)), y)
            }
            (LossKind::Mse, Target::Numbers(y)) => with_first(loss::mse_sum, y),
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

/// The index of the largest score, the first of equals.
pub(crate) fn argmax(scores: &[f64]) -> usize {
    let mut best = 0;
    for (index, score) in scores.iter().enumerate() {
        if *score > scores[best] {
            best = index;
        }
    }
    best
}

/// A regression target's mean and standard deviation over the training rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct TargetScale {
    mean: f64,
    std: f64,
}

impl TargetScale {
    /// A constant target gets std 1, as a constant feature does.
    pub(crate) fn fit(y: &[f64]) -> TargetScale {
        let rows: Vec<Vec<f64>> = y.iter().map(|&v| vec![v]).collect();
        let fitted = Standardization::fit(&rows);
        TargetScale {
            mean: fitted.mean[0],
            std: fitted.std[0],
        }
    }

    /// `(y - mean) / std` for numbers; other targets as they are.
    pub(crate) fn apply(&self, target: &Target) -> Target {
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
    pub(crate) fn fold_into_output(&self, parameters: &mut [f64], nin: usize) {
        let n = parameters.len();
        for w in &mut parameters[n - 1 - nin..n - 1] {
            *w *= self.std;
        }
        parameters[n - 1] = self.mean + self.std * parameters[n - 1];
    }

    /// `fold_into_output` undone (to rounding).
    pub(crate) fn unfold_from_output(&self, parameters: &mut [f64], nin: usize) {
        let n = parameters.len();
        for w in &mut parameters[n - 1 - nin..n - 1] {
            *w /= self.std;
        }
        parameters[n - 1] = (parameters[n - 1] - self.mean) / self.std;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::data::Columns;

    fn problem(csv: &str, task: Option<Task>) -> anyhow::Result<Problem> {
        Problem::new(
            &Dataset::from_csv(csv, &Columns::default()).expect("valid CSV"),
            task,
            None,
        )
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
    fn mismatches_are_explained() {
        let err = problem("x,y\n1,a\n2,b\n", Some(Task::Regression)).expect_err("names");
        assert_eq!(
            err.to_string(),
            "`y` holds class names (`a`), but regression needs numbers"
        );
        let err = problem("x,y\n1,a\n2,b\n3,c\n", Some(Task::Binary)).expect_err("three classes");
        assert_eq!(err.to_string(), "the task is binary but `y` has 3 classes");
        let err = problem("x,y\n1,a\n2,a\n", None).expect_err("one class");
        assert_eq!(
            err.to_string(),
            "`y` has a single class, `a`: nothing to learn"
        );
        let dataset = Dataset::from_csv("x,y\n1,1\n2,-1\n", &Columns::default()).expect("valid");
        let err = Problem::new(&dataset, None, Some(LossKind::Mse)).expect_err("mse on binary");
        assert_eq!(err.to_string(), "the loss mse does not fit a binary task");
    }
}
