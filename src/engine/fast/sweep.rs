//! Backward's shortcuts for networks: a neuron's chain rule as loops over
//! slices, a block of neurons at once, rows of data stepped over. Each gives
//! every grad the same terms, in the same order, as the plain sweep in
//! `backward.rs` (the tests in `fast/mod.rs` compare the bits).

use crate::engine::ops::{self, Activation, NeuronOp};
use crate::engine::tape::NodeId;

use super::packed::{MAX_BLOCK_ROWS, PackedOp};

/// How many weights' grads a block's backward holds in registers at a time:
/// sixteen independent sums keep the processor's adders busy.
const WEIGHTS_HELD: usize = 16;

/// `backward`'s sweep for a graph with neurons in it: the chain rule from
/// the last node, whose grad is seeded, down to the first, with three
/// shortcuts. A neuron reads its operands from the table in place; a block of
/// neurons (`push_network`'s) runs as one (`block_backward`); a row of data
/// leaves, which no grad reaches, is stepped over in one go. Every grad gets
/// the same terms in the same order as from the plain sweep.
#[inline(never)]
pub(crate) fn sweep(
    data: &[f64],
    ops: &[PackedOp],
    neurons: &[(NodeId, NeuronOp)],
    grads: &mut [f64],
) {
    let mut id = data.len();
    // scratch for `block_backward`
    let mut g = Vec::new();
    while id > 0 {
        id -= 1;
        let grad = grads[id];
        // Nothing to pass on: the root does not depend on this node, or not
        // here. Under the newest of a row of data, nothing reaches the rest.
        if grad == 0.0 {
            // A block's top may have a zero grad while the rest of its block
            // has some; under the newest leaf of a row of data, none does.
            if ops[id].is_marked() {
                id = match ops[id].block() {
                    Some(_) => block_backward(id, ops[id], data, neurons, grads, &mut g),
                    None => id - ops[id].data_below(),
                };
            }
            continue;
        }
        // A training graph is mostly neurons: read their operands in place.
        if let Some(index) = ops[id].neuron_index() {
            if ops[id].block().is_some() {
                id = block_backward(id, ops[id], data, neurons, grads, &mut g);
                continue;
            }
            let neuron = &neurons[index].1;
            // `LocalGrads::Neuron`, as `Op::local_grads` gives it
            let derivative = neuron.activation.derivative(data[id]);
            neuron_backward(neuron, derivative * grad, data, grads);
            continue;
        }
        ops[id].unpack_into(
            neurons,
            #[inline(always)]
            |op| ops::chain_rule(op, grad, data[id], data, grads),
        );
    }
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

/// The chain rule of a block of neurons, `rows` rows of a layer's `width`
/// neurons each, as `Tape::push_network` lays out a group of rows: node `top`,
/// whose op `top_op` holds the mark, is the last row's last neuron. Returns
/// the block's first node. `g` is scratch space.
///
/// Each node's terms are `neuron_backward`'s, and each grad gets them in the
/// order the node-by-node sweep would give them: a weight and a bias from the
/// last row down, an input from its row's last neuron down. The block's
/// weights, biases and inputs are all different nodes (they are the layer's
/// parameters and the rows' inputs), so no other order matters.
///
/// Compiled for the baseline x86-64 and for AVX2, picked at run time, as
/// `tape::layer_on_group`.
#[multiversion::multiversion(targets("x86_64+avx+avx2"))]
fn block_backward(
    top: usize,
    top_op: PackedOp,
    data: &[f64],
    neurons: &[(NodeId, NeuronOp)],
    grads: &mut [f64],
    g: &mut Vec<f64>,
) -> usize {
    let (top_index, (rows, width)) = top_op
        .neuron_index()
        .zip(top_op.block())
        .expect("the top of a block of neurons");
    let count = rows * width;
    let (first, first_index) = (top + 1 - count, top_index + 1 - count);
    let block = &neurons[first_index..][..count];
    let layer = &block[..width];
    // d(root)/d(sum) of each node: 0 where the sweep would pass nothing on
    sum_grads(
        layer[0].1.activation,
        &grads[first..=top],
        &data[first..=top],
        g,
    );
    // The rows that pass their layer some grad, last row first, and their first inputs.
    let (mut alive, mut alive_count) = ([0; MAX_BLOCK_ROWS], 0);
    let mut inputs = [0; MAX_BLOCK_ROWS];
    for r in (0..rows).rev() {
        inputs[r] = block[r * width].1.inputs as usize;
        alive[alive_count] = r;
        let row_g = &g[r * width..][..width];
        alive_count += usize::from(row_g.iter().fold(false, |any, &g| any | (g != 0.0)));
    }
    let alive = &alive[..alive_count];
    for (j, (_, neuron)) in layer.iter().enumerate() {
        // The rows that pass neuron j a grad, last row first: (their first input, g).
        let mut live = [(0, 0.0); MAX_BLOCK_ROWS];
        let mut count = 0;
        for &r in alive {
            let g = g[r * width + j];
            live[count] = (inputs[r], g);
            count += usize::from(g != 0.0);
        }
        let live = &live[..count];
        // w_i.grad += x_i * g for each live row in turn, `WEIGHTS_HELD`
        // weights at a time, each held in a register across the rows.
        let mut chunks = grads[neuron.weight_ids()].chunks_exact_mut(WEIGHTS_HELD);
        for (c, chunk) in (&mut chunks).enumerate() {
            let mut sums: [f64; WEIGHTS_HELD] = chunk.try_into().expect("whole chunks");
            for &(inputs, g) in live {
                let x_data = &data[inputs + WEIGHTS_HELD * c..][..WEIGHTS_HELD];
                for (sum, x) in sums.iter_mut().zip(x_data) {
                    *sum += x * g;
                }
            }
            chunk.copy_from_slice(&sums);
        }
        let tail = chunks.into_remainder();
        let done = neuron.n as usize - tail.len();
        for &(inputs, g) in live {
            for (w_grad, x) in tail.iter_mut().zip(&data[inputs + done..]) {
                *w_grad += x * g;
            }
        }
        for &(_, g) in live {
            grads[neuron.bias as usize] += g;
        }
    }
    if layer[0].1.input_grads {
        for &r in alive {
            let row_g = &g[r * width..][..width];
            let x_grads = &mut grads[inputs[r]..][..layer[0].1.n as usize];
            for ((_, neuron), &g) in layer.iter().zip(row_g).rev() {
                if g != 0.0 {
                    for (x_grad, w) in x_grads.iter_mut().zip(&data[neuron.weight_ids()]) {
                        *x_grad += w * g;
                    }
                }
            }
        }
    }
    first
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
