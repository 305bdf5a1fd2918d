//! `micrograd eval`: scores a CSV dataset with a saved model: its loss and
//! metrics as text or JSON, and optionally each row's prediction.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use micrograd::train::metrics::Metrics;
use micrograd::train::{self, Problem};
use serde::Serialize;

use super::input::{read_dataset, read_model};
use super::output::{check_output, write_atomically};
use super::predictions::predictions_csv;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The model `micrograd train` wrote
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,

    /// The CSV to score: it needs the model's feature columns and its target column
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,

    /// Print the metrics as JSON
    #[arg(long)]
    pub json: bool,

    /// Also write each row's inputs with the model's prediction and score to FILE (CSV)
    #[arg(long, value_name = "FILE")]
    pub predictions: Option<PathBuf>,
}

#[derive(Serialize)]
struct Report<'a> {
    model: String,
    data: String,
    task: String,
    #[serde(flatten)]
    metrics: &'a Metrics,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    if let Some(path) = &args.predictions {
        check_output(path, "--predictions", &[&args.data, &args.model])?;
    }
    let saved = read_model(&args.model)?;
    let dataset = read_dataset(&args.data, &saved)?;
    let problem =
        Problem::for_model(&saved, &dataset).with_context(|| args.data.display().to_string())?;
    let rows = saved.inputs(&dataset);
    let model = saved.to_mlp();
    let metrics = train::evaluate(&model, &problem, &rows, &problem.target);

    if let Some(path) = &args.predictions {
        let csv = predictions_csv(&dataset, &problem, &train::outputs(&model, &rows))?;
        write_atomically(path, &csv)?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let report = Report {
            model: args.model.display().to_string(),
            data: args.data.display().to_string(),
            task: saved.task.to_string(),
            metrics: &metrics,
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(
            out,
            "{}",
            report_text(&args.data, &metrics, problem.classes.as_deref())
        )?;
    }
    Ok(())
}

fn report_text(data: &Path, metrics: &Metrics, classes: Option<&[String]>) -> String {
    let mut text = format!(
        "{}: {} samples\ndata loss {:.6}\n",
        data.display(),
        metrics.samples,
        metrics.loss
    );
    if let Some(accuracy) = metrics.accuracy {
        let _ = writeln!(text, "accuracy  {:.2}%", accuracy * 100.0);
    }
    for (name, value) in [
        ("MSE", metrics.mse),
        ("MAE", metrics.mae),
        ("R²", metrics.r2),
    ] {
        if let Some(value) = value {
            let _ = writeln!(text, "{name:<9} {value:.6}");
        }
    }
    let (Some(per_class), Some(confusion), Some(classes)) =
        (&metrics.classes, &metrics.confusion, classes)
    else {
        return text;
    };
    let width = classes
        .iter()
        .map(|class| class.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(text, "\n{:<width$}  precision  recall  support", "class");
    for class in per_class {
        let _ = writeln!(
            text,
            "{:<width$}  {:>9.4}  {:>6.4}  {:>7}",
            class.class, class.precision, class.recall, class.support
        );
    }
    let _ = writeln!(
        text,
        "\nconfusion matrix (rows: true class, columns: predicted)"
    );
    let cell = width.max(6);
    let _ = write!(text, "{:<width$}", "");
    for class in classes {
        let _ = write!(text, "  {class:>cell$}");
    }
    text.push('\n');
    for (class, row) in classes.iter().zip(confusion) {
        let _ = write!(text, "{class:<width$}");
        for count in row {
            let _ = write!(text, "  {count:>cell$}");
        }
        text.push('\n');
    }
    text
}
