//! Loss functions built from engine ops, summed the way micrograd sums them.

use crate::engine::Value;

/// micrograd's max-margin loss: `mean(relu(1 - y*score))` for labels y in {-1, +1},
/// summed left to right and taken as `sum * (1/n)`, exactly as demo.ipynb does.
pub fn hinge(scores: &[Value], labels: &[f64]) -> Value {
    assert_eq!(scores.len(), labels.len(), "one label per score");
    let losses = labels
        .iter()
        .zip(scores)
        .map(|(&y, score)| (1.0 + -y * score).relu());
    losses.sum::<Value>() * (1.0 / scores.len() as f64)
}

/// L2 regularisation: `alpha * sum(p*p)`, over the parameters in the order given.
/// The sum starts from 0 as Python's `sum` does (`0 + p0*p0` is exactly `p0*p0`).
pub fn l2(parameters: &[Value], alpha: f64) -> Value {
    alpha * Value::weighted_sum(&Value::leaf(0.0), parameters, parameters)
}
