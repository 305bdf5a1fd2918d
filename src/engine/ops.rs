//! The operations: what each one computes going forward, and its derivative
//! going backward, side by side.
//!
//! The set of ops is closed, so it is an enum that owns its inputs' ids; the
//! forward pass is [`Op::eval`] and the backward pass asks [`Op::local_grads`]
//! for the chain rule's local factor of each input.

use super::tape::{Node, NodeId};

/// The operation that produced a node, holding the ids of its inputs.
/// Inputs always have smaller ids than the node itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    /// A value made directly, not computed: an input, a weight, a constant.
    Leaf,
    Add(NodeId, NodeId),
    Sub(NodeId, NodeId),
    Mul(NodeId, NodeId),
    Div(NodeId, NodeId),
    Neg(NodeId),
    /// Raise to a constant power, held by the second node: a leaf that only this op uses.
    Pow(NodeId, NodeId),
    Tanh(NodeId),
    Relu(NodeId),
    Exp(NodeId),
    Log(NodeId),
    Sigmoid(NodeId),
}

/// An [`Op`] as the tape stores it: 4 bits of kind, then two 30-bit input ids,
/// in one u64, so that a node (data and op) is 16 bytes and a training step's
/// graph stays in the processor's cache. Code reads it back as an `Op`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PackedOp(u64);

const KIND_BITS: u32 = 4;
const ID_BITS: u32 = 30;
/// How many nodes a tape can hold: ids must fit in 30 bits.
pub(crate) const MAX_NODES: usize = 1 << ID_BITS;

impl PackedOp {
    #[inline(always)]
    pub fn pack(op: Op) -> PackedOp {
        let (kind, a, b) = match op {
            Op::Leaf => (0, 0, 0),
            Op::Add(a, b) => (1, a, b),
            Op::Sub(a, b) => (2, a, b),
            Op::Mul(a, b) => (3, a, b),
            Op::Div(a, b) => (4, a, b),
            Op::Neg(a) => (5, a, 0),
            Op::Pow(a, exponent) => (6, a, exponent),
            Op::Tanh(a) => (7, a, 0),
            Op::Relu(a) => (8, a, 0),
            Op::Exp(a) => (9, a, 0),
            Op::Log(a) => (10, a, 0),
            Op::Sigmoid(a) => (11, a, 0),
        };
        PackedOp(kind | (a as u64) << KIND_BITS | (b as u64) << (KIND_BITS + ID_BITS))
    }

    #[inline(always)]
    pub fn unpack(self) -> Op {
        let a = ((self.0 >> KIND_BITS) & ((1 << ID_BITS) - 1)) as NodeId;
        let b = (self.0 >> (KIND_BITS + ID_BITS)) as NodeId;
        match self.0 & ((1 << KIND_BITS) - 1) {
            0 => Op::Leaf,
            1 => Op::Add(a, b),
            2 => Op::Sub(a, b),
            3 => Op::Mul(a, b),
            4 => Op::Div(a, b),
            5 => Op::Neg(a),
            6 => Op::Pow(a, b),
            7 => Op::Tanh(a),
            8 => Op::Relu(a),
            9 => Op::Exp(a),
            10 => Op::Log(a),
            11 => Op::Sigmoid(a),
            _ => unreachable!("packed ops hold kinds 0 to 11"),
        }
    }
}

/// For each input of a node, d(node)/d(input): the factor the chain rule
/// multiplies the node's grad by before adding it to the input's grad.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum LocalGrads {
    None,
    One(NodeId, f64),
    Two(NodeId, f64, NodeId, f64),
}

impl Op {
    /// Forward: the node's value from the values of its inputs.
    #[inline(always)]
    pub fn eval(self, nodes: &[Node]) -> f64 {
        let data = |id: NodeId| nodes[id as usize].data;
        match self {
            Op::Leaf => unreachable!("a leaf is made with a value, not computed"),
            Op::Add(a, b) => data(a) + data(b),
            Op::Sub(a, b) => data(a) - data(b),
            Op::Mul(a, b) => data(a) * data(b),
            Op::Div(a, b) => data(a) / data(b),
            Op::Neg(a) => -data(a),
            Op::Pow(a, exponent) => data(a).powf(data(exponent)),
            // libm's tanh saturates to ±1; micrograd's (e^2x - 1)/(e^2x + 1) gives NaN past |x| = 355
            Op::Tanh(a) => data(a).tanh(),
            // as micrograd: 0 if x < 0 else x
            Op::Relu(a) => {
                let x = data(a);
                if x < 0.0 { 0.0 } else { x }
            }
            Op::Exp(a) => data(a).exp(),
            Op::Log(a) => data(a).ln(),
            // exp only ever sees a non-positive argument, so it cannot overflow
            Op::Sigmoid(a) => {
                let x = data(a);
                if x >= 0.0 {
                    1.0 / (1.0 + (-x).exp())
                } else {
                    let e = x.exp();
                    e / (1.0 + e)
                }
            }
        }
    }

    /// Backward: d(out)/d(input) for each input, where `out` is this op's result.
    #[inline(always)]
    pub fn local_grads(self, out: f64, nodes: &[Node]) -> LocalGrads {
        let data = |id: NodeId| nodes[id as usize].data;
        match self {
            Op::Leaf => LocalGrads::None,
            // d(a + b)/da = 1, d(a + b)/db = 1
            Op::Add(a, b) => LocalGrads::Two(a, 1.0, b, 1.0),
            // d(a - b)/da = 1, d(a - b)/db = -1
            Op::Sub(a, b) => LocalGrads::Two(a, 1.0, b, -1.0),
            // d(a * b)/da = b, d(a * b)/db = a
            Op::Mul(a, b) => LocalGrads::Two(a, data(b), b, data(a)),
            // d(a / b)/da = 1/b, d(a / b)/db = -a/b^2
            Op::Div(a, b) => {
                let (x, y) = (data(a), data(b));
                LocalGrads::Two(a, 1.0 / y, b, -x / (y * y))
            }
            // d(-a)/da = -1
            Op::Neg(a) => LocalGrads::One(a, -1.0),
            // d(a^n)/da = n * a^(n-1)
            Op::Pow(a, exponent) => {
                let n = data(exponent);
                LocalGrads::One(a, n * data(a).powf(n - 1.0))
            }
            // d tanh(a)/da = 1 - tanh(a)^2
            Op::Tanh(a) => LocalGrads::One(a, 1.0 - out * out),
            // d relu(a)/da = 1 if relu(a) > 0 else 0
            Op::Relu(a) => LocalGrads::One(a, if out > 0.0 { 1.0 } else { 0.0 }),
            // d e^a/da = e^a
            Op::Exp(a) => LocalGrads::One(a, out),
            // d ln(a)/da = 1/a
            Op::Log(a) => LocalGrads::One(a, 1.0 / data(a)),
            // d sigmoid(a)/da = sigmoid(a) * (1 - sigmoid(a))
            Op::Sigmoid(a) => LocalGrads::One(a, out * (1.0 - out)),
        }
    }

    /// `local_grads` as people write it, one formula per input, in terms of the
    /// node's inputs `{a}` and `{b}`, its own data `{out}`, and a power's `{n}`.
    pub fn local_grad_formulas(self) -> &'static [&'static str] {
        match self {
            Op::Leaf => &[],
            Op::Add(..) => &["1", "1"],
            Op::Sub(..) => &["1", "-1"],
            Op::Mul(..) => &["{b}", "{a}"],
            Op::Div(..) => &["1/{b}", "-{a}/{b}**2"],
            Op::Neg(..) => &["-1"],
            Op::Pow(..) => &["{n} * {a}**({n}-1)"],
            Op::Tanh(..) => &["(1 - {out}**2)"],
            Op::Relu(..) => &["({out} > 0)"],
            Op::Exp(..) => &["{out}"],
            Op::Log(..) => &["1/{a}"],
            Op::Sigmoid(..) => &["{out} * (1 - {out})"],
        }
    }

    /// The op as people write it: `+`, `*`, `**2`, `tanh`; empty for a leaf.
    pub fn symbol(self, nodes: &[Node]) -> String {
        let symbol = match self {
            Op::Leaf => "",
            Op::Add(..) => "+",
            Op::Sub(..) => "-",
            Op::Mul(..) => "*",
            Op::Div(..) => "/",
            Op::Neg(..) => "neg",
            Op::Pow(_, exponent) => return format!("**{}", nodes[exponent as usize].data),
            Op::Tanh(..) => "tanh",
            Op::Relu(..) => "relu",
            Op::Exp(..) => "exp",
            Op::Log(..) => "log",
            Op::Sigmoid(..) => "sigmoid",
        };
        symbol.to_string()
    }

    /// The ids of the op's inputs, in order; a power's exponent is part of the op, not an input.
    pub fn inputs(self) -> Vec<NodeId> {
        match self {
            Op::Leaf => vec![],
            Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Div(a, b) => vec![a, b],
            Op::Neg(a)
            | Op::Pow(a, _)
            | Op::Tanh(a)
            | Op::Relu(a)
            | Op::Exp(a)
            | Op::Log(a)
            | Op::Sigmoid(a) => vec![a],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_keeps_every_op_and_the_largest_ids() {
        let (a, b) = ((MAX_NODES - 1) as NodeId, (MAX_NODES - 2) as NodeId);
        let ops = [
            Op::Leaf,
            Op::Add(a, b),
            Op::Sub(b, a),
            Op::Mul(0, a),
            Op::Div(a, 0),
            Op::Neg(a),
            Op::Pow(a, b),
            Op::Tanh(a),
            Op::Relu(b),
            Op::Exp(1),
            Op::Log(a),
            Op::Sigmoid(a),
        ];
        for op in ops {
            assert_eq!(PackedOp::pack(op).unpack(), op);
        }
        assert_eq!(std::mem::size_of::<PackedOp>(), 8);
    }
}
