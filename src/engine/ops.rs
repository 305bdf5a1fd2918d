//! The operations: what each one computes going forward, and its derivative
//! going backward, side by side.
//!
//! The set of ops is closed, so it is an enum that owns its inputs' ids; the
//! forward pass is [`Op::eval`] and the backward pass asks [`Op::local_grads`]
//! for the chain rule's local factor of each input.
//!
//! One op has many inputs: [`Op::Neuron`], a whole neuron
//! `activation(b + w0*x0 + w1*x1 + ...)` as one node. It exists for speed (one
//! node instead of two per weight); the backward sweep runs its derivative as
//! tight loops over slices (`backward.rs`).

/// Index of a node in the tape.
pub(crate) type NodeId = u32;

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
    /// A neuron: `activation(((bias + w0*x0) + w1*x1) + ...)`, summed in that order.
    Neuron(NeuronOp),
    /// `log(e^x0 + e^x1 + ...)` over the `n` consecutive nodes from the first
    /// id (the second is `n`): a softmax's normaliser.
    LogSumExp(NodeId, u32),
}

/// A neuron's operands. Its weights are `n` consecutive nodes from `weights`,
/// its inputs `n` consecutive nodes from `inputs`: that is how a layer's
/// weights and the previous layer's outputs lie on the tape, and it lets the
/// sweep treat them as slices.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct NeuronOp {
    pub bias: NodeId,
    pub weights: NodeId,
    pub inputs: NodeId,
    pub n: u32,
    pub activation: Activation,
    /// Pass grads on to the inputs; off when they are data, whose grads no
    /// one reads (as a tensor without `requires_grad`).
    pub input_grads: bool,
}

impl NeuronOp {
    pub fn weight_ids(&self) -> std::ops::Range<usize> {
        self.weights as usize..(self.weights + self.n) as usize
    }

    pub fn input_ids(&self) -> std::ops::Range<usize> {
        self.inputs as usize..(self.inputs + self.n) as usize
    }
}

/// The nonlinearity a neuron applies to its weighted sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Relu,
    Tanh,
    Sigmoid,
    Linear,
}

impl Activation {
    /// Forward, on a plain number: the same formulas as `Op::Relu`, `Op::Tanh`
    /// and `Op::Sigmoid`, so a neuron node gives the bits the separate ops would.
    #[inline(always)]
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Activation::Relu => relu(x),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => sigmoid(x),
            Activation::Linear => x,
        }
    }

    /// Backward: d(out)/d(x) from the output `out`, as the separate ops compute it.
    #[inline(always)]
    pub fn derivative(self, out: f64) -> f64 {
        match self {
            Activation::Relu => relu_derivative(out),
            Activation::Tanh => 1.0 - out * out,
            Activation::Sigmoid => out * (1.0 - out),
            Activation::Linear => 1.0,
        }
    }

    /// The derivative as `local_grad_formulas` writes it.
    fn derivative_formula(self) -> &'static str {
        match self {
            Activation::Relu => "({out} > 0)",
            Activation::Tanh => "(1 - {out}**2)",
            Activation::Sigmoid => "{out} * (1 - {out})",
            Activation::Linear => "1",
        }
    }
}

/// as micrograd: 0 if x < 0 else x
#[inline(always)]
fn relu(x: f64) -> f64 {
    if x < 0.0 { 0.0 } else { x }
}

/// d relu(a)/da = 1 if relu(a) > 0 else 0
#[inline(always)]
fn relu_derivative(out: f64) -> f64 {
    if out > 0.0 { 1.0 } else { 0.0 }
}

/// `1 / (1 + e^-x)`: exp only ever sees a non-positive argument, so it cannot overflow
#[inline(always)]
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// An [`Op`] as the tape stores it: 4 bits of kind, then two 30-bit input ids,
/// in one u64, so that a node (data and op) is 16 bytes and a training step's
/// graph stays in the processor's cache. A neuron's operands do not fit: its
/// packed op holds the index of a [`NeuronOp`] in the tape's neuron table.
/// Two kinds mark a node under which backward can take a shortcut (a row of
/// data, a block of neurons); they read back as a leaf and a neuron.
/// Code reads it back as an `Op`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PackedOp(u64);

const KIND_BITS: u32 = 4;
const ID_BITS: u32 = 30;
/// How many nodes a tape can hold: ids must fit in 30 bits.
pub(crate) const MAX_NODES: usize = 1 << ID_BITS;
/// The kinds that are not an `Op`'s own: a neuron, and the two marks.
const NEURON: u64 = 12;
const BLOCK_TOP: u64 = 14;
const DATA_ROW: u64 = 15;
/// `kind & NEURON_MASK == NEURON` for a neuron, marked or not.
const NEURON_MASK: u64 = 0b1101;
/// The most rows a block of neurons can have: its mark holds them in 4 bits,
/// its width in the 26 above.
pub(crate) const MAX_BLOCK_ROWS: usize = 15;

impl PackedOp {
    /// Packs `op`; a neuron's packed op is `PackedOp::neuron` instead.
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
            Op::Neuron(_) => unreachable!("a neuron is packed with PackedOp::neuron"),
            Op::LogSumExp(first, n) => (13, first, n),
        };
        PackedOp(kind | (a as u64) << KIND_BITS | (b as u64) << (KIND_BITS + ID_BITS))
    }

    #[inline(always)]
    fn kind(self) -> u64 {
        self.0 & ((1 << KIND_BITS) - 1)
    }

    /// A neuron node's op: the index of its operands in the tape's neuron table.
    #[inline(always)]
    pub fn neuron(index: usize) -> PackedOp {
        PackedOp(NEURON | (index as u64) << KIND_BITS)
    }

    /// A neuron node's op that also marks it as the newest node of a block:
    /// `rows` rows of a layer's `width` neurons, row after row, as
    /// `push_network` lays out a group. Backward then runs the whole block at
    /// once. Unmarked (unchanged) when the block does not fit in the mark.
    #[inline(always)]
    pub fn with_block(self, rows: usize, width: usize) -> PackedOp {
        if self.kind() == NEURON && (1..=MAX_BLOCK_ROWS).contains(&rows) && width < 1 << 26 {
            let mark = ((rows | width << 4) as u64) << (KIND_BITS + ID_BITS);
            PackedOp((self.0 - NEURON + BLOCK_TOP) | mark)
        } else {
            self
        }
    }

    /// `(rows, width)` of the block this neuron node tops (`with_block`), if it does.
    #[inline(always)]
    pub fn block(self) -> Option<(usize, usize)> {
        let mark = (self.0 >> (KIND_BITS + ID_BITS)) as usize;
        (self.kind() == BLOCK_TOP).then_some((mark & 15, mark >> 4))
    }

    /// A leaf: the newest of a row of data leaves, with `below` more under
    /// it. No grad ever reaches a row's leaves (they are the inputs of a
    /// first layer that passes them none, and have no handles), so backward
    /// steps over the row in one go. It unpacks to `Op::Leaf`.
    #[inline(always)]
    pub fn data_row(below: usize) -> PackedOp {
        PackedOp(DATA_ROW | (below as u64) << KIND_BITS)
    }

    /// How many data leaves lie under this one, the newest of a row; 0 for
    /// any other node.
    #[inline(always)]
    pub fn data_below(self) -> usize {
        if self.kind() == DATA_ROW {
            (self.0 >> KIND_BITS) as usize
        } else {
            0
        }
    }

    /// Whether this op marks a shortcut for backward: `data_row` or `with_block`.
    #[inline(always)]
    pub fn is_marked(self) -> bool {
        self.kind() >= BLOCK_TOP
    }

    /// Whether this is a leaf's op.
    #[inline(always)]
    pub fn is_leaf(self) -> bool {
        self.kind() == 0 || self.kind() == DATA_ROW
    }

    /// Where a neuron node's operands are in the tape's neuron table; `None`
    /// for any other op.
    #[inline(always)]
    pub fn neuron_index(self) -> Option<usize> {
        (self.kind() & NEURON_MASK == NEURON)
            .then_some(((self.0 >> KIND_BITS) & ((1 << ID_BITS) - 1)) as usize)
    }

    /// The op, with a neuron's operands looked up in `neurons`.
    #[inline(always)]
    pub fn unpack(self, neurons: &[(NodeId, NeuronOp)]) -> Op {
        self.unpack_into(neurons, |op| op)
    }

    /// `f(op)` for the op this unpacks to. Each kind's arm calls `f` with its
    /// own variant, so once `f` is inlined the match on the op inside it folds
    /// away: the reverse sweep dispatches once per node, not twice.
    #[inline(always)]
    pub fn unpack_into<R>(self, neurons: &[(NodeId, NeuronOp)], f: impl FnOnce(Op) -> R) -> R {
        let a = ((self.0 >> KIND_BITS) & ((1 << ID_BITS) - 1)) as NodeId;
        let b = (self.0 >> (KIND_BITS + ID_BITS)) as NodeId;
        match self.kind() {
            0 | DATA_ROW => f(Op::Leaf),
            1 => f(Op::Add(a, b)),
            2 => f(Op::Sub(a, b)),
            3 => f(Op::Mul(a, b)),
            4 => f(Op::Div(a, b)),
            5 => f(Op::Neg(a)),
            6 => f(Op::Pow(a, b)),
            7 => f(Op::Tanh(a)),
            8 => f(Op::Relu(a)),
            9 => f(Op::Exp(a)),
            10 => f(Op::Log(a)),
            11 => f(Op::Sigmoid(a)),
            NEURON | BLOCK_TOP => f(Op::Neuron(neurons[a as usize].1)),
            13 => f(Op::LogSumExp(a, b)),
            _ => unreachable!("packed ops hold kinds 0 to 15"),
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
    /// A neuron: d(out)/d(bias) is this factor (the activation's derivative);
    /// d(out)/d(w_i) is `x_i` times it, d(out)/d(x_i) is `w_i` times it.
    Neuron(f64),
    /// `n` consecutive inputs from the first: d(out)/d(x_i) = e^(x_i - out).
    LogSumExp(NodeId, u32),
}

impl Op {
    /// Forward: the node's value from the values of its inputs.
    #[inline(always)]
    pub fn eval(self, data: &[f64]) -> f64 {
        let values = data;
        let data = |id: NodeId| values[id as usize];
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
            Op::Relu(a) => relu(data(a)),
            Op::Exp(a) => data(a).exp(),
            Op::Log(a) => data(a).ln(),
            Op::Sigmoid(a) => sigmoid(data(a)),
            // b + w0*x0 + w1*x1 + ..., left to right as micrograd sums, then the activation
            Op::Neuron(neuron) => {
                let weights = &values[neuron.weight_ids()];
                let inputs = &values[neuron.input_ids()];
                let mut sum = data(neuron.bias);
                for (w, x) in weights.iter().zip(inputs) {
                    sum += w * x;
                }
                neuron.activation.eval(sum)
            }
            // max + log(sum(e^(x - max))): the largest term is e^0, so exp never overflows
            Op::LogSumExp(first, n) => {
                let xs = &values[first as usize..(first + n) as usize];
                let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = xs.iter().map(|x| (x - max).exp()).sum();
                max + sum.ln()
            }
        }
    }

    /// Backward: d(out)/d(input) for each input, where `out` is this op's result.
    #[inline(always)]
    pub fn local_grads(self, out: f64, data: &[f64]) -> LocalGrads {
        let values = data;
        let data = |id: NodeId| values[id as usize];
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
            Op::Relu(a) => LocalGrads::One(a, relu_derivative(out)),
            // d e^a/da = e^a
            Op::Exp(a) => LocalGrads::One(a, out),
            // d ln(a)/da = 1/a
            Op::Log(a) => LocalGrads::One(a, 1.0 / data(a)),
            // d sigmoid(a)/da = sigmoid(a) * (1 - sigmoid(a))
            Op::Sigmoid(a) => LocalGrads::One(a, out * (1.0 - out)),
            // out = act(s), s = b + sum_i w_i*x_i:
            // d out/db = act'(s), d out/dw_i = x_i * act'(s), d out/dx_i = w_i * act'(s)
            Op::Neuron(neuron) => LocalGrads::Neuron(neuron.activation.derivative(out)),
            // d/dx_i log(sum_j e^x_j) = e^x_i / sum_j e^x_j = e^(x_i - out): the softmax
            Op::LogSumExp(first, n) => LocalGrads::LogSumExp(first, n),
        }
    }

    /// `local_grads` as people write it, one formula per input, in terms of the
    /// node's inputs `{a}` and `{b}`, its own data `{out}`, and a power's `{n}`;
    /// a neuron's name its weights and inputs `w0`, `x0`, ... In the order of
    /// `inputs`, less a neuron's data inputs (see `NeuronOp::input_grads`).
    pub fn local_grad_formulas(self) -> Vec<String> {
        let formulas: &[&str] = match self {
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
            Op::LogSumExp(_, n) => {
                return (0..n)
                    .map(|i| format!("exp(x{i}.data - {{out}})"))
                    .collect();
            }
            Op::Neuron(neuron) => {
                let derivative = neuron.activation.derivative_formula();
                let mut formulas = Vec::with_capacity(2 * neuron.n as usize + 1);
                for i in 0..neuron.n {
                    formulas.push(format!("x{i}.data * {derivative}"));
                    if neuron.input_grads {
                        formulas.push(format!("w{i}.data * {derivative}"));
                    }
                }
                formulas.push(derivative.to_string());
                return formulas;
            }
        };
        formulas.iter().map(|formula| formula.to_string()).collect()
    }

    /// The op as people write it: `+`, `*`, `**2`, `tanh`; empty for a leaf.
    pub fn symbol(self, data: &[f64]) -> String {
        let symbol = match self {
            Op::Leaf => "",
            Op::Add(..) => "+",
            Op::Sub(..) => "-",
            Op::Mul(..) => "*",
            Op::Div(..) => "/",
            Op::Neg(..) => "neg",
            Op::Pow(_, exponent) => return format!("**{}", data[exponent as usize]),
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
            Op::Add(a, b) | Op::Sub(a, b) | Op::Mul(a, b) | Op::Div(a, b) => vec![a, b],
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

    /// Calls `f` on every node id the op holds (a power's exponent too), and
    /// returns the op with each id replaced by what `f` gave for it. A neuron's
    /// runs of weights and inputs are mapped by their first id: `f` must map a
    /// run of consecutive ids to consecutive ids.
    pub fn map_ids(self, mut f: impl FnMut(NodeId) -> NodeId) -> Op {
        match self {
            Op::Leaf => Op::Leaf,
            Op::Add(a, b) => Op::Add(f(a), f(b)),
            Op::Sub(a, b) => Op::Sub(f(a), f(b)),
            Op::Mul(a, b) => Op::Mul(f(a), f(b)),
            Op::Div(a, b) => Op::Div(f(a), f(b)),
            Op::Neg(a) => Op::Neg(f(a)),
            Op::Pow(a, exponent) => Op::Pow(f(a), f(exponent)),
            Op::Tanh(a) => Op::Tanh(f(a)),
            Op::Relu(a) => Op::Relu(f(a)),
            Op::Exp(a) => Op::Exp(f(a)),
            Op::Log(a) => Op::Log(f(a)),
            Op::Sigmoid(a) => Op::Sigmoid(f(a)),
            Op::LogSumExp(first, n) => Op::LogSumExp(f(first), n),
            Op::Neuron(neuron) => Op::Neuron(NeuronOp {
                bias: f(neuron.bias),
                weights: f(neuron.weights),
                inputs: f(neuron.inputs),
                ..neuron
            }),
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
            Op::LogSumExp(a, b),
        ];
        for op in ops {
            assert_eq!(PackedOp::pack(op).unpack(&[]), op);
        }
        let neuron = NeuronOp {
            bias: a,
            weights: 0,
            inputs: b,
            n: 1,
            activation: Activation::Tanh,
            input_grads: true,
        };
        let table = vec![(0, neuron); MAX_NODES.min(3)];
        assert_eq!(PackedOp::neuron(2).unpack(&table), Op::Neuron(neuron));
        assert_eq!(std::mem::size_of::<PackedOp>(), 8);
        assert_eq!(PackedOp::data_row(63).unpack(&table), Op::Leaf);
        assert!(PackedOp::data_row(63).is_leaf());
        assert_eq!(PackedOp::data_row(63).data_below(), 63);
        assert_eq!(PackedOp::pack(Op::Leaf).data_below(), 0);
        assert_eq!(PackedOp::pack(Op::Add(5, 7)).data_below(), 0);
        assert_eq!(PackedOp::neuron(9).data_below(), 0);
        // a block's mark leaves the neuron as it was
        let top = PackedOp::neuron(MAX_NODES - 1).with_block(8, (1 << 26) - 1);
        assert_eq!(top.block(), Some((8, (1 << 26) - 1)));
        assert_eq!(top.neuron_index(), Some(MAX_NODES - 1));
        assert_eq!(
            PackedOp::neuron(2).with_block(3, 4).unpack(&table),
            Op::Neuron(neuron)
        );
        assert_eq!(PackedOp::neuron(2).block(), None);
        // only neurons take one, and only one that fits
        assert_eq!(PackedOp::neuron(2).with_block(16, 4).block(), None);
        assert_eq!(PackedOp::neuron(2).with_block(8, 1 << 26).block(), None);
        assert_eq!(PackedOp::pack(Op::Add(5, 7)).with_block(8, 4).block(), None);
    }
}
