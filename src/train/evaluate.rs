//! Scoring a trained model: its outputs on plain numbers, and its loss and
//! metrics on a dataset, in pieces so that memory does not grow with the data.

use crate::engine::Activation;
use crate::nn::MLP;
use crate::train::metrics::{self, Metrics};
use crate::train::model::SavedModel;
use crate::train::problem::{Prediction, Problem, Target};

/// Rows `evaluate` scores in one graph.
pub(crate) const EVAL_ROWS: usize = 4096;

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
pub fn evaluate<R: AsRef<[f64]>>(
    model: &MLP,
    problem: &Problem,
    rows: &[R],
    target: &Target,
) -> Metrics {
    let mut loss = 0.0;
    let mut score_data: Vec<Vec<f64>> = Vec::with_capacity(rows.len());
    let indices: Vec<usize> = (0..rows.len()).collect();
    for piece in indices.chunks(EVAL_ROWS) {
        let batch: Vec<&[f64]> = piece.iter().map(|&i| rows[i].as_ref()).collect();
        let mut scores = Vec::new();
        let piece_target = target.select(piece);
        loss +=
            (problem.loss_and_scores(model, &batch, &piece_target, rows.len(), &mut scores)).data();
        let width = model.nout().max(1);
        score_data.extend(scores.chunks(width).map(<[f64]>::to_vec));
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
    use crate::engine::Value;
    use crate::rng::{Init, Stream};
    use crate::train::data::{Columns, Dataset};
    use crate::train::problem::argmax;

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
        let scores: Vec<Value> = dataset
            .features
            .iter()
            .flat_map(|row| model.forward(row))
            .collect();
        let width = model.nout();
        let whole = problem
            .loss(&scores, width, &problem.target, dataset.len())
            .data();
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
}
