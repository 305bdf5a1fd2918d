//! `micrograd graph`: Graphviz DOT on stdout, for an expression or for a
//! trained model on one input.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use micrograd::show::dot::{self, DotOptions, RankDir};
use micrograd::show::network::{self, Network};
use micrograd::show::page;
use micrograd::show::trace::Trace;
use micrograd::train::model::SavedModel;

use super::expression::ExpressionArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub expression: ExpressionArgs,

    /// Draw a trained model (from `micrograd train`) instead of an expression
    #[arg(long, value_name = "FILE", conflicts_with_all = ["expr", "set"])]
    pub model: Option<PathBuf>,

    /// With --model: the input, one number per feature [default: the features'
    /// means when the model standardises its input (it saved them), else 0]
    #[arg(
        long,
        value_name = "X1,X2,...",
        value_delimiter = ',',
        allow_hyphen_values = true,
        requires = "model"
    )]
    pub input: Vec<f64>,

    /// With --model: every scalar (each weight, product and sum), not one node per neuron
    #[arg(long, requires = "model")]
    pub scalar: bool,

    /// With --model: one neuron's scalar graph (its inputs, weights, products,
    /// sums and activation), with grads d(neuron)/d(node); L2.N3 is layer 2's
    /// third neuron
    #[arg(long, value_name = "LAYER.NEURON", requires = "model", conflicts_with = "scalar", value_parser = parse_neuron)]
    pub neuron: Option<(usize, usize)>,

    /// With --model: label each edge with its weight, drawn as thick as its
    /// size, blue when positive and red when negative
    #[arg(long, requires = "model", conflicts_with_all = ["scalar", "neuron"])]
    pub weights: bool,

    /// With --model: which output to backpropagate from (1 = the first)
    #[arg(long, value_name = "K", default_value_t = 1, requires = "model", value_parser = parse_output)]
    pub output: u64,

    /// Lay the graph out left to right (LR) or top to bottom (TB)
    #[arg(
        long,
        value_enum,
        default_value = "LR",
        value_name = "DIR",
        ignore_case = true
    )]
    pub rankdir: RankDirArg,

    /// Colour the nodes as `val --visualize` shows step K: 0 seeds the output's
    /// grad with 1, 1 processes the output, the last has every node done;
    /// `all` writes every step, one file each, to --out
    #[arg(long, value_name = "K|all", value_parser = parse_step)]
    pub step: Option<StepArg>,

    /// With --step all: the directory for the files, step-00.dot, step-01.dot, ...
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// With --model: write a self-contained HTML page that plays the network's
    /// forward and backward passes neuron by neuron (`-` for standard output)
    #[arg(long, value_name = "FILE", requires = "model", conflicts_with_all = ["scalar", "neuron", "step"])]
    pub html: Option<PathBuf>,

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

/// `--step`: one frame, or all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepArg {
    One(u64),
    All,
}

fn parse_step(text: &str) -> Result<StepArg, String> {
    if text == "all" {
        return Ok(StepArg::All);
    }
    text.parse()
        .map(StepArg::One)
        .map_err(|_| format!("`{text}` is not a step number or `all`"))
}

/// `--output K`, counted from 1 as neurons are.
fn parse_output(text: &str) -> Result<u64, String> {
    match text.parse() {
        Ok(0) => Err("outputs count from 1, as neurons do".into()),
        Ok(k) => Ok(k),
        Err(_) => Err(format!("`{text}` is not an output number")),
    }
}

/// `L2.N3` as (2, 3), both counted from 1.
fn parse_neuron(text: &str) -> Result<(usize, usize), String> {
    let parsed = text
        .strip_prefix('L')
        .and_then(|rest| rest.split_once(".N"))
        .and_then(|(layer, neuron)| Some((layer.parse().ok()?, neuron.parse().ok()?)));
    match parsed {
        Some((layer, neuron)) if layer > 0 && neuron > 0 => Ok((layer, neuron)),
        _ => Err(format!(
            "`{text}` is not a neuron: write L2.N3 for layer 2's third neuron"
        )),
    }
}

/// A model's scalar graph of more nodes than this gets a word about its size.
const BIG_SCALAR_GRAPH: usize = 500;

pub fn run(args: &Args) -> anyhow::Result<()> {
    let mut options = DotOptions {
        rankdir: match args.rankdir {
            RankDirArg::Lr => RankDir::LeftRight,
            RankDirArg::Tb => RankDir::TopBottom,
        },
        show_grad: !args.no_grad,
        frame: None,
        edge_weights: args.weights,
        title: None,
    };
    if args.step == Some(StepArg::All) && args.out.is_none() {
        anyhow::bail!("--step all writes a file per step: give the directory with --out DIR");
    }
    if args.out.is_some() && args.step != Some(StepArg::All) {
        anyhow::bail!("--out is for --step all; one graph goes to standard output");
    }
    // the graph of values to step through, or a network-level one to print
    let (trace, names) = match &args.model {
        Some(path) => match model_graph(args, path, &mut options)? {
            Some(graph) => graph,
            None => return Ok(()),
        },
        None => {
            let expression = args.expression.build()?;
            (expression.trace, expression.names)
        }
    };
    match args.step {
        Some(StepArg::All) => write_steps(args, &trace, &names, &mut options)?,
        step => {
            options.frame = frame(step, &trace)?;
            let text = dot::render(&trace, &names, &options);
            std::io::stdout().lock().write_all(text.as_bytes())?;
        }
    }
    Ok(())
}

/// The scalar graph `--model` asks to draw or step through: one neuron's, or
/// the whole model's with `--scalar`; `None` when the network was written
/// whole already (its DOT, or its page).
fn model_graph(
    args: &Args,
    model_path: &Path,
    options: &mut DotOptions,
) -> anyhow::Result<Option<(Trace, Vec<String>)>> {
    let saved = super::input::read_model(model_path)?;
    let (raw, x) = model_input(&saved, args)?;
    let model = saved.to_mlp();
    if let Some((layer, neuron)) = args.neuron {
        check_neuron(&saved, layer, neuron)?;
        let output = network::neuron_graph(&model, &saved.features, &x, layer, neuron);
        options.title = Some(neuron_title(&saved, &raw, layer, neuron));
        let trace = Trace::new(&output);
        let names = network::labels(&trace);
        return Ok(Some((trace, names)));
    }
    let output = args.output as usize;
    let Some(network) = Network::new(&model, &saved.features, &x, output, args.scalar) else {
        let outputs = model.layers.last().map_or(0, |layer| layer.neurons.len());
        let has = match outputs {
            1 => "one output, 1".to_string(),
            n => format!("{n} outputs, 1 to {n}"),
        };
        anyhow::bail!("--output {}: the model has {has}", args.output);
    };
    if let Some(path) = &args.html {
        let title = format!("backprop through {}", path_name(args.model.as_deref()));
        let page = page::network_page(&network.view(), &title);
        super::output::write_page(path, &page, "--html", &[model_path])?;
        return Ok(None);
    }
    if !args.scalar {
        if args.step.is_some() {
            anyhow::bail!("--step: frames are of a scalar graph; add --scalar or --neuron L1.N1");
        }
        let nodes = network.nodes(&model, &raw, saved.classes.as_deref());
        let text = dot::render_network(&nodes, options);
        std::io::stdout().lock().write_all(text.as_bytes())?;
        return Ok(None);
    }
    let trace = Trace::new(&network.output);
    if trace.nodes.len() > BIG_SCALAR_GRAPH {
        let _ = writeln!(
            std::io::stderr(),
            "graph: {} nodes; Graphviz takes a while on a graph this big \
             (`--neuron L1.N1` draws one neuron)",
            trace.nodes.len()
        );
    }
    let names = network::labels(&trace);
    Ok(Some((trace, names)))
}

/// `--step all`: a DOT file per frame, in `--out`.
fn write_steps(
    args: &Args,
    trace: &Trace,
    names: &[String],
    options: &mut DotOptions,
) -> anyhow::Result<()> {
    let dir = args.out.as_ref().expect("checked above");
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot make the directory", dir.display()))?;
    // one run's frames at a time, and none of an earlier run's left beside them
    let _lock = super::output::lock_directory(dir)?;
    clear_frames(dir)?;
    let last = trace.frame_count() - 1;
    let digits = last.to_string().len().max(2);
    for frame in 0..=last {
        options.frame = Some(frame);
        let path = dir.join(format!("step-{frame:0digits$}.dot"));
        super::output::write_atomically(&path, dot::render(trace, names, options).as_bytes())?;
    }
    let _ = writeln!(
        std::io::stderr(),
        "wrote {} files, step-{:0digits$}.dot to step-{last:0digits$}.dot, in {}",
        last + 1,
        0,
        dir.display()
    );
    Ok(())
}

/// Removes the frames (`step-*.dot`) an earlier `--step all` left in `dir`:
/// a longer graph's, or ones numbered with fewer digits, would otherwise be
/// animated with the new ones.
fn clear_frames(dir: &Path) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot read", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let frame = name
            .strip_prefix("step-")
            .and_then(|rest| rest.strip_suffix(".dot"))
            .is_some_and(|number| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()));
        if frame && entry.file_type().is_ok_and(|kind| kind.is_file()) {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("{}: cannot remove", entry.path().display()))?;
        }
    }
    Ok(())
}

/// `--step K` as a frame of `trace`.
fn frame(step: Option<StepArg>, trace: &Trace) -> anyhow::Result<Option<usize>> {
    let last = trace.frame_count() as u64 - 1;
    let step = match step {
        Some(StepArg::One(step)) => Some(step),
        _ => None,
    };
    match step {
        Some(step) if step > last => {
            anyhow::bail!("--step {step}: steps run from 0 (the seed) to {last} (all done)")
        }
        Some(step) => Ok(Some(step as usize)),
        None => Ok(None),
    }
}

/// A file's name for a title.
fn path_name(path: Option<&std::path::Path>) -> String {
    path.and_then(|path| path.file_name())
        .map_or("the model".into(), |name| {
            name.to_string_lossy().into_owned()
        })
}

/// `--input`, or the features' means: as given, and as the model reads it.
fn model_input(saved: &SavedModel, args: &Args) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let n_features = saved.features.len();
    let raw: Vec<f64> = if args.input.is_empty() {
        saved
            .standardization
            .as_ref()
            .map_or(vec![0.0; n_features], |s| s.mean.clone())
    } else {
        args.input.clone()
    };
    if raw.len() != n_features {
        anyhow::bail!(
            "--input: {} numbers, but the model reads {n_features} features ({})",
            raw.len(),
            saved.features.join(", ")
        );
    }
    if let Some(bad) = raw.iter().find(|x| !x.is_finite()) {
        anyhow::bail!("--input: {bad} is not a finite number");
    }
    let x = match &saved.standardization {
        Some(standardization) => standardization.apply(&raw),
        None => raw.clone(),
    };
    Ok((raw, x))
}

/// Whether the model has neuron `layer.neuron`, both counted from 1.
fn check_neuron(saved: &SavedModel, layer: usize, neuron: usize) -> anyhow::Result<()> {
    let name = network::neuron_name(layer, neuron);
    let Some(saved_layer) = saved.layers.get(layer - 1) else {
        anyhow::bail!(
            "--neuron {name}: the model has layers 1 to {}",
            saved.layers.len()
        );
    };
    if neuron > saved_layer.weights.len() {
        anyhow::bail!(
            "--neuron {name}: layer {layer} has neurons 1 to {}",
            saved_layer.weights.len()
        );
    }
    Ok(())
}

/// The title of one neuron's graph: the neuron, the input, and what its grads are.
fn neuron_title(saved: &SavedModel, raw: &[f64], layer: usize, neuron: usize) -> String {
    let name = network::neuron_name(layer, neuron);
    let input: Vec<String> = saved
        .features
        .iter()
        .zip(raw)
        .map(|(feature, value)| format!("{feature} = {value}"))
        .collect();
    format!(
        "{name} on {}; grads are d({name})/d(node)",
        input.join(", ")
    )
}
