//! The tape's neurons, described a block at a time: a layer on a group of
//! rows is one [`Block`] (its size, where its rows' inputs start, and which
//! layer), not one entry per node. Every node of a block has the same packed
//! op, the block's index, so building a layer writes its nodes' data and a
//! run of equal ops, and backward reads one description for the whole block.
//! A neuron made on its own (`Value::neuron`) is a block of one.

use crate::engine::ops::{Activation, NeuronOp, NodeId};

use super::packed::PackedOp;

/// The most rows a block backward runs whole can have: `push_network`'s
/// groups of rows (`layers::ROWS_IN_FLIGHT`) are as many.
pub(crate) const MAX_BLOCK_ROWS: usize = 16;

/// `rows` rows of a layer's `width` neurons, row after row from node `first`:
/// row `r`'s neuron `j` is node `first + r * width + j`, with the bias and
/// first weight of `params[j]` (the table's entries from `Block::params`)
/// and `n` inputs from `inputs + r * input_stride`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Block {
    pub first: NodeId,
    /// How many nodes: `rows * width`.
    pub count: u32,
    pub width: u32,
    pub inputs: NodeId,
    pub input_stride: u32,
    pub n: u32,
    /// Where the layer's `(bias, first weight)` pairs start in `Neurons::params`.
    pub params: u32,
    pub activation: Activation,
    pub input_grads: bool,
    /// How long `Neurons::params` was when the block was added, which
    /// `Neurons` sets: what must stay while the block does (`push_network`
    /// adds every layer's pairs before its first block, so a block's own
    /// pairs need not be the last).
    pub params_end: u32,
}

impl Block {
    pub fn rows(&self) -> usize {
        (self.count / self.width) as usize
    }

    /// The block's newest node.
    pub fn top(&self) -> usize {
        (self.first + self.count - 1) as usize
    }

    /// Where row `r`'s inputs start.
    pub fn row_inputs(&self, r: usize) -> usize {
        self.inputs as usize + r * self.input_stride as usize
    }
}

/// Every neuron node's operands: the blocks, oldest first, and the layers'
/// `(bias, first weight)` pairs they point into.
#[derive(Default)]
pub(crate) struct Neurons {
    pub blocks: Vec<Block>,
    pub params: Vec<(NodeId, NodeId)>,
}

impl Neurons {
    pub const fn new() -> Neurons {
        Neurons {
            blocks: Vec::new(),
            params: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Adds a layer's `(bias, first weight)` pairs; returns where they start,
    /// for `push_block`.
    pub fn push_params(&mut self, params: &[(NodeId, NodeId)]) -> u32 {
        let start = self.params.len() as u32;
        self.params.extend_from_slice(params);
        start
    }

    /// Adds a block of at least one row, whose layer's pairs are in `params`
    /// already, and returns the packed op of each of its nodes: one that lets
    /// backward run the block whole when its weights, biases and inputs are all
    /// different nodes, a neuron's otherwise.
    pub fn push_block(&mut self, block: Block) -> PackedOp {
        let layer = &self.params[block.params as usize..][..block.width as usize];
        let last_input = block.row_inputs(block.rows() - 1) + block.n as usize;
        let whole = block.rows() <= MAX_BLOCK_ROWS
            && apart(layer, block.n, block.inputs as usize..last_input);
        let index = self.add(block);
        if whole {
            PackedOp::whole_block(index)
        } else {
            PackedOp::neuron(index)
        }
    }

    /// Adds a block that backward runs node by node, and returns its nodes'
    /// packed op: one row of a layer, where a block's shortcut saves nothing.
    pub fn push_row(&mut self, block: Block) -> PackedOp {
        PackedOp::neuron(self.add(block))
    }

    /// A neuron of its own, node `id`: a block of one.
    pub fn push_one(&mut self, id: NodeId, neuron: NeuronOp) -> PackedOp {
        let params = self.push_params(&[(neuron.bias, neuron.weights)]);
        let index = self.add(Block {
            first: id,
            count: 1,
            width: 1,
            inputs: neuron.inputs,
            input_stride: 0,
            n: neuron.n,
            params,
            activation: neuron.activation,
            input_grads: neuron.input_grads,
            params_end: 0,
        });
        PackedOp::neuron(index)
    }

    /// Adds a block; returns its index.
    fn add(&mut self, block: Block) -> usize {
        let params_end = self.params.len() as u32;
        self.blocks.push(Block {
            params_end,
            ..block
        });
        self.blocks.len() - 1
    }

    /// The operands of node `id`, a node of block `index`.
    #[inline(always)]
    pub fn neuron(&self, index: usize, id: usize) -> NeuronOp {
        let block = &self.blocks[index];
        let (at, width) = (id - block.first as usize, block.width as usize);
        // A division takes tens of cycles: not for a block of one row.
        let (r, j) = if at < width {
            (0, at)
        } else {
            (at / width, at % width)
        };
        let (bias, weights) = self.params[block.params as usize + j];
        NeuronOp {
            bias,
            weights,
            inputs: block.row_inputs(r) as NodeId,
            n: block.n,
            activation: block.activation,
            input_grads: block.input_grads,
        }
    }

    /// Forgets the neurons from node `len` up, `ops` being the tape's ops
    /// below `len`. A block cut inside a row is no longer whole: its nodes
    /// left become neurons one by one.
    pub fn truncate(&mut self, len: usize, ops: &mut [PackedOp]) {
        let below = self
            .blocks
            .partition_point(|block| (block.first as usize) < len);
        self.blocks.truncate(below);
        if let Some(block) = self.blocks.last_mut() {
            let first = block.first as usize;
            if first + block.count as usize > len {
                block.count = (len - first) as u32;
                if block.count % block.width != 0 {
                    ops[first..len].fill(PackedOp::neuron(below - 1));
                }
            }
            self.params.truncate(block.params_end as usize);
        } else {
            self.params.clear();
        }
    }
}

/// Whether each neuron's weights and bias, and the inputs `inputs` (every
/// row's, and what lies between), are all different nodes: then the order in
/// which a block's grads get their terms matters only within each node, and
/// backward may run the block whole. Checked in one pass, for layers whose
/// neurons' parameters come one neuron after another (as `nn` makes them);
/// any other layer is answered no.
fn apart(layer: &[(NodeId, NodeId)], n: u32, inputs: std::ops::Range<usize>) -> bool {
    if n == 0 {
        return false;
    }
    let mut above = 0;
    for &(bias, weights) in layer {
        let (bias, weights) = (bias as usize, weights as usize..(weights + n) as usize);
        let low = weights.start.min(bias);
        let high = (weights.end - 1).max(bias);
        let clear_of_inputs = high < inputs.start || inputs.end <= low;
        if weights.contains(&bias) || low < above || !clear_of_inputs {
            return false;
        }
        above = high + 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A network's layers' pairs are added before its first block; popping
    /// back into a first layer's block keeps the pairs of the second layer
    /// below it.
    #[test]
    fn popping_keeps_the_pairs_of_the_blocks_below() {
        let mut neurons = Neurons::new();
        let first = neurons.push_params(&[(2, 0)]);
        let second = neurons.push_params(&[(4, 3)]);
        let block = |first_node, params, inputs| Block {
            first: first_node,
            count: 1,
            width: 1,
            inputs,
            input_stride: 2,
            n: 2,
            params,
            activation: Activation::Relu,
            input_grads: false,
            params_end: 0,
        };
        // two groups' two layers, the second group's second popped
        neurons.push_block(block(7, first, 5));
        neurons.push_block(block(8, second, 7));
        neurons.push_block(block(11, first, 9));
        neurons.push_block(block(12, second, 11));
        let mut ops = vec![PackedOp::neuron(0); 13];
        neurons.truncate(12, &mut ops);
        assert_eq!(neurons.blocks.len(), 3);
        assert_eq!(neurons.neuron(1, 8).bias, 4);
        neurons.truncate(8, &mut ops);
        assert_eq!(neurons.params.len(), 2);
        neurons.truncate(0, &mut ops);
        assert!(neurons.params.is_empty() && neurons.is_empty());
    }

    #[test]
    fn apart_means_no_node_twice() {
        // nn's layout: each neuron's weights, then its bias
        let layer = [(3, 0), (7, 4)];
        assert!(apart(&layer, 3, 8..20));
        assert!(apart(&layer, 3, 0..0));
        // an input that is a weight, or a bias
        assert!(!apart(&layer, 3, 2..5));
        assert!(!apart(&layer, 3, 7..8));
        // a bias among the weights, neurons out of order, a weight shared
        assert!(!apart(&[(1, 0)], 3, 8..9));
        assert!(!apart(&[(7, 4), (3, 0)], 3, 8..9));
        assert!(!apart(&[(3, 0), (7, 2)], 3, 8..9));
    }
}
