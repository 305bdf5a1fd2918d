//! `Value`: the handle users hold, made as leaves, read (`data`, `grad`),
//! combined by the ops and operators, and differentiated (`backward`). The
//! operators close the file: `-` and `/` are built from `+`, `neg`, `*` and
//! `**`, as in micrograd.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use super::backward;
use super::ops::{NeuronOp, Op};
use super::tape::{self, NodeId, SlotId, Tape};

pub use super::ops::Activation;

/// A scalar in the computation graph: its data, its gradient, and how it was made.
///
/// A `Value` is a small handle (a slot that holds a node's place on this
/// thread's tape), so cloning it is cheap and clones refer to the same node.
/// It cannot be sent to another thread: each thread builds its own graphs.
///
/// ```
/// use micrograd::Value;
///
/// let a = Value::with_label(-4.0, "a");
/// let b = Value::with_label(2.0, "b");
/// let c = (&a * &b + b.pow(3.0)).relu();
/// c.backward();
/// assert_eq!(c.data(), 0.0);
/// assert_eq!(a.grad(), 0.0);
/// ```
pub struct Value {
    pub(super) slot: SlotId,
    /// A raw pointer makes `Value` neither `Send` nor `Sync`: ids index a thread-local tape.
    _not_send: PhantomData<*const ()>,
}

/// One side of a binary op: a value already on the tape, or a plain number.
#[derive(Clone, Copy)]
enum Operand<'a> {
    Node(&'a Value),
    Const(f64),
}

impl Operand<'_> {
    /// The operand's node id; a number becomes a new leaf that lives as long as its user.
    #[inline(always)]
    fn node(self, tape: &mut Tape) -> NodeId {
        match self {
            Operand::Node(value) => tape.node(value.slot),
            Operand::Const(number) => tape.push(number, Op::Leaf),
        }
    }
}

impl Value {
    /// The constructor from micrograd-rs's first README, kept as it was:
    /// `Value::new(2.0, None, "x1".to_string(), None)`. The second argument is
    /// a starting gradient (zero when `None`); the fourth is unused.
    /// [`Value::leaf`] and [`Value::with_label`] say the same more briefly.
    pub fn new(data: f64, grad: Option<f64>, label: String, _unused: Option<()>) -> Value {
        let value = Value::leaf(data);
        if let Some(grad) = grad {
            value.set_grad(grad);
        }
        if !label.is_empty() {
            value.set_label(label);
        }
        value
    }

    /// A new unlabelled leaf: an input, a weight or a constant.
    #[inline]
    pub fn leaf(data: f64) -> Value {
        tape::with_new_nodes(|tape| {
            let id = tape.push(data, Op::Leaf);
            Value::retained(tape, id)
        })
    }

    /// A new leaf with a label, shown by the visualizer and in graphs.
    pub fn with_label(data: f64, label: impl Into<String>) -> Value {
        let value = Value::leaf(data);
        value.set_label(label);
        value
    }

    /// New leaves holding `data`, made one after another: the weights of a
    /// neuron made this way can be one [`Value::neuron`] node.
    pub fn leaves(data: &[f64]) -> Vec<Value> {
        tape::with_new_nodes(|tape| {
            let first = tape.len() as NodeId;
            tape.push_leaves(data);
            (first..tape.len() as NodeId)
                .map(|id| Value::retained(tape, id))
                .collect()
        })
    }

    #[inline]
    pub fn data(&self) -> f64 {
        tape::with(|tape| tape.data[tape.node(self.slot) as usize])
    }

    #[inline]
    pub fn grad(&self) -> f64 {
        tape::with(|tape| tape.grad(tape.node(self.slot)))
    }

    /// Changes the data of this node. Nodes computed from it earlier keep their data.
    #[inline]
    pub fn set_data(&self, data: f64) {
        tape::with(|tape| {
            let id = tape.node(self.slot);
            tape.data[id as usize] = data;
        });
    }

    #[inline]
    pub fn set_grad(&self, grad: f64) {
        tape::with(|tape| tape.set_grad(tape.node(self.slot), grad));
    }

    /// The label given with [`Value::with_label`] or [`Value::set_label`], if any.
    pub fn label(&self) -> Option<String> {
        tape::with(|tape| tape.label(tape.node(self.slot)).map(str::to_string))
    }

    pub fn set_label(&self, label: impl Into<String>) {
        let label = label.into();
        tape::with(|tape| tape.set_label(tape.node(self.slot), label));
    }

    /// `self` raised to a constant power. Its derivative is `n * self^(n-1)`.
    #[inline]
    pub fn pow(&self, exponent: f64) -> Value {
        tape::with_new_nodes(|tape| {
            let exponent = tape.push(exponent, Op::Leaf);
            Value::compute(tape, Op::Pow(tape.node(self.slot), exponent))
        })
    }

    /// `self` raised to the power `exponent`, a value too: both get grads.
    /// d/d(self) = `exponent * self^(exponent-1)`, d/d(exponent) =
    /// `self^exponent * ln(self)`; where these give NaN at a zero base or a
    /// zero exponent, the grad is 0, as PyTorch's. A negative base gives a
    /// NaN grad to the exponent, as it does in PyTorch.
    ///
    /// ```
    /// use micrograd::Value;
    ///
    /// let a = Value::leaf(2.0);
    /// let b = Value::leaf(3.0);
    /// let c = a.pow_value(&b);
    /// c.backward();
    /// assert_eq!(c.data(), 8.0);
    /// assert_eq!(a.grad(), 12.0);
    /// assert_eq!(b.grad(), 8.0 * 2f64.ln());
    /// ```
    #[inline]
    pub fn pow_value(&self, exponent: &Value) -> Value {
        Value::binary(Operand::Node(self), Operand::Node(exponent), Op::PowValue)
    }

    /// Hyperbolic tangent: within [-1, 1] and never NaN for a finite input.
    #[inline]
    pub fn tanh(&self) -> Value {
        self.unary(Op::Tanh)
    }

    /// `max(0, self)`, as micrograd: negative inputs give 0.
    #[inline]
    pub fn relu(&self) -> Value {
        self.unary(Op::Relu)
    }

    #[inline]
    pub fn exp(&self) -> Value {
        self.unary(Op::Exp)
    }

    /// Natural logarithm; NaN below zero and -inf at zero, as `f64::ln`.
    #[inline]
    pub fn log(&self) -> Value {
        self.unary(Op::Log)
    }

    /// `1 / (1 + e^-self)`, computed so that it never overflows.
    #[inline]
    pub fn sigmoid(&self) -> Value {
        self.unary(Op::Sigmoid)
    }

    /// Backpropagation: sets this value's grad to 1 and adds d(self)/d(leaf)
    /// to the grad of every leaf it depends on. Nodes in between are
    /// overwritten with d(self)/d(node). Runs in one pass with no recursion,
    /// so graphs of any depth are fine.
    #[inline]
    pub fn backward(&self) {
        tape::with(|tape| backward::backward(tape, tape.node(self.slot)));
    }

    /// A neuron: `activation(((bias + w0*x0) + w1*x1) + ...)`.
    ///
    /// Its data and the grads backward gives are bit for bit those of the
    /// same formula written with the operators. When the weights were made one
    /// after another, and so were the inputs (as [`nn::MLP`](crate::nn::MLP)
    /// makes them), it is one node whose backward runs as two loops over
    /// slices; otherwise it is built from the operators' `*` and `+` nodes.
    ///
    /// ```
    /// use micrograd::Value;
    /// use micrograd::nn::Activation;
    ///
    /// let w = [Value::leaf(-3.0), Value::leaf(1.0)];
    /// let x = [Value::leaf(2.0), Value::leaf(0.0)];
    /// let b = Value::leaf(6.881373587019543);
    /// let o = Value::neuron(&b, &w, &x, Activation::Tanh);
    /// o.backward();
    /// assert!((o.data() - 0.7071).abs() < 1e-4);
    /// assert!((w[0].grad() - 1.0).abs() < 1e-12);
    /// ```
    pub fn neuron(
        bias: &Value,
        weights: &[Value],
        inputs: &[Value],
        activation: Activation,
    ) -> Value {
        assert_eq!(weights.len(), inputs.len(), "one weight per input");
        let fused = tape::with_new_nodes(|tape| {
            if weights.is_empty() {
                return None;
            }
            let weights_start = run_start(tape, weights)?;
            let inputs_start = run_start(tape, inputs)?;
            let op = Op::Neuron(NeuronOp {
                bias: tape.node(bias.slot),
                weights: weights_start,
                inputs: inputs_start,
                n: weights.len() as u32,
                activation,
                input_grads: true,
            });
            Some(Value::compute(tape, op))
        });
        if let Some(fused) = fused {
            return fused;
        }
        let sum = weights
            .iter()
            .zip(inputs)
            .fold(bias.clone(), |sum, (w, x)| sum + w * x);
        activation.apply(&sum)
    }

    /// A neuron's weighted sum `((bias + w0*x0) + w1*x1) + ...`, in that order:
    /// [`Value::neuron`] with no activation.
    pub fn weighted_sum(bias: &Value, weights: &[Value], inputs: &[Value]) -> Value {
        Value::neuron(bias, weights, inputs, Activation::Linear)
    }

    /// `log(e^v0 + e^v1 + ...)`, computed so that it never overflows; its
    /// derivative with respect to each value is the softmax, `e^(v_i - out)`.
    /// One node when the values are consecutive (a layer's outputs are);
    /// otherwise built from `-`, `exp`, `+` and `log`. At least one value.
    pub fn logsumexp(values: &[Value]) -> Value {
        assert!(!values.is_empty(), "logsumexp of nothing");
        let fused = tape::with_new_nodes(|tape| {
            let first = run_start(tape, values)?;
            Some(Value::compute(
                tape,
                Op::LogSumExp(first, values.len() as u32),
            ))
        });
        if let Some(fused) = fused {
            return fused;
        }
        let max = values
            .iter()
            .map(Value::data)
            .fold(f64::NEG_INFINITY, f64::max);
        let sum_exp: Value = values.iter().map(|value| (value - max).exp()).sum();
        sum_exp.log() + max
    }

    /// Whether `values` are consecutive nodes, first to last: the weights of a
    /// [`Value::neuron`] that is one node.
    pub fn is_run(values: &[Value]) -> bool {
        tape::with(|tape| run_start(tape, values).is_some())
    }

    /// Pushes the node `op` computes and returns a handle to it.
    #[inline(always)]
    fn compute(tape: &mut Tape, op: Op) -> Value {
        let id = tape.push_op(op);
        Value::retained(tape, id)
    }

    #[inline(always)]
    fn unary(&self, op: impl FnOnce(NodeId) -> Op) -> Value {
        tape::with_new_nodes(|tape| Value::compute(tape, op(tape.node(self.slot))))
    }

    #[inline(always)]
    fn binary(lhs: Operand, rhs: Operand, op: impl FnOnce(NodeId, NodeId) -> Op) -> Value {
        tape::with_new_nodes(|tape| {
            let a = lhs.node(tape);
            let b = rhs.node(tape);
            Value::compute(tape, op(a, b))
        })
    }

    /// A new handle to a node: the only way a `Value` is made.
    #[inline(always)]
    pub(super) fn retained(tape: &mut Tape, id: NodeId) -> Value {
        Value {
            slot: tape.new_handle(id),
            _not_send: PhantomData,
        }
    }
}

impl Activation {
    /// Applies the activation with the engine's op for it (no node for `Linear`).
    pub fn apply(self, x: &Value) -> Value {
        match self {
            Activation::Relu => x.relu(),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Linear => x.clone(),
        }
    }

    /// micrograd's choice: ReLU on every layer but the last, which is linear.
    pub fn micrograd_default(n_layers: usize) -> Vec<Activation> {
        (0..n_layers)
            .map(|layer_idx| {
                if layer_idx + 1 == n_layers {
                    Activation::Linear
                } else {
                    Activation::Relu
                }
            })
            .collect()
    }
}

impl Clone for Value {
    #[inline]
    fn clone(&self) -> Value {
        tape::with(|tape| Value::retained(tape, tape.node(self.slot)))
    }
}

impl Drop for Value {
    #[inline]
    fn drop(&mut self) {
        tape::release(self.slot);
    }
}

impl From<f64> for Value {
    #[inline]
    fn from(data: f64) -> Value {
        Value::leaf(data)
    }
}

impl fmt::Debug for Value {
    /// `Value(data=2.0, grad=0.0)` as in micrograd, with the label when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (data, grad, label) = tape::with(|tape| {
            let id = tape.node(self.slot);
            (
                tape.data[id as usize],
                tape.grad(id),
                tape.label(id).map(str::to_string),
            )
        });
        match label {
            Some(label) => write!(f, "Value({label}: data={data:?}, grad={grad:?})"),
            None => write!(f, "Value(data={data:?}, grad={grad:?})"),
        }
    }
}

impl Neg for &Value {
    type Output = Value;
    #[inline]
    fn neg(self) -> Value {
        self.unary(Op::Neg)
    }
}

impl Neg for Value {
    type Output = Value;
    fn neg(self) -> Value {
        -&self
    }
}

/// Sums left to right, `((a + b) + c) + ...`, as Python's `sum` does; 0 when empty.
impl std::iter::Sum for Value {
    fn sum<I: Iterator<Item = Value>>(mut values: I) -> Value {
        let Some(first) = values.next() else {
            return Value::leaf(0.0);
        };
        values.fold(first, |total, value| total + value)
    }
}

impl<'a> std::iter::Sum<&'a Value> for Value {
    fn sum<I: Iterator<Item = &'a Value>>(values: I) -> Value {
        values.cloned().sum()
    }
}

/// Where `values` lie on the tape if they are consecutive nodes, first to last.
#[inline]
pub(super) fn run_start(tape: &Tape, values: &[Value]) -> Option<NodeId> {
    let start = tape.node(values.first()?.slot);
    // OR together every difference from a run: no branch per value.
    let mut off_run = 0;
    for (i, value) in values.iter().enumerate() {
        off_run |= tape.node(value.slot) ^ start.wrapping_add(i as u32);
    }
    (off_run == 0).then_some(start)
}

/// `a + b`
#[inline(always)]
fn add(lhs: Operand, rhs: Operand) -> Value {
    Value::binary(lhs, rhs, Op::Add)
}

/// `a * b`
#[inline(always)]
fn mul(lhs: Operand, rhs: Operand) -> Value {
    Value::binary(lhs, rhs, Op::Mul)
}

/// `a - b = a + (-b)`, as micrograd; a number's negation is a number.
#[inline(always)]
fn sub(lhs: Operand, rhs: Operand) -> Value {
    match rhs {
        Operand::Const(b) => add(lhs, Operand::Const(-b)),
        Operand::Node(b) => add(lhs, Operand::Node(&-b)),
    }
}

/// `a / b = a * b**-1`, as micrograd; a number's `**-1` is a number, from
/// the C library's `pow` as in Python (not `1/b`, which can differ in the
/// last bit).
#[inline(always)]
fn div(lhs: Operand, rhs: Operand) -> Value {
    match rhs {
        Operand::Const(b) => mul(lhs, Operand::Const(b.powf(std::hint::black_box(-1.0)))),
        Operand::Node(b) => mul(lhs, Operand::Node(&b.pow(-1.0))),
    }
}

/// Implements a binary operator for every mix of `Value`, `&Value` and `f64`
/// with `$build`, and its compound assignment (`a += b` makes `a` a new node
/// for `a + b`).
macro_rules! binary_operator {
    ($Trait:ident, $method:ident, $AssignTrait:ident, $assign_method:ident, $build:ident) => {
        impl $Trait<&Value> for &Value {
            type Output = Value;
            #[inline]
            fn $method(self, rhs: &Value) -> Value {
                $build(Operand::Node(self), Operand::Node(rhs))
            }
        }
        impl $Trait<Value> for &Value {
            type Output = Value;
            #[inline]
            fn $method(self, rhs: Value) -> Value {
                $build(Operand::Node(self), Operand::Node(&rhs))
            }
        }
        impl $Trait<&Value> for Value {
            type Output = Value;
            #[inline]
            fn $method(self, rhs: &Value) -> Value {
                $build(Operand::Node(&self), Operand::Node(rhs))
            }
        }
        impl $Trait<Value> for Value {
            type Output = Value;
            #[inline]
            fn $method(self, rhs: Value) -> Value {
                $build(Operand::Node(&self), Operand::Node(&rhs))
            }
        }
        impl $Trait<f64> for &Value {
            type Output = Value;
            #[inline]
            fn $method(self, rhs: f64) -> Value {
                $build(Operand::Node(self), Operand::Const(rhs))
            }
        }
        impl $Trait<f64> for Value {
            type Output = Value;
            #[inline]
            fn $method(self, rhs: f64) -> Value {
                $build(Operand::Node(&self), Operand::Const(rhs))
            }
        }
        impl $Trait<&Value> for f64 {
            type Output = Value;
            #[inline]
            fn $method(self, rhs: &Value) -> Value {
                $build(Operand::Const(self), Operand::Node(rhs))
            }
        }
        impl $Trait<Value> for f64 {
            type Output = Value;
            #[inline]
            fn $method(self, rhs: Value) -> Value {
                $build(Operand::Const(self), Operand::Node(&rhs))
            }
        }
        impl $AssignTrait<&Value> for Value {
            #[inline]
            fn $assign_method(&mut self, rhs: &Value) {
                *self = $build(Operand::Node(self), Operand::Node(rhs));
            }
        }
        impl $AssignTrait<Value> for Value {
            #[inline]
            fn $assign_method(&mut self, rhs: Value) {
                *self = $build(Operand::Node(self), Operand::Node(&rhs));
            }
        }
        impl $AssignTrait<f64> for Value {
            #[inline]
            fn $assign_method(&mut self, rhs: f64) {
                *self = $build(Operand::Node(self), Operand::Const(rhs));
            }
        }
    };
}

binary_operator!(Add, add, AddAssign, add_assign, add);
binary_operator!(Sub, sub, SubAssign, sub_assign, sub);
binary_operator!(Mul, mul, MulAssign, mul_assign, mul);
binary_operator!(Div, div, DivAssign, div_assign, div);
