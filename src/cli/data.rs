//! `micrograd data`: prints a synthetic dataset as CSV, from a seed.

use std::io::Write;

use micrograd::train::datasets::{self, Synthetic};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which set to make
    #[arg(value_enum)]
    pub kind: Kind,

    /// How many points
    #[arg(long, short, default_value_t = 200)]
    pub n: usize,

    /// Standard deviation of the Gaussian noise added to each coordinate
    #[arg(long, default_value_t = 0.1)]
    pub noise: f64,

    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Kind {
    Moons,
    Circles,
    Xor,
    Spiral,
    Gauss,
    /// A regression: the label is (x1 + x2) / 2
    Plane,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    if !(args.noise.is_finite() && args.noise >= 0.0) {
        anyhow::bail!("--noise {}: must be a non-negative number", args.noise);
    }
    let kind = match args.kind {
        Kind::Moons => Synthetic::Moons,
        Kind::Circles => Synthetic::Circles,
        Kind::Xor => Synthetic::Xor,
        Kind::Spiral => Synthetic::Spiral,
        Kind::Gauss => Synthetic::Gauss,
        Kind::Plane => Synthetic::Plane,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    datasets::write(kind, args.n, args.noise, args.seed, &mut out)?;
    out.flush()?;
    Ok(())
}
