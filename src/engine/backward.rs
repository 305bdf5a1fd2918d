//! Reverse-mode differentiation: one sweep down the tape.
//!
//! The tape is in creation order and every input sits below the node that uses
//! it, so walking from the root down to id 0 meets each node after all of the
//! nodes it feeds. Its grad is then final and can be pushed to its inputs.
//! No recursion, no sort, no visited set: a flag per node says whether the
//! root depends on it.

use super::ops::LocalGrads;
use super::tape::{Node, NodeId, REACHED, Tape};

/// Seeds `root`'s grad with 1 and fills in d(root)/d(node) for every node the root
/// depends on. Leaves (weights, inputs) add this to the grad they already hold,
/// so gradients from several backward calls accumulate until `zero_grad`;
/// computed nodes are overwritten, so they always hold the latest pass.
pub(crate) fn backward(tape: &mut Tape, root: NodeId) {
    let nodes = &mut tape.nodes[..=root as usize];
    nodes[root as usize].grad = 1.0;
    nodes[root as usize].flags |= REACHED;
    // How many reached nodes are still waiting below: once none are, stop early.
    let mut pending = 1usize;
    for id in (0..=root as usize).rev() {
        let node = nodes[id];
        if node.flags & REACHED == 0 {
            continue;
        }
        nodes[id].flags &= !REACHED;
        pending -= 1;
        // The chain rule: input.grad += d(node)/d(input) * node.grad
        match node.op.local_grads(node.data, nodes) {
            LocalGrads::None => {}
            LocalGrads::One(a, da) => {
                pending += accumulate(nodes, a, da * node.grad);
            }
            LocalGrads::Two(a, da, b, db) => {
                pending += accumulate(nodes, a, da * node.grad);
                pending += accumulate(nodes, b, db * node.grad);
            }
        }
        if pending == 0 {
            break;
        }
    }
}

/// Adds `grad` to node `id`; returns 1 if this is the first time the sweep reaches it.
#[inline(always)]
fn accumulate(nodes: &mut [Node], id: NodeId, grad: f64) -> usize {
    let node = &mut nodes[id as usize];
    let first_visit = node.flags & REACHED == 0;
    if first_visit {
        node.flags |= REACHED;
        if !node.is_leaf() {
            node.grad = 0.0;
        }
    }
    node.grad += grad;
    first_visit as usize
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
        for input in nodes[id].op.inputs() {
            reached[input as usize] = true;
        }
    }
    order
}
