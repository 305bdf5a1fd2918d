//! Backward's shortcuts for networks: a neuron's chain rule as loops over
//! slices, a block of neurons at once, rows of data stepped over. Each gives
//! every grad the same terms, in the same order, as the plain sweep in
//! `backward.rs` (the tests in `fast/mod.rs` compare the bits).

use crate::engine::ops::{self, Activation, NeuronOp};

use super::blocks::{Block, MAX_BLOCK_ROWS, Neurons};
use super::packed::PackedOp;

/// How many weights' grads a block's backward holds in registers at a time:
/// that many independent sums keep the processor's adders busy.
const WEIGHTS_HELD: usize = 32;

/// `backward`'s sweep for a graph with neurons in it: the chain rule from
/// the last node, whose grad is seeded, down to the first, with shortcuts.
/// A neuron reads its operands from its block; a block whose nodes are all
/// different (`push_network`'s) runs as one (`block_backward`) from its
/// newest node; a row of data leaves, which no grad reaches, is stepped over
/// in one go; so are runs of plain leaves, which pass nothing on, and runs
/// of idle nodes under an idle neuron built row by row. Every grad gets the
/// same terms in the same order as from the plain sweep.
#[inline(never)]
pub(crate) fn sweep(data: &[f64], ops: &[PackedOp], neurons: &Neurons, grads: &mut [f64]) {
    let mut id = data.len();
    let mut scratch = Scratch::default();
    while id > 0 {
        id -= 1;
        let grad = grads[id];
        // Nothing to pass on: the root does not depend on this node, or not
        // here. Under the newest of a row of data, nothing reaches the rest.
        if grad == 0.0 {
            // A block's newest node may have a zero grad while the rest of
            // its block has some; under the newest leaf of a row of data, none does.
            if ops[id].is_marked() {
                match ops[id].neuron_index() {
                    Some(index) if neurons.blocks[index].top() == id => {
                        id = block_backward(
                            &neurons.blocks[index],
                            neurons,
                            data,
                            grads,
                            &mut scratch,
                        );
                    }
                    Some(_) => {}
                    None => id -= ops[id].data_below(),
                }
            } else if ops[id].neuron_index().is_some() {
                // a row of a layer built row by row, maybe the whole row idle
                id = below_idle_runs(id, grads, ops);
            }
            continue;
        }
        // A leaf has nothing to pass its grad on to (a weight's is its own).
        if ops[id].is_plain_leaf() {
            id = below_leaf_runs(id, ops);
            continue;
        }
        // A training graph is mostly neurons: read their operands in place.
        if let Some(index) = ops[id].neuron_index() {
            // A whole block from its newest node; one below it is the root's
            // block, cut by the root: node by node.
            if ops[id].in_whole_block() && neurons.blocks[index].top() == id {
                id = block_backward(&neurons.blocks[index], neurons, data, grads, &mut scratch);
                continue;
            }
            let neuron = neurons.neuron(index, id);
            // `LocalGrads::Neuron`, as `Op::local_grads` gives it
            let derivative = neuron.activation.derivative(data[id]);
            neuron_backward(&neuron, derivative * grad, data, grads);
            continue;
        }
        ops[id].unpack_into(
            |index| neurons.neuron(index, id),
            #[inline(always)]
            |op| ops::chain_rule(op, grad, data[id], data, grads),
        );
    }
}

/// How many nodes `below_idle_runs` looks at at once.
const IDLE_RUN: usize = 8;

/// The lowest node of the runs of `IDLE_RUN` nodes just below `id` that
/// the sweep would pass over one by one: each with a zero grad and no mark.
/// A row built row by row whose loss term is zero (a hinge met with margin)
/// is such a run; stepping over it a run at a time saves a branch that is
/// hard to predict at each node. The sweep looks only from a neuron with a
/// zero grad: from a zero-grad leaf (a loss's constant) the look rarely pays.
#[inline(always)]
fn below_idle_runs(mut id: usize, grads: &[f64], ops: &[PackedOp]) -> usize {
    while id >= IDLE_RUN {
        let run = id - IDLE_RUN..id;
        let zero = grads[run.clone()]
            .iter()
            .fold(true, |all, &grad| all & (grad == 0.0));
        let plain = ops[run].iter().fold(true, |all, op| all & !op.is_marked());
        if !(zero & plain) {
            break;
        }
        id -= IDLE_RUN;
    }
    id
}

/// How many leaves `below_leaf_runs` looks at at once: weights come in long runs.
const LEAF_RUN: usize = 32;

/// The lowest node of the runs of `LEAF_RUN` plain leaves just below `id`:
/// a model's weights, or those of models dropped while a newer one lived.
#[inline(always)]
fn below_leaf_runs(mut id: usize, ops: &[PackedOp]) -> usize {
    while id >= LEAF_RUN
        && ops[id - LEAF_RUN..id]
            .iter()
            .fold(true, |all, op| all & op.is_plain_leaf())
    {
        id -= LEAF_RUN;
    }
    id
}

/// `block_backward`'s scratch space, kept from block to block: each node's
/// d(root)/d(sum), and each neuron's for the block's rows side by side.
#[derive(Default)]
struct Scratch {
    g: Vec<f64>,
    gt: Vec<[f64; MAX_BLOCK_ROWS]>,
}

/// `g[k] = activation'(outs[k]) * grads[k]`, d(root)/d(sum) of neurons whose
/// outputs are `outs`, or 0 where `grads[k]` is 0 (the sweep passes nothing
/// on from a zero grad, whatever the derivative is). One loop per activation,
/// so that each is a plain loop the compiler can vectorise.
#[inline(always)]
fn sum_grads(activation: Activation, grads: &[f64], outs: &[f64], g: &mut Vec<f64>) {
    #[inline(always)]
    fn fill(g: &mut Vec<f64>, grads: &[f64], outs: &[f64], derivative: impl Fn(f64) -> f64) {
        g.clear();
        g.extend(grads.iter().zip(outs).map(|(&grad, &out)| {
            if grad == 0.0 {
                0.0
            } else {
                derivative(out) * grad
            }
        }));
    }
    match activation {
        Activation::Relu => fill(g, grads, outs, |out| Activation::Relu.derivative(out)),
        Activation::Tanh => fill(g, grads, outs, |out| Activation::Tanh.derivative(out)),
        Activation::Sigmoid => fill(g, grads, outs, |out| Activation::Sigmoid.derivative(out)),
        Activation::Linear => fill(g, grads, outs, |out| Activation::Linear.derivative(out)),
    }
}

/// The chain rule of a block of neurons (see `Block`), from its newest
/// node, whose grad is final, down. Returns the block's first node.
///
/// Each node's terms are `neuron_backward`'s, and each grad gets them in the
/// order the node-by-node sweep would give them: a weight and a bias from the
/// last row down, an input from its row's last neuron down. The block's
/// weights, biases and inputs are all different nodes (`PackedOp::whole_block`),
/// so no other order matters.
///
/// Compiled for the baseline x86-64, AVX2 and AVX-512, picked at run time,
/// as `layers::layer_on_group`.
#[multiversion::multiversion(targets("x86_64+avx+avx2+avx512f", "x86_64+avx+avx2"))]
fn block_backward(
    block: &Block,
    neurons: &Neurons,
    data: &[f64],
    grads: &mut [f64],
    scratch: &mut Scratch,
) -> usize {
    let Scratch { g, gt } = scratch;
    let (first, rows, width) = (block.first as usize, block.rows(), block.width as usize);
    let (n, nodes) = (block.n as usize, first..=block.top());
    let layer = &neurons.params[block.params as usize..][..width];
    // d(root)/d(sum) of each node: 0 where the sweep would pass nothing on
    sum_grads(block.activation, &grads[nodes.clone()], &data[nodes], g);
    // The rows that pass their layer some grad, last row first, and their first inputs.
    let (mut alive, mut alive_count) = ([0; MAX_BLOCK_ROWS], 0);
    let mut inputs = [0; MAX_BLOCK_ROWS];
    for r in (0..rows).rev() {
        inputs[r] = block.row_inputs(r);
        alive[alive_count] = r;
        let row_g = &g[r * width..][..width];
        alive_count += usize::from(row_g.iter().fold(false, |any, &g| any | (g != 0.0)));
    }
    let alive = &alive[..alive_count];
    let mut alive_inputs = [0; MAX_BLOCK_ROWS];
    for (alive_inputs, &r) in alive_inputs.iter_mut().zip(alive) {
        *alive_inputs = inputs[r];
    }
    // Each neuron's g in the alive rows, side by side.
    gt.clear();
    gt.resize(width, [0.0; MAX_BLOCK_ROWS]);
    for (k, &r) in alive.iter().enumerate() {
        for (gt, &g) in gt.iter_mut().zip(&g[r * width..][..width]) {
            gt[k] = g;
        }
    }
    for (&(bias, weights), gs) in layer.iter().zip(gt.iter()) {
        // The rows that pass this neuron a grad, last row first: usually
        // every alive row; else those whose g is not 0.
        let (mut live_inputs, mut live_g) = (alive_inputs, *gs);
        let mut live = alive.len();
        if gs[..live].contains(&0.0) {
            live = 0;
            for (&inputs, &g) in alive_inputs.iter().zip(gs).take(alive.len()) {
                (live_inputs[live], live_g[live]) = (inputs, g);
                live += usize::from(g != 0.0);
            }
        }
        let (live_inputs, live_g) = (&live_inputs[..live], &live_g[..live]);
        weight_grads(
            &mut grads[weights as usize..][..n],
            data,
            live_inputs,
            live_g,
        );
        for &g in live_g {
            grads[bias as usize] += g;
        }
    }
    if block.input_grads {
        for &r in alive {
            let row_g = &g[r * width..][..width];
            input_grads(&mut grads[inputs[r]..][..n], data, layer, row_g);
        }
    }
    first
}

/// `x_i.grad += w_i * g` for each neuron of a row in turn, last neuron
/// first (`layer` holds each neuron's `(bias, first weight)`, `gs` its g),
/// `WEIGHTS_HELD` inputs at a time, each held in a register across the
/// neurons: added to in memory, each neuron's terms waited for the last
/// neuron's to be stored.
#[inline(always)]
fn input_grads(x_grads: &mut [f64], data: &[f64], layer: &[(u32, u32)], gs: &[f64]) {
    let n = x_grads.len();
    let mut chunks = x_grads.chunks_exact_mut(WEIGHTS_HELD);
    for (c, chunk) in (&mut chunks).enumerate() {
        let mut sums: [f64; WEIGHTS_HELD] = chunk.try_into().expect("whole chunks");
        for (&(_, weights), &g) in layer.iter().zip(gs).rev() {
            if g != 0.0 {
                let w = &data[weights as usize + WEIGHTS_HELD * c..][..WEIGHTS_HELD];
                for (sum, w) in sums.iter_mut().zip(w) {
                    *sum += w * g;
                }
            }
        }
        chunk.copy_from_slice(&sums);
    }
    let tail = chunks.into_remainder();
    let done = n - tail.len();
    for (&(_, weights), &g) in layer.iter().zip(gs).rev() {
        if g != 0.0 {
            for (x_grad, w) in tail.iter_mut().zip(&data[weights as usize + done..]) {
                *x_grad += w * g;
            }
        }
    }
}

/// `w_i.grad += x_i * g` for each live row in turn (`inputs[k]` its first
/// input, `gs[k]` its g), `WEIGHTS_HELD` weights at a time, each held in a
/// register across the rows.
#[inline(always)]
fn weight_grads(w_grads: &mut [f64], data: &[f64], inputs: &[usize], gs: &[f64]) {
    let n = w_grads.len();
    let mut chunks = w_grads.chunks_exact_mut(WEIGHTS_HELD);
    for (c, chunk) in (&mut chunks).enumerate() {
        let mut sums: [f64; WEIGHTS_HELD] = chunk.try_into().expect("whole chunks");
        for (&inputs, &g) in inputs.iter().zip(gs) {
            let x_data = &data[inputs + WEIGHTS_HELD * c..][..WEIGHTS_HELD];
            for (sum, x) in sums.iter_mut().zip(x_data) {
                *sum += x * g;
            }
        }
        chunk.copy_from_slice(&sums);
    }
    let tail = chunks.into_remainder();
    let done = n - tail.len();
    for (&inputs, &g) in inputs.iter().zip(gs) {
        for (w_grad, x) in tail.iter_mut().zip(&data[inputs + done..]) {
            *w_grad += x * g;
        }
    }
}

/// `backward::neuron_backward` as two loops over slices, which vectorise,
/// when the weights, the inputs and the bias are all different nodes: then
/// every grad is touched once and the order of the additions does not matter.
#[inline(always)]
fn neuron_backward(neuron: &NeuronOp, g: f64, data: &[f64], grads: &mut [f64]) {
    // The operator graph passes nothing on from a sum whose grad is 0.
    if g == 0.0 {
        return;
    }
    let (weights, inputs, bias) = (
        neuron.weight_ids(),
        neuron.input_ids(),
        neuron.bias as usize,
    );
    let apart = weights.end <= inputs.start || inputs.end <= weights.start;
    let bias_apart = !weights.contains(&bias) && !inputs.contains(&bias);
    if apart && bias_apart {
        // Every grad is touched once: two loops over slices, which vectorise.
        let (w_data, x_data) = (&data[weights.clone()], &data[inputs.clone()]);
        let (w_grads, x_grads) = if weights.start < inputs.start {
            let (low, high) = grads.split_at_mut(inputs.start);
            (&mut low[weights], &mut high[..inputs.len()])
        } else {
            let (low, high) = grads.split_at_mut(weights.start);
            (&mut high[..weights.len()], &mut low[inputs])
        };
        for (w_grad, x) in w_grads.iter_mut().zip(x_data) {
            *w_grad += x * g;
        }
        if neuron.input_grads {
            for (x_grad, w) in x_grads.iter_mut().zip(w_data) {
                *x_grad += w * g;
            }
        }
        grads[bias] += g;
        return;
    }
    // A node appears more than once (a weight is also an input, as in L2's
    // sum of p*p): the plain chain rule, in the operator graph's order.
    ops::neuron_backward(neuron, g, data, grads);
}
