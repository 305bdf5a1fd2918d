//! `micrograd export`: a saved model as ONNX or safetensors, for other
//! runtimes, written all or nothing.

use std::path::PathBuf;

use micrograd::train::export::{self, Precision};

use super::input::read_model;
use super::output::{check_output, write_atomically};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The model `micrograd train` wrote
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,

    /// Where to write: the format comes from the extension (.onnx, .safetensors) unless --format says
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,

    /// The format, whatever the extension
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Float32 weights and inputs instead of float64
    #[arg(long)]
    pub f32: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Onnx,
    Safetensors,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let format = match (args.format, args.to.extension().and_then(|e| e.to_str())) {
        (Some(format), _) => format,
        (None, Some("onnx")) => Format::Onnx,
        (None, Some("safetensors")) => Format::Safetensors,
        (None, _) => anyhow::bail!(
            "--to {}: the format comes from the extension, .onnx or .safetensors; or say --format",
            args.to.display()
        ),
    };
    check_output(&args.to, "--to", &[&args.model])?;
    let saved = read_model(&args.model)?;
    let precision = if args.f32 {
        Precision::F32
    } else {
        Precision::F64
    };
    let bytes = match format {
        Format::Onnx => export::onnx(&saved, precision),
        Format::Safetensors => export::safetensors(&saved, precision),
    };
    write_atomically(&args.to, &bytes)
}
