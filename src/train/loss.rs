//! Loss functions built from engine ops, summed the way micrograd sums them.

use crate::engine::Value;

/// micrograd's max-margin loss: `mean(relu(1 - y*score))` for labels y in {-1, +1},
/// summed left to right and taken as `sum * (1/n)`, exactly as demo.ipynb does.
pub fn hinge(scores: &[Value], labels: &[f64]) -> Value {
    hinge_sum(scores, labels) * (1.0 / scores.len() as f64)
}

/// `hinge` before the mean: `sum(relu(1 + -y*score))`, as the operators
/// would build it term by term (`(1.0 + -y * score).relu()`, summed), in
/// one visit to the tape.
pub fn hinge_sum(scores: &[Value], labels: &[f64]) -> Value {
    assert_eq!(scores.len(), labels.len(), "one label per score");
    Value::hinge_sum(scores, labels)
}

/// L2 regularisation: `alpha * sum(p*p)`, over the parameters in the order given.
/// The sum starts from 0 as Python's `sum` does (`0 + p0*p0` is exactly `p0*p0`).
pub fn l2(parameters: &[Value], alpha: f64) -> Value {
    alpha * Value::weighted_sum(&Value::leaf(0.0), parameters, parameters)
}

/// L1 regularisation: `alpha * sum(|p|)`, with `|p|` built as
/// `relu(p) + relu(-p)` (whose derivative is p's sign, and 0 at 0), summed
/// from 0 in the order given.
pub fn l1(parameters: &[Value], alpha: f64) -> Value {
    let sizes = parameters.iter().map(|p| p.relu() + (-p).relu());
    alpha * sizes.fold(Value::leaf(0.0), |sum, size| sum + size)
}

/// Logistic loss for labels y in {-1, +1}: `mean(log(1 + exp(-y*score)))`,
/// written as `relu(z) + log(1 + exp(-|z|))` with `z = -y*score` so that it
/// never overflows.
pub fn logistic(scores: &[Value], labels: &[f64]) -> Value {
    logistic_sum(scores, labels) * (1.0 / scores.len() as f64)
}

/// `logistic` before the mean.
pub fn logistic_sum(scores: &[Value], labels: &[f64]) -> Value {
    assert_eq!(scores.len(), labels.len(), "one label per score");
    let losses = labels.iter().zip(scores).map(|(&y, score)| {
        let z = -y * score;
        let abs_z = z.relu() + (-&z).relu();
        z.relu() + ((-abs_z).exp() + 1.0).log()
    });
    losses.sum::<Value>()
}

/// Softmax cross-entropy: `mean(logsumexp(scores) - scores[label])`, with
/// `Value::logsumexp`, which never overflows.
pub fn cross_entropy(scores: &[Vec<Value>], labels: &[usize]) -> Value {
    cross_entropy_sum(scores, labels) * (1.0 / scores.len() as f64)
}

/// `cross_entropy` before the mean: in one visit to the tape when each
/// row's scores are a run (a layer's outputs are), else as the operators
/// build it; the same nodes either way.
pub fn cross_entropy_sum(scores: &[Vec<Value>], labels: &[usize]) -> Value {
    assert_eq!(scores.len(), labels.len(), "one label per sample");
    cross_entropy_rows(scores.iter().map(Vec::as_slice), labels)
}

/// `cross_entropy_sum` on rows of scores given as slices.
pub(crate) fn cross_entropy_rows<'a>(
    rows: impl Iterator<Item = &'a [Value]> + Clone,
    labels: &[usize],
) -> Value {
    if let Some(sum) = Value::cross_entropy_sum(rows.clone(), labels) {
        return sum;
    }
    let losses = rows
        .zip(labels)
        .map(|(sample, &label)| Value::logsumexp(sample) - &sample[label]);
    losses.sum::<Value>()
}

/// Mean squared error: `mean((prediction - target)^2)`.
pub fn mse(predictions: &[Value], targets: &[f64]) -> Value {
    mse_sum(predictions, targets) * (1.0 / predictions.len() as f64)
}

/// `mse` before the mean.
pub fn mse_sum(predictions: &[Value], targets: &[f64]) -> Value {
    assert_eq!(
        predictions.len(),
        targets.len(),
        "one target per prediction"
    );
    let losses = predictions
        .iter()
        .zip(targets)
        .map(|(prediction, &y)| (prediction - y).pow(2.0));
    losses.sum::<Value>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_have_their_textbook_values() {
        let scores = [Value::leaf(2.0), Value::leaf(-1.0)];
        let logistic = logistic(&scores, &[1.0, 1.0]);
        let want = ((1.0 + (-2.0f64).exp()).ln() + (1.0 + 1f64.exp()).ln()) / 2.0;
        assert!((logistic.data() - want).abs() < 1e-15);
        // huge margins neither overflow nor lose the gradient's sign
        let far = [Value::leaf(-800.0)];
        let loss = super::logistic(&far, &[1.0]);
        loss.backward();
        assert_eq!(loss.data(), 800.0);
        assert_eq!(far[0].grad(), -1.0);

        let sample = vec![Value::leaf(1.0), Value::leaf(2.0), Value::leaf(3.0)];
        let ce = cross_entropy(std::slice::from_ref(&sample), &[0]);
        let logsumexp = (1f64.exp() + 2f64.exp() + 3f64.exp()).ln();
        assert!((ce.data() - (logsumexp - 1.0)).abs() < 1e-12);
        ce.backward();
        let softmax0 = 1f64.exp() / (1f64.exp() + 2f64.exp() + 3f64.exp());
        assert!((sample[0].grad() - (softmax0 - 1.0)).abs() < 1e-12);

        let mse = mse(&[Value::leaf(1.0), Value::leaf(4.0)], &[0.0, 2.0]);
        assert_eq!(mse.data(), 2.5);

        // L1: the sizes' sum, and each parameter's sign as its grad (0 at 0)
        let parameters = [Value::leaf(1.5), Value::leaf(-2.0), Value::leaf(0.0)];
        let l1 = l1(&parameters, 0.5);
        l1.backward();
        assert_eq!(l1.data(), 1.75);
        let grads: Vec<f64> = parameters.iter().map(Value::grad).collect();
        assert_eq!(grads, [0.5, -0.5, 0.0]);
    }
}
