//! Scores for a model's predictions: accuracy, per-class precision and recall,
//! and a confusion matrix for classes; MSE, MAE and R² for numbers.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    pub samples: usize,
    /// The data loss, without regularisation.
    pub loss: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<ClassMetrics>>,
    /// `confusion[true][predicted]`: how many samples of each class went where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confusion: Option<Vec<Vec<usize>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mse: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mae: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r2: Option<f64>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClassMetrics {
    pub class: String,
    /// Of the samples predicted as this class, the fraction that are; 0 when none are predicted.
    pub precision: f64,
    /// Of the samples of this class, the fraction predicted as it; 0 when there are none.
    pub recall: f64,
    pub support: usize,
}

/// Metrics for class predictions against the truth, by class index.
pub fn classification(
    loss: f64,
    truth: &[usize],
    predicted: &[usize],
    class_names: &[String],
) -> Metrics {
    let n_classes = class_names.len();
    let mut confusion = vec![vec![0usize; n_classes]; n_classes];
    for (&actual, &guess) in truth.iter().zip(predicted) {
        confusion[actual][guess] += 1;
    }
    let correct: usize = (0..n_classes).map(|class| confusion[class][class]).sum();
    let classes = class_names
        .iter()
        .enumerate()
        .map(|(class, name)| {
            let support: usize = confusion[class].iter().sum();
            let predicted_as: usize = confusion.iter().map(|row| row[class]).sum();
            let hits = confusion[class][class] as f64;
            ClassMetrics {
                class: name.clone(),
                precision: if predicted_as == 0 {
                    0.0
                } else {
                    hits / predicted_as as f64
                },
                recall: if support == 0 {
                    0.0
                } else {
                    hits / support as f64
                },
                support,
            }
        })
        .collect();
    Metrics {
        samples: truth.len(),
        loss,
        accuracy: Some(correct as f64 / truth.len().max(1) as f64),
        classes: Some(classes),
        confusion: Some(confusion),
        ..Metrics::default()
    }
}

/// Metrics for number predictions against the truth.
pub fn regression(loss: f64, truth: &[f64], predicted: &[f64]) -> Metrics {
    let n = truth.len().max(1) as f64;
    let mse = truth
        .iter()
        .zip(predicted)
        .map(|(y, p)| (p - y).powi(2))
        .sum::<f64>()
        / n;
    let mae = truth
        .iter()
        .zip(predicted)
        .map(|(y, p)| (p - y).abs())
        .sum::<f64>()
        / n;
    Metrics {
        samples: truth.len(),
        loss,
        mse: Some(mse),
        mae: Some(mae),
        r2: Some(r_squared(truth, predicted)),
        ..Metrics::default()
    }
}

/// R² = 1 - SS_res / SS_tot; 0 when the truth does not vary.
pub fn r_squared(truth: &[f64], predicted: &[f64]) -> f64 {
    let mean = truth.iter().sum::<f64>() / truth.len().max(1) as f64;
    let total: f64 = truth.iter().map(|y| (y - mean).powi(2)).sum();
    let residual: f64 = truth
        .iter()
        .zip(predicted)
        .map(|(y, p)| (y - p).powi(2))
        .sum();
    if total == 0.0 {
        0.0
    } else {
        1.0 - residual / total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_counts() {
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let metrics = classification(0.5, &[0, 0, 1, 2, 2], &[0, 1, 1, 2, 0], &names);
        assert_eq!(metrics.accuracy, Some(0.6));
        assert_eq!(
            metrics.confusion,
            Some(vec![vec![1, 1, 0], vec![0, 1, 0], vec![1, 0, 1]])
        );
        let classes = metrics.classes.expect("per class");
        assert_eq!(
            (classes[0].precision, classes[0].recall, classes[0].support),
            (0.5, 0.5, 2)
        );
        assert_eq!((classes[1].precision, classes[1].recall), (0.5, 1.0));
    }

    #[test]
    fn regression_scores() {
        let metrics = regression(0.0, &[1.0, 2.0, 3.0], &[1.0, 2.0, 5.0]);
        assert_eq!(metrics.mse, Some(4.0 / 3.0));
        assert_eq!(metrics.mae, Some(2.0 / 3.0));
        assert_eq!(metrics.r2, Some(1.0 - 4.0 / 2.0));
        assert_eq!(r_squared(&[1.0, 2.0], &[1.0, 2.0]), 1.0);
    }
}
