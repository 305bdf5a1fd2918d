//! The operations: what each one computes going forward, and its derivative
//! going backward, side by side.
//!
//! The set of ops is closed, so it is an enum that owns its inputs' ids; the
//! forward pass is [`Op::eval`] and the backward pass asks [`Op::local_grads`]
//! for the chain rule's local factor of each input.
//!
//! As in micrograd, `a - b` is `a + (-b)` and `a / b` is `a * b**-1`: they
//! are built from these ops in `value.rs`, not ops of their own.
//!
//! One op has many inputs: [`Op::Neuron`], a whole neuron
//! `activation(b + w0*x0 + w1*x1 + ...)` as one node. It exists for speed (one
//! node instead of two per weight); `fast/` runs its derivative as tight
//! loops over slices.

/// Index of a node in the tape.
pub(crate) type NodeId = u32;

/// The operation that produced a node, holding the ids of its inputs.
/// Inputs always have smaller ids than the node itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    /// A value made directly, not computed: an input, a weight, a constant.
    Leaf,
    Add(NodeId, NodeId),
    Mul(NodeId, NodeId),
    /// `-a`: micrograd's `a * -1`, the same bits in one node instead of two.
    Neg(NodeId),
    /// `a ** n` for a number `n` (micrograd's only power), held by the second
    /// node: a leaf that only this op uses, and no input of it.
    Pow(NodeId, NodeId),
    /// `a ** b` where the exponent `b` is a value too, with a grad of its own.
    PowValue(NodeId, NodeId),
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
    /// The name configs and model files spell it with: `relu`, `tanh`,
    /// `sigmoid`, `linear`.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Linear => "linear",
        }
    }

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
            Op::Mul(a, b) => data(a) * data(b),
            Op::Neg(a) => -data(a),
            Op::Pow(a, exponent) => data(a).powf(data(exponent)),
            Op::PowValue(a, b) => data(a).powf(data(b)),
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
            // d(a * b)/da = b, d(a * b)/db = a
            Op::Mul(a, b) => LocalGrads::Two(a, data(b), b, data(a)),
            // d(-a)/da = -1
            Op::Neg(a) => LocalGrads::One(a, -1.0),
            // d(a^n)/da = n * a^(n-1)
            Op::Pow(a, exponent) => {
                let n = data(exponent);
                LocalGrads::One(a, n * data(a).powf(n - 1.0))
            }
            // d(a^b)/da = b * a^(b-1), d(a^b)/db = a^b * ln(a); as PyTorch,
            // 0 for a when b = 0 and for b when a = 0 and b >= 0 (where the
            // formulas give NaN; a negative base still gives NaN for b)
            Op::PowValue(a, b) => {
                let (x, y) = (data(a), data(b));
                let da = if y == 0.0 { 0.0 } else { y * x.powf(y - 1.0) };
                let db = if x == 0.0 && y >= 0.0 {
                    0.0
                } else {
                    out * x.ln()
                };
                LocalGrads::Two(a, da, b, db)
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
}

/// The chain rule for one node of grad `grad` and data `out`:
/// input.grad += d(node)/d(input) * node.grad
#[inline(always)]
pub(crate) fn chain_rule(op: Op, grad: f64, out: f64, data: &[f64], grads: &mut [f64]) {
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
/// Each grad gets the same additions, in the same order, as from the `*` and
/// `+` nodes the operators build, so the bits are the same too: last term
/// first, the bias just before the first term. (`fast/sweep.rs` runs
/// this as two loops over slices when no node appears twice.)
pub(crate) fn neuron_backward(neuron: &NeuronOp, g: f64, data: &[f64], grads: &mut [f64]) {
    // The operator graph passes nothing on from a sum whose grad is 0.
    if g == 0.0 {
        return;
    }
    let (weights, inputs, bias) = (
        neuron.weight_ids(),
        neuron.input_ids(),
        neuron.bias as usize,
    );
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
