//! Reverse-mode differentiation: one sweep down the tape.
//!
//! micrograd sorts the graph topologically, then walks it backwards, calling
//! each node's `_backward`. Here the sort is free: the tape is in creation
//! order and every input sits below the node that uses it, so walking from
//! the root down to id 0 meets each node after all of the nodes it feeds. Its
//! grad is then final and the chain rule can push it to its inputs. No
//! recursion, no sort, no visited set.

use super::fast::{self, PackedOp};
use super::ops::chain_rule;
use super::tape::{NodeId, Tape};

/// Seeds `root`'s grad with 1 and sets every computed node older than the root
/// to d(root)/d(node), 0 where the root does not depend on it. Leaves (weights,
/// inputs) instead add d(root)/d(leaf) to the grad they hold, so gradients from
/// several backward calls accumulate until `zero_grad`.
pub(crate) fn backward(tape: &mut Tape, root: NodeId) {
    let root = root as usize;
    // 1. Computed nodes start from 0. Nodes pushed since the last backward
    //    already are (their grads are new), so only the older ones need clearing.
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
    // 2. d(root)/d(root) = 1
    grads[root] = 1.0;
    // 3. The chain rule, from the root down. A graph with no neuron in it is
    //    the plain sweep's; one with neurons (a network's) takes `fast`'s
    //    shortcuts, which give the same bits.
    let (data, ops, grads) = (&data[..=root], &ops[..=root], &mut grads[..=root]);
    if neurons.is_empty() {
        sweep(data, ops, grads);
    } else {
        fast::sweep(data, ops, neurons, grads);
    }
}

/// The chain rule for every node from the last, whose grad is seeded, down to
/// the first. On its own so that the compiler knows `data` and `grads` do not
/// overlap.
#[inline(never)]
fn sweep(data: &[f64], ops: &[PackedOp], grads: &mut [f64]) {
    for id in (0..data.len()).rev() {
        let grad = grads[id];
        // Nothing to pass on: the root does not depend on this node.
        if grad == 0.0 {
            continue;
        }
        ops[id].unpack_into(
            |_| unreachable!("a graph with no neuron"),
            #[inline(always)]
            |op| chain_rule(op, grad, data[id], data, grads),
        );
    }
}
