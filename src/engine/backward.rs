//! Reverse-mode differentiation: one sweep down the tape.
//!
//! The tape is in creation order and every input sits below the node that uses
//! it, so walking from the root down to id 0 meets each node after all of the
//! nodes it feeds. Its grad is then final and can be pushed to its inputs.
//! No recursion, no sort, no visited set.

use super::ops::{LocalGrads, NeuronOp, Op, PackedOp};
use super::tape::{NodeId, Tape};

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
    while id > 0 {
        id -= 1;
        let grad = grads[id];
        // Nothing to pass on: the root does not depend on this node, or not
        // here. Under the newest of a row of data, nothing reaches the rest.
        if grad == 0.0 {
            if ops[id].data_below() > 0 {
                id = under_data_row(id, ops[id]);
            }
            continue;
        }
        // A training graph is mostly neurons: read their operands in place.
        if let Some(index) = ops[id].neuron_index() {
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

/// The newest leaf of a row of data is `id`: the id of its oldest leaf, where
/// the sweep goes on. Out of line, so that the sweep branches to it rather
/// than making every node with a zero grad wait for its op to be read.
#[cold]
#[inline(never)]
fn under_data_row(id: usize, op: PackedOp) -> usize {
    id - op.data_below()
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
