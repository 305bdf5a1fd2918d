//! `micrograd predict`: a saved model's predictions for new rows, which need
//! the model's feature columns and no target.

use std::io::Write;
use std::path::PathBuf;

use micrograd::train::data::Dataset;
use micrograd::train::{self, Problem};

use super::input::read_model;
use super::output::{check_output, write_atomically};
use super::predictions::predictions_csv;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The model file `train` wrote
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,

    /// The rows to predict: a CSV with the model's feature columns (a target column is not needed)
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,

    /// Write the predictions to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    if let Some(path) = &args.out {
        check_output(path, "--out", &[&args.data, &args.model])?;
    }
    let saved = read_model(&args.model)?;
    let text = super::input::read_text(&args.data)
        .map_err(|err| anyhow::anyhow!("{}: cannot read: {err}", args.data.display()))?;
    let dataset = Dataset::from_unlabelled_csv(&text, &saved.features).map_err(|err| {
        anyhow::anyhow!(
            "{}: {err} (the model reads {})",
            args.data.display(),
            saved.features.join(", ")
        )
    })?;
    let problem = Problem::of_model(&saved);
    let outputs = train::outputs(&saved.to_mlp(), &saved.inputs(&dataset));
    let csv = predictions_csv(&dataset, &problem, &outputs)?;
    match &args.out {
        Some(path) => write_atomically(path, &csv),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&csv)?;
            out.flush()?;
            Ok(())
        }
    }
}
