//! A trained network on one input, as the views show it: the engine's own
//! graph of the model, labelled (`L2.N3` is layer 2's third neuron, its
//! weights `L2.N3.w1`, ...), backpropagated from one output; seen neuron by
//! neuron for the network page and DOT, or one neuron's scalars.

use std::collections::HashSet;

use crate::engine::{Activation, OpKind, Value};
use crate::nn::{MLP, Neuron};
use crate::show::dot::NetworkNode;
use crate::show::story::Story;
use crate::show::trace::Trace;

/// Neuron `neuron` of layer `layer`, both counted from 1: `L2.N3`.
pub fn neuron_name(layer: usize, neuron: usize) -> String {
    format!("L{layer}.N{neuron}")
}

/// A model on one input: every neuron's value, and grads from one output.
pub struct Network {
    /// The input's leaves, named by their features, then each layer's outputs.
    pub layers: Vec<Vec<Value>>,
    /// The output backward ran from.
    pub output: Value,
}

impl Network {
    /// `model` on `x` (as the model reads it: standardised if it was), its
    /// parameters labelled, backpropagated from output `output` (counted
    /// from 1); `None` when the model has no such output. With `scalar`,
    /// each neuron is its `*` and `+` nodes rather than one node.
    pub fn new(
        model: &MLP,
        features: &[String],
        x: &[f64],
        output: usize,
        scalar: bool,
    ) -> Option<Network> {
        label_parameters(model);
        let inputs: Vec<Value> = features
            .iter()
            .zip(x)
            .map(|(name, &value)| Value::with_label(value, name))
            .collect();
        let mut layers = vec![inputs];
        for layer in &model.layers {
            let before = layers.last().expect("the inputs are a layer");
            let outputs = if scalar {
                layer.forward_scalar(before)
            } else {
                layer.forward(before)
            };
            layers.push(outputs);
        }
        let chosen = output.checked_sub(1)?;
        let output = layers
            .last()
            .and_then(|outputs| outputs.get(chosen))?
            .clone();
        output.backward();
        Some(Network { layers, output })
    }

    /// Every node of the DOT network graph: an input labelled with its raw
    /// value (`x1 = 0.5`), a neuron with its activation and, in the last
    /// layer, its class when there are as many classes as outputs.
    pub fn nodes(
        &self,
        model: &MLP,
        raw: &[f64],
        classes: Option<&[String]>,
    ) -> Vec<Vec<NetworkNode>> {
        let last = self.layers.len() - 1;
        self.layers
            .iter()
            .enumerate()
            .map(|(layer, values)| {
                values
                    .iter()
                    .enumerate()
                    .map(|(index, value)| {
                        let label = match layer {
                            0 => format!("{} = {}", label_of(value), raw[index]),
                            _ => {
                                let neuron = &model.layers[layer - 1].neurons[index];
                                let activation = neuron.activation.name();
                                let class = match classes {
                                    Some(classes)
                                        if layer == last && classes.len() == values.len() =>
                                    {
                                        format!(" ({})", classes[index])
                                    }
                                    _ => String::new(),
                                };
                                format!("{} {activation}{class}", neuron_name(layer, index + 1))
                            }
                        };
                        NetworkNode {
                            label,
                            data: value.data(),
                            grad: value.grad(),
                            weights: weights_of(value),
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// The network neuron by neuron, as the page plays it: the engine's
    /// trace from the output, seen through the inputs and the neurons only.
    pub fn view(&self) -> NetworkView {
        let full = Trace::new(&self.output);
        let shown: HashSet<usize> = self.layers.iter().flatten().map(Value::id).collect();
        let keep: Vec<bool> = full
            .nodes
            .iter()
            .map(|node| shown.contains(&node.id()))
            .collect();
        let trace = full.only(&keep);
        let mut names = Vec::with_capacity(trace.nodes.len());
        let mut activations = Vec::with_capacity(trace.nodes.len());
        for node in &trace.nodes {
            let position = self.layers.iter().enumerate().find_map(|(layer, values)| {
                let index = values.iter().position(|value| value.id() == node.id())?;
                Some((layer, index))
            });
            let (layer, index) = position.expect("every node shown is an input or a neuron");
            names.push(match layer {
                0 => label_of(node),
                _ => neuron_name(layer, index + 1),
            });
            activations.push(match node.op_kind() {
                OpKind::Neuron { activation, .. } => Some(activation),
                _ => None,
            });
        }
        let weights = trace.nodes.iter().map(weights_of).collect();
        NetworkView {
            trace,
            names,
            activations,
            weights,
            full,
            keep,
        }
    }
}

/// A network neuron by neuron: its trace, names, activations and weights.
pub struct NetworkView {
    /// The engine's trace, seen through the inputs and the neurons.
    pub trace: Trace,
    /// An input's feature, or a neuron's `L1.N2`.
    pub names: Vec<String>,
    /// Each neuron's activation; none for an input.
    pub activations: Vec<Option<Activation>>,
    /// Each neuron's weight on each node of the layer before.
    pub weights: Vec<Vec<f64>>,
    /// The whole trace, weights and biases too, and which of its nodes
    /// `trace` keeps.
    full: Trace,
    keep: Vec<bool>,
}

/// One weight of a neuron, as the page's inspector lists it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WeightGrad {
    /// `L2.N13.w1`, `L2.N13.b`.
    pub name: String,
    pub data: f64,
    /// Its grad once backward has passed its neuron.
    pub grad: f64,
}

impl NetworkView {
    pub fn story(&self) -> Story<'_> {
        Story::new(&self.trace, &self.names)
    }

    /// The whole trace's names: the view's for the nodes it keeps, a
    /// weight's or bias's label for the rest.
    fn full_names(&self) -> Vec<String> {
        let mut shown = self.names.iter();
        self.full
            .nodes
            .iter()
            .zip(&self.keep)
            .map(|(node, &kept)| match kept {
                true => shown.next().expect("a name per kept node").clone(),
                false => node.label().unwrap_or_else(|| "?".into()),
            })
            .collect()
    }

    /// Each frame's lines, as the page shows them: a neuron's step says
    /// the chain rule for every input of it, the weights and bias too
    /// (`L2.N3.w1.grad += L1.N1.data * (1 - L2.N3.data**2) * L2.N3.grad`).
    pub fn lines(&self) -> Vec<Vec<String>> {
        let story = self.story();
        let full_names = self.full_names();
        let full_story = Story::new(&self.full, &full_names);
        let mut grads = self.full.initial_grads();
        let mut neuron_lines = Vec::with_capacity(self.trace.steps.len());
        for (step, at) in self.full.steps.iter().enumerate() {
            self.full.apply(step, &mut grads);
            if self.keep[at.node] {
                neuron_lines.push(full_story.explain(step + 1, &grads));
            }
        }
        let last = self.trace.frame_count() - 1;
        let mut lines = vec![story.explain(0, &self.trace.grads_after(0))];
        lines.extend(neuron_lines);
        lines.push(story.explain(last, &self.trace.grads_after(last)));
        lines
    }

    /// Each node's weights and bias with their grads; none for an input.
    pub fn weight_grads(&self) -> Vec<Vec<WeightGrad>> {
        let full_index: Vec<usize> = (0..self.full.nodes.len())
            .filter(|&node| self.keep[node])
            .collect();
        let grads = self.full.grads_after(self.full.frame_count() - 1);
        let full_names = self.full_names();
        full_index
            .iter()
            .map(|&node| match self.full.nodes[node].op_kind() {
                OpKind::Neuron { .. } => self.full.inputs[node]
                    .iter()
                    .filter(|&&input| !self.keep[input])
                    .map(|&input| WeightGrad {
                        name: full_names[input].clone(),
                        data: self.full.nodes[input].data(),
                        grad: grads[input],
                    })
                    .collect(),
                _ => Vec::new(),
            })
            .collect()
    }
}

/// One neuron's scalar graph on an input: the layer before's outputs as
/// leaves (named as the network graph names them), its labelled weights and
/// bias, each `*` and `+` and the activation, backpropagated from the
/// neuron. `layer` and `neuron` count from 1 and must be in the model.
pub fn neuron_graph(
    model: &MLP,
    features: &[String],
    x: &[f64],
    layer: usize,
    neuron: usize,
) -> Value {
    let name = neuron_name(layer, neuron);
    // the layer's inputs: the layers before it, on numbers
    let mut activations = x.to_vec();
    for before in &model.layers[..layer - 1] {
        let inputs: Vec<Value> = activations.iter().map(|&v| Value::leaf(v)).collect();
        activations = before.forward(&inputs).iter().map(Value::data).collect();
    }
    let inputs: Vec<Value> = activations
        .iter()
        .enumerate()
        .map(|(index, &value)| {
            let label = match layer {
                1 => features[index].clone(),
                _ => neuron_name(layer - 1, index + 1),
            };
            Value::with_label(value, label)
        })
        .collect();
    let saved = &model.layers[layer - 1].neurons[neuron - 1];
    let weights: Vec<Value> = saved
        .w()
        .iter()
        .enumerate()
        .map(|(index, w)| Value::with_label(w.data(), format!("{name}.w{}", index + 1)))
        .collect();
    let bias = Value::with_label(saved.b.data(), format!("{name}.b"));
    let output = Neuron::from_values(weights, bias, saved.activation).forward_scalar(&inputs);
    output.set_label(name);
    output.backward();
    output
}

/// Each node's label, as the scalar graphs of a model name them: a
/// weight's, a bias's or a feature's; empty for the rest.
pub fn labels(trace: &Trace) -> Vec<String> {
    trace
        .nodes
        .iter()
        .map(|node| node.label().unwrap_or_default())
        .collect()
}

/// Names every weight and bias of `model`: `L1.N2.w3`, `L1.N2.b`.
fn label_parameters(model: &MLP) {
    for (layer_index, layer) in model.layers.iter().enumerate() {
        for (neuron_index, neuron) in layer.neurons.iter().enumerate() {
            let name = neuron_name(layer_index + 1, neuron_index + 1);
            for (weight_index, w) in neuron.w().iter().enumerate() {
                w.set_label(format!("{name}.w{}", weight_index + 1));
            }
            neuron.b.set_label(format!("{name}.b"));
        }
    }
}

/// A neuron node's weights, from its inputs `w0, x0, w1, x1, ..., b`; none
/// for any other node.
fn weights_of(value: &Value) -> Vec<f64> {
    match value.op_kind() {
        OpKind::Neuron { n, .. } => {
            let inputs = value.inputs();
            (0..n).map(|i| inputs[2 * i].data()).collect()
        }
        _ => Vec::new(),
    }
}

fn label_of(value: &Value) -> String {
    value.label().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Init, Stream};

    /// The page's network is the engine's graph seen neuron by neuron: its
    /// grads are the engine's, every shown node gets a step, and each edge
    /// carries the model's weight. (The page once ran a chain rule of its own.)
    #[test]
    fn the_network_view_is_the_engines_backward() {
        let model = MLP::with_init(
            3,
            &[4, 2],
            &[Activation::Tanh, Activation::Linear],
            Init::micrograd(Stream::Portable { seed: 9 }),
        );
        let features = ["a", "b", "c"].map(String::from);
        let network =
            Network::new(&model, &features, &[0.5, -1.0, 2.0], 2, false).expect("output 2");
        let view = network.view();
        // three inputs, four hidden neurons, the chosen output
        assert_eq!(
            view.names,
            ["a", "b", "c", "L1.N1", "L1.N2", "L1.N3", "L1.N4", "L2.N2"]
        );
        assert_eq!(view.trace.steps.len(), view.trace.nodes.len());
        let last = view.trace.frame_count() - 1;
        let grads = view.trace.grads_after(last);
        // The replay adds (w * act') * grad where the engine's neuron adds
        // w * (act' * grad): the same to rounding.
        for (node, value) in view.trace.nodes.iter().enumerate() {
            let engine = value.grad();
            assert!(
                (grads[node] - engine).abs() <= 1e-15 * engine.abs().max(1.0),
                "{}: {} vs {engine}",
                view.names[node],
                grads[node]
            );
        }
        let output = &model.layers[1].neurons[1];
        let want: Vec<f64> = output.w().iter().map(Value::data).collect();
        assert_eq!(view.weights[7], want);
        assert_eq!(view.trace.inputs[7], [3, 4, 5, 6]);
        assert_eq!(view.activations[3], Some(Activation::Tanh));
        assert!(Network::new(&model, &features, &[0.0; 3], 3, false).is_none());
        let lines = view.story().explain(1, &view.trace.grads_after(1));
        assert!(
            lines[0].starts_with("L1.N1.grad += L2.N2.w1.data * L2.N2.grad = "),
            "{}",
            lines[0]
        );
    }
}
