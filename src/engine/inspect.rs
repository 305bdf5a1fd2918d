//! Reading a graph: what the teaching views (`show/`) ask of a value, its
//! op, inputs and local derivatives, and the order backward visits nodes
//! in. Nothing here computes or changes a grad.

use super::Value;
use super::ops::{Activation, LocalGrads, Op};
use super::tape::{self, NodeId, Tape};

impl Value {
    /// This node's position on the tape: unique among live values, and larger
    /// than the ids of all the nodes it was computed from. It changes only
    /// when the tape is compacted, which happens when over a quarter of it
    /// can no longer be reached from any live value.
    pub fn id(&self) -> usize {
        tape::with(|tape| tape.node(self.slot) as usize)
    }

    /// The op that made this value as people write it (`+`, `*`, `**2`, `tanh`,
    /// `relu(w·x+b)`), or an empty string for a leaf.
    pub fn op(&self) -> String {
        tape::with(|tape| tape.op(tape.node(self.slot)).symbol(&tape.data))
    }

    pub fn is_leaf(&self) -> bool {
        tape::with(|tape| matches!(tape.op(tape.node(self.slot)), Op::Leaf))
    }

    /// The values this one was computed from, in order (`a` then `b` for
    /// `a - b`; `w0, x0, w1, x1, ..., b` for a neuron).
    pub fn inputs(&self) -> Vec<Value> {
        tape::with(|tape| {
            let inputs = tape.op(tape.node(self.slot)).inputs();
            inputs
                .into_iter()
                .map(|id| Value::retained(tape, id))
                .collect()
        })
    }

    /// For each input, d(self)/d(input) at the current data: the factor by
    /// which backward multiplies this node's grad before adding it to the
    /// input's. In the order of [`Value::inputs`], less the data inputs of a
    /// neuron made by [`MLP::forward_data`](crate::nn::MLP::forward_data).
    pub fn local_grads(&self) -> Vec<(Value, f64)> {
        tape::with(|tape| {
            let id = tape.node(self.slot);
            let op = tape.op(id);
            let local_grads = match op.local_grads(tape.data[id as usize], &tape.data) {
                LocalGrads::None => vec![],
                LocalGrads::One(a, da) => vec![(a, da)],
                LocalGrads::Two(a, da, b, db) => vec![(a, da), (b, db)],
                LocalGrads::LogSumExp(first, n) => {
                    let out = tape.data[id as usize];
                    (first..first + n)
                        .map(|x| (x, (tape.data[x as usize] - out).exp()))
                        .collect()
                }
                LocalGrads::Neuron(derivative) => {
                    let Op::Neuron(neuron) = op else {
                        unreachable!("only a neuron has a neuron's local grads")
                    };
                    let mut local_grads = Vec::with_capacity(2 * neuron.n as usize + 1);
                    for (w, x) in neuron.weight_ids().zip(neuron.input_ids()) {
                        local_grads.push((w as NodeId, tape.data[x] * derivative));
                        if neuron.input_grads {
                            local_grads.push((x as NodeId, tape.data[w] * derivative));
                        }
                    }
                    local_grads.push((neuron.bias, derivative));
                    local_grads
                }
            };
            local_grads
                .into_iter()
                .map(|(input, local)| (Value::retained(tape, input), local))
                .collect()
        })
    }

    /// What made this value: its op, with a power's exponent and a
    /// neuron's size and activation, for the teaching views to describe.
    pub fn op_kind(&self) -> OpKind {
        tape::with(|tape| {
            let data = |id: NodeId| tape.data[id as usize];
            match tape.op(tape.node(self.slot)) {
                Op::Leaf => OpKind::Leaf,
                Op::Add(..) => OpKind::Add,
                Op::Mul(..) => OpKind::Mul,
                Op::Neg(..) => OpKind::Neg,
                Op::Pow(_, exponent) => OpKind::Pow(data(exponent)),
                Op::PowValue(..) => OpKind::PowValue,
                Op::Tanh(..) => OpKind::Tanh,
                Op::Relu(..) => OpKind::Relu,
                Op::Exp(..) => OpKind::Exp,
                Op::Log(..) => OpKind::Log,
                Op::Sigmoid(..) => OpKind::Sigmoid,
                Op::Neuron(neuron) => OpKind::Neuron {
                    n: neuron.n as usize,
                    activation: neuron.activation,
                    input_grads: neuron.input_grads,
                },
                Op::LogSumExp(_, n) => OpKind::LogSumExp(n as usize),
            }
        })
    }

    /// The nodes [`Value::backward`] visits, in the order it visits them:
    /// this value first, then each node after all the nodes that use it.
    pub fn backward_order(&self) -> Vec<Value> {
        tape::with(|tape| {
            let order = visit_order(tape, tape.node(self.slot));
            order
                .into_iter()
                .map(|id| Value::retained(tape, id))
                .collect()
        })
    }
}

/// What made a value, without the ids of its inputs: [`Value::op_kind`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OpKind {
    Leaf,
    Add,
    Mul,
    Neg,
    /// `a ** n` for the number `n`.
    Pow(f64),
    /// `a ** b`, `b` a value.
    PowValue,
    Tanh,
    Relu,
    Exp,
    Log,
    Sigmoid,
    /// `activation(b + w0*x0 + ...)` over `n` weights; `input_grads` false
    /// when its inputs are data, to which it passes no grads.
    Neuron {
        n: usize,
        activation: Activation,
        input_grads: bool,
    },
    /// `log(e^x0 + ...)` over `n` values.
    LogSumExp(usize),
}

impl Op {
    /// The op as people write it: `+`, `*`, `**2`, `tanh`; empty for a leaf.
    pub fn symbol(self, data: &[f64]) -> String {
        let symbol = match self {
            Op::Leaf => "",
            Op::Add(..) => "+",
            Op::Mul(..) => "*",
            Op::Neg(..) => "neg",
            Op::Pow(_, exponent) => return format!("**{}", data[exponent as usize]),
            Op::PowValue(..) => "**",
            Op::Tanh(..) => "tanh",
            Op::Relu(..) => "relu",
            Op::Exp(..) => "exp",
            Op::Log(..) => "log",
            Op::Sigmoid(..) => "sigmoid",
            Op::LogSumExp(..) => "logsumexp",
            Op::Neuron(neuron) => match neuron.activation {
                Activation::Linear => "w·x+b",
                Activation::Relu => "relu(w·x+b)",
                Activation::Tanh => "tanh(w·x+b)",
                Activation::Sigmoid => "sigmoid(w·x+b)",
            },
        };
        symbol.to_string()
    }

    /// The ids of the op's inputs, in order; a power's exponent is part of the op,
    /// not an input. A neuron's are `w0, x0, w1, x1, ..., b`.
    pub fn inputs(self) -> Vec<NodeId> {
        match self {
            Op::Leaf => vec![],
            Op::Add(a, b) | Op::Mul(a, b) | Op::PowValue(a, b) => vec![a, b],
            Op::Neg(a)
            | Op::Pow(a, _)
            | Op::Tanh(a)
            | Op::Relu(a)
            | Op::Exp(a)
            | Op::Log(a)
            | Op::Sigmoid(a) => vec![a],
            Op::LogSumExp(first, n) => (first..first + n).collect(),
            Op::Neuron(neuron) => {
                let mut ids = Vec::with_capacity(2 * neuron.n as usize + 1);
                for (w, x) in neuron.weight_ids().zip(neuron.input_ids()) {
                    ids.extend([w as NodeId, x as NodeId]);
                }
                ids.push(neuron.bias);
                ids
            }
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
