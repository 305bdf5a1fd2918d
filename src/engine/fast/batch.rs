//! `Value`s many at a time: the batch helpers `nn` and training use to make,
//! read and drop a network's values in one visit to the tape rather than
//! one per value, and to build a layer or a batch of rows fast
//! (`layers.rs`). Same nodes and bits as the plain constructors.

use crate::engine::Value;
use crate::engine::ops::{Activation, Op};
use crate::engine::tape::{self, NodeId, Tape};
use crate::engine::value::run_start;

use super::layers::LayerIds;

/// A layer of neuron nodes: each neuron's `(bias, first weight)` (its
/// weights a run as long as the layer's inputs), and their activation.
pub(crate) type LayerRefs<'a> = (Vec<(&'a Value, &'a Value)>, Activation);

/// The loss training puts on a network's outputs, summed over its rows
/// (`Value::network_loss_on_rows`).
pub(crate) enum RowsLoss<'a> {
    /// `Value::hinge_sum` of each row's first output, a label each
    Hinge(&'a [f64]),
    /// `Value::cross_entropy_sum` of each row's outputs, a class each
    CrossEntropy(&'a [usize]),
}

impl Value {
    /// micrograd's max-margin terms, summed left to right:
    /// `relu(1 + -y0*s0) + relu(1 + -y1*s1) + ...` for labels `y` and scores
    /// `s`. The same nodes, in the same order, as the operators make when
    /// that sum is folded term by term (each number a leaf, `-y*s` as
    /// `leaf(-y) * s`, `1 + t` as `leaf(1) + t`), so the same data and grads;
    /// but in one visit to the tape, and only the sum gets a handle.
    /// 0 (a leaf) for no scores.
    pub(crate) fn hinge_sum(scores: &[Value], labels: &[f64]) -> Value {
        tape::with_new_nodes(|tape| {
            let scores: Vec<NodeId> = scores.iter().map(|s| tape.node(s.slot)).collect();
            let sum = hinge_sum_at(tape, &scores, labels);
            Value::retained(tape, sum)
        })
    }

    /// Softmax cross-entropy summed left to right:
    /// `(logsumexp(s0) - s0[y0]) + (logsumexp(s1) - s1[y1]) + ...`, each
    /// row's scores a run of nodes (a layer's outputs are). The same nodes,
    /// in the same order, as the operators and `Value::logsumexp` make when
    /// the sum is folded term by term (`a - b` as `a + (-b)`), in one visit to
    /// the tape, only the sum getting a handle. `None` when a row is empty or
    /// not a run: the caller builds it the plain way.
    pub(crate) fn cross_entropy_sum<'a>(
        rows: impl Iterator<Item = &'a [Value]> + Clone,
        labels: &[usize],
    ) -> Option<Value> {
        tape::with_new_nodes(|tape| {
            let rows: Vec<(NodeId, usize)> = rows
                .map(|row| Some((run_start(tape, row)?, row.len())))
                .collect::<Option<_>>()?;
            let sum = cross_entropy_sum_at(tape, &rows, labels);
            Some(Value::retained(tape, sum))
        })
    }

    /// Drops `values` in one visit to the tape rather than one per value.
    pub(crate) fn drop_all(values: Vec<Value>) {
        tape::with(|tape| {
            for value in &values {
                tape.release(value.slot);
            }
        });
        for value in values {
            std::mem::forget(value);
        }
    }

    /// New handles to each of `values`, in one visit to the tape.
    pub(crate) fn clone_all<'a>(values: impl Iterator<Item = &'a Value>) -> Vec<Value> {
        tape::with(|tape| {
            values
                .map(|value| Value::retained(tape, tape.node(value.slot)))
                .collect()
        })
    }

    /// The grad of each of `values` into `out`, whose old contents go, in
    /// one visit to the tape.
    pub(crate) fn grads_into(values: &[Value], out: &mut Vec<f64>) {
        tape::with(|tape| {
            out.clear();
            out.extend(values.iter().map(|value| tape.grad(tape.node(value.slot))));
        })
    }

    /// The data of each of `values` into `out`, whose old contents go, in
    /// one visit to the tape.
    pub(crate) fn data_into<'a>(values: impl IntoIterator<Item = &'a Value>, out: &mut Vec<f64>) {
        tape::with(|tape| {
            out.clear();
            out.extend(
                values
                    .into_iter()
                    .map(|value| tape.data[tape.node(value.slot) as usize]),
            );
        })
    }

    /// Sets the data of each of `values` to the number beside it in `data`, in
    /// one visit to the tape.
    pub(crate) fn set_data_of(values: &[Value], data: &[f64]) {
        tape::with(|tape| {
            for (value, &data) in values.iter().zip(data) {
                let id = tape.node(value.slot);
                tape.data[id as usize] = data;
            }
        });
    }

    /// The ids of a run of consecutive nodes: its first value and its length.
    fn run_ids(tape: &Tape, (first, len): (&Value, usize)) -> std::ops::Range<usize> {
        let first = tape.node(first.slot) as usize;
        first..first + len
    }

    /// `zero_grads` for runs of consecutive nodes (`runs`' first value and
    /// length each): a slice filled per run rather than a lookup per value.
    pub(crate) fn zero_grad_runs<'a>(runs: impl Iterator<Item = (&'a Value, usize)>) {
        tape::with(|tape| {
            for run in runs {
                let ids = Value::run_ids(tape, run);
                // a node past the end of `grads` has grad 0 already
                let end = ids.end.min(tape.grads.len());
                if ids.start < end {
                    tape.grads[ids.start..end].fill(0.0);
                }
            }
        });
    }

    /// `grads_into` for runs of consecutive nodes, as `zero_grad_runs`.
    pub(crate) fn grad_runs_into<'a>(
        runs: impl Iterator<Item = (&'a Value, usize)>,
        out: &mut Vec<f64>,
    ) {
        tape::with(|tape| {
            out.clear();
            for ids in runs.map(|run| Value::run_ids(tape, run)) {
                let end = ids.end.min(tape.grads.len()).max(ids.start);
                out.extend_from_slice(&tape.grads[ids.start..end]);
                out.resize(out.len() + ids.end - end, 0.0);
            }
        });
    }

    /// `set_data_of` for runs of consecutive nodes, as `zero_grad_runs`: the
    /// runs take `data`'s numbers in order.
    pub(crate) fn set_data_runs<'a>(runs: impl Iterator<Item = (&'a Value, usize)>, data: &[f64]) {
        tape::with(|tape| {
            let mut data = data;
            for run in runs {
                let ids = Value::run_ids(tape, run);
                let (run, rest) = data.split_at(ids.len());
                tape.data[ids].copy_from_slice(run);
                data = rest;
            }
        });
    }

    /// Sets the grad of each of `values` to 0, in one visit to the tape.
    pub(crate) fn zero_grads<'a>(values: impl Iterator<Item = &'a Value>) {
        tape::with(|tape| {
            for value in values {
                // A grad set to 0 leaves `clean_from` true, and a node past
                // the end of `grads` has grad 0 already.
                let id = tape.node(value.slot) as usize;
                if let Some(grad) = tape.grads.get_mut(id) {
                    *grad = 0.0;
                }
            }
        });
    }

    /// A layer: [`Value::neuron`] for each `(bias, first weight)` on the same
    /// inputs, with one activation, where each neuron's weights are a run of
    /// nodes from its first, as long as the inputs (`fits`, as `nn::Neuron`
    /// says). Same nodes and bits as `Value::neuron` for each in turn; faster,
    /// because it visits the tape once and keeps several neurons' sums in
    /// flight. Without `input_grads` the inputs are data: backward passes
    /// them no grads. `None`, and no node made, when the inputs are not a
    /// run, a neuron does not fit, or there is none.
    pub(crate) fn neurons_on_weight_runs<'a>(
        neurons: impl Iterator<Item = (&'a Value, &'a Value, bool)>,
        inputs: &[Value],
        activation: Activation,
        input_grads: bool,
    ) -> Option<Vec<Value>> {
        Value::layers_on_run(std::iter::once((neurons, activation)), inputs, input_grads)
    }

    /// Layers on `inputs`, each layer's neurons' `(bias, first weight, fits)`
    /// and activation, as `neurons_on_weight_runs` layer after layer, but in
    /// one visit to the tape, only the last layer's nodes getting handles:
    /// the hidden layers' live as long as the outputs. The same nodes and
    /// bits. `None`, and no node made, when the inputs are not a run, or a
    /// layer is empty or has a neuron that does not fit.
    pub(crate) fn layers_on_run<'a, L, N>(
        layers: L,
        inputs: &[Value],
        input_grads: bool,
    ) -> Option<Vec<Value>>
    where
        L: Iterator<Item = (N, Activation)>,
        N: Iterator<Item = (&'a Value, &'a Value, bool)>,
    {
        tape::with_new_nodes(|tape| {
            let (mut first, mut n) = (run_start(tape, inputs)?, inputs.len());
            let (start, in_step) = (tape.len(), tape.room_for(0));
            let mut input_grads = input_grads;
            for (neurons, activation) in layers {
                let slots = neurons.map(|(bias, weight, fits)| (bias.slot, weight.slot, fits));
                let Some(params) = tape.push_params_at(slots) else {
                    tape.truncate(start);
                    return None;
                };
                let (inputs, width) = (first, tape.neurons.params.len() - params as usize);
                first = tape.len() as NodeId;
                tape.push_layer(params, inputs, n, activation, input_grads);
                (n, input_grads) = (width, true);
            }
            tape.extend_side_arrays(in_step);
            let outputs = first..first + n as NodeId;
            Some(outputs.map(|id| Value::retained(tape, id)).collect())
        })
    }

    /// `p.data -= rate * p.grad` for each of `values`, in one visit to the tape.
    pub(crate) fn descend_all<'a>(values: impl Iterator<Item = &'a Value>, rate: f64) {
        tape::with(|tape| {
            for value in values {
                let id = tape.node(value.slot);
                tape.data[id as usize] -= rate * tape.grad(id);
            }
        });
    }

    /// A network on rows of data: for each layer, its neurons' `(bias, first
    /// weight)` and their activation, each neuron's weights a run of nodes as
    /// long as the layer's inputs (as `nn::Neuron` checks when it is made), and
    /// every row as long as the first layer's weights. The same nodes, data
    /// and grads as `neurons_on_weight_runs` layer after layer on each row
    /// (the rows being data), but the rows are computed side by side (see
    /// `Tape::push_network`), and only the last layer's nodes get handles:
    /// the rows' outputs one row after another, in one vector.
    pub(crate) fn network_on_rows(layers: &[LayerRefs], rows: &[&[f64]]) -> Vec<Value> {
        tape::with_new_nodes(|tape| {
            let (starts, nout) = push_network_of(tape, layers, rows);
            let ids = starts
                .into_iter()
                .flat_map(|start| start..start + nout as NodeId);
            ids.map(|id| Value::retained(tape, id)).collect()
        })
    }

    /// `network_on_rows`, then `loss` on its outputs, in the same visit to
    /// the tape: the same nodes and bits, but no output gets a handle, only
    /// the loss's sum. The outputs' data, row after row, go to `scores`,
    /// whose old contents go.
    pub(crate) fn network_loss_on_rows(
        layers: &[LayerRefs],
        rows: &[&[f64]],
        loss: RowsLoss,
        scores: &mut Vec<f64>,
    ) -> Value {
        tape::with_new_nodes(|tape| {
            let (starts, nout) = push_network_of(tape, layers, rows);
            scores.clear();
            for &start in &starts {
                scores.extend_from_slice(&tape.data[start as usize..][..nout]);
            }
            let sum = match loss {
                RowsLoss::Hinge(labels) => hinge_sum_at(tape, &starts, labels),
                RowsLoss::CrossEntropy(labels) => {
                    let rows: Vec<(NodeId, usize)> = (starts.iter()).map(|&s| (s, nout)).collect();
                    cross_entropy_sum_at(tape, &rows, labels)
                }
            };
            Value::retained(tape, sum)
        })
    }
}

/// `Value::hinge_sum`'s nodes on the scores' nodes; returns the sum's.
fn hinge_sum_at(tape: &mut Tape, scores: &[NodeId], labels: &[f64]) -> NodeId {
    assert_eq!(scores.len(), labels.len(), "one label per score");
    let in_step = tape.room_for(6 * scores.len());
    let mut total = None;
    for (&score, &y) in scores.iter().zip(labels) {
        let minus_y = tape.push_bare(-y, Op::Leaf);
        let product = tape.push_op_bare(Op::Mul(minus_y, score));
        let one = tape.push_bare(1.0, Op::Leaf);
        let shifted = tape.push_op_bare(Op::Add(one, product));
        let term = tape.push_op_bare(Op::Relu(shifted));
        total = Some(match total {
            None => term,
            Some(sum) => tape.push_op_bare(Op::Add(sum, term)),
        });
    }
    tape.extend_side_arrays(in_step);
    total.unwrap_or_else(|| tape.push(0.0, Op::Leaf))
}

/// `Value::cross_entropy_sum`'s nodes on rows of scores, each row a run of
/// nodes by its first and its length; returns the sum's node.
fn cross_entropy_sum_at(tape: &mut Tape, rows: &[(NodeId, usize)], labels: &[usize]) -> NodeId {
    assert_eq!(rows.len(), labels.len(), "one label per row");
    let in_step = tape.room_for(4 * rows.len());
    let mut total = None;
    for (&(start, len), &label) in rows.iter().zip(labels) {
        assert!(label < len, "label {label} of a row of {len} scores");
        let lse = tape.push_op_bare(Op::LogSumExp(start, len as u32));
        let minus = tape.push_op_bare(Op::Neg(start + label as NodeId));
        let term = tape.push_op_bare(Op::Add(lse, minus));
        total = Some(match total {
            None => term,
            Some(sum) => tape.push_op_bare(Op::Add(sum, term)),
        });
    }
    tape.extend_side_arrays(in_step);
    total.unwrap_or_else(|| tape.push(0.0, Op::Leaf))
}

/// `Tape::push_network` for layers of handles: where each row's outputs
/// start, and how many outputs a row has.
fn push_network_of(tape: &mut Tape, layers: &[LayerRefs], rows: &[&[f64]]) -> (Vec<NodeId>, usize) {
    let layer_ids: Vec<LayerIds> = layers
        .iter()
        .map(|(neurons, activation)| LayerIds {
            neurons: neurons
                .iter()
                .map(|(bias, weight)| (tape.node(bias.slot), tape.node(weight.slot)))
                .collect(),
            activation: *activation,
        })
        .collect();
    let nout = layer_ids.last().map_or(0, |layer| layer.neurons.len());
    (tape.push_network(&layer_ids, rows), nout)
}
