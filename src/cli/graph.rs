//! `micrograd graph`: Graphviz DOT on stdout, for an expression or for a
//! trained model on one input.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use micrograd::Value;
use micrograd::dot::{self, DotOptions, NetworkNode, RankDir};
use micrograd::model::SavedModel;
use micrograd::trace::Trace;

use super::expression::ExpressionArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub expression: ExpressionArgs,

    /// Draw a trained model (from `micrograd train`) instead of an expression
    #[arg(long, value_name = "FILE", conflicts_with_all = ["expr", "set"])]
    pub model: Option<PathBuf>,

    /// With --model: the input, one number per feature [default: the features' means, or 0]
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

    /// With --model: which output to backpropagate from (0 = the first)
    #[arg(long, value_name = "K", default_value_t = 0, requires = "model")]
    pub output: usize,

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
    /// grad with 1, 1 processes the output, the last has every node done
    #[arg(long, value_name = "K")]
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
    let mut options = DotOptions {
        rankdir: match args.rankdir {
            RankDirArg::Lr => RankDir::LeftRight,
            RankDirArg::Tb => RankDir::TopBottom,
        },
        show_grad: !args.no_grad,
        frame: None,
    };
    let text = match &args.model {
        Some(path) => {
            let saved = load_model(path)?;
            let (network, output) = build_network(&saved, args)?;
            if args.scalar {
                let (trace, names) = scalar_trace(&output);
                options.frame = frame(args.step, &trace)?;
                dot::render(&trace, &names, &options)
            } else {
                if args.step.is_some() {
                    anyhow::bail!("--step: frames are of the scalar graph; add --scalar");
                }
                dot::render_network(&network, &options)
            }
        }
        None => {
            let expression = args.expression.build()?;
            options.frame = frame(args.step, &expression.trace)?;
            dot::render(&expression.trace, &expression.names, &options)
        }
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// `--step K` as a 0-based frame of `trace`.
fn frame(step: Option<u64>, trace: &Trace) -> anyhow::Result<Option<usize>> {
    let last = trace.frame_count() as u64 - 1;
    match step {
        Some(step) if step > last => {
            anyhow::bail!("--step {step}: steps run from 0 (the seed) to {last} (all done)")
        }
        Some(step) => Ok(Some(step as usize)),
        None => Ok(None),
    }
}

fn load_model(path: &std::path::Path) -> anyhow::Result<SavedModel> {
    let text = super::input::read_text(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    SavedModel::from_json(&text).map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))
}

/// The model on the input, labelled, backpropagated from the chosen output:
/// neuron-level layers, and the output value for the scalar graph.
fn build_network(
    saved: &SavedModel,
    args: &Args,
) -> anyhow::Result<(Vec<Vec<NetworkNode>>, Value)> {
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
    let model = saved.to_mlp();
    for (layer_index, layer) in model.layers.iter().enumerate() {
        for (neuron_index, neuron) in layer.neurons.iter().enumerate() {
            for (weight_index, w) in neuron.w().iter().enumerate() {
                w.set_label(format!(
                    "L{}.N{}.w{weight_index}",
                    layer_index + 1,
                    neuron_index + 1
                ));
            }
            neuron
                .b
                .set_label(format!("L{}.N{}.b", layer_index + 1, neuron_index + 1));
        }
    }
    let inputs: Vec<Value> = saved
        .features
        .iter()
        .zip(&x)
        .map(|(name, &value)| Value::with_label(value, name))
        .collect();
    let mut layers_out = vec![inputs.clone()];
    let mut activations = inputs;
    for layer in &model.layers {
        activations = if args.scalar {
            layer.forward_scalar(&activations)
        } else {
            layer.forward(&activations)
        };
        layers_out.push(activations.clone());
    }
    let outputs = layers_out.last().expect("a model has layers");
    let Some(output) = outputs.get(args.output).cloned() else {
        anyhow::bail!(
            "--output {}: the model has {} outputs",
            args.output,
            outputs.len()
        );
    };
    output.backward();

    let mut network = Vec::with_capacity(layers_out.len());
    for (layer_index, values) in layers_out.iter().enumerate() {
        let nodes = values
            .iter()
            .enumerate()
            .map(|(index, value)| {
                let label = if layer_index == 0 {
                    format!("{} = {}", saved.features[index], raw[index])
                } else {
                    let activation =
                        format!("{:?}", saved.layers[layer_index - 1].activation).to_lowercase();
                    let class = match (&saved.classes, layer_index == layers_out.len() - 1) {
                        (Some(classes), true) if classes.len() == values.len() => {
                            format!(" ({})", classes[index])
                        }
                        _ => String::new(),
                    };
                    format!("L{layer_index}.N{} {activation}{class}", index + 1)
                };
                NetworkNode {
                    label,
                    data: value.data(),
                    grad: value.grad(),
                }
            })
            .collect();
        network.push(nodes);
    }
    Ok((network, output))
}

/// Every scalar the output depends on, named by its label (weights, biases,
/// features) or left blank.
fn scalar_trace(output: &Value) -> (Trace, Vec<String>) {
    let trace = Trace::new(output);
    let names = trace
        .nodes
        .iter()
        .map(|node| node.label().unwrap_or_default())
        .collect();
    (trace, names)
}
