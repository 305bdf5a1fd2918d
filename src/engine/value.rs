//! `Value`: the handle users hold, and the arithmetic on it.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use super::backward;
use super::ops::{LocalGrads, Op};
use super::tape::{self, NodeId, Tape};

/// A scalar in the computation graph: its data, its gradient, and how it was made.
///
/// A `Value` is a small handle (an index into this thread's tape), so cloning
/// it is cheap and clones refer to the same node. It cannot be sent to another
/// thread: each thread builds its own graphs.
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
    id: NodeId,
    /// A raw pointer makes `Value` neither `Send` nor `Sync`: ids index a thread-local tape.
    _not_send: PhantomData<*const ()>,
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
            Operand::Node(value) => value.id,
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
    pub fn leaf(data: f64) -> Value {
        tape::with(|tape| {
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

    /// Pushes the node `op` computes and returns a handle to it.
    #[inline(always)]
    fn compute(tape: &mut Tape, op: Op) -> Value {
        let id = tape.push_op(op);
        Value::retained(tape, id)
    }

    #[inline(always)]
    fn unary(&self, op: impl FnOnce(NodeId) -> Op) -> Value {
        tape::with(|tape| Value::compute(tape, op(self.id)))
    }

    #[inline(always)]
    fn binary(lhs: Operand, rhs: Operand, op: impl FnOnce(NodeId, NodeId) -> Op) -> Value {
        tape::with(|tape| {
            let a = lhs.node(tape);
            let b = rhs.node(tape);
            Value::compute(tape, op(a, b))
        })
    }

    /// A neuron's weighted sum `((bias + w0*x0) + w1*x1) + ...`, in that order.
    ///
    /// It builds exactly the `*` and `+` nodes that folding with the operators
    /// would, and so gives bit-identical data and grads; it is faster because it
    /// visits the tape once instead of once per node and per dropped temporary.
    pub fn weighted_sum(bias: &Value, weights: &[Value], inputs: &[Value]) -> Value {
        assert_eq!(weights.len(), inputs.len(), "one weight per input");
        tape::with(|tape| {
            let sum = tape.push_weighted_sum(
                bias.id,
                weights.iter().zip(inputs).map(|(w, x)| (w.id, x.id)),
            );
            Value::retained(tape, sum)
        })
    }

    /// A neuron: `activation(((bias + w0*x0) + w1*x1) + ...)`, the same nodes as
    /// [`Value::weighted_sum`] followed by the activation's op, in one visit to the tape.
    pub fn neuron(
        bias: &Value,
        weights: &[Value],
        inputs: &[Value],
        activation: Activation,
    ) -> Value {
        assert_eq!(weights.len(), inputs.len(), "one weight per input");
        tape::with(|tape| {
            let sum = tape.push_weighted_sum(
                bias.id,
                weights.iter().zip(inputs).map(|(w, x)| (w.id, x.id)),
            );
            let out = match activation {
                Activation::Relu => tape.push_op(Op::Relu(sum)),
                Activation::Tanh => tape.push_op(Op::Tanh(sum)),
                Activation::Sigmoid => tape.push_op(Op::Sigmoid(sum)),
                Activation::Linear => sum,
            };
            Value::retained(tape, out)
        })
    }

    /// `self` raised to a constant power. Its derivative is `n * self^(n-1)`.
    pub fn pow(&self, exponent: f64) -> Value {
        tape::with(|tape| {
            let exponent = tape.push(exponent, Op::Leaf);
            Value::compute(tape, Op::Pow(self.id, exponent))
        })
    }

    /// Hyperbolic tangent: within [-1, 1] and never NaN for a finite input.
    pub fn tanh(&self) -> Value {
        self.unary(Op::Tanh)
    }

    /// `max(0, self)`, as micrograd: negative inputs give 0.
    pub fn relu(&self) -> Value {
        self.unary(Op::Relu)
    }

    pub fn exp(&self) -> Value {
        self.unary(Op::Exp)
    }

    /// Natural logarithm; NaN below zero and -inf at zero, as `f64::ln`.
    pub fn log(&self) -> Value {
        self.unary(Op::Log)
    }

    /// `1 / (1 + e^-self)`, computed so that it never overflows.
    pub fn sigmoid(&self) -> Value {
        self.unary(Op::Sigmoid)
    }

    pub fn data(&self) -> f64 {
        tape::with(|tape| tape.nodes[self.id as usize].data)
    }

    pub fn grad(&self) -> f64 {
        tape::with(|tape| tape.grad(self.id))
    }

    /// Changes the data of this node. Nodes computed from it earlier keep their data.
    pub fn set_data(&self, data: f64) {
        tape::with(|tape| tape.nodes[self.id as usize].data = data);
    }

    pub fn set_grad(&self, grad: f64) {
        tape::with(|tape| tape.set_grad(self.id, grad));
    }

    /// The label given with [`Value::with_label`] or [`Value::set_label`], if any.
    pub fn label(&self) -> Option<String> {
        tape::with(|tape| tape.label(self.id).map(str::to_string))
    }

    pub fn set_label(&self, label: impl Into<String>) {
        let label = label.into();
        tape::with(|tape| tape.set_label(self.id, label));
    }

    /// This node's position on the tape: unique among live values, and larger
    /// than the ids of all the nodes it was computed from.
    pub fn id(&self) -> usize {
        self.id as usize
    }

    /// The op that made this value as people write it (`+`, `*`, `**2`, `tanh`),
    /// or an empty string for a leaf.
    pub fn op(&self) -> String {
        tape::with(|tape| tape.nodes[self.id as usize].op().symbol(&tape.nodes))
    }

    pub fn is_leaf(&self) -> bool {
        tape::with(|tape| matches!(tape.nodes[self.id as usize].op(), Op::Leaf))
    }

    /// The values this one was computed from, in order (`a` then `b` for `a - b`).
    pub fn inputs(&self) -> Vec<Value> {
        tape::with(|tape| {
            let inputs = tape.nodes[self.id as usize].op().inputs();
            inputs
                .into_iter()
                .map(|id| Value::retained(tape, id))
                .collect()
        })
    }

    /// For each input, d(self)/d(input) at the current data: the factor by
    /// which backward multiplies this node's grad before adding it to the input's.
    pub fn local_grads(&self) -> Vec<(Value, f64)> {
        tape::with(|tape| {
            let node = tape.nodes[self.id as usize];
            match node.op().local_grads(node.data, &tape.nodes) {
                LocalGrads::None => vec![],
                LocalGrads::One(a, da) => vec![(Value::retained(tape, a), da)],
                LocalGrads::Two(a, da, b, db) => {
                    vec![
                        (Value::retained(tape, a), da),
                        (Value::retained(tape, b), db),
                    ]
                }
            }
        })
    }

    /// How [`Value::local_grads`] is computed, one formula per input, with
    /// placeholders `{a}` and `{b}` for the inputs' data, `{out}` for this
    /// value's data and `{n}` for a power's exponent: `"(1 - {out}**2)"` for tanh.
    pub fn local_grad_formulas(&self) -> Vec<String> {
        tape::with(|tape| {
            let op = tape.nodes[self.id as usize].op();
            let exponent = match op {
                Op::Pow(_, exponent) => tape.nodes[exponent as usize].data.to_string(),
                _ => String::new(),
            };
            let formulas = op.local_grad_formulas();
            formulas
                .iter()
                .map(|formula| formula.replace("{n}", &exponent))
                .collect()
        })
    }

    /// A new handle to a node: the only way a `Value` is made.
    #[inline(always)]
    fn retained(tape: &mut Tape, id: NodeId) -> Value {
        tape.retain(id);
        Value {
            id,
            _not_send: PhantomData,
        }
    }

    /// Backpropagation: sets this value's grad to 1 and adds d(self)/d(leaf)
    /// to the grad of every leaf it depends on. Nodes in between are
    /// overwritten with d(self)/d(node). Runs in one pass with no recursion,
    /// so graphs of any depth are fine.
    pub fn backward(&self) {
        tape::with(|tape| backward::backward(tape, self.id));
    }

    /// The nodes [`Value::backward`] visits, in the order it visits them:
    /// this value first, then each node after all the nodes that use it.
    pub fn backward_order(&self) -> Vec<Value> {
        tape::with(|tape| {
            let order = backward::visit_order(tape, self.id);
            order
                .into_iter()
                .map(|id| Value::retained(tape, id))
                .collect()
        })
    }
}

impl Clone for Value {
    #[inline]
    fn clone(&self) -> Value {
        tape::with(|tape| Value::retained(tape, self.id))
    }
}

impl Drop for Value {
    #[inline]
    fn drop(&mut self) {
        tape::release(self.id);
    }
}

impl From<f64> for Value {
    fn from(data: f64) -> Value {
        Value::leaf(data)
    }
}

impl fmt::Debug for Value {
    /// `Value(data=2.0, grad=0.0)` as in micrograd, with the label when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (data, grad, label) = tape::with(|tape| {
            let data = tape.nodes[self.id as usize].data;
            (
                data,
                tape.grad(self.id),
                tape.label(self.id).map(str::to_string),
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

/// Implements a binary operator for every mix of `Value`, `&Value` and `f64`,
/// and its compound assignment (`a += b` makes `a` a new node for `a + b`).
macro_rules! binary_operator {
    ($Trait:ident, $method:ident, $AssignTrait:ident, $assign_method:ident, $op:path) => {
        impl $Trait<&Value> for &Value {
            type Output = Value;
            fn $method(self, rhs: &Value) -> Value {
                Value::binary(Operand::Node(self), Operand::Node(rhs), $op)
            }
        }
        impl $Trait<Value> for &Value {
            type Output = Value;
            fn $method(self, rhs: Value) -> Value {
                Value::binary(Operand::Node(self), Operand::Node(&rhs), $op)
            }
        }
        impl $Trait<&Value> for Value {
            type Output = Value;
            fn $method(self, rhs: &Value) -> Value {
                Value::binary(Operand::Node(&self), Operand::Node(rhs), $op)
            }
        }
        impl $Trait<Value> for Value {
            type Output = Value;
            fn $method(self, rhs: Value) -> Value {
                Value::binary(Operand::Node(&self), Operand::Node(&rhs), $op)
            }
        }
        impl $Trait<f64> for &Value {
            type Output = Value;
            fn $method(self, rhs: f64) -> Value {
                Value::binary(Operand::Node(self), Operand::Const(rhs), $op)
            }
        }
        impl $Trait<f64> for Value {
            type Output = Value;
            fn $method(self, rhs: f64) -> Value {
                Value::binary(Operand::Node(&self), Operand::Const(rhs), $op)
            }
        }
        impl $Trait<&Value> for f64 {
            type Output = Value;
            fn $method(self, rhs: &Value) -> Value {
                Value::binary(Operand::Const(self), Operand::Node(rhs), $op)
            }
        }
        impl $Trait<Value> for f64 {
            type Output = Value;
            fn $method(self, rhs: Value) -> Value {
                Value::binary(Operand::Const(self), Operand::Node(&rhs), $op)
            }
        }
        impl $AssignTrait<&Value> for Value {
            fn $assign_method(&mut self, rhs: &Value) {
                *self = Value::binary(Operand::Node(self), Operand::Node(rhs), $op);
            }
        }
        impl $AssignTrait<Value> for Value {
            fn $assign_method(&mut self, rhs: Value) {
                *self = Value::binary(Operand::Node(self), Operand::Node(&rhs), $op);
            }
        }
        impl $AssignTrait<f64> for Value {
            fn $assign_method(&mut self, rhs: f64) {
                *self = Value::binary(Operand::Node(self), Operand::Const(rhs), $op);
            }
        }
    };
}

binary_operator!(Add, add, AddAssign, add_assign, Op::Add);
binary_operator!(Sub, sub, SubAssign, sub_assign, Op::Sub);
binary_operator!(Mul, mul, MulAssign, mul_assign, Op::Mul);
binary_operator!(Div, div, DivAssign, div_assign, Op::Div);
