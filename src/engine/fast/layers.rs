//! Building a network's nodes fast: a layer's neurons eight at a time
//! (`push_layer`), and a batch of data rows side by side (`push_network`),
//! each layer one block (`blocks.rs`), with the marks that let backward take
//! its shortcuts. Every node holds the data `Op::eval`
//! would give it, so nothing here changes a bit.

use crate::engine::ops::{Activation, NeuronOp, NodeId, Op};
use crate::engine::tape::Tape;

use super::blocks::{Block, MAX_BLOCK_ROWS};
use super::packed::PackedOp;

/// How many neurons `push_layer` sums side by side.
pub(crate) const IN_FLIGHT: usize = 8;
/// How many rows `push_network` computes side by side: a block of them is
/// as many rows as backward runs whole.
pub(crate) const ROWS_IN_FLIGHT: usize = MAX_BLOCK_ROWS;
/// A layer for `push_network`: each neuron's bias and first weight (its
/// weights are a run as long as the layer's inputs), and their activation.
pub(crate) struct LayerIds {
    pub neurons: Vec<(NodeId, NodeId)>,
    pub activation: Activation,
}

impl Tape {
    /// Appends a layer's neurons on the `n` inputs from `inputs`, one block:
    /// the layer's `(bias, first weight)` pairs are those from `params` in
    /// the tape's table on. Each node's data is `Op::eval`'s, computed
    /// `IN_FLIGHT` neurons at a time: one neuron's sum is a chain of
    /// additions that must run in order, but several chains side by side
    /// keep the processor busy. Only `data`, `ops` and the blocks grow: the
    /// caller extends the side arrays once after its layers
    /// (`extend_side_arrays`, with `room_for`'s answer from before the first).
    pub fn push_layer(
        &mut self,
        params: u32,
        inputs: NodeId,
        n: usize,
        activation: Activation,
        input_grads: bool,
    ) {
        let (first, width) = (self.len(), self.neurons.params.len() - params as usize);
        if width == 0 {
            return;
        }
        self.room_for(width);
        let layer = &self.neurons.params[params as usize..];
        let op = |(bias, weights)| NeuronOp {
            bias,
            weights,
            inputs,
            n: n as u32,
            activation,
            input_grads,
        };
        let mut rest = layer;
        while let Some((group, tail)) = rest.split_first_chunk::<IN_FLIGHT>() {
            let xs = &self.data[inputs as usize..][..n];
            let weights = group.map(|(_, weights)| &self.data[weights as usize..][..n]);
            let mut sums = group.map(|(bias, _)| self.data[bias as usize]);
            for (i, x) in xs.iter().enumerate() {
                for (sum, weights) in sums.iter_mut().zip(&weights) {
                    *sum += weights[i] * x;
                }
            }
            // a whole group's outputs at once: a copy of known length
            self.data
                .extend_from_slice(&sums.map(|sum| activation.eval(sum)));
            rest = tail;
        }
        for &pair in rest {
            let output = Op::Neuron(op(pair)).eval(&self.data);
            self.data.push(output);
        }
        let packed = self.neurons.push_row(Block {
            first: first as NodeId,
            count: width as u32,
            width: width as u32,
            inputs,
            input_stride: n as u32,
            n: n as u32,
            params,
            activation,
            input_grads,
            params_end: 0, // set by `Neurons`
        });
        self.ops.resize(self.data.len(), packed);
    }

    /// A network on rows of data, as `push_leaves` for each row's numbers and
    /// then `push_layer` for each layer would build it row by row, with the
    /// same data in every node; returns where each row's outputs start.
    ///
    /// Rows go in groups of `ROWS_IN_FLIGHT`: a group's inputs, then its
    /// first layer row after row (one block), then its second, and so on. A
    /// neuron's sum is a chain of additions that must run in order, but the
    /// group's rows are independent chains, each in its own lane of the
    /// processor's vector registers. No node gets a handle: the caller holds
    /// the outputs.
    ///
    /// Backward gives every weight and every input the same grads, to the
    /// bit, as the row-by-row graph: a weight sits in one layer and gets its
    /// terms from that layer's nodes, last row first, in either layout; an
    /// activation gets its terms from its own row's next layer, last neuron first.
    pub fn push_network(&mut self, layers: &[LayerIds], rows: &[&[f64]]) -> Vec<NodeId> {
        let mut outputs = Vec::with_capacity(rows.len());
        if rows.is_empty() {
            return outputs;
        }
        // each layer's (bias, first weight) pairs, once for all the groups
        let params: Vec<u32> = (layers.iter())
            .map(|layer| self.neurons.push_params(&layer.neurons))
            .collect();
        // One group's inputs to a layer, transposed: `lanes[i][r]` is row r's
        // input i. A layer's outputs (`sums`) are the next one's lanes.
        let mut lanes: Vec<[f64; ROWS_IN_FLIGHT]> = Vec::new();
        let mut sums: Vec<[f64; ROWS_IN_FLIGHT]> = Vec::new();
        for group in rows.chunks(ROWS_IN_FLIGHT) {
            let mut starts = self.push_rows(group);
            let mut n = group.first().map_or(0, |row| row.len());
            // (a short group's unused lanes hold what they held: their sums are not kept)
            lanes.resize(n, [0.0; ROWS_IN_FLIGHT]);
            for (r, row) in group.iter().enumerate() {
                for (lane, &x) in lanes.iter_mut().zip(*row) {
                    lane[r] = x;
                }
            }
            for ((index, layer), &params) in layers.iter().enumerate().zip(&params) {
                layer_on_group(&self.data, layer, &lanes, &mut sums);
                // the first layer's inputs are data
                let block = Block {
                    first: self.len() as NodeId,
                    count: (group.len() * layer.neurons.len()) as u32,
                    width: layer.neurons.len() as u32,
                    inputs: starts[0],
                    input_stride: n as u32,
                    n: n as u32,
                    params,
                    activation: layer.activation,
                    input_grads: index > 0,
                    params_end: 0, // set by `Neurons`
                };
                starts = self.extend_block(block, &sums);
                n = layer.neurons.len();
                std::mem::swap(&mut lanes, &mut sums);
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
            assert_eq!(row.len(), rows[0].len(), "rows of one length");
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

    /// Appends `block`, a layer on a group of rows, row after row: row `r`'s
    /// neuron `j` holding `sums[j][r]`. Returns where each row's nodes start.
    fn extend_block(
        &mut self,
        block: Block,
        sums: &[[f64; ROWS_IN_FLIGHT]],
    ) -> [NodeId; ROWS_IN_FLIGHT] {
        let mut starts = [0; ROWS_IN_FLIGHT];
        if block.count == 0 {
            starts.fill(block.first);
            return starts;
        }
        let in_step = self.room_for(block.count as usize);
        self.data.reserve(block.count as usize);
        for (r, start) in starts[..block.rows()].iter_mut().enumerate() {
            *start = self.data.len() as NodeId;
            self.data.extend(sums.iter().map(|sum| sum[r]));
        }
        let op = self.neurons.push_block(block);
        self.ops.resize(self.data.len(), op);
        self.extend_side_arrays(in_step);
        starts
    }
}

/// One layer's activations on one group of rows: `sums[j][r]` for neuron j
/// and row r, from `lanes[i][r]`, row r's input i. Each sum is
/// `b + w0*x0 + w1*x1 + ...` in that order, one row per lane.
///
/// Compiled for the baseline x86-64, AVX2 and AVX-512, picked at run time
/// (the `multiversion` crate). Wider lanes change no bits: there is no fused
/// multiply-add, and each lane still adds its terms in order.
#[multiversion::multiversion(targets("x86_64+avx+avx2+avx512f", "x86_64+avx+avx2"))]
fn layer_on_group(
    data: &[f64],
    layer: &LayerIds,
    lanes: &[[f64; ROWS_IN_FLIGHT]],
    sums: &mut Vec<[f64; ROWS_IN_FLIGHT]>,
) {
    sums.clear();
    // Two neurons at a time, each over sixteen rows: four (AVX2) or two
    // (AVX-512) vector registers a neuron, that many independent chains of
    // additions in flight. An odd last neuron goes on its own.
    let mut pairs = layer.neurons.chunks_exact(2);
    for pair in &mut pairs {
        neurons_on_group::<2>(data, pair, lanes, layer.activation, sums);
    }
    for one in pairs.remainder().chunks(1) {
        neurons_on_group::<1>(data, one, lanes, layer.activation, sums);
    }
}

/// `layer_on_group` for `K` neurons side by side.
#[inline(always)]
fn neurons_on_group<const K: usize>(
    data: &[f64],
    neurons: &[(NodeId, NodeId)],
    lanes: &[[f64; ROWS_IN_FLIGHT]],
    activation: Activation,
    sums: &mut Vec<[f64; ROWS_IN_FLIGHT]>,
) {
    let n = lanes.len();
    let weights: [&[f64]; K] = std::array::from_fn(|k| &data[neurons[k].1 as usize..][..n]);
    let mut acc: [[f64; ROWS_IN_FLIGHT]; K] =
        std::array::from_fn(|k| [data[neurons[k].0 as usize]; ROWS_IN_FLIGHT]);
    for (i, xs) in lanes.iter().enumerate() {
        for (sum, weights) in acc.iter_mut().zip(&weights) {
            let w = weights[i];
            for (sum, x) in sum.iter_mut().zip(xs) {
                *sum += w * x;
            }
        }
    }
    sums.extend(acc.map(|sum| sum.map(|sum| activation.eval(sum))));
}
