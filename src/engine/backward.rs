//! Reverse-mode differentiation: one sweep down the tape.
//!
//! The tape is in creation order and every input sits below the node that uses
//! it, so walking from the root down to id 0 meets each node after all of the
//! nodes it feeds. Its grad is then final and can be pushed to its inputs.
//! No recursion, no sort, no visited set.

use super::ops::{LocalGrads, Op};
use super::tape::{Node, NodeId, Tape};

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
    let Tape { nodes, grads, .. } = tape;
    let nodes = &nodes[..=root];
    for (grad, node) in grads[..had_grads].iter_mut().zip(nodes) {
        if !matches!(node.op(), Op::Leaf) {
            *grad = 0.0;
        }
    }
    grads[root] = 1.0;
    sweep(nodes, &mut grads[..=root]);
}

/// The reverse sweep from the last node, whose grad is seeded, down to the first.
/// On its own so that the compiler knows `nodes` and `grads` do not overlap.
#[inline(never)]
fn sweep(nodes: &[Node], grads: &mut [f64]) {
    for id in (0..nodes.len()).rev() {
        let grad = grads[id];
        // Nothing to pass on: the root does not depend on this node, or not here.
        if grad == 0.0 {
            continue;
        }
        // The chain rule: input.grad += d(node)/d(input) * node.grad
        match nodes[id].op().local_grads(nodes[id].data, nodes) {
            LocalGrads::None => {}
            LocalGrads::One(a, da) => grads[a as usize] += da * grad,
            LocalGrads::Two(a, da, b, db) => {
                grads[a as usize] += da * grad;
                grads[b as usize] += db * grad;
            }
        }
    }
}

/// The nodes `backward` from `root` visits, in the order it visits them:
/// the root first, each node after every node that uses it.
pub(crate) fn visit_order(tape: &Tape, root: NodeId) -> Vec<NodeId> {
    let nodes = &tape.nodes[..=root as usize];
    let mut reached = vec![false; nodes.len()];
    reached[root as usize] = true;
    let mut order = Vec::new();
    for id in (0..=root as usize).rev() {
        if !reached[id] {
            continue;
        }
        order.push(id as NodeId);
        for input in nodes[id].op().inputs() {
            reached[input as usize] = true;
        }
    }
    order
}
