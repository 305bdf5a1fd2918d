//! Each row's prediction as CSV, for `eval --predictions` and `predict`.

use anyhow::Context;
use micrograd::train::data::{Dataset, Targets};
use micrograd::train::{Prediction, Problem};

/// Each row's features, its true label when the data has one (eval; not
/// predict), the model's prediction and its score, as CSV.
pub fn predictions_csv(
    dataset: &Dataset,
    problem: &Problem,
    outputs: &[Vec<f64>],
) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = dataset.feature_names.clone();
    let truth: Vec<String> = match &dataset.targets {
        Targets::Numbers(values) => values.iter().map(f64::to_string).collect(),
        Targets::Classes { names, labels } => labels.iter().map(|&l| names[l].clone()).collect(),
    };
    let labelled = !truth.is_empty();
    if labelled {
        header.push(dataset.target_name.clone());
    }
    // a column of the data may have either name already: the CSV must still
    // name each column once, to be read back
    for name in ["prediction", "score"] {
        let mut unique = name.to_string();
        while header.contains(&unique) {
            unique.push('_');
        }
        header.push(unique);
    }
    writer.write_record(&header)?;
    for (index, (row, scores)) in dataset.features.iter().zip(outputs).enumerate() {
        let (prediction, score) = match problem.predict(scores) {
            Prediction::Class(class) => {
                let names = problem.classes.as_deref().unwrap_or_default();
                let score = if scores.len() == 1 {
                    scores[0]
                } else {
                    scores[class]
                };
                (names[class].clone(), score)
            }
            Prediction::Number(value) => (value.to_string(), value),
        };
        let mut record: Vec<String> = row.iter().map(f64::to_string).collect();
        if labelled {
            record.push(truth[index].clone());
        }
        record.extend([prediction, score.to_string()]);
        writer.write_record(&record)?;
    }
    writer
        .into_inner()
        .context("cannot finish the predictions CSV")
}
