//! Building a network's nodes fast: a layer's neurons eight at a time, and
//! a batch of data rows side by side (`push_network`), with the marks that
//! let backward take its shortcuts. Every node holds the data `Op::eval`
//! would give it, so nothing here changes a bit.

use crate::engine::ops::{Activation, NeuronOp, NodeId, Op};
use crate::engine::tape::Tape;

use super::packed::PackedOp;

/// How many neurons `push_neurons` sums side by side.
pub(crate) const IN_FLIGHT: usize = 8;
/// How many rows `push_network` computes side by side.
pub(crate) const ROWS_IN_FLIGHT: usize = 8;
/// A layer for `push_network`: each neuron's bias and first weight (its
/// weights are a run as long as the layer's inputs), and their activation.
pub(crate) struct LayerIds {
    pub neurons: Vec<(NodeId, NodeId)>,
    pub activation: Activation,
}

impl Tape {
    /// Appends a neuron node for each of up to `IN_FLIGHT` ops on the same
    /// inputs. Each node's data is `Op::eval`'s, computed for all of them at
    /// once: one neuron's sum is a chain of additions that must run in order,
    /// but several chains side by side keep the processor busy.
    pub fn push_neurons(&mut self, ops: &[NeuronOp]) {
        let mut outputs = [0.0; IN_FLIGHT];
        if let Ok(group) = <&[NeuronOp; IN_FLIGHT]>::try_from(ops) {
            let inputs = &self.data[group[0].input_ids()];
            let n = inputs.len();
            let weights = group.map(|op| &self.data[op.weight_ids()][..n]);
            let mut sums = group.map(|op| self.data[op.bias as usize]);
            for (i, x) in inputs.iter().enumerate() {
                for (sum, weights) in sums.iter_mut().zip(&weights) {
                    *sum += weights[i] * x;
                }
            }
            for ((output, op), sum) in outputs.iter_mut().zip(group).zip(sums) {
                *output = op.activation.eval(sum);
            }
        } else {
            for (output, &op) in outputs.iter_mut().zip(ops) {
                *output = Op::Neuron(op).eval(&self.data);
            }
        }
        self.extend_neurons(ops.iter().copied(), outputs[..ops.len()].iter().copied());
    }
    /// A network on rows of data, as `push_leaves` for each row's numbers and
    /// then `push_neurons` for each layer would build it row by row, with the
    /// same data in every node; returns where each row's outputs start.
    ///
    /// Rows go in groups of `ROWS_IN_FLIGHT`: a group's inputs, then its
    /// first layer row after row, then its second, and so on. A neuron's sum
    /// is a chain of additions that must run in order, but the group's rows
    /// are independent chains, each in its own lane of the processor's vector
    /// registers. No node gets a handle: the caller holds the outputs.
    ///
    /// Backward gives every weight and every input the same grads, to the
    /// bit, as the row-by-row graph: a weight sits in one layer and gets its
    /// terms from that layer's nodes, last row first, in either layout; an
    /// activation gets its terms from its own row's next layer, last neuron first.
    pub fn push_network(&mut self, layers: &[LayerIds], rows: &[&[f64]]) -> Vec<NodeId> {
        let mut outputs = Vec::with_capacity(rows.len());
        // One group's inputs to a layer, transposed: `lanes[i][r]` is row r's input i.
        let mut lanes: Vec<[f64; ROWS_IN_FLIGHT]> = Vec::new();
        let mut sums: Vec<[f64; ROWS_IN_FLIGHT]> = Vec::new();
        for group in rows.chunks(ROWS_IN_FLIGHT) {
            let mut starts = self.push_rows(group);
            let mut n = group.first().map_or(0, |row| row.len());
            for (index, layer) in layers.iter().enumerate() {
                lanes.clear();
                lanes.resize(n, [0.0; ROWS_IN_FLIGHT]);
                for (r, &start) in starts[..group.len()].iter().enumerate() {
                    for (lane, &x) in lanes.iter_mut().zip(&self.data[start as usize..][..n]) {
                        lane[r] = x;
                    }
                }
                layer_on_group(&self.data, layer, &lanes, &mut sums);
                // the first layer's inputs are data
                starts = self.extend_block(layer, &starts[..group.len()], n, index > 0, &sums);
                if let Some(top) = self.ops.last_mut() {
                    *top = top.with_block(group.len(), layer.neurons.len());
                }
                n = layer.neurons.len();
            }
            outputs.extend_from_slice(&starts[..group.len()]);
        }
        outputs
    }
    /// Appends each row of data as leaves, one row after another, the newest
    /// of each marked with the count below it (`PackedOp::data_row`): the
    /// first layer passes its inputs no grads. Returns where each row starts.
    fn push_rows(&mut self, rows: &[&[f64]]) -> [NodeId; ROWS_IN_FLIGHT] {
        let in_step = self.room_for(rows.iter().map(|row| row.len()).sum());
        let mut starts = [0; ROWS_IN_FLIGHT];
        for (start, row) in starts.iter_mut().zip(rows) {
            *start = self.data.len() as NodeId;
            self.data.extend_from_slice(row);
        }
        self.ops.resize(self.data.len(), PackedOp::pack(Op::Leaf));
        for (&start, row) in starts.iter().zip(rows) {
            if let Some(below) = row.len().checked_sub(1) {
                self.ops[start as usize + below] = PackedOp::data_row(below);
            }
        }
        self.extend_side_arrays(in_step);
        starts
    }
    /// Appends a layer on a group of rows, row after row: for row `r`, a
    /// neuron node for each of the layer's neurons on the `n` inputs from
    /// `inputs[r]`, holding `sums[j][r]`. Returns where each row's nodes start.
    fn extend_block(
        &mut self,
        layer: &LayerIds,
        inputs: &[NodeId],
        n: usize,
        input_grads: bool,
        sums: &[[f64; ROWS_IN_FLIGHT]],
    ) -> [NodeId; ROWS_IN_FLIGHT] {
        let width = layer.neurons.len();
        let count = inputs.len() * width;
        let in_step = self.room_for(count);
        let first_neuron = self.neurons.len();
        self.neurons.reserve(count);
        self.data.reserve(count);
        let mut starts = [0; ROWS_IN_FLIGHT];
        for ((r, &inputs), start) in inputs.iter().enumerate().zip(&mut starts) {
            *start = self.data.len() as NodeId;
            let ids = *start..*start + width as NodeId;
            let ops = layer.neurons.iter().map(|&(bias, weights)| NeuronOp {
                bias,
                weights,
                inputs,
                n: n as u32,
                activation: layer.activation,
                input_grads,
            });
            self.neurons.extend(ids.zip(ops));
            self.data.extend(sums.iter().map(|sum| sum[r]));
        }
        self.ops
            .extend((first_neuron..first_neuron + count).map(PackedOp::neuron));
        self.extend_side_arrays(in_step);
        starts
    }
    /// Appends a neuron node for each op, holding the data given for it.
    fn extend_neurons(
        &mut self,
        ops: impl ExactSizeIterator<Item = NeuronOp>,
        data: impl Iterator<Item = f64>,
    ) {
        let (first, count) = (self.len(), ops.len());
        let in_step = self.room_for(count);
        // `extend`, not `push` in a loop: the lengths stay in registers.
        let first_neuron = self.neurons.len();
        let ids = (first..first + count).map(|id| id as NodeId);
        self.neurons.extend(ids.zip(ops));
        self.ops
            .extend((first_neuron..first_neuron + count).map(PackedOp::neuron));
        self.data.extend(data);
        self.extend_side_arrays(in_step);
    }
}

/// One layer's activations on one group of rows: `sums[j][r]` for neuron j
/// and row r, from `lanes[i][r]`, row r's input i. Each sum is
/// `b + w0*x0 + w1*x1 + ...` in that order, one row per lane.
///
/// Compiled twice: for the baseline x86-64 and for AVX2, picked at run time
/// (the `multiversion` crate). Wider lanes change no bits: there is no fused
/// multiply-add, and each lane still adds its terms in order.
#[multiversion::multiversion(targets("x86_64+avx+avx2"))]
fn layer_on_group(
    data: &[f64],
    layer: &LayerIds,
    lanes: &[[f64; ROWS_IN_FLIGHT]],
    sums: &mut Vec<[f64; ROWS_IN_FLIGHT]>,
) {
    sums.clear();
    // Two neurons at a time: twice the independent additions in flight. An
    // odd last neuron is computed twice and kept once.
    for pair in layer.neurons.chunks(2) {
        let ((bias0, weights0), (bias1, weights1)) = (pair[0], pair[pair.len() - 1]);
        let weights0 = &data[weights0 as usize..][..lanes.len()];
        let weights1 = &data[weights1 as usize..][..lanes.len()];
        let mut sum0 = [data[bias0 as usize]; ROWS_IN_FLIGHT];
        let mut sum1 = [data[bias1 as usize]; ROWS_IN_FLIGHT];
        for ((w0, w1), xs) in weights0.iter().zip(weights1).zip(lanes) {
            for (sum, x) in sum0.iter_mut().zip(xs) {
                *sum += w0 * x;
            }
            for (sum, x) in sum1.iter_mut().zip(xs) {
                *sum += w1 * x;
            }
        }
        for sum in [sum0, sum1].iter().take(pair.len()) {
            sums.push(sum.map(|sum| layer.activation.eval(sum)));
        }
    }
}
