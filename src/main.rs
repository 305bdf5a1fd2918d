//! The `micrograd` command: parses arguments, runs a subcommand, prints any
//! error once and picks the exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod cli;

#[derive(Parser)]
#[command(
    name = "micrograd",
    version,
    about = "A tiny scalar autograd engine, after Karpathy's micrograd",
    after_help = "Examples:
  micrograd train                               train micrograd's demo; writes model.json, loss.png
  micrograd eval --model model.json --data data/micrograd_demo_moons.csv
  micrograd predict --model model.json --data new.csv
  micrograd val                                 backprop through the lecture's tanh neuron
  micrograd val --visualize                     step through it, one node at a time
  micrograd val --html neuron.html              the same as a page for any browser
  micrograd val --expr 'y = relu(x*w + b)' --set x=2,w=-1,b=3
  micrograd graph | dot -Tsvg > graph.svg       draw it with Graphviz"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train an MLP from a JSON config and a CSV dataset; write the model and plots
    #[command(after_help = "Examples:
  micrograd train                               micrograd's demo: the moons, 2-16-16-1, 100 steps
  micrograd train --config configs/iris.json
  micrograd train --config configs/xor.json --epochs 50 --lr 0.05 --out runs/xor
  micrograd train --data my.csv                 every setting at its default
  micrograd train --config c.json --resume model.json --steps 5000   go on from a saved model
  micrograd train --config configs/demo_animation.json   and a GIF of the regions forming")]
    Train(cli::train::Args),
    /// Score a CSV dataset with a saved model
    #[command(after_help = "Examples:
  micrograd eval --model model.json --data data/micrograd_demo_moons.csv
  micrograd eval --model model.json --data new.csv --json --predictions predicted.csv")]
    Eval(cli::eval::Args),
    /// Predict new rows with a saved model: CSV of each row's prediction and score
    #[command(after_help = "Examples:
  micrograd predict --model model.json --data new.csv
  micrograd predict --model iris-model.json --data flowers.csv --out predicted.csv")]
    Predict(cli::predict::Args),
    /// Write a saved model as ONNX or safetensors, for other runtimes and PyTorch
    #[command(after_help = "Examples:
  micrograd export --model model.json --to model.onnx
  micrograd export --model model.json --to model.safetensors
  micrograd export --model model.json --to model.onnx --f32")]
    Export(cli::export::Args),
    /// Build an expression, run backprop, print every node's value and gradient
    #[command(after_help = "Examples:
  micrograd val
  micrograd val --visualize
  micrograd val --html neuron.html
  micrograd val --expr 'n = x1*w1 + x2*w2 + b; o = tanh(n)' --set x1=2,x2=0,w1=-3,w2=1,b=6.88
  micrograd val --expr 'z = 2*x + 2 + x; q = relu(z) + z*x; h = relu(z*z); y = h + q + q*x' --set x=-4 --json")]
    Val(cli::val::Args),
    /// Print an expression's or a trained model's graph as Graphviz DOT
    #[command(after_help = "Examples:
  micrograd graph | dot -Tsvg > graph.svg
  micrograd graph --expr 'y = tanh(x*w)' --set x=1,w=0.5 --rankdir TB
  micrograd graph --step 3 | dot -Tpng > step3.png
  micrograd graph --model model.json --input 1.0,-0.5 | dot -Tsvg > net.svg
  micrograd graph --model model.json --weights | dot -Tsvg > net.svg
  micrograd graph --model model.json --neuron L2.N3 | dot -Tsvg > n.svg
  micrograd graph --model model.json --html net.html
  micrograd graph --step all --out frames")]
    Graph(cli::graph::Args),
    /// A playground in the browser: step through an expression, train a network live
    #[command(after_help = "Examples:
  micrograd play                                opens http://127.0.0.1:8421/ in a browser
  micrograd play --port 0 --no-open             any free port; prints the address
  micrograd play --data my.csv                  offer your own CSV in the page")]
    Play(cli::play::Args),
    /// Print a synthetic dataset (moons, circles, xor, spiral, gauss, plane) as CSV
    #[command(after_help = "Examples:
  micrograd data moons --n 200 --noise 0.1 --seed 1 > moons.csv
  micrograd data spiral --n 300 --noise 0.05")]
    Data(cli::data::Args),
    /// Print a shell completion script
    #[command(after_help = "Examples:
  micrograd completions bash > ~/.local/share/bash-completion/completions/micrograd
  micrograd completions zsh > \"${fpath[1]}/_micrograd\"
  micrograd completions fish > ~/.config/fish/completions/micrograd.fish")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff)
    #[command(after_help = "Examples:
  micrograd man | man -l -
  micrograd man > micrograd.1")]
    Man,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.command {
        Command::Val(args) => cli::val::run(&args),
        Command::Graph(args) => cli::graph::run(&args),
        Command::Train(args) => cli::train::run(&args),
        Command::Eval(args) => cli::eval::run(&args),
        Command::Predict(args) => cli::predict::run(&args),
        Command::Export(args) => cli::export::run(&args),
        Command::Data(args) => cli::data::run(&args),
        Command::Play(args) => cli::play::run(&args),
        Command::Completions { shell } => {
            // clap_complete panics on a failed write: make the script in
            // memory, so that a closed pipe is an ordinary error
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Args::command(), "micrograd", &mut script);
            let mut out = std::io::stdout().lock();
            out.write_all(&script)
                .and_then(|()| out.flush())
                .map_err(anyhow::Error::from)
        }
        Command::Man => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(Args::command())
                .render(&mut out)
                .and_then(|()| out.flush())
                .map_err(anyhow::Error::from)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if err.is::<cli::output::Exit>() => {
            let exit = err.downcast::<cli::output::Exit>().expect("checked above");
            if !exit.message.is_empty() {
                let _ = writeln!(std::io::stderr(), "{}", exit.message);
            }
            ExitCode::from(exit.code)
        }
        Err(err) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: {}",
                readable(&format!("{err:#}"))
            );
            ExitCode::FAILURE
        }
    }
}

/// A message a person can read, however long the input it quotes: each
/// quoted piece (between backticks) past `QUOTED` characters loses its
/// middle, and each line past `LINE` characters too.
fn readable(message: &str) -> String {
    const QUOTED: usize = 80;
    const LINE: usize = 2000;
    let pieces: Vec<String> = message
        .split('`')
        .enumerate()
        .map(|(index, piece)| match index % 2 {
            1 => micrograd::show::text::fit_middle(piece, QUOTED),
            _ => piece.to_string(),
        })
        .collect();
    pieces
        .join("`")
        .lines()
        .map(|line| micrograd::show::text::fit_middle(line, LINE))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `micrograd ... | head` closes our stdout early; that is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        let io_kind = cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            // JSON written straight to stdout fails with serde_json's error
            .or_else(|| cause.downcast_ref::<serde_json::Error>()?.io_error_kind());
        io_kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    #[test]
    fn verify_app() {
        super::Args::command().debug_assert();
    }
}
