//! Backward, replayed one node at a time: the data behind the visualizer's
//! frames and `graph --step`. Nothing here prints.

use std::collections::HashMap;

use crate::engine::Value;
use crate::show::formula::Formula;

/// Where a node stands in frame K of backward.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Backward has not reached it yet.
    Waiting,
    /// Its grad is being passed to its inputs in this frame.
    Active,
    /// Its grad is final and has been passed on.
    Done,
}

/// One chain-rule update: `input.grad += local * node.grad`.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    /// Index of the input in `Trace::nodes`.
    pub input: usize,
    /// d(node)/d(input), and how it is computed.
    pub local: f64,
    pub formula: Formula,
    pub node_grad: f64,
    pub input_grad_after: f64,
}

/// One frame: the node backward visits, and what it does.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Index of the node in `Trace::nodes`.
    pub node: usize,
    pub updates: Vec<Update>,
}

/// A graph and its backward pass, frame by frame.
pub struct Trace {
    /// The nodes the output depends on, inputs before the nodes that use them.
    pub nodes: Vec<Value>,
    /// For each node, the indices of its inputs.
    pub inputs: Vec<Vec<usize>>,
    /// One step per node backward visits, in the order it visits them.
    pub steps: Vec<Step>,
}

impl Trace {
    /// Replays backward from `output` on a fresh set of grads: the root's is 1,
    /// every other starts at 0. Does not touch the values' own grads.
    pub fn new(output: &Value) -> Trace {
        let mut nodes = output.backward_order();
        nodes.reverse();
        let index: HashMap<usize, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (node.id(), i))
            .collect();
        let inputs: Vec<Vec<usize>> = nodes
            .iter()
            .map(|node| {
                node.inputs()
                    .iter()
                    .map(|input| index[&input.id()])
                    .collect()
            })
            .collect();
        let mut trace = Trace {
            nodes,
            inputs,
            steps: Vec::new(),
        };
        let mut grads = trace.initial_grads();
        for (node, value) in trace.nodes.iter().enumerate().rev() {
            let node_grad = grads[node];
            let formulas = Formula::of(value.op_kind());
            let mut updates = Vec::new();
            for ((input, local), formula) in value.local_grads().iter().zip(formulas) {
                let input = index[&input.id()];
                grads[input] += local * node_grad;
                updates.push(Update {
                    input,
                    local: *local,
                    formula,
                    node_grad,
                    input_grad_after: grads[input],
                });
            }
            trace.steps.push(Step { node, updates });
        }
        trace
    }

    /// The trace seen through the nodes `keep` marks, as if the others were
    /// not drawn: their steps, and the updates that write their grads, left
    /// out; an input a kept node reaches through dropped nodes is not one of
    /// its inputs. The grads are the whole trace's: an update still says the
    /// grad its input has after it.
    pub fn only(&self, keep: &[bool]) -> Trace {
        let mut new_index = vec![None; self.nodes.len()];
        let mut nodes = Vec::new();
        for (node, value) in self.nodes.iter().enumerate() {
            if keep[node] {
                new_index[node] = Some(nodes.len());
                nodes.push(value.clone());
            }
        }
        let inputs = (0..self.nodes.len())
            .filter(|&node| keep[node])
            .map(|node| {
                self.inputs[node]
                    .iter()
                    .filter_map(|&input| new_index[input])
                    .collect()
            })
            .collect();
        let steps = self
            .steps
            .iter()
            .filter_map(|step| {
                let updates = step
                    .updates
                    .iter()
                    .filter_map(|update| {
                        Some(Update {
                            input: new_index[update.input]?,
                            ..update.clone()
                        })
                    })
                    .collect();
                Some(Step {
                    node: new_index[step.node]?,
                    updates,
                })
            })
            .collect();
        Trace {
            nodes,
            inputs,
            steps,
        }
    }

    /// Every node's grad when backward starts: 1 for the output, 0 for the rest.
    pub fn initial_grads(&self) -> Vec<f64> {
        let mut grads = vec![0.0; self.nodes.len()];
        if let Some(root) = grads.last_mut() {
            *root = 1.0;
        }
        grads
    }

    /// Applies frame `frame`'s updates to `grads`: call it for frames 0, 1, ...
    /// in turn, starting from `initial_grads`.
    pub fn apply(&self, frame: usize, grads: &mut [f64]) {
        for update in &self.steps[frame].updates {
            grads[update.input] = update.input_grad_after;
        }
    }

    /// How many frames backward takes to show: frame 0 seeds the output's
    /// grad with 1, frame K (1 to the number of steps) is step K-1, and the
    /// last frame has every node done.
    pub fn frame_count(&self) -> usize {
        self.steps.len() + 2
    }

    /// The step frame `frame` shows: none for the seed and the end.
    pub fn step_at(&self, frame: usize) -> Option<&Step> {
        frame.checked_sub(1).and_then(|step| self.steps.get(step))
    }

    /// Every node's grad as frame `frame` leaves it.
    pub fn grads_after(&self, frame: usize) -> Vec<f64> {
        let mut grads = self.initial_grads();
        // frame K shows step K-1 done; the last frame has nothing more to do
        for step in 0..frame.min(self.steps.len()) {
            self.apply(step, &mut grads);
        }
        grads
    }

    /// The state of node `node` in frame `frame` (see [`Trace::frame_count`]):
    /// every node waits in the seed frame, the one a step visits is active
    /// in its frame (a leaf too, though it has nothing to pass on), and the
    /// last frame is all done.
    pub fn state(&self, frame: usize, node: usize) -> State {
        // the frame that visits `node`
        let visited_in = self.nodes.len() - node;
        match frame.cmp(&visited_in) {
            std::cmp::Ordering::Greater => State::Done,
            std::cmp::Ordering::Equal => State::Active,
            std::cmp::Ordering::Less => State::Waiting,
        }
    }

    /// Each node's layer: 0 for leaves, else one more than its highest input.
    pub fn layers(&self) -> Vec<usize> {
        let mut layers = vec![0; self.nodes.len()];
        for (node, inputs) in self.inputs.iter().enumerate() {
            layers[node] = inputs
                .iter()
                .map(|&input| layers[input] + 1)
                .max()
                .unwrap_or(0);
        }
        layers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replayed_grads_match_backward_and_the_last_frame_is_all_done() {
        let x = Value::with_label(2.0, "x");
        let w = Value::with_label(-3.0, "w");
        let xw = &x * &w;
        let o = (&xw + &x).tanh();
        let trace = Trace::new(&o);
        o.backward();

        assert_eq!(trace.steps.len(), o.backward_order().len());
        let last_frame = trace.frame_count() - 1;
        let last = trace.grads_after(last_frame);
        assert_eq!(
            last,
            trace.grads_after(last_frame - 1),
            "the end frame only shows"
        );
        let mut stepped = trace.initial_grads();
        for step in 0..trace.steps.len() {
            trace.apply(step, &mut stepped);
        }
        assert_eq!(stepped, last);
        for (node, value) in trace.nodes.iter().enumerate() {
            assert_eq!(last[node], value.grad(), "node {node}");
            assert_eq!(trace.state(last_frame, node), State::Done);
            assert_eq!(trace.state(0, node), State::Waiting, "the seed frame");
        }
        // frame 0 seeds the root's grad; frame 1 processes the root
        let root = trace.nodes.len() - 1;
        assert_eq!(trace.grads_after(0)[root], 1.0);
        assert!(trace.step_at(0).is_none() && trace.step_at(last_frame).is_none());
        assert_eq!(trace.step_at(1).map(|step| step.node), Some(root));
        assert_eq!(trace.state(1, root), State::Active);
        assert_eq!(trace.state(1, 0), State::Waiting);
        // a leaf is active in its own frame, then done
        assert_eq!(trace.state(last_frame - 1, 0), State::Active);
        assert_eq!(
            trace.steps[0].updates[0].formula,
            Formula::Activation(crate::engine::Activation::Tanh)
        );
        assert_eq!(trace.layers()[root], 3);
    }
}
