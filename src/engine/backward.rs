//! Reverse-mode differentiation: one sweep down the tape.
//!
//! The tape is in creation order and every input sits below the node that uses
//! it, so walking from the root down to id 0 meets each node after all of the
//! nodes it feeds. Its grad is then final and can be pushed to its inputs.
//! No recursion, no sort, no visited set.

use super::ops::{Activation, LocalGrads, MAX_BLOCK_ROWS, NeuronOp, Op, PackedOp};
use super::tape::{NodeId, Tape};

/// How many weights' grads a block's backward holds in registers at a time:
/// sixteen independent sums keep the processor's adders busy.
const WEIGHTS_HELD: usize = 16;

/// Seeds `root`'s grad with 1 and sets every computed node older than the root
/// to d(root)/d(node), 0 where the root does not depend on it. Leaves (weights,
/// inputs) instead add d(root)/d(leaf) to the grad they hold, so gradients from
/// several backward calls accumulate until `zero_grad`.
pub(crate) fn backward(tape: &mut Tape, root: NodeId) {
    let root = root as usize;
    // Computed nodes start from 0. Nodes pushed since the last backward already
    // are (their grads are new), so only the older ones need clearing.
    let had_grads = tape.clean_from.min(root);
    tape.clean_from = tape.clean_from.max(root + 1);
    tape.grads_through(root as NodeId);
    let Tape {
        data,
        ops,
        neurons,
        grads,
        ..
    } = tape;
    for (grad, op) in grads[..had_grads].iter_mut().zip(ops.iter()) {
        if !op.is_leaf() {
            *grad = 0.0;
        }
    }
    grads[root] = 1.0;
    sweep(&data[..=root], &ops[..=root], neurons, &mut grads[..=root]);
}

/// The reverse sweep from the last node, whose grad is seeded, down to the first.
/// On its own so that the compiler knows `data` and `grads` do not overlap.
#[inline(never)]
fn sweep(data: &[f64], ops: &[PackedOp], neurons: &[(NodeId, NeuronOp)], grads: &mut [f64]) {
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
            |op| chain_rule(op, grad, data[id], data, grads),
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

/// The chain rule for one node of grad `grad` and data `out`:
/// input.grad += d(node)/d(input) * node.grad
#[inline(always)]
fn chain_rule(op: Op, grad: f64, out: f64, data: &[f64], grads: &mut [f64]) {
    match op.local_grads(out, data) {
        LocalGrads::None => {}
        LocalGrads::One(a, da) => grads[a as usize] += da * grad,
        LocalGrads::Two(a, da, b, db) => {
            grads[a as usize] += da * grad;
            grads[b as usize] += db * grad;
        }
        LocalGrads::Neuron(derivative) => {
            if let Op::Neuron(neuron) = op {
                neuron_backward(&neuron, derivative * grad, data, grads);
            }
        }
        LocalGrads::LogSumExp(first, n) => {
            let inputs = first as usize..(first + n) as usize;
            for (x_grad, x) in grads[inputs.clone()].iter_mut().zip(&data[inputs]) {
                *x_grad += (x - out).exp() * grad;
            }
        }
    }
}

/// A neuron's chain rule, given `g` = d(root)/d(sum): `b.grad += g`,
/// `w_i.grad += x_i * g`, `x_i.grad += w_i * g` (unless the inputs are data).
///
/// Each grad gets the same additions, in the same order, as it would from the
/// `*` and `+` nodes the operators build, so the bits are the same too.
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
    // sum of p*p): the operator graph's order, last term first, the bias
    // just before the first term.
    for i in (0..neuron.n as usize).rev() {
        let (w, x) = (weights.start + i, inputs.start + i);
        if i == 0 {
            grads[bias] += g;
        }
        grads[w] += data[x] * g;
        if neuron.input_grads {
            grads[x] += data[w] * g;
        }
    }
}

/// The nodes `backward` from `root` visits, in the order it visits them:
/// the root first, each node after every node that uses it.
pub(crate) fn visit_order(tape: &Tape, root: NodeId) -> Vec<NodeId> {
    let mut reached = vec![false; root as usize + 1];
    reached[root as usize] = true;
    let mut order = Vec::new();
    for id in (0..=root as usize).rev() {
        if !reached[id] {
            continue;
        }
        order.push(id as NodeId);
        for input in tape.op(id as NodeId).inputs() {
            reached[input as usize] = true;
        }
    }
    order
}
