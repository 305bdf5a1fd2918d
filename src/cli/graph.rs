//! `micrograd graph`: the expression's graph as Graphviz DOT on stdout.

use std::io::Write;

use micrograd::dot::{self, DotOptions, RankDir};

use super::expression::ExpressionArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub expression: ExpressionArgs,

    /// Lay the graph out left to right (LR) or top to bottom (TB)
    #[arg(
        long,
        value_enum,
        default_value = "LR",
        value_name = "DIR",
        ignore_case = true
    )]
    pub rankdir: RankDirArg,

    /// Colour the nodes as `val --visualize` shows step K (1 = the first)
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    pub step: Option<u64>,

    /// Leave out the gradients: the forward graph only
    #[arg(long, conflicts_with = "step")]
    pub no_grad: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum RankDirArg {
    #[value(name = "LR")]
    Lr,
    #[value(name = "TB")]
    Tb,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let expression = args.expression.build()?;
    let n_steps = expression.trace.steps.len();
    let frame = match args.step {
        Some(step) if step as usize > n_steps => {
            anyhow::bail!("--step {step}: backward through this graph has {n_steps} steps")
        }
        Some(step) => Some(step as usize - 1),
        None => None,
    };
    let options = DotOptions {
        rankdir: match args.rankdir {
            RankDirArg::Lr => RankDir::LeftRight,
            RankDirArg::Tb => RankDir::TopBottom,
        },
        show_grad: !args.no_grad,
        frame,
    };
    let text = dot::render(&expression.trace, &expression.names, &options);
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}
